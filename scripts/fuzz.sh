#!/usr/bin/env bash
# Runs the cargo-fuzz targets, each for SECONDS (default 600), two at a time, under `nice`.
# Each starts from its seeds: the small files written for the project (fuzz/seeds/TARGET),
# the inputs kept from findings (fuzz/regressions/TARGET) and, when ../shared/data is there,
# inputs gathered from the shared data into fuzz/shared-seeds/TARGET (not tracked). What the
# fuzzer learns goes to fuzz/corpus/TARGET, crashes to fuzz/artifacts/TARGET (not tracked),
# libFuzzer's output to fuzz/last-TARGET.log.
# Usage: scripts/fuzz.sh [SECONDS] [TARGET...]   (no target: all of them)
#        scripts/fuzz.sh gather                  (only gather the shared-data seeds)
# FUZZ_JOBS=N runs N targets at a time (default 2); FUZZ_NO_GATHER=1 keeps the seeds
# gathered before.
set -euo pipefail
cd "$(dirname "$0")/.."
all=(feed_parse charset extract sitemap robots opml config import_line forms_csv form_body query)
shared=../shared/data

# Seeds from the shared data, read from where it lies and written under fuzz/shared-seeds/.
gather() {
  local out=fuzz/shared-seeds
  if [ ! -d "$shared" ]; then
    echo "no $shared: fuzzing from fuzz/seeds only" >&2
    return
  fi
  rm -rf "$out"
  mkdir -p "$out"/{feed_parse,charset,sitemap,extract,query,import_line,forms_csv,form_body,config}
  # Real feeds, in many encodings: for the feed reader, the charset detector, and the
  # sitemap reader (the same forgiving XML reader).
  find "$shared/feeds" -mindepth 2 -type f ! -name 'LICENSE*' ! -name 'README*' | while read -r f; do
    name=$(echo "$f" | sha1sum | cut -c1-16)
    for t in feed_parse charset sitemap; do cp "$f" "$out/$t/$name"; done
  done
  # Real article pages (gzip'd in the shared data).
  for f in "$shared"/extraction/pages/*.html.gz "$shared"/extraction-dragnet/pages/*.html.gz; do
    gunzip -c "$f" > "$out/extract/$(basename "$(dirname "$(dirname "$f")")")-$(basename "$f" .gz)"
  done
  # The shipped config files, each behind the byte that picks its slot.
  local i=0
  for f in rasd sources topics places alerts; do
    { printf "\\x0$i"; cat "config/$f.toml"; } > "$out/config/$f.toml"
    i=$((i + 1))
  done
  # Search terms, item lines, and form texts from the real corpora and tweets.
  python3 - "$shared" "$out" <<'PY'
import gzip, json, sys, urllib.parse
shared, out = sys.argv[1], sys.argv[2]
def put(target, name, data):
    with open(f"{out}/{target}/{name}", "wb") as f:
        f.write(data.encode() if isinstance(data, str) else data)
for lang in ("ar", "en"):
    for line in open(f"{shared}/corpus/queries_{lang}.jsonl", encoding="utf-8"):
        q = json.loads(line)
        text = " ".join(q["terms"])
        put("query", f"{lang}-{q['qid']}", text)
        if q["qid"] % 4 == 0:
            put("query", f"{lang}-{q['qid']}-params", urllib.parse.urlencode(
                {"q": text, "after": "2025-01-01", "size": 10, "sort": "date"}))
    with gzip.open(f"{shared}/corpus/{lang}_news.jsonl.gz", "rt", encoding="utf-8") as f:
        for n, line in enumerate(f):
            if n >= 300:
                break
            put("import_line", f"{lang}-{n}", line)
tweets = [json.loads(l)["text"] for l in open(f"{shared}/sentiment/ajgt.jsonl", encoding="utf-8")][:400]
for n in range(0, len(tweets), 50):
    rows = "".join('"%s",%d\r\n' % (t.replace('"', '""'), n + i) for i, t in enumerate(tweets[n:n + 50]))
    text = "text,id\r\n" + rows
    put("forms_csv", f"ajgt-{n}.csv", text)
    put("forms_csv", f"ajgt-{n}-cp1256.csv", text.encode("cp1256", errors="replace"))
for n, t in enumerate(tweets[:100]):
    form = {"category": "other", "governorate": "irbid", "text": t, "lang": "ar", "csrf": "x"}
    put("form_body", f"ajgt-{n}.urlencoded", urllib.parse.urlencode(form))
    put("form_body", f"ajgt-{n}.json", json.dumps(form, ensure_ascii=False))
PY
  for t in "$out"/*; do echo "gathered $(ls "$t" | wc -l) seeds for $(basename "$t")"; done
}

if [ "${1:-}" = gather ]; then
  gather
  exit 0
fi
secs="${1:-600}"
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=("${all[@]}")
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
# cargo-fuzz needs unstable compiler flags; the stable toolchain accepts them this way.
export RUSTC_BOOTSTRAP=1
[ -n "${FUZZ_NO_GATHER:-}" ] || gather
nice -n 15 cargo fuzz build --fuzz-dir fuzz

run() {
  local t=$1 dirs=()
  mkdir -p "fuzz/corpus/$t"
  for d in "fuzz/seeds/$t" "fuzz/regressions/$t" "fuzz/shared-seeds/$t"; do
    [ -d "$d" ] && dirs+=("$d")
  done
  nice -n 15 cargo fuzz run --fuzz-dir fuzz "$t" "fuzz/corpus/$t" "${dirs[@]}" -- \
    -max_total_time="$secs" -rss_limit_mb=4096 -max_len=262144 -timeout=30 \
    -print_final_stats=1 >"fuzz/last-$t.log" 2>&1 || true
  echo "== $t ($secs s): $(grep -E '^Done [0-9]+ runs' "fuzz/last-$t.log" | tail -1)"
  grep -E '^#[0-9]+ *(INITED|DONE)|ERROR|panicked|SUMMARY' "fuzz/last-$t.log" | tail -4 || true
  echo "   corpus: $(ls "fuzz/corpus/$t" | wc -l) inputs"
}

# FUZZ_JOBS at a time (default 2: the machine has two cores and is shared).
for t in "${targets[@]}"; do
  while [ "$(jobs -rp | wc -l)" -ge "${FUZZ_JOBS:-2}" ]; do wait -n || true; done
  run "$t" &
done
wait
