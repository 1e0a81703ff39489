//! Sitemaps: `sitemap.xml` (`<urlset>`), sitemap indexes (`<sitemapindex>`), Google News
//! sitemaps (`<news:news>` with a publication date and title), gzip'd sitemaps and plain
//! text ones (one URL a line), read by [`parse_sitemap`] into a [`Sitemap`].
//!
//! The reader is the forgiving tag reader of the feeds, so a sitemap with a stray `&` or a
//! cut-off end still gives the URLs before the damage.

use std::io::Read;

use chrono::{DateTime, Utc};

use crate::dates::parse_date;
use crate::feed::xml::{Event, Reader, split_name, text_of};

/// The largest sitemap read after decompression (the sitemap protocol's limit is 50 MB).
pub const MAX_SITEMAP_BYTES: u64 = 50 * 1024 * 1024;

/// One URL of a sitemap.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SitemapUrl {
    /// `<loc>`, as written (absolute per the protocol).
    pub loc: String,
    /// The news publication date, else `<lastmod>`.
    pub date: Option<DateTime<Utc>>,
    /// The news title (`<news:title>`), if any.
    pub title: Option<String>,
}

/// What a sitemap lists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Sitemap {
    /// A sitemap index: more sitemaps, with their `<lastmod>`.
    Index(Vec<SitemapUrl>),
    /// Page URLs.
    Urls(Vec<SitemapUrl>),
}

/// Why bytes are not a sitemap.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct NotASitemap(pub String);

/// True when the bytes are gzip'd (a `.xml.gz` sitemap served as it is).
pub(crate) fn is_gzip(bytes: &[u8]) -> bool {
    bytes.starts_with(&[0x1f, 0x8b])
}

/// Reads a sitemap: gunzips it if needed (at most [`MAX_SITEMAP_BYTES`]), decodes it, and
/// lists its URLs or child sitemaps.
pub(crate) fn parse_sitemap(
    bytes: &[u8],
    content_type: Option<&str>,
    url: &str,
) -> Result<Sitemap, NotASitemap> {
    parse_sitemap_capped(bytes, content_type, url, MAX_SITEMAP_BYTES)
}

fn parse_sitemap_capped(
    bytes: &[u8],
    content_type: Option<&str>,
    url: &str,
    cap: u64,
) -> Result<Sitemap, NotASitemap> {
    let unzipped;
    let bytes = if is_gzip(bytes) {
        let mut out = Vec::new();
        flate2::read::MultiGzDecoder::new(bytes)
            .take(cap + 1)
            .read_to_end(&mut out)
            .map_err(|e| NotASitemap(format!("the gzip'd sitemap cannot be unpacked: {e}")))?;
        if out.len() as u64 > cap {
            return Err(NotASitemap(format!(
                "the sitemap unpacks to more than {cap} bytes"
            )));
        }
        unzipped = out;
        &unzipped[..]
    } else {
        bytes
    };
    let (text, _) = crate::encoding::decode(bytes, content_type, Some(url));
    let trimmed = text.trim_start_matches(|c: char| c.is_whitespace() || c == '\u{feff}');
    if !trimmed.starts_with('<') {
        return plain_text_sitemap(trimmed);
    }
    read_xml_sitemap(trimmed)
}

/// A text sitemap: one absolute URL a line.
fn plain_text_sitemap(text: &str) -> Result<Sitemap, NotASitemap> {
    let urls: Vec<SitemapUrl> = text
        .lines()
        .map(str::trim)
        .filter(|l| l.starts_with("http://") || l.starts_with("https://"))
        .map(|l| SitemapUrl {
            loc: l.to_string(),
            date: None,
            title: None,
        })
        .collect();
    if urls.is_empty() {
        let start: String = text.chars().take(40).collect();
        return Err(NotASitemap(format!(
            "neither an XML sitemap nor a list of URLs (it starts with {start:?})"
        )));
    }
    Ok(Sitemap::Urls(urls))
}

/// The fields of the `<url>` or `<sitemap>` being read.
#[derive(Debug, Default)]
struct Current {
    loc: Option<String>,
    lastmod: Option<String>,
    news_date: Option<String>,
    title: Option<String>,
}

fn read_xml_sitemap(text: &str) -> Result<Sitemap, NotASitemap> {
    let mut root: Option<String> = None;
    let mut index = false;
    let mut out = Vec::new();
    let mut cur: Option<Current> = None;
    // The text field being read: its local name, prefix, and where its content starts.
    let mut field: Option<(&str, &str, usize)> = None;
    for ev in Reader::new(text) {
        match ev {
            Event::Start(tag) => {
                let (prefix, local) = split_name(tag.name);
                if root.is_none() {
                    index = local.eq_ignore_ascii_case("sitemapindex");
                    root = Some(tag.name.to_string());
                }
                if local.eq_ignore_ascii_case("url") || local.eq_ignore_ascii_case("sitemap") {
                    if prefix.is_empty() || !is_media_prefix(prefix) {
                        finish(&mut cur, &mut out);
                        cur = Some(Current::default());
                    }
                } else if cur.is_some() && !tag.empty {
                    field = Some((local, prefix, tag.end));
                }
            }
            Event::End { name, at } => {
                let (_, local) = split_name(name);
                if let (Some((flocal, prefix, start)), Some(c)) = (field, cur.as_mut())
                    && flocal.eq_ignore_ascii_case(local)
                {
                    let value = text_of(&text[start..at]).trim().to_string();
                    let slot = match flocal.to_ascii_lowercase().as_str() {
                        "loc" if !is_media_prefix(prefix) => Some(&mut c.loc),
                        "lastmod" => Some(&mut c.lastmod),
                        "publication_date" => Some(&mut c.news_date),
                        "title" if prefix.eq_ignore_ascii_case("news") => Some(&mut c.title),
                        _ => None,
                    };
                    if let Some(slot) = slot
                        && slot.is_none()
                        && !value.is_empty()
                    {
                        *slot = Some(value);
                    }
                    field = None;
                }
                if local.eq_ignore_ascii_case("url") || local.eq_ignore_ascii_case("sitemap") {
                    finish(&mut cur, &mut out);
                }
            }
        }
    }
    finish(&mut cur, &mut out);
    let is_sitemap = root.as_deref().is_some_and(|r| {
        let (_, local) = split_name(r);
        local.eq_ignore_ascii_case("urlset") || local.eq_ignore_ascii_case("sitemapindex")
    });
    if !is_sitemap && out.is_empty() {
        return Err(NotASitemap(format!(
            "no <urlset> or <sitemapindex> (the document is a <{}>)",
            root.as_deref().unwrap_or("?")
        )));
    }
    Ok(if index {
        Sitemap::Index(out)
    } else {
        Sitemap::Urls(out)
    })
}

/// Image and video extensions have their own `<loc>`s, which are not pages.
fn is_media_prefix(prefix: &str) -> bool {
    ["image", "video", "xhtml"]
        .iter()
        .any(|p| prefix.eq_ignore_ascii_case(p))
}

fn finish(cur: &mut Option<Current>, out: &mut Vec<SitemapUrl>) {
    let Some(c) = cur.take() else {
        return;
    };
    let Some(loc) = c.loc else {
        return;
    };
    let date = c
        .news_date
        .as_deref()
        .and_then(parse_date)
        .or_else(|| c.lastmod.as_deref().and_then(parse_date));
    out.push(SitemapUrl {
        loc,
        date,
        title: c.title,
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn urls(s: Sitemap) -> Vec<SitemapUrl> {
        match s {
            Sitemap::Urls(u) => u,
            Sitemap::Index(_) => panic!("an index"),
        }
    }

    #[test]
    fn news_sitemap_with_arabic_titles_and_images() {
        let xml = r#"<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" xmlns:news="http://www.google.com/schemas/sitemap-news/0.9" xmlns:image="http://www.google.com/schemas/sitemap-image/1.1">
<url><loc>https://news.example.jo/local/2026/11/22/ضبط-مطلوب</loc>
  <image:image><image:loc>https://cdn.example.jo/a.jpg</image:loc></image:image>
  <news:news><news:publication><news:name>أخبار</news:name><news:language>ar</news:language></news:publication>
  <news:publication_date>2026-11-22T09:15:00+03:00</news:publication_date><news:title>ضبط مطلوب &amp; مصادرة أسلحة</news:title></news:news></url>
<url><loc>https://news.example.jo/local/2</loc><lastmod>2026-11-21</lastmod></url>
</urlset>"#;
        let u = urls(parse_sitemap(xml.as_bytes(), None, "https://news.example.jo/s.xml").unwrap());
        assert_eq!(u.len(), 2);
        assert_eq!(
            u[0].loc,
            "https://news.example.jo/local/2026/11/22/ضبط-مطلوب"
        );
        assert_eq!(u[0].title.as_deref(), Some("ضبط مطلوب & مصادرة أسلحة"));
        assert_eq!(u[0].date, parse_date("2026-11-22T06:15:00Z"));
        assert_eq!(u[1].date, parse_date("2026-11-21"));
    }

    #[test]
    fn index_gzip_and_text() {
        let index = r#"<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
<sitemap><loc>https://x.jo/news.xml</loc><lastmod>2026-11-22T10:00:00Z</lastmod></sitemap>
<sitemap><loc>https://x.jo/old.xml.gz</loc></sitemap></sitemapindex>"#;
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(index.as_bytes()).unwrap();
        let gz = gz.finish().unwrap();
        assert!(is_gzip(&gz));
        let Sitemap::Index(children) = parse_sitemap(&gz, None, "https://x.jo/s.xml.gz").unwrap()
        else {
            panic!("not an index");
        };
        assert_eq!(children.len(), 2);
        assert_eq!(children[1].loc, "https://x.jo/old.xml.gz");

        let text = "https://x.jo/a/1\n\nhttps://x.jo/a/2\n";
        assert_eq!(
            urls(parse_sitemap(text.as_bytes(), None, "https://x.jo/s.txt").unwrap()).len(),
            2
        );
        assert!(parse_sitemap(b"<html><body>x</body></html>", None, "https://x.jo/").is_err());
        assert!(parse_sitemap(&[0x1f, 0x8b, 1, 2, 3], None, "https://x.jo/").is_err());
    }

    #[test]
    fn gzip_bomb_is_refused() {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        gz.write_all(&vec![b' '; 1 << 20]).unwrap();
        let gz = gz.finish().unwrap();
        assert!(gz.len() < 10_000);
        let err = parse_sitemap_capped(&gz, None, "https://x.jo/s.xml.gz", 1 << 19).unwrap_err();
        assert!(err.0.contains("more than"), "{err:?}");
    }

    #[test]
    fn damaged_sitemap_keeps_what_came_before() {
        let xml = "<urlset><url><loc>https://x.jo/a?x=1&y=2</loc></url><url><loc>https://x.jo/b</loc></url><url><loc>https://x.j";
        let u = urls(parse_sitemap(xml.as_bytes(), None, "https://x.jo/s.xml").unwrap());
        assert_eq!(u.len(), 2);
        assert_eq!(u[0].loc, "https://x.jo/a?x=1&y=2");
    }
}
