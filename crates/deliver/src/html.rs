//! The digest as a standalone HTML page.

use std::fmt::Write;

use rasd_detect::{Digest, TopicSummary, Trend};

use crate::{comparison, trend_label};

/// Escapes text for HTML element content and attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// Only http(s) links are made clickable; anything else (a `form:` reference, a
/// `javascript:` URL from a hostile feed) is shown as text.
fn safe_href(url: &str) -> Option<&str> {
    (url.starts_with("https://") || url.starts_with("http://")).then_some(url)
}

const STYLE: &str = "body{font-family:'Noto Naskh Arabic','Segoe UI',Tahoma,Arial,sans-serif;\
max-width:56rem;margin:1.5rem auto;padding:0 1rem;color:#1d232a;line-height:1.6}\
h1{font-size:1.6rem;margin:0}h2{font-size:1.2rem;margin:1.6rem 0 .3rem}\
.meta{color:#5b6570;font-size:.9rem}.topic{border-top:1px solid #d8dde2;padding-top:.4rem}\
.badge{display:inline-block;padding:0 .5rem;border-radius:.7rem;font-size:.8rem;margin-inline-start:.4rem}\
.new,.rising{background:#fde2e1;color:#9b1c1c}.steady{background:#e8eef3;color:#34495e}\
.falling{background:#e3f4e8;color:#1e6b3a}ul{padding-inline-start:1.2rem}li{margin:.2rem 0}\
a{color:#0b5cad;text-decoration:none}table{border-collapse:collapse}\
td,th{padding:.15rem .6rem;border-bottom:1px solid #eef1f4;text-align:start}\
.ltr{direction:ltr;unicode-bidi:isolate}";

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
            escape(&t.name_ar),
            escape(&t.name_en)
        )
    } else {
        format!(
            "{} <span class=\"meta\" dir=\"rtl\">({})</span>",
            escape(&t.name_en),
            escape(&t.name_ar)
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
         <title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n",
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
    } else {
        h.push_str("<ul>");
        for t in &notable {
            let (ar, en) = trend_label(t.trend);
            let place = t.places.first().map(|p| {
                if rtl {
                    format!("، أغلبها في {}", escape(&p.name_ar))
                } else {
                    format!(", mostly in {}", escape(&p.name_en))
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
        for p in &digest.places {
            let name = if rtl { &p.name_ar } else { &p.name_en };
            let _ = write!(h, "<tr><td>{}</td><td>{}</td></tr>", escape(name), p.count);
        }
        h.push_str("</table></section>\n");
    }

    // Each topic.
    let _ = write!(
        h,
        "<section><h2>{}</h2>",
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
             <p class=\"meta\">{} · {}</p><ul>",
            escape(&t.id),
            topic_name(t, rtl),
            trend_class(t.trend),
            if rtl { ar } else { en },
            escape(&comparison(t, rtl)),
            if rtl {
                format!("المصادر: {}", t.sources)
            } else {
                format!("{} sources", t.sources)
            }
        );
        for i in &t.items {
            let title = escape(&i.title);
            let link = match safe_href(&i.url) {
                Some(url) => format!("<a href=\"{}\" dir=\"auto\">{title}</a>", escape(url)),
                None => format!("<span dir=\"auto\">{title}</span>"),
            };
            let _ = write!(
                h,
                "<li>{link} <span class=\"meta\">— {}</span></li>",
                escape(&i.source_name)
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
}
