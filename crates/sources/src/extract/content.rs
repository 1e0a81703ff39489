//! Finding the article's text in a parsed page.
//!
//! 1. **Furniture** is skipped everywhere: `nav`, `header`, `footer`, `aside`, `figure`…,
//!    hidden elements (`hidden`, `aria-hidden`, inline `display: none`, classes such as
//!    `sr-only`), page-level ARIA roles, and elements whose class or id names comments or
//!    related links; a strict pass also skips classes naming captions, credits, sidebars,
//!    widgets, share bars, ads, menus… ([`Filter`]). An element marked
//!    `itemprop="articleBody"`, and everything around it, is never furniture: there the
//!    core is sought first, and the article ends at its edges.
//! 2. The page becomes **blocks** of text (paragraphs, list items, cells…), each knowing the
//!    element that holds it and how much of it is link text.
//! 3. **Paragraph scoring** (the idea behind Readability): every block of 25 characters or
//!    more scores 1, plus one per comma, plus one per 100 characters (at most 3), for the
//!    element that holds it (a `<p>`'s parent; a container with text straight inside is its
//!    own paragraph's parent), half for the next ancestor, less further up. Each scored
//!    element starts from a weight for its tag; furniture words in its class and id take 25
//!    off, content words add 25 but never more than the text's own score (a `div.content`
//!    holding one line does not outscore a short post); the score is then scaled down by
//!    its link density. Class names that only list a post's tags and categories
//!    (`tag-renewable-energy-credits`) are not read as words at all.
//! 4. The best element is the **core**. When several near-best elements share an ancestor,
//!    or the parent scores better, the choice moves up. Then the chosen element's siblings
//!    that score well, prose paragraphs beside it, and its "twins" (same tag and class, close
//!    by: an article split around an ad) join it.
//! 5. **Clean-up** inside the chosen elements: containers that look like furniture (link
//!    lists, galleries, forms, embeds, near-empty boxes, negative class words) are dropped,
//!    except those holding the core; so are blocks that are mostly links, the headline, and
//!    date or byline lines at the start or end.
//!
//! The **headline** anchors the choice: the first `h1`–`h3` (or `itemprop="headline"`)
//! showing the page's title (not the site's name). If the strict pass gives less than
//! [`SHORT_RESULT`] characters and its filter had hidden the core that the lenient pass finds
//! (an article inside a `penci_sidebar` or Blogger's `widget Blog`), the lenient result is
//! used when it is more than twice as long, unless the strict core lies nearer the headline
//! (then the lenient one is a profile or "about" box further on). Last, the page's longest
//! **run of prose** (consecutive blocks with few links, near the headline when there is one)
//! is a check on the whole: a result under two fifths of it gives way to the run. The short
//! lines between the headline and the text (byline, date line, standfirst) are returned
//! apart, as the header.

use std::collections::HashMap;

use super::dom::{AttrName, Dom, NONE, Tag};
use super::meta::{is_site_name, title_key, title_parts};

/// How much page furniture is skipped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Filter {
    /// Furniture tags, hidden elements, and classes naming comments, related links, captions.
    Lenient,
    /// Also classes naming sidebars, widgets, share buttons, ads, menus…
    Strict,
}

/// Below this many characters, a strict pass is suspected of having dropped the article
/// with a mislabelled container, and a lenient pass is tried.
const SHORT_RESULT: usize = 800;

/// An `itemprop="articleBody"` element with less text than this (non-space characters, not
/// in links) is not trusted to hold the article.
const MIN_MARKED_BODY: u32 = 100;

/// Blocks shorter than this (non-space characters) do not score their ancestors.
const MIN_PARAGRAPH: usize = 25;

/// Blocks with a larger share of link text are dropped.
const MAX_BLOCK_LINK_DENSITY: f32 = 0.5;

/// What [`main_text`] found.
pub(crate) struct Found {
    /// The article's text: paragraphs separated by blank lines.
    pub text: String,
    /// The short lines between the headline and the text (byline, date line, standfirst).
    pub header: Option<String>,
    /// The text of the heading that shows the page's title.
    pub headline: Option<String>,
}

/// The article's text, and the lines under its headline.
pub(crate) fn main_text(dom: &Dom, title: Option<&str>) -> Found {
    let page = Page::new(dom, title);
    let strict = page.extract(title, Filter::Strict);
    let strict_len = strict.text.chars().count();
    let chosen = if strict_len >= SHORT_RESULT {
        strict
    } else {
        let lenient = page.extract(title, Filter::Lenient);
        let lenient_len = lenient.text.chars().count();
        // Nearer the headline the strict choice stays, unless the lenient one dwarfs it.
        if page.hidden_by_strict(lenient.core)
            && lenient_len > 2 * strict_len
            && (lenient_len > DWARFS * strict_len
                || ((page.anchored(lenient.core) || !page.anchored(strict.core))
                    && !page.closer(strict.core, lenient.core)))
        {
            lenient
        } else {
            strict
        }
    };
    // The scores can crown a box of a few lines beside a longer article: the page's longest
    // run of prose near the headline is the check.
    let chosen_chars = count_chars(&chosen.text);
    let run = page.best_run(title, Filter::Lenient);
    let text = if !chosen.marked
        && chosen_chars * RUN_FACTOR_DEN < run.chars * RUN_FACTOR_NUM
        && run.chars >= MIN_RUN
    {
        run.text
    } else {
        chosen.text
    };
    let header = page.header(&text, title);
    let headline = page.headline.map(|(h, _)| dom.inner_text(h as u32));
    Found {
        text,
        header,
        headline,
    }
}

/// A lenient result this many times longer than the strict one wins wherever it lies.
const DWARFS: usize = 6;

/// A result shorter than `NUM / DEN` of the page's best run of prose gives way to the run.
const RUN_FACTOR_NUM: usize = 2;
const RUN_FACTOR_DEN: usize = 5;
/// Runs shorter than this (non-space characters) are not a check on the result.
const MIN_RUN: usize = 200;

/// How many levels above the headline its article is looked for.
const HEADLINE_REACH: usize = 4;

/// The first heading (`h1`–`h3`, or `itemprop="headline"`) that shows the page's title: the
/// metadata's title, or the longest part of `<title>` (split at ` | `, ` - ` and the like,
/// which set the site's name apart). A title that is only the site's name (`og:title` set
/// to the blog's name) is not looked for.
fn find_headline(dom: &Dom, title: Option<&str>) -> Option<usize> {
    const MIN_KEY: usize = 8;
    let mut keys: Vec<String> = Vec::new();
    let parts: Vec<String> = dom
        .title
        .as_deref()
        .map(|t| {
            title_parts(t)
                .map(title_key)
                .filter(|k| !k.is_empty())
                .collect()
        })
        .unwrap_or_default();
    let longest = parts.iter().max_by_key(|k| k.len()).cloned();
    let whole = dom.title.as_deref().map(title_key).unwrap_or_default();
    // A title that is only the head or tail of `<title>` is the site's name: not looked for.
    if let Some(t) = title
        .map(title_key)
        .filter(|k| k.len() >= MIN_KEY && !is_site_name(&whole, longest.as_deref(), k))
    {
        keys.push(t);
    }
    if let Some(l) = longest.filter(|k| k.len() >= MIN_KEY) {
        keys.push(l);
    }
    if keys.is_empty() {
        return None;
    }
    let matches = |text: &str| {
        let h = title_key(text);
        h.len() >= MIN_KEY
            && keys.iter().any(|k| {
                let (short, long) = if h.len() <= k.len() { (&h, k) } else { (k, &h) };
                long.contains(short.as_str()) && short.len() * 5 >= long.len() * 3
            })
    };
    dom.nodes.iter().enumerate().find_map(|(i, n)| {
        let tag = n.tag?;
        let is_heading = matches!(tag, Tag::H1 | Tag::H2 | Tag::H3)
            || dom.attr(i as u32, AttrName::Itemprop) == Some("headline");
        (is_heading && matches(&dom.inner_text(i as u32))).then_some(i)
    })
}

/// Elements whose content is never article text.
fn is_skipped(tag: Tag) -> bool {
    matches!(
        tag,
        Tag::Button
            | Tag::Input
            | Tag::Option
            | Tag::Video
            | Tag::Audio
            | Tag::Picture
            | Tag::Map
            | Tag::Object
            | Tag::Embed
            | Tag::Canvas
            | Tag::Iframe
            | Tag::Template
            | Tag::Head
            | Tag::Noscript
            | Tag::Meta
            | Tag::Link
    )
}

/// Elements that start and end a block of text.
fn is_block(tag: Tag) -> bool {
    matches!(
        tag,
        Tag::P
            | Tag::Div
            | Tag::Section
            | Tag::Article
            | Tag::Main
            | Tag::Header
            | Tag::Footer
            | Tag::Aside
            | Tag::Nav
            | Tag::H1
            | Tag::H2
            | Tag::H3
            | Tag::H4
            | Tag::H5
            | Tag::H6
            | Tag::Ul
            | Tag::Ol
            | Tag::Li
            | Tag::Dl
            | Tag::Dt
            | Tag::Dd
            | Tag::Blockquote
            | Tag::Pre
            | Tag::Table
            | Tag::Tr
            | Tag::Td
            | Tag::Th
            | Tag::Thead
            | Tag::Tbody
            | Tag::Tfoot
            | Tag::Caption
            | Tag::Figure
            | Tag::Figcaption
            | Tag::Hr
            | Tag::Address
            | Tag::Details
            | Tag::Summary
            | Tag::Center
            | Tag::Fieldset
            | Tag::Body
            | Tag::Html
            | Tag::Form
            | Tag::Menu
            | Tag::Hgroup
    )
}

/// Elements that are page furniture whatever their class.
fn is_boilerplate_tag(tag: Tag) -> bool {
    matches!(
        tag,
        Tag::Nav | Tag::Header | Tag::Footer | Tag::Aside | Tag::Menu | Tag::Dialog | Tag::Figure
    )
}

/// Elements whose text scores their ancestors.
fn is_scored(tag: Tag) -> bool {
    matches!(
        tag,
        Tag::P
            | Tag::Td
            | Tag::Pre
            | Tag::Blockquote
            | Tag::H2
            | Tag::H3
            | Tag::H4
            | Tag::H5
            | Tag::H6
    ) || is_text_container(tag)
}

/// Containers whose own text (outside any paragraph) is an implicit paragraph.
fn is_text_container(tag: Tag) -> bool {
    matches!(
        tag,
        Tag::Div | Tag::Section | Tag::Article | Tag::Main | Tag::Center | Tag::Other
    )
}

/// Containers the clean-up may drop.
fn is_cleanable(tag: Tag) -> bool {
    matches!(
        tag,
        Tag::Div
            | Tag::Section
            | Tag::Ul
            | Tag::Ol
            | Tag::Table
            | Tag::Form
            | Tag::Fieldset
            | Tag::Aside
            | Tag::Dl
            | Tag::Center
    )
}

/// The starting score of a scored element, by tag.
fn tag_weight(tag: Tag) -> f32 {
    match tag {
        Tag::Div => 5.0,
        Tag::Pre | Tag::Td | Tag::Blockquote => 3.0,
        Tag::Address | Tag::Ol | Tag::Ul | Tag::Dl | Tag::Dd | Tag::Dt | Tag::Li | Tag::Form => {
            -3.0
        }
        Tag::H1 | Tag::H2 | Tag::H3 | Tag::H4 | Tag::H5 | Tag::H6 | Tag::Th => -5.0,
        _ => 0.0,
    }
}

/// Class/id words that mark furniture under any filter (matched as whole words).
const STRONG_NEGATIVE: &[&str] = &[
    "comment",
    "comments",
    "commentlist",
    "disqus",
    "related",
    "relatedposts",
];
/// Class/id words that mark furniture under [`Filter::Strict`], unless a content word is
/// beside them in the same class name.
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
];
/// Class/id words that keep a class name with a [`NEGATIVE`] word (`post-share` is not).
const POSITIVE: &[&str] = &[
    "article", "content", "main", "body", "story", "entry", "post", "text", "news",
];
/// Words that make a class name a state flag (`has-sidebar`), not a role.
const MODIFIERS: &[&str] = &["has", "with", "no", "is", "show"];
/// Substrings of class/id values that mark image captions and credits: always furniture.
const CAPTION: &[&str] = &["caption", "credit"];

/// Substrings of class/id values that lower a container's score by 25 (the first three
/// under any filter, the rest under [`Filter::Strict`]).
const WEIGHT_NEGATIVE: &[&str] = &[
    "comment",
    "disqus",
    "related",
    "contact",
    "foot",
    "masthead",
    "meta",
    "outbrain",
    "taboola",
    "promo",
    "share",
    "sharing",
    "social",
    "sidebar",
    "sponsor",
    "shopping",
    "tags",
    "tool",
    "widget",
    "banner",
    "hidden",
    "newsletter",
    "subscribe",
    "breadcrumb",
    "recommend",
    "popular",
    "trending",
    "signup",
    "byline",
    "author",
];
/// How many of [`WEIGHT_NEGATIVE`] count under [`Filter::Lenient`].
const WEIGHT_NEGATIVE_LENIENT: usize = 3;
/// Substrings of class/id values that raise a container's score by 25.
const WEIGHT_POSITIVE: &[&str] = &[
    "article", "body", "content", "entry", "main", "post", "text", "blog", "story",
];

/// How a class or id value reads as furniture: 2 under any filter, 1 under
/// [`Filter::Strict`], 0 not furniture.
fn furniture_level(value: &str) -> u8 {
    let mut level = 0;
    for name in value.split_ascii_whitespace().filter(|n| !is_term_class(n)) {
        let mut words = name
            .split(|c: char| !c.is_ascii_alphanumeric())
            .filter(|w| !w.is_empty())
            .peekable();
        if words
            .peek()
            .is_some_and(|w| MODIFIERS.iter().any(|m| m.eq_ignore_ascii_case(w)))
        {
            continue;
        }
        let (mut strong, mut negative, mut positive) = (false, false, false);
        for w in words {
            let is = |list: &[&str]| list.iter().any(|x| x.eq_ignore_ascii_case(w));
            strong |= is(STRONG_NEGATIVE) || is_strong_compound(w);
            negative |= is(NEGATIVE);
            positive |= is(POSITIVE);
        }
        if strong {
            return 2;
        }
        if negative && !positive {
            level = 1;
        }
    }
    level
}

/// A text score with the element's class/id weight (a multiple of ±25) added: furniture
/// words count in full, content words at most double the text's own score.
fn class_weighted(score: f32, weight: f32) -> f32 {
    if weight > 0.0 {
        score + weight.min(score.max(0.0))
    } else {
        score + weight
    }
}

/// A word made of a comment or related-links word and another (`commentbody`,
/// `relatedstories`), but not `commentary` (opinion pieces).
fn is_strong_compound(word: &str) -> bool {
    let lower = word.to_ascii_lowercase();
    ["comment", "related", "disqus"]
        .iter()
        .any(|p| lower.starts_with(p) && lower.len() > p.len())
        && !lower.starts_with("commentar")
}

/// What the markup says about each element, read once.
#[derive(Debug, Clone, Copy, Default)]
struct Hint {
    /// 2: furniture under any filter; 1: under [`Filter::Strict`]; 0: not furniture.
    furniture: u8,
    /// Class/id weight under [`Filter::Strict`] and [`Filter::Lenient`].
    weight: [f32; 2],
}

/// What one class or id value says.
#[derive(Debug, Clone, Copy)]
struct ClassInfo {
    negative_any: bool,
    negative_strict: bool,
    positive: bool,
    caption: bool,
    furniture: u8,
}

impl ClassInfo {
    fn read(value: &str) -> ClassInfo {
        let value = &without_terms(value);
        let found = scan_words(value.as_bytes());
        let any = |from: usize, to: usize| found & (((1u64 << (to - from)) - 1) << from) != 0;
        let neg = WEIGHT_NEGATIVE.len();
        let pos = neg + WEIGHT_POSITIVE.len();
        let negative_any = any(0, WEIGHT_NEGATIVE_LENIENT);
        ClassInfo {
            negative_any,
            negative_strict: any(0, neg),
            positive: any(neg, pos),
            caption: any(pos, pos + CAPTION.len()),
            furniture: furniture_level(value),
        }
    }
}

/// Class names that only list the post's tags and categories (`tag-renewable-energy-credits`,
/// `category-news`, as blog engines write them): they say nothing about the element's role.
fn is_term_class(name: &str) -> bool {
    ["tag-", "category-", "tags-", "post_tag-", "topic-"]
        .iter()
        .any(|p| {
            name.len() > p.len()
                && name
                    .get(..p.len())
                    .is_some_and(|h| h.eq_ignore_ascii_case(p))
        })
}

/// `value` without its [`is_term_class`] names.
fn without_terms(value: &str) -> std::borrow::Cow<'_, str> {
    if value.split_ascii_whitespace().any(is_term_class) {
        value
            .split_ascii_whitespace()
            .filter(|n| !is_term_class(n))
            .collect::<Vec<_>>()
            .join(" ")
            .into()
    } else {
        value.into()
    }
}

/// Which of [`WEIGHT_NEGATIVE`], [`WEIGHT_POSITIVE`] and [`CAPTION`] (in that order, one bit
/// each) occur in `value`, ignoring ASCII case. One pass over `value`, trying at each byte
/// only the words that start with it.
fn scan_words(value: &[u8]) -> u64 {
    let mut found = 0u64;
    for start in 0..value.len() {
        let first = value[start].to_ascii_lowercase();
        if !first.is_ascii_lowercase() {
            continue;
        }
        let mut candidates = WORDS_BY_FIRST_LETTER[(first - b'a') as usize] & !found;
        while candidates != 0 {
            let k = candidates.trailing_zeros() as usize;
            candidates &= candidates - 1;
            let w = scan_word(k).as_bytes();
            if value.len() - start >= w.len()
                && value[start..start + w.len()].eq_ignore_ascii_case(w)
            {
                found |= 1 << k;
            }
        }
    }
    found
}

/// Word `k` of [`WEIGHT_NEGATIVE`], [`WEIGHT_POSITIVE`] and [`CAPTION`] taken in order.
const fn scan_word(k: usize) -> &'static str {
    let neg = WEIGHT_NEGATIVE.len();
    let pos = WEIGHT_POSITIVE.len();
    if k < neg {
        WEIGHT_NEGATIVE[k]
    } else if k < neg + pos {
        WEIGHT_POSITIVE[k - neg]
    } else {
        CAPTION[k - neg - pos]
    }
}

/// For each lower-case ASCII letter, the words of [`scan_words`] that start with it.
const WORDS_BY_FIRST_LETTER: [u64; 26] = {
    let mut table = [0u64; 26];
    let count = WEIGHT_NEGATIVE.len() + WEIGHT_POSITIVE.len() + CAPTION.len();
    let mut k = 0;
    while k < count {
        let first = scan_word(k).as_bytes()[0];
        table[(first - b'a') as usize] |= 1 << k;
        k += 1;
    }
    table
};

fn hints(dom: &Dom) -> Vec<Hint> {
    let mut out = vec![Hint::default(); dom.nodes.len()];
    // Pages repeat the same class values many times: read each once.
    let mut cache: HashMap<&str, ClassInfo> = HashMap::new();
    for (i, n) in dom.nodes.iter().enumerate() {
        let Some(tag) = n.tag else { continue };
        let id = i as u32;
        let hint = &mut out[i];
        let mut furniture = 0;
        for value in [dom.attr(id, AttrName::Class), dom.attr(id, AttrName::Id)]
            .into_iter()
            .flatten()
        {
            let info = *cache.entry(value).or_insert_with(|| ClassInfo::read(value));
            let positive = if info.positive { 25.0 } else { 0.0 };
            hint.weight[0] += positive - if info.negative_strict { 25.0 } else { 0.0 };
            hint.weight[1] += positive - if info.negative_any { 25.0 } else { 0.0 };
            // Captions and credits are furniture to the strict pass only: a post that is one
            // long caption (a photo post) is still found by the lenient one.
            furniture = furniture.max(if info.caption {
                1.max(info.furniture)
            } else {
                info.furniture
            });
        }
        if hint.furniture == 2
            || is_boilerplate_tag(tag)
            || hidden(dom, id)
            || dom.attr(id, AttrName::Role).is_some_and(|r| {
                matches!(
                    r,
                    "navigation" | "banner" | "contentinfo" | "complementary" | "search" | "dialog"
                )
            })
        {
            hint.furniture = 2;
            continue;
        }
        if matches!(tag, Tag::Html | Tag::Body | Tag::Main | Tag::Article) {
            continue;
        }
        hint.furniture = furniture;
    }
    // What the page itself marks as the article's body (schema.org `articleBody`) is never
    // furniture, nor is anything around it, whatever their class words say (an id with
    // "share" in it, a Blogger `widget`); it weighs as two content words.
    for (i, n) in dom.nodes.iter().enumerate() {
        if n.tag.is_none() || !is_article_body(dom, i as u32) || hidden(dom, i as u32) {
            continue;
        }
        out[i].weight = out[i].weight.map(|w| w.max(0.0) + 2.0 * 25.0);
        let mut x = i as u32;
        while x != NONE && !hidden(dom, x) {
            out[x as usize].furniture = 0;
            x = dom.nodes[x as usize].parent;
        }
    }
    out
}

/// Whether the element is marked `itemprop="articleBody"` (among other properties, perhaps).
fn is_article_body(dom: &Dom, i: u32) -> bool {
    dom.attr(i, AttrName::Itemprop).is_some_and(|v| {
        v.split_ascii_whitespace()
            .any(|p| p.eq_ignore_ascii_case("articleBody"))
    })
}

/// Whether the element is hidden by its own attributes: `hidden`, `aria-hidden="true"`, an
/// inline `display: none` or `visibility: hidden`, or a class name that frameworks use only
/// to hide (`hidden`, `d-none`, `sr-only`…; a class *containing* such a word, like
/// `field-label-hidden`, hides something else).
fn hidden(dom: &Dom, i: u32) -> bool {
    dom.attr(i, AttrName::Hidden).is_some()
        || dom.attr(i, AttrName::AriaHidden) == Some("true")
        || dom.attr(i, AttrName::Style).is_some_and(|style| {
            let compact: String = style
                .chars()
                .filter(|c| !c.is_ascii_whitespace())
                .flat_map(|c| c.to_lowercase())
                .collect();
            compact.contains("display:none") || compact.contains("visibility:hidden")
        })
        || dom.attr(i, AttrName::Class).is_some_and(|class| {
            class.split_ascii_whitespace().any(|name| {
                [
                    "hidden",
                    "hide",
                    "d-none",
                    "is-hidden",
                    "sr-only",
                    "visually-hidden",
                    "screen-reader-text",
                    "element-invisible",
                ]
                .iter()
                .any(|h| name.eq_ignore_ascii_case(h))
            })
        })
}

/// One block of text.
#[derive(Debug, Clone, Default, PartialEq)]
struct Block {
    /// The text, whitespace collapsed.
    text: String,
    /// Non-space characters.
    chars: usize,
    /// Non-space characters inside links.
    link_chars: usize,
    /// The innermost block-level element holding the text.
    owner: u32,
}

impl Block {
    fn link_density(&self) -> f32 {
        if self.chars == 0 {
            0.0
        } else {
            self.link_chars as f32 / self.chars as f32
        }
    }
}

/// What a subtree holds, furniture excluded.
#[derive(Debug, Clone, Copy, Default)]
struct Counts {
    /// Non-space characters.
    chars: u32,
    /// Of those, inside links.
    link: u32,
    /// Non-space characters inside headings.
    heading_chars: u32,
    commas: u32,
    img: u32,
    li: u32,
    /// Inputs and buttons (counted even though their content is skipped).
    input: u32,
    /// Embedded media and frames (likewise).
    embed: u32,
}

impl Counts {
    fn link_density(&self) -> f32 {
        if self.chars == 0 {
            0.0
        } else {
            self.link as f32 / self.chars as f32
        }
    }
}

/// The result of one pass.
struct Extraction {
    text: String,
    /// Whether the article is bounded by the page's own `articleBody` markup.
    marked: bool,
    /// The best-scoring element (0, the document, when nothing scored).
    core: usize,
}

/// The page's longest run of prose.
struct Run {
    text: String,
    /// Non-space characters of its prose blocks.
    chars: usize,
}

/// The page analysed: hints and per-text-node counts, shared by both passes.
struct Page<'a> {
    dom: &'a Dom,
    hints: Vec<Hint>,
    /// Non-space characters of each text node.
    text_chars: Vec<u32>,
    /// Commas of each text node.
    text_commas: Vec<u32>,
    /// The heading that shows the article's title, and the ancestor (a few levels up) within
    /// which the article around it is looked for.
    headline: Option<(usize, usize)>,
    /// Non-link characters of the text nodes before each node, in document order.
    text_before: Vec<u32>,
}

/// Commas (Latin, Arabic, full-width, ideographic), counted on the bytes.
fn commas(text: &str) -> usize {
    let b = text.as_bytes();
    let mut n = 0;
    for (i, &c) in b.iter().enumerate() {
        n += usize::from(match c {
            b',' => true,
            0xD8 => b.get(i + 1) == Some(&0x8C),
            0xEF => b.get(i + 1..i + 3) == Some(&[0xBC, 0x8C]),
            0xE3 => b.get(i + 1..i + 3) == Some(&[0x80, 0x81]),
            _ => false,
        });
    }
    n
}

/// Characters other than the ASCII space, counted on the bytes (text from the parser has
/// its whitespace collapsed to single spaces).
fn count_chars(text: &str) -> usize {
    text.bytes()
        .filter(|&b| (b & 0xC0) != 0x80 && b != b' ')
        .count()
}

/// The last node of `i`'s subtree (nodes are in document order).
fn last_descendant(dom: &Dom, i: usize) -> usize {
    let mut end = i;
    while dom.nodes[end].last_child != NONE {
        end = dom.nodes[end].last_child as usize;
    }
    end
}

/// Whether `a` is `b` or inside it.
fn is_within(dom: &Dom, a: usize, b: usize) -> bool {
    let mut x = a as u32;
    while x != NONE {
        if x as usize == b {
            return true;
        }
        x = dom.nodes[x as usize].parent;
    }
    false
}

impl<'a> Page<'a> {
    fn new(dom: &'a Dom, title: Option<&str>) -> Page<'a> {
        let mut text_chars = vec![0u32; dom.nodes.len()];
        let mut text_commas = vec![0u32; dom.nodes.len()];
        for (i, n) in dom.nodes.iter().enumerate() {
            if n.tag.is_none() {
                let t = dom.text(i as u32);
                text_chars[i] = count_chars(t) as u32;
                text_commas[i] = commas(t) as u32;
            }
        }
        let headline = find_headline(dom, title).map(|h| {
            let mut reach = h;
            for _ in 0..HEADLINE_REACH {
                let p = dom.nodes[reach].parent;
                if p == NONE
                    || p == 0
                    || matches!(dom.nodes[p as usize].tag, Some(Tag::Body | Tag::Html))
                {
                    break;
                }
                reach = p as usize;
            }
            (h, reach)
        });
        let mut in_link = vec![false; dom.nodes.len()];
        let mut text_before = vec![0u32; dom.nodes.len() + 1];
        for (i, n) in dom.nodes.iter().enumerate() {
            if i > 0 {
                in_link[i] = in_link[n.parent as usize] || n.tag == Some(Tag::A);
            }
            let own = if n.tag.is_none() && !in_link[i] {
                text_chars[i]
            } else {
                0
            };
            text_before[i + 1] = text_before[i] + own;
        }
        Page {
            dom,
            hints: hints(dom),
            text_chars,
            text_commas,
            headline,
            text_before,
        }
    }

    /// How much text (not in links) lies between the end of the headline and the start of
    /// `i`: 0 when `i` holds the headline, `None` when it comes before it or no headline was
    /// found.
    fn gap(&self, i: usize) -> Option<u32> {
        let (h, _) = self.headline?;
        if i == 0 {
            return None;
        }
        if is_within(self.dom, h, i) {
            return Some(0);
        }
        if i < h {
            return None;
        }
        let end = last_descendant(self.dom, h);
        Some(self.text_before[i].saturating_sub(self.text_before[end + 1]))
    }

    /// Whether `a` is closer to the headline than `b` (`b` before it, or no headline: no).
    fn closer(&self, a: usize, b: usize) -> bool {
        match (self.gap(a), self.gap(b)) {
            (Some(x), Some(y)) => x < y,
            (Some(_), None) => self.headline.is_some() && b != 0,
            _ => false,
        }
    }

    /// Whether `i` holds the headline, or follows it closely enough to be its article (no
    /// headline found: always; the document itself: never).
    fn anchored(&self, i: usize) -> bool {
        match self.headline {
            // The document is what a pass that found nothing reports.
            _ if i == 0 => false,
            None => true,
            Some((h, reach)) => {
                is_within(self.dom, h, i) || (i > h && is_within(self.dom, i, reach))
            }
        }
    }

    fn excluded(&self, i: usize, filter: Filter) -> bool {
        match self.dom.nodes[i].tag {
            None => false,
            Some(t) => {
                is_skipped(t)
                    || match filter {
                        Filter::Strict => self.hints[i].furniture > 0,
                        Filter::Lenient => self.hints[i].furniture > 1,
                    }
            }
        }
    }

    fn weight(&self, i: usize, filter: Filter) -> f32 {
        self.hints[i].weight[match filter {
            Filter::Strict => 0,
            Filter::Lenient => 1,
        }]
    }

    /// Whether `i` is inside something only the strict filter skips.
    fn hidden_by_strict(&self, i: usize) -> bool {
        let mut x = i as u32;
        while x != NONE {
            if self.hints[x as usize].furniture == 1 {
                return true;
            }
            x = self.dom.nodes[x as usize].parent;
        }
        false
    }

    /// Subtree sums under `filter`, in one pass from the last node back (children follow
    /// their parents in the arena).
    fn counts(&self, filter: Filter) -> Vec<Counts> {
        let nodes = &self.dom.nodes;
        let mut counts = vec![Counts::default(); nodes.len()];
        for i in (1..nodes.len()).rev() {
            let node = &nodes[i];
            let p = node.parent as usize;
            let Some(tag) = node.tag else {
                counts[p].chars += self.text_chars[i];
                counts[p].commas += self.text_commas[i];
                continue;
            };
            let mut c = counts[i];
            match tag {
                Tag::Img => c.img += 1,
                Tag::Li => c.li += 1,
                Tag::Input | Tag::Button => c.input += 1,
                Tag::Embed | Tag::Object | Tag::Iframe | Tag::Video | Tag::Audio => c.embed += 1,
                Tag::A => c.link = c.chars,
                t if t.is_heading() => c.heading_chars = c.chars,
                _ => {}
            }
            if self.excluded(i, filter) {
                // A skipped input or embed still counts for its container.
                c = Counts {
                    input: u32::from(matches!(tag, Tag::Input | Tag::Button)),
                    embed: u32::from(matches!(
                        tag,
                        Tag::Embed | Tag::Object | Tag::Iframe | Tag::Video | Tag::Audio
                    )),
                    ..Counts::default()
                };
            }
            counts[i] = c;
            let pc = &mut counts[p];
            pc.chars += c.chars;
            pc.link += c.link;
            pc.heading_chars += c.heading_chars;
            pc.commas += c.commas;
            pc.img += c.img;
            pc.li += c.li;
            pc.input += c.input;
            pc.embed += c.embed;
        }
        counts
    }

    /// The page's blocks under `filter`, in document order.
    fn blocks(&self, filter: Filter) -> Vec<Block> {
        let mut w = Walker::new(self, filter, NONE);
        w.walk(0, false, 0, 0);
        w.finish()
    }

    /// One pass: score, choose, clean (see the module docs).
    fn extract(&self, title: Option<&str>, filter: Filter) -> Extraction {
        let dom = self.dom;
        let n = dom.nodes.len();
        let counts = self.counts(filter);
        let blocks = self.blocks(filter);

        // Paragraph scores.
        let mut score = vec![f32::NAN; n];
        for b in &blocks {
            let owner = b.owner as usize;
            let otag = dom.nodes[owner].tag.unwrap_or(Tag::Other);
            if b.chars < MIN_PARAGRAPH || !is_scored(otag) {
                continue;
            }
            let s = 1.0 + commas(&b.text) as f32 + (b.chars / 100).min(3) as f32;
            let mut cur = if is_text_container(otag) {
                b.owner
            } else {
                dom.nodes[owner].parent
            };
            let mut level = 0;
            while cur != NONE && cur != 0 && level < 5 {
                let i = cur as usize;
                if score[i].is_nan() {
                    score[i] = tag_weight(dom.nodes[i].tag.unwrap_or(Tag::Other));
                }
                score[i] += s / match level {
                    0 => 1.0,
                    1 => 2.0,
                    l => l as f32 * 3.0,
                };
                cur = dom.nodes[i].parent;
                level += 1;
            }
        }
        // Class and id words weigh the text's score; they do not replace it, so that a
        // container named `content` holding one line does not outscore the article.
        let final_score = |i: usize| {
            if score[i].is_nan() {
                0.0
            } else {
                class_weighted(score[i], self.weight(i, filter)) * (1.0 - counts[i].link_density())
            }
        };
        let mut candidates: Vec<(usize, f32)> = (0..n)
            .filter(|&i| !score[i].is_nan())
            .map(|i| (i, final_score(i)))
            .collect();
        candidates.sort_by(|a, b| b.1.total_cmp(&a.1));
        // Where the page marks its article's body (with some text in it), the core is found
        // there: the markup outvotes the scores.
        let marked_body = (0..n).find(|&i| {
            dom.nodes[i].tag.is_some()
                && is_article_body(dom, i as u32)
                && !self.excluded(i, filter)
                && counts[i].chars - counts[i].link >= MIN_MARKED_BODY
        });
        if let Some(a) = marked_body
            && let Some(k) = candidates.iter().position(|&(c, _)| is_within(dom, c, a))
        {
            let best = candidates.remove(k);
            candidates.insert(0, best);
        }
        // A best candidate that ends before the headline (a notice, a teaser box above it)
        // gives way to one after it that scores at least a third as well.
        if marked_body.is_none()
            && let Some(&(best, best_score)) = candidates.first()
            && let Some((h, _)) = self.headline
            && best < h
            && !is_within(dom, h, best)
            && let Some(k) = candidates
                .iter()
                .position(|&(c, sc)| sc * 3.0 >= best_score && self.gap(c).is_some())
        {
            let after = candidates.remove(k);
            candidates.insert(0, after);
        }
        let Some(&(core, core_score)) = candidates.first() else {
            return Extraction {
                text: self.fallback(&counts, title, filter),
                marked: false,
                core: 0,
            };
        };
        let top = self.choose_top(core, core_score, &candidates, &score, &final_score, filter);
        #[cfg(test)]
        if std::env::var_os("RASD_EXTRACT_DEBUG").is_some() {
            let name = |i: usize| {
                let mut s = format!("{:?}", dom.nodes[i].tag.unwrap_or(Tag::Other));
                if let Some(id) = dom.attr(i as u32, AttrName::Id) {
                    s += &format!("#{id}");
                }
                if let Some(c) = dom.attr(i as u32, AttrName::Class) {
                    s += &format!(".{}", c.split_whitespace().collect::<Vec<_>>().join("."));
                }
                s
            };
            eprintln!("{filter:?}: top {} core {}", name(top), name(core));
            for &(c, f) in candidates.iter().take(10) {
                eprintln!(
                    "  {f:7.1} raw {:7.1} chars {:6} ld {:.2} {}",
                    score[c],
                    counts[c].chars,
                    counts[c].link_density(),
                    name(c)
                );
            }
        }

        // Paragraph counts and prose characters per subtree.
        let mut paras = vec![0u32; n];
        let mut prose_chars = vec![0u32; n];
        for b in &blocks {
            paras[b.owner as usize] += 1;
            if b.chars >= MIN_PARAGRAPH && b.link_density() < 0.25 {
                prose_chars[b.owner as usize] += b.chars as u32;
            }
        }
        for i in (1..n).rev() {
            let p = dom.nodes[i].parent as usize;
            paras[p] += paras[i];
            prose_chars[p] += prose_chars[i];
        }

        // The page's own articleBody markup around the core bounds the article.
        let mut marked = core as u32;
        while marked != NONE && !is_article_body(dom, marked) {
            marked = dom.nodes[marked as usize].parent;
        }
        let mut roots = if marked != NONE {
            vec![marked as usize]
        } else {
            self.siblings(top, filter, &counts, &final_score)
        };
        roots.extend(self.twins(top, &counts, &prose_chars));

        // The chosen subtrees, minus furniture-like containers; the core and its ancestors
        // are never dropped.
        let mut protected = vec![false; n];
        let mut x = core as u32;
        while x != NONE {
            protected[x as usize] = true;
            x = dom.nodes[x as usize].parent;
        }
        let mut included = vec![false; n];
        let mut is_root = vec![false; n];
        for &r in &roots {
            included[r] = true;
            is_root[r] = true;
        }
        let mut removed = vec![false; n];
        let mut in_figure = vec![false; n];
        for i in 1..n {
            let p = dom.nodes[i].parent as usize;
            in_figure[i] = in_figure[p] || dom.nodes[p].tag == Some(Tag::Figure);
            included[i] |= included[p];
            if removed[p] {
                removed[i] = true;
                continue;
            }
            if included[i]
                && !is_root[i]
                && !protected[i]
                && let Some(tag) = dom.nodes[i].tag
                && is_cleanable(tag)
            {
                let content_score = if score[i].is_nan() { 0.0 } else { score[i] };
                let weight = self.weight(i, filter);
                removed[i] = is_junk(
                    tag,
                    &counts[i],
                    weight,
                    content_score,
                    paras[i],
                    in_figure[i],
                );
            }
        }

        let kept = blocks
            .iter()
            .filter(|b| included[b.owner as usize] && !removed[b.owner as usize]);
        Extraction {
            text: self.article_text(kept, title),
            marked: marked != NONE,
            core,
        }
    }

    /// The text of the chosen blocks: those mostly of links, the headline, and date or
    /// byline lines among the first and last two left out.
    fn article_text<'b>(
        &self,
        chosen: impl Iterator<Item = &'b Block>,
        title: Option<&str>,
    ) -> String {
        let dom = self.dom;
        let mut prose: Vec<&Block> = chosen
            .filter(|b| b.link_density() <= MAX_BLOCK_LINK_DENSITY)
            .filter(|b| dom.nodes[b.owner as usize].tag != Some(Tag::H1))
            .filter(|b| title.is_none_or(|t| b.text != t))
            .collect();
        let len = prose.len();
        let mut k = 0;
        prose.retain(|b| {
            k += 1;
            let edge = k <= 2 || k + 2 > len;
            !(edge && is_dateline(&b.text, b.chars))
        });
        // A heading with nothing after it titles a box that was left out ("Related posts").
        while prose.len() > 1
            && prose
                .last()
                .and_then(|b| dom.nodes[b.owner as usize].tag)
                .is_some_and(Tag::is_heading)
        {
            prose.pop();
        }
        join(prose.iter().map(|b| b.text.as_str()))
    }

    /// From the core, the element that stands for the article: a common ancestor of several
    /// near-best candidates, a parent that scores better, or the parent of an only child.
    fn choose_top(
        &self,
        core: usize,
        core_score: f32,
        candidates: &[(usize, f32)],
        score: &[f32],
        final_score: &dyn Fn(usize) -> f32,
        filter: Filter,
    ) -> usize {
        let dom = self.dom;
        let mut top = core;
        let near_best: Vec<usize> = candidates
            .iter()
            .skip(1)
            .take(4)
            .filter(|c| c.1 >= 0.75 * core_score)
            .map(|c| c.0)
            .collect();
        if near_best.len() >= 3 {
            let mut anc = dom.nodes[top].parent;
            while anc != NONE && anc != 0 {
                let holds = near_best
                    .iter()
                    .filter(|&&c| is_within(dom, c, anc as usize))
                    .count();
                if holds >= 3 {
                    top = anc as usize;
                    break;
                }
                anc = dom.nodes[anc as usize].parent;
            }
        }
        let mut last = final_score(top);
        let floor = last / 3.0;
        let mut p = dom.nodes[top].parent;
        while p != NONE && p != 0 {
            let pi = p as usize;
            p = dom.nodes[pi].parent;
            if score[pi].is_nan() {
                continue;
            }
            let ps = final_score(pi);
            if ps < floor {
                break;
            }
            if ps > last {
                top = pi;
                break;
            }
            last = ps;
        }
        loop {
            let p = dom.nodes[top].parent;
            if p == NONE || p == 0 {
                break top;
            }
            let elements = dom
                .children(p)
                .filter(|&c| {
                    dom.nodes[c as usize].tag.is_some() && !self.excluded(c as usize, filter)
                })
                .count();
            if elements == 1 {
                top = p as usize;
            } else {
                break top;
            }
        }
    }

    /// The top and those of its siblings that score at least a fifth as well (a sibling with
    /// the same class gets a bonus), or are paragraphs of prose.
    fn siblings(
        &self,
        top: usize,
        filter: Filter,
        counts: &[Counts],
        final_score: &dyn Fn(usize) -> f32,
    ) -> Vec<usize> {
        let dom = self.dom;
        let parent = dom.nodes[top].parent;
        if parent == NONE {
            return vec![top];
        }
        let top_score = final_score(top);
        let threshold = (top_score * 0.2).max(10.0);
        let top_class = dom.attr(top as u32, AttrName::Class);
        dom.children(parent)
            .map(|c| c as usize)
            .filter(|&c| {
                if c == top {
                    return true;
                }
                let Some(tag) = dom.nodes[c].tag else {
                    return false;
                };
                if self.excluded(c, filter) {
                    return false;
                }
                let bonus =
                    if top_class.is_some() && dom.attr(c as u32, AttrName::Class) == top_class {
                        top_score * 0.2
                    } else {
                        0.0
                    };
                if final_score(c) + bonus >= threshold {
                    return true;
                }
                if tag != Tag::P {
                    return false;
                }
                let (len, ld) = (counts[c].chars, counts[c].link_density());
                if len > 80 && ld < 0.25 {
                    return true;
                }
                len > 0 && len < 80 && ld == 0.0 && {
                    let t = dom.inner_text(c as u32);
                    t.ends_with('.') || t.contains(". ")
                }
            })
            .collect()
    }

    /// Elements with the top's tag and class, holding prose, whose common ancestor with the
    /// top is at most two levels above it: the rest of an article split into parts.
    fn twins(&self, top: usize, counts: &[Counts], prose_chars: &[u32]) -> Vec<usize> {
        const MIN_PROSE: u32 = 100;
        let dom = self.dom;
        let Some(class) = dom
            .attr(top as u32, AttrName::Class)
            .filter(|c| !c.trim().is_empty())
        else {
            return Vec::new();
        };
        let tag = dom.nodes[top].tag;
        // The ancestors within reach.
        let mut reach = Vec::new();
        let mut anc = dom.nodes[top].parent;
        while reach.len() < 2 && anc != NONE && anc != 0 {
            reach.push(anc as usize);
            anc = dom.nodes[anc as usize].parent;
        }
        let Some(&outer) = reach.last() else {
            return Vec::new();
        };
        // Twins lie inside the outermost reachable ancestor; nodes there follow it in order.
        let mut out = Vec::new();
        for i in outer + 1..dom.nodes.len() {
            if !is_within(dom, i, outer) {
                break;
            }
            if i == top
                || dom.nodes[i].tag != tag
                || dom.attr(i as u32, AttrName::Class) != Some(class)
                || prose_chars[i] < MIN_PROSE
                || counts[i].link_density() > 0.3
                || is_within(dom, i, top)
                || is_within(dom, top, i)
            {
                continue;
            }
            out.push(i);
        }
        out
    }

    /// The longest run of consecutive prose blocks under `filter`: blocks of 25 characters
    /// or more with few links add to it, short ones (subheadings, datelines) pass, and a
    /// block mostly of links ends it.
    fn best_run(&self, title: Option<&str>, filter: Filter) -> Run {
        let blocks = self.blocks(filter);
        let (mut best, mut best_chars) = ((0, 0), 0usize);
        let (mut start, mut chars) = (0usize, 0usize);
        for (k, b) in blocks.iter().enumerate() {
            let ld = b.link_density();
            if !self.anchored(b.owner as usize) {
                chars = 0;
            } else if b.chars >= MIN_PARAGRAPH && ld < 0.25 {
                if chars == 0 {
                    start = k;
                }
                chars += b.chars;
                if chars > best_chars {
                    best_chars = chars;
                    best = (start, k + 1);
                }
            } else if ld > MAX_BLOCK_LINK_DENSITY
                || self.dom.nodes[b.owner as usize].tag == Some(Tag::H1)
            {
                chars = 0;
            }
        }
        Run {
            text: self.article_text(blocks[best.0..best.1].iter(), title),
            chars: best_chars,
        }
    }

    /// The short lines between the headline and the first paragraph of `text`, as the page
    /// shows them: a byline, a date line, a standfirst. None when there is no headline, the
    /// text does not follow it, or what lies between is more than a few short lines.
    fn header(&self, text: &str, title: Option<&str>) -> Option<String> {
        const MAX_LINES: usize = 5;
        const MAX_LINE_CHARS: usize = 250;
        let (h, _) = self.headline?;
        let first = text.split("\n\n").next().filter(|f| !f.is_empty())?;
        let end = last_descendant(self.dom, h);
        // The headline's own `<header>` is walked too: bylines are often in it.
        let mut w = Walker::new(self, Filter::Strict, h as u32);
        w.walk(0, false, 0, 0);
        let blocks = w.finish();
        let start = blocks.iter().position(|b| b.owner as usize > end)?;
        let stop = start + blocks[start..].iter().position(|b| b.text == first)?;
        let lines: Vec<&Block> = blocks[start..stop]
            .iter()
            .filter(|b| title.is_none_or(|t| b.text != t))
            .filter(|b| b.chars >= 3 && b.link_density() <= MAX_BLOCK_LINK_DENSITY)
            .collect();
        if lines.is_empty()
            || lines.len() > MAX_LINES
            || lines.iter().any(|b| b.chars > MAX_LINE_CHARS)
        {
            return None;
        }
        Some(join(lines.iter().map(|b| b.text.as_str())))
    }

    /// When no block scores: the old descent from the body into the child container holding
    /// three quarters of its parent's non-link text.
    fn fallback(&self, counts: &[Counts], title: Option<&str>, filter: Filter) -> String {
        let dom = self.dom;
        let text = |i: usize| counts[i].chars - counts[i].link;
        if counts[0].chars == 0 {
            return String::new();
        }
        let mut cur = 0usize;
        loop {
            let best = dom
                .children(cur as u32)
                .map(|c| c as usize)
                .filter(|&c| {
                    dom.nodes[c].tag.is_some_and(|t| {
                        is_text_container(t)
                            || matches!(t, Tag::Table | Tag::Tbody | Tag::Tr | Tag::Td | Tag::Form)
                    }) && !self.excluded(c, filter)
                })
                .max_by_key(|&c| text(c));
            match best {
                Some(c) if text(c) * 4 >= text(cur) * 3 && text(c) > 0 => cur = c,
                _ => break,
            }
        }
        let mut w = Walker::new(self, filter, NONE);
        w.walk(cur as u32, false, cur as u32, 0);
        let blocks = w.finish();
        join(
            blocks
                .iter()
                .filter(|b| b.link_density() <= MAX_BLOCK_LINK_DENSITY)
                .filter(|b| title.is_none_or(|t| b.text != t))
                .map(|b| b.text.as_str()),
        )
    }
}

fn join<'a>(parts: impl Iterator<Item = &'a str>) -> String {
    let mut out = String::new();
    for p in parts {
        if !out.is_empty() {
            out.push_str("\n\n");
        }
        out.push_str(p);
    }
    out
}

/// The clean-up rules for a container inside the chosen article (Readability's conditional
/// cleaning, with a rule for image boxes added).
fn is_junk(
    tag: Tag,
    c: &Counts,
    weight: f32,
    content_score: f32,
    paras: u32,
    in_figure: bool,
) -> bool {
    if weight + content_score < 0.0 {
        return true;
    }
    if c.commas >= 10 {
        return false;
    }
    let chars = c.chars as f32;
    let ld = c.link_density();
    let p = paras as f32;
    let img = c.img as f32;
    let is_list = matches!(tag, Tag::Ul | Tag::Ol);
    let heading_density = if chars > 0.0 {
        c.heading_chars as f32 / chars
    } else {
        0.0
    };
    (img > 1.0 && p / img < 0.5 && !in_figure)
        || (img >= 1.0 && chars < 400.0 && p <= 2.0)
        || (!is_list && c.li as f32 > p + 100.0)
        || (c.input as f32 > (p / 3.0).floor())
        || (!is_list
            && heading_density < 0.9
            && chars < 25.0
            && (img == 0.0 || img > 2.0)
            && !in_figure)
        || (!is_list && weight < 25.0 && ld > 0.2)
        || (weight >= 25.0 && ld > 0.5)
        || (c.embed == 1 && chars < 75.0)
        || c.embed > 1
}

/// A short line that only dates or signs the article: it holds a year or a clock time, or
/// starts like a byline, and does not end like a sentence.
fn is_dateline(text: &str, chars: usize) -> bool {
    if chars >= 100 || ends_sentence(text) {
        return false;
    }
    let lower = text.to_lowercase();
    let byline = [
        "by ",
        "posted",
        "published",
        "updated",
        "كتب",
        "بقلم",
        "نشر",
        "تاريخ النشر",
        "آخر تحديث",
    ]
    .iter()
    .any(|p| lower.starts_with(p));
    let digit = |c: char| match c {
        '0'..='9' => Some(c as u32 - '0' as u32),
        '٠'..='٩' => Some(c as u32 - '٠' as u32),
        _ => None,
    };
    let digits: Vec<Option<u32>> = text.chars().map(digit).collect();
    let year = digits.windows(4).enumerate().any(|(k, w)| {
        matches!(
            w,
            [Some(1), Some(9), Some(_), Some(_)] | [Some(2), Some(0), Some(_), Some(_)]
        ) && digits.get(k + 4).is_none_or(Option::is_none)
            && (k == 0 || digits[k - 1].is_none())
    });
    let clock = digits
        .windows(3)
        .enumerate()
        .any(|(k, w)| w[0].is_some() && w[2].is_some() && text.chars().nth(k + 1) == Some(':'));
    byline || year || clock
}

/// Whether the text ends like a sentence.
fn ends_sentence(text: &str) -> bool {
    let t = text.trim_end_matches(['"', '\'', '”', '’', ')', '»', ' ']);
    t.ends_with(['.', '!', '?', '؟', '。', '…', ':'])
}

/// Collects blocks from a subtree.
struct Walker<'a> {
    page: &'a Page<'a>,
    filter: Filter,
    blocks: Vec<Block>,
    cur: Block,
    space: bool,
    /// An element whose furniture ancestors are walked all the same (the headline inside
    /// a `<header>`); `NONE` for none.
    keep: u32,
}

impl<'a> Walker<'a> {
    fn new(page: &'a Page<'a>, filter: Filter, keep: u32) -> Walker<'a> {
        Walker {
            page,
            filter,
            blocks: Vec::new(),
            cur: Block::default(),
            space: false,
            keep,
        }
    }

    fn push_text(&mut self, text: &str, in_link: bool, owner: u32) {
        let t = text.trim_start_matches(' ');
        if t.len() < text.len() {
            self.space = true;
        }
        let body = t.trim_end_matches(' ');
        if body.is_empty() {
            return;
        }
        if self.cur.text.is_empty() {
            self.cur.owner = owner;
        } else if self.space {
            self.cur.text.push(' ');
        }
        self.cur.text.push_str(body);
        let n = count_chars(body);
        self.cur.chars += n;
        if in_link {
            self.cur.link_chars += n;
        }
        self.space = body.len() < t.len();
    }

    fn flush(&mut self) {
        self.space = false;
        if !self.cur.text.is_empty() {
            self.blocks.push(std::mem::take(&mut self.cur));
        } else {
            self.cur = Block::default();
        }
    }

    fn walk(&mut self, el: u32, in_link: bool, owner: u32, depth: usize) {
        if depth > 512 {
            return;
        }
        let dom = self.page.dom;
        let mut child = dom.nodes[el as usize].first_child;
        while child != NONE {
            let i = child as usize;
            child = dom.nodes[i].next_sibling;
            let Some(tag) = dom.nodes[i].tag else {
                self.push_text(dom.text(i as u32), in_link, owner);
                continue;
            };
            if self.page.excluded(i, self.filter)
                && !(self.keep != NONE
                    && dom.nodes[i].tag.is_some_and(|t| !is_skipped(t))
                    && is_within(dom, self.keep as usize, i))
            {
                continue;
            }
            if tag == Tag::Br {
                self.flush();
                continue;
            }
            let block = is_block(tag);
            if block {
                self.flush();
            }
            let inner = if block { i as u32 } else { owner };
            self.walk(i as u32, in_link || tag == Tag::A, inner, depth + 1);
            if block {
                self.flush();
            } else if tag == Tag::Img {
                self.space = true;
            }
        }
    }

    fn finish(mut self) -> Vec<Block> {
        self.flush();
        self.blocks
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text_of(html: &str) -> String {
        main_text(&Dom::parse(html), None).text
    }

    /// One page through the extractor, with the candidates printed:
    /// `RASD_EXTRACT_DEBUG=1 RASD_EXTRACT_FILE=page.html[.gz] cargo test -p rasd-sources
    /// --lib -- --ignored --nocapture extract_one_page`.
    #[test]
    #[ignore = "a debugging aid"]
    fn extract_one_page() {
        use std::io::Read;
        let Some(path) = std::env::var_os("RASD_EXTRACT_FILE") else {
            return;
        };
        let raw = std::fs::read(&path).unwrap();
        let bytes = if raw.starts_with(&[0x1f, 0x8b]) {
            let mut out = Vec::new();
            flate2::read::GzDecoder::new(raw.as_slice())
                .read_to_end(&mut out)
                .unwrap();
            out
        } else {
            raw
        };
        let html = crate::decode_text(&bytes, None, None);
        let e = crate::extract_article(&html, "http://localhost/");
        println!("TITLE: {:?}\n{}", e.title, e.text);
    }

    #[test]
    fn furniture_words() {
        assert_eq!(furniture_level("related-news"), 2);
        assert_eq!(furniture_level("post-comments"), 2);
        assert_eq!(furniture_level("share-buttons"), 1);
        assert_eq!(furniture_level("post-share"), 0, "a content word keeps it");
        assert_eq!(furniture_level("content has-sidebar"), 0, "a state flag");
        assert_eq!(furniture_level("entry-content"), 0);
        assert_eq!(furniture_level("field-label-hidden"), 0);
        assert_eq!(furniture_level("HEADER-title-download"), 0);
        assert_eq!(furniture_level("commentbody by-drno"), 2, "a compound");
        assert_eq!(furniture_level("relatedstories"), 2);
        assert_eq!(
            furniture_level("commentary-body"),
            0,
            "opinion, not comments"
        );
        // A post's tags say nothing of its role.
        assert_eq!(
            furniture_level("post type-post tag-share-prices tag-related-parties"),
            0
        );
    }

    #[test]
    fn class_substrings() {
        let info = ClassInfo::read("ArticleBody td-post-SHARE");
        assert!(info.positive && info.negative_strict && !info.negative_any && !info.caption);
        let info = ClassInfo::read("photo-credit");
        assert!(info.caption && !info.positive);
        let info = ClassInfo::read("comments-area");
        assert!(info.negative_any);
        assert!(WEIGHT_NEGATIVE.len() + WEIGHT_POSITIVE.len() + CAPTION.len() <= 64);
    }

    #[test]
    fn datelines_and_sentences() {
        assert!(is_dateline("نشر في: 2026-05-20 - 15:10", 20));
        assert!(is_dateline("By Jane Doe", 9));
        assert!(is_dateline("الأحد ٢٠ كانون الأول ٢٠٢٦", 20));
        assert!(is_dateline("09:40", 4));
        assert!(
            !is_dateline("وقع الحادث عام 2019 في عمان.", 20),
            "a sentence"
        );
        assert!(!is_dateline("الفصل الثاني", 11));
        assert!(!is_dateline("Room 12345 is open", 14));
        assert!(ends_sentence("قال إن «الأمن مسؤولية الجميع.»"));
        assert!(ends_sentence("هل هذا صحيح؟"));
    }

    #[test]
    fn article_split_around_an_ad_is_joined() {
        let p = |t: &str| {
            format!(
                "<p>{t} وأضاف المتحدث أن الجهات المعنية تتابع الموضوع عن كثب، وأن نتائج التحقيق ستعلن قريبا للرأي العام.</p>"
            )
        };
        let html = format!(
            r#"<body><div class="wrap"><div class="part">{}{}</div><div class="adbox">إعلان</div>
<div class="part">{}{}</div></div><div class="footer-links"><a href="/a">من نحن</a></div></body>"#,
            p("الأول"),
            p("الثاني"),
            p("الثالث"),
            p("الرابع")
        );
        let t = text_of(&html);
        for w in ["الأول", "الثاني", "الثالث", "الرابع"] {
            assert!(t.contains(w), "{w} missing: {t}");
        }
        assert!(!t.contains("إعلان"), "{t}");
    }

    #[test]
    fn link_lists_and_captions_inside_the_article_are_dropped() {
        let para = "قالت مديرية الأمن العام إن فرق البحث عثرت على الطفل المفقود بعد ساعات من البحث في المنطقة، وإنه بصحة جيدة.";
        let html = format!(
            r#"<body><div class="story"><p>{para}</p>
<div class="img-box"><img src="a.jpg"><span class="photo-caption">صورة من موقع البحث</span></div>
<p>{para}</p><ul class="more"><li><a href="/1">خبر أول طويل العنوان</a></li><li><a href="/2">خبر ثان طويل العنوان</a></li></ul>
<p>{para}</p></div></body>"#
        );
        let t = text_of(&html);
        assert_eq!(t.matches("قالت مديرية").count(), 3, "{t}");
        assert!(!t.contains("صورة من موقع"), "{t}");
        assert!(!t.contains("خبر أول"), "{t}");
    }

    #[test]
    fn article_body_markup_outweighs_furniture_words() {
        // The article sits in a "widget" and its id says "share"; a longer teaser list with
        // long summaries is beside it.
        let teaser = "<li><p>ملخص خبر آخر طويل عن موضوع مختلف تماما، فيه فواصل كثيرة، وكلمات كثيرة، ولا علاقة له بالمقال.</p></li>";
        let html = format!(
            r#"<html><body><div class="widget sidebar-widget"><div id="share-story-body" itemprop="articleBody">
<p>أعلنت مديرية الأمن العام ضبط مركبة مسروقة في إربد بعد ساعات من الإبلاغ عنها.</p>
<p>وقال الناطق الإعلامي إن دورية النجدة تعقبت المركبة حتى أوقفتها عند دوار القبة.</p></div></div>
<ul class="teasers">{}</ul></body></html>"#,
            teaser.repeat(4)
        );
        let text = text_of(&html);
        assert!(text.starts_with("أعلنت مديرية الأمن العام"), "{text}");
        assert!(!text.contains("ملخص خبر آخر"), "{text}");
    }

    #[test]
    fn hidden_boxes_are_not_read() {
        let story = "<p>أوقفت دورية أمنية سائقا تجاوز السرعة المقررة على الطريق الصحراوي بأكثر من خمسين كيلومترا.</p>";
        let html = format!(
            r#"<html><body><div class="article"><div class="promo hidden"><p>اشترك الآن في النشرة البريدية، واحصل على عروض حصرية، وخصومات كثيرة، ومزايا أخرى لا تحصى.</p></div>
<div style="display: none"><p>نص مخفي عن القارئ، فيه فواصل، وكلمات كثيرة، لا يظهر على الصفحة أبدا.</p></div>
<span class="sr-only">انتقل إلى المحتوى</span>{story}{story}</div></body></html>"#
        );
        let text = text_of(&html);
        assert!(text.starts_with("أوقفت دورية أمنية"), "{text}");
        assert!(
            !text.contains("اشترك") && !text.contains("مخفي") && !text.contains("انتقل"),
            "{text}"
        );
        // A class that only contains such a word hides something else.
        assert!(!hidden_class_test("field-label-hidden"));
    }

    fn hidden_class_test(class: &str) -> bool {
        let dom = Dom::parse(&format!("<div class=\"{class}\">x</div>"));
        let div = dom.elements(Tag::Div).next().unwrap();
        hidden(&dom, div)
    }

    #[test]
    fn no_paragraph_long_enough_falls_back_to_the_text() {
        assert_eq!(text_of("<body><div><p>نص قصير</p></div></body>"), "نص قصير");
        assert_eq!(text_of(""), "");
    }
}
