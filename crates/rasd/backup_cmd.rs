//! `rasd backup DIR`, `rasd restore DIR` and `rasd verify`.
//!
//! A backup is the store alone (`DIR/rasd.sqlite`, a consistent online copy made with
//! SQLite's `VACUUM INTO` while the daemon may be running) and a small manifest. The search
//! index is not copied: it is derived from the store, and a restored store gets a new lineage
//! id, so the index is rebuilt from it when the folder is next opened (here, right away).

use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};
use chrono::Utc;
use rasd_search::SearchIndex;
use rasd_store::{DB_FILE, Store};
use serde::{Deserialize, Serialize};

use crate::pipeline;

/// The manifest written beside the copy.
pub const MANIFEST: &str = "rasd-backup.json";

/// What a backup says about itself.
#[derive(Debug, Serialize, Deserialize)]
struct Manifest {
    created: chrono::DateTime<Utc>,
    rasd_version: String,
    schema_version: u32,
    items: u64,
    store_id: String,
    store_seq: u64,
    note: String,
}

/// Copies the store of `data_dir` into the folder `out` (created if needed; it must not
/// already hold a backup). Safe while another rasd writes the store.
pub fn backup(data_dir: &Path, out: &Path) -> anyhow::Result<()> {
    let store = crate::open_store_existing(data_dir)?;
    let target = out.join(DB_FILE);
    if target.exists() || out.join(MANIFEST).exists() {
        bail!(
            "{} already holds a backup: choose an empty or new folder",
            out.display()
        );
    }
    rasd_store::create_private_dir(out)?;
    store
        .backup_to(&target)
        .with_context(|| format!("cannot write the backup to {}", target.display()))?;
    // Describe the copy from the copy itself, not from the live store that moved on.
    let copy = Store::open(out).context("the backup was written but cannot be read back")?;
    copy.quick_check()?;
    let manifest = Manifest {
        created: Utc::now(),
        rasd_version: env!("CARGO_PKG_VERSION").into(),
        schema_version: rasd_store::schema::latest_version(),
        items: copy.status()?.items,
        store_id: copy.store_id()?,
        store_seq: copy.head_seq()?,
        note: "The search index is not in the backup: `rasd restore` rebuilds it from the store."
            .into(),
    };
    drop(copy);
    std::fs::write(
        out.join(MANIFEST),
        serde_json::to_string_pretty(&manifest)? + "\n",
    )
    .with_context(|| format!("cannot write {}", out.join(MANIFEST).display()))?;
    println!(
        "backed up {} items (change {}) to {}",
        manifest.items,
        manifest.store_seq,
        target.display()
    );
    Ok(())
}

/// Replaces the store of `data_dir` with the backup in `from`, then rebuilds the index.
/// Takes the data folder's lock first. An existing store is replaced only with `force`, and
/// is then kept beside as `rasd.sqlite.before-restore-<time>`.
pub fn restore(data_dir: &Path, from: &Path, force: bool) -> anyhow::Result<()> {
    let source = from.join(DB_FILE);
    if !source.is_file() {
        bail!(
            "{} holds no backup ({} is missing): give the folder `rasd backup` wrote",
            from.display(),
            DB_FILE
        );
    }
    let _lock = pipeline::lock_data_dir(data_dir)?;
    let live = data_dir.join(DB_FILE);
    if live.exists() && !force {
        bail!(
            "{} already holds a store: add --force to replace it (it is kept beside as \
             {DB_FILE}.before-restore-<time>)",
            data_dir.display()
        );
    }

    // Check and upgrade a copy in a scratch folder, never the backup itself.
    let scratch = data_dir.join(".restore");
    if scratch.exists() {
        std::fs::remove_dir_all(&scratch)
            .with_context(|| format!("cannot clear {}", scratch.display()))?;
    }
    rasd_store::create_private_dir(&scratch)?;
    std::fs::copy(&source, scratch.join(DB_FILE))
        .with_context(|| format!("cannot copy {}", source.display()))?;
    let items = {
        let copy = Store::open(&scratch)
            .with_context(|| format!("{} is not a store Rasd can open", source.display()))?;
        copy.quick_check()?;
        // A new lineage: an index (or a later replica) that followed the old store's change
        // numbers must not mistake this older history for it.
        copy.new_lineage()?;
        copy.checkpoint()?;
        copy.status()?.items
    };

    if live.exists() {
        let old = Store::open(data_dir)?;
        old.checkpoint()?;
        drop(old);
        let kept = data_dir.join(format!(
            "{DB_FILE}.before-restore-{}",
            Utc::now().format("%Y%m%dT%H%M%SZ")
        ));
        std::fs::rename(&live, &kept)
            .with_context(|| format!("cannot move the old store to {}", kept.display()))?;
        eprintln!("the previous store is kept as {}", kept.display());
    }
    for suffix in ["-wal", "-shm"] {
        let side = PathBuf::from(format!("{}{suffix}", live.display()));
        if side.exists() {
            std::fs::remove_file(&side)
                .with_context(|| format!("cannot remove {}", side.display()))?;
        }
    }
    std::fs::rename(scratch.join(DB_FILE), &live)
        .with_context(|| format!("cannot put the restored store at {}", live.display()))?;
    let _ = std::fs::remove_dir_all(&scratch);

    let store = Store::open(data_dir)?;
    let index = pipeline::open_index(&store, &data_dir.join("search"))?;
    index.reload()?;
    println!(
        "restored {items} items into {}; the search index holds {}",
        data_dir.display(),
        index.num_docs()
    );
    Ok(())
}

/// Checks the index's files against their checksums, then compares the ids in the index
/// with the ids in the store; fails when a file is damaged or the ids differ.
pub fn verify(data_dir: &Path) -> anyhow::Result<()> {
    let store = crate::open_store_existing(data_dir)?;
    let dir = data_dir.join("search");
    if !dir.join("meta.json").exists() {
        bail!(
            "no search index in {}: it is built from the store at the next `rasd run`, \
             `rasd fetch` or `rasd reindex`",
            dir.display()
        );
    }
    let index = SearchIndex::open_for_reading(&dir)?;
    // Every byte of the index against its checksums (a removed or cut-short file is
    // refused when it is opened; this finds one changed in place).
    index.check_files()?;
    let stored = store.item_ids()?;
    let indexed = index.ids()?;
    let lag = pipeline::index_lag(&store, &index)?;
    let (missing, extra, doubled) = compare(&stored, &indexed);
    println!(
        "store: {} items (change {}); index: {} documents (change {})",
        stored.len(),
        lag.store_seq,
        indexed.len(),
        lag.index_seq
            .map_or_else(|| "none of this store".to_string(), |s| s.to_string())
    );
    if missing.is_empty() && extra.is_empty() && doubled.is_empty() {
        println!("ok: the index holds exactly the stored items");
        return Ok(());
    }
    for (what, ids) in [
        ("stored but not indexed", &missing),
        ("indexed but not stored", &extra),
        ("indexed more than once", &doubled),
    ] {
        if !ids.is_empty() {
            println!(
                "{what}: {} (first: {})",
                ids.len(),
                ids.iter().take(5).cloned().collect::<Vec<_>>().join(", ")
            );
        }
    }
    bail!(
        "the index does not match the store: run `rasd reindex` (or restart rasd, which catches up)"
    )
}

/// Ids of `stored` missing from `indexed`, ids of `indexed` not in `stored`, and ids that
/// `indexed` holds more than once; both lists sorted.
fn compare(stored: &[String], indexed: &[String]) -> (Vec<String>, Vec<String>, Vec<String>) {
    let (mut missing, mut extra, mut doubled) = (Vec::new(), Vec::new(), Vec::new());
    let (mut i, mut j) = (0, 0);
    while i < stored.len() || j < indexed.len() {
        if j > 0 && j < indexed.len() && indexed[j] == indexed[j - 1] {
            if doubled.last() != Some(&indexed[j]) {
                doubled.push(indexed[j].clone());
            }
            j += 1;
            continue;
        }
        match (stored.get(i), indexed.get(j)) {
            (Some(a), Some(b)) if a == b => {
                i += 1;
                j += 1;
            }
            (Some(a), Some(b)) if a < b => {
                missing.push(a.clone());
                i += 1;
            }
            (Some(_), Some(b)) | (None, Some(b)) => {
                extra.push(b.clone());
                j += 1;
            }
            (Some(a), None) => {
                missing.push(a.clone());
                i += 1;
            }
            (None, None) => break,
        }
    }
    (missing, extra, doubled)
}

#[cfg(test)]
mod tests {
    use super::compare;

    fn v(ids: &[&str]) -> Vec<String> {
        ids.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn compare_finds_missing_extra_and_doubled_ids() {
        let (m, e, d) = compare(&v(&["a", "b", "c", "e"]), &v(&["b", "b", "c", "d", "d"]));
        assert_eq!(m, v(&["a", "e"]));
        assert_eq!(e, v(&["d"]));
        assert_eq!(d, v(&["b", "d"]));
        let (m, e, d) = compare(&v(&["a", "b"]), &v(&["a", "b"]));
        assert!(m.is_empty() && e.is_empty() && d.is_empty());
        let (m, e, d) = compare(&[], &v(&["x"]));
        assert!(m.is_empty() && d.is_empty());
        assert_eq!(e, v(&["x"]));
    }
}
