//! `rasd import forms`: other form tools' CSV exports stored as public-form submissions (an
//! Arabic export with a BOM, Windows line ends, a quoted text over two lines, Arabic headers
//! and Arabic-Indic digits; a windows-1256 export without ids), bad rows reported by line
//! with the rest imported, nothing stored twice, searchable at once, and a wrong `--map`
//! refused before anything is opened.

use std::path::Path;
use std::process::Output;

use chrono::{DateTime, Utc};
use rasd_store::{Store, SubmissionFilter};

use super::util::{rasd, rasd_ok, search_json, shipped_config, stderr, stdout};

/// The map of [`ARABIC_BOM_CRLF_MULTILINE`]: Arabic column names.
const ARABIC_MAP: &str = "رقم الطلب=reference, تاريخ الإرسال=date, نص البلاغ=text, نوع البلاغ=category, المحافظة=governorate, الاسم=name, الهاتف=contact";

/// An Arabic export as Excel writes one: a BOM, CRLF line ends, a text quoted over two lines
/// (so the rows after it start a line later than they count), a date in Arabic-Indic digits,
/// names instead of ids, a bad contact (line 5), a text too short (line 6), a category and a
/// governorate the config does not know (line 7), and damaged bytes (line 8, appended).
const ARABIC_BOM_CRLF_MULTILINE: &[&str] = &[
    "رقم الطلب,تاريخ الإرسال,نص البلاغ,نوع البلاغ,المحافظة,الاسم,الهاتف",
    "F-1001,٢٠٢٦-١١-٢٢ ٠٩:٣٠,\"سرقت سيارتي من أمام المنزل في حي معصوم الليلة الماضية.\r\nأرجو المتابعة مع مركز الأمن.\",السرقة,الزرقاء,أحمد,٠٧٩ ١٢٣ ٤٥٦٧",
    "F-1002,2026-11-22T10:00:00+03:00,\"A car keeps driving against traffic on the airport road every evening, please send a patrol.\",Traffic safety,Amman,Sara,sara@example.jo",
    "F-1003,,سيارة مسرعة أمام المدرسة كل صباح,السرقة,الزرقاء,,ليس رقماً",
    "F-1004,,قصير,,,,",
    "F-1005,,شكوى من إزعاج متكرر في الحي كل ليلة بعد منتصف الليل,شكوى عامة,دبي,,",
];

fn import(config: &Path, data: &Path, file: &Path, map: Option<&str>) -> Output {
    let mut c = rasd();
    c.arg("--config")
        .arg(config)
        .arg("--data-dir")
        .arg(data)
        .args(["import", "forms"])
        .arg(file);
    if let Some(map) = map {
        c.args(["--map", map]);
    }
    c.output().expect("rasd runs")
}

fn import_ok(config: &Path, data: &Path, file: &Path, map: &str) -> (String, String) {
    let out = import(config, data, file, Some(map));
    assert!(
        out.status.success(),
        "rasd import forms failed with {}\nstdout:\n{}\nstderr:\n{}",
        out.status,
        stdout(&out),
        stderr(&out)
    );
    (stdout(&out), stderr(&out))
}

fn status_json(config: &Path, data: &Path) -> serde_json::Value {
    let out = rasd_ok(&[
        "--config",
        config.to_str().unwrap(),
        "--data-dir",
        data.to_str().unwrap(),
        "status",
        "--json",
    ]);
    serde_json::from_str(&stdout(&out)).unwrap()
}

#[test]
fn an_arabic_export_with_bom_crlf_and_quoted_lines_is_imported_once() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("forms-ar-bom-crlf.csv");
    let mut bytes = "\u{feff}".as_bytes().to_vec();
    bytes.extend_from_slice(ARABIC_BOM_CRLF_MULTILINE.join("\r\n").as_bytes());
    bytes.extend_from_slice("\r\nF-1006,,بلاغ عن ".as_bytes());
    bytes.extend_from_slice(b"\xff\xfe\xfd");
    bytes.extend_from_slice(" تالف في النص,,,,\r\n".as_bytes());
    std::fs::write(&file, &bytes).unwrap();
    let (config, data) = (shipped_config(), tmp.path().join("data"));

    let before = Utc::now();
    let (out, err) = import_ok(&config, &data, &file, ARABIC_MAP);
    let after = Utc::now();
    assert!(
        out.contains("6 rows read from")
            && out.contains("as UTF-8 with BOM: 3 imported, 0 already there, 3 refused"),
        "{out}"
    );
    assert!(
        out.contains("categories not in topics.toml, stored as other (1 row): \"شكوى عامة\" ×1"),
        "{out}"
    );
    assert!(
        out.contains("governorates not in places.toml, left empty (1 row): \"دبي\" ×1"),
        "{out}"
    );
    for (line, why) in [(5, "contact: "), (6, "text: "), (8, "unreadable: ")] {
        assert!(
            err.contains(&format!("forms-ar-bom-crlf.csv:{line}: row skipped: {why}")),
            "line {line}: {err}"
        );
    }

    let store = Store::open(&data).unwrap();
    let first = store
        .submission("IMP-F-1001")
        .unwrap()
        .expect("F-1001 stored");
    assert_eq!(
        (
            first.via.as_str(),
            first.category.as_str(),
            first.governorate.as_str(),
            first.lang.as_str()
        ),
        ("import", "theft", "zarqa", "ar")
    );
    assert_eq!(
        first.created,
        "2026-11-22T06:30:00Z".parse::<DateTime<Utc>>().unwrap(),
        "٠٩:٣٠ in Amman"
    );
    assert_eq!(
        first.text,
        "سرقت سيارتي من أمام المنزل في حي معصوم الليلة الماضية.\nأرجو المتابعة مع مركز الأمن."
    );
    assert_eq!(
        store.submission_contact("IMP-F-1001").unwrap(),
        Some(("أحمد".to_string(), "0791234567".to_string()))
    );
    let item = store.get_item(&first.item_id).unwrap().unwrap();
    assert_eq!(item.kind, rasd_core::ItemKind::Comment);
    assert_eq!(
        (item.source.as_str(), item.url.as_str()),
        ("form", "rasd-form:IMP-F-1001")
    );
    assert!(item.tags.places.contains(&"zarqa".to_string()));

    let english = store.submission("IMP-F-1002").unwrap().unwrap();
    assert_eq!(
        (
            english.category.as_str(),
            english.governorate.as_str(),
            english.lang.as_str()
        ),
        ("traffic_safety", "amman", "en")
    );
    let unknown = store.submission("IMP-F-1005").unwrap().unwrap();
    assert_eq!(
        (unknown.category.as_str(), unknown.governorate.as_str()),
        ("other", "")
    );
    let (b, a) = (before.timestamp(), after.timestamp());
    assert!(
        (b..=a).contains(&unknown.created.timestamp()),
        "a row without a date is filed at the import: {}",
        unknown.created
    );
    drop(store);

    let status = status_json(&config, &data);
    assert_eq!(status["by_kind"]["comment"], 3, "{status}");
    assert_eq!(status["items"], 3, "{status}");

    // Searchable at once, as a comment from the form.
    let hits = search_json(config.to_str().unwrap(), data.to_str().unwrap(), "معصوم");
    assert_eq!(hits["hits"][0]["url"], "rasd-form:IMP-F-1001", "{hits}");
    let out = rasd_ok(&[
        "--config",
        config.to_str().unwrap(),
        "--data-dir",
        data.to_str().unwrap(),
        "search",
        "--kind",
        "comment",
        "--format",
        "json",
        "patrol",
    ]);
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(v["hits"][0]["url"], "rasd-form:IMP-F-1002", "{v}");

    // Again: nothing stored twice, the same rows refused.
    let (again, _) = import_ok(&config, &data, &file, ARABIC_MAP);
    assert!(
        again.contains(": 0 imported, 3 already there, 3 refused"),
        "{again}"
    );
    let status = status_json(&config, &data);
    assert_eq!(status["items"], 3, "{status}");
    let (listed, total) = Store::open(&data)
        .unwrap()
        .submissions(&SubmissionFilter {
            limit: 10,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(total, 3, "{listed:?}");
}

/// A windows-1256 export (Excel's Arabic "CSV" on Windows), without an id column: its
/// references come from the rows, so a second import stores nothing twice too.
const WINDOWS_1256_NO_IDS: &str = "التاريخ,الرسالة,اللغة,المحافظة\r\n\
    2026-11-20,\"حادث سير على طريق إربد قرب جرش، لا إصابات\",العربية,جرش\r\n\
    2026-11-21 08:15,\"إطلاق نار في الهواء خلال حفل زفاف في الرمثا\",العربية,إربد\r\n\
    2026-11-21 09:00,Loud music from a hall near the university every night,English,Irbid\r\n";

#[test]
fn a_windows_1256_export_without_ids_is_decoded_and_not_stored_twice() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("forms-windows-1256-no-ids.csv");
    let (bytes, _, unmappable) = encoding_rs::WINDOWS_1256.encode(WINDOWS_1256_NO_IDS);
    assert!(!unmappable);
    assert!(std::str::from_utf8(&bytes).is_err(), "the trap: not UTF-8");
    std::fs::write(&file, &bytes).unwrap();
    let (config, data) = (shipped_config(), tmp.path().join("data"));
    let map = "الرسالة=text,التاريخ=date,اللغة=lang,المحافظة=governorate";

    let (out, err) = import_ok(&config, &data, &file, map);
    assert!(
        out.contains("3 rows read from")
            && out.contains("as windows-1256 (not UTF-8): 3 imported, 0 already there, 0 refused"),
        "{out}\n{err}"
    );
    let store = Store::open(&data).unwrap();
    let (listed, total) = store
        .submissions(&SubmissionFilter {
            limit: 10,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(total, 3);
    let ramtha = listed
        .iter()
        .find(|s| s.text.contains("الرمثا"))
        .expect("the Arabic text read back");
    assert_eq!(ramtha.text, "إطلاق نار في الهواء خلال حفل زفاف في الرمثا");
    assert_eq!(
        (ramtha.governorate.as_str(), ramtha.lang.as_str()),
        ("irbid", "ar")
    );
    assert_eq!(
        ramtha.created,
        "2026-11-21T05:15:00Z".parse::<DateTime<Utc>>().unwrap()
    );
    let english = listed.iter().find(|s| s.lang == "en").unwrap();
    assert_eq!(english.governorate, "irbid");
    for s in &listed {
        assert!(
            s.reference.starts_with("IMP-")
                && s.reference.len() <= 32
                && s.reference
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-'),
            "{}",
            s.reference
        );
    }
    drop(store);
    let hits = search_json(config.to_str().unwrap(), data.to_str().unwrap(), "جرش");
    assert_eq!(hits["total"], 1, "{hits}");

    let (again, _) = import_ok(&config, &data, &file, map);
    assert!(
        again.contains(": 0 imported, 3 already there, 0 refused"),
        "{again}"
    );
}

#[test]
fn a_wrong_map_is_refused_before_anything_is_opened() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("forms.csv");
    std::fs::write(&file, ARABIC_BOM_CRLF_MULTILINE.join("\n")).unwrap();
    let (config, data) = (shipped_config(), tmp.path().join("data"));
    for (map, says) in [
        (
            Some("نص البلاغ=body"),
            vec![
                "unknown field \"body\"",
                "text, category, governorate, name, contact, date, lang, reference",
            ],
        ),
        (
            Some("نص=text"),
            vec![
                "has no column \"نص\"",
                "the file's columns are \"رقم الطلب\", \"تاريخ الإرسال\", \"نص البلاغ\"",
            ],
        ),
        (
            Some("الاسم=name"),
            vec!["no column for text, which is required", "COLUMN=text"],
        ),
        (
            Some("نص البلاغ=text;الاسم=name"),
            vec!["separate the pairs of --map with commas"],
        ),
        (None, vec!["no --map given", "\"نص البلاغ\""]),
    ] {
        let out = import(&config, &data, &file, map);
        let err = stderr(&out);
        assert!(!out.status.success(), "{map:?} was taken: {}", stdout(&out));
        for s in says {
            assert!(err.contains(s), "{map:?}: {s:?} not in {err}");
        }
        assert!(
            !data.exists(),
            "{map:?}: the data folder was created before the map was checked"
        );
    }

    // A file whose every row is refused fails; the reasons are given.
    let bad = tmp.path().join("all-bad.csv");
    std::fs::write(&bad, "text,contact\nقصير,\nنص طويل بما يكفي للبلاغ,12\n").unwrap();
    let out = import(&config, &data, &bad, Some("text=text,contact=contact"));
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(
        err.contains("all-bad.csv:2: row skipped: text: ")
            && err.contains("all-bad.csv:3: row skipped: contact: ")
            && err.contains("no row of"),
        "{err}"
    );
    assert!(
        stdout(&out).contains("2 rows read from") && stdout(&out).contains("0 imported"),
        "{}",
        stdout(&out)
    );
}
