//! Trends on a real store: a burst of separate accidents in one governorate stands out
//! against 14 quiet days; one report copied by six outlets does not (stories, not copies);
//! a calendar period is judged against its own days or against ordinary days; a rule with
//! `trending = true` fires on the burst.

use std::path::Path;

use chrono::{DateTime, Duration, Utc};
use rasd_core::{Config, Item};
use rasd_detect::{AlertEngine, Granularity, StoryKeeper, trends_in};
use rasd_search::SearchIndex;
use rasd_store::Store;

mod common;
use common::{PLACES, TOPICS, tagged};

fn config(rasd: &str, alerts: &str) -> Config {
    Config::from_texts(Path::new("cfg"), [rasd, "", TOPICS, PLACES, alerts])
        .unwrap_or_else(|e| panic!("{e}"))
}

fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-29T12:00:00+03:00")
        .unwrap()
        .with_timezone(&Utc)
}

/// Made-up words, so that each accident is its own story.
fn words(seed: &mut u64, n: usize) -> String {
    const LETTERS: &[char] = &[
        'ب', 'ت', 'ج', 'د', 'ر', 'س', 'ش', 'ص', 'ع', 'ف', 'ق', 'ك', 'ل', 'م', 'ن', 'ه', 'و', 'ي',
    ];
    (0..n)
        .map(|_| {
            (0..5)
                .map(|_| {
                    *seed ^= *seed << 13;
                    *seed ^= *seed >> 7;
                    *seed ^= *seed << 17;
                    LETTERS[(*seed % LETTERS.len() as u64) as usize]
                })
                .collect::<String>()
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn accident(source: &str, n: u32, at: DateTime<Utc>, place: &str, seed: &mut u64) -> Item {
    tagged(
        common::item(
            source,
            n,
            at,
            &format!("حادث {}", words(seed, 4)),
            &format!("{} حادث {}", words(seed, 20), words(seed, 20)),
        ),
        &["traffic_accident"],
        &[place],
    )
}

/// 14 quiet days (one accident a day in Zarqa), then in the last 24 hours five separate
/// accidents in Karak from five outlets and one Zarqa report copied by six outlets.
fn fill(store: &Store, config: &Config, burst: bool) {
    let mut seed = 0x2545_f491_4f6c_dd1d_u64;
    let mut items = Vec::new();
    for d in 1..=14 {
        items.push(accident(
            "roya",
            100 + d,
            now() - Duration::days(i64::from(d)) + Duration::hours(1),
            "zarqa",
            &mut seed,
        ));
    }
    if burst {
        for k in 0..5u32 {
            let source = ["roya", "ammon", "khaberni", "sawaleif", "hala"][k as usize];
            items.push(accident(
                source,
                200 + k,
                now() - Duration::hours(i64::from(k) + 2),
                "karak",
                &mut seed,
            ));
        }
    }
    let copy = accident("petra", 300, now() - Duration::hours(3), "zarqa", &mut seed);
    for (k, source) in ["petra", "alrai", "jtv", "addustour", "ghad", "sabeel"]
        .iter()
        .enumerate()
    {
        let mut c = copy.clone();
        c.source = source.to_string();
        c.url = format!("https://{source}.example.jo/copy");
        c.id = rasd_core::item_id_for_url(&c.url);
        c.published = Some(now() - Duration::hours(3) + Duration::minutes(k as i64));
        items.push(c);
    }
    store.upsert_items(&items).unwrap();
    StoryKeeper::open(store, config)
        .unwrap()
        .catch_up(store)
        .unwrap();
}

#[test]
fn separate_incidents_trend_and_copies_of_one_report_do_not() {
    let config = config("", "");
    let store = Store::open_test();
    fill(&store, &config, true);
    let flags = trends_in(&store, &config, now(), Granularity::Day).unwrap();
    let karak = flags
        .iter()
        .find(|f| f.key == "place:karak")
        .expect("Karak trends");
    assert_eq!(
        (karak.count, karak.items, karak.owners),
        (5, 5, 5),
        "{karak:?}"
    );
    assert_eq!(karak.baseline, 0.0);
    assert_eq!(karak.baseline_days, 14);
    assert!(karak.p_value < 1e-6 && karak.score > 6.0, "{karak:?}");
    assert_eq!(karak.label, "الكرك (Karak)");
    assert!(karak.link.contains("places%3Akarak"), "{}", karak.link);
    let first = karak.first_item.as_ref().unwrap();
    assert_eq!(
        first.at,
        now() - Duration::hours(6),
        "the earliest of the five"
    );
    // Six copies of one Zarqa report are one story: Zarqa's one a day is no trend.
    assert!(flags.iter().all(|f| f.key != "place:zarqa"), "{flags:#?}");
    let all = trends_in(&store, &config, now(), Granularity::Day).unwrap();
    assert!(all.iter().all(|f| f.items >= f.count));
    // Without the burst, nothing at all.
    let quiet = Store::open_test();
    fill(&quiet, &config, false);
    let flags = trends_in(&quiet, &config, now(), Granularity::Day).unwrap();
    assert!(flags.is_empty(), "{flags:#?}");
}

#[test]
fn a_calendar_period_is_judged_against_its_own_days_or_ordinary_ones() {
    // Five days of a period (the last four and today) with five Karak accidents a day.
    let store = Store::open_test();
    let base = config("", "");
    fill(&store, &base, true);
    let mut seed = 77u64;
    let mut items = Vec::new();
    for d in 1..=4 {
        for k in 0..5u32 {
            items.push(accident(
                "ammon",
                1000 + d * 10 + k,
                now() - Duration::days(i64::from(d)) - Duration::hours(i64::from(k) + 2),
                "karak",
                &mut seed,
            ));
        }
    }
    store.upsert_items(&items).unwrap();
    StoryKeeper::open(&store, &base)
        .unwrap()
        .catch_up(&store)
        .unwrap();
    let period = |baseline: &str| {
        config(
            &format!(
                "[trends]\n[[trends.period]]\nname = \"Ramadan\"\nfrom = \"2026-11-25\"\nto = \"2026-12-20\"\nbaseline = \"{baseline}\"\n"
            ),
            "",
        )
    };
    // Against its own days: five a day is what this period is like.
    let own = trends_in(&store, &period("own"), now(), Granularity::Day).unwrap();
    assert!(own.iter().all(|f| f.key != "place:karak"), "{own:#?}");
    // Against ordinary days (none in Karak): it stands out, and says how it was judged.
    let ordinary = trends_in(&store, &period("exclude"), now(), Granularity::Day).unwrap();
    let karak = ordinary
        .iter()
        .find(|f| f.key == "place:karak")
        .expect("flagged");
    assert_eq!(
        karak.baseline_days, 10,
        "the period's four earlier days left out"
    );
    assert!(karak.note.as_deref().unwrap().contains("ordinary days"));
    // Without periods, the four busy days raise the baseline: five is ordinary again.
    let plain = trends_in(&store, &base, now(), Granularity::Day).unwrap();
    let k = plain.iter().find(|f| f.key == "place:karak");
    assert!(k.is_none_or(|f| f.baseline > 1.0), "{k:?}");
}

#[test]
fn a_rule_that_asks_for_trends_fires_on_the_burst_only() {
    let rules = r#"
[[rule]]
id = "trending-place"
name = "Trending governorate"
trending = true
per = "place"
min_items = 3
window = "1d"
"#;
    let config = config("", rules);
    let store = Store::open_test();
    fill(&store, &config, true);
    let index = SearchIndex::create_in_ram().unwrap();
    let engine = AlertEngine::new(&config);
    let run = engine.catch_up(&store, &index, now()).unwrap();
    assert_eq!(run.opened, 1, "{run:?}");
    let alerts = store.alerts_list(&Default::default()).unwrap();
    assert_eq!(alerts[0].place.as_deref(), Some("karak"));
    assert_eq!(alerts[0].items, 5);
}

#[test]
fn a_new_name_in_many_stories_is_salient_and_chance_is_not() {
    let config = config("", "");
    let store = Store::open_test();
    fill(&store, &config, false);
    let mut seed = 99u64;
    let mut items = Vec::new();
    for k in 0..8u32 {
        // Eight separate reports naming one new place (normalized, its article dropped),
        // and three naming another word.
        let mut i = accident(
            "roya",
            500 + k,
            now() - Duration::hours(i64::from(k) + 1),
            "karak",
            &mut seed,
        );
        i.title = format!("{} القطرانيه {}", words(&mut seed, 2), words(&mut seed, 2));
        if k < 3 {
            i.title.push_str(" مفرقعات");
        }
        items.push(i);
    }
    store.upsert_items(&items).unwrap();
    StoryKeeper::open(&store, &config)
        .unwrap()
        .catch_up(&store)
        .unwrap();
    let flags = trends_in(&store, &config, now(), Granularity::Day).unwrap();
    let name = flags
        .iter()
        .find(|f| f.key == "term:قطرانيه")
        .unwrap_or_else(|| panic!("salient: {flags:#?}"));
    assert_eq!((name.count, name.items), (8, 8), "{name:?}");
    assert!(
        name.first_item.is_some() && name.link.contains("title%3A"),
        "{name:?}"
    );
    // Three stories of a word never seen: not enough once every word of the day is tested.
    assert!(flags.iter().all(|f| f.key != "term:مفرقعات"), "{flags:#?}");
}
