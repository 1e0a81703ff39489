//! Feeds: RSS 0.9x/1.0/2.0, Atom and JSON Feed, read with feed-rs, turned into [`Item`]s.
//!
//! Bytes are decoded by [`crate::encoding`] first (so an undeclared windows-1256 feed works)
//! and the XML prolog is rewritten to say UTF-8 before feed-rs sees them.
//!
//! **Entry identity** (stable across fetches):
//! 1. the entry's link (the first `alternate`-or-unlabelled link that is not a comments
//!    link, made absolute against the feed URL), or, failing that, a GUID/id that is itself
//!    an `http(s)` URL (RSS GUIDs are permalinks by default): `id = item_id_for_url(canonical
//!    link)`, the same id the article would get from any other feed;
//! 2. no link but a GUID: `id = item_id_for_url("guid:<source id>/<guid>")` and
//!    `url = <feed URL>#<guid>` (percent-encoded as a fragment), plus a `no_link` problem;
//! 3. neither: `id = item_id_for_url("text:<source id>/<title>\n<text>")` and
//!    `url = <feed URL>#<id>`, plus a `no_link` problem;
//! 4. no link, GUID, title or text: skipped with an `empty_entry` problem.
//!
//! Entries of one feed that share a link with an earlier entry (several diary anchors on one
//! page, or every entry pointing at the home page) are kept when their titles differ: the
//! first keeps the link's id, the later ones are identified as in cases 2–3, with the
//! anchored link (or the feed URL) and a fragment as `url`. Same link, title and text is a
//! repeat and is dropped.
//!
//! Only case 1 produces a URL without a `#` fragment ([`rasd_core::canonical_url`] drops
//! fragments), which is how [`is_article_link`] tells a real article link from a fallback.
//!
//! Titles lose their markup; bodies (the longer of content and summary) become plain
//! paragraphs. Dates come from `published`, else `updated`, read by
//! [`crate::dates::parse_date`]; an entry without a readable date keeps `published = None`
//! and gets a `no_date` problem.

use std::collections::HashMap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use feed_rs::model::{Entry, Feed, Link};
use feed_rs::parser::{ParseErrorKind, ParseFeedError};
use rasd_core::{Item, SourceConfig, canonical_url, item_id_for_url};
use scraper::{Html, Selector};
use serde_json::Value;
use tracing::debug;

use crate::dates::parse_date;
use crate::encoding;
use crate::error::{Error, Problem, Result};
use crate::html;

/// Parses feed bytes (never pre-decoded text) into untagged items and per-entry problems.
/// `feed_url` resolves relative links and names the feed in problems; `content_type` is the
/// HTTP header (its charset is used when the bytes are not UTF-8). Bytes that are not a feed
/// are an [`Error::NotAFeed`] saying what they look like instead.
pub fn parse_feed(
    source: &SourceConfig,
    feed_url: &str,
    bytes: &[u8],
    content_type: Option<&str>,
    fetched: DateTime<Utc>,
) -> Result<(Vec<Item>, Vec<Problem>)> {
    let mut text = encoding::feed_text(bytes, content_type, feed_url);
    if let Some(fixed) = repair_json_feed(&text) {
        text = fixed;
    }
    if let Some(fixed) = repair_rss_version(&text) {
        text = fixed;
    }
    if let Some(fixed) = repair_atom_03(&text) {
        text = fixed;
    }
    let unreadable: Arc<Mutex<Vec<String>>> = Arc::default();
    let run = |text: &str| -> Option<Result<Feed, ParseFeedError>> {
        let seen_bad = Arc::clone(&unreadable);
        let mut builder = feed_rs::parser::Builder::new()
            // Keep missing ids empty: we decide the fallback ourselves.
            .id_generator(|_, _, _| String::new())
            .timestamp_parser(move |s| {
                let d = parse_date(s);
                if d.is_none()
                    && let Ok(mut v) = seen_bad.lock()
                    && v.len() < 3
                {
                    v.push(s.trim().chars().take(60).collect());
                }
                d
            });
        if url::Url::parse(feed_url).is_ok() {
            builder = builder.base_uri(Some(feed_url));
        }
        let parser = builder.build();
        // feed-rs has panicked on some malformed input; a bad feed must not take the
        // fetcher down with it.
        catch_unwind(AssertUnwindSafe(|| parser.parse(text.as_bytes()))).ok()
    };
    let mut problems = Vec::new();
    let feed = match run(&text) {
        Some(Ok(feed)) => feed,
        Some(Err(err)) => {
            let salvaged = match &err {
                ParseFeedError::XmlReader(_) => salvage_truncated(&text)
                    .and_then(|t| run(&t))
                    .and_then(Result::ok),
                _ => None,
            };
            match salvaged {
                Some(feed) => {
                    problems.push(Problem::new(
                        &source.id,
                        Some(feed_url),
                        "malformed_feed",
                        format!(
                            "the feed is malformed ({err}); the {} entries before the damage were kept",
                            feed.entries.len()
                        ),
                    ));
                    feed
                }
                None if is_empty_rss(&text, &err) => return Ok((Vec::new(), problems)),
                None => return Err(not_a_feed(&err, &text, feed_url)),
            }
        }
        None => {
            return Err(Error::NotAFeed {
                url: feed_url.to_string(),
                message: "the feed parser crashed on this document; it is probably malformed \
                          (please report it with the feed attached)"
                    .to_string(),
            });
        }
    };
    let unreadable: Vec<String> = unreadable.lock().map(|v| v.clone()).unwrap_or_default();

    let mut items = Vec::new();
    // Id → fingerprint of the entries taken so far, to tell a repeat from a shared link.
    let mut taken: HashMap<String, String> = HashMap::new();
    for entry in feed.entries {
        let Some(item) = entry_to_item(
            source,
            feed_url,
            entry,
            fetched,
            &unreadable,
            &taken,
            &mut problems,
        ) else {
            continue;
        };
        if taken.contains_key(&item.id) {
            debug!(source = %source.id, url = %item.url, "Duplicate entry in feed skipped.");
            continue;
        }
        taken.insert(item.id.clone(), fingerprint(&item.title, &item.body));
        items.push(item);
    }
    Ok((items, problems))
}

/// True when `url` is a real article link (case 1 of the module docs), worth fetching.
pub fn is_article_link(url: &str) -> bool {
    (url.starts_with("http://") || url.starts_with("https://")) && !url.contains('#')
}

fn is_html_type(content_type: &impl std::fmt::Display) -> bool {
    content_type.to_string().contains("html")
}

fn entry_to_item(
    source: &SourceConfig,
    feed_url: &str,
    entry: Entry,
    fetched: DateTime<Utc>,
    unreadable: &[String],
    taken: &HashMap<String, String>,
    problems: &mut Vec<Problem>,
) -> Option<Item> {
    let title = entry
        .title
        .as_ref()
        .map(|t| html::one_line(&t.content, is_html_type(&t.content_type)))
        .unwrap_or_default();
    let content = entry
        .content
        .as_ref()
        .and_then(|c| {
            c.body
                .as_ref()
                .map(|b| html::to_text(b, is_html_type(&c.content_type)))
        })
        .unwrap_or_default();
    let summary = entry
        .summary
        .as_ref()
        .map(|t| html::to_text(&t.content, is_html_type(&t.content_type)))
        .unwrap_or_default();
    let body = if content.chars().count() >= summary.chars().count() {
        content
    } else {
        summary
    };
    let guid = entry.id.trim();
    let mut link = pick_link(&entry.links, feed_url).or_else(|| absolute_http(guid, None));
    // A link an earlier entry of this feed already took: the same entry again, or several
    // entries pointing at one page (a diary's anchors, a home page).
    let mut shared_link = None;
    if let Some(l) = &link
        && let Some(earlier) = taken.get(&item_id_for_url(&canonical_url(l)))
    {
        if *earlier == fingerprint(&title, &body) {
            return None;
        }
        shared_link = link.take();
    }
    // Where a fallback-identified entry points: its own anchor on a shared page, else the feed.
    let fallback_url = |fragment: &str| match &shared_link {
        Some(l) if l.contains('#') => l.clone(),
        _ => with_fragment(feed_url, fragment),
    };

    let mut item = match (link, guid.is_empty()) {
        (Some(link), _) => Item::new(&source.id, &link, &title, &body, fetched),
        (None, false) => {
            let mut item = Item::new(&source.id, feed_url, &title, &body, fetched);
            item.id = item_id_for_url(&format!("guid:{}/{}", source.id, guid));
            item.url = fallback_url(guid);
            if shared_link.is_none() {
                problems.push(Problem::new(
                    &source.id,
                    Some(&item.url),
                    "no_link",
                    format!("entry {guid:?} has no link; it is identified by its GUID"),
                ));
            }
            item
        }
        (None, true) if shared_link.is_some() => {
            let mut item = Item::new(&source.id, feed_url, &title, &body, fetched);
            item.id = item_id_for_url(&format!("text:{}/{}\n{}", source.id, title, body));
            item.url = fallback_url(&item.id.clone());
            item
        }
        (None, true) if !title.is_empty() || !body.is_empty() => {
            let mut item = Item::new(&source.id, feed_url, &title, &body, fetched);
            item.id = item_id_for_url(&format!("text:{}/{}\n{}", source.id, title, body));
            item.url = with_fragment(feed_url, &item.id);
            problems.push(Problem::new(
                &source.id,
                Some(&item.url),
                "no_link",
                format!(
                    "entry {:?} has neither a link nor a GUID; it is identified by a hash of \
                     its title and text, so an edit will make it a new item",
                    short(&title, &body)
                ),
            ));
            item
        }
        (None, true) => {
            problems.push(Problem::new(
                &source.id,
                Some(feed_url),
                "empty_entry",
                "entry skipped: it has no link, GUID, title or text",
            ));
            return None;
        }
    };
    item.author = entry
        .authors
        .iter()
        .find_map(|p| {
            let name = p.name.as_deref().map(str::trim).filter(|n| !n.is_empty());
            name.or(p.email.as_deref()).map(str::to_string)
        })
        .map(|a| html::one_line(&a, false))
        .filter(|a| !a.is_empty());
    item.published = entry.published.or(entry.updated);
    if item.published.is_none() {
        let mut message = format!(
            "entry {:?} has no readable date; it is filed under the time it was fetched",
            short(&item.title, &item.body)
        );
        if !unreadable.is_empty() {
            message.push_str(&format!(
                " (this feed writes dates Rasd cannot read, such as {:?})",
                unreadable[0]
            ));
        }
        problems.push(Problem::new(
            &source.id,
            Some(&item.url),
            "no_date",
            message,
        ));
    }
    Some(item)
}

/// What an entry says, to tell a repeated entry from a different one with the same link.
fn fingerprint(title: &str, body: &str) -> String {
    item_id_for_url(&format!("{title}\u{0}{body}"))
}

/// The first few words of an entry, to name it in a problem.
fn short(title: &str, body: &str) -> String {
    let s = if title.is_empty() { body } else { title };
    let mut out: String = s.chars().take(60).collect();
    if s.chars().count() > 60 {
        out.push('…');
    }
    out
}

/// The entry's article link: the first link that is not a comments link and whose `rel` is
/// absent or `alternate`, made absolute, if it is http(s).
fn pick_link(links: &[Link], feed_url: &str) -> Option<String> {
    links
        .iter()
        .filter(|l| l.target.is_none())
        .filter(|l| {
            l.rel
                .as_deref()
                .is_none_or(|r| r.eq_ignore_ascii_case("alternate"))
        })
        .find_map(|l| absolute_http(&l.href, Some(feed_url)))
}

/// `href` as an absolute http(s) URL (resolved against `base` if relative and a base is given).
fn absolute_http(href: &str, base: Option<&str>) -> Option<String> {
    let href = href.trim();
    if href.is_empty() {
        return None;
    }
    let url = match url::Url::parse(href) {
        Ok(u) => u,
        Err(url::ParseError::RelativeUrlWithoutBase) => {
            url::Url::parse(base?).ok()?.join(href).ok()?
        }
        Err(_) => return None,
    };
    (matches!(url.scheme(), "http" | "https") && url.host_str().is_some()).then(|| url.to_string())
}

/// `base#fragment`, the fragment percent-encoded as needed.
fn with_fragment(base: &str, fragment: &str) -> String {
    match url::Url::parse(base) {
        Ok(mut u) => {
            u.set_fragment(Some(fragment));
            u.to_string()
        }
        Err(_) => format!("{base}#{fragment}"),
    }
}

/// Where the root element starts and its name, past the prolog, comments, doctype and
/// processing instructions.
fn root_tag(text: &str) -> Option<(usize, &str)> {
    let mut i = 0;
    loop {
        let rest = &text[i..];
        let trimmed = rest.trim_start_matches(|c: char| c.is_whitespace() || c == '\u{feff}');
        i += rest.len() - trimmed.len();
        let rest = trimmed;
        if rest.starts_with("<?") {
            i += rest.find("?>")? + 2;
        } else if rest.starts_with("<!--") {
            i += rest.find("-->")? + 3;
        } else if rest.starts_with("<!") {
            let gt = rest.find('>')?;
            // A doctype with an internal subset ends at "]>".
            i += match rest[..gt].find('[') {
                Some(_) => rest.find("]>")? + 2,
                None => gt + 1,
            };
        } else if let Some(after) = rest.strip_prefix('<') {
            let len = after.find(|c: char| c.is_whitespace() || c == '>' || c == '/')?;
            return Some((i, &after[..len]));
        } else {
            return None;
        }
    }
}

/// Gives an `<rss>` root the version feed-rs dispatches on when it has none, or one feed-rs
/// does not know (`0.94`, `2.01`…): `2.0`, whose parser reads all RSS 0.9x and 2.0.
fn repair_rss_version(text: &str) -> Option<String> {
    let (at, name) = root_tag(text)?;
    if name != "rss" {
        return None;
    }
    let tag_end = at + text[at..].find('>')?;
    let tag = &text[at..tag_end];
    let Some(v) = tag.find("version") else {
        let insert = at + "<rss".len();
        return Some(format!(
            "{} version=\"2.0\"{}",
            &text[..insert],
            &text[insert..]
        ));
    };
    let after = &tag[v + "version".len()..];
    let q = after.find(['"', '\''])?;
    let quote = after.as_bytes()[q] as char;
    let len = after[q + 1..].find(quote)?;
    let value = &after[q + 1..q + 1 + len];
    if matches!(value, "2.0" | "0.91" | "0.92") {
        return None;
    }
    let start = at + v + "version".len() + q + 1;
    Some(format!("{}2.0{}", &text[..start], &text[start + len..]))
}

/// Reads an Atom 0.3 feed (Blogger, mid-2000s) as Atom 1.0: the namespace is swapped,
/// `issued`/`modified` become `published`/`updated`, and the MIME types 0.3 writes in `type`
/// become Atom 1.0's `text`/`xhtml`.
fn repair_atom_03(text: &str) -> Option<String> {
    const ATOM_03: &str = "http://purl.org/atom/ns#";
    let (at, name) = root_tag(text)?;
    let tag_end = at + text[at..].find('>')?;
    if name != "feed" || !text[at..tag_end].contains(ATOM_03) {
        return None;
    }
    let mut out = text.replace(ATOM_03, "http://www.w3.org/2005/Atom");
    for (old, new) in [("issued>", "published>"), ("modified>", "updated>")] {
        out = out.replace(&format!("<{old}"), &format!("<{new}"));
        out = out.replace(&format!("</{old}"), &format!("</{new}"));
    }
    for q in ['"', '\''] {
        for (old, new) in [("text/plain", "text"), ("application/xhtml+xml", "xhtml")] {
            out = out.replace(&format!("type={q}{old}{q}"), &format!("type={q}{new}{q}"));
        }
    }
    Some(out)
}

/// Fixes two common JSON Feed slips feed-rs rejects: an `http://` version URL and `tags`
/// written as one comma-separated string.
fn repair_json_feed(text: &str) -> Option<String> {
    if !text.trim_start().starts_with('{') {
        return None;
    }
    let mut v: Value = serde_json::from_str(text).ok()?;
    let obj = v.as_object_mut()?;
    let mut changed = false;
    if let Some(Value::String(version)) = obj.get_mut("version")
        && let Some(rest) = version.strip_prefix("http://jsonfeed.org/")
    {
        *version = format!("https://jsonfeed.org/{rest}");
        changed = true;
    }
    if let Some(Value::Array(items)) = obj.get_mut("items") {
        for item in items {
            if let Some(tags) = item.get_mut("tags")
                && let Value::String(s) = tags
            {
                let list = s
                    .split(',')
                    .map(str::trim)
                    .filter(|t| !t.is_empty())
                    .map(|t| Value::String(t.to_string()))
                    .collect();
                *tags = Value::Array(list);
                changed = true;
            }
        }
    }
    changed.then(|| v.to_string())
}

/// A truncated or damaged feed cut after its last complete entry and closed again.
fn salvage_truncated(text: &str) -> Option<String> {
    let (_, root) = root_tag(text)?;
    let local = root.rsplit(':').next().unwrap_or(root);
    let (entry_end, closer) = match local {
        "rss" => ("</item>", "</channel></rss>".to_string()),
        "RDF" => ("</item>", format!("</{root}>")),
        "feed" => ("</entry>", format!("</{root}>")),
        _ => return None,
    };
    let cut = text.rfind(entry_end)? + entry_end.len();
    Some(format!("{}{closer}", &text[..cut]))
}

/// An `<rss>` document without a channel: an empty feed rather than not a feed.
fn is_empty_rss(text: &str, err: &ParseFeedError) -> bool {
    matches!(err, ParseFeedError::ParseError(ParseErrorKind::NoFeedRoot))
        && root_tag(text).is_some_and(|(_, name)| name == "rss")
        && !text.contains("<channel")
}

/// Explains why `text` is not a feed.
fn not_a_feed(err: &ParseFeedError, text: &str, url: &str) -> Error {
    let trimmed = text.trim_start_matches(|c: char| c.is_whitespace() || c == '\u{feff}');
    let head: String = trimmed
        .chars()
        .take(1024)
        .collect::<String>()
        .to_ascii_lowercase();
    let message = if trimmed.is_empty() {
        "the response is empty".to_string()
    } else if head.contains("<html") || head.starts_with("<!doctype html") {
        let mut m = "this is a web page (HTML), not a feed".to_string();
        match feed_link_in_page(text, url) {
            Some(feed) => m.push_str(&format!(
                "; the page names its feed at {feed}: use that as the source url"
            )),
            None => {
                m.push_str("; find the site's RSS or Atom address and use that as the source url")
            }
        }
        m
    } else {
        let start: String = trimmed
            .chars()
            .take(40)
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
        let why = match err {
            ParseFeedError::ParseError(ParseErrorKind::NoFeedRoot) => {
                "no <rss>, <feed> or <rdf:RDF> root element and no JSON Feed object was found"
                    .to_string()
            }
            ParseFeedError::JsonSerde(e) => format!("invalid JSON Feed: {e}"),
            ParseFeedError::JsonUnsupportedVersion(v) => {
                format!("unsupported JSON Feed version {v:?}")
            }
            ParseFeedError::XmlReader(e) => format!("malformed XML: {e}"),
            other => other.to_string(),
        };
        format!("{why} (it starts with {start:?})")
    };
    Error::NotAFeed {
        url: url.to_string(),
        message,
    }
}

/// The feed a web page advertises with `<link rel="alternate" type="application/rss+xml">`.
fn feed_link_in_page(html: &str, url: &str) -> Option<String> {
    let doc = Html::parse_document(html);
    let sel = Selector::parse("link[rel][type][href]").ok()?;
    doc.select(&sel).find_map(|l| {
        let rel = l.attr("rel")?.to_ascii_lowercase();
        let ty = l.attr("type")?.to_ascii_lowercase();
        if rel.split_whitespace().any(|r| r == "alternate")
            && (ty.contains("rss") || ty.contains("atom") || ty.contains("feed+json"))
        {
            absolute_http(l.attr("href")?, Some(url))
        } else {
            None
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use encoding_rs::WINDOWS_1256;
    use rasd_core::{FullText, SourceKind};

    fn source() -> SourceConfig {
        SourceConfig {
            fetch_full_text: FullText::Never,
            ..SourceConfig::new(
                "test-src",
                "Test",
                SourceKind::Feed,
                "https://news.example.jo/rss.xml",
            )
        }
    }

    const FEED_URL: &str = "https://news.example.jo/rss.xml";

    fn parse(bytes: &[u8]) -> (Vec<Item>, Vec<Problem>) {
        parse_feed(&source(), FEED_URL, bytes, None, Utc::now()).unwrap()
    }

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    const RSS2_ARABIC: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel><title>أخبار محلية</title><link>https://news.example.jo/</link><description>d</description>
<item>
  <title>ضبط مطلوب خطير في إربد</title>
  <link>https://news.example.jo/local/101?utm_source=rss</link>
  <guid isPermaLink="false">n-101</guid>
  <pubDate>Sun, 22 Nov 2026 11:30:00 +0300</pubDate>
  <dc:creator>وحدة الأخبار</dc:creator>
  <description>ملخص قصير</description>
  <content:encoded><![CDATA[<p>ألقت الأجهزة الأمنية القبض على مطلوب خطير في محافظة إربد.</p><p>وبحسب البيان، فإن المطلوب بحقه عدة قضايا.</p>]]></content:encoded>
</item>
<item>
  <title>حادث &lt;b&gt;سير&lt;/b&gt; على الطريق الصحراوي</title>
  <link>/local/102</link>
  <pubDate>2026-11-22 08:00:00</pubDate>
  <description>&lt;p&gt;أصيب ثلاثة أشخاص في حادث تصادم.&lt;/p&gt;</description>
</item>
</channel></rss>"#;

    #[test]
    fn rss2_with_arabic_items() {
        let (items, problems) = parse(RSS2_ARABIC.as_bytes());
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(items.len(), 2);
        let a = &items[0];
        assert_eq!(a.title, "ضبط مطلوب خطير في إربد");
        assert_eq!(a.url, "https://news.example.jo/local/101");
        assert_eq!(a.id, item_id_for_url("https://news.example.jo/local/101"));
        assert_eq!(
            a.body,
            "ألقت الأجهزة الأمنية القبض على مطلوب خطير في محافظة إربد.\n\nوبحسب البيان، فإن المطلوب بحقه عدة قضايا."
        );
        assert_eq!(a.published, Some(utc("2026-11-22T08:30:00Z")));
        assert_eq!(a.author.as_deref(), Some("وحدة الأخبار"));
        assert_eq!(a.source, "test-src");
        let b = &items[1];
        assert_eq!(b.title, "حادث سير على الطريق الصحراوي");
        assert_eq!(
            b.url, "https://news.example.jo/local/102",
            "relative link resolved"
        );
        assert_eq!(b.body, "أصيب ثلاثة أشخاص في حادث تصادم.");
        assert_eq!(
            b.published,
            Some(utc("2026-11-22T05:00:00Z")),
            "naive date is Amman time"
        );
    }

    #[test]
    fn atom_with_html_title() {
        let atom = r#"<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title><id>urn:x</id><updated>2026-11-22T10:00:00Z</updated>
<entry>
  <title type="html">&lt;strong&gt;عاجل:&lt;/strong&gt; إغلاق طريق &amp;amp; تحويل السير</title>
  <id>tag:example.jo,2026:1</id>
  <link rel="alternate" href="https://example.jo/a/1"/>
  <link rel="replies" href="https://example.jo/a/1/comments"/>
  <updated>2026-11-22T10:00:00Z</updated>
  <author><name>Traffic Desk</name></author>
  <content type="html">&lt;p&gt;Road &lt;em&gt;closed&lt;/em&gt; after a crash.&lt;/p&gt;</content>
</entry></feed>"#;
        let (items, problems) = parse(atom.as_bytes());
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(items[0].title, "عاجل: إغلاق طريق & تحويل السير");
        assert_eq!(items[0].url, "https://example.jo/a/1");
        assert_eq!(items[0].body, "Road closed after a crash.");
        assert_eq!(items[0].published, Some(utc("2026-11-22T10:00:00Z")));
        assert_eq!(items[0].author.as_deref(), Some("Traffic Desk"));
    }

    #[test]
    fn json_feed() {
        let json = r#"{"version":"https://jsonfeed.org/version/1.1","title":"x","items":[
  {"id":"1","url":"https://example.jo/j/1","title":"دورية أمنية","content_html":"<p>نص <b>الخبر</b></p>","date_published":"2026-11-21T20:00:00+03:00","authors":[{"name":"ليلى"}]},
  {"id":"2","url":"https://example.jo/j/2","content_text":"Second\n\nparagraph two","date_published":"2026-11-21T21:00:00Z"}]}"#;
        let (items, problems) = parse(json.as_bytes());
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(items.len(), 2);
        assert_eq!(items[0].title, "دورية أمنية");
        assert_eq!(items[0].body, "نص الخبر");
        assert_eq!(items[0].published, Some(utc("2026-11-21T17:00:00Z")));
        assert_eq!(items[0].author.as_deref(), Some("ليلى"));
        assert_eq!(items[1].body, "Second\n\nparagraph two");
    }

    fn rss_1256(prolog_encoding: Option<&str>) -> Vec<u8> {
        let decl = match prolog_encoding {
            Some(e) => format!("<?xml version=\"1.0\" encoding=\"{e}\"?>"),
            None => "<?xml version=\"1.0\"?>".to_string(),
        };
        let doc = format!(
            "{decl}\n<rss version=\"2.0\"><channel><title>أخبار</title><link>https://example.jo/</link><description>d</description>\
             <item><title>مديرية الأمن العام تحذر من الاحتيال الإلكتروني</title><link>https://example.jo/w/1</link>\
             <description>حذرت مديرية الأمن العام المواطنين من رسائل احتيال تطلب بيانات بطاقاتهم البنكية، \
             ودعت إلى التبليغ عن أي رسالة مشبوهة.</description><pubDate>Sun, 22 Nov 2026 11:30:00 +0300</pubDate></item>\
             </channel></rss>"
        );
        let (bytes, _, unmappable) = WINDOWS_1256.encode(&doc);
        assert!(!unmappable);
        bytes.into_owned()
    }

    #[test]
    fn windows_1256_declared_in_prolog() {
        let (items, _) = parse(&rss_1256(Some("windows-1256")));
        assert_eq!(
            items[0].title,
            "مديرية الأمن العام تحذر من الاحتيال الإلكتروني"
        );
        assert!(items[0].body.contains("رسائل احتيال"));
    }

    #[test]
    fn windows_1256_undeclared_is_detected() {
        let bytes = rss_1256(None);
        assert!(std::str::from_utf8(&bytes).is_err());
        let (items, problems) = parse(&bytes);
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(
            items[0].title,
            "مديرية الأمن العام تحذر من الاحتيال الإلكتروني"
        );
    }

    #[test]
    fn not_xml_is_a_clear_error() {
        let err = parse_feed(
            &source(),
            FEED_URL,
            b"Service Unavailable",
            None,
            Utc::now(),
        )
        .unwrap_err();
        assert_eq!(err.reason(), "not_a_feed");
        let msg = err.to_string();
        assert!(msg.contains("no <rss>"), "{msg}");
        assert!(msg.contains("Service Unavailable"), "{msg}");

        let page = r#"<!DOCTYPE html><html><head><link rel="alternate" type="application/rss+xml" href="/feed/"></head><body>x</body></html>"#;
        let msg = parse_feed(&source(), FEED_URL, page.as_bytes(), None, Utc::now())
            .unwrap_err()
            .to_string();
        assert!(msg.contains("web page"), "{msg}");
        assert!(msg.contains("https://news.example.jo/feed/"), "{msg}");

        let err = parse_feed(&source(), FEED_URL, b"", None, Utc::now()).unwrap_err();
        assert!(err.to_string().contains("empty"));
    }

    #[test]
    fn entries_without_link_or_date() {
        let rss = r#"<rss version="2.0"><channel><title>t</title><link>https://example.jo/</link><description>d</description>
<item><title>بلاغ بدون رابط</title><guid isPermaLink="false">abc 123</guid><description>نص البلاغ</description><pubDate>Sun, 22 Nov 2026 11:30:00 +0300</pubDate></item>
<item><title>بدون رابط ولا معرف</title><description>نص</description><pubDate>Sun, 22 Nov 2026 11:30:00 +0300</pubDate></item>
<item><guid>https://example.jo/g/7</guid><title>معرف هو رابط</title><pubDate>22 نوفمبر 2026</pubDate></item>
<item><link>https://example.jo/nodate</link><title>بلا تاريخ</title><pubDate>قبل ساعة</pubDate></item>
<item><description></description></item>
</channel></rss>"#;
        let (items, problems) = parse(rss.as_bytes());
        assert_eq!(items.len(), 4, "{items:#?}");
        let reasons: Vec<_> = problems.iter().map(|p| p.reason).collect();
        assert_eq!(reasons, ["no_link", "no_link", "no_date", "empty_entry"]);

        let guid = &items[0];
        assert_eq!(guid.id, item_id_for_url("guid:test-src/abc 123"));
        assert_eq!(guid.url, "https://news.example.jo/rss.xml#abc%20123");
        assert!(!is_article_link(&guid.url));

        let hashed = &items[1];
        assert_eq!(
            hashed.id,
            item_id_for_url("text:test-src/بدون رابط ولا معرف\nنص")
        );
        assert!(hashed.url.ends_with(&format!("#{}", hashed.id)));

        let permalink = &items[2];
        assert_eq!(permalink.url, "https://example.jo/g/7");
        assert!(is_article_link(&permalink.url));
        assert_eq!(permalink.published, Some(utc("2026-11-21T21:00:00Z")));

        let nodate = &items[3];
        assert_eq!(nodate.published, None);
        assert!(
            problems[2].message.contains("قبل ساعة"),
            "{}",
            problems[2].message
        );

        // Stable: the same bytes give the same ids.
        let (again, _) = parse(rss.as_bytes());
        let ids: Vec<_> = items.iter().map(|i| &i.id).collect();
        let ids_again: Vec<_> = again.iter().map(|i| &i.id).collect();
        assert_eq!(ids, ids_again);
    }

    #[test]
    fn arabic_month_name_dates() {
        let rss = r#"<rss version="2.0"><channel><title>t</title><link>https://example.jo/</link><description>d</description>
<item><link>https://example.jo/m/1</link><title>أ</title><pubDate>الأحد، 22 تشرين الثاني 2026 11:30:00 +0300</pubDate></item>
<item><link>https://example.jo/m/2</link><title>ب</title><pubDate>22 نوفمبر 2026 11:30</pubDate></item>
</channel></rss>"#;
        let (items, problems) = parse(rss.as_bytes());
        assert!(problems.is_empty(), "{problems:?}");
        for item in &items {
            assert_eq!(
                item.published,
                Some(utc("2026-11-22T08:30:00Z")),
                "{}",
                item.url
            );
        }
    }

    #[test]
    fn duplicate_entries_are_kept_once() {
        let rss = r#"<rss version="2.0"><channel><title>t</title><link>https://example.jo/</link><description>d</description>
<item><link>https://example.jo/d/1</link><title>مكرر</title></item>
<item><link>https://example.jo/d/1?utm_medium=feed</link><title>مكرر</title></item>
</channel></rss>"#;
        let (items, _) = parse(rss.as_bytes());
        assert_eq!(items.len(), 1);
    }

    #[test]
    fn rss_without_version_or_channel() {
        let rss = "<?xml version=\"1.0\"?>\n<!-- note -->\n<!DOCTYPE rss [<!ENTITY x \"y\">]>\n<rss>\
                   <channel><title>t</title><item><link>https://example.jo/v/1</link><title>بلا إصدار</title></item></channel></rss>";
        let (items, _) = parse(rss.as_bytes());
        assert_eq!(items.len(), 1);
        let rss = "<rss version='0.94'><channel><title>t</title><item><link>https://example.jo/v/2</link><title>ب</title></item></channel></rss>";
        assert_eq!(parse(rss.as_bytes()).0.len(), 1);
        let (items, problems) = parse(b"<?xml version=\"1.0\"?><rss version=\"2.0\">\n</rss>");
        assert!(items.is_empty() && problems.is_empty());
    }

    #[test]
    fn truncated_feed_keeps_complete_entries() {
        let rss = r#"<rss version="2.0"><channel><title>t</title>
<item><link>https://example.jo/t/1</link><title>كامل</title><pubDate>Sun, 22 Nov 2026 11:30:00 +0300</pubDate></item>
<item><link>https://example.jo/t/2</link><title>مقطوع"#;
        let (items, problems) = parse(rss.as_bytes());
        assert_eq!(items.len(), 1);
        assert_eq!(items[0].title, "كامل");
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].reason, "malformed_feed");
    }

    #[test]
    fn entries_sharing_a_link() {
        let rss = r#"<rss version="2.0"><channel><title>t</title>
<item><link>https://example.jo/diary#d1</link><title>اليوم الأول</title><guid isPermaLink="false">d1</guid></item>
<item><link>https://example.jo/diary#d2</link><title>اليوم الثاني</title></item>
<item><link>https://example.jo/diary#d3</link><description>بلا عنوان</description></item>
<item><link>https://example.jo/diary#d4</link><description>بلا عنوان أيضا</description></item>
<item><link>https://example.jo/diary#d1</link><title>اليوم الأول</title></item>
</channel></rss>"#;
        let (items, problems) = parse(rss.as_bytes());
        assert!(
            problems.iter().all(|p| p.reason == "no_date"),
            "{problems:?}"
        );
        assert_eq!(items.len(), 4, "the repeat is dropped");
        assert_eq!(items[3].url, "https://example.jo/diary#d4");
        assert_eq!(items[0].url, "https://example.jo/diary");
        assert_eq!(items[1].url, "https://example.jo/diary#d2");
        assert_eq!(items[1].id, item_id_for_url("text:test-src/اليوم الثاني\n"));
        assert!(!is_article_link(&items[1].url));
    }

    #[test]
    fn atom_03_is_read() {
        let atom = r#"<?xml version="1.0"?><feed xmlns="http://purl.org/atom/ns#" version="0.3"><title mode="escaped" type="text/html">t</title>
<entry><title mode="escaped" type="text/plain">تدوينة</title><link rel="alternate" type="text/html" href="https://example.jo/b/1"/>
<id>tag:b,2006:1</id><issued>2006-01-02T10:00:00+03:00</issued><modified>2006-01-02T11:00:00Z</modified>
<content type="text/html" mode="escaped">&lt;p&gt;نص التدوينة&lt;/p&gt;</content></entry></feed>"#;
        let (items, _) = parse(atom.as_bytes());
        assert_eq!(items.len(), 1);
        assert_eq!(items[0].title, "تدوينة");
        assert_eq!(items[0].url, "https://example.jo/b/1");
        assert_eq!(items[0].published, Some(utc("2006-01-02T07:00:00Z")));
    }

    #[test]
    fn json_feed_slips_are_repaired() {
        let json = r#"{"version":"http://jsonfeed.org/version/1","title":"x","items":[
  {"id":"1","url":"https://example.jo/j/9","title":"وسوم","content_text":"نص","tags":"أمن,سير"}]}"#;
        let (items, _) = parse(json.as_bytes());
        assert_eq!(items.len(), 1);
        assert_eq!(items[0].title, "وسوم");
    }

    /// Runs over the shared real-feed collection when it is present (skipped otherwise): no
    /// panic, at least 90% of the files parse, and the entries found come within 10% of what
    /// the reference parser found.
    #[test]
    fn real_feeds_parse_without_panic() {
        let Some(dir) = rasd_core::shared_data::shared_data("feeds") else {
            eprintln!("skipped: the shared feeds are absent");
            return;
        };
        let Ok(reference) = std::fs::read_to_string(dir.join("reference.jsonl")) else {
            eprintln!("skipped: {} is absent", dir.display());
            return;
        };
        let (mut files, mut ok, mut items_total, mut reference_total) = (0, 0, 0, 0);
        let mut failed = Vec::new();
        for line in reference.lines() {
            let Ok(row) = serde_json::from_str::<Value>(line) else {
                continue;
            };
            let (Some(file), Some(expected)) = (row["file"].as_str(), row["entries"].as_u64())
            else {
                continue;
            };
            let Ok(bytes) = std::fs::read(dir.join(file)) else {
                continue;
            };
            files += 1;
            reference_total += expected as usize;
            let name = file.rsplit('/').next().unwrap_or(file);
            let url = format!("https://feeds.example.com/{name}");
            match parse_feed(&source(), &url, &bytes, None, Utc::now()) {
                Ok((items, _)) => {
                    ok += 1;
                    items_total += items.len();
                }
                Err(e) => failed.push(format!("{file}: {e}")),
            }
        }
        println!(
            "real feeds: {files} files, {ok} parsed, {} failed; {items_total} items \
             (reference parser: {reference_total})",
            failed.len()
        );
        for f in &failed {
            println!("  {}", f.chars().take(200).collect::<String>());
        }
        assert!(files > 0);
        assert!(ok * 10 >= files * 9, "only {ok} of {files} parsed");
        assert!(
            items_total * 10 >= reference_total * 9,
            "{items_total} items, reference {reference_total}"
        );
    }
}
