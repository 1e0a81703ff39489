//! A forgiving XML tokenizer for feeds, sitemaps and OPML: start and end tags with their
//! byte positions, everything else (text, CDATA, comments, the prolog, doctypes) skipped
//! over so that markup inside CDATA or comments is never mistaken for tags.
//!
//! It never fails. A `<` that does not open a tag is text; a tag cut off by the end of the
//! document ends the stream; quotes that never close fall back to the first `>`. Callers
//! read text content as the slice between a start tag's end and its end tag's start, with
//! [`text_of`] (CDATA kept, comments dropped, character references decoded).

use std::borrow::Cow;

use crate::html::{decode_entities, decode_entities_into, find, memchr, tag_end};

/// One tag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Event<'a> {
    /// A start tag (`empty` when written `<x/>`).
    Start(Tag<'a>),
    /// An end tag: its name and where its `<` is.
    End {
        /// The name as written.
        name: &'a str,
        /// Byte offset of the `<`.
        at: usize,
    },
}

/// A start tag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Tag<'a> {
    /// The name as written (`dc:creator`).
    pub name: &'a str,
    /// The raw attribute text.
    pub attrs: &'a str,
    /// Written as `<x/>`.
    pub empty: bool,
    /// Byte offset of the `<`.
    pub at: usize,
    /// Byte offset just past the `>`.
    pub end: usize,
}

impl<'a> Tag<'a> {
    /// The value of attribute `name` (ASCII case-insensitive), references decoded.
    pub fn attr(&self, name: &str) -> Option<Cow<'a, str>> {
        attrs(self.attrs)
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| decode_entities(v))
    }
}

/// The attributes in a tag's attribute text: `(name, raw value)`; a bare name has an empty
/// value.
pub(crate) fn attrs(s: &str) -> impl Iterator<Item = (&str, &str)> {
    let b = s.as_bytes();
    let mut i = 0;
    std::iter::from_fn(move || {
        loop {
            while i < b.len() && (b[i].is_ascii_whitespace() || b[i] == b'/') {
                i += 1;
            }
            if i >= b.len() {
                return None;
            }
            let start = i;
            while i < b.len() && !b[i].is_ascii_whitespace() && !matches!(b[i], b'=' | b'/') {
                i += 1;
            }
            let name = &s[start..i];
            let mut j = i;
            while j < b.len() && b[j].is_ascii_whitespace() {
                j += 1;
            }
            if b.get(j) != Some(&b'=') {
                if name.is_empty() {
                    // A stray '=' or quote: step over it.
                    i += 1;
                    continue;
                }
                return Some((name, ""));
            }
            j += 1;
            while j < b.len() && b[j].is_ascii_whitespace() {
                j += 1;
            }
            let value = match b.get(j) {
                Some(&q @ (b'"' | b'\'')) => {
                    let vstart = j + 1;
                    let vend = memchr(q, &b[vstart..]).map_or(b.len(), |p| vstart + p);
                    i = (vend + 1).min(b.len());
                    &s[vstart..vend]
                }
                _ => {
                    let vstart = j;
                    while j < b.len() && !b[j].is_ascii_whitespace() {
                        j += 1;
                    }
                    i = j;
                    &s[vstart..j]
                }
            };
            if name.is_empty() {
                continue;
            }
            return Some((name, value));
        }
    })
}

/// The tokenizer: an iterator of [`Event`]s over a document.
#[derive(Debug, Clone)]
pub(crate) struct Reader<'a> {
    s: &'a str,
    pos: usize,
}

impl<'a> Reader<'a> {
    /// A reader at the start of `s`.
    pub fn new(s: &'a str) -> Reader<'a> {
        Reader { s, pos: 0 }
    }
}

/// True for a byte that can start an element name.
fn name_start(c: u8) -> bool {
    c.is_ascii_alphabetic() || c == b'_' || c >= 0x80
}

/// The length of the element name at the start of `b`.
fn name_len(b: &[u8]) -> usize {
    b.iter()
        .position(|&c| c.is_ascii_whitespace() || matches!(c, b'>' | b'/' | b'<' | b'"' | b'\''))
        .unwrap_or(b.len())
}

impl<'a> Iterator for Reader<'a> {
    type Item = Event<'a>;

    fn next(&mut self) -> Option<Event<'a>> {
        let s = self.s;
        let b = s.as_bytes();
        loop {
            let lt = self.pos + memchr(b'<', b.get(self.pos..)?)?;
            let rest = &b[lt..];
            if rest.starts_with(b"<!--") {
                self.pos = find(b, lt + 4, b"-->").map_or(b.len(), |p| p + 3);
                continue;
            }
            if rest.starts_with(b"<![CDATA[") {
                self.pos = find(b, lt + 9, b"]]>").map_or(b.len(), |p| p + 3);
                continue;
            }
            if rest.starts_with(b"<!") {
                self.pos = skip_declaration(b, lt);
                continue;
            }
            if rest.starts_with(b"<?") {
                self.pos = find(b, lt + 2, b"?>").map_or(b.len(), |p| p + 2);
                continue;
            }
            let closing = rest.get(1) == Some(&b'/');
            let name_at = lt + 1 + usize::from(closing);
            if !b.get(name_at).copied().is_some_and(name_start) {
                // A lone '<' in text.
                self.pos = lt + 1;
                continue;
            }
            let len = name_len(&b[name_at..]);
            let name = &s[name_at..name_at + len];
            if closing {
                let end = memchr(b'>', &b[name_at..]).map_or(b.len(), |p| name_at + p + 1);
                self.pos = end;
                return Some(Event::End { name, at: lt });
            }
            let Some(end) = tag_end(b, lt) else {
                // Cut off inside the tag: nothing more to read.
                self.pos = b.len();
                return None;
            };
            // A '<' before the '>' means the tag was never closed: it ends there.
            let attrs_start = name_at + len;
            let (end, inner_end) = match memchr(b'<', &b[attrs_start..end]) {
                Some(p) => (attrs_start + p, attrs_start + p),
                None => (end, end - 1),
            };
            let empty = inner_end > attrs_start && b[inner_end - 1] == b'/';
            let attrs_end = if empty { inner_end - 1 } else { inner_end };
            self.pos = end;
            return Some(Event::Start(Tag {
                name,
                attrs: &s[attrs_start.min(attrs_end)..attrs_end],
                empty,
                at: lt,
                end,
            }));
        }
    }
}

/// Skips `<!DOCTYPE …>` (with an internal subset in brackets) or another `<!…>`.
fn skip_declaration(b: &[u8], lt: usize) -> usize {
    let mut depth = 0usize;
    let mut quote = 0u8;
    for (i, &c) in b.iter().enumerate().skip(lt + 2) {
        if quote != 0 {
            if c == quote {
                quote = 0;
            }
            continue;
        }
        match c {
            b'"' | b'\'' => quote = c,
            b'[' => depth += 1,
            b']' => depth = depth.saturating_sub(1),
            b'>' if depth == 0 => return i + 1,
            _ => {}
        }
    }
    b.len()
}

/// The text of an element's content without child elements: CDATA sections kept as they
/// are, comments dropped, character references decoded. A stray `<` stays as text.
pub(crate) fn text_of(raw: &str) -> Cow<'_, str> {
    if !raw.contains(['<', '&']) {
        return Cow::Borrowed(raw);
    }
    let b = raw.as_bytes();
    let mut out = String::with_capacity(raw.len());
    let mut i = 0;
    while i < b.len() {
        let Some(p) = memchr(b'<', &b[i..]) else {
            decode_entities_into(&raw[i..], &mut out);
            break;
        };
        let lt = i + p;
        decode_entities_into(&raw[i..lt], &mut out);
        let rest = &b[lt..];
        if rest.starts_with(b"<![CDATA[") {
            let end = find(b, lt + 9, b"]]>").unwrap_or(b.len());
            out.push_str(&raw[lt + 9..end]);
            i = (end + 3).min(b.len());
        } else if rest.starts_with(b"<!--") {
            i = find(b, lt + 4, b"-->").map_or(b.len(), |p| p + 3);
        } else {
            out.push('<');
            i = lt + 1;
        }
    }
    Cow::Owned(out)
}

/// Content that holds markup, with CDATA sections opened (their text is markup too) and
/// comments kept for the HTML reader to drop.
pub(crate) fn markup_of(raw: &str) -> Cow<'_, str> {
    if !raw.contains("<![CDATA[") {
        return Cow::Borrowed(raw);
    }
    let mut out = String::with_capacity(raw.len());
    let mut rest = raw;
    while let Some(p) = rest.find("<![CDATA[") {
        out.push_str(&rest[..p]);
        let inner = &rest[p + 9..];
        let end = inner.find("]]>").unwrap_or(inner.len());
        out.push_str(&inner[..end]);
        rest = inner.get(end + 3..).unwrap_or("");
    }
    out.push_str(rest);
    Cow::Owned(out)
}

/// `prefix:local` split (no prefix → `""`).
pub(crate) fn split_name(name: &str) -> (&str, &str) {
    match name.split_once(':') {
        Some((p, l)) => (p, l),
        None => ("", name),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(doc: &str) -> Vec<String> {
        Reader::new(doc)
            .map(|e| match e {
                Event::Start(t) if t.empty => format!("<{}/>", t.name),
                Event::Start(t) => format!("<{}>", t.name),
                Event::End { name, .. } => format!("</{name}>"),
            })
            .collect()
    }

    #[test]
    fn tags_and_positions() {
        let doc = r#"<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY x "<y>">]><rss a="1 > 0"><item><title>خبر</title><br/></item></rss>"#;
        assert_eq!(
            names(doc),
            [
                "<rss>", "<item>", "<title>", "</title>", "<br/>", "</item>", "</rss>"
            ]
        );
        let Some(Event::Start(t)) = Reader::new(doc).nth(2) else {
            panic!("no title");
        };
        let close = Reader::new(doc).nth(3).unwrap();
        let Event::End { at, .. } = close else {
            panic!("no end");
        };
        assert_eq!(&doc[t.end..at], "خبر");
        let Some(Event::Start(rss)) = Reader::new(doc).next() else {
            panic!("no rss");
        };
        assert_eq!(rss.attr("a").as_deref(), Some("1 > 0"));
    }

    #[test]
    fn cdata_and_comments_hide_markup() {
        let doc = "<a><![CDATA[<item>لا</item>]]><!-- <item> --></a>";
        assert_eq!(names(doc), ["<a>", "</a>"]);
        assert_eq!(
            text_of("<![CDATA[<b>x</b> &amp;]]> &amp; y<!-- z -->"),
            "<b>x</b> &amp; & y"
        );
        assert_eq!(
            markup_of("<p>a</p><![CDATA[<b>b</b>]]>"),
            "<p>a</p><b>b</b>"
        );
    }

    #[test]
    fn broken_markup_does_not_stop_the_reader() {
        // A lone '<', an unclosed tag, an unterminated quote and a cut-off end.
        let doc = "<rss><item>a < b<title x='1>t</title><link>u</link></item><item><tit";
        assert_eq!(
            names(doc),
            [
                "<rss>", "<item>", "<title>", "</title>", "<link>", "</link>", "</item>", "<item>"
            ]
        );
        let doc = "<item><title>no end<link>u</link></item>";
        assert_eq!(
            names(doc),
            ["<item>", "<title>", "<link>", "</link>", "</item>"]
        );
        let doc = "<feed><entry attr=\"x<entry>";
        assert_eq!(names(doc), ["<feed>", "<entry>", "<entry>"]);
    }

    #[test]
    fn attribute_forms() {
        let got: Vec<_> =
            attrs(r#" href="/a?b=1&amp;c=2" rel=alternate  checked type = 'text/html' "#).collect();
        assert_eq!(
            got,
            [
                ("href", "/a?b=1&amp;c=2"),
                ("rel", "alternate"),
                ("checked", ""),
                ("type", "text/html")
            ]
        );
        let tag = Tag {
            name: "link",
            attrs: r#" href="/a?b=1&amp;c=2""#,
            empty: true,
            at: 0,
            end: 0,
        };
        assert_eq!(tag.attr("HREF").as_deref(), Some("/a?b=1&c=2"));
    }
}
