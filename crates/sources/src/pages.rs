//! Article pages of feed entries: when an entry carries only a summary (per the source's
//! `fetch_full_text`), its linked page is fetched through the HTTP layer and extracted (with
//! the source's `article_selector`, if any), and the longer text wins ([`fill_full_text`]).
//! Pages are fetched [`PAGE_CONCURRENCY`] at a time, each within the poll's deadline: an
//! entry whose page was not fetched in time is reported as left over, for the poll layer to
//! leave for the next poll.
//!
//! **Extraction failed.** A page's article text is found when the source's site rule gave
//! it, when it has at least [`MIN_ARTICLE_CHARS`](crate::MIN_ARTICLE_CHARS) characters, or
//! when it tells the story of the feed's text (it repeats the summary's opening words: a
//! short article). A page whose text was not found never replaces the feed's text, however
//! short that is (it is used only when the feed gave no text at all); an
//! `extraction_failed` problem names the page and tells the office to add an
//! `article_selector`, and the poll counts it. A found text shorter than the feed's (a feed
//! that carries whole articles) is not a failure either: the feed's text is kept. A site
//! rule that found no text is a `site_rule_missed` problem, counted too.

use futures_util::{StreamExt, stream};
use rasd_core::{FullText, Item, SourceConfig};
use scraper::Selector;
use tokio::time::Instant;

use crate::error::{Error, Problem, Result};
use crate::extract::{
    Extracted, RuleOutcome, article_found, continues, extract_article_with, extraction_failed,
    rule_missed, source_rule,
};
use crate::feed::is_article_link;
use crate::http::Fetcher;
use crate::http::guard::PrivateHosts;

/// How many linked pages of one source are fetched at once for their full text.
pub const PAGE_CONCURRENCY: usize = 4;

/// In `auto` mode, entries whose text is shorter than this many characters get their page
/// fetched.
pub const SHORT_TEXT_CHARS: usize = 400;

/// What [`fill_full_text`] did.
#[derive(Debug, Default)]
pub(crate) struct Filled {
    /// Pages requested.
    pub pages: u32,
    /// Indexes of the entries whose page was not fetched before the deadline.
    pub late: Vec<usize>,
    /// Pages whose article text was not found (`extraction_failed`).
    pub extraction_failed: u32,
    /// Pages on which the source's `article_selector` found no text (`site_rule_missed`).
    pub rule_missed: u32,
}

/// Fetches the linked page of the entries that need it (reaching private addresses only on
/// `private`), and keeps the longer text (see the module docs for a page whose text was not
/// found). Pages not started, or not finished, by `deadline` are given up and listed in
/// [`Filled::late`]; failures are problems and the feed's text is kept.
pub(crate) async fn fill_full_text(
    fetcher: &Fetcher,
    source: &SourceConfig,
    private: &PrivateHosts,
    items: &mut [Item],
    problems: &mut Vec<Problem>,
    deadline: Instant,
) -> Filled {
    let todo: Vec<(usize, String)> = items
        .iter()
        .enumerate()
        .filter(|(_, it)| {
            is_article_link(&it.url) && needs_full_text(source.fetch_full_text, &it.body)
        })
        .map(|(i, it)| (i, it.url.clone()))
        .collect();
    let rule = if todo.is_empty() {
        None
    } else {
        source_rule(source).unwrap_or_else(|p| {
            problems.push(p);
            None
        })
    };
    let rule = rule.as_ref();
    let mut results: Vec<(usize, String, Page)> = stream::iter(todo)
        .map(|(i, url)| async move {
            if Instant::now() >= deadline {
                return (i, url, Page::NotStarted);
            }
            let page = tokio::time::timeout_at(deadline, fetch_page(fetcher, &url, private, rule))
                .await
                .map_or(Page::CutOff, |r| Page::Done(Box::new(r)));
            (i, url, page)
        })
        .buffer_unordered(PAGE_CONCURRENCY)
        .collect()
        .await;
    results.sort_by_key(|(i, _, _)| *i);
    let mut filled = Filled::default();
    for (i, url, page) in results {
        let result = match page {
            Page::NotStarted => {
                filled.late.push(i);
                continue;
            }
            Page::CutOff => {
                filled.pages += 1;
                filled.late.push(i);
                continue;
            }
            Page::Done(r) => *r,
        };
        filled.pages += 1;
        match result {
            Ok((x, outcome)) => {
                if let RuleOutcome::Missed { elements, chars } = outcome {
                    filled.rule_missed += 1;
                    problems.push(rule_missed(source, &url, elements, chars, &x.text));
                }
                // A short page text that tells the feed's story is a short article, found.
                let found = article_found(&x.text, outcome) || continues(&x.text, &items[i].body);
                if !found {
                    filled.extraction_failed += 1;
                    let kept = if items[i].body.trim().is_empty() {
                        "the feed gave no text, so what was found is kept"
                    } else {
                        "the feed's summary is kept"
                    };
                    problems.push(extraction_failed(
                        source,
                        &url,
                        x.text.chars().count(),
                        kept,
                    ));
                }
                merge_page(&mut items[i], x, found);
            }
            // Refusals by policy are counted under their own reason.
            Err(PageError::Fetch(
                e @ (Error::BlockedAddress { .. }
                | Error::BlockedRedirect { .. }
                | Error::RobotsDisallowed { .. }
                | Error::RobotsUnavailable { .. }),
            )) => problems.push(Problem::new(
                &source.id,
                Some(&url),
                e.reason(),
                format!("{e}; the feed's text is kept"),
            )),
            Err(why) => problems.push(Problem::new(
                &source.id,
                Some(&url),
                "page_fetch",
                format!("could not get the full text ({why}); the feed's text is kept"),
            )),
        }
    }
    filled
}

/// One page's fate.
enum Page {
    /// The deadline had passed before its turn.
    NotStarted,
    /// Requested, but not done by the deadline.
    CutOff,
    /// Fetched and extracted, or failed.
    Done(Box<Result<(Extracted, RuleOutcome), PageError>>),
}

/// Fetches an article page and extracts it, with the source's site rule if it has one.
async fn fetch_page(
    fetcher: &Fetcher,
    url: &str,
    private: &PrivateHosts,
    rule: Option<&Selector>,
) -> Result<(Extracted, RuleOutcome), PageError> {
    let page = fetcher
        .get_within(url, private, None)
        .await
        .map_err(PageError::Fetch)?;
    if let Some(ct) = &page.content_type {
        let ct = ct.to_ascii_lowercase();
        if !(ct.contains("html") || ct.starts_with("text/")) {
            return Err(PageError::Other(format!(
                "the link is {ct}, not an HTML page"
            )));
        }
    }
    let final_url = page.final_url.clone();
    let rule = rule.cloned();
    tokio::task::spawn_blocking(move || {
        let text = crate::encoding::decode_text(
            &page.body,
            page.content_type.as_deref(),
            Some(&final_url),
        );
        extract_article_with(&text, &final_url, rule.as_ref())
    })
    .await
    .map_err(|e| PageError::Other(format!("the extractor failed: {e}")))
}

/// Why an article page gave no text.
#[derive(Debug)]
enum PageError {
    /// The request failed or was refused.
    Fetch(Error),
    /// The page is not HTML, or the extractor failed.
    Other(String),
}

impl std::fmt::Display for PageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PageError::Fetch(e) => e.fmt(f),
            PageError::Other(s) => f.write_str(s),
        }
    }
}

/// True when an entry's text should be replaced by its page's, per the source's setting.
pub fn needs_full_text(mode: FullText, body: &str) -> bool {
    match mode {
        FullText::Never => false,
        FullText::Always => true,
        FullText::Auto => body.chars().count() < SHORT_TEXT_CHARS || looks_truncated(body),
    }
}

/// True when a text ends like a teaser: an ellipsis or a "read more".
fn looks_truncated(body: &str) -> bool {
    let t = body.trim_end().to_lowercase();
    [
        "…",
        "...",
        "[…]",
        "[...]",
        "read more",
        "continue reading",
        "المزيد",
        "التفاصيل",
    ]
    .iter()
    .any(|end| t.ends_with(end))
}

/// Fills an item from its page: the page's text when it is longer and was `found` (a page
/// whose article text was not found gives its text only to an item with none), and the
/// title, date and author the feed left out.
fn merge_page(item: &mut Item, page: Extracted, found: bool) {
    let usable = found || item.body.trim().is_empty();
    if usable && page.text.chars().count() > item.body.chars().count() {
        item.body = page.text;
    }
    if item.title.is_empty()
        && let Some(t) = page.title
    {
        item.title = t;
    }
    if item.published.is_none() {
        item.published = page.published;
    }
    if item.author.is_none() {
        item.author = page.author;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_text_policy() {
        let long = "أ".repeat(500);
        assert!(!needs_full_text(FullText::Never, "قصير"));
        assert!(needs_full_text(FullText::Always, &long));
        assert!(needs_full_text(FullText::Auto, "قصير"));
        assert!(!needs_full_text(FullText::Auto, &long));
        assert!(needs_full_text(FullText::Auto, &format!("{long} …")));
        assert!(needs_full_text(
            FullText::Auto,
            &format!("{long} اقرأ المزيد")
        ));
        assert!(needs_full_text(FullText::Auto, &format!("{long} [...]")));
    }

    #[test]
    fn page_text_replaces_only_when_longer() {
        let mut item = Item::new("s", "https://example.jo/a", "", "ملخص", chrono::Utc::now());
        merge_page(
            &mut item,
            Extracted {
                title: Some("عنوان".into()),
                text: "نص كامل أطول من الملخص".into(),
                published: None,
                author: Some("كاتب".into()),
                ..Extracted::default()
            },
            true,
        );
        assert_eq!(item.body, "نص كامل أطول من الملخص");
        assert_eq!(item.title, "عنوان");
        assert_eq!(item.author.as_deref(), Some("كاتب"));
        merge_page(
            &mut item,
            Extracted {
                text: "قصير".into(),
                ..Extracted::default()
            },
            true,
        );
        assert_eq!(item.body, "نص كامل أطول من الملخص");
    }

    #[test]
    fn a_page_whose_text_was_not_found_keeps_the_summary() {
        let summary = "ضبط مطلوب في إربد…";
        let mut item = Item::new("s", "https://example.jo/a", "", summary, chrono::Utc::now());
        // What the extractor found on a page it could not read: longer than the summary,
        // but a share bar and a copyright line, not the article.
        let junk = "شارك الخبر على فيسبوك وتويتر وواتساب — جميع الحقوق محفوظة لموقع الأخبار ٢٠٢٦";
        assert!(junk.chars().count() > summary.chars().count());
        assert!(!article_found(junk, RuleOutcome::NoRule));
        merge_page(
            &mut item,
            Extracted {
                title: Some("ضبط مطلوب خطير في إربد".into()),
                text: junk.into(),
                author: Some("المحرر".into()),
                ..Extracted::default()
            },
            false,
        );
        assert_eq!(item.body, summary, "the feed's summary is kept");
        // The page's metadata still fills what the feed left out.
        assert_eq!(item.title, "ضبط مطلوب خطير في إربد");
        assert_eq!(item.author.as_deref(), Some("المحرر"));

        // A feed entry with no text at all takes what was found.
        let mut bare = Item::new("s", "https://example.jo/b", "عنوان", "", chrono::Utc::now());
        merge_page(
            &mut bare,
            Extracted {
                text: "نص قصير".into(),
                ..Extracted::default()
            },
            false,
        );
        assert_eq!(bare.body, "نص قصير");
    }
}
