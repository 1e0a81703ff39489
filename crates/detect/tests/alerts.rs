//! The alert rules on a real store and search index, with a simulated clock: one alert per
//! story, none for a wire copy of one owner, waves per governorate, quiet hours, the daily
//! cap and its summary, escalation, queries, and archives that raise nothing.

use std::path::Path;

use chrono::{DateTime, Duration, TimeZone as _, Utc};
use rasd_core::{Config, Item};
use rasd_detect::{AlertEngine, StoryKeeper};
use rasd_search::SearchIndex;
use rasd_store::{AlertFilter, Delivery, Store};

mod common;
use common::{PLACES, TOPICS, item, tagged};

/// Six outlets: three of one owner (a wire service and its sister sites), three on their own.
const SOURCES: &str = r#"
[[source]]
id = "petra"
name = "Petra"
kind = "feed"
url = "https://petra.example.jo/rss"
owner = "state"

[[source]]
id = "alrai"
name = "Alrai"
kind = "feed"
url = "https://alrai.example.jo/rss"
owner = "state"

[[source]]
id = "jtv"
name = "JTV"
kind = "feed"
url = "https://jtv.example.jo/rss"
owner = "state"

[[source]]
id = "roya"
name = "Roya"
kind = "feed"
url = "https://roya.example.jo/rss"

[[source]]
id = "ammonnews"
name = "Ammon"
kind = "feed"
url = "https://ammonnews.example.jo/rss"

[[source]]
id = "khaberni"
name = "Khaberni"
kind = "feed"
url = "https://khaberni.example.jo/rss"
"#;

const RASD: &str = r#"
[mail]
enabled = true
smtp_host = "127.0.0.1"
from = "rasd@example.jo"
security = "none"

[alerts]
recipients = ["leader@example.jo"]
escalate_to = ["duty@example.jo"]
escalate_after = "30m"
daily_cap = 3
"#;

fn config_with(rasd: &str, alerts: &str) -> Config {
    Config::from_texts(Path::new("cfg"), [rasd, SOURCES, TOPICS, PLACES, alerts])
        .unwrap_or_else(|e| panic!("{e}"))
}

/// 09:00 on a Sunday in Amman.
fn t0() -> DateTime<Utc> {
    chrono_tz::Asia::Amman
        .with_ymd_and_hms(2026, 11, 29, 9, 0, 0)
        .unwrap()
        .with_timezone(&Utc)
}

/// A Karak bus crash, told differently by each outlet.
const CRASH_TITLES: [&str; 6] = [
    "وفاة 3 وإصابة 14 بتدهور حافلة قرب القطرانة",
    "3 وفيات و14 إصابة بتدهور حافلة ركاب على الطريق الصحراوي قرب القطرانة",
    "تدهور حافلة قرب القطرانة: 3 وفيات و14 إصابة",
    "حادث تدهور حافلة قرب القطرانة يودي بحياة 3 ويصيب 14",
    "الدفاع المدني: 3 وفيات و14 إصابة بتدهور حافلة قرب القطرانة",
    "بالأسماء.. 3 وفيات و14 إصابة في تدهور حافلة قرب القطرانة",
];
const CRASH_BODY: &str = "توفي ثلاثة أشخاص وأصيب أربعة عشر آخرون إثر تدهور حافلة ركاب قادمة من العقبة على الطريق الصحراوي قرب القطرانة في محافظة الكرك فجر اليوم، ونقل المصابون إلى مستشفى الكرك الحكومي.";

fn crash(source: &str, n: u32, at: DateTime<Utc>) -> Item {
    tagged(
        item(source, n, at, CRASH_TITLES[n as usize % 6], CRASH_BODY),
        &["traffic_accident"],
        &["karak"],
    )
}

/// A store, its index and story keeper, and the engine, fed as the pipeline feeds them.
struct World {
    store: Store,
    index: SearchIndex,
    keeper: StoryKeeper,
    engine: AlertEngine,
}

impl World {
    fn new(config: &Config) -> World {
        let store = Store::open_test();
        let keeper = StoryKeeper::open(&store, config).unwrap();
        World {
            index: SearchIndex::create_in_ram().unwrap(),
            keeper,
            engine: AlertEngine::new(config),
            store,
        }
    }

    /// Stores, indexes and gives stories to `items`, then runs the rules at `now`.
    fn arrive(&mut self, items: &[Item], now: DateTime<Utc>) -> rasd_detect::AlertRun {
        self.store.upsert_items(items).unwrap();
        let mut w = self.index.writer().unwrap();
        w.index_items(items).unwrap();
        w.commit().unwrap();
        self.index.reload().unwrap();
        self.keeper.catch_up(&self.store).unwrap();
        self.engine.catch_up(&self.store, &self.index, now).unwrap()
    }

    fn alerts(&self) -> Vec<rasd_store::AlertRecord> {
        self.store.alerts_list(&AlertFilter::default()).unwrap()
    }

    fn outbox(&self) -> Vec<Delivery> {
        self.store.deliveries(&[]).unwrap()
    }
}

const BREAKING: &str = r#"
[[rule]]
id = "breaking"
name = "خبر عاجل / Breaking"
breaking = true
window = "6h"
channels = ["email"]
"#;

#[test]
fn a_breaking_story_raises_one_alert_and_later_items_thread_into_it() {
    let config = config_with(RASD, BREAKING);
    let mut w = World::new(&config);
    let t = t0();
    // Two owners: not breaking yet.
    let run = w.arrive(
        &[
            crash("petra", 0, t),
            crash("roya", 1, t + Duration::minutes(10)),
        ],
        t + Duration::minutes(11),
    );
    assert_eq!(run.opened, 0, "{run:?}");
    // The third owner within two hours makes it breaking: one alert in this very cycle.
    let run = w.arrive(
        &[crash("ammonnews", 2, t + Duration::minutes(40))],
        t + Duration::minutes(41),
    );
    assert_eq!((run.opened, run.queued), (1, 1), "{run:?}");
    let alerts = w.alerts();
    assert_eq!(alerts.len(), 1);
    let a = &alerts[0];
    assert_eq!((a.items, a.owners), (3, 3), "{a:?}");
    assert_eq!(a.places, vec!["karak".to_string()]);
    assert_eq!(a.opened_at, t + Duration::minutes(41));
    // Later copies thread in: no second alert, no second message.
    let run = w.arrive(
        &[
            crash("khaberni", 3, t + Duration::minutes(70)),
            crash("alrai", 4, t + Duration::minutes(75)),
        ],
        t + Duration::minutes(76),
    );
    assert_eq!((run.opened, run.threaded, run.queued), (0, 2, 0), "{run:?}");
    let alerts = w.alerts();
    assert_eq!(alerts.len(), 1);
    assert_eq!(
        (alerts[0].items, alerts[0].owners, alerts[0].outlets),
        (5, 4, 5)
    );
    let out = w.outbox();
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].recipient, "leader@example.jo");
    assert_eq!(
        out[0].key,
        format!("alert:{}:email:leader@example.jo", alerts[0].id)
    );
    assert!(out[0].subject.contains("تدهور حافلة"), "{}", out[0].subject);
    assert!(
        out[0].body_text.contains("الكرك (Karak)"),
        "{}",
        out[0].body_text
    );
    assert!(
        out[0]
            .body_text
            .contains(&format!("rasd alerts ack {}", alerts[0].id))
    );
    // Evaluating again reads nothing new.
    let again = w
        .engine
        .catch_up(&w.store, &w.index, t + Duration::minutes(80))
        .unwrap();
    assert_eq!(again.items, 0);
}

#[test]
fn a_wire_copy_on_four_sites_of_one_owner_raises_nothing() {
    let rules = r#"
[[rule]]
id = "accidents"
name = "Accidents"
topics = ["traffic_accident"]
min_items = 2
min_outlets = 2
window = "3h"
channels = ["email"]
"#;
    for alerts in [BREAKING, rules] {
        let config = config_with(RASD, alerts);
        let mut w = World::new(&config);
        let t = t0();
        let copies: Vec<Item> = ["petra", "alrai", "jtv"]
            .iter()
            .enumerate()
            .map(|(k, s)| {
                let mut i = crash(s, 0, t + Duration::minutes(k as i64 * 5));
                i.url = format!("https://{s}.example.jo/wire");
                i.id = rasd_core::item_id_for_url(&i.url);
                i
            })
            .collect();
        let run = w.arrive(&copies, t + Duration::minutes(20));
        assert_eq!(run.opened, 0, "{alerts}: {run:?}");
        assert!(w.alerts().is_empty());
        assert!(w.outbox().is_empty());
    }
}

#[test]
fn quiet_days_and_old_archives_raise_nothing() {
    let config = config_with(RASD, BREAKING);
    let mut w = World::new(&config);
    let t = t0();
    // A quiet day: unrelated items, one per outlet.
    let quiet: Vec<Item> = [
        (
            "petra",
            "افتتاح معرض عمان للكتاب",
            "افتتح وزير الثقافة معرض الكتاب بمشاركة دور نشر عربية وأجنبية.",
        ),
        (
            "roya",
            "ارتفاع درجات الحرارة نهاية الأسبوع",
            "تتوقع الأرصاد الجوية أجواء دافئة وارتفاعا في درجات الحرارة.",
        ),
        (
            "ammonnews",
            "فوز الفيصلي على الوحدات في الدوري",
            "حقق الفيصلي فوزا مستحقا بهدفين نظيفين في قمة الجولة العاشرة.",
        ),
        (
            "khaberni",
            "تمديد التسجيل في منح الجامعات",
            "أعلنت وزارة التعليم العالي تمديد فترة تقديم طلبات المنح والقروض.",
        ),
    ]
    .iter()
    .enumerate()
    .map(|(k, (s, title, body))| item(s, k as u32, t + Duration::hours(k as i64), title, body))
    .collect();
    assert_eq!(w.arrive(&quiet, t + Duration::hours(5)).opened, 0);
    // An archive loaded today: a story that was breaking a month ago raises nothing now.
    let old = t - Duration::days(30);
    let archive: Vec<Item> = ["petra", "roya", "ammonnews", "khaberni"]
        .iter()
        .enumerate()
        .map(|(k, s)| crash(s, k as u32 + 10, old + Duration::minutes(k as i64 * 10)))
        .collect();
    let run = w.arrive(&archive, t + Duration::hours(6));
    assert_eq!(run.opened, 0, "{run:?}");
    assert!(w.alerts().is_empty());
}

/// Separate thefts, each told in its own words: each is its own story.
const THEFTS: [(&str, &str); 9] = [
    (
        "سرقة محل مجوهرات في شارع الجيش",
        "اقتحم لصان ملثمان محل مجوهرات فجرا واستوليا على مصاغ ذهبي قبل أن يلوذا بالفرار بمركبة.",
    ),
    (
        "سطو على صيدلية والاستيلاء على مبلغ مالي",
        "أقدم شخص مسلح بأداة حادة على تهديد الصيدلاني وأخذ ما في الصندوق من نقود ثم هرب راجلا.",
    ),
    (
        "سرقة مركبة من أمام منزل صاحبها",
        "أبلغ مواطن عن فقدان سيارته من نوع بيك أب كانت متوقفة أمام بيته طوال الليل.",
    ),
    (
        "القبض على نشال في سوق الخضار",
        "ضبط أفراد البحث الجنائي شابا يسرق الهواتف من جيوب المتسوقين في السوق المركزي المزدحم.",
    ),
    (
        "سرقة كوابل كهرباء من مشروع إسكان",
        "فقد مقاول كميات من أسلاك النحاس المخزنة في موقع بناء مجمع سكني قيد الإنشاء.",
    ),
    (
        "سرقة أغنام من حظيرة في البادية",
        "شكا مربي ماشية اختفاء عشرين رأسا من قطيعه بعد أن كسر مجهولون قفل الحظيرة ليلا.",
    ),
    (
        "اختلاس من خزنة شركة صرافة",
        "اكتشف مدير شركة صرافة نقصا كبيرا في الخزنة وتبين أن موظفا حوّل المبالغ لحسابه.",
    ),
    (
        "سرقة دراجات نارية من معرض",
        "خلع مجهولون باب معرض للدراجات النارية وسحبوا ثلاث دراجات جديدة إلى شاحنة صغيرة.",
    ),
    (
        "سرقة حقيبة سائحة في وسط البلد",
        "خطف شاب على دراجة حقيبة يد من سائحة أجنبية تحمل جواز سفرها ونقودها ثم اختفى بين الأزقة.",
    ),
];

fn theft(source: &str, n: u32, at: DateTime<Utc>, place: &str) -> Item {
    let (title, body) = THEFTS[n as usize % THEFTS.len()];
    tagged(item(source, n, at, title, body), &["theft"], &[place])
}

#[test]
fn a_wave_of_separate_incidents_raises_one_alert_per_governorate_per_window() {
    let rules = r#"
[[rule]]
id = "wave"
name = "موجة سرقات / Theft wave"
topics = ["theft"]
per = "place"
min_items = 3
min_outlets = 2
window = "6h"
severity = "low"
channels = ["email"]
"#;
    let config = config_with(RASD, rules);
    let mut w = World::new(&config);
    let t = t0();
    let run = w.arrive(
        &[
            theft("roya", 1, t, "zarqa"),
            theft("ammonnews", 2, t + Duration::hours(1), "zarqa"),
            theft("roya", 3, t + Duration::hours(1), "karak"),
        ],
        t + Duration::hours(1),
    );
    assert_eq!(
        run.opened, 0,
        "two incidents in Zarqa are not a wave of three"
    );
    let run = w.arrive(
        &[theft("khaberni", 4, t + Duration::hours(2), "zarqa")],
        t + Duration::hours(2),
    );
    assert_eq!(run.opened, 1, "{run:?}");
    let run = w.arrive(
        &[theft("petra", 5, t + Duration::hours(3), "zarqa")],
        t + Duration::hours(3),
    );
    assert_eq!(
        (run.opened, run.threaded),
        (0, 1),
        "the fourth threads into the open wave"
    );
    let a = &w.alerts()[0];
    assert_eq!((a.place.as_deref(), a.items), (Some("zarqa"), 4));
    // A day later, a new wave is a new alert.
    let later = t + Duration::days(1);
    let run = w.arrive(
        &[
            theft("roya", 6, later, "zarqa"),
            theft("ammonnews", 7, later, "zarqa"),
            theft("khaberni", 8, later, "zarqa"),
        ],
        later,
    );
    assert_eq!(run.opened, 1, "{run:?}");
    assert_eq!(w.alerts().len(), 2);
}

/// A civil-defence drill with a school bus in Karak: not an incident.
fn drill(t: DateTime<Utc>) -> Item {
    tagged(
        item(
            "roya",
            9,
            t,
            "تمرين وهمي لإخلاء حافلة مدرسية",
            "نفذ الدفاع المدني تمرينا وهميا لإخلاء حافلة مدرسية في الكرك.",
        ),
        &[],
        &["karak"],
    )
}

#[test]
fn a_query_rule_counts_only_matching_items() {
    let rules = r#"
[[rule]]
id = "bus"
name = "Bus"
query = "حافلة -تمرين"
channels = ["email"]
"#;
    let config = config_with(RASD, rules);
    let mut w = World::new(&config);
    let t = t0();
    let drill = drill(t);
    let run = w.arrive(&[drill, crash("ammonnews", 1, t)], t + Duration::minutes(5));
    assert_eq!((run.hits, run.opened), (1, 1), "{run:?}");
}

#[test]
fn a_rule_with_a_saved_search_counts_what_the_search_finds_and_the_digest_lists_it() {
    let rules = r#"
[[rule]]
id = "karak-bus"
name = "Karak buses"
saved_search = "حافلات الكرك"
channels = ["email"]

[[rule]]
id = "gone"
name = "Names a search nobody saved"
saved_search = "لا يوجد"
channels = ["email"]
"#;
    let rasd = format!("{RASD}\n[digest]\nsaved_searches = [\"حافلات الكرك\", \"لا يوجد\"]\n");
    let config = config_with(&rasd, rules);
    let mut w = World::new(&config);
    let mut filters = std::collections::BTreeMap::new();
    filters.insert("place".to_string(), vec!["karak".to_string()]);
    w.store
        .save_search("حافلات الكرك", "حافلة -تمرين", &filters, None, t0())
        .unwrap();
    let t = t0();
    let drill = drill(t);
    let elsewhere = tagged(
        item(
            "khaberni",
            7,
            t,
            "تدهور حافلة في إربد",
            "تدهورت حافلة في إربد دون إصابات.",
        ),
        &["traffic_accident"],
        &["irbid"],
    );
    let run = w.arrive(
        &[drill, elsewhere, crash("ammonnews", 1, t)],
        t + Duration::minutes(5),
    );
    assert_eq!(
        (run.hits, run.opened),
        (1, 1),
        "only the Karak crash: {run:?}"
    );
    let alerts = w.alerts();
    assert_eq!(alerts.len(), 1);
    assert_eq!(alerts[0].rule, "karak-bus");
    // The digest of the day has a section per saved search.
    let day = t.with_timezone(&chrono_tz::Asia::Amman).date_naive();
    let digest = rasd_detect::build_digest(&w.store, Some(&w.index), &config, day).unwrap();
    assert_eq!(digest.saved.len(), 2);
    assert_eq!(digest.saved[0].name, "حافلات الكرك");
    assert_eq!(digest.saved[0].total, 1);
    assert!(digest.saved[0].items[0].title.contains("القطرانة"));
    assert_eq!(digest.saved[0].query, "حافلة -تمرين · place=karak");
    assert!(
        digest.saved[1].problem.is_some(),
        "a missing search says so"
    );
}

#[test]
fn a_saved_search_named_like_another_rules_query_is_still_its_own_search() {
    // Rule "bus" searches the words حافلة; rule "drills" names a saved search called حافلة
    // that finds drills. Each counts what its own search finds.
    let rules = r#"
[[rule]]
id = "bus"
name = "Bus"
query = "حافلة -تمرين"
channels = ["email"]

[[rule]]
id = "drills"
name = "Drills"
saved_search = "حافلة -تمرين"
channels = ["email"]
"#;
    let config = config_with(RASD, rules);
    let mut w = World::new(&config);
    let t = t0();
    w.store
        .save_search("حافلة -تمرين", "تمرين", &Default::default(), None, t)
        .unwrap();
    w.arrive(
        &[drill(t), crash("ammonnews", 1, t)],
        t + Duration::minutes(5),
    );
    let mut alerts: Vec<(String, String)> =
        w.alerts().into_iter().map(|a| (a.rule, a.title)).collect();
    alerts.sort();
    assert_eq!(alerts.len(), 2, "{alerts:?}");
    assert_eq!(alerts[0].0, "bus");
    assert!(alerts[0].1.contains("القطرانة"), "{alerts:?}");
    assert_eq!(alerts[1].0, "drills");
    assert!(alerts[1].1.contains("تمرين"), "{alerts:?}");
}

#[test]
fn quiet_hours_hold_all_but_critical_until_their_end() {
    let rasd = format!("{RASD}quiet_hours = \"22:00-07:00\"\n");
    let rules = r#"
[[rule]]
id = "accidents"
name = "Accidents"
topics = ["traffic_accident"]
severity = "high"
channels = ["email"]

[[rule]]
id = "accidents-critical"
name = "Accidents (critical)"
topics = ["traffic_accident"]
severity = "critical"
channels = ["email"]
"#;
    let config = config_with(&rasd, rules);
    let mut w = World::new(&config);
    // 02:30 in Amman.
    let night = chrono_tz::Asia::Amman
        .with_ymd_and_hms(2026, 11, 30, 2, 30, 0)
        .unwrap()
        .with_timezone(&Utc);
    w.arrive(&[crash("roya", 1, night)], night);
    let out = w.outbox();
    assert_eq!(out.len(), 2);
    let seven = chrono_tz::Asia::Amman
        .with_ymd_and_hms(2026, 11, 30, 7, 0, 0)
        .unwrap()
        .with_timezone(&Utc);
    for d in &out {
        if d.subject.contains("critical") {
            assert_eq!(d.next_at, night, "critical goes at once");
        } else {
            assert_eq!(d.next_at, seven, "the rest wait for 07:00");
            assert!(d.note.as_deref().unwrap_or("").contains("quiet hours"));
        }
    }
    assert_eq!(w.store.due_deliveries(night, 10).unwrap().len(), 1);
}

#[test]
fn the_daily_cap_holds_back_the_rest_and_summarises_them_after_the_day() {
    let rules = r#"
[[rule]]
id = "thefts"
name = "Thefts"
topics = ["theft"]
severity = "low"
channels = ["email"]

[[rule]]
id = "accidents"
name = "Accidents"
topics = ["traffic_accident"]
severity = "critical"
channels = ["email"]
"#;
    let config = config_with(RASD, rules);
    let mut w = World::new(&config);
    let t = t0();
    for n in 0..5 {
        let at = t + Duration::minutes(n * 20);
        w.arrive(&[theft("roya", n as u32, at, "zarqa")], at);
    }
    w.arrive(
        &[crash("ammonnews", 1, t + Duration::hours(2))],
        t + Duration::hours(2),
    );
    let out = w.outbox();
    let state = |s: &str| out.iter().filter(|d| d.state == s).count();
    assert_eq!(
        (state("queued"), state("capped")),
        (4, 2),
        "cap 3, the critical one passes"
    );
    assert!(
        out.iter()
            .any(|d| d.subject.contains("critical") && d.state == "queued")
    );
    // Nothing is summarised while the day lasts.
    assert_eq!(
        w.engine
            .housekeeping(&w.store, t + Duration::hours(5))
            .unwrap(),
        0
    );
    // After midnight, one summary lists the two held back.
    let next_day = t + Duration::hours(16);
    let queued = w.engine.housekeeping(&w.store, next_day).unwrap();
    assert_eq!(queued, 1);
    let out = w.outbox();
    let summary = out.iter().find(|d| d.kind == "summary").unwrap();
    assert_eq!(summary.recipient, "leader@example.jo");
    assert_eq!(
        summary.body_text.matches("\n- ").count(),
        2,
        "{}",
        summary.body_text
    );
    assert_eq!(out.iter().filter(|d| d.state == "summarized").count(), 2);
    assert_eq!(
        w.engine.housekeeping(&w.store, next_day).unwrap(),
        0,
        "once"
    );
}

#[test]
fn an_alert_nobody_acknowledges_escalates_once_and_an_acknowledged_one_does_not() {
    let rules = r#"
[[rule]]
id = "accidents"
name = "Accidents"
topics = ["traffic_accident"]
channels = ["email"]
"#;
    let config = config_with(RASD, rules);
    let mut w = World::new(&config);
    let t = t0();
    w.arrive(&[crash("roya", 1, t)], t);
    let other = tagged(
        item(
            "ammonnews",
            2,
            t,
            "حادث دهس على طريق الزرقاء الأوتوستراد",
            "أصيب شاب بجروح متوسطة إثر حادث دهس على الطريق الأوتوستراد في الزرقاء مساء أمس.",
        ),
        &["traffic_accident"],
        &["zarqa"],
    );
    w.arrive(&[other], t);
    let alerts = w.alerts();
    assert_eq!(alerts.len(), 2, "two separate accidents");
    let first = alerts.iter().map(|a| a.id).min().unwrap();
    // Not sent yet: no escalation clock.
    assert_eq!(
        w.engine
            .housekeeping(&w.store, t + Duration::hours(2))
            .unwrap(),
        0
    );
    for d in w.outbox() {
        w.store
            .delivery_sent(d.id, t + Duration::minutes(1))
            .unwrap();
    }
    assert_eq!(
        w.engine
            .housekeeping(&w.store, t + Duration::minutes(20))
            .unwrap(),
        0
    );
    // One of the two is acknowledged in time.
    let second = alerts.iter().map(|a| a.id).max().unwrap();
    w.store
        .acknowledge_alert(second, "nadia", t + Duration::minutes(25))
        .unwrap();
    let n = w
        .engine
        .housekeeping(&w.store, t + Duration::minutes(32))
        .unwrap();
    let escalations: Vec<Delivery> = w
        .outbox()
        .into_iter()
        .filter(|d| d.kind == "escalation")
        .collect();
    assert_eq!((n, escalations.len()), (1, 1));
    assert!(
        escalations
            .iter()
            .all(|d| d.recipient == "duty@example.jo" && d.alert == Some(first))
    );
    assert!(
        escalations[0].subject.contains("escalation"),
        "{}",
        escalations[0].subject
    );
    assert_eq!(
        w.engine
            .housekeeping(&w.store, t + Duration::hours(3))
            .unwrap(),
        0,
        "once"
    );
}
