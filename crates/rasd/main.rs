//! `rasd`: the command line and the daemon. Wires the stages (see `pipeline`), the
//! scheduler (see `daemon`) and the bundled demo (see `demo` and `demo_cmd`).

mod alerts_cmd;
mod audit_cmd;
mod backup_cmd;
mod classify_cmd;
mod daemon;
mod demo;
mod demo_cmd;
mod form_bench;
mod fts5;
mod import_cmd;
mod import_forms_cmd;
mod pipeline;
mod pipeline_bench;
mod reindex_cmd;
mod replay_cmd;
mod search_api_bench;
mod search_bench;
mod search_cmd;
mod search_recall;
mod sentiment_cmd;
mod soak_cmd;
mod store_bench;
mod stories_cmd;
mod tools;
mod web_cmd;
mod workers;
mod workers_bench;

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context as _, bail};
use chrono::{NaiveDate, Utc};
use clap::{Parser, Subcommand};
use rasd_core::Config;
use rasd_search::SearchIndex;
use rasd_store::Store;

/// Rasd (رصد): collects news and public comments, tags them with security-incident topics
/// and places, makes them searchable and writes a daily digest.
#[derive(Debug, Parser)]
#[command(name = "rasd", version, about, long_about = None)]
struct Cli {
    /// The config folder (rasd.toml, sources.toml, topics.toml, places.toml, alerts.toml).
    #[arg(long, global = true, default_value = "config", value_name = "DIR")]
    config: PathBuf,
    /// The data folder (store and index); overrides `data_dir` in rasd.toml.
    #[arg(long, global = true, value_name = "DIR")]
    data_dir: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Load and validate every file of a config folder.
    CheckConfig {
        /// The folder to check (default: --config).
        dir: Option<PathBuf>,
    },
    /// Run the daemon: poll each source on its interval, write the digest on schedule, serve
    /// the web UI (and the public form when `[server] public_listen` is set). Stops cleanly
    /// on Ctrl-C or SIGTERM. With `--role`, one part of that work, shared with other
    /// workers through the store (PostgreSQL, `[store] url`), each in its own data folder.
    Run {
        /// `all`: everything in one process. `fetch`: fetch due sources and queue their
        /// items. `process`: tag and store queued items; the index, stories, alerts and
        /// outbox follow the store. `web`: serve the web UI; its index follows the store.
        #[arg(long, value_enum, default_value_t = workers::Role::All)]
        role: workers::Role,
    },
    /// Serve the web UI and the public form without fetching: submissions are tagged,
    /// indexed and read by the alert rules, and the outbox sends. Stops on Ctrl-C or SIGTERM.
    Serve {
        /// The analysts' address (default: [server] listen).
        #[arg(long, value_name = "IP:PORT")]
        addr: Option<String>,
        /// The public form's address (default: [server] public_listen; off when unset).
        #[arg(long, value_name = "IP:PORT")]
        public_addr: Option<String>,
    },
    /// The web's users and API keys: add, list, disable, enable, reset, role, key,
    /// revoke-key. Every change goes to the audit log.
    Users {
        #[command(subcommand)]
        action: web_cmd::UsersAction,
    },
    /// Serve the bundled sample on 127.0.0.1, run the whole pipeline on it, write the digest,
    /// then serve the search page until Ctrl-C.
    Demo {
        /// Do one cycle and exit.
        #[arg(long)]
        once: bool,
    },
    /// Fetch every enabled source once, then exit.
    Fetch,
    /// The stories carried by two or more outlets lately, breaking ones first.
    Stories {
        /// How far back, such as "24h" or "7d".
        #[arg(long, default_value = "24h")]
        since: rasd_core::Interval,
        /// At most this many.
        #[arg(long, default_value_t = 20)]
        limit: usize,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// The alerts raised by the rules of alerts.toml, newest first, with their messages;
    /// acknowledge one, send what is due, or queue dead messages again.
    Alerts {
        #[command(subcommand)]
        action: Option<AlertsAction>,
        /// How far back, such as "24h" or "7d".
        #[arg(long, default_value = "7d")]
        since: rasd_core::Interval,
        /// Only alerts in this state: open or acknowledged.
        #[arg(long)]
        state: Option<String>,
        /// At most this many.
        #[arg(long, default_value_t = 50)]
        limit: usize,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Load archived items, or another form tool's submissions, into the store and the index.
    Import {
        #[command(subcommand)]
        what: ImportWhat,
    },
    /// Feed archived items (JSON lines: title, body, published, source, owner…) through the
    /// live pipeline in time order with a simulated clock: stories, alert rules, quiet hours
    /// and escalation behave as on those days, and messages really go out.
    Replay {
        /// The file (`.jsonl` or `.jsonl.gz`; `-` reads standard input).
        file: PathBuf,
        /// Play this many simulated seconds per real second (default: as fast as possible).
        #[arg(long, conflicts_with = "instant")]
        speed: Option<f64>,
        /// As fast as possible (the default).
        #[arg(long)]
        instant: bool,
        /// How far simulated time moves per cycle, such as "1m" or "5m".
        #[arg(long, default_value = "1m")]
        cycle: rasd_core::Interval,
    },
    /// What is trending: topics, governorates, salient words and negative coverage of the
    /// police with more distinct stories in the last hour or day than the days before make
    /// likely, with the evidence (count, baseline, probability, outlets, first item, link).
    Trends {
        /// The time to look from (RFC 3339; default: now).
        #[arg(long)]
        at: Option<String>,
        /// Print JSON lines.
        #[arg(long)]
        json: bool,
    },
    /// Counts of items and sources.
    Status {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Search the index: a page of hits, or every hit as CSV or JSON lines.
    Search {
        /// The query: all words must appear (Arabic matches whatever the diacritics and hamza
        /// forms); "quotes" for a phrase; -word excludes (put `--` before a query that starts
        /// with -); since:7d, after:2026-11-01, before:…, sort:date. No words: every item that
        /// passes the filters, newest first.
        query: Vec<String>,
        /// Run a saved search (`rasd searches list`), with these words and filters added.
        #[arg(long)]
        saved: Option<String>,
        #[command(flatten)]
        filters: search_cmd::FilterArgs,
        /// Hits per page (1–1000).
        #[arg(long, default_value_t = 10)]
        limit: usize,
        /// Which page of hits (from 1).
        #[arg(long, default_value_t = 1)]
        page: usize,
        /// Order: date (newest first) or relevance (the default with words).
        #[arg(long)]
        sort: Option<String>,
        /// Output: text, json (a page with facets), csv or jsonl (every hit, up to --max).
        #[arg(long, value_enum, default_value_t = search_cmd::Format::Text)]
        format: search_cmd::Format,
        /// Print JSON (the same as --format json).
        #[arg(long)]
        json: bool,
        /// Most hits a csv or jsonl export writes.
        #[arg(long, default_value_t = 10_000)]
        max: usize,
        /// Write the csv or jsonl export to this file instead of standard output.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Saved searches: a name for a query and its filters, run again with
    /// `rasd search --saved NAME`, by alert rules (saved_search) and by the digest.
    Searches {
        #[command(subcommand)]
        action: Option<SearchesAction>,
        /// Print JSON (listing).
        #[arg(long)]
        json: bool,
    },
    /// Write the digest of a day: Markdown on stdout, HTML to a file.
    Digest {
        /// The day (YYYY-MM-DD, in the configured time zone); today by default.
        #[arg(long)]
        date: Option<String>,
        /// Where to write the HTML (default: <data-dir>/digests/<date>.html).
        #[arg(long, value_name = "FILE.html")]
        out: Option<PathBuf>,
    },
    /// Rebuild the search index from the store.
    Reindex,
    /// Copy the data folder's SQLite store into an empty PostgreSQL database, with a
    /// progress bar; then set `[store] url` to it.
    MigrateStore {
        /// The PostgreSQL server and database: `postgres://user[:password]@host[:port]/db`.
        #[arg(long)]
        to: String,
    },
    /// Copy the store into a folder (safe while `rasd run` is running). The search index is
    /// not copied: `rasd restore` rebuilds it from the store.
    Backup {
        /// The folder to write (created; it must not already hold a backup).
        dir: PathBuf,
    },
    /// Replace the data folder's store with a backup and rebuild the search index.
    Restore {
        /// The folder `rasd backup` wrote.
        dir: PathBuf,
        /// Replace an existing store (it is kept beside as rasd.sqlite.before-restore-TIME).
        #[arg(long)]
        force: bool,
    },
    /// Check that the search index holds exactly the stored items.
    Verify,
    /// Tag every stored item again (after `rasd train` or an edit of topics.toml) and
    /// rebuild the search index.
    Retag,
    /// The configured sources and their health; import or export OPML.
    Sources {
        #[command(subcommand)]
        action: Option<SourcesAction>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Parse a feed (a file or a URL) and show what Rasd reads in it.
    Feed {
        /// A file path or an http(s) URL.
        target: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Extract the article from a saved page.
    Extract {
        /// The page (any charset).
        file: PathBuf,
        /// The page's address (resolves relative links, hints the charset).
        #[arg(long)]
        url: Option<String>,
        /// A site rule to try: the CSS selector of the element(s) holding the article text,
        /// as a source's `article_selector` in sources.toml.
        #[arg(long, value_name = "CSS")]
        selector: Option<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Tag JSON lines ({"id", "text"} or {"id", "title", "body"}) and write one JSON line per
    /// input line: id, lang, topics, sentiment, sentiment_score, about_police, places (where
    /// the event happened), places_named (governorates only named), fingerprint. A line that cannot be read gets {"line", "id", "error"}; the rest go on.
    Classify {
        /// The input file; `-` or nothing reads standard input.
        file: Option<PathBuf>,
        /// Also write the topics the rules alone found and the model's probabilities.
        #[arg(long)]
        scores: bool,
        /// Tag with the rules alone (no topic or sentiment model).
        #[arg(long)]
        rules_only: bool,
        /// Also write why: for each topic, the terms of topics.toml that matched or the
        /// model's probability; for the police flag, the names found and where the item is;
        /// for the places, each name found, whether it placed the event or was only named
        /// and why (a marker, a route, a dateline, an origin…); for the sentiment, its score.
        #[arg(long)]
        explain: bool,
    },
    /// Train a model and write it where rasd.toml's [enrich] says (or --out).
    Train {
        #[command(subcommand)]
        what: TrainWhat,
    },
    /// Score a component against gold data.
    Eval {
        #[command(subcommand)]
        what: EvalWhat,
    },
    /// Time a component on the shared benchmark data.
    Bench {
        #[command(subcommand)]
        what: BenchWhat,
    },
}

#[derive(Debug, Subcommand)]
enum ImportWhat {
    /// JSON lines (`title`, `body`, `published` or `date`, and optional `id`, `url`,
    /// `source`, `lang`, `kind`), tagged, stored, indexed and given their stories in batches;
    /// a bad line is reported with its number and skipped; importing twice stores nothing
    /// twice.
    Items {
        /// The file (`.jsonl` or `.jsonl.gz`); `-` reads standard input.
        file: PathBuf,
    },
    /// Another form tool's CSV export, as public-form submissions (`via` import): each row
    /// checked and tagged as the form does, stored, indexed and given its story in batches;
    /// a bad row is reported with its line and skipped; importing twice stores nothing twice.
    Forms {
        /// The CSV file: comma-separated, its first line naming the columns; UTF-8 (with or
        /// without a BOM) or windows-1256.
        file: PathBuf,
        /// Which column holds what: COLUMN=FIELD pairs separated by commas (or the flag
        /// repeated), COLUMN as the header writes it (any script), FIELD one of text
        /// (required), category, governorate, name, contact, date, lang, reference.
        #[arg(long, value_name = "COLUMN=FIELD,…")]
        map: Vec<String>,
    },
}

#[derive(Debug, Subcommand)]
enum AlertsAction {
    /// Acknowledge an alert: it will not escalate.
    Ack {
        /// The alert's number.
        id: u64,
        /// Who acknowledges (default: the user running rasd).
        #[arg(long)]
        by: Option<String>,
    },
    /// Escalate what is due and send every message due now (what `rasd run` does every few
    /// seconds), then exit.
    Send,
    /// Queue the dead messages again (after fixing what made them fail), then send.
    Retry,
}

#[derive(Debug, Subcommand)]
enum SearchesAction {
    /// Save a search: its name, then the query (and filter flags); a name in use is
    /// replaced.
    Add {
        /// The name (any language; quote it when it has spaces).
        name: String,
        /// The query, as `rasd search` reads it (may be empty when filters say it all).
        query: Vec<String>,
        #[command(flatten)]
        filters: search_cmd::FilterArgs,
    },
    /// List the saved searches.
    List,
    /// Remove a saved search.
    Remove {
        /// Its name.
        name: String,
    },
}

#[derive(Debug, Subcommand)]
enum SourcesAction {
    /// Add the feeds of an OPML file to sources.toml.
    Import {
        /// The OPML file.
        file: PathBuf,
    },
    /// Print the configured sources as OPML.
    Export,
}

#[derive(Debug, Subcommand)]
enum TrainWhat {
    /// The topic model, from JSON lines with "text" (or "title" and "body") and "topics".
    Topics {
        /// The labelled lines.
        #[arg(long, default_value = "data/seed/topics.jsonl")]
        data: PathBuf,
        /// The audit labels whose training folds are read too (their texts from the shared
        /// data; the test fold never is).
        #[arg(long, default_value = "data/eval/audit")]
        audit: PathBuf,
        /// Leave the audit labels out.
        #[arg(long)]
        no_audit: bool,
        /// Where to write the model (default: [enrich] topic_model).
        #[arg(long)]
        out: Option<PathBuf>,
        /// The seed of the training order; the same data and seed give the same file.
        #[arg(long, default_value_t = 42)]
        seed: u64,
    },
    /// The sentiment models: the Arabic one from the shared AJGT and ArSarcasm training
    /// rows, the English one from the shared GoEmotions and NewsMTSC training rows; both with
    /// the project's own lines and the audit set's training folds (never its test fold).
    Sentiment {
        /// Which model to train.
        #[arg(long, value_enum, default_value = "both")]
        lang: sentiment_cmd::Which,
        /// AJGT lines (default: sentiment/ajgt.jsonl of the shared data).
        #[arg(long)]
        ajgt: Option<PathBuf>,
        /// ArSarcasm lines (default: sentiment/arsarcasm.jsonl of the shared data).
        #[arg(long)]
        arsarcasm: Option<PathBuf>,
        /// GoEmotions lines (default: real/en_goemotions_sentiment.jsonl.gz of the shared data).
        #[arg(long)]
        goemotions: Option<PathBuf>,
        /// NewsMTSC lines (default: real/en_newsmtsc_sentences.jsonl.gz of the shared data).
        #[arg(long)]
        newsmtsc: Option<PathBuf>,
        /// The project's own labelled lines (all of them train the Arabic model, the
        /// English ones the English model too).
        #[arg(long, default_value = "data/seed/sentiment.jsonl")]
        seed_data: PathBuf,
        /// The audit labels whose training folds are read (their texts from the shared data).
        #[arg(long, default_value = "data/eval/audit")]
        audit: PathBuf,
        /// Leave the audit labels out.
        #[arg(long)]
        no_audit: bool,
        /// Where to write the Arabic model (default: [enrich] sentiment_model).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Where to write the English model (default: [enrich] sentiment_model_en).
        #[arg(long)]
        out_en: Option<PathBuf>,
        /// The seed of the training order.
        #[arg(long, default_value_t = 42)]
        seed: u64,
    },
}

#[derive(Debug, Subcommand)]
enum EvalWhat {
    /// Topics: per-topic precision, recall and F1, a gold-by-predicted matrix, then
    /// `accuracy=… macro_f1=…` (accuracy: the predicted set equals the gold set).
    Topics {
        /// JSON lines with "text" (or "title" and "body") and gold "topics".
        #[arg(long)]
        data: PathBuf,
        /// Which layers to score.
        #[arg(long, value_enum, default_value = "combined")]
        layers: classify_cmd::Layers,
        /// Score only these topics (comma-separated ids).
        #[arg(long, value_delimiter = ',')]
        topics: Vec<String>,
    },
    /// Sentiment: per-class precision, recall and F1, the confusion matrix, then
    /// `accuracy=… macro_f1=…`. Without neutral gold lines, predictions are positive or
    /// negative.
    Sentiment {
        /// JSON lines with "text" and gold "label".
        #[arg(long)]
        data: PathBuf,
        /// The main (Arabic) model file (default: [enrich] sentiment_model).
        #[arg(long)]
        model: Option<PathBuf>,
        /// The English model file, for lines detected as English (default: [enrich]
        /// sentiment_model_en).
        #[arg(long)]
        model_en: Option<PathBuf>,
        /// Only the held-out rows: "split": "test", or in lines without a split, numeric ids
        /// divisible by 5 (AJGT's fixed test fold).
        #[arg(long)]
        test_rows: bool,
        /// Only the rows of this "split" (e.g. devtest_rw).
        #[arg(long)]
        split: Option<String>,
    },
    /// Police stance: per-class precision, recall and F1, the confusion matrix, then
    /// `accuracy=… macro_f1=…`, scored as if every line were about the police; then how many
    /// lines the police flag caught.
    Stance {
        /// JSON lines with "text" and gold "police_stance" (approving, critical, neutral).
        #[arg(long, default_value = "data/eval/police-stance.jsonl")]
        data: PathBuf,
    },
    /// The tagger against the hand labels of real text (data/eval/audit, see its GUIDE.md):
    /// per-topic precision and recall, "has any topic" per source, the police flag and the
    /// sentiment. Reads the labelled texts from the shared data.
    Audit {
        /// A label file, or a folder of them.
        #[arg(long, default_value = "data/eval/audit")]
        data: PathBuf,
        /// The shared data folder (default: $RASD_SHARED_DATA, else ../shared/data).
        #[arg(long)]
        shared: Option<PathBuf>,
        /// Which topic layers to score.
        #[arg(long, value_enum, default_value = "combined")]
        layers: classify_cmd::Layers,
        /// Also list the first N items whose topics differ, with the label's reason.
        #[arg(long, default_value_t = 0)]
        errors: usize,
        /// Also list the N terms of topics.toml with the most false hits.
        #[arg(long, default_value_t = 0)]
        terms: usize,
        /// Score only these topics (comma-separated ids).
        #[arg(long, value_delimiter = ',')]
        topics: Vec<String>,
        /// Score topics on every label, not only the test fold: for work on the rules (the
        /// topic model learned the other folds, so its figures there flatter it).
        #[arg(long)]
        all_items: bool,
    },
    /// Stories across outlets: B-cubed and pairwise precision, recall and F1 of the stories
    /// the assigner forms from hand-labelled real news (data/eval/stories), per language.
    Stories {
        /// A label file, or a folder of them.
        #[arg(long, default_value = "data/eval/stories")]
        data: PathBuf,
        /// The shared data folder (default: $RASD_SHARED_DATA, else ../shared/data).
        #[arg(long)]
        shared: Option<PathBuf>,
        /// Unlabelled items of the same corpora mixed into the stream (not scored).
        #[arg(long, default_value_t = 4000)]
        background: usize,
        /// Score all labelled stories, or one half of them (by a hash of the label).
        #[arg(long, value_enum, default_value = "all")]
        part: stories_cmd::Part,
        /// The cosine that links two items on its own (default: the assigner's).
        #[arg(long)]
        link: Option<f32>,
        /// The cosine that links two items sharing a place, topic or rare word.
        #[arg(long)]
        link_shared: Option<f32>,
    },
    /// Arabic search recall against SQLite FTS5: imports the Arabic news corpus (into
    /// --data-dir, else a temporary folder), then counts the queries of queries_ar.jsonl for
    /// which Rasd finds at least as many items as FTS5 over the same stored items; fails
    /// under --min, or when exclusions, phrases or clitics misbehave.
    SearchRecall {
        /// The corpus folder (default: corpus/ of the shared data).
        #[arg(long)]
        corpus: Option<PathBuf>,
        /// The fewest queries that must pass.
        #[arg(long, default_value_t = 200)]
        min: usize,
    },
    /// Article extraction: precision, recall and F1 of 4-word shingles, and pages/s.
    Extraction {
        /// Folder of pages (ID.html or ID.html.gz).
        #[arg(long)]
        pages: PathBuf,
        /// JSON {ID: {"articleBody": text, "url": url}}.
        #[arg(long)]
        truth: PathBuf,
        /// Score the title, a blank line, then the text: for truth that starts with the
        /// headline (the shared extraction-dragnet set).
        #[arg(long)]
        with_title: bool,
        /// Also list the N worst pages (precision and recall of each).
        #[arg(long, default_value_t = 0)]
        worst: usize,
    },
}

#[derive(Debug, Subcommand)]
enum BenchWhat {
    /// Tagging speed on one thread (default: 20,000 items of the shared news corpus, half
    /// Arabic, half English).
    Classify {
        /// JSON-lines files of items (.gz allowed); by default the shared corpus.
        #[arg(long)]
        data: Vec<PathBuf>,
        /// How many items.
        #[arg(long, default_value_t = 20_000)]
        items: usize,
        /// Timed passes; the median is printed.
        #[arg(long, default_value_t = 5)]
        runs: usize,
    },
    /// Story assignment speed on one thread (the shared news corpus arriving at a busy
    /// day's rate; tagging is done before the timed part).
    Stories {
        /// How many items.
        #[arg(long, default_value_t = 60_000)]
        items: usize,
        /// Items a day: the 72-hour window holds three days of them.
        #[arg(long, default_value_t = 20_000)]
        per_day: usize,
    },
    /// Digest build time on a large store: fills the data folder (default: a temporary one)
    /// with synthetic items over a year, then times the last day's digest and trends.
    Digest {
        /// Items in the store.
        #[arg(long, default_value_t = 1_000_000)]
        items: usize,
        /// Days they are spread over.
        #[arg(long, default_value_t = 365)]
        days: u32,
        /// Timed runs; the median is printed.
        #[arg(long, default_value_t = 5)]
        runs: usize,
    },
    /// Alert latency: an item handed to the store until its alert mail is accepted by a
    /// real SMTP server on 127.0.0.1 (needs python3-aiosmtpd; run from the repository root).
    Alerts {
        /// How many alerts.
        #[arg(long, default_value_t = 100)]
        items: usize,
    },
    /// Search against SQLite FTS5 on N items made from a news corpus folder (tagged by
    /// Rasd's enrichment): ingest rate, size, top-10 latency with and without filters and
    /// facets, memory while searching. Both indexes go into --data-dir (else a temporary
    /// folder).
    Search {
        /// The corpus folder (ar_news.jsonl[.gz], en_news.jsonl[.gz], queries_ar.jsonl,
        /// queries_en.jsonl).
        #[arg(long)]
        corpus: PathBuf,
        /// Items to generate.
        #[arg(long, default_value_t = 1_000_000)]
        items: usize,
        /// Timed searches per case and engine.
        #[arg(long, default_value_t = 2000)]
        queries: usize,
        /// Internal: run only the search phase of this plan.
        #[arg(long, hide = true)]
        search_plan: Option<PathBuf>,
    },
    /// The analysts' search API (`GET /api/v1/search`) under concurrent load on loopback:
    /// fills --data-dir (else a temporary folder; a folder already holding --items items is
    /// reused) with the items of `bench search`, serves it with `rasd serve` and times the
    /// shared queries, with filters and facets, from keep-alive clients.
    SearchApi {
        /// The corpus folder (as `bench search` reads it).
        #[arg(long)]
        corpus: PathBuf,
        /// Items in the data folder.
        #[arg(long, default_value_t = 1_000_000)]
        items: usize,
        /// Clients sending at once, each on its own connection.
        #[arg(long, default_value_t = 16)]
        concurrency: usize,
        /// Timed requests (after an untimed warm-up).
        #[arg(long, default_value_t = 20_000)]
        requests: usize,
        /// Stop the timed requests after this many seconds.
        #[arg(long, default_value_t = 600)]
        seconds: u64,
    },
    /// The store alone, SQLite beside PostgreSQL: items stored per second in batches the
    /// size of a source's poll, bytes per item and their extrapolation to 10 million items,
    /// and p50/p99 of an item by id, a day of items and a page of the change sequence.
    Store {
        /// The corpus folder (as `bench search` reads it).
        #[arg(long)]
        corpus: PathBuf,
        /// Items to store.
        #[arg(long, default_value_t = 100_000)]
        items: usize,
        /// Items per batch.
        #[arg(long, default_value_t = 100)]
        batch: usize,
        /// Timed lookups of each kind.
        #[arg(long, default_value_t = 2_000)]
        lookups: usize,
        /// A PostgreSQL server (a schema is made in it and dropped after); else a
        /// throwaway one when Debian's postgresql is installed.
        #[arg(long)]
        url: Option<String>,
        /// Measure SQLite only.
        #[arg(long)]
        sqlite_only: bool,
    },
    /// Fetch and process throughput with 1, 2 and 3 workers (`rasd run --role fetch` and
    /// `--role process`, each its own process) on one PostgreSQL store: loopback feed
    /// sources answering after a fixed delay, then a pre-filled work queue. Medians of each
    /// phase, the ratio of the most workers to one, and PostgreSQL's CPU beside the workers'.
    Workers {
        /// Loopback feed sources.
        #[arg(long, default_value_t = 60)]
        sources: usize,
        /// Items per feed (Arabic and English).
        #[arg(long, default_value_t = 20)]
        items: usize,
        /// Each feed answers after this many milliseconds (a remote site's latency).
        #[arg(long, default_value_t = 300)]
        latency_ms: u64,
        /// `[fetch] concurrency` of each fetch worker.
        #[arg(long, default_value_t = 4)]
        concurrency: u32,
        /// Items queued for the process phase.
        #[arg(long, default_value_t = 5_000)]
        queue: usize,
        /// Worker counts, comma-separated.
        #[arg(long, value_delimiter = ',', default_value = "1,2,3")]
        workers: Vec<usize>,
        /// Timed runs of each phase and worker count; medians are printed.
        #[arg(long, default_value_t = 3)]
        runs: usize,
        /// A PostgreSQL server (a fresh schema per run, dropped after); else a throwaway
        /// one when Debian's postgresql is installed.
        #[arg(long)]
        url: Option<String>,
    },
    /// The public form's API under concurrent load on loopback: accepted submissions per
    /// second with p50/p99 latency, a flooding address answered 429 while another gets
    /// through, and every accepted submission found in the store afterwards. The data goes
    /// into --data-dir (else a temporary folder).
    Form {
        /// Submissions to send.
        #[arg(long, default_value_t = 20_000)]
        requests: usize,
        /// Clients sending at once.
        #[arg(long, default_value_t = 16)]
        concurrency: usize,
    },
    /// The whole pipeline (fetch, parse, extract, tags, stories, alert rules, store, index)
    /// on a feed collection and an extraction set served from loopback (default: the shared
    /// 545 feeds and 181 pages): items per second and peak memory of each run, each in a
    /// fresh data folder and its own process. `--peer CMD` runs another pipeline on the same
    /// listeners, alternating with Rasd's (scripts/bench-pipeline.sh runs the Python stack).
    Pipeline {
        /// The feed collection.
        #[arg(long, default_value = "../shared/data/feeds")]
        feeds: PathBuf,
        /// The pages (ID.html or ID.html.gz).
        #[arg(long, default_value = "../shared/data/extraction/pages")]
        pages: PathBuf,
        /// {ID: {"url": …}}: the site each page came from.
        #[arg(long, default_value = "../shared/data/extraction/ground-truth.json")]
        truth: PathBuf,
        /// Timed runs of each pipeline; medians are printed.
        #[arg(long, default_value_t = 3)]
        runs: usize,
        /// Sources fetched at once.
        #[arg(long, default_value_t = 16)]
        concurrency: u32,
        /// A peer pipeline's command: it gets the sources' JSON file and an output folder
        /// as its last two arguments and prints {"items": N, "peak_rss_kb": N} last.
        #[arg(long)]
        peer: Option<String>,
        /// Internal: run Rasd's side on this sources file and print its report.
        #[arg(long, hide = true)]
        child: Option<PathBuf>,
    },
    /// The daemon (`rasd run`) on loopback sources for a set time, the web under light
    /// load: samples its memory, open files and threads, then checks the polls kept their
    /// schedule, the failing sources backed off and the samples stayed flat. --data-dir
    /// keeps the soak's folder (config, data, log, samples).
    Soak {
        /// How long the daemon runs.
        #[arg(long, default_value_t = 30.0)]
        minutes: f64,
        /// Loopback sources (healthy, slow, failing and hostile).
        #[arg(long, default_value_t = 200)]
        sources: usize,
    },
    /// Feed parsing over a folder of feeds (default: the shared 545 feeds).
    Feeds {
        /// The folder.
        #[arg(long)]
        dir: Option<PathBuf>,
    },
    /// Extraction speed and score (default: the shared benchmark).
    Extraction {
        /// Folder of pages.
        #[arg(long)]
        pages: Option<PathBuf>,
        /// The truth file.
        #[arg(long)]
        truth: Option<PathBuf>,
    },
}

/// Output piped into a reader that stops early (`rasd search … | head`) ends the command
/// quietly, as other command-line tools do, instead of with a panic report.
fn quiet_on_closed_stdout() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let message = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| info.payload().downcast_ref::<&str>().copied())
            .unwrap_or("");
        if message.starts_with("failed printing to stdout") && message.contains("Broken pipe") {
            std::process::exit(0);
        }
        default(info);
    }));
}

fn main() -> ExitCode {
    quiet_on_closed_stdout();
    let cli = Cli::parse();
    let default_level = match cli.command {
        Command::Run { .. } | Command::Demo { .. } | Command::Fetch | Command::Serve { .. } => {
            "info"
        }
        _ => "warn",
    };
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default_level)),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Settings that are read and checked but that nothing acts on yet: said by `check-config`
/// and logged as warnings when the daemon or the demo starts, so no one relies on them.
pub(crate) fn not_yet_acted_on(config: &Config) -> Vec<String> {
    let mut notes = Vec::new();
    let mail = &config.settings.mail;
    let emails = config
        .alerts
        .iter()
        .filter(|r| r.channels.contains(&rasd_core::AlertChannel::Email))
        .count();
    if emails > 0 && !mail.enabled {
        notes.push(format!(
            "{emails} alert rules send e-mail but [mail] enabled = false: their alerts are \
             recorded (rasd alerts) and nothing is mailed"
        ));
    }
    let webhooks = config
        .alerts
        .iter()
        .filter(|r| r.channels.contains(&rasd_core::AlertChannel::Webhook))
        .count();
    let secret = &config.settings.alerts.webhook_secret_env;
    if webhooks > 0 && std::env::var(secret).map_or(true, |v| v.is_empty()) {
        notes.push(format!(
            "{webhooks} alert rules post to webhooks but the environment variable {secret} \
             (the signing secret) is not set: their messages wait in the outbox until it is"
        ));
    }
    notes
}

fn load_config(dir: &Path) -> anyhow::Result<Config> {
    let config = Config::load(dir).map_err(|e| anyhow::anyhow!("{e}"))?;
    // Every command that opens the store after this opens the configured one.
    let _ = STORE_URL.set(config.settings.store.effective_url());
    Ok(config)
}

/// `[store] url` (or `RASD_STORE_URL`) of the loaded configuration: the PostgreSQL store, or
/// `None` for the SQLite file in the data folder.
static STORE_URL: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();

/// The configured PostgreSQL store's URL, if any.
pub(crate) fn store_url() -> Option<&'static str> {
    STORE_URL.get().and_then(|u| u.as_deref())
}

/// Opens the store: the configured PostgreSQL server, or the SQLite file in `dir`.
pub(crate) fn open_store(dir: &Path) -> anyhow::Result<Store> {
    Ok(Store::open_configured(dir, store_url())?)
}

/// The data folder: `--data-dir`, else `data_dir` from rasd.toml.
fn data_dir(cli_dir: &Option<PathBuf>, config: &Config) -> PathBuf {
    cli_dir
        .clone()
        .unwrap_or_else(|| config.settings.data_dir.clone())
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

fn run(cli: Cli) -> anyhow::Result<()> {
    match &cli.command {
        Command::CheckConfig { dir } => {
            let dir = dir.as_ref().unwrap_or(&cli.config);
            let c = load_config(dir)?;
            pipeline::check_rule_queries(&c)?;
            let data = data_dir(&cli.data_dir, &c);
            // A PostgreSQL store must be reachable; opening it creates or upgrades its
            // tables, as the first command that writes would.
            if let Some(url) = store_url() {
                let shown = rasd_store::redact_url(url);
                let store = Store::open_url(url).context(
                    "[store] url (check the address, that the server runs and that the user \
                     may create tables)",
                )?;
                println!(
                    "store: PostgreSQL {shown}, reachable, {} items",
                    store.status()?.items
                );
            }
            let names_saved = c.alerts.iter().any(|r| !r.saved_search.trim().is_empty())
                || !c.settings.digest.saved_searches.is_empty();
            if names_saved {
                if store_url().is_some() || data.join(rasd_store::DB_FILE).exists() {
                    let missing =
                        pipeline::missing_saved_searches(&c, &open_store_existing(&data)?)?;
                    if !missing.is_empty() {
                        bail!("{}", missing.join("\n"));
                    }
                } else {
                    println!(
                        "note: the saved searches the config names are checked against the store, \
                         and {} holds none yet",
                        data.display()
                    );
                }
            }
            println!(
                "{}: ok — {} sources ({} enabled), {} topics, {} places, {} alert rules",
                dir.display(),
                c.sources.len(),
                c.sources.iter().filter(|s| s.enabled).count(),
                c.topics.len(),
                c.places.len(),
                c.alerts.len()
            );
            for note in not_yet_acted_on(&c) {
                println!("note: {note}");
            }
            Ok(())
        }
        Command::Run { role } => {
            let config = Arc::new(load_config(&cli.config)?);
            let dir = data_dir(&cli.data_dir, &config);
            runtime()?.block_on(workers::run(config, &dir, *role))
        }
        Command::Serve { addr, public_addr } => {
            let config = Arc::new(load_config(&cli.config)?);
            let dir = data_dir(&cli.data_dir, &config);
            runtime()?.block_on(web_cmd::serve(
                config,
                &dir,
                addr.as_deref(),
                public_addr.as_deref(),
            ))
        }
        Command::Users { action } => {
            let config = load_config(&cli.config)?;
            web_cmd::users(&data_dir(&cli.data_dir, &config), action)
        }
        Command::Demo { once } => {
            runtime()?.block_on(demo_cmd::run(&cli.config, cli.data_dir.as_deref(), *once))
        }
        Command::Fetch => {
            let config = Arc::new(load_config(&cli.config)?);
            let dir = data_dir(&cli.data_dir, &config);
            runtime()?.block_on(async {
                let p = pipeline::Pipeline::open(config.clone(), &dir)?;
                let report = p.run_once(&config.sources).await?;
                print_report(&report);
                alerts_cmd::send_once(&p).await;
                Ok(())
            })
        }
        Command::Stories { since, limit, json } => {
            let config = load_config(&cli.config)?;
            let store = open_store_existing(&data_dir(&cli.data_dir, &config))?;
            stories_cmd::list_stories(&store, *since, *limit, *json)
        }
        Command::Alerts {
            action,
            since,
            state,
            limit,
            json,
        } => {
            let config = Arc::new(load_config(&cli.config)?);
            let dir = data_dir(&cli.data_dir, &config);
            match action {
                None => {
                    let store = open_store_existing(&dir)?;
                    alerts_cmd::list(&store, &config, *since, state.as_deref(), *limit, *json)
                }
                Some(AlertsAction::Ack { id, by }) => {
                    let store = open_store_existing(&dir)?;
                    alerts_cmd::ack(&store, *id, by.as_deref())
                }
                Some(AlertsAction::Send) => {
                    runtime()?.block_on(alerts_cmd::send(config, &dir, false))
                }
                Some(AlertsAction::Retry) => {
                    runtime()?.block_on(alerts_cmd::send(config, &dir, true))
                }
            }
        }
        Command::Import {
            what: ImportWhat::Items { file },
        } => {
            let config = Arc::new(load_config(&cli.config)?);
            let dir = data_dir(&cli.data_dir, &config);
            runtime()?
                .block_on(import_cmd::run(config, &dir, file))
                .map(|_| ())
        }
        Command::Import {
            what: ImportWhat::Forms { file, map },
        } => {
            let config = Arc::new(load_config(&cli.config)?);
            let dir = data_dir(&cli.data_dir, &config);
            runtime()?
                .block_on(import_forms_cmd::run(config, &dir, file, map))
                .map(|_| ())
        }
        Command::Replay {
            file,
            speed,
            instant: _,
            cycle,
        } => {
            if let Some(s) = speed
                && !(*s > 0.0 && s.is_finite())
            {
                bail!(
                    "--speed {s} is out of range: give a positive number of simulated seconds per second"
                );
            }
            let config = Arc::new(load_config(&cli.config)?);
            let dir = data_dir(&cli.data_dir, &config);
            let opts = replay_cmd::ReplayOptions {
                speed: *speed,
                cycle: chrono::Duration::from_std(cycle.as_duration())
                    .unwrap_or(chrono::Duration::minutes(1)),
            };
            runtime()?.block_on(replay_cmd::run(config, &dir, file, &opts))
        }
        Command::Trends { at, json } => {
            let config = load_config(&cli.config)?;
            let store = open_store_existing(&data_dir(&cli.data_dir, &config))?;
            let at = match at {
                None => None,
                Some(t) => Some(
                    chrono::DateTime::parse_from_rfc3339(t)
                        .with_context(|| {
                            format!("--at {t:?} is not a time: write RFC 3339, such as 2026-11-29T09:00:00+03:00")
                        })?
                        .with_timezone(&Utc),
                ),
            };
            stories_cmd::list_trends(&store, &config, at, *json)
        }
        Command::Status { json } => {
            let config = load_config(&cli.config)?;
            let dir = data_dir(&cli.data_dir, &config);
            let store = open_store_existing(&dir)?;
            let status = store.status()?;
            let search = dir.join("search");
            let lag = if search.join("meta.json").exists() {
                let index = SearchIndex::open_for_reading(&search)?;
                Some(pipeline::index_lag(&store, &index)?)
            } else {
                None
            };
            if *json {
                let mut value = serde_json::to_value(&status)?;
                value["index"] = serde_json::to_value(&lag)?;
                println!("{}", serde_json::to_string_pretty(&value)?);
            } else {
                println!("data folder: {}", dir.display());
                println!("items: {}  sources: {}", status.items, status.sources);
                println!("by language: {}", join_counts(&status.by_lang));
                println!("by topic:    {}", join_counts(&status.by_topic));
                println!("by kind:     {}", join_counts(&status.by_kind));
                match lag {
                    Some(l) if l.lag == 0 => {
                        println!("index: up to date (change {})", l.store_seq)
                    }
                    Some(l) => println!(
                        "index: {} changes behind the store (it catches up when rasd next writes \
                         to this folder)",
                        l.lag
                    ),
                    None => {
                        println!("index: none yet (built from the store when rasd next writes)")
                    }
                }
            }
            Ok(())
        }
        Command::Search {
            query,
            saved,
            filters,
            limit,
            page,
            sort,
            format,
            json,
            max,
            out,
        } => {
            let config = load_config(&cli.config)?;
            let dir = data_dir(&cli.data_dir, &config);
            let format = if *json {
                search_cmd::Format::Json
            } else {
                *format
            };
            search_cmd::search(
                &config,
                &dir,
                &search_cmd::SearchArgs {
                    query,
                    filters,
                    saved: saved.as_deref(),
                    limit: *limit,
                    page: *page,
                    sort: sort.as_deref(),
                    format,
                    max: *max,
                    out: out.as_deref(),
                },
            )
        }
        Command::Searches { action, json } => {
            let config = load_config(&cli.config)?;
            let dir = data_dir(&cli.data_dir, &config);
            let store = open_store_existing(&dir)?;
            match action {
                None | Some(SearchesAction::List) => search_cmd::list(&store, *json),
                Some(SearchesAction::Add {
                    name,
                    query,
                    filters,
                }) => search_cmd::add(&config, &store, name, query, filters),
                Some(SearchesAction::Remove { name }) => search_cmd::remove(&store, name),
            }
        }
        Command::Digest { date, out } => {
            let config = load_config(&cli.config)?;
            let dir = data_dir(&cli.data_dir, &config);
            let store = open_store_existing(&dir)?;
            let date = parse_day(date.as_deref(), &config)?;
            let path = out
                .clone()
                .unwrap_or_else(|| default_digest_path(&dir, date));
            // The index runs the saved searches of `[digest] saved_searches`.
            let index = if config.settings.digest.saved_searches.is_empty() {
                None
            } else {
                Some(pipeline::open_index_for_reading(&dir)?)
            };
            let md = write_digest(&store, index.as_ref(), &config, date, &path)?;
            print!("{md}");
            eprintln!("HTML digest written to {}", path.display());
            let m = &config.settings.mail;
            if m.enabled && !m.to.is_empty() {
                // Sent now unless `rasd run` holds the folder (it sends it itself).
                match pipeline::lock_data_dir(&dir) {
                    Ok(_lock) => {
                        // The SMTP pool needs the runtime from the start.
                        let run = runtime()?.block_on(async {
                            rasd_deliver::outbox::Sender::new(&config)
                                .deliver_due(&store, Utc::now())
                                .await
                        })?;
                        eprintln!(
                            "Digest e-mail to {}: {} messages sent, {} to retry, {} dead (rasd alerts lists failures).",
                            m.to.join(", "),
                            run.sent,
                            run.retrying,
                            run.dead
                        );
                    }
                    Err(_) => eprintln!("Digest e-mail queued; the running `rasd run` sends it."),
                }
            }
            Ok(())
        }
        Command::Sources { action, json } => {
            let config = load_config(&cli.config)?;
            match action {
                None => {
                    let dir = data_dir(&cli.data_dir, &config);
                    // Record the configured sources only when no other rasd holds the
                    // folder; a running daemon's record is shown as it is.
                    let lock = match rasd_store::DataLock::acquire(&dir, "rasd sources") {
                        Ok(lock) => Some(lock),
                        Err(rasd_store::Error::Locked { .. }) => None,
                        Err(e) => return Err(e.into()),
                    };
                    let store = open_store(&dir)?;
                    if lock.is_some() {
                        store
                            .record_sources(&config.sources)
                            .context("cannot record the configured sources")?;
                    } else {
                        eprintln!(
                            "another rasd holds {}: showing the sources as it recorded them",
                            dir.display()
                        );
                    }
                    tools::sources_list(&store, *json)
                }
                Some(SourcesAction::Import { file }) => tools::sources_import(file, &config),
                Some(SourcesAction::Export) => {
                    tools::sources_export(&config);
                    Ok(())
                }
            }
        }
        Command::Feed { target, json } => {
            let config = load_config(&cli.config)?;
            runtime()?.block_on(tools::feed(target, *json, &config))
        }
        Command::Extract {
            file,
            url,
            selector,
            json,
        } => tools::extract(file, url.as_deref(), selector.as_deref(), *json),
        Command::Eval { what } => match what {
            EvalWhat::Extraction {
                pages,
                truth,
                with_title,
                worst,
            } => tools::eval_extraction(pages, truth, *with_title, *worst),
            EvalWhat::Audit {
                data,
                shared,
                layers,
                errors,
                terms,
                topics,
                all_items,
            } => audit_cmd::eval_audit(
                &load_config(&cli.config)?,
                data,
                shared.as_deref(),
                &audit_cmd::AuditOptions {
                    layers: *layers,
                    errors: *errors,
                    terms: *terms,
                    only: topics,
                    all_items: *all_items,
                },
            ),
            EvalWhat::Stories {
                data,
                shared,
                background,
                part,
                link,
                link_shared,
            } => stories_cmd::eval_stories(
                &load_config(&cli.config)?,
                data,
                &stories_cmd::StoriesEval {
                    shared: shared.as_deref(),
                    background: *background,
                    part: *part,
                    link: *link,
                    link_shared: *link_shared,
                },
            )
            .map(|_| ()),
            EvalWhat::Topics {
                data,
                layers,
                topics,
            } => classify_cmd::eval_topics(&load_config(&cli.config)?, data, *layers, topics),
            EvalWhat::SearchRecall { corpus, min } => search_recall::eval_search_recall(
                Arc::new(load_config(&cli.config)?),
                corpus.as_deref(),
                cli.data_dir.as_deref(),
                *min,
            )
            .map(|_| ()),
            EvalWhat::Stance { data } => {
                classify_cmd::eval_stance(&load_config(&cli.config)?, data)
            }
            EvalWhat::Sentiment {
                data,
                model,
                model_en,
                test_rows,
                split,
            } => sentiment_cmd::eval_sentiment(
                &load_config(&cli.config)?,
                data,
                (model.as_deref(), model_en.as_deref()),
                &sentiment_cmd::EvalRows {
                    test_rows: *test_rows,
                    split: split.clone(),
                },
            ),
        },
        Command::Classify {
            file,
            scores,
            rules_only,
            explain,
        } => classify_cmd::classify(
            &load_config(&cli.config)?,
            file.as_deref(),
            *scores,
            *rules_only,
            *explain,
        ),
        Command::Train { what } => {
            let config = load_config(&cli.config)?;
            match what {
                TrainWhat::Topics {
                    data,
                    audit,
                    no_audit,
                    out,
                    seed,
                } => classify_cmd::train_topics(
                    &config,
                    data,
                    (!no_audit).then_some(audit.as_path()),
                    out.as_deref(),
                    *seed,
                ),
                TrainWhat::Sentiment {
                    lang,
                    ajgt,
                    arsarcasm,
                    goemotions,
                    newsmtsc,
                    seed_data,
                    audit,
                    no_audit,
                    out,
                    out_en,
                    seed,
                } => sentiment_cmd::train_sentiment(
                    &config,
                    *lang,
                    &sentiment_cmd::TrainSources {
                        ajgt: ajgt.as_deref(),
                        arsarcasm: arsarcasm.as_deref(),
                        goemotions: goemotions.as_deref(),
                        newsmtsc: newsmtsc.as_deref(),
                        seed_data,
                        audit: (!no_audit).then_some(audit.as_path()),
                    },
                    out.as_deref(),
                    out_en.as_deref(),
                    *seed,
                ),
            }
        }
        Command::Bench { what } => match what {
            BenchWhat::Classify { data, items, runs } => {
                classify_cmd::bench_classify(&load_config(&cli.config)?, data, *items, *runs)
            }
            BenchWhat::Feeds { dir } => tools::bench_feeds(dir.as_deref()),
            BenchWhat::Pipeline {
                feeds,
                pages,
                truth,
                runs,
                concurrency,
                peer,
                child,
            } => match child {
                Some(spec) => {
                    let data = cli
                        .data_dir
                        .clone()
                        .context("the child run needs --data-dir")?;
                    pipeline_bench::child(&cli.config, &data, spec, *concurrency)
                }
                None => pipeline_bench::bench_pipeline(
                    &cli.config,
                    &pipeline_bench::BenchPipeline {
                        feeds: feeds.clone(),
                        pages: pages.clone(),
                        truth: truth.exists().then(|| truth.clone()),
                        runs: *runs,
                        concurrency: *concurrency,
                        peer: peer.clone(),
                        keep: cli.data_dir.clone(),
                    },
                ),
            },
            BenchWhat::Soak { minutes, sources } => soak_cmd::run(&soak_cmd::SoakOptions {
                minutes: *minutes,
                sources: *sources,
                config_dir: cli.config.clone(),
                dir: cli.data_dir.clone(),
            }),
            BenchWhat::Search {
                corpus,
                items,
                queries,
                search_plan,
            } => search_bench::bench_search(
                &cli.config,
                &search_bench::BenchSearch {
                    corpus: corpus.clone(),
                    items: *items,
                    queries: *queries,
                    data_dir: cli.data_dir.clone(),
                    in_process: false,
                },
                search_plan.as_deref(),
                &mut std::io::stdout().lock(),
            ),
            BenchWhat::SearchApi {
                corpus,
                items,
                concurrency,
                requests,
                seconds,
            } => search_api_bench::run(&search_api_bench::SearchApiOptions {
                corpus: corpus.clone(),
                items: *items,
                concurrency: *concurrency,
                requests: *requests,
                seconds: *seconds,
                config_dir: cli.config.clone(),
                data_dir: cli.data_dir.clone(),
            }),
            BenchWhat::Store {
                corpus,
                items,
                batch,
                lookups,
                url,
                sqlite_only,
            } => store_bench::run(&store_bench::StoreBenchOptions {
                corpus: corpus.clone(),
                items: *items,
                batch: *batch,
                lookups: *lookups,
                url: url.clone(),
                sqlite_only: *sqlite_only,
                config_dir: cli.config.clone(),
            })
            .map(|_| ()),
            BenchWhat::Workers {
                sources,
                items,
                latency_ms,
                concurrency,
                queue,
                workers,
                runs,
                url,
            } => workers_bench::run(&workers_bench::WorkersBenchOptions {
                sources: *sources,
                items: *items,
                latency_ms: *latency_ms,
                concurrency: *concurrency,
                queue: *queue,
                workers: workers.clone(),
                runs: *runs,
                url: url.clone(),
                config_dir: cli.config.clone(),
            }),
            BenchWhat::Form {
                requests,
                concurrency,
            } => {
                if *requests == 0 || *concurrency == 0 {
                    bail!("--requests and --concurrency must be at least 1");
                }
                let (dir, _keep) = match &cli.data_dir {
                    Some(d) => (d.clone(), None),
                    None => {
                        let t = tempfile_dir("rasd-bench-form")?;
                        (t.clone(), Some(RemoveOnDrop(t)))
                    }
                };
                runtime()?
                    .block_on(form_bench::run(&cli.config, &dir, *requests, *concurrency))
                    .map(|_| ())
            }
            BenchWhat::Digest { items, days, runs } => {
                let config = load_config(&cli.config)?;
                let (dir, _keep) = match &cli.data_dir {
                    Some(d) => (d.clone(), None),
                    None => {
                        let t = tempfile_dir("rasd-bench-digest")?;
                        (t.clone(), Some(RemoveOnDrop(t)))
                    }
                };
                stories_cmd::bench_digest(&config, &dir, *items, (*days).max(1), *runs)
            }
            BenchWhat::Alerts { items } => {
                if *items == 0 {
                    bail!("--items 0: give at least 1");
                }
                runtime()?.block_on(alerts_cmd::bench_latency(&cli.config, *items))
            }
            BenchWhat::Stories { items, per_day } => {
                stories_cmd::bench_stories(&load_config(&cli.config)?, *items, *per_day)
            }
            BenchWhat::Extraction { pages, truth } => {
                tools::bench_extraction(pages.as_deref(), truth.as_deref())
            }
        },
        Command::Retag => {
            let config = load_config(&cli.config)?;
            let dir = data_dir(&cli.data_dir, &config);
            // The lock comes first: a refused retag changes nothing.
            let _lock = pipeline::lock_data_dir(&dir)?;
            let store = open_store_existing(&dir)?;
            let enricher = rasd_enrich::Enricher::from_config_with_models(&config)
                .context("cannot compile the topic, place and police rules")?;
            let (read, changed) = pipeline::retag(&store, &enricher, &config)?;
            // Opening the index applies the changed items (and anything else it lacked).
            let index = pipeline::open_index(&store, &dir.join("search"))?;
            let lag = pipeline::index_lag(&store, &index)?;
            println!(
                "retagged {read} items ({changed} changed); the index is at change {} of {}",
                lag.index_seq.unwrap_or(0),
                lag.store_seq
            );
            Ok(())
        }
        Command::MigrateStore { to } => {
            let config = load_config(&cli.config)?;
            let dir = data_dir(&cli.data_dir, &config);
            migrate_store(&dir, to)
        }
        Command::Reindex => {
            let config = load_config(&cli.config)?;
            let dir = data_dir(&cli.data_dir, &config);
            let _lock = pipeline::lock_data_dir(&dir)?;
            let store = open_store_existing(&dir)?;
            let n = reindex_cmd::rebuild_beside(&store, &dir, true)?;
            println!(
                "reindexed {n} items into {} (searches answered from the old index until now)",
                reindex_cmd::live_dir(&dir).display()
            );
            Ok(())
        }
        Command::Backup { dir: out } => {
            let config = load_config(&cli.config)?;
            backup_cmd::backup(&data_dir(&cli.data_dir, &config), out)
        }
        Command::Restore { dir: from, force } => {
            let config = load_config(&cli.config)?;
            if store_url().is_some() {
                bail!(
                    "the store is on PostgreSQL ([store] url): restore it with pg_restore or the \
                     server's own backups, then run `rasd reindex` on each machine"
                );
            }
            backup_cmd::restore(&data_dir(&cli.data_dir, &config), from, *force)
        }
        Command::Verify => {
            let config = load_config(&cli.config)?;
            backup_cmd::verify(&data_dir(&cli.data_dir, &config))
        }
    }
}

/// `rasd migrate-store --to URL`: the data folder's SQLite store (locked against writers
/// while it is read) copied into the PostgreSQL store at `url`, table by table with a
/// progress bar, then checked: every table must hold as many rows as the source.
fn migrate_store(dir: &Path, url: &str) -> anyhow::Result<()> {
    if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
        bail!("--to must be a PostgreSQL address like postgres://rasd@db.example:5432/rasd");
    }
    let _lock = pipeline::lock_data_dir(dir)?;
    if !dir.join(rasd_store::DB_FILE).exists() {
        bail!("no SQLite store in {}: pass its --data-dir", dir.display());
    }
    let from = Store::open(dir)?;
    let target = Store::open_url(url).with_context(|| {
        format!(
            "cannot open the PostgreSQL store {}",
            rasd_store::redact_url(url)
        )
    })?;
    let counts = from.table_counts()?;
    let total: u64 = counts.iter().map(|(_, n)| n).sum();
    let bar = if std::io::IsTerminal::is_terminal(&std::io::stderr()) {
        indicatif::ProgressBar::new(total)
    } else {
        indicatif::ProgressBar::hidden()
    };
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{msg:>20} [{bar:40}] {pos}/{len} rows ({per_sec}, {eta})",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
        .progress_chars("=> "),
    );
    let mut before = 0u64;
    let mut table_seen = String::new();
    let report = from.copy_into(&target, |table, done| {
        if table != table_seen {
            before = bar.position();
            table_seen = table.to_owned();
            bar.set_message(table.to_owned());
        }
        bar.set_position(before + done);
        if bar.is_hidden() && done % 50_000 == 0 {
            eprintln!("{table}: {done} rows");
        }
    })?;
    bar.finish_and_clear();
    let copied = target.table_counts()?;
    for ((table, want), (_, got)) in counts.iter().zip(&copied) {
        if want != got {
            bail!("{table}: {got} rows in PostgreSQL, {want} in SQLite: the copy is incomplete");
        }
    }
    for (table, n) in &report.tables {
        if *n > 0 {
            println!("{table:>20}: {n} rows");
        }
    }
    println!(
        "copied {total} rows into {}; the store id and change numbers are kept, so this \
         folder's search index follows it as it is. Set [store] url in rasd.toml (or \
         RASD_STORE_URL) to use it.",
        rasd_store::redact_url(url)
    );
    Ok(())
}

/// Opens the store of a data folder that must already exist.
pub(crate) fn open_store_existing(dir: &Path) -> anyhow::Result<Store> {
    if let Some(url) = store_url() {
        return Ok(Store::open_url(url)?);
    }
    if !dir.join(rasd_store::DB_FILE).exists() {
        bail!(
            "no Rasd data in {}: run `rasd demo`, `rasd fetch` or `rasd run` first, or pass --data-dir",
            dir.display()
        );
    }
    Ok(Store::open(dir)?)
}

pub(crate) fn join_counts<V: std::fmt::Display>(
    m: &std::collections::BTreeMap<String, V>,
) -> String {
    if m.is_empty() {
        return "-".into();
    }
    m.iter()
        .map(|(k, v)| format!("{k} {v}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Today in the configured zone, or the given YYYY-MM-DD.
fn parse_day(s: Option<&str>, config: &Config) -> anyhow::Result<NaiveDate> {
    match s {
        None => Ok(Utc::now().with_timezone(&config.settings.tz()).date_naive()),
        Some(s) => NaiveDate::parse_from_str(s, "%Y-%m-%d").with_context(|| {
            format!("invalid --date {s:?}: write it as YYYY-MM-DD, such as 2026-11-28")
        }),
    }
}

pub(crate) fn default_digest_path(data_dir: &Path, date: NaiveDate) -> PathBuf {
    data_dir
        .join("digests")
        .join(format!("{}.html", date.format("%Y-%m-%d")))
}

/// Builds the digest of `date`, writes its HTML to `path`, queues it by e-mail to `[mail]
/// to` (once per day and recipient: the outbox's key) and returns its Markdown.
pub(crate) fn write_digest(
    store: &Store,
    index: Option<&SearchIndex>,
    config: &Config,
    date: NaiveDate,
    path: &Path,
) -> anyhow::Result<String> {
    let digest = rasd_detect::build_digest(store, index, config, date)?;
    let html = rasd_deliver::digest_html(&digest);
    rasd_deliver::write_file(path, &html)?;
    let markdown = rasd_deliver::digest_markdown(&digest);
    let queued = alerts_cmd::queue_digest(store, config, date, &html, &markdown, Utc::now())?;
    if queued > 0 {
        tracing::info!(recipients = queued, "Digest queued for e-mail.");
    }
    Ok(markdown)
}

/// Prints what a pipeline run did.
pub(crate) fn print_report(r: &pipeline::Report) {
    println!(
        "sources: {} fetched, {} not modified, {} failed",
        r.sources, r.not_modified, r.failed
    );
    println!(
        "items: {} received, {} new, {} updated, {} unchanged",
        r.received, r.stored.inserted, r.stored.updated, r.stored.unchanged
    );
    if !r.problems.is_empty() {
        println!(
            "problems: {}",
            r.problems
                .iter()
                .map(|(k, v)| format!("{k} {v}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        for p in r.examples.iter().take(5) {
            // Name the page when the message does not.
            match p.url.as_deref().filter(|u| !p.message.contains(u)) {
                Some(url) => println!("  - {}: {} ({url})", p.source, p.message),
                None => println!("  - {}: {}", p.source, p.message),
            }
        }
    }
    if r.sink_errors > 0 {
        println!("storage errors: {} (see the log)", r.sink_errors);
    }
}

/// A fresh folder under the system's temporary folder, named after `what`.
pub(crate) fn tempfile_dir(what: &str) -> anyhow::Result<PathBuf> {
    let dir = std::env::temp_dir().join(format!(
        "{what}-{}-{}",
        std::process::id(),
        Utc::now().timestamp_nanos_opt().unwrap_or_default()
    ));
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    Ok(dir)
}

/// Removes a folder when dropped.
#[derive(Debug)]
pub(crate) struct RemoveOnDrop(pub PathBuf);

impl Drop for RemoveOnDrop {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
