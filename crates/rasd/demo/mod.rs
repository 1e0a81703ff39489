//! The bundled demo: a fictional two-week news sample and an embedded HTTP server that serves it,
//! so `rasd demo` can run the whole pipeline with no network.
//!
//! [`generate`] builds a [`Sample`] (outlets, items, public comments) from the story templates in
//! `stories.txt`; [`serve`] starts a [`DemoServer`] on `127.0.0.1` that serves each outlet's feed
//! and article pages and the public form's export; [`sources_toml`] writes a `sources.toml` that
//! points at it.
//!
//! Every outlet, person and story is fictional, written for this sample. What the end-to-end
//! tests rely on is stated by the constants ([`BURST_TOPIC`], [`KNOWN_AR_TITLE`], …) and checked
//! by the unit tests at the bottom of this file.

mod sample;
mod server;
mod template;

use std::fmt::{Display, Write as _};
use std::io;
use std::sync::Arc;

use chrono::{DateTime, FixedOffset, NaiveDate, Utc};

pub use server::DemoServer;

/// The topic of the anchor-day burst.
pub const BURST_TOPIC: &str = "theft";
/// Where the anchor-day burst happens.
pub const BURST_GOVERNORATE: &str = "zarqa";
/// An Arabic headline present once in every sample (hamza forms أ/إ/آ and ة).
pub const KNOWN_AR_TITLE: &str =
    "الأمن العام يطلق حملة «عودة آمنة» لحماية طلبة المدارس على طرق إربد";
/// An English headline present once in every sample.
pub const KNOWN_EN_TITLE: &str = "Community police open a listening office for residents in Madaba";
/// The topic of the story six outlets report within two hours on the anchor day.
pub const SHARED_STORY_TOPIC: &str = "traffic_accident";

/// Asia/Amman is UTC+3 all year.
const UTC_OFFSET_HOURS: i64 = 3;

/// The demo's whole world.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    pub outlets: Vec<Outlet>,
    /// Oldest first.
    pub items: Vec<SampleItem>,
    /// Oldest first.
    pub comments: Vec<SampleComment>,
    /// The local date of the newest day.
    pub anchor: NaiveDate,
}

/// A fictional news outlet.
#[derive(Debug, Clone, PartialEq)]
pub struct Outlet {
    /// ASCII slug, also the first path segment of its URLs.
    pub id: &'static str,
    pub name: String,
    /// `"ar"` or `"en"`.
    pub lang: &'static str,
    pub format: FeedFormat,
    /// The feed carries one sentence; the text is only on the article page.
    pub summary_only: bool,
    /// The charset of its feed and pages.
    pub charset: Charset,
}

/// Feed flavours the server speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FeedFormat {
    Rss2,
    Atom,
    JsonFeed,
}

/// Charsets the server encodes outlets in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Charset {
    Utf8,
    Windows1256,
}

/// One published story.
#[derive(Debug, Clone, PartialEq)]
pub struct SampleItem {
    /// The outlet's id.
    pub outlet: &'static str,
    /// ASCII, unique within the outlet; the page is `/{outlet}/news/{slug}.html`.
    pub slug: String,
    pub title: String,
    /// Plain-text paragraphs separated by `\n\n`.
    pub body: String,
    pub author: Option<String>,
    pub published: DateTime<Utc>,
    /// `"ar"` or `"en"`.
    pub lang: &'static str,
    /// What the story is about (topic ids; empty for none), for tests.
    pub topics: Vec<&'static str>,
    /// Governorate id, if the story happens in one.
    pub governorate: Option<&'static str>,
}

/// One submission through the office's public form.
#[derive(Debug, Clone, PartialEq)]
pub struct SampleComment {
    /// `RASD-YYYY-NNNNNN`.
    pub reference: String,
    pub submitted: DateTime<Utc>,
    pub text: String,
    pub governorate: Option<&'static str>,
    pub lang: &'static str,
}

/// Builds the sample. Deterministic: the same `(anchor, now)` gives the same sample, and the
/// stories themselves depend on `anchor` only.
///
/// `anchor` is the local (Asia/Amman, UTC+3) date of the newest of the 14 days. Nothing is
/// dated after `now`: anchor-day items that would be are moved earlier on the same day, but not
/// before 00:05 local. The caller must pass a `now` at or after the anchor day's 00:05 local;
/// with an earlier `now`, items of the anchor day (and later hours of the days before) will be
/// dated after it.
pub fn generate(anchor: NaiveDate, now: DateTime<Utc>) -> Sample {
    sample::generate(anchor, now)
}

/// Binds `127.0.0.1:0` and serves `sample` (routes in the `server` module docs) until the
/// returned [`DemoServer`] is shut down with [`DemoServer::shutdown`] or dropped. Must be called
/// inside a tokio runtime.
pub async fn serve(sample: Arc<Sample>) -> io::Result<DemoServer> {
    server::serve(sample).await
}

/// The text of a `sources.toml` pointing at the demo server: one `feed` source per outlet and
/// one `form_export` source for the public comments. `host` is the server's [`SocketAddr`], or
/// a name (with an optional port) the fetcher resolves to it; the server's links follow the
/// name it is addressed by.
pub fn sources_toml(sample: &Sample, host: impl Display) -> String {
    let base = format!("http://{host}");
    let mut out = format!(
        "# Sources for `rasd demo`: the embedded demo server at {base}/.\n\
         # Generated; every outlet and story on it is fictional.\n"
    );
    for o in &sample.outlets {
        let full_text = if o.summary_only { "always" } else { "auto" };
        let _ = write!(
            out,
            "\n[[source]]\nid = {id}\nname = {name}\nkind = \"feed\"\nurl = {url}\nlang = {lang}\n\
             interval = \"10m\"\nfetch_full_text = \"{full_text}\"\nallow_private = true\n",
            id = toml_str(o.id),
            name = toml_str(&o.name),
            url = toml_str(&format!("{base}/{}/{}", o.id, server::feed_file(o.format))),
            lang = toml_str(o.lang),
        );
    }
    let _ = write!(
        out,
        "\n[[source]]\nid = \"public-form\"\nname = {name}\nkind = \"form_export\"\nurl = {url}\n\
         interval = \"10m\"\nallow_private = true\n",
        name = toml_str("النموذج العام للملاحظات"),
        url = toml_str(&format!("{base}/forms/public/export.json")),
    );
    out
}

/// A TOML basic string.
fn toml_str(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// `t` on the Amman clock.
fn local_time(t: DateTime<Utc>) -> DateTime<FixedOffset> {
    let offset = FixedOffset::east_opt((UTC_OFFSET_HOURS * 3600) as i32).expect("valid offset");
    t.with_timezone(&offset)
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, HashMap, HashSet};

    use chrono::{NaiveTime, TimeDelta};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    use super::sample::{GOVERNORATES, Rng, to_utc};
    use super::template::{Filler, Kind, TEMPLATES, TOPICS, Where};
    use super::*;
    use std::net::SocketAddr;

    fn anchor() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 3, 14).unwrap()
    }

    /// `hh:mm` local on the anchor day.
    fn at(anchor: NaiveDate, h: u32, m: u32) -> DateTime<Utc> {
        to_utc(anchor.and_time(NaiveTime::from_hms_opt(h, m, 0).unwrap()))
    }

    fn local_date(t: DateTime<Utc>) -> NaiveDate {
        local_time(t).date_naive()
    }

    fn late_evening() -> Sample {
        generate(anchor(), at(anchor(), 23, 59))
    }

    #[test]
    fn same_inputs_same_sample() {
        let now = at(anchor(), 15, 0);
        assert_eq!(generate(anchor(), now), generate(anchor(), now));
        let other = generate(anchor() - TimeDelta::days(1), now - TimeDelta::days(1));
        assert_ne!(generate(anchor(), now).items, other.items);
    }

    #[test]
    fn stories_do_not_depend_on_now() {
        let a = generate(anchor(), at(anchor(), 23, 59));
        let b = generate(anchor(), at(anchor(), 6, 0));
        let titles = |s: &Sample| {
            s.items
                .iter()
                .map(|i| i.title.clone())
                .collect::<HashSet<_>>()
        };
        assert_eq!(titles(&a), titles(&b));
    }

    #[test]
    fn enough_items_over_fourteen_days() {
        for days in 0..6 {
            let anchor = anchor() + TimeDelta::days(days * 37);
            let s = generate(anchor, at(anchor, 23, 59));
            assert!(s.items.len() >= 300, "{} items for {anchor}", s.items.len());
            let per_day: BTreeMap<NaiveDate, usize> =
                s.items.iter().fold(BTreeMap::new(), |mut m, i| {
                    *m.entry(local_date(i.published)).or_default() += 1;
                    m
                });
            assert_eq!(per_day.len(), 14, "{per_day:?}");
            assert_eq!(per_day.keys().next(), Some(&(anchor - TimeDelta::days(13))));
            assert_eq!(per_day.keys().last(), Some(&anchor));
            for (day, n) in &per_day {
                if *day != anchor {
                    assert!((18..=27).contains(n), "{n} items on {day}");
                }
            }
        }
    }

    #[test]
    fn languages_are_mostly_arabic_with_some_english() {
        let s = late_evening();
        let n = s.items.len() as f64;
        let ar = s.items.iter().filter(|i| i.lang == "ar").count() as f64;
        let en = s.items.iter().filter(|i| i.lang == "en").count() as f64;
        assert!(ar / n >= 0.60, "arabic share {}", ar / n);
        assert!(en / n >= 0.15, "english share {}", en / n);
        assert_eq!(ar + en, n);
        for item in &s.items {
            let outlet = s.outlets.iter().find(|o| o.id == item.outlet).unwrap();
            assert_eq!(item.lang, outlet.lang, "{}", item.slug);
        }
    }

    #[test]
    fn topics_places_and_bodies_are_valid() {
        let s = late_evening();
        let mut topics: HashSet<&str> = HashSet::new();
        let mut none = 0;
        for item in &s.items {
            for t in &item.topics {
                assert!(TOPICS.contains(t), "{t}");
                topics.insert(t);
            }
            none += usize::from(item.topics.is_empty());
            if let Some(g) = item.governorate {
                assert!(GOVERNORATES.iter().any(|k| k.id == g), "{g}");
            }
            let paras = item.body.split("\n\n").count();
            assert!(
                (2..=5).contains(&paras),
                "{} has {paras} paragraphs",
                item.slug
            );
            assert!(
                !item.title.contains('{') && !item.body.contains('{'),
                "{}",
                item.slug
            );
            assert!(item.slug.is_ascii());
        }
        assert!(topics.len() >= 15, "{topics:?}");
        let share = none as f64 / s.items.len() as f64;
        assert!(
            (0.18..=0.33).contains(&share),
            "share about no topic {share}"
        );
        let slugs: HashSet<_> = s.items.iter().map(|i| (i.outlet, &i.slug)).collect();
        assert_eq!(
            slugs.len(),
            s.items.len(),
            "slugs must be unique per outlet"
        );
    }

    #[test]
    fn at_least_sixty_story_shapes_and_each_fills() {
        let shapes = TEMPLATES
            .iter()
            .filter(|t| matches!(t.kind, Kind::News | Kind::Opinion));
        assert!(shapes.count() >= 60);
        let mut rng = Rng::new(7);
        for t in TEMPLATES.iter() {
            let govs: Vec<Option<&str>> = match &t.place {
                Where::Nowhere => vec![None],
                Where::Any => GOVERNORATES.iter().map(|g| Some(g.id)).collect(),
                Where::Only(ids) => ids.iter().map(|g| Some(*g)).collect(),
            };
            for gov in govs {
                let mut b = HashMap::new();
                for slot in ["outlet", "weekday", "when", "name"] {
                    b.insert(slot, "x".to_string());
                }
                if gov.is_some() {
                    for slot in ["place", "place2", "road", "gov", "police"] {
                        b.insert(slot, "x".to_string());
                    }
                }
                for _ in 0..4 {
                    let mut f = Filler::new(&mut rng, t.lang, b.clone());
                    f.declare(&t.vars);
                    for text in t.titles.iter().chain(t.paras.iter().map(|p| &p.1)) {
                        assert!(!f.fill(text).contains('{'), "{}", t.id);
                    }
                }
            }
        }
    }

    #[test]
    fn nothing_after_now() {
        for (h, m) in [(0, 6), (0, 30), (7, 0), (9, 0), (13, 37), (23, 59)] {
            let now = at(anchor(), h, m);
            let s = generate(anchor(), now);
            for item in &s.items {
                assert!(
                    item.published <= now,
                    "{} at {} after {now}",
                    item.slug,
                    item.published
                );
                assert!(local_date(item.published) >= anchor() - TimeDelta::days(13));
            }
            for c in &s.comments {
                assert!(c.submitted <= now);
            }
            let day_start = at(anchor(), 0, 5);
            for item in s
                .items
                .iter()
                .filter(|i| local_date(i.published) == anchor())
            {
                assert!(item.published >= day_start, "{} before 00:05", item.slug);
            }
        }
    }

    #[test]
    fn burst_of_theft_in_zarqa_on_the_anchor_day_only() {
        for (h, m) in [(23, 59), (8, 0), (0, 20)] {
            let s = generate(anchor(), at(anchor(), h, m));
            let theft = |day: NaiveDate, gov: Option<&str>| {
                s.items
                    .iter()
                    .filter(|i| local_date(i.published) == day)
                    .filter(|i| i.topics.contains(&BURST_TOPIC))
                    .filter(|i| gov.is_none() || i.governorate == gov)
                    .collect::<Vec<_>>()
            };
            let burst = theft(anchor(), Some(BURST_GOVERNORATE));
            assert!(burst.len() >= 12, "{} burst items", burst.len());
            let outlets: HashSet<_> = burst.iter().map(|i| i.outlet).collect();
            assert!(outlets.len() >= 5, "{outlets:?}");
            for back in 1..14 {
                let day = anchor() - TimeDelta::days(back);
                assert!(theft(day, None).len() <= 2, "theft on {day}");
                assert!(
                    theft(day, Some(BURST_GOVERNORATE)).len() <= 1,
                    "zarqa theft on {day}"
                );
            }
        }
    }

    #[test]
    fn shared_story_is_picked_up_within_two_hours() {
        for (h, m) in [(23, 59), (9, 0), (8, 30), (0, 45)] {
            let s = generate(anchor(), at(anchor(), h, m));
            let shared: Vec<_> = s
                .items
                .iter()
                .filter(|i| i.slug.starts_with("shared-"))
                .collect();
            assert!(shared.len() >= 5);
            let outlets: HashSet<_> = shared.iter().map(|i| i.outlet).collect();
            assert_eq!(outlets.len(), shared.len());
            let first = shared.iter().map(|i| i.published).min().unwrap();
            let last = shared.iter().map(|i| i.published).max().unwrap();
            assert!(last - first <= TimeDelta::hours(2), "{first}..{last}");
            for item in &shared {
                assert_eq!(local_date(item.published), anchor());
                assert_eq!(item.topics, vec![SHARED_STORY_TOPIC]);
                assert_eq!(item.governorate, Some("karak"));
                let text = format!("{} {}", item.title, item.body);
                assert!(text.contains("14") || text.contains("١٤"), "{}", item.slug);
            }
        }
    }

    #[test]
    fn known_titles_exist() {
        let s = late_evening();
        let ar: Vec<_> = s
            .items
            .iter()
            .filter(|i| i.title == KNOWN_AR_TITLE)
            .collect();
        let en: Vec<_> = s
            .items
            .iter()
            .filter(|i| i.title == KNOWN_EN_TITLE)
            .collect();
        assert_eq!((ar.len(), en.len()), (1, 1));
        assert_eq!(ar[0].lang, "ar");
        assert_eq!(en[0].lang, "en");
        for c in ['أ', 'إ', 'آ', 'ة'] {
            assert!(KNOWN_AR_TITLE.contains(c), "{c}");
        }
    }

    #[test]
    fn comments_look_like_form_submissions() {
        let s = late_evening();
        assert!(s.comments.len() >= 8);
        assert_eq!(s.comments.iter().filter(|c| c.lang == "en").count(), 2);
        let refs: HashSet<_> = s.comments.iter().map(|c| c.reference.clone()).collect();
        assert_eq!(refs.len(), s.comments.len());
        for c in &s.comments {
            let r = &c.reference;
            assert!(r.starts_with("RASD-2026-") && r.len() == 16, "{r}");
        }
    }

    #[test]
    fn windows_1256_outlet_encodes_without_loss() {
        let s = late_evening();
        let outlet = s
            .outlets
            .iter()
            .find(|o| o.charset == Charset::Windows1256)
            .unwrap();
        assert_eq!(outlet.lang, "ar");
        for item in s.items.iter().filter(|i| i.outlet == outlet.id) {
            let text = format!(
                "{} {} {}",
                item.title,
                item.body,
                item.author.as_deref().unwrap_or("")
            );
            let (_, _, lossy) = encoding_rs::WINDOWS_1256.encode(&text);
            assert!(!lossy, "{} has characters windows-1256 lacks", item.slug);
        }
    }

    #[test]
    fn summary_only_outlet_has_short_summaries() {
        let s = late_evening();
        let outlet = s.outlets.iter().find(|o| o.summary_only).unwrap();
        for item in s.items.iter().filter(|i| i.outlet == outlet.id) {
            let summary = server::summary(item);
            assert!(summary.len() < item.body.len(), "{}", item.slug);
            let stops = summary.trim_end_matches(['.', '…']).matches(". ").count();
            assert_eq!(stops, 0, "{summary}");
        }
    }

    #[test]
    fn sources_toml_lists_every_outlet_and_the_form() {
        let s = late_evening();
        let addr: SocketAddr = "127.0.0.1:4321".parse().unwrap();
        let toml = sources_toml(&s, addr);
        assert_eq!(toml.matches("[[source]]").count(), s.outlets.len() + 1);
        assert_eq!(toml.matches("kind = \"form_export\"").count(), 1);
        assert_eq!(toml.matches("fetch_full_text = \"always\"").count(), 1);
        assert_eq!(
            toml.matches("allow_private = true").count(),
            s.outlets.len() + 1
        );
        assert!(toml.contains("url = \"http://127.0.0.1:4321/sawt-alshamal/feed.xml\""));
        assert!(toml.contains("url = \"http://127.0.0.1:4321/forms/public/export.json\""));
    }

    /// A bare HTTP/1.1 GET: `(status, headers with lower-case names, body)`.
    async fn get(addr: SocketAddr, path: &str) -> (u16, HashMap<String, String>, Vec<u8>) {
        let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
        let request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
        stream.write_all(request.as_bytes()).await.unwrap();
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).await.unwrap();
        let split = raw
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .expect("end of headers");
        let head = String::from_utf8(raw[..split].to_vec()).unwrap();
        let mut lines = head.split("\r\n");
        let status = lines
            .next()
            .unwrap()
            .split(' ')
            .nth(1)
            .unwrap()
            .parse()
            .unwrap();
        let headers: HashMap<String, String> = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
            .collect();
        let mut body = raw[split + 4..].to_vec();
        if headers
            .get("transfer-encoding")
            .is_some_and(|v| v == "chunked")
        {
            body = dechunk(&body);
        }
        (status, headers, body)
    }

    fn dechunk(mut raw: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        loop {
            let eol = raw.windows(2).position(|w| w == b"\r\n").unwrap();
            let size = usize::from_str_radix(std::str::from_utf8(&raw[..eol]).unwrap().trim(), 16)
                .unwrap();
            if size == 0 {
                return out;
            }
            out.extend_from_slice(&raw[eol + 2..eol + 2 + size]);
            raw = &raw[eol + 4 + size..];
        }
    }

    #[tokio::test]
    async fn server_serves_feeds_pages_and_the_form_export() {
        let sample = Arc::new(late_evening());
        let server = serve(sample.clone()).await.unwrap();
        let addr = server.addr;
        assert!(addr.ip().is_loopback());

        for o in &sample.outlets {
            let (file, ct) = match o.format {
                FeedFormat::Rss2 => ("feed.xml", "application/rss+xml"),
                FeedFormat::Atom => ("atom.xml", "application/atom+xml"),
                FeedFormat::JsonFeed => ("feed.json", "application/feed+json"),
            };
            let (status, headers, body) = get(addr, &format!("/{}/{file}", o.id)).await;
            assert_eq!(status, 200, "{}", o.id);
            let content_type = &headers["content-type"];
            assert!(content_type.starts_with(ct), "{}: {content_type}", o.id);
            let newest = sample
                .items
                .iter()
                .rev()
                .find(|i| i.outlet == o.id)
                .unwrap();
            let count = sample.items.iter().filter(|i| i.outlet == o.id).count();
            let text = match o.charset {
                Charset::Utf8 => {
                    assert!(content_type.ends_with("charset=utf-8"), "{content_type}");
                    String::from_utf8(body).unwrap()
                }
                Charset::Windows1256 => {
                    assert!(
                        content_type.ends_with("charset=windows-1256"),
                        "{content_type}"
                    );
                    assert!(
                        std::str::from_utf8(&body).is_err(),
                        "{} must not be UTF-8",
                        o.id
                    );
                    let (text, had_errors) =
                        encoding_rs::WINDOWS_1256.decode_without_bom_handling(&body);
                    assert!(!had_errors);
                    assert!(text.starts_with("<?xml version=\"1.0\" encoding=\"windows-1256\"?>"));
                    text.into_owned()
                }
            };
            match o.format {
                FeedFormat::JsonFeed => {
                    let feed: serde_json::Value = serde_json::from_str(&text).unwrap();
                    let items = feed["items"].as_array().unwrap();
                    assert_eq!(items.len(), count);
                    assert_eq!(items[0]["title"], newest.title.as_str(), "newest first");
                    assert!(
                        items[0]["date_published"]
                            .as_str()
                            .unwrap()
                            .ends_with("+03:00")
                    );
                }
                _ => {
                    let (open, close) = if o.format == FeedFormat::Rss2 {
                        ("<item>", "</item>")
                    } else {
                        ("<entry>", "</entry>")
                    };
                    assert_eq!(text.matches(open).count(), count);
                    let first = &text[text.find(open).unwrap()..];
                    let first = &first[..first.find(close).unwrap()];
                    assert!(
                        first.contains(&server::esc(&newest.title)),
                        "{}: newest first",
                        o.id
                    );
                }
            }
            let (status, _, _) = get(addr, &format!("/{}/nope.xml", o.id)).await;
            assert_eq!(status, 404);

            let (status, headers, page) =
                get(addr, &format!("/{}/news/{}.html", o.id, newest.slug)).await;
            assert_eq!(status, 200);
            assert!(headers["content-type"].starts_with("text/html"));
            let page = match o.charset {
                Charset::Utf8 => String::from_utf8(page).unwrap(),
                Charset::Windows1256 => {
                    assert!(std::str::from_utf8(&page).is_err());
                    encoding_rs::WINDOWS_1256
                        .decode_without_bom_handling(&page)
                        .0
                        .into_owned()
                }
            };
            assert!(page.contains("<article>") && page.contains("<time datetime="));
            if o.lang == "ar" {
                assert!(page.contains("<html lang=\"ar\" dir=\"rtl\">"));
            }
            let first_para = newest.body.split("\n\n").next().unwrap();
            assert!(page.contains(&server::esc(first_para)));
        }

        let (status, headers, body) = get(addr, "/forms/public/export.json").await;
        assert_eq!(status, 200);
        assert!(headers["content-type"].starts_with("application/json"));
        let rows: Vec<serde_json::Value> = serde_json::from_slice(&body).unwrap();
        assert_eq!(rows.len(), sample.comments.len());
        for key in ["reference", "submitted_at", "text", "governorate", "lang"] {
            assert!(rows[0].get(key).is_some(), "{key}");
        }

        let (status, _, body) = get(addr, "/").await;
        assert_eq!(status, 200);
        assert!(String::from_utf8(body).unwrap().contains("sawt-alshamal"));
        for path in [
            "/nope",
            "/sawt-alshamal/news/nope.html",
            "/nobody/feed.xml",
            "/forms/x",
        ] {
            assert_eq!(get(addr, path).await.0, 404, "{path}");
        }
        // Links follow the name the server is addressed by.
        let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
        let request = "GET /sawt-alshamal/feed.xml HTTP/1.1\r\nHost: rasd-demo.test\r\nConnection: close\r\n\r\n";
        stream.write_all(request.as_bytes()).await.unwrap();
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).await.unwrap();
        let raw = String::from_utf8(raw).unwrap();
        assert!(raw.contains("<link>http://rasd-demo.test/sawt-alshamal/news/"));
        assert!(!raw.contains("127.0.0.1"));

        server.shutdown().await;
    }
}
