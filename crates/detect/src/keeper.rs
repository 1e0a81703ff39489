//! The story assigner beside the store: [`StoryKeeper`] follows the store's change sequence
//! and gives every new item its story ([`crate::clusters`]), recording it in the store.

use std::collections::HashMap;

use rasd_core::{Config, Item};
use rasd_store::{Store, StoryAssigned, StoryMember};

use crate::Result;
use crate::clusters::{Assignment, LinkKind, StoryIndex, StoryInput, StoryParams, breaking_at};

/// Changes read from the store at a time.
const PAGE: usize = 1000;

/// The story index of the last 72 hours, kept in step with the store (see
/// [`StoryKeeper::catch_up`]).
#[derive(Debug)]
pub struct StoryKeeper {
    index: StoryIndex,
    /// Source id → owner (`owner` in `sources.toml`, else the source id).
    owners: HashMap<String, String>,
    /// The in-memory window no longer matches the store (a write failed): reload first.
    stale: bool,
    /// `[stories] breaking_owners` and `breaking_within`.
    breaking_owners: usize,
    breaking_within: chrono::Duration,
    /// Stories known to be breaking (not checked again).
    breaking: std::collections::HashSet<u64>,
}

fn input<'a>(item: &'a Item, outlet: &'a str, owner: &'a str) -> StoryInput<'a> {
    StoryInput {
        id: &item.id,
        at: item.when(),
        title: &item.title,
        body: &item.body,
        fingerprint: item.tags.fingerprint,
        places: &item.tags.places,
        topics: &item.tags.topics,
        outlet,
        owner,
    }
}

impl StoryKeeper {
    /// Loads the items given a story in the window before the latest one, so that new items
    /// are compared with them.
    pub fn open(store: &Store, config: &Config) -> Result<StoryKeeper> {
        let owners = config
            .sources
            .iter()
            .map(|s| (s.id.clone(), s.owner_or_id().to_string()))
            .collect();
        let stories = config.settings.stories;
        let mut keeper = StoryKeeper {
            index: StoryIndex::new(StoryParams::default(), 1),
            owners,
            stale: true,
            breaking_owners: stories.breaking_owners as usize,
            breaking_within: chrono::Duration::from_std(stories.breaking_within.as_duration())
                .unwrap_or_else(|_| chrono::Duration::hours(2)),
            breaking: std::collections::HashSet::new(),
        };
        keeper.reload(store)?;
        Ok(keeper)
    }

    /// Counts the items of `source` as `owner`'s (sources not in `sources.toml`, such as
    /// a replay's, which name their owner on each line).
    pub fn set_owner(&mut self, source: &str, owner: &str) {
        self.owners.insert(source.to_string(), owner.to_string());
    }

    fn reload(&mut self, store: &Store) -> Result<()> {
        let params = self.index.params();
        let mut index = StoryIndex::new(params, store.max_story_id()? + 1);
        if let Some(last) = store.last_story_at()? {
            let mut stories = Vec::new();
            for (item, member) in store.story_window(last - params.window)? {
                index.insert_assigned(&input(&item, &member.outlet, &member.owner), member.story);
                stories.push(member.story);
            }
            stories.sort_unstable();
            stories.dedup();
            for s in store.stories(&stories)? {
                index.set_first_seen(s.id, s.first_seen);
                if s.breaking_at.is_some() {
                    self.breaking.insert(s.id);
                }
            }
        }
        self.index = index;
        self.stale = false;
        Ok(())
    }

    /// The owner a source counts as.
    pub fn owner_of<'a>(&'a self, source: &'a str) -> &'a str {
        self.owners.get(source).map_or(source, String::as_str)
    }

    /// Gives a story to every item changed after the last change the assigner read that has
    /// none yet (a re-tagged item keeps its story), in time order within each page of
    /// changes, and records them with the new change mark, a page per transaction. Returns
    /// how many items were given a story. After a failed write the window is reloaded from
    /// the store on the next call, so what is recorded and what is compared stay the same.
    pub fn catch_up(&mut self, store: &Store) -> Result<usize> {
        if self.stale {
            self.reload(store)?;
        }
        let mut from = store.stories_seq()?;
        let mut assigned = 0;
        loop {
            let page = store.changes_after(from, PAGE)?;
            let Some(last) = page.last else { break };
            let ids: Vec<&str> = page.items.iter().map(|i| i.id.as_str()).collect();
            let done = store.with_story(&ids)?;
            let mut fresh: Vec<&Item> = page
                .items
                .iter()
                .filter(|i| !done.contains(&i.id))
                .collect();
            fresh.sort_by(|a, b| a.when().cmp(&b.when()).then_with(|| a.id.cmp(&b.id)));
            let mut rows = Vec::with_capacity(fresh.len());
            for item in fresh {
                let owner = self.owner_of(&item.source).to_string();
                let a = self.index.assign(&input(item, &item.source, &owner));
                rows.push(row(item, owner, a));
            }
            self.stale = true;
            store.record_stories(&rows, last)?;
            self.stale = false;
            self.mark_breaking(store, &rows)?;
            assigned += rows.len();
            from = last;
        }
        Ok(assigned)
    }

    /// Marks the stories that `rows` made breaking (see [`breaking_at`]). Done after the
    /// rows are recorded and again whenever a story grows, so a failure here only delays it.
    fn mark_breaking(&mut self, store: &Store, rows: &[StoryAssigned]) -> Result<()> {
        let mut touched: Vec<u64> = rows
            .iter()
            .map(|r| r.story)
            .filter(|s| !self.breaking.contains(s))
            .collect();
        touched.sort_unstable();
        touched.dedup();
        for story in touched {
            let members = store.story_members(story)?;
            if members.len() < self.breaking_owners {
                continue;
            }
            if let Some(at) = breaking_at(&members, self.breaking_owners, self.breaking_within) {
                store.mark_breaking(story, at)?;
                self.breaking.insert(story);
            }
        }
        Ok(())
    }
}

fn row(item: &Item, owner: String, a: Assignment) -> StoryAssigned {
    let (link_item, link_kind, cosine) = match a.link {
        None => (None, None, None),
        Some(l) => {
            let kind = match l.kind {
                LinkKind::NearDuplicate => "near_duplicate".to_string(),
                LinkKind::Similar => "similar".to_string(),
                LinkKind::Shared(what) => format!("shared {what}"),
            };
            (Some(l.item), Some(kind), Some(l.cosine))
        }
    };
    StoryAssigned {
        item_id: item.id.clone(),
        story: a.story,
        title: item.title.clone(),
        member: StoryMember {
            story: a.story,
            outlet: item.source.clone(),
            owner,
            at: item.when(),
        },
        link_item,
        link_kind,
        cosine,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{DateTime, Duration};

    fn config() -> Config {
        let sources = "[[source]]\nid = \"petra\"\nname = \"Petra\"\nkind = \"feed\"\n\
                       url = \"https://petra.example.jo/rss\"\nowner = \"state\"\n\n\
                       [[source]]\nid = \"alrai\"\nname = \"Alrai\"\nkind = \"feed\"\n\
                       url = \"https://alrai.example.jo/rss\"\nowner = \"state\"\n\n\
                       [[source]]\nid = \"roya\"\nname = \"Roya\"\nkind = \"feed\"\n\
                       url = \"https://roya.example.jo/rss\"\n";
        Config::from_texts(std::path::Path::new("cfg"), ["", sources, "", "", ""]).unwrap()
    }

    fn item(source: &str, n: u32, h: i64, title: &str, body: &str) -> Item {
        let at = DateTime::from_timestamp(1_780_000_000, 0).unwrap() + Duration::hours(h);
        let mut i = Item::new(
            source,
            &format!("https://{source}.example.jo/{n}"),
            title,
            body,
            at,
        );
        i.published = Some(at);
        i
    }

    const CRASH: &str = "توفي ثلاثة أشخاص وأصيب 14 آخرون إثر تدهور حافلة ركاب قادمة من العقبة على الطريق الصحراوي قرب القطرانة فجر اليوم.";
    const CRASH2: &str = "أعلن الدفاع المدني وفاة ثلاثة أشخاص وإصابة أربعة عشر في تدهور حافلة على الصحراوي بالقرب من القطرانة.";

    #[test]
    fn stories_follow_the_store_survive_a_restart_and_count_owners_once() {
        let store = Store::open_test();
        let config = config();
        store
            .upsert_items(&[
                item("petra", 1, 0, "وفاة 3 بتدهور حافلة قرب القطرانة", CRASH),
                item("alrai", 2, 1, "3 وفيات بتدهور حافلة قرب القطرانة", CRASH2),
                item(
                    "roya",
                    3,
                    2,
                    "ضبط مواد مخدرة في إربد",
                    "ألقت مكافحة المخدرات القبض على ثلاثة في إربد.",
                ),
            ])
            .unwrap();
        let mut keeper = StoryKeeper::open(&store, &config).unwrap();
        assert_eq!(keeper.catch_up(&store).unwrap(), 3);
        assert_eq!(keeper.catch_up(&store).unwrap(), 0, "nothing new");
        let ids: Vec<String> = ["petra", "alrai", "roya"]
            .iter()
            .enumerate()
            .map(|(k, s)| item(s, k as u32 + 1, 0, "", "").id)
            .collect();
        let refs: Vec<&str> = ids.iter().map(String::as_str).collect();
        let of = store.story_of(&refs).unwrap();
        assert_eq!(of[&ids[0]], of[&ids[1]]);
        assert_ne!(of[&ids[0]], of[&ids[2]]);
        let crash = &store.stories(&[of[&ids[0]]]).unwrap()[0];
        assert_eq!((crash.items, crash.outlets, crash.owners), (2, 2, 1));
        // The digest reads a period's stories at once: the first two hours hold two items.
        let first = item("petra", 1, 0, "", "").when();
        let between = store
            .story_of_between(first, first + Duration::hours(2))
            .unwrap();
        assert_eq!(between.len(), 2);
        assert_eq!(between[&ids[1]], of[&ids[0]]);
        // A restart reloads the window: a later rewrite from a third owner joins the story.
        let mut again = StoryKeeper::open(&store, &config).unwrap();
        store
            .upsert_items(&[item(
                "roya",
                4,
                5,
                "تدهور حافلة قرب القطرانة: 3 وفيات و14 إصابة",
                CRASH,
            )])
            .unwrap();
        assert_eq!(again.catch_up(&store).unwrap(), 1);
        let id4 = item("roya", 4, 0, "", "").id;
        assert_eq!(store.story_of(&[&id4]).unwrap()[&id4], of[&ids[0]]);
        let crash = &store.stories(&[of[&ids[0]]]).unwrap()[0];
        assert_eq!((crash.items, crash.outlets, crash.owners), (3, 3, 2));
        assert_eq!(crash.first_seen, item("petra", 1, 0, "", "").when());
        // Re-tagging an item does not move it.
        let mut retagged = store.get_item(&ids[2]).unwrap().unwrap();
        retagged.tags.topics = vec!["drugs".into()];
        store.upsert_items(&[retagged]).unwrap();
        assert_eq!(again.catch_up(&store).unwrap(), 0);
        assert_eq!(store.story_of(&[&ids[2]]).unwrap()[&ids[2]], of[&ids[2]]);
    }

    #[test]
    fn three_owners_within_two_hours_make_a_story_breaking_one_owner_s_four_sites_do_not() {
        let mut sources = String::new();
        for (id, owner) in [
            ("a", "a"),
            ("b", "b"),
            ("c", "c"),
            ("w1", "wire"),
            ("w2", "wire"),
            ("w3", "wire"),
            ("w4", "wire"),
        ] {
            sources.push_str(&format!(
                "[[source]]\nid = \"{id}\"\nname = \"{id}\"\nkind = \"feed\"\n\
                 url = \"https://{id}.example.jo/rss\"\nowner = \"{owner}\"\n\n"
            ));
        }
        let config =
            Config::from_texts(std::path::Path::new("cfg"), ["", &sources, "", "", ""]).unwrap();
        let store = Store::open_test();
        let wire_title = "انفجار أسطوانة غاز في مطعم بالزرقاء يصيب خمسة أشخاص";
        let wire_body = "أصيب خمسة أشخاص إثر انفجار أسطوانة غاز داخل مطعم في الزرقاء مساء أمس وفق الدفاع المدني.";
        // Four sites of one wire carry a story within the hour: not breaking.
        let wire: Vec<Item> = (1..=4)
            .map(|k| item(&format!("w{k}"), k, 0, wire_title, wire_body))
            .collect();
        // Three owners carry the bus crash within two hours: breaking.
        let crash = [
            item("a", 10, 10, "وفاة 3 بتدهور حافلة قرب القطرانة", CRASH),
            item("b", 11, 11, "3 وفيات بتدهور حافلة قرب القطرانة", CRASH2),
            item(
                "c",
                12,
                11,
                "تدهور حافلة قرب القطرانة: 3 وفيات و14 إصابة",
                CRASH,
            ),
        ];
        store.upsert_items(&wire).unwrap();
        store.upsert_items(&crash).unwrap();
        let mut keeper = StoryKeeper::open(&store, &config).unwrap();
        assert_eq!(keeper.catch_up(&store).unwrap(), 7);
        let of = |i: &Item| store.story_of(&[&i.id]).unwrap()[&i.id];
        let w = &store.stories(&[of(&wire[0])]).unwrap()[0];
        assert_eq!((w.outlets, w.owners, w.breaking_at), (4, 1, None));
        let c = &store.stories(&[of(&crash[0])]).unwrap()[0];
        assert_eq!((c.outlets, c.owners), (3, 3));
        assert_eq!(c.breaking_at, Some(crash[2].when()));
        let recent = store
            .recent_stories(crash[0].when() - Duration::days(1), 2, 10)
            .unwrap();
        assert_eq!(recent[0].id, c.id, "breaking first");
    }
}
