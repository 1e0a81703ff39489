//! Sentiment (positive, negative, neutral) of Arabic and English text, with a score.
//!
//! [`train`] turns labelled examples into a [`SentimentModel`]: hashed character and word
//! n-gram features (module [`crate::features`]) and a NB-SVM linear model (module
//! [`crate::linear`]), deterministic for a fixed seed. [`SentimentModel::predict`] gives a
//! [`Sentiment`]: the best [`Polarity`] and a score in -1..1 (positive minus negative
//! probability). [`load_jsonl`] reads the shared AJGT / ArSarcasm line format.

use std::io::BufRead;
use std::path::Path;

use tracing::warn;

use crate::features::{FeatureConfig, Featurizer};
use crate::linear::{LinearModel, ModelError, ModelResult, TrainParams};

const MAGIC: &[u8; 6] = b"RSDSNT";
const VERSION: u16 = 1;

/// A sentiment class.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Polarity {
    /// Favourable.
    Positive,
    /// Unfavourable.
    Negative,
    /// Neither, or factual.
    Neutral,
}

impl Polarity {
    const ALL: [Polarity; 3] = [Polarity::Positive, Polarity::Negative, Polarity::Neutral];

    /// The label as written in data files: `positive`, `negative`, `neutral`.
    pub fn as_str(self) -> &'static str {
        match self {
            Polarity::Positive => "positive",
            Polarity::Negative => "negative",
            Polarity::Neutral => "neutral",
        }
    }

    /// Parses [`Polarity::as_str`] (case-insensitive).
    pub fn parse(s: &str) -> Option<Polarity> {
        Polarity::ALL
            .into_iter()
            .find(|p| p.as_str().eq_ignore_ascii_case(s.trim()))
    }

    fn index(self) -> usize {
        self as usize
    }
}

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
    /// The row id, when the file has one (AJGT).
    pub id: Option<u64>,
    /// `train` or `test`, when the file has it (ArSarcasm).
    pub split: Option<String>,
}

#[derive(serde::Deserialize)]
struct Line {
    text: String,
    label: String,
    #[serde(default)]
    id: Option<u64>,
    #[serde(default)]
    split: Option<String>,
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
            id: parsed.id,
            split: parsed.split,
        });
    }
    Ok(out)
}

/// A trained sentiment classifier.
#[derive(Debug, Clone, PartialEq)]
pub struct SentimentModel {
    features: FeatureConfig,
    /// The classes the model knows, in the order of the linear model's outputs.
    classes: Vec<Polarity>,
    linear: LinearModel,
}

/// Trains with the default features and settings; the same examples and seed give the same
/// model.
pub fn train(examples: &[(String, Polarity)], seed: u64) -> SentimentModel {
    train_with(
        examples,
        FeatureConfig::default(),
        TrainParams {
            seed,
            ..TrainParams::default()
        },
    )
}

/// Trains with explicit feature and training settings.
pub fn train_with(
    examples: &[(String, Polarity)],
    features: FeatureConfig,
    params: TrainParams,
) -> SentimentModel {
    let mut classes: Vec<Polarity> = examples.iter().map(|e| e.1).collect();
    classes.sort();
    classes.dedup();
    let mut fz = Featurizer::new(features);
    let xs: Vec<_> = examples.iter().map(|(t, _)| fz.features(t)).collect();
    let ys: Vec<usize> = examples
        .iter()
        .map(|(_, p)| classes.iter().position(|c| c == p).unwrap_or(0))
        .collect();
    let linear = LinearModel::train(&xs, &ys, classes.len(), features.bits, params);
    SentimentModel {
        features,
        classes,
        linear,
    }
}

thread_local! {
    static FEATURIZER: std::cell::RefCell<Featurizer> = std::cell::RefCell::new(Featurizer::default());
}

impl SentimentModel {
    /// The classes it can predict.
    pub fn classes(&self) -> &[Polarity] {
        &self.classes
    }

    /// The sentiment of `text`. A text with no words or symbols (or a model trained on
    /// nothing) is neutral with score 0.
    pub fn predict(&self, text: &str) -> Sentiment {
        let x = FEATURIZER.with(|f| {
            let mut f = f.borrow_mut();
            if f.config() != self.features {
                *f = Featurizer::new(self.features);
            }
            f.features(text)
        });
        let neutral = Sentiment {
            label: Polarity::Neutral,
            score: 0.0,
        };
        if x.is_empty() || self.classes.is_empty() {
            return neutral;
        }
        let (best, scores) = self.linear.predict(&x);
        // Softmax over the one-vs-rest margins, sharpened.
        let max = scores.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        let exps: Vec<f32> = scores.iter().map(|s| ((s - max) * 4.0).exp()).collect();
        let total: f32 = exps.iter().sum();
        let mut prob = [0.0f32; 3];
        for (c, e) in self.classes.iter().zip(&exps) {
            prob[c.index()] = e / total;
        }
        Sentiment {
            label: self.classes[best.min(self.classes.len() - 1)],
            score: (prob[Polarity::Positive.index()] - prob[Polarity::Negative.index()])
                .clamp(-1.0, 1.0),
        }
    }

    /// The model as bytes: header, feature config, classes, then the linear model.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&VERSION.to_le_bytes());
        out.extend_from_slice(&self.features.to_bytes());
        out.push(self.classes.len() as u8);
        out.extend(self.classes.iter().map(|c| c.index() as u8));
        out.extend_from_slice(&self.linear.to_bytes());
        out
    }

    /// Reads [`SentimentModel::to_bytes`].
    pub fn from_bytes(bytes: &[u8]) -> ModelResult<SentimentModel> {
        if bytes.len() < 14 || &bytes[..6] != MAGIC || bytes[6..8] != VERSION.to_le_bytes() {
            return Err(ModelError::BadModelHeader);
        }
        let features =
            FeatureConfig::from_bytes([bytes[8], bytes[9], bytes[10], bytes[11], bytes[12]])
                .ok_or(ModelError::CorruptModel("feature config out of range"))?;
        let n = usize::from(bytes[13]);
        let class_bytes = bytes
            .get(14..14 + n)
            .ok_or(ModelError::CorruptModel("truncated"))?;
        let classes = class_bytes
            .iter()
            .map(|&b| Polarity::ALL.get(usize::from(b)).copied())
            .collect::<Option<Vec<_>>>()
            .ok_or(ModelError::CorruptModel("unknown class"))?;
        let (linear, rest) = LinearModel::from_bytes(&bytes[14 + n..])?;
        if !rest.is_empty() || linear.n_classes() != n.max(1) {
            return Err(ModelError::CorruptModel(
                "class count mismatch or trailing bytes",
            ));
        }
        Ok(SentimentModel {
            features,
            classes,
            linear,
        })
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
        let untrained = train(&[], 1);
        assert_eq!(untrained.predict("رائع").label, Polarity::Neutral);
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

    fn pairs<'a>(it: impl Iterator<Item = &'a Example>) -> Vec<(String, Polarity)> {
        it.map(|e| (e.text.clone(), e.label)).collect()
    }

    /// Accuracy and macro-F1 over the gold classes.
    fn evaluate(m: &SentimentModel, test: &[(String, Polarity)]) -> (f64, f64) {
        let mut cm = [[0usize; 3]; 3];
        for (t, g) in test {
            cm[g.index()][m.predict(t).label.index()] += 1;
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
            correct as f64 / test.len().max(1) as f64,
            f1s.iter().sum::<f64>() / f1s.len().max(1) as f64,
        )
    }

    /// `cargo test -p rasd-enrich --release -- --ignored --nocapture sentiment_eval`
    #[test]
    #[ignore = "evaluation: run in release"]
    fn sentiment_eval() {
        let (Some(ajgt), Some(sarc)) = (shared("ajgt.jsonl"), shared("arsarcasm.jsonl")) else {
            return;
        };
        let is_test = |e: &Example| e.id.is_some_and(|id| id % 5 == 0);
        let sa_is_train = |e: &Example| e.split.as_deref() == Some("train");
        let (aj_train, aj_test, sa_train, sa_test);
        if std::env::var_os("RASD_SENT_DEV").is_some() {
            // Tuning: a dev fold carved out of the training rows; the test rows are unused.
            let dev = |e: &Example| e.id.is_some_and(|id| id % 5 == 1);
            aj_train = pairs(ajgt.iter().filter(|e| !is_test(e) && !dev(e)));
            aj_test = pairs(ajgt.iter().filter(|e| dev(e)));
            let sa: Vec<&Example> = sarc.iter().filter(|e| sa_is_train(e)).collect();
            sa_train = pairs(
                sa.iter()
                    .enumerate()
                    .filter(|(i, _)| i % 5 != 0)
                    .map(|p| *p.1),
            );
            sa_test = pairs(
                sa.iter()
                    .enumerate()
                    .filter(|(i, _)| i % 5 == 0)
                    .map(|p| *p.1),
            );
        } else {
            aj_train = pairs(ajgt.iter().filter(|e| !is_test(e)));
            aj_test = pairs(ajgt.iter().filter(|e| is_test(e)));
            sa_train = pairs(sarc.iter().filter(|e| sa_is_train(e)));
            sa_test = pairs(sarc.iter().filter(|e| e.split.as_deref() == Some("test")));
        }
        let settings: Vec<(FeatureConfig, TrainParams)> = std::env::var("RASD_SENT_GRID")
            .ok()
            .map(|g| {
                g.split(';')
                    .filter_map(|s| {
                        let v: Vec<f64> = s.split(',').filter_map(|x| x.parse().ok()).collect();
                        (v.len() >= 8).then(|| {
                            (
                                FeatureConfig {
                                    bits: 20,
                                    char_min: v[0] as u8,
                                    char_max: v[1] as u8,
                                    word_max: v[2] as u8,
                                    char_across_words: v[7] > 0.0,
                                },
                                TrainParams {
                                    c: v[3],
                                    epochs: v[4] as usize,
                                    nb: v[5] > 0.0,
                                    nb_alpha: v.get(8).copied().unwrap_or(0.1),
                                    balanced: v[6] > 0.0,
                                    mix: 0.0,
                                    seed: 42,
                                },
                            )
                        })
                    })
                    .collect()
            })
            .unwrap_or_else(|| vec![(FeatureConfig::default(), TrainParams::default())]);
        for (fc, tp) in settings {
            let start = std::time::Instant::now();
            let m = train_with(&aj_train, fc, tp);
            let t_aj = start.elapsed().as_secs_f64();
            let (aj_acc, _) = evaluate(&m, &aj_test);
            let mut both = aj_train.clone();
            // Only ArSarcasm's polar rows: AJGT has no neutral class.
            both.extend(
                sa_train
                    .iter()
                    .filter(|e| e.1 != Polarity::Neutral)
                    .cloned(),
            );
            let (aj_acc_both, _) = evaluate(&train_with(&both, fc, tp), &aj_test);
            let start = std::time::Instant::now();
            let m = train_with(&sa_train, fc, tp);
            let t_sa = start.elapsed().as_secs_f64();
            let start = std::time::Instant::now();
            let (sa_acc, sa_f1) = evaluate(&m, &sa_test);
            let rate = sa_test.len() as f64 / start.elapsed().as_secs_f64();
            println!(
                "{fc:?} {tp:?}\n  AJGT acc={aj_acc:.4} (with ArSarcasm polar train rows: {aj_acc_both:.4}) \
                 train {t_aj:.2}s | ArSarcasm acc={sa_acc:.4} macro_f1={sa_f1:.4} train {t_sa:.2}s \
                 | {rate:.0} predictions/s"
            );
        }
    }
}
