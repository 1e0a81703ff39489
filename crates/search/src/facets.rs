//! Facet counts over every matching document, read from the fast (columnar) string fields.

use std::collections::BTreeMap;

use chrono::{DateTime, TimeZone as _, Utc};
use serde::Serialize;
use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::{Column, StrColumn};
use tantivy::{DocId, Score, SegmentReader};

use crate::schema::{NO_SENTIMENT, names};

/// How many matching documents carry each topic, language, place, source, sentiment and
/// police flag.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Facets {
    /// Topic id → matching documents tagged with it.
    pub by_topic: BTreeMap<String, u64>,
    /// Language code (`ar`, `en`, `other`) → matching documents.
    pub by_lang: BTreeMap<String, u64>,
    /// Place id → matching documents tagged with it.
    pub by_place: BTreeMap<String, u64>,
    /// Source id → matching documents.
    pub by_source: BTreeMap<String, u64>,
    /// Sentiment label (`positive`, `negative`, `neutral`) → matching documents. Items
    /// without a sentiment are not counted here.
    pub by_sentiment: BTreeMap<String, u64>,
    /// `yes` (about the police) or `no` → matching documents.
    pub by_police: BTreeMap<String, u64>,
    /// Matching documents over time, by the date they are filed under (published, or
    /// fetched when undated), oldest first, empty periods included: per hour when the
    /// matches span two days or less, else per day of the query's time zone.
    pub by_date: Vec<DateBucket>,
    /// `hour` or `day`: the period of each bucket of `by_date`.
    pub by_date_unit: &'static str,
    /// Matches per UTC hour, before [`Facets::finish_dates`].
    #[serde(skip)]
    pub(crate) hours: HourCounts,
}

/// One period of [`Facets::by_date`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DateBucket {
    /// When the period starts.
    pub start: DateTime<Utc>,
    /// The period as people read it, in the query's time zone: `2026-11-05` for a day,
    /// `2026-11-05 14:00` for an hour.
    pub label: String,
    /// Matching documents filed in it.
    pub count: u64,
}

/// Counts per UTC hour (hours since 1970) over a contiguous range that grows to cover what
/// is added: an array, so counting a match and merging segments cost no hashing or tree.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct HourCounts {
    /// The hour of `counts[0]`.
    base: i64,
    counts: Vec<u64>,
}

impl HourCounts {
    /// One past the last hour covered.
    fn end(&self) -> i64 {
        self.base + self.counts.len() as i64
    }

    /// Makes the range cover `hour` (as far as [`MAX_HOURS`] allows) and returns its index.
    fn slot(&mut self, hour: i64) -> usize {
        if self.counts.is_empty() {
            self.base = hour;
            self.counts.push(0);
            return 0;
        }
        let hour = hour.clamp(self.end() - MAX_HOURS, self.base + MAX_HOURS - 1);
        if hour < self.base {
            // Grow to the left by at least the current length, so that matches arriving in
            // falling date order cost amortized constant time.
            let need = (self.base - hour) as usize;
            let room = (MAX_HOURS as usize).saturating_sub(self.counts.len());
            let pad = need.max(self.counts.len().min(room));
            let mut grown = vec![0; pad + self.counts.len()];
            grown[pad..].copy_from_slice(&self.counts);
            self.counts = grown;
            self.base -= pad as i64;
        } else if hour >= self.end() {
            self.counts.resize((hour - self.base + 1) as usize, 0);
        }
        (hour - self.base) as usize
    }

    fn add(&mut self, hour: i64, n: u64) {
        let i = self.slot(hour);
        self.counts[i] += n;
    }

    fn merge(&mut self, other: &HourCounts) {
        let (Some(first), Some(last)) = (other.first_hour(), other.last_hour()) else {
            return;
        };
        self.slot(first);
        self.slot(last);
        for (i, &n) in other.counts.iter().enumerate().filter(|(_, n)| **n > 0) {
            self.add(other.base + i as i64, n);
        }
    }

    fn first_hour(&self) -> Option<i64> {
        self.counts
            .iter()
            .position(|&n| n > 0)
            .map(|i| self.base + i as i64)
    }

    fn last_hour(&self) -> Option<i64> {
        self.counts
            .iter()
            .rposition(|&n| n > 0)
            .map(|i| self.base + i as i64)
    }

    fn get(&self, hour: i64) -> u64 {
        usize::try_from(hour - self.base)
            .ok()
            .and_then(|i| self.counts.get(i))
            .copied()
            .unwrap_or(0)
    }
}

/// The widest span, in hours, drawn per hour.
const HOURLY_SPAN_HOURS: i64 = 48;
/// The most buckets a histogram has (ten years of days); a longer span keeps its newest
/// days.
const MAX_BUCKETS: usize = 3660;

impl Facets {
    /// Turns the hourly counts into [`Facets::by_date`], counting days in `tz`.
    pub(crate) fn finish_dates(&mut self, tz: chrono_tz::Tz) {
        let hours = std::mem::take(&mut self.hours);
        let (Some(first), Some(last)) = (hours.first_hour(), hours.last_hour()) else {
            self.by_date_unit = "day";
            return;
        };
        let at = |hour: i64| {
            Utc.timestamp_opt(hour * 3600, 0)
                .single()
                .unwrap_or_default()
        };
        if last - first < HOURLY_SPAN_HOURS {
            self.by_date_unit = "hour";
            self.by_date = (first..=last)
                .map(|h| DateBucket {
                    start: at(h),
                    label: at(h)
                        .with_timezone(&tz)
                        .format("%Y-%m-%d %H:00")
                        .to_string(),
                    count: hours.get(h),
                })
                .collect();
            return;
        }
        self.by_date_unit = "day";
        // Local days: the zone's offset is read at the start and end of each UTC day, and
        // hour by hour only on a day when it changes (a clock change).
        let offset_at = |hour: i64| {
            use chrono::Offset as _;
            i64::from(
                tz.offset_from_utc_datetime(&at(hour).naive_utc())
                    .fix()
                    .local_minus_utc(),
            )
        };
        let mut days: BTreeMap<chrono::NaiveDate, u64> = BTreeMap::new();
        // (UTC day, offset at its start, offset at its last hour)
        let mut day_offsets: Option<(i64, i64, i64)> = None;
        for h in first..=last {
            let n = hours.get(h);
            if n == 0 {
                continue;
            }
            let utc_day = h.div_euclid(24);
            let (_, start, end) = match day_offsets {
                Some(known) if known.0 == utc_day => known,
                _ => {
                    let known = (
                        utc_day,
                        offset_at(utc_day * 24),
                        offset_at(utc_day * 24 + 23),
                    );
                    day_offsets = Some(known);
                    known
                }
            };
            let offset = if start == end { start } else { offset_at(h) };
            let local = at(h) + chrono::Duration::seconds(offset);
            *days.entry(local.date_naive()).or_default() += n;
        }
        let (Some(&from), Some(&to)) = (days.keys().next(), days.keys().next_back()) else {
            return;
        };
        let mut day = from;
        let mut out = Vec::new();
        while day <= to {
            out.push(DateBucket {
                start: rasd_core::day_start(day, tz),
                label: day.format("%Y-%m-%d").to_string(),
                count: days.get(&day).copied().unwrap_or(0),
            });
            match day.succ_opt() {
                Some(next) => day = next,
                None => break,
            }
        }
        if out.len() > MAX_BUCKETS {
            out.drain(..out.len() - MAX_BUCKETS);
        }
        self.by_date = out;
    }

    fn maps(&mut self) -> [&mut BTreeMap<String, u64>; 6] {
        [
            &mut self.by_topic,
            &mut self.by_lang,
            &mut self.by_place,
            &mut self.by_source,
            &mut self.by_sentiment,
            &mut self.by_police,
        ]
    }
}

/// The columns counted, in the order of [`Facets::maps`].
const COLUMNS: [&str; 6] = [
    names::TOPICS,
    names::LANG,
    names::PLACES,
    names::SOURCE,
    names::SENTIMENT,
    names::ABOUT_POLICE,
];

/// Counts [`Facets`] for every document the query matches.
#[derive(Debug, Default)]
pub(crate) struct FacetsCollector;

impl Collector for FacetsCollector {
    type Fruit = Facets;
    type Child = FacetsSegmentCollector;

    fn for_segment(
        &self,
        _segment_local_id: u32,
        segment: &SegmentReader,
    ) -> tantivy::Result<FacetsSegmentCollector> {
        let mut columns = Vec::with_capacity(COLUMNS.len());
        for name in COLUMNS {
            let column = segment.fast_fields().str(name)?;
            let counts = vec![0u64; column.as_ref().map_or(0, |c| c.num_terms())];
            columns.push((column, counts));
        }
        Ok(FacetsSegmentCollector {
            columns,
            dates: segment.fast_fields().date(names::PUBLISHED).ok(),
            hours: HourCounts::default(),
        })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, fruits: Vec<Facets>) -> tantivy::Result<Facets> {
        let mut total = Facets::default();
        for mut fruit in fruits {
            for (into, from) in total.maps().into_iter().zip(fruit.maps()) {
                for (key, count) in std::mem::take(from) {
                    *into.entry(key).or_default() += count;
                }
            }
            total.hours.merge(&fruit.hours);
        }
        Ok(total)
    }
}

/// Per-segment counts by term ordinal; turned into strings once, at harvest.
pub(crate) struct FacetsSegmentCollector {
    columns: Vec<(Option<StrColumn>, Vec<u64>)>,
    /// The filing dates, counted per hour in `hours`.
    dates: Option<Column<tantivy::DateTime>>,
    hours: HourCounts,
}

/// The widest span of hours counted (thirty years); matches beyond it are counted at its
/// edge.
const MAX_HOURS: i64 = 24 * 366 * 30;

/// Hours since 1970 (UTC) of a date.
fn hour_of(t: tantivy::DateTime) -> i64 {
    t.into_timestamp_secs().div_euclid(3600)
}

impl SegmentCollector for FacetsSegmentCollector {
    type Fruit = Facets;

    fn collect(&mut self, doc: DocId, _score: Score) {
        if let Some(t) = self.dates.as_ref().and_then(|c| c.first(doc)) {
            self.hours.add(hour_of(t), 1);
        }
        for (column, counts) in &mut self.columns {
            let Some(column) = column else { continue };
            for ord in column.term_ords(doc) {
                if let Some(count) = counts.get_mut(ord as usize) {
                    *count += 1;
                }
            }
        }
    }

    fn harvest(self) -> Facets {
        let mut facets = Facets::default();
        for ((column, counts), map) in self.columns.into_iter().zip(facets.maps()) {
            let Some(column) = column else { continue };
            let mut name = String::new();
            for (ord, count) in counts.into_iter().enumerate() {
                if count == 0 {
                    continue;
                }
                name.clear();
                if let Ok(true) = column.ord_to_str(ord as u64, &mut name) {
                    *map.entry(name.clone()).or_default() += count;
                }
            }
        }
        facets.by_sentiment.remove(NO_SENTIMENT);
        facets.hours = self.hours;
        facets
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hour_counts_grow_both_ways_and_merge() {
        let mut a = HourCounts::default();
        for h in [100, 90, 130, 89, 100] {
            a.add(h, 1);
        }
        assert_eq!((a.first_hour(), a.last_hour()), (Some(89), Some(130)));
        assert_eq!((a.get(100), a.get(90), a.get(95), a.get(5)), (2, 1, 0, 0));
        let mut b = HourCounts::default();
        b.add(10, 3);
        b.add(200, 1);
        a.merge(&b);
        assert_eq!((a.first_hour(), a.last_hour()), (Some(10), Some(200)));
        assert_eq!((a.get(10), a.get(100), a.get(200)), (3, 2, 1));
        assert_eq!(a.counts.iter().sum::<u64>(), 9);
        // Falling order costs no more than rising order: the range doubles leftwards.
        let mut c = HourCounts::default();
        for h in (0..10_000).rev() {
            c.add(h, 1);
        }
        assert_eq!(c.counts.iter().sum::<u64>(), 10_000);
        assert!(c.counts.len() < 20_000);
    }

    #[test]
    fn days_follow_a_clock_change() {
        // Berlin moved to summer time at 01:00 UTC on 2026-03-29: 22:30 UTC on the 29th is
        // 00:30 on the 30th there, 21:30 UTC on the 28th is 22:30 on the 28th.
        let mut f = Facets::default();
        let hour = |d: u32, h: u32| {
            Utc.with_ymd_and_hms(2026, 3, d, h, 0, 0)
                .unwrap()
                .timestamp()
                / 3600
        };
        f.hours.add(hour(28, 21), 1);
        f.hours.add(hour(29, 22), 1);
        f.hours.add(hour(31, 12), 1);
        f.finish_dates(chrono_tz::Europe::Berlin);
        let days: Vec<(&str, u64)> = f
            .by_date
            .iter()
            .map(|b| (b.label.as_str(), b.count))
            .collect();
        assert_eq!(
            days,
            [
                ("2026-03-28", 1),
                ("2026-03-29", 0),
                ("2026-03-30", 1),
                ("2026-03-31", 1)
            ]
        );
    }

    #[test]
    fn merging_adds_counts_per_key() {
        let mut a = Facets::default();
        a.by_topic.insert("سرقة".into(), 2);
        a.by_lang.insert("ar".into(), 2);
        let mut b = Facets::default();
        b.by_topic.insert("سرقة".into(), 1);
        b.by_topic.insert("drugs".into(), 4);
        a.by_police.insert("yes".into(), 1);
        b.by_police.insert("yes".into(), 2);
        b.by_police.insert("no".into(), 5);
        let merged = FacetsCollector.merge_fruits(vec![a, b]).unwrap();
        assert_eq!(merged.by_topic["سرقة"], 3);
        assert_eq!(merged.by_topic["drugs"], 4);
        assert_eq!(merged.by_lang["ar"], 2);
        assert_eq!(merged.by_police["yes"], 3);
        assert_eq!(merged.by_police["no"], 5);
        assert!(merged.by_place.is_empty());
        assert!(merged.by_sentiment.is_empty());
    }
}
