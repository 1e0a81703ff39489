//! `rasd run --role fetch|process|web`: the daemon's work split among several workers that
//! share one store (PostgreSQL, `[store] url`), each with its own data folder and index.
//!
//! - `fetch` leases due sources in the store ([`rasd_store::Store::lease_due_sources`]),
//!   fetches, parses and extracts them as the daemon does, and queues the items, untagged,
//!   with the source's fetch state and next poll time
//!   ([`rasd_store::Store::enqueue_fetched`], which releases the lease). A worker killed
//!   while fetching leaves the source to another once its lease (`[workers] lease`) runs
//!   out.
//! - `process` claims queued items ([`rasd_store::Store::claim_work`]), tags them and
//!   stores them, removing them from the queue in the same transaction
//!   ([`rasd_store::Store::complete_work`]); then, as the daemon's stages do, its index, the
//!   stories and the alert rules follow the store, and its outbox sends. Items a killed
//!   worker had claimed come back once their lease runs out; storing them again changes
//!   nothing (writes are idempotent by item id).
//! - `web` is `rasd serve`: the web UI, its index (with the stories and rules) following
//!   the shared store.
//! - `all` (the default) is the daemon of [`crate::daemon`], unchanged.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use futures_util::FutureExt as _;
use rasd_core::{Config, Item, Lang};
use tokio::task::JoinSet;

use crate::daemon::{Shutdown, shutdown_signal};
use crate::pipeline::{Pipeline, nudge};

/// What a `rasd run` does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Role {
    /// Everything in one process: fetch, tag and store, follow the store, serve the web.
    #[default]
    All,
    /// Fetch due sources and queue their items for a `process` worker.
    Fetch,
    /// Tag and store queued items; the index, stories, alerts and outbox follow the store.
    Process,
    /// Serve the web UI; the index follows the store.
    Web,
}

/// How often an idle worker looks for work.
const IDLE: Duration = Duration::from_secs(1);
/// Queued items a process worker claims at a time.
const CLAIM: usize = 100;

/// Runs `role` until Ctrl-C/SIGTERM.
pub async fn run(config: Arc<Config>, data_dir: &Path, role: Role) -> anyhow::Result<()> {
    match role {
        Role::All => return crate::daemon::run(config, data_dir).await,
        // `rasd serve`: on a shared store its index, stories and rules follow the store.
        Role::Web => return crate::web_cmd::serve(config, data_dir, None, None).await,
        Role::Fetch | Role::Process => {}
    }
    let pipeline = Pipeline::open(config.clone(), data_dir)?;
    if pipeline.store.url().is_none() {
        tracing::warn!(
            "--role {role:?} shares work through the store, but this one is the SQLite file in \
             {}: workers on other machines cannot share it ([store] url or RASD_STORE_URL names \
             a PostgreSQL store).",
            data_dir.display()
        );
    }
    let owner = config.settings.workers.effective_id();
    let lease = config.settings.workers.lease.as_duration();
    let fetch = &config.settings.fetch;
    let longest = fetch.source_time_budget.as_duration() + fetch.timeout.as_duration();
    if role == Role::Fetch && lease < longest {
        tracing::warn!(
            "[workers] lease ({lease:?}) is shorter than a source's fetch may take ([fetch] \
             source_time_budget plus timeout: {longest:?}): a slow source may be fetched by \
             two workers (its items are still stored once)."
        );
    }
    tracing::info!(role = ?role, worker = %owner, lease = ?lease, "Worker started.");
    let (stop_tx, shutdown) = Shutdown::new();
    tokio::spawn(async move {
        shutdown_signal().await;
        tracing::info!("Shutdown requested; finishing the work in hand.");
        let _ = stop_tx.send(true);
    });
    match role {
        Role::Fetch => fetch_loop(&pipeline, &owner, lease, shutdown).await?,
        Role::Process => {
            let outbox = tokio::spawn(crate::alerts_cmd::outbox_loop(
                pipeline.clone(),
                shutdown.clone(),
            ));
            process_loop(&pipeline, &owner, lease, shutdown).await?;
            if let Err(e) = outbox.await {
                tracing::error!(error = %e, "Outbox task failed.");
            }
        }
        Role::All | Role::Web => unreachable!("handled above"),
    }
    tracing::info!("Stopped.");
    Ok(())
}

/// Leases due sources and fetches them, at most `[fetch] concurrency` at once, until
/// `shutdown`; then lets the fetches in flight finish and queue their items.
async fn fetch_loop(
    p: &Pipeline,
    owner: &str,
    lease: Duration,
    shutdown: Shutdown,
) -> anyhow::Result<()> {
    let concurrency = p.config.settings.fetch.concurrency.max(1) as usize;
    let mut fetches = JoinSet::new();
    let stop = shutdown.wait();
    tokio::pin!(stop);
    loop {
        let free = concurrency.saturating_sub(fetches.len());
        let mut leased = Vec::new();
        if free > 0 {
            let (store, who) = (p.store.clone(), owner.to_string());
            match tokio::task::spawn_blocking(move || {
                store.lease_due_sources(&who, chrono::Utc::now(), lease, free)
            })
            .await
            {
                Ok(Ok(ids)) => leased = ids,
                Ok(Err(e)) => tracing::error!(error = %e, "Cannot lease due sources."),
                Err(e) => tracing::error!(error = %e, "Leasing task failed."),
            }
        }
        for id in leased {
            let (p, owner) = (p.clone(), owner.to_string());
            fetches.spawn(async move { fetch_one(&p, &owner, &id).await });
        }
        let idle = tokio::time::sleep(IDLE);
        tokio::select! {
            () = &mut stop => break,
            Some(_) = fetches.join_next(), if !fetches.is_empty() => {}
            () = idle => {}
        }
    }
    // Fetches in flight finish (each bounded by the request timeout and the source's time
    // budget) and queue their items.
    while fetches.join_next().await.is_some() {}
    Ok(())
}

/// Fetches the leased source `id` and queues its items with its fetch state and its next
/// poll time, releasing the lease (one transaction: a worker killed before it leaves the
/// source due, for another once the lease has run out).
async fn fetch_one(p: &Pipeline, owner: &str, id: &str) {
    let Some(source) = p.config.sources.iter().find(|s| s.id == id).cloned() else {
        // In the store's sources but not in this worker's config (another config).
        tracing::warn!(source = %id, "A leased source is not in this worker's config; left to the others.");
        let _ = p.store.release_lease(id, owner);
        return;
    };
    let state = p.state_of(&source.id);
    let outcome = p.fetcher.fetch_source(&source, &state).await;
    let metrics = rasd_core::metrics::registry();
    metrics.items_fetched(outcome.items.len());
    if outcome.state.last_error.is_some() {
        metrics.fetch_failed(&outcome.source);
    }
    let (p, owner) = (p.clone(), owner.to_string());
    let queued = tokio::task::spawn_blocking(move || {
        let due = crate::pipeline::next_poll_at(&p.store, &p.config, &outcome);
        p.store
            .enqueue_fetched(
                &outcome.items,
                std::slice::from_ref(&outcome.state),
                &[(outcome.source.as_str(), due)],
                &owner,
            )
            .map(|n| (n, outcome))
    })
    .await;
    match queued {
        Ok(Ok((n, outcome))) => tracing::info!(
            source = %source.id,
            items = n,
            not_modified = outcome.not_modified,
            problems = outcome.problems.len(),
            "Source batch queued."
        ),
        Ok(Err(e)) => tracing::error!(
            source = %source.id,
            error = %e,
            "Cannot queue the batch; the source is fetched again after its lease."
        ),
        Err(e) => tracing::error!(source = %source.id, error = %e, "Queueing task failed."),
    }
}

/// Claims queued items, tags and stores them, and has the stages follow the store, until
/// `shutdown` (a batch in hand is finished first).
async fn process_loop(
    p: &Pipeline,
    owner: &str,
    lease: Duration,
    shutdown: Shutdown,
) -> anyhow::Result<()> {
    let (tx, stages) = p.start_stages()?;
    let hints: Arc<HashMap<String, Option<Lang>>> = Arc::new(
        p.config
            .sources
            .iter()
            .map(|s| (s.id.clone(), s.lang))
            .collect(),
    );
    let stop = shutdown.wait();
    tokio::pin!(stop);
    let mut last_head = None;
    loop {
        if (&mut stop).now_or_never().is_some() {
            break;
        }
        let (p2, who, hints) = (p.clone(), owner.to_string(), hints.clone());
        let done = tokio::task::spawn_blocking(move || process_batch(&p2, &who, lease, &hints))
            .await
            .context("processing task failed")?;
        let worked = match done {
            Ok(n) => n > 0,
            Err(e) => {
                tracing::error!(error = %format!("{e:#}"), "Cannot process queued items; they come back after their lease.");
                false
            }
        };
        // The index, stories and alert rules follow what this worker stored, and what
        // the others (and the web) stored.
        let head = p.store.head_seq().ok();
        if worked || head != last_head {
            last_head = head;
            if tx.send(nudge()).await.is_err() {
                anyhow::bail!("the pipeline's stages stopped");
            }
        }
        if !worked {
            tokio::select! {
                () = &mut stop => break,
                () = tokio::time::sleep(IDLE) => {}
            }
        }
    }
    drop(tx);
    let report = stages.await?;
    if report.sink_errors > 0 {
        tracing::warn!(
            errors = report.sink_errors,
            "Some follows of the store failed."
        );
    }
    Ok(())
}

/// Claims up to [`CLAIM`] queued items, tags and stores them; returns how many.
fn process_batch(
    p: &Pipeline,
    owner: &str,
    lease: Duration,
    hints: &HashMap<String, Option<Lang>>,
) -> anyhow::Result<usize> {
    let claimed = p
        .store
        .claim_work(owner, chrono::Utc::now(), lease, CLAIM)
        .context("cannot claim queued items")?;
    if claimed.is_empty() {
        return Ok(0);
    }
    let (ids, items): (Vec<i64>, Vec<Item>) = claimed
        .into_iter()
        .map(|(id, item)| {
            let hint = hints.get(&item.source).copied().flatten();
            (id, p.enricher.apply(item, hint))
        })
        .unzip();
    rasd_core::metrics::registry().items_tagged(items.len());
    let committed = p
        .store
        .complete_work(&ids, &items)
        .context("cannot store the tagged items")?;
    rasd_core::metrics::registry().items_stored(committed.stats.inserted + committed.stats.updated);
    tracing::info!(
        items = items.len(),
        inserted = committed.stats.inserted,
        updated = committed.stats.updated,
        duplicates = committed.duplicates.len(),
        "Queued items stored."
    );
    Ok(items.len())
}
