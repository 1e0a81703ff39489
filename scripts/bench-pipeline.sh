#!/usr/bin/env bash
# The whole pipeline against the Python stack a user would otherwise assemble, in the same
# run on the same files: `rasd bench pipeline` serves the shared 545 feeds and 181 pages on
# loopback and runs, alternately, Rasd (fetch, parse, extract, language, topics, sentiment,
# places, stories, alert rules, store, index) and the peer in scripts/bench_pipeline_peer.py
# (urllib + feedparser + trafilatura + langdetect + scikit-learn + SQLite FTS5), each run in
# a fresh folder and its own process, timed from its start to its exit.
#
# 1. a Python virtual environment with the peer's packages, made once under the build folder
#    ($CARGO_TARGET_DIR/bench-pipeline-venv), and the peer's models trained there (untimed);
# 2. `rasd bench pipeline --peer …` with RUNS runs of each (default 3), medians printed.
#
#   scripts/bench-pipeline.sh              # from the repository root, ../shared beside it
#   RUNS=5 scripts/bench-pipeline.sh
#   SHARED=/path/to/shared/data scripts/bench-pipeline.sh
#
# The last line: rasd_items_per_s=… python_items_per_s=… ratio=… rasd_peak_rss_mb=…
# python_peak_rss_mb=…
set -euo pipefail
cd "$(dirname "$0")/.."
target="${CARGO_TARGET_DIR:-$PWD/target}"
shared="${SHARED:-../shared/data}"
runs="${RUNS:-3}"
for need in "$shared/feeds" "$shared/extraction/pages" "$shared/sentiment/ajgt.jsonl" "$shared/real/en_goemotions_sentiment.jsonl.gz"; do
  [ -e "$need" ] || { echo "bench-pipeline: $need is missing (the shared data; set SHARED=DIR)" >&2; exit 1; }
done

venv="$target/bench-pipeline-venv"
if ! "$venv/bin/python" -c "import feedparser, trafilatura, langdetect, sklearn" 2>/dev/null; then
  echo "bench-pipeline: installing the Python stack into $venv"
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check \
    'feedparser>=6,<7' 'trafilatura>=2,<3' 'langdetect==1.0.9' 'scikit-learn>=1.4,<2' lxml_html_clean
fi
"$venv/bin/python" -c "import feedparser, trafilatura, sklearn; print('peer: feedparser', feedparser.__version__, '· trafilatura', trafilatura.__version__, '· scikit-learn', sklearn.__version__)"
models="$venv/peer-models"
if [ ! -f "$models/models.pickle" ] || [ scripts/bench_pipeline_peer.py -nt "$models/models.pickle" ]; then
  "$venv/bin/python" scripts/bench_pipeline_peer.py train "$models" "$PWD" "$shared"
fi

cargo build --release --quiet
"$target/release/rasd" bench pipeline --runs "$runs" \
  --feeds "$shared/feeds" --pages "$shared/extraction/pages" \
  --truth "$shared/extraction/ground-truth.json" \
  --peer "$venv/bin/python $PWD/scripts/bench_pipeline_peer.py run $models"
