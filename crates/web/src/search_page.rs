//! The search page an analyst works in: the form (words, filters, days, order), the active
//! filters each with a link that removes it, the count, the time taken and the export
//! links, the date histogram, hits with their matched words marked and copies of one story
//! folded under the first, pages, and the facets and saved searches beside them.
//!
//! Written with maud (every value escaped) in the reader's language ([`ui::Ctx`]), with the
//! one header of [`ui::header`]. Text from items, feeds and the store is shown without bidi
//! controls ([`ui::outside`]); user text carries `dir="auto"` and names sit in `<bdi>`, so
//! Arabic and English never interleave. Times are shown in the configured zone (Amman),
//! marked. The date histogram is an inline SVG; no script, no inline style.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use maud::{Markup, html};
use rasd_core::Config;
use rasd_search::{DateBucket, Hit};
use rasd_store::SavedSearch;

use crate::pages::{
    is_web_link, marked, police_badge, police_name, sentiment_badge, sentiment_name,
};
use crate::ui::{self, Ctx, UiLang};
use crate::{Error, Found, SearchParams};

/// Sources listed in the facet before "more".
const SOURCES_SHOWN: usize = 20;

/// The parameters a page link keeps, in the order they are written.
const KEPT: [&str; 12] = [
    "q",
    "saved",
    "topic",
    "place",
    "source",
    "lang",
    "sentiment",
    "police",
    "kind",
    "after",
    "before",
    "sort",
];

fn param<'a>(p: &'a SearchParams, name: &str) -> Option<&'a str> {
    let v = match name {
        "q" => Some(&p.q),
        "saved" => p.saved.as_ref(),
        "topic" => p.topic.as_ref(),
        "place" => p.place.as_ref(),
        "source" => p.source.as_ref(),
        "lang" => p.lang.as_ref(),
        "sentiment" => p.sentiment.as_ref(),
        "police" => p.police.as_ref(),
        "kind" => p.kind.as_ref(),
        "after" => p.after.as_ref(),
        "before" => p.before.as_ref(),
        "sort" => p.sort.as_ref(),
        _ => None,
    };
    v.map(|s| s.trim()).filter(|s| !s.is_empty())
}

/// A link to `path` with the page's parameters, `changes` applied (`None` removes one), the
/// page size kept and the page number set to `page` (1 is left out).
fn url_with(path: &str, p: &SearchParams, changes: &[(&str, Option<&str>)], page: usize) -> String {
    let mut pairs: Vec<(String, String)> = Vec::new();
    for name in KEPT {
        let value = match changes.iter().find(|(k, _)| *k == name) {
            Some((_, v)) => *v,
            None => param(p, name),
        };
        if let Some(v) = value.filter(|v| !v.is_empty()) {
            pairs.push((name.to_string(), v.to_string()));
        }
    }
    if let Some(size) = p.size.or(p.limit).filter(|s| *s != 20) {
        pairs.push(("size".into(), size.to_string()));
    }
    if page > 1 {
        pairs.push(("page".into(), page.to_string()));
    }
    for (k, v) in changes {
        if !KEPT.contains(k)
            && let Some(v) = v
        {
            pairs.push((k.to_string(), v.to_string()));
        }
    }
    let query: Vec<String> = pairs
        .iter()
        .map(|(k, v)| format!("{k}={}", rasd_core::text::url_encode_query(v)))
        .collect();
    if query.is_empty() {
        path.to_string()
    } else {
        format!("{path}?{}", query.join("&"))
    }
}

/// Names for ids in the reader's language, without bidi controls: topics, places, sources,
/// languages, kinds.
struct Names<'a> {
    config: &'a Config,
    l: UiLang,
}

impl Names<'_> {
    fn topic(&self, id: &str) -> String {
        ui::outside(
            self.config
                .topic(id)
                .map_or(id, |t| self.l.t(&t.name_ar, &t.name_en)),
        )
    }
    fn place(&self, id: &str) -> String {
        ui::outside(
            self.config
                .places
                .iter()
                .find(|p| p.id == id)
                .map_or(id, |p| self.l.t(&p.name_ar, &p.name_en)),
        )
    }
    fn source(&self, id: &str) -> String {
        ui::outside(
            self.config
                .sources
                .iter()
                .find(|s| s.id == id)
                .map_or(id, |s| s.name.as_str()),
        )
    }
    fn lang(&self, code: &str) -> String {
        let l = self.l;
        match code {
            "ar" => l.t("العربية", "Arabic"),
            "en" => l.t("الإنجليزية", "English"),
            _ => l.t("أخرى", "other"),
        }
        .to_string()
    }
    fn kind(&self, code: &str) -> String {
        let l = self.l;
        match code {
            "article" | "news" => l.t("أخبار", "news").to_string(),
            "comment" => l.t("بلاغات المواطنين", "public submissions").to_string(),
            other => ui::outside(other),
        }
    }
    /// The label of a filter's value, for the active-filter list.
    fn of(&self, filter: &str, value: &str) -> String {
        value
            .split(',')
            .map(str::trim)
            .map(|v| match filter {
                "topic" => self.topic(v),
                "place" => self.place(v),
                "source" => self.source(v),
                "lang" => self.lang(v),
                "kind" => self.kind(v),
                "sentiment" => sentiment_name(self.l, v),
                "police" => police_name(self.l, v),
                _ => ui::outside(v),
            })
            .collect::<Vec<_>>()
            .join(self.l.t("، ", ", "))
    }
}

/// A time in the configured zone, its offset marked.
fn local_time(t: DateTime<Utc>, tz: chrono_tz::Tz, l: UiLang) -> Markup {
    let local = t.with_timezone(&tz);
    let zone = match l {
        UiLang::Ar => format!("توقيت {}", tz.name()),
        UiLang::En => format!("{} time", tz.name()),
    };
    html! {
        time datetime=(t.to_rfc3339()) title=(zone) dir="ltr" {
            (local.format("%Y-%m-%d %H:%M (UTC%:z)").to_string())
        }
    }
}

fn select(name: &str, label: &str, selected: Option<&str>, items: &[(String, String)]) -> Markup {
    html! {
        select name=(name) aria-label=(label) {
            @for (value, text) in items {
                option value=(value) selected[selected == Some(value.as_str())] { (text) }
            }
        }
    }
}

/// The whole search page for `params`, what running them gave, and the saved searches.
pub(crate) fn search_page(
    ctx: &Ctx,
    config: &Config,
    params: &SearchParams,
    outcome: &Result<Found, Error>,
    saved: &[SavedSearch],
) -> Markup {
    let l = ctx.lang;
    let names = Names { config, l };
    let tz = config.settings.tz();
    let main = html! {
        main.search {
            section.results {
                (form(&names, params))
                (active_filters(&names, params))
                @match outcome {
                    Err(Error::BadRequest(message)) => {
                        p.error dir="auto" role="alert" { (ui::outside(message)) }
                    }
                    Err(Error::Internal(_)) => {
                        p.error role="alert" {
                            (l.t("تعذّر البحث؛ التفاصيل في سجل الخادم.", "The search failed; the server log has the details."))
                        }
                    }
                    Ok(found) => { (results(&names, params, found, tz)) }
                }
            }
            aside {
                @if let Ok(found) = outcome { (facets(&names, params, found)) }
                (saved_list(ctx, params, saved))
            }
        }
    };
    ui::document(ctx, l.t("بحث", "Search"), main)
}

fn form(names: &Names<'_>, params: &SearchParams) -> Markup {
    let (config, l) = (names.config, names.l);
    let any = |label: &str| (String::new(), label.to_string());
    let topics: Vec<(String, String)> = std::iter::once(any(l.t("كل المواضيع", "all topics")))
        .chain(
            config
                .topics
                .iter()
                .map(|t| (t.id.clone(), names.topic(&t.id))),
        )
        .collect();
    let govs: Vec<(String, String)> = std::iter::once(any(l.t("كل المحافظات", "all governorates")))
        .chain(
            config
                .places
                .iter()
                .filter(|p| p.kind == rasd_core::PlaceKind::Governorate)
                .map(|p| (p.id.clone(), names.place(&p.id))),
        )
        .collect();
    let langs: Vec<(String, String)> = std::iter::once(any(l.t("كل اللغات", "all languages")))
        .chain(
            ["ar", "en", "other"]
                .iter()
                .map(|c| (c.to_string(), names.lang(c))),
        )
        .collect();
    let sentiments: Vec<(String, String)> =
        std::iter::once(any(l.t("كل المشاعر", "any sentiment")))
            .chain(
                rasd_core::Polarity::ALL
                    .iter()
                    .map(|p| (p.as_str().to_string(), sentiment_name(l, p.as_str()))),
            )
            .collect();
    let police: Vec<(String, String)> = std::iter::once(any(l.t("الشرطة: الكل", "police: all")))
        .chain(
            ["yes", "no"]
                .iter()
                .map(|f| (f.to_string(), police_name(l, f))),
        )
        .collect();
    let kinds: Vec<(String, String)> = std::iter::once(any(l.t("كل الأنواع", "all kinds")))
        .chain(
            ["article", "comment"]
                .iter()
                .map(|k| (k.to_string(), names.kind(k))),
        )
        .collect();
    let sorts = vec![
        any(l.t("الترتيب: الأنسب", "order: relevance")),
        ("date".into(), l.t("الأحدث أولاً", "newest first").into()),
    ];
    html! {
        form.q method="get" action="/search" {
            input type="search" name="q" dir="auto" value=(ui::outside(&params.q))
                placeholder=(l.t("ابحث…", "search…")) aria-label=(l.t("البحث", "Search")) autofocus;
            button type="submit" { (l.t("بحث", "Search")) }
            div.filters {
                (select("topic", l.t("الموضوع", "Topic"), param(params, "topic"), &topics))
                (select("place", l.t("المحافظة", "Governorate"), param(params, "place"), &govs))
                (select("lang", l.t("اللغة", "Language"), param(params, "lang"), &langs))
                (select("sentiment", l.t("المشاعر", "Sentiment"), param(params, "sentiment"), &sentiments))
                (select("police", l.t("الشرطة", "Police"), param(params, "police"), &police))
                (select("kind", l.t("النوع", "Kind"), param(params, "kind"), &kinds))
                (select("sort", l.t("الترتيب", "Order"), param(params, "sort"), &sorts))
                label { (l.t("من", "from")) " " input type="date" name="after" value=(param(params, "after").unwrap_or_default()); }
                label { (l.t("إلى", "to")) " " input type="date" name="before" value=(param(params, "before").unwrap_or_default()); }
            }
            // Filters the form has no control for travel with it, so the next search keeps them.
            @for name in ["source", "saved"] {
                @if let Some(v) = param(params, name) {
                    input type="hidden" name=(name) value=(v);
                }
            }
            @if let Some(size) = params.size.or(params.limit) {
                input type="hidden" name="size" value=(size);
            }
        }
    }
}

/// The filters in force, each with a link that removes it, and a link that clears all.
fn active_filters(names: &Names<'_>, params: &SearchParams) -> Markup {
    let l = names.l;
    let labels = [
        ("saved", l.t("بحث محفوظ", "saved")),
        ("topic", l.t("الموضوع", "topic")),
        ("place", l.t("المحافظة", "governorate")),
        ("source", l.t("المصدر", "source")),
        ("lang", l.t("اللغة", "language")),
        ("sentiment", l.t("المشاعر", "sentiment")),
        ("police", l.t("الشرطة", "police")),
        ("kind", l.t("النوع", "kind")),
        ("after", l.t("من", "from")),
        ("before", l.t("إلى", "to")),
        ("sort", l.t("الترتيب", "order")),
    ];
    let active: Vec<(&str, &str, String)> = labels
        .iter()
        .filter_map(|(name, label)| {
            param(params, name).map(|v| {
                let shown = if *name == "sort" {
                    l.t("الأحدث أولاً", "newest first").to_string()
                } else {
                    names.of(name, v)
                };
                (*name, *label, shown)
            })
        })
        .collect();
    let remove = l.t("إزالة", "remove");
    html! {
        @if !active.is_empty() {
            ul.active aria-label=(l.t("الفلاتر المطبقة", "Filters in force")) {
                @for (name, label, shown) in &active {
                    li {
                        span { (label) ": " bdi { (shown) } }
                        " "
                        a href=(url_with("/search", params, &[(name, None)], 1)) title=(remove)
                            aria-label=(format!("{remove} {label}")) { "×" }
                    }
                }
                li {
                    a href=(url_with("/search", &SearchParams::default(), &[("q", Some(params.q.trim()))], 1)) {
                        (l.t("مسح الكل", "clear all"))
                    }
                }
            }
        }
    }
}

fn results(names: &Names<'_>, params: &SearchParams, found: &Found, tz: chrono_tz::Tz) -> Markup {
    let l = names.l;
    let r = &found.results;
    let size = params.size().unwrap_or(20);
    let page = params.offset().unwrap_or(0) / size + 1;
    let pages = r.total.div_ceil(size).max(1);
    let export = |format: &str| url_with("/api/v1/search", params, &[("format", Some(format))], 1);
    // Copies of one story (the same story number, or the same title) fold under the first.
    let mut groups: Vec<(&Hit, Vec<&Hit>)> = Vec::new();
    let mut lead_of: HashMap<String, usize> = HashMap::new();
    for hit in &r.hits {
        let keys = [
            found.stories.get(&hit.id).map(|s| format!("story:{s}")),
            Some(format!(
                "title:{}",
                rasd_core::text::normalize_for_matching(&hit.title)
            ))
            .filter(|t| t.len() > "title:".len()),
        ];
        match keys.iter().flatten().find_map(|k| lead_of.get(k).copied()) {
            Some(g) => groups[g].1.push(hit),
            None => {
                for k in keys.into_iter().flatten() {
                    lead_of.insert(k, groups.len());
                }
                groups.push((hit, Vec::new()));
            }
        }
    }
    html! {
        p.meta.summary {
            span dir="ltr" { (r.total) } " " (l.t("نتيجة", "results"))
            " · " (l.t("صفحة", "page")) " " span dir="ltr" { (page) " / " (pages) }
            " · " span dir="ltr" { (format!("{:.1} ms", found.took_ms)) }
            " · " (l.t("تصدير", "export")) ": "
            a href=(export("csv")) { "CSV" } " " a href=(export("jsonl")) { "JSONL" }
        }
        (histogram(l, params, &r.facets.by_date, r.facets.by_date_unit))
        @if r.hits.is_empty() {
            @if r.total > 0 {
                p {
                    (l.t("لا نتائج في هذه الصفحة.", "No results on this page.")) " "
                    a href=(url_with("/search", params, &[], 1)) { (l.t("الصفحة الأولى", "first page")) }
                }
            } @else {
                p { (l.t("لا نتائج.", "No results.")) }
            }
        }
        @for (lead, copies) in &groups {
            div.hit {
                (hit_html(names, lead, tz))
                @if !copies.is_empty() {
                    details.copies {
                        summary {
                            span dir="ltr" { "+" (copies.len()) } " "
                            (l.t("من الخبر نفسه", "more of the same story"))
                        }
                        ul {
                            @for c in copies {
                                li {
                                    a href=(format!("/item/{}", c.id)) dir="auto" { (marked(c.title_pieces())) }
                                    " "
                                    span.meta {
                                        bdi { (names.source(&c.source)) } " · "
                                        @if let Some(t) = c.published { (local_time(t, tz, l)) }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        @if pages > 1 {
            nav.pages aria-label=(l.t("الصفحات", "Pages")) {
                @if page > 1 {
                    a href=(url_with("/search", params, &[], page - 1)) rel="prev" {
                        (l.t("→ السابقة", "← previous"))
                    }
                }
                " " span dir="ltr" { (page) " / " (pages) } " "
                @if page < pages {
                    a href=(url_with("/search", params, &[], page + 1)) rel="next" {
                        (l.t("التالية ←", "next →"))
                    }
                }
            }
        }
    }
}

/// One hit: its title (linked to the item page, and to the original when it is a web
/// link), source and time, snippet and tags.
fn hit_html(names: &Names<'_>, hit: &Hit, tz: chrono_tz::Tz) -> Markup {
    let l = names.l;
    html! {
        h3 {
            a href=(format!("/item/{}", hit.id)) dir="auto" {
                @if hit.title.is_empty() { (l.t("(بلا عنوان)", "(untitled)")) }
                @else { (marked(hit.title_pieces())) }
            }
            @if is_web_link(&hit.url) {
                " "
                a.meta href=(hit.url) rel="noopener noreferrer" { "↗ " (l.t("المصدر", "original")) }
            }
        }
        div.meta {
            bdi { (names.source(&hit.source)) } " · "
            @if let Some(t) = hit.published { (local_time(t, tz, l)) }
        }
        p dir="auto" { (marked(hit.snippet_pieces())) }
        div {
            @if let Some(tag) = &hit.sentiment { (sentiment_badge(l, tag)) }
            @if hit.about_police { (police_badge(l)) }
            @for t in &hit.topics { span.tag dir="auto" { (names.topic(t)) } }
            @for p in &hit.places { span.tag dir="auto" { (names.place(p)) } }
        }
    }
}

/// The date histogram as an inline SVG: a bar per day (or hour), each a link that narrows
/// the search to its day.
fn histogram(l: UiLang, params: &SearchParams, buckets: &[DateBucket], unit: &str) -> Markup {
    if buckets.len() < 2 {
        return html! {};
    }
    let max = buckets.iter().map(|b| b.count).max().unwrap_or(0).max(1);
    let (width, height) = (600.0_f64, 60.0_f64);
    let step = width / buckets.len() as f64;
    let bar = |i: usize, b: &DateBucket| {
        let bar = (b.count as f64 / max as f64 * height).max(if b.count > 0 { 1.0 } else { 0.0 });
        html! {
            rect x=(format!("{:.2}", i as f64 * step)) y=(format!("{:.2}", height - bar))
                width=(format!("{:.2}", (step * 0.85).max(0.5))) height=(format!("{bar:.2}"))
                fill="#0d3b66" {
                title { (ui::outside(&b.label)) ": " (b.count) }
            }
        }
    };
    let (first, last) = (&buckets[0].label, &buckets[buckets.len() - 1].label);
    html! {
        figure.histogram {
            svg viewBox=(format!("0 0 {width} {}", height + 2.0)) role="img"
                aria-label=(l.t("النتائج عبر الزمن", "Results over time")) preserveAspectRatio="none" {
                @for (i, b) in buckets.iter().enumerate() {
                    @if unit == "day" && b.count > 0 {
                        a href=(url_with("/search", params, &[("after", Some(&b.label)), ("before", Some(&b.label))], 1)) {
                            (bar(i, b))
                        }
                    } @else {
                        (bar(i, b))
                    }
                }
            }
            figcaption.meta dir="ltr" {
                (ui::outside(first)) " — " (ui::outside(last)) " · "
                (if unit == "hour" { l.t("لكل ساعة", "per hour") } else { l.t("لكل يوم", "per day") })
            }
        }
    }
}

/// One facet: its values, most items first, each a link that filters by it.
fn facet_list(
    title: &str,
    key: &str,
    counts: &BTreeMap<String, u64>,
    label: impl Fn(&str) -> String,
    params: &SearchParams,
    cap: usize,
    l: UiLang,
) -> Markup {
    let mut v: Vec<(&String, &u64)> = counts.iter().collect();
    v.sort_by(|a, b| b.1.cmp(a.1).then_with(|| a.0.cmp(b.0)));
    let more = v.len().saturating_sub(cap);
    html! {
        @if !counts.is_empty() {
            h4 { (title) }
            ul {
                @for (k, n) in v.into_iter().take(cap) {
                    li class=[(param(params, key) == Some(k.as_str())).then_some("chosen")] {
                        a href=(url_with("/search", params, &[(key, Some(k))], 1)) { bdi { (label(k)) } }
                        " "
                        span.meta dir="ltr" { (n) }
                    }
                }
                @if more > 0 {
                    li.meta { "… " span dir="ltr" { (more) } " " (l.t("أخرى", "more")) }
                }
            }
        }
    }
}

fn facets(names: &Names<'_>, params: &SearchParams, found: &Found) -> Markup {
    let l = names.l;
    let f = &found.results.facets;
    let all = usize::MAX;
    html! {
        (facet_list(l.t("الموضوع", "Topic"), "topic", &f.by_topic, |k| names.topic(k), params, all, l))
        (facet_list(l.t("المحافظة", "Governorate"), "place", &f.by_place, |k| names.place(k), params, all, l))
        (facet_list(l.t("المشاعر", "Sentiment"), "sentiment", &f.by_sentiment, |k| sentiment_name(l, k), params, all, l))
        (facet_list(l.t("الشرطة", "Police"), "police", &f.by_police, |k| police_name(l, k), params, all, l))
        (facet_list(l.t("اللغة", "Language"), "lang", &f.by_lang, |k| names.lang(k), params, all, l))
        (facet_list(l.t("المصدر", "Source"), "source", &f.by_source, |k| names.source(k), params, SOURCES_SHOWN, l))
    }
}

fn saved_list(ctx: &Ctx, params: &SearchParams, saved: &[SavedSearch]) -> Markup {
    let l = ctx.lang;
    let who = ctx.who.as_ref();
    let owns = |s: &SavedSearch| {
        who.is_some_and(|w| {
            s.owner.as_deref() == Some(w.user.name.as_str())
                || s.owner.is_none()
                || w.role.can(crate::auth::Perm::Admin)
        })
    };
    // The search as shown, to save under a name (the filters as the page has them).
    let kept: Vec<(&str, String)> = [
        ("q", Some(params.q.clone())),
        ("lang", params.lang.clone()),
        ("topic", params.topic.clone()),
        ("place", params.place.clone()),
        ("source", params.source.clone()),
        ("sentiment", params.sentiment.clone()),
        ("police", params.police.clone()),
        ("kind", params.kind.clone()),
    ]
    .into_iter()
    .filter_map(|(k, v)| v.filter(|v| !v.trim().is_empty()).map(|v| (k, v)))
    .collect();
    html! {
        @if !saved.is_empty() {
            h4 { (l.t("عمليات بحث محفوظة", "Saved searches")) }
            ul.saved {
                @for s in saved {
                    li class=[(param(params, "saved") == Some(s.name.as_str())).then_some("chosen")] {
                        a href=(url_with("/search", &SearchParams::default(), &[("saved", Some(&s.name))], 1))
                            title=(ui::outside(&s.query)) {
                            bdi { (ui::outside(&s.name)) }
                        }
                        @if let Some(owner) = &s.owner { " " span.meta { "(" bdi { (owner) } ")" } }
                        @if let (Some(w), true) = (who, owns(s)) {
                            form.inline method="post" action="/searches" {
                                input type="hidden" name="csrf" value=(w.csrf());
                                input type="hidden" name="name" value=(s.name);
                                button type="submit" name="action" value="remove" title=(l.t("حذف", "Remove")) { "×" }
                            }
                        }
                    }
                }
            }
        }
        @if let Some(w) = who {
            @if !kept.is_empty() {
                form.stack.save method="post" action="/searches" {
                    input type="hidden" name="csrf" value=(w.csrf());
                    @for (k, v) in &kept { input type="hidden" name=(k) value=(v); }
                    label for="save-name" { (l.t("احفظ هذا البحث باسم", "Save this search as")) }
                    input #save-name type="text" name="name" maxlength="100" required dir="auto";
                    button type="submit" name="action" value="save" { (l.t("حفظ", "Save")) }
                }
            }
        }
    }
}
