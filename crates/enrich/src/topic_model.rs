//! The trained topic model: multi-label logistic regression over hashed character and word
//! n-grams, the learned layer beside the editable rules of `topics.toml`.
//!
//! [`TopicModel::train`] fits one binary logistic regression per topic (an item may carry
//! several topics, or none) by stochastic gradient descent over the examples in an order
//! fixed by the seed, so the same examples and seed give byte-identical models.
//! [`TopicModel::probabilities`] reads the title and the first [`BODY_CHARS`] characters of
//! the body (a news lead carries its story; the rules read the whole text) and gives each
//! topic a probability. Weights are stored as one byte each with a per-topic scale
//! ([`TopicModel::to_bytes`]), and only the hash buckets the training text touched, so the
//! shipped file stays small.
//!
//! How the two layers are combined is [`crate::Enricher`]'s business: the model's confident
//! votes count like a matched term, and the rules' vetoes still apply.

use rasd_core::TopicConfig;

use rasd_core::text::normalize_for_matching;

use crate::features::{FeatureConfig, Featurizer, SparseVec, collapse_runs_into};
use crate::linear::{ModelError, ModelResult, Reader, SplitMix64, write_varint};

const MAGIC: &[u8; 6] = b"RSDTOP";
const VERSION: u16 = 1;

/// Characters of the body the model reads after the title.
pub const BODY_CHARS: usize = 300;

/// One labelled training example.
#[derive(Debug, Clone, PartialEq)]
pub struct TopicExample {
    /// The text (title and body joined).
    pub text: String,
    /// Its topic ids; empty for an item about none of them.
    pub topics: Vec<String>,
}

/// Training settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TopicTrainParams {
    /// Passes over the examples.
    pub epochs: usize,
    /// Initial learning rate (decays as `lr / (1 + epoch)`).
    pub lr: f64,
    /// L2 penalty per update.
    pub l2: f64,
    /// Positive examples of a topic weigh `(negatives / positives) ^ pos_power` (0: equal).
    pub pos_power: f64,
    /// Seed of the example order.
    pub seed: u64,
}

impl Default for TopicTrainParams {
    fn default() -> Self {
        TopicTrainParams {
            epochs: 40,
            lr: 1.0,
            l2: 1e-6,
            pos_power: 0.7,
            seed: 42,
        }
    }
}

/// The features the topic model reads: character 3–5-grams within words, word unigrams and
/// bigrams, 2^18 buckets.
pub fn default_features() -> FeatureConfig {
    FeatureConfig {
        bits: 18,
        char_min: 3,
        char_max: 5,
        word_max: 2,
        ..FeatureConfig::default()
    }
}

/// Training examples made of the rules themselves, so the model learns what the office
/// wrote: each term of a topic (a proximity term's parts joined; weak terms left out) labelled with that topic,
/// and each exclude term (not `topic:` references) labelled with no topic.
pub fn examples_from_rules(topics: &[TopicConfig]) -> Vec<TopicExample> {
    let mut out = Vec::new();
    for t in topics {
        // A weak term (`~`) alone does not mean the topic: it teaches the model nothing.
        for term in t
            .terms
            .iter()
            .filter(|term| !term.trim_start().starts_with(crate::topics::WEAK))
        {
            out.push(TopicExample {
                text: term.replace("...", " ").replace('…', " "),
                topics: vec![t.id.clone()],
            });
        }
        for term in t
            .exclude
            .iter()
            .filter(|e| !e.starts_with(crate::topics::TOPIC_REF))
        {
            out.push(TopicExample {
                text: term.clone(),
                topics: Vec::new(),
            });
        }
    }
    out
}

/// A trained multi-label topic model.
#[derive(Debug, Clone, PartialEq)]
pub struct TopicModel {
    features: FeatureConfig,
    topics: Vec<String>,
    bias: Vec<f32>,
    /// Weight of quantum 1, per topic.
    scale: Vec<f32>,
    /// Bucket-major: bucket `j`, topic `k` at `j * topics.len() + k`; followed by
    /// [`ROW_WINDOW`] zero bytes, so that every row can be read as a fixed-size window.
    weights: Vec<i8>,
}

/// Rows of the weight matrix are read as windows of this many bytes (when the model has at
/// most this many topics): fixed-size copies and arithmetic the compiler vectorizes.
const ROW_WINDOW: usize = 32;

/// Buffers reused between calls, one set per thread.
#[derive(Debug)]
struct Scratch {
    featurizer: Featurizer,
    /// The text the model reads.
    text: String,
    /// The weight windows of a text's buckets, gathered before they are summed.
    rows: Vec<[i8; ROW_WINDOW]>,
}

thread_local! {
    static SCRATCH: std::cell::RefCell<Scratch> = std::cell::RefCell::new(Scratch {
        featurizer: Featurizer::new(default_features()),
        text: String::new(),
        rows: Vec::new(),
    });
}

/// The text the model reads, from a title and body already passed through
/// `normalize_for_matching`: the title, then the first [`BODY_CHARS`] characters of the
/// body, with letter runs collapsed as the featurizer expects.
fn normalized_model_text(title: &str, body: &str) -> String {
    let mut out = String::new();
    normalized_model_text_into(title, body, &mut out);
    out
}

/// [`normalized_model_text`] appended to `out`. The title and the body are collapsed apart:
/// a run never spans the line break between them.
fn normalized_model_text_into(title: &str, body: &str, out: &mut String) {
    let body = &body[..body
        .char_indices()
        .nth(BODY_CHARS)
        .map_or(body.len(), |(i, _)| i)];
    if !title.is_empty() {
        collapse_runs_into(title, out);
        if !body.is_empty() {
            out.push('\n');
        }
    }
    collapse_runs_into(body, out);
}

/// The text the model reads: the title, then the first [`BODY_CHARS`] characters of the
/// body.
pub fn model_text(title: &str, body: &str) -> String {
    crate::lead_text(title, body, BODY_CHARS)
}

fn sigmoid(z: f64) -> f64 {
    1.0 / (1.0 + (-z).exp())
}

impl TopicModel {
    /// Trains on `examples` for the topic ids `topics` (labels not among them are ignored).
    /// The same examples, topics and parameters give the same model.
    pub fn train(
        examples: &[TopicExample],
        topics: &[String],
        features: FeatureConfig,
        params: TopicTrainParams,
    ) -> TopicModel {
        let k = topics.len();
        let dim = features.dim();
        let mut fz = Featurizer::new(features);
        let xs: Vec<SparseVec> = examples
            .iter()
            .map(|e| {
                let text = normalized_model_text("", &normalize_for_matching(&e.text));
                fz.features_of_normalized(&text)
            })
            .collect();
        let ys: Vec<Vec<bool>> = examples
            .iter()
            .map(|e| topics.iter().map(|t| e.topics.contains(t)).collect())
            .collect();
        // Class weights of positives, per topic.
        let pos_weight: Vec<f64> = (0..k)
            .map(|t| {
                let pos = ys.iter().filter(|y| y[t]).count().max(1) as f64;
                let neg = (ys.len() as f64 - pos).max(1.0);
                (neg / pos).powf(params.pos_power)
            })
            .collect();
        let mut w = vec![0f64; dim * k];
        let mut b = vec![0f64; k];
        let mut order: Vec<usize> = (0..xs.len()).filter(|&i| !xs[i].is_empty()).collect();
        let mut rng = SplitMix64::new(params.seed);
        let mut z = vec![0f64; k];
        for epoch in 0..params.epochs {
            rng.shuffle(&mut order);
            let lr = params.lr / (1.0 + epoch as f64);
            for &i in &order {
                z.copy_from_slice(&b);
                for (j, v) in xs[i].iter() {
                    let row = &w[j as usize * k..(j as usize + 1) * k];
                    for (zt, wt) in z.iter_mut().zip(row) {
                        *zt += wt * f64::from(v);
                    }
                }
                let grads: Vec<f64> = (0..k)
                    .map(|t| {
                        let y = ys[i][t];
                        let g = sigmoid(z[t]) - if y { 1.0 } else { 0.0 };
                        g * if y { pos_weight[t] } else { 1.0 }
                    })
                    .collect();
                for (j, v) in xs[i].iter() {
                    let row = &mut w[j as usize * k..(j as usize + 1) * k];
                    for (wt, g) in row.iter_mut().zip(&grads) {
                        *wt -= lr * (g * f64::from(v) + params.l2 * *wt);
                    }
                }
                for (bt, g) in b.iter_mut().zip(&grads) {
                    *bt -= lr * g;
                }
            }
        }
        TopicModel::quantized(features, topics.to_vec(), &w, &b)
    }

    fn quantized(features: FeatureConfig, topics: Vec<String>, w: &[f64], b: &[f64]) -> TopicModel {
        let k = topics.len();
        let scale: Vec<f32> = (0..k)
            .map(|t| {
                let max = w
                    .iter()
                    .skip(t)
                    .step_by(k.max(1))
                    .fold(0f64, |m, v| m.max(v.abs()));
                if max > 0.0 { (max / 127.0) as f32 } else { 1.0 }
            })
            .collect();
        let mut weights: Vec<i8> = w
            .iter()
            .enumerate()
            .map(|(i, v)| (v / f64::from(scale[i % k])).round().clamp(-127.0, 127.0) as i8)
            .collect();
        weights.extend([0; ROW_WINDOW]);
        TopicModel {
            features,
            topics,
            bias: b.iter().map(|&v| v as f32).collect(),
            scale,
            weights,
        }
    }

    /// The topic ids it knows, in output order.
    pub fn topics(&self) -> &[String] {
        &self.topics
    }

    /// The probability of each topic (in [`TopicModel::topics`] order) for a title and body.
    /// A text without words gets all zeros.
    pub fn probabilities(&self, title: &str, body: &str) -> Vec<f32> {
        let body = &body[..body
            .char_indices()
            .nth(BODY_CHARS * 2)
            .map_or(body.len(), |(i, _)| i)];
        self.probabilities_normalized(
            &normalize_for_matching(title),
            &normalize_for_matching(body),
        )
    }

    /// [`TopicModel::probabilities`] of a title and body already passed through
    /// `normalize_for_matching` (the enricher normalizes once for every layer).
    pub fn probabilities_normalized(&self, title: &str, body: &str) -> Vec<f32> {
        let k = self.topics.len();
        let z = SCRATCH.with(|s| {
            let mut s = s.borrow_mut();
            let Scratch {
                featurizer,
                text,
                rows,
            } = &mut *s;
            if featurizer.config() != self.features {
                *featurizer = Featurizer::new(self.features);
            }
            text.clear();
            normalized_model_text_into(title, body, text);
            let x = featurizer.features_of_normalized(text);
            if x.is_empty() || k == 0 {
                return None;
            }
            Some(self.scores(&x, rows))
        });
        let Some(z) = z else {
            return vec![0.0; k];
        };
        z.iter()
            .zip(&self.scale)
            .zip(&self.bias)
            .map(|((zt, s), bt)| sigmoid(f64::from(zt * s + bt)) as f32)
            .collect()
    }

    /// Each topic's sum of quantized weight times feature value over `x`, added in the order
    /// of `x`. With at most [`ROW_WINDOW`] topics the rows are first gathered into `rows`
    /// (independent loads, so the memory system fetches many at once), then summed.
    fn scores(&self, x: &SparseVec, rows: &mut Vec<[i8; ROW_WINDOW]>) -> Vec<f32> {
        let k = self.topics.len();
        if k > ROW_WINDOW {
            let mut z = vec![0f32; k];
            for (j, v) in x.iter() {
                let row = &self.weights[j as usize * k..(j as usize + 1) * k];
                for (zt, &q) in z.iter_mut().zip(row) {
                    *zt += f32::from(q) * v;
                }
            }
            return z;
        }
        rows.clear();
        rows.extend(x.indices.iter().map(|&j| {
            let start = j as usize * k;
            let mut window = [0i8; ROW_WINDOW];
            window.copy_from_slice(&self.weights[start..start + ROW_WINDOW]);
            window
        }));
        // Lanes past `k` hold the next rows' weights and are dropped.
        let mut acc = [0f32; ROW_WINDOW];
        for (row, &v) in rows.iter().zip(&x.values) {
            for (a, &q) in acc.iter_mut().zip(row) {
                *a += f32::from(q) * v;
            }
        }
        acc[..k].to_vec()
    }

    /// The model as bytes: header, feature config, topic ids, biases and scales, then the
    /// non-zero weight rows (bucket delta as a varint, one byte per topic).
    pub fn to_bytes(&self) -> Vec<u8> {
        let k = self.topics.len();
        let mut out = Vec::new();
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&VERSION.to_le_bytes());
        out.extend_from_slice(&self.features.to_bytes());
        out.extend_from_slice(&(k as u16).to_le_bytes());
        for t in &self.topics {
            out.push(t.len().min(255) as u8);
            out.extend_from_slice(&t.as_bytes()[..t.len().min(255)]);
        }
        for v in self.bias.iter().chain(&self.scale) {
            out.extend_from_slice(&v.to_le_bytes());
        }
        let rows: Vec<usize> = (0..self.features.dim())
            .filter(|&j| self.weights[j * k..(j + 1) * k].iter().any(|&q| q != 0))
            .collect();
        out.extend_from_slice(&(rows.len() as u32).to_le_bytes());
        let mut prev = 0usize;
        for j in rows {
            write_varint(&mut out, (j - prev) as u64);
            prev = j;
            out.extend(self.weights[j * k..(j + 1) * k].iter().map(|&q| q as u8));
        }
        out
    }

    /// Reads [`TopicModel::to_bytes`]; a truncated or corrupt file is an error.
    pub fn from_bytes(bytes: &[u8]) -> ModelResult<TopicModel> {
        let mut r = Reader(bytes);
        if r.take(6)? != MAGIC || r.take(2)? != VERSION.to_le_bytes() {
            return Err(ModelError::BadModelHeader);
        }
        let fb = r.take(5)?;
        let features = FeatureConfig::from_bytes([fb[0], fb[1], fb[2], fb[3], fb[4]])
            .ok_or(ModelError::CorruptModel("feature config out of range"))?;
        let k = usize::from(r.u16()?);
        let mut topics = Vec::with_capacity(k);
        for _ in 0..k {
            let n = usize::from(r.take(1)?[0]);
            let id = std::str::from_utf8(r.take(n)?)
                .map_err(|_| ModelError::CorruptModel("topic id is not UTF-8"))?;
            topics.push(id.to_string());
        }
        let mut floats = Vec::with_capacity(2 * k);
        for _ in 0..2 * k {
            floats.push(f32::from_le_bytes(r.array()?));
        }
        let scale = floats.split_off(k);
        let dim = features.dim();
        let mut weights = vec![0i8; dim * k + ROW_WINDOW];
        let rows = r.u32()? as usize;
        let mut j = 0usize;
        for n in 0..rows {
            let delta = r.varint()?;
            j = j
                .checked_add(delta)
                .filter(|&j| j < dim && (n == 0 || delta > 0))
                .ok_or(ModelError::CorruptModel("weight row out of range"))?;
            for (w, &b) in weights[j * k..(j + 1) * k].iter_mut().zip(r.take(k)?) {
                *w = b as i8;
            }
        }
        if !r.0.is_empty() {
            return Err(ModelError::CorruptModel("trailing bytes"));
        }
        Ok(TopicModel {
            features,
            topics,
            bias: floats,
            scale,
            weights,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ex(text: &str, topics: &[&str]) -> TopicExample {
        TopicExample {
            text: text.to_string(),
            topics: topics.iter().map(|t| t.to_string()).collect(),
        }
    }

    fn ids() -> Vec<String> {
        ["theft", "drugs"].map(String::from).to_vec()
    }

    fn tiny() -> Vec<TopicExample> {
        vec![
            ex("سرقة محل تجاري في الزرقاء والقبض على اللص", &["theft"]),
            ex("لصوص يسرقون سيارة من أمام منزل في إربد", &["theft"]),
            ex("والله الحرامية سرقوا البواري من الحارة", &["theft"]),
            ex("Thieves stole a car in Amman overnight", &["theft"]),
            ex("ضبط كمية من المواد المخدرة وحبوب الكبتاغون", &["drugs"]),
            ex("القبض على مروج مخدرات بحوزته حشيش", &["drugs"]),
            ex("Police seized drugs and arrested a dealer", &["drugs"]),
            ex("مروج مخدرات سرق هاتفا", &["drugs", "theft"]),
            ex("ارتفاع أسعار الخضار في السوق المركزي", &[]),
            ex("فوز الفيصلي على الوحدات في الدوري", &[]),
            ex("The central bank kept interest rates unchanged", &[]),
            ex("طقس معتدل ودافئ نهاية الأسبوع", &[]),
        ]
    }

    fn model(seed: u64) -> TopicModel {
        let params = TopicTrainParams {
            seed,
            ..TopicTrainParams::default()
        };
        TopicModel::train(&tiny(), &ids(), default_features(), params)
    }

    #[test]
    fn learns_the_tiny_set() {
        let m = model(1);
        let p = m.probabilities("", "سرقة سيارة في الزرقاء");
        assert!(p[0] > 0.5 && p[1] < 0.5, "{p:?}");
        let p = m.probabilities("ضبط مخدرات", "");
        assert!(p[1] > 0.5 && p[0] < 0.5, "{p:?}");
        let p = m.probabilities("", "ارتفاع أسعار الخضار");
        assert!(p.iter().all(|&v| v < 0.5), "{p:?}");
        assert_eq!(m.probabilities("", ""), vec![0.0, 0.0]);
        let emoji = m.probabilities("", "😀 !!");
        assert!(emoji.iter().all(|&v| v < 0.5), "{emoji:?}");
    }

    #[test]
    fn training_is_deterministic_and_seed_dependent() {
        assert_eq!(model(3).to_bytes(), model(3).to_bytes());
        assert_ne!(model(3).to_bytes(), model(4).to_bytes());
    }

    #[test]
    fn bytes_round_trip_and_corruption_is_an_error() {
        let m = model(1);
        let bytes = m.to_bytes();
        let back = TopicModel::from_bytes(&bytes).unwrap();
        assert_eq!(back, m);
        assert_eq!(back.topics(), ids());
        for cut in [0, 5, 20, bytes.len() - 1] {
            assert!(
                TopicModel::from_bytes(&bytes[..cut]).is_err(),
                "cut at {cut}"
            );
        }
        let mut extra = bytes.clone();
        extra.push(0);
        assert!(TopicModel::from_bytes(&extra).is_err());
        let mut bad = bytes;
        bad[0] = b'X';
        assert!(matches!(
            TopicModel::from_bytes(&bad),
            Err(ModelError::BadModelHeader)
        ));
    }

    #[test]
    fn long_text_reads_only_the_lead() {
        let m = model(1);
        let body = format!("{}{}", "كلام عادي ".repeat(200), "سرقة ".repeat(200_000));
        let start = std::time::Instant::now();
        let p = m.probabilities("", &body);
        assert!(start.elapsed().as_secs() < 5);
        assert!(p[0] < 0.5, "the theft words are past the lead: {p:?}");
        assert_eq!(model_text("عنوان", "نص").as_str(), "عنوان\nنص");
        assert_eq!(
            model_text("", &"ب".repeat(5000)).chars().count(),
            BODY_CHARS
        );
    }

    fn seed_file(name: &str) -> Vec<TopicExample> {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../data")
            .join(name);
        let Ok(text) = std::fs::read_to_string(&path) else {
            return Vec::new();
        };
        crate::records::read_records(text.as_bytes())
            .filter_map(Result::ok)
            .map(|r| TopicExample {
                text: r.full_text(),
                topics: r.topics.clone().unwrap_or_default(),
            })
            .collect()
    }

    /// Tuning on the held-out seed files:
    /// `RASD_TOPIC_GRID="epochs,lr,l2,pos_power;…" cargo test -p rasd-enrich --release --lib
    /// -- --ignored --nocapture topic_model_tuning`
    #[test]
    #[ignore = "tuning: run in release"]
    fn topic_model_tuning() {
        let mut train = seed_file("seed/topics.jsonl");
        let test = seed_file("eval/topics-heldout.jsonl");
        if std::env::var_os("RASD_TOPIC_RULES").is_some() {
            let toml = include_str!(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../config/topics.toml"
            ));
            let config = rasd_core::Config::from_texts(
                std::path::Path::new("config"),
                ["", "", toml, "", ""],
            )
            .unwrap();
            train.extend(examples_from_rules(&config.topics));
        }
        let mut topics: Vec<String> = train.iter().flat_map(|e| e.topics.clone()).collect();
        topics.sort();
        topics.dedup();
        let grid = std::env::var("RASD_TOPIC_GRID").unwrap_or_else(|_| "30,0.5,1e-5,0.5".into());
        for setting in grid.split(';') {
            let v: Vec<f64> = setting.split(',').filter_map(|x| x.parse().ok()).collect();
            let params = TopicTrainParams {
                epochs: v[0] as usize,
                lr: v[1],
                l2: v[2],
                pos_power: v[3],
                seed: 42,
            };
            let mut features = default_features();
            if v.len() >= 8 {
                features.char_min = v[4] as u8;
                features.char_max = v[5] as u8;
                features.word_max = v[6] as u8;
                features.bits = v[7] as u8;
            }
            let m = TopicModel::train(&train, &topics, features, params);
            let probs: Vec<Vec<f32>> = test.iter().map(|e| m.probabilities("", &e.text)).collect();
            for th in [0.3f32, 0.5, 0.7, 0.8, 0.9] {
                let mut tally = crate::metrics::MultiLabel::new(&topics);
                for (e, p) in test.iter().zip(&probs) {
                    let pred: Vec<String> = topics
                        .iter()
                        .zip(p)
                        .filter(|(_, p)| **p >= th)
                        .map(|(t, _)| t.clone())
                        .collect();
                    tally.add(&e.topics, &pred);
                }
                println!(
                    "{setting} th={th}: micro_f1={:.4} macro_f1={:.4} exact={:.4}",
                    tally.micro_f1(),
                    tally.macro_f1(),
                    tally.accuracy()
                );
            }
        }
    }

    #[test]
    fn model_text_is_collapsed_in_one_pass() {
        for (title, body) in [
            ("", ""),
            ("عنوان", ""),
            ("", "نص"),
            ("حلوووو", "ووو كتييير"),
            ("soooo\n\n", "\n\noooo good!!!"),
            ("x", &"ب".repeat(5000)),
            ("ـــ", &format!("{}سرقةةة", "ا".repeat(298))),
        ] {
            assert_eq!(
                normalized_model_text(title, body),
                crate::features::collapse_runs(&model_text(title, body)),
                "{title:?} {body:?}"
            );
        }
    }

    #[test]
    fn gathered_scores_match_the_row_by_row_sum() {
        let m = model(2);
        let mut fz = Featurizer::new(m.features);
        let x = fz.features_of_normalized(&normalize_for_matching("سرقة سيارة ومخدرات في الزرقاء"));
        assert!(!x.is_empty());
        let k = m.topics.len();
        let mut direct = vec![0f32; k];
        for (j, v) in x.iter() {
            for (t, zt) in direct.iter_mut().enumerate() {
                *zt += f32::from(m.weights[j as usize * k + t]) * v;
            }
        }
        assert_eq!(m.scores(&x, &mut Vec::new()), direct);
        assert_eq!(m.weights.len(), m.features.dim() * k + ROW_WINDOW);
    }
}
