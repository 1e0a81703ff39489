//! The item page, the page for an unknown item, the digest archive and the day links of the
//! digest, written with maud (every value escaped) in the reader's language ([`ui::Ctx`]),
//! with the one header of [`ui::header`]. The item's own text keeps the item's language and
//! direction; titles and text carry `dir="auto"`, names sit in `<bdi>`, and text from feeds
//! and forms is shown without bidi controls ([`ui::outside`]). Only http(s) links are made
//! clickable. No inline script or style: the styles are `/static/rasd.css`.
//!
//! Shared with the search page: the names of sentiment and police values, their badges, and
//! matched words in `<mark>` ([`marked`]).

use std::collections::BTreeMap;

use maud::{Markup, html};
use rasd_core::text::url_encode_query;
use rasd_core::{Config, PoliceStance, SentimentTag};

use crate::ui::{self, Ctx, UiLang};

/// The name of a sentiment label (`positive`, `negative`, `neutral`) in the reader's
/// language; other strings are returned as they are.
pub(crate) fn sentiment_name(l: UiLang, label: &str) -> String {
    match label {
        "positive" => l.t("إيجابي", "positive").to_string(),
        "negative" => l.t("سلبي", "negative").to_string(),
        "neutral" => l.t("محايد", "neutral").to_string(),
        other => other.to_string(),
    }
}

/// The name of a police facet value (`yes` or `no`) in the reader's language.
pub(crate) fn police_name(l: UiLang, flag: &str) -> String {
    match flag {
        "yes" => l.t("عن الشرطة", "about police").to_string(),
        "no" => l.t("ليس عن الشرطة", "not about police").to_string(),
        other => other.to_string(),
    }
}

/// A stance toward the police in the reader's language.
fn stance_name(l: UiLang, st: PoliceStance) -> &'static str {
    match l {
        UiLang::Ar => st.as_arabic(),
        UiLang::En => st.as_str(),
    }
}

/// A sentiment badge: a colour and the label in words (never colour alone), the score in
/// its tooltip.
pub(crate) fn sentiment_badge(l: UiLang, tag: &SentimentTag) -> Markup {
    let label = tag.label.as_str();
    html! {
        span class=(format!("badge s-{label}")) title=(format!("{:+.2}", tag.score)) {
            (sentiment_name(l, label))
        }
    }
}

/// The badge of an item about the police.
pub(crate) fn police_badge(l: UiLang) -> Markup {
    html! { span class="badge police" { (l.t("عن الشرطة", "police")) } }
}

/// Text pieces (without bidi controls), the matched ones in `<mark>`.
pub(crate) fn marked(pieces: Vec<(&str, bool)>) -> Markup {
    html! {
        @for (piece, matched) in pieces {
            @if matched { mark { (ui::outside(piece)) } } @else { (ui::outside(piece)) }
        }
    }
}

pub(crate) fn is_web_link(url: &str) -> bool {
    url.starts_with("http://") || url.starts_with("https://")
}

/// A topic's name in the reader's language, its id when the config has no such topic.
fn topic_name(config: &Config, l: UiLang, id: &str) -> String {
    config.topic(id).map_or_else(
        || id.to_string(),
        |t| l.t(&t.name_ar, &t.name_en).to_string(),
    )
}

/// A place's name in the reader's language, its id when the config has no such place.
fn place_name(config: &Config, l: UiLang, id: &str) -> String {
    config.places.iter().find(|p| p.id == id).map_or_else(
        || id.to_string(),
        |p| l.t(&p.name_ar, &p.name_en).to_string(),
    )
}

/// One stored item: headline, where and when, tags, the text, the link to the original,
/// why it has its tags, and `fix_form` (for the roles that may fix tags). The page reads in
/// the reader's language; the article in the item's.
pub(crate) fn item_page(
    ctx: &Ctx,
    fix_form: Option<Markup>,
    config: &Config,
    item: &rasd_core::Item,
    why: &rasd_enrich::Explanation,
) -> Markup {
    let l = ctx.lang;
    let (lang, dir) = if item.tags.lang == rasd_core::Lang::En {
        ("en", "ltr")
    } else {
        ("ar", "rtl")
    };
    let title = if item.title.trim().is_empty() {
        l.t("(بلا عنوان)", "(untitled)").to_string()
    } else {
        ui::outside(&item.title)
    };
    let source = config
        .sources
        .iter()
        .find(|s| s.id == item.source)
        .map_or(item.source.as_str(), |s| s.name.as_str());
    let flag = if item.tags.about_police { "yes" } else { "no" };
    let paragraphs = item.body.split("\n\n").filter(|p| !p.trim().is_empty());
    let main = html! {
        main {
            article lang=(lang) dir=(dir) {
                h1 dir="auto" { (title) }
                p.meta {
                    bdi { (ui::outside(source)) }
                    " · "
                    (ui::time(item.when(), ctx.tz))
                    @if let Some(author) = &item.author { " · " bdi { (ui::outside(author)) } }
                }
                div {
                    @for t in &item.tags.topics {
                        a.tag href=(format!("/search?topic={}", url_encode_query(t))) dir="auto" {
                            (ui::outside(&topic_name(config, l, t)))
                        }
                    }
                    // The event places link to the place filter, which uses them alone.
                    @for p in &item.tags.places {
                        a.tag href=(format!("/search?place={}", url_encode_query(p))) dir="auto"
                            title=(l.t("مكان الحدث", "place of the event")) {
                            (ui::outside(&place_name(config, l, p)))
                        }
                    }
                }
                // Places the text names without the event being there (a route, a dateline,
                // where someone comes from): shown apart, and not as filters.
                @if !item.tags.places_named.is_empty() {
                    p.meta.named lang=(l.code()) dir=(l.dir()) {
                        (l.t("ذُكرت أيضاً:", "Also named:"))
                        @for p in &item.tags.places_named {
                            " " span.tag dir="auto" { (ui::outside(&place_name(config, l, p))) }
                        }
                    }
                }
                p.meta lang=(l.code()) dir=(l.dir()) {
                    (l.t("المشاعر", "Sentiment")) ": "
                    @match &item.tags.sentiment {
                        Some(tag) => {
                            a class=(format!("badge s-{}", tag.label.as_str()))
                                href=(format!("/search?sentiment={}", tag.label.as_str())) {
                                (sentiment_name(l, tag.label.as_str()))
                            }
                            span dir="ltr" { (format!("({:+.2})", tag.score)) }
                        }
                        None => { (l.t("غير مقدّرة", "not scored")) }
                    }
                    " · "
                    a class=[item.tags.about_police.then_some("badge police")]
                        href=(format!("/search?police={flag}")) {
                        (police_name(l, flag))
                    }
                    @if let Some(st) = item.tags.police_stance {
                        " · " (l.t("الموقف من الأمن العام", "Stance toward the police")) ": "
                        span class=(format!("badge stance-{}", st.as_str())) { (stance_name(l, st)) }
                    }
                }
                @for para in paragraphs {
                    p dir="auto" { (ui::outside(para.trim())) }
                }
                @if is_web_link(&item.url) {
                    p {
                        a href=(item.url) rel="noopener noreferrer" {
                            "↗ " (l.t("المصدر الأصلي", "original"))
                        }
                    }
                }
            }
            (why_section(l, config, item, why))
            @if let Some(form) = fix_form { (form) }
        }
    };
    ui::document(ctx, &title, main)
}

/// Words for a list cell, each without bidi controls and isolated for mixed directions.
fn words(list: &[String]) -> Markup {
    html! {
        @if list.is_empty() {
            "—"
        } @else {
            @for (i, w) in list.iter().enumerate() {
                @if i > 0 { "، " }
                bdi { (ui::outside(w)) }
            }
        }
    }
}

/// "Why these tags": the explanation re-run on the stored text with today's rules and
/// models: the terms (or model score) behind each topic, the police names and the stance
/// cues, the place names, and what the sentiment model read.
fn why_section(
    l: UiLang,
    config: &Config,
    item: &rasd_core::Item,
    why: &rasd_enrich::Explanation,
) -> Markup {
    let mut rows: Vec<(&str, Markup)> = Vec::new();
    let denied = |t: &str| why.denied.iter().any(|(d, _)| d == t);
    let topic = |t: &str| ui::outside(&topic_name(config, l, t));
    for m in why.rules.iter().filter(|m| m.assigned && !denied(&m.topic)) {
        rows.push((
            l.t("موضوع", "Topic"),
            html! { (topic(&m.topic)) ": " (words(&m.terms)) },
        ));
    }
    for (t, p) in &why.model {
        rows.push((
            l.t("موضوع من النموذج", "Topic by the model"),
            html! { (topic(t)) ": " span dir="ltr" { (format!("{p:.2}")) } },
        ));
    }
    for (t, p) in &why.denied {
        let terms = why
            .rules
            .iter()
            .find(|m| &m.topic == t)
            .map(|m| words(&m.terms));
        let confirm = config.settings.enrich.model_confirm;
        rows.push((
            l.t("موضوع أسقطه النموذج", "Topic the model took back"),
            html! {
                (topic(t)) ": "
                @if let Some(terms) = terms { (terms) }
                " " span dir="ltr" { (format!("({p:.2} < {confirm:.2})")) }
            },
        ));
    }
    for n in &why.places.names {
        let governorates: Vec<String> = n
            .governorates
            .iter()
            .map(|g| place_name(config, l, g))
            .collect();
        let label = if n.role.only_named() {
            l.t("مكان مذكور فقط", "Place only named")
        } else {
            l.t("مكان الحدث", "Place of the event")
        };
        rows.push((
            label,
            html! {
                (words(&governorates)) ": " bdi { (ui::outside(&n.name)) }
                " (" span dir="ltr" { (n.role.as_str()) }
                @if let Some(cue) = &n.cue { " ← " bdi { (ui::outside(cue)) } }
                ")"
            },
        ));
    }
    let police: Vec<String> = why
        .police
        .terms
        .iter()
        .chain(&why.police.local_terms)
        .cloned()
        .collect();
    rows.push((l.t("أسماء الأمن العام", "Police names"), words(&police)));
    if item.tags.about_police {
        let s = &why.stance;
        let labels = |v: &[rasd_enrich::stance::Cue]| -> Vec<String> {
            v.iter().map(|c| c.label()).collect()
        };
        rows.push((
            l.t("الموقف من الأمن العام", "Stance toward the police"),
            html! {
                (s.stance.map_or("—", |st| stance_name(l, st)))
                " " span.meta { "— " (s.rule.reason()) }
            },
        ));
        rows.push((
            l.t("عبارات التأييد", "Approving cues"),
            words(&labels(&s.approving)),
        ));
        rows.push((
            l.t("عبارات النقد", "Critical cues"),
            words(&labels(&s.critical)),
        ));
        if !s.charged.is_empty() {
            rows.push((
                l.t("تهم المشتبه بهم", "Charges (not the police's conduct)"),
                words(&s.charged),
            ));
        }
    }
    match &why.sentiment {
        Some((text, tag)) => rows.push((
            l.t("ما قرأه نموذج المشاعر", "What the sentiment model read"),
            html! {
                (ui::outside(text)) " "
                span dir="ltr" { (format!("({} {:+.2})", tag.label.as_str(), tag.score)) }
            },
        )),
        None => rows.push((
            l.t("نموذج المشاعر", "Sentiment model"),
            html! { (l.t("غير محمّل", "not loaded")) },
        )),
    }
    html! {
        section #why {
            h2 { (l.t("لماذا هذه الوسوم", "Why these tags")) }
            p.meta { (l.t("بقواعد اليوم ونماذجه على النص المخزّن", "Today's rules and models on the stored text")) }
            table {
                @for (label, cell) in rows {
                    tr { th { (label) } td dir="auto" { (cell) } }
                }
            }
        }
    }
}

/// The digest page with the one header and links to the day before, the day after (up to
/// `today`) and the archive, placed at the top of its body. The digest is the deliver
/// crate's HTML (also e-mailed, with its own inline stylesheet), so the header and the
/// links, written with maud, are spliced into its string.
pub(crate) fn with_day_links(
    ctx: &Ctx,
    digest: &str,
    date: chrono::NaiveDate,
    today: chrono::NaiveDate,
) -> String {
    let l = ctx.lang;
    let next = date.succ_opt().filter(|n| *n <= today);
    let nav = html! {
        (ui::header(ctx))
        "\n"
        nav.days {
            @if let Some(prev) = date.pred_opt() {
                a href=(format!("/digest?date={prev}")) rel="prev" {
                    (l.t("→ ", "← ")) (prev.to_string()) " (" (l.t("اليوم السابق", "previous day")) ")"
                }
                " · "
            }
            a href="/digests" { (l.t("الأرشيف", "Archive")) }
            @if let Some(next) = next {
                " · "
                a href=(format!("/digest?date={next}")) rel="next" {
                    (next.to_string()) " (" (l.t("اليوم التالي", "next day")) ")" (l.t(" ←", " →"))
                }
            }
        }
        "\n"
    }
    .into_string();
    let digest = match digest.find("</head>") {
        Some(i) => format!(
            "{}<link rel=\"stylesheet\" href=\"/static/rasd.css\">{}",
            &digest[..i],
            &digest[i..]
        ),
        None => digest.to_string(),
    };
    match digest.find("<body>\n") {
        Some(i) => format!("{}{nav}{}", &digest[..i + 7], &digest[i + 7..]),
        None => digest,
    }
}

/// The digest archive: each day with items, newest first, with its item count.
pub(crate) fn digest_archive_page(ctx: &Ctx, days: &BTreeMap<chrono::NaiveDate, usize>) -> Markup {
    let l = ctx.lang;
    ui::page(
        ctx,
        l.t("أرشيف الملخصات", "Digest archive"),
        html! {
            h1 { (l.t("أرشيف الملخصات اليومية", "Digest archive")) }
            @if days.is_empty() {
                p { (l.t("لا مواد بعد.", "No items yet.")) }
            } @else {
                ul {
                    @for (day, n) in days.iter().rev() {
                        li {
                            a href=(format!("/digest?date={day}")) { (day.to_string()) }
                            " — " (n) " " (l.t("مادة", "items"))
                        }
                    }
                }
            }
        },
    )
}

/// The page for an unknown item.
pub(crate) fn not_found_page(ctx: &Ctx) -> Markup {
    let l = ctx.lang;
    ui::page(
        ctx,
        l.t("غير موجود", "Not found"),
        html! { p { (l.t("لا توجد مادة بهذا المعرف.", "No item has this id.")) } },
    )
}
