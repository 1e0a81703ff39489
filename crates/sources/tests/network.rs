//! Fetching against real loopback servers: conditional GET, HTTP errors, the body cap, the
//! timeout, full-text pages, the address guard, file imports, robots.txt, per-host limits,
//! Retry-After and backoff, redirect loops and slow bodies; redirects to other private
//! hosts, proxies (configured, and from the environment), and the bounds of one poll (the
//! entry cap, pages only for new or changed entries, the time budget). A middleware logs every request
//! the server receives (path and time) and how many are in flight, so the tests assert what
//! reached the server, not only what the client reports.

use std::convert::Infallible;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use bytes::Bytes;
use chrono::Utc;
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
    /// Every request received: its path and when it arrived.
    log: Arc<Mutex<Vec<(String, Instant)>>>,
    /// Requests being handled now, and the most at once.
    in_flight: Arc<AtomicUsize>,
    max_in_flight: Arc<AtomicUsize>,
    /// What `/robots.txt` answers: a status and a body.
    robots: Arc<Mutex<(u16, String)>>,
}

impl App {
    /// When each request for `path` arrived, in order.
    fn hits(&self, path: &str) -> Vec<Instant> {
        self.log
            .lock()
            .unwrap()
            .iter()
            .filter(|(p, _)| p == path)
            .map(|(_, t)| *t)
            .collect()
    }

    fn set_robots(&self, status: u16, body: &str) {
        *self.robots.lock().unwrap() = (status, body.to_string());
    }
}

async fn spy(State(app): State<App>, req: Request, next: Next) -> Response {
    app.log
        .lock()
        .unwrap()
        .push((req.uri().path().to_string(), Instant::now()));
    let now = app.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
    app.max_in_flight.fetch_max(now, Ordering::SeqCst);
    let response = next.run(req).await;
    app.in_flight.fetch_sub(1, Ordering::SeqCst);
    response
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
        log: Arc::default(),
        in_flight: Arc::default(),
        max_in_flight: Arc::default(),
        robots: Arc::new(Mutex::new((404, String::new()))),
    };
    let router = Router::new()
        .route("/feed.xml", get(feed))
        .route("/private/feed.xml", get(feed))
        .route("/links-elsewhere.xml", get(links_elsewhere))
        .route("/article/1", get(article))
        .route("/article/long", get(long_article))
        .route("/endless", get(endless))
        .route("/declared-big", get(declared_big))
        .route("/slow", get(slow))
        .route("/drip", get(drip))
        .route("/busy", get(busy))
        .route("/limited", get(limited))
        .route("/unavailable", get(unavailable))
        .route("/loop", get(redirect_loop))
        .route("/robots.txt", get(robots))
        .layer(middleware::from_fn_with_state(app.clone(), spy))
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

/// A body that trickles one byte every 300 ms and never ends on its own.
async fn drip() -> Response {
    let chunks = stream::unfold((), |()| async {
        tokio::time::sleep(Duration::from_millis(300)).await;
        Some((Ok::<_, Infallible>(Bytes::from_static(b" ")), ()))
    });
    (
        [(header::CONTENT_TYPE, "application/rss+xml")],
        Body::from_stream(chunks),
    )
        .into_response()
}

/// Takes a while, so requests overlap.
async fn busy() -> Response {
    tokio::time::sleep(Duration::from_millis(250)).await;
    "ok".into_response()
}

async fn limited() -> Response {
    (
        StatusCode::TOO_MANY_REQUESTS,
        [(header::RETRY_AFTER, "120")],
        "تم تجاوز الحد",
    )
        .into_response()
}

async fn unavailable() -> Response {
    (StatusCode::SERVICE_UNAVAILABLE, "الخدمة غير متاحة").into_response()
}

async fn redirect_loop() -> Redirect {
    Redirect::temporary("/loop")
}

async fn robots(State(app): State<App>) -> Response {
    let (status, body) = app.robots.lock().unwrap().clone();
    (StatusCode::from_u16(status).unwrap(), body).into_response()
}

/// A feed whose entries link to this same server under other host names: `localhost`
/// instead of `127.0.0.1`, and another port.
async fn links_elsewhere(State(app): State<App>) -> Response {
    let port = app.base.rsplit(':').next().unwrap().to_string();
    let body = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>روابط</title><link>{base}/</link><description>d</description>
<item><title>رابط باسم آخر</title><link>http://localhost:{port}/article/1</link>
  <description>ملخص قصير</description><pubDate>Sun, 22 Nov 2026 09:00:00 +0300</pubDate></item>
<item><title>رابط إلى منفذ آخر</title><link>http://127.0.0.1:1/admin</link>
  <description>ملخص قصير آخر</description><pubDate>Sun, 22 Nov 2026 10:00:00 +0300</pubDate></item>
</channel></rss>"#,
        base = app.base
    );
    ([(header::CONTENT_TYPE, "application/rss+xml")], body).into_response()
}

fn settings() -> FetchSettings {
    FetchSettings {
        user_agent: "RasdTest/1".into(),
        contact: "ops@example.jo".into(),
        timeout: Interval(Duration::from_secs(2)),
        max_body_bytes: CAP,
        // The tests that need a delay set one.
        per_host_delay: Interval(Duration::ZERO),
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

/// Seconds from now until `at` (negative when past).
fn secs_until(at: chrono::DateTime<Utc>) -> i64 {
    (at - Utc::now()).num_seconds()
}

#[tokio::test]
async fn robots_disallowed_path_is_never_requested() {
    let server = serve().await;
    server.app.set_robots(
        200,
        "User-agent: *\nDisallow: /\n\n# Rasd may read the feeds, not the private area.\n\
         User-agent: Rasd\nDisallow: /private/\n",
    );
    let fetcher = Fetcher::new(&settings()).unwrap();
    let private = format!("{}/private/feed.xml", server.base);
    let out = fetcher
        .fetch_source(&source(&private, true), &FetchState::default())
        .await;
    assert!(out.items.is_empty());
    assert_eq!(reasons(&out), ["robots_disallowed"]);
    let msg = &out.problems[0].message;
    assert!(msg.contains(&private), "names the URL: {msg}");
    assert!(msg.contains("Disallow: /private/"), "names the rule: {msg}");
    assert_eq!(out.state.consecutive_failures, 1);
    assert!(out.retry_at.is_some());
    assert!(
        server.app.hits("/private/feed.xml").is_empty(),
        "never requested"
    );

    // The Rasd group allows the rest; robots.txt was fetched once for both.
    let ok = fetch_with(&fetcher, &format!("{}/feed.xml", server.base)).await;
    assert_eq!(ok.items.len(), 3, "{:?}", ok.problems);
    assert!(ok.retry_at.is_none());
    assert_eq!(server.app.hits("/robots.txt").len(), 1);

    // Article pages are checked too.
    let article_hits = server.app.hits("/article/1").len();
    assert_eq!(article_hits, 1, "fetched for its full text");
    server
        .app
        .set_robots(200, "User-agent: rasd\nDisallow: /article/\n");
    let fresh = Fetcher::new(&settings()).unwrap();
    let out = fetch_with(&fresh, &format!("{}/feed.xml", server.base)).await;
    assert_eq!(out.items.len(), 3);
    assert_eq!(reasons(&out), ["robots_disallowed", "robots_disallowed"]);
    assert_eq!(server.app.hits("/article/1").len(), article_hits);
    assert_eq!(
        out.state.consecutive_failures, 0,
        "a page is not the source"
    );
}

#[tokio::test]
async fn robots_server_error_disallows_the_site_for_now() {
    let server = serve().await;
    server.app.set_robots(503, "");
    let fetcher = Fetcher::new(&settings()).unwrap();
    let out = fetch_with(&fetcher, &format!("{}/feed.xml", server.base)).await;
    assert_eq!(reasons(&out), ["robots_unavailable"]);
    assert!(out.problems[0].message.contains("robots.txt"));
    assert!(server.app.hits("/feed.xml").is_empty());

    // With robots.txt not respected, the same fetch goes through.
    let mut relaxed = settings();
    relaxed.respect_robots = false;
    let out = fetch_with(
        &Fetcher::new(&relaxed).unwrap(),
        &format!("{}/feed.xml", server.base),
    )
    .await;
    assert_eq!(out.items.len(), 3);
    assert_eq!(server.app.hits("/robots.txt").len(), 1);
}

#[tokio::test]
async fn crawl_delay_spaces_requests_to_a_host() {
    let server = serve().await;
    server
        .app
        .set_robots(200, "User-agent: *\nCrawl-delay: 1\nDisallow: /nothing\n");
    let fetcher = Fetcher::new(&settings()).unwrap();
    let url = format!("{}/article/1", server.base);
    let gets = (0..3).map(|_| {
        let (f, u) = (fetcher.clone(), url.clone());
        tokio::spawn(async move { f.get(&u, true, None).await.map(|r| r.status) })
    });
    for g in gets.collect::<Vec<_>>() {
        assert_eq!(g.await.unwrap().unwrap(), 200);
    }
    let hits = server.app.hits("/article/1");
    assert_eq!(hits.len(), 3);
    for pair in hits.windows(2) {
        let gap = pair[1] - pair[0];
        assert!(gap >= Duration::from_millis(900), "gap {gap:?}");
    }
    assert_eq!(server.app.hits("/robots.txt").len(), 1);
}

#[tokio::test]
async fn per_host_concurrency_is_never_exceeded() {
    let server = serve().await;
    let mut s = settings();
    s.per_host_concurrency = 2;
    let fetcher = Fetcher::new(&s).unwrap();
    let url = format!("{}/busy", server.base);
    let gets: Vec<_> = (0..6)
        .map(|_| {
            let (f, u) = (fetcher.clone(), url.clone());
            tokio::spawn(async move { f.get(&u, true, None).await.map(|r| r.status) })
        })
        .collect();
    for g in gets {
        assert_eq!(g.await.unwrap().unwrap(), 200);
    }
    assert_eq!(server.app.hits("/busy").len(), 6);
    assert_eq!(
        server.app.max_in_flight.load(Ordering::SeqCst),
        2,
        "two at a time, never more"
    );
}

#[tokio::test]
async fn different_hosts_are_not_serialized() {
    let server = serve().await;
    let mut s = settings();
    s.per_host_concurrency = 1;
    s.per_host_delay = Interval(Duration::from_secs(30));
    // A robots.txt request would count against each host and delay the next by 30 s.
    s.respect_robots = false;
    let fetcher = Fetcher::new(&s).unwrap();
    let port = server.base.rsplit(':').next().unwrap();
    // One server under two host names: two hosts to the fetcher.
    let urls = [
        format!("{}/busy", server.base),
        format!("http://localhost:{port}/busy"),
    ];
    let started = Instant::now();
    let gets: Vec<_> = urls
        .into_iter()
        .map(|u| {
            let f = fetcher.clone();
            tokio::spawn(async move { f.get(&u, true, None).await.map(|r| r.status) })
        })
        .collect();
    for g in gets {
        assert_eq!(g.await.unwrap().unwrap(), 200);
    }
    assert_eq!(server.app.max_in_flight.load(Ordering::SeqCst), 2);
    assert!(started.elapsed() < Duration::from_secs(10), "no 30 s wait");
}

#[tokio::test]
async fn rate_limited_with_retry_after() {
    let server = serve().await;
    let fetcher = Fetcher::new(&settings()).unwrap();
    let out = fetch_with(&fetcher, &format!("{}/limited", server.base)).await;
    assert!(out.items.is_empty());
    assert_eq!(reasons(&out), ["http_status"]);
    assert!(out.problems[0].message.contains("429"));
    let wait = secs_until(out.retry_at.expect("retry_at is set"));
    assert!((115..=121).contains(&wait), "Retry-After 120 gave {wait}s");
}

#[tokio::test]
async fn repeated_503_doubles_the_backoff() {
    let server = serve().await;
    let fetcher = Fetcher::new(&settings()).unwrap();
    let mut src = source(&format!("{}/unavailable", server.base), true);
    src.interval = Some(Interval::from_secs(1000));
    let first = fetcher.fetch_source(&src, &FetchState::default()).await;
    assert_eq!(first.state.consecutive_failures, 1);
    let w1 = secs_until(first.retry_at.unwrap());
    assert!((790..=1200).contains(&w1), "first backoff {w1}s");
    let second = fetcher.fetch_source(&src, &first.state).await;
    assert_eq!(second.state.consecutive_failures, 2);
    let w2 = secs_until(second.retry_at.unwrap());
    assert!((1590..=2400).contains(&w2), "second backoff {w2}s");

    // Capped by max_backoff.
    let mut s = settings();
    s.max_backoff = Interval::from_secs(1500);
    let capped = Fetcher::new(&s).unwrap();
    let many = FetchState {
        consecutive_failures: 9,
        ..FetchState::default()
    };
    let out = capped.fetch_source(&src, &many).await;
    assert!(secs_until(out.retry_at.unwrap()) <= 1500);
    assert_eq!(server.app.hits("/unavailable").len(), 3);
}

#[tokio::test]
async fn redirect_loop_is_a_clear_problem() {
    let server = serve().await;
    let out = fetch(&format!("{}/loop", server.base)).await;
    assert_eq!(reasons(&out), ["too_many_redirects"]);
    let msg = &out.problems[0].message;
    assert!(msg.contains("more than 5 redirects"), "{msg}");
    assert!(msg.contains("[fetch] max_redirects"), "{msg}");
    let hits = server.app.hits("/loop").len();
    assert!((1..=6).contains(&hits), "{hits} requests");
}

#[tokio::test]
async fn dripping_body_times_out_within_bounds() {
    let server = serve().await;
    let started = Instant::now();
    let out = fetch(&format!("{}/drip", server.base)).await;
    assert_eq!(reasons(&out), ["timeout"], "{:?}", out.problems);
    let took = started.elapsed();
    assert!(
        took >= Duration::from_millis(1900) && took < Duration::from_secs(6),
        "{took:?}"
    );
    assert!(out.retry_at.is_some());
}

#[tokio::test]
async fn private_links_in_a_feed_are_blocked() {
    let server = serve().await;
    let fetcher = Fetcher::new(&settings()).unwrap();

    // A feed read from a file, by a source without allow_private, links to loopback.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("feed.xml");
    std::fs::write(
        &path,
        format!(
            r#"<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>ملف</title><link>https://example.jo/</link><description>d</description>
<item><title>ضبط مطلوبين</title><link>{}/article/1</link><description>ملخص</description>
  <pubDate>Sun, 22 Nov 2026 09:00:00 +0300</pubDate></item>
</channel></rss>"#,
            server.base
        ),
    )
    .unwrap();
    let out = fetcher
        .fetch_source(
            &source(&format!("file://{}", path.display()), false),
            &FetchState::default(),
        )
        .await;
    assert_eq!(out.items.len(), 1, "the entry is kept with its summary");
    assert_eq!(reasons(&out), ["blocked_address"]);
    assert!(out.problems[0].message.contains("allow_private"));

    // A trusted local source is trusted for its own host only: links to other names and
    // ports of loopback are refused.
    let out = fetch_with(&fetcher, &format!("{}/links-elsewhere.xml", server.base)).await;
    assert_eq!(out.items.len(), 2);
    assert_eq!(reasons(&out), ["blocked_address", "blocked_address"]);
    assert!(server.app.hits("/article/1").is_empty(), "never requested");
    assert!(server.app.hits("/admin").is_empty());
}

async fn fetch_with(fetcher: &Fetcher, url: &str) -> SourceOutcome {
    fetcher
        .fetch_source(&source(url, true), &FetchState::default())
        .await
}

// ---------------------------------------------------------------------------------------
// A configurable loopback site for the guard, proxy and per-poll bounds: its feed, its
// pages' delay and its redirects are set by each test, and it logs every request.

#[derive(Clone, Default)]
struct Lab {
    /// What `/feed.xml` answers.
    feed: Arc<Mutex<String>>,
    /// What `/home` answers (a site's front page).
    home: Arc<Mutex<String>>,
    /// How long `/page/{n}` takes.
    page_delay: Arc<Mutex<Duration>>,
    /// Where `/r/{i}` redirects to.
    redirects: Arc<Mutex<Vec<String>>>,
    /// Every request received: its path (and query).
    log: Arc<Mutex<Vec<String>>>,
}

impl Lab {
    fn hits(&self, path: &str) -> usize {
        self.log
            .lock()
            .unwrap()
            .iter()
            .filter(|p| *p == path)
            .count()
    }

    fn total(&self) -> usize {
        self.log.lock().unwrap().len()
    }

    fn page_hits_of(&self, prefix: &str) -> usize {
        self.log
            .lock()
            .unwrap()
            .iter()
            .filter(|p| p.starts_with(prefix))
            .count()
    }

    fn page_hits(&self) -> usize {
        self.log
            .lock()
            .unwrap()
            .iter()
            .filter(|p| p.starts_with("/page/"))
            .count()
    }
}

async fn lab_spy(State(lab): State<Lab>, req: Request, next: Next) -> Response {
    let path = req
        .uri()
        .path_and_query()
        .map_or_else(|| req.uri().path().to_string(), |p| p.to_string());
    lab.log.lock().unwrap().push(path);
    next.run(req).await
}

async fn lab_feed(State(lab): State<Lab>) -> Response {
    let body = lab.feed.lock().unwrap().clone();
    ([(header::CONTENT_TYPE, "application/rss+xml")], body).into_response()
}

async fn lab_home(State(lab): State<Lab>) -> Response {
    let body = lab.home.lock().unwrap().clone();
    ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], body).into_response()
}

async fn lab_page(
    State(lab): State<Lab>,
    axum::extract::Path(n): axum::extract::Path<String>,
) -> Response {
    let delay = *lab.page_delay.lock().unwrap();
    tokio::time::sleep(delay).await;
    let html = format!(
        "<!DOCTYPE html><html lang=\"ar\"><head><meta charset=\"utf-8\"><title>خبر {n}</title></head>\
         <body><article><h1>خبر رقم {n}</h1><p>{ARTICLE_P1}</p><p>{ARTICLE_P2}</p></article></body></html>"
    );
    ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], html).into_response()
}

/// The sentences of the story `/linked/{n}` serves.
const LINKED: [&str; 4] = [
    "ألقت الأجهزة الأمنية القبض على ثلاثة مطلوبين في منطقة ماركا بالعاصمة عمّان",
    "بعد مداهمة نفذتها قوة من البحث الجنائي فجر اليوم",
    "وقال الناطق الإعلامي إن المقبوض عليهم مطلوبون بقضايا سرقة واحتيال",
    "وإنهم أحيلوا إلى المدعي العام لاستكمال الإجراءات القانونية بحقهم",
];

/// An article page whose story a generic extractor cannot find: every phrase of it links to
/// a tag page, so it reads as a block of navigation links. A site rule (`div.story`) reads it.
async fn lab_linked(axum::extract::Path(n): axum::extract::Path<String>) -> Response {
    let story: String = LINKED
        .iter()
        .enumerate()
        .map(|(i, s)| {
            format!(
                "<a href=\"/tag/{i}\">{s}</a>{} ",
                if i % 2 == 0 { "،" } else { "." }
            )
        })
        .collect();
    let html = format!(
        "<!DOCTYPE html><html lang=\"ar\"><head><meta charset=\"utf-8\"><title>خبر مرتبط {n}</title>\
         <meta name=\"author\" content=\"قسم الأخبار\"></head><body><nav><a href=\"/\">الرئيسية</a></nav>\
         <h1>ضبط مطلوبين في ماركا {n}</h1><div class=\"story\">{story}</div><footer>حقوق النشر</footer></body></html>"
    );
    ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], html).into_response()
}

/// A short article page: two sentences, under 200 characters of text.
async fn lab_short(axum::extract::Path(n): axum::extract::Path<String>) -> Response {
    let html = format!(
        "<!DOCTYPE html><html lang=\"ar\"><head><meta charset=\"utf-8\"><title>خبر قصير {n}</title></head>\
         <body><nav><a href=\"/\">الرئيسية</a> <a href=\"/local\">محليات</a></nav>\
         <article><h1>خبر قصير {n}</h1><p>{SHORT_STORY}</p></article><footer>حقوق النشر</footer></body></html>"
    );
    ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], html).into_response()
}

const SHORT_STORY: &str = "أخمدت كوادر الدفاع المدني حريقاً شب في منزل بمدينة السلط مساء اليوم، \
     دون وقوع إصابات، وباشرت الجهات المختصة التحقيق في أسبابه.";

async fn lab_redirect(
    State(lab): State<Lab>,
    axum::extract::Path(i): axum::extract::Path<usize>,
) -> Response {
    let to = lab.redirects.lock().unwrap()[i].clone();
    (StatusCode::FOUND, [(header::LOCATION, to)]).into_response()
}

/// Starts a lab on `127.0.0.1:0`, or on `[::1]` at `port` when given (None if that fails).
async fn lab_on(addr: &str) -> Option<(String, Lab)> {
    let listener = tokio::net::TcpListener::bind(addr).await.ok()?;
    let local = listener.local_addr().ok()?;
    let lab = Lab::default();
    let router = Router::new()
        .route("/feed.xml", get(lab_feed))
        .route("/home", get(lab_home))
        .route("/page/{n}", get(lab_page))
        .route("/linked/{n}", get(lab_linked))
        .route("/short/{n}", get(lab_short))
        .route("/r/{i}", get(lab_redirect))
        .layer(middleware::from_fn_with_state(lab.clone(), lab_spy))
        .with_state(lab.clone());
    tokio::spawn(async move { axum::serve(listener, router).await });
    Some((format!("http://{local}"), lab))
}

async fn lab() -> (String, Lab) {
    lab_on("127.0.0.1:0").await.unwrap()
}

/// An RSS feed of `(link, title, summary, hours after the epoch)` entries.
fn rss_of(entries: &[(String, String, String, i64)]) -> String {
    let mut out = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><rss version=\"2.0\"><channel><title>مختبر</title>\
         <link>http://lab.example/</link><description>d</description>",
    );
    for (link, title, summary, hours) in entries {
        let date = (chrono::DateTime::UNIX_EPOCH + chrono::Duration::hours(*hours)).to_rfc2822();
        out.push_str(&format!(
            "<item><title>{title}</title><link>{link}</link><description>{summary}</description>\
             <pubDate>{date}</pubDate></item>"
        ));
    }
    out.push_str("</channel></rss>");
    out
}

/// `n` summary-only entries linking to `/page/{i}` on `base`, the first the oldest.
fn summary_entries(base: &str, n: usize) -> Vec<(String, String, String, i64)> {
    (0..n)
        .map(|i| {
            (
                format!("{base}/page/{i}"),
                format!("عنوان الخبر {i}"),
                format!("ملخص قصير للخبر {i}…"),
                1_000 + i as i64,
            )
        })
        .collect()
}

#[tokio::test]
async fn redirects_from_item_links_to_other_private_hosts_are_refused() {
    let (base, site) = lab().await;
    let (target, target_lab) = lab().await;
    let port = target.rsplit(':').next().unwrap().to_string();
    // The same target port on [::1], when this machine has IPv6 loopback.
    let v6 = lab_on(&format!("[::1]:{port}")).await;
    let redirects = vec![
        format!("{target}/page/secret"),
        format!("http://localhost:{port}/page/secret"),
        format!("http://[::1]:{port}/page/secret"),
        format!("http://2130706433:{port}/page/secret"),
        "http://169.254.169.254/latest/meta-data/".to_string(),
        // A redirect on the source's own host is followed.
        format!("{base}/page/own"),
    ];
    *site.redirects.lock().unwrap() = redirects.clone();
    let entries: Vec<_> = (0..redirects.len())
        .map(|i| {
            (
                format!("{base}/r/{i}"),
                format!("خبر محوَّل {i}"),
                "ملخص قصير".to_string(),
                i as i64,
            )
        })
        .collect();
    *site.feed.lock().unwrap() = rss_of(&entries);
    let fetcher = Fetcher::new(&settings()).unwrap();
    let out = fetch_with(&fetcher, &format!("{base}/feed.xml")).await;

    assert_eq!(out.items.len(), 6, "entries keep their summaries");
    assert_eq!(
        reasons(&out),
        ["blocked_redirect"; 5],
        "{:#?}",
        out.problems
    );
    for (p, to) in out.problems.iter().zip(&redirects) {
        assert!(
            p.message.contains("redirects to") && p.message.contains("own hosts"),
            "{}",
            p.message
        );
        let host = url::Url::parse(to).unwrap().host_str().unwrap().to_string();
        assert!(p.message.contains(&host), "{host} in {}", p.message);
    }
    assert_eq!(target_lab.total(), 0, "nothing reached the other port");
    if let Some((_, v6_lab)) = v6 {
        assert_eq!(v6_lab.total(), 0, "nothing reached [::1]");
    }
    let own = out.items.iter().find(|i| i.url.ends_with("/r/5")).unwrap();
    assert!(own.body.contains(ARTICLE_P1), "{}", own.body);
    assert_eq!(site.hits("/page/own"), 1);
}

#[tokio::test]
async fn a_feed_redirected_to_another_private_host_is_refused() {
    let (base, site) = lab().await;
    let (target, target_lab) = lab().await;
    *target_lab.feed.lock().unwrap() = rss_of(&summary_entries(&target, 2));
    let port = target.rsplit(':').next().unwrap().to_string();
    let fetcher = Fetcher::new(&settings()).unwrap();
    for to in [
        format!("{target}/feed.xml"),
        format!("http://localhost:{port}/feed.xml"),
        format!("http://2130706433:{port}/feed.xml"),
        "http://169.254.169.254/latest/meta-data/".to_string(),
    ] {
        *site.redirects.lock().unwrap() = vec![to.clone()];
        let out = fetch_with(&fetcher, &format!("{base}/r/0")).await;
        assert!(out.items.is_empty(), "{to}");
        assert_eq!(
            reasons(&out),
            ["blocked_redirect"],
            "{to}: {:?}",
            out.problems
        );
        assert_eq!(out.state.consecutive_failures, 1);
        assert!(
            out.state
                .last_error
                .as_deref()
                .unwrap()
                .contains("redirects to")
        );
    }
    assert_eq!(target_lab.total(), 0, "the target was never asked");
    // The same feed, redirected within the source's own host, is read.
    *site.feed.lock().unwrap() = rss_of(&summary_entries(&base, 1));
    *site.redirects.lock().unwrap() = vec![format!("{base}/feed.xml")];
    let out = fetch_with(&fetcher, &format!("{base}/r/0")).await;
    assert_eq!(out.items.len(), 1, "{:?}", out.problems);
}

#[tokio::test]
async fn a_configured_proxy_carries_public_requests_only() {
    // The proxy is a lab: a proxied `GET http://203.0.113.7/feed.xml` reaches its /feed.xml.
    let (proxy, proxy_lab) = lab().await;
    let (local, local_lab) = lab().await;
    *proxy_lab.feed.lock().unwrap() = rss_of(&[
        (
            "http://203.0.113.7/page/1".to_string(),
            "خبر عام".to_string(),
            LONG_TEXT.to_string(),
            1,
        ),
        (
            format!("{local}/page/2"),
            "رابط إلى عنوان خاص".to_string(),
            "ملخص".to_string(),
            2,
        ),
    ]);
    *local_lab.feed.lock().unwrap() = rss_of(&summary_entries(&local, 1));
    let mut s = settings();
    s.proxy = Some(proxy.clone());
    let fetcher = Fetcher::new(&s).unwrap();

    let out = fetcher
        .fetch_source(
            &source("http://203.0.113.7/feed.xml", false),
            &FetchState::default(),
        )
        .await;
    assert_eq!(out.items.len(), 2, "{:?}", out.problems);
    assert_eq!(proxy_lab.hits("/feed.xml"), 1, "through the proxy");
    // A link to a private address is refused before the proxy sees it.
    assert_eq!(reasons(&out), ["blocked_address"]);
    assert_eq!(local_lab.total(), 0);

    // A source on loopback without allow_private: refused, whatever its name.
    let port = local.rsplit(':').next().unwrap();
    let before = proxy_lab.total();
    for url in [
        format!("http://localhost:{port}/feed.xml"),
        format!("{local}/feed.xml"),
    ] {
        let out = fetcher
            .fetch_source(&source(&url, false), &FetchState::default())
            .await;
        assert_eq!(reasons(&out), ["blocked_address"], "{url}");
    }
    assert_eq!(proxy_lab.total(), before, "the proxy saw none of them");

    // A trusted local source goes straight to its server, never through the proxy.
    let out = fetch_with(&fetcher, &format!("{local}/feed.xml")).await;
    assert_eq!(out.items.len(), 1, "{:?}", out.problems);
    assert_eq!(local_lab.hits("/feed.xml"), 1);
    assert_eq!(local_lab.hits("/page/0"), 1);
    assert_eq!(proxy_lab.total(), before);
}

/// The environment variable that makes [`proxy_variables_of_the_environment_are_ignored`]
/// run as the child process.
const PROXY_CHILD: &str = "RASD_TEST_PROXY_CHILD";

#[tokio::test]
async fn proxy_variables_of_the_environment_are_ignored() {
    if let Ok(target) = std::env::var(PROXY_CHILD) {
        // The child, with HTTP_PROXY and friends set: a local source is read directly and
        // a loopback name without allow_private is refused.
        let fetcher = Fetcher::new(&settings()).unwrap();
        let out = fetch_with(&fetcher, &format!("{target}/feed.xml")).await;
        assert_eq!(out.items.len(), 1, "{:?}", out.problems);
        let port = target.rsplit(':').next().unwrap();
        let out = fetcher
            .fetch_source(
                &source(&format!("http://localhost:{port}/feed.xml"), false),
                &FetchState::default(),
            )
            .await;
        assert_eq!(reasons(&out), ["blocked_address"], "{:?}", out.problems);
        return;
    }
    // The "proxy": counts the connections it accepts, and answers none.
    let proxy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let proxy_url = format!("http://{}", proxy.local_addr().unwrap());
    let connections = Arc::new(AtomicUsize::new(0));
    let counted = connections.clone();
    std::thread::spawn(move || {
        for stream in proxy.incoming() {
            counted.fetch_add(1, Ordering::SeqCst);
            drop(stream);
        }
    });
    let (target, target_lab) = lab().await;
    *target_lab.feed.lock().unwrap() = rss_of(&[(
        format!("{target}/page/0"),
        "خبر".to_string(),
        LONG_TEXT.to_string(),
        1,
    )]);
    let mut child = std::process::Command::new(std::env::current_exe().unwrap());
    child
        .args([
            "--exact",
            "proxy_variables_of_the_environment_are_ignored",
            "--test-threads=1",
        ])
        .env(PROXY_CHILD, &target)
        .env_remove("NO_PROXY")
        .env_remove("no_proxy");
    for var in [
        "HTTP_PROXY",
        "http_proxy",
        "HTTPS_PROXY",
        "https_proxy",
        "ALL_PROXY",
        "all_proxy",
    ] {
        child.env(var, &proxy_url);
    }
    let output = tokio::task::spawn_blocking(move || child.output())
        .await
        .unwrap()
        .unwrap();
    assert!(
        output.status.success(),
        "the child failed:\n{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("1 passed"),
        "the child ran the test: {stdout}"
    );
    assert_eq!(target_lab.hits("/feed.xml"), 1, "read directly");
    assert_eq!(
        connections.load(Ordering::SeqCst),
        0,
        "the proxy was never used"
    );
}

#[tokio::test]
async fn a_huge_feed_is_cut_to_the_newest_entries() {
    let (base, site) = lab().await;
    // 5,000 entries, oldest first: the newest are at the end of the document.
    let entries: Vec<_> = (0..5000)
        .map(|i| {
            (
                format!("{base}/page/{i}"),
                format!("خبر {i}"),
                "ملخص".to_string(),
                i as i64,
            )
        })
        .collect();
    *site.feed.lock().unwrap() = rss_of(&entries);
    let mut s = settings();
    s.max_body_bytes = 10 * 1024 * 1024;
    let fetcher = Fetcher::new(&s).unwrap();
    let mut src = source(&format!("{base}/feed.xml"), true);
    src.fetch_full_text = rasd_core::FullText::Never;

    let out = fetcher.fetch_source(&src, &FetchState::default()).await;
    assert_eq!(out.items.len(), 500, "the default cap");
    let mut got: Vec<usize> = out
        .items
        .iter()
        .map(|i| i.url.rsplit('/').next().unwrap().parse().unwrap())
        .collect();
    got.sort_unstable();
    assert_eq!(got, (4500..5000).collect::<Vec<_>>(), "the newest 500");
    let poll = out.state.last_poll;
    assert_eq!((poll.entries, poll.new, poll.taken), (5000, 500, 500));
    assert!(poll.capped && !poll.out_of_time);
    assert_eq!(out.state.seen_entries.len(), 500);
    assert_eq!(site.page_hits(), 0);

    // Nothing new at the next poll; a source's own cap wins over [fetch]'s.
    let again = fetcher.fetch_source(&src, &out.state).await;
    assert!(again.items.is_empty());
    assert_eq!(again.state.last_poll.new, 0);
    src.max_entries_per_poll = Some(10);
    let small = fetcher.fetch_source(&src, &FetchState::default()).await;
    assert_eq!(small.items.len(), 10);
    assert!(small.items.iter().all(|i| i.title.starts_with("خبر 499")));
}

#[tokio::test]
async fn summary_pages_are_fetched_once_and_again_when_the_entry_changes() {
    let (base, site) = lab().await;
    let mut entries = summary_entries(&base, 5);
    *site.feed.lock().unwrap() = rss_of(&entries);
    let fetcher = Fetcher::new(&settings()).unwrap();
    let src = source(&format!("{base}/feed.xml"), true);

    let first = fetcher.fetch_source(&src, &FetchState::default()).await;
    assert_eq!(first.items.len(), 5, "{:?}", first.problems);
    assert!(first.items.iter().all(|i| i.body.contains(ARTICLE_P1)));
    assert_eq!(site.page_hits(), 5);
    assert_eq!(first.state.last_poll.pages, 5);

    let second = fetcher.fetch_source(&src, &first.state).await;
    assert!(second.items.is_empty(), "{:?}", second.items);
    assert_eq!(site.page_hits(), 5, "no page fetched again");
    assert_eq!(second.state.last_poll.entries, 5);
    assert_eq!(second.state.last_poll.pages, 0);

    // One entry is edited: only its page is fetched again.
    entries[2].2 = "ملخص معدَّل بعد النشر…".to_string();
    *site.feed.lock().unwrap() = rss_of(&entries);
    let third = fetcher.fetch_source(&src, &second.state).await;
    assert_eq!(third.items.len(), 1);
    assert!(third.items[0].url.ends_with("/page/2"));
    assert_eq!(site.hits("/page/2"), 2);
    assert_eq!(site.page_hits(), 6);
    let fourth = fetcher.fetch_source(&src, &third.state).await;
    assert!(fourth.items.is_empty());
    assert_eq!(site.page_hits(), 6);
}

#[tokio::test]
async fn a_slow_feed_stops_at_the_time_budget_and_the_rest_waits_for_the_next_poll() {
    let (base, site) = lab().await;
    *site.feed.lock().unwrap() = rss_of(&summary_entries(&base, 8));
    *site.page_delay.lock().unwrap() = Duration::from_millis(600);
    let mut s = settings();
    s.timeout = Interval(Duration::from_secs(10));
    s.source_time_budget = Interval(Duration::from_millis(1500));
    let fetcher = Fetcher::new(&s).unwrap();
    let src = source(&format!("{base}/feed.xml"), true);

    let started = Instant::now();
    let first = fetcher.fetch_source(&src, &FetchState::default()).await;
    let took = started.elapsed();
    assert!(
        took < Duration::from_secs(4),
        "stopped at the budget: {took:?}"
    );
    let taken = first.items.len();
    assert!((1..8).contains(&taken), "{taken} of 8 taken");
    assert!(first.items.iter().all(|i| i.body.contains(ARTICLE_P1)));
    assert_eq!(reasons(&first), ["time_budget"], "{:?}", first.problems);
    assert!(first.problems[0].message.contains("source_time_budget"));
    let poll = first.state.last_poll;
    assert!(poll.out_of_time);
    assert_eq!((poll.new, poll.taken), (8, taken as u32));
    assert_eq!(
        first.state.seen_entries.len(),
        taken,
        "the rest is not marked seen"
    );
    assert_eq!(first.state.etag, None);
    assert_eq!(first.state.consecutive_failures, 0);

    // The next poll, with time enough, takes the rest and fetches no page twice.
    *site.page_delay.lock().unwrap() = Duration::ZERO;
    let second = fetcher.fetch_source(&src, &first.state).await;
    assert_eq!(second.items.len(), 8 - taken, "{:?}", second.problems);
    assert!(second.problems.is_empty(), "{:?}", second.problems);
    let mut all: Vec<&str> = first
        .items
        .iter()
        .chain(&second.items)
        .map(|i| i.url.as_str())
        .collect();
    all.sort_unstable();
    all.dedup();
    assert_eq!(all.len(), 8);
    for item in &first.items {
        let path = &item.url[base.len()..];
        assert_eq!(site.hits(path), 1, "{path} fetched once");
    }
    assert!(!second.state.last_poll.out_of_time);
    assert_eq!(second.state.seen_entries.len(), 8);
}

#[tokio::test]
async fn a_slow_site_stops_at_the_time_budget_and_the_rest_waits_for_the_next_poll() {
    let (base, site) = lab().await;
    let links: String = (0..8)
        .map(|i| format!("<h3><a href=\"/page/{i}\">خبر {i}</a></h3>"))
        .collect();
    *site.home.lock().unwrap() = format!("<html><body>{links}</body></html>");
    *site.page_delay.lock().unwrap() = Duration::from_millis(600);
    let mut s = settings();
    s.timeout = Interval(Duration::from_secs(10));
    s.source_time_budget = Interval(Duration::from_millis(1500));
    let fetcher = Fetcher::new(&s).unwrap();
    let src = SourceConfig {
        allow_private: true,
        link_pattern: Some(r"/page/\d+".to_string()),
        ..SourceConfig::new(
            "slow-site-budget",
            "موقع بطيء",
            SourceKind::Site,
            &format!("{base}/home"),
        )
    };
    let first = fetcher.fetch_source(&src, &FetchState::default()).await;
    let taken = first.items.len();
    assert!((1..8).contains(&taken), "{taken} of 8 taken");
    assert_eq!(reasons(&first), ["time_budget"], "{:?}", first.problems);
    assert!(first.state.last_poll.out_of_time);
    assert_eq!(first.state.last_poll.entries, 8);
    assert_eq!(first.state.last_poll.new, 8);
    assert_eq!(
        first.state.seen_entries.len(),
        taken,
        "the links not fetched are not marked seen"
    );

    *site.page_delay.lock().unwrap() = Duration::ZERO;
    let second = fetcher.fetch_source(&src, &first.state).await;
    assert_eq!(second.items.len(), 8 - taken, "{:?}", second.problems);
    for item in &first.items {
        let path = &item.url[base.len()..];
        assert_eq!(site.hits(path), 1, "{path} fetched once");
    }
    let poll = second.state.last_poll;
    assert_eq!((poll.entries, poll.new), (8, 8 - taken as u32));
    assert!(!poll.out_of_time);
    assert_eq!(second.state.seen_entries.len(), 8);
    // Everything is read now: the third poll fetches no article.
    let pages = site.page_hits();
    let third = fetcher.fetch_source(&src, &second.state).await;
    assert!(third.items.is_empty(), "{:?}", third.items);
    assert_eq!(site.page_hits(), pages);
}

#[tokio::test]
async fn site_articles_are_fetched_once_across_polls_and_restarts() {
    let (base, site) = lab().await;
    let home = |n: usize| {
        let links: String = (0..n)
            .rev()
            .map(|i| format!("<h3><a href=\"/page/{i}?utm_source=home\">خبر {i}</a></h3>"))
            .collect();
        format!("<html><body>{links}<a href=\"/about\">من نحن</a></body></html>")
    };
    *site.home.lock().unwrap() = home(5);
    let src = SourceConfig {
        allow_private: true,
        link_pattern: Some(r"/page/\d+".to_string()),
        ..SourceConfig::new(
            "site-seen",
            "موقع",
            SourceKind::Site,
            &format!("{base}/home"),
        )
    };

    let first = Fetcher::new(&settings())
        .unwrap()
        .fetch_source(&src, &FetchState::default())
        .await;
    assert_eq!(first.items.len(), 5, "{:?}", first.problems);
    assert_eq!(site.page_hits(), 5);
    let poll = first.state.last_poll;
    assert_eq!(
        (poll.entries, poll.new, poll.taken, poll.pages),
        (5, 5, 5, 5)
    );
    assert_eq!(first.state.seen_entries.len(), 5);

    // Another process (a restart, or the next `rasd fetch`) given the stored state fetches
    // the section page again but no article.
    let fetcher = Fetcher::new(&settings()).unwrap();
    let second = fetcher.fetch_source(&src, &first.state).await;
    assert!(second.items.is_empty(), "{:?}", second.items);
    assert!(second.problems.is_empty(), "{:?}", second.problems);
    assert_eq!(site.page_hits(), 5, "no article fetched again");
    assert_eq!(site.hits("/home"), 2);
    let poll = second.state.last_poll;
    assert_eq!(
        (poll.entries, poll.new, poll.taken, poll.pages),
        (5, 0, 0, 0)
    );
    assert_eq!(second.state.seen_entries.len(), 5);

    // A new link on the section page: only its article is fetched.
    *site.home.lock().unwrap() = home(6);
    let third = fetcher.fetch_source(&src, &second.state).await;
    assert_eq!(site.page_hits(), 6);
    assert_eq!(site.hits("/page/5"), 1);
    assert_eq!(third.items.len(), 1);
    assert!(
        third.items[0].url.ends_with("/page/5"),
        "{}",
        third.items[0].url
    );
    let poll = third.state.last_poll;
    assert_eq!(
        (poll.entries, poll.new, poll.taken, poll.pages),
        (6, 1, 1, 1)
    );
    assert_eq!(third.state.seen_entries.len(), 6);

    // Links still listed move to the front of the bounded list, ahead of a full window of
    // newer memories, so they do not fall out of it.
    let mut state = third.state.clone();
    state.seen_entries = (1..=rasd_core::MAX_SEEN_ENTRIES as u64)
        .map(|k| k.wrapping_mul(0x9e37_79b9))
        .chain(third.state.seen_entries.iter().copied())
        .collect();
    let fourth = fetcher.fetch_source(&src, &state).await;
    assert!(fourth.items.is_empty());
    assert_eq!(site.page_hits(), 6);
    assert_eq!(fourth.state.seen_entries.len(), rasd_core::MAX_SEEN_ENTRIES);
    assert_eq!(
        fourth.state.seen_entries[..6],
        third.state.seen_entries[..6]
    );
}

/// The text of `/linked/{n}` as a site rule reads it.
fn linked_text() -> String {
    format!(
        "{}، {}. {}، {}.",
        LINKED[0], LINKED[1], LINKED[2], LINKED[3]
    )
}

#[tokio::test]
async fn a_page_without_a_findable_article_keeps_the_summary_until_a_site_rule_reads_it() {
    let (base, site) = lab().await;
    let entries: Vec<(String, String, String, i64)> = (0..2)
        .map(|i| {
            (
                format!("{base}/linked/{i}"),
                format!("ضبط مطلوبين {i}"),
                format!("ألقت الأجهزة الأمنية القبض على مطلوبين {i}…"),
                1_000 + i,
            )
        })
        .collect();
    *site.feed.lock().unwrap() = rss_of(&entries);
    let fetcher = Fetcher::new(&settings()).unwrap();
    let plain = source(&format!("{base}/feed.xml"), true);

    // No rule: the page gives no article, the summary stays, and the poll says so per page.
    let out = fetcher.fetch_source(&plain, &FetchState::default()).await;
    assert_eq!(out.items.len(), 2, "{:?}", out.problems);
    for (item, (_, _, summary, _)) in out.items.iter().zip(&entries) {
        assert_eq!(&item.body, summary, "the feed's summary is kept");
        assert_eq!(
            item.author.as_deref(),
            Some("قسم الأخبار"),
            "metadata still used"
        );
    }
    assert_eq!(reasons(&out), ["extraction_failed", "extraction_failed"]);
    for (p, i) in out.problems.iter().zip(0..) {
        assert!(
            p.url.as_deref().unwrap().ends_with(&format!("/linked/{i}")),
            "{p:?}"
        );
        assert!(p.message.contains("(0 characters)"), "{}", p.message);
        assert!(
            p.message.contains("the feed's summary is kept"),
            "{}",
            p.message
        );
        assert!(
            p.message.contains("add `article_selector = \"...\"`")
                && p.message.contains("source \"local-news\" in sources.toml"),
            "{}",
            p.message
        );
    }
    let poll = out.state.last_poll;
    assert_eq!(
        (poll.pages, poll.extraction_failed, poll.rule_missed),
        (2, 2, 0)
    );
    assert_eq!(out.state.consecutive_failures, 0, "not a source failure");
    assert_eq!(site.hits("/linked/0"), 1);
    // A poll with nothing new fetches no page and keeps the counts, so the source's health
    // still shows the failures.
    let quiet = fetcher.fetch_source(&plain, &out.state).await;
    assert!(quiet.items.is_empty() && quiet.problems.is_empty());
    let poll = quiet.state.last_poll;
    assert_eq!(
        (poll.pages, poll.extraction_failed, poll.rule_missed),
        (0, 2, 0)
    );
    assert_eq!(site.hits("/linked/0"), 1);

    // The office adds the rule: the same pages give their text, with nothing to report.
    let ruled = SourceConfig {
        article_selector: Some("div.story".into()),
        ..plain.clone()
    };
    let out = fetcher.fetch_source(&ruled, &FetchState::default()).await;
    assert!(out.problems.is_empty(), "{:?}", out.problems);
    assert_eq!(out.items.len(), 2);
    for item in &out.items {
        assert_eq!(item.body, linked_text());
    }
    let poll = out.state.last_poll;
    assert_eq!((poll.extraction_failed, poll.rule_missed), (0, 0));

    // A rule the site no longer matches falls back to the generic extractor and says so.
    let stale = SourceConfig {
        article_selector: Some("div.article-body".into()),
        ..plain
    };
    let out = fetcher.fetch_source(&stale, &FetchState::default()).await;
    let mut got = reasons(&out);
    got.sort_unstable();
    assert_eq!(
        got,
        [
            "extraction_failed",
            "extraction_failed",
            "site_rule_missed",
            "site_rule_missed"
        ]
    );
    assert!(out.items.iter().zip(&entries).all(|(i, e)| i.body == e.2));
    let missed = out
        .problems
        .iter()
        .find(|p| p.reason == "site_rule_missed")
        .unwrap();
    assert!(
        missed
            .message
            .contains("`article_selector = \"div.article-body\"` matched nothing"),
        "{}",
        missed.message
    );
    let poll = out.state.last_poll;
    assert_eq!((poll.extraction_failed, poll.rule_missed), (2, 2));
    assert_eq!(site.hits("/linked/0"), 3);
}

#[tokio::test]
async fn a_site_page_without_a_findable_article_is_kept_by_title_and_remembered() {
    let (base, site) = lab().await;
    *site.home.lock().unwrap() =
        "<html><body><h3><a href=\"/linked/7\">خبر</a></h3></body></html>".to_string();
    let plain = SourceConfig {
        allow_private: true,
        link_pattern: Some(r"/linked/\d+".to_string()),
        ..SourceConfig::new("site-x", "موقع", SourceKind::Site, &format!("{base}/home"))
    };
    let fetcher = Fetcher::new(&settings()).unwrap();

    let first = fetcher.fetch_source(&plain, &FetchState::default()).await;
    assert_eq!(reasons(&first), ["extraction_failed"]);
    assert!(
        first.problems[0]
            .message
            .contains("the item keeps only its title"),
        "{}",
        first.problems[0].message
    );
    assert_eq!(first.items.len(), 1);
    assert_eq!(first.items[0].title, "ضبط مطلوبين في ماركا 7");
    assert_eq!(first.items[0].body, "");
    assert_eq!(first.state.last_poll.extraction_failed, 1);
    // The link is settled: the next poll does not fetch the page again.
    let second = fetcher.fetch_source(&plain, &first.state).await;
    assert!(second.items.is_empty() && second.problems.is_empty());
    assert_eq!(site.hits("/linked/7"), 1);
    assert_eq!(
        (
            second.state.last_poll.pages,
            second.state.last_poll.extraction_failed
        ),
        (0, 1),
        "the count stays until a poll fetches pages"
    );

    // With the rule, a new poll (a fresh state) reads the text.
    let ruled = SourceConfig {
        article_selector: Some(".story".into()),
        ..plain
    };
    let third = fetcher.fetch_source(&ruled, &FetchState::default()).await;
    assert!(third.problems.is_empty(), "{:?}", third.problems);
    assert_eq!(third.items[0].body, linked_text());
    assert_eq!(third.state.last_poll.extraction_failed, 0);
}

#[tokio::test]
async fn a_short_article_that_continues_the_summary_is_not_an_extraction_failure() {
    let (base, site) = lab().await;
    assert!(SHORT_STORY.chars().count() < rasd_sources::MIN_ARTICLE_CHARS);
    // One entry with a teaser, one carrying the whole (short) story.
    *site.feed.lock().unwrap() = rss_of(&[
        (
            format!("{base}/short/1"),
            "حريق منزل في السلط".to_string(),
            "أخمدت كوادر الدفاع المدني حريقاً شب في منزل…".to_string(),
            1_000,
        ),
        (
            format!("{base}/short/2"),
            "حريق منزل في السلط".to_string(),
            SHORT_STORY.to_string(),
            1_001,
        ),
    ]);
    let fetcher = Fetcher::new(&settings()).unwrap();
    let out = fetcher
        .fetch_source(
            &source(&format!("{base}/feed.xml"), true),
            &FetchState::default(),
        )
        .await;
    assert!(out.problems.is_empty(), "{:?}", out.problems);
    assert_eq!(out.items.len(), 2);
    assert!(
        out.items.iter().all(|i| i.body == SHORT_STORY),
        "{:?}",
        out.items
    );
    assert_eq!(site.page_hits_of("/short/"), 2, "both pages were read");
    assert_eq!(out.state.last_poll.extraction_failed, 0);
}
