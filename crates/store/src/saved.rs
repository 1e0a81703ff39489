//! Saved searches (migration 11): a named query with its filters, run again by people
//! (`rasd search --saved NAME`, the search page), by alert rules (`saved_search`) and by the
//! digest (`[digest] saved_searches`).

use std::collections::BTreeMap;

use crate::db::{OptionalExtension, Row, params};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::{Error, Result, Store};

/// A saved search.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SavedSearch {
    /// Its name, unique (any script; compared as written).
    pub name: String,
    /// The query text, in the query language.
    pub query: String,
    /// The filters, by the names of the search page's parameters (`lang`, `topic`,
    /// `place`, `source`, `sentiment`, `police`, `kind`), each with its values.
    pub filters: BTreeMap<String, Vec<String>>,
    /// Who saved it (`None` until the web has log-in).
    pub owner: Option<String>,
    pub created: DateTime<Utc>,
    pub updated: DateTime<Utc>,
}

fn saved(r: &Row<'_>) -> crate::db::Result<(SavedSearch, String)> {
    let at = |v: i64| DateTime::from_timestamp(v, 0).unwrap_or_default();
    let filters: String = r.get(2)?;
    Ok((
        SavedSearch {
            name: r.get(0)?,
            query: r.get(1)?,
            filters: BTreeMap::new(),
            owner: r.get(3)?,
            created: at(r.get(4)?),
            updated: at(r.get(5)?),
        },
        filters,
    ))
}

/// Reads the filters column; a value this build cannot read is an error naming the search.
fn with_filters((mut s, filters): (SavedSearch, String)) -> Result<SavedSearch> {
    s.filters = serde_json::from_str(&filters).map_err(|e| Error::Corrupt {
        id: format!("saved search {}", s.name),
        message: format!("its filters are not readable JSON: {e}"),
    })?;
    Ok(s)
}

const SELECT: &str =
    "SELECT name, query, filters, owner, created_at, updated_at FROM saved_searches";

impl Store {
    /// Saves a search under `name`, replacing one of that name (its creation time is
    /// kept). Returns whether it replaced one.
    pub fn save_search(
        &self,
        name: &str,
        query: &str,
        filters: &BTreeMap<String, Vec<String>>,
        owner: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let filters = serde_json::to_string(filters)?;
        let conn = self.lock();
        let replaced = conn
            .query_row(
                "SELECT 1 FROM saved_searches WHERE name = ?1",
                [name],
                |_| Ok(()),
            )
            .optional()?
            .is_some();
        conn.execute(
            "INSERT INTO saved_searches (name, query, filters, owner, created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?5)
             ON CONFLICT (name) DO UPDATE SET query = excluded.query,
                 filters = excluded.filters, owner = excluded.owner,
                 updated_at = excluded.updated_at",
            params![name, query, filters, owner, now.timestamp()],
        )?;
        Ok(replaced)
    }

    /// Every saved search, by name.
    pub fn saved_searches(&self) -> Result<Vec<SavedSearch>> {
        let conn = self.lock();
        let mut stmt = conn.prepare(&format!("{SELECT} ORDER BY name"))?;
        let rows = stmt.query_map(params![], saved)?;
        let mut out = Vec::new();
        for row in rows {
            out.push(with_filters(row?)?);
        }
        Ok(out)
    }

    /// The saved search called `name`.
    pub fn saved_search(&self, name: &str) -> Result<Option<SavedSearch>> {
        let conn = self.lock();
        let row = conn
            .query_row(&format!("{SELECT} WHERE name = ?1"), [name], saved)
            .optional()?;
        row.map(with_filters).transpose()
    }

    /// Removes the saved search called `name`; whether there was one.
    pub fn remove_saved_search(&self, name: &str) -> Result<bool> {
        Ok(self
            .lock()
            .execute("DELETE FROM saved_searches WHERE name = ?1", [name])?
            > 0)
    }
}

/// These tests, run on both engines (see the store's tests).
#[cfg(test)]
macro_rules! saved_tests {
    () => {
        use super::*;

        #[test]
        fn saved_searches_are_kept_replaced_and_removed() {
            let store = test_store!();
            let t0 = DateTime::from_timestamp(1_800_000_000, 0).unwrap();
            let t1 = DateTime::from_timestamp(1_800_000_600, 0).unwrap();
            let mut filters = BTreeMap::new();
            filters.insert("place".to_string(), vec!["zarqa".to_string()]);
            assert!(
                !store
                    .save_search("سرقات الزرقاء", "سرقة OR سطو", &filters, None, t0)
                    .unwrap()
            );
            assert!(
                !store
                    .save_search("drugs", "مخدرات", &BTreeMap::new(), Some("analyst"), t0)
                    .unwrap()
            );
            let all = store.saved_searches().unwrap();
            assert_eq!(
                all.iter().map(|s| s.name.as_str()).collect::<Vec<_>>(),
                ["drugs", "سرقات الزرقاء"]
            );
            assert_eq!(all[1].filters["place"], ["zarqa"]);
            assert_eq!(all[0].owner.as_deref(), Some("analyst"));
            // Saving again replaces the query and keeps the creation time.
            assert!(
                store
                    .save_search("drugs", "مخدرات -حشيش", &BTreeMap::new(), None, t1)
                    .unwrap()
            );
            let drugs = store.saved_search("drugs").unwrap().unwrap();
            assert_eq!(drugs.query, "مخدرات -حشيش");
            assert_eq!((drugs.created, drugs.updated), (t0, t1));
            assert!(store.remove_saved_search("drugs").unwrap());
            assert!(!store.remove_saved_search("drugs").unwrap());
            assert!(store.saved_search("drugs").unwrap().is_none());
        }
    };
}

#[cfg(test)]
mod tests {
    use crate::test_support::test_store_sqlite as open_test;
    saved_tests!();
}

#[cfg(test)]
mod tests_pg {
    use crate::test_support::test_store_pg as open_test;
    saved_tests!();
}
