//! Rasd's feed reader against the shared collection of 545 real feeds and what a widely used
//! Python feed parser found in each (`reference.jsonl`: entries, format, encoding). Skipped
//! when the shared data is absent, so `cargo test` passes on a clone without it.
//!
//! Every file must be read or refused with a clear error, never a panic; entry counts and
//! formats must agree with the reference, or the file must be in a list below saying why and
//! which side is right. The legacy-encoding feeds, whose file names say their true encoding,
//! must be decoded in it.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

use rasd_sources::{FeedReport, feed_report};
use serde_json::Value;

/// Files where Rasd's entry count or format differs from the reference's, why, and who is
/// right; each must have been checked by reading the file. Empty: all 545 files agree on
/// both. What it took (each checked by reading the files):
/// - the 89 files the reference calls malformed (truncated documents, undeclared HTML
///   entities, bare `&`, tags never closed, `<item>`s after `</channel>`) are read loosely as
///   the reference does, so an entry cut off by the end of the document still counts here
///   (it becomes no item: see `feed.rs`);
/// - the 12 refused files are not feeds, and the reference found no entry and no format in
///   them either (`refused_files_hold_no_feed`): three HTML pages saved as `.xml`, two XML
///   book catalogs, six HTML fragments of one entry's content, one empty document;
/// - a bare Atom `<entry>` document is Atom 1.0, a `<rdf>` root without the RDF namespace is
///   no known format (but its items count), as in the reference.
const KNOWN_DIFFERENCES: &[(&str, &str)] = &[];

/// Files in `chardet-legacy-encodings/` whose encoding Rasd reads differently from what the
/// file name says, and why that is right or harmless. Empty: all 311 feeds there are read
/// in their own charset (IBM855 and `MacCyrillic` labels included, which encoding_rs does
/// not know by those names). Outside that folder, `feedparser-edge` has one test whose
/// windows-1252 charset comes only in an HTTP header the file cannot carry; with three
/// non-ASCII bytes, detection reads it as windows-1250 (the reference had the header).
const KNOWN_ENCODING_DIFFERENCES: &[(&str, &str)] = &[];

/// One line of `reference.jsonl`.
struct Reference {
    file: String,
    entries: usize,
    format: String,
}

fn load() -> Option<(PathBuf, Vec<Reference>)> {
    let Some(dir) = rasd_core::shared_data::shared_data("feeds") else {
        eprintln!("skipped: the shared feeds are absent");
        return None;
    };
    let Ok(text) = std::fs::read_to_string(dir.join("reference.jsonl")) else {
        eprintln!("skipped: {}/reference.jsonl is absent", dir.display());
        return None;
    };
    let rows = text
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter_map(|v| {
            Some(Reference {
                file: v["file"].as_str()?.to_string(),
                entries: v["entries"].as_u64()? as usize,
                format: v["format"].as_str().unwrap_or("").to_string(),
            })
        })
        .collect();
    Some((dir, rows))
}

/// Reads one file as `rasd feed` would, turning a panic into an error naming the file.
fn report(dir: &Path, file: &str) -> Result<Result<FeedReport, String>, String> {
    let bytes = std::fs::read(dir.join(file)).map_err(|e| format!("{file}: {e}"))?;
    let name = file.rsplit('/').next().unwrap_or(file);
    let url = format!("https://feeds.example.com/{name}");
    catch_unwind(AssertUnwindSafe(|| feed_report(&bytes, &url)))
        .map(|r| r.map_err(|e| e.to_string()))
        .map_err(|_| format!("{file}: the reader panicked"))
}

/// The reference's format names, reduced to Rasd's (it tells two RSS 0.91 dialects apart).
fn same_format(theirs: &str, ours: &str) -> bool {
    let theirs = if theirs.starts_with("rss091") {
        "rss091"
    } else {
        theirs
    };
    theirs == ours
}

#[test]
fn every_feed_agrees_with_the_reference() {
    let Some((dir, rows)) = load() else {
        return;
    };
    let (mut parsed, mut refused, mut entries) = (0, 0, 0);
    let mut unexplained = Vec::new();
    let mut explained_but_agreeing = Vec::new();
    for row in &rows {
        let known = KNOWN_DIFFERENCES.iter().find(|(f, _)| *f == row.file);
        let (count, format) = match report(&dir, &row.file) {
            Err(panic) => panic!("{panic}"),
            Ok(Ok(r)) => {
                parsed += 1;
                entries += r.entries.len();
                (r.entries.len(), r.format)
            }
            Ok(Err(message)) => {
                refused += 1;
                assert!(
                    message.contains("not a feed") && message.len() > 40,
                    "{}: unclear refusal: {message}",
                    row.file
                );
                (0, String::new())
            }
        };
        let agrees = count == row.entries && same_format(&row.format, &format);
        match (agrees, known) {
            (false, None) => unexplained.push(format!(
                "{}: Rasd {count} entries ({format:?}), reference {} ({:?})",
                row.file, row.entries, row.format
            )),
            (true, Some(_)) => explained_but_agreeing.push(row.file.clone()),
            _ => {}
        }
    }
    println!(
        "{} files: {parsed} read ({entries} entries), {refused} refused; {} known differences",
        rows.len(),
        KNOWN_DIFFERENCES.len()
    );
    assert_eq!(rows.len(), 545, "the collection changed");
    assert!(
        unexplained.is_empty(),
        "differences from the reference not in KNOWN_DIFFERENCES:\n{}",
        unexplained.join("\n")
    );
    assert!(
        explained_but_agreeing.is_empty(),
        "KNOWN_DIFFERENCES lists files that now agree: {explained_but_agreeing:?}"
    );
}

/// Refused files are exactly those with no feed in them: the reference found no entries
/// and no format in any of them.
#[test]
fn refused_files_hold_no_feed() {
    let Some((dir, rows)) = load() else {
        return;
    };
    for row in &rows {
        if let Ok(Err(message)) = report(&dir, &row.file) {
            assert_eq!(
                (row.entries, row.format.as_str()),
                (0, ""),
                "{} refused but the reference read it: {message}",
                row.file
            );
        }
    }
}

/// The encodings WHATWG (and so encoding_rs) treats as one, by the name encoding_rs gives.
fn same_encoding(expected: &str, ours: &str) -> bool {
    let canon = |label: &str| -> String {
        let l = label.to_ascii_lowercase();
        match l.as_str() {
            "gb2312" | "gb18030" | "gbk" => "gbk".into(),
            "cp932" | "shift_jis" => "shift_jis".into(),
            "cp949" | "euc-kr" => "euc-kr".into(),
            "tis-620" | "cp874" | "windows-874" => "windows-874".into(),
            // KOI8-U is KOI8-R plus four Ukrainian letter pairs: Russian text is the same.
            "koi8-r" | "koi8-u" => "koi8".into(),
            "maccyrillic" | "x-mac-cyrillic" => "x-mac-cyrillic".into(),
            "ibm855" => "ibm855".into(),
            _ => encoding_rs::Encoding::for_label(l.as_bytes())
                .map_or(l.clone(), |e| e.name().to_ascii_lowercase()),
        }
    };
    canon(expected) == canon(ours)
}

#[test]
fn legacy_encodings_are_read_in_their_own_charset() {
    let Some((dir, rows)) = load() else {
        return;
    };
    let mut wrong = Vec::new();
    let mut checked = 0;
    for row in rows
        .iter()
        .filter(|r| r.file.starts_with("chardet-legacy-encodings/"))
    {
        let name = &row.file["chardet-legacy-encodings/".len()..];
        // `windows-1251-russian__site.xml`, `Big5__site.xml`.
        let Some((label, _)) = name.split_once("__") else {
            continue;
        };
        // Drop a language suffix: `iso-8859-5-bulgarian` → `iso-8859-5`.
        let expected = match label.rsplit_once('-') {
            Some((enc, lang)) if lang.len() > 3 && lang.bytes().all(|c| c.is_ascii_lowercase()) => {
                enc
            }
            _ => label,
        };
        let Ok(Ok(r)) = report(&dir, &row.file) else {
            continue;
        };
        checked += 1;
        let bytes = std::fs::read(dir.join(&row.file)).unwrap();
        // Pure ASCII is the same text in any of these encodings.
        if bytes.is_ascii() || same_encoding(expected, &r.encoding) {
            continue;
        }
        if !KNOWN_ENCODING_DIFFERENCES
            .iter()
            .any(|(f, _)| *f == row.file)
        {
            wrong.push(format!("{}: read as {}", row.file, r.encoding));
        }
    }
    println!("{checked} legacy-encoding feeds checked");
    assert!(checked > 250, "only {checked} checked");
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// The JSON Feeds of the collection (the reference parser does not read JSON Feed).
#[test]
fn json_feeds_are_read() {
    let Some((dir, _)) = load() else {
        return;
    };
    let mut files = Vec::new();
    for sub in std::fs::read_dir(&dir).unwrap().flatten() {
        if let Ok(inner) = std::fs::read_dir(sub.path()) {
            for f in inner.flatten() {
                if f.path().extension().is_some_and(|e| e == "json") {
                    files.push(f.path());
                }
            }
        }
    }
    assert!(files.len() >= 10, "{files:?}");
    for path in files {
        let bytes = std::fs::read(&path).unwrap();
        let r = feed_report(&bytes, "https://feeds.example.com/feed.json")
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert!(
            r.format.starts_with("json") || r.format == "rssjson",
            "{}: {}",
            path.display(),
            r.format
        );
        assert!(!r.entries.is_empty(), "{}: no entries", path.display());
        assert!(
            r.entries
                .iter()
                .all(|e| e.link.is_some() || e.guid.is_some()),
            "{}: an entry without link or id",
            path.display()
        );
    }
}

/// The feed-parsing benchmark on the shared collection, for `scripts/bench-feeds.sh`
/// (run in release: `cargo test --release -p rasd-sources --test feeds_reference -- --ignored
/// bench`). Prints one line the script reads.
#[test]
#[ignore = "a benchmark: run in release by scripts/bench-feeds.sh"]
fn bench() {
    let Some(dir) = rasd_core::shared_data::shared_data("feeds") else {
        eprintln!("skipped: the shared feeds are absent");
        return;
    };
    let r = rasd_sources::bench_feeds(&dir);
    println!(
        "rasd files={} parsed={} entries={} seconds={:.4} feeds_per_s={:.0}",
        r.files, r.parsed, r.entries, r.seconds, r.feeds_per_s
    );
    assert_eq!(r.files, 545);
}
