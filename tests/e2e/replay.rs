//! `rasd replay` with a real SMTP server on 127.0.0.1: two quiet days, a wire copy carried
//! by four sites of one owner, and a bus crash that four owners report. One e-mail goes out,
//! for the breaking crash, in the first cycle after it crossed the threshold; nothing for
//! the rest. Killed with SIGKILL mid-replay and run again, each alert is mailed once.

use std::path::Path;
use std::time::Duration;

use super::util::{copy_config, rasd, rasd_ok, shipped_config, stdout};

#[path = "../../crates/deliver/tests/smtp_sink/mod.rs"]
pub(super) mod smtp_sink;
use smtp_sink::{Smtp, free_port, python_with_aiosmtpd, received};

const CRASH_BODY: &str = "توفي ثلاثة أشخاص وأصيب أربعة عشر آخرون إثر تدهور حافلة ركاب قادمة من العقبة على الطريق الصحراوي قرب القطرانة في محافظة الكرك فجر اليوم، ونقل المصابون إلى مستشفى الكرك الحكومي.";

/// The replay file: (source, owner, local time on 29 November 2026 or before, title, body).
fn lines() -> Vec<serde_json::Value> {
    let mut v = Vec::new();
    let mut add = |id: u32, source: &str, owner: &str, at: &str, title: &str, body: &str| {
        v.push(serde_json::json!({
            "id": id, "source": source, "owner": owner, "published": at,
            "title": title, "body": body, "lang": "ar",
        }));
    };
    // Two quiet days: one unrelated item an hour from the outlets on their own.
    let quiet = [
        (
            "افتتاح معرض للفن التشكيلي في جبل اللويبدة",
            "افتتحت وزارة الثقافة معرضا للفن التشكيلي يضم أعمال عشرين فنانا أردنيا.",
        ),
        (
            "ارتفاع درجات الحرارة نهاية الأسبوع",
            "تتوقع دائرة الأرصاد الجوية أجواء دافئة وارتفاعا ملموسا على درجات الحرارة.",
        ),
        (
            "الفيصلي يفوز على الوحدات بهدفين",
            "حقق الفيصلي فوزا مستحقا بهدفين نظيفين في قمة الجولة العاشرة من دوري المحترفين.",
        ),
        (
            "تمديد التسجيل في المنح الجامعية",
            "أعلنت وزارة التعليم العالي تمديد فترة تقديم طلبات المنح والقروض حتى نهاية الشهر.",
        ),
    ];
    for h in 0..16u32 {
        let (title, body) = quiet[h as usize % quiet.len()];
        let source = ["roya", "ammonnews", "khaberni", "sawaleif"][h as usize % 4];
        let day = if h < 8 { 27 } else { 28 };
        add(
            h,
            source,
            source,
            &format!("2026-11-{day}T{:02}:15:00+03:00", 9 + h % 8),
            &format!("{title} ({h})"),
            body,
        );
    }
    // A wire copy carried by four sites of one owner.
    for (k, source) in ["petra", "alrai", "jtv", "addustour"].iter().enumerate() {
        add(
            100 + k as u32,
            source,
            "state",
            &format!("2026-11-28T18:{:02}:00+03:00", 5 + k * 10),
            "إطلاق نار في مشاجرة عشائرية يوقع إصابتين في الرمثا",
            "أصيب شخصان بعيارات نارية خلال مشاجرة جماعية في لواء الرمثا وباشرت الأجهزة الأمنية التحقيق.",
        );
    }
    // The bus crash: four owners within an hour; the third makes it breaking at 06:34.
    for (k, (source, title)) in [
        ("petra", "وفاة 3 وإصابة 14 بتدهور حافلة قرب القطرانة"),
        (
            "roya",
            "3 وفيات و14 إصابة بتدهور حافلة ركاب على الطريق الصحراوي قرب القطرانة",
        ),
        ("ammonnews", "تدهور حافلة قرب القطرانة: 3 وفيات و14 إصابة"),
        (
            "khaberni",
            "الدفاع المدني: 3 وفيات و14 إصابة بتدهور حافلة قرب القطرانة",
        ),
        ("alrai", "بالأسماء.. ضحايا تدهور حافلة القطرانة"),
    ]
    .iter()
    .enumerate()
    {
        let owner = if *source == "alrai" || *source == "petra" {
            "state"
        } else {
            source
        };
        add(
            200 + k as u32,
            source,
            owner,
            &format!("2026-11-29T06:{:02}:00+03:00", 10 + k * 12),
            title,
            CRASH_BODY,
        );
    }
    v
}

fn write_lines(path: &Path) {
    let text: String = lines().iter().map(|l| format!("{l}\n")).collect();
    std::fs::write(path, text).unwrap();
}

/// A config folder: the shipped topics, places, rules and models, with mail to `port`;
/// messages are kept 30 days, longer than the replays' simulated days.
fn config(dir: &Path, port: u16) {
    let model = |name: &str| format!("{:?}", shipped_config().join("models").join(name));
    copy_config(&shipped_config(), dir);
    std::fs::write(
        dir.join("rasd.toml"),
        format!(
            "data_dir = \"data\"\n\n[mail]\nenabled = true\nsmtp_host = \"127.0.0.1\"\nsmtp_port = {port}\n\
             security = \"none\"\nfrom = \"Rasd <rasd@example.jo>\"\ntimeout = \"5s\"\n\n\
             [alerts]\nrecipients = [\"leader@example.jo\"]\nquiet_hours = \"23:00-06:00\"\ngive_up_after = \"30d\"\n\n\
             [enrich]\ntopic_model = {}\nsentiment_model = {}\nsentiment_model_en = {}\n",
            model("topics.bin"),
            model("sentiment.bin"),
            model("sentiment-en.bin"),
        ),
    )
    .unwrap();
}

fn alerts_json(cfg: &Path, data: &Path) -> Vec<serde_json::Value> {
    let out = rasd_ok(&[
        "--config",
        cfg.to_str().unwrap(),
        "--data-dir",
        data.to_str().unwrap(),
        "alerts",
        "--since",
        "3650d",
        "--json",
    ]);
    stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn a_replay_mails_the_breaking_story_once_and_nothing_else() {
    let Some(py) = python_with_aiosmtpd() else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let port = free_port();
    let smtp = Smtp::start(py, port, &tmp.path().join("mail"), None);
    let cfg = tmp.path().join("config");
    config(&cfg, port);
    let file = tmp.path().join("days.jsonl");
    write_lines(&file);
    let data = tmp.path().join("data");
    let args = [
        "--config",
        cfg.to_str().unwrap(),
        "--data-dir",
        data.to_str().unwrap(),
        "replay",
        file.to_str().unwrap(),
        "--instant",
    ];
    let out = rasd_ok(&args);
    let text = stdout(&out);
    assert!(text.contains("Replayed 25 items"), "{text}");
    let alerts = alerts_json(&cfg, &data);
    assert_eq!(alerts.len(), 1, "{alerts:#?}");
    let a = &alerts[0];
    assert_eq!(a["rule"], "breaking-story");
    assert!(a["title"].as_str().unwrap().contains("حافلة"), "{a}");
    // The third owner's report came at 06:34 Amman (03:34 UTC): opened in that cycle.
    assert_eq!(a["opened_at"], "2026-11-29T03:35:00Z", "{a}");
    assert_eq!(a["owners"], 4);
    assert_eq!(a["deliveries"][0]["state"], "sent", "{a}");
    let got = smtp.received();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].0["rcpt_tos"][0], "leader@example.jo");
    // Again: nothing new is stored, raised or sent.
    let out = rasd_ok(&args);
    assert!(stdout(&out).contains("stored 0"), "{}", stdout(&out));
    assert_eq!(alerts_json(&cfg, &data).len(), 1);
    assert_eq!(smtp.received().len(), 1);
    // The day's digest goes to [mail] to, once however often it is written.
    let mut rasd_toml = std::fs::read_to_string(cfg.join("rasd.toml")).unwrap();
    rasd_toml = rasd_toml.replace(
        "timeout = \"5s\"\n",
        "timeout = \"5s\"\nto = [\"media-office@example.jo\"]\n",
    );
    std::fs::write(cfg.join("rasd.toml"), rasd_toml).unwrap();
    let digest = [
        "--config",
        cfg.to_str().unwrap(),
        "--data-dir",
        data.to_str().unwrap(),
        "digest",
        "--date",
        "2026-11-29",
    ];
    for _ in 0..2 {
        rasd_ok(&digest);
    }
    let got = smtp.received();
    assert_eq!(got.len(), 2, "the alert and one digest");
    let (env, raw) = &got[1];
    assert_eq!(env["rcpt_tos"][0], "media-office@example.jo");
    assert!(raw.contains("text/html"), "the digest page as HTML");
    assert!(raw.contains("multipart/alternative"));
    // Its charts as PNG images beside the HTML that shows them (mail clients drop SVG).
    assert!(raw.contains("multipart/related"), "{raw}");
    assert!(raw.contains("Content-Type: image/png"), "{raw}");
    assert!(raw.contains("Content-ID: <chart-0@rasd>"), "{raw}");
}

#[test]
fn a_replay_killed_mid_way_and_run_again_mails_each_alert_once() {
    let Some(py) = python_with_aiosmtpd() else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let port = free_port();
    let mail = tmp.path().join("mail");
    let cfg = tmp.path().join("config");
    config(&cfg, port);
    // Three breaking stories four days apart (separate stories), so a kill can fall
    // between any two of them; in the past, so that what is queued is due now.
    let mut text = String::new();
    for day in [1u32, 5, 9] {
        for mut l in lines()
            .into_iter()
            .filter(|l| l["id"].as_u64().unwrap() >= 200)
        {
            let at = l["published"]
                .as_str()
                .unwrap()
                .replace("2026-11-29", &format!("2026-11-{day:02}"));
            l["published"] = at.into();
            l["id"] = (l["id"].as_u64().unwrap() + 1000 * u64::from(day)).into();
            l["title"] = format!("{} — اليوم {}", l["title"].as_str().unwrap(), day + 1).into();
            text.push_str(&format!("{l}\n"));
        }
    }
    let file = tmp.path().join("days.jsonl");
    std::fs::write(&file, text).unwrap();
    let data = tmp.path().join("data");
    let args = |speed: bool| {
        let mut a = vec![
            "--config".to_string(),
            cfg.to_str().unwrap().into(),
            "--data-dir".into(),
            data.to_str().unwrap().into(),
            "replay".into(),
            file.to_str().unwrap().into(),
        ];
        if speed {
            // Four simulated days per real second: the three stories take about 2 s.
            a.extend(["--speed".into(), "345600".into()]);
        }
        a
    };
    // The mail server is away: alerts are raised and queued, and the process is killed at
    // some point between queueing and any sending; then run again to the end.
    for trial in 0..3u64 {
        let mut child = rasd().args(args(true)).spawn().unwrap();
        std::thread::sleep(Duration::from_millis(300 + trial * 450));
        let _ = child.kill(); // SIGKILL
        let _ = child.wait();
    }
    rasd_ok(&args(false).iter().map(String::as_str).collect::<Vec<_>>());
    let alerts = alerts_json(&cfg, &data);
    assert_eq!(alerts.len(), 3, "{alerts:#?}");
    assert!(
        alerts
            .iter()
            .all(|a| a["deliveries"][0]["state"] == "queued"),
        "{alerts:#?}"
    );
    // The server is back: each alert goes once, and once only.
    let smtp = Smtp::start(py, port, &mail, None);
    let send = [
        "--config",
        cfg.to_str().unwrap(),
        "--data-dir",
        data.to_str().unwrap(),
        "alerts",
        "send",
    ];
    for _ in 0..2 {
        rasd_ok(&send);
    }
    let got = received(&mail);
    let mut ids: Vec<String> = got
        .iter()
        .map(|(_, raw)| {
            raw.lines()
                .find(|l| l.starts_with("Message-ID:"))
                .unwrap()
                .to_string()
        })
        .collect();
    ids.sort();
    ids.dedup();
    assert_eq!(
        (got.len(), ids.len()),
        (3, 3),
        "each alert mailed exactly once"
    );
    drop(smtp);
}
