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
//!
//! ## The place of the event, apart from places merely named
//!
//! A text names places for many reasons: where the event happened, the road it happened on
//! (`طريق عمان - العقبة`), where a bus came from or went (`قادمة من العقبة`, `إلى عمان`), the
//! reporter's dateline (`عمان - بترا -`, `AMMAN (Reuters) -`), where a person lives or comes
//! from (`من سكان الزرقاء`, `ابن محافظة معان`), the hospital the injured were taken to, an
//! earlier event (`كما حدث في إربد`). [`Gazetteer::read`] gives every name found a [`Role`]
//! from the words around it (the cues below), then picks the event places by tiers:
//!
//! 1. [`Basis::Marker`]: governorates named after a locative marker (`في`, `قرب`, `بالقرب من`,
//!    `منطقة`, `لواء`, `محافظة`, a glued `ب`, `near`, `in`, `at`…) in the title or the first
//!    [`LEAD_WORDS`] words of the body;
//! 2. else [`Basis::Plain`]: governorates named with no cue at all (today's reading: a name
//!    in the text places the item);
//! 3. else [`Basis::Route`]: the governorates of the road the event happened on;
//! 4. else [`Basis::Weak`]: every governorate found (dateline, origin, destination,
//!    hospital, comparison): a dateline alone is weak evidence, but it is all there is, and
//!    recall does not drop.
//!
//! The other governorates found are "named" ([`PlaceReading::named`]). A town named after a
//! marker (`قرب القطرانة`) therefore beats the cities of the route (`من العقبة إلى عمان`):
//! the most specific place wins.
//!
//! A cue is found by walking back from the name over words that only join (`بين`,
//! `الواصل`, `the`, `and`, another place name…), in one clause: `الطريق الواصل بين إربد
//! وعمان` is a route for both names; `في الرمثا وإربد` puts both after `في` (a list needs
//! `و` or `and` before the second name). From/to words (`من`, `إلى`, `from`, `to`) let the
//! walk go on, since a route cue may lie further back (`طريق من العقبة إلى عمان`). English
//! road words and a few Arabic phrases count after the name (`the Irbid-Amman road`,
//! `Karak Government Hospital`, `في إربد العام الماضي`).

use rasd_core::PlaceConfig;
use tracing::warn;

use crate::phrase::PhraseSet;
use crate::tokens::{Analyzed, GLUED_BA, GLUED_LAM, GLUED_WAW, Mode, Vocab, term_tokens};
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

/// Words of a part's start where a locative marker places the event: the title and about
/// the first two sentences of the body.
pub const LEAD_WORDS: usize = 60;

/// At most this many words of an agency's or reporter's name before the dash that a
/// dateline's place follows (`محمد البلوي – تبوك`, `عين اليوم – عمان`).
const DATELINE_AGENCY_WORDS: usize = 3;

/// How far back (in words) the walk from a name looks for a cue.
const WALK_WORDS: usize = 8;

/// How far back from `في X` a hospital word makes X the hospital's town (`نقل إلى المستشفى
/// الإسلامي في عمان`).
const HOSPITAL_LOOKBACK: usize = 5;

/// What the words around a place name say about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Role {
    /// After a locative marker (`في`, `قرب`, `منطقة`, a glued `ب`, `near`…) in the title or
    /// the lead: the place of the event.
    Event,
    /// No cue: counts as the event place when no name has a marker (the reading before roles).
    Plain,
    /// Part of a road's name or of a route between places (`طريق عمان - العقبة`, `the
    /// Irbid-Amman road`).
    Route,
    /// The dateline at the start of the title or body (`عمان - بترا -`, `AMMAN (Reuters) -`).
    Dateline,
    /// Where a person or vehicle comes from or lives (`قادمة من`, `من سكان`, `ابن`, `from`).
    Origin,
    /// Where someone or something was going (`إلى`, `باتجاه`, `to`).
    Destination,
    /// The hospital the injured were taken to (`مستشفى الكرك الحكومي`, `a hospital in Amman`).
    Hospital,
    /// An earlier or other event (`كما حدث في`, `على غرار`, `العام الماضي`).
    Comparison,
}

impl Role {
    /// The role's name, as `rasd classify --explain` writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Event => "event",
            Role::Plain => "plain",
            Role::Route => "route",
            Role::Dateline => "dateline",
            Role::Origin => "origin",
            Role::Destination => "destination",
            Role::Hospital => "hospital",
            Role::Comparison => "comparison",
        }
    }

    /// True for roles that say the name is not where the event happened.
    pub fn only_named(self) -> bool {
        !matches!(self, Role::Event | Role::Plain)
    }
}

/// Which evidence chose the event places (the tiers of the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Basis {
    /// Names after a locative marker in the lead.
    Marker,
    /// Names with no cue.
    Plain,
    /// Only roads and routes: their places.
    Route,
    /// Only datelines, origins, destinations, hospitals or comparisons: all of them.
    Weak,
    /// No place name.
    Nothing,
}

impl Basis {
    /// A short English phrase for explanations.
    pub fn as_str(self) -> &'static str {
        match self {
            Basis::Marker => "locative marker",
            Basis::Plain => "named without a cue",
            Basis::Route => "route only",
            Basis::Weak => "only named (dateline, origin, destination, hospital or comparison)",
            Basis::Nothing => "no place",
        }
    }
}

/// One place name found, and how it was read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameReading {
    /// The name as written in `places.toml`.
    pub name: String,
    /// Its governorate ids.
    pub governorates: Vec<String>,
    /// What the words around it say.
    pub role: Role,
    /// The cue that gave the role, as written in the cue lists (`قرب`, `طريق`, `من سكان`), or
    /// `glued ب`, `glued ل`; `None` for [`Role::Plain`] and [`Role::Dateline`].
    pub cue: Option<String>,
}

/// Where a text's event happened and which other places it names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlaceReading {
    /// The governorates of the event, sorted: `Tags::places`.
    pub places: Vec<String>,
    /// The governorates named but not judged the event place, sorted: `Tags::places_named`.
    pub named: Vec<String>,
    /// Which evidence chose `places`.
    pub basis: Basis,
    /// Every name found with its reading, in text order (the same name, role and cue once).
    pub names: Vec<NameReading>,
}

/// What a cue says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CueKind {
    /// A locative marker.
    Locative,
    /// A road word.
    Route,
    /// Where from, or who lives there.
    Origin,
    /// Where to.
    Destination,
    /// A hospital.
    Hospital,
    /// Another event.
    Comparison,
    /// A word that only joins: the walk goes on.
    Glue,
    /// `and`: the walk goes on, and a list may take the marker before it.
    And,
}

/// Cues met before a name (walking back from it).
const BEFORE: &[(CueKind, &[&str])] = &[
    (
        CueKind::Locative,
        &[
            "في",
            "فى",
            "قرب",
            "بالقرب من",
            "قريب من",
            "قريبة من",
            "على مقربة من",
            "مقربة من",
            "منطقة",
            "مناطق",
            "ضمن",
            "لواء",
            "محافظة",
            "مدينة",
            "بلدة",
            "قرية",
            "مخيم",
            "حي",
            "داخل",
            "وسط",
            "أطراف",
            "ضواحي",
            "عند",
            "near",
            "in",
            "at",
            "outside",
            "inside",
            "around",
            "nearby",
        ],
    ),
    (
        CueKind::Route,
        &[
            "طريق",
            "الطريق",
            "أوتوستراد",
            "الأوتوستراد",
            "اوتستراد",
            "الاوتستراد",
            "أتوستراد",
            "road",
            "highway",
            "motorway",
            "expressway",
        ],
    ),
    (
        CueKind::Origin,
        &[
            "من",
            "من سكان",
            "من أهالي",
            "من أبناء",
            "ابن",
            "ابنة",
            "من مواليد",
            "ينحدر من",
            "تنحدر من",
            "ينحدرون من",
            "أصله من",
            "قادم من",
            "قادمة من",
            "القادم من",
            "القادمة من",
            "قادمين من",
            "القادمين من",
            "قادمون من",
            "يقيم في",
            "تقيم في",
            "المقيم في",
            "المقيمة في",
            "المقيمين في",
            "يسكن في",
            "تسكن في",
            "يقطن في",
            "from",
            "resident of",
            "residents of",
            "native of",
            "hails from",
        ],
    ),
    (
        CueKind::Destination,
        &["إلى", "باتجاه", "نحو", "to", "towards", "bound for"],
    ),
    (
        CueKind::Hospital,
        &["مستشفى", "المستشفى", "مستشفيات", "hospital"],
    ),
    (
        CueKind::Comparison,
        &[
            "كما حدث في",
            "مثلما حدث في",
            "كما جرى في",
            "مثلما جرى في",
            "على غرار",
            "على غرار ما حدث في",
            "as happened in",
            "similar to",
            "like the one in",
        ],
    ),
    (
        CueKind::Glue,
        &[
            "بين",
            "الواصل",
            "الرابط",
            "الواصلة",
            "الرابطة",
            "يربط",
            "المؤدي",
            "المؤدية",
            "الدولي",
            "الصحراوي",
            "السريع",
            "الرئيسي",
            "between",
            "linking",
            "connecting",
            "desert",
            "international",
            "the",
            "al",
            "el",
        ],
    ),
    (CueKind::And, &["and", "or"]),
];

/// Cues met after a name (walking forward from it).
const AFTER: &[(CueKind, &[&str])] = &[
    (
        CueKind::Route,
        &["road", "highway", "motorway", "expressway"],
    ),
    (CueKind::Hospital, &["hospital", "hospitals"]),
    (
        CueKind::Comparison,
        &["العام الماضي", "الشهر الماضي", "last year", "last month"],
    ),
    (
        CueKind::Glue,
        &[
            "desert",
            "international",
            "government",
            "governmental",
            "public",
            "university",
            "to",
        ],
    ),
];

/// Words that make `في X` a hospital's town when they come shortly before it.
const HOSPITAL_WORDS: &[&str] = &["مستشفى", "المستشفى", "hospital"];

/// A compiled cue list: sequences with what each one says, as written.
#[derive(Debug, Clone, Default)]
struct Cues {
    set: PhraseSet,
    /// Per sequence: kind and text (the first list a sequence appears in wins).
    what: Vec<Option<(CueKind, &'static str)>>,
}

impl Cues {
    fn new(lists: &[(CueKind, &[&'static str])], vocab: &mut Vocab) -> Cues {
        let mut cues = Cues::default();
        for (kind, words) in lists {
            for &w in *words {
                let ids: Vec<u32> = term_tokens(w, Mode::Place)
                    .iter()
                    .map(|t| vocab.intern(t))
                    .collect();
                let seq = cues.set.insert(&ids) as usize;
                if cues.what.len() <= seq {
                    cues.what.resize(seq + 1, None);
                }
                cues.what[seq].get_or_insert((*kind, w));
            }
        }
        cues
    }

    /// For each position of `text`, the longest cue ending there and the longest cue
    /// starting there: `(start, end, kind, text)`.
    fn index(&self, text: &[[u32; 2]]) -> CueIndex {
        let mut hits = Vec::new();
        self.set.find(text, &mut hits);
        let mut ending = vec![None; text.len()];
        let mut starting = vec![None; text.len()];
        for (start, seq) in hits {
            let Some((kind, cue)) = self.what[seq as usize] else {
                continue;
            };
            let end = start + self.set.seq_len(seq);
            let longer = |old: &Option<Cue>| old.is_none_or(|c: Cue| end - start > c.end - c.start);
            let cue = Cue {
                start,
                end,
                kind,
                text: cue,
            };
            if longer(&ending[end - 1]) {
                ending[end - 1] = Some(cue);
            }
            if longer(&starting[start]) {
                starting[start] = Some(cue);
            }
        }
        CueIndex { ending, starting }
    }
}

/// One cue found in a text.
#[derive(Debug, Clone, Copy)]
struct Cue {
    start: usize,
    end: usize,
    kind: CueKind,
    text: &'static str,
}

/// Cues by position.
struct CueIndex {
    ending: Vec<Option<Cue>>,
    starting: Vec<Option<Cue>>,
}

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
    /// The first word starts with the article: a text word matching it through its primary
    /// form lost a glued preposition only if the word itself did not start with `ال`.
    article_first: bool,
}

/// Place names of all places in one [`PhraseSet`], and the cues read around them.
#[derive(Debug, Clone, Default)]
pub(crate) struct Gazetteer {
    governorates: Vec<String>,
    set: PhraseSet,
    entries: Vec<Entry>,
    before: Cues,
    after: Cues,
    hospital: Vec<u32>,
}

/// One name found in a text: its span and entry.
#[derive(Debug, Clone, Copy)]
struct Hit {
    start: usize,
    end: usize,
    seq: u32,
}

impl Gazetteer {
    /// Compiles `places`, interning their words (and the cue words) into `vocab`.
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
                g.entries[seq].article_first = words[0].starts_with("ال");
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
        g.before = Cues::new(BEFORE, vocab);
        g.after = Cues::new(AFTER, vocab);
        g.hospital = HOSPITAL_WORDS
            .iter()
            .flat_map(|w| term_tokens(w, Mode::Place))
            .map(|w| vocab.intern(&w))
            .collect();
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

    /// The place names found in `text` that count, in text order.
    ///
    /// A name found inside a longer name is dropped (the longest match wins): `البتراء` in
    /// `ملعب البتراء`, `عمان` in `جبل عمان` or `سلطنة عمان`, `مسقط` in `مسقط رأسه`. The bare
    /// `عمان` is dropped in a text about Oman, and so are the Oman signs themselves.
    fn hits(&self, text: &Analyzed) -> Vec<Hit> {
        let mut found = Vec::new();
        self.set.find(&text.place, &mut found);
        // Longest first among hits that start together; then drop every hit that ends inside
        // an earlier (so longer or equal-start) one.
        let span = |&(start, seq): &(usize, u32)| (start, start + self.set.seq_len(seq));
        found.sort_by_key(|h| {
            let (start, end) = span(h);
            (start, std::cmp::Reverse(end))
        });
        let mut kept = Vec::with_capacity(found.len());
        let mut reach = 0usize;
        for h in found {
            let (start, end) = span(&h);
            if end > reach {
                reach = end;
                kept.push(Hit {
                    start,
                    end,
                    seq: h.1,
                });
            }
        }
        let oman = kept.iter().any(|h| self.entries[h.seq as usize].oman_sign);
        kept.retain(|h| {
            let e = &self.entries[h.seq as usize];
            let oman_not_amman = e.ambiguous && oman;
            !e.governorates.is_empty() && !oman_not_amman
        });
        kept
    }

    /// Where the event of `text` happened, which governorates it only names, and why.
    pub(crate) fn read(&self, text: &Analyzed) -> PlaceReading {
        self.read_with(text, true)
    }

    /// [`Gazetteer::read`] without [`PlaceReading::names`] (left empty): what tagging needs,
    /// without a string per name found.
    pub(crate) fn read_tags(&self, text: &Analyzed) -> PlaceReading {
        self.read_with(text, false)
    }

    fn read_with(&self, text: &Analyzed, with_names: bool) -> PlaceReading {
        let hits = self.hits(text);
        if hits.is_empty() {
            return PlaceReading {
                places: Vec::new(),
                named: Vec::new(),
                basis: Basis::Nothing,
                names: Vec::new(),
            };
        }
        let before = self.before.index(&text.place);
        let after = self.after.index(&text.place);
        let roles: Vec<(Role, Option<String>)> = hits
            .iter()
            .map(|h| self.role(text, &hits, h, &before, &after))
            .collect();

        let tier = |pick: &dyn Fn(Role) -> bool| -> Vec<u16> {
            let mut govs: Vec<u16> = hits
                .iter()
                .zip(&roles)
                .filter(|(_, (role, _))| pick(*role))
                .flat_map(|(h, _)| self.entries[h.seq as usize].governorates.iter().copied())
                .collect();
            govs.sort_unstable();
            govs.dedup();
            govs
        };
        let (basis, chosen) = [
            (Basis::Marker, tier(&|r| r == Role::Event)),
            (Basis::Plain, tier(&|r| r == Role::Plain)),
            (Basis::Route, tier(&|r| r == Role::Route)),
        ]
        .into_iter()
        .find(|(_, govs)| !govs.is_empty())
        .unwrap_or_else(|| (Basis::Weak, tier(&|_| true)));
        let all = tier(&|_| true);
        let ids = |govs: &mut dyn Iterator<Item = u16>| -> Vec<String> {
            let mut v: Vec<String> = govs
                .map(|g| self.governorates[usize::from(g)].clone())
                .collect();
            v.sort_unstable();
            v
        };
        let places = ids(&mut chosen.iter().copied());
        let named = ids(&mut all.iter().copied().filter(|g| !chosen.contains(g)));

        let mut names: Vec<NameReading> = Vec::new();
        for (h, (role, cue)) in hits.iter().zip(roles).filter(|_| with_names) {
            let e = &self.entries[h.seq as usize];
            let reading = NameReading {
                name: e.names.first().cloned().unwrap_or_default(),
                governorates: ids(&mut e.governorates.iter().copied()),
                role,
                cue,
            };
            if !names.contains(&reading) {
                names.push(reading);
            }
        }
        PlaceReading {
            places,
            named,
            basis,
            names,
        }
    }

    /// The role of hit `h` among `hits`, with the cue that gave it.
    fn role(
        &self,
        text: &Analyzed,
        hits: &[Hit],
        h: &Hit,
        before: &CueIndex,
        after: &CueIndex,
    ) -> (Role, Option<String>) {
        let Some(part) = text
            .parts
            .iter()
            .find(|p| p.start <= h.start && h.start < p.end)
        else {
            return (Role::Plain, None);
        };
        // The dateline: opened by a place name, and this name lies in it (`عمان - بترا -`);
        // or the name right after an agency's or reporter's name and a dash (`بترا – عمان`).
        let dash = part.dateline_end;
        if dash > part.start
            && ((h.start < dash && hits.iter().any(|o| o.start == part.start))
                || (h.start == dash && dash - part.start <= DATELINE_AGENCY_WORDS))
        {
            return (Role::Dateline, None);
        }
        let in_lead = h.start < part.start + LEAD_WORDS;
        let event = |cue: String| {
            if in_lead {
                (Role::Event, Some(cue))
            } else {
                (Role::Plain, None)
            }
        };
        let from_cue = |c: &Cue| -> (Role, Option<String>) {
            let role = match c.kind {
                CueKind::Route => Role::Route,
                CueKind::Origin => Role::Origin,
                CueKind::Destination => Role::Destination,
                CueKind::Hospital => Role::Hospital,
                CueKind::Comparison => Role::Comparison,
                CueKind::Locative | CueKind::Glue | CueKind::And => Role::Event,
            };
            (role, Some(c.text.to_string()))
        };

        // After the name: a road, a hospital or a comparison word, over joining words and
        // other names (`Irbid-Amman road`, `Karak Government Hospital`).
        let mut j = h.end;
        let mut steps = 0;
        let after_role = loop {
            if j >= text.place.len() || text.barrier_between(j, j + 1) {
                break None;
            }
            if let Some(c) = after.starting[j] {
                if c.kind == CueKind::Glue {
                    j = c.end;
                } else {
                    break Some(from_cue(&c));
                }
            } else if let Some(o) = hits.iter().find(|o| o.start == j) {
                j = o.end;
            } else {
                break None;
            }
            steps += 1;
            if steps > WALK_WORDS {
                break None;
            }
        };
        if let Some(found) = after_role {
            return found;
        }

        // A name that opens with a hospital word (`مستشفى معان`) is a hospital wherever it is.
        if let Some(c) = before.starting[h.start]
            && c.end <= h.end
            && c.kind == CueKind::Hospital
        {
            return from_cue(&c);
        }

        // A preposition glued to the name itself: `بإربد`, `بالزرقاء`, `لعمان`.
        // The alternative form drops one letter: a leading `و` is then the only one glued
        // (`وبيرين` is "and Birein"). The primary form of an article-first name drops all.
        let first = text.place[h.start];
        let name_first = self.set.first(h.seq);
        let via_alt = first[0] != name_first && first[1] == name_first;
        let letters = text.glued.get(h.start).copied().unwrap_or(0);
        let glued = if via_alt && letters & GLUED_WAW != 0 {
            GLUED_WAW
        } else if via_alt || self.entries[h.seq as usize].article_first {
            letters
        } else {
            0
        };
        if glued & GLUED_BA != 0 {
            return event("glued ب".to_string());
        }
        if glued & GLUED_LAM != 0 {
            return (Role::Destination, Some("glued ل".to_string()));
        }
        let mut listed = glued & GLUED_WAW != 0;

        // Before the name: walk back over joining words and other names.
        let mut i = h.start;
        let mut crossed_name = false;
        let mut soft: Option<Cue> = None;
        let mut steps = 0;
        let walked = loop {
            if i <= part.start || steps > WALK_WORDS || text.barrier_between(i - 1, i) {
                break None;
            }
            if let Some(c) = before.ending[i - 1] {
                match c.kind {
                    CueKind::Glue => {}
                    CueKind::And => listed = true,
                    CueKind::Origin | CueKind::Destination => {
                        soft.get_or_insert(c);
                    }
                    CueKind::Locative => {
                        if soft.is_some() || (crossed_name && !listed) {
                            break None;
                        }
                        break Some(c);
                    }
                    CueKind::Route | CueKind::Hospital | CueKind::Comparison => break Some(c),
                }
                i = c.start;
            } else if let Some(o) = hits.iter().find(|o| o.end == i) {
                // Only a list (`في الرمثا وإربد`) takes a marker from past another name; a
                // route or a from/to cue reaches past any.
                crossed_name = true;
                i = o.start;
            } else {
                break None;
            }
            steps += 1;
        };
        match walked {
            Some(c) if c.kind == CueKind::Locative => {
                // `نقل إلى المستشفى الإسلامي في عمان`: the hospital's town.
                let from = c.start.saturating_sub(HOSPITAL_LOOKBACK).max(part.start);
                if let Some(k) = (from..c.start).rev().find(|&k| {
                    let [a, b] = text.place[k];
                    self.hospital.contains(&a) || self.hospital.contains(&b)
                }) && !text.barrier_between(k, c.start)
                {
                    let [a, _] = text.place[k];
                    let word = HOSPITAL_WORDS
                        .iter()
                        .zip(&self.hospital)
                        .find(|(_, id)| **id == a)
                        .map_or(HOSPITAL_WORDS[0], |(w, _)| *w);
                    return (Role::Hospital, Some(format!("{word} … {}", c.text)));
                }
                event(c.text.to_string())
            }
            Some(c) => from_cue(&c),
            None => match soft {
                Some(c) => from_cue(&c),
                None => match before.starting[h.start] {
                    // A name that opens with a marker: `محافظة معان`, `لواء سحاب`,
                    // `مستشفى معان`.
                    Some(c) if c.end <= h.end && c.kind == CueKind::Locative => {
                        event(c.text.to_string())
                    }
                    _ => (Role::Plain, None),
                },
            },
        }
    }

    /// Every governorate found in `text` (event and named), sorted, without duplicates.
    #[cfg(test)]
    pub(crate) fn locate(&self, text: &Analyzed) -> Vec<String> {
        let mut govs: Vec<u16> = self
            .hits(text)
            .iter()
            .flat_map(|h| self.entries[h.seq as usize].governorates.iter().copied())
            .collect();
        govs.sort_unstable();
        govs.dedup();
        let mut v: Vec<String> = govs
            .into_iter()
            .map(|g| self.governorates[usize::from(g)].clone())
            .collect();
        v.sort_unstable();
        v
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
                place("russeifa", "zarqa", "الرصيفة", "Russeifa", &[]),
                place("irbid", "irbid", "إربد", "Irbid", &["محافظة إربد"]),
                place("ramtha", "irbid", "الرمثا", "Ramtha", &[]),
                place("jerash", "jerash", "جرش", "Jerash", &[]),
                place(
                    "karak",
                    "karak",
                    "الكرك",
                    "Karak",
                    &["Kerak", "محافظة الكرك"],
                ),
                place("qatraneh", "karak", "القطرانة", "Qatraneh", &["Al-Qatrana"]),
                place("aqaba", "aqaba", "العقبة", "Aqaba", &[]),
                place("maan", "maan", "محافظة معان", "Ma'an", &["مستشفى معان"]),
                place("birein", "zarqa", "بلدة بيرين", "Birein", &["بيرين"]),
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

    /// `(places, places_named)` of a title and a body.
    fn read(title: &str, body: &str) -> (Vec<String>, Vec<String>) {
        let (g, v) = gazetteer();
        let r = g.read(&Analyzed::new(&v, &[title, body]));
        (r.places, r.named)
    }

    /// The reading of one body, for its roles.
    fn reading(body: &str) -> PlaceReading {
        let (g, v) = gazetteer();
        g.read(&Analyzed::new(&v, &["", body]))
    }

    fn role_of(body: &str, name: &str) -> (Role, Option<String>) {
        let r = reading(body);
        let n = r
            .names
            .iter()
            .find(|n| n.name == name)
            .unwrap_or_else(|| panic!("{name} not found in {body}: {r:?}"));
        (n.role, n.cue.clone())
    }

    #[test]
    fn qatraneh_crash_is_in_karak_and_the_route_only_named() {
        let (places, named) = read(
            "إصابة 14 شخصاً إثر تدهور حافلة ركاب على الطريق الصحراوي قرب القطرانة",
            "أُصيب 14 شخصاً صباح اليوم إثر تدهور حافلة ركاب على الطريق الصحراوي قرب منطقة              القطرانة. وقال مصدر أمني إن الحافلة كانت في طريقها من العقبة إلى عمّان، وإن              المصابين نقلوا إلى مستشفى الكرك الحكومي.",
        );
        assert_eq!(places, ["karak"]);
        assert_eq!(named, ["amman", "aqaba"]);
        // The same in English.
        let (places, named) = read(
            "14 injured as bus overturns on Desert Highway near Al-Qatrana",
            "The bus was carrying 31 passengers from Aqaba to Amman. The injured were taken to \
             Karak Government Hospital.",
        );
        assert_eq!(places, ["karak"]);
        assert_eq!(named, ["amman", "aqaba"]);
    }

    #[test]
    fn a_title_naming_the_route_only_keeps_the_town_of_the_body() {
        // "قادمة من العقبة" in the title, the town after "قرب".
        let (places, named) = read("حافلة قادمة من العقبة تنقلب قرب القطرانة", "");
        assert_eq!(
            (places, named),
            (vec!["karak".into()], vec!["aqaba".into()])
        );
    }

    #[test]
    fn dateline_is_only_named_when_the_event_is_elsewhere() {
        let (places, named) = read(
            "",
            "عمان - بترا - أصيب ثلاثة أشخاص في حادث تصادم في إربد صباح اليوم.",
        );
        assert_eq!(
            (places, named),
            (vec!["irbid".into()], vec!["amman".into()])
        );
        let (places, named) = read(
            "",
            "عمان 5 كانون الأول (بترا) - اندلع حريق في مستودع بالزرقاء.",
        );
        assert_eq!(
            (places, named),
            (vec!["zarqa".into()], vec!["amman".into()])
        );
        let (places, named) = read(
            "",
            "AMMAN (Reuters) - A fire in Zarqa killed two people on Tuesday.",
        );
        assert_eq!(
            (places, named),
            (vec!["zarqa".into()], vec!["amman".into()])
        );
        assert_eq!(
            role_of("عمان-بترا- قررت الحكومة رفع الأسعار في إربد", "عمان").0,
            Role::Dateline
        );
        // The agency first, then the city.
        let (places, named) = read("", "بترا – عمان أصيب شخصان بحادث سير في الزرقاء.");
        assert_eq!(
            (places, named),
            (vec!["zarqa".into()], vec!["amman".into()])
        );
        // A long date before the dash.
        assert_eq!(
            role_of(
                "عمان 25 شوال 1436 هـ الموافق 10 أغسطس 2015 (بترا) - وصلت قافلة إلى إربد",
                "عمان"
            )
            .0,
            Role::Dateline
        );
    }

    #[test]
    fn a_dateline_alone_still_places_the_item() {
        // Weak evidence, but all there is: kept in `places`, so recall does not drop.
        let r = reading("عمان - بترا - أعلنت الحكومة اليوم عن خطة جديدة للنقل العام.");
        assert_eq!(r.places, ["amman"]);
        assert!(r.named.is_empty());
        assert_eq!(r.basis, Basis::Weak);
        assert_eq!(r.names[0].role, Role::Dateline);
    }

    #[test]
    fn a_dash_later_in_the_text_or_inside_a_name_is_no_dateline() {
        // The first words are not a place.
        assert_eq!(
            role_of("وقع حادث على طريق إربد - عمان", "إربد").0,
            Role::Route
        );
        // `Al-Qatrana` is a name with a hyphen.
        assert_eq!(
            role_of(
                "Al-Qatrana residents said the road was closed",
                "Al-Qatrana"
            )
            .0,
            Role::Plain
        );
    }

    #[test]
    fn names_on_a_route_are_named_and_the_town_near_it_is_the_event() {
        let (places, named) = read("", "وقع حادث سير على طريق إربد - عمان قرب جرش.");
        assert_eq!(
            (places, named),
            (vec!["jerash".into()], vec!["amman".into(), "irbid".into()])
        );
        assert_eq!(
            role_of("حادث على الطريق الواصل بين إربد وعمان", "عمان"),
            (Role::Route, Some("الطريق".into()))
        );
        assert_eq!(
            role_of("حادث على الطريق الواصل بين إربد وعمان", "إربد").0,
            Role::Route
        );
        assert_eq!(
            role_of("A truck overturned on the Amman-Aqaba highway", "Amman"),
            (Role::Route, Some("highway".into()))
        );
        assert_eq!(
            role_of(
                "A truck overturned on the road between Irbid and Jerash",
                "Jerash"
            )
            .0,
            Role::Route
        );
    }

    #[test]
    fn a_route_alone_places_the_item_on_its_cities() {
        let r = reading("تدهور شاحنة على طريق عمان - العقبة وإصابة سائقها");
        assert_eq!(r.places, ["amman", "aqaba"]);
        assert_eq!(r.basis, Basis::Route);
    }

    #[test]
    fn from_and_to_are_only_named() {
        assert_eq!(
            role_of("الحافلة كانت متجهة من العقبة إلى عمان", "العقبة"),
            (Role::Origin, Some("من".into()))
        );
        assert_eq!(
            role_of("الحافلة كانت متجهة من العقبة إلى عمان", "عمان"),
            (Role::Destination, Some("إلى".into()))
        );
        assert_eq!(
            role_of("حافلة قادمة من العقبة انقلبت", "العقبة"),
            (Role::Origin, Some("قادمة من".into()))
        );
        // A glued ل is "to".
        assert_eq!(
            role_of("غادر الوفد لعمان مساء", "عمان"),
            (Role::Destination, Some("glued ل".into()))
        );
        // A route cue further back wins over from/to.
        assert_eq!(
            role_of("حادث على طريق من العقبة إلى عمان", "عمان").0,
            Role::Route
        );
    }

    #[test]
    fn where_a_person_lives_or_comes_from_is_only_named() {
        let (places, named) = read("", "توفي شاب في حادث سير في الرمثا، وهو من سكان الزرقاء.");
        assert_eq!(
            (places, named),
            (vec!["irbid".into()], vec!["zarqa".into()])
        );
        assert_eq!(
            role_of("الشاب ابن محافظة معان", "محافظة معان"),
            (Role::Origin, Some("ابن".into()))
        );
    }

    #[test]
    fn the_hospital_in_another_city_is_only_named() {
        let (places, named) = read(
            "",
            "أصيب شخصان في مشاجرة في الرمثا، ونقلا إلى المستشفى الإسلامي في عمان.",
        );
        assert_eq!(
            (places, named),
            (vec!["irbid".into()], vec!["amman".into()])
        );
        // A name that opens with the hospital word.
        assert_eq!(
            role_of("نقل إلى مستشفى معان", "مستشفى معان").0,
            Role::Hospital
        );
        // Alone, it still places the item.
        assert_eq!(
            reading("نقل المصاب إلى مستشفى معان الحكومي").places,
            ["maan"]
        );
    }

    #[test]
    fn a_comparison_is_only_named() {
        let (places, named) = read(
            "",
            "غرق طفل في بركة زراعية في جرش، كما حدث في إربد العام الماضي.",
        );
        assert_eq!(
            (places, named),
            (vec!["jerash".into()], vec!["irbid".into()])
        );
        assert_eq!(
            role_of("وقعت حادثة مشابهة في الرمثا العام الماضي", "الرمثا"),
            (Role::Comparison, Some("العام الماضي".into()))
        );
    }

    #[test]
    fn locative_markers_place_the_event() {
        assert_eq!(
            role_of("حريق بالزرقاء", "الزرقاء"),
            (Role::Event, Some("glued ب".into()))
        );
        assert_eq!(
            role_of("حريق بإربد", "إربد"),
            (Role::Event, Some("glued ب".into()))
        );
        // A name that starts with ب is not "in": `بيرين` is Birein, and `وبيرين` "and Birein".
        assert_eq!(role_of("زار الوفد بيرين", "بيرين").0, Role::Plain);
        assert_eq!(role_of("زار الوفد الرصيفة وبيرين", "بيرين").0, Role::Plain);
        // A list takes the marker before it; a name after another one without `و` does not.
        assert_eq!(role_of("حوادث في الرمثا وإربد", "إربد").0, Role::Event);
        assert_eq!(
            role_of("حادث قرب القطرانة جنوب عمان", "عمان").0,
            Role::Plain
        );
        assert_eq!(role_of("Fires in Zarqa and Irbid", "Irbid").0, Role::Event);
        // A name that opens with a marker.
        assert_eq!(
            role_of("أعلن مجلس محافظة إربد", "محافظة إربد").0,
            Role::Event
        );
    }

    #[test]
    fn a_marker_far_into_the_body_is_no_stronger_than_a_plain_name() {
        let filler = "وقال المصدر إن التحقيقات جارية لمعرفة أسباب الحادث ".repeat(10);
        let r = reading(&format!(
            "حادث تصادم في جرش. {filler} وزار المحافظ موقعا في الزرقاء."
        ));
        assert_eq!(r.places, ["jerash"]);
        assert_eq!(r.named, ["zarqa"]);
        let r = reading(&format!("حادث تصادم مروع. {filler} وقع الحادث في الزرقاء."));
        assert_eq!(r.places, ["zarqa"]);
        assert_eq!(r.basis, Basis::Plain);
    }

    #[test]
    fn plain_names_keep_todays_reading() {
        // No cue anywhere: every governorate found is an event place.
        let r = reading("الزرقاء وإربد تتصدران قائمة المحافظات الأكثر ازدحاما");
        assert_eq!(r.places, ["irbid", "zarqa"]);
        assert!(r.named.is_empty());
        assert_eq!(r.basis, Basis::Plain);
    }

    #[test]
    fn empty_name_is_an_error() {
        let mut v = Vocab::default();
        let err = Gazetteer::new(&[place("x", "x", "ـ", "X", &[])], &mut v).unwrap_err();
        assert!(err.to_string().contains("\"x\""), "{err}");
    }
}
