//! The HTTP layer, the bottom of the crate: the client ([`Fetcher`]) and the gates every
//! request passes — the address guard ([`guard`]), robots.txt ([`robots`]) and the per-host
//! limits ([`hosts`]). Nothing here knows about feeds, sites or sources beyond the hosts a
//! request may reach privately ([`PrivateHosts`]).
//!
//! [`Fetcher::get`] is the one place requests go out. Redirects are followed here, not by
//! reqwest, so that every hop passes the same gates in this order: the address guard
//! (loopback and private addresses only on the request's own private hosts), the site's
//! robots.txt (when `[fetch] respect_robots`; fetched once per site and cached, through the
//! same guarded hops), then the per-host limits (requests in flight and the delay between
//! starts, a longer `Crawl-delay` winning). Bodies are capped while streaming.
//!
//! Two reqwest clients: `guarded` (the guarded resolver; the `[fetch] proxy` when one is
//! configured) for every hop that is not on the request's own private hosts, and `open`
//! (system DNS, never a proxy) for those that are. Neither reads proxies from the
//! environment.

pub(crate) mod guard;
pub(crate) mod hosts;
pub(crate) mod robots;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use rasd_core::{FetchSettings, FetchState, Interval, ScheduleSettings};
use reqwest::header::{
    CONTENT_TYPE, ETAG, HeaderMap, IF_MODIFIED_SINCE, IF_NONE_MATCH, LAST_MODIFIED, LOCATION,
    RETRY_AFTER,
};
use reqwest::redirect::Policy;
use tokio::io::AsyncReadExt;
use url::Url;

use crate::error::{Error, Result};
use guard::{BlockedAddr, GuardedResolver, PrivateHosts, blocked_literal, resolves_to_blocked};
use hosts::{HostLimits, HostPermit, host_key};
use robots::{Access, ROBOTS_MAX_BYTES, RobotsCache, Verdict, site_of};

/// The HTTP client Rasd fetches with. Cheap to clone: the connection pools, the robots.txt
/// cache and the per-host limits are shared by every clone.
#[derive(Debug, Clone)]
pub struct Fetcher {
    /// For every hop outside the request's private hosts: the guarded resolver, and the
    /// configured proxy if any.
    guarded: reqwest::Client,
    /// For hops on the request's own private hosts: no guard, no proxy.
    open: reqwest::Client,
    /// A proxy is configured: names sent through it are checked by resolving them here.
    proxied: bool,
    max_body: u64,
    timeout: Duration,
    max_redirects: u32,
    /// The longest a failing source waits (used by the poll layer).
    pub(crate) max_backoff: Duration,
    /// The backoff base of sources without an `interval`.
    pub(crate) default_interval: Duration,
    /// `[fetch] max_entries_per_poll`.
    pub(crate) max_entries: u32,
    /// `[fetch] source_time_budget`.
    pub(crate) time_budget: Duration,
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

/// What one hop gave.
enum Hop {
    /// A response that is not a redirect, and the permit of its host.
    Final(reqwest::Response, HostPermit),
    /// A redirect, to this `Location`.
    Redirect(String),
}

impl Fetcher {
    /// A client per the `[fetch]` settings: rustls, gzip/brotli/deflate, `connect_timeout`
    /// (at most `timeout`) and the total `timeout` per hop, the redirect limit, the
    /// User-Agent `"<user_agent> (+<contact>)"`, the `proxy` if one is set (and none from
    /// the environment otherwise), robots.txt when `respect_robots`, and the per-host
    /// limits. Backoff starts from `[schedule] default_interval`'s default for sources
    /// without an `interval`; see [`Fetcher::with_default_interval`].
    pub fn new(settings: &FetchSettings) -> Result<Fetcher> {
        Fetcher::with_resolved(settings, &[])
    }

    /// Like [`Fetcher::new`], but on a source's own private hosts the given host names
    /// resolve to the given addresses (port included) instead of through DNS. The demo uses
    /// it to publish its loopback outlets under a fixed host name, so item URLs do not
    /// depend on the port the demo server gets.
    pub fn with_resolved(
        settings: &FetchSettings,
        hosts: &[(&str, SocketAddr)],
    ) -> Result<Fetcher> {
        let user_agent = format!("{} (+{})", settings.user_agent, settings.contact);
        let timeout = settings.timeout.as_duration();
        let connect_timeout = settings.connect_timeout.as_duration().min(timeout);
        let base = || {
            reqwest::Client::builder()
                .user_agent(user_agent.clone())
                .connect_timeout(connect_timeout)
                .timeout(timeout)
                // Redirects are followed by `get`, one guarded hop at a time.
                .redirect(Policy::none())
                // Proxies only from rasd.toml: never HTTP_PROXY and friends.
                .no_proxy()
                .gzip(true)
                .brotli(true)
                .deflate(true)
        };
        let proxy = match settings.proxy.as_deref() {
            Some(p) => Some(
                Url::parse(p.trim())
                    .ok()
                    .filter(|u| matches!(u.scheme(), "http" | "https"))
                    .ok_or_else(|| Error::BadUrl {
                        url: p.to_string(),
                        message: "`[fetch] proxy` must be an http:// or https:// address"
                            .to_string(),
                    })?,
            ),
            None => None,
        };
        let mut guarded = base().dns_resolver(GuardedResolver {
            trusted: proxy
                .as_ref()
                .and_then(|p| p.host_str())
                .map(str::to_string),
        });
        if let Some(p) = &proxy {
            guarded = guarded.proxy(reqwest::Proxy::all(p.as_str()).map_err(Error::Client)?);
        }
        let mut open = base();
        for (host, addr) in hosts {
            open = open.resolve(host, *addr);
        }
        Ok(Fetcher {
            guarded: guarded.build().map_err(Error::Client)?,
            open: open.build().map_err(Error::Client)?,
            proxied: proxy.is_some(),
            max_body: settings.max_body_bytes,
            timeout,
            max_redirects: settings.max_redirects,
            max_backoff: settings.max_backoff.as_duration(),
            default_interval: ScheduleSettings::default().default_interval.as_duration(),
            max_entries: settings.max_entries_per_poll.max(1),
            time_budget: settings.source_time_budget.as_duration(),
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

    /// GETs `url`; with `allow_private`, loopback and private addresses may be reached on
    /// `url`'s own host and port (and nowhere else, redirects included). See
    /// [`Fetcher::get_within`].
    pub async fn get(
        &self,
        url: &str,
        allow_private: bool,
        conditional: Option<&FetchState>,
    ) -> Result<Fetched> {
        let private = if allow_private {
            PrivateHosts::only(url)
        } else {
            PrivateHosts::none()
        };
        self.get_within(url, &private, conditional).await
    }

    /// GETs `url`, following at most `[fetch] max_redirects` redirects, each hop through
    /// the gates. The body is streamed and the request aborted as soon as it passes
    /// `[fetch] max_body_bytes` ([`Error::TooLarge`]). With `conditional`, its ETag and
    /// Last-Modified are sent and a 304 comes back as `Ok` with `status == 304` and an empty
    /// body; any other status outside 2xx is [`Error::Status`]. Loopback, private and
    /// link-local addresses are refused unless the hop is on one of `private`
    /// ([`Error::BlockedAddress`] for `url` itself, [`Error::BlockedRedirect`] for a
    /// redirect). With `respect_robots`, a URL the site's robots.txt disallows for `Rasd` is
    /// [`Error::RobotsDisallowed`] (and [`Error::RobotsUnavailable`] while the robots.txt
    /// answers 5xx or not at all); nothing is requested then. Waits for the per-host limits
    /// before each hop.
    pub async fn get_within(
        &self,
        url: &str,
        private: &PrivateHosts,
        conditional: Option<&FetchState>,
    ) -> Result<Fetched> {
        let parsed = parse_http(url)?;
        let (mut response, _permit, final_url) =
            self.send(url, parsed, private, conditional).await?;
        let status = response.status().as_u16();
        let headers = response.headers();
        let mut fetched = Fetched {
            status,
            final_url: final_url.to_string(),
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
            .map_err(|e| self.http_error(url, None, &e))?
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

    /// Sends a GET and follows redirects by hand: each hop is guarded, checked against
    /// robots.txt and counted against its host. Returns the last response (not a
    /// redirect), the permit of its host (hold it until the body is read) and its URL.
    async fn send(
        &self,
        url: &str,
        first: Url,
        private: &PrivateHosts,
        conditional: Option<&FetchState>,
    ) -> Result<(reqwest::Response, HostPermit, Url)> {
        let mut hop = first;
        let mut redirects = 0u32;
        loop {
            let redirected = (redirects > 0).then(|| hop.clone());
            // The guard before robots.txt: a refused host's robots.txt is not asked for.
            self.guard_hop(url, redirected.as_ref(), &hop, private)
                .await?;
            self.check_robots(url, redirected.as_ref(), &hop, private)
                .await?;
            match self
                .send_one(url, redirected.as_ref(), &hop, private, conditional)
                .await?
            {
                Hop::Final(response, permit) => return Ok((response, permit, hop)),
                Hop::Redirect(next) => hop = self.next_hop(url, &hop, &next, &mut redirects)?,
            }
        }
    }

    /// [`Fetcher::send`] for a robots.txt: the same guarded hops, without robots.txt.
    async fn send_robots(
        &self,
        url: &str,
        private: &PrivateHosts,
    ) -> Result<(reqwest::Response, HostPermit)> {
        let mut hop = parse_http(url)?;
        let mut redirects = 0u32;
        loop {
            let redirected = (redirects > 0).then(|| hop.clone());
            self.guard_hop(url, redirected.as_ref(), &hop, private)
                .await?;
            match self
                .send_one(url, redirected.as_ref(), &hop, private, None)
                .await?
            {
                Hop::Final(response, permit) => return Ok((response, permit)),
                Hop::Redirect(next) => hop = self.next_hop(url, &hop, &next, &mut redirects)?,
            }
        }
    }

    /// The guard for one hop: loopback and private addresses only on `private`. With a
    /// proxy, names are resolved here first, since the proxy resolves them out of sight.
    async fn guard_hop(
        &self,
        url: &str,
        redirected: Option<&Url>,
        hop: &Url,
        private: &PrivateHosts,
    ) -> Result<()> {
        if private.allows(hop) {
            return Ok(());
        }
        if let Some(addr) = blocked_literal(hop) {
            return Err(blocked(url, redirected, hop, addr.to_string()));
        }
        if self.proxied
            && let Some(url::Host::Domain(name)) = hop.host()
            && let Some(addr) =
                resolves_to_blocked(name, hop.port_or_known_default().unwrap_or(80)).await
        {
            return Err(blocked(url, redirected, hop, addr.to_string()));
        }
        Ok(())
    }

    /// Sends one hop, already guarded, counted against its host: the response, or where it
    /// redirects to.
    async fn send_one(
        &self,
        url: &str,
        redirected: Option<&Url>,
        hop: &Url,
        private: &PrivateHosts,
        conditional: Option<&FetchState>,
    ) -> Result<Hop> {
        let own = private.allows(hop);
        let client = if own { &self.open } else { &self.guarded };
        let permit = self.hosts.acquire(&host_key(hop)).await;
        let mut request = client.get(hop.clone());
        if let Some(state) = conditional {
            if let Some(etag) = &state.etag {
                request = request.header(IF_NONE_MATCH, etag);
            }
            if let Some(lm) = &state.last_modified {
                request = request.header(IF_MODIFIED_SINCE, lm);
            }
        }
        let response = request
            .send()
            .await
            .map_err(|e| self.http_error(url, redirected, &e))?;
        let status = response.status().as_u16();
        match header(response.headers(), LOCATION) {
            Some(location) if matches!(status, 301 | 302 | 303 | 307 | 308) => {
                Ok(Hop::Redirect(location))
            }
            _ => Ok(Hop::Final(response, permit)),
        }
    }

    /// The URL a redirect from `hop` to `location` leads to, counting it against
    /// `[fetch] max_redirects`.
    fn next_hop(&self, url: &str, hop: &Url, location: &str, redirects: &mut u32) -> Result<Url> {
        *redirects += 1;
        if *redirects > self.max_redirects {
            return Err(Error::TooManyRedirects {
                url: url.to_string(),
                limit: self.max_redirects,
            });
        }
        hop.join(location.trim())
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some())
            .ok_or_else(|| Error::Http {
                url: url.to_string(),
                message: format!("redirected to {location:?}, which is not an http(s) URL"),
            })
    }

    /// Checks `hop` (`url` itself, or a redirect from it) against its site's robots.txt
    /// (fetching it when not cached) and applies the site's `Crawl-delay`. Does nothing when
    /// robots.txt is not respected.
    async fn check_robots(
        &self,
        url: &str,
        redirected: Option<&Url>,
        hop: &Url,
        private: &PrivateHosts,
    ) -> Result<()> {
        let Some(cache) = &self.robots else {
            return Ok(());
        };
        if hop.path() == "/robots.txt" {
            return Ok(());
        }
        let (site, robots) = site_of(hop);
        let rules = cache
            .rules_for(&site, || self.fetch_robots(&robots, private))
            .await
            .map_err(|e| match e {
                // The site's own address was refused while asking for its robots.txt.
                Error::BlockedAddress { addr, .. } => blocked(url, redirected, hop, addr),
                other => other,
            })?;
        let url = redirected.map_or_else(|| url.to_string(), Url::to_string);
        self.hosts
            .set_crawl_delay(&host_key(hop), rules.crawl_delay());
        match rules.check(hop) {
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

    /// Fetches a robots.txt (its hops guarded and counted against their hosts like any
    /// request) and says what it means. `Err` only when the site's address is refused by
    /// the guard.
    async fn fetch_robots(&self, robots: &str, private: &PrivateHosts) -> Result<Access> {
        let unreachable = |e: Error| match e {
            e @ Error::BlockedAddress { .. } => Err(e),
            // A robots.txt redirected to a refused address: there are no rules to read.
            Error::BlockedRedirect { .. } => Ok(Access::Unavailable),
            // RFC 9309: a robots.txt not reached within the redirect limit may be read as
            // missing.
            Error::TooManyRedirects { .. } => Ok(Access::Unavailable),
            other => Ok(Access::Unreachable(other.to_string())),
        };
        let (mut response, _permit) = match self.send_robots(robots, private).await {
            Ok(r) => r,
            Err(e) => return unreachable(e),
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
                Err(e) => return unreachable(self.http_error(robots, None, &e)),
            }
        }
        Ok(Access::File(body))
    }

    /// Maps a reqwest error to ours, finding our resolver's error in its cause chain.
    /// `redirected` is the hop being sent when it is a redirect.
    fn http_error(&self, url: &str, redirected: Option<&Url>, err: &reqwest::Error) -> Error {
        let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(err);
        let mut chain = Vec::new();
        while let Some(c) = cause {
            if let Some(b) = c.downcast_ref::<BlockedAddr>() {
                return match redirected {
                    Some(to) => Error::BlockedRedirect {
                        url: url.to_string(),
                        to: to.to_string(),
                        host: b.host.clone(),
                        addr: b.addr.to_string(),
                    },
                    None => Error::BlockedAddress {
                        url: url.to_string(),
                        host: b.host.clone(),
                        addr: b.addr.to_string(),
                    },
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
    pub(crate) async fn read_file(&self, url: &str) -> Result<Fetched> {
        let path = Url::parse(url)
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
}

/// Parses an absolute `http://` or `https://` URL.
fn parse_http(url: &str) -> Result<Url> {
    let parsed = Url::parse(url.trim()).map_err(|e| Error::BadUrl {
        url: url.to_string(),
        message: e.to_string(),
    })?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(Error::BadUrl {
            url: url.to_string(),
            message: "only http:// and https:// can be fetched".to_string(),
        });
    }
    Ok(parsed)
}

/// The refusal of a hop to a blocked address: of `url` itself, or of a redirect.
fn blocked(url: &str, redirected: Option<&Url>, hop: &Url, addr: String) -> Error {
    let host = hop.host_str().unwrap_or_default().to_string();
    match redirected {
        Some(to) => Error::BlockedRedirect {
            url: url.to_string(),
            to: to.to_string(),
            host,
            addr,
        },
        None => Error::BlockedAddress {
            url: url.to_string(),
            host,
            addr,
        },
    }
}

/// A header's value as text.
fn header(h: &HeaderMap, name: reqwest::header::HeaderName) -> Option<String> {
    h.get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}
