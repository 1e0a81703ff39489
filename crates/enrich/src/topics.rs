//! Topic rules compiled from `topics.toml`, and the [`TopicMatch`] they explain themselves
//! with.
//!
//! A topic is assigned when at least `min_matches` of its distinct terms occur in the text and
//! none of its `exclude` terms does. Terms that normalize to the same tokens count once.

use rasd_core::TopicConfig;
use tracing::warn;

use crate::phrase::PhraseSet;
use crate::tokens::{Analyzed, Mode, Vocab, term_tokens};
use crate::{Error, Result};

/// Why one topic did or did not match a text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicMatch {
    /// The topic id.
    pub topic: String,
    /// The terms found, as written in `topics.toml`, in file order.
    pub terms: Vec<String>,
    /// The exclude terms found, which veto the topic.
    pub excluded_by: Vec<String>,
    /// True when the topic is assigned: enough distinct terms and no exclude term.
    pub assigned: bool,
}

/// One compiled topic.
#[derive(Debug, Clone)]
struct Topic {
    id: String,
    min_matches: usize,
    terms: Vec<String>,
    excludes: Vec<String>,
}

/// Who owns a sequence: a topic's term (by index in its `terms`) or its exclude term.
#[derive(Debug, Clone, Copy)]
struct Owner {
    topic: u32,
    exclude: bool,
    index: u32,
}

/// All topics' terms in one [`PhraseSet`].
#[derive(Debug, Clone, Default)]
pub(crate) struct TopicRules {
    topics: Vec<Topic>,
    set: PhraseSet,
    owners: Vec<Vec<Owner>>,
}

impl TopicRules {
    /// Compiles `configs`, interning their words into `vocab`.
    pub(crate) fn new(configs: &[TopicConfig], vocab: &mut Vocab) -> Result<TopicRules> {
        let mut rules = TopicRules::default();
        for (t, cfg) in configs.iter().enumerate() {
            let topic = u32::try_from(t).unwrap_or(u32::MAX);
            let mut own: Vec<(u32, bool)> = Vec::new();
            let mut distinct_terms = 0usize;
            let lists = [(&cfg.terms, false), (&cfg.exclude, true)];
            for (list, exclude) in lists {
                for (i, term) in list.iter().enumerate() {
                    let words = term_tokens(term, Mode::Topic);
                    if words.is_empty() {
                        return Err(Error::EmptyTopicTerm {
                            topic: cfg.id.clone(),
                            term: term.clone(),
                        });
                    }
                    let ids: Vec<u32> = words.iter().map(|w| vocab.intern(w)).collect();
                    let seq = rules.set.insert(&ids);
                    if own.contains(&(seq, exclude)) {
                        // The same words as an earlier term of this topic: counts once.
                        continue;
                    }
                    if own.contains(&(seq, !exclude)) {
                        warn!(
                            topic = %cfg.id,
                            term = %term,
                            "Term is both a term and an exclude term of the topic; the exclude wins."
                        );
                    }
                    own.push((seq, exclude));
                    if !exclude {
                        distinct_terms += 1;
                    }
                    if rules.owners.len() <= seq as usize {
                        rules.owners.resize(seq as usize + 1, Vec::new());
                    }
                    rules.owners[seq as usize].push(Owner {
                        topic,
                        exclude,
                        index: u32::try_from(i).unwrap_or(u32::MAX),
                    });
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
                terms: cfg.terms.clone(),
                excludes: cfg.exclude.clone(),
            });
        }
        Ok(rules)
    }

    /// How many topics there are.
    pub(crate) fn len(&self) -> usize {
        self.topics.len()
    }

    /// Distinct term sequences found in `text`, sorted.
    fn hits(&self, text: &Analyzed) -> Vec<u32> {
        let mut found = Vec::new();
        self.set.find(&text.topic, &mut found);
        let mut hits: Vec<u32> = found.into_iter().map(|(_, seq)| seq).collect();
        hits.sort_unstable();
        hits.dedup();
        hits
    }

    /// The ids of the topics assigned to `text`, sorted, without duplicates.
    pub(crate) fn classify(&self, text: &Analyzed) -> Vec<String> {
        let mut counts = vec![0usize; self.topics.len()];
        let mut vetoed = vec![false; self.topics.len()];
        for seq in self.hits(text) {
            for o in &self.owners[seq as usize] {
                if o.exclude {
                    vetoed[o.topic as usize] = true;
                } else {
                    counts[o.topic as usize] += 1;
                }
            }
        }
        let mut ids: Vec<String> = self
            .topics
            .iter()
            .enumerate()
            .filter(|(t, topic)| !vetoed[*t] && counts[*t] >= topic.min_matches)
            .map(|(_, topic)| topic.id.clone())
            .collect();
        ids.sort_unstable();
        ids.dedup();
        ids
    }

    /// Every topic with at least one term or exclude term found in `text`, sorted by id.
    pub(crate) fn explain(&self, text: &Analyzed) -> Vec<TopicMatch> {
        let mut found: Vec<(Vec<u32>, Vec<u32>)> =
            vec![(Vec::new(), Vec::new()); self.topics.len()];
        for seq in self.hits(text) {
            for o in &self.owners[seq as usize] {
                let (terms, excludes) = &mut found[o.topic as usize];
                if o.exclude {
                    excludes.push(o.index);
                } else {
                    terms.push(o.index);
                }
            }
        }
        let mut out: Vec<TopicMatch> = found
            .into_iter()
            .zip(&self.topics)
            .filter(|((terms, excludes), _)| !terms.is_empty() || !excludes.is_empty())
            .map(|((mut terms, mut excludes), topic)| {
                terms.sort_unstable();
                excludes.sort_unstable();
                TopicMatch {
                    topic: topic.id.clone(),
                    assigned: excludes.is_empty() && terms.len() >= topic.min_matches,
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

#[cfg(test)]
mod tests {
    use super::*;

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
