//! `rasd bench search --corpus DIR --items N`: Rasd's search index against SQLite FTS5 on
//! the same generated corpus and the same queries, in one run.
//!
//! The corpus is made from the real texts of a news corpus folder (`ar_news.jsonl[.gz]`,
//! `en_news.jsonl[.gz]`, lines `{"title","body","ts","src",…}`; queries in
//! `queries_ar.jsonl` / `queries_en.jsonl`, lines `{"terms","date_from","date_to",…}`).
//! Up to N/2 articles of each language are tagged by Rasd's own enrichment (the config's
//! rules and models, as `rasd import` tags); item `i` alternates the languages and takes
//! the body of one tagged article, with its tags and source, and the title of another
//! article of the same language, and a date spread over the two years before 2025-04-01,
//! so N can exceed the number of real articles while tags stay as the tagger gives them.
//!
//! Both engines ingest the same items in the same batches (one writer each); then a child
//! process (so the ingest's memory does not count) opens both and times, query by query
//! and alternating the engines, a top-10 for the words alone and a top-10 with a date
//! range and a topic, place or source filter plus every facet (Rasd's facets come with each search;
//! FTS5's are GROUP BY counts over the whole match set, and its total). The last line of
//! the output is `items=… rasd_p95_ms=… rasd_p99_ms=… fts5_p95_ms=… ratio_p95=…` (the
//! filtered case).

use std::collections::BTreeMap;
use std::io::{BufRead as _, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context as _, bail};
use chrono::{DateTime, Utc};
use rasd_core::{Config, Item, Tags};
use rasd_search::{SearchIndex, SearchQuery};
use serde::{Deserialize, Serialize};

use crate::classify_cmd::open_input;
use crate::fts5::{Filter, Fts5};

/// Items per commit (Rasd) and per transaction (FTS5).
pub const BATCH: usize = 10_000;
/// The generated dates end here (2025-04-01T00:00:00Z), after the shared queries' windows.
const DATES_END: i64 = 1_743_465_600;
/// They start two years earlier.
const DATES_SPAN: i64 = 730 * 86_400;
/// How many of the most frequent topics, places and sources the filtered searches take turns on.
const FILTER_VALUES: usize = 8;

/// What `rasd bench search` was asked.
#[derive(Debug, Clone)]
pub struct BenchSearch {
    /// The corpus folder.
    pub corpus: PathBuf,
    /// Items to generate.
    pub items: usize,
    /// Timed searches per case and engine.
    pub queries: usize,
    /// Where to keep both indexes (else a temporary folder removed at the end).
    pub data_dir: Option<PathBuf>,
    /// Run the search phase in this process instead of a child (the figures then include
    /// the ingest's memory).
    pub in_process: bool,
}

/// One real article.
#[derive(Debug, Default, Clone, Deserialize)]
struct Article {
    #[serde(default)]
    title: String,
    #[serde(default)]
    body: String,
    #[serde(default)]
    src: String,
}

/// One line of the queries files.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct QueryLine {
    terms: Vec<String>,
    date_from: i64,
    date_to: i64,
}

/// One language's articles and the tags of those tagged.
struct Pool {
    articles: Vec<Article>,
    /// (article index, its tags) for the articles whose bodies the items take.
    tagged: Vec<(usize, Tags)>,
}

/// The timed searches, written by the parent for the child.
#[derive(Debug, Serialize, Deserialize)]
pub struct Plan {
    index_dir: PathBuf,
    fts_path: PathBuf,
    queries: Vec<Planned>,
}

/// One timed search: its words, and the filters of the filtered case.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Planned {
    pub terms: Vec<String>,
    pub filter: Filter,
}

/// Memory figures of a process, in kB (from /proc/self/status; 0 where unavailable).
#[derive(Debug, Default, Clone, Copy, Serialize, Deserialize)]
pub struct Mem {
    pub(crate) hwm_kb: u64,
    rss_kb: u64,
    anon_kb: u64,
    file_kb: u64,
}

/// What the search phase measured (times in milliseconds).
#[derive(Debug, Default, Serialize, Deserialize)]
struct Measured {
    rasd_plain: Vec<f64>,
    fts_plain: Vec<f64>,
    rasd_filtered: Vec<f64>,
    fts_filtered: Vec<f64>,
    /// After Rasd's warm-up, before FTS5 is opened.
    mem_rasd: Mem,
    /// At the end, with FTS5 in the same process.
    mem_end: Mem,
    segments: usize,
    errors: usize,
    /// Filtered case: queries with any match, and those where Rasd's total ≥ FTS5's.
    any_match: usize,
    rasd_at_least_fts: usize,
    rasd_total_sum: u64,
    fts_total_sum: u64,
    fts_plan: String,
    /// Resident pages of the index's files mapped into this process, by file kind (kB),
    /// after Rasd's searches.
    #[serde(default)]
    mapped_by_kind: Vec<(String, u64)>,
}

/// The resident pages of the files under `dir` that this process maps, summed by file
/// extension (kB, largest first; from /proc/self/smaps, empty where unavailable).
fn mapped_by_kind(dir: &Path) -> Vec<(String, u64)> {
    let Ok(smaps) = std::fs::read_to_string("/proc/self/smaps") else {
        return Vec::new();
    };
    let dir = dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf());
    let mut by_kind: BTreeMap<String, u64> = BTreeMap::new();
    let mut current: Option<String> = None;
    for line in smaps.lines() {
        let mut words = line.split_whitespace();
        let first = words.next().unwrap_or_default();
        if first.contains('-') && !first.ends_with(':') {
            // A mapping's header: range, permissions, offset, device, inode, path.
            current = line
                .split_whitespace()
                .nth(5)
                .map(Path::new)
                .filter(|p| p.starts_with(&dir))
                .map(|p| {
                    p.extension()
                        .map(|e| e.to_string_lossy().into_owned())
                        .unwrap_or_else(|| "other".into())
                });
        } else if first == "Rss:"
            && let Some(kind) = &current
        {
            let kb: u64 = words.next().and_then(|v| v.parse().ok()).unwrap_or(0);
            *by_kind.entry(kind.clone()).or_default() += kb;
        }
    }
    let mut v: Vec<_> = by_kind.into_iter().filter(|(_, kb)| *kb > 0).collect();
    v.sort_by_key(|kind| std::cmp::Reverse(kind.1));
    v
}

/// Reads the memory figures of this process.
pub fn mem_now() -> Mem {
    let mut m = Mem::default();
    let Ok(status) = std::fs::read_to_string("/proc/self/status") else {
        return m;
    };
    for line in status.lines() {
        let Some((key, value)) = line.split_once(':') else {
            continue;
        };
        let kb = value
            .split_whitespace()
            .next()
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        match key {
            "VmHWM" => m.hwm_kb = kb,
            "VmRSS" => m.rss_kb = kb,
            "RssAnon" => m.anon_kb = kb,
            "RssFile" => m.file_kb = kb,
            _ => {}
        }
    }
    m
}

/// A file of the corpus folder, plain or gzipped.
fn corpus_file(dir: &Path, stem: &str) -> Option<PathBuf> {
    [format!("{stem}.gz"), stem.to_string()]
        .into_iter()
        .map(|name| dir.join(name))
        .find(|p| p.exists())
}

fn read_jsonl<T: serde::de::DeserializeOwned>(path: &Path) -> anyhow::Result<Vec<T>> {
    let mut out = Vec::new();
    for (n, line) in open_input(Some(path))?.lines().enumerate() {
        let line = line.with_context(|| format!("cannot read {}", path.display()))?;
        if line.trim().is_empty() {
            continue;
        }
        out.push(
            serde_json::from_str(&line)
                .with_context(|| format!("{}:{}: not a corpus line", path.display(), n + 1))?,
        );
    }
    Ok(out)
}

/// A well-mixed 64-bit hash of `x` (splitmix64), for reproducible spreading.
fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// The nearest-rank percentile `p` (0–100) of sorted values.
pub(crate) fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn sorted(v: &[f64]) -> Vec<f64> {
    let mut v = v.to_vec();
    v.sort_by(f64::total_cmp);
    v
}

/// Bytes in the files under `path`.
/// Indexes `items` items of `corpus` into a plain tantivy index in `dir` (see the ingest
/// line it prints), in the benchmark's batches, with `threads` indexing threads of 64 MB;
/// returns the seconds spent indexing and committing.
fn plain_tantivy_ingest(
    corpus: &Corpus,
    items: usize,
    threads: usize,
    dir: &Path,
) -> anyhow::Result<f64> {
    use tantivy::schema::{FAST, INDEXED, STORED, STRING, Schema, TEXT};
    if dir.exists() {
        std::fs::remove_dir_all(dir).with_context(|| format!("cannot remove {}", dir.display()))?;
    }
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let mut b = Schema::builder();
    let id = b.add_text_field("id", STRING | STORED);
    let title = b.add_text_field("title", TEXT | STORED);
    let body = b.add_text_field("body", TEXT | STORED);
    let date = b.add_date_field("date", INDEXED | FAST | STORED);
    let source = b.add_text_field("source", STRING | FAST | STORED);
    let index = tantivy::Index::create_in_dir(dir, b.build())?;
    let mut writer: tantivy::IndexWriter =
        index.writer_with_num_threads(threads, threads * 64_000_000)?;
    let secs = timed_batches(corpus, items, "plain tantivy", |_, batch| {
        for item in batch {
            let mut doc = tantivy::TantivyDocument::default();
            doc.add_text(id, &item.id);
            doc.add_text(title, &item.title);
            doc.add_text(body, &item.body);
            doc.add_date(
                date,
                tantivy::DateTime::from_timestamp_secs(item.when().timestamp()),
            );
            doc.add_text(source, &item.source);
            writer.add_document(doc)?;
        }
        writer.commit()?;
        Ok(())
    })?;
    writer.wait_merging_threads()?;
    Ok(secs)
}

/// Hands the first `items` items of `corpus` to `load` in batches of [`BATCH`] (with the
/// number of the batch's first item) and answers the seconds spent in `load`; says how far
/// it got every 100,000 items.
fn timed_batches(
    corpus: &Corpus,
    items: usize,
    engine: &str,
    mut load: impl FnMut(usize, &[Item]) -> anyhow::Result<()>,
) -> anyhow::Result<f64> {
    let mut secs = 0.0;
    let mut from = 0;
    while from < items {
        let to = (from + BATCH).min(items);
        let batch = corpus.batch(from, to);
        let t = Instant::now();
        load(from, &batch)?;
        secs += t.elapsed().as_secs_f64();
        from = to;
        if from % 100_000 == 0 || from == items {
            eprintln!(
                "{engine}: {from} items loaded ({:.0} items/s)",
                from as f64 / secs.max(1e-9)
            );
        }
    }
    Ok(secs)
}

fn disk_size(path: &Path) -> u64 {
    if path.is_file() {
        return path.metadata().map(|m| m.len()).unwrap_or(0);
    }
    std::fs::read_dir(path)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|e| disk_size(&e.path()))
                .sum()
        })
        .unwrap_or(0)
}

fn mb(bytes: u64) -> f64 {
    bytes as f64 / 1_000_000.0
}

/// Tags the articles of `pool` at `picks` with the config's enrichment, on two threads.
fn tag(enricher: &rasd_enrich::Enricher, articles: &[Article], picks: &[usize]) -> Vec<Tags> {
    let half = picks.len().div_ceil(2).max(1);
    std::thread::scope(|s| {
        let parts: Vec<_> = picks
            .chunks(half)
            .map(|chunk| {
                s.spawn(move || {
                    chunk
                        .iter()
                        .map(|&k| enricher.tags_for(&articles[k].title, &articles[k].body, None))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        parts
            .into_iter()
            .flat_map(|h| h.join().expect("a tagging thread panicked"))
            .collect()
    })
}

/// The generated corpus.
pub(crate) struct Corpus {
    pools: Vec<Pool>,
}

impl Corpus {
    /// Item `i` (see the module docs).
    pub(crate) fn item(&self, i: usize) -> Item {
        let pool = &self.pools[i % self.pools.len()];
        let j = i / self.pools.len();
        let (body_at, tags) = &pool.tagged[j % pool.tagged.len()];
        let round = j / pool.tagged.len();
        let n = pool.articles.len();
        // Another article's title: a different pairing in each round through the bodies.
        let mut title_at = (body_at + 1 + round * 7919 + (mix(j as u64) % 3) as usize) % n;
        if title_at == *body_at && n > 1 {
            title_at = (title_at + 1) % n;
        }
        let body = &pool.articles[*body_at];
        let ts = DATES_END - DATES_SPAN + (mix(i as u64 ^ 0x5eed) % DATES_SPAN as u64) as i64;
        let at = DateTime::<Utc>::from_timestamp(ts, 0).unwrap_or_default();
        let source = if body.src.trim().is_empty() {
            "corpus"
        } else {
            body.src.trim()
        };
        let mut item = Item::new(
            source,
            &format!("https://bench.invalid/{i}"),
            pool.articles[title_at].title.trim(),
            body.body.trim(),
            at,
        );
        item.published = Some(at);
        item.tags = tags.clone();
        item
    }

    pub(crate) fn batch(&self, from: usize, to: usize) -> Vec<Item> {
        (from..to).map(|i| self.item(i)).collect()
    }
}

/// The corpus made from a corpus folder, its queries, and what reading it took.
pub(crate) struct Read {
    pub corpus: Corpus,
    pub queries: Vec<QueryLine>,
    /// "N ar", "N en": the articles with bodies read from each file.
    pub read_counts: Vec<String>,
    /// Articles tagged, and the seconds it took.
    pub tagged_total: usize,
    pub tag_secs: f64,
}

/// Reads the articles and queries of `corpus_dir` and tags the articles whose bodies the
/// first `items` items take (see the module docs).
pub(crate) fn read_corpus(
    enricher: &rasd_enrich::Enricher,
    corpus_dir: &Path,
    items: usize,
) -> anyhow::Result<Read> {
    // The real articles and queries.
    let mut pools = Vec::new();
    let mut queries: Vec<QueryLine> = Vec::new();
    let mut read_counts = Vec::new();
    for lang in ["ar", "en"] {
        if let Some(f) = corpus_file(corpus_dir, &format!("{lang}_news.jsonl")) {
            let articles: Vec<Article> = read_jsonl::<Article>(&f)?
                .into_iter()
                .filter(|a| !a.body.trim().is_empty())
                .collect();
            read_counts.push(format!("{} {lang}", articles.len()));
            if !articles.is_empty() {
                pools.push(Pool {
                    articles,
                    tagged: Vec::new(),
                });
            }
        }
        let q = corpus_dir.join(format!("queries_{lang}.jsonl"));
        if q.exists() {
            queries.extend(read_jsonl::<QueryLine>(&q)?);
        }
    }
    queries.retain(|q| !q.terms.is_empty());
    if pools.is_empty() {
        bail!(
            "no ar_news.jsonl[.gz] or en_news.jsonl[.gz] with bodies in {}",
            corpus_dir.display()
        );
    }
    if queries.is_empty() {
        bail!(
            "no queries_ar.jsonl or queries_en.jsonl in {}",
            corpus_dir.display()
        );
    }

    // Tag the articles whose bodies the items take (evenly spread over each file).
    let started = Instant::now();
    let per_pool = items.div_ceil(pools.len());
    let mut tagged_total = 0;
    for pool in &mut pools {
        let n = pool.articles.len();
        let take = per_pool.min(n);
        let picks: Vec<usize> = (0..take).map(|k| k * n / take).collect();
        eprintln!("tagging {take} of {n} articles…");
        let tags = tag(enricher, &pool.articles, &picks);
        tagged_total += take;
        pool.tagged = picks.into_iter().zip(tags).collect();
    }
    let tag_secs = started.elapsed().as_secs_f64();
    Ok(Read {
        corpus: Corpus { pools },
        queries,
        read_counts,
        tagged_total,
        tag_secs,
    })
}

/// The [`FILTER_VALUES`] most frequent values of a count, the most frequent first.
fn top(counts: BTreeMap<String, usize>) -> Vec<(String, usize)> {
    let mut v: Vec<(String, usize)> = counts.into_iter().collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    v.truncate(FILTER_VALUES);
    v
}

/// The most frequent topics, places and sources over the first 100,000 of `items` items,
/// for the filtered searches.
pub(crate) type Frequent = [Vec<(String, usize)>; 3];

/// [`Frequent`] of the corpus.
pub(crate) fn frequent_filters(corpus: &Corpus, items: usize) -> Frequent {
    let mut counts: [BTreeMap<String, usize>; 3] = Default::default();
    for i in 0..items.min(100_000) {
        let item = corpus.item(i);
        for t in &item.tags.topics {
            *counts[0].entry(t.clone()).or_default() += 1;
        }
        for p in &item.tags.places {
            *counts[1].entry(p.clone()).or_default() += 1;
        }
        *counts[2].entry(item.source.clone()).or_default() += 1;
    }
    counts.map(top)
}

/// `count` searches: the shared queries in turn; each pass through them moves the date
/// window back by 37 days (within the two years) and the topic, place or source (taking
/// turns, from the most frequent given) on by one.
pub(crate) fn plan_searches(
    queries: &[QueryLine],
    count: usize,
    topics: &[(String, usize)],
    places: &[(String, usize)],
    sources: &[(String, usize)],
) -> Vec<Planned> {
    (0..count.max(1))
        .map(|k| {
            let q = &queries[k % queries.len()];
            let pass = (k / queries.len()) as i64;
            let start = DATES_END - DATES_SPAN;
            let shift = (pass * 37 * 86_400) % (DATES_SPAN - 31 * 86_400);
            let mut from = q.date_from - shift;
            if from < start {
                from += DATES_SPAN - 31 * 86_400;
            }
            let to = from + (q.date_to - q.date_from);
            // Take turns: a topic, a place, a source (each from the most frequent).
            let turn = k / 3 + pass as usize;
            let pick = |values: &[(String, usize)]| {
                (!values.is_empty()).then(|| values[turn % values.len()].0.clone())
            };
            let (mut topic, mut place, mut source) = (None, None, None);
            match k % 3 {
                0 => topic = pick(topics),
                1 => place = pick(places),
                _ => source = pick(sources),
            }
            Planned {
                terms: q.terms.clone(),
                filter: Filter {
                    from,
                    to,
                    topic,
                    place,
                    source,
                },
            }
        })
        .collect()
}

/// Runs the benchmark (or, with `plan`, only its search phase: the child process).
pub fn bench_search(
    config_dir: &Path,
    opts: &BenchSearch,
    plan: Option<&Path>,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    if let Some(plan) = plan {
        let plan: Plan = serde_json::from_slice(
            &std::fs::read(plan).with_context(|| format!("cannot read {}", plan.display()))?,
        )?;
        let measured = search_phase(&plan)?;
        writeln!(out, "{}", serde_json::to_string(&measured)?)?;
        return Ok(());
    }
    if opts.items == 0 {
        bail!("--items 0: give at least 1");
    }
    let config = Config::load(config_dir).map_err(|e| anyhow::anyhow!("{e}"))?;
    let enricher = rasd_enrich::Enricher::from_config_with_models(&config)
        .context("cannot compile the topic, place and police rules")?;

    let Read {
        corpus,
        queries,
        read_counts,
        tagged_total,
        tag_secs,
    } = read_corpus(&enricher, &opts.corpus, opts.items)?;

    // Where the two indexes go.
    let (dir, _remove) = match &opts.data_dir {
        Some(d) => {
            std::fs::create_dir_all(d).with_context(|| format!("cannot create {}", d.display()))?;
            (d.clone(), None)
        }
        None => {
            let t = crate::tempfile_dir("rasd-bench-search")?;
            (t.clone(), Some(crate::RemoveOnDrop(t)))
        }
    };
    let index_dir = dir.join("search");
    let fts_path = dir.join("fts5.sqlite");
    for p in [
        fts_path.clone(),
        dir.join("fts5.sqlite-wal"),
        dir.join("fts5.sqlite-shm"),
    ] {
        if p.exists() {
            std::fs::remove_file(&p).with_context(|| format!("cannot remove {}", p.display()))?;
        }
    }

    // What the tags look like (over the first items; the same tags repeat after).
    let sample = opts.items.min(100_000);
    let mut topic_counts: BTreeMap<String, usize> = BTreeMap::new();
    let mut place_counts: BTreeMap<String, usize> = BTreeMap::new();
    let mut source_counts: BTreeMap<String, usize> = BTreeMap::new();
    let (mut with_topic, mut with_place, mut police, mut ar) = (0, 0, 0, 0);
    for i in 0..sample {
        let item = corpus.item(i);
        with_topic += usize::from(!item.tags.topics.is_empty());
        with_place += usize::from(!item.tags.places.is_empty());
        police += usize::from(item.tags.about_police);
        ar += usize::from(item.tags.lang == rasd_core::Lang::Ar);
        for t in &item.tags.topics {
            *topic_counts.entry(t.clone()).or_default() += 1;
        }
        for p in &item.tags.places {
            *place_counts.entry(p.clone()).or_default() += 1;
        }
        *source_counts.entry(item.source.clone()).or_default() += 1;
    }
    let pct = |n: usize| 100.0 * n as f64 / sample.max(1) as f64;
    writeln!(
        out,
        "corpus: {} articles read from {}; {tagged_total} tagged by Rasd's enrichment ({} config) in {tag_secs:.1} s on 2 threads",
        read_counts.join(" + "),
        opts.corpus.display(),
        config_dir.display()
    )?;
    writeln!(
        out,
        "items: {} (languages alternating; each the body of a tagged article with its tags and source, and another article's title; dates over the two years to 2025-04-01)",
        opts.items
    )?;
    let top_sources: Vec<String> = {
        let mut v: Vec<_> = source_counts.iter().collect();
        v.sort_by(|a, b| b.1.cmp(a.1));
        v.iter()
            .take(6)
            .map(|(s, n)| format!("{s} {:.1}%", pct(**n)))
            .collect()
    };
    writeln!(
        out,
        "tags (first {sample} items): language detected Arabic {:.1}%, a topic {:.1}%, a place {:.1}%, about the police {:.1}%; {} topics, {} places seen; sources: {}",
        pct(ar),
        pct(with_topic),
        pct(with_place),
        pct(police),
        topic_counts.len(),
        place_counts.len(),
        top_sources.join(", ")
    )?;

    // Ingest: Rasd's index, then FTS5, the same batches.
    let index = SearchIndex::recreate(&index_dir)?;
    let threads = crate::reindex_cmd::bulk_threads();
    let mut sink = index.writer_with_threads(threads)?;
    let rasd_secs = timed_batches(&corpus, opts.items, "rasd", |_, batch| {
        sink.index_items(batch)?;
        Ok(sink.commit()?)
    })?;
    drop(sink);
    let segments = index.searcher().segment_readers().len();
    drop(index);
    let rasd_bytes = disk_size(&index_dir);

    let mut fts = Fts5::create(Some(&fts_path))?;
    let fts_secs = timed_batches(&corpus, opts.items, "fts5", |from, batch| {
        fts.insert(from as i64 + 1, batch)
    })?;
    let t = Instant::now();
    fts.optimize()?;
    let optimize_secs = t.elapsed().as_secs_f64();
    drop(fts);
    let fts_bytes = disk_size(&fts_path)
        + disk_size(&dir.join("fts5.sqlite-wal"))
        + disk_size(&dir.join("fts5.sqlite-shm"));

    // The engine alone, for scale: how fast tantivy indexes the same items here with
    // nothing of Rasd's analysis (after FTS5, so that no merge of Rasd's index runs beside).
    let plain_dir = dir.join("plain-tantivy");
    let plain_secs = plain_tantivy_ingest(&corpus, opts.items, threads, &plain_dir)?;
    let plain_bytes = disk_size(&plain_dir);
    std::fs::remove_dir_all(&plain_dir)
        .with_context(|| format!("cannot remove {}", plain_dir.display()))?;
    let rate = |secs: f64| opts.items as f64 / secs.max(1e-9);
    writeln!(
        out,
        "ingest rasd: {:.0} items/s ({:.1} s; one IndexSink, tantivy writer with {threads} indexing thread(s) and 64 MB each, merges on tantivy's own threads; a commit every {BATCH} items); {:.0} MB on disk, {segments} segments",
        rate(rasd_secs),
        rasd_secs,
        mb(rasd_bytes)
    )?;
    writeln!(
        out,
        "ingest fts5: {:.0} items/s ({:.1} s; one connection, WAL, synchronous=NORMAL, 64 MB cache, a transaction every {BATCH} items, side tables indexed as it goes); then 'optimize' {optimize_secs:.1} s (not counted); {:.0} MB on disk",
        rate(fts_secs),
        fts_secs,
        mb(fts_bytes)
    )?;
    writeln!(
        out,
        "ingest plain tantivy: {:.0} items/s ({:.1} s; the engine alone on the same items, writer and batches: its default tokenizer on title and body with positions, both stored, the date and source as fast fields; no stemming, no exact copies, no tags); {:.0} MB on disk; rasd at {:.2}× its items/s",
        rate(plain_secs),
        plain_secs,
        mb(plain_bytes),
        plain_secs / rasd_secs.max(1e-9)
    )?;
    writeln!(
        out,
        "ingest ratio: rasd {:.2}× fts5's items/s; size rasd {:.2}× fts5's",
        fts_secs / rasd_secs.max(1e-9),
        rasd_bytes as f64 / fts_bytes.max(1) as f64
    )?;

    // The timed searches: the shared queries in turn; each pass through them moves the date
    // window back by 37 days (within the two years) and the topic, place or source on by one.
    let (topics, places, sources) = (top(topic_counts), top(place_counts), top(source_counts));
    let planned = plan_searches(&queries, opts.queries, &topics, &places, &sources);
    let plan = Plan {
        index_dir: index_dir.clone(),
        fts_path: fts_path.clone(),
        queries: planned,
    };
    // Kept with the indexes: `rasd bench search --corpus DIR --search-plan FILE` repeats
    // the search phase alone (for a profiler, say).
    let plan_path = dir.join("bench-search-plan.json");
    std::fs::write(&plan_path, serde_json::to_vec(&plan)?)?;
    eprintln!(
        "searching: {} queries per case and engine…",
        plan.queries.len()
    );
    let (m, where_) = if opts.in_process {
        (search_phase(&plan)?, "this process, after the ingest")
    } else {
        (
            search_in_child(config_dir, opts, &plan_path)?,
            "a child process that only searches",
        )
    };
    if m.rasd_filtered.is_empty() {
        bail!("no search ran ({} errors)", m.errors);
    }
    let line = |name: &str, rasd: &[f64], fts: &[f64]| -> String {
        let (r, f) = (sorted(rasd), sorted(fts));
        format!(
            "{name}: rasd p50={:.3} p95={:.3} p99={:.3} ms; fts5 p50={:.3} p95={:.3} p99={:.3} ms; fts5/rasd p50 {:.1}× p95 {:.1}×",
            percentile(&r, 50.0),
            percentile(&r, 95.0),
            percentile(&r, 99.0),
            percentile(&f, 50.0),
            percentile(&f, 95.0),
            percentile(&f, 99.0),
            percentile(&f, 50.0) / percentile(&r, 50.0).max(1e-9),
            percentile(&f, 95.0) / percentile(&r, 95.0).max(1e-9),
        )
    };
    writeln!(
        out,
        "search: {} timed searches per case and engine, one at a time on one thread, alternating the engines query by query, after one untimed pass; in {where_}; {} query errors",
        m.rasd_filtered.len(),
        m.errors
    )?;
    writeln!(
        out,
        "{}",
        line(
            "top-10, all words (rasd: with its facets)",
            &m.rasd_plain,
            &m.fts_plain
        )
    )?;
    writeln!(
        out,
        "{}",
        line(
            "top-10 + date range + a topic, place or source + all facets and total",
            &m.rasd_filtered,
            &m.fts_filtered
        )
    )?;
    writeln!(
        out,
        "filtered matches: {} of {} searches match something; rasd's total ≥ fts5's in {}; totals summed rasd {} fts5 {}",
        m.any_match,
        m.rasd_filtered.len(),
        m.rasd_at_least_fts,
        m.rasd_total_sum,
        m.fts_total_sum
    )?;
    writeln!(out, "fts5 plan (filtered top-10): {}", m.fts_plan)?;
    writeln!(
        out,
        "memory while searching ({where_}): after Rasd's searches, before FTS5 opens: peak {:.0} MB (VmHWM), now {:.0} MB (anonymous {:.0} MB, file-backed index pages {:.0} MB); at the end, with FTS5 too: peak {:.0} MB",
        m.mem_rasd.hwm_kb as f64 / 1000.0,
        m.mem_rasd.rss_kb as f64 / 1000.0,
        m.mem_rasd.anon_kb as f64 / 1000.0,
        m.mem_rasd.file_kb as f64 / 1000.0,
        m.mem_end.hwm_kb as f64 / 1000.0
    )?;
    if !m.mapped_by_kind.is_empty() {
        let kinds: Vec<String> = m
            .mapped_by_kind
            .iter()
            .map(|(kind, kb)| format!(".{kind} {:.0} MB", *kb as f64 / 1000.0))
            .collect();
        writeln!(
            out,
            "index pages mapped after Rasd's searches, by file kind: {}",
            kinds.join(", ")
        )?;
    }
    writeln!(out, "segments searched: {}", m.segments)?;
    let (r, f) = (sorted(&m.rasd_filtered), sorted(&m.fts_filtered));
    let (r95, r99, f95) = (
        percentile(&r, 95.0),
        percentile(&r, 99.0),
        percentile(&f, 95.0),
    );
    writeln!(
        out,
        "items={} rasd_p95_ms={r95:.3} rasd_p99_ms={r99:.3} fts5_p95_ms={f95:.3} ratio_p95={:.1}",
        opts.items,
        f95 / r95.max(1e-9)
    )?;
    Ok(())
}

/// Runs the search phase in a child `rasd bench search --search-plan FILE` and reads its
/// figures.
fn search_in_child(config_dir: &Path, opts: &BenchSearch, plan: &Path) -> anyhow::Result<Measured> {
    let exe =
        std::env::current_exe().context("cannot find this program to start the search phase")?;
    let output = std::process::Command::new(exe)
        .arg("--config")
        .arg(config_dir)
        .args(["bench", "search", "--corpus"])
        .arg(&opts.corpus)
        .arg("--search-plan")
        .arg(plan)
        .stderr(std::process::Stdio::inherit())
        .output()
        .context("cannot start the search phase")?;
    if !output.status.success() {
        bail!("the search phase failed ({})", output.status);
    }
    let text = String::from_utf8_lossy(&output.stdout);
    let last = text.lines().last().unwrap_or_default();
    serde_json::from_str(last).context("the search phase printed no figures")
}

/// Opens both indexes and times the planned searches (see the module docs).
fn search_phase(plan: &Plan) -> anyhow::Result<Measured> {
    let index = SearchIndex::open_or_create(&plan.index_dir)?;
    let mut m = Measured {
        segments: index.searcher().segment_readers().len(),
        ..Measured::default()
    };
    let at = |t: i64| DateTime::<Utc>::from_timestamp(t, 0);
    let rasd_plain = |p: &Planned| SearchQuery {
        text: p.terms.join(" "),
        limit: 10,
        ..SearchQuery::default()
    };
    let rasd_filtered = |p: &Planned| SearchQuery {
        text: p.terms.join(" "),
        limit: 10,
        from: at(p.filter.from),
        to: at(p.filter.to),
        topics: p.filter.topic.iter().cloned().collect(),
        places: p.filter.place.iter().cloned().collect(),
        sources: p.filter.source.iter().cloned().collect(),
        ..SearchQuery::default()
    };
    // Rasd's warm-up pass, then its memory before FTS5 is touched.
    let mut bad = vec![false; plan.queries.len()];
    for (k, p) in plan.queries.iter().enumerate() {
        let plain = index.search(&rasd_plain(p));
        let filtered = index.search(&rasd_filtered(p));
        if plain.is_err() || filtered.is_err() {
            bad[k] = true;
        }
    }
    m.errors = bad.iter().filter(|b| **b).count();
    m.mem_rasd = mem_now();
    m.mapped_by_kind = mapped_by_kind(&plan.index_dir);
    let fts = Fts5::open(&plan.fts_path)?;
    for p in plan.queries.iter() {
        std::hint::black_box(fts.top10(&p.terms, None)?);
        std::hint::black_box(fts.top10(&p.terms, Some(&p.filter))?);
        std::hint::black_box(fts.facets(&p.terms, &p.filter)?);
    }
    if let Some(p) = plan.queries.first() {
        m.fts_plan = fts.plan(&p.filter)?;
    }
    let ms = |t: Instant| t.elapsed().as_secs_f64() * 1000.0;
    for (k, p) in plan.queries.iter().enumerate() {
        if bad[k] {
            continue;
        }
        let (q1, q2) = (rasd_plain(p), rasd_filtered(p));
        let t = Instant::now();
        std::hint::black_box(index.search(&q1)?);
        m.rasd_plain.push(ms(t));

        let t = Instant::now();
        std::hint::black_box(fts.top10(&p.terms, None)?);
        m.fts_plain.push(ms(t));

        let t = Instant::now();
        let found = std::hint::black_box(index.search(&q2)?);
        m.rasd_filtered.push(ms(t));

        let t = Instant::now();
        std::hint::black_box(fts.top10(&p.terms, Some(&p.filter))?);
        let facets = std::hint::black_box(fts.facets(&p.terms, &p.filter)?);
        m.fts_filtered.push(ms(t));

        let fts_total = facets
            .iter()
            .find(|(facet, _, _)| *facet == 0)
            .map_or(0, |(_, _, n)| *n as u64);
        let rasd_total = found.total as u64;
        m.any_match += usize::from(rasd_total > 0 || fts_total > 0);
        m.rasd_at_least_fts += usize::from(rasd_total >= fts_total);
        m.rasd_total_sum += rasd_total;
        m.fts_total_sum += fts_total;
    }
    m.mem_end = mem_now();
    Ok(m)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_nearest_rank() {
        let v: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(percentile(&v, 50.0), 50.0);
        assert_eq!(percentile(&v, 95.0), 95.0);
        assert_eq!(percentile(&v, 99.0), 99.0);
        assert_eq!(percentile(&[3.0], 99.0), 3.0);
        assert_eq!(percentile(&[], 50.0), 0.0);
    }

    #[test]
    fn memory_figures_are_read_on_linux() {
        let m = mem_now();
        if Path::new("/proc/self/status").exists() {
            assert!(m.hwm_kb >= m.rss_kb.min(m.hwm_kb) && m.rss_kb > 0);
        }
    }
}
