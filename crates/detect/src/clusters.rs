//! Stories across outlets: items about the same event, assigned to one story as they arrive.
//!
//! [`StoryIndex::assign`] gives each item a story id, once, in arrival order. It compares the
//! item only with the items of the last [`StoryParams::window`] (72 hours) that could be about
//! the same event, found without comparing every pair:
//!
//! - **near-duplicates**: the 64-bit SimHash fingerprint (`Tags::fingerprint`) cut into four
//!   16-bit bands; two fingerprints within [`NEAR_BITS`] bits agree on at least one band;
//! - **rewrites**: an inverted index from words to the window's items. The item's rarest
//!   words (by document frequency in the window) fetch the items that share them; only those
//!   sharing at least two are scored.
//!
//! A candidate is scored by the cosine of TF-IDF vectors of the title (counted twice) and the
//! lead (the body's first [`LEAD_CHARS`] characters): words normalized as for matching,
//! Arabic proclitics stripped, function words and one- and two-letter words left out, term
//! frequency sublinear, inverse document frequency from the window. The item joins the story
//! of its best candidate when that candidate is a near-duplicate, or its cosine reaches
//! [`StoryParams::link`], or its cosine reaches [`StoryParams::link_shared`] and the two share
//! a governorate, a topic, or a rare word (one at most [`RARE_DF`] items of the window use: a
//! name, a number, a place the gazetteer lacks). Otherwise it starts a new story. A story's
//! items all lie within one window (a chain of look-alike reports is not one event), and a
//! story never takes an item placed in governorates none of its items is placed in.
//!
//! Stories never merge and an item never moves: a story keeps its id as it grows, and what
//! was assigned stays assigned (an alert raised on a story keeps pointing at it). Each story
//! counts its items, distinct outlets and distinct owners (wire copies and sister sites of
//! one owner count once) and keeps its first-seen time.

use std::collections::{HashMap, HashSet, VecDeque};

use chrono::{DateTime, Duration, Utc};
use rasd_core::text::{normalize_for_matching, strip_clitics, tokens};

use crate::stories::{NEAR_BITS, hamming};

/// Characters of the body read after the title: a news lead carries its event.
pub const LEAD_CHARS: usize = 1000;

/// A word used by at most this many items of the window counts as a shared name.
pub const RARE_DF: u32 = 3;

/// Bits per band of the fingerprint index (four bands of 16 bits).
const BAND_BITS: u32 = 16;

/// Words that say nothing of an event (after normalization and clitic stripping).
const STOP_WORDS: &[&str] = &[
    // Arabic
    "الذي",
    "التي",
    "الذين",
    "اللذين",
    "هذا",
    "هذه",
    "ذلك",
    "تلك",
    "هناك",
    "هنا",
    "كان",
    "كانت",
    "يكون",
    "تكون",
    "ليس",
    "غير",
    "بين",
    "على",
    "علي",
    "الى",
    "الي",
    "إلى",
    "عن",
    "عند",
    "عندما",
    "حيث",
    "حين",
    "بعد",
    "قبل",
    "خلال",
    "منذ",
    "حتى",
    "حتي",
    "مع",
    "كما",
    "لكن",
    "لكن",
    "ولكن",
    "او",
    "أو",
    "ام",
    "أم",
    "ثم",
    "قد",
    "لقد",
    "لم",
    "لن",
    "ما",
    "ماذا",
    "متى",
    "كيف",
    "اين",
    "أين",
    "كل",
    "بعض",
    "جميع",
    "اي",
    "أي",
    "انه",
    "أنه",
    "انها",
    "أنها",
    "ان",
    "أن",
    "إن",
    "وان",
    "وأن",
    "فان",
    "فإن",
    "هو",
    "هي",
    "هم",
    "هن",
    "نحن",
    "انت",
    "أنت",
    "اليوم",
    "امس",
    "أمس",
    "يوم",
    "عام",
    "العام",
    "اخرى",
    "أخرى",
    "اخر",
    "آخر",
    "وقال",
    "قال",
    "قالت",
    "وقالت",
    "واضاف",
    "وأضاف",
    "اضاف",
    "أضاف",
    "واشار",
    "وأشار",
    "اشار",
    "أشار",
    "مشيرا",
    "موضحا",
    "مضيفا",
    "وذلك",
    "ايضا",
    "أيضا",
    "فيه",
    "فيها",
    "منه",
    "منها",
    "عليه",
    "عليها",
    "اليه",
    "إليه",
    "لدى",
    "لدي",
    "ضمن",
    "نحو",
    "وفق",
    "وفقا",
    "حول",
    "دون",
    "تم",
    "وتم",
    "يتم",
    "التى",
    "الذى",
    "هذة",
    "مدير",
    "وزير",
    "رئيس",
    "عدد",
    "جهة",
    "اجل",
    "أجل",
    "اطار",
    "إطار",
    // English
    "the",
    "and",
    "for",
    "with",
    "that",
    "this",
    "from",
    "was",
    "were",
    "are",
    "has",
    "have",
    "had",
    "its",
    "his",
    "her",
    "their",
    "they",
    "them",
    "who",
    "which",
    "what",
    "when",
    "where",
    "will",
    "would",
    "could",
    "should",
    "said",
    "says",
    "say",
    "after",
    "before",
    "over",
    "into",
    "than",
    "then",
    "there",
    "about",
    "also",
    "been",
    "being",
    "but",
    "not",
    "one",
    "two",
    "new",
    "more",
    "most",
    "other",
    "some",
    "such",
    "out",
    "off",
    "all",
    "any",
    "can",
    "may",
    "our",
    "you",
    "your",
    "him",
    "she",
    "how",
    "why",
    "yesterday",
    "today",
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
    "year",
    "years",
    "week",
    "percent",
    "reuters",
    "told",
    "while",
    "under",
    "between",
    "during",
];

/// Tuning of [`StoryIndex`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StoryParams {
    /// How far back an item finds its story (72 hours).
    pub window: Duration,
    /// A cosine at or above this links two items on its own.
    pub link: f32,
    /// A cosine at or above this links two items that share a governorate, a topic or a rare
    /// word.
    pub link_shared: f32,
    /// The item's rarest words that fetch candidates.
    pub probe_terms: usize,
    /// A word used by more items of the window than this fetches none (too common).
    pub max_postings: usize,
    /// At most this many candidates are scored.
    pub max_candidates: usize,
}

impl Default for StoryParams {
    fn default() -> Self {
        StoryParams {
            window: Duration::hours(72),
            link: 0.5,
            link_shared: 0.4,
            probe_terms: 12,
            max_postings: 400,
            max_candidates: 40,
        }
    }
}

/// One item as the story index reads it.
#[derive(Debug, Clone, Copy)]
pub struct StoryInput<'a> {
    /// The item's id.
    pub id: &'a str,
    /// When it was published (or fetched).
    pub at: DateTime<Utc>,
    pub title: &'a str,
    pub body: &'a str,
    /// `Tags::fingerprint` (0: none).
    pub fingerprint: u64,
    /// Event governorates.
    pub places: &'a [String],
    pub topics: &'a [String],
    /// The source id.
    pub outlet: &'a str,
    /// The source's owner (the source id when it has none).
    pub owner: &'a str,
}

/// Why an item joined an existing story.
#[derive(Debug, Clone, PartialEq)]
pub enum LinkKind {
    /// Fingerprints within [`NEAR_BITS`] bits.
    NearDuplicate,
    /// A cosine at or above [`StoryParams::link`].
    Similar,
    /// A cosine at or above [`StoryParams::link_shared`] with this in common (`place:…`,
    /// `topic:…` or `word:…`).
    Shared(String),
}

/// The item an item was linked to, and why.
#[derive(Debug, Clone, PartialEq)]
pub struct Link {
    /// The id of the item of the window it matched best.
    pub item: String,
    /// Their cosine (1 for a near-duplicate whose words were not compared).
    pub cosine: f32,
    pub kind: LinkKind,
}

/// What [`StoryIndex::assign`] decided.
#[derive(Debug, Clone, PartialEq)]
pub struct Assignment {
    pub story: u64,
    /// The item started the story.
    pub new_story: bool,
    /// The match that put it there (`None` for a new story).
    pub link: Option<Link>,
}

/// A story's running counts: the store's record, as far as the window knows it.
pub type StoryStats = rasd_store::StoryRecord;

#[derive(Debug)]
struct Slot {
    id: String,
    at: DateTime<Utc>,
    story: u64,
    fingerprint: u64,
    places: Vec<String>,
    topics: Vec<String>,
    /// (term, sublinear term frequency), sorted by term.
    terms: Vec<(u32, f32)>,
}

#[derive(Debug)]
struct Story {
    stats: StoryStats,
    outlets: HashSet<String>,
    owners: HashSet<String>,
    /// The event governorates of its items.
    places: HashSet<String>,
}

/// The incremental story assigner (see the module docs).
#[derive(Debug)]
pub struct StoryIndex {
    params: StoryParams,
    next_story: u64,
    /// Slot `i` is `slots[i - first_slot]`; `None` once evicted.
    slots: VecDeque<Option<Slot>>,
    first_slot: u64,
    /// The live slots in arrival order, for eviction: its length is the window's size.
    order: VecDeque<u64>,
    vocab: HashMap<String, u32>,
    /// Each term's word, by term id.
    names: Vec<String>,
    /// Window items using each term.
    df: Vec<u32>,
    postings: Vec<Vec<u64>>,
    bands: [HashMap<u16, Vec<u64>>; 4],
    stories: HashMap<u64, Story>,
    /// The latest arrival time seen: the window ends there.
    newest: Option<DateTime<Utc>>,
}

/// The words of a title and lead with their weights: title words count twice. Words are
/// normalized for matching with Arabic proclitics stripped, not stemmed: Snowball stemming
/// halved the assigner's speed and did not raise its score on the labelled stories.
pub(crate) fn words(title: &str, body: &str) -> HashMap<String, f32> {
    let lead = &body[..body
        .char_indices()
        .nth(LEAD_CHARS)
        .map_or(body.len(), |(i, _)| i)];
    let mut out: HashMap<String, f32> = HashMap::new();
    for (text, weight) in [(title, 2.0f32), (lead, 1.0)] {
        let norm = normalize_for_matching(text);
        for w in tokens(&norm) {
            let w = strip_clitics(w);
            let digits = w.chars().all(|c| c.is_ascii_digit());
            let chars = w.chars().count();
            if (digits && chars < 2) || (!digits && chars < 3) || STOP_WORDS.contains(&w) {
                continue;
            }
            *out.entry(w.to_string()).or_default() += weight;
        }
    }
    out
}

fn bands(fp: u64) -> [u16; 4] {
    std::array::from_fn(|b| (fp >> (b as u32 * BAND_BITS)) as u16)
}

impl StoryIndex {
    /// An empty index whose first story will be `first_story` (continue a store's numbering).
    pub fn new(params: StoryParams, first_story: u64) -> StoryIndex {
        StoryIndex {
            params,
            next_story: first_story.max(1),
            slots: VecDeque::new(),
            first_slot: 0,
            order: VecDeque::new(),
            vocab: HashMap::new(),
            names: Vec::new(),
            df: Vec::new(),
            postings: Vec::new(),
            bands: Default::default(),
            stories: HashMap::new(),
            newest: None,
        }
    }

    /// The settings.
    pub fn params(&self) -> StoryParams {
        self.params
    }

    /// Items in the window.
    pub fn len(&self) -> usize {
        self.order.len()
    }

    /// True when the window holds no item.
    pub fn is_empty(&self) -> bool {
        self.order.is_empty()
    }

    /// The counts of a story with an item in the window.
    pub fn story(&self, id: u64) -> Option<&StoryStats> {
        self.stories.get(&id).map(|s| &s.stats)
    }

    fn slot(&self, s: u64) -> Option<&Slot> {
        s.checked_sub(self.first_slot)
            .and_then(|i| self.slots.get(i as usize))
            .and_then(Option::as_ref)
    }

    fn idf(&self, term: u32) -> f32 {
        let n = self.order.len() as f32;
        let df = self.df.get(term as usize).copied().unwrap_or(0) as f32;
        ((n + 1.0) / (df + 1.0)).ln() + 1.0
    }

    /// Moves the window's end to `at` when it is later, and removes the items older than the
    /// window before it (an item from the past, a backfill, does not empty the window).
    fn evict(&mut self, at: DateTime<Utc>) {
        let now = self.newest.map_or(at, |n| n.max(at));
        self.newest = Some(now);
        let cutoff = now - self.params.window;
        // Every slot in `order` is live: only this loop takes slots out.
        while let Some(&s) = self.order.front() {
            if self.slot(s).is_some_and(|slot| slot.at >= cutoff) {
                break;
            }
            self.order.pop_front();
            let i = (s - self.first_slot) as usize;
            let slot = self.slots[i].take().expect("a live slot");
            for (t, _) in &slot.terms {
                let t = *t as usize;
                self.df[t] -= 1;
                self.postings[t].retain(|&x| x != s);
            }
            if slot.fingerprint != 0 {
                for (b, v) in bands(slot.fingerprint).into_iter().enumerate() {
                    if let Some(list) = self.bands[b].get_mut(&v) {
                        list.retain(|&x| x != s);
                        if list.is_empty() {
                            self.bands[b].remove(&v);
                        }
                    }
                }
            }
            if self
                .stories
                .get(&slot.story)
                .is_some_and(|st| st.stats.last_seen < cutoff)
            {
                self.stories.remove(&slot.story);
            }
        }
        while matches!(self.slots.front(), Some(None)) {
            self.slots.pop_front();
            self.first_slot += 1;
        }
    }

    /// The story of `item` (see the module docs). Items should arrive in time order; one
    /// older than the window's end is still compared with the whole window.
    pub fn assign(&mut self, item: &StoryInput) -> Assignment {
        self.evict(item.at);
        let terms = self.terms_of(item);
        let link = self.best_link(item, &terms);
        let (story, new_story) = match &link {
            Some((s, _)) => (*s, false),
            None => {
                let id = self.next_story;
                self.next_story += 1;
                (id, true)
            }
        };
        self.insert(item, terms, story);
        Assignment {
            story,
            new_story,
            link: link.map(|(_, l)| l),
        }
    }

    /// Puts an item already given `story` back in the window (the assigner reloading the
    /// last 72 hours from the store at start), without deciding anything.
    pub fn insert_assigned(&mut self, item: &StoryInput, story: u64) {
        self.evict(item.at);
        let terms = self.terms_of(item);
        self.next_story = self.next_story.max(story + 1);
        self.insert(item, terms, story);
    }

    /// Sets a story's first-seen time as the store knows it (its first items may be older
    /// than the window the assigner reloaded), so that its items stay within one window.
    pub fn set_first_seen(&mut self, story: u64, first_seen: DateTime<Utc>) {
        if let Some(s) = self.stories.get_mut(&story) {
            s.stats.first_seen = first_seen;
        }
    }

    /// The item's terms with their sublinear weights, sorted by term id (new words get ids).
    fn terms_of(&mut self, item: &StoryInput) -> Vec<(u32, f32)> {
        let mut terms: Vec<(u32, f32)> = words(item.title, item.body)
            .into_iter()
            .map(|(w, c)| {
                let t = match self.vocab.get(&w) {
                    Some(&t) => t,
                    None => {
                        let t = self.names.len() as u32;
                        self.vocab.insert(w.clone(), t);
                        self.names.push(w);
                        self.df.push(0);
                        self.postings.push(Vec::new());
                        t
                    }
                };
                (t, 1.0 + c.ln())
            })
            .collect();
        terms.sort_unstable_by_key(|(t, _)| *t);
        terms
    }

    /// Adds an item of `story` to the window and the story's counts.
    fn insert(&mut self, item: &StoryInput, terms: Vec<(u32, f32)>, story: u64) {
        let s = self.first_slot + self.slots.len() as u64;
        for (t, _) in &terms {
            self.df[*t as usize] += 1;
            self.postings[*t as usize].push(s);
        }
        if item.fingerprint != 0 {
            for (b, v) in bands(item.fingerprint).into_iter().enumerate() {
                self.bands[b].entry(v).or_default().push(s);
            }
        }
        self.slots.push_back(Some(Slot {
            id: item.id.to_string(),
            at: item.at,
            story,
            fingerprint: item.fingerprint,
            places: item.places.to_vec(),
            topics: item.topics.to_vec(),
            terms,
        }));
        self.order.push_back(s);
        let entry = self.stories.entry(story).or_insert_with(|| Story {
            stats: StoryStats {
                id: story,
                title: item.title.to_string(),
                first_seen: item.at,
                last_seen: item.at,
                items: 0,
                outlets: 0,
                owners: 0,
                breaking_at: None,
            },
            outlets: HashSet::new(),
            owners: HashSet::new(),
            places: HashSet::new(),
        });
        entry.places.extend(item.places.iter().cloned());
        entry.outlets.insert(item.outlet.to_string());
        entry.owners.insert(item.owner.to_string());
        let st = &mut entry.stats;
        st.items += 1;
        st.outlets = entry.outlets.len();
        st.owners = entry.owners.len();
        if item.at < st.first_seen {
            st.first_seen = item.at;
        }
        st.last_seen = st.last_seen.max(item.at);
    }

    /// The story and link of the best candidate that links, if any.
    fn best_link(&self, item: &StoryInput, terms: &[(u32, f32)]) -> Option<(u64, Link)> {
        // Candidates: near-duplicate fingerprints, then items sharing rare words.
        let mut near: HashSet<u64> = HashSet::new();
        if item.fingerprint != 0 {
            for (b, v) in bands(item.fingerprint).into_iter().enumerate() {
                for &s in self.bands[b].get(&v).into_iter().flatten() {
                    if self
                        .slot(s)
                        .is_some_and(|x| hamming(x.fingerprint, item.fingerprint) <= NEAR_BITS)
                    {
                        near.insert(s);
                    }
                }
            }
        }
        let mut probe: Vec<(u32, u32)> = terms
            .iter()
            .map(|(t, _)| (self.df[*t as usize], *t))
            .filter(|(df, _)| *df > 0 && (*df as usize) <= self.params.max_postings)
            .collect();
        probe.sort_unstable();
        probe.truncate(self.params.probe_terms);
        let mut shared: HashMap<u64, u32> = HashMap::new();
        for (_, t) in &probe {
            for &s in &self.postings[*t as usize] {
                *shared.entry(s).or_default() += 1;
            }
        }
        let mut candidates: Vec<(u32, u64)> = shared
            .into_iter()
            .filter(|(s, n)| *n >= 2 || near.contains(s))
            .map(|(s, n)| (n, s))
            .collect();
        candidates.sort_unstable_by(|a, b| b.cmp(a));
        candidates.truncate(self.params.max_candidates);
        for &s in &near {
            if !candidates.iter().any(|(_, c)| *c == s) {
                candidates.push((0, s));
            }
        }
        let norm = |ts: &[(u32, f32)]| -> f32 {
            ts.iter()
                .map(|(t, w)| (w * self.idf(*t)).powi(2))
                .sum::<f32>()
                .sqrt()
        };
        let item_norm = norm(terms);
        let mut best: Option<(u64, Link)> = None;
        for (_, s) in candidates {
            let Some(other) = self.slot(s) else { continue };
            let cosine = if item_norm > 0.0 {
                let dot = dot(terms, &other.terms, |t| self.idf(t).powi(2));
                let n = norm(&other.terms);
                if n > 0.0 { dot / (item_norm * n) } else { 0.0 }
            } else {
                0.0
            };
            let Some(story) = self.stories.get(&other.story) else {
                continue;
            };
            // A story's items all lie within one window: it does not grow for ever (a chain
            // of look-alike reports, a weekly market report, is not one event), and an item
            // from the past (a new source's history) does not join today's story.
            let first = story.stats.first_seen.min(item.at);
            let last = story.stats.last_seen.max(item.at);
            if last - first > self.params.window {
                continue;
            }
            // Two events placed in different governorates are two events, however alike
            // their wording (a template reused for another town's burglary).
            let elsewhere = !item.places.is_empty()
                && !story.places.is_empty()
                && !item.places.iter().any(|p| story.places.contains(p));
            let kind = if near.contains(&s) {
                Some(LinkKind::NearDuplicate)
            } else if elsewhere {
                None
            } else if cosine >= self.params.link {
                Some(LinkKind::Similar)
            } else if cosine >= self.params.link_shared {
                self.in_common(item, terms, other).map(LinkKind::Shared)
            } else {
                None
            };
            let Some(kind) = kind else { continue };
            let score = if kind == LinkKind::NearDuplicate {
                cosine.max(1.0)
            } else {
                cosine
            };
            if best.as_ref().is_none_or(|(_, b)| {
                let b_score = if b.kind == LinkKind::NearDuplicate {
                    b.cosine.max(1.0)
                } else {
                    b.cosine
                };
                score > b_score
            }) {
                best = Some((
                    other.story,
                    Link {
                        item: other.id.clone(),
                        cosine,
                        kind,
                    },
                ));
            }
        }
        best
    }

    /// What an item and a window item share besides words in general: a governorate, a
    /// topic, or a rare word.
    fn in_common(&self, item: &StoryInput, terms: &[(u32, f32)], other: &Slot) -> Option<String> {
        if let Some(p) = item.places.iter().find(|p| other.places.contains(p)) {
            return Some(format!("place:{p}"));
        }
        if let Some(t) = item.topics.iter().find(|t| other.topics.contains(t)) {
            return Some(format!("topic:{t}"));
        }
        let (mut i, mut j) = (0, 0);
        while i < terms.len() && j < other.terms.len() {
            match terms[i].0.cmp(&other.terms[j].0) {
                std::cmp::Ordering::Less => i += 1,
                std::cmp::Ordering::Greater => j += 1,
                std::cmp::Ordering::Equal => {
                    let t = terms[i].0;
                    if self.df[t as usize] <= RARE_DF {
                        return Some(format!("word:{}", self.names[t as usize]));
                    }
                    i += 1;
                    j += 1;
                }
            }
        }
        None
    }
}

/// The sum over shared terms of both weights times `scale(term)`; both slices sorted by term.
fn dot(a: &[(u32, f32)], b: &[(u32, f32)], scale: impl Fn(u32) -> f32) -> f32 {
    let (mut i, mut j, mut sum) = (0, 0, 0.0);
    while i < a.len() && j < b.len() {
        match a[i].0.cmp(&b[j].0) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                sum += a[i].1 * b[j].1 * scale(a[i].0);
                i += 1;
                j += 1;
            }
        }
    }
    sum
}

/// When a story became breaking: the arrival time of the item with which `owners` distinct
/// owners had carried it within `within` (the earliest such time), given its items as
/// (owner, arrival time) in any order; `None` while it has not.
pub fn breaking_at(
    members: &[(String, DateTime<Utc>)],
    owners: usize,
    within: Duration,
) -> Option<DateTime<Utc>> {
    let mut sorted: Vec<&(String, DateTime<Utc>)> = members.iter().collect();
    sorted.sort_by_key(|(_, at)| *at);
    let mut count: HashMap<&str, usize> = HashMap::new();
    let mut start = 0;
    for (owner, at) in &sorted {
        *count.entry(owner.as_str()).or_default() += 1;
        while *at - sorted[start].1 > within {
            let old = sorted[start].0.as_str();
            if let Some(c) = count.get_mut(old) {
                *c -= 1;
                if *c == 0 {
                    count.remove(old);
                }
            }
            start += 1;
        }
        if count.len() >= owners {
            return Some(*at);
        }
    }
    None
}

/// Clustering quality against gold labels: B-cubed precision, recall and F1 (each item's
/// share of its predicted cluster that is in its gold cluster, and the reverse, averaged over
/// items), and pairwise precision, recall and F1 over pairs of items put together.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ClusterScores {
    pub bcubed_precision: f64,
    pub bcubed_recall: f64,
    pub bcubed_f1: f64,
    pub pair_precision: f64,
    pub pair_recall: f64,
    pub pair_f1: f64,
}

/// Scores `predicted` against `gold`: one cluster label each, in the same item order.
pub fn cluster_scores<G: Eq + std::hash::Hash, P: Eq + std::hash::Hash>(
    gold: &[G],
    predicted: &[P],
) -> ClusterScores {
    assert_eq!(gold.len(), predicted.len());
    let n = gold.len();
    let mut g_size: HashMap<&G, usize> = HashMap::new();
    let mut p_size: HashMap<&P, usize> = HashMap::new();
    let mut both: HashMap<(&G, &P), usize> = HashMap::new();
    for (g, p) in gold.iter().zip(predicted) {
        *g_size.entry(g).or_default() += 1;
        *p_size.entry(p).or_default() += 1;
        *both.entry((g, p)).or_default() += 1;
    }
    let (mut bp, mut br) = (0.0, 0.0);
    for (g, p) in gold.iter().zip(predicted) {
        let common = both[&(g, p)] as f64;
        bp += common / p_size[p] as f64;
        br += common / g_size[g] as f64;
    }
    let f1 = |p: f64, r: f64| {
        if p + r > 0.0 {
            2.0 * p * r / (p + r)
        } else {
            0.0
        }
    };
    let pairs = |k: usize| (k * k.saturating_sub(1) / 2) as f64;
    let together: f64 = both.values().map(|&k| pairs(k)).sum();
    let predicted_pairs: f64 = p_size.values().map(|&k| pairs(k)).sum();
    let gold_pairs: f64 = g_size.values().map(|&k| pairs(k)).sum();
    let pp = if predicted_pairs > 0.0 {
        together / predicted_pairs
    } else {
        1.0
    };
    let pr = if gold_pairs > 0.0 {
        together / gold_pairs
    } else {
        1.0
    };
    let (bp, br) = if n > 0 {
        (bp / n as f64, br / n as f64)
    } else {
        (1.0, 1.0)
    };
    ClusterScores {
        bcubed_precision: bp,
        bcubed_recall: br,
        bcubed_f1: f1(bp, br),
        pair_precision: pp,
        pair_recall: pr,
        pair_f1: f1(pp, pr),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(h: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_780_000_000, 0).unwrap() + Duration::hours(h)
    }

    struct Item {
        id: &'static str,
        h: i64,
        title: &'static str,
        body: &'static str,
        places: Vec<String>,
        outlet: &'static str,
        owner: &'static str,
    }

    fn item(
        id: &'static str,
        h: i64,
        title: &'static str,
        body: &'static str,
        place: &str,
        outlet: &'static str,
        owner: &'static str,
    ) -> Item {
        Item {
            id,
            h,
            title,
            body,
            places: if place.is_empty() {
                Vec::new()
            } else {
                vec![place.to_string()]
            },
            outlet,
            owner,
        }
    }

    fn assign(index: &mut StoryIndex, it: &Item) -> Assignment {
        index.assign(&StoryInput {
            id: it.id,
            at: at(it.h),
            title: it.title,
            body: it.body,
            fingerprint: 0,
            places: &it.places,
            topics: &[],
            outlet: it.outlet,
            owner: it.owner,
        })
    }

    /// Other news of the day first, so that the window's word frequencies mean something.
    fn with_background() -> StoryIndex {
        let mut index = StoryIndex::new(StoryParams::default(), 1);
        let other = [
            "افتتاح مدرسة جديدة في مادبا بحضور وزير التربية والتعليم وعدد من المسؤولين",
            "ارتفاع أسعار الخضار في السوق المركزي بسبب موجة البرد وقلة الوارد من الأغوار",
            "الفيصلي يفوز على الوحدات بهدفين في الدوري الأردني للمحترفين لكرة القدم",
            "البنك المركزي يبقي أسعار الفائدة دون تغيير ويتوقع نموا في الاقتصاد هذا العام",
            "مهرجان جرش يعلن برنامج دورته المقبلة بمشاركة فرق عربية وأجنبية",
            "أمطار غزيرة متوقعة على مرتفعات عجلون وإربد خلال الأيام المقبلة",
            "وزارة الصحة تطلق حملة تطعيم ضد الإنفلونزا في المراكز الصحية",
            "الجامعة الأردنية تستقبل الطلبة الجدد وتعلن مواعيد التسجيل",
        ];
        for (k, text) in other.iter().enumerate() {
            let id = format!("bg{k}");
            index.assign(&StoryInput {
                id: &id,
                at: at(-1),
                title: text,
                body: text,
                fingerprint: 0,
                places: &[],
                topics: &[],
                outlet: "bg",
                owner: "bg",
            });
        }
        index
    }

    #[test]
    fn rewrites_of_one_event_are_one_story_and_another_event_is_not() {
        let mut index = with_background();
        let items = [
            item(
                "a1",
                0,
                "وفاة 3 أشخاص بتدهور حافلة ركاب على الطريق الصحراوي قرب القطرانة",
                "توفي ثلاثة أشخاص وأصيب 14 آخرون إثر تدهور حافلة ركاب قادمة من العقبة على الطريق الصحراوي قرب القطرانة فجر اليوم، ونقل المصابون إلى مستشفى الكرك الحكومي.",
                "karak",
                "petra",
                "state",
            ),
            item(
                "a2",
                1,
                "3 وفيات و14 إصابة في حادث تدهور حافلة قرب القطرانة",
                "أعلن الدفاع المدني وفاة ثلاثة أشخاص وإصابة أربعة عشر في تدهور حافلة على الصحراوي بالقرب من القطرانة، وحالة بعض المصابين متوسطة.",
                "karak",
                "roya",
                "roya",
            ),
            item(
                "b1",
                2,
                "ضبط 3 أشخاص بحوزتهم مواد مخدرة في إربد",
                "ألقت إدارة مكافحة المخدرات القبض على ثلاثة أشخاص في إربد وضبطت بحوزتهم كميات من الحبوب المخدرة.",
                "irbid",
                "petra",
                "state",
            ),
            item(
                "a3",
                5,
                "ارتفاع وفيات حادث حافلة القطرانة إلى أربعة",
                "ارتفع عدد وفيات حادث تدهور الحافلة على الطريق الصحراوي قرب القطرانة إلى أربعة بعد وفاة أحد المصابين في مستشفى الكرك.",
                "karak",
                "alrai",
                "state",
            ),
        ];
        let got: Vec<Assignment> = items.iter().map(|i| assign(&mut index, i)).collect();
        assert!(got[0].new_story);
        assert_eq!(got[1].story, got[0].story, "{:?}", got[1]);
        assert!(got[2].new_story, "{:?}", got[2]);
        assert_eq!(got[3].story, got[0].story, "{:?}", got[3]);
        let s = index.story(got[0].story).unwrap();
        assert_eq!((s.items, s.outlets, s.owners), (3, 3, 2));
        assert_eq!(s.first_seen, at(0));
        assert!(s.title.contains("القطرانة"));
    }

    #[test]
    fn near_duplicates_join_by_fingerprint_and_the_window_forgets() {
        let mut index = StoryIndex::new(StoryParams::default(), 10);
        let mk = |id: &'static str, h: i64, fp: u64| {
            (
                id,
                StoryInput {
                    id,
                    at: at(h),
                    title: "",
                    body: "",
                    fingerprint: fp,
                    places: &[],
                    topics: &[],
                    outlet: id,
                    owner: id,
                },
            )
        };
        let (_, a) = mk("a", 0, 0xDEAD_BEEF_0000_1111);
        let first = index.assign(&a);
        assert_eq!((first.story, first.new_story), (10, true));
        let (_, b) = mk("b", 1, 0xDEAD_BEEF_0000_1117);
        let second = index.assign(&b);
        assert_eq!(second.story, 10);
        assert_eq!(second.link.unwrap().kind, LinkKind::NearDuplicate);
        // Four days later the same fingerprint starts a new story: the window is 72 hours.
        let (_, c) = mk("c", 100, 0xDEAD_BEEF_0000_1111);
        let third = index.assign(&c);
        assert!(third.new_story);
        assert_eq!(third.story, 11);
        assert_eq!(index.len(), 1);
        assert!(index.story(10).is_none());
    }

    #[test]
    fn english_rewrites_link_and_a_shared_place_lowers_the_bar() {
        let mut index = StoryIndex::new(StoryParams::default(), 1);
        let items = [
            item(
                "e1",
                0,
                "Gas cylinder explosion injures five in Zarqa restaurant",
                "Five people were hurt when a gas cylinder exploded in a restaurant in Zarqa on Tuesday evening, the Civil Defence said.",
                "zarqa",
                "a",
                "a",
            ),
            item(
                "e2",
                1,
                "Five hurt as gas cylinder blows up in Zarqa eatery",
                "A gas cylinder blew up inside an eatery in Zarqa, injuring five people, according to Civil Defence.",
                "zarqa",
                "b",
                "b",
            ),
            item(
                "e3",
                2,
                "Gas prices rise in Zarqa markets",
                "Prices of cooking gas cylinders rose in Zarqa markets this week as demand grew.",
                "zarqa",
                "c",
                "c",
            ),
        ];
        let got: Vec<Assignment> = items.iter().map(|i| assign(&mut index, i)).collect();
        assert_eq!(got[1].story, got[0].story, "{:?}", got[1]);
        assert!(got[2].new_story, "{:?}", got[2]);
    }

    #[test]
    fn one_wording_in_two_governorates_is_two_events() {
        let mut index = StoryIndex::new(StoryParams::default(), 1);
        let items = [
            item(
                "s1",
                0,
                "Police arrest suspects in string of Salt burglaries",
                "Police arrested three suspects over a string of burglaries of homes and shops, the Public Security Directorate said.",
                "balqa",
                "a",
                "a",
            ),
            item(
                "s2",
                1,
                "Police arrest suspects in string of Dhlail burglaries",
                "Police arrested three suspects over a string of burglaries of homes and shops, the Public Security Directorate said.",
                "zarqa",
                "b",
                "b",
            ),
            item(
                "s3",
                2,
                "Salt burglaries: three suspects arrested by police",
                "Three suspects were arrested by police over a string of burglaries of homes and shops in Salt, the Public Security Directorate said.",
                "balqa",
                "c",
                "c",
            ),
        ];
        let got: Vec<Assignment> = items.iter().map(|i| assign(&mut index, i)).collect();
        assert!(got[1].new_story, "{:?}", got[1]);
        assert_eq!(got[2].story, got[0].story, "{:?}", got[2]);
    }

    #[test]
    fn a_story_takes_items_for_72_hours_after_its_first_not_for_ever() {
        let mut index = StoryIndex::new(StoryParams::default(), 1);
        let mut stories = Vec::new();
        for (k, h) in [0i64, 50, 100].into_iter().enumerate() {
            let id = format!("m{k}");
            stories.push(index.assign(&StoryInput {
                id: &id,
                at: at(h),
                title: "",
                body: "",
                fingerprint: 0xABCD_EF01_2345_6789 ^ k as u64,
                places: &[],
                topics: &[],
                outlet: "a",
                owner: "a",
            }));
        }
        assert_eq!(stories[1].story, stories[0].story);
        // 100 hours after the story's first item: a new story, though the item 50 hours
        // before is a near-duplicate and still in the window.
        assert!(stories[2].new_story, "{:?}", stories[2]);
    }

    #[test]
    fn a_story_breaks_when_enough_owners_carry_it_within_the_time() {
        let m = |o: &str, h: i64, min: i64| (o.to_string(), at(h) + Duration::minutes(min));
        let two_hours = Duration::hours(2);
        // Three owners within 2 hours: breaking at the third.
        let members = [m("a", 0, 0), m("a", 0, 10), m("b", 0, 50), m("c", 1, 30)];
        assert_eq!(
            breaking_at(&members, 3, two_hours),
            Some(at(1) + Duration::minutes(30))
        );
        // One owner's four sites are one owner.
        let wire = [m("a", 0, 0), m("a", 0, 5), m("a", 0, 6), m("a", 0, 7)];
        assert_eq!(breaking_at(&wire, 3, two_hours), None);
        // Three owners, but spread over five hours.
        let slow = [m("a", 0, 0), m("b", 2, 30), m("c", 5, 0)];
        assert_eq!(breaking_at(&slow, 3, two_hours), None);
        // Order does not matter.
        let shuffled = [m("c", 1, 30), m("a", 0, 0), m("b", 0, 50)];
        assert_eq!(
            breaking_at(&shuffled, 3, two_hours),
            Some(at(1) + Duration::minutes(30))
        );
    }

    #[test]
    fn scores_of_a_clustering() {
        let gold = ["a", "a", "a", "b", "c"];
        let perfect = cluster_scores(&gold, &[1, 1, 1, 2, 3]);
        assert_eq!(perfect.bcubed_f1, 1.0);
        assert_eq!(perfect.pair_f1, 1.0);
        let all_apart = cluster_scores(&gold, &[1, 2, 3, 4, 5]);
        assert_eq!(all_apart.bcubed_precision, 1.0);
        assert!((all_apart.bcubed_recall - (3.0 * (1.0 / 3.0) + 2.0) / 5.0).abs() < 1e-9);
        assert_eq!(all_apart.pair_recall, 0.0);
        let one = cluster_scores(&gold, &[1, 1, 1, 1, 1]);
        assert_eq!(one.bcubed_recall, 1.0);
        assert!((one.pair_precision - 3.0 / 10.0).abs() < 1e-9);
    }
}
