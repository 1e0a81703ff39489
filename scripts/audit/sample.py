#!/usr/bin/env python3
"""Draws the items of the real-text audit set (see data/eval/audit/GUIDE.md).

Reads the real corpora under ../shared/data, tags every item with `rasd classify`, and draws
per topic items the tagger tags (its precision) and items it does not tag although a broad
probe of the topic's words finds them (its recall), plus items at random (what it fires on
in ordinary news and posts). Writes batches of items to label, each line with the text the
labeller reads (title and body cut at 2,000 characters): these batches are scratch files,
outside the repository, because the texts are not ours to copy. Only the labels, with the
source and id of each item, go into data/eval/audit/.

    scripts/audit/sample.py --rasd target/release/rasd --out /tmp/audit --batches 6

Deterministic: the same data, tagger and --seed draw the same items.
"""
import argparse
import gzip
import json
import os
import random
import re
import subprocess
import sys

CUT = 2000

SOURCES = {
    "ar_news": "corpus/ar_news.jsonl.gz",
    "en_news": "corpus/en_news.jsonl.gz",
    "huffpost": "real/en_huffpost_headlines.jsonl.gz",
    "newsmtsc": "real/en_newsmtsc_sentences.jsonl.gz",
    "goemotions": "real/en_goemotions_sentiment.jsonl.gz",
}

# Broad probes: words an item about the topic is likely to hold, whatever the tagger thinks.
# They only choose which items a person reads; they are not rules.
PROBES = {
    "traffic_accident": r"حادث|تصادم|دهس|انقلاب|crash|collision|run over|overturn",
    "traffic_safety": r"مخالف[ةا]ت? مرور|ساهر|السرعة|حزام الأمان|speeding|traffic (?:rule|violation|camera)|seat ?belt|drunk driv",
    "theft": r"سرق|سطو|نشل|لص|steal|stole|theft|burglar|robb",
    "drugs": r"مخدر|حشيش|كبتاجون|هيروين|drug|cocaine|heroin|marijuana|cannabis|narcotic",
    "violence": r"مشاجر|اعتداء|طعن|خطف|ضرب|assault|stab|kidnap|brawl|fight|attack",
    "homicide": r"قتل|جريمة|مقتل|murder|kill|homicide|slain",
    "domestic_violence": r"عنف أسري|العنف الأسري|تعنيف|زوجته|طفل|domestic|abuse|wife|child",
    "cybercrime_fraud": r"احتيال|نصب|ابتزاز|اختراق|تزوير|fraud|scam|hack|forg|counterfeit|ponzi",
    "gunfire": r"إطلاق نار|اطلاق نار|رصاص|سلاح|shoot|gunman|gunfire|shot|firearm|gun",
    "fire_rescue": r"حريق|الدفاع المدني|غرق|إنقاذ|انقاذ|fire|blaze|drown|rescue|trapped",
    "missing_person": r"مفقود|تغيب|اختفاء|missing|disappear|vanish",
    "protest": r"احتجاج|تظاهر|مظاهر|اعتصام|إضراب|اضراب|protest|demonstrat|strike|rally|march",
    "terrorism": r"إرهاب|ارهاب|داعش|تفجير|انتحاري|terror|bomb|isis|extremist|militant|jihad",
    "smuggling": r"تهريب|مهرب|تسلل|smuggl|trafficking|infiltrat",
    "corruption": r"فساد|رشوة|رشاوى|اختلاس|نزاهة|غسيل|corrupt|brib|embezzl|launder",
    "weather_emergency": r"سيول|أمطار|امطار|عاصفة|فيضان|ثلوج|غبار|flood|storm|hurricane|tornado|snow|cyclone|typhoon",
    "police_conduct": r"شرط[يه]|رجال الأمن|رجل أمن|police (?:brutality|officer|misconduct)|cop|officer",
    "psd_activity": r"(?:شرط[ةه]|المرور|الامن العام|الأمن العام|الدفاع المدني|مكافح[ةه] المخدرات|الدوريات)[^.]{0,80}(?:حمل[ةه] توعو|توعي[ةه]|ندو[ةه]|محاضر[ةه]|تكريم|يكرم|كرم|افتتاح|ملتقى|معرض|يدشن|دشن|تمرين|فرضي[ةه]|حفل تخريج|دور[ةه] تدريبي[ةه]|ورش[ةه])|(?:تكريم|يكرم|كرم|يدشن|دشن|افتتاح|ملتقى|معرض)[^.]{0,60}(?:شرط[ةه]|المرور|الأمن العام|الدفاع المدني|مكافح[ةه] المخدرات)|police (?:campaign|awareness|honou?r|ceremony|outreach|community|launch)|(?:honou?red|ceremony|graduat)[^.]{0,40}police",
    "earthquake": r"زلزال|زلازل|هزة أرضية|هزات|earthquake|quake|tremor|seismic",
    "structural_collapse": r"انهيار (?:مبن|منزل|عمار|سقف|جدار|جسر|رافع|بئر|مدرج|سور|بناي|جزء)|سقوط (?:رافع|سقف|جدار|مبن|الرافع)|انهار (?:مبن|منزل|سقف|جدار|جزء)|انهارت|الرافع[ةه] (?:المنكوب|التي سقطت)|تحت الأنقاض|building collaps|collapsed building|roof collaps|bridge collaps|crane (?:fell|toppl|collaps)|under the rubble",
    "explosion": r"انفجار|انفجر|تفجير|explosion|explode|blast",
    "arrest": r"القبض|ضبط|توقيف|اعتقال|arrest|detain|caught|apprehend|custody",
    "court_ruling": r"محكمة|حكم|قضاء|سجن|إعدام|court|sentenc|verdict|trial|judge|convict|jail|prison",
    "body_found": r"جثة|جثث|العثور على|body|bodies|remains|corpse",
    "vice_trafficking": r"دعارة|آداب|خمور|قمار|اتجار بالبشر|الاتجار|prostitut|trafficking|brothel|gambling|vice",
    "customs_seizure": r"جمارك|الجمارك|منفذ|ميناء|customs|seiz|contraband",
    "bites_poisoning": r"تسمم|لدغ|عقرب|أفعى|كلب|poison|bite|bitten|snake|shark|dog attack|carbon monoxide",
}


# Narrower probes for a second draw, for topics that the first left with few positives
# (`--narrow topic=N,...`): most of their hits are about the topic. "police" draws items that
# name Jordan beside a police word, for the police flag.
NARROW = {
    "vice_trafficking": r"دعار|منافي[ةه] للآداب|الآداب العامة|الاتجار بالبشر|الاتجار بالأشخاص|خمور|مسكرات|قمار|prostitut|sex traffick|human traffick|brothel|gambling den|illegal gambling|forced labou?r",
    "explosion": r"انفجار (?:[اأ]سطوان|غاز|مصنع|صهريج|لغم|خزان|مستودع)|انفجرت|[اأ]لعاب نارية|gas explosion|explosion at|blast at|exploded|fireworks|unexploded",
    "body_found": r"(?:العثور|عثر|عثرت|انتشال|انتشلت)[^.]{0,30}جث[ةه]|جث[ةه] (?:متحلل|مجهول|[اإ]مر[اأ][ةه]|شاب|طفل|رجل)|found dead|body (?:was|has been|of a \w+ (?:was|has been)) (?:found|discovered|recovered)|bodies (?:were )?found|remains (?:were|have been) found",
    "structural_collapse": r"انهيار (?:مبن|منزل|عمار|سقف|جدار|جسر|رافع|بئر|مدرج|سور)|سقوط (?:رافع|سقف|جدار|مبن)|انهار (?:مبن|منزل|سقف|جدار|جزء)|collaps|crane (?:fell|toppl)",
    "customs_seizure": r"الجمارك|جمرك|customs",
    "psd_activity": r"(?:شرط[ةه]|المرور|الامن العام|الأمن العام|الدفاع المدني|مكافح[ةه] المخدرات)[^.]{0,60}(?:حمل[ةه] توعو|توعي[ةه]|ندو[ةه]|محاضر[ةه]|تكريم|يكرم|كرم|افتتاح|ملتقى|معرض|يدشن|دشن)|police (?:campaign|awareness|honou?r|ceremony|outreach|community)",
    "theft": r"سرق|سطو|لصوص|نشال|robber|robbed|burglar|stole|theft|heist|shoplift|thief|thieves",
    "corruption": r"فساد|رشو[ةه]|رشاوى|اختلاس|نزاه[ةه]|غسل الأموال|غسيل الأموال|brib|corrupt|embezzl|money launder|kickback",
    "traffic_safety": r"مخالف(?:[ةه]|ات) مروري|ساهر|السرع[ةه] الزائد|قطع الإشار|حزام الأمان|التفحيط|السلام[ةه] المروري|أثناء القياد|speeding|traffic (?:violation|ticket|safety|rule|law)|seat ?belt|drunk driv|texting while driving|red[- ]light camera|\bdui\b",
    "bites_poisoning": r"تسمم|لدغ|عقرب|ثعبان|[اأ]فعى|عض[ةه] كلب|كلاب ضال|poison|bitten|snake ?bite|shark|dog attack|mauled|stung|carbon monoxide|alligator|bear attack",
    "domestic_violence": r"عنف [اأ]سري|العنف الأسري|تعنيف|[اإ]يذاء|ضرب زوجت|domestic (?:violence|abuse)|child abuse|abused|killed (?:his|her) (?:wife|husband|daughter|son|mother|father|child|baby)",
    "missing_person": r"مفقود|تغيب|اختفاء|missing|disappear|vanish",
    "police_conduct": r"تعذيب|[اإ]ساء[ةه] معامل|تجاوزات رجال|رجال الأمن[^.]{0,40}(?:شكر|إشاد|يشيد)|police brutality|police shooting|excessive force|body ?cam|died in (?:police )?custody|officer (?:fired|suspended|charged|indicted|acquitted)|\bcops?\b",
    "traffic_accident": r"حادث (?:مروري|سير|تصادم|انقلاب)|تصادم|دهس|انقلاب (?:سيار|مركب|حافل)|crash|collision|run over|hit by a car|car accident|hit-and-run",
    "drugs": r"مخدر|حشيش|كبتاجون|هيروين|كوكايين|ترامادول|drug|cocaine|heroin|marijuana|opioid|\bmeth",
    "cybercrime_fraud": r"احتيال|نصب|ابتزاز|اختراق|تزوير|مزور|هاكر|fraud|scam|hack|ponzi|identity theft|phishing|counterfeit",
    "weather_emergency": r"سيول|[اأ]مطار غزير|عاصف[ةه]|فيضان|ثلوج|جرف|flood|storm|hurricane|tornado|blizzard|cyclone|typhoon",
    "smuggling": r"تهريب|مهرب|تسلل|smuggl|contraband",
    "protest": r"احتجاج|تظاهر|مظاهر[ةه]|اعتصام|[اإ]ضراب|protest|demonstrat|strike|rally",
    "earthquake": r"زلزال|زلازل|هز[ةه] [اأ]رضي|earthquake|quake|tremor",
    "police": r"(?:الأردن|الاردن|[اأ]ردني|jordan)[^\n]{0,300}(?:شرط|الأمن العام|الامن العام|الدرك|الدفاع المدني|مكافح[ةه] المخدرات|police|gendarmerie|civil defen[cs]e)|(?:شرط|الأمن العام|الدرك|الدفاع المدني|police)[^\n]{0,300}(?:الأردن|الاردن|[اأ]ردني|jordan)",
}


def load(root, key, path):
    with gzip.open(os.path.join(root, path), "rt", encoding="utf-8") as f:
        for line in f:
            row = json.loads(line)
            title = row.get("title") or ""
            body = row.get("body") if "body" in row else row.get("text") or ""
            yield {"src": key, "id": str(row["id"]), "title": title, "body": (body or "")[:CUT]}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rasd", required=True, help="the rasd binary")
    ap.add_argument("--data", default=os.path.join(os.path.dirname(__file__), "../../../shared/data"))
    ap.add_argument("--out", required=True, help="scratch folder for the batches (outside the repo)")
    ap.add_argument("--tagged", type=int, default=25, help="tagged items drawn per topic")
    ap.add_argument("--untagged", type=int, default=25, help="probe hits not tagged, per topic")
    ap.add_argument("--random", type=int, default=250, help="items drawn at random")
    ap.add_argument("--batches", type=int, default=6)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--skip", help="a file of src:id already labelled, left out of the draw")
    ap.add_argument("--narrow", help="a second draw: topic=N,... items hit by the NARROW probes")
    args = ap.parse_args()
    rng = random.Random(args.seed)
    os.makedirs(args.out, exist_ok=True)

    items = []
    for key, path in SOURCES.items():
        items.extend(load(args.data, key, path))
    # The tagger on every item.
    tags = {}
    inp = "\n".join(json.dumps({"id": f"{it['src']}:{it['id']}", "title": it["title"],
                                "body": it["body"]}, ensure_ascii=False) for it in items)
    out = subprocess.run([args.rasd, "classify", "-"], input=inp.encode(), capture_output=True,
                         check=True).stdout.decode()
    for line in out.splitlines():
        r = json.loads(line)
        tags[r["id"]] = r.get("topics") or []
    skip = set()
    if args.skip:
        skip = {l.strip() for l in open(args.skip, encoding="utf-8") if l.strip()}

    chosen = {}

    def take(pool, n, why):
        pool = [it for it in pool if f"{it['src']}:{it['id']}" not in chosen
                and f"{it['src']}:{it['id']}" not in skip]
        for it in rng.sample(pool, min(n, len(pool))):
            chosen[f"{it['src']}:{it['id']}"] = (it, why)

    # Sentiment-only sets: fewer items, drawn at random below.
    topical = [it for it in items if it["src"] in ("ar_news", "en_news", "huffpost")]
    if args.narrow:
        # Probe hits whatever the tagger says, so both its precision and its recall show.
        for spec in args.narrow.split(","):
            topic, n = spec.split("=")
            rx = re.compile(NARROW[topic], re.I)
            take([it for it in topical if rx.search(it["title"] + " " + it["body"])],
                 int(n), f"narrow {topic}")
        args.random = 0
    for topic, probe in ({} if args.narrow else PROBES).items():
        rx = re.compile(probe, re.I)
        tagged = [it for it in topical if topic in tags.get(f"{it['src']}:{it['id']}", [])]
        hits = [it for it in topical if topic not in tags.get(f"{it['src']}:{it['id']}", [])
                and rx.search(it["title"] + " " + it["body"])]
        take(tagged, args.tagged, f"tagged {topic}")
        take(hits, args.untagged + max(0, args.tagged - len(tagged)), f"probe {topic}")
    by_src = {}
    for it in items:
        by_src.setdefault(it["src"], []).append(it)
    shares = {"ar_news": 0.4, "en_news": 0.2, "huffpost": 0.15, "newsmtsc": 0.125, "goemotions": 0.125}
    for src, share in shares.items():
        if args.random:
            take(by_src[src], round(args.random * share), "random")

    keys = sorted(chosen)
    rng.shuffle(keys)
    # The labeller sees the text only: why an item was drawn and what the tagger said are
    # kept apart (drawn.jsonl), so that they do not lead the labels.
    with open(os.path.join(args.out, "drawn.jsonl"), "w", encoding="utf-8") as d:
        for k in keys:
            d.write(json.dumps({"key": k, "drawn": chosen[k][1], "tagger": tags.get(k, [])}) + "\n")
    for b in range(args.batches):
        with open(os.path.join(args.out, f"batch-{b + 1}.jsonl"), "w", encoding="utf-8") as f:
            for k in keys[b::args.batches]:
                it, _ = chosen[k]
                f.write(json.dumps({"src": it["src"], "id": it["id"], "title": it["title"],
                                    "body": it["body"]}, ensure_ascii=False) + "\n")
    print(f"{len(keys)} items in {args.batches} batches under {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
