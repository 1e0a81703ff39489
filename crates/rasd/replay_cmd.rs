//! `rasd replay FILE.jsonl[.gz]`: archived items fed through the live pipeline in time
//! order with a simulated clock, so stories, breaking stories, alert rules, quiet hours,
//! the daily cap, escalation and the outbox behave as they would have on those days.
//!
//! Time moves in cycles of `--cycle` (default 1 minute, like a busy poll interval): each
//! cycle's items are tagged, stored, indexed and given their stories; then the rules are
//! evaluated, escalations and summaries queued and due messages sent, all at the cycle's
//! simulated time. `--speed N` plays N simulated seconds per real second; without it the
//! replay runs as fast as it can (`--instant`).
//!
//! One JSON object a line (the import format, read by [`rasd_core::import`]): `title`, `body`, `published` or `date` (RFC
//! 3339, `YYYY-MM-DD HH:MM[:SS]` or a date, in the configured time zone), and optional
//! `id` (a string or a number, unique within its source), `url`, `source` (default
//! `replay`), `owner` (default: the source), `lang` (`ar`, `en`) and `kind` (`news` or
//! `comment`); other fields are ignored, and `src` is read as `source`. A bad line is
//! reported with its number and reason and skipped; the rest go on. Replaying a file twice stores nothing twice and raises nothing twice.

use std::io::BufRead as _;
use std::path::Path;
use std::sync::Arc;

use anyhow::Context as _;
use chrono::{DateTime, Duration, Utc};
use rasd_core::Config;
pub use rasd_core::import::{Imported, parse_line};
use rasd_deliver::outbox::{DeliverRun, Sender};

use crate::classify_cmd::open_input;
use crate::pipeline::{Clock, Pipeline, catch_up};

/// Reads every line of `path` (`-`: standard input); bad lines are reported and skipped.
pub fn read_lines(path: &Path, tz: chrono_tz::Tz) -> anyhow::Result<(Vec<Imported>, usize)> {
    let mut out = Vec::new();
    let mut refused = 0;
    for (n, line) in open_input(Some(path))?.lines().enumerate() {
        let line = line.with_context(|| format!("cannot read {}", path.display()))?;
        if line.trim().is_empty() {
            continue;
        }
        match parse_line(&line, tz) {
            Ok(i) => out.push(i),
            Err(why) => {
                refused += 1;
                eprintln!("{}:{}: line skipped: {why}", path.display(), n + 1);
            }
        }
    }
    Ok((out, refused))
}

/// What `rasd replay` was asked.
#[derive(Debug, Clone)]
pub struct ReplayOptions {
    /// Simulated seconds per real second; `None`: as fast as possible.
    pub speed: Option<f64>,
    /// How far simulated time moves in one cycle.
    pub cycle: Duration,
}

/// Runs the replay (see the module docs).
pub async fn run(
    config: Arc<Config>,
    dir: &Path,
    file: &Path,
    opts: &ReplayOptions,
) -> anyhow::Result<()> {
    let tz = config.settings.tz();
    let (mut lines, refused) = read_lines(file, tz)?;
    if lines.is_empty() {
        anyhow::bail!("{}: no item to replay", file.display());
    }
    lines.sort_by_key(|l| l.item.when());
    let mut p = Pipeline::open(config.clone(), dir)?;
    let start = lines[0].item.when();
    let clock = Clock::simulated(start);
    p.clock = clock.clone();
    let mut writer = p
        .index
        .writer()
        .context("cannot open the index writer (is another rasd running on this data folder?)")?;
    let mut keeper = rasd_detect::StoryKeeper::open(&p.store, &config)
        .context("cannot load the last 72 hours of stories")?;
    for l in &lines {
        keeper.set_owner(&l.item.source, &l.owner);
    }
    let sender = Sender::new(&config);
    let cycle = opts.cycle;
    let step = |t: DateTime<Utc>| {
        let secs = cycle.num_seconds().max(1);
        DateTime::from_timestamp((t.timestamp() / secs + 1) * secs, 0).unwrap_or(t)
    };
    let end = lines.last().map(|l| l.item.when()).unwrap_or(start);
    let mut pending = lines.into_iter().peekable();
    let mut now = step(start);
    let mut totals = Totals::default();
    let real_start = std::time::Instant::now();
    loop {
        let mut batch = Vec::new();
        while let Some(l) = pending.next_if(|l| l.item.when() < now) {
            batch.push(p.enricher.apply(l.item, l.hint));
        }
        clock.set(now);
        if let Some(speed) = opts.speed {
            let due = (now - start).num_milliseconds() as f64 / speed;
            let elapsed = real_start.elapsed().as_millis() as f64;
            if due > elapsed {
                tokio::time::sleep(std::time::Duration::from_millis((due - elapsed) as u64)).await;
            }
        }
        if !batch.is_empty() {
            let committed = p
                .store
                .commit_batch_detailed(&batch, &[])
                .context("cannot store a replay cycle")?;
            totals.read += batch.len();
            totals.stored += committed.stats.inserted + committed.stats.updated;
            catch_up(&p.store, &mut writer)?;
            keeper
                .catch_up(&p.store)
                .context("cannot give items their stories")?;
            let run = p.alerts.catch_up(&p.store, &p.index, now)?;
            totals.opened += run.opened;
            totals.threaded += run.threaded;
        }
        totals.queued += p.alerts.housekeeping(&p.store, now)?;
        let sent = sender.deliver_due(&p.store, now).await?;
        totals.add(sent);
        if pending.peek().is_none() && now > end {
            break;
        }
        now = match pending.peek() {
            // Jump over empty hours in one go, still stopping where escalations or the
            // outbox have something due.
            Some(next) if opts.speed.is_none() => {
                let due = p.store.next_delivery_at()?.map(step);
                let next = step(next.item.when());
                match due {
                    Some(d) if d > now && d < next => d,
                    _ => next.min(now + Duration::minutes(30)).max(now + cycle),
                }
            }
            _ => now + cycle,
        };
    }
    let stories = p.store.recent_stories(start, 2, usize::MAX)?;
    let breaking = stories.iter().filter(|s| s.breaking_at.is_some()).count();
    println!(
        "Replayed {} items ({} refused lines) from {} to {} (simulated).",
        totals.read,
        refused,
        start.with_timezone(&tz).format("%Y-%m-%d %H:%M"),
        end.with_timezone(&tz).format("%Y-%m-%d %H:%M")
    );
    println!(
        "stored {} (new or changed); {} stories of two or more outlets, {breaking} breaking",
        totals.stored,
        stories.len()
    );
    println!(
        "alerts opened {}, items threaded into open alerts {}; escalations and summaries {}; \
         messages sent {}, to retry {}, dead {}{}",
        totals.opened,
        totals.threaded,
        totals.queued,
        totals.sent,
        totals.retrying,
        totals.dead,
        match sender.mail_problem() {
            Some(why)
                if config
                    .alerts
                    .iter()
                    .any(|r| r.channels.contains(&rasd_core::AlertChannel::Email)) =>
                format!(" (e-mail: {why})"),
            _ => String::new(),
        }
    );
    println!(
        "See them with: rasd alerts --since {}d",
        (Utc::now() - start).num_days() + 1
    );
    Ok(())
}

/// What the replay did, summed over cycles.
#[derive(Debug, Default)]
struct Totals {
    read: usize,
    stored: usize,
    opened: usize,
    threaded: usize,
    queued: usize,
    sent: usize,
    retrying: usize,
    dead: usize,
}

impl Totals {
    fn add(&mut self, r: DeliverRun) {
        self.sent += r.sent;
        self.retrying += r.retrying;
        self.dead += r.dead;
    }
}
