//! Rasd's store: the database that is the source of truth for everything Rasd has
//! collected: a SQLite file in WAL mode (the default), or a PostgreSQL server (`[store] url`,
//! [`Store::open_url`]) that several machines share. The search index is derived from it and
//! can be rebuilt from it.
//!
//! - [`db`]: the engine layer. The store's SQL is written once, in SQLite's dialect, and
//!   rewritten for PostgreSQL ([`db::to_pg`]); both run the same migrations and the same
//!   tests (every test of this crate runs on both: `tests` and `tests_pg`).
//! - [`Store`]: one connection behind a mutex, shareable in an `Arc` across tasks. Writes go
//!   one batch per transaction ([`Store::upsert_items`], [`Store::commit_batch`]); every write
//!   is idempotent by item id, so fetching twice never stores twice.
//! - [`UpsertStats`]: what a batch did (inserted, updated, unchanged).
//! - [`Status`]: counts for `rasd status` and the admin page (by language, topic, kind, source).
//! - [`SourceRecord`]: a configured source as last recorded by [`Store::record_sources`].
//! - [`SourceHealth`]: per-source health and schedule ([`Store::source_health`]): last
//!   success and error, failures in a row, publishing rate, `next_due`, and a `flagged`
//!   mark for sources that need a person. [`Store::due_sources`] and
//!   [`Store::set_next_due`] drive the scheduler.
//! - De-duplication on upsert: an unknown id is matched by GUID (same source), then by
//!   content hash (any source) before it is inserted ([`Committed`], [`Duplicate`]).
//! - The change sequence: every insert or update of an item takes the next change number
//!   ([`Store::head_seq`], [`Store::changes_after`]); followers such as the search index
//!   record the last number they applied and catch up from it. [`Store::store_id`] names
//!   the store's lineage, renewed by a restore ([`Store::new_lineage`]).
//! - [`DataLock`]: one writer per data folder, taken before the first write.
//! - Alerts ([`AlertTx`], [`AlertRecord`]) and the outbox of messages ([`Delivery`]):
//!   evaluated in one transaction per page of changes, sent and retried from the outbox.
//! - Saved searches ([`SavedSearch`], [`Store::save_search`]): a named query with its
//!   filters.
//! - The web's people ([`UserRecord`], [`SessionRecord`], [`ApiKeyRecord`], [`AuditEntry`]):
//!   users with argon2id hashes, sessions and API keys by the SHA-256 of their secret,
//!   failed log-ins for lock-out, and the audit log.
//! - Submissions of the public form ([`NewSubmission`], [`SubmissionRecord`]): an item of
//!   kind comment plus the inbox's row, the contact apart ([`Store::submission_contact`]).
//! - Several workers on one store (`rasd run --role`): source leases
//!   ([`Store::lease_due_sources`]) and the queue of fetched items waiting to be tagged
//!   ([`Store::enqueue_fetched`], [`Store::claim_work`], [`Store::complete_work`]).
//! - [`Store::backup_to`]: an online, consistent copy of the store.
//! - [`schema`]: the ordered list of migrations, tracked with `PRAGMA user_version`. A
//!   database written by a newer Rasd is refused ([`Error::SchemaTooNew`]).
//!
//! Items come from `rasd-core` ([`rasd_core::Item`], [`rasd_core::FetchState`]); times are
//! stored as whole unix seconds UTC, so sub-second precision is dropped.

/// In a test: the store of the engine under test, or the end of the test when that engine
/// is missing (see `test_support`).
#[cfg(test)]
macro_rules! test_store {
    () => {
        match open_test() {
            Some(s) => s,
            None => return,
        }
    };
}

mod alerts;
mod copy;
pub mod db;
mod error;
mod lock;
mod people;
mod saved;
pub mod schema;
mod store;
mod submissions;
#[cfg(test)]
mod test_support;
#[doc(hidden)]
pub mod testing;
mod work;

pub use alerts::{
    AlertFilter, AlertRecord, AlertTx, CountedItem, Delivery, ItemBrief, NewAlert, NewDelivery,
    RuleHit, TrendCount, TrendTitle, WindowCounts,
};
pub use copy::{CopyReport, TABLES};
pub use error::{Error, Result};
pub use lock::{DataLock, LOCK_FILE, create_private_dir};
pub use people::{ApiKeyRecord, AuditEntry, LAST_USED_STEP, SessionRecord, UserRecord};
pub use saved::SavedSearch;
pub use store::{
    Changes, Committed, DB_FILE, DEDUP_MIN_CHARS, DedupKey, Duplicate, FLAG_AFTER_FAILURES,
    FLAG_AFTER_SILENCE, RATE_WINDOW, SourceHealth, SourceRecord, Status, Store, StoryAssigned,
    StoryMember, StoryRecord, UpsertStats, redact_url,
};
pub use submissions::{
    NewSubmission, SUBMISSION_STATES, SubmissionFilter, SubmissionRecord, TagFix,
};
