//! `rasd reindex` without a gap: the new index is built beside the old one, searches keep
//! answering meanwhile with the same results, a kill midway leaves the old index serving,
//! and the rebuilt index gives the same results as the one it replaced.

use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use super::util::{imported, rasd, rasd_ok, search_json, stdout};

const QUERIES: [&str; 5] = [
    "حادث",
    "بحادث",
    "سرقة -الزرقاء",
    "\"الدفاع المدني\"",
    "irbid OR إربد",
];

/// `n` archived items: Arabic accidents and thefts, English arrests.
fn archive(n: usize) -> String {
    (0..n)
        .map(|i| {
            let (title, body, lang) = match i % 3 {
                0 => (
                    format!("حادث سير رقم {i} في الزرقاء"),
                    format!("أصيب {i} أشخاص بحادث تصادم وتعاملت كوادر الدفاع المدني مع الحادث."),
                    "ar",
                ),
                1 => (
                    format!("سرقة محل تجاري رقم {i}"),
                    format!("ضبطت الشرطة مشتبهاً بسرقة مركبة ومحل رقم {i} في إربد."),
                    "ar",
                ),
                _ => (
                    format!("Police in Irbid arrest suspect {i}"),
                    format!("Officers arrested suspect {i} in Irbid after a theft, police said."),
                    "en",
                ),
            };
            serde_json::json!({
                "id": i, "source": "archive", "title": title, "body": body, "lang": lang,
                "date": format!("2026-10-{:02}T{:02}:00:00Z", 1 + i % 28, i % 24),
            })
            .to_string()
                + "\n"
        })
        .collect()
}

fn totals(config: &str, data: &str) -> Vec<u64> {
    QUERIES
        .iter()
        .map(|q| search_json(config, data, q)["total"].as_u64().unwrap())
        .collect()
}

fn setup(tmp: &Path, n: usize) -> (String, String) {
    imported(tmp, &archive(n))
}

#[test]
fn searches_answer_during_a_reindex_and_after_it_the_same() {
    let tmp = tempfile::tempdir().unwrap();
    let (config, data) = setup(tmp.path(), 3000);
    let before = totals(&config, &data);
    assert!(before.iter().all(|&n| n > 0), "{before:?}");
    let mut reindex = rasd()
        .args(["--config", &config, "--data-dir", &data, "reindex"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut during = 0;
    loop {
        // Every search while the new index is built answers, with the old index's results.
        assert_eq!(
            totals(&config, &data),
            before,
            "a search during the reindex"
        );
        during += 1;
        if reindex.try_wait().unwrap().is_some() {
            break;
        }
    }
    let out = reindex.wait_with_output().unwrap();
    assert!(out.status.success());
    assert!(
        stdout(&out).contains("reindexed 3000 items"),
        "{}",
        stdout(&out)
    );
    eprintln!("searches during the reindex: {during}");
    assert!(during >= 1);
    assert_eq!(
        totals(&config, &data),
        before,
        "the rebuilt index gives the same results"
    );
    let d = Path::new(&data);
    assert!(!d.join("search.new").exists() && !d.join("search.old").exists());
    rasd_ok(&["--config", &config, "--data-dir", &data, "verify"]);
}

#[test]
fn a_reindex_killed_midway_leaves_the_old_index_serving() {
    let tmp = tempfile::tempdir().unwrap();
    let (config, data) = setup(tmp.path(), 3000);
    let before = totals(&config, &data);
    let d = Path::new(&data);
    for trial in 0..3 {
        let mut child = rasd()
            .args(["--config", &config, "--data-dir", &data, "reindex"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // Kill it once the new index is being built (or as soon as possible after).
        let start = Instant::now();
        while !d.join("search.new").exists() && start.elapsed() < Duration::from_secs(20) {
            if child.try_wait().unwrap().is_some() {
                break;
            }
            std::thread::sleep(Duration::from_millis(1 + trial * 3));
        }
        std::thread::sleep(Duration::from_millis(trial * 40));
        let _ = child.kill(); // SIGKILL
        let _ = child.wait();
        assert_eq!(
            totals(&config, &data),
            before,
            "trial {trial}: searches after the kill"
        );
    }
    // The next reindex clears what the killed one left and completes.
    rasd_ok(&["--config", &config, "--data-dir", &data, "reindex"]);
    assert!(!d.join("search.new").exists());
    assert_eq!(totals(&config, &data), before);
    rasd_ok(&["--config", &config, "--data-dir", &data, "verify"]);
}
