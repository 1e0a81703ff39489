//! `rasd import forms FILE.csv --map COLUMN=FIELD,…`: the CSV export of another form tool
//! loaded as public-form submissions (`via = "import"`), each row the way the form takes one:
//! checked by [`rasd_web::report::validate`], made a submission by
//! [`rasd_web::report::new_submission`] (its text an item of kind comment from source `form`,
//! tagged by the enricher), stored with [`rasd_store::Store::add_submissions`] in batches of
//! [`BATCH`], then indexed, given its story and read by the alert rules as `rasd import items`
//! does, so it is searchable at once.
//!
//! The file is read by [`rasd_web::forms_csv`]: before any row is read, the map
//! ([`ColumnMap`]) is checked against the header: an unknown field, a column the header
//! lacks, a field or column mapped twice and a missing `text` are refused with what to
//! write, and nothing is opened. The bytes are read by [`decode`]: a BOM wins, valid UTF-8
//! stays UTF-8 (so does UTF-8 with a few damaged bytes, whose rows are then unreadable),
//! anything else is windows-1256. A bad row is reported with its line and reason and
//! skipped. Every row gets a stable reference, so importing a file twice stores nothing
//! twice.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::Arc;

use anyhow::{Context as _, bail};
use chrono::{DateTime, Utc};
use rasd_core::{Config, Lang};
use rasd_store::NewSubmission;
use rasd_web::forms_csv::{ColumnMap, OpenError, Row, Table, decode};
use rasd_web::report::new_submission;

use crate::pipeline::{Pipeline, assign_stories, catch_up, evaluate_alerts};

/// Submissions tagged and stored per transaction.
pub const BATCH: usize = 500;

/// The `via` of every imported submission.
const VIA: &str = "import";

/// What an import did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct FormsSummary {
    /// Rows read (blank rows aside).
    pub rows: usize,
    /// Submissions stored.
    pub imported: usize,
    /// Rows whose reference was stored already (this file imported before), or repeated in
    /// the file.
    pub already: usize,
    /// Rows that could not be read as submissions.
    pub refused: usize,
    /// How the bytes were read.
    pub encoding: String,
    /// Values the config does not know, by field, with how many rows had each.
    pub unknown: BTreeMap<&'static str, BTreeMap<String, usize>>,
}

/// The open store, index writer and story assigner a batch goes through.
struct Sink {
    p: Pipeline,
    writer: rasd_search::IndexSink,
    stories: Option<rasd_detect::StoryKeeper>,
    now: DateTime<Utc>,
}

impl Sink {
    /// Tags and stores the rows not stored yet (one transaction), then brings the index, the
    /// stories and the alert rules up to the store.
    fn flush(&mut self, rows: &mut Vec<Row>, summary: &mut FormsSummary) -> anyhow::Result<()> {
        let mut batch: Vec<NewSubmission> = Vec::with_capacity(rows.len());
        for row in rows.drain(..) {
            if self
                .p
                .store
                .submission(&row.reference)
                .context("cannot read the store")?
                .is_some()
            {
                summary.already += 1;
                continue;
            }
            let mut input = row.input;
            input.lang = row.lang.map(str::to_string);
            let mut s = new_submission(
                &self.p.enricher,
                &input,
                &row.reference,
                VIA,
                row.created.unwrap_or(self.now),
                self.now,
            );
            if row.lang.is_none() {
                s.lang = match s.item.tags.lang {
                    Lang::En => "en",
                    _ => "ar",
                }
                .into();
            }
            batch.push(s);
        }
        if batch.is_empty() {
            return Ok(());
        }
        match self.p.store.add_submissions(&batch) {
            Ok(n) => summary.imported += n,
            // A reference taken meanwhile: store the others one by one.
            Err(rasd_store::Error::Refused(_)) => {
                for s in &batch {
                    match self.p.store.add_submission(s) {
                        Ok(()) => summary.imported += 1,
                        Err(rasd_store::Error::Refused(_)) => summary.already += 1,
                        Err(e) => {
                            return Err(e).context("cannot store an imported submission");
                        }
                    }
                }
            }
            Err(e) => return Err(e).context("cannot store a batch of imported submissions"),
        }
        catch_up(&self.p.store, &mut self.writer)?;
        assign_stories(&self.p.store, &self.p.config, &mut self.stories)?;
        evaluate_alerts(&self.p);
        Ok(())
    }
}

/// Runs the import (see the module docs). Fails before anything is opened when the map does
/// not fit the file, and at the end when the file has rows and none could be read.
pub async fn run(
    config: Arc<Config>,
    dir: &Path,
    file: &Path,
    map: &[String],
) -> anyhow::Result<FormsSummary> {
    let map = ColumnMap::parse(map).map_err(anyhow::Error::msg)?;
    let bytes = std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
    let (text, encoding) = decode(&bytes);
    let mut table = match Table::open(&text, &map, &config) {
        Ok(t) => t,
        Err(OpenError::Header(e)) => {
            return Err(anyhow::Error::new(e))
                .with_context(|| format!("cannot read the header of {}", file.display()));
        }
        Err(OpenError::Empty) => bail!(
            "{} is empty: its first line must name the columns (then --map COLUMN=FIELD,…)",
            file.display()
        ),
        Err(OpenError::Map(e)) => bail!("{}: {e}", file.display()),
    };
    let now = Utc::now();
    let p = Pipeline::open(config.clone(), dir)?;
    let writer = p
        .index
        .writer_with_threads(crate::reindex_cmd::bulk_threads())
        .context("cannot open the index writer (is another rasd running on this data folder?)")?;
    let mut sink = Sink {
        p,
        writer,
        stories: None,
        now,
    };
    let mut summary = FormsSummary {
        encoding,
        ..FormsSummary::default()
    };
    let mut seen: HashMap<String, u64> = HashMap::new();
    let mut pending: Vec<Row> = Vec::with_capacity(BATCH);
    while let Some(row) = table.next_row(&config) {
        summary.rows += 1;
        match row {
            (_, Ok(row)) => {
                if let Some(first) = seen.get(&row.reference) {
                    eprintln!(
                        "{}:{}: row skipped: same reference ({}) as line {first}, counted as already there",
                        file.display(),
                        row.line,
                        row.reference
                    );
                    summary.already += 1;
                    continue;
                }
                seen.insert(row.reference.clone(), row.line);
                for (field, value) in &row.unknown {
                    *summary
                        .unknown
                        .entry(field.name())
                        .or_default()
                        .entry(value.clone())
                        .or_default() += 1;
                }
                pending.push(row);
            }
            (line, Err(why)) => {
                summary.refused += 1;
                eprintln!("{}:{line}: row skipped: {why}", file.display());
            }
        }
        if pending.len() >= BATCH {
            sink.flush(&mut pending, &mut summary)?;
        }
    }
    sink.flush(&mut pending, &mut summary)?;
    println!(
        "{} rows read from {} as {}: {} imported, {} already there, {} refused",
        summary.rows,
        file.display(),
        summary.encoding,
        summary.imported,
        summary.already,
        summary.refused
    );
    for (field, what) in [
        ("category", "categories not in topics.toml, stored as other"),
        ("governorate", "governorates not in places.toml, left empty"),
        ("lang", "languages other than ar or en, taken from the text"),
    ] {
        let Some(values) = summary.unknown.get(field) else {
            continue;
        };
        let rows: usize = values.values().sum();
        let mut listed: Vec<(&String, &usize)> = values.iter().collect();
        listed.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        let mut shown: Vec<String> = listed
            .iter()
            .take(10)
            .map(|(v, n)| format!("{v:?} ×{n}"))
            .collect();
        if listed.len() > 10 {
            shown.push(format!("and {} more", listed.len() - 10));
        }
        let rows = if rows == 1 {
            "1 row".to_string()
        } else {
            format!("{rows} rows")
        };
        println!("{what} ({rows}): {}", shown.join(", "));
    }
    if summary.rows > 0 && summary.imported + summary.already == 0 {
        bail!(
            "no row of {} could be read as a submission (the reason for each is above)",
            file.display()
        );
    }
    Ok(summary)
}
