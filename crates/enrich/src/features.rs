//! Text to hashed sparse feature vectors for the trained classifiers.
//!
//! [`Featurizer::features`] normalizes text for matching, then counts hashed character
//! n-grams of each word padded with spaces (`" شرطه "` gives `" ش"`, `"شر"`, … up to
//! [`FeatureConfig::char_max`] characters), word unigrams and bigrams with Arabic clitics
//! stripped, and symbols such as emoji. Counts go into `2^bits` buckets by a 64-bit FNV-1a
//! hash (the same on every platform), are damped to `1 + ln(tf)` and the vector is
//! L2-normalised into a [`SparseVec`] with sorted, distinct indices.

use std::sync::LazyLock;

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
    /// The characters of the padded word (or words) whose n-grams are hashed.
    units: Vec<Unit>,
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
        self.word_gram_buckets(normalized, &mut hashes);
        self.hashes = hashes;
        self.take_sparse()
    }

    /// Pushes the buckets of the word unigrams and bigrams (clitics stripped) of normalized
    /// text onto `out`, when the config has words.
    pub(crate) fn word_gram_buckets(&self, normalized: &str, out: &mut Vec<u32>) {
        let cfg = self.config;
        if cfg.word_max == 0 {
            return;
        }
        let mask = (1u64 << cfg.bits) - 1;
        let word_seed = fnv_char(FNV_OFFSET, 'w');
        // The previous word's hash: a bigram continues it.
        let mut prev: Option<u64> = None;
        for word in tokens(normalized) {
            let w = strip_clitics(word);
            let h = fnv_str(word_seed, w);
            out.push((mix(h) & mask) as u32);
            if cfg.word_max >= 2
                && let Some(p) = prev
            {
                let h = fnv_str(fnv_char(p, ' '), w);
                out.push((mix(h ^ 0x9e37_79b9_7f4a_7c15) & mask) as u32);
            }
            prev = Some(h);
        }
    }

    /// Pushes the buckets of the character n-grams (when enabled) and of the symbols of
    /// normalized text onto `out` (the features of a config without words), in no
    /// particular order.
    pub(crate) fn char_buckets(&mut self, normalized: &str, out: &mut Vec<u32>) {
        let cfg = self.config;
        // Character n-grams within padded words.
        if cfg.char_max >= cfg.char_min && cfg.char_max > 0 {
            let mut units = std::mem::take(&mut self.units);
            let mut words = tokens(normalized).peekable();
            while words.peek().is_some() {
                units.clear();
                units.push(SPACE_UNIT);
                if cfg.char_across_words {
                    for word in words.by_ref() {
                        push_units(&mut units, word);
                        units.push(SPACE_UNIT);
                    }
                } else if let Some(word) = words.next() {
                    push_units(&mut units, word);
                    units.push(SPACE_UNIT);
                }
                char_ngrams(&mut units, cfg, out);
            }
            self.units = units;
        }
        self.symbol_buckets(normalized, out);
    }

    /// Pushes the buckets of the symbols and emoji of normalized text (not letters, digits,
    /// spaces or ASCII punctuation) onto `out`.
    pub(crate) fn symbol_buckets(&self, normalized: &str, out: &mut Vec<u32>) {
        // Only characters outside ASCII and the common Arabic letters can be symbols.
        if has_other_chars(normalized) {
            let mask = (1u64 << self.config.bits) - 1;
            let sym_seed = fnv_char(FNV_OFFSET, 's');
            for c in normalized.chars() {
                if !c.is_ascii() && !is_word_char(c) && !c.is_whitespace() && !is_joiner(c) {
                    out.push((mix(fnv_char(sym_seed, c)) & mask) as u32);
                }
            }
        }
    }

    fn take_sparse(&mut self) -> SparseVec {
        sparse_from_buckets(&mut self.hashes)
    }
}

/// One character as the n-gram hashing reads it: its UTF-8 bytes, little-endian, in the low
/// 32 bits, and their count above.
type Unit = u64;

/// The padding space around words.
const SPACE_UNIT: Unit = 1 << 32 | b' ' as u64;

/// Pushes the [`Unit`]s of the characters of `word`, read from its bytes.
#[inline]
fn push_units(units: &mut Vec<Unit>, word: &str) {
    let bytes = word.as_bytes();
    if word.is_ascii() {
        units.extend(bytes.iter().map(|&b| 1 << 32 | u64::from(b)));
        return;
    }
    let mut i = 0;
    while i < bytes.len() {
        let len = utf8_len(bytes[i]).min(bytes.len() - i);
        let value = bytes[i..i + len]
            .iter()
            .rev()
            .fold(0u64, |v, &b| v << 8 | u64::from(b));
        units.push((len as u64) << 32 | value);
        i += len;
    }
}

/// The length of the UTF-8 sequence a lead byte starts (1 for a stray second byte).
#[inline(always)]
fn utf8_len(lead: u8) -> usize {
    match lead {
        0xF0.. => 4,
        0xE0.. => 3,
        0xC0.. => 2,
        _ => 1,
    }
}

/// FNV-1a over the bytes of one [`Unit`]. Units of one and two bytes (ASCII and Arabic
/// letters, mixed in every padded word) take the same path, without a branch.
#[inline(always)]
fn fnv_unit(h: u64, unit: Unit) -> u64 {
    let len = unit >> 32;
    let one = (h ^ (unit & 0xFF)).wrapping_mul(FNV_PRIME);
    let two = (one ^ ((unit >> 8) & 0xFF)).wrapping_mul(FNV_PRIME);
    let mut h = if len >= 2 { two } else { one };
    for i in 2..len {
        h = (h ^ ((unit >> (8 * i)) & 0xFF)).wrapping_mul(FNV_PRIME);
    }
    h
}

/// Pushes onto `out` the bucket of every run of `char_min..=char_max` consecutive units
/// (characters) of `units`, hashed from a seed of its own. Every start position hashes
/// `char_max` units, reading padding past the end, and the runs that fit are kept by
/// advancing the write position, not by branching: which runs fit changes from word to
/// word, and mispredicted branches cost more than the hashing.
fn char_ngrams(units: &mut Vec<Unit>, cfg: FeatureConfig, out: &mut Vec<u32>) {
    let mask = (1u64 << cfg.bits) - 1;
    let char_seed = fnv_char(FNV_OFFSET, 'c');
    let (cmin, cmax) = (usize::from(cfg.char_min), usize::from(cfg.char_max));
    let n = units.len();
    units.resize(n + cmax, SPACE_UNIT);
    // At most this many runs, and one slot for the last write that is not kept.
    let base = out.len();
    out.resize(base + n * (cmax + 1 - cmin) + 1, 0);
    let mut k = base;
    for start in 0..n {
        let mut h = char_seed;
        for (len, &unit) in (1..=cmax).zip(&units[start..start + cmax]) {
            h = fnv_unit(h, unit);
            if len >= cmin {
                out[k] = (mix(h) & mask) as u32;
                k += usize::from(start + len <= n);
            }
        }
    }
    out.truncate(k);
}

/// True when `text` has a character outside ASCII and U+0620–U+064A: one pass over the
/// bytes without branching on them.
fn has_other_chars(text: &str) -> bool {
    let bytes = text.as_bytes();
    let mut other = false;
    for (i, &b) in bytes.iter().enumerate() {
        let next = bytes.get(i + 1).copied().unwrap_or(0);
        let offset = (u32::from(b & 1) << 6) | u32::from(next & 0x3F);
        let arabic = (b & 0xFE == 0xD8) & (0x20..=0x4A).contains(&offset);
        other |= (b >= 0xC0) & !arabic;
    }
    other
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
    let Some(&first) = buckets.first() else {
        return SparseVec::default();
    };
    // Runs of equal buckets, found without branching on where they end.
    let mut indices = vec![0u32; buckets.len()];
    let mut counts = vec![0u32; buckets.len()];
    let mut k = 0;
    indices[0] = first;
    counts[0] = 1;
    for pair in buckets.windows(2) {
        k += usize::from(pair[1] != pair[0]);
        indices[k] = pair[1];
        counts[k] += 1;
    }
    indices.truncate(k + 1);
    let mut values: Vec<f32> = counts[..=k].iter().map(|&c| damped(c as usize)).collect();
    let norm = values.iter().map(|v| v * v).sum::<f32>().sqrt();
    if norm > 0.0 {
        let inv = 1.0 / norm;
        values.iter_mut().for_each(|v| *v *= inv);
    }
    SparseVec { indices, values }
}

/// `1 + ln(count)`, the damped term frequency; small counts from a table (the same values:
/// the table is filled by the same expression).
#[inline]
pub(crate) fn damped(count: usize) -> f32 {
    static SMALL: LazyLock<[f32; 64]> =
        LazyLock::new(|| std::array::from_fn(|n| 1.0 + (n as f32).ln()));
    match count {
        // Most buckets occur once: skip the logarithm of 1.
        1 => 1.0,
        n if n < 64 => SMALL[n],
        n => 1.0 + (n as f32).ln(),
    }
}

/// Sorts bucket numbers: for long lists of buckets below 2^24, a two-pass radix sort whose
/// digit is half the bits of the largest bucket (9 bits for 2^18 buckets, so the counts stay
/// in the first-level cache); the standard sort otherwise.
pub(crate) fn sort_buckets(buckets: &mut [u32]) {
    const MAX_DIGIT: u32 = 12;
    if buckets.len() < 256 {
        buckets.sort_unstable();
        return;
    }
    let max = buckets.iter().copied().max().unwrap_or(0);
    let digit = (u32::BITS - max.leading_zeros()).div_ceil(2).max(1);
    if digit > MAX_DIGIT {
        buckets.sort_unstable();
        return;
    }
    let radix = 1usize << digit;
    let low_mask = (radix - 1) as u32;
    let mut counts = [vec![0u32; radix], vec![0u32; radix]];
    for &b in buckets.iter() {
        counts[0][(b & low_mask) as usize] += 1;
        counts[1][(b >> digit) as usize] += 1;
    }
    for c in counts.iter_mut() {
        let mut sum = 0;
        for n in c.iter_mut() {
            let count = *n;
            *n = sum;
            sum += count;
        }
    }
    // Low digit into `tmp`, then high digit back: stable, so sorted.
    let mut tmp = vec![0u32; buckets.len()];
    for &b in buckets.iter() {
        let slot = &mut counts[0][(b & low_mask) as usize];
        tmp[*slot as usize] = b;
        *slot += 1;
    }
    for &b in &tmp {
        let slot = &mut counts[1][(b >> digit) as usize];
        buckets[*slot as usize] = b;
        *slot += 1;
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

/// [`collapse_runs`] appended to `out`. Text without such runs is copied in one piece.
pub(crate) fn collapse_runs_into(text: &str, out: &mut String) {
    // `text[copied..]` is still to be copied.
    let mut copied = 0;
    let mut chars = text.char_indices().peekable();
    while let Some((start, c)) = chars.next() {
        let mut n = 1;
        let mut end = start + c.len_utf8();
        while let Some(&(i, next)) = chars.peek()
            && next == c
        {
            chars.next();
            n += 1;
            end = i + next.len_utf8();
        }
        if n >= 3 && is_word_char(c) && !c.is_numeric() {
            out.push_str(&text[copied..start]);
            out.push(c);
            copied = end;
        }
    }
    out.push_str(&text[copied..]);
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

    #[test]
    fn damped_counts_match_the_formula() {
        for n in 1..300usize {
            let expected = if n == 1 { 1.0 } else { 1.0 + (n as f32).ln() };
            assert_eq!(damped(n).to_bits(), expected.to_bits(), "{n}");
        }
    }

    #[test]
    fn collapse_runs_copies_text_without_runs_whole() {
        let mut out = String::from("x");
        collapse_runs_into("سرقة سيارة", &mut out);
        assert_eq!(out, "xسرقة سيارة");
        assert_eq!(collapse_runs("ممممم 1111 ...."), "م 1111 ....");
        assert_eq!(collapse_runs("aaab"), "ab");
        assert_eq!(collapse_runs("aab"), "aab");
    }

    /// The character n-gram and symbol buckets as first written: one padded word at a time,
    /// every n-gram pushed as it is hashed.
    fn reference_char_buckets(cfg: FeatureConfig, normalized: &str) -> Vec<u32> {
        let mut out = Vec::new();
        let mask = (1u64 << cfg.bits) - 1;
        if cfg.char_max >= cfg.char_min && cfg.char_max > 0 {
            let char_seed = fnv_char(FNV_OFFSET, 'c');
            let (cmin, cmax) = (usize::from(cfg.char_min), usize::from(cfg.char_max));
            let mut words = tokens(normalized).peekable();
            while words.peek().is_some() {
                let mut padded = String::from(" ");
                if cfg.char_across_words {
                    for word in words.by_ref() {
                        padded.push_str(word);
                        padded.push(' ');
                    }
                } else if let Some(word) = words.next() {
                    padded.push_str(word);
                    padded.push(' ');
                }
                let chars: Vec<char> = padded.chars().collect();
                for start in 0..chars.len() {
                    let mut h = char_seed;
                    for end in start + 1..=(start + cmax).min(chars.len()) {
                        h = fnv_char(h, chars[end - 1]);
                        if end - start >= cmin {
                            out.push((mix(h) & mask) as u32);
                        }
                    }
                }
            }
        }
        let sym_seed = fnv_char(FNV_OFFSET, 's');
        for c in normalized.chars() {
            if !c.is_ascii() && !is_word_char(c) && !c.is_whitespace() && !is_joiner(c) {
                out.push((mix(fnv_char(sym_seed, c)) & mask) as u32);
            }
        }
        out
    }

    #[test]
    fn branch_free_ngrams_give_the_same_buckets() {
        let texts = [
            "",
            "ب",
            "في",
            "الشرطة في عمان، والشرطة هنا 😀😀",
            "Police in Amman: 3 arrested «today» — ok",
            "a bb ccc dddd eeeee ffffff ggggggggggggg",
            "Zürich Ма'ан 123 ﷺ ڤ x\u{200d}y",
        ];
        for text in texts {
            let normalized = collapse_runs(&normalize_for_matching(text));
            for (char_min, char_max) in [(1, 1), (2, 5), (3, 5), (1, 8), (4, 3), (0, 0)] {
                for char_across_words in [false, true] {
                    let cfg = FeatureConfig {
                        bits: 18,
                        char_min,
                        char_max,
                        word_max: 0,
                        char_across_words,
                    };
                    let mut ours = Vec::new();
                    Featurizer::new(cfg).char_buckets(&normalized, &mut ours);
                    let mut expected = reference_char_buckets(cfg, &normalized);
                    ours.sort_unstable();
                    expected.sort_unstable();
                    assert_eq!(ours, expected, "{text:?} {cfg:?}");
                }
            }
            let other = normalized
                .chars()
                .any(|c| !c.is_ascii() && !('\u{0620}'..='\u{064A}').contains(&c));
            assert_eq!(has_other_chars(&normalized), other, "{text:?}");
        }
    }

    #[test]
    fn sparse_vectors_count_runs_like_a_map() {
        let mut rng = crate::linear::SplitMix64::new(9);
        for (n, max) in [
            (0usize, 10usize),
            (1, 10),
            (5, 3),
            (300, 40),
            (3000, 1 << 18),
        ] {
            let mut buckets: Vec<u32> = (0..n).map(|_| rng.below(max) as u32).collect();
            let mut counts = std::collections::BTreeMap::new();
            for &b in &buckets {
                *counts.entry(b).or_insert(0usize) += 1;
            }
            let v = sparse_from_buckets(&mut buckets);
            assert_eq!(v.indices, counts.keys().copied().collect::<Vec<_>>());
            let mut values: Vec<f32> = counts
                .values()
                .map(|&c| if c == 1 { 1.0 } else { 1.0 + (c as f32).ln() })
                .collect();
            let norm = values.iter().map(|v| v * v).sum::<f32>().sqrt();
            values.iter_mut().for_each(|x| *x *= 1.0 / norm);
            assert_eq!(v.values, values);
        }
    }
}
