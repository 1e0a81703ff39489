//! News sites without a feed (`kind = "site"`): find article links, fetch each article and
//! extract it into an [`Item`].
//!
//! [`discover_links`] reads the source's pages and sitemaps:
//! - **section pages** (`url`, then each of `sections`): the links picked by `link_selector`
//!   (a CSS selector naming the links, or elements that contain them) and/or matching
//!   `link_pattern` (a regular expression searched in the absolute URL); with neither, every
//!   link that stays on the site and looks like an article ([`looks_like_article`]: a long
//!   slug or a numeric id, not a tag, category, author, search or static file);
//! - **sitemaps** (`sitemap`, or `url` itself when it is one): `sitemap.xml`, sitemap indexes
//!   (the newest few children are read), Google News sitemaps with their publication dates,
//!   gzip'd or plain-text sitemaps. News entries are taken as they are; other entries pass
//!   the same pattern or article test as page links.
//!
//! Links stay on the source's site (its host, `www.` and subdomains included) unless the
//! pattern names a host itself. They are de-duplicated by canonical URL (tracking parameters
//! and fragments removed), ordered newest first (dated sitemap entries by date; links found
//! on pages count as new, in page order), and capped at [`MAX_LINKS_PER_POLL`].
//!
//! [`fetch_articles`] then fetches the pages, [`PAGE_CONCURRENCY`] at a time, through
//! [`Fetcher::get_within`] (robots.txt, per-host limits, the size cap and the address guard:
//! [`PrivateHosts::of_source`] lets a link reach a private address only on the source's own
//! configured hosts), and extracts each with [`extract_article_with`] (the source's
//! `article_selector`, if any, names the elements holding the text). An item's id comes
//! from the page's `<link rel="canonical">` when it points at the same host, else from the
//! URL the page was served at. [`read_site`] is the whole poll, for
//! [`Fetcher::fetch_source`], which also gives it a deadline: pages not fetched by then are
//! left for the next poll.
//!
//! **Extraction failed.** A page whose article text was not found (under
//! [`MIN_ARTICLE_CHARS`](crate::MIN_ARTICLE_CHARS) characters, and no site rule gave it)
//! still gives an item, with its title and whatever text was found, and an
//! `extraction_failed` problem that tells the office to add an `article_selector`; a rule
//! that found no text is a `site_rule_missed` problem. Both are counted in [`SitePoll`].
//!
//! **Links read once.** Each link has a key ([`link_key`]: its canonical URL and the date a
//! sitemap gives it, if any), and a poll skips the links whose key is in the source's
//! [`FetchState::seen_entries`] (saved with the items), before the cap, so a link is
//! fetched once across polls and restarts, and again only when its sitemap date changes. A
//! link is remembered once it is settled: made into an item (one whose text was not found
//! too: fetching it at every poll would cost the site a request each time and bring nothing
//! until a rule is set, and the headline is already kept), or fetched and found not to be an
//! article (no title or text, another link to an article already taken) or gone (404, 410,
//! too large, disallowed by robots.txt). Links that failed otherwise, were not fetched in
//! time or were beyond the cap are not, so the next poll takes them. Links still listed are
//! moved to the front of the (bounded) list at each poll, so they do not fall out of it
//! while the site shows them.
//!
//! [`FetchState::seen_entries`]: rasd_core::FetchState::seen_entries

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Duration, Utc};
use futures_util::{StreamExt, stream};
use rasd_core::{Item, MAX_SEEN_ENTRIES, SourceConfig, canonical_url, entry_key};
use scraper::{Html, Selector};
use tokio::time::Instant;
use tracing::{debug, info};

use crate::error::{Error, Problem, Result};
use crate::extract::{
    RuleOutcome, article_found, extract_article_with, extraction_failed, rule_missed, source_rule,
};
use crate::http::guard::PrivateHosts;
use crate::http::{Fetched, Fetcher};
use crate::pages::PAGE_CONCURRENCY;
use crate::sitemap::{Sitemap, SitemapUrl, is_gzip, parse_sitemap};

/// The most article links taken from one poll of a site.
pub const MAX_LINKS_PER_POLL: usize = 50;

/// The most child sitemaps of a sitemap index read in one poll.
const MAX_CHILD_SITEMAPS: usize = 3;

/// A link found, with what the sitemap said about it.
#[derive(Debug, Clone, PartialEq)]
struct Found {
    url: String,
    date: Option<DateTime<Utc>>,
    title: Option<String>,
}

/// Finds the article links of a site source (see the module docs): newest first, at most
/// [`MAX_LINKS_PER_POLL`], with the problems met (pages or sitemaps that failed, a bad
/// selector, no links at all).
pub async fn discover_links(
    fetcher: &Fetcher,
    source: &SourceConfig,
) -> (Vec<String>, Vec<Problem>) {
    let found = discover(fetcher, source, None, &HashSet::new()).await;
    (
        found.links.into_iter().map(|f| f.url).collect(),
        found.problems,
    )
}

/// Fetches article pages and extracts them into items (in the order given), with a
/// problem for each page that failed. `fetched` is the time the items are filed as taken.
pub async fn fetch_articles(
    fetcher: &Fetcher,
    source: &SourceConfig,
    links: &[String],
    fetched: DateTime<Utc>,
) -> (Vec<Item>, Vec<Problem>) {
    let found = links
        .iter()
        .map(|l| Found {
            url: l.clone(),
            date: None,
            title: None,
        })
        .collect();
    let done = fetch_found(fetcher, source, found, fetched, None).await;
    (done.items, done.problems)
}

/// One poll of a site source, given its front page (`source.url`) already fetched:
/// discovery on it, its sections and sitemap, then the articles. `seen` holds the keys of
/// the links earlier polls settled ([`FetchState::seen_entries`]); those links are not
/// fetched again, and the cap applies to the others. Fails only when no link was found and
/// something could not be fetched (so the source's health shows the failure); otherwise
/// what failed is in the problems. The poll's [`SitePoll::seen`] is what to remember next.
///
/// [`FetchState::seen_entries`]: rasd_core::FetchState::seen_entries
pub async fn read_site(
    fetcher: &Fetcher,
    source: &SourceConfig,
    front_page: &Fetched,
    fetched: DateTime<Utc>,
    seen: &[u64],
) -> Result<SitePoll> {
    read_site_within(fetcher, source, front_page, fetched, None, seen).await
}

/// What one poll of a site did.
#[derive(Debug, Default)]
pub struct SitePoll {
    /// The articles read.
    pub items: Vec<Item>,
    /// What went wrong.
    pub problems: Vec<Problem>,
    /// Article links found (de-duplicated).
    pub entries: usize,
    /// Of those, links not settled by an earlier poll (before the cap of
    /// [`MAX_LINKS_PER_POLL`]).
    pub new: usize,
    /// More new links than [`MAX_LINKS_PER_POLL`]: the rest wait for the next poll.
    pub capped: bool,
    /// Article pages requested.
    pub pages: u32,
    /// Links whose page was not fetched before the deadline: left for the next poll.
    pub late: usize,
    /// Article pages whose text was not found (an `extraction_failed` problem each).
    pub extraction_failed: u32,
    /// Article pages on which the source's `article_selector` found no text (a
    /// `site_rule_missed` problem each).
    pub rule_missed: u32,
    /// The link keys to remember ([`link_key`]): the links settled now first, then those
    /// still listed that were settled before, then older ones, at most
    /// [`MAX_SEEN_ENTRIES`].
    pub seen: Vec<u64>,
}

/// The key a site's article link is remembered by: [`entry_key`] over its canonical URL
/// and, when a sitemap dates it, that date (so an article the sitemap shows as changed is
/// read again).
pub fn link_key(url: &str, date: Option<DateTime<Utc>>) -> u64 {
    let date = date.map(|d| d.to_rfc3339()).unwrap_or_default();
    entry_key(&[&canonical_url(url), &date])
}

/// [`read_site`] with a deadline for the article pages.
pub(crate) async fn read_site_within(
    fetcher: &Fetcher,
    source: &SourceConfig,
    front_page: &Fetched,
    fetched: DateTime<Utc>,
    deadline: Option<Instant>,
    seen: &[u64],
) -> Result<SitePoll> {
    let known: HashSet<u64> = seen.iter().copied().collect();
    let found = discover(fetcher, source, Some(front_page), &known).await;
    let mut problems = found.problems;
    if found.links.is_empty()
        && let Some(err) = found.first_error
    {
        return Err(err);
    }
    let keys: Vec<(String, u64)> = found
        .links
        .iter()
        .map(|f| (f.url.clone(), link_key(&f.url, f.date)))
        .collect();
    let done = fetch_found(fetcher, source, found.links, fetched, deadline).await;
    // Remember the links settled now: made into items, or fetched and found not to be an
    // article (no title or text, a second link to the same article, gone, too large,
    // disallowed). Links that failed otherwise or were not fetched in time are tried again.
    let settled = keys
        .iter()
        .filter(|(url, _)| !done.failed.contains(url) && !done.late.contains(url))
        .map(|(_, k)| *k);
    // Links still listed keep their place, so they do not fall out of the window.
    let listed = found.listed.iter().filter(|k| known.contains(k)).copied();
    let mut remember = Vec::new();
    let mut added = HashSet::new();
    for k in settled.chain(listed).chain(seen.iter().copied()) {
        if remember.len() >= MAX_SEEN_ENTRIES {
            break;
        }
        if added.insert(k) {
            remember.push(k);
        }
    }
    problems.extend(done.problems);
    Ok(SitePoll {
        items: done.items,
        problems,
        entries: found.listed.len(),
        new: found.new,
        capped: found.new > keys.len(),
        pages: done.pages,
        late: done.late.len(),
        extraction_failed: done.extraction_failed,
        rule_missed: done.rule_missed,
        seen: remember,
    })
}

/// What discovery found.
struct Discovered {
    /// The links to fetch: newest first, without those known, capped.
    links: Vec<Found>,
    /// The keys of every article link found, de-duplicated.
    listed: Vec<u64>,
    /// How many of them are not known.
    new: usize,
    problems: Vec<Problem>,
    /// The first fetch error, if any.
    first_error: Option<Error>,
}

/// Discovery: the links, without those whose key ([`link_key`]) is `known`.
async fn discover(
    fetcher: &Fetcher,
    source: &SourceConfig,
    front_page: Option<&Fetched>,
    known: &HashSet<u64>,
) -> Discovered {
    let mut problems = Vec::new();
    let mut first_error = None;
    let private = PrivateHosts::of_source(source);
    let filter = match LinkFilter::new(source) {
        Ok(f) => f,
        Err(p) => {
            return Discovered {
                links: Vec::new(),
                listed: Vec::new(),
                new: 0,
                problems: vec![p],
                first_error: None,
            };
        }
    };
    // (found, is from a page) in discovery order.
    let mut page_links: Vec<Found> = Vec::new();
    let mut sitemap_links: Vec<Found> = Vec::new();

    let mut pages: Vec<(String, Option<&Fetched>)> = vec![(source.url.clone(), front_page)];
    pages.extend(source.sections.iter().map(|s| (s.clone(), None)));
    let mut sitemaps: Vec<String> = source.sitemap.iter().cloned().collect();

    for (url, given) in pages {
        let owned;
        let page = match given {
            Some(p) => p,
            None => match fetcher.get_within(&url, &private, None).await {
                Ok(p) => {
                    owned = p;
                    &owned
                }
                Err(e) => {
                    problems.push(Problem::from_error(&source.id, Some(&url), &e));
                    first_error.get_or_insert(e);
                    continue;
                }
            },
        };
        if looks_like_sitemap(page) {
            read_sitemap_body(
                source,
                &filter,
                page,
                &mut sitemaps,
                &mut sitemap_links,
                &mut problems,
            );
            continue;
        }
        let text = crate::encoding::decode_text(
            &page.body,
            page.content_type.as_deref(),
            Some(&page.final_url),
        );
        let links = links_in_page(&text, &page.final_url, &filter);
        debug!(source = %source.id, page = %page.final_url, links = links.len(), "Section page read.");
        page_links.extend(links.into_iter().map(|url| Found {
            url,
            date: None,
            title: None,
        }));
    }

    let mut read = HashSet::new();
    let mut children_left = MAX_CHILD_SITEMAPS;
    while let Some(url) = sitemaps.pop() {
        if !read.insert(url.clone()) {
            continue;
        }
        let is_child = source.sitemap.as_deref() != Some(url.as_str());
        if is_child {
            if children_left == 0 {
                break;
            }
            children_left -= 1;
        }
        match fetcher.get_within(&url, &private, None).await {
            Ok(page) => {
                let mut more = Vec::new();
                read_sitemap_body(
                    source,
                    &filter,
                    &page,
                    &mut more,
                    &mut sitemap_links,
                    &mut problems,
                );
                // Children are read newest first: push them in reverse.
                sitemaps.extend(more.into_iter().rev());
            }
            Err(e) => {
                problems.push(Problem::from_error(&source.id, Some(&url), &e));
                first_error.get_or_insert(e);
            }
        }
    }

    // Each link under its canonical URL, with the newest date a sitemap gives it wherever it
    // is found, so its key does not depend on where it was seen first.
    let mut dates: HashMap<String, DateTime<Utc>> = HashMap::new();
    for f in page_links.iter_mut().chain(sitemap_links.iter_mut()) {
        f.url = canonical_url(&f.url);
        if let Some(d) = f.date {
            let newest = dates.entry(f.url.clone()).or_insert(d);
            *newest = (*newest).max(d);
        }
    }
    let mut listed = Vec::new();
    let mut urls = HashSet::new();
    for f in page_links.iter_mut().chain(sitemap_links.iter_mut()) {
        if let Some(d) = dates.get(&f.url) {
            f.date = Some(*d);
        }
        if urls.insert(f.url.clone()) {
            listed.push(link_key(&f.url, f.date));
        }
    }
    let new = listed.iter().filter(|k| !known.contains(k)).count();
    let candidates = listed.len();
    let found = order_links(page_links, sitemap_links, |f| {
        !known.contains(&link_key(&f.url, f.date))
    });
    if found.is_empty() && candidates > 0 {
        debug!(source = %source.id, links = candidates, "No new site links.");
    } else if found.is_empty() {
        problems.push(Problem::new(
            &source.id,
            Some(&source.url),
            "no_links",
            "no article links were found on the site's pages or sitemaps; set `link_pattern` \
             (a regular expression article URLs match) or `link_selector` (a CSS selector for \
             the links) in sources.toml, or a `sitemap`",
        ));
    } else {
        info!(source = %source.id, links = found.len(), "Site links discovered.");
    }
    Discovered {
        links: found,
        listed,
        new,
        problems,
        first_error,
    }
}

/// True when a fetched body is a sitemap rather than a page.
fn looks_like_sitemap(page: &Fetched) -> bool {
    if is_gzip(&page.body) {
        return true;
    }
    let head = &page.body[..page.body.len().min(1024)];
    let head = String::from_utf8_lossy(head).to_ascii_lowercase();
    head.contains("<urlset") || head.contains("<sitemapindex")
}

/// Reads a fetched sitemap: child sitemaps go to `children` (newest first), URLs that pass
/// the filter to `out`.
fn read_sitemap_body(
    source: &SourceConfig,
    filter: &LinkFilter,
    page: &Fetched,
    children: &mut Vec<String>,
    out: &mut Vec<Found>,
    problems: &mut Vec<Problem>,
) {
    match parse_sitemap(&page.body, page.content_type.as_deref(), &page.final_url) {
        Ok(Sitemap::Index(mut list)) => {
            // Newest first; news sitemaps before others of the same age.
            list.sort_by(|a, b| {
                b.date
                    .cmp(&a.date)
                    .then_with(|| b.loc.contains("news").cmp(&a.loc.contains("news")))
            });
            children.extend(
                list.into_iter()
                    .filter_map(|c| absolute(&c.loc, &page.final_url)),
            );
        }
        Ok(Sitemap::Urls(urls)) => {
            let before = out.len();
            for SitemapUrl { loc, date, title } in urls {
                let Some(url) = absolute(&loc, &page.final_url) else {
                    continue;
                };
                // News entries are articles by definition; others pass the usual test.
                let ok = if title.is_some() {
                    filter.on_site(&url)
                } else {
                    filter.accepts(&url)
                };
                if ok {
                    out.push(Found { url, date, title });
                }
            }
            debug!(source = %source.id, sitemap = %page.final_url, links = out.len() - before, "Sitemap read.");
        }
        Err(e) => problems.push(Problem::new(
            &source.id,
            Some(&page.final_url),
            "bad_sitemap",
            format!("the sitemap cannot be read: {}", e.0),
        )),
    }
}

/// Page links (in page order, counted as new) and sitemap links (by date), merged newest
/// first, de-duplicated by canonical URL, those `keep` refuses left out, and capped.
fn order_links(
    page_links: Vec<Found>,
    mut sitemap_links: Vec<Found>,
    keep: impl Fn(&Found) -> bool,
) -> Vec<Found> {
    // Undated sitemap entries come after dated ones, in sitemap order.
    sitemap_links.sort_by_key(|f| std::cmp::Reverse(f.date));
    let newest_dated = sitemap_links.iter().filter_map(|f| f.date).max();
    let mut out: Vec<Found> = Vec::new();
    let mut seen = HashSet::new();
    let mut pages = page_links.into_iter().peekable();
    let mut maps = sitemap_links.into_iter().peekable();
    // Page links first while sitemap entries are older than a day before the newest one
    // (pages show what is new now); a fresh news sitemap interleaves by date.
    let fresh = |d: Option<DateTime<Utc>>| match (d, newest_dated) {
        (Some(d), Some(n)) => d >= n - Duration::hours(24),
        _ => false,
    };
    while out.len() < MAX_LINKS_PER_POLL {
        let take_map = match (pages.peek(), maps.peek()) {
            (None, None) => break,
            (None, Some(_)) => true,
            (Some(_), None) => false,
            (Some(_), Some(m)) => fresh(m.date) && out.len() % 2 == 1,
        };
        let next = if take_map { maps.next() } else { pages.next() };
        let Some(f) = next else {
            break;
        };
        let f = Found {
            url: canonical_url(&f.url),
            ..f
        };
        if seen.insert(f.url.clone()) && keep(&f) {
            out.push(f);
        }
    }
    out
}

/// `href` made absolute against `base`, if it is http(s).
fn absolute(href: &str, base: &str) -> Option<String> {
    crate::feed::absolute_http(href, Some(base))
}

/// The host without `www.`-like prefixes (and with its port when one is written), for
/// "same site" tests.
fn site_of(url: &url::Url) -> Option<String> {
    let host = url.host_str()?.trim_end_matches('.').to_ascii_lowercase();
    let host = ["www.", "m.", "amp."]
        .iter()
        .find_map(|p| host.strip_prefix(p))
        .map_or(host.clone(), str::to_string);
    Some(match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host,
    })
}

/// Which links of a source are article links.
#[derive(Debug)]
struct LinkFilter {
    /// The source's site (from `url`).
    site: Option<String>,
    pattern: Option<regex::Regex>,
    selector: Option<Selector>,
    /// The pattern names a host: links may leave the site.
    any_site: bool,
}

impl LinkFilter {
    fn new(source: &SourceConfig) -> Result<LinkFilter, Problem> {
        let bad = |what: &str, value: &str, why: String| {
            Problem::new(
                &source.id,
                Some(&source.url),
                "bad_config",
                format!("`{what} = {value:?}` in sources.toml is not valid: {why}"),
            )
        };
        let pattern = match source.link_pattern.as_deref() {
            Some(p) => {
                Some(regex::Regex::new(p).map_err(|e| bad("link_pattern", p, e.to_string()))?)
            }
            None => None,
        };
        let selector = match source.link_selector.as_deref() {
            Some(s) => Some(Selector::parse(s).map_err(|e| {
                bad(
                    "link_selector",
                    s,
                    format!("{e:?}").chars().take(200).collect(),
                )
            })?),
            None => None,
        };
        Ok(LinkFilter {
            site: url::Url::parse(source.url.trim())
                .ok()
                .as_ref()
                .and_then(site_of),
            any_site: source
                .link_pattern
                .as_deref()
                .is_some_and(|p| p.contains("://")),
            pattern,
            selector,
        })
    }

    /// The link stays on the source's site (its subdomains included).
    fn on_site(&self, url: &str) -> bool {
        if self.any_site {
            return true;
        }
        let (Some(site), Ok(u)) = (&self.site, url::Url::parse(url)) else {
            return false;
        };
        site_of(&u).is_some_and(|h| h == *site || h.ends_with(&format!(".{site}")))
    }

    /// The link is an article link by the source's pattern, or by the article test.
    fn accepts(&self, url: &str) -> bool {
        if !self.on_site(url) {
            return false;
        }
        match &self.pattern {
            Some(p) => p.is_match(url),
            None => url::Url::parse(url).is_ok_and(|u| looks_like_article(&u)),
        }
    }
}

/// The article links on a section page, in page order, de-duplicated.
fn links_in_page(html: &str, page_url: &str, filter: &LinkFilter) -> Vec<String> {
    let doc = Html::parse_document(html);
    let base = Selector::parse("base[href]")
        .ok()
        .and_then(|s| doc.select(&s).next().and_then(|b| b.attr("href")))
        .and_then(|b| absolute(b, page_url))
        .unwrap_or_else(|| page_url.to_string());
    let Ok(anchor) = Selector::parse("a[href]") else {
        return Vec::new();
    };
    let mut hrefs: Vec<&str> = Vec::new();
    match &filter.selector {
        Some(sel) => {
            for el in doc.select(sel) {
                if el.value().name() == "a"
                    && let Some(h) = el.attr("href")
                {
                    hrefs.push(h);
                } else {
                    hrefs.extend(el.select(&anchor).filter_map(|a| a.attr("href")));
                }
            }
        }
        None => hrefs.extend(doc.select(&anchor).filter_map(|a| a.attr("href"))),
    }
    let page_key = canonical_url(page_url);
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for h in hrefs {
        let Some(url) = absolute(h, &base) else {
            continue;
        };
        let key = canonical_url(&url);
        if key == page_key || !seen.insert(key.clone()) {
            continue;
        }
        // A selector names the links itself; the pattern (if any) still applies.
        let ok = match (&filter.selector, &filter.pattern) {
            (Some(_), None) => filter.on_site(&key),
            _ => filter.accepts(&key),
        };
        if ok {
            out.push(key);
        }
    }
    out
}

/// Path words of pages that list articles or are not articles.
const NOT_ARTICLE: &[&str] = &[
    "tag",
    "tags",
    "category",
    "categories",
    "cat",
    "author",
    "authors",
    "writer",
    "writers",
    "page",
    "search",
    "topic",
    "topics",
    "section",
    "sections",
    "login",
    "signin",
    "sign-in",
    "register",
    "signup",
    "user",
    "users",
    "account",
    "profile",
    "contact",
    "contact-us",
    "about",
    "about-us",
    "privacy",
    "privacy-policy",
    "terms",
    "feed",
    "rss",
    "sitemap",
    "wp-admin",
    "wp-login.php",
    "wp-content",
    "wp-json",
    "cdn-cgi",
    "newsletter",
    "subscribe",
    "advertise",
    "وسم",
    "وسوم",
    "تصنيف",
    "كاتب",
    "الكاتب",
    "كتاب",
    "بحث",
    "اتصل-بنا",
    "من-نحن",
];

/// Extensions of files that are not pages.
const NOT_PAGE: &[&str] = &[
    "jpg", "jpeg", "png", "gif", "webp", "svg", "ico", "bmp", "pdf", "css", "js", "json", "xml",
    "zip", "rar", "mp3", "mp4", "m4a", "avi", "mov", "webm", "doc", "docx", "xls", "xlsx", "ppt",
    "pptx", "gz", "txt",
];

/// The generic article test: a path with a long slug (four words or more) or a numeric id
/// (or an id in the query), and no word of a listing or utility page (`tag`, `category`,
/// `author`, `search`…) or a static file's extension.
pub(crate) fn looks_like_article(url: &url::Url) -> bool {
    if !matches!(url.scheme(), "http" | "https") {
        return false;
    }
    let segments: Vec<String> = url
        .path_segments()
        .into_iter()
        .flatten()
        .filter(|s| !s.is_empty())
        .map(|s| {
            url::form_urlencoded::parse(s.as_bytes())
                .map(|(k, v)| {
                    if v.is_empty() {
                        k.into_owned()
                    } else {
                        format!("{k}={v}")
                    }
                })
                .collect::<String>()
                .to_lowercase()
        })
        .collect();
    if let Some(last) = segments.last()
        && let Some((_, ext)) = last.rsplit_once('.')
        && NOT_PAGE.contains(&ext)
    {
        return false;
    }
    if segments.iter().any(|s| NOT_ARTICLE.contains(&s.as_str())) {
        return false;
    }
    let query_id = url
        .query_pairs()
        .any(|(_, v)| v.len() >= 3 && v.len() <= 12 && v.bytes().all(|b| b.is_ascii_digit()));
    let numeric_id = segments.iter().any(|s| {
        let stem = s.rsplit_once('.').map_or(s.as_str(), |(stem, _)| stem);
        let longest_digits = stem
            .split(|c: char| !c.is_ascii_digit())
            .map(str::len)
            .max()
            .unwrap_or(0);
        let all_digits = stem.bytes().all(|b| b.is_ascii_digit());
        // A bare year or month is an archive, not an id.
        (all_digits && longest_digits >= 5) || (!all_digits && longest_digits >= 4)
    });
    let long_slug = segments.iter().any(|s| {
        let stem = s.rsplit_once('.').map_or(s.as_str(), |(stem, _)| stem);
        let words = stem
            .split(['-', '_', '+', ' '])
            .filter(|w| !w.is_empty())
            .count();
        let chars = stem.chars().count();
        (words >= 4 && chars >= 15) || chars >= 40
    });
    !segments.is_empty() && (numeric_id || long_slug) || query_id
}

/// A fetched article page, what was extracted from it and how the site rule fared.
type Page = (Fetched, crate::Extracted, RuleOutcome);

/// What [`fetch_found`] did.
#[derive(Debug, Default)]
struct FoundDone {
    items: Vec<Item>,
    problems: Vec<Problem>,
    /// Links that could not be fetched, to try again (see [`settles`]).
    failed: HashSet<String>,
    /// Links not fetched before the deadline.
    late: HashSet<String>,
    /// Pages requested.
    pages: u32,
    /// Pages whose article text was not found (`extraction_failed`).
    extraction_failed: u32,
    /// Pages on which the source's `article_selector` found no text (`site_rule_missed`).
    rule_missed: u32,
}

/// Fetches and extracts the found links, each page within `deadline` if one is given.
async fn fetch_found(
    fetcher: &Fetcher,
    source: &SourceConfig,
    found: Vec<Found>,
    fetched: DateTime<Utc>,
    deadline: Option<Instant>,
) -> FoundDone {
    let private = PrivateHosts::of_source(source);
    let private = &private;
    let mut done = FoundDone::default();
    let rule = if found.is_empty() {
        None
    } else {
        source_rule(source).unwrap_or_else(|p| {
            done.problems.push(p);
            None
        })
    };
    let rule = rule.as_ref();
    // `None`: the deadline passed before the page was done; the flag says it was requested.
    type Fate = (Option<Result<Page>>, bool);
    let mut results: Vec<(usize, Found, Fate)> = stream::iter(found.into_iter().enumerate())
        .map(|(i, f)| async move {
            let Some(deadline) = deadline else {
                let r = fetch_article(fetcher, private, &f.url, rule).await;
                return (i, f, (Some(r), true));
            };
            if Instant::now() >= deadline {
                return (i, f, (None, false));
            }
            let r =
                tokio::time::timeout_at(deadline, fetch_article(fetcher, private, &f.url, rule))
                    .await
                    .ok();
            (i, f, (r, true))
        })
        .buffer_unordered(PAGE_CONCURRENCY)
        .collect()
        .await;
    results.sort_by_key(|(i, _, _)| *i);
    let mut ids = HashSet::new();
    for (_, f, (result, requested)) in results {
        done.pages += u32::from(requested);
        let Some(result) = result else {
            done.late.insert(f.url);
            continue;
        };
        let (page, x, outcome) = match result {
            Ok(r) => r,
            Err(e) => {
                done.problems
                    .push(Problem::from_error(&source.id, Some(&f.url), &e));
                if !settles(&e) {
                    done.failed.insert(f.url);
                }
                continue;
            }
        };
        let title = x.title.clone().or(f.title.clone()).unwrap_or_default();
        if title.is_empty() && x.text.is_empty() {
            done.problems.push(Problem::new(
                &source.id,
                Some(&page.final_url),
                "empty_page",
                "no article title or text was found on the page; it was skipped",
            ));
            continue;
        }
        let id_url = canonical_for(&page.final_url, x.canonical.as_deref());
        let mut item = Item::new(&source.id, &id_url, &title, &x.text, fetched);
        item.published = x.published.or(f.date);
        item.author = x.author.clone();
        if !ids.insert(item.id.clone()) {
            debug!(source = %source.id, url = %item.url, "Same article under two links.");
            continue;
        }
        if let RuleOutcome::Missed { elements, chars } = outcome {
            done.rule_missed += 1;
            done.problems
                .push(rule_missed(source, &item.url, elements, chars, &x.text));
        }
        if !article_found(&x.text, outcome) {
            // The item is kept (its title and whatever text was found) and the link is
            // remembered, as for any article: nothing found is lost, and the page is not
            // fetched again at every poll while the office adds a rule.
            done.extraction_failed += 1;
            let kept = if x.text.is_empty() {
                "the item keeps only its title"
            } else {
                "the item keeps its title and the text found"
            };
            done.problems.push(extraction_failed(
                source,
                &item.url,
                x.text.chars().count(),
                kept,
            ));
        }
        done.items.push(item);
    }
    done
}

/// True when an article link that failed this way need not be tried again: the page is
/// gone (404, 410), too large, or disallowed by robots.txt. Other failures (timeouts,
/// server errors, refused addresses) are tried again at the next poll.
fn settles(err: &Error) -> bool {
    matches!(
        err,
        Error::Status {
            status: 404 | 410,
            ..
        } | Error::TooLarge { .. }
            | Error::RobotsDisallowed { .. }
    )
}

/// The URL an article is identified by: its `rel=canonical` when that is on the same host
/// as the page (a canonical elsewhere could claim another site's article), else the page's.
fn canonical_for(page_url: &str, canonical: Option<&str>) -> String {
    let host = |u: &str| {
        url::Url::parse(u)
            .ok()
            .and_then(|u| u.host_str().map(str::to_ascii_lowercase))
    };
    match canonical {
        Some(c) if crate::feed::is_article_link(&canonical_url(c)) && host(c) == host(page_url) => {
            c.to_string()
        }
        _ => page_url.to_string(),
    }
}

/// Fetches one article page and extracts it, with the source's site rule if it has one.
async fn fetch_article(
    fetcher: &Fetcher,
    private: &PrivateHosts,
    url: &str,
    rule: Option<&Selector>,
) -> Result<Page> {
    let page = fetcher.get_within(url, private, None).await?;
    if let Some(ct) = &page.content_type {
        let ct = ct.to_ascii_lowercase();
        if !(ct.contains("html") || ct.starts_with("text/")) {
            return Err(Error::Http {
                url: url.to_string(),
                message: format!("the link is {ct}, not an HTML page"),
            });
        }
    }
    let body = page.body.clone();
    let content_type = page.content_type.clone();
    let final_url = page.final_url.clone();
    let rule = rule.cloned();
    let (extracted, outcome) = tokio::task::spawn_blocking(move || {
        let text = crate::encoding::decode_text(&body, content_type.as_deref(), Some(&final_url));
        extract_article_with(&text, &final_url, rule.as_ref())
    })
    .await
    .map_err(|e| Error::Http {
        url: url.to_string(),
        message: format!("the extractor failed: {e}"),
    })?;
    Ok((page, extracted, outcome))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rasd_core::SourceKind;

    fn u(s: &str) -> url::Url {
        url::Url::parse(s).unwrap()
    }

    #[test]
    fn article_urls_by_shape() {
        for yes in [
            "https://x.jo/local/2026/11/22/dabt-matloub-khatir-fi-irbid",
            "https://x.jo/news/123456",
            "https://x.jo/article/98765.html",
            "https://x.jo/ar/news-4521-police",
            "https://x.jo/fpcode/news.php?story_id=268",
            "https://x.jo/محليات/ضبط-مطلوب-خطير-في-إربد",
            "https://x.jo/%D8%B6%D8%A8%D8%B7-%D9%85%D8%B7%D9%84%D9%88%D8%A8-%D8%AE%D8%B7%D9%8A%D8%B1-%D9%81%D9%8A-%D8%A5%D8%B1%D8%A8%D8%AF",
        ] {
            assert!(looks_like_article(&u(yes)), "{yes}");
        }
        for no in [
            "https://x.jo/",
            "https://x.jo/local",
            "https://x.jo/2026/11/",
            "https://x.jo/business-and-economy",
            "https://x.jo/tag/police-news-today-jordan",
            "https://x.jo/author/layla-ahmad-al-khatib",
            "https://x.jo/category/local-news-and-events",
            "https://x.jo/وسم/الأمن-العام-الأردني",
            "https://x.jo/uploads/2026/11/photo-of-the-scene-123456.jpg",
            "https://x.jo/page/12345",
            "mailto:x@x.jo",
        ] {
            assert!(!looks_like_article(&u(no)), "{no}");
        }
    }

    fn site(pattern: Option<&str>, selector: Option<&str>) -> SourceConfig {
        SourceConfig {
            link_pattern: pattern.map(str::to_string),
            link_selector: selector.map(str::to_string),
            ..SourceConfig::new("site", "موقع", SourceKind::Site, "https://www.example.jo/")
        }
    }

    const SECTION: &str = r#"<html><head><base href="https://www.example.jo/local/"></head><body>
<nav><a href="/">الرئيسية</a><a href="/tag/amn-aam-police-news">وسم</a></nav>
<div class="list">
  <h3 class="title"><a href="2026/11/22/dabt-matloub-khatir-fi-irbid?utm_source=home#top">ضبط مطلوب</a></h3>
  <h3 class="title"><a href="https://news.example.jo/local/123456">حادث</a></h3>
  <h3 class="title"><a href="https://other.example.com/local/654321">موقع آخر</a></h3>
</div>
<aside><a href="/local/777777">الأكثر قراءة</a><a href="/local/2026/11/22/dabt-matloub-khatir-fi-irbid">مكرر</a></aside>
</body></html>"#;

    #[test]
    fn section_links_by_heuristic_selector_and_pattern() {
        let f = LinkFilter::new(&site(None, None)).unwrap();
        let links = links_in_page(SECTION, "https://www.example.jo/local", &f);
        assert_eq!(
            links,
            [
                "https://www.example.jo/local/2026/11/22/dabt-matloub-khatir-fi-irbid",
                "https://news.example.jo/local/123456",
                "https://www.example.jo/local/777777",
            ]
        );
        let f = LinkFilter::new(&site(None, Some("h3.title"))).unwrap();
        let links = links_in_page(SECTION, "https://www.example.jo/local", &f);
        assert_eq!(links.len(), 2, "{links:?}");
        let f = LinkFilter::new(&site(Some(r"/local/\d{6}$"), None)).unwrap();
        let links = links_in_page(SECTION, "https://www.example.jo/local", &f);
        assert_eq!(
            links,
            [
                "https://news.example.jo/local/123456",
                "https://www.example.jo/local/777777"
            ]
        );
        let f = LinkFilter::new(&site(Some(r"https://other\.example\.com/"), None)).unwrap();
        assert_eq!(
            links_in_page(SECTION, "https://www.example.jo/local", &f),
            ["https://other.example.com/local/654321"]
        );
        assert_eq!(
            LinkFilter::new(&site(None, Some("h3..x")))
                .unwrap_err()
                .reason,
            "bad_config"
        );
    }

    #[test]
    fn ordering_and_cap() {
        let d = |s: &str| crate::parse_date(s);
        let page = |u: &str| Found {
            url: u.to_string(),
            date: None,
            title: None,
        };
        let map = |u: &str, date: &str| Found {
            url: u.to_string(),
            date: d(date),
            title: None,
        };
        let out = order_links(
            vec![
                page("https://x.jo/p/1"),
                page("https://x.jo/p/2"),
                page("https://x.jo/s/old"),
            ],
            vec![
                map("https://x.jo/s/old", "2026-01-01T00:00:00Z"),
                map("https://x.jo/s/new", "2026-11-22T10:00:00Z"),
                map("https://x.jo/s/newer#x", "2026-11-22T11:00:00Z"),
            ],
            |_| true,
        );
        let urls: Vec<_> = out.iter().map(|f| f.url.as_str()).collect();
        assert_eq!(
            urls,
            [
                "https://x.jo/p/1",
                "https://x.jo/s/newer",
                "https://x.jo/p/2",
                "https://x.jo/s/new",
                "https://x.jo/s/old"
            ]
        );
        let many = (0..200)
            .map(|i| page(&format!("https://x.jo/n/{i}")))
            .collect();
        assert_eq!(
            order_links(many, Vec::new(), |_| true).len(),
            MAX_LINKS_PER_POLL
        );
        // Links left out do not count towards the cap.
        let many: Vec<Found> = (0..200)
            .map(|i| page(&format!("https://x.jo/n/{i}")))
            .collect();
        let kept = order_links(many, Vec::new(), |f| !f.url.ends_with("/1"));
        assert_eq!(kept.len(), MAX_LINKS_PER_POLL);
        assert!(kept.iter().all(|f| !f.url.ends_with("/1")));
    }

    mod loopback {
        use super::*;
        use std::collections::HashMap;
        use std::io::Write;
        use std::sync::{Arc, Mutex};
        use std::time::Duration as StdDuration;

        use axum::Router;
        use axum::extract::{Path, State};
        use axum::http::{StatusCode, header};
        use axum::response::{IntoResponse, Response};
        use axum::routing::get;
        use rasd_core::{FetchSettings, Interval, SourceKind};

        /// Requests the server saw, by path.
        type Hits = Arc<Mutex<HashMap<String, usize>>>;

        fn article(id: &str, canonical: Option<&str>) -> String {
            let canonical = canonical
                .map(|c| format!("<link rel=\"canonical\" href=\"{c}\">"))
                .unwrap_or_default();
            format!(
                "<!DOCTYPE html><html lang=\"ar\"><head><meta charset=\"utf-8\"><title>خبر {id}</title>{canonical}\
                 <meta property=\"article:published_time\" content=\"2026-11-22T09:00:00+03:00\"></head>\
                 <body><nav><a href=\"/\">الرئيسية</a></nav><article><h1>ضبط مطلوب رقم {id}</h1>\
                 <p>ألقت الأجهزة الأمنية القبض على مطلوب خطير في محافظة إربد بعد متابعة استمرت أسابيع، \
                 وضبطت بحوزته كمية من المواد المخدرة وسلاحا ناريا غير مرخص.</p>\
                 <p>وقال الناطق الإعلامي إن المضبوطات والمطلوب أحيلوا إلى الجهات المختصة لاستكمال التحقيق.</p>\
                 </article></body></html>"
            )
        }

        fn gzip(text: &str) -> Vec<u8> {
            let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
            gz.write_all(text.as_bytes()).unwrap();
            gz.finish().unwrap()
        }

        async fn serve(
            Path(path): Path<String>,
            State((hits, port)): State<(Hits, u16)>,
        ) -> Response {
            *hits.lock().unwrap().entry(path.clone()).or_default() += 1;
            let html = |body: String| {
                ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], body).into_response()
            };
            let xml =
                |body: String| ([(header::CONTENT_TYPE, "application/xml")], body).into_response();
            match path.as_str() {
                "home" => html(
                    "<html><body><a href=\"/local\">محليات</a><a href=\"/news/100001\">خبر</a></body></html>".into(),
                ),
                "local" => html(format!(
                    "<html><body><div class=\"list\">\
                     <h3><a href=\"/news/100001\">أول</a></h3><h3><a href=\"/news/100002?utm_source=home\">ثان</a></h3>\
                     <h3><a href=\"http://127.0.0.1:1/news/100009\">عنوان خاص</a></h3>\
                     <h3><a href=\"http://10.20.30.40:{port}/news/100010\">شبكة داخلية</a></h3></div>\
                     <a href=\"/tag/amn\">وسم</a><a href=\"/about\">من نحن</a></body></html>"
                )),
                "sitemap_index.xml" => xml(
                    "<?xml version=\"1.0\"?><sitemapindex xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\
                     <sitemap><loc>/old-sitemap.xml.gz</loc><lastmod>2026-10-01</lastmod></sitemap>\
                     <sitemap><loc>/news-sitemap.xml</loc><lastmod>2026-11-22T10:00:00Z</lastmod></sitemap>\
                     </sitemapindex>".into(),
                ),
                "news-sitemap.xml" => xml(
                    "<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\" xmlns:news=\"http://www.google.com/schemas/sitemap-news/0.9\">\
                     <url><loc>/news/200001</loc><news:news><news:publication_date>2026-11-22T08:00:00Z</news:publication_date>\
                     <news:title>حادث سير على الطريق الصحراوي</news:title></news:news></url>\
                     <url><loc>/news/200002</loc><news:news><news:publication_date>2026-11-22T09:30:00Z</news:publication_date>\
                     <news:title>إغلاق طريق</news:title></news:news></url></urlset>".into(),
                ),
                "old-sitemap.xml.gz" => (
                    [(header::CONTENT_TYPE, "application/x-gzip")],
                    gzip("<urlset><url><loc>/news/300001</loc><lastmod>2026-10-01</lastmod></url>\
                          <url><loc>/category/local-news-archive</loc></url></urlset>"),
                )
                    .into_response(),
                "robots.txt" => StatusCode::NOT_FOUND.into_response(),
                p if p.starts_with("news/") => {
                    let id = &p["news/".len()..];
                    // One article names its canonical address with a tracking parameter.
                    let canonical = (id == "100002").then_some("/news/100002?utm_medium=canon");
                    html(article(id, canonical))
                }
                _ => StatusCode::NOT_FOUND.into_response(),
            }
        }

        async fn start() -> (String, Hits) {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let port = listener.local_addr().unwrap().port();
            let hits: Hits = Arc::default();
            let app = Router::new()
                .route("/{*path}", get(serve))
                .with_state((Arc::clone(&hits), port));
            tokio::spawn(async move { axum::serve(listener, app).await });
            (format!("http://127.0.0.1:{port}"), hits)
        }

        fn fetcher() -> Fetcher {
            Fetcher::new(&FetchSettings {
                timeout: Interval(StdDuration::from_secs(5)),
                per_host_delay: Interval(StdDuration::ZERO),
                per_host_concurrency: 4,
                ..FetchSettings::default()
            })
            .unwrap()
        }

        fn source(base: &str, allow_private: bool) -> SourceConfig {
            SourceConfig {
                allow_private,
                sections: vec![format!("{base}/local")],
                link_pattern: Some(r"/news/\d+".to_string()),
                sitemap: Some(format!("{base}/sitemap_index.xml")),
                ..SourceConfig::new(
                    "loop",
                    "موقع محلي",
                    SourceKind::Site,
                    &format!("{base}/home"),
                )
            }
        }

        fn hits_of(hits: &Hits, path: &str) -> usize {
            hits.lock().unwrap().get(path).copied().unwrap_or(0)
        }

        #[tokio::test]
        async fn section_page_and_sitemaps_then_articles() {
            let (base, hits) = start().await;
            let f = fetcher();
            let src = source(&base, true);
            let (links, problems) = discover_links(&f, &src).await;
            let paths: Vec<&str> = links.iter().map(|l| &l[base.len()..]).collect();
            // Page links first (newest now), the fresh news sitemap interleaved by date, the
            // gzip'd older sitemap last; the private links are kept here and refused below.
            assert_eq!(
                paths,
                [
                    "/news/100001",
                    "/news/200002",
                    "/news/100002",
                    "/news/200001",
                    "/news/300001",
                ],
                "{links:?} {problems:?}"
            );
            assert!(problems.is_empty(), "{problems:?}");
            assert!(
                !links
                    .iter()
                    .any(|l| l.contains("127.0.0.1:1/") || l.contains("10.20.30.40")),
                "links to other hosts are off the site: {links:?}"
            );

            let (items, problems) = fetch_articles(&f, &src, &links, Utc::now()).await;
            assert!(problems.is_empty(), "{problems:?}");
            assert_eq!(items.len(), 5);
            assert_eq!(items[0].title, "ضبط مطلوب رقم 100001");
            assert!(
                items[0].body.contains("المواد المخدرة"),
                "{}",
                items[0].body
            );
            assert_eq!(
                items[0].published,
                crate::parse_date("2026-11-22T06:00:00Z")
            );
            // The canonical link, tracking parameter removed, is the id.
            assert_eq!(items[2].url, format!("{base}/news/100002"));
            assert_eq!(
                items[2].id,
                rasd_core::item_id_for_url(&format!("{base}/news/100002"))
            );
            assert_eq!(hits_of(&hits, "news/100002"), 1);
        }

        #[tokio::test]
        async fn private_links_are_refused_without_a_request() {
            let (base, hits) = start().await;
            let f = fetcher();
            // The source may reach its own loopback host, not other private addresses.
            let src = SourceConfig {
                link_pattern: Some(r"://[^/]+/news/\d+".to_string()),
                ..source(&base, true)
            };
            let (links, _) = discover_links(&f, &src).await;
            let private: Vec<String> = links
                .iter()
                .filter(|l| l.contains("127.0.0.1:1/") || l.contains("10.20.30.40"))
                .cloned()
                .collect();
            assert_eq!(private.len(), 2, "{links:?}");
            let (items, problems) = fetch_articles(&f, &src, &private, Utc::now()).await;
            assert!(items.is_empty());
            let reasons: Vec<&str> = problems.iter().map(|p| p.reason).collect();
            assert_eq!(
                reasons,
                ["blocked_address", "blocked_address"],
                "{problems:?}"
            );

            // Without allow_private nothing on loopback is fetched at all.
            let before = hits.lock().unwrap().values().sum::<usize>();
            let src = source(&base, false);
            let (links, problems) = discover_links(&f, &src).await;
            assert!(links.is_empty());
            assert!(
                problems.iter().any(|p| p.reason == "blocked_address"),
                "{problems:?}"
            );
            assert_eq!(hits.lock().unwrap().values().sum::<usize>(), before);
        }

        #[tokio::test]
        async fn read_site_reuses_the_front_page() {
            let (base, hits) = start().await;
            let f = fetcher();
            let src = SourceConfig {
                sections: Vec::new(),
                sitemap: None,
                ..source(&base, true)
            };
            let front = f.get(&src.url, true, None).await.unwrap();
            let poll = read_site(&f, &src, &front, Utc::now(), &[]).await.unwrap();
            assert!(poll.problems.is_empty(), "{:?}", poll.problems);
            assert_eq!(poll.items.len(), 1);
            assert_eq!(
                hits_of(&hits, "home"),
                1,
                "the front page is not fetched again"
            );
            assert_eq!(hits_of(&hits, "news/100001"), 1);
            assert_eq!(poll.seen, [link_key(&format!("{base}/news/100001"), None)]);
            // The next poll, given what the first remembers, fetches no article again.
            let again = read_site(&f, &src, &front, Utc::now(), &poll.seen)
                .await
                .unwrap();
            assert!(
                again.items.is_empty() && again.problems.is_empty(),
                "{:?} {:?}",
                again.items,
                again.problems
            );
            assert_eq!((again.entries, again.new, again.pages), (1, 0, 0));
            assert_eq!(again.seen, poll.seen);
            assert_eq!(hits_of(&hits, "news/100001"), 1);

            // A site whose pages all fail is an error.
            let broken = SourceConfig {
                sections: vec![format!("{base}/missing")],
                sitemap: Some(format!("{base}/missing.xml")),
                ..SourceConfig::new("x", "x", SourceKind::Site, &format!("{base}/missing-home"))
            };
            let broken = SourceConfig {
                allow_private: true,
                ..broken
            };
            let front = Fetched {
                status: 200,
                final_url: broken.url.clone(),
                content_type: Some("text/html".into()),
                etag: None,
                last_modified: None,
                body: bytes::Bytes::from_static(b"<html><body>nothing</body></html>"),
            };
            let err = read_site(&f, &broken, &front, Utc::now(), &[])
                .await
                .unwrap_err();
            assert_eq!(err.reason(), "http_status");
        }
    }

    #[test]
    fn link_keys_follow_the_canonical_url_and_the_sitemap_date() {
        let d = crate::parse_date("2026-11-22T10:00:00Z");
        let k = link_key("https://x.jo/a/1", None);
        assert_eq!(k, link_key("https://x.jo/a/1?utm_source=rss#top", None));
        assert_ne!(k, link_key("https://x.jo/a/2", None));
        assert_ne!(k, link_key("https://x.jo/a/1", d));
        assert_eq!(
            link_key("https://x.jo/a/1", d),
            link_key("https://x.jo/a/1", d)
        );
        assert_ne!(
            link_key("https://x.jo/a/1", d),
            link_key(
                "https://x.jo/a/1",
                crate::parse_date("2026-11-23T10:00:00Z")
            )
        );
    }

    #[test]
    fn canonical_only_on_the_same_host() {
        assert_eq!(
            canonical_for("https://x.jo/a/1?amp=1", Some("https://x.jo/a/1")),
            "https://x.jo/a/1"
        );
        assert_eq!(
            canonical_for("https://x.jo/a/1", Some("https://evil.example/a/9")),
            "https://x.jo/a/1"
        );
        assert_eq!(canonical_for("https://x.jo/a/1", None), "https://x.jo/a/1");
    }
}
