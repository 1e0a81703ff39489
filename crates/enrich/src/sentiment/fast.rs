//! The prediction path of [`super::SentimentModel`]: the numbers of featurizing into a
//! [`crate::features::SparseVec`] and scoring with [`LinearModel::scores`] (to about 1e-6:
//! the same terms added in another order), without building the vectors. Both linear
//! models' weights of a bucket lie side by side as 8-bit codes (one memory access per bucket
//! instead of two, and a quarter of the bytes; a 256-entry table per class turns a code
//! back into its exact `f32` weight), and the character block is scored word by word with a
//! per-thread cache of each word's sums (module [`crate::word_cache`]), so a text costs about
//! one lookup per word plus one weight read per repeated bucket and per word-block feature.

use super::prep::SentFeaturizer;
use crate::linear::LinearModel;
use crate::word_cache::{next_owner, repeats, tf};

/// Buffers reused between predictions (kept in the featurizer).
#[derive(Debug, Clone, Default)]
pub(crate) struct Scratch {
    /// The character block's buckets, one per occurrence.
    keys: Vec<u32>,
    /// The word block's buckets, sorted.
    word_keys: Vec<u32>,
}

/// The weights of the three-class (classes 0..3) and polar (3..5) models, by bucket.
#[derive(Clone, PartialEq)]
enum Weights {
    /// 8-bit codes and, per class, the weight of each code.
    Codes {
        codes: Vec<[i8; 5]>,
        table: Box<[[f32; 256]; 5]>,
    },
    /// Plain weights (a model that was not quantized).
    Floats(Vec<[f32; 5]>),
}

/// The two linear models of one feature view, laid out for prediction.
#[derive(Clone, PartialEq)]
pub(crate) struct Scorer {
    /// Its identity for the per-thread word caches (`crate::word_cache`).
    id: u64,
    weights: Weights,
    tri_bias: [f32; 3],
    polar_bias: [f32; 2],
}

impl std::fmt::Debug for Scorer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = match &self.weights {
            Weights::Codes { codes, .. } => format!("{} buckets of 8-bit codes", codes.len()),
            Weights::Floats(w) => format!("{} buckets of f32", w.len()),
        };
        f.debug_struct("Scorer").field("weights", &kind).finish()
    }
}

/// The weight of 8-bit code `code` under `scale`, computed as the model reader does.
fn dequantize(scale: f32, code: i8) -> f32 {
    let q = f32::from(code) / 127.0;
    scale * q * q.abs()
}

impl Scorer {
    /// Its identity for the per-thread word caches.
    pub(crate) fn id(&self) -> u64 {
        self.id
    }

    /// The scorer of a three-class and a polar model over the same buckets, or `None` when
    /// they do not fit together.
    pub(crate) fn new(tri: &LinearModel, polar: &LinearModel) -> Option<Scorer> {
        if tri.n_classes() != 3 || polar.n_classes() != 2 || tri.bits() != polar.bits() {
            return None;
        }
        let (tw, pw) = (tri.weights(), polar.weights());
        let dim = 1usize << tri.bits();
        if tw.len() != dim * 3 || pw.len() != dim * 2 {
            return None;
        }
        let weight = |j: usize, c: usize| {
            if c < 3 {
                tw[j * 3 + c]
            } else {
                pw[j * 2 + c - 3]
            }
        };
        let tri_bias = [tri.bias()[0], tri.bias()[1], tri.bias()[2]];
        let polar_bias = [polar.bias()[0], polar.bias()[1]];
        let weights = Scorer::codes(dim, &weight).unwrap_or_else(|| {
            Weights::Floats(
                (0..dim)
                    .map(|j| std::array::from_fn(|c| weight(j, c)))
                    .collect(),
            )
        });
        Some(Scorer {
            id: next_owner(),
            weights,
            tri_bias,
            polar_bias,
        })
    }

    /// The weights as codes when every weight is exactly the weight of an 8-bit code under
    /// its class's scale (the largest absolute weight), as in a model read from a file.
    fn codes(dim: usize, weight: &dyn Fn(usize, usize) -> f32) -> Option<Weights> {
        let mut table = Box::new([[0.0f32; 256]; 5]);
        let mut scales = [0.0f32; 5];
        for (c, s) in scales.iter_mut().enumerate() {
            *s = (0..dim).map(|j| weight(j, c).abs()).fold(0.0f32, f32::max);
            for code in i8::MIN..=i8::MAX {
                table[c][code as u8 as usize] = dequantize(*s, code);
            }
        }
        let mut codes = vec![[0i8; 5]; dim];
        for (j, row) in codes.iter_mut().enumerate() {
            for (c, q) in row.iter_mut().enumerate() {
                let w = weight(j, c);
                let guess = if scales[c] > 0.0 {
                    ((w.abs() / scales[c]).sqrt() * 127.0).round().min(127.0) as i16
                        * if w < 0.0 { -1 } else { 1 }
                } else {
                    0
                };
                *q = [guess, guess - 1, guess + 1]
                    .into_iter()
                    .filter_map(|g| i8::try_from(g).ok())
                    .find(|&g| table[c][g as u8 as usize].to_bits() == w.to_bits())?;
            }
        }
        Some(Weights::Codes { codes, table })
    }

    /// The five weights (three-class, then polar) of bucket `j`.
    #[inline]
    fn row(&self, j: u32) -> [f32; 5] {
        match &self.weights {
            Weights::Codes { codes, table } => {
                let r = codes[j as usize];
                std::array::from_fn(|k| table[k][r[k] as u8 as usize])
            }
            Weights::Floats(rows) => rows[j as usize],
        }
    }

    /// The raw three-class and polar scores of `text`, the character block scored word by
    /// word: the same numbers as [`Scorer::scores`] up to the order of float additions
    /// (so within about 1e-6), for a config whose character n-grams stay within words.
    ///
    /// A block's score is `Σ_j w_j · tf(c_j) / ‖tf‖` over its distinct buckets `j` with
    /// `c_j` occurrences. For the character block that is `(Σ_occurrences w − Σ_{c_j > 1}
    /// w_j · (c_j − tf(c_j))) / ‖tf‖`: the first sum is a sum over words of a sum each word
    /// always gives ([`WordCache`]), so only the buckets that repeat need their weights
    /// read; their counts come from sorting the occurrences.
    pub(crate) fn scores_by_word(
        &self,
        fz: &mut SentFeaturizer,
        text: &str,
        word_weight: f32,
    ) -> Option<([f32; 3], [f32; 2])> {
        let (chars_on, words_on) = fz.fill(text, false);
        debug_assert!(chars_on, "the caller checks the character block is on");
        let row = |j: u32, sums: &mut [f64]| add_wide(sums, &self.row(j), 1.0);
        let cache = &mut fz.cache;
        cache.prepare(self.id, 5);
        let s = &mut fz.scratch;
        s.keys.clear();
        let mut chars = [0.0f64; 5];
        for word in rasd_core::text::tokens(&fz.normalized) {
            let chars_of = |w: &str, out: &mut Vec<u32>| fz.chars.char_buckets(w, out);
            cache.add_word(word, &mut chars, &mut s.keys, chars_of, row);
        }
        let from_words = s.keys.len();
        fz.chars.symbol_buckets(&fz.normalized, &mut s.keys);
        for &j in &s.keys[from_words..] {
            row(j, &mut chars);
        }
        let words: &[u32] = if words_on { &fz.buckets } else { &[] };
        if s.keys.is_empty() && words.is_empty() {
            return None;
        }
        let chars_empty = s.keys.is_empty();
        let norm = repeats(&mut s.keys, |j, n| {
            add_wide(&mut chars, &self.row(j), f64::from(tf(n)) - f64::from(n));
        });
        let char_scale = if norm > 0.0 { 1.0 / norm } else { 1.0 };
        // Word block: every distinct bucket with its damped count.
        s.word_keys.clear();
        s.word_keys.extend_from_slice(words);
        s.word_keys.sort_unstable();
        let mut word_part = [0.0f32; 5];
        let mut norm = 0.0f32;
        for run in s.word_keys.chunk_by(|a, b| a == b) {
            let v = tf(run.len() as u32);
            norm += v * v;
            add(&mut word_part, &self.row(run[0]), v);
        }
        let word_scale = if norm > 0.0 { 1.0 / norm.sqrt() } else { 1.0 };
        // How the blocks combine, as `SentFeaturizer::features` combines them: the word
        // block alone has weight 1, beside characters `word_weight`.
        let word_factor = if chars_empty { 1.0 } else { word_weight };
        let mut all = [0.0f32; 5];
        add(&mut all, &chars.map(|x| x as f32), char_scale);
        add(&mut all, &word_part, word_factor * word_scale);
        let t = std::array::from_fn(|k| self.tri_bias[k] + all[k]);
        let p = std::array::from_fn(|k| self.polar_bias[k] + all[3 + k]);
        Some((t, p))
    }
}

/// `acc += by * v`, class by class, in f64.
#[inline]
fn add_wide(acc: &mut [f64], v: &[f32; 5], by: f64) {
    for (a, &x) in acc.iter_mut().zip(v) {
        *a += f64::from(x) * by;
    }
}

/// `acc += by * v`, class by class.
#[inline]
fn add(acc: &mut [f32; 5], v: &[f32; 5], by: f32) {
    for (a, x) in acc.iter_mut().zip(v) {
        *a += x * by;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_used_only_when_exact() {
        let mut f = crate::features::Featurizer::new(crate::features::FeatureConfig {
            bits: 10,
            ..Default::default()
        });
        let xs = vec![
            f.features("ممتاز رائع"),
            f.features("سيء زفت"),
            f.features("اجتماع"),
        ];
        let ys = vec![0, 1, 2];
        let p = crate::linear::TrainParams::default();
        let tri = LinearModel::train(&xs, &ys, 3, 10, p);
        let polar = LinearModel::train(&xs, &ys, 2, 10, p);
        let plain = Scorer::new(&tri, &polar).unwrap();
        assert!(matches!(plain.weights, Weights::Floats(_)));
        let q = Scorer::new(&tri.quantized(), &polar.quantized()).unwrap();
        assert!(matches!(q.weights, Weights::Codes { .. }));
        assert!(Scorer::new(&polar, &tri).is_none());
    }
}
