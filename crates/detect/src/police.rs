//! How the police were spoken of: the day's items about the Public Security Directorate by
//! their stance toward the police, against the week before.
//!
//! Items flagged `about_police` are counted by `police_stance` ([`StanceCounts`]:
//! approving, critical, neutral), published coverage and public comments apart
//! ([`PoliceVoice`]), each set against its daily average over the previous
//! [`BASELINE_DAYS`](crate::BASELINE_DAYS) days. A rise in critical items is judged like a
//! topic's [`Trend`]; a rise in the critical *share* needs at least [`MIN_CRITICAL`] critical
//! items and a share at least [`SHARE_RISE`] above the week's. The stance, not the tone, is
//! what rises: an arrest or theft report is negative in tone but neutral toward the police.
//! The day's tone ([`SentimentCounts`]) is kept beside it. [`PoliceSummary`] adds the day's
//! critical and approving items.

use rasd_core::{Item, ItemKind, Polarity, PoliceStance, SentimentTag};
use serde::Serialize;

use crate::{DigestItem, Trend};

/// At most this many items are listed as critical, and as approving.
pub const TOP_ITEMS: usize = 3;
/// A rise in the critical share is flagged only with at least this many critical items.
pub const MIN_CRITICAL: usize = 3;
/// A rise in the critical share is flagged when it is at least this much (0.2 = 20 points)
/// above the share over the previous week.
pub const SHARE_RISE: f64 = 0.2;

/// Items about the police by stance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct StanceCounts {
    /// Approving items.
    pub approving: usize,
    /// Critical items.
    pub critical: usize,
    /// Neutral items.
    pub neutral: usize,
    /// Items without a stance (tagged before stances were given, or without
    /// `[police.stance]` cues): `rasd retag` gives them one.
    pub unknown: usize,
}

impl StanceCounts {
    /// Counts one item with stance `s`.
    pub fn add(&mut self, s: Option<PoliceStance>) {
        match s {
            Some(PoliceStance::Approving) => self.approving += 1,
            Some(PoliceStance::Critical) => self.critical += 1,
            Some(PoliceStance::Neutral) => self.neutral += 1,
            None => self.unknown += 1,
        }
    }

    /// All items, with or without a stance.
    pub fn total(&self) -> usize {
        self.rated() + self.unknown
    }

    /// Items with a stance.
    pub fn rated(&self) -> usize {
        self.approving + self.critical + self.neutral
    }

    /// The critical share of the items with a stance (0..1); `None` when none has one.
    pub fn critical_share(&self) -> Option<f64> {
        let rated = self.rated();
        (rated > 0).then(|| self.critical as f64 / rated as f64)
    }

    /// These counts divided by `days`, as a daily average.
    fn per_day(&self, days: f64) -> StanceAverage {
        StanceAverage {
            approving: self.approving as f64 / days,
            critical: self.critical as f64 / days,
            neutral: self.neutral as f64 / days,
            unknown: self.unknown as f64 / days,
        }
    }
}

/// Items by stance as a daily average.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize)]
pub struct StanceAverage {
    /// Approving items per day.
    pub approving: f64,
    /// Critical items per day.
    pub critical: f64,
    /// Neutral items per day.
    pub neutral: f64,
    /// Items without a stance per day.
    pub unknown: f64,
}

impl StanceAverage {
    /// All items per day.
    pub fn total(&self) -> f64 {
        self.approving + self.critical + self.neutral + self.unknown
    }
}

/// Items by their own tone (sentiment).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct SentimentCounts {
    /// Positive items.
    pub positive: usize,
    /// Negative items.
    pub negative: usize,
    /// Neutral items.
    pub neutral: usize,
    /// Items without a sentiment (no model loaded when they were enriched).
    pub unknown: usize,
}

impl SentimentCounts {
    /// Counts one item with sentiment `s`.
    pub fn add(&mut self, s: Option<SentimentTag>) {
        match s.map(|s| s.label) {
            Some(Polarity::Positive) => self.positive += 1,
            Some(Polarity::Negative) => self.negative += 1,
            Some(Polarity::Neutral) => self.neutral += 1,
            None => self.unknown += 1,
        }
    }
}

/// One voice about the police (published coverage, or the public's comments): the day
/// against the week before.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PoliceVoice {
    /// The day's items by stance.
    pub today: StanceCounts,
    /// Daily average over the previous week.
    pub baseline: StanceAverage,
    /// The day's critical share of items with a stance.
    pub critical_share: Option<f64>,
    /// The critical share over the whole previous week.
    pub baseline_critical_share: Option<f64>,
    /// The day's critical count against its daily average, judged like a topic's trend.
    pub critical_trend: Trend,
    /// The critical share rose notably: at least [`MIN_CRITICAL`] critical items and a share
    /// at least [`SHARE_RISE`] above the week's (or above zero when the week had none rated).
    pub share_rising: bool,
    /// The day's items by their own tone (a theft report is negative in tone, neutral
    /// toward the police): for reference, never the headline.
    pub tone: SentimentCounts,
}

impl PoliceVoice {
    /// Compares the day's stances with the week's, `days` being the week's length; `tone` is
    /// the day's items by sentiment.
    pub fn compare(
        today: StanceCounts,
        week: StanceCounts,
        tone: SentimentCounts,
        days: u64,
    ) -> PoliceVoice {
        let baseline = week.per_day(days.max(1) as f64);
        let critical_share = today.critical_share();
        let baseline_critical_share = week.critical_share();
        let share_rising = today.critical >= MIN_CRITICAL
            && critical_share
                .is_some_and(|s| s >= baseline_critical_share.unwrap_or(0.0) + SHARE_RISE);
        PoliceVoice {
            today,
            baseline,
            critical_share,
            baseline_critical_share,
            critical_trend: Trend::of(today.critical, baseline.critical),
            share_rising,
            tone,
        }
    }

    /// True when critical coverage rose notably, in count or in share.
    pub fn is_notable(&self) -> bool {
        self.critical_trend.is_notable() || self.share_rising
    }
}

/// The police section of the digest.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PoliceSummary {
    /// Published items (articles) about the police.
    pub articles: PoliceVoice,
    /// Public comments about the police.
    pub comments: PoliceVoice,
    /// The day's critical items (articles and comments), the most negative in tone first,
    /// at most [`TOP_ITEMS`].
    pub critical: Vec<DigestItem>,
    /// The day's approving items, the most positive in tone first, at most [`TOP_ITEMS`].
    pub approving: Vec<DigestItem>,
}

impl PoliceSummary {
    /// Items about the police that day, articles and comments.
    pub fn total(&self) -> usize {
        self.articles.today.total() + self.comments.today.total()
    }

    /// True when critical coverage of the police rose notably in articles or in comments.
    pub fn is_notable(&self) -> bool {
        self.articles.is_notable() || self.comments.is_notable()
    }
}

/// A score fit for sorting: a non-finite score (a corrupt row) counts as 0.
fn score_of(item: &Item) -> f32 {
    item.tags
        .sentiment
        .map(|s| s.score)
        .filter(|s| s.is_finite())
        .unwrap_or(0.0)
}

/// Builds the police section from the day's items (`today`, newest first) and the items of
/// the previous `days` days (`week`). Only items flagged `about_police` count.
pub(crate) fn summarize<'a>(
    today: &[&'a Item],
    week: impl IntoIterator<Item = &'a Item>,
    days: u64,
    listed: impl Fn(&Item) -> DigestItem,
) -> PoliceSummary {
    let kind = |item: &Item| usize::from(item.kind == ItemKind::Comment);
    let mut now = [StanceCounts::default(); 2];
    let mut tone = [SentimentCounts::default(); 2];
    let mut before = [StanceCounts::default(); 2];
    for item in week.into_iter().filter(|i| i.tags.about_police) {
        before[kind(item)].add(item.tags.police_stance);
    }
    let police: Vec<&Item> = today
        .iter()
        .copied()
        .filter(|i| i.tags.about_police)
        .collect();
    for item in &police {
        now[kind(item)].add(item.tags.police_stance);
        tone[kind(item)].add(item.tags.sentiment);
    }
    let top = |stance: PoliceStance| {
        let mut v: Vec<&Item> = police
            .iter()
            .copied()
            .filter(|i| i.tags.police_stance == Some(stance))
            .collect();
        // Stable sort: equal scores keep the day's order (newest first).
        v.sort_by(|a, b| {
            let (a, b) = (score_of(a), score_of(b));
            if stance == PoliceStance::Critical {
                a.total_cmp(&b)
            } else {
                b.total_cmp(&a)
            }
        });
        v.into_iter().take(TOP_ITEMS).map(&listed).collect()
    };
    PoliceSummary {
        articles: PoliceVoice::compare(now[0], before[0], tone[0], days),
        comments: PoliceVoice::compare(now[1], before[1], tone[1], days),
        critical: top(PoliceStance::Critical),
        approving: top(PoliceStance::Approving),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counts(approving: usize, critical: usize, neutral: usize, unknown: usize) -> StanceCounts {
        StanceCounts {
            approving,
            critical,
            neutral,
            unknown,
        }
    }

    fn compare(today: StanceCounts, week: StanceCounts) -> PoliceVoice {
        PoliceVoice::compare(today, week, SentimentCounts::default(), 7)
    }

    #[test]
    fn share_ignores_items_without_a_stance() {
        let c = counts(1, 2, 1, 6);
        assert_eq!(c.total(), 10);
        assert_eq!(c.critical_share(), Some(0.5));
        assert_eq!(counts(0, 0, 0, 4).critical_share(), None);
    }

    #[test]
    fn critical_rise_in_count_and_share() {
        // A week of 7 critical in 70 rated (10%), about one a day; today 4 of 5.
        let v = compare(counts(1, 4, 0, 0), counts(30, 7, 33, 0));
        assert!((v.baseline.critical - 1.0).abs() < 1e-9);
        assert_eq!(v.critical_trend, Trend::Rising);
        assert!(v.share_rising);
        assert!(v.is_notable());
        // Same share as the week, and few critical items: nothing to flag.
        let v = compare(counts(8, 1, 1, 0), counts(30, 7, 33, 0));
        assert_eq!(v.critical_trend, Trend::Steady);
        assert!(!v.share_rising);
        assert!(!v.is_notable());
    }

    #[test]
    fn share_rise_needs_enough_critical_items() {
        // Two of two critical is a 100% share, but too few items to flag.
        let v = compare(counts(0, 2, 0, 0), counts(10, 0, 4, 0));
        assert!(!v.share_rising);
        // Three critical of six (50%) against a week at 40%: under the 20-point rise.
        let v = compare(counts(2, 3, 1, 0), counts(20, 28, 22, 0));
        assert!(!v.share_rising);
    }
}
