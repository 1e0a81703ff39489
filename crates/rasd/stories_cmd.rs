//! `rasd eval stories` and `rasd bench stories`: the story assigner
//! ([`rasd_detect::clusters`]) against hand-labelled stories of real news, and its speed.

use std::collections::HashMap;
use std::io::BufRead as _;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context as _, bail};
use chrono::{DateTime, Duration, Utc};
use rasd_core::Config;
use rasd_detect::clusters::{ClusterScores, StoryIndex, StoryInput, StoryParams, cluster_scores};
use rasd_enrich::Enricher;
use serde::Deserialize;
use tracing::warn;

use crate::audit_cmd;
use crate::classify_cmd::open_input;

/// One label line of `data/eval/stories/`.
#[derive(Debug, Clone, Deserialize)]
struct StoryLabel {
    src: String,
    id: String,
    story: String,
}

/// The label lines of a file or of every `.jsonl` file of a folder; a bad line is reported
/// with its file and line number and left out.
fn read_story_labels(path: &Path) -> anyhow::Result<Vec<StoryLabel>> {
    let mut out = Vec::new();
    for f in &audit_cmd::jsonl_files(path)? {
        for (n, line) in open_input(Some(f))?.lines().enumerate() {
            let line = line.with_context(|| format!("cannot read {}", f.display()))?;
            if line.trim().is_empty() {
                continue;
            }
            match serde_json::from_str::<StoryLabel>(&line) {
                Ok(l) => out.push(l),
                Err(e) => warn!(
                    file = %f.display(), line = n + 1, error = %e,
                    fix = "write {\"src\": \"ar_news\", \"id\": \"123\", \"story\": \"ar-001\"}",
                    "Line skipped."
                ),
            }
        }
    }
    if out.is_empty() {
        bail!("{}: no usable label line", path.display());
    }
    Ok(out)
}

/// An item as the assigner reads it, with its tags.
struct Tagged {
    key: String,
    title: String,
    body: String,
    fingerprint: u64,
    places: Vec<String>,
    topics: Vec<String>,
}

impl Tagged {
    /// The item as the assigner reads it, arriving at `at`, its own outlet and owner.
    fn input(&self, at: DateTime<Utc>) -> StoryInput<'_> {
        StoryInput {
            id: &self.key,
            at,
            title: &self.title,
            body: &self.body,
            fingerprint: self.fingerprint,
            places: &self.places,
            topics: &self.topics,
            outlet: &self.key,
            owner: &self.key,
        }
    }
}

fn tag_all(enricher: &Enricher, texts: Vec<(String, String, String)>) -> Vec<Tagged> {
    texts
        .into_iter()
        .map(|(key, title, body)| {
            let tags = enricher.tags_for(&title, &body, None);
            Tagged {
                key,
                title,
                body,
                fingerprint: tags.fingerprint,
                places: tags.places,
                topics: tags.topics,
            }
        })
        .collect()
}

/// Assigns `items` in order, item `k` at `start + k * step`, each its own outlet; gives each
/// item's story.
fn assign_all(
    items: &[Tagged],
    params: StoryParams,
    start: DateTime<Utc>,
    step: Duration,
) -> Vec<u64> {
    let mut index = StoryIndex::new(params, 1);
    let mut at = start;
    items
        .iter()
        .map(|t| {
            let a = index.assign(&t.input(at));
            at += step;
            a.story
        })
        .collect()
}

/// Which labelled stories `rasd eval stories` scores: all, or one half by a hash of the
/// story label (settings are chosen on one half and checked on the other).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Part {
    All,
    Even,
    Odd,
}

/// What `rasd eval stories` reads besides the labels.
#[derive(Debug, Clone, Copy)]
pub struct StoriesEval<'a> {
    pub shared: Option<&'a Path>,
    /// Unlabelled items of the same corpora mixed into the stream.
    pub background: usize,
    pub part: Part,
    /// Overrides of the assigner's thresholds.
    pub link: Option<f32>,
    pub link_shared: Option<f32>,
}

/// `rasd eval stories [--data DIR] [--background N] [--part all|even|odd] [--link X]
/// [--link-shared Y]`: the labelled items and `background` unlabelled items of the same
/// corpora (the labelled items' share of each language) arrive over 48 hours in an order
/// fixed by a hash of their ids, through one story assigner, as a busy stream would; then
/// B-cubed and pairwise precision, recall and F1 of the labelled items' stories, per language
/// and overall. A background item may join a labelled story (and chain two into one), as in
/// real use; it is not scored.
pub fn eval_stories(
    config: &Config,
    data: &Path,
    opts: &StoriesEval,
) -> anyhow::Result<ClusterScores> {
    let mut labels = read_story_labels(data)?;
    if opts.part != Part::All {
        let want = u64::from(opts.part == Part::Odd);
        labels.retain(|l| audit_cmd::fnv1a(&l.story) % 2 == want);
    }
    let shared = match opts.shared {
        Some(d) => d.to_path_buf(),
        None => rasd_core::shared_data::shared_data_dir().context(
            "the shared data folder is not found: pass --shared DIR or set RASD_SHARED_DATA",
        )?,
    };
    let keys: Vec<(&str, &str)> = labels
        .iter()
        .map(|l| (l.src.as_str(), l.id.as_str()))
        .collect();
    let texts = audit_cmd::read_shared_texts(&shared, &keys)?;
    let mut gold: HashMap<String, String> = HashMap::new();
    let mut stream: Vec<(String, String, String)> = Vec::new();
    for l in &labels {
        match texts.get(&(l.src.clone(), l.id.clone())) {
            Some((t, b)) => {
                let key = format!("{}:{}", l.src, l.id);
                gold.insert(key.clone(), l.story.clone());
                stream.push((key, t.clone(), b.clone()));
            }
            None => {
                warn!(src = %l.src, id = %l.id, "No such item in the shared data: label skipped.")
            }
        }
    }
    let found = stream.len();
    // Background: unlabelled items of each corpus, in proportion to the labelled ones.
    for (src, rel) in [
        ("ar_news", "corpus/ar_news.jsonl.gz"),
        ("en_news", "corpus/en_news.jsonl.gz"),
    ] {
        let share = labels.iter().filter(|l| l.src == src).count();
        let want = (opts.background * share).div_ceil(labels.len().max(1));
        if want == 0 {
            continue;
        }
        let path = shared.join(rel);
        let records = crate::classify_cmd::read_corpus(&path, usize::MAX)?;
        let step = (records.len() / want).max(1);
        for r in records.into_iter().step_by(step).take(want) {
            let key = format!("{src}:{}", r.id);
            if gold.contains_key(&key) {
                continue;
            }
            let body: String = r.body.chars().take(audit_cmd::CUT).collect();
            stream.push((key, r.title, body));
        }
    }
    stream.sort_by_key(|(k, _, _)| audit_cmd::fnv1a(k));
    let enricher = Enricher::from_config_with_models(config)?;
    let tagged = tag_all(&enricher, stream);
    let defaults = StoryParams::default();
    let params = StoryParams {
        link: opts.link.unwrap_or(defaults.link),
        link_shared: opts.link_shared.unwrap_or(defaults.link_shared),
        ..defaults
    };
    let start = DateTime::from_timestamp(1_780_000_000, 0).expect("a valid time");
    let step = Duration::seconds((48 * 3600 / tagged.len().max(1)) as i64);
    let got = assign_all(&tagged, params, start, step);
    println!(
        "stories: {found} labelled items ({} not found in the shared data) and {} background \
         items, arriving within 48 hours; link {} (alone), {} (with a shared place, topic or \
         rare word)",
        labels.len() - found,
        tagged.len() - found,
        params.link,
        params.link_shared
    );
    println!(
        "set        items  stories  b3_precision  b3_recall  b3_f1   pair_precision  pair_recall  pair_f1"
    );
    let mut overall = None;
    for set in ["ar_news", "en_news", "all"] {
        let (g, p): (Vec<&str>, Vec<u64>) = tagged
            .iter()
            .zip(&got)
            .filter_map(|(t, s)| {
                let story = gold.get(&t.key)?;
                (set == "all" || t.key.starts_with(&format!("{set}:")))
                    .then_some((story.as_str(), *s))
            })
            .unzip();
        if g.is_empty() {
            continue;
        }
        let s = cluster_scores(&g, &p);
        let stories = g.iter().collect::<std::collections::HashSet<_>>().len();
        println!(
            "{set:<9} {:>6}  {stories:>7}  {:>12.4}  {:>9.4}  {:>6.4}  {:>14.4}  {:>11.4}  {:>7.4}",
            g.len(),
            s.bcubed_precision,
            s.bcubed_recall,
            s.bcubed_f1,
            s.pair_precision,
            s.pair_recall,
            s.pair_f1
        );
        overall = Some(s);
    }
    let all = overall.context("no labelled item found in the shared data")?;
    println!(
        "bcubed_precision={:.4} bcubed_recall={:.4} bcubed_f1={:.4} pair_f1={:.4}",
        all.bcubed_precision, all.bcubed_recall, all.bcubed_f1, all.pair_f1
    );
    Ok(all)
}

/// `rasd bench stories [--items N] [--per-day N]`: story assignment speed on one thread over
/// the shared news corpus (Arabic and English interleaved), arriving at `per_day` items a
/// day, so that the 72-hour window fills as on a busy day. Tagging happens before the timed
/// part.
pub fn bench_stories(config: &Config, items: usize, per_day: usize) -> anyhow::Result<()> {
    let files: Vec<PathBuf> = ["corpus/ar_news.jsonl.gz", "corpus/en_news.jsonl.gz"]
        .iter()
        .map(|rel| {
            rasd_core::shared_data::shared_data(rel).with_context(|| {
                format!("no {rel} in the shared data folder: set RASD_SHARED_DATA")
            })
        })
        .collect::<anyhow::Result<_>>()?;
    let mut lists: Vec<Vec<rasd_enrich::Record>> = files
        .iter()
        .map(|f| {
            Ok(rasd_enrich::read_records(open_input(Some(f))?)
                .filter_map(Result::ok)
                .take(items.div_ceil(2))
                .collect())
        })
        .collect::<anyhow::Result<_>>()?;
    let mut texts = Vec::with_capacity(items);
    for i in 0..lists.iter().map(Vec::len).max().unwrap_or(0) {
        for (n, list) in lists.iter_mut().enumerate() {
            if let Some(r) = list.get_mut(i) {
                texts.push((
                    format!("{n}:{}", r.id),
                    std::mem::take(&mut r.title),
                    std::mem::take(&mut r.body),
                ));
            }
        }
    }
    texts.truncate(items);
    if texts.is_empty() {
        bail!("no readable item in {files:?}");
    }
    let enricher = Enricher::from_config_with_models(config)?;
    let tagged = tag_all(&enricher, texts);
    let step = Duration::milliseconds((86_400_000 / per_day.max(1)) as i64);
    let start = DateTime::from_timestamp(1_780_000_000, 0).expect("a valid time");
    let mut index = StoryIndex::new(StoryParams::default(), 1);
    let mut at = start;
    let (mut joined, mut peak) = (0usize, 0usize);
    let begin = Instant::now();
    for t in &tagged {
        let a = index.assign(&t.input(at));
        joined += usize::from(!a.new_story);
        peak = peak.max(index.len());
        at += step;
    }
    let secs = begin.elapsed().as_secs_f64();
    println!(
        "items={} per_day={per_day} window_items_peak={peak} joined_a_story={joined} \
         seconds={secs:.3} items_per_s={:.0}",
        tagged.len(),
        tagged.len() as f64 / secs.max(1e-9)
    );
    Ok(())
}

/// `rasd stories [--since 24h] [--limit N] [--json]`: the stories seen since then that two
/// or more outlets carried, breaking ones first, then most owners.
pub fn list_stories(
    store: &rasd_store::Store,
    since: rasd_core::Interval,
    limit: usize,
    json: bool,
) -> anyhow::Result<()> {
    let span = Duration::from_std(since.as_duration()).unwrap_or_else(|_| Duration::days(1));
    let stories = store.recent_stories(Utc::now() - span, 2, limit)?;
    if json {
        println!("{}", serde_json::to_string_pretty(&stories)?);
        return Ok(());
    }
    if stories.is_empty() {
        println!("no story carried by two or more outlets since {since} ago");
        return Ok(());
    }
    println!("story  breaking          owners  outlets  items  first seen (UTC)  title");
    for s in &stories {
        println!(
            "{:<6} {:<17} {:>6}  {:>7}  {:>5}  {}  {}",
            s.id,
            s.breaking_at.map_or_else(
                || "-".to_string(),
                |t| t.format("%Y-%m-%d %H:%M").to_string()
            ),
            s.owners,
            s.outlets,
            s.items,
            s.first_seen.format("%Y-%m-%d %H:%M"),
            rasd_core::text::neutralize_bidi(&s.title)
        );
    }
    Ok(())
}

/// `rasd trends`: what is trending at `at` (now by default), in the last hour and the last
/// day, with its evidence.
pub fn list_trends(
    store: &rasd_store::Store,
    config: &Config,
    at: Option<DateTime<Utc>>,
    json: bool,
) -> anyhow::Result<()> {
    let now = at.unwrap_or_else(Utc::now);
    let flags = rasd_detect::trends_at(store, config, now)?;
    if json {
        for f in &flags {
            println!("{}", serde_json::to_string(f)?);
        }
        return Ok(());
    }
    let tz = config.settings.tz();
    let local = |t: DateTime<Utc>| t.with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string();
    if flags.is_empty() {
        println!(
            "Nothing trending at {} (at least {} stories in the last hour or day, p ≤ {} against the {} days before).",
            local(now),
            config.settings.trends.min_count,
            config.settings.trends.max_p,
            config.settings.trends.baseline_days
        );
        return Ok(());
    }
    for f in &flags {
        let window = match f.granularity {
            rasd_detect::Granularity::Hour => "last hour",
            rasd_detect::Granularity::Day => "last 24 h",
        };
        println!(
            "{} — {window}: {} stories ({} items) against {:.1} over {} days; p = {:.2e} (score {:.1}); {} outlets, {} owners",
            f.label,
            f.count,
            f.items,
            f.baseline,
            f.baseline_days,
            f.p_value,
            f.score,
            f.outlets,
            f.owners
        );
        if let Some(i) = &f.first_item {
            println!("   first: {} — {} ({})", i.title, i.source, local(i.at));
        }
        if let Some(n) = &f.note {
            println!("   {n}");
        }
        println!("   {}", f.link);
    }
    Ok(())
}

/// `rasd bench digest`: fills a store with `items` synthetic items over `days` days (tagged
/// with random topics, governorates, tone and police stance; given their stories), then
/// times the digest of the last day and the trends at its end, median of `runs`.
pub fn bench_digest(
    config: &Config,
    dir: &Path,
    items: usize,
    days: u32,
    runs: usize,
) -> anyhow::Result<()> {
    use rasd_core::{Item, Polarity, PoliceStance, SentimentTag};
    let store = crate::open_store(dir)?;
    let tz = config.settings.tz();
    let end = Utc::now();
    let start = end - Duration::days(i64::from(days));
    let topics: Vec<&str> = config.topics.iter().map(|t| t.id.as_str()).collect();
    let govs: Vec<&str> = config
        .places
        .iter()
        .filter(|p| p.id == p.governorate)
        .map(|p| p.id.as_str())
        .collect();
    if topics.is_empty() || govs.is_empty() {
        bail!("the config folder has no topics or governorates to tag with");
    }
    let have = usize::try_from(store.status()?.items).unwrap_or(usize::MAX);
    let mut state = 0x853c_49e6_748f_ea9b_u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let fill = Instant::now();
    if have < items {
        let span = (end - start).num_seconds().max(1) as u64;
        let mut batch = Vec::with_capacity(5000);
        for n in have..items {
            let at = start + Duration::seconds((n as u64 * span / items as u64) as i64);
            let words: Vec<String> = (0..12).map(|_| format!("w{}", next() % 50_000)).collect();
            let mut item = Item::new(
                &format!("outlet{}", next() % 40),
                &format!("https://bench.example.jo/{n}"),
                &words[..6].join(" "),
                &words.join(" "),
                at,
            );
            item.published = Some(at);
            let t = next();
            item.tags.topics = vec![topics[(t % topics.len() as u64) as usize].to_string()];
            if t % 3 == 0 {
                item.tags
                    .topics
                    .push(topics[((t / 7) % topics.len() as u64) as usize].to_string());
                item.tags.topics.sort();
                item.tags.topics.dedup();
            }
            item.tags.places = vec![govs[((t / 11) % govs.len() as u64) as usize].to_string()];
            item.tags.sentiment = Some(SentimentTag {
                label: [Polarity::Negative, Polarity::Neutral, Polarity::Positive]
                    [(t % 3) as usize],
                score: 0.0,
            });
            item.tags.about_police = t % 10 == 0;
            if item.tags.about_police {
                item.tags.police_stance = Some(PoliceStance::Neutral);
            }
            item.tags.fingerprint = next();
            batch.push(item);
            if batch.len() == 5000 {
                store.upsert_items(&batch)?;
                batch.clear();
            }
        }
        store.upsert_items(&batch)?;
        let mut keeper = rasd_detect::StoryKeeper::open(&store, config)?;
        keeper.catch_up(&store)?;
        println!(
            "filled {} items over {days} days in {:.1} s (stored, then given their stories)",
            items - have,
            fill.elapsed().as_secs_f64()
        );
    }
    let status = store.status()?;
    let day = end.with_timezone(&tz).date_naive();
    let mut digest_ms = Vec::new();
    let mut trends_ms = Vec::new();
    let mut last = None;
    for _ in 0..runs.max(1) {
        let t = Instant::now();
        let d = rasd_detect::build_digest(&store, None, config, day)?;
        digest_ms.push(t.elapsed().as_secs_f64() * 1000.0);
        let t = Instant::now();
        rasd_detect::trends_at(&store, config, end)?;
        trends_ms.push(t.elapsed().as_secs_f64() * 1000.0);
        last = Some(d);
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let d = last.expect("at least one run");
    println!(
        "store: {} items; digest of {day}: {} items, {} topics, {} stories, {} trends",
        status.items,
        d.total,
        d.topics.len(),
        d.stories_total,
        d.trends.len()
    );
    println!(
        "digest build (with its trends): median {:.0} ms of {} runs; trends alone: median {:.0} ms (goal: digest under 2 s at 1,000,000 items)",
        median(&mut digest_ms),
        digest_ms.len(),
        median(&mut trends_ms)
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Where the shared data is, the assigner keeps its quality on the labelled stories.
    #[test]
    fn labelled_stories_keep_their_figures() {
        let Some(shared) = rasd_core::shared_data::shared_data_dir() else {
            eprintln!("skipped: no shared data");
            return;
        };
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let config = Config::load(&root.join("config")).unwrap();
        let s = eval_stories(
            &config,
            &root.join("data/eval/stories"),
            &StoriesEval {
                shared: Some(&shared),
                background: 4000,
                part: Part::All,
                link: None,
                link_shared: None,
            },
        )
        .unwrap();
        assert!(s.bcubed_f1 >= 0.89, "{s:?}");
        assert!(s.bcubed_precision >= 0.91, "{s:?}");
        assert!(s.pair_f1 >= 0.74, "{s:?}");
    }

    #[test]
    fn bad_label_lines_are_reported_and_the_rest_read() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("s.jsonl");
        std::fs::write(
            &f,
            "{\"src\": \"ar_news\", \"id\": \"1\", \"story\": \"ar-001\"}\nnot json\n\n\
             {\"src\": \"ar_news\", \"id\": \"2\"}\n",
        )
        .unwrap();
        let labels = read_story_labels(&f).unwrap();
        assert_eq!(labels.len(), 1);
        std::fs::write(&f, "nothing\n").unwrap();
        let e = read_story_labels(&f).unwrap_err().to_string();
        assert!(e.contains("no usable label line"), "{e}");
    }
}
