//! Scoring a hashed-feature linear model word by word: the sentiment model's prediction
//! path (module `sentiment::fast`).
//!
//! The model reads a block of features whose value is the damped count `tf(c) = 1 + ln c` of
//! each distinct bucket over the block's L2 norm. A block's score for a class is then
//! `Σ_j w_j · tf(c_j) / ‖tf‖`, which equals
//! `(Σ_occurrences w − Σ_{c_j > 1} w_j · (c_j − tf(c_j))) / ‖tf‖`. Most of a text's
//! features are the character n-grams of its words, and a word always gives the same
//! n-grams: [`WordCache`] keeps, per word, its buckets and the sum of their weight rows, so
//! a text's first sum costs one lookup per word, and only the buckets that repeat (found by
//! [`repeats`], which sorts the occurrences) need their weights read.
//!
//! The sums are added in another order than a plain dot product, so scores agree with it to
//! about 1e-6, not bit for bit; they are kept in `f64` because a long, repetitive text's
//! corrections can be large against its result. (The topic model was tried this way too and
//! was slower: it reads its 18 weights of a bucket as one vector already.)

use std::sync::atomic::{AtomicU64, Ordering};

use crate::tokens::FastMap;

/// Words a cache holds before it starts again empty.
const CACHE_WORDS: usize = 1 << 16;

/// A new owner identity for [`WordCache::prepare`]: one per model, so a cache filled for one
/// model is never read for another.
pub(crate) fn next_owner() -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

/// Per word: its feature buckets and, per class, the sum of their weights. Kept per thread
/// (in a featurizer's buffers) and valid for one model (its owner identity).
#[derive(Debug, Clone, Default)]
pub(crate) struct WordCache {
    owner: u64,
    width: usize,
    /// Per word: where its buckets start in `buckets`, how many, where its sums start.
    words: FastMap<Box<str>, (u32, u32, u32)>,
    buckets: Vec<u32>,
    sums: Vec<f64>,
}

impl WordCache {
    /// Empties the cache unless it already holds `owner`'s sums of `width` classes and has
    /// room left.
    pub(crate) fn prepare(&mut self, owner: u64, width: usize) {
        if self.owner != owner || self.width != width || self.words.len() >= CACHE_WORDS {
            self.words.clear();
            self.buckets.clear();
            self.sums.clear();
            self.owner = owner;
            self.width = width;
        }
    }

    /// Adds `word`'s weight sums to `acc` and its buckets to `occurrences`. On a miss,
    /// `fill` pushes the word's buckets and `row` adds bucket `j`'s weights to a slice of
    /// [`WordCache::prepare`]'s width.
    pub(crate) fn add_word(
        &mut self,
        word: &str,
        acc: &mut [f64],
        occurrences: &mut Vec<u32>,
        fill: impl FnOnce(&str, &mut Vec<u32>),
        row: impl Fn(u32, &mut [f64]),
    ) {
        let (start, len, at) = match self.words.get(word) {
            Some(&entry) => entry,
            None => {
                let start = self.buckets.len();
                fill(word, &mut self.buckets);
                let at = self.sums.len();
                self.sums.resize(at + self.width, 0.0);
                for &j in &self.buckets[start..] {
                    row(j, &mut self.sums[at..]);
                }
                let entry = (start as u32, (self.buckets.len() - start) as u32, at as u32);
                self.words.insert(word.into(), entry);
                entry
            }
        };
        let (start, at) = (start as usize, at as usize);
        for (a, s) in acc.iter_mut().zip(&self.sums[at..at + self.width]) {
            *a += s;
        }
        occurrences.extend_from_slice(&self.buckets[start..start + len as usize]);
    }
}

/// The damped count `1 + ln(n)` of a bucket occurring `n` times, as the featurizer computes
/// it.
pub(crate) fn tf(n: u32) -> f32 {
    crate::features::damped(n as usize)
}

/// Sorts `occurrences`, calls `repeated(bucket, count)` for each bucket occurring more than
/// once, and gives the block's norm `sqrt(Σ tf(count)²)`.
pub(crate) fn repeats(occurrences: &mut [u32], mut repeated: impl FnMut(u32, u32)) -> f32 {
    crate::features::sort_buckets(occurrences);
    let mut norm = 0.0f32;
    let mut i = 0;
    while i < occurrences.len() {
        let j = occurrences[i];
        let mut end = i + 1;
        while end < occurrences.len() && occurrences[end] == j {
            end += 1;
        }
        let n = (end - i) as u32;
        let v = tf(n);
        norm += v * v;
        if n > 1 {
            repeated(j, n);
        }
        i = end;
    }
    norm.sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Word by word with repeats corrected gives the plain damped, normalized dot product.
    #[test]
    fn word_sums_with_corrections_equal_the_dot_product() {
        let weight = |j: u32| [(j % 7) as f64 - 3.0, (j % 5) as f64 * 0.5];
        let buckets_of = |w: &str, out: &mut Vec<u32>| {
            out.extend(w.chars().map(|c| c as u32 % 64));
        };
        let words = ["الأمن", "العام", "الأمن", "شرطة", "ممتاز"];
        let mut cache = WordCache::default();
        cache.prepare(next_owner(), 2);
        let (mut acc, mut occ) = ([0.0f64; 2], Vec::new());
        for w in words {
            cache.add_word(w, &mut acc, &mut occ, buckets_of, |j, s| {
                let r = weight(j);
                s[0] += r[0];
                s[1] += r[1];
            });
        }
        let mut all = occ.clone();
        let norm = repeats(&mut occ, |j, n| {
            let r = weight(j);
            let by = f64::from(tf(n)) - f64::from(n);
            acc[0] += r[0] * by;
            acc[1] += r[1] * by;
        });
        // The plain way: distinct buckets, damped counts.
        all.sort_unstable();
        let mut want = [0.0f64; 2];
        let mut sq = 0.0f64;
        let mut i = 0;
        while i < all.len() {
            let n = all[i..].iter().take_while(|&&b| b == all[i]).count();
            let v = f64::from(tf(n as u32));
            sq += v * v;
            want[0] += weight(all[i])[0] * v;
            want[1] += weight(all[i])[1] * v;
            i += n;
        }
        assert!((f64::from(norm) - sq.sqrt()).abs() < 1e-4);
        for k in 0..2 {
            assert!((acc[k] - want[k]).abs() < 1e-4, "{acc:?} {want:?}");
        }
        // A second owner starts from an empty cache.
        cache.prepare(next_owner(), 2);
        assert!(cache.words.is_empty());
    }
}
