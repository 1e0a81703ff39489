//! The places gazetteer compiled from `places.toml`.
//!
//! Every place's Arabic name, English name and aliases map to the governorate it lies in;
//! a text's places are the governorates of the names found in it. Names match with the
//! Arabic article kept (see [`crate::tokens`]).
//!
//! ## Amman or Oman
//!
//! Unvowelled Arabic writes Amman (عَمّان) and Oman (عُمان) the same: `عمان`. The bare word
//! `عمان` therefore counts for Amman only when the text gives no sign of the Sultanate:
//! `سلطنة عمان`, `مسقط` (but not `مسقط رأسه`, "his home town"), other Omani places (`صلالة`,
//! `ظفار`…), `العماني` and its inflections, Oman in a list of Gulf states (`البحرين وعمان`),
//! or in Latin letters `Oman`, `Omani`, `Muscat`, `Sultanate`. When such a sign
//! is present, Amman is still tagged if another Amman name is found (`جبل عمان`, `أمانة عمان`,
//! `عبدون`, `Amman`…), since those are not ambiguous. The English `Amman` never is.

use rasd_core::PlaceConfig;
use tracing::warn;

use crate::phrase::PhraseSet;
use crate::tokens::{Analyzed, Mode, Vocab, term_tokens};
use crate::{Error, Result};

/// The Arabic word shared by Amman and Oman.
const AMBIGUOUS_AMMAN: &str = "عمان";

/// Signs that a text is about the Sultanate of Oman.
const OMAN_SIGNS: &[&str] = &[
    "سلطنة عمان",
    "صلالة",
    "ظفار",
    "صحار",
    "نزوى",
    "الدقم",
    "السلطان قابوس",
    "السلطان هيثم",
    "العماني",
    "العمانية",
    "العمانيين",
    "العمانيون",
    // Oman in a list of Gulf states.
    "البحرين وعمان",
    "الكويت وعمان",
    "قطر وعمان",
    "الإمارات وعمان",
    "السعودية وعمان",
    "اليمن وعمان",
    "عمان والبحرين",
    "عمان والكويت",
    "عمان وقطر",
    "عمان والإمارات",
    "عمان والسعودية",
    "عمان واليمن",
    "Oman",
    "Omani",
    "Omanis",
    "Muscat",
    "Sultanate",
];

/// Muscat, which is also the first word of "home town" (`مسقط رأسه`).
const MUSCAT: &str = "مسقط";

/// "Home town" phrases, which do not count as Muscat.
const HOME_TOWN: &[&str] = &[
    "مسقط رأس",
    "مسقط رأسه",
    "مسقط رأسها",
    "مسقط رأسي",
    "مسقط رأسهم",
];

/// What a name sequence means.
#[derive(Debug, Clone, Default)]
struct Entry {
    /// Indices into `governorates`.
    governorates: Vec<u16>,
    /// The names as written in `places.toml`, for explanations.
    names: Vec<String>,
    /// The bare `عمان`.
    ambiguous: bool,
    /// One of [`OMAN_SIGNS`] or [`MUSCAT`].
    oman_sign: bool,
}

/// Place names of all places in one [`PhraseSet`].
#[derive(Debug, Clone, Default)]
pub(crate) struct Gazetteer {
    governorates: Vec<String>,
    set: PhraseSet,
    entries: Vec<Entry>,
}

impl Gazetteer {
    /// Compiles `places`, interning their words into `vocab`.
    pub(crate) fn new(places: &[PlaceConfig], vocab: &mut Vocab) -> Result<Gazetteer> {
        let mut g = Gazetteer::default();
        for place in places {
            let gov = g.governorate_index(&place.governorate);
            let names = [&place.name_ar, &place.name_en]
                .into_iter()
                .chain(&place.aliases);
            for name in names {
                let words = term_tokens(name, Mode::Place);
                if words.is_empty() {
                    return Err(Error::EmptyPlaceName {
                        place: place.id.clone(),
                        name: name.clone(),
                    });
                }
                let seq = g.seq(&words, vocab);
                let entry = &g.entries[seq];
                if !entry.governorates.contains(&gov) {
                    if let Some(&other) = entry.governorates.first() {
                        warn!(
                            place = %place.id,
                            name = %name,
                            other_governorate = %g.governorates[usize::from(other)],
                            "Place name is listed under two governorates; it tags both."
                        );
                    }
                    g.entries[seq].governorates.push(gov);
                }
                if !g.entries[seq].names.contains(name) {
                    g.entries[seq].names.push(name.clone());
                }
            }
        }
        let s = g.seq(&term_tokens(AMBIGUOUS_AMMAN, Mode::Place), vocab);
        g.entries[s].ambiguous = true;
        for sign in OMAN_SIGNS {
            let s = g.seq(&term_tokens(sign, Mode::Place), vocab);
            g.entries[s].oman_sign = true;
        }
        let s = g.seq(&term_tokens(MUSCAT, Mode::Place), vocab);
        g.entries[s].oman_sign = true;
        for phrase in HOME_TOWN {
            // Only there to swallow the Muscat inside it (the longest match wins).
            g.seq(&term_tokens(phrase, Mode::Place), vocab);
        }
        Ok(g)
    }

    fn governorate_index(&mut self, id: &str) -> u16 {
        if let Some(i) = self.governorates.iter().position(|g| g == id) {
            return u16::try_from(i).unwrap_or(u16::MAX);
        }
        self.governorates.push(id.to_string());
        u16::try_from(self.governorates.len() - 1).unwrap_or(u16::MAX)
    }

    /// The index of the entry for `words`, creating it if new.
    fn seq(&mut self, words: &[String], vocab: &mut Vocab) -> usize {
        let ids: Vec<u32> = words.iter().map(|w| vocab.intern(w)).collect();
        let seq = self.set.insert(&ids) as usize;
        if self.entries.len() <= seq {
            self.entries.resize(seq + 1, Entry::default());
        }
        seq
    }

    /// The governorates found in `text`, each with the names that placed it there, sorted by
    /// governorate id.
    ///
    /// A name found inside a longer name is dropped (the longest match wins): `البتراء` in
    /// `ملعب البتراء`, `عمان` in `جبل عمان` or `سلطنة عمان`, `مسقط` in `مسقط رأسه`.
    pub(crate) fn explain(&self, text: &Analyzed) -> Vec<(String, Vec<String>)> {
        let mut hits = Vec::new();
        self.set.find(&text.place, &mut hits);
        // Longest first among hits that start together; then drop every hit that ends inside
        // an earlier (so longer or equal-start) one.
        let span = |&(start, seq): &(usize, u32)| (start, start + self.set.seq_len(seq));
        hits.sort_by_key(|h| {
            let (start, end) = span(h);
            (start, std::cmp::Reverse(end))
        });
        let mut kept = Vec::with_capacity(hits.len());
        let mut reach = 0usize;
        for h in hits {
            let (_, end) = span(&h);
            if end > reach {
                reach = end;
                kept.push(h.1);
            }
        }
        let oman = kept.iter().any(|&seq| self.entries[seq as usize].oman_sign);
        kept.sort_unstable();
        kept.dedup();

        let mut found: Vec<Vec<&str>> = vec![Vec::new(); self.governorates.len()];
        for &seq in &kept {
            let e = &self.entries[seq as usize];
            if e.ambiguous && oman {
                continue;
            }
            for &g in &e.governorates {
                found[usize::from(g)].extend(e.names.iter().map(String::as_str));
            }
        }
        found
            .into_iter()
            .zip(&self.governorates)
            .filter(|(names, _)| !names.is_empty())
            .map(|(names, gov)| (gov.clone(), names.into_iter().map(str::to_string).collect()))
            .collect::<std::collections::BTreeMap<String, Vec<String>>>()
            .into_iter()
            .collect()
    }

    /// The governorate ids found in `text`, sorted, without duplicates.
    pub(crate) fn locate(&self, text: &Analyzed) -> Vec<String> {
        self.explain(text).into_iter().map(|(g, _)| g).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rasd_core::PlaceKind;

    fn place(id: &str, gov: &str, ar: &str, en: &str, aliases: &[&str]) -> PlaceConfig {
        PlaceConfig {
            id: id.to_string(),
            kind: if id == gov {
                PlaceKind::Governorate
            } else {
                PlaceKind::City
            },
            governorate: gov.to_string(),
            name_ar: ar.to_string(),
            name_en: en.to_string(),
            aliases: aliases.iter().map(|s| s.to_string()).collect(),
        }
    }

    fn gazetteer() -> (Gazetteer, Vocab) {
        let mut v = Vocab::default();
        let g = Gazetteer::new(
            &[
                place("amman", "amman", "عمان", "Amman", &["العاصمة عمان"]),
                place("jabal_amman", "amman", "جبل عمان", "Jabal Amman", &[]),
                place("salt", "balqa", "السلط", "Al-Salt", &["As-Salt"]),
                place("zarqa", "zarqa", "الزرقاء", "Zarqa", &["Zarka"]),
            ],
            &mut v,
        )
        .unwrap();
        (g, v)
    }

    fn locate(text: &str) -> Vec<String> {
        let (g, v) = gazetteer();
        g.locate(&Analyzed::new(&v, &[text]))
    }

    #[test]
    fn names_and_aliases_map_to_governorates() {
        assert_eq!(locate("حادث في السلط والزرقاء"), ["balqa", "zarqa"]);
        assert_eq!(locate("Fire in As-Salt and Zarka"), ["balqa", "zarqa"]);
        assert_eq!(locate("وصل إلى عمان مساء"), ["amman"]);
    }

    #[test]
    fn the_article_is_part_of_a_place_name() {
        assert!(locate("سلط التقرير الضوء على المشكلة").is_empty());
        assert!(locate("سيارة زرقاء").is_empty());
    }

    #[test]
    fn oman_signs_suppress_bare_amman() {
        assert!(locate("زيارة رسمية إلى سلطنة عمان").is_empty());
        assert!(locate("وصل الوفد إلى مسقط عاصمة عمان").is_empty());
        assert!(locate("الريال العماني يرتفع في عمان").is_empty());
        // An unambiguous Amman name still counts.
        assert_eq!(locate("مسؤول من سلطنة عمان يزور جبل عمان"), ["amman"]);
        // "Home town" is not Muscat.
        assert_eq!(locate("عاد إلى مسقط رأسه في عمان"), ["amman"]);
        // English Amman is never Oman.
        assert_eq!(locate("Omani delegation visits Amman"), ["amman"]);
    }

    #[test]
    fn empty_name_is_an_error() {
        let mut v = Vocab::default();
        let err = Gazetteer::new(&[place("x", "x", "ـ", "X", &[])], &mut v).unwrap_err();
        assert!(err.to_string().contains("\"x\""), "{err}");
    }
}
