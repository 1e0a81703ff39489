//! Text to hashed sparse feature vectors for the trained classifiers.
//!
//! [`Featurizer::features`] normalizes text for matching, then counts hashed character
//! n-grams of each word padded with spaces (`" شرطه "` gives `" ش"`, `"شر"`, … up to
//! [`FeatureConfig::char_max`] characters), word unigrams and bigrams with Arabic clitics
//! stripped, and symbols such as emoji. Counts go into `2^bits` buckets by a 64-bit FNV-1a
//! hash (the same on every platform), are damped to `1 + ln(tf)` and the vector is
//! L2-normalised into a [`SparseVec`] with sorted, distinct indices.

pub use rasd_core::text::{is_word_char, tokens};
use rasd_core::text::{normalize_for_matching, strip_clitics};

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
    /// The padded word (or words) whose character n-grams are hashed, as UTF-8.
    bytes: Vec<u8>,
    /// The offset of each character of `bytes`, and its end.
    offsets: Vec<u32>,
    hashes: Vec<u32>,
}

#[inline]
pub(crate) fn fnv_char(mut h: u64, c: char) -> u64 {
    let mut buf = [0u8; 4];
    for &b in c.encode_utf8(&mut buf).as_bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(FNV_PRIME);
    }
    h
}

/// FNV-1a over the UTF-8 bytes of `s` (the same as [`fnv_char`] over its characters).
#[inline]
pub(crate) fn fnv_str(h: u64, s: &str) -> u64 {
    fnv_bytes(h, s.as_bytes())
}

#[inline]
pub(crate) fn fnv_bytes(mut h: u64, bytes: &[u8]) -> u64 {
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(FNV_PRIME);
    }
    h
}

/// Final avalanche so that the low bits depend on all input bits.
#[inline]
pub(crate) fn mix(mut h: u64) -> u64 {
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

    /// The L2-normalised, sublinear-TF feature vector of `text` (empty when it has no words
    /// or symbols). Only the first [`MAX_TEXT_BYTES`] bytes are read.
    pub fn features(&mut self, text: &str) -> SparseVec {
        let mut end = text.len().min(MAX_TEXT_BYTES);
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        let normalized = collapse_runs(&normalize_for_matching(&text[..end]));
        self.features_of_normalized(&normalized)
    }

    /// Like [`Featurizer::features`] for text already passed through
    /// `normalize_for_matching` (and elongation collapsed): saves a pass when the caller
    /// normalizes itself. Reads the whole text.
    pub fn features_of_normalized(&mut self, normalized: &str) -> SparseVec {
        let mut hashes = std::mem::take(&mut self.hashes);
        hashes.clear();
        self.char_buckets(normalized, &mut hashes);
        let cfg = self.config;
        // Word unigrams and bigrams, clitics stripped.
        if cfg.word_max > 0 {
            let mask = (1u64 << cfg.bits) - 1;
            let word_seed = fnv_char(FNV_OFFSET, 'w');
            let mut prev: Option<&str> = None;
            for word in tokens(normalized) {
                let w = strip_clitics(word);
                let h = fnv_str(word_seed, w);
                hashes.push((mix(h) & mask) as u32);
                if cfg.word_max >= 2
                    && let Some(p) = prev
                {
                    let h = fnv_str(fnv_char(fnv_str(word_seed, p), ' '), w);
                    hashes.push((mix(h ^ 0x9e37_79b9_7f4a_7c15) & mask) as u32);
                }
                prev = Some(w);
            }
        }
        self.hashes = hashes;
        self.take_sparse()
    }

    /// Pushes the buckets of the character n-grams (when enabled) and of the symbols of
    /// normalized text onto `out` (the features of a config without words).
    pub(crate) fn char_buckets(&mut self, normalized: &str, out: &mut Vec<u32>) {
        let cfg = self.config;
        let mask = (1u64 << cfg.bits) - 1;
        // Character n-grams within padded words.
        if cfg.char_max >= cfg.char_min && cfg.char_max > 0 {
            let char_seed = fnv_char(FNV_OFFSET, 'c');
            let (cmin, cmax) = (usize::from(cfg.char_min), usize::from(cfg.char_max));
            let mut bytes = std::mem::take(&mut self.bytes);
            let mut offsets = std::mem::take(&mut self.offsets);
            let mut words = tokens(normalized).peekable();
            while words.peek().is_some() {
                bytes.clear();
                offsets.clear();
                bytes.push(b' ');
                offsets.push(0);
                let mut add = |bytes: &mut Vec<u8>, word: &str| {
                    for (i, _) in word.char_indices() {
                        offsets.push((bytes.len() + i) as u32);
                    }
                    bytes.extend_from_slice(word.as_bytes());
                    offsets.push(bytes.len() as u32);
                    bytes.push(b' ');
                };
                if cfg.char_across_words {
                    for word in words.by_ref() {
                        add(&mut bytes, word);
                    }
                } else if let Some(word) = words.next() {
                    add(&mut bytes, word);
                }
                offsets.push(bytes.len() as u32);
                // `offsets` has one entry per character plus the end.
                let n = offsets.len() - 1;
                for start in 0..n {
                    let mut h = char_seed;
                    let stop = (start + cmax).min(n);
                    for end in start + 1..=stop {
                        let (a, b) = (offsets[end - 1] as usize, offsets[end] as usize);
                        h = fnv_bytes(h, &bytes[a..b]);
                        if end - start >= cmin {
                            out.push((mix(h) & mask) as u32);
                        }
                    }
                }
            }
            self.bytes = bytes;
            self.offsets = offsets;
        }
        // Symbols and emoji (not letters, digits, spaces or ASCII punctuation).
        let sym_seed = fnv_char(FNV_OFFSET, 's');
        for c in normalized.chars() {
            if !c.is_ascii() && !is_word_char(c) && !c.is_whitespace() && !is_joiner(c) {
                out.push((mix(fnv_char(sym_seed, c)) & mask) as u32);
            }
        }
    }

    fn take_sparse(&mut self) -> SparseVec {
        sparse_from_buckets(&mut self.hashes)
    }
}

/// The bucket of a named feature in `2^bits` buckets; `family` keeps kinds of features
/// (say word, negated word, lexicon class) apart.
pub fn feature_bucket(bits: u8, family: char, key: &str) -> u32 {
    let mask = (1u64 << bits.min(30)) - 1;
    (mix(fnv_str(fnv_char(FNV_OFFSET, family), key)) & mask) as u32
}

/// The L2-normalised, sublinear-TF vector of a list of buckets (one entry per occurrence);
/// sorts `buckets` in place.
pub fn sparse_from_buckets(buckets: &mut [u32]) -> SparseVec {
    sort_buckets(buckets);
    let mut out = SparseVec::default();
    let mut i = 0;
    while i < buckets.len() {
        let idx = buckets[i];
        let mut j = i + 1;
        while j < buckets.len() && buckets[j] == idx {
            j += 1;
        }
        out.indices.push(idx);
        // Most buckets occur once: skip the logarithm of 1.
        out.values.push(if j - i == 1 {
            1.0
        } else {
            1.0 + ((j - i) as f32).ln()
        });
        i = j;
    }
    let norm = out.values.iter().map(|v| v * v).sum::<f32>().sqrt();
    if norm > 0.0 {
        let inv = 1.0 / norm;
        out.values.iter_mut().for_each(|v| *v *= inv);
    }
    out
}

/// Sorts bucket numbers: a two-pass radix sort (12-bit digits) for long lists of buckets
/// below 2^24, the standard sort otherwise.
fn sort_buckets(buckets: &mut [u32]) {
    const DIGIT: u32 = 12;
    const RADIX: usize = 1 << DIGIT;
    if buckets.len() < 512 || buckets.iter().any(|&b| b >= 1 << (2 * DIGIT)) {
        buckets.sort_unstable();
        return;
    }
    let mut tmp = vec![0u32; buckets.len()];
    let mut counts = vec![0usize; RADIX];
    for pass in 0..2 {
        let shift = pass * DIGIT;
        let (src, dst): (&mut [u32], &mut [u32]) = if pass == 0 {
            (&mut *buckets, &mut tmp)
        } else {
            (&mut tmp, &mut *buckets)
        };
        counts.iter_mut().for_each(|c| *c = 0);
        for &b in src.iter() {
            counts[((b >> shift) as usize) & (RADIX - 1)] += 1;
        }
        let mut sum = 0;
        for c in counts.iter_mut() {
            let n = *c;
            *c = sum;
            sum += n;
        }
        for &b in src.iter() {
            let d = ((b >> shift) as usize) & (RADIX - 1);
            dst[counts[d]] = b;
            counts[d] += 1;
        }
    }
}

/// `wa * a + wb * b`, indices merged in order.
pub fn weighted_sum(a: &SparseVec, wa: f32, b: &SparseVec, wb: f32) -> SparseVec {
    let mut out = SparseVec {
        indices: Vec::with_capacity(a.len() + b.len()),
        values: Vec::with_capacity(a.len() + b.len()),
    };
    let (mut i, mut j) = (0, 0);
    while i < a.len() || j < b.len() {
        let ai = a.indices.get(i).copied().unwrap_or(u32::MAX);
        let bj = b.indices.get(j).copied().unwrap_or(u32::MAX);
        let (idx, v) = if j >= b.len() || (i < a.len() && ai < bj) {
            i += 1;
            (ai, wa * a.values[i - 1])
        } else if i >= a.len() || bj < ai {
            j += 1;
            (bj, wb * b.values[j - 1])
        } else {
            i += 1;
            j += 1;
            (ai, wa * a.values[i - 1] + wb * b.values[j - 1])
        };
        out.indices.push(idx);
        out.values.push(v);
    }
    out
}

/// Shortens runs of three or more of the same letter to one (`حلوووو` → `حلو`,
/// `soooo` → `so`): elongation marks emphasis, not a different word.
pub fn collapse_runs(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    collapse_runs_into(text, &mut out);
    out
}

/// [`collapse_runs`] appended to `out`.
pub(crate) fn collapse_runs_into(text: &str, out: &mut String) {
    let mut run: Option<(char, usize)> = None;
    let flush = |out: &mut String, run: Option<(char, usize)>| {
        if let Some((c, n)) = run {
            let keep = if n >= 3 && is_word_char(c) && !c.is_numeric() {
                1
            } else {
                n
            };
            out.extend(std::iter::repeat_n(c, keep));
        }
    };
    for c in text.chars() {
        match &mut run {
            Some((prev, n)) if *prev == c => *n += 1,
            _ => {
                flush(out, run);
                run = Some((c, 1));
            }
        }
    }
    flush(out, run);
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
    fn radix_sort_matches_the_standard_sort() {
        let mut rng = crate::linear::SplitMix64::new(5);
        for (n, max) in [
            (3000, 1u64 << 19),
            (600, 1 << 24),
            (2000, 1 << 30),
            (10, 100),
        ] {
            let v: Vec<u32> = (0..n).map(|_| rng.below(max as usize) as u32).collect();
            let mut a = v.clone();
            let mut b = v;
            sort_buckets(&mut a);
            b.sort_unstable();
            assert_eq!(a, b);
        }
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
