//! The search page an analyst works in: the form (words, filters, days, order), the active
//! filters each with a link that removes it, the count, the time taken and the export
//! links, the date histogram, hits with their matched words marked and copies of one story
//! folded under the first, pages, and the facets and saved searches beside them.
//!
//! Everything from items, parameters or the store is escaped ([`escape`], [`escape_text`]);
//! user text carries `dir="auto"` and names sit in `<bdi>`, so Arabic and English never
//! interleave. Times are shown in the configured zone (Amman), marked.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write;

use chrono::{DateTime, Utc};
use rasd_core::Config;
use rasd_deliver::{escape, escape_text};
use rasd_search::{DateBucket, Hit};
use rasd_store::SavedSearch;

use crate::pages::{
    POLICE_BADGE, is_web_link, marked_html, page_head, police_name, sentiment_badge, sentiment_name,
};
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

/// Names for ids: topics, places, sources, languages, kinds.
struct Names<'a> {
    config: &'a Config,
}

impl Names<'_> {
    fn topic(&self, id: &str) -> String {
        self.config.topic(id).map_or_else(
            || id.to_string(),
            |t| format!("{} / {}", t.name_ar, t.name_en),
        )
    }
    fn place(&self, id: &str) -> String {
        self.config.places.iter().find(|p| p.id == id).map_or_else(
            || id.to_string(),
            |p| format!("{} / {}", p.name_ar, p.name_en),
        )
    }
    fn source(&self, id: &str) -> String {
        self.config
            .sources
            .iter()
            .find(|s| s.id == id)
            .map_or_else(|| id.to_string(), |s| s.name.clone())
    }
    fn lang(code: &str) -> String {
        match code {
            "ar" => "العربية / Arabic".into(),
            "en" => "الإنجليزية / English".into(),
            _ => "أخرى / other".into(),
        }
    }
    fn kind(code: &str) -> String {
        match code {
            "article" | "news" => "أخبار / news".into(),
            "comment" => "بلاغات المواطنين / public submissions".into(),
            other => other.into(),
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
                "lang" => Self::lang(v),
                "kind" => Self::kind(v),
                "sentiment" => sentiment_name(v),
                "police" => police_name(v),
                _ => v.to_string(),
            })
            .collect::<Vec<_>>()
            .join("، ")
    }
}

/// A time in the configured zone, its offset marked.
fn local_time(t: DateTime<Utc>, tz: chrono_tz::Tz) -> String {
    let local = t.with_timezone(&tz);
    format!(
        "<time datetime=\"{}\" title=\"توقيت {} / {} time\" dir=\"ltr\">{}</time>",
        escape(&t.to_rfc3339()),
        escape_text(tz.name()),
        escape_text(tz.name()),
        escape(&local.format("%Y-%m-%d %H:%M (UTC%:z)").to_string())
    )
}

fn select(name: &str, label: &str, selected: Option<&str>, items: &[(String, String)]) -> String {
    let mut s = format!(
        "<select name=\"{name}\" aria-label=\"{}\">",
        escape_text(label)
    );
    for (value, text) in items {
        let sel = if selected == Some(value.as_str()) {
            " selected"
        } else {
            ""
        };
        let _ = write!(
            s,
            "<option value=\"{}\"{sel}>{}</option>",
            escape(value),
            escape_text(text)
        );
    }
    s.push_str("</select>");
    s
}

/// The whole search page for `params`, what running them gave, and the saved searches.
pub(crate) fn search_page(
    header: &str,
    config: &Config,
    params: &SearchParams,
    outcome: &Result<Found, Error>,
    saved: &[SavedSearch],
) -> String {
    let names = Names { config };
    let tz = config.settings.tz();
    let mut h = page_head("رصد — بحث · Rasd search", "ar", "rtl", header);
    h.push_str("<main class=\"search\">\n<section class=\"results\">");
    form(&mut h, config, params);
    active_filters(&mut h, &names, params);
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
        Ok(found) => results(&mut h, &names, params, found, tz),
    }
    h.push_str("</section>\n<aside>");
    if let Ok(found) = outcome {
        facets(&mut h, &names, params, found);
    }
    saved_list(&mut h, params, saved);
    h.push_str("</aside>\n</main>\n</body>\n</html>\n");
    h
}

fn form(h: &mut String, config: &Config, params: &SearchParams) {
    let any = |label: &str| (String::new(), label.to_string());
    let topics: Vec<(String, String)> = std::iter::once(any("كل المواضيع / all topics"))
        .chain(
            config
                .topics
                .iter()
                .map(|t| (t.id.clone(), format!("{} / {}", t.name_ar, t.name_en))),
        )
        .collect();
    let govs: Vec<(String, String)> = std::iter::once(any("كل المحافظات / all governorates"))
        .chain(
            config
                .places
                .iter()
                .filter(|p| p.kind == rasd_core::PlaceKind::Governorate)
                .map(|p| (p.id.clone(), format!("{} / {}", p.name_ar, p.name_en))),
        )
        .collect();
    let langs = vec![
        any("كل اللغات / all languages"),
        ("ar".into(), Names::lang("ar")),
        ("en".into(), Names::lang("en")),
        ("other".into(), Names::lang("other")),
    ];
    let sentiments: Vec<(String, String)> = std::iter::once(any("كل المشاعر / any sentiment"))
        .chain(
            rasd_core::Polarity::ALL
                .iter()
                .map(|p| (p.as_str().to_string(), sentiment_name(p.as_str()))),
        )
        .collect();
    let police = vec![
        any("الشرطة: الكل / police: all"),
        ("yes".into(), police_name("yes")),
        ("no".into(), police_name("no")),
    ];
    let kinds = vec![
        any("كل الأنواع / all kinds"),
        ("article".into(), Names::kind("article")),
        ("comment".into(), Names::kind("comment")),
    ];
    let sorts = vec![
        any("الترتيب: الأنسب / order: relevance"),
        ("date".into(), "الأحدث أولاً / newest first".into()),
    ];
    let _ = write!(
        h,
        "<form class=\"q\" method=\"get\" action=\"/search\">\
         <input type=\"search\" name=\"q\" dir=\"auto\" value=\"{}\" placeholder=\"ابحث… / search…\" \
         aria-label=\"البحث / Search\" autofocus>\
         <button type=\"submit\">بحث / Search</button>\
         <div class=\"filters\">{}{}{}{}{}{}{}\
         <label>من / from <input type=\"date\" name=\"after\" value=\"{}\"></label>\
         <label>إلى / to <input type=\"date\" name=\"before\" value=\"{}\"></label></div>",
        escape_text(&params.q),
        select("topic", "الموضوع / Topic", param(params, "topic"), &topics),
        select(
            "place",
            "المحافظة / Governorate",
            param(params, "place"),
            &govs
        ),
        select("lang", "اللغة / Language", param(params, "lang"), &langs),
        select(
            "sentiment",
            "المشاعر / Sentiment",
            param(params, "sentiment"),
            &sentiments
        ),
        select(
            "police",
            "الشرطة / Police",
            param(params, "police"),
            &police
        ),
        select("kind", "النوع / Kind", param(params, "kind"), &kinds),
        select("sort", "الترتيب / Order", param(params, "sort"), &sorts),
        escape(param(params, "after").unwrap_or_default()),
        escape(param(params, "before").unwrap_or_default()),
    );
    // Filters the form has no control for travel with it, so the next search keeps them.
    for name in ["source", "saved"] {
        if let Some(v) = param(params, name) {
            let _ = write!(
                h,
                "<input type=\"hidden\" name=\"{name}\" value=\"{}\">",
                escape(v)
            );
        }
    }
    if let Some(size) = params.size.or(params.limit) {
        let _ = write!(h, "<input type=\"hidden\" name=\"size\" value=\"{size}\">");
    }
    h.push_str("</form>");
}

/// The filters in force, each with a link that removes it, and a link that clears all.
fn active_filters(h: &mut String, names: &Names<'_>, params: &SearchParams) {
    let labels = [
        ("saved", "بحث محفوظ / saved"),
        ("topic", "الموضوع / topic"),
        ("place", "المحافظة / governorate"),
        ("source", "المصدر / source"),
        ("lang", "اللغة / language"),
        ("sentiment", "المشاعر / sentiment"),
        ("police", "الشرطة / police"),
        ("kind", "النوع / kind"),
        ("after", "من / from"),
        ("before", "إلى / to"),
        ("sort", "الترتيب / order"),
    ];
    let active: Vec<(&str, &str, &str)> = labels
        .iter()
        .filter_map(|(name, label)| param(params, name).map(|v| (*name, *label, v)))
        .collect();
    if active.is_empty() {
        return;
    }
    h.push_str("<ul class=\"active\" aria-label=\"الفلاتر المطبقة / Filters in force\">");
    for (name, label, value) in active {
        let shown = if name == "sort" {
            "الأحدث أولاً / newest first".to_string()
        } else {
            names.of(name, value)
        };
        let _ = write!(
            h,
            "<li><span>{}: <bdi>{}</bdi></span> <a href=\"{}\" title=\"إزالة / remove\" \
             aria-label=\"إزالة {} / remove\">×</a></li>",
            escape_text(label),
            escape_text(&shown),
            escape(&url_with("/search", params, &[(name, None)], 1)),
            escape_text(label)
        );
    }
    let _ = write!(
        h,
        "<li><a href=\"{}\">مسح الكل / clear all</a></li></ul>",
        escape(&url_with(
            "/search",
            &SearchParams::default(),
            &[("q", Some(params.q.trim()))],
            1
        ))
    );
}

fn results(
    h: &mut String,
    names: &Names<'_>,
    params: &SearchParams,
    found: &Found,
    tz: chrono_tz::Tz,
) {
    let r = &found.results;
    let size = params.size().unwrap_or(20);
    let page = params.offset().unwrap_or(0) / size + 1;
    let pages = r.total.div_ceil(size).max(1);
    let export = |format: &str| url_with("/api/v1/search", params, &[("format", Some(format))], 1);
    let _ = write!(
        h,
        "<p class=\"meta summary\"><span dir=\"ltr\">{}</span> نتيجة / results · صفحة / page \
         <span dir=\"ltr\">{page} / {pages}</span> · <span dir=\"ltr\">{:.1} ms</span> · \
         تصدير / export: <a href=\"{}\">CSV</a> <a href=\"{}\">JSONL</a></p>",
        r.total,
        found.took_ms,
        escape(&export("csv")),
        escape(&export("jsonl")),
    );
    histogram(h, params, &r.facets.by_date, r.facets.by_date_unit);
    if r.hits.is_empty() {
        if r.total > 0 {
            let _ = write!(
                h,
                "<p>لا نتائج في هذه الصفحة. / No results on this page. <a href=\"{}\">الصفحة الأولى / first page</a></p>",
                escape(&url_with("/search", params, &[], 1))
            );
        } else {
            h.push_str("<p>لا نتائج. / No results.</p>");
        }
    }
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
    for (lead, copies) in &groups {
        hit_html(h, names, lead, tz);
        if !copies.is_empty() {
            let _ = write!(
                h,
                "<details class=\"copies\"><summary><span dir=\"ltr\">+{}</span> من الخبر نفسه / \
                 more of the same story</summary><ul>",
                copies.len()
            );
            for c in copies {
                let _ = write!(
                    h,
                    "<li><a href=\"/item/{}\" dir=\"auto\">{}</a> <span class=\"meta\"><bdi>{}</bdi> · {}</span></li>",
                    escape(&c.id),
                    marked_html(c.title_pieces()),
                    escape_text(&names.source(&c.source)),
                    c.published.map(|t| local_time(t, tz)).unwrap_or_default()
                );
            }
            h.push_str("</ul></details>");
        }
        h.push_str("</div>\n");
    }
    if pages > 1 {
        h.push_str("<nav class=\"pages\" aria-label=\"الصفحات / Pages\">");
        if page > 1 {
            let _ = write!(
                h,
                "<a href=\"{}\" rel=\"prev\">→ السابقة / previous</a>",
                escape(&url_with("/search", params, &[], page - 1))
            );
        }
        let _ = write!(h, " <span dir=\"ltr\">{page} / {pages}</span> ");
        if page < pages {
            let _ = write!(
                h,
                "<a href=\"{}\" rel=\"next\">التالية / next ←</a>",
                escape(&url_with("/search", params, &[], page + 1))
            );
        }
        h.push_str("</nav>");
    }
}

/// One hit, its `div` left open for the copies folded under it.
fn hit_html(h: &mut String, names: &Names<'_>, hit: &Hit, tz: chrono_tz::Tz) {
    let title = if hit.title.is_empty() {
        escape_text("(بلا عنوان / untitled)")
    } else {
        marked_html(hit.title_pieces())
    };
    let mut title_html = format!(
        "<a href=\"/item/{}\" dir=\"auto\">{title}</a>",
        escape(&hit.id)
    );
    if is_web_link(&hit.url) {
        let _ = write!(
            title_html,
            " <a class=\"meta\" href=\"{}\" rel=\"noopener noreferrer\">↗ المصدر / original</a>",
            escape(&hit.url)
        );
    }
    let _ = write!(
        h,
        "<div class=\"hit\"><h3>{title_html}</h3><div class=\"meta\"><bdi>{}</bdi> · {}</div>\
         <p dir=\"auto\">{}</p><div>",
        escape_text(&names.source(&hit.source)),
        hit.published.map(|t| local_time(t, tz)).unwrap_or_default(),
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
            escape_text(&names.topic(t))
        );
    }
    for p in &hit.places {
        let _ = write!(
            h,
            "<span class=\"tag\" dir=\"auto\">{}</span>",
            escape_text(&names.place(p))
        );
    }
    h.push_str("</div>");
}

/// The date histogram as an inline SVG: a bar per day (or hour), each a link that narrows
/// the search to its day.
fn histogram(h: &mut String, params: &SearchParams, buckets: &[DateBucket], unit: &str) {
    if buckets.len() < 2 {
        return;
    }
    let max = buckets.iter().map(|b| b.count).max().unwrap_or(0).max(1);
    let (width, height) = (600.0_f64, 60.0_f64);
    let step = width / buckets.len() as f64;
    let _ = write!(
        h,
        "<figure class=\"histogram\"><svg viewBox=\"0 0 {width} {}\" role=\"img\" \
         aria-label=\"النتائج عبر الزمن / Results over time\" preserveAspectRatio=\"none\">",
        height + 2.0
    );
    for (i, b) in buckets.iter().enumerate() {
        let bar = (b.count as f64 / max as f64 * height).max(if b.count > 0 { 1.0 } else { 0.0 });
        let rect = format!(
            "<rect x=\"{:.2}\" y=\"{:.2}\" width=\"{:.2}\" height=\"{bar:.2}\" fill=\"#0d3b66\"><title>{}: {}</title></rect>",
            i as f64 * step,
            height - bar,
            (step * 0.85).max(0.5),
            escape_text(&b.label),
            b.count
        );
        if unit == "day" && b.count > 0 {
            let _ = write!(
                h,
                "<a href=\"{}\">{rect}</a>",
                escape(&url_with(
                    "/search",
                    params,
                    &[("after", Some(&b.label)), ("before", Some(&b.label))],
                    1
                ))
            );
        } else {
            h.push_str(&rect);
        }
    }
    let (first, last) = (&buckets[0].label, &buckets[buckets.len() - 1].label);
    let _ = write!(
        h,
        "</svg><figcaption class=\"meta\" dir=\"ltr\">{} — {} · {}</figcaption></figure>",
        escape_text(first),
        escape_text(last),
        if unit == "hour" {
            "per hour / لكل ساعة"
        } else {
            "per day / لكل يوم"
        }
    );
}

fn facet_list(
    h: &mut String,
    title: &str,
    key: &str,
    counts: &BTreeMap<String, u64>,
    label: impl Fn(&str) -> String,
    params: &SearchParams,
    cap: usize,
) {
    if counts.is_empty() {
        return;
    }
    let _ = write!(h, "<h4>{title}</h4><ul>");
    let mut v: Vec<(&String, &u64)> = counts.iter().collect();
    v.sort_by(|a, b| b.1.cmp(a.1).then_with(|| a.0.cmp(b.0)));
    let more = v.len().saturating_sub(cap);
    for (k, n) in v.into_iter().take(cap) {
        let chosen = param(params, key) == Some(k.as_str());
        let _ = write!(
            h,
            "<li{}><a href=\"{}\"><bdi>{}</bdi></a> <span class=\"meta\" dir=\"ltr\">{n}</span></li>",
            if chosen { " class=\"chosen\"" } else { "" },
            escape(&url_with("/search", params, &[(key, Some(k))], 1)),
            escape_text(&label(k))
        );
    }
    if more > 0 {
        let _ = write!(
            h,
            "<li class=\"meta\">… <span dir=\"ltr\">{more}</span> أخرى / more</li>"
        );
    }
    h.push_str("</ul>");
}

fn facets(h: &mut String, names: &Names<'_>, params: &SearchParams, found: &Found) {
    let f = &found.results.facets;
    let all = usize::MAX;
    facet_list(
        h,
        "الموضوع / Topic",
        "topic",
        &f.by_topic,
        |k| names.topic(k),
        params,
        all,
    );
    facet_list(
        h,
        "المحافظة / Governorate",
        "place",
        &f.by_place,
        |k| names.place(k),
        params,
        all,
    );
    facet_list(
        h,
        "المشاعر / Sentiment",
        "sentiment",
        &f.by_sentiment,
        sentiment_name,
        params,
        all,
    );
    facet_list(
        h,
        "الشرطة / Police",
        "police",
        &f.by_police,
        police_name,
        params,
        all,
    );
    facet_list(
        h,
        "اللغة / Language",
        "lang",
        &f.by_lang,
        Names::lang,
        params,
        all,
    );
    facet_list(
        h,
        "المصدر / Source",
        "source",
        &f.by_source,
        |k| names.source(k),
        params,
        SOURCES_SHOWN,
    );
}

fn saved_list(h: &mut String, params: &SearchParams, saved: &[SavedSearch]) {
    if saved.is_empty() {
        return;
    }
    h.push_str("<h4>عمليات بحث محفوظة / Saved searches</h4><ul>");
    for s in saved {
        let chosen = param(params, "saved") == Some(s.name.as_str());
        let _ = write!(
            h,
            "<li{}><a href=\"{}\" title=\"{}\"><bdi>{}</bdi></a></li>",
            if chosen { " class=\"chosen\"" } else { "" },
            escape(&url_with(
                "/search",
                &SearchParams::default(),
                &[("saved", Some(&s.name))],
                1
            )),
            escape_text(&s.query),
            escape_text(&s.name)
        );
    }
    h.push_str("</ul>");
}
