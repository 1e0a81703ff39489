//! `rasd run`: the long-running daemon.
//!
//! Every source has a next-due time in the store: after a poll it is set from how often the
//! source publishes (clamped to `[schedule] min_interval..max_interval`), or later after a
//! failure (exponential backoff) or a `Retry-After`. A tokio-cron-scheduler ticker hands the
//! due sources to a dispatcher, which fetches a few at a time (never one source twice at
//! once; the fetcher keeps per-host limits and robots.txt) and feeds the pipeline stages; a
//! cron job writes the daily digest; the web server answers analysts. Ctrl-C or SIGTERM
//! stops the scheduler, lets fetches in flight finish and their items reach the store, then
//! stops the web server.

use std::collections::HashSet;
use std::path::Path;
use std::sync::{Arc, Mutex};

use anyhow::Context as _;
use chrono::Utc;
use rasd_core::Config;
use tokio::sync::{Semaphore, mpsc, watch};
use tokio::task::JoinSet;
use tokio_cron_scheduler::{Job, JobScheduler};

use crate::pipeline::Pipeline;

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %e, "Cannot listen for Ctrl-C.");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::error!(error = %e, "Cannot listen for SIGTERM.");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}

/// A shutdown signal that many tasks can wait on.
#[derive(Debug, Clone)]
pub struct Shutdown(watch::Receiver<bool>);

impl Shutdown {
    /// A signal and the sender that fires it.
    pub fn new() -> (watch::Sender<bool>, Shutdown) {
        let (tx, rx) = watch::channel(false);
        (tx, Shutdown(rx))
    }

    /// Resolves once shutdown has been requested.
    pub async fn wait(mut self) {
        let _ = self.0.wait_for(|&stop| stop).await;
    }
}

/// How often the ticker looks for due sources.
const TICK: std::time::Duration = std::time::Duration::from_secs(15);
/// A source handed over for fetching is not handed over again for this long, unless the
/// poll finishes first and sets its real next-due time.
const LEASE: chrono::Duration = chrono::Duration::minutes(10);

/// Sends the ids of due sources to the dispatcher, leasing each so the next tick does not
/// send it again while it is being fetched.
async fn hand_over_due(store: &Arc<rasd_store::Store>, tx: &mpsc::Sender<String>) {
    let store = store.clone();
    let due = tokio::task::spawn_blocking(move || {
        let now = Utc::now();
        let due = store.due_sources(now)?;
        for id in &due {
            store.set_next_due(id, now + LEASE)?;
        }
        Ok::<_, rasd_store::Error>(due)
    })
    .await;
    match due {
        Ok(Ok(ids)) => {
            for id in ids {
                // A full queue means the dispatcher is busy; the lease expires and the
                // source comes round again.
                let _ = tx.try_send(id);
            }
        }
        Ok(Err(e)) => tracing::error!(error = %e, "Cannot read which sources are due."),
        Err(e) => tracing::error!(error = %e, "Due-sources task failed."),
    }
}

/// Runs the daemon until Ctrl-C/SIGTERM.
pub async fn run(config: Arc<Config>, data_dir: &Path) -> anyhow::Result<()> {
    let pipeline = Pipeline::open(config.clone(), data_dir)?;
    for note in crate::not_yet_acted_on(&config) {
        tracing::warn!("Note: {note}.");
    }
    let (stop_tx, shutdown) = Shutdown::new();
    tokio::spawn(async move {
        shutdown_signal().await;
        tracing::info!("Shutdown requested; finishing fetches in flight.");
        let _ = stop_tx.send(true);
    });

    // The web server: the analysts' face, and the public form when configured.
    let web = crate::web_cmd::start(&pipeline, None, None, &shutdown).await?;

    let outbox = tokio::spawn(crate::alerts_cmd::outbox_loop(
        pipeline.clone(),
        shutdown.clone(),
    ));
    let report = poll_until(pipeline.clone(), data_dir, shutdown).await?;
    crate::print_report(&report);
    if let Err(e) = outbox.await {
        tracing::error!(error = %e, "Outbox task failed.");
    }
    web.finish().await?;
    tracing::info!("Stopped.");
    Ok(())
}

/// Polls sources on their schedules and writes digests until `shutdown`; returns what the
/// stages did overall.
pub async fn poll_until(
    pipeline: Pipeline,
    data_dir: &Path,
    shutdown: Shutdown,
) -> anyhow::Result<crate::pipeline::Report> {
    let config = pipeline.config.clone();
    let (outcomes_tx, stages) = pipeline.start_stages()?;
    // What the web stores (the public form, tag fixes) is indexed, given its stories and
    // read by the alert rules through the same stages.
    let follower = {
        let (p, tx, shutdown) = (pipeline.clone(), outcomes_tx.clone(), shutdown.clone());
        tokio::spawn(async move { crate::web_cmd::follow_web(&p, tx, shutdown).await })
    };
    let (due_tx, mut due_rx) = mpsc::channel::<String>(256);

    let mut sched = JobScheduler::new()
        .await
        .context("cannot start the scheduler")?;
    // Each source has its own next-due time in the store (from how often it publishes,
    // clamped to [schedule] min_interval..max_interval, or later after failures and
    // Retry-After). A ticker hands over the sources that are due.
    let tick = {
        let store = pipeline.store.clone();
        let tx = due_tx.clone();
        Job::new_repeated_async(TICK, move |_, _| {
            let (store, tx) = (store.clone(), tx.clone());
            Box::pin(async move { hand_over_due(&store, &tx).await })
        })
        .context("cannot schedule the poll ticker")?
    };
    sched
        .add(tick)
        .await
        .context("cannot add the poll ticker")?;
    // Everything due (never-fetched sources included) goes at start.
    hand_over_due(&pipeline.store, &due_tx).await;
    {
        let store = pipeline.store.clone();
        let index = pipeline.index.clone();
        let config = config.clone();
        let dir = data_dir.to_path_buf();
        let outbox_ready = pipeline.outbox_ready.clone();
        let cron = config.settings.schedule.digest.clone();
        let tz = config.settings.tz();
        let job = Job::new_async_tz(cron.as_str(), tz, move |_, _| {
            let store = store.clone();
            let index = index.clone();
            let config = config.clone();
            let dir = dir.clone();
            let outbox_ready = outbox_ready.clone();
            Box::pin(async move {
                let date = Utc::now().with_timezone(&config.settings.tz()).date_naive();
                let path = crate::default_digest_path(&dir, date);
                let result = tokio::task::spawn_blocking(move || {
                    crate::write_digest(&store, Some(&index), &config, date, &path).map(|_| path)
                })
                .await;
                match result {
                    Ok(Ok(path)) => {
                        tracing::info!(path = %path.display(), "Digest written.");
                        // Its e-mail, if any, is in the outbox.
                        outbox_ready.notify_one();
                    }
                    Ok(Err(e)) => tracing::error!(error = %format!("{e:#}"), "Digest failed."),
                    Err(e) => tracing::error!(error = %e, "Digest task failed."),
                }
            })
        })
        .with_context(|| {
            format!(
                "cannot schedule the digest with {cron:?}: check [schedule] digest in rasd.toml"
            )
        })?;
        sched.add(job).await.context("cannot add the digest job")?;
    }
    sched.start().await.context("cannot start the scheduler")?;
    drop(due_tx);

    // Dispatch: fetch due sources, a few at a time, never one source twice at once.
    let limit = Arc::new(Semaphore::new(
        config.settings.fetch.concurrency.max(1) as usize
    ));
    let in_flight: Arc<Mutex<HashSet<String>>> = Arc::default();
    let mut fetches = JoinSet::new();
    let stop = shutdown.wait();
    tokio::pin!(stop);
    loop {
        tokio::select! {
            () = &mut stop => break,
            Some(id) = due_rx.recv() => {
                let Some(source) = config.sources.iter().find(|s| s.id == id).cloned() else { continue };
                if !in_flight.lock().unwrap_or_else(|e| e.into_inner()).insert(id.clone()) {
                    continue;
                }
                let (p, tx, limit, in_flight) = (pipeline.clone(), outcomes_tx.clone(), limit.clone(), in_flight.clone());
                fetches.spawn(async move {
                    let Ok(_permit) = limit.acquire_owned().await else { return };
                    let state = p.state_of(&source.id);
                    let outcome = p.fetcher.fetch_source(&source, &state).await;
                    // Hand the items over before anything else: once sent, the stages
                    // store them even if shutdown follows.
                    if tx.send(outcome).await.is_err() {
                        tracing::error!(source = %source.id, "Pipeline closed; batch not stored.");
                    }
                    in_flight.lock().unwrap_or_else(|e| e.into_inner()).remove(&source.id);
                });
            }
            Some(_) = fetches.join_next(), if !fetches.is_empty() => {}
        }
    }
    if let Err(e) = sched.shutdown().await {
        tracing::warn!(error = %e, "Scheduler did not stop cleanly.");
    }
    // Fetches in flight finish (each is bounded by the request timeout) and hand over
    // their items; then the stages drain.
    while fetches.join_next().await.is_some() {}
    let _ = follower.await;
    drop(outcomes_tx);
    Ok(stages.await?)
}
