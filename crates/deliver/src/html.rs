//! The digest as a standalone HTML page.

use std::fmt::Write;

use rasd_core::text::neutralize_bidi;
use rasd_core::{ItemKind, Polarity, PoliceStance};
use rasd_detect::{
    Digest, DigestItem, Granularity, PoliceSummary, PoliceVoice, Story, TopicSummary, Trend,
    TrendFlag,
};

use crate::{comparison, critical_rise, percent, polarity_label, stance_label, trend_label};

/// Escapes text for HTML element content and attribute values.
pub use rasd_core::text::escape_html as escape;

/// Escapes text shown to people (titles, names, snippets) for HTML, with its bidi controls
/// neutralised ([`neutralize_bidi`]) so that a title cannot display as something else.
/// URLs and ids keep [`escape`].
pub fn escape_text(s: &str) -> String {
    escape(&neutralize_bidi(s))
}

/// A name from a feed or the config inside a line of other text: escaped, neutralised and
/// isolated (`<bdi>`), so an Arabic name cannot pull the Latin text beside it out of order.
fn bdi(s: &str) -> String {
    format!("<bdi>{}</bdi>", escape_text(s))
}

/// Only http(s) links are made clickable; anything else (a `form:` reference, a
/// `javascript:` URL from a hostile feed) is shown as text.
fn safe_href(url: &str) -> Option<&str> {
    (url.starts_with("https://") || url.starts_with("http://")).then_some(url)
}

/// The stylesheet [`digest_html`] puts in its `<style>` element (inline, so the page also
/// survives mail clients). A server that sends the page with a Content-Security-Policy can
/// allow exactly this text by its hash.
pub const DIGEST_STYLE: &str = "body{font-family:'Noto Naskh Arabic','Segoe UI',Tahoma,Arial,sans-serif;\
max-width:56rem;margin:1.5rem auto;padding:0 1rem;color:#1d232a;line-height:1.6}\
h1{font-size:1.6rem;margin:0}h2{font-size:1.2rem;margin:1.6rem 0 .3rem}\
.meta{color:#5b6570;font-size:.9rem}.topic{border-top:1px solid #d8dde2;padding-top:.4rem}\
.badge{display:inline-block;padding:0 .5rem;border-radius:.7rem;font-size:.8rem;margin-inline-start:.4rem}\
.new,.rising{background:#fde2e1;color:#9b1c1c}.steady{background:#e8eef3;color:#34495e}\
.falling{background:#e3f4e8;color:#1e6b3a}ul{padding-inline-start:1.2rem}li{margin:.2rem 0}\
a{color:#0b5cad;text-decoration:none}table{border-collapse:collapse}\
td,th{padding:.15rem .6rem;border-bottom:1px solid #eef1f4;text-align:start}\
.ltr{direction:ltr;unicode-bidi:isolate}\
.positive{background:#e3f4e8;color:#1e6b3a}.negative{background:#fde2e1;color:#9b1c1c}\
.neutral,.unrated{background:#e8eef3;color:#34495e}";

fn trend_class(t: Trend) -> &'static str {
    match t {
        Trend::New => "new",
        Trend::Rising => "rising",
        Trend::Steady => "steady",
        Trend::Falling => "falling",
    }
}

fn topic_name(t: &TopicSummary, rtl: bool) -> String {
    if rtl {
        format!(
            "{} <span class=\"meta\">({})</span>",
            escape_text(&t.name_ar),
            escape_text(&t.name_en)
        )
    } else {
        format!(
            "{} <span class=\"meta\" dir=\"rtl\">({})</span>",
            escape_text(&t.name_en),
            escape_text(&t.name_ar)
        )
    }
}

/// Renders `digest` as a complete HTML page: `<html lang="ar" dir="rtl">` when most items
/// are Arabic, English and left-to-right otherwise. Item titles carry `dir="auto"` so mixed
/// languages display the right way round.
pub fn digest_html(digest: &Digest) -> String {
    let rtl = digest.rtl;
    let (lang, dir) = if rtl { ("ar", "rtl") } else { ("en", "ltr") };
    let date = digest.date.format("%Y-%m-%d").to_string();
    let mut h = String::with_capacity(16 * 1024);
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"{lang}\" dir=\"{dir}\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{}</title>\n<style>{DIGEST_STYLE}</style>\n</head>\n<body>\n",
        if rtl {
            format!("ملخص رصد اليومي {date}")
        } else {
            format!("Rasd daily digest {date}")
        }
    );
    let _ = writeln!(
        h,
        "<header><h1>{}</h1><p class=\"meta\">{} <span class=\"ltr\">{date}</span> · {} · {}</p></header>",
        if rtl {
            "ملخص رصد اليومي"
        } else {
            "Rasd daily digest"
        },
        if rtl { "اليوم" } else { "Day" },
        escape(&digest.timezone),
        if rtl {
            format!("{} مادة، منها {} من الجمهور", digest.total, digest.comments)
        } else {
            format!(
                "{} items, {} from the public",
                digest.total, digest.comments
            )
        }
    );

    // What stands out.
    let notable: Vec<&TopicSummary> = digest.notable().collect();
    let _ = write!(
        h,
        "<section><h2>{}</h2>",
        if rtl {
            "أبرز ما يلفت الانتباه"
        } else {
            "What stands out"
        }
    );
    if notable.is_empty() {
        let _ = write!(
            h,
            "<p>{}</p>",
            if rtl {
                "لا ارتفاع لافت في أي موضوع مقارنة بالأيام السبعة السابقة."
            } else {
                "No topic rose notably against the previous seven days."
            }
        );
    }
    if !notable.is_empty() || digest.police.is_notable() {
        h.push_str("<ul>");
        police_alerts(&mut h, &digest.police, rtl);
        for t in &notable {
            let (ar, en) = trend_label(t.trend);
            let place = t.places.first().map(|p| {
                if rtl {
                    format!("، أغلبها في {}", escape_text(&p.name_ar))
                } else {
                    format!(", mostly in {}", escape_text(&p.name_en))
                }
            });
            let _ = write!(
                h,
                "<li><strong>{}</strong> <span class=\"badge {}\">{}</span> {}{}</li>",
                topic_name(t, rtl),
                trend_class(t.trend),
                if rtl { ar } else { en },
                escape(&comparison(t, rtl)),
                place.unwrap_or_default()
            );
        }
        h.push_str("</ul>");
    }
    h.push_str("</section>\n");

    trends_section(&mut h, &digest.trends, rtl);
    let base = digest.base_url.as_str();
    police_section(&mut h, &digest.police, rtl, base);
    police_days(&mut h, digest, rtl);
    own_coverage_section(&mut h, digest, rtl, base);
    saved_sections(&mut h, digest, rtl, base);
    submissions_section(&mut h, digest, rtl, base);
    stories_section(&mut h, &digest.stories, digest.stories_total, rtl, base);

    // Overview tables.
    let _ = write!(
        h,
        "<section><h2>{}</h2><table>",
        if rtl {
            "حسب اللغة"
        } else {
            "By language"
        }
    );
    for (code, n) in &digest.by_lang {
        let name = match (code.as_str(), rtl) {
            ("ar", true) => "العربية",
            ("en", true) => "الإنجليزية",
            (_, true) => "أخرى",
            ("ar", false) => "Arabic",
            ("en", false) => "English",
            _ => "Other",
        };
        let _ = write!(h, "<tr><td>{name}</td><td>{n}</td></tr>");
    }
    h.push_str("</table></section>\n");
    if !digest.places.is_empty() {
        let _ = write!(
            h,
            "<section><h2>{}</h2><table>",
            if rtl {
                "حسب المحافظة"
            } else {
                "By governorate"
            }
        );
        let most = digest.places.iter().map(|p| p.count).max().unwrap_or(1);
        for p in &digest.places {
            let name = if rtl { &p.name_ar } else { &p.name_en };
            let _ = write!(
                h,
                "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
                escape_text(name),
                p.count,
                bar_svg(p.count, most, rtl)
            );
        }
        h.push_str("</table></section>\n");
    }

    // Each topic.
    let _ = write!(
        h,
        "<section id=\"topics\"><h2>{}</h2>",
        if rtl { "المواضيع" } else { "Topics" }
    );
    if digest.topics.is_empty() {
        let _ = write!(
            h,
            "<p>{}</p>",
            if rtl {
                "لا مواد مصنفة في هذا اليوم."
            } else {
                "No tagged items this day."
            }
        );
    }
    for t in &digest.topics {
        let (ar, en) = trend_label(t.trend);
        let _ = write!(
            h,
            "<div class=\"topic\" id=\"topic-{}\"><h3>{} <span class=\"badge {}\">{}</span></h3>\
             <p class=\"meta\">{}</p><ul>",
            escape(&t.id),
            topic_name(t, rtl),
            trend_class(t.trend),
            if rtl { ar } else { en },
            topic_meta(t, rtl)
        );
        item_entries(&mut h, &t.items, base);
        if t.item_count > t.items.len() {
            let more = t.item_count - t.items.len();
            let _ = write!(
                h,
                "<li class=\"more\"><a href=\"{}/?topic={}\">{}</a></li>",
                escape(base),
                escape(&t.id),
                if rtl {
                    format!("و{more} غيرها: ابحث في الموضوع")
                } else {
                    format!("{more} more: search the topic")
                }
            );
        }
        h.push_str("</ul></div>\n");
    }
    h.push_str("</section>\n");
    let _ = write!(
        h,
        "<footer class=\"meta\"><p>{} {} · {}</p></footer>\n</body>\n</html>\n",
        if rtl {
            "مواد بلا موضوع:"
        } else {
            "Items with no topic:"
        },
        digest.untagged,
        if rtl {
            "كل موضوع مقارن بمتوسطه اليومي في الأيام السبعة السابقة"
        } else {
            "each topic compared with its daily average over the previous seven days"
        }
    );
    h
}

/// A linked (http/https only) and escaped title.
/// List entries for items: the title linked to Rasd's page (and the original), the outlet.
fn item_entries(h: &mut String, items: &[DigestItem], base: &str) {
    for i in items {
        let _ = write!(
            h,
            "<li>{} <span class=\"meta\">— {}</span></li>",
            item_link(i, base),
            bdi(&i.source_name)
        );
    }
}

/// A topic's eight days, its count against the days before, and its sources.
fn topic_meta(t: &TopicSummary, rtl: bool) -> String {
    format!(
        "{} {} · {}",
        line_svg(&t.daily, rtl),
        escape(&comparison(t, rtl)),
        if rtl {
            format!("المصادر: {}", t.sources)
        } else {
            format!("{} sources", t.sources)
        }
    )
}

/// An item's title linked to its page in Rasd (tags, why, the stored text), with a small
/// link to the original when it is on the web.
fn item_link(i: &DigestItem, base: &str) -> String {
    let title = escape_text(&i.title);
    let own = format!(
        "<a href=\"{}/item/{}\" dir=\"auto\">{title}</a>",
        escape(base),
        escape(&i.id)
    );
    match safe_href(&i.url) {
        Some(url) => format!(
            "{own} <a class=\"meta\" href=\"{}\" title=\"{}\">↗</a>",
            escape(url),
            escape(url)
        ),
        None => own,
    }
}

/// A sentiment badge: the class in words (and the score), so colour is never the only cue.
fn sentiment_badge(label: Option<Polarity>, score: Option<f32>, rtl: bool) -> String {
    let (ar, en) = polarity_label(label);
    let class = label.map_or("unrated", Polarity::as_str);
    let score = score
        .filter(|s| s.is_finite())
        .map(|s| format!(" <span class=\"ltr\">{s:+.2}</span>"))
        .unwrap_or_default();
    format!(
        "<span class=\"badge {class}\">{}{score}</span>",
        if rtl { ar } else { en }
    )
}

/// The two voices about the police with their names, Arabic then English.
fn voices(p: &PoliceSummary) -> [(&PoliceVoice, &'static str, &'static str); 2] {
    [
        (&p.articles, "التغطية الإعلامية", "Media coverage"),
        (&p.comments, "تعليقات الجمهور", "Public comments"),
    ]
}

/// List entries for "what stands out" when critical coverage of the police rose.
fn police_alerts(h: &mut String, p: &PoliceSummary, rtl: bool) {
    for (v, ar, en) in voices(p) {
        if v.is_notable() {
            let _ = write!(
                h,
                "<li><strong>{}</strong> <span class=\"badge negative\">{}</span> {}</li>",
                if rtl {
                    format!("الأمن العام — {ar}")
                } else {
                    format!("Police — {en}")
                },
                if rtl {
                    "ارتفاع في التغطية الناقدة"
                } else {
                    "critical coverage rising"
                },
                escape(&critical_rise(v, rtl))
            );
        }
    }
}

/// The police section: counts by stance toward the police against the week (with the
/// day's negative tone beside them), then the critical and approving items.
fn police_section(h: &mut String, p: &PoliceSummary, rtl: bool, base: &str) {
    let _ = write!(
        h,
        "<section id=\"police\"><h2>{}</h2>",
        if rtl {
            "الأمن العام في التغطية وآراء الجمهور"
        } else {
            "The police in coverage and public comments"
        }
    );
    let week_total = p.articles.baseline.total() + p.comments.baseline.total();
    if p.total() == 0 && week_total == 0.0 {
        let _ = writeln!(
            h,
            "<p>{}</p></section>",
            if rtl {
                "لا مواد عن الأمن العام في هذا اليوم ولا في الأيام السبعة السابقة."
            } else {
                "No items about the police this day or in the previous seven days."
            }
        );
        return;
    }
    let label = |s: Option<PoliceStance>| {
        let (ar, en) = stance_label(s);
        if rtl { ar } else { en }
    };
    let _ = write!(
        h,
        "<table><tr><th></th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>",
        if rtl { "المجموع" } else { "Total" },
        label(Some(PoliceStance::Approving)),
        label(Some(PoliceStance::Critical)),
        label(Some(PoliceStance::Neutral)),
        label(None),
        if rtl {
            "نسبة الناقد"
        } else {
            "Critical share"
        },
        if rtl {
            "نبرة سلبية"
        } else {
            "Negative tone"
        },
    );
    for (v, ar, en) in voices(p) {
        let cell = |today: usize, avg: f64| {
            format!("<td>{today} <span class=\"meta ltr\">({avg:.1})</span></td>")
        };
        let flag = if v.is_notable() {
            format!(
                " <span class=\"badge negative\">{}</span>",
                if rtl { "ارتفاع" } else { "rising" }
            )
        } else {
            String::new()
        };
        let _ = write!(
            h,
            "<tr><th>{}</th>{}{}{}{}{}<td>{} <span class=\"meta ltr\">({})</span>{flag}</td><td>{}</td></tr>",
            if rtl { ar } else { en },
            cell(v.today.total(), v.baseline.total()),
            cell(v.today.approving, v.baseline.approving),
            cell(v.today.critical, v.baseline.critical),
            cell(v.today.neutral, v.baseline.neutral),
            cell(v.today.unknown, v.baseline.unknown),
            percent(v.critical_share),
            percent(v.baseline_critical_share),
            v.tone.negative,
        );
    }
    let _ = write!(
        h,
        "</table><p class=\"meta\">{}</p>",
        if rtl {
            "الموقف من الأمن العام لا نبرة المادة: خبر القبض على لص محايد وإن كانت نبرته \
             سلبية. بين القوسين: المتوسط اليومي في الأيام السبعة السابقة (وللنسبة: نسبة \
             الأسبوع كله). النسبة من المواد المصنفة فقط."
        } else {
            "The stance toward the police, not the item's tone: an arrest report is neutral \
             even when its tone is negative. In brackets: the daily average over the previous \
             seven days (for the share, the week's share). The share counts rated items only."
        }
    );
    let list = |h: &mut String, items: &[DigestItem], ar: &str, en: &str| {
        if items.is_empty() {
            return;
        }
        let _ = write!(h, "<h3>{}</h3><ul>", if rtl { ar } else { en });
        for i in items {
            let comment = if i.kind == ItemKind::Comment {
                if rtl {
                    " · تعليق من الجمهور"
                } else {
                    " · public comment"
                }
            } else {
                ""
            };
            let _ = write!(
                h,
                "<li>{} {} <span class=\"meta\">— {}{comment}</span></li>",
                item_link(i, base),
                sentiment_badge(
                    i.sentiment.map(|s| s.label),
                    i.sentiment.map(|s| s.score),
                    rtl
                ),
                bdi(&i.source_name)
            );
        }
        h.push_str("</ul>");
    };
    list(h, &p.critical, "مواد ناقدة", "Critical items");
    list(h, &p.approving, "مواد مؤيدة", "Approving items");
    h.push_str("</section>\n");
}

/// A topic's events per day as a small line (oldest to newest in reading order: right to left
/// on an Arabic page), the day itself marked; the numbers are its accessible name, so a
/// reader without the picture (a mail client that drops SVG, a screen reader) keeps them.
pub fn line_svg(daily: &[usize], rtl: bool) -> String {
    const W: f64 = 120.0;
    const H: f64 = 28.0;
    if daily.is_empty() {
        return String::new();
    }
    let most = daily.iter().copied().max().unwrap_or(0).max(1) as f64;
    let step = if daily.len() > 1 {
        (W - 8.0) / (daily.len() - 1) as f64
    } else {
        0.0
    };
    let point = |k: usize, n: usize| {
        let x = 4.0 + step * k as f64;
        let x = if rtl { W - x } else { x };
        let y = H - 4.0 - (H - 8.0) * n as f64 / most;
        (x, y)
    };
    let points: Vec<String> = daily
        .iter()
        .enumerate()
        .map(|(k, &n)| {
            let (x, y) = point(k, n);
            format!("{x:.1},{y:.1}")
        })
        .collect();
    let (lx, ly) = point(daily.len() - 1, daily[daily.len() - 1]);
    let numbers: Vec<String> = daily.iter().map(usize::to_string).collect();
    let label = if rtl {
        format!("الأيام الثمانية الأخيرة، الأقدم أولاً: {}", numbers.join("، "))
    } else {
        format!("The last eight days, oldest first: {}", numbers.join(", "))
    };
    format!(
        "<svg class=\"spark\" width=\"{W}\" height=\"{H}\" viewBox=\"0 0 {W} {H}\" role=\"img\" \
         aria-label=\"{label}\"><title>{label}</title>\
         <polyline fill=\"none\" stroke=\"#1f5f8b\" stroke-width=\"2\" points=\"{}\"/>\
         <circle cx=\"{lx:.1}\" cy=\"{ly:.1}\" r=\"3\" fill=\"#b3261e\"/></svg>",
        points.join(" ")
    )
}

/// A count as a horizontal bar, as long against `most` as the count is (growing from the
/// right on an Arabic page); the count is its accessible name.
pub fn bar_svg(count: usize, most: usize, rtl: bool) -> String {
    const W: f64 = 160.0;
    const H: f64 = 12.0;
    let len = (W * count as f64 / most.max(1) as f64).max(1.0);
    let x = if rtl { W - len } else { 0.0 };
    format!(
        "<svg class=\"bar\" width=\"{W}\" height=\"{H}\" viewBox=\"0 0 {W} {H}\" role=\"img\" \
         aria-label=\"{count}\"><rect x=\"{x:.1}\" y=\"0\" width=\"{len:.1}\" height=\"{H}\" fill=\"#1f5f8b\"/></svg>"
    )
}

/// The police over the eight days: items about the police, and the critical ones, per day.
fn police_days(h: &mut String, d: &Digest, rtl: bool) {
    if d.police_daily.iter().all(|&n| n == 0) {
        return;
    }
    let _ = writeln!(
        h,
        "<section id=\"police-days\"><p class=\"meta\">{} {} · {} {}</p></section>",
        if rtl {
            "مواد عن الأمن العام يومياً:"
        } else {
            "Items about the police per day:"
        },
        line_svg(&d.police_daily, rtl),
        if rtl {
            "الناقدة منها:"
        } else {
            "critical among them:"
        },
        line_svg(&d.police_critical_daily, rtl)
    );
}

/// The directorate's own activities in the media ([`rasd_detect::OWN_COVERAGE_TOPIC`]).
fn own_coverage_section(h: &mut String, d: &Digest, rtl: bool, base: &str) {
    let Some(t) = d
        .topics
        .iter()
        .find(|t| t.id == rasd_detect::OWN_COVERAGE_TOPIC)
    else {
        return;
    };
    let _ = write!(
        h,
        "<section id=\"own-coverage\"><h2>{}</h2><p class=\"meta\">{}</p><ul>",
        if rtl {
            "نشاطات المديرية في الإعلام"
        } else {
            "The directorate's activities in the media"
        },
        topic_meta(t, rtl)
    );
    item_entries(h, &t.items, base);
    h.push_str("</ul></section>\n");
}

/// One section per saved search of `[digest] saved_searches`: the day's matches.
fn saved_sections(h: &mut String, d: &Digest, rtl: bool, base: &str) {
    for s in &d.saved {
        let _ = write!(
            h,
            "<section class=\"saved\"><h2>{}: {}</h2><p class=\"meta\"><bdi>{}</bdi> · {}</p>",
            if rtl {
                "بحث محفوظ"
            } else {
                "Saved search"
            },
            bdi(&s.name),
            escape(&s.query),
            if rtl {
                format!("{} مادة في هذا اليوم", s.total)
            } else {
                format!("{} items this day", s.total)
            }
        );
        if let Some(problem) = &s.problem {
            let _ = write!(h, "<p class=\"error\">{}</p>", escape(problem));
        }
        if !s.items.is_empty() {
            h.push_str("<ul>");
            item_entries(h, &s.items, base);
            h.push_str("</ul>");
        }
        h.push_str("</section>\n");
    }
}

/// The day's public submissions: by governorate, then the newest.
fn submissions_section(h: &mut String, d: &Digest, rtl: bool, base: &str) {
    let _ = write!(
        h,
        "<section id=\"submissions\"><h2>{}</h2>",
        if rtl {
            "ملاحظات الجمهور"
        } else {
            "Public submissions"
        }
    );
    if d.comments == 0 {
        let _ = writeln!(
            h,
            "<p>{}</p></section>",
            if rtl {
                "لم تصل ملاحظات من الجمهور في هذا اليوم."
            } else {
                "No public submissions this day."
            }
        );
        return;
    }
    let places: Vec<String> = d
        .submissions_by_place
        .iter()
        .map(|p| {
            format!(
                "{} {}",
                escape_text(if rtl { &p.name_ar } else { &p.name_en }),
                p.count
            )
        })
        .collect();
    let _ = write!(
        h,
        "<p class=\"meta\">{}{}</p><ul>",
        if rtl {
            format!("{} ملاحظة", d.comments)
        } else {
            format!("{} submissions", d.comments)
        },
        if places.is_empty() {
            String::new()
        } else {
            format!(" · {}", places.join(if rtl { "، " } else { ", " }))
        }
    );
    item_entries(h, &d.submissions, base);
    h.push_str("</ul></section>\n");
}

/// An image a mail shows inline: its `Content-ID` and the PNG.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InlineImage {
    pub cid: String,
    pub png: Vec<u8>,
}

/// The page made fit for mail clients, which drop SVG: each `<svg>…</svg>` becomes an
/// `<img src="cid:…">` of the same size (its accessible name as `alt`), and the PNG drawn
/// from the same SVG at twice the size (for sharp screens) is returned to attach inline. An
/// SVG that cannot be drawn is left as it was.
pub fn for_mail(html: &str) -> (String, Vec<InlineImage>) {
    let mut out = String::with_capacity(html.len());
    let mut images = Vec::new();
    let mut rest = html;
    while let Some(start) = rest.find("<svg") {
        let Some(len) = rest[start..].find("</svg>") else {
            break;
        };
        let svg = &rest[start..start + len + "</svg>".len()];
        out.push_str(&rest[..start]);
        let attr = |name: &str| {
            svg.split(&format!(" {name}=\"")[..])
                .nth(1)
                .and_then(|v| v.split('"').next())
                .unwrap_or("")
                .to_string()
        };
        match svg_png(svg, 2.0) {
            Some(png) => {
                let cid = format!("chart-{}@rasd", images.len());
                let _ = write!(
                    out,
                    "<img src=\"cid:{cid}\" alt=\"{}\" width=\"{}\" height=\"{}\">",
                    attr("aria-label"),
                    attr("width"),
                    attr("height")
                );
                images.push(InlineImage { cid, png });
            }
            None => out.push_str(svg),
        }
        rest = &rest[start + svg.len()..];
    }
    out.push_str(rest);
    (out, images)
}

/// Draws an SVG as a PNG, `scale` times its size (`None` when it cannot be read).
pub fn svg_png(svg: &str, scale: f32) -> Option<Vec<u8>> {
    use resvg::{tiny_skia, usvg};
    let tree = usvg::Tree::from_str(svg, &usvg::Options::default()).ok()?;
    let size = tree.size();
    let (w, h) = (
        (size.width() * scale).ceil() as u32,
        (size.height() * scale).ceil() as u32,
    );
    let mut pixmap = tiny_skia::Pixmap::new(w.max(1), h.max(1))?;
    pixmap.fill(tiny_skia::Color::WHITE);
    resvg::render(
        &tree,
        tiny_skia::Transform::from_scale(scale, scale),
        &mut pixmap.as_mut(),
    );
    pixmap.encode_png().ok()
}

/// What was trending, with its evidence, most surprising first.
fn trends_section(h: &mut String, trends: &[TrendFlag], rtl: bool) {
    let _ = write!(
        h,
        "<section id=\"trends\"><h2>{}</h2>",
        if rtl {
            "ما يتصاعد الآن"
        } else {
            "Trending"
        }
    );
    if trends.is_empty() {
        let _ = writeln!(
            h,
            "<p>{}</p></section>",
            if rtl {
                "لا شيء يتجاوز المعتاد في آخر ساعة أو آخر يوم."
            } else {
                "Nothing beyond the usual in the last hour or the last day."
            }
        );
        return;
    }
    h.push_str("<ul>");
    for t in trends {
        let window = match (t.granularity, rtl) {
            (Granularity::Hour, true) => "آخر ساعة",
            (Granularity::Hour, false) => "last hour",
            (Granularity::Day, true) => "آخر 24 ساعة",
            (Granularity::Day, false) => "last 24 hours",
        };
        let evidence = if rtl {
            format!(
                "{window}: {} قصص ({} مواد) مقابل {:.1} في المعتاد على {} يوما؛ احتمال {:.1e}؛ {} وسائل لـ{} جهات مالكة",
                t.count, t.items, t.baseline, t.baseline_days, t.p_value, t.outlets, t.owners
            )
        } else {
            format!(
                "{window}: {} stories ({} items) against {:.1} usually over {} days; p = {:.1e}; {} outlets of {} owners",
                t.count, t.items, t.baseline, t.baseline_days, t.p_value, t.outlets, t.owners
            )
        };
        let first = t
            .first_item
            .as_ref()
            .map(|i| {
                let title = match safe_href(&i.url) {
                    Some(href) => format!(
                        "<a href=\"{}\" dir=\"auto\">{}</a>",
                        escape(href),
                        escape_text(&i.title)
                    ),
                    None => format!("<span dir=\"auto\">{}</span>", escape_text(&i.title)),
                };
                format!(
                    "<br><span class=\"meta\">{} {title} — {}</span>",
                    if rtl {
                        "أول مادة:"
                    } else {
                        "first item:"
                    },
                    bdi(&i.source)
                )
            })
            .unwrap_or_default();
        let note = t
            .note
            .as_deref()
            .map(|n| format!(" <span class=\"meta\">({})</span>", escape_text(n)))
            .unwrap_or_default();
        let _ = write!(
            h,
            "<li><strong dir=\"auto\">{}</strong> <span class=\"meta\">— {}</span>{note} <a href=\"{}\">{}</a>{first}</li>",
            escape_text(&t.label),
            escape(&evidence),
            escape(&t.link),
            if rtl { "ابحث" } else { "search" }
        );
    }
    h.push_str("</ul></section>\n");
}

/// The stories carried by several outlets, most outlets first.
fn stories_section(h: &mut String, stories: &[Story], total: usize, rtl: bool, base: &str) {
    let _ = write!(
        h,
        "<section id=\"stories\"><h2>{}</h2>",
        if rtl {
            "القصة نفسها في أكثر من وسيلة"
        } else {
            "The same story across outlets"
        }
    );
    if stories.is_empty() {
        let _ = writeln!(
            h,
            "<p>{}</p></section>",
            if rtl {
                "لا قصة تناقلتها أكثر من وسيلة في هذا اليوم."
            } else {
                "No story was carried by more than one outlet this day."
            }
        );
        return;
    }
    h.push_str("<ol>");
    for s in stories {
        let names: Vec<String> = s.sources.iter().map(|n| bdi(n)).collect();
        let breaking = if s.breaking_at.is_some() {
            format!(
                " <span class=\"badge new\">{}</span>",
                if rtl { "عاجل" } else { "breaking" }
            )
        } else {
            String::new()
        };
        let police = if s.about_police {
            format!(
                " <span class=\"badge steady\">{}</span>",
                if rtl {
                    "عن الأمن العام"
                } else {
                    "police"
                }
            )
        } else {
            String::new()
        };
        let _ = write!(
            h,
            "<li><strong dir=\"auto\">{}</strong>{breaking}{police} <span class=\"meta\">— {}: {}</span><ul>",
            escape_text(&s.title),
            match (rtl, s.owners < s.outlets) {
                (true, false) => format!("{} وسائل، {} مواد", s.outlets, s.count),
                (true, true) => format!(
                    "{} وسائل لـ{} جهات مالكة، {} مواد",
                    s.outlets, s.owners, s.count
                ),
                (false, false) => format!("{} outlets, {} items", s.outlets, s.count),
                (false, true) => format!(
                    "{} outlets of {} owners, {} items",
                    s.outlets, s.owners, s.count
                ),
            },
            names.join(if rtl { "، " } else { ", " })
        );
        item_entries(h, &s.items, base);
        h.push_str("</ul></li>");
    }
    h.push_str("</ol>");
    if total > stories.len() {
        let _ = write!(
            h,
            "<p class=\"meta\">{}</p>",
            if rtl {
                format!("أول {} من {} قصة.", stories.len(), total)
            } else {
                format!("The first {} of {total} stories.", stories.len())
            }
        );
    }
    h.push_str("</section>\n");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tests::sample_digest;

    #[test]
    fn arabic_digest_is_rtl_and_names_the_rising_topic() {
        let html = digest_html(&sample_digest(true));
        assert!(html.contains("<html lang=\"ar\" dir=\"rtl\">"));
        assert!(html.contains("السرقة"));
        assert!(html.contains("class=\"badge rising\""));
        assert!(html.contains("12 مقابل 1.0 يومياً"));
        assert!(html.contains("أغلبها في الزرقاء"));
    }

    #[test]
    fn english_digest_is_ltr() {
        let html = digest_html(&sample_digest(false));
        assert!(html.contains("<html lang=\"en\" dir=\"ltr\">"));
        assert!(html.contains("mostly in Zarqa"));
    }

    #[test]
    fn hostile_titles_and_links_are_neutralised() {
        let mut d = sample_digest(true);
        d.topics[0].items[0].title = "<script>alert(1)</script>".into();
        d.topics[0].items[0].url = "javascript:alert(1)".into();
        let html = digest_html(&d);
        assert!(!html.contains("<script>"));
        assert!(html.contains("&lt;script&gt;"));
        assert!(!html.contains("href=\"javascript:"));
    }

    /// The text of the section with `id`.
    fn section<'a>(html: &'a str, id: &str) -> &'a str {
        let start = html
            .find(&format!("<section id=\"{id}\">"))
            .unwrap_or_else(|| panic!("no section {id}:\n{html}"));
        let len = html[start..].find("</section>").unwrap();
        &html[start..start + len]
    }

    #[test]
    fn topics_draw_their_eight_days_and_governorates_their_bars() {
        let html = digest_html(&sample_digest(true));
        let topic = &html[html.find("id=\"topic-theft\"").unwrap()..];
        let svg = &topic[topic.find("<svg").unwrap()..topic.find("</svg>").unwrap()];
        assert!(svg.contains("الأقدم أولاً: 1، 0، 2، 1، 1، 0، 2، 12"), "{svg}");
        // Eight points; on an Arabic page the newest, marked, is on the left.
        let points = svg
            .split("points=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap();
        assert_eq!(points.split(' ').count(), 8, "{points}");
        assert!(svg.contains("<circle cx=\"4.0\" cy=\"4.0\""), "{svg}");
        let english = digest_html(&sample_digest(false));
        assert!(english.contains("oldest first: 1, 0, 2, 1, 1, 0, 2, 12"));
        assert!(
            english.contains("<circle cx=\"116.0\" cy=\"4.0\""),
            "{english}"
        );
        // The governorate with the most items has the full bar.
        assert!(
            html.contains("aria-label=\"12\"><rect x=\"0.0\" y=\"0\" width=\"160.0\""),
            "{html}"
        );
        assert!(bar_svg(3, 12, true).contains("x=\"120.0\" y=\"0\" width=\"40.0\""));
    }

    #[test]
    fn items_link_to_their_page_in_rasd_and_cut_lists_say_more() {
        let mut d = sample_digest(true);
        let html = digest_html(&d);
        let topic = section(&html, "topics");
        assert!(
            topic.contains("href=\"http://127.0.0.1:8080/item/"),
            "{topic}"
        );
        assert!(
            topic.contains("href=\"https://example.jo/1\" title="),
            "the original too"
        );
        assert!(topic.contains("و11 غيرها"), "12 items, 1 listed: {topic}");
        assert!(
            topic.contains("href=\"http://127.0.0.1:8080/?topic=theft\""),
            "{topic}"
        );
        d.topics[0].item_count = 1;
        assert!(!section(&digest_html(&d), "topics").contains("class=\"more\""));
    }

    #[test]
    fn submissions_own_coverage_and_police_days_have_their_sections() {
        let mut d = sample_digest(true);
        let html = digest_html(&d);
        let subs = section(&html, "submissions");
        assert!(
            subs.contains("ملاحظات الجمهور") && subs.contains("2 ملاحظة"),
            "{subs}"
        );
        assert!(subs.contains("الدورية لم تحضر"), "{subs}");
        assert!(subs.contains("الزرقاء 2"), "{subs}");
        // A saved search's section: its name, query, count and items.
        assert!(
            html.contains("<h2>بحث محفوظ: <bdi>سرقات الزرقاء</bdi></h2>"),
            "{html}"
        );
        assert!(html.contains("1 مادة في هذا اليوم") && html.contains("سرقة مركبة في الزرقاء"));
        assert!(crate::digest_markdown(&d).contains("## بحث محفوظ (Saved search): سرقات الزرقاء"));
        let days = section(&html, "police-days");
        assert!(days.matches("<svg").count() == 2, "{days}");
        // The directorate's own coverage appears when its topic has items.
        assert!(!html.contains("id=\"own-coverage\""));
        d.topics[0].id = rasd_detect::OWN_COVERAGE_TOPIC.into();
        let html = digest_html(&d);
        assert!(section(&html, "own-coverage").contains("نشاطات المديرية في الإعلام"));
        d.comments = 0;
        assert!(section(&digest_html(&d), "submissions").contains("لم تصل ملاحظات"));
    }

    #[test]
    fn charts_become_inline_png_images_for_mail() {
        let html = digest_html(&sample_digest(true));
        let svgs = html.matches("<svg").count();
        assert!(svgs >= 2, "a line and a bar");
        let (mail, images) = for_mail(&html);
        assert_eq!(images.len(), svgs);
        assert!(!mail.contains("<svg"), "{mail}");
        assert!(
            mail.contains("<img src=\"cid:chart-0@rasd\" alt=\""),
            "{mail}"
        );
        for img in &images {
            assert_eq!(&img.png[..8], b"\x89PNG\r\n\x1a\n");
        }
        // The line chart at twice its 120×28 size.
        let line = svg_png(&line_svg(&[1, 3, 2, 5], true), 2.0).unwrap();
        let (w, h) = (
            u32::from_be_bytes(line[16..20].try_into().unwrap()),
            u32::from_be_bytes(line[20..24].try_into().unwrap()),
        );
        assert_eq!((w, h), (240, 56));
        assert!(svg_png("<svg not really", 1.0).is_none());
    }

    #[test]
    fn trends_show_their_evidence_and_escape_feed_text() {
        let mut d = sample_digest(true);
        let html = digest_html(&d);
        let trends = section(&html, "trends");
        assert!(trends.contains("الكرك (Karak)"), "{trends}");
        assert!(trends.contains("5 قصص (7 مواد) مقابل 0.4"), "{trends}");
        assert!(trends.contains("href=\"https://example.jo/k\""), "{trends}");
        assert!(trends.contains("href=\"http://127.0.0.1:8080/?q=places%3Akarak\""));
        d.trends[0].label = "<script>x</script>".into();
        if let Some(f) = d.trends[0].first_item.as_mut() {
            f.title = "\u{202E}<b>".into();
        }
        let html = digest_html(&d);
        let trends = section(&html, "trends");
        assert!(
            !trends.contains("<script>") && !trends.contains("<b>"),
            "{trends}"
        );
        assert!(!trends.contains('\u{202E}'));
        d.trends.clear();
        let html = digest_html(&d);
        assert!(section(&html, "trends").contains("لا شيء يتجاوز المعتاد"));
    }

    #[test]
    fn police_section_counts_by_stance_in_words() {
        let html = digest_html(&sample_digest(true));
        let police = section(&html, "police");
        assert!(police.contains("الأمن العام في التغطية وآراء الجمهور"));
        assert!(police.contains("<th>التغطية الإعلامية</th>"));
        assert!(police.contains("<th>تعليقات الجمهور</th>"));
        // Coverage: 7 items, 4 critical (1 in the week: 0.1 a day), share 67% vs 12%.
        assert!(
            police.contains("<td>4 <span class=\"meta ltr\">(0.1)</span></td>"),
            "{police}"
        );
        assert!(police.contains("67% <span class=\"meta ltr\">(12%)</span>"));
        assert!(police.contains("<th>غير مصنّف</th>"));
        assert!(police.contains("<th>ناقد</th>") && police.contains("<th>نسبة الناقد</th>"));
        // The tone stays beside the stance: 5 negative in tone.
        assert!(police.contains("<th>نبرة سلبية</th>") && police.contains("<td>5</td>"));
        // Sentiment is written, not only coloured.
        assert!(police.contains("<h3>مواد ناقدة</h3>"));
        assert!(police.contains(
            "<span class=\"badge negative\">سلبي <span class=\"ltr\">-0.95</span></span>"
        ));
        assert!(police.contains(
            "<span class=\"badge positive\">إيجابي <span class=\"ltr\">+0.90</span></span>"
        ));
        // The public comment is marked, and its form: reference is not a link.
        assert!(police.contains("تعليق من الجمهور"));
        assert!(!police.contains("href=\"form:"));
        // The rise is also among what stands out.
        let stands_out =
            &html[html.find("أبرز ما يلفت الانتباه").unwrap()..html.find("id=\"police\"").unwrap()];
        assert!(
            stands_out.contains("الأمن العام — التغطية الإعلامية"),
            "{stands_out}"
        );
        assert!(stands_out.contains("ارتفاع في التغطية الناقدة"));
        assert!(!stands_out.contains("السلبية"));
        assert!(!stands_out.contains("تعليقات الجمهور"));
    }

    #[test]
    fn english_police_section() {
        let html = digest_html(&sample_digest(false));
        let police = section(&html, "police");
        assert!(police.contains("<th>Media coverage</th>"));
        assert!(police.contains("<h3>Approving items</h3>"));
        assert!(police.contains(">negative <span class=\"ltr\">-0.95</span>"));
        assert!(html.contains("critical coverage rising"));
        assert!(html.contains("4 critical vs 0.1/day; critical share 67% vs 12%"));
        assert!(!html.contains("negativity"));
    }

    #[test]
    fn stories_list_outlets() {
        let html = digest_html(&sample_digest(true));
        let stories = section(&html, "stories");
        assert!(stories.contains("القصة نفسها في أكثر من وسيلة"));
        assert!(
            stories.contains(
                "3 وسائل لـ2 جهات مالكة، 4 مواد: <bdi>صوت الشمال</bdi>، <bdi>الرأي</bdi>، <bdi>الغد</bdi>"
            ),
            "{stories}"
        );
        assert!(stories.contains("href=\"https://alghad.example/f3\""));
    }

    #[test]
    fn hostile_story_and_police_titles_are_escaped() {
        let mut d = sample_digest(true);
        d.stories[0].title = "<img src=x onerror=alert(1)>".into();
        d.stories[0].sources[0] = "<b>".into();
        d.police.critical[0].title = "\"><script>x</script>".into();
        d.police.critical[0].url = "javascript:alert(1)".into();
        let html = digest_html(&d);
        assert!(!html.contains("<img"));
        assert!(!html.contains("<script>"));
        assert!(!html.contains("<b>"));
        assert!(html.contains("&lt;img src=x onerror=alert(1)&gt;"));
        assert!(html.contains("&quot;&gt;&lt;script&gt;"));
        assert!(!html.contains("href=\"javascript:"));
    }

    #[test]
    fn bidi_overrides_in_titles_and_names_are_removed() {
        let mut d = sample_digest(false);
        d.topics[0].items[0].title = "Invoice\u{202E}gpj.exe".into();
        d.topics[0].items[0].source_name = "\u{2067}Outlet".into();
        d.stories[0].title = "Fire\u{202D}!".into();
        d.stories[0].sources[0] = "\u{202B}Voice".into();
        d.police.critical[0].title = "x\u{2066}y".into();
        let html = digest_html(&d);
        for c in ['\u{202E}', '\u{2067}', '\u{202D}', '\u{202B}', '\u{2066}'] {
            assert!(!html.contains(c), "{c:?} in\n{html}");
        }
        assert!(html.contains(">Invoicegpj.exe</a>"), "{html}");
        assert!(html.contains("— <bdi>Outlet</bdi>"), "{html}");
        assert!(html.contains("Fire!") && html.contains("<bdi>Voice</bdi>"));
    }

    #[test]
    fn empty_police_and_stories_say_so() {
        let mut d = sample_digest(true);
        d.stories.clear();
        d.stories_total = 0;
        let zero = PoliceVoice::compare(
            Default::default(),
            Default::default(),
            Default::default(),
            7,
        );
        d.police = PoliceSummary {
            articles: zero.clone(),
            comments: zero,
            critical: vec![],
            approving: vec![],
        };
        let html = digest_html(&d);
        assert!(section(&html, "police").contains("لا مواد عن الأمن العام"));
        assert!(section(&html, "stories").contains("لا قصة تناقلتها أكثر من وسيلة"));
        assert!(!html.contains("ارتفاع في التغطية الناقدة"));
    }
}
