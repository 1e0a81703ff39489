use std::path::Path;

use axum::body::Body;
use axum::http::Request;
use chrono::Utc;
use http_body_util::BodyExt;
use rasd_core::{Item, Lang, Polarity, SentimentTag};
use tower::ServiceExt;

use super::*;

mod access;
mod openapi;

const TOPICS: &str =
    "[[topic]]\nid = \"theft\"\nname_ar = \"السرقة\"\nname_en = \"Theft\"\nterms = [\"سرقة\"]\n";
const PLACES: &str = "[[place]]\nid = \"zarqa\"\nkind = \"governorate\"\ngovernorate = \"zarqa\"\nname_ar = \"الزرقاء\"\nname_en = \"Zarqa\"\n\
     [[place]]\nid = \"amman\"\nkind = \"governorate\"\ngovernorate = \"amman\"\nname_ar = \"عمان\"\nname_en = \"Amman\"\n";

fn state() -> AppState {
    state_with("", "", Vec::new())
}

/// The test state with this `rasd.toml` and `sources.toml`, and `extra` items beside the
/// four of every test.
fn state_with(rasd: &str, sources: &str, extra: Vec<Item>) -> AppState {
    let config = Config::from_texts(Path::new("cfg"), [rasd, sources, TOPICS, PLACES, ""]).unwrap();
    let store = Store::open_test();
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
    a.tags.places_named = vec!["amman".into()];
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
    items.extend(extra);
    store.upsert_items(&items).unwrap();
    let mut w = index.writer().unwrap();
    w.index_items(&items).unwrap();
    w.commit_applied(rasd_search::AppliedMark {
        store_id: store.store_id().unwrap(),
        seq: store.head_seq().unwrap(),
    })
    .unwrap();
    {
        logged_in(&store);
        let enricher = Arc::new(rasd_enrich::Enricher::from_config(&config).unwrap());
        AppState::new(Arc::new(store), Arc::new(index), Arc::new(config), enricher)
    }
}

/// The session cookie of the tests' logged-in administrator ([`logged_in`]).
const TEST_TOKEN: &str = "test-session-token";
/// Its CSRF token.
const TEST_CSRF: &str = "test-csrf-token";

/// Adds the administrator `tester` to `store`, logged in with [`TEST_TOKEN`].
fn logged_in(store: &Store) {
    let now = Utc::now();
    store
        .add_user("tester", "admin", "$argon2id$unused", now)
        .unwrap();
    store
        .create_session(
            &auth::secret_hash(TEST_TOKEN),
            "tester",
            TEST_CSRF,
            now,
            now + chrono::Duration::hours(1),
            "127.0.0.1",
        )
        .unwrap();
}

async fn get(uri: &str) -> (StatusCode, String) {
    let (status, _, body) = get_as("localhost:8080", uri).await;
    (status, body)
}

/// A GET with this `Host` header: the status, the headers and the body.
async fn get_as(host: &str, uri: &str) -> (StatusCode, axum::http::HeaderMap, String) {
    send(app(state()), Request::get(uri).header("host", host)).await
}

/// Sends a request as the logged-in `tester`.
async fn send(
    app: Router,
    request: axum::http::request::Builder,
) -> (StatusCode, axum::http::HeaderMap, String) {
    send_anon(
        app,
        request.header("cookie", format!("{}={TEST_TOKEN}", auth::SESSION_COOKIE)),
    )
    .await
}

/// Sends a request with no cookie.
async fn send_anon(
    app: Router,
    request: axum::http::request::Builder,
) -> (StatusCode, axum::http::HeaderMap, String) {
    let resp = app
        .oneshot(request.body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = resp.status();
    let headers = resp.headers().clone();
    let body = resp.into_body().collect().await.unwrap().to_bytes();
    (status, headers, String::from_utf8(body.to_vec()).unwrap())
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
    // Today's digest links to yesterday and the archive, not to tomorrow.
    assert!(
        body.contains("rel=\"prev\"") && !body.contains("rel=\"next\""),
        "{body}"
    );
    let (status, body) = get("/digest?date=2026-11-20").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        body.contains("href=\"/digest?date=2026-11-19\" rel=\"prev\""),
        "{body}"
    );
    assert!(
        body.contains("href=\"/digest?date=2026-11-21\" rel=\"next\""),
        "{body}"
    );
    // The archive lists the days with items, each linking to its digest.
    let (status, body) = get("/digests").await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("href=\"/digest?date="), "{body}");
    assert!(body.contains(" مادة</li>"), "{body}");
}

#[tokio::test]
async fn item_page_shows_the_stored_text_and_tags() {
    let id = rasd_core::item_id_for_url("https://example.jo/1");
    let (status, body) = get(&format!("/item/{id}")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body.contains("<html lang=\"ar\" dir=\"rtl\">"));
    assert!(body.contains("ضبطت الشرطة مشتبهاً بسرقة مركبة."));
    assert!(body.contains("href=\"/search?topic=theft\""));
    assert!(body.contains("href=\"https://example.jo/1\""));
    // The event place is a filter; the place only named is shown apart, not as one.
    assert!(body.contains("href=\"/search?place=zarqa\""), "{body}");
    assert!(
        body.contains("ذُكرت أيضاً: <span class=\"tag\" dir=\"auto\">عمان</span>"),
        "{body}"
    );
    assert!(!body.contains("href=\"/?place=amman\""), "{body}");
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
        body.contains("use yes for items about the Public Security Directorate or no"),
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
    assert!(body.contains("use yes for items"), "{body}");
}

#[tokio::test]
async fn search_page_has_sentiment_and_police_facets_and_badges() {
    let (status, body) = get("/").await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("<html lang=\"ar\" dir=\"rtl\">"));
    assert!(body.contains("<h4>المشاعر</h4>"), "{body}");
    assert!(
        body.contains("href=\"/search?sentiment=negative\"><bdi>سلبي</bdi></a>"),
        "{body}"
    );
    assert!(body.contains("href=\"/search?police=yes\"><bdi>عن الشرطة</bdi></a>"));
    assert!(body.contains("href=\"/search?police=no\"><bdi>ليس عن الشرطة</bdi></a>"));
    // Each badge has words, not only a colour.
    assert!(
        body.contains("<span class=\"badge s-negative\" title=\"-0.64\">سلبي</span>"),
        "{body}"
    );
    assert!(body.contains("<span class=\"badge s-positive\" title=\"+0.82\">إيجابي</span>"));
    assert_eq!(body.matches("<span class=\"badge police\">").count(), 3);
    // A chosen filter is kept in the form and in the other facet links.
    let (_, body) = get("/?police=yes&sentiment=negative").await;
    assert!(body.contains("<option value=\"yes\" selected>"), "{body}");
    assert!(
        body.contains("<option value=\"negative\" selected>"),
        "{body}"
    );
    assert!(
        body.contains("href=\"/search?topic=theft&amp;sentiment=negative&amp;police=yes\""),
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
        body.contains("<a class=\"badge s-negative\" href=\"/search?sentiment=negative\">سلبي</a>"),
        "{body}"
    );
    // The signed score reads left to right inside the Arabic page.
    assert!(body.contains("<span dir=\"ltr\">(-0.64)</span>"), "{body}");
    assert!(
        body.contains("<a class=\"badge police\" href=\"/search?police=yes\">عن الشرطة</a>"),
        "{body}"
    );
    let id = rasd_core::item_id_for_url("https://example.jo/4");
    let (status, body) = get(&format!("/item/{id}")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body.contains("المشاعر: غير مقدّرة"), "{body}");
    assert!(
        body.contains("href=\"/search?police=no\">ليس عن الشرطة"),
        "{body}"
    );
    assert!(!body.contains("class=\"badge police\""), "{body}");
}

/// A GET as the logged-in `tester` reading in English (the `rasd_lang=en` cookie).
async fn get_in_english(uri: &str) -> (StatusCode, String) {
    let (status, _, body) = send_anon(
        app(state()),
        Request::get(uri).header("host", "localhost").header(
            "cookie",
            format!("{}={TEST_TOKEN}; rasd_lang=en", auth::SESSION_COOKIE),
        ),
    )
    .await;
    (status, body)
}

#[tokio::test]
async fn the_english_switch_shows_english_labels_on_the_search_and_item_pages() {
    let (status, body) = get_in_english("/search?police=yes").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body.contains("<html lang=\"en\" dir=\"ltr\">"), "{body}");
    assert!(body.contains("<title>Search · رصد</title>"), "{body}");
    assert!(
        body.contains("<button type=\"submit\">Search</button>"),
        "{body}"
    );
    assert!(body.contains("<h4>Sentiment</h4>"), "{body}");
    assert!(body.contains("<bdi>Theft</bdi></a>"), "{body}");
    assert!(body.contains("police: <bdi>about police</bdi>"), "{body}");
    assert!(
        body.contains("<span class=\"badge police\">police</span>"),
        "{body}"
    );
    assert!(body.contains("title=\"Asia/Amman time\""), "{body}");
    // No Arabic label is left (the Arabic titles of the items are theirs).
    for ar in ["بحث", "المشاعر", "الشرطة:", "مسح الكل", "نتيجة", "توقيت"]
    {
        assert!(!body.contains(ar), "{ar}: {body}");
    }

    let id = rasd_core::item_id_for_url("https://example.jo/1");
    let (status, body) = get_in_english(&format!("/item/{id}")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // The chrome reads in English; the Arabic article keeps its language and direction.
    assert!(body.contains("<html lang=\"en\" dir=\"ltr\">"), "{body}");
    assert!(body.contains("<article lang=\"ar\" dir=\"rtl\">"), "{body}");
    assert!(
        body.contains(
            "Sentiment: <a class=\"badge s-negative\" href=\"/search?sentiment=negative\">negative</a>"
        ),
        "{body}"
    );
    assert!(body.contains(">about police</a>"), "{body}");
    assert!(
        body.contains("Also named: <span class=\"tag\" dir=\"auto\">Amman</span>"),
        "{body}"
    );
    assert!(
        body.contains("href=\"/search?topic=theft\" dir=\"auto\">Theft</a>"),
        "{body}"
    );
    assert!(body.contains("<h2>Why these tags</h2>"), "{body}");
    assert!(body.contains("<h2>Fix tags</h2>"), "{body}");
    assert!(body.contains("↗ original</a>"), "{body}");
    for ar in ["لماذا", "المشاعر", "ذُكرت", "المصدر الأصلي", "تصحيح"]
    {
        assert!(!body.contains(ar), "{ar}: {body}");
    }

    let (status, body) = get_in_english("/item/0000").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(body.contains("No item has this id."), "{body}");
    let (_, body) = get_in_english("/digests").await;
    assert!(body.contains("<h1>Digest archive</h1>"), "{body}");
}

/// A feed title carrying markup: a `<script>` and an element with an `onerror=` attribute.
const HOSTILE_TITLE: &str = "سرقة <img src=x onerror=alert(1)> <script>alert(2)</script>";

#[tokio::test]
async fn markup_in_a_feed_title_is_text_on_the_search_item_and_archive_pages() {
    let mut item = Item::new(
        "s1",
        "https://example.jo/hostile",
        HOSTILE_TITLE,
        "نص <b onmouseover=alert(3)>الخبر</b>",
        Utc::now(),
    );
    item.tags.lang = Lang::Ar;
    item.tags.topics = vec!["theft".into()];
    let id = item.id.clone();
    let state = || state_with("", "", vec![item.clone()]);
    let shown = "سرقة &lt;img src=x onerror=alert(1)&gt; &lt;script&gt;alert(2)&lt;/script&gt;";
    for uri in [
        "/search?topic=theft".to_string(),
        format!("/item/{id}"),
        "/digests".to_string(),
    ] {
        let (status, _, page) = get_with(state(), &uri).await;
        assert_eq!(status, StatusCode::OK, "{uri}: {page}");
        for raw in ["<script", "<img", "<b "] {
            assert!(!page.contains(raw), "{uri} has {raw:?}:\n{page}");
        }
        if !uri.starts_with("/digests") {
            assert!(page.contains(shown), "{uri}: {page}");
        }
    }
    let (_, _, page) = get_with(state(), &format!("/item/{id}")).await;
    assert!(
        page.contains(&format!("<title>{shown} · رصد</title>")),
        "{page}"
    );
    assert!(
        page.contains(&format!("<h1 dir=\"auto\">{shown}</h1>")),
        "{page}"
    );
    assert!(
        page.contains("نص &lt;b onmouseover=alert(3)&gt;الخبر&lt;/b&gt;"),
        "{page}"
    );
    // The archive lists the day of the item, without its title.
    let (_, _, page) = get_with(state(), "/digests").await;
    assert!(page.contains(" مادة</li>"), "{page}");
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
         Cookie: rasd_session=test-session-token\r\nConnection: close\r\n\r\n",
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

/// The item page, served on a loopback port, says why a stored Arabic item has its tags:
/// the topic's terms, the place's names, the police names and the stance cues, and the text
/// the sentiment model would read; the stored text is escaped.
#[tokio::test]
async fn served_on_loopback_the_item_page_explains_the_tags_of_an_arabic_item() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let topics = format!(
        "{TOPICS}\n[police]\nlocal_terms = [\"الشرطة\"]\n[police.stance]\n\
         approving = [\"ما قصروا\"]\ncritical = [\"تقصير\"]\n"
    );
    let config = Config::from_texts(Path::new("cfg"), ["", "", &topics, PLACES, ""]).unwrap();
    let enricher = rasd_enrich::Enricher::from_config(&config).unwrap();
    let item = enricher.apply(
        Item::new(
            "s1",
            "https://example.jo/why",
            "سرقة محل في الزرقاء <script>x</script>",
            "والله الشرطة ما قصّروا، وصلوا بسرعة.",
            Utc::now(),
        ),
        None,
    );
    assert!(item.tags.about_police, "{:?}", item.tags);
    let id = item.id.clone();
    let mut state = state_with("", "", vec![item]);
    state.config = Arc::new(config);
    state.enricher = Arc::new(enricher);

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(serve(listener, state, async {
        let _ = stopped.await;
    }));
    let mut conn = tokio::net::TcpStream::connect(addr).await.unwrap();
    let request = format!(
        "GET /item/{id} HTTP/1.1\r\nHost: {addr}\r\nCookie: rasd_session=test-session-token\r\nConnection: close\r\n\r\n"
    );
    conn.write_all(request.as_bytes()).await.unwrap();
    let mut response = Vec::new();
    conn.read_to_end(&mut response).await.unwrap();
    let response = String::from_utf8(response).unwrap();
    stop.send(()).unwrap();
    server.await.unwrap().unwrap();
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    let body = response.split("\r\n\r\n").nth(1).unwrap();
    assert!(body.contains("<html lang=\"ar\" dir=\"rtl\">"), "{body}");
    let why = &body[body.find("<section id=\"why\">").expect("a why section")..];
    assert!(why.contains("<h2>لماذا هذه الوسوم</h2>"), "{why}");
    // The topic with the term that gave it, the governorate with the name found, its role
    // and the cue that gave the role.
    assert!(why.contains("السرقة: <bdi>سرقة</bdi>"), "{why}");
    assert!(
        why.contains("<bdi>الزرقاء</bdi>: <bdi>الزرقاء</bdi> (<span dir=\"ltr\">event</span> ← <bdi>في</bdi>)"),
        "{why}"
    );
    // The police names and the stance cue (as written in the config).
    assert!(why.contains("<bdi>الشرطة</bdi>"), "{why}");
    assert!(
        why.contains("<td dir=\"auto\">مؤيد <span class=\"meta\">"),
        "{why}"
    );
    assert!(why.contains("<bdi>ما قصروا</bdi>"), "{why}");
    // No sentiment model in this state: said so.
    assert!(why.contains("<td dir=\"auto\">غير محمّل</td>"), "{why}");
    // The stored stance beside the police flag.
    assert!(
        body.contains("الموقف من الأمن العام: <span class=\"badge stance-approving\">مؤيد</span>"),
        "{body}"
    );
    assert!(!body.contains("<script>x"), "{body}");
}

#[tokio::test]
async fn health_is_503_while_the_index_is_far_behind_the_store() {
    let config = Config::from_texts(Path::new("cfg"), ["", "", TOPICS, PLACES, ""]).unwrap();
    let store = Store::open_test();
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
    let state = {
        logged_in(&store);
        let enricher = Arc::new(rasd_enrich::Enricher::from_config(&config).unwrap());
        AppState::new(
            Arc::new(store),
            Arc::new(SearchIndex::create_in_ram().unwrap()),
            Arc::new(config),
            enricher,
        )
    };
    let resp = app(state)
        .oneshot(
            Request::get("/healthz")
                .header("host", "localhost")
                .body(Body::empty())
                .unwrap(),
        )
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
                .oneshot(
                    Request::get(&uri)
                        .header("host", "localhost")
                        .header("cookie", format!("{}={TEST_TOKEN}", auth::SESSION_COOKIE))
                        .body(Body::empty())
                        .unwrap(),
                )
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

/// The headers every response must carry; `csp` is the policy expected.
fn assert_security_headers(what: &str, headers: &axum::http::HeaderMap, csp: &str) {
    let h = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_else(|| panic!("{what}: no {name} in {headers:?}"))
            .to_string()
    };
    assert_eq!(h("content-security-policy"), csp, "{what}");
    assert_eq!(h("x-content-type-options"), "nosniff", "{what}");
    assert_eq!(h("x-frame-options"), "DENY", "{what}");
    assert_eq!(h("referrer-policy"), "no-referrer", "{what}");
    assert_eq!(h("cross-origin-opener-policy"), "same-origin", "{what}");
}

#[tokio::test]
async fn foreign_hosts_are_refused_with_421() {
    for host in [
        "evil.example",
        "127.0.0.1.evil.example",
        "localhost.evil.example:8080",
        "evil.example:8080",
        "127.0.0.1:9999",
        "127.0.0.2",
        "localhost.",
    ] {
        let (status, headers, body) = get_as(host, "/api/search").await;
        assert_eq!(status, StatusCode::MISDIRECTED_REQUEST, "{host}: {body}");
        assert!(body.contains("[server] allowed_hosts"), "{host}: {body}");
        assert!(!body.contains("total"), "{host}: {body}");
        assert_security_headers(host, &headers, guard::CSP);
    }
    // A request without a Host, or with two, is 400.
    let (status, headers, body) = send(app(state()), Request::get("/healthz")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(body.contains("no Host header"), "{body}");
    assert_security_headers("no host", &headers, guard::CSP);
    let two = Request::get("/healthz")
        .header("host", "localhost")
        .header("host", "evil.example");
    let (status, _, body) = send(app(state()), two).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    // An absolute-form request names its host in the URI too; both must be allowed.
    let absolute = Request::get("http://evil.example/healthz").header("host", "localhost");
    let (status, _, _) = send(app(state()), absolute).await;
    assert_eq!(status, StatusCode::MISDIRECTED_REQUEST);
}

#[tokio::test]
async fn loopback_names_with_and_without_the_port_are_answered() {
    for host in [
        "localhost",
        "localhost:8080",
        "LocalHost:8080",
        "127.0.0.1",
        "127.0.0.1:8080",
        "[::1]",
        "[::1]:8080",
    ] {
        let (status, _, body) = get_as(host, "/healthz").await;
        assert_eq!(status, StatusCode::OK, "{host}: {body}");
        assert!(body.contains("\"status\":\"ok\""), "{host}: {body}");
    }
}

#[tokio::test]
async fn configured_allowed_hosts_replace_the_defaults() {
    let state = || {
        state_with(
            "[server]\nlisten = \"0.0.0.0:8080\"\nallowed_hosts = [\"rasd.example.jo\", \"10.1.2.3:8080\"]\n",
            "",
            Vec::new(),
        )
    };
    for (host, status) in [
        ("rasd.example.jo", StatusCode::OK),
        ("RASD.example.jo", StatusCode::OK),
        ("10.1.2.3:8080", StatusCode::OK),
        ("rasd.example.jo:8080", StatusCode::MISDIRECTED_REQUEST),
        ("10.1.2.3", StatusCode::MISDIRECTED_REQUEST),
        ("localhost:8080", StatusCode::MISDIRECTED_REQUEST),
        ("0.0.0.0:8080", StatusCode::MISDIRECTED_REQUEST),
    ] {
        let (got, _, body) =
            send(app(state()), Request::get("/healthz").header("host", host)).await;
        assert_eq!(got, status, "{host}: {body}");
    }
}

#[test]
fn default_allowed_hosts_follow_the_listen_address() {
    let server = rasd_core::ServerSettings::default();
    let hosts = |listen: &str| {
        AllowedHosts::new(&server, listen.parse().unwrap())
            .iter()
            .map(str::to_string)
            .collect::<Vec<_>>()
    };
    assert_eq!(
        hosts("10.0.0.5:9000"),
        [
            "10.0.0.5",
            "10.0.0.5:9000",
            "127.0.0.1",
            "127.0.0.1:9000",
            "[::1]",
            "[::1]:9000",
            "localhost",
            "localhost:9000"
        ]
    );
    // An unspecified address is not a name anyone browses to.
    assert!(
        !hosts("0.0.0.0:8080")
            .iter()
            .any(|h| h.starts_with("0.0.0.0"))
    );
    assert!(!hosts("[::]:8080").iter().any(|h| h.starts_with("[::]")));
    assert!(hosts("[fd00::5]:8080").contains(&"[fd00::5]:8080".to_string()));
    assert_eq!(hosts("127.0.0.1:8080").len(), 6);
}

#[test]
fn only_listening_beyond_loopback_warns() {
    for addr in [
        "127.0.0.1:8080",
        "127.0.0.9:80",
        "[::1]:8080",
        "[::ffff:127.0.0.1]:8080",
    ] {
        assert!(!warn_if_exposed(addr.parse().unwrap()), "{addr}");
    }
    for addr in [
        "0.0.0.0:8080",
        "[::]:8080",
        "192.168.1.5:8080",
        "[fd00::5]:8080",
    ] {
        assert!(warn_if_exposed(addr.parse().unwrap()), "{addr}");
    }
}

#[tokio::test]
async fn every_response_carries_the_security_headers() {
    let id = rasd_core::item_id_for_url("https://example.jo/1");
    for (uri, status) in [
        ("/".to_string(), StatusCode::OK),
        (format!("/item/{id}"), StatusCode::OK),
        ("/item/0000".to_string(), StatusCode::NOT_FOUND),
        ("/no/such/page".to_string(), StatusCode::NOT_FOUND),
        ("/api/search?lang=fr".to_string(), StatusCode::BAD_REQUEST),
        (
            "/api/search?limit=many".to_string(),
            StatusCode::BAD_REQUEST,
        ),
        ("/?police=maybe".to_string(), StatusCode::BAD_REQUEST),
        ("/api/search".to_string(), StatusCode::OK),
        ("/api/status".to_string(), StatusCode::OK),
        ("/healthz".to_string(), StatusCode::OK),
        ("/static/rasd.css".to_string(), StatusCode::OK),
        ("/digest?date=soon".to_string(), StatusCode::BAD_REQUEST),
    ] {
        let (got, headers, body) = get_as("localhost:8080", &uri).await;
        assert_eq!(got, status, "{uri}: {body}");
        assert_security_headers(&uri, &headers, guard::CSP);
    }
    let (_, headers, css) = get_as("localhost", "/static/rasd.css").await;
    assert_eq!(headers["content-type"], "text/css; charset=utf-8");
    assert_eq!(css, STYLESHEET);
}

#[tokio::test]
async fn pages_have_no_inline_script_or_style() {
    let id = rasd_core::item_id_for_url("https://example.jo/1");
    for uri in [
        "/".to_string(),
        format!("/item/{id}"),
        "/item/0000".to_string(),
        "/?police=maybe".to_string(),
    ] {
        let (_, body) = get(&uri).await;
        assert!(
            body.contains("<link rel=\"stylesheet\" href=\"/static/rasd.css\">"),
            "{uri}"
        );
        for inline in ["<script", "<style", "style="] {
            assert!(!body.contains(inline), "{uri} has {inline:?}:\n{body}");
        }
    }
    // Every class the pages use is in the stylesheet they link.
    for class in [
        ".results",
        ".hit",
        ".tag",
        ".badge",
        ".s-negative",
        ".police",
        ".error",
        "article",
    ] {
        assert!(STYLESHEET.contains(class), "{class}");
    }
}

#[tokio::test]
async fn the_digest_keeps_its_inline_stylesheet_allowed_by_hash() {
    use base64::Engine;
    use sha2::Digest;
    let (status, headers, body) = get_as("localhost", "/digest").await;
    assert_eq!(status, StatusCode::OK);
    let start = body.find("<style>").unwrap() + "<style>".len();
    let end = body.find("</style>").unwrap();
    let hash =
        base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(&body[start..end]));
    let csp = headers["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        csp.contains(&format!("style-src 'self' 'sha256-{hash}';")),
        "{csp}"
    );
    assert!(
        !csp.contains("unsafe-inline") && !csp.contains("script-src"),
        "{csp}"
    );
    assert!(csp.starts_with("default-src 'none';") && csp.contains("frame-ancestors 'none'"));
    assert!(!body.contains("<script") && !body.contains("style=\""));
    assert_security_headers("/digest", &headers, &csp);
}

/// An item whose title carries a right-to-left override: `Invoice\u{202E}gpj.exe` would display as
/// "Invoiceexe.jpg".
fn spoofed_item() -> Item {
    let mut item = Item::new(
        "s3",
        "https://example.com/invoice",
        "Invoice\u{202E}gpj.exe",
        "Open Invoice\u{202E}gpj.exe today. The theft of \u{2066}data\u{2069} continues.",
        Utc::now(),
    );
    item.tags.lang = Lang::En;
    item.tags.topics = vec!["theft".into()];
    item
}

const SPOOF_SOURCE: &str = "[[source]]\nid = \"s3\"\nname = \"\\u202BOutlet\"\nkind = \"feed\"\nurl = \"https://example.com/rss\"\n";

fn assert_no_bidi_controls(what: &str, text: &str) {
    for c in [
        '\u{202A}', '\u{202B}', '\u{202C}', '\u{202D}', '\u{202E}', '\u{2066}', '\u{2067}',
        '\u{2068}', '\u{2069}',
    ] {
        assert!(!text.contains(c), "{what} shows {c:?}:\n{text}");
    }
}

#[tokio::test]
async fn a_bidi_override_in_a_feed_title_is_not_shown() {
    let state = || state_with("", SPOOF_SOURCE, vec![spoofed_item()]);
    let get = |uri: String| async move {
        let (status, _, body) = send(
            app(state()),
            Request::get(uri.as_str()).header("host", "localhost"),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{uri}: {body}");
        body
    };
    // The search page.
    let page = get("/?lang=en".into()).await;
    assert_no_bidi_controls("search page", &page);
    assert!(page.contains("dir=\"auto\">Invoicegpj.exe</a>"), "{page}");
    assert!(page.contains("<bdi>Outlet</bdi>"), "{page}");
    // The item page, title and text.
    let id = rasd_core::item_id_for_url("https://example.com/invoice");
    let page = get(format!("/item/{id}")).await;
    assert_no_bidi_controls("item page", &page);
    assert!(
        page.contains("<title>Invoicegpj.exe · رصد</title>"),
        "{page}"
    );
    // The page reads in the reader's language; the article in the item's.
    assert!(page.contains("<html lang=\"ar\" dir=\"rtl\">"), "{page}");
    assert!(page.contains("<article lang=\"en\" dir=\"ltr\">"), "{page}");
    assert!(
        page.contains("<h1 dir=\"auto\">Invoicegpj.exe</h1>"),
        "{page}"
    );
    assert!(
        page.contains("Open Invoicegpj.exe today. The theft of data continues."),
        "{page}"
    );
    // The API's display fields.
    let v = json(&get("/api/search?lang=en&q=invoicegpj".into()).await);
    assert_eq!(v["total"], 1, "{v}");
    assert_eq!(v["hits"][0]["title"], "Invoicegpj.exe");
    assert_no_bidi_controls("API snippet", v["hits"][0]["snippet"].as_str().unwrap());
    // The digest.
    let digest = get("/digest".into()).await;
    assert_no_bidi_controls("digest", &digest);
    assert!(digest.contains(">Invoicegpj.exe</a>"), "{digest}");
    // The store keeps the title as fetched.
    let stored = state().store.get_item(&id).unwrap().unwrap();
    assert_eq!(stored.title, "Invoice\u{202E}gpj.exe");
}

/// The real server on a loopback port answers its own address and refuses a rebound name.
#[tokio::test]
async fn served_on_loopback_a_rebound_host_name_is_refused() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(serve(listener, state(), async {
        let _ = stopped.await;
    }));
    let port = addr.port();
    for (host, status) in [
        (format!("localhost:{port}"), "200"),
        (format!("evil.example:{port}"), "421"),
        ("127.0.0.1:8080".to_string(), "421"),
    ] {
        let mut conn = tokio::net::TcpStream::connect(addr).await.unwrap();
        let request = format!(
            "GET /healthz HTTP/1.1\r\nHost: {host}\r\nCookie: rasd_session=test-session-token\r\nConnection: close\r\n\r\n"
        );
        conn.write_all(request.as_bytes()).await.unwrap();
        let mut response = Vec::new();
        conn.read_to_end(&mut response).await.unwrap();
        let response = String::from_utf8(response).unwrap();
        assert!(
            response.starts_with(&format!("HTTP/1.1 {status}")),
            "{host}: {response}"
        );
        assert!(
            response
                .to_ascii_lowercase()
                .contains("x-frame-options: deny"),
            "{response}"
        );
    }
    stop.send(()).unwrap();
    server.await.unwrap().unwrap();
}

#[tokio::test]
async fn matched_words_are_marked_and_markup_from_the_item_stays_text() {
    let mut item = Item::new(
        "s1",
        "https://example.jo/markup",
        "تحذير من <b>احتيال</b>",
        "<script>alert(1)</script> حذرت الشرطة من احتيال إلكتروني & رسائل مزيفة.",
        Utc::now(),
    );
    item.tags.lang = Lang::Ar;
    let state = || state_with("", "", vec![item.clone()]);
    let (status, _, page) = send(
        app(state()),
        Request::get(format!("/?q={}", enc("احتيال")).as_str()).header("host", "localhost"),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(page.contains("<mark>احتيال</mark> إلكتروني"), "{page}");
    assert!(
        page.contains("تحذير من &lt;b&gt;<mark>احتيال</mark>"),
        "{page}"
    );
    assert!(
        page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "{page}"
    );
    assert!(!page.contains("<script>"), "{page}");
    let (_, _, body) = send(
        app(state()),
        Request::get(format!("/api/search?q={}", enc("احتيال")).as_str())
            .header("host", "localhost"),
    )
    .await;
    let v = json(&body);
    let hit = &v["hits"][0];
    let marked = hit["snippet_marked"].as_str().unwrap();
    assert!(marked.contains("من [[احتيال]] إلكتروني"), "{marked}");
    // Highlights count characters of the snippet.
    let snippet: Vec<char> = hit["snippet"].as_str().unwrap().chars().collect();
    let [a, b] = [0, 1].map(|i| hit["highlights"][0][i].as_u64().unwrap() as usize);
    assert_eq!(snippet[a..b].iter().collect::<String>(), "احتيال");
}

/// `n` Arabic items about thefts in Zarqa, a day apart, the last `copies` of them copies of
/// one story (the same title from other outlets).
fn theft_items(n: usize, copies: usize) -> Vec<Item> {
    (0..n)
        .map(|i| {
            let title = if i >= n - copies {
                "سرقة مركبات في الزرقاء".to_string()
            } else {
                format!("سرقة محل رقم {i} في الزرقاء")
            };
            let at = Utc::now() - chrono::Duration::days(i as i64);
            let mut item = Item::new(
                &format!("s{}", 1 + i % 2),
                &format!("https://example.jo/theft/{i}"),
                &title,
                &format!("أفادت الشرطة بوقوع سرقة رقم {i} في الزرقاء."),
                at,
            );
            item.published = Some(at);
            item.tags.lang = Lang::Ar;
            item.tags.topics = vec!["theft".into()];
            item.tags.places = vec!["zarqa".into()];
            item
        })
        .collect()
}

async fn get_with(state: AppState, uri: &str) -> (StatusCode, axum::http::HeaderMap, String) {
    send(app(state), Request::get(uri).header("host", "localhost")).await
}

#[tokio::test]
async fn api_v1_search_answers_a_page_with_total_took_ms_highlights_and_the_histogram() {
    let state = || state_with("", "", theft_items(30, 0));
    let (status, _, body) = get_with(
        state(),
        &format!("/api/v1/search?q={}&size=10&page=2", enc("سرقة")),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let v = json(&body);
    assert_eq!(v["total"], 31, "the thirty and the one of every test");
    assert_eq!(v["pages"], 4);
    assert_eq!(v["query"]["page"], 2);
    assert_eq!(v["query"]["size"], 10);
    assert_eq!(v["hits"].as_array().unwrap().len(), 10);
    assert!(v["took_ms"].as_f64().unwrap() >= 0.0);
    assert!(
        v["hits"][0]["snippet_marked"]
            .as_str()
            .unwrap()
            .contains("[[سرقة]]"),
        "{v}"
    );
    let days = v["facets"]["by_date"].as_array().unwrap();
    assert_eq!(v["facets"]["by_date_unit"], "day");
    let sum: u64 = days.iter().map(|d| d["count"].as_u64().unwrap()).sum();
    assert_eq!(sum, 31, "the histogram sums to the total");
    // Facets sum to the total too.
    let langs: u64 = v["facets"]["by_lang"]
        .as_object()
        .unwrap()
        .values()
        .map(|n| n.as_u64().unwrap())
        .sum();
    assert_eq!(langs, 31);
    // sort=date: newest first.
    let (_, _, body) = get_with(state(), "/api/v1/search?sort=date&size=3").await;
    let v = json(&body);
    assert_eq!(v["query"]["sort"], "date");
    let times: Vec<&str> = v["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["published"].as_str().unwrap_or(""))
        .collect();
    assert!(times.windows(2).all(|w| w[0] >= w[1]), "{times:?}");
}

#[tokio::test]
async fn api_v1_exports_csv_with_a_bom_and_json_lines() {
    let state = || state_with("", "", theft_items(5, 0));
    let (status, headers, body) = get_with(
        state(),
        &format!("/api/v1/search?q={}&format=csv", enc("سرقة")),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(headers["content-type"], "text/csv; charset=utf-8");
    assert!(
        headers["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment")
    );
    assert_eq!(headers["x-rasd-total"], "6");
    assert!(body.starts_with("\u{FEFF}id,published,source,lang,title,url,topics,places"));
    assert_eq!(
        body.trim_end().split("\r\n").count(),
        7,
        "a header and six rows"
    );
    assert!(body.contains("سرقة محل رقم 0 في الزرقاء"));
    assert!(body.contains("+03:00"), "Amman times: {body}");
    let (status, headers, body) =
        get_with(state(), "/api/v1/search?topic=theft&format=jsonl&max=2").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(
        headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/x-ndjson")
    );
    assert_eq!(headers["x-rasd-exported"], "2");
    let lines: Vec<serde_json::Value> = body.lines().map(json).collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["topics"][0], "theft");
    let (status, _, body) = get_with(state(), "/api/v1/search?format=xml").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.contains("use json"), "{body}");
}

#[tokio::test]
async fn bad_search_input_gets_an_answer_or_a_clear_error_never_a_500() {
    let long = "سرقة ".repeat(2000);
    let cases: Vec<(String, StatusCode, &str)> = vec![
        ("/api/v1/search?q=".into(), StatusCode::OK, ""),
        (
            format!("/api/v1/search?q={}", enc(&long)),
            StatusCode::BAD_REQUEST,
            "characters long",
        ),
        (
            format!("/api/v1/search?q={}", enc("\"سرقة")),
            StatusCode::BAD_REQUEST,
            "at position 1",
        ),
        (
            format!("/api/v1/search?q={}", enc("(سرقة")),
            StatusCode::BAD_REQUEST,
            "at position 1",
        ),
        (
            "/api/v1/search?q=colour%3Ared".into(),
            StatusCode::BAD_REQUEST,
            "no field `colour`",
        ),
        (
            "/api/v1/search?q=since%3Ayesterday".into(),
            StatusCode::BAD_REQUEST,
            "since:24h",
        ),
        (
            format!("/api/v1/search?q={}", enc("سرقة police\u{202E}")),
            StatusCode::OK,
            "",
        ),
        ("/api/v1/search?q=%00%00".into(), StatusCode::OK, ""),
        (
            format!("/api/v1/search?q={}", enc("سرقةpolice مركبةcar")),
            StatusCode::OK,
            "",
        ),
        (
            format!("/api/v1/search?q={}", enc("title:سرقة OR police")),
            StatusCode::OK,
            "",
        ),
        ("/api/v1/search?q=a&page=100000".into(), StatusCode::OK, ""),
        (
            "/api/v1/search?size=1000000".into(),
            StatusCode::BAD_REQUEST,
            "use 1 to 100",
        ),
        (
            "/api/v1/search?page=0".into(),
            StatusCode::BAD_REQUEST,
            "pages count from 1",
        ),
        (
            "/api/v1/search?page=abc".into(),
            StatusCode::BAD_REQUEST,
            "whole numbers",
        ),
        (
            "/api/v1/search?topic=fraud".into(),
            StatusCode::BAD_REQUEST,
            "the topics are: theft",
        ),
        (
            "/api/v1/search?place=oman".into(),
            StatusCode::BAD_REQUEST,
            "unknown place id",
        ),
        (
            "/api/v1/search?after=yesterday".into(),
            StatusCode::BAD_REQUEST,
            "YYYY-MM-DD",
        ),
        (
            "/api/v1/search?after=2026-11-10&before=2026-11-01".into(),
            StatusCode::BAD_REQUEST,
            "swap",
        ),
        (
            "/api/v1/search?saved=nope".into(),
            StatusCode::BAD_REQUEST,
            "no saved search",
        ),
        (
            "/api/v1/search?max=0&format=csv".into(),
            StatusCode::BAD_REQUEST,
            "max 0",
        ),
    ];
    for (uri, want, says) in cases {
        let (status, _, body) = get_with(state(), &uri).await;
        assert_eq!(status, want, "{uri}: {body}");
        assert!(body.contains(says), "{uri}: {body}");
        // The page answers the same, as a page.
        let page = uri.replace("/api/v1/search", "/search");
        if !page.contains("format=") {
            let (status, _, body) = get_with(state(), &page).await;
            assert_eq!(status, want, "{page}");
            assert!(body.contains("<html lang=\"ar\" dir=\"rtl\">"), "{page}");
        }
    }
    // A page past the end: the total, no hits.
    let (_, _, body) = get_with(state(), "/api/v1/search?page=99").await;
    let v = json(&body);
    assert_eq!(v["total"], 4);
    assert!(v["hits"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn the_search_page_shows_active_filters_pages_folds_copies_and_amman_time() {
    let state = || state_with("", "", theft_items(25, 3));
    let (status, _, page) = get_with(
        state(),
        &format!("/search?q={}&source=s2&topic=theft", enc("سرقة")),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    // The source filter is visible, removable, and kept by the form.
    assert!(page.contains("المصدر: <bdi>s2</bdi>"), "{page}");
    assert!(
        page.contains(&format!(
            "href=\"/search?q={}&amp;topic=theft\" title=\"إزالة\"",
            enc("سرقة")
        )),
        "{page}"
    );
    assert!(page.contains("<input type=\"hidden\" name=\"source\" value=\"s2\">"));
    assert!(page.contains(">مسح الكل</a>"), "{page}");
    // Only s2's items.
    assert!(!page.contains("سرقة محل رقم 0 "), "{page}");
    // Every hit's time in Amman time, marked.
    assert!(page.contains("(UTC+03:00)</time>"), "{page}");
    assert!(page.contains("title=\"توقيت Asia/Amman\""));
    // Pages.
    let (_, _, page) = get_with(state(), &format!("/search?q={}&size=5", enc("سرقة"))).await;
    assert!(page.contains("rel=\"next\""), "{page}");
    assert!(!page.contains("rel=\"prev\""));
    assert!(page.contains(&format!(
        "href=\"/search?q={}&amp;size=5&amp;page=2\"",
        enc("سرقة")
    )));
    let (_, _, page) = get_with(state(), &format!("/search?q={}&size=5&page=2", enc("سرقة"))).await;
    assert!(page.contains("rel=\"prev\""), "{page}");
    // The three copies of one story fold under the first.
    let (_, _, page) = get_with(state(), "/search?sort=date&size=100").await;
    assert_eq!(page.matches("سرقة مركبات في الزرقاء").count(), 3, "{page}");
    assert!(
        page.contains("<span dir=\"ltr\">+2</span> من الخبر نفسه"),
        "{page}"
    );
    // The histogram and the export links.
    assert!(page.contains("<figure class=\"histogram\"><svg"), "{page}");
    assert!(
        page.contains("href=\"/api/v1/search?sort=date&amp;size=100&amp;format=csv\""),
        "{page}"
    );
}

#[tokio::test]
async fn every_topic_with_matches_is_in_the_facets_and_saved_searches_are_listed() {
    let topics: String = (0..18)
        .map(|i| format!("[[topic]]\nid = \"t{i}\"\nname_ar = \"موضوع {i}\"\nname_en = \"Topic {i}\"\nterms = [\"كلمة{i}\"]\n"))
        .collect();
    let config = Config::from_texts(Path::new("cfg"), ["", "", &topics, PLACES, ""]).unwrap();
    let items: Vec<Item> = (0..18)
        .map(|i| {
            let mut item = Item::new(
                "s1",
                &format!("https://example.jo/t/{i}"),
                &format!("خبر {i}"),
                "نص",
                Utc::now(),
            );
            item.tags.lang = Lang::Ar;
            item.tags.topics = vec![format!("t{i}")];
            item
        })
        .collect();
    let store = Store::open_test();
    store.upsert_items(&items).unwrap();
    store
        .save_search(
            "سرقات الزرقاء",
            "سرقة",
            &std::collections::BTreeMap::new(),
            None,
            Utc::now(),
        )
        .unwrap();
    let index = SearchIndex::create_in_ram().unwrap();
    let mut sink = index.writer().unwrap();
    sink.index_items(&items).unwrap();
    sink.commit().unwrap();
    let state = {
        logged_in(&store);
        let enricher = Arc::new(rasd_enrich::Enricher::from_config(&config).unwrap());
        AppState::new(Arc::new(store), Arc::new(index), Arc::new(config), enricher)
    };
    let (status, _, page) = get_with(state, "/search").await;
    assert_eq!(status, StatusCode::OK);
    for i in 0..18 {
        assert!(
            page.contains(&format!("<bdi>موضوع {i}</bdi></a>")),
            "topic {i}: {page}"
        );
    }
    assert!(page.contains("<h4>عمليات بحث محفوظة</h4>"), "{page}");
    assert!(
        page.contains("title=\"سرقة\"><bdi>سرقات الزرقاء</bdi></a>"),
        "{page}"
    );
}

/// The value of the `/metrics` sample written exactly as `series`, 0 when absent (a label
/// set appears with its first event).
fn metric(text: &str, series: &str) -> f64 {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' '))
        .map_or(0.0, |v| v.parse().unwrap())
}

#[tokio::test]
async fn metrics_count_requests_by_route_template_and_status() {
    // The registry is the process's, shared with the tests running beside this one: only
    // increases are asserted.
    let app = app(state());
    let scrape = |app: Router| async move {
        let (status, headers, body) = send(
            app,
            Request::get("/metrics").header("host", "localhost:8080"),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(
            headers[header::CONTENT_TYPE],
            "text/plain; version=0.0.4; charset=utf-8"
        );
        body
    };
    let search_ok = r#"rasd_http_requests_total{route="/search",status="200"}"#;
    let missing = r#"rasd_http_requests_total{route="other",status="404"}"#;
    let item_missing = r#"rasd_http_requests_total{route="/item/{id}",status="404"}"#;
    let refused = r#"rasd_http_requests_total{route="/search",status="421"}"#;
    let before = scrape(app.clone()).await;

    let q: String = "سرقة".bytes().map(|b| format!("%{b:02X}")).collect();
    let (status, _, _) = send(
        app.clone(),
        Request::get(format!("/search?q={q}")).header("host", "localhost:8080"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    for uri in ["/no/such/page", "/item/ffff0000ffff0000ffff0000ffff0000"] {
        let (status, _, _) = send(app.clone(), Request::get(uri).header("host", "localhost")).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{uri}");
    }
    let (status, _, _) = send(
        app.clone(),
        Request::get("/search").header("host", "evil.example"),
    )
    .await;
    assert_eq!(status, StatusCode::MISDIRECTED_REQUEST);

    let after = scrape(app.clone()).await;
    for series in [search_ok, missing, item_missing, refused] {
        assert!(
            metric(&after, series) >= metric(&before, series) + 1.0,
            "{series} did not grow:\n{after}"
        );
    }
    // Labels are route templates, never the paths asked for.
    assert!(!after.contains("/no/such/page"), "{after}");
    assert!(!after.contains("ffff0000"), "{after}");
    assert!(after.contains("# TYPE rasd_http_request_duration_seconds histogram\n"));
    // Every route's histogram: buckets never fall, and +Inf is the count.
    for route in ["/search", "other", "/item/{id}"] {
        let bucket = |le: &str| {
            metric(
                &after,
                &format!(
                    "rasd_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"{le}\"}}"
                ),
            )
        };
        let count = metric(
            &after,
            &format!("rasd_http_request_duration_seconds_count{{route=\"{route}\"}}"),
        );
        assert!(count >= 1.0, "{route}: {after}");
        assert_eq!(bucket("+Inf"), count, "{route}: {after}");
        let les: Vec<f64> = rasd_core::metrics::LATENCY_BUCKETS
            .iter()
            .map(|le| bucket(&le.to_string()))
            .chain([count])
            .collect();
        assert!(les.windows(2).all(|w| w[0] <= w[1]), "{route}: {les:?}");
    }
}
