#!/usr/bin/env bash
# Story assignment benchmark: `rasd bench stories` against the same single-pass algorithm
# written in plain Python (what a user would otherwise write: an inverted index over the
# rarest words of the window, TF-IDF cosine of title and lead, a 72-hour window), on the
# same items in the same run, both on one core. Items: the first N/2 Arabic and N/2 English
# items of the shared news corpus, interleaved, arriving at PER_DAY items a day. Rasd's
# figure excludes tagging (done before its timed part); the Python peer reads words with a
# plain lower-case split and no fingerprints, places or topics, so it does less per item.
# Prints each side's items/s (Rasd's median of RUNS passes, default 3) and the ratio.
#
#   scripts/bench-stories.sh                      # from the repository root
#   ITEMS=60000 PER_DAY=20000 RUNS=3 scripts/bench-stories.sh
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${RUNS:-3}"
items="${ITEMS:-60000}"
per_day="${PER_DAY:-20000}"
export RASD_SHARED_DATA="${RASD_SHARED_DATA:-$PWD/../shared/data}"
corpus="$RASD_SHARED_DATA/corpus"
if [ ! -f "$corpus/ar_news.jsonl.gz" ]; then
  echo "bench-stories: $corpus/ar_news.jsonl.gz not found; set RASD_SHARED_DATA" >&2
  exit 1
fi
target="${CARGO_TARGET_DIR:-$PWD/target}"
cargo build --release --quiet
pin=()
command -v taskset >/dev/null && pin=(taskset -c 0)

rates=()
for _ in $(seq "$runs"); do
  line=$("${pin[@]}" "$target/release/rasd" bench stories --items "$items" --per-day "$per_day" 2>/dev/null | tail -1)
  echo "rasd:   $line"
  rates+=("$(echo "$line" | sed -n 's/.*items_per_s=\([0-9.]*\).*/\1/p')")
done
ours=$(printf '%s\n' "${rates[@]}" | sort -n | sed -n "$(( (runs + 1) / 2 ))p")

theirs=$("${pin[@]}" python3 - "$corpus" "$items" "$per_day" <<'PY'
import gzip, json, math, re, sys, time
from collections import defaultdict, deque

corpus, n, per_day = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
WINDOW = 72 * 3600
LEAD = 1000

def read(name, limit):
    out = []
    with gzip.open(f"{corpus}/{name}", "rt", encoding="utf-8") as f:
        for line in f:
            if len(out) == limit:
                break
            r = json.loads(line)
            out.append((r.get("title") or "", r.get("body") or ""))
    return out

half = (n + 1) // 2
ar, en = read("ar_news.jsonl.gz", half), read("en_news.jsonl.gz", half)
items = [x for pair in zip(ar, en) for x in pair][:n]
word = re.compile(r"\w+")

def words(title, body):
    out = defaultdict(float)
    for text, w in ((title, 2.0), (body[:LEAD], 1.0)):
        for t in word.findall(text.lower()):
            if len(t) >= 3:
                out[t] += w
    return {t: 1.0 + math.log(c) for t, c in out.items()}

df = defaultdict(int)
postings = defaultdict(list)
live = {}
order = deque()
story_of = {}
next_story = 1
joined = 0
step = 86400 / per_day
start = time.perf_counter()
for k, (title, body) in enumerate(items):
    now = k * step
    while order and order[0][1] < now - WINDOW:
        old, _ = order.popleft()
        for t in live.pop(old):
            df[t] -= 1
            postings[t].remove(old)
    terms = words(title, body)
    N = len(live)
    idf = lambda t: math.log((N + 1) / (df.get(t, 0) + 1)) + 1
    probe = sorted((df[t], t) for t in terms if 0 < df.get(t, 0) <= 400)[:12]
    shared = defaultdict(int)
    for _, t in probe:
        for s in postings[t]:
            shared[s] += 1
    cands = sorted(((c, s) for s, c in shared.items() if c >= 2), reverse=True)[:40]
    na = math.sqrt(sum((w * idf(t)) ** 2 for t, w in terms.items()))
    best, best_cos = None, 0.0
    for _, s in cands:
        other = live[s]
        dot = sum(w * other[t] * idf(t) ** 2 for t, w in terms.items() if t in other)
        nb = math.sqrt(sum((w * idf(t)) ** 2 for t, w in other.items()))
        cos = dot / (na * nb) if na and nb else 0.0
        if cos >= 0.4 and cos > best_cos:
            best, best_cos = s, cos
    if best is None:
        story_of[k] = next_story
        next_story += 1
    else:
        story_of[k] = story_of[best]
        joined += 1
    live[k] = terms
    order.append((k, now))
    for t in terms:
        df[t] += 1
        postings[t].append(k)
secs = time.perf_counter() - start
print(f"items={len(items)} joined_a_story={joined} seconds={secs:.3f} items_per_s={len(items) / secs:.0f}")
PY
)
echo "python: $theirs"
theirs_rate=$(echo "$theirs" | sed -n 's/.*items_per_s=\([0-9.]*\).*/\1/p')
ratio=$(python3 -c "print(f'{$ours / $theirs_rate:.1f}')")
echo "rasd_items_per_s=$ours python_items_per_s=$theirs_rate ratio=$ratio"
