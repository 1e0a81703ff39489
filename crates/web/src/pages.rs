//! The HTML of the search page. Arabic first: the page reads right to left, labels are
//! bilingual, every title and snippet carries `dir="auto"` and names sit in `<bdi>`. Text
//! shown to people goes through [`escape_text`] (bidi controls removed); URLs and ids
//! through [`escape`]. No inline script or style: the styles are `/static/rasd.css`.

use std::collections::BTreeMap;
use std::fmt::Write;

use rasd_core::{Config, SentimentTag};
use rasd_deliver::{escape, escape_text};
use rasd_search::SearchResults;

use crate::{Error, SearchParams};

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
fn sentiment_badge(tag: &SentimentTag) -> String {
    let label = tag.label.as_str();
    format!(
        "<span class=\"badge s-{label}\" title=\"{:+.2}\">{}</span>",
        tag.score,
        escape(&sentiment_name(label))
    )
}

/// The badge of an item about the police.
const POLICE_BADGE: &str = "<span class=\"badge police\">عن الشرطة / police</span>";

fn options(selected: Option<&str>, items: &[(String, String)]) -> String {
    let mut s = String::new();
    for (value, label) in items {
        let sel = if selected == Some(value.as_str()) {
            " selected"
        } else {
            ""
        };
        let _ = write!(
            s,
            "<option value=\"{}\"{sel}>{}</option>",
            escape(value),
            escape_text(label)
        );
    }
    s
}

fn link(params: &SearchParams, key: &str, value: &str) -> String {
    let mut pairs: Vec<(&str, String)> = vec![("q", params.q.clone())];
    let mut set = |k: &'static str, v: &Option<String>| {
        if k == key {
            pairs.push((k, value.to_string()));
        } else if let Some(v) = v.as_ref().filter(|v| !v.is_empty()) {
            pairs.push((k, v.clone()));
        }
    };
    set("lang", &params.lang);
    set("topic", &params.topic);
    set("place", &params.place);
    set("source", &params.source);
    set("sentiment", &params.sentiment);
    set("police", &params.police);
    let query: Vec<String> = pairs
        .iter()
        .map(|(k, v)| format!("{k}={}", rasd_core::text::url_encode_query(v)))
        .collect();
    format!("/?{}", query.join("&"))
}

fn facet_list(
    out: &mut String,
    title: &str,
    key: &str,
    counts: &BTreeMap<String, u64>,
    label: impl Fn(&str) -> String,
    params: &SearchParams,
) {
    if counts.is_empty() {
        return;
    }
    let _ = write!(out, "<h4>{title}</h4><ul>");
    let mut v: Vec<(&String, &u64)> = counts.iter().collect();
    v.sort_by(|a, b| b.1.cmp(a.1).then_with(|| a.0.cmp(b.0)));
    for (k, n) in v.into_iter().take(12) {
        let _ = write!(
            out,
            "<li><a href=\"{}\"><bdi>{}</bdi></a> <span class=\"meta\">{n}</span></li>",
            escape(&link(params, key, k)),
            escape_text(&label(k))
        );
    }
    out.push_str("</ul>");
}

/// The whole search page for `params` and the outcome of running them.
pub(crate) fn search_page(
    config: &Config,
    params: &SearchParams,
    outcome: &Result<SearchResults, Error>,
) -> String {
    let topic_name = |id: &str| {
        config
            .topic(id)
            .map_or_else(|| id.to_string(), |t| t.name_ar.clone())
    };
    let place_name = |id: &str| {
        config
            .places
            .iter()
            .find(|p| p.id == id)
            .map_or_else(|| id.to_string(), |p| p.name_ar.clone())
    };
    let source_name = |id: &str| {
        config
            .sources
            .iter()
            .find(|s| s.id == id)
            .map_or_else(|| id.to_string(), |s| s.name.clone())
    };
    let lang_name = |code: &str| match code {
        "ar" => "العربية".to_string(),
        "en" => "English".to_string(),
        _ => "أخرى / other".to_string(),
    };

    let mut h = page_head("رصد — بحث · Rasd search", "ar", "rtl");
    h.push_str("<main>\n");

    // Facets.
    h.push_str("<aside>");
    if let Ok(results) = outcome {
        facet_list(
            &mut h,
            "الموضوع / Topic",
            "topic",
            &results.facets.by_topic,
            topic_name,
            params,
        );
        facet_list(
            &mut h,
            "المشاعر / Sentiment",
            "sentiment",
            &results.facets.by_sentiment,
            sentiment_name,
            params,
        );
        facet_list(
            &mut h,
            "الشرطة / Police",
            "police",
            &results.facets.by_police,
            police_name,
            params,
        );
        facet_list(
            &mut h,
            "المحافظة / Governorate",
            "place",
            &results.facets.by_place,
            place_name,
            params,
        );
        facet_list(
            &mut h,
            "اللغة / Language",
            "lang",
            &results.facets.by_lang,
            lang_name,
            params,
        );
        facet_list(
            &mut h,
            "المصدر / Source",
            "source",
            &results.facets.by_source,
            source_name,
            params,
        );
    }
    h.push_str("</aside>\n<section class=\"results\">");

    // The form.
    let topics: Vec<(String, String)> =
        std::iter::once((String::new(), "كل المواضيع / all topics".into()))
            .chain(
                config
                    .topics
                    .iter()
                    .map(|t| (t.id.clone(), format!("{} / {}", t.name_ar, t.name_en))),
            )
            .collect();
    let govs: Vec<(String, String)> = std::iter::once((String::new(), "كل المحافظات / all".into()))
        .chain(
            config
                .places
                .iter()
                .filter(|p| p.kind == rasd_core::PlaceKind::Governorate)
                .map(|p| (p.id.clone(), format!("{} / {}", p.name_ar, p.name_en))),
        )
        .collect();
    let langs: Vec<(String, String)> = vec![
        (String::new(), "كل اللغات / all".into()),
        ("ar".into(), "العربية".into()),
        ("en".into(), "English".into()),
    ];
    let sentiments: Vec<(String, String)> =
        std::iter::once((String::new(), "كل المشاعر / any sentiment".into()))
            .chain(
                rasd_core::Polarity::ALL
                    .iter()
                    .map(|p| (p.as_str().to_string(), sentiment_name(p.as_str()))),
            )
            .collect();
    let police: Vec<(String, String)> = vec![
        (String::new(), "الكل / all".into()),
        ("yes".into(), police_name("yes")),
        ("no".into(), police_name("no")),
    ];
    let _ = write!(
        h,
        "<form class=\"q\" method=\"get\" action=\"/\">\
         <input type=\"search\" name=\"q\" dir=\"auto\" value=\"{}\" placeholder=\"ابحث… / search…\" autofocus>\
         <select name=\"topic\" aria-label=\"الموضوع / Topic\">{}</select>\
         <select name=\"place\" aria-label=\"المحافظة / Governorate\">{}</select>\
         <select name=\"lang\" aria-label=\"اللغة / Language\">{}</select>\
         <select name=\"sentiment\" aria-label=\"المشاعر / Sentiment\">{}</select>\
         <select name=\"police\" aria-label=\"الشرطة / Police\">{}</select>\
         <button type=\"submit\">بحث</button></form>",
        escape_text(&params.q),
        options(params.topic.as_deref(), &topics),
        options(params.place.as_deref(), &govs),
        options(params.lang.as_deref(), &langs),
        options(params.sentiment.as_deref(), &sentiments),
        options(params.police.as_deref(), &police),
    );

    match outcome {
        Err(Error::BadRequest(message)) => {
            let _ = write!(
                h,
                "<p class=\"error\" dir=\"auto\" role=\"alert\">{}</p>",
                escape_text(message)
            );
        }
        Err(Error::Internal(_)) => {
            h.push_str(
                "<p class=\"error\" role=\"alert\">تعذّر البحث؛ التفاصيل في سجل الخادم. / \
                 The search failed; the server log has the details.</p>",
            );
        }
        Ok(results) => {
            let _ = write!(h, "<p class=\"meta\">{} نتيجة / results</p>", results.total);
            for hit in &results.hits {
                let title = if hit.title.is_empty() {
                    escape_text("(بلا عنوان / untitled)")
                } else {
                    marked_html(hit.title_pieces())
                };
                let mut title_html = format!(
                    "<a href=\"/item/{}\" dir=\"auto\">{}</a>",
                    escape(&hit.id),
                    title
                );
                if is_web_link(&hit.url) {
                    let _ = write!(
                        title_html,
                        " <a class=\"meta\" href=\"{}\" rel=\"noopener noreferrer\">↗ المصدر</a>",
                        escape(&hit.url)
                    );
                }
                let when = hit
                    .published
                    .map(|d| d.format("%Y-%m-%d %H:%M").to_string())
                    .unwrap_or_default();
                let _ = write!(
                    h,
                    "<div class=\"hit\"><h3>{title_html}</h3><div class=\"meta\"><bdi>{}</bdi> · <span dir=\"ltr\">{}</span></div>\
                     <p dir=\"auto\">{}</p><div>",
                    escape_text(&source_name(&hit.source)),
                    escape(&when),
                    marked_html(hit.snippet_pieces())
                );
                if let Some(tag) = &hit.sentiment {
                    h.push_str(&sentiment_badge(tag));
                }
                if hit.about_police {
                    h.push_str(POLICE_BADGE);
                }
                for t in &hit.topics {
                    let _ = write!(
                        h,
                        "<span class=\"tag\" dir=\"auto\">{}</span>",
                        escape_text(&topic_name(t))
                    );
                }
                for p in &hit.places {
                    let _ = write!(
                        h,
                        "<span class=\"tag\" dir=\"auto\">{}</span>",
                        escape_text(&place_name(p))
                    );
                }
                h.push_str("</div></div>\n");
            }
        }
    }
    h.push_str("</section>\n</main>\n</body>\n</html>\n");
    h
}

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

fn is_web_link(url: &str) -> bool {
    url.starts_with("http://") || url.starts_with("https://")
}

fn page_head(title: &str, lang: &str, dir: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"{lang}\" dir=\"{dir}\">\n<head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{}</title><link rel=\"stylesheet\" href=\"/static/rasd.css\"></head>\n<body>\n\
         <header><strong>رصد</strong> · Rasd — <a href=\"/\">بحث / Search</a> · \
         <a href=\"/digest\">الملخص اليومي / Digest</a> · \
         <a href=\"/digests\">الأرشيف / Archive</a></header>\n",
        escape_text(title)
    )
}

/// One stored item: headline, where and when, tags, the text, the link to the original.
pub(crate) fn item_page(
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
    let mut h = page_head(title, lang, dir);
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
    match digest.find("<body>\n") {
        Some(i) => format!("{}{nav}{}", &digest[..i + 7], &digest[i + 7..]),
        None => digest.to_string(),
    }
}

/// The digest archive: each day with items, newest first, with its item count.
pub(crate) fn digest_archive_page(days: &BTreeMap<chrono::NaiveDate, usize>) -> String {
    let mut h = page_head("أرشيف الملخصات / Digest archive", "ar", "rtl");
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

pub(crate) fn not_found_page() -> String {
    let mut h = page_head("غير موجود / not found", "ar", "rtl");
    h.push_str(
        "<main><p>لا توجد مادة بهذا المعرف. / No item has this id.</p></main>\n</body>\n</html>\n",
    );
    h
}
