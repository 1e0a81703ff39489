//! The two text analyzers of the index, registered under [`RASD`] and [`RASD_EXACT`].
//!
//! Both cut text into words the same way (letters and digits, with the marks and invisible
//! characters inside a word kept in it) and normalize each word with
//! [`rasd_core::text::normalize`]: diacritics, tatweel and bidi marks removed, alef/hamza
//! forms unified, Arabic-Indic digits to ASCII, Latin lower-cased. Then
//! [`rasd_core::text::strip_clitics`] removes the article with what is glued before it: ال,
//! و/ف before ال (which Snowball misses: `والشرطة`), بال, كال, لل. So أمن, امن, الأمن,
//! والأمن and الأَمْن are one word.
//!
//! - [`RASD`] then stems: Latin words with Snowball English (`thefts` → `theft`), Arabic
//!   words with Snowball Arabic, numbers not at all. ة is *not* folded to ه first: the
//!   stemmer needs it to remove the feminine ending. Snowball is steered so that a bare
//!   query word meets the defined form in the text (see `Stemmers::stem_arabic`):
//!   سرقات/السرقة, وزير/الوزير, فساد/الفساد, سيارته/سيارة all meet.
//! - [`RASD_EXACT`] stops before stemming. It backs the `*_exact` fields that quoted
//!   phrases search, so `"إطلاق نار"` finds `إطلاق النار` but not `أطلق ناراً`.
//!
//! At index time (not at query time, see [`query_tokenizers`]) a bare Arabic word that starts
//! with و ف ب ل or ك is also indexed, at the same position, without that letter: `بسرقة` is
//! found by `سرقة`, while `وزير` stays `وزير` for the query (its second form `زير` only
//! matches the rare query `زير`). A query word glued to such a letter (`بحادث`) is searched
//! without it too when the index holds the rest as a word of its own ([`proclitic_split`],
//! used by the query compiler).
//!
//! A final ه after the article is read as ة (`الشرطه` is `الشرطة`: a defined noun carries no
//! pronoun suffix); bare words need nothing, as the stemmer takes ه and ة off alike.
//!
//! Known gaps: broken plurals (جرائم/جريمة) do not meet; two stacked proclitics without an
//! article (وبسرقة) are not taken apart.
//! Words whose normalized form is longer than [`MAX_WORD_BYTES`] (base64, long URLs) are
//! dropped. Tokens keep byte offsets into the original text, so snippets can cut it.

use std::sync::OnceLock;

use rasd_core::text::{is_arabic_mark, is_arabic_word, is_invisible, normalize, strip_clitics};
use tantivy::tokenizer::{
    Language, RawTokenizer, Stemmer, TextAnalyzer, Token, TokenStream, Tokenizer, TokenizerManager,
};

/// Name of the stemming analyzer (fields `title` and `body`).
pub const RASD: &str = "rasd";
/// Name of the unstemmed analyzer (fields `title_exact` and `body_exact`).
pub const RASD_EXACT: &str = "rasd_exact";
/// Words longer than this many bytes once normalized are not indexed.
pub const MAX_WORD_BYTES: usize = 80;
/// Raw spans longer than this are skipped without even normalizing them.
const MAX_RAW_SPAN_BYTES: usize = 400;

/// One analyzed word: its byte range in the original text and its indexed form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Word {
    /// Byte offset of the first character in the original text.
    pub from: usize,
    /// Byte offset just past the last character in the original text.
    pub to: usize,
    /// The indexed form (normalized, clitics removed, stemmed for [`RASD`]).
    pub text: String,
    /// At index time, a second form indexed at the same position: the word without a
    /// leading و/ف/ب/ل/ك (see the module docs).
    pub alt: Option<String>,
}

/// Registers the index-time [`RASD`] and [`RASD_EXACT`] with a tokenizer manager (an
/// index's `tokenizers()`); must be done every time an index is opened.
pub fn register(manager: &TokenizerManager) {
    manager.register(RASD, RasdTokenizer::stemming());
    manager.register(RASD_EXACT, RasdTokenizer::exact());
}

/// Tantivy's default tokenizers (`raw` for the string fields) plus the query-time [`RASD`]
/// and [`RASD_EXACT`], which give one form per word: for the query parser.
pub fn query_tokenizers() -> TokenizerManager {
    static MANAGER: OnceLock<TokenizerManager> = OnceLock::new();
    MANAGER
        .get_or_init(|| {
            let manager = TokenizerManager::default();
            manager.register(RASD, RasdTokenizer::stemming().for_queries());
            manager.register(RASD_EXACT, RasdTokenizer::exact().for_queries());
            manager
        })
        .clone()
}

/// The words of `text` as the [`RASD`] analyzer indexes them.
pub fn analyze(text: &str) -> Vec<Word> {
    RasdTokenizer::stemming().words(text)
}

/// The words of `text` as the [`RASD_EXACT`] analyzer indexes them.
pub fn analyze_exact(text: &str) -> Vec<Word> {
    RasdTokenizer::exact().words(text)
}

/// The terms a query word becomes in the stemmed fields.
pub fn analyze_query(text: &str) -> Vec<String> {
    let words = RasdTokenizer::stemming().for_queries().words(text);
    words.into_iter().map(|w| w.text).collect()
}

/// A bare Arabic query word glued to a proclitic letter (`بحادث`), taken apart: its form
/// in the stemmed fields, the form of the rest (`حادث`) and the rest as text, which the
/// query analyzer reads as that form. `None` for other words (and for a word with the
/// article, which the analyzer already takes apart).
pub(crate) fn proclitic_split(word: &str) -> Option<(String, String, String)> {
    let mut words = RasdTokenizer::stemming().words(word);
    if words.len() != 1 {
        return None;
    }
    let w = words.pop()?;
    let alt = w.alt?;
    let normalized = normalize(word.trim());
    let rest = proclitic_rest(strip_clitics(&normalized))?.to_string();
    if is_function_word(&rest) {
        return None;
    }
    (analyze_query(&rest) == [alt.clone()]).then_some((w.text, alt, rest))
}

/// Arabic function words of three letters or more (demonstratives, relatives, forms of
/// كان, prepositions and conjunctions), with hamza and alef maqsura folded as
/// [`fold_hamza`] does. A query word made of a proclitic and one of these (`وهذه`,
/// `وحتى`, `ومنذ`) is not searched without the proclitic too: the rest is in a large
/// share of all items, so it would rank nothing better and make the search scan a large
/// part of the archive (at a million items such words were the slowest searches).
const FUNCTION_WORDS: &[&str] = &[
    "هذا",
    "هذه",
    "هذان",
    "هذين",
    "هاتان",
    "هاتين",
    "هولاء",
    "ذلك",
    "تلك",
    "اوليك",
    "هناك",
    "هنا",
    "الذي",
    "التي",
    "الذين",
    "اللذان",
    "اللذين",
    "اللتان",
    "اللتين",
    "اللاتي",
    "اللواتي",
    "كان",
    "كانت",
    "كانوا",
    "كانا",
    "يكون",
    "تكون",
    "يكونوا",
    "ليس",
    "ليست",
    "لست",
    "حتي",
    "منذ",
    "عند",
    "عندما",
    "بعد",
    "قبل",
    "بين",
    "بينما",
    "حول",
    "دون",
    "خلال",
    "ضمن",
    "عبر",
    "لدي",
    "علي",
    "الي",
    "فيه",
    "فيها",
    "فيهم",
    "منه",
    "منها",
    "منهم",
    "عليه",
    "عليها",
    "عليهم",
    "اليه",
    "اليها",
    "اليهم",
    "عنه",
    "عنها",
    "عنهم",
    "لكن",
    "لكنه",
    "لكنها",
    "انه",
    "انها",
    "انهم",
    "اذا",
    "ايضا",
    "كما",
    "مما",
    "ممن",
    "فيما",
    "حيث",
    "حين",
    "اما",
    "نحو",
    "غير",
    "سوي",
    "جميع",
    "بعض",
    "داخل",
    "خارج",
    "امام",
    "وراء",
    "تحت",
    "فوق",
    "انا",
    "نحن",
    "انت",
    "انتم",
    "هما",
    "الان",
    "ثمة",
    "لقد",
    "لان",
    "لذلك",
    "كذلك",
    "ذات",
    "مثل",
    "اكثر",
    "اقل",
];

/// True for a word of [`FUNCTION_WORDS`] (as normalized text, any hamza seat).
fn is_function_word(word: &str) -> bool {
    let folded = fold_hamza(word);
    FUNCTION_WORDS.contains(&folded.as_str())
}

/// The words of `text` that match a query term, as `(from, to, term)`: a word whose
/// unstemmed form (or the form without a leading و/ف/ب/ل/ك) is in `exact`, or whose stemmed
/// form is in `stemmed`. The same words [`analyze`] and [`analyze_exact`] would match, in
/// one pass over the text; a word is stemmed only when a stemmed term could be its stem
/// (the term, its last letter aside, appears in the word), and stems are remembered
/// between calls on one thread. For snippets.
pub(crate) fn matching_words(
    text: &str,
    exact: &std::collections::HashSet<String>,
    stemmed: &std::collections::HashSet<String>,
) -> Vec<(usize, usize, String)> {
    thread_local! {
        static STEMMER: std::cell::RefCell<RasdTokenizer> =
            std::cell::RefCell::new(RasdTokenizer::stemming());
    }
    let probes: Vec<String> = stemmed
        .iter()
        .map(|t| {
            let mut chars = t.chars();
            chars.next_back();
            fold_hamza(chars.as_str())
        })
        .collect();
    let could_stem_to_a_term = |word: &str| {
        let word = fold_hamza(word);
        probes.iter().any(|p| word.contains(p.as_str()))
    };
    let mut out = Vec::new();
    STEMMER.with(|t| {
        let mut t = t.borrow_mut();
        for (from, to) in spans(text) {
            if to - from > MAX_RAW_SPAN_BYTES {
                continue;
            }
            let normalized = normalize(&text[from..to]);
            let bare = strip_clitics(&normalized);
            if bare.is_empty() || bare.len() > MAX_WORD_BYTES {
                continue;
            }
            let had_article = bare.len() != normalized.len();
            let rest = proclitic_rest(bare).filter(|_| !had_article);
            let own = ta_marbuta_after_article(bare, had_article);
            let term = [Some(own.as_ref()), rest]
                .into_iter()
                .flatten()
                .find(|form| exact.contains(*form))
                .map(str::to_string)
                .or_else(|| {
                    [(bare, had_article), (rest.unwrap_or_default(), false)]
                        .into_iter()
                        .filter(|(w, _)| !w.is_empty() && could_stem_to_a_term(w))
                        .map(|(w, article)| t.form(w, article))
                        .find(|form| stemmed.contains(form))
                });
            if let Some(term) = term {
                out.push((from, to, term));
            }
        }
    });
    out
}

/// A word of a text before its form is chosen: where it is, normalized with the article and
/// what is glued before it taken off, and whether it had the article.
#[derive(Debug)]
struct Bare {
    from: usize,
    to: usize,
    bare: String,
    had_article: bool,
}

/// Texts whose words are remembered: the index analyzes each title and body twice (stemmed
/// and exact fields), and the second analysis reuses the first's words.
const RECENT_TEXTS: usize = 4;
/// Shorter texts are analyzed afresh (cheaper than comparing).
const REMEMBER_FROM_BYTES: usize = 256;

/// The words of `text`, normalized and without clitics (see [`Bare`]).
fn bare_words(text: &str) -> std::rc::Rc<Vec<Bare>> {
    thread_local! {
        static RECENT: std::cell::RefCell<std::collections::VecDeque<(String, std::rc::Rc<Vec<Bare>>)>> =
            const { std::cell::RefCell::new(std::collections::VecDeque::new()) };
    }
    let remember = text.len() >= REMEMBER_FROM_BYTES;
    if remember
        && let Some(found) = RECENT.with(|r| {
            r.borrow()
                .iter()
                .find(|(t, _)| t == text)
                .map(|(_, words)| words.clone())
        })
    {
        return found;
    }
    let mut words = Vec::new();
    for (from, to) in spans(text) {
        if to - from > MAX_RAW_SPAN_BYTES {
            continue;
        }
        let mut normalized = normalize(&text[from..to]);
        // `strip_clitics` only takes letters off the front.
        let bare_len = strip_clitics(&normalized).len();
        if bare_len == 0 || bare_len > MAX_WORD_BYTES {
            continue;
        }
        let had_article = bare_len != normalized.len();
        normalized.drain(..normalized.len() - bare_len);
        words.push(Bare {
            from,
            to,
            had_article,
            bare: normalized,
        });
    }
    let words = std::rc::Rc::new(words);
    if remember {
        RECENT.with(|r| {
            let mut r = r.borrow_mut();
            if r.len() >= RECENT_TEXTS {
                r.pop_front();
            }
            r.push_back((text.to_string(), words.clone()));
        });
    }
    words
}

/// Hamza seats and alef forms folded to their base letters, for comparing a word with a
/// stem (Snowball writes ؤ as و and ئ as ي).
fn fold_hamza(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            'أ' | 'إ' | 'آ' => 'ا',
            'ؤ' => 'و',
            'ئ' | 'ى' => 'ي',
            other => other,
        })
        .collect()
}

/// After the article a final ه is ة written without its dots (`الشرطه`, `الامنيه`): a
/// defined noun carries no pronoun suffix, so the word is read with ة and meets the usual
/// spelling. Bare words need nothing: the stemmer already takes ه and ة off alike.
fn ta_marbuta_after_article(bare: &str, had_article: bool) -> std::borrow::Cow<'_, str> {
    match bare.strip_suffix('ه') {
        Some(stem) if had_article && stem.chars().nth(1).is_some() => {
            std::borrow::Cow::Owned(format!("{stem}ة"))
        }
        _ => std::borrow::Cow::Borrowed(bare),
    }
}

/// A mark that combines with the letter before it (Arabic harakat and shadda, Latin
/// accents): text is never cut just before one.
pub(crate) fn is_combining(c: char) -> bool {
    is_arabic_mark(c) || matches!(c, '\u{0300}'..='\u{036F}')
}

/// True for characters that belong inside a word: letters, digits, and the marks and
/// invisible characters that normalization removes (so `الأَمْن` or `شـرطة` stay one word).
fn is_word_char(c: char) -> bool {
    // The common cases first: ASCII, and the Arabic letters and digits (ء–ي, ٠–٩).
    if c.is_ascii() {
        return c.is_ascii_alphanumeric();
    }
    if matches!(c, '\u{0621}'..='\u{064A}' | '\u{0660}'..='\u{0669}') {
        return true;
    }
    rasd_core::text::is_word_char(c)
        || is_arabic_mark(c)
        || is_invisible(c)
        || matches!(c, '\u{0300}'..='\u{036F}')
}

/// Byte ranges of the candidate words of `text`.
fn spans(text: &str) -> impl Iterator<Item = (usize, usize)> + '_ {
    let mut chars = text.char_indices().peekable();
    std::iter::from_fn(move || {
        // Skip separators.
        let (start, _) = loop {
            let (i, c) = chars.next()?;
            if is_word_char(c) {
                break (i, c);
            }
        };
        let mut end = text.len();
        while let Some(&(i, c)) = chars.peek() {
            if !is_word_char(c) {
                end = i;
                break;
            }
            chars.next();
        }
        Some((start, end))
    })
}

/// The rest of a bare Arabic word that starts with one of the proclitic letters و ف ب ل ك,
/// when at least three letters remain (`بسرقة` → `سرقة`; also `وزير` → `زير`, which is why
/// it is only a second form).
fn proclitic_rest(bare: &str) -> Option<&str> {
    let mut chars = bare.chars();
    let first = chars.next()?;
    let rest = chars.as_str();
    (matches!(first, 'و' | 'ف' | 'ب' | 'ل' | 'ك') && rest.chars().count() >= 3).then_some(rest)
}

/// Script of a normalized word, to pick its stemmer.
fn is_latin_word(word: &str) -> bool {
    word.chars().any(|c| {
        c.is_ascii_alphabetic() || (c.is_alphabetic() && matches!(c, '\u{00C0}'..='\u{024F}'))
    })
}

/// Distinct words a stemmer remembers before it starts afresh (a few MB per analyzer; news
/// vocabulary is skewed enough that most occurrences hit even after a reset).
const STEM_CACHE_WORDS: usize = 50_000;

/// Snowball stemmers for the two languages Rasd reads, applied one word at a time, with the
/// stems of the words seen lately remembered (news repeats its words: most are stemmed once
/// per index segment instead of once per occurrence).
struct Stemmers {
    arabic: TextAnalyzer,
    english: TextAnalyzer,
    /// Bare word → stem, for words written without the article (`[0]`) and with it (`[1]`).
    cache: [std::collections::HashMap<String, String>; 2],
}

impl Clone for Stemmers {
    /// A clone starts with an empty cache (tantivy clones an analyzer per field and segment).
    fn clone(&self) -> Stemmers {
        Stemmers {
            arabic: self.arabic.clone(),
            english: self.english.clone(),
            cache: Default::default(),
        }
    }
}

impl Stemmers {
    fn new() -> Stemmers {
        Stemmers {
            cache: Default::default(),
            arabic: TextAnalyzer::builder(RawTokenizer::default())
                .filter(Stemmer::new(Language::Arabic))
                .build(),
            english: TextAnalyzer::builder(RawTokenizer::default())
                .filter(Stemmer::new(Language::English))
                .build(),
        }
    }

    /// Runs one Snowball stemmer over one word.
    fn run(analyzer: &mut TextAnalyzer, word: &str) -> String {
        let mut stream = analyzer.token_stream(word);
        match stream.next() {
            Some(token) if !token.text.is_empty() => token.text.clone(),
            _ => word.to_string(),
        }
    }

    /// Stems a normalized word whose article (if any) was removed; `had_article` tells
    /// whether it was written with one.
    fn stem(&mut self, bare: &str, had_article: bool) -> String {
        // The article only steers Arabic stems.
        let had_article = had_article && is_arabic_word(bare);
        let cache = &mut self.cache[usize::from(had_article)];
        if let Some(stem) = cache.get(bare) {
            return stem.clone();
        }
        let stem = self.stem_uncached(bare, had_article);
        let cache = &mut self.cache[usize::from(had_article)];
        if cache.len() >= STEM_CACHE_WORDS {
            cache.clear();
        }
        cache.insert(bare.to_string(), stem.clone());
        stem
    }

    fn stem_uncached(&mut self, bare: &str, had_article: bool) -> String {
        if is_arabic_word(bare) {
            self.stem_arabic(bare, had_article)
        } else if is_latin_word(bare) {
            Self::run(&mut self.english, bare)
        } else {
            bare.to_string()
        }
    }

    /// Snowball Arabic, steered so that the bare and the defined forms of a noun meet.
    ///
    /// Snowball reads a word that starts with ال as a noun and a bare word as noun-or-verb;
    /// on bare words it strips an initial و/ف/ب/ك/ل as if it were a proclitic (وزير → زير,
    /// فساد → ساد) and treats ات plurals as verb endings (سرقات → سرقا), so a bare query
    /// word would miss the defined form in the text. So every word is stemmed as its
    /// defined form (ال + word). Defined nouns never carry pronoun or verb endings, so when
    /// that removes nothing from a bare word, the bare word is stemmed as well and its
    /// result is kept if it only cut an ending (سيارته → سيار, اعتقلت → اعتقل).
    fn stem_arabic(&mut self, bare: &str, had_article: bool) -> String {
        let defined = Self::run(&mut self.arabic, &format!("ال{bare}"));
        if defined.starts_with("ال") {
            // Too short for Snowball to take the article off (عمان, في): stem it bare.
            return Self::run(&mut self.arabic, bare);
        }
        if defined == bare && !had_article {
            let plain = Self::run(&mut self.arabic, bare);
            if plain.len() < bare.len() && bare.starts_with(plain.as_str()) {
                return plain;
            }
        }
        defined
    }
}

/// The tokenizer behind both analyzers: splits, normalizes, strips clitics and, when built
/// with [`RasdTokenizer::stemming`], stems by script.
#[derive(Clone)]
pub struct RasdTokenizer {
    stemmers: Option<Stemmers>,
    /// Index time: also index the word without a leading proclitic letter.
    expand: bool,
}

impl std::fmt::Debug for RasdTokenizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RasdTokenizer")
            .field("stemming", &self.stemmers.is_some())
            .field("expand", &self.expand)
            .finish()
    }
}

impl RasdTokenizer {
    /// The index-time [`RASD`] tokenizer.
    pub fn stemming() -> RasdTokenizer {
        RasdTokenizer {
            stemmers: Some(Stemmers::new()),
            expand: true,
        }
    }

    /// The index-time [`RASD_EXACT`] tokenizer.
    pub fn exact() -> RasdTokenizer {
        RasdTokenizer {
            stemmers: None,
            expand: true,
        }
    }

    /// The query-time variant: one form per word, no second form.
    pub fn for_queries(self) -> RasdTokenizer {
        RasdTokenizer {
            expand: false,
            ..self
        }
    }

    fn form(&mut self, bare: &str, had_article: bool) -> String {
        let bare = ta_marbuta_after_article(bare, had_article);
        match &mut self.stemmers {
            Some(stemmers) => stemmers.stem(&bare, had_article),
            None => bare.into_owned(),
        }
    }

    /// The analyzed words of `text`.
    pub fn words(&mut self, text: &str) -> Vec<Word> {
        let bares = bare_words(text);
        let mut out = Vec::with_capacity(bares.len());
        for b in bares.iter() {
            let bare = b.bare.as_str();
            let text = self.form(bare, b.had_article);
            let alt = match proclitic_rest(bare) {
                Some(rest) if self.expand && !b.had_article => {
                    Some(self.form(rest, false)).filter(|alt| *alt != text)
                }
                _ => None,
            };
            out.push(Word {
                from: b.from,
                to: b.to,
                text,
                alt,
            });
        }
        out
    }
}

impl Tokenizer for RasdTokenizer {
    type TokenStream<'a> = RasdTokenStream;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> RasdTokenStream {
        let mut tokens = Vec::new();
        for (position, w) in self.words(text).into_iter().enumerate() {
            let token = |text| Token {
                offset_from: w.from,
                offset_to: w.to,
                position,
                text,
                position_length: 1,
            };
            tokens.push(token(w.text));
            if let Some(alt) = w.alt {
                tokens.push(token(alt));
            }
        }
        RasdTokenStream {
            tokens,
            next: 0,
            current: Token::default(),
        }
    }
}

/// The token stream of [`RasdTokenizer`] (analysis is done up front).
#[derive(Debug)]
pub struct RasdTokenStream {
    tokens: Vec<Token>,
    next: usize,
    current: Token,
}

impl TokenStream for RasdTokenStream {
    fn advance(&mut self) -> bool {
        match self.tokens.get_mut(self.next) {
            Some(token) => {
                self.current = std::mem::take(token);
                self.next += 1;
                true
            }
            None => false,
        }
    }

    fn token(&self) -> &Token {
        &self.current
    }

    fn token_mut(&mut self) -> &mut Token {
        &mut self.current
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What [`matching_words`] must find: every word of both analyses whose form (or second
    /// form) is a term, exact first.
    fn matches_by_full_analysis(
        text: &str,
        exact: &std::collections::HashSet<String>,
        stemmed: &std::collections::HashSet<String>,
    ) -> Vec<(usize, usize, String)> {
        analyze(text)
            .into_iter()
            .zip(analyze_exact(text))
            .filter_map(|(stem, ex)| {
                let hit = |w: Word, set: &std::collections::HashSet<String>| {
                    [Some(w.text), w.alt]
                        .into_iter()
                        .flatten()
                        .find(|f| set.contains(f))
                };
                let (from, to) = (stem.from, stem.to);
                hit(ex, exact)
                    .or_else(|| hit(stem, stemmed))
                    .map(|t| (from, to, t))
            })
            .collect()
    }

    #[test]
    fn one_pass_matching_finds_what_both_analyses_find() {
        let text = "وأعلنت مديرية الأمن العام أن المسؤولين ضبطوا سيارة مسروقة بسرقة سيارات \
                    والسيارات في الشرطه والمدارس، وقال مسؤول إن المياه انقطعت عن المدرسة. \
                    Police said the thefts and stolen cars were studied by studies; happiness, \
                    running, ran. وحادث بحادث الحادث حوادث الإطلاق إطلاق النار ونار.";
        let queries = [
            "سرقة",
            "سيارة",
            "الشرطة",
            "مسؤول",
            "مدرسة",
            "المياه",
            "theft",
            "study",
            "happy",
            "run",
            "حادث",
            "نار",
            "أمن",
            "اطلاق",
        ];
        for q in queries {
            let stemmed: std::collections::HashSet<String> = analyze_query(q).into_iter().collect();
            let exact: std::collections::HashSet<String> = RasdTokenizer::exact()
                .for_queries()
                .words(q)
                .into_iter()
                .map(|w| w.text)
                .collect();
            for (e, s) in [
                (exact.clone(), std::collections::HashSet::new()),
                (std::collections::HashSet::new(), stemmed.clone()),
                (exact.clone(), stemmed.clone()),
            ] {
                assert_eq!(
                    matching_words(text, &e, &s),
                    matches_by_full_analysis(text, &e, &s),
                    "{q}: exact {e:?}, stemmed {s:?}"
                );
            }
        }
    }

    #[test]
    fn ha_after_the_article_meets_ta_marbuta() {
        for (a, b) in [
            ("الشرطه", "الشرطة"),
            ("الامنيه", "الأمنية"),
            ("والمياه", "المياة"),
        ] {
            assert_eq!(analyze_query(a), analyze_query(b), "{a} / {b}");
            assert_eq!(
                analyze_exact(a)[0].text,
                analyze_exact(b)[0].text,
                "{a} / {b} unstemmed"
            );
        }
        // A bare word keeps its pronoun: سيارته is not سيارة's spelling, but both stem alike.
        assert_eq!(analyze_exact("سيارته")[0].text, "سيارته");
        // Too short to be read so: الله stays.
        assert_eq!(analyze_exact("الله")[0].text, "له");
    }

    fn texts(words: Vec<Word>) -> Vec<String> {
        words.into_iter().map(|w| w.text).collect()
    }

    fn one(word: &str) -> String {
        let mut words = texts(analyze(word));
        assert_eq!(words.len(), 1, "{word} gave {words:?}");
        words.remove(0)
    }

    #[test]
    fn amn_variants_meet() {
        let base = one("أمن");
        for form in ["امن", "الأمن", "والأمن", "فالأمن", "الأَمْن", "الأمـــن", "بالأمن"]
        {
            assert_eq!(one(form), base, "{form}");
        }
    }

    #[test]
    fn waw_before_article_is_stripped() {
        assert_eq!(one("والشرطة"), one("الشرطة"));
        assert_eq!(one("والشرطة"), one("شرطة"));
        assert_eq!(texts(analyze_exact("والشرطة")), ["شرطة"]);
    }

    #[test]
    fn hamza_forms_meet() {
        assert_eq!(one("إطلاق"), one("اطلاق"));
        assert_eq!(one("مسؤول"), one("مسوول"));
    }

    #[test]
    fn arabic_indic_digits_become_ascii() {
        assert_eq!(texts(analyze("٢٠٢٦")), ["2026"]);
        assert_eq!(texts(analyze_exact("۱۲ إصابة")), ["12", "اصابة"]);
    }

    #[test]
    fn english_is_stemmed_and_lowercased() {
        assert_eq!(one("Thefts"), one("theft"));
        assert_eq!(one("Arrested"), one("arrest"));
        assert_eq!(texts(analyze_exact("Thefts")), ["thefts"]);
    }

    #[test]
    fn marks_and_bidi_do_not_split_words() {
        let text = "\u{200F}الأَمْنُ العـــام";
        let words = analyze_exact(text);
        assert_eq!(texts(words.clone()), ["امن", "عام"]);
        // Offsets point into the original text.
        assert!(text[words[1].from..words[1].to].starts_with("الع"));
    }

    #[test]
    fn bare_query_words_meet_defined_forms() {
        for (bare, defined) in [
            ("سرقات", "السرقة"),
            ("مخدرات", "المخدرات"),
            ("وزير", "الوزير"),
            ("فساد", "الفساد"),
            ("سيارته", "السيارة"),
            ("عمان", "عمان"),
        ] {
            assert_eq!(analyze_query(bare), [one(defined)], "{bare} / {defined}");
        }
        // The steering keeps a root و/ف: فساد is not ساد, وزارة is not زيارة.
        assert_ne!(analyze_query("فساد"), analyze_query("ساد"));
        assert_ne!(analyze_query("وزارة"), analyze_query("زيارة"));
    }

    #[test]
    fn a_proclitic_on_a_function_word_is_not_taken_off_at_query_time() {
        assert!(proclitic_split("بحادث").is_some());
        assert!(proclitic_split("لمؤسسة").is_some());
        for word in [
            "وهذه",
            "وحتى",
            "ومنذ",
            "وكانت",
            "فإذا",
            "وأيضاً",
            "ولدى",
            "وأمام",
        ] {
            assert!(proclitic_split(word).is_none(), "{word}");
        }
    }

    #[test]
    fn proclitic_letter_gives_a_second_form_at_index_time_only() {
        let words = analyze("بسرقة");
        assert_eq!(words[0].alt.as_deref(), Some(one("سرقة").as_str()));
        assert_eq!(analyze_query("بسرقة").len(), 1);
        assert_ne!(analyze_query("بسرقة"), analyze_query("سرقة"));
        // Short rests and defined words get no second form.
        assert_eq!(analyze("بلد")[0].alt, None);
        assert_eq!(analyze("بالسرقة")[0].alt, None);
        let mut tok = RasdTokenizer::exact();
        let mut stream = tok.token_stream("وسرقة سيارة");
        let mut seen = Vec::new();
        while let Some(t) = stream.next() {
            seen.push((t.position, t.text.clone()));
        }
        assert_eq!(
            seen,
            [
                (0, "وسرقة".to_string()),
                (0, "سرقة".to_string()),
                (1, "سيارة".to_string())
            ]
        );
    }

    #[test]
    fn long_tokens_are_dropped() {
        let long = "a".repeat(MAX_WORD_BYTES + 1);
        assert_eq!(texts(analyze(&format!("سرقة {long} theft"))).len(), 2);
    }

    #[test]
    fn ta_marbuta_is_not_folded_before_stemming() {
        // The stemmer removes the feminine ending itself, so سرقة and سرقات-like forms
        // share a stem only when ة reaches it.
        assert_eq!(one("سرقة"), one("السرقة"));
        assert_ne!(one("سرقة"), "سرقه");
    }

    #[test]
    fn tokenizer_positions_are_consecutive() {
        let mut tok = RasdTokenizer::stemming();
        let mut stream = tok.token_stream("إطلاق  ،  النار");
        let mut positions = Vec::new();
        while let Some(t) = stream.next() {
            positions.push(t.position);
        }
        assert_eq!(positions, [0, 1]);
    }
}
