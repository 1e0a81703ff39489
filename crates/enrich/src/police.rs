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

use rasd_core::PoliceConfig;

use crate::phrase::PhraseSet;
use crate::tokens::{Analyzed, Mode, Vocab, term_tokens};
use crate::{Error, Result};

/// What a phrase of the set stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Term,
    Local,
    Exclude,
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
        let mut rules = PoliceRules::default();
        let lists = [
            (&cfg.local_terms, Role::Local),
            (&cfg.terms, Role::Term),
            (&cfg.exclude, Role::Exclude),
        ];
        for (list, role) in lists {
            for entry in list {
                let words = term_tokens(entry, Mode::Topic);
                if words.is_empty() {
                    return Err(Error::EmptyTopicTerm {
                        topic: "police".to_string(),
                        term: entry.clone(),
                    });
                }
                let ids: Vec<u32> = words.iter().map(|w| vocab.intern(w)).collect();
                let seq = rules.set.insert(&ids) as usize;
                if rules.roles.len() <= seq {
                    rules.roles.resize(seq + 1, role);
                    rules.written.resize(seq + 1, String::new());
                    rules.written[seq] = entry.clone();
                }
                // Later lists are stronger: exclude beats term beats local.
                rules.roles[seq] = role;
            }
        }
        Ok(rules)
    }

    /// True when no rule is configured.
    pub(crate) fn is_empty(&self) -> bool {
        self.roles.is_empty()
    }

    /// The entries found in `text` that count, as written: (directorate terms, local terms).
    pub(crate) fn found(&self, text: &Analyzed) -> (Vec<&str>, Vec<&str>) {
        let mut hits = Vec::new();
        self.set.find(&text.topic, &mut hits);
        let span = |&(start, seq): &(usize, u32)| (start, start + self.set.seq_len(seq));
        let excluded: Vec<(usize, usize)> = hits
            .iter()
            .filter(|h| self.roles[h.1 as usize] == Role::Exclude)
            .map(span)
            .collect();
        let (mut terms, mut locals) = (Vec::new(), Vec::new());
        for hit in &hits {
            let (start, end) = span(hit);
            if excluded.iter().any(|&(s, e)| s <= start && end <= e) {
                continue;
            }
            let written = self.written[hit.1 as usize].as_str();
            match self.roles[hit.1 as usize] {
                Role::Term if !terms.contains(&written) => terms.push(written),
                Role::Local if !locals.contains(&written) => locals.push(written),
                _ => {}
            }
        }
        (terms, locals)
    }

    /// The flag: a directorate term, or a local term in an item placed in Jordan.
    pub(crate) fn about_police(&self, text: &Analyzed, in_jordan: bool) -> bool {
        if self.is_empty() {
            return false;
        }
        let (terms, locals) = self.found(text);
        !terms.is_empty() || (in_jordan && !locals.is_empty())
    }
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
        };
        let mut v = Vocab::default();
        let r = PoliceRules::new(&cfg, &mut v).unwrap();
        (r, v)
    }

    fn flag(text: &str, in_jordan: bool) -> bool {
        let (r, v) = rules();
        r.about_police(&Analyzed::new(&v, &[text]), in_jordan)
    }

    #[test]
    fn directorate_names_are_enough_alone() {
        assert!(flag("أطلقت مديرية الأمن العام حملة توعية", false));
        assert!(
            flag("وبالأمن العام ترتبط الحملة", false),
            "clitics are ignored"
        );
        assert!(flag("قوات الدرك تنتشر", false));
        assert!(flag("The Public Security Directorate said", false));
        assert!(flag("civil defence crews", false));
    }

    #[test]
    fn generic_words_need_jordan() {
        assert!(!flag("ألقت الشرطة القبض على اللص", false));
        assert!(flag("ألقت الشرطة القبض على اللص", true));
        assert!(!flag("Police in London arrested two men", false));
    }

    #[test]
    fn foreign_forces_are_hidden_not_vetoing() {
        assert!(!flag("قال الأمن العام اللبناني إن", true));
        assert!(!flag("اعتقلت الشرطة الإسرائيلية شابين", true));
        assert!(!flag("Israeli police raided", true));
        assert!(
            flag("خلافا للأمن العام اللبناني، أعلن الأمن العام في عمان", false),
            "a second, local mention still counts"
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
        assert!(!r.about_police(&Analyzed::new(&Vocab::default(), &["الأمن العام"]), true));
    }
}
