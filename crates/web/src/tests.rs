use std::path::Path;

use axum::body::Body;
use axum::http::Request;
use chrono::Utc;
use http_body_util::BodyExt;
use rasd_core::{Item, Lang};
use tower::ServiceExt;

use super::*;

const TOPICS: &str =
    "[[topic]]\nid = \"theft\"\nname_ar = \"السرقة\"\nname_en = \"Theft\"\nterms = [\"سرقة\"]\n";
const PLACES: &str = "[[place]]\nid = \"zarqa\"\nkind = \"governorate\"\ngovernorate = \"zarqa\"\nname_ar = \"الزرقاء\"\nname_en = \"Zarqa\"\n";

fn state() -> AppState {
    let config = Config::from_texts(Path::new("cfg"), ["", "", TOPICS, PLACES, ""]).unwrap();
    let store = Store::open_in_memory().unwrap();
    let index = SearchIndex::create_in_ram().unwrap();
    let mut items = Vec::new();
    let mut a = Item::new(
        "s1",
        "https://example.jo/1",
        "سرقة مركبة في الرصيفة",
        "ضبطت الشرطة مشتبهاً بسرقة مركبة.",
        Utc::now(),
    );
    a.published = Some(Utc::now());
    a.tags.lang = Lang::Ar;
    a.tags.topics = vec!["theft".into()];
    a.tags.places = vec!["zarqa".into()];
    items.push(a);
    let mut b = Item::new(
        "s2",
        "https://example.com/2",
        "Police open new station",
        "The directorate opened a station.",
        Utc::now(),
    );
    b.tags.lang = Lang::En;
    items.push(b);
    store.upsert_items(&items).unwrap();
    let mut w = index.writer().unwrap();
    w.index_items(&items).unwrap();
    w.commit().unwrap();
    AppState {
        store: Arc::new(store),
        index: Arc::new(index),
        config: Arc::new(config),
    }
}

async fn get(uri: &str) -> (StatusCode, String) {
    let resp = app(state())
        .oneshot(Request::get(uri).body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = resp.status();
    let body = resp.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8(body.to_vec()).unwrap())
}

#[tokio::test]
async fn api_search_finds_arabic_whatever_the_diacritics() {
    // "سَرِقَة" with harakat reaches "سرقة" written without them.
    let q: String = "سَرِقَة".bytes().map(|b| format!("%{b:02X}")).collect();
    let (status, body) = get(&format!("/api/search?q={q}")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["total"], 1);
    assert_eq!(v["hits"][0]["topics"][0], "theft");
}

#[tokio::test]
async fn api_search_filters_by_lang() {
    let (status, body) = get("/api/search?lang=en").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["total"], 1);
    assert_eq!(v["hits"][0]["source"], "s2");
}

#[tokio::test]
async fn bad_parameters_say_what_to_send() {
    let (status, body) = get("/api/search?lang=fr").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.contains("use ar, en or other"), "{body}");
    let (status, body) = get("/api/search?limit=1000").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.contains("1 to 100"), "{body}");
    let (status, body) = get("/digest?date=28-11-2026").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.contains("YYYY-MM-DD"), "{body}");
}

#[tokio::test]
async fn search_page_is_rtl_and_escapes_the_query() {
    let (status, body) = get("/?q=%3Cscript%3E").await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("<html lang=\"ar\" dir=\"rtl\">"));
    assert!(!body.contains("<script>"));
    let (_, body) = get("/?topic=theft").await;
    assert!(body.contains("سرقة مركبة في الرصيفة"), "{body}");
    assert!(body.contains("الزرقاء"));
}

#[tokio::test]
async fn health_status_and_digest_answer() {
    let (status, body) = get("/healthz").await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, "ok"));
    let (status, body) = get("/api/status").await;
    assert_eq!(status, StatusCode::OK);
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["items"], 2);
    let (status, body) = get("/digest").await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("السرقة"), "{body}");
}

#[tokio::test]
async fn item_page_shows_the_stored_text_and_tags() {
    let id = rasd_core::item_id_for_url("https://example.jo/1");
    let (status, body) = get(&format!("/item/{id}")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body.contains("<html lang=\"ar\" dir=\"rtl\">"));
    assert!(body.contains("ضبطت الشرطة مشتبهاً بسرقة مركبة."));
    assert!(body.contains("href=\"/?topic=theft\""));
    assert!(body.contains("href=\"https://example.jo/1\""));
    let (status, _) = get("/item/0000").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, body) = get("/item/..%2Fetc").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
}

#[tokio::test]
async fn search_hits_link_to_the_item_page() {
    let id = rasd_core::item_id_for_url("https://example.jo/1");
    let (_, body) = get("/?topic=theft").await;
    assert!(body.contains(&format!("href=\"/item/{id}\"")), "{body}");
}
