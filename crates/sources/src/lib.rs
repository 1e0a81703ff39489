//! How Rasd collects: feeds, article pages and public comment form exports, turned into
//! untagged [`rasd_core::Item`]s.
//!
//! - [`Fetcher`] is the HTTP client (rustls, compression, timeouts, redirect limit, a
//!   User-Agent with the operator's contact, an address guard against loopback and private
//!   networks, and a body size cap enforced while streaming). [`Fetcher::fetch_source`] polls
//!   one [`rasd_core::SourceConfig`] with a conditional GET and returns a [`SourceOutcome`]:
//!   the items, the new [`rasd_core::FetchState`] and the [`Problem`]s met on the way.
//! - [`parse_feed`] reads RSS 0.9x/1.0/2.0, Atom and JSON Feed bytes (via feed-rs), decoding
//!   legacy charsets first ([`decode_text`]) and reading non-RFC dates ([`parse_date`]).
//! - [`extract_article`] finds the main text, title, date and author of an article page
//!   ([`Extracted`]); `fetch_source` uses it for entries that carry only a summary.
//! - [`parse_form_export`] imports a public comment form's JSON export as comment items.
//!
//! Nothing here panics or fails a batch on bad input: a bad entry, record or page is a
//! [`Problem`] (logged at WARN when made, with a short `reason` to count by), and the rest go
//! on. Errors that stop one source are [`Error`]s.

mod dates;
mod encoding;
mod error;
mod extract;
mod feed;
mod fetch;
mod form;
mod guard;
mod html;

pub use dates::{NAIVE_TZ, parse_date};
pub use encoding::decode_text;
pub use error::{Error, Problem, Result};
pub use extract::{Extracted, extract_article};
pub use feed::{is_article_link, parse_feed};
pub use fetch::{
    Fetched, Fetcher, PAGE_CONCURRENCY, SHORT_TEXT_CHARS, SourceOutcome, needs_full_text,
};
pub use form::parse_form_export;
pub use guard::is_blocked_ip;
pub use html::html_to_text;
