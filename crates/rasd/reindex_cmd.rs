//! `rasd reindex` without a gap: the new index is built beside the live one
//! (`<data>/search.new`) from the store, with a progress bar, and swapped in only when it is
//! complete. Searches (the CLI, a web server reading the folder) answer from the old index
//! until the swap, and a reader that stays open follows the swap on its next reload. A crash
//! while building leaves the old index serving and a half-built `search.new`, removed by the
//! next reindex.
//!
//! The swap is one `renameat2(RENAME_EXCHANGE)` on Linux: there is no moment without a
//! `search` folder. Where the file system cannot exchange, it is two renames (the old index
//! to `search.old`, the new one in); [`recover_swap`] finishes or undoes an interrupted pair
//! when the folder is next opened for writing.

use std::io::IsTerminal as _;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use rasd_search::{AppliedMark, SearchIndex};
use rasd_store::Store;

/// Items indexed per batch.
const BATCH: usize = 1000;

/// Indexing threads for bulk loads (an import, a reindex, the benchmark): one per core, at
/// most four.
pub fn bulk_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get().min(4))
}

/// The live index folder of a data folder.
pub fn live_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("search")
}

fn new_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("search.new")
}

fn old_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("search.old")
}

/// Builds a complete index from the store beside the live one and swaps it in; returns how
/// many items it holds. The caller holds the data folder's lock (no other writer).
pub fn rebuild_beside(store: &Store, data_dir: &Path, show_progress: bool) -> anyhow::Result<u64> {
    recover_swap(data_dir)?;
    let new = new_dir(data_dir);
    if new.exists() {
        tracing::info!(dir = %new.display(), "Removing an index a stopped reindex left half built.");
        std::fs::remove_dir_all(&new)
            .with_context(|| format!("cannot remove {}", new.display()))?;
    }
    let total = store.status().map(|s| s.items).unwrap_or(0);
    let bar = progress_bar(total, show_progress);
    let index = SearchIndex::open_or_create(&new)
        .with_context(|| format!("cannot create the new index in {}", new.display()))?;
    let mut writer = index.writer_with_threads(bulk_threads())?;
    // Read before the items: a change made while they are read is applied again by the next
    // catch-up, which is harmless.
    let mark = AppliedMark {
        store_id: store.store_id()?,
        seq: store.head_seq()?,
    };
    let mut batch = Vec::with_capacity(BATCH);
    let mut done = 0u64;
    let count = store
        .for_each_item(|item| {
            batch.push(item);
            if batch.len() == BATCH {
                writer.index_items(&batch)?;
                done += batch.len() as u64;
                batch.clear();
                bar.report(done);
            }
            Ok::<(), rasd_search::Error>(())
        })
        .context("cannot read the stored items")?;
    writer.index_items(&batch)?;
    writer.commit_applied(mark)?;
    drop(writer);
    drop(index);
    bar.finish(count);
    swap_in(data_dir)?;
    Ok(count)
}

/// Puts `search.new` in place of `search` (see the module docs), then removes the old one.
fn swap_in(data_dir: &Path) -> anyhow::Result<()> {
    let (live, new, old) = (live_dir(data_dir), new_dir(data_dir), old_dir(data_dir));
    if !live.exists() {
        std::fs::rename(&new, &live)
            .with_context(|| format!("cannot move {} to {}", new.display(), live.display()))?;
        return sync_dir(data_dir);
    }
    match exchange(&new, &live) {
        Ok(()) => {
            sync_dir(data_dir)?;
            // `search.new` now holds the old index.
            if let Err(e) = std::fs::remove_dir_all(&new) {
                tracing::warn!(dir = %new.display(), error = %e, "Cannot remove the old index; the next reindex will.");
            }
            Ok(())
        }
        Err(e) => {
            tracing::debug!(error = %e, "No atomic exchange here; swapping with two renames.");
            std::fs::rename(&live, &old)
                .with_context(|| format!("cannot move {} aside", live.display()))?;
            std::fs::rename(&new, &live)
                .with_context(|| format!("cannot move {} in place", new.display()))?;
            sync_dir(data_dir)?;
            if let Err(e) = std::fs::remove_dir_all(&old) {
                tracing::warn!(dir = %old.display(), error = %e, "Cannot remove the old index.");
            }
            Ok(())
        }
    }
}

/// Finishes or undoes a swap by two renames that was interrupted: with no `search`, the
/// complete `search.new` goes in (it was complete before the first rename), else
/// `search.old` comes back. A leftover `search.old` beside `search` is removed. Only for a
/// caller holding the data folder's lock.
pub fn recover_swap(data_dir: &Path) -> anyhow::Result<()> {
    let (live, new, old) = (live_dir(data_dir), new_dir(data_dir), old_dir(data_dir));
    if !live.exists() {
        let from = if new.join("meta.json").exists() && old.exists() {
            Some(new)
        } else if old.exists() {
            Some(old.clone())
        } else {
            None
        };
        if let Some(from) = from {
            tracing::info!(from = %from.display(), "Finishing an interrupted index swap.");
            std::fs::rename(&from, &live)
                .with_context(|| format!("cannot move {} in place", from.display()))?;
            sync_dir(data_dir)?;
        }
    }
    if live.exists() && old.exists() {
        std::fs::remove_dir_all(&old)
            .with_context(|| format!("cannot remove {}", old.display()))?;
    }
    Ok(())
}

/// The folder a reader opens: `search`, or, in the instant of a two-rename swap, whichever
/// of `search.old` and a complete `search.new` exists.
pub fn readable_dir(data_dir: &Path) -> PathBuf {
    let live = live_dir(data_dir);
    if live.exists() {
        return live;
    }
    [old_dir(data_dir), new_dir(data_dir)]
        .into_iter()
        .find(|d| d.join("meta.json").exists())
        .unwrap_or(live)
}

#[cfg(target_os = "linux")]
fn exchange(a: &Path, b: &Path) -> std::io::Result<()> {
    use rustix::fs::{CWD, RenameFlags, renameat_with};
    renameat_with(CWD, a, CWD, b, RenameFlags::EXCHANGE).map_err(std::io::Error::from)
}

#[cfg(not(target_os = "linux"))]
fn exchange(_: &Path, _: &Path) -> std::io::Result<()> {
    Err(std::io::Error::from(std::io::ErrorKind::Unsupported))
}

/// Makes the renames in `dir` durable.
fn sync_dir(dir: &Path) -> anyhow::Result<()> {
    #[cfg(unix)]
    std::fs::File::open(dir)
        .and_then(|f| f.sync_all())
        .with_context(|| format!("cannot sync {}", dir.display()))?;
    Ok(())
}

/// A progress bar on a terminal, a log line every 10% otherwise.
enum Progress {
    Bar(indicatif::ProgressBar),
    Lines { total: u64, next: u64 },
}

fn progress_bar(total: u64, show: bool) -> Progress {
    if show && std::io::stderr().is_terminal() {
        let bar = indicatif::ProgressBar::new(total);
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{spinner} reindexing {pos}/{len} items ({per_sec}, {eta} left) {wide_bar}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        Progress::Bar(bar)
    } else {
        Progress::Lines {
            total,
            next: total / 10,
        }
    }
}

impl Progress {
    fn report(&self, done: u64) {
        match self {
            Progress::Bar(bar) => bar.set_position(done),
            Progress::Lines { total, next } if done >= *next && *total > 0 => {
                tracing::info!(done, total, "Reindexing.");
            }
            Progress::Lines { .. } => {}
        }
    }

    fn finish(&self, done: u64) {
        if let Progress::Bar(bar) = self {
            bar.set_position(done);
            bar.finish_and_clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_interrupted_two_rename_swap_is_finished_or_undone() {
        let tmp = tempfile::tempdir().unwrap();
        let d = tmp.path();
        // Killed between the two renames: the complete new index goes in.
        for dir in [old_dir(d), new_dir(d)] {
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(dir.join("meta.json"), "{}").unwrap();
        }
        assert_eq!(
            readable_dir(d),
            old_dir(d),
            "a reader reads the old one meanwhile"
        );
        recover_swap(d).unwrap();
        assert!(live_dir(d).join("meta.json").exists());
        assert!(!old_dir(d).exists() && !new_dir(d).exists());
        // Only the old one left: it comes back.
        std::fs::rename(live_dir(d), old_dir(d)).unwrap();
        recover_swap(d).unwrap();
        assert!(live_dir(d).exists() && !old_dir(d).exists());
    }

    #[test]
    fn exchange_swaps_two_folders_at_once() {
        let tmp = tempfile::tempdir().unwrap();
        let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
        std::fs::create_dir_all(&a).unwrap();
        std::fs::create_dir_all(&b).unwrap();
        std::fs::write(a.join("x"), "a").unwrap();
        std::fs::write(b.join("x"), "b").unwrap();
        match exchange(&a, &b) {
            Ok(()) => {
                assert_eq!(std::fs::read_to_string(a.join("x")).unwrap(), "b");
                assert_eq!(std::fs::read_to_string(b.join("x")).unwrap(), "a");
            }
            // Some file systems cannot exchange; the two-rename path covers them.
            Err(e) => assert!(
                !cfg!(target_os = "linux") || matches!(e.raw_os_error(), Some(22 | 38 | 95)),
                "{e}"
            ),
        }
    }
}
