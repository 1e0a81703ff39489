//! `rasd alerts`: list, acknowledge, send; and the outbox loop `rasd run` keeps going.

use std::path::Path;
use std::sync::Arc;

use anyhow::bail;
use chrono::{DateTime, Duration, Utc};
use rasd_core::Config;
use rasd_deliver::outbox::Sender;
use rasd_store::{AlertFilter, AlertRecord, Delivery, Store};
use serde::Serialize;

use crate::daemon::Shutdown;
use crate::pipeline::Pipeline;

/// How often the outbox loop looks for due messages when nothing wakes it.
const OUTBOX_TICK: std::time::Duration = std::time::Duration::from_secs(2);
/// How often it escalates and writes the daily-cap summaries.
const HOUSEKEEPING_EVERY: Duration = Duration::seconds(30);

/// An alert with its messages, as `rasd alerts --json` prints it.
#[derive(Debug, Serialize)]
struct Listed<'a> {
    #[serde(flatten)]
    alert: &'a AlertRecord,
    rule_name: Option<&'a str>,
    deliveries: Vec<DeliveryState<'a>>,
}

/// A message's state without its text.
#[derive(Debug, Serialize)]
struct DeliveryState<'a> {
    kind: &'a str,
    channel: &'a str,
    recipient: &'a str,
    state: &'a str,
    attempts: u32,
    next_at: DateTime<Utc>,
    sent_at: Option<DateTime<Utc>>,
    last_error: Option<&'a str>,
    note: Option<&'a str>,
}

fn state_of(d: &Delivery) -> DeliveryState<'_> {
    DeliveryState {
        kind: &d.kind,
        channel: &d.channel,
        recipient: &d.recipient,
        state: &d.state,
        attempts: d.attempts,
        next_at: d.next_at,
        sent_at: d.sent_at,
        last_error: d.last_error.as_deref(),
        note: d.note.as_deref(),
    }
}

/// `rasd alerts`.
pub fn list(
    store: &Store,
    config: &Config,
    since: rasd_core::Interval,
    state: Option<&str>,
    limit: usize,
    json: bool,
) -> anyhow::Result<()> {
    if let Some(s) = state
        && !matches!(s, "open" | "acknowledged")
    {
        bail!("unknown --state {s:?}: use open or acknowledged");
    }
    let since = Utc::now() - Duration::from_std(since.as_duration()).unwrap_or(Duration::days(7));
    let alerts = store.alerts_list(&AlertFilter {
        since: Some(since),
        state: state.map(str::to_string),
        limit,
    })?;
    let ids: Vec<u64> = alerts.iter().map(|a| a.id).collect();
    let deliveries = if ids.is_empty() {
        Vec::new()
    } else {
        store.deliveries(&ids)?
    };
    let rule_name = |id: &str| {
        config
            .alerts
            .iter()
            .find(|r| r.id == id)
            .map(|r| r.name.as_str())
    };
    let tz = config.settings.tz();
    if json {
        for a in &alerts {
            let listed = Listed {
                alert: a,
                rule_name: rule_name(&a.rule),
                deliveries: deliveries
                    .iter()
                    .filter(|d| d.alert == Some(a.id))
                    .map(state_of)
                    .collect(),
            };
            println!("{}", serde_json::to_string(&listed)?);
        }
        return Ok(());
    }
    if alerts.is_empty() {
        println!(
            "No alerts since {}.",
            since.with_timezone(&tz).format("%Y-%m-%d %H:%M")
        );
        return Ok(());
    }
    let local = |t: DateTime<Utc>| t.with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string();
    for a in &alerts {
        println!(
            "#{} [{}] {} — {}",
            a.id,
            a.severity,
            rule_name(&a.rule).unwrap_or(&a.rule),
            a.title
        );
        let what = match (a.story, &a.place) {
            (Some(s), _) => format!("story {s}"),
            (None, Some(p)) => format!("wave in {p}"),
            _ => String::new(),
        };
        println!(
            "   {what}: {} items, {} outlets, {} owners; opened {}; {}{}",
            a.items,
            a.outlets,
            a.owners,
            local(a.opened_at),
            a.state,
            match (&a.acked_by, a.acked_at) {
                (Some(by), Some(at)) => format!(" by {by} at {}", local(at)),
                _ => String::new(),
            }
        );
        if !a.topics.is_empty() || !a.places.is_empty() {
            println!(
                "   topics: {}  places: {}",
                if a.topics.is_empty() {
                    "-".into()
                } else {
                    a.topics.join(", ")
                },
                if a.places.is_empty() {
                    "-".into()
                } else {
                    a.places.join(", ")
                }
            );
        }
        if let Some(at) = a.escalated_at {
            println!("   escalated at {}", local(at));
        }
        for d in deliveries.iter().filter(|d| d.alert == Some(a.id)) {
            let when = match (d.state.as_str(), d.sent_at) {
                ("sent", Some(at)) => format!("at {}", local(at)),
                ("queued", _) => format!("next try {}", local(d.next_at)),
                _ => String::new(),
            };
            println!(
                "   {} {} → {}: {} {when}{}{}",
                d.kind,
                d.channel,
                d.recipient,
                d.state,
                d.note
                    .as_deref()
                    .map(|n| format!(" ({n})"))
                    .unwrap_or_default(),
                d.last_error
                    .as_deref()
                    .map(|e| format!(" — last error: {e}"))
                    .unwrap_or_default()
            );
        }
    }
    let dead = store
        .deliveries(&[])?
        .iter()
        .filter(|d| d.state == "dead")
        .count();
    if dead > 0 {
        println!(
            "\n{dead} messages are dead (gave up after [alerts] give_up_after); fix the cause and run `rasd alerts retry`."
        );
    }
    Ok(())
}

/// `rasd alerts ack`.
pub fn ack(store: &Store, id: u64, by: Option<&str>) -> anyhow::Result<()> {
    let by = by
        .map(str::to_string)
        .or_else(|| std::env::var("USER").ok())
        .unwrap_or_else(|| "unknown".into());
    match store.acknowledge_alert(id, &by, Utc::now())? {
        None => bail!("there is no alert #{id}: `rasd alerts` lists them"),
        Some(a) if a.state != "open" => {
            println!(
                "Alert #{id} was already {} (by {}).",
                a.state,
                a.acked_by.as_deref().unwrap_or("?")
            );
        }
        Some(_) => println!("Alert #{id} acknowledged by {by}; it will not escalate."),
    }
    Ok(())
}

/// `rasd alerts send` and `retry`: takes the data folder's lock (so a running `rasd run`,
/// which sends itself, is not doubled), escalates and sends what is due.
pub async fn send(config: Arc<Config>, dir: &Path, retry: bool) -> anyhow::Result<()> {
    let _lock = crate::pipeline::lock_data_dir(dir)?;
    let store = crate::open_store_existing(dir)?;
    let now = Utc::now();
    if retry {
        let n = store.retry_dead(now)?;
        println!("{n} dead messages queued again.");
    }
    let engine = rasd_detect::AlertEngine::new(&config);
    let escalated = engine.housekeeping(&store, now)?;
    let sender = Sender::new(&config);
    let run = sender.deliver_due(&store, now).await?;
    println!(
        "{escalated} escalations or summaries queued; {} messages sent, {} to retry, {} dead.",
        run.sent, run.retrying, run.dead
    );
    if let Some(at) = store.next_delivery_at()? {
        println!(
            "Next message due at {}.",
            at.with_timezone(&config.settings.tz())
                .format("%Y-%m-%d %H:%M")
        );
    }
    Ok(())
}

/// Escalates and sends what is due once (after `rasd fetch`), logging what it did.
pub async fn send_once(p: &Pipeline) {
    let now = p.clock.now();
    if let Err(e) = p.alerts.housekeeping(&p.store, now) {
        tracing::error!(error = %e, "Cannot escalate alerts.");
    }
    match Sender::new(&p.config).deliver_due(&p.store, now).await {
        Ok(run) if run.sent + run.retrying + run.dead > 0 => tracing::info!(
            sent = run.sent,
            retrying = run.retrying,
            dead = run.dead,
            "Alert messages handled."
        ),
        Ok(_) => {}
        Err(e) => tracing::error!(error = %e, "Cannot read or update the outbox."),
    }
}

/// Sends the outbox's messages until `shutdown`: at once when the sink queues some, else
/// every [`OUTBOX_TICK`]; escalates and writes daily-cap summaries every
/// [`HOUSEKEEPING_EVERY`].
pub async fn outbox_loop(p: Pipeline, shutdown: Shutdown) {
    let sender = Sender::new(&p.config);
    if let Some(why) = sender.mail_problem()
        && p.config.settings.mail.enabled
    {
        tracing::error!(
            problem = why,
            "Mail cannot be sent; alert e-mail waits in the outbox."
        );
    }
    let stop = shutdown.wait();
    tokio::pin!(stop);
    let mut last_housekeeping: Option<DateTime<Utc>> = None;
    loop {
        let now = p.clock.now();
        if last_housekeeping.is_none_or(|t| now - t >= HOUSEKEEPING_EVERY) {
            last_housekeeping = Some(now);
            let (engine, store) = (p.alerts.clone(), p.store.clone());
            match tokio::task::spawn_blocking(move || engine.housekeeping(&store, now)).await {
                Ok(Ok(0)) => {}
                Ok(Ok(n)) => tracing::info!(messages = n, "Escalations or summaries queued."),
                Ok(Err(e)) => tracing::error!(error = %e, "Cannot escalate alerts."),
                Err(e) => tracing::error!(error = %e, "Escalation task failed."),
            }
        }
        if let Err(e) = sender.deliver_due(&p.store, now).await {
            tracing::error!(error = %e, "Cannot read or update the outbox.");
        }
        tokio::select! {
            () = &mut stop => break,
            () = p.outbox_ready.notified() => {}
            () = tokio::time::sleep(OUTBOX_TICK) => {}
        }
    }
}
