//! Fetching against real loopback servers: conditional GET, HTTP errors, the body cap, the
//! timeout, full-text pages, the address guard and file imports.

use std::convert::Infallible;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use bytes::Bytes;
use futures_util::stream;
use rasd_core::{FetchSettings, FetchState, Interval, SourceConfig, SourceKind};
use rasd_sources::{Fetcher, SourceOutcome};

const CAP: u64 = 64 * 1024;

#[derive(Clone)]
struct App {
    base: String,
    /// Bytes the endless handler has produced.
    produced: Arc<AtomicUsize>,
    /// Requests for the long article, which must never be fetched.
    long_hits: Arc<AtomicUsize>,
    /// Requests for the feed.
    feed_hits: Arc<AtomicUsize>,
    /// The last User-Agent seen.
    user_agent: Arc<Mutex<Option<String>>>,
}

struct Server {
    base: String,
    app: App,
}

async fn serve() -> Server {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let app = App {
        base: base.clone(),
        produced: Arc::default(),
        long_hits: Arc::default(),
        feed_hits: Arc::default(),
        user_agent: Arc::default(),
    };
    let router = Router::new()
        .route("/feed.xml", get(feed))
        .route("/article/1", get(article))
        .route("/article/long", get(long_article))
        .route("/endless", get(endless))
        .route("/declared-big", get(declared_big))
        .route("/slow", get(slow))
        .with_state(app.clone());
    tokio::spawn(async move {
        axum::serve(listener, router).await.unwrap();
    });
    Server { base, app }
}

const LONG_TEXT: &str = "أعلنت مديرية الأمن العام عن خطة مرورية شاملة لفصل الشتاء تتضمن نشر دوريات إضافية على الطرق الخارجية، \
وتكثيف الرقابة على السرعات في المناطق المرتفعة، والتنسيق مع الدفاع المدني للتعامل مع أي طارئ. \
وأوضح مدير إدارة السير أن الخطة تشمل حملات توعية في المدارس والجامعات حول القيادة الآمنة في الأجواء الماطرة، \
إضافة إلى متابعة جاهزية المركبات وإطاراتها، داعيا السائقين إلى الالتزام بالتعليمات وتخفيف السرعة وترك مسافة أمان كافية.";

async fn feed(State(app): State<App>, headers: HeaderMap) -> Response {
    app.feed_hits.fetch_add(1, Ordering::SeqCst);
    *app.user_agent.lock().unwrap() = headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    if headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        == Some("\"v1\"")
    {
        return StatusCode::NOT_MODIFIED.into_response();
    }
    let base = &app.base;
    let body = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>أخبار</title><link>{base}/</link><description>d</description>
<item><title>خطة مرورية للشتاء</title><link>{base}/article/long</link>
  <description>{LONG_TEXT}</description><pubDate>Sun, 22 Nov 2026 09:00:00 +0300</pubDate></item>
<item><title>ضبط مطلوبين في عمّان</title><link>{base}/article/1</link>
  <description>ألقت الأجهزة الأمنية القبض على…</description><pubDate>Sun, 22 Nov 2026 10:00:00 +0300</pubDate></item>
<item><title>خبر محذوف</title><link>{base}/article/missing</link>
  <description>ملخص الخبر المحذوف</description><pubDate>Sun, 22 Nov 2026 11:00:00 +0300</pubDate></item>
</channel></rss>"#
    );
    (
        [
            (header::CONTENT_TYPE, "application/rss+xml; charset=utf-8"),
            (header::ETAG, "\"v1\""),
        ],
        body,
    )
        .into_response()
}

const ARTICLE_P1: &str = "ألقت الأجهزة الأمنية القبض على ثلاثة مطلوبين في منطقة ماركا بالعاصمة عمّان، بعد مداهمة نفذتها قوة من البحث الجنائي فجر اليوم.";
const ARTICLE_P2: &str = "وقال الناطق الإعلامي إن المقبوض عليهم مطلوبون بقضايا سرقة واحتيال، وإنهم أحيلوا إلى المدعي العام لاستكمال الإجراءات القانونية بحقهم.";

async fn article() -> Response {
    let html = format!(
        r#"<!DOCTYPE html><html lang="ar" dir="rtl"><head><meta charset="utf-8"><title>ضبط مطلوبين</title>
<meta name="author" content="قسم الأخبار"></head><body>
<nav><a href="/">الرئيسية</a> <a href="/local">محليات</a></nav>
<div class="content"><h1>ضبط مطلوبين في عمّان</h1><p>{ARTICLE_P1}</p><p>{ARTICLE_P2}</p></div>
<div class="comments"><p>تعليق من قارئ يشكر فيه الأجهزة الأمنية على سرعة الاستجابة وحسن التعامل مع البلاغات.</p></div>
<footer>حقوق النشر</footer></body></html>"#
    );
    ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], html).into_response()
}

async fn long_article(State(app): State<App>) -> Response {
    app.long_hits.fetch_add(1, Ordering::SeqCst);
    ([(header::CONTENT_TYPE, "text/html")], "<p>لا يجب جلبها</p>").into_response()
}

/// A body with no Content-Length that never ends on its own.
async fn endless(State(app): State<App>) -> Response {
    let chunks = stream::unfold(app.produced, |produced| async move {
        produced.fetch_add(16 * 1024, Ordering::SeqCst);
        Some((
            Ok::<_, Infallible>(Bytes::from(vec![b' '; 16 * 1024])),
            produced,
        ))
    });
    (
        [(header::CONTENT_TYPE, "application/rss+xml")],
        Body::from_stream(chunks),
    )
        .into_response()
}

async fn declared_big() -> Response {
    (
        [(header::CONTENT_TYPE, "application/rss+xml")],
        vec![b' '; CAP as usize + 1],
    )
        .into_response()
}

async fn slow() -> Response {
    tokio::time::sleep(Duration::from_secs(60)).await;
    "too late".into_response()
}

fn settings() -> FetchSettings {
    FetchSettings {
        user_agent: "RasdTest/1".into(),
        contact: "ops@example.jo".into(),
        timeout: Interval(Duration::from_secs(2)),
        max_body_bytes: CAP,
        ..FetchSettings::default()
    }
}

fn source(url: &str, allow_private: bool) -> SourceConfig {
    SourceConfig {
        allow_private,
        ..SourceConfig::new("local-news", "Local", SourceKind::Feed, url)
    }
}

async fn fetch(url: &str) -> SourceOutcome {
    let fetcher = Fetcher::new(&settings()).unwrap();
    fetcher
        .fetch_source(&source(url, true), &FetchState::default())
        .await
}

fn reasons(out: &SourceOutcome) -> Vec<&'static str> {
    out.problems.iter().map(|p| p.reason).collect()
}

#[tokio::test]
async fn feed_then_not_modified() {
    let server = serve().await;
    let fetcher = Fetcher::new(&settings()).unwrap();
    let src = source(&format!("{}/feed.xml", server.base), true);
    let first = fetcher.fetch_source(&src, &FetchState::default()).await;
    assert_eq!(first.items.len(), 3);
    assert!(!first.not_modified);
    assert_eq!(first.state.etag.as_deref(), Some("\"v1\""));
    assert_eq!(first.state.source, "local-news");
    assert!(first.state.last_success.is_some());
    assert_eq!(
        server.app.user_agent.lock().unwrap().as_deref(),
        Some("RasdTest/1 (+ops@example.jo)")
    );

    let second = fetcher.fetch_source(&src, &first.state).await;
    assert!(second.not_modified);
    assert!(second.items.is_empty());
    assert!(second.problems.is_empty(), "{:?}", second.problems);
    assert_eq!(second.state.etag.as_deref(), Some("\"v1\""));
    assert_eq!(second.state.consecutive_failures, 0);
    assert_eq!(server.app.feed_hits.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn summary_entries_get_their_page_text() {
    let server = serve().await;
    let out = fetch(&format!("{}/feed.xml", server.base)).await;
    assert_eq!(out.items.len(), 3);

    let long = &out.items[0];
    assert!(long.body.starts_with("أعلنت مديرية الأمن العام"));
    assert_eq!(
        server.app.long_hits.load(Ordering::SeqCst),
        0,
        "a long entry is not fetched in auto mode"
    );

    let full = &out.items[1];
    assert_eq!(full.body, format!("{ARTICLE_P1}\n\n{ARTICLE_P2}"));
    assert_eq!(full.author.as_deref(), Some("قسم الأخبار"));
    assert_eq!(full.title, "ضبط مطلوبين في عمّان");

    let missing = &out.items[2];
    assert_eq!(missing.body, "ملخص الخبر المحذوف", "the summary is kept");
    assert_eq!(reasons(&out), ["page_fetch"]);
    let p = &out.problems[0];
    assert!(p.url.as_deref().unwrap().ends_with("/article/missing"));
    assert!(p.message.contains("404"), "{}", p.message);
    // A failed page does not make the source fail.
    assert_eq!(out.state.consecutive_failures, 0);
    assert!(out.state.last_error.is_none());
}

#[tokio::test]
async fn http_404_is_a_source_failure() {
    let server = serve().await;
    let fetcher = Fetcher::new(&settings()).unwrap();
    let state = FetchState {
        consecutive_failures: 2,
        etag: Some("\"old\"".into()),
        ..FetchState::default()
    };
    let out = fetcher
        .fetch_source(&source(&format!("{}/nope.xml", server.base), true), &state)
        .await;
    assert!(out.items.is_empty());
    assert_eq!(reasons(&out), ["http_status"]);
    assert_eq!(out.state.consecutive_failures, 3);
    assert!(
        out.state
            .last_error
            .as_deref()
            .unwrap()
            .contains("HTTP 404")
    );
    assert!(out.state.last_error_at.is_some());
    assert_eq!(
        out.state.etag.as_deref(),
        Some("\"old\""),
        "kept for next time"
    );
}

#[tokio::test]
async fn body_over_the_cap_stops_early() {
    let server = serve().await;
    let started = Instant::now();
    let out = fetch(&format!("{}/endless", server.base)).await;
    let produced = server.app.produced.load(Ordering::SeqCst);
    assert_eq!(reasons(&out), ["too_large"]);
    let msg = &out.problems[0].message;
    assert!(msg.contains(&CAP.to_string()), "{msg}");
    assert!(msg.contains("[fetch] max_body_bytes"), "{msg}");
    // Only socket buffers' worth beyond the cap was ever produced, not the endless body.
    assert!(
        produced < 64 * 1024 * 1024,
        "server produced {produced} bytes"
    );
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );

    let out = fetch(&format!("{}/declared-big", server.base)).await;
    assert_eq!(reasons(&out), ["too_large"]);
}

#[tokio::test]
async fn slow_response_times_out() {
    let server = serve().await;
    let started = Instant::now();
    let out = fetch(&format!("{}/slow", server.base)).await;
    assert_eq!(reasons(&out), ["timeout"]);
    assert!(out.problems[0].message.contains("[fetch] timeout"));
    assert!(started.elapsed() < Duration::from_secs(10));
    assert_eq!(out.state.consecutive_failures, 1);
}

#[tokio::test]
async fn private_addresses_are_refused_unless_allowed() {
    let server = serve().await;
    let fetcher = Fetcher::new(&settings()).unwrap();
    let port = server.base.rsplit(':').next().unwrap();
    for url in [
        format!("{}/feed.xml", server.base),
        format!("http://localhost:{port}/feed.xml"),
    ] {
        let out = fetcher
            .fetch_source(&source(&url, false), &FetchState::default())
            .await;
        assert_eq!(
            reasons(&out),
            ["blocked_address"],
            "{url}: {:?}",
            out.problems
        );
        assert!(out.problems[0].message.contains("allow_private"));
    }
    assert_eq!(
        server.app.feed_hits.load(Ordering::SeqCst),
        0,
        "nothing reached the server"
    );
    let err = fetcher
        .get(&format!("{}/feed.xml", server.base), false, None)
        .await
        .unwrap_err();
    assert_eq!(err.reason(), "blocked_address");
    let ok = fetcher
        .get(&format!("{}/feed.xml", server.base), true, None)
        .await
        .unwrap();
    assert_eq!(ok.status, 200);
    assert_eq!(ok.etag.as_deref(), Some("\"v1\""));
    assert!(ok.final_url.ends_with("/feed.xml"));
}

#[tokio::test]
async fn form_export_from_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("export.json");
    std::fs::write(
        &path,
        r#"[{"reference":"F-1","submitted_at":"2026-11-22T09:00:00+03:00","text":"إنارة الشارع معطلة قرب المدرسة","governorate":"zarqa","lang":"ar"},
            {"reference":"F-2","submitted_at":"not a date","text":"x","governorate":null,"lang":"ar"}]"#,
    )
    .unwrap();
    let fetcher = Fetcher::new(&settings()).unwrap();
    let mut src = source(&format!("file://{}", path.display()), false);
    src.kind = SourceKind::FormExport;
    src.id = "public-form".into();
    let out = fetcher.fetch_source(&src, &FetchState::default()).await;
    assert_eq!(out.items.len(), 1);
    assert_eq!(out.items[0].url, "form:public-form/F-1");
    assert_eq!(reasons(&out), ["bad_record"]);
    assert!(out.state.last_success.is_some());

    std::fs::write(&path, vec![b' '; CAP as usize + 10]).unwrap();
    let out = fetcher.fetch_source(&src, &FetchState::default()).await;
    assert_eq!(reasons(&out), ["too_large"]);
}
