//! The HTML of the search page. Arabic first: the page reads right to left, labels are
//! bilingual, every title and snippet carries `dir="auto"` and names sit in `<bdi>`. Text
//! shown to people goes through [`escape_text`] (bidi controls removed); URLs and ids
//! through [`escape`]. No inline script or style: the styles are `/static/rasd.css`.

use std::collections::BTreeMap;
use std::fmt::Write;

use rasd_core::{Config, SentimentTag};
use rasd_deliver::{escape, escape_text};

/// The bilingual name of a sentiment label (`positive`, `negative`, `neutral`); other
/// strings are returned as they are.
pub(crate) fn sentiment_name(label: &str) -> String {
    match label {
        "positive" => "إيجابي / positive".to_string(),
        "negative" => "سلبي / negative".to_string(),
        "neutral" => "محايد / neutral".to_string(),
        other => other.to_string(),
    }
}

/// The bilingual name of a police facet value (`yes` or `no`).
pub(crate) fn police_name(flag: &str) -> String {
    match flag {
        "yes" => "عن الشرطة / about police".to_string(),
        "no" => "ليس عن الشرطة / not about police".to_string(),
        other => other.to_string(),
    }
}

/// A sentiment badge: a colour and the label in words (never colour alone), the score in
/// its tooltip.
pub(crate) fn sentiment_badge(tag: &SentimentTag) -> String {
    let label = tag.label.as_str();
    format!(
        "<span class=\"badge s-{label}\" title=\"{:+.2}\">{}</span>",
        tag.score,
        escape(&sentiment_name(label))
    )
}

/// The badge of an item about the police.
pub(crate) const POLICE_BADGE: &str = "<span class=\"badge police\">عن الشرطة / police</span>";

/// Text pieces escaped, the matched ones in `<mark>`.
pub(crate) fn marked_html(pieces: Vec<(&str, bool)>) -> String {
    let mut h = String::new();
    for (piece, marked) in pieces {
        if marked {
            let _ = write!(h, "<mark>{}</mark>", escape_text(piece));
        } else {
            h.push_str(&escape_text(piece));
        }
    }
    h
}

pub(crate) fn is_web_link(url: &str) -> bool {
    url.starts_with("http://") || url.starts_with("https://")
}

pub(crate) fn page_head(title: &str, lang: &str, dir: &str, header: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"{lang}\" dir=\"{dir}\">\n<head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{}</title><link rel=\"stylesheet\" href=\"/static/rasd.css\"></head>\n<body>\n{header}\n",
        escape_text(title)
    )
}

/// One stored item: headline, where and when, tags, the text, the link to the original.
pub(crate) fn item_page(
    header: &str,
    fix_form: &str,
    config: &Config,
    item: &rasd_core::Item,
    why: &rasd_enrich::Explanation,
) -> String {
    let (lang, dir) = if item.tags.lang == rasd_core::Lang::En {
        ("en", "ltr")
    } else {
        ("ar", "rtl")
    };
    let title = if item.title.trim().is_empty() {
        "(بلا عنوان / untitled)"
    } else {
        item.title.as_str()
    };
    let source = config
        .sources
        .iter()
        .find(|s| s.id == item.source)
        .map_or(item.source.as_str(), |s| s.name.as_str());
    let mut h = page_head(title, lang, dir, header);
    let _ = write!(
        h,
        "<main><article><h1 dir=\"auto\">{}</h1><p class=\"meta\"><bdi>{}</bdi> · <span dir=\"ltr\">{}</span>",
        escape_text(title),
        escape_text(source),
        escape(&item.when().format("%Y-%m-%d %H:%M UTC").to_string())
    );
    if let Some(author) = &item.author {
        let _ = write!(h, " · <bdi>{}</bdi>", escape_text(author));
    }
    h.push_str("</p><div>");
    for t in &item.tags.topics {
        let name = config.topic(t).map_or(t.as_str(), |t| t.name_ar.as_str());
        let _ = write!(
            h,
            "<a class=\"tag\" href=\"/?topic={}\" dir=\"auto\">{}</a>",
            rasd_core::text::url_encode_query(t),
            escape_text(name)
        );
    }
    let place_name = |p: &str| {
        config
            .places
            .iter()
            .find(|x| x.id == p)
            .map_or(p.to_string(), |x| x.name_ar.clone())
    };
    // The event places link to the place filter, which uses them alone.
    for p in &item.tags.places {
        let _ = write!(
            h,
            "<a class=\"tag\" href=\"/?place={}\" dir=\"auto\" title=\"مكان الحدث / place of the event\">{}</a>",
            rasd_core::text::url_encode_query(p),
            escape_text(&place_name(p))
        );
    }
    h.push_str("</div>");
    // Places the text names without the event being there (a route, a dateline, where
    // someone comes from): shown apart, and not as filters.
    if !item.tags.places_named.is_empty() {
        h.push_str("<p class=\"meta named\">ذُكرت أيضاً / Also named:");
        for p in &item.tags.places_named {
            let _ = write!(
                h,
                " <span class=\"tag\" dir=\"auto\">{}</span>",
                escape_text(&place_name(p))
            );
        }
        h.push_str("</p>");
    }
    h.push_str("<p class=\"meta\">");
    match &item.tags.sentiment {
        Some(tag) => {
            let label = tag.label.as_str();
            let _ = write!(
                h,
                "المشاعر / Sentiment: <a class=\"badge s-{label}\" href=\"/?sentiment={label}\">{}</a>\
                 <span dir=\"ltr\">({:+.2})</span>",
                escape(&sentiment_name(label)),
                tag.score
            );
        }
        None => h.push_str("المشاعر / Sentiment: غير مقدّرة / not scored"),
    }
    let flag = if item.tags.about_police { "yes" } else { "no" };
    let _ = write!(
        h,
        " · <a{} href=\"/?police={flag}\">{}</a>",
        if item.tags.about_police {
            " class=\"badge police\""
        } else {
            ""
        },
        escape(&police_name(flag))
    );
    if let Some(st) = item.tags.police_stance {
        let _ = write!(
            h,
            " · الموقف من الأمن العام / stance: <span class=\"badge stance-{}\">{} ({})</span>",
            st.as_str(),
            st.as_arabic(),
            st.as_str()
        );
    }
    h.push_str("</p>");
    for para in item.body.split("\n\n").filter(|p| !p.trim().is_empty()) {
        let _ = write!(h, "<p dir=\"auto\">{}</p>", escape_text(para.trim()));
    }
    if is_web_link(&item.url) {
        let _ = write!(
            h,
            "<p><a href=\"{}\" rel=\"noopener noreferrer\">↗ المصدر الأصلي / original</a></p>",
            escape(&item.url)
        );
    }
    h.push_str("</article>");
    why_section(&mut h, config, item, why);
    h.push_str(fix_form);
    h.push_str("</main>\n</body>\n</html>\n");
    h
}

/// Words joined for a list cell, each escaped and isolated for mixed directions.
fn words(list: &[String]) -> String {
    if list.is_empty() {
        return "—".to_string();
    }
    list.iter()
        .map(|w| format!("<bdi>{}</bdi>", escape_text(w)))
        .collect::<Vec<_>>()
        .join("، ")
}

/// "Why these tags": the explanation re-run on the stored text with today's rules and
/// models: the terms (or model score) behind each topic, the police names and the stance
/// cues, the place names, and what the sentiment model read.
fn why_section(
    h: &mut String,
    config: &Config,
    item: &rasd_core::Item,
    why: &rasd_enrich::Explanation,
) {
    h.push_str(
        "<section id=\"why\"><h2>لماذا هذه الوسوم / Why these tags</h2>\
         <p class=\"meta\">بقواعد اليوم ونماذجه على النص المخزّن / today's rules and models \
         on the stored text</p><table>",
    );
    let row = |h: &mut String, ar: &str, en: &str, cell: String| {
        let _ = write!(
            h,
            "<tr><th>{ar} / {en}</th><td dir=\"auto\">{cell}</td></tr>"
        );
    };
    let denied = |t: &str| why.denied.iter().any(|(d, _)| d == t);
    for m in why.rules.iter().filter(|m| m.assigned && !denied(&m.topic)) {
        let name = config
            .topic(&m.topic)
            .map_or(m.topic.as_str(), |t| t.name_ar.as_str());
        row(
            h,
            "موضوع",
            "topic",
            format!("{}: {}", escape_text(name), words(&m.terms)),
        );
    }
    for (t, p) in &why.model {
        let name = config.topic(t).map_or(t.as_str(), |t| t.name_ar.as_str());
        row(
            h,
            "موضوع من النموذج",
            "topic by the model",
            format!("{}: <span dir=\"ltr\">{p:.2}</span>", escape_text(name)),
        );
    }
    for (t, p) in &why.denied {
        let name = config.topic(t).map_or(t.as_str(), |t| t.name_ar.as_str());
        let terms = why
            .rules
            .iter()
            .find(|m| &m.topic == t)
            .map_or_else(String::new, |m| words(&m.terms));
        row(
            h,
            "موضوع أسقطه النموذج",
            "topic the model took back",
            format!(
                "{}: {terms} <span dir=\"ltr\">({p:.2} &lt; {:.2})</span>",
                escape_text(name),
                config.settings.enrich.model_confirm
            ),
        );
    }
    for n in &why.places.names {
        let governorates: Vec<String> = n
            .governorates
            .iter()
            .map(|g| {
                config
                    .places
                    .iter()
                    .find(|x| &x.id == g)
                    .map_or(g.clone(), |x| x.name_ar.clone())
            })
            .collect();
        let cue = n.cue.as_deref().map_or(String::new(), |c| {
            format!(" ← <bdi>{}</bdi>", escape_text(c))
        });
        row(
            h,
            if n.role.only_named() {
                "مكان مذكور فقط"
            } else {
                "مكان الحدث"
            },
            if n.role.only_named() {
                "place only named"
            } else {
                "place of the event"
            },
            format!(
                "{}: <bdi>{}</bdi> (<span dir=\"ltr\">{}</span>{cue})",
                words(&governorates),
                escape_text(&n.name),
                n.role.as_str()
            ),
        );
    }
    let police: Vec<String> = why
        .police
        .terms
        .iter()
        .chain(&why.police.local_terms)
        .cloned()
        .collect();
    row(h, "أسماء الأمن العام", "police names", words(&police));
    if item.tags.about_police {
        let s = &why.stance;
        let stance = s.stance.map_or("—".to_string(), |st| {
            format!("{} ({})", st.as_arabic(), st.as_str())
        });
        let labels = |v: &[rasd_enrich::stance::Cue]| -> Vec<String> {
            v.iter().map(|c| c.label()).collect()
        };
        row(
            h,
            "الموقف من الأمن العام",
            "stance toward the police",
            format!(
                "{} <span class=\"meta\">— {}</span>",
                escape_text(&stance),
                escape(s.rule.reason())
            ),
        );
        row(
            h,
            "عبارات التأييد",
            "approving cues",
            words(&labels(&s.approving)),
        );
        row(
            h,
            "عبارات النقد",
            "critical cues",
            words(&labels(&s.critical)),
        );
        if !s.charged.is_empty() {
            row(
                h,
                "تهم المشتبه بهم",
                "charges (not the police's conduct)",
                words(&s.charged),
            );
        }
    }
    match &why.sentiment {
        Some((text, tag)) => row(
            h,
            "ما قرأه نموذج المشاعر",
            "what the sentiment model read",
            format!(
                "{} <span dir=\"ltr\">({} {:+.2})</span>",
                escape_text(text),
                escape(tag.label.as_str()),
                tag.score
            ),
        ),
        None => row(
            h,
            "نموذج المشاعر",
            "sentiment model",
            "غير محمّل / not loaded".to_string(),
        ),
    }
    h.push_str("</table></section>");
}

/// The page for an unknown item.
/// The digest page with links to the day before, the day after (up to `today`) and the
/// archive, placed at the top of its body.
pub(crate) fn with_day_links(
    header: &str,
    digest: &str,
    date: chrono::NaiveDate,
    today: chrono::NaiveDate,
) -> String {
    let mut nav = String::from("<nav class=\"days\">");
    if let Some(prev) = date.pred_opt() {
        nav.push_str(&format!(
            "<a href=\"/digest?date={prev}\" rel=\"prev\">→ {prev} (اليوم السابق / previous day)</a> · "
        ));
    }
    nav.push_str("<a href=\"/digests\">الأرشيف / Archive</a>");
    if let Some(next) = date.succ_opt().filter(|n| *n <= today) {
        nav.push_str(&format!(
            " · <a href=\"/digest?date={next}\" rel=\"next\">{next} (اليوم التالي / next day) ←</a>"
        ));
    }
    nav.push_str("</nav>\n");
    let digest = match digest.find("</head>") {
        Some(i) => format!(
            "{}<link rel=\"stylesheet\" href=\"/static/rasd.css\">{}",
            &digest[..i],
            &digest[i..]
        ),
        None => digest.to_string(),
    };
    match digest.find("<body>\n") {
        Some(i) => format!("{}{header}\n{nav}{}", &digest[..i + 7], &digest[i + 7..]),
        None => digest,
    }
}

/// The digest archive: each day with items, newest first, with its item count.
pub(crate) fn digest_archive_page(
    header: &str,
    days: &BTreeMap<chrono::NaiveDate, usize>,
) -> String {
    let mut h = page_head("أرشيف الملخصات / Digest archive", "ar", "rtl", header);
    h.push_str("<main><h1>أرشيف الملخصات اليومية / Digest archive</h1>");
    if days.is_empty() {
        h.push_str("<p>لا مواد بعد. / No items yet.</p>");
    } else {
        h.push_str("<ul>");
        for (day, n) in days.iter().rev() {
            h.push_str(&format!(
                "<li><a href=\"/digest?date={day}\">{day}</a> — {n} مادة / items</li>"
            ));
        }
        h.push_str("</ul>");
    }
    h.push_str("</main>\n</body>\n</html>\n");
    h
}

pub(crate) fn not_found_page(header: &str) -> String {
    let mut h = page_head("غير موجود / not found", "ar", "rtl", header);
    h.push_str(
        "<main><p>لا توجد مادة بهذا المعرف. / No item has this id.</p></main>\n</body>\n</html>\n",
    );
    h
}
