//! `rasd import items FILE.jsonl[.gz]|-`: archived items loaded through enrichment into the
//! store, the index and the story assigner, in batches, with a progress bar on a terminal
//! and plain log lines otherwise. The line format is the one `rasd replay` reads
//! ([`rasd_core::import::ImportLine`], read by [`parse_line`]). A bad line is reported with its number and reason and
//! skipped; the summary counts imported, unchanged and refused lines. Items are stored by id,
//! so importing a file twice stores nothing twice.

use std::io::{BufRead as _, IsTerminal as _};
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use anyhow::Context as _;
use rasd_core::Config;

use crate::classify_cmd::open_input;
use crate::pipeline::{Pipeline, catch_up};
use crate::replay_cmd::{Imported, parse_line};

/// Items tagged and stored per transaction.
const BATCH: usize = 1000;

/// What an import did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct ImportSummary {
    /// Lines read (blank lines aside).
    pub lines: usize,
    /// Items new to the store, or changed.
    pub imported: usize,
    /// Items the store already held as they are (this file imported before, or copies).
    pub unchanged: usize,
    /// Lines that could not be read as items.
    pub refused: usize,
}

/// Counts the non-blank lines of a file, for the progress bar's total (`None` for standard
/// input).
fn count_lines(path: &Path) -> Option<u64> {
    if path == Path::new("-") {
        return None;
    }
    let input = open_input(Some(path)).ok()?;
    Some(
        input
            .lines()
            .map_while(Result::ok)
            .filter(|l| !l.trim().is_empty())
            .count() as u64,
    )
}

/// Runs the import (see the module docs).
pub async fn run(config: Arc<Config>, dir: &Path, file: &Path) -> anyhow::Result<ImportSummary> {
    let tz = config.settings.tz();
    let p = Pipeline::open(config.clone(), dir)?;
    let mut writer = p
        .index
        .writer_with_threads(crate::reindex_cmd::bulk_threads())
        .context("cannot open the index writer (is another rasd running on this data folder?)")?;
    let mut stories = None;
    let terminal = std::io::stderr().is_terminal();
    let total = count_lines(file);
    let bar = if terminal {
        let bar = match total {
            Some(n) => indicatif::ProgressBar::new(n),
            None => indicatif::ProgressBar::new_spinner(),
        };
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{bar:40} {pos}/{len} items · {per_sec} · ETA {eta} {msg}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        Some(bar)
    } else {
        None
    };
    let started = Instant::now();
    let mut summary = ImportSummary::default();
    let mut batch: Vec<Imported> = Vec::with_capacity(BATCH);
    let mut flush =
        |batch: &mut Vec<Imported>, summary: &mut ImportSummary| -> anyhow::Result<()> {
            if batch.is_empty() {
                return Ok(());
            }
            let items: Vec<rasd_core::Item> = batch
                .drain(..)
                .map(|l| p.enricher.apply(l.item, l.hint))
                .collect();
            let committed = p
                .store
                .commit_batch_detailed(&items, &[])
                .context("cannot store a batch of imported items")?;
            summary.imported += committed.stats.inserted + committed.stats.updated;
            summary.unchanged += items.len() - committed.stats.inserted - committed.stats.updated;
            if !committed.changed.is_empty() {
                catch_up(&p.store, &mut writer)?;
                crate::pipeline::assign_stories(&p.store, &config, &mut stories)?;
                crate::pipeline::evaluate_alerts(&p);
            }
            Ok(())
        };
    let mut next_log = 5_000;
    for (n, line) in open_input(Some(file))?.lines().enumerate() {
        let line = line.with_context(|| format!("cannot read {}", file.display()))?;
        if line.trim().is_empty() {
            continue;
        }
        summary.lines += 1;
        match parse_line(&line, tz) {
            Ok(i) => batch.push(i),
            Err(why) => {
                summary.refused += 1;
                let msg = format!("{}:{}: line skipped: {why}", file.display(), n + 1);
                match &bar {
                    Some(b) => b.println(msg),
                    None => eprintln!("{msg}"),
                }
            }
        }
        if batch.len() >= BATCH {
            flush(&mut batch, &mut summary)?;
        }
        if let Some(b) = &bar {
            b.set_position(summary.lines as u64);
        } else if summary.lines >= next_log {
            next_log += 5_000;
            tracing::info!(
                lines = summary.lines,
                items_per_s =
                    (summary.lines as f64 / started.elapsed().as_secs_f64().max(1e-9)) as u64,
                "Importing."
            );
        }
    }
    flush(&mut batch, &mut summary)?;
    // An import killed between storing a batch and giving it its stories left items the
    // story assigner and the rules have not read; run again, it finds those items unchanged
    // and flushes nothing new. Both catch up here whatever the batches did.
    catch_up(&p.store, &mut writer)?;
    crate::pipeline::assign_stories(&p.store, &config, &mut stories)?;
    crate::pipeline::evaluate_alerts(&p);
    if let Some(b) = &bar {
        b.finish_and_clear();
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "imported {} items, {} unchanged, {} lines refused, of {} lines from {} in {:.1} s ({:.0} lines/s)",
        summary.imported,
        summary.unchanged,
        summary.refused,
        summary.lines,
        file.display(),
        secs,
        summary.lines as f64 / secs.max(1e-9)
    );
    Ok(summary)
}
