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
fn unchanged(c: char, matching: bool) -> bool {
    if c.is_ascii() {
        return !c.is_ascii_uppercase();
    }
    matches!(c, '\u{0621}'..='\u{064A}')
        && !matches!(c, 'أ' | 'إ' | 'آ' | 'ؤ' | 'ئ' | '\u{0640}')
        && !(matching && matches!(c, 'ى' | 'ة'))
}

fn fold(text: &str, matching: bool) -> String {
    let mut out = String::with_capacity(text.len());
    let mut run = 0;
    for (i, c) in text.char_indices() {
        if unchanged(c, matching) {
            continue;
        }
        out.push_str(&text[run..i]);
        fold_char(c, matching, &mut out);
        run = i + c.len_utf8();
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
        matches!(c, '\u{0620}'..='\u{064A}') || c.is_alphanumeric()
    }
}

/// The words of already-normalized text: maximal runs of letters and digits.
pub fn tokens(normalized: &str) -> impl Iterator<Item = &str> {
    normalized
        .split(|c: char| !is_word_char(c))
        .filter(|t| !t.is_empty())
}

/// True when the word is written in Arabic script.
pub fn is_arabic_word(word: &str) -> bool {
    word.chars().next().is_some_and(is_arabic_letter)
}

/// True for letters of the Arabic script blocks.
pub fn is_arabic_letter(c: char) -> bool {
    matches!(c, '\u{0620}'..='\u{064A}' | '\u{066E}'..='\u{06D3}' | '\u{06FA}'..='\u{06FF}' | '\u{0750}'..='\u{077F}')
}

/// The share of letters in `text` that are Arabic script (0 when there are no letters).
pub fn arabic_share(text: &str) -> f32 {
    let (mut arabic, mut letters) = (0u32, 0u32);
    let letter = |c: &char| {
        if c.is_ascii() {
            c.is_ascii_alphabetic()
        } else {
            matches!(c, '\u{0620}'..='\u{064A}') || c.is_alphabetic()
        }
    };
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
    // At least `n` characters (without counting them all).
    let at_least = |s: &str, n: usize| s.chars().nth(n - 1).is_some();
    let mut w = word;
    // Conjunction.
    for conj in ["و", "ف"] {
        if let Some(rest) = w.strip_prefix(conj)
            && rest.starts_with("ال")
            && at_least(rest, 4)
        {
            w = rest;
            break;
        }
    }
    // Preposition + article: بال كال لل.
    for prep in ["بال", "كال", "فال", "وال"] {
        if let Some(rest) = w.strip_prefix(prep)
            && at_least(rest, 2)
        {
            return rest;
        }
    }
    if let Some(rest) = w.strip_prefix("لل")
        && at_least(rest, 2)
    {
        return rest;
    }
    if let Some(rest) = w.strip_prefix("ال")
        && at_least(rest, 2)
    {
        return rest;
    }
    w
}

#[cfg(test)]
mod tests {
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
        for cp in 0..0x3000u32 {
            let Some(c) = char::from_u32(cp) else {
                continue;
            };
            assert_eq!(is_word_char(c), c.is_alphanumeric(), "{c:?}");
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
}
