//! `rasd eval audit`: the tagger against hand labels of real text that nobody on the project
//! wrote (`data/eval/audit/`, see its GUIDE.md).
//!
//! A label line names its source file and the item's id; the text is read from the shared
//! data (`../shared/data` or `--shared`), title and body cut at [`CUT`] characters as the
//! labeller read them. The report gives, per topic, precision and recall (topics that the
//! labels use but `topics.toml` lacks are listed as such), "has any topic" per source, the
//! police flag, the police stance and the sentiment.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt::Write as _;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};
use rasd_core::Config;
use rasd_enrich::metrics::{ClassCounts, MultiLabel, SingleLabel};
use serde::Deserialize;
use tracing::warn;

use crate::classify_cmd::Layers;

/// The labeller reads the title and the body's first 2,000 characters.
pub const CUT: usize = 2000;

/// The sources a label may name, and their files under the shared data folder.
const SOURCES: [(&str, &str); 5] = [
    ("ar_news", "corpus/ar_news.jsonl.gz"),
    ("en_news", "corpus/en_news.jsonl.gz"),
    ("huffpost", "real/en_huffpost_headlines.jsonl.gz"),
    ("newsmtsc", "real/en_newsmtsc_sentences.jsonl.gz"),
    ("goemotions", "real/en_goemotions_sentiment.jsonl.gz"),
];

/// One hand label.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Label {
    pub src: String,
    pub id: String,
    pub topics: Vec<String>,
    pub about_police: bool,
    #[serde(default)]
    pub police_stance: Option<String>,
    pub sentiment: String,
    pub reason: String,
}

/// `path` itself, or every `.jsonl` file of the folder `path`, by name.
pub fn jsonl_files(path: &Path) -> anyhow::Result<Vec<PathBuf>> {
    if !path.is_dir() {
        return Ok(vec![path.to_path_buf()]);
    }
    let mut v: Vec<PathBuf> = std::fs::read_dir(path)
        .with_context(|| format!("cannot read {}", path.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
        .collect();
    v.sort();
    Ok(v)
}

/// The label lines of `path` (a file, or every `.jsonl` in a folder, by name). A line that
/// cannot be read is reported with its file and number and left out.
pub fn read_labels(path: &Path) -> anyhow::Result<Vec<Label>> {
    let mut out = Vec::new();
    for f in jsonl_files(path)? {
        let reader = BufReader::new(
            std::fs::File::open(&f).with_context(|| format!("cannot open {}", f.display()))?,
        );
        for (n, line) in reader.lines().enumerate() {
            let line = line.with_context(|| format!("cannot read {}", f.display()))?;
            if line.trim().is_empty() {
                continue;
            }
            match serde_json::from_str::<Label>(&line) {
                Ok(l) if !SOURCES.iter().any(|(s, _)| *s == l.src) => warn!(
                    file = %f.display(), line = n + 1, src = %l.src,
                    fix = "src is one of ar_news, en_news, huffpost, newsmtsc, goemotions",
                    "Label skipped."
                ),
                Ok(l) if !["positive", "negative", "neutral"].contains(&l.sentiment.as_str()) => {
                    warn!(
                        file = %f.display(), line = n + 1, sentiment = %l.sentiment,
                        fix = "sentiment is positive, negative or neutral",
                        "Label skipped."
                    );
                }
                Ok(l) => out.push(l),
                Err(e) => warn!(
                    file = %f.display(), line = n + 1, error = %e,
                    fix = "see data/eval/audit/GUIDE.md for the fields",
                    "Label skipped."
                ),
            }
        }
    }
    if out.is_empty() {
        bail!("{}: no usable label line", path.display());
    }
    Ok(out)
}

/// Title and body (cut) of the items the labels name, keyed by (source, id).
fn read_texts(
    shared: &Path,
    labels: &[Label],
) -> anyhow::Result<HashMap<(String, String), (String, String)>> {
    let keys: Vec<(&str, &str)> = labels
        .iter()
        .map(|l| (l.src.as_str(), l.id.as_str()))
        .collect();
    read_shared_texts(shared, &keys)
}

/// The title and body of each (source name, id) of `keys` from the shared data folder
/// `shared` (source names as in the audit guide: `ar_news`, `en_news`, `huffpost`,
/// `newsmtsc`, `goemotions`); an id not found is left out.
pub fn read_shared_texts(
    shared: &Path,
    keys: &[(&str, &str)],
) -> anyhow::Result<HashMap<(String, String), (String, String)>> {
    let wanted: HashSet<(&str, &str)> = keys.iter().copied().collect();
    let mut out = HashMap::new();
    for (src, rel) in SOURCES {
        if !wanted.iter().any(|(s, _)| *s == src) {
            continue;
        }
        let path = shared.join(rel);
        let file = std::fs::File::open(&path).with_context(|| {
            format!(
                "cannot open {}: the labelled texts are read from the shared data (--shared DIR)",
                path.display()
            )
        })?;
        let reader = BufReader::new(flate2::read::GzDecoder::new(file));
        for line in reader.lines() {
            let line = line.with_context(|| format!("cannot read {}", path.display()))?;
            // Most lines are not labelled: their id, first on the line, is read without
            // parsing the rest.
            if let Some(id) = leading_id(&line)
                && !wanted.contains(&(src, id))
            {
                continue;
            }
            let v: serde_json::Value = serde_json::from_str(&line)
                .with_context(|| format!("{}: a line is not JSON", path.display()))?;
            let id = match &v["id"] {
                serde_json::Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            if !wanted.contains(&(src, id.as_str())) {
                continue;
            }
            let title = v["title"].as_str().unwrap_or_default().to_string();
            let body = v["body"]
                .as_str()
                .or_else(|| v["text"].as_str())
                .unwrap_or_default();
            let body: String = body.chars().take(CUT).collect();
            out.insert((src.to_string(), id), (title, body));
        }
    }
    Ok(out)
}

/// True for a label of the audit set's test fold (one in five, by a hash of source and id):
/// `rasd train sentiment` and `rasd train topics` never read these, and `rasd eval audit`
/// scores the models' layers on them.
pub fn is_test_fold(src: &str, id: &str) -> bool {
    fnv1a(&format!("{src}:{id}")).is_multiple_of(5)
}

/// FNV-1a of a string: a hash stable across builds and platforms, for folds and orders of
/// labelled items.
pub fn fnv1a(s: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in s.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// The labels of `data` (see [`read_labels`]) with their title and body from the shared
/// data folder `shared`; a label whose item is not there is reported and left out.
pub fn labelled_texts(data: &Path, shared: &Path) -> anyhow::Result<Vec<(Label, String, String)>> {
    let labels = read_labels(data)?;
    let texts = read_texts(shared, &labels)?;
    Ok(labels
        .into_iter()
        .filter_map(|l| {
            let Some((title, body)) = texts.get(&(l.src.clone(), l.id.clone())).cloned() else {
                warn!(src = %l.src, id = %l.id, "No such item in the shared data: label skipped.");
                return None;
            };
            Some((l, title, body))
        })
        .collect())
}

/// The `id` of a JSON line that starts with it (`{"id": 12,` or `{"id": "huffpost-3",`),
/// without escapes; `None` otherwise (the line is then parsed in full).
fn leading_id(line: &str) -> Option<&str> {
    let rest = line.strip_prefix("{\"id\": ")?;
    if let Some(quoted) = rest.strip_prefix('"') {
        let end = quoted.find('"')?;
        let id = &quoted[..end];
        (!id.contains('\\')).then_some(id)
    } else {
        let end = rest.find(|c: char| !c.is_ascii_digit())?;
        (end > 0).then_some(&rest[..end])
    }
}

/// `rasd eval audit [--data DIR] [--shared DIR] [--layers …] [--errors N]`: prints the
/// report.
pub fn eval_audit(
    config: &Config,
    data: &Path,
    shared: Option<&Path>,
    options: &AuditOptions,
) -> anyhow::Result<()> {
    print!("{}", audit_report(config, data, shared, options)?);
    Ok(())
}

/// What `rasd eval audit` scores and lists besides its figures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuditOptions<'a> {
    /// Which topic layers to score.
    pub layers: Layers,
    /// List the first N items whose topics or police flag differ from the labels.
    pub errors: usize,
    /// List the N terms of `topics.toml` with the most false hits, with their true hits.
    pub terms: usize,
    /// Score only these topics (empty: every topic of `topics.toml` and of the labels).
    pub only: &'a [String],
    /// Score topics on every label, not only the test fold (for work on the rules: the
    /// topic model learned the other folds, so its figures there flatter it).
    pub all_items: bool,
}

/// The audit report (see [`eval_audit`]).
pub fn audit_report(
    config: &Config,
    data: &Path,
    shared: Option<&Path>,
    options: &AuditOptions,
) -> anyhow::Result<String> {
    let AuditOptions {
        layers,
        errors,
        terms: term_rows,
        only,
        all_items,
    } = *options;
    let labels = read_labels(data)?;
    let shared = match shared {
        Some(d) => d.to_path_buf(),
        None => rasd_core::shared_data::shared_data_dir().context(
            "the shared data folder is not found: pass --shared DIR or set RASD_SHARED_DATA",
        )?,
    };
    let texts = read_texts(&shared, &labels)?;
    let enricher = layers.enricher(config)?;
    let threshold = config.settings.enrich.model_threshold;
    let known: Vec<String> = config.topics.iter().map(|t| t.id.clone()).collect();
    // Topics the labels use that topics.toml lacks are scored too (they are all misses).
    let mut classes = known.clone();
    for l in &labels {
        for t in &l.topics {
            if !classes.contains(t) {
                classes.push(t.clone());
            }
        }
    }
    if !only.is_empty() {
        classes.retain(|c| only.contains(c));
    }
    // Per (topic, term as written): false and true hits, where the rules assigned the topic.
    let mut term_hits: BTreeMap<(String, String), (usize, usize)> = BTreeMap::new();
    let mut topics = MultiLabel::new(&classes);
    let mut any: BTreeMap<&str, ClassCounts> = BTreeMap::new();
    let mut police = ClassCounts::default();
    let mut sentiment = SingleLabel::new(&["positive", "negative", "neutral"]);
    let mut by_src_sentiment: BTreeMap<&str, SingleLabel> = BTreeMap::new();
    let mut missing = 0usize;
    let mut topic_items = 0usize;
    let mut not_police = 0usize;
    let mut stances: BTreeMap<&str, usize> = BTreeMap::new();
    // Labelled stances: right as tagged, right with the flag assumed, and (gold, given).
    let (mut stance_tagged, mut stance_assumed) = (0usize, 0usize);
    let mut stance_pairs: BTreeMap<(String, String), usize> = BTreeMap::new();
    let mut disagreements: Vec<String> = Vec::new();
    for l in &labels {
        let Some((title, body)) = texts.get(&(l.src.clone(), l.id.clone())) else {
            missing += 1;
            warn!(src = %l.src, id = %l.id, "No such item in the shared data: label skipped.");
            continue;
        };
        let c = enricher.classify(title, body, None);
        let test = is_test_fold(&l.src, &l.id);
        // The police flag learns from no label: it is scored on every item.
        not_police += usize::from(!l.about_police);
        match (l.about_police, c.tags.about_police) {
            (true, true) => police.tp += 1,
            (false, true) => police.fp += 1,
            (true, false) => police.fn_ += 1,
            (false, false) => {}
        }
        // The training folds train the sentiment models: only the test fold scores them.
        if let Some(s) = c.tags.sentiment
            && test
        {
            sentiment.add(&l.sentiment, s.label.as_str());
            by_src_sentiment
                .entry(l.src.as_str())
                .or_insert_with(|| SingleLabel::new(&["positive", "negative", "neutral"]))
                .add(&l.sentiment, s.label.as_str());
        }
        // The topic model learns from the other folds too.
        if !(test || all_items) {
            continue;
        }
        topic_items += 1;
        let predicted = layers.topics(&c, threshold);
        topics.add(&l.topics, &predicted);
        if let Some(st) = &l.police_stance {
            *stances.entry(st.as_str()).or_default() += 1;
            let tagged = c.tags.police_stance.map_or("none", |s| s.as_str());
            let assumed = enricher
                .explain_item(title, body)
                .stance
                .stance
                .map_or("none", |s| s.as_str());
            stance_tagged += usize::from(tagged == st);
            stance_assumed += usize::from(assumed == st);
            *stance_pairs
                .entry((st.clone(), assumed.to_string()))
                .or_default() += 1;
        }
        if term_rows > 0 {
            let text = format!("{title}\n{body}");
            for (t, found) in enricher.explain(&text) {
                if !predicted.contains(&t) || !classes.contains(&t) {
                    continue;
                }
                let right = l.topics.contains(&t);
                for term in found {
                    let e = term_hits.entry((t.clone(), term)).or_default();
                    if right {
                        e.1 += 1;
                    } else {
                        e.0 += 1;
                    }
                }
            }
        }
        if disagreements.len() < errors {
            let mut gold = l.topics.clone();
            gold.sort();
            let mut got = predicted.clone();
            got.sort();
            let police_wrong = l.about_police != c.tags.about_police;
            if gold != got || police_wrong {
                // Why the rules gave what the labels do not have.
                let text = format!("{title}\n{body}");
                let mut why: Vec<String> = enricher
                    .explain(&text)
                    .into_iter()
                    .filter(|(t, _)| !gold.contains(t))
                    .map(|(t, terms)| format!("{t}[{}]", terms.join("|")))
                    .collect();
                if police_wrong {
                    let (terms, locals) = enricher.explain_police(&text);
                    why.push(format!(
                        "police {}[{}]",
                        if l.about_police { "missed" } else { "wrong" },
                        terms
                            .iter()
                            .chain(&locals)
                            .cloned()
                            .collect::<Vec<_>>()
                            .join("|")
                    ));
                }
                disagreements.push(format!(
                    "{}:{} labels {:?} tagger {:?} {} | {} | {}",
                    l.src,
                    l.id,
                    gold,
                    got,
                    why.join(" "),
                    title.chars().take(80).collect::<String>(),
                    l.reason
                ));
            }
        }
        let a = any.entry(l.src.as_str()).or_default();
        match (!l.topics.is_empty(), !predicted.is_empty()) {
            (true, true) => a.tp += 1,
            (false, true) => a.fp += 1,
            (true, false) => a.fn_ += 1,
            (false, false) => {}
        }
    }
    let mut out = String::new();
    let _ = writeln!(
        out,
        "audit: {} labels ({} not found in the shared data)",
        labels.len() - missing,
        missing
    );
    let _ = writeln!(
        out,
        "topics, on {}: {topic_items} items",
        if all_items {
            "every label (the topic model learned all but the test fold: its figures flatter it)"
        } else {
            "the test fold (one label in five; `rasd train topics` reads the others)"
        }
    );
    out.push_str(&topics.report());
    let lacking: Vec<&String> = classes.iter().filter(|c| !known.contains(c)).collect();
    if !lacking.is_empty() {
        let _ = writeln!(
            out,
            "labels use topics that topics.toml does not have: {}",
            lacking
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    // The lowest precision among topics the tagger used at least once.
    let min_precision = topics
        .counts()
        .iter()
        .filter(|c| c.tp + c.fp > 0)
        .map(ClassCounts::precision)
        .fold(1.0f64, f64::min);
    let _ = writeln!(out, "\nhas any topic, per source:");
    for (src, c) in &any {
        let _ = writeln!(
            out,
            "  {src:<11} precision={:.4} recall={:.4} (tp={} fp={} fn={})",
            c.precision(),
            c.recall(),
            c.tp,
            c.fp,
            c.fn_
        );
    }
    let _ = writeln!(
        out,
        "about_police: precision={:.4} recall={:.4} (tp={} fp={} fn={}); flagged although not about Jordan's police: {:.2} % of {} items",
        police.precision(),
        police.recall(),
        police.tp,
        police.fp,
        police.fn_,
        100.0 * police.fp as f64 / not_police.max(1) as f64,
        not_police
    );
    let labelled: usize = stances.values().sum();
    let _ = writeln!(
        out,
        "police stance in the labels: {}",
        stances
            .iter()
            .map(|(k, v)| format!("{k} {v}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let _ = writeln!(
        out,
        "police stance: right as tagged {stance_tagged} of {labelled} (accuracy={:.4}; an item \
         the flag missed has none); with the flag assumed {stance_assumed} of {labelled} \
         (accuracy={:.4}); gold->given: {}",
        stance_tagged as f64 / labelled.max(1) as f64,
        stance_assumed as f64 / labelled.max(1) as f64,
        stance_pairs
            .iter()
            .map(|((g, p), n)| format!("{g}->{p} {n}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let _ = writeln!(
        out,
        "\nsentiment, on the test fold (one label in five; `rasd train sentiment` reads the others), per source:"
    );
    for (src, s) in &by_src_sentiment {
        let _ = writeln!(
            out,
            "  {src:<11} items={} accuracy={:.4} macro_f1={:.4}",
            s.total(),
            s.accuracy(),
            s.macro_f1()
        );
    }
    let _ = writeln!(out, "sentiment, test fold, all sources:");
    out.push_str(&sentiment.report());
    let _ = writeln!(
        out,
        "topics_macro_f1={:.4} topics_micro_f1={:.4} topics_min_precision={:.4} police_precision={:.4} sentiment_accuracy={:.4} sentiment_macro_f1={:.4}",
        topics.macro_f1(),
        topics.micro_f1(),
        min_precision,
        police.precision(),
        sentiment.accuracy(),
        sentiment.macro_f1()
    );
    if term_rows > 0 {
        let mut rows: Vec<_> = term_hits.into_iter().collect();
        rows.sort_by(|a, b| b.1.0.cmp(&a.1.0).then(a.1.1.cmp(&b.1.1)));
        let _ = writeln!(
            out,
            "\nterms with the most false hits (where the rules gave the topic):"
        );
        for ((t, term), (fp, tp)) in rows.into_iter().take(term_rows) {
            let _ = writeln!(out, "  {t:<20} fp={fp:<4} tp={tp:<4} {term}");
        }
    }
    if !disagreements.is_empty() {
        let _ = writeln!(
            out,
            "\nfirst {} items where labels and tagger differ:",
            disagreements.len()
        );
        for d in &disagreements {
            let _ = writeln!(out, "  {d}");
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use std::io::Write as _;

    use super::*;

    fn options(layers: Layers, errors: usize) -> AuditOptions<'static> {
        AuditOptions {
            layers,
            errors,
            terms: 0,
            only: &[],
            all_items: true,
        }
    }

    fn write_gz(path: &Path, lines: &[serde_json::Value]) {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        let f = std::fs::File::create(path).unwrap();
        let mut gz = flate2::write::GzEncoder::new(f, flate2::Compression::fast());
        for l in lines {
            writeln!(gz, "{l}").unwrap();
        }
        gz.finish().unwrap();
    }

    #[test]
    fn leading_ids_are_read_without_parsing() {
        assert_eq!(leading_id(r#"{"id": 12, "title": "x"}"#), Some("12"));
        assert_eq!(
            leading_id(r#"{"id": "huffpost-3", "text": "x"}"#),
            Some("huffpost-3")
        );
        assert_eq!(leading_id(r#"{"title": "x", "id": 3}"#), None);
        assert_eq!(leading_id(r#"{"id": "a\"b", "text": "x"}"#), None);
    }

    /// The shipped rules and models on the audit set (`data/eval/audit`), where the shared
    /// data is present (CI): the figures of 2026-12-06 are kept. Skipped without it.
    #[test]
    fn audit_set_keeps_its_figures() {
        let Some(shared) = rasd_core::shared_data::shared_data_dir() else {
            eprintln!("skipped: no shared data");
            return;
        };
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let config = Config::load(&root.join("config")).unwrap();
        let report = audit_report(
            &config,
            &root.join("data/eval/audit"),
            Some(&shared),
            &AuditOptions {
                all_items: false,
                ..options(Layers::Combined, 0)
            },
        )
        .unwrap();
        let figure = |key: &str| -> f64 {
            let at = report
                .rfind(&format!("{key}="))
                .unwrap_or_else(|| panic!("{key}: {report}"));
            let rest = &report[at + key.len() + 1..];
            let end = rest
                .find(|c: char| !(c.is_ascii_digit() || c == '.'))
                .unwrap_or(rest.len());
            rest[..end].parse().unwrap()
        };
        println!("{report}");
        assert!(
            report.starts_with("audit: 3727 labels (0 not found"),
            "{report}"
        );
        // Topics on the test fold (the topic model learned the others).
        assert!(
            report.contains("topics, on the test fold (one label in five; `rasd train topics` reads the others): 741 items"),
            "{report}"
        );
        assert!(figure("topics_macro_f1") >= 0.68, "{report}");
        assert!(figure("topics_micro_f1") >= 0.74, "{report}");
        // Round 4 showed more foreign items flagged (0.447 on rounds 1–3 alone).
        assert!(figure("police_precision") >= 0.41, "{report}");
        // Sentiment on the test fold (the models never read it).
        assert!(figure("sentiment_accuracy") >= 0.79, "{report}");
        assert!(figure("sentiment_macro_f1") >= 0.64, "{report}");
        let ar = report
            .lines()
            .find(|l| l.trim_start().starts_with("ar_news     precision"))
            .unwrap();
        let precision: f64 = ar.split("precision=").nth(1).unwrap()[..6].parse().unwrap();
        let recall: f64 = ar.split("recall=").nth(1).unwrap()[..6].parse().unwrap();
        assert!(precision >= 0.86, "Arabic news, has any topic: {ar}");
        assert!(recall >= 0.83, "Arabic news, has any topic: {ar}");
        let police = report
            .lines()
            .find(|l| l.starts_with("about_police"))
            .unwrap();
        let rate: f64 = police
            .split("Jordan's police: ")
            .nth(1)
            .unwrap()
            .split(' ')
            .next()
            .unwrap()
            .parse()
            .unwrap();
        assert!(
            rate <= 1.0,
            "flagged although not about Jordan's police: {police}"
        );
    }

    /// Labels are read from a folder, bad lines are reported and left out, and the report
    /// scores the tagger on the texts of the shared files, cut as the labeller read them.
    #[test]
    fn audit_scores_labels_against_shared_texts() {
        let dir = tempfile::tempdir().unwrap();
        let shared = dir.path().join("shared");
        write_gz(
            &shared.join("corpus/ar_news.jsonl.gz"),
            &[
                serde_json::json!({"id": "1", "title": "ضبط ثلاثة أشخاص بحوزتهم مواد مخدرة في الرصيفة",
                    "body": "ضبطت إدارة مكافحة المخدرات ثلاثة أشخاص بحوزتهم كمية من الحشيش."}),
                serde_json::json!({"id": "2", "title": "ارتفاع أسعار الخضار في الأسواق",
                    "body": "شهدت الأسواق ارتفاعا في أسعار الخضار بسبب قلة المعروض."}),
            ],
        );
        write_gz(
            &shared.join("real/en_huffpost_headlines.jsonl.gz"),
            &[
                serde_json::json!({"id": "huffpost-7", "text": "a recipe for lemon cake", "label": "TASTE"}),
            ],
        );
        let labels = dir.path().join("labels");
        std::fs::create_dir_all(&labels).unwrap();
        std::fs::write(
            labels.join("a.jsonl"),
            concat!(
                r#"{"src":"ar_news","id":"1","topics":["drugs","arrest","riot_control"],"about_police":true,"police_stance":"neutral","sentiment":"neutral","reason":"drug arrest by the anti-narcotics department"}"#, "\n",
                r#"{"src":"ar_news","id":"2","topics":[],"about_police":false,"police_stance":null,"sentiment":"neutral","reason":"prices"}"#, "\n",
                "not json\n",
                r#"{"src":"elsewhere","id":"3","topics":[],"about_police":false,"police_stance":null,"sentiment":"neutral","reason":"x"}"#, "\n",
            ),
        )
        .unwrap();
        std::fs::write(
            labels.join("b.jsonl"),
            r#"{"src":"huffpost","id":"huffpost-7","topics":[],"about_police":false,"police_stance":null,"sentiment":"positive","reason":"a recipe"}"#,
        )
        .unwrap();
        assert_eq!(read_labels(&labels).unwrap().len(), 3);
        let config = Config::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("config")).unwrap();
        let report =
            audit_report(&config, &labels, Some(&shared), &options(Layers::Rules, 5)).unwrap();
        assert!(
            report.starts_with("audit: 3 labels (0 not found"),
            "{report}"
        );
        assert!(
            report.contains("labels use topics that topics.toml does not have: riot_control"),
            "{report}"
        );
        assert!(
            report.contains("about_police: precision=1.0000 recall=1.0000"),
            "{report}"
        );
        assert!(
            report.contains("ar_news     precision=1.0000 recall=1.0000"),
            "{report}"
        );
        assert!(
            report.contains("police stance in the labels: neutral 1"),
            "{report}"
        );
        assert!(
            report.contains("police stance: right as tagged 1 of 1 (accuracy=1.0000"),
            "{report}"
        );
        assert!(report.contains("topics_min_precision=1.0000"), "{report}");
        // The terms behind the topics, and the score of some topics only.
        let only = ["drugs".to_string()];
        let listed = AuditOptions {
            terms: 5,
            only: &only,
            ..options(Layers::Rules, 0)
        };
        let report = audit_report(&config, &labels, Some(&shared), &listed).unwrap();
        assert!(report.contains("fp=0    tp=1    مواد مخدرة"), "{report}");
        assert!(!report.contains("arrest"), "{report}");
        assert!(report.contains("\ndrugs "), "{report}");
        // An item the shared files do not have is counted apart, not scored.
        std::fs::write(
            labels.join("c.jsonl"),
            r#"{"src":"ar_news","id":"99","topics":[],"about_police":false,"police_stance":null,"sentiment":"neutral","reason":"gone"}"#,
        )
        .unwrap();
        let report =
            audit_report(&config, &labels, Some(&shared), &options(Layers::Rules, 0)).unwrap();
        assert!(
            report.starts_with("audit: 3 labels (1 not found"),
            "{report}"
        );
        // No shared data: a clear error naming the file and the fix.
        let err = audit_report(
            &config,
            &labels,
            Some(&dir.path().join("none")),
            &options(Layers::Rules, 0),
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("--shared DIR"), "{err}");
    }
}
