//! The top of the crate: one poll of one source ([`Fetcher::fetch_source`]). It fetches the
//! source through the HTTP layer ([`crate::http`]), hands the response to the reader of its
//! kind (feed, site, form export), and bounds the work:
//!
//! - **Entries per poll.** A feed gives at most `max_entries_per_poll` entries (the
//!   source's, else `[fetch]`'s), the newest first; older ones are not even kept while
//!   parsing. Entries beyond the cap are not read later either: the cap is a window on the
//!   newest entries, not a queue.
//! - **New or changed only.** Each entry has a key ([`rasd_core::entry_key`] of its link,
//!   GUID, date, title and text); the keys of the entries taken are remembered in
//!   [`FetchState::seen_entries`] (saved with the items, in one transaction), and an entry
//!   whose key is known gives no item and no page fetch. A site's article links are keyed
//!   the same way ([`crate::link_key`]: the canonical URL and any sitemap date) in the
//!   same list, so a link read before is not fetched again, even after a restart.
//! - **Time.** Article pages are fetched within `[fetch] source_time_budget` from the start
//!   of the poll. Entries whose page was not fetched in time give no item now and are not
//!   remembered, so the next poll takes them; the feed's ETag and Last-Modified are not
//!   kept then (the next request is not conditional), and a `time_budget` problem says so.
//!
//! What the poll did is in [`FetchState::last_poll`] for `rasd sources`, with the article
//! pages whose text was not found (`extraction_failed`) and those where the source's
//! `article_selector` found none (`site_rule_missed`) counted. Those two counts are of the
//! last poll that fetched any page: a poll with nothing new keeps them, so a source whose
//! pages fail stays visible between its new entries. A failed poll sets
//! `retry_at` from `Retry-After` or exponential backoff with jitter; the caller schedules.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use rasd_core::{
    FetchState, Interval, Item, MAX_SEEN_ENTRIES, PollStats, SourceConfig, SourceKind, entry_key,
};
use tokio::time::Instant;
use tracing::info;

use crate::error::{Error, Problem};
use crate::feed::parse_feed_capped;
use crate::form::parse_form_export;
use crate::http::guard::PrivateHosts;
use crate::http::{Fetched, Fetcher};
use crate::pages::fill_full_text;
use crate::schedule::{MAX_RETRY_AFTER, backoff, jitter_seed, retry_after};
use crate::site::read_site_within;

/// What one poll of one source produced.
#[derive(Debug, Clone)]
pub struct SourceOutcome {
    /// The source id.
    pub source: String,
    /// New or changed items, untagged.
    pub items: Vec<Item>,
    /// The fetch state to store for the next poll.
    pub state: FetchState,
    /// The server said nothing changed (HTTP 304); `items` is empty.
    pub not_modified: bool,
    /// What went wrong, source-level and per entry.
    pub problems: Vec<Problem>,
    /// Set when the poll failed: do not poll the source before this time. From the server's
    /// `Retry-After` (429, 503…) when it sent one, else exponential backoff: the source's
    /// interval doubled for each failure in a row after the first, ±20% jitter, at most
    /// `[fetch] max_backoff`. `None` after a success or a 304.
    pub retry_at: Option<DateTime<Utc>>,
}

/// What the reader of a source kind gave.
struct Read {
    items: Vec<Item>,
    problems: Vec<Problem>,
    stats: PollStats,
    /// The keys to remember for the next poll (feeds and sites).
    seen: Option<Vec<u64>>,
}

impl Fetcher {
    /// Fetches one source once: a conditional GET (or a file read), parsing, and the linked
    /// pages' full text when the source asks for it, within the bounds of the module docs.
    /// Never fails: problems are in `problems`, and a source-level failure also in
    /// `state.last_error`, `state.consecutive_failures` and `retry_at`. Requests may reach
    /// private addresses only on the source's own hosts ([`crate::allow_private_for`]),
    /// redirects included.
    pub async fn fetch_source(&self, source: &SourceConfig, state: &FetchState) -> SourceOutcome {
        let now = Utc::now();
        let deadline = Instant::now() + self.time_budget;
        let private = PrivateHosts::of_source(source);
        let mut out = SourceOutcome {
            source: source.id.clone(),
            items: Vec::new(),
            state: FetchState {
                source: source.id.clone(),
                ..state.clone()
            },
            not_modified: false,
            problems: Vec::new(),
            retry_at: None,
        };
        let result = if source.url.starts_with("file:") {
            self.read_file(&source.url).await
        } else {
            // A site's front page may not change while its sections and sitemaps do:
            // site polls are never conditional.
            let conditional = (source.kind != SourceKind::Site).then_some(state);
            self.get_within(&source.url, &private, conditional).await
        };
        let fetched = match result {
            Ok(f) => f,
            Err(e) => {
                self.fail(&mut out, source, &e, now);
                return out;
            }
        };
        if fetched.status == 304 {
            out.not_modified = true;
            succeed(&mut out.state, &fetched, now);
            out.state.last_poll = PollStats {
                entries: state.last_poll.entries,
                ..PollStats::default()
            }
            .keeping_extraction_of(&state.last_poll);
            info!(source = %source.id, "Source not modified.");
            return out;
        }
        let read = match source.kind {
            SourceKind::Feed => {
                self.read_feed(source, &private, &fetched, state, now, deadline)
                    .await
            }
            SourceKind::FormExport => {
                parse_form_export(source, &fetched.body, now).map(|(items, problems)| Read {
                    stats: PollStats {
                        entries: count(items.len()),
                        new: count(items.len()),
                        taken: count(items.len()),
                        ..PollStats::default()
                    },
                    items,
                    problems,
                    seen: None,
                })
            }
            SourceKind::Site => read_site_within(
                self,
                source,
                &fetched,
                now,
                Some(deadline),
                &state.seen_entries,
            )
            .await
            .map(|poll| {
                let mut problems = poll.problems;
                if poll.late > 0 {
                    problems.push(self.out_of_time(source, poll.late, "article links"));
                }
                Read {
                    stats: PollStats {
                        entries: count(poll.entries),
                        new: count(poll.new),
                        taken: count(poll.items.len()),
                        pages: poll.pages,
                        capped: poll.capped,
                        out_of_time: poll.late > 0,
                        extraction_failed: poll.extraction_failed,
                        rule_missed: poll.rule_missed,
                    },
                    items: poll.items,
                    problems,
                    seen: Some(poll.seen),
                }
            }),
        };
        let read = match read {
            Ok(r) => r,
            Err(e) => {
                self.fail(&mut out, source, &e, now);
                return out;
            }
        };
        succeed(&mut out.state, &fetched, now);
        out.state.etag = fetched.etag.clone();
        out.state.last_modified = fetched.last_modified.clone();
        if read.stats.out_of_time {
            // Entries were left for the next poll: it must not be answered "not modified".
            out.state.etag = None;
            out.state.last_modified = None;
        }
        if let Some(seen) = read.seen {
            out.state.seen_entries = seen;
        }
        out.state.last_poll = read.stats.keeping_extraction_of(&state.last_poll);
        info!(
            source = %source.id,
            entries = read.stats.entries,
            new = read.stats.new,
            items = read.items.len(),
            pages = read.stats.pages,
            capped = read.stats.capped,
            out_of_time = read.stats.out_of_time,
            extraction_failed = read.stats.extraction_failed,
            rule_missed = read.stats.rule_missed,
            problems = read.problems.len(),
            "Source fetched."
        );
        out.items = read.items;
        out.problems = read.problems;
        out
    }

    /// Reads a fetched feed: the newest entries up to the cap, those not taken before, their
    /// pages within the deadline.
    async fn read_feed(
        &self,
        source: &SourceConfig,
        private: &PrivateHosts,
        fetched: &Fetched,
        state: &FetchState,
        now: DateTime<Utc>,
        deadline: Instant,
    ) -> Result<Read, Error> {
        let cap = source
            .max_entries_per_poll
            .unwrap_or(self.max_entries)
            .max(1) as usize;
        let body = fetched.body.clone();
        let (src, url, ct) = (
            source.clone(),
            fetched.final_url.clone(),
            fetched.content_type.clone(),
        );
        // Parsing a large feed takes a while: off the async workers.
        let feed = tokio::task::spawn_blocking(move || {
            parse_feed_capped(&src, &url, &body, ct.as_deref(), now, cap)
        })
        .await
        .map_err(|e| Error::NotAFeed {
            url: fetched.final_url.clone(),
            message: format!("the feed reader failed: {e}"),
        })??;
        let known: HashSet<u64> = state.seen_entries.iter().copied().collect();
        let mut listed = Vec::with_capacity(feed.items.len());
        let mut items = Vec::new();
        let mut keys = Vec::new();
        for item in feed.items {
            let key = item_key(&item);
            listed.push(key);
            if !known.contains(&key) {
                items.push(item);
                keys.push(key);
            }
        }
        let new = items.len();
        let mut problems = feed.problems;
        let filled =
            fill_full_text(self, source, private, &mut items, &mut problems, deadline).await;
        let late: HashSet<usize> = filled.late.iter().copied().collect();
        if !late.is_empty() {
            problems.push(self.out_of_time(source, late.len(), "new entries"));
            let mut i = 0;
            items.retain(|_| {
                i += 1;
                !late.contains(&(i - 1))
            });
        }
        let left: HashSet<u64> = keys
            .iter()
            .enumerate()
            .filter(|(i, _)| late.contains(i))
            .map(|(_, k)| *k)
            .collect();
        // The entries listed now (known or just taken) first, then older memories, bounded.
        let bound = MAX_SEEN_ENTRIES.max(cap);
        let mut seen: Vec<u64> = Vec::with_capacity(bound.min(listed.len() + known.len()));
        let mut added = HashSet::new();
        for k in listed.iter().chain(&state.seen_entries) {
            if seen.len() >= bound {
                break;
            }
            if !left.contains(k) && added.insert(*k) {
                seen.push(*k);
            }
        }
        if feed.capped {
            info!(
                source = %source.id,
                entries = feed.entries,
                cap,
                "Feed capped: only the newest entries were read."
            );
        }
        Ok(Read {
            stats: PollStats {
                entries: count(feed.entries),
                new: count(new),
                taken: count(items.len()),
                pages: filled.pages,
                capped: feed.capped,
                out_of_time: !late.is_empty(),
                extraction_failed: filled.extraction_failed,
                rule_missed: filled.rule_missed,
            },
            items,
            problems,
            seen: Some(seen),
        })
    }

    /// The problem of a poll that ran out of time with `left` things not fetched.
    fn out_of_time(&self, source: &SourceConfig, left: usize, what: &str) -> Problem {
        Problem::new(
            &source.id,
            Some(&source.url),
            "time_budget",
            format!(
                "the poll's time budget ({}) ran out: {left} {what} whose pages were not fetched \
                 are left for the next poll; raise `[fetch] source_time_budget` in rasd.toml if \
                 this keeps happening",
                Interval(self.time_budget)
            ),
        )
    }

    /// Records a source-level failure: the problem, the failure count, and `retry_at`.
    fn fail(
        &self,
        out: &mut SourceOutcome,
        source: &SourceConfig,
        err: &Error,
        now: DateTime<Utc>,
    ) {
        let problem = Problem::from_error(&out.source, Some(&source.url), err);
        out.state.last_error = Some(problem.message.clone());
        out.state.last_error_at = Some(now);
        out.state.consecutive_failures = out.state.consecutive_failures.saturating_add(1);
        out.problems.push(problem);
        out.retry_at = Some(self.retry_at(source, err, out.state.consecutive_failures, now));
    }

    /// When to try a failed source again: the server's `Retry-After`, else backoff from the
    /// source's interval.
    fn retry_at(
        &self,
        source: &SourceConfig,
        err: &Error,
        failures: u32,
        now: DateTime<Utc>,
    ) -> DateTime<Utc> {
        if let Error::Status {
            retry_after: Some(value),
            ..
        } = err
            && let Some(at) = retry_after(value, now, MAX_RETRY_AFTER.max(self.max_backoff))
        {
            return at;
        }
        let base = source
            .interval
            .map_or(self.default_interval, Interval::as_duration);
        let wait = backoff(
            base,
            failures,
            self.max_backoff,
            jitter_seed(&source.id, now),
        );
        now + chrono::Duration::from_std(wait).unwrap_or(chrono::Duration::hours(1))
    }
}

/// The key of a feed entry, from the item it gives before any page is fetched: its link (or
/// fallback URL), GUID, date, title and text.
fn item_key(item: &Item) -> u64 {
    let published = item.published.map(|d| d.to_rfc3339()).unwrap_or_default();
    entry_key(&[
        &item.url,
        item.guid.as_deref().unwrap_or(""),
        &published,
        &item.title,
        &item.body,
    ])
}

/// A count for [`PollStats`].
fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

fn succeed(state: &mut FetchState, fetched: &Fetched, now: DateTime<Utc>) {
    state.last_success = Some(now);
    state.last_error = None;
    state.consecutive_failures = 0;
    if fetched.etag.is_some() {
        state.etag = fetched.etag.clone();
    }
    if fetched.last_modified.is_some() {
        state.last_modified = fetched.last_modified.clone();
    }
}
