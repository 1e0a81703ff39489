//! Crash trials: `rasd fetch` killed with SIGKILL at a random moment, then run again to the
//! end; the store and the index must then hold exactly the same ids, each once. And one
//! writer per data folder: a command refused because another rasd holds the folder changes
//! nothing. Every exchange stays on 127.0.0.1.
//!
//! The short form runs 3 trials; `RASD_CRASH_TRIALS=20` runs the long form, and
//! `RASD_CRASH_SEED=N` replays a run (the seed is printed).

use std::collections::HashMap;
use std::process::Stdio;
use std::time::{Duration, Instant};

use super::util::{
    Rng, Route, assert_verified, copy_config, crash_trials, followers, rasd, rasd_ok, serve,
    shipped_config, status_json, stdout,
};

const FEEDS: usize = 30;
const ITEMS_PER_FEED: usize = 200;

/// One feed of `ITEMS_PER_FEED` entries, each with enough text to be an article.
fn feed(n: usize) -> Vec<u8> {
    let mut out = String::from(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?><rss version=\"2.0\"><channel><title>feed</title>\
         <link>http://crash.example/</link><description>d</description>",
    );
    for i in 0..ITEMS_PER_FEED {
        let (title, body) = if i % 2 == 0 {
            (
                format!("حادث سير رقم {i} على طريق رقم {n} في الزرقاء"),
                format!(
                    "أصيب {i} أشخاص في حادث تصادم بين مركبتين على الطريق {n}، وتعاملت كوادر \
                     الدفاع المدني مع الحادث ونقلت المصابين إلى المستشفى. الخبر {n}-{i}."
                ),
            )
        } else {
            (
                format!("Police in Irbid recover stolen car number {i} (desk {n})"),
                format!(
                    "Officers recovered vehicle {i} reported stolen in Irbid last week and \
                     arrested two suspects, the directorate said. Report {n}-{i}."
                ),
            )
        };
        out.push_str(&format!(
            "<item><title>{title}</title><link>http://crash.example/{n}/{i}</link>\
             <guid>crash-{n}-{i}</guid><pubDate>Sat, 28 Nov 2026 {:02}:{:02}:00 +0300</pubDate>\
             <description>{body}</description></item>",
            i / 60,
            i % 60
        ));
    }
    out.push_str("</channel></rss>");
    out.into_bytes()
}

/// A config folder polling the thirty feeds (each outlet its own loopback server, so the
/// per-host politeness delays do not serialise them).
fn config(dir: &std::path::Path, addrs: &[std::net::SocketAddr]) -> String {
    let cfg = dir.join("config");
    copy_config(&shipped_config(), &cfg);
    std::fs::write(
        cfg.join("rasd.toml"),
        "[fetch]\nconcurrency = 8\nrespect_robots = false\n",
    )
    .unwrap();
    let mut sources = String::new();
    for (n, addr) in addrs.iter().enumerate() {
        sources.push_str(&format!(
            "[[source]]\nid = \"feed-{n}\"\nname = \"Feed {n}\"\nkind = \"feed\"\n\
             url = \"http://{addr}/feed-{n}.xml\"\nfetch_full_text = \"never\"\nallow_private = true\n\n"
        ));
    }
    std::fs::write(cfg.join("sources.toml"), sources).unwrap();
    cfg.to_str().unwrap().to_string()
}

/// One loopback server per feed.
fn servers() -> Vec<std::net::SocketAddr> {
    (0..FEEDS)
        .map(|n| {
            let path: &'static str = Box::leak(format!("/feed-{n}.xml").into_boxed_str());
            let route: Route = (200, "application/rss+xml; charset=utf-8", feed(n));
            serve(HashMap::from([(path, route)]))
        })
        .collect()
}

#[cfg(unix)]
#[test]
fn killed_fetches_leave_store_and_index_in_agreement() {
    let (trials, seed) = crash_trials("killed fetches");
    let mut rng = Rng(seed);
    let addrs = servers();
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path(), &addrs);
    let total = (FEEDS * ITEMS_PER_FEED) as u64;

    // One uninterrupted run gives the window the kills are spread over.
    let clean = dir.path().join("clean");
    let started = Instant::now();
    rasd_ok(&[
        "--config",
        &cfg,
        "--data-dir",
        clean.to_str().unwrap(),
        "fetch",
    ]);
    let window = started.elapsed();
    assert_eq!(status_json(&cfg, clean.to_str().unwrap())["items"], total);
    eprintln!("an uninterrupted fetch takes {window:?}");

    let mut killed_mid_way = 0;
    for trial in 0..trials {
        let data = dir.path().join(format!("trial-{trial}"));
        let data_s = data.to_str().unwrap();
        let delay = Duration::from_millis(rng.below(window.as_millis() as u64));
        let mut child = rasd()
            .args(["--config", &cfg, "--data-dir", data_s, "fetch"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(delay);
        let finished_first = child.try_wait().unwrap().is_some();
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        let before = if data.join("rasd.sqlite").exists() {
            status_json(&cfg, data_s)
        } else {
            serde_json::Value::Null
        };
        if !finished_first {
            killed_mid_way += 1;
        }
        eprintln!(
            "trial {trial}: killed after {delay:?}; store then held {} items, index lag {}",
            before["items"], before["index"]["lag"]
        );

        rasd_ok(&["--config", &cfg, "--data-dir", data_s, "fetch"]);
        let after = status_json(&cfg, data_s);
        assert_eq!(after["items"], total, "trial {trial}: {after}");
        assert_eq!(after["index"]["lag"], 0, "trial {trial}: {after}");
        // The story assigner and the alert rules read every stored change too.
        let (seq, stories, alerts) = followers(&data);
        assert_eq!((stories, alerts), (seq, seq), "trial {trial} (seed {seed})");
        // Same ids in both, each once.
        assert_verified(&cfg, data_s, total, &format!("trial {trial} (seed {seed})"));
    }
    eprintln!("{killed_mid_way} of {trials} trials were killed before the fetch finished");
}

#[cfg(unix)]
#[test]
fn commands_refused_by_the_lock_change_nothing() {
    let addrs = servers();
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path(), &addrs);
    let data = dir.path().join("data");
    let data_s = data.to_str().unwrap();
    rasd_ok(&["--config", &cfg, "--data-dir", data_s, "fetch"]);
    let before = status_json(&cfg, data_s);

    // The daemon holds the folder (its schedule says nothing is due for an hour).
    let cfg_path = std::path::Path::new(&cfg);
    std::fs::write(
        cfg_path.join("rasd.toml"),
        "[server]\nlisten = \"127.0.0.1:0\"\n[fetch]\nrespect_robots = false\n",
    )
    .unwrap();
    let mut daemon = rasd()
        .args(["--config", &cfg, "--data-dir", data_s, "run"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    // The lock file names its holder once the daemon has the folder.
    while !std::fs::read_to_string(data.join("rasd.lock"))
        .unwrap_or_default()
        .contains(" run")
    {
        assert!(Instant::now() < deadline, "the daemon did not start");
        assert!(daemon.try_wait().unwrap().is_none(), "the daemon exited");
        std::thread::sleep(Duration::from_millis(100));
    }

    // A retag with rules that would change every item's topics is refused before it writes.
    let other = dir.path().join("other");
    copy_config(cfg_path, &other);
    std::fs::write(other.join("topics.toml"), "").unwrap();
    std::fs::write(other.join("alerts.toml"), "").unwrap();
    std::fs::write(
        other.join("sources.toml"),
        "[[source]]\nid = \"elsewhere\"\nname = \"Elsewhere\"\nkind = \"feed\"\n\
         url = \"http://127.0.0.1:9/feed.xml\"\nallow_private = true\n",
    )
    .unwrap();
    let other_s = other.to_str().unwrap();
    for args in [
        vec!["--config", other_s, "--data-dir", data_s, "retag"],
        vec!["--config", other_s, "--data-dir", data_s, "fetch"],
        vec!["--config", other_s, "--data-dir", data_s, "reindex"],
    ] {
        let out = rasd().args(&args).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{args:?} was not refused");
        assert!(err.contains("in use by another rasd"), "{args:?}: {err}");
        assert!(err.contains(" run "), "the refusal names the holder: {err}");
    }

    // The daemon's sources are still the ones it recorded, none marked removed (read while
    // it holds the folder, so `rasd sources` itself records nothing).
    let out = rasd_ok(&[
        "--config",
        other_s,
        "--data-dir",
        data_s,
        "sources",
        "--json",
    ]);
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let ids: Vec<&str> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["source"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), FEEDS, "{v}");
    assert!(!ids.contains(&"elsewhere"), "{v}");

    let after = status_json(&cfg, data_s);
    assert_eq!(before["by_topic"], after["by_topic"], "tags were rewritten");
    assert_eq!(after["index"]["lag"], 0);
    let _ = daemon.kill();
    let _ = daemon.wait();
}
