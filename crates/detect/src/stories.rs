//! Near-duplicate stories: the same report carried by several outlets.
//!
//! Every enriched item carries a 64-bit SimHash fingerprint of its text (`Tags::fingerprint`,
//! 0 when there was no text). Two fingerprints at most [`NEAR_BITS`] bits apart are
//! near-duplicates. [`near_duplicate_groups`] clusters a day's fingerprints without comparing
//! every pair: the 64 bits are cut into four 16-bit blocks, and two fingerprints within 3 bits
//! of each other agree exactly on at least one block (three differing bits touch at most three
//! blocks), so only fingerprints sharing a block value are compared. Linked fingerprints are
//! joined with a union-find, so a chain of close rewrites forms one story. A [`Story`] is a
//! group of at least two items from at least two sources.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use rasd_core::Item;
use serde::Serialize;

use crate::DigestItem;

/// Fingerprints at most this many bits apart are near-duplicates.
pub const NEAR_BITS: u32 = 3;
/// At most this many stories are listed in the digest.
pub const STORIES_LISTED: usize = 10;
/// At most this many items (one per outlet, earliest first) are listed under a story.
pub const ITEMS_PER_STORY: usize = 8;

/// Bits per block of the banding index; 64 / 16 = 4 blocks, one more than [`NEAR_BITS`].
const BLOCK_BITS: u32 = 16;

/// The number of bits in which two fingerprints differ.
pub fn hamming(a: u64, b: u64) -> u32 {
    (a ^ b).count_ones()
}

/// True when both fingerprints are set (non-zero) and at most [`NEAR_BITS`] bits apart.
pub fn is_near_duplicate(a: u64, b: u64) -> bool {
    a != 0 && b != 0 && hamming(a, b) <= NEAR_BITS
}

/// The same story as carried by several outlets on the day.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Story {
    /// The headline of the earliest report.
    pub title: String,
    /// The story's id in the store (`None` for a group of near-duplicates found in the day's
    /// items alone, when no story assigner ran).
    pub id: Option<u64>,
    /// Distinct sources that carried it.
    pub outlets: usize,
    /// Distinct owners among them (`owner` in `sources.toml`): independent outlets.
    pub owners: usize,
    /// When it became breaking (`[stories] breaking_owners` independent owners within
    /// `breaking_within`), if it did.
    pub breaking_at: Option<DateTime<Utc>>,
    /// Items in the group (an outlet may have carried it more than once).
    pub count: usize,
    /// Source display names, in the order they first carried it.
    pub sources: Vec<String>,
    /// When the earliest report was published (or fetched).
    pub first: DateTime<Utc>,
    /// At least one report is about the police.
    pub about_police: bool,
    /// The earliest report of each outlet, earliest first, at most [`ITEMS_PER_STORY`].
    pub items: Vec<DigestItem>,
}

/// A union-find over `0..n` with path halving and union by size.
struct Sets {
    parent: Vec<usize>,
    size: Vec<usize>,
}

impl Sets {
    fn new(n: usize) -> Sets {
        Sets {
            parent: (0..n).collect(),
            size: vec![1; n],
        }
    }

    fn find(&mut self, mut x: usize) -> usize {
        while self.parent[x] != x {
            self.parent[x] = self.parent[self.parent[x]];
            x = self.parent[x];
        }
        x
    }

    fn union(&mut self, a: usize, b: usize) {
        let (mut a, mut b) = (self.find(a), self.find(b));
        if a == b {
            return;
        }
        if self.size[a] < self.size[b] {
            std::mem::swap(&mut a, &mut b);
        }
        self.parent[b] = a;
        self.size[a] += self.size[b];
    }
}

/// Groups positions of `fingerprints` whose values are near-duplicates (directly or through a
/// chain of near-duplicates). Zero fingerprints never group. Returns only groups of two or
/// more positions, each sorted, the groups ordered by their first position.
///
/// Equal fingerprints are merged first, then the distinct values are bucketed by each of
/// their four 16-bit blocks and compared only within a bucket: about `n` hash insertions plus
/// the pairs that share a block, instead of all `n²/2` pairs.
pub fn near_duplicate_groups(fingerprints: &[u64]) -> Vec<Vec<usize>> {
    // Distinct non-zero values, each with the positions that carry it.
    let mut by_value: HashMap<u64, Vec<usize>> = HashMap::new();
    for (pos, &fp) in fingerprints.iter().enumerate() {
        if fp != 0 {
            by_value.entry(fp).or_default().push(pos);
        }
    }
    let mut values: Vec<u64> = by_value.keys().copied().collect();
    values.sort_unstable();

    let mut sets = Sets::new(values.len());
    for block in 0..(64 / BLOCK_BITS) {
        let shift = block * BLOCK_BITS;
        let mut buckets: HashMap<u16, Vec<usize>> = HashMap::new();
        for (k, &v) in values.iter().enumerate() {
            // Truncation keeps exactly the 16 bits of this block.
            buckets.entry((v >> shift) as u16).or_default().push(k);
        }
        for bucket in buckets.values().filter(|b| b.len() > 1) {
            for (i, &a) in bucket.iter().enumerate() {
                for &b in &bucket[i + 1..] {
                    if hamming(values[a], values[b]) <= NEAR_BITS && sets.find(a) != sets.find(b) {
                        sets.union(a, b);
                    }
                }
            }
        }
    }

    let mut groups: HashMap<usize, Vec<usize>> = HashMap::new();
    for (k, v) in values.iter().enumerate() {
        let root = sets.find(k);
        groups.entry(root).or_default().extend(&by_value[v]);
    }
    let mut groups: Vec<Vec<usize>> = groups
        .into_values()
        .filter(|g| g.len() > 1)
        .map(|mut g| {
            g.sort_unstable();
            g
        })
        .collect();
    groups.sort_unstable_by_key(|g| g[0]);
    groups
}

/// The stories among `items` (the day's items) carried by at least two sources: items the
/// story assigner put in one story (`story_of`, item id → story id) together, and the items it
/// has not seen grouped by near-duplicate fingerprints. Breaking stories (`breaking`: story
/// id → when) first, then most independent owners (then most outlets, most items, earliest). Returns the first [`STORIES_LISTED`] and how many
/// there were in all. `listed` turns an item into its digest entry, `source_name` gives a
/// source's display name and `owner_of` its owner.
pub(crate) fn stories(
    items: &[&Item],
    story_of: &HashMap<String, u64>,
    breaking: &HashMap<u64, DateTime<Utc>>,
    listed: impl Fn(&Item) -> DigestItem,
    source_name: impl Fn(&str) -> String,
    owner_of: impl Fn(&str) -> String,
) -> (Vec<Story>, usize) {
    let mut by_story: std::collections::BTreeMap<u64, Vec<usize>> = Default::default();
    let mut rest: Vec<usize> = Vec::new();
    for (k, item) in items.iter().enumerate() {
        match story_of.get(&item.id) {
            Some(s) => by_story.entry(*s).or_default().push(k),
            None => rest.push(k),
        }
    }
    let fingerprints: Vec<u64> = rest.iter().map(|&k| items[k].tags.fingerprint).collect();
    let groups = by_story.into_iter().map(|(id, g)| (Some(id), g)).chain(
        near_duplicate_groups(&fingerprints)
            .into_iter()
            .map(|g| (None, g.into_iter().map(|i| rest[i]).collect())),
    );
    let mut stories: Vec<Story> = groups
        .filter_map(|(id, group)| {
            let mut members: Vec<&Item> = group.iter().map(|&k| items[k]).collect();
            members.sort_by(|a, b| a.when().cmp(&b.when()).then_with(|| a.id.cmp(&b.id)));
            let mut firsts: Vec<&Item> = Vec::new();
            for m in &members {
                if !firsts.iter().any(|f| f.source == m.source) {
                    firsts.push(m);
                }
            }
            if firsts.len() < 2 {
                return None;
            }
            let mut owners: Vec<String> = firsts.iter().map(|f| owner_of(&f.source)).collect();
            owners.sort_unstable();
            owners.dedup();
            let earliest = members[0];
            let title = members
                .iter()
                .map(|m| m.title.trim())
                .find(|t| !t.is_empty())
                .map_or_else(|| listed(earliest).title, str::to_string);
            Some(Story {
                breaking_at: id.and_then(|i| breaking.get(&i).copied()),
                id,
                title,
                outlets: firsts.len(),
                owners: owners.len(),
                count: members.len(),
                sources: firsts.iter().map(|f| source_name(&f.source)).collect(),
                first: earliest.when(),
                about_police: members.iter().any(|m| m.tags.about_police),
                items: firsts
                    .iter()
                    .take(ITEMS_PER_STORY)
                    .map(|i| listed(i))
                    .collect(),
            })
        })
        .collect();
    stories.sort_by(|a, b| {
        b.breaking_at
            .is_some()
            .cmp(&a.breaking_at.is_some())
            .then_with(|| b.owners.cmp(&a.owners))
            .then_with(|| b.outlets.cmp(&a.outlets))
            .then_with(|| b.count.cmp(&a.count))
            .then_with(|| a.first.cmp(&b.first))
            .then_with(|| a.title.cmp(&b.title))
    });
    let total = stories.len();
    stories.truncate(STORIES_LISTED);
    (stories, total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hamming_and_threshold() {
        assert_eq!(hamming(0b1011, 0b0001), 2);
        assert!(is_near_duplicate(0xff00, 0xff07));
        assert!(!is_near_duplicate(0xff00, 0xff0f));
        assert!(!is_near_duplicate(0, 0));
        assert!(!is_near_duplicate(0, 1));
    }

    #[test]
    fn groups_within_three_bits_across_blocks() {
        let base = 0x1234_5678_9abc_def0_u64;
        // One bit flipped in each of three different blocks: 3 bits apart, still grouped.
        let near = base ^ (1 << 3) ^ (1 << 20) ^ (1 << 40);
        // Four bits from `base`, one per block (and 7 from `near`): not a near-duplicate.
        let far = base ^ (1 << 5) ^ (1 << 21) ^ (1 << 41) ^ (1 << 61);
        let other = 0x0f0f_0f0f_0f0f_0f0f_u64;
        let groups = near_duplicate_groups(&[base, other, near, far, base]);
        assert_eq!(groups, vec![vec![0, 2, 4]]);
    }

    #[test]
    fn chains_join_into_one_group() {
        let a = 0xdead_beef_0000_0000_u64;
        let b = a ^ 0b111; // 3 from a
        let c = b ^ 0b111_000; // 3 from b, 6 from a
        assert_eq!(near_duplicate_groups(&[c, a, b]), vec![vec![0, 1, 2]]);
    }

    #[test]
    fn zero_fingerprints_never_group() {
        assert!(near_duplicate_groups(&[0, 0, 0]).is_empty());
        assert_eq!(near_duplicate_groups(&[0, 5, 0, 5]), vec![vec![1, 3]]);
    }

    #[test]
    fn ten_thousand_fingerprints_group_quickly() {
        // Pseudo-random fingerprints with every 100th a copy of its predecessor with one bit
        // flipped: exactly 100 pairs expected.
        let mut x = 0x9e37_79b9_7f4a_7c15_u64;
        let mut fps = Vec::with_capacity(10_000);
        for k in 0..10_000 {
            if k % 100 == 99 {
                let prev: u64 = fps[k - 1];
                fps.push(prev ^ (1 << (k % 64)));
            } else {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                fps.push(x);
            }
        }
        let groups = near_duplicate_groups(&fps);
        assert_eq!(groups.len(), 100);
        assert!(groups.iter().all(|g| g.len() == 2 && g[1] == g[0] + 1));
    }
}
