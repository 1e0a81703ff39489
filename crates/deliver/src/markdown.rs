//! The digest as Markdown.

use std::fmt::Write;

use rasd_core::ItemKind;
use rasd_core::text::neutralize_bidi;
use rasd_detect::{Digest, DigestItem};

use crate::{comparison, critical_rise, percent, polarity_label, trend_label};

/// Markdown has no escaping for everything; this keeps titles from breaking list items and
/// links, and removes the bidi controls that could make them display as something else.
fn clean(s: &str) -> String {
    neutralize_bidi(s)
        .replace(['\n', '\r'], " ")
        .replace('[', "(")
        .replace(']', ")")
}

/// A list entry's link: `[title](url)` for http(s) links, the plain title otherwise.
fn link(i: &DigestItem) -> String {
    if i.url.starts_with("http://") || i.url.starts_with("https://") {
        format!("[{}]({})", clean(&i.title), i.url.replace(' ', "%20"))
    } else {
        clean(&i.title)
    }
}

/// Renders `digest` as Markdown: what stands out, the police by sentiment, the same story
/// across outlets, then each topic with its newest items.
/// Arabic names lead when most items are Arabic.
pub fn digest_markdown(digest: &Digest) -> String {
    let rtl = digest.rtl;
    let mut m = String::new();
    // A sentence in both languages, the digest's main one first.
    let say = |ar: String, en: String| {
        if rtl {
            format!("{ar} / {en}")
        } else {
            format!("{en} / {ar}")
        }
    };
    let name = |ar: &str, en: &str| {
        let (ar, en) = (neutralize_bidi(ar), neutralize_bidi(en));
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
        "{}\n",
        say(
            format!(
                "{} مادة ({})، {} من الجمهور، {} بلا موضوع. المنطقة الزمنية {}.",
                digest.total,
                langs.join("، "),
                digest.comments,
                digest.untagged,
                digest.timezone
            ),
            format!(
                "{} items ({}), {} from the public, {} without a topic. Time zone {}.",
                digest.total,
                langs.join(", "),
                digest.comments,
                digest.untagged,
                digest.timezone
            )
        )
    );
    let _ = writeln!(
        m,
        "## {}\n",
        name("أبرز ما يلفت الانتباه", "What stands out")
    );
    let mut any = false;
    let police = &digest.police;
    let voices = [
        (&police.articles, "التغطية الإعلامية", "Media coverage"),
        (&police.comments, "تعليقات الجمهور", "Public comments"),
    ];
    for (v, ar, en) in voices {
        if v.is_notable() {
            any = true;
            let _ = writeln!(
                m,
                "- **{}** [{}]: {}",
                name(&format!("الأمن العام — {ar}"), &format!("Police — {en}")),
                if rtl {
                    "ارتفاع في التغطية الناقدة"
                } else {
                    "critical coverage rising"
                },
                say(critical_rise(v, true), critical_rise(v, false))
            );
        }
    }
    for t in digest.notable() {
        any = true;
        let (ar, en) = trend_label(t.trend);
        let (place_ar, place_en) = t
            .places
            .first()
            .map(|p| {
                (
                    format!("، أغلبها في {}", neutralize_bidi(&p.name_ar)),
                    format!(", mostly in {}", neutralize_bidi(&p.name_en)),
                )
            })
            .unwrap_or_default();
        let _ = writeln!(
            m,
            "- **{}** [{}]: {}",
            name(&t.name_ar, &t.name_en),
            if rtl { ar } else { en },
            say(
                format!("{}{place_ar}", comparison(t, true)),
                format!("{}{place_en}", comparison(t, false))
            )
        );
    }
    if !any {
        let _ = writeln!(
            m,
            "- {}",
            say(
                "لم يرتفع أي موضوع ارتفاعاً لافتاً مقارنة بالأيام السبعة السابقة.".into(),
                "No topic rose notably against the previous seven days.".into()
            )
        );
    }
    m.push('\n');

    let _ = writeln!(
        m,
        "## {}\n",
        name(
            "الأمن العام في التغطية وآراء الجمهور",
            "The police in coverage and public comments"
        )
    );
    let week_total = police.articles.baseline.total() + police.comments.baseline.total();
    if police.total() == 0 && week_total == 0.0 {
        let _ = writeln!(
            m,
            "{}\n",
            say(
                "لا مواد عن الأمن العام في هذا اليوم ولا في الأيام السبعة السابقة.".into(),
                "No items about the police this day or in the previous seven days.".into()
            )
        );
    } else {
        for (v, ar, en) in voices {
            let t = v.today;
            let arabic = format!(
                "{} مادة — مؤيدة {}، ناقدة {}، محايدة {}، غير مصنفة {}؛ نسبة الناقد {} \
                 (الأيام السبعة السابقة: {:.1} مادة يومياً، {:.1} ناقدة يومياً، النسبة {})؛ \
                 سلبية النبرة {}{}",
                t.total(),
                t.approving,
                t.critical,
                t.neutral,
                t.unknown,
                percent(v.critical_share),
                v.baseline.total(),
                v.baseline.critical,
                percent(v.baseline_critical_share),
                v.tone.negative,
                if v.is_notable() {
                    " **التغطية الناقدة في ارتفاع**"
                } else {
                    ""
                }
            );
            let english = format!(
                "{} items — approving {}, critical {}, neutral {}, unrated {}; \
                 critical share {} (previous 7 days: {:.1} items/day, {:.1} critical/day, \
                 share {}); negative in tone {}{}",
                t.total(),
                t.approving,
                t.critical,
                t.neutral,
                t.unknown,
                percent(v.critical_share),
                v.baseline.total(),
                v.baseline.critical,
                percent(v.baseline_critical_share),
                v.tone.negative,
                if v.is_notable() {
                    " **critical coverage rising**"
                } else {
                    ""
                }
            );
            let _ = writeln!(m, "- **{}**: {}", name(ar, en), say(arabic, english));
        }
        let _ = writeln!(
            m,
            "\n{}\n",
            say(
                "حسب الموقف من الأمن العام لا حسب النبرة: خبر القبض محايد وإن كانت نبرته سلبية. \
                 النسبة تحسب المواد المصنفة وحدها."
                    .into(),
                "By stance toward the police, not tone: an arrest report is neutral even when its \
                 tone is negative. The share counts rated items only."
                    .into()
            )
        );
        for (items, ar, en) in [
            (&police.critical, "مواد ناقدة", "Critical items"),
            (&police.approving, "مواد مؤيدة", "Approving items"),
        ] {
            if items.is_empty() {
                continue;
            }
            let _ = writeln!(m, "### {}\n", name(ar, en));
            for i in items {
                let (ar, en) = polarity_label(i.sentiment.map(|s| s.label));
                let score = i
                    .sentiment
                    .map(|s| s.score)
                    .filter(|s| s.is_finite())
                    .map(|s| format!(" {s:+.2}"))
                    .unwrap_or_default();
                let _ = writeln!(
                    m,
                    "- {} — {}, {}{score}{}",
                    link(i),
                    clean(&i.source_name),
                    name(ar, en),
                    if i.kind == ItemKind::Comment {
                        "، تعليق من الجمهور / public comment"
                    } else {
                        ""
                    }
                );
            }
            m.push('\n');
        }
    }

    if let Some(t) = digest
        .topics
        .iter()
        .find(|t| t.id == rasd_detect::OWN_COVERAGE_TOPIC)
    {
        let _ = writeln!(
            m,
            "## {}\n\n{}\n",
            name(
                "نشاطات المديرية في الإعلام",
                "The directorate's activities in the media"
            ),
            say(
                format!("{}، {} مصادر", comparison(t, true), t.sources),
                format!("{}, {} sources", comparison(t, false), t.sources)
            )
        );
        for i in &t.items {
            let _ = writeln!(m, "- {} — {}", link(i), clean(&i.source_name));
        }
        m.push('\n');
    }
    for s in &digest.saved {
        let _ = writeln!(
            m,
            "## {}: {}\n\n{} · {}\n",
            name("بحث محفوظ", "Saved search"),
            clean(&s.name),
            clean(&s.query),
            say(
                format!("{} مادة في هذا اليوم", s.total),
                format!("{} items this day", s.total)
            )
        );
        if let Some(problem) = &s.problem {
            let _ = writeln!(m, "{}\n", clean(problem));
        }
        for i in &s.items {
            let _ = writeln!(m, "- {} — {}", link(i), clean(&i.source_name));
        }
        if !s.items.is_empty() {
            m.push('\n');
        }
    }
    let _ = writeln!(m, "## {}\n", name("ملاحظات الجمهور", "Public submissions"));
    if digest.comments == 0 {
        let _ = writeln!(
            m,
            "{}\n",
            say(
                "لم تصل ملاحظات من الجمهور في هذا اليوم.".into(),
                "No public submissions this day.".into()
            )
        );
    } else {
        let places: Vec<String> = digest
            .submissions_by_place
            .iter()
            .map(|p| format!("{} {}", name(&p.name_ar, &p.name_en), p.count))
            .collect();
        let _ = writeln!(
            m,
            "{}{}\n",
            say(
                format!("{} ملاحظة", digest.comments),
                format!("{} submissions", digest.comments)
            ),
            if places.is_empty() {
                String::new()
            } else {
                format!(" — {}", places.join(", "))
            }
        );
        for i in &digest.submissions {
            let _ = writeln!(m, "- {} — {}", link(i), clean(&i.source_name));
        }
        m.push('\n');
    }

    let _ = writeln!(m, "## {}\n", name("ما يتصاعد الآن", "Trending"));
    if digest.trends.is_empty() {
        let _ = writeln!(
            m,
            "{}\n",
            say(
                "لا شيء يتجاوز المعتاد في آخر ساعة أو آخر يوم.".into(),
                "Nothing beyond the usual in the last hour or the last day.".into()
            )
        );
    }
    for t in &digest.trends {
        let (window_ar, window_en) = match t.granularity {
            rasd_detect::Granularity::Hour => ("آخر ساعة", "last hour"),
            rasd_detect::Granularity::Day => ("آخر 24 ساعة", "last 24 hours"),
        };
        let first = t
            .first_item
            .as_ref()
            .map(|i| format!(" — {} ({})", clean(&i.title), clean(&i.source)))
            .unwrap_or_default();
        let _ = writeln!(
            m,
            "- **{}**: {}{first}",
            clean(&t.label),
            say(
                format!(
                    "{window_ar}: {} قصص ({} مواد) مقابل {:.1} في المعتاد على {} يوماً؛ احتمال {:.1e}؛ {} وسائل لـ{} جهات مالكة",
                    t.count, t.items, t.baseline, t.baseline_days, t.p_value, t.outlets, t.owners
                ),
                format!(
                    "{window_en}: {} stories ({} items) against {:.1} usually over {} days; p = {:.1e}; {} outlets of {} owners",
                    t.count, t.items, t.baseline, t.baseline_days, t.p_value, t.outlets, t.owners
                )
            )
        );
    }
    if !digest.trends.is_empty() {
        m.push('\n');
    }

    let _ = writeln!(
        m,
        "## {}\n",
        name(
            "القصة نفسها في أكثر من وسيلة",
            "The same story across outlets"
        )
    );
    if digest.stories.is_empty() {
        let _ = writeln!(
            m,
            "{}\n",
            say(
                "لا قصة تناقلتها أكثر من وسيلة في هذا اليوم.".into(),
                "No story was carried by more than one outlet this day.".into()
            )
        );
    }
    for (n, s) in digest.stories.iter().enumerate() {
        let sources: Vec<String> = s.sources.iter().map(|x| clean(x)).collect();
        let owners = s.owners < s.outlets;
        let _ = writeln!(
            m,
            "{}. **{}**{}{} — {}: {}",
            n + 1,
            clean(&s.title),
            if s.breaking_at.is_some() {
                " (عاجل / breaking)"
            } else {
                ""
            },
            if s.about_police {
                " (الأمن العام / police)"
            } else {
                ""
            },
            say(
                if owners {
                    format!(
                        "{} وسائل لـ{} جهات مالكة، {} مواد",
                        s.outlets, s.owners, s.count
                    )
                } else {
                    format!("{} وسائل، {} مواد", s.outlets, s.count)
                },
                if owners {
                    format!(
                        "{} outlets of {} owners, {} items",
                        s.outlets, s.owners, s.count
                    )
                } else {
                    format!("{} outlets, {} items", s.outlets, s.count)
                }
            ),
            sources.join(", ")
        );
        for i in &s.items {
            let _ = writeln!(m, "   - {} — {}", link(i), clean(&i.source_name));
        }
    }
    if !digest.stories.is_empty() {
        if digest.stories_total > digest.stories.len() {
            let _ = writeln!(
                m,
                "\n{}",
                say(
                    format!(
                        "أول {} من {} قصة.",
                        digest.stories.len(),
                        digest.stories_total
                    ),
                    format!(
                        "The first {} of {} stories.",
                        digest.stories.len(),
                        digest.stories_total
                    )
                )
            );
        }
        m.push('\n');
    }
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
            "### {} — {} [{}]\n",
            name(&t.name_ar, &t.name_en),
            say(
                format!("{}، {} مصادر", comparison(t, true), t.sources),
                format!("{}, {} sources", comparison(t, false), t.sources)
            ),
            if rtl { ar } else { en }
        );
        for i in &t.items {
            let _ = writeln!(m, "- {} — {}", link(i), clean(&i.source_name));
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
            .find("**السرقة (Theft)** [في ارتفاع]: 12 مقابل 1.0 يومياً، أغلبها في الزرقاء / 12 vs 1.0/day, mostly in Zarqa")
            .unwrap();
        assert!(theft > stands_out, "{md}");
        // Arabic sentences first, English beside them.
        assert!(
            md.contains("20 مادة (ar: 15، en: 5)، 2 من الجمهور، 3 بلا موضوع."),
            "{md}"
        );
        assert!(
            md.contains(" / 20 items (ar: 15, en: 5), 2 from the public"),
            "{md}"
        );
        assert!(md.contains("- [سرقة محل في الرصيفة](https://example.jo/1) — صوت الشمال"));
    }

    #[test]
    fn titles_cannot_break_the_list() {
        let mut d = sample_digest(false);
        d.topics[0].items[0].title = "line one\n# heading [x]".into();
        let md = digest_markdown(&d);
        assert!(md.contains("- [line one # heading (x)]("), "{md}");
    }

    #[test]
    fn markdown_reports_the_police_and_the_stories() {
        let md = digest_markdown(&sample_digest(true));
        let police = md.find("## الأمن العام في التغطية وآراء الجمهور").unwrap();
        let stories = md.find("## القصة نفسها في أكثر من وسيلة").unwrap();
        let topics = md.find("## المواضيع").unwrap();
        assert!(police < stories && stories < topics, "{md}");
        assert!(
            md.contains(
                "- **التغطية الإعلامية (Media coverage)**: 7 مادة — مؤيدة 1، ناقدة 4، محايدة 1، \
                 غير مصنفة 1؛ نسبة الناقد 67% (الأيام السبعة السابقة: 1.1 مادة يومياً، 0.1 ناقدة \
                 يومياً، النسبة 12%)؛ سلبية النبرة 5 **التغطية الناقدة في ارتفاع** / 7 items — \
                 approving 1, critical 4, neutral 1, unrated 1; critical share 67% (previous 7 \
                 days: 1.1 items/day, 0.1 critical/day, share 12%); negative in tone 5 \
                 **critical coverage rising**"
            ),
            "{md}"
        );
        assert!(md.contains("- **تعليقات الجمهور (Public comments)**: 2 مادة"));
        assert!(
            md.contains(
                "- [اتهامات للشرطة بالتقصير](https://example.jo/neg) — الغد, سلبي (negative) -0.95"
            ),
            "{md}"
        );
        // A comment's form: reference is not made a link.
        assert!(
            md.contains(
                "- الدورية لم تحضر — نموذج الجمهور, سلبي (negative) -0.70، تعليق من الجمهور / public comment"
            ),
            "{md}"
        );
        assert!(md.contains(
            "1. **حريق في مستودع بالزرقاء** (الأمن العام / police) — 3 وسائل لـ2 جهات مالكة، 4 مواد / 3 outlets of 2 owners, 4 items: صوت الشمال, الرأي, الغد"
        ), "{md}");
        assert!(md.contains("   - [إخماد حريق مستودع](https://alrai.example/f2) — الرأي"));
        // The police rise is among what stands out.
        let stands_out = &md[..police];
        assert!(
            stands_out.contains("الأمن العام — التغطية الإعلامية"),
            "{stands_out}"
        );
    }

    #[test]
    fn bidi_overrides_in_titles_and_names_are_removed() {
        let mut d = sample_digest(false);
        d.topics[0].items[0].title = "Invoice\u{202E}gpj.exe".into();
        d.topics[0].items[0].source_name = "\u{2067}Outlet\u{2069}".into();
        d.stories[0].title = "Fire\u{202D}!".into();
        d.stories[0].sources[0] = "\u{202B}Voice".into();
        let md = digest_markdown(&d);
        for c in ['\u{202E}', '\u{2067}', '\u{2069}', '\u{202D}', '\u{202B}'] {
            assert!(!md.contains(c), "{c:?} in\n{md}");
        }
        assert!(
            md.contains("- [Invoicegpj.exe](https://example.jo/1) — Outlet"),
            "{md}"
        );
        assert!(md.contains("**Fire!**") && md.contains(": Voice, "), "{md}");
    }

    #[test]
    fn story_titles_cannot_break_the_list() {
        let mut d = sample_digest(false);
        d.stories[0].title = "حريق\n## [عاجل]".into();
        let md = digest_markdown(&d);
        assert!(md.contains("1. **حريق ## (عاجل)**"), "{md}");
    }
}
