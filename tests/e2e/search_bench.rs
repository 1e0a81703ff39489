//! `rasd bench search` and `rasd eval search-recall` on a tiny corpus written here: the
//! benchmark runs both engines end to end (its search phase in a child process) and ends
//! with the line scripts read; the recall check imports, compares with FTS5 and passes.

use std::path::{Path, PathBuf};

use super::util::{rasd_ok, shipped_config, stdout};

const AR: &str = r#"{"id": 0, "title": "ضبط مركبة مسروقة في الزرقاء", "body": "ضبطت الشرطة مركبة مسروقة في الزرقاء وأوقفت سائقها بعد مطاردة قصيرة.", "date": "2025-01-03T08:00:00Z", "ts": 1735891200, "cat": "ar-local", "src": "archive-ar"}
{"id": 1, "title": "حريق في مستودع بإربد", "body": "أخمدت فرق الدفاع المدني حريقاً شب في مستودع للأخشاب في إربد دون إصابات.", "date": "2025-01-04T10:00:00Z", "ts": 1735984800, "cat": "ar-local", "src": "archive-ar"}
{"id": 2, "title": "أسعار الخضار تتراجع", "body": "تراجعت أسعار الخضار في الأسواق بعد العيد، وقال تجار إن الطلب انخفض.", "date": "2025-02-01T09:00:00Z", "ts": 1738400400, "cat": "ar-economy", "src": "archive-ar"}
{"id": 3, "title": "الأمن العام يحذر من الاحتيال", "body": "حذرت مديرية الأمن العام المواطنين من رسائل احتيال تطلب بيانات بطاقاتهم.", "date": "2025-02-10T09:00:00Z", "ts": 1739178000, "cat": "ar-local", "src": "archive-ar2"}
"#;

const EN: &str = r#"{"id": 0, "title": "Bus overturns near Al-Qatraneh", "body": "Three people died when a bus overturned on the Desert Highway.", "date": "2025-01-05T08:00:00Z", "ts": 1736064000, "cat": "local", "src": "wire"}
{"id": 1, "title": "Police warn of phone fraud", "body": "Police warned residents about callers asking for bank card numbers.", "date": "2025-01-06T08:00:00Z", "ts": 1736150400, "cat": "local", "src": "wire"}
{"id": 2, "title": "Vegetable prices fall", "body": "Vegetable prices fell in Amman markets after the holiday.", "date": "2025-02-06T08:00:00Z", "ts": 1738828800, "cat": "economy", "src": "paper"}
"#;

const QUERIES_AR: &str = r#"{"qid": 0, "terms": ["مركبة"], "df": [1], "date_from": 1735689600, "date_to": 1738281600, "cat": "ar-local"}
{"qid": 1, "terms": ["الخضار", "أسعار"], "df": [1, 1], "date_from": 1738281600, "date_to": 1740873600, "cat": "ar-economy"}
{"qid": 2, "terms": ["حريق", "مستودع", "إربد"], "df": [1, 1, 1], "date_from": 1735689600, "date_to": 1738281600, "cat": "ar-local"}
"#;

const QUERIES_EN: &str = r#"{"qid": 0, "terms": ["police"], "df": [1], "date_from": 1735689600, "date_to": 1738281600, "cat": "local"}
{"qid": 1, "terms": ["prices", "vegetable"], "df": [1, 1], "date_from": 1738281600, "date_to": 1740873600, "cat": "economy"}
"#;

fn write_corpus(dir: &Path) {
    std::fs::write(dir.join("ar_news.jsonl"), AR).unwrap();
    std::fs::write(dir.join("en_news.jsonl"), EN).unwrap();
    std::fs::write(dir.join("queries_ar.jsonl"), QUERIES_AR).unwrap();
    std::fs::write(dir.join("queries_en.jsonl"), QUERIES_EN).unwrap();
}

/// `key=number`, the number with an optional fraction.
fn number_after(line: &str, key: &str) -> f64 {
    let field = line
        .split(' ')
        .find_map(|f| f.strip_prefix(&format!("{key}=")))
        .unwrap_or_else(|| panic!("no {key}= in {line:?}"));
    field
        .parse()
        .unwrap_or_else(|_| panic!("{key}={field} is not a number in {line:?}"))
}

/// Runs `rasd COMMAND… --corpus DIR ARGS…` on the small corpus written into a new folder,
/// with the shipped config and `DIR/data` as data folder; answers the folder (kept alive),
/// the data folder and what the command printed.
fn on_small_corpus(command: &[&str], args: &[&str]) -> (tempfile::TempDir, PathBuf, String) {
    let tmp = tempfile::tempdir().unwrap();
    write_corpus(tmp.path());
    let data = tmp.path().join("data");
    let config = shipped_config();
    let mut all = vec![
        "--config",
        config.to_str().unwrap(),
        "--data-dir",
        data.to_str().unwrap(),
    ];
    all.extend_from_slice(command);
    all.extend(["--corpus", tmp.path().to_str().unwrap()]);
    all.extend_from_slice(args);
    let text = stdout(&rasd_ok(&all));
    (tmp, data, text)
}

#[test]
fn bench_search_ends_with_the_figures_line() {
    let (_tmp, data, text) =
        on_small_corpus(&["bench", "search"], &["--items", "60", "--queries", "30"]);
    let last = text.lines().last().expect("some output");
    let keys: Vec<&str> = last
        .split(' ')
        .map(|f| f.split('=').next().unwrap())
        .collect();
    assert_eq!(
        keys,
        [
            "items",
            "rasd_p95_ms",
            "rasd_p99_ms",
            "fts5_p95_ms",
            "ratio_p95"
        ],
        "{text}"
    );
    assert_eq!(number_after(last, "items"), 60.0);
    for key in ["rasd_p95_ms", "rasd_p99_ms", "fts5_p95_ms", "ratio_p95"] {
        assert!(number_after(last, key) >= 0.0, "{text}");
    }
    assert!(
        number_after(last, "rasd_p99_ms") >= number_after(last, "rasd_p95_ms"),
        "{text}"
    );
    assert!(
        text.contains("a child process that only searches"),
        "{text}"
    );
    // Both indexes were kept in --data-dir.
    assert!(data.join("search/meta.json").exists());
    assert!(data.join("fts5.sqlite").exists());
}

#[test]
fn search_recall_matches_fts5_on_a_small_corpus() {
    let (_tmp, _data, text) = on_small_corpus(&["eval", "search-recall"], &["--min", "3"]);
    assert!(
        text.contains("3/3 queries match at least as many items as FTS5"),
        "{text}"
    );
    assert_eq!(
        text.lines().last().unwrap(),
        "store_ok=3 raw_ok=3 queries=3 behaviour_failures=0 min=3",
        "{text}"
    );
}
