//! robots.txt: each site's file is fetched once, cached for [`ROBOTS_TTL`], and consulted
//! before every request to the site (feeds, article pages, section pages).
//!
//! What a fetch result means follows RFC 9309 §2.3.1: a file is parsed for the user-agent
//! token [`AGENT`] (the `*` group when no `Rasd` group exists); 4xx means there are no rules
//! (everything allowed); 5xx, 429, timeouts and network errors mean the site is disallowed
//! for now and the file is asked for again after [`RETRY_UNREACHABLE`], unless an earlier
//! copy was read, which then stays in force. Parsing and matching are `robotxt`'s.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use robotxt::Robots;
use tokio::time::Instant;
use url::{Position, Url};

/// The product token Rasd looks for in `User-agent` lines.
pub const AGENT: &str = "Rasd";

/// How long a fetched robots.txt (or a 4xx for it) is trusted.
pub const ROBOTS_TTL: Duration = Duration::from_secs(24 * 3600);

/// How soon an unreachable robots.txt is asked for again.
pub const RETRY_UNREACHABLE: Duration = Duration::from_secs(10 * 60);

/// The most of a robots.txt that is read (RFC 9309 asks for at least 500 KiB).
pub const ROBOTS_MAX_BYTES: usize = robotxt::BYTE_LIMIT;

/// What fetching a robots.txt gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Access {
    /// 2xx: the file's bytes (at most [`ROBOTS_MAX_BYTES`]).
    File(Vec<u8>),
    /// 4xx (or too many redirects): no rules, everything is allowed.
    Unavailable,
    /// 5xx, 429 or a network error: everything is disallowed until it can be read.
    Unreachable(String),
}

/// The rules in force for one site.
#[derive(Debug, Clone)]
pub(crate) struct Rules {
    robots: Robots,
    /// Why the file could not be read, when the rules are "disallow all" for that reason.
    unreachable: Option<String>,
}

/// Whether a URL may be fetched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// Fetch it.
    Allowed,
    /// A `Disallow` rule matches; its pattern.
    Disallowed(String),
    /// The robots.txt could not be read; why.
    Unreachable(String),
}

impl Rules {
    /// The rules an [`Access`] stands for.
    pub(crate) fn from_access(access: &Access) -> Rules {
        match access {
            Access::File(bytes) => Rules {
                robots: Robots::parse(bytes, AGENT),
                unreachable: None,
            },
            Access::Unavailable => Rules {
                robots: Robots::allow_all(),
                unreachable: None,
            },
            Access::Unreachable(why) => Rules {
                robots: Robots::disallow_all(),
                unreachable: Some(why.clone()),
            },
        }
    }

    /// Whether `url` (on this site) may be fetched.
    pub(crate) fn check(&self, url: &Url) -> Verdict {
        if let Some(why) = &self.unreachable {
            return Verdict::Unreachable(why.clone());
        }
        let path = &url[Position::BeforePath..Position::AfterQuery];
        if self.robots.is_allowed(path) {
            return Verdict::Allowed;
        }
        let rule = self
            .robots
            .matching_rule(path)
            .map_or_else(|| "/".to_string(), |r| r.pattern().to_string());
        Verdict::Disallowed(rule)
    }

    /// The `Crawl-delay` of the group that applies to Rasd.
    pub(crate) fn crawl_delay(&self) -> Option<Duration> {
        self.robots.crawl_delay()
    }
}

/// One site's cached rules.
#[derive(Debug)]
struct Entry {
    rules: Arc<Rules>,
    /// When to ask for the file again.
    expires: Instant,
    /// Whether `rules` came from a file or a 4xx (rather than an unreachable server), so
    /// they may stand in while the server is unreachable.
    readable: bool,
}

/// robots.txt rules per site (scheme, host and port), shared by every clone of a fetcher.
#[derive(Debug, Default)]
pub(crate) struct RobotsCache {
    sites: Mutex<HashMap<String, Arc<tokio::sync::Mutex<Option<Entry>>>>>,
}

impl RobotsCache {
    /// The rules for the site `origin` (`https://example.jo`), calling `fetch` when there
    /// are none or they have expired. Concurrent callers for one site wait for a single
    /// fetch. An `Err` from `fetch` (the site's address is refused) is returned and nothing
    /// is cached.
    pub(crate) async fn rules_for<F, Fut, E>(&self, origin: &str, fetch: F) -> Result<Arc<Rules>, E>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Access, E>>,
    {
        let site = {
            let mut sites = self.sites.lock().unwrap_or_else(|e| e.into_inner());
            sites.entry(origin.to_string()).or_default().clone()
        };
        let mut entry = site.lock().await;
        let now = Instant::now();
        if let Some(e) = entry.as_ref()
            && e.expires > now
        {
            return Ok(e.rules.clone());
        }
        let access = fetch().await?;
        let now = Instant::now();
        let new = match (&access, entry.take()) {
            // Keep a readable copy while the server cannot give a new one.
            (Access::Unreachable(_), Some(old)) if old.readable => Entry {
                rules: old.rules,
                expires: now + RETRY_UNREACHABLE,
                readable: true,
            },
            (Access::Unreachable(_), _) => Entry {
                rules: Arc::new(Rules::from_access(&access)),
                expires: now + RETRY_UNREACHABLE,
                readable: false,
            },
            _ => Entry {
                rules: Arc::new(Rules::from_access(&access)),
                expires: now + ROBOTS_TTL,
                readable: true,
            },
        };
        let rules = new.rules.clone();
        *entry = Some(new);
        Ok(rules)
    }
}

/// The site key and robots.txt URL of `url`: (`https://example.jo`, `https://example.jo/robots.txt`).
pub(crate) fn site_of(url: &Url) -> (String, String) {
    let origin = url.origin().ascii_serialization();
    let robots = format!("{origin}/robots.txt");
    (origin, robots)
}

#[cfg(test)]
mod tests {
    use super::*;

    use std::sync::atomic::{AtomicUsize, Ordering};

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    const FILE: &[u8] = b"# Arabic news site\n\
        User-agent: *\nDisallow: /\n\n\
        User-agent: rasd\nDisallow: /admin/\nDisallow: /*?print=\nAllow: /admin/public\nCrawl-delay: 2.5\n";

    #[test]
    fn our_group_is_used_and_the_rule_is_named() {
        let rules = Rules::from_access(&Access::File(FILE.to_vec()));
        assert_eq!(
            rules.check(&url("https://alrai.com/article/123/أمن")),
            Verdict::Allowed
        );
        assert_eq!(
            rules.check(&url("https://alrai.com/admin/users")),
            Verdict::Disallowed("/admin/".into())
        );
        assert_eq!(
            rules.check(&url("https://alrai.com/admin/public/a")),
            Verdict::Allowed
        );
        assert_eq!(
            rules.check(&url("https://alrai.com/news/1?print=1")),
            Verdict::Disallowed("/*?print=".into())
        );
        assert_eq!(rules.crawl_delay(), Some(Duration::from_millis(2500)));
    }

    #[test]
    fn other_agents_fall_back_to_the_star_group() {
        let rules = Rules::from_access(&Access::File(
            b"User-agent: Googlebot\nDisallow:\n\nUser-agent: *\nDisallow: /private\n".to_vec(),
        ));
        assert_eq!(
            rules.check(&url("http://e.jo/private/x")),
            Verdict::Disallowed("/private".into())
        );
        assert_eq!(rules.check(&url("http://e.jo/rss")), Verdict::Allowed);
    }

    #[test]
    fn missing_file_allows_and_unreachable_disallows() {
        let none = Rules::from_access(&Access::Unavailable);
        assert_eq!(none.check(&url("http://e.jo/a")), Verdict::Allowed);
        let down = Rules::from_access(&Access::Unreachable("HTTP 503".into()));
        assert_eq!(
            down.check(&url("http://e.jo/a")),
            Verdict::Unreachable("HTTP 503".into())
        );
    }

    #[tokio::test(start_paused = true)]
    async fn cache_fetches_once_per_ttl() {
        let cache = RobotsCache::default();
        let calls = AtomicUsize::new(0);
        let fetch = || async {
            calls.fetch_add(1, Ordering::SeqCst);
            Ok::<_, ()>(Access::File(FILE.to_vec()))
        };
        for _ in 0..3 {
            cache.rules_for("https://alrai.com", fetch).await.unwrap();
        }
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        cache
            .rules_for("https://petra.gov.jo", fetch)
            .await
            .unwrap();
        assert_eq!(calls.load(Ordering::SeqCst), 2, "per site");
        tokio::time::advance(ROBOTS_TTL + Duration::from_secs(1)).await;
        cache.rules_for("https://alrai.com", fetch).await.unwrap();
        assert_eq!(
            calls.load(Ordering::SeqCst),
            3,
            "fetched again after the TTL"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn unreachable_keeps_an_earlier_copy_and_retries_soon() {
        let cache = RobotsCache::default();
        let site = "https://alghad.com";
        let admin = url("https://alghad.com/admin/x");
        let ok = || async { Ok::<_, ()>(Access::File(FILE.to_vec())) };
        let down = || async { Ok::<_, ()>(Access::Unreachable("HTTP 500".into())) };

        // Never read: everything is disallowed, and asked again after RETRY_UNREACHABLE.
        let r = cache.rules_for(site, down).await.unwrap();
        assert!(matches!(r.check(&admin), Verdict::Unreachable(_)));
        tokio::time::advance(RETRY_UNREACHABLE + Duration::from_secs(1)).await;
        let r = cache.rules_for(site, ok).await.unwrap();
        assert_eq!(r.check(&admin), Verdict::Disallowed("/admin/".into()));

        // Read once, then the server fails: the copy stays in force.
        tokio::time::advance(ROBOTS_TTL + Duration::from_secs(1)).await;
        let r = cache.rules_for(site, down).await.unwrap();
        assert_eq!(
            r.check(&url("https://alghad.com/local/1")),
            Verdict::Allowed
        );
    }

    #[tokio::test]
    async fn refused_fetch_is_not_cached() {
        let cache = RobotsCache::default();
        let err = cache
            .rules_for("http://intranet.jo", || async {
                Err::<Access, _>("blocked")
            })
            .await
            .unwrap_err();
        assert_eq!(err, "blocked");
        let r = cache
            .rules_for("http://intranet.jo", || async {
                Ok::<_, &str>(Access::Unavailable)
            })
            .await
            .unwrap();
        assert_eq!(r.check(&url("http://intranet.jo/x")), Verdict::Allowed);
    }

    #[test]
    fn site_keys() {
        assert_eq!(
            site_of(&url("https://alrai.com:443/a/b?c")),
            (
                "https://alrai.com".into(),
                "https://alrai.com/robots.txt".into()
            )
        );
        assert_eq!(
            site_of(&url("http://127.0.0.1:8080/feed")).1,
            "http://127.0.0.1:8080/robots.txt"
        );
    }
}
