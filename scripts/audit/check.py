#!/usr/bin/env python3
"""Checks label files of the audit set against data/eval/audit/GUIDE.md.

    scripts/audit/check.py LABELS.jsonl [BATCH.jsonl]

Every line must have exactly the guide's fields with allowed values; with a batch file, the
labels must name the batch's items, in its order, one each. Prints each fault with its line
number and a count per topic; exits 1 when a fault is found.
"""
import collections
import json
import os
import sys
import tomllib

# The topic ids are those of config/topics.toml (RASD_TOPICS names another file).
_TOPICS_FILE = os.environ.get("RASD_TOPICS") or os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "../../config/topics.toml")
with open(_TOPICS_FILE, "rb") as f:
    TOPICS = [t["id"] for t in tomllib.load(f)["topic"]]
FIELDS = {"src", "id", "topics", "about_police", "police_stance", "sentiment", "reason"}
SOURCES = {"ar_news", "en_news", "huffpost", "newsmtsc", "goemotions"}


def main():
    labels = sys.argv[1]
    batch = sys.argv[2] if len(sys.argv) > 2 else None
    faults = 0
    seen = []
    per_topic = collections.Counter()

    def fault(n, msg):
        nonlocal faults
        faults += 1
        print(f"{labels}:{n}: {msg}")

    for n, line in enumerate(open(labels, encoding="utf-8"), 1):
        if not line.strip():
            continue
        try:
            d = json.loads(line)
        except json.JSONDecodeError as e:
            fault(n, f"not JSON: {e}")
            continue
        if set(d) != FIELDS:
            fault(n, f"fields {sorted(d)} are not {sorted(FIELDS)}")
            continue
        if d["src"] not in SOURCES:
            fault(n, f"src {d['src']!r}")
        if not isinstance(d["id"], str):
            fault(n, "id must be a string")
        if not isinstance(d["topics"], list) or any(t not in TOPICS for t in d["topics"]):
            fault(n, f"topics {d['topics']!r}: use the guide's ids")
        elif len(set(d["topics"])) != len(d["topics"]):
            fault(n, "a topic is listed twice")
        if not isinstance(d["about_police"], bool):
            fault(n, "about_police must be true or false")
        if d["about_police"]:
            if d["police_stance"] not in ("approving", "critical", "neutral"):
                fault(n, "police_stance must be approving, critical or neutral")
        elif d["police_stance"] is not None:
            fault(n, "police_stance must be null when about_police is false")
        if d["sentiment"] not in ("positive", "negative", "neutral"):
            fault(n, f"sentiment {d['sentiment']!r}")
        if not isinstance(d["reason"], str) or not d["reason"].strip() or "\n" in d["reason"]:
            fault(n, "reason must be one non-empty line")
        seen.append((d.get("src"), d.get("id")))
        for t in d.get("topics") or []:
            per_topic[t] += 1
    if batch:
        want = []
        for line in open(batch, encoding="utf-8"):
            d = json.loads(line)
            want.append((d["src"], d["id"]))
        if seen != want:
            missing = [k for k in want if k not in seen]
            extra = [k for k in seen if k not in want]
            print(f"{labels}: {len(seen)} labels for {len(want)} items; missing {missing[:5]}"
                  f"{'…' if len(missing) > 5 else ''}, not in the batch {extra[:5]}; "
                  "the order must be the batch's")
            faults += 1
    print(f"{len(seen)} labels, {faults} faults; per topic: "
          + ", ".join(f"{t} {c}" for t, c in per_topic.most_common()))
    sys.exit(1 if faults else 0)


if __name__ == "__main__":
    main()
