use std::path::Path;

use axum::body::Body;
use axum::http::Request;
use chrono::Utc;
use http_body_util::BodyExt;
use rasd_core::{Item, Lang, Polarity, SentimentTag};
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
    a.tags.sentiment = Some(SentimentTag {
        label: Polarity::Negative,
        score: -0.64,
    });
    a.tags.about_police = true;
    items.push(a);
    let mut b = Item::new(
        "s2",
        "https://example.com/2",
        "Police open new station",
        "The directorate opened a station.",
        Utc::now(),
    );
    b.tags.lang = Lang::En;
    b.tags.sentiment = Some(SentimentTag {
        label: Polarity::Positive,
        score: 0.55,
    });
    b.tags.about_police = true;
    items.push(b);
    let mut c = Item::new(
        "s1",
        "https://example.jo/3",
        "مواطنون يشيدون بسرعة استجابة دوريات النجدة",
        "أشاد مواطنون في إربد بسرعة وصول الدورية.",
        Utc::now(),
    );
    c.tags.lang = Lang::Ar;
    c.tags.sentiment = Some(SentimentTag {
        label: Polarity::Positive,
        score: 0.82,
    });
    c.tags.about_police = true;
    items.push(c);
    // Not about the police, and never scored.
    let mut d = Item::new(
        "s1",
        "https://example.jo/4",
        "ارتفاع أسعار الخضار في الأسواق",
        "شهدت الأسواق ارتفاعاً في أسعار الخضار.",
        Utc::now(),
    );
    d.tags.lang = Lang::Ar;
    items.push(d);
    store.upsert_items(&items).unwrap();
    let mut w = index.writer().unwrap();
    w.index_items(&items).unwrap();
    w.commit_applied(rasd_search::AppliedMark {
        store_id: store.store_id().unwrap(),
        seq: store.head_seq().unwrap(),
    })
    .unwrap();
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
    assert_eq!(status, StatusCode::OK);
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["status"], "ok");
    assert_eq!(v["items"], 4);
    assert_eq!(
        (v["store_seq"].as_u64(), v["index_lag"].as_u64()),
        (Some(4), Some(0))
    );
    let (status, body) = get("/api/status").await;
    assert_eq!(status, StatusCode::OK);
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["items"], 4);
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

/// Percent-encodes a query-string value (Arabic included).
fn enc(s: &str) -> String {
    s.bytes().map(|b| format!("%{b:02X}")).collect()
}

fn json(body: &str) -> serde_json::Value {
    serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {body}"))
}

#[tokio::test]
async fn api_search_filters_by_sentiment_and_police() {
    let (status, body) = get("/api/search?sentiment=negative").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let v = json(&body);
    assert_eq!(v["total"], 1);
    let hit = &v["hits"][0];
    assert_eq!(hit["title"], "سرقة مركبة في الرصيفة");
    assert_eq!(hit["sentiment"]["label"], "negative");
    assert!((hit["sentiment"]["score"].as_f64().unwrap() + 0.64).abs() < 1e-6);
    assert_eq!(hit["about_police"], true);

    let (_, body) = get("/api/search?sentiment=Positive,%20neutral&lang=ar").await;
    let v = json(&body);
    assert_eq!(v["total"], 1);
    assert_eq!(
        v["hits"][0]["title"],
        "مواطنون يشيدون بسرعة استجابة دوريات النجدة"
    );

    let (_, body) = get("/api/search?police=no").await;
    let v = json(&body);
    assert_eq!(v["total"], 1);
    assert_eq!(v["hits"][0]["title"], "ارتفاع أسعار الخضار في الأسواق");
    assert!(v["hits"][0]["sentiment"].is_null());
    assert_eq!(v["hits"][0]["about_police"], false);

    let (_, body) = get(&format!("/api/search?q={}&police=yes", enc("دوريات"))).await;
    assert_eq!(json(&body)["total"], 1);
    // An empty parameter is no filter.
    let (_, body) = get("/api/search?sentiment=&police=").await;
    assert_eq!(json(&body)["total"], 4);
}

#[tokio::test]
async fn api_search_returns_sentiment_and_police_facets() {
    let (status, body) = get("/api/search").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let facets = &json(&body)["facets"];
    assert_eq!(facets["by_sentiment"]["positive"], 2);
    assert_eq!(facets["by_sentiment"]["negative"], 1);
    assert!(facets["by_sentiment"].get("none").is_none(), "{facets}");
    assert_eq!(facets["by_police"]["yes"], 3);
    assert_eq!(facets["by_police"]["no"], 1);
    // Facets follow the filters.
    let (_, body) = get("/api/search?police=yes&lang=ar").await;
    let facets = &json(&body)["facets"];
    assert_eq!(facets["by_sentiment"]["positive"], 1);
    assert!(facets["by_police"].get("no").is_none(), "{facets}");
}

#[tokio::test]
async fn bad_sentiment_and_police_values_are_400_with_advice() {
    let (status, body) = get("/api/search?sentiment=angry").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(body.contains("use positive, negative or neutral"), "{body}");
    let (status, body) = get(&format!("/api/search?sentiment=negative,{}", enc("غاضب"))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(body.contains("غاضب") && body.contains("سلبي"), "{body}");
    // The Arabic labels are accepted.
    let (status, arabic) = get(&format!("/api/search?sentiment={}", enc("سلبي"))).await;
    let (_, english) = get("/api/search?sentiment=negative").await;
    assert_eq!(status, StatusCode::OK, "{arabic}");
    assert_eq!(json(&arabic)["total"], json(&english)["total"]);
    let (status, body) = get("/api/search?police=maybe").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(
        body.contains("police=yes") && body.contains("police=no"),
        "{body}"
    );
    // The same mistakes written in the query text.
    let (status, body) = get(&format!("/api/search?q={}", enc("sentiment:غاضب"))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(body.contains("sentiment:negative"), "{body}");
    let (status, body) = get("/api/search?q=police%3Aperhaps").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(body.contains("police:yes"), "{body}");
    // The page says it too, right to left, with a 400.
    let (status, body) = get("/?police=maybe").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.contains("<html lang=\"ar\" dir=\"rtl\">"));
    assert!(body.contains("class=\"error\""), "{body}");
    assert!(body.contains("police=yes"), "{body}");
}

#[tokio::test]
async fn search_page_has_sentiment_and_police_facets_and_badges() {
    let (status, body) = get("/").await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("<html lang=\"ar\" dir=\"rtl\">"));
    assert!(body.contains("المشاعر / Sentiment"), "{body}");
    assert!(
        body.contains("href=\"/?q=&amp;sentiment=negative\">سلبي / negative</a>"),
        "{body}"
    );
    assert!(body.contains("href=\"/?q=&amp;police=yes\">عن الشرطة / about police</a>"));
    assert!(body.contains("href=\"/?q=&amp;police=no\">ليس عن الشرطة / not about police</a>"));
    // Each badge has words, not only a colour.
    assert!(
        body.contains("<span class=\"badge s-negative\" title=\"-0.64\">سلبي / negative</span>"),
        "{body}"
    );
    assert!(
        body.contains("<span class=\"badge s-positive\" title=\"+0.82\">إيجابي / positive</span>")
    );
    assert_eq!(body.matches("<span class=\"badge police\">").count(), 3);
    // A chosen filter is kept in the form and in the other facet links.
    let (_, body) = get("/?police=yes&sentiment=negative").await;
    assert!(body.contains("<option value=\"yes\" selected>"), "{body}");
    assert!(
        body.contains("<option value=\"negative\" selected>"),
        "{body}"
    );
    assert!(
        body.contains("href=\"/?q=&amp;topic=theft&amp;sentiment=negative&amp;police=yes\""),
        "{body}"
    );
    assert!(body.contains("سرقة مركبة في الرصيفة"));
    assert!(!body.contains("مواطنون يشيدون"), "{body}");
}

#[tokio::test]
async fn item_page_shows_sentiment_score_and_police_flag() {
    let id = rasd_core::item_id_for_url("https://example.jo/1");
    let (status, body) = get(&format!("/item/{id}")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(
        body.contains(
            "<a class=\"badge s-negative\" href=\"/?sentiment=negative\">سلبي / negative</a>"
        ),
        "{body}"
    );
    // The signed score reads left to right inside the Arabic page.
    assert!(body.contains("<span dir=\"ltr\">(-0.64)</span>"), "{body}");
    assert!(
        body.contains(
            "<a class=\"badge police\" href=\"/?police=yes\">عن الشرطة / about police</a>"
        ),
        "{body}"
    );
    let id = rasd_core::item_id_for_url("https://example.jo/4");
    let (status, body) = get(&format!("/item/{id}")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body.contains("غير مقدّرة / not scored"), "{body}");
    assert!(
        body.contains("href=\"/?police=no\">ليس عن الشرطة"),
        "{body}"
    );
    assert!(!body.contains("class=\"badge police\""), "{body}");
}

/// The real server on a loopback port answers the new filters.
#[tokio::test]
async fn served_on_loopback_the_api_filters_by_police_and_sentiment() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(serve(listener, state(), async {
        let _ = stopped.await;
    }));
    let mut conn = tokio::net::TcpStream::connect(addr).await.unwrap();
    let request = format!(
        "GET /api/search?police=yes&sentiment=positive&q={} HTTP/1.1\r\nHost: {addr}\r\n\
         Connection: close\r\n\r\n",
        enc("النجدة")
    );
    conn.write_all(request.as_bytes()).await.unwrap();
    let mut response = Vec::new();
    conn.read_to_end(&mut response).await.unwrap();
    let response = String::from_utf8(response).unwrap();
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    let body = response.split("\r\n\r\n").nth(1).unwrap();
    let v = json(body);
    assert_eq!(v["total"], 1);
    assert_eq!(v["hits"][0]["sentiment"]["label"], "positive");
    assert_eq!(v["hits"][0]["about_police"], true);
    stop.send(()).unwrap();
    server.await.unwrap().unwrap();
}

#[tokio::test]
async fn health_is_503_while_the_index_is_far_behind_the_store() {
    let config = Config::from_texts(Path::new("cfg"), ["", "", TOPICS, PLACES, ""]).unwrap();
    let store = Store::open_in_memory().unwrap();
    let items: Vec<Item> = (0..=HEALTHY_LAG)
        .map(|n| {
            Item::new(
                "s1",
                &format!("https://example.jo/n/{n}"),
                &format!("خبر رقم {n}"),
                "نص",
                Utc::now(),
            )
        })
        .collect();
    store.upsert_items(&items).unwrap();
    let state = AppState {
        store: Arc::new(store),
        index: Arc::new(SearchIndex::create_in_ram().unwrap()),
        config: Arc::new(config),
    };
    let resp = app(state)
        .oneshot(Request::get("/healthz").body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::SERVICE_UNAVAILABLE);
    let body = resp.into_body().collect().await.unwrap().to_bytes();
    let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(v["status"], "index_behind");
    assert_eq!(v["index_lag"].as_u64(), Some(HEALTHY_LAG + 1));
    assert!(v["index_seq"].is_null());
}

/// The regression: `field:*` answered 500 (tantivy needs a fast field for it).
#[tokio::test]
async fn field_wildcards_and_hostile_queries_are_200_or_400_never_500() {
    let app = app(state());
    let call = |uri: String| {
        let app = app.clone();
        async move {
            let resp = app
                .oneshot(Request::get(&uri).body(Body::empty()).unwrap())
                .await
                .unwrap();
            let status = resp.status();
            let body = resp.into_body().collect().await.unwrap().to_bytes();
            (status, String::from_utf8(body.to_vec()).unwrap())
        }
    };
    let queries = [
        "url:*",
        "title:*",
        "body:*",
        "id:*",
        "fetched:*",
        "dated:*",
        "sentiment_score:*",
        "topics:*",
        "police:*",
        "url:[a TO z]",
        "published:[a TO b]",
        "title:IN [a b]",
        "\"إطلاق نار",
        "(سرقة",
        "AND",
        "-",
        "\"\"",
        "سرقة\u{0}",
        "\u{202E}سرقة",
        "عنوان:سرقة",
        "/a.*/",
        "a^",
        "a~",
    ];
    for q in queries {
        let (status, body) = call(format!("/api/search?q={}", enc(q))).await;
        match status {
            StatusCode::OK => {
                json(&body);
            }
            StatusCode::BAD_REQUEST => {
                let message = json(&body)["error"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string();
                assert!(message.contains(q.trim()), "{q}: {message}");
                assert!(
                    [
                        "write",
                        "use ",
                        "name",
                        "leave out",
                        "close",
                        "remove",
                        "as in"
                    ]
                    .iter()
                    .any(|advice| message.contains(advice)),
                    "{q}: the message does not say what to write: {message}"
                );
            }
            other => panic!("{q}: answered {other}: {body}"),
        }
        let (status, body) = call(format!("/?q={}", enc(q))).await;
        assert!(
            status == StatusCode::OK || status == StatusCode::BAD_REQUEST,
            "{q}: the page answered {status}: {body}"
        );
    }
    let (status, body) = call("/api/search?q=url:*".to_string()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(body.contains("cannot be searched"), "{body}");
    let (status, body) = call("/api/search?q=title:*".to_string()).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(json(&body)["total"], 4);
    let (status, body) = call("/api/search?q=fetched:*".to_string()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(body.contains("there is no field `fetched`"), "{body}");
}
