#!/usr/bin/env bash
# Classification benchmark: `rasd bench classify` (rules, topic model, sentiment model,
# places, police flag, language, fingerprint) against a scikit-learn character n-gram model
# (TF-IDF char_wb 2–5-grams, one linear SVM per topic, trained on data/seed/topics.jsonl),
# on the same items in the same run, both on one core. Items: the first N/2 Arabic and N/2
# English items of the shared news corpus, interleaved; the peer reads the title and the
# first 300 characters of the body, as Rasd's topic model does (Rasd's rules read the whole
# text). Prints the median items/s of RUNS passes (default 5) of each, and the ratio.
#
#   scripts/bench-classify.sh                     # from the repository root
#   ITEMS=20000 RUNS=5 scripts/bench-classify.sh
#
# scikit-learn is installed with pip into a virtual environment under the cargo target
# folder (nothing system-wide).
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${RUNS:-5}"
items="${ITEMS:-20000}"
export RASD_SHARED_DATA="${RASD_SHARED_DATA:-$PWD/../shared/data}"
corpus="$RASD_SHARED_DATA/corpus"
if [ ! -f "$corpus/ar_news.jsonl.gz" ]; then
  echo "bench-classify: $corpus/ar_news.jsonl.gz not found; set RASD_SHARED_DATA" >&2
  exit 1
fi
target="${CARGO_TARGET_DIR:-$PWD/target}"
cargo build --release --quiet
pin=()
command -v taskset >/dev/null && pin=(taskset -c 0)

echo "rasd:"
rasd_out=$("${pin[@]}" "$target/release/rasd" bench classify --items "$items" --runs "$runs" 2>/dev/null)
echo "$rasd_out" | sed 's/^/  /'
ours=$(echo "$rasd_out" | tail -1 | sed -n 's/.*items_per_s=\([0-9.]*\).*/\1/p')

venv="$target/bench-venv-classify"
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check scikit-learn
echo "scikit-learn:"
theirs=$(OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 "${pin[@]}" \
  "$venv/bin/python" - "$corpus" "$items" "$runs" data/seed/topics.jsonl <<'PY'
import gzip, json, statistics, sys, time
import sklearn
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.multiclass import OneVsRestClassifier
from sklearn.preprocessing import MultiLabelBinarizer
from sklearn.svm import LinearSVC

corpus, n, runs, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]

def model_text(title, body):
    body = body[:300]
    return "\n".join(p for p in (title, body) if p)

def read(name, limit):
    out = []
    with gzip.open(f"{corpus}/{name}", "rt", encoding="utf-8") as f:
        for line in f:
            if len(out) == limit:
                break
            try:
                r = json.loads(line)
            except ValueError:
                continue
            out.append(model_text(r.get("title") or "", r.get("body") or r.get("text") or ""))
    return out

half = (n + 1) // 2
ar, en = read("ar_news.jsonl.gz", half), read("en_news.jsonl.gz", half)
texts = [t for pair in zip(ar, en) for t in pair][:n]

rows = [json.loads(l) for l in open(seed, encoding="utf-8") if l.strip()]
train = [r.get("text") or model_text(r.get("title", ""), r.get("body", "")) for r in rows]
mlb = MultiLabelBinarizer()
y = mlb.fit_transform([r["topics"] for r in rows])
vec = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True)
clf = OneVsRestClassifier(LinearSVC()).fit(vec.fit_transform(train), y)

rates = []
for _ in range(runs):
    start = time.perf_counter()
    clf.predict(vec.transform(texts))
    rates.append(len(texts) / (time.perf_counter() - start))
print(f"  scikit-learn {sklearn.__version__} char_wb 2-5 TF-IDF + LinearSVC per topic: "
      f"items={len(texts)} items_per_s={statistics.median(rates):.0f}", file=sys.stderr)
print(f"{statistics.median(rates):.0f}")
PY
)
echo
echo "classification, median items/s of $runs runs, one core, $(nproc) cores on the machine, $(date +%F):"
echo "  rasd $ours items/s, scikit-learn $theirs items/s, ratio $(awk -v a="$ours" -v b="$theirs" 'BEGIN { printf "%.1f", a / b }')x"
