//! `rasd import items`: archived JSON lines into the store and the index; bad lines are
//! reported with their numbers and skipped; a second import stores nothing twice; standard
//! input works too.

use std::io::Write as _;
use std::process::Stdio;

use super::util::{rasd, rasd_ok, shipped_config, stderr, stdout};

const LINES: &str = r#"{"id": 1, "src": "archive-ar", "title": "ضبط مركبة مسروقة في الزرقاء", "body": "ضبطت الشرطة مركبة مسروقة في الزرقاء وأوقفت سائقها.", "date": "2025-03-02T08:00:00Z", "cat": "local"}
{"id": "2", "source": "archive-ar", "title": "حريق في مستودع بإربد", "body": "أخمدت فرق الدفاع المدني حريقاً شب في مستودع بإربد دون إصابات.", "published": "2025-03-03 10:15"}
not json at all
{"title": "Bus overturns near Al-Qatraneh", "body": "Three people died when a bus overturned on the Desert Highway.", "date": "2025-03-04", "url": "https://example.jo/bus", "lang": "en"}
{"id": 4, "source": "archive-ar", "title": "بلا تاريخ", "body": "مادة بلا تاريخ."}
"#;

#[test]
fn archived_lines_are_imported_once_and_bad_ones_are_reported() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("archive.jsonl");
    std::fs::write(&file, LINES).unwrap();
    let data = tmp.path().join("data");
    let config = shipped_config();
    let args = |f: &str| {
        vec![
            "--config".to_string(),
            config.to_str().unwrap().into(),
            "--data-dir".into(),
            data.to_str().unwrap().into(),
            "import".into(),
            "items".into(),
            f.into(),
        ]
    };
    let first = rasd_ok(
        &args(file.to_str().unwrap())
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>(),
    );
    let out = stdout(&first);
    assert!(
        out.contains("imported 3 items, 0 unchanged, 2 lines refused, of 5 lines"),
        "{out}"
    );
    let err = stderr(&first);
    assert!(
        err.contains("archive.jsonl:3: line skipped: not an item line"),
        "{err}"
    );
    assert!(
        err.contains("archive.jsonl:5: line skipped: no published or date"),
        "{err}"
    );
    // Again: nothing new.
    let again = stdout(&rasd_ok(
        &args(file.to_str().unwrap())
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>(),
    ));
    assert!(
        again.contains("imported 0 items, 3 unchanged, 2 lines refused"),
        "{again}"
    );
    // Searchable, tagged, with its source and date.
    let search = stdout(&rasd_ok(&[
        "--config",
        config.to_str().unwrap(),
        "--data-dir",
        data.to_str().unwrap(),
        "search",
        "--json",
        "مسروقة",
    ]));
    let v: serde_json::Value = serde_json::from_str(&search).unwrap();
    let hit = &v["hits"][0];
    assert_eq!(hit["source"], "archive-ar", "{v}");
    assert!(
        hit["places"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p == "zarqa"),
        "{v}"
    );
    // Standard input: a new line arrives, the rest are known.
    let mut child = rasd()
        .args(args("-"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let extra = r#"{"id": 9, "source": "archive-ar", "title": "إطلاق نار في مشاجرة بالرمثا", "body": "أصيب شخصان في مشاجرة بالرمثا.", "date": "2025-03-05"}"#;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(format!("{LINES}{extra}\n").as_bytes())
        .unwrap();
    let piped = child.wait_with_output().unwrap();
    assert!(piped.status.success(), "{}", stderr(&piped));
    assert!(
        stdout(&piped).contains("imported 1 items, 3 unchanged, 2 lines refused"),
        "{}",
        stdout(&piped)
    );
}
