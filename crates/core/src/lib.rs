//! Rasd's core: the data model, configuration and text normalization shared by every crate.
//!
//! - [`model`]: [`Item`] (one article or public comment, with its [`Tags`]), [`Lang`],
//!   [`FetchState`] and the stable id scheme ([`item_id_for_url`], [`canonical_url`]).
//! - [`config`]: the five TOML files of a config folder ([`Config::load`]): `rasd.toml`
//!   ([`Settings`]), `sources.toml` ([`SourceConfig`]), `topics.toml` ([`TopicConfig`]),
//!   `alerts.toml` ([`AlertRule`]) and `places.toml` ([`PlaceConfig`]). Every error names the
//!   file, the line and what to write instead ([`ConfigError`]).
//! - [`text`]: Arabic and English normalization used alike by enrichment rules and search.
//! - [`duration`]: the human interval format of the config files (`"15m"`, `"2h"`).
//! - [`import`]: the JSON-lines import format of `rasd import items` and `rasd replay`
//!   ([`import::parse_line`]).
//! - [`metrics`]: the process's counters and request latency histogram
//!   ([`metrics::registry`]), written in the Prometheus text format for `/metrics`.
//!
//! Nothing here does I/O beyond reading config files.

pub mod config;
pub mod duration;
pub mod error;
pub mod import;
pub mod metrics;
pub mod model;
pub mod shared_data;
pub mod text;

pub use config::{
    AlertChannel, AlertPer, AlertRule, AlertSettings, CalendarPeriod, Config, ConfigError,
    EnrichSettings, FetchSettings, FullText, MailSecurity, MailSettings, PeriodBaseline,
    PlaceConfig, PlaceKind, PoliceConfig, PoliceStanceConfig, QuietHours, ScheduleSettings,
    ServerSettings, Settings, Severity, SourceConfig, SourceKind, StorySettings, TopicConfig,
    TrendSettings, WorkerSettings, css_selector_error,
};
pub use duration::{Interval, day_start};
pub use error::{Error, Result};
pub use model::{
    FetchState, Item, ItemKind, Lang, MAX_SEEN_ENTRIES, Polarity, PoliceStance, PollStats,
    SentimentTag, Tags, canonical_url, entry_key, item_id_for_url,
};
