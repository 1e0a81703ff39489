//! The `about_police` flag: is an item about the Public Security Directorate (PSD) or one of
//! its branches?
//!
//! [`PoliceRules`] compiles `[police]` of `topics.toml` ([`PoliceConfig`]): `terms` name the
//! directorate or a branch (الأمن العام، الدرك، الدفاع المدني، إدارة السير, "Public Security
//! Directorate"…) and are enough alone; `local_terms` are generic words (الشرطة، رجال الأمن,
//! "police") that count only when the item is placed in Jordan, since a story about another
//! country's police is not about the directorate; `exclude` phrases name other countries'
//! forces ("الأمن العام اللبناني", "Israeli police") and hide the terms inside them, so one
//! foreign mention does not veto an item that also names the directorate. Matching is the
//! topic rules' (diacritics, hamza forms, clitics and English plurals ignored; a phrase stays
//! in one clause).
//!
//! Other Arab states have a "الأمن العام", a "الدفاع المدني" and a "مكافحة المخدرات" too, so a
//! term counts only in an item that is not about another country: one that is placed in
//! Jordan (a place of `places.toml`, or a `jordan` name: الأردن، Jordanian), or one that
//! names no `foreign` country, city, region or force (a Jordanian outlet's report of the
//! directorate seldom says "Jordan"). The police topics (police_conduct, psd_activity) are
//! any country's police: they set the flag in an Arabic item that names no other country, and
//! in an English one only when it is placed in Jordan (English wire news is mostly about other
//! countries).

use rasd_core::PoliceConfig;

use crate::Result;
use crate::phrase::{PhraseSet, RoledPhrases};
use crate::tokens::{Analyzed, Vocab};

/// What a phrase of the set stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Term,
    Local,
    Exclude,
    Jordan,
    Foreign,
}

/// Where an item is, for the flag.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Context {
    /// A place of `places.toml` was found.
    pub placed_in_jordan: bool,
    /// The item is in Arabic (where the directorate's reports need not name Jordan).
    pub arabic: bool,
}

/// The compiled `[police]` rules.
#[derive(Debug, Clone, Default)]
pub(crate) struct PoliceRules {
    set: PhraseSet,
    /// Role of each phrase of `set`; a phrase listed in two roles keeps the strongest
    /// (exclude, then term, then local).
    roles: Vec<Role>,
    /// The entries as written, per phrase, for explanations.
    written: Vec<String>,
}

impl PoliceRules {
    /// Compiles the rules, interning their words into `vocab`.
    pub(crate) fn new(cfg: &PoliceConfig, vocab: &mut Vocab) -> Result<PoliceRules> {
        // Later lists are stronger: exclude beats term beats local beats the names of places.
        let lists = [
            (&cfg.foreign[..], Role::Foreign),
            (&cfg.jordan[..], Role::Jordan),
            (&cfg.local_terms[..], Role::Local),
            (&cfg.terms[..], Role::Term),
            (&cfg.exclude[..], Role::Exclude),
        ];
        let RoledPhrases {
            set,
            roles,
            written,
        } = RoledPhrases::new(&lists, "police", vocab)?;
        Ok(PoliceRules {
            set,
            roles,
            written,
        })
    }

    /// The entries found in `text` that count, as written: (directorate terms, local terms).
    pub(crate) fn found(&self, text: &Analyzed) -> (Vec<&str>, Vec<&str>) {
        let f = self.find(text);
        (f.terms, f.locals)
    }

    /// The directorate terms and local terms found in `text` (outside another country's
    /// force), as written: the names of the police in it, wherever the item is.
    pub(crate) fn mentions(&self, text: &Analyzed) -> Vec<&str> {
        let f = self.find(text);
        f.terms.into_iter().chain(f.locals).collect()
    }

    /// Every kind of entry found in `text`.
    fn find(&self, text: &Analyzed) -> Found<'_> {
        let mut hits = Vec::new();
        self.set.find(&text.topic, &mut hits);
        let span = |&(start, seq): &(usize, u32)| (start, start + self.set.seq_len(seq));
        let excluded: Vec<(usize, usize)> = hits
            .iter()
            .filter(|h| self.roles[h.1 as usize] == Role::Exclude)
            .map(span)
            .collect();
        let mut f = Found::default();
        for hit in &hits {
            let (start, end) = span(hit);
            let written = self.written[hit.1 as usize].as_str();
            if excluded.iter().any(|&(s, e)| s <= start && end <= e) {
                // Another country's force names that country.
                f.foreign = true;
                continue;
            }
            match self.roles[hit.1 as usize] {
                Role::Term if !f.terms.contains(&written) => f.terms.push(written),
                Role::Local if !f.locals.contains(&written) => f.locals.push(written),
                Role::Jordan => f.jordan = true,
                Role::Foreign => f.foreign = true,
                // An exclude hit lies inside its own span: counted above.
                _ => {}
            }
        }
        f
    }

    /// The flag: a directorate term, or a local term, in an item about Jordan (see the
    /// module docs); local terms need the item placed in Jordan. `police_topic`: the item has
    /// a police topic (police_conduct, psd_activity), which any country's police may have;
    /// in an item about Jordan it sets the flag too.
    pub(crate) fn flag(&self, text: &Analyzed, ctx: Context, police_topic: bool) -> bool {
        let f = self.find(text);
        let placed = ctx.placed_in_jordan || f.jordan;
        let ours = placed || !f.foreign;
        // A police topic is any country's police: in English (wire news is mostly about
        // other countries) it needs the item placed in Jordan.
        let topic_ours = placed || (ctx.arabic && !f.foreign);
        (ours && !f.terms.is_empty())
            || (topic_ours && police_topic)
            || (placed && !f.locals.is_empty())
    }
}

/// The police flag's evidence in one item (see [`crate::Enricher::explain_item`]).
#[derive(Debug, Clone, Default)]
pub struct PoliceWhy {
    /// Directorate names found, as written in `topics.toml`.
    pub terms: Vec<String>,
    /// Generic words found (they count only in an item placed in Jordan).
    pub local_terms: Vec<String>,
    /// A place of `places.toml` or a name of Jordan was found.
    pub placed_in_jordan: bool,
    /// Another country, its city or its force was named.
    pub names_other_country: bool,
    /// The names found count: the item is about Jordan (see the module docs).
    pub about_jordan: bool,
}

impl PoliceRules {
    /// The evidence behind [`PoliceRules::flag`].
    pub(crate) fn explain(&self, text: &Analyzed, ctx: Context) -> PoliceWhy {
        let f = self.find(text);
        let placed = ctx.placed_in_jordan || f.jordan;
        PoliceWhy {
            terms: f.terms.iter().map(|s| s.to_string()).collect(),
            local_terms: f.locals.iter().map(|s| s.to_string()).collect(),
            placed_in_jordan: placed,
            names_other_country: f.foreign,
            about_jordan: placed || !f.foreign,
        }
    }
}

/// What [`PoliceRules::find`] found.
#[derive(Debug, Default)]
struct Found<'a> {
    terms: Vec<&'a str>,
    locals: Vec<&'a str>,
    jordan: bool,
    foreign: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules() -> (PoliceRules, Vocab) {
        let cfg = PoliceConfig {
            terms: [
                "الأمن العام",
                "الدرك",
                "Public Security Directorate",
                "Civil Defence",
            ]
            .map(String::from)
            .to_vec(),
            local_terms: ["الشرطة", "police"].map(String::from).to_vec(),
            exclude: ["الأمن العام اللبناني", "الشرطة الإسرائيلية", "Israeli police"]
                .map(String::from)
                .to_vec(),
            jordan: ["الأردن", "Jordan"].map(String::from).to_vec(),
            foreign: ["السعودية", "جدة", "Egypt"].map(String::from).to_vec(),
            ..PoliceConfig::default()
        };
        let mut v = Vocab::default();
        let r = PoliceRules::new(&cfg, &mut v).unwrap();
        (r, v)
    }

    /// The flag of `text`, placed in Jordan by the gazetteer or not; Arabic when the text
    /// has an Arabic letter.
    fn flag(text: &str, placed_in_jordan: bool) -> bool {
        let (r, v) = rules();
        let ctx = Context {
            placed_in_jordan,
            arabic: text.chars().any(|c| ('\u{0600}'..='\u{06ff}').contains(&c)),
        };
        r.flag(&Analyzed::new(&v, &[text]), ctx, false)
    }

    #[test]
    fn directorate_names_are_enough_alone() {
        assert!(flag("أطلقت مديرية الأمن العام حملة توعية", false));
        assert!(
            flag("وبالأمن العام ترتبط الحملة", false),
            "clitics are ignored"
        );
        assert!(flag("قوات الدرك تنتشر", false));
        assert!(flag("The Public Security Directorate said in Amman", true));
        assert!(flag("The Public Security Directorate said", false));
        assert!(flag("civil defence crews in Jordan", false));
    }

    /// Other states have a "الأمن العام" and a "الدفاع المدني" too: seen in real Saudi news.
    #[test]
    fn directorate_names_of_another_country_are_not_ours() {
        assert!(!flag("أطلق الأمن العام حملة لضبط المخالفين في جدة", false));
        assert!(!flag("باشرت فرق الدفاع المدني الحريق. وفي السعودية", false));
        assert!(flag("أطلق الأمن العام حملة في جدة بالتعاون مع الأردن", false));
        assert!(
            flag("أطلق الأمن العام حملة في جدة", true),
            "a Jordanian place wins"
        );
        assert!(!flag("The Civil Defence said in Cairo, Egypt", false));
    }

    /// Another country's force of the same name as ours (Morocco's Royal Gendarmerie).
    #[test]
    fn foreign_forces_named_like_ours_are_not_ours() {
        let cfg = PoliceConfig {
            terms: vec!["الدرك".to_string()],
            exclude: vec!["الدرك الملكي".to_string()],
            ..PoliceConfig::default()
        };
        let mut v = Vocab::default();
        let r = PoliceRules::new(&cfg, &mut v).unwrap();
        let ctx = Context {
            placed_in_jordan: false,
            arabic: true,
        };
        assert!(!r.flag(
            &Analyzed::new(&v, &["الدرك الملكي يوقف مشتبها به"]),
            ctx,
            false
        ));
        assert!(r.flag(
            &Analyzed::new(&v, &["قوات الدرك توقف مشتبها به"]),
            ctx,
            false
        ));
    }

    #[test]
    fn generic_words_need_jordan() {
        assert!(!flag("ألقت الشرطة القبض على اللص", false));
        assert!(flag("ألقت الشرطة القبض على اللص", true));
        assert!(flag("ألقت الشرطة الأردنية القبض على اللص في الأردن", false));
        assert!(!flag("Police in London arrested two men", false));
    }

    #[test]
    fn foreign_forces_are_hidden_not_vetoing() {
        assert!(!flag("قال الأمن العام اللبناني إن", true));
        assert!(!flag("اعتقلت الشرطة الإسرائيلية شابين", true));
        assert!(!flag("Israeli police raided", true));
        assert!(
            flag("خلافا للأمن العام اللبناني، أعلن الأمن العام في عمان", true),
            "a second mention, in Jordan, still counts"
        );
        assert!(
            !flag("خلافا للأمن العام اللبناني، أعلن الأمن العام", false),
            "another country's force names another country"
        );
    }

    #[test]
    fn empty_entry_is_an_error() {
        let cfg = PoliceConfig {
            terms: vec!["،".to_string()],
            ..PoliceConfig::default()
        };
        let err = PoliceRules::new(&cfg, &mut Vocab::default()).unwrap_err();
        assert!(err.to_string().contains("police"), "{err}");
    }

    #[test]
    fn no_rules_no_flag() {
        let r = PoliceRules::default();
        let ctx = Context {
            placed_in_jordan: true,
            arabic: true,
        };
        assert!(!r.flag(
            &Analyzed::new(&Vocab::default(), &["الأمن العام"]),
            ctx,
            false
        ));
    }
}
