//! Rasd's search index: a tantivy index derived from the store and rebuilt by `rasd reindex`.
//!
//! - [`SearchIndex`] opens (or creates) the index in `<data_dir>/search` or in RAM, and
//!   answers [`SearchQuery`]s with [`SearchResults`]: a page of [`Hit`]s (with a plain-text
//!   snippet of the body, the sentiment and the police flag), the total number of matches
//!   and [`Facets`] (topic, language, place, source, sentiment, police) counted over all of
//!   them. It is cheap to clone and shared by the web server, the CLI and the detectors.
//! - [`IndexSink`] is the one writer ([`SearchIndex::writer`]): the index sink of the
//!   pipeline upserts items by id and commits; a commit is visible to searches at once.
//! - [`analyzer`] holds the Arabic/English analyzers `rasd` (normalized, clitics removed,
//!   stemmed) and `rasd_exact` (the same without stemming, for quoted phrases).
//!
//! The query language is described on [`SearchQuery::text`]. Errors are one [`Error`] enum;
//! a query the parser cannot read is an [`Error::Query`] whose message says how to write it.

pub mod analyzer;
mod directory;
mod export;
mod facets;
mod filters;
mod index;
mod query;
mod schema;
mod snippet;

use std::path::PathBuf;

pub use export::{EXPORT_COLUMNS, write_csv, write_jsonl};
pub use facets::{DateBucket, Facets};
pub use filters::{FILTER_NAMES, KnownIds, apply_filters};
pub use index::{
    AppliedMark, DEFAULT_LIMIT, Hit, IndexSink, MAX_EXPORT, MAX_LIMIT, SearchIndex, SearchResults,
};
pub use query::{MAX_QUERY_CHARS, MAX_QUERY_DEPTH, SearchQuery};
pub use schema::SCHEMA_TAG;

/// What can go wrong in the search crate.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Tantivy failed (index files unreadable, writer died…).
    #[error("search index error: {0}")]
    Tantivy(#[from] tantivy::TantivyError),
    /// Creating, reading or cleaning the index folder failed.
    #[error("search index folder {path}: {source}")]
    Io {
        /// The folder or file involved.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// The folder holds an index built by another version of Rasd (or another program).
    #[error(
        "the search index in {path} was built with a different schema ({found}, this Rasd \
         needs {SCHEMA_TAG}); run `rasd reindex` to rebuild it from the store"
    )]
    SchemaMismatch {
        /// The index folder.
        path: PathBuf,
        /// What was found there instead of the expected schema.
        found: String,
    },
    /// The index's files are missing or damaged (a segment file removed or cut short, a
    /// checksum that does not match): the store still holds every item, so the index is
    /// rebuilt from it.
    #[error(
        "the search index in {path} is damaged ({detail}); `rasd reindex` rebuilds it from the \
         store (the next `rasd fetch` or `rasd run` does so by itself when a file is missing or \
         cut short)"
    )]
    Damaged {
        /// The index folder.
        path: PathBuf,
        /// What was found wrong.
        detail: String,
    },
    /// The query text could not be understood; the message says how to write it.
    #[error("cannot search for `{query}`: {message}")]
    Query {
        /// The query as the user wrote it.
        query: String,
        /// What is wrong and how to write it instead.
        message: String,
    },
    /// A filter (the page's parameters, the CLI's flags, a saved search) names something
    /// that is not there; the message says what to write.
    #[error("{0}")]
    Filter(String),
    /// Another writer (the daemon's index sink, or a reindex) holds the index.
    #[error(
        "the search index in {location} is already being written (by the daemon or a \
         reindex); stop that process or wait for it, then try again"
    )]
    WriterBusy {
        /// The index folder, or `memory`.
        location: String,
    },
}

/// Result alias of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_tell_the_user_what_to_do() {
        let e = Error::SchemaMismatch {
            path: PathBuf::from("/data/search"),
            found: "no tag".into(),
        };
        assert!(e.to_string().contains("rasd reindex"));
        let e = Error::Damaged {
            path: PathBuf::from("/data/search"),
            detail: "a file is missing".into(),
        };
        assert!(e.to_string().contains("rasd reindex"));
        let e = Error::Query {
            query: "\"إطلاق نار".into(),
            message: "close the quote".into(),
        };
        assert!(e.to_string().contains("إطلاق نار"));
    }
}
