//! The schema as an ordered list of migrations. Migration `n` (1-based) brings a database
//! from `PRAGMA user_version = n - 1` to `n`, in one transaction. Append new scripts to
//! [`MIGRATIONS`]; never edit a released one.

use crate::db::{Connection, Dialect, params};
use tracing::info;

use crate::{Error, Result};

/// The migration scripts, oldest first. The schema version of a database is the number of
/// scripts applied to it.
pub const MIGRATIONS: &[&str] = &[
    // 1: items (with a topic side table for fast counts), sources, fetch state.
    r#"
CREATE TABLE items (
    id           TEXT PRIMARY KEY NOT NULL,
    kind         TEXT NOT NULL,
    source       TEXT NOT NULL,
    url          TEXT NOT NULL,
    title        TEXT NOT NULL,
    body         TEXT NOT NULL,
    author       TEXT,
    published    INTEGER,
    fetched      INTEGER NOT NULL,
    when_ts      INTEGER NOT NULL,
    lang         TEXT NOT NULL,
    topics       TEXT NOT NULL DEFAULT '[]',
    places       TEXT NOT NULL DEFAULT '[]',
    content_hash TEXT NOT NULL
) STRICT;
CREATE INDEX items_when ON items (when_ts);
CREATE INDEX items_source_when ON items (source, when_ts);
CREATE INDEX items_lang ON items (lang);
CREATE INDEX items_kind ON items (kind);

CREATE TABLE item_topics (
    item_id TEXT NOT NULL REFERENCES items (id) ON DELETE CASCADE,
    topic   TEXT NOT NULL,
    PRIMARY KEY (item_id, topic)
) WITHOUT ROWID, STRICT;
CREATE INDEX item_topics_topic ON item_topics (topic);

CREATE TABLE sources (
    id      TEXT PRIMARY KEY NOT NULL,
    name    TEXT NOT NULL,
    kind    TEXT NOT NULL,
    url     TEXT NOT NULL,
    enabled INTEGER NOT NULL,
    removed INTEGER NOT NULL DEFAULT 0
) STRICT;

CREATE TABLE fetch_state (
    source               TEXT PRIMARY KEY NOT NULL,
    etag                 TEXT,
    last_modified        TEXT,
    last_success         INTEGER,
    last_error_at        INTEGER,
    last_error           TEXT,
    consecutive_failures INTEGER NOT NULL DEFAULT 0
) STRICT;
"#,
    // 2: de-duplication keys (the feed's GUID per source, the content hash across sources)
    // and per-source health and scheduling.
    r#"
ALTER TABLE items ADD COLUMN guid TEXT;
CREATE INDEX items_source_guid ON items (source, guid);
CREATE INDEX items_content_hash ON items (content_hash);

ALTER TABLE fetch_state ADD COLUMN failing_since INTEGER;
ALTER TABLE fetch_state ADD COLUMN next_due INTEGER;
ALTER TABLE fetch_state ADD COLUMN items_per_day REAL NOT NULL DEFAULT 0;
"#,
    // 3: sentiment, the police flag and the near-duplicate fingerprint (a u64 stored as its
    // two's-complement i64).
    r#"
ALTER TABLE items ADD COLUMN sentiment TEXT;
ALTER TABLE items ADD COLUMN sentiment_score REAL;
ALTER TABLE items ADD COLUMN about_police INTEGER NOT NULL DEFAULT 0;
ALTER TABLE items ADD COLUMN fingerprint INTEGER NOT NULL DEFAULT 0;
CREATE INDEX items_police_when ON items (about_police, when_ts);
"#,
    // 4: the change sequence. Every insert or update of an item takes the next number of
    // `meta.seq` into `items.seq`, so a follower (the search index, later replicas and
    // alerting) applies what changed after the last number it applied. `store_id` names the
    // store's lineage: a follower that saw another lineage starts over. Rows stored before
    // this version take their rowid.
    r#"
CREATE TABLE meta (
    key   TEXT PRIMARY KEY NOT NULL,
    value ANY NOT NULL
) STRICT;
ALTER TABLE items ADD COLUMN seq INTEGER NOT NULL DEFAULT 0;
UPDATE items SET seq = rowid;
CREATE UNIQUE INDEX items_seq ON items (seq);
INSERT INTO meta (key, value) VALUES ('store_id', lower(hex(randomblob(16))));
INSERT INTO meta (key, value) VALUES ('seq', (SELECT COALESCE(MAX(seq), 0) FROM items));
"#,
    // 5 (sources hardening): per source, the keys of the feed entries already taken (8 bytes
    // each, big-endian, the most recent first) and what the last poll did.
    r#"
ALTER TABLE fetch_state ADD COLUMN seen_entries BLOB;
ALTER TABLE fetch_state ADD COLUMN poll_entries INTEGER NOT NULL DEFAULT 0;
ALTER TABLE fetch_state ADD COLUMN poll_new INTEGER NOT NULL DEFAULT 0;
ALTER TABLE fetch_state ADD COLUMN poll_taken INTEGER NOT NULL DEFAULT 0;
ALTER TABLE fetch_state ADD COLUMN poll_pages INTEGER NOT NULL DEFAULT 0;
ALTER TABLE fetch_state ADD COLUMN poll_capped INTEGER NOT NULL DEFAULT 0;
ALTER TABLE fetch_state ADD COLUMN poll_out_of_time INTEGER NOT NULL DEFAULT 0;
"#,
    // 6: what the last poll's article pages gave: pages whose article text was not found,
    // and pages where the source's article_selector found none.
    r#"
ALTER TABLE fetch_state ADD COLUMN poll_extraction_failed INTEGER NOT NULL DEFAULT 0;
ALTER TABLE fetch_state ADD COLUMN poll_rule_missed INTEGER NOT NULL DEFAULT 0;
"#,
    // 7: the governorates an item names but that were not judged the place of its event
    // (`Tags::places_named`, a JSON list like `places`; `[]` for rows stored before), and
    // what an item about the police says of them (`police_stance`: `approving`, `critical`,
    // `neutral`; NULL for other items and rows tagged before). `rasd retag` fills both.
    r#"
ALTER TABLE items ADD COLUMN places_named TEXT NOT NULL DEFAULT '[]';
ALTER TABLE items ADD COLUMN police_stance TEXT;
"#,
    // 8: stories across outlets. Each item gets its story once (`story_items`), with the
    // outlet (source id) and owner it counted as, when it arrived, and the item it matched
    // (NULL for the first of a story); `stories` keeps each story's counts and when it
    // became breaking (NULL: not breaking). `meta.stories_seq` is the last change number the
    // story assigner read.
    r#"
CREATE TABLE stories (
    id         INTEGER PRIMARY KEY,
    title      TEXT NOT NULL,
    first_seen INTEGER NOT NULL,
    last_seen  INTEGER NOT NULL,
    items      INTEGER NOT NULL,
    outlets    INTEGER NOT NULL,
    owners     INTEGER NOT NULL,
    breaking_at INTEGER
) STRICT;
CREATE INDEX stories_last_seen ON stories (last_seen);
CREATE TABLE story_items (
    item_id   TEXT PRIMARY KEY NOT NULL,
    story_id  INTEGER NOT NULL REFERENCES stories (id),
    outlet    TEXT NOT NULL,
    owner     TEXT NOT NULL,
    at        INTEGER NOT NULL,
    link_item TEXT,
    link_kind TEXT,
    cosine    REAL
) STRICT;
CREATE INDEX story_items_story ON story_items (story_id);
CREATE INDEX story_items_at ON story_items (at);
INSERT INTO meta (key, value) VALUES ('stories_seq', 0);
"#,
    // 9: alerts. `rule_hits` keeps each item an alert rule counted (with its story, its
    // governorate for `per = "place"` rules, and where it counted); `alerts` one row per
    // story per rule (or per governorate per window), `alert_items` the items threaded into
    // it; `outbox` every message to send, with its idempotency key, state (`queued`,
    // `sent`, `dead`, `capped`, `summarized`, `cancelled`), attempts and next attempt.
    // `meta.alerts_seq` is the last change number the rules were evaluated on.
    r#"
CREATE TABLE rule_hits (
    rule_id  TEXT NOT NULL,
    item_id  TEXT NOT NULL,
    story_id INTEGER NOT NULL,
    place    TEXT NOT NULL,
    outlet   TEXT NOT NULL,
    owner    TEXT NOT NULL,
    at       INTEGER NOT NULL,
    PRIMARY KEY (rule_id, item_id, place)
) STRICT;
CREATE INDEX rule_hits_story ON rule_hits (rule_id, story_id, at);
CREATE INDEX rule_hits_place ON rule_hits (rule_id, place, at);
CREATE TABLE alerts (
    id            INTEGER PRIMARY KEY,
    rule_id       TEXT NOT NULL,
    key           TEXT NOT NULL,
    severity      TEXT NOT NULL,
    story_id      INTEGER,
    place         TEXT,
    title         TEXT NOT NULL,
    opened_at     INTEGER NOT NULL,
    first_item_at INTEGER NOT NULL,
    last_item_at  INTEGER NOT NULL,
    items         INTEGER NOT NULL,
    outlets       INTEGER NOT NULL,
    owners        INTEGER NOT NULL,
    first_item    TEXT NOT NULL,
    topics        TEXT NOT NULL,
    places        TEXT NOT NULL,
    state         TEXT NOT NULL,
    acked_at      INTEGER,
    acked_by      TEXT,
    escalated_at  INTEGER,
    UNIQUE (rule_id, key)
) STRICT;
CREATE INDEX alerts_opened ON alerts (opened_at);
CREATE TABLE alert_items (
    alert_id INTEGER NOT NULL REFERENCES alerts (id),
    item_id  TEXT NOT NULL,
    outlet   TEXT NOT NULL,
    owner    TEXT NOT NULL,
    at       INTEGER NOT NULL,
    PRIMARY KEY (alert_id, item_id)
) STRICT;
CREATE TABLE outbox (
    id         INTEGER PRIMARY KEY,
    key        TEXT NOT NULL UNIQUE,
    alert_id   INTEGER,
    kind       TEXT NOT NULL,
    channel    TEXT NOT NULL,
    recipient  TEXT NOT NULL,
    subject    TEXT NOT NULL,
    body_text  TEXT NOT NULL,
    body_html  TEXT,
    payload    TEXT,
    state      TEXT NOT NULL,
    attempts   INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    next_at    INTEGER NOT NULL,
    sent_at    INTEGER,
    last_error TEXT,
    note       TEXT
) STRICT;
CREATE INDEX outbox_due ON outbox (state, next_at);
CREATE INDEX outbox_alert ON outbox (alert_id);
INSERT INTO meta (key, value) VALUES ('alerts_seq', 0);
"#,
    // 10: images a mail shows inline (the digest's charts as PNG): a JSON list of
    // {"cid", "png"} with the PNG in base64; NULL for messages without.
    r#"
ALTER TABLE outbox ADD COLUMN images TEXT;
"#,
    // 11: saved searches: a name, the query text and the filters (a JSON object of lists:
    // lang, topics, places, sources, sentiment, police, kind); owner is the user who saved
    // it (NULL until the web has log-in).
    r#"
CREATE TABLE saved_searches (
    name       TEXT PRIMARY KEY,
    query      TEXT NOT NULL,
    filters    TEXT NOT NULL DEFAULT '{}',
    owner      TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
) STRICT;
"#,
    // 12: the web's people and what they do: users (argon2id hashes), sessions (by the
    // SHA-256 of the cookie), failed log-ins (for lock-out), API keys (by their SHA-256),
    // the audit log; submissions of the public form (their text is an item of kind
    // comment; the contact details apart, in their own table); tag fixes (labelled
    // examples for training).
    r#"
CREATE TABLE users (
    name        TEXT PRIMARY KEY NOT NULL,
    role        TEXT NOT NULL,
    password    TEXT NOT NULL,
    disabled    INTEGER NOT NULL DEFAULT 0,
    created_at  INTEGER NOT NULL,
    password_at INTEGER NOT NULL,
    last_login  INTEGER
) STRICT;
CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY NOT NULL,
    user       TEXT NOT NULL REFERENCES users (name),
    csrf       TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    address    TEXT NOT NULL
) STRICT;
CREATE INDEX sessions_user ON sessions (user);
CREATE TABLE login_failures (
    key TEXT NOT NULL,
    at  INTEGER NOT NULL
) STRICT;
CREATE INDEX login_failures_key ON login_failures (key, at);
CREATE TABLE api_keys (
    id         TEXT PRIMARY KEY NOT NULL,
    key_hash   TEXT NOT NULL UNIQUE,
    user       TEXT NOT NULL REFERENCES users (name),
    label      TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    last_used  INTEGER,
    revoked_at INTEGER
) STRICT;
CREATE TABLE audit_log (
    id      INTEGER PRIMARY KEY,
    at      INTEGER NOT NULL,
    actor   TEXT NOT NULL,
    action  TEXT NOT NULL,
    target  TEXT NOT NULL,
    detail  TEXT NOT NULL DEFAULT '',
    address TEXT NOT NULL DEFAULT ''
) STRICT;
CREATE INDEX audit_log_at ON audit_log (at);
CREATE TABLE submissions (
    reference   TEXT PRIMARY KEY NOT NULL,
    item_id     TEXT NOT NULL,
    category    TEXT NOT NULL,
    governorate TEXT NOT NULL,
    lang        TEXT NOT NULL,
    via         TEXT NOT NULL,
    status      TEXT NOT NULL DEFAULT 'new',
    assignee    TEXT,
    merged_into TEXT,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
) STRICT;
CREATE INDEX submissions_status ON submissions (status, created_at);
CREATE INDEX submissions_item ON submissions (item_id);
CREATE TABLE submission_contacts (
    reference TEXT PRIMARY KEY NOT NULL REFERENCES submissions (reference),
    name      TEXT NOT NULL,
    contact   TEXT NOT NULL
) STRICT;
CREATE TABLE tag_fixes (
    id      INTEGER PRIMARY KEY,
    item_id TEXT NOT NULL,
    at      INTEGER NOT NULL,
    user    TEXT NOT NULL,
    before  TEXT NOT NULL,
    after   TEXT NOT NULL
) STRICT;
CREATE INDEX tag_fixes_item ON tag_fixes (item_id);
"#,
    // 13: several workers on one store (`rasd run --role`): a lease per source being
    // fetched (owner '' and lease_until 0: free), and the queue of fetched items waiting
    // to be tagged and stored (an item as JSON; owner and lease_until while a worker has
    // it).
    r#"
CREATE TABLE source_leases (
    source      TEXT PRIMARY KEY NOT NULL,
    owner       TEXT NOT NULL DEFAULT '',
    lease_until INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE TABLE work_queue (
    id          INTEGER PRIMARY KEY,
    source      TEXT NOT NULL,
    item        TEXT NOT NULL,
    queued_at   INTEGER NOT NULL,
    owner       TEXT NOT NULL DEFAULT '',
    lease_until INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX work_queue_lease ON work_queue (lease_until, id);
"#,
];

/// The newest schema version this build knows.
pub fn latest_version() -> u32 {
    MIGRATIONS.len() as u32
}

/// The database's schema version: SQLite's `PRAGMA user_version`, or the one row of the
/// `rasd_schema` table on PostgreSQL (0 when it is not there yet).
pub fn current_version(conn: &Connection) -> Result<i64> {
    match conn.as_sqlite() {
        Some(c) => Ok(c.pragma_query_value(None, "user_version", |r| r.get(0))?),
        None => {
            let exists: bool = conn.query_row(
                "SELECT to_regclass('rasd_schema') IS NOT NULL",
                params![],
                |r| r.get(0),
            )?;
            if !exists {
                return Ok(0);
            }
            Ok(conn.query_row("SELECT version FROM rasd_schema", params![], |r| r.get(0))?)
        }
    }
}

fn set_version(conn: &Connection, version: u32) -> crate::db::Result<()> {
    match conn.as_sqlite() {
        Some(c) => Ok(c.pragma_update(None, "user_version", version)?),
        None => {
            conn.execute_batch(
                "CREATE TABLE IF NOT EXISTS rasd_schema (version BIGINT NOT NULL); \
                 DELETE FROM rasd_schema",
            )?;
            conn.execute("INSERT INTO rasd_schema (version) VALUES (?1)", [version])?;
            Ok(())
        }
    }
}

/// A migration script in PostgreSQL's terms: the same tables, columns and indexes, with
/// PostgreSQL's types (`BIGINT`, `DOUBLE PRECISION`, `BYTEA`; `meta.value` is `TEXT`), an
/// identity for SQLite's `INTEGER PRIMARY KEY`, and an explicit `rowid` column (insertion
/// order) on the tables whose order the store reads by rowid.
pub fn postgres_script(script: &str) -> String {
    let mut s = script
        .replace(") WITHOUT ROWID, STRICT;", ");")
        .replace(") STRICT;", ");")
        .replace(
            "INTEGER PRIMARY KEY,",
            "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,",
        )
        .replace("value ANY NOT NULL", "value TEXT NOT NULL")
        .replace(
            "lower(hex(randomblob(16)))",
            "md5(random()::text || clock_timestamp()::text)",
        )
        .replace(
            "CREATE TABLE items (\n",
            "CREATE TABLE items (\n    rowid        BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,\n",
        )
        .replace(
            "CREATE TABLE story_items (\n",
            "CREATE TABLE story_items (\n    rowid     BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,\n",
        );
    for (from, to) in [
        (" INTEGER", " BIGINT"),
        (" REAL", " DOUBLE PRECISION"),
        (" BLOB", " BYTEA"),
    ] {
        s = s.replace(from, to);
    }
    s
}

/// Applies the migrations `conn` lacks, each in its own immediate transaction (so two
/// processes opening the same file at once do not both apply one). Refuses a database whose
/// version is newer than [`latest_version`].
pub fn migrate(conn: &mut Connection) -> Result<()> {
    check_not_newer(current_version(conn)?)?;
    for (index, script) in MIGRATIONS.iter().enumerate() {
        let version = index as u32 + 1;
        let failed = |source| Error::Migration { version, source };
        let tx = conn.write_transaction().map_err(failed)?;
        let found = current_version(&tx)?;
        check_not_newer(found)?;
        if found >= i64::from(version) {
            continue;
        }
        match tx.dialect() {
            Dialect::Sqlite => tx.execute_batch(script),
            Dialect::Postgres => tx.execute_batch(&postgres_script(script)),
        }
        .map_err(failed)?;
        set_version(&tx, version).map_err(failed)?;
        tx.commit().map_err(failed)?;
        info!(version, "Database schema migrated.");
    }
    Ok(())
}

fn check_not_newer(found: i64) -> Result<()> {
    if found > i64::from(latest_version()) {
        return Err(Error::SchemaTooNew {
            found,
            supported: latest_version(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrating_twice_is_a_no_op() {
        let mut conn = Connection::open_in_memory().unwrap();
        migrate(&mut conn).unwrap();
        assert_eq!(current_version(&conn).unwrap(), i64::from(latest_version()));
        migrate(&mut conn).unwrap();
        assert_eq!(current_version(&conn).unwrap(), i64::from(latest_version()));
        let tables: i64 = conn
            .query_row(
                "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' \
                 AND name IN ('items', 'item_topics', 'sources', 'fetch_state')",
                params![],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(tables, 4);
    }

    #[test]
    fn version_1_database_upgrades_and_keeps_its_rows() {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(MIGRATIONS[0]).unwrap();
        conn.pragma_update(None, "user_version", 1).unwrap();
        conn.execute_batch(
            "INSERT INTO items (id, kind, source, url, title, body, fetched, when_ts, lang, content_hash) \
             VALUES ('a1', 'article', 'roya-news', 'https://roya.tv/1', 'عنوان', 'نص', 10, 10, 'ar', 'h1'); \
             INSERT INTO fetch_state (source, etag, consecutive_failures) VALUES ('roya-news', '\"e\"', 2);",
        )
        .unwrap();
        migrate(&mut conn).unwrap();
        assert_eq!(current_version(&conn).unwrap(), i64::from(latest_version()));
        type Row = (String, Option<String>, Option<String>, i64, i64);
        let (title, guid, sentiment, police, fingerprint): Row = conn
            .query_row(
                "SELECT title, guid, sentiment, about_police, fingerprint FROM items \
                 WHERE id = 'a1'",
                params![],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
            )
            .unwrap();
        assert_eq!(
            (title.as_str(), guid, sentiment, police, fingerprint),
            ("عنوان", None, None, 0, 0)
        );
        let (etag, failures, due, rate): (String, i64, Option<i64>, f64) = conn
            .query_row(
                "SELECT etag, consecutive_failures, next_due, items_per_day FROM fetch_state",
                params![],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )
            .unwrap();
        assert_eq!(
            (etag.as_str(), failures, due, rate),
            ("\"e\"", 2, None, 0.0)
        );
        let indexes: i64 = conn
            .query_row(
                "SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' \
                 AND name IN ('items_source_guid', 'items_content_hash')",
                params![],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(indexes, 2);
    }

    #[test]
    fn version_3_fetch_state_gains_poll_columns() {
        let mut conn = Connection::open_in_memory().unwrap();
        for script in &MIGRATIONS[..3] {
            conn.execute_batch(script).unwrap();
        }
        conn.pragma_update(None, "user_version", 3).unwrap();
        conn.execute_batch(
            "INSERT INTO fetch_state (source, etag, consecutive_failures) VALUES ('petra', 'e', 0);",
        )
        .unwrap();
        migrate(&mut conn).unwrap();
        type Row = (String, Option<Vec<u8>>, i64, i64, i64, i64, bool, bool);
        let row: Row = conn
            .query_row(
                "SELECT etag, seen_entries, poll_entries, poll_new, poll_taken, poll_pages, \
                 poll_capped, poll_out_of_time FROM fetch_state",
                params![],
                |r| {
                    Ok((
                        r.get(0)?,
                        r.get(1)?,
                        r.get(2)?,
                        r.get(3)?,
                        r.get(4)?,
                        r.get(5)?,
                        r.get(6)?,
                        r.get(7)?,
                    ))
                },
            )
            .unwrap();
        assert_eq!(row, ("e".into(), None, 0, 0, 0, 0, false, false));
    }

    #[test]
    fn version_6_items_gain_places_named_and_police_stance() {
        let mut conn = Connection::open_in_memory().unwrap();
        for script in &MIGRATIONS[..6] {
            conn.execute_batch(script).unwrap();
        }
        conn.pragma_update(None, "user_version", 6).unwrap();
        conn.execute_batch(
            "INSERT INTO items (id, kind, source, url, title, body, fetched, when_ts, lang, \
             places, content_hash, about_police) VALUES ('v6', 'article', 'petra', \
             'https://petra.gov.jo/1', 'حادث قرب القطرانة', '', 1, 1, 'ar', '[\"amman\",\"karak\"]', \
             'h', 1);",
        )
        .unwrap();
        migrate(&mut conn).unwrap();
        assert_eq!(current_version(&conn).unwrap(), i64::from(latest_version()));
        let row: (String, String, bool, Option<String>) = conn
            .query_row(
                "SELECT places, places_named, about_police, police_stance FROM items",
                params![],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )
            .unwrap();
        assert_eq!(
            row,
            (r#"["amman","karak"]"#.into(), "[]".into(), true, None),
            "rasd retag fills them"
        );
    }

    #[test]
    fn version_5_fetch_state_gains_extraction_counts() {
        let mut conn = Connection::open_in_memory().unwrap();
        for script in &MIGRATIONS[..5] {
            conn.execute_batch(script).unwrap();
        }
        conn.pragma_update(None, "user_version", 5).unwrap();
        conn.execute_batch(
            "INSERT INTO fetch_state (source, etag, seen_entries, poll_pages, poll_capped) \
             VALUES ('alghad', 'e', x'0000000000000007', 3, 1);",
        )
        .unwrap();
        migrate(&mut conn).unwrap();
        assert_eq!(current_version(&conn).unwrap(), i64::from(latest_version()));
        type Row = (String, Vec<u8>, i64, bool, i64, i64);
        let row: Row = conn
            .query_row(
                "SELECT etag, seen_entries, poll_pages, poll_capped, poll_extraction_failed, \
                 poll_rule_missed FROM fetch_state",
                params![],
                |r| {
                    Ok((
                        r.get(0)?,
                        r.get(1)?,
                        r.get(2)?,
                        r.get(3)?,
                        r.get(4)?,
                        r.get(5)?,
                    ))
                },
            )
            .unwrap();
        assert_eq!(
            row,
            ("e".into(), vec![0, 0, 0, 0, 0, 0, 0, 7], 3, true, 0, 0)
        );
    }

    #[test]
    fn newer_version_is_refused_before_touching_anything() {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.pragma_update(None, "user_version", latest_version() + 1)
            .unwrap();
        let err = migrate(&mut conn).unwrap_err();
        assert!(matches!(err, Error::SchemaTooNew { .. }), "{err}");
        assert!(err.to_string().contains("upgrade Rasd"), "{err}");
        let tables: i64 = conn
            .query_row("SELECT COUNT(*) FROM sqlite_master", params![], |r| {
                r.get(0)
            })
            .unwrap();
        assert_eq!(tables, 0);
    }

    #[test]
    fn failed_migration_leaves_version_unchanged() {
        let mut conn = Connection::open_in_memory().unwrap();
        // A clashing table makes script 1 fail half way.
        conn.execute_batch("CREATE TABLE sources (x INTEGER);")
            .unwrap();
        let err = migrate(&mut conn).unwrap_err();
        assert!(matches!(err, Error::Migration { version: 1, .. }), "{err}");
        assert_eq!(current_version(&conn).unwrap(), 0);
        let items: i64 = conn
            .query_row(
                "SELECT COUNT(*) FROM sqlite_master WHERE name = 'items'",
                params![],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(items, 0, "the half-applied script was rolled back");
    }
}
