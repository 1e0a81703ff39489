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

use chrono::{DateTime, Utc};
use rasd_core::Item;
use tantivy::TantivyDocument;
use tantivy::schema::{
    DateOptions, DateTimePrecision, FAST, Field, INDEXED, IndexRecordOption, STORED, STRING,
    Schema, TextFieldIndexing, TextOptions,
};

use crate::analyzer::{RASD, RASD_EXACT};

/// Written into every commit; an index whose last commit carries another tag must be
/// rebuilt with `rasd reindex`. Bump it whenever the schema or an analyzer changes.
pub const SCHEMA_TAG: &str = "rasd-search/1";

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
        doc
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

/// A chrono time as a tantivy date.
pub(crate) fn to_tantivy(t: DateTime<Utc>) -> tantivy::DateTime {
    tantivy::DateTime::from_timestamp_micros(t.timestamp_micros())
}

/// A tantivy date as a chrono time (`None` only if out of chrono's range).
pub(crate) fn from_tantivy(t: tantivy::DateTime) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp_micros(t.into_timestamp_micros())
}

#[cfg(test)]
mod tests {
    use super::*;
    use tantivy::schema::Value;

    #[test]
    fn every_field_is_found() {
        let schema = build();
        assert!(Fields::of(&schema).is_some());
        assert_eq!(schema.fields().count(), 13);
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
    }
}
