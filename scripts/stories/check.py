#!/usr/bin/env python3
"""Checks data/eval/stories/stories.jsonl: ids exist in the shared corpus, no duplicates,
clusters of at least 2 items, singletons of exactly 1, and prints the counts.

    scripts/stories/check.py [SHARED_DATA_DIR]
"""
import gzip, json, collections, os, re, sys
HERE = os.path.dirname(os.path.abspath(__file__))
SHARED = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "../../../shared/data")
ids = {}
for name in ('ar_news', 'en_news'):
    with gzip.open(os.path.join(SHARED, f'corpus/{name}.jsonl.gz'), 'rt') as f:
        ids[name] = {str(json.loads(l)['id']) for l in f}
rows = [json.loads(l) for l in open(os.path.join(HERE, '../../data/eval/stories/stories.jsonl'), encoding='utf-8')]
seen = set(); errors = 0
for r in rows:
    assert set(r) == {'src', 'id', 'story', 'note'}, r
    if r['id'] not in ids[r['src']]: print('missing id', r); errors += 1
    k = (r['src'], r['id'])
    if k in seen: print('duplicate', k); errors += 1
    seen.add(k)
    lang = 'ar' if r['src'] == 'ar_news' else 'en'
    if not re.fullmatch(lang + r'-(s-)?\d{3}', r['story']): print('bad story id', r); errors += 1
by = collections.defaultdict(list)
for r in rows: by[r['story']].append(r)
for lang in ('ar', 'en'):
    cl = {s: v for s, v in by.items() if s.startswith(lang + '-') and not s.startswith(lang + '-s-')}
    sg = {s: v for s, v in by.items() if s.startswith(lang + '-s-')}
    bad = [s for s, v in cl.items() if len(v) < 2] + [s for s, v in sg.items() if len(v) != 1]
    if bad: print('bad sizes', bad); errors += len(bad)
    hist = collections.Counter(len(v) for v in cl.values())
    print(f"{lang}: clusters={len(cl)} clustered_items={sum(len(v) for v in cl.values())} "
          f"singletons={len(sg)} total_items={sum(len(v) for v in cl.values())+len(sg)} sizes={dict(sorted(hist.items()))}")
print('rows', len(rows), 'errors', errors)
sys.exit(1 if errors else 0)
