//! What the alert and trend tests share: two topics, two governorates, and items dated and
//! tagged by hand.
#![allow(dead_code)]

use chrono::{DateTime, Utc};
use rasd_core::Item;

pub const TOPICS: &str = r#"
[[topic]]
id = "traffic_accident"
name_ar = "حوادث سير"
name_en = "Traffic accidents"
terms = ["حادث"]

[[topic]]
id = "theft"
name_ar = "سرقة"
name_en = "Theft"
terms = ["سرقة"]
"#;

pub const PLACES: &str = r#"
[[place]]
id = "karak"
kind = "governorate"
governorate = "karak"
name_ar = "الكرك"
name_en = "Karak"

[[place]]
id = "zarqa"
kind = "governorate"
governorate = "zarqa"
name_ar = "الزرقاء"
name_en = "Zarqa"
"#;

/// An item of `source` published at `at`.
pub fn item(source: &str, n: u32, at: DateTime<Utc>, title: &str, body: &str) -> Item {
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

/// `i` with these topics and governorates.
pub fn tagged(mut i: Item, topics: &[&str], places: &[&str]) -> Item {
    i.tags.topics = topics.iter().map(|s| s.to_string()).collect();
    i.tags.places = places.iter().map(|s| s.to_string()).collect();
    i
}
