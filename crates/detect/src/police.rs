//! How the police were spoken of: the day's items about the Public Security Directorate by
//! sentiment, against the week before.
//!
//! Items flagged `about_police` are counted by sentiment ([`SentimentCounts`]), published
//! coverage and public comments apart ([`PoliceVoice`]), each set against its daily average
//! over the previous [`BASELINE_DAYS`](crate::BASELINE_DAYS) days. A rise in negative items
//! is judged like a topic's [`Trend`]; a rise in the negative *share* needs at least
//! [`MIN_NEGATIVE`] negative items and a share at least [`SHARE_RISE`] above the week's.
//! [`PoliceSummary`] adds the most negative and most positive items of the day.

use rasd_core::{Item, ItemKind, Polarity, SentimentTag};
use serde::Serialize;

use crate::{DigestItem, Trend};

/// At most this many items are listed as most negative, and as most positive.
pub const TOP_ITEMS: usize = 3;
/// A rise in the negative share is flagged only with at least this many negative items.
pub const MIN_NEGATIVE: usize = 3;
/// A rise in the negative share is flagged when it is at least this much (0.2 = 20 points)
/// above the share over the previous week.
pub const SHARE_RISE: f64 = 0.2;

/// Items by sentiment.
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

    /// All items, with or without a sentiment.
    pub fn total(&self) -> usize {
        self.rated() + self.unknown
    }

    /// Items with a sentiment.
    pub fn rated(&self) -> usize {
        self.positive + self.negative + self.neutral
    }

    /// The negative share of the items with a sentiment (0..1); `None` when none has one.
    pub fn negative_share(&self) -> Option<f64> {
        let rated = self.rated();
        (rated > 0).then(|| self.negative as f64 / rated as f64)
    }

    /// These counts divided by `days`, as a daily average.
    fn per_day(&self, days: f64) -> SentimentAverage {
        SentimentAverage {
            positive: self.positive as f64 / days,
            negative: self.negative as f64 / days,
            neutral: self.neutral as f64 / days,
            unknown: self.unknown as f64 / days,
        }
    }
}

/// Items by sentiment as a daily average.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize)]
pub struct SentimentAverage {
    /// Positive items per day.
    pub positive: f64,
    /// Negative items per day.
    pub negative: f64,
    /// Neutral items per day.
    pub neutral: f64,
    /// Items without a sentiment per day.
    pub unknown: f64,
}

impl SentimentAverage {
    /// All items per day.
    pub fn total(&self) -> f64 {
        self.positive + self.negative + self.neutral + self.unknown
    }
}

/// One voice about the police (published coverage, or the public's comments): the day
/// against the week before.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PoliceVoice {
    /// The day's items by sentiment.
    pub today: SentimentCounts,
    /// Daily average over the previous week.
    pub baseline: SentimentAverage,
    /// The day's negative share of items with a sentiment.
    pub negative_share: Option<f64>,
    /// The negative share over the whole previous week.
    pub baseline_negative_share: Option<f64>,
    /// The day's negative count against its daily average, judged like a topic's trend.
    pub negative_trend: Trend,
    /// The negative share rose notably: at least [`MIN_NEGATIVE`] negative items and a share
    /// at least [`SHARE_RISE`] above the week's (or above zero when the week had none rated).
    pub share_rising: bool,
}

impl PoliceVoice {
    /// Compares the day's counts with the week's, `days` being the week's length.
    pub fn compare(today: SentimentCounts, week: SentimentCounts, days: u64) -> PoliceVoice {
        let baseline = week.per_day(days.max(1) as f64);
        let negative_share = today.negative_share();
        let baseline_negative_share = week.negative_share();
        let share_rising = today.negative >= MIN_NEGATIVE
            && negative_share
                .is_some_and(|s| s >= baseline_negative_share.unwrap_or(0.0) + SHARE_RISE);
        PoliceVoice {
            today,
            baseline,
            negative_share,
            baseline_negative_share,
            negative_trend: Trend::of(today.negative, baseline.negative),
            share_rising,
        }
    }

    /// True when negativity rose notably, in count or in share.
    pub fn is_notable(&self) -> bool {
        self.negative_trend.is_notable() || self.share_rising
    }
}

/// The police section of the digest.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PoliceSummary {
    /// Published items (articles) about the police.
    pub articles: PoliceVoice,
    /// Public comments about the police.
    pub comments: PoliceVoice,
    /// The day's most negative items (articles and comments), most negative first, at most
    /// [`TOP_ITEMS`].
    pub most_negative: Vec<DigestItem>,
    /// The day's most positive items, most positive first, at most [`TOP_ITEMS`].
    pub most_positive: Vec<DigestItem>,
}

impl PoliceSummary {
    /// Items about the police that day, articles and comments.
    pub fn total(&self) -> usize {
        self.articles.today.total() + self.comments.today.total()
    }

    /// True when negativity toward the police rose notably in coverage or in comments.
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
    let count = |counts: &mut [SentimentCounts; 2], item: &Item| {
        let k = usize::from(item.kind == ItemKind::Comment);
        counts[k].add(item.tags.sentiment);
    };
    let mut now = [SentimentCounts::default(); 2];
    let mut before = [SentimentCounts::default(); 2];
    for item in week.into_iter().filter(|i| i.tags.about_police) {
        count(&mut before, item);
    }
    let police: Vec<&Item> = today
        .iter()
        .copied()
        .filter(|i| i.tags.about_police)
        .collect();
    for item in &police {
        count(&mut now, item);
    }
    let top = |label: Polarity| {
        let mut v: Vec<&Item> = police
            .iter()
            .copied()
            .filter(|i| i.tags.sentiment.is_some_and(|s| s.label == label))
            .collect();
        // Stable sort: equal scores keep the day's order (newest first).
        v.sort_by(|a, b| {
            let (a, b) = (score_of(a), score_of(b));
            if label == Polarity::Negative {
                a.total_cmp(&b)
            } else {
                b.total_cmp(&a)
            }
        });
        v.into_iter().take(TOP_ITEMS).map(&listed).collect()
    };
    PoliceSummary {
        articles: PoliceVoice::compare(now[0], before[0], days),
        comments: PoliceVoice::compare(now[1], before[1], days),
        most_negative: top(Polarity::Negative),
        most_positive: top(Polarity::Positive),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counts(positive: usize, negative: usize, neutral: usize, unknown: usize) -> SentimentCounts {
        SentimentCounts {
            positive,
            negative,
            neutral,
            unknown,
        }
    }

    #[test]
    fn share_ignores_items_without_sentiment() {
        let c = counts(1, 2, 1, 6);
        assert_eq!(c.total(), 10);
        assert_eq!(c.negative_share(), Some(0.5));
        assert_eq!(counts(0, 0, 0, 4).negative_share(), None);
    }

    #[test]
    fn negative_rise_in_count_and_share() {
        // A week of 7 negative in 70 rated (10%), about one a day; today 4 of 5.
        let v = PoliceVoice::compare(counts(1, 4, 0, 0), counts(30, 7, 33, 0), 7);
        assert!((v.baseline.negative - 1.0).abs() < 1e-9);
        assert_eq!(v.negative_trend, Trend::Rising);
        assert!(v.share_rising);
        assert!(v.is_notable());
        // Same share as the week, and few negatives: nothing to flag.
        let v = PoliceVoice::compare(counts(8, 1, 1, 0), counts(30, 7, 33, 0), 7);
        assert_eq!(v.negative_trend, Trend::Steady);
        assert!(!v.share_rising);
        assert!(!v.is_notable());
    }

    #[test]
    fn share_rise_needs_enough_negative_items() {
        // Two of two negative is a 100% share, but too few items to flag.
        let v = PoliceVoice::compare(counts(0, 2, 0, 0), counts(10, 0, 4, 0), 7);
        assert!(!v.share_rising);
        // Three negative of six (50%) against a week at 40%: under the 20-point rise.
        let v = PoliceVoice::compare(counts(2, 3, 1, 0), counts(20, 28, 22, 0), 7);
        assert!(!v.share_rising);
    }
}
