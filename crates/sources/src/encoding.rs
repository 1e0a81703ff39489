//! Turning fetched bytes into text.
//!
//! The order: a byte-order mark wins; bytes that are valid UTF-8 stay UTF-8 (legacy text is
//! almost never valid UTF-8 by accident); otherwise the charset the response declares (the
//! `Content-Type` header, then `<meta charset>` or the XML prolog) is used, ignoring
//! declarations of UTF-8 that the bytes disprove; with no usable declaration, text that is
//! overwhelmingly UTF-8 with a few damaged bytes is decoded as UTF-8, and anything else is
//! guessed with chardetng, hinted by the URL's top-level domain (`.jo` favours windows-1256).

use std::borrow::Cow;

use chardetng::{EncodingDetector, Iso2022JpDetection, Utf8Detection};
use encoding_rs::{Encoding, UTF_8, UTF_16BE, UTF_16LE};

/// How many leading bytes are searched for a `<meta charset>` or XML prolog declaration.
const SNIFF_BYTES: usize = 4096;

/// Decodes `bytes` to text (see the module docs). The BOM is removed. `content_type` is the
/// HTTP header, `url` gives the top-level-domain hint for detection.
pub fn decode_text(bytes: &[u8], content_type: Option<&str>, url: Option<&str>) -> String {
    decode(bytes, content_type, url).0
}

/// Decodes `bytes` and tells which encoding was used (its WHATWG name, or `UTF-32BE` /
/// `UTF-32LE`, which encoding_rs does not cover).
pub(crate) fn decode(
    bytes: &[u8],
    content_type: Option<&str>,
    url: Option<&str>,
) -> (String, &'static str) {
    if let Some((big_endian, skip)) = sniff_utf32(bytes) {
        let name = if big_endian { "UTF-32BE" } else { "UTF-32LE" };
        return (decode_utf32(&bytes[skip..], big_endian), name);
    }
    if let Some((enc, bom_len)) = Encoding::for_bom(bytes) {
        let (text, _) = enc.decode_without_bom_handling(&bytes[bom_len..]);
        return (text.into_owned(), enc.name());
    }
    // An XML document without a BOM still starts with "<?" in its encoding.
    let utf16 = match bytes {
        [0, b'<', 0, b'?', ..] => Some(UTF_16BE),
        [b'<', 0, b'?', 0, ..] => Some(UTF_16LE),
        _ => None,
    };
    if let Some(enc) = utf16 {
        let (text, _) = enc.decode_without_bom_handling(bytes);
        return (text.into_owned(), enc.name());
    }
    if let Ok(s) = std::str::from_utf8(bytes) {
        return (s.to_string(), UTF_8.name());
    }
    let header = content_type.and_then(charset_from_content_type);
    // A document cannot declare UTF-16 in ASCII-compatible bytes; treat that like UTF-8.
    let in_doc = sniff_declared(bytes).map(|e| e.output_encoding());
    let declared_utf8 = header == Some(UTF_8) || in_doc == Some(UTF_8);
    let legacy = [header, in_doc].into_iter().flatten().find(|e| *e != UTF_8);
    let enc = match legacy {
        Some(enc) => enc,
        None if declared_utf8 || mostly_utf8(bytes) => UTF_8,
        None => detect(bytes, url),
    };
    let (text, _) = enc.decode_without_bom_handling(bytes);
    (text.into_owned(), enc.name())
}

/// UTF-32 by its BOM or by a leading `<` (whether big-endian, and the BOM length).
fn sniff_utf32(bytes: &[u8]) -> Option<(bool, usize)> {
    match bytes {
        [0, 0, 0xFE, 0xFF, ..] => Some((true, 4)),
        [0xFF, 0xFE, 0, 0, ..] => Some((false, 4)),
        [0, 0, 0, b'<', ..] => Some((true, 0)),
        [b'<', 0, 0, 0, ..] => Some((false, 0)),
        _ => None,
    }
}

fn decode_utf32(bytes: &[u8], big_endian: bool) -> String {
    bytes
        .chunks_exact(4)
        .map(|c| {
            let b = [c[0], c[1], c[2], c[3]];
            let v = if big_endian {
                u32::from_be_bytes(b)
            } else {
                u32::from_le_bytes(b)
            };
            char::from_u32(v).unwrap_or('\u{FFFD}')
        })
        .collect()
}

/// Decodes feed bytes to UTF-8 text whose XML prolog, if any, says `UTF-8`, so that an XML
/// parser reading it cannot decode it a second time with the original legacy charset.
pub(crate) fn feed_text(bytes: &[u8], content_type: Option<&str>, url: &str) -> String {
    let (text, _) = decode(bytes, content_type, Some(url));
    match rewrite_prolog_encoding(&text) {
        Cow::Borrowed(_) => text,
        Cow::Owned(t) => t,
    }
}

/// The encoding named by the `charset` parameter of a `Content-Type` value.
pub(crate) fn charset_from_content_type(content_type: &str) -> Option<&'static Encoding> {
    content_type.split(';').skip(1).find_map(|param| {
        let (k, v) = param.split_once('=')?;
        if k.trim().eq_ignore_ascii_case("charset") {
            Encoding::for_label(v.trim().trim_matches(['"', '\'']).as_bytes())
        } else {
            None
        }
    })
}

/// The encoding declared inside the document: an XML prolog's `encoding="…"`, or a
/// `<meta charset="…">` / `<meta http-equiv content="…; charset=…">`, in the first bytes.
pub(crate) fn sniff_declared(bytes: &[u8]) -> Option<&'static Encoding> {
    let head = &bytes[..bytes.len().min(SNIFF_BYTES)];
    let lower: Vec<u8> = head.iter().map(u8::to_ascii_lowercase).collect();
    // XML prolog.
    let start = lower.iter().position(|b| !b.is_ascii_whitespace())?;
    if lower[start..].starts_with(b"<?xml") {
        let end = find(&lower[start..], b"?>").map_or(lower.len(), |e| start + e);
        if let Some(p) = find(&lower[start..end], b"encoding") {
            let at = start + p + b"encoding".len();
            if let Some(label) = attr_value(&head[at..end]) {
                return Encoding::for_label(label);
            }
        }
    }
    // <meta … charset=…>
    let mut from = 0;
    while let Some(p) = find(&lower[from..], b"<meta") {
        let tag_start = from + p;
        let tag_end = lower[tag_start..]
            .iter()
            .position(|&b| b == b'>')
            .map_or(lower.len(), |e| tag_start + e);
        if let Some(c) = find(&lower[tag_start..tag_end], b"charset") {
            let at = tag_start + c + b"charset".len();
            if let Some(label) = attr_value(&head[at..tag_end])
                && let Some(enc) = Encoding::for_label(label)
            {
                return Some(enc);
            }
        }
        from = tag_end;
    }
    None
}

/// Reads `= "value"` (quotes optional) at the start of `rest`.
fn attr_value(rest: &[u8]) -> Option<&[u8]> {
    let mut i = 0;
    while i < rest.len() && rest[i].is_ascii_whitespace() {
        i += 1;
    }
    if rest.get(i) != Some(&b'=') {
        return None;
    }
    i += 1;
    while i < rest.len() && rest[i].is_ascii_whitespace() {
        i += 1;
    }
    if matches!(rest.get(i), Some(b'"' | b'\'')) {
        i += 1;
    }
    let start = i;
    while i < rest.len()
        && !matches!(rest[i], b'"' | b'\'' | b';' | b'>' | b'/' | b'?')
        && !rest[i].is_ascii_whitespace()
    {
        i += 1;
    }
    (i > start).then(|| &rest[start..i])
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// True when invalid sequences are rare next to valid multi-byte UTF-8 sequences: a UTF-8
/// document with a few damaged bytes, not a legacy one.
fn mostly_utf8(bytes: &[u8]) -> bool {
    let (mut valid_multibyte, mut invalid) = (0usize, 0usize);
    let mut rest = bytes;
    loop {
        match std::str::from_utf8(rest) {
            Ok(s) => {
                valid_multibyte += s.chars().filter(|c| !c.is_ascii()).count();
                break;
            }
            Err(e) => {
                let (good, bad) = rest.split_at(e.valid_up_to());
                valid_multibyte += std::str::from_utf8(good)
                    .map_or(0, |s| s.chars().filter(|c| !c.is_ascii()).count());
                invalid += 1;
                let skip = e.error_len().unwrap_or(bad.len()).max(1);
                rest = &bad[skip.min(bad.len())..];
                if rest.is_empty() {
                    break;
                }
            }
        }
    }
    invalid == 0 || valid_multibyte >= 20 * invalid
}

/// Guesses the encoding of undeclared legacy bytes with chardetng.
fn detect(bytes: &[u8], url: Option<&str>) -> &'static Encoding {
    let mut det = EncodingDetector::new(Iso2022JpDetection::Deny);
    det.feed(bytes, true);
    let tld = url.and_then(tld_hint);
    det.guess(tld.as_deref().map(str::as_bytes), Utf8Detection::Allow)
}

/// The top-level domain of `url`, in the form chardetng accepts (lower-case ASCII, no dot),
/// or `None` for IP addresses and unparsable URLs.
pub(crate) fn tld_hint(url: &str) -> Option<String> {
    let parsed = url::Url::parse(url).ok()?;
    let url::Host::Domain(host) = parsed.host()? else {
        return None;
    };
    let tld = host.trim_end_matches('.').rsplit('.').next()?;
    let ok = !tld.is_empty()
        && tld
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    ok.then(|| tld.to_string())
}

/// Replaces the value of `encoding="…"` in a leading XML prolog with `UTF-8`.
fn rewrite_prolog_encoding(text: &str) -> Cow<'_, str> {
    let trimmed = text.trim_start_matches(|c: char| c.is_whitespace() || c == '\u{feff}');
    let offset = text.len() - trimmed.len();
    if !trimmed.starts_with("<?xml") {
        return Cow::Borrowed(text);
    }
    let Some(end) = trimmed.find("?>") else {
        return Cow::Borrowed(text);
    };
    let prolog = &trimmed[..end];
    let Some(p) = prolog.find("encoding") else {
        return Cow::Borrowed(text);
    };
    let after = &prolog[p + "encoding".len()..];
    let Some(q) = after.find(['"', '\'']) else {
        return Cow::Borrowed(text);
    };
    let quote = after.as_bytes()[q] as char;
    let Some(len) = after[q + 1..].find(quote) else {
        return Cow::Borrowed(text);
    };
    let value_start = offset + p + "encoding".len() + q + 1;
    let value_end = value_start + len;
    if text[value_start..value_end].eq_ignore_ascii_case("utf-8") {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    out.push_str(&text[offset..value_start]);
    out.push_str("UTF-8");
    out.push_str(&text[value_end..]);
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use encoding_rs::{ISO_8859_6, WINDOWS_1256};

    const ARABIC: &str = "أعلنت مديرية الأمن العام اليوم عن ضبط عصابة سرقة في محافظة الزرقاء، \
                          وقال الناطق الإعلامي إن التحقيقات مستمرة مع المتهمين.";

    #[test]
    fn utf8_stays_and_bom_is_removed() {
        let mut bytes = vec![0xEF, 0xBB, 0xBF];
        bytes.extend_from_slice(ARABIC.as_bytes());
        assert_eq!(decode_text(&bytes, None, None), ARABIC);
        // A wrong legacy header does not spoil valid UTF-8.
        assert_eq!(
            decode_text(
                ARABIC.as_bytes(),
                Some("text/html; charset=windows-1256"),
                None
            ),
            ARABIC
        );
    }

    #[test]
    fn header_charset_windows_1256() {
        let (bytes, _, _) = WINDOWS_1256.encode(ARABIC);
        let text = decode_text(&bytes, Some("text/html; charset=\"windows-1256\""), None);
        assert_eq!(text, ARABIC);
    }

    #[test]
    fn meta_charset_iso_8859_6() {
        let plain = "ضبط مطلوب في اربد";
        let html = format!(
            "<html><head><meta http-equiv=\"Content-Type\" content=\"text/html; charset=ISO-8859-6\"></head><body>{plain}</body></html>"
        );
        let (bytes, _, unmappable) = ISO_8859_6.encode(&html);
        assert!(!unmappable);
        let text = decode_text(&bytes, Some("text/html"), None);
        assert!(text.contains(plain), "{text}");
    }

    #[test]
    fn header_claiming_utf8_is_ignored_when_bytes_disprove_it() {
        let doc = format!("<?xml version=\"1.0\" encoding=\"windows-1256\"?><p>{ARABIC}</p>");
        let (bytes, _, _) = WINDOWS_1256.encode(&doc);
        let text = decode_text(&bytes, Some("text/xml; charset=utf-8"), None);
        assert!(text.contains(ARABIC));
    }

    #[test]
    fn undeclared_windows_1256_is_detected_with_jo_hint() {
        let (bytes, _, _) = WINDOWS_1256.encode(ARABIC);
        let (text, enc) = decode(&bytes, None, Some("https://news.example.jo/a/1"));
        assert_eq!(enc, "windows-1256");
        assert_eq!(text, ARABIC);
    }

    #[test]
    fn undeclared_iso_8859_6_is_detected() {
        let (bytes, _, unmappable) = ISO_8859_6.encode(ARABIC);
        assert!(!unmappable);
        let (text, enc) = decode(&bytes, None, Some("https://news.example.jo/a/1"));
        assert_eq!(enc, "ISO-8859-6");
        assert_eq!(text, ARABIC);
    }

    #[test]
    fn damaged_utf8_stays_utf8() {
        let mut bytes = ARABIC.as_bytes().to_vec();
        bytes.insert(10, 0xFF);
        let text = decode_text(&bytes, None, None);
        assert!(text.contains("مديرية الأمن العام"));
    }

    #[test]
    fn utf16_and_utf32_without_bom() {
        let doc = "<?xml version=\"1.0\" encoding=\"utf-16\"?><rss>أمن</rss>";
        let be: Vec<u8> = doc.encode_utf16().flat_map(u16::to_be_bytes).collect();
        let le: Vec<u8> = doc.encode_utf16().flat_map(u16::to_le_bytes).collect();
        assert_eq!(decode(&be, None, None), (doc.to_string(), "UTF-16BE"));
        assert_eq!(decode(&le, None, None), (doc.to_string(), "UTF-16LE"));
        let mut be32 = vec![0, 0, 0xFE, 0xFF];
        be32.extend(doc.chars().flat_map(|c| (c as u32).to_be_bytes()));
        assert_eq!(decode(&be32, None, None), (doc.to_string(), "UTF-32BE"));
        let le32: Vec<u8> = doc.chars().flat_map(|c| (c as u32).to_le_bytes()).collect();
        assert_eq!(decode(&le32, None, None), (doc.to_string(), "UTF-32LE"));
    }

    #[test]
    fn prolog_is_rewritten_after_decoding() {
        let doc = "<?xml version=\"1.0\" encoding='ISO-8859-6'?>\n<rss/>";
        assert_eq!(
            rewrite_prolog_encoding(doc),
            "<?xml version=\"1.0\" encoding='UTF-8'?>\n<rss/>"
        );
        assert!(matches!(
            rewrite_prolog_encoding("<?xml version=\"1.0\"?><rss/>"),
            Cow::Borrowed(_)
        ));
    }

    /// The shared real snippets, when present: undeclared windows-1256 and ISO-8859-6.
    #[test]
    fn real_undeclared_arabic_snippets() {
        let Some(dir) = rasd_core::shared_data::shared_data("feeds/arabic-legacy-snippets") else {
            eprintln!("skipped: the shared feeds are absent");
            return;
        };
        let Ok(entries) = std::fs::read_dir(&dir) else {
            eprintln!("skipped: {} is unreadable", dir.display());
            return;
        };
        let mut seen = 0;
        for e in entries.flatten() {
            let bytes = std::fs::read(e.path()).unwrap();
            for url in [None, Some("https://news.example.jo/")] {
                let text = decode_text(&bytes, Some("text/html"), url);
                assert!(
                    text.contains("كتائب") && text.contains("قطاع غزة"),
                    "{}: {}",
                    e.path().display(),
                    text.chars().take(200).collect::<String>()
                );
            }
            seen += 1;
        }
        assert_eq!(seen, 2);
    }

    #[test]
    fn tld_hints() {
        assert_eq!(
            tld_hint("https://www.Petra.gov.JO/rss").as_deref(),
            Some("jo")
        );
        assert_eq!(tld_hint("http://127.0.0.1:8080/"), None);
        assert!(tld_hint("https://مثال.الأردن/").unwrap().starts_with("xn--"));
        assert_eq!(tld_hint("not a url"), None);
    }

    #[test]
    fn unknown_labels_fall_back() {
        assert_eq!(
            charset_from_content_type("text/html; charset=bogus-9"),
            None
        );
        assert_eq!(
            charset_from_content_type("text/html;CHARSET=cp1256"),
            Some(WINDOWS_1256)
        );
    }
}
