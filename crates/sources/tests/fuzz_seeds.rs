//! The short form of the fuzz targets of `fuzz/` that read what sites serve: every seed
//! (`fuzz/seeds/TARGET/`) and every input kept from a finding (`fuzz/regressions/TARGET/`)
//! goes through the entry points the target calls, and none may panic. The long form is
//! `scripts/fuzz.sh` (see docs/fuzzing.md).

use std::path::Path;

use chrono::{TimeZone, Utc};
use rasd_core::{Config, SourceConfig, SourceKind};

#[path = "../../../fuzz/replay.rs"]
mod replay;
use replay::replay;

#[test]
fn feed_parse_seeds_and_regressions_do_not_panic() {
    replay("feed_parse", |data| {
        let source = SourceConfig::new(
            "fuzz",
            "Fuzz",
            SourceKind::Feed,
            "https://fuzz.example.jo/feed",
        );
        let now = Utc.with_ymd_and_hms(2026, 11, 28, 12, 0, 0).unwrap();
        let _ = rasd_sources::parse_feed(&source, "https://fuzz.example.jo/feed", data, None, now);
        let _ = rasd_sources::parse_feed(
            &source,
            "https://fuzz.example.jo/feed",
            data,
            Some("application/rss+xml; charset=windows-1256"),
            now,
        );
    });
}

#[test]
fn charset_seeds_and_regressions_do_not_panic() {
    replay("charset", |data| {
        let _ = rasd_sources::decode_text(data, None, Some("https://fuzz.example.jo/"));
        let _ = rasd_sources::decode_text(data, Some("text/html; charset=iso-8859-6"), None);
        let _ = rasd_sources::decode_text(
            data,
            Some("text/html; charset=utf-8"),
            Some("https://fuzz.example.com/"),
        );
    });
}

#[test]
fn extract_seeds_and_regressions_do_not_panic() {
    replay("extract", |data| {
        let html = String::from_utf8_lossy(data);
        let _ = rasd_sources::extract_article(&html, "https://fuzz.example.jo/news/1");
    });
}

#[test]
fn sitemap_seeds_and_regressions_do_not_panic() {
    replay("sitemap", |data| {
        let url = "https://fuzz.example.jo/sitemap.xml";
        let _ = rasd_sources::fuzzing::sitemap(data, None, url);
        let _ = rasd_sources::fuzzing::sitemap(
            data,
            Some("application/xml; charset=windows-1256"),
            url,
        );
    });
    // The seeds are read, not merely survived.
    let news = std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/seeds/sitemap/news.xml.gz"),
    )
    .unwrap();
    let urls =
        rasd_sources::fuzzing::sitemap(&news, None, "https://fuzz.example.jo/sitemap.xml").unwrap();
    assert_eq!(urls.len(), 2, "{urls:?}");
}

#[test]
fn robots_seeds_and_regressions_do_not_panic() {
    replay("robots", |data| {
        let mut urls = vec![
            "https://fuzz.example.jo/".to_string(),
            "https://fuzz.example.jo/rss?print=1".to_string(),
            "https://fuzz.example.jo/أخبار/محليات/123".to_string(),
        ];
        for line in String::from_utf8_lossy(data).lines().take(64) {
            if let Some((_, path)) = line.split_once(':') {
                urls.push(format!("https://fuzz.example.jo{}", path.trim()));
            }
        }
        let urls: Vec<&str> = urls.iter().map(String::as_str).collect();
        let _ = rasd_sources::fuzzing::robots(data, &urls);
    });
}

#[test]
fn opml_seeds_and_regressions_do_not_panic() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../config");
    let config = Config::load(&dir).unwrap();
    let texts = [
        "rasd.toml",
        "sources.toml",
        "topics.toml",
        "places.toml",
        "alerts.toml",
    ]
    .map(|f| std::fs::read_to_string(dir.join(f)).unwrap());
    replay("opml", |data| {
        let Ok(text) = std::str::from_utf8(data) else {
            return;
        };
        let Ok(imported) = rasd_sources::parse_opml(text) else {
            return;
        };
        let _ = rasd_sources::to_opml(&imported);
        let new = rasd_sources::merge_sources(&config.sources, imported);
        if new.is_empty() {
            return;
        }
        let sources = format!("{}\n{}", texts[1], rasd_sources::sources_toml_entries(&new));
        let _ = Config::from_texts(&dir, [&texts[0], &sources, &texts[2], &texts[3], &texts[4]]);
    });
}
