#!/usr/bin/env bash
# Runs the cargo-fuzz targets, each for SECONDS (default 600), starting from the small seed
# corpus in fuzz/seeds/ and keeping what the fuzzer finds in fuzz/corpus/ (not tracked).
# Usage: scripts/fuzz.sh [SECONDS] [TARGET...]   (targets: feed_parse charset extract)
set -euo pipefail
cd "$(dirname "$0")/.."
secs="${1:-600}"
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(feed_parse charset extract)
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
# cargo-fuzz needs unstable compiler flags; the stable toolchain accepts them this way.
export RUSTC_BOOTSTRAP=1
for t in "${targets[@]}"; do
  mkdir -p "fuzz/corpus/$t"
  echo "== $t for ${secs}s"
  cargo fuzz run --fuzz-dir fuzz "$t" "fuzz/corpus/$t" "fuzz/seeds/$t" -- \
    -max_total_time="$secs" -rss_limit_mb=4096 -max_len=262144 2>&1 | tee "fuzz/last-$t.log" | grep -E "^#[0-9]+ *(DONE|INITED)|ERROR|panicked|SUMMARY" || true
  grep -E "^Done [0-9]+ runs|stat::number_of_executed_units" "fuzz/last-$t.log" | tail -1 || true
done
