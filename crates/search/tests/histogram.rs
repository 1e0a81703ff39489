//! The date histogram facet: per day, per hour within two days, days of the query's zone.

use chrono::{DateTime, TimeZone, Utc};
use rasd_core::{Item, Lang};
use rasd_search::{SearchIndex, SearchQuery};

fn item(n: usize, at: DateTime<Utc>) -> Item {
    let mut item = Item::new(
        "petra",
        &format!("https://example.jo/{n}"),
        "حادث سير",
        &format!("وقع حادث سير رقم {n}."),
        at,
    );
    item.published = Some(at);
    item.tags.lang = Lang::Ar;
    item
}

fn index_with(times: &[DateTime<Utc>]) -> SearchIndex {
    let index = SearchIndex::create_in_ram().unwrap();
    let mut sink = index.writer().unwrap();
    let items: Vec<Item> = times.iter().enumerate().map(|(n, t)| item(n, *t)).collect();
    sink.index_items(&items).unwrap();
    sink.commit().unwrap();
    index
}

fn utc(d: u32, h: u32, m: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, d, h, m, 0).unwrap()
}

#[test]
fn days_with_empty_days_between_and_the_sum_is_the_total() {
    let index = index_with(&[utc(1, 9, 0), utc(1, 10, 0), utc(4, 8, 0), utc(5, 23, 0)]);
    let r = index
        .search(&SearchQuery {
            text: "حادث".into(),
            ..SearchQuery::default()
        })
        .unwrap();
    let f = &r.facets;
    assert_eq!(f.by_date_unit, "day");
    let days: Vec<(&str, u64)> = f
        .by_date
        .iter()
        .map(|b| (b.label.as_str(), b.count))
        .collect();
    assert_eq!(
        days,
        [
            ("2026-11-01", 2),
            ("2026-11-02", 0),
            ("2026-11-03", 0),
            ("2026-11-04", 1),
            ("2026-11-05", 1)
        ]
    );
    assert_eq!(
        f.by_date.iter().map(|b| b.count).sum::<u64>(),
        r.total as u64
    );
    // Filters narrow the histogram with the hits.
    let r = index
        .search(&SearchQuery {
            text: "حادث after:2026-11-03".into(),
            ..SearchQuery::default()
        })
        .unwrap();
    // Two matches 39 hours apart: counted per hour.
    assert_eq!(r.facets.by_date_unit, "hour");
    assert_eq!(r.facets.by_date.len(), 40);
    assert_eq!(r.facets.by_date.iter().map(|b| b.count).sum::<u64>(), 2);
}

#[test]
fn amman_days_start_at_midnight_in_amman() {
    // 22:30 UTC on the 5th is 01:30 on the 6th in Amman (UTC+3).
    let index = index_with(&[utc(1, 12, 0), utc(5, 22, 30)]);
    let q = |tz| SearchQuery {
        tz,
        ..SearchQuery::default()
    };
    let utc_days = index.search(&q(None)).unwrap().facets.by_date;
    assert_eq!(utc_days.last().unwrap().label, "2026-11-05");
    let amman = index
        .search(&q(Some(chrono_tz::Asia::Amman)))
        .unwrap()
        .facets;
    let last = amman.by_date.last().unwrap();
    assert_eq!(last.label, "2026-11-06");
    assert_eq!(last.start, utc(5, 21, 0), "midnight in Amman, in UTC");
}

#[test]
fn within_two_days_it_counts_hours() {
    let index = index_with(&[utc(3, 8, 10), utc(3, 8, 50), utc(3, 11, 0), utc(4, 7, 0)]);
    let f = index
        .search(&SearchQuery {
            tz: Some(chrono_tz::Asia::Amman),
            ..SearchQuery::default()
        })
        .unwrap()
        .facets;
    assert_eq!(f.by_date_unit, "hour");
    assert_eq!(f.by_date.len(), 24);
    assert_eq!(f.by_date[0].label, "2026-11-03 11:00");
    assert_eq!(f.by_date[0].count, 2);
    assert_eq!(f.by_date[3].count, 1);
    assert_eq!(f.by_date.iter().map(|b| b.count).sum::<u64>(), 4);
}

#[test]
fn no_match_no_buckets() {
    let index = index_with(&[utc(1, 9, 0)]);
    let r = index
        .search(&SearchQuery {
            text: "زلزال".into(),
            ..SearchQuery::default()
        })
        .unwrap();
    assert_eq!(r.total, 0);
    assert!(r.facets.by_date.is_empty());
}

#[test]
fn a_date_filter_beyond_tantivys_years_finds_nothing_and_does_not_overflow() {
    // Found by the `query` fuzz target: `after=10012-01-01` overflowed tantivy's nanoseconds.
    let index = index_with(&[utc(1, 9, 0), utc(2, 9, 0)]);
    let far = Utc.with_ymd_and_hms(10012, 1, 1, 0, 0, 0).unwrap();
    let r = index
        .search(&SearchQuery {
            text: "حادث".into(),
            from: Some(far),
            ..SearchQuery::default()
        })
        .unwrap();
    assert_eq!(r.total, 0);
    let r = index
        .search(&SearchQuery {
            text: "حادث".into(),
            to: Some(far),
            ..SearchQuery::default()
        })
        .unwrap();
    assert_eq!(r.total, 2);
}
