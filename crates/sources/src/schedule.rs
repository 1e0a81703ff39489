//! When to poll a source next: from how often it publishes ([`next_interval`]), after a
//! failure with exponential backoff and jitter ([`backoff`]), or when the server says
//! ([`retry_after`]). [`next_due`] puts them together for the scheduler.

use std::hash::{DefaultHasher, Hash, Hasher};
use std::time::Duration;

use chrono::{DateTime, Utc};
use rasd_core::{Interval, ScheduleSettings};

/// The share of an interval that jitter may add or remove (±20%).
pub const JITTER: f64 = 0.2;

/// The longest wait a `Retry-After` header is honoured for (a server asking for a month is
/// asked again after a week), unless `[fetch] max_backoff` is longer.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(7 * 24 * 3600);

/// How long to wait before polling a source again after a success.
///
/// With a publishing rate (`items_per_day > 0`, from the store's last 14 days), the aim is
/// to find about half a new item per poll: `24 h / items_per_day / 2`. Without one (a new
/// source, or one whose entries carry no dates), the source's own `interval`, else
/// `[schedule] default_interval`. Either way the result is clamped to
/// `[schedule] min_interval ..= max_interval`.
pub fn next_interval(
    items_per_day: f64,
    configured: Option<Interval>,
    settings: &ScheduleSettings,
) -> Duration {
    let min = settings.min_interval.as_duration();
    let max = settings.max_interval.as_duration().max(min);
    let wanted = if items_per_day.is_finite() && items_per_day > 0.0 {
        let secs = 86_400.0 / items_per_day / 2.0;
        Duration::try_from_secs_f64(secs).unwrap_or(max)
    } else {
        configured
            .unwrap_or(settings.default_interval)
            .as_duration()
    };
    wanted.clamp(min, max)
}

/// The wait after the `failures`-th failure in a row (1 for the first): `base` doubled for
/// each failure after the first, with ±20% jitter drawn from `seed`, at most `max`.
pub fn backoff(base: Duration, failures: u32, max: Duration, seed: u64) -> Duration {
    let doublings = failures.saturating_sub(1).min(30);
    let raw = base.saturating_mul(1u32 << doublings).min(max);
    let factor = 1.0 + JITTER * (2.0 * unit(seed) - 1.0);
    raw.mul_f64(factor).min(max)
}

/// A seed for [`backoff`]'s jitter from a source id and a time, so sources failing together
/// do not all come back together.
pub fn jitter_seed(source: &str, now: DateTime<Utc>) -> u64 {
    let mut h = DefaultHasher::new();
    source.hash(&mut h);
    now.timestamp_nanos_opt().unwrap_or_default().hash(&mut h);
    h.finish()
}

/// A number in `[0, 1)` from a seed (one round of splitmix64).
fn unit(seed: u64) -> f64 {
    let mut z = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    (z >> 11) as f64 / (1u64 << 53) as f64
}

/// When a `Retry-After` value (whole seconds, or an HTTP date) says to come back, counted
/// from `now`; `None` when it is neither. A date in the past means now; a wait longer than
/// `cap` is cut to `cap`.
pub fn retry_after(value: &str, now: DateTime<Utc>, cap: Duration) -> Option<DateTime<Utc>> {
    let value = value.trim();
    let wait = if let Ok(secs) = value.parse::<u64>() {
        Duration::from_secs(secs)
    } else {
        let at = DateTime::parse_from_rfc2822(value)
            .ok()?
            .with_timezone(&Utc);
        (at - now).to_std().unwrap_or(Duration::ZERO)
    };
    let wait = chrono::Duration::from_std(wait.min(cap)).ok()?;
    Some(now + wait)
}

/// When to poll a source next, after a poll that ended at `now`: at `retry_at` when the poll
/// set one (a failure or a `Retry-After`), else after [`next_interval`].
pub fn next_due(
    retry_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
    items_per_day: f64,
    configured: Option<Interval>,
    settings: &ScheduleSettings,
) -> DateTime<Utc> {
    if let Some(at) = retry_at {
        return at;
    }
    let wait = next_interval(items_per_day, configured, settings);
    now + chrono::Duration::from_std(wait).unwrap_or(chrono::Duration::hours(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> ScheduleSettings {
        ScheduleSettings {
            default_interval: Interval::from_secs(15 * 60),
            min_interval: Interval::from_secs(5 * 60),
            max_interval: Interval::from_secs(6 * 3600),
            ..ScheduleSettings::default()
        }
    }

    const MIN: Duration = Duration::from_secs(60);

    #[test]
    fn interval_follows_the_publishing_rate() {
        let s = settings();
        // 48 items a day: one every 30 minutes, polled every 15.
        assert_eq!(next_interval(48.0, None, &s), 15 * MIN);
        // 6 a day: every 2 hours.
        assert_eq!(next_interval(6.0, None, &s), 120 * MIN);
        // Busy and quiet sources are clamped.
        assert_eq!(next_interval(1000.0, None, &s), 5 * MIN);
        assert_eq!(next_interval(0.1, None, &s), 360 * MIN);
        // History wins over the configured interval.
        assert_eq!(
            next_interval(48.0, Some(Interval::from_secs(3600)), &s),
            15 * MIN
        );
    }

    #[test]
    fn without_history_the_configured_interval_is_used() {
        let s = settings();
        assert_eq!(next_interval(0.0, None, &s), 15 * MIN);
        assert_eq!(
            next_interval(0.0, Some(Interval::from_secs(3600)), &s),
            60 * MIN
        );
        assert_eq!(next_interval(f64::NAN, None, &s), 15 * MIN);
        // Still within the bounds.
        assert_eq!(
            next_interval(0.0, Some(Interval::from_secs(30)), &s),
            5 * MIN
        );
        assert_eq!(
            next_interval(-3.0, Some(Interval::from_secs(86_400)), &s),
            360 * MIN
        );
    }

    #[test]
    fn backoff_doubles_with_jitter_and_is_capped() {
        let base = Duration::from_secs(600);
        let max = Duration::from_secs(6 * 3600);
        for seed in [0, 1, 42, u64::MAX, jitter_seed("roya-news", Utc::now())] {
            let first = backoff(base, 1, max, seed);
            assert!(
                (480..=720).contains(&first.as_secs()),
                "{first:?} (seed {seed})"
            );
            let third = backoff(base, 3, max, seed);
            assert!((1920..=2880).contains(&third.as_secs()), "{third:?}");
            // The same seed gives the same jitter: exactly 4x.
            assert!((third.as_secs_f64() / first.as_secs_f64() - 4.0).abs() < 1e-6);
            assert!(backoff(base, 50, max, seed) <= max);
            assert!(backoff(base, 50, max, seed) >= max.mul_f64(0.8));
        }
        // Jitter spreads: different seeds give different waits.
        let waits: std::collections::HashSet<u64> = (0..20)
            .map(|s| {
                backoff(base, 1, max, jitter_seed(&format!("src-{s}"), Utc::now())).as_millis()
                    as u64
            })
            .collect();
        assert!(waits.len() > 15, "{waits:?}");
    }

    #[test]
    fn retry_after_reads_seconds_and_dates() {
        let now = DateTime::parse_from_rfc3339("2026-11-22T09:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let cap = Duration::from_secs(7 * 86_400);
        assert_eq!(
            retry_after("120", now, cap),
            Some(now + chrono::Duration::seconds(120))
        );
        assert_eq!(
            retry_after("Sun, 22 Nov 2026 09:30:00 GMT", now, cap),
            Some(now + chrono::Duration::minutes(30))
        );
        assert_eq!(
            retry_after("Sun, 22 Nov 2026 08:00:00 GMT", now, cap),
            Some(now),
            "a past date means now"
        );
        assert_eq!(
            retry_after("99999999", now, cap),
            Some(now + chrono::Duration::days(7))
        );
        assert_eq!(retry_after("غدا", now, cap), None);
        assert_eq!(retry_after("-5", now, cap), None);
    }

    #[test]
    fn next_due_prefers_retry_at() {
        let s = settings();
        let now = Utc::now();
        let later = now + chrono::Duration::hours(3);
        assert_eq!(next_due(Some(later), now, 48.0, None, &s), later);
        assert_eq!(
            next_due(None, now, 48.0, None, &s),
            now + chrono::Duration::minutes(15)
        );
    }
}
