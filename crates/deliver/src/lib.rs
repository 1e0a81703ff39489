//! Rasd's delivery: turning detection results into what people read.
//!
//! This first cut renders a [`rasd_detect::Digest`] as a standalone HTML page
//! ([`digest_html`], right-to-left when most items are Arabic, readable in a browser and in
//! mail clients: inline styles, no scripts) and as Markdown ([`digest_markdown`], for the
//! terminal and chat tools). Both show how the police were spoken of (the digest's
//! [`rasd_detect::PoliceSummary`]: counts by sentiment in words, not colour alone, against the
//! week before, and the most negative and positive items) and the same story across outlets
//! ([`rasd_detect::Story`]). Text from feeds is shown without its bidi controls
//! ([`escape_text`], [`rasd_core::text::neutralize_bidi`]), so a title cannot display as
//! something else. [`outbox::Sender`] sends the outbox's messages: alerts, escalations and
//! summaries, by e-mail (SMTP) and signed webhooks, with retries.

mod html;
mod markdown;
pub mod outbox;

pub use html::{
    DIGEST_STYLE, InlineImage, bar_svg, digest_html, escape, escape_text, for_mail, line_svg,
    svg_png,
};
pub use markdown::digest_markdown;

use rasd_core::{Polarity, PoliceStance};
use rasd_detect::{PoliceVoice, TopicSummary, Trend};

/// Errors raised while delivering.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Writing the rendered output failed.
    #[error("cannot write {path}: {source}")]
    Write {
        /// Where it was being written.
        path: std::path::PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
}

/// The deliver crate's result alias.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Writes `text` to `path`, creating parent folders.
pub fn write_file(path: &std::path::Path, text: &str) -> Result<()> {
    let wrap = |source| Error::Write {
        path: path.to_path_buf(),
        source,
    };
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(wrap)?;
    }
    std::fs::write(path, text).map_err(wrap)
}

/// The trend in words, Arabic then English.
pub(crate) fn trend_label(t: Trend) -> (&'static str, &'static str) {
    match t {
        Trend::New => ("جديد", "new"),
        Trend::Rising => ("في ارتفاع", "rising"),
        Trend::Steady => ("ضمن المعتاد", "steady"),
        Trend::Falling => ("في انخفاض", "falling"),
    }
}

/// The day's events against the daily average before it: "12 vs 1.3/day", or in Arabic
/// "12 مقابل 1.3 يومياً"; with the items when several reported one event: "7 vs 2.0/day (12
/// items)".
pub(crate) fn comparison(t: &TopicSummary, arabic: bool) -> String {
    let items = if t.item_count > t.count {
        if arabic {
            format!(" ({} مادة)", t.item_count)
        } else {
            format!(" ({} items)", t.item_count)
        }
    } else {
        String::new()
    };
    if arabic {
        format!("{} مقابل {:.1} يومياً{items}", t.count, t.baseline)
    } else {
        format!("{} vs {:.1}/day{items}", t.count, t.baseline)
    }
}

/// A sentiment class in words, Arabic then English; `None` is an item without a sentiment.
pub(crate) fn polarity_label(p: Option<Polarity>) -> (&'static str, &'static str) {
    match p {
        Some(Polarity::Positive) => ("إيجابي", "positive"),
        Some(Polarity::Negative) => ("سلبي", "negative"),
        Some(Polarity::Neutral) => ("محايد", "neutral"),
        None => ("غير مصنّف", "unrated"),
    }
}

/// A share as a whole percentage ("67%"), or a dash when there is none.
pub(crate) fn percent(share: Option<f64>) -> String {
    share.map_or_else(|| "—".to_string(), |s| format!("{:.0}%", s * 100.0))
}

/// A stance toward the police in words, Arabic then English; `None` is an item about the
/// police without a stance.
pub(crate) fn stance_label(s: Option<PoliceStance>) -> (&'static str, &'static str) {
    match s {
        Some(s) => (s.as_arabic(), s.as_str()),
        None => ("غير مصنّف", "unrated"),
    }
}

/// What rose in a voice's critical coverage, in words: "4 critical vs 0.1/day; critical
/// share 67% vs 13%", or in Arabic "4 ناقدة مقابل 0.1 يومياً؛ نسبة الناقد 67% مقابل 13%".
pub(crate) fn critical_rise(v: &PoliceVoice, arabic: bool) -> String {
    if arabic {
        format!(
            "{} ناقدة مقابل {:.1} يومياً؛ نسبة الناقد {} مقابل {}",
            v.today.critical,
            v.baseline.critical,
            percent(v.critical_share),
            percent(v.baseline_critical_share)
        )
    } else {
        format!(
            "{} critical vs {:.1}/day; critical share {} vs {}",
            v.today.critical,
            v.baseline.critical,
            percent(v.critical_share),
            percent(v.baseline_critical_share)
        )
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use std::collections::BTreeMap;

    use chrono::Utc;
    use rasd_core::{ItemKind, Polarity, PoliceStance, SentimentTag};
    use rasd_detect::{
        Digest, DigestItem, PlaceCount, PoliceSummary, PoliceVoice, SentimentCounts, StanceCounts,
        Story, TopicSummary, Trend,
    };

    /// A listed item.
    pub(crate) fn sample_item(
        title: &str,
        url: &str,
        source_name: &str,
        sentiment: Option<(Polarity, f32)>,
    ) -> DigestItem {
        DigestItem {
            id: url.into(),
            title: title.into(),
            url: url.into(),
            source: "s1".into(),
            source_name: source_name.into(),
            lang: "ar".into(),
            when: Utc::now(),
            places: vec!["zarqa".into()],
            kind: ItemKind::Article,
            sentiment: sentiment.map(|(label, score)| SentimentTag { label, score }),
            police_stance: None,
        }
    }

    /// A police section with rising critical coverage, and comments counted apart.
    pub(crate) fn sample_police() -> PoliceSummary {
        let counts = |approving, critical, neutral, unknown| StanceCounts {
            approving,
            critical,
            neutral,
            unknown,
        };
        let tone = SentimentCounts {
            positive: 1,
            negative: 5,
            neutral: 1,
            unknown: 0,
        };
        let mut comment = sample_item(
            "الدورية لم تحضر",
            "form:ABC-123",
            "نموذج الجمهور",
            Some((Polarity::Negative, -0.7)),
        );
        comment.kind = ItemKind::Comment;
        comment.police_stance = Some(PoliceStance::Critical);
        let mut critical = sample_item(
            "اتهامات للشرطة بالتقصير",
            "https://example.jo/neg",
            "الغد",
            Some((Polarity::Negative, -0.95)),
        );
        critical.police_stance = Some(PoliceStance::Critical);
        let mut approving = sample_item(
            "الأمن العام ينقذ عائلة من الغرق",
            "https://example.jo/pos",
            "الرأي",
            Some((Polarity::Positive, 0.9)),
        );
        approving.police_stance = Some(PoliceStance::Approving);
        PoliceSummary {
            articles: PoliceVoice::compare(counts(1, 4, 1, 1), counts(4, 1, 3, 0), tone, 7),
            comments: PoliceVoice::compare(
                counts(0, 1, 0, 1),
                counts(1, 0, 0, 0),
                SentimentCounts::default(),
                7,
            ),
            critical: vec![critical, comment],
            approving: vec![approving],
        }
    }

    /// A story carried by three outlets.
    pub(crate) fn sample_story() -> Story {
        Story {
            id: Some(7),
            title: "حريق في مستودع بالزرقاء".into(),
            outlets: 3,
            owners: 2,
            breaking_at: None,
            count: 4,
            sources: vec!["صوت الشمال".into(), "الرأي".into(), "الغد".into()],
            first: Utc::now(),
            about_police: true,
            items: vec![
                sample_item(
                    "حريق في مستودع بالزرقاء",
                    "https://example.jo/f1",
                    "صوت الشمال",
                    None,
                ),
                sample_item(
                    "إخماد حريق مستودع",
                    "https://alrai.example/f2",
                    "الرأي",
                    None,
                ),
                sample_item(
                    "حريق مستودع الزرقاء",
                    "https://alghad.example/f3",
                    "الغد",
                    None,
                ),
            ],
        }
    }

    /// A small digest with one rising topic.
    pub(crate) fn sample_digest(rtl: bool) -> Digest {
        let zarqa = PlaceCount {
            id: "zarqa".into(),
            name_ar: "الزرقاء".into(),
            name_en: "Zarqa".into(),
            count: 12,
        };
        Digest {
            date: "2026-11-20".parse().unwrap(),
            timezone: "Asia/Amman".into(),
            generated: Utc::now(),
            total: 20,
            comments: 2,
            by_lang: BTreeMap::from([("ar".into(), 15), ("en".into(), 5)]),
            places: vec![zarqa.clone()],
            topics: vec![TopicSummary {
                id: "theft".into(),
                name_ar: "السرقة".into(),
                name_en: "Theft".into(),
                count: 12,
                item_count: 12,
                baseline: 1.0,
                trend: Trend::Rising,
                sources: 5,
                places: vec![zarqa],
                items: vec![sample_item(
                    "سرقة محل في الرصيفة",
                    "https://example.jo/1",
                    "صوت الشمال",
                    None,
                )],
                daily: vec![1, 0, 2, 1, 1, 0, 2, 12],
            }],
            untagged: 3,
            police: sample_police(),
            stories: vec![sample_story()],
            stories_total: 1,
            trends: vec![rasd_detect::TrendFlag {
                key: "place:karak".into(),
                label: "الكرك (Karak)".into(),
                granularity: rasd_detect::Granularity::Day,
                count: 5,
                items: 7,
                baseline: 0.4,
                baseline_days: 14,
                p_value: 2.1e-5,
                score: 4.7,
                outlets: 6,
                owners: 5,
                first_item: Some(rasd_store::ItemBrief {
                    id: "abc".into(),
                    title: "تدهور حافلة قرب القطرانة".into(),
                    url: "https://example.jo/k".into(),
                    source: "qalam".into(),
                    at: Utc::now(),
                }),
                link: "http://127.0.0.1:8080/?q=places%3Akarak".into(),
                note: None,
            }],
            submissions: vec![sample_item(
                "الدورية لم تحضر",
                "form:RASD-2026-000001",
                "نموذج الجمهور",
                None,
            )],
            submissions_by_place: vec![PlaceCount {
                id: "zarqa".into(),
                name_ar: "الزرقاء".into(),
                name_en: "Zarqa".into(),
                count: 2,
            }],
            police_daily: vec![3, 2, 4, 1, 2, 3, 2, 9],
            police_critical_daily: vec![0, 0, 1, 0, 0, 0, 0, 5],
            saved: vec![rasd_detect::SavedSection {
                name: "سرقات الزرقاء".into(),
                query: "سرقة · place=zarqa".into(),
                total: 1,
                items: vec![sample_item(
                    "سرقة مركبة في الزرقاء",
                    "https://example.jo/z1",
                    "صوت الشمال",
                    None,
                )],
                problem: None,
            }],
            base_url: "http://127.0.0.1:8080".into(),
            rtl,
        }
    }
}
