//! The digest as Markdown.

use std::fmt::Write;

use rasd_detect::Digest;

use crate::{comparison, trend_label};

/// Markdown has no escaping for everything; this keeps titles from breaking list items and
/// links.
fn clean(s: &str) -> String {
    s.replace(['\n', '\r'], " ")
        .replace('[', "(")
        .replace(']', ")")
}

/// Renders `digest` as Markdown: what stands out, then each topic with its newest items.
/// Arabic names lead when most items are Arabic.
pub fn digest_markdown(digest: &Digest) -> String {
    let rtl = digest.rtl;
    let mut m = String::new();
    let name = |ar: &str, en: &str| {
        if rtl {
            format!("{ar} ({en})")
        } else {
            format!("{en} ({ar})")
        }
    };
    let _ = writeln!(
        m,
        "# {} — {}\n",
        if rtl {
            "ملخص رصد اليومي"
        } else {
            "Rasd daily digest"
        },
        digest.date.format("%Y-%m-%d")
    );
    let langs: Vec<String> = digest
        .by_lang
        .iter()
        .map(|(k, v)| format!("{k}: {v}"))
        .collect();
    let _ = writeln!(
        m,
        "{} items ({}), {} from the public, {} without a topic. Time zone {}.\n",
        digest.total,
        langs.join(", "),
        digest.comments,
        digest.untagged,
        digest.timezone
    );
    let _ = writeln!(
        m,
        "## {}\n",
        name("أبرز ما يلفت الانتباه", "What stands out")
    );
    let mut any = false;
    for t in digest.notable() {
        any = true;
        let (ar, en) = trend_label(t.trend);
        let place = t
            .places
            .first()
            .map(|p| format!(", mostly in {}", name(&p.name_ar, &p.name_en)));
        let _ = writeln!(
            m,
            "- **{}** [{}]: {}{}",
            name(&t.name_ar, &t.name_en),
            if rtl { ar } else { en },
            comparison(t, false),
            place.unwrap_or_default()
        );
    }
    if !any {
        m.push_str("- No topic rose notably against the previous seven days.\n");
    }
    m.push('\n');
    if !digest.places.is_empty() {
        let _ = writeln!(m, "## {}\n", name("حسب المحافظة", "By governorate"));
        for p in &digest.places {
            let _ = writeln!(m, "- {}: {}", name(&p.name_ar, &p.name_en), p.count);
        }
        m.push('\n');
    }
    let _ = writeln!(m, "## {}\n", name("المواضيع", "Topics"));
    for t in &digest.topics {
        let (ar, en) = trend_label(t.trend);
        let _ = writeln!(
            m,
            "### {} — {} [{}], {} sources\n",
            name(&t.name_ar, &t.name_en),
            comparison(t, false),
            if rtl { ar } else { en },
            t.sources
        );
        for i in &t.items {
            if i.url.starts_with("http://") || i.url.starts_with("https://") {
                let _ = writeln!(
                    m,
                    "- [{}]({}) — {}",
                    clean(&i.title),
                    i.url.replace(' ', "%20"),
                    clean(&i.source_name)
                );
            } else {
                let _ = writeln!(m, "- {} — {}", clean(&i.title), clean(&i.source_name));
            }
        }
        m.push('\n');
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tests::sample_digest;

    #[test]
    fn markdown_lists_the_burst_first() {
        let md = digest_markdown(&sample_digest(true));
        let stands_out = md.find("أبرز").unwrap();
        let theft = md
            .find("**السرقة (Theft)** [في ارتفاع]: 12 vs 1.0/day")
            .unwrap();
        assert!(theft > stands_out, "{md}");
        assert!(md.contains("mostly in الزرقاء (Zarqa)"));
        assert!(md.contains("- [سرقة محل في الرصيفة](https://example.jo/1) — صوت الشمال"));
    }

    #[test]
    fn titles_cannot_break_the_list() {
        let mut d = sample_digest(false);
        d.topics[0].items[0].title = "line one\n# heading [x]".into();
        let md = digest_markdown(&d);
        assert!(md.contains("- [line one # heading (x)]("), "{md}");
    }
}
