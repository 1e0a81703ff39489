//! Sentiment (positive, negative, neutral) of Arabic and English text, with a score.
//!
//! [`train_default`] builds the shipped [`SentimentModel`] from [`TrainingData`] (AJGT
//! training fold, ArSarcasm training split, the project's `data/seed/sentiment.jsonl`);
//! [`train`] and [`train_with`] train on any rows, each tagged with its [`Source`] (sarcastic
//! ArSarcasm rows apart, as their words often say the opposite of their label). Features
//! ([`SentFeaturizer`], module `prep`): tweet clean-up (links and mentions as markers,
//! hashtags as words, emoji and emoticon classes), character 2–5-grams within words and a
//! word block (unigrams, light stems, bigrams, negated words, a hand-written polarity
//! lexicon, module `lexicon`). Two linear models (module [`crate::linear`], NB-SVM mixed
//! with a plain SVM): a three-class one and a positive-against-negative one; optionally a
//! second such pair over other features, averaged in ([`SentimentSettings::second`]).
//! [`SentimentModel::predict`] gives a [`Sentiment`] (neutral if the three-class model says
//! so, else the side of the polar margin plus the three-class one; a score in -1..1);
//! [`SentimentModel::predict_polar`] never answers neutral, for gold data without a neutral
//! class (AJGT). Training is deterministic for a seed; the model file
//! ([`SentimentModel::to_bytes`]) stores 8-bit weights. [`load_jsonl`] reads the line
//! format `{"text", "label", "id"?, "split"?, "sarcasm"?}`.

#[cfg(test)]
mod equivalence;
mod fast;
mod lexicon;
mod prep;

use std::io::BufRead;
use std::path::Path;

use tracing::warn;

use crate::features::SparseVec;
use crate::linear::{LinearModel, ModelError, ModelResult, TrainParams};
pub use prep::{MAX_CHARS, SentFeatureConfig, SentFeaturizer};

const MAGIC: &[u8; 6] = b"RSDSNT";
const VERSION: u16 = 3;

/// A sentiment class (the one `rasd_core::Tags` stores).
pub use rasd_core::Polarity;

/// The sentiment of a text.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sentiment {
    /// The most likely class.
    pub label: Polarity,
    /// From -1 (negative) to 1 (positive).
    pub score: f32,
}

/// One labelled line of a sentiment data file.
#[derive(Debug, Clone, PartialEq)]
pub struct Example {
    /// The text.
    pub text: String,
    /// The gold label.
    pub label: Polarity,
    /// The row id, when the file has a numeric one (AJGT).
    pub id: Option<u64>,
    /// `train` or `test`, when the file has it (ArSarcasm).
    pub split: Option<String>,
    /// Marked sarcastic (ArSarcasm's `sarcasm` field; false when absent).
    pub sarcasm: bool,
}

#[derive(serde::Deserialize)]
struct Line {
    text: String,
    label: String,
    #[serde(default)]
    id: Option<serde_json::Value>,
    #[serde(default)]
    split: Option<String>,
    #[serde(default)]
    sarcasm: Option<bool>,
}

/// Reads a JSON-lines file of `{"text", "label", "id"?, "split"?}`. A line that is not
/// valid JSON, or has an unknown label, is logged and skipped.
pub fn load_jsonl(path: &Path) -> ModelResult<Vec<Example>> {
    let io_err = |source| ModelError::ModelIo {
        path: path.display().to_string(),
        source,
    };
    let file = std::fs::File::open(path).map_err(io_err)?;
    let mut out = Vec::new();
    for (n, line) in std::io::BufReader::new(file).split(b'\n').enumerate() {
        let line = line.map_err(io_err)?;
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let parsed: Line = match serde_json::from_slice(&line) {
            Ok(l) => l,
            Err(e) => {
                warn!(file = %path.display(), line = n + 1, error = %e, "Sentiment line skipped.");
                continue;
            }
        };
        let Some(label) = Polarity::parse(&parsed.label) else {
            warn!(file = %path.display(), line = n + 1, label = %parsed.label, reason = "unknown_label", "Sentiment line skipped.");
            continue;
        };
        out.push(Example {
            text: parsed.text,
            label,
            id: parsed.id.as_ref().and_then(serde_json::Value::as_u64),
            split: parsed.split,
            sarcasm: parsed.sarcasm.unwrap_or(false),
        });
    }
    Ok(out)
}

/// Where a training row comes from; each source has its own weight in training.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// AJGT (Jordanian / MSA, polar only).
    Ajgt,
    /// ArSarcasm (several dialects, three classes).
    ArSarcasm,
    /// The project's own examples (`data/seed/sentiment.jsonl`).
    Seed,
    /// ArSarcasm rows marked sarcastic (their label is the intended sentiment, often the
    /// opposite of the words).
    Sarcastic,
    /// English public posts (GoEmotions' Reddit comments).
    Posts,
    /// English news sentences (NewsMTSC).
    NewsSentences,
    /// The project's hand labels of real news (`data/eval/audit/`, training fold only).
    Audit,
}

/// The number of [`Source`]s: the length of the weight arrays of [`SentimentSettings`].
pub const SOURCES: usize = 7;

impl Source {
    /// The source of an ArSarcasm row.
    fn arsarcasm(e: &Example) -> Source {
        if e.sarcasm {
            Source::Sarcastic
        } else {
            Source::ArSarcasm
        }
    }

    fn index(self) -> usize {
        match self {
            Source::Ajgt => 0,
            Source::ArSarcasm => 1,
            Source::Seed => 2,
            Source::Sarcastic => 3,
            Source::Posts => 4,
            Source::NewsSentences => 5,
            Source::Audit => 6,
        }
    }
}

/// The labelled files the default model is trained from. Only training rows are used:
/// AJGT rows with `id % 5 != 0`, ArSarcasm rows with `split == "train"`, all seed rows.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TrainingData {
    /// AJGT rows (all of them; the test fold is filtered out when training).
    pub ajgt: Vec<Example>,
    /// ArSarcasm rows (all of them; the test split is filtered out when training).
    pub arsarcasm: Vec<Example>,
    /// The project's own rows.
    pub seed: Vec<Example>,
    /// Further training rows with their source (the audit set's training fold).
    pub extra: Vec<(String, Polarity, Source)>,
}

impl TrainingData {
    /// True for an AJGT row of the fixed test fold.
    pub fn is_ajgt_test(e: &Example) -> bool {
        e.id.is_none_or(|id| id % 5 == 0)
    }

    /// True for an ArSarcasm training row.
    pub fn is_arsarcasm_train(e: &Example) -> bool {
        e.split.as_deref() == Some("train")
    }

    /// The training rows with their source.
    pub fn train_rows(&self) -> Vec<(String, Polarity, Source)> {
        let aj = self.ajgt.iter().filter(|e| !Self::is_ajgt_test(e));
        let sa = self
            .arsarcasm
            .iter()
            .filter(|e| Self::is_arsarcasm_train(e));
        aj.map(|e| (e, Source::Ajgt))
            .chain(sa.map(|e| (e, Source::arsarcasm(e))))
            .chain(self.seed.iter().map(|e| (e, Source::Seed)))
            .map(|(e, s)| (e.text.clone(), e.label, s))
            .chain(self.extra.iter().cloned())
            .collect()
    }
}

/// Everything [`train_with`] can be told: features, the two linear models' settings, the
/// weight of each source, and the decision rule's offsets.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SentimentSettings {
    /// Feature extraction.
    pub features: SentFeatureConfig,
    /// The three-class model (one against the rest, every row).
    pub tri: TrainParams,
    /// The positive-against-negative model (polar rows only).
    pub polar: TrainParams,
    /// Weight of each [`Source`]'s rows in the three-class model, in the order of the
    /// enum ([`Source::Ajgt`] first).
    pub tri_weights: [f32; SOURCES],
    /// The same for the polar model.
    pub polar_weights: [f32; SOURCES],
    /// Added to the three-class scores (positive, negative, neutral) before the argmax.
    pub offsets: [f32; 3],
    /// Weight of the three-class model's positive-minus-negative margin in the polar
    /// decision (the polar model's margin has weight 1).
    pub blend: f32,
    /// The same weight in [`SentimentModel::predict`]'s positive-or-negative choice (the
    /// polar model is tuned for [`SentimentModel::predict_polar`]; the three-class model
    /// knows more dialects).
    pub tri_blend: f32,
    /// Features of a second pair of models whose scores are averaged with the first's
    /// (an ensemble over two feature views); `None` for one pair.
    pub second: Option<SentFeatureConfig>,
    /// Fit the second pair by multinomial logistic regression instead of NB-SVM.
    pub second_softmax: bool,
    /// Fit the first pair's three-class model by multinomial logistic regression.
    pub tri_softmax: bool,
    /// Weight of the second pair's scores (the first pair's have weight 1).
    pub second_weight: f32,
    /// Quantize the weights as the model file stores them (8-bit codes).
    pub quantize: bool,
}

impl Default for SentimentSettings {
    fn default() -> Self {
        SentimentSettings {
            features: SentFeatureConfig::default(),
            tri: TrainParams::default(),
            polar: TrainParams::default(),
            tri_weights: [1.0; SOURCES],
            polar_weights: [1.0; SOURCES],
            offsets: [0.0; 3],
            blend: 0.0,
            tri_blend: 0.0,
            second: None,
            second_weight: 1.0,
            second_softmax: false,
            tri_softmax: false,
            quantize: true,
        }
    }
}

/// A trained sentiment classifier: one or two pairs of a three-class linear model and a
/// positive-against-negative one, each pair over its own features (see the module docs
/// for the decision rule).
#[derive(Debug, Clone, PartialEq)]
pub struct SentimentModel {
    members: Vec<Member>,
    offsets: [f32; 3],
    blend: f32,
    tri_blend: f32,
    second_weight: f32,
    /// Each member's models laid out for prediction, built at the first prediction.
    fast: FastCache,
}

/// Each member's [`fast::Scorer`] (`None`: score the plain way), built once; derived from
/// the members, so it takes no part in equality.
#[derive(Clone, Default)]
struct FastCache(std::sync::OnceLock<Vec<Option<fast::Scorer>>>);

impl PartialEq for FastCache {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl std::fmt::Debug for FastCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.get().is_some() {
            "FastCache(built)"
        } else {
            "FastCache(empty)"
        })
    }
}

/// One pair of linear models over one feature view.
#[derive(Debug, Clone, PartialEq)]
struct Member {
    features: SentFeatureConfig,
    tri: LinearModel,
    polar: LinearModel,
}

/// Trains a model on a few examples with the default settings; the same examples and seed
/// give the same model.
pub fn train(examples: &[(String, Polarity)], seed: u64) -> SentimentModel {
    let rows: Vec<_> = examples
        .iter()
        .map(|(t, p)| (t.clone(), *p, Source::Seed))
        .collect();
    train_with(&rows, SentimentSettings::default(), seed)
}

/// Trains THE shipped model: [`TrainingData::train_rows`] with [`default_settings`].
/// Deterministic: the same data and seed give the same [`SentimentModel::to_bytes`].
pub fn train_default(data: &TrainingData, seed: u64) -> SentimentModel {
    train_with(&data.train_rows(), default_settings(), seed)
}

/// The settings of the shipped model, chosen on four dev folds carved from the training
/// rows (see the evaluation test): 2^19 buckets, the word block (with light stems) at half
/// the character block's weight, NB-SVMs with a quarter of a plain SVM mixed in; the polar
/// model with AJGT rows weighing 3 and sarcastic ArSarcasm rows left out (their words say
/// the opposite of their label); `predict` adds the three-class model's margin to the polar
/// one.
pub fn default_settings() -> SentimentSettings {
    let params = TrainParams {
        nb_alpha: 0.5,
        mix: 0.25,
        ..TrainParams::default()
    };
    SentimentSettings {
        features: SentFeatureConfig {
            bits: 19,
            word_weight: 0.5,
            stems: true,
            ..SentFeatureConfig::default()
        },
        tri: TrainParams { c: 0.25, ..params },
        polar: TrainParams {
            c: 1.0,
            nb_alpha: 0.1,
            ..params
        },
        polar_weights: [3.0, 1.0, 1.0, 0.0, 1.0, 1.0, 1.0],
        tri_blend: 1.0,
        ..SentimentSettings::default()
    }
}

/// The settings of the English model (`rasd train sentiment` writes it beside the Arabic
/// one): the Arabic model's features and linear models, every source at weight 1 in both
/// models (the English rows are GoEmotions' posts, NewsMTSC's news sentences, the audit
/// set's English news and the seed's English lines).
pub fn english_settings() -> SentimentSettings {
    let base = default_settings();
    SentimentSettings {
        tri_weights: [1.0; SOURCES],
        polar_weights: [1.0; SOURCES],
        ..base
    }
}

/// Trains with explicit settings.
pub fn train_with(
    rows: &[(String, Polarity, Source)],
    settings: SentimentSettings,
    seed: u64,
) -> SentimentModel {
    let mut members = vec![train_member(
        rows,
        settings.features,
        &settings,
        settings.tri_softmax,
        false,
        seed,
    )];
    if let Some(second) = settings.second {
        let sm = settings.second_softmax;
        members.push(train_member(rows, second, &settings, sm, sm, seed ^ 0x2222));
    }
    SentimentModel::assemble(
        members,
        settings.offsets,
        [settings.blend, settings.tri_blend, settings.second_weight],
    )
}

fn train_member(
    rows: &[(String, Polarity, Source)],
    features: SentFeatureConfig,
    settings: &SentimentSettings,
    tri_softmax: bool,
    polar_softmax: bool,
    seed: u64,
) -> Member {
    let fit = |softmax: bool| {
        if softmax {
            LinearModel::train_softmax
        } else {
            LinearModel::train_weighted
        }
    };
    let mut fz = SentFeaturizer::new(features);
    let xs: Vec<SparseVec> = rows.iter().map(|(t, _, _)| fz.features(t)).collect();
    let ys: Vec<usize> = rows.iter().map(|(_, p, _)| p.index()).collect();
    let src = Source::index;
    let bits = features.bits;
    let tri_w: Vec<f32> = rows
        .iter()
        .map(|r| settings.tri_weights[src(r.2)])
        .collect();
    let tri = fit(tri_softmax)(
        &xs,
        &ys,
        &tri_w,
        3,
        bits,
        TrainParams {
            seed,
            ..settings.tri
        },
    );
    // Neutral rows get weight 0: dropped from the polar model.
    let polar_w: Vec<f32> = rows
        .iter()
        .map(|r| {
            if r.1 == Polarity::Neutral {
                0.0
            } else {
                settings.polar_weights[src(r.2)]
            }
        })
        .collect();
    let polar = fit(polar_softmax)(
        &xs,
        &ys,
        &polar_w,
        2,
        bits,
        TrainParams {
            seed: seed ^ 0x5eed,
            ..settings.polar
        },
    );
    let (tri, polar) = if settings.quantize {
        (tri.quantized(), polar.quantized())
    } else {
        (tri, polar)
    };
    Member {
        features,
        tri,
        polar,
    }
}

thread_local! {
    /// Per thread, a featurizer per feature view and model: each keeps the word cache of one
    /// model (keyed by its scorer's id; 0 for a model scored the plain way), so items that
    /// alternate between the Arabic and the English model do not empty each other's cache.
    static FEATURIZERS: std::cell::RefCell<Vec<(u64, SentFeaturizer)>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// The raw decision values of one text.
#[derive(Debug, Clone, Copy)]
struct Margins {
    /// Three-class scores plus offsets (positive, negative, neutral).
    tri: [f32; 3],
    /// Positive-against-negative margin (> 0: positive) for `predict_polar`.
    polar: f32,
    /// The same for `predict` (with `tri_blend`).
    three: f32,
}

impl SentimentModel {
    /// A model from its parts; `[blend, tri_blend, second_weight]`.
    fn assemble(members: Vec<Member>, offsets: [f32; 3], blends: [f32; 3]) -> SentimentModel {
        SentimentModel {
            members,
            offsets,
            blend: blends[0],
            tri_blend: blends[1],
            second_weight: blends[2],
            fast: FastCache::default(),
        }
    }

    /// The scorer of member `i`, if it has one.
    fn scorer(&self, i: usize) -> Option<&fast::Scorer> {
        let all = self.fast.0.get_or_init(|| {
            self.members
                .iter()
                .map(|m| {
                    // Word by word needs character n-grams within words, with damped
                    // counts.
                    let f = m.features;
                    let by_word = !f.across_words && !f.linear_chars && f.char_max >= f.char_min;
                    fast::Scorer::new(&m.tri, &m.polar)
                        .filter(|_| m.tri.bits() == f.bits && by_word)
                })
                .collect()
        });
        all.get(i).and_then(Option::as_ref)
    }

    /// The three-class and polar scores of member `i` on `text`, `None` when the text has
    /// no features.
    fn member_scores(&self, i: usize, text: &str) -> Option<([f32; 3], [f32; 2])> {
        let m = &self.members[i];
        let scorer = self.scorer(i);
        let key = scorer.map_or(0, fast::Scorer::id);
        FEATURIZERS.with(|fs| {
            let mut fs = fs.borrow_mut();
            let at = match fs
                .iter()
                .position(|(k, f)| *k == key && f.config() == m.features)
            {
                Some(at) => at,
                None => {
                    if fs.len() >= 8 {
                        fs.clear();
                    }
                    fs.push((key, SentFeaturizer::new(m.features)));
                    fs.len() - 1
                }
            };
            let fz = &mut fs[at].1;
            if let Some(scorer) = scorer {
                return scorer.scores_by_word(fz, text, m.features.word_weight);
            }
            let x = fz.features(text);
            if x.is_empty() {
                return None;
            }
            let (t, p) = (m.tri.scores(&x), m.polar.scores(&x));
            Some(([t[0], t[1], t[2]], [p[0], p[1]]))
        })
    }

    fn margins(&self, text: &str) -> Option<Margins> {
        let mut t = [0.0f32; 3];
        let mut p = [0.0f32; 2];
        let mut any = false;
        for i in 0..self.members.len() {
            let Some((ts, ps)) = self.member_scores(i, text) else {
                continue;
            };
            any = true;
            let w = if i == 0 { 1.0 } else { self.second_weight };
            for (acc, v) in t.iter_mut().zip(ts) {
                *acc += w * v;
            }
            for (acc, v) in p.iter_mut().zip(ps) {
                *acc += w * v;
            }
        }
        if !any {
            return None;
        }
        let total = 1.0
            + if self.members.len() > 1 {
                self.second_weight
            } else {
                0.0
            };
        let mut tri = [0.0f32; 3];
        for (k, v) in tri.iter_mut().enumerate() {
            *v = t[k] / total + self.offsets[k];
        }
        let raw = (p[0] - p[1]) / 2.0 / total;
        Some(Margins {
            tri,
            polar: raw + self.blend * (tri[0] - tri[1]),
            three: raw + self.tri_blend * (tri[0] - tri[1]),
        })
    }

    /// The sentiment of `text` among three classes: neutral when the three-class model's
    /// best score (with offsets) is neutral's, else positive or negative by the polar
    /// model's margin plus `tri_blend` times the three-class model's. The score is
    /// `tanh(that margin) * (1 - p_neutral)`, `p_neutral` from a softmax of the three-class
    /// scores. A text with no words or symbols is neutral with score 0. Only the first
    /// [`MAX_CHARS`] characters are read.
    pub fn predict(&self, text: &str) -> Sentiment {
        let Some(m) = self.margins(text) else {
            return Sentiment {
                label: Polarity::Neutral,
                score: 0.0,
            };
        };
        let max = m.tri.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        let exps = m.tri.map(|s| ((s - max) * 4.0).exp());
        let p_neutral = exps[2] / exps.iter().sum::<f32>();
        let label = if m.tri[2] >= m.tri[0] && m.tri[2] >= m.tri[1] {
            Polarity::Neutral
        } else if m.three > 0.0 {
            Polarity::Positive
        } else {
            Polarity::Negative
        };
        Sentiment {
            label,
            score: (m.three.tanh() * (1.0 - p_neutral)).clamp(-1.0, 1.0),
        }
    }

    /// The sentiment of `text` when it is known to be positive or negative (for gold data
    /// without a neutral class, such as AJGT): the sign of the polar margin, never neutral
    /// (an empty text is negative with score 0): the polar model's margin plus `blend` times
    /// the three-class model's. The score is `tanh(margin)`.
    pub fn predict_polar(&self, text: &str) -> Sentiment {
        let polar = self.margins(text).map_or(0.0, |m| m.polar);
        Sentiment {
            label: if polar > 0.0 {
                Polarity::Positive
            } else {
                Polarity::Negative
            },
            score: polar.tanh(),
        }
    }

    /// The model as bytes: magic `RSDSNT`, version, the number of feature views, offsets,
    /// the two blends and the second view's weight, then for each view its feature config
    /// and its two linear models in their compact 8-bit form.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&VERSION.to_le_bytes());
        out.push(self.members.len() as u8);
        for v in self
            .offsets
            .iter()
            .chain([&self.blend, &self.tri_blend, &self.second_weight])
        {
            out.extend_from_slice(&v.to_le_bytes());
        }
        for m in &self.members {
            out.extend_from_slice(&m.features.to_bytes());
            out.extend_from_slice(&m.tri.to_bytes_compact());
            out.extend_from_slice(&m.polar.to_bytes_compact());
        }
        out
    }

    /// Reads [`SentimentModel::to_bytes`]; an unknown header or a truncated or impossible
    /// model is an error.
    pub fn from_bytes(bytes: &[u8]) -> ModelResult<SentimentModel> {
        const HEAD: usize = 8 + 1 + 24;
        if bytes.len() < 8 || &bytes[..6] != MAGIC || bytes[6..8] != VERSION.to_le_bytes() {
            return Err(ModelError::BadModelHeader);
        }
        if bytes.len() < HEAD {
            return Err(ModelError::CorruptModel("truncated"));
        }
        let n = usize::from(bytes[8]);
        if !(1..=2).contains(&n) {
            return Err(ModelError::CorruptModel("view count out of range"));
        }
        let mut f = [0.0f32; 6];
        for (i, v) in f.iter_mut().enumerate() {
            let o = 9 + 4 * i;
            *v = f32::from_le_bytes([bytes[o], bytes[o + 1], bytes[o + 2], bytes[o + 3]]);
            if !v.is_finite() {
                return Err(ModelError::CorruptModel("non-finite offset"));
            }
        }
        let mut rest = &bytes[HEAD..];
        let mut members = Vec::with_capacity(n);
        for _ in 0..n {
            if rest.len() < 9 {
                return Err(ModelError::CorruptModel("truncated"));
            }
            let mut fc = [0u8; 9];
            fc.copy_from_slice(&rest[..9]);
            let features = SentFeatureConfig::from_bytes(fc)
                .ok_or(ModelError::CorruptModel("feature config out of range"))?;
            let (tri, r) = LinearModel::from_bytes(&rest[9..])?;
            let (polar, r) = LinearModel::from_bytes(r)?;
            rest = r;
            if tri.n_classes() != 3 || polar.n_classes() != 2 {
                return Err(ModelError::CorruptModel("class count mismatch"));
            }
            if tri.bits() != features.bits || polar.bits() != features.bits {
                return Err(ModelError::CorruptModel("bucket count mismatch"));
            }
            members.push(Member {
                features,
                tri,
                polar,
            });
        }
        if !rest.is_empty() {
            return Err(ModelError::CorruptModel("trailing bytes"));
        }
        Ok(SentimentModel::assemble(
            members,
            [f[0], f[1], f[2]],
            [f[3], f[4], f[5]],
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tiny() -> Vec<(String, Polarity)> {
        use Polarity::*;
        [
            ("خدمة ممتازة وشكرا للشرطة على سرعة الاستجابة", Positive),
            ("والله انكم رائعين الله يعطيكم العافية", Positive),
            ("كل الاحترام والتقدير لرجال الامن العام", Positive),
            ("شي بجنن وحلو كتير", Positive),
            ("Great job, thank you for the quick help", Positive),
            ("excellent and respectful officers", Positive),
            ("خدمة سيئة جدا وتأخير غير مقبول", Negative),
            ("والله زفت وقرف ما في احترام", Negative),
            ("فساد وظلم واهمال", Negative),
            ("شي بقهر وسيء كتير", Negative),
            ("Terrible service, rude and slow", Negative),
            ("awful experience, very bad", Negative),
            ("أعلنت المديرية موعد الامتحان يوم الأحد", Neutral),
            ("The meeting is scheduled for Sunday at noon", Neutral),
        ]
        .into_iter()
        .map(|(t, p)| (t.to_string(), p))
        .collect()
    }

    #[test]
    fn tiny_set_separates_obvious_cases() {
        let m = train(&tiny(), 7);
        assert_eq!(m.predict("خدمة ممتازة ورائعة").label, Polarity::Positive);
        assert_eq!(m.predict("خدمة سيئة وزفت").label, Polarity::Negative);
        assert_eq!(m.predict("terrible and rude").label, Polarity::Negative);
        assert_eq!(m.predict("excellent, thank you").label, Polarity::Positive);
        assert!(m.predict("رائع ممتاز").score > 0.0);
        assert!(m.predict("سيء زفت").score < 0.0);
    }

    #[test]
    fn training_is_deterministic_for_a_seed() {
        let a = train(&tiny(), 3);
        assert_eq!(a.to_bytes(), train(&tiny(), 3).to_bytes());
    }

    #[test]
    fn bytes_round_trip() {
        let m = train(&tiny(), 1);
        let bytes = m.to_bytes();
        let back = SentimentModel::from_bytes(&bytes).unwrap();
        assert_eq!(back, m);
        assert_eq!(back.predict("رائع"), m.predict("رائع"));
        assert!(SentimentModel::from_bytes(&bytes[..20]).is_err());
        assert!(SentimentModel::from_bytes(b"").is_err());
    }

    #[test]
    fn default_training_is_deterministic_and_polar_never_neutral() {
        let ex = |t: &str, l, id| Example {
            text: t.to_string(),
            label: l,
            id,
            split: Some("train".to_string()),
            sarcasm: false,
        };
        use Polarity::*;
        let data = TrainingData {
            ajgt: vec![
                ex("كله رائع والله", Positive, Some(1)),
                ex("زفت وقرف", Negative, Some(2)),
                ex("جملة من الاختبار", Positive, Some(5)),
            ],
            arsarcasm: vec![
                ex("الخدمة ممتازة 😍", Positive, None),
                ex("سيء جدا 😡", Negative, None),
                ex("اجتماع يوم الاحد", Neutral, None),
            ],
            seed: tiny().into_iter().map(|(t, l)| ex(&t, l, None)).collect(),
            extra: Vec::new(),
        };
        // The AJGT test fold (id 5) is never a training row.
        assert_eq!(data.train_rows().len(), 2 + 3 + tiny().len());
        let a = train_default(&data, 9);
        let b = train_default(&data, 9);
        assert_eq!(a.to_bytes(), b.to_bytes());
        assert_ne!(a.predict_polar("اجتماع يوم الاحد").label, Neutral);
        assert_eq!(a.predict_polar("").label, Negative);
        assert_eq!(a.predict("شكرا على الخدمة الممتازة 👍").label, Positive);
        let back = SentimentModel::from_bytes(&a.to_bytes()).unwrap();
        assert_eq!(back, a);
    }

    #[test]
    fn two_view_ensemble_round_trips() {
        let rows: Vec<_> = tiny()
            .into_iter()
            .map(|(t, p)| (t, p, Source::Seed))
            .collect();
        let settings = SentimentSettings {
            second: Some(SentFeatureConfig {
                char_max: 0,
                stems: true,
                ..SentFeatureConfig::default()
            }),
            second_weight: 0.5,
            ..SentimentSettings::default()
        };
        let m = train_with(&rows, settings, 4);
        assert_eq!(m.members.len(), 2);
        let back = SentimentModel::from_bytes(&m.to_bytes()).unwrap();
        assert_eq!(back, m);
        assert_eq!(m.predict("خدمة ممتازة ورائعة").label, Polarity::Positive);
        assert_eq!(m.predict_polar("زفت وقرف").label, Polarity::Negative);
    }

    #[test]
    fn corrupt_bytes_are_errors_never_panics() {
        let bytes = train(&tiny(), 1).to_bytes();
        for cut in (0..bytes.len()).step_by(7) {
            assert!(SentimentModel::from_bytes(&bytes[..cut]).is_err(), "{cut}");
        }
        let mut extra = bytes.clone();
        extra.push(0);
        assert!(SentimentModel::from_bytes(&extra).is_err());
        for i in (0..bytes.len()).step_by(3) {
            let mut flipped = bytes.clone();
            flipped[i] ^= 0xa5;
            let _ = SentimentModel::from_bytes(&flipped);
        }
        let mut old = bytes;
        old[6] = 1;
        assert!(matches!(
            SentimentModel::from_bytes(&old),
            Err(ModelError::BadModelHeader)
        ));
    }

    #[test]
    fn odd_inputs_get_a_defined_answer_fast() {
        let m = train(&tiny(), 1);
        let empty = m.predict("");
        assert_eq!(empty.label, Polarity::Neutral);
        assert_eq!(empty.score, 0.0);
        let emoji = m.predict("😡😡🔥");
        assert!((-1.0..=1.0).contains(&emoji.score));
        let big = "خدمة ممتازة ".repeat(90_000);
        assert!(big.len() > 1_000_000);
        let start = std::time::Instant::now();
        let s = m.predict(&big);
        assert!(start.elapsed().as_secs() < 5);
        assert_eq!(s.label, Polarity::Positive);
        let mixed = m.predict("الشرطة were great 👍 شكرا");
        assert!((-1.0..=1.0).contains(&mixed.score));
        let untrained = train(&[], 1);
        assert_eq!(untrained.predict("رائع").label, Polarity::Neutral);
        // Only the first MAX_CHARS characters count.
        let head = "زفت ".repeat(MAX_CHARS / 4);
        let tail = "ممتاز ".repeat(10_000);
        assert_eq!(
            m.predict(&head).label,
            m.predict(&(head.clone() + &tail)).label
        );
    }

    #[test]
    fn load_jsonl_skips_bad_lines() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.jsonl");
        std::fs::write(
            &path,
            b"{\"text\": \"\xd8\xb1\xd8\xa7\xd8\xa6\xd8\xb9\", \"label\": \"positive\", \"id\": 5}\n\
              not json\n{\"text\": \"x\", \"label\": \"happy\"}\n\xff\xfe\n\
              {\"text\": \"bad\", \"label\": \"negative\", \"split\": \"test\"}\n",
        )
        .unwrap();
        let ex = load_jsonl(&path).unwrap();
        assert_eq!(ex.len(), 2);
        assert_eq!(ex[0].text, "رائع");
        assert_eq!(ex[0].id, Some(5));
        assert_eq!(ex[1].split.as_deref(), Some("test"));
        assert!(load_jsonl(&dir.path().join("missing")).is_err());
    }

    fn shared(file: &str) -> Option<Vec<Example>> {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../../shared/data/sentiment")
            .join(file);
        if !path.exists() {
            eprintln!("skipped: {} is absent", path.display());
            return None;
        }
        load_jsonl(&path).ok()
    }

    /// Accuracy and macro-F1 over the gold classes of `predict` (or `predict_polar`).
    fn evaluate(m: &SentimentModel, test: &[(String, Polarity)], polar: bool) -> (f64, f64) {
        let preds: Vec<Polarity> = test
            .iter()
            .map(|(t, _)| {
                if polar {
                    m.predict_polar(t).label
                } else {
                    m.predict(t).label
                }
            })
            .collect();
        scores(test.iter().map(|p| p.1).zip(preds))
    }

    fn scores(pairs: impl Iterator<Item = (Polarity, Polarity)>) -> (f64, f64) {
        let mut cm = [[0usize; 3]; 3];
        let mut n = 0;
        for (g, p) in pairs {
            cm[g.index()][p.index()] += 1;
            n += 1;
        }
        let correct: usize = (0..3).map(|i| cm[i][i]).sum();
        let mut f1s = Vec::new();
        for (c, row) in cm.iter().enumerate() {
            let gold: usize = row.iter().sum();
            if gold == 0 {
                continue;
            }
            let pred: usize = cm.iter().map(|r| r[c]).sum();
            let (p, r) = (
                row[c] as f64 / pred.max(1) as f64,
                row[c] as f64 / gold as f64,
            );
            f1s.push(if p + r > 0.0 {
                2.0 * p * r / (p + r)
            } else {
                0.0
            });
        }
        (
            correct as f64 / n.max(1) as f64,
            f1s.iter().sum::<f64>() / f1s.len().max(1) as f64,
        )
    }

    /// Applies `key=value` pairs to settings (for `RASD_SENT_GRID`).
    fn apply(s: &mut SentimentSettings, spec: &str) {
        for kv in spec.split(',').filter(|k| !k.trim().is_empty()) {
            let Some((k, v)) = kv.split_once('=') else {
                continue;
            };
            let Ok(x) = v.trim().parse::<f64>() else {
                continue;
            };
            match k.trim() {
                "bits" => s.features.bits = x as u8,
                "cmin" => s.features.char_min = x as u8,
                "cmax" => s.features.char_max = x as u8,
                "ww" => s.features.word_weight = x as f32,
                "bigrams" => s.features.bigrams = x > 0.0,
                "lex" => s.features.lexicon = x > 0.0,
                "across" => s.features.across_words = x > 0.0,
                "stems" => s.features.stems = x > 0.0,
                "shape" => s.features.shape = x > 0.0,
                "lin" => s.features.linear_chars = x > 0.0,
                "tc" => s.tri.c = x,
                "pc" => s.polar.c = x,
                "tnb" => s.tri.nb = x > 0.0,
                "pnb" => s.polar.nb = x > 0.0,
                "talpha" => s.tri.nb_alpha = x,
                "palpha" => s.polar.nb_alpha = x,
                "tmix" => s.tri.mix = x,
                "pmix" => s.polar.mix = x,
                "ep" => {
                    s.tri.epochs = x as usize;
                    s.polar.epochs = x as usize;
                }
                "taj" => s.tri_weights[0] = x as f32,
                "tsa" => s.tri_weights[1] = x as f32,
                "tseed" => s.tri_weights[2] = x as f32,
                "tsarc" => s.tri_weights[3] = x as f32,
                "psarc" => s.polar_weights[3] = x as f32,
                "paj" => s.polar_weights[0] = x as f32,
                "psa" => s.polar_weights[1] = x as f32,
                "pseed" => s.polar_weights[2] = x as f32,
                "opos" => s.offsets[0] = x as f32,
                "oneg" => s.offsets[1] = x as f32,
                "oneu" => s.offsets[2] = x as f32,
                "blend" => s.blend = x as f32,
                "tblend" => s.tri_blend = x as f32,
                "s2w" => s.second_weight = x as f32,
                "s2sm" => s.second_softmax = x > 0.0,
                "tsm" => s.tri_softmax = x > 0.0,
                "s2" => {
                    let base = s.features;
                    s.second = match x as u32 {
                        // Characters only, across words.
                        1 => Some(SentFeatureConfig {
                            word_weight: 0.0,
                            across_words: true,
                            char_min: 1,
                            ..base
                        }),
                        // Words only.
                        2 => Some(SentFeatureConfig {
                            char_max: 0,
                            word_weight: 1.0,
                            ..base
                        }),
                        // Both, characters across words.
                        3 => Some(SentFeatureConfig {
                            across_words: true,
                            ..base
                        }),
                        // Both, longer character n-grams across words, more words.
                        4 => Some(SentFeatureConfig {
                            across_words: true,
                            char_min: 3,
                            char_max: 6,
                            word_weight: 1.0,
                            ..base
                        }),
                        _ => None,
                    }
                }
                "q" => s.quantize = x > 0.0,
                other => panic!("unknown grid key {other}"),
            }
        }
    }

    fn seed_rows() -> Vec<Example> {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/seed/sentiment.jsonl");
        load_jsonl(&path).unwrap_or_default()
    }

    /// Training rows and the two dev sets of dev fold `k` (1..=4): AJGT training rows with
    /// `id % 5 == k` and every fifth ArSarcasm training row from offset `k - 1` are held out.
    /// Test rows are never read.
    #[allow(clippy::type_complexity)]
    fn dev_fold(
        data: &TrainingData,
        k: u64,
    ) -> (
        Vec<(String, Polarity, Source)>,
        Vec<(String, Polarity)>,
        Vec<(String, Polarity)>,
    ) {
        let mut rows = Vec::new();
        let mut aj_dev = Vec::new();
        let mut sa_dev = Vec::new();
        for e in data.ajgt.iter().filter(|e| !TrainingData::is_ajgt_test(e)) {
            if e.id.is_some_and(|id| id % 5 == k) {
                aj_dev.push((e.text.clone(), e.label));
            } else {
                rows.push((e.text.clone(), e.label, Source::Ajgt));
            }
        }
        let sa = data
            .arsarcasm
            .iter()
            .filter(|e| TrainingData::is_arsarcasm_train(e));
        for (i, e) in sa.enumerate() {
            if i as u64 % 5 == k - 1 {
                sa_dev.push((e.text.clone(), e.label));
            } else {
                rows.push((e.text.clone(), e.label, Source::arsarcasm(e)));
            }
        }
        rows.extend(
            data.seed
                .iter()
                .map(|e| (e.text.clone(), e.label, Source::Seed)),
        );
        (rows, aj_dev, sa_dev)
    }

    /// `cargo test -p rasd-enrich --release --lib -- --ignored --nocapture sentiment_eval`.
    /// With `RASD_SENT_DEV=1` it scores on dev folds carved from the training rows
    /// (`RASD_SENT_FOLDS="1,2,3,4"`, default `1`; see `dev_fold`) and averages them; the
    /// test rows are never read. `RASD_SENT_GRID="tc=0.3,oneu=0.1;paj=2"` tries settings on
    /// top of the defaults; `RASD_SENT_ERRORS=1` prints the AJGT rows it gets wrong.
    #[test]
    #[ignore = "evaluation: run in release"]
    fn sentiment_eval() {
        let (Some(ajgt), Some(sarc)) = (shared("ajgt.jsonl"), shared("arsarcasm.jsonl")) else {
            return;
        };
        let data = TrainingData {
            ajgt,
            arsarcasm: sarc,
            seed: seed_rows(),
            extra: Vec::new(),
        };
        let dev_mode = std::env::var_os("RASD_SENT_DEV").is_some();
        let folds: Vec<u64> = if dev_mode {
            std::env::var("RASD_SENT_FOLDS")
                .unwrap_or_else(|_| "1".to_string())
                .split(',')
                .filter_map(|k| k.trim().parse().ok())
                .filter(|k| (1..=4).contains(k))
                .collect()
        } else {
            vec![0]
        };
        let sets: Vec<_> = folds
            .iter()
            .map(|&k| {
                if k == 0 {
                    let aj_test = pairs(data.ajgt.iter().filter(|e| TrainingData::is_ajgt_test(e)));
                    let sa_test = pairs(
                        data.arsarcasm
                            .iter()
                            .filter(|e| e.split.as_deref() == Some("test")),
                    );
                    (data.train_rows(), aj_test, sa_test)
                } else {
                    dev_fold(&data, k)
                }
            })
            .collect();
        println!(
            "{} mode, folds {folds:?}: {} training rows ({} seed), AJGT eval {}, ArSarcasm eval {}",
            if dev_mode { "DEV" } else { "TEST" },
            sets[0].0.len(),
            data.seed.len(),
            sets[0].1.len(),
            sets[0].2.len()
        );
        let grid = std::env::var("RASD_SENT_GRID").unwrap_or_default();
        let specs: Vec<&str> = if grid.is_empty() {
            vec![""]
        } else {
            grid.split(';').collect()
        };
        for spec in specs {
            let mut settings = default_settings();
            apply(&mut settings, spec);
            let (mut aj_sum, mut f1_sum, mut acc_sum) = (0.0, 0.0, 0.0);
            let mut per_fold = String::new();
            for (rows, aj_eval, sa_eval) in &sets {
                let start = std::time::Instant::now();
                let m = train_with(rows, settings, 42);
                let train_s = start.elapsed().as_secs_f64();
                let (aj_acc, _) = evaluate(&m, aj_eval, true);
                if std::env::var_os("RASD_SENT_ERRORS").is_some() {
                    for (t, g) in aj_eval {
                        let p = m.predict_polar(t);
                        if p.label != *g {
                            println!("ERR gold={} score={:.2} {}", g.as_str(), p.score, t);
                        }
                    }
                }
                let (sa_acc, sa_f1) = evaluate(&m, sa_eval, false);
                aj_sum += aj_acc;
                f1_sum += sa_f1;
                acc_sum += sa_acc;
                per_fold.push_str(&format!(" {aj_acc:.3}/{sa_f1:.3}"));
                if std::env::var_os("RASD_SENT_SPEED").is_some() {
                    let start = std::time::Instant::now();
                    let mut sum = 0.0;
                    for _ in 0..3 {
                        sum += sa_eval.iter().map(|(t, _)| m.predict(t).score).sum::<f32>();
                    }
                    let rate = 3.0 * sa_eval.len() as f64 / start.elapsed().as_secs_f64();
                    let news: Vec<String> = sa_eval
                        .chunks(25)
                        .map(|c| {
                            let t: Vec<&str> = c.iter().map(|(t, _)| t.as_str()).collect();
                            t.join(" ").chars().take(MAX_CHARS).collect()
                        })
                        .collect();
                    let mut fz = SentFeaturizer::new(m.members[0].features);
                    let start = std::time::Instant::now();
                    let nnz: usize = news.iter().map(|t| fz.features(t).len()).sum();
                    println!(
                        "  news-length features only: {:.0}/s, {} non-zeros",
                        news.len() as f64 / start.elapsed().as_secs_f64(),
                        nnz / news.len()
                    );
                    let start = std::time::Instant::now();
                    let s2: f32 = news.iter().map(|t| m.predict(t).score).sum();
                    println!(
                        "  news-length ({} chars avg): {:.0} predictions/s ({s2:.1})",
                        news.iter().map(|t| t.chars().count()).sum::<usize>() / news.len(),
                        news.len() as f64 / start.elapsed().as_secs_f64()
                    );
                    println!(
                        "  train {train_s:.1}s, {} bytes, {rate:.0} predictions/s ({sum:.1})",
                        m.to_bytes().len()
                    );
                }
            }
            let n = sets.len() as f64;
            println!(
                "[{spec}] AJGT polar acc={:.4} | ArSarcasm acc={:.4} macro_f1={:.4} |{per_fold}",
                aj_sum / n,
                acc_sum / n,
                f1_sum / n
            );
        }
    }

    /// Trains THE shipped model on the shared data and checks its test figures; skipped when
    /// /work/shared is absent. Floors are the figures reached (the goals, AJGT 0.92
    /// and ArSarcasm 0.70, are not met yet).
    #[test]
    #[ignore = "trains the full model: run in release"]
    fn default_model_on_shared_data() {
        let (Some(ajgt), Some(arsarcasm)) = (shared("ajgt.jsonl"), shared("arsarcasm.jsonl"))
        else {
            return;
        };
        let data = TrainingData {
            ajgt,
            arsarcasm,
            seed: seed_rows(),
            extra: Vec::new(),
        };
        let m = train_default(&data, 42);
        let aj_test = pairs(data.ajgt.iter().filter(|e| TrainingData::is_ajgt_test(e)));
        let sa_test = pairs(
            data.arsarcasm
                .iter()
                .filter(|e| e.split.as_deref() == Some("test")),
        );
        let (aj_acc, _) = evaluate(&m, &aj_test, true);
        let (_, sa_f1) = evaluate(&m, &sa_test, false);
        println!("AJGT {aj_acc:.4} ArSarcasm macro-F1 {sa_f1:.4}");
        assert!(aj_acc >= 0.865, "{aj_acc}");
        assert!(sa_f1 >= 0.67, "{sa_f1}");
        assert!(m.to_bytes().len() < 4_000_000);
    }

    fn pairs<'a>(it: impl Iterator<Item = &'a Example>) -> Vec<(String, Polarity)> {
        it.map(|e| (e.text.clone(), e.label)).collect()
    }
}
