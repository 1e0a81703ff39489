//! Text to hashed sparse feature vectors for the trained classifiers.
//!
//! [`Featurizer::features`] normalizes text for matching, then counts hashed character
//! n-grams of each word padded with spaces (`" شرطه "` gives `" ش"`, `"شر"`, … up to
//! [`FeatureConfig::char_max`] characters), word unigrams and bigrams with Arabic clitics
//! stripped, and symbols such as emoji. Counts go into `2^bits` buckets by a 64-bit FNV-1a
//! hash (the same on every platform), are damped to `1 + ln(tf)` and the vector is
//! L2-normalised into a [`SparseVec`] with sorted, distinct indices.

use rasd_core::text::{normalize_for_matching, strip_clitics, tokens};

/// Only the first this many bytes of a text are read (a news item rarely needs more).
pub const MAX_TEXT_BYTES: usize = 64 * 1024;

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

/// A sparse vector: sorted distinct indices and their values.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SparseVec {
    /// Bucket indices, strictly increasing.
    pub indices: Vec<u32>,
    /// The value of each index.
    pub values: Vec<f32>,
}

impl SparseVec {
    /// Number of non-zero entries.
    pub fn len(&self) -> usize {
        self.indices.len()
    }

    /// True when the vector has no entries.
    pub fn is_empty(&self) -> bool {
        self.indices.is_empty()
    }

    /// The (index, value) pairs.
    pub fn iter(&self) -> impl Iterator<Item = (u32, f32)> + '_ {
        self.indices
            .iter()
            .copied()
            .zip(self.values.iter().copied())
    }
}

/// Which features are extracted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FeatureConfig {
    /// Number of hash buckets is `2^bits` (at most 30).
    pub bits: u8,
    /// Shortest character n-gram.
    pub char_min: u8,
    /// Longest character n-gram (0 disables character n-grams).
    pub char_max: u8,
    /// Longest word n-gram (0 disables words, 1 unigrams, 2 adds bigrams).
    pub word_max: u8,
    /// Character n-grams run across word boundaries (words joined by one space) rather than
    /// within each padded word.
    pub char_across_words: bool,
}

impl Default for FeatureConfig {
    fn default() -> Self {
        FeatureConfig {
            bits: 20,
            char_min: 2,
            char_max: 5,
            word_max: 2,
            char_across_words: false,
        }
    }
}

impl FeatureConfig {
    /// The config as 5 bytes, for model files.
    pub fn to_bytes(self) -> [u8; 5] {
        [
            self.bits,
            self.char_min,
            self.char_max,
            self.word_max,
            u8::from(self.char_across_words),
        ]
    }

    /// The config from [`FeatureConfig::to_bytes`], or `None` when out of range.
    pub fn from_bytes(b: [u8; 5]) -> Option<FeatureConfig> {
        if b[4] > 1 {
            return None;
        }
        let c = FeatureConfig {
            bits: b[0],
            char_min: b[1],
            char_max: b[2],
            word_max: b[3],
            char_across_words: b[4] == 1,
        };
        (c.bits >= 8 && c.bits <= 30 && c.char_min >= 1 && c.char_max <= 8 && c.word_max <= 3)
            .then_some(c)
    }

    /// Number of buckets, `2^bits`.
    pub fn dim(self) -> usize {
        1 << self.bits
    }
}

/// Extracts features; holds buffers reused between calls (one per thread).
#[derive(Debug, Clone, Default)]
pub struct Featurizer {
    config: FeatureConfig,
    chars: Vec<char>,
    hashes: Vec<u32>,
}

#[inline]
fn fnv_char(mut h: u64, c: char) -> u64 {
    let mut buf = [0u8; 4];
    for &b in c.encode_utf8(&mut buf).as_bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(FNV_PRIME);
    }
    h
}

#[inline]
fn fnv_str(h: u64, s: &str) -> u64 {
    s.chars().fold(h, fnv_char)
}

/// Final avalanche so that the low bits depend on all input bits.
#[inline]
fn mix(mut h: u64) -> u64 {
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    h
}

impl Featurizer {
    /// A featurizer for `config`.
    pub fn new(config: FeatureConfig) -> Featurizer {
        Featurizer {
            config,
            ..Featurizer::default()
        }
    }

    /// The config it extracts with.
    pub fn config(&self) -> FeatureConfig {
        self.config
    }

    #[inline]
    fn push(&mut self, h: u64) {
        let mask = (1u64 << self.config.bits) - 1;
        self.hashes.push((mix(h) & mask) as u32);
    }

    /// The L2-normalised, sublinear-TF feature vector of `text` (empty when it has no words
    /// or symbols). Only the first [`MAX_TEXT_BYTES`] bytes are read.
    pub fn features(&mut self, text: &str) -> SparseVec {
        let mut end = text.len().min(MAX_TEXT_BYTES);
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        let normalized = collapse_runs(&normalize_for_matching(&text[..end]));
        self.hashes.clear();
        let cfg = self.config;
        // Character n-grams within padded words.
        if cfg.char_max >= cfg.char_min && cfg.char_max > 0 {
            let char_seed = fnv_char(FNV_OFFSET, 'c');
            let mut chars = std::mem::take(&mut self.chars);
            let mut words = tokens(&normalized).peekable();
            while words.peek().is_some() {
                chars.clear();
                chars.push(' ');
                if cfg.char_across_words {
                    for word in words.by_ref() {
                        chars.extend(word.chars());
                        chars.push(' ');
                    }
                } else if let Some(word) = words.next() {
                    chars.extend(word.chars());
                    chars.push(' ');
                }
                for start in 0..chars.len() {
                    let mut h = char_seed;
                    for (n, &c) in chars[start..].iter().take(cfg.char_max.into()).enumerate() {
                        h = fnv_char(h, c);
                        if n + 1 >= cfg.char_min.into() {
                            self.push(h);
                        }
                    }
                }
            }
            self.chars = chars;
        }
        // Word unigrams and bigrams, clitics stripped.
        if cfg.word_max > 0 {
            let word_seed = fnv_char(FNV_OFFSET, 'w');
            let mut prev: Option<&str> = None;
            for word in tokens(&normalized) {
                let w = strip_clitics(word);
                let h = fnv_str(word_seed, w);
                self.push(h);
                if cfg.word_max >= 2
                    && let Some(p) = prev
                {
                    let h = fnv_str(fnv_char(fnv_str(word_seed, p), ' '), w);
                    self.push(h ^ 0x9e37_79b9_7f4a_7c15);
                }
                prev = Some(w);
            }
        }
        // Symbols and emoji (not letters, digits, spaces or ASCII punctuation).
        let sym_seed = fnv_char(FNV_OFFSET, 's');
        for c in normalized.chars() {
            if !c.is_alphanumeric() && !c.is_whitespace() && !c.is_ascii() && !is_joiner(c) {
                self.push(fnv_char(sym_seed, c));
            }
        }
        self.take_sparse()
    }

    fn take_sparse(&mut self) -> SparseVec {
        self.hashes.sort_unstable();
        let mut out = SparseVec::default();
        let mut i = 0;
        while i < self.hashes.len() {
            let idx = self.hashes[i];
            let mut j = i + 1;
            while j < self.hashes.len() && self.hashes[j] == idx {
                j += 1;
            }
            out.indices.push(idx);
            out.values.push(1.0 + ((j - i) as f32).ln());
            i = j;
        }
        let norm = out.values.iter().map(|v| v * v).sum::<f32>().sqrt();
        if norm > 0.0 {
            out.values.iter_mut().for_each(|v| *v /= norm);
        }
        out
    }
}

/// Shortens runs of three or more of the same letter to one (`حلوووو` → `حلو`,
/// `soooo` → `so`): elongation marks emphasis, not a different word.
fn collapse_runs(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut run: Option<(char, usize)> = None;
    let flush = |out: &mut String, run: Option<(char, usize)>| {
        if let Some((c, n)) = run {
            let keep = if n >= 3 && c.is_alphabetic() { 1 } else { n };
            out.extend(std::iter::repeat_n(c, keep));
        }
    };
    for c in text.chars() {
        match &mut run {
            Some((prev, n)) if *prev == c => *n += 1,
            _ => {
                flush(&mut out, run);
                run = Some((c, 1));
            }
        }
    }
    flush(&mut out, run);
    out
}

/// Emoji joiners and variation selectors, which carry no meaning alone.
fn is_joiner(c: char) -> bool {
    matches!(
        c,
        '\u{200d}' | '\u{fe0e}' | '\u{fe0f}' | '\u{1f3fb}'..='\u{1f3ff}'
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vectors_are_sorted_distinct_and_unit_length() {
        let mut f = Featurizer::new(FeatureConfig::default());
        let v = f.features("الشرطة في عمان، والشرطة هنا 😀😀");
        assert!(!v.is_empty());
        assert!(v.indices.windows(2).all(|w| w[0] < w[1]));
        let norm: f32 = v.values.iter().map(|x| x * x).sum();
        assert!((norm - 1.0).abs() < 1e-4, "{norm}");
        assert!(v.indices.iter().all(|&i| (i as usize) < (1 << 20)));
    }

    #[test]
    fn normalization_and_clitics_share_features() {
        let mut f = Featurizer::new(FeatureConfig {
            char_max: 0,
            word_max: 1,
            ..FeatureConfig::default()
        });
        assert_eq!(f.features("بالشرطة"), f.features("شرطه"));
        assert_eq!(f.features("Police"), f.features("police"));
        assert_ne!(f.features("شرطه"), f.features("جيش"));
    }

    #[test]
    fn elongation_is_collapsed() {
        assert_eq!(collapse_runs("حلوووووو كتييير"), "حلو كتير");
        assert_eq!(collapse_runs("soooo good!!!"), "so good!!!");
        assert_eq!(collapse_runs("الله"), "الله");
    }

    #[test]
    fn hashes_are_fixed_across_platforms() {
        let mut f = Featurizer::new(FeatureConfig::default());
        let a = f.features("رائع");
        let b = f.features("رائع");
        assert_eq!(a, b);
        // FNV-1a of "a" is a published constant.
        assert_eq!(fnv_char(FNV_OFFSET, 'a'), 0xaf63_dc4c_8601_ec8c);
    }

    #[test]
    fn empty_and_emoji_only_texts() {
        let mut f = Featurizer::new(FeatureConfig::default());
        assert!(f.features("").is_empty());
        assert!(f.features("  ... !!").is_empty());
        let e = f.features("😡😡");
        assert_eq!(e.len(), 1);
        assert_ne!(e, f.features("😍"));
    }

    #[test]
    fn long_text_is_cut() {
        let mut f = Featurizer::new(FeatureConfig::default());
        let text = "كلام جميل ".repeat(200_000);
        let start = std::time::Instant::now();
        let v = f.features(&text);
        assert!(!v.is_empty());
        assert!(start.elapsed().as_secs() < 5);
    }
}
