//! The index schema and the mapping from [`Item`] to a tantivy document.
//!
//! | field | type | for |
//! | --- | --- | --- |
//! | `id` | string, stored, indexed | upsert by id, returning hits |
//! | `url` | stored only | hits |
//! | `title`, `body` | text (`rasd`), positions, stored | word search, snippets |
//! | `title_exact`, `body_exact` | text (`rasd_exact`), positions | quoted phrases, exact-form boost |
//! | `source`, `lang`, `kind` | string, fast, stored | filters, facets |
//! | `topics`, `places` | multi-valued string, fast, stored | filters, facets |
//! | `published` | date (seconds), fast, indexed, stored | range filter, newest-first order |
//! | `dated` | bool, stored | whether `published` came from the source or is the fetch time |
//! | `sentiment` | string, fast, stored | `positive`, `negative`, `neutral`, or `none` when unscored |
//! | `sentiment_score` | f64, stored | the score (-1 to 1) of a scored item |
//! | `about_police` | string, fast, stored | `yes` when the item is about the Public Security Directorate, else `no` |

use chrono::{DateTime, Utc};
use rasd_core::{Item, Polarity, SentimentTag};
use tantivy::TantivyDocument;
use tantivy::schema::{
    DateOptions, DateTimePrecision, FAST, Field, INDEXED, IndexRecordOption, STORED, STRING,
    Schema, TextFieldIndexing, TextOptions, Value,
};

use crate::analyzer::{RASD, RASD_EXACT};

/// Written into every commit; an index whose last commit carries another tag must be
/// rebuilt with `rasd reindex`. Bump it whenever the schema or an analyzer changes.
/// Version 2 added `sentiment`, `sentiment_score` and `about_police`; version 3 reads a
/// final ه after the article as ة.
pub const SCHEMA_TAG: &str = "rasd-search/3";

/// The `sentiment` value of an item without a sentiment.
pub(crate) const NO_SENTIMENT: &str = "none";
/// The `about_police` values.
pub(crate) const YES: &str = "yes";
/// See [`YES`].
pub(crate) const NO: &str = "no";

/// The `about_police` value for `flag`.
pub(crate) fn yes_no(flag: bool) -> &'static str {
    if flag { YES } else { NO }
}

/// Handles of every field of the schema.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Fields {
    pub id: Field,
    pub url: Field,
    pub title: Field,
    pub body: Field,
    pub title_exact: Field,
    pub body_exact: Field,
    pub source: Field,
    pub lang: Field,
    pub kind: Field,
    pub topics: Field,
    pub places: Field,
    pub published: Field,
    pub dated: Field,
    pub sentiment: Field,
    pub sentiment_score: Field,
    pub about_police: Field,
}

/// Field names, shared with the query language and the facet collector.
pub(crate) mod names {
    pub const ID: &str = "id";
    pub const URL: &str = "url";
    pub const TITLE: &str = "title";
    pub const BODY: &str = "body";
    pub const TITLE_EXACT: &str = "title_exact";
    pub const BODY_EXACT: &str = "body_exact";
    pub const SOURCE: &str = "source";
    pub const LANG: &str = "lang";
    pub const KIND: &str = "kind";
    pub const TOPICS: &str = "topics";
    pub const PLACES: &str = "places";
    pub const PUBLISHED: &str = "published";
    pub const DATED: &str = "dated";
    pub const SENTIMENT: &str = "sentiment";
    pub const SENTIMENT_SCORE: &str = "sentiment_score";
    pub const ABOUT_POLICE: &str = "about_police";
}

fn text(tokenizer: &str, stored: bool) -> TextOptions {
    let options = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(tokenizer)
            .set_index_option(IndexRecordOption::WithFreqsAndPositions),
    );
    if stored {
        options.set_stored()
    } else {
        options
    }
}

/// The schema this version of Rasd writes and expects.
pub(crate) fn build() -> Schema {
    use names::*;
    let mut b = Schema::builder();
    b.add_text_field(ID, STRING | STORED);
    b.add_text_field(URL, STORED);
    b.add_text_field(TITLE, text(RASD, true));
    b.add_text_field(BODY, text(RASD, true));
    b.add_text_field(TITLE_EXACT, text(RASD_EXACT, false));
    b.add_text_field(BODY_EXACT, text(RASD_EXACT, false));
    for name in [SOURCE, LANG, KIND, TOPICS, PLACES] {
        b.add_text_field(name, STRING | FAST | STORED);
    }
    b.add_date_field(
        PUBLISHED,
        DateOptions::from(INDEXED)
            .set_stored()
            .set_fast()
            .set_precision(DateTimePrecision::Seconds),
    );
    b.add_bool_field(DATED, STORED);
    b.add_text_field(SENTIMENT, STRING | FAST | STORED);
    b.add_f64_field(SENTIMENT_SCORE, STORED);
    b.add_text_field(ABOUT_POLICE, STRING | FAST | STORED);
    b.build()
}

impl Fields {
    /// Looks every field up in `schema`; `None` when one is missing.
    pub(crate) fn of(schema: &Schema) -> Option<Fields> {
        use names::*;
        let f = |name: &str| schema.get_field(name).ok();
        Some(Fields {
            id: f(ID)?,
            url: f(URL)?,
            title: f(TITLE)?,
            body: f(BODY)?,
            title_exact: f(TITLE_EXACT)?,
            body_exact: f(BODY_EXACT)?,
            source: f(SOURCE)?,
            lang: f(LANG)?,
            kind: f(KIND)?,
            topics: f(TOPICS)?,
            places: f(PLACES)?,
            published: f(PUBLISHED)?,
            dated: f(DATED)?,
            sentiment: f(SENTIMENT)?,
            sentiment_score: f(SENTIMENT_SCORE)?,
            about_police: f(ABOUT_POLICE)?,
        })
    }

    /// The document indexed for `item`.
    pub(crate) fn document(&self, item: &Item) -> TantivyDocument {
        let mut doc = TantivyDocument::default();
        doc.add_text(self.id, &item.id);
        doc.add_text(self.url, &item.url);
        doc.add_text(self.title, &item.title);
        doc.add_text(self.body, &item.body);
        doc.add_text(self.title_exact, &item.title);
        doc.add_text(self.body_exact, &item.body);
        doc.add_text(self.source, &item.source);
        doc.add_text(self.lang, item.tags.lang.code());
        doc.add_text(self.kind, item.kind.code());
        for topic in clean_values(&item.tags.topics) {
            doc.add_text(self.topics, topic);
        }
        for place in clean_values(&item.tags.places) {
            doc.add_text(self.places, place);
        }
        doc.add_date(self.published, to_tantivy(item.when()));
        doc.add_bool(self.dated, item.published.is_some());
        match item.tags.sentiment {
            Some(tag) => {
                doc.add_text(self.sentiment, tag.label.as_str());
                doc.add_f64(self.sentiment_score, f64::from(tag.score));
            }
            None => doc.add_text(self.sentiment, NO_SENTIMENT),
        }
        doc.add_text(self.about_police, yes_no(item.tags.about_police));
        doc
    }

    /// The sentiment stored in `doc`: `None` when it was indexed without one (or the label
    /// is unreadable). A label without a score (impossible through [`Fields::document`])
    /// reads as score 0.
    pub(crate) fn sentiment_of(&self, doc: &TantivyDocument) -> Option<SentimentTag> {
        let label = doc
            .get_first(self.sentiment)
            .and_then(|v| v.as_str())
            .and_then(Polarity::parse)?;
        let score = doc
            .get_first(self.sentiment_score)
            .and_then(|v| v.as_f64())
            .unwrap_or(0.0) as f32;
        Some(SentimentTag { label, score })
    }

    /// Whether `doc` was indexed as being about the police.
    pub(crate) fn about_police_of(&self, doc: &TantivyDocument) -> bool {
        doc.get_first(self.about_police).and_then(|v| v.as_str()) == Some(YES)
    }
}

/// Trimmed, non-empty, sorted and de-duplicated values of a multi-valued field.
pub(crate) fn clean_values(values: &[String]) -> Vec<&str> {
    let mut out: Vec<&str> = values
        .iter()
        .map(|v| v.trim())
        .filter(|v| !v.is_empty())
        .collect();
    out.sort_unstable();
    out.dedup();
    out
}

/// A chrono time as a tantivy date. Tantivy counts nanoseconds in an `i64` (the years 1677
/// to 2262); a time outside is held at the nearest end, so `after:10012-01-01` finds nothing
/// rather than overflowing into some other date (found by the `query` fuzz target).
pub(crate) fn to_tantivy(t: DateTime<Utc>) -> tantivy::DateTime {
    const LIMIT: i64 = i64::MAX / 1_000;
    tantivy::DateTime::from_timestamp_micros(t.timestamp_micros().clamp(-LIMIT, LIMIT))
}

/// A tantivy date as a chrono time (`None` only if out of chrono's range).
pub(crate) fn from_tantivy(t: tantivy::DateTime) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp_micros(t.into_timestamp_micros())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone as _;

    #[test]
    fn a_time_beyond_tantivys_years_is_held_at_the_end_not_overflowed() {
        let now = DateTime::from_timestamp(1_767_225_600, 0).unwrap();
        let far = Utc.with_ymd_and_hms(10012, 1, 1, 0, 0, 0).unwrap();
        let before = Utc.with_ymd_and_hms(-5000, 1, 1, 0, 0, 0).unwrap();
        assert!(to_tantivy(far) > to_tantivy(now));
        assert!(to_tantivy(before) < to_tantivy(now));
        assert_eq!(from_tantivy(to_tantivy(now)), Some(now));
    }

    #[test]
    fn every_field_is_found() {
        let schema = build();
        assert!(Fields::of(&schema).is_some());
        assert_eq!(schema.fields().count(), 16);
    }

    #[test]
    fn undated_item_is_filed_under_fetch_time() {
        let fields = Fields::of(&build()).unwrap();
        let fetched = DateTime::from_timestamp(1_767_225_600, 0).unwrap();
        let mut item = Item::new("petra", "https://e.jo/1", "سرقة", "نص", fetched);
        item.tags.topics = vec!["theft".into(), " ".into(), "theft".into()];
        let doc = fields.document(&item);
        let published = doc
            .get_first(fields.published)
            .and_then(|v| v.as_datetime());
        assert_eq!(published.and_then(from_tantivy), Some(fetched));
        assert_eq!(
            doc.get_first(fields.dated).and_then(|v| v.as_bool()),
            Some(false)
        );
        assert_eq!(doc.get_all(fields.topics).count(), 1);
        // No sentiment: indexed as `none`, read back as `None`; not about the police.
        assert_eq!(
            doc.get_first(fields.sentiment).and_then(|v| v.as_str()),
            Some(NO_SENTIMENT)
        );
        assert_eq!(fields.sentiment_of(&doc), None);
        assert!(!fields.about_police_of(&doc));
    }

    #[test]
    fn sentiment_and_police_flag_round_trip_through_a_document() {
        let fields = Fields::of(&build()).unwrap();
        let fetched = DateTime::from_timestamp(1_767_225_600, 0).unwrap();
        let mut item = Item::new(
            "petra",
            "https://e.jo/2",
            "مديرية الأمن العام تكرم مرتبات دوريات النجدة",
            "نص",
            fetched,
        );
        let tag = SentimentTag {
            label: Polarity::Positive,
            score: 0.8125,
        };
        item.tags.sentiment = Some(tag);
        item.tags.about_police = true;
        let doc = fields.document(&item);
        assert_eq!(
            doc.get_first(fields.sentiment).and_then(|v| v.as_str()),
            Some("positive")
        );
        assert_eq!(
            doc.get_first(fields.about_police).and_then(|v| v.as_str()),
            Some(YES)
        );
        assert_eq!(fields.sentiment_of(&doc), Some(tag));
        assert!(fields.about_police_of(&doc));
    }
}
