#!/usr/bin/env bash
# Extraction benchmark: Rasd's extractor against dom_smoothie (a Readability.js port, the
# best maintained extraction crate), on the same pages in the same run: the shared
# benchmark (shared/data/extraction) when present and the project's Arabic gold set.
# Prints the score of each and the median pages/s of RUNS runs (default 5), and the ratio.
# On the shared set it also times trafilatura (the reference Python extractor, installed by
# this script with pip into a virtual environment under the cargo target folder).
#
#   scripts/bench-extraction.sh          # from the repository root
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${RUNS:-5}"
export RASD_SHARED_DATA="${RASD_SHARED_DATA:-$PWD/../shared/data}"
args=(--release --quiet -p rasd-sources --lib --features dom_smoothie)
cargo test "${args[@]}" --no-run
log=$(mktemp)
for i in $(seq "$runs"); do
  cargo test "${args[@]}" -- --ignored --exact eval::tests::extraction_benchmark --nocapture 2>/dev/null \
    | grep -E '^(shared|arabic-gold)' | sed "s/^/run $i: /" | tee -a "$log"
done
# trafilatura on the shared pages: files read and decompressed first, extraction timed alone.
traf_rates=()
pages_dir="$RASD_SHARED_DATA/extraction/pages"
if [ -d "$pages_dir" ]; then
  venv="${CARGO_TARGET_DIR:-$PWD/target}/bench-venv-extraction"
  [ -x "$venv/bin/python" ] || python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check trafilatura lxml_html_clean
  for i in $(seq "$runs"); do
    r=$("$venv/bin/python" - "$pages_dir" <<'PY'
import gzip, os, sys, time
import trafilatura
root = sys.argv[1]
docs = []
for name in sorted(os.listdir(root)):
    data = open(os.path.join(root, name), "rb").read()
    docs.append(gzip.decompress(data) if name.endswith(".gz") else data)
start = time.process_time()
for d in docs:
    trafilatura.extract(d)
elapsed = time.process_time() - start
print(f"pages={len(docs)} seconds={elapsed:.3f} pages_per_s={len(docs) / elapsed:.1f}")
PY
)
    echo "run $i: shared (trafilatura $("$venv/bin/python" -c 'import trafilatura; print(trafilatura.__version__)')): $r" | tee -a "$log"
  done
fi
median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
rate() { grep -F "$1" "$log" | grep -v "${2:-@@}" | sed -n 's/.*pages_per_s=\([0-9.]*\).*/\1/p' | median; }
echo
echo "extraction, median pages/s of $runs runs, one thread, $(nproc) cores, $(date +%F):"
for set in shared arabic-gold; do
  grep -q "run 1: $set:" "$log" || continue
  ours=$(rate "$set:" "(")
  theirs=$(rate "$set (dom_smoothie)")
  echo "  $(grep "run 1: $set:" "$log" | sed 's/^run 1: //')"
  echo "  $(grep "run 1: $set (dom_smoothie)" "$log" | sed 's/^run 1: //')"
  echo "  $set: rasd $ours pages/s, dom_smoothie $theirs pages/s, ratio $(awk -v a="$ours" -v b="$theirs" 'BEGIN { printf "%.1f", a / b }')x"
  if grep -q "$set (trafilatura" "$log"; then
    traf=$(rate "$set (trafilatura")
    echo "  $set: rasd $ours pages/s, trafilatura $traf pages/s, ratio $(awk -v a="$ours" -v b="$traf" 'BEGIN { printf "%.1f", a / b }')x"
  fi
done
rm -f "$log"
