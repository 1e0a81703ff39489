//! The prediction path of [`super::SentimentModel`]: the same numbers as featurizing into a
//! [`crate::features::SparseVec`] and scoring with [`LinearModel::scores`], bit for bit, but
//! without building the vectors, and with both linear models' weights of a bucket side by
//! side as 8-bit codes (one memory access per bucket instead of two, and a quarter of the
//! bytes; a 256-entry table per class turns a code back into its exact `f32` weight).
//!
//! Exactness: the character and word blocks' buckets are sorted together (a radix sort),
//! then each block's values and norm are summed in bucket order and the weighted blocks
//! are scored in bucket order, as the plain path does.

use super::prep::SentFeaturizer;
use crate::linear::LinearModel;

/// Buffers reused between predictions (kept in the featurizer).
#[derive(Debug, Clone, Default)]
pub(crate) struct Scratch {
    keys: Vec<u32>,
    tmp: Vec<u32>,
    counts: Vec<u32>,
    /// Per distinct bucket: the bucket and its occurrences in each block.
    runs: Vec<(u32, u32, u32)>,
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

    /// The raw three-class and polar scores of `fz`'s last text ([`SentFeaturizer::fill`]),
    /// or `None` when its feature vector is empty. `word_weight` is the word block's weight.
    pub(crate) fn scores(
        &self,
        fz: &mut SentFeaturizer,
        blocks: (bool, bool),
        word_weight: f32,
        bits: u8,
    ) -> Option<([f32; 3], [f32; 2])> {
        let (chars_on, words_on) = blocks;
        let a: &[u32] = if chars_on { &fz.char_buckets } else { &[] };
        let b: &[u32] = if words_on { &fz.buckets } else { &[] };
        if a.is_empty() && b.is_empty() {
            return None;
        }
        let s = &mut fz.scratch;
        s.keys.clear();
        s.keys.extend(a.iter().map(|&x| x << 1));
        s.keys.extend(b.iter().map(|&x| x << 1 | 1));
        sort(&mut s.keys, &mut s.tmp, &mut s.counts, u32::from(bits) + 1);
        // Distinct buckets with their counts per block; each block's norm in bucket order.
        let tf = |n: u32| match TF.get(n as usize) {
            Some(&v) => v,
            None => tf_of(n),
        };
        s.runs.clear();
        let (mut norm_a, mut norm_b) = (0.0f32, 0.0f32);
        let mut i = 0;
        let keys = &s.keys;
        while i < keys.len() {
            let bucket = keys[i] >> 1;
            let mut j = i;
            while j < keys.len() && keys[j] == bucket << 1 {
                j += 1;
            }
            let ca = (j - i) as u32;
            let mid = j;
            while j < keys.len() && keys[j] == (bucket << 1 | 1) {
                j += 1;
            }
            let cb = (j - mid) as u32;
            if ca > 0 {
                let v = tf(ca);
                norm_a += v * v;
            }
            if cb > 0 {
                let v = tf(cb);
                norm_b += v * v;
            }
            s.runs.push((bucket, ca, cb));
            i = j;
        }
        let inv = |norm: f32| if norm > 0.0 { 1.0 / norm.sqrt() } else { 1.0 };
        let (inv_a, inv_b) = (inv(norm_a), inv(norm_b));
        // How the blocks combine, as `SentFeaturizer::features` combines them.
        let mode = if !words_on {
            Mode::CharsOnly
        } else if a.is_empty() {
            Mode::WordsOnly
        } else {
            Mode::Weighted
        };
        let value = |ca: u32, cb: u32| -> f32 {
            let va = if ca > 0 { tf(ca) * inv_a } else { 0.0 };
            let vb = if cb > 0 { tf(cb) * inv_b } else { 0.0 };
            match mode {
                Mode::CharsOnly => va,
                Mode::WordsOnly => vb,
                Mode::Weighted if cb == 0 => 1.0 * va,
                Mode::Weighted if ca == 0 => word_weight * vb,
                Mode::Weighted => 1.0 * va + word_weight * vb,
            }
        };
        let mut t = self.tri_bias;
        let mut p = self.polar_bias;
        match &self.weights {
            Weights::Codes { codes, table } => {
                for &(j, ca, cb) in &s.runs {
                    let v = value(ca, cb);
                    let row = codes[j as usize];
                    for k in 0..3 {
                        t[k] += table[k][row[k] as u8 as usize] * v;
                    }
                    for k in 0..2 {
                        p[k] += table[3 + k][row[3 + k] as u8 as usize] * v;
                    }
                }
            }
            Weights::Floats(rows) => {
                for &(j, ca, cb) in &s.runs {
                    let v = value(ca, cb);
                    let row = rows[j as usize];
                    for k in 0..3 {
                        t[k] += row[k] * v;
                    }
                    for k in 0..2 {
                        p[k] += row[3 + k] * v;
                    }
                }
            }
        }
        Some((t, p))
    }
}

/// The damped count `1 + ln(n)` of a bucket occurring `n` times (1 for once), as
/// `crate::features::sparse_from_buckets` computes it.
fn tf_of(n: u32) -> f32 {
    if n == 1 { 1.0 } else { 1.0 + (n as f32).ln() }
}

/// [`tf_of`] of small counts.
static TF: std::sync::LazyLock<[f32; 64]> =
    std::sync::LazyLock::new(|| std::array::from_fn(|n| tf_of(n as u32)));

#[derive(Clone, Copy)]
enum Mode {
    CharsOnly,
    WordsOnly,
    Weighted,
}

/// Sorts keys below `2^key_bits`: a two-pass radix sort for long lists of keys of at most
/// 24 bits, the standard sort otherwise.
fn sort(keys: &mut [u32], tmp: &mut Vec<u32>, counts: &mut Vec<u32>, key_bits: u32) {
    if keys.len() < 256 || key_bits > 24 {
        keys.sort_unstable();
        return;
    }
    let digit = key_bits.div_ceil(2);
    let radix = 1usize << digit;
    tmp.clear();
    tmp.resize(keys.len(), 0);
    for pass in 0..2 {
        let shift = pass * digit;
        let (src, dst): (&[u32], &mut [u32]) = if pass == 0 {
            (&*keys, &mut tmp[..])
        } else {
            (&tmp[..], &mut *keys)
        };
        counts.clear();
        counts.resize(radix, 0);
        for &k in src {
            counts[((k >> shift) as usize) & (radix - 1)] += 1;
        }
        let mut sum = 0;
        for c in counts.iter_mut() {
            let n = *c;
            *c = sum;
            sum += n;
        }
        for &k in src {
            let d = ((k >> shift) as usize) & (radix - 1);
            dst[counts[d] as usize] = k;
            counts[d] += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn radix_sort_sorts() {
        let mut rng = crate::linear::SplitMix64::new(9);
        let (mut tmp, mut counts) = (Vec::new(), Vec::new());
        for (n, bits) in [(3000, 20u32), (300, 9), (100, 20), (1000, 26)] {
            let v: Vec<u32> = (0..n).map(|_| rng.below(1 << bits) as u32).collect();
            let mut a = v.clone();
            sort(&mut a, &mut tmp, &mut counts, bits);
            let mut b = v;
            b.sort_unstable();
            assert_eq!(a, b);
        }
    }

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
