//! Scoring [`crate::extract_article`] against hand-checked article text.
//!
//! The metric is the one the shared extraction benchmark uses: both texts are split into
//! words (`\w+`, Unicode), the words into overlapping 4-word shingles counted as a multiset,
//! and per page the true positives (shingles in both, as often as both have them), false
//! positives (extracted more often than true) and false negatives (true more often than
//! extracted) are divided by their sum so that every page weighs the same.
//! [`ExtractionScore::precision`] is the mean of `tp / (tp + fp)` over the pages where that is
//! defined, [`ExtractionScore::recall`] the mean of `tp / (tp + fn)` likewise, and
//! [`ExtractionScore::f1`] their harmonic mean. A page where both texts are empty scores 1.
//!
//! [`eval_extraction`] runs the extractor over a folder of pages (`ID.html` or `ID.html.gz`)
//! listed in a truth file (`{ID: {"articleBody": text, "url": url}}`), timing only the
//! extraction, on one thread.

use std::collections::{BTreeMap, HashMap};
use std::io::Read;
use std::path::Path;
use std::time::Instant;

use serde::Deserialize;
use tracing::warn;

use crate::error::{Error, Result};

/// Words per shingle.
const SHINGLE: usize = 4;

/// The score of the extractor over a set of pages.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct ExtractionScore {
    /// Pages scored (listed in the truth file and found in the folder).
    pub pages: usize,
    /// Mean shingle precision over the pages that extracted something or expected nothing.
    pub precision: f64,
    /// Mean shingle recall over the pages that expected something or extracted nothing.
    pub recall: f64,
    /// Harmonic mean of `precision` and `recall`.
    pub f1: f64,
    /// Seconds spent inside the extractor (parsing included, reading and decoding not): CPU
    /// time of the thread where the system reports it, else wall time.
    pub seconds: f64,
    /// `pages / seconds`.
    pub pages_per_s: f64,
}

/// One page of a truth file.
#[derive(Debug, Deserialize)]
struct Truth {
    #[serde(rename = "articleBody", default)]
    article_body: String,
    #[serde(default)]
    url: String,
}

/// The score of one page.
#[derive(Debug, Clone, PartialEq)]
pub struct PageScore {
    /// The page id.
    pub id: String,
    /// `tp / (tp + fp)`, when defined.
    pub precision: Option<f64>,
    /// `tp / (tp + fn)`, when defined.
    pub recall: Option<f64>,
}

/// Scores [`crate::extract_article`] on every page of `pages_dir` (`ID.html` or
/// `ID.html.gz`) listed in `truth` (JSON `{ID: {"articleBody": text, "url": url}}`), timing
/// only the extraction (one thread, CPU time where available). Pages are decoded with
/// [`crate::decode_text`] first, so windows-1256 pages declared by `<meta charset>` read
/// right. A listed page that is missing or unreadable is logged and left out of the score.
pub fn eval_extraction(pages_dir: &Path, truth: &Path) -> Result<ExtractionScore> {
    let (score, _) = eval_pages(pages_dir, truth, Scored::Text)?;
    Ok(score)
}

/// What of [`crate::Extracted`] is compared with the truth.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Scored {
    /// The text alone: for truth that leaves the headline out (the shared benchmark).
    #[default]
    Text,
    /// The title, the lines under it (byline, date line) and the text, a blank line apart:
    /// for truth copied from the page with its headline on top (the Dragnet set). The
    /// extractor gives the three apart; this puts them back the way such truth reads.
    TitleAndText,
}

/// [`eval_extraction`] with the score of each page, in id order.
pub fn eval_pages(
    pages_dir: &Path,
    truth: &Path,
    scored: Scored,
) -> Result<(ExtractionScore, Vec<PageScore>)> {
    eval_with(pages_dir, truth, |html, url| scored_text(html, url, scored))
}

/// What is compared with the truth for one page.
fn scored_text(html: &str, url: &str, scored: Scored) -> String {
    let e = crate::extract_article(html, url);
    match scored {
        Scored::Text => e.text,
        Scored::TitleAndText => [e.title, e.header, Some(e.text)]
            .into_iter()
            .flatten()
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join("\n\n"),
    }
}

/// Scores any extractor (`(html, url) -> text`) the same way.
pub(crate) fn eval_with(
    pages_dir: &Path,
    truth: &Path,
    extract: impl Fn(&str, &str) -> String,
) -> Result<(ExtractionScore, Vec<PageScore>)> {
    let truth = read_truth(truth)?;
    // Read and decode everything first, so that only the extraction is timed.
    let pages: Vec<(&String, &Truth, String)> = truth
        .iter()
        .filter_map(|(id, t)| Some((id, t, read_page(pages_dir, id, &t.url)?)))
        .collect();
    let cpu_start = thread_cpu_seconds();
    let wall_start = Instant::now();
    let texts: Vec<String> = pages
        .iter()
        .map(|(_, t, html)| extract(html, &t.url))
        .collect();
    let wall = wall_start.elapsed().as_secs_f64();
    let seconds = match (cpu_start, thread_cpu_seconds()) {
        (Some(a), Some(b)) if b > a => b - a,
        _ => wall,
    };
    let scores = pages
        .iter()
        .zip(&texts)
        .map(|((id, t, _), text)| {
            let (tp, fp, fn_) = shingle_score(text, &t.article_body);
            let both_empty = tp + fp + fn_ == 0.0;
            PageScore {
                id: (*id).clone(),
                precision: if both_empty {
                    Some(1.0)
                } else {
                    (tp + fp > 0.0).then(|| tp / (tp + fp))
                },
                recall: if both_empty {
                    Some(1.0)
                } else {
                    (tp + fn_ > 0.0).then(|| tp / (tp + fn_))
                },
            }
        })
        .collect::<Vec<_>>();
    Ok((summarize(&scores, seconds), scores))
}

/// CPU time of the calling thread, where Linux tells it (`/proc/thread-self/schedstat`):
/// on a busy machine, wall time would count other processes' turns.
pub(crate) fn thread_cpu_seconds() -> Option<f64> {
    let raw = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let ns: u64 = raw.split_whitespace().next()?.parse().ok()?;
    (ns > 0).then(|| ns as f64 / 1e9)
}

fn summarize(pages: &[PageScore], seconds: f64) -> ExtractionScore {
    let mean = |values: Vec<f64>| {
        if values.is_empty() {
            0.0
        } else {
            values.iter().sum::<f64>() / values.len() as f64
        }
    };
    let precision = mean(pages.iter().filter_map(|p| p.precision).collect());
    let recall = mean(pages.iter().filter_map(|p| p.recall).collect());
    let f1 = if precision + recall > 0.0 {
        2.0 * precision * recall / (precision + recall)
    } else {
        0.0
    };
    ExtractionScore {
        pages: pages.len(),
        precision,
        recall,
        f1,
        seconds,
        pages_per_s: if seconds > 0.0 {
            pages.len() as f64 / seconds
        } else {
            0.0
        },
    }
}

fn read_truth(path: &Path) -> Result<BTreeMap<String, Truth>> {
    let file_error = |source| Error::File {
        path: path.to_path_buf(),
        source,
    };
    let raw = std::fs::read(path).map_err(file_error)?;
    serde_json::from_slice(&raw).map_err(|e| {
        file_error(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("not a truth file of the form {{ID: {{\"articleBody\": …, \"url\": …}}}}: {e}"),
        ))
    })
}

/// The page `ID.html` or `ID.html.gz`, decoded; `None` (logged) when missing or unreadable.
fn read_page(dir: &Path, id: &str, url: &str) -> Option<String> {
    let plain = dir.join(format!("{id}.html"));
    let gz = dir.join(format!("{id}.html.gz"));
    let bytes = if plain.is_file() {
        std::fs::read(&plain).map_err(|e| e.to_string())
    } else if gz.is_file() {
        std::fs::read(&gz)
            .map_err(|e| e.to_string())
            .and_then(|raw| {
                let mut out = Vec::new();
                flate2::read::GzDecoder::new(raw.as_slice())
                    .read_to_end(&mut out)
                    .map(|_| out)
                    .map_err(|e| e.to_string())
            })
    } else {
        Err("no such page".to_string())
    };
    match bytes {
        Ok(b) => Some(crate::decode_text(&b, None, Some(url))),
        Err(message) => {
            warn!(page = id, dir = %dir.display(), reason = "page_unreadable", "Page skipped: {message}.");
            None
        }
    }
}

/// Python's `\w`, near enough: letters, digits and the underscore (combining marks such as
/// Arabic harakat split words, as they do there).
fn is_word_char(c: char) -> bool {
    c == '_' || (c.is_alphanumeric() && !is_combining_mark(c))
}

/// Combining marks that Rust counts as alphabetic (Other_Alphabetic) but `\w` does not.
fn is_combining_mark(c: char) -> bool {
    matches!(c as u32,
        0x0300..=0x036F | 0x0483..=0x0489 | 0x0591..=0x05C7 | 0x0610..=0x061A
        | 0x064B..=0x065F | 0x0670 | 0x06D6..=0x06ED | 0x0900..=0x0903 | 0x093A..=0x094F
        | 0x1AB0..=0x1AFF | 0x1DC0..=0x1DFF | 0x20D0..=0x20FF | 0xFE20..=0xFE2F)
}

fn words(text: &str) -> Vec<&str> {
    text.split(|c: char| !is_word_char(c))
        .filter(|w| !w.is_empty())
        .collect()
}

/// Each shingle with the number of times it occurs: a text that says the same thing twice
/// must say it twice to match a truth that does.
fn shingles<'a>(words: &'a [&'a str]) -> HashMap<&'a [&'a str], u32> {
    let mut out = HashMap::new();
    if words.is_empty() {
        return out;
    }
    let windows: Box<dyn Iterator<Item = &'a [&'a str]>> = if words.len() < SHINGLE {
        Box::new(std::iter::once(words))
    } else {
        Box::new(words.windows(SHINGLE))
    };
    for w in windows {
        *out.entry(w).or_insert(0) += 1;
    }
    out
}

/// The shingle overlap of an extracted text with the true text, the benchmark's standard
/// way: shingles are counted as a multiset (a shingle found twice in the truth and once in
/// the text is one true positive and one false negative). Returns the true positives,
/// false positives and false negatives, each divided by their sum (all three 0 when both
/// texts have no words). A text shorter than four words is one shingle.
pub fn shingle_score(extracted: &str, truth: &str) -> (f64, f64, f64) {
    let ew = words(extracted);
    let tw = words(truth);
    let es = shingles(&ew);
    let ts = shingles(&tw);
    let (mut tp, mut fp, mut fn_) = (0u64, 0u64, 0u64);
    for (k, &e) in &es {
        let t = ts.get(k).copied().unwrap_or(0);
        tp += u64::from(e.min(t));
        fp += u64::from(e.saturating_sub(t));
    }
    for (k, &t) in &ts {
        fn_ += u64::from(t.saturating_sub(es.get(k).copied().unwrap_or(0)));
    }
    let sum = (tp + fp + fn_) as f64;
    if sum == 0.0 {
        (0.0, 0.0, 0.0)
    } else {
        (tp as f64 / sum, fp as f64 / sum, fn_ as f64 / sum)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: (f64, f64, f64), b: (f64, f64, f64)) -> bool {
        (a.0 - b.0).abs() < 1e-9 && (a.1 - b.1).abs() < 1e-9 && (a.2 - b.2).abs() < 1e-9
    }

    #[test]
    fn identical_texts_are_all_true_positives() {
        let t = "أعلنت مديرية الأمن العام، اليوم، ضبط عصابة سرقة.";
        assert!(close(shingle_score(t, t), (1.0, 0.0, 0.0)));
        // Punctuation and spacing do not matter; words do.
        assert!(close(
            shingle_score("أعلنت مديرية الأمن العام اليوم ضبط عصابة سرقة", t),
            (1.0, 0.0, 0.0)
        ));
    }

    #[test]
    fn extra_and_missing_words() {
        // Truth: 6 words, 3 shingles. Extracted: the same plus 2 words, 5 shingles.
        let truth = "one two three four five six";
        let extracted = "one two three four five six seven eight";
        assert!(close(
            shingle_score(extracted, truth),
            (3.0 / 5.0, 2.0 / 5.0, 0.0)
        ));
        // Only the first 5 words extracted: 2 shingles found, 1 missed.
        assert!(close(
            shingle_score("one two three four five", truth),
            (2.0 / 3.0, 0.0, 1.0 / 3.0)
        ));
    }

    #[test]
    fn shingles_count_as_a_multiset() {
        // The truth once, the text twice: half the text's shingles are true.
        let truth = "one two three four five six";
        let twice = format!("{truth} {truth}");
        // 12 words, 9 shingles: 3 of them match, 3 more are the same ones again, 3 span
        // the seam.
        assert!(close(
            shingle_score(&twice, truth),
            (3.0 / 9.0, 6.0 / 9.0, 0.0)
        ));
        // The other way round: the truth says it twice, the text once.
        assert!(close(
            shingle_score(truth, &twice),
            (3.0 / 9.0, 0.0, 6.0 / 9.0)
        ));
    }

    #[test]
    fn empty_and_short_texts() {
        assert!(close(shingle_score("", ""), (0.0, 0.0, 0.0)));
        assert!(close(shingle_score("", "a b c d"), (0.0, 0.0, 1.0)));
        assert!(close(shingle_score("x y", ""), (0.0, 1.0, 0.0)));
        // Fewer than four words make one shingle.
        assert!(close(
            shingle_score("شرطة عمان", "شرطة عمان"),
            (1.0, 0.0, 0.0)
        ));
    }

    #[test]
    fn harakat_split_words_like_python() {
        assert_eq!(words("الأمنُ العام"), vec!["الأمن", "العام"]);
        assert_eq!(words("snake_case 42x"), vec!["snake_case", "42x"]);
    }

    #[test]
    fn summary_means_and_empty_pages() {
        let pages = vec![
            PageScore {
                id: "a".into(),
                precision: Some(1.0),
                recall: Some(0.5),
            },
            PageScore {
                id: "b".into(),
                precision: None,
                recall: Some(0.0),
            },
        ];
        let s = summarize(&pages, 0.5);
        assert_eq!(s.pages, 2);
        assert!((s.precision - 1.0).abs() < 1e-9);
        assert!((s.recall - 0.25).abs() < 1e-9);
        assert!((s.f1 - 0.4).abs() < 1e-9);
        assert!((s.pages_per_s - 4.0).abs() < 1e-9);
    }

    #[test]
    fn missing_truth_file_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let err = eval_extraction(dir.path(), &dir.path().join("nope.json")).unwrap_err();
        assert_eq!(err.reason(), "file");
        std::fs::write(dir.path().join("bad.json"), "[1, 2]").unwrap();
        let err = eval_extraction(dir.path(), &dir.path().join("bad.json")).unwrap_err();
        assert!(err.to_string().contains("not a truth file"), "{err}");
    }

    #[test]
    fn pages_plain_and_gzipped_missing_skipped() {
        use std::io::Write;
        let dir = tempfile::tempdir().unwrap();
        let body = "أعلنت مديرية الأمن العام ضبط عصابة متخصصة بسرقة السيارات في محافظة الزرقاء";
        let page = format!("<html><body><article><p>{body}</p></article></body></html>");
        std::fs::write(dir.path().join("a.html"), &page).unwrap();
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(page.as_bytes()).unwrap();
        std::fs::write(dir.path().join("b.html.gz"), gz.finish().unwrap()).unwrap();
        let truth = serde_json::json!({
            "a": {"articleBody": body, "url": "https://example.jo/a"},
            "b": {"articleBody": body, "url": "https://example.jo/b"},
            "c": {"articleBody": body, "url": "https://example.jo/c"},
        });
        let truth_path = dir.path().join("truth.json");
        std::fs::write(&truth_path, truth.to_string()).unwrap();
        let s = eval_extraction(dir.path(), &truth_path).unwrap();
        assert_eq!(s.pages, 2, "the missing page c is skipped");
        assert!((s.f1 - 1.0).abs() < 1e-9, "{s:?}");
    }

    /// A shared extraction set's pages and truth (`extraction`, `extraction-dragnet`), when
    /// the shared data is beside the repo.
    fn shared_set(name: &str) -> Option<(std::path::PathBuf, std::path::PathBuf)> {
        let dir = rasd_core::shared_data::shared_data(name)?;
        Some((dir.join("pages"), dir.join("ground-truth.json")))
    }

    fn shared_benchmark() -> Option<(std::path::PathBuf, std::path::PathBuf)> {
        shared_set("extraction")
    }

    #[test]
    fn shared_benchmark_f1() {
        let Some((pages, truth)) = shared_benchmark() else {
            eprintln!("shared extraction data absent; skipped");
            return;
        };
        let s = eval_extraction(&pages, &truth).unwrap();
        assert_eq!(s.pages, 181);
        // With shingles counted as a multiset (the standard metric) it scored 0.9755 before
        // the work on unseen pages and 0.978 after; the goal is to stay at 0.975 or more.
        // (The set-based count it was first tuned with read up to 0.003 higher.)
        assert!(s.f1 >= 0.975, "{s:?}");
    }

    #[test]
    fn dragnet_set() {
        let Some((pages, truth)) = shared_set("extraction-dragnet") else {
            eprintln!("shared dragnet data absent; skipped");
            return;
        };
        // Its truth starts with the headline: scored as title, header lines and text, and
        // as text alone. Before the work on unseen pages: 0.895 (P 0.914, R 0.878) and 0.898
        // (P 0.937, R 0.863); after: 0.929 (P 0.941, R 0.917) and 0.918 (P 0.957, R 0.882).
        // The goal is 0.95 with recall 0.93 (see docs/performance.md).
        let (titled, _) = eval_pages(&pages, &truth, Scored::TitleAndText).unwrap();
        assert_eq!(titled.pages, 1136);
        assert!(titled.f1 >= 0.925 && titled.recall >= 0.915, "{titled:?}");
        let (text, _) = eval_pages(&pages, &truth, Scored::Text).unwrap();
        assert!(text.f1 >= 0.915 && text.precision >= 0.955, "{text:?}");
    }

    #[test]
    fn arabic_gold_set() {
        let gold = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/arabic-gold");
        let s = eval_extraction(&gold.join("pages"), &gold.join("truth.json")).unwrap();
        assert_eq!(s.pages, 22);
        // Reached 0.990 (precision 0.995, recall 0.984); the goal is 0.95.
        assert!(s.f1 >= 0.98, "{s:?}");
        assert!(s.precision >= 0.98 && s.recall >= 0.97, "{s:?}");
    }

    #[test]
    fn layout_traps_set() {
        let traps = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/layout-traps");
        let s = eval_extraction(&traps.join("pages"), &traps.join("truth.json")).unwrap();
        assert_eq!(s.pages, 16);
        // Measured 0.933 (precision 0.931, recall 0.935) when the set was written: the
        // WordPress post with clutter words in its tag classes came out empty and the forum
        // page took the rules notice. 0.970 (P 0.945, R 0.997) once tag and category class
        // names stopped counting as furniture, 0.994 (P 0.990) once a candidate above the
        // headline gave way to one after it.
        assert!(s.f1 >= 0.99 && s.recall >= 0.99, "{s:?}");
    }

    /// The benchmark figures: run in release with
    /// `cargo test -p rasd-sources --release --lib -- --ignored --nocapture extraction_benchmark`;
    /// add `--features dom_smoothie` to score that crate in the same run.
    /// `RASD_EVAL_WORST=N` also lists the N worst pages of each set.
    #[test]
    #[ignore = "a benchmark: run in release"]
    fn extraction_benchmark() {
        let worst: usize = std::env::var("RASD_EVAL_WORST")
            .ok()
            .and_then(|n| n.parse().ok())
            .unwrap_or(0);
        // The project's own sets, then the shared ones when present.
        let testdata = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata");
        let mut sets: Vec<_> = ["arabic-gold", "layout-traps"]
            .into_iter()
            .map(|name| {
                let dir = testdata.join(name);
                (name, dir.join("pages"), dir.join("truth.json"))
            })
            .collect();
        if let Some((pages, truth)) = shared_benchmark() {
            sets.push(("shared", pages, truth));
        }
        if let Some((pages, truth)) = shared_set("extraction-dragnet") {
            sets.push(("dragnet", pages, truth));
        }
        let only = std::env::var("RASD_EVAL_SET").ok();
        let dump = std::env::var_os("RASD_EVAL_DUMP").map(std::path::PathBuf::from);
        sets.retain(|s| only.as_deref().is_none_or(|o| o == s.0));
        for (name, pages, truth) in sets {
            if !truth.is_file() {
                continue;
            }
            // One untimed warm-up pass, then the timed one.
            // Dragnet's truth starts with the headline: scored on the text alone (as the
            // peers' published figures are) and, on its own line, with title and header.
            let scored = if name == "dragnet" {
                Scored::TitleAndText
            } else {
                Scored::Text
            };
            // The worst pages and the dump are of the scored view.
            let (titled, mut per_page) = eval_pages(&pages, &truth, scored).unwrap();
            if scored == Scored::TitleAndText {
                println!(
                    "{name}+title: pages={} precision={:.4} recall={:.4} f1={:.4}",
                    titled.pages, titled.precision, titled.recall, titled.f1
                );
            }
            let (s, _) = eval_pages(&pages, &truth, Scored::Text).unwrap();
            per_page.sort_by(|a, b| {
                let f = |p: &PageScore| p.precision.unwrap_or(0.0) + p.recall.unwrap_or(0.0);
                f(a).total_cmp(&f(b))
            });
            for p in per_page.iter().take(worst) {
                println!("{name} {} p={:?} r={:?}", p.id, p.precision, p.recall);
            }
            if let Some(dir) = &dump {
                // Each page's text beside its scores, to read what went wrong.
                let out = dir.join(name);
                std::fs::create_dir_all(&out).unwrap();
                let truth_map = read_truth(&truth).unwrap();
                for (id, t) in &truth_map {
                    if let Some(html) = read_page(&pages, id, &t.url) {
                        let text = scored_text(&html, &t.url, scored);
                        std::fs::write(out.join(format!("{id}.txt")), text).unwrap();
                    }
                }
                let scores: Vec<String> = per_page
                    .iter()
                    .map(|p| {
                        format!(
                            "{} {:.3} {:.3}",
                            p.id,
                            p.precision.unwrap_or(0.0),
                            p.recall.unwrap_or(0.0)
                        )
                    })
                    .collect();
                std::fs::write(out.join("scores.txt"), scores.join("\n")).unwrap();
            }
            println!(
                "{name}: pages={} precision={:.4} recall={:.4} f1={:.4} pages_per_s={:.0}",
                s.pages, s.precision, s.recall, s.f1, s.pages_per_s
            );
            #[cfg(feature = "dom_smoothie")]
            {
                // The dragnet pages have no URL, and an empty one is refused: pass none.
                let readability = |html: &str, url: &str| {
                    dom_smoothie::Readability::new(html, (!url.is_empty()).then_some(url), None)
                        .ok()
                        .and_then(|mut r| r.parse().ok())
                        .map(|a| a.text_content.to_string())
                        .unwrap_or_default()
                };
                let _ = eval_with(&pages, &truth, readability).unwrap();
                let (s, _) = eval_with(&pages, &truth, readability).unwrap();
                println!(
                    "{name} (dom_smoothie): pages={} precision={:.4} recall={:.4} f1={:.4} pages_per_s={:.0}",
                    s.pages, s.precision, s.recall, s.f1, s.pages_per_s
                );
            }
        }
    }
}
