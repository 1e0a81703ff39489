//! Site rules, and what an extraction says about a source's health.
//!
//! A source's `article_selector` (a CSS selector) names the element(s) that hold the
//! article text on its pages. [`extract_article_with`] runs the generic extractor for the
//! metadata (title, date, author, lead image, language, canonical link) and, when the rule
//! matches, takes the text of the elements it matches instead of the generic text
//! ([`rule_text`]: paragraphs separated by blank lines, scripts and styles skipped,
//! whitespace collapsed, an element inside another matched one read once). A rule that
//! matches nothing, or less than [`RULE_MIN_CHARS`] characters, is a miss: the generic text
//! is kept and the caller reports `site_rule_missed` ([`rule_missed`]), since the site's
//! layout has probably changed under the rule.
//!
//! A page whose final text is under [`MIN_ARTICLE_CHARS`] characters, with no rule to vouch
//! for it, is taken as a failed extraction ([`article_found`]); the callers report it as
//! `extraction_failed` ([`extraction_failed`]) with what was kept and how to fix it.

use rasd_core::SourceConfig;
use scraper::{ElementRef, Html, Selector};

use super::{Extracted, extract_article};
use crate::error::Problem;
use crate::html;

/// A site rule's text shorter than this many characters counts as a miss: a selector that
/// still matches an empty wrapper or a caption is stale all the same.
pub const RULE_MIN_CHARS: usize = 25;

/// A page whose article text (found by the generic extractor) is shorter than this many
/// characters is an extraction failure. Real articles are longer: in the shared extraction
/// benchmarks, 7 of 1,317 hand-checked article texts are under 200 characters, while what
/// the extractor finds on a page it does not understand is usually empty or a stray line (a
/// caption, a share bar, a cookie note). A text the source's `article_selector` gave is
/// never a failure, whatever its length: the office chose it; nor is a feed entry's page
/// text that [`continues`] the feed's summary (a short story).
pub const MIN_ARTICLE_CHARS: usize = 200;

/// How a site rule fared on one page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleOutcome {
    /// The source has no rule.
    NoRule,
    /// The rule matched: the text is the text of its elements.
    Used,
    /// The rule matched `elements` elements holding `chars` characters (under
    /// [`RULE_MIN_CHARS`]): the text is the generic extractor's.
    Missed {
        /// Elements the rule matched.
        elements: usize,
        /// Characters of text in them.
        chars: usize,
    },
}

/// [`extract_article`], with the text taken from the elements `rule` matches when it gives
/// at least [`RULE_MIN_CHARS`] characters (see the module docs). Never fails.
pub fn extract_article_with(
    html: &str,
    url: &str,
    rule: Option<&Selector>,
) -> (Extracted, RuleOutcome) {
    let mut x = extract_article(html, url);
    let Some(rule) = rule else {
        return (x, RuleOutcome::NoRule);
    };
    let (elements, text) = rule_text(html, rule, x.title.as_deref());
    let chars = text.chars().count();
    if chars < RULE_MIN_CHARS {
        return (x, RuleOutcome::Missed { elements, chars });
    }
    x.text = text;
    (x, RuleOutcome::Used)
}

/// The text of the elements `rule` matches on `html`, in document order, and how many it
/// matched. An element inside another matched element is read once, with its ancestor; a
/// first paragraph that only repeats `title` is left out.
pub fn rule_text(html: &str, rule: &Selector, title: Option<&str>) -> (usize, String) {
    let doc = Html::parse_document(html);
    let matched: Vec<ElementRef<'_>> = doc.select(rule).collect();
    let ids: std::collections::HashSet<_> = matched.iter().map(|e| e.id()).collect();
    let mut paragraphs: Vec<String> = Vec::new();
    for el in &matched {
        if el.ancestors().any(|a| ids.contains(&a.id())) {
            continue;
        }
        let text = html::html_to_text(&el.html());
        paragraphs.extend(
            text.split("\n\n")
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .map(str::to_string),
        );
    }
    let same = |a: &str, b: &str| a.split_whitespace().eq(b.split_whitespace());
    if let (Some(first), Some(title)) = (paragraphs.first(), title)
        && same(first, title)
    {
        paragraphs.remove(0);
    }
    (matched.len(), paragraphs.join("\n\n"))
}

/// Parses a site rule (an `article_selector`); the error says why in a few words.
pub fn parse_rule(selector: &str) -> Result<Selector, String> {
    match rasd_core::css_selector_error(selector) {
        None => Selector::parse(selector).map_err(|e| e.to_string()),
        Some(why) => Err(why),
    }
}

/// The source's `article_selector`, parsed; a problem (`bad_config`) when it is not a
/// selector (the config loader refuses those, but a source can be built in code).
pub(crate) fn source_rule(source: &SourceConfig) -> Result<Option<Selector>, Problem> {
    let Some(s) = source.article_selector.as_deref() else {
        return Ok(None);
    };
    match parse_rule(s) {
        Ok(rule) => Ok(Some(rule)),
        Err(why) => Err(Problem::new(
            &source.id,
            Some(&source.url),
            "bad_config",
            format!(
                "`article_selector = {s:?}` in sources.toml is not valid: {why}; the generic \
                 extractor is used for this source's pages until it is fixed"
            ),
        )),
    }
}

/// True when a page's article text counts as found: the site rule gave it, or it has at
/// least [`MIN_ARTICLE_CHARS`] characters.
pub fn article_found(text: &str, outcome: RuleOutcome) -> bool {
    outcome == RuleOutcome::Used || text.chars().count() >= MIN_ARTICLE_CHARS
}

/// Words in a row that a page's text must share with the opening of a feed's summary to
/// count as the same story ([`continues`]).
const SHARED_RUN: usize = 4;

/// How many of the summary's first words are looked at.
const OPENING_WORDS: usize = 8;

/// True when `text` tells the story `summary` opens: some 4 words in a row among the
/// summary's first 8 (all of them when it has fewer) appear in a row in `text`. Words are
/// compared by their letters and digits only, so punctuation, harakat and an ellipsis do
/// not matter. A feed's summary is usually the article's first lines: a short page text
/// that repeats them is the article, a short one that does not is what the extractor
/// picked up instead of it.
pub fn continues(text: &str, summary: &str) -> bool {
    fn words(s: &str) -> Vec<String> {
        s.split_whitespace()
            .map(|w| {
                w.chars()
                    .filter(|&c| c.is_alphanumeric() && !rasd_core::text::is_arabic_mark(c))
                    .collect::<String>()
            })
            .filter(|w| !w.is_empty())
            .collect()
    }
    let opening: Vec<String> = words(summary).into_iter().take(OPENING_WORDS).collect();
    if opening.is_empty() {
        return false;
    }
    let page = words(text);
    let run = SHARED_RUN.min(opening.len());
    opening
        .windows(run)
        .any(|w| page.windows(run).any(|p| p == w))
}

/// The `site_rule_missed` problem of a page where the source's rule found no text;
/// `fallback` is what the generic extractor found instead.
pub(crate) fn rule_missed(
    source: &SourceConfig,
    url: &str,
    elements: usize,
    chars: usize,
    fallback: &str,
) -> Problem {
    let rule = source.article_selector.as_deref().unwrap_or_default();
    let found = if elements == 0 {
        "matched nothing".to_string()
    } else {
        format!("matched {elements} element(s) with only {chars} characters of text")
    };
    Problem::new(
        &source.id,
        Some(url),
        "site_rule_missed",
        format!(
            "`article_selector = {rule:?}` {found} on this page, so the generic extractor's \
             text ({} characters) was used; the site's layout may have changed: update the \
             selector for source {:?} in sources.toml (try it with `rasd extract PAGE.html \
             --selector ...`)",
            fallback.chars().count(),
            source.id
        ),
    )
}

/// The `extraction_failed` problem of a page whose article text was not found (`chars`
/// characters); `kept` says what the item keeps instead.
pub(crate) fn extraction_failed(
    source: &SourceConfig,
    url: &str,
    chars: usize,
    kept: &str,
) -> Problem {
    let fix = match source.article_selector.as_deref() {
        Some(rule) => format!(
            "its `article_selector = {rule:?}` found no text here either: fix it for source \
             {:?} in sources.toml",
            source.id
        ),
        None => format!(
            "add `article_selector = \"...\"` (a CSS selector for the element holding the \
             article text, such as \"div.story-body\") for source {:?} in sources.toml",
            source.id
        ),
    };
    Problem::new(
        &source.id,
        Some(url),
        "extraction_failed",
        format!("the page's article text was not found ({chars} characters); {kept}; {fix}"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sel(s: &str) -> Selector {
        Selector::parse(s).unwrap()
    }

    /// An Arabic page laid out in a table: the story is a run of short `<span>` lines in a
    /// `<td>` (one of them in a nested block of the same class), beside a cell of links.
    const ARABIC: &str = r#"<!DOCTYPE html><html lang="ar" dir="rtl"><head><meta charset="utf-8">
<title>ضبط مركبة مسروقة في الرصيفة | أخبار المدينة</title>
<meta property="og:title" content="ضبط مركبة مسروقة في الرصيفة">
<meta property="article:published_time" content="2026-11-22T09:15:00+03:00">
<meta name="author" content="محرر الأخبار">
<style>.x{color:red}</style></head><body>
<table><tr><td class="nws-txt"><h2>ضبط مركبة مسروقة في الرصيفة</h2>
<span>ضبطت دورية من شرطة الرصيفة مركبة مسروقة</span><br><span>منذ أسبوع في أحد الأحياء السكنية،</span><br>
<span>وأوقفت سائقها للتحقيق.</span><script>track("لا تظهر")</script>
<div class="nws-txt"><span>وأحيلت القضية إلى المدعي العام.</span></div></td>
<td class="side"><ul><li><a href="/1">عنوان خبر آخر طويل عن الطقس ودرجات الحرارة المتوقعة في المملكة</a></li>
<li><a href="/2">عنوان خبر آخر طويل عن الأسعار وحركة الأسواق التجارية في العاصمة عمّان</a></li></ul></td></tr></table>
</body></html>"#;

    #[test]
    fn arabic_rule_text_wins_and_metadata_stays() {
        let (x, outcome) = extract_article_with(
            ARABIC,
            "https://city.example.jo/n/1",
            Some(&sel("td.nws-txt")),
        );
        assert_eq!(outcome, RuleOutcome::Used);
        assert_eq!(
            x.text,
            "ضبطت دورية من شرطة الرصيفة مركبة مسروقة\n\nمنذ أسبوع في أحد الأحياء السكنية،\n\n\
             وأوقفت سائقها للتحقيق.\n\nوأحيلت القضية إلى المدعي العام."
        );
        assert!(!x.text.contains("track") && !x.text.contains("color"));
        assert!(
            !x.text.contains("الطقس"),
            "the side links are not the rule's"
        );
        // The title, date and author come from the generic extractor.
        assert_eq!(x.title.as_deref(), Some("ضبط مركبة مسروقة في الرصيفة"));
        assert_eq!(x.author.as_deref(), Some("محرر الأخبار"));
        assert_eq!(
            x.published.map(|d| d.to_rfc3339()),
            Some("2026-11-22T06:15:00+00:00".into())
        );
        assert_eq!(x.lang.as_deref(), Some("ar"));
    }

    #[test]
    fn a_rule_that_finds_nothing_falls_back_and_says_so() {
        let url = "https://city.example.jo/n/1";
        let plain = extract_article(ARABIC, url);
        let (x, outcome) = extract_article_with(ARABIC, url, Some(&sel("div.story-body")));
        assert_eq!(
            outcome,
            RuleOutcome::Missed {
                elements: 0,
                chars: 0
            }
        );
        assert_eq!(x, plain, "the generic extraction, untouched");
        // An element that is still there but nearly empty is a miss too.
        let (_, outcome) = extract_article_with(ARABIC, url, Some(&sel("td.nws-txt h2 ~ br")));
        assert_eq!(
            outcome,
            RuleOutcome::Missed {
                elements: 2,
                chars: 0
            }
        );
        let (_, outcome) = extract_article_with(ARABIC, url, None);
        assert_eq!(outcome, RuleOutcome::NoRule);
    }

    const ENGLISH: &str = r#"<html lang="en"><head><title>Traffic plan for the winter - City News</title>
<link rel="canonical" href="/en/news/42"></head><body>
<div class="wrap"><div class="article-lead">  Public Security announced a
   winter traffic plan on Sunday. </div>
<div class="ad">Advertisement</div>
<div class="article-body"><p>Extra patrols will cover the desert highway.</p>
<figure><img src="a.jpg"><figcaption>A patrol car.</figcaption></figure>
<p>Drivers are asked to slow down in rain &amp; fog.</p></div></div>
<div class="article-body"><p>A second block, later on the page.</p></div>
</body></html>"#;

    #[test]
    fn english_rule_with_several_selectors_reads_in_page_order() {
        let (x, outcome) = extract_article_with(
            ENGLISH,
            "https://city.example.jo/en/news/42?ref=home",
            Some(&sel(".article-body, .article-lead")),
        );
        assert_eq!(outcome, RuleOutcome::Used);
        assert_eq!(
            x.text,
            "Public Security announced a winter traffic plan on Sunday.\n\n\
             Extra patrols will cover the desert highway.\n\nA patrol car.\n\n\
             Drivers are asked to slow down in rain & fog.\n\nA second block, later on the page."
        );
        assert_eq!(
            x.canonical.as_deref(),
            Some("https://city.example.jo/en/news/42")
        );
    }

    #[test]
    fn nested_matches_are_read_once_and_a_repeated_title_is_dropped() {
        let html = "<html><head><meta property=\"og:title\" content=\"Road closed  near Zarqa\"></head>\
                    <body><article><h1>Road closed near Zarqa</h1><p>The road between Amman and Zarqa is closed.</p>\
                    <p>Police ask drivers to use the old road.</p></article></body></html>";
        let (n, text) = rule_text(
            html,
            &sel("article, article p"),
            Some("Road closed  near Zarqa"),
        );
        assert_eq!(n, 3);
        assert_eq!(
            text,
            "The road between Amman and Zarqa is closed.\n\nPolice ask drivers to use the old road."
        );
    }

    #[test]
    fn found_means_long_enough_or_from_the_rule() {
        let short = "نص قصير";
        let long = "كلمة ".repeat(50);
        assert!(!article_found("", RuleOutcome::NoRule));
        assert!(!article_found(short, RuleOutcome::NoRule));
        assert!(!article_found(
            short,
            RuleOutcome::Missed {
                elements: 0,
                chars: 0
            }
        ));
        assert!(article_found(short, RuleOutcome::Used));
        assert!(article_found(&long, RuleOutcome::NoRule));
    }

    #[test]
    fn a_short_page_text_continues_the_summary_or_not() {
        let summary = "ألقت الأجهزة الأمنية القبضَ على ثلاثة مطلوبين في منطقة ماركا…";
        let story = "عمّان - ألقت الأجهزة الأمنية القبض على ثلاثة مطلوبين في منطقة ماركا بالعاصمة، \
                     بعد مداهمة نفذتها قوة من البحث الجنائي فجر اليوم.";
        assert!(continues(story, summary));
        // A summary with its own dateline still matches on the words after it.
        assert!(continues(story, &format!("(بترا) - {summary}")));
        let junk = "شارك الخبر على فيسبوك وتويتر وواتساب — جميع الحقوق محفوظة لموقع الأخبار";
        assert!(!continues(junk, summary));
        // Two words in common are not the same story.
        assert!(!continues("ألقت الأجهزة كلمة أخرى تماما هنا", summary));
        assert!(continues(
            "Police closed the road at dawn.",
            "Police closed the road"
        ));
        assert!(!continues("anything", ""));
        assert!(!continues("", summary));
    }

    #[test]
    fn problems_say_what_to_write() {
        let mut src = SourceConfig::new(
            "city",
            "City",
            rasd_core::SourceKind::Feed,
            "https://city.example.jo/rss",
        );
        let p = extraction_failed(
            &src,
            "https://city.example.jo/n/1",
            12,
            "the feed's summary is kept",
        );
        assert_eq!(p.reason, "extraction_failed");
        assert!(p.message.contains("(12 characters)"), "{}", p.message);
        assert!(p.message.contains("add `article_selector"), "{}", p.message);
        assert!(p.message.contains("\"city\""), "{}", p.message);
        src.article_selector = Some("div.story".into());
        let p = extraction_failed(&src, "https://city.example.jo/n/1", 0, "kept");
        assert!(p.message.contains("fix it"), "{}", p.message);
        let p = rule_missed(&src, "https://city.example.jo/n/1", 0, 0, "نص");
        assert_eq!(p.reason, "site_rule_missed");
        assert!(
            p.message
                .contains("`article_selector = \"div.story\"` matched nothing"),
            "{}",
            p.message
        );
        assert!(p.message.contains("(2 characters)"), "{}", p.message);

        src.article_selector = Some("div..story".into());
        assert_eq!(source_rule(&src).unwrap_err().reason, "bad_config");
        src.article_selector = None;
        assert!(source_rule(&src).unwrap().is_none());
    }
}
