//! Fetching: the HTTP client ([`Fetcher`]), one GET with a streamed size cap
//! ([`Fetcher::get`]), and one whole source poll ([`Fetcher::fetch_source`]).
//!
//! Seams for the production version: `get` is the one place requests go out (robots.txt,
//! per-host rate limits and backoff belong in front of it); `fetch_source` returns the new
//! [`FetchState`] and the problems, and leaves scheduling to the caller.

use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use chrono::{DateTime, Utc};
use futures_util::{StreamExt, stream};
use rasd_core::{FetchSettings, FetchState, FullText, Item, SourceConfig, SourceKind};
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
use crate::guard::{BlockedAddr, GuardedResolver, blocked_literal};

/// How many linked pages of one source are fetched at once for their full text.
pub const PAGE_CONCURRENCY: usize = 4;

/// In `auto` mode, entries whose text is shorter than this many characters get their page
/// fetched.
pub const SHORT_TEXT_CHARS: usize = 400;

/// The longest connect timeout, whatever `[fetch] timeout` says.
const MAX_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// The HTTP client Rasd fetches with. Cheap to clone (the connection pools are shared).
#[derive(Debug, Clone)]
pub struct Fetcher {
    /// For ordinary sources: the address guard is on.
    guarded: reqwest::Client,
    /// For sources with `allow_private = true`.
    open: reqwest::Client,
    max_body: u64,
    timeout: Duration,
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
}

/// Too many redirects, raised by the redirect policy.
#[derive(Debug)]
struct TooManyRedirects(usize);

impl std::fmt::Display for TooManyRedirects {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "more than {} redirects; raise `[fetch] max_redirects` in rasd.toml if the site needs more",
            self.0
        )
    }
}

impl std::error::Error for TooManyRedirects {}

impl Fetcher {
    /// A client per the `[fetch]` settings: rustls, gzip/brotli/deflate, a connect timeout
    /// (the total timeout, at most 10 s) and the total timeout, the redirect limit, and the
    /// User-Agent `"<user_agent> (+<contact>)"`.
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
                .connect_timeout(timeout.min(MAX_CONNECT_TIMEOUT))
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
        })
    }

    /// GETs `url`. The body is streamed and the request aborted as soon as it passes
    /// `[fetch] max_body_bytes` ([`Error::TooLarge`]). With `conditional`, its ETag and
    /// Last-Modified are sent and a 304 comes back as `Ok` with `status == 304` and an empty
    /// body; any other status outside 2xx is [`Error::Status`]. Unless `allow_private`,
    /// loopback, private and link-local addresses are refused ([`Error::BlockedAddress`]).
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
    /// `problems`, and a source-level failure also in `state.last_error` and
    /// `state.consecutive_failures`.
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
        };
        let result = if source.url.starts_with("file:") {
            self.read_file(&source.url).await
        } else {
            self.get(&source.url, source.allow_private, Some(state))
                .await
        };
        let fetched = match result {
            Ok(f) => f,
            Err(e) => {
                fail(&mut out, &source.url, &e, now);
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
            SourceKind::Site => Err(Error::NotAFeed {
                url: source.url.clone(),
                message: "site sources are not read yet".to_string(),
            }),
        };
        let (mut items, mut problems) = match parsed {
            Ok(p) => p,
            Err(e) => {
                fail(&mut out, &source.url, &e, now);
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
        let results: Vec<(usize, String, Result<Extracted, String>)> = stream::iter(todo)
            .map(|(i, url)| async move {
                let r = self.fetch_page(&url, source.allow_private).await;
                (i, url, r)
            })
            .buffer_unordered(PAGE_CONCURRENCY)
            .collect()
            .await;
        for (i, url, result) in results {
            match result {
                Ok(x) => merge_page(&mut items[i], x),
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
    async fn fetch_page(&self, url: &str, allow_private: bool) -> Result<Extracted, String> {
        let page = self
            .get(url, allow_private, None)
            .await
            .map_err(|e| e.to_string())?;
        if let Some(ct) = &page.content_type {
            let ct = ct.to_ascii_lowercase();
            if !(ct.contains("html") || ct.starts_with("text/")) {
                return Err(format!("the link is {ct}, not an HTML page"));
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
        .map_err(|e| format!("the extractor failed: {e}"))
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

fn fail(out: &mut SourceOutcome, url: &str, err: &Error, now: DateTime<Utc>) {
    let problem = Problem::from_error(&out.source, Some(url), err);
    out.state.last_error = Some(problem.message.clone());
    out.state.last_error_at = Some(now);
    out.state.consecutive_failures = out.state.consecutive_failures.saturating_add(1);
    out.problems.push(problem);
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
