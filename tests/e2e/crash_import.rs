//! Crash trial of `rasd import items`: a file of 3,000 lines (Arabic and English items, and
//! some lines that are not items), the import killed with SIGKILL at a random moment, then
//! run again to the end. Every line the importer takes must then be stored exactly once
//! (as many items as valid lines, each url once), the index must hold the same ids (lag 0,
//! `rasd verify` ok) and the story assigner and the alert rules must have read every change.
//!
//! The short form runs 3 trials; `RASD_CRASH_TRIALS=20` runs the long form, and
//! `RASD_CRASH_SEED=N` replays a run (the seed is printed).

use std::path::Path;
use std::process::Stdio;
use std::time::Instant;

use super::util::{
    Rng, assert_verified, crash_trials, followers, rasd, rasd_ok, shipped_config, status_json,
    stdout, store_read_only, try_followers,
};

const LINES: usize = 3000;
/// Every 100th line is not an item.
const BAD_EVERY: usize = 100;

/// The file: items of the last days, Arabic and English in turn; its valid line count.
fn write_file(path: &Path) -> usize {
    let now = chrono::Utc::now();
    let places = ["الزرقاء", "إربد", "العقبة", "مادبا", "الكرك", "جرش"];
    let towns = ["Zarqa", "Irbid", "Aqaba", "Madaba", "Karak", "Jerash"];
    let mut text = String::new();
    let mut valid = 0;
    for n in 0..LINES {
        if n % BAD_EVERY == 50 {
            text.push_str(&format!("سطر تالف رقم {n}، ليس مادة\n"));
            continue;
        }
        let at = now - chrono::Duration::minutes((LINES - n) as i64 * 3);
        let k = n % places.len();
        let (title, body, lang) = if n % 2 == 0 {
            (
                format!("ضبط مركبة مسروقة رقم {n} في {}", places[k]),
                format!(
                    "ضبطت الأجهزة الأمنية في {} مركبة مسروقة وأوقفت شخصين، وفق بيان الأمن العام. \
                     المادة {n} من الأرشيف.",
                    places[k]
                ),
                "ar",
            )
        } else {
            (
                format!("Fire at a warehouse in {} (archive {n})", towns[k]),
                format!(
                    "Civil defence crews put out a fire at a warehouse in {} with no injuries, \
                     the directorate said. Archive item {n}.",
                    towns[k]
                ),
                "en",
            )
        };
        text.push_str(
            &serde_json::json!({
                "id": n,
                "source": format!("archive-{}", n % 3),
                "title": title,
                "body": body,
                "url": format!("https://archive.example.jo/{n}"),
                "published": at.to_rfc3339(),
                "lang": lang,
            })
            .to_string(),
        );
        text.push('\n');
        valid += 1;
    }
    std::fs::write(path, text).unwrap();
    valid
}

#[cfg(unix)]
#[test]
fn killed_imports_store_every_line_once() {
    let (trials, seed) = crash_trials("killed imports");
    let mut rng = Rng(seed);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("archive.jsonl");
    let valid = write_file(&file);
    let cfg = shipped_config().to_str().unwrap().to_string();
    let import = |data: &str| -> Vec<String> {
        ["--config", &cfg, "--data-dir", data, "import", "items"]
            .iter()
            .map(|s| s.to_string())
            .chain([file.to_str().unwrap().to_string()])
            .collect()
    };

    // One uninterrupted import gives the window the kills are spread over.
    let clean = dir.path().join("clean");
    let started = Instant::now();
    let args = import(clean.to_str().unwrap());
    let out = rasd_ok(&args.iter().map(String::as_str).collect::<Vec<_>>());
    let window = started.elapsed();
    let refused = LINES - valid;
    assert!(
        stdout(&out).contains(&format!(
            "imported {valid} items, 0 unchanged, {refused} lines refused, of {LINES} lines"
        )),
        "{}",
        stdout(&out)
    );
    eprintln!("an uninterrupted import takes {window:?}");

    let mut stored_at_kill = Vec::new();
    let mut left_behind = 0;
    for trial in 0..trials {
        let context = format!("trial {trial} (RASD_CRASH_SEED={seed})");
        let data = dir.path().join(format!("trial-{trial}"));
        let data_s = data.to_str().unwrap();
        let delay = rng.moment(window);
        let mut child = rasd()
            .args(import(data_s))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(delay);
        let _ = child.kill(); // SIGKILL
        let _ = child.wait();
        let before: i64 = if data.join("rasd.sqlite").exists() {
            store_read_only(&data)
                .query_row("SELECT COUNT(*) FROM items", [], |r| r.get(0))
                .unwrap_or(0)
        } else {
            0
        };
        stored_at_kill.push(before);
        // Stored but not yet read by the story assigner and the rules when the kill came.
        let behind = try_followers(&data).is_some_and(|(seq, st, al)| st < seq || al < seq);
        if behind {
            left_behind += 1;
        }

        let args = import(data_s);
        let out = rasd_ok(&args.iter().map(String::as_str).collect::<Vec<_>>());
        let summary = stdout(&out);
        let imported_now = valid - before as usize;
        assert!(
            summary.contains(&format!(
                "imported {imported_now} items, {before} unchanged, {refused} lines refused, of {LINES} lines"
            )),
            "{context}: {summary}"
        );
        let db = store_read_only(&data);
        let (items, urls): (i64, i64) = db
            .query_row("SELECT COUNT(*), COUNT(DISTINCT url) FROM items", [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .unwrap();
        assert_eq!((items, urls), (valid as i64, valid as i64), "{context}");
        drop(db);
        let (seq, stories, alerts) = followers(&data);
        assert_eq!(
            (stories, alerts),
            (seq, seq),
            "{context}: the store is at change {seq}, the stories at {stories}, the alert rules at {alerts}"
        );
        let status = status_json(&cfg, data_s);
        assert_eq!(status["index"]["lag"], 0, "{context}: {status}");
        assert_verified(&cfg, data_s, valid as u64, &context);
        eprintln!(
            "trial {trial}: killed after {delay:?} with {before} items stored{}; the rerun \
             imported {imported_now}: {valid} stored once each, lag 0, verify ok",
            if behind {
                " (some not yet given stories)"
            } else {
                ""
            }
        );
    }
    eprintln!(
        "{trials} trials; items stored at the kill: {stored_at_kill:?}; {left_behind} kills left \
         stored items without stories and rules, all caught up by the rerun"
    );
}
