//! The stages wired together: fetch → enrich → store and index.
//!
//! Fetch tasks send each source's [`SourceOutcome`] into a bounded channel; one enrich
//! stage tags its items; one sink stage commits the items together with the source's fetch
//! state in a single store transaction (so a source's ETag is never saved without the items
//! it covered), then brings the index up to the store with [`catch_up`]: every store change
//! has a number, the index's commits record the last number applied, and whatever lies
//! between is applied — after each batch, and when the index is opened, so neither a crash
//! between the two commits, nor a restored store, nor a lost index folder leaves stored
//! items unsearchable. Bounded channels mean a slow
//! sink slows the fetchers instead of filling memory. When every sender is dropped the
//! stages drain what they hold and finish: nothing taken from a source is dropped.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use anyhow::Context as _;
use futures_util::StreamExt as _;
use rasd_core::{Config, FetchState, Item, Lang, SourceConfig};
use rasd_enrich::Enricher;
use rasd_search::AppliedMark;
use rasd_search::{IndexSink, SearchIndex};
use rasd_sources::{Fetcher, Problem, SourceOutcome};
use rasd_store::{DataLock, Store, UpsertStats};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

/// How many source batches may wait between two stages.
const CHANNEL_BATCHES: usize = 4;

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
    /// Time each stage spent working (not waiting): `tag` (the enrich stage's thread),
    /// `store`, `index`, `stories` and `alerts` (the sink's thread, one after the other).
    pub stages: BTreeMap<&'static str, std::time::Duration>,
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
    /// The alert rules.
    pub alerts: Arc<rasd_detect::AlertEngine>,
    /// Woken when the sink queued messages in the outbox.
    pub outbox_ready: Arc<tokio::sync::Notify>,
    /// The time the rules and the outbox go by.
    pub clock: Clock,
    /// Woken when something outside the stages stored items (the web's form, a tag fix):
    /// the holder of the stages sends them a [`nudge`] so the index, the stories and the
    /// alert rules follow the store.
    pub stored_elsewhere: Arc<tokio::sync::Notify>,
    /// Only this machine's index follows the store, not the stories and the alert rules:
    /// a web node on a shared store, where one process worker (or one `rasd run`) gives
    /// stories, evaluates the rules and sends.
    pub index_only: bool,
    /// The data folder's write lock, held as long as any clone of the pipeline lives.
    _lock: Arc<DataLock>,
}

/// The time alerts go by: the system's, or a simulated one that a replay moves.
#[derive(Debug, Clone, Default)]
pub struct Clock(Option<Arc<std::sync::Mutex<chrono::DateTime<chrono::Utc>>>>);

impl Clock {
    /// A simulated clock starting at `at`.
    pub fn simulated(at: chrono::DateTime<chrono::Utc>) -> Clock {
        Clock(Some(Arc::new(std::sync::Mutex::new(at))))
    }

    /// The time now.
    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        match &self.0 {
            Some(t) => *t.lock().unwrap_or_else(|e| e.into_inner()),
            None => chrono::Utc::now(),
        }
    }

    /// Moves a simulated clock (never back); the system clock is left alone.
    pub fn set(&self, at: chrono::DateTime<chrono::Utc>) {
        if let Some(t) = &self.0 {
            let mut t = t.lock().unwrap_or_else(|e| e.into_inner());
            if at > *t {
                *t = at;
            }
        }
    }
}

/// Checks the alert rules' queries (the search language): each bad one with its rule id,
/// what is wrong and how to write it.
pub fn check_rule_queries(config: &Config) -> anyhow::Result<()> {
    let mut problems = Vec::new();
    for rule in &config.alerts {
        if rule.query.trim().is_empty() {
            continue;
        }
        if let Err(e) = SearchIndex::check_query(&rule.query) {
            problems.push(format!(
                "{}: rule {:?} has query {:?}, which cannot be read: {e}",
                config.dir.join("alerts.toml").display(),
                rule.id,
                rule.query
            ));
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        anyhow::bail!("{}", problems.join("\n"))
    }
}

/// The saved searches the config names (alert rules' `saved_search`, `[digest]
/// saved_searches`) that `store` does not hold, each as a sentence saying where it is named.
pub fn missing_saved_searches(config: &Config, store: &Store) -> anyhow::Result<Vec<String>> {
    let mut named: Vec<(String, String)> = config
        .alerts
        .iter()
        .filter(|r| !r.saved_search.trim().is_empty())
        .map(|r| {
            (
                r.saved_search.trim().to_string(),
                format!("alert rule {:?} in alerts.toml", r.id),
            )
        })
        .collect();
    named.extend(config.settings.digest.saved_searches.iter().map(|n| {
        (
            n.trim().to_string(),
            "[digest] saved_searches in rasd.toml".to_string(),
        )
    }));
    let mut missing = Vec::new();
    for (name, place) in named {
        if store.saved_search(&name)?.is_none() {
            missing.push(format!(
                "{place} names the saved search {name:?}, which does not exist (rasd searches add \
                 {name:?} QUERY… saves it; rasd searches list shows the saved ones)"
            ));
        }
    }
    Ok(missing)
}

impl Pipeline {
    /// Takes the data folder's write lock (before anything is written: a second writer is
    /// refused here), opens the store and the index in `data_dir`, brings the index up to the
    /// store, records the configured sources and builds the fetcher and enricher.
    pub fn open(config: Arc<Config>, data_dir: &std::path::Path) -> anyhow::Result<Pipeline> {
        let lock = lock_data_dir(data_dir)?;
        Pipeline::open_locked(config, data_dir, lock)
    }

    /// [`Pipeline::open`] for a caller that already holds the data folder's lock.
    pub fn open_locked(
        config: Arc<Config>,
        data_dir: &std::path::Path,
        lock: DataLock,
    ) -> anyhow::Result<Pipeline> {
        let store = crate::open_store(data_dir)
            .with_context(|| format!("cannot open the store in {}", data_dir.display()))?;
        let index =
            open_index(&store, &data_dir.join("search"))?.with_place_names(place_names(&config));
        store
            .record_sources(&config.sources)
            .context("cannot record the configured sources")?;
        // A failing source without an `interval` backs off from `[schedule]
        // default_interval`, as it is polled at that interval.
        let fetcher = Fetcher::new(&config.settings.fetch)
            .context("cannot build the HTTP client")?
            .with_default_interval(config.settings.schedule.default_interval);
        let enricher = Enricher::from_config_with_models(&config)
            .context("cannot compile the topic, place and police rules")?;
        check_rule_queries(&config)?;
        for missing in missing_saved_searches(&config, &store)? {
            tracing::warn!("{missing}; until it is saved, it matches nothing.");
        }
        Ok(Pipeline {
            alerts: Arc::new(rasd_detect::AlertEngine::new(&config)),
            config,
            store: Arc::new(store),
            index: Arc::new(index),
            fetcher,
            enricher: Arc::new(enricher),
            outbox_ready: Arc::new(tokio::sync::Notify::new()),
            clock: Clock::default(),
            stored_elsewhere: Arc::new(tokio::sync::Notify::new()),
            _lock: Arc::new(lock),
            index_only: false,
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
        let sink = {
            let p = self.clone();
            tokio::task::spawn_blocking(move || sink_stage(tagged_rx, &p, writer))
        };
        let done = tokio::spawn(async move {
            let tagging = enrich.await.unwrap_or_else(|e| {
                tracing::error!(error = %e, "Enrich stage stopped abnormally.");
                std::time::Duration::ZERO
            });
            let mut report = sink.await.unwrap_or_else(|e| {
                tracing::error!(error = %e, "Sink stage stopped abnormally.");
                Report::default()
            });
            report.stages.insert("tag", tagging);
            report
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
) -> std::time::Duration {
    let metrics = rasd_core::metrics::registry();
    let mut busy = std::time::Duration::ZERO;
    while let Some(mut outcome) = rx.blocking_recv() {
        let started = std::time::Instant::now();
        metrics.items_fetched(outcome.items.len());
        if outcome.state.last_error.is_some() {
            metrics.fetch_failed(&outcome.source);
        }
        let hint = hints.get(&outcome.source).copied().flatten();
        outcome.items = std::mem::take(&mut outcome.items)
            .into_iter()
            .map(|item| enricher.apply(item, hint))
            .collect();
        metrics.items_tagged(outcome.items.len());
        busy += started.elapsed();
        if tx.blocking_send(outcome).is_err() {
            tracing::error!("Sink stage is gone; enrich stage stopping.");
            return busy;
        }
    }
    busy
}

/// An outcome with no source and no items: the sink brings the index, the stories and the
/// alert rules up to the store (for items stored outside the stages, such as the web's
/// form submissions), and stores nothing itself.
pub fn nudge() -> SourceOutcome {
    SourceOutcome {
        source: String::new(),
        items: Vec::new(),
        state: FetchState::default(),
        not_modified: false,
        problems: Vec::new(),
        retry_at: None,
    }
}

/// While batches keep coming, the index, the stories and the alert rules follow the store
/// at least this often; when none is waiting they follow once as long has passed since the
/// last follow as it took ([`Follower::wait_left`]). Each index commit costs tens of
/// milliseconds (files written and synced), so a commit per source would spend a busy
/// poll's time committing.
const FOLLOW_EVERY: std::time::Duration = std::time::Duration::from_secs(1);

/// The index, the stories and the alert rules brought up to the store (when the stages
/// start, after stored batches, after a [`nudge`]), each stage's time added to `report`. A failure is logged and counted;
/// the marks stay, so the next follow (or the next start) does the rest.
fn follow_store(
    p: &Pipeline,
    writer: &mut IndexSink,
    stories: &mut Option<rasd_detect::StoryKeeper>,
    report: &mut Report,
) {
    let (store, config) = (p.store.as_ref(), p.config.as_ref());
    let timer = std::time::Instant::now();
    // Apply every store change the index lacks (the batches stored since the last follow,
    // under their stored ids, and any an earlier failure left behind).
    match catch_up(store, writer) {
        Ok(done) => {
            tracing::debug!(items = done.applied, took = ?timer.elapsed(), "Index followed the store.")
        }
        Err(e) => {
            report.sink_errors += 1;
            tracing::error!(error = %e, "Cannot index what was stored; it will be indexed with the next batch.");
            return;
        }
    }
    let timer = add_time(report, "index", timer);
    if p.index_only {
        return;
    }
    if let Err(e) = assign_stories(store, config, stories) {
        report.sink_errors += 1;
        *stories = None;
        tracing::error!(error = %e, "Cannot give what was stored its stories; they will be given with the next batch.");
        return;
    }
    let timer = add_time(report, "stories", timer);
    evaluate_alerts(p);
    add_time(report, "alerts", timer);
}

fn sink_stage(
    mut rx: mpsc::Receiver<SourceOutcome>,
    p: &Pipeline,
    mut writer: IndexSink,
) -> Report {
    let (store, config) = (p.store.as_ref(), p.config.as_ref());
    let mut report = Report::default();
    let mut follower = Follower::default();
    let runtime = tokio::runtime::Handle::current();
    // A process killed between storing a batch and giving it its stories and rules left
    // items that the next batches will not bring (they are stored: a poll finds them
    // unchanged). Brought up to the store before anything new.
    follower.follow(p, &mut writer, &mut report);
    loop {
        let next = match follower.behind {
            None => rx.blocking_recv(),
            Some(_) => match rx.try_recv() {
                Ok(outcome) => Some(outcome),
                Err(mpsc::error::TryRecvError::Disconnected) => None,
                Err(mpsc::error::TryRecvError::Empty) => {
                    // Nothing waiting: follow now, unless the last follow was recent; then
                    // wait for more until it is due.
                    let left = follower.wait_left();
                    let waited = if left.is_zero() {
                        None
                    } else {
                        runtime.block_on(tokio::time::timeout(left, rx.recv())).ok()
                    };
                    match waited {
                        Some(next) => next,
                        None => {
                            follower.follow(p, &mut writer, &mut report);
                            continue;
                        }
                    }
                }
            },
        };
        let Some(outcome) = next else { break };
        if outcome.source.is_empty() {
            follower.follow(p, &mut writer, &mut report);
            continue;
        }
        report.sources += 1;
        report.received += outcome.items.len();
        report.add_problems(&outcome.problems);
        if outcome.not_modified {
            report.not_modified += 1;
        }
        if outcome.state.last_error.is_some() && outcome.items.is_empty() && !outcome.not_modified {
            report.failed += 1;
        }
        let timer = std::time::Instant::now();
        let committed =
            store.commit_batch_detailed(&outcome.items, std::slice::from_ref(&outcome.state));
        let changed = match committed {
            Ok(committed) => {
                report.stored.add(committed.stats);
                rasd_core::metrics::registry()
                    .items_stored(committed.stats.inserted + committed.stats.updated);
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
        add_time(&mut report, "store", timer);
        if !changed.is_empty() {
            follower.behind.get_or_insert(timer);
        }
        if follower
            .behind
            .is_some_and(|since| since.elapsed() >= FOLLOW_EVERY)
        {
            follower.follow(p, &mut writer, &mut report);
        }
    }
    if follower.behind.is_some() {
        follower.follow(p, &mut writer, &mut report);
    }
    report
}

/// The sink's state between follows of the store.
#[derive(Default)]
struct Follower {
    /// The story assigner follows the store like the index; opened again after a failure.
    stories: Option<rasd_detect::StoryKeeper>,
    /// When the oldest change not yet followed was stored.
    behind: Option<std::time::Instant>,
    /// When the last follow ended, and how long it took.
    last: Option<(std::time::Instant, std::time::Duration)>,
}

impl Follower {
    fn follow(&mut self, p: &Pipeline, writer: &mut IndexSink, report: &mut Report) {
        let started = std::time::Instant::now();
        self.behind = None;
        follow_store(p, writer, &mut self.stories, report);
        self.last = Some((std::time::Instant::now(), started.elapsed()));
    }

    /// How long to wait for more batches before following, when none is waiting: as long
    /// as the last follow took (at most [`FOLLOW_EVERY`]), counted from its end. So
    /// following never takes more than about half the sink's time, and a lone batch (an
    /// alert's item, a form's) is followed at once.
    fn wait_left(&self) -> std::time::Duration {
        self.last
            .map(|(ended, took)| took.min(FOLLOW_EVERY).saturating_sub(ended.elapsed()))
            .unwrap_or_default()
    }
}

/// Adds the time since `since` to `stage`'s in `report`; returns now, for the next stage.
fn add_time(
    report: &mut Report,
    stage: &'static str,
    since: std::time::Instant,
) -> std::time::Instant {
    let now = std::time::Instant::now();
    *report.stages.entry(stage).or_default() += now - since;
    now
}

/// Evaluates the alert rules on the items given their stories and not yet read by the
/// rules, and wakes the outbox when messages were queued. A failure is logged: the rules'
/// mark stays, so the next batch (or start) reads the same items again.
pub fn evaluate_alerts(p: &Pipeline) {
    match p.alerts.catch_up(&p.store, &p.index, p.clock.now()) {
        Ok(run) => {
            if run.opened > 0 || run.threaded > 0 {
                tracing::info!(
                    opened = run.opened,
                    threaded = run.threaded,
                    queued = run.queued,
                    "Alert rules evaluated."
                );
            }
            if run.queued > 0 {
                p.outbox_ready.notify_one();
            }
        }
        Err(e) => {
            tracing::error!(error = %e, "Cannot evaluate the alert rules; they will read these items with the next batch.");
        }
    }
}

/// Gives every stored item without a story its story (see `rasd_detect::StoryKeeper`),
/// opening the assigner first when `keeper` is `None`.
pub fn assign_stories(
    store: &Store,
    config: &Config,
    keeper: &mut Option<rasd_detect::StoryKeeper>,
) -> anyhow::Result<usize> {
    let k = match keeper {
        Some(k) => k,
        None => keeper.insert(
            rasd_detect::StoryKeeper::open(store, config)
                .context("cannot load the last 72 hours of stories")?,
        ),
    };
    let n = k
        .catch_up(store)
        .context("cannot record the items' stories")?;
    if n > 0 {
        tracing::debug!(items = n, "Items given their stories.");
    }
    Ok(n)
}

/// What [`catch_up`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CatchUp {
    /// Items (re)indexed.
    pub applied: u64,
    /// The index was emptied and rebuilt: it followed another store lineage, was ahead of the
    /// store (a store restored from an older copy), or recorded nothing.
    pub rebuilt: bool,
}

/// Items read from the store at a time while catching up.
const CATCH_UP_BATCH: usize = 1000;

/// While catching up, the index commits (with its mark) after at least this many items, and
/// at the end. A commit writes and syncs a new segment, which tantivy later merges with
/// others: a commit per thousand items spent more time committing and merging than indexing.
const CATCH_UP_COMMIT: u64 = 20_000;

/// Brings the index up to the store: applies the changes after the last one the index
/// recorded, or, when its record is of another lineage, ahead of the store or missing,
/// empties it and applies everything. The index commits with its mark every
/// [`CATCH_UP_COMMIT`] items and at the end, so an interrupted catch-up resumes where its
/// last commit stopped.
/// On failure the writer is rolled back to its last commit and restarted (tantivy stops a
/// writer that met an error, such as a full disk), so the next call can apply the same
/// changes again.
pub fn catch_up(store: &Store, writer: &mut IndexSink) -> anyhow::Result<CatchUp> {
    let result = apply_changes(store, writer);
    if result.is_err()
        && let Err(e) = writer.rollback()
    {
        tracing::error!(error = %e, "Cannot restart the index writer after a failed catch-up.");
    }
    result
}

fn apply_changes(store: &Store, writer: &mut IndexSink) -> anyhow::Result<CatchUp> {
    let store_id = store
        .store_id()
        .context("cannot read the store's lineage")?;
    let head = store
        .head_seq()
        .context("cannot read the store's change number")?;
    let mut out = CatchUp::default();
    let mut from = match writer.mark() {
        Some(m) if m.store_id == store_id && m.seq <= head => m.seq,
        found => {
            tracing::info!(
                recorded = ?found,
                store = %store_id,
                head,
                "The search index does not follow this store; rebuilding it from the store."
            );
            writer.delete_all()?;
            out.rebuilt = true;
            0
        }
    };
    let mut uncommitted = 0u64;
    loop {
        let page = store
            .changes_after(from, CATCH_UP_BATCH)
            .context("cannot read the store's changes")?;
        let Some(last) = page.last else { break };
        writer.index_items(&page.items)?;
        out.applied += page.items.len() as u64;
        uncommitted += page.items.len() as u64;
        from = last;
        if uncommitted >= CATCH_UP_COMMIT {
            writer.commit_applied(AppliedMark {
                store_id: store_id.clone(),
                seq: from,
            })?;
            uncommitted = 0;
        }
    }
    let done = AppliedMark {
        store_id,
        seq: from,
    };
    if writer.mark() != Some(&done) {
        // What was applied since the last commit, or a record that is missing or was cleared
        // for a rebuild.
        writer.commit_applied(done)?;
    }
    Ok(out)
}

pub use rasd_web::index_lag;

/// Takes the write lock of `data_dir` for this command; refused at once (nothing written)
/// while another rasd holds it.
pub fn lock_data_dir(data_dir: &std::path::Path) -> anyhow::Result<DataLock> {
    let mut purpose = std::env::args()
        .map(|a| if a.contains(' ') { format!("{a:?}") } else { a })
        .collect::<Vec<_>>()
        .join(" ");
    if let Ok(cwd) = std::env::current_dir() {
        purpose.push_str(&format!(" in {}", cwd.display()));
    }
    Ok(DataLock::acquire(data_dir, &purpose)?)
}

/// Records when the source of `outcome` is due again: at its `retry_at` after a failure or
/// a `Retry-After`, else after an interval that follows how often it publishes.
fn schedule_next_poll(store: &Store, config: &Config, outcome: &SourceOutcome) {
    let due = next_poll_at(store, config, outcome);
    if let Err(e) = store.set_next_due(&outcome.source, due) {
        tracing::warn!(source = %outcome.source, error = %e, "Cannot record the next poll time.");
    }
}

/// When the source of `outcome` is due again (see [`schedule_next_poll`]).
pub(crate) fn next_poll_at(
    store: &Store,
    config: &Config,
    outcome: &SourceOutcome,
) -> chrono::DateTime<chrono::Utc> {
    let configured = config
        .sources
        .iter()
        .find(|s| s.id == outcome.source)
        .and_then(|s| s.interval);
    let per_day = store.items_per_day(&outcome.source).unwrap_or(0.0);
    rasd_sources::next_due(
        outcome.retry_at,
        chrono::Utc::now(),
        per_day,
        configured,
        &config.settings.schedule,
    )
}

/// Every name of every place of `places.toml` (Arabic, English, aliases) with the
/// governorate it lies in: the names searches rank by (see
/// [`SearchIndex::with_place_names`]).
pub fn place_names(config: &Config) -> Vec<(String, String)> {
    config
        .places
        .iter()
        .flat_map(|p| {
            [&p.name_ar, &p.name_en]
                .into_iter()
                .chain(&p.aliases)
                .map(|name| (name.clone(), p.governorate.clone()))
        })
        .collect()
}

/// Opens the search index of the data folder `data_dir` for searching (no writer, no catch-up:
/// a reader beside a running daemon).
pub fn open_index_for_reading(data_dir: &std::path::Path) -> anyhow::Result<SearchIndex> {
    let dir = crate::reindex_cmd::readable_dir(data_dir);
    SearchIndex::open_for_reading(&dir)
        .with_context(|| format!("cannot open the search index in {}", dir.display()))
}

/// Opens the search index in `dir`; an index written by another version of Rasd, or one
/// whose files are missing or damaged, is rebuilt from the store (the store is the source
/// of truth).
/// Then brings it up to the store ([`catch_up`]). The caller holds the data folder's lock.
pub fn open_index(store: &Store, dir: &std::path::Path) -> anyhow::Result<SearchIndex> {
    let context = || format!("cannot open the search index in {}", dir.display());
    let data_dir = dir.parent().unwrap_or(std::path::Path::new("."));
    crate::reindex_cmd::recover_swap(data_dir).with_context(context)?;
    let index = match SearchIndex::open_or_create(dir) {
        Ok(index) => index,
        Err(rasd_search::Error::SchemaMismatch { .. }) => {
            tracing::info!(dir = %dir.display(), "Search index from another version; rebuilding it beside the old one from the store.");
            crate::reindex_cmd::rebuild_beside(store, data_dir, false).with_context(context)?;
            SearchIndex::open_or_create(dir).with_context(context)?
        }
        Err(e @ rasd_search::Error::Damaged { .. }) => {
            tracing::warn!(error = %e, "Search index damaged; rebuilding it from the store.");
            crate::reindex_cmd::rebuild_beside(store, data_dir, false).with_context(context)?;
            SearchIndex::open_or_create(dir).with_context(context)?
        }
        Err(e) => return Err(anyhow::Error::new(e).context(context())),
    };
    let mut writer = index.writer().with_context(context)?;
    let done = catch_up(store, &mut writer).with_context(context)?;
    if done.applied > 0 || done.rebuilt {
        tracing::info!(
            items = done.applied,
            rebuilt = done.rebuilt,
            "Search index brought up to the store."
        );
    }
    Ok(index)
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

#[cfg(test)]
mod tests {
    use super::*;

    /// What a process killed between storing a batch and giving it its stories leaves: the
    /// items stored, the story assigner's and the rules' marks behind. Polls that find the
    /// same items unchanged store nothing, so the stages catch up when they start.
    #[test]
    fn the_stages_start_by_reading_what_a_killed_run_stored() {
        let tmp = tempfile::tempdir().unwrap();
        let shipped = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("config");
        let config = Arc::new(crate::load_config(&shipped).unwrap());
        let now = chrono::Utc::now();
        let items: Vec<Item> = (0..5)
            .map(|n| {
                let mut item = Item::new(
                    "killed",
                    &format!("https://killed.example.jo/{n}"),
                    &format!("حريق في مستودع رقم {n} في إربد"),
                    &format!("أخمدت فرق الدفاع المدني حريقاً في المستودع {n} بإربد دون إصابات."),
                    now,
                );
                item.published = Some(now);
                item
            })
            .collect();
        {
            let p = Pipeline::open(config.clone(), tmp.path()).unwrap();
            // The batch is committed; the process dies before the stories and the rules.
            p.store.commit_batch_detailed(&items, &[]).unwrap();
        }
        let p = Pipeline::open(config, tmp.path()).unwrap();
        let head = p.store.head_seq().unwrap();
        assert_eq!(p.store.stories_seq().unwrap(), 0);
        let rt = tokio::runtime::Runtime::new().unwrap();
        rt.block_on(async {
            let (tx, done) = p.start_stages().unwrap();
            drop(tx);
            done.await.unwrap();
        });
        assert_eq!(p.store.stories_seq().unwrap(), head);
        assert_eq!(p.store.alerts_seq().unwrap(), head);
    }

    /// Found by the soak (`rasd bench soak`): the daemon's fetcher backed a failing source
    /// off from the built-in 15 minutes whatever `[schedule] default_interval` said, so a
    /// source polled every minute waited up to 18 minutes after its first failure.
    #[tokio::test]
    async fn a_failing_source_backs_off_from_the_configured_default_interval() {
        let shipped = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("config");
        let tmp = tempfile::tempdir().unwrap();
        let cfg = tmp.path().join("config");
        std::fs::create_dir_all(&cfg).unwrap();
        for name in ["topics.toml", "places.toml", "alerts.toml"] {
            std::fs::copy(shipped.join(name), cfg.join(name)).unwrap();
        }
        std::fs::write(
            cfg.join("rasd.toml"),
            "[schedule]\ndefault_interval = \"2m\"\nmin_interval = \"1m\"\n\n[fetch]\nrespect_robots = false\n",
        )
        .unwrap();
        // A loopback port nothing listens on: the connection is refused.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        std::fs::write(
            cfg.join("sources.toml"),
            format!(
                "[[source]]\nid = \"refused\"\nname = \"رفض\"\nkind = \"feed\"\n\
                 url = \"http://127.0.0.1:{port}/feed.xml\"\nallow_private = true\n"
            ),
        )
        .unwrap();
        let config = Arc::new(Config::load(&cfg).unwrap());
        let p = Pipeline::open(config.clone(), &tmp.path().join("data")).unwrap();
        let source = config.sources[0].clone();
        let before = chrono::Utc::now();
        let outcome = p
            .fetcher
            .fetch_source(&source, &FetchState::default())
            .await;
        assert_eq!(
            outcome.state.consecutive_failures, 1,
            "{:?}",
            outcome.problems
        );
        let wait = (outcome.retry_at.expect("a failure sets retry_at") - before).num_seconds();
        // Two minutes, ±20 % jitter (not 15 minutes).
        assert!(
            (95..=145).contains(&wait),
            "waits {wait} s after the first failure"
        );
    }
}
