//! Fetching: the HTTP client ([`Fetcher`]), one GET with a streamed size cap
//! ([`Fetcher::get`]), and one whole source poll ([`Fetcher::fetch_source`]).
//!
//! `get` is the one place requests go out, and every request passes the same gates in this
//! order: the address guard (loopback and private addresses, unless allowed), the site's
//! robots.txt (when `[fetch] respect_robots`; fetched once per site and cached), then the
//! per-host limits (requests in flight and the delay between starts, a longer `Crawl-delay`
//! winning). `fetch_source` returns the new [`FetchState`], the problems and, after a
//! failure, when to try again (`retry_at`: the server's `Retry-After`, else exponential
//! backoff with jitter); the caller schedules.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use chrono::{DateTime, Utc};
use futures_util::{StreamExt, stream};
use rasd_core::{
    FetchSettings, FetchState, FullText, Interval, Item, ScheduleSettings, SourceConfig, SourceKind,
};
use reqwest::header::{
    CONTENT_TYPE, ETAG, HeaderMap, IF_MODIFIED_SINCE, IF_NONE_MATCH, LAST_MODIFIED, RETRY_AFTER,
};
use reqwest::redirect::{Attempt, Policy};
use tokio::io::AsyncReadExt;
use tracing::info;

use crate::error::{Error, Problem, Result};
use crate::extract::{Extracted, extract_article};
use crate::feed::{is_article_link, parse_feed};
use crate::form::parse_form_export;
use crate::guard::{BlockedAddr, GuardedResolver, allow_private_for, blocked_literal};
use crate::hosts::{HostLimits, host_key};
use crate::robots::{Access, ROBOTS_MAX_BYTES, RobotsCache, Verdict, site_of};
use crate::schedule::{MAX_RETRY_AFTER, backoff, jitter_seed, retry_after};

/// How many linked pages of one source are fetched at once for their full text.
pub const PAGE_CONCURRENCY: usize = 4;

/// In `auto` mode, entries whose text is shorter than this many characters get their page
/// fetched.
pub const SHORT_TEXT_CHARS: usize = 400;

/// The HTTP client Rasd fetches with. Cheap to clone: the connection pools, the robots.txt
/// cache and the per-host limits are shared by every clone.
#[derive(Debug, Clone)]
pub struct Fetcher {
    /// For ordinary sources: the address guard is on.
    guarded: reqwest::Client,
    /// For sources with `allow_private = true`.
    open: reqwest::Client,
    max_body: u64,
    timeout: Duration,
    max_redirects: u32,
    max_backoff: Duration,
    /// The backoff base of sources without an `interval`.
    default_interval: Duration,
    hosts: Arc<HostLimits>,
    /// `None` when `[fetch] respect_robots = false`.
    robots: Option<Arc<RobotsCache>>,
}

/// One HTTP response (or a local file), with its body read in full.
#[derive(Debug, Clone)]
pub struct Fetched {
    /// The HTTP status: 2xx, or 304 (with an empty body) for a conditional request.
    pub status: u16,
    /// The URL after redirects.
    pub final_url: String,
    /// The `Content-Type` header.
    pub content_type: Option<String>,
    /// The `ETag` header.
    pub etag: Option<String>,
    /// The `Last-Modified` header.
    pub last_modified: Option<String>,
    /// The body, decompressed, at most `[fetch] max_body_bytes` long.
    pub body: Bytes,
}

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

/// Too many redirects, raised by the redirect policy.
#[derive(Debug)]
struct TooManyRedirects(usize);

impl std::fmt::Display for TooManyRedirects {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "more than {} redirects", self.0)
    }
}

impl std::error::Error for TooManyRedirects {}

impl Fetcher {
    /// A client per the `[fetch]` settings: rustls, gzip/brotli/deflate, `connect_timeout`
    /// (at most `timeout`) and the total `timeout`, the redirect limit, the User-Agent
    /// `"<user_agent> (+<contact>)"`, robots.txt when `respect_robots`, and the per-host
    /// limits. Backoff starts from `[schedule] default_interval`'s default for sources
    /// without an `interval`; see [`Fetcher::with_default_interval`].
    pub fn new(settings: &FetchSettings) -> Result<Fetcher> {
        Fetcher::with_resolved(settings, &[])
    }

    /// Like [`Fetcher::new`], but for sources with `allow_private = true` the given host
    /// names resolve to the given addresses (port included) instead of through DNS. The demo
    /// uses it to publish its loopback outlets under a fixed host name, so item URLs do not
    /// depend on the port the demo server gets.
    pub fn with_resolved(
        settings: &FetchSettings,
        hosts: &[(&str, SocketAddr)],
    ) -> Result<Fetcher> {
        let user_agent = format!("{} (+{})", settings.user_agent, settings.contact);
        let timeout = settings.timeout.as_duration();
        let connect_timeout = settings.connect_timeout.as_duration().min(timeout);
        let max_redirects = settings.max_redirects as usize;
        let build = |guard: bool| {
            let policy = Policy::custom(move |attempt: Attempt<'_>| {
                if attempt.previous().len() > max_redirects {
                    return attempt.error(TooManyRedirects(max_redirects));
                }
                if guard && let Some(addr) = blocked_literal(attempt.url()) {
                    let host = attempt.url().host_str().unwrap_or_default().to_string();
                    return attempt.error(BlockedAddr { host, addr });
                }
                attempt.follow()
            });
            let mut builder = reqwest::Client::builder()
                .user_agent(user_agent.clone())
                .connect_timeout(connect_timeout)
                .timeout(timeout)
                .redirect(policy)
                .gzip(true)
                .brotli(true)
                .deflate(true);
            if guard {
                builder = builder.dns_resolver(GuardedResolver);
            } else {
                for (host, addr) in hosts {
                    builder = builder.resolve(host, *addr);
                }
            }
            builder.build().map_err(Error::Client)
        };
        Ok(Fetcher {
            guarded: build(true)?,
            open: build(false)?,
            max_body: settings.max_body_bytes,
            timeout,
            max_redirects: settings.max_redirects,
            max_backoff: settings.max_backoff.as_duration(),
            default_interval: ScheduleSettings::default().default_interval.as_duration(),
            hosts: Arc::new(HostLimits::new(
                settings.per_host_concurrency,
                settings.per_host_delay.as_duration(),
            )),
            robots: settings
                .respect_robots
                .then(|| Arc::new(RobotsCache::default())),
        })
    }

    /// Sets the backoff base of sources without an `interval`: pass
    /// `[schedule] default_interval`.
    pub fn with_default_interval(mut self, interval: Interval) -> Fetcher {
        self.default_interval = interval.as_duration();
        self
    }

    /// GETs `url`. The body is streamed and the request aborted as soon as it passes
    /// `[fetch] max_body_bytes` ([`Error::TooLarge`]). With `conditional`, its ETag and
    /// Last-Modified are sent and a 304 comes back as `Ok` with `status == 304` and an empty
    /// body; any other status outside 2xx is [`Error::Status`]. Unless `allow_private`,
    /// loopback, private and link-local addresses are refused ([`Error::BlockedAddress`]).
    /// With `respect_robots`, a URL the site's robots.txt disallows for `Rasd` is
    /// [`Error::RobotsDisallowed`] (and [`Error::RobotsUnavailable`] while the robots.txt
    /// answers 5xx or not at all); nothing is requested then. Waits for the per-host limits
    /// before sending.
    pub async fn get(
        &self,
        url: &str,
        allow_private: bool,
        conditional: Option<&FetchState>,
    ) -> Result<Fetched> {
        let parsed = url::Url::parse(url.trim()).map_err(|e| Error::BadUrl {
            url: url.to_string(),
            message: e.to_string(),
        })?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(Error::BadUrl {
                url: url.to_string(),
                message: "only http:// and https:// can be fetched".to_string(),
            });
        }
        if !allow_private && let Some(addr) = blocked_literal(&parsed) {
            return Err(Error::BlockedAddress {
                url: url.to_string(),
                host: parsed.host_str().unwrap_or_default().to_string(),
                addr: addr.to_string(),
            });
        }
        let client = if allow_private {
            &self.open
        } else {
            &self.guarded
        };
        let key = host_key(&parsed);
        self.check_robots(url, &parsed, client, &key).await?;
        // Held until the body is read: the request counts against its host until then.
        let _permit = self.hosts.acquire(&key).await;
        let mut request = client.get(parsed);
        if let Some(state) = conditional {
            if let Some(etag) = &state.etag {
                request = request.header(IF_NONE_MATCH, etag);
            }
            if let Some(lm) = &state.last_modified {
                request = request.header(IF_MODIFIED_SINCE, lm);
            }
        }
        let mut response = request.send().await.map_err(|e| self.http_error(url, &e))?;
        let status = response.status().as_u16();
        let headers = response.headers();
        let header = |h: &HeaderMap, name| {
            h.get(name)
                .and_then(|v: &reqwest::header::HeaderValue| v.to_str().ok())
                .map(str::to_string)
        };
        let mut fetched = Fetched {
            status,
            final_url: response.url().to_string(),
            content_type: header(headers, CONTENT_TYPE),
            etag: header(headers, ETAG),
            last_modified: header(headers, LAST_MODIFIED),
            body: Bytes::new(),
        };
        if status == 304 {
            return Ok(fetched);
        }
        if !(200..300).contains(&status) {
            return Err(Error::Status {
                url: url.to_string(),
                status,
                retry_after: header(headers, RETRY_AFTER),
            });
        }
        let too_large = || Error::TooLarge {
            url: url.to_string(),
            limit: self.max_body,
        };
        if response.content_length().is_some_and(|n| n > self.max_body) {
            return Err(too_large());
        }
        let mut body = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| self.http_error(url, &e))?
        {
            if (body.len() + chunk.len()) as u64 > self.max_body {
                // Dropping the response closes the connection: nothing more is read.
                return Err(too_large());
            }
            body.extend_from_slice(&chunk);
        }
        fetched.body = Bytes::from(body);
        Ok(fetched)
    }

    /// Checks `parsed` against its site's robots.txt (fetching it when not cached) and
    /// applies the site's `Crawl-delay`. Does nothing when robots.txt is not respected.
    async fn check_robots(
        &self,
        url: &str,
        parsed: &url::Url,
        client: &reqwest::Client,
        key: &str,
    ) -> Result<()> {
        let Some(cache) = &self.robots else {
            return Ok(());
        };
        if parsed.path() == "/robots.txt" {
            return Ok(());
        }
        let (site, robots) = site_of(parsed);
        let rules = cache
            .rules_for(&site, || self.fetch_robots(&robots, client, key))
            .await
            .map_err(|e| match e {
                Error::BlockedAddress { host, addr, .. } => Error::BlockedAddress {
                    url: url.to_string(),
                    host,
                    addr,
                },
                other => other,
            })?;
        self.hosts.set_crawl_delay(key, rules.crawl_delay());
        match rules.check(parsed) {
            Verdict::Allowed => Ok(()),
            Verdict::Disallowed(rule) => Err(Error::RobotsDisallowed {
                url: url.to_string(),
                robots,
                rule,
            }),
            Verdict::Unreachable(message) => Err(Error::RobotsUnavailable {
                url: url.to_string(),
                robots,
                message,
            }),
        }
    }

    /// Fetches a robots.txt (counted against its host like any request) and says what it
    /// means. `Err` only when the site's address is refused by the guard.
    async fn fetch_robots(
        &self,
        robots: &str,
        client: &reqwest::Client,
        key: &str,
    ) -> Result<Access> {
        let _permit = self.hosts.acquire(key).await;
        let unreachable = |e: Error| match e {
            e @ Error::BlockedAddress { .. } => Err(e),
            // RFC 9309: a robots.txt not reached within the redirect limit may be read as
            // missing.
            Error::TooManyRedirects { .. } => Ok(Access::Unavailable),
            other => Ok(Access::Unreachable(other.to_string())),
        };
        let mut response = match client.get(robots).send().await {
            Ok(r) => r,
            Err(e) => return unreachable(self.http_error(robots, &e)),
        };
        let status = response.status().as_u16();
        if status == 429 || status >= 500 {
            return Ok(Access::Unreachable(format!("HTTP {status}")));
        }
        if !(200..300).contains(&status) {
            return Ok(Access::Unavailable);
        }
        let mut body = Vec::new();
        loop {
            match response.chunk().await {
                Ok(Some(chunk)) => {
                    body.extend_from_slice(&chunk);
                    if body.len() > ROBOTS_MAX_BYTES {
                        // The parser reads only the first ROBOTS_MAX_BYTES anyway.
                        break;
                    }
                }
                Ok(None) => break,
                Err(e) => return unreachable(self.http_error(robots, &e)),
            }
        }
        Ok(Access::File(body))
    }

    /// Maps a reqwest error to ours, finding our guard's and redirect policy's errors in its
    /// cause chain.
    fn http_error(&self, url: &str, err: &reqwest::Error) -> Error {
        let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(err);
        let mut chain = Vec::new();
        while let Some(c) = cause {
            if let Some(b) = c.downcast_ref::<BlockedAddr>() {
                return Error::BlockedAddress {
                    url: url.to_string(),
                    host: b.host.clone(),
                    addr: b.addr.to_string(),
                };
            }
            if c.downcast_ref::<TooManyRedirects>().is_some() {
                return Error::TooManyRedirects {
                    url: url.to_string(),
                    limit: self.max_redirects,
                };
            }
            let text = c.to_string();
            if chain.last() != Some(&text) {
                chain.push(text);
            }
            cause = c.source();
        }
        if err.is_timeout() {
            return Error::Timeout {
                url: url.to_string(),
                after: self.timeout,
            };
        }
        Error::Http {
            url: url.to_string(),
            message: chain.join(": "),
        }
    }

    /// Reads a `file://` URL, capped like a response body.
    async fn read_file(&self, url: &str) -> Result<Fetched> {
        let path = url::Url::parse(url)
            .ok()
            .and_then(|u| u.to_file_path().ok())
            .ok_or_else(|| Error::BadUrl {
                url: url.to_string(),
                message: "not a valid file:// path".to_string(),
            })?;
        let io = |source| Error::File {
            path: path.clone(),
            source,
        };
        let file = tokio::fs::File::open(&path).await.map_err(io)?;
        let mut body = Vec::new();
        file.take(self.max_body + 1)
            .read_to_end(&mut body)
            .await
            .map_err(io)?;
        if body.len() as u64 > self.max_body {
            return Err(Error::TooLarge {
                url: url.to_string(),
                limit: self.max_body,
            });
        }
        Ok(Fetched {
            status: 200,
            final_url: url.to_string(),
            content_type: None,
            etag: None,
            last_modified: None,
            body: Bytes::from(body),
        })
    }

    /// Fetches one source once: a conditional GET (or a file read), parsing, and the linked
    /// pages' full text when the source asks for it. Never fails: problems are in
    /// `problems`, and a source-level failure also in `state.last_error`,
    /// `state.consecutive_failures` and `retry_at`. Linked pages may reach private addresses
    /// only on the source's own hosts ([`crate::allow_private_for`]).
    pub async fn fetch_source(&self, source: &SourceConfig, state: &FetchState) -> SourceOutcome {
        let now = Utc::now();
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
            self.get(&source.url, source.allow_private, conditional)
                .await
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
            info!(source = %source.id, "Source not modified.");
            return out;
        }
        let parsed = match source.kind {
            SourceKind::Feed => parse_feed(
                source,
                &fetched.final_url,
                &fetched.body,
                fetched.content_type.as_deref(),
                now,
            ),
            SourceKind::FormExport => parse_form_export(source, &fetched.body, now),
            SourceKind::Site => crate::site::read_site(self, source, &fetched, now).await,
        };
        let (mut items, mut problems) = match parsed {
            Ok(p) => p,
            Err(e) => {
                self.fail(&mut out, source, &e, now);
                return out;
            }
        };
        if source.kind == SourceKind::Feed {
            self.fill_full_text(source, &mut items, &mut problems).await;
        }
        succeed(&mut out.state, &fetched, now);
        out.state.etag = fetched.etag.clone();
        out.state.last_modified = fetched.last_modified.clone();
        info!(
            source = %source.id,
            items = items.len(),
            problems = problems.len(),
            "Source fetched."
        );
        out.items = items;
        out.problems = problems;
        out
    }

    /// Fetches the linked page of entries that need it and keeps the longer text.
    async fn fill_full_text(
        &self,
        source: &SourceConfig,
        items: &mut [Item],
        problems: &mut Vec<Problem>,
    ) {
        let todo: Vec<(usize, String)> = items
            .iter()
            .enumerate()
            .filter(|(_, it)| {
                is_article_link(&it.url) && needs_full_text(source.fetch_full_text, &it.body)
            })
            .map(|(i, it)| (i, it.url.clone()))
            .collect();
        let results: Vec<(usize, String, Result<Extracted, PageError>)> = stream::iter(todo)
            .map(|(i, url)| async move {
                let r = self.fetch_page(&url, allow_private_for(source, &url)).await;
                (i, url, r)
            })
            .buffer_unordered(PAGE_CONCURRENCY)
            .collect()
            .await;
        for (i, url, result) in results {
            match result {
                Ok(x) => merge_page(&mut items[i], x),
                // Refusals by policy are counted under their own reason.
                Err(PageError::Fetch(
                    e @ (Error::BlockedAddress { .. }
                    | Error::RobotsDisallowed { .. }
                    | Error::RobotsUnavailable { .. }),
                )) => problems.push(Problem::new(
                    &source.id,
                    Some(&url),
                    e.reason(),
                    format!("{e}; the feed's text is kept"),
                )),
                Err(why) => problems.push(Problem::new(
                    &source.id,
                    Some(&url),
                    "page_fetch",
                    format!("could not get the full text ({why}); the feed's text is kept"),
                )),
            }
        }
    }

    /// Fetches an article page and extracts it.
    async fn fetch_page(&self, url: &str, allow_private: bool) -> Result<Extracted, PageError> {
        let page = self
            .get(url, allow_private, None)
            .await
            .map_err(PageError::Fetch)?;
        if let Some(ct) = &page.content_type {
            let ct = ct.to_ascii_lowercase();
            if !(ct.contains("html") || ct.starts_with("text/")) {
                return Err(PageError::Other(format!(
                    "the link is {ct}, not an HTML page"
                )));
            }
        }
        let final_url = page.final_url.clone();
        tokio::task::spawn_blocking(move || {
            let text = crate::encoding::decode_text(
                &page.body,
                page.content_type.as_deref(),
                Some(&final_url),
            );
            extract_article(&text, &final_url)
        })
        .await
        .map_err(|e| PageError::Other(format!("the extractor failed: {e}")))
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

/// Why an article page gave no text.
#[derive(Debug)]
enum PageError {
    /// The request failed or was refused.
    Fetch(Error),
    /// The page is not HTML, or the extractor failed.
    Other(String),
}

impl std::fmt::Display for PageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PageError::Fetch(e) => e.fmt(f),
            PageError::Other(s) => f.write_str(s),
        }
    }
}

/// True when an entry's text should be replaced by its page's, per the source's setting.
pub fn needs_full_text(mode: FullText, body: &str) -> bool {
    match mode {
        FullText::Never => false,
        FullText::Always => true,
        FullText::Auto => body.chars().count() < SHORT_TEXT_CHARS || looks_truncated(body),
    }
}

/// True when a text ends like a teaser: an ellipsis or a "read more".
fn looks_truncated(body: &str) -> bool {
    let t = body.trim_end().to_lowercase();
    [
        "…",
        "...",
        "[…]",
        "[...]",
        "read more",
        "continue reading",
        "المزيد",
        "التفاصيل",
    ]
    .iter()
    .any(|end| t.ends_with(end))
}

fn merge_page(item: &mut Item, page: Extracted) {
    if page.text.chars().count() > item.body.chars().count() {
        item.body = page.text;
    }
    if item.title.is_empty()
        && let Some(t) = page.title
    {
        item.title = t;
    }
    if item.published.is_none() {
        item.published = page.published;
    }
    if item.author.is_none() {
        item.author = page.author;
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_text_policy() {
        let long = "أ".repeat(500);
        assert!(!needs_full_text(FullText::Never, "قصير"));
        assert!(needs_full_text(FullText::Always, &long));
        assert!(needs_full_text(FullText::Auto, "قصير"));
        assert!(!needs_full_text(FullText::Auto, &long));
        assert!(needs_full_text(FullText::Auto, &format!("{long} …")));
        assert!(needs_full_text(
            FullText::Auto,
            &format!("{long} اقرأ المزيد")
        ));
        assert!(needs_full_text(FullText::Auto, &format!("{long} [...]")));
    }

    #[test]
    fn page_text_replaces_only_when_longer() {
        let mut item = Item::new("s", "https://example.jo/a", "", "ملخص", Utc::now());
        merge_page(
            &mut item,
            Extracted {
                title: Some("عنوان".into()),
                text: "نص كامل أطول من الملخص".into(),
                published: None,
                author: Some("كاتب".into()),
                ..Extracted::default()
            },
        );
        assert_eq!(item.body, "نص كامل أطول من الملخص");
        assert_eq!(item.title, "عنوان");
        assert_eq!(item.author.as_deref(), Some("كاتب"));
        merge_page(
            &mut item,
            Extracted {
                text: "قصير".into(),
                ..Extracted::default()
            },
        );
        assert_eq!(item.body, "نص كامل أطول من الملخص");
    }
}
