//! A multiclass linear classifier over [`SparseVec`]s, trained by our own code.
//!
//! [`LinearModel::train`] fits one L2-regularised, squared-hinge-loss linear SVM per class
//! (one against the rest) by dual coordinate descent, visiting examples in an order shuffled
//! by a seeded splitmix64 generator, so a fixed seed gives the same model bit for bit. With
//! [`TrainParams::nb`] each class's features are first scaled by their naive Bayes
//! log-count ratio (NB-SVM), which helps on short texts; the ratio is folded into the
//! weights, so prediction is one sparse dot product per class.
//!
//! [`LinearModel::to_bytes`] writes a versioned binary form (only buckets with a non-zero
//! weight, `f32`); [`LinearModel::to_bytes_compact`] a smaller one (bucket gaps as varints,
//! weights as 8-bit square-root-companded codes with one scale per class), about a fifth of
//! the size; [`LinearModel::from_bytes`] reads both. [`LinearModel::quantized`] gives the
//! model exactly as the compact form reads back, to measure what quantization costs.

use crate::features::SparseVec;

pub(crate) const MAGIC: &[u8; 6] = b"RSDLIN";
pub(crate) const VERSION: u16 = 2;
/// The plain `f32` layout, still read.
const VERSION_F32: u16 = 1;

/// Model reading and writing errors are the crate's [`crate::Error`]; this alias keeps the
/// model code short.
pub use crate::Error as ModelError;

/// Result alias for model reading.
pub type ModelResult<T> = Result<T, ModelError>;

/// A small deterministic PRNG (splitmix64).
#[derive(Debug, Clone)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    /// A generator from a seed.
    pub fn new(seed: u64) -> SplitMix64 {
        SplitMix64(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A uniform integer below `n` (`n > 0`).
    pub fn below(&mut self, n: usize) -> usize {
        ((u128::from(self.next_u64()) * n as u128) >> 64) as usize
    }

    /// Shuffles `v` in place (Fisher–Yates).
    pub fn shuffle<T>(&mut self, v: &mut [T]) {
        for i in (1..v.len()).rev() {
            let j = self.below(i + 1);
            v.swap(i, j);
        }
    }
}

/// Training settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TrainParams {
    /// Inverse regularisation strength (larger fits the data more closely).
    pub c: f64,
    /// Passes over the data.
    pub epochs: usize,
    /// Scale features by their naive Bayes log-count ratio (NB-SVM).
    pub nb: bool,
    /// Add-alpha smoothing of the NB log-count ratios (smaller trusts rare n-grams more).
    pub nb_alpha: f64,
    /// Weight each one-vs-rest problem's two sides by the inverse of their size, so a
    /// small class counts as much as the rest (helps macro-F1 on unbalanced data).
    pub balanced: bool,
    /// With `nb`, the share (0..1) of a plain SVM's weights averaged into the NB-SVM's.
    pub mix: f64,
    /// Seed of the example order.
    pub seed: u64,
}

impl Default for TrainParams {
    fn default() -> Self {
        TrainParams {
            c: 0.5,
            epochs: 15,
            nb: true,
            nb_alpha: 0.1,
            balanced: true,
            mix: 0.0,
            seed: 42,
        }
    }
}

/// A trained multiclass linear model.
#[derive(Debug, Clone, PartialEq)]
pub struct LinearModel {
    bits: u8,
    n_classes: usize,
    /// Row-major: bucket `j`, class `k` at `j * n_classes + k`.
    weights: Vec<f32>,
    bias: Vec<f32>,
}

impl LinearModel {
    /// Trains on `xs` with class indices `ys` (each below `n_classes`) over `2^bits` buckets.
    /// Examples with an out-of-range class are ignored.
    pub fn train(
        xs: &[SparseVec],
        ys: &[usize],
        n_classes: usize,
        bits: u8,
        params: TrainParams,
    ) -> LinearModel {
        LinearModel::train_weighted(xs, ys, &[], n_classes, bits, params)
    }

    /// Like [`LinearModel::train`], with a weight per example multiplying its cost `C`
    /// (missing weights count as 1; a weight of 0 or less drops the example).
    pub fn train_weighted(
        xs: &[SparseVec],
        ys: &[usize],
        weights: &[f32],
        n_classes: usize,
        bits: u8,
        params: TrainParams,
    ) -> LinearModel {
        let weight = |i: usize| weights.get(i).copied().unwrap_or(1.0);
        let dim = 1usize << bits;
        let n_classes = n_classes.max(1);
        let mut model = LinearModel {
            bits,
            n_classes,
            weights: vec![0.0; dim * n_classes],
            bias: vec![0.0; n_classes],
        };
        let rows: Vec<usize> = (0..xs.len().min(ys.len()))
            .filter(|&i| ys[i] < n_classes && weight(i) > 0.0)
            .collect();
        let cost: Vec<f64> = rows.iter().map(|&i| f64::from(weight(i))).collect();
        if rows.is_empty() {
            return model;
        }
        let mut rng = SplitMix64::new(params.seed);
        for k in 0..n_classes {
            let ratio = if params.nb {
                Some(nb_ratio(xs, ys, &rows, k, dim, params.nb_alpha))
            } else {
                None
            };
            let scale = |j: u32| ratio.as_ref().map_or(1.0, |r| r[j as usize]);
            let (w, mut b) = dual_cd(xs, ys, &rows, &cost, k, dim, params, &scale, &mut rng);
            let mut w: Vec<f64> = w
                .iter()
                .enumerate()
                .map(|(j, wj)| wj * scale(j as u32))
                .collect();
            let mix = if params.nb { params.mix } else { 0.0 };
            if mix > 0.0 {
                // Interpolate with a plain SVM: a linear model still.
                let (plain, pb) = dual_cd(xs, ys, &rows, &cost, k, dim, params, &|_| 1.0, &mut rng);
                for (wj, pj) in w.iter_mut().zip(plain) {
                    *wj = (1.0 - mix) * *wj + mix * pj;
                }
                b = (1.0 - mix) * b + mix * pb;
            }
            for (j, wj) in w.iter().enumerate() {
                model.weights[j * n_classes + k] = *wj as f32;
            }
            model.bias[k] = b as f32;
        }
        model
    }

    /// A multinomial logistic regression (softmax over the classes, L2 penalty `1 / (C n)`)
    /// fitted by plain SGD with a decaying step, in the order of a seeded shuffle; weights
    /// per example as in [`LinearModel::train_weighted`]. `params.nb` and `mix` are not used.
    /// Scores are logits.
    pub fn train_softmax(
        xs: &[SparseVec],
        ys: &[usize],
        weights: &[f32],
        n_classes: usize,
        bits: u8,
        params: TrainParams,
    ) -> LinearModel {
        let weight = |i: usize| weights.get(i).copied().unwrap_or(1.0);
        let dim = 1usize << bits;
        let k = n_classes.max(1);
        let rows: Vec<usize> = (0..xs.len().min(ys.len()))
            .filter(|&i| ys[i] < k && weight(i) > 0.0)
            .collect();
        let mut v = vec![0.0f64; dim * k];
        let mut bias = vec![0.0f64; k];
        if !rows.is_empty() {
            // Class weights so each class counts as much in total (balanced).
            let mut per_class = vec![0.0f64; k];
            for &i in &rows {
                per_class[ys[i]] += f64::from(weight(i));
            }
            let total: f64 = per_class.iter().sum();
            let lambda = 1.0 / (params.c.max(1e-9) * rows.len() as f64);
            let eta0 = 0.5;
            let mut scale = 1.0f64;
            let mut t = 0.0f64;
            let mut order = rows.clone();
            let mut rng = SplitMix64::new(params.seed);
            let mut z = vec![0.0f64; k];
            for _ in 0..params.epochs.max(1) {
                rng.shuffle(&mut order);
                for &i in &order {
                    let eta = eta0 / (1.0 + eta0 * lambda * t);
                    t += 1.0;
                    let y = ys[i];
                    let mut cost = f64::from(weight(i));
                    if params.balanced && per_class[y] > 0.0 {
                        cost *= total / (k as f64 * per_class[y]);
                    }
                    for (c, zc) in z.iter_mut().enumerate() {
                        *zc = bias[c];
                    }
                    for (j, x) in xs[i].iter() {
                        let row = &v[j as usize * k..(j as usize + 1) * k];
                        for (zc, vc) in z.iter_mut().zip(row) {
                            *zc += scale * vc * f64::from(x);
                        }
                    }
                    let max = z.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                    let sum: f64 = z.iter().map(|zc| (zc - max).exp()).sum();
                    scale *= 1.0 - eta * lambda;
                    if scale < 1e-6 {
                        v.iter_mut().for_each(|w| *w *= scale);
                        scale = 1.0;
                    }
                    for c in 0..k {
                        let p = (z[c] - max).exp() / sum;
                        let g = cost * (p - if c == y { 1.0 } else { 0.0 });
                        bias[c] -= eta * g;
                        let step = eta * g / scale;
                        for (j, x) in xs[i].iter() {
                            v[j as usize * k + c] -= step * f64::from(x);
                        }
                    }
                }
            }
            v.iter_mut().for_each(|w| *w *= scale);
        }
        LinearModel {
            bits,
            n_classes: k,
            weights: v.iter().map(|&w| w as f32).collect(),
            bias: bias.iter().map(|&b| b as f32).collect(),
        }
    }

    /// Number of hash bits of the buckets it was trained over.
    pub fn bits(&self) -> u8 {
        self.bits
    }

    /// Number of classes.
    pub fn n_classes(&self) -> usize {
        self.n_classes
    }

    /// The weights, row-major: bucket `j`, class `k` at `j * n_classes + k`.
    pub(crate) fn weights(&self) -> &[f32] {
        &self.weights
    }

    /// The bias of each class.
    pub(crate) fn bias(&self) -> &[f32] {
        &self.bias
    }

    /// The raw score of each class.
    pub fn scores(&self, x: &SparseVec) -> Vec<f32> {
        let mut s = self.bias.clone();
        let dim = self.weights.len() / self.n_classes;
        for (j, v) in x.iter() {
            let j = j as usize;
            if j >= dim {
                continue;
            }
            let row = &self.weights[j * self.n_classes..(j + 1) * self.n_classes];
            for (sk, wk) in s.iter_mut().zip(row) {
                *sk += wk * v;
            }
        }
        s
    }

    /// The best class and the score of every class.
    pub fn predict(&self, x: &SparseVec) -> (usize, Vec<f32>) {
        let s = self.scores(x);
        let best = s
            .iter()
            .enumerate()
            .fold(
                (0, f32::NEG_INFINITY),
                |acc, (k, &v)| {
                    if v > acc.1 { (k, v) } else { acc }
                },
            )
            .0;
        (best, s)
    }

    /// The compact binary form: header, biases, then each bucket with a non-zero weight.
    pub fn to_bytes(&self) -> Vec<u8> {
        let k = self.n_classes;
        let rows: Vec<usize> = (0..self.weights.len() / k)
            .filter(|&j| self.weights[j * k..(j + 1) * k].iter().any(|&w| w != 0.0))
            .collect();
        let mut out = Vec::with_capacity(16 + rows.len() * (4 + 4 * k));
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&VERSION_F32.to_le_bytes());
        out.push(self.bits);
        out.extend_from_slice(&(k as u16).to_le_bytes());
        out.extend_from_slice(&(rows.len() as u32).to_le_bytes());
        for b in &self.bias {
            out.extend_from_slice(&b.to_le_bytes());
        }
        for j in rows {
            out.extend_from_slice(&(j as u32).to_le_bytes());
            for w in &self.weights[j * k..(j + 1) * k] {
                out.extend_from_slice(&w.to_le_bytes());
            }
        }
        out
    }

    /// The compact binary form (version 2): header, biases, one scale per class, then for
    /// each bucket with a non-zero code its gap from the previous bucket (LEB128 varint) and
    /// one `i8` code per class; a code `q` stands for `scale * q * |q| / 127²`.
    pub fn to_bytes_compact(&self) -> Vec<u8> {
        let k = self.n_classes;
        let dim = self.weights.len() / k;
        let scales: Vec<f32> = (0..k)
            .map(|c| {
                (0..dim)
                    .map(|j| self.weights[j * k + c].abs())
                    .fold(0.0f32, f32::max)
            })
            .collect();
        let code = |w: f32, s: f32| -> i8 {
            if s <= 0.0 {
                return 0;
            }
            let q = (w.abs() / s).sqrt() * 127.0;
            (q.round().min(127.0) as i8) * if w < 0.0 { -1 } else { 1 }
        };
        let mut body = Vec::new();
        let mut rows = 0u32;
        let mut last = 0usize;
        let mut codes = vec![0i8; k];
        for j in 0..dim {
            for (c, q) in codes.iter_mut().enumerate() {
                *q = code(self.weights[j * k + c], scales[c]);
            }
            if codes.iter().all(|&q| q == 0) {
                continue;
            }
            write_varint(&mut body, (j - last) as u64);
            last = j;
            rows += 1;
            body.extend(codes.iter().map(|&q| q as u8));
        }
        let mut out = Vec::with_capacity(20 + 8 * k + body.len());
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&VERSION.to_le_bytes());
        out.push(self.bits);
        out.extend_from_slice(&(k as u16).to_le_bytes());
        out.extend_from_slice(&rows.to_le_bytes());
        for b in self.bias.iter().chain(&scales) {
            out.extend_from_slice(&b.to_le_bytes());
        }
        out.extend_from_slice(&body);
        out
    }

    /// The model as [`LinearModel::to_bytes_compact`] reads back.
    pub fn quantized(&self) -> LinearModel {
        match LinearModel::from_bytes(&self.to_bytes_compact()) {
            Ok((m, _)) => m,
            // Unreachable: our own bytes always read back.
            Err(_) => self.clone(),
        }
    }

    /// Reads [`LinearModel::to_bytes`] or [`LinearModel::to_bytes_compact`]; returns the
    /// model and the bytes after it.
    pub fn from_bytes(bytes: &[u8]) -> ModelResult<(LinearModel, &[u8])> {
        let mut r = Reader(bytes);
        if r.take(6)? != MAGIC {
            return Err(ModelError::BadModelHeader);
        }
        let version = r.u16()?;
        if version != VERSION && version != VERSION_F32 {
            return Err(ModelError::BadModelHeader);
        }
        let bits = r.take(1)?[0];
        if !(8..=30).contains(&bits) {
            return Err(ModelError::CorruptModel("bucket bits out of range"));
        }
        let k = usize::from(r.u16()?);
        if k == 0 {
            return Err(ModelError::CorruptModel("no classes"));
        }
        let rows = r.u32()? as usize;
        let dim = 1usize << bits;
        let row_bytes = if version == VERSION { 1 + k } else { 4 + 4 * k };
        if rows > dim || r.0.len() < k * 4 + rows.saturating_mul(row_bytes) {
            return Err(ModelError::CorruptModel("truncated"));
        }
        let bias = (0..k).map(|_| r.f32()).collect::<ModelResult<Vec<_>>>()?;
        let mut weights = vec![0.0; dim * k];
        if version == VERSION {
            let scales = (0..k).map(|_| r.f32()).collect::<ModelResult<Vec<_>>>()?;
            let mut j = 0usize;
            for _ in 0..rows {
                j = j
                    .checked_add(r.varint()?)
                    .filter(|&j| j < dim)
                    .ok_or(ModelError::CorruptModel("bucket out of range"))?;
                let codes = r.take(k)?;
                for (c, &q) in codes.iter().enumerate() {
                    let q = f32::from(q as i8) / 127.0;
                    weights[j * k + c] = scales[c] * q * q.abs();
                }
            }
        } else {
            for _ in 0..rows {
                let j = r.u32()? as usize;
                if j >= dim {
                    return Err(ModelError::CorruptModel("bucket out of range"));
                }
                for c in 0..k {
                    weights[j * k + c] = r.f32()?;
                }
            }
        }
        Ok((
            LinearModel {
                bits,
                n_classes: k,
                weights,
                bias,
            },
            r.0,
        ))
    }
}

/// Appends `v` as a LEB128 varint (7 bits a byte, high bit set on all but the last).
pub(crate) fn write_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8 & 0x7f) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// A cursor over model bytes; running out is [`ModelError::CorruptModel`].
pub(crate) struct Reader<'a>(pub(crate) &'a [u8]);

impl<'a> Reader<'a> {
    pub(crate) fn take(&mut self, n: usize) -> ModelResult<&'a [u8]> {
        if self.0.len() < n {
            return Err(ModelError::CorruptModel("truncated"));
        }
        let (a, b) = self.0.split_at(n);
        self.0 = b;
        Ok(a)
    }
    pub(crate) fn array<const N: usize>(&mut self) -> ModelResult<[u8; N]> {
        let mut a = [0u8; N];
        a.copy_from_slice(self.take(N)?);
        Ok(a)
    }
    pub(crate) fn u16(&mut self) -> ModelResult<u16> {
        let b = self.take(2)?;
        Ok(u16::from_le_bytes([b[0], b[1]]))
    }
    pub(crate) fn u32(&mut self) -> ModelResult<u32> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }
    pub(crate) fn varint(&mut self) -> ModelResult<usize> {
        let mut v = 0u64;
        for shift in (0..35).step_by(7) {
            let b = self.take(1)?[0];
            v |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return usize::try_from(v).map_err(|_| ModelError::CorruptModel("bad gap"));
            }
        }
        Err(ModelError::CorruptModel("bad gap"))
    }
    fn f32(&mut self) -> ModelResult<f32> {
        let v = f32::from_bits(self.u32()?);
        if v.is_finite() {
            Ok(v)
        } else {
            Err(ModelError::CorruptModel("non-finite weight"))
        }
    }
}

/// The naive Bayes log-count ratio of each bucket for class `k` against the rest, over
/// binarized features with add-`alpha` smoothing on the buckets seen.
fn nb_ratio(
    xs: &[SparseVec],
    ys: &[usize],
    rows: &[usize],
    k: usize,
    dim: usize,
    alpha: f64,
) -> Vec<f64> {
    let mut pos = vec![0u32; dim];
    let mut neg = vec![0u32; dim];
    for &i in rows {
        let counts = if ys[i] == k { &mut pos } else { &mut neg };
        for &j in &xs[i].indices {
            counts[j as usize] += 1;
        }
    }
    let seen = pos.iter().zip(&neg).filter(|(p, n)| **p + **n > 0).count() as f64;
    let sum_p: f64 = pos.iter().map(|&c| f64::from(c)).sum::<f64>() + seen * alpha;
    let sum_n: f64 = neg.iter().map(|&c| f64::from(c)).sum::<f64>() + seen * alpha;
    pos.iter()
        .zip(&neg)
        .map(|(&p, &n)| {
            if p + n == 0 {
                0.0
            } else {
                ((f64::from(p) + alpha) / sum_p).ln() - ((f64::from(n) + alpha) / sum_n).ln()
            }
        })
        .collect()
}

/// Dual coordinate descent for the L2-regularised squared-hinge SVM of class `k` against
/// the rest, with a regularised bias feature of value 1. Returns weights and bias.
#[allow(clippy::too_many_arguments)]
fn dual_cd(
    xs: &[SparseVec],
    ys: &[usize],
    rows: &[usize],
    cost: &[f64],
    k: usize,
    dim: usize,
    params: TrainParams,
    scale: &dyn Fn(u32) -> f64,
    rng: &mut SplitMix64,
) -> (Vec<f64>, f64) {
    let n_pos = rows
        .iter()
        .zip(cost)
        .filter(|(i, _)| ys[**i] == k)
        .map(|(_, c)| c)
        .sum::<f64>()
        .max(1e-9);
    let n = cost.iter().sum::<f64>();
    let n_neg = (n - n_pos).max(1e-9);
    // The diagonal term 1 / (2 C_i) of each example.
    let dii: Vec<f64> = rows
        .iter()
        .zip(cost)
        .map(|(&i, &ci)| {
            let c = ci
                * if !params.balanced {
                    params.c
                } else if ys[i] == k {
                    params.c * n / (2.0 * n_pos)
                } else {
                    params.c * n / (2.0 * n_neg)
                };
            1.0 / (2.0 * c.max(1e-9))
        })
        .collect();
    let mut w = vec![0.0f64; dim];
    let mut b = 0.0f64;
    let mut alpha = vec![0.0f64; rows.len()];
    let q: Vec<f64> = rows
        .iter()
        .zip(&dii)
        .map(|(&i, d)| {
            xs[i]
                .iter()
                .map(|(j, v)| (f64::from(v) * scale(j)).powi(2))
                .sum::<f64>()
                + 1.0
                + d
        })
        .collect();
    let mut order: Vec<usize> = (0..rows.len()).collect();
    for _ in 0..params.epochs.max(1) {
        rng.shuffle(&mut order);
        for &o in &order {
            let i = rows[o];
            let y = if ys[i] == k { 1.0 } else { -1.0 };
            let margin = xs[i]
                .iter()
                .map(|(j, v)| w[j as usize] * f64::from(v) * scale(j))
                .sum::<f64>()
                + b;
            let g = y * margin - 1.0 + dii[o] * alpha[o];
            let new = (alpha[o] - g / q[o]).max(0.0);
            let delta = (new - alpha[o]) * y;
            if delta != 0.0 {
                alpha[o] = new;
                for (j, v) in xs[i].iter() {
                    w[j as usize] += delta * f64::from(v) * scale(j);
                }
                b += delta;
            }
        }
    }
    (w, b)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::features::{FeatureConfig, Featurizer};

    fn data() -> (Vec<SparseVec>, Vec<usize>) {
        let mut f = Featurizer::new(FeatureConfig {
            bits: 16,
            ..FeatureConfig::default()
        });
        let texts = [
            ("ممتاز رائع", 0),
            ("جميل جدا", 0),
            ("great service", 0),
            ("سيء جدا", 1),
            ("زفت وقرف", 1),
            ("terrible service", 1),
        ];
        texts.iter().map(|(t, y)| (f.features(t), *y)).unzip()
    }

    #[test]
    fn splitmix_is_the_reference_sequence() {
        let mut r = SplitMix64::new(1234567);
        assert_eq!(r.next_u64(), 6457827717110365317);
        assert_eq!(r.next_u64(), 3203168211198807973);
    }

    #[test]
    fn fits_training_data_and_is_deterministic() {
        let (xs, ys) = data();
        for nb in [false, true] {
            let p = TrainParams {
                nb,
                ..TrainParams::default()
            };
            let m = LinearModel::train(&xs, &ys, 2, 16, p);
            for (x, &y) in xs.iter().zip(&ys) {
                assert_eq!(m.predict(x).0, y);
            }
            assert_eq!(m, LinearModel::train(&xs, &ys, 2, 16, p));
        }
    }

    #[test]
    fn softmax_fits_training_data_and_is_deterministic() {
        let (xs, ys) = data();
        let p = TrainParams {
            c: 10.0,
            epochs: 50,
            ..TrainParams::default()
        };
        let m = LinearModel::train_softmax(&xs, &ys, &[], 2, 16, p);
        for (x, &y) in xs.iter().zip(&ys) {
            assert_eq!(m.predict(x).0, y);
        }
        assert_eq!(m, LinearModel::train_softmax(&xs, &ys, &[], 2, 16, p));
    }

    #[test]
    fn bytes_round_trip() {
        let (xs, ys) = data();
        let m = LinearModel::train(&xs, &ys, 2, 16, TrainParams::default());
        let bytes = m.to_bytes();
        assert!(bytes.len() < (1 << 16) * 8 / 4, "{}", bytes.len());
        let (back, rest) = LinearModel::from_bytes(&bytes).unwrap();
        assert!(rest.is_empty());
        assert_eq!(back, m);
        assert!(matches!(
            LinearModel::from_bytes(&bytes[..bytes.len() - 3]),
            Err(ModelError::CorruptModel(_))
        ));
        assert!(matches!(
            LinearModel::from_bytes(b"hello world"),
            Err(ModelError::BadModelHeader)
        ));
    }
}
