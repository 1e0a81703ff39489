//! Facet counts over every matching document, read from the fast (columnar) string fields.

use std::collections::BTreeMap;

use serde::Serialize;
use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::StrColumn;
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
}

impl Facets {
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
        Ok(FacetsSegmentCollector { columns })
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
        }
        Ok(total)
    }
}

/// Per-segment counts by term ordinal; turned into strings once, at harvest.
pub(crate) struct FacetsSegmentCollector {
    columns: Vec<(Option<StrColumn>, Vec<u64>)>,
}

impl SegmentCollector for FacetsSegmentCollector {
    type Fruit = Facets;

    fn collect(&mut self, doc: DocId, _score: Score) {
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
