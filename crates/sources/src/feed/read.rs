//! Reading a decoded feed document into a [`RawFeed`]: the format, the feed's title and
//! link, and each entry's fields as written, before any cleaning.
//!
//! XML feeds (RSS 0.9x/1.0/2.0, RDF, Atom 0.3/1.0) are read in one pass over the tags from
//! [`super::xml::Reader`], the way a forgiving feed reader does: namespaces are resolved to
//! the usual prefixes whatever the document calls them; an `<item>` or `<entry>` anywhere is
//! an entry (RSS 0.91 feeds that put items after `</channel>` exist); an end tag closes the
//! element it names and whatever was left open inside it; fields are the direct children of
//! the entry. A field with child elements (Atom `xhtml`, HTML pasted without escaping) is
//! kept as markup. Damage is noted in [`RawFeed::malformed`], never fatal.
//!
//! JSON Feed 1.0/1.1 is read with serde_json.

use std::borrow::Cow;

use serde_json::Value;

use super::xml::{Event, Reader, Tag, markup_of, split_name, text_of};
use crate::dates::parse_date;

/// How a text field is to be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// Plain text (Atom `type="text"`, JSON `content_text`).
    Text,
    /// HTML (Atom `type="html"`/`xhtml`, child elements, JSON `content_html`).
    Html,
    /// Unlabelled (RSS): HTML if it looks like it.
    Guess,
}

/// A text field and how to read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Content {
    /// The value, XML references decoded (for `Html`, the markup).
    pub value: String,
    /// How to read it.
    pub kind: Kind,
}

/// A link of an entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RawLink {
    /// The address as written (maybe relative).
    pub href: String,
    /// `rel` is `alternate` (or absent): the entry's own page.
    pub alternate: bool,
    /// The base it is relative to (`xml:base` in effect), if any.
    pub base: Option<String>,
}

/// One entry as written.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct RawEntry {
    pub title: Option<Content>,
    pub links: Vec<RawLink>,
    /// RSS `guid`, Atom `id`, JSON `id`.
    pub guid: Option<String>,
    /// The RSS GUID is a permalink (`isPermaLink` absent or true).
    pub guid_is_permalink: bool,
    /// FeedBurner's `origLink`: the publisher's own link behind a redirect.
    pub orig_link: Option<String>,
    pub published: Option<String>,
    pub updated: Option<String>,
    pub summary: Option<Content>,
    pub content: Option<Content>,
    pub author: Option<String>,
    /// `xml:base` in effect for the entry.
    pub base: Option<String>,
    /// The entry's end tag (or the end of an enclosing element) was seen: it was not cut off
    /// by the end of the document.
    pub complete: bool,
}

/// A feed as written.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct RawFeed {
    /// `rss090`, `rss091`, `rss092`, `rss093`, `rss094`, `rss20`, `rss` (no version),
    /// `rss10`, `atom03`, `atom10`, `atom`, `json10`, `json11`, `rssjson` (RSS 2.0 written
    /// as JSON), or `""` when entries were found without a feed root element.
    pub format: &'static str,
    pub title: Option<String>,
    pub link: Option<String>,
    pub entries: Vec<RawEntry>,
    /// The first sign of damage, for a person.
    pub malformed: Option<String>,
    /// The document's first element, to say what it is when it is not a feed.
    pub root: Option<String>,
    /// How many entries the document holds (`entries` may keep fewer, see
    /// [`RawFeed::push_entry`]).
    pub total_entries: usize,
    /// Keep at most this many entries, the newest; 0 keeps all.
    keep: usize,
}

impl RawFeed {
    /// Adds an entry. When a limit is set and twice that many are held, only the newest
    /// `keep` are kept, so a feed of fifty thousand entries never holds them all.
    fn push_entry(&mut self, entry: RawEntry) {
        self.total_entries += 1;
        self.entries.push(entry);
        if self.keep > 0 && self.entries.len() >= self.keep.saturating_mul(2) {
            keep_newest(&mut self.entries, self.keep);
        }
    }
}

/// Keeps the `keep` newest entries (by published, else updated date; undated entries after
/// dated ones, and among equals the earlier in the document), in document order.
pub(crate) fn keep_newest(entries: &mut Vec<RawEntry>, keep: usize) {
    if entries.len() <= keep {
        return;
    }
    let dates: Vec<_> = entries
        .iter()
        .map(|e| {
            e.published
                .as_deref()
                .and_then(parse_date)
                .or_else(|| e.updated.as_deref().and_then(parse_date))
        })
        .collect();
    let mut order: Vec<usize> = (0..entries.len()).collect();
    order.sort_by(|&a, &b| dates[b].cmp(&dates[a]).then(a.cmp(&b)));
    let mut kept = vec![false; entries.len()];
    for &i in &order[..keep] {
        kept[i] = true;
    }
    let mut flags = kept.into_iter();
    entries.retain(|_| flags.next().unwrap_or(false));
}

/// Why a document is not a feed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum NotFeed {
    /// No feed root element and no entries; the first element's name, if any.
    NoRoot(Option<String>),
    /// JSON that is not a JSON Feed.
    Json(String),
}

// ---------------------------------------------------------------------------------------
// Names

/// What an element is, once its namespace is resolved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum El {
    Rss,
    RdfRoot,
    Feed,
    Channel,
    Entry,
    Title,
    DcTitle,
    Link,
    Guid,
    Id,
    Published,
    Updated,
    Summary,
    Content,
    Author,
    Creator,
    OrigLink,
    /// Channel furniture whose `title`/`link` are not the feed's.
    Furniture,
    Other,
}

/// Known namespace URIs and the prefix they are read under (`""` for the feed formats'
/// own namespaces).
fn prefix_for_uri(uri: &str) -> Option<&'static str> {
    let u = uri.trim().trim_end_matches('/');
    let known: &[(&str, &str)] = &[
        ("http://purl.org/rss/1.0", ""),
        ("http://my.netscape.com/rdf/simple/0.9", ""),
        ("http://www.w3.org/2005/atom", ""),
        ("http://purl.org/atom/ns#", ""),
        ("http://backend.userland.com/rss2", ""),
        ("http://backend.userland.com/rss", ""),
        ("http://blogs.law.harvard.edu/tech/rss", ""),
        ("http://purl.org/net/rss1.1#", ""),
        ("http://purl.org/dc/elements/1.1", "dc"),
        ("http://purl.org/dc/terms", "dcterms"),
        ("http://purl.org/rss/1.0/modules/content", "content"),
        ("http://www.w3.org/1999/02/22-rdf-syntax-ns#", "rdf"),
        ("http://www.w3.org/1999/xhtml", "xhtml"),
        ("http://rssnamespace.org/feedburner/ext/1.0", "feedburner"),
        ("http://www.itunes.com/dtds/podcast-1.0.dtd", "itunes"),
        ("http://search.yahoo.com/mrss", "media"),
    ];
    known
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(u))
        .map(|(_, p)| *p)
}

/// Classifies an element by its resolved prefix and local name.
fn classify(prefix: &str, local: &str) -> El {
    let is = |n: &str| local.eq_ignore_ascii_case(n);
    match prefix {
        "" => {
            if is("item") || is("entry") {
                El::Entry
            } else if is("title") {
                El::Title
            } else if is("link") {
                El::Link
            } else if is("guid") {
                El::Guid
            } else if is("id") {
                El::Id
            } else if is("pubdate") || is("published") || is("issued") || is("created") {
                El::Published
            } else if is("updated") || is("modified") {
                El::Updated
            } else if is("description") || is("summary") || is("tagline") || is("subtitle") {
                El::Summary
            } else if is("content") || is("fullitem") {
                El::Content
            } else if is("author") {
                El::Author
            } else if is("channel") {
                El::Channel
            } else if is("rss") {
                El::Rss
            } else if is("feed") {
                El::Feed
            } else if is("image") || is("textinput") || is("source") || is("items") {
                El::Furniture
            } else {
                El::Other
            }
        }
        "dc" => {
            if is("date") {
                El::Published
            } else if is("creator") || is("author") {
                El::Creator
            } else if is("description") {
                El::Summary
            } else if is("title") {
                El::DcTitle
            } else {
                El::Other
            }
        }
        "dcterms" => {
            if is("issued") || is("created") {
                El::Published
            } else if is("modified") {
                El::Updated
            } else {
                El::Other
            }
        }
        "content" if is("encoded") => El::Content,
        "xhtml" if is("body") || is("div") => El::Content,
        "rdf" if is("rdf") => El::RdfRoot,
        "feedburner" if is("origlink") => El::OrigLink,
        "itunes" if is("author") => El::Creator,
        "itunes" if is("summary") => El::Summary,
        _ => El::Other,
    }
}

// ---------------------------------------------------------------------------------------
// XML

/// One open element.
#[derive(Debug)]
struct Frame<'a> {
    name: &'a str,
    el: El,
    /// How many namespace declarations it made.
    decls: usize,
    /// It set an `xml:base`.
    base: bool,
}

/// A field being read: where its content starts, and whether it has child elements.
#[derive(Debug)]
struct Capture<'a> {
    tag: Tag<'a>,
    el: El,
    /// Within an entry (else the feed's own title or link).
    in_entry: bool,
    /// Open child elements with the field's own name (to find its real end).
    same_name: usize,
    has_children: bool,
}

/// The feed reader's state.
struct XmlReader<'a> {
    src: &'a str,
    stack: Vec<Frame<'a>>,
    /// Namespace scope: declared prefix, its URI, and the prefix it is read under.
    ns: Vec<(&'a str, &'a str, &'a str)>,
    bases: Vec<String>,
    feed: RawFeed,
    root_found: bool,
    /// Stack depth of the open entry (its frame index), if any.
    entry_at: Option<usize>,
    entry: RawEntry,
    capture: Option<Capture<'a>>,
}

impl<'a> XmlReader<'a> {
    fn note(&mut self, what: impl FnOnce() -> String) {
        if self.feed.malformed.is_none() {
            self.feed.malformed = Some(what());
        }
    }

    /// Resolves a name to (prefix it is read under, local name).
    fn resolve(&self, name: &'a str) -> (&'a str, &'a str) {
        let (prefix, local) = split_name(name);
        for (p, _, canon) in self.ns.iter().rev() {
            if *p == prefix {
                return (canon, local);
            }
        }
        // Undeclared: a default namespace is the feed's; a prefix is read as written.
        (prefix, local)
    }

    fn default_uri(&self) -> Option<&'a str> {
        self.ns
            .iter()
            .rev()
            .find(|(p, _, _)| p.is_empty())
            .map(|(_, u, _)| *u)
    }

    fn start(&mut self, tag: Tag<'a>) {
        if let Some(c) = &mut self.capture {
            let (_, local) = split_name(tag.name);
            let starts_entry = ["item", "entry"]
                .iter()
                .any(|n| local.eq_ignore_ascii_case(n));
            if !starts_entry {
                c.has_children = true;
                if !tag.empty && tag.name.eq_ignore_ascii_case(c.tag.name) {
                    c.same_name += 1;
                }
                return;
            }
            // An entry starting inside a field: the field was never closed.
            self.note(|| format!("<{}> is not closed", tag.name));
            self.finish_capture(tag.at);
        }
        let mut decls = 0;
        let mut base = false;
        if tag.attrs.contains("xmlns") || tag.attrs.contains("xml:base") {
            for (name, value) in super::xml::attrs(tag.attrs) {
                if let Some(rest) = name.strip_prefix("xmlns") {
                    let prefix = match rest.strip_prefix(':') {
                        Some(p) => p,
                        None if rest.is_empty() => "",
                        None => continue,
                    };
                    let canon = prefix_for_uri(value).unwrap_or(prefix);
                    self.ns.push((prefix, value, canon));
                    decls += 1;
                } else if name.eq_ignore_ascii_case("xml:base") {
                    let value = crate::html::decode_entities(value);
                    let resolved = match self.bases.last() {
                        Some(b) => url::Url::parse(b)
                            .and_then(|b| b.join(value.trim()))
                            .map(|u| u.to_string())
                            .unwrap_or_else(|_| value.trim().to_string()),
                        None => value.trim().to_string(),
                    };
                    self.bases.push(resolved);
                    base = true;
                }
            }
        }
        let (prefix, local) = self.resolve(tag.name);
        let el = classify(prefix, local);
        if self.feed.root.is_none() {
            self.feed.root = Some(tag.name.to_string());
        }
        if !self.root_found {
            self.detect_format(el, &tag);
        }
        let depth = self.stack.len();
        match el {
            El::Entry => {
                if self.entry_at.is_some() {
                    self.note(|| format!("<{}> starts before the previous one ends", tag.name));
                    self.finish_entry(true);
                }
                self.entry = RawEntry {
                    base: self.bases.last().cloned(),
                    guid_is_permalink: true,
                    ..RawEntry::default()
                };
                if tag.empty {
                    self.entry.complete = true;
                    self.feed.push_entry(std::mem::take(&mut self.entry));
                    self.pop_scope(decls, base);
                    return;
                }
                self.entry_at = Some(depth);
            }
            El::Title
            | El::DcTitle
            | El::Link
            | El::Guid
            | El::Id
            | El::Published
            | El::Updated
            | El::Summary
            | El::Content
            | El::Author
            | El::Creator
            | El::OrigLink => {
                if let Some(e) = self.entry_at {
                    if e + 1 == depth {
                        self.begin_field(tag, el, true);
                    }
                } else if matches!(el, El::Title | El::Link)
                    && self
                        .stack
                        .last()
                        .is_some_and(|f| matches!(f.el, El::Channel | El::Feed))
                {
                    self.begin_field(tag, el, false);
                }
            }
            _ => {}
        }
        if self.capture.is_some() {
            // The field's frame is implied by the capture; scope declared on it is dropped
            // when it ends.
            self.pop_scope(decls, base);
            return;
        }
        if tag.empty {
            self.pop_scope(decls, base);
            return;
        }
        self.stack.push(Frame {
            name: tag.name,
            el,
            decls,
            base,
        });
    }

    fn pop_scope(&mut self, decls: usize, base: bool) {
        let keep = self.ns.len().saturating_sub(decls);
        self.ns.truncate(keep);
        if base {
            self.bases.pop();
        }
    }

    fn detect_format(&mut self, el: El, tag: &Tag<'a>) {
        let format = match el {
            El::Rss => match tag.attr("version").as_deref().map(str::trim) {
                Some("0.90") => "rss090",
                Some("0.91") => "rss091",
                Some("0.92") => "rss092",
                Some("0.93") => "rss093",
                Some("0.94") => "rss094",
                Some(v) if v.starts_with('2') => "rss20",
                _ => "rss",
            },
            El::RdfRoot => match self.default_uri().map(|u| u.trim().trim_end_matches('/')) {
                Some(u) if u.eq_ignore_ascii_case("http://my.netscape.com/rdf/simple/0.9") => {
                    "rss090"
                }
                _ => "rss10",
            },
            El::Feed => {
                let v03 = tag.attr("version").is_some_and(|v| v.trim() == "0.3")
                    || self
                        .default_uri()
                        .is_some_and(|u| u.trim().eq_ignore_ascii_case("http://purl.org/atom/ns#"));
                let v10 = self
                    .default_uri()
                    .is_some_and(|u| u.trim().eq_ignore_ascii_case("http://www.w3.org/2005/Atom"));
                if v03 {
                    "atom03"
                } else if v10 {
                    "atom10"
                } else {
                    "atom"
                }
            }
            El::Channel => "rss",
            // A standalone Atom Entry Document (RFC 4287 section 4.1.2).
            El::Entry
                if self.feed.root.as_deref() == Some(tag.name)
                    && self.default_uri().is_some_and(|u| {
                        u.trim().eq_ignore_ascii_case("http://www.w3.org/2005/Atom")
                    }) =>
            {
                "atom10"
            }
            _ => return,
        };
        self.feed.format = format;
        self.root_found = true;
    }

    fn begin_field(&mut self, tag: Tag<'a>, el: El, in_entry: bool) {
        // Attribute-only fields.
        if el == El::Link
            && let Some(href) = tag.attr("href")
        {
            let alternate = tag
                .attr("rel")
                .is_none_or(|r| r.trim().is_empty() || r.trim().eq_ignore_ascii_case("alternate"));
            let link = RawLink {
                href: href.trim().to_string(),
                alternate,
                base: self.bases.last().cloned(),
            };
            if in_entry {
                self.entry.links.push(link);
            } else if self.feed.link.is_none() && link.alternate {
                self.feed.link = Some(link.href);
            }
            if !tag.empty {
                // Atom links are empty elements; skip whatever a link wraps.
                self.capture = Some(Capture {
                    tag,
                    el: El::Other,
                    in_entry,
                    same_name: 0,
                    has_children: false,
                });
            }
            return;
        }
        if el == El::Guid
            && let Some(p) = tag.attr("isPermaLink")
        {
            self.entry.guid_is_permalink = !p.trim().eq_ignore_ascii_case("false");
        }
        if tag.empty {
            return;
        }
        self.capture = Some(Capture {
            tag,
            el,
            in_entry,
            same_name: 0,
            has_children: false,
        });
    }

    /// Ends the field being read at byte `at` (its end tag, or where it was cut off).
    fn finish_capture(&mut self, at: usize) {
        let Some(c) = self.capture.take() else {
            return;
        };
        if c.el == El::Author {
            // Atom's `<author>` holds `<name>` and `<email>`; RSS's is text, "email (Name)".
            let raw = &self.src[c.tag.end..at.max(c.tag.end)];
            if c.has_children {
                self.read_author_children(raw);
            } else {
                let v = text_of(raw).trim().to_string();
                if !v.is_empty() {
                    self.entry.author = Some(v);
                }
            }
            return;
        }
        let raw = &self.src[c.tag.end..at.max(c.tag.end)];
        let content = || -> Content {
            if c.has_children {
                return Content {
                    value: markup_of(raw).into_owned(),
                    kind: Kind::Html,
                };
            }
            let kind = content_kind(&c.tag);
            let value = text_of(raw);
            let value = if c.tag.attr("mode").is_some_and(|m| m.trim() == "base64") {
                base64_text(&value).map_or(value, Cow::Owned)
            } else {
                value
            };
            Content {
                value: value.into_owned(),
                kind,
            }
        };
        let plain = || -> String {
            if c.has_children {
                crate::html::html_to_text(raw)
            } else {
                text_of(raw).trim().to_string()
            }
        };
        if !c.in_entry {
            match c.el {
                El::Title if self.feed.title.is_none() => {
                    let t = content();
                    let t = super::clean_line(&t);
                    self.feed.title = Some(t);
                }
                El::Link if self.feed.link.is_none() => {
                    let l = plain();
                    if !l.is_empty() {
                        self.feed.link = Some(l);
                    }
                }
                _ => {}
            }
            return;
        }
        let e = &mut self.entry;
        match c.el {
            El::Title if e.title.is_none() => e.title = Some(content()),
            El::DcTitle if e.title.is_none() => e.title = Some(content()),
            El::Link => {
                let href = plain();
                if !href.is_empty() {
                    e.links.push(RawLink {
                        href,
                        alternate: true,
                        base: self.bases.last().cloned(),
                    });
                }
            }
            El::Guid | El::Id if e.guid.is_none() => {
                let g = plain();
                if !g.is_empty() {
                    e.guid = Some(g);
                }
                if c.el == El::Id {
                    e.guid_is_permalink = false;
                }
            }
            El::OrigLink if e.orig_link.is_none() => e.orig_link = Some(plain()),
            El::Published if e.published.is_none() => e.published = Some(plain()),
            El::Updated if e.updated.is_none() => e.updated = Some(plain()),
            El::Summary if e.summary.is_none() => e.summary = Some(content()),
            El::Content if e.content.is_none() => e.content = Some(content()),
            El::Creator if e.author.is_none() => e.author = Some(plain()),
            _ => {}
        }
    }

    /// Reads `name` (else `email`) from an Atom author's content.
    fn read_author_children(&mut self, raw: &str) {
        let mut name = None;
        let mut email = None;
        let mut open: Option<(&str, usize)> = None;
        for ev in Reader::new(raw) {
            match ev {
                Event::Start(t) => {
                    let (_, local) = split_name(t.name);
                    if local.eq_ignore_ascii_case("name") || local.eq_ignore_ascii_case("email") {
                        open = Some((local, t.end));
                    }
                }
                Event::End { name: n, at } => {
                    if let Some((local, start)) = open
                        && split_name(n).1.eq_ignore_ascii_case(local)
                    {
                        let v = text_of(&raw[start..at]).trim().to_string();
                        if local.eq_ignore_ascii_case("name") {
                            name.get_or_insert(v);
                        } else {
                            email.get_or_insert(v);
                        }
                        open = None;
                    }
                }
            }
        }
        let found = name.filter(|n| !n.is_empty()).or(email);
        if let Some(a) = found.filter(|a| !a.is_empty()) {
            self.entry.author.get_or_insert(a);
        }
    }

    fn finish_entry(&mut self, complete: bool) {
        if self.entry_at.take().is_none() {
            return;
        }
        self.entry.complete = complete;
        self.feed.push_entry(std::mem::take(&mut self.entry));
    }

    fn end(&mut self, name: &'a str, at: usize) {
        if let Some(c) = &mut self.capture {
            if name.eq_ignore_ascii_case(c.tag.name) {
                if c.same_name > 0 {
                    c.same_name -= 1;
                    return;
                }
                self.finish_capture(at);
                return;
            }
            // The end of an enclosing element closes the field too.
            if !self.stack.iter().any(|f| f.name.eq_ignore_ascii_case(name)) {
                return;
            }
            let field = c.tag.name;
            self.note(|| format!("<{field}> is not closed"));
            self.finish_capture(at);
        }
        let Some(i) = self
            .stack
            .iter()
            .rposition(|f| f.name.eq_ignore_ascii_case(name))
        else {
            self.note(|| format!("</{name}> closes nothing"));
            return;
        };
        if i + 1 < self.stack.len() {
            let inner = self.stack[self.stack.len() - 1].name;
            self.note(|| format!("<{inner}> is not closed before </{name}>"));
        }
        while self.stack.len() > i {
            let depth = self.stack.len() - 1;
            let Some(frame) = self.stack.pop() else {
                break;
            };
            if self.entry_at == Some(depth) {
                self.finish_entry(true);
            }
            self.pop_scope(frame.decls, frame.base);
        }
    }

    fn finish(mut self) -> RawFeed {
        let end = self.src.len();
        if self.capture.is_some() || !self.stack.is_empty() {
            let open = self
                .capture
                .as_ref()
                .map(|c| c.tag.name)
                .or_else(|| self.stack.last().map(|f| f.name))
                .unwrap_or("?");
            self.note(|| format!("the document ends inside <{open}>: it is cut off"));
        }
        self.finish_capture(end);
        self.finish_entry(false);
        self.feed
    }
}

/// How an Atom/RSS text construct is to be read, from its `type` (and Atom 0.3 `mode`).
fn content_kind(tag: &Tag<'_>) -> Kind {
    if tag.attr("mode").is_some_and(|m| m.trim() == "escaped") {
        return Kind::Html;
    }
    match tag.attr("type") {
        None => Kind::Guess,
        Some(t) => {
            let t = t.trim().to_ascii_lowercase();
            if t.contains("html") {
                Kind::Html
            } else if t == "text" || t == "text/plain" {
                Kind::Text
            } else {
                Kind::Guess
            }
        }
    }
}

/// Decodes base64 (Atom 0.3 `mode="base64"`) to UTF-8 text, if it is that.
fn base64_text(s: &str) -> Option<String> {
    let mut bits = 0u32;
    let mut n = 0;
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    for c in s.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            b'=' => break,
            c if c.is_ascii_whitespace() => continue,
            _ => return None,
        };
        bits = (bits << 6) | u32::from(v);
        n += 6;
        if n >= 8 {
            n -= 8;
            out.push((bits >> n) as u8);
        }
    }
    String::from_utf8(out).ok()
}

/// Reads an XML feed document, holding at most about `2 × keep` entries at a time (the
/// newest `keep` are sure to be among them; 0 keeps all).
pub(crate) fn read_xml(text: &str, keep: usize) -> Result<RawFeed, NotFeed> {
    let mut r = XmlReader {
        src: text,
        stack: Vec::with_capacity(16),
        ns: Vec::new(),
        bases: Vec::new(),
        feed: RawFeed {
            keep,
            ..RawFeed::default()
        },
        root_found: false,
        entry_at: None,
        entry: RawEntry::default(),
        capture: None,
    };
    for ev in Reader::new(text) {
        match ev {
            Event::Start(tag) => r.start(tag),
            Event::End { name, at } => r.end(name, at),
        }
    }
    let root_found = r.root_found;
    let feed = r.finish();
    if !root_found {
        if feed.entries.is_empty() {
            return Err(NotFeed::NoRoot(feed.root));
        }
        let mut feed = feed;
        if feed.malformed.is_none() {
            feed.malformed = Some(format!(
                "entries were found under <{}>, which is not an RSS, RDF or Atom root",
                feed.root.as_deref().unwrap_or("?")
            ));
        }
        return Ok(feed);
    }
    Ok(feed)
}

// ---------------------------------------------------------------------------------------
// JSON Feed

/// Reads a JSON Feed document, keeping entries as [`read_xml`] does.
pub(crate) fn read_json(text: &str, keep: usize) -> Result<RawFeed, NotFeed> {
    let (v, damage) = match serde_json::from_str::<Value>(text) {
        Ok(v) => (v, None),
        Err(e) => match salvage_json(text) {
            Some(v) => (
                v,
                Some(format!("invalid JSON ({e}); the complete items were kept")),
            ),
            None => return Err(NotFeed::Json(format!("invalid JSON: {e}"))),
        },
    };
    let Some(obj) = v.as_object() else {
        return Err(NotFeed::Json("the JSON is not an object".to_string()));
    };
    if let Some(channel) = obj
        .get("rss")
        .and_then(|r| r.get("channel"))
        .and_then(Value::as_object)
    {
        return Ok(read_rss_in_json(channel, keep));
    }
    let version = obj.get("version").and_then(Value::as_str).unwrap_or("");
    let items = obj.get("items").and_then(Value::as_array);
    if !version.contains("jsonfeed.org") && items.is_none() {
        return Err(NotFeed::Json(
            "the JSON has neither a jsonfeed.org \"version\" nor \"items\"".to_string(),
        ));
    }
    let format = if version.ends_with("/1") || version.ends_with("/1.0") {
        "json10"
    } else {
        "json11"
    };
    let s = |v: Option<&Value>| -> Option<String> {
        match v? {
            Value::String(s) => Some(s.trim().to_string()).filter(|s| !s.is_empty()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        }
    };
    let mut feed = RawFeed {
        format,
        title: s(obj.get("title")),
        link: s(obj.get("home_page_url")),
        root: Some("{".to_string()),
        malformed: damage,
        keep,
        ..RawFeed::default()
    };
    let feed_author = json_author(obj.get("authors"), obj.get("author"));
    for item in items.into_iter().flatten() {
        let Some(it) = item.as_object() else {
            feed.malformed
                .get_or_insert_with(|| "an item is not a JSON object".to_string());
            continue;
        };
        let mut links = Vec::new();
        for key in ["url", "external_url"] {
            if let Some(href) = s(it.get(key)) {
                links.push(RawLink {
                    href,
                    alternate: true,
                    base: None,
                });
            }
        }
        let text = |key: &str, kind: Kind| s(it.get(key)).map(|value| Content { value, kind });
        feed.push_entry(RawEntry {
            title: text("title", Kind::Text),
            links,
            guid: s(it.get("id")),
            guid_is_permalink: false,
            published: s(it.get("date_published")),
            updated: s(it.get("date_modified")),
            summary: text("summary", Kind::Text),
            content: text("content_html", Kind::Html).or_else(|| text("content_text", Kind::Text)),
            author: json_author(it.get("authors"), it.get("author"))
                .or_else(|| feed_author.clone()),
            complete: true,
            ..RawEntry::default()
        });
    }
    Ok(feed)
}

/// Reads RSS 2.0 written as JSON (`{"rss": {"channel": {"item": […]}}}`, "RSS-in-JSON").
fn read_rss_in_json(channel: &serde_json::Map<String, Value>, keep: usize) -> RawFeed {
    // A field is a string, or an object whose text is under "#value".
    let s = |v: Option<&Value>| -> Option<String> {
        let v = v?;
        let text = match v {
            Value::String(s) => s.as_str(),
            Value::Object(o) => o.get("#value")?.as_str()?,
            _ => return None,
        };
        Some(text.trim().to_string()).filter(|t| !t.is_empty())
    };
    let items: Vec<&Value> = match channel.get("item") {
        Some(Value::Array(a)) => a.iter().collect(),
        Some(one @ Value::Object(_)) => vec![one],
        _ => Vec::new(),
    };
    let mut feed = RawFeed {
        format: "rssjson",
        title: s(channel.get("title")),
        link: s(channel.get("link")),
        root: Some("{".to_string()),
        keep,
        ..RawFeed::default()
    };
    for item in items {
        let Some(it) = item.as_object() else {
            continue;
        };
        let permalink = it
            .get("guid")
            .and_then(|g| g.get("isPermaLink"))
            .and_then(Value::as_str)
            .is_none_or(|p| p != "false");
        let text = |key: &str| {
            s(it.get(key)).map(|value| Content {
                value,
                kind: Kind::Guess,
            })
        };
        feed.push_entry(RawEntry {
            title: text("title"),
            links: s(it.get("link"))
                .map(|href| RawLink {
                    href,
                    alternate: true,
                    base: None,
                })
                .into_iter()
                .collect(),
            guid: s(it.get("guid")),
            guid_is_permalink: permalink,
            published: s(it.get("pubDate")),
            summary: text("description"),
            author: s(it.get("author")),
            complete: true,
            ..RawEntry::default()
        });
    }
    feed
}

/// A JSON Feed cut off or damaged inside its `items`: the fields before `items`, and the
/// items that parse, one by one, up to the damage.
fn salvage_json(text: &str) -> Option<Value> {
    let key = text.find("\"items\"")?;
    let after = &text[key + "\"items\"".len()..];
    let open = after.find('[')?;
    if !after[..open]
        .trim()
        .trim_start_matches(':')
        .trim()
        .is_empty()
    {
        return None;
    }
    let head = text[..key].trim_end().trim_end_matches(',');
    let mut feed = match serde_json::from_str::<Value>(&format!("{head}}}")) {
        Ok(Value::Object(o)) => o,
        _ => serde_json::Map::new(),
    };
    let mut items = Vec::new();
    let mut rest = &after[open + 1..];
    loop {
        rest = rest.trim_start().trim_start_matches(',').trim_start();
        if rest.is_empty() || rest.starts_with(']') {
            break;
        }
        let mut stream = serde_json::Deserializer::from_str(rest).into_iter::<Value>();
        match stream.next() {
            Some(Ok(v)) => {
                items.push(v);
                rest = &rest[stream.byte_offset()..];
            }
            _ => break,
        }
    }
    if items.is_empty() {
        return None;
    }
    feed.insert("items".to_string(), Value::Array(items));
    Some(Value::Object(feed))
}

/// The first author's name in JSON Feed 1.1 `authors` or 1.0 `author`.
fn json_author(authors: Option<&Value>, author: Option<&Value>) -> Option<String> {
    let one = |a: &Value| -> Option<String> {
        match a {
            Value::String(s) => Some(s.clone()),
            Value::Object(o) => o.get("name").and_then(Value::as_str).map(str::to_string),
            _ => None,
        }
    };
    authors
        .and_then(Value::as_array)
        .and_then(|a| a.iter().find_map(one))
        .or_else(|| author.and_then(one))
        .map(|a| a.trim().to_string())
        .filter(|a| !a.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rss_items_outside_the_channel_and_namespaces() {
        let doc = r#"<rss version="0.91" xmlns:d="http://purl.org/dc/elements/1.1/"><channel><title>قناة</title>
<image><title>شعار</title><link>https://x.jo/logo</link></image></channel>
<item><title>أول</title><link>https://x.jo/1</link><d:creator>سارة</d:creator><d:date>2026-11-22</d:date></item></rss>"#;
        let f = read_xml(doc, 0).unwrap();
        assert_eq!(f.format, "rss091");
        assert_eq!(f.title.as_deref(), Some("قناة"));
        assert_eq!(f.entries.len(), 1);
        let e = &f.entries[0];
        assert_eq!(e.author.as_deref(), Some("سارة"));
        assert_eq!(e.published.as_deref(), Some("2026-11-22"));
        assert_eq!(e.links[0].href, "https://x.jo/1");
        assert!(e.complete);
        assert!(f.malformed.is_none(), "{:?}", f.malformed);
    }

    #[test]
    fn atom_fields_and_xhtml_content() {
        let doc = r#"<feed xmlns="http://www.w3.org/2005/Atom" xml:base="https://x.jo/blog/"><title type="html">&lt;b&gt;مدونة&lt;/b&gt;</title>
<entry><title>عنوان</title><id>tag:x.jo,2026:1</id><link href="1" /><link rel="replies" href="1#c"/>
<author><name>ليلى</name><email>l@x.jo</email></author>
<source><title>ليس هذا</title><id>tag:other</id></source>
<content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml"><p>فقرة <b>أولى</b></p></div></content>
<updated>2026-11-22T10:00:00Z</updated></entry></feed>"#;
        let f = read_xml(doc, 0).unwrap();
        assert_eq!(f.format, "atom10");
        assert_eq!(f.title.as_deref(), Some("مدونة"));
        let e = &f.entries[0];
        assert_eq!(e.title.as_ref().unwrap().value, "عنوان");
        assert_eq!(e.guid.as_deref(), Some("tag:x.jo,2026:1"));
        assert_eq!(e.author.as_deref(), Some("ليلى"));
        assert_eq!(e.links.len(), 2);
        assert_eq!(e.links[0].base.as_deref(), Some("https://x.jo/blog/"));
        let c = e.content.as_ref().unwrap();
        assert_eq!(c.kind, Kind::Html);
        assert!(c.value.contains("<p>فقرة <b>أولى</b></p>"), "{}", c.value);
        assert_eq!(e.updated.as_deref(), Some("2026-11-22T10:00:00Z"));
    }

    #[test]
    fn rdf_with_prefixes_named_otherwise() {
        let doc = r#"<r:RDF xmlns:r="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/" xmlns:c="http://purl.org/rss/1.0/modules/content/">
<channel r:about="x"><title>t</title><items><r:Seq><r:li r:resource="https://x.jo/1"/></r:Seq></items></channel>
<item r:about="https://x.jo/1"><title>واحد</title><link>https://x.jo/1</link><c:encoded><![CDATA[<p>نص</p>]]></c:encoded></item>
<item r:about="https://x.jo/2"><title>اثنان</title><link>https://x.jo/2</link></item></r:RDF>"#;
        let f = read_xml(doc, 0).unwrap();
        assert_eq!(f.format, "rss10");
        assert_eq!(f.entries.len(), 2);
        assert_eq!(f.entries[0].content.as_ref().unwrap().value, "<p>نص</p>");
    }

    #[test]
    fn damaged_documents_keep_their_entries() {
        // An unclosed title, a stray end tag, and a document cut off inside the last entry.
        let doc = "<rss version=\"2.0\"><channel><item><title>بلا نهاية<link>https://x.jo/1</link></item>\
                   </bogus><item><title>ثان</title><link>https://x.jo/2</link></item><item><title>مقطو";
        let f = read_xml(doc, 0).unwrap();
        assert_eq!(f.entries.len(), 3);
        assert!(f.entries[0].complete && f.entries[1].complete);
        assert!(!f.entries[2].complete);
        assert_eq!(f.entries[1].links[0].href, "https://x.jo/2");
        assert!(f.malformed.is_some());
    }

    #[test]
    fn not_feeds() {
        assert_eq!(
            read_xml("<html><body><p>x</p></body></html>", 0),
            Err(NotFeed::NoRoot(Some("html".to_string())))
        );
        assert!(matches!(read_json("[1,2]", 0), Err(NotFeed::Json(_))));
        assert!(matches!(read_json("{\"a\":1}", 0), Err(NotFeed::Json(_))));
    }

    #[test]
    fn json_feed_fields() {
        let f = read_json(r#"{"version":"https://jsonfeed.org/version/1.1","title":"ت","authors":[{"name":"فريق"}],
            "items":[{"id":7,"url":"https://x.jo/j","title":"خبر","content_html":"<p>ن</p>","date_published":"2026-11-22T10:00:00Z"}, 5]}"#, 0)
            .unwrap();
        assert_eq!(f.format, "json11");
        assert_eq!(f.entries.len(), 1);
        assert_eq!(f.entries[0].guid.as_deref(), Some("7"));
        assert_eq!(f.entries[0].author.as_deref(), Some("فريق"));
        assert!(f.malformed.is_some());
    }

    #[test]
    fn json_feed_cut_off() {
        let f = read_json(r#"{"version":"https://jsonfeed.org/version/1","title":"ت","items":[{"id":"1","url":"https://x.jo/1","title":"كامل"},{"id":"2","title":"مقط"#, 0)
            .unwrap();
        assert_eq!(f.entries.len(), 1);
        assert_eq!(f.title.as_deref(), Some("ت"));
        assert!(f.malformed.as_deref().unwrap().contains("invalid JSON"));
        assert!(
            read_json(
                r#"{"version":"https://jsonfeed.org/version/1","items":[{"id""#,
                0
            )
            .is_err()
        );
    }

    #[test]
    fn huge_feeds_hold_only_the_newest_entries() {
        // Oldest first, 1,000 entries: the newest 10 are the last ones.
        let mut doc = String::from("<rss version=\"2.0\"><channel><title>t</title>");
        for i in 0..1000 {
            doc.push_str(&format!(
                "<item><title>خبر {i}</title><link>https://x.jo/{i}</link>\
                 <pubDate>{}</pubDate></item>",
                (chrono::DateTime::UNIX_EPOCH + chrono::Duration::hours(i)).to_rfc2822()
            ));
        }
        doc.push_str("</channel></rss>");
        let f = read_xml(&doc, 10).unwrap();
        assert_eq!(f.total_entries, 1000);
        assert!(f.entries.len() < 20, "{}", f.entries.len());
        let mut entries = f.entries;
        keep_newest(&mut entries, 10);
        let links: Vec<&str> = entries.iter().map(|e| e.links[0].href.as_str()).collect();
        let want: Vec<String> = (990..1000).map(|i| format!("https://x.jo/{i}")).collect();
        assert_eq!(links, want, "the newest, in document order");
        assert_eq!(read_xml(&doc, 0).unwrap().entries.len(), 1000);
    }

    #[test]
    fn base64_mode() {
        assert_eq!(base64_text("2KPZhdmG").as_deref(), Some("أمن"));
        assert_eq!(base64_text("*"), None);
    }
}
