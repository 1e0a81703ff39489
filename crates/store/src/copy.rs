//! Copying a whole store into another (`rasd migrate-store`): every table, row for row, in
//! insertion order, into an empty store on any engine; the copy keeps the store id and the
//! change numbers, so search indexes built from the source follow the copy without a
//! rebuild.

use crate::db::{Connection, Value, params};
use crate::{Error, Result, Store};

/// The tables, parents before the tables that refer to them.
pub const TABLES: &[&str] = &[
    "meta",
    "sources",
    "fetch_state",
    "items",
    "item_topics",
    "stories",
    "story_items",
    "rule_hits",
    "alerts",
    "alert_items",
    "outbox",
    "saved_searches",
    "users",
    "sessions",
    "login_failures",
    "api_keys",
    "audit_log",
    "submissions",
    "submission_contacts",
    "tag_fixes",
];

/// Rows per write transaction.
const CHUNK: usize = 2_000;

/// What a copy did, per table.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CopyReport {
    /// (table, rows copied).
    pub tables: Vec<(String, u64)>,
}

fn columns(conn: &Connection, table: &str) -> Result<Vec<String>> {
    // The source is SQLite (a store is migrated from its file).
    let mut stmt = conn.prepare(&format!("SELECT name FROM pragma_table_info('{table}')"))?;
    let cols = stmt
        .query_map(params![], |r| r.get::<_, String>(0))?
        .collect::<crate::db::Result<Vec<_>>>()?;
    Ok(cols)
}

/// The primary key's columns, in key order.
fn primary_key(conn: &Connection, table: &str) -> Result<Vec<String>> {
    let mut stmt = conn.prepare(&format!(
        "SELECT name FROM pragma_table_info('{table}') WHERE pk > 0 ORDER BY pk"
    ))?;
    let cols = stmt
        .query_map(params![], |r| r.get::<_, String>(0))?
        .collect::<crate::db::Result<Vec<_>>>()?;
    Ok(cols)
}

fn count(conn: &Connection, table: &str) -> Result<u64> {
    let n: i64 = conn.query_row(&format!("SELECT COUNT(*) FROM {table}"), params![], |r| {
        r.get(0)
    })?;
    Ok(u64::try_from(n).unwrap_or(0))
}

impl Store {
    /// Rows per table, for [`Store::copy_into`]'s progress and checks.
    pub fn table_counts(&self) -> Result<Vec<(String, u64)>> {
        let conn = self.lock();
        TABLES
            .iter()
            .map(|t| Ok(((*t).to_owned(), count(&conn, t)?)))
            .collect()
    }

    /// Copies every row of this SQLite store into `target`, which must hold no items, users
    /// or alerts yet (a store just created by [`Store::open_url`]). `progress` is called
    /// with the table and the rows copied so far. Each chunk of rows is one transaction on
    /// the target; a failed copy leaves a partial target, which a new attempt refuses:
    /// empty it (drop its schema) and start again.
    pub fn copy_into(
        &self,
        target: &Store,
        mut progress: impl FnMut(&str, u64),
    ) -> Result<CopyReport> {
        let source = self.lock();
        if source.as_sqlite().is_none() {
            return Err(Error::Refused(
                "the store to copy from must be a SQLite file (its data folder)".into(),
            ));
        }
        {
            let t = target.lock();
            for table in ["items", "users", "alerts", "outbox", "submissions"] {
                let n = count(&t, table)?;
                if n > 0 {
                    return Err(Error::Refused(format!(
                        "the target store already holds {n} rows in {table}: point it at an \
                         empty database or schema"
                    )));
                }
            }
        }
        let mut report = CopyReport::default();
        for table in TABLES {
            let cols: Vec<String> = columns(&source, table)?;
            let list = cols.join(", ");
            let marks: Vec<String> = (1..=cols.len()).map(|i| format!("?{i}")).collect();
            let insert = format!("INSERT INTO {table} ({list}) VALUES ({})", marks.join(", "));
            // Rows in insertion order (rowid), or by primary key where there is no rowid.
            let keys: Vec<String> = if source
                .prepare(&format!("SELECT rowid FROM {table} LIMIT 0"))
                .is_ok()
            {
                vec!["rowid".into()]
            } else {
                primary_key(&source, table)?
            };
            let order = keys.join(", ");
            let marks_after: Vec<String> = (1..=keys.len()).map(|i| format!("?{i}")).collect();
            let first =
                format!("SELECT {order}, {list} FROM {table} ORDER BY {order} LIMIT {CHUNK}");
            let next = format!(
                "SELECT {order}, {list} FROM {table} WHERE ({order}) > ({}) ORDER BY {order} LIMIT {CHUNK}",
                marks_after.join(", ")
            );
            let mut tconn = target.lock();
            if *table == "meta" {
                // The new store's own counters and id give way to the copied ones.
                tconn.execute("DELETE FROM meta", params![])?;
            }
            let mut done = 0u64;
            let mut after: Option<Vec<Value>> = None;
            loop {
                let width = keys.len() + cols.len();
                let read =
                    |r: &crate::db::Row<'_>| (0..width).map(|i| r.get::<_, Value>(i)).collect();
                let rows: Vec<Vec<Value>> = match &after {
                    None => source.prepare(&first)?.query_map(params![], read)?,
                    Some(k) => source.prepare(&next)?.query_map(k.clone(), read)?,
                }
                .collect::<crate::db::Result<Vec<_>>>()?;
                if rows.is_empty() {
                    break;
                }
                let tx = tconn.write_transaction()?;
                for row in &rows {
                    tx.execute(&insert, row[keys.len()..].to_vec())?;
                }
                tx.commit()?;
                after = rows.last().map(|r| r[..keys.len()].to_vec());
                done += rows.len() as u64;
                progress(table, done);
            }
            // Identity columns go on after the highest copied id.
            if tconn.as_sqlite().is_none() && cols.iter().any(|c| c == "id") {
                let identity: bool = tconn.query_row(
                    "SELECT pg_get_serial_sequence(?1, 'id') IS NOT NULL",
                    [*table],
                    |r| r.get(0),
                )?;
                if identity {
                    tconn.execute(
                        &format!(
                            "SELECT setval(pg_get_serial_sequence('{table}', 'id'), \
                             GREATEST((SELECT MAX(id) FROM {table}), 1))"
                        ),
                        params![],
                    )?;
                }
            }
            report.tables.push(((*table).to_owned(), done));
        }
        Ok(report)
    }
}

#[cfg(test)]
mod tests {
    use chrono::DateTime;
    use rasd_core::{FetchState, Item};

    use super::*;

    fn item(n: u32) -> Item {
        let at = DateTime::from_timestamp(1_780_000_000 + i64::from(n), 0).unwrap();
        let mut it = Item::new(
            "roya-news",
            &format!("https://example.jo/اخبار/{n}"),
            &format!("حادث سير رقم {n} على طريق إربد"),
            "أعلنت مديرية الأمن العام عن حادث سير.",
            at,
        );
        it.tags.topics = vec!["traffic".into()];
        it.tags.places = vec!["irbid".into()];
        it
    }

    #[test]
    fn a_sqlite_store_is_copied_whole_into_postgres_keeping_its_numbers() {
        let Some(url) = crate::testing::require_pg("copying a store into PostgreSQL") else {
            return;
        };
        let dir = tempfile::tempdir().unwrap();
        let from = Store::open(dir.path()).unwrap();
        let items: Vec<Item> = (0..4_500).map(item).collect();
        let state = FetchState {
            source: "roya-news".into(),
            etag: Some("\"v1\"".into()),
            seen_entries: vec![1, 2, 3],
            ..FetchState::default()
        };
        from.commit_batch(&items, &[state]).unwrap();
        from.add_user("سلمى", "analyst", "$argon2id$x", items[0].fetched)
            .unwrap();
        from.audit("cli", "user.add", "سلمى", "", "", items[0].fetched)
            .unwrap();
        let target = Store::open_url(&crate::db::fresh_schema_url(&url).unwrap()).unwrap();
        let mut seen = Vec::new();
        let report = from
            .copy_into(&target, |t, n| seen.push((t.to_owned(), n)))
            .unwrap();
        assert!(seen.contains(&("items".to_owned(), 4_500)), "{seen:?}");
        assert_eq!(from.table_counts().unwrap(), target.table_counts().unwrap());
        assert_eq!(report.tables.len(), TABLES.len());
        assert_eq!(from.store_id().unwrap(), target.store_id().unwrap());
        assert_eq!(from.head_seq().unwrap(), target.head_seq().unwrap());
        assert_eq!(
            from.get_item(&items[7].id).unwrap(),
            target.get_item(&items[7].id).unwrap()
        );
        let a = from.changes_after(4_000, 100).unwrap();
        let b = target.changes_after(4_000, 100).unwrap();
        assert_eq!(format!("{a:?}"), format!("{b:?}"));
        assert_eq!(
            from.fetch_state("roya-news").unwrap(),
            target.fetch_state("roya-news").unwrap()
        );
        // The copy goes on numbering after the copied rows.
        target
            .audit("cli", "user.remove", "سلمى", "", "", items[0].fetched)
            .unwrap();
        target.upsert_items(&[item(9_999)]).unwrap();
        assert_eq!(target.head_seq().unwrap(), from.head_seq().unwrap() + 1);
        // A second copy into the same target is refused.
        let err = from.copy_into(&target, |_, _| {}).unwrap_err();
        assert!(err.to_string().contains("already holds"), "{err}");
    }
}
