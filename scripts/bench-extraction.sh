#!/usr/bin/env bash
# Extraction benchmark: Rasd's extractor against dom_smoothie (a Readability.js port, the
# best maintained extraction crate), on the same pages in the same run: the two shared
# benchmarks (shared/data/extraction and extraction-dragnet) when present, and the
# project's Arabic gold and layout-trap sets.
# On the shared sets it also runs two Python peers, trafilatura (the reference extractor)
# and readability-lxml, installed by this script with pip into a virtual environment under
# the cargo target folder, and scores them with the same metric.
# Prints the score of each and the median pages/s of RUNS runs (default 5; RUNS=1 for a
# quick check), and the ratios. Dragnet's truth starts with the headline: its "+title" lines
# score each extractor's title and text (Rasd: title, header lines and text) the same way.
#
#   scripts/bench-extraction.sh          # from the repository root
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${RUNS:-5}"
export RASD_SHARED_DATA="${RASD_SHARED_DATA:-$PWD/../shared/data}"
unset RASD_EVAL_WORST RASD_EVAL_DUMP
sets=(shared dragnet arabic-gold layout-traps)
args=(--release --quiet -p rasd-sources --lib --features dom_smoothie)
cargo test "${args[@]}" --no-run
log=$(mktemp)
py=$(mktemp --suffix=.py)
texts=$(mktemp -d)
trap 'rm -rf "$log" "$py" "$texts"' EXIT
for i in $(seq "$runs"); do
  # The first run also writes Rasd's text of each page (untimed), for the best-of line.
  dump=()
  [ "$i" = 1 ] && dump=(env RASD_EVAL_DUMP="$texts")
  "${dump[@]}" cargo test "${args[@]}" -- --ignored --exact eval::tests::extraction_benchmark --nocapture 2>/dev/null \
    | grep -E "^($(IFS='|'; echo "${sets[*]}"))([ :]|\+title)" | sed "s/^/run $i: /" | tee -a "$log"
done

# The Python peers on the shared sets: files read, decompressed and (for readability-lxml)
# decoded first, extraction alone timed with process_time, then scored the benchmark's way.
cat >"$py" <<'PY'
import codecs, collections, gzip, json, os, re, sys, time
from importlib.metadata import version

import lxml.html
import trafilatura
from readability import Document

SHINGLE = 4
WORD = re.compile(r"\w+")
# What browsers read these labels as (WHATWG): Latin-1 and ASCII mean windows-1252.
ALIASES = {"iso-8859-1": "cp1252", "latin1": "cp1252", "latin-1": "cp1252",
           "us-ascii": "cp1252", "ascii": "cp1252", "iso8859-1": "cp1252"}
CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([a-z0-9_.:-]+)""", re.I)
BLOCKS = ("p", "div", "br", "li", "tr", "td", "th", "h1", "h2", "h3", "h4", "h5", "h6",
          "blockquote", "pre", "section", "article", "header", "footer", "figure", "dd", "dt")


def shingles(text):
    words = WORD.findall(text or "")
    if not words:
        return collections.Counter()
    if len(words) < SHINGLE:
        return collections.Counter([tuple(words)])
    return collections.Counter(tuple(words[i:i + SHINGLE]) for i in range(len(words) - SHINGLE + 1))


def score(texts, truths):
    """Mean precision and recall over pages of the multiset shingle overlap, and F1."""
    precisions, recalls = [], []
    for text, truth in zip(texts, truths):
        e, t = shingles(text), shingles(truth)
        tp = sum((e & t).values())
        fp = sum((e - t).values())
        fn = sum((t - e).values())
        total = tp + fp + fn
        if total == 0:
            precisions.append(1.0)
            recalls.append(1.0)
            continue
        tp, fp, fn = tp / total, fp / total, fn / total
        if tp + fp > 0:
            precisions.append(tp / (tp + fp))
        if tp + fn > 0:
            recalls.append(tp / (tp + fn))
    p = sum(precisions) / len(precisions) if precisions else 0.0
    r = sum(recalls) / len(recalls) if recalls else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def declared_text(data):
    """The page decoded with the charset its <meta> declares, else UTF-8 with replacement."""
    m = CHARSET.search(data[:4096])
    name = "utf-8"
    if m:
        label = m.group(1).decode("ascii", "replace").lower()
        label = ALIASES.get(label, label)
        try:
            name = codecs.lookup(label).name
        except LookupError:
            pass
    return data.decode(name, errors="replace")


def run_trafilatura(doc):
    # Comments are not article text in either truth; this is how the published figures
    # were made (0.958 on extraction/, 0.913 on dragnet).
    return trafilatura.extract(doc["bytes"], include_comments=False) or ""


def run_readability(doc):
    try:
        # The article's own element (html_partial), not wrapped in a whole new document:
        # this reproduces the reference figure on dragnet (0.916).
        root = lxml.html.fromstring(Document(doc["text"]).summary(html_partial=True))
    except Exception:
        return ""
    # Keep blocks apart, as a browser would, so that words do not run together.
    for el in root.iter(*BLOCKS):
        el.tail = "\n" + (el.tail or "")
    return root.text_content()


def titled_trafilatura(doc):
    r = trafilatura.bare_extraction(doc["bytes"], include_comments=False, with_metadata=True)
    if r is None:
        return ""
    d = r if isinstance(r, dict) else r.as_dict()
    return "\n\n".join(x for x in (d.get("title"), d.get("text")) if x)


def titled_readability(doc):
    try:
        title = Document(doc["text"]).short_title()
    except Exception:
        title = ""
    return "\n\n".join(x for x in (title, run_readability(doc)) if x)


# Each peer: its name, its text, and its title and text (for truth that starts with the
# headline: scored untimed, on the +title line).
PEERS = [
    (f"trafilatura {version('trafilatura')}", run_trafilatura, titled_trafilatura),
    (f"readability-lxml {version('readability-lxml')}", run_readability, titled_readability),
]


def load(root):
    truth = json.load(open(os.path.join(root, "ground-truth.json"), encoding="utf-8"))
    docs = []
    for pid in sorted(truth):
        for name in (pid + ".html", pid + ".html.gz"):
            path = os.path.join(root, "pages", name)
            if os.path.isfile(path):
                data = open(path, "rb").read()
                data = gzip.decompress(data) if name.endswith(".gz") else data
                docs.append({"id": pid, "bytes": data, "text": declared_text(data),
                             "truth": truth[pid].get("articleBody") or ""})
                break
    return docs


for spec in sys.argv[1:]:
    set_name, root = spec.split("=", 1)
    docs = load(root)
    for peer, extract, titled in PEERS:
        for d in docs[:5]:  # untimed warm-up
            extract(d)
        start = time.process_time()
        texts = [extract(d) for d in docs]
        elapsed = time.process_time() - start
        p, r, f = score(texts, [d["truth"] for d in docs])
        print(f"{set_name} ({peer}): pages={len(docs)} precision={p:.4f} recall={r:.4f} "
              f"f1={f:.4f} pages_per_s={len(docs) / elapsed:.1f}", flush=True)
        if set_name == "dragnet" and os.environ.get("BENCH_TITLED") == "1":
            texts = [titled(d) for d in docs]
            for d, t in zip(docs, texts):
                d.setdefault("peers", []).append(t)
            p, r, f = score(texts, [d["truth"] for d in docs])
            print(f"{set_name}+title ({peer}): pages={len(docs)} precision={p:.4f} "
                  f"recall={r:.4f} f1={f:.4f}", flush=True)
    # How far one extractor could go on this truth: for each page, the best of Rasd's and
    # the peers' title and text, chosen by the truth itself (no extractor can do that).
    ours = os.path.join(os.environ.get("RASD_TEXTS", ""), set_name)
    if set_name == "dragnet" and os.environ.get("BENCH_TITLED") == "1" and os.path.isdir(ours):
        best_texts, truths = [], []
        for d in docs:
            path = os.path.join(ours, d["id"] + ".txt")
            d["rasd"] = open(path, encoding="utf-8").read() if os.path.isfile(path) else ""
            best_texts.append(max(d["peers"] + [d["rasd"]],
                                  key=lambda t: score([t], [d["truth"]])[2]))
            truths.append(d["truth"])
        p, r, f = score(best_texts, truths)
        print(f"{set_name}+title (best of rasd and the peers on each page): pages={len(docs)} "
              f"precision={p:.4f} recall={r:.4f} f1={f:.4f}", flush=True)
        # Truth beyond every extractor: UTF-16 read as Latin-1, or truth of which every
        # extractor's clean text (precision >= 0.8) covers less than half.
        def beyond(d):
            if d["truth"].startswith("\xff\xfe"):
                return True
            scores = [score([t], [d["truth"]]) for t in d["peers"] + [d["rasd"]]]
            return all(sp >= 0.8 and sr < 0.5 for sp, sr, _ in scores)
        rest = [d for d in docs if not beyond(d)]
        p, r, f = score([d["rasd"] for d in rest], [d["truth"] for d in rest])
        print(f"{set_name}+title (rasd, without the {len(docs) - len(rest)} truths beyond every "
              f"extractor): pages={len(rest)} precision={p:.4f} recall={r:.4f} f1={f:.4f}",
              flush=True)
PY
peer_sets=()
[ -f "$RASD_SHARED_DATA/extraction/ground-truth.json" ] && peer_sets+=("shared=$RASD_SHARED_DATA/extraction")
[ -f "$RASD_SHARED_DATA/extraction-dragnet/ground-truth.json" ] && peer_sets+=("dragnet=$RASD_SHARED_DATA/extraction-dragnet")
peers=()
if [ "${#peer_sets[@]}" -gt 0 ]; then
  venv="${CARGO_TARGET_DIR:-$PWD/target}/bench-venv-extraction"
  [ -x "$venv/bin/python" ] || python3 -m venv "$venv"
  # Two installs: the pip that venv brings trips over both asking for lxml[html_clean].
  "$venv/bin/pip" install --quiet --disable-pip-version-check trafilatura lxml_html_clean
  "$venv/bin/pip" install --quiet --disable-pip-version-check readability-lxml
  peers=(trafilatura readability-lxml)
  for i in $(seq "$runs"); do
    # Title and text are scored once, on the first run (they do not change between runs).
    BENCH_TITLED=$([ "$i" = 1 ] && echo 1 || echo 0) RASD_TEXTS="$texts" \
      "$venv/bin/python" "$py" "${peer_sets[@]}" | sed "s/^/run $i: /" | tee -a "$log"
  done
fi

median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
# The median pages/s of the lines that contain $1 and not $2.
rate() { grep -F "$1" "$log" | grep -vF "${2:-@@}" | sed -n 's/.*pages_per_s=\([0-9.]*\).*/\1/p' | median; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", a / b }'; }
first() { grep -F "run 1: $1" "$log" | head -1 | sed 's/^run 1: //'; }
echo
echo "extraction, median pages/s of $runs runs, one thread, $(nproc) cores, $(date +%F):"
for set in "${sets[@]}"; do
  grep -qF "run 1: $set:" "$log" || continue
  ours=$(rate ": $set:" "(")
  echo "  $(first "$set:")"
  for peer in dom_smoothie "${peers[@]}"; do
    grep -qF ": $set ($peer" "$log" || continue
    echo "  $(first "$set ($peer")"
  done
  # Truth that starts with the headline: each extractor's title and text, scored alike.
  if grep -qF "run 1: $set+title" "$log"; then
    grep -F "run 1: $set+title" "$log" | sed 's/^run 1: /  /'
  fi
  for peer in dom_smoothie "${peers[@]}"; do
    grep -qF ": $set ($peer" "$log" || continue
    theirs=$(rate ": $set ($peer")
    echo "  $set: rasd $ours pages/s, $peer $theirs pages/s, ratio $(ratio "$ours" "$theirs")x"
  done
done
