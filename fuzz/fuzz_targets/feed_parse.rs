//! Feed parsing must never panic, whatever the bytes.
#![no_main]

use chrono::{TimeZone, Utc};
use libfuzzer_sys::fuzz_target;
use rasd_core::{SourceConfig, SourceKind};

fuzz_target!(|data: &[u8]| {
    let source = SourceConfig::new(
        "fuzz",
        "Fuzz",
        SourceKind::Feed,
        "https://fuzz.example.jo/feed",
    );
    let now = Utc.with_ymd_and_hms(2026, 11, 28, 12, 0, 0).unwrap();
    let _ = rasd_sources::parse_feed(&source, "https://fuzz.example.jo/feed", data, None, now);
    let _ = rasd_sources::parse_feed(
        &source,
        "https://fuzz.example.jo/feed",
        data,
        Some("application/rss+xml; charset=windows-1256"),
        now,
    );
});
