//! HTML to plain text: the block walker shared by feed content and the page extractor.
//!
//! Text is collected into blocks (a `<p>`, `<li>`, heading, cell…; `<br>` also ends one),
//! whitespace collapsed, script/style/forms and other non-text elements skipped. Each block
//! remembers how much of it was link text, so lists of links can be told from prose. With a
//! [`Filter`] the walker also skips navigation, headers, footers, asides, figures and
//! elements whose class or id says they are comments, related links, share buttons, ads…

use scraper::{ElementRef, Html, Node};

/// One block of text.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Block {
    /// The text, whitespace collapsed.
    pub text: String,
    /// Non-space characters.
    pub chars: usize,
    /// Non-space characters inside links.
    pub link_chars: usize,
}

impl Block {
    /// Share of the block that is link text.
    pub fn link_density(&self) -> f32 {
        if self.chars == 0 {
            0.0
        } else {
            self.link_chars as f32 / self.chars as f32
        }
    }
}

/// Elements nested deeper than this are ignored (a guard against pathological pages).
pub(crate) const MAX_DEPTH: usize = 256;

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

/// Elements that are page furniture whatever their class.
fn is_boilerplate_tag(name: &str) -> bool {
    matches!(
        name,
        "nav" | "header" | "footer" | "aside" | "menu" | "dialog" | "figure"
    )
}

/// Class/id words that mark furniture; the first group wins even beside content words.
const STRONG_NEGATIVE: &[&str] = &[
    "comment",
    "comments",
    "commentlist",
    "disqus",
    "related",
    "relatedposts",
];
const NEGATIVE: &[&str] = &[
    "share",
    "sharing",
    "social",
    "sidebar",
    "widget",
    "widgets",
    "advert",
    "advertisement",
    "ads",
    "ad",
    "adv",
    "sponsor",
    "sponsored",
    "promo",
    "newsletter",
    "subscribe",
    "breadcrumb",
    "breadcrumbs",
    "nav",
    "navbar",
    "navigation",
    "menu",
    "footer",
    "masthead",
    "cookie",
    "cookies",
    "popup",
    "modal",
    "tags",
    "trending",
    "popular",
    "mostread",
    "latest",
    "hidden",
];
const POSITIVE: &[&str] = &[
    "article", "content", "main", "body", "story", "entry", "post", "text", "news",
];
/// Words that make a class name a state flag (`has-sidebar`), not a role.
const MODIFIERS: &[&str] = &["has", "with", "no", "is", "show"];

/// How much page furniture the walker skips.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum Filter {
    /// Only non-text elements (scripts, styles, forms…): feed content.
    #[default]
    Nothing,
    /// Also furniture tags (`nav`, `header`, `footer`, `aside`…), hidden elements, and
    /// classes/ids naming comments or related links.
    Lenient,
    /// Also classes/ids naming sidebars, widgets, share buttons, ads, menus…
    Strict,
}

/// True when a class or id value names furniture; `strict` adds the weaker signs.
fn names_furniture(value: &str, strict: bool) -> bool {
    value.split_whitespace().any(|name| {
        let lower = name.to_ascii_lowercase();
        let words: Vec<&str> = lower
            .split(|c: char| !c.is_ascii_alphanumeric())
            .filter(|w| !w.is_empty())
            .collect();
        if words.first().is_some_and(|w| MODIFIERS.contains(w)) {
            return false;
        }
        let strong = words.iter().any(|w| STRONG_NEGATIVE.contains(w));
        let negative = words.iter().any(|w| NEGATIVE.contains(w));
        let positive = words.iter().any(|w| POSITIVE.contains(w));
        strong || (strict && negative && !positive)
    })
}

/// True when, under `filter`, this element is skipped with everything inside it.
pub(crate) fn is_furniture(el: &scraper::node::Element, filter: Filter) -> bool {
    if filter == Filter::Nothing {
        return false;
    }
    let name = el.name();
    if is_boilerplate_tag(name) {
        return true;
    }
    if el.attr("hidden").is_some() || el.attr("aria-hidden") == Some("true") {
        return true;
    }
    if let Some(role) = el.attr("role")
        && matches!(
            role,
            "navigation" | "banner" | "contentinfo" | "complementary" | "search" | "dialog"
        )
    {
        return true;
    }
    if matches!(name, "html" | "body" | "main" | "article") {
        return false;
    }
    let strict = filter == Filter::Strict;
    el.attr("class").is_some_and(|v| names_furniture(v, strict))
        || el.attr("id").is_some_and(|v| names_furniture(v, strict))
}

/// Collects blocks from a subtree.
#[derive(Debug, Default)]
pub(crate) struct Walker {
    blocks: Vec<Block>,
    cur: Block,
    space: bool,
    filter: Filter,
    depth: usize,
}

impl Walker {
    /// A walker that skips what `filter` says.
    pub fn new(filter: Filter) -> Walker {
        Walker {
            filter,
            ..Walker::default()
        }
    }

    fn push_text(&mut self, text: &str, in_link: bool) {
        for c in text.chars() {
            if c.is_whitespace() {
                self.space = true;
                continue;
            }
            if self.space && !self.cur.text.is_empty() {
                self.cur.text.push(' ');
            }
            self.space = false;
            self.cur.text.push(c);
            self.cur.chars += 1;
            if in_link {
                self.cur.link_chars += 1;
            }
        }
    }

    fn flush(&mut self) {
        self.space = false;
        if !self.cur.text.is_empty() {
            self.blocks.push(std::mem::take(&mut self.cur));
        } else {
            self.cur = Block::default();
        }
    }

    /// Walks the children of `el`.
    pub fn walk(&mut self, el: ElementRef<'_>, in_link: bool) {
        if self.depth > MAX_DEPTH {
            return;
        }
        self.depth += 1;
        for child in el.children() {
            match child.value() {
                Node::Text(t) => self.push_text(t, in_link),
                Node::Element(e) => {
                    let name = e.name();
                    if is_skipped(name) || is_furniture(e, self.filter) {
                        continue;
                    }
                    if name == "br" {
                        self.flush();
                        continue;
                    }
                    let Some(child_el) = ElementRef::wrap(child) else {
                        continue;
                    };
                    let block = is_block(name);
                    if block {
                        self.flush();
                    }
                    self.walk(child_el, in_link || name == "a");
                    if block {
                        self.flush();
                    } else if name == "img" {
                        self.space = true;
                    }
                }
                _ => {}
            }
        }
        self.depth -= 1;
    }

    /// The blocks collected so far.
    pub fn finish(mut self) -> Vec<Block> {
        self.flush();
        self.blocks
    }
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
pub fn html_to_text(html: &str) -> String {
    let doc = Html::parse_fragment(html);
    let mut w = Walker::new(Filter::Nothing);
    w.walk(doc.root_element(), false);
    join_blocks(&w.finish())
}

/// Plain text with its paragraphs kept (blank-line separated) and whitespace collapsed.
pub(crate) fn plain_text(s: &str) -> String {
    let mut paragraphs = Vec::new();
    let mut cur = String::new();
    for line in s.lines() {
        if line.trim().is_empty() {
            if !cur.is_empty() {
                paragraphs.push(std::mem::take(&mut cur));
            }
            continue;
        }
        for word in line.split_whitespace() {
            if !cur.is_empty() {
                cur.push(' ');
            }
            cur.push_str(word);
        }
    }
    if !cur.is_empty() {
        paragraphs.push(cur);
    }
    paragraphs.join("\n\n")
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

/// Joins blocks as paragraphs.
pub(crate) fn join_blocks(blocks: &[Block]) -> String {
    blocks
        .iter()
        .map(|b| b.text.as_str())
        .collect::<Vec<_>>()
        .join("\n\n")
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
        let html = format!("{}نص{}", "<div>".repeat(5000), "</div>".repeat(5000));
        // Text beyond the depth limit is dropped, not a crash.
        let _ = html_to_text(&html);
        assert_eq!(html_to_text("<div><div><p>نص</p></div></div>"), "نص");
    }

    #[test]
    fn furniture_names() {
        assert!(names_furniture("related-news", false));
        assert!(names_furniture("post-comments", false));
        assert!(names_furniture("share-buttons", true));
        assert!(!names_furniture("share-buttons", false));
        assert!(!names_furniture("content has-sidebar", true));
        assert!(!names_furniture("entry-content", true));
        assert!(!names_furniture("article-body", true));
        assert!(!names_furniture("header-title-download", true));
    }

    #[test]
    fn link_density_counts_link_text() {
        let doc =
            Html::parse_fragment("<p><a href=/a>خبر</a> <a href=/b>آخر</a></p><p>نص عادي</p>");
        let mut w = Walker::new(Filter::Strict);
        w.walk(doc.root_element(), false);
        let blocks = w.finish();
        assert_eq!(blocks.len(), 2);
        assert!(blocks[0].link_density() > 0.99);
        assert_eq!(blocks[1].link_density(), 0.0);
    }
}
