//! `rasd alerts`: list, acknowledge, send; and the outbox loop `rasd run` keeps going.

use std::path::Path;
use std::sync::Arc;

use anyhow::{Context as _, bail};
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

/// Queues the digest of `date` by e-mail to each of `[mail] to` (HTML with the Markdown as
/// its text part). One message per day and recipient, ever (the outbox key), however often
/// the digest is written; nothing when mail is off. Returns how many were queued now.
pub fn queue_digest(
    store: &Store,
    config: &Config,
    date: chrono::NaiveDate,
    html: &str,
    text: &str,
    now: DateTime<Utc>,
) -> anyhow::Result<usize> {
    let m = &config.settings.mail;
    if !m.enabled || m.to.is_empty() {
        return Ok(0);
    }
    // Mail clients drop SVG: the charts travel as inline PNG drawn from the same SVG.
    let (html, images) = rasd_deliver::for_mail(html);
    let images = rasd_deliver::outbox::images_json(&images);
    let n = store.alert_tx(|tx| {
        let mut n = 0;
        for to in &m.to {
            let new = tx.enqueue(
                &rasd_store::NewDelivery {
                    key: format!("digest:{date}:email:{to}"),
                    alert: None,
                    kind: "digest".into(),
                    channel: "email".into(),
                    recipient: to.clone(),
                    subject: format!("[رصد Rasd] الموجز اليومي / Daily digest — {date}"),
                    body_text: text.to_string(),
                    body_html: Some(html.clone()),
                    payload: None,
                    state: "queued".into(),
                    next_at: now,
                    note: None,
                    images: images.clone(),
                },
                now,
            )?;
            n += usize::from(new);
        }
        Ok(n)
    })?;
    Ok(n)
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

/// `rasd bench alerts`: the latency from a batch handed to the store to its alert accepted
/// by a real SMTP server (`scripts/smtp-sink.py`, aiosmtpd), through the daemon's own stages
/// and outbox loop, one item at a time, each a new story that a rule alerts on.
pub async fn bench_latency(config_dir: &Path, items: usize) -> anyhow::Result<()> {
    use std::process::{Command, Stdio};
    use std::time::Instant;

    let script = Path::new("scripts/smtp-sink.py");
    if !script.exists() {
        bail!("run `rasd bench alerts` from the repository root (it starts scripts/smtp-sink.py)");
    }
    let python = ["/usr/bin/python3", "python3"]
        .into_iter()
        .find(|py| {
            Command::new(py)
                .args(["-c", "import aiosmtpd"])
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|s| s.success())
        })
        .ok_or_else(|| {
            anyhow::anyhow!(
                "python3-aiosmtpd is needed for the SMTP server: apt-get install python3-aiosmtpd"
            )
        })?;
    let tmp = crate::tempfile_dir("rasd-bench-alerts")?;
    let mail = tmp.join("mail");
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let mut server = Command::new(python)
        .arg(script)
        .args(["--port", &port.to_string(), "--dir"])
        .arg(&mail)
        .stdout(Stdio::piped())
        .spawn()
        .context("cannot start scripts/smtp-sink.py")?;
    let mut ready = String::new();
    if let Some(out) = server.stdout.take() {
        std::io::BufRead::read_line(&mut std::io::BufReader::new(out), &mut ready)?;
    }
    let result = async {
        if ready.trim() != "ready" {
            bail!("the SMTP server did not start");
        }
        let mut config = crate::load_config(config_dir)?;
        config.sources.clear();
        let m = &mut config.settings.mail;
        m.enabled = true;
        m.smtp_host = "127.0.0.1".into();
        m.smtp_port = port;
        m.security = rasd_core::MailSecurity::None;
        m.from = "rasd@example.jo".into();
        config.settings.alerts.quiet_hours = None;
        config.settings.alerts.daily_cap = 1000;
        config.alerts = vec![rasd_core::AlertRule {
            id: "bench".into(),
            name: "Bench".into(),
            topics: Vec::new(),
            places: Vec::new(),
            query: "حادث".into(),
            saved_search: String::new(),
            min_items: 1,
            min_outlets: 1,
            window: rasd_core::Interval::from_secs(3600),
            severity: rasd_core::Severity::High,
            per: rasd_core::AlertPer::Story,
            breaking: false,
            trending: false,
            channels: vec![rasd_core::AlertChannel::Email],
            recipients: vec!["leader@example.jo".into()],
            webhook_url: None,
            escalate_to: Vec::new(),
            escalate_after: None,
        }];
        let config = Arc::new(config);
        let p = Pipeline::open(config.clone(), &tmp.join("data"))?;
        let (stop, shutdown) = Shutdown::new();
        let outbox = tokio::spawn(outbox_loop(p.clone(), shutdown));
        let (tx, stages) = p.start_stages()?;
        let mut latencies = Vec::new();
        let mut rng = 0x9e37_79b9_7f4a_7c15_u64;
        for n in 0..items {
            let now = Utc::now();
            let mut item = rasd_core::Item::new(
                "bench",
                &format!("https://bench.example.jo/{n}-{}", now.timestamp_millis()),
                &format!("حادث {}", pseudo_words(&mut rng, 6)),
                &format!("{} حادث {}", pseudo_words(&mut rng, 30), pseudo_words(&mut rng, 30)),
                now,
            );
            item.published = Some(now);
            let outcome = rasd_sources::SourceOutcome {
                source: "bench".into(),
                items: vec![item],
                state: rasd_core::FetchState {
                    source: "bench".into(),
                    ..rasd_core::FetchState::default()
                },
                not_modified: false,
                problems: Vec::new(),
                retry_at: None,
            };
            let start = Instant::now();
            tx.send(outcome).await.context("the stages stopped")?;
            loop {
                let got = std::fs::read_dir(&mail)?
                    .filter_map(|e| e.ok())
                    .filter(|e| e.file_name().to_string_lossy().ends_with(".eml"))
                    .count();
                if got > n {
                    break;
                }
                if start.elapsed() > std::time::Duration::from_secs(60) {
                    bail!("item {n}: no mail within 60 s");
                }
                tokio::time::sleep(std::time::Duration::from_millis(2)).await;
            }
            latencies.push(start.elapsed().as_secs_f64() * 1000.0);
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        drop(tx);
        stages.await?;
        let _ = stop.send(true);
        outbox.await?;
        latencies.sort_by(f64::total_cmp);
        let q = |f: f64| latencies[((latencies.len() as f64 - 1.0) * f).round() as usize];
        println!(
            "alert latency, item handed to the store → mail accepted by the SMTP server ({} alerts): \
             p50 {:.1} ms, p90 {:.1} ms, p99 {:.1} ms, max {:.1} ms (goal: p99 ≤ 5000 ms)",
            latencies.len(),
            q(0.5),
            q(0.9),
            q(0.99),
            latencies[latencies.len() - 1]
        );
        Ok(())
    }
    .await;
    let _ = server.kill();
    let _ = server.wait();
    let _ = std::fs::remove_dir_all(&tmp);
    result
}

/// `n` made-up Arabic words (so each bench item is its own story).
fn pseudo_words(state: &mut u64, n: usize) -> String {
    const LETTERS: &[char] = &[
        'ب', 'ت', 'ث', 'ج', 'ح', 'خ', 'د', 'ر', 'ز', 'س', 'ش', 'ص', 'ط', 'ع', 'غ', 'ف', 'ق', 'ك',
        'ل', 'م', 'ن', 'ه', 'و', 'ي',
    ];
    let mut next = || {
        *state ^= *state << 13;
        *state ^= *state >> 7;
        *state ^= *state << 17;
        *state
    };
    (0..n)
        .map(|_| {
            let len = 4 + (next() % 4) as usize;
            (0..len)
                .map(|_| LETTERS[(next() % LETTERS.len() as u64) as usize])
                .collect::<String>()
        })
        .collect::<Vec<_>>()
        .join(" ")
}
