//! HTML to plain text, for feed content and form text: [`html_to_text`] reads markup in one
//! pass without building a tree (blocks become paragraphs, whitespace is collapsed,
//! scripts, styles and forms are dropped), and [`decode_entities`] reads character
//! references, named and numeric, the way browsers do.

/// Elements whose content is never text.
pub(crate) fn is_skipped(name: &str) -> bool {
    matches!(
        name,
        "script"
            | "style"
            | "noscript"
            | "template"
            | "iframe"
            | "svg"
            | "canvas"
            | "object"
            | "embed"
            | "head"
            | "title"
            | "select"
            | "option"
            | "button"
            | "input"
            | "textarea"
            | "form"
            | "video"
            | "audio"
            | "picture"
            | "map"
    )
}

/// Elements that start and end a block.
fn is_block(name: &str) -> bool {
    matches!(
        name,
        "p" | "div"
            | "section"
            | "article"
            | "main"
            | "header"
            | "footer"
            | "aside"
            | "nav"
            | "h1"
            | "h2"
            | "h3"
            | "h4"
            | "h5"
            | "h6"
            | "ul"
            | "ol"
            | "li"
            | "dl"
            | "dt"
            | "dd"
            | "blockquote"
            | "pre"
            | "table"
            | "tr"
            | "td"
            | "th"
            | "thead"
            | "tbody"
            | "tfoot"
            | "caption"
            | "figure"
            | "figcaption"
            | "hr"
            | "address"
            | "details"
            | "summary"
            | "center"
            | "fieldset"
            | "body"
            | "html"
    )
}

/// True when `s` holds markup or character references worth parsing as HTML.
pub(crate) fn looks_like_html(s: &str) -> bool {
    let b = s.as_bytes();
    let tag = b
        .windows(2)
        .any(|w| w[0] == b'<' && (w[1].is_ascii_alphabetic() || w[1] == b'/' || w[1] == b'!'))
        && s.contains('>');
    let entity = s
        .match_indices('&')
        .any(|(i, _)| s[i..].chars().take(12).any(|c| c == ';'));
    tag || entity
}

/// HTML (a fragment or a document) to plain text paragraphs separated by blank lines.
///
/// A single pass over the markup, without building a tree (feeds call this for every entry,
/// so it must be fast): blocks (`<p>`, `<li>`, headings, cells…, and `<br>`) become
/// paragraphs, whitespace is collapsed, character references are decoded, and scripts,
/// styles, forms and other non-text elements are dropped with their content.
pub fn html_to_text(html: &str) -> String {
    let mut sink = TextSink::with_capacity(html.len());
    let b = html.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let Some(lt) = memchr(b'<', &b[i..]) else {
            sink.push_encoded(&html[i..]);
            break;
        };
        sink.push_encoded(&html[i..i + lt]);
        i += lt;
        i = sink.tag(html, i);
    }
    sink.out
}

/// The position of the first `needle` in `hay`.
pub(crate) fn memchr(needle: u8, hay: &[u8]) -> Option<usize> {
    hay.iter().position(|&c| c == needle)
}

/// Finds `</name` (ASCII case-insensitive) in `b` from `from`; returns where it starts.
fn find_end_tag(b: &[u8], from: usize, name: &[u8]) -> Option<usize> {
    let mut i = from;
    while let Some(p) = memchr(b'<', &b[i..]) {
        let at = i + p;
        if b.get(at + 1) == Some(&b'/')
            && b.len() >= at + 2 + name.len()
            && b[at + 2..at + 2 + name.len()].eq_ignore_ascii_case(name)
            && !b
                .get(at + 2 + name.len())
                .is_some_and(|c| c.is_ascii_alphanumeric())
        {
            return Some(at);
        }
        i = at + 1;
    }
    None
}

/// Where the tag that opens at `start` (`<`) ends: one past its `>`, quotes respected. A
/// tag whose quotes never close ends at its first `>`; `None` when there is no `>` at all.
pub(crate) fn tag_end(b: &[u8], start: usize) -> Option<usize> {
    let mut quote = 0u8;
    let mut i = start + 1;
    while i < b.len() {
        let c = b[i];
        if quote != 0 {
            if c == quote {
                quote = 0;
            }
        } else if c == b'"' || c == b'\'' {
            // Only a quote that opens an attribute value counts (`a="…"`), not an
            // apostrophe in a broken tag.
            let before = b[start..i].iter().rev().find(|c| !c.is_ascii_whitespace());
            if before == Some(&b'=') {
                quote = c;
            }
        } else if c == b'>' {
            return Some(i + 1);
        }
        i += 1;
    }
    // Unbalanced quotes: fall back to the first '>'.
    memchr(b'>', &b[start..]).map(|p| start + p + 1)
}

/// A tag name lower-cased into a small buffer (names longer than the buffer are no element
/// Rasd treats specially, so they come back empty).
fn lower_name(name: &[u8]) -> ([u8; 12], usize) {
    let mut buf = [0u8; 12];
    if name.len() > buf.len() {
        return (buf, 0);
    }
    for (d, s) in buf.iter_mut().zip(name) {
        *d = s.to_ascii_lowercase();
    }
    (buf, name.len())
}

/// Void elements: they have no end tag.
fn is_void(name: &str) -> bool {
    matches!(
        name,
        "area"
            | "base"
            | "br"
            | "col"
            | "embed"
            | "hr"
            | "img"
            | "input"
            | "link"
            | "meta"
            | "param"
            | "source"
            | "track"
            | "wbr"
    )
}

/// Plain text being built from markup: paragraphs separated by blank lines, whitespace
/// collapsed.
struct TextSink {
    out: String,
    /// The current paragraph has text.
    in_block: bool,
    /// Whitespace was seen since the last character.
    space: bool,
    /// A paragraph ended since the last character.
    broken: bool,
}

impl TextSink {
    fn with_capacity(n: usize) -> TextSink {
        TextSink {
            out: String::with_capacity(n.min(1 << 16)),
            in_block: false,
            space: false,
            broken: false,
        }
    }

    /// Appends text: words are copied whole, whitespace between them becomes one space.
    fn push_str(&mut self, s: &str) {
        let b = s.as_bytes();
        let mut i = 0;
        let mut word = None;
        while i < b.len() {
            let start = i;
            while i < b.len() && !MAY_BE_SPACE[usize::from(b[i])] {
                i += 1;
            }
            if i > start {
                word.get_or_insert(start);
            }
            if i == b.len() {
                break;
            }
            let w = whitespace_len(b, i);
            if w == 0 {
                word.get_or_insert(i);
                i += 1;
                continue;
            }
            if let Some(start) = word.take() {
                self.push_word(&s[start..i]);
            }
            self.space = true;
            i += w;
        }
        if let Some(start) = word {
            self.push_word(&s[start..]);
        }
    }

    fn push_word(&mut self, word: &str) {
        if self.broken && !self.out.is_empty() {
            self.out.push_str("\n\n");
        } else if self.space && self.in_block {
            self.out.push(' ');
        }
        self.broken = false;
        self.space = false;
        self.in_block = true;
        self.out.push_str(word);
    }

    fn push_encoded(&mut self, s: &str) {
        if s.is_empty() {
            return;
        }
        match decode_entities(s) {
            std::borrow::Cow::Borrowed(plain) => self.push_str(plain),
            std::borrow::Cow::Owned(decoded) => self.push_str(&decoded),
        }
    }

    fn flush(&mut self) {
        if self.in_block {
            self.broken = true;
        }
        self.in_block = false;
        self.space = false;
    }

    /// Handles the markup at `i` (a `<`) and returns where the text goes on.
    fn tag(&mut self, html: &str, i: usize) -> usize {
        let b = html.as_bytes();
        let rest = &b[i..];
        if rest.starts_with(b"<!--") {
            return find(b, i + 4, b"-->").map_or(b.len(), |p| p + 3);
        }
        if rest.starts_with(b"<![CDATA[") {
            let end = find(b, i + 9, b"]]>").unwrap_or(b.len());
            self.push_str(&html[i + 9..end]);
            return (end + 3).min(b.len());
        }
        let closing = rest.get(1) == Some(&b'/');
        let name_start = i + 1 + usize::from(closing);
        let starts_name = b.get(name_start).is_some_and(u8::is_ascii_alphabetic);
        if !starts_name {
            if matches!(rest.get(1), Some(b'!' | b'?')) || closing {
                return tag_end(b, i).unwrap_or(b.len());
            }
            self.push_str("<");
            return i + 1;
        }
        let Some(end) = tag_end(b, i) else {
            // A tag cut off by the end of the text.
            return b.len();
        };
        let name_len = b[name_start..end]
            .iter()
            .position(|c| !(c.is_ascii_alphanumeric() || *c == b'-' || *c == b':'))
            .unwrap_or(end - name_start);
        let (buf, len) = lower_name(&b[name_start..name_start + name_len]);
        let name = std::str::from_utf8(&buf[..len]).unwrap_or("");
        if closing {
            if is_block(name) {
                self.flush();
            }
            return end;
        }
        if is_skipped(name) {
            let self_closed = b[..end].ends_with(b"/>");
            if is_void(name) || self_closed {
                return end;
            }
            // Drop the element and its content, unless it is never closed.
            return match find_end_tag(b, end, name.as_bytes()) {
                Some(p) => tag_end(b, p).unwrap_or(b.len()),
                None => end,
            };
        }
        if name == "br" || is_block(name) {
            self.flush();
        } else if name == "img" {
            self.space = true;
        }
        end
    }
}

/// Bytes that are, or may start, a whitespace character (Unicode `White_Space`): ASCII
/// whitespace and the lead bytes of the few others (U+0085, U+00A0, U+1680, U+2000–U+200A,
/// U+2028, U+2029, U+202F, U+205F, U+3000).
const MAY_BE_SPACE: [bool; 256] = {
    let mut t = [false; 256];
    let mut i = 0;
    while i < 256 {
        t[i] = matches!(
            i as u8,
            b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c | 0xC2 | 0xE1 | 0xE2 | 0xE3
        );
        i += 1;
    }
    t
};

/// The length in bytes of the whitespace character at `b[i]`, or 0. Most text (Arabic
/// included) never starts one, so it is passed over without decoding.
fn whitespace_len(b: &[u8], i: usize) -> usize {
    let next = |k: usize| b.get(i + k).copied().unwrap_or(0);
    match b[i] {
        b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c => 1,
        0xC2 if matches!(next(1), 0x85 | 0xA0) => 2,
        0xE1 if next(1) == 0x9A && next(2) == 0x80 => 3,
        0xE2 if next(1) == 0x80 && matches!(next(2), 0x80..=0x8A | 0xA8 | 0xA9 | 0xAF) => 3,
        0xE2 if next(1) == 0x81 && next(2) == 0x9F => 3,
        0xE3 if next(1) == 0x80 && next(2) == 0x80 => 3,
        _ => 0,
    }
}

/// The position of `needle` in `b` from `from`.
pub(crate) fn find(b: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    if from >= b.len() {
        return None;
    }
    let first = needle[0];
    let mut i = from;
    while let Some(p) = memchr(first, &b[i..]) {
        let at = i + p;
        if b[at..].starts_with(needle) {
            return Some(at);
        }
        i = at + 1;
    }
    None
}

/// Decodes the character references in `s` into `out` (the extractor's decoder: numeric
/// references and the named ones news text uses; unknown names are kept as written).
pub(crate) fn decode_entities_into(s: &str, out: &mut String) {
    crate::extract::entities::decode_into(s, out, false);
}

/// `s` with its character references decoded (borrowed when it has none).
pub(crate) fn decode_entities(s: &str) -> std::borrow::Cow<'_, str> {
    if !s.contains('&') {
        return std::borrow::Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    decode_entities_into(s, &mut out);
    std::borrow::Cow::Owned(out)
}

/// Plain text with its paragraphs kept (blank-line separated) and whitespace collapsed.
pub(crate) fn plain_text(s: &str) -> String {
    let mut sink = TextSink::with_capacity(s.len());
    for line in s.lines() {
        if line.trim().is_empty() {
            sink.flush();
        } else {
            sink.space = true;
            sink.push_str(line);
        }
    }
    sink.out
}

/// Text that may be HTML or plain, as plain paragraphs.
pub(crate) fn to_text(s: &str, is_html: bool) -> String {
    if is_html || looks_like_html(s) {
        html_to_text(s)
    } else {
        plain_text(s)
    }
}

/// One line of text (a title): HTML stripped, whitespace collapsed.
pub(crate) fn one_line(s: &str, is_html: bool) -> String {
    to_text(s, is_html)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paragraphs_and_breaks() {
        let html = "<p>أعلنت   مديرية <b>الأمن</b> العام</p><p>السطر الأول<br>السطر الثاني</p>\
                    <script>var x = 1;</script><style>p{}</style>";
        assert_eq!(
            html_to_text(html),
            "أعلنت مديرية الأمن العام\n\nالسطر الأول\n\nالسطر الثاني"
        );
    }

    #[test]
    fn entities_and_inline_markup() {
        assert_eq!(
            one_line("<b>Police</b> &amp; <i>public</i> &quot;safety&quot;", true),
            "Police & public \"safety\""
        );
        assert_eq!(one_line("الأمن &amp; السلامة", false), "الأمن & السلامة");
        assert_eq!(one_line("a < b and c > d", false), "a < b and c > d");
    }

    #[test]
    fn plain_text_keeps_paragraphs() {
        assert_eq!(
            plain_text("  سطر   واحد\nيكمل\n\n\nفقرة ثانية  "),
            "سطر واحد يكمل\n\nفقرة ثانية"
        );
    }

    #[test]
    fn deep_nesting_does_not_overflow() {
        let html = format!("{}نص{}", "<div>".repeat(50_000), "</div>".repeat(50_000));
        assert_eq!(html_to_text(&html), "نص");
        assert_eq!(html_to_text("<div><div><p>نص</p></div></div>"), "نص");
    }

    #[test]
    fn unicode_whitespace_is_one_space() {
        for c in (0..=0x3000u32).filter_map(char::from_u32) {
            let text = format!("أ{c}ب");
            let want = if c.is_whitespace() {
                "أ ب".to_string()
            } else {
                text.clone()
            };
            if c == '<' || c == '&' {
                continue;
            }
            assert_eq!(html_to_text(&text), want, "U+{:04X}", c as u32);
        }
    }

    #[test]
    fn entities_named_numeric_and_broken() {
        assert_eq!(
            decode_entities("&laquo;الأمن&raquo;&nbsp;&#1575;&#x644; &#150; &eacute; &Omega;"),
            // &nbsp; becomes a plain space: text, not layout.
            "«الأمن» ال – é Ω"
        );
        // Unknown or unterminated references stay as written; a bare & is kept.
        assert_eq!(
            decode_entities("AT&T &bogus; &amp x &#; &"),
            "AT&T &bogus; & x &#; &"
        );
        assert_eq!(
            decode_entities("&#0;&#xD800;&#99999999;"),
            "\u{fffd}\u{fffd}\u{fffd}"
        );
    }

    #[test]
    fn markup_traps() {
        // Unclosed script is kept out only when it is closed; comments and CDATA; attributes
        // with '>' inside quotes; a lone '<'.
        assert_eq!(
            html_to_text(
                "<p title=\"a > b\">نص</p><!-- <p>لا</p> --><script>if (a<b) x()</script>بعد"
            ),
            "نص\n\nبعد"
        );
        assert_eq!(html_to_text("x <iframe src=y> z"), "x z");
        assert_eq!(html_to_text("<![CDATA[أ]]> &lt;b&gt; 3 < 4"), "أ <b> 3 < 4");
        assert_eq!(
            html_to_text("<ul><li>أ</li><li>ب<br/>ج</li></ul><img src=x>د"),
            "أ\n\nب\n\nج\n\nد"
        );
        assert_eq!(html_to_text("<p>cut <b"), "cut");
    }
}
