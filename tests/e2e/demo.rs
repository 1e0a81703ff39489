//! `rasd demo --once` end to end: the bundled sample through the whole pipeline, then the
//! CLI contract on what it stored.

use std::path::PathBuf;
use std::sync::OnceLock;

use serde_json::Value;

use super::util::{rasd_ok, shipped_config, stdout};

/// An Arabic headline of the sample (see `crates/rasd/demo/mod.rs`).
const KNOWN_AR_TITLE: &str = "الأمن العام يطلق حملة «عودة آمنة» لحماية طلبة المدارس على طرق إربد";
/// An English headline of the sample.
const KNOWN_EN_TITLE: &str = "Community police open a listening office for residents in Madaba";

/// One demo folder shared by the tests: two runs, with the status after each.
struct DemoRun {
    _dir: tempfile::TempDir,
    data: PathBuf,
    config: String,
    first: String,
    second: String,
    status_first: Value,
    status_second: Value,
    /// The day the demo wrote its digest for.
    date: String,
}

impl DemoRun {
    fn args<'a>(&'a self, rest: &[&'a str]) -> Vec<&'a str> {
        let mut v = vec![
            "--config",
            self.config(),
            "--data-dir",
            self.data.to_str().unwrap(),
        ];
        v.extend_from_slice(rest);
        v
    }

    /// The config folder the demo wrote for itself.
    fn config(&self) -> &str {
        &self.config
    }

    fn status(&self) -> Value {
        serde_json::from_str(&stdout(&rasd_ok(&self.args(&["status", "--json"])))).unwrap()
    }

    fn search(&self, query: &str) -> Value {
        serde_json::from_str(&stdout(&rasd_ok(
            &self.args(&["search", "--json", "--limit", "5", "--", query]),
        )))
        .unwrap()
    }
}

fn demo() -> &'static DemoRun {
    static RUN: OnceLock<DemoRun> = OnceLock::new();
    RUN.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        let config = shipped_config();
        let run = |data: &PathBuf| {
            stdout(&rasd_ok(&[
                "--config",
                config.to_str().unwrap(),
                "demo",
                "--once",
                "--data-dir",
                data.to_str().unwrap(),
            ]))
        };
        let first = run(&data);
        let date = first
            .lines()
            .find_map(|l| l.strip_prefix("digest of "))
            .and_then(|rest| rest.split(':').next())
            .expect("the demo names its digest day")
            .to_string();
        let mut demo = DemoRun {
            _dir: dir,
            config: data.join("config").to_str().unwrap().to_string(),
            data,
            first,
            second: String::new(),
            status_first: Value::Null,
            status_second: Value::Null,
            date,
        };
        demo.status_first = demo.status();
        demo.second = run(&demo.data);
        demo.status_second = demo.status();
        demo
    })
}

#[test]
fn demo_reports_what_it_did_and_where_to_look() {
    let d = demo();
    assert!(d.first.contains("sources: 11 fetched"), "{}", d.first);
    assert!(d.first.contains("by language: ar "), "{}", d.first);
    assert!(d.first.contains("by topic:"), "{}", d.first);
    assert!(d.first.contains("where to look:"), "{}", d.first);
    let digest = d.data.join("digests").join(format!("{}.html", d.date));
    assert!(digest.exists(), "{} missing", digest.display());
}

#[test]
fn status_counts_the_sample() {
    let s = &demo().status_first;
    let items = s["items"].as_u64().unwrap();
    assert!(items >= 300, "{s}");
    assert_eq!(s["sources"], 11, "{s}");
    let (ar, en) = (
        s["by_lang"]["ar"].as_u64().unwrap(),
        s["by_lang"]["en"].as_u64().unwrap(),
    );
    assert!(ar > en && en * 100 >= items * 15, "{s}");
    assert!(s["by_kind"]["comment"].as_u64().unwrap() >= 8, "{s}");
    assert!(s["by_topic"]["theft"].as_u64().unwrap() >= 12, "{s}");
    assert!(s["by_topic"].as_object().unwrap().len() >= 15, "{s}");
}

#[test]
fn a_second_run_stores_nothing_twice() {
    let d = demo();
    assert!(d.second.contains(", 0 new,"), "{}", d.second);
    assert_eq!(d.status_first["items"], d.status_second["items"]);
    assert_eq!(d.status_first["by_topic"], d.status_second["by_topic"]);
    // The index holds each item once too.
    let all = demo().search("-zzzznotaword");
    assert_eq!(
        all["total"], d.status_second["items"],
        "index and store disagree"
    );
}

#[test]
fn arabic_search_ignores_hamza_forms_and_diacritics() {
    // آمنة written امنة, إربد written اربد, حملة with harakat, يطلق with a damma.
    for query in [
        "حَمْلَة عودة امنة اربد",
        "الامن العام يُطلق حملة",
        "\"عودة آمنة\"",
    ] {
        let v = demo().search(query);
        let titles: Vec<&str> = v["hits"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| h["title"].as_str().unwrap())
            .collect();
        assert!(titles.contains(&KNOWN_AR_TITLE), "{query}: {titles:?}");
    }
}

#[test]
fn english_search_finds_the_known_item_and_returns_the_contract() {
    let v = demo().search("listening offices Madaba");
    let hit = &v["hits"][0];
    assert_eq!(hit["title"], KNOWN_EN_TITLE, "{v}");
    assert_eq!(hit["lang"], "en");
    for key in [
        "id",
        "title",
        "url",
        "source",
        "lang",
        "topics",
        "places",
        "published",
    ] {
        assert!(hit.get(key).is_some(), "hit lacks {key}: {hit}");
    }
    assert!(v["total"].as_u64().unwrap() >= 1);
    assert!(
        hit["places"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p == "madaba"),
        "{hit}"
    );
}

#[test]
fn digest_names_the_burst_topic() {
    let d = demo();
    let out_dir = tempfile::tempdir().unwrap();
    let html_path = out_dir.path().join("digest.html");
    let md = stdout(&rasd_ok(&d.args(&[
        "digest",
        "--date",
        &d.date,
        "--out",
        html_path.to_str().unwrap(),
    ])));
    let stands_out = md
        .split("## ")
        .find(|s| s.contains("What stands out"))
        .expect("a 'what stands out' section");
    let line = stands_out
        .lines()
        .find(|l| l.contains("(Theft"))
        .unwrap_or_else(|| panic!("theft not flagged:\n{md}"));
    assert!(
        line.contains("في ارتفاع") || line.contains("جديد"),
        "{line}"
    );
    assert!(line.contains("الزرقاء"), "{line}");
    let html = std::fs::read_to_string(&html_path).unwrap();
    assert!(html.contains("<html lang=\"ar\" dir=\"rtl\">"));
    assert!(html.contains("id=\"topic-theft\""));
}

#[test]
fn sentiment_and_police_reach_search_and_digest() {
    let d = demo();
    let v: Value = serde_json::from_str(&stdout(&rasd_ok(&d.args(&[
        "search",
        "--json",
        "--police",
        "yes",
        "--limit",
        "50",
        "--",
        "-zzzznotaword",
    ]))))
    .unwrap();
    let hits = v["hits"].as_array().unwrap();
    assert!(hits.len() >= 10, "{v}");
    assert!(hits.iter().all(|h| h["about_police"] == true));
    assert!(
        hits.iter().all(|h| h["sentiment"]["label"].is_string()),
        "the demo loads the shipped sentiment model: {v}"
    );
    let negative: Value = serde_json::from_str(&stdout(&rasd_ok(&d.args(&[
        "search",
        "--json",
        "--sentiment",
        "negative",
        "--",
        "-zzzznotaword",
    ]))))
    .unwrap();
    assert!(negative["total"].as_u64().unwrap() > 0);
    assert!(
        negative["hits"]
            .as_array()
            .unwrap()
            .iter()
            .all(|h| h["sentiment"]["label"] == "negative")
    );
    assert!(
        d.first.contains("about the police: articles"),
        "{}",
        d.first
    );
}

#[test]
fn retag_applies_edited_rules_to_stored_items() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let shipped = shipped_config();
    rasd_ok(&[
        "--config",
        shipped.to_str().unwrap(),
        "demo",
        "--once",
        "--data-dir",
        data.to_str().unwrap(),
    ]);
    let config = data.join("config");
    let args = |rest: &[&str]| -> Vec<String> {
        let mut v = vec![
            "--config".to_string(),
            config.display().to_string(),
            "--data-dir".to_string(),
            data.display().to_string(),
        ];
        v.extend(rest.iter().map(|s| s.to_string()));
        v
    };
    let run = |rest: &[&str]| {
        let a = args(rest);
        stdout(&rasd_ok(&a.iter().map(String::as_str).collect::<Vec<_>>()))
    };
    let again = run(&["retag"]);
    assert!(
        again.contains("(0 changed)"),
        "same rules, same tags: {again}"
    );
    // The office adds a topic.
    let mut topics = std::fs::read_to_string(config.join("topics.toml")).unwrap();
    topics.push_str(
        "\n[[topic]]\nid = \"schools\"\nname_ar = \"المدارس\"\nname_en = \"Schools\"\n\
         terms = [\"مدرسة\", \"مدارس\", \"طلبة\", \"school\"]\n",
    );
    std::fs::write(config.join("topics.toml"), topics).unwrap();
    let edited = run(&["retag"]);
    let changed: u64 = edited
        .split('(')
        .nth(1)
        .and_then(|s| s.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{edited}"));
    assert!(changed > 0, "{edited}");
    // The index follows: it has applied every change the retag made.
    let (at, of) = edited
        .split("the index is at change ")
        .nth(1)
        .and_then(|rest| rest.trim().split_once(" of "))
        .unwrap_or_else(|| panic!("{edited}"));
    assert_eq!(at, of, "{edited}");
    let status: Value = serde_json::from_str(&run(&["status", "--json"])).unwrap();
    assert_eq!(
        status["by_topic"]["schools"].as_u64(),
        Some(changed),
        "{status}"
    );
}

#[test]
fn backup_restores_into_a_fresh_folder_and_a_copied_store_is_indexed_at_the_next_start() {
    let d = demo();
    let dir = tempfile::tempdir().unwrap();
    let backup = dir.path().join("backup");
    let out = stdout(&rasd_ok(&d.args(&["backup", backup.to_str().unwrap()])));
    assert!(out.contains("backed up"), "{out}");
    let manifest: Value =
        serde_json::from_str(&std::fs::read_to_string(backup.join("rasd-backup.json")).unwrap())
            .unwrap();
    let items = manifest["items"].as_u64().unwrap();
    assert!(items >= 300, "{manifest}");

    // `rasd restore` into a fresh folder: the index is rebuilt from the store.
    let fresh = dir.path().join("fresh");
    let (cfg, fresh_s) = (d.config(), fresh.to_str().unwrap());
    let out = stdout(&rasd_ok(&[
        "--config",
        cfg,
        "--data-dir",
        fresh_s,
        "restore",
        backup.to_str().unwrap(),
    ]));
    assert!(out.contains(&format!("restored {items} items")), "{out}");
    let search = |data: &str| -> Value {
        serde_json::from_str(&stdout(&rasd_ok(&[
            "--config",
            cfg,
            "--data-dir",
            data,
            "search",
            "--json",
            "--",
            KNOWN_AR_TITLE,
        ])))
        .unwrap()
    };
    assert_eq!(search(fresh_s)["hits"][0]["title"], KNOWN_AR_TITLE);
    rasd_ok(&["--config", cfg, "--data-dir", fresh_s, "verify"]);
    // A second restore over it needs --force.
    let again = super::util::rasd()
        .args(["--config", cfg, "--data-dir", fresh_s, "restore"])
        .arg(&backup)
        .output()
        .unwrap();
    assert!(!again.status.success());
    assert!(super::util::stderr(&again).contains("--force"));

    // The store file copied by hand (as with sqlite3 .backup) into a folder whose index is
    // empty: the next command that writes brings the index up, no `reindex` typed.
    let by_hand = dir.path().join("by-hand");
    std::fs::create_dir_all(by_hand.join("search")).unwrap();
    std::fs::copy(backup.join("rasd.sqlite"), by_hand.join("rasd.sqlite")).unwrap();
    let quiet = dir.path().join("quiet-config");
    super::util::copy_config(std::path::Path::new(cfg), &quiet);
    std::fs::write(quiet.join("sources.toml"), "").unwrap();
    let (quiet_s, by_hand_s) = (quiet.to_str().unwrap(), by_hand.to_str().unwrap());
    let status = || -> Value {
        serde_json::from_str(&stdout(&rasd_ok(&[
            "--config",
            quiet_s,
            "--data-dir",
            by_hand_s,
            "status",
            "--json",
        ])))
        .unwrap()
    };
    let before = status();
    assert_eq!(before["index"], Value::Null, "no index yet: {before}");
    rasd_ok(&["--config", quiet_s, "--data-dir", by_hand_s, "fetch"]);
    let after = status();
    assert_eq!(after["index"]["lag"], 0, "{after}");
    assert_eq!(search(by_hand_s)["hits"][0]["title"], KNOWN_AR_TITLE);
}

/// The bus crash near Al-Qatraneh, rewritten by several Arabic outlets, is one breaking
/// story in the digest (it was none when stories were near-identical texts only).
#[test]
fn the_digest_counts_a_rewritten_crash_as_one_story_across_outlets() {
    let d = demo();
    let line = d
        .first
        .lines()
        .find_map(|l| l.trim().strip_prefix("the same story in "))
        .unwrap_or_else(|| panic!("no story line in {}", d.first));
    // Four Arabic outlets rewrote it; the one whose wording shares least with the others
    // joins or not depending on the order the concurrent fetches stored them in.
    let outlets: usize = line.split(' ').next().unwrap().parse().unwrap();
    assert!(outlets >= 3, "{line}");
    // Three or more owners within two hours of each other: breaking.
    assert!(line.contains("breaking"), "{line}");
    assert!(
        line.contains("حافلة") && line.contains("القطرانة"),
        "{line}"
    );
    let html =
        std::fs::read_to_string(d.data.join("digests").join(format!("{}.html", d.date))).unwrap();
    let section = &html[html.find("id=\"stories\"").expect("a stories section")..];
    assert!(section.contains("القطرانة"), "{section}");
}

/// Debian's chromium, if installed. Where `RASD_REQUIRE_BROWSER` is set (CI), a missing one
/// fails the test instead of skipping it.
fn chromium() -> Option<&'static str> {
    for b in ["chromium", "chromium-browser"] {
        let ok = std::process::Command::new(b)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success());
        if ok {
            return Some(b);
        }
    }
    assert!(
        std::env::var_os("RASD_REQUIRE_BROWSER").is_none(),
        "chromium is missing (RASD_REQUIRE_BROWSER is set): install it, as .ci/run does"
    );
    eprintln!(
        "SKIPPED: this test renders the digest in chromium, which is not installed (apt-get install chromium; .ci/run installs it)"
    );
    None
}

#[test]
fn the_digest_renders_in_a_real_browser_with_the_burst_and_its_evidence() {
    let Some(browser) = chromium() else { return };
    let d = demo();
    let out = tempfile::tempdir().unwrap();
    let html = out.path().join("digest.html");
    rasd_ok(&d.args(&["digest", "--date", &d.date, "--out", html.to_str().unwrap()]));
    let url = format!("file://{}", html.display());
    let headless = |extra: &[&str]| {
        let profile = out.path().join("profile");
        std::process::Command::new(browser)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                "--hide-scrollbars",
                "--window-size=1280,4000",
            ])
            .arg(format!("--user-data-dir={}", profile.display()))
            .args(extra)
            .arg(&url)
            .output()
            .expect("chromium runs")
    };
    // The DOM as the browser built it: right to left, the burst's topic and governorate in
    // what stands out and in the trends, with their evidence.
    let dom = String::from_utf8_lossy(&headless(&["--dump-dom"]).stdout).into_owned();
    assert!(dom.contains("<html lang=\"ar\" dir=\"rtl\">"), "{dom}");
    let trends = &dom[dom.find("id=\"trends\"").expect("a trends section")..];
    let trends = &trends[..trends.find("</section>").unwrap()];
    assert!(trends.contains("الزرقاء (Zarqa)"), "{trends}");
    assert!(trends.contains("السرقة"), "{trends}");
    assert!(
        trends.contains("مقابل") && trends.contains("احتمال"),
        "{trends}"
    );
    // Charts where people look: each topic's eight days, each governorate's bar.
    let theft = &dom[dom.find("id=\"topic-theft\"").expect("the theft topic")..];
    let head = &theft[..theft.find("</p>").unwrap()];
    assert!(head.contains("<svg"), "{head}");
    assert!(
        dom.matches("class=\"bar\"").count() >= 5,
        "governorate bars"
    );
    // A screenshot, kept with the test run's files.
    let shot = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("digest-{}.png", d.date));
    let _ = std::fs::remove_file(&shot);
    let run = headless(&[&format!("--screenshot={}", shot.display())]);
    let size = std::fs::metadata(&shot).map(|m| m.len()).unwrap_or(0);
    assert!(
        size > 20_000,
        "no screenshot ({size} bytes): {}",
        String::from_utf8_lossy(&run.stderr)
    );
    let png = std::fs::read(&shot).unwrap();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    eprintln!("digest screenshot: {}", shot.display());
}

#[test]
fn the_demo_replays_its_days_and_the_bus_crash_raises_one_breaking_alert() {
    let d = demo();
    assert!(
        d.first.contains("replayed the sample's days in "),
        "{}",
        d.first
    );
    let out = stdout(&rasd_ok(&d.args(&["alerts", "--since", "30d", "--json"])));
    let alerts: Vec<Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let breaking: Vec<&Value> = alerts
        .iter()
        .filter(|a| a["rule"] == "breaking-story")
        .collect();
    assert_eq!(breaking.len(), 1, "{alerts:#?}");
    assert!(
        breaking[0]["title"].as_str().unwrap().contains("حافلة"),
        "{alerts:#?}"
    );
    assert!(breaking[0]["owners"].as_u64().unwrap() >= 3);
    // Opened while the crash was fresh (the replay's clock), not when the demo ran.
    let opened =
        chrono::DateTime::parse_from_rfc3339(breaking[0]["opened_at"].as_str().unwrap()).unwrap();
    let first =
        chrono::DateTime::parse_from_rfc3339(breaking[0]["first_item_at"].as_str().unwrap())
            .unwrap();
    assert!(
        opened - first <= chrono::Duration::hours(6),
        "{opened} vs {first}"
    );
    // The second run, over the same folder, raised nothing more.
    assert!(!d.second.contains("replayed"), "{}", d.second);
}
