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
    /// Matches per UTC hour (hours since 1970), before [`Facets::finish_dates`].
    #[serde(skip)]
    pub(crate) hours: BTreeMap<i64, u64>,
}

/// One period of [`Facets::by_date`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DateBucket {
    /// When the period starts.
    pub start: DateTime<Utc>,
    /// The period as people read it, in the query's time zone: `2026-11-05` for a day,
    /// `2026-11-05 14:00` for an hour.
    pub label: String,
    /// Matching documents filed in it.
    pub count: u64,
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
        let (Some((&first, _)), Some((&last, _))) =
            (hours.first_key_value(), hours.last_key_value())
        else {
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
                    count: hours.get(&h).copied().unwrap_or(0),
                })
                .collect();
            return;
        }
        self.by_date_unit = "day";
        let mut days: BTreeMap<chrono::NaiveDate, u64> = BTreeMap::new();
        for (&h, &count) in &hours {
            *days
                .entry(at(h).with_timezone(&tz).date_naive())
                .or_default() += count;
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
        let dates = segment.fast_fields().date(names::PUBLISHED).ok();
        let first_hour = dates.as_ref().map_or(0, |c| hour_of(c.min_value()));
        let span = dates.as_ref().map_or(0, |c| {
            (hour_of(c.max_value()) - first_hour + 1).clamp(0, MAX_HOURS)
        });
        Ok(FacetsSegmentCollector {
            columns,
            dates,
            first_hour,
            hours: vec![0; span as usize],
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
            for (hour, count) in fruit.hours {
                *total.hours.entry(hour).or_default() += count;
            }
        }
        Ok(total)
    }
}

/// Per-segment counts by term ordinal; turned into strings once, at harvest.
pub(crate) struct FacetsSegmentCollector {
    columns: Vec<(Option<StrColumn>, Vec<u64>)>,
    /// The filing dates, counted per hour from `first_hour` in `hours`.
    dates: Option<Column<tantivy::DateTime>>,
    first_hour: i64,
    hours: Vec<u64>,
}

/// The most hours one segment counts (a segment spanning more, which real dates do not, has
/// its later hours counted in the last).
const MAX_HOURS: i64 = 24 * 366 * 30;

/// Hours since 1970 (UTC) of a date.
fn hour_of(t: tantivy::DateTime) -> i64 {
    t.into_timestamp_secs().div_euclid(3600)
}

impl SegmentCollector for FacetsSegmentCollector {
    type Fruit = Facets;

    fn collect(&mut self, doc: DocId, _score: Score) {
        if let Some(t) = self.dates.as_ref().and_then(|c| c.first(doc)) {
            let last = self.hours.len().saturating_sub(1);
            let at = ((hour_of(t) - self.first_hour).max(0) as usize).min(last);
            if let Some(count) = self.hours.get_mut(at) {
                *count += 1;
            }
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
        for (i, count) in self.hours.into_iter().enumerate() {
            if count > 0 {
                facets.hours.insert(self.first_hour + i as i64, count);
            }
        }
        facets
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
