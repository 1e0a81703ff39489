//! From text to the token ids that rules match on.
//!
//! Text and rule terms go through the same steps, so a term and a document agree on what a
//! word is: [`normalize_for_matching`] (diacritics, tatweel, hamza forms, ة/ى, digits, case),
//! then split into words as [`rasd_core::text::tokens`] does, then one of two per-token forms:
//!
//! - topic form: Arabic words lose their proclitics and article ([`strip_clitics`]:
//!   `والمخدرات` → `مخدرات`); English words lose a plural ending ([`english_stem`]:
//!   `crashes` → `crash`, `injuries` → `injury`).
//! - place form: the same, except that the Arabic article is kept (`بالزرقاء` →
//!   `الزرقاء`), because for place names it is part of the name: without it `السلط` would meet
//!   the verb in `سلط الضوء`, `المفرق` a road junction (`مفرق`) and `الزرقاء` any blue thing.
//!
//! Each Arabic word also gets an alternative form with one leading proclitic letter removed
//! (و ف ب ل for topics, و ب ل for places), which [`strip_clitics`] leaves alone when no
//! article follows: `وسرقة` → `سرقة`, `بسلاح` → `سلاح`, `وبالسلاح` → `سلاح`, `بإربد` →
//! `اربد`. A term token matches a text position when it equals either form. A lone `s` (from
//! `Amman's`) is dropped, and so are e-mail addresses and links (`salem_sahab@…` is not
//! Sahab). Sentence and clause punctuation (`. , ; : ! ? ( ) « » "` and line breaks) is a
//! barrier: a phrase never matches across it.
//!
//! Words are interned in a vocabulary built from the rules; a text word that no rule uses
//! costs one hash lookup.

use std::borrow::Cow;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use rasd_core::text::{is_arabic_word, is_word_char, normalize_for_matching, strip_clitics};

/// The id of a word no rule uses, and of a barrier.
pub(crate) const NONE: u32 = u32::MAX;

/// Arabic proclitic letters that may be glued to a topic word without an article. ك is left
/// out: too many words start with it (كبير، كان، كتاب).
const TOPIC_PROCLITICS: &[char] = &['و', 'ف', 'ب', 'ل'];

/// The same for place names, where a false hit costs more: و ب ل ("وإربد", "بالرمثا" is the
/// article rule's, "لعمان").
const PLACE_PROCLITICS: &[char] = &['و', 'ب', 'ل'];

/// Words whose alternative place form would be a false place: `لمعان` ("shine", as in
/// `لمعان البرق`) is not "to Ma'an".
const PLACE_ALT_BLOCK: &[&str] = &["لمعان"];

/// FNV-1a: a fast hash for short keys; the keys are our own rule words, not attacker-chosen
/// table sizes, and a text word only ever costs one lookup.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Fnv(u64);

impl Default for Fnv {
    fn default() -> Self {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
}

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 ^= u64::from(*b);
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
    }
}

/// A `HashMap` with the [`Fnv`] hasher.
pub(crate) type FastMap<K, V> = HashMap<K, V, BuildHasherDefault<Fnv>>;

/// Which per-token form a matcher uses (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// Article and proclitics stripped: topic terms.
    Topic,
    /// Proclitics stripped, article kept: place names.
    Place,
}

/// The words the rules use, each with a dense id.
#[derive(Debug, Default, Clone)]
pub(crate) struct Vocab {
    ids: FastMap<Box<str>, u32>,
}

impl Vocab {
    /// The id of `word`, adding it if new.
    pub(crate) fn intern(&mut self, word: &str) -> u32 {
        if let Some(&id) = self.ids.get(word) {
            return id;
        }
        let id = u32::try_from(self.ids.len()).unwrap_or(NONE - 1);
        self.ids.insert(word.into(), id);
        id
    }

    /// The id of `word`, or [`NONE`].
    pub(crate) fn get(&self, word: &str) -> u32 {
        self.ids.get(word).copied().unwrap_or(NONE)
    }
}

/// A light English stemmer for plurals: `injuries` → `injury`, `crashes` → `crash`,
/// `witnesses` → `witness`, `drugs` → `drug`; words ending in `ss`, `us` or `is`, and words of
/// three letters or fewer, are kept. Applied alike to terms and text, so it only has to be
/// consistent, not linguistically right.
pub fn english_stem(word: &str) -> Cow<'_, str> {
    if !word.is_ascii() || word.len() < 4 || !word.ends_with('s') {
        return Cow::Borrowed(word);
    }
    if word.len() >= 5
        && let Some(stem) = word.strip_suffix("ies")
    {
        return Cow::Owned(format!("{stem}y"));
    }
    for suffix in ["sses", "xes", "ches", "shes"] {
        if word.ends_with(suffix) {
            return Cow::Borrowed(&word[..word.len() - 2]);
        }
    }
    if word.ends_with("ss") || word.ends_with("us") || word.ends_with("is") {
        return Cow::Borrowed(word);
    }
    Cow::Borrowed(&word[..word.len() - 1])
}

/// Removes the proclitics of a normalized Arabic word but keeps its article:
/// `والزرقاء` → `الزرقاء`, `بالسلط` → `السلط`, `للعقبه` → `العقبه`. Other words are returned
/// unchanged.
pub fn strip_proclitics_keep_article(word: &str) -> Cow<'_, str> {
    if !is_arabic_word(word) {
        return Cow::Borrowed(word);
    }
    let letters = |s: &str| s.chars().count();
    let mut w = word;
    for conj in ["و", "ف"] {
        if let Some(rest) = w.strip_prefix(conj)
            && (rest.starts_with("ال")
                || rest.starts_with("بال")
                || rest.starts_with("كال")
                || rest.starts_with("لل"))
            && letters(rest) >= 4
        {
            w = rest;
            break;
        }
    }
    for prep in ["بال", "كال"] {
        if w.starts_with(prep) && letters(w) >= 5 {
            return Cow::Borrowed(&w[prep.len() - "ال".len()..]);
        }
    }
    if let Some(rest) = w.strip_prefix("لل")
        && letters(rest) >= 2
    {
        return Cow::Owned(format!("ال{rest}"));
    }
    Cow::Borrowed(w)
}

/// The form of one normalized token under `mode`.
pub(crate) fn form(raw: &str, mode: Mode) -> Cow<'_, str> {
    if is_arabic_word(raw) {
        match mode {
            Mode::Topic => Cow::Borrowed(strip_clitics(raw)),
            Mode::Place => strip_proclitics_keep_article(raw),
        }
    } else {
        english_stem(raw)
    }
}

/// The alternative form of an Arabic token: one leading proclitic letter removed, when what
/// remains has at least three letters and does not start with the article (that case is the
/// primary form's). `None` for other tokens.
pub(crate) fn alt_form(raw: &str, mode: Mode) -> Option<Cow<'_, str>> {
    let first = raw.chars().next()?;
    let proclitics = match mode {
        Mode::Topic => TOPIC_PROCLITICS,
        Mode::Place => PLACE_PROCLITICS,
    };
    if !proclitics.contains(&first) || !is_arabic_word(raw) {
        return None;
    }
    if mode == Mode::Place && PLACE_ALT_BLOCK.contains(&raw) {
        return None;
    }
    let rest = &raw[first.len_utf8()..];
    if rest.chars().nth(2).is_none() || rest.starts_with("ال") {
        return None;
    }
    Some(form(rest, mode))
}

/// True for characters that end a sentence or clause: phrases never match across them.
fn is_barrier(c: char) -> bool {
    matches!(
        c,
        '.' | ','
            | ';'
            | ':'
            | '!'
            | '?'
            | '('
            | ')'
            | '['
            | ']'
            | '{'
            | '}'
            | '«'
            | '»'
            | '"'
            | '“'
            | '”'
            | '|'
            | '•'
            | '\n'
            | '\r'
            | '\t'
    )
}

/// True for a whitespace-separated chunk that is an e-mail address or a link, not prose.
fn is_address(chunk: &str) -> bool {
    chunk.contains('@') || chunk.contains("://") || chunk.starts_with("www.")
}

/// The words of a normalized text, `None` standing for a barrier between clauses (and at the
/// end). Words are split exactly as [`rasd_core::text::tokens`] splits them (tested), in one
/// pass with fast paths for ASCII and Arabic; whitespace-separated chunks that are addresses
/// are left out.
fn words(normalized: &str) -> Vec<Option<&str>> {
    fn push<'a>(out: &mut Vec<Option<&'a str>>, w: &'a str, barrier: &mut bool) {
        if w == "s" {
            return;
        }
        if *barrier && out.last().is_some_and(Option::is_some) {
            out.push(None);
        }
        *barrier = false;
        out.push(Some(w));
    }
    let mut out: Vec<Option<&str>> = Vec::with_capacity(normalized.len() / 5 + 1);
    // Start of the current word; start of the current chunk and `out.len()` when it began;
    // whether a barrier was seen since the last word.
    let mut word: Option<usize> = None;
    let mut chunk: Option<(usize, usize)> = None;
    let mut barrier = false;
    for (i, c) in normalized.char_indices() {
        if is_word_char(c) {
            word.get_or_insert(i);
            chunk.get_or_insert((i, out.len()));
            continue;
        }
        if let Some(w) = word.take() {
            push(&mut out, &normalized[w..i], &mut barrier);
        }
        if c.is_whitespace() {
            if let Some((start, len)) = chunk.take()
                && is_address(&normalized[start..i])
            {
                out.truncate(len);
            }
            barrier |= c == '\n' || c == '\r';
        } else {
            chunk.get_or_insert((i, out.len()));
            barrier |= is_barrier(c);
        }
    }
    if let Some(w) = word {
        push(&mut out, &normalized[w..], &mut barrier);
    }
    if let Some((start, len)) = chunk
        && is_address(&normalized[start..])
    {
        out.truncate(len);
    }
    if out.last().is_some_and(Option::is_some) {
        out.push(None);
    }
    out
}

/// The token sequence of a rule term under `mode` (primary forms; punctuation inside a term
/// is ignored). Empty when the term has no words.
pub(crate) fn term_tokens(term: &str, mode: Mode) -> Vec<String> {
    let normalized = normalize_for_matching(term);
    words(&normalized)
        .into_iter()
        .flatten()
        .map(|w| form(w, mode).into_owned())
        .collect()
}

/// A text turned into token ids, once for topic forms and once for place forms. Position `i`
/// holds the primary and the alternative id of the `i`-th word (both [`NONE`] at barriers and
/// for words no rule uses).
#[derive(Debug, Clone, Default)]
pub(crate) struct Analyzed {
    /// Topic-form ids.
    pub(crate) topic: Vec<[u32; 2]>,
    /// Place-form ids.
    pub(crate) place: Vec<[u32; 2]>,
    /// The positions that are barriers (the same in both streams), ascending.
    pub(crate) barriers: Vec<usize>,
}

impl Analyzed {
    /// True when a barrier lies at a position in `from..to`: the two ends are in different
    /// clauses.
    pub(crate) fn barrier_between(&self, from: usize, to: usize) -> bool {
        let first = self.barriers.partition_point(|&b| b < from);
        self.barriers.get(first).is_some_and(|&b| b < to)
    }
}

impl Analyzed {
    /// Analyzes `parts` (such as a title and a body), with a barrier between them.
    pub(crate) fn new(vocab: &Vocab, parts: &[&str]) -> Analyzed {
        let normalized: Vec<String> = parts.iter().map(|p| normalize_for_matching(p)).collect();
        let refs: Vec<&str> = normalized.iter().map(String::as_str).collect();
        Analyzed::from_normalized(vocab, &refs)
    }

    /// [`Analyzed::new`] for parts already passed through `normalize_for_matching`.
    pub(crate) fn from_normalized(vocab: &Vocab, parts: &[&str]) -> Analyzed {
        let mut out = Analyzed::default();
        for normalized in parts {
            for word in words(normalized) {
                let Some(raw) = word else {
                    out.barriers.push(out.topic.len());
                    out.topic.push([NONE, NONE]);
                    out.place.push([NONE, NONE]);
                    continue;
                };
                if !is_arabic_word(raw) {
                    let id = vocab.get(&english_stem(raw));
                    out.topic.push([id, NONE]);
                    out.place.push([id, NONE]);
                    continue;
                }
                let topic = vocab.get(strip_clitics(raw));
                let place_form = strip_proclitics_keep_article(raw);
                let place = if place_form == strip_clitics(raw) {
                    topic
                } else {
                    vocab.get(&place_form)
                };
                let topic_alt = alt_form(raw, Mode::Topic).map_or(NONE, |f| vocab.get(&f));
                let place_alt = alt_form(raw, Mode::Place).map_or(NONE, |f| vocab.get(&f));
                out.topic.push([topic, topic_alt]);
                out.place.push([place, place_alt]);
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn english_plurals_are_folded() {
        assert_eq!(english_stem("injuries"), "injury");
        assert_eq!(english_stem("crashes"), "crash");
        assert_eq!(english_stem("witnesses"), "witness");
        assert_eq!(english_stem("drugs"), "drug");
        assert_eq!(english_stem("boxes"), "box");
        for kept in ["gas", "bus", "status", "crisis", "police", "glass", "fire"] {
            assert_eq!(english_stem(kept), kept);
        }
    }

    #[test]
    fn place_form_keeps_the_article() {
        assert_eq!(strip_proclitics_keep_article("والزرقاء"), "الزرقاء");
        assert_eq!(strip_proclitics_keep_article("بالسلط"), "السلط");
        assert_eq!(strip_proclitics_keep_article("وبالكرك"), "الكرك");
        assert_eq!(strip_proclitics_keep_article("للعقبه"), "العقبه");
        assert_eq!(strip_proclitics_keep_article("سلط"), "سلط");
        assert_eq!(strip_proclitics_keep_article("irbid"), "irbid");
    }

    #[test]
    fn alternative_form_drops_one_glued_proclitic() {
        assert_eq!(alt_form("وسرقه", Mode::Topic).as_deref(), Some("سرقه"));
        assert_eq!(alt_form("بسلاح", Mode::Topic).as_deref(), Some("سلاح"));
        assert_eq!(alt_form("وبالسلاح", Mode::Topic).as_deref(), Some("سلاح"));
        assert_eq!(alt_form("باربد", Mode::Place).as_deref(), Some("اربد"));
        assert_eq!(alt_form("لمعان", Mode::Place), None);
        // Too short to be a proclitic plus a word, or already handled by the article rule.
        assert_eq!(alt_form("ولد", Mode::Topic), None);
        assert_eq!(alt_form("والشرطه", Mode::Topic), None);
        assert_eq!(alt_form("police", Mode::Topic), None);
    }

    #[test]
    fn terms_and_text_meet_across_spelling_variants() {
        assert_eq!(term_tokens("إطلاقُ النار", Mode::Topic), ["اطلاق", "نار"]);
        assert_eq!(term_tokens("اطلاق نار", Mode::Topic), ["اطلاق", "نار"]);
        assert_eq!(term_tokens("Car Crashes", Mode::Topic), ["car", "crash"]);
        assert_eq!(term_tokens("الزرقاء", Mode::Place), ["الزرقاء"]);
        assert_eq!(term_tokens("الزرقاء", Mode::Topic), ["زرقاء"]);
        assert!(term_tokens(" ،، ", Mode::Topic).is_empty());
        assert!(term_tokens("ًٌٍ", Mode::Topic).is_empty());
    }

    #[test]
    fn barriers_split_clauses_and_parts() {
        let mut v = Vocab::default();
        let a = v.intern("حادث");
        let b = v.intern("سير");
        let text = Analyzed::new(&v, &["وقع حادث. سير", "حادث سير"]);
        let ids: Vec<u32> = text.topic.iter().map(|p| p[0]).collect();
        assert_eq!(ids, [NONE, a, NONE, b, NONE, a, b, NONE]);
        // "وقع" is a word no rule uses, not a barrier.
        assert_eq!(text.barriers, [2, 4, 7]);
        assert!(text.barrier_between(1, 3) && !text.barrier_between(5, 7));
        assert!(!text.barrier_between(0, 2) && text.barrier_between(0, 3));
    }

    #[test]
    fn tokens_split_like_core() {
        for c in ('\u{0600}'..='\u{06FF}').chain('\u{0750}'..='\u{077F}') {
            assert_eq!(is_word_char(c), c.is_alphanumeric(), "U+{:04X}", c as u32);
        }
        let text = normalize_for_matching("عمّان، الزرقاء؟ (Irbid) ١٢ Zürich—Ма'ан_x\nجديد");
        let ours: Vec<&str> = words(&text).into_iter().flatten().collect();
        let core: Vec<&str> = rasd_core::text::tokens(&text).collect();
        assert_eq!(ours, core);
    }

    #[test]
    fn addresses_are_not_words() {
        let mut v = Vocab::default();
        let sahab = v.intern("sahab");
        let text = Analyzed::new(
            &v,
            &["write to salem_sahab@example.com or https://sahab.example/x"],
        );
        assert!(text.place.iter().all(|p| p[0] != sahab));
        let text = Analyzed::new(&v, &["Fire in Sahab"]);
        assert!(text.place.iter().any(|p| p[0] == sahab));
    }

    #[test]
    fn possessive_s_is_dropped() {
        let mut v = Vocab::default();
        let amman = v.intern("amman");
        let police = v.intern("police");
        let text = Analyzed::new(&v, &["Amman's police"]);
        let ids: Vec<u32> = text.place.iter().map(|p| p[0]).collect();
        assert_eq!(ids, [amman, police, NONE]);
    }
}
