//! `rasd bench store --corpus DIR --items N`: the store alone, SQLite beside PostgreSQL in
//! the same run. Stores N items of the shared corpus (those of `bench search`, real texts
//! with their tags) in batches the size of a source's poll, then times what the rest of
//! Rasd asks of an archive: an item by id, a day of items, a page of the change sequence
//! (what an index replica reads). Prints the bytes the store takes per item and that size
//! extrapolated to 10 million items (linear: the tables and their B-tree indexes grow with
//! the rows).
//!
//! PostgreSQL is `--url` (a fresh schema is made in it and dropped after), else the
//! throwaway server of `rasd_store::testing` when Debian's `postgresql` is installed.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context;
use rasd_core::Config;
use rasd_store::Store;

use crate::search_bench::{self, percentile};

/// Options of `rasd bench store`.
#[derive(Debug, Clone)]
pub struct StoreBenchOptions {
    /// The corpus folder.
    pub corpus: PathBuf,
    /// Items to store.
    pub items: usize,
    /// Items per batch (one source's poll).
    pub batch: usize,
    /// Timed lookups of each kind.
    pub lookups: usize,
    /// A PostgreSQL server to measure on; else the test harness's, if any.
    pub url: Option<String>,
    /// Skip PostgreSQL.
    pub sqlite_only: bool,
    /// The configuration folder (for the taggers that tag the corpus).
    pub config_dir: PathBuf,
}

/// What one engine did.
#[derive(Debug, Clone)]
pub struct EngineFigures {
    pub engine: &'static str,
    pub items: usize,
    pub ingest_items_per_s: f64,
    pub bytes: u64,
    pub get_ms: [f64; 2],
    pub day_ms: [f64; 2],
    pub changes_ms: [f64; 2],
}

fn mix(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn p50_p99(mut ms: Vec<f64>) -> [f64; 2] {
    ms.sort_by(f64::total_cmp);
    [percentile(&ms, 50.0), percentile(&ms, 99.0)]
}

fn measure(
    engine: &'static str,
    store: &Store,
    corpus: &search_bench::Corpus,
    opts: &StoreBenchOptions,
) -> anyhow::Result<EngineFigures> {
    let t = Instant::now();
    let mut from = 0;
    while from < opts.items {
        let to = (from + opts.batch).min(opts.items);
        store
            .commit_batch_detailed(&corpus.batch(from, to), &[])
            .with_context(|| format!("{engine}: cannot store a batch"))?;
        from = to;
        if from % 50_000 == 0 {
            eprintln!(
                "{engine}: stored {from} items ({:.0} items/s)",
                from as f64 / t.elapsed().as_secs_f64()
            );
        }
    }
    let ingest = opts.items as f64 / t.elapsed().as_secs_f64().max(1e-9);
    store.checkpoint()?;
    let bytes = store.storage_bytes()?;
    let head = store.head_seq()?;
    let n = opts.lookups.max(1);
    let mut get = Vec::with_capacity(n);
    let mut day = Vec::with_capacity(n);
    let mut changes = Vec::with_capacity(n);
    for k in 0..n {
        let i = (mix(k as u64) % opts.items as u64) as usize;
        let item = corpus.item(i);
        let t = Instant::now();
        let found = store.get_item(&item.id)?;
        get.push(t.elapsed().as_secs_f64() * 1e3);
        anyhow::ensure!(found.is_some(), "{engine}: item {i} was not found");
        let from = item.fetched - chrono::TimeDelta::hours(12);
        let t = Instant::now();
        let _ = store.items_between(from, from + chrono::TimeDelta::days(1))?;
        day.push(t.elapsed().as_secs_f64() * 1e3);
        let after = mix(k as u64 ^ 0xC0FFEE) % head.max(1);
        let t = Instant::now();
        let _ = store.changes_after(after, 500)?;
        changes.push(t.elapsed().as_secs_f64() * 1e3);
    }
    Ok(EngineFigures {
        engine,
        items: opts.items,
        ingest_items_per_s: ingest,
        bytes,
        get_ms: p50_p99(get),
        day_ms: p50_p99(day),
        changes_ms: p50_p99(changes),
    })
}

/// Runs the benchmark; prints a table and one line per engine.
pub fn run(opts: &StoreBenchOptions) -> anyhow::Result<Vec<EngineFigures>> {
    anyhow::ensure!(
        opts.items > 0 && opts.batch > 0,
        "--items and --batch must be at least 1"
    );
    let config = Config::load(&opts.config_dir).map_err(|e| anyhow::anyhow!("{e}"))?;
    let enricher = rasd_enrich::Enricher::from_config_with_models(&config)
        .context("cannot compile the topic, place and police rules")?;
    let read = search_bench::read_corpus(&enricher, &opts.corpus, opts.items)?;
    drop(enricher);
    let mut out = Vec::new();

    let dir = crate::tempfile_dir("rasd-bench-store")?;
    let _remove = crate::RemoveOnDrop(dir.clone());
    let sqlite = Store::open(&dir)?;
    out.push(measure("sqlite", &sqlite, &read.corpus, opts)?);
    drop(sqlite);

    if !opts.sqlite_only {
        let base = match &opts.url {
            Some(u) => Some(u.clone()),
            None => rasd_store::testing::pg_url(),
        };
        match base {
            Some(base) => {
                let url = rasd_store::db::fresh_schema_url(&base)?;
                let pg = Store::open_url(&url)?;
                let figures = measure("postgres", &pg, &read.corpus, opts);
                drop(pg);
                drop_schema(&base, &url);
                out.push(figures?);
            }
            None => eprintln!(
                "PostgreSQL not measured: pass --url, or install Debian's postgresql for a \
                 throwaway server"
            ),
        }
    }

    println!(
        "{:<9} {:>9} {:>12} {:>10} {:>12} {:>15} {:>15} {:>15}",
        "engine",
        "items",
        "ingest/s",
        "bytes/item",
        "10M (GB)",
        "get p50/p99",
        "day p50/p99",
        "changes p50/99"
    );
    for f in &out {
        let per = f.bytes as f64 / f.items as f64;
        println!(
            "{:<9} {:>9} {:>12.0} {:>10.0} {:>12.1} {:>7.2}/{:<7.2} {:>7.2}/{:<7.2} {:>7.2}/{:<7.2}",
            f.engine,
            f.items,
            f.ingest_items_per_s,
            per,
            per * 1e7 / 1e9,
            f.get_ms[0],
            f.get_ms[1],
            f.day_ms[0],
            f.day_ms[1],
            f.changes_ms[0],
            f.changes_ms[1]
        );
    }
    for f in &out {
        println!(
            "store_bench engine={} items={} ingest_items_per_s={:.0} bytes_per_item={:.0} \
             size_10m_gb={:.1} get_p50_ms={:.3} get_p99_ms={:.3} day_p50_ms={:.2} \
             day_p99_ms={:.2} changes_p50_ms={:.2} changes_p99_ms={:.2}",
            f.engine,
            f.items,
            f.ingest_items_per_s,
            f.bytes as f64 / f.items as f64,
            f.bytes as f64 / f.items as f64 * 1e7 / 1e9,
            f.get_ms[0],
            f.get_ms[1],
            f.day_ms[0],
            f.day_ms[1],
            f.changes_ms[0],
            f.changes_ms[1]
        );
    }
    Ok(out)
}

/// Drops the schema a run made (its name is in the URL's search_path option).
pub(crate) fn drop_schema(base: &str, url: &str) {
    let Some(name) = url.rsplit("search_path%3D").next() else {
        return;
    };
    if let Ok(c) = rasd_store::db::Connection::postgres(base) {
        let _ = c.execute_batch(&format!("DROP SCHEMA {name} CASCADE"));
    }
}
