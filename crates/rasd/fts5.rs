//! SQLite FTS5, the peer Rasd's search is measured against (`rasd bench search`) and whose
//! recall it must keep (`rasd eval search-recall`). Title and body go into an FTS5 table
//! tokenized `unicode61 remove_diacritics 2`; the date, language, source, sentiment and
//! police flag into an ordinary table with the same rowid, topics and places into side tables,
//! all indexed, so a filtered search joins them by rowid. Words are each quoted, so all must
//! match (FTS5's implicit AND), and hits are ordered by bm25 (`ORDER BY rank`).

use std::path::Path;

use anyhow::Context as _;
use rasd_core::Item;
use rusqlite::{Connection, params};

/// The two filters of the filtered search: a date range and a topic, a place or a source.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Filter {
    /// Filed at or after (Unix seconds).
    pub from: i64,
    /// Filed before (Unix seconds).
    pub to: i64,
    /// Only items with this topic.
    pub topic: Option<String>,
    /// Only items with this place.
    pub place: Option<String>,
    /// Only items from this source.
    #[serde(default)]
    pub source: Option<String>,
}

impl Filter {
    /// The value of the second filter (?4), if any.
    fn value(&self) -> Option<&String> {
        self.topic
            .as_ref()
            .or(self.place.as_ref())
            .or(self.source.as_ref())
    }
}

/// One hit of a top-10: rowid, title and a snippet of the body.
pub type Fts5Hit = (i64, String, String);

/// An FTS5 database (in a file, or in memory for the recall check).
pub struct Fts5 {
    conn: Connection,
}

const SCHEMA: &str = "
CREATE VIRTUAL TABLE fts USING fts5(title, body, tokenize = 'unicode61 remove_diacritics 2');
CREATE TABLE docs (id INTEGER PRIMARY KEY, ts INTEGER NOT NULL, lang TEXT NOT NULL,
    source TEXT NOT NULL, sentiment TEXT, police INTEGER NOT NULL);
CREATE INDEX docs_ts ON docs (ts);
CREATE TABLE doc_topics (topic TEXT NOT NULL, id INTEGER NOT NULL, PRIMARY KEY (topic, id))
    WITHOUT ROWID;
CREATE INDEX doc_topics_id ON doc_topics (id, topic);
CREATE TABLE doc_places (place TEXT NOT NULL, id INTEGER NOT NULL, PRIMARY KEY (place, id))
    WITHOUT ROWID;
CREATE INDEX doc_places_id ON doc_places (id, place);
";

/// The filter clauses after `fts MATCH ?1` (date range ?2..?3, topic, place or source ?4).
/// Runs a statement written with [`filter_sql`]: the match expression, the date range and,
/// when the filter has one, its value as parameters.
fn filtered_rows<T>(
    st: &mut rusqlite::CachedStatement<'_>,
    expr: &str,
    filter: &Filter,
    rows: impl FnMut(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
) -> anyhow::Result<Vec<T>> {
    let found = match filter.value() {
        Some(v) => st.query_map(params![expr, filter.from, filter.to, v], rows)?,
        None => st.query_map(params![expr, filter.from, filter.to], rows)?,
    };
    Ok(found.collect::<Result<Vec<_>, _>>()?)
}

fn filter_sql(filter: &Filter) -> String {
    let mut sql = String::from(" AND docs.ts >= ?2 AND docs.ts < ?3");
    if filter.topic.is_some() {
        sql.push_str(
            " AND EXISTS (SELECT 1 FROM doc_topics t WHERE t.topic = ?4 AND t.id = fts.rowid)",
        );
    } else if filter.place.is_some() {
        sql.push_str(
            " AND EXISTS (SELECT 1 FROM doc_places p WHERE p.place = ?4 AND p.id = fts.rowid)",
        );
    } else if filter.source.is_some() {
        sql.push_str(" AND docs.source = ?4");
    }
    sql
}

/// The FTS5 query for "all these words": each word quoted (a quote inside doubled).
pub fn match_expr(terms: &[String]) -> String {
    terms
        .iter()
        .map(|t| format!("\"{}\"", t.replace('"', "\"\"")))
        .collect::<Vec<_>>()
        .join(" ")
}

impl Fts5 {
    /// A new database at `path` (which must not exist), or in memory for `None`.
    pub fn create(path: Option<&Path>) -> anyhow::Result<Fts5> {
        let conn = match path {
            Some(p) => {
                Connection::open(p).with_context(|| format!("cannot create {}", p.display()))?
            }
            None => Connection::open_in_memory()?,
        };
        conn.execute_batch(
            "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA cache_size = -65536;",
        )?;
        conn.execute_batch(SCHEMA)
            .context("cannot create the FTS5 tables (is FTS5 compiled in?)")?;
        Ok(Fts5 { conn })
    }

    /// An existing database, for searching.
    pub fn open(path: &Path) -> anyhow::Result<Fts5> {
        let conn =
            Connection::open(path).with_context(|| format!("cannot open {}", path.display()))?;
        Ok(Fts5 { conn })
    }

    /// Adds `items` in one transaction, item `k` under rowid `first + k`.
    pub fn insert(&mut self, first: i64, items: &[Item]) -> anyhow::Result<()> {
        let tx = self.conn.transaction()?;
        {
            let mut text =
                tx.prepare_cached("INSERT INTO fts (rowid, title, body) VALUES (?1, ?2, ?3)")?;
            let mut doc = tx.prepare_cached(
                "INSERT INTO docs (id, ts, lang, source, sentiment, police) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?;
            let mut topic =
                tx.prepare_cached("INSERT OR IGNORE INTO doc_topics (topic, id) VALUES (?1, ?2)")?;
            let mut place =
                tx.prepare_cached("INSERT OR IGNORE INTO doc_places (place, id) VALUES (?1, ?2)")?;
            for (k, item) in items.iter().enumerate() {
                let id = first + k as i64;
                text.execute(params![id, item.title, item.body])?;
                doc.execute(params![
                    id,
                    item.when().timestamp(),
                    item.tags.lang.code(),
                    item.source,
                    item.tags.sentiment.map(|s| s.label.as_str()),
                    item.tags.about_police,
                ])?;
                for t in &item.tags.topics {
                    topic.execute(params![t, id])?;
                }
                for p in &item.tags.places {
                    place.execute(params![p, id])?;
                }
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// Merges the FTS5 index into one b-tree (what one does after a bulk load; it only
    /// helps FTS5's searches) and folds the write-ahead log into the file.
    pub fn optimize(&self) -> anyhow::Result<()> {
        self.conn.execute_batch(
            "INSERT INTO fts (fts) VALUES ('optimize'); PRAGMA wal_checkpoint(TRUNCATE);",
        )?;
        Ok(())
    }

    /// How many items hold all `terms`.
    pub fn count(&self, terms: &[String]) -> anyhow::Result<u64> {
        let mut st = self
            .conn
            .prepare_cached("SELECT count(*) FROM fts WHERE fts MATCH ?1")?;
        let n: i64 = st.query_row(params![match_expr(terms)], |r| r.get(0))?;
        Ok(n as u64)
    }

    /// The ten best items (bm25) holding all `terms`, passing `filter` when given.
    pub fn top10(&self, terms: &[String], filter: Option<&Filter>) -> anyhow::Result<Vec<Fts5Hit>> {
        let head = "SELECT fts.rowid, fts.title, snippet(fts, 1, '', '', '…', 24) FROM fts";
        let rows = |r: &rusqlite::Row<'_>| Ok((r.get(0)?, r.get(1)?, r.get(2)?));
        let expr = match_expr(terms);
        let hits = match filter {
            None => {
                let sql = format!("{head} WHERE fts MATCH ?1 ORDER BY rank LIMIT 10");
                let mut st = self.conn.prepare_cached(&sql)?;
                st.query_map(params![expr], rows)?
                    .collect::<Result<Vec<_>, _>>()?
            }
            Some(f) => {
                let sql = format!(
                    "{head} JOIN docs ON docs.id = fts.rowid WHERE fts MATCH ?1{} ORDER BY rank LIMIT 10",
                    filter_sql(f)
                );
                filtered_rows(&mut self.conn.prepare_cached(&sql)?, &expr, f, rows)?
            }
        };
        Ok(hits)
    }

    /// The total and the counts per language, source, sentiment, police flag, topic and
    /// place of every item holding all `terms` and passing `filter` (one statement: the
    /// match set is computed once and grouped six ways). Rows are (facet, value, count),
    /// facet 0 being the total.
    pub fn facets(
        &self,
        terms: &[String],
        filter: &Filter,
    ) -> anyhow::Result<Vec<(i64, String, i64)>> {
        let sql = format!(
            "WITH m AS MATERIALIZED (SELECT fts.rowid AS id FROM fts JOIN docs ON docs.id = fts.rowid \
             WHERE fts MATCH ?1{})
             SELECT 0, '', count(*) FROM m
             UNION ALL SELECT 1, d.lang, count(*) FROM m JOIN docs d ON d.id = m.id GROUP BY d.lang
             UNION ALL SELECT 2, d.source, count(*) FROM m JOIN docs d ON d.id = m.id GROUP BY d.source
             UNION ALL SELECT 3, d.sentiment, count(*) FROM m JOIN docs d ON d.id = m.id
                 WHERE d.sentiment IS NOT NULL GROUP BY d.sentiment
             UNION ALL SELECT 4, CAST(d.police AS TEXT), count(*) FROM m JOIN docs d ON d.id = m.id
                 GROUP BY d.police
             UNION ALL SELECT 5, t.topic, count(*) FROM m JOIN doc_topics t ON t.id = m.id GROUP BY t.topic
             UNION ALL SELECT 6, p.place, count(*) FROM m JOIN doc_places p ON p.id = m.id GROUP BY p.place",
            filter_sql(filter)
        );
        let rows = |r: &rusqlite::Row<'_>| Ok((r.get(0)?, r.get(1)?, r.get(2)?));
        filtered_rows(
            &mut self.conn.prepare_cached(&sql)?,
            &match_expr(terms),
            filter,
            rows,
        )
    }

    /// The query plan SQLite picks for the filtered top-10 (one line per step).
    pub fn plan(&self, filter: &Filter) -> anyhow::Result<String> {
        let sql = format!(
            "EXPLAIN QUERY PLAN SELECT fts.rowid FROM fts JOIN docs ON docs.id = fts.rowid \
             WHERE fts MATCH ?1{} ORDER BY rank LIMIT 10",
            filter_sql(filter)
        );
        let mut st = self.conn.prepare(&sql)?;
        let lines = if let Some(v) = filter.value() {
            st.query_map(params!["x", filter.from, filter.to, v], |r| {
                r.get::<_, String>(3)
            })?
            .collect::<Result<Vec<_>, _>>()?
        } else {
            st.query_map(params!["x", filter.from, filter.to], |r| {
                r.get::<_, String>(3)
            })?
            .collect::<Result<Vec<_>, _>>()?
        };
        Ok(lines.join("; "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn item(n: u32, title: &str, body: &str, topic: &str) -> Item {
        let at = chrono::Utc.with_ymd_and_hms(2025, 1, n, 9, 0, 0).unwrap();
        let mut item = Item::new("src", &format!("https://example.jo/{n}"), title, body, at);
        item.published = Some(at);
        item.tags.topics = vec![topic.to_string()];
        item
    }

    #[test]
    fn all_quoted_words_must_match_and_filters_and_facets_agree() {
        let mut db = Fts5::create(None).unwrap();
        db.insert(
            1,
            &[
                item(
                    1,
                    "حريق في مستودع",
                    "أخمد الدفاع المدني حريقاً في مستودع",
                    "fire",
                ),
                item(2, "حريق كبير", "لا إصابات", "fire"),
                item(20, "سرقة مركبة", "ضبط مستودع", "theft"),
            ],
        )
        .unwrap();
        let words = |w: &[&str]| w.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(db.count(&words(&["حريق"])).unwrap(), 2);
        assert_eq!(db.count(&words(&["حريق", "مستودع"])).unwrap(), 1);
        // A quote inside a word is escaped, not read as syntax: the tokenizer drops it.
        assert_eq!(db.count(&words(&["\"مستودع"])).unwrap(), 2);
        let jan = |d: u32| {
            chrono::Utc
                .with_ymd_and_hms(2025, 1, d, 0, 0, 0)
                .unwrap()
                .timestamp()
        };
        let f = Filter {
            from: jan(1),
            to: jan(10),
            topic: Some("fire".into()),
            place: None,
            source: None,
        };
        let top = db.top10(&words(&["مستودع"]), Some(&f)).unwrap();
        assert_eq!(top.iter().map(|h| h.0).collect::<Vec<_>>(), vec![1]);
        let facets = db.facets(&words(&["مستودع"]), &f).unwrap();
        assert!(facets.contains(&(0, String::new(), 1)));
        assert!(facets.contains(&(5, "fire".into(), 1)));
        assert!(!db.plan(&f).unwrap().is_empty());
        let f = Filter {
            topic: None,
            source: Some("src".into()),
            ..f
        };
        assert_eq!(db.top10(&words(&["حريق"]), Some(&f)).unwrap().len(), 2);
        let f = Filter {
            source: Some("other".into()),
            ..f
        };
        assert!(db.top10(&words(&["حريق"]), Some(&f)).unwrap().is_empty());
    }
}
