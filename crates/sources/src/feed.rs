//! Feeds: RSS 0.9x/1.0/2.0, RDF, Atom 0.3/1.0 and JSON Feed, turned into [`Item`]s
//! ([`parse_feed`]) or described for a person ([`feed_report`]).
//!
//! Bytes are decoded by [`crate::encoding`] first (so an undeclared or wrongly declared
//! windows-1256 feed works), then read by our own forgiving reader ([`read`], over the tag
//! stream of [`xml`]): a damaged feed (an unescaped `&`, an unclosed tag, a document cut
//! off mid-entry, HTML entities XML does not know) keeps every entry that can be read, and
//! says what was wrong in a `malformed_feed` problem. Only documents with no feed in them at
//! all are refused ([`Error::NotAFeed`], saying what they look like instead).
//!
//! **Entry identity** (stable across fetches):
//! 1. the entry's link (FeedBurner's `origLink` if present, else the first `alternate` or
//!    unlabelled link, made absolute against `xml:base` or the feed URL), or, failing that,
//!    a GUID/id that is itself an `http(s)` URL (RSS GUIDs are permalinks by default):
//!    `id = item_id_for_url(canonical link)`, the same id the article would get from any
//!    other feed;
//! 2. no link but a GUID: `id = item_id_for_url("guid:<source id>/<guid>")` and
//!    `url = <feed URL>#<guid>` (percent-encoded as a fragment), plus a `no_link` problem;
//! 3. neither: `id = item_id_for_url("text:<source id>/<title>\n<text>")` and
//!    `url = <feed URL>#<id>`, plus a `no_link` problem;
//! 4. no link, GUID, title or text: skipped with an `empty_entry` problem.
//!
//! The GUID (RSS `guid`, Atom `id`, JSON `id`) is kept in [`Item::guid`] whatever the case,
//! so the store can recognise an article republished under another URL.
//!
//! Entries of one feed that share a link with an earlier entry (several diary anchors on one
//! page, or every entry pointing at the home page) are kept when their titles differ: the
//! first keeps the link's id, the later ones are identified as in cases 2–3, with the
//! anchored link (or the feed URL) and a fragment as `url`. Same link, title and text is a
//! repeat and is dropped. An entry cut off by the end of a truncated document is dropped.
//!
//! Only case 1 produces a URL without a `#` fragment ([`rasd_core::canonical_url`] drops
//! fragments), which is how [`is_article_link`] tells a real article link from a fallback.
//!
//! Titles lose their markup; bodies (the longer of content and summary) become plain
//! paragraphs. Dates come from the published date, else the updated one, read by
//! [`crate::dates::parse_date`]; an entry without a readable date keeps `published = None`
//! and gets a `no_date` problem.

mod read;
pub(crate) mod xml;

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use rasd_core::{Item, SourceConfig, item_id_for_url};
use serde::Serialize;

use crate::dates::parse_date;
use crate::encoding;
use crate::error::{Error, Problem, Result};
use crate::html;
use read::{Content, Kind, NotFeed, RawEntry, RawFeed};

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
    let read = parse_feed_capped(source, feed_url, bytes, content_type, fetched, 0)?;
    Ok((read.items, read.problems))
}

/// What [`parse_feed_capped`] read.
#[derive(Debug)]
pub(crate) struct FeedRead {
    /// Items of the newest entries, in document order.
    pub items: Vec<Item>,
    /// Problems of the feed and of the entries read.
    pub problems: Vec<Problem>,
    /// How many entries the document holds.
    pub entries: usize,
    /// Older entries were left unread because of the cap.
    pub capped: bool,
}

/// [`parse_feed`] reading only the newest `max_entries` entries (0: all). Entries beyond
/// the cap are counted but not kept while parsing, nor turned into items.
pub(crate) fn parse_feed_capped(
    source: &SourceConfig,
    feed_url: &str,
    bytes: &[u8],
    content_type: Option<&str>,
    fetched: DateTime<Utc>,
    max_entries: usize,
) -> Result<FeedRead> {
    let (text, _) = encoding::decode(bytes, content_type, Some(feed_url));
    let mut raw = read_document(&text, feed_url, max_entries)?;
    drop(text);
    let entries = raw.total_entries;
    let capped = max_entries > 0 && entries > max_entries;
    if capped {
        read::keep_newest(&mut raw.entries, max_entries);
    }
    let mut notes = Vec::new();
    let items = to_items(&source.id, feed_url, &raw, fetched, &mut notes);
    let problems = notes
        .into_iter()
        .map(|n| Problem::new(&source.id, n.url.as_deref(), n.reason, n.message))
        .collect();
    Ok(FeedRead {
        items,
        problems,
        entries,
        capped,
    })
}

/// Everything [`parse_feed`] does except logging problems, for the benchmark: returns how
/// many entries the document holds.
pub(crate) fn parse_quietly(feed_url: &str, bytes: &[u8], fetched: DateTime<Utc>) -> Result<usize> {
    let (text, _) = encoding::decode(bytes, None, Some(feed_url));
    let raw = read_document(&text, feed_url, 0)?;
    let mut notes = Vec::new();
    std::hint::black_box(to_items("bench", feed_url, &raw, fetched, &mut notes));
    Ok(raw.entries.len())
}

/// What a feed holds, for a person (`rasd feed FILE_OR_URL`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FeedReport {
    /// The file or URL read.
    pub source: String,
    /// `rss090`, `rss091`, `rss092`, `rss093`, `rss094`, `rss20`, `rss` (no version),
    /// `rss10`, `atom03`, `atom10`, `atom`, `json10`, `json11`, `rssjson` (RSS 2.0 written as
    /// JSON); empty when entries were found without a feed root element.
    pub format: String,
    /// The feed's title.
    pub title: Option<String>,
    /// The feed's web page.
    pub link: Option<String>,
    /// The encoding the bytes were read in (`UTF-8`, `windows-1256`…).
    pub encoding: String,
    /// Every entry in the document, in order.
    pub entries: Vec<EntryReport>,
    /// How many of the entries become items (the others are repeats, empty or cut off).
    pub items: usize,
    /// What was wrong with the feed or its entries.
    pub problems: Vec<Problem>,
}

/// One entry of a [`FeedReport`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EntryReport {
    /// The title, markup removed.
    pub title: String,
    /// The article link, absolute (none when the entry has no usable link).
    pub link: Option<String>,
    /// RSS `guid`, Atom `id` or JSON `id`.
    pub guid: Option<String>,
    /// The date read (published, else updated).
    pub published: Option<DateTime<Utc>>,
    /// The date as written, when there is one.
    pub date_written: Option<String>,
    /// The author.
    pub author: Option<String>,
    /// Length in characters of the text (the longer of content and summary).
    pub summary_chars: usize,
}

/// Reads feed bytes and describes them: format, title, encoding, each entry and the
/// problems found. `url_or_path` names the feed and, when it is an `http(s)` URL, resolves
/// relative links (else the feed's own link does). Nothing is logged.
pub fn feed_report(bytes: &[u8], url_or_path: &str) -> Result<FeedReport> {
    let url = url_or_path.trim();
    let (text, enc) = encoding::decode(bytes, None, Some(url));
    let raw = read_document(&text, url, 0)?;
    let base = if absolute_http(url, None).is_some() {
        url.to_string()
    } else {
        raw.link
            .as_deref()
            .and_then(|l| absolute_http(l, None))
            .unwrap_or_default()
    };
    let entries = raw
        .entries
        .iter()
        .map(|e| {
            let f = fields(e, &base);
            EntryReport {
                summary_chars: f.body.chars().count(),
                title: f.title,
                link: f.link,
                guid: f.guid,
                published: f.published,
                date_written: f.date_written.map(str::to_string),
                author: f.author,
            }
        })
        .collect();
    let mut notes = Vec::new();
    let items = to_items("feed", &base, &raw, Utc::now(), &mut notes).len();
    Ok(FeedReport {
        source: url.to_string(),
        format: raw.format.to_string(),
        title: raw.title.clone().filter(|t| !t.is_empty()),
        link: raw.link.clone(),
        encoding: enc.to_string(),
        entries,
        items,
        problems: notes
            .into_iter()
            .map(|n| Problem {
                source: String::new(),
                url: n.url,
                reason: n.reason,
                message: n.message,
            })
            .collect(),
    })
}

/// True when `url` is a real article link (case 1 of the module docs), worth fetching.
pub fn is_article_link(url: &str) -> bool {
    (url.starts_with("http://") || url.starts_with("https://")) && !url.contains('#')
}

/// A problem before it is logged.
struct Note {
    reason: &'static str,
    url: Option<String>,
    message: String,
}

impl Note {
    fn new(reason: &'static str, url: &str, message: String) -> Note {
        Note {
            reason,
            url: Some(url.to_string()),
            message,
        }
    }
}

/// Reads a decoded document: JSON Feed if it is a JSON object, XML otherwise; `keep` as in
/// [`read::read_xml`].
fn read_document(text: &str, url: &str, keep: usize) -> Result<RawFeed> {
    let trimmed = text.trim_start_matches(|c: char| c.is_whitespace() || c == '\u{feff}');
    let result = if trimmed.starts_with('{') || trimmed.starts_with('[') {
        read::read_json(trimmed, keep)
    } else {
        read::read_xml(trimmed, keep)
    };
    result.map_err(|why| not_a_feed(why, trimmed, url))
}

/// The cleaned fields of one entry.
struct Fields<'a> {
    title: String,
    body: String,
    link: Option<String>,
    guid: Option<String>,
    published: Option<DateTime<Utc>>,
    date_written: Option<&'a str>,
    author: Option<String>,
}

/// Cleans an entry: plain title and text, absolute link, date read, author named.
fn fields<'a>(e: &'a RawEntry, feed_url: &str) -> Fields<'a> {
    let title = e.title.as_ref().map(clean_line).unwrap_or_default();
    // The longer of content and summary. A text is never longer than its markup, so the
    // summary is only read when it might win.
    let content = e.content.as_ref().map(clean_text).unwrap_or_default();
    let content_chars = content.chars().count();
    let body = match &e.summary {
        Some(s) if s.value.len() > content_chars => {
            let summary = clean_text(s);
            if summary.chars().count() > content_chars {
                summary
            } else {
                content
            }
        }
        _ => content,
    };
    let guid = e
        .guid
        .as_deref()
        .map(str::trim)
        .filter(|g| !g.is_empty())
        .map(str::to_string);
    let base_of = |b: &Option<String>| -> Option<String> {
        b.as_deref()
            .or(e.base.as_deref())
            .and_then(|b| absolute_http(b, Some(feed_url)))
            .or_else(|| Some(feed_url.to_string()))
    };
    let link = e
        .orig_link
        .as_deref()
        .and_then(|l| absolute_http(l, None))
        .or_else(|| {
            e.links
                .iter()
                .filter(|l| l.alternate)
                .find_map(|l| resolve_http(&l.href, || base_of(&l.base)))
        })
        .or_else(|| guid.as_deref().and_then(|g| absolute_http(g, None)));
    let written = e
        .published
        .as_deref()
        .map(str::trim)
        .filter(|d| !d.is_empty())
        .or_else(|| {
            e.updated
                .as_deref()
                .map(str::trim)
                .filter(|d| !d.is_empty())
        });
    let published = e
        .published
        .as_deref()
        .and_then(parse_date)
        .or_else(|| e.updated.as_deref().and_then(parse_date));
    let author = e
        .author
        .as_deref()
        .map(clean_author)
        .filter(|a| !a.is_empty());
    Fields {
        title,
        body,
        link,
        guid,
        published,
        date_written: written,
        author,
    }
}

/// A text field as plain paragraphs.
fn clean_text(c: &Content) -> String {
    match c.kind {
        Kind::Html => html::html_to_text(&c.value),
        Kind::Text => html::plain_text(&c.value),
        Kind::Guess => html::to_text(&c.value, false),
    }
}

/// A text field as one line (a title).
pub(crate) fn clean_line(c: &Content) -> String {
    let text = clean_text(c);
    let mut out = String::with_capacity(text.len());
    for w in text.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(w);
    }
    out
}

/// An author as a name: RSS's `email (Name)` becomes `Name`; markup is removed.
fn clean_author(a: &str) -> String {
    let a = html::one_line(a, false);
    if let Some(open) = a.find('(')
        && a.ends_with(')')
        && a[..open].contains('@')
    {
        let name = a[open + 1..a.len() - 1].trim();
        if !name.is_empty() {
            return name.to_string();
        }
    }
    a
}

/// Turns the entries of a read feed into items (see the module docs), noting problems.
fn to_items(
    source: &str,
    feed_url: &str,
    raw: &RawFeed,
    fetched: DateTime<Utc>,
    notes: &mut Vec<Note>,
) -> Vec<Item> {
    let cut_off = raw.entries.iter().filter(|e| !e.complete).count();
    if let Some(why) = &raw.malformed {
        let kept = raw.entries.len() - cut_off;
        let mut message = format!(
            "the feed is malformed ({why}); the {kept} entries that could be read were kept"
        );
        if cut_off > 0 {
            message.push_str(", and the last one, cut off, was dropped");
        }
        notes.push(Note::new("malformed_feed", feed_url, message));
    }
    let mut unreadable: Option<&str> = None;
    let mut taken = Taken {
        items: Vec::with_capacity(raw.entries.len()),
        ids: HashMap::new(),
    };
    for entry in raw.entries.iter().filter(|e| e.complete) {
        let f = fields(entry, feed_url);
        if f.published.is_none() && f.date_written.is_some() && unreadable.is_none() {
            unreadable = f.date_written;
        }
        let Some(item) = entry_to_item(source, feed_url, f, fetched, unreadable, &taken, notes)
        else {
            continue;
        };
        if taken.ids.contains_key(&item.id) {
            continue;
        }
        taken.ids.insert(item.id.clone(), taken.items.len());
        taken.items.push(item);
    }
    taken.items
}

/// The items of a feed taken so far, by id, to tell a repeated entry from a different one
/// sharing its link.
struct Taken {
    items: Vec<Item>,
    ids: HashMap<String, usize>,
}

fn entry_to_item(
    source: &str,
    feed_url: &str,
    f: Fields<'_>,
    fetched: DateTime<Utc>,
    unreadable: Option<&str>,
    taken: &Taken,
    notes: &mut Vec<Note>,
) -> Option<Item> {
    let Fields {
        title,
        body,
        link,
        guid,
        published,
        author,
        ..
    } = f;
    // A link an earlier entry of this feed already took: the same entry again, or several
    // entries pointing at one page (a diary's anchors, a home page).
    let mut shared_link = None;
    let mut by_link = None;
    if let Some(l) = link {
        let item = Item::new(source, &l, &title, &body, fetched);
        match taken.ids.get(&item.id).map(|&i| &taken.items[i]) {
            Some(earlier) if earlier.title == title && earlier.body == body => return None,
            Some(_) => shared_link = Some(l),
            None => by_link = Some(item),
        }
    }
    // Where a fallback-identified entry points: its own anchor on a shared page, else the feed.
    let fallback_url = |fragment: &str| match &shared_link {
        Some(l) if l.contains('#') => l.clone(),
        _ => with_fragment(feed_url, fragment),
    };
    let mut item = match (by_link, guid.as_deref()) {
        (Some(item), _) => item,
        (None, Some(g)) => {
            let mut item = Item::new(source, feed_url, &title, &body, fetched);
            item.id = item_id_for_url(&format!("guid:{source}/{g}"));
            item.url = fallback_url(g);
            if shared_link.is_none() {
                notes.push(Note::new(
                    "no_link",
                    &item.url,
                    format!("entry {g:?} has no link; it is identified by its GUID"),
                ));
            }
            item
        }
        (None, None) if shared_link.is_some() => {
            let mut item = Item::new(source, feed_url, &title, &body, fetched);
            item.id = item_id_for_url(&format!("text:{source}/{title}\n{body}"));
            item.url = fallback_url(&item.id.clone());
            item
        }
        (None, None) if !title.is_empty() || !body.is_empty() => {
            let mut item = Item::new(source, feed_url, &title, &body, fetched);
            item.id = item_id_for_url(&format!("text:{source}/{title}\n{body}"));
            item.url = with_fragment(feed_url, &item.id);
            notes.push(Note::new(
                "no_link",
                &item.url,
                format!(
                    "entry {:?} has neither a link nor a GUID; it is identified by a hash of \
                     its title and text, so an edit will make it a new item",
                    short(&title, &body)
                ),
            ));
            item
        }
        (None, None) => {
            notes.push(Note::new(
                "empty_entry",
                feed_url,
                "entry skipped: it has no link, GUID, title or text".to_string(),
            ));
            return None;
        }
    };
    item.guid = guid;
    item.author = author;
    item.published = published;
    if item.published.is_none() {
        let mut message = format!(
            "entry {:?} has no readable date; it is filed under the time it was fetched",
            short(&item.title, &item.body)
        );
        if let Some(bad) = unreadable {
            let bad: String = bad.chars().take(60).collect();
            message.push_str(&format!(
                " (this feed writes dates Rasd cannot read, such as {bad:?})"
            ));
        }
        notes.push(Note::new("no_date", &item.url, message));
    }
    Some(item)
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

/// `href` as an absolute http(s) URL (resolved against `base` if relative and a base is given).
pub(crate) fn absolute_http(href: &str, base: Option<&str>) -> Option<String> {
    resolve_http(href, || base.map(str::to_string))
}

/// `href` as an absolute http(s) URL, resolved against `base()` (asked only when `href` is
/// relative).
fn resolve_http(href: &str, base: impl FnOnce() -> Option<String>) -> Option<String> {
    let href = href.trim();
    if href.is_empty() {
        return None;
    }
    let url = match url::Url::parse(href) {
        Ok(u) => u,
        Err(url::ParseError::RelativeUrlWithoutBase) => {
            url::Url::parse(&base()?).ok()?.join(href).ok()?
        }
        Err(_) => return None,
    };
    (matches!(url.scheme(), "http" | "https") && url.host_str().is_some()).then(|| url.into())
}

/// `base#fragment`, the fragment percent-encoded as needed.
fn with_fragment(base: &str, fragment: &str) -> String {
    match url::Url::parse(base) {
        Ok(mut u) => {
            u.set_fragment(Some(fragment));
            u.into()
        }
        Err(_) => format!("{base}#{fragment}"),
    }
}

/// Explains why `text` is not a feed.
fn not_a_feed(why: NotFeed, text: &str, url: &str) -> Error {
    let head: String = text
        .chars()
        .take(1024)
        .collect::<String>()
        .to_ascii_lowercase();
    let message = if text.trim().is_empty() {
        "the response is empty".to_string()
    } else if head.contains("<html") || head.starts_with("<!doctype html") {
        let mut m = "this is a web page (HTML), not a feed".to_string();
        match feed_link_in_page(text, url) {
            Some(feed) => m.push_str(&format!(
                "; the page names its feed at {feed}: use that as the source url"
            )),
            None => m.push_str(
                "; find the site's RSS or Atom address, or make it a `kind = \"site\"` source",
            ),
        }
        m
    } else {
        let start: String = text
            .chars()
            .take(40)
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
        let why = match why {
            NotFeed::NoRoot(Some(root)) => format!(
                "no <rss>, <feed> or <rdf:RDF> element and no entries were found (the document \
                 is a <{}>)",
                root.chars().take(40).collect::<String>()
            ),
            NotFeed::NoRoot(None) => {
                "no <rss>, <feed> or <rdf:RDF> root element and no JSON Feed object was found"
                    .to_string()
            }
            NotFeed::Json(e) => format!("not a JSON Feed: {e}"),
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
    xml::Reader::new(html).find_map(|ev| {
        let xml::Event::Start(t) = ev else {
            return None;
        };
        if !t.name.eq_ignore_ascii_case("link") {
            return None;
        }
        let rel = t.attr("rel")?.to_ascii_lowercase();
        let ty = t.attr("type")?.to_ascii_lowercase();
        if rel.split_whitespace().any(|r| r == "alternate")
            && (ty.contains("rss") || ty.contains("atom") || ty.contains("feed+json"))
        {
            absolute_http(&t.attr("href")?, Some(url))
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
        assert_eq!(a.guid.as_deref(), Some("n-101"));
        assert_eq!(a.source, "test-src");
        let b = &items[1];
        assert_eq!(b.title, "حادث سير على الطريق الصحراوي");
        assert_eq!(
            b.url, "https://news.example.jo/local/102",
            "relative link resolved"
        );
        assert_eq!(b.body, "أصيب ثلاثة أشخاص في حادث تصادم.");
        assert_eq!(b.guid, None);
        assert_eq!(
            b.published,
            Some(utc("2026-11-22T05:00:00Z")),
            "naive date is Amman time"
        );
    }

    #[test]
    fn atom_html_title() {
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
    fn windows_1256_undeclared() {
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
    fn rss_arabic_month_date() {
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

    #[test]
    fn windows_1256_declared_as_latin1() {
        // The prolog says ISO-8859-1 (a CMS default) but the bytes are windows-1256.
        let bytes = rss_1256(Some("ISO-8859-1"));
        let (items, _) = parse(&bytes);
        assert_eq!(
            items[0].title,
            "مديرية الأمن العام تحذر من الاحتيال الإلكتروني"
        );
        let report = feed_report(&bytes, "https://news.example.jo/rss").unwrap();
        assert_eq!(report.encoding, "windows-1256");
    }

    #[test]
    fn iso_8859_6_declared() {
        let doc = "<?xml version=\"1.0\" encoding=\"ISO-8859-6\"?><rss version=\"2.0\"><channel><title>ت</title>\
                   <item><title>إغلاق طريق المطار، وتحويل السير؟</title><link>https://example.jo/i/1</link></item></channel></rss>";
        let (bytes, _, unmappable) = encoding_rs::ISO_8859_6.encode(doc);
        assert!(!unmappable);
        let (items, _) = parse(&bytes);
        assert_eq!(items[0].title, "إغلاق طريق المطار، وتحويل السير؟");
    }

    #[test]
    fn rss_items_outside_channel() {
        let rss = r#"<?xml version="1.0"?><!DOCTYPE rss PUBLIC "-//Netscape Communications//DTD RSS 0.91//EN" "http://my.netscape.com/publish/formats/rss-0.91.dtd">
<rss version="0.91"><channel><title>قديم</title><link>https://example.jo/</link></channel>
<image><title>شعار</title><url>https://example.jo/l.gif</url><link>https://example.jo/</link></image>
<item><title>خبر خارج القناة</title><link>https://example.jo/o/1</link></item>
<item><title>خبر ثان</title><link>https://example.jo/o/2</link></item></rss>"#;
        let (items, _) = parse(rss.as_bytes());
        assert_eq!(items.len(), 2);
        let report = feed_report(rss.as_bytes(), "https://example.jo/rss").unwrap();
        assert_eq!(report.format, "rss091");
        assert_eq!(report.title.as_deref(), Some("قديم"));
    }

    #[test]
    fn rss_html_entities_and_bare_ampersand() {
        // Not well-formed XML: an HTML entity and a bare '&'. Read anyway, and said so.
        let rss = "<rss version=\"2.0\"><channel><title>t</title><item>\
                   <title>الأمن &amp; السلامة&nbsp;&mdash; AT&T &#1575;</title><link>https://example.jo/e/1?a=1&b=2</link>\
                   <description>&lt;p&gt;نص &amp;amp; &lt;b&gt;غامق&lt;/b&gt;&lt;/p&gt;</description></item></channel></rss>";
        let (items, problems) = parse(rss.as_bytes());
        assert_eq!(items[0].title, "الأمن & السلامة — AT&T ا");
        assert_eq!(items[0].url, "https://example.jo/e/1?a=1&b=2");
        assert_eq!(items[0].body, "نص & غامق");
        assert!(
            problems.iter().all(|p| p.reason == "no_date"),
            "{problems:?}"
        );
    }

    #[test]
    fn rss_author_email_name_and_cdata_title() {
        let rss = r#"<rss version="2.0"><channel><title>t</title><item>
<title><![CDATA[<b>عاجل</b>: حريق في <i>سوق</i> الخضار]]></title><link>https://example.jo/c/1</link>
<author>media@psd.gov.jo (الناطق الإعلامي)</author></item></channel></rss>"#;
        let (items, _) = parse(rss.as_bytes());
        assert_eq!(items[0].title, "عاجل: حريق في سوق الخضار");
        assert_eq!(items[0].author.as_deref(), Some("الناطق الإعلامي"));
    }

    #[test]
    fn rdf_rss10_with_dc_date() {
        let rdf = r#"<?xml version="1.0"?><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel rdf:about="https://example.jo/"><title>وكالة</title><link>https://example.jo/</link><items><rdf:Seq><rdf:li resource="https://example.jo/r/1"/></rdf:Seq></items></channel>
<item rdf:about="https://example.jo/r/1"><title>بيان أمني</title><link>https://example.jo/r/1</link><dc:date>2026-11-22T11:30:00+03:00</dc:date><dc:creator>المحرر</dc:creator></item></rdf:RDF>"#;
        let (items, problems) = parse(rdf.as_bytes());
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(items[0].published, Some(utc("2026-11-22T08:30:00Z")));
        assert_eq!(items[0].author.as_deref(), Some("المحرر"));
        let report = feed_report(rdf.as_bytes(), "https://example.jo/rdf").unwrap();
        assert_eq!(report.format, "rss10");
    }

    #[test]
    fn atom_xml_base_feedburner_and_xhtml() {
        let atom = r#"<feed xmlns="http://www.w3.org/2005/Atom" xmlns:feedburner="http://rssnamespace.org/feedburner/ext/1.0" xml:base="https://blog.example.jo/2026/">
<title>مدونة</title>
<entry><title>نسبي</title><id>tag:blog.example.jo,2026:1</id><link href="11/post-1.html"/><updated>2026-11-22T10:00:00Z</updated>
<content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml"><p>فقرة <em>أولى</em></p><p>ثانية</p></div></content></entry>
<entry><title>عبر فيدبيرنر</title><id>tag:blog.example.jo,2026:2</id><link href="https://feeds.feedburner.com/~r/x/~3/abc/"/>
<feedburner:origLink>https://blog.example.jo/2026/11/post-2.html</feedburner:origLink><updated>2026-11-22T11:00:00Z</updated></entry></feed>"#;
        let (items, _) = parse(atom.as_bytes());
        assert_eq!(items[0].url, "https://blog.example.jo/2026/11/post-1.html");
        assert_eq!(items[0].body, "فقرة أولى\n\nثانية");
        assert_eq!(items[0].guid.as_deref(), Some("tag:blog.example.jo,2026:1"));
        assert_eq!(items[1].url, "https://blog.example.jo/2026/11/post-2.html");
    }

    #[test]
    fn feed_report_describes_entries() {
        let bytes = rss_1256(None);
        let r = feed_report(&bytes, "https://news.example.jo/rss.xml").unwrap();
        assert_eq!(r.format, "rss20");
        assert_eq!(r.encoding, "windows-1256");
        assert_eq!(r.title.as_deref(), Some("أخبار"));
        assert_eq!(r.entries.len(), 1);
        assert_eq!(r.items, 1);
        let e = &r.entries[0];
        assert_eq!(e.link.as_deref(), Some("https://example.jo/w/1"));
        assert_eq!(e.published, Some(utc("2026-11-22T08:30:00Z")));
        assert_eq!(
            e.date_written.as_deref(),
            Some("Sun, 22 Nov 2026 11:30:00 +0300")
        );
        assert!(e.summary_chars > 50);
        let json = serde_json::to_value(&r).unwrap();
        assert_eq!(
            json["entries"][0]["title"],
            "مديرية الأمن العام تحذر من الاحتيال الإلكتروني"
        );
        // A file path: relative links resolve against the feed's own link.
        let rss = "<rss version=\"2.0\"><channel><link>https://example.jo/</link><item><title>أ</title><link>/p/1</link></item></channel></rss>";
        let r = feed_report(rss.as_bytes(), "/tmp/feed.xml").unwrap();
        assert_eq!(r.entries[0].link.as_deref(), Some("https://example.jo/p/1"));
        assert!(feed_report(b"<html><body>x</body></html>", "/tmp/x.html").is_err());
    }

    #[test]
    fn rss_missing_zone_and_unreadable_dates() {
        let rss = r#"<rss version="2.0"><channel><title>t</title>
<item><link>https://example.jo/z/1</link><title>أ</title><pubDate>Sun, 22 Nov 2026 11:30:00</pubDate></item>
<item><link>https://example.jo/z/2</link><title>ب</title><pubDate>2026-11-22 11:30</pubDate></item>
<item><link>https://example.jo/z/3</link><title>ج</title><pubDate>منذ ساعتين</pubDate></item>
</channel></rss>"#;
        let (items, problems) = parse(rss.as_bytes());
        assert_eq!(items[0].published, Some(utc("2026-11-22T08:30:00Z")));
        assert_eq!(items[1].published, Some(utc("2026-11-22T08:30:00Z")));
        assert_eq!(items[2].published, None, "never invented");
        assert_eq!(problems.len(), 1);
        assert!(problems[0].message.contains("منذ ساعتين"));
    }
}
