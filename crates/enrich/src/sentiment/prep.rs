//! Tweet-aware features for sentiment: the text is cut to [`MAX_CHARS`] characters, links
//! and @mentions become markers, hashtags become words (split at `_` and camel case), emoji and emoticons also count as
//! a polarity class, then the matching form (elongation collapsed) gives two blocks, each
//! L2-normalised, summed with [`SentFeatureConfig::word_weight`]:
//! character n-grams within words ([`crate::features`]) and a word block (clitic-stripped
//! unigrams and bigrams, the word after a negation marked as negated, lexicon classes
//! flipped under negation, and the markers).

use rasd_core::text::{normalize_for_matching, strip_clitics};

use super::lexicon::{Lex, emoji_class, emoticon_class, fast};
use crate::features::{
    FeatureConfig, Featurizer, SparseVec, collapse_runs_into, feature_bucket, fnv_bytes, fnv_char,
    mix, sparse_from_buckets, tokens, weighted_sum,
};

/// Only the first this many characters of a text are read.
pub const MAX_CHARS: usize = 2_000;

/// Which sentiment features are extracted.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SentFeatureConfig {
    /// Number of hash buckets is `2^bits` (8..=24).
    pub bits: u8,
    /// Shortest character n-gram.
    pub char_min: u8,
    /// Longest character n-gram (0 disables the character block).
    pub char_max: u8,
    /// Weight of the word block against the character block (0 disables it).
    pub word_weight: f32,
    /// Word bigrams.
    pub bigrams: bool,
    /// Negation marking and lexicon classes.
    pub lexicon: bool,
    /// Character n-grams also run across word boundaries (words joined by one space).
    pub across_words: bool,
    /// Light-stemmed words (conjunction and common suffixes removed) as extra features.
    pub stems: bool,
    /// Shape features: `!`, `?`, elongated words, digits, Latin letters, length class.
    pub shape: bool,
    /// Character block values are plain counts over the square root of the number of
    /// n-grams (instead of damped counts over their L2 norm): a text's score is then a sum
    /// over its words, which the prediction path caches per word.
    pub linear_chars: bool,
}

impl Default for SentFeatureConfig {
    fn default() -> Self {
        SentFeatureConfig {
            bits: 20,
            char_min: 2,
            char_max: 5,
            word_weight: 1.0,
            bigrams: true,
            lexicon: true,
            across_words: false,
            stems: false,
            shape: false,
            linear_chars: false,
        }
    }
}

impl SentFeatureConfig {
    /// The config as 9 bytes, for model files.
    pub fn to_bytes(self) -> [u8; 9] {
        let w = self.word_weight.to_le_bytes();
        [
            self.bits,
            self.char_min,
            self.char_max,
            w[0],
            w[1],
            w[2],
            w[3],
            u8::from(self.bigrams)
                | u8::from(self.across_words) << 1
                | u8::from(self.stems) << 2
                | u8::from(self.shape) << 3
                | u8::from(self.linear_chars) << 4,
            u8::from(self.lexicon),
        ]
    }

    /// The config from [`SentFeatureConfig::to_bytes`], or `None` when out of range.
    pub fn from_bytes(b: [u8; 9]) -> Option<SentFeatureConfig> {
        let word_weight = f32::from_le_bytes([b[3], b[4], b[5], b[6]]);
        let c = SentFeatureConfig {
            bits: b[0],
            char_min: b[1],
            char_max: b[2],
            word_weight,
            bigrams: b[7] & 1 == 1,
            lexicon: b[8] == 1,
            across_words: b[7] & 2 == 2,
            stems: b[7] & 4 == 4,
            shape: b[7] & 8 == 8,
            linear_chars: b[7] & 16 == 16,
        };
        (b[7] <= 31
            && b[8] <= 1
            && (8..=24).contains(&c.bits)
            && c.char_min >= 1
            && c.char_max <= 8
            && word_weight.is_finite()
            && (0.0..=100.0).contains(&word_weight))
        .then_some(c)
    }
}

/// Extracts sentiment features; keeps buffers between calls (one per thread).
#[derive(Debug, Clone)]
pub struct SentFeaturizer {
    config: SentFeatureConfig,
    /// Character n-grams (and symbols) of the config.
    pub(super) chars: Featurizer,
    clean: String,
    /// The matching form of the last text, elongation collapsed.
    pub(super) normalized: String,
    /// The character block's buckets (one per occurrence) after [`SentFeaturizer::fill`].
    pub(super) char_buckets: Vec<u32>,
    /// The word block's buckets (one per occurrence) after [`SentFeaturizer::fill`].
    pub(super) buckets: Vec<u32>,
    /// FNV seeds of the families `w`, `s`, `b`, `n`.
    seeds: [u64; 4],
    /// Scratch space of the fast prediction path (module `fast`).
    pub(super) scratch: super::fast::Scratch,
    /// Each word's character n-grams and their weights, for the fast prediction path.
    pub(super) cache: crate::word_cache::WordCache,
}

impl SentFeaturizer {
    /// A featurizer for `config`.
    pub fn new(config: SentFeatureConfig) -> SentFeaturizer {
        SentFeaturizer {
            config,
            chars: Featurizer::new(FeatureConfig {
                bits: config.bits,
                char_min: config.char_min,
                char_max: config.char_max,
                word_max: 0,
                char_across_words: config.across_words,
            }),
            clean: String::new(),
            normalized: String::new(),
            char_buckets: Vec::new(),
            buckets: Vec::new(),
            seeds: ['w', 's', 'b', 'n'].map(|f| fnv_char(FNV_OFFSET, f)),
            scratch: Default::default(),
            cache: Default::default(),
        }
    }

    /// The config it extracts with.
    pub fn config(&self) -> SentFeatureConfig {
        self.config
    }

    fn push(&mut self, family: char, key: &str) {
        self.buckets
            .push(feature_bucket(self.config.bits, family, key));
    }

    /// Pushes the bucket of the FNV state `h` (a family seed with its key hashed in).
    #[inline]
    fn push_hash(&mut self, h: u64) {
        let mask = (1u64 << self.config.bits.min(30)) - 1;
        self.buckets.push((mix(h) & mask) as u32);
    }

    /// The feature vector of `text` (empty when it has no words or symbols).
    pub fn features(&mut self, text: &str) -> SparseVec {
        let (chars, words) = self.fill(text, true);
        let char_block = if chars && self.config.linear_chars {
            linear_from_buckets(&mut self.char_buckets)
        } else if chars {
            sparse_from_buckets(&mut self.char_buckets)
        } else {
            SparseVec::default()
        };
        if !words {
            return char_block;
        }
        let word_block = sparse_from_buckets(&mut self.buckets);
        if char_block.is_empty() {
            return word_block;
        }
        weighted_sum(&char_block, 1.0, &word_block, self.config.word_weight)
    }

    /// Fills [`SentFeaturizer::normalized`], [`SentFeaturizer::buckets`] (the word block,
    /// used when it is on) and, with `char_ngrams` and the character block on,
    /// [`SentFeaturizer::char_buckets`] (the fast path leaves them out: it scores the
    /// character block word by word from the normalized text); returns whether each block
    /// is on.
    pub(super) fn fill(&mut self, text: &str, char_ngrams: bool) -> (bool, bool) {
        let end = text
            .char_indices()
            .nth(MAX_CHARS)
            .map_or(text.len(), |(i, _)| i);
        let text = &text[..end];
        self.buckets.clear();
        let mut clean = std::mem::take(&mut self.clean);
        clean.clear();
        let lexicon = self.config.lexicon;
        for raw in text.split_whitespace() {
            let lower = raw.get(..4).unwrap_or("");
            if lower.eq_ignore_ascii_case("http") || raw.starts_with("www.") {
                self.push('t', "url");
                continue;
            }
            if raw.starts_with('@') {
                self.push('t', "mention");
                continue;
            }
            if lexicon && let Some(c) = emoticon_class(raw) {
                self.push('e', if c == 'p' { "p" } else { "n" });
                continue;
            }
            if raw.starts_with('#') {
                self.push('t', "hashtag");
                // `#NepalEarthquake` and `#حادث_سير` as words.
                let split = rasd_core::text::split_hashtags(raw);
                let tag = &split[1..];
                clean.extend(tag.chars().map(|c| if c == '_' { ' ' } else { c }));
            } else {
                clean.push_str(raw);
            }
            clean.push(' ');
            if lexicon {
                for c in raw.chars() {
                    if let Some(class) = emoji_class(c) {
                        let k = match class {
                            'p' => "p",
                            'n' => "n",
                            _ => "l",
                        };
                        self.push('e', k);
                    }
                }
            }
        }
        let matching = normalize_for_matching(&clean);
        let mut normalized = std::mem::take(&mut self.normalized);
        normalized.clear();
        collapse_runs_into(&matching, &mut normalized);
        if self.config.shape && !matching.is_empty() {
            self.shape(text, &matching, &normalized);
        }
        self.clean = clean;
        self.char_buckets.clear();
        let chars = self.config.char_max >= self.config.char_min;
        if chars && char_ngrams {
            self.chars.char_buckets(&normalized, &mut self.char_buckets);
        }
        let words = self.config.word_weight > 0.0;
        if words {
            self.words(&normalized);
        }
        self.normalized = normalized;
        (chars, words)
    }

    /// Pushes the shape features of `text` (its matching form before and after collapsing
    /// elongation).
    fn shape(&mut self, text: &str, matching: &str, collapsed: &str) {
        if text.contains('!') {
            self.push('x', "!");
        }
        if text.contains('?') || text.contains('؟') {
            self.push('x', "?");
        }
        if matching.len() != collapsed.len() {
            self.push('x', "elong");
        }
        if collapsed.chars().any(|c| c.is_ascii_digit()) {
            self.push('x', "digit");
        }
        if collapsed.chars().any(|c| c.is_ascii_alphabetic()) {
            self.push('x', "latin");
        }
        let n = tokens(collapsed).count();
        self.push(
            'x',
            match n {
                0..=3 => "len1",
                4..=7 => "len2",
                8..=15 => "len3",
                _ => "len4",
            },
        );
    }

    /// Pushes the word block's buckets.
    fn words(&mut self, normalized: &str) {
        let cfg = self.config;
        let [seed_w, seed_s, seed_b, seed_n] = self.seeds;
        let lexicon = fast();
        let mut prev: Option<&str> = None;
        // `prev` starts a two-word lexicon phrase.
        let mut prev_head = false;
        let mut negate_next = false;
        let (mut pos, mut neg) = (0u32, 0u32);
        for word in tokens(normalized) {
            let w = strip_clitics(word);
            self.push_hash(fnv_bytes(seed_w, w.as_bytes()));
            if cfg.stems {
                let s = light_stem(w);
                if s.len() != w.len() {
                    self.push_hash(fnv_bytes(seed_s, s.as_bytes()));
                }
            }
            if cfg.bigrams
                && let Some(p) = prev
            {
                let h = fnv_bytes(fnv_bytes(seed_b, p.as_bytes()), b" ");
                self.push_hash(fnv_bytes(h, w.as_bytes()));
            }
            let mut head = false;
            if cfg.lexicon {
                if is_laughter(word) {
                    self.push('e', "l");
                }
                // Levantine / Egyptian circumfix negation: ما…ش (مابحبش).
                let (inner, circumfix) =
                    match word.strip_prefix("ما").and_then(|r| r.strip_suffix('ش')) {
                        Some(inner) if inner.chars().count() >= 2 => (inner, true),
                        _ => (w, false),
                    };
                let negated = negate_next || circumfix;
                if negated {
                    self.push_hash(fnv_bytes(seed_n, inner.as_bytes()));
                }
                let of_inner = lexicon.get(inner);
                let mut lex = of_inner.lex;
                if lex.is_none()
                    && prev_head
                    && let Some(p) = prev
                {
                    lex = lexicon.pair(p, w);
                }
                if let Some(l) = lex {
                    let positive = (l == Lex::Pos) != negated;
                    if positive {
                        pos += 1;
                    } else {
                        neg += 1;
                    }
                    self.push('l', if positive { "p" } else { "n" });
                    if negated {
                        self.push('l', if l == Lex::Pos { "np" } else { "nn" });
                    }
                }
                let of_w = if circumfix { lexicon.get(w) } else { of_inner };
                // `w` is a suffix of `word`: equal lengths mean equal words.
                let of_word = if word.len() == w.len() {
                    of_w
                } else {
                    lexicon.get(word)
                };
                negate_next = of_word.negator || of_w.negator;
                head = of_w.head;
            }
            prev = Some(w);
            prev_head = head;
        }
        if cfg.lexicon && prev.is_some() {
            let balance = match pos.cmp(&neg) {
                std::cmp::Ordering::Greater => "more_pos",
                std::cmp::Ordering::Less => "more_neg",
                std::cmp::Ordering::Equal if pos == 0 => "none",
                std::cmp::Ordering::Equal => "tie",
            };
            self.push('c', balance);
        }
    }
}

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;

/// Counts of each bucket of `buckets` (one per occurrence) over the square root of the
/// number of occurrences.
fn linear_from_buckets(buckets: &mut [u32]) -> SparseVec {
    buckets.sort_unstable();
    let inv = if buckets.is_empty() {
        1.0
    } else {
        1.0 / (buckets.len() as f32).sqrt()
    };
    let mut out = SparseVec::default();
    for &b in buckets.iter() {
        if out.indices.last() == Some(&b) {
            *out.values.last_mut().expect("a value per index") += inv;
        } else {
            out.indices.push(b);
            out.values.push(inv);
        }
    }
    out
}

/// A light stem of a normalized, clitic-stripped Arabic word: a leading و or ف (while four
/// letters remain), then one common suffix (ها هم كم نا ات ون ين ه ي, while three letters
/// remain). Other words come back unchanged.
pub(crate) fn light_stem(word: &str) -> &str {
    let letters = |s: &str| s.chars().count();
    if !word
        .chars()
        .next()
        .is_some_and(|c| ('\u{0621}'..='\u{064A}').contains(&c))
    {
        return word;
    }
    let mut w = word;
    if let Some(rest) = ["و", "ف"].iter().find_map(|p| w.strip_prefix(p))
        && letters(rest) >= 4
    {
        w = rest;
    }
    for suf in ["ها", "هم", "كم", "نا", "ات", "ون", "ين", "ه", "ي"] {
        if let Some(rest) = w.strip_suffix(suf)
            && letters(rest) >= 3
        {
            return rest;
        }
    }
    w
}

/// `ههه`, `هه` after collapsing, `haha`, `lol`: laughter.
fn is_laughter(word: &str) -> bool {
    word == "ه"
        || word == "هه"
        || word.starts_with("ههه")
        || word.starts_with("haha")
        || word == "lol"
        || word.starts_with("lmao")
        || word == "خخخ"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markers_negation_and_lexicon() {
        let mut f = SentFeaturizer::new(SentFeatureConfig::default());
        let a = f.features("الخدمة ممتازة 😍 https://t.co/x @user");
        let b = f.features("الخدمة مش ممتازة 😡");
        assert!(!a.is_empty() && !b.is_empty());
        assert!(a.indices.windows(2).all(|w| w[0] < w[1]));
        let pos = feature_bucket(20, 'l', "p");
        let neg = feature_bucket(20, 'l', "n");
        assert!(a.indices.contains(&pos) && !a.indices.contains(&neg));
        assert!(b.indices.contains(&neg) && !b.indices.contains(&pos));
        assert!(a.indices.contains(&feature_bucket(20, 't', "url")));
        assert!(a.indices.contains(&feature_bucket(20, 'e', "p")));
        let c = f.features("مابحبش هالشي");
        assert!(c.indices.contains(&feature_bucket(20, 'n', "بحب")));
    }

    #[test]
    fn light_stems() {
        assert_eq!(light_stem("وحلوين"), "حلو");
        assert_eq!(light_stem("مبدعين"), "مبدع");
        assert_eq!(light_stem("فرح"), "فرح");
        assert_eq!(light_stem("بس"), "بس");
        assert_eq!(light_stem("police"), "police");
    }

    #[test]
    fn config_bytes_round_trip() {
        let c = SentFeatureConfig::default();
        assert_eq!(SentFeatureConfig::from_bytes(c.to_bytes()), Some(c));
        let mut b = c.to_bytes();
        b[0] = 40;
        assert_eq!(SentFeatureConfig::from_bytes(b), None);
    }

    #[test]
    fn long_and_odd_inputs() {
        let mut f = SentFeaturizer::new(SentFeatureConfig::default());
        assert!(f.features("").is_empty());
        assert_eq!(f.features("🔥").len(), 1);
        assert!(!f.features("😂😂").is_empty());
        let long = "زحمة سير ".repeat(200_000);
        let start = std::time::Instant::now();
        let v = f.features(&long);
        assert!(start.elapsed().as_millis() < 500);
        assert!(!v.is_empty());
        assert!(!f.features("Police في عمان 👍").is_empty());
    }
}
