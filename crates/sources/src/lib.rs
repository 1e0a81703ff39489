//! How Rasd collects: feeds, article pages and public comment form exports, turned into
//! untagged [`rasd_core::Item`]s.
//!
//! The crate is layered, each layer using only those below it:
//!
//! 1. **HTTP** (`http`): [`Fetcher`] is the client (rustls, compression, timeouts, a
//!    User-Agent with the operator's contact, a body size cap enforced while streaming, no
//!    proxy but `[fetch] proxy`). It follows redirects itself, and every hop passes the
//!    address guard (loopback and private addresses only on the request's
//!    [`PrivateHosts`]), robots.txt (cached per site, token [`ROBOTS_AGENT`]) and per-host
//!    limits (requests in flight, delay between starts, `Crawl-delay`) shared by all clones.
//! 2. **Readers** that do no I/O: feeds, sitemaps, form exports, the article extractor,
//!    encodings and dates.
//! 3. **Source kinds that fetch**: sites (`site`) and the full text of feed entries
//!    (`pages`), through the HTTP layer.
//! 4. **The poll** (`poll`): [`Fetcher::fetch_source`] polls one
//!    [`rasd_core::SourceConfig`] with a conditional GET, hands the response to its kind's
//!    reader and returns a [`SourceOutcome`]: the items, the new [`rasd_core::FetchState`]
//!    and the [`Problem`]s met on the way. It bounds the work (the newest
//!    `max_entries_per_poll` entries, pages only for entries not taken before, a time
//!    budget); a failed poll carries `retry_at` (`Retry-After`, else backoff with jitter).
//! - [`schedule`]: when to poll next ([`next_interval`] from the publishing rate, clamped;
//!   [`next_due`]).
//! - [`parse_feed`] reads RSS 0.9x/1.0/2.0, RDF, Atom and JSON Feed bytes with our own
//!   forgiving reader (damaged feeds keep what can be read), decoding legacy charsets first
//!   ([`decode_text`]) and reading non-RFC dates ([`parse_date`]); [`feed_report`] describes
//!   a feed for a person; [`bench_feeds`] times parsing.
//! - [`read_site`] polls a news site without a feed: [`discover_links`] on its section pages
//!   and sitemaps, then [`fetch_articles`].
//! - [`parse_opml`], [`to_opml`] and [`sources_toml_entries`] import and export source lists.
//! - [`extract_article`] finds the main text, title, date, author, lead image, language and
//!   canonical URL of an article page ([`Extracted`]) with its own fast HTML parser;
//!   `fetch_source` uses it for entries that carry only a summary. [`eval`] scores it
//!   against hand-checked text ([`eval::eval_extraction`]). [`extract_article_with`] adds a
//!   source's site rule (`article_selector`, a CSS selector for the text), and
//!   [`article_found`] tells a page whose text was not found: the poll reports it as
//!   `extraction_failed` and counts it in [`rasd_core::PollStats`].
//! - [`fuzzing`] opens the readers kept inside (sitemaps, robots.txt) to the fuzz targets.
//! - [`parse_form_export`] imports a public comment form's JSON export as comment items.
//!
//! Nothing here panics or fails a batch on bad input: a bad entry, record or page is a
//! [`Problem`] (logged at WARN when made, with a short `reason` to count by), and the rest go
//! on. Errors that stop one source are [`Error`]s.

// The HTTP layer: the client and the gates every request passes.
mod http;

// Readers that do no I/O.
mod bench;
mod dates;
mod encoding;
mod error;
pub mod eval;
mod extract;
mod feed;
mod form;
pub mod fuzzing;
mod html;
mod opml;
pub mod schedule;
mod sitemap;

// Source kinds and pages that fetch through the HTTP layer.
mod pages;
mod site;

// One poll of one source, on top.
mod poll;

pub use bench::{BenchResult, bench_feeds, bench_files};
pub use dates::{NAIVE_TZ, parse_date};
pub use encoding::decode_text;
pub use error::{Error, Problem, Result};
pub use extract::{
    Extracted, MIN_ARTICLE_CHARS, RULE_MIN_CHARS, RuleOutcome, article_found, continues,
    extract_article, extract_article_with, parse_rule,
};
pub use feed::{EntryReport, FeedReport, feed_report, is_article_link, parse_feed};
pub use form::parse_form_export;
pub use html::html_to_text;
pub use http::guard::{PrivateHosts, allow_private_for, is_blocked_ip};
pub use http::robots::AGENT as ROBOTS_AGENT;
pub use http::{Fetched, Fetcher};
pub use opml::{merge_sources, parse_opml, sources_toml_entries, to_opml};
pub use pages::{PAGE_CONCURRENCY, SHORT_TEXT_CHARS, needs_full_text};
pub use poll::SourceOutcome;
pub use schedule::{next_due, next_interval};
pub use site::{MAX_LINKS_PER_POLL, SitePoll, discover_links, fetch_articles, link_key, read_site};
pub use sitemap::MAX_SITEMAP_BYTES;
