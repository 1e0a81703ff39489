//! [`PhraseSet`]: finds contiguous token sequences (rule terms) in an analyzed text.
//!
//! Sequences are indexed by their first token (token ids are dense, so the index is a
//! vector), so a text position costs one array access per form and only the sequences that
//! start with that word are compared further.

use crate::tokens::{FastMap, Mode, NONE, Vocab, term_tokens};
use crate::{Error, Result};

/// The entries of several lists in one [`PhraseSet`], each phrase with the role of its list
/// and the entry as written (for explanations). A phrase in two lists keeps the later list's
/// role and wording: list the weaker roles first.
pub(crate) struct RoledPhrases<R> {
    pub(crate) set: PhraseSet,
    pub(crate) roles: Vec<R>,
    pub(crate) written: Vec<String>,
}

impl<R: Copy> RoledPhrases<R> {
    /// Compiles `lists`, interning their words into `vocab`; an entry that normalizes to
    /// nothing is an error naming `what` (the table it came from) and the entry.
    pub(crate) fn new(lists: &[(&[String], R)], what: &str, vocab: &mut Vocab) -> Result<Self> {
        let mut out = RoledPhrases {
            set: PhraseSet::default(),
            roles: Vec::new(),
            written: Vec::new(),
        };
        for &(list, role) in lists {
            for entry in list {
                let words = term_tokens(entry, Mode::Topic);
                if words.is_empty() {
                    return Err(Error::EmptyTopicTerm {
                        topic: what.to_string(),
                        term: entry.clone(),
                    });
                }
                let ids: Vec<u32> = words.iter().map(|w| vocab.intern(w)).collect();
                let seq = out.set.insert(&ids) as usize;
                if out.roles.len() <= seq {
                    out.roles.resize(seq + 1, role);
                    out.written.resize(seq + 1, String::new());
                }
                out.roles[seq] = role;
                out.written[seq] = entry.clone();
            }
        }
        Ok(out)
    }
}

/// A set of distinct token-id sequences.
#[derive(Debug, Default, Clone)]
pub(crate) struct PhraseSet {
    seqs: Vec<Box<[u32]>>,
    ids: FastMap<Box<[u32]>, u32>,
    /// The sequences starting with token `t`, at index `t`.
    by_first: Vec<Vec<u32>>,
}

impl PhraseSet {
    /// Adds `seq` (non-empty, without [`NONE`]) and returns its index; a sequence already in
    /// the set keeps its index.
    pub(crate) fn insert(&mut self, seq: &[u32]) -> u32 {
        debug_assert!(!seq.is_empty() && !seq.contains(&NONE));
        if let Some(&id) = self.ids.get(seq) {
            return id;
        }
        let id = u32::try_from(self.seqs.len()).unwrap_or(u32::MAX);
        self.seqs.push(seq.into());
        self.ids.insert(seq.into(), id);
        let first = seq[0] as usize;
        if self.by_first.len() <= first {
            self.by_first.resize(first + 1, Vec::new());
        }
        self.by_first[first].push(id);
        id
    }

    /// How many sequences the set holds.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.seqs.len()
    }

    /// How many tokens sequence `seq` has.
    pub(crate) fn seq_len(&self, seq: u32) -> usize {
        self.seqs.get(seq as usize).map_or(0, |s| s.len())
    }

    /// The first token of sequence `seq` ([`NONE`] for an unknown index).
    pub(crate) fn first(&self, seq: u32) -> u32 {
        self.seqs
            .get(seq as usize)
            .and_then(|s| s.first())
            .copied()
            .unwrap_or(NONE)
    }

    /// Pushes onto `out` the start position and index of every sequence found in `text`, once
    /// per occurrence, in text order. Position `i` of `text` matches a token when either of its
    /// two ids does.
    pub(crate) fn find(&self, text: &[[u32; 2]], out: &mut Vec<(usize, u32)>) {
        for (i, pos) in text.iter().enumerate() {
            for (k, &first) in pos.iter().enumerate() {
                if first == NONE || (k == 1 && first == pos[0]) {
                    continue;
                }
                let Some(candidates) = self.by_first.get(first as usize) else {
                    continue;
                };
                for &c in candidates {
                    let seq = &self.seqs[c as usize];
                    let Some(rest) = text.get(i + 1..i + seq.len()) else {
                        continue;
                    };
                    if seq[1..]
                        .iter()
                        .zip(rest)
                        .all(|(t, p)| *t == p[0] || *t == p[1])
                    {
                        out.push((i, c));
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_contiguous_sequences_with_either_form() {
        let mut set = PhraseSet::default();
        let ab = set.insert(&[1, 2]);
        let b = set.insert(&[2]);
        let abc = set.insert(&[1, 2, 3]);
        assert_eq!(set.insert(&[1, 2]), ab);
        assert_eq!(set.len(), 3);

        let text = [
            [1, NONE],
            [9, 2],
            [3, NONE],
            [NONE, NONE],
            [1, NONE],
            [2, NONE],
        ];
        let mut out = Vec::new();
        set.find(&text, &mut out);
        assert_eq!(out, [(0, ab), (0, abc), (1, b), (4, ab), (5, b)]);
        assert_eq!(set.seq_len(abc), 3);
    }

    #[test]
    fn a_barrier_or_the_end_stops_a_phrase() {
        let mut set = PhraseSet::default();
        set.insert(&[1, 2]);
        let mut out = Vec::new();
        set.find(&[[1, NONE], [NONE, NONE], [2, NONE], [1, NONE]], &mut out);
        assert!(out.is_empty());
    }
}
