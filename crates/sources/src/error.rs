//! The error type of the sources crate, and [`Problem`], the per-item report that is counted
//! and logged instead of failing a batch.

use std::path::PathBuf;
use std::time::Duration;

use serde::Serialize;
use tracing::warn;

/// Errors raised while fetching or parsing one source or page.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The HTTP client could not be built from the `[fetch]` settings.
    #[error("cannot build the HTTP client: {0}")]
    Client(#[source] reqwest::Error),
    /// The URL is not an absolute `http://` or `https://` address.
    #[error("invalid URL {url:?}: {message}")]
    BadUrl {
        /// The URL as given.
        url: String,
        /// What is wrong with it.
        message: String,
    },
    /// The host is, or resolves to, a loopback, private, link-local or unspecified address.
    #[error(
        "refused {url}: {host} is a loopback, private or link-local address ({addr}); \
         set allow_private = true on the source only if it is a trusted local server"
    )]
    BlockedAddress {
        /// The URL that was refused.
        url: String,
        /// Its host.
        host: String,
        /// The address it is or resolved to.
        addr: String,
    },
    /// A redirect led to a loopback, private or link-local address that is not one of the
    /// source's own hosts; it was not followed.
    #[error(
        "refused {url}: it redirects to {to}, and {host} is a loopback, private or link-local \
         address ({addr}); redirects may reach private addresses only on the source's own \
         hosts (its url, sections and sitemap, with allow_private = true)"
    )]
    BlockedRedirect {
        /// The URL requested.
        url: String,
        /// The redirect target that was refused.
        to: String,
        /// Its host.
        host: String,
        /// The address it is or resolved to.
        addr: String,
    },
    /// The request did not finish within the configured time.
    #[error("{url}: no complete answer within {}s; raise `[fetch] timeout` in rasd.toml if the site is just slow", .after.as_secs_f32())]
    Timeout {
        /// The URL requested.
        url: String,
        /// The limit that was hit.
        after: Duration,
    },
    /// The response body is larger than `[fetch] max_body_bytes`.
    #[error(
        "{url}: the response is larger than the {limit}-byte cap; raise `[fetch] max_body_bytes` \
         in rasd.toml if this source is legitimately that large"
    )]
    TooLarge {
        /// The URL requested.
        url: String,
        /// The cap in bytes.
        limit: u64,
    },
    /// The server answered with a status other than 2xx or 304.
    #[error("{url}: the server answered HTTP {status}{}", retry_hint(.retry_after))]
    Status {
        /// The URL requested.
        url: String,
        /// The HTTP status code.
        status: u16,
        /// The `Retry-After` header, if the server sent one.
        retry_after: Option<String>,
    },
    /// The connection or transfer failed (DNS, connect, TLS, reset, redirect loop…).
    #[error("{url}: {message}")]
    Http {
        /// The URL requested.
        url: String,
        /// What failed, with its cause chain.
        message: String,
    },
    /// The site's robots.txt disallows the URL for Rasd.
    #[error(
        "{url}: the site's robots.txt disallows it for Rasd (rule `Disallow: {rule}` in {robots}); \
         it is not fetched. Ask the site for permission, or drop the source"
    )]
    RobotsDisallowed {
        /// The URL that was not fetched.
        url: String,
        /// The robots.txt it was checked against.
        robots: String,
        /// The pattern of the `Disallow` rule that matched.
        rule: String,
    },
    /// The site's robots.txt could not be read (5xx, timeout…), so nothing on the site is
    /// fetched until it can be (RFC 9309).
    #[error(
        "{url}: not fetched because {robots} could not be read ({message}); \
         Rasd treats the whole site as disallowed until it can, and tries again later"
    )]
    RobotsUnavailable {
        /// The URL that was not fetched.
        url: String,
        /// The robots.txt that failed.
        robots: String,
        /// What went wrong.
        message: String,
    },
    /// The server redirected more often than `[fetch] max_redirects` allows (or in a loop).
    #[error(
        "{url}: more than {limit} redirects (a redirect loop?); check the URL in a browser, \
         or raise `[fetch] max_redirects` in rasd.toml if the site really needs more"
    )]
    TooManyRedirects {
        /// The URL requested.
        url: String,
        /// The configured limit.
        limit: u32,
    },
    /// A local file (a `file://` form export) could not be read.
    #[error("cannot read {}: {source}", .path.display())]
    File {
        /// The file.
        path: PathBuf,
        /// The underlying I/O error.
        source: std::io::Error,
    },
    /// The bytes are not an RSS, Atom, RDF or JSON feed.
    #[error("{url}: not a feed: {message}")]
    NotAFeed {
        /// The feed URL.
        url: String,
        /// Why, and what to check.
        message: String,
    },
    /// A form export is not a JSON array of records.
    #[error("{url}: not a form export: {message}")]
    BadExport {
        /// The export URL.
        url: String,
        /// Why, and what the export should look like.
        message: String,
    },
}

fn retry_hint(retry_after: &Option<String>) -> String {
    match retry_after {
        Some(r) => format!(" (Retry-After: {r})"),
        None => String::new(),
    }
}

impl Error {
    /// The short snake_case label this error is counted under (the `reason` of a [`Problem`]).
    pub fn reason(&self) -> &'static str {
        match self {
            Error::Client(_) => "client",
            Error::BadUrl { .. } => "bad_url",
            Error::BlockedAddress { .. } => "blocked_address",
            Error::BlockedRedirect { .. } => "blocked_redirect",
            Error::Timeout { .. } => "timeout",
            Error::TooLarge { .. } => "too_large",
            Error::Status { .. } => "http_status",
            Error::Http { .. } => "http",
            Error::File { .. } => "file",
            Error::RobotsDisallowed { .. } => "robots_disallowed",
            Error::RobotsUnavailable { .. } => "robots_unavailable",
            Error::TooManyRedirects { .. } => "too_many_redirects",
            Error::NotAFeed { .. } => "not_a_feed",
            Error::BadExport { .. } => "bad_export",
        }
    }
}

/// The sources crate's result alias.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Something wrong with a source or one of its entries. The rest of the batch goes on; the
/// problem is logged when it is made and can be counted by `reason`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// The source id.
    pub source: String,
    /// The feed, entry or page URL concerned, when there is one.
    pub url: Option<String>,
    /// A short snake_case label for counters: `http_status`, `timeout`, `too_large`,
    /// `not_a_feed`, `no_link`, `no_date`, `page_fetch`, `bad_record`, `blocked_address`,
    /// `blocked_redirect`, `empty_entry`, `bad_export`, `http`, `file`, `bad_url`,
    /// `robots_disallowed`, `robots_unavailable`, `too_many_redirects`, `time_budget`.
    pub reason: &'static str,
    /// What was wrong, for a person.
    pub message: String,
}

impl Problem {
    /// Makes a problem and logs it at WARN.
    pub fn new(
        source: &str,
        url: Option<&str>,
        reason: &'static str,
        message: impl Into<String>,
    ) -> Problem {
        let p = Problem {
            source: source.to_string(),
            url: url.map(str::to_string),
            reason,
            message: message.into(),
        };
        warn!(
            source = %p.source,
            url = p.url.as_deref().unwrap_or(""),
            reason = p.reason,
            "{}",
            p.message
        );
        p
    }

    /// The problem an [`Error`] stands for.
    pub fn from_error(source: &str, url: Option<&str>, err: &Error) -> Problem {
        Problem::new(source, url, err.reason(), err.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn too_large_names_the_setting_to_raise() {
        let e = Error::TooLarge {
            url: "https://example.jo/rss".into(),
            limit: 1024,
        };
        let msg = e.to_string();
        assert!(msg.contains("1024"), "{msg}");
        assert!(msg.contains("[fetch] max_body_bytes"), "{msg}");
        assert_eq!(e.reason(), "too_large");
    }

    #[test]
    fn status_mentions_retry_after() {
        let e = Error::Status {
            url: "https://example.jo/rss".into(),
            status: 429,
            retry_after: Some("120".into()),
        };
        assert!(e.to_string().contains("HTTP 429 (Retry-After: 120)"));
        let p = Problem::from_error("roya", Some("https://example.jo/rss"), &e);
        assert_eq!(p.reason, "http_status");
        assert_eq!(p.source, "roya");
    }
}
