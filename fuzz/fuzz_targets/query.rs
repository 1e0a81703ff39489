//! Search queries must never panic, whatever the text: each input is run as the query text
//! of a search, and as the query string of `GET /api/v1/search?…` (read by axum's `Query`
//! extractor and turned into a search as the web does), against a small index in RAM
//! holding Arabic and English items.
#![no_main]

use std::path::Path;
use std::sync::OnceLock;

use axum::extract::Query;
use axum::http::Uri;
use chrono::{TimeZone, Utc};
use libfuzzer_sys::fuzz_target;
use rasd_core::{Config, Item, Lang};
use rasd_search::{SearchIndex, SearchQuery};
use rasd_web::SearchParams;

fn config() -> &'static Config {
    static C: OnceLock<Config> = OnceLock::new();
    C.get_or_init(|| {
        Config::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../config")).unwrap()
    })
}

fn index() -> &'static SearchIndex {
    static I: OnceLock<SearchIndex> = OnceLock::new();
    I.get_or_init(|| {
        let names: Vec<(String, String)> = config()
            .places
            .iter()
            .flat_map(|p| {
                [&p.name_ar, &p.name_en]
                    .into_iter()
                    .chain(&p.aliases)
                    .map(|n| (n.clone(), p.governorate.clone()))
            })
            .collect();
        let index = SearchIndex::create_in_ram()
            .unwrap()
            .with_place_names(names);
        let at = Utc.with_ymd_and_hms(2026, 12, 1, 9, 0, 0).unwrap();
        let texts = [
            (
                "alrai",
                "سرقة سيارة في الزرقاء",
                "ضبطت الأجهزة الأمنية مشتبهاً بسرقة سيارة من أمام منزل في الزرقاء.",
                Lang::Ar,
                &["theft"][..],
                &["zarqa"][..],
            ),
            (
                "alghad",
                "حادث سير على طريق المطار",
                "أصيب ثلاثة أشخاص بحادث تصادم على طريق المطار في عمان.",
                Lang::Ar,
                &["traffic_accident"][..],
                &["amman"][..],
            ),
            (
                "jordantimes",
                "Police arrest suspects in Irbid fraud case",
                "The Public Security Directorate said two suspects were arrested.",
                Lang::En,
                &["fraud"][..],
                &["irbid"][..],
            ),
            (
                "form",
                "",
                "إطلاق نار في الهواء خلال حفل زفاف في الرمثا",
                Lang::Ar,
                &[][..],
                &["irbid"][..],
            ),
        ];
        let items: Vec<Item> = texts
            .iter()
            .enumerate()
            .map(|(i, (source, title, body, lang, topics, places))| {
                let mut item = Item::new(
                    source,
                    &format!("https://fuzz.example.jo/{i}"),
                    title,
                    body,
                    at + chrono::Duration::hours(i as i64),
                );
                item.published = Some(item.fetched);
                item.tags.lang = *lang;
                item.tags.topics = topics.iter().map(|s| s.to_string()).collect();
                item.tags.places = places.iter().map(|s| s.to_string()).collect();
                item
            })
            .collect();
        let mut writer = index.writer().unwrap();
        writer.index_items(&items).unwrap();
        writer.commit().unwrap();
        index.reload().unwrap();
        index
    })
}

fuzz_target!(|data: &[u8]| {
    let index = index();
    let text = String::from_utf8_lossy(data);
    let q = SearchQuery {
        text: text.to_string(),
        ..SearchQuery::default()
    };
    let _ = index.search(&q);
    let Ok(uri) = format!("/api/v1/search?{text}").parse::<Uri>() else {
        return;
    };
    let Ok(Query(params)) = Query::<SearchParams>::try_from_uri(&uri) else {
        return;
    };
    if let Ok(q) = params.to_query(config(), None) {
        let _ = index.search(&q);
    }
});
