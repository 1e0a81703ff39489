//! `rasd search` from the command line: export as CSV and JSON lines, saved searches, and
//! clear errors (unknown ids, syntax) with a non-zero exit.

use std::path::Path;

use super::util::{imported, rasd, rasd_ok, shipped_config, stderr, stdout};

const LINES: &str = r#"{"id": 1, "source": "archive", "title": "ضبط مركبة مسروقة في الزرقاء", "body": "ضبطت الشرطة مركبة مسروقة في الزرقاء وأوقفت سائقها بتهمة السرقة.", "date": "2026-11-02T08:00:00Z"}
{"id": 2, "source": "archive", "title": "=HYPERLINK(\"http://x\") سرقة, \"منزل\"", "body": "سرقة منزل في إربد، والشرطة تحقق.", "date": "2026-11-03T09:00:00Z"}
{"id": 3, "source": "archive", "title": "Bus crash near Irbid", "body": "A bus crash near Irbid injured ten; police closed the road.", "date": "2026-11-04", "lang": "en"}
"#;

fn setup(tmp: &Path) -> (String, String) {
    imported(tmp, LINES)
}

fn run(config: &str, data: &str, args: &[&str]) -> std::process::Output {
    rasd()
        .args(["--config", config, "--data-dir", data])
        .args(args)
        .output()
        .unwrap()
}

/// [`run`] that must succeed.
fn ok(config: &str, data: &str, args: &[&str]) -> std::process::Output {
    let all: Vec<&str> = ["--config", config, "--data-dir", data]
        .into_iter()
        .chain(args.iter().copied())
        .collect();
    rasd_ok(&all)
}

#[test]
fn every_hit_exports_as_csv_with_a_bom_and_as_json_lines() {
    let tmp = tempfile::tempdir().unwrap();
    let (config, data) = setup(tmp.path());
    let out = run(&config, &data, &["search", "--format", "csv", "سرقة"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let csv = String::from_utf8(out.stdout).unwrap();
    assert!(csv.starts_with('\u{FEFF}'), "a byte-order mark first");
    let mut lines = csv.trim_start_matches('\u{FEFF}').split("\r\n");
    assert_eq!(
        lines.next().unwrap(),
        "id,published,source,lang,title,url,topics,places,sentiment,sentiment_score,about_police,score,snippet"
    );
    let rows: Vec<&str> = lines.filter(|l| !l.is_empty()).collect();
    assert_eq!(rows.len(), 2, "{csv}");
    assert!(
        csv.contains("ضبط مركبة مسروقة في الزرقاء"),
        "Arabic kept: {csv}"
    );
    // Amman time, with its offset.
    assert!(csv.contains("2026-11-02T11:00:00+03:00"), "{csv}");
    // A title a spreadsheet would run as a formula is defused and quoted.
    assert!(
        csv.contains("\"'=HYPERLINK(\"\"http://x\"\") سرقة, \"\"منزل\"\"\""),
        "{csv}"
    );
    // JSON lines: one object per hit, the same columns.
    let out = ok(
        &config,
        &data,
        &["search", "--format", "jsonl", "--lang", "ar"],
    );
    let objects: Vec<serde_json::Value> = stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(objects.len(), 2);
    assert!(
        objects
            .iter()
            .all(|o| o["lang"] == "ar" && o["id"].is_string())
    );
    // --max cuts the export and says so.
    let out = run(
        &config,
        &data,
        &["search", "--format", "jsonl", "--max", "1"],
    );
    assert_eq!(stdout(&out).lines().count(), 1);
    assert!(
        stderr(&out).contains("1 of 3 matching items written"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn saved_searches_are_added_run_listed_and_removed() {
    let tmp = tempfile::tempdir().unwrap();
    let (config, data) = setup(tmp.path());
    let add = ok(
        &config,
        &data,
        &[
            "searches",
            "add",
            "سرقات الزرقاء",
            "سرقة",
            "--place",
            "zarqa",
        ],
    );
    assert!(
        stdout(&add).contains("saved the saved search"),
        "{}",
        stdout(&add)
    );
    let list = stdout(&ok(&config, &data, &["searches", "list"]));
    assert!(list.contains("سرقات الزرقاء\tسرقة · place=zarqa"), "{list}");
    let out = ok(
        &config,
        &data,
        &["search", "--saved", "سرقات الزرقاء", "--json"],
    );
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(v["total"], 1, "{v}");
    assert!(v["hits"][0]["title"].as_str().unwrap().contains("الزرقاء"));
    // A bad saved search is refused before it is saved.
    let bad = run(&config, &data, &["searches", "add", "x", "\"سرقة"]);
    assert!(!bad.status.success());
    assert!(stderr(&bad).contains("at position 1"), "{}", stderr(&bad));
    ok(&config, &data, &["searches", "remove", "سرقات الزرقاء"]);
    let gone = run(&config, &data, &["search", "--saved", "سرقات الزرقاء"]);
    assert!(!gone.status.success());
    assert!(
        stderr(&gone).contains("none is saved yet"),
        "{}",
        stderr(&gone)
    );
}

#[test]
fn unknown_ids_and_syntax_errors_fail_with_what_to_write() {
    let tmp = tempfile::tempdir().unwrap();
    let (config, data) = setup(tmp.path());
    for (args, want) in [
        (
            vec!["search", "--topic", "fraud"],
            "the topics are: traffic_accident",
        ),
        (
            vec!["search", "--place", "oman"],
            "unknown place id \"oman\"",
        ),
        (
            vec!["search", "(سرقة OR سطو"],
            "at position 1: this ( has no matching )",
        ),
        (vec!["search", "since:yesterday"], "since:24h"),
        (vec!["search", "--sort", "oldest", "x"], "use date"),
        (vec!["search", "--page", "0", "x"], "--page counts from 1"),
    ] {
        let out = run(&config, &data, &args);
        assert!(!out.status.success(), "{args:?} should fail");
        assert!(stderr(&out).contains(want), "{args:?}: {}", stderr(&out));
    }
    // A page past the end is an empty page, not an error.
    let out = ok(&config, &data, &["search", "--page", "99", "سرقة"]);
    assert!(
        stdout(&out).starts_with("2 results (page 99 of 1)"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn check_config_refuses_a_rule_that_names_a_search_nobody_saved() {
    let tmp = tempfile::tempdir().unwrap();
    let (_, data) = setup(tmp.path());
    let cfg = tmp.path().join("config");
    super::util::copy_config(&shipped_config(), &cfg);
    let alerts = cfg.join("alerts.toml");
    let mut text = std::fs::read_to_string(&alerts).unwrap();
    text.push_str(
        "\n[[rule]]\nid = \"saved-thefts\"\nname = \"Thefts\"\nsaved_search = \"سرقات\"\nchannels = [\"email\"]\n",
    );
    std::fs::write(&alerts, text).unwrap();
    let cfg = cfg.to_str().unwrap();
    let out = run(cfg, &data, &["check-config"]);
    assert!(!out.status.success(), "{}", stdout(&out));
    assert!(
        stderr(&out).contains("alert rule \"saved-thefts\" in alerts.toml names the saved search \"سرقات\", which does not exist"),
        "{}",
        stderr(&out)
    );
    ok(cfg, &data, &["searches", "add", "سرقات", "سرقة"]);
    let out = run(cfg, &data, &["check-config"]);
    assert!(out.status.success(), "{}", stderr(&out));
}
