//! Rasd's detection: what stands out in what was collected.
//!
//! This first cut builds the daily [`Digest`]: the day's items grouped by topic
//! ([`TopicSummary`]), each topic's count set against its average over the previous seven
//! days, with a [`Trend`] that flags what is rising. [`build_digest`] reads the items from the
//! [`rasd_store::Store`] and returns data; rendering it (HTML, Markdown, e-mail) is the job of
//! `rasd-deliver`. Story clustering and alert rules come later and will live here too.

mod digest;

pub use digest::{
    Digest, DigestItem, PlaceCount, TopicSummary, Trend, build_digest, build_digest_from_items,
};

/// Errors raised while detecting.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The store could not be read.
    #[error("cannot read the store: {0}")]
    Store(#[from] rasd_store::Error),
    /// The requested day does not exist in the configured time zone.
    #[error("the day {0} cannot be placed in time zone {1}")]
    Day(chrono::NaiveDate, String),
}

/// The detect crate's result alias.
pub type Result<T, E = Error> = std::result::Result<T, E>;
