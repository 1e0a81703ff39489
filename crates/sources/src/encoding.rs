//! Turning fetched bytes into text.
//!
//! The order: a byte-order mark wins; bytes that are valid UTF-8 stay UTF-8 (legacy text is
//! almost never valid UTF-8 by accident); otherwise the charset the response declares (the
//! `Content-Type` header, then `<meta charset>` or the XML prolog) is used, ignoring
//! declarations of UTF-8 that the bytes disprove, and a declared charset the bytes are not
//! (they do not decode cleanly, or a declared Western charset turns most letters into
//! accented Latin: Arabic windows-1256 labelled ISO-8859-1), where detection decides instead;
//! with no usable declaration, text that is
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
    decode(bytes, content_type, url).0.into_owned()
}

/// Decodes `bytes` and tells which encoding was used (its WHATWG name, or `UTF-32BE` /
/// `UTF-32LE`, which encoding_rs does not cover). Valid UTF-8 is borrowed, not copied.
pub(crate) fn decode<'a>(
    bytes: &'a [u8],
    content_type: Option<&str>,
    url: Option<&str>,
) -> (Cow<'a, str>, &'static str) {
    if let Some((big_endian, skip)) = sniff_utf32(bytes) {
        let name = if big_endian { "UTF-32BE" } else { "UTF-32LE" };
        return (Cow::Owned(decode_utf32(&bytes[skip..], big_endian)), name);
    }
    if let Some((enc, bom_len)) = Encoding::for_bom(bytes) {
        let (text, _) = enc.decode_without_bom_handling(&bytes[bom_len..]);
        return (text, enc.name());
    }
    // An XML document without a BOM still starts with "<?" in its encoding.
    let utf16 = match bytes {
        [0, b'<', 0, b'?', ..] => Some(UTF_16BE),
        [b'<', 0, b'?', 0, ..] => Some(UTF_16LE),
        _ => None,
    };
    if let Some(enc) = utf16 {
        let (text, _) = enc.decode_without_bom_handling(bytes);
        return (text, enc.name());
    }
    if let Ok(s) = std::str::from_utf8(bytes) {
        return (Cow::Borrowed(s), UTF_8.name());
    }
    let header_label = content_type.and_then(charset_label);
    let doc_label = sniff_declared_label(bytes);
    if [header_label, doc_label]
        .into_iter()
        .flatten()
        .any(is_ibm855)
    {
        // IBM855 (DOS Cyrillic) is not in the WHATWG set encoding_rs implements.
        return (Cow::Owned(decode_ibm855(bytes)), "IBM855");
    }
    let header = header_label.and_then(encoding_for_label);
    // A document cannot declare UTF-16 in ASCII-compatible bytes; treat that like UTF-8.
    let in_doc = doc_label
        .and_then(encoding_for_label)
        .map(|e| e.output_encoding());
    let legacy = [header, in_doc].into_iter().flatten().find(|e| *e != UTF_8);
    let enc = match legacy {
        Some(enc) => {
            let (text, had_errors) = enc.decode_without_bom_handling(bytes);
            if !had_errors && !looks_misdeclared(enc, &text) {
                return (text, enc.name());
            }
            // Declared wrongly: the bytes are not that encoding, or read as Latin they
            // are mojibake. Trust what detection says, unless it agrees.
            let guess = detect(bytes, url);
            if guess == enc || guess == UTF_8 {
                return (text, enc.name());
            }
            guess
        }
        // A UTF-8 declaration the bytes disprove counts for nothing: only damaged UTF-8
        // (mostly valid) is read as UTF-8.
        None if mostly_utf8(bytes) => UTF_8,
        None => detect(bytes, url),
    };
    let (text, _) = enc.decode_without_bom_handling(bytes);
    (text, enc.name())
}

/// True when text decoded with a declared Western single-byte encoding looks like another
/// script read wrongly: most of its letters are accented Latin ones (real French, German or
/// Hungarian text has far more plain ASCII letters than accented ones).
fn looks_misdeclared(enc: &'static Encoding, text: &str) -> bool {
    if enc != encoding_rs::WINDOWS_1252 && enc != encoding_rs::ISO_8859_15 {
        return false;
    }
    let (mut ascii, mut high) = (0usize, 0usize);
    for c in text.chars() {
        if c.is_ascii_alphabetic() {
            ascii += 1;
        } else if ('\u{C0}'..='\u{FF}').contains(&c) {
            high += 1;
        }
    }
    high > 40 && high * 2 > ascii
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

/// The encoding named by the `charset` parameter of a `Content-Type` value.
#[cfg(test)]
fn charset_from_content_type(content_type: &str) -> Option<&'static Encoding> {
    charset_label(content_type).and_then(encoding_for_label)
}

/// The `charset` parameter of a `Content-Type` value.
fn charset_label(content_type: &str) -> Option<&[u8]> {
    content_type.split(';').skip(1).find_map(|param| {
        let (k, v) = param.split_once('=')?;
        k.trim()
            .eq_ignore_ascii_case("charset")
            .then(|| v.trim().trim_matches(['"', '\'']).as_bytes())
    })
}

/// The encoding a charset label names: the WHATWG labels, plus the Mac Cyrillic names
/// feeds were written with (`MacCyrillic`, `mac-cyrillic`, `cp10007`).
fn encoding_for_label(label: &[u8]) -> Option<&'static Encoding> {
    let l = label.trim_ascii();
    let mac_cyrillic = [
        &b"maccyrillic"[..],
        b"mac-cyrillic",
        b"cp10007",
        b"x-mac-cyrillic",
    ];
    if mac_cyrillic.iter().any(|m| m.eq_ignore_ascii_case(l)) {
        return Some(encoding_rs::X_MAC_CYRILLIC);
    }
    Encoding::for_label(l)
}

/// True for the labels of IBM855.
fn is_ibm855(label: &[u8]) -> bool {
    let l = label.trim_ascii();
    [&b"ibm855"[..], b"cp855", b"855", b"csibm855"]
        .iter()
        .any(|n| n.eq_ignore_ascii_case(l))
}

/// IBM855's characters for bytes 0x80 to 0xFF.
const IBM855_HIGH: [u16; 128] = [
    0x0452, 0x0402, 0x0453, 0x0403, 0x0451, 0x0401, 0x0454, 0x0404, 0x0455, 0x0405, 0x0456, 0x0406,
    0x0457, 0x0407, 0x0458, 0x0408, 0x0459, 0x0409, 0x045A, 0x040A, 0x045B, 0x040B, 0x045C, 0x040C,
    0x045E, 0x040E, 0x045F, 0x040F, 0x044E, 0x042E, 0x044A, 0x042A, 0x0430, 0x0410, 0x0431, 0x0411,
    0x0446, 0x0426, 0x0434, 0x0414, 0x0435, 0x0415, 0x0444, 0x0424, 0x0433, 0x0413, 0x00AB, 0x00BB,
    0x2591, 0x2592, 0x2593, 0x2502, 0x2524, 0x0445, 0x0425, 0x0438, 0x0418, 0x2563, 0x2551, 0x2557,
    0x255D, 0x0439, 0x0419, 0x2510, 0x2514, 0x2534, 0x252C, 0x251C, 0x2500, 0x253C, 0x043A, 0x041A,
    0x255A, 0x2554, 0x2569, 0x2566, 0x2560, 0x2550, 0x256C, 0x00A4, 0x043B, 0x041B, 0x043C, 0x041C,
    0x043D, 0x041D, 0x043E, 0x041E, 0x043F, 0x2518, 0x250C, 0x2588, 0x2584, 0x041F, 0x044F, 0x2580,
    0x042F, 0x0440, 0x0420, 0x0441, 0x0421, 0x0442, 0x0422, 0x0443, 0x0423, 0x0436, 0x0416, 0x0432,
    0x0412, 0x044C, 0x042C, 0x2116, 0x00AD, 0x044B, 0x042B, 0x0437, 0x0417, 0x0448, 0x0428, 0x044D,
    0x042D, 0x0449, 0x0429, 0x0447, 0x0427, 0x00A7, 0x25A0, 0x00A0,
];

fn decode_ibm855(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|&b| {
            if b < 0x80 {
                char::from(b)
            } else {
                char::from_u32(u32::from(IBM855_HIGH[usize::from(b - 0x80)])).unwrap_or('\u{FFFD}')
            }
        })
        .collect()
}

/// The charset label declared inside the document: an XML prolog's `encoding="…"`, or a
/// `<meta charset="…">` / `<meta http-equiv content="…; charset=…">`, in the first bytes.
fn sniff_declared_label(bytes: &[u8]) -> Option<&[u8]> {
    let head = &bytes[..bytes.len().min(SNIFF_BYTES)];
    let lower: Vec<u8> = head.iter().map(u8::to_ascii_lowercase).collect();
    // XML prolog.
    let start = lower.iter().position(|b| !b.is_ascii_whitespace())?;
    if lower[start..].starts_with(b"<?xml") {
        let end = find(&lower[start..], b"?>").map_or(lower.len(), |e| start + e);
        if let Some(p) = find(&lower[start..end], b"encoding") {
            let at = start + p + b"encoding".len();
            if let Some(label) = attr_value(&head[at..end]) {
                return Some(label);
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
                && encoding_for_label(label).is_some()
            {
                return Some(label);
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
    fn windows_1256_declared_as_utf8() {
        let html =
            format!("<html><head><meta charset=\"utf-8\"></head><body>{ARABIC}</body></html>");
        let (bytes, _, _) = WINDOWS_1256.encode(&html);
        let (text, enc) = decode(
            &bytes,
            Some("text/html; charset=UTF-8"),
            Some("https://x.jo/"),
        );
        assert_eq!(enc, "windows-1256");
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
        assert_eq!(decode(&be, None, None), (Cow::Borrowed(doc), "UTF-16BE"));
        assert_eq!(decode(&le, None, None), (Cow::Borrowed(doc), "UTF-16LE"));
        let mut be32 = vec![0, 0, 0xFE, 0xFF];
        be32.extend(doc.chars().flat_map(|c| (c as u32).to_be_bytes()));
        assert_eq!(decode(&be32, None, None), (Cow::Borrowed(doc), "UTF-32BE"));
        let le32: Vec<u8> = doc.chars().flat_map(|c| (c as u32).to_le_bytes()).collect();
        assert_eq!(decode(&le32, None, None), (Cow::Borrowed(doc), "UTF-32LE"));
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
