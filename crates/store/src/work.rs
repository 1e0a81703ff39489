//! Work shared by several workers on one store (migration 13; `rasd run --role fetch` and
//! `--role process`).
//!
//! - Source leases: a fetch worker takes due sources with [`Store::lease_due_sources`];
//!   each is its worker's until the lease runs out or is released, so two workers never
//!   fetch one source at once, and a source whose worker died is taken by another once its
//!   lease has expired.
//! - The work queue: what a fetch worker fetched, waiting to be tagged and stored.
//!   [`Store::enqueue_fetched`] queues a source's items, saves its fetch state and releases
//!   its lease in one transaction (an ETag is never saved without the items it covered).
//!   A process worker leases queued items with [`Store::claim_work`] and stores them with
//!   [`Store::complete_work`], which removes them from the queue in the same transaction.
//!   Items a killed worker had claimed come back once their lease has run out; storing
//!   them again changes nothing, as every write is idempotent by item id.
//!
//! On PostgreSQL, leasing locks the rows it takes (`FOR UPDATE … SKIP LOCKED`), so workers
//! lease side by side without waiting on one another; on SQLite the write lock of
//! `BEGIN IMMEDIATE` keeps them apart.

use std::time::Duration;

use chrono::{DateTime, Utc};
use rasd_core::{FetchState, Item};
use tracing::warn;

use crate::db::{Connection, Dialect, Transaction, params};
use crate::store::{Committed, save_state_in, upsert_in, write_tx};
use crate::{Result, Store};

/// A transaction that leases rows: on PostgreSQL a plain one (the rows it takes are locked
/// and skipped by the others), on SQLite one that takes the write lock at once.
fn lease_tx(conn: &mut Connection) -> crate::db::Result<Transaction<'_>> {
    match conn.dialect() {
        Dialect::Postgres => conn.transaction(),
        Dialect::Sqlite => write_tx(conn),
    }
}

/// When a lease taken at `now` for `lease_for` runs out, in whole seconds (rounded up, and
/// at least a second after `now`).
fn lease_end(now: DateTime<Utc>, lease_for: Duration) -> i64 {
    let secs = i64::try_from(lease_for.as_secs())
        .unwrap_or(i64::MAX / 2)
        .max(1);
    let extra = i64::from(lease_for.subsec_nanos() > 0);
    now.timestamp().saturating_add(secs + extra)
}

fn as_limit(limit: usize) -> i64 {
    i64::try_from(limit).unwrap_or(i64::MAX)
}

impl Store {
    /// Leases up to `limit` due sources to `owner` until `now + lease_for`: the enabled,
    /// configured sources due at `now` (as [`Store::due_sources`], the longest overdue
    /// first) that no worker holds (never leased, released, or whose lease ran out by
    /// `now`). Returns their ids; one transaction.
    pub fn lease_due_sources(
        &self,
        owner: &str,
        now: DateTime<Utc>,
        lease_for: Duration,
        limit: usize,
    ) -> Result<Vec<String>> {
        if limit == 0 {
            return Ok(Vec::new());
        }
        let until = lease_end(now, lease_for);
        let mut conn = self.lock();
        let tx = lease_tx(&mut conn)?;
        // Every source gets its (free) lease row once; the rows are what is locked.
        tx.prepare_cached(
            "INSERT OR IGNORE INTO source_leases (source) SELECT s.id FROM sources s \
             WHERE s.removed = 0 AND s.enabled = 1 \
             AND NOT EXISTS (SELECT 1 FROM source_leases x WHERE x.source = s.id)",
        )?
        .execute(params![])?;
        let ids = tx
            .prepare_cached(
                "SELECT l.source FROM source_leases l JOIN sources s ON s.id = l.source \
                 LEFT JOIN fetch_state f ON f.source = l.source \
                 WHERE s.removed = 0 AND s.enabled = 1 \
                 AND (f.next_due IS NULL OR f.next_due <= ?1) AND l.lease_until <= ?1 \
                 ORDER BY COALESCE(f.next_due, 0), l.source LIMIT ?2 \
                 /*PG: FOR UPDATE OF l SKIP LOCKED*/",
            )?
            .query_map(params![now.timestamp(), as_limit(limit)], |r| r.get(0))?
            .collect::<crate::db::Result<Vec<String>>>()?;
        {
            let mut take = tx.prepare_cached(
                "UPDATE source_leases SET owner = ?2, lease_until = ?3 WHERE source = ?1",
            )?;
            for id in &ids {
                take.execute(params![id, owner, until])?;
            }
        }
        tx.commit()?;
        Ok(ids)
    }

    /// Gives up `owner`'s lease of `source` (a lease another worker has taken since, after
    /// this one's ran out, is left alone). Returns whether a lease was released.
    pub fn release_lease(&self, source: &str, owner: &str) -> Result<bool> {
        let conn = self.lock();
        let n = conn
            .prepare_cached(
                "UPDATE source_leases SET owner = '', lease_until = 0 \
                 WHERE source = ?1 AND owner = ?2",
            )?
            .execute(params![source, owner])?;
        Ok(n > 0)
    }

    /// Queues fetched (not yet tagged) `items` for a process worker, saves the sources'
    /// fetch `states` (and health, as [`Store::commit_batch`] does), schedules their next
    /// polls (`next_due`: source and time, as [`Store::set_next_due`]) and releases
    /// `owner`'s leases of those sources, in one transaction: on error nothing is written,
    /// and a worker killed before it leaves the source due, for another once the lease has
    /// run out. Returns how many items were queued.
    pub fn enqueue_fetched(
        &self,
        items: &[Item],
        states: &[FetchState],
        next_due: &[(&str, DateTime<Utc>)],
        owner: &str,
    ) -> Result<usize> {
        let now = Utc::now().timestamp();
        let encoded = items
            .iter()
            .map(|item| Ok((item.source.as_str(), serde_json::to_string(item)?)))
            .collect::<Result<Vec<_>>>()?;
        let mut conn = self.lock();
        let tx = write_tx(&mut conn)?;
        {
            let mut queue = tx.prepare_cached(
                "INSERT INTO work_queue (source, item, queued_at) VALUES (?1, ?2, ?3)",
            )?;
            for (source, json) in &encoded {
                queue.execute(params![source, json, now])?;
            }
        }
        for state in states {
            save_state_in(&tx, state)?;
        }
        {
            let mut due = tx.prepare_cached(
                "INSERT INTO fetch_state (source, next_due) VALUES (?1, ?2) \
                 ON CONFLICT (source) DO UPDATE SET next_due = excluded.next_due",
            )?;
            for (source, at) in next_due {
                due.execute(params![source, at.timestamp()])?;
            }
        }
        {
            let mut release = tx.prepare_cached(
                "UPDATE source_leases SET owner = '', lease_until = 0 \
                 WHERE source = ?1 AND owner = ?2",
            )?;
            for state in states {
                release.execute(params![state.source, owner])?;
            }
        }
        tx.commit()?;
        Ok(encoded.len())
    }

    /// Leases up to `limit` queued items to `owner` until `now + lease_for`, the oldest
    /// first: those no worker holds (never claimed, or whose lease ran out by `now`).
    /// Returns each with its queue id, for [`Store::complete_work`]. A queued row that
    /// cannot be read as an item is logged and dropped.
    pub fn claim_work(
        &self,
        owner: &str,
        now: DateTime<Utc>,
        lease_for: Duration,
        limit: usize,
    ) -> Result<Vec<(i64, Item)>> {
        if limit == 0 {
            return Ok(Vec::new());
        }
        let until = lease_end(now, lease_for);
        let mut conn = self.lock();
        let tx = lease_tx(&mut conn)?;
        let rows = tx
            .prepare_cached(
                "SELECT q.id, q.item FROM work_queue q WHERE q.lease_until <= ?1 \
                 ORDER BY q.id LIMIT ?2 /*PG: FOR UPDATE OF q SKIP LOCKED*/",
            )?
            .query_map(params![now.timestamp(), as_limit(limit)], |r| {
                Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?))
            })?
            .collect::<crate::db::Result<Vec<_>>>()?;
        let mut out = Vec::with_capacity(rows.len());
        {
            let mut take = tx.prepare_cached(
                "UPDATE work_queue SET owner = ?2, lease_until = ?3 WHERE id = ?1",
            )?;
            let mut drop_row = tx.prepare_cached("DELETE FROM work_queue WHERE id = ?1")?;
            for (id, json) in rows {
                match serde_json::from_str::<Item>(&json) {
                    Ok(item) => {
                        take.execute(params![id, owner, until])?;
                        out.push((id, item));
                    }
                    Err(e) => {
                        warn!(queued = id, error = %e, "A queued item cannot be read; dropped.");
                        drop_row.execute(params![id])?;
                    }
                }
            }
        }
        tx.commit()?;
        Ok(out)
    }

    /// Stores `items` (tagged) exactly as [`Store::commit_batch_detailed`] does and removes
    /// the queue rows `ids` they came from, in one transaction. Rows already removed (by
    /// another worker that took them after this one's lease ran out) are no error: the
    /// items are stored idempotently by id.
    pub fn complete_work(&self, ids: &[i64], items: &[Item]) -> Result<Committed> {
        let mut conn = self.lock();
        let tx = write_tx(&mut conn)?;
        let committed = upsert_in(&tx, items)?;
        {
            let mut done = tx.prepare_cached("DELETE FROM work_queue WHERE id = ?1")?;
            for id in ids {
                done.execute(params![id])?;
            }
        }
        tx.commit()?;
        Ok(committed)
    }

    /// Items waiting in the work queue (claimed or not).
    pub fn queued_work(&self) -> Result<u64> {
        let conn = self.lock();
        let n: i64 = conn
            .prepare_cached("SELECT COUNT(*) FROM work_queue")?
            .query_row(params![], |r| r.get(0))?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    /// The worker holding `source`'s lease at `now`, if any.
    pub fn lease_holder(&self, source: &str, now: DateTime<Utc>) -> Result<Option<String>> {
        use crate::db::OptionalExtension as _;
        let conn = self.lock();
        Ok(conn
            .prepare_cached(
                "SELECT owner FROM source_leases WHERE source = ?1 AND lease_until > ?2 \
                 AND owner <> ''",
            )?
            .query_row(params![source, now.timestamp()], |r| r.get(0))
            .optional()?)
    }
}

#[cfg(test)]
macro_rules! work_tests {
    () => {
        use std::collections::HashSet;
        use std::time::Duration;

        use chrono::{DateTime, TimeZone, Utc};
        use rasd_core::{FetchState, Item, SourceConfig, SourceKind};

        use crate::Store;

        fn at(secs: i64) -> DateTime<Utc> {
            Utc.timestamp_opt(secs, 0).unwrap()
        }

        fn sources(n: usize) -> Vec<SourceConfig> {
            (0..n)
                .map(|i| {
                    SourceConfig::new(
                        &format!("src-{i:02}"),
                        &format!("مصدر {i}"),
                        SourceKind::Feed,
                        &format!("https://src{i}.example.jo/rss"),
                    )
                })
                .collect()
        }

        fn item(source: &str, n: u32) -> Item {
            Item::new(
                source,
                &format!("https://{source}.example.jo/اخبار/{n}"),
                &format!("افتتاح مدرسة رقم {n} في الزرقاء"),
                "افتتحت وزارة التربية والتعليم مدرسة جديدة في الزرقاء.",
                at(1_780_000_000 + i64::from(n)),
            )
        }

        fn state(source: &str, etag: &str, when: DateTime<Utc>) -> FetchState {
            FetchState {
                source: source.to_string(),
                etag: Some(etag.to_string()),
                last_success: Some(when),
                ..FetchState::default()
            }
        }

        const LEASE: Duration = Duration::from_secs(60);

        #[test]
        fn two_owners_never_get_the_same_source() {
            let store = test_store!();
            store.record_sources(&sources(5)).unwrap();
            let now = at(1_790_000_000);
            let a = store.lease_due_sources("عامل-a", now, LEASE, 3).unwrap();
            let b = store.lease_due_sources("عامل-b", now, LEASE, 10).unwrap();
            assert_eq!(a, ["src-00", "src-01", "src-02"]);
            assert_eq!(b, ["src-03", "src-04"]);
            assert!(
                store
                    .lease_due_sources("c", now, LEASE, 10)
                    .unwrap()
                    .is_empty()
            );
            assert_eq!(
                store.lease_holder("src-01", now).unwrap().as_deref(),
                Some("عامل-a")
            );
            // Only the holder releases; then the source is free again.
            assert!(!store.release_lease("src-01", "عامل-b").unwrap());
            assert!(store.release_lease("src-01", "عامل-a").unwrap());
            assert_eq!(
                store.lease_due_sources("c", now, LEASE, 10).unwrap(),
                ["src-01"]
            );
            // A source not due is not leased, leased or not.
            store.record_sources(&sources(6)).unwrap();
            store
                .set_next_due("src-05", now + chrono::TimeDelta::hours(1))
                .unwrap();
            assert!(
                store
                    .lease_due_sources("d", now, LEASE, 10)
                    .unwrap()
                    .is_empty()
            );
        }

        #[test]
        fn concurrent_workers_lease_disjoint_sources() {
            let Some((one, two)) = open_pair() else {
                return;
            };
            one.record_sources(&sources(40)).unwrap();
            let now = Utc::now();
            let run = |store: Store, owner: &'static str| {
                std::thread::spawn(move || {
                    let mut got = Vec::new();
                    for _ in 0..20 {
                        got.extend(store.lease_due_sources(owner, now, LEASE, 2).unwrap());
                    }
                    got
                })
            };
            let (a, b) = (run(one, "a"), run(two, "b"));
            let (a, b) = (a.join().unwrap(), b.join().unwrap());
            let all: HashSet<&String> = a.iter().chain(&b).collect();
            assert_eq!(all.len(), a.len() + b.len(), "a {a:?} b {b:?}");
            assert_eq!(all.len(), 40);
        }

        #[test]
        fn an_expired_lease_is_leased_again() {
            let store = test_store!();
            store.record_sources(&sources(1)).unwrap();
            let now = at(1_790_000_000);
            assert_eq!(
                store.lease_due_sources("killed", now, LEASE, 5).unwrap(),
                ["src-00"]
            );
            let before_end = now + chrono::TimeDelta::seconds(59);
            assert!(
                store
                    .lease_due_sources("b", before_end, LEASE, 5)
                    .unwrap()
                    .is_empty()
            );
            let after = now + chrono::TimeDelta::seconds(60);
            assert_eq!(
                store.lease_due_sources("b", after, LEASE, 5).unwrap(),
                ["src-00"]
            );
            assert_eq!(
                store.lease_holder("src-00", after).unwrap().as_deref(),
                Some("b")
            );
            // The killed worker cannot release what is now b's.
            assert!(!store.release_lease("src-00", "killed").unwrap());
        }

        #[test]
        fn enqueue_claim_complete_round_trip() {
            let store = test_store!();
            store.record_sources(&sources(1)).unwrap();
            let now = Utc::now();
            assert_eq!(
                store.lease_due_sources("f", now, LEASE, 5).unwrap(),
                ["src-00"]
            );
            let items: Vec<Item> = (0..3).map(|n| item("src-00", n)).collect();
            let st = state("src-00", "\"v1\"", now);
            let later = now + chrono::TimeDelta::hours(1);
            assert_eq!(
                store
                    .enqueue_fetched(&items, &[st], &[("src-00", later)], "f")
                    .unwrap(),
                3
            );
            // The state is saved with the queued items, and the lease is released.
            assert_eq!(
                store
                    .fetch_state("src-00")
                    .unwrap()
                    .unwrap()
                    .etag
                    .as_deref(),
                Some("\"v1\"")
            );
            assert_eq!(store.lease_holder("src-00", now).unwrap(), None);
            // Its next poll is scheduled with it: not due again, though free.
            assert!(
                store
                    .lease_due_sources("g", now, LEASE, 5)
                    .unwrap()
                    .is_empty()
            );
            assert_eq!(store.due_sources(later).unwrap(), ["src-00"]);
            assert_eq!(store.queued_work().unwrap(), 3);
            assert_eq!(
                store.status().unwrap().items,
                0,
                "not stored before processing"
            );

            let first = store.claim_work("p", now, LEASE, 2).unwrap();
            let rest = store.claim_work("q", now, LEASE, 10).unwrap();
            assert_eq!(first.len(), 2);
            assert_eq!(rest.len(), 1);
            assert!(store.claim_work("r", now, LEASE, 10).unwrap().is_empty());
            let claimed: Vec<Item> = first.iter().chain(&rest).map(|(_, i)| i.clone()).collect();
            assert_eq!(claimed, items, "items round-trip through the queue exactly");

            let ids: Vec<i64> = first.iter().map(|(id, _)| *id).collect();
            let done = store
                .complete_work(
                    &ids,
                    &first.iter().map(|(_, i)| i.clone()).collect::<Vec<_>>(),
                )
                .unwrap();
            assert_eq!(done.stats.inserted, 2);
            assert_eq!(store.queued_work().unwrap(), 1);
            let done = store
                .complete_work(&[rest[0].0], &[rest[0].1.clone()])
                .unwrap();
            assert_eq!(done.stats.inserted, 1);
            assert_eq!(store.queued_work().unwrap(), 0);
            assert_eq!(store.status().unwrap().items, 3);
            assert_eq!(
                store.get_item(&items[1].id).unwrap().unwrap().title,
                "افتتاح مدرسة رقم 1 في الزرقاء"
            );
        }

        #[test]
        fn a_killed_workers_claims_come_back_and_nothing_is_stored_twice() {
            let store = test_store!();
            let now = Utc::now();
            let items: Vec<Item> = (0..4).map(|n| item("src-00", n)).collect();
            store
                .enqueue_fetched(&items, &[state("src-00", "e", now)], &[], "f")
                .unwrap();
            // A worker claims everything and is killed before completing.
            assert_eq!(store.claim_work("killed", now, LEASE, 10).unwrap().len(), 4);
            assert!(store.claim_work("b", now, LEASE, 10).unwrap().is_empty());
            let later = now + chrono::TimeDelta::seconds(61);
            let back = store.claim_work("b", later, LEASE, 10).unwrap();
            assert_eq!(back.len(), 4);
            // b stores half, then is slow: its lease runs out and c redoes the rest... and
            // also the half already done is not queued any more.
            let (ids, done): (Vec<i64>, Vec<Item>) = back[..2].iter().cloned().unzip();
            store.complete_work(&ids, &done).unwrap();
            let again = store
                .claim_work("c", later + chrono::TimeDelta::seconds(61), LEASE, 10)
                .unwrap();
            assert_eq!(again.len(), 2);
            let (ids, redo): (Vec<i64>, Vec<Item>) = again.into_iter().unzip();
            store.complete_work(&ids, &redo).unwrap();
            // b wakes and completes what c already stored: nothing is stored twice.
            let (ids, late): (Vec<i64>, Vec<Item>) = back[2..].iter().cloned().unzip();
            let c = store.complete_work(&ids, &late).unwrap();
            assert_eq!((c.stats.inserted, c.stats.unchanged), (0, 2));
            assert_eq!(store.status().unwrap().items, 4);
            assert_eq!(store.item_ids().unwrap().len(), 4);
            assert_eq!(store.queued_work().unwrap(), 0);
        }

        #[test]
        fn a_failed_enqueue_saves_no_state() {
            let store = test_store!();
            store.record_sources(&sources(1)).unwrap();
            let now = Utc::now();
            store.lease_due_sources("f", now, LEASE, 1).unwrap();
            // The queue cannot be written: the state is not saved and the lease stays.
            {
                let conn = store.lock();
                conn.execute_batch("DROP TABLE work_queue").unwrap();
            }
            let later = now + chrono::TimeDelta::hours(1);
            let err = store.enqueue_fetched(
                &[item("src-00", 1)],
                &[state("src-00", "x", now)],
                &[("src-00", later)],
                "f",
            );
            assert!(err.is_err());
            assert_eq!(store.fetch_state("src-00").unwrap(), None);
            assert_eq!(
                store.lease_holder("src-00", now).unwrap().as_deref(),
                Some("f")
            );
            // Still due: once the lease runs out, another worker takes it.
            assert_eq!(store.due_sources(now).unwrap(), ["src-00"]);
        }
    };
}

#[cfg(test)]
mod tests {
    use crate::test_support::test_pair_sqlite as open_pair;
    use crate::test_support::test_store_sqlite as open_test;
    work_tests!();
}

#[cfg(test)]
mod tests_pg {
    use crate::test_support::test_pair_pg as open_pair;
    use crate::test_support::test_store_pg as open_test;
    work_tests!();
}
