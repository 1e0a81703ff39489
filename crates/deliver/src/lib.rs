//! Rasd's delivery: turning detection results into what people read.
//!
//! This first cut renders a [`rasd_detect::Digest`] as a standalone HTML page
//! ([`digest_html`], right-to-left when most items are Arabic, readable in a browser and in
//! mail clients: inline styles, no scripts) and as Markdown ([`digest_markdown`], for the
//! terminal and chat tools). Sending (SMTP, webhooks) comes later and will live here too.

mod html;
mod markdown;

pub use html::{digest_html, escape};
pub use markdown::digest_markdown;

use rasd_detect::{TopicSummary, Trend};

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

/// The day's count against the daily average before it: "12 vs 1.3/day", or in Arabic
/// "12 مقابل 1.3 يومياً".
pub(crate) fn comparison(t: &TopicSummary, arabic: bool) -> String {
    if arabic {
        format!("{} مقابل {:.1} يومياً", t.count, t.baseline)
    } else {
        format!("{} vs {:.1}/day", t.count, t.baseline)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use std::collections::BTreeMap;

    use chrono::Utc;
    use rasd_detect::{Digest, DigestItem, PlaceCount, TopicSummary, Trend};

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
                baseline: 1.0,
                trend: Trend::Rising,
                sources: 5,
                places: vec![zarqa],
                items: vec![DigestItem {
                    id: "a".into(),
                    title: "سرقة محل في الرصيفة".into(),
                    url: "https://example.jo/1".into(),
                    source: "s1".into(),
                    source_name: "صوت الشمال".into(),
                    lang: "ar".into(),
                    when: Utc::now(),
                    places: vec!["zarqa".into()],
                }],
            }],
            untagged: 3,
            rtl,
        }
    }
}
