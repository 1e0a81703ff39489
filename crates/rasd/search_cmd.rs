//! `rasd search` (a page of hits, or every hit as CSV or JSON lines) and `rasd searches`
//! (saved searches: add, list, remove). Filters go through [`rasd_search::apply_filters`],
//! the function the search page and the API use, so a bad value reads the same everywhere
//! and an unknown topic or place id fails with the list of known ones.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::Path;

use anyhow::{Context as _, bail};
use chrono::Utc;
use rasd_core::Config;
use rasd_search::{KnownIds, MAX_EXPORT, SearchIndex, SearchQuery, SearchResults, apply_filters};
use rasd_store::Store;

use crate::{open_store_existing, pipeline};

/// The filter flags shared by `rasd search` and `rasd searches add`.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct FilterArgs {
    /// Only this language: ar, en or other.
    #[arg(long)]
    pub lang: Option<String>,
    /// Only these topic ids (repeat, or separate with commas: any of them).
    #[arg(long)]
    pub topic: Vec<String>,
    /// Only these governorate ids (repeat, or separate with commas: any of them).
    #[arg(long)]
    pub place: Vec<String>,
    /// Only these source ids (repeat, or separate with commas: any of them).
    #[arg(long)]
    pub source: Vec<String>,
    /// Only this sentiment: positive, negative or neutral (repeat for any of several).
    #[arg(long)]
    pub sentiment: Vec<String>,
    /// Only items about the police (yes) or not (no).
    #[arg(long)]
    pub police: Option<String>,
    /// Only articles (article) or public submissions (comment).
    #[arg(long)]
    pub kind: Option<String>,
}

impl FilterArgs {
    /// The flags as a filter map (the form saved searches keep).
    pub fn to_map(&self) -> BTreeMap<String, Vec<String>> {
        let mut m = BTreeMap::new();
        let mut put = |name: &str, values: Vec<String>| {
            if !values.is_empty() {
                m.insert(name.to_string(), values);
            }
        };
        put("lang", self.lang.iter().cloned().collect());
        put("topic", self.topic.clone());
        put("place", self.place.clone());
        put("source", self.source.clone());
        put("sentiment", self.sentiment.clone());
        put("police", self.police.iter().cloned().collect());
        put("kind", self.kind.iter().cloned().collect());
        m
    }
}

/// How `rasd search` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// A page of hits for people, matched words between [[ ]].
    Text,
    /// A page of hits, the total and the facets, as the API gives them.
    Json,
    /// Every hit (up to --max) as CSV, UTF-8 with a byte-order mark.
    Csv,
    /// Every hit (up to --max) as JSON lines.
    Jsonl,
}

/// What `rasd search` was asked.
#[derive(Debug)]
pub struct SearchArgs<'a> {
    pub query: &'a [String],
    pub filters: &'a FilterArgs,
    pub saved: Option<&'a str>,
    pub limit: usize,
    pub page: usize,
    pub sort: Option<&'a str>,
    pub format: Format,
    pub max: usize,
    pub out: Option<&'a Path>,
}

/// Builds the query: the saved search's text and filters (when named) with the command
/// line's words and filters added.
pub fn build_query(
    config: &Config,
    store: Option<&Store>,
    saved: Option<&str>,
    words: &[String],
    filters: &BTreeMap<String, Vec<String>>,
) -> anyhow::Result<SearchQuery> {
    let (topics, places) = (config.topic_ids(), config.governorate_ids());
    let known = KnownIds {
        topics: &topics,
        places: &places,
    };
    let mut q = SearchQuery {
        tz: Some(config.settings.tz()),
        ..SearchQuery::default()
    };
    let mut text = Vec::new();
    if let Some(name) = saved {
        let store = store.context("saved searches live in the store, and there is none yet")?;
        let Some(s) = store.saved_search(name)? else {
            let names: Vec<String> = store
                .saved_searches()?
                .into_iter()
                .map(|s| s.name)
                .collect();
            bail!(
                "there is no saved search {name:?}; {}",
                if names.is_empty() {
                    "none is saved yet (rasd searches add NAME QUERY…)".to_string()
                } else {
                    format!("the saved searches are: {}", names.join(", "))
                }
            );
        };
        apply_filters(&mut q, &s.filters, known)
            .with_context(|| format!("the saved search {name:?} no longer fits the config"))?;
        text.push(s.query);
    }
    apply_filters(&mut q, filters, known)?;
    text.extend(words.iter().cloned());
    q.text = text.join(" ").trim().to_string();
    Ok(q)
}

/// Opens the index of the data folder for searching.
pub fn open_index(config: &Config, dir: &Path) -> anyhow::Result<SearchIndex> {
    if !dir.join("search").exists() {
        bail!(
            "no search index in {}: run `rasd demo`, `rasd fetch` or `rasd run` first",
            dir.display()
        );
    }
    let index =
        pipeline::open_index_for_reading(dir)?.with_place_names(pipeline::place_names(config));
    if let Ok(store) = open_store_existing(dir)
        && let Ok(lag) = pipeline::index_lag(&store, &index)
        && lag.lag > 0
    {
        eprintln!(
            "note: the index is {} changes behind the store; the newest items may be missing \
             until rasd next writes to this folder (or `rasd reindex`)",
            lag.lag
        );
    }
    Ok(index)
}

/// Runs `rasd search`.
pub fn search(config: &Config, dir: &Path, args: &SearchArgs<'_>) -> anyhow::Result<()> {
    let index = open_index(config, dir)?;
    let store = open_store_existing(dir).ok();
    let mut q = build_query(
        config,
        store.as_ref(),
        args.saved,
        args.query,
        &args.filters.to_map(),
    )?;
    q.by_date = match args.sort {
        None => None,
        Some("date" | "newest") => Some(true),
        Some("relevance" | "score") => Some(false),
        Some(other) => bail!("unknown --sort {other:?}: use date (newest first) or relevance"),
    };
    if args.limit == 0 || args.limit > rasd_search::MAX_LIMIT {
        bail!(
            "--limit {} is out of range: use 1 to {}",
            args.limit,
            rasd_search::MAX_LIMIT
        );
    }
    if args.page == 0 {
        bail!("--page counts from 1");
    }
    q.limit = args.limit;
    q.offset = (args.page - 1).saturating_mul(args.limit);
    let tz = config.settings.tz();
    match args.format {
        Format::Csv | Format::Jsonl => {
            if args.max == 0 || args.max > MAX_EXPORT {
                bail!("--max {} is out of range: use 1 to {MAX_EXPORT}", args.max);
            }
            let results = index.export(&q, args.max)?;
            let mut out: Box<dyn std::io::Write> = match args.out {
                Some(path) => Box::new(std::io::BufWriter::new(
                    std::fs::File::create(path)
                        .with_context(|| format!("cannot write {}", path.display()))?,
                )),
                None => Box::new(std::io::BufWriter::new(std::io::stdout().lock())),
            };
            if args.format == Format::Csv {
                rasd_search::write_csv(&mut out, &results.hits, tz)?;
            } else {
                rasd_search::write_jsonl(&mut out, &results.hits, tz)?;
            }
            out.flush()?;
            if results.hits.len() < results.total {
                eprintln!(
                    "note: {} of {} matching items written (raise --max, up to {MAX_EXPORT}, or \
                     narrow the search)",
                    results.hits.len(),
                    results.total
                );
            } else if let Some(path) = args.out {
                eprintln!("{} items written to {}", results.hits.len(), path.display());
            }
        }
        Format::Json => {
            let results = index.search(&q)?;
            println!("{}", serde_json::to_string_pretty(&results)?);
        }
        Format::Text => print_text(&index.search(&q)?, &q, tz),
    }
    Ok(())
}

fn print_text(results: &SearchResults, q: &SearchQuery, tz: chrono_tz::Tz) {
    let limit = q.limit.max(1);
    let pages = results.total.div_ceil(limit).max(1);
    println!(
        "{} results (page {} of {pages})",
        results.total,
        q.offset / limit + 1
    );
    for h in &results.hits {
        let when = h
            .published
            .map(|d| d.with_timezone(&tz).format("%Y-%m-%d %H:%M %Z").to_string())
            .unwrap_or_default();
        let mut marks = String::new();
        if let Some(s) = h.sentiment {
            marks.push_str(&format!(" · {} {:+.2}", s.label.as_str(), s.score));
        }
        if h.about_police {
            marks.push_str(" · police");
        }
        println!(
            "\n{}\n  {} · {} · {} · [{}] [{}]{marks}\n  {}\n  {}",
            h.title,
            h.source,
            when,
            h.lang,
            h.topics.join(", "),
            h.places.join(", "),
            h.snippet_marked,
            h.url
        );
    }
}

/// `rasd searches add NAME QUERY…`: checks the query and filters, then saves them.
pub fn add(
    config: &Config,
    store: &Store,
    name: &str,
    words: &[String],
    filters: &FilterArgs,
) -> anyhow::Result<()> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        bail!("a saved search needs a name of 1 to 100 characters");
    }
    let filters = filters.to_map();
    let q = build_query(config, Some(store), None, words, &filters)?;
    SearchIndex::check_query(&q.text)?;
    let replaced = store.save_search(name, &q.text, &filters, None, Utc::now())?;
    println!(
        "{} the saved search {name:?}: {}",
        if replaced { "replaced" } else { "saved" },
        describe(&q.text, &filters)
    );
    Ok(())
}

/// `rasd searches list`.
pub fn list(store: &Store, json: bool) -> anyhow::Result<()> {
    let all = store.saved_searches()?;
    if json {
        println!("{}", serde_json::to_string_pretty(&all)?);
        return Ok(());
    }
    if all.is_empty() {
        println!("no saved searches (rasd searches add NAME QUERY… saves one)");
    }
    for s in all {
        println!("{}\t{}", s.name, describe(&s.query, &s.filters));
    }
    Ok(())
}

/// `rasd searches remove NAME`.
pub fn remove(store: &Store, name: &str) -> anyhow::Result<()> {
    if !store.remove_saved_search(name)? {
        bail!("there is no saved search {name:?} (rasd searches list shows them)");
    }
    println!("removed the saved search {name:?}");
    Ok(())
}

/// A saved search in one line: the query and its filters.
fn describe(query: &str, filters: &BTreeMap<String, Vec<String>>) -> String {
    let mut parts = vec![if query.is_empty() {
        "(every item)".to_string()
    } else {
        query.to_string()
    }];
    for (k, v) in filters {
        parts.push(format!("{k}={}", v.join(",")));
    }
    parts.join(" · ")
}
