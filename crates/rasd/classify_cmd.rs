//! The enrichment commands: `rasd classify`, `rasd train topics`, `rasd eval topics` and
//! `rasd bench classify` (sentiment's are in `sentiment_cmd`).
//!
//! All of them read JSON lines ([`rasd_enrich::records`]): a bad line is reported with its
//! number and what is wrong, and the rest of the file goes on.

use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context as _, bail};
use rasd_core::Config;
use rasd_enrich::metrics::{MultiLabel, SingleLabel};
use rasd_enrich::topic_model::{
    TopicExample, TopicTrainParams, default_features, examples_from_rules,
};
use rasd_enrich::{Enricher, LineError, Record, SentimentModel, TopicModel, read_records};
use tracing::warn;

/// Opens `path` (gzip-compressed when it ends in `.gz`), or standard input for `-` or no
/// path.
pub fn open_input(path: Option<&Path>) -> anyhow::Result<Box<dyn BufRead>> {
    match path {
        None => Ok(Box::new(BufReader::new(std::io::stdin()))),
        Some(p) if p == Path::new("-") => Ok(Box::new(BufReader::new(std::io::stdin()))),
        Some(p) => {
            let f =
                std::fs::File::open(p).with_context(|| format!("cannot open {}", p.display()))?;
            if p.extension().is_some_and(|e| e == "gz") {
                Ok(Box::new(BufReader::new(flate2::read::GzDecoder::new(f))))
            } else {
                Ok(Box::new(BufReader::new(f)))
            }
        }
    }
}

fn warn_line(e: &LineError) {
    warn!(line = e.line, id = %e.id, error = %e.message, "Line skipped.");
}

/// `rasd classify [FILE|-]`: one JSON line out per line in, in the same order. A line that
/// cannot be read gets `{"line": N, "id": …, "error": "…"}` so outputs stay aligned.
pub fn classify(
    config: &Config,
    input: Option<&Path>,
    scores: bool,
    rules_only: bool,
    explain: bool,
) -> anyhow::Result<()> {
    let enricher = if rules_only {
        Enricher::from_config(config)
    } else {
        Enricher::from_config_with_models(config)
    }
    .context("cannot compile the topic, place and police rules")?;
    let stdout = std::io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    let (mut ok, mut bad) = (0u64, 0u64);
    for rec in read_records(open_input(input)?) {
        let value = match rec {
            Ok(r) => {
                ok += 1;
                let mut v = classification_json(&enricher, &r, scores);
                if explain {
                    v["explain"] = explanation_json(&enricher, &r);
                }
                v
            }
            Err(e) => {
                bad += 1;
                warn_line(&e);
                serde_json::json!({ "line": e.line, "id": e.id, "error": e.message })
            }
        };
        serde_json::to_writer(&mut out, &value)?;
        if out.write_all(b"\n").is_err() {
            // The reader went away (`| head`): stop quietly.
            return Ok(());
        }
    }
    out.flush().ok();
    if bad > 0 {
        eprintln!("classified {ok} lines; {bad} lines could not be read (see the error lines)");
    }
    Ok(())
}

fn classification_json(enricher: &Enricher, r: &Record, scores: bool) -> serde_json::Value {
    let c = enricher.classify(&r.title, &r.body, None);
    let t = &c.tags;
    let mut v = serde_json::json!({
        "id": r.id,
        "lang": t.lang.code(),
        "topics": t.topics,
        "sentiment": t.sentiment.map(|s| s.label.as_str()),
        "sentiment_score": t.sentiment.map(|s| (f64::from(s.score) * 1e4).round() / 1e4),
        "about_police": t.about_police,
        "police_stance": t.police_stance.map(|s| s.as_str()),
        "places": t.places,
        "places_named": t.places_named,
        "fingerprint": format!("{:016x}", t.fingerprint),
    });
    if r.replaced_bytes {
        v["warning"] = "invalid UTF-8 bytes were replaced by U+FFFD".into();
    }
    if scores {
        v["rule_topics"] = serde_json::json!(c.rule_topics);
        v["model_scores"] = c
            .model_scores
            .iter()
            .filter(|(_, p)| *p >= 0.01)
            .map(|(t, p)| {
                (
                    t.clone(),
                    serde_json::json!((f64::from(*p) * 1e4).round() / 1e4),
                )
            })
            .collect::<serde_json::Map<_, _>>()
            .into();
    }
    v
}

/// Why the item got its tags: `rules` (each topic whose terms or exclude terms were found,
/// with them, and whether the rules alone assign it), `model` (topics the model votes for,
/// with their probability), `model_denied` (topics the rules assign that the model takes
/// back, with its probability: it must reach `[enrich] model_confirm` in a text of more than
/// 30 words), `police` (names found and where the item is), `places` (the event
/// places, the places only named, which evidence decided, and each name found with its role
/// and the cue that gave it: `{"name": "القطرانة", "role": "event", "cue": "قرب"}`,
/// `{"name": "العقبة", "role": "origin", "cue": "قادمة من"}`), `stance` (the stance toward
/// the police were the item about them, and the cues that gave it), `sentiment` (what the
/// model read, and its score) and `sentiment_model` (`arabic`, `english`, or null without a
/// model).
fn explanation_json(enricher: &Enricher, r: &Record) -> serde_json::Value {
    let e = enricher.explain_item(&r.title, &r.body);
    let rules: serde_json::Map<String, serde_json::Value> = e
        .rules
        .iter()
        .map(|m| {
            (
                m.topic.clone(),
                serde_json::json!({
                    "terms": m.terms,
                    "vetoed_by": m.excluded_by,
                    "assigned": m.assigned,
                }),
            )
        })
        .collect();
    let probabilities = |v: &[(String, f32)]| -> serde_json::Map<String, serde_json::Value> {
        v.iter()
            .map(|(t, p)| {
                (
                    t.clone(),
                    serde_json::json!((f64::from(*p) * 1e4).round() / 1e4),
                )
            })
            .collect()
    };
    let places = serde_json::json!({
        "event": e.places.places,
        "named": e.places.named,
        "decided_by": e.places.basis.as_str(),
        "names": e.places.names.iter().map(|n| serde_json::json!({
            "name": n.name,
            "governorates": n.governorates,
            "role": n.role.as_str(),
            "cue": n.cue,
        })).collect::<Vec<_>>(),
    });
    serde_json::json!({
        "rules": rules,
        "model": probabilities(&e.model),
        "model_denied": probabilities(&e.denied),
        "police": {
            "terms": e.police.terms,
            "local_terms": e.police.local_terms,
            "placed_in_jordan": e.police.placed_in_jordan,
            "names_other_country": e.police.names_other_country,
            "about_jordan": e.police.about_jordan,
        },
        "places": places,
        "stance": stance_json(&e.stance),
        "sentiment_reads": rasd_enrich::sentiment_text(&r.title, &r.body),
        "sentiment_model": enricher.sentiment_model_name(
            rasd_enrich::lang::detect_language_of(&r.title, &r.body, None)
        ),
    })
}

/// The stance's evidence: the stance, the rule that gave it, the police names in the
/// sentences read, and the cues (a negated cue as `negation + cue`).
pub fn stance_json(w: &rasd_enrich::stance::StanceWhy) -> serde_json::Value {
    let labels = |v: &[rasd_enrich::stance::Cue]| v.iter().map(|c| c.label()).collect::<Vec<_>>();
    serde_json::json!({
        "stance": w.stance.map(|s| s.as_str()),
        "rule": w.rule.reason(),
        "police_names": w.police_names,
        "sentences_read": [w.sentences_read.0, w.sentences_read.1],
        "approving": labels(&w.approving),
        "critical": labels(&w.critical),
        "after_a_charge": w.charged,
        "police_conduct_topic": w.conduct_topic,
        "tone": w.tone.map(|t| t.as_str()),
    })
}

/// One line of a stance evaluation file.
#[derive(Debug, serde::Deserialize)]
struct StanceLine {
    id: String,
    text: String,
    police_stance: String,
    #[serde(default)]
    variety: Option<String>,
}

/// `rasd eval stance --data FILE.jsonl`: lines with "text" and gold "police_stance"
/// (approving, critical, neutral). Scores the stance as if every line were about the police
/// (per-class precision, recall and F1, the confusion matrix, accuracy and macro F1, and the
/// accuracy per "variety" when lines have one), then says how many the police flag caught.
pub fn eval_stance(config: &Config, data: &Path) -> anyhow::Result<()> {
    let enricher = Enricher::from_config_with_models(config)
        .context("cannot compile the topic, place and police rules")?;
    let mut lines = Vec::new();
    for (n, line) in open_input(Some(data))?.lines().enumerate() {
        let line = line.with_context(|| format!("cannot read {}", data.display()))?;
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str::<StanceLine>(&line) {
            Ok(l) if rasd_core::PoliceStance::parse(&l.police_stance).is_some() => lines.push(l),
            Ok(l) => warn!(
                line = n + 1, id = %l.id, label = %l.police_stance,
                fix = "write \"police_stance\": \"approving\", \"critical\" or \"neutral\"",
                "Line skipped."
            ),
            Err(e) => warn!(line = n + 1, error = %e, "Line skipped."),
        }
    }
    if lines.is_empty() {
        bail!(
            "{}: no usable line: write JSON lines with \"text\" and \"police_stance\"",
            data.display()
        );
    }
    let classes: Vec<&str> = rasd_core::PoliceStance::ALL
        .iter()
        .map(|s| s.as_str())
        .collect();
    let mut tally = SingleLabel::new(&classes);
    let mut by_variety: std::collections::BTreeMap<String, SingleLabel> = Default::default();
    let (mut flagged, mut right_as_tagged) = (0usize, 0usize);
    for l in &lines {
        let gold = rasd_core::PoliceStance::parse(&l.police_stance).map_or("", |s| s.as_str());
        let given = enricher
            .explain_item("", &l.text)
            .stance
            .stance
            .map_or("none", |s| s.as_str());
        tally.add(gold, given);
        if let Some(v) = &l.variety {
            by_variety
                .entry(v.clone())
                .or_insert_with(|| SingleLabel::new(&classes))
                .add(gold, given);
        }
        let tags = enricher.tags_for("", &l.text, None);
        flagged += usize::from(tags.about_police);
        right_as_tagged += usize::from(tags.police_stance.map(|s| s.as_str()) == Some(gold));
    }
    println!(
        "{} lines; the stance as if each were about the police:",
        lines.len()
    );
    print!("{}", tally.report());
    for (v, s) in &by_variety {
        println!(
            "  {v:<8} lines={} accuracy={:.4} macro_f1={:.4}",
            s.total(),
            s.accuracy(),
            s.macro_f1()
        );
    }
    println!(
        "about_police flagged {flagged} of {}; right as tagged (a line the flag missed has no \
         stance) {right_as_tagged} of {} (accuracy={:.4})",
        lines.len(),
        lines.len(),
        right_as_tagged as f64 / lines.len() as f64
    );
    Ok(())
}

/// Reads labelled topic records; unknown topic ids are reported per line and dropped.
fn topic_records(config: &Config, data: &Path) -> anyhow::Result<Vec<(Record, Vec<String>)>> {
    let known: Vec<&str> = config.topics.iter().map(|t| t.id.as_str()).collect();
    let mut out = Vec::new();
    let mut bad = 0usize;
    for rec in read_records(open_input(Some(data))?) {
        match rec {
            Err(e) => {
                bad += 1;
                warn_line(&e);
            }
            Ok(r) => {
                let Some(topics) = r.topics.clone() else {
                    bad += 1;
                    warn!(line = r.line, id = %r.id, "Line skipped: no \"topics\" list (write [] for none).");
                    continue;
                };
                let (good, unknown): (Vec<String>, Vec<String>) = topics
                    .into_iter()
                    .partition(|t| known.contains(&t.as_str()));
                if !unknown.is_empty() {
                    warn!(
                        line = r.line, id = %r.id, unknown = ?unknown,
                        fix = "use the ids of topics.toml",
                        "Unknown topic ids ignored."
                    );
                }
                out.push((r, good));
            }
        }
    }
    if out.is_empty() {
        bail!(
            "{}: no usable line ({bad} skipped): write JSON lines with \"id\", \"text\" and \"topics\"",
            data.display()
        );
    }
    Ok(out)
}

/// The audit set's training-fold items (never its test fold, see
/// [`audit_cmd::is_test_fold`]) as topic examples: the title and lead the model reads, with
/// the labels' topics that `topics` knows.
fn audit_examples(audit: &Path, topics: &[String]) -> anyhow::Result<Vec<TopicExample>> {
    let shared = rasd_core::shared_data::shared_data_dir().context(
        "the shared data folder is not found (the audit texts are read from it): set \
         RASD_SHARED_DATA, or pass --no-audit",
    )?;
    Ok(crate::audit_cmd::labelled_texts(audit, &shared)?
        .into_iter()
        .filter(|(l, _, _)| !crate::audit_cmd::is_test_fold(&l.src, &l.id))
        .map(|(l, title, body)| TopicExample {
            text: rasd_enrich::topic_model::model_text(&title, &body),
            topics: l
                .topics
                .into_iter()
                .filter(|t| topics.contains(t))
                .collect(),
        })
        .collect())
}

/// `rasd train topics --data FILE.jsonl [--audit DIR | --no-audit] [--out FILE] [--seed N]`.
pub fn train_topics(
    config: &Config,
    data: &Path,
    audit: Option<&Path>,
    out: Option<&Path>,
    seed: u64,
) -> anyhow::Result<()> {
    let records = topic_records(config, data)?;
    let topics: Vec<String> = config.topics.iter().map(|t| t.id.clone()).collect();
    let mut examples: Vec<TopicExample> = records
        .iter()
        .map(|(r, t)| TopicExample {
            text: r.full_text(),
            topics: t.clone(),
        })
        .collect();
    let own = examples.len();
    if let Some(audit) = audit {
        examples.extend(audit_examples(audit, &topics)?);
    }
    let labelled = examples.len();
    // The rules' own terms are examples too, so the two layers agree.
    examples.extend(examples_from_rules(&config.topics));
    let start = Instant::now();
    let params = TopicTrainParams {
        seed,
        ..TopicTrainParams::default()
    };
    let model = TopicModel::train(&examples, &topics, default_features(), params);
    let secs = start.elapsed().as_secs_f64();
    let bytes = model.to_bytes();
    let path = out.map_or_else(
        || config.resolve(&config.settings.enrich.topic_model),
        Path::to_path_buf,
    );
    write_model(&path, &bytes)?;
    println!("labelled lines per topic:");
    for t in &topics {
        let n = examples[..labelled]
            .iter()
            .filter(|e| e.topics.contains(t))
            .count();
        println!("  {t:<20} {n}");
    }
    let none = examples[..labelled]
        .iter()
        .filter(|e| e.topics.is_empty())
        .count();
    println!("  {:<20} {none}", "(none)");
    println!(
        "trained on {labelled} labelled lines ({own} own, {} of the audit set's training folds) \
         and {} rule terms in {secs:.2}s (seed {seed}); wrote {} ({} bytes)",
        labelled - own,
        examples.len() - labelled,
        path.display(),
        bytes.len()
    );
    Ok(())
}

/// Writes a model file through a temporary file, so a reader never sees half a model.
pub fn write_model(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, bytes).with_context(|| format!("cannot write {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}

/// Which layers `rasd eval topics` scores.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Layers {
    /// Rules and model combined, as items are tagged.
    Combined,
    /// The rules of topics.toml alone.
    Rules,
    /// The topic model alone, at the configured threshold.
    Model,
}

impl Layers {
    /// The enricher these layers need: the rules alone, or with the models.
    pub fn enricher(self, config: &Config) -> anyhow::Result<Enricher> {
        Ok(match self {
            Layers::Rules => Enricher::from_config(config)?,
            _ => Enricher::from_config_with_models(config)?,
        })
    }

    /// The topics these layers give in `c` (the model's at `threshold` or above).
    pub fn topics(self, c: &rasd_enrich::Classification, threshold: f32) -> Vec<String> {
        match self {
            Layers::Combined => c.tags.topics.clone(),
            Layers::Rules => c.rule_topics.clone(),
            Layers::Model => c
                .model_scores
                .iter()
                .filter(|(_, p)| *p >= threshold)
                .map(|(t, _)| t.clone())
                .collect(),
        }
    }
}

/// `rasd eval topics --data FILE.jsonl [--layers combined|rules|model] [--topics A,B]`.
pub fn eval_topics(
    config: &Config,
    data: &Path,
    layers: Layers,
    only: &[String],
) -> anyhow::Result<()> {
    let records = topic_records(config, data)?;
    let enricher = layers.enricher(config)?;
    if layers != Layers::Rules && !enricher.has_topic_model() {
        bail!(
            "no topic model loaded from {}: run `rasd train topics --data FILE`, or use --layers rules",
            config
                .resolve(&config.settings.enrich.topic_model)
                .display()
        );
    }
    let threshold = config.settings.enrich.model_threshold;
    let classes: Vec<String> = config
        .topics
        .iter()
        .map(|t| t.id.clone())
        .filter(|t| only.is_empty() || only.contains(t))
        .collect();
    let mut tally = MultiLabel::new(&classes);
    for (r, gold) in &records {
        let c = enricher.classify(&r.title, &r.body, None);
        tally.add(gold, &layers.topics(&c, threshold));
    }
    print!("{}", tally.report());
    Ok(())
}

/// Reads up to `limit` records of a JSON-lines file, gzip-compressed when it ends in `.gz`.
pub(crate) fn read_corpus(path: &Path, limit: usize) -> anyhow::Result<Vec<Record>> {
    let file =
        std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let reader: Box<dyn BufRead> = if path.extension().is_some_and(|e| e == "gz") {
        Box::new(BufReader::new(flate2::read::GzDecoder::new(file)))
    } else {
        Box::new(BufReader::new(file))
    };
    Ok(read_records(reader)
        .filter_map(Result::ok)
        .take(limit)
        .collect())
}

/// Items per second of `f` over `items`, the median of `runs` passes.
fn median_rate(items: &[Record], runs: usize, mut f: impl FnMut(&Record)) -> (f64, f64) {
    let mut rates: Vec<f64> = (0..runs.max(1))
        .map(|_| {
            let start = Instant::now();
            for r in items {
                f(r);
            }
            items.len() as f64 / start.elapsed().as_secs_f64().max(1e-9)
        })
        .collect();
    rates.sort_by(f64::total_cmp);
    let median = rates[rates.len() / 2];
    (median, items.len() as f64 / median)
}

/// `rasd bench classify [--data FILE]... [--items N] [--runs R]`: tagging speed on one
/// thread. By default the first N/2 Arabic and N/2 English items of the shared news corpus,
/// interleaved. Prints each layer's rate, the whole classifier last.
pub fn bench_classify(
    config: &Config,
    data: &[PathBuf],
    items: usize,
    runs: usize,
) -> anyhow::Result<()> {
    let files: Vec<PathBuf> = if data.is_empty() {
        ["corpus/ar_news.jsonl.gz", "corpus/en_news.jsonl.gz"]
            .iter()
            .map(|rel| {
                rasd_core::shared_data::shared_data(rel).with_context(|| {
                    format!(
                        "no {rel} in the shared data folder: pass --data (or set RASD_SHARED_DATA)"
                    )
                })
            })
            .collect::<anyhow::Result<_>>()?
    } else {
        data.to_vec()
    };
    let per_file = items.div_ceil(files.len());
    let mut lists = files
        .iter()
        .map(|f| read_corpus(f, per_file))
        .collect::<anyhow::Result<Vec<_>>>()?;
    // Interleave the files so languages alternate.
    let mut corpus = Vec::with_capacity(items);
    let longest = lists.iter().map(Vec::len).max().unwrap_or(0);
    for i in 0..longest {
        for list in &mut lists {
            if let Some(r) = list.get_mut(i) {
                corpus.push(std::mem::take(r));
            }
        }
    }
    corpus.truncate(items);
    if corpus.is_empty() {
        bail!("no readable item in {files:?}");
    }
    let chars: usize = corpus
        .iter()
        .map(|r| r.title.chars().count() + r.body.chars().count())
        .sum();
    println!(
        "{} items ({} characters on average), one thread, median of {runs} runs",
        corpus.len(),
        chars / corpus.len()
    );
    let rules = Enricher::from_config(config)?;
    let full = Enricher::from_config_with_models(config)?;
    if !full.has_topic_model() || !full.has_sentiment_model() {
        bail!(
            "the topic and sentiment models must both load: run `rasd train topics` and `rasd train sentiment`"
        );
    }
    let (rate, _) = median_rate(&corpus, runs, |r| {
        std::hint::black_box(rules.classify(&r.title, &r.body, None));
    });
    println!("rules, places, police flag, language, fingerprint: items_per_s={rate:.0}");
    let topic_model = TopicModel::from_bytes(&std::fs::read(
        config.resolve(&config.settings.enrich.topic_model),
    )?)?;
    let (rate, _) = median_rate(&corpus, runs, |r| {
        std::hint::black_box(topic_model.probabilities(&r.title, &r.body));
    });
    println!("topic model alone: items_per_s={rate:.0}");
    let sentiment = SentimentModel::from_bytes(&std::fs::read(
        config.resolve(&config.settings.enrich.sentiment_model),
    )?)?;
    let (rate, _) = median_rate(&corpus, runs, |r| {
        std::hint::black_box(sentiment.predict(&rasd_enrich::sentiment_text(&r.title, &r.body)));
    });
    println!("sentiment model alone: items_per_s={rate:.0}");
    let (rate, secs) = median_rate(&corpus, runs, |r| {
        std::hint::black_box(full.classify(&r.title, &r.body, None));
    });
    println!(
        "items={} seconds={secs:.3} items_per_s={rate:.0}",
        corpus.len()
    );
    Ok(())
}
