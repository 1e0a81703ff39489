//! Language detection: [`detect_language`].
//!
//! Only the first 2,000 bytes are read. The signals, in order:
//!
//! 1. **No letters at all** (empty, digits, punctuation): the source's hint, else
//!    [`Lang::Other`].
//! 2. **Arabic script.** The share of letters that are Arabic script
//!    ([`rasd_core::text::arabic_share`]). Half or more → Arabic, however short the text
//!    (Arabic script in our sources is Arabic, MSA or dialect). Between 30% and 50% (an
//!    Arabic text full of English names) → Arabic only when the source says it publishes
//!    Arabic.
//! 3. **Arabizi**: Arabic typed in Latin letters, with digits standing for Arabic sounds
//!    (2 ء, 3 ع, 5 خ, 7 ح: `3ala`, `7aram`, `ma3`, `la2`). A Latin word counts as Arabizi when
//!    it is made of ASCII letters and at most two of the digits 2, 3, 5, 7, has at least two
//!    letters, is not an ordinal or a unit (`2nd`, `5km`, `3pm`) or a known code (`co2`,
//!    `mp3`), and — when the digit ends the word — has a vowel and is not a month (`la2`, not
//!    `qr7` or the `may7` of market tables). Two such
//!    words making up at least an eighth of the Latin words, or one in a message of at most
//!    four words, make the text Arabic.
//! 4. **Very short Latin text** (one word, or fewer than six letters): the hint, else
//!    [`Lang::Other`].
//! 5. **English function words** (`the`, `of`, `with`, `was`…): two or more making up a tenth
//!    of the words → English, without asking whatlang.
//! 6. **whatlang 0.18.** Its free guess is kept when it says English; when it is sure of
//!    another language on a text of at least eight words, the text is [`Lang::Other`].
//!    Otherwise (short headlines, where Jordanian place names push whatlang towards French
//!    or Danish) a detector allowed only Arabic and English decides.
//!
//! Text in another script (Cyrillic, Hebrew, CJK…) is [`Lang::Other`].

use std::borrow::Cow;
use std::sync::LazyLock;

use rasd_core::Lang;
use rasd_core::text::is_arabic_letter;
use whatlang::Detector;

/// Arabic-script share from which a text is Arabic whatever the hint.
const ARABIC_MAJORITY: f32 = 0.5;
/// Arabic-script share from which a text is Arabic when the source's hint is Arabic.
const ARABIC_WITH_HINT: f32 = 0.3;
/// Latin text with fewer letters than this is too short to judge.
const MIN_LATIN_LETTERS: usize = 6;
/// Latin text with fewer words than this is too short to judge.
const MIN_LATIN_WORDS: usize = 2;
/// whatlang's confident non-English guess is believed from this many words on.
const MIN_WORDS_FOR_OTHER: usize = 8;
/// Only the first this many bytes of a text are read (whatlang's trigram profile and the
/// script counts settle long before).
const SAMPLE_BYTES: usize = 2000;

/// Words that are English and rarely anything else.
const ENGLISH_FUNCTION_WORDS: &[&str] = &[
    "the", "of", "and", "to", "on", "for", "is", "was", "with", "at", "by", "from", "after", "has",
    "have", "are", "were", "that", "this", "been", "said", "his", "her", "their", "will", "who",
    "into", "over", "its", "which", "would", "than",
];

/// Latin tokens with digits that are not Arabizi.
const NOT_ARABIZI: &[&str] = &[
    "co2", "mp3", "b2b", "p2p", "h2o", "no2", "so2", "a320", "b737",
];

/// Month abbreviations, which market tables glue to a year digit (`may7`, `jul7`).
const MONTHS: &[&str] = &[
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];

/// Suffixes after a leading number that make an ordinal or a unit, not Arabizi.
const NUMBER_SUFFIXES: &[&str] = &[
    "st", "nd", "rd", "th", "am", "pm", "km", "kg", "mm", "cm", "ml", "mg", "gb", "mb", "kb", "kw",
    "hp", "mw", "sec", "min", "hrs", "yo",
];

static ALLOWLISTED: LazyLock<Detector> =
    LazyLock::new(|| Detector::with_allowlist(vec![whatlang::Lang::Ara, whatlang::Lang::Eng]));

/// The language of `text`; `hint` is the language its source is configured with, a weak
/// prior used only when the text itself cannot tell. See the module docs for the rules.
pub fn detect_language(text: &str, hint: Option<Lang>) -> Lang {
    // The start of an item tells its language; long bodies are not read to the end.
    let sample = prefix(text, SAMPLE_BYTES);
    decide(LetterCounts::of(sample), hint, || Cow::Borrowed(sample))
}

/// [`detect_language`] of a title and a body as one text (`title`, a line break, `body`;
/// either alone when the other is empty), without joining them unless the letter counts
/// leave the question open.
pub fn detect_language_of(title: &str, body: &str, hint: Option<Lang>) -> Lang {
    if title.is_empty() {
        return detect_language(body, hint);
    }
    if body.is_empty() {
        return detect_language(title, hint);
    }
    // The sample is the first SAMPLE_BYTES bytes of `title\nbody`, cut on a char boundary.
    let Some(room) = SAMPLE_BYTES.checked_sub(title.len() + 1) else {
        return detect_language(title, hint);
    };
    let body = prefix(body, room);
    let counts = LetterCounts::of(title).plus(LetterCounts::of(body));
    decide(counts, hint, || Cow::Owned(format!("{title}\n{body}")))
}

/// The rules of [`detect_language`], given the letter counts of the sample and the sample.
fn decide<'a>(
    counts: LetterCounts,
    hint: Option<Lang>,
    sample: impl FnOnce() -> Cow<'a, str>,
) -> Lang {
    let fallback = hint.unwrap_or(Lang::Other);
    if counts.letters == 0 {
        return fallback;
    }
    let share = counts.arabic_share();
    if share >= ARABIC_MAJORITY || (share >= ARABIC_WITH_HINT && hint == Some(Lang::Ar)) {
        return Lang::Ar;
    }
    if counts.latin < counts.letters - counts.arabic - counts.latin {
        // Mostly another script: Cyrillic, Hebrew, CJK…
        return if counts.letters < MIN_LATIN_LETTERS {
            fallback
        } else {
            Lang::Other
        };
    }

    let sample = sample();
    let sample = sample.as_ref();
    let words = latin_words(sample);
    if looks_like_arabizi(&words) {
        return Lang::Ar;
    }
    if counts.latin < MIN_LATIN_LETTERS || words.len() < MIN_LATIN_WORDS {
        return fallback;
    }
    let function_words = words.iter().filter(|w| is_function_word(w)).count();
    if function_words >= 2 && function_words * 10 >= words.len() {
        return Lang::En;
    }

    if let Some(info) = whatlang::detect(sample) {
        if info.lang() == whatlang::Lang::Eng {
            return Lang::En;
        }
        if info.is_reliable()
            && info.script() == whatlang::Script::Latin
            && words.len() >= MIN_WORDS_FOR_OTHER
        {
            return Lang::Other;
        }
    }
    match ALLOWLISTED.detect_lang(sample) {
        Some(whatlang::Lang::Eng) => Lang::En,
        Some(whatlang::Lang::Ara) => Lang::Ar,
        _ => fallback,
    }
}

/// True when `word` is one of [`ENGLISH_FUNCTION_WORDS`], in any case.
fn is_function_word(word: &str) -> bool {
    // The longest function word has five letters: longer words need no comparison.
    word.len() <= 5
        && ENGLISH_FUNCTION_WORDS
            .iter()
            .any(|f| word.eq_ignore_ascii_case(f))
}

/// Letters of a text by script.
#[derive(Debug, Default, Clone, Copy)]
struct LetterCounts {
    letters: usize,
    arabic: usize,
    latin: usize,
}

impl LetterCounts {
    /// Counts in one pass, with fast paths for ASCII and Arabic so that the Unicode tables
    /// are only consulted for other scripts.
    fn of(text: &str) -> LetterCounts {
        let mut n = LetterCounts::default();
        for c in text.chars() {
            if c.is_ascii() {
                if c.is_ascii_alphabetic() {
                    n.letters += 1;
                    n.latin += 1;
                }
            } else if ('\u{0620}'..='\u{064A}').contains(&c) {
                // The common Arabic letters: no table lookup needed.
                n.letters += 1;
                n.arabic += 1;
            } else if rasd_core::text::is_letter(c) {
                n.letters += 1;
                if is_arabic_letter(c) {
                    n.arabic += 1;
                } else {
                    n.latin += usize::from(is_latin_letter(c));
                }
            }
        }
        n
    }

    /// The counts of two texts together.
    fn plus(self, other: LetterCounts) -> LetterCounts {
        LetterCounts {
            letters: self.letters + other.letters,
            arabic: self.arabic + other.arabic,
            latin: self.latin + other.latin,
        }
    }

    /// The share of letters that are Arabic script: the quantity
    /// [`rasd_core::text::arabic_share`] computes.
    fn arabic_share(self) -> f32 {
        if self.letters == 0 {
            0.0
        } else {
            self.arabic as f32 / self.letters as f32
        }
    }
}

/// True when `words` (Latin words) read as Arabizi (see the module docs).
pub fn looks_like_arabizi<S: AsRef<str>>(words: &[S]) -> bool {
    let hits = words.iter().filter(|w| is_arabizi_word(w.as_ref())).count();
    (hits >= 2 && hits * 8 >= words.len()) || (hits >= 1 && words.len() <= 4)
}

/// True when one Latin word looks like Arabizi (see the module docs).
pub fn is_arabizi_word(word: &str) -> bool {
    if word.len() < 2 || word.len() > 24 || !word.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return false;
    }
    let digits = word.bytes().filter(u8::is_ascii_digit).count();
    let letters = word.len() - digits;
    if digits == 0
        || digits > 2
        || letters < 2
        || !word
            .bytes()
            .filter(u8::is_ascii_digit)
            .all(|d| matches!(d, b'2' | b'3' | b'5' | b'7'))
    {
        return false;
    }
    let lower = word.to_ascii_lowercase();
    let word = lower.as_str();
    if NOT_ARABIZI.contains(&word) {
        return false;
    }
    // A leading number followed by an ordinal or unit suffix: 2nd, 5km, 3pm.
    let rest = word.trim_start_matches(|c: char| c.is_ascii_digit());
    if rest.len() < word.len() && NUMBER_SUFFIXES.contains(&rest) {
        return false;
    }
    // A trailing digit (la2, ma3) needs a vowel, so codes like qr7 are not counted.
    if word.ends_with(|c: char| c.is_ascii_digit()) {
        let stem = word.trim_end_matches(|c: char| c.is_ascii_digit());
        if !stem.contains(['a', 'e', 'i', 'o', 'u']) || MONTHS.contains(&stem) {
            return false;
        }
    }
    true
}

/// Words of `text` made of ASCII letters and digits, with at least one letter.
fn latin_words(text: &str) -> Vec<&str> {
    text.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| w.bytes().any(|b| b.is_ascii_alphabetic()))
        .collect()
}

fn is_latin_letter(c: char) -> bool {
    c.is_ascii_alphabetic() || (c.is_alphabetic() && ('\u{00C0}'..='\u{024F}').contains(&c))
}

/// The longest prefix of `text` of at most `max` bytes that ends on a char boundary.
pub(crate) fn prefix(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_and_letterless_text_takes_the_hint() {
        assert_eq!(detect_language("", Some(Lang::Ar)), Lang::Ar);
        assert_eq!(detect_language("   ", None), Lang::Other);
        assert_eq!(detect_language("١٢٣ — 2026!", Some(Lang::En)), Lang::En);
    }

    #[test]
    fn arabic_msa_and_dialect() {
        assert_eq!(
            detect_language("مديرية الأمن العام تعلن إغلاق طريق المطار", None),
            Lang::Ar
        );
        assert_eq!(detect_language("شو صار بالطوشة امبارح؟", None), Lang::Ar);
        // A single Arabic word is still Arabic script.
        assert_eq!(detect_language("حريق", Some(Lang::En)), Lang::Ar);
    }

    #[test]
    fn arabic_text_with_english_names_follows_an_arabic_hint() {
        let text = "اطلقت Orange Jordan خدمة جديدة";
        let share = rasd_core::text::arabic_share(text);
        assert!((0.3..0.6).contains(&share));
        assert_eq!(detect_language(text, Some(Lang::Ar)), Lang::Ar);
    }

    #[test]
    fn short_english_headlines_with_jordanian_places_are_english() {
        let headlines = [
            "Two killed in Ramtha crash",
            "Irbid fire contained",
            "Zarqa man arrested",
            "Karak police seize hashish",
            "Sweileh shooting suspect held",
            "Mafraq storm closes Baghdad highway",
            "Aqaba port reopens",
            "Jerash festival opens",
            "Tafileh, Maan schools closed",
            "PSD: Madaba drowning victim found",
            "Ajloun forest blaze",
            "Wadi Musa flash floods",
            "Russeifa gas cylinder blast",
            "Salt traffic accident injures four",
        ];
        for h in headlines {
            assert_eq!(detect_language(h, None), Lang::En, "{h}");
        }
    }

    #[test]
    fn other_latin_languages_are_other_when_long_enough() {
        let fr = "Le ministère de l'Intérieur a annoncé mardi une nouvelle campagne de \
                  sensibilisation routière dans plusieurs villes du royaume.";
        assert_eq!(detect_language(fr, None), Lang::Other);
        let de = "Die Polizei hat am Dienstag in der Hauptstadt eine neue Kampagne für \
                  mehr Sicherheit im Straßenverkehr vorgestellt.";
        assert_eq!(detect_language(de, Some(Lang::En)), Lang::Other);
    }

    #[test]
    fn arabizi_counts_as_arabic() {
        assert_eq!(
            detect_language("wallah el 7ade4 kan 3ala tari2 el matar", None),
            Lang::Ar
        );
        assert_eq!(detect_language("shu sar ma3ak?", None), Lang::Ar);
        assert_eq!(detect_language("la2 mish ma3ak", None), Lang::Ar);
        assert!(is_arabizi_word("7aram"));
        assert!(is_arabizi_word("ma3"));
        assert!(!is_arabizi_word("2nd"));
        assert!(!is_arabizi_word("5km"));
        assert!(!is_arabizi_word("qr7"));
        assert!(!is_arabizi_word("co2"));
        assert!(!is_arabizi_word("may7"));
        assert!(!is_arabizi_word("2026"));
    }

    #[test]
    fn english_with_ordinals_and_units_is_not_arabizi() {
        assert_eq!(
            detect_language("The 2nd convoy drove 5km at 3pm with 737 jets", None),
            Lang::En
        );
        assert_eq!(detect_language("Flight QR7 lands in Amman", None), Lang::En);
    }

    #[test]
    fn very_short_latin_text_takes_the_hint() {
        assert_eq!(detect_language("OK", Some(Lang::Ar)), Lang::Ar);
        assert_eq!(detect_language("Irbid", None), Lang::Other);
        assert_eq!(detect_language("Irbid", Some(Lang::En)), Lang::En);
    }

    #[test]
    fn other_scripts_are_other() {
        assert_eq!(
            detect_language("Полиция задержала подозреваемого в краже", Some(Lang::Ar)),
            Lang::Other
        );
    }

    #[test]
    fn letter_counts_agree_with_core_arabic_share() {
        for text in [
            "الأمن العام",
            "Irbid مشاجرة",
            "Полиция и شرطة",
            "123",
            "Zürich",
            "ﷺ ۽ ۾ ڤ",
        ] {
            let ours = LetterCounts::of(text).arabic_share();
            assert!(
                (ours - rasd_core::text::arabic_share(text)).abs() < 1e-6,
                "{text}"
            );
        }
    }

    #[test]
    fn prefix_respects_char_boundaries() {
        let s = "أمن".repeat(1000);
        let p = prefix(&s, 1001);
        assert!(p.len() <= 1001 && s.starts_with(p));
    }

    #[test]
    fn title_and_body_are_judged_as_one_text() {
        let long_ar = "مديرية الأمن العام تعلن إغلاق طريق المطار ".repeat(80);
        let long_en = "The police said on Sunday that the road was closed. ".repeat(60);
        let cases = [
            ("", ""),
            ("", "حريق"),
            ("Irbid", ""),
            (
                "Two killed in Ramtha crash",
                "The Civil Defence said two men died.",
            ),
            ("حادث سير", "Two killed in Ramtha crash"),
            ("OK", "la2 mish ma3ak"),
            ("Полиция задержала", "подозреваемого в краже"),
            ("اطلقت Orange Jordan", "خدمة جديدة"),
            (long_ar.as_str(), long_en.as_str()),
            (long_en.as_str(), long_ar.as_str()),
            ("عنوان", long_en.as_str()),
        ];
        for (title, body) in cases {
            for hint in [None, Some(Lang::Ar), Some(Lang::En)] {
                let joined = match (title.is_empty(), body.is_empty()) {
                    (true, _) => body.to_string(),
                    (false, true) => title.to_string(),
                    (false, false) => format!("{title}\n{}", prefix(body, 2000)),
                };
                assert_eq!(
                    detect_language_of(title, body, hint),
                    detect_language(&joined, hint),
                    "{title:?} / {body:?}"
                );
            }
        }
        // The sample boundary falls inside the body, on a char boundary.
        let title = "ا".repeat(600);
        let body = "b".repeat(999);
        assert_eq!(
            detect_language_of(&title, &body, None),
            detect_language(&format!("{title}\n{body}"), None)
        );
    }

    #[test]
    fn function_words_are_matched_in_any_case() {
        assert!(is_function_word("The") && is_function_word("WHICH") && is_function_word("of"));
        assert!(!is_function_word("them") && !is_function_word("theory"));
        assert!(ENGLISH_FUNCTION_WORDS.iter().all(|f| f.len() <= 5));
    }
}
