//! [`Store`]: the SQLite connection and every read and write Rasd makes on it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use crate::db::{Connection, OptionalExtension, Row, Transaction, params};
use chrono::{DateTime, Utc};
use rasd_core::{
    FetchState, Item, ItemKind, Lang, Polarity, PoliceStance, PollStats, SentimentTag,
    SourceConfig, Tags,
};
use serde::Serialize;
use tracing::{info, warn};

use crate::{Error, Result, schema};

/// The database file's name inside the data folder.
pub const DB_FILE: &str = "rasd.sqlite";

/// How long a write waits for another connection's lock before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// How many rows [`Store::for_each_item`] reads per page (the lock is released between pages).
const PAGE: i64 = 256;

/// The item columns, in the order [`RawItem::from_row`] reads them.
const ITEM_COLS: &str = "id, kind, source, url, title, body, author, published, fetched, lang, topics, places, guid, \
     sentiment, sentiment_score, about_police, fingerprint, places_named, police_stance";

/// An article whose title and body together are at least this many characters is
/// recognised by its content hash when it arrives under another URL.
pub const DEDUP_MIN_CHARS: usize = 200;

/// A source is flagged after this many failures in a row…
pub const FLAG_AFTER_FAILURES: u32 = 5;

/// …or when it is failing and has not succeeded for this long.
pub const FLAG_AFTER_SILENCE: chrono::TimeDelta = chrono::TimeDelta::days(3);

/// The window of published times the publishing rate is estimated from.
pub const RATE_WINDOW: chrono::TimeDelta = chrono::TimeDelta::days(14);

/// Rasd's SQLite store. One connection behind a mutex: `Send + Sync`, share it in an `Arc`.
/// Several `Store`s (or processes) may open the same file; WAL mode lets readers run beside
/// the writer and `busy_timeout` makes writers wait for each other.
#[derive(Debug)]
pub struct Store {
    conn: Mutex<Connection>,
    path: Option<PathBuf>,
    url: Option<String>,
}

/// `url` without its password, for logs and errors.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let userinfo = &url[scheme + 3..at];
            match userinfo.find(':') {
                Some(colon) => format!(
                    "{}{}:***{}",
                    &url[..scheme + 3],
                    &userinfo[..colon],
                    &url[at..]
                ),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

/// What one batch of upserts did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct UpsertStats {
    /// Items whose id was new.
    pub inserted: usize,
    /// Known items whose text or tags changed.
    pub updated: usize,
    /// Known items with the same text and tags (left alone).
    pub unchanged: usize,
}

impl UpsertStats {
    /// Adds `other`'s counts to these.
    pub fn add(&mut self, other: UpsertStats) {
        self.inserted += other.inserted;
        self.updated += other.updated;
        self.unchanged += other.unchanged;
    }

    /// All items the batch held.
    pub fn total(&self) -> usize {
        self.inserted + self.updated + self.unchanged
    }
}

/// Counts over the whole store, for `rasd status` and the admin page.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Status {
    /// Stored items.
    pub items: u64,
    /// Configured sources (recorded by [`Store::record_sources`] and not since removed).
    pub sources: u64,
    /// Items per language code (`ar`, `en`, `other`).
    pub by_lang: BTreeMap<String, u64>,
    /// Items per topic id (an item with two topics counts under both).
    pub by_topic: BTreeMap<String, u64>,
    /// Items per item kind (`article`, `comment`).
    pub by_kind: BTreeMap<String, u64>,
    /// Items per source id (including removed sources whose items remain).
    pub by_source: BTreeMap<String, u64>,
    /// The earliest `when` (published, else fetched) of any item.
    pub oldest: Option<DateTime<Utc>>,
    /// The latest `when` of any item.
    pub newest: Option<DateTime<Utc>>,
}

/// What one committed batch did, item by item.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Committed {
    /// The counts ([`Store::commit_batch`] returns only these).
    pub stats: UpsertStats,
    /// The stored ids of the items inserted or updated, in batch order: what the search
    /// index must (re)index. An item recognised as a stored one by GUID appears under the
    /// stored id.
    pub changed: Vec<String>,
    /// Incoming items recognised as stored ones under another id.
    pub duplicates: Vec<Duplicate>,
}

/// An item's story, where it counted, and when (see [`Store::story_window`]).
#[derive(Debug, Clone, PartialEq)]
pub struct StoryMember {
    pub story: u64,
    /// The source id it counted as.
    pub outlet: String,
    /// The owner it counted as (the source id when the source names none).
    pub owner: String,
    /// When it arrived (published, else fetched).
    pub at: DateTime<Utc>,
}

/// One item's story, as [`Store::record_stories`] writes it.
#[derive(Debug, Clone, PartialEq)]
pub struct StoryAssigned {
    pub item_id: String,
    pub story: u64,
    /// The item's title: a new story's title.
    pub title: String,
    pub member: StoryMember,
    /// The item it matched, how (`near_duplicate`, `similar`, `shared:…`) and their cosine;
    /// `None` for the first item of a story.
    pub link_item: Option<String>,
    pub link_kind: Option<String>,
    pub cosine: Option<f32>,
}

/// A story's stored counts.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StoryRecord {
    pub id: u64,
    /// The title of its first item.
    pub title: String,
    pub first_seen: DateTime<Utc>,
    pub last_seen: DateTime<Utc>,
    pub items: usize,
    /// Distinct sources.
    pub outlets: usize,
    /// Distinct owners.
    pub owners: usize,
    /// When it became breaking (`[stories] breaking_owners` within `breaking_within`).
    pub breaking_at: Option<DateTime<Utc>>,
}

/// A page of changes from [`Store::changes_after`].
#[derive(Debug, Clone, Default)]
pub struct Changes {
    /// The changed items, in change order.
    pub items: Vec<Item>,
    /// The number of the last change read; `None` when there was nothing after the number
    /// asked for.
    pub last: Option<u64>,
}

/// An incoming item that turned out to be a stored one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Duplicate {
    /// The incoming item's id (from its URL).
    pub id: String,
    /// The stored item it is.
    pub stored_id: String,
    /// How it was recognised.
    pub by: DedupKey,
}

/// How an incoming item was recognised as a stored one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DedupKey {
    /// The same source gave the same GUID under another URL: the stored item is updated
    /// (its URL follows the new one).
    Guid,
    /// The same title and text (at least [`DEDUP_MIN_CHARS`]) from any source: the stored
    /// item is left as it is.
    Content,
}

/// One configured source's health and schedule, for `rasd sources` and the admin page.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SourceHealth {
    /// The source id.
    pub source: String,
    /// Display name.
    pub name: String,
    /// `feed`, `site` or `form_export`.
    pub kind: String,
    /// Where it is fetched from.
    pub url: String,
    /// Whether it is polled.
    pub enabled: bool,
    /// The last successful poll (a 304 counts).
    pub last_success: Option<DateTime<Utc>>,
    /// The last failed poll.
    pub last_error_at: Option<DateTime<Utc>>,
    /// What went wrong then; cleared by a success.
    pub last_error: Option<String>,
    /// Failures since the last success.
    pub consecutive_failures: u32,
    /// When the current run of failures started; `None` while it succeeds.
    pub failing_since: Option<DateTime<Utc>>,
    /// When it should be polled next; `None` means now (never scheduled).
    pub next_due: Option<DateTime<Utc>>,
    /// Items it publishes per day, estimated from the published times of its items in the
    /// last 14 days at its last success; 0 when unknown.
    pub items_per_day: f64,
    /// Needs a person: [`FLAG_AFTER_FAILURES`] failures in a row, or failing with no success
    /// for [`FLAG_AFTER_SILENCE`].
    pub flagged: bool,
    /// What the last poll that read the source did: entries listed, new ones, items taken,
    /// pages fetched, whether the entry cap or the time budget cut it, and the pages whose
    /// article text was not found or whose site rule found none.
    pub last_poll: PollStats,
}

/// A source as last recorded from the config.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SourceRecord {
    /// The source id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// `feed` or `form_export`.
    pub kind: String,
    /// Where it is fetched from.
    pub url: String,
    /// Whether it is polled.
    pub enabled: bool,
    /// No longer in the config (its items stay).
    pub removed: bool,
}

impl Store {
    /// Opens (creating if needed) `<data_dir>/rasd.sqlite`, creating `data_dir`; sets WAL
    /// mode, a 5 s busy timeout, `synchronous = NORMAL` and foreign keys; runs migrations.
    pub fn open(data_dir: &Path) -> Result<Store> {
        crate::lock::create_private_dir(data_dir)?;
        let path = data_dir.join(DB_FILE);
        if !path.exists() {
            // Created here, readable by its owner only; SQLite gives its -wal and -shm
            // files the same permissions.
            crate::lock::private_file_options()
                .write(true)
                .create(true)
                .truncate(false)
                .open(&path)
                .map_err(|source| Error::Io {
                    path: path.clone(),
                    source,
                })?;
        }
        let open_err = |source: rusqlite::Error| Error::Open {
            path: path.clone(),
            reason: source.into(),
        };
        let raw = rusqlite::Connection::open(&path).map_err(open_err)?;
        configure(&raw).map_err(open_err)?;
        let mode = wal_mode(&raw).map_err(open_err)?;
        if !mode.eq_ignore_ascii_case("wal") {
            warn!(path = %path.display(), journal_mode = %mode, "WAL mode unavailable; readers may block the writer.");
        }
        let mut conn = Connection::sqlite(raw);
        schema::migrate(&mut conn)?;
        info!(path = %path.display(), version = schema::latest_version(), "Store opened.");
        Ok(Store {
            conn: Mutex::new(conn),
            path: Some(path),
            url: None,
        })
    }

    /// Opens the PostgreSQL store at `url` (`postgres://user[:password]@host[:port]/db`),
    /// creating its tables on first use; runs migrations (one writer at a time: they take
    /// the store's write lock).
    pub fn open_url(url: &str) -> Result<Store> {
        let shown = redact_url(url);
        let conn = Connection::postgres(url).map_err(|reason| Error::Open {
            path: PathBuf::from(&shown),
            reason,
        })?;
        let mut conn = conn;
        schema::migrate(&mut conn)?;
        info!(url = %shown, version = schema::latest_version(), "PostgreSQL store opened.");
        Ok(Store {
            conn: Mutex::new(conn),
            path: None,
            url: Some(shown),
        })
    }

    /// Opens the store a configuration names: PostgreSQL when `url` is given, else the
    /// SQLite file in `data_dir`.
    pub fn open_configured(data_dir: &Path, url: Option<&str>) -> Result<Store> {
        match url {
            Some(u) => Store::open_url(u),
            None => Store::open(data_dir),
        }
    }

    /// An empty store in memory, for tests and demos.
    pub fn open_in_memory() -> Result<Store> {
        let raw = rusqlite::Connection::open_in_memory()?;
        configure(&raw)?;
        let mut conn = Connection::sqlite(raw);
        schema::migrate(&mut conn)?;
        Ok(Store {
            conn: Mutex::new(conn),
            path: None,
            url: None,
        })
    }

    /// For other crates' tests: a SQLite store in memory, or, where `RASD_TEST_STORE` is
    /// `postgres`, a fresh schema on the test PostgreSQL server ([`crate::testing`]), so a
    /// suite can be run again on PostgreSQL (`.ci/run` does, for the alert and web tests).
    #[doc(hidden)]
    pub fn open_test() -> Store {
        if std::env::var("RASD_TEST_STORE").as_deref() == Ok("postgres") {
            let url = crate::testing::pg_url()
                .expect("RASD_TEST_STORE=postgres, but there is no PostgreSQL to test on");
            return Store::open_url(&crate::db::fresh_schema_url(&url).unwrap()).unwrap();
        }
        Store::open_in_memory().unwrap()
    }

    /// Bytes the store takes on disk: SQLite's pages (the file, after a checkpoint), or
    /// PostgreSQL's tables with their indexes and TOAST in the store's schema.
    pub fn storage_bytes(&self) -> Result<u64> {
        let conn = self.lock();
        let n: i64 = match conn.as_sqlite() {
            Some(c) => c.query_row(
                "SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()",
                [],
                |r| r.get(0),
            )?,
            None => conn.query_row(
                "SELECT COALESCE(SUM(pg_total_relation_size(c.oid)), 0)::bigint FROM pg_class c \
                 JOIN pg_namespace n ON n.oid = c.relnamespace \
                 WHERE n.nspname = current_schema() AND c.relkind = 'r'",
                params![],
                |r| r.get(0),
            )?,
        };
        Ok(u64::try_from(n).unwrap_or(0))
    }

    /// Which engine the store is on.
    pub fn dialect(&self) -> crate::db::Dialect {
        self.lock().dialect()
    }

    /// The PostgreSQL server's address (password hidden), or `None` for SQLite.
    pub fn url(&self) -> Option<&str> {
        self.url.as_deref()
    }

    /// The database file, or `None` for an in-memory store.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// Inserts or updates `items` in one transaction, idempotent by id. A new id is inserted.
    /// A known id whose content hash and tags are unchanged is left alone. Otherwise its
    /// title, body, url, tags and author are updated, keeping the first `fetched`, the first
    /// `kind` and `source`, and keeping an existing `published` (and `author`) when the new
    /// one is `None`. Topic and place lists are stored sorted and de-duplicated.
    pub fn upsert_items(&self, items: &[Item]) -> Result<UpsertStats> {
        self.commit_batch(items, &[])
    }

    /// [`Store::upsert_items`] plus saving fetch states and source health, in one
    /// transaction: a source's etag is never saved without the items fetched with it. On
    /// error nothing is written. See [`Store::commit_batch_detailed`].
    pub fn commit_batch(&self, items: &[Item], states: &[FetchState]) -> Result<UpsertStats> {
        self.commit_batch_detailed(items, states).map(|c| c.stats)
    }

    /// Like [`Store::commit_batch`], and says which stored items changed and which incoming
    /// ones were duplicates.
    ///
    /// De-duplication: an item whose id is unknown is first looked up by its `guid` among
    /// its source's items (the article moved to another URL: the stored item is compared
    /// and updated as if the id had matched, URL included), then, for articles whose title
    /// and body both have text and together reach [`DEDUP_MIN_CHARS`] characters, by content
    /// hash among all articles (the same article from another feed or URL: left alone and
    /// counted unchanged). A stored item without a GUID takes the incoming one's.
    ///
    /// Health: for each state, the failure run's start is kept (`failing_since`) and, after
    /// a success, the publishing rate is re-estimated from the source's items published in
    /// the 14 days before `last_success`.
    pub fn commit_batch_detailed(
        &self,
        items: &[Item],
        states: &[FetchState],
    ) -> Result<Committed> {
        let mut conn = self.lock();
        let tx = write_tx(&mut conn)?;
        let committed = upsert_in(&tx, items)?;
        for state in states {
            save_state_in(&tx, state)?;
        }
        tx.commit()?;
        Ok(committed)
    }

    /// The item with this id, if stored. A stored row that cannot be read back is
    /// [`Error::Corrupt`].
    pub fn get_item(&self, id: &str) -> Result<Option<Item>> {
        let conn = self.lock();
        let raw = conn
            .prepare_cached(&format!("SELECT {ITEM_COLS} FROM items WHERE id = ?1"))?
            .query_row([id], |r| RawItem::from_row(r, 0))
            .optional()?;
        raw.map(RawItem::into_item).transpose()
    }

    /// The stored items among `ids`, in the order of `ids`; unknown ids and corrupt rows
    /// (logged) are skipped.
    pub fn get_items(&self, ids: &[String]) -> Result<Vec<Item>> {
        let conn = self.lock();
        let mut stmt =
            conn.prepare_cached(&format!("SELECT {ITEM_COLS} FROM items WHERE id = ?1"))?;
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            if let Some(raw) = stmt
                .query_row([id], |r| RawItem::from_row(r, 0))
                .optional()?
                && let Some(item) = readable(raw)
            {
                out.push(item);
            }
        }
        Ok(out)
    }

    /// Items whose `when()` (published, else fetched) is in `[from, to)`, oldest first (ties
    /// in insertion order). Corrupt rows are logged and skipped.
    pub fn items_between(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> Result<Vec<Item>> {
        // Stored times are whole seconds, so `when >= from` is `when_ts >= ceil(from)` and
        // `when < to` is `when_ts < ceil(to)`.
        let (lo, hi) = (ceil_secs(from), ceil_secs(to));
        let conn = self.lock();
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {ITEM_COLS} FROM items WHERE when_ts >= ?1 AND when_ts < ?2 \
             ORDER BY when_ts, rowid"
        ))?;
        let raws = stmt
            .query_map([lo, hi], |r| RawItem::from_row(r, 0))?
            .collect::<crate::db::Result<Vec<_>>>()?;
        Ok(raws.into_iter().filter_map(readable).collect())
    }

    /// Streams every item, in insertion order, to `f` (for rebuilding the search index)
    /// without loading them all: rows are read a page at a time and the lock is released
    /// before `f` runs, so writers are not held up and `f` may use the store. Corrupt rows
    /// are logged and skipped. Returns how many items `f` accepted; stops at `f`'s first
    /// error, returned as [`Error::Callback`].
    pub fn for_each_item<F, E>(&self, mut f: F) -> Result<u64>
    where
        F: FnMut(Item) -> std::result::Result<(), E>,
        E: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        let mut after = i64::MIN;
        let mut count = 0u64;
        loop {
            let page = {
                let conn = self.lock();
                let mut stmt = conn.prepare_cached(&format!(
                    "SELECT rowid, {ITEM_COLS} FROM items WHERE rowid > ?1 ORDER BY rowid LIMIT ?2"
                ))?;
                stmt.query_map([after, PAGE], |r| {
                    Ok((r.get::<_, i64>(0)?, RawItem::from_row(r, 1)?))
                })?
                .collect::<crate::db::Result<Vec<_>>>()?
            };
            let Some(&(last, _)) = page.last() else {
                return Ok(count);
            };
            after = last;
            for (_, raw) in page {
                if let Some(item) = readable(raw) {
                    f(item).map_err(|e| Error::Callback(e.into()))?;
                    count += 1;
                }
            }
        }
    }

    /// Counts by language, topic, kind and source, from one snapshot. Each count is one scan
    /// of a covering index; oldest and newest are index look-ups.
    pub fn status(&self) -> Result<Status> {
        let mut conn = self.lock();
        // One read transaction, so the counts agree with each other under concurrent writers.
        let conn = conn.transaction()?;
        let one = |sql: &str| -> Result<i64> { Ok(conn.query_row(sql, params![], |r| r.get(0))?) };
        let grouped = |sql: &str| -> Result<BTreeMap<String, u64>> {
            let mut stmt = conn.prepare(sql)?;
            let rows = stmt.query_map(params![], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?))
            })?;
            let mut map = BTreeMap::new();
            for row in rows {
                let (key, n) = row?;
                map.insert(key, u64::try_from(n).unwrap_or(0));
            }
            Ok(map)
        };
        let (oldest, newest): (Option<i64>, Option<i64>) = conn.query_row(
            "SELECT (SELECT MIN(when_ts) FROM items), (SELECT MAX(when_ts) FROM items)",
            params![],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        Ok(Status {
            items: u64::try_from(one("SELECT COUNT(*) FROM items")?).unwrap_or(0),
            sources: u64::try_from(one("SELECT COUNT(*) FROM sources WHERE removed = 0")?)
                .unwrap_or(0),
            by_lang: grouped("SELECT lang, COUNT(*) FROM items GROUP BY lang")?,
            by_topic: grouped("SELECT topic, COUNT(*) FROM item_topics GROUP BY topic")?,
            by_kind: grouped("SELECT kind, COUNT(*) FROM items GROUP BY kind")?,
            by_source: grouped("SELECT source, COUNT(*) FROM items GROUP BY source")?,
            oldest: oldest.and_then(|s| DateTime::from_timestamp(s, 0)),
            newest: newest.and_then(|s| DateTime::from_timestamp(s, 0)),
        })
    }

    /// Remembers the configured sources: replaces the rows for these ids (marking them not
    /// removed) and marks every other recorded source as removed. Removed rows are kept,
    /// as their items stay.
    pub fn record_sources(&self, sources: &[SourceConfig]) -> Result<()> {
        let mut conn = self.lock();
        let tx = write_tx(&mut conn)?;
        tx.execute("UPDATE sources SET removed = 1", params![])?;
        {
            let mut stmt = tx.prepare_cached(
                "INSERT INTO sources (id, name, kind, url, enabled, removed) \
                 VALUES (?1, ?2, ?3, ?4, ?5, 0) \
                 ON CONFLICT (id) DO UPDATE SET name = excluded.name, kind = excluded.kind, \
                 url = excluded.url, enabled = excluded.enabled, removed = 0",
            )?;
            for s in sources {
                stmt.execute(params![s.id, s.name, s.kind.code(), s.url, s.enabled])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// Every recorded source, removed ones included, by id.
    pub fn sources(&self) -> Result<Vec<SourceRecord>> {
        let conn = self.lock();
        let mut stmt = conn.prepare_cached(
            "SELECT id, name, kind, url, enabled, removed FROM sources ORDER BY id",
        )?;
        let rows = stmt.query_map(params![], |r| {
            Ok(SourceRecord {
                id: r.get(0)?,
                name: r.get(1)?,
                kind: r.get(2)?,
                url: r.get(3)?,
                enabled: r.get(4)?,
                removed: r.get(5)?,
            })
        })?;
        Ok(rows.collect::<crate::db::Result<_>>()?)
    }

    /// The fetch state of one source, if any was saved.
    pub fn fetch_state(&self, source: &str) -> Result<Option<FetchState>> {
        let conn = self.lock();
        let raw = conn
            .prepare_cached(&format!(
                "SELECT {STATE_COLS} FROM fetch_state WHERE source = ?1"
            ))?
            .query_row([source], RawState::from_row)
            .optional()?;
        raw.map(RawState::into_state).transpose()
    }

    /// Every saved fetch state, by source id. A corrupt row is [`Error::Corrupt`].
    pub fn fetch_states(&self) -> Result<Vec<FetchState>> {
        let conn = self.lock();
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {STATE_COLS} FROM fetch_state ORDER BY source"
        ))?;
        let raws = stmt
            .query_map(params![], RawState::from_row)?
            .collect::<crate::db::Result<Vec<_>>>()?;
        raws.into_iter().map(RawState::into_state).collect()
    }

    /// Saves (replacing) one source's fetch state, and its health as
    /// [`Store::commit_batch`] does.
    pub fn save_fetch_state(&self, state: &FetchState) -> Result<()> {
        let mut conn = self.lock();
        let tx = write_tx(&mut conn)?;
        save_state_in(&tx, state)?;
        tx.commit()?;
        Ok(())
    }

    /// Every configured (not removed) source with its health, by id, including sources
    /// never fetched; `flagged` is judged as of now.
    pub fn source_health(&self) -> Result<Vec<SourceHealth>> {
        self.source_health_at(Utc::now())
    }

    /// [`Store::source_health`] with `flagged` judged as of `now`.
    pub fn source_health_at(&self, now: DateTime<Utc>) -> Result<Vec<SourceHealth>> {
        let conn = self.lock();
        let mut stmt = conn.prepare_cached(
            "SELECT s.id, s.name, s.kind, s.url, s.enabled, f.last_success, f.last_error_at, \
             f.last_error, COALESCE(f.consecutive_failures, 0), f.failing_since, f.next_due, \
             COALESCE(f.items_per_day, 0), COALESCE(f.poll_entries, 0), \
             COALESCE(f.poll_new, 0), COALESCE(f.poll_taken, 0), COALESCE(f.poll_pages, 0), \
             COALESCE(f.poll_capped, 0), COALESCE(f.poll_out_of_time, 0), \
             COALESCE(f.poll_extraction_failed, 0), COALESCE(f.poll_rule_missed, 0) \
             FROM sources s LEFT JOIN fetch_state f ON f.source = s.id \
             WHERE s.removed = 0 ORDER BY s.id",
        )?;
        let rows = stmt
            .query_map(params![], |r| {
                Ok(RawHealth {
                    source: r.get(0)?,
                    name: r.get(1)?,
                    kind: r.get(2)?,
                    url: r.get(3)?,
                    enabled: r.get(4)?,
                    last_success: r.get(5)?,
                    last_error_at: r.get(6)?,
                    last_error: r.get(7)?,
                    consecutive_failures: r.get(8)?,
                    failing_since: r.get(9)?,
                    next_due: r.get(10)?,
                    items_per_day: r.get(11)?,
                    poll: RawPoll::from_row(r, 12)?,
                })
            })?
            .collect::<crate::db::Result<Vec<_>>>()?;
        rows.into_iter().map(|raw| raw.into_health(now)).collect()
    }

    /// The publishing rate estimated at the source's last success (0 when unknown).
    pub fn items_per_day(&self, source: &str) -> Result<f64> {
        let conn = self.lock();
        let rate: Option<f64> = conn
            .prepare_cached("SELECT items_per_day FROM fetch_state WHERE source = ?1")?
            .query_row([source], |r| r.get(0))
            .optional()?;
        Ok(rate.unwrap_or(0.0))
    }

    /// Schedules the source's next poll (whole seconds; the source need not have been
    /// fetched yet).
    pub fn set_next_due(&self, source: &str, at: DateTime<Utc>) -> Result<()> {
        let conn = self.lock();
        conn.prepare_cached(
            "INSERT INTO fetch_state (source, next_due) VALUES (?1, ?2) \
             ON CONFLICT (source) DO UPDATE SET next_due = excluded.next_due",
        )?
        .execute(params![source, at.timestamp()])?;
        Ok(())
    }

    /// The enabled, configured sources due at `now` (never scheduled, or `next_due` not
    /// after `now`), the longest overdue first.
    pub fn due_sources(&self, now: DateTime<Utc>) -> Result<Vec<String>> {
        let conn = self.lock();
        let mut stmt = conn.prepare_cached(
            "SELECT s.id FROM sources s LEFT JOIN fetch_state f ON f.source = s.id \
             WHERE s.removed = 0 AND s.enabled = 1 \
             AND (f.next_due IS NULL OR f.next_due <= ?1) \
             ORDER BY COALESCE(f.next_due, 0), s.id",
        )?;
        let ids = stmt
            .query_map([now.timestamp()], |r| r.get(0))?
            .collect::<crate::db::Result<Vec<String>>>()?;
        Ok(ids)
    }

    /// The store's lineage id: random, made when the store was created and made anew by
    /// [`Store::new_lineage`] (a restore). A follower that applied changes of another
    /// lineage must start over.
    pub fn store_id(&self) -> Result<String> {
        let conn = self.lock();
        Ok(conn
            .prepare_cached("SELECT value FROM meta WHERE key = 'store_id'")?
            .query_row(params![], |r| r.get(0))?)
    }

    /// The number of the latest change (0 for a store never written).
    pub fn head_seq(&self) -> Result<u64> {
        let conn = self.lock();
        let seq: i64 = conn
            .prepare_cached("SELECT value FROM meta WHERE key = 'seq'")?
            .query_row(params![], |r| r.get(0))?;
        Ok(u64::try_from(seq).unwrap_or(0))
    }

    /// The items changed after change number `after`, in change order, at most `limit` of
    /// them. An item changed several times appears once, at its latest number. Corrupt rows
    /// are logged and skipped, but still move [`Changes::last`] on.
    pub fn changes_after(&self, after: u64, limit: usize) -> Result<Changes> {
        self.changes_between(after, u64::MAX, limit)
    }

    /// [`Store::changes_after`] up to change number `upto` (included).
    pub fn changes_between(&self, after: u64, upto: u64, limit: usize) -> Result<Changes> {
        let conn = self.lock();
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT seq, {ITEM_COLS} FROM items WHERE seq > ?1 AND seq <= ?3 ORDER BY seq LIMIT ?2"
        ))?;
        let after = i64::try_from(after).unwrap_or(i64::MAX);
        let upto = i64::try_from(upto).unwrap_or(i64::MAX);
        let limit = i64::try_from(limit.max(1)).unwrap_or(i64::MAX);
        let rows = stmt
            .query_map([after, limit, upto], |r| {
                Ok((r.get::<_, i64>(0)?, RawItem::from_row(r, 1)?))
            })?
            .collect::<crate::db::Result<Vec<_>>>()?;
        let last = rows.last().map(|(seq, _)| u64::try_from(*seq).unwrap_or(0));
        let items = rows
            .into_iter()
            .filter_map(|(_, raw)| readable(raw))
            .collect();
        Ok(Changes { items, last })
    }

    /// Every stored item id, sorted (for checking the index against the store).
    pub fn item_ids(&self) -> Result<Vec<String>> {
        let conn = self.lock();
        let mut stmt = conn.prepare_cached("SELECT id FROM items ORDER BY id")?;
        let ids = stmt
            .query_map(params![], |r| r.get(0))?
            .collect::<crate::db::Result<Vec<String>>>()?;
        Ok(ids)
    }

    /// Gives the store a new lineage id (after a restore), so every follower rebuilds from
    /// it instead of trusting change numbers it saw in another history.
    pub fn new_lineage(&self) -> Result<String> {
        let conn = self.lock();
        Ok(conn
            .prepare_cached(
                "UPDATE meta SET value = lower(hex(randomblob(16))) WHERE key = 'store_id' \
                 RETURNING value",
            )?
            .query_row(params![], |r| r.get(0))?)
    }

    /// Runs SQLite's `PRAGMA quick_check`: `Ok(())` when the file is sound, else
    /// [`Error::Backup`] with what SQLite found.
    pub fn quick_check(&self) -> Result<()> {
        let conn = self.lock();
        if conn.as_sqlite().is_none() {
            // PostgreSQL checks its own pages; a query that reads the tables will do.
            conn.query_row("SELECT COUNT(*) FROM meta", params![], |r| {
                r.get::<_, i64>(0)
            })?;
            return Ok(());
        }
        let mut stmt = conn.prepare("PRAGMA quick_check")?;
        let found = stmt
            .query_map(params![], |r| r.get::<_, String>(0))?
            .collect::<crate::db::Result<Vec<_>>>()?;
        if found.len() == 1 && found[0] == "ok" {
            Ok(())
        } else {
            Err(Error::Backup(format!(
                "the database is damaged: {}",
                found.join("; ")
            )))
        }
    }

    /// Moves everything in the write-ahead log into the database file and empties the log,
    /// so the file alone holds the store (before it is moved or copied).
    pub fn checkpoint(&self) -> Result<()> {
        let conn = self.lock();
        if conn.as_sqlite().is_some() {
            conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", params![], |_| Ok(()))?;
        }
        Ok(())
    }

    /// Writes a consistent copy of the whole store to `target` (which must not exist) while
    /// other connections go on reading and writing: SQLite's `VACUUM INTO`, one read
    /// transaction, so the copy is the store as of one moment, compacted.
    pub fn backup_to(&self, target: &Path) -> Result<()> {
        if target.exists() {
            return Err(Error::Backup(format!(
                "{} already exists: choose a new file name",
                target.display()
            )));
        }
        let name = target.to_str().ok_or_else(|| {
            Error::Backup(format!(
                "{} is not valid UTF-8: choose a plain path",
                target.display()
            ))
        })?;
        let conn = self.lock();
        if conn.as_sqlite().is_none() {
            return Err(Error::Backup(
                "the store is on PostgreSQL: back it up with pg_dump or the server's own \
                 backups (rasd backup copies SQLite stores only)"
                    .into(),
            ));
        }
        conn.execute("VACUUM INTO ?1", [name])?;
        Ok(())
    }

    /// The last change number the story assigner read (see `rasd_detect::clusters`).
    pub fn stories_seq(&self) -> Result<u64> {
        self.meta_seq("stories_seq")
    }

    /// A change number kept in `meta` by a follower of the store.
    pub(crate) fn meta_seq(&self, key: &str) -> Result<u64> {
        let conn = self.lock();
        let seq: i64 = conn
            .prepare_cached("SELECT value FROM meta WHERE key = ?1")?
            .query_row([key], |r| r.get(0))?;
        Ok(u64::try_from(seq).unwrap_or(0))
    }

    /// The highest story id given so far (0 before the first).
    pub fn max_story_id(&self) -> Result<u64> {
        let conn = self.lock();
        let id: i64 = conn
            .prepare_cached("SELECT COALESCE(MAX(id), 0) FROM stories")?
            .query_row(params![], |r| r.get(0))?;
        Ok(u64::try_from(id).unwrap_or(0))
    }

    /// When the latest item given a story arrived (`None` before the first).
    pub fn last_story_at(&self) -> Result<Option<DateTime<Utc>>> {
        let conn = self.lock();
        let at: Option<i64> = conn
            .prepare_cached("SELECT MAX(at) FROM story_items")?
            .query_row(params![], |r| r.get(0))?;
        Ok(at.and_then(|t| DateTime::from_timestamp(t, 0)))
    }

    /// Which of `ids` already have a story.
    pub fn with_story(&self, ids: &[&str]) -> Result<std::collections::HashSet<String>> {
        let conn = self.lock();
        let mut stmt = conn.prepare_cached("SELECT 1 FROM story_items WHERE item_id = ?1")?;
        let mut out = std::collections::HashSet::new();
        for id in ids {
            if stmt.exists([id])? {
                out.insert((*id).to_string());
            }
        }
        Ok(out)
    }

    /// The story of each of `ids` that has one.
    pub fn story_of(&self, ids: &[&str]) -> Result<std::collections::HashMap<String, u64>> {
        let conn = self.lock();
        let mut stmt =
            conn.prepare_cached("SELECT story_id FROM story_items WHERE item_id = ?1")?;
        let mut out = std::collections::HashMap::new();
        for id in ids {
            if let Some(story) = stmt.query_row([id], |r| r.get::<_, i64>(0)).optional()? {
                out.insert((*id).to_string(), u64::try_from(story).unwrap_or(0));
            }
        }
        Ok(out)
    }

    /// The story row of each of `ids` that has one (where it counted, and when).
    pub fn story_members_of(
        &self,
        ids: &[&str],
    ) -> Result<std::collections::HashMap<String, StoryMember>> {
        let conn = self.lock();
        let mut stmt = conn.prepare_cached(
            "SELECT story_id, outlet, owner, at FROM story_items WHERE item_id = ?1",
        )?;
        let mut out = std::collections::HashMap::new();
        for id in ids {
            let member = stmt
                .query_row([id], |r| {
                    Ok(StoryMember {
                        story: u64::try_from(r.get::<_, i64>(0)?).unwrap_or(0),
                        outlet: r.get(1)?,
                        owner: r.get(2)?,
                        at: DateTime::from_timestamp(r.get(3)?, 0).unwrap_or_default(),
                    })
                })
                .optional()?;
            if let Some(m) = member {
                out.insert((*id).to_string(), m);
            }
        }
        Ok(out)
    }

    /// The story of every item given one that arrived in `[from, to)` (as
    /// [`Store::items_between`] counts time: published, else fetched).
    pub fn story_of_between(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<std::collections::HashMap<String, u64>> {
        let conn = self.lock();
        let mut stmt = conn.prepare_cached(
            "SELECT item_id, story_id FROM story_items WHERE at >= ?1 AND at < ?2",
        )?;
        let rows = stmt
            .query_map([ceil_secs(from), ceil_secs(to)], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    u64::try_from(r.get::<_, i64>(1)?).unwrap_or(0),
                ))
            })?
            .collect::<crate::db::Result<_>>()?;
        Ok(rows)
    }

    /// The items given a story that arrived at or after `since`, with their story, oldest
    /// first: what the story assigner reloads at start. Corrupt rows are logged and skipped.
    pub fn story_window(&self, since: DateTime<Utc>) -> Result<Vec<(Item, StoryMember)>> {
        let conn = self.lock();
        let cols: String = ITEM_COLS
            .split(", ")
            .map(|c| format!("items.{}", c.trim()))
            .collect::<Vec<_>>()
            .join(", ");
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT s.story_id, s.outlet, s.owner, s.at, {cols} FROM story_items s \
             JOIN items ON items.id = s.item_id WHERE s.at >= ?1 ORDER BY s.at, s.rowid"
        ))?;
        let rows = stmt
            .query_map([since.timestamp()], |r| {
                Ok((
                    StoryMember {
                        story: u64::try_from(r.get::<_, i64>(0)?).unwrap_or(0),
                        outlet: r.get(1)?,
                        owner: r.get(2)?,
                        at: DateTime::from_timestamp(r.get(3)?, 0).unwrap_or_default(),
                    },
                    RawItem::from_row(r, 4)?,
                ))
            })?
            .collect::<crate::db::Result<Vec<_>>>()?;
        Ok(rows
            .into_iter()
            .filter_map(|(m, raw)| readable(raw).map(|i| (i, m)))
            .collect())
    }

    /// Records story assignments and moves `stories_seq` to `seq`, in one transaction: each
    /// item's row (an item already given a story keeps it), and its story's counts (items,
    /// distinct outlets and owners, first and last seen).
    pub fn record_stories(&self, assigned: &[StoryAssigned], seq: u64) -> Result<()> {
        let mut conn = self.lock();
        let tx = write_tx(&mut conn)?;
        {
            let mut story = tx.prepare_cached(
                "INSERT INTO stories (id, title, first_seen, last_seen, items, outlets, owners) \
                 VALUES (?1, ?2, ?3, ?3, 0, 0, 0) ON CONFLICT (id) DO UPDATE SET \
                 first_seen = min(stories.first_seen, excluded.first_seen), \
                 last_seen = max(stories.last_seen, excluded.last_seen)",
            )?;
            let mut member = tx.prepare_cached(
                "INSERT OR IGNORE INTO story_items (item_id, story_id, outlet, owner, at, \
                 link_item, link_kind, cosine) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )?;
            let mut counts = tx.prepare_cached(
                "UPDATE stories SET items = (SELECT COUNT(*) FROM story_items WHERE story_id = ?1), \
                 outlets = (SELECT COUNT(DISTINCT outlet) FROM story_items WHERE story_id = ?1), \
                 owners = (SELECT COUNT(DISTINCT owner) FROM story_items WHERE story_id = ?1) \
                 WHERE id = ?1",
            )?;
            for a in assigned {
                let id = i64::try_from(a.story).unwrap_or(i64::MAX);
                story.execute(params![id, a.title, a.member.at.timestamp()])?;
                member.execute(params![
                    a.item_id,
                    id,
                    a.member.outlet,
                    a.member.owner,
                    a.member.at.timestamp(),
                    a.link_item,
                    a.link_kind,
                    a.cosine
                ])?;
                counts.execute([id])?;
            }
        }
        tx.execute(
            "UPDATE meta SET value = ?1 WHERE key = 'stories_seq'",
            [i64::try_from(seq).unwrap_or(i64::MAX)],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// The stored counts of these stories (those that exist), by id.
    pub fn stories(&self, ids: &[u64]) -> Result<Vec<StoryRecord>> {
        let conn = self.lock();
        let mut stmt = conn.prepare_cached(&format!("{STORY_SELECT} WHERE id = ?1"))?;
        let mut out = Vec::new();
        for id in ids {
            let id = i64::try_from(*id).unwrap_or(i64::MAX);
            if let Some(r) = stmt.query_row([id], story_record).optional()? {
                out.push(r);
            }
        }
        Ok(out)
    }

    /// The stories seen at or after `since` carried by at least `min_outlets` outlets,
    /// breaking ones first, then most owners, most outlets, latest.
    pub fn recent_stories(
        &self,
        since: DateTime<Utc>,
        min_outlets: usize,
        limit: usize,
    ) -> Result<Vec<StoryRecord>> {
        let conn = self.lock();
        let mut stmt = conn.prepare_cached(&format!(
            "{STORY_SELECT} WHERE last_seen >= ?1 AND outlets >= ?2 \
             ORDER BY breaking_at IS NULL, owners DESC, outlets DESC, last_seen DESC, id \
             LIMIT ?3"
        ))?;
        let rows = stmt
            .query_map(
                params![
                    since.timestamp(),
                    i64::try_from(min_outlets).unwrap_or(i64::MAX),
                    i64::try_from(limit).unwrap_or(i64::MAX)
                ],
                story_record,
            )?
            .collect::<crate::db::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// Each item of a story as (owner, arrival time), oldest first.
    pub fn story_members(&self, id: u64) -> Result<Vec<(String, DateTime<Utc>)>> {
        let conn = self.lock();
        let mut stmt = conn.prepare_cached(
            "SELECT owner, at FROM story_items WHERE story_id = ?1 ORDER BY at, rowid",
        )?;
        let rows = stmt
            .query_map([i64::try_from(id).unwrap_or(i64::MAX)], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    DateTime::from_timestamp(r.get(1)?, 0).unwrap_or_default(),
                ))
            })?
            .collect::<crate::db::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// Records that a story became breaking at `at` (kept when it already was).
    pub fn mark_breaking(&self, id: u64, at: DateTime<Utc>) -> Result<()> {
        let conn = self.lock();
        conn.prepare_cached(
            "UPDATE stories SET breaking_at = ?2 WHERE id = ?1 AND breaking_at IS NULL",
        )?
        .execute(params![
            i64::try_from(id).unwrap_or(i64::MAX),
            at.timestamp()
        ])?;
        Ok(())
    }

    /// The connection; a panic in another thread while holding it leaves it usable (an open
    /// transaction is rolled back when dropped), so poisoning is ignored.
    pub(crate) fn lock(&self) -> MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The columns [`story_record`] reads.
pub(crate) const STORY_SELECT: &str =
    "SELECT id, title, first_seen, last_seen, items, outlets, owners, breaking_at FROM stories";

pub(crate) fn story_record(r: &Row<'_>) -> crate::db::Result<StoryRecord> {
    let time = |t: i64| DateTime::from_timestamp(t, 0).unwrap_or_default();
    Ok(StoryRecord {
        id: u64::try_from(r.get::<_, i64>(0)?).unwrap_or(0),
        title: r.get(1)?,
        first_seen: time(r.get(2)?),
        last_seen: time(r.get(3)?),
        items: usize::try_from(r.get::<_, i64>(4)?).unwrap_or(0),
        outlets: usize::try_from(r.get::<_, i64>(5)?).unwrap_or(0),
        owners: usize::try_from(r.get::<_, i64>(6)?).unwrap_or(0),
        breaking_at: r.get::<_, Option<i64>>(7)?.map(time),
    })
}

/// Switches a file's journal to WAL and answers the mode it is in. SQLite answers a change
/// of journal mode with "database is locked" at once, without waiting on the busy timeout,
/// while another process is opening the same new file (a status command beside a starting
/// daemon); such a refusal is retried until the busy timeout has passed.
fn wal_mode(conn: &rusqlite::Connection) -> rusqlite::Result<String> {
    let deadline = std::time::Instant::now() + BUSY_TIMEOUT;
    loop {
        match conn.pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get(0)) {
            Err(rusqlite::Error::SqliteFailure(e, _))
                if matches!(
                    e.code,
                    rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked
                ) && std::time::Instant::now() < deadline =>
            {
                std::thread::sleep(Duration::from_millis(20));
            }
            other => return other,
        }
    }
}

/// A transaction that takes the write lock at its start (`BEGIN IMMEDIATE`), waiting up to
/// the busy timeout while another connection (another rasd, an outside `sqlite3`) holds it.
/// A deferred one that reads first and then writes is refused at once with "database is
/// locked" when another connection wrote in between: SQLite cannot let it wait, since its
/// snapshot would be stale. Every transaction that writes starts with this one.
pub(crate) fn write_tx(conn: &mut Connection) -> crate::db::Result<Transaction<'_>> {
    conn.write_transaction()
}

/// Per-connection settings (journal mode is set only for files, in [`Store::open`]).
fn configure(conn: &rusqlite::Connection) -> rusqlite::Result<()> {
    conn.busy_timeout(BUSY_TIMEOUT)?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    conn.pragma_update(None, "foreign_keys", true)?;
    Ok(())
}

/// Whole seconds at or after `t`.
fn ceil_secs(t: DateTime<Utc>) -> i64 {
    let s = t.timestamp();
    if t.timestamp_subsec_nanos() > 0 {
        s + 1
    } else {
        s
    }
}

/// A sorted, de-duplicated copy of a tag list.
fn sorted_unique(list: &[String]) -> Vec<String> {
    let mut v = list.to_vec();
    v.sort_unstable();
    v.dedup();
    v
}

/// Whether an item may be recognised by its content hash: an article with a title and a
/// body that together reach [`DEDUP_MIN_CHARS`] characters.
fn content_dedupable(item: &Item) -> bool {
    item.kind == ItemKind::Article
        && !item.title.trim().is_empty()
        && !item.body.trim().is_empty()
        && item.title.chars().count() + item.body.chars().count() >= DEDUP_MIN_CHARS
}

/// Two stored sentiment scores are the same to 4 decimals (a REAL round trip may differ in
/// the last bits).
fn same_score(a: Option<f64>, b: Option<f64>) -> bool {
    match (a, b) {
        (None, None) => true,
        (Some(a), Some(b)) => (a - b).abs() < 1e-4,
        _ => false,
    }
}

/// A stored row's fields that decide between unchanged and updated.
struct Stored {
    hash: String,
    lang: String,
    topics: String,
    places: String,
    places_named: String,
    url: String,
    guid: Option<String>,
    sentiment: Option<String>,
    sentiment_score: Option<f64>,
    about_police: bool,
    police_stance: Option<String>,
}

pub(crate) fn upsert_in(tx: &Transaction<'_>, items: &[Item]) -> Result<Committed> {
    let mut out = Committed::default();
    let mut find = tx.prepare_cached(
        "SELECT content_hash, lang, topics, places, url, guid, sentiment, sentiment_score, \
         about_police, places_named, police_stance FROM items WHERE id = ?1",
    )?;
    let mut find_guid = tx.prepare_cached(
        "SELECT id FROM items WHERE source = ?1 AND guid = ?2 ORDER BY rowid LIMIT 1",
    )?;
    let mut find_hash = tx.prepare_cached(
        "SELECT id FROM items WHERE content_hash = ?1 AND kind = 'article' ORDER BY rowid LIMIT 1",
    )?;
    let mut insert = tx.prepare_cached(
        "INSERT INTO items (id, kind, source, url, title, body, author, published, fetched, \
         when_ts, lang, topics, places, content_hash, guid, sentiment, sentiment_score, \
         about_police, fingerprint, seq, places_named, police_stance) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, \
         ?18, ?19, ?20, ?21, ?22)",
    )?;
    // In an UPDATE the right-hand sides see the old row, so `published` on the right is the
    // stored value.
    let mut update = tx.prepare_cached(
        "UPDATE items SET url = ?2, title = ?3, body = ?4, author = COALESCE(?5, author), \
         published = COALESCE(?6, published), when_ts = COALESCE(?6, published, fetched), \
         lang = ?7, topics = ?8, places = ?9, content_hash = ?10, guid = COALESCE(?11, guid), \
         sentiment = ?12, sentiment_score = ?13, about_police = ?14, fingerprint = ?15, \
         seq = ?16, places_named = ?17, police_stance = ?18 WHERE id = ?1",
    )?;
    // The batch holds the write lock, so no one else takes change numbers meanwhile: they
    // are counted here and `meta.seq` is written once, at the end (one statement per batch
    // instead of one per item, which matters on PostgreSQL where each is a round trip).
    let first_seq: i64 =
        tx.query_row("SELECT value FROM meta WHERE key = 'seq'", params![], |r| {
            r.get(0)
        })?;
    let last_seq = std::cell::Cell::new(first_seq);
    let take_seq = || -> Result<i64> {
        last_seq.set(last_seq.get() + 1);
        Ok(last_seq.get())
    };
    let mut set_guid =
        tx.prepare_cached("UPDATE items SET guid = ?2 WHERE id = ?1 AND guid IS NULL")?;
    let mut clear_topics = tx.prepare_cached("DELETE FROM item_topics WHERE item_id = ?1")?;
    let mut add_topic =
        tx.prepare_cached("INSERT OR IGNORE INTO item_topics (item_id, topic) VALUES (?1, ?2)")?;

    for item in items {
        let topics = sorted_unique(&item.tags.topics);
        let topics_json = serde_json::to_string(&topics)?;
        let places_json = serde_json::to_string(&sorted_unique(&item.tags.places))?;
        let places_named_json = serde_json::to_string(&sorted_unique(&item.tags.places_named))?;
        let hash = item.content_hash();
        let lang = item.tags.lang.code();
        let published = item.published.map(|t| t.timestamp());
        let sentiment = item.tags.sentiment.map(|s| s.label.as_str());
        let sentiment_score = item.tags.sentiment.map(|s| f64::from(s.score));
        let about_police = item.tags.about_police;
        let police_stance = item.tags.police_stance.map(|s| s.as_str());
        let fingerprint = item.tags.fingerprint as i64;
        let guid = item
            .guid
            .as_deref()
            .map(str::trim)
            .filter(|g| !g.is_empty());

        let read = |r: &Row<'_>| {
            Ok(Stored {
                hash: r.get(0)?,
                lang: r.get(1)?,
                topics: r.get(2)?,
                places: r.get(3)?,
                url: r.get(4)?,
                guid: r.get(5)?,
                sentiment: r.get(6)?,
                sentiment_score: r.get(7)?,
                about_police: r.get(8)?,
                places_named: r.get(9)?,
                police_stance: r.get(10)?,
            })
        };
        let mut id = item.id.clone();
        let mut existing = find.query_row([&id], read).optional()?;
        if existing.is_none() {
            let by_guid: Option<String> = match guid {
                Some(g) => find_guid
                    .query_row(params![item.source, g], |r| r.get(0))
                    .optional()?,
                None => None,
            };
            if let Some(stored_id) = by_guid {
                out.duplicates.push(Duplicate {
                    id: item.id.clone(),
                    stored_id: stored_id.clone(),
                    by: DedupKey::Guid,
                });
                existing = find.query_row([&stored_id], read).optional()?;
                id = stored_id;
            } else if content_dedupable(item)
                && let Some(stored_id) = find_hash
                    .query_row([&hash], |r| r.get::<_, String>(0))
                    .optional()?
            {
                out.duplicates.push(Duplicate {
                    id: item.id.clone(),
                    stored_id,
                    by: DedupKey::Content,
                });
                out.stats.unchanged += 1;
                continue;
            }
        }
        match existing {
            None => {
                let seq = take_seq()?;
                insert.execute(params![
                    id,
                    item.kind.code(),
                    item.source,
                    item.url,
                    item.title,
                    item.body,
                    item.author,
                    published,
                    item.fetched.timestamp(),
                    item.when().timestamp(),
                    lang,
                    topics_json,
                    places_json,
                    hash,
                    guid,
                    sentiment,
                    sentiment_score,
                    about_police,
                    fingerprint,
                    seq,
                    places_named_json,
                    police_stance,
                ])?;
                out.stats.inserted += 1;
            }
            Some(old)
                if old.hash == hash
                    && old.lang == lang
                    && old.topics == topics_json
                    && old.places == places_json
                    && old.places_named == places_named_json
                    && old.url == item.url
                    && old.sentiment.as_deref() == sentiment
                    && same_score(old.sentiment_score, sentiment_score)
                    && old.about_police == about_police
                    && old.police_stance.as_deref() == police_stance =>
            {
                if old.guid.is_none()
                    && let Some(g) = guid
                {
                    // Rows stored before GUIDs were kept learn theirs.
                    set_guid.execute(params![id, g])?;
                }
                out.stats.unchanged += 1;
                continue;
            }
            Some(_) => {
                let seq = take_seq()?;
                update.execute(params![
                    id,
                    item.url,
                    item.title,
                    item.body,
                    item.author,
                    published,
                    lang,
                    topics_json,
                    places_json,
                    hash,
                    guid,
                    sentiment,
                    sentiment_score,
                    about_police,
                    fingerprint,
                    seq,
                    places_named_json,
                    police_stance,
                ])?;
                clear_topics.execute([&id])?;
                out.stats.updated += 1;
            }
        }
        for topic in &topics {
            add_topic.execute(params![id, topic])?;
        }
        out.changed.push(id);
    }
    if last_seq.get() != first_seq {
        tx.execute(
            "UPDATE meta SET value = ?1 WHERE key = 'seq'",
            [last_seq.get()],
        )?;
    }
    Ok(out)
}

/// An item row as stored, before its values are checked.
struct RawItem {
    id: String,
    kind: String,
    source: String,
    url: String,
    title: String,
    body: String,
    author: Option<String>,
    published: Option<i64>,
    fetched: i64,
    lang: String,
    topics: String,
    places: String,
    guid: Option<String>,
    sentiment: Option<String>,
    sentiment_score: Option<f64>,
    about_police: bool,
    fingerprint: i64,
    places_named: String,
    police_stance: Option<String>,
}

impl RawItem {
    /// Reads [`ITEM_COLS`] starting at column `at`.
    fn from_row(r: &Row<'_>, at: usize) -> crate::db::Result<RawItem> {
        Ok(RawItem {
            id: r.get(at)?,
            kind: r.get(at + 1)?,
            source: r.get(at + 2)?,
            url: r.get(at + 3)?,
            title: r.get(at + 4)?,
            body: r.get(at + 5)?,
            author: r.get(at + 6)?,
            published: r.get(at + 7)?,
            fetched: r.get(at + 8)?,
            lang: r.get(at + 9)?,
            topics: r.get(at + 10)?,
            places: r.get(at + 11)?,
            guid: r.get(at + 12)?,
            sentiment: r.get(at + 13)?,
            sentiment_score: r.get(at + 14)?,
            about_police: r.get(at + 15)?,
            fingerprint: r.get(at + 16)?,
            places_named: r.get(at + 17)?,
            police_stance: r.get(at + 18)?,
        })
    }

    fn into_item(self) -> Result<Item> {
        let id = self.id;
        let corrupt = |message: String| Error::Corrupt {
            id: id.clone(),
            message,
        };
        let time = |field: &str, secs: i64| {
            DateTime::from_timestamp(secs, 0)
                .ok_or_else(|| corrupt(format!("{field} {secs} is not a valid unix time")))
        };
        let list = |field: &str, json: &str| {
            serde_json::from_str::<Vec<String>>(json)
                .map_err(|e| corrupt(format!("{field} is not a JSON list of strings: {e}")))
        };
        let published = self.published.map(|s| time("published", s)).transpose()?;
        let fetched = time("fetched", self.fetched)?;
        let topics = list("topics", &self.topics)?;
        let places = list("places", &self.places)?;
        let places_named = list("places_named", &self.places_named)?;
        Ok(Item {
            id,
            kind: ItemKind::from_code(&self.kind),
            source: self.source,
            url: self.url,
            guid: self.guid,
            title: self.title,
            body: self.body,
            author: self.author,
            published,
            fetched,
            tags: Tags {
                lang: Lang::from_code(&self.lang),
                topics,
                places,
                places_named,
                sentiment: self
                    .sentiment
                    .as_deref()
                    .and_then(Polarity::parse)
                    .map(|label| SentimentTag {
                        label,
                        score: self.sentiment_score.unwrap_or(0.0) as f32,
                    }),
                about_police: self.about_police,
                // Only an item about the police has a stance.
                police_stance: self
                    .police_stance
                    .as_deref()
                    .and_then(PoliceStance::parse)
                    .filter(|_| self.about_police),
                fingerprint: self.fingerprint as u64,
            },
        })
    }
}

/// Converts a row, logging and dropping it when corrupt.
fn readable(raw: RawItem) -> Option<Item> {
    match raw.into_item() {
        Ok(item) => Some(item),
        Err(e) => {
            warn!(error = %e, reason = "corrupt_row", "Stored item skipped.");
            None
        }
    }
}

/// The fetch-state columns, in the order [`RawState::from_row`] reads them.
const STATE_COLS: &str = "source, etag, last_modified, last_success, last_error_at, last_error, \
     consecutive_failures, seen_entries, poll_entries, poll_new, poll_taken, poll_pages, \
     poll_capped, poll_out_of_time, poll_extraction_failed, poll_rule_missed";

/// A fetch-state row as stored.
struct RawState {
    source: String,
    etag: Option<String>,
    last_modified: Option<String>,
    last_success: Option<i64>,
    last_error_at: Option<i64>,
    last_error: Option<String>,
    consecutive_failures: i64,
    seen_entries: Option<Vec<u8>>,
    poll: RawPoll,
}

/// The `poll_*` columns as stored.
struct RawPoll {
    entries: i64,
    new: i64,
    taken: i64,
    pages: i64,
    capped: bool,
    out_of_time: bool,
    extraction_failed: i64,
    rule_missed: i64,
}

impl RawPoll {
    /// Reads the eight `poll_*` columns starting at `at`.
    fn from_row(r: &Row<'_>, at: usize) -> crate::db::Result<RawPoll> {
        Ok(RawPoll {
            entries: r.get(at)?,
            new: r.get(at + 1)?,
            taken: r.get(at + 2)?,
            pages: r.get(at + 3)?,
            capped: r.get(at + 4)?,
            out_of_time: r.get(at + 5)?,
            extraction_failed: r.get(at + 6)?,
            rule_missed: r.get(at + 7)?,
        })
    }

    fn into_stats(self, id: &str) -> Result<PollStats> {
        let n = |field: &str, v: i64| {
            u32::try_from(v).map_err(|_| Error::Corrupt {
                id: id.to_string(),
                message: format!("poll_{field} {v} is out of range"),
            })
        };
        Ok(PollStats {
            entries: n("entries", self.entries)?,
            new: n("new", self.new)?,
            taken: n("taken", self.taken)?,
            pages: n("pages", self.pages)?,
            capped: self.capped,
            out_of_time: self.out_of_time,
            extraction_failed: n("extraction_failed", self.extraction_failed)?,
            rule_missed: n("rule_missed", self.rule_missed)?,
        })
    }
}

/// Entry keys as stored: 8 big-endian bytes each.
fn seen_to_blob(keys: &[u64]) -> Option<Vec<u8>> {
    (!keys.is_empty()).then(|| keys.iter().flat_map(|k| k.to_be_bytes()).collect())
}

fn seen_from_blob(id: &str, blob: Option<Vec<u8>>) -> Result<Vec<u64>> {
    let Some(blob) = blob else {
        return Ok(Vec::new());
    };
    if blob.len() % 8 != 0 {
        return Err(Error::Corrupt {
            id: id.to_string(),
            message: format!("seen_entries is {} bytes, not a multiple of 8", blob.len()),
        });
    }
    Ok(blob
        .chunks_exact(8)
        .map(|c| u64::from_be_bytes(c.try_into().unwrap_or_default()))
        .collect())
}

impl RawState {
    fn from_row(r: &Row<'_>) -> crate::db::Result<RawState> {
        Ok(RawState {
            source: r.get(0)?,
            etag: r.get(1)?,
            last_modified: r.get(2)?,
            last_success: r.get(3)?,
            last_error_at: r.get(4)?,
            last_error: r.get(5)?,
            consecutive_failures: r.get(6)?,
            seen_entries: r.get(7)?,
            poll: RawPoll::from_row(r, 8)?,
        })
    }

    fn into_state(self) -> Result<FetchState> {
        let source = self.source;
        let time = |field: &str, secs: Option<i64>| stored_time(&source, field, secs);
        let last_success = time("last_success", self.last_success)?;
        let last_error_at = time("last_error_at", self.last_error_at)?;
        let consecutive_failures = stored_failures(&source, self.consecutive_failures)?;
        let seen_entries = seen_from_blob(&source, self.seen_entries)?;
        let last_poll = self.poll.into_stats(&source)?;
        Ok(FetchState {
            source,
            etag: self.etag,
            last_modified: self.last_modified,
            last_success,
            last_error_at,
            last_error: self.last_error,
            consecutive_failures,
            seen_entries,
            last_poll,
        })
    }
}

/// Saves a fetch state and the health that follows from it: the start of the current run
/// of failures, and after a success the publishing rate.
pub(crate) fn save_state_in(tx: &Transaction<'_>, s: &FetchState) -> Result<()> {
    let failing_since = (s.consecutive_failures > 0)
        .then_some(s.last_error_at)
        .flatten()
        .map(|t| t.timestamp());
    tx.prepare_cached(
        "INSERT INTO fetch_state (source, etag, last_modified, last_success, last_error_at, \
         last_error, consecutive_failures, failing_since, seen_entries, poll_entries, poll_new, \
         poll_taken, poll_pages, poll_capped, poll_out_of_time, poll_extraction_failed, \
         poll_rule_missed) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17) \
         ON CONFLICT (source) DO UPDATE SET etag = excluded.etag, \
         last_modified = excluded.last_modified, last_success = excluded.last_success, \
         last_error_at = excluded.last_error_at, last_error = excluded.last_error, \
         consecutive_failures = excluded.consecutive_failures, \
         seen_entries = excluded.seen_entries, poll_entries = excluded.poll_entries, \
         poll_new = excluded.poll_new, poll_taken = excluded.poll_taken, \
         poll_pages = excluded.poll_pages, poll_capped = excluded.poll_capped, \
         poll_out_of_time = excluded.poll_out_of_time, \
         poll_extraction_failed = excluded.poll_extraction_failed, \
         poll_rule_missed = excluded.poll_rule_missed, \
         failing_since = CASE WHEN excluded.consecutive_failures = 0 THEN NULL \
         ELSE COALESCE(fetch_state.failing_since, excluded.failing_since) END",
    )?
    .execute(params![
        s.source,
        s.etag,
        s.last_modified,
        s.last_success.map(|t| t.timestamp()),
        s.last_error_at.map(|t| t.timestamp()),
        s.last_error,
        i64::from(s.consecutive_failures),
        failing_since,
        seen_to_blob(&s.seen_entries),
        i64::from(s.last_poll.entries),
        i64::from(s.last_poll.new),
        i64::from(s.last_poll.taken),
        i64::from(s.last_poll.pages),
        s.last_poll.capped,
        s.last_poll.out_of_time,
        i64::from(s.last_poll.extraction_failed),
        i64::from(s.last_poll.rule_missed),
    ])?;
    if s.consecutive_failures == 0
        && let Some(at) = s.last_success
    {
        let rate = publishing_rate(tx, &s.source, at)?;
        tx.prepare_cached("UPDATE fetch_state SET items_per_day = ?2 WHERE source = ?1")?
            .execute(params![s.source, rate])?;
    }
    Ok(())
}

/// Items per day `source` published in the [`RATE_WINDOW`] before `at`: the count divided
/// by the days from the oldest of them to `at` (at least one day). Items without a published
/// date do not count; neither do those dated more than an hour after `at`.
fn publishing_rate(tx: &Transaction<'_>, source: &str, at: DateTime<Utc>) -> Result<f64> {
    let end = at.timestamp();
    let start = (at - RATE_WINDOW).timestamp();
    let (count, oldest): (i64, Option<i64>) = tx
        .prepare_cached(
            "SELECT COUNT(*), MIN(when_ts) FROM items WHERE source = ?1 \
             AND when_ts > ?2 AND when_ts <= ?3 AND published IS NOT NULL",
        )?
        .query_row(params![source, start, end + 3600], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })?;
    let Some(oldest) = oldest else {
        return Ok(0.0);
    };
    let days = ((end - oldest) as f64 / 86_400.0).max(1.0);
    Ok(count as f64 / days)
}

/// A stored unix time, or [`Error::Corrupt`] naming the row and the field.
fn stored_time(id: &str, field: &str, secs: Option<i64>) -> Result<Option<DateTime<Utc>>> {
    secs.map(|s| {
        DateTime::from_timestamp(s, 0).ok_or_else(|| Error::Corrupt {
            id: id.to_string(),
            message: format!("{field} {s} is not a valid unix time"),
        })
    })
    .transpose()
}

/// A stored failure count, or [`Error::Corrupt`] when it cannot be one.
fn stored_failures(id: &str, n: i64) -> Result<u32> {
    u32::try_from(n).map_err(|_| Error::Corrupt {
        id: id.to_string(),
        message: format!("consecutive_failures {n} is out of range"),
    })
}

/// A health row as stored.
struct RawHealth {
    source: String,
    name: String,
    kind: String,
    url: String,
    enabled: bool,
    last_success: Option<i64>,
    last_error_at: Option<i64>,
    last_error: Option<String>,
    consecutive_failures: i64,
    failing_since: Option<i64>,
    next_due: Option<i64>,
    items_per_day: f64,
    poll: RawPoll,
}

impl RawHealth {
    fn into_health(self, now: DateTime<Utc>) -> Result<SourceHealth> {
        let source = self.source;
        let time = |field: &str, secs: Option<i64>| stored_time(&source, field, secs);
        let last_success = time("last_success", self.last_success)?;
        let last_error_at = time("last_error_at", self.last_error_at)?;
        let failing_since = time("failing_since", self.failing_since)?;
        let next_due = time("next_due", self.next_due)?;
        let consecutive_failures = stored_failures(&source, self.consecutive_failures)?;
        let last_poll = self.poll.into_stats(&source)?;
        let silent_since = last_success.or(failing_since);
        let flagged = consecutive_failures >= FLAG_AFTER_FAILURES
            || (consecutive_failures > 0
                && silent_since.is_some_and(|t| now - t >= FLAG_AFTER_SILENCE));
        Ok(SourceHealth {
            source,
            name: self.name,
            kind: self.kind,
            url: self.url,
            enabled: self.enabled,
            last_success,
            last_error_at,
            last_error: self.last_error,
            consecutive_failures,
            failing_since,
            next_due,
            items_per_day: self.items_per_day,
            flagged,
            last_poll,
        })
    }
}

/// The store's tests, run on both engines: `tests` on SQLite in memory, `tests_pg` on a
/// fresh schema of the test PostgreSQL server ([`crate::testing`]), skipped with a message
/// when PostgreSQL is missing (failing instead where `RASD_REQUIRE_PG` is set).
#[cfg(test)]
macro_rules! store_tests {
    () => {
    use std::sync::Arc;

    use chrono::TimeZone;
    use rasd_core::SourceKind;

    use super::*;

    fn at(secs: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(secs, 0).unwrap()
    }

    /// An Arabic item with a published date and tags.
    fn item(n: u32, published: Option<i64>) -> Item {
        let mut it = Item::new(
            "roya-news",
            &format!("https://example.jo/اخبار/{n}"),
            &format!("ضبط مطلوب رقم {n} في عمّان"),
            "أعلنت مديرية الأمن العام القبض على مطلوب.",
            at(1_780_000_000 + i64::from(n)),
        );
        it.published = published.map(at);
        it.tags = Tags {
            lang: Lang::Ar,
            topics: vec!["arrest".into()],
            places: vec!["amman".into()],
            places_named: vec!["irbid".into()],
            sentiment: Some(SentimentTag {
                label: Polarity::Neutral,
                score: 0.125,
            }),
            about_police: true,
            police_stance: Some(PoliceStance::Neutral),
            fingerprint: 0xfedc_ba98_7654_3210 ^ u64::from(n),
        };
        it
    }

    fn source(id: &str, enabled: bool) -> SourceConfig {
        SourceConfig {
            lang: Some(Lang::Ar),
            enabled,
            ..SourceConfig::new(
                id,
                &format!("مصدر {id}"),
                SourceKind::Feed,
                &format!("https://{id}.example.jo/rss"),
            )
        }
    }

    #[test]
    fn store_is_send_and_sync() {
        fn check<T: Send + Sync>() {}
        check::<Store>();
        check::<Arc<Store>>();
    }

    #[test]
    fn reupserting_same_items_changes_nothing() {
        let store = test_store!();
        let items: Vec<Item> = (0..5).map(|n| item(n, Some(1_790_000_000))).collect();
        let first = store.upsert_items(&items).unwrap();
        assert_eq!(
            first,
            UpsertStats {
                inserted: 5,
                updated: 0,
                unchanged: 0
            }
        );
        let second = store.upsert_items(&items).unwrap();
        assert_eq!(
            second,
            UpsertStats {
                inserted: 0,
                updated: 0,
                unchanged: 5
            }
        );
        assert_eq!(store.status().unwrap().items, 5);
        assert_eq!(store.status().unwrap().by_topic["arrest"], 5);
    }

    #[test]
    fn changed_body_is_updated_and_keeps_first_fetched() {
        let store = test_store!();
        let original = item(1, None);
        store.upsert_items(std::slice::from_ref(&original)).unwrap();

        let mut changed = original.clone();
        changed.body = "تحديث: تم تحويل المطلوب إلى القضاء.".into();
        changed.fetched = at(1_799_999_999);
        changed.source = "other-source".into();
        let stats = store.upsert_items(&[changed.clone()]).unwrap();
        assert_eq!(
            stats,
            UpsertStats {
                inserted: 0,
                updated: 1,
                unchanged: 0
            }
        );

        let got = store.get_item(&original.id).unwrap().unwrap();
        assert_eq!(got.body, changed.body);
        assert_eq!(got.fetched, original.fetched, "first fetched kept");
        assert_eq!(got.source, original.source, "first source kept");
    }

    #[test]
    fn changed_tags_are_updated_and_topic_counts_follow() {
        let store = test_store!();
        let original = item(1, None);
        store.upsert_items(std::slice::from_ref(&original)).unwrap();
        let mut retagged = original.clone();
        retagged.tags.topics = vec!["traffic".into(), "drugs".into(), "traffic".into()];
        let stats = store.upsert_items(&[retagged]).unwrap();
        assert_eq!(stats.updated, 1);

        let got = store.get_item(&original.id).unwrap().unwrap();
        assert_eq!(
            got.tags.topics,
            vec!["drugs", "traffic"],
            "sorted, de-duplicated"
        );
        let status = store.status().unwrap();
        assert_eq!(
            status.by_topic.get("arrest"),
            None,
            "old topic rows removed"
        );
        assert_eq!(status.by_topic["traffic"], 1);
        assert_eq!(status.by_topic["drugs"], 1);
    }

    #[test]
    fn places_named_round_trip_and_a_change_is_an_update() {
        let store = test_store!();
        let mut original = item(1, None);
        original.tags.places = vec!["karak".into()];
        original.tags.places_named = vec!["aqaba".into(), "amman".into(), "aqaba".into()];
        store.upsert_items(std::slice::from_ref(&original)).unwrap();
        let got = store.get_item(&original.id).unwrap().unwrap();
        assert_eq!(got.tags.places, ["karak"]);
        assert_eq!(
            got.tags.places_named,
            ["amman", "aqaba"],
            "sorted, de-duplicated"
        );
        // `rasd retag` moving a governorate from named to event place is an update.
        let mut retagged = got.clone();
        retagged.tags.places_named = vec!["amman".into()];
        assert_eq!(store.upsert_items(&[retagged]).unwrap().updated, 1);
        let got = store.get_item(&original.id).unwrap().unwrap();
        assert_eq!(got.tags.places_named, ["amman"]);
        assert_eq!(store.upsert_items(&[got]).unwrap().unchanged, 1);
    }

    #[test]
    fn published_is_kept_when_new_one_is_none() {
        let store = test_store!();
        let mut original = item(1, Some(1_790_000_000));
        original.author = Some("محمد الخطيب".into());
        store.upsert_items(std::slice::from_ref(&original)).unwrap();

        let mut refetched = original.clone();
        refetched.published = None;
        refetched.author = None;
        refetched.title.push_str(" (محدث)");
        assert_eq!(store.upsert_items(&[refetched]).unwrap().updated, 1);
        let got = store.get_item(&original.id).unwrap().unwrap();
        assert_eq!(got.published, Some(at(1_790_000_000)));
        assert_eq!(got.author.as_deref(), Some("محمد الخطيب"));
        // `when` still follows the kept date.
        let found = store
            .items_between(at(1_790_000_000), at(1_790_000_001))
            .unwrap();
        assert_eq!(found.len(), 1);

        // A new date replaces the old one, and moves `when` with it.
        let mut redated = got.clone();
        redated.published = Some(at(1_795_000_000));
        redated.body.push_str(" تفاصيل إضافية.");
        store.upsert_items(&[redated]).unwrap();
        let got = store.get_item(&original.id).unwrap().unwrap();
        assert_eq!(got.published, Some(at(1_795_000_000)));
        assert!(
            store
                .items_between(at(1_790_000_000), at(1_790_000_001))
                .unwrap()
                .is_empty()
        );
        assert_eq!(
            store
                .items_between(at(1_795_000_000), at(1_795_000_001))
                .unwrap()
                .len(),
            1
        );
    }

    #[test]
    fn arabic_text_round_trips_exactly() {
        let store = test_store!();
        let mut it = item(7, Some(1_790_000_000));
        // Harakat, tatweel, a bidi mark, Arabic-Indic digits, a zero-width joiner and an emoji.
        it.title = "الأمْنُ العـــام: ضبط ٣ مطلوبين\u{200F} في الزرقاء 🚓".into();
        it.body = "فقرة أولى.\n\nفقرة ثانية — مع «اقتباس» و\u{200D}وصلة.".into();
        it.author = Some("مراسل رؤيا".into());
        it.tags.places = vec!["zarqa".into()];
        store.upsert_items(std::slice::from_ref(&it)).unwrap();
        let got = store.get_item(&it.id).unwrap().unwrap();
        assert_eq!(got, it);
    }

    #[test]
    fn missing_item_is_none() {
        let store = test_store!();
        assert_eq!(store.get_item("no-such-id").unwrap(), None);
    }

    #[test]
    fn get_items_keeps_requested_order_and_skips_unknown() {
        let store = test_store!();
        let items: Vec<Item> = (0..3).map(|n| item(n, None)).collect();
        store.upsert_items(&items).unwrap();
        let ids = vec![items[2].id.clone(), "unknown".into(), items[0].id.clone()];
        let got = store.get_items(&ids).unwrap();
        assert_eq!(got, vec![items[2].clone(), items[0].clone()]);
    }

    #[test]
    fn items_between_includes_from_and_excludes_to() {
        let store = test_store!();
        let before = item(1, Some(999));
        let on_from = item(2, Some(1_000));
        let inside = item(3, Some(1_500));
        let on_to = item(4, Some(2_000));
        // No published date: filed under `fetched`.
        let mut undated = item(5, None);
        undated.fetched = at(1_200);
        store
            .upsert_items(&[
                on_to.clone(),
                inside.clone(),
                before,
                undated.clone(),
                on_from.clone(),
            ])
            .unwrap();

        let got = store.items_between(at(1_000), at(2_000)).unwrap();
        let ids: Vec<&str> = got.iter().map(|i| i.id.as_str()).collect();
        assert_eq!(
            ids,
            vec![&on_from.id, &undated.id, &inside.id],
            "oldest first"
        );

        // Sub-second bounds: `when` = 1000 s is before 1000.5 s, and 2000 s is before 2000.5 s.
        let half = |s: i64| at(s) + chrono::Duration::milliseconds(500);
        let got = store.items_between(half(1_000), half(2_000)).unwrap();
        let ids: Vec<&str> = got.iter().map(|i| i.id.as_str()).collect();
        assert_eq!(ids, vec![&undated.id, &inside.id, &on_to.id]);

        assert!(
            store
                .items_between(at(2_000), at(1_000))
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn status_counts_by_lang_topic_kind_and_source() {
        let store = test_store!();
        let a = item(1, None);
        let mut b = item(2, None);
        b.tags.topics = vec!["arrest".into(), "traffic".into()];
        let mut c = item(3, Some(5_000));
        c.tags = Tags {
            lang: Lang::En,
            topics: vec!["traffic".into()],
            ..Tags::default()
        };
        c.source = "jordan-times".into();
        let mut d = item(4, None);
        d.kind = ItemKind::Comment;
        d.source = "form".into();
        d.tags = Tags::default();
        store.upsert_items(&[a, b, c, d]).unwrap();
        store
            .record_sources(&[source("roya-news", true), source("jordan-times", false)])
            .unwrap();

        let s = store.status().unwrap();
        assert_eq!(s.items, 4);
        assert_eq!(s.sources, 2);
        assert_eq!(s.by_lang["ar"], 2);
        assert_eq!(s.by_lang["en"], 1);
        assert_eq!(s.by_lang["other"], 1);
        assert_eq!(s.by_topic["arrest"], 2);
        assert_eq!(s.by_topic["traffic"], 2);
        assert_eq!(s.by_topic.len(), 2);
        assert_eq!(s.by_kind["article"], 3);
        assert_eq!(s.by_kind["comment"], 1);
        assert_eq!(s.by_source["roya-news"], 2);
        assert_eq!(s.by_source["jordan-times"], 1);
        assert_eq!(s.by_source["form"], 1);
        assert_eq!(s.oldest, Some(at(5_000)));
        assert_eq!(s.newest, Some(at(1_780_000_004)));
    }

    #[test]
    fn empty_status_is_zero() {
        let s = test_store!().status().unwrap();
        assert_eq!(s, Status::default());
    }

    #[test]
    fn record_sources_marks_missing_ones_removed() {
        let store = test_store!();
        store
            .record_sources(&[source("roya-news", true), source("petra", true)])
            .unwrap();
        let mut renamed = source("roya-news", false);
        renamed.name = "رؤيا الإخبارية".into();
        store.record_sources(&[renamed]).unwrap();

        let rows = store.sources().unwrap();
        assert_eq!(rows.len(), 2, "removed sources are kept");
        assert_eq!(rows[0].id, "petra");
        assert!(rows[0].removed);
        assert_eq!(rows[1].name, "رؤيا الإخبارية");
        assert!(!rows[1].enabled && !rows[1].removed);
        assert_eq!(store.status().unwrap().sources, 1);

        // Adding it back un-removes it.
        store.record_sources(&[source("petra", true)]).unwrap();
        assert_eq!(store.status().unwrap().sources, 1);
        assert!(!store.sources().unwrap()[0].removed);
    }

    #[test]
    fn fetch_state_round_trips() {
        let store = test_store!();
        assert_eq!(store.fetch_state("roya-news").unwrap(), None);
        let ok = FetchState {
            source: "roya-news".into(),
            etag: Some("\"abc-123\"".into()),
            last_modified: Some("Sun, 22 Nov 2026 08:30:00 GMT".into()),
            last_success: Some(at(1_790_000_000)),
            last_error_at: None,
            last_error: None,
            consecutive_failures: 0,
            seen_entries: vec![1, 2, 3],
            last_poll: PollStats {
                entries: 30,
                new: 3,
                taken: 3,
                pages: 1,
                capped: false,
                out_of_time: false,
                extraction_failed: 1,
                rule_missed: 0,
            },
        };
        store.save_fetch_state(&ok).unwrap();
        assert_eq!(store.fetch_state("roya-news").unwrap(), Some(ok.clone()));

        let failing = FetchState {
            last_error_at: Some(at(1_790_000_600)),
            last_error: Some("HTTP 503: الخدمة غير متاحة".into()),
            consecutive_failures: 3,
            ..ok.clone()
        };
        store.save_fetch_state(&failing).unwrap();
        let other = FetchState {
            source: "petra".into(),
            ..FetchState::default()
        };
        store.save_fetch_state(&other).unwrap();
        assert_eq!(store.fetch_states().unwrap(), vec![other, failing]);
    }

    #[test]
    fn commit_batch_lands_items_and_states_together() {
        let store = test_store!();
        let items = vec![item(1, None), item(2, None)];
        let state = FetchState {
            source: "roya-news".into(),
            etag: Some("W/\"v2\"".into()),
            ..FetchState::default()
        };
        let stats = store
            .commit_batch(&items, std::slice::from_ref(&state))
            .unwrap();
        assert_eq!(stats.inserted, 2);
        assert_eq!(store.fetch_state("roya-news").unwrap(), Some(state));
        assert!(store.get_item(&items[1].id).unwrap().is_some());
    }

    #[test]
    fn seen_entries_and_poll_stats_land_with_the_items() {
        let store = test_store!();
        store.record_sources(&[source("roya-news", true)]).unwrap();
        let state = FetchState {
            source: "roya-news".into(),
            last_success: Some(at(5_000)),
            seen_entries: vec![u64::MAX, 0, 0x0123_4567_89ab_cdef],
            last_poll: PollStats {
                entries: 49_219,
                new: 500,
                taken: 499,
                pages: 12,
                capped: true,
                out_of_time: true,
                extraction_failed: 5,
                rule_missed: 2,
            },
            ..FetchState::default()
        };
        store
            .commit_batch(&[item(1, Some(4_000))], std::slice::from_ref(&state))
            .unwrap();
        assert_eq!(store.fetch_state("roya-news").unwrap(), Some(state.clone()));
        let h = store.source_health_at(at(5_000)).unwrap().remove(0);
        assert_eq!(h.last_poll, state.last_poll);

        // A later poll replaces both; an empty set is stored as NULL and read back empty.
        let later = FetchState {
            seen_entries: Vec::new(),
            last_poll: PollStats::default(),
            ..state
        };
        store.save_fetch_state(&later).unwrap();
        assert_eq!(store.fetch_state("roya-news").unwrap(), Some(later));

        // A scheduled source never fetched has zero stats.
        store.record_sources(&[source("petra", true)]).unwrap();
        store.set_next_due("petra", at(9_000)).unwrap();
        let p = store.fetch_state("petra").unwrap().unwrap();
        assert!(p.seen_entries.is_empty());
        assert_eq!(p.last_poll, PollStats::default());
    }

    #[test]
    fn corrupt_seen_entries_are_reported() {
        let store = test_store!();
        store
            .save_fetch_state(&FetchState {
                source: "alrai".into(),
                seen_entries: vec![7],
                ..FetchState::default()
            })
            .unwrap();
        let conn = store.lock();
        conn.execute(
            conn.dialect_sql(
                "UPDATE fetch_state SET seen_entries = x'0102' WHERE source = 'alrai'",
                "UPDATE fetch_state SET seen_entries = decode('0102', 'hex') WHERE source = 'alrai'",
            ),
            params![],
        )
        .unwrap();
        drop(conn);
        let err = store.fetch_state("alrai").unwrap_err();
        assert!(err.to_string().contains("multiple of 8"), "{err}");
    }

    /// A trigger that refuses the fetch state of source `boom` (a write failing mid-batch).
    fn refuse_boom(store: &Store) {
        let conn = store.lock();
        conn.execute_batch(conn.dialect_sql(
            "CREATE TEMP TRIGGER refuse_boom BEFORE INSERT ON fetch_state \
             WHEN NEW.source = 'boom' BEGIN SELECT RAISE(ABORT, 'state write refused'); END;",
            "CREATE FUNCTION refuse_boom() RETURNS trigger LANGUAGE plpgsql AS \
             'BEGIN IF NEW.source = ''boom'' THEN RAISE EXCEPTION ''state write refused''; \
             END IF; RETURN NEW; END'; \
             CREATE TRIGGER refuse_boom BEFORE INSERT ON fetch_state FOR EACH ROW \
             EXECUTE FUNCTION refuse_boom();",
        ))
        .unwrap();
    }

    #[test]
    fn commit_batch_failing_state_rolls_items_back() {
        let store = test_store!();
        refuse_boom(&store);
        let items = vec![item(1, None), item(2, None)];
        let good = FetchState {
            source: "roya-news".into(),
            etag: Some("\"e1\"".into()),
            ..FetchState::default()
        };
        let bad = FetchState {
            source: "boom".into(),
            ..FetchState::default()
        };
        let err = store.commit_batch(&items, &[good, bad]).unwrap_err();
        assert!(err.to_string().contains("state write refused"), "{err}");
        assert_eq!(store.get_item(&items[0].id).unwrap(), None);
        assert_eq!(store.fetch_state("roya-news").unwrap(), None);
        assert_eq!(store.status().unwrap().items, 0);
        assert!(store.status().unwrap().by_topic.is_empty());
        // The store is still usable afterwards.
        assert_eq!(store.upsert_items(&items).unwrap().inserted, 2);
    }

    #[test]
    fn for_each_item_streams_all_in_insertion_order() {
        let store = test_store!();
        let n = (PAGE as u32) * 2 + 17;
        // Inserted in an order unrelated to id and date.
        let items: Vec<Item> = (0..n).rev().map(|i| item(i, None)).collect();
        for chunk in items.chunks(100) {
            store.upsert_items(chunk).unwrap();
        }
        let mut seen = Vec::new();
        let count = store
            .for_each_item(|it| {
                seen.push(it.id);
                Ok::<(), std::io::Error>(())
            })
            .unwrap();
        assert_eq!(count, u64::from(n));
        let expected: Vec<String> = items.iter().map(|i| i.id.clone()).collect();
        assert_eq!(seen, expected);
    }

    #[test]
    fn for_each_item_stops_at_first_error_and_may_use_the_store() {
        let store = test_store!();
        let items: Vec<Item> = (0..10).map(|i| item(i, None)).collect();
        store.upsert_items(&items).unwrap();
        let mut calls = 0;
        let err = store
            .for_each_item(|it| {
                calls += 1;
                // The lock is not held while the callback runs.
                assert!(store.get_item(&it.id).unwrap().is_some());
                if calls == 4 {
                    Err("index full")
                } else {
                    Ok(())
                }
            })
            .unwrap_err();
        assert_eq!(calls, 4);
        assert!(matches!(err, Error::Callback(_)));
        assert!(err.to_string().contains("index full"), "{err}");
    }

    #[test]
    fn corrupt_row_is_reported_or_skipped() {
        let store = test_store!();
        let good = item(1, Some(1_000));
        let bad = item(2, Some(1_001));
        store.upsert_items(&[good.clone(), bad.clone()]).unwrap();
        store
            .lock()
            .execute(
                "UPDATE items SET topics = 'not json' WHERE id = ?1",
                [&bad.id],
            )
            .unwrap();

        let err = store.get_item(&bad.id).unwrap_err();
        assert!(
            matches!(&err, Error::Corrupt { id, .. } if *id == bad.id),
            "{err}"
        );
        let got = store.items_between(at(0), at(2_000)).unwrap();
        assert_eq!(got, vec![good.clone()]);
        let count = store
            .for_each_item(|_| Ok::<(), std::io::Error>(()))
            .unwrap();
        assert_eq!(count, 1);
    }

    #[test]
    fn a_batch_waits_for_an_outside_writer_instead_of_failing_at_once() {
        sqlite_only!();
        // Another connection (an outside sqlite3) holds the write lock for a moment. A
        // deferred transaction that read before writing was refused at once ("database is
        // locked", no busy wait); one that takes the lock at BEGIN waits and goes through.
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        store.upsert_items(&[item(1, None)]).unwrap();
        let outside = Connection::open(dir.path().join(DB_FILE)).unwrap();
        outside.execute_batch("BEGIN IMMEDIATE").unwrap();
        let (held_tx, held_rx) = std::sync::mpsc::channel();
        let holder = std::thread::spawn(move || {
            held_tx.send(()).unwrap();
            std::thread::sleep(Duration::from_millis(700));
            outside.execute_batch("ROLLBACK").unwrap();
        });
        held_rx.recv().unwrap();
        let stats = store
            .commit_batch(&[item(2, None), item(3, None)], &[])
            .expect("the batch waits for the lock");
        assert_eq!(stats.inserted, 2);
        holder.join().unwrap();
        assert_eq!(store.status().unwrap().items, 3);
    }

    #[test]
    fn file_store_reopens_with_data_and_wal() {
        sqlite_only!();
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("nested").join("data");
        let it = item(1, Some(1_790_000_000));
        {
            let store = Store::open(&data).unwrap();
            assert_eq!(store.path(), Some(data.join(DB_FILE).as_path()));
            store.upsert_items(std::slice::from_ref(&it)).unwrap();
            store
                .save_fetch_state(&FetchState {
                    source: "roya-news".into(),
                    etag: Some("\"x\"".into()),
                    ..FetchState::default()
                })
                .unwrap();
        }
        let store = Store::open(&data).unwrap();
        assert_eq!(store.get_item(&it.id).unwrap(), Some(it));
        assert_eq!(
            store
                .fetch_state("roya-news")
                .unwrap()
                .unwrap()
                .etag
                .as_deref(),
            Some("\"x\"")
        );
        let conn = store.lock();
        let mode: String = conn
            .pragma_query_value(None, "journal_mode")
            .unwrap();
        assert_eq!(mode, "wal");
        let fk: i64 = conn
            .pragma_query_value(None, "foreign_keys")
            .unwrap();
        assert_eq!(fk, 1);
        let sync: i64 = conn
            .pragma_query_value(None, "synchronous")
            .unwrap();
        assert_eq!(sync, 1, "NORMAL");
    }

    #[test]
    fn two_stores_on_one_file_see_each_other() {
        sqlite_only!();
        let dir = tempfile::tempdir().unwrap();
        let writer = Store::open(dir.path()).unwrap();
        let reader = Store::open(dir.path()).unwrap();
        let it = item(1, None);
        writer.upsert_items(std::slice::from_ref(&it)).unwrap();
        assert_eq!(reader.get_item(&it.id).unwrap(), Some(it));
    }

    #[test]
    fn future_schema_version_is_refused() {
        sqlite_only!();
        let dir = tempfile::tempdir().unwrap();
        drop(Store::open(dir.path()).unwrap());
        {
            let conn = Connection::open(dir.path().join(DB_FILE)).unwrap();
            conn.pragma_update(None, "user_version", 99).unwrap();
        }
        let err = Store::open(dir.path()).unwrap_err();
        assert!(
            matches!(err, Error::SchemaTooNew { found: 99, .. }),
            "{err}"
        );
        let msg = err.to_string();
        assert!(msg.contains("upgrade Rasd") && msg.contains("99"), "{msg}");
    }

    #[test]
    fn a_file_that_is_not_a_database_is_named_in_the_error() {
        sqlite_only!();
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join(DB_FILE),
            "هذا ليس ملف قاعدة بيانات، this is not a database either, padded to a page. "
                .repeat(20),
        )
        .unwrap();
        let err = Store::open(dir.path()).unwrap_err();
        assert!(err.to_string().contains(DB_FILE), "{err}");
    }

    #[test]
    fn data_dir_that_is_a_file_is_reported() {
        sqlite_only!();
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("not-a-dir");
        std::fs::write(&file, "x").unwrap();
        let err = Store::open(&file).unwrap_err();
        assert!(matches!(err, Error::CreateDir { .. }), "{err}");
    }

    /// A long Arabic article (over [`DEDUP_MIN_CHARS`]) as a source publishes it.
    fn article(source: &str, url: &str) -> Item {
        let mut it = Item::new(
            source,
            url,
            "مديرية الأمن العام تطلق خطة مرورية لفصل الشتاء",
            "أعلنت مديرية الأمن العام عن خطة مرورية شاملة لفصل الشتاء تتضمن نشر دوريات إضافية \
             على الطرق الخارجية، وتكثيف الرقابة على السرعات في المناطق المرتفعة، والتنسيق مع \
             الدفاع المدني للتعامل مع أي طارئ، ودعت السائقين إلى تخفيف السرعة.",
            at(1_790_000_000),
        );
        it.published = Some(at(1_789_990_000));
        it.tags.lang = Lang::Ar;
        it
    }

    #[test]
    fn same_article_from_two_feeds_is_stored_once() {
        let store = test_store!();
        let a = article("roya-news", "https://royanews.tv/news/1");
        let b = article("petra", "https://petra.gov.jo/Include/InnerPage.jsp?ID=77");
        assert_ne!(a.id, b.id);
        let first = store
            .commit_batch_detailed(std::slice::from_ref(&a), &[])
            .unwrap();
        assert_eq!(first.stats.inserted, 1);
        assert_eq!(first.changed, vec![a.id.clone()]);

        let second = store
            .commit_batch_detailed(std::slice::from_ref(&b), &[])
            .unwrap();
        assert_eq!(
            second.stats,
            UpsertStats {
                inserted: 0,
                updated: 0,
                unchanged: 1
            }
        );
        assert!(second.changed.is_empty(), "nothing to reindex");
        assert_eq!(
            second.duplicates,
            vec![Duplicate {
                id: b.id.clone(),
                stored_id: a.id.clone(),
                by: DedupKey::Content
            }]
        );
        assert_eq!(store.get_item(&b.id).unwrap(), None);
        let kept = store.get_item(&a.id).unwrap().unwrap();
        assert_eq!(kept.source, "roya-news", "the first one stands");
        assert_eq!(store.status().unwrap().items, 1);

        // In one batch too.
        let store = test_store!();
        let stats = store.upsert_items(&[a.clone(), b.clone()]).unwrap();
        assert_eq!((stats.inserted, stats.unchanged), (1, 1));
    }

    #[test]
    fn short_texts_and_comments_are_not_merged_by_content() {
        let store = test_store!();
        // Short: the same one-line news flash from two outlets may be two reports.
        let mut a = item(1, None);
        let mut b = item(2, None);
        b.title = a.title.clone();
        b.body = a.body.clone();
        assert_eq!(a.content_hash(), b.content_hash());
        // Two people may send the same long comment: both are kept.
        let mut c = article("public-form", "form:public-form/F-1");
        c.kind = ItemKind::Comment;
        let mut d = article("public-form", "form:public-form/F-2");
        d.kind = ItemKind::Comment;
        a.source = "roya-news".into();
        let stats = store.upsert_items(&[a, b, c, d]).unwrap();
        assert_eq!(stats.inserted, 4);
    }

    #[test]
    fn same_guid_under_a_new_url_updates_the_stored_item() {
        let store = test_store!();
        let mut old = article("alghad", "https://alghad.com/articles/123-خطة-الشتاء");
        old.guid = Some("alghad-123".into());
        store.upsert_items(std::slice::from_ref(&old)).unwrap();

        let mut moved = old.clone();
        moved.url = "https://alghad.com/news/2026/11/خطة-الشتاء".into();
        moved.id = rasd_core::item_id_for_url(&moved.url);
        let got = store
            .commit_batch_detailed(std::slice::from_ref(&moved), &[])
            .unwrap();
        assert_eq!(
            got.stats,
            UpsertStats {
                inserted: 0,
                updated: 1,
                unchanged: 0
            }
        );
        assert_eq!(got.changed, vec![old.id.clone()], "under the stored id");
        assert_eq!(got.duplicates[0].by, DedupKey::Guid);
        assert_eq!(store.get_item(&moved.id).unwrap(), None);
        let stored = store.get_item(&old.id).unwrap().unwrap();
        assert_eq!(stored.url, moved.url, "the URL follows the move");
        assert_eq!(stored.guid.as_deref(), Some("alghad-123"));

        // Seen again under the new URL: unchanged.
        let again = store.upsert_items(std::slice::from_ref(&moved)).unwrap();
        assert_eq!(again.unchanged, 1);
        assert_eq!(store.status().unwrap().items, 1);

        // The same GUID from another source is another item (GUIDs are per feed); its text
        // differs, so the content hash does not match either.
        let mut other = article("petra", "https://petra.gov.jo/x");
        other.guid = Some("alghad-123".into());
        other.body.push_str(" وأكدت الوكالة ذلك.");
        assert_eq!(store.upsert_items(&[other]).unwrap().inserted, 1);
    }

    #[test]
    fn items_stored_without_a_guid_learn_it() {
        let store = test_store!();
        let mut it = item(3, Some(1_790_000_000));
        store.upsert_items(std::slice::from_ref(&it)).unwrap();
        it.guid = Some("https://example.jo/?p=3".into());
        assert_eq!(
            store
                .upsert_items(std::slice::from_ref(&it))
                .unwrap()
                .unchanged,
            1
        );
        assert_eq!(store.get_item(&it.id).unwrap().unwrap().guid, it.guid);
        // So a later move is recognised.
        let mut moved = it.clone();
        moved.url = "https://example.jo/اخبار/3-جديد".into();
        moved.id = rasd_core::item_id_for_url(&moved.url);
        assert_eq!(store.upsert_items(&[moved]).unwrap().updated, 1);
        assert_eq!(store.status().unwrap().items, 1);
    }

    fn ok_state(source: &str, when: DateTime<Utc>) -> FetchState {
        FetchState {
            source: source.into(),
            last_success: Some(when),
            ..FetchState::default()
        }
    }

    fn failed_state(prev: &FetchState, when: DateTime<Utc>) -> FetchState {
        FetchState {
            last_error_at: Some(when),
            last_error: Some("HTTP 503: الخدمة غير متاحة".into()),
            consecutive_failures: prev.consecutive_failures + 1,
            ..prev.clone()
        }
    }

    #[test]
    fn health_lists_every_configured_source() {
        let store = test_store!();
        store
            .record_sources(&[
                source("roya-news", true),
                source("petra", true),
                source("ammon", false),
                source("gone", true),
            ])
            .unwrap();
        store
            .record_sources(&[
                source("roya-news", true),
                source("petra", true),
                source("ammon", false),
            ])
            .unwrap();
        let t = at(1_790_000_000);
        let day = chrono::TimeDelta::days(1);

        // roya-news: four dated items in the last 14 days, one older, one undated.
        let mut items = Vec::new();
        for (n, days_ago) in [(1, 1), (2, 2), (3, 3), (4, 4), (5, 20)] {
            let mut it = item(n, None);
            it.published = Some(t - day * days_ago);
            items.push(it);
        }
        items.push(item(6, None));
        store
            .commit_batch(&items, &[ok_state("roya-news", t)])
            .unwrap();

        // petra: five failures in a row.
        let mut petra = ok_state("petra", t - day * 2);
        store.save_fetch_state(&petra).unwrap();
        for k in 1..=5 {
            petra = failed_state(&petra, t - day * 2 + chrono::TimeDelta::hours(k));
            let now = t - day * 2 + chrono::TimeDelta::hours(k);
            let h = store.source_health_at(now).unwrap();
            let p = h.iter().find(|h| h.source == "petra");
            assert!(p.is_some_and(|p| !p.flagged), "not yet flagged");
            store
                .commit_batch(&[], std::slice::from_ref(&petra))
                .unwrap();
        }

        let health = store.source_health_at(t).unwrap();
        let ids: Vec<&str> = health.iter().map(|h| h.source.as_str()).collect();
        assert_eq!(
            ids,
            ["ammon", "petra", "roya-news"],
            "removed sources are left out"
        );

        let roya = &health[2];
        assert_eq!(roya.name, "مصدر roya-news");
        assert!(
            (roya.items_per_day - 1.0).abs() < 1e-9,
            "{}",
            roya.items_per_day
        );
        assert_eq!(roya.last_success, Some(t));
        assert!(!roya.flagged);
        assert_eq!(
            store.items_per_day("roya-news").unwrap(),
            roya.items_per_day
        );

        let p = &health[1];
        assert_eq!(p.consecutive_failures, 5);
        assert!(p.flagged);
        assert_eq!(
            p.failing_since,
            Some(t - day * 2 + chrono::TimeDelta::hours(1)),
            "the run's first failure"
        );
        assert!(p.last_error.as_deref().unwrap().contains("503"));

        let never = &health[0];
        assert!(!never.enabled);
        assert_eq!(never.last_success, None);
        assert_eq!(never.consecutive_failures, 0);
        assert_eq!(never.items_per_day, 0.0);
        assert!(!never.flagged);

        // A success clears the run and the flag.
        let back = FetchState {
            last_success: Some(t),
            last_error: None,
            consecutive_failures: 0,
            ..petra
        };
        store.commit_batch(&[], &[back]).unwrap();
        let p = store.source_health_at(t).unwrap().remove(1);
        assert!(!p.flagged);
        assert_eq!(p.failing_since, None);
        assert_eq!(store.items_per_day("nobody").unwrap(), 0.0);
    }

    #[test]
    fn one_failure_after_three_silent_days_is_flagged() {
        let store = test_store!();
        store.record_sources(&[source("alrai", true)]).unwrap();
        let t = at(1_790_000_000);
        let ok = ok_state("alrai", t - chrono::TimeDelta::days(3));
        store.save_fetch_state(&ok).unwrap();
        store.save_fetch_state(&failed_state(&ok, t)).unwrap();
        let h = store.source_health_at(t).unwrap().remove(0);
        assert_eq!(h.consecutive_failures, 1);
        assert!(h.flagged);
        // Quiet but succeeding is fine.
        store.save_fetch_state(&ok).unwrap();
        assert!(!store.source_health_at(t).unwrap()[0].flagged);
    }

    #[test]
    fn due_sources_follow_next_due() {
        let store = test_store!();
        store
            .record_sources(&[
                source("a-never", true),
                source("b-later", true),
                source("c-overdue", true),
                source("d-off", false),
            ])
            .unwrap();
        let now = at(1_790_000_000);
        store
            .set_next_due("b-later", now + chrono::TimeDelta::minutes(10))
            .unwrap();
        store
            .set_next_due("c-overdue", now - chrono::TimeDelta::minutes(10))
            .unwrap();
        assert_eq!(store.due_sources(now).unwrap(), ["a-never", "c-overdue"]);
        let later = now + chrono::TimeDelta::minutes(10);
        assert_eq!(
            store.due_sources(later).unwrap(),
            ["a-never", "c-overdue", "b-later"],
            "longest overdue first"
        );
        // Saving a fetch state keeps the schedule.
        store.save_fetch_state(&ok_state("b-later", now)).unwrap();
        assert_eq!(store.due_sources(now).unwrap(), ["a-never", "c-overdue"]);
        let h = store.source_health_at(now).unwrap();
        assert_eq!(h[1].next_due, Some(later));
        // A removed source is never due.
        store.record_sources(&[source("c-overdue", true)]).unwrap();
        assert_eq!(store.due_sources(later).unwrap(), ["c-overdue"]);
    }

    #[test]
    fn version_1_file_upgrades_with_its_rows() {
        sqlite_only!();
        let dir = tempfile::tempdir().unwrap();
        {
            let conn = Connection::open(dir.path().join(DB_FILE)).unwrap();
            conn.execute_batch(schema::MIGRATIONS[0]).unwrap();
            conn.pragma_update(None, "user_version", 1).unwrap();
            conn.execute_batch(
                "INSERT INTO items (id, kind, source, url, title, body, author, published, fetched, \
                 when_ts, lang, topics, places, content_hash) VALUES ('v1item', 'article', \
                 'roya-news', 'https://royanews.tv/news/9', 'حادث سير على الطريق الصحراوي', \
                 'وقع حادث سير.', NULL, 1789990000, 1790000000, 1789990000, 'ar', \
                 '[\"traffic\"]', '[]', 'h'); \
                 INSERT INTO item_topics VALUES ('v1item', 'traffic'); \
                 INSERT INTO sources VALUES ('roya-news', 'رؤيا', 'feed', 'https://royanews.tv/rss', 1, 0); \
                 INSERT INTO fetch_state (source, etag, last_success, consecutive_failures) \
                 VALUES ('roya-news', '\"v9\"', 1790000000, 0);",
            )
            .unwrap();
        }
        let store = Store::open(dir.path()).unwrap();
        let it = store.get_item("v1item").unwrap().unwrap();
        assert_eq!(it.title, "حادث سير على الطريق الصحراوي");
        assert_eq!(it.guid, None);
        assert_eq!(it.tags.topics, ["traffic"]);
        assert!(
            it.tags.places_named.is_empty(),
            "rows before version 7 name no place"
        );
        assert_eq!(
            store
                .fetch_state("roya-news")
                .unwrap()
                .unwrap()
                .etag
                .as_deref(),
            Some("\"v9\"")
        );
        let h = store.source_health().unwrap();
        assert_eq!(h.len(), 1);
        assert_eq!(h[0].last_success, Some(at(1_790_000_000)));
        assert_eq!(h[0].next_due, None);
        assert_eq!(store.due_sources(Utc::now()).unwrap(), ["roya-news"]);
    }

    #[test]
    fn version_5_file_upgrades_and_keeps_its_poll_stats() {
        sqlite_only!();
        let dir = tempfile::tempdir().unwrap();
        {
            let conn = Connection::open(dir.path().join(DB_FILE)).unwrap();
            for script in &schema::MIGRATIONS[..5] {
                conn.execute_batch(script).unwrap();
            }
            conn.pragma_update(None, "user_version", 5).unwrap();
            conn.execute_batch(
                "INSERT INTO sources VALUES ('alghad', 'الغد', 'feed', 'https://alghad.com/feed/', 1, 0); \
                 INSERT INTO fetch_state (source, etag, last_success, consecutive_failures, \
                 poll_entries, poll_new, poll_taken, poll_pages, poll_capped, poll_out_of_time) \
                 VALUES ('alghad', '\"v5\"', 1790000000, 0, 40, 4, 4, 3, 0, 1);",
            )
            .unwrap();
        }
        let store = Store::open(dir.path()).unwrap();
        let h = store.source_health().unwrap().remove(0);
        assert_eq!(
            h.last_poll,
            PollStats {
                entries: 40,
                new: 4,
                taken: 4,
                pages: 3,
                capped: false,
                out_of_time: true,
                extraction_failed: 0,
                rule_missed: 0,
            }
        );
        // The next poll's counts are stored in the new columns.
        let mut state = store.fetch_state("alghad").unwrap().unwrap();
        assert_eq!(state.etag.as_deref(), Some("\"v5\""));
        state.last_poll.extraction_failed = 3;
        state.last_poll.rule_missed = 1;
        store.save_fetch_state(&state).unwrap();
        let h = store.source_health().unwrap().remove(0);
        assert_eq!(
            (h.last_poll.extraction_failed, h.last_poll.rule_missed),
            (3, 1)
        );
    }

    #[test]
    fn upsert_stats_add_sums() {
        sqlite_only!();
        let mut a = UpsertStats {
            inserted: 1,
            updated: 2,
            unchanged: 3,
        };
        a.add(UpsertStats {
            inserted: 10,
            updated: 20,
            unchanged: 30,
        });
        assert_eq!(
            a,
            UpsertStats {
                inserted: 11,
                updated: 22,
                unchanged: 33
            }
        );
        assert_eq!(a.total(), 66);
    }

    #[test]
    fn sentiment_police_flag_and_fingerprint_round_trip_and_update() {
        let store = test_store!();
        let mut a = item(1, Some(1_000));
        store.upsert_items(std::slice::from_ref(&a)).unwrap();
        let got = store.get_item(&a.id).unwrap().unwrap();
        assert_eq!(
            got.tags, a.tags,
            "a fingerprint with the top bit set survives"
        );
        assert!(got.tags.fingerprint > i64::MAX as u64);

        let again = store.upsert_items(std::slice::from_ref(&a)).unwrap();
        assert_eq!(again.unchanged, 1);
        a.tags.sentiment = Some(SentimentTag {
            label: Polarity::Negative,
            score: -0.75,
        });
        a.tags.about_police = false;
        let changed = store.upsert_items(std::slice::from_ref(&a)).unwrap();
        assert_eq!(changed.updated, 1, "a new sentiment is an update");
        let got = store.get_item(&a.id).unwrap().unwrap();
        assert_eq!(got.tags.sentiment.unwrap().label, Polarity::Negative);
        assert!(!got.tags.about_police);
        a.tags.sentiment = None;
        store.upsert_items(std::slice::from_ref(&a)).unwrap();
        assert_eq!(store.get_item(&a.id).unwrap().unwrap().tags.sentiment, None);
    }

    #[test]
    fn police_stance_round_trips_and_a_new_stance_is_an_update() {
        let store = test_store!();
        let mut a = item(1, Some(1_000));
        a.tags.police_stance = Some(PoliceStance::Critical);
        store.upsert_items(std::slice::from_ref(&a)).unwrap();
        let got = store.get_item(&a.id).unwrap().unwrap();
        assert_eq!(got.tags.police_stance, Some(PoliceStance::Critical));
        assert_eq!(
            store
                .upsert_items(std::slice::from_ref(&a))
                .unwrap()
                .unchanged,
            1
        );
        a.tags.police_stance = Some(PoliceStance::Approving);
        let changed = store.upsert_items(std::slice::from_ref(&a)).unwrap();
        assert_eq!(changed.updated, 1, "a new stance is an update (rasd retag)");
        let got = store.get_item(&a.id).unwrap().unwrap();
        assert_eq!(got.tags.police_stance, Some(PoliceStance::Approving));
        a.tags.police_stance = None;
        store.upsert_items(std::slice::from_ref(&a)).unwrap();
        assert_eq!(
            store.get_item(&a.id).unwrap().unwrap().tags.police_stance,
            None
        );
    }

    #[test]
    fn changes_are_numbered_in_order_and_unchanged_items_take_no_number() {
        let store = test_store!();
        assert_eq!(store.head_seq().unwrap(), 0);
        let items: Vec<Item> = (1..=3).map(|n| item(n, Some(1_000))).collect();
        store.upsert_items(&items).unwrap();
        assert_eq!(store.head_seq().unwrap(), 3);
        store.upsert_items(&items).unwrap();
        assert_eq!(
            store.head_seq().unwrap(),
            3,
            "an unchanged item takes no number"
        );

        let mut second = items[1].clone();
        second.title.push_str(" (محدث)");
        store.upsert_items(std::slice::from_ref(&second)).unwrap();
        assert_eq!(store.head_seq().unwrap(), 4);

        let all = store.changes_after(0, 100).unwrap();
        let ids: Vec<&str> = all.items.iter().map(|i| i.id.as_str()).collect();
        assert_eq!(ids, [&items[0].id, &items[2].id, &items[1].id]);
        assert_eq!(
            all.last,
            Some(4),
            "the updated item appears once, at its new number"
        );

        let page = store.changes_after(0, 2).unwrap();
        assert_eq!(page.items.len(), 2);
        assert_eq!(page.last, Some(3));
        let rest = store.changes_after(3, 2).unwrap();
        assert_eq!(rest.items.len(), 1);
        assert_eq!(rest.items[0].title, second.title);
        let none = store.changes_after(4, 2).unwrap();
        assert!(none.items.is_empty());
        assert_eq!(none.last, None);
    }

    #[test]
    fn failed_batch_takes_no_number() {
        let store = test_store!();
        store.upsert_items(&[item(1, None)]).unwrap();
        refuse_boom(&store);
        let state = FetchState {
            source: "boom".into(),
            ..FetchState::default()
        };
        assert!(store.commit_batch(&[item(2, None)], &[state]).is_err());
        assert_eq!(store.head_seq().unwrap(), 1);
        assert_eq!(store.changes_after(0, 10).unwrap().items.len(), 1);
    }

    #[test]
    fn new_lineage_changes_the_store_id_only() {
        let store = test_store!();
        store.upsert_items(&[item(1, None)]).unwrap();
        let before = store.store_id().unwrap();
        assert_eq!(before.len(), 32);
        let after = store.new_lineage().unwrap();
        assert_ne!(before, after);
        assert_eq!(store.store_id().unwrap(), after);
        assert_eq!(store.head_seq().unwrap(), 1);
    }

    #[test]
    fn backup_is_a_consistent_copy_taken_while_the_store_is_open() {
        sqlite_only!();
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("live")).unwrap();
        let items: Vec<Item> = (1..=20).map(|n| item(n, Some(1_000))).collect();
        store.upsert_items(&items).unwrap();
        let copy_dir = dir.path().join("copy");
        std::fs::create_dir_all(&copy_dir).unwrap();
        store.backup_to(&copy_dir.join(DB_FILE)).unwrap();
        // The live store goes on being written.
        store.upsert_items(&[item(21, None)]).unwrap();
        let copy = Store::open(&copy_dir).unwrap();
        assert_eq!(copy.item_ids().unwrap().len(), 20);
        assert_eq!(copy.head_seq().unwrap(), 20);
        assert_eq!(copy.store_id().unwrap(), store.store_id().unwrap());
        let err = store.backup_to(&copy_dir.join(DB_FILE)).unwrap_err();
        assert!(err.to_string().contains("already exists"), "{err}");
    }

    #[cfg(unix)]
    #[test]
    fn new_store_file_is_private() {
        sqlite_only!();
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        let _store = Store::open(&data).unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&data), 0o700);
        assert_eq!(mode(&data.join(DB_FILE)), 0o600);
    }
};
}

#[cfg(test)]
mod tests {
    #[allow(unused_imports)]
    use crate::test_support::sqlite_only_run as sqlite_only;
    use crate::test_support::test_store_sqlite as open_test;
    store_tests!();
}

#[cfg(test)]
mod tests_pg {
    #[allow(unused_imports)]
    use crate::test_support::sqlite_only_skip as sqlite_only;
    use crate::test_support::test_store_pg as open_test;
    store_tests!();
}
