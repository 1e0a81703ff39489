//! `rasd eval search-recall`: Rasd's Arabic search must find at least what SQLite FTS5
//! (`unicode61 remove_diacritics 2`) finds. The Arabic news corpus is imported through the
//! real `rasd import items` path; FTS5 is then built from the items the store holds (the
//! store merges exact duplicates, so it holds fewer items than the file has lines), and for
//! each query of `queries_ar.jsonl` Rasd's total for the words (all must match) is compared
//! with FTS5's count for the same words, each quoted. FTS5 over every line of the file is
//! compared too, for information. The command also checks, on the same index, that
//! exclusions, phrases and clitics still behave: `a -b` and `a b` together are `a`, the
//! phrase `"a b"` finds no more than `a b`, and `و` before a word with `ال` changes nothing.

use std::io::BufRead as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context as _, bail};
use chrono::Utc;
use rasd_core::{Config, Item};
use rasd_search::{SearchIndex, SearchQuery};
use rasd_store::Store;
use serde::Deserialize;

use crate::fts5::Fts5;

#[derive(Debug, Deserialize)]
struct QueryLine {
    #[serde(default)]
    qid: u64,
    terms: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
struct RawLine {
    #[serde(default)]
    title: String,
    #[serde(default)]
    body: String,
}

/// What the check found.
#[derive(Debug, Default)]
pub struct Recall {
    /// Queries run.
    pub queries: usize,
    /// Queries where Rasd finds at least as many items as FTS5 over the store's items.
    pub store_ok: usize,
    /// The same against FTS5 over every line of the file.
    pub raw_ok: usize,
    /// Exclusion, phrase or clitic checks that failed.
    pub behaviour_failures: usize,
}

fn total(index: &SearchIndex, text: &str) -> anyhow::Result<u64> {
    let found = index.search(&SearchQuery {
        text: text.to_string(),
        limit: 1,
        ..SearchQuery::default()
    })?;
    Ok(found.total as u64)
}

/// Runs the check (see the module docs); fails when the store-based figure is under `min`
/// or a behaviour check fails.
pub fn eval_search_recall(
    config: Arc<Config>,
    corpus: Option<&Path>,
    data_dir: Option<&Path>,
    min: usize,
) -> anyhow::Result<Recall> {
    let corpus: PathBuf = match corpus {
        Some(c) => c.to_path_buf(),
        None => rasd_core::shared_data::shared_data("corpus").context(
            "no corpus folder in the shared data: pass --corpus (or set RASD_SHARED_DATA)",
        )?,
    };
    let file = ["ar_news.jsonl.gz", "ar_news.jsonl"]
        .iter()
        .map(|n| corpus.join(n))
        .find(|p| p.exists())
        .with_context(|| format!("no ar_news.jsonl[.gz] in {}", corpus.display()))?;
    let queries_path = corpus.join("queries_ar.jsonl");
    let queries: Vec<QueryLine> = std::fs::read_to_string(&queries_path)
        .with_context(|| format!("cannot read {}", queries_path.display()))?
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(serde_json::from_str)
        .collect::<Result<_, _>>()
        .with_context(|| {
            format!(
                "{} holds a line that is not a query",
                queries_path.display()
            )
        })?;

    let (dir, _remove) = match data_dir {
        Some(d) => (d.to_path_buf(), None),
        None => {
            let t = crate::tempfile_dir("rasd-eval-recall")?;
            (t.clone(), Some(crate::RemoveOnDrop(t)))
        }
    };
    eprintln!("importing {} into {}…", file.display(), dir.display());
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?
        .block_on(crate::import_cmd::run(config, &dir, &file))?;

    // FTS5 over the store's items, and over the raw lines.
    let store = Store::open(&dir)?;
    let mut stored = Vec::new();
    store.for_each_item(|item| {
        stored.push(item);
        Ok::<(), std::convert::Infallible>(())
    })?;
    drop(store);
    let mut fts_store = Fts5::create(None)?;
    for (k, chunk) in stored.chunks(5000).enumerate() {
        fts_store.insert((k * 5000) as i64 + 1, chunk)?;
    }
    let mut raw = Vec::new();
    for line in crate::classify_cmd::open_input(Some(&file))?.lines() {
        let line = line.with_context(|| format!("cannot read {}", file.display()))?;
        if line.trim().is_empty() {
            continue;
        }
        let l: RawLine = serde_json::from_str(&line).unwrap_or_default();
        raw.push(Item::new(
            "raw",
            &format!("https://raw.invalid/{}", raw.len()),
            &l.title,
            &l.body,
            Utc::now(),
        ));
    }
    let mut fts_raw = Fts5::create(None)?;
    for (k, chunk) in raw.chunks(5000).enumerate() {
        fts_raw.insert((k * 5000) as i64 + 1, chunk)?;
    }

    let index = SearchIndex::open_or_create(&dir.join("search"))?;
    let mut r = Recall {
        queries: queries.len(),
        ..Recall::default()
    };
    let mut behaviour = Vec::new();
    for q in &queries {
        let rasd = total(&index, &q.terms.join(" "))?;
        let in_store = fts_store.count(&q.terms)?;
        let in_raw = fts_raw.count(&q.terms)?;
        r.store_ok += usize::from(rasd >= in_store);
        r.raw_ok += usize::from(rasd >= in_raw);
        if rasd < in_store || rasd < in_raw {
            println!(
                "qid {} {:?}: rasd {rasd}, fts5 over the store {in_store}, over the file {in_raw}",
                q.qid, q.terms
            );
        }
        if let [a, b, ..] = q.terms.as_slice() {
            let (with_a, both) = (total(&index, a)?, total(&index, &format!("{a} {b}"))?);
            let without_b = total(&index, &format!("{a} -{b}"))?;
            if without_b + both != with_a {
                behaviour.push(format!(
                    "qid {}: `{a} -{b}` {without_b} + `{a} {b}` {both} ≠ `{a}` {with_a}",
                    q.qid
                ));
            }
            let phrase = total(&index, &format!("\"{a} {b}\""))?;
            if phrase > both {
                behaviour.push(format!(
                    "qid {}: the phrase \"{a} {b}\" finds {phrase}, more than `{a} {b}` {both}",
                    q.qid
                ));
            }
        }
        // Words of at least three letters after the article (not the article alone, as
        // `الـ` is).
        let with_article = |t: &&String| {
            t.strip_prefix("ال").is_some_and(|rest| {
                rest.chars().count() >= 3
                    && rest.chars().all(|c| c.is_alphabetic() && c != '\u{0640}')
            })
        };
        for t in q.terms.iter().filter(with_article) {
            let (plain, with_wa) = (total(&index, t)?, total(&index, &format!("و{t}"))?);
            if plain != with_wa {
                behaviour.push(format!(
                    "qid {}: `{t}` finds {plain} but `و{t}` {with_wa}",
                    q.qid
                ));
            }
        }
    }
    r.behaviour_failures = behaviour.len();
    for b in &behaviour {
        println!("behaviour: {b}");
    }
    println!(
        "against FTS5 over the {} items the store holds: {}/{} queries match at least as many items as FTS5",
        stored.len(),
        r.store_ok,
        r.queries
    );
    println!(
        "against FTS5 over all {} lines of {} (for information): {}/{} queries match at least as many items as FTS5",
        raw.len(),
        file.display(),
        r.raw_ok,
        r.queries
    );
    println!(
        "exclusion, phrase and clitic checks: {} failed",
        r.behaviour_failures
    );
    println!(
        "store_ok={} raw_ok={} queries={} behaviour_failures={} min={min}",
        r.store_ok, r.raw_ok, r.queries, r.behaviour_failures
    );
    if r.store_ok < min.min(r.queries) {
        bail!(
            "recall gate: only {}/{} queries match at least as many items as FTS5 (at least {min} wanted)",
            r.store_ok,
            r.queries
        );
    }
    if r.behaviour_failures > 0 {
        bail!(
            "recall gate: {} exclusion, phrase or clitic checks failed",
            r.behaviour_failures
        );
    }
    Ok(r)
}
