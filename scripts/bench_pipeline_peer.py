"""The Python stack a user would otherwise assemble, as the peer of `rasd bench pipeline`.

    python bench_pipeline_peer.py train MODELS_DIR REPO_DIR SHARED_DATA_DIR
        Trains, once and untimed, a topic model (TF-IDF + one-vs-rest logistic regression on
        the repository's data/seed/topics.jsonl) and a sentiment model (TF-IDF + logistic
        regression on the shared AJGT and GoEmotions training rows), and keeps the
        gazetteer of Jordan's places from config/places.toml.

    python bench_pipeline_peer.py run MODELS_DIR SOURCES.json OUT_DIR
        The timed run: every source of SOURCES.json ([{"id", "kind", "url"}], served on
        loopback by `rasd bench pipeline`) fetched one after another with urllib; feeds read
        by feedparser, sites by their sitemap and each page by trafilatura; each item's
        language by langdetect, its topics and sentiment by the scikit-learn models, its places
        by the gazetteer; stored in SQLite with an FTS5 index of title and text, one
        transaction per source. Prints {"items": N, "stored": N, "peak_rss_kb": N} last, where
        items is every entry and page taken through the pipeline and stored the new rows.

It does not group stories or evaluate alert rules: Rasd does both in its figure.
"""

import gzip
import html
import json
import os
import re
import resource
import sqlite3
import sys
import urllib.request
import xml.etree.ElementTree as ET


def read_jsonl(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if line:
                yield json.loads(line)


def train(models, repo, shared):
    import pickle
    import tomllib

    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.multiclass import OneVsRestClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import MultiLabelBinarizer

    os.makedirs(models, exist_ok=True)
    texts, labels = [], []
    for row in read_jsonl(os.path.join(repo, "data/seed/topics.jsonl")):
        text = row.get("text") or (row.get("title", "") + " " + row.get("body", ""))
        texts.append(text)
        labels.append(row.get("topics", []))
    binarizer = MultiLabelBinarizer()
    y = binarizer.fit_transform(labels)
    topics = make_pipeline(
        TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True),
        OneVsRestClassifier(LogisticRegression(max_iter=1000)),
    )
    topics.fit(texts, y)

    texts, labels = [], []
    for row in read_jsonl(os.path.join(shared, "sentiment/ajgt.jsonl")):
        if row["id"] % 5 != 0:
            texts.append(row["text"])
            labels.append(row["label"])
    for row in read_jsonl(os.path.join(shared, "real/en_goemotions_sentiment.jsonl.gz")):
        if row.get("split") == "train" and row.get("sentiment"):
            texts.append(row["text"])
            labels.append(row["sentiment"])
    sentiment = make_pipeline(
        TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=2),
        LogisticRegression(max_iter=1000),
    )
    sentiment.fit(texts, labels)

    with open(os.path.join(repo, "config/places.toml"), "rb") as f:
        places = tomllib.load(f)
    names = {}
    for place in places.get("place", []):
        for name in [place.get("name_ar"), place.get("name_en")] + place.get("aliases", []):
            if name:
                names[name.lower()] = place["id"]
    with open(os.path.join(models, "models.pickle"), "wb") as f:
        pickle.dump({"topics": topics, "labels": list(binarizer.classes_),
                     "sentiment": sentiment, "places": names}, f)
    print(f"trained: {len(y)} topic rows, {len(texts)} sentiment rows, {len(names)} place names")


TAGS = re.compile(r"<[^>]+>")


def plain(text):
    return html.unescape(TAGS.sub(" ", text or "")).strip()


def run(models, spec, out):
    # The imports are part of the timed run, as loading Rasd's models is part of its.
    import pickle

    import feedparser
    import langdetect
    import trafilatura

    langdetect.DetectorFactory.seed = 0
    with open(os.path.join(models, "models.pickle"), "rb") as f:
        m = pickle.load(f)
    places = m["places"]
    place_re = re.compile(
        r"(?<!\w)(" + "|".join(re.escape(n) for n in sorted(places, key=len, reverse=True)) + r")(?!\w)"
    )
    with open(spec, encoding="utf-8") as f:
        sources = json.load(f)
    db = sqlite3.connect(os.path.join(out, "items.sqlite"))
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("PRAGMA synchronous = NORMAL")
    db.execute(
        "CREATE TABLE IF NOT EXISTS items (source TEXT, id TEXT, url TEXT, title TEXT, body TEXT, "
        "published TEXT, lang TEXT, topics TEXT, sentiment TEXT, places TEXT, PRIMARY KEY (source, id))"
    )
    db.execute(
        "CREATE VIRTUAL TABLE IF NOT EXISTS items_fts USING fts5(title, body, "
        "tokenize = 'unicode61 remove_diacritics 2')"
    )

    def fetch(url):
        with urllib.request.urlopen(url, timeout=30) as r:
            return r.read()

    items = stored = 0
    for source in sources:
        try:
            raw = fetch(source["url"])
        except Exception as e:  # a failing source is reported and skipped, like Rasd's
            print(f"{source['id']}: {e}", file=sys.stderr)
            continue
        entries = []
        if source["kind"] == "feed":
            parsed = feedparser.parse(raw)
            for e in parsed.entries:
                body = ""
                if e.get("content"):
                    body = e.content[0].get("value", "")
                body = plain(body or e.get("summary", ""))
                title = plain(e.get("title", ""))
                key = e.get("id") or e.get("link") or title
                entries.append((key, e.get("link", ""), title, body, e.get("published", "")))
        else:
            try:
                root = ET.fromstring(raw)
            except ET.ParseError as e:
                print(f"{source['id']}: {e}", file=sys.stderr)
                continue
            for loc in root.iter("{http://www.sitemaps.org/schemas/sitemap/0.9}loc"):
                url = (loc.text or "").strip()
                try:
                    page = fetch(url)
                except Exception as e:
                    print(f"{url}: {e}", file=sys.stderr)
                    continue
                doc = trafilatura.bare_extraction(page, url=url, with_metadata=True)
                if doc is None:
                    continue
                if not isinstance(doc, dict):
                    doc = doc.as_dict()
                entries.append((url, url, doc.get("title") or "", doc.get("text") or "",
                                doc.get("date") or ""))
        if not entries:
            continue
        # The models are called once per source, on all its items: scikit-learn's cost per
        # call is far above its cost per row.
        texts = [(title + "\n" + body).strip() for _, _, title, body, _ in entries]
        topic_probs = m["topics"].predict_proba(texts)
        sentiments = m["sentiment"].predict(texts)
        rows = []
        for (key, link, title, body, published), text, probs, sentiment in zip(
                entries, texts, topic_probs, sentiments):
            try:
                lang = langdetect.detect(text) if text else ""
            except langdetect.LangDetectException:
                lang = ""
            topics = [label for label, p in zip(m["labels"], probs) if p >= 0.5]
            found = sorted({places[n.lower()] for n in place_re.findall(text.lower())})
            rows.append((source["id"], key, link, title, body, published, lang,
                         ",".join(topics), sentiment, ",".join(found)))
        items += len(rows)
        with db:
            for row in rows:
                cur = db.execute("INSERT OR IGNORE INTO items VALUES (?,?,?,?,?,?,?,?,?,?)", row)
                if cur.rowcount == 1:
                    stored += 1
                    db.execute("INSERT INTO items_fts (rowid, title, body) VALUES (last_insert_rowid(), ?, ?)",
                               (row[3], row[4]))
    db.close()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"items": items, "stored": stored, "peak_rss_kb": peak}))


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "train":
        train(sys.argv[2], sys.argv[3], sys.argv[4])
    elif len(sys.argv) == 5 and sys.argv[1] == "run":
        run(sys.argv[2], sys.argv[3], sys.argv[4])
    else:
        sys.exit(__doc__)
