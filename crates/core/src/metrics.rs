//! Process-wide counters and a latency histogram, written in the Prometheus text
//! exposition format 0.0.4 ([`Registry::render`]), which the web server serves at
//! `/metrics`.
//!
//! [`registry`] is the one registry of the process: the pipeline's stages, the outbox and
//! the web server's middleware add to it where the events happen, each event an atomic add
//! or one short-held lock. [`Registry::new`] makes a separate one (for tests).
//!
//! Label values come from outside (source ids from the config, route templates), so every
//! label set is bounded by what the caller passes — the web layer passes route templates,
//! never raw paths — and every value is escaped when written.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

/// The upper bounds, in seconds, of the request latency histogram's buckets (`le`); the
/// last bucket, `+Inf`, is implied.
pub const LATENCY_BUCKETS: [f64; 12] = [
    0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// The route label of a request that matched no route (the page-not-found fallback).
pub const OTHER_ROUTE: &str = "other";

/// The registry of this process.
pub fn registry() -> &'static Registry {
    static REGISTRY: Registry = Registry::new();
    &REGISTRY
}

/// Counters of the pipeline, the outbox and the web server, and the web server's latency
/// histogram. Every method takes `&self`; the registry is shared by reference.
#[derive(Debug, Default)]
pub struct Registry {
    items_fetched: AtomicU64,
    items_tagged: AtomicU64,
    items_stored: AtomicU64,
    /// Source id → failed polls.
    fetch_failures: Mutex<BTreeMap<String, u64>>,
    /// Channel → messages the server accepted.
    messages_sent: Mutex<BTreeMap<String, u64>>,
    /// (channel, outcome) → failed attempts.
    message_failures: Mutex<BTreeMap<(String, &'static str), u64>>,
    /// Route template → its requests.
    http: Mutex<BTreeMap<String, RouteStats>>,
}

/// The requests of one route: counts by status and the latency histogram.
#[derive(Debug, Default)]
struct RouteStats {
    statuses: BTreeMap<u16, u64>,
    /// Observations per bucket of [`LATENCY_BUCKETS`] (not cumulative; those above the
    /// last bound are only in `count`).
    buckets: [u64; LATENCY_BUCKETS.len()],
    count: u64,
    sum_seconds: f64,
}

impl Registry {
    /// An empty registry.
    pub const fn new() -> Registry {
        Registry {
            items_fetched: AtomicU64::new(0),
            items_tagged: AtomicU64::new(0),
            items_stored: AtomicU64::new(0),
            fetch_failures: Mutex::new(BTreeMap::new()),
            messages_sent: Mutex::new(BTreeMap::new()),
            message_failures: Mutex::new(BTreeMap::new()),
            http: Mutex::new(BTreeMap::new()),
        }
    }

    /// `n` items received from sources (new or changed entries of a poll).
    pub fn items_fetched(&self, n: usize) {
        self.items_fetched.fetch_add(n as u64, Ordering::Relaxed);
    }

    /// `n` items tagged by the enrich stage.
    pub fn items_tagged(&self, n: usize) {
        self.items_tagged.fetch_add(n as u64, Ordering::Relaxed);
    }

    /// `n` items written to the store (inserted or updated; unchanged ones are not counted).
    pub fn items_stored(&self, n: usize) {
        self.items_stored.fetch_add(n as u64, Ordering::Relaxed);
    }

    /// A poll of `source` failed as a whole.
    pub fn fetch_failed(&self, source: &str) {
        add_keyed(&self.fetch_failures, source);
    }

    /// The server accepted a message of `channel` (`email`, `webhook`).
    pub fn message_sent(&self, channel: &str) {
        add_keyed(&self.messages_sent, channel);
    }

    /// A message of `channel` was not sent: it will be tried again, or (`dead`) never.
    pub fn message_failed(&self, channel: &str, dead: bool) {
        let outcome = if dead { "dead" } else { "retrying" };
        *lock(&self.message_failures)
            .entry((channel.to_string(), outcome))
            .or_default() += 1;
    }

    /// A request to `route` (a route template such as `/item/{id}`, or [`OTHER_ROUTE`])
    /// was answered with `status` after `elapsed`.
    pub fn http_request(&self, route: &str, status: u16, elapsed: Duration) {
        let seconds = elapsed.as_secs_f64();
        let mut map = lock(&self.http);
        let stats = match map.get_mut(route) {
            Some(s) => s,
            None => map.entry(route.to_string()).or_default(),
        };
        *stats.statuses.entry(status).or_default() += 1;
        if let Some(i) = LATENCY_BUCKETS.iter().position(|&le| seconds <= le) {
            stats.buckets[i] += 1;
        }
        stats.count += 1;
        stats.sum_seconds += seconds;
    }

    /// Everything in the Prometheus text format 0.0.4: each metric's `# HELP` and `# TYPE`
    /// lines, then its samples. Each labelled metric is read under its lock, so a
    /// histogram's buckets, sum and count are of the same moment.
    pub fn render(&self) -> String {
        let mut out = String::new();
        for (name, help, value) in [
            (
                "rasd_items_fetched_total",
                "Items received from sources (new or changed entries of a poll).",
                &self.items_fetched,
            ),
            (
                "rasd_items_tagged_total",
                "Items tagged by the enrich stage.",
                &self.items_tagged,
            ),
            (
                "rasd_items_stored_total",
                "Items written to the store, new or changed.",
                &self.items_stored,
            ),
        ] {
            header(&mut out, name, help, "counter");
            let _ = writeln!(out, "{name} {}", value.load(Ordering::Relaxed));
        }

        let name = "rasd_fetch_failures_total";
        header(
            &mut out,
            name,
            "Polls of a source that failed as a whole, by source id.",
            "counter",
        );
        for (source, n) in lock(&self.fetch_failures).iter() {
            let _ = writeln!(out, "{name}{{source=\"{}\"}} {n}", escape_label(source));
        }

        let name = "rasd_outbox_sent_total";
        header(
            &mut out,
            name,
            "Outbox messages (alerts, escalations, summaries, digests) the server accepted, by channel.",
            "counter",
        );
        for (channel, n) in lock(&self.messages_sent).iter() {
            let _ = writeln!(out, "{name}{{channel=\"{}\"}} {n}", escape_label(channel));
        }

        let name = "rasd_outbox_failed_total";
        header(
            &mut out,
            name,
            "Outbox messages not sent, by channel and outcome (retrying, or dead: given up).",
            "counter",
        );
        for ((channel, outcome), n) in lock(&self.message_failures).iter() {
            let _ = writeln!(
                out,
                "{name}{{channel=\"{}\",outcome=\"{outcome}\"}} {n}",
                escape_label(channel)
            );
        }

        let http = lock(&self.http);
        let name = "rasd_http_requests_total";
        header(
            &mut out,
            name,
            "HTTP requests answered, by route template (other: no route) and status code.",
            "counter",
        );
        for (route, stats) in http.iter() {
            let route = escape_label(route);
            for (status, n) in &stats.statuses {
                let _ = writeln!(out, "{name}{{route=\"{route}\",status=\"{status}\"}} {n}");
            }
        }
        let name = "rasd_http_request_duration_seconds";
        header(
            &mut out,
            name,
            "Time from a request's arrival to its response's head, by route template.",
            "histogram",
        );
        for (route, stats) in http.iter() {
            let route = escape_label(route);
            let mut cumulative = 0;
            for (le, n) in LATENCY_BUCKETS.iter().zip(stats.buckets) {
                cumulative += n;
                let _ = writeln!(
                    out,
                    "{name}_bucket{{route=\"{route}\",le=\"{le}\"}} {cumulative}"
                );
            }
            let _ = writeln!(
                out,
                "{name}_bucket{{route=\"{route}\",le=\"+Inf\"}} {}",
                stats.count
            );
            let _ = writeln!(out, "{name}_sum{{route=\"{route}\"}} {}", stats.sum_seconds);
            let _ = writeln!(out, "{name}_count{{route=\"{route}\"}} {}", stats.count);
        }
        out
    }
}

/// Adds one to `key`'s count, allocating the key only the first time it is seen.
fn add_keyed(map: &Mutex<BTreeMap<String, u64>>, key: &str) {
    let mut map = lock(map);
    match map.get_mut(key) {
        Some(n) => *n += 1,
        None => {
            map.insert(key.to_string(), 1);
        }
    }
}

/// A poisoned lock still holds valid counts (every update is complete before it returns).
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn header(out: &mut String, name: &str, help: &str, kind: &str) {
    let _ = writeln!(out, "# HELP {name} {}", escape_help(help));
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

/// A label value as the text format writes it between double quotes: backslash, double
/// quote and line feed escaped; everything else (Arabic included) as UTF-8.
fn escape_label(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

/// A `# HELP` text: backslash and line feed escaped.
fn escape_help(text: &str) -> String {
    text.replace('\\', "\\\\").replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The value of the sample written exactly as `series` (name and labels).
    fn sample(text: &str, series: &str) -> Option<f64> {
        text.lines()
            .filter(|l| !l.starts_with('#'))
            .find_map(|l| l.strip_prefix(series)?.strip_prefix(' '))
            .map(|v| v.parse().unwrap())
    }

    #[test]
    fn counters_start_at_zero_and_add() {
        let r = Registry::new();
        let text = r.render();
        assert_eq!(sample(&text, "rasd_items_fetched_total"), Some(0.0));
        r.items_fetched(3);
        r.items_fetched(2);
        r.items_tagged(5);
        r.items_stored(4);
        let text = r.render();
        assert_eq!(sample(&text, "rasd_items_fetched_total"), Some(5.0));
        assert_eq!(sample(&text, "rasd_items_tagged_total"), Some(5.0));
        assert_eq!(sample(&text, "rasd_items_stored_total"), Some(4.0));
    }

    #[test]
    fn every_sample_follows_its_help_and_type() {
        let r = Registry::new();
        r.items_fetched(1);
        r.fetch_failed("petra");
        r.message_sent("email");
        r.message_failed("webhook", false);
        r.message_failed("webhook", true);
        r.http_request("/search", 200, Duration::from_millis(3));
        let text = r.render();
        assert!(text.ends_with('\n'));
        let mut declared: Vec<(String, String)> = Vec::new();
        let mut lines = text.lines();
        while let Some(line) = lines.next() {
            if let Some(rest) = line.strip_prefix("# HELP ") {
                let name = rest.split(' ').next().unwrap();
                let kind = lines
                    .next()
                    .and_then(|t| t.strip_prefix(&format!("# TYPE {name} ")))
                    .unwrap_or_else(|| panic!("no TYPE line after the HELP of {name}"));
                assert!(name.starts_with("rasd_"), "{name}");
                assert!(
                    kind == "histogram" || name.ends_with("_total"),
                    "counter {name} must end in _total"
                );
                assert!(
                    declared.iter().all(|(n, _)| n != name),
                    "{name} declared twice"
                );
                declared.push((name.to_string(), kind.to_string()));
                continue;
            }
            assert!(!line.starts_with('#'), "stray comment {line:?}");
            let (series, value) = line.rsplit_once(' ').unwrap();
            value.parse::<f64>().unwrap();
            let name = series.split('{').next().unwrap();
            let (family, kind) = declared.last().expect("a sample before any TYPE");
            let ok = match kind.as_str() {
                "histogram" => ["_bucket", "_sum", "_count"]
                    .iter()
                    .any(|s| name == format!("{family}{s}")),
                _ => name == family,
            };
            assert!(ok, "{name} is written under the TYPE of {family}");
        }
        let names: Vec<&str> = declared.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            names,
            [
                "rasd_items_fetched_total",
                "rasd_items_tagged_total",
                "rasd_items_stored_total",
                "rasd_fetch_failures_total",
                "rasd_outbox_sent_total",
                "rasd_outbox_failed_total",
                "rasd_http_requests_total",
                "rasd_http_request_duration_seconds",
            ]
        );
        assert_eq!(
            sample(
                &text,
                "rasd_outbox_failed_total{channel=\"webhook\",outcome=\"dead\"}"
            ),
            Some(1.0)
        );
        assert_eq!(
            sample(&text, "rasd_outbox_sent_total{channel=\"email\"}"),
            Some(1.0)
        );
    }

    #[test]
    fn label_values_are_escaped_and_arabic_kept() {
        let r = Registry::new();
        r.fetch_failed("الرأي");
        r.fetch_failed("الرأي");
        r.fetch_failed("say \"hi\"\\now\nnext");
        r.http_request("/بحث/\"{id}\"", 404, Duration::ZERO);
        let text = r.render();
        assert_eq!(
            sample(&text, "rasd_fetch_failures_total{source=\"الرأي\"}"),
            Some(2.0)
        );
        assert_eq!(
            sample(
                &text,
                r#"rasd_fetch_failures_total{source="say \"hi\"\\now\nnext"}"#
            ),
            Some(1.0)
        );
        assert_eq!(
            sample(
                &text,
                r#"rasd_http_requests_total{route="/بحث/\"{id}\"",status="404"}"#
            ),
            Some(1.0)
        );
        // The raw line feed never reaches the output: every line is a comment or a sample.
        assert!(
            text.lines()
                .all(|l| l.starts_with("# ") || l.starts_with("rasd_"))
        );
    }

    #[test]
    fn histogram_buckets_are_cumulative_and_inf_is_the_count() {
        let r = Registry::new();
        for ms in [0.5, 1.0, 3.0, 200.0, 250.0, 20_000.0] {
            r.http_request("/search", 200, Duration::from_secs_f64(ms / 1000.0));
        }
        r.http_request("/search", 400, Duration::from_millis(7));
        let text = r.render();
        let bucket = |le: &str| {
            sample(
                &text,
                &format!(
                    "rasd_http_request_duration_seconds_bucket{{route=\"/search\",le=\"{le}\"}}"
                ),
            )
            .unwrap()
        };
        // A value equal to a bound falls in that bound's bucket (`le`: less or equal).
        assert_eq!(bucket("0.001"), 2.0);
        assert_eq!(bucket("0.005"), 3.0);
        assert_eq!(bucket("0.01"), 4.0);
        assert_eq!(bucket("0.1"), 4.0);
        assert_eq!(bucket("0.25"), 6.0);
        assert_eq!(bucket("10"), 6.0);
        assert_eq!(bucket("+Inf"), 7.0);
        let les: Vec<f64> = LATENCY_BUCKETS
            .iter()
            .map(|le| bucket(&le.to_string()))
            .collect();
        assert!(les.windows(2).all(|w| w[0] <= w[1]), "{les:?}");
        assert_eq!(
            sample(
                &text,
                "rasd_http_request_duration_seconds_count{route=\"/search\"}"
            ),
            Some(7.0)
        );
        let sum = sample(
            &text,
            "rasd_http_request_duration_seconds_sum{route=\"/search\"}",
        )
        .unwrap();
        assert!((sum - 20.4615).abs() < 1e-9, "{sum}");
        assert_eq!(
            sample(
                &text,
                "rasd_http_requests_total{route=\"/search\",status=\"200\"}"
            ),
            Some(6.0)
        );
        assert_eq!(
            sample(
                &text,
                "rasd_http_requests_total{route=\"/search\",status=\"400\"}"
            ),
            Some(1.0)
        );
    }

    #[test]
    fn a_fresh_registry_shares_nothing_with_the_global_one() {
        registry().items_stored(1);
        let r = Registry::new();
        assert_eq!(sample(&r.render(), "rasd_items_stored_total"), Some(0.0));
    }
}
