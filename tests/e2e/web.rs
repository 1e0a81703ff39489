//! The web as people use it, in headless chromium against `rasd serve` on the demo's data:
//! an analyst logs in, searches in Arabic, opens an item and fixes a tag; a member of the
//! public sends the form; the analyst finds it in the inbox and acknowledges an alert; every
//! page fits a 400-pixel screen. Screenshots are kept (see `Browser::screenshot`).

use std::io::{Read as _, Write as _};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use super::browser::Browser;
use super::util::{add_user, rasd, rasd_ok, shipped_config};

/// `rasd serve` on the demo's data, stopped (SIGTERM) when dropped.
struct Served {
    child: Child,
    addr: SocketAddr,
    _dir: tempfile::TempDir,
}

impl Drop for Served {
    fn drop(&mut self) {
        // Only a child still running: the pid of one already reaped may be another
        // process's by now.
        if !matches!(self.child.try_wait(), Ok(None)) {
            return;
        }
        let _ = std::process::Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn healthy(addr: SocketAddr) -> bool {
    let Ok(mut s) = TcpStream::connect(addr) else {
        return false;
    };
    let _ = write!(
        s,
        "GET /healthz HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    );
    let mut r = String::new();
    let _ = s.read_to_string(&mut r);
    r.starts_with("HTTP/1.1 200")
}

/// The demo's data (`rasd demo --once`), an analyst `rana`, and `rasd serve` on a free port.
fn served() -> Served {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let data_s = data.to_str().unwrap().to_string();
    rasd_ok(&[
        "--config",
        shipped_config().to_str().unwrap(),
        "demo",
        "--once",
        "--data-dir",
        &data_s,
    ]);
    let cfg = data.join("config");
    let cfg_s = cfg.to_str().unwrap().to_string();
    add_user(
        &cfg_s,
        &data_s,
        "rana",
        "analyst",
        "كلمة مرور المحللة الطويلة",
    );
    let addr = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let child = rasd()
        .args([
            "--config",
            &cfg_s,
            "--data-dir",
            &data_s,
            "serve",
            "--addr",
            &addr.to_string(),
        ])
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(dir.path().join("serve.log")).unwrap())
        .spawn()
        .unwrap();
    let mut served = Served {
        child,
        addr,
        _dir: dir,
    };
    let deadline = Instant::now() + Duration::from_secs(60);
    while !healthy(addr) {
        assert!(
            served.child.try_wait().unwrap().is_none(),
            "rasd serve exited: {}",
            std::fs::read_to_string(served._dir.path().join("serve.log")).unwrap_or_default()
        );
        assert!(
            Instant::now() < deadline,
            "rasd serve did not answer within 60 s"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    served
}

fn log_in(b: &Browser, base: &str) {
    b.goto(&format!("{base}/search"));
    assert!(
        b.url().contains("/login?next="),
        "sent to log in: {}",
        b.url()
    );
    b.fill("#username", "rana");
    b.fill("#password", "كلمة مرور المحللة الطويلة");
    b.click("form.stack button[type=submit]");
    b.wait_for("input[type=search]");
    assert!(b.url().ends_with("/search"), "{}", b.url());
}

#[test]
fn an_analyst_searches_fixes_a_tag_finds_a_public_report_and_acknowledges_an_alert() {
    let Some(b) = Browser::start(1280, 900) else {
        return;
    };
    let server = served();
    let base = format!("http://{}", server.addr);

    log_in(&b, &base);
    let session = b
        .cookies()
        .into_iter()
        .find(|c| c.name() == "rasd_session")
        .expect("a session cookie");
    assert_eq!(session.http_only(), Some(true));
    assert_eq!(session.secure(), Some(true));
    assert_eq!(
        b.execute("return document.cookie", vec![]),
        serde_json::json!(""),
        "page scripts cannot read the session"
    );

    // Search in Arabic.
    b.fill("input[type=search]", "إربد");
    b.click("form.q button[type=submit]");
    // The page before (the search page with no words) may list hits of its own.
    b.wait_for_url("q=");
    b.wait_for(".hit h3 a");
    assert!(b.count(".hit") > 0);
    assert_eq!(b.attr("html", "dir").as_deref(), Some("rtl"));
    b.screenshot("web-search-arabic");

    // Open an item and fix a tag: add a governorate it lacks.
    b.click(".hit h3 a");
    b.wait_for("section.fix");
    let unchecked = "section.fix input[name=place]:not(:checked)";
    let place = b
        .attr(unchecked, "value")
        .expect("a governorate not yet tagged");
    b.click(&format!("section.fix input[name=place][value={place}]"));
    b.click("section.fix button[type=submit]");
    b.wait_for("section.fix p.notice");
    assert!(
        b.count(&format!(
            "section.fix input[name=place][value={place}]:checked"
        )) == 1,
        "the fix is saved"
    );
    b.screenshot("web-item-fixed");

    // The public form, in Arabic, without JavaScript.
    b.goto(&format!("{base}/report"));
    b.click("select#category option[value=theft]");
    b.click("select#governorate option[value=irbid]");
    b.fill(
        "#text",
        "سُرقت سيارتي الزنبقية من أمام العمارة في إربد الليلة الماضية، ورأى الجيران شخصين.",
    );
    b.fill("#contact", "٠٧٩٠٠٠٠٠٠٠");
    b.click("form.stack button[type=submit]");
    b.wait_for("strong.reference");
    let reference = b.text("strong.reference");
    assert_eq!(reference.len(), 14, "{reference}");
    b.screenshot("web-report-sent");

    // It is searchable within moments (the stages follow what the web stores).
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        b.goto(&format!(
            "{base}/search?q=%D8%A7%D9%84%D8%B2%D9%86%D8%A8%D9%82%D9%8A%D8%A9"
        ));
        b.wait_for("body");
        if b.count(".hit") > 0 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the report never became searchable"
        );
        std::thread::sleep(Duration::from_millis(300));
    }

    // The inbox has it; its contact shows only when asked for.
    b.goto(&format!("{base}/submissions"));
    b.wait_for("table.list");
    assert!(
        b.source().contains(&reference),
        "the inbox lists {reference}"
    );
    b.click(&format!("a[href='/submissions/{reference}']"));
    b.wait_for("blockquote.submission");
    assert!(!b.source().contains("0790000000"));
    b.click("form.reveal button[type=submit]");
    b.wait_for("dl");
    assert!(b.source().contains("0790000000"));
    b.screenshot("web-submission");

    // Acknowledge an alert.
    b.goto(&format!("{base}/alerts?state=open"));
    b.wait_for("h1");
    let open = b.count("section.alert form.inline");
    assert!(open > 0, "the demo raised open alerts");
    b.click("section.alert form.inline button[type=submit]");
    b.wait_for("section.alert");
    b.goto(&format!("{base}/alerts?state=open"));
    b.wait_for("h1");
    assert_eq!(b.count("section.alert form.inline"), open - 1);
    b.screenshot("web-alerts");
}

#[test]
fn every_page_fits_a_400_pixel_screen() {
    let Some(b) = Browser::start(400, 800) else {
        return;
    };
    let server = served();
    let base = format!("http://{}", server.addr);
    log_in(&b, &base);
    let pages = [
        ("search", "/search?q=%D8%A7%D9%84%D8%A3%D9%85%D9%86"),
        ("inbox", "/submissions"),
        ("alerts", "/alerts"),
        ("sources", "/sources"),
        ("digest", "/digest"),
        ("archive", "/digests"),
        ("account", "/account"),
        ("report", "/report"),
        ("report-en", "/report?lang=en"),
    ];
    let mut wide = Vec::new();
    for (name, path) in pages {
        b.goto(&format!("{base}{path}"));
        b.wait_for("body");
        b.screenshot(&format!("web-400px-{name}"));
        if !b.fits_width() {
            wide.push(format!("{path}: {:?}", b.page_width()));
        }
    }
    // An item page too.
    b.goto(&format!("{base}/search?q=%D8%A7%D9%84%D8%A3%D9%85%D9%86"));
    b.click(".hit h3 a");
    b.wait_for("article");
    b.screenshot("web-400px-item");
    if !b.fits_width() {
        wide.push(format!("item: {:?}", b.page_width()));
    }
    assert!(wide.is_empty(), "wider than the screen: {wide:?}");
}
