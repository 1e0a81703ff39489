//! The daily digest: the day's items by topic against the week before, how the police were
//! spoken of, and the stories several outlets carried.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, Days, NaiveDate, Utc};
use rasd_core::{Config, Item, ItemKind, PoliceStance, SentimentTag};
use rasd_search::SearchIndex;
use rasd_store::Store;
use serde::Serialize;

use crate::police::{PoliceSummary, summarize};
use crate::stories::{Story, stories};
use crate::{Error, Result};

/// How many earlier days a topic's count is compared with.
pub const BASELINE_DAYS: u64 = 7;
/// At most this many items are listed under each topic.
pub const ITEMS_PER_TOPIC: usize = 8;

/// Public submissions listed in the digest.
pub const SUBMISSIONS_LISTED: usize = 10;

/// The topic of the directorate's own activities (`topics.toml`): the digest shows its
/// coverage in a section of its own.
pub const OWN_COVERAGE_TOPIC: &str = "psd_activity";

/// How a topic's count today compares with its recent average.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Trend {
    /// Nothing in the previous week, several items today.
    New,
    /// At least twice its average and at least three items.
    Rising,
    /// Within the usual range.
    Steady,
    /// Less than half its average.
    Falling,
}

impl Trend {
    /// Classifies `count` against `baseline` (the average per day over the week before).
    pub fn of(count: usize, baseline: f64) -> Trend {
        let c = count as f64;
        if baseline == 0.0 && count >= 3 {
            Trend::New
        } else if count >= 3 && c >= 2.0 * baseline.max(0.5) {
            Trend::Rising
        } else if baseline >= 1.0 && c < 0.5 * baseline {
            Trend::Falling
        } else {
            Trend::Steady
        }
    }

    /// True for the trends the digest puts first.
    pub fn is_notable(self) -> bool {
        matches!(self, Trend::New | Trend::Rising)
    }
}

/// A governorate and how many items named it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PlaceCount {
    /// Governorate id.
    pub id: String,
    /// Arabic name.
    pub name_ar: String,
    /// English name.
    pub name_en: String,
    /// Items that day.
    pub count: usize,
}

/// An item as listed in the digest.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DigestItem {
    /// Item id.
    pub id: String,
    /// Headline (for comments, the start of the text).
    pub title: String,
    /// Link to the article.
    pub url: String,
    /// Source id.
    pub source: String,
    /// Source display name.
    pub source_name: String,
    /// Language code.
    pub lang: String,
    /// When it was published (or fetched).
    pub when: DateTime<Utc>,
    /// Governorate ids.
    pub places: Vec<String>,
    /// Article or public comment.
    pub kind: ItemKind,
    /// Sentiment, when the item has one.
    pub sentiment: Option<SentimentTag>,
    /// Stance toward the police, for an item about the police.
    pub police_stance: Option<PoliceStance>,
}

/// One topic in the digest.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TopicSummary {
    /// Topic id.
    pub id: String,
    /// Arabic name.
    pub name_ar: String,
    /// English name.
    pub name_en: String,
    /// Events on the day: its items counted once per story (a crash six outlets reported is
    /// one), an item no story assigner has seen counted alone.
    pub count: usize,
    /// Items on the day (copies and rewrites of one event each counted).
    pub item_count: usize,
    /// Average events per day over the previous [`BASELINE_DAYS`] days.
    pub baseline: f64,
    /// The day's count against the baseline.
    pub trend: Trend,
    /// Distinct sources that carried the topic that day.
    pub sources: usize,
    /// Governorates named most, most first.
    pub places: Vec<PlaceCount>,
    /// The newest items, at most [`ITEMS_PER_TOPIC`].
    pub items: Vec<DigestItem>,
    /// Events per day over the [`BASELINE_DAYS`] days before and the day itself, oldest
    /// first (the digest's 7-day line).
    pub daily: Vec<usize>,
}

/// The digest of one day.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Digest {
    /// The day, in `timezone`.
    pub date: NaiveDate,
    /// The time zone days are counted in.
    pub timezone: String,
    /// When the digest was built.
    pub generated: DateTime<Utc>,
    /// Items on the day.
    pub total: usize,
    /// Public comments among them.
    pub comments: usize,
    /// Items per language code.
    pub by_lang: BTreeMap<String, usize>,
    /// Governorates named that day, most first.
    pub places: Vec<PlaceCount>,
    /// Topics with items that day: notable trends first, then by count.
    pub topics: Vec<TopicSummary>,
    /// Items with no topic.
    pub untagged: usize,
    /// Items about the police by stance toward the police, against the week before.
    pub police: PoliceSummary,
    /// The same story across outlets: the largest near-duplicate groups, most outlets first,
    /// at most [`STORIES_LISTED`](crate::STORIES_LISTED).
    pub stories: Vec<Story>,
    /// How many stories (groups carried by two or more outlets) there were in all.
    pub stories_total: usize,
    /// What was trending at the end of the day (or when the digest was built, for today):
    /// see [`crate::trends_at`]. Filled by [`build_digest`]; empty from the pure builders.
    pub trends: Vec<crate::TrendFlag>,
    /// The day's public submissions (comments from forms), newest first, at most
    /// [`SUBMISSIONS_LISTED`].
    pub submissions: Vec<DigestItem>,
    /// The day's submissions by governorate, most first.
    pub submissions_by_place: Vec<PlaceCount>,
    /// Items about the police per day over the [`BASELINE_DAYS`] days before and the day,
    /// oldest first, and the critical ones among them.
    pub police_daily: Vec<usize>,
    pub police_critical_daily: Vec<usize>,
    /// The sections of the saved searches of `[digest] saved_searches`, in that order.
    /// Filled by [`build_digest`] when it is given the index; empty from the pure builders.
    pub saved: Vec<SavedSection>,
    /// Where Rasd's own pages are (`[server] public_url`, else the listen address): each
    /// item links to its page there.
    pub base_url: String,
    /// True when most items are Arabic, so the page reads right to left.
    pub rtl: bool,
}

impl Digest {
    /// Topics whose trend is notable (new or rising).
    pub fn notable(&self) -> impl Iterator<Item = &TopicSummary> {
        self.topics.iter().filter(|t| t.trend.is_notable())
    }
}

/// Builds the digest of `date` (a day in the configured time zone) from the store.
pub fn build_digest(
    store: &Store,
    index: Option<&SearchIndex>,
    config: &Config,
    date: NaiveDate,
) -> Result<Digest> {
    let tz = config.settings.tz();
    let first = date
        .checked_sub_days(Days::new(BASELINE_DAYS))
        .ok_or(Error::Day(date, tz.to_string()))?;
    let next = date
        .checked_add_days(Days::new(1))
        .ok_or(Error::Day(date, tz.to_string()))?;
    let (from, to) = (
        rasd_core::day_start(first, tz),
        rasd_core::day_start(next, tz),
    );
    let items = store.items_between(from, to)?;
    let story_of = store.story_of_between(from, to)?;
    let mut story_ids: Vec<u64> = story_of.values().copied().collect();
    story_ids.sort_unstable();
    story_ids.dedup();
    let breaking = store
        .stories(&story_ids)?
        .into_iter()
        .filter_map(|s| Some((s.id, s.breaking_at?)))
        .collect();
    let generated = Utc::now();
    let mut digest = build_digest_with_stories(
        &items,
        &StoryFacts { story_of, breaking },
        config,
        date,
        generated,
    );
    if let Some(index) = index {
        let day_from = rasd_core::day_start(date, tz);
        digest.saved = saved_sections(store, index, config, &items, day_from, to)?;
    }
    // The trends as they stood when the day ended (or now, for today).
    digest.trends = crate::trends_at(
        store,
        config,
        generated.min(to - chrono::Duration::seconds(1)),
    )?;
    Ok(digest)
}

/// What the digest lists of an item; `source_name` maps source ids to their names.
fn digest_item(item: &Item, source_name: &HashMap<&str, &str>) -> DigestItem {
    DigestItem {
        id: item.id.clone(),
        title: if item.title.trim().is_empty() {
            item.body.chars().take(120).collect()
        } else {
            item.title.clone()
        },
        url: item.url.clone(),
        source: item.source.clone(),
        source_name: source_name
            .get(item.source.as_str())
            .unwrap_or(&item.source.as_str())
            .to_string(),
        lang: item.tags.lang.code().to_string(),
        when: item.when(),
        places: item.tags.places.clone(),
        kind: item.kind,
        sentiment: item.tags.sentiment,
        police_stance: item.tags.police_stance,
    }
}

/// Items listed per saved-search section.
pub const SAVED_LISTED: usize = 10;

/// The section of a saved search (`[digest] saved_searches`): the day's matches.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SavedSection {
    /// The saved search's name.
    pub name: String,
    /// Its query text and filters, in one line.
    pub query: String,
    /// Matching items on the day.
    pub total: usize,
    /// The newest of them, at most [`SAVED_LISTED`].
    pub items: Vec<DigestItem>,
    /// Why the section is empty when the search could not run (gone, or unreadable).
    pub problem: Option<String>,
}

/// Runs each saved search of `[digest] saved_searches` on the day `[from, to)`.
fn saved_sections(
    store: &Store,
    index: &SearchIndex,
    config: &Config,
    items: &[Item],
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<SavedSection>> {
    let source_name: HashMap<&str, &str> = config
        .sources
        .iter()
        .map(|s| (s.id.as_str(), s.name.as_str()))
        .collect();
    let by_id: HashMap<&str, &Item> = items.iter().map(|i| (i.id.as_str(), i)).collect();
    let mut out = Vec::new();
    for name in &config.settings.digest.saved_searches {
        let mut section = SavedSection {
            name: name.clone(),
            query: String::new(),
            total: 0,
            items: Vec::new(),
            problem: None,
        };
        let Some(saved) = store.saved_search(name)? else {
            section.problem =
                Some("no saved search by this name / لا يوجد بحث محفوظ بهذا الاسم".into());
            out.push(section);
            continue;
        };
        section.query = std::iter::once(saved.query.clone())
            .chain(
                saved
                    .filters
                    .iter()
                    .map(|(k, v)| format!("{k}={}", v.join(","))),
            )
            .filter(|p| !p.is_empty())
            .collect::<Vec<_>>()
            .join(" · ");
        let mut q = rasd_search::SearchQuery {
            text: saved.query.clone(),
            from: Some(from),
            to: Some(to),
            by_date: Some(true),
            limit: SAVED_LISTED,
            ..rasd_search::SearchQuery::default()
        };
        let ran =
            rasd_search::apply_filters(&mut q, &saved.filters, rasd_search::KnownIds::default())
                .and_then(|()| index.search(&q));
        match ran {
            Ok(results) => {
                section.total = results.total;
                section.items = results
                    .hits
                    .iter()
                    .filter_map(|h| by_id.get(h.id.as_str()))
                    .map(|i| digest_item(i, &source_name))
                    .collect();
            }
            Err(e) => section.problem = Some(e.to_string()),
        }
        out.push(section);
    }
    Ok(out)
}

/// One event: a story, or an item no story assigner has seen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Event<'a> {
    Story(u64),
    Item(&'a str),
}

fn event<'a>(story_of: &HashMap<String, u64>, item: &'a Item) -> Event<'a> {
    story_of
        .get(&item.id)
        .map_or(Event::Item(item.id.as_str()), |s| Event::Story(*s))
}

/// What the store says of the items' stories (see [`crate::StoryKeeper`]).
#[derive(Debug, Clone, Default)]
pub struct StoryFacts {
    /// Item id → story id.
    pub story_of: HashMap<String, u64>,
    /// Story id → when it became breaking.
    pub breaking: HashMap<u64, DateTime<Utc>>,
}

/// Builds the digest of `date` from `items`, which should cover that day and the
/// [`BASELINE_DAYS`] before it (others are ignored). No item has a stored story: the day's
/// stories are its near-duplicate groups.
pub fn build_digest_from_items(
    items: &[Item],
    config: &Config,
    date: NaiveDate,
    generated: DateTime<Utc>,
) -> Digest {
    build_digest_with_stories(items, &StoryFacts::default(), config, date, generated)
}

/// [`build_digest_from_items`] with the stories the story assigner gave.
pub fn build_digest_with_stories(
    items: &[Item],
    stories_of: &StoryFacts,
    config: &Config,
    date: NaiveDate,
    generated: DateTime<Utc>,
) -> Digest {
    let tz = config.settings.tz();
    let local_day = |item: &Item| item.when().with_timezone(&tz).date_naive();
    let first = date
        .checked_sub_days(Days::new(BASELINE_DAYS))
        .unwrap_or(date);

    let mut today: Vec<&Item> = Vec::new();
    let mut week: Vec<&Item> = Vec::new();
    // topic -> the events (see `event`) of the baseline days
    let mut before: HashMap<&str, HashSet<Event<'_>>> = HashMap::new();
    // topic -> the events of each day, the baseline days and the day itself
    let days = BASELINE_DAYS as usize + 1;
    let mut per_day: HashMap<&str, Vec<HashSet<Event<'_>>>> = HashMap::new();
    let mut police_daily = vec![0usize; days];
    let mut police_critical_daily = vec![0usize; days];
    for item in items {
        let day = local_day(item);
        if day >= first && day <= date {
            let k = (day - first).num_days() as usize;
            if item.tags.about_police {
                police_daily[k.min(days - 1)] += 1;
                if item.tags.police_stance == Some(PoliceStance::Critical) {
                    police_critical_daily[k.min(days - 1)] += 1;
                }
            }
            for t in &item.tags.topics {
                per_day
                    .entry(t.as_str())
                    .or_insert_with(|| vec![HashSet::new(); days])[k.min(days - 1)]
                .insert(event(&stories_of.story_of, item));
            }
        }
        if day == date {
            today.push(item);
        } else if day >= first && day < date {
            week.push(item);
            for t in &item.tags.topics {
                before
                    .entry(t.as_str())
                    .or_default()
                    .insert(event(&stories_of.story_of, item));
            }
        }
    }
    today.sort_by(|a, b| b.when().cmp(&a.when()).then_with(|| a.id.cmp(&b.id)));

    let source_name: HashMap<&str, &str> = config
        .sources
        .iter()
        .map(|s| (s.id.as_str(), s.name.as_str()))
        .collect();
    let place = |id: &str, count: usize| {
        let p = config.places.iter().find(|p| p.id == id);
        PlaceCount {
            id: id.to_string(),
            name_ar: p.map_or_else(|| id.to_string(), |p| p.name_ar.clone()),
            name_en: p.map_or_else(|| id.to_string(), |p| p.name_en.clone()),
            count,
        }
    };
    let count_places = |items: &[&Item]| {
        let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
        for i in items {
            for p in &i.tags.places {
                *counts.entry(p.as_str()).or_default() += 1;
            }
        }
        let mut v: Vec<PlaceCount> = counts.into_iter().map(|(id, n)| place(id, n)).collect();
        v.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.id.cmp(&b.id)));
        v
    };
    let listed = |item: &Item| digest_item(item, &source_name);

    let mut by_topic: BTreeMap<&str, Vec<&Item>> = BTreeMap::new();
    let mut by_lang: BTreeMap<String, usize> = BTreeMap::new();
    let mut untagged = 0;
    for item in &today {
        *by_lang
            .entry(item.tags.lang.code().to_string())
            .or_default() += 1;
        if item.tags.topics.is_empty() {
            untagged += 1;
        }
        for t in &item.tags.topics {
            by_topic.entry(t.as_str()).or_default().push(item);
        }
    }

    let mut topics: Vec<TopicSummary> = by_topic
        .into_iter()
        .map(|(id, its)| {
            let baseline = before.get(id).map_or(0, HashSet::len) as f64 / BASELINE_DAYS as f64;
            let events = its
                .iter()
                .map(|i| event(&stories_of.story_of, i))
                .collect::<HashSet<_>>()
                .len();
            let topic = config.topic(id);
            let mut sources: Vec<&str> = its.iter().map(|i| i.source.as_str()).collect();
            sources.sort_unstable();
            sources.dedup();
            TopicSummary {
                id: id.to_string(),
                name_ar: topic.map_or_else(|| id.to_string(), |t| t.name_ar.clone()),
                name_en: topic.map_or_else(|| id.to_string(), |t| t.name_en.clone()),
                count: events,
                item_count: its.len(),
                baseline,
                trend: Trend::of(events, baseline),
                sources: sources.len(),
                places: count_places(&its),
                items: its
                    .iter()
                    .take(ITEMS_PER_TOPIC)
                    .map(|i| listed(i))
                    .collect(),
                daily: per_day
                    .get(id)
                    .map(|d| d.iter().map(HashSet::len).collect())
                    .unwrap_or_else(|| vec![0; days]),
            }
        })
        .collect();
    topics.sort_by(|a, b| {
        b.trend
            .is_notable()
            .cmp(&a.trend.is_notable())
            .then_with(|| b.count.cmp(&a.count))
            .then_with(|| a.id.cmp(&b.id))
    });

    let police = summarize(&today, week.iter().copied(), BASELINE_DAYS, listed);
    let owner: HashMap<&str, &str> = config
        .sources
        .iter()
        .map(|s| (s.id.as_str(), s.owner_or_id()))
        .collect();
    let (stories, stories_total) = stories(
        &today,
        &stories_of.story_of,
        &stories_of.breaking,
        listed,
        |id| {
            source_name
                .get(id)
                .map_or_else(|| id.to_string(), |n| n.to_string())
        },
        |id| {
            owner
                .get(id)
                .map_or_else(|| id.to_string(), |o| o.to_string())
        },
    );

    let arabic = by_lang.get("ar").copied().unwrap_or(0);
    Digest {
        date,
        timezone: tz.to_string(),
        generated,
        total: today.len(),
        comments: today.iter().filter(|i| i.kind == ItemKind::Comment).count(),
        by_lang,
        places: count_places(&today),
        topics,
        untagged,
        police,
        stories,
        stories_total,
        trends: Vec::new(),
        submissions: today
            .iter()
            .filter(|i| i.kind == ItemKind::Comment)
            .take(SUBMISSIONS_LISTED)
            .map(|i| listed(i))
            .collect(),
        submissions_by_place: count_places(
            &today
                .iter()
                .copied()
                .filter(|i| i.kind == ItemKind::Comment)
                .collect::<Vec<_>>(),
        ),
        police_daily,
        police_critical_daily,
        saved: Vec::new(),
        base_url: config.settings.server.base_url(),
        rtl: arabic * 2 >= today.len(),
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use rasd_core::Polarity;

    use super::*;

    const TOPICS: &str = r#"
[[topic]]
id = "theft"
name_ar = "السرقة"
name_en = "Theft"
terms = ["سرقة"]

[[topic]]
id = "traffic_accident"
name_ar = "حوادث السير"
name_en = "Traffic accidents"
terms = ["حادث سير"]
"#;
    const PLACES: &str = r#"
[[place]]
id = "zarqa"
kind = "governorate"
governorate = "zarqa"
name_ar = "الزرقاء"
name_en = "Zarqa"
"#;
    const SOURCES: &str = r#"
[[source]]
id = "s1"
name = "صوت الشمال"
kind = "feed"
url = "https://example.jo/rss"

[[source]]
id = "s2"
name = "الرأي"
kind = "feed"
url = "https://alrai.example/rss"

[[source]]
id = "s3"
name = "الغد"
kind = "feed"
url = "https://alghad.example/rss"
"#;

    fn config() -> Config {
        Config::from_texts(Path::new("cfg"), ["", SOURCES, TOPICS, PLACES, ""]).unwrap()
    }

    fn item(n: usize, when: &str, topics: &[&str], places: &[&str], lang: rasd_core::Lang) -> Item {
        let when: DateTime<Utc> = when.parse().unwrap();
        let mut i = Item::new(
            "s1",
            &format!("https://example.jo/{n}"),
            &format!("خبر {n}"),
            "نص",
            when,
        );
        i.published = Some(when);
        i.tags.lang = lang;
        i.tags.topics = topics.iter().map(|s| s.to_string()).collect();
        i.tags.places = places.iter().map(|s| s.to_string()).collect();
        i
    }

    /// One crash six outlets reported is one event: it does not make accidents "rising".
    #[test]
    fn topics_count_events_not_copies() {
        use rasd_core::Lang::Ar;
        let mut items = Vec::new();
        // The week before: two accidents a day, each its own story.
        for d in 13..20 {
            for n in 0..2 {
                items.push(item(
                    d * 10 + n,
                    &format!("2026-11-{d}T09:00:00Z"),
                    &["traffic_accident"],
                    &[],
                    Ar,
                ));
            }
        }
        // The day: one crash reported six times, and one other accident.
        for n in 0..6 {
            items.push(item(
                900 + n,
                "2026-11-20T06:00:00Z",
                &["traffic_accident"],
                &["karak"],
                Ar,
            ));
        }
        items.push(item(
            950,
            "2026-11-20T10:00:00Z",
            &["traffic_accident"],
            &[],
            Ar,
        ));
        let mut facts = StoryFacts::default();
        for (k, i) in items.iter().enumerate() {
            let story = if i.title.starts_with("خبر 90") {
                1000
            } else {
                k as u64
            };
            facts.story_of.insert(i.id.clone(), story);
        }
        let day = "2026-11-20".parse().unwrap();
        let d = build_digest_with_stories(&items, &facts, &config(), day, Utc::now());
        let acc = &d.topics[0];
        assert_eq!((acc.count, acc.item_count), (2, 7));
        assert!((acc.baseline - 2.0).abs() < 1e-9);
        assert_eq!(acc.trend, Trend::Steady);
        // Without stories every copy counts.
        let d = build_digest_from_items(&items, &config(), day, Utc::now());
        assert_eq!(d.topics[0].count, 7);
        assert_eq!(d.topics[0].trend, Trend::Rising);
    }

    #[test]
    fn trend_classification() {
        assert_eq!(Trend::of(12, 0.3), Trend::Rising);
        assert_eq!(Trend::of(4, 0.0), Trend::New);
        assert_eq!(Trend::of(2, 0.0), Trend::Steady);
        assert_eq!(Trend::of(3, 2.0), Trend::Steady);
        assert_eq!(Trend::of(1, 4.0), Trend::Falling);
    }

    #[test]
    fn a_burst_rises_against_its_week() {
        use rasd_core::Lang::{Ar, En};
        let mut items = Vec::new();
        // One theft a day for the previous week, two accidents a day.
        for d in 1..=7 {
            let day = format!("2026-11-{:02}T09:00:00Z", 20 - d);
            items.push(item(d * 10, &day, &["theft"], &[], Ar));
            items.push(item(d * 10 + 1, &day, &["traffic_accident"], &[], Ar));
            items.push(item(d * 10 + 2, &day, &["traffic_accident"], &[], En));
        }
        // The day: eight thefts in Zarqa, two accidents, one untagged English item.
        for n in 0..8 {
            items.push(item(
                500 + n,
                "2026-11-20T08:00:00Z",
                &["theft"],
                &["zarqa"],
                Ar,
            ));
        }
        items.push(item(
            600,
            "2026-11-20T10:00:00Z",
            &["traffic_accident"],
            &[],
            Ar,
        ));
        items.push(item(
            601,
            "2026-11-20T11:00:00Z",
            &["traffic_accident"],
            &[],
            Ar,
        ));
        items.push(item(602, "2026-11-20T12:00:00Z", &[], &[], En));
        // Outside the window: ignored.
        items.push(item(700, "2026-11-01T12:00:00Z", &["theft"], &[], Ar));

        let d =
            build_digest_from_items(&items, &config(), "2026-11-20".parse().unwrap(), Utc::now());
        assert_eq!(d.total, 11);
        assert_eq!(d.untagged, 1);
        assert!(d.rtl);
        assert_eq!(d.by_lang["ar"], 10);
        let first = &d.topics[0];
        assert_eq!(first.id, "theft");
        assert_eq!(first.count, 8);
        assert!((first.baseline - 1.0).abs() < 1e-9);
        assert_eq!(first.trend, Trend::Rising);
        assert_eq!(first.places[0].name_ar, "الزرقاء");
        assert_eq!(first.items.len(), ITEMS_PER_TOPIC);
        let acc = d
            .topics
            .iter()
            .find(|t| t.id == "traffic_accident")
            .unwrap();
        assert_eq!(acc.trend, Trend::Steady);
        assert_eq!(d.notable().count(), 1);
        assert_eq!(first.items[0].source_name, "صوت الشمال");
    }

    #[test]
    fn days_are_counted_in_amman_time() {
        use rasd_core::Lang::Ar;
        // 22:30 UTC on the 19th is 01:30 on the 20th in Amman (UTC+3).
        let items = vec![item(1, "2026-11-19T22:30:00Z", &["theft"], &[], Ar)];
        let d =
            build_digest_from_items(&items, &config(), "2026-11-20".parse().unwrap(), Utc::now());
        assert_eq!(d.total, 1);
        let d =
            build_digest_from_items(&items, &config(), "2026-11-19".parse().unwrap(), Utc::now());
        assert_eq!(d.total, 0);
    }

    #[test]
    fn an_empty_day_is_an_empty_digest() {
        let d = build_digest_from_items(&[], &config(), "2026-11-20".parse().unwrap(), Utc::now());
        assert_eq!(d.total, 0);
        assert!(d.topics.is_empty());
        assert_eq!(d.police.total(), 0);
        assert!(!d.police.is_notable());
        assert!(d.police.critical.is_empty());
        assert!(d.stories.is_empty());
        assert_eq!(d.stories_total, 0);
    }

    /// An item about the police, with a stance and a sentiment (or none).
    fn police_item(
        n: usize,
        when: &str,
        title: &str,
        stance: Option<PoliceStance>,
        sentiment: Option<(Polarity, f32)>,
        kind: ItemKind,
    ) -> Item {
        let mut i = item(n, when, &[], &[], rasd_core::Lang::Ar);
        i.title = title.to_string();
        i.kind = kind;
        i.tags.about_police = true;
        i.tags.police_stance = stance;
        i.tags.sentiment = sentiment.map(|(label, score)| SentimentTag { label, score });
        i
    }

    #[test]
    fn police_stance_against_the_week() {
        use Polarity::{Negative, Neutral, Positive};
        use PoliceStance::{Approving, Critical};
        let neutral = Some(PoliceStance::Neutral);
        let mut items = Vec::new();
        // The week before: one article a day about the police, approving on odd days,
        // neutral on even days, and one critical article on the 15th; one comment on the 14th.
        for d in 1..=7 {
            let day = format!("2026-11-{:02}T09:00:00Z", 20 - d);
            let s = if d % 2 == 1 { Some(Approving) } else { neutral };
            items.push(police_item(
                100 + d,
                &day,
                "الأمن العام يفتتح مركزاً",
                s,
                Some((Positive, 0.3)),
                ItemKind::Article,
            ));
        }
        items.push(police_item(
            120,
            "2026-11-15T10:00:00Z",
            "شكوى من الدوريات",
            Some(Critical),
            Some((Negative, -0.4)),
            ItemKind::Article,
        ));
        items.push(police_item(
            121,
            "2026-11-14T10:00:00Z",
            "شكراً للشرطة",
            Some(Approving),
            Some((Positive, 0.6)),
            ItemKind::Comment,
        ));
        // Not about the police: never counted.
        let mut other = item(130, "2026-11-18T09:00:00Z", &[], &[], rasd_core::Lang::Ar);
        other.tags.sentiment = Some(SentimentTag {
            label: Negative,
            score: -0.9,
        });
        items.push(other.clone());
        other.id = "other-today".into();
        other.published = Some("2026-11-20T09:00:00Z".parse().unwrap());
        items.push(other);

        // The day: four critical articles, one approving, one neutral, one without a stance,
        // and two comments (one critical, one without a stance).
        let today = [
            (
                1,
                "انتقادات لتعامل الدرك مع المحتجين",
                Some(Critical),
                Some((Negative, -0.5)),
            ),
            (
                2,
                "شكاوى من مخالفات إدارة السير",
                Some(Critical),
                Some((Negative, -0.8)),
            ),
            (
                3,
                "اتهامات للشرطة بالتقصير",
                Some(Critical),
                Some((Negative, -0.95)),
            ),
            (
                4,
                "غضب من تأخر الدفاع المدني",
                Some(Critical),
                Some((Negative, -0.3)),
            ),
            (
                5,
                "الأمن العام ينقذ عائلة من الغرق",
                Some(Approving),
                Some((Positive, 0.9)),
            ),
            (
                6,
                "مديرية الأمن العام تعلن خطة مرورية",
                neutral,
                Some((Neutral, 0.05)),
            ),
            (7, "الأمن العام يحتفل بيوم الشرطة", None, None),
        ];
        for (n, title, stance, s) in today {
            items.push(police_item(
                n,
                &format!("2026-11-20T{:02}:00:00Z", 5 + n),
                title,
                stance,
                s,
                ItemKind::Article,
            ));
        }
        items.push(police_item(
            8,
            "2026-11-20T15:00:00Z",
            "الدورية لم تحضر بعد اتصالي",
            Some(Critical),
            Some((Negative, -0.7)),
            ItemKind::Comment,
        ));
        items.push(police_item(
            9,
            "2026-11-20T16:00:00Z",
            "",
            None,
            None,
            ItemKind::Comment,
        ));

        let d =
            build_digest_from_items(&items, &config(), "2026-11-20".parse().unwrap(), Utc::now());
        let p = &d.police;
        assert_eq!(p.total(), 9);
        let a = &p.articles;
        assert_eq!(
            (
                a.today.approving,
                a.today.critical,
                a.today.neutral,
                a.today.unknown
            ),
            (1, 4, 1, 1)
        );
        assert_eq!((a.tone.negative, a.tone.unknown), (4, 1));
        // 4 of the 6 articles with a stance; the week had 1 of 8.
        assert!((a.critical_share.unwrap() - 4.0 / 6.0).abs() < 1e-9);
        assert!((a.baseline_critical_share.unwrap() - 1.0 / 8.0).abs() < 1e-9);
        assert!((a.baseline.total() - 8.0 / 7.0).abs() < 1e-9);
        assert!((a.baseline.critical - 1.0 / 7.0).abs() < 1e-9);
        assert_eq!(a.critical_trend, Trend::Rising);
        assert!(a.share_rising);
        assert!(p.is_notable());
        // Comments are counted apart.
        let c = &p.comments;
        assert_eq!(
            (c.today.critical, c.today.unknown, c.today.total()),
            (1, 1, 2)
        );
        assert!((c.baseline.approving - 1.0 / 7.0).abs() < 1e-9);
        assert!(!c.is_notable());
        // Critical items, the most negative in tone first, at most three, comments included.
        let crit: Vec<&str> = p.critical.iter().map(|i| i.title.as_str()).collect();
        assert_eq!(
            crit,
            [
                "اتهامات للشرطة بالتقصير",
                "شكاوى من مخالفات إدارة السير",
                "الدورية لم تحضر بعد اتصالي"
            ]
        );
        assert_eq!(p.critical[0].police_stance, Some(Critical));
        assert_eq!(p.critical[2].kind, ItemKind::Comment);
        assert_eq!(p.approving.len(), 1);
        assert_eq!(p.approving[0].title, "الأمن العام ينقذ عائلة من الغرق");
        assert_eq!(p.approving[0].source_name, "صوت الشمال");
    }

    /// The issue: arrest and theft reports, negative in tone, made the lead line say
    /// "negativity rising"; they are neutral toward the police.
    #[test]
    fn negative_arrest_and_theft_reports_do_not_raise_critical_coverage() {
        let mut items: Vec<Item> = (0..6)
            .map(|n| {
                police_item(
                    n,
                    "2026-11-20T09:00:00Z",
                    "القبض على لصوص سرقوا محلا",
                    Some(PoliceStance::Neutral),
                    Some((Polarity::Negative, -0.8)),
                    ItemKind::Article,
                )
            })
            .collect();
        // And a citizen's praise in dialect that the tone model reads as negative.
        items.push(police_item(
            7,
            "2026-11-20T10:00:00Z",
            "والله الشرطة ما قصّروا",
            Some(PoliceStance::Approving),
            Some((Polarity::Negative, -0.4)),
            ItemKind::Comment,
        ));
        let d =
            build_digest_from_items(&items, &config(), "2026-11-20".parse().unwrap(), Utc::now());
        let p = &d.police;
        assert_eq!(p.articles.tone.negative, 6);
        assert_eq!(p.articles.today.critical, 0);
        assert!(!p.is_notable());
        assert!(p.critical.is_empty());
        assert_eq!(p.approving[0].title, "والله الشرطة ما قصّروا");
    }

    #[test]
    fn police_items_without_a_stance_are_unknown_not_critical() {
        let items: Vec<Item> = (0..5)
            .map(|n| {
                police_item(
                    n,
                    "2026-11-20T09:00:00Z",
                    "الأمن العام",
                    None,
                    Some((Polarity::Negative, -0.9)),
                    ItemKind::Article,
                )
            })
            .collect();
        let d =
            build_digest_from_items(&items, &config(), "2026-11-20".parse().unwrap(), Utc::now());
        let a = &d.police.articles;
        assert_eq!(a.today.unknown, 5);
        assert_eq!(a.today.critical, 0);
        assert_eq!(a.critical_share, None);
        assert!(!d.police.is_notable());
        assert!(d.police.critical.is_empty() && d.police.approving.is_empty());
    }

    /// An item from `source` with fingerprint `fp`.
    fn printed(n: usize, source: &str, hour: u32, title: &str, fp: u64) -> Item {
        let mut i = item(
            n,
            &format!("2026-11-20T{hour:02}:00:00Z"),
            &[],
            &[],
            rasd_core::Lang::Ar,
        );
        i.source = source.to_string();
        i.title = title.to_string();
        i.tags.fingerprint = fp;
        i
    }

    #[test]
    fn the_same_story_across_outlets() {
        let fire = 0x5a5a_1234_9876_f00d_u64;
        let seizure = 0x0123_4567_89ab_cdef_u64;
        let items = vec![
            // Three outlets, lightly edited (1 and 3 bits apart), and one outlet twice.
            printed(1, "s2", 9, "حريق في مستودع بالزرقاء", fire ^ 1),
            printed(
                2,
                "s1",
                8,
                "الدفاع المدني يخمد حريقاً في مستودع بالزرقاء",
                fire,
            ),
            printed(
                3,
                "s3",
                10,
                "إخماد حريق مستودع في الزرقاء",
                fire ^ 0b1011 << 20,
            ),
            printed(4, "s1", 11, "تحديث: حريق مستودع الزرقاء", fire),
            // Two outlets, identical text.
            printed(5, "s1", 9, "ضبط مواد مخدرة في إربد", seizure),
            printed(6, "s3", 12, "ضبط مخدرات في إربد", seizure),
            // One outlet repeating itself: not a story across outlets.
            printed(7, "s2", 9, "إغلاق طريق المطار", 0x7777_0000_7777_0000),
            printed(8, "s2", 13, "إغلاق طريق المطار مؤقتاً", 0x7777_0000_7777_0001),
            // No fingerprint: never grouped, even together.
            printed(9, "s1", 9, "بلا نص", 0),
            printed(10, "s2", 9, "بلا نص", 0),
            // Unrelated.
            printed(11, "s3", 9, "طقس بارد", !fire),
        ];
        let d =
            build_digest_from_items(&items, &config(), "2026-11-20".parse().unwrap(), Utc::now());
        assert_eq!(d.stories_total, 2);
        let s = &d.stories[0];
        assert_eq!(s.outlets, 3);
        assert_eq!(s.count, 4);
        assert_eq!(s.title, "الدفاع المدني يخمد حريقاً في مستودع بالزرقاء");
        assert_eq!(s.sources, ["صوت الشمال", "الرأي", "الغد"]);
        assert_eq!(s.items.len(), 3);
        assert_eq!(s.items[1].title, "حريق في مستودع بالزرقاء");
        let s = &d.stories[1];
        assert_eq!((s.outlets, s.count), (2, 2));
        assert_eq!(s.title, "ضبط مواد مخدرة في إربد");
    }
}
