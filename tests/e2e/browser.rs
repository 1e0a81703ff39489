//! A real browser for the end-to-end tests: Debian's chromium, headless, driven through
//! chromedriver with fantoccini.
//!
//! [`Browser::start`] finds both programs on `PATH` (skipping the test when they are missing,
//! failing it when `RASD_REQUIRE_BROWSER` is set, as CI does), starts chromedriver on a free
//! loopback port and opens one headless session with a fresh profile; dropping the
//! [`Browser`] ends the session and chromedriver. The methods block, so a test stays a plain
//! `#[test]`; a server under test runs on its own runtime or thread (never on the test's
//! thread inside an async runtime: the helper keeps its own).
//!
//! Scripts sent through WebDriver (`execute`, [`Browser::fits_width`]) run even on pages
//! whose Content-Security-Policy forbids every script: the smoke test below checks it.

use std::fs::File;
use std::future::Future;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::cookies::Cookie;
use fantoccini::error::CmdError;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};
use tempfile::TempDir;

/// How long chromedriver may take to answer `/status`, and a page or an element to appear.
const WAIT: Duration = Duration::from_secs(20);

/// A headless chromium session, and the chromedriver serving it.
#[derive(Debug)]
pub struct Browser {
    /// Runs the client's futures; each method blocks on one.
    rt: tokio::runtime::Runtime,
    /// `None` once closed (in `Drop`).
    client: Option<Client>,
    driver: Child,
    /// chromedriver's output and chromium's profile; removed after both have exited.
    dir: TempDir,
}

impl Browser {
    /// Starts headless chromium showing pages `width` × `height` CSS pixels (one device pixel
    /// each), asking for Arabic first, or returns `None` (after printing why) when chromium
    /// or chromedriver is not installed. With `RASD_REQUIRE_BROWSER` set, a missing one
    /// panics instead, naming what to install.
    ///
    /// chromium will not make a window narrower than 500 pixels, so the size is that of an
    /// emulated screen (chromedriver's `mobileEmulation.deviceMetrics`), in desktop mode: the
    /// page is laid out at `width` whether or not it has a viewport `<meta>`. The size is
    /// fixed for the session; start another `Browser` for another width.
    #[track_caller]
    pub fn start(width: u32, height: u32) -> Option<Browser> {
        let (driver_bin, chromium_bin) = find()?;
        let dir = tempfile::tempdir().unwrap();
        let profile = dir.path().join("profile");
        let (driver, port) = start_driver(&driver_bin, dir.path());
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let mut browser = Browser {
            rt,
            client: None,
            driver,
            dir,
        };
        let mut caps = serde_json::Map::new();
        caps.insert("browserName".into(), json!("chrome"));
        caps.insert(
            "goog:chromeOptions".into(),
            json!({
                "binary": chromium_bin,
                "args": [
                    "--headless=new",
                    // chromium will not run its sandbox as root, as the tests run here.
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-dev-shm-usage",
                    "--no-first-run",
                    "--lang=ar",
                    format!("--window-size={width},{height}"),
                    format!("--user-data-dir={}", profile.display()),
                ],
                // `--lang` sets neither Accept-Language nor navigator.language on Linux.
                "prefs": { "intl.accept_languages": "ar,en" },
                "mobileEmulation": {
                    "deviceMetrics": {
                        "width": width,
                        "height": height,
                        "pixelRatio": 1.0,
                        "mobile": false,
                        "touch": false,
                    },
                },
            }),
        );
        let url = format!("http://127.0.0.1:{port}");
        let connect = async {
            ClientBuilder::rustls()
                .expect("rustls finds CA certificates (Debian package ca-certificates)")
                .capabilities(caps)
                .connect(&url)
                .await
        };
        match browser.rt.block_on(connect) {
            Ok(client) => browser.client = Some(client),
            Err(e) => panic!(
                "chromedriver at {url} could not start chromium ({}): {e}\n{}",
                chromium_bin.display(),
                browser.driver_log()
            ),
        }
        Some(browser)
    }

    /// Loads `url` and waits until the page has loaded.
    #[track_caller]
    pub fn goto(&self, url: &str) {
        self.run(url, self.client().goto(url));
    }

    /// The address of the page shown.
    #[track_caller]
    pub fn url(&self) -> String {
        self.run("current URL", self.client().current_url()).into()
    }

    /// The page's DOM as HTML (after the browser has parsed it, not the bytes served).
    #[track_caller]
    pub fn source(&self) -> String {
        self.run("page source", self.client().source())
    }

    /// How many elements match the CSS selector (0 when none: it does not wait).
    #[track_caller]
    pub fn count(&self, css: &str) -> usize {
        self.run(css, self.client().find_all(Locator::Css(css)))
            .len()
    }

    /// Waits until an element matches the CSS selector (at most 20 s): after a click, name
    /// something only the next page has. Errors count as "not yet": chromedriver answers
    /// "aborted by navigation" to a look-up made while the next page is arriving.
    #[track_caller]
    pub fn wait_for(&self, css: &str) {
        let deadline = Instant::now() + WAIT;
        loop {
            let last = match self.rt.block_on(self.client().find_all(Locator::Css(css))) {
                Ok(found) if !found.is_empty() => return,
                Ok(_) => "no match".to_string(),
                Err(e) => e.to_string(),
            };
            assert!(
                Instant::now() < deadline,
                "browser: nothing matches {css} after {WAIT:?} (last: {last})"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Waits until the address of the page shown contains `part` (at most 20 s): after a
    /// click that leads to a page of the same kind, where no selector tells them apart.
    #[track_caller]
    pub fn wait_for_url(&self, part: &str) {
        let deadline = Instant::now() + WAIT;
        loop {
            // Errors count as "not yet", as in `wait_for`.
            if let Ok(url) = self.rt.block_on(self.client().current_url())
                && url.as_str().contains(part)
            {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "browser: the address never contained {part:?} after {WAIT:?}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The rendered text of the first element matching the CSS selector.
    #[track_caller]
    pub fn text(&self, css: &str) -> String {
        let client = self.client();
        self.run(css, async {
            client.find(Locator::Css(css)).await?.text().await
        })
    }

    /// An attribute of the first element matching the CSS selector, `None` when absent.
    #[track_caller]
    pub fn attr(&self, css: &str, name: &str) -> Option<String> {
        let client = self.client();
        self.run(css, async {
            client.find(Locator::Css(css)).await?.attr(name).await
        })
    }

    /// Types `value` into the first field matching the CSS selector, after clearing it.
    #[track_caller]
    pub fn fill(&self, css: &str, value: &str) {
        let client = self.client();
        self.run(css, async {
            let field = client.find(Locator::Css(css)).await?;
            field.clear().await?;
            field.send_keys(value).await
        });
    }

    /// Clicks the first element matching the CSS selector (a link, a submit button). When
    /// that loads another page, [`Browser::wait_for`] it before anything else.
    #[track_caller]
    pub fn click(&self, css: &str) {
        let client = self.client();
        self.run(css, async {
            client.find(Locator::Css(css)).await?.click().await
        });
    }

    /// Runs `script` (a function body: `return` gives the result, `arguments[i]` the
    /// arguments) in the page. WebDriver scripts are not subject to the page's CSP.
    #[track_caller]
    pub fn execute(&self, script: &str, args: Vec<Value>) -> Value {
        self.run(script, self.client().execute(script, args))
    }

    /// The page's full width and the viewport's, in CSS pixels:
    /// `(document.documentElement.scrollWidth, window.innerWidth)`.
    #[track_caller]
    pub fn page_width(&self) -> (u64, u64) {
        let v = self.execute(
            "return [document.documentElement.scrollWidth, window.innerWidth];",
            vec![],
        );
        let n = |i: usize| {
            v[i].as_u64()
                .unwrap_or_else(|| panic!("widths are numbers: {v}"))
        };
        (n(0), n(1))
    }

    /// Whether the page fits the window's width (no horizontal scrolling).
    #[track_caller]
    pub fn fits_width(&self) -> bool {
        let (page, window) = self.page_width();
        page <= window
    }

    /// The cookies the browser holds for the page shown, HttpOnly ones included.
    #[track_caller]
    pub fn cookies(&self) -> Vec<Cookie<'static>> {
        self.run("cookies", self.client().get_all_cookies())
    }

    /// Saves a PNG of the viewport as `NAME.png` in the screenshots folder kept after the
    /// run (`rasd-screenshots` in the build's target folder), prints and returns its path.
    #[track_caller]
    pub fn screenshot(&self, name: &str) -> PathBuf {
        let png = self.run("screenshot", self.client().screenshot());
        let dir = screenshots_dir();
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(format!("{name}.png"));
        std::fs::write(&path, png).unwrap();
        eprintln!("screenshot: {}", path.display());
        path
    }

    fn client(&self) -> &Client {
        self.client.as_ref().expect("the session is open")
    }

    /// Blocks on one WebDriver exchange; panics with `what` and the error.
    #[track_caller]
    fn run<T>(&self, what: &str, f: impl Future<Output = Result<T, CmdError>>) -> T {
        match self.rt.block_on(f) {
            Ok(v) => v,
            Err(e) => panic!("browser: {what}: {e}"),
        }
    }

    /// The end of chromedriver's (and chromium's) output, for failure messages.
    fn driver_log(&self) -> String {
        let log =
            std::fs::read_to_string(self.dir.path().join("chromedriver.log")).unwrap_or_default();
        let tail: Vec<&str> = log.lines().rev().take(30).collect();
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        format!("chromedriver's output, last lines:\n{}", tail.join("\n"))
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        // Ending the session makes chromedriver close chromium and wait for it; only then is
        // chromedriver killed and reaped, and the profile removed (after this function).
        if let Some(client) = self.client.take() {
            let close = async { tokio::time::timeout(WAIT, client.close()).await };
            if !matches!(self.rt.block_on(close), Ok(Ok(()))) {
                eprintln!("browser: the session did not close cleanly");
            }
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

/// chromedriver and chromium, found on `PATH`; `None` (skip) when one is missing, a panic
/// when `RASD_REQUIRE_BROWSER` is set.
#[track_caller]
fn find() -> Option<(PathBuf, PathBuf)> {
    let driver = on_path("chromedriver");
    let chromium = on_path("chromium").or_else(|| on_path("chromium-browser"));
    if let (Some(d), Some(c)) = (&driver, &chromium) {
        return Some((d.clone(), c.clone()));
    }
    let mut missing = Vec::new();
    if chromium.is_none() {
        missing.push("chromium (Debian package chromium)");
    }
    if driver.is_none() {
        missing.push("chromedriver (Debian package chromium-driver)");
    }
    let is = if missing.len() > 1 { "are" } else { "is" };
    let missing = missing.join(" and ");
    assert!(
        std::env::var_os("RASD_REQUIRE_BROWSER").is_none(),
        "{missing} {is} missing (RASD_REQUIRE_BROWSER is set): apt-get install chromium chromium-driver, as .ci/run does"
    );
    eprintln!(
        "SKIPPED: this test drives a real browser, and {missing} {is} not installed (apt-get install chromium chromium-driver; .ci/run installs them)"
    );
    None
}

/// The first executable file named `name` in a `PATH` folder.
fn on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|p| {
            p.metadata()
                .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        })
}

/// Starts chromedriver on a free loopback port, its output in `dir/chromedriver.log`, and
/// waits until it answers `/status` as ready. chromedriver cannot report a port it picked
/// itself, so one is picked here (bound, then released); if another process takes it
/// meanwhile, chromedriver exits and another port is tried.
#[track_caller]
fn start_driver(bin: &Path, dir: &Path) -> (Child, u16) {
    let log = dir.join("chromedriver.log");
    for _ in 0..3 {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .unwrap()
            .port();
        let out = File::create(&log).unwrap();
        let mut driver = Command::new(bin)
            .arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(out.try_clone().unwrap())
            .stderr(out)
            .spawn()
            .unwrap_or_else(|e| panic!("{} does not start: {e}", bin.display()));
        let deadline = Instant::now() + WAIT;
        loop {
            if driver.try_wait().unwrap().is_some() {
                break; // the port was taken: try another
            }
            if status_ready(port) {
                return (driver, port);
            }
            if Instant::now() > deadline {
                let _ = driver.kill();
                let _ = driver.wait();
                panic!(
                    "chromedriver did not answer on port {port} within {WAIT:?}:\n{}",
                    std::fs::read_to_string(&log).unwrap_or_default()
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
    panic!(
        "chromedriver exited three times on start:\n{}",
        std::fs::read_to_string(&log).unwrap_or_default()
    );
}

/// Whether chromedriver on `port` answers `GET /status` with `"ready": true`.
fn status_ready(port: u16) -> bool {
    let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
    let request =
        format!("GET /status HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n");
    if s.write_all(request.as_bytes()).is_err() {
        return false;
    }
    // chromedriver keeps the connection open despite `Connection: close`: read until the
    // answer is there rather than to the end.
    let mut response = Vec::new();
    let mut buf = [0u8; 4096];
    while let Ok(n @ 1..) = s.read(&mut buf) {
        response.extend_from_slice(&buf[..n]);
        let text = String::from_utf8_lossy(&response);
        if text.contains("\"ready\":true") {
            return text.starts_with("HTTP/1.1 200");
        }
    }
    false
}

/// Where screenshots are kept: `rasd-screenshots` in the target folder this test binary was
/// built in (`$CARGO_TARGET_DIR` when set, else the repository's `target`).
fn screenshots_dir() -> PathBuf {
    let tmp = Path::new(env!("CARGO_TARGET_TMPDIR"));
    tmp.parent().unwrap_or(tmp).join("rasd-screenshots")
}

// The harness on its own, before any Rasd page: a small Arabic site on 127.0.0.1 with a
// Content-Security-Policy as strict as Rasd's pages' and a log-in-style cookie.

/// No script (as on Rasd's pages), no style or image either (Rasd's pages allow their own),
/// forms posted only to the same origin.
const CSP: &str = "default-src 'none'; form-action 'self'";

/// Right to left, a form, and an inline script the policy must block.
const FORM_PAGE: &str = r#"<!doctype html>
<html lang="ar" dir="rtl">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>رصد: تجربة المتصفح</title>
</head>
<body>
<h1>رصد: تجربة المتصفح</h1>
<p>صفحة عربية تُقرأ من اليمين إلى اليسار، ولا تسمح سياسة أمن المحتوى فيها بأي نص برمجي.</p>
<p lang="en" dir="ltr">Rasd: a browser smoke test. This page allows no script at all.</p>
<form method="post" action="/report">
<label for="text">نص البلاغ (report)</label>
<input id="text" name="text" type="text">
<button type="submit">إرسال</button>
</form>
<script>document.documentElement.setAttribute("data-inline-script", "ran");</script>
</body>
</html>
"#;

/// A page 900 px wide. An inline `style` would be blocked by the policy, so the width is a
/// canvas's own.
const WIDE_PAGE: &str = r#"<!doctype html>
<html lang="ar" dir="rtl">
<head><meta charset="utf-8"><title>صفحة أعرض من الشاشة</title></head>
<body>
<p>رسم أعرض من الشاشة:</p>
<p lang="en" dir="ltr">A drawing wider than the screen:</p>
<canvas width="900" height="40"></canvas>
</body>
</html>
"#;

/// The session cookie the form page sets, as a log-in would.
const SESSION_COOKIE: &str = "rasd_session=s3cr3t; HttpOnly; Secure; SameSite=Strict; Path=/";

/// What the test server saw: each page request's Accept-Language, each report's text and
/// Cookie header.
#[derive(Debug, Default)]
struct Seen {
    languages: Vec<String>,
    reports: Vec<(String, String)>,
}

type Shared = std::sync::Arc<std::sync::Mutex<Seen>>;

#[derive(Debug, serde::Deserialize)]
struct Report {
    text: String,
}

fn strict_html(body: String) -> impl axum::response::IntoResponse {
    use axum::http::header;
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CONTENT_SECURITY_POLICY, CSP),
        ],
        body,
    )
}

fn header_text(headers: &axum::http::HeaderMap, name: axum::http::HeaderName) -> String {
    let value = headers.get(name).and_then(|v| v.to_str().ok());
    value.unwrap_or("").to_string()
}

async fn form_page(
    axum::extract::State(seen): axum::extract::State<Shared>,
    headers: axum::http::HeaderMap,
) -> impl axum::response::IntoResponse {
    use axum::http::header;
    let lang = header_text(&headers, header::ACCEPT_LANGUAGE);
    seen.lock().unwrap().languages.push(lang);
    (
        [(header::SET_COOKIE, SESSION_COOKIE)],
        strict_html(FORM_PAGE.to_string()),
    )
}

async fn report(
    axum::extract::State(seen): axum::extract::State<Shared>,
    headers: axum::http::HeaderMap,
    axum::Form(report): axum::Form<Report>,
) -> impl axum::response::IntoResponse {
    let cookie = header_text(&headers, axum::http::header::COOKIE);
    let escaped = report
        .text
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;");
    seen.lock().unwrap().reports.push((report.text, cookie));
    strict_html(format!(
        "<!doctype html>\n<html lang=\"ar\" dir=\"rtl\"><head><meta charset=\"utf-8\"><title>وصل البلاغ</title></head>\n<body><p>وصل البلاغ:</p><p id=\"received\">{escaped}</p></body></html>\n"
    ))
}

/// The test site on 127.0.0.1, served from its own runtime (dropping it stops the site).
fn test_site() -> (tokio::runtime::Runtime, u16, Shared) {
    use axum::routing::{get, post};
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let seen = Shared::default();
    let app = axum::Router::new()
        .route("/", get(form_page))
        .route("/report", post(report))
        .route("/wide", get(async || strict_html(WIDE_PAGE.to_string())))
        .with_state(seen.clone());
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let port = listener.local_addr().unwrap().port();
    rt.spawn(async move { axum::serve(listener, app).await });
    (rt, port, seen)
}

#[test]
fn the_browser_posts_arabic_through_a_strict_csp_rtl_form_and_keeps_a_secure_cookie() {
    let Some(b) = Browser::start(400, 800) else {
        return;
    };
    let (_site, port, seen) = test_site();
    let base = format!("http://127.0.0.1:{port}");

    b.goto(&format!("{base}/"));
    assert_eq!(b.attr("html", "dir").as_deref(), Some("rtl"));
    assert_eq!(b.attr("html", "lang").as_deref(), Some("ar"));
    assert_eq!(b.count("form"), 1);
    // The policy is in force (the page's own script did not run), yet WebDriver's scripts
    // run: the page is 400 px wide and fits.
    assert_eq!(b.attr("html", "data-inline-script"), None);
    assert_eq!(b.page_width(), (400, 400));
    assert!(b.fits_width());
    // Arabic first, as a user in Jordan would ask.
    let languages = seen.lock().unwrap().languages.clone();
    assert!(languages[0].starts_with("ar,"), "{languages:?}");

    // The HttpOnly, Secure, SameSite=Strict cookie is kept over plain http on 127.0.0.1,
    // and hidden from the page's scripts.
    let cookies = b.cookies();
    let session = cookies
        .iter()
        .find(|c| c.name() == "rasd_session")
        .unwrap_or_else(|| panic!("no session cookie over http://127.0.0.1: {cookies:?}"));
    assert_eq!(session.value(), "s3cr3t");
    assert_eq!(session.http_only(), Some(true));
    assert_eq!(session.secure(), Some(true));
    assert_eq!(
        session.same_site().map(|s| s.to_string()).as_deref(),
        Some("Strict")
    );
    assert_eq!(b.execute("return document.cookie;", vec![]), "");

    let shot = b.screenshot("browser-smoke-rtl-form-400");
    let png = std::fs::read(&shot).unwrap();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    assert_eq!(
        u32::from_be_bytes(png[16..20].try_into().unwrap()),
        400,
        "PNG width"
    );

    // Typed, not set by script: a shadda (a combining mark), Arabic-Indic digits, an
    // Arabic comma, guillemets, a dash, Latin.
    let text = "بلاغ عن حادث سير على طريق المطار في عمّان (Amman) — ٣ إصابات، «خفيفة»";
    b.fill("#text", text);
    b.click("button[type=submit]");
    b.wait_for("#received");
    assert!(b.url().ends_with("/report"), "{}", b.url());
    let reports = std::mem::take(&mut seen.lock().unwrap().reports);
    assert_eq!(reports.len(), 1, "{reports:?}");
    assert_eq!(reports[0].0, text);
    assert_eq!(
        reports[0].1, "rasd_session=s3cr3t",
        "the cookie came back with the form"
    );
    assert_eq!(b.text("#received"), text);
    assert!(b.source().contains(text));

    // The same cookie over http://localhost.
    b.goto(&format!("http://localhost:{port}/"));
    let cookies = b.cookies();
    assert!(
        cookies
            .iter()
            .any(|c| c.name() == "rasd_session" && c.secure() == Some(true)),
        "no Secure cookie over http://localhost: {cookies:?}"
    );
}

#[test]
fn fits_width_catches_a_page_wider_than_the_screen() {
    let Some(b) = Browser::start(400, 800) else {
        return;
    };
    let (_site, port, _) = test_site();
    b.goto(&format!("http://127.0.0.1:{port}/wide"));
    let (page, window) = b.page_width();
    assert!(page >= 900 && window == 400, "{page} {window}");
    assert!(!b.fits_width());
    b.screenshot("browser-smoke-rtl-overflow-400");
}
