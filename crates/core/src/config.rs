//! Loading and validating a config folder.
//!
//! A config folder holds five TOML files: `rasd.toml` ([`Settings`]), `sources.toml`
//! (`[[source]]` tables, [`SourceConfig`]), `topics.toml` (`[[topic]]`, [`TopicConfig`]),
//! `places.toml` (`[[place]]`, [`PlaceConfig`]) and `alerts.toml` (`[[rule]]`, [`AlertRule`]).
//! [`Config::load`] reads them all and reports every problem it finds, each as a
//! [`ConfigError`] naming the file, the line and what to write instead. Unknown keys are
//! errors (a misspelt key would otherwise be silently ignored).

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize};
use toml::Spanned;
use toml::de::{DeArray, DeTable, DeValue, ValueDeserializer};

use crate::duration::Interval;
use crate::error::{Error, Result};
use crate::model::Lang;

/// One problem in one config file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// The file, as given to the loader.
    pub file: PathBuf,
    /// 1-based line, when known.
    pub line: Option<usize>,
    /// What is wrong and what to write instead.
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{}: {}", self.file.display(), line, self.message),
            None => write!(f, "{}: {}", self.file.display(), self.message),
        }
    }
}

/// The whole configuration of one Rasd instance.
#[derive(Debug, Clone)]
pub struct Config {
    /// The folder the files were read from.
    pub dir: PathBuf,
    /// `rasd.toml`.
    pub settings: Settings,
    /// `sources.toml`, enabled and disabled alike.
    pub sources: Vec<SourceConfig>,
    /// `topics.toml`.
    pub topics: Vec<TopicConfig>,
    /// `[police]` in `topics.toml` (empty when absent).
    pub police: PoliceConfig,
    /// `places.toml`.
    pub places: Vec<PlaceConfig>,
    /// `alerts.toml`.
    pub alerts: Vec<AlertRule>,
}

/// `rasd.toml`: where data lives, the server, schedules, fetching and mail.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// The data folder (SQLite file and search index). Relative paths are taken from the
    /// current directory. `--data-dir` overrides it.
    #[serde(default = "default_data_dir")]
    pub data_dir: PathBuf,
    /// The time zone days are counted in, as an IANA name.
    #[serde(default = "default_timezone", deserialize_with = "de_timezone")]
    pub timezone: String,
    /// The web server.
    #[serde(default)]
    pub server: ServerSettings,
    /// When things run.
    #[serde(default)]
    pub schedule: ScheduleSettings,
    /// How sources are fetched.
    #[serde(default)]
    pub fetch: FetchSettings,
    /// Outgoing mail.
    #[serde(default)]
    pub mail: MailSettings,
    /// Trained models used by enrichment.
    #[serde(default)]
    pub enrich: EnrichSettings,
    /// Stories across outlets.
    #[serde(default)]
    pub stories: StorySettings,
    /// How alerts reach people (the rules are in `alerts.toml`).
    #[serde(default)]
    pub alerts: AlertSettings,
    /// What counts as trending.
    #[serde(default)]
    pub trends: TrendSettings,
    /// What the daily digest holds beside its fixed sections.
    #[serde(default)]
    pub digest: DigestSettings,
    /// Where the store is: the SQLite file in the data folder, or a PostgreSQL server.
    #[serde(default)]
    pub store: StoreSettings,
    /// Several `rasd run` workers sharing one store (`--role fetch|process|web`).
    #[serde(default)]
    pub workers: WorkerSettings,
}

/// `[store]` in `rasd.toml`.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct StoreSettings {
    /// A PostgreSQL server (`postgres://user[:password]@host[:port]/database`) to keep the
    /// store in instead of `rasd.sqlite` in the data folder; the search index stays in the
    /// data folder of each machine. `RASD_STORE_URL` overrides it.
    #[serde(default, deserialize_with = "de_store_url")]
    pub url: Option<String>,
}

impl StoreSettings {
    /// The PostgreSQL URL in effect: `RASD_STORE_URL`, else `url`.
    pub fn effective_url(&self) -> Option<String> {
        match std::env::var("RASD_STORE_URL") {
            Ok(u) if !u.trim().is_empty() => Some(u),
            _ => self.url.clone(),
        }
    }
}

fn de_store_url<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let url = String::deserialize(d)?;
    if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
        return Err(serde::de::Error::custom(format!(
            "[store] url must be a PostgreSQL address like \
             \"postgres://rasd@db.example:5432/rasd\", not {url:?}; leave it out to keep the \
             store in the data folder (SQLite)"
        )));
    }
    Ok(Some(url))
}

/// `[workers]` in `rasd.toml`: how `rasd run --role fetch|process` workers share a store's
/// work. A worker leases what it takes (a due source, a batch of fetched items) for `lease`;
/// a worker that dies holding it leaves it to the others once the lease has run out.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct WorkerSettings {
    /// How long a leased source or batch stays with its worker (longer than a source's
    /// fetch takes: 1s to 1d).
    #[serde(default = "default_lease", deserialize_with = "de_lease")]
    pub lease: Interval,
    /// The worker's name in the store's leases; the host name and process id when left
    /// out.
    #[serde(default)]
    pub id: Option<String>,
}

impl Default for WorkerSettings {
    fn default() -> Self {
        WorkerSettings {
            lease: default_lease(),
            id: None,
        }
    }
}

impl WorkerSettings {
    /// The worker id in effect: `id`, else `<host name>-<process id>`.
    pub fn effective_id(&self) -> String {
        match self.id.as_deref().map(str::trim) {
            Some(id) if !id.is_empty() => id.to_string(),
            _ => {
                let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
                    .ok()
                    .or_else(|| std::env::var("HOSTNAME").ok())
                    .map(|h| h.trim().to_string())
                    .filter(|h| !h.is_empty())
                    .unwrap_or_else(|| "rasd".to_string());
                format!("{host}-{}", std::process::id())
            }
        }
    }
}

fn default_lease() -> Interval {
    Interval::from_secs(300)
}

fn de_lease<'de, D: Deserializer<'de>>(d: D) -> Result<Interval, D::Error> {
    let lease = Interval::deserialize(d)?;
    let secs = lease.as_duration().as_secs();
    if !(1..=86_400).contains(&secs) {
        return Err(serde::de::Error::custom(format!(
            "[workers] lease must be between 1s and 1d, not {secs} s"
        )));
    }
    Ok(lease)
}

/// `[digest]` in `rasd.toml`.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct DigestSettings {
    /// Saved searches (`rasd searches add`) that get a section of their own: the day's
    /// matching items, newest first.
    #[serde(default)]
    pub saved_searches: Vec<String>,
}

/// `[trends]` in `rasd.toml`: counts of distinct stories per topic, governorate, salient
/// word and negative coverage of the police, in the last hour and the last day, against the
/// same windows of the trailing days (see `docs/trends.md`).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct TrendSettings {
    /// A key is flagged only with at least this many distinct stories in the window (1 to
    /// 1000).
    #[serde(
        default = "default_trend_min_count",
        deserialize_with = "de_number_in::<_, u32, 1, 1000>"
    )]
    pub min_count: u32,
    /// ... and when a count this high has at most this probability under the baseline (above
    /// 0, below 1).
    #[serde(default = "default_trend_max_p", deserialize_with = "de_probability")]
    pub max_p: f64,
    /// How many days before make the baseline (3 to 60).
    #[serde(
        default = "default_baseline_days",
        deserialize_with = "de_number_in::<_, u32, 3, 60>"
    )]
    pub baseline_days: u32,
    /// Calendar periods (Ramadan, the Eids, exam-results week): left out of other days'
    /// baselines, and judged against their own days or against ordinary days.
    #[serde(default)]
    pub period: Vec<CalendarPeriod>,
}

impl Default for TrendSettings {
    fn default() -> Self {
        TrendSettings {
            min_count: default_trend_min_count(),
            max_p: default_trend_max_p(),
            baseline_days: default_baseline_days(),
            period: Vec::new(),
        }
    }
}

fn default_trend_min_count() -> u32 {
    3
}

fn default_trend_max_p() -> f64 {
    0.001
}

fn default_baseline_days() -> u32 {
    14
}

fn de_probability<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    let v = f64::deserialize(d)?;
    if v > 0.0 && v < 1.0 {
        Ok(v)
    } else {
        Err(serde::de::Error::custom(format!(
            "{v} is out of range: write a probability above 0 and below 1, such as 0.001"
        )))
    }
}

/// One `[[trends.period]]`: local dates, both included.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct CalendarPeriod {
    /// What it is called, such as "Ramadan 1448 / رمضان".
    pub name: String,
    /// First day (YYYY-MM-DD, local).
    pub from: chrono::NaiveDate,
    /// Last day (YYYY-MM-DD, local).
    pub to: chrono::NaiveDate,
    /// `own`: its days are judged against its own earlier days; `exclude`: against ordinary
    /// days. Either way its days stay out of ordinary days' baselines.
    #[serde(default)]
    pub baseline: PeriodBaseline,
}

/// How a calendar period's days are judged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PeriodBaseline {
    /// Against the period's own earlier days.
    #[default]
    Own,
    /// Against ordinary days.
    Exclude,
}

/// `[alerts]` in `rasd.toml`: who alerts reach and when (see `docs/alerts.md`).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct AlertSettings {
    /// Mail recipients of rules that name none.
    #[serde(default, deserialize_with = "de_one_line_list")]
    pub recipients: Vec<String>,
    /// Local hours (`"22:00-07:00"`) in which only `critical` alerts are sent; the others
    /// wait for the end. Unset: no quiet hours.
    #[serde(default)]
    pub quiet_hours: Option<QuietHours>,
    /// Alert messages per recipient per local day (1 to 1000); past it, alerts other than
    /// `critical` are held back and listed in one summary after the day ends.
    #[serde(
        default = "default_daily_cap",
        deserialize_with = "de_number_in::<_, u32, 1, 1000>"
    )]
    pub daily_cap: u32,
    /// Who is told when an alert stays unacknowledged for `escalate_after` after it was
    /// sent; empty: no escalation (unless a rule names its own).
    #[serde(default, deserialize_with = "de_one_line_list")]
    pub escalate_to: Vec<String>,
    /// See `escalate_to` (1m to 30d).
    #[serde(
        default = "default_escalate_after",
        deserialize_with = "de_poll_interval"
    )]
    pub escalate_after: Interval,
    /// A delivery that keeps failing is retried with backoff for this long, then marked
    /// dead (1h to 30d).
    #[serde(
        default = "default_give_up_after",
        deserialize_with = "de_give_up_after"
    )]
    pub give_up_after: Interval,
    /// The environment variable holding the secret webhooks are signed with.
    #[serde(
        default = "default_webhook_secret_env",
        deserialize_with = "de_env_name"
    )]
    pub webhook_secret_env: String,
}

impl Default for AlertSettings {
    fn default() -> Self {
        AlertSettings {
            recipients: Vec::new(),
            quiet_hours: None,
            daily_cap: default_daily_cap(),
            escalate_to: Vec::new(),
            escalate_after: default_escalate_after(),
            give_up_after: default_give_up_after(),
            webhook_secret_env: default_webhook_secret_env(),
        }
    }
}

fn default_daily_cap() -> u32 {
    20
}

fn default_escalate_after() -> Interval {
    Interval::from_secs(30 * 60)
}

fn default_give_up_after() -> Interval {
    Interval::from_secs(24 * 3600)
}

fn default_webhook_secret_env() -> String {
    "RASD_WEBHOOK_SECRET".to_string()
}

fn de_give_up_after<'de, D: Deserializer<'de>>(d: D) -> Result<Interval, D::Error> {
    de_interval_in::<D, 3600, { 30 * 86_400 }>(d)
}

/// The name of an environment variable: letters, digits and `_`, not starting with a digit.
fn de_env_name<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    let s = String::deserialize(d)?;
    let ok = !s.is_empty()
        && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !s.starts_with(|c: char| c.is_ascii_digit());
    if ok {
        Ok(s)
    } else {
        Err(serde::de::Error::custom(format!(
            "{s:?} is not an environment variable name: write letters, digits and _, such as \"RASD_SMTP_PASSWORD\""
        )))
    }
}

/// Quiet hours: from `start` up to `end`, local time; `end` before `start` runs past midnight.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuietHours {
    pub start: chrono::NaiveTime,
    pub end: chrono::NaiveTime,
}

impl QuietHours {
    /// Whether local time `t` is inside.
    pub fn contains(&self, t: chrono::NaiveTime) -> bool {
        if self.start <= self.end {
            self.start <= t && t < self.end
        } else {
            t >= self.start || t < self.end
        }
    }
}

impl std::str::FromStr for QuietHours {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let hint = "write local hours as \"HH:MM-HH:MM\", such as \"22:00-07:00\"";
        let (a, b) = s
            .split_once('-')
            .ok_or_else(|| format!("quiet hours {s:?} have no '-': {hint}"))?;
        let time = |t: &str| {
            chrono::NaiveTime::parse_from_str(t.trim(), "%H:%M")
                .map_err(|_| format!("{:?} in quiet hours {s:?} is not a time: {hint}", t.trim()))
        };
        let (start, end) = (time(a)?, time(b)?);
        if start == end {
            return Err(format!("quiet hours {s:?} start and end at once: {hint}"));
        }
        Ok(QuietHours { start, end })
    }
}

impl fmt::Display for QuietHours {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}-{}",
            self.start.format("%H:%M"),
            self.end.format("%H:%M")
        )
    }
}

impl<'de> Deserialize<'de> for QuietHours {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d)?
            .parse()
            .map_err(serde::de::Error::custom)
    }
}

impl Serialize for QuietHours {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// `[stories]` in `rasd.toml`.
#[derive(Debug, Clone, Copy, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct StorySettings {
    /// A story is breaking once this many independent owners (`owner` in `sources.toml`)
    /// carried it within `breaking_within` (2 to 50).
    #[serde(
        default = "default_breaking_owners",
        deserialize_with = "de_number_in::<_, u32, 2, 50>"
    )]
    pub breaking_owners: u32,
    /// See `breaking_owners` (10 minutes to 24 hours).
    #[serde(
        default = "default_breaking_within",
        deserialize_with = "de_breaking_within"
    )]
    pub breaking_within: Interval,
}

impl Default for StorySettings {
    fn default() -> Self {
        StorySettings {
            breaking_owners: default_breaking_owners(),
            breaking_within: default_breaking_within(),
        }
    }
}

fn default_breaking_owners() -> u32 {
    3
}

fn default_breaking_within() -> Interval {
    Interval::from_secs(2 * 3600)
}

/// How soon a story must reach its owners to be breaking: 10 minutes to 24 hours.
fn de_breaking_within<'de, D: Deserializer<'de>>(d: D) -> Result<Interval, D::Error> {
    de_interval_in::<D, 600, 86_400>(d)
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            data_dir: default_data_dir(),
            timezone: default_timezone(),
            server: ServerSettings::default(),
            schedule: ScheduleSettings::default(),
            fetch: FetchSettings::default(),
            mail: MailSettings::default(),
            enrich: EnrichSettings::default(),
            stories: StorySettings::default(),
            alerts: AlertSettings::default(),
            trends: TrendSettings::default(),
            digest: DigestSettings::default(),
            store: StoreSettings::default(),
            workers: WorkerSettings::default(),
        }
    }
}

impl Config {
    /// The topic ids of `topics.toml`, in order.
    pub fn topic_ids(&self) -> Vec<String> {
        self.topics.iter().map(|t| t.id.clone()).collect()
    }

    /// The governorate ids of `places.toml` (what items are tagged with), in order.
    pub fn governorate_ids(&self) -> Vec<String> {
        self.places
            .iter()
            .filter(|p| p.id == p.governorate)
            .map(|p| p.id.clone())
            .collect()
    }
}

impl Settings {
    /// The configured time zone.
    pub fn tz(&self) -> chrono_tz::Tz {
        self.timezone.parse().unwrap_or(chrono_tz::Asia::Amman)
    }
}

fn default_data_dir() -> PathBuf {
    PathBuf::from("index")
}

fn default_timezone() -> String {
    "Asia/Amman".to_string()
}

fn de_timezone<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    let s = String::deserialize(d)?;
    match s.parse::<chrono_tz::Tz>() {
        Ok(_) => Ok(s),
        Err(_) => Err(serde::de::Error::custom(format!(
            "unknown time zone {s:?}: write an IANA zone name, such as \"Asia/Amman\""
        ))),
    }
}

// Values that would parse but break fetching at run time are refused while parsing, so
// the message carries the line. A new bounded key needs only its `deserialize_with`.

/// A poll interval, backoff, alert window or cooldown: 1 minute to 30 days.
fn de_poll_interval<'de, D: Deserializer<'de>>(d: D) -> Result<Interval, D::Error> {
    de_interval_in::<D, 60, { 30 * 86_400 }>(d)
}

/// [`de_poll_interval`] for an optional key.
fn de_opt_poll_interval<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Interval>, D::Error> {
    de_poll_interval(d).map(Some)
}

/// A request or connect timeout: 1 second to 10 minutes.
fn de_request_timeout<'de, D: Deserializer<'de>>(d: D) -> Result<Interval, D::Error> {
    de_interval_in::<D, 1, 600>(d)
}

/// An interval of `MIN` to `MAX` seconds.
fn de_interval_in<'de, D: Deserializer<'de>, const MIN: u64, const MAX: u64>(
    d: D,
) -> Result<Interval, D::Error> {
    let v = Interval::deserialize(d)?;
    let (min, max) = (Interval::from_secs(MIN), Interval::from_secs(MAX));
    if v < min {
        Err(serde::de::Error::custom(format!(
            "\"{v}\" is too short: write at least \"{min}\" (and at most \"{max}\")"
        )))
    } else if v > max {
        Err(serde::de::Error::custom(format!(
            "\"{v}\" is too long: write at most \"{max}\" (and at least \"{min}\")"
        )))
    } else {
        Ok(v)
    }
}

/// A whole number from `MIN` to `MAX`.
fn de_number_in<'de, D, T, const MIN: u64, const MAX: u64>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Copy + Into<u64>,
{
    let v = T::deserialize(d)?;
    if (MIN..=MAX).contains(&v.into()) {
        Ok(v)
    } else {
        Err(serde::de::Error::custom(format!(
            "{} is out of range: write a whole number from {MIN} to {MAX}",
            v.into()
        )))
    }
}

/// A value sent as an HTTP header (the User-Agent and the contact in it): one line of
/// printable ASCII, not empty, at most 256 characters.
fn de_header_value<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    let s = String::deserialize(d)?;
    match header_problem(&s) {
        None => Ok(s),
        Some(why) => Err(serde::de::Error::custom(format!(
            "{s:?} cannot be sent as an HTTP header: {why}; write one line of plain ASCII, \
             such as \"Rasd/0.1\" or \"media-office@example.jo\""
        ))),
    }
}

/// Why `s` cannot be an HTTP header value, if it cannot.
fn header_problem(s: &str) -> Option<String> {
    if s.trim().is_empty() {
        return Some("it is empty".to_string());
    }
    if let Some(c) = s.chars().find(|c| c.is_control()) {
        return Some(format!(
            "it holds the control character {c:?} (a line break would end the header early)"
        ));
    }
    if let Some(c) = s.chars().find(|c| !c.is_ascii()) {
        return Some(format!("{c:?} is not ASCII"));
    }
    if s.len() > 256 {
        return Some(format!("it is {} characters long (at most 256)", s.len()));
    }
    None
}

/// Text that goes into a mail header or an SMTP command: no line breaks or other control
/// characters.
fn de_one_line<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    let s = String::deserialize(d)?;
    check_one_line(&s).map_err(serde::de::Error::custom)?;
    Ok(s)
}

/// [`de_one_line`] for each entry of a list.
fn de_one_line_list<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    let v = Vec::<String>::deserialize(d)?;
    for s in &v {
        check_one_line(s).map_err(serde::de::Error::custom)?;
    }
    Ok(v)
}

fn check_one_line(s: &str) -> Result<(), String> {
    match s.chars().find(|c| c.is_control()) {
        None => Ok(()),
        Some(c) => Err(format!(
            "{s:?} holds the control character {c:?}, which would break the mail header: \
             write it on one line, such as \"rasd@example.jo\""
        )),
    }
}

/// `[server]` in `rasd.toml`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ServerSettings {
    /// Address the web server listens on, such as `"127.0.0.1:8080"`.
    #[serde(default = "default_listen", deserialize_with = "de_socket_addr")]
    pub listen: String,
    /// The `Host` header values the web server answers, such as `"rasd.example.jo"` or
    /// `"127.0.0.1:8080"`; letter case aside, a request's `Host` must equal one of them (a
    /// port, when written, must match too). Others get 421, which stops DNS rebinding.
    /// Empty (the default) means the listen address's host, `localhost`, `127.0.0.1` and
    /// `[::1]`, each with and without the listen port.
    #[serde(default, deserialize_with = "de_allowed_hosts")]
    pub allowed_hosts: Vec<String>,
    /// The address people open Rasd at, for links in alerts and mail (such as
    /// `"https://rasd.example.jo"`); unset: `http://` and the listen address.
    #[serde(default, deserialize_with = "de_opt_web_url")]
    pub public_url: Option<String>,
    /// Address of the second listener, serving only the public comment form (`/report`),
    /// its JSON twin (`POST /api/v1/submissions`), `/healthz` and the stylesheet, such as
    /// `"0.0.0.0:8081"`; unset (the default): no public listener.
    #[serde(default, deserialize_with = "de_opt_socket_addr")]
    pub public_listen: Option<String>,
    /// The request header a reverse proxy puts the client's address in, such as
    /// `"X-Forwarded-For"` or `"X-Real-IP"`. Read only on connections from
    /// `trusted_proxies`; unset (the default): the address of the connection is the client.
    #[serde(default, deserialize_with = "de_opt_header_name")]
    pub client_ip_header: Option<String>,
    /// The proxies whose `client_ip_header` is believed (IP addresses).
    #[serde(default)]
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// Mark the log-in cookie `Secure` (sent over HTTPS only; browsers also accept it from
    /// `http://localhost` and `http://127.0.0.1`). Default true; set false only for a test
    /// server reached over plain HTTP by another name.
    #[serde(default = "default_true")]
    pub cookie_secure: bool,
    /// Hours a log-in lasts (default 12).
    #[serde(default = "default_session_hours")]
    pub session_hours: u32,
    /// Submissions of the public form accepted per client address per minute (default 5);
    /// more are answered 429.
    #[serde(default = "default_form_per_minute")]
    pub form_per_minute: u32,
}

fn default_session_hours() -> u32 {
    12
}

fn default_form_per_minute() -> u32 {
    5
}

fn de_opt_header_name<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let s = String::deserialize(d)?;
    let token = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c);
    if s.is_empty() || !s.chars().all(token) {
        return Err(serde::de::Error::custom(format!(
            "invalid header name {s:?}: write a header name such as \"X-Forwarded-For\" or \"X-Real-IP\""
        )));
    }
    Ok(Some(s))
}

fn de_opt_socket_addr<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    de_socket_addr(d).map(Some)
}

impl ServerSettings {
    /// Where links in messages point: `public_url` without a trailing `/`, else the listen
    /// address.
    pub fn base_url(&self) -> String {
        match &self.public_url {
            Some(u) => u.trim_end_matches('/').to_string(),
            None => format!("http://{}", self.listen),
        }
    }
}

impl Default for ServerSettings {
    fn default() -> Self {
        ServerSettings {
            listen: default_listen(),
            allowed_hosts: Vec::new(),
            public_url: None,
            public_listen: None,
            client_ip_header: None,
            trusted_proxies: Vec::new(),
            cookie_secure: true,
            session_hours: default_session_hours(),
            form_per_minute: default_form_per_minute(),
        }
    }
}

fn de_allowed_hosts<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    let hosts = Vec::<String>::deserialize(d)?;
    for h in &hosts {
        // A host with an optional port, and nothing else: no scheme, user, path or query.
        let plain = !h.is_empty()
            && !h.contains(|c: char| c.is_whitespace() || "/\\@?#".contains(c))
            && url::Url::parse(&format!("http://{h}/")).is_ok_and(|u| u.host().is_some());
        if !plain {
            return Err(serde::de::Error::custom(format!(
                "invalid allowed host {h:?}: write a host name or address, with a port if \
                 clients use one, such as \"rasd.example.jo\" or \"127.0.0.1:8080\""
            )));
        }
    }
    Ok(hosts)
}

fn default_listen() -> String {
    "127.0.0.1:8080".to_string()
}

fn de_socket_addr<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    let s = String::deserialize(d)?;
    match s.parse::<std::net::SocketAddr>() {
        Ok(_) => Ok(s),
        Err(_) => Err(serde::de::Error::custom(format!(
            "invalid listen address {s:?}: write an IP address and a port, such as \"127.0.0.1:8080\""
        ))),
    }
}

/// `[schedule]` in `rasd.toml`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ScheduleSettings {
    /// When the daily digest is written, as a cron line with seconds
    /// (`sec min hour day month weekday`), in the configured time zone.
    #[serde(default = "default_digest_cron", deserialize_with = "de_cron")]
    pub digest: String,
    /// How often a source is polled when it does not say (1m to 30d).
    #[serde(default = "default_interval", deserialize_with = "de_poll_interval")]
    pub default_interval: Interval,
    /// Sources that publish often are polled more often, but never more often than this
    /// (1m to 30d).
    #[serde(
        default = "default_min_interval",
        deserialize_with = "de_poll_interval"
    )]
    pub min_interval: Interval,
    /// Sources that publish rarely are polled less often, but at least this often (1m to
    /// 30d).
    #[serde(
        default = "default_max_interval",
        deserialize_with = "de_poll_interval"
    )]
    pub max_interval: Interval,
}

impl Default for ScheduleSettings {
    fn default() -> Self {
        ScheduleSettings {
            digest: default_digest_cron(),
            default_interval: default_interval(),
            min_interval: default_min_interval(),
            max_interval: default_max_interval(),
        }
    }
}

fn default_digest_cron() -> String {
    "0 0 7 * * *".to_string()
}

fn default_interval() -> Interval {
    Interval::from_secs(15 * 60)
}

fn default_min_interval() -> Interval {
    Interval::from_secs(5 * 60)
}

fn default_max_interval() -> Interval {
    Interval::from_secs(6 * 3600)
}

fn de_cron<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    let s = String::deserialize(d)?;
    let fields: Vec<&str> = s.split_whitespace().collect();
    let ok = fields.len() == 6
        && fields.iter().all(|f| {
            f.chars()
                .all(|c| c.is_ascii_alphanumeric() || ",-*/?".contains(c))
        });
    if ok {
        Ok(s)
    } else {
        Err(serde::de::Error::custom(format!(
            "invalid schedule {s:?}: write six cron fields (second minute hour day month weekday), \
             such as \"0 0 7 * * *\" for 07:00 every day"
        )))
    }
}

/// `[fetch]` in `rasd.toml`: how Rasd behaves towards the sites it reads.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct FetchSettings {
    /// The User-Agent sent with every request; the contact is appended. One line of
    /// printable ASCII (it is an HTTP header), at most 256 characters.
    #[serde(default = "default_user_agent", deserialize_with = "de_header_value")]
    pub user_agent: String,
    /// How site owners can reach the operator (an e-mail address or URL); sent in the
    /// User-Agent header, so the same rules apply.
    #[serde(default = "default_contact", deserialize_with = "de_header_value")]
    pub contact: String,
    /// Give up on a request after this long (1s to 10m).
    #[serde(default = "default_timeout", deserialize_with = "de_request_timeout")]
    pub timeout: Interval,
    /// Refuse response bodies larger than this many bytes (1 KiB to 1 GiB).
    #[serde(
        default = "default_max_body",
        deserialize_with = "de_number_in::<_, u64, 1024, 1_073_741_824>"
    )]
    pub max_body_bytes: u64,
    /// Follow at most this many redirects (0 to 20).
    #[serde(
        default = "default_max_redirects",
        deserialize_with = "de_number_in::<_, u32, 0, 20>"
    )]
    pub max_redirects: u32,
    /// How many sources are fetched at once (1 to 64).
    #[serde(
        default = "default_concurrency",
        deserialize_with = "de_number_in::<_, u32, 1, 64>"
    )]
    pub concurrency: u32,
    /// Give up connecting after this long (1s to 10m, and at most `timeout`).
    #[serde(
        default = "default_connect_timeout",
        deserialize_with = "de_request_timeout"
    )]
    pub connect_timeout: Interval,
    /// At most this many requests to one host at the same time (1 to 16).
    #[serde(
        default = "default_per_host_concurrency",
        deserialize_with = "de_number_in::<_, u32, 1, 16>"
    )]
    pub per_host_concurrency: u32,
    /// At least this long between two requests to one host (a site's robots.txt
    /// `Crawl-delay` can make it longer); at most 10m.
    #[serde(
        default = "default_per_host_delay",
        deserialize_with = "de_interval_in::<_, 1, 600>"
    )]
    pub per_host_delay: Interval,
    /// Honour robots.txt (keep this on for sites you do not run).
    #[serde(default = "default_true")]
    pub respect_robots: bool,
    /// A failing source waits longer after each failure, up to this long (1m to 30d).
    #[serde(default = "default_max_backoff", deserialize_with = "de_poll_interval")]
    pub max_backoff: Interval,
    /// An HTTP proxy for requests to public addresses, such as `"http://proxy.example.jo:3128"`
    /// (`http://` or `https://`). Without it no proxy is used: the `HTTP_PROXY`,
    /// `HTTPS_PROXY` and `ALL_PROXY` variables of the environment are ignored. Sources on
    /// loopback or private addresses (`allow_private`) never go through it.
    #[serde(default, deserialize_with = "de_opt_proxy")]
    pub proxy: Option<String>,
    /// At most this many entries of one feed are read per poll, the newest first (a source's
    /// `max_entries_per_poll` overrides it). At least 1.
    #[serde(default = "default_max_entries", deserialize_with = "de_max_entries")]
    pub max_entries_per_poll: u32,
    /// One poll of one source may spend at most this long fetching article pages; the
    /// entries whose pages were not fetched in time are left for the next poll.
    #[serde(default = "default_source_time_budget")]
    pub source_time_budget: Interval,
}

impl Default for FetchSettings {
    fn default() -> Self {
        FetchSettings {
            user_agent: default_user_agent(),
            contact: default_contact(),
            timeout: default_timeout(),
            max_body_bytes: default_max_body(),
            max_redirects: default_max_redirects(),
            concurrency: default_concurrency(),
            connect_timeout: default_connect_timeout(),
            per_host_concurrency: default_per_host_concurrency(),
            per_host_delay: default_per_host_delay(),
            respect_robots: true,
            max_backoff: default_max_backoff(),
            proxy: None,
            max_entries_per_poll: default_max_entries(),
            source_time_budget: default_source_time_budget(),
        }
    }
}

fn default_user_agent() -> String {
    format!("Rasd/{}", env!("CARGO_PKG_VERSION"))
}
fn default_contact() -> String {
    "media-office@example.jo".to_string()
}
fn default_timeout() -> Interval {
    Interval::from_secs(30)
}
fn default_max_body() -> u64 {
    10 * 1024 * 1024
}
fn default_max_redirects() -> u32 {
    5
}
fn default_concurrency() -> u32 {
    4
}
fn default_connect_timeout() -> Interval {
    Interval::from_secs(10)
}
fn default_per_host_concurrency() -> u32 {
    2
}
fn default_per_host_delay() -> Interval {
    Interval::from_secs(1)
}
fn default_max_backoff() -> Interval {
    Interval::from_secs(6 * 3600)
}
fn default_max_entries() -> u32 {
    500
}
fn default_source_time_budget() -> Interval {
    Interval::from_secs(120)
}

fn de_max_entries<'de, D: Deserializer<'de>>(d: D) -> Result<u32, D::Error> {
    let n = u32::deserialize(d)?;
    if n == 0 {
        return Err(serde::de::Error::custom(
            "max_entries_per_poll must be 1 or more, such as 500",
        ));
    }
    Ok(n)
}

fn de_opt_max_entries<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u32>, D::Error> {
    de_max_entries(d).map(Some)
}

fn de_opt_proxy<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let s = String::deserialize(d)?;
    match url::Url::parse(s.trim()) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.host_str().is_some() => Ok(Some(s)),
        _ => Err(serde::de::Error::custom(format!(
            "invalid proxy {s:?}: write an http:// or https:// address with a port, \
             such as \"http://proxy.example.jo:3128\""
        ))),
    }
}

/// `[mail]` in `rasd.toml`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct MailSettings {
    /// Send mail at all.
    #[serde(default)]
    pub enabled: bool,
    /// SMTP server host.
    #[serde(default, deserialize_with = "de_one_line")]
    pub smtp_host: String,
    /// SMTP server port (1 to 65535).
    #[serde(
        default = "default_smtp_port",
        deserialize_with = "de_number_in::<_, u16, 1, 65535>"
    )]
    pub smtp_port: u16,
    /// Sender address (a mail header: one line).
    #[serde(default, deserialize_with = "de_one_line")]
    pub from: String,
    /// Digest recipients (mail headers: one line each).
    #[serde(default, deserialize_with = "de_one_line_list")]
    pub to: Vec<String>,
    /// How the connection is protected: `starttls` (the default), `tls` (port 465) or
    /// `none` (a relay on the same machine only).
    #[serde(default)]
    pub security: MailSecurity,
    /// The user name to log in with; empty: no log-in.
    #[serde(default, deserialize_with = "de_one_line")]
    pub username: String,
    /// The environment variable holding the password (never the config file).
    #[serde(default = "default_password_env", deserialize_with = "de_env_name")]
    pub password_env: String,
    /// How long one SMTP exchange may take (1s to 10m).
    #[serde(
        default = "default_mail_timeout",
        deserialize_with = "de_request_timeout"
    )]
    pub timeout: Interval,
}

/// `[mail] security`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MailSecurity {
    /// Plain connection upgraded with STARTTLS (required).
    #[default]
    Starttls,
    /// TLS from the first byte.
    Tls,
    /// No encryption (a local relay).
    None,
}

fn default_password_env() -> String {
    "RASD_SMTP_PASSWORD".to_string()
}

fn default_mail_timeout() -> Interval {
    Interval::from_secs(30)
}

fn default_smtp_port() -> u16 {
    25
}

impl Default for MailSettings {
    fn default() -> Self {
        MailSettings {
            enabled: false,
            smtp_host: String::new(),
            smtp_port: default_smtp_port(),
            from: String::new(),
            to: Vec::new(),
            security: MailSecurity::default(),
            username: String::new(),
            password_env: default_password_env(),
            timeout: default_mail_timeout(),
        }
    }
}

/// `[enrich]` in `rasd.toml`: the trained models that work beside the rules of
/// `topics.toml`. Relative paths start from the config folder ([`Config::resolve`]). A model
/// file that is absent is reported once and the rules work alone.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct EnrichSettings {
    /// The topic model written by `rasd train topics`.
    #[serde(default = "default_topic_model")]
    pub topic_model: PathBuf,
    /// The sentiment model written by `rasd train sentiment`.
    #[serde(default = "default_sentiment_model")]
    pub sentiment_model: PathBuf,
    /// The English sentiment model written by `rasd train sentiment` (English items are read
    /// by `sentiment_model` when this file is absent).
    #[serde(default = "default_sentiment_model_en")]
    pub sentiment_model_en: PathBuf,
    /// The topic model adds a topic the rules did not find when its probability reaches
    /// this (above 0, at most 1; 1 turns the model off). Rules always win: a topic they find is kept
    /// and a topic they veto is never added.
    #[serde(default = "default_model_threshold", deserialize_with = "de_threshold")]
    pub model_threshold: f32,
    /// A topic the rules find in a text longer than a post (more than 30 words) stays only
    /// when the topic model gives it at least this probability (0 up to below 1; 0 keeps
    /// every topic the rules find). The model, trained on real labelled news, confirms the
    /// rules' finds in articles, where a word out of its sense fires them most.
    #[serde(default = "default_model_confirm", deserialize_with = "de_confirm")]
    pub model_confirm: f32,
}

impl Default for EnrichSettings {
    fn default() -> Self {
        EnrichSettings {
            topic_model: default_topic_model(),
            sentiment_model: default_sentiment_model(),
            sentiment_model_en: default_sentiment_model_en(),
            model_threshold: default_model_threshold(),
            model_confirm: default_model_confirm(),
        }
    }
}

fn default_topic_model() -> PathBuf {
    PathBuf::from("models/topics.bin")
}

fn default_sentiment_model() -> PathBuf {
    PathBuf::from("models/sentiment.bin")
}

fn default_sentiment_model_en() -> PathBuf {
    PathBuf::from("models/sentiment-en.bin")
}

fn default_model_threshold() -> f32 {
    0.6
}

fn default_model_confirm() -> f32 {
    0.05
}

fn de_confirm<'de, D: Deserializer<'de>>(d: D) -> Result<f32, D::Error> {
    let v = f32::deserialize(d)?;
    if (0.0..1.0).contains(&v) {
        Ok(v)
    } else {
        Err(serde::de::Error::custom(format!(
            "model_confirm {v} is out of range: write a probability from 0 up to below 1 \
             (higher drops more of the rules' topics the model doubts; 0 keeps them all)"
        )))
    }
}

fn de_threshold<'de, D: Deserializer<'de>>(d: D) -> Result<f32, D::Error> {
    let v = f32::deserialize(d)?;
    if v > 0.0 && v <= 1.0 {
        Ok(v)
    } else {
        Err(serde::de::Error::custom(format!(
            "model_threshold {v} is out of range: write a probability above 0 and at most 1 \
             (higher adds fewer topics; 1 turns the topic model off)"
        )))
    }
}

/// The kind of a source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SourceKind {
    /// An RSS, Atom, RDF or JSON feed.
    Feed,
    /// A news site without a (usable) feed: article links are discovered on its section
    /// pages and in its sitemaps, then each article page is fetched and extracted.
    Site,
    /// A JSON export of a public comment form: an array of
    /// `{"reference", "submitted_at", "text", "governorate", "lang"}`.
    FormExport,
}

impl SourceKind {
    /// The name written in `sources.toml`.
    pub fn code(self) -> &'static str {
        match self {
            SourceKind::Feed => "feed",
            SourceKind::Site => "site",
            SourceKind::FormExport => "form_export",
        }
    }
}

/// When to fetch an entry's linked page for its full text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum FullText {
    /// Only when the entry carries just a short summary.
    #[default]
    Auto,
    /// For every entry.
    Always,
    /// Never: keep what the feed says.
    Never,
}

/// One `[[source]]` in `sources.toml`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SourceConfig {
    /// Unique short id (letters, digits, `-` and `_`), used in the store and the index.
    #[serde(deserialize_with = "de_id")]
    pub id: String,
    /// Display name.
    pub name: String,
    /// `feed`, `site` or `form_export`.
    pub kind: SourceKind,
    /// Where to fetch it: an `http://` or `https://` URL (`file://` only for a form export).
    #[serde(deserialize_with = "de_url")]
    pub url: String,
    /// The language the source publishes in, as a hint: `ar` or `en`.
    #[serde(default)]
    pub lang: Option<Lang>,
    /// How often to poll it (1m to 30d); `[schedule] default_interval` when absent.
    #[serde(default, deserialize_with = "de_opt_poll_interval")]
    pub interval: Option<Interval>,
    /// When to fetch the linked page for the full text (feeds only).
    #[serde(default)]
    pub fetch_full_text: FullText,
    /// Allow fetching from loopback and private addresses (only for local test servers).
    #[serde(default)]
    pub allow_private: bool,
    /// Poll it at all.
    #[serde(default = "default_true")]
    pub enabled: bool,
    /// Sites: more section pages to look for article links on, besides `url`.
    #[serde(default, deserialize_with = "de_urls")]
    pub sections: Vec<String>,
    /// Sites: a regular expression that article URLs match, such as `"/news/\\d+"`.
    #[serde(default, deserialize_with = "de_opt_regex")]
    pub link_pattern: Option<String>,
    /// Sites: a CSS selector for the article links on section pages, such as
    /// `"h3.title a"`.
    #[serde(default, deserialize_with = "de_opt_link_selector")]
    pub link_selector: Option<String>,
    /// Feeds and sites: a CSS selector for the element(s) holding the article text on the
    /// source's article pages, such as `"div.story-body"`. When it matches, the text of what
    /// it matches is the item's text; when it matches nothing (or under 25 characters) the
    /// generic extractor's text is used and a `site_rule_missed` problem says the rule is
    /// stale.
    #[serde(default, deserialize_with = "de_opt_article_selector")]
    pub article_selector: Option<String>,
    /// Sites: a sitemap or news sitemap to read article links from (http or https).
    #[serde(default, deserialize_with = "de_opt_web_url")]
    pub sitemap: Option<String>,
    /// Feeds: at most this many entries are read per poll, the newest first;
    /// `[fetch] max_entries_per_poll` when absent.
    #[serde(default, deserialize_with = "de_opt_max_entries")]
    pub max_entries_per_poll: Option<u32>,
    /// Who owns the outlet (a group, a wire service): sources of one owner count once among
    /// a story's independent outlets. The source's own id when absent.
    #[serde(default)]
    pub owner: Option<String>,
}

impl SourceConfig {
    /// The owner a story counts this source as: `owner`, else the source id.
    pub fn owner_or_id(&self) -> &str {
        self.owner.as_deref().unwrap_or(&self.id)
    }
}

fn default_true() -> bool {
    true
}

impl SourceConfig {
    /// A source with every optional key at its default, for code and tests that build one
    /// without a file.
    pub fn new(id: &str, name: &str, kind: SourceKind, url: &str) -> SourceConfig {
        SourceConfig {
            id: id.to_string(),
            name: name.to_string(),
            kind,
            url: url.to_string(),
            lang: None,
            interval: None,
            fetch_full_text: FullText::Auto,
            allow_private: false,
            enabled: true,
            sections: Vec::new(),
            link_pattern: None,
            link_selector: None,
            article_selector: None,
            sitemap: None,
            max_entries_per_poll: None,
            owner: None,
        }
    }
}

fn de_id<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    let s = String::deserialize(d)?;
    if valid_id(&s) {
        Ok(s)
    } else {
        Err(serde::de::Error::custom(format!(
            "invalid id {s:?}: use 1 to 64 ASCII letters, digits, '-' or '_', such as \"roya-news\""
        )))
    }
}

fn valid_id(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

fn de_url<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    let s = String::deserialize(d)?;
    match url::Url::parse(s.trim()) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.host_str().is_some() => Ok(s),
        Ok(u) if u.scheme() == "file" => Ok(s),
        _ => Err(serde::de::Error::custom(format!(
            "invalid URL {s:?}: write an absolute http:// or https:// address, \
             such as \"https://example.jo/rss.xml\""
        ))),
    }
}

/// One `[[topic]]` in `topics.toml`: a security-incident topic and the rules that find it.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct TopicConfig {
    /// Stable id, such as `traffic_accident`.
    #[serde(deserialize_with = "de_id")]
    pub id: String,
    /// Arabic display name.
    pub name_ar: String,
    /// English display name.
    pub name_en: String,
    /// What belongs here, for the people who edit the terms.
    #[serde(default)]
    pub description: String,
    /// Words and phrases (Arabic or English) that indicate the topic. Matching ignores
    /// diacritics, hamza forms, case and the clitics و ف ب ل ك ال.
    pub terms: Vec<String>,
    /// Words and phrases that veto the topic (a football "attack").
    #[serde(default)]
    pub exclude: Vec<String>,
    /// How many distinct terms must match; 1 when absent.
    #[serde(default = "default_min_matches")]
    pub min_matches: u32,
}

fn default_min_matches() -> u32 {
    1
}

/// `[police]` in `topics.toml`: what makes an item about the Public Security Directorate
/// and its branches (the `about_police` flag).
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PoliceConfig {
    /// Names of the directorate and its branches; one is enough.
    #[serde(default)]
    pub terms: Vec<String>,
    /// Generic words ("الشرطة", "police") that count only in an item placed in Jordan or
    /// that also names a term.
    #[serde(default)]
    pub local_terms: Vec<String>,
    /// Words and phrases that mean another country's forces ("الشرطة الإسرائيلية"); an
    /// occurrence is not counted.
    #[serde(default)]
    pub exclude: Vec<String>,
    /// Names of Jordan itself ("الأردن", "Jordanian"): with a place of `places.toml`, they
    /// place an item in Jordan.
    #[serde(default)]
    pub jordan: Vec<String>,
    /// Other countries and their cities and regions ("السعودية", "جدة", "Egypt"): an item
    /// that names one and nothing of Jordan is about another country, and the directorate's
    /// names in it (الأمن العام، الدفاع المدني: other Arab states have the same) are not ours.
    #[serde(default)]
    pub foreign: Vec<String>,
    /// `[police.stance]`: the cues of what an item about the police says of them.
    #[serde(default)]
    pub stance: PoliceStanceConfig,
}

/// `[police.stance]` in `topics.toml`: the words that give an item about the police its
/// stance toward them (`police_stance`). Only the sentences that name the police (and the
/// one after each) are read; entries are matched as topic terms are (diacritics, hamza forms,
/// clitics and English plurals ignored; a phrase stays in one clause).
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PoliceStanceConfig {
    /// Thanks, praise, approval ("يعطيهم العافية", "ما قصروا", "نشامى", "thank").
    #[serde(default)]
    pub approving: Vec<String>,
    /// Complaint, criticism of conduct ("تقصير", "ضلت واقفة", "تعسف", "brutality").
    #[serde(default)]
    pub critical: Vec<String>,
    /// Words that turn the cue right after them around ("ما", "لا يوجد أي", "not"): "ما
    /// قصروا" is praise, "ما ساعدونا" a complaint. A cue that begins with one is not turned.
    #[serde(default)]
    pub negations: Vec<String>,
    /// Words that introduce what a suspect is charged with ("بتهمة", "charged with"): a
    /// critical cue after one in the same clause is the suspect's act, not the police's.
    #[serde(default)]
    pub charges: Vec<String>,
}

/// The kind of a place.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PlaceKind {
    /// One of Jordan's twelve governorates.
    Governorate,
    /// A city or town.
    City,
    /// A district, neighbourhood, camp or landmark.
    District,
}

/// One `[[place]]` in `places.toml`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PlaceConfig {
    /// Stable id, such as `irbid` or `ramtha`.
    #[serde(deserialize_with = "de_id")]
    pub id: String,
    /// Governorate, city or district.
    pub kind: PlaceKind,
    /// The id of the governorate it lies in (a governorate names itself).
    pub governorate: String,
    /// Arabic name.
    pub name_ar: String,
    /// English name.
    pub name_en: String,
    /// Other spellings, in any language.
    #[serde(default)]
    pub aliases: Vec<String>,
}

/// One `[[rule]]` in `alerts.toml`: when leadership is alerted. An item counts for a rule
/// when it has one of `topics` (or the rule names none), one of `places` (or none named)
/// and matches `query` (or there is none); see `docs/alerts.md`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct AlertRule {
    /// Stable id.
    #[serde(deserialize_with = "de_id")]
    pub id: String,
    /// What the alert is called in messages.
    pub name: String,
    /// Topic ids that count (any of them); empty means any topic.
    #[serde(default)]
    pub topics: Vec<String>,
    /// Governorate ids that count (any of them); empty means anywhere.
    #[serde(default)]
    pub places: Vec<String>,
    /// Query text in the search language (`rasd search`); empty means no query.
    #[serde(default)]
    pub query: String,
    /// The name of a saved search (`rasd searches add`): an item counts only when it
    /// matches that search's query and filters too. Empty means none.
    #[serde(default)]
    pub saved_search: String,
    /// Open an alert when at least this many matching items arrive within `window` (for
    /// `per = "place"`: this many distinct stories).
    #[serde(default = "default_min_items")]
    pub min_items: u32,
    /// ... carried by at least this many independent owners (`owner` in `sources.toml`).
    #[serde(default = "default_min_items")]
    pub min_outlets: u32,
    /// The window items are counted in (1m to 30d).
    #[serde(default = "default_window", deserialize_with = "de_poll_interval")]
    pub window: Interval,
    /// How urgent: only `critical` is sent during quiet hours and past the daily cap.
    #[serde(default)]
    pub severity: Severity,
    /// What counts together: the items of one story (the default) or of one governorate.
    #[serde(default)]
    pub per: AlertPer,
    /// Only breaking stories (`[stories]` in `rasd.toml`) count.
    #[serde(default)]
    pub breaking: bool,
    /// Only items whose topic or governorate (among the rule's, when it names some) is
    /// trending now, in the last hour or the last day (`[trends]`), count.
    #[serde(default)]
    pub trending: bool,
    /// Where to send it: `email` and/or `webhook`.
    #[serde(default)]
    pub channels: Vec<AlertChannel>,
    /// Mail recipients; empty means `[alerts] recipients` in `rasd.toml`.
    #[serde(default, deserialize_with = "de_one_line_list")]
    pub recipients: Vec<String>,
    /// The webhook to post to, when `webhook` is a channel (http or https).
    #[serde(default, deserialize_with = "de_opt_web_url")]
    pub webhook_url: Option<String>,
    /// Who is told when nobody acknowledges in time; empty means `[alerts] escalate_to`.
    #[serde(default, deserialize_with = "de_one_line_list")]
    pub escalate_to: Vec<String>,
    /// How long an alert may stay unacknowledged before it escalates; unset means
    /// `[alerts] escalate_after`.
    #[serde(default, deserialize_with = "de_opt_poll_interval")]
    pub escalate_after: Option<Interval>,
}

/// How urgent an alert is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Low,
    #[default]
    High,
    Critical,
}

impl Severity {
    /// The name written in `alerts.toml`.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }

    /// [`Severity::as_str`] read back.
    pub fn parse(s: &str) -> Option<Severity> {
        match s {
            "low" => Some(Severity::Low),
            "high" => Some(Severity::High),
            "critical" => Some(Severity::Critical),
            _ => None,
        }
    }
}

/// What an alert rule counts together.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertPer {
    /// The items of one story: one alert per story.
    #[default]
    Story,
    /// The stories of one governorate: one alert per governorate per window (waves).
    Place,
}

/// Where an alert goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertChannel {
    /// Mail to the rule's `recipients` (or `[alerts] recipients`).
    Email,
    /// POST signed JSON to `webhook_url`.
    Webhook,
}

impl AlertChannel {
    /// The name written in `alerts.toml`.
    pub fn as_str(self) -> &'static str {
        match self {
            AlertChannel::Email => "email",
            AlertChannel::Webhook => "webhook",
        }
    }
}

fn default_min_items() -> u32 {
    1
}
fn default_window() -> Interval {
    Interval::from_secs(3600)
}

/// An `http://` or `https://` URL (no `file://`: sitemaps and webhooks are on the web).
fn de_opt_web_url<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let s = String::deserialize(d)?;
    match url::Url::parse(s.trim()) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.host_str().is_some() => Ok(Some(s)),
        _ => Err(serde::de::Error::custom(format!(
            "invalid URL {s:?}: write an absolute http:// or https:// address, \
             such as \"https://example.jo/sitemap.xml\""
        ))),
    }
}

fn de_urls<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    let v = Vec::<String>::deserialize(d)?;
    for s in &v {
        match url::Url::parse(s.trim()) {
            Ok(u) if matches!(u.scheme(), "http" | "https") && u.host_str().is_some() => {}
            _ => {
                return Err(serde::de::Error::custom(format!(
                    "invalid URL {s:?}: write an absolute http:// or https:// address, \
                     such as \"https://example.jo/local-news\""
                )));
            }
        }
    }
    Ok(v)
}

fn de_opt_regex<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let s = String::deserialize(d)?;
    match regex::Regex::new(&s) {
        Ok(_) => Ok(Some(s)),
        Err(e) => Err(serde::de::Error::custom(format!(
            "invalid link_pattern {s:?} ({}): write a regular expression that article URLs \
             match, such as \"/news/[0-9]+\"",
            e.to_string()
                .lines()
                .last()
                .unwrap_or("syntax error")
                .trim()
        ))),
    }
}

fn de_opt_link_selector<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    de_opt_css(
        d,
        "link_selector",
        "the article links on section pages",
        "h3.title a",
    )
}

fn de_opt_article_selector<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    de_opt_css(
        d,
        "article_selector",
        "the element(s) holding the article text on article pages",
        "div.story-body",
    )
}

/// A CSS selector, checked with the parser the fetcher uses, so a bad one is refused at
/// load (with its line) rather than at each poll.
fn de_opt_css<'de, D: Deserializer<'de>>(
    d: D,
    key: &str,
    names: &str,
    example: &str,
) -> Result<Option<String>, D::Error> {
    let s = String::deserialize(d)?;
    match css_selector_error(&s) {
        None => Ok(Some(s)),
        Some(why) => Err(serde::de::Error::custom(format!(
            "invalid {key} {s:?} ({why}): write a CSS selector for {names}, such as \"{example}\""
        ))),
    }
}

/// Why `s` is not a CSS selector the fetcher can use, in a few words; `None` when it is one.
pub fn css_selector_error(s: &str) -> Option<String> {
    if s.trim().is_empty() {
        return Some("it is empty".to_string());
    }
    match scraper::Selector::parse(s) {
        Ok(_) => None,
        // Its own message for these asks to report a bug, with a dump: say it in words.
        Err(scraper::error::SelectorErrorKind::UnexpectedSelectorParseError(kind)) => {
            let kind = format!("{kind:?}");
            let name = kind.split(['(', ' ', '{']).next().unwrap_or_default();
            Some(match name {
                "ClassNeedsIdent" => "a class name must follow each '.'".to_string(),
                "DanglingCombinator" => "'>', '+' or '~' with nothing after it".to_string(),
                "EmptySelector" => "an empty part (check the commas)".to_string(),
                "UnsupportedPseudoClassOrElement" => {
                    "a pseudo-class or pseudo-element it does not support".to_string()
                }
                _ => {
                    // `BadValueInAttr` → "bad value in attr".
                    let mut words = String::new();
                    for c in name.chars() {
                        if c.is_ascii_uppercase() && !words.is_empty() {
                            words.push(' ');
                        }
                        words.push(c.to_ascii_lowercase());
                    }
                    if words.is_empty() {
                        "not a selector".to_string()
                    } else {
                        format!("not a selector: {words}")
                    }
                }
            })
        }
        Err(e) => Some(e.to_string()),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SourcesFile {
    #[serde(default)]
    source: Vec<Spanned<SourceConfig>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TopicsFile {
    #[serde(default)]
    topic: Vec<Spanned<TopicConfig>>,
    #[serde(default)]
    police: Option<PoliceConfig>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PlacesFile {
    #[serde(default)]
    place: Vec<Spanned<PlaceConfig>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AlertsFile {
    #[serde(default)]
    rule: Vec<Spanned<AlertRule>>,
}

/// The file names of a config folder.
pub const FILES: [&str; 5] = [
    "rasd.toml",
    "sources.toml",
    "topics.toml",
    "places.toml",
    "alerts.toml",
];

/// Collects problems while a folder is loaded.
struct Problems(Vec<ConfigError>);

impl Problems {
    fn push(&mut self, file: &Path, text: &str, span: Option<Range<usize>>, message: String) {
        let line = span.map(|s| line_of(text, s.start));
        self.0.push(ConfigError {
            file: file.to_path_buf(),
            line,
            message,
        });
    }
}

fn line_of(text: &str, offset: usize) -> usize {
    let offset = offset.min(text.len());
    text.as_bytes()[..offset]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

/// Parses one file and reports every problem in it, each with its line.
///
/// serde stops at the first error, so after each one the entry it points at (a key, or an
/// array element such as one `[[source]]`) is taken out of the parsed document and the rest
/// is read again: one bad key cannot hide another, nor one bad source the next. Returns
/// what could be read without the bad entries (`None` when nothing could); the caller knows
/// from `problems` whether anything was left out. A TOML syntax error leaves the document
/// unreliable: the syntax errors (the first of each line) are all that is reported for that
/// file.
fn parse<T: DeserializeOwned>(file: &Path, text: &str, problems: &mut Problems) -> Option<T> {
    let (root, syntax) = DeTable::parse_recoverable(text);
    if !syntax.is_empty() {
        let mut lines = HashSet::new();
        for e in syntax {
            if lines.insert(e.span().map(|s| line_of(text, s.start))) {
                problems.push(
                    file,
                    text,
                    e.span(),
                    format!(
                        "{}: this is not valid TOML; write key = value, with text in \
                         \"quotes\" and lists in [brackets]",
                        e.message().trim()
                    ),
                );
            }
        }
        return None;
    }
    let span = root.span();
    let mut doc = Spanned::new(span, DeValue::Table(root.into_inner()));
    // (start of the table's span, key) of every key taken out, so the "missing field"
    // that follows from taking out a required key is not reported a second time.
    let mut taken: Vec<(usize, String)> = Vec::new();
    loop {
        let e = match T::deserialize(ValueDeserializer::from(doc.clone())) {
            Ok(v) => return Some(v),
            Err(e) => e,
        };
        let at = e.span().map(|s| s.start);
        let path = at.map(|pos| path_to(&doc, pos)).unwrap_or_default();
        let message = e.message().trim();
        let follows = missing_key(message)
            .is_some_and(|key| at.is_some_and(|pos| taken.contains(&(pos, key.to_string()))));
        if !follows {
            problems.push(file, text, e.span(), describe(&doc, &path, message));
        }
        match take(&mut doc, &path) {
            Some(Some(t)) => taken.push(t),
            Some(None) => {}
            None => return None,
        }
    }
}

/// One step from a document's root towards a value.
#[derive(Debug, Clone)]
enum Step {
    /// A key of a table.
    Key(String),
    /// An element of an array (one `[[source]]`).
    Index(usize),
}

/// The path to the deepest key or array element whose key or value holds byte `pos`.
fn path_to(value: &Spanned<DeValue<'_>>, pos: usize) -> Vec<Step> {
    let mut best = Vec::new();
    let mut consider = |step: Step, here: bool, child: &Spanned<DeValue<'_>>| {
        let below = path_to(child, pos);
        if here || !below.is_empty() {
            let mut path = vec![step];
            path.extend(below);
            if path.len() > best.len() {
                best = path;
            }
        }
    };
    match value.get_ref() {
        DeValue::Table(table) => {
            for (key, child) in table.iter() {
                let here = key.span().contains(&pos) || child.span().contains(&pos);
                consider(Step::Key(key.get_ref().to_string()), here, child);
            }
        }
        DeValue::Array(array) => {
            for (i, child) in array.iter().enumerate() {
                consider(Step::Index(i), child.span().contains(&pos), child);
            }
        }
        _ => {}
    }
    best
}

/// Takes the entry at `path` out of `doc`: `None` when the path is empty (nothing to take
/// out: the problem is the document itself); else the start of the parent table's span and
/// the key, when a key was taken out.
fn take(doc: &mut Spanned<DeValue<'_>>, path: &[Step]) -> Option<Option<(usize, String)>> {
    let (last, parents) = path.split_last()?;
    let mut parent = doc;
    for step in parents {
        parent = match (step, parent.get_mut()) {
            (Step::Key(k), DeValue::Table(t)) => t.get_mut(k.as_str())?,
            (Step::Index(i), DeValue::Array(a)) => a.get_mut(*i)?,
            _ => return None,
        };
    }
    let start = parent.span().start;
    match (last, parent.get_mut()) {
        (Step::Key(k), DeValue::Table(t)) => {
            t.remove(k.as_str())?;
            Some(Some((start, k.clone())))
        }
        (Step::Index(i), DeValue::Array(a)) => {
            let mut rest = DeArray::new();
            for (j, v) in a.iter().enumerate() {
                if j != *i {
                    rest.push(v.clone());
                }
            }
            *a = rest;
            Some(None)
        }
        _ => None,
    }
}

/// `message` with where it is (`[fetch] timeout`, `source "petra" url`) and a hint.
fn describe(doc: &Spanned<DeValue<'_>>, path: &[Step], message: &str) -> String {
    // An unknown key is named in the message: say where it is, not which it is.
    let path = if message.starts_with("unknown field") {
        &path[..path.len().saturating_sub(1)]
    } else {
        path
    };
    let mut parts: Vec<String> = Vec::new();
    let mut node = Some(doc);
    for (i, step) in path.iter().enumerate() {
        let child = node.and_then(|n| match (step, n.get_ref()) {
            (Step::Key(k), DeValue::Table(t)) => t.get(k.as_str()),
            (Step::Index(j), DeValue::Array(a)) => a.get(*j),
            _ => None,
        });
        match step {
            Step::Key(k) => {
                let is_table = child.is_some_and(|c| c.get_ref().is_table());
                if is_table && i + 1 < path.len() {
                    parts.push(format!("[{k}]"));
                } else {
                    parts.push(k.clone());
                }
            }
            Step::Index(j) => {
                let id = child
                    .and_then(|c| c.get_ref().as_table())
                    .and_then(|t| t.get("id"))
                    .and_then(|v| v.get_ref().as_str());
                let last = parts.pop().unwrap_or_default();
                parts.push(match id {
                    Some(id) => format!("{last} {id:?}"),
                    None => format!("{last} #{}", j + 1),
                });
            }
        }
        node = child;
    }
    let message = explain(message);
    if parts.is_empty() {
        message
    } else {
        format!("{}: {message}", parts.join(" "))
    }
}

/// The key of a "missing field `key`" message.
fn missing_key(message: &str) -> Option<&str> {
    message
        .strip_prefix("missing field `")?
        .split_once('`')
        .map(|(key, _)| key)
}

/// Adds what to write to serde's messages: a "did you mean" for an unknown key, the key to
/// add for a missing one, the form expected for a value of the wrong type.
fn explain(message: &str) -> String {
    let message = message.trim().to_string();
    if let Some(key) = missing_key(&message) {
        return format!("{message}: add {key} = ... to this table");
    }
    if message.starts_with("unknown variant") {
        return format!("{message}: write one of those, in quotes");
    }
    if message.starts_with("invalid type") || message.starts_with("invalid value") {
        let form = match message.rsplit_once(", expected ").map(|(_, e)| e) {
            Some("a string") => "text in \"quotes\"".to_string(),
            Some("a boolean") => "true or false".to_string(),
            Some("u8" | "u16" | "u32" | "u64") => "a whole number without quotes".to_string(),
            Some("f32" | "f64") => "a number without quotes".to_string(),
            Some("a sequence") => "a list in [brackets]".to_string(),
            Some(other) => other.to_string(),
            None => return message,
        };
        return format!("{message}: write {form}");
    }
    let Some(rest) = message.strip_prefix("unknown field `") else {
        return message;
    };
    let Some((field, expected)) = rest.split_once('`') else {
        return message;
    };
    let candidates: Vec<&str> = expected.split('`').skip(1).step_by(2).collect();
    let best = candidates
        .iter()
        .map(|c| (edit_distance(field, c), *c))
        .min()
        .filter(|(d, c)| *d <= 2.max(c.len() / 3));
    match best {
        Some((_, c)) => format!("{message}; did you mean `{c}`?"),
        None if candidates.is_empty() => format!("{message}; remove it"),
        None => format!("{message}; remove it or use one of the expected keys"),
    }
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur.push((prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

/// Reports ids that appear twice, pointing at the second one and naming the first.
fn check_unique<T>(
    what: &str,
    items: &[Spanned<T>],
    id: impl Fn(&T) -> &str,
    file: &Path,
    text: &str,
    problems: &mut Problems,
) {
    let mut seen: HashMap<&str, usize> = HashMap::new();
    for it in items {
        let key = id(it.get_ref());
        let line = line_of(text, it.span().start);
        if let Some(first) = seen.get(key) {
            problems.push(
                file,
                text,
                Some(it.span()),
                format!(
                    "duplicate {what} id {key:?} (first defined at line {first}): give each {what} a unique id"
                ),
            );
        } else {
            seen.insert(key, line);
        }
    }
}

impl Config {
    /// Reads and validates the five files of `dir`. Every problem in every file is reported
    /// at once, in [`Error::Config`].
    pub fn load(dir: &Path) -> Result<Config> {
        if !dir.is_dir() {
            return Err(Error::Config(vec![ConfigError {
                file: dir.to_path_buf(),
                line: None,
                message: "no such config folder: pass --config with a folder holding rasd.toml, \
                          sources.toml, topics.toml, places.toml and alerts.toml"
                    .to_string(),
            }]));
        }
        let mut texts = Vec::new();
        let mut problems = Problems(Vec::new());
        for name in FILES {
            let path = dir.join(name);
            match std::fs::read_to_string(&path) {
                Ok(t) => texts.push(t),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    problems.0.push(ConfigError {
                        file: path,
                        line: None,
                        message: "file missing: copy it from the config/ folder shipped with Rasd"
                            .to_string(),
                    });
                    texts.push(String::new());
                }
                Err(source) => return Err(Error::Io { path, source }),
            }
        }
        // A missing file is one problem; the others are still checked.
        Config::check_texts(
            dir,
            [&texts[0], &texts[1], &texts[2], &texts[3], &texts[4]],
            problems,
        )
    }

    /// Validates the five files' texts, given in the order of [`FILES`]; `dir` names them in
    /// messages.
    pub fn from_texts(dir: &Path, texts: [&str; 5]) -> Result<Config> {
        Config::check_texts(dir, texts, Problems(Vec::new()))
    }

    /// [`Config::from_texts`], adding to problems already found.
    fn check_texts(dir: &Path, texts: [&str; 5], mut p: Problems) -> Result<Config> {
        let [rasd, sources, topics, places, alerts] = texts;
        let path = |i: usize| dir.join(FILES[i]);

        // What parsed of each file (bad entries taken out), and whether it parsed whole:
        // checks within a file run on what parsed; checks that another entry or file could
        // spoil (defaults standing in for bad keys, ids taken out) only on whole files.
        let before = p.0.len();
        let settings = parse::<Settings>(&path(0), rasd, &mut p);
        let settings_whole = p.0.len() == before;
        let sources_file = parse::<SourcesFile>(&path(1), sources, &mut p);
        let before = p.0.len();
        let topics_file = parse::<TopicsFile>(&path(2), topics, &mut p);
        let topics_whole = p.0.len() == before;
        let before = p.0.len();
        let places_file = parse::<PlacesFile>(&path(3), places, &mut p);
        let places_whole = p.0.len() == before;
        let alerts_file = parse::<AlertsFile>(&path(4), alerts, &mut p);

        if let Some(st) = settings.as_ref().filter(|_| settings_whole)
            && st.schedule.min_interval > st.schedule.max_interval
        {
            p.push(
                &path(0),
                rasd,
                key_span(rasd, &["schedule", "min_interval"]),
                format!(
                    "[schedule] min_interval ({}) is longer than max_interval ({}): make min_interval the shorter one",
                    st.schedule.min_interval, st.schedule.max_interval
                ),
            );
        }
        if let Some(st) = settings.as_ref().filter(|_| settings_whole) {
            check_settings(st, &path(0), rasd, &mut p);
        }
        if let Some(f) = &sources_file {
            check_unique("source", &f.source, |s| &s.id, &path(1), sources, &mut p);
            for s in &f.source {
                let src = s.get_ref();
                if src.kind != SourceKind::FormExport
                    && !src.url.trim().to_ascii_lowercase().starts_with("http")
                {
                    p.push(
                        &path(1),
                        sources,
                        entry_key_span(sources, "source", s.span(), "url").or(Some(s.span())),
                        format!(
                            "source {:?}: a {} source is fetched over the web: write an \
                             http:// or https:// url, such as \"https://example.jo/rss.xml\" \
                             (file:// is only for kind = \"form_export\")",
                            src.id,
                            src.kind.code()
                        ),
                    );
                }
                let site_only = !src.sections.is_empty()
                    || src.link_pattern.is_some()
                    || src.link_selector.is_some()
                    || src.sitemap.is_some();
                if src.kind != SourceKind::Site && site_only {
                    p.push(
                        &path(1),
                        sources,
                        Some(s.span()),
                        format!(
                            "source {:?}: sections, link_pattern, link_selector and sitemap are for \
                             kind = \"site\"; remove them or change the kind",
                            src.id
                        ),
                    );
                }
                if src.kind == SourceKind::FormExport && src.article_selector.is_some() {
                    p.push(
                        &path(1),
                        sources,
                        entry_key_span(sources, "source", s.span(), "article_selector")
                            .or(Some(s.span())),
                        format!(
                            "source {:?}: article_selector is for the article pages of kind = \
                             \"feed\" and kind = \"site\"; a form export has none: remove it",
                            src.id
                        ),
                    );
                }
                if src.name.trim().is_empty() {
                    p.push(
                        &path(1),
                        sources,
                        Some(s.span()),
                        format!(
                            "source {:?} has an empty name: write its display name",
                            src.id
                        ),
                    );
                }
            }
        }
        if let Some(f) = &topics_file {
            check_unique("topic", &f.topic, |t| &t.id, &path(2), topics, &mut p);
            for t in &f.topic {
                let topic = t.get_ref();
                if topic.terms.iter().all(|s| s.trim().is_empty()) {
                    p.push(
                        &path(2),
                        topics,
                        Some(t.span()),
                        format!(
                            "topic {:?} has no terms: list the words that indicate it, such as terms = [\"...\"]",
                            topic.id
                        ),
                    );
                }
                if topic.min_matches == 0 {
                    p.push(
                        &path(2),
                        topics,
                        Some(t.span()),
                        format!("topic {:?}: min_matches must be 1 or more", topic.id),
                    );
                }
            }
        }
        if let Some(stance) = topics_file
            .as_ref()
            .and_then(|f| f.police.as_ref())
            .map(|p| &p.stance)
        {
            check_police_stance(stance, &path(2), topics, &mut p);
        }
        let mut governorates: HashSet<String> = HashSet::new();
        if let Some(f) = &places_file {
            check_unique("place", &f.place, |pl| &pl.id, &path(3), places, &mut p);
            for pl in &f.place {
                if pl.get_ref().kind == PlaceKind::Governorate {
                    governorates.insert(pl.get_ref().id.clone());
                }
            }
            for pl in &f.place {
                let place = pl.get_ref();
                if places_whole && !governorates.contains(&place.governorate) {
                    p.push(
                        &path(3),
                        places,
                        Some(pl.span()),
                        format!(
                            "place {:?} names governorate {:?}, which is not a place of kind \"governorate\": \
                             write one of {}",
                            place.id,
                            place.governorate,
                            sorted_list(&governorates)
                        ),
                    );
                }
                if place.kind == PlaceKind::Governorate && place.governorate != place.id {
                    p.push(
                        &path(3),
                        places,
                        Some(pl.span()),
                        format!(
                            "governorate {:?} must name itself: write governorate = {:?}",
                            place.id, place.id
                        ),
                    );
                }
            }
        }
        if let Some(f) = &alerts_file {
            check_unique("rule", &f.rule, |r| &r.id, &path(4), alerts, &mut p);
            let topic_ids: HashSet<String> = topics_file
                .as_ref()
                .map(|t| t.topic.iter().map(|t| t.get_ref().id.clone()).collect())
                .unwrap_or_default();
            for r in &f.rule {
                let rule = r.get_ref();
                if topics_whole {
                    for t in &rule.topics {
                        if !topic_ids.contains(t) {
                            p.push(
                                &path(4),
                                alerts,
                                Some(r.span()),
                                format!(
                                    "rule {:?} names topic {t:?}, which topics.toml does not define: write one of {}",
                                    rule.id,
                                    sorted_list(&topic_ids)
                                ),
                            );
                        }
                    }
                }
                if places_whole {
                    for g in &rule.places {
                        if !governorates.contains(g) {
                            p.push(
                                &path(4),
                                alerts,
                                Some(r.span()),
                                format!(
                                    "rule {:?} names place {g:?}, which is not a governorate in places.toml: write one of {}",
                                    rule.id,
                                    sorted_list(&governorates)
                                ),
                            );
                        }
                    }
                }
                if rule.channels.contains(&AlertChannel::Webhook) && rule.webhook_url.is_none() {
                    p.push(
                        &path(4),
                        alerts,
                        Some(r.span()),
                        format!(
                            "rule {:?} sends to a webhook but has no webhook_url: add webhook_url = \"https://...\"",
                            rule.id
                        ),
                    );
                }
                if rule.topics.is_empty()
                    && rule.places.is_empty()
                    && rule.query.trim().is_empty()
                    && rule.saved_search.trim().is_empty()
                    && !rule.breaking
                    && !rule.trending
                {
                    p.push(
                        &path(4),
                        alerts,
                        Some(r.span()),
                        format!(
                            "rule {:?} would count every item: give it topics, places, a query, a saved_search, breaking = true or trending = true",
                            rule.id
                        ),
                    );
                }
                let recipients = settings
                    .as_ref()
                    .map(|s| s.alerts.recipients.len())
                    .unwrap_or(0);
                let mail_on = settings.as_ref().is_some_and(|s| s.mail.enabled);
                if mail_on
                    && rule.channels.contains(&AlertChannel::Email)
                    && rule.recipients.is_empty()
                    && recipients == 0
                {
                    p.push(
                        &path(4),
                        alerts,
                        Some(r.span()),
                        format!(
                            "rule {:?} sends e-mail but names no recipients: add recipients = [\"duty-officer@example.jo\"] (or [alerts] recipients in rasd.toml)",
                            rule.id
                        ),
                    );
                }
                if rule.min_outlets == 0 {
                    p.push(
                        &path(4),
                        alerts,
                        Some(r.span()),
                        format!("rule {:?}: min_outlets must be 1 or more", rule.id),
                    );
                }
                if rule.min_items == 0 {
                    p.push(
                        &path(4),
                        alerts,
                        Some(r.span()),
                        format!("rule {:?}: min_items must be 1 or more", rule.id),
                    );
                }
            }
        }

        if !p.0.is_empty() {
            // File by file in the folder's order, then line by line.
            let rank = |e: &ConfigError| {
                FILES
                    .iter()
                    .position(|f| e.file.file_name().is_some_and(|n| n == *f))
                    .unwrap_or(FILES.len())
            };
            p.0.sort_by_key(|e| (rank(e), e.line.unwrap_or(0)));
            return Err(Error::Config(p.0));
        }
        let unspan = |v: Vec<Spanned<_>>| v.into_iter().map(Spanned::into_inner).collect();
        Ok(Config {
            dir: dir.to_path_buf(),
            settings: settings.unwrap_or_default(),
            sources: sources_file.map(|f| unspan(f.source)).unwrap_or_default(),
            police: topics_file
                .as_ref()
                .and_then(|f| f.police.clone())
                .unwrap_or_default(),
            topics: topics_file
                .map(|f| f.topic.into_iter().map(Spanned::into_inner).collect())
                .unwrap_or_default(),
            places: places_file
                .map(|f| f.place.into_iter().map(Spanned::into_inner).collect())
                .unwrap_or_default(),
            alerts: alerts_file
                .map(|f| f.rule.into_iter().map(Spanned::into_inner).collect())
                .unwrap_or_default(),
        })
    }

    /// `path` as given when absolute, else taken from the config folder (model files).
    pub fn resolve(&self, path: &Path) -> PathBuf {
        if path.is_absolute() {
            path.to_path_buf()
        } else {
            self.dir.join(path)
        }
    }

    /// The topic with this id.
    pub fn topic(&self, id: &str) -> Option<&TopicConfig> {
        self.topics.iter().find(|t| t.id == id)
    }
}

/// Checks between keys of `rasd.toml` (each key's own bounds are checked while parsing).
fn check_settings(st: &Settings, file: &Path, text: &str, p: &mut Problems) {
    let fetch = &st.fetch;
    if fetch.connect_timeout > fetch.timeout {
        p.push(
            file,
            text,
            key_span(text, &["fetch", "connect_timeout"]),
            format!(
                "[fetch] connect_timeout (\"{}\") is longer than timeout (\"{}\"), which \
                 covers the whole request: make connect_timeout at most timeout",
                fetch.connect_timeout, fetch.timeout
            ),
        );
    }
    for period in &st.trends.period {
        if period.to < period.from {
            p.push(
                file,
                text,
                key_span(text, &["trends"]),
                format!(
                    "[[trends.period]] {:?} ends ({}) before it begins ({}): write to on or after from",
                    period.name, period.to, period.from
                ),
            );
        }
    }
    let mail = &st.mail;
    if mail.enabled {
        let mut missing = Vec::new();
        if mail.smtp_host.trim().is_empty() {
            missing.push("smtp_host = \"mail.example.jo\"");
        }
        if mail.from.trim().is_empty() {
            missing.push("from = \"rasd@example.jo\"");
        }
        if !missing.is_empty() {
            p.push(
                file,
                text,
                key_span(text, &["mail", "enabled"]),
                format!(
                    "[mail] is enabled but cannot send: add {} (or set enabled = false)",
                    missing.join(", ")
                ),
            );
        }
    }
}

/// Checks `[police.stance]`: an entry needs a word, a cue is approving or critical but not
/// both, and a table that lists cues lists both kinds.
fn check_police_stance(st: &PoliceStanceConfig, file: &Path, text: &str, p: &mut Problems) {
    let lists = [
        ("approving", &st.approving),
        ("critical", &st.critical),
        ("negations", &st.negations),
        ("charges", &st.charges),
    ];
    for (key, list) in lists {
        for entry in list {
            if crate::text::tokens(&crate::text::normalize_for_matching(entry))
                .next()
                .is_none()
            {
                p.push(
                    file,
                    text,
                    key_span(text, &["police", "stance", key]),
                    format!(
                        "[police.stance] {key}: {entry:?} has no words once diacritics and \
                         punctuation are removed: write a word or phrase, or delete it"
                    ),
                );
            }
        }
    }
    let key_of = |s: &str| {
        crate::text::tokens(&crate::text::normalize_for_matching(s))
            .collect::<Vec<_>>()
            .join(" ")
    };
    let critical: HashSet<String> = st.critical.iter().map(|s| key_of(s)).collect();
    for entry in &st.approving {
        if critical.contains(&key_of(entry)) {
            p.push(
                file,
                text,
                key_span(text, &["police", "stance", "critical"]),
                format!(
                    "[police.stance]: {entry:?} is both approving and critical: keep it in the \
                     list it belongs to"
                ),
            );
        }
    }
    let any = !st.approving.is_empty() || !st.critical.is_empty();
    for (key, list) in [("approving", &st.approving), ("critical", &st.critical)] {
        if any && list.is_empty() {
            p.push(
                file,
                text,
                key_span(text, &["police", "stance"]),
                format!(
                    "[police.stance] has no {key} cues: list them, such as {key} = [\"...\"], \
                     or every item about the police would lean one way"
                ),
            );
        }
    }
}

/// The span of `key` in the `[[list]]` entry whose span is `entry`.
fn entry_key_span(text: &str, list: &str, entry: Range<usize>, key: &str) -> Option<Range<usize>> {
    let root = DeTable::parse(text).ok()?;
    let entries = root.get_ref().get(list)?.get_ref().as_array()?;
    let table = entries
        .iter()
        .find(|e| e.span() == entry)?
        .get_ref()
        .as_table()?;
    table.get_key_value(key).map(|(k, _)| k.span())
}

/// The span of the key at `path` in `text` (for problems found after parsing).
fn key_span(text: &str, path: &[&str]) -> Option<Range<usize>> {
    let root = DeTable::parse(text).ok()?;
    let mut table = root.get_ref();
    let (last, parents) = path.split_last()?;
    for key in parents {
        table = table.get(*key)?.get_ref().as_table()?;
    }
    table.get_key_value(*last).map(|(k, _)| k.span())
}

fn sorted_list(set: &HashSet<String>) -> String {
    let mut v: Vec<&String> = set.iter().collect();
    v.sort();
    v.iter()
        .map(|s| format!("{s:?}"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOPICS: &str = r#"
[[topic]]
id = "theft"
name_ar = "سرقة"
name_en = "Theft"
terms = ["سرقة", "theft"]
"#;
    const PLACES: &str = r#"
[[place]]
id = "zarqa"
kind = "governorate"
governorate = "zarqa"
name_ar = "الزرقاء"
name_en = "Zarqa"

[[place]]
id = "russeifa"
kind = "city"
governorate = "zarqa"
name_ar = "الرصيفة"
name_en = "Russeifa"
"#;
    const SOURCES: &str = r#"
[[source]]
id = "one"
name = "One"
kind = "feed"
url = "https://example.jo/rss"
"#;

    fn load(rasd: &str, sources: &str, alerts: &str) -> Result<Config> {
        Config::from_texts(Path::new("cfg"), [rasd, sources, TOPICS, PLACES, alerts])
    }

    fn errors(r: Result<Config>) -> Vec<ConfigError> {
        match r {
            Err(Error::Config(e)) => e,
            other => panic!("expected config errors, got {other:?}"),
        }
    }

    #[test]
    fn a_valid_folder_loads() {
        let c = load("", SOURCES, "").unwrap();
        assert_eq!(c.sources.len(), 1);
        assert_eq!(
            c.settings.schedule.default_interval,
            Interval::from_secs(900)
        );
        assert_eq!(c.places.len(), 2);
    }

    #[test]
    fn police_stance_cues_load_and_mistakes_say_what_to_fix() {
        let load_topics = |extra: &str| {
            let topics = format!("{TOPICS}\n[police]\nterms = [\"الأمن العام\"]\n{extra}");
            Config::from_texts(Path::new("cfg"), ["", "", &topics, PLACES, ""])
        };
        let c = load_topics(
            "[police.stance]\napproving = [\"ما قصروا\", \"thank\"]\ncritical = [\"تقصير\"]\n\
             negations = [\"لا يوجد أي\"]\ncharges = [\"بتهمة\"]\n",
        )
        .unwrap();
        assert_eq!(c.police.stance.approving, ["ما قصروا", "thank"]);
        assert_eq!(c.police.stance.charges, ["بتهمة"]);
        // Absent: no cues, no problem.
        assert!(load_topics("").unwrap().police.stance.critical.is_empty());

        let e = errors(load_topics(
            "[police.stance]\napproving = [\"تقصيرٌ\", \"،\"]\ncritical = [\"تقصير\"]\n",
        ));
        assert_eq!(e.len(), 2, "{e:?}");
        assert!(e.iter().all(|e| e.file == Path::new("cfg/topics.toml")));
        assert!(e[0].message.contains("no words"), "{}", e[0].message);
        assert!(
            e[1].message.contains("both approving and critical"),
            "{}",
            e[1].message
        );
        let e = errors(load_topics("[police.stance]\napproving = [\"شكرا\"]\n"));
        assert!(
            e[0].message.contains("no critical cues"),
            "{}",
            e[0].message
        );
        let e = errors(load_topics("[police.stance]\napprove = [\"شكرا\"]\n"));
        assert!(e[0].message.contains("approve"), "{}", e[0].message);
    }

    #[test]
    fn unknown_key_names_file_line_and_suggests() {
        let text = "[[source]]\nid = \"one\"\nname = \"One\"\nkind = \"feed\"\nurl = \"https://e.jo/\"\nintervall = \"5m\"\n";
        let e = errors(load("", text, ""));
        assert_eq!(e.len(), 1);
        assert_eq!(e[0].file, Path::new("cfg/sources.toml"));
        assert_eq!(e[0].line, Some(6));
        assert!(
            e[0].message.contains("did you mean `interval`"),
            "{}",
            e[0].message
        );
    }

    #[test]
    fn bad_url_and_interval_are_reported_with_lines() {
        let text =
            "[[source]]\nid = \"one\"\nname = \"One\"\nkind = \"feed\"\nurl = \"example.jo/rss\"\n";
        let e = errors(load("", text, ""));
        assert_eq!(e[0].line, Some(5));
        assert!(
            e[0].message.contains("such as \"https://"),
            "{}",
            e[0].message
        );

        let e = errors(load(
            "[schedule]\ndefault_interval = \"5 minutes\"\n",
            SOURCES,
            "",
        ));
        assert_eq!(e[0].file, Path::new("cfg/rasd.toml"));
        assert_eq!(e[0].line, Some(2));
        assert!(e[0].message.contains("\"15m\""), "{}", e[0].message);
    }

    #[test]
    fn duplicate_ids_point_at_both() {
        let text = format!("{SOURCES}\n{SOURCES}");
        let e = errors(load("", &text, ""));
        assert_eq!(e.len(), 1);
        assert_eq!(e[0].line, Some(9));
        assert!(
            e[0].message.contains("first defined at line 2"),
            "{}",
            e[0].message
        );
    }

    #[test]
    fn alert_rules_must_name_known_topics_and_governorates() {
        let alerts =
            "[[rule]]\nid = \"r\"\nname = \"R\"\ntopics = [\"thieft\"]\nplaces = [\"russeifa\"]\n";
        let e = errors(load("", SOURCES, alerts));
        assert_eq!(e.len(), 2, "{e:?}");
        assert!(e[0].message.contains("\"theft\""));
        assert!(e[1].message.contains("\"zarqa\""));
    }

    #[test]
    fn problems_in_several_files_are_reported_together() {
        let e = errors(load("bogus = 1\n", "[[source]]\nid = \"bad id\"\n", ""));
        assert_eq!(e.len(), 2);
        let shown = Error::Config(e).to_string();
        assert!(shown.contains("cfg/rasd.toml:1:"), "{shown}");
        assert!(shown.contains("cfg/sources.toml:2:"), "{shown}");
    }

    #[test]
    fn site_sources_take_link_rules() {
        let text = "[[source]]\nid = \"site\"\nname = \"موقع\"\nkind = \"site\"\nurl = \"https://example.jo/\"\n\
                    sections = [\"https://example.jo/local\"]\nlink_pattern = \"/news/[0-9]+\"\nlink_selector = \"h3 a\"\n\
                    sitemap = \"https://example.jo/sitemap.xml\"\n";
        let c = load("", text, "").unwrap();
        assert_eq!(c.sources[0].kind, SourceKind::Site);
        assert_eq!(c.sources[0].link_pattern.as_deref(), Some("/news/[0-9]+"));

        let bad = "[[source]]\nid = \"site\"\nname = \"S\"\nkind = \"site\"\nurl = \"https://example.jo/\"\nlink_pattern = \"/news/(\"\n";
        let e = errors(load("", bad, ""));
        assert_eq!(e[0].line, Some(6), "{e:?}");
        assert!(e[0].message.contains("regular expression"), "{e:?}");

        let feed = "[[source]]\nid = \"f\"\nname = \"F\"\nkind = \"feed\"\nurl = \"https://example.jo/rss\"\nlink_selector = \"a\"\n";
        let e = errors(load("", feed, ""));
        assert!(e[0].message.contains("kind = \"site\""), "{e:?}");
    }

    #[test]
    fn article_selector_for_feeds_and_sites() {
        let text = "[[source]]\nid = \"f\"\nname = \"F\"\nkind = \"feed\"\nurl = \"https://example.jo/rss\"\n\
                    article_selector = \"div.story-body, article .content > p\"\n\n\
                    [[source]]\nid = \"s\"\nname = \"S\"\nkind = \"site\"\nurl = \"https://example.jo/\"\n\
                    article_selector = \"#main-text\"\n";
        let c = load("", text, "").unwrap();
        assert_eq!(
            c.sources[0].article_selector.as_deref(),
            Some("div.story-body, article .content > p")
        );
        assert_eq!(c.sources[1].article_selector.as_deref(), Some("#main-text"));
    }

    #[test]
    fn bad_article_selector_names_the_source_the_key_and_a_fix() {
        for bad in ["div..story", "div >", "p:nth-child(", "", "   "] {
            let text = format!(
                "[[source]]\nid = \"alghad\"\nname = \"الغد\"\nkind = \"feed\"\nurl = \"https://alghad.com/feed/\"\n\
                 article_selector = {bad:?}\n"
            );
            let e = errors(load("", &text, ""));
            assert_eq!(e.len(), 1, "{bad:?}: {e:?}");
            assert_eq!(e[0].line, Some(6), "{e:?}");
            let m = &e[0].message;
            assert!(
                m.starts_with("source \"alghad\" article_selector: invalid article_selector"),
                "{m}"
            );
            assert!(m.contains("write a CSS selector"), "{m}");
            assert!(m.contains("\"div.story-body\""), "{m}");
            assert!(!m.contains("report this"), "no parser internals: {m}");
            assert_eq!(m.lines().count(), 1, "{m}");
        }
        // A bad link_selector is refused the same way, for its own key.
        let site = "[[source]]\nid = \"site\"\nname = \"S\"\nkind = \"site\"\nurl = \"https://example.jo/\"\n\
                    link_selector = \"h3..x\"\n";
        let e = errors(load("", site, ""));
        assert_eq!(e[0].line, Some(6), "{e:?}");
        assert!(
            e[0].message
                .starts_with("source \"site\" link_selector: invalid link_selector"),
            "{e:?}"
        );
        // A form export has no article pages.
        let form = "[[source]]\nid = \"form\"\nname = \"F\"\nkind = \"form_export\"\nurl = \"file:///tmp/x.json\"\n\
                    article_selector = \"div\"\n";
        let e = errors(load("", form, ""));
        assert_eq!(e[0].line, Some(6), "{e:?}");
        assert!(e[0].message.contains("remove it"), "{e:?}");
    }

    #[test]
    fn css_selector_errors_are_short() {
        assert_eq!(css_selector_error("div.story-body p"), None);
        assert_eq!(css_selector_error("[itemprop=articleBody]"), None);
        assert_eq!(
            css_selector_error("div..story").as_deref(),
            Some("a class name must follow each '.'")
        );
        for bad in ["div..x", "::", "a[", "}", "", "h3 >", "a:hover2", "a[x=]"] {
            let why = css_selector_error(bad).unwrap_or_else(|| panic!("{bad:?} accepted"));
            assert!(
                !why.is_empty() && why.len() < 80 && !why.contains('\n'),
                "{why}"
            );
        }
    }

    #[test]
    fn schedule_bounds_must_be_ordered() {
        let e = errors(load(
            "[schedule]\nmin_interval = \"2h\"\nmax_interval = \"1h\"\n",
            SOURCES,
            "",
        ));
        assert!(e[0].message.contains("min_interval"), "{e:?}");
        let c = load(
            "[fetch]\nper_host_delay = \"3s\"\nrespect_robots = false\n",
            SOURCES,
            "",
        )
        .unwrap();
        assert_eq!(c.settings.fetch.per_host_delay, Interval::from_secs(3));
        assert!(!c.settings.fetch.respect_robots);
    }

    #[test]
    fn workers_lease_and_id() {
        let c = load("", SOURCES, "").unwrap();
        assert_eq!(c.settings.workers.lease, Interval::from_secs(300));
        assert_eq!(c.settings.workers.id, None);
        let id = c.settings.workers.effective_id();
        assert!(id.ends_with(&format!("-{}", std::process::id())), "{id}");
        let c = load("[workers]\nlease = \"30s\"\nid = \"عامل-1\"\n", SOURCES, "").unwrap();
        assert_eq!(c.settings.workers.lease, Interval::from_secs(30));
        assert_eq!(c.settings.workers.effective_id(), "عامل-1");
        let e = errors(load("[workers]\nlease = \"2d\"\n", SOURCES, ""));
        assert!(e[0].message.contains("lease"), "{e:?}");
        let e = errors(load("[workers]\nleases = \"2m\"\n", SOURCES, ""));
        assert!(e[0].message.contains("leases"), "{e:?}");
    }

    #[test]
    fn store_url_is_a_postgres_address_or_nothing() {
        let c = load("", SOURCES, "").unwrap();
        assert_eq!(c.settings.store.url, None);
        let c = load(
            "[store]\nurl = \"postgres://rasd@db.example:5432/rasd\"\n",
            SOURCES,
            "",
        )
        .unwrap();
        assert_eq!(
            c.settings.store.url.as_deref(),
            Some("postgres://rasd@db.example:5432/rasd")
        );
        let e = errors(load(
            "[store]\nurl = \"/var/lib/rasd.sqlite\"\n",
            SOURCES,
            "",
        ));
        assert!(e[0].message.contains("PostgreSQL address"), "{e:?}");
        let e = errors(load("[store]\npath = \"x\"\n", SOURCES, ""));
        assert!(e[0].message.contains("path"), "{e:?}");
    }

    #[test]
    fn fetch_bounds_and_proxy() {
        let c = load("", SOURCES, "").unwrap();
        assert_eq!(c.settings.fetch.max_entries_per_poll, 500);
        assert_eq!(
            c.settings.fetch.source_time_budget,
            Interval::from_secs(120)
        );
        assert_eq!(c.settings.fetch.proxy, None);
        let c = load(
            "[fetch]\nproxy = \"http://proxy.example.jo:3128\"\nmax_entries_per_poll = 50\n\
             source_time_budget = \"30s\"\n",
            &format!("{SOURCES}max_entries_per_poll = 20\n"),
            "",
        )
        .unwrap();
        assert_eq!(
            c.settings.fetch.proxy.as_deref(),
            Some("http://proxy.example.jo:3128")
        );
        assert_eq!(c.settings.fetch.max_entries_per_poll, 50);
        assert_eq!(c.settings.fetch.source_time_budget, Interval::from_secs(30));
        assert_eq!(c.sources[0].max_entries_per_poll, Some(20));

        let e = errors(load("[fetch]\nproxy = \"socks5://p:1080\"\n", SOURCES, ""));
        assert_eq!(e[0].line, Some(2));
        assert!(e[0].message.contains("http://"), "{e:?}");
        let e = errors(load("[fetch]\nmax_entries_per_poll = 0\n", SOURCES, ""));
        assert!(e[0].message.contains("1 or more"), "{e:?}");
    }

    #[test]
    fn bad_timezone_and_listen_address() {
        let e = errors(load("timezone = \"Mars/Olympus\"\n", SOURCES, ""));
        assert_eq!(e[0].line, Some(1));
        assert!(e[0].message.contains("Asia/Amman"), "{e:?}");
        let e = errors(load("[server]\nlisten = \"localhost\"\n", SOURCES, ""));
        assert_eq!(e[0].line, Some(2));
        assert!(e[0].message.contains("127.0.0.1:8080"), "{e:?}");
    }

    #[test]
    fn model_thresholds_out_of_range_say_what_to_write() {
        let e = errors(load("[enrich]\nmodel_confirm = 1\n", SOURCES, ""));
        assert_eq!(e[0].line, Some(2));
        assert!(e[0].message.contains("below 1"), "{e:?}");
        let e = errors(load("[enrich]\nmodel_confirm = -0.1\n", SOURCES, ""));
        assert!(e[0].message.contains("model_confirm"), "{e:?}");
        let e = errors(load("[enrich]\nmodel_threshold = 0\n", SOURCES, ""));
        assert!(e[0].message.contains("above 0"), "{e:?}");
        let ok = load("[enrich]\nmodel_confirm = 0\n", SOURCES, "").unwrap();
        assert_eq!(ok.settings.enrich.model_confirm, 0.0);
        let default = load("", SOURCES, "").unwrap();
        assert_eq!(default.settings.enrich.model_confirm, 0.05);
        assert_eq!(default.settings.enrich.model_threshold, 0.6);
    }

    #[test]
    fn six_mistakes_in_three_files_are_six_problems_with_lines_and_fixes() {
        let rasd = "[fetch]\nuser_agent = \"Rasd/0.1\\r\\nX-Injected: 1\"\nmax_body_bytes = 0\n\
                    timeout = \"1000d\"\n";
        let sources = "[[source]]\nid = \"files\"\nname = \"Files\"\nkind = \"site\"\n\
                       url = \"file:///var/news/\"\n\n[[source]]\nid = \"two\"\nname = \"Two\"\n\
                       kind = \"feed\"\nurl = \"https://example.jo/rss\"\nintervall = \"5m\"\n";
        let alerts =
            "[[rule]]\nid = \"r\"\nname = \"R\"\ntopics = [\"theft\"]\nmin_items = \"three\"\n";
        let e = errors(load(rasd, sources, alerts));
        let shown: Vec<String> = e.iter().map(ToString::to_string).collect();
        assert_eq!(e.len(), 6, "{shown:#?}");
        let expect = [
            ("cfg/rasd.toml:2:", "user_agent"),
            ("cfg/rasd.toml:3:", "max_body_bytes"),
            ("cfg/rasd.toml:4:", "timeout"),
            ("cfg/sources.toml:5:", "file://"),
            ("cfg/sources.toml:12:", "did you mean `interval`"),
            ("cfg/alerts.toml:5:", "min_items"),
        ];
        for ((place, what), line) in expect.iter().zip(&shown) {
            assert!(line.starts_with(place), "{line}");
            assert!(line.contains(what), "{line}");
            assert!(
                ["write", "did you mean", "add", "make"]
                    .iter()
                    .any(|fix| line.contains(fix)),
                "no fix in {line}"
            );
        }
        assert!(
            Error::Config(e)
                .to_string()
                .starts_with("6 problems in the config:")
        );
    }

    #[test]
    fn header_values_must_be_one_line_of_ascii() {
        for (value, why) in [
            ("Rasd\\r\\nX-Evil: 1", "control character '\\r'"),
            ("Rasd\\nX", "control character '\\n'"),
            ("رصد", "not ASCII"),
            ("  ", "empty"),
        ] {
            let e = errors(load(
                &format!("[fetch]\nuser_agent = \"{value}\"\n"),
                SOURCES,
                "",
            ));
            assert_eq!(e.len(), 1, "{e:?}");
            assert_eq!(e[0].line, Some(2));
            assert!(e[0].message.contains("[fetch] user_agent"), "{e:?}");
            assert!(e[0].message.contains(why), "{e:?}");
            assert!(e[0].message.contains("HTTP header"), "{e:?}");
        }
        let e = errors(load("[fetch]\ncontact = \"a@b.jo\\r\\n\"\n", SOURCES, ""));
        assert!(e[0].message.contains("[fetch] contact"), "{e:?}");
        let e = errors(load("[mail]\nto = [\"a@b.jo\\nBcc: x@y\"]\n", SOURCES, ""));
        assert!(e[0].message.contains("mail header"), "{e:?}");
    }

    #[test]
    fn zero_and_absurd_limits_and_durations_are_refused() {
        for (rasd, line, expect) in [
            (
                "[fetch]\nmax_body_bytes = 0\n",
                2,
                "from 1024 to 1073741824",
            ),
            ("[fetch]\nmax_body_bytes = 99999999999\n", 2, "from 1024"),
            ("[fetch]\ntimeout = \"1000d\"\n", 2, "at most \"10m\""),
            ("[fetch]\ntimeout = \"1000d\"\n", 2, "\"1000d\" is too long"),
            ("[fetch]\nconnect_timeout = \"20m\"\n", 2, "at most \"10m\""),
            ("[fetch]\nconcurrency = 0\n", 2, "from 1 to 64"),
            ("[fetch]\nper_host_concurrency = 1000\n", 2, "from 1 to 16"),
            ("[fetch]\nmax_redirects = 100\n", 2, "from 0 to 20"),
            ("[fetch]\nper_host_delay = \"2h\"\n", 2, "at most \"10m\""),
            ("[fetch]\nmax_backoff = \"30s\"\n", 2, "at least \"1m\""),
            (
                "[schedule]\ndefault_interval = \"10s\"\n",
                2,
                "at least \"1m\"",
            ),
            (
                "[schedule]\nmax_interval = \"365d\"\n",
                2,
                "at most \"30d\"",
            ),
            ("[mail]\nsmtp_port = 0\n", 2, "from 1 to 65535"),
            (
                "[fetch]\ntimeout = \"5s\"\nconnect_timeout = \"10s\"\n",
                3,
                "make connect_timeout at most timeout",
            ),
            (
                "[mail]\nenabled = true\nsmtp_host = \"\"\n",
                2,
                "smtp_host = ",
            ),
        ] {
            let e = errors(load(rasd, SOURCES, ""));
            assert_eq!(e.len(), 1, "{rasd}: {e:?}");
            assert_eq!(e[0].line, Some(line), "{rasd}: {e:?}");
            assert!(e[0].message.contains(expect), "{rasd}: {e:?}");
        }
        let source = |extra: &str| format!("{SOURCES}{extra}\n");
        let e = errors(load("", &source("interval = \"5s\""), ""));
        assert!(e[0].message.contains("source \"one\" interval"), "{e:?}");
        assert!(e[0].message.contains("at least \"1m\""), "{e:?}");
        let e = errors(load(
            "",
            SOURCES,
            "[[rule]]\nid = \"r\"\nname = \"R\"\ntopics = [\"theft\"]\nwindow = \"100d\"\n",
        ));
        assert!(e[0].message.contains("at most \"30d\""), "{e:?}");
        // The shipped defaults are within every bound.
        assert!(load("", SOURCES, "").is_ok());
    }

    #[test]
    fn only_form_exports_may_read_files() {
        for kind in ["feed", "site"] {
            let text = format!(
                "[[source]]\nid = \"x\"\nname = \"X\"\nkind = \"{kind}\"\nurl = \"file:///srv/x\"\n"
            );
            let e = errors(load("", &text, ""));
            assert_eq!(e.len(), 1, "{e:?}");
            assert_eq!(e[0].line, Some(5), "{e:?}");
            assert!(
                e[0].message.contains("write an http:// or https:// url"),
                "{e:?}"
            );
        }
        let form = "[[source]]\nid = \"x\"\nname = \"X\"\nkind = \"form_export\"\nurl = \"file:///srv/x.json\"\n";
        assert!(load("", form, "").is_ok());
        // Sitemaps and webhooks are on the web too.
        let site = "[[source]]\nid = \"s\"\nname = \"S\"\nkind = \"site\"\nurl = \"https://e.jo/\"\nsitemap = \"file:///etc/passwd\"\n";
        let e = errors(load("", site, ""));
        assert_eq!(e[0].line, Some(6), "{e:?}");
    }

    #[test]
    fn every_bad_key_of_one_table_and_of_each_source_is_reported() {
        let text = "[[source]]\nid = \"a\"\nname = \"A\"\nkind = \"rss\"\nurl = \"https://e.jo/\"\n\
                    colour = \"red\"\n\n[[source]]\nid = \"b\"\nname = \"B\"\nkind = \"feed\"\n\
                    url = \"e.jo\"\n\n[[source]]\nid = \"c\"\nkind = \"feed\"\nurl = \"https://e.jo/c\"\n";
        let e = errors(load(
            "[fetch]\nconcurrency = 0\nbogus = 1\ntimeout = 3\n",
            text,
            "",
        ));
        let shown: Vec<String> = e.iter().map(ToString::to_string).collect();
        assert_eq!(e.len(), 7, "{shown:#?}");
        let lines: Vec<(String, Option<usize>)> = e
            .iter()
            .map(|e| (e.file.display().to_string(), e.line))
            .collect();
        assert_eq!(
            lines,
            [
                ("cfg/rasd.toml".to_string(), Some(2)),
                ("cfg/rasd.toml".to_string(), Some(3)),
                ("cfg/rasd.toml".to_string(), Some(4)),
                ("cfg/sources.toml".to_string(), Some(4)),
                ("cfg/sources.toml".to_string(), Some(6)),
                ("cfg/sources.toml".to_string(), Some(12)),
                ("cfg/sources.toml".to_string(), Some(14)),
            ],
            "{shown:#?}"
        );
        assert!(
            shown[2].contains("write text in \"quotes\""),
            "{}",
            shown[2]
        );
        assert!(shown[3].contains("source \"a\" kind"), "{}", shown[3]);
        // The kind taken out is not reported again as missing.
        assert!(!shown.iter().any(|s| s.contains("missing field `kind`")));
        assert!(
            shown[6].contains("source \"c\": missing field `name`"),
            "{}",
            shown[6]
        );
        assert!(shown[6].contains("add name = "), "{}", shown[6]);
    }

    #[test]
    fn toml_syntax_errors_name_their_line() {
        let e = errors(load("[fetch]\ntimeout = 30s\n", SOURCES, "[[rule]\n"));
        let shown: Vec<String> = e.iter().map(ToString::to_string).collect();
        assert!(shown[0].starts_with("cfg/rasd.toml:2:"), "{shown:#?}");
        assert!(
            shown.iter().any(|s| s.starts_with("cfg/alerts.toml:1:")),
            "{shown:#?}"
        );
        assert!(shown[0].contains("not valid TOML"), "{shown:#?}");
    }

    #[test]
    fn the_web_keys_are_checked() {
        let c = load(
            "[server]\npublic_listen = \"0.0.0.0:8081\"\nclient_ip_header = \"X-Forwarded-For\"\n\
             trusted_proxies = [\"127.0.0.1\", \"::1\"]\nform_per_minute = 10\n",
            SOURCES,
            "",
        )
        .unwrap();
        let server = &c.settings.server;
        assert_eq!(server.public_listen.as_deref(), Some("0.0.0.0:8081"));
        assert_eq!(server.trusted_proxies.len(), 2);
        assert!(server.cookie_secure && server.session_hours == 12);
        for (bad, says) in [
            ("public_listen = \"8081\"", "invalid listen address"),
            ("client_ip_header = \"X Forwarded\"", "invalid header name"),
            ("trusted_proxies = [\"proxy.local\"]", "trusted_proxies"),
            ("form_limit = 3", "form_limit"),
        ] {
            let e = errors(load(&format!("[server]\n{bad}\n"), SOURCES, ""));
            let shown: Vec<String> = e.iter().map(ToString::to_string).collect();
            assert!(shown.iter().any(|s| s.contains(says)), "{bad}: {shown:#?}");
        }
    }

    #[test]
    fn allowed_hosts_are_host_and_port_only() {
        let c = load(
            "[server]\nallowed_hosts = [\"rasd.example.jo\", \"10.0.0.5:8080\", \"[::1]:8080\"]\n",
            SOURCES,
            "",
        )
        .unwrap();
        assert_eq!(c.settings.server.allowed_hosts.len(), 3);
        assert!(
            load("", SOURCES, "")
                .unwrap()
                .settings
                .server
                .allowed_hosts
                .is_empty()
        );
        for bad in [
            "https://rasd.example.jo",
            "rasd.example.jo/",
            "",
            "a b",
            "host:99999",
            "u@host",
        ] {
            let e = errors(load(
                &format!("[server]\nallowed_hosts = [{bad:?}]\n"),
                SOURCES,
                "",
            ));
            assert_eq!(e[0].line, Some(2), "{bad:?}: {e:?}");
            assert!(e[0].message.contains("rasd.example.jo"), "{bad:?}: {e:?}");
        }
    }
}
