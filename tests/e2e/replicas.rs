//! Index replicas on a shared PostgreSQL store: two machines (two data folders, each with
//! its own tantivy index) on one store. What one stores, the other's `rasd serve` indexes
//! within the stated lag (docs/scaling.md: about a second plus one follow); a replica that
//! was down catches up when it starts again.

use std::path::Path;
use std::time::{Duration, Instant};

use super::util::{Daemon, rasd, shipped_config, stderr, stdout};

/// `rasd ARGS` with the store at `url`; must succeed.
fn rasd_on(url: &str, args: &[&str]) -> std::process::Output {
    let out = rasd()
        .env("RASD_STORE_URL", url)
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "rasd {args:?} failed: {}{}",
        stdout(&out),
        stderr(&out)
    );
    out
}

/// Hits of `query` in the index of `data` (the store at `url`).
fn hits(url: &str, cfg: &str, data: &Path, query: &str) -> u64 {
    let out = rasd_on(
        url,
        &[
            "--config",
            cfg,
            "--data-dir",
            data.to_str().unwrap(),
            "search",
            "--json",
            "--",
            query,
        ],
    );
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    v["total"].as_u64().unwrap_or(0)
}

/// Import lines: `n` Arabic reports of `place`, numbered from `from`.
fn lines(place: &str, from: usize, n: usize) -> String {
    (from..from + n)
        .map(|i| {
            format!(
                "{{\"id\": \"rep-{i}\", \"source\": \"archive-ar\", \"title\": \"ضبط مركبة مسروقة رقم {i} في {place}\", \
                 \"body\": \"ضبطت الشرطة مركبة مسروقة في {place} وأوقفت سائقها، البلاغ رقم {i}.\", \
                 \"date\": \"2026-11-0{}T08:00:00Z\"}}\n",
                1 + i % 9
            )
        })
        .collect()
}

/// Waits until `data`'s index answers `want` hits for `query`; returns how long it took.
fn wait_for(url: &str, cfg: &str, data: &Path, query: &str, want: u64, node: &Daemon) -> Duration {
    let t = Instant::now();
    loop {
        let got = hits(url, cfg, data, query);
        if got == want {
            return t.elapsed();
        }
        assert!(
            t.elapsed() < Duration::from_secs(30),
            "the replica holds {got} hits for {query:?}, not {want}, after 30 s: {}",
            std::fs::read_to_string(&node.log).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn a_second_machine_indexes_what_the_first_stores_and_catches_up_after_downtime() {
    let Some(base) = rasd_store::testing::require_pg("index replicas on a shared store") else {
        return;
    };
    let url = rasd_store::db::fresh_schema_url(&base).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let cfg = shipped_config();
    let cfg = cfg.to_str().unwrap();
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let addr: std::net::SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let serve_b = |log: &str| {
        Daemon::spawn(
            &[
                "--config",
                cfg,
                "--data-dir",
                b.to_str().unwrap(),
                "serve",
                "--addr",
                &addr.to_string(),
            ],
            &[("RASD_STORE_URL", &url)],
            &tmp.path().join(log),
        )
    };
    let mut node_b = serve_b("b1.log");
    node_b.wait_healthy(addr);

    // Machine A stores through `rasd import items` (its own index follows at the end).
    let import_on_a = |name: &str, text: String| {
        let file = tmp.path().join(name);
        std::fs::write(&file, text).unwrap();
        let args = [
            "--config",
            cfg,
            "--data-dir",
            a.to_str().unwrap(),
            "import",
            "items",
            file.to_str().unwrap(),
        ];
        stdout(&rasd_on(&url, &args))
    };
    let out = import_on_a("first.jsonl", lines("الزرقاء", 0, 40));
    assert!(out.contains("imported 40 items"), "{out}");
    assert_eq!(hits(&url, cfg, &a, "الزرقاء"), 40);
    // Machine B's server indexes them without being told.
    let lag = wait_for(&url, cfg, &b, "الزرقاء", 40, &node_b);
    eprintln!("replica lag after an import on the other machine: {lag:?}");

    // B goes down; A stores more; B, started again, catches up from its last change.
    node_b.kill();
    let out = import_on_a("second.jsonl", lines("إربد", 100, 25));
    assert!(out.contains("imported 25 items"), "{out}");
    assert_eq!(hits(&url, cfg, &b, "إربد"), 0, "B was down");
    let mut node_b = serve_b("b2.log");
    node_b.wait_healthy(addr);
    wait_for(&url, cfg, &b, "إربد", 25, &node_b);
    assert_eq!(hits(&url, cfg, &b, "الزرقاء"), 40);
    // Both machines answer alike, and agree with the store.
    assert_eq!(hits(&url, cfg, &a, "مركبة"), hits(&url, cfg, &b, "مركبة"));
    assert_eq!(hits(&url, cfg, &b, "مركبة"), 65);
    node_b.stop();
}
