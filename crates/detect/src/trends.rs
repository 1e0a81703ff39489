//! What is trending ([`trends_at`]): in the last hour and the last day, the number of
//! distinct stories (events, not copies) per topic, governorate, salient title word, negative
//! coverage of the police, and all stories together — each against the same window on each of
//! the trailing `[trends] baseline_days` days.
//!
//! A key is flagged when its count reaches `[trends] min_count`, exceeds the baseline's mean,
//! and a count this high is unlikely under the baseline: for rare keys (a baseline mean under
//! [`POISSON_BELOW`]) the Poisson upper tail `P(X ≥ count)` with λ the mean (at least
//! [`MIN_LAMBDA`]); for common ones, whose day-to-day swings are wider than Poisson's, the
//! normal upper tail of `(count − mean) / sd` with the baseline's own standard deviation (at
//! least √mean). The probability must be at most `[trends] max_p`.
//!
//! Salient words are many tests at once: a word must pass `max_p` divided by the number of
//! distinct words in the window's titles, so chance alone does not flag a few every day.
//!
//! Calendar periods (`[[trends.period]]`): their days stay out of ordinary days' baselines.
//! A day inside a period with `baseline = "own"` is judged against the period's earlier days
//! in the trailing window (with fewer than [`MIN_OWN_DAYS`] of them, against ordinary days,
//! and the flag says so); inside `baseline = "exclude"`, against ordinary days.
//!
//! Every flag carries its evidence: count, items, baseline mean, probability and score
//! (−log10 p), outlets and owners, the first item of the window and a link to the search
//! that lists the window's items.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, Duration, NaiveDate, Utc};
use chrono_tz::Tz;
use rasd_core::{CalendarPeriod, Config, PeriodBaseline};
use rasd_store::{ItemBrief, Store, TrendCount};
use serde::Serialize;

use crate::Result;

/// Below this baseline mean a key is rare: Poisson tail.
pub const POISSON_BELOW: f64 = 5.0;
/// The smallest rate a rare key's baseline is given (a key never seen before).
pub const MIN_LAMBDA: f64 = 0.1;
/// A period judged against its own days needs at least this many of them.
pub const MIN_OWN_DAYS: usize = 3;
/// Salient words are at least this many characters long.
const MIN_TERM_CHARS: usize = 4;

/// The two windows trends are counted in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Granularity {
    /// The last hour, against the same hour of the trailing days.
    Hour,
    /// The last 24 hours, against the 24 hours before on each trailing day.
    Day,
}

impl Granularity {
    fn span(self) -> i64 {
        match self {
            Granularity::Hour => 3600,
            Granularity::Day => 86_400,
        }
    }
}

/// One trending key with its evidence.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TrendFlag {
    /// `topic:ID`, `place:ID`, `term:WORD`, `police:negative` or `stories:all`.
    pub key: String,
    /// What people read: the topic's or governorate's names, the word.
    pub label: String,
    pub granularity: Granularity,
    /// Distinct stories in the window.
    pub count: usize,
    /// Items in the window.
    pub items: usize,
    /// The baseline's mean count per window.
    pub baseline: f64,
    /// How many trailing days made the baseline.
    pub baseline_days: usize,
    /// The probability of a count this high under the baseline.
    pub p_value: f64,
    /// −log10 of `p_value`.
    pub score: f64,
    pub outlets: usize,
    pub owners: usize,
    /// The earliest item of the window with this key.
    pub first_item: Option<ItemBrief>,
    /// The search that lists the window's items with this key.
    pub link: String,
    /// The calendar period the window is judged in, and how.
    pub note: Option<String>,
}

/// The probability that a Poisson variable of mean `lambda` is at least `k`.
pub fn poisson_tail(k: usize, lambda: f64) -> f64 {
    if k == 0 {
        return 1.0;
    }
    // 1 − P(X ≤ k−1), summed in a stable way.
    let mut term = (-lambda).exp();
    let mut cdf = term;
    for i in 1..k {
        term *= lambda / i as f64;
        cdf += term;
    }
    (1.0 - cdf).max(tail_floor(k, lambda))
}

/// A lower bound for the tail when `1 − cdf` underflows: the first term of it.
fn tail_floor(k: usize, lambda: f64) -> f64 {
    let ln_term = -lambda + k as f64 * lambda.ln() - ln_factorial(k);
    ln_term.exp()
}

fn ln_factorial(k: usize) -> f64 {
    (1..=k).map(|i| (i as f64).ln()).sum()
}

/// The probability that a normal variable is at least `z` standard deviations above its mean.
pub fn normal_tail(z: f64) -> f64 {
    0.5 * erfc(z / std::f64::consts::SQRT_2)
}

/// The complementary error function (Numerical Recipes' Chebyshev fit, relative error under
/// 1.2e-7).
fn erfc(x: f64) -> f64 {
    let z = x.abs();
    let t = 1.0 / (1.0 + 0.5 * z);
    let r = t
        * (-z * z - 1.265_512_23
            + t * (1.000_023_68
                + t * (0.374_091_96
                    + t * (0.096_784_18
                        + t * (-0.186_288_06
                            + t * (0.278_868_07
                                + t * (-1.135_203_98
                                    + t * (1.488_515_87
                                        + t * (-0.822_152_23 + t * 0.170_872_77)))))))))
            .exp();
    if x >= 0.0 { r } else { 2.0 - r }
}

/// How unlikely `count` is against the baseline counts: (probability, mean).
pub fn surprise(count: usize, baseline: &[usize]) -> (f64, f64) {
    let n = baseline.len().max(1) as f64;
    let mean = baseline.iter().sum::<usize>() as f64 / n;
    if (count as f64) <= mean {
        return (1.0, mean);
    }
    if mean < POISSON_BELOW {
        return (poisson_tail(count, mean.max(MIN_LAMBDA)), mean);
    }
    let var = baseline
        .iter()
        .map(|&c| (c as f64 - mean).powi(2))
        .sum::<f64>()
        / (n - 1.0).max(1.0);
    let sd = var.sqrt().max(mean.sqrt());
    (normal_tail((count as f64 - mean) / sd), mean)
}

/// The calendar period a local day falls in.
fn period_of(day: NaiveDate, periods: &[CalendarPeriod]) -> Option<&CalendarPeriod> {
    periods.iter().find(|p| p.from <= day && day <= p.to)
}

/// Which trailing windows (1..=days) make the baseline of the window ending at `now`, and
/// what to say of it.
fn baseline_windows(
    now: DateTime<Utc>,
    tz: Tz,
    days: u32,
    periods: &[CalendarPeriod],
) -> (Vec<u32>, Option<String>) {
    let day_of = |k: u32| {
        (now - Duration::days(i64::from(k)))
            .with_timezone(&tz)
            .date_naive()
    };
    let ordinary: Vec<u32> = (1..=days)
        .filter(|&k| period_of(day_of(k), periods).is_none())
        .collect();
    match period_of(day_of(0), periods) {
        None => (ordinary, None),
        Some(p) if p.baseline == PeriodBaseline::Exclude => (
            ordinary,
            Some(format!("{}: judged against ordinary days", p.name)),
        ),
        Some(p) => {
            let own: Vec<u32> = (1..=days)
                .filter(|&k| period_of(day_of(k), periods).is_some_and(|q| q.name == p.name))
                .collect();
            if own.len() >= MIN_OWN_DAYS {
                (
                    own,
                    Some(format!("{}: judged against its own days", p.name)),
                )
            } else {
                (
                    ordinary,
                    Some(format!(
                        "{}: fewer than {MIN_OWN_DAYS} of its days yet, judged against ordinary days",
                        p.name
                    )),
                )
            }
        }
    }
}

/// The words of a title that can be salient: normalized, clitics stripped, no stop words,
/// no numbers, at least [`MIN_TERM_CHARS`] characters.
fn title_terms(title: &str) -> HashSet<String> {
    crate::clusters::words(title, "")
        .into_keys()
        .filter(|w| w.chars().count() >= MIN_TERM_CHARS && !w.chars().all(|c| c.is_ascii_digit()))
        .collect()
}

/// The trends at `now` in both windows, most surprising first.
pub fn trends_at(store: &Store, config: &Config, now: DateTime<Utc>) -> Result<Vec<TrendFlag>> {
    let mut out = Vec::new();
    for g in [Granularity::Hour, Granularity::Day] {
        out.extend(trends_in(store, config, now, g)?);
    }
    out.sort_by(|a, b| b.score.total_cmp(&a.score).then_with(|| a.key.cmp(&b.key)));
    Ok(out)
}

/// The trends at `now` in one window.
pub fn trends_in(
    store: &Store,
    config: &Config,
    now: DateTime<Utc>,
    g: Granularity,
) -> Result<Vec<TrendFlag>> {
    let st = &config.settings.trends;
    let tz = config.settings.tz();
    let days = st.baseline_days;
    let (windows, note) = baseline_windows(now, tz, days, &st.period);
    let mut by_key: BTreeMap<String, HashMap<u32, TrendCount>> = BTreeMap::new();
    for c in store.trend_counts(now, days, g.span())? {
        by_key.entry(c.key.clone()).or_default().insert(c.window, c);
    }
    // Salient words: distinct stories per word and window, for the words of this window.
    let titles = store.trend_titles(now, days, g.span())?;
    let terms: Vec<HashSet<String>> = titles.iter().map(|t| title_terms(&t.title)).collect();
    let mut current: HashMap<&str, HashSet<u64>> = HashMap::new();
    for (t, words) in titles.iter().zip(&terms) {
        if t.window == 0 {
            for w in words {
                current.entry(w.as_str()).or_default().insert(t.story);
            }
        }
    }
    // Every word of the window is tested (those under `min_count` fail at once).
    let tested = current.len();
    current.retain(|_, s| s.len() >= st.min_count as usize);
    // Per word: stories per window, and the window's items, outlets, owners and first item.
    #[derive(Default)]
    struct Word<'a> {
        stories: HashMap<u32, HashSet<u64>>,
        items: usize,
        outlets: HashSet<&'a str>,
        owners: HashSet<&'a str>,
        first: Option<&'a str>,
    }
    let mut words: BTreeMap<&str, Word> = BTreeMap::new();
    for (t, ws) in titles.iter().zip(&terms) {
        for w in ws {
            let Some((&key, _)) = current.get_key_value(w.as_str()) else {
                continue;
            };
            let e = words.entry(key).or_default();
            e.stories.entry(t.window).or_default().insert(t.story);
            if t.window == 0 {
                e.items += 1;
                e.outlets.insert(&t.outlet);
                e.owners.insert(&t.owner);
                e.first.get_or_insert(&t.item);
            }
        }
    }
    // Many words are tested at once: each must pass `max_p` divided by how many were
    // tested (Bonferroni), or chance alone would flag a few every day.
    let word_max_p = st.max_p / tested.max(1) as f64;
    let mut flags = Vec::new();
    let mut consider = |key: String,
                        count: usize,
                        items: usize,
                        outlets: usize,
                        owners: usize,
                        base: Vec<usize>| {
        if count < st.min_count as usize {
            return;
        }
        let (p, mean) = surprise(count, &base);
        let max_p = if key.starts_with("term:") {
            word_max_p
        } else {
            st.max_p
        };
        if p > max_p {
            return;
        }
        flags.push(TrendFlag {
            label: label(config, &key),
            link: link(config, &key, now, g),
            key,
            granularity: g,
            count,
            items,
            baseline: mean,
            baseline_days: base.len(),
            p_value: p,
            score: -p.max(f64::MIN_POSITIVE).log10(),
            outlets,
            owners,
            first_item: None,
            note: note.clone(),
        });
    };
    for (key, per) in &by_key {
        let Some(cur) = per.get(&0) else { continue };
        let base = windows
            .iter()
            .map(|w| per.get(w).map_or(0, |c| c.stories))
            .collect();
        consider(
            key.clone(),
            cur.stories,
            cur.items,
            cur.outlets,
            cur.owners,
            base,
        );
    }
    for (term, w) in &words {
        let count = w.stories.get(&0).map_or(0, HashSet::len);
        let base = windows
            .iter()
            .map(|k| w.stories.get(k).map_or(0, HashSet::len))
            .collect();
        consider(
            format!("term:{term}"),
            count,
            w.items,
            w.outlets.len(),
            w.owners.len(),
            base,
        );
    }
    // A word that names a flagged topic or governorate says nothing more.
    let named: HashSet<String> = flags
        .iter()
        .filter(|f| f.key.starts_with("topic:") || f.key.starts_with("place:"))
        .flat_map(|f| crate::clusters::words(&f.label, "").into_keys())
        .collect();
    flags.retain(|f| {
        f.key
            .strip_prefix("term:")
            .is_none_or(|w| !named.contains(w))
    });
    // The evidence's first item: the earliest of the window with the key.
    let from = now - Duration::seconds(g.span());
    let window_items = if flags.is_empty() {
        Vec::new()
    } else {
        store.items_between(from, now + Duration::seconds(1))?
    };
    for f in &mut flags {
        let first = window_items
            .iter()
            .filter(|i| i.when() > from && i.when() <= now)
            .filter(|i| match f.key.split_once(':') {
                Some(("topic", t)) => i.tags.topics.iter().any(|x| x == t),
                Some(("place", p)) => i.tags.places.iter().any(|x| x == p),
                Some(("police", _)) => {
                    i.tags.about_police
                        && (i.tags.police_stance == Some(rasd_core::PoliceStance::Critical)
                            || i.tags
                                .sentiment
                                .as_ref()
                                .is_some_and(|s| s.label == rasd_core::Polarity::Negative))
                }
                Some(("term", t)) => words.get(t).and_then(|w| w.first) == Some(i.id.as_str()),
                _ => true,
            })
            .min_by_key(|i| (i.when(), i.id.clone()));
        f.first_item = first.map(|i| ItemBrief {
            id: i.id.clone(),
            title: i.title.clone(),
            url: i.url.clone(),
            source: i.source.clone(),
            at: i.when(),
        });
    }
    Ok(flags)
}

/// What people read for a key.
fn label(config: &Config, key: &str) -> String {
    match key.split_once(':') {
        Some(("topic", id)) => config.topic(id).map_or_else(
            || id.to_string(),
            |t| format!("{} ({})", t.name_ar, t.name_en),
        ),
        Some(("place", id)) => config.places.iter().find(|p| p.id == id).map_or_else(
            || id.to_string(),
            |p| format!("{} ({})", p.name_ar, p.name_en),
        ),
        Some(("police", _)) => "تغطية سلبية للشرطة (negative coverage of the police)".into(),
        Some(("stories", _)) => "كل القصص (all stories)".into(),
        Some((_, word)) => word.to_string(),
        None => key.to_string(),
    }
}

/// The search that lists a key's items in the window.
fn link(config: &Config, key: &str, now: DateTime<Utc>, g: Granularity) -> String {
    let from = (now - Duration::seconds(g.span())).format("%Y-%m-%dT%H:%M:%SZ");
    let to = now.format("%Y-%m-%dT%H:%M:%SZ");
    let when = format!("published:[{from} TO {to}]");
    let q = match key.split_once(':') {
        Some(("topic", id)) => format!("topics:{id} {when}"),
        Some(("place", id)) => format!("places:{id} {when}"),
        Some(("police", _)) => format!("police:yes sentiment:negative {when}"),
        Some(("term", w)) => format!("title:{w} {when}"),
        _ => when,
    };
    format!(
        "{}/?q={}",
        config.settings.server.base_url(),
        rasd_core::text::url_encode_query(&q)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tails_are_right_where_they_can_be_checked() {
        // P(X ≥ 1; λ) = 1 − e^−λ.
        assert!((poisson_tail(1, 0.5) - (1.0 - (-0.5f64).exp())).abs() < 1e-12);
        // P(X ≥ 3; 0.1) ≈ 1.547e-4.
        assert!((poisson_tail(3, 0.1) - 1.547e-4).abs() < 1e-6);
        // Far in the tail it stays positive and tiny.
        let far = poisson_tail(60, 1.0);
        assert!(far > 0.0 && far < 1e-70, "{far}");
        assert!((normal_tail(0.0) - 0.5).abs() < 1e-7);
        assert!((normal_tail(1.96) - 0.025).abs() < 1e-4);
        assert!((normal_tail(3.0) - 0.00135).abs() < 1e-5);
    }

    #[test]
    fn surprise_uses_poisson_for_rare_keys_and_the_spread_for_common_ones() {
        // A key never seen: three stories is surprising.
        let (p, mean) = surprise(3, &[0; 14]);
        assert_eq!(mean, 0.0);
        assert!(p < 0.001, "{p}");
        // At or below the mean: not surprising at all.
        assert_eq!(surprise(2, &[2; 14]).0, 1.0);
        // A common key that swings a lot: 30 against a mean of 20 is ordinary.
        let swings = [10, 30, 12, 28, 15, 25, 20, 20, 11, 29, 14, 26, 18, 22];
        assert!(surprise(30, &swings).0 > 0.05);
        // The same key steady at 20: 40 is very unusual.
        let steady = [20, 21, 19, 20, 20, 21, 19, 20, 20, 21, 19, 20, 20, 20];
        assert!(surprise(40, &steady).0 < 0.001);
    }
}
