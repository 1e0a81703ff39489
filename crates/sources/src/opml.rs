//! OPML, the subscription-list format feed readers import and export.
//!
//! [`parse_opml`] turns every `<outline>` with an `xmlUrl` into a feed source, and one with
//! only an `htmlUrl` (no children) into a site source, through any depth of folders. The
//! source's name is the outline's `title`, else its `text`, else the host; its id is a slug
//! of the name (ASCII: Arabic is transliterated, other scripts fall back to the host name),
//! made unique within the file. `allow_private` is never imported: a list from elsewhere must
//! not open the fetcher to private addresses.
//!
//! [`to_opml`] writes feed and site sources back (form exports are not subscriptions), with
//! Rasd's own settings in `rasd*` attributes so that an export imports back unchanged;
//! [`sources_toml_entries`] writes sources as `[[source]]` tables to append to
//! `sources.toml`; [`merge_sources`] drops imported sources already configured and renames
//! ids that clash.

use std::collections::HashSet;

use rasd_core::{FullText, Interval, Lang, SourceConfig, SourceKind, canonical_url};
use tracing::warn;

use crate::error::{Error, Result};
use crate::feed::xml::{Event, Reader, Tag};

/// Reads an OPML subscription list into sources (see the module docs). Outlines with an
/// address that is not `http(s)` are skipped with a warning; a document with no outline at
/// all is an error.
pub fn parse_opml(text: &str) -> Result<Vec<SourceConfig>> {
    let text = text.trim_start_matches(|c: char| c.is_whitespace() || c == '\u{feff}');
    let mut outlines = 0usize;
    let mut root = None;
    let mut out: Vec<SourceConfig> = Vec::new();
    let mut ids = HashSet::new();
    let mut urls = HashSet::new();
    // Outlines that are open: whether each was a folder (not a source itself).
    for ev in Reader::new(text) {
        let Event::Start(tag) = ev else {
            continue;
        };
        if root.is_none() {
            root = Some(tag.name.to_ascii_lowercase());
        }
        if !tag.name.eq_ignore_ascii_case("outline") {
            continue;
        }
        outlines += 1;
        let attr = |n: &str| {
            tag.attr(n)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        let feed_url = attr("xmlUrl");
        let page_url = attr("htmlUrl");
        let (kind, url) = match (feed_url, page_url) {
            (Some(x), _) => (SourceKind::Feed, x),
            // A page without a feed is a site source, unless the outline is a folder.
            (None, Some(h)) if tag.empty || attr("rasdKind").as_deref() == Some("site") => {
                (SourceKind::Site, h)
            }
            _ => continue,
        };
        let Some(url) = http_url(&url) else {
            warn!(outline = %url, reason = "bad_url", "OPML outline skipped: its address is not http(s).");
            continue;
        };
        if !urls.insert(canonical_url(&url)) {
            continue;
        }
        let name = attr("title")
            .or_else(|| attr("text"))
            .map(|n| n.split_whitespace().collect::<Vec<_>>().join(" "))
            .unwrap_or_else(|| host_of(&url).unwrap_or_else(|| url.clone()));
        let wanted = attr("rasdId")
            .filter(|i| valid_id(i))
            .unwrap_or_else(|| slug_for(&name, &url));
        let id = unique(&wanted, &mut ids);
        let mut source = SourceConfig::new(&id, &name, kind, &url);
        read_rasd_attributes(&tag, &mut source);
        out.push(source);
    }
    if outlines == 0 {
        return Err(Error::NotAFeed {
            url: "OPML".to_string(),
            message: match root {
                Some(r) if r != "opml" => format!(
                    "this is not an OPML subscription list (the document is a <{r}>, with no \
                     <outline> elements)"
                ),
                _ => "this OPML file lists no <outline> elements".to_string(),
            },
        });
    }
    Ok(out)
}

/// Rasd's own settings, written by [`to_opml`].
fn read_rasd_attributes(tag: &Tag<'_>, s: &mut SourceConfig) {
    let attr = |n: &str| {
        tag.attr(n)
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
    };
    if let Some(l) = attr("language").or_else(|| attr("rasdLang")) {
        let code = l.to_ascii_lowercase();
        let code = code.split(['-', '_']).next().unwrap_or("");
        if matches!(code, "ar" | "en") {
            s.lang = Some(Lang::from_code(code));
        }
    }
    s.interval = attr("rasdInterval").and_then(|i| i.parse::<Interval>().ok());
    s.fetch_full_text = match attr("rasdFullText").as_deref() {
        Some("always") => FullText::Always,
        Some("never") => FullText::Never,
        _ => FullText::Auto,
    };
    s.enabled = attr("rasdEnabled").as_deref() != Some("false");
    s.sections = attr("rasdSections")
        .map(|v| v.split_whitespace().filter_map(http_url).collect())
        .unwrap_or_default();
    s.link_pattern = attr("rasdLinkPattern").filter(|p| regex::Regex::new(p).is_ok());
    // Selectors the config loader would refuse are left out, as bad patterns are.
    let css = |v: String| rasd_core::css_selector_error(&v).is_none().then_some(v);
    s.link_selector = attr("rasdLinkSelector").and_then(css);
    s.article_selector = attr("rasdArticleSelector").and_then(css);
    s.sitemap = attr("rasdSitemap").and_then(|v| http_url(&v));
}

/// Writes feed and site sources as an OPML 2.0 subscription list (see the module docs).
pub fn to_opml(sources: &[SourceConfig]) -> String {
    let mut out = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<opml version=\"2.0\">\n  <head>\n    \
         <title>Rasd sources</title>\n  </head>\n  <body>\n",
    );
    for s in sources {
        let mut attrs: Vec<(&str, String)> =
            vec![("text", s.name.clone()), ("title", s.name.clone())];
        match s.kind {
            SourceKind::Feed => {
                attrs.push(("type", "rss".to_string()));
                attrs.push(("xmlUrl", s.url.clone()));
            }
            SourceKind::Site => {
                attrs.push(("type", "link".to_string()));
                attrs.push(("htmlUrl", s.url.clone()));
                attrs.push(("rasdKind", "site".to_string()));
            }
            SourceKind::FormExport => continue,
        }
        attrs.push(("rasdId", s.id.clone()));
        if let Some(l) = s.lang {
            attrs.push(("language", l.code().to_string()));
        }
        if let Some(i) = s.interval {
            attrs.push(("rasdInterval", i.to_string()));
        }
        match s.fetch_full_text {
            FullText::Auto => {}
            FullText::Always => attrs.push(("rasdFullText", "always".to_string())),
            FullText::Never => attrs.push(("rasdFullText", "never".to_string())),
        }
        if !s.enabled {
            attrs.push(("rasdEnabled", "false".to_string()));
        }
        if !s.sections.is_empty() {
            attrs.push(("rasdSections", s.sections.join(" ")));
        }
        if let Some(p) = &s.link_pattern {
            attrs.push(("rasdLinkPattern", p.clone()));
        }
        if let Some(p) = &s.link_selector {
            attrs.push(("rasdLinkSelector", p.clone()));
        }
        if let Some(p) = &s.article_selector {
            attrs.push(("rasdArticleSelector", p.clone()));
        }
        if let Some(p) = &s.sitemap {
            attrs.push(("rasdSitemap", p.clone()));
        }
        out.push_str("    <outline");
        for (k, v) in attrs {
            out.push_str(&format!(" {k}=\"{}\"", escape_attr(&v)));
        }
        out.push_str("/>\n");
    }
    out.push_str("  </body>\n</opml>\n");
    out
}

/// Writes sources as `[[source]]` tables for `sources.toml` (only the keys that differ from
/// the defaults).
pub fn sources_toml_entries(sources: &[SourceConfig]) -> String {
    let mut out = String::new();
    for s in sources {
        out.push_str("\n[[source]]\n");
        let mut line = |k: &str, v: String| out.push_str(&format!("{k} = {v}\n"));
        line("id", toml_str(&s.id));
        line("name", toml_str(&s.name));
        line("kind", toml_str(s.kind.code()));
        line("url", toml_str(&s.url));
        if let Some(l) = s.lang {
            line("lang", toml_str(l.code()));
        }
        if let Some(i) = s.interval {
            line("interval", toml_str(&i.to_string()));
        }
        match s.fetch_full_text {
            FullText::Auto => {}
            FullText::Always => line("fetch_full_text", toml_str("always")),
            FullText::Never => line("fetch_full_text", toml_str("never")),
        }
        if s.allow_private {
            line("allow_private", "true".to_string());
        }
        if !s.enabled {
            line("enabled", "false".to_string());
        }
        if !s.sections.is_empty() {
            let list: Vec<String> = s.sections.iter().map(|x| toml_str(x)).collect();
            line("sections", format!("[{}]", list.join(", ")));
        }
        if let Some(p) = &s.link_pattern {
            line("link_pattern", toml_str(p));
        }
        if let Some(p) = &s.link_selector {
            line("link_selector", toml_str(p));
        }
        if let Some(p) = &s.article_selector {
            line("article_selector", toml_str(p));
        }
        if let Some(p) = &s.sitemap {
            line("sitemap", toml_str(p));
        }
    }
    out
}

/// The imported sources that are new: those whose URL (canonical) no existing source has,
/// with ids renamed (`-2`, `-3`…) where they clash with an existing id.
pub fn merge_sources(existing: &[SourceConfig], imported: Vec<SourceConfig>) -> Vec<SourceConfig> {
    let urls: HashSet<String> = existing.iter().map(|s| canonical_url(&s.url)).collect();
    let mut ids: HashSet<String> = existing.iter().map(|s| s.id.clone()).collect();
    imported
        .into_iter()
        .filter(|s| !urls.contains(&canonical_url(&s.url)))
        .map(|mut s| {
            s.id = unique(&s.id, &mut ids);
            s
        })
        .collect()
}

/// A TOML basic string.
fn toml_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// An XML attribute value.
fn escape_attr(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            '\t' => out.push_str("&#9;"),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// An absolute http(s) URL, or nothing.
fn http_url(s: &str) -> Option<String> {
    let u = url::Url::parse(s.trim()).ok()?;
    (matches!(u.scheme(), "http" | "https") && u.host_str().is_some()).then(|| s.trim().to_string())
}

fn host_of(url: &str) -> Option<String> {
    let u = url::Url::parse(url).ok()?;
    let h = u.host_str()?.to_ascii_lowercase();
    Some(h.strip_prefix("www.").map(str::to_string).unwrap_or(h))
}

/// True for an id `sources.toml` accepts.
fn valid_id(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// The longest slug made from a name (the suffix for uniqueness fits beside it).
const SLUG_MAX: usize = 40;

/// An ASCII id for a source: its name transliterated and slugged, else its host's.
pub(crate) fn slug_for(name: &str, url: &str) -> String {
    let s = slug(name);
    if s.len() >= 2 {
        return s;
    }
    let host = host_of(url).unwrap_or_default();
    let s = slug(&host.replace('.', "-"));
    if s.is_empty() {
        "source".to_string()
    } else {
        s
    }
}

/// Lower-case ASCII letters and digits, words joined by `-`: Arabic (and Persian letters)
/// transliterated, accented Latin letters reduced to their base, anything else a separator.
fn slug(name: &str) -> String {
    let mut out = String::new();
    let mut sep = false;
    for c in name.chars() {
        let piece: &str = match translit(c) {
            Some(p) => p,
            None => {
                sep = true;
                continue;
            }
        };
        if piece.is_empty() {
            continue;
        }
        if sep && !out.is_empty() {
            out.push('-');
        }
        sep = false;
        out.push_str(piece);
        if out.len() >= SLUG_MAX {
            break;
        }
    }
    out.truncate(SLUG_MAX);
    out.trim_matches('-').to_string()
}

/// The ASCII spelling of a character in a slug: `Some("")` for marks to drop, `None` for a
/// separator.
fn translit(c: char) -> Option<&'static str> {
    const DIGITS: [&str; 10] = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"];
    const LOWER: [&str; 26] = [
        "a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l", "m", "n", "o", "p", "q", "r",
        "s", "t", "u", "v", "w", "x", "y", "z",
    ];
    if c.is_ascii_digit() {
        return Some(DIGITS[(c as u8 - b'0') as usize]);
    }
    if c.is_ascii_alphabetic() {
        return Some(LOWER[(c.to_ascii_lowercase() as u8 - b'a') as usize]);
    }
    if let Some(d) = rasd_core::text::ascii_digit(c) {
        return Some(DIGITS[(d as u8 - b'0') as usize]);
    }
    let s = match c {
        'ا' | 'أ' | 'آ' | 'ى' | 'ة' => "a",
        'إ' => "i",
        'ب' => "b",
        'ت' | 'ط' => "t",
        'ث' => "th",
        'ج' => "j",
        'ح' | 'ه' => "h",
        'خ' => "kh",
        'د' | 'ض' => "d",
        'ذ' => "dh",
        'ر' => "r",
        'ز' | 'ظ' => "z",
        'س' | 'ص' => "s",
        'ش' => "sh",
        'ع' | 'ء' => "",
        'غ' => "gh",
        'ف' => "f",
        'ق' => "q",
        'ك' | 'ک' => "k",
        'ل' => "l",
        'م' => "m",
        'ن' => "n",
        'و' | 'ؤ' => "w",
        'ي' | 'ئ' | 'ی' => "y",
        'پ' => "p",
        'چ' => "ch",
        'گ' => "g",
        'ژ' => "zh",
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'À' | 'Á' | 'Â' | 'Ã' | 'Ä' | 'Å' => "a",
        'ç' | 'Ç' => "c",
        'è' | 'é' | 'ê' | 'ë' | 'È' | 'É' | 'Ê' | 'Ë' => "e",
        'ì' | 'í' | 'î' | 'ï' | 'Ì' | 'Í' | 'Î' | 'Ï' => "i",
        'ñ' | 'Ñ' => "n",
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'Ò' | 'Ó' | 'Ô' | 'Õ' | 'Ö' | 'Ø' => "o",
        'ù' | 'ú' | 'û' | 'ü' | 'Ù' | 'Ú' | 'Û' | 'Ü' => "u",
        'ý' | 'ÿ' | 'Ý' => "y",
        'ß' => "ss",
        // Harakat, tatweel and other marks inside words.
        c if rasd_core::text::is_arabic_mark(c) || c == '\u{640}' || c == '\'' || c == '’' => "",
        _ => return None,
    };
    Some(s)
}

/// `wanted`, or `wanted-2`, `wanted-3`… the first not in `taken` (which it joins).
fn unique(wanted: &str, taken: &mut HashSet<String>) -> String {
    let mut id = wanted.to_string();
    let mut n = 2;
    while taken.contains(&id) {
        let suffix = format!("-{n}");
        let mut keep = wanted.len().min(64 - suffix.len());
        while !wanted.is_char_boundary(keep) {
            keep -= 1;
        }
        id = format!("{}{suffix}", &wanted[..keep]);
        n += 1;
    }
    taken.insert(id.clone());
    id
}

#[cfg(test)]
mod tests {
    use super::*;

    const OPML: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<opml version="1.0"><head><title>اشتراكاتي</title></head><body>
  <outline text="محلي" title="محلي">
    <outline text="أخبار الأردن" title="الغد" type="rss" xmlUrl="https://alghad.com/feed/" htmlUrl="https://alghad.com/"/>
    <outline text="رؤيا" type="rss" xmlUrl="https://royanews.tv/rss" language="ar-JO"/>
    <outline text="Folder in folder"><outline text="Jordan Times" type="rss" xmlUrl="https://jordantimes.com/rss.xml"/></outline>
  </outline>
  <outline text="الغد مكرر" type="rss" xmlUrl="https://alghad.com/feed/?utm_source=opml"/>
  <outline text="الغد" type="rss" xmlUrl="https://alghad.com/other-feed"/>
  <outline text="خبر" type="rss" xmlUrl="javascript:alert(1)"/>
  <outline text="موقع بلا خلاصة" htmlUrl="https://petra.gov.jo/"/>
  <outline text="中文新闻" type="rss" xmlUrl="https://www.example.cn/rss"/>
</body></opml>"#;

    #[test]
    fn arabic_titles_nested_folders_and_ids() {
        let s = parse_opml(OPML).unwrap();
        let got: Vec<(&str, &str, SourceKind)> = s
            .iter()
            .map(|s| (s.id.as_str(), s.name.as_str(), s.kind))
            .collect();
        assert_eq!(
            got,
            [
                ("alghd", "الغد", SourceKind::Feed),
                ("rwya", "رؤيا", SourceKind::Feed),
                ("jordan-times", "Jordan Times", SourceKind::Feed),
                ("alghd-2", "الغد", SourceKind::Feed),
                ("mwq-bla-khlasa", "موقع بلا خلاصة", SourceKind::Site),
                ("example-cn", "中文新闻", SourceKind::Feed),
            ]
        );
        assert_eq!(s[1].lang, Some(Lang::Ar));
        assert_eq!(s[4].url, "https://petra.gov.jo/");
        assert!(s.iter().all(|s| !s.allow_private && valid_id(&s.id)));
    }

    #[test]
    fn not_opml_is_an_error() {
        let err = parse_opml("<html><body>x</body></html>")
            .unwrap_err()
            .to_string();
        assert!(err.contains("not an OPML"), "{err}");
        assert!(parse_opml("").is_err());
        // An OPML file with folders only is valid and empty.
        assert!(
            parse_opml("<opml><body><outline text=\"a\"></outline></body></opml>")
                .unwrap()
                .is_empty()
        );
    }

    fn configured() -> Vec<SourceConfig> {
        let mut site = SourceConfig::new(
            "petra-site",
            "بترا \"الرسمية\" & <أخبار>",
            SourceKind::Site,
            "https://petra.gov.jo/",
        );
        site.sections = vec![
            "https://petra.gov.jo/local".into(),
            "https://petra.gov.jo/world".into(),
        ];
        site.link_pattern = Some(r"/Include/InnerPage\.jsp\?ID=\d+".into());
        site.link_selector = Some("h3.title > a".into());
        site.article_selector = Some("div.news-body p, [itemprop=\"articleBody\"]".into());
        site.sitemap = Some("https://petra.gov.jo/sitemap.xml".into());
        site.lang = Some(Lang::Ar);
        site.interval = Some("30m".parse().unwrap());
        let mut feed = SourceConfig::new(
            "alghad",
            "الغد",
            SourceKind::Feed,
            "https://alghad.com/feed/",
        );
        feed.fetch_full_text = FullText::Always;
        feed.article_selector = Some("#story > .text".into());
        feed.enabled = false;
        let form = SourceConfig::new(
            "form",
            "نموذج",
            SourceKind::FormExport,
            "file:///tmp/x.json",
        );
        vec![feed, site, form]
    }

    #[test]
    fn opml_round_trip() {
        let sources = configured();
        let back = parse_opml(&to_opml(&sources)).unwrap();
        assert_eq!(back.len(), 2, "the form export is not a subscription");
        for (a, b) in sources.iter().zip(&back) {
            assert_eq!(
                serde_json::to_value(a).unwrap(),
                serde_json::to_value(b).unwrap(),
                "{}",
                a.id
            );
        }
    }

    #[test]
    fn selectors_the_loader_would_refuse_are_not_imported() {
        let opml = r#"<opml version="2.0"><body>
  <outline text="A" type="rss" xmlUrl="https://a.example.jo/rss" rasdArticleSelector="div..body"/>
  <outline text="B" type="link" htmlUrl="https://b.example.jo/" rasdKind="site"
    rasdLinkSelector="h3 &gt;" rasdArticleSelector=" div.body "/>
</body></opml>"#;
        let s = parse_opml(opml).unwrap();
        assert_eq!(s[0].article_selector, None);
        assert_eq!(s[1].link_selector, None);
        assert_eq!(s[1].article_selector.as_deref(), Some("div.body"));
        let text = sources_toml_entries(&s);
        rasd_core::Config::from_texts(std::path::Path::new("config"), ["", &text, "", "", ""])
            .unwrap_or_else(|e| panic!("{e}\n{text}"));
    }

    #[test]
    fn toml_entries_load_as_config() {
        let mut sources = configured();
        sources[1].allow_private = true;
        let text = sources_toml_entries(&sources);
        let config =
            rasd_core::Config::from_texts(std::path::Path::new("config"), ["", &text, "", "", ""])
                .unwrap_or_else(|e| panic!("{e}\n{text}"));
        assert_eq!(config.sources.len(), 3);
        for (a, b) in sources.iter().zip(&config.sources) {
            assert_eq!(
                serde_json::to_value(a).unwrap(),
                serde_json::to_value(b).unwrap()
            );
        }
    }

    #[test]
    fn merge_skips_known_urls_and_renames_ids() {
        let existing = configured();
        let imported = parse_opml(OPML).unwrap();
        let merged = merge_sources(&existing, imported);
        assert!(merged.iter().all(|s| s.url != "https://alghad.com/feed/"));
        assert!(merged.iter().all(|s| s.url != "https://petra.gov.jo/"));
        let mut existing_ids: Vec<_> = existing.iter().map(|s| s.id.clone()).collect();
        existing_ids.extend(merged.iter().map(|s| s.id.clone()));
        let unique: HashSet<_> = existing_ids.iter().collect();
        assert_eq!(unique.len(), existing_ids.len());
    }

    #[test]
    fn slugs() {
        assert_eq!(slug("أخبار الأردن اليوم"), "akhbar-alardn-alywm");
        assert_eq!(slug("Café Amman ٢٠٢٦"), "cafe-amman-2026");
        assert_eq!(slug("الرَّأْي"), "alray");
        assert_eq!(
            slug_for("中文", "https://www.news.example.cn/rss"),
            "news-example-cn"
        );
        let mut taken = HashSet::new();
        assert_eq!(unique("a", &mut taken), "a");
        assert_eq!(unique("a", &mut taken), "a-2");
        assert_eq!(unique("a", &mut taken), "a-3");
        let long = "x".repeat(64);
        taken.insert(long.clone());
        assert_eq!(unique(&long, &mut taken).len(), 64);
    }
}
