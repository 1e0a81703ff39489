//! Per-host politeness: at most `[fetch] per_host_concurrency` requests in flight to one host
//! and at least `[fetch] per_host_delay` (or the site's longer `Crawl-delay`) between two
//! request starts.
//!
//! [`HostLimits`] is shared (in an `Arc`) by every clone of a `Fetcher`, so all sources and
//! article pages on one host count together. Each host has its own semaphore and its own
//! clock, so waiting for one host never holds up another.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;

/// The longest `Crawl-delay` honoured; a longer one is read as this (a site asking for an
/// hour between requests would stall every source on it).
pub(crate) const MAX_CRAWL_DELAY: Duration = Duration::from_secs(60);

/// Hosts remembered before idle ones are forgotten.
const PRUNE_ABOVE: usize = 1024;

/// The per-host limits of one fetcher.
#[derive(Debug)]
pub(crate) struct HostLimits {
    per_host: usize,
    delay: Duration,
    hosts: Mutex<HashMap<String, Arc<Host>>>,
}

/// One host's semaphore and clock.
#[derive(Debug)]
struct Host {
    permits: Arc<Semaphore>,
    /// The earliest time the next request may start.
    next_start: tokio::sync::Mutex<Instant>,
    /// The site's `Crawl-delay`, when longer than the configured delay.
    crawl_delay: Mutex<Option<Duration>>,
}

/// Held while a request to a host is in flight; dropping it frees the slot.
#[derive(Debug)]
pub(crate) struct HostPermit {
    _permit: Option<OwnedSemaphorePermit>,
}

impl HostLimits {
    /// Limits of `per_host` requests at once (at least 1) and `delay` between starts.
    pub(crate) fn new(per_host: u32, delay: Duration) -> HostLimits {
        HostLimits {
            per_host: per_host.max(1) as usize,
            delay,
            hosts: Mutex::new(HashMap::new()),
        }
    }

    /// Waits until a request to `host` may start: a free slot, then the delay since the
    /// previous start. Hold the permit until the response body is read.
    pub(crate) async fn acquire(&self, host: &str) -> HostPermit {
        let slot = self.host(host);
        // The semaphore is never closed, so this only fails in theory; go on without a slot.
        let permit = slot.permits.clone().acquire_owned().await.ok();
        let delay = self.delay_of(&slot);
        let mut next = slot.next_start.lock().await;
        tokio::time::sleep_until(*next).await;
        *next = Instant::now() + delay;
        HostPermit { _permit: permit }
    }

    /// Raises the delay between requests to `host` to the site's `Crawl-delay` (capped at
    /// [`MAX_CRAWL_DELAY`]); a `Crawl-delay` shorter than the configured delay changes nothing.
    pub(crate) fn set_crawl_delay(&self, host: &str, crawl_delay: Option<Duration>) {
        let slot = self.host(host);
        *slot.crawl_delay.lock().unwrap_or_else(|e| e.into_inner()) =
            crawl_delay.map(|d| d.min(MAX_CRAWL_DELAY));
    }

    /// The delay in force between two requests to `host`.
    #[cfg(test)]
    pub(crate) fn delay_for(&self, host: &str) -> Duration {
        self.delay_of(&self.host(host))
    }

    fn delay_of(&self, slot: &Host) -> Duration {
        let crawl = *slot.crawl_delay.lock().unwrap_or_else(|e| e.into_inner());
        crawl.map_or(self.delay, |c| c.max(self.delay))
    }

    fn host(&self, host: &str) -> Arc<Host> {
        let mut hosts = self.hosts.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(h) = hosts.get(host) {
            return h.clone();
        }
        if hosts.len() >= PRUNE_ABOVE {
            let now = Instant::now();
            // Forget hosts nobody is using whose delay has passed: nothing about them is lost.
            hosts.retain(|_, h| {
                Arc::strong_count(h) > 1 || h.next_start.try_lock().map_or(true, |n| *n > now)
            });
        }
        let h = Arc::new(Host {
            permits: Arc::new(Semaphore::new(self.per_host)),
            next_start: tokio::sync::Mutex::new(Instant::now()),
            crawl_delay: Mutex::new(None),
        });
        hosts.insert(host.to_string(), h.clone());
        h
    }
}

/// The key requests are limited by: the URL's host and port (`example.jo:443`).
pub(crate) fn host_key(url: &url::Url) -> String {
    let host = url.host_str().unwrap_or_default().to_ascii_lowercase();
    match url.port_or_known_default() {
        Some(port) => format!("{host}:{port}"),
        None => host,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use std::sync::atomic::{AtomicUsize, Ordering};

    #[tokio::test(start_paused = true)]
    async fn starts_are_spaced_by_the_delay() {
        let limits = Arc::new(HostLimits::new(4, Duration::from_secs(2)));
        let t0 = Instant::now();
        let mut tasks = Vec::new();
        for _ in 0..3 {
            let l = limits.clone();
            tasks.push(tokio::spawn(async move {
                let _p = l.acquire("alghad.com:443").await;
                Instant::now() - t0
            }));
        }
        let mut starts = Vec::new();
        for t in tasks {
            starts.push(t.await.unwrap());
        }
        starts.sort();
        assert_eq!(
            starts,
            [
                Duration::ZERO,
                Duration::from_secs(2),
                Duration::from_secs(4)
            ]
        );
    }

    #[tokio::test(start_paused = true)]
    async fn other_hosts_do_not_wait() {
        let limits = HostLimits::new(1, Duration::from_secs(30));
        let t0 = Instant::now();
        let _a = limits.acquire("petra.gov.jo:443").await;
        let _b = limits.acquire("royanews.tv:443").await;
        assert_eq!(Instant::now() - t0, Duration::ZERO);
    }

    #[tokio::test(start_paused = true)]
    async fn concurrency_is_capped_per_host() {
        let limits = Arc::new(HostLimits::new(2, Duration::ZERO));
        let now_in = Arc::new(AtomicUsize::new(0));
        let max_in = Arc::new(AtomicUsize::new(0));
        let mut tasks = Vec::new();
        for _ in 0..6 {
            let (l, now_in, max_in) = (limits.clone(), now_in.clone(), max_in.clone());
            tasks.push(tokio::spawn(async move {
                let _p = l.acquire("ammonnews.net:443").await;
                let n = now_in.fetch_add(1, Ordering::SeqCst) + 1;
                max_in.fetch_max(n, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(100)).await;
                now_in.fetch_sub(1, Ordering::SeqCst);
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
        assert_eq!(max_in.load(Ordering::SeqCst), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn crawl_delay_only_raises_the_delay() {
        let limits = HostLimits::new(1, Duration::from_secs(1));
        limits.set_crawl_delay("a:80", Some(Duration::from_secs(5)));
        assert_eq!(limits.delay_for("a:80"), Duration::from_secs(5));
        limits.set_crawl_delay("a:80", Some(Duration::from_millis(100)));
        assert_eq!(limits.delay_for("a:80"), Duration::from_secs(1));
        limits.set_crawl_delay("a:80", Some(Duration::from_secs(86_400)));
        assert_eq!(limits.delay_for("a:80"), MAX_CRAWL_DELAY);
        assert_eq!(limits.delay_for("b:80"), Duration::from_secs(1));
    }

    #[test]
    fn host_keys_include_the_port() {
        let key = |u: &str| host_key(&url::Url::parse(u).unwrap());
        assert_eq!(key("https://AlGhad.com/rss"), "alghad.com:443");
        assert_eq!(key("http://alghad.com/rss"), "alghad.com:80");
        assert_eq!(key("http://127.0.0.1:8081/x"), "127.0.0.1:8081");
        // Arabic (IDN) hosts are keyed by their punycode form.
        assert!(key("https://أخبار.jo/").starts_with("xn--"));
    }
}
