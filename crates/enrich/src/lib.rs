//! Rasd's enrichment step: what an item is about, in which language, and where.
//!
//! [`Enricher`] is built once from the topics and places of the config
//! ([`Enricher::new`], [`Enricher::from_config`]) and then applied to many items
//! ([`Enricher::apply`]), from many threads (it is `Send + Sync` and never mutates). It fills
//! an item's [`Tags`]:
//!
//! - `lang` by [`detect_language`] (module [`lang`]): Arabic-script share, an Arabizi check,
//!   then whatlang restricted to Arabic and English.
//! - `topics` by keyword rules from `topics.toml` (module [`topics`]): a topic is assigned
//!   when at least `min_matches` of its distinct terms occur, none of its `exclude` terms
//!   does and no topic its exclude list names (`"topic:homicide"`) is assigned. A term is a
//!   phrase or a proximity term (`"شكاوى ... مركز أمني"`: both phrases, in order, a few words
//!   apart in one clause). [`Enricher::explain`] and [`Enricher::topic_matches`] say which
//!   terms fired.
//! - `places` by the gazetteer of `places.toml` (module [`places`]): every name and alias maps
//!   to its governorate; the bare `عمان` is not counted as Amman in a text about Oman.
//!
//! Text and terms are turned into tokens the same way (module [`tokens`]): normalized for
//! matching (diacritics, hamza forms, ة/ى, case), split into words, clitics stripped, light
//! English plural stemming, and matched as contiguous phrases through an index on their first
//! word (module `phrase`), so classifying costs about one hash lookup per word.
//!
//! A trained topic model, sentiment and the police-conduct flag come later; they will read
//! the same analyzed tokens inside [`Enricher::tags_for`].

pub mod features;
pub mod lang;
pub mod linear;
mod phrase;
pub mod places;
pub mod sentiment;
pub mod tokens;
pub mod topics;

use rasd_core::{Config, Item, Lang, PlaceConfig, Tags, TopicConfig};

pub use lang::detect_language;
pub use topics::TopicMatch;

use places::Gazetteer;
use tokens::{Analyzed, Vocab};
use topics::TopicRules;

/// Errors raised while compiling enrichment rules.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A topic's term or exclude term has no words once normalized.
    #[error(
        "topic {topic:?}: term {term:?} has no words once diacritics and punctuation are removed: \
         write a word or phrase, or delete it"
    )]
    EmptyTopicTerm {
        /// The topic id.
        topic: String,
        /// The term as written.
        term: String,
    },
    /// A place's name or alias has no words once normalized.
    #[error(
        "place {place:?}: name {name:?} has no words once diacritics and punctuation are removed: \
         write the name, or delete the alias"
    )]
    EmptyPlaceName {
        /// The place id.
        place: String,
        /// The name or alias as written.
        name: String,
    },
    /// A proximity term (`A ... B`) has a side without words.
    #[error(
        "topic {topic:?}: term {term:?} has a side of `...` without words: write a word or \
         phrase on each side, as in \"شكاوى ... مركز أمني\""
    )]
    BadProximityTerm {
        /// The topic id.
        topic: String,
        /// The term as written.
        term: String,
    },
    /// A `topic:<id>` entry is misplaced, names no topic, or makes a cycle.
    #[error("topic {topic:?}: {entry:?}: {reason}")]
    BadTopicRef {
        /// The topic whose list holds the entry.
        topic: String,
        /// The entry as written.
        entry: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A topic asks for more distinct matching terms than it has.
    #[error(
        "topic {topic:?}: min_matches = {min_matches} but it has only {terms} distinct term(s), \
         so it can never match: lower min_matches or add terms"
    )]
    UnreachableMinMatches {
        /// The topic id.
        topic: String,
        /// The configured `min_matches`.
        min_matches: u32,
        /// Its distinct terms after normalization.
        terms: usize,
    },
    /// The bytes are not a Rasd linear model of a known version.
    #[error(
        "not a Rasd linear model of a known version (expected {:?} v{})",
        linear::MAGIC,
        linear::VERSION
    )]
    BadModelHeader,
    /// A model ends early or holds an impossible value.
    #[error("corrupt model: {0}")]
    CorruptModel(&'static str),
    /// A model or data file could not be read.
    #[error("cannot read {path}: {source}")]
    ModelIo {
        /// The file.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
}

/// The enrich crate's result alias.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The compiled topic rules and places gazetteer; applies them to items.
#[derive(Debug, Clone)]
pub struct Enricher {
    vocab: Vocab,
    topics: TopicRules,
    places: Gazetteer,
}

impl Enricher {
    /// Compiles the rules. A term, name or alias that normalizes to nothing is an error naming
    /// the topic or place and the term; so is a `min_matches` higher than the topic's number
    /// of distinct terms.
    pub fn new(topics: &[TopicConfig], places: &[PlaceConfig]) -> Result<Enricher> {
        let mut vocab = Vocab::default();
        let topics = TopicRules::new(topics, &mut vocab)?;
        let places = Gazetteer::new(places, &mut vocab)?;
        Ok(Enricher {
            vocab,
            topics,
            places,
        })
    }

    /// [`Enricher::new`] with the topics and places of a loaded config.
    pub fn from_config(config: &Config) -> Result<Enricher> {
        Enricher::new(&config.topics, &config.places)
    }

    /// How many topics the rules define.
    pub fn topic_count(&self) -> usize {
        self.topics.len()
    }

    /// Fills `item.tags` (language, topics, places) from its title and body. `lang_hint` is
    /// the language its source is configured with, a weak prior.
    pub fn apply(&self, mut item: Item, lang_hint: Option<Lang>) -> Item {
        let tags = self.tags_for(&item.title, &item.body, lang_hint);
        item.tags.lang = tags.lang;
        item.tags.topics = tags.topics;
        item.tags.places = tags.places;
        item
    }

    /// The tags of a title and body: language, topic ids (sorted, without duplicates) and
    /// governorate ids (sorted, without duplicates). A phrase never spans title and body.
    pub fn tags_for(&self, title: &str, body: &str, lang_hint: Option<Lang>) -> Tags {
        let lang = if title.is_empty() {
            detect_language(body, lang_hint)
        } else if body.is_empty() {
            detect_language(title, lang_hint)
        } else {
            // Language detection reads only the start of a text.
            detect_language(&format!("{title}\n{}", lang::prefix(body, 2000)), lang_hint)
        };
        let analyzed = Analyzed::new(&self.vocab, &[title, body]);
        // Later steps (trained model, sentiment, police flag) read `analyzed` here.
        Tags {
            lang,
            topics: self.topics.classify(&analyzed),
            places: self.places.locate(&analyzed),
        }
    }

    /// Why topics matched `text`: each assigned topic id with the terms found, as written in
    /// `topics.toml`, sorted by topic id.
    pub fn explain(&self, text: &str) -> Vec<(String, Vec<String>)> {
        self.topic_matches(text)
            .into_iter()
            .filter(|m| m.assigned)
            .map(|m| (m.topic, m.terms))
            .collect()
    }

    /// Every topic with a term or exclude term found in `text`, assigned or not, sorted by
    /// topic id: for debugging rules.
    pub fn topic_matches(&self, text: &str) -> Vec<TopicMatch> {
        self.topics.explain(&Analyzed::new(&self.vocab, &[text]))
    }

    /// The governorates found in `text`, each with the place names that placed it there,
    /// sorted by governorate id.
    pub fn explain_places(&self, text: &str) -> Vec<(String, Vec<String>)> {
        self.places.explain(&Analyzed::new(&self.vocab, &[text]))
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;
    use std::sync::OnceLock;

    use rasd_core::{Config, PlaceKind};

    use super::*;

    const TOPICS_TOML: &str = include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../config/topics.toml"
    ));
    const PLACES_TOML: &str = include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../config/places.toml"
    ));

    const TOPIC_IDS: [&str; 18] = [
        "corruption",
        "cybercrime_fraud",
        "domestic_violence",
        "drugs",
        "fire_rescue",
        "gunfire",
        "homicide",
        "missing_person",
        "police_conduct",
        "protest",
        "psd_activity",
        "smuggling",
        "terrorism",
        "theft",
        "traffic_accident",
        "traffic_safety",
        "violence",
        "weather_emergency",
    ];

    const GOVERNORATES: [&str; 12] = [
        "ajloun", "amman", "aqaba", "balqa", "irbid", "jerash", "karak", "maan", "madaba",
        "mafraq", "tafilah", "zarqa",
    ];

    fn shipped_config() -> Config {
        match Config::from_texts(Path::new("config"), ["", "", TOPICS_TOML, PLACES_TOML, ""]) {
            Ok(c) => c,
            Err(e) => panic!("the shipped config does not load:\n{e}"),
        }
    }

    /// Up to `limit` items (title, body, category) of a shared corpus file, or `None` when the
    /// shared data (or `gzip`) is absent.
    fn corpus(file: &str, limit: usize) -> Option<Vec<(String, String, String)>> {
        use std::io::{BufRead, BufReader};
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../../shared/data/corpus")
            .join(file);
        if !path.exists() {
            eprintln!("skipped: {} is absent", path.display());
            return None;
        }
        let mut child = std::process::Command::new("gzip")
            .arg("-dc")
            .arg(&path)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .ok()?;
        let out = child.stdout.take()?;
        let mut items = Vec::new();
        for line in BufReader::new(out).lines() {
            let Ok(line) = line else { break };
            let Ok(v) = serde_json::from_str::<serde_json::Value>(&line) else {
                continue;
            };
            let field = |k: &str| v[k].as_str().unwrap_or_default().to_string();
            items.push((field("title"), field("body"), field("cat")));
            if items.len() >= limit {
                break;
            }
        }
        let _ = child.kill();
        let _ = child.wait();
        Some(items)
    }

    fn shipped() -> &'static Enricher {
        static E: OnceLock<Enricher> = OnceLock::new();
        E.get_or_init(|| match Enricher::from_config(&shipped_config()) {
            Ok(e) => e,
            Err(e) => panic!("the shipped rules do not compile: {e}"),
        })
    }

    fn topics(text: &str) -> Vec<String> {
        shipped().tags_for("", text, None).topics
    }

    fn places(text: &str) -> Vec<String> {
        shipped().tags_for("", text, None).places
    }

    #[test]
    fn enricher_is_send_and_sync() {
        fn check<T: Send + Sync>() {}
        check::<Enricher>();
    }

    #[test]
    fn shipped_topics_are_the_eighteen() {
        let config = shipped_config();
        let mut ids: Vec<&str> = config.topics.iter().map(|t| t.id.as_str()).collect();
        ids.sort_unstable();
        assert_eq!(ids, TOPIC_IDS);
        assert_eq!(shipped().topic_count(), 18);
        for t in &config.topics {
            assert!(!t.name_ar.trim().is_empty() && !t.name_en.trim().is_empty());
            assert!(
                !t.description.trim().is_empty(),
                "{} has no description",
                t.id
            );
            let arabic = t
                .terms
                .iter()
                .filter(|s| rasd_core::text::arabic_share(s) > 0.5);
            assert!(arabic.count() >= 5, "{} needs Arabic terms", t.id);
            let english = t
                .terms
                .iter()
                .filter(|s| rasd_core::text::arabic_share(s) == 0.0);
            assert!(english.count() >= 5, "{} needs English terms", t.id);
        }
    }

    #[test]
    fn shipped_places_cover_the_twelve_governorates_without_clashes() {
        let config = shipped_config();
        let mut govs: Vec<&str> = config
            .places
            .iter()
            .filter(|p| p.kind == PlaceKind::Governorate)
            .map(|p| p.id.as_str())
            .collect();
        govs.sort_unstable();
        assert_eq!(govs, GOVERNORATES);
        for g in GOVERNORATES {
            let n = config.places.iter().filter(|p| p.governorate == g).count();
            assert!((8..=40).contains(&n), "{g} has {n} places");
        }
        // No name may point at two governorates.
        let mut seen: std::collections::HashMap<Vec<String>, &str> = Default::default();
        for p in &config.places {
            for name in [&p.name_ar, &p.name_en].into_iter().chain(&p.aliases) {
                let key = tokens::term_tokens(name, tokens::Mode::Place);
                if let Some(other) = seen.insert(key, &p.governorate) {
                    assert_eq!(other, p.governorate, "{name:?} is in two governorates");
                }
            }
        }
    }

    /// One Arabic and one English example per topic (several are dialect).
    const EXAMPLES: [(&str, &str, &str); 18] = [
        (
            "traffic_accident",
            "إصابة ثلاثة أشخاص إثر تدهور مركبة على الطريق الصحراوي",
            "Two killed in a head-on collision on the Desert Highway",
        ),
        (
            "traffic_safety",
            "إدارة السير: ضبط ٢٠٠ مخالفة بسبب استخدام الهاتف أثناء القيادة",
            "Speed cameras catch thousands of speeding drivers on airport road",
        ),
        (
            "theft",
            "القبض على شخصين نفذا سطو على محل صرافة ونشل حقيبة سيدة",
            "Police arrest suspects in jewellery store robbery",
        ),
        (
            "drugs",
            "ضبط كميات من الحبوب المخدرة والحشيش بحوزة مروج",
            "Anti-Narcotics Department seizes captagon pills in Mafraq",
        ),
        (
            "violence",
            "طوشة كبيرة بالحارة امبارح واصابة شابين",
            "Brawl in Irbid leaves three injured",
        ),
        (
            "homicide",
            "أقدم على قتل شقيقه إثر خلافات عائلية",
            "Man charged with murder after wife found stabbed to death",
        ),
        (
            "domestic_violence",
            "إدارة حماية الأسرة تتابع قضية طفل معنف",
            "Campaign against domestic violence launched",
        ),
        (
            "cybercrime_fraud",
            "وحدة الجرائم الإلكترونية تحذر من روابط وهمية وعمليات نصب",
            "Police warn of phishing scam targeting bank customers",
        ),
        (
            "gunfire",
            "وفاة طفل برصاصة طائشة بعد طخ بعرس",
            "Celebratory gunfire at a wedding injures a girl",
        ),
        (
            "fire_rescue",
            "انفجار جرة غاز داخل منزل والدفاع المدني يخمد الحريق",
            "Firefighters contain blaze at Russeifa warehouse",
        ),
        (
            "missing_person",
            "الأمن العام يبحث عن طفل مفقود تغيب عن منزل ذويه",
            "Family appeals for help as teenager goes missing, reported missing since Monday",
        ),
        (
            "protest",
            "وقفة احتجاجية أمام مجلس النواب واعتصام للمعلمين",
            "Protesters hold sit-in outside the ministry",
        ),
        (
            "terrorism",
            "إحباط مخطط إرهابي وضبط أحزمة ناسفة",
            "Security forces foil terror plot, arrest ISIS cell",
        ),
        (
            "smuggling",
            "إحباط محاولة تهريب كميات من الدخان المهرب على الحدود",
            "Border guards thwart smuggling attempt",
        ),
        (
            "corruption",
            "هيئة النزاهة ومكافحة الفساد تحيل قضية رشوة إلى القضاء",
            "Official arrested on bribery and embezzlement charges",
        ),
        (
            "weather_emergency",
            "السيول تداهم منازل في الأغوار وعالقين في الثلوج",
            "Flash floods sweep cars away in Wadi Musa",
        ),
        (
            "police_conduct",
            "لفتة إنسانية من رجل أمن ساعد مسنا على عبور الشارع",
            "Rights group files complaint against police over excessive force",
        ),
        (
            "psd_activity",
            "الشرطة المجتمعية تنفذ محاضرات توعوية لطلبة المدارس",
            "PSD launches awareness campaign on road safety",
        ),
    ];

    #[test]
    fn every_topic_has_an_arabic_and_an_english_example() {
        for (topic, ar, en) in EXAMPLES {
            for text in [ar, en] {
                let found = topics(text);
                assert!(
                    found.iter().any(|t| t == topic),
                    "{topic} not found in {text:?}; got {found:?}, matches {:?}",
                    shipped().topic_matches(text)
                );
            }
        }
    }

    #[test]
    fn dialect_examples() {
        assert!(topics("شب دعسته سيارة قدام المول").contains(&"traffic_accident".into()));
        assert!(topics("صار طخ بالعرس وانصاب ولد").contains(&"gunfire".into()));
        assert!(topics("طوشة عشائرية بالرمثا").contains(&"violence".into()));
        assert!(topics("فارضي الخاوات بالسوق").contains(&"theft".into()));
    }

    /// Asserts that each text gets `topic` (`true`) or does not (`false`).
    fn check(cases: &[(&str, &str, bool)]) {
        for &(text, topic, expected) in cases {
            let found = topics(text);
            assert_eq!(
                found.iter().any(|t| t == topic),
                expected,
                "{topic} in {text:?}: got {found:?}, matches {:?}",
                shipped().topic_matches(text)
            );
        }
    }

    #[test]
    fn crashes_in_verb_form_and_in_english_wording() {
        check(&[
            (
                "انقلبت مركبة على طريق الرمثا وأصيب سائقها بجروح",
                "traffic_accident",
                true,
            ),
            (
                "تدهورت حافلة تقل طلبة جامعيين قرب الجامعة",
                "traffic_accident",
                true,
            ),
            (
                "اشتعال مركبة على الطريق الصحراوي ونجاة سائقها",
                "traffic_accident",
                true,
            ),
            (
                "A woman was struck by a car outside a mall in Zarqa",
                "traffic_accident",
                true,
            ),
            (
                "Rollover accident on the airport road injures two",
                "traffic_accident",
                true,
            ),
            (
                "Three hurt after their car flipped and overturned near Jerash",
                "traffic_accident",
                true,
            ),
            (
                "Pedestrian injured at a busy junction in Irbid",
                "traffic_accident",
                true,
            ),
            // The other sense of "overturned".
            (
                "The appeals court overturned the ruling on Monday",
                "traffic_accident",
                false,
            ),
        ]);
    }

    #[test]
    fn civil_defence_at_a_crash_is_not_fire_rescue() {
        let crash = "حادث تصادم على طريق المطار وكوادر الدفاع المدني تنقل المصابين إلى المستشفى \
                     بعد وصول فرق الإنقاذ";
        check(&[
            (crash, "traffic_accident", true),
            (crash, "fire_rescue", false),
            (
                "After a car crash on the airport road, Civil Defence paramedics and rescue teams took the injured to hospital",
                "fire_rescue",
                false,
            ),
            // Rescues of people trapped or stranded are.
            (
                "فرق الإنقاذ الجبلي تنقذ شابين علقا في منحدر صخري",
                "fire_rescue",
                true,
            ),
            (
                "كوادر الدفاع المدني تتعامل مع مركبات علقت في مياه الأمطار",
                "fire_rescue",
                true,
            ),
            (
                "Civil Defence crews pulled a family out of floodwater in the Jordan Valley",
                "fire_rescue",
                true,
            ),
        ]);
    }

    #[test]
    fn congestion_and_crash_causes_are_not_traffic_safety() {
        check(&[
            (
                "أزمة سير خانقة على دوار المدينة الرياضية بسبب أعمال الصيانة",
                "traffic_safety",
                false,
            ),
            (
                "Traffic jam on the airport road after a lorry broke down",
                "traffic_safety",
                false,
            ),
            (
                "وفاة شاب بحادث تدهور بسبب السرعة الزائدة",
                "traffic_safety",
                false,
            ),
            (
                "وفاة شاب بحادث تدهور بسبب السرعة الزائدة",
                "traffic_accident",
                true,
            ),
            (
                "ارتفاع سرعة الرياح وتحذير من الغبار",
                "traffic_safety",
                false,
            ),
            (
                "تركيب كاميرات حديثة على طريق المطار لضبط السرعة",
                "traffic_safety",
                true,
            ),
            (
                "انتشار رجال السير قرب المدارس لتنظيم عبور الطلبة",
                "traffic_safety",
                true,
            ),
            (
                "Police install traffic cameras to catch speeding near schools",
                "traffic_safety",
                true,
            ),
        ]);
    }

    #[test]
    fn a_killing_or_family_abuse_is_not_also_violence() {
        check(&[
            (
                "وفاة شاب متأثرا بطعنات تعرض لها خلال مشاجرة",
                "homicide",
                true,
            ),
            (
                "وفاة شاب متأثرا بطعنات تعرض لها خلال مشاجرة",
                "violence",
                false,
            ),
            (
                "Man dies after being stabbed in a street fight in Irbid",
                "homicide",
                true,
            ),
            (
                "Man dies after being stabbed in a street fight in Irbid",
                "violence",
                false,
            ),
            (
                "إدارة حماية الأسرة تتابع قضية فتاة تعرضت لإيذاء جسدي من والدها",
                "domestic_violence",
                true,
            ),
            (
                "إدارة حماية الأسرة تتابع قضية فتاة تعرضت لإيذاء جسدي من والدها",
                "violence",
                false,
            ),
            // Attacks on medical staff are violence; a fight without a death still is.
            (
                "اعتداء على ممرضة في قسم الطوارئ بمستشفى حكومي",
                "violence",
                true,
            ),
            (
                "Patient's relatives assaulted a doctor at a public hospital",
                "violence",
                true,
            ),
            ("مشاجرة بين شبان في الحي وإصابة اثنين", "violence", true),
        ]);
    }

    #[test]
    fn a_new_police_centre_is_not_domestic_violence() {
        let centre = "افتتاح مركز أمني جديد يضم قسما لحماية الأسرة وآخر للترخيص";
        check(&[
            (centre, "psd_activity", true),
            (centre, "domestic_violence", false),
        ]);
    }

    #[test]
    fn missing_people_in_other_wordings() {
        check(&[
            (
                "شاب خرج من منزله في الرمثا قبل يومين ولم يعد",
                "missing_person",
                true,
            ),
            ("العثور على مسن فقد أثره في الأحراش", "missing_person", true),
            (
                "أبلغت عائلة فتاة عن فقدانها بعد خروجها إلى المدرسة",
                "missing_person",
                true,
            ),
            (
                "Parents reported their daughter missing on Sunday",
                "missing_person",
                true,
            ),
            ("لم يعد الحال كما كان", "missing_person", false),
        ]);
    }

    #[test]
    fn sit_ins_in_verb_form_and_other_senses() {
        check(&[
            (
                "موظفو البلدية يعتصمون للمطالبة بصرف رواتبهم",
                "protest",
                true,
            ),
            ("سكان الحي يحتجون على إغلاق الطريق", "protest", true),
            // A walk-out "in protest", pretending, and citing an argument are not protests.
            (
                "انسحب النائب من الجلسة احتجاجا على تأجيل التصويت",
                "protest",
                false,
            ),
            ("تظاهروا بالمرض ليتغيبوا عن العمل", "protest", false),
            ("يحتجون بأن القانون لا يسمح بذلك", "protest", false),
        ]);
    }

    #[test]
    fn praise_and_complaints_about_police_service() {
        check(&[
            (
                "مواطنة تشكر دورية شرطة ساعدتها في تبديل إطار مركبتها",
                "police_conduct",
                true,
            ),
            (
                "والله الأمن ما قصروا معنا ليلة العاصفة",
                "police_conduct",
                true,
            ),
            (
                "شكاوى من الانتظار لساعات في مركز الترخيص",
                "police_conduct",
                true,
            ),
            (
                "مراجعون يشكون الازدحام في مركز أمني وسط المدينة",
                "police_conduct",
                true,
            ),
            (
                "Drivers complain of long queues at the licensing centre in Irbid",
                "police_conduct",
                true,
            ),
            (
                "A traffic officer was honoured for his honesty after returning a lost wallet",
                "police_conduct",
                true,
            ),
            (
                "A traffic officer was honoured for his honesty after returning a lost wallet",
                "psd_activity",
                true,
            ),
            // A complaint filed at a police station about someone else is not about the police.
            (
                "تقدم مواطن بشكوى في المركز الأمني ضد جاره بسبب الإزعاج",
                "police_conduct",
                false,
            ),
            (
                "He filed a complaint at the police station against his neighbour",
                "police_conduct",
                false,
            ),
        ]);
    }

    #[test]
    fn psd_activity_is_its_own_work_not_the_warning_closing_a_report() {
        check(&[
            (
                "إدارة السير تنفذ حملة مكثفة لضبط المركبات المخالفة",
                "psd_activity",
                true,
            ),
            (
                "إدارة حماية الأسرة تعقد ورشة للأمهات في المفرق",
                "psd_activity",
                true,
            ),
            (
                "مدير الشرطة يكرم شرطيا أنقذ طفلا من الغرق",
                "psd_activity",
                true,
            ),
            (
                "سرقة محل صرافة في وسط البلد، ودعت مديرية الأمن العام أصحاب المحال إلى تركيب كاميرات",
                "psd_activity",
                false,
            ),
            (
                "حذرت مديرية الأمن العام من السيول في الأودية",
                "psd_activity",
                false,
            ),
        ]);
    }

    #[test]
    fn gunfire_phrases_report_shots_fired() {
        check(&[
            (
                "Gunfire erupted at a wedding in Irbid, injuring a girl",
                "gunfire",
                true,
            ),
            (
                "Guests fired their rifles into the air at a graduation party",
                "gunfire",
                true,
            ),
            ("ضبط سلاح ناري غير مرخص بحوزة مطلوب", "gunfire", true),
        ]);
    }

    #[test]
    fn clitic_forms_match() {
        assert!(topics("الحملة الوطنية لمكافحة الاتجار والمخدرات").contains(&"drugs".into()));
        assert!(topics("هدده بالسلاح الناري").contains(&"gunfire".into()));
        assert!(topics("ضبط شخص وبحوزته ومخدرات").contains(&"drugs".into()));
        assert!(topics("تورطه بسرقة مركبة").contains(&"theft".into()));
        assert!(topics("وللحرائق أسباب كثيرة").contains(&"fire_rescue".into()));
    }

    #[test]
    fn hamza_and_diacritics_variants_match() {
        for text in [
            "إطلاق النار",
            "اطلاق النار",
            "إِطْلَاقُ النَّارِ",
            "أطلاق النار",
            "إطـــلاق النـــار",
        ] {
            assert_eq!(topics(text), ["gunfire"], "{text}");
        }
        assert_eq!(topics("مُخَدِّرَات"), ["drugs"]);
        assert_eq!(topics("حبوب مخدره"), ["drugs"]);
    }

    #[test]
    fn negatives_get_no_topic() {
        for text in [
            // Football "attack".
            "شن الفيصلي هجوما قويا على مرمى الوحدات في الشوط الثاني",
            "The attack of Al-Faisaly kept pressing and the striker fired a shot just wide",
            // Fire sale and cooking fire.
            "Huge fire sale this weekend at the mall: everything must go",
            "اطبخي اللحم على نار هادئة لمدة ساعة",
            "Cook the onions over a low fire until golden",
            // A weather forecast with no emergency.
            "الأرصاد: أجواء باردة وغائمة جزئيا مع فرصة لهطول زخات خفيفة من المطر",
            "Forecast: mild weather with light rain expected on Tuesday, temperatures around 15C",
            // Economy news.
            "البنك المركزي يرفع أسعار الفائدة ربع نقطة وارتفاع الصادرات الصناعية",
            "Jordan's exports rose 8 percent in the first half as phosphate prices climbed",
            // Ceasefire talks are not gunfire.
            "مفاوضات بشأن وقف إطلاق النار في غزة",
            // Metaphors.
            "سرقت الفنانة الأضواء في حفل الافتتاح",
            "Markets rally as the central bank rescue plan calms investors",
        ] {
            assert!(
                topics(text).is_empty(),
                "{text:?}: {:?}",
                shipped().topic_matches(text)
            );
        }
    }

    #[test]
    fn psd_activity_does_not_fire_on_incident_reports() {
        let report = "قال الناطق الإعلامي باسم مديرية الأمن العام إن حادث تصادم وقع على طريق المطار، \
                      وإن كوادر الدفاع المدني وإدارة السير تعاملت معه";
        let found = topics(report);
        assert!(found.contains(&"traffic_accident".into()), "{found:?}");
        assert!(!found.contains(&"psd_activity".into()), "{found:?}");
        let en = "A PSD spokesman said the Civil Defence and the Traffic Department responded to the crash.";
        assert!(!topics(en).contains(&"psd_activity".into()));
        // The PSD's own campaign does.
        assert!(
            topics("أطلقت مديرية الأمن العام حملة للحد من إطلاق العيارات النارية")
                .contains(&"psd_activity".into())
        );
    }

    #[test]
    fn exclude_vetoes_only_its_topic() {
        let text = "Fire sale at the furniture store after firefighters put out the fire";
        let m = shipped().topic_matches(text);
        let fire = m.iter().find(|m| m.topic == "fire_rescue").unwrap();
        assert!(!fire.assigned);
        assert_eq!(fire.excluded_by, ["fire sale"]);
    }

    #[test]
    fn explain_names_the_terms_as_written() {
        let why = shipped().explain("إطلاق عيارات نارية في عرس وإصابة طفل برصاصة طائشة");
        let (topic, terms) = &why[0];
        assert_eq!(topic, "gunfire");
        assert!(
            terms.contains(&"إطلاق عيارات نارية".to_string()),
            "{terms:?}"
        );
        assert!(terms.contains(&"رصاصة طائشة".to_string()), "{terms:?}");
        assert!(shipped().explain("طقس معتدل").is_empty());
    }

    #[test]
    fn places_from_arabic_and_english() {
        assert_eq!(places("حادث سير في الرمثا"), ["irbid"]);
        assert_eq!(places("حريق في مستودع بالرصيفة والزرقاء"), ["zarqa"]);
        assert_eq!(
            places("مشاجرة في وادي السير وأخرى في السلط"),
            ["amman", "balqa"]
        );
        assert_eq!(
            places("Fire in Russeifa, flooding in Ma'an and Wadi Musa"),
            ["maan", "zarqa"]
        );
        assert_eq!(
            places("Two hurt in Kerak and Tafileh crashes"),
            ["karak", "tafilah"]
        );
        assert_eq!(places("سيول في العقبة ووادي رم"), ["aqaba"]);
        assert_eq!(places("Amman's traffic"), ["amman"]);
        assert_eq!(places("حادث سير في صويلح"), ["amman"]);
        assert_eq!(places("نقل المصاب إلى مستشفى معان الحكومي"), ["maan"]);
        // The longest name wins: Petra Stadium is in Amman.
        assert_eq!(places("المباراة على ملعب البتراء"), ["amman"]);
    }

    #[test]
    fn everyday_words_are_not_places() {
        for text in [
            "المملكة الأردنية الهاشمية",
            "سلط التقرير الضوء على المشكلة",
            "وقع الحادث على مفرق الطرق",
            "أدى الحادث إلى موته على الفور",
            "تتكاثر السحب وقد يتشكل سحاب ركامي",
            "ناقش المجلس الموقر القانون",
            "ارتدى القميص الأزرق",
            "Salt prices rose in Europe",
            "لمعان البرق في السماء",
            "العلاقات الطيبة بين البلدين",
            "كما تزعم السلطة العراقية الحالية",
            "حفر بئرين كبيرين",
            "ذكرت صحيفة ماركا الإسبانية",
            "قال الكاتب خليل صويلح",
            "إن الله كان سميعا بصيرا",
            "قصيدة تحمل معان كثيرة وفي معان راقية",
            "Contact salem_sahab@example.com",
        ] {
            assert!(
                places(text).is_empty(),
                "{text}: {:?}",
                shipped().explain_places(text)
            );
        }
    }

    #[test]
    fn amman_or_oman() {
        assert_eq!(places("افتتاح معرض الكتاب في عمان"), ["amman"]);
        assert!(places("وزير خارجية سلطنة عمان يصل إلى مسقط").is_empty());
        assert!(places("المنتخب العماني يواجه منتخب عمان الأولمبي").is_empty());
        assert_eq!(places("وفد من سلطنة عمان يزور أمانة عمان"), ["amman"]);
        assert_eq!(places("وفد عماني من مسقط في جبل عمان"), ["amman"]);
        assert_eq!(
            places("Oman's foreign minister arrives in Amman"),
            ["amman"]
        );
        assert_eq!(places("دفن في مسقط رأسه في عمان"), ["amman"]);
        assert!(places("قمة دول الخليج: السعودية والكويت وقطر والبحرين وعمان").is_empty());
    }

    #[test]
    fn language_in_tags() {
        let e = shipped();
        assert_eq!(e.tags_for("حريق في إربد", "", None).lang, Lang::Ar);
        assert_eq!(
            e.tags_for("Fire in Irbid", "Civil Defence teams put out a fire.", None)
                .lang,
            Lang::En
        );
        assert_eq!(e.tags_for("", "", Some(Lang::En)).lang, Lang::En);
        assert_eq!(e.tags_for("", "", None).lang, Lang::Other);
    }

    #[test]
    fn a_phrase_never_spans_title_and_body() {
        let tags = shipped().tags_for("إطلاق", "نار", None);
        assert!(tags.topics.is_empty(), "{tags:?}");
    }

    #[test]
    fn apply_fills_the_tags_and_keeps_the_rest() {
        let item = Item::new(
            "roya",
            "https://example.jo/news/1",
            "مقتل شاب في مشاجرة بالزرقاء",
            "أقدم شخص على قتل شاب بأداة حادة خلال مشاجرة جماعية في الزرقاء.",
            chrono::Utc::now(),
        );
        let id = item.id.clone();
        let item = shipped().apply(item, Some(Lang::Ar));
        assert_eq!(item.id, id);
        assert_eq!(item.tags.lang, Lang::Ar);
        // A killing is homicide, not violence, though its report speaks of a brawl.
        assert_eq!(item.tags.topics, ["homicide"]);
        assert_eq!(item.tags.places, ["zarqa"]);
    }

    #[test]
    fn bad_rules_are_errors_naming_what_is_wrong() {
        let mut config = shipped_config();
        config.topics[0].terms.push("،،،".into());
        let err = Enricher::from_config(&config).unwrap_err();
        assert!(matches!(err, Error::EmptyTopicTerm { .. }));
        assert!(err.to_string().contains(&config.topics[0].id));

        let mut config = shipped_config();
        config.places[1].aliases.push("ـــ".into());
        let err = Enricher::from_config(&config).unwrap_err();
        assert!(err.to_string().contains(&config.places[1].id), "{err}");
    }

    #[test]
    fn shared_english_corpus_is_english_and_rarely_tagged_outside_news() {
        let Some(items) = corpus("en_news.jsonl.gz", 30_000) else {
            return;
        };
        let (mut english, mut tagged_sport, mut sport, mut tagged_earn, mut earn) = (0, 0, 0, 0, 0);
        for (title, body, cat) in &items {
            let tags = shipped().tags_for(title, body, None);
            english += usize::from(tags.lang == Lang::En);
            let tagged = usize::from(!tags.topics.is_empty());
            if cat.ends_with("sport") {
                sport += 1;
                tagged_sport += tagged;
            } else if cat == "reuters-earn" {
                earn += 1;
                tagged_earn += tagged;
            }
        }
        let n = items.len();
        assert!(
            english * 1000 >= n * 995,
            "{english} of {n} detected as English"
        );
        assert!(
            sport > 100 && earn > 1000,
            "unexpected corpus: {sport} sport, {earn} earn"
        );
        // Sport and company results are not security news.
        assert!(
            tagged_sport * 100 <= sport * 4,
            "{tagged_sport} of {sport} sport items tagged"
        );
        assert!(
            tagged_earn * 1000 <= earn * 5,
            "{tagged_earn} of {earn} earnings items tagged"
        );
    }

    #[test]
    fn shared_arabic_corpus_is_arabic_and_rarely_placed_in_jordan() {
        // Saudi newspapers: Arabic, and only now and then about Jordan.
        let Some(items) = corpus("ar_news.jsonl.gz", 4_000) else {
            return;
        };
        let (mut arabic, mut placed) = (0, 0);
        for (title, body, _) in &items {
            let tags = shipped().tags_for(title, body, None);
            arabic += usize::from(tags.lang == Lang::Ar);
            placed += usize::from(!tags.places.is_empty());
        }
        let n = items.len();
        assert!(
            arabic * 1000 >= n * 998,
            "{arabic} of {n} detected as Arabic"
        );
        assert!(
            placed * 100 <= n * 4,
            "{placed} of {n} placed in a Jordanian governorate"
        );
    }

    /// `cargo test -p rasd-enrich --release -- --ignored --nocapture throughput`
    #[test]
    #[ignore = "benchmark: run in release"]
    fn throughput() {
        let Some(mut items) = corpus("en_news.jsonl.gz", 40_000) else {
            return;
        };
        items.extend(corpus("ar_news.jsonl.gz", 10_000).unwrap_or_default());
        let e = shipped();
        let start = std::time::Instant::now();
        let mut topics = 0usize;
        for (title, body, _) in &items {
            topics += e.tags_for(title, body, None).topics.len();
        }
        let rate = items.len() as f64 / start.elapsed().as_secs_f64();
        println!(
            "{} items, {topics} topics, {rate:.0} items/s on one thread",
            items.len()
        );
        assert!(rate >= 20_000.0, "{rate:.0} items/s");
    }
}
