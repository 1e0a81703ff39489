//! Rasd's detection: what stands out in what was collected.
//!
//! This first cut builds the daily [`Digest`]: the day's items grouped by topic
//! ([`TopicSummary`]), each topic's count set against its average over the previous seven
//! days, with a [`Trend`] that flags what is rising. [`build_digest`] reads the items from the
//! [`rasd_store::Store`] and returns data; rendering it (HTML, Markdown, e-mail) is the job of
//! `rasd-deliver`.
//!
//! The digest also holds a [`PoliceSummary`]: the items about the police by their stance
//! toward the police ([`StanceCounts`]: approving, critical, neutral), published coverage and
//! public comments apart ([`PoliceVoice`]), against the week before, with the day's critical
//! and approving items and, for reference, their tone ([`SentimentCounts`]); and the day's
//! [`Story`] list: near-duplicate items (SimHash fingerprints within [`NEAR_BITS`] bits, grouped
//! by [`near_duplicate_groups`] without comparing every pair) carried by several outlets.
//! [`AlertEngine`] evaluates the alert rules of `alerts.toml` as items arrive and queues
//! their messages in the store's outbox (`rasd-deliver` sends them).

mod alerts;
pub mod clusters;
mod digest;
mod keeper;
mod police;
mod stories;
mod trends;

pub use alerts::{AlertEngine, AlertRun, quiet_end};
pub use digest::{
    BASELINE_DAYS, Digest, DigestItem, ITEMS_PER_TOPIC, OWN_COVERAGE_TOPIC, PlaceCount,
    SAVED_LISTED, SUBMISSIONS_LISTED, SavedSection, StoryFacts, TopicSummary, Trend, build_digest,
    build_digest_from_items, build_digest_with_stories,
};
pub use keeper::StoryKeeper;
pub use police::{
    MIN_CRITICAL, PoliceSummary, PoliceVoice, SHARE_RISE, SentimentCounts, StanceAverage,
    StanceCounts, TOP_ITEMS,
};
pub use stories::{
    ITEMS_PER_STORY, NEAR_BITS, STORIES_LISTED, Story, hamming, is_near_duplicate,
    near_duplicate_groups,
};
pub use trends::{
    Granularity, MIN_LAMBDA, MIN_OWN_DAYS, POISSON_BELOW, TrendFlag, normal_tail, poisson_tail,
    surprise, trends_at, trends_in,
};

/// Errors raised while detecting.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The store could not be read.
    #[error("cannot read the store: {0}")]
    Store(#[from] rasd_store::Error),
    /// An alert rule's query could not run.
    #[error("an alert rule's query failed: {0}")]
    Search(String),
    /// The requested day does not exist in the configured time zone.
    #[error("the day {0} cannot be placed in time zone {1}")]
    Day(chrono::NaiveDate, String),
}

/// The detect crate's result alias.
pub type Result<T, E = Error> = std::result::Result<T, E>;
