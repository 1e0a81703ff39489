//! `rasd train sentiment` and `rasd eval sentiment`: the two sentiment models, Arabic and
//! English.
//!
//! What the classes mean for the office is written in `data/eval/audit/GUIDE.md` and
//! `docs/enrichment.md`: a plain report, even of a crime or a death, is neutral; an
//! evaluative stance (praise, criticism, complaint) or an emotional reaction the text itself
//! expresses (grief, anger, joy) is positive or negative. Both models are trained to that:
//! the Arabic one on AJGT's and ArSarcasm's training rows, the project's own lines and the
//! Arabic news of the audit set's training folds; the English one on GoEmotions' and
//! NewsMTSC's training rows, the English news of the audit set's training folds and the own
//! English lines. The audit set's test fold ([`audit_cmd::is_test_fold`]) is never read
//! for training.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context as _, bail};
use rasd_core::{Config, Lang, Polarity};
use rasd_enrich::metrics::SingleLabel;
use rasd_enrich::sentiment::{Source, TrainingData};
use rasd_enrich::{Record, SentimentModel, read_records};
use tracing::{info, warn};

use crate::audit_cmd;
use crate::classify_cmd::{open_input, write_model};

/// Which model `rasd train sentiment` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Which {
    /// Both: the Arabic (main) model and the English one.
    Both,
    /// The Arabic model (`[enrich] sentiment_model`).
    Ar,
    /// The English model (`[enrich] sentiment_model_en`).
    En,
}

/// The files `rasd train sentiment` reads; `None` for a shared file means its usual place
/// under the shared data folder.
#[derive(Debug, Clone)]
pub struct TrainSources<'a> {
    pub ajgt: Option<&'a Path>,
    pub arsarcasm: Option<&'a Path>,
    pub goemotions: Option<&'a Path>,
    pub newsmtsc: Option<&'a Path>,
    /// The project's own labelled lines (Arabic and English).
    pub seed_data: &'a Path,
    /// The audit labels (a folder or file), `None` to leave them out.
    pub audit: Option<&'a Path>,
}

/// Reads labelled sentiment records; a line with an unknown label is reported, and lines
/// whose label is null (the shared English sets, where the mapping is unclear) are counted.
pub fn sentiment_records(data: &Path) -> anyhow::Result<Vec<(Record, Polarity)>> {
    let mut out = Vec::new();
    let mut unlabelled = 0usize;
    for rec in read_records(open_input(Some(data))?) {
        match rec {
            Err(e) => warn!(line = e.line, id = %e.id, error = %e.message, "Line skipped."),
            Ok(r) => match r.label.as_deref().map(|l| (l, Polarity::parse(l))) {
                Some((_, Some(p))) => out.push((r, p)),
                None => unlabelled += 1,
                Some((label, None)) => warn!(
                    line = r.line, id = %r.id, label = %label,
                    fix = "write \"label\": \"positive\", \"negative\" or \"neutral\"",
                    "Line skipped."
                ),
            },
        }
    }
    if unlabelled > 0 {
        info!(
            file = %data.display(),
            lines = unlabelled,
            "Lines without a sentiment (no \"label\", or \"sentiment\": null) left out."
        );
    }
    if out.is_empty() {
        bail!(
            "{}: no usable line: write JSON lines with \"text\" and \"label\"",
            data.display()
        );
    }
    Ok(out)
}

/// A shared data file: `given`, else `rel` under the shared data folder.
fn shared_file(rel: &str, given: Option<&Path>) -> anyhow::Result<PathBuf> {
    match given {
        Some(p) => Ok(p.to_path_buf()),
        None => rasd_core::shared_data::shared_data(rel).with_context(|| {
            format!(
                "{rel} not found in the shared data folder: put shared/data beside the \
                 repository, set RASD_SHARED_DATA, or pass the file"
            )
        }),
    }
}

/// True when `text` has no Arabic letter (the seed file mixes Arabic and English lines).
fn is_latin(text: &str) -> bool {
    !text.chars().any(rasd_core::text::is_arabic_letter)
}

/// The training rows (split `train`, a clean label) of a shared English file.
fn english_rows(path: &Path, source: Source) -> anyhow::Result<Rows> {
    Ok(sentiment_records(path)?
        .into_iter()
        .filter(|(r, _)| r.split.as_deref() == Some("train"))
        .map(|(r, p)| (r.full_text(), p, source))
        .collect())
}

/// Training rows of one language: (text, label, source).
type Rows = Vec<(String, Polarity, Source)>;

/// The audit set's training-fold rows, Arabic and English, as the enricher reads an item
/// (title and lead); the shared texts are read once for both.
fn audit_rows(audit: &Path) -> anyhow::Result<(Rows, Rows)> {
    let shared = rasd_core::shared_data::shared_data_dir()
        .context("the shared data folder is not found: set RASD_SHARED_DATA")?;
    let (mut ar, mut en) = (Vec::new(), Vec::new());
    for (label, title, body) in audit_cmd::labelled_texts(audit, &shared)? {
        if audit_cmd::is_test_fold(&label.src, &label.id) {
            continue;
        }
        if let Some(p) = Polarity::parse(&label.sentiment) {
            let side = if label.src == "ar_news" {
                &mut ar
            } else {
                &mut en
            };
            side.push((rasd_enrich::sentiment_text(&title, &body), p, Source::Audit));
        }
    }
    Ok((ar, en))
}

/// `rasd train sentiment [--lang both|ar|en] …`: trains the models on training rows only
/// and writes them where `[enrich]` says (or `--out` / `--out-en`).
pub fn train_sentiment(
    config: &Config,
    which: Which,
    sources: &TrainSources,
    out: Option<&Path>,
    out_en: Option<&Path>,
    seed: u64,
) -> anyhow::Result<()> {
    let load = rasd_enrich::sentiment::load_jsonl;
    let seed_rows = load(sources.seed_data)
        .with_context(|| format!("cannot read {}", sources.seed_data.display()))?;
    let (audit_ar, audit_en) = match sources.audit {
        Some(a) => audit_rows(a)?,
        None => (Vec::new(), Vec::new()),
    };
    if which != Which::En {
        let ajgt = shared_file("sentiment/ajgt.jsonl", sources.ajgt)?;
        let arsarcasm = shared_file("sentiment/arsarcasm.jsonl", sources.arsarcasm)?;
        let data = TrainingData {
            ajgt: load(&ajgt).context("cannot read the AJGT rows")?,
            arsarcasm: load(&arsarcasm).context("cannot read the ArSarcasm rows")?,
            seed: seed_rows.clone(),
            extra: audit_ar,
        };
        let rows = data.train_rows().len();
        let start = Instant::now();
        let model = rasd_enrich::sentiment::train_default(&data, seed);
        let path = out.map_or_else(
            || config.resolve(&config.settings.enrich.sentiment_model),
            Path::to_path_buf,
        );
        let bytes = model.to_bytes();
        write_model(&path, &bytes)?;
        println!(
            "Arabic: trained on {rows} rows (AJGT and ArSarcasm training rows, {} own lines, {} \
             audit lines) in {:.1}s (seed {seed}); wrote {} ({} bytes)",
            data.seed.len(),
            data.extra.len(),
            start.elapsed().as_secs_f64(),
            path.display(),
            bytes.len()
        );
    }
    if which != Which::Ar {
        let goemotions = shared_file("real/en_goemotions_sentiment.jsonl.gz", sources.goemotions)?;
        let newsmtsc = shared_file("real/en_newsmtsc_sentences.jsonl.gz", sources.newsmtsc)?;
        let mut rows = english_rows(&goemotions, Source::Posts)?;
        let posts = rows.len();
        rows.extend(english_rows(&newsmtsc, Source::NewsSentences)?);
        let sentences = rows.len() - posts;
        let own: Vec<_> = seed_rows
            .iter()
            .filter(|e| is_latin(&e.text))
            .map(|e| (e.text.clone(), e.label, Source::Seed))
            .collect();
        let own_count = own.len();
        rows.extend(own);
        let audit_count = audit_en.len();
        rows.extend(audit_en);
        let start = Instant::now();
        let model = rasd_enrich::sentiment::train_with(
            &rows,
            rasd_enrich::sentiment::english_settings(),
            seed,
        );
        let path = out_en.map_or_else(
            || config.resolve(&config.settings.enrich.sentiment_model_en),
            Path::to_path_buf,
        );
        let bytes = model.to_bytes();
        write_model(&path, &bytes)?;
        println!(
            "English: trained on {} rows ({posts} GoEmotions posts, {sentences} NewsMTSC \
             sentences, {own_count} own lines, {audit_count} audit lines) in {:.1}s (seed \
             {seed}); wrote {} ({} bytes)",
            rows.len(),
            start.elapsed().as_secs_f64(),
            path.display(),
            bytes.len()
        );
    }
    Ok(())
}

/// Which rows of a file `rasd eval sentiment` scores.
#[derive(Debug, Clone, Default)]
pub struct EvalRows {
    /// Only held-out rows (see [`Record::is_test_row`]).
    pub test_rows: bool,
    /// Only rows of this `split`.
    pub split: Option<String>,
}

/// Reads a model file, saying how to get one when it is missing.
fn read_model(path: &Path) -> anyhow::Result<SentimentModel> {
    let bytes = std::fs::read(path).with_context(|| {
        format!(
            "cannot read the sentiment model {}: run `rasd train sentiment`",
            path.display()
        )
    })?;
    SentimentModel::from_bytes(&bytes)
        .with_context(|| format!("{} is not a sentiment model", path.display()))
}

/// `rasd eval sentiment --data FILE.jsonl [--test-rows] [--split S] [--model F] [--model-en F]`:
/// prints [`score`]'s report.
pub fn eval_sentiment(
    config: &Config,
    data: &Path,
    models: (Option<&Path>, Option<&Path>),
    rows: &EvalRows,
) -> anyhow::Result<()> {
    let (tally, polar) = score(config, data, models, rows)?;
    if polar {
        println!("(no neutral line in the data: each prediction is positive or negative)");
    }
    print!("{}", tally.report());
    Ok(())
}

/// The models against the gold labels of `data`, and whether the data is polar (no neutral
/// line). Each line is read by the model of its language, as items are (English lines by
/// the English model when there is one). When the gold file has no neutral line (AJGT),
/// each prediction is the likelier of positive and negative.
pub fn score(
    config: &Config,
    data: &Path,
    models: (Option<&Path>, Option<&Path>),
    rows: &EvalRows,
) -> anyhow::Result<(SingleLabel, bool)> {
    let mut records = sentiment_records(data)?;
    if rows.test_rows {
        records.retain(|(r, _)| r.is_test_row());
    }
    if let Some(split) = &rows.split {
        records.retain(|(r, _)| r.split.as_deref() == Some(split.as_str()));
    }
    if records.is_empty() {
        bail!(
            "{}: no row left to score (--test-rows keeps \"split\": \"test\" or numeric ids \
             divisible by 5; --split keeps that split)",
            data.display()
        );
    }
    let main = read_model(&models.0.map_or_else(
        || config.resolve(&config.settings.enrich.sentiment_model),
        Path::to_path_buf,
    ))?;
    let en_path = models.1.map_or_else(
        || config.resolve(&config.settings.enrich.sentiment_model_en),
        Path::to_path_buf,
    );
    let english = if en_path.exists() || models.1.is_some() {
        Some(read_model(&en_path)?)
    } else {
        warn!(file = %en_path.display(), "No English sentiment model: English lines are read by the main one.");
        None
    };
    let polar = !records.iter().any(|(_, p)| *p == Polarity::Neutral);
    let classes: Vec<&str> = if polar {
        vec!["positive", "negative"]
    } else {
        Polarity::ALL.iter().map(|p| p.as_str()).collect()
    };
    let mut tally = SingleLabel::new(&classes);
    for (r, gold) in &records {
        let text = r.full_text();
        let lang = rasd_enrich::lang::detect_language_of(&r.title, &r.body, None);
        let model = match (&english, lang) {
            (Some(en), Lang::En) => en,
            _ => &main,
        };
        let label = if polar {
            model.predict_polar(&text).label
        } else {
            model.predict(&text).label
        };
        tally.add(gold.as_str(), label.as_str());
    }
    Ok((tally, polar))
}
