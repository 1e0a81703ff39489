//! The data model: items and what enrichment adds to them, and per-source fetch state.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The language of an item, as far as Rasd cares.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, Default,
)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Lang {
    /// Arabic, Modern Standard or dialect.
    Ar,
    /// English.
    En,
    /// Anything else, or not enough text to tell.
    #[default]
    Other,
}

impl Lang {
    /// The short code used in config, the store and the index: `ar`, `en` or `other`.
    pub fn code(self) -> &'static str {
        match self {
            Lang::Ar => "ar",
            Lang::En => "en",
            Lang::Other => "other",
        }
    }

    /// Reads a short code; anything unknown is [`Lang::Other`].
    pub fn from_code(code: &str) -> Lang {
        match code {
            "ar" => Lang::Ar,
            "en" => Lang::En,
            _ => Lang::Other,
        }
    }
}

impl fmt::Display for Lang {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// Where an item came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum ItemKind {
    /// A published article or post (feeds, news sites).
    #[default]
    Article,
    /// A message a member of the public sent through a form.
    Comment,
}

impl ItemKind {
    /// The code used in the store: `article` or `comment`.
    pub fn code(self) -> &'static str {
        match self {
            ItemKind::Article => "article",
            ItemKind::Comment => "comment",
        }
    }

    /// Reads a code written by [`ItemKind::code`]; anything unknown is an article.
    pub fn from_code(code: &str) -> ItemKind {
        if code == "comment" {
            ItemKind::Comment
        } else {
            ItemKind::Article
        }
    }
}

/// A sentiment class.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Polarity {
    /// Favourable.
    Positive,
    /// Unfavourable.
    Negative,
    /// Neither, or factual.
    Neutral,
}

impl Polarity {
    /// Every class, in index order.
    pub const ALL: [Polarity; 3] = [Polarity::Positive, Polarity::Negative, Polarity::Neutral];

    /// The label as written in data files and the store: `positive`, `negative`, `neutral`.
    pub fn as_str(self) -> &'static str {
        match self {
            Polarity::Positive => "positive",
            Polarity::Negative => "negative",
            Polarity::Neutral => "neutral",
        }
    }

    /// The Arabic label: إيجابي، سلبي، محايد.
    pub fn as_arabic(self) -> &'static str {
        match self {
            Polarity::Positive => "إيجابي",
            Polarity::Negative => "سلبي",
            Polarity::Neutral => "محايد",
        }
    }

    /// Parses [`Polarity::as_str`] (case-insensitive) or the Arabic label (with or without
    /// hamza and diacritics); surrounding spaces are ignored.
    pub fn parse(s: &str) -> Option<Polarity> {
        let s = s.trim();
        Polarity::ALL.into_iter().find(|p| {
            p.as_str().eq_ignore_ascii_case(s)
                || crate::text::normalize_for_matching(s)
                    == crate::text::normalize_for_matching(p.as_arabic())
        })
    }

    /// The position in [`Polarity::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }
}

/// The sentiment of an item.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SentimentTag {
    /// The most likely class.
    pub label: Polarity,
    /// From -1 (negative) to 1 (positive).
    pub score: f32,
}

/// What an item about the police says of the police, beside its own tone: an arrest report
/// is neutral toward the police even when its tone is negative.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum PoliceStance {
    /// Thanks, praise or approval of the police.
    Approving,
    /// A complaint or criticism of the police's conduct (abuse, slowness, rudeness,
    /// corruption, neglect).
    Critical,
    /// A report of police action, the police as a source, an announcement.
    Neutral,
}

impl PoliceStance {
    /// Every stance, in index order.
    pub const ALL: [PoliceStance; 3] = [
        PoliceStance::Approving,
        PoliceStance::Critical,
        PoliceStance::Neutral,
    ];

    /// The label as written in data files and the store: `approving`, `critical`, `neutral`.
    pub fn as_str(self) -> &'static str {
        match self {
            PoliceStance::Approving => "approving",
            PoliceStance::Critical => "critical",
            PoliceStance::Neutral => "neutral",
        }
    }

    /// The Arabic label: مؤيد، ناقد، محايد.
    pub fn as_arabic(self) -> &'static str {
        match self {
            PoliceStance::Approving => "مؤيد",
            PoliceStance::Critical => "ناقد",
            PoliceStance::Neutral => "محايد",
        }
    }

    /// Parses [`PoliceStance::as_str`] (case-insensitive) or the Arabic label (with or
    /// without diacritics); surrounding spaces are ignored.
    pub fn parse(s: &str) -> Option<PoliceStance> {
        let s = s.trim();
        PoliceStance::ALL.into_iter().find(|p| {
            p.as_str().eq_ignore_ascii_case(s)
                || crate::text::normalize_for_matching(s)
                    == crate::text::normalize_for_matching(p.as_arabic())
        })
    }

    /// The position in [`PoliceStance::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }
}

/// What enrichment learned about an item.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Tags {
    /// Detected language.
    pub lang: Lang,
    /// Topic ids from `topics.toml`, sorted, without duplicates.
    pub topics: Vec<String>,
    /// Governorate ids from `places.toml` where the event happened, sorted, without
    /// duplicates: what alert rules, search filters, facets and trends use.
    pub places: Vec<String>,
    /// Governorates the text names but that were not judged the place of the event (a
    /// route, a dateline, where someone comes from, a hospital, a comparison), sorted,
    /// without duplicates, none of them in `places`.
    #[serde(default)]
    pub places_named: Vec<String>,
    /// Sentiment, when a sentiment model is loaded.
    #[serde(default)]
    pub sentiment: Option<SentimentTag>,
    /// The item is about the Public Security Directorate or one of its branches.
    #[serde(default)]
    pub about_police: bool,
    /// What the item says of the police (set only when `about_police`).
    #[serde(default)]
    pub police_stance: Option<PoliceStance>,
    /// 64-bit SimHash of the normalized text, for near-duplicate detection (0 when empty).
    /// Written as 16 hex digits in JSON (a JavaScript number would lose bits).
    #[serde(default, with = "hex_u64")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, pattern = "^[0-9a-f]{16}$"))]
    pub fingerprint: u64,
}

/// Serializes a `u64` as 16 lower-case hex digits.
pub mod hex_u64 {
    use serde::{Deserialize, Deserializer, Serializer};

    /// Writes `v` as 16 hex digits.
    pub fn serialize<S: Serializer>(v: &u64, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format!("{v:016x}"))
    }

    /// Reads hex digits (or a plain number).
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Repr {
            Hex(String),
            Num(u64),
        }
        match Repr::deserialize(d)? {
            Repr::Num(n) => Ok(n),
            Repr::Hex(h) => u64::from_str_radix(&h, 16)
                .map_err(|_| serde::de::Error::custom(format!("{h:?} is not 16 hex digits"))),
        }
    }
}

/// One article or public comment. Its `id` is stable: the same article fetched twice, or from
/// two feeds, has the same id, so every stage can be repeated safely.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Item {
    /// Stable id: [`item_id_for_url`] of the canonical URL (or of the form reference).
    pub id: String,
    /// Article or comment.
    pub kind: ItemKind,
    /// The id of the source in `sources.toml`.
    pub source: String,
    /// Canonical link to the article (for comments, a `form:` reference URL).
    pub url: String,
    /// The feed's own id for the entry (RSS `guid`, Atom `id`), when it gives one: a second
    /// key that recognises the same article published under another URL.
    #[serde(default)]
    pub guid: Option<String>,
    /// Headline (may be empty for comments).
    pub title: String,
    /// Main text, plain, paragraphs separated by blank lines.
    pub body: String,
    /// Author, if the source names one.
    pub author: Option<String>,
    /// When the source says it was published; `None` when the source gives no usable date.
    pub published: Option<DateTime<Utc>>,
    /// When Rasd first took it from the source.
    pub fetched: DateTime<Utc>,
    /// Enrichment results (default until enriched).
    pub tags: Tags,
}

impl Item {
    /// A new untagged item whose id derives from `url`.
    pub fn new(source: &str, url: &str, title: &str, body: &str, fetched: DateTime<Utc>) -> Item {
        let url = canonical_url(url);
        Item {
            id: item_id_for_url(&url),
            kind: ItemKind::Article,
            source: source.to_string(),
            url,
            guid: None,
            title: title.to_string(),
            body: body.to_string(),
            author: None,
            published: None,
            fetched,
            tags: Tags::default(),
        }
    }

    /// The time the item is filed under: its published date, or when it was fetched.
    pub fn when(&self) -> DateTime<Utc> {
        self.published.unwrap_or(self.fetched)
    }

    /// Title and body together, for enrichment.
    pub fn full_text(&self) -> String {
        if self.title.is_empty() {
            self.body.clone()
        } else {
            format!("{}\n\n{}", self.title, self.body)
        }
    }

    /// A hash of what the item says (title and body), to tell a changed article from a repeat.
    pub fn content_hash(&self) -> String {
        let mut h = Sha256::new();
        h.update(self.title.as_bytes());
        h.update([0]);
        h.update(self.body.as_bytes());
        hex(&h.finalize()[..16])
    }
}

/// What Rasd remembers about fetching one source, for conditional requests and health.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct FetchState {
    /// The source id.
    pub source: String,
    /// `ETag` of the last successful response.
    pub etag: Option<String>,
    /// `Last-Modified` of the last successful response.
    pub last_modified: Option<String>,
    /// When the source was last fetched successfully.
    pub last_success: Option<DateTime<Utc>>,
    /// When the last attempt failed, if it did.
    pub last_error_at: Option<DateTime<Utc>>,
    /// What went wrong last time, if anything.
    pub last_error: Option<String>,
    /// Failures since the last success.
    pub consecutive_failures: u32,
    /// Keys of the feed entries already taken ([`entry_key`]), or of a site's article
    /// links already read, the most recent first, at most [`MAX_SEEN_ENTRIES`]: an entry
    /// whose key is here gives no item and no page fetch. Saved with the items of the poll
    /// that took them.
    #[serde(default)]
    pub seen_entries: Vec<u64>,
    /// What the last poll that read the source did.
    #[serde(default)]
    pub last_poll: PollStats,
}

/// The most entry keys a [`FetchState`] remembers (32 KiB per source).
pub const MAX_SEEN_ENTRIES: usize = 4096;

/// What one poll of a source did, for `rasd sources`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct PollStats {
    /// Entries (or article links, for sites) the source listed.
    pub entries: u32,
    /// Of those, entries read after the cap (the newest `max_entries_per_poll`) that were
    /// new or changed since earlier polls (for sites: links not read before, the cap aside).
    pub new: u32,
    /// Items taken from the source.
    pub taken: u32,
    /// Article pages requested.
    pub pages: u32,
    /// The cap on entries per poll left older entries unread.
    pub capped: bool,
    /// The time budget ran out: some new entries were left for the next poll.
    pub out_of_time: bool,
    /// Article pages whose article text was not found (empty or too short: an
    /// `extraction_failed` problem each), at the last poll that fetched any page (see
    /// [`PollStats::keeping_extraction_of`]); the office fixes it with the source's
    /// `article_selector`.
    #[serde(default)]
    pub extraction_failed: u32,
    /// Article pages on which the source's `article_selector` matched no text (a
    /// `site_rule_missed` problem each: the rule is stale), at the last poll that fetched
    /// any page.
    #[serde(default)]
    pub rule_missed: u32,
}

impl PollStats {
    /// These stats, with the extraction counts of `previous` when this poll fetched no
    /// page: a poll with nothing new says nothing about extraction, and a source whose
    /// pages fail should not look healthy until its next new entry.
    pub fn keeping_extraction_of(self, previous: &PollStats) -> PollStats {
        if self.pages > 0 {
            return self;
        }
        PollStats {
            extraction_failed: previous.extraction_failed,
            rule_missed: previous.rule_missed,
            ..self
        }
    }
}

/// A stable 64-bit key of a feed entry from what it says (FNV-1a over its fields, each
/// followed by a separator): the same entry gives the same key on every poll and in every
/// build; an edit to any field gives another.
pub fn entry_key(fields: &[&str]) -> u64 {
    const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0100_0000_01b3;
    let mut h = OFFSET;
    for f in fields {
        for b in f.bytes().chain([0xff]) {
            h ^= u64::from(b);
            h = h.wrapping_mul(PRIME);
        }
    }
    h
}

/// The stable id of an item whose canonical URL is `url`: the first 16 bytes of its SHA-256,
/// in hex.
pub fn item_id_for_url(url: &str) -> String {
    hex(&Sha256::digest(url.as_bytes())[..16])
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

/// Tracking parameters dropped from URLs before hashing.
const TRACKING_PARAMS: &[&str] = &[
    "fbclid", "gclid", "mc_cid", "mc_eid", "igshid", "ref", "ocid",
];

/// A first canonical form of a URL: scheme and host lower-cased (by the parser), the fragment
/// and tracking parameters (`utm_*`, `fbclid`…) removed. Strings that are not absolute URLs
/// are returned trimmed.
pub fn canonical_url(raw: &str) -> String {
    let raw = raw.trim();
    let Ok(mut url) = url::Url::parse(raw) else {
        return raw.to_string();
    };
    url.set_fragment(None);
    if url.query().is_some() {
        let kept: Vec<(String, String)> = url
            .query_pairs()
            .filter(|(k, _)| {
                let k = k.to_ascii_lowercase();
                !k.starts_with("utm_") && !TRACKING_PARAMS.contains(&k.as_str())
            })
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        if kept.is_empty() {
            url.set_query(None);
        } else {
            url.query_pairs_mut().clear().extend_pairs(kept);
        }
    }
    url.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extraction_counts_stay_until_a_poll_fetches_pages() {
        let failing = PollStats {
            pages: 4,
            extraction_failed: 3,
            rule_missed: 1,
            ..PollStats::default()
        };
        let quiet = PollStats {
            entries: 20,
            ..PollStats::default()
        };
        let kept = quiet.keeping_extraction_of(&failing);
        assert_eq!(
            (
                kept.entries,
                kept.pages,
                kept.extraction_failed,
                kept.rule_missed
            ),
            (20, 0, 3, 1)
        );
        let fixed = PollStats {
            pages: 2,
            ..PollStats::default()
        };
        assert_eq!(fixed.keeping_extraction_of(&failing), fixed);
    }

    #[test]
    fn canonical_url_drops_fragment_and_tracking() {
        assert_eq!(
            canonical_url("HTTPS://Example.JO/news/1?utm_source=x&id=5&fbclid=y#top"),
            "https://example.jo/news/1?id=5"
        );
        assert_eq!(
            canonical_url(" https://example.jo/a?utm_medium=m "),
            "https://example.jo/a"
        );
    }

    #[test]
    fn same_article_same_id() {
        let a = Item::new("s1", "https://example.jo/a#x", "t", "b", Utc::now());
        let b = Item::new(
            "s2",
            "https://example.jo/a?utm_source=rss",
            "t",
            "b",
            Utc::now(),
        );
        assert_eq!(a.id, b.id);
        assert_eq!(a.id.len(), 32);
    }

    #[test]
    fn arabic_path_urls_are_stable() {
        let a = canonical_url("https://example.jo/أخبار/1");
        let b = canonical_url("https://example.jo/%D8%A3%D8%AE%D8%A8%D8%A7%D8%B1/1");
        assert_eq!(a, b);
    }

    #[test]
    fn entry_keys_are_stable_and_field_bound() {
        // Fixed value: keys are stored, so they must not change between builds.
        assert_eq!(entry_key(&[]), 0xcbf2_9ce4_8422_2325);
        let a = entry_key(&["https://e.jo/1", "عنوان"]);
        assert_eq!(a, entry_key(&["https://e.jo/1", "عنوان"]));
        assert_ne!(a, entry_key(&["https://e.jo/1", "عنوان آخر"]));
        assert_ne!(entry_key(&["ab", "c"]), entry_key(&["a", "bc"]));
    }

    #[test]
    fn content_hash_changes_with_text() {
        let a = Item::new("s", "https://e.jo/a", "t", "b", Utc::now());
        let mut b = a.clone();
        b.body.push('!');
        assert_ne!(a.content_hash(), b.content_hash());
    }

    #[test]
    fn polarity_parses_english_and_arabic_labels() {
        assert_eq!(Polarity::parse(" Negative "), Some(Polarity::Negative));
        assert_eq!(Polarity::parse("سلبي"), Some(Polarity::Negative));
        assert_eq!(Polarity::parse("ايجابي"), Some(Polarity::Positive));
        assert_eq!(Polarity::parse("إيجابيّ"), Some(Polarity::Positive));
        assert_eq!(Polarity::parse("محايد"), Some(Polarity::Neutral));
        assert_eq!(Polarity::parse("غاضب"), None);
        assert_eq!(Polarity::parse(""), None);
        for p in Polarity::ALL {
            assert_eq!(Polarity::parse(p.as_str()), Some(p));
            assert_eq!(Polarity::parse(p.as_arabic()), Some(p));
        }
    }

    #[test]
    fn police_stance_parses_english_and_arabic_labels() {
        assert_eq!(
            PoliceStance::parse(" Critical "),
            Some(PoliceStance::Critical)
        );
        assert_eq!(PoliceStance::parse("مؤيِّد"), Some(PoliceStance::Approving));
        assert_eq!(PoliceStance::parse("negative"), None);
        for p in PoliceStance::ALL {
            assert_eq!(PoliceStance::parse(p.as_str()), Some(p));
            assert_eq!(PoliceStance::parse(p.as_arabic()), Some(p));
            assert_eq!(PoliceStance::ALL[p.index()], p);
        }
        let json = serde_json::to_string(&PoliceStance::Approving).unwrap();
        assert_eq!(json, "\"approving\"");
    }
}
