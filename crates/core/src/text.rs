//! Arabic and English text normalization, shared by enrichment rules and search so that a
//! rule, a query and a document agree on what a word is.
//!
//! [`normalize`] is the search form: Arabic diacritics (harakat, tanwin, shadda, sukun,
//! superscript alef, Quranic marks), tatweel, bidi and zero-width marks removed; alef forms
//! (أ إ آ ٱ) → ا; ؤ → و; ئ → ي; Arabic-Indic and Persian digits → ASCII; Latin lower-cased.
//! It keeps ة and ى, because the Snowball Arabic stemmer relies on them.
//! [`normalize_for_matching`] adds ة → ه and ى → ي, for rules and gazetteers.
//! [`tokens`] splits normalized text into words; [`strip_clitics`] removes the proclitics
//! و ف ب ل ك and the article ال from an Arabic word.
//!
//! [`neutralize_bidi`] is for display, not matching: it removes the bidi controls that could
//! make a title from a feed display as something else, and leaves everything else as it is.

/// True for Arabic combining marks that carry no letter: harakat, tanwin, shadda, sukun,
/// superscript alef and Quranic annotation signs.
pub fn is_arabic_mark(c: char) -> bool {
    matches!(c,
        '\u{0610}'..='\u{061A}'
        | '\u{064B}'..='\u{065F}'
        | '\u{0670}'
        | '\u{06D6}'..='\u{06DC}'
        | '\u{06DF}'..='\u{06E8}'
        | '\u{06EA}'..='\u{06ED}'
        | '\u{08D3}'..='\u{08FF}')
}

/// True for characters that only steer display: bidi controls, zero-width characters, BOM,
/// soft hyphen and tatweel.
pub fn is_invisible(c: char) -> bool {
    matches!(c,
        '\u{0640}'            // tatweel
        | '\u{00AD}'          // soft hyphen
        | '\u{061C}'          // Arabic letter mark
        | '\u{200B}'..='\u{200F}'
        | '\u{202A}'..='\u{202E}'
        | '\u{2060}'..='\u{2064}'
        | '\u{2066}'..='\u{2069}'
        | '\u{FEFF}')
}

/// Maps Arabic-Indic (٠–٩) and Persian (۰–۹) digits to ASCII.
pub fn ascii_digit(c: char) -> Option<char> {
    match c {
        '\u{0660}'..='\u{0669}' => char::from_digit(c as u32 - 0x0660, 10),
        '\u{06F0}'..='\u{06F9}' => char::from_digit(c as u32 - 0x06F0, 10),
        _ => None,
    }
}

fn fold_char(c: char, matching: bool, out: &mut String) {
    // Fast paths: ASCII, and the Arabic letters that stay as they are.
    if c.is_ascii() {
        out.push(c.to_ascii_lowercase());
        return;
    }
    if matches!(c, '\u{0621}'..='\u{064A}')
        && !matches!(c, 'أ' | 'إ' | 'آ' | 'ؤ' | 'ئ' | 'ى' | 'ة' | '\u{0640}')
    {
        out.push(c);
        return;
    }
    if is_arabic_mark(c) || is_invisible(c) {
        return;
    }
    if let Some(d) = ascii_digit(c) {
        out.push(d);
        return;
    }
    let mapped = match c {
        'أ' | 'إ' | 'آ' | 'ٱ' | 'ٲ' | 'ٳ' => 'ا',
        'ؤ' => 'و',
        'ئ' => 'ي',
        'ک' => 'ك',
        'ی' | 'ې' => 'ي',
        'ى' if matching => 'ي',
        'ة' if matching => 'ه',
        '\u{066B}' => '.', // Arabic decimal separator
        '\u{066C}' => ',', // Arabic thousands separator
        '،' => ',',
        '؛' => ';',
        '؟' => '?',
        _ => {
            if c.is_uppercase() {
                out.extend(c.to_lowercase());
                return;
            }
            c
        }
    };
    out.push(mapped);
}

/// True when `c` is its own normalized form (most ASCII and Arabic letters): such runs are
/// copied as they are.
#[inline]
const fn unchanged(c: char, matching: bool) -> bool {
    if c.is_ascii() {
        return !c.is_ascii_uppercase();
    }
    matches!(c, '\u{0621}'..='\u{064A}')
        && !matches!(c, 'أ' | 'إ' | 'آ' | 'ؤ' | 'ئ' | '\u{0640}')
        && !(matching && matches!(c, 'ى' | 'ة'))
}

/// Which bytes make [`fold`] look closer, at index `class | byte` where `class` is the
/// [`BYTE_CLASS`] of the byte before (0: other, 256: 0xD8, 512: 0xD9): after other bytes,
/// ASCII capitals and the lead bytes of characters outside U+0600–U+067F; after 0xD8 or 0xD9,
/// the second bytes of the Arabic characters that are not [`unchanged`].
type Attention = [bool; 1024];

/// The class of a byte for the [`Attention`] of the byte after it.
static BYTE_CLASS: [u16; 256] = {
    let mut table = [0u16; 256];
    table[0xD8] = 256;
    table[0xD9] = 512;
    table
};

const fn attention(matching: bool) -> Attention {
    let mut table = [false; 1024];
    let mut b = 0;
    while b < 256 {
        let byte = b as u8;
        table[b] = byte.is_ascii_uppercase() || (byte >= 0xC0 && byte & 0xFE != 0xD8);
        if byte & 0xC0 == 0x80 {
            let low = (b & 0x3F) as u32;
            let mut lead = 0;
            while lead < 2 {
                if let Some(c) = char::from_u32(0x0600 + lead * 0x40 + low) {
                    table[256 * (1 + lead as usize) + b] = !unchanged(c, matching);
                }
                lead += 1;
            }
        }
        b += 1;
    }
    table
}

static ATTENTION_SEARCH: Attention = attention(false);
static ATTENTION_MATCHING: Attention = attention(true);

/// Copies `text` in runs of characters that stay as they are, folding the others one by one.
/// Works on bytes: one table lookup per byte, by the byte and the class of the byte before,
/// finds the characters that may change (see [`Attention`]), so ASCII and Arabic letters are
/// passed over without decoding and without a branch on their script.
fn fold(text: &str, matching: bool) -> String {
    let attention = if matching {
        &ATTENTION_MATCHING
    } else {
        &ATTENTION_SEARCH
    };
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let (mut run, mut i) = (0, 0);
    let mut class = 0usize;
    while i < bytes.len() {
        let b = bytes[i];
        if !attention[(class | usize::from(b)) & 1023] {
            class = usize::from(BYTE_CLASS[usize::from(b)]);
            i += 1;
            continue;
        }
        // The character starts at the lead byte before when `b` is a second byte.
        let start = if class == 0 { i } else { i - 1 };
        let Some(c) = text[start..].chars().next() else {
            break;
        };
        let end = start + c.len_utf8();
        if !unchanged(c, matching) {
            out.push_str(&text[run..start]);
            fold_char(c, matching, &mut out);
            run = end;
        }
        class = 0;
        i = end;
    }
    out.push_str(&text[run..]);
    out
}

/// The search form of `text` (see the module docs).
pub fn normalize(text: &str) -> String {
    fold(text, false)
}

/// The matching form of `text`: [`normalize`] plus ة → ه and ى → ي.
pub fn normalize_for_matching(text: &str) -> String {
    fold(text, true)
}

/// True for the characters words are made of (letters and digits, as
/// [`char::is_alphanumeric`]), with fast paths for ASCII and Arabic letters so the Unicode
/// tables are rarely consulted.
#[inline]
pub fn is_word_char(c: char) -> bool {
    if c.is_ascii() {
        c.is_ascii_alphanumeric()
    } else {
        matches!(c, '\u{0620}'..='\u{064A}')
            || BMP_CLASSES.is(c, ALPHANUMERIC, char::is_alphanumeric)
    }
}

/// True for letters ([`char::is_alphabetic`]), with the same fast paths as [`is_word_char`].
#[inline]
pub fn is_letter(c: char) -> bool {
    if c.is_ascii() {
        c.is_ascii_alphabetic()
    } else {
        matches!(c, '\u{0620}'..='\u{064A}') || BMP_CLASSES.is(c, ALPHABETIC, char::is_alphabetic)
    }
}

const ALPHABETIC: usize = 0;
const ALPHANUMERIC: usize = 1;

/// [`char::is_alphabetic`] and [`char::is_alphanumeric`] of every character of the Basic
/// Multilingual Plane as bits, made once: the standard library answers outside ASCII by a
/// search of its tables, which showed as a tenth of the pipeline's time on feeds in
/// Cyrillic, Hebrew and the CJK scripts.
static BMP_CLASSES: std::sync::LazyLock<BmpClasses> = std::sync::LazyLock::new(BmpClasses::new);

struct BmpClasses([Box<[u64]>; 2]);

impl BmpClasses {
    fn new() -> BmpClasses {
        let mut alpha = vec![0u64; 1024].into_boxed_slice();
        let mut alnum = vec![0u64; 1024].into_boxed_slice();
        for cp in 0..0x1_0000u32 {
            let Some(c) = char::from_u32(cp) else {
                continue;
            };
            let (word, bit) = ((cp >> 6) as usize, 1u64 << (cp & 63));
            if c.is_alphabetic() {
                alpha[word] |= bit;
            }
            if c.is_alphanumeric() {
                alnum[word] |= bit;
            }
        }
        BmpClasses([alpha, alnum])
    }

    #[inline]
    fn is(&self, c: char, class: usize, slow: fn(char) -> bool) -> bool {
        let cp = c as u32;
        if cp < 0x1_0000 {
            self.0[class][(cp >> 6) as usize] & (1u64 << (cp & 63)) != 0
        } else {
            slow(c)
        }
    }
}

/// The byte length of the character at byte `i` of `text` (a char boundary) and whether it
/// is a [`is_word_char`]; ASCII and the common two-byte Arabic letters are judged without
/// decoding.
#[inline(always)]
pub fn word_char_at(text: &str, i: usize) -> (bool, usize) {
    let bytes = text.as_bytes();
    let b = bytes[i];
    if b < 0x80 {
        return (b.is_ascii_alphanumeric(), 1);
    }
    if let Some(offset) = arabic_offset(b, bytes.get(i + 1))
        && (0x20..=0x4A).contains(&offset)
    {
        // U+0620–U+064A.
        return (true, 2);
    }
    decoded_word_char_at(text, i)
}

/// For a two-byte UTF-8 sequence led by 0xD8 or 0xD9 (U+0600–U+067F, the common Arabic
/// block), the code point minus 0x600. Computed without telling the two lead bytes apart,
/// since in Arabic text they alternate unpredictably.
#[inline(always)]
fn arabic_offset(lead: u8, next: Option<&u8>) -> Option<u32> {
    if lead & 0xFE != 0xD8 {
        return None;
    }
    next.map(|&b2| (u32::from(lead & 1) << 6) | u32::from(b2 & 0x3F))
}

/// [`word_char_at`] for the other characters.
#[inline(never)]
fn decoded_word_char_at(text: &str, i: usize) -> (bool, usize) {
    text[i..]
        .chars()
        .next()
        .map_or((false, 1), |c| (is_word_char(c), c.len_utf8()))
}

/// The words of already-normalized text: maximal runs of letters and digits.
pub fn tokens(normalized: &str) -> impl Iterator<Item = &str> {
    Tokens {
        text: normalized,
        pos: 0,
    }
}

/// The iterator of [`tokens`].
struct Tokens<'a> {
    text: &'a str,
    pos: usize,
}

impl<'a> Iterator for Tokens<'a> {
    type Item = &'a str;

    #[inline]
    fn next(&mut self) -> Option<&'a str> {
        let len = self.text.len();
        let mut i = self.pos;
        // Skip to the start of a word.
        let start = loop {
            if i >= len {
                self.pos = len;
                return None;
            }
            let (word, n) = word_char_at(self.text, i);
            if word {
                break i;
            }
            i += n;
        };
        i = start;
        while i < len {
            let (word, n) = word_char_at(self.text, i);
            if !word {
                break;
            }
            i += n;
        }
        self.pos = i;
        Some(&self.text[start..i])
    }
}

/// True when the word is written in Arabic script.
#[inline]
pub fn is_arabic_word(word: &str) -> bool {
    match word.as_bytes() {
        // U+0620–U+063F; U+0600–U+061F are not letters.
        [0xD8, b, ..] => *b >= 0xA0,
        // U+0640–U+064A and U+066E–U+067F; U+064B–U+066D are not.
        [0xD9, b, ..] => *b <= 0x8A || *b >= 0xAE,
        _ => word.chars().next().is_some_and(is_arabic_letter),
    }
}

/// True for letters of the Arabic script blocks.
pub fn is_arabic_letter(c: char) -> bool {
    matches!(c, '\u{0620}'..='\u{064A}' | '\u{066E}'..='\u{06D3}' | '\u{06FA}'..='\u{06FF}' | '\u{0750}'..='\u{077F}')
}

/// The share of letters in `text` that are Arabic script (0 when there are no letters).
pub fn arabic_share(text: &str) -> f32 {
    let (mut arabic, mut letters) = (0u32, 0u32);
    let letter = |c: &char| is_letter(*c);
    for c in text.chars().filter(letter) {
        letters += 1;
        if is_arabic_letter(c) {
            arabic += 1;
        }
    }
    if letters == 0 {
        0.0
    } else {
        arabic as f32 / letters as f32
    }
}

/// Removes the proclitics of a normalized Arabic word: one of و ف, then one of ب ك ل, then
/// the article ال (or the ل of لل), as long as at least two letters remain. Non-Arabic words
/// are returned unchanged.
///
/// `والشرطة` → `شرطة`, `بالأمن` → `امن` (after [`normalize`]), `للسير` → `سير`.
pub fn strip_clitics(word: &str) -> &str {
    if !is_arabic_word(word) {
        return word;
    }
    let mut w = word;
    // Conjunction.
    if let Some(rest) = strip_prefix_bytes(w, WAW).or_else(|| strip_prefix_bytes(w, FA))
        && rest.as_bytes().starts_with(AL)
        && has_at_least_chars(rest, 4)
    {
        w = rest;
    }
    // Preposition + article: بال كال لل.
    for prep in [BAL, KAL, FAL, WAL] {
        if let Some(rest) = strip_prefix_bytes(w, prep)
            && has_at_least_chars(rest, 2)
        {
            return rest;
        }
    }
    if let Some(rest) = strip_prefix_bytes(w, LL)
        && has_at_least_chars(rest, 2)
    {
        return rest;
    }
    if let Some(rest) = strip_prefix_bytes(w, AL)
        && has_at_least_chars(rest, 2)
    {
        return rest;
    }
    w
}

/// The UTF-8 bytes of Arabic proclitic letters and prefixes, as fixed-size arrays for
/// [`strip_prefix_bytes`] (shared with the enrich crate's place forms).
pub mod clitic_bytes {
    /// و
    pub const WAW: &[u8; 2] = "و".as_bytes().first_chunk().unwrap();
    /// ف
    pub const FA: &[u8; 2] = "ف".as_bytes().first_chunk().unwrap();
    /// ب
    pub const BA: &[u8; 2] = "ب".as_bytes().first_chunk().unwrap();
    /// ك
    pub const KAF: &[u8; 2] = "ك".as_bytes().first_chunk().unwrap();
    /// ل
    pub const LAM: &[u8; 2] = "ل".as_bytes().first_chunk().unwrap();
    /// ال
    pub const AL: &[u8; 4] = "ال".as_bytes().first_chunk().unwrap();
    /// لل
    pub const LL: &[u8; 4] = "لل".as_bytes().first_chunk().unwrap();
    /// بال
    pub const BAL: &[u8; 6] = "بال".as_bytes().first_chunk().unwrap();
    /// كال
    pub const KAL: &[u8; 6] = "كال".as_bytes().first_chunk().unwrap();
    /// فال
    pub const FAL: &[u8; 6] = "فال".as_bytes().first_chunk().unwrap();
    /// وال
    pub const WAL: &[u8; 6] = "وال".as_bytes().first_chunk().unwrap();
}

use clitic_bytes::{AL, BAL, FA, FAL, KAL, LL, WAL, WAW};

/// `s` without the prefix `p` (the UTF-8 bytes of whole characters), compared as a
/// fixed-size array.
#[inline]
pub fn strip_prefix_bytes<'a, const N: usize>(s: &'a str, p: &[u8; N]) -> Option<&'a str> {
    if s.as_bytes().first_chunk::<N>()? == p {
        s.get(N..)
    } else {
        None
    }
}

/// True when `s` has at least `n` characters (counted only when the byte length leaves
/// doubt).
#[inline]
pub fn has_at_least_chars(s: &str, n: usize) -> bool {
    if s.len() < n {
        false
    } else if s.len() > 4 * n.saturating_sub(1) {
        true
    } else {
        s.chars().nth(n - 1).is_some()
    }
}

/// True for the bidi controls that open or close an embedding, an override or an isolate:
/// U+202A–U+202E (LRE, RLE, PDF, LRO, RLO) and U+2066–U+2069 (LRI, RLI, FSI, PDI).
pub fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// True for the bidi marks: U+200E (left-to-right mark), U+200F (right-to-left mark) and
/// U+061C (Arabic letter mark).
pub fn is_bidi_mark(c: char) -> bool {
    matches!(c, '\u{200E}' | '\u{200F}' | '\u{061C}')
}

/// True for letters of the right-to-left scripts (Hebrew, Arabic, Syriac, Thaana, N'Ko,
/// Samaritan, Mandaic and their presentation forms).
fn is_rtl_letter(c: char) -> bool {
    matches!(c, '\u{0590}'..='\u{08FF}' | '\u{FB1D}'..='\u{FDFF}' | '\u{FE70}'..='\u{FEFF}'
        | '\u{10800}'..='\u{10FFF}' | '\u{1E800}'..='\u{1EFFF}')
        && is_letter(c)
}

/// `text` made safe to show to people: without the bidi controls that can reorder what is
/// displayed. Stored text stays as fetched; this is for display only (web pages, the JSON
/// API's display fields, digests).
///
/// - Embeddings, overrides and isolates ([`is_bidi_control`]) are removed:
///   `"Invoice\u{202E}gpj.exe"` would otherwise display as "Invoiceexe.jpg"; without the
///   override it reads "Invoicegpj.exe", as it truly is. Pages isolate each string
///   themselves (`dir="auto"`, `<bdi>`), so nothing legitimate is lost.
/// - The marks LRM, RLM and ALM ([`is_bidi_mark`]) are kept in text that has right-to-left
///   letters: publishers of Arabic use them to keep punctuation and numbers in place, and
///   they cannot reverse the letters of a word. In text without right-to-left letters they
///   have no such job and could only reorder words (`"\u{200F}jpg\u{200F}.\u{200F}exe"`
///   displays as "exe.jpg"), so there they are removed.
///
/// Text with nothing to remove is borrowed, not copied. Unlike [`normalize`], nothing else
/// changes (letters, harakat, zero-width joiners and digits stay).
pub fn neutralize_bidi(text: &str) -> std::borrow::Cow<'_, str> {
    use std::borrow::Cow;
    let controls = text.chars().any(is_bidi_control);
    let marks = text.chars().any(is_bidi_mark);
    if !controls && !marks {
        return Cow::Borrowed(text);
    }
    let keep_marks = marks && text.chars().any(is_rtl_letter);
    if !controls && keep_marks {
        return Cow::Borrowed(text);
    }
    Cow::Owned(
        text.chars()
            .filter(|&c| !is_bidi_control(c) && (keep_marks || !is_bidi_mark(c)))
            .collect(),
    )
}

/// Hashtags written in camel case split into their words: `#NepalEarthquake` reads
/// `#Nepal Earthquake`, `#BostonMarathon2013` `#Boston Marathon 2013`, `#USAToday`
/// `#USA Today`. Only Latin letters are split (an Arabic hashtag joins its words with `_`,
/// which is already a word boundary); text without a `#` is returned as it is.
pub fn split_hashtags(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.as_bytes().contains(&b'#') {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    let mut rest = text;
    while let Some(at) = rest.find('#') {
        out.push_str(&rest[..=at]);
        rest = &rest[at + 1..];
        let end = rest
            .find(|c: char| !c.is_ascii_alphanumeric())
            .unwrap_or(rest.len());
        let tag = &rest.as_bytes()[..end];
        for (i, &b) in tag.iter().enumerate() {
            if i > 0 {
                let prev = tag[i - 1];
                let next_lower = tag.get(i + 1).is_some_and(u8::is_ascii_lowercase);
                let boundary = (prev.is_ascii_lowercase() && b.is_ascii_uppercase())
                    || (prev.is_ascii_uppercase() && b.is_ascii_uppercase() && next_lower)
                    || (prev.is_ascii_digit() != b.is_ascii_digit());
                if boundary {
                    out.push(' ');
                }
            }
            out.push(char::from(b));
        }
        rest = &rest[end..];
    }
    out.push_str(rest);
    std::borrow::Cow::Owned(out)
}

/// Escapes text for HTML element content and attribute values.
pub fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// Decodes a query-string or form value: `+` is a space, `%XX` a byte; invalid escapes
/// stay as written and invalid UTF-8 becomes U+FFFD.
pub fn url_decode_query(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok();
                match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(b) => {
                        out.push(b);
                        i += 3;
                        continue;
                    }
                    None => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Encodes text for a URL query value (`application/x-www-form-urlencoded`: unreserved
/// bytes kept, space as `+`, the rest as `%XX` of its UTF-8 bytes).
pub fn url_encode_query(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod url_query_tests {
    use super::*;

    #[test]
    fn query_values_decode_what_they_encode() {
        for s in ["سرقة في الزرقاء", "a+b&c=d%", "٠٧٩", ""] {
            assert_eq!(url_decode_query(&url_encode_query(s)), s);
        }
        assert_eq!(url_decode_query("100%"), "100%");
        assert_eq!(url_decode_query("%zz%4"), "%zz%4");
    }
}

#[cfg(test)]
mod tests {
    use std::borrow::Cow;

    use super::*;

    #[test]
    fn removes_diacritics_tatweel_and_bidi_marks() {
        assert_eq!(normalize("الأَمْنُ العـــام"), "الامن العام");
        assert_eq!(normalize("\u{200F}شرطة\u{200E}\u{200B}"), "شرطة");
        assert_eq!(normalize("مُدِيرِيَّةُ"), "مديرية");
    }

    #[test]
    fn unifies_alef_and_hamza_forms() {
        assert_eq!(normalize("إطلاق أمن آمن ٱلله"), "اطلاق امن امن الله");
        assert_eq!(normalize("مسؤول بريئة"), "مسوول بريية");
    }

    #[test]
    fn keeps_ta_marbuta_for_search_but_folds_for_matching() {
        assert_eq!(normalize("سرقة على"), "سرقة على");
        assert_eq!(normalize_for_matching("سرقة على"), "سرقه علي");
    }

    #[test]
    fn maps_arabic_indic_and_persian_digits() {
        assert_eq!(normalize("٣ إصابات في ٢٠٢٦"), "3 اصابات في 2026");
        assert_eq!(normalize("۱۲"), "12");
    }

    #[test]
    fn lowercases_latin_only() {
        assert_eq!(
            normalize("Public Security DIRECTORATE"),
            "public security directorate"
        );
    }

    #[test]
    fn tokens_split_on_punctuation() {
        let n = normalize("عمّان، الزرقاء؟ (Irbid)");
        assert_eq!(tokens(&n).collect::<Vec<_>>(), ["عمان", "الزرقاء", "irbid"]);
    }

    #[test]
    fn strips_proclitics_but_not_short_stems() {
        assert_eq!(strip_clitics("والشرطة"), "شرطة");
        assert_eq!(strip_clitics("فالامن"), "امن");
        assert_eq!(strip_clitics("بالسلاح"), "سلاح");
        assert_eq!(strip_clitics("للسير"), "سير");
        assert_eq!(strip_clitics("الدرك"), "درك");
        // A word that merely starts with و is left alone.
        assert_eq!(strip_clitics("وزير"), "وزير");
        assert_eq!(strip_clitics("police"), "police");
    }

    #[test]
    fn arabic_share_counts_letters() {
        assert!(arabic_share("الأمن العام") > 0.99);
        assert!(arabic_share("Public Security") < 0.01);
        assert_eq!(arabic_share("123 !!"), 0.0);
    }

    #[test]
    fn fast_paths_agree_with_the_unicode_tables() {
        // Every character of the Basic Multilingual Plane (the bit tables) and a stretch
        // beyond it (the standard library's answer).
        for cp in (0..0x1_0000u32)
            .chain(0x1_0000..0x1_2000)
            .chain(0x2_0000..0x2_0100)
        {
            let Some(c) = char::from_u32(cp) else {
                continue;
            };
            assert_eq!(is_word_char(c), c.is_alphanumeric(), "{c:?}");
            assert_eq!(is_letter(c), c.is_alphabetic(), "{c:?}");
        }
        assert_eq!(normalize_for_matching("ABC أحمد ىة ٣"), "abc احمد يه 3");
        assert_eq!(normalize("ABC أحمد ىة ٣"), "abc احمد ىة 3");
        assert_eq!(normalize("ÉCOLE"), "école");
        // Every character folds the same through the run-copying path as alone.
        for cp in 0..0x3000u32 {
            let Some(c) = char::from_u32(cp) else {
                continue;
            };
            for matching in [false, true] {
                let mut alone = String::new();
                fold_char(c, matching, &mut alone);
                assert_eq!(
                    fold(&format!("a{c}b"), matching),
                    format!("a{alone}b"),
                    "{c:?}"
                );
            }
        }
    }

    /// The straightforward forms of the byte-level fast paths, for comparison.
    mod reference {
        use super::super::{fold_char, is_arabic_letter, is_word_char};

        pub fn fold(text: &str, matching: bool) -> String {
            let mut out = String::new();
            for c in text.chars() {
                fold_char(c, matching, &mut out);
            }
            out
        }

        pub fn tokens(normalized: &str) -> Vec<&str> {
            normalized
                .split(|c: char| !is_word_char(c))
                .filter(|t| !t.is_empty())
                .collect()
        }

        pub fn is_arabic_word(word: &str) -> bool {
            word.chars().next().is_some_and(is_arabic_letter)
        }

        pub fn strip_clitics(word: &str) -> &str {
            if !is_arabic_word(word) {
                return word;
            }
            let at_least = |s: &str, n: usize| s.chars().nth(n - 1).is_some();
            let mut w = word;
            for conj in ["و", "ف"] {
                if let Some(rest) = w.strip_prefix(conj)
                    && rest.starts_with("ال")
                    && at_least(rest, 4)
                {
                    w = rest;
                    break;
                }
            }
            for prep in ["بال", "كال", "فال", "وال", "لل", "ال"] {
                if let Some(rest) = w.strip_prefix(prep)
                    && at_least(rest, 2)
                {
                    return rest;
                }
            }
            w
        }
    }

    /// Texts that exercise the fast paths: Arabic with marks and hamza forms, English in
    /// capitals, mixed scripts, other scripts, emoji, odd whitespace, and a pseudo-random soup
    /// of characters from the blocks that matter.
    fn sample_texts() -> Vec<String> {
        let mut texts: Vec<String> = [
            "",
            "الأَمْنُ العـــام: ضبط ٣ أشخاص في إربد، والشرطة تحقق؟",
            "مديريةُ الأمن العام تعلن إغلاق طريق المطار بالاتجاهين وللسير والفالوجة",
            "PUBLIC Security Directorate: 2 killed in Zarqa crash (AMMAN) — 5km",
            "اطلقت Orange Jordan خدمة جديدة في عمّان\u{200F}\u{200B}ـــ ٢٠٢٦ ۱۲",
            "Полиция и شرطة — Zürich ÉCOLE Ма'ан_x\nجديد\r\n\t😀😡 ﷺ ۽ ڤ ی ک ى ة",
            "و ف ب ك ل ال وال بال كال فال لل للس والا فالشرطة وبالسلاح بالأمن",
            "a\u{85}b\u{a0}c\u{3000}d\u{2028}e x@y.com https://a.b/c www.x.jo",
        ]
        .map(String::from)
        .to_vec();
        let pool: Vec<char> = ('\u{0600}'..='\u{06FF}')
            .chain('\u{0750}'..='\u{077F}')
            .chain('\u{08D0}'..='\u{08FF}')
            .chain([
                'A', 'z', 'Q', '0', '9', ' ', '\n', '.', ',', '_', '-', '@', ':', '/',
            ])
            .chain([
                'É', 'ß', 'İ', 'Ж', '\u{200D}', '\u{FEFF}', '\u{00AD}', '😀', '\u{85}',
            ])
            .collect();
        let mut state = 0x2545_f491_4f6c_dd1du64;
        for len in [1usize, 2, 3, 5, 8, 40, 400] {
            for _ in 0..60 {
                let text: String = (0..len)
                    .map(|_| {
                        state ^= state << 13;
                        state ^= state >> 7;
                        state ^= state << 17;
                        pool[(state % pool.len() as u64) as usize]
                    })
                    .collect();
                texts.push(text);
            }
        }
        texts
    }

    #[test]
    fn byte_level_paths_agree_with_the_char_level_definitions() {
        for text in sample_texts() {
            for matching in [false, true] {
                assert_eq!(
                    fold(&text, matching),
                    reference::fold(&text, matching),
                    "{text:?}"
                );
            }
            for form in [
                text.clone(),
                normalize(&text),
                normalize_for_matching(&text),
            ] {
                assert_eq!(
                    tokens(&form).collect::<Vec<_>>(),
                    reference::tokens(&form),
                    "{form:?}"
                );
                for word in form.split(' ').chain(reference::tokens(&form)) {
                    assert_eq!(
                        strip_clitics(word),
                        reference::strip_clitics(word),
                        "{word:?}"
                    );
                    assert_eq!(
                        is_arabic_word(word),
                        reference::is_arabic_word(word),
                        "{word:?}"
                    );
                }
            }
        }
        for cp in 0..0x11_0000u32 {
            let Some(c) = char::from_u32(cp) else {
                continue;
            };
            let s = format!("{c}ب");
            assert_eq!(is_arabic_word(&s), is_arabic_letter(c), "{c:?}");
            assert_eq!(
                word_char_at(&s, 0),
                (is_word_char(c), c.len_utf8()),
                "{c:?}"
            );
        }
    }

    #[test]
    fn neutralize_bidi_removes_overrides_embeddings_and_isolates() {
        assert_eq!(neutralize_bidi("Invoice\u{202E}gpj.exe"), "Invoicegpj.exe");
        let all: String = ('\u{202A}'..='\u{202E}')
            .chain('\u{2066}'..='\u{2069}')
            .collect();
        assert_eq!(neutralize_bidi(&format!("a{all}b")), "ab");
        assert_eq!(
            neutralize_bidi("\u{2067}سرقة\u{2069} in Zarqa"),
            "سرقة in Zarqa"
        );
    }

    #[test]
    fn neutralize_bidi_keeps_marks_only_beside_right_to_left_letters() {
        // An RLM keeping a closing bracket after a Latin word inside Arabic text.
        let arabic = "قالت الشرطة (PSD)\u{200F} إن الحادث وقع أمس";
        assert!(matches!(neutralize_bidi(arabic), Cow::Borrowed(_)));
        let alm = "العدد\u{061C} 12";
        assert_eq!(neutralize_bidi(alm), alm);
        // Latin text has no use for them; here they would only reorder words.
        assert_eq!(
            neutralize_bidi("\u{200F}jpg\u{200F}.\u{200F}exe"),
            "jpg.exe"
        );
        assert_eq!(neutralize_bidi("a\u{200E}b"), "ab");
        // Overrides go even when marks stay.
        assert_eq!(
            neutralize_bidi("الملف\u{200F} \u{202E}fdp.exe"),
            "الملف\u{200F} fdp.exe"
        );
    }

    #[test]
    fn neutralize_bidi_leaves_other_text_alone() {
        for s in [
            "",
            "Police open new station",
            "سَرِقَة مركبة في الرصيفة",
            "a\u{200C}b",
            "٢٠٢٦",
        ] {
            assert!(
                matches!(neutralize_bidi(s), Cow::Borrowed(t) if t == s),
                "{s:?}"
            );
        }
    }

    #[test]
    fn camel_case_hashtags_split_into_words() {
        assert_eq!(
            split_hashtags("#NepalEarthquake kills 1,500 #USAToday"),
            "#Nepal Earthquake kills 1,500 #USA Today"
        );
        assert_eq!(
            split_hashtags("#BostonMarathon2013"),
            "#Boston Marathon 2013"
        );
        // Arabic hashtags, lower case and text without a hashtag stay as they are.
        assert_eq!(split_hashtags("#حادث_سير في #عمان"), "#حادث_سير في #عمان");
        assert_eq!(split_hashtags("#earthquake"), "#earthquake");
        assert!(matches!(split_hashtags("no tag here"), Cow::Borrowed(_)));
    }
}
