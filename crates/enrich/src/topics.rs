//! Topic rules compiled from `topics.toml`, and the [`TopicMatch`] they explain themselves
//! with.
//!
//! A topic is assigned when at least `min_matches` of its distinct terms occur in the text,
//! none of its `exclude` terms does and none of the topics its exclude list names
//! (`"topic:<id>"`) is assigned. Terms that normalize to the same tokens count once. A weak
//! term, written with a leading `~` (`"~فساد"`), counts half in an article, and all the weak
//! terms of a topic together count half too: words that often mean the topic but are not
//! enough there (corruption talked about in general, a war's dead: `قتله` and `بالقتل` are
//! the same idea twice), so in an article they only add to a full term. In a short text (a
//! headline, a post: at most [`SHORT_TEXT`] words) a weak term counts in full, since a short
//! text has room for its subject only.
//! Internally counts are in half matches: a term adds [`FULL`], the weak terms together 1.
//!
//! A term is a phrase (its words together, in order, in one clause) or a proximity term
//! `A ... B` (also written `A … B`): phrase `A`, then phrase `B` starting at most [`NEAR_GAP`]
//! words after `A` ends, in the same clause; more parts chain the same way.

use rasd_core::TopicConfig;
use tracing::warn;

use crate::phrase::PhraseSet;
use crate::tokens::{Analyzed, Mode, Vocab, term_tokens};
use crate::{Error, Result};

/// A topic's count, in half matches: [`FULL`] per full term found, and 1 for all of its weak
/// terms together when any is found.
fn count(full_terms: usize, any_weak: bool) -> usize {
    full_terms * FULL + usize::from(any_weak)
}

/// True for a text of at most [`SHORT_TEXT`] words.
fn is_short(text: &Analyzed) -> bool {
    text.topic.len().saturating_sub(text.barriers.len()) <= SHORT_TEXT
}

/// The most words allowed between two consecutive parts of a proximity term (`A ... B`).
pub const NEAR_GAP: usize = 6;

/// What a (strong) term adds to its topic's count; a weak term adds 1 (in a short text,
/// [`FULL`] too).
const FULL: usize = 2;

/// Texts of at most this many words are short: a weak term counts in full there.
pub const SHORT_TEXT: usize = 30;

/// The prefix of a weak term: `"~فساد"`.
pub const WEAK: char = '~';

/// The prefix of an exclude entry that names another topic: `"topic:homicide"`.
pub const TOPIC_REF: &str = "topic:";

/// Why one topic did or did not match a text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicMatch {
    /// The topic id.
    pub topic: String,
    /// The terms found, as written in `topics.toml`, in file order.
    pub terms: Vec<String>,
    /// The exclude terms found, and the `topic:<id>` entries whose topic is assigned; they
    /// veto the topic.
    pub excluded_by: Vec<String>,
    /// True when the topic is assigned: enough distinct terms and no veto.
    pub assigned: bool,
}

/// What a trained model says of one topic of one text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum Verdict {
    /// Nothing the rules must hear.
    #[default]
    None,
    /// Sure enough to add the topic the rules missed.
    Vote,
    /// Too unsure of a topic the rules found in a longer text to let it stand.
    Deny,
}

/// What the rules found in one text (see [`TopicRules::found`]).
#[derive(Debug, Clone)]
pub(crate) struct Found {
    counts: Vec<usize>,
    vetoed: Vec<bool>,
    /// A text of at most [`SHORT_TEXT`] words (a post, a comment, a headline).
    pub(crate) short: bool,
}

/// One compiled topic.
#[derive(Debug, Clone)]
struct Topic {
    id: String,
    min_matches: usize,
    terms: Vec<String>,
    /// Per term (index in `terms`): true for a weak term.
    weak: Vec<bool>,
    excludes: Vec<String>,
    /// Topics whose assignment vetoes this one: (topic index, index in `excludes`).
    refs: Vec<(usize, u32)>,
}

/// Who owns a rule: a topic's term (by index in its `terms`) or its exclude term.
#[derive(Debug, Clone, Copy)]
struct Owner {
    topic: u32,
    exclude: bool,
    index: u32,
}

/// What a term compiles to: one phrase (a sequence of the [`PhraseSet`]) or a proximity rule
/// (an index into `TopicRules::near`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Rule {
    Phrase(u32),
    Near(u32),
}

/// A proximity term: its parts, as sequences of the [`PhraseSet`], and who owns it.
#[derive(Debug, Clone)]
struct Near {
    parts: Box<[u32]>,
    owners: Vec<Owner>,
}

/// All topics' terms in one [`PhraseSet`].
#[derive(Debug, Clone, Default)]
pub(crate) struct TopicRules {
    topics: Vec<Topic>,
    set: PhraseSet,
    owners: Vec<Vec<Owner>>,
    near: Vec<Near>,
    /// Topic indexes, each after the topics its `topic:` excludes name.
    order: Vec<usize>,
}

/// Splits a term into the parts of a proximity term (one part for a plain phrase).
fn split_parts(term: &str) -> Vec<&str> {
    term.split("...")
        .flat_map(|p| p.split('…'))
        .map(str::trim)
        .collect()
}

impl TopicRules {
    /// Compiles `configs`, interning their words into `vocab`.
    pub(crate) fn new(configs: &[TopicConfig], vocab: &mut Vocab) -> Result<TopicRules> {
        let mut rules = TopicRules::default();
        for (t, cfg) in configs.iter().enumerate() {
            let topic = u32::try_from(t).unwrap_or(u32::MAX);
            let mut own: Vec<(Rule, bool)> = Vec::new();
            let mut distinct_terms = 0usize;
            let mut refs = Vec::new();
            let lists = [(&cfg.terms, false), (&cfg.exclude, true)];
            for (list, exclude) in lists {
                for (i, term) in list.iter().enumerate() {
                    let index = u32::try_from(i).unwrap_or(u32::MAX);
                    if let Some(other) = term.trim().strip_prefix(TOPIC_REF) {
                        if !exclude {
                            return Err(bad_ref(cfg, term, "a topic can only be named in exclude"));
                        }
                        let other = other.trim();
                        if other == cfg.id {
                            return Err(bad_ref(cfg, term, "a topic cannot exclude itself"));
                        }
                        let Some(u) = configs.iter().position(|c| c.id == other) else {
                            return Err(bad_ref(cfg, term, "no topic has this id"));
                        };
                        refs.push((u, index));
                        continue;
                    }
                    let body = term.trim_start().strip_prefix(WEAK).unwrap_or(term);
                    if exclude && body.len() != term.len() {
                        return Err(bad_ref(cfg, term, "an exclude term cannot be weak (~)"));
                    }
                    let rule = rules.compile(cfg, body, vocab)?;
                    if own.contains(&(rule, exclude)) {
                        // The same words as an earlier term of this topic: counts once.
                        continue;
                    }
                    if own.contains(&(rule, !exclude)) {
                        warn!(
                            topic = %cfg.id,
                            term = %term,
                            "Term is both a term and an exclude term of the topic; the exclude wins."
                        );
                    }
                    own.push((rule, exclude));
                    if !exclude {
                        distinct_terms += 1;
                    }
                    let owner = Owner {
                        topic,
                        exclude,
                        index,
                    };
                    match rule {
                        Rule::Phrase(seq) => {
                            if rules.owners.len() <= seq as usize {
                                rules.owners.resize(seq as usize + 1, Vec::new());
                            }
                            rules.owners[seq as usize].push(owner);
                        }
                        Rule::Near(n) => rules.near[n as usize].owners.push(owner),
                    }
                }
            }
            let min_matches = usize::try_from(cfg.min_matches.max(1)).unwrap_or(usize::MAX);
            if min_matches > distinct_terms {
                return Err(Error::UnreachableMinMatches {
                    topic: cfg.id.clone(),
                    min_matches: cfg.min_matches,
                    terms: distinct_terms,
                });
            }
            rules.topics.push(Topic {
                id: cfg.id.clone(),
                min_matches,
                weak: cfg
                    .terms
                    .iter()
                    .map(|t| t.trim_start().starts_with(WEAK))
                    .collect(),
                terms: cfg.terms.clone(),
                excludes: cfg.exclude.clone(),
                refs,
            });
        }
        rules.order = rules.evaluation_order(configs)?;
        Ok(rules)
    }

    /// Compiles one term of `cfg` into a phrase or a proximity rule.
    fn compile(&mut self, cfg: &TopicConfig, term: &str, vocab: &mut Vocab) -> Result<Rule> {
        let parts = split_parts(term);
        let mut seqs = Vec::with_capacity(parts.len());
        for part in &parts {
            let words = term_tokens(part, Mode::Topic);
            if words.is_empty() {
                return Err(if parts.len() == 1 {
                    Error::EmptyTopicTerm {
                        topic: cfg.id.clone(),
                        term: term.to_string(),
                    }
                } else {
                    Error::BadProximityTerm {
                        topic: cfg.id.clone(),
                        term: term.to_string(),
                    }
                });
            }
            let ids: Vec<u32> = words.iter().map(|w| vocab.intern(w)).collect();
            seqs.push(self.set.insert(&ids));
        }
        if let [seq] = seqs[..] {
            return Ok(Rule::Phrase(seq));
        }
        if let Some(n) = self.near.iter().position(|n| *n.parts == seqs[..]) {
            return Ok(Rule::Near(u32::try_from(n).unwrap_or(u32::MAX)));
        }
        self.near.push(Near {
            parts: seqs.into(),
            owners: Vec::new(),
        });
        Ok(Rule::Near(
            u32::try_from(self.near.len() - 1).unwrap_or(u32::MAX),
        ))
    }

    /// The topics in an order where each comes after the topics it names in `exclude`; a
    /// cycle of such names is an error.
    fn evaluation_order(&self, configs: &[TopicConfig]) -> Result<Vec<usize>> {
        // 0: not visited, 1: on the current path, 2: done.
        fn visit(
            t: usize,
            topics: &[Topic],
            configs: &[TopicConfig],
            state: &mut [u8],
            order: &mut Vec<usize>,
        ) -> Result<()> {
            match state[t] {
                2 => return Ok(()),
                1 => {
                    let cfg = &configs[t];
                    let entry = topics[t]
                        .refs
                        .first()
                        .map_or(TOPIC_REF, |&(_, i)| cfg.exclude[i as usize].as_str());
                    return Err(bad_ref(
                        cfg,
                        entry,
                        "topics exclude each other in a cycle: remove one of these entries",
                    ));
                }
                _ => {}
            }
            state[t] = 1;
            for &(u, _) in &topics[t].refs {
                visit(u, topics, configs, state, order)?;
            }
            state[t] = 2;
            order.push(t);
            Ok(())
        }
        let mut state = vec![0u8; self.topics.len()];
        let mut order = Vec::with_capacity(self.topics.len());
        for t in 0..self.topics.len() {
            visit(t, &self.topics, configs, &mut state, &mut order)?;
        }
        Ok(order)
    }

    /// How many topics there are.
    pub(crate) fn len(&self) -> usize {
        self.topics.len()
    }

    /// Calls `visit` with the owners of every distinct rule found in `text`.
    fn scan(&self, text: &Analyzed, mut visit: impl FnMut(&Owner)) {
        let mut found = Vec::new();
        self.set.find(&text.topic, &mut found);
        let mut seqs: Vec<u32> = found.iter().map(|&(_, seq)| seq).collect();
        seqs.sort_unstable();
        seqs.dedup();
        for &seq in &seqs {
            if let Some(owners) = self.owners.get(seq as usize) {
                owners.iter().for_each(&mut visit);
            }
        }
        for near in &self.near {
            if near.parts.iter().all(|p| seqs.binary_search(p).is_ok())
                && self.near_found(&near.parts, &found, text)
            {
                near.owners.iter().for_each(&mut visit);
            }
        }
    }

    /// True when the parts of a proximity term occur in order in `found` (start positions
    /// and sequences, in text order), each within [`NEAR_GAP`] words of the previous one and
    /// in its clause.
    fn near_found(&self, parts: &[u32], found: &[(usize, u32)], text: &Analyzed) -> bool {
        let Some((&first, rest)) = parts.split_first() else {
            return false;
        };
        let len = self.set.seq_len(first);
        found
            .iter()
            .filter(|&&(_, seq)| seq == first)
            .any(|&(pos, _)| self.chain(rest, pos + len, found, text))
    }

    /// True when `parts` follow one another from position `from` on (see `near_found`).
    fn chain(&self, parts: &[u32], from: usize, found: &[(usize, u32)], text: &Analyzed) -> bool {
        let Some((&next, rest)) = parts.split_first() else {
            return true;
        };
        let len = self.set.seq_len(next);
        found
            .iter()
            .filter(|&&(pos, seq)| {
                seq == next
                    && pos >= from
                    && pos - from <= NEAR_GAP
                    && !text.barrier_between(from, pos)
            })
            .any(|&(pos, _)| self.chain(rest, pos + len, found, text))
    }

    /// Which topics are assigned, given each topic's count of distinct terms found and
    /// whether an exclude term was found.
    fn decide(&self, counts: &[usize], vetoed: &[bool]) -> Vec<bool> {
        let mut assigned = vec![false; self.topics.len()];
        for &t in &self.order {
            let topic = &self.topics[t];
            assigned[t] = !vetoed[t]
                && counts[t] >= topic.min_matches * FULL
                && !topic.refs.iter().any(|&(u, _)| assigned[u]);
        }
        assigned
    }

    /// The index of topic `id`.
    pub(crate) fn index_of(&self, id: &str) -> Option<usize> {
        self.topics.iter().position(|t| t.id == id)
    }

    /// The ids of the topics assigned to `text`, sorted, without duplicates.
    #[cfg(test)]
    pub(crate) fn classify(&self, text: &Analyzed) -> Vec<String> {
        self.ids(&self.decide_found(&self.found(text), &[]))
    }

    /// What the rules find in `text`: each topic's count of distinct terms and whether an
    /// exclude term vetoes it. Scan once, then decide with and without model votes.
    pub(crate) fn found(&self, text: &Analyzed) -> Found {
        let short = is_short(text);
        let mut found = Found {
            counts: vec![0usize; self.topics.len()],
            vetoed: vec![false; self.topics.len()],
            short,
        };
        let mut strong = vec![0usize; self.topics.len()];
        let mut weak = vec![false; self.topics.len()];
        self.scan(text, |o| {
            let t = o.topic as usize;
            if o.exclude {
                found.vetoed[t] = true;
            } else if self.topics[t].weak[o.index as usize] && !short {
                weak[t] = true;
            } else {
                strong[t] += 1;
            }
        });
        found.counts = strong
            .into_iter()
            .zip(weak)
            .map(|(s, w)| count(s, w))
            .collect();
        found
    }

    /// Which topics are assigned given what was found and a trained model's verdicts (by
    /// topic index; missing means none): a [`Verdict::Vote`] satisfies `min_matches` like
    /// enough terms would, a [`Verdict::Deny`] takes back the terms the rules found, and the
    /// topic's exclude terms and `topic:` vetoes still apply.
    pub(crate) fn decide_found(&self, found: &Found, verdicts: &[Verdict]) -> Vec<bool> {
        let mut counts = found.counts.clone();
        for (t, verdict) in verdicts.iter().enumerate() {
            let Some(c) = counts.get_mut(t) else { continue };
            match verdict {
                Verdict::Vote => *c = (*c).max(self.topics[t].min_matches * FULL),
                Verdict::Deny => *c = 0,
                Verdict::None => {}
            }
        }
        self.decide(&counts, &found.vetoed)
    }

    /// The ids of the assigned topics, sorted, without duplicates.
    pub(crate) fn ids(&self, assigned: &[bool]) -> Vec<String> {
        let mut ids: Vec<String> = self
            .topics
            .iter()
            .zip(assigned)
            .filter(|(_, a)| **a)
            .map(|(topic, _)| topic.id.clone())
            .collect();
        ids.sort_unstable();
        ids.dedup();
        ids
    }

    /// Every topic with at least one term or exclude term found in `text`, sorted by id.
    pub(crate) fn explain(&self, text: &Analyzed) -> Vec<TopicMatch> {
        let short = is_short(text);
        let mut found: Vec<(Vec<u32>, Vec<u32>)> =
            vec![(Vec::new(), Vec::new()); self.topics.len()];
        self.scan(text, |o| {
            let (terms, excludes) = &mut found[o.topic as usize];
            if o.exclude {
                excludes.push(o.index);
            } else {
                terms.push(o.index);
            }
        });
        let counts: Vec<usize> = found
            .iter()
            .zip(&self.topics)
            .map(|((terms, _), topic)| {
                let strong = terms
                    .iter()
                    .filter(|&&i| !topic.weak[i as usize] || short)
                    .count();
                count(strong, strong < terms.len())
            })
            .collect();
        let vetoed: Vec<bool> = found.iter().map(|(_, e)| !e.is_empty()).collect();
        let assigned = self.decide(&counts, &vetoed);
        for (t, topic) in self.topics.iter().enumerate() {
            if found[t].0.is_empty() {
                continue;
            }
            for &(u, index) in &topic.refs {
                if assigned[u] {
                    found[t].1.push(index);
                }
            }
        }
        let mut out: Vec<TopicMatch> = found
            .into_iter()
            .zip(&self.topics)
            .zip(assigned)
            .filter(|(((terms, excludes), _), _)| !terms.is_empty() || !excludes.is_empty())
            .map(|(((mut terms, mut excludes), topic), assigned)| {
                terms.sort_unstable();
                excludes.sort_unstable();
                TopicMatch {
                    topic: topic.id.clone(),
                    assigned,
                    terms: terms
                        .iter()
                        .map(|&i| topic.terms[i as usize].clone())
                        .collect(),
                    excluded_by: excludes
                        .iter()
                        .map(|&i| topic.excludes[i as usize].clone())
                        .collect(),
                }
            })
            .collect();
        out.sort_by(|a, b| a.topic.cmp(&b.topic));
        out
    }
}

/// A [`Error::BadTopicRef`] for `entry` of topic `cfg`.
fn bad_ref(cfg: &TopicConfig, entry: &str, reason: &str) -> Error {
    Error::BadTopicRef {
        topic: cfg.id.clone(),
        entry: entry.to_string(),
        reason: reason.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// In an article a weak term counts half, and so do all of a topic's weak terms
    /// together: they need a full term; in a short text they count in full. An exclude cannot
    /// be weak.
    #[test]
    fn weak_terms_count_half() {
        let rules = |cfgs: &[TopicConfig]| {
            let mut v = Vocab::default();
            let r = TopicRules::new(cfgs, &mut v).unwrap();
            (r, v)
        };
        let (r, v) = rules(&[topic(
            "corruption",
            &["~فساد", "~المال العام", "رشوة"],
            &[],
            1,
        )]);
        // An article: the weak term needs company. A short text: it is the subject.
        let filler = " وتناولت الجلسة مواضيع أخرى كثيرة".repeat(8);
        let tags = |text: &str| r.classify(&Analyzed::new(&v, &[&format!("{text}{filler}")]));
        assert!(tags("الحديث عن الفساد في المجتمع").is_empty());
        assert!(
            tags("فساد وهدر للمال العام").is_empty(),
            "weak terms together count half"
        );
        assert_eq!(tags("قضية فساد ورشوة"), ["corruption"]);
        assert_eq!(tags("تلقى رشوة"), ["corruption"]);
        let long = format!("الحديث عن الفساد{filler}");
        let m = r.explain(&Analyzed::new(&v, &[&long]));
        assert_eq!(m[0].terms, ["~فساد"]);
        assert!(!m[0].assigned);
        let short = r.classify(&Analyzed::new(&v, &["الفساد منتشر في الدوائر"]));
        assert_eq!(short, ["corruption"]);
        let err = TopicRules::new(
            &[topic("corruption", &["رشوة"], &["~فساد"], 1)],
            &mut Vocab::default(),
        )
        .unwrap_err();
        assert!(err.to_string().contains("cannot be weak"), "{err}");
    }

    fn topic(id: &str, terms: &[&str], exclude: &[&str], min_matches: u32) -> TopicConfig {
        TopicConfig {
            id: id.to_string(),
            name_ar: id.to_string(),
            name_en: id.to_string(),
            description: String::new(),
            terms: terms.iter().map(|s| s.to_string()).collect(),
            exclude: exclude.iter().map(|s| s.to_string()).collect(),
            min_matches,
        }
    }

    fn rules(configs: &[TopicConfig]) -> (TopicRules, Vocab) {
        let mut vocab = Vocab::default();
        let rules = TopicRules::new(configs, &mut vocab).unwrap();
        (rules, vocab)
    }

    #[test]
    fn min_matches_counts_distinct_terms() {
        let (r, v) = rules(&[topic("t", &["سرقة", "السرقة", "لص"], &[], 2)]);
        // سرقة and السرقة are the same words: one distinct term.
        let one = Analyzed::new(&v, &["سرقة والسرقة"]);
        assert!(r.classify(&one).is_empty());
        let two = Analyzed::new(&v, &["سرقة نفذها لص"]);
        assert_eq!(r.classify(&two), ["t"]);
    }

    #[test]
    fn exclude_vetoes_and_is_explained() {
        let (r, v) = rules(&[topic("fire", &["fire"], &["fire sale"], 1)]);
        let text = Analyzed::new(&v, &["Fire sale at the mall"]);
        assert!(r.classify(&text).is_empty());
        let why = r.explain(&text);
        assert_eq!(why.len(), 1);
        assert_eq!(why[0].terms, ["fire"]);
        assert_eq!(why[0].excluded_by, ["fire sale"]);
        assert!(!why[0].assigned);
    }

    #[test]
    fn empty_term_is_an_error_naming_topic_and_term() {
        let mut vocab = Vocab::default();
        let err = TopicRules::new(&[topic("drugs", &["مخدرات", "ـــ،"], &[], 1)], &mut vocab)
            .unwrap_err();
        let shown = err.to_string();
        assert!(shown.contains("drugs") && shown.contains("ـــ،"), "{shown}");
    }

    #[test]
    fn unreachable_min_matches_is_an_error() {
        let mut vocab = Vocab::default();
        let err =
            TopicRules::new(&[topic("t", &["حريق", "الحريق"], &[], 2)], &mut vocab).unwrap_err();
        assert!(matches!(err, Error::UnreachableMinMatches { terms: 1, .. }));
    }

    #[test]
    fn proximity_terms_need_order_nearness_and_one_clause() {
        let (r, v) = rules(&[topic("c", &["شكاوى ... مركز أمني"], &[], 1)]);
        for hit in [
            "شكاوى من طول الانتظار في مركز أمني",
            "شكاوى مركز أمني",
            "وشكاوى المراجعين في المركز الأمني بالحي",
        ] {
            assert_eq!(r.classify(&Analyzed::new(&v, &[hit])), ["c"], "{hit}");
        }
        for miss in [
            // Wrong order.
            "مركز أمني جديد يستقبل الشكاوى",
            // Another clause.
            "شكاوى من الانتظار، وزيارة إلى مركز أمني",
            // Too far apart: seven words between.
            "شكاوى كثيرة جدا من الناس عن الانتظار الطويل في مركز أمني",
        ] {
            assert!(r.classify(&Analyzed::new(&v, &[miss])).is_empty(), "{miss}");
        }
        // Title and body.
        assert!(
            r.classify(&Analyzed::new(&v, &["شكاوى", "مركز أمني"]))
                .is_empty()
        );
        let why = r.explain(&Analyzed::new(&v, &["شكاوى من مركز أمني"]));
        assert_eq!(why[0].terms, ["شكاوى ... مركز أمني"]);
    }

    #[test]
    fn proximity_terms_chain_and_share_parts_with_phrases() {
        let (r, v) = rules(&[topic(
            "m",
            &[
                "reported … missing",
                "missing",
                "left home ... and ... not return",
            ],
            &[],
            2,
        )]);
        let two = Analyzed::new(&v, &["Family reported the boy missing"]);
        assert_eq!(r.classify(&two), ["m"]);
        let one = Analyzed::new(&v, &["Missing documents"]);
        assert!(r.classify(&one).is_empty());
        let chain = Analyzed::new(
            &v,
            &["He left home at dawn and did not return, police missing"],
        );
        assert_eq!(r.explain(&chain)[0].terms.len(), 2);
        let broken = Analyzed::new(&v, &["He left home. And did not return; missing"]);
        assert_eq!(r.explain(&broken)[0].terms, ["missing"]);
    }

    #[test]
    fn a_named_topic_vetoes_when_assigned() {
        let (r, v) = rules(&[
            topic("violence", &["مشاجرة", "stabbed"], &["topic:homicide"], 1),
            topic("homicide", &["جريمة قتل", "stabbed to death"], &[], 1),
        ]);
        let fight = Analyzed::new(&v, &["مشاجرة في الحي"]);
        assert_eq!(r.classify(&fight), ["violence"]);
        let killing = Analyzed::new(&v, &["جريمة قتل إثر مشاجرة"]);
        assert_eq!(r.classify(&killing), ["homicide"]);
        let en = Analyzed::new(&v, &["Man stabbed to death"]);
        assert_eq!(r.classify(&en), ["homicide"]);
        let why = r.explain(&killing);
        let violence = why.iter().find(|m| m.topic == "violence").unwrap();
        assert!(!violence.assigned);
        assert_eq!(violence.excluded_by, ["topic:homicide"]);
    }

    #[test]
    fn bad_topic_references_are_errors() {
        let mut vocab = Vocab::default();
        let unknown = TopicRules::new(&[topic("a", &["x"], &["topic:b"], 1)], &mut vocab);
        assert!(matches!(unknown, Err(Error::BadTopicRef { .. })));
        let in_terms = TopicRules::new(&[topic("a", &["topic:a"], &[], 1)], &mut vocab);
        assert!(matches!(in_terms, Err(Error::BadTopicRef { .. })));
        let cycle = TopicRules::new(
            &[
                topic("a", &["x"], &["topic:b"], 1),
                topic("b", &["y"], &["topic:a"], 1),
            ],
            &mut vocab,
        );
        let err = cycle.unwrap_err();
        assert!(err.to_string().contains("cycle"), "{err}");
        let empty_side = TopicRules::new(&[topic("a", &["شكاوى ... "], &[], 1)], &mut vocab);
        assert!(matches!(empty_side, Err(Error::BadProximityTerm { .. })));
    }

    #[test]
    fn shared_terms_feed_every_topic_that_lists_them() {
        let (r, v) = rules(&[
            topic("a", &["اطلاق نار"], &[], 1),
            topic("b", &["إطلاق النار"], &[], 1),
        ]);
        assert_eq!(r.len(), 2);
        let text = Analyzed::new(&v, &["إطلاق نار في الحي"]);
        assert_eq!(r.classify(&text), ["a", "b"]);
    }
}
