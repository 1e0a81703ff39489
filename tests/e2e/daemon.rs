//! `rasd run`: polls a loopback feed, stores what it gets, counts it at `/metrics`, and stops
//! cleanly on SIGTERM.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::process::Stdio;
use std::time::{Duration, Instant};

use super::util::{add_user, copy_config, rasd, rasd_ok, search_json, serve, shipped_config};

fn feed() -> String {
    let mut items = String::new();
    for (n, (title, text)) in [
        (
            "ضبط مطلوب بقضايا سرقة في إربد",
            "ألقت الأجهزة الأمنية القبض على مطلوب بقضايا سرقة في محافظة إربد.",
        ),
        (
            "حريق منزل في الزرقاء دون إصابات",
            "تعاملت كوادر الدفاع المدني مع حريق شب في منزل بمدينة الزرقاء.",
        ),
        (
            "Traffic accident on the Desert Highway injures three",
            "Three people were injured when two vehicles collided near Qatraneh.",
        ),
    ]
    .iter()
    .enumerate()
    {
        items.push_str(&format!(
            "<item><title>{title}</title><link>http://feed.example/{n}</link><guid>http://feed.example/{n}</guid>\
             <pubDate>Sat, 28 Nov 2026 08:0{n}:00 +0300</pubDate><description>{text}</description></item>"
        ));
    }
    format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?><rss version=\"2.0\"><channel><title>اختبار</title><link>http://feed.example/</link><description>x</description>{items}</channel></rss>"
    )
}

fn items_in(config: &str, data: &str) -> u64 {
    let out = rasd()
        .args(["--config", config, "--data-dir", data, "status", "--json"])
        .output()
        .unwrap();
    if !out.status.success() {
        return 0;
    }
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_default();
    v["items"].as_u64().unwrap_or(0)
}

#[cfg(unix)]
#[test]
fn run_polls_stores_and_stops_on_sigterm() {
    let addr = serve(HashMap::from([(
        "/feed.xml",
        (
            200,
            "application/rss+xml; charset=utf-8",
            feed().into_bytes(),
        ),
    )]));
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("config");
    copy_config(&shipped_config(), &cfg);
    // A free port, so the test can read /metrics.
    let web = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    std::fs::write(
        cfg.join("rasd.toml"),
        format!("[server]\nlisten = \"{web}\"\n"),
    )
    .unwrap();
    std::fs::write(
        cfg.join("sources.toml"),
        format!(
            "[[source]]\nid = \"local\"\nname = \"Local\"\nkind = \"feed\"\nurl = \"http://{addr}/feed.xml\"\n\
             interval = \"1h\"\nfetch_full_text = \"never\"\nallow_private = true\n"
        ),
    )
    .unwrap();
    let data = dir.path().join("data");
    let (cfg_s, data_s) = (cfg.to_str().unwrap(), data.to_str().unwrap());
    // An administrator and an API key for a scraper, from the command line.
    let key = admin_key(cfg_s, data_s);

    let mut child = rasd()
        .args(["--config", cfg_s, "--data-dir", data_s, "run"])
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(dir.path().join("daemon.log")).unwrap())
        .spawn()
        .unwrap();
    // What the daemon logged, for a failure's message.
    let log = || std::fs::read_to_string(dir.path().join("daemon.log")).unwrap_or_default();
    let deadline = Instant::now() + Duration::from_secs(90);
    while items_in(cfg_s, data_s) < 3 {
        assert!(
            Instant::now() < deadline,
            "the daemon stored nothing within 90 s"
        );
        assert!(
            child.try_wait().unwrap().is_none(),
            "the daemon exited early; it logged:\n{}",
            log()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    // The pipeline counted what it did, as Prometheus reads it (the store's commit comes
    // just before the count, so wait for it).
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let text = http_get(web, "/metrics", &key);
        let value = |series: &str| {
            text.lines()
                .find_map(|l| l.strip_prefix(series)?.strip_prefix(' '))
                .map_or(0, |v| v.trim().parse::<u64>().unwrap())
        };
        if value("rasd_items_stored_total") >= 3 {
            assert!(value("rasd_items_fetched_total") >= 3, "{text}");
            assert!(value("rasd_items_tagged_total") >= 3, "{text}");
            assert_eq!(
                value("rasd_fetch_failures_total{source=\"local\"}"),
                0,
                "{text}"
            );
            break;
        }
        assert!(
            Instant::now() < deadline,
            "/metrics never showed the 3 stored items:\n{text}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let kill = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(
            Instant::now() < deadline,
            "the daemon did not stop within 60 s of SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(status.success(), "exit status {status}");
    let mut out = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut out)
        .unwrap();
    assert!(out.contains("3 received"), "{out}");

    // What it stored is searchable, tagged and stays after the stop.
    let v = search_json(cfg_s, data_s, "اربد");
    assert_eq!(v["total"], 1, "{v}");
    assert_eq!(v["hits"][0]["places"][0], "irbid");
    assert!(
        v["hits"][0]["topics"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t == "theft"),
        "{v}"
    );
}

/// Adds the administrator `root` (`rasd users add`, the password on standard input) and
/// returns a new API key of theirs (`rasd users key`).
pub fn admin_key(cfg: &str, data: &str) -> String {
    add_user(cfg, data, "root", "admin", "كلمة مرور طويلة للمدير");
    let out = rasd_ok(&["--config", cfg, "--data-dir", data, "users", "key", "root"]);
    let key = String::from_utf8(out.stdout).unwrap().trim().to_string();
    assert!(key.starts_with("rasd_"), "{key}");
    key
}

/// The body of a GET of `path` from the server at `addr` (plain HTTP/1.1, read to the end).
fn http_get(addr: std::net::SocketAddr, path: &str, key: &str) -> String {
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {key}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    response
        .split_once("\r\n\r\n")
        .map_or(String::new(), |(_, body)| body.to_string())
}

/// Commands started together on a new data folder: one writer creating the store and the
/// index (an import, as a starting daemon does) and readers polling `status` beside it, as
/// the test above and a watching admin do. Every one of them must succeed: neither "database
/// is locked" (which SQLite answers at once, without waiting, to a change of journal mode
/// while another process opens the same new file) nor "the index is already being written"
/// (a reader must never take the index's writer).
#[test]
fn a_writer_and_readers_started_together_on_a_new_data_folder_all_succeed() {
    let cfg = shipped_config();
    let cfg_s = cfg.to_str().unwrap();
    let line = r#"{"id":"1","title":"حريق في الزرقاء","body":"شب حريق في منزل بالزرقاء.","date":"2026-11-28"}"#;
    for round in 0..30u64 {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        let data_s = data.to_str().unwrap();
        let mut writer = rasd()
            .args([
                "--config",
                cfg_s,
                "--data-dir",
                data_s,
                "import",
                "items",
                "-",
            ])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        writer
            .stdin
            .take()
            .unwrap()
            .write_all(format!("{line}\n").as_bytes())
            .unwrap();
        let mut readers = Vec::new();
        for n in 0..8u64 {
            std::thread::sleep(Duration::from_millis((n + round) % 4));
            readers.push(
                rasd()
                    .args(["--config", cfg_s, "--data-dir", data_s, "status", "--json"])
                    .stdout(Stdio::null())
                    .stderr(Stdio::piped())
                    .spawn()
                    .unwrap(),
            );
        }
        let out = writer.wait_with_output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "round {round}, the import: {err}");
        for reader in readers {
            let out = reader.wait_with_output().unwrap();
            let err = String::from_utf8_lossy(&out.stderr);
            // Before the import has created the store, `status` says there is no data yet.
            assert!(
                out.status.success() || err.contains("no Rasd data in"),
                "round {round}, a status beside the import: {err}"
            );
        }
    }
}
