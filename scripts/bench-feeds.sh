#!/usr/bin/env bash
# Feed-parsing benchmark: Rasd against the reference Python feed parser, on the same files
# (the 545 feeds listed in shared/data/feeds/reference.jsonl), on this machine, in the same
# run. Both read every file into memory first and time only parsing, on one thread. Prints
# the median of RUNS runs (default 5) of each, and the ratio.
#
#   scripts/bench-feeds.sh            # from the repository root
#   RUNS=3 RASD_SHARED_DATA=/data scripts/bench-feeds.sh
#
# The reference parser is installed from the package registry with pip into a virtual
# environment under the cargo target folder (nothing is installed system-wide).
set -euo pipefail

cd "$(dirname "$0")/.."
runs="${RUNS:-5}"
target="${CARGO_TARGET_DIR:-$PWD/target}"
shared="${RASD_SHARED_DATA:-$PWD/../shared/data}"
feeds="$shared/feeds"
if [ ! -f "$feeds/reference.jsonl" ]; then
    echo "bench-feeds: $feeds/reference.jsonl not found; set RASD_SHARED_DATA" >&2
    exit 1
fi
export RASD_SHARED_DATA="$shared"

venv="$target/bench-venv"
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
fi
"$venv/bin/pip" install --quiet --disable-pip-version-check feedparser
reference_version=$("$venv/bin/python" -c 'import feedparser; print(feedparser.__version__)')

# The reference: the same files, read into memory first, parse timed alone.
reference_run() {
    "$venv/bin/python" - "$feeds" <<'PY'
import json, sys, time, os
import feedparser
root = sys.argv[1]
files = [json.loads(l)["file"] for l in open(os.path.join(root, "reference.jsonl"))]
docs = [open(os.path.join(root, f), "rb").read() for f in files]
start = time.perf_counter()
entries = sum(len(feedparser.parse(d).entries) for d in docs)
elapsed = time.perf_counter() - start
print(f"reference files={len(docs)} entries={entries} seconds={elapsed:.3f} feeds_per_s={len(docs) / elapsed:.1f}")
PY
}

# Rasd: the ignored `bench` test of the sources crate, built in release.
cargo test --release --quiet -p rasd-sources --test feeds_reference --no-run
rasd_run() {
    cargo test --release --quiet -p rasd-sources --test feeds_reference -- \
        --ignored --exact bench --nocapture 2>/dev/null | grep '^rasd '
}

field() { sed -n "s/.*$1=\([0-9.]*\).*/\1/p"; }
median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

rasd_rates=()
reference_rates=()
for i in $(seq "$runs"); do
    r=$(rasd_run)
    p=$(reference_run)
    echo "run $i: $r"
    echo "run $i: $p"
    rasd_rates+=("$(echo "$r" | field feeds_per_s)")
    reference_rates+=("$(echo "$p" | field feeds_per_s)")
done

rasd_median=$(printf '%s\n' "${rasd_rates[@]}" | median)
reference_median=$(printf '%s\n' "${reference_rates[@]}" | median)
ratio=$(awk -v a="$rasd_median" -v b="$reference_median" 'BEGIN { printf "%.0f", a / b }')
echo
echo "feed parsing, median of $runs runs, one thread, $(nproc) cores, $(date -u +%Y-%m-%d):"
echo "  rasd:                          $rasd_median feeds/s"
echo "  reference (feedparser $reference_version): $reference_median feeds/s"
echo "  ratio:                         ${ratio}x"
