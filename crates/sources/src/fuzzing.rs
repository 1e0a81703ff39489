//! The readers of outside bytes that the fetcher keeps to itself (sitemaps, robots.txt),
//! callable on any bytes: the fuzz targets of `fuzz/` and the test that replays their seeds
//! (`tests/fuzz_seeds.rs`) call these, and nothing else should.

use std::time::Duration;

use crate::http::robots::{Access, Rules, Verdict};
use crate::sitemap::{Sitemap, parse_sitemap};

/// A sitemap as the site reader takes it: its page URLs (or, for an index, its child
/// sitemaps) made absolute against `url` and canonical, or why the bytes are not a sitemap.
pub fn sitemap(bytes: &[u8], content_type: Option<&str>, url: &str) -> Result<Vec<String>, String> {
    match parse_sitemap(bytes, content_type, url) {
        Ok(Sitemap::Index(list) | Sitemap::Urls(list)) => Ok(list
            .into_iter()
            .filter_map(|u| crate::feed::absolute_http(&u.loc, Some(url)))
            .map(|u| rasd_core::canonical_url(&u))
            .collect()),
        Err(e) => Err(e.0),
    }
}

/// A robots.txt file as the fetcher reads it, asked about each of `urls` that parses:
/// whether it may be fetched (the rule that forbids it otherwise), and the `Crawl-delay` of
/// the group that applies to Rasd.
pub fn robots(file: &[u8], urls: &[&str]) -> (Vec<Result<(), String>>, Option<Duration>) {
    let rules = Rules::from_access(&Access::File(file.to_vec()));
    let verdicts = urls
        .iter()
        .filter_map(|u| url::Url::parse(u).ok())
        .map(|u| match rules.check(&u) {
            Verdict::Allowed => Ok(()),
            Verdict::Disallowed(rule) | Verdict::Unreachable(rule) => Err(rule),
        })
        .collect();
    (verdicts, rules.crawl_delay())
}
