//! The stages wired together: fetch → enrich → store and index.
//!
//! Fetch tasks send each source's [`SourceOutcome`] into a bounded channel; one enrich
//! stage tags its items; one sink stage commits the items together with the source's fetch
//! state in a single store transaction (so a source's ETag is never saved without the items
//! it covered), then indexes them with the one [`IndexSink`]. Bounded channels mean a slow
//! sink slows the fetchers instead of filling memory. When every sender is dropped the
//! stages drain what they hold and finish: nothing taken from a source is dropped.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use anyhow::Context as _;
use futures_util::StreamExt as _;
use rasd_core::{Config, FetchState, Item, Lang, SourceConfig};
use rasd_enrich::Enricher;
use rasd_search::{IndexSink, SearchIndex};
use rasd_sources::{Fetcher, Problem, SourceOutcome};
use rasd_store::{Store, UpsertStats};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

/// How many source batches may wait between two stages.
const CHANNEL_BATCHES: usize = 16;

/// What a run of the stages did.
#[derive(Debug, Default, Clone)]
pub struct Report {
    /// Sources fetched (successfully or not).
    pub sources: usize,
    /// Sources that answered "not modified".
    pub not_modified: usize,
    /// Sources whose fetch failed as a whole.
    pub failed: usize,
    /// Items received from sources.
    pub received: usize,
    /// What the store did with them.
    pub stored: UpsertStats,
    /// Problems by reason.
    pub problems: BTreeMap<&'static str, usize>,
    /// The problems themselves (for the summary), at most [`Report::KEEP`].
    pub examples: Vec<Problem>,
    /// Batches the sink could not commit (logged; the source is fetched again next time).
    pub sink_errors: usize,
}

impl Report {
    /// Problems kept for display.
    pub const KEEP: usize = 20;

    fn add_problems(&mut self, problems: &[Problem]) {
        for p in problems {
            *self.problems.entry(p.reason).or_default() += 1;
            if self.examples.len() < Self::KEEP {
                self.examples.push(p.clone());
            }
        }
    }
}

/// Everything the stages need, built once from the config.
#[derive(Debug, Clone)]
pub struct Pipeline {
    /// The configuration.
    pub config: Arc<Config>,
    /// The store.
    pub store: Arc<Store>,
    /// The index (read side; the sink owns the writer).
    pub index: Arc<SearchIndex>,
    /// The HTTP side.
    pub fetcher: Fetcher,
    /// Tagging.
    pub enricher: Arc<Enricher>,
}

impl Pipeline {
    /// Opens the store and index in `data_dir` and builds the fetcher and enricher.
    pub fn open(config: Arc<Config>, data_dir: &std::path::Path) -> anyhow::Result<Pipeline> {
        let store = Store::open(data_dir)
            .with_context(|| format!("cannot open the store in {}", data_dir.display()))?;
        let index = open_index(&store, &data_dir.join("search"))?;
        store
            .record_sources(&config.sources)
            .context("cannot record the configured sources")?;
        let fetcher =
            Fetcher::new(&config.settings.fetch).context("cannot build the HTTP client")?;
        let enricher = Enricher::from_config_with_models(&config)
            .context("cannot compile the topic, place and police rules")?;
        Ok(Pipeline {
            config,
            store: Arc::new(store),
            index: Arc::new(index),
            fetcher,
            enricher: Arc::new(enricher),
        })
    }

    /// The fetch state saved for `source`, or a fresh one.
    pub fn state_of(&self, source: &str) -> FetchState {
        match self.store.fetch_state(source) {
            Ok(Some(s)) => s,
            Ok(None) => FetchState {
                source: source.to_string(),
                ..FetchState::default()
            },
            Err(e) => {
                tracing::warn!(source, error = %e, "Fetch state unreadable, fetching unconditionally.");
                FetchState {
                    source: source.to_string(),
                    ..FetchState::default()
                }
            }
        }
    }

    /// Starts the enrich and sink stages. Send outcomes into the returned sender; drop it
    /// (and every clone) to let the stages drain and finish, then await the handle.
    pub fn start_stages(
        &self,
    ) -> anyhow::Result<(mpsc::Sender<SourceOutcome>, JoinHandle<Report>)> {
        let writer = self.index.writer().context(
            "cannot open the index writer (is another rasd running on this data folder?)",
        )?;
        let (fetched_tx, fetched_rx) = mpsc::channel::<SourceOutcome>(CHANNEL_BATCHES);
        let (tagged_tx, tagged_rx) = mpsc::channel::<SourceOutcome>(CHANNEL_BATCHES);
        let hints: HashMap<String, Option<Lang>> = self
            .config
            .sources
            .iter()
            .map(|s| (s.id.clone(), s.lang))
            .collect();
        let enricher = self.enricher.clone();
        let enrich = tokio::task::spawn_blocking(move || {
            enrich_stage(fetched_rx, tagged_tx, &enricher, &hints)
        });
        let store = self.store.clone();
        let config = self.config.clone();
        let sink =
            tokio::task::spawn_blocking(move || sink_stage(tagged_rx, &store, writer, &config));
        let done = tokio::spawn(async move {
            if let Err(e) = enrich.await {
                tracing::error!(error = %e, "Enrich stage stopped abnormally.");
            }
            sink.await.unwrap_or_else(|e| {
                tracing::error!(error = %e, "Sink stage stopped abnormally.");
                Report::default()
            })
        });
        Ok((fetched_tx, done))
    }

    /// Fetches `sources` once each (a few at a time), runs them through the stages and
    /// returns what happened.
    pub async fn run_once(&self, sources: &[SourceConfig]) -> anyhow::Result<Report> {
        let (tx, done) = self.start_stages()?;
        let concurrency = self.config.settings.fetch.concurrency.max(1) as usize;
        let mut outcomes = futures_util::stream::iter(sources.iter().filter(|s| s.enabled))
            .map(|source| {
                let state = self.state_of(&source.id);
                async move { self.fetcher.fetch_source(source, &state).await }
            })
            .buffer_unordered(concurrency);
        while let Some(outcome) = outcomes.next().await {
            if tx.send(outcome).await.is_err() {
                anyhow::bail!("the pipeline stopped before all sources were processed");
            }
        }
        drop(tx);
        Ok(done.await?)
    }
}

fn enrich_stage(
    mut rx: mpsc::Receiver<SourceOutcome>,
    tx: mpsc::Sender<SourceOutcome>,
    enricher: &Enricher,
    hints: &HashMap<String, Option<Lang>>,
) {
    while let Some(mut outcome) = rx.blocking_recv() {
        let hint = hints.get(&outcome.source).copied().flatten();
        outcome.items = std::mem::take(&mut outcome.items)
            .into_iter()
            .map(|item| enricher.apply(item, hint))
            .collect();
        if tx.blocking_send(outcome).is_err() {
            tracing::error!("Sink stage is gone; enrich stage stopping.");
            return;
        }
    }
}

fn sink_stage(
    mut rx: mpsc::Receiver<SourceOutcome>,
    store: &Store,
    mut writer: IndexSink,
    config: &Config,
) -> Report {
    let mut report = Report::default();
    while let Some(outcome) = rx.blocking_recv() {
        report.sources += 1;
        report.received += outcome.items.len();
        report.add_problems(&outcome.problems);
        if outcome.not_modified {
            report.not_modified += 1;
        }
        if outcome.state.last_error.is_some() && outcome.items.is_empty() && !outcome.not_modified {
            report.failed += 1;
        }
        let changed = match store
            .commit_batch_detailed(&outcome.items, std::slice::from_ref(&outcome.state))
        {
            Ok(committed) => {
                report.stored.add(committed.stats);
                tracing::info!(
                    source = %outcome.source,
                    items = outcome.items.len(),
                    inserted = committed.stats.inserted,
                    updated = committed.stats.updated,
                    duplicates = committed.duplicates.len(),
                    "Source batch stored."
                );
                committed.changed
            }
            Err(e) => {
                // Nothing of this batch was saved, fetch state included: the next poll
                // fetches the same entries again.
                report.sink_errors += 1;
                tracing::error!(source = %outcome.source, error = %e, "Cannot store batch; it will be fetched again.");
                continue;
            }
        };
        schedule_next_poll(store, config, &outcome);
        if changed.is_empty() {
            continue;
        }
        // Index what the store now holds under the stored ids (a duplicate is indexed under
        // the id of the copy that was kept).
        let indexed = store
            .get_items(&changed)
            .map_err(|e| e.to_string())
            .and_then(|items| {
                writer
                    .index_items(&items)
                    .and_then(|()| writer.commit())
                    .map_err(|e| e.to_string())
            });
        if let Err(e) = indexed {
            // The store has the items; `rasd reindex` rebuilds the index from it.
            report.sink_errors += 1;
            tracing::error!(source = %outcome.source, error = %e, "Cannot index batch; run `rasd reindex`.");
        }
    }
    report
}

/// Records when the source of `outcome` is due again: at its `retry_at` after a failure or
/// a `Retry-After`, else after an interval that follows how often it publishes.
fn schedule_next_poll(store: &Store, config: &Config, outcome: &SourceOutcome) {
    let configured = config
        .sources
        .iter()
        .find(|s| s.id == outcome.source)
        .and_then(|s| s.interval);
    let per_day = store.items_per_day(&outcome.source).unwrap_or(0.0);
    let due = rasd_sources::next_due(
        outcome.retry_at,
        chrono::Utc::now(),
        per_day,
        configured,
        &config.settings.schedule,
    );
    if let Err(e) = store.set_next_due(&outcome.source, due) {
        tracing::warn!(source = %outcome.source, error = %e, "Cannot record the next poll time.");
    }
}

/// Rebuilds the index from the store; returns how many items were indexed.
/// Opens the search index in `dir`; an index written by another version of Rasd is rebuilt
/// from the store (the store is the source of truth).
pub fn open_index(store: &Store, dir: &std::path::Path) -> anyhow::Result<SearchIndex> {
    let context = || format!("cannot open the search index in {}", dir.display());
    match SearchIndex::open_or_create(dir) {
        Ok(index) => Ok(index),
        Err(rasd_search::Error::SchemaMismatch { .. }) => {
            tracing::info!(dir = %dir.display(), "Search index from another version; rebuilding it from the store.");
            let index = SearchIndex::recreate(dir).with_context(context)?;
            let n = reindex(store, &index)?;
            tracing::info!(items = n, "Search index rebuilt.");
            Ok(index)
        }
        Err(e) => Err(anyhow::Error::new(e).context(context())),
    }
}

/// Tags every stored item again with `enricher` (after a new model or edited rules) and
/// stores what changed; returns (items read, items whose tags changed). The caller
/// reindexes.
pub fn retag(store: &Store, enricher: &Enricher, config: &Config) -> anyhow::Result<(u64, usize)> {
    const BATCH: usize = 500;
    let hints: HashMap<&str, Option<Lang>> = config
        .sources
        .iter()
        .map(|s| (s.id.as_str(), s.lang))
        .collect();
    let mut batch = Vec::with_capacity(BATCH);
    let mut changed = 0usize;
    let mut flush = |batch: &mut Vec<Item>| -> anyhow::Result<()> {
        let stats = store.upsert_items(batch)?;
        changed += stats.updated;
        batch.clear();
        Ok(())
    };
    let read = store
        .for_each_item(|item| {
            let hint = hints.get(item.source.as_str()).copied().flatten();
            batch.push(enricher.apply(item, hint));
            if batch.len() == BATCH {
                flush(&mut batch)?;
            }
            Ok::<(), anyhow::Error>(())
        })
        .context("cannot retag the stored items")?;
    flush(&mut batch).context("cannot store the new tags")?;
    Ok((read, changed))
}

pub fn reindex(store: &Store, index: &SearchIndex) -> anyhow::Result<u64> {
    const BATCH: usize = 1000;
    let mut writer = index
        .writer()
        .context("cannot open the index writer (is `rasd run` using this data folder?)")?;
    writer.delete_all()?;
    let mut batch = Vec::with_capacity(BATCH);
    store
        .for_each_item(|item| {
            batch.push(item);
            if batch.len() == BATCH {
                writer.index_items(&batch)?;
                batch.clear();
            }
            Ok::<(), rasd_search::Error>(())
        })
        .context("cannot rebuild the index")
        .and_then(|count| {
            writer.index_items(&batch)?;
            writer.commit()?;
            Ok(count)
        })
}
