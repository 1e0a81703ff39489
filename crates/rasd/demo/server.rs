//! The embedded demo web server: each outlet's feed and article pages, an index, and the public
//! form's export, all rendered from the [`Sample`] on request.
//!
//! Routes:
//! - `/` index of outlets; `/robots.txt` allows everything
//! - `/{outlet}/` the outlet's front page (every headline)
//! - `/{outlet}/feed.xml` (RSS 2.0), `/{outlet}/atom.xml` (Atom), `/{outlet}/feed.json`
//!   (JSON Feed 1.1): only the one matching the outlet's format exists
//! - `/{outlet}/news/{slug}.html` article pages
//! - `/forms/public/export.json` the public comments
//!
//! Links in feeds and pages are built from the request's `Host` header, so a client that
//! reaches the server under another name (say `rasd-demo.test`) sees stable URLs whatever the
//! port. Feeds and pages answer conditional requests (`ETag`, and `Last-Modified` for feeds).

use std::collections::HashMap;
use std::fmt::Write as _;
use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use axum::Router;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use axum::routing::get;
use chrono::{DateTime, Datelike, SecondsFormat, Utc};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use super::sample::{outlet_spec, weekday_name};
use super::{Charset, FeedFormat, Outlet, Sample, SampleItem, local_time};

/// A running demo server. It stops when [`DemoServer::shutdown`] is awaited or when the value is
/// dropped (then in-flight requests finish in the background).
#[derive(Debug)]
pub struct DemoServer {
    /// Where it listens: `127.0.0.1` and a free port.
    pub addr: SocketAddr,
    /// Items and comments dated after this (unix seconds) are not published yet.
    cutoff: Arc<AtomicI64>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<io::Result<()>>>,
}

impl DemoServer {
    /// Publishes only what is dated at or before `at` (a replay of the sample's days), or
    /// everything with `None`.
    pub fn publish_until(&self, at: Option<DateTime<Utc>>) {
        self.cutoff
            .store(at.map_or(i64::MAX, |t| t.timestamp()), Ordering::SeqCst);
    }

    /// Stops accepting connections, lets requests in flight finish and waits for the server.
    /// A server error is logged, not returned: there is nothing left for the caller to do.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            match task.await {
                Ok(Ok(())) => {}
                Ok(Err(e)) => tracing::warn!(error = %e, "Demo server stopped with an error."),
                Err(e) => tracing::warn!(error = %e, "Demo server task failed."),
            }
        }
    }
}

impl Drop for DemoServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// See [`super::serve`].
pub(super) async fn serve(sample: Arc<Sample>) -> io::Result<DemoServer> {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await?;
    let addr = listener.local_addr()?;
    let site = Site::new(sample, addr);
    let cutoff = site.cutoff.clone();
    let app = router(Arc::new(site));
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = stopped.await;
            })
            .await
    });
    tracing::info!(%addr, "Demo server listening.");
    Ok(DemoServer {
        addr,
        cutoff,
        stop: Some(stop),
        task: Some(task),
    })
}

fn router(site: Arc<Site>) -> Router {
    Router::new()
        .route("/", get(index))
        .route("/robots.txt", get(robots))
        .route("/forms/public/export.json", get(form_export))
        .route("/{outlet}/", get(outlet_home))
        .route("/{outlet}/{file}", get(feed))
        .route("/{outlet}/news/{page}", get(article))
        .fallback(not_found)
        .with_state(site)
}

/// The file name of an outlet's feed.
pub(super) fn feed_file(format: FeedFormat) -> &'static str {
    match format {
        FeedFormat::Rss2 => "feed.xml",
        FeedFormat::Atom => "atom.xml",
        FeedFormat::JsonFeed => "feed.json",
    }
}

/// The sample, indexed for serving.
struct Site {
    sample: Arc<Sample>,
    /// `127.0.0.1:PORT`, for requests without a usable `Host` header.
    default_host: String,
    /// Item indexes per outlet, newest first.
    by_outlet: HashMap<&'static str, Vec<usize>>,
    by_slug: HashMap<(&'static str, String), usize>,
    /// See [`DemoServer::publish_until`].
    cutoff: Arc<AtomicI64>,
}

impl Site {
    fn new(sample: Arc<Sample>, addr: SocketAddr) -> Self {
        let mut by_outlet: HashMap<&'static str, Vec<usize>> = HashMap::new();
        let mut by_slug = HashMap::new();
        for (i, item) in sample.items.iter().enumerate() {
            by_outlet.entry(item.outlet).or_default().push(i);
            by_slug.insert((item.outlet, item.slug.clone()), i);
        }
        for list in by_outlet.values_mut() {
            list.sort_by_key(|i| std::cmp::Reverse((sample.items[*i].published, *i)));
        }
        Site {
            sample,
            default_host: addr.to_string(),
            by_outlet,
            by_slug,
            cutoff: Arc::new(AtomicI64::new(i64::MAX)),
        }
    }

    fn outlet(&self, id: &str) -> Option<&Outlet> {
        self.sample.outlets.iter().find(|o| o.id == id)
    }

    fn items_of(&self, outlet: &str) -> Vec<&SampleItem> {
        let list = self
            .by_outlet
            .get(outlet)
            .map(Vec::as_slice)
            .unwrap_or_default();
        list.iter()
            .map(|i| &self.sample.items[*i])
            .filter(|i| self.published(i.published))
            .collect()
    }

    /// Whether something dated `at` is out yet.
    fn published(&self, at: DateTime<Utc>) -> bool {
        at.timestamp() <= self.cutoff.load(Ordering::SeqCst)
    }

    /// URLs as the client addressed us.
    fn urls(&self, headers: &HeaderMap) -> Urls {
        let host = headers
            .get(header::HOST)
            .and_then(|v| v.to_str().ok())
            .filter(|h| {
                !h.is_empty()
                    && h.len() <= 255
                    && h.bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b".-:[]_".contains(&b))
            })
            .unwrap_or(&self.default_host);
        Urls {
            base: format!("http://{host}"),
        }
    }
}

/// Absolute URLs under one base (`http://host[:port]`).
struct Urls {
    base: String,
}

impl Urls {
    fn home(&self, outlet: &Outlet) -> String {
        format!("{}/{}/", self.base, outlet.id)
    }

    fn feed(&self, outlet: &Outlet) -> String {
        format!("{}/{}/{}", self.base, outlet.id, feed_file(outlet.format))
    }

    fn item(&self, item: &SampleItem) -> String {
        format!("{}/{}/news/{}.html", self.base, item.outlet, item.slug)
    }
}

type SiteState = State<Arc<Site>>;

async fn index(State(site): SiteState, headers: HeaderMap) -> Response {
    let mut h = String::from(
        "<!DOCTYPE html>\n<html lang=\"ar\" dir=\"rtl\">\n<head>\n<meta charset=\"utf-8\">\n\
         <title>رصد — خادم العرض التجريبي | Rasd demo server</title>\n</head>\n<body>\n\
         <h1>رصد — خادم العرض التجريبي</h1>\n\
         <p>مواقع إخبارية وهمية كُتبت لهذا العرض. <span lang=\"en\" dir=\"ltr\">Fictional outlets \
         written for the Rasd demo.</span></p>\n<ul>\n",
    );
    for o in &site.sample.outlets {
        let count = site.by_outlet.get(o.id).map_or(0, Vec::len);
        let _ = writeln!(
            h,
            "<li><a href=\"/{id}/\" lang=\"{lang}\">{name}</a> — {lang}, {count} — \
             <a href=\"/{id}/{file}\">{file}</a></li>",
            id = o.id,
            lang = o.lang,
            name = esc(&o.name),
            file = feed_file(o.format),
        );
    }
    let _ = write!(
        h,
        "</ul>\n<p><a href=\"/forms/public/export.json\">/forms/public/export.json</a> — {} \
         ملاحظة من النموذج العام</p>\n</body>\n</html>\n",
        site.sample.comments.len()
    );
    reply(&headers, "text/html; charset=utf-8", h.into_bytes(), None)
}

async fn robots() -> Response {
    text_response(StatusCode::OK, "User-agent: *\nAllow: /\n")
}

async fn not_found() -> Response {
    text_response(StatusCode::NOT_FOUND, "404 not found\n")
}

fn text_response(status: StatusCode, text: &'static str) -> Response {
    Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, "text/plain; charset=utf-8")
        .body(Body::from(text))
        .unwrap()
}

async fn outlet_home(
    State(site): SiteState,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let Some(outlet) = site.outlet(&id) else {
        return not_found().await;
    };
    let urls = site.urls(&headers);
    let items = site.items_of(outlet.id);
    let l = Labels::of(outlet.lang);
    let mut list = String::new();
    for item in &items {
        let _ = writeln!(
            list,
            "<li><a href=\"{}\">{}</a> <time datetime=\"{}\">{}</time></li>",
            esc(&urls.item(item)),
            esc(&item.title),
            rfc3339(item.published),
            local_time(item.published).format("%Y-%m-%d %H:%M"),
        );
    }
    let body = format!(
        "<main>\n<h1>{name}</h1>\n<p>{tagline}</p>\n<section class=\"latest\">\n<h2>{latest}</h2>\n\
         <ul>\n{list}</ul>\n</section>\n</main>\n",
        name = esc(&outlet.name),
        tagline = esc(outlet_spec(outlet.id).tagline),
        latest = l.latest,
    );
    let page = page_shell(
        &site,
        &urls,
        outlet,
        &outlet.name,
        "",
        &body,
        items.first().copied(),
    );
    let ct = format!("text/html; charset={}", charset_label(outlet.charset));
    reply(&headers, &ct, encode(outlet.charset, page), None)
}

async fn feed(
    State(site): SiteState,
    Path((id, file)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    let Some(outlet) = site.outlet(&id) else {
        return not_found().await;
    };
    if file != feed_file(outlet.format) {
        return not_found().await;
    }
    let urls = site.urls(&headers);
    let items = site.items_of(outlet.id);
    let newest = items.first().map(|i| i.published);
    let cs = charset_label(outlet.charset);
    let (ct, text) = match outlet.format {
        FeedFormat::Rss2 => (
            format!("application/rss+xml; charset={cs}"),
            rss(&urls, outlet, &items),
        ),
        FeedFormat::Atom => (
            format!("application/atom+xml; charset={cs}"),
            atom(&urls, outlet, &items),
        ),
        FeedFormat::JsonFeed => (
            "application/feed+json; charset=utf-8".to_string(),
            json_feed(&urls, outlet, &items),
        ),
    };
    reply(&headers, &ct, encode(outlet.charset, text), newest)
}

async fn article(
    State(site): SiteState,
    Path((id, page)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    let Some(outlet) = site.outlet(&id) else {
        return not_found().await;
    };
    let Some(slug) = page.strip_suffix(".html") else {
        return not_found().await;
    };
    let Some(&i) = site
        .by_slug
        .get(&(outlet.id, slug.to_string()))
        .filter(|&&i| site.published(site.sample.items[i].published))
    else {
        return not_found().await;
    };
    let html = article_page(&site, &site.urls(&headers), outlet, &site.sample.items[i]);
    let ct = format!("text/html; charset={}", charset_label(outlet.charset));
    reply(&headers, &ct, encode(outlet.charset, html), None)
}

async fn form_export(State(site): SiteState, headers: HeaderMap) -> Response {
    let rows: Vec<serde_json::Value> = site
        .sample
        .comments
        .iter()
        .filter(|c| site.published(c.submitted))
        .map(|c| {
            serde_json::json!({
                "reference": c.reference,
                "submitted_at": rfc3339(c.submitted),
                "text": c.text,
                "governorate": c.governorate,
                "lang": c.lang,
            })
        })
        .collect();
    let body = serde_json::to_vec_pretty(&rows).unwrap_or_default();
    reply(
        &headers,
        "application/json",
        body,
        site.sample
            .comments
            .iter()
            .map(|c| c.submitted)
            .filter(|t| site.published(*t))
            .max(),
    )
}

/// A 200 with validators, or a 304 when the client's copy is current.
fn reply(
    headers: &HeaderMap,
    content_type: &str,
    body: Vec<u8>,
    last_modified: Option<DateTime<Utc>>,
) -> Response {
    let etag = format!("\"{:016x}\"", fnv1a(&body));
    let header_str = |name| {
        headers
            .get(name)
            .and_then(|v: &header::HeaderValue| v.to_str().ok())
    };
    let fresh = match header_str(header::IF_NONE_MATCH) {
        Some(tags) => tags.split(',').any(|t| t.trim() == etag || t.trim() == "*"),
        None => match (header_str(header::IF_MODIFIED_SINCE), last_modified) {
            (Some(since), Some(modified)) => DateTime::parse_from_rfc2822(since)
                .is_ok_and(|since| modified.timestamp() <= since.timestamp()),
            _ => false,
        },
    };
    let mut response = Response::builder()
        .header(header::ETAG, &etag)
        .header(header::CACHE_CONTROL, "max-age=60");
    if let Some(modified) = last_modified {
        let http_date = modified.format("%a, %d %b %Y %H:%M:%S GMT").to_string();
        response = response.header(header::LAST_MODIFIED, http_date);
    }
    if fresh {
        return response
            .status(StatusCode::NOT_MODIFIED)
            .body(Body::empty())
            .unwrap();
    }
    response
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, content_type)
        .body(Body::from(body))
        .unwrap()
}

fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}

fn charset_label(charset: Charset) -> &'static str {
    match charset {
        Charset::Utf8 => "utf-8",
        Charset::Windows1256 => "windows-1256",
    }
}

/// The bytes of `text` in the outlet's charset. Characters windows-1256 lacks would become
/// numeric character references; the sample avoids them (a unit test checks).
pub(super) fn encode(charset: Charset, text: String) -> Vec<u8> {
    match charset {
        Charset::Utf8 => text.into_bytes(),
        Charset::Windows1256 => encoding_rs::WINDOWS_1256.encode(&text).0.into_owned(),
    }
}

/// Escapes text for XML and HTML, in content and in attribute values.
pub(super) fn esc(s: &str) -> String {
    rasd_deliver::escape(s)
}

fn rfc3339(t: DateTime<Utc>) -> String {
    local_time(t).to_rfc3339_opts(SecondsFormat::Secs, false)
}

fn paragraphs(item: &SampleItem) -> impl Iterator<Item = &str> {
    item.body.split("\n\n").filter(|p| !p.trim().is_empty())
}

/// The body as HTML paragraphs.
fn body_html(item: &SampleItem) -> String {
    paragraphs(item)
        .map(|p| format!("<p>{}</p>", esc(p)))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The first sentence of the body, cut to about 200 characters.
pub(super) fn summary(item: &SampleItem) -> String {
    let first = paragraphs(item).next().unwrap_or_default();
    let mut end = first.len();
    for (i, c) in first.char_indices() {
        if matches!(c, '.' | '؟' | '?' | '!') {
            let next = first[i + c.len_utf8()..].chars().next();
            if next.is_none_or(char::is_whitespace) {
                end = i + c.len_utf8();
                break;
            }
        }
    }
    let sentence = &first[..end];
    if sentence.chars().count() <= 220 {
        return sentence.to_string();
    }
    let cut: String = sentence.chars().take(200).collect();
    let cut = cut.rsplit_once(' ').map_or(cut.as_str(), |(head, _)| head);
    format!("{cut}…")
}

fn rss(urls: &Urls, outlet: &Outlet, items: &[&SampleItem]) -> String {
    let mut x = format!(
        "<?xml version=\"1.0\" encoding=\"{enc}\"?>\n\
         <rss version=\"2.0\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\" \
         xmlns:atom=\"http://www.w3.org/2005/Atom\">\n<channel>\n\
         <title>{name}</title>\n<link>{home}</link>\n<description>{tagline}</description>\n\
         <language>{lang}</language>\n\
         <atom:link href=\"{feed}\" rel=\"self\" type=\"application/rss+xml\"/>\n",
        enc = charset_label(outlet.charset),
        name = esc(&outlet.name),
        home = esc(&urls.home(outlet)),
        tagline = esc(outlet_spec(outlet.id).tagline),
        lang = outlet.lang,
        feed = esc(&urls.feed(outlet)),
    );
    if let Some(newest) = items.first() {
        let _ = writeln!(
            x,
            "<lastBuildDate>{}</lastBuildDate>",
            local_time(newest.published).to_rfc2822()
        );
    }
    for item in items {
        let url = esc(&urls.item(item));
        let description = if outlet.summary_only {
            summary(item)
        } else {
            body_html(item)
        };
        let _ = write!(
            x,
            "<item>\n<title>{title}</title>\n<link>{url}</link>\n\
             <guid isPermaLink=\"true\">{url}</guid>\n<pubDate>{date}</pubDate>\n",
            title = esc(&item.title),
            date = local_time(item.published).to_rfc2822(),
        );
        if let Some(author) = &item.author {
            let _ = writeln!(x, "<dc:creator>{}</dc:creator>", esc(author));
        }
        let _ = write!(
            x,
            "<description>{}</description>\n</item>\n",
            esc(&description)
        );
    }
    x.push_str("</channel>\n</rss>\n");
    x
}

fn atom(urls: &Urls, outlet: &Outlet, items: &[&SampleItem]) -> String {
    let updated = items
        .first()
        .map_or_else(|| rfc3339(Utc::now()), |i| rfc3339(i.published));
    let mut x = format!(
        "<?xml version=\"1.0\" encoding=\"{enc}\"?>\n\
         <feed xmlns=\"http://www.w3.org/2005/Atom\" xml:lang=\"{lang}\">\n\
         <id>{home}</id>\n<title>{name}</title>\n<subtitle>{tagline}</subtitle>\n\
         <updated>{updated}</updated>\n\
         <link rel=\"self\" type=\"application/atom+xml\" href=\"{feed}\"/>\n\
         <link rel=\"alternate\" type=\"text/html\" href=\"{home}\"/>\n\
         <author><name>{name}</name></author>\n",
        enc = charset_label(outlet.charset),
        lang = outlet.lang,
        home = esc(&urls.home(outlet)),
        name = esc(&outlet.name),
        tagline = esc(outlet_spec(outlet.id).tagline),
        feed = esc(&urls.feed(outlet)),
    );
    for item in items {
        let url = esc(&urls.item(item));
        let date = rfc3339(item.published);
        let _ = write!(
            x,
            "<entry>\n<id>{url}</id>\n<title>{title}</title>\n\
             <link rel=\"alternate\" type=\"text/html\" href=\"{url}\"/>\n\
             <published>{date}</published>\n<updated>{date}</updated>\n",
            title = esc(&item.title),
        );
        if let Some(author) = &item.author {
            let _ = writeln!(x, "<author><name>{}</name></author>", esc(author));
        }
        let _ = write!(
            x,
            "<summary>{}</summary>\n<content type=\"html\">{}</content>\n</entry>\n",
            esc(&summary(item)),
            esc(&body_html(item)),
        );
    }
    x.push_str("</feed>\n");
    x
}

fn json_feed(urls: &Urls, outlet: &Outlet, items: &[&SampleItem]) -> String {
    let entries: Vec<serde_json::Value> = items
        .iter()
        .map(|item| {
            let mut entry = serde_json::json!({
                "id": urls.item(item),
                "url": urls.item(item),
                "title": item.title,
                "content_text": item.body,
                "summary": summary(item),
                "date_published": rfc3339(item.published),
                "language": item.lang,
            });
            if let Some(author) = &item.author {
                entry["authors"] = serde_json::json!([{ "name": author }]);
            }
            entry
        })
        .collect();
    let feed = serde_json::json!({
        "version": "https://jsonfeed.org/version/1.1",
        "title": outlet.name,
        "description": outlet_spec(outlet.id).tagline,
        "home_page_url": urls.home(outlet),
        "feed_url": urls.feed(outlet),
        "language": outlet.lang,
        "items": entries,
    });
    serde_json::to_string_pretty(&feed).unwrap_or_default()
}

/// Words the pages need, per language.
struct Labels {
    nav: [&'static str; 7],
    breaking: &'static str,
    latest: &'static str,
    related: &'static str,
    most_read: &'static str,
    share: &'static str,
    by: &'static str,
    local: &'static str,
    misc: &'static str,
    footer: [&'static str; 4],
    newsletter: &'static str,
    months: [&'static str; 12],
}

impl Labels {
    fn of(lang: &str) -> &'static Labels {
        if lang == "ar" { &AR_LABELS } else { &EN_LABELS }
    }
}

static AR_LABELS: Labels = Labels {
    nav: [
        "الرئيسية",
        "محليات",
        "حوادث",
        "اقتصاد",
        "رياضة",
        "آراء",
        "منوعات",
    ],
    breaking: "عاجل",
    latest: "آخر الأخبار",
    related: "أخبار ذات صلة",
    most_read: "الأكثر قراءة",
    share: "شارك الخبر:",
    by: "كتب: ",
    local: "محليات",
    misc: "منوعات",
    footer: ["جميع الحقوق محفوظة", "من نحن", "اتصل بنا", "سياسة الخصوصية"],
    newsletter: "اشترك في نشرتنا اليومية لتصلك أهم الأخبار صباح كل يوم.",
    months: [
        "كانون الثاني",
        "شباط",
        "آذار",
        "نيسان",
        "أيار",
        "حزيران",
        "تموز",
        "آب",
        "أيلول",
        "تشرين الأول",
        "تشرين الثاني",
        "كانون الأول",
    ],
};

static EN_LABELS: Labels = Labels {
    nav: [
        "Home", "Local", "Crime", "Business", "Sport", "Opinion", "Life",
    ],
    breaking: "Breaking",
    latest: "Latest news",
    related: "Related stories",
    most_read: "Most read",
    share: "Share:",
    by: "By ",
    local: "Local",
    misc: "Life",
    footer: [
        "All rights reserved",
        "About us",
        "Contact",
        "Privacy policy",
    ],
    newsletter: "Sign up for our morning newsletter to get the day's top stories.",
    months: [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ],
};

/// The page around `main`: head, header, navigation, breaking-news ticker and footer.
fn page_shell(
    site: &Site,
    urls: &Urls,
    outlet: &Outlet,
    title: &str,
    extra_head: &str,
    main: &str,
    ticker: Option<&SampleItem>,
) -> String {
    let l = Labels::of(outlet.lang);
    let dir = if outlet.lang == "ar" { "rtl" } else { "ltr" };
    let mut nav = String::new();
    for (i, label) in l.nav.iter().enumerate() {
        let href = if i == 0 {
            format!("/{}/", outlet.id)
        } else {
            "#".to_string()
        };
        let _ = write!(nav, "<li><a href=\"{href}\">{label}</a></li>");
    }
    let ticker = ticker.map_or_else(String::new, |item| {
        format!(
            "<div class=\"ticker\"><strong>{}</strong> <a href=\"{}\">{}</a></div>\n",
            l.breaking,
            urls.item(item),
            esc(&item.title)
        )
    });
    let year = site.sample.anchor.year();
    format!(
        "<!DOCTYPE html>\n<html lang=\"{lang}\" dir=\"{dir}\">\n<head>\n\
         <meta charset=\"{charset}\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{title} | {name}</title>\n{extra_head}\
         <link rel=\"alternate\" type=\"{feed_type}\" title=\"{name}\" href=\"{feed}\">\n\
         <style>body{{font-family:sans-serif;margin:0}}header,footer{{background:#123;color:#fff;padding:8px}}\
         nav ul{{list-style:none;display:flex;gap:12px;padding:0}}nav a{{color:#fff}}\
         .ticker{{background:#b00;color:#fff;padding:4px}}.ticker a{{color:#fff}}\
         main{{display:flex;gap:24px;padding:16px}}article{{flex:3}}aside{{flex:1}}</style>\n\
         </head>\n<body>\n<header class=\"site-header\">\n\
         <a class=\"logo\" href=\"/{id}/\">{name}</a>\n<span class=\"tagline\">{tagline}</span>\n\
         <nav><ul>{nav}</ul></nav>\n</header>\n{ticker}{main}\
         <div class=\"newsletter\"><p>{newsletter}</p><form><input type=\"email\"><button>OK</button></form></div>\n\
         <footer>\n<p>© {year} {name}. {rights}</p>\n\
         <p><a href=\"#\">{about}</a> | <a href=\"#\">{contact}</a> | <a href=\"#\">{privacy}</a></p>\n\
         </footer>\n</body>\n</html>\n",
        lang = outlet.lang,
        charset = charset_label(outlet.charset),
        title = esc(title),
        name = esc(&outlet.name),
        feed_type = match outlet.format {
            FeedFormat::Rss2 => "application/rss+xml",
            FeedFormat::Atom => "application/atom+xml",
            FeedFormat::JsonFeed => "application/feed+json",
        },
        feed = esc(&urls.feed(outlet)),
        id = outlet.id,
        tagline = esc(outlet_spec(outlet.id).tagline),
        newsletter = l.newsletter,
        rights = l.footer[0],
        about = l.footer[1],
        contact = l.footer[2],
        privacy = l.footer[3],
    )
}

fn article_page(site: &Site, urls: &Urls, outlet: &Outlet, item: &SampleItem) -> String {
    let l = Labels::of(outlet.lang);
    let items = site.items_of(outlet.id);
    let pos = items
        .iter()
        .position(|i| std::ptr::eq(*i, item))
        .unwrap_or(0);
    let others: Vec<&SampleItem> = (1..items.len())
        .map(|k| items[(pos + k) % items.len()])
        .collect();
    let link = |i: &SampleItem| {
        format!(
            "<li><a href=\"{}\">{}</a></li>",
            urls.item(i),
            esc(&i.title)
        )
    };
    let related: String = others
        .iter()
        .take(4)
        .map(|i| link(i))
        .collect::<Vec<_>>()
        .join("\n");
    let most_read: String = others
        .iter()
        .rev()
        .take(3)
        .map(|i| link(i))
        .collect::<Vec<_>>()
        .join("\n");
    let local = local_time(item.published);
    let date_text = format!(
        "{} {} {} {}، {}",
        weekday_name(local.weekday(), outlet.lang),
        local.day(),
        l.months[local.month0() as usize],
        local.year(),
        local.format("%H:%M"),
    );
    let date_text = if outlet.lang == "ar" {
        date_text
    } else {
        date_text.replace('،', ",")
    };
    let byline = item.author.as_ref().map_or_else(String::new, |a| {
        format!("<span class=\"author\">{}{}</span> ", l.by, esc(a))
    });
    let section = if item.topics.is_empty() {
        l.misc
    } else {
        l.local
    };
    let url = urls.item(item);
    let head = format!(
        "<link rel=\"canonical\" href=\"{url}\">\n\
         <meta name=\"description\" content=\"{summary}\">\n\
         <meta property=\"og:type\" content=\"article\">\n\
         <meta property=\"og:title\" content=\"{title}\">\n\
         <meta property=\"og:url\" content=\"{url}\">\n\
         <meta property=\"article:published_time\" content=\"{date}\">\n",
        url = esc(&url),
        summary = esc(&summary(item)),
        title = esc(&item.title),
        date = rfc3339(item.published),
    );
    let main = format!(
        "<main>\n<article>\n<div class=\"breadcrumbs\"><a href=\"/{id}/\">{home}</a> › {section}</div>\n\
         <h1>{title}</h1>\n<div class=\"meta\">{byline}<time datetime=\"{date}\">{date_text}</time></div>\n\
         <div class=\"article-body\">\n{body}\n</div>\n\
         <div class=\"share\">{share} <a href=\"#\">Facebook</a> <a href=\"#\">X</a> \
         <a href=\"#\">WhatsApp</a></div>\n</article>\n\
         <aside class=\"related\">\n<h2>{related_label}</h2>\n<ul>\n{related}\n</ul>\n\
         <h2>{most_read_label}</h2>\n<ol>\n{most_read}\n</ol>\n</aside>\n</main>\n",
        id = outlet.id,
        home = l.nav[0],
        title = esc(&item.title),
        date = rfc3339(item.published),
        body = body_html(item),
        share = l.share,
        related_label = l.related,
        most_read_label = l.most_read,
    );
    page_shell(
        site,
        urls,
        outlet,
        &item.title,
        &head,
        &main,
        items.first().copied(),
    )
}
