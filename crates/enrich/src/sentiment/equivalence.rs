//! Tests that pin `SentimentModel::predict` and `predict_polar` (labels exactly, scores
//! within 1e-5: the fast path adds the same terms in another order) on varied texts,
//! recorded before the prediction path was optimized; a check of the fast path against the
//! plain one on many texts, and a
//! speed benchmark (`#[ignore]`).

use super::*;

/// Varied inputs: MSA news, dialect, English, emoji, markers, odd Unicode, empty, long.
fn texts() -> Vec<String> {
    let mut v: Vec<String> = [
        "",
        "   \t\n ",
        "... !! ?? ،؛",
        "أعلنت مديرية الأمن العام اليوم الأحد عن ضبط شخصين بحوزتهما مواد مخدرة في عمّان، وتم تحويلهما إلى الجهات المختصة.",
        "قالت وزارة الداخلية إن حركة السير على طريق المطار شهدت ازدحاماً كبيراً صباح اليوم بسبب حادث تصادم أسفر عن إصابة ثلاثة أشخاص.",
        "والله انكم رائعين الله يعطيكم العافية يا نشامى 👍🌹",
        "خدمة سيئة جدا وتأخير غير مقبول، زفت وقرف",
        "مابحبش هالشي ابدا، مش ممتاز ولا حلو",
        "ما في احترام للناس 😡😡😡",
        "حلووووووو كتييييير 😍😍 #الأردن_أولاً",
        "ههههههه والله ضحكتني 😂😂",
        "@user123 شكراً للشرطة على سرعة الاستجابة https://t.co/abc123 www.psd.gov.jo",
        ":) ممتاز :( سيء :D <3 -_- ^_^",
        "The police were great, thank you for the quick help!",
        "Terrible service, rude and slow. Never again!!!",
        "الشرطة were great 👍 شكرا bad experience though",
        "الْحَمْدُ لِلَّهِ رَبِّ الْعَالَمِينَ، بارك الله فيكم",
        "ســــــلام عليكم، الخدمـــــة ممتـــازة",
        "٢٠٢٤ عام ١٥٠ حادث سير و ۳۴ وفاة 😔",
        "İSTANBUL ΣΊΣΥΦΟΣ Straße ÆØÅ",
        "警察 很好 👮‍♂️ 👍🏽 ❤️ 🇯🇴",
        "\u{200f}\u{200d}\u{feff}\u{0640}\u{064b}",
        "ليس سيئا بل رائع، لا يوجد فساد",
        "حسبي الله ونعم الوكيل على هالفساد والظلم والاهمال",
        "ما شاء الله تبارك الله، الف مبروك النجاح والتوفيق",
        "#فساد #ظلم #شكرا_للأمن_العام",
        "a",
        "ب",
        "😂",
        "lol haha lmao wow soooo good",
    ]
    .into_iter()
    .map(String::from)
    .collect();
    v.push("الأمن العام يحذر من الطقس السيء ويشكر المواطنين على تعاونهم. ".repeat(30));
    v.push("خدمة ممتازة ".repeat(90_000));
    v.push("زحمة سير 😡 ".repeat(100_000));
    v
}

/// 64-bit FNV-1a of bytes, to tell whether a model file is the recorded one.
fn fnv(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

fn shipped_bytes() -> Option<Vec<u8>> {
    std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../config/models/sentiment.bin"))
        .ok()
}

fn tiny_model() -> SentimentModel {
    use Polarity::*;
    let rows: Vec<(String, Polarity)> = [
        ("خدمة ممتازة وشكرا للشرطة على سرعة الاستجابة", Positive),
        ("والله انكم رائعين الله يعطيكم العافية", Positive),
        ("شي بجنن وحلو كتير 😍", Positive),
        ("Great job, thank you for the quick help", Positive),
        ("خدمة سيئة جدا وتأخير غير مقبول", Negative),
        ("والله زفت وقرف ما في احترام 😡", Negative),
        ("Terrible service, rude and slow", Negative),
        ("أعلنت المديرية موعد الامتحان يوم الأحد", Neutral),
        ("The meeting is scheduled for Sunday at noon", Neutral),
    ]
    .into_iter()
    .map(|(t, p)| (t.to_string(), p))
    .collect();
    let mut settings = default_settings();
    settings.features.bits = 16;
    let rows: Vec<_> = rows
        .into_iter()
        .map(|(t, p)| (t, p, Source::Seed))
        .collect();
    train_with(&rows, settings, 11)
}

/// (label of predict, score bits of predict, label of predict_polar, its score bits).
fn outputs(m: &SentimentModel) -> Vec<(Polarity, u32, Polarity, u32)> {
    texts()
        .iter()
        .map(|t| {
            let a = m.predict(t);
            let b = m.predict_polar(t);
            (a.label, a.score.to_bits(), b.label, b.score.to_bits())
        })
        .collect()
}

fn check(
    name: &str,
    got: &[(Polarity, u32, Polarity, u32)],
    want: &[(Polarity, u32, Polarity, u32)],
) {
    if std::env::var_os("RASD_SENT_RECORD").is_some() {
        println!("// {name}");
        for g in got {
            println!("    ({:?}, 0x{:08x}, {:?}, 0x{:08x}),", g.0, g.1, g.2, g.3);
        }
        return;
    }
    assert_eq!(got.len(), want.len());
    let close = |a: u32, b: u32| (f32::from_bits(a) - f32::from_bits(b)).abs() <= 1e-5;
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!(
            g.0 == w.0 && g.2 == w.2 && close(g.1, w.1) && close(g.3, w.3),
            "{name}: text {i}: {g:?} against {w:?}"
        );
    }
}

/// The three-class and polar scores of member 0 the plain way: a feature vector scored by
/// each linear model.
fn plain_scores(m: &SentimentModel, text: &str) -> Option<([f32; 3], [f32; 2])> {
    let member = &m.members[0];
    let x = SentFeaturizer::new(member.features).features(text);
    if x.is_empty() {
        return None;
    }
    let (t, p) = (member.tri.scores(&x), member.polar.scores(&x));
    Some(([t[0], t[1], t[2]], [p[0], p[1]]))
}

/// Word-by-word scoring (with its per-thread cache) gives the plain path's scores on the
/// varied texts and on many made-up ones, for two models used in turn on one thread (a
/// cache filled for one is never read for the other), and after the cache is full.
#[test]
fn word_by_word_scores_match_the_plain_path() {
    let a = tiny_model();
    let mut settings = default_settings();
    settings.features.bits = 12;
    let rows: Vec<_> = [
        ("شكرا للأمن العام على الجهد", Polarity::Positive),
        ("تأخير وإهمال في المركز", Polarity::Negative),
        ("اجتماع يوم الأحد", Polarity::Neutral),
    ]
    .into_iter()
    .map(|(t, p)| (t.to_string(), p, Source::Seed))
    .collect();
    let b = train_with(&rows, settings, 5);
    let words = [
        "الأمن",
        "ممتاز",
        "زفت",
        "مش",
        "حلو",
        "police",
        "great",
        "والله",
        "😡",
        "٢٠٢٤",
        "ما",
        "بحبش",
        "كتييير",
        "#الأردن",
        "ال",
        "ة",
        "شكرا",
        "الشرطة",
        "عمان",
    ];
    let mut rng = crate::linear::SplitMix64::new(3);
    let mut texts = texts();
    texts.truncate(texts.len() - 2);
    for _ in 0..300 {
        let n = 1 + rng.below(25);
        let t: Vec<&str> = (0..n).map(|_| words[rng.below(words.len())]).collect();
        texts.push(t.join(" "));
    }
    let close = |x: f32, y: f32| (x - y).abs() <= 1e-5 * (1.0 + x.abs());
    let check = |m: &SentimentModel, t: &str| {
        let fast = m.member_scores(0, t);
        let plain = plain_scores(m, t);
        match (fast, plain) {
            (Some((ft, fp)), Some((pt, pp))) => {
                for (x, y) in ft.iter().chain(&fp).zip(pt.iter().chain(&pp)) {
                    assert!(close(*x, *y), "{t:?}: {ft:?} {fp:?} against {pt:?} {pp:?}");
                }
            }
            (f, p) => assert_eq!(f.is_none(), p.is_none(), "{t:?}"),
        }
    };
    for t in &texts {
        check(&a, t);
        check(&b, t);
    }
    // Fill the cache past its size, then check again.
    let many: String = (0..70_000).map(|i| format!("كلمة{i} ")).collect();
    let _ = a.predict(&many.chars().take(MAX_CHARS).collect::<String>());
    for chunk in many.split(' ').collect::<Vec<_>>().chunks(400).take(200) {
        let _ = a.predict(&chunk.join(" "));
    }
    for t in texts.iter().take(50) {
        check(&a, t);
    }
}

use Polarity::{Negative as N, Neutral as U, Positive as P};

const SHIPPED_FNV: u64 = 0x9af9df3e114ed212;
const SHIPPED: &[(Polarity, u32, Polarity, u32)] = &[
    (U, 0x00000000, N, 0x00000000),
    (U, 0x00000000, N, 0x00000000),
    (U, 0x00000000, N, 0x00000000),
    (U, 0xb934795b, N, 0xbe673849),
    (U, 0xba13a4da, N, 0xbefad9d9),
    (P, 0x3f7ffb51, P, 0x3f78fe77),
    (N, 0xbf7f5669, N, 0xbf5bb8d0),
    (N, 0xbf6eead2, N, 0xbf1c7cc5),
    (P, 0x3ecaa6b3, P, 0x3e27c12d),
    (P, 0x3f7fe84e, P, 0x3f663bbe),
    (N, 0xbea9eca6, P, 0x3b36ba21),
    (P, 0x3f74ab13, P, 0x3f5ed2ab),
    (P, 0x3f7dcbed, P, 0x3f5d8508),
    (P, 0x3f7d3697, P, 0x3f3e39a2),
    (N, 0xbf7643df, N, 0xbf2bb62e),
    (P, 0x3f7f813f, P, 0x3f5c4502),
    (P, 0x3f7ff03a, P, 0x3f72b681),
    (P, 0x3f7ebf31, P, 0x3f4e471f),
    (N, 0xbf43ae51, N, 0xbf396239),
    (U, 0xbe46ef77, N, 0xbe8ca8de),
    (P, 0x3f781e06, P, 0x3f3ef288),
    (U, 0x00000000, N, 0x00000000),
    (P, 0x3f19030c, P, 0x3e565bb6),
    (N, 0xbf7f87e4, N, 0xbf5eb454),
    (P, 0x3f7ffdb3, P, 0x3f7cbfd8),
    (P, 0x3e9f88ca, P, 0x3e37b6d9),
    (U, 0xbdbfddf2, N, 0xbedaca3c),
    (N, 0xbea68fe6, N, 0xbe9deeb0),
    (P, 0x3f0db1ef, P, 0x3f38f528),
    (U, 0x3ee2d710, P, 0x3f02c66f),
    (N, 0xbef4a5f1, N, 0xbe40e822),
    (P, 0x3f7f1db2, P, 0x3f599b05),
    (N, 0xbf79f6f1, N, 0xbf4b9791),
];
const TINY: &[(Polarity, u32, Polarity, u32)] = &[
    (U, 0x00000000, N, 0x00000000),
    (U, 0x00000000, N, 0x00000000),
    (U, 0x00000000, N, 0x00000000),
    (U, 0x3de1256f, P, 0x3e2ecd82),
    (P, 0x3de247cf, P, 0x3ddef145),
    (P, 0x3f602939, P, 0x3f22d90e),
    (N, 0xbf785e71, N, 0xbf4eae48),
    (N, 0xbc4dc2de, P, 0x3d146abb),
    (N, 0xbf0209f0, N, 0xbeab3cdc),
    (P, 0x3f3bd316, P, 0x3ef97884),
    (P, 0x3e75764f, P, 0x3e1dcef9),
    (P, 0x3f639c81, P, 0x3f291989),
    (P, 0x3e32446b, P, 0x3df24c7f),
    (P, 0x3f579e8e, P, 0x3f195585),
    (N, 0xbf6951ab, N, 0xbf262f66),
    (P, 0x3f129243, P, 0x3eb43929),
    (P, 0x3f266f67, P, 0x3ed3bb01),
    (P, 0x3f39f517, P, 0x3eed7a85),
    (N, 0xbe4d20f4, N, 0xbdaaeb93),
    (P, 0x3e1a39c7, P, 0x3dfe5f37),
    (P, 0x3e6a6399, P, 0x3e32944c),
    (U, 0x00000000, N, 0x00000000),
    (P, 0x3d9a18d0, P, 0x3d80f0e6),
    (N, 0xbd845ae3, P, 0x3c3b00a7),
    (P, 0x3eaf8de6, P, 0x3e3cd9c8),
    (P, 0x3dc9a24c, P, 0x3dca0d6d),
    (U, 0x3dd0e9b3, P, 0x3dd8b175),
    (P, 0x3e63ada1, P, 0x3e42ea14),
    (P, 0x3e60d38d, P, 0x3e17e873),
    (P, 0x3ec320bf, P, 0x3e59a92a),
    (P, 0x3e7fd6a7, P, 0x3e489fb7),
    (P, 0x3f1d485a, P, 0x3ebf527a),
    (N, 0xbe90b17d, N, 0xbe0d675f),
];

#[test]
fn predictions_match_the_recorded_ones() {
    check("tiny", &outputs(&tiny_model()), TINY);
    match shipped_bytes() {
        Some(b) if fnv(&b) == SHIPPED_FNV || std::env::var_os("RASD_SENT_RECORD").is_some() => {
            println!("const SHIPPED_FNV: u64 = 0x{:016x};", fnv(&b));
            let m = SentimentModel::from_bytes(&b).unwrap();
            check("shipped", &outputs(&m), SHIPPED);
        }
        _ => eprintln!("skipped: the shipped model is absent or not the recorded one"),
    }
}

/// Up to `n` 400-character leads (title and body) of the shared Arabic news corpus.
fn news_leads(n: usize) -> Option<Vec<String>> {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/corpus/ar_news.jsonl.gz");
    if !path.exists() {
        return None;
    }
    let out = std::process::Command::new("gzip")
        .arg("-dc")
        .arg(&path)
        .output()
        .ok()?;
    #[derive(serde::Deserialize)]
    struct News {
        #[serde(default)]
        title: String,
        #[serde(default)]
        body: String,
    }
    let leads: Vec<String> = out
        .stdout
        .split(|&b| b == b'\n')
        .filter_map(|l| serde_json::from_slice::<News>(l).ok())
        .map(|n| {
            format!("{} {}", n.title, n.body)
                .chars()
                .take(400)
                .collect()
        })
        .take(n)
        .collect();
    (!leads.is_empty()).then_some(leads)
}

fn rate(m: &SentimentModel, texts: &[String]) -> f64 {
    let mut sum = 0.0f32;
    for t in texts.iter().take(200) {
        sum += m.predict(t).score;
    }
    let start = std::time::Instant::now();
    let mut n = 0usize;
    while start.elapsed().as_secs_f64() < 2.0 {
        for t in texts {
            sum += m.predict(t).score;
        }
        n += texts.len();
    }
    let r = n as f64 / start.elapsed().as_secs_f64();
    std::hint::black_box(sum);
    r
}

/// `cargo test -p rasd-enrich --release --lib -- --ignored --nocapture sentiment_speed`.
#[test]
#[ignore = "benchmark: run in release"]
fn sentiment_speed() {
    let Some(m) = shipped_bytes().and_then(|b| SentimentModel::from_bytes(&b).ok()) else {
        eprintln!("skipped: no shipped model");
        return;
    };
    if let Some(leads) = news_leads(2_000) {
        println!(
            "news leads (400 chars): {:.0} predictions/s",
            rate(&m, &leads)
        );
    } else {
        eprintln!("skipped: ar_news.jsonl.gz is absent");
    }
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/sentiment/ajgt.jsonl");
    if let Ok(ex) = load_jsonl(&path) {
        let tweets: Vec<String> = ex.into_iter().map(|e| e.text).collect();
        println!("AJGT tweets: {:.0} predictions/s", rate(&m, &tweets));
    } else {
        eprintln!("skipped: ajgt.jsonl is absent");
    }
}

/// Where a prediction's time goes on 280-character news leads:
/// `cargo test -p rasd-enrich --release --lib -- --ignored --nocapture sentiment_parts`.
#[test]
#[ignore = "profiling: run in release"]
fn sentiment_parts() {
    let (Some(m), Some(leads)) = (
        shipped_bytes().and_then(|b| SentimentModel::from_bytes(&b).ok()),
        news_leads(2_000),
    ) else {
        eprintln!("skipped: no shipped model or no news corpus");
        return;
    };
    let leads: Vec<String> = leads
        .iter()
        .map(|t| t.chars().take(280).collect())
        .collect();
    let member = &m.members[0];
    let mut fz = SentFeaturizer::new(member.features);
    let _ = m.predict(&leads[0]);
    let only = std::env::var("RASD_PARTS").ok();
    let time = |name: &str, f: &mut dyn FnMut(&str)| {
        if only.as_deref().is_some_and(|o| o != name) {
            return;
        }
        // The fastest of 7 passes: the least disturbed by other work on the machine.
        let us = (0..7)
            .map(|_| {
                let start = std::time::Instant::now();
                for t in &leads {
                    f(t);
                }
                start.elapsed().as_secs_f64() * 1e6 / leads.len() as f64
            })
            .fold(f64::INFINITY, f64::min);
        println!("{name:<20} {us:>7.1} µs/lead (fastest of 7 passes)");
    };
    let normalized: Vec<String> = leads
        .iter()
        .map(|t| {
            let mut out = String::new();
            crate::features::collapse_runs_into(
                &rasd_core::text::normalize_for_matching(t),
                &mut out,
            );
            out
        })
        .collect();
    time("normalize", &mut |t| {
        std::hint::black_box(rasd_core::text::normalize_for_matching(t));
    });
    let mut out = String::new();
    time("normalize+collapse", &mut |t| {
        out.clear();
        crate::features::collapse_runs_into(&rasd_core::text::normalize_for_matching(t), &mut out);
        std::hint::black_box(&out);
    });
    let mut i = 0;
    let mut buckets = Vec::new();
    let mut cf = crate::features::Featurizer::new(crate::features::FeatureConfig {
        bits: member.features.bits,
        char_min: member.features.char_min,
        char_max: member.features.char_max,
        word_max: 0,
        char_across_words: false,
    });
    time("char_buckets", &mut |_| {
        buckets.clear();
        cf.char_buckets(&normalized[i % normalized.len()], &mut buckets);
        i += 1;
        std::hint::black_box(&buckets);
    });
    println!("char buckets per lead: {}", buckets.len());
    time("fill", &mut |t| {
        std::hint::black_box(fz.fill(t, true));
    });
    time("fill_without_chars", &mut |t| {
        std::hint::black_box(fz.fill(t, false));
    });
    time("predict", &mut |t| {
        std::hint::black_box(m.predict(t));
    });
}
