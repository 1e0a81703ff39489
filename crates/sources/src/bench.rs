//! The feed-parsing benchmark: how many feeds a second [`crate::parse_feed`]'s work (decoding,
//! reading, cleaning, making items) takes on one thread, over a folder of real feeds.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use chrono::Utc;
use serde::Serialize;

/// How long the timed passes run at least, to smooth out a short collection.
const MIN_TIMED: Duration = Duration::from_secs(1);

/// What [`bench_feeds`] measured.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BenchResult {
    /// Files read.
    pub files: usize,
    /// Files read as feeds (the rest were refused as not feeds).
    pub parsed: usize,
    /// Entries found in one pass.
    pub entries: usize,
    /// Seconds one pass over all the files took (the mean of the timed passes).
    pub seconds: f64,
    /// `files / seconds`.
    pub feeds_per_s: f64,
}

/// The files of a feed collection: those `reference.jsonl` lists when it is there (so the
/// figure compares with the reference parser's on the same files), else every file under
/// `dir` except licences and notes.
pub fn bench_files(dir: &Path) -> Vec<PathBuf> {
    if let Ok(text) = std::fs::read_to_string(dir.join("reference.jsonl")) {
        let listed: Vec<PathBuf> = text
            .lines()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .filter_map(|v| v["file"].as_str().map(|f| dir.join(f)))
            .collect();
        if !listed.is_empty() {
            return listed;
        }
    }
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let path = e.path();
            if path.is_dir() {
                todo.push(path);
                continue;
            }
            let name = e.file_name().to_string_lossy().to_ascii_lowercase();
            let skip = name.starts_with("license")
                || name.starts_with("readme")
                || name.ends_with(".md")
                || name.ends_with(".jsonl");
            if !skip {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

/// Times feed parsing on one thread over the feeds in `dir` (see [`bench_files`]). Files are
/// read into memory first; one untimed pass warms up, then whole passes are timed until at
/// least a second has gone, and `seconds` is one pass. Unreadable files are left out.
pub fn bench_feeds(dir: &Path) -> BenchResult {
    let docs: Vec<(String, Vec<u8>)> = bench_files(dir)
        .into_iter()
        .filter_map(|p| {
            let bytes = std::fs::read(&p).ok()?;
            let name = p.file_name()?.to_string_lossy().into_owned();
            Some((format!("https://feeds.example.com/{name}"), bytes))
        })
        .collect();
    let pass = || -> (usize, usize) {
        let now = Utc::now();
        let (mut parsed, mut entries) = (0, 0);
        for (url, bytes) in &docs {
            if let Ok(n) = crate::feed::parse_quietly(url, bytes, now) {
                parsed += 1;
                entries += n;
            }
        }
        (parsed, entries)
    };
    let (parsed, entries) = pass();
    let mut passes = 0u32;
    let start = Instant::now();
    loop {
        std::hint::black_box(pass());
        passes += 1;
        if start.elapsed() >= MIN_TIMED {
            break;
        }
    }
    let seconds = start.elapsed().as_secs_f64() / f64::from(passes);
    BenchResult {
        files: docs.len(),
        parsed,
        entries,
        seconds,
        feeds_per_s: if seconds > 0.0 {
            docs.len() as f64 / seconds
        } else {
            0.0
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_a_small_folder() {
        let dir = tempfile::tempdir().unwrap();
        let rss = "<rss version=\"2.0\"><channel><title>t</title>\
                   <item><title>خبر</title><link>https://x.jo/1</link></item>\
                   <item><title>آخر</title><link>https://x.jo/2</link></item></channel></rss>";
        std::fs::write(dir.path().join("a.xml"), rss).unwrap();
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        std::fs::write(dir.path().join("sub/b.xml"), rss).unwrap();
        std::fs::write(dir.path().join("sub/not-a-feed.html"), "<html>x</html>").unwrap();
        std::fs::write(dir.path().join("LICENSE"), "MIT").unwrap();
        let r = bench_feeds(dir.path());
        assert_eq!((r.files, r.parsed, r.entries), (3, 2, 4));
        assert!(r.seconds > 0.0 && r.feeds_per_s > 0.0);

        // A reference list decides which files count.
        std::fs::write(
            dir.path().join("reference.jsonl"),
            "{\"file\": \"a.xml\", \"entries\": 2}\n",
        )
        .unwrap();
        assert_eq!(bench_files(dir.path()), [dir.path().join("a.xml")]);
    }
}
