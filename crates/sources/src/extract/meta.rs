//! Page metadata: `<meta>` tags, JSON-LD, `<time>`, `<link>`.

use chrono::{DateTime, Datelike, Utc};
use serde_json::Value;

use super::dom::{AttrName, Dom, Tag};
use crate::dates::parse_date;
use crate::html;

/// What the page says about itself.
#[derive(Debug, Default)]
pub(crate) struct Meta {
    pub title: Option<String>,
    pub published: Option<DateTime<Utc>>,
    pub author: Option<String>,
    pub lead_image: Option<String>,
    pub lang: Option<String>,
    pub canonical: Option<String>,
    /// The JSON-LD `articleBody` as written (plain text or HTML), when there is one.
    pub ld_body: Option<String>,
}

const DATE_KEYS: &[&str] = &[
    "article:published_time",
    "og:published_time",
    "datepublished",
    "pubdate",
    "publishdate",
    "publish-date",
    "publish_date",
    "dc.date.issued",
    "dc.date",
    "dcterms.created",
    "parsely-pub-date",
    "sailthru.date",
];

const AUTHOR_KEYS: &[&str] = &[
    "author",
    "article:author",
    "dc.creator",
    "parsely-author",
    "sailthru.author",
];

/// Letters and digits, lower-cased: what two titles are compared on.
pub(crate) fn title_key(text: &str) -> String {
    text.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// The separators that set a site's name apart in `<title>`.
pub(crate) fn title_parts(title: &str) -> impl Iterator<Item = &str> {
    title
        .split(['|', '–', '—', '»', '«', '·'])
        .flat_map(|p| p.split(" - "))
        .flat_map(|p| p.split(" :: "))
        .map(str::trim)
        .filter(|p| !p.is_empty())
}

/// Whether `key` (a [`title_key`]) is the site's name: the head or tail of the whole
/// `<title>`'s key, and not its headline part (the longest part, which may be a head too).
pub(crate) fn is_site_name(whole: &str, headline_part: Option<&str>, key: &str) -> bool {
    whole.len() > key.len()
        && (whole.starts_with(key) || whole.ends_with(key))
        && headline_part != Some(key)
}

/// The longest part of a `<title>` ("headline | site" gives the headline).
fn longest_part(title: &str) -> Option<String> {
    title_parts(title)
        .max_by_key(|p| p.chars().count())
        .map(str::to_string)
}

impl Meta {
    pub fn read(dom: &Dom, url: &str) -> Meta {
        let metas = metas(dom);
        let find = |keys: &[&str]| -> Option<&str> {
            keys.iter()
                .find_map(|k| metas.iter().find(|(key, _)| key == k).map(|(_, c)| *c))
        };
        let ld = json_ld(dom);
        let article = pick_ld_article(&ld);
        let base = url::Url::parse(url).ok();

        // `<title>` is often "headline | site": an `og:title` that is only the site's name
        // (blogs set it so) is no headline, nor is an `h1` that is (the site's logo);
        // `<title>` itself gives its longest part.
        let page_title = dom.title.as_deref().unwrap_or("");
        let whole = title_key(page_title);
        let headline_part = longest_part(page_title).map(|p| title_key(&p));
        let site_name = |t: &str| is_site_name(&whole, headline_part.as_deref(), &title_key(t));
        let title = find(&["og:title", "twitter:title"])
            .map(|t| html::one_line(t, false))
            .filter(|t| !t.is_empty() && !site_name(t))
            .or_else(|| {
                dom.elements(Tag::H1)
                    .map(|h| dom.inner_text(h))
                    .find(|t| !t.is_empty() && !site_name(t))
            })
            .or_else(|| {
                article
                    .and_then(|a| a.get("headline")?.as_str())
                    .map(|t| html::one_line(t, false))
                    .filter(|t| !t.is_empty())
            })
            .or_else(|| longest_part(page_title))
            .or_else(|| {
                find(&["og:title", "twitter:title"])
                    .map(|t| html::one_line(t, false))
                    .filter(|t| !t.is_empty())
            });

        // Placeholder dates (`0001-01-01`, far futures) are refused, and the next source tried.
        let plausible =
            |d: DateTime<Utc>| d.year() >= 1990 && d <= Utc::now() + chrono::Duration::days(2);
        let date = |raw: &str| parse_date(raw).filter(|d| plausible(*d));
        let published = find(DATE_KEYS)
            .and_then(date)
            .or_else(|| {
                article
                    .and_then(|a| a.get("datePublished")?.as_str())
                    .and_then(date)
            })
            .or_else(|| {
                dom.nodes.iter().enumerate().find_map(|(i, n)| {
                    n.tag?;
                    let i = i as u32;
                    if dom.attr(i, AttrName::Itemprop) != Some("datePublished") {
                        return None;
                    }
                    dom.attr(i, AttrName::Content)
                        .or(dom.attr(i, AttrName::Datetime))
                        .and_then(date)
                })
            })
            .or_else(|| {
                dom.elements(Tag::Time)
                    .find_map(|t| dom.attr(t, AttrName::Datetime).and_then(date))
            });

        let author = find(AUTHOR_KEYS)
            .filter(|a| !a.starts_with("http://") && !a.starts_with("https://"))
            .map(str::to_string)
            .or_else(|| article.and_then(|a| ld_author(a.get("author")?)))
            .map(|a| html::one_line(&a, false))
            .filter(|a| !a.is_empty());

        let absolute = |href: &str| -> Option<String> {
            let href = href.trim();
            if href.is_empty() || href.starts_with("data:") {
                return None;
            }
            let u = match &base {
                Some(b) => b.join(href).ok()?,
                None => url::Url::parse(href).ok()?,
            };
            matches!(u.scheme(), "http" | "https").then(|| u.to_string())
        };

        let lead_image = find(&[
            "og:image",
            "og:image:url",
            "og:image:secure_url",
            "twitter:image",
            "twitter:image:src",
        ])
        .and_then(absolute)
        .or_else(|| {
            article
                .and_then(|a| ld_image(a.get("image")?))
                .and_then(|s| absolute(&s))
        })
        .or_else(|| link_href(dom, "image_src").and_then(absolute));

        let lang = dom
            .html_lang
            .clone()
            .or_else(|| {
                dom.elements(Tag::Meta).find_map(|m| {
                    dom.attr(m, AttrName::HttpEquiv)
                        .filter(|h| h.eq_ignore_ascii_case("content-language"))?;
                    dom.attr(m, AttrName::Content).map(str::to_string)
                })
            })
            .or_else(|| {
                find(&["og:locale", "language", "dc.language", "inlanguage"]).map(str::to_string)
            })
            .or_else(|| article.and_then(|a| a.get("inLanguage")?.as_str().map(str::to_string)))
            .map(|l| l.trim().replace('_', "-"))
            .filter(|l| {
                !l.is_empty()
                    && l.len() <= 35
                    && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            });

        let canonical = link_href(dom, "canonical").and_then(absolute);

        let ld_body = article
            .and_then(|a| a.get("articleBody")?.as_str())
            .filter(|b| !b.trim().is_empty())
            .map(str::to_string);

        Meta {
            title,
            published,
            author,
            lead_image,
            lang,
            canonical,
            ld_body,
        }
    }
}

/// `(key, content)` of every `<meta>` with a `property`, `name` or `itemprop`; keys lower-case.
fn metas(dom: &Dom) -> Vec<(String, &str)> {
    dom.elements(Tag::Meta)
        .filter_map(|m| {
            let key = dom
                .attr(m, AttrName::Property)
                .or(dom.attr(m, AttrName::Name))
                .or(dom.attr(m, AttrName::Itemprop))?;
            let content = dom.attr(m, AttrName::Content)?.trim();
            (!content.is_empty()).then(|| (key.trim().to_ascii_lowercase(), content))
        })
        .collect()
}

/// The `href` of the first `<link>` whose `rel` includes `rel`.
fn link_href<'a>(dom: &'a Dom, rel: &str) -> Option<&'a str> {
    dom.elements(Tag::Link).find_map(|l| {
        dom.attr(l, AttrName::Rel)?
            .split_whitespace()
            .any(|r| r.eq_ignore_ascii_case(rel))
            .then(|| dom.attr(l, AttrName::Href))?
    })
}

/// Every JSON-LD object on the page, flattened (arrays and `@graph` opened).
fn json_ld(dom: &Dom) -> Vec<Value> {
    let mut out = Vec::new();
    for raw in &dom.json_ld {
        let mut s = raw.trim();
        for (open, close) in [
            ("<!--", "-->"),
            ("//<![CDATA[", "//]]>"),
            ("<![CDATA[", "]]>"),
        ] {
            if let Some(inner) = s.strip_prefix(open) {
                s = inner.trim_end().strip_suffix(close).unwrap_or(inner).trim();
            }
        }
        if let Ok(v) = serde_json::from_str::<Value>(s) {
            flatten_ld(v, &mut out, 0);
        }
    }
    out
}

fn flatten_ld(v: Value, out: &mut Vec<Value>, depth: usize) {
    if depth > 8 {
        return;
    }
    match v {
        Value::Array(items) => {
            for item in items {
                flatten_ld(item, out, depth + 1);
            }
        }
        Value::Object(mut map) => {
            if let Some(graph) = map.remove("@graph") {
                flatten_ld(graph, out, depth + 1);
            }
            out.push(Value::Object(map));
        }
        _ => {}
    }
}

/// The JSON-LD object describing the article: one whose `@type` ends in `Article`,
/// `BlogPosting` or `Report`, else the first with a `datePublished`.
fn pick_ld_article(objects: &[Value]) -> Option<&Value> {
    let is_article_type =
        |t: &str| t.ends_with("Article") || t.ends_with("BlogPosting") || t.ends_with("Report");
    objects
        .iter()
        .find(|o| match o.get("@type") {
            Some(Value::String(t)) => is_article_type(t),
            Some(Value::Array(ts)) => ts.iter().any(|t| t.as_str().is_some_and(is_article_type)),
            _ => false,
        })
        .or_else(|| objects.iter().find(|o| o.get("datePublished").is_some()))
}

fn ld_author(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Object(o) => o.get("name")?.as_str().map(str::to_string),
        Value::Array(items) => {
            let names: Vec<String> = items.iter().filter_map(ld_author).collect();
            (!names.is_empty()).then(|| names.join(", "))
        }
        _ => None,
    }
}

fn ld_image(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Object(o) => o
            .get("url")
            .or(o.get("contentUrl"))?
            .as_str()
            .map(str::to_string),
        Value::Array(items) => items.iter().find_map(ld_image),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn language_from_meta_when_html_has_none() {
        let dom = Dom::parse(
            r#"<head><meta http-equiv="Content-Language" content="ar-JO"></head><p>نص</p>"#,
        );
        assert_eq!(
            Meta::read(&dom, "https://x.jo/").lang.as_deref(),
            Some("ar-JO")
        );
        let dom = Dom::parse(r#"<meta property="og:locale" content="en_GB"><p>text</p>"#);
        assert_eq!(
            Meta::read(&dom, "https://x.jo/").lang.as_deref(),
            Some("en-GB")
        );
        let dom = Dom::parse(r#"<html lang="{{ lang }}"><p>text</p>"#);
        assert_eq!(Meta::read(&dom, "https://x.jo/").lang, None);
    }

    #[test]
    fn canonical_and_image_resolved_or_refused() {
        let dom = Dom::parse(
            r#"<link rel="canonical" href="//cdn.example.jo/news/5"><meta property="og:image" content="javascript:alert(1)">
<link rel="image_src" href="img/5.png">"#,
        );
        let m = Meta::read(&dom, "https://example.jo/a/b");
        assert_eq!(
            m.canonical.as_deref(),
            Some("https://cdn.example.jo/news/5")
        );
        // A non-http og:image is refused; the next candidate is used.
        assert_eq!(
            m.lead_image.as_deref(),
            Some("https://example.jo/a/img/5.png")
        );
    }

    #[test]
    fn placeholder_dates_are_skipped() {
        let dom = Dom::parse(
            r#"<meta property="article:published_time" content="0001-01-01T00:00:00Z">
<time datetime="2026-11-22T09:00:00+03:00">الأحد</time>"#,
        );
        let m = Meta::read(&dom, "https://example.jo/");
        assert_eq!(
            m.published.map(|d| d.to_rfc3339()).as_deref(),
            Some("2026-11-22T06:00:00+00:00")
        );
    }

    #[test]
    fn json_ld_in_a_comment_and_article_body() {
        let dom = Dom::parse(
            r#"<script type="application/ld+json"><!--
{"@type":["NewsArticle"],"articleBody":"الفقرة الأولى.\n\nالفقرة الثانية.","author":"ليلى"}
--></script>"#,
        );
        let m = Meta::read(&dom, "https://example.jo/");
        assert_eq!(m.author.as_deref(), Some("ليلى"));
        assert_eq!(
            m.ld_body.as_deref(),
            Some("الفقرة الأولى.\n\nالفقرة الثانية.")
        );
        // The body replaces a page that shows only a teaser.
        let page = r#"<script type="application/ld+json">{"@type":"NewsArticle",
"articleBody":"<p>الفقرة الأولى من التقرير الكامل.</p><p>الفقرة الثانية من التقرير الكامل.</p>"}</script>
<div><p>الفقرة الأولى…</p><div class="paywall">اشترك</div></div>"#;
        let x = crate::extract_article(page, "https://example.jo/");
        assert_eq!(
            x.text,
            "الفقرة الأولى من التقرير الكامل.\n\nالفقرة الثانية من التقرير الكامل."
        );
    }
}
