//! `rasd fetch` over a batch of sources where most are broken: each broken one is reported
//! with its name and reason, the good ones are stored, nothing accepted is lost.

use std::collections::HashMap;

use super::util::{copy_config, rasd, rasd_ok, search_json, serve, shipped_config, stderr, stdout};

fn rss(items: &[(&str, &str, &str)], encoding: &str) -> String {
    let mut out = format!(
        "<?xml version=\"1.0\" encoding=\"{encoding}\"?><rss version=\"2.0\"><channel><title>t</title><link>http://x.example/</link><description>d</description>"
    );
    for (link, title, date) in items {
        out.push_str("<item>");
        if !link.is_empty() {
            out.push_str(&format!("<link>{link}</link>"));
        }
        out.push_str(&format!(
            "<title>{title}</title><description>{title}. نص الخبر كاملاً.</description>"
        ));
        if !date.is_empty() {
            out.push_str(&format!("<pubDate>{date}</pubDate>"));
        }
        out.push_str("</item>");
    }
    out.push_str("</channel></rss>");
    out
}

#[test]
fn broken_sources_are_reported_and_the_rest_is_stored() {
    let good = rss(
        &[
            (
                "http://x.example/1",
                "حادث سير على طريق المطار",
                "Sat, 28 Nov 2026 08:00:00 +0300",
            ),
            (
                "",
                "خبر بلا رابط عن حريق في السلط",
                "Sat, 28 Nov 2026 09:00:00 +0300",
            ),
            ("http://x.example/3", "خبر بلا تاريخ عن مشاجرة في الرمثا", ""),
        ],
        "utf-8",
    );
    let legacy = rss(
        &[(
            "http://y.example/1",
            "القبض على سارق مركبة في الزرقاء",
            "Sat, 28 Nov 2026 10:00:00 +0300",
        )],
        "windows-1256",
    );
    let (arabic_1256, _, _) = encoding_rs::WINDOWS_1256.encode(&legacy);
    let routes = HashMap::from([
        ("/good.xml", (200, "application/rss+xml", good.into_bytes())),
        (
            "/cp1256.xml",
            (
                200,
                "application/rss+xml; charset=windows-1256",
                arabic_1256.into_owned(),
            ),
        ),
        (
            "/page.html",
            (
                200,
                "text/html",
                b"<html><body><p>not a feed</p></body></html>".to_vec(),
            ),
        ),
        (
            "/huge.xml",
            (200, "application/rss+xml", vec![b' '; 400_000]),
        ),
    ]);
    let addr = serve(routes);

    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("config");
    copy_config(&shipped_config(), &cfg);
    std::fs::write(
        cfg.join("rasd.toml"),
        "[fetch]\nmax_body_bytes = 100000\ntimeout = \"10s\"\n",
    )
    .unwrap();
    let mut sources = String::new();
    for (id, path) in [
        ("good", "good.xml"),
        ("legacy", "cp1256.xml"),
        ("gone", "gone.xml"),
        ("webpage", "page.html"),
        ("huge", "huge.xml"),
    ] {
        sources.push_str(&format!(
            "[[source]]\nid = \"{id}\"\nname = \"{id}\"\nkind = \"feed\"\nurl = \"http://{addr}/{path}\"\nfetch_full_text = \"never\"\nallow_private = true\n\n"
        ));
    }
    std::fs::write(cfg.join("sources.toml"), sources).unwrap();
    let data = dir.path().join("data");
    let (cfg_s, data_s) = (cfg.to_str().unwrap(), data.to_str().unwrap());

    let out = rasd()
        .args(["--config", cfg_s, "--data-dir", data_s, "fetch"])
        .output()
        .unwrap();
    let text = stdout(&out);
    assert!(
        out.status.success(),
        "{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("sources: 5 fetched"), "{text}");
    assert!(text.contains("3 failed"), "{text}");
    assert!(text.contains("4 new"), "{text}");
    for reason in [
        "http_status 1",
        "not_a_feed 1",
        "too_large 1",
        "no_link 1",
        "no_date 1",
    ] {
        assert!(text.contains(reason), "missing {reason}: {text}");
    }
    for source in ["gone:", "webpage:", "huge:"] {
        assert!(
            text.contains(source),
            "the report should name {source}\n{text}"
        );
    }

    // The windows-1256 feed arrived as Arabic, tagged and placed.
    let v = search_json(cfg_s, data_s, "سارق مركبة");
    assert_eq!(
        v["hits"][0]["title"], "القبض على سارق مركبة في الزرقاء",
        "{v}"
    );
    assert_eq!(v["hits"][0]["places"][0], "zarqa");
    // The undated entry is kept, with no invented date.
    let v = search_json(cfg_s, data_s, "مشاجرة الرمثا");
    assert_eq!(v["total"], 1, "{v}");
    assert!(v["hits"][0]["published"].is_null(), "{v}");
}

fn article_page(title: &str, body: &str) -> Vec<u8> {
    format!(
        "<!DOCTYPE html><html lang=\"ar\" dir=\"rtl\"><head><meta charset=\"utf-8\"><title>{title}</title>\
         <meta property=\"article:published_time\" content=\"2026-11-28T09:00:00+03:00\"></head><body>\
         <nav><a href=\"/\">الرئيسية</a> <a href=\"/tag/local\">محليات</a></nav>\
         <article><h1>{title}</h1><p>{body}</p><p>وأكد مصدر أمني أن التحقيقات مستمرة لمعرفة ملابسات الحادثة كاملة.</p></article>\
         <aside class=\"related\"><a href=\"/news/999-other\">خبر ذو صلة</a></aside><footer>جميع الحقوق محفوظة</footer></body></html>"
    )
    .into_bytes()
}

#[test]
fn a_site_without_a_feed_is_read_from_its_section_page() {
    let front = "<html><body><h2>آخر الأخبار</h2>\
        <a href=\"/news/101-fire-salt\">حريق في السلط</a>\
        <a href=\"/news/102-theft-zarqa\">سرقة في الزرقاء</a>\
        <a href=\"/tag/local\">محليات</a><a href=\"/about\">من نحن</a></body></html>";
    let addr = serve(HashMap::from([
        (
            "/",
            (200, "text/html; charset=utf-8", front.as_bytes().to_vec()),
        ),
        (
            "/news/101-fire-salt",
            (
                200,
                "text/html; charset=utf-8",
                article_page(
                    "إخماد حريق منزل في السلط",
                    "أخمدت كوادر الدفاع المدني حريقاً شب في منزل بمدينة السلط دون إصابات.",
                ),
            ),
        ),
        (
            "/news/102-theft-zarqa",
            (
                200,
                "text/html; charset=utf-8",
                article_page(
                    "القبض على لصوص محال في الزرقاء",
                    "ألقت الشرطة القبض على ثلاثة أشخاص بتهمة سرقة محال تجارية في الزرقاء.",
                ),
            ),
        ),
    ]));
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("config");
    copy_config(&shipped_config(), &cfg);
    std::fs::write(cfg.join("rasd.toml"), "[fetch]\nper_host_delay = \"1s\"\n").unwrap();
    std::fs::write(
        cfg.join("sources.toml"),
        format!(
            "[[source]]\nid = \"local-site\"\nname = \"موقع محلي\"\nkind = \"site\"\nurl = \"http://{addr}/\"\n\
             link_pattern = \"/news/[0-9]+\"\nallow_private = true\n"
        ),
    )
    .unwrap();
    let data = dir.path().join("data");
    let (cfg_s, data_s) = (cfg.to_str().unwrap(), data.to_str().unwrap());
    let out = rasd()
        .args(["--config", cfg_s, "--data-dir", data_s, "fetch"])
        .output()
        .unwrap();
    let text = stdout(&out);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("2 new"), "{text}");

    let v = search_json(cfg_s, data_s, "حريق السلط");
    assert_eq!(v["total"], 1, "{v}");
    let hit = &v["hits"][0];
    assert_eq!(hit["title"], "إخماد حريق منزل في السلط");
    assert_eq!(hit["places"][0], "balqa");
    assert!(
        hit["topics"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t == "fire_rescue"),
        "{hit}"
    );
    // The related-articles box is not part of the article.
    assert!(
        !hit["snippet"].as_str().unwrap().contains("خبر ذو صلة"),
        "{hit}"
    );
}

/// Real legacy-encoded feeds from the shared data, served over loopback with a charset
/// header that is wrong for them: every item the feed holds (as `rasd feed` reads the file)
/// is stored. Skipped when the shared data is absent.
#[test]
fn real_legacy_feeds_served_with_a_wrong_charset_lose_nothing() {
    let Some(dir) = rasd_core::shared_data::shared_data("feeds") else {
        eprintln!("skipped: the shared feeds are absent");
        return;
    };
    let reference = std::fs::read_to_string(dir.join("reference.jsonl")).unwrap();
    // One feed per legacy encoding, so the test covers many charsets quickly, and one per
    // site: the collection holds the same site's feed in several encodings, and the store
    // rightly keeps such repeats once.
    let mut seen = std::collections::HashSet::new();
    let mut sites = std::collections::HashSet::new();
    let mut picked: Vec<(String, String)> = Vec::new();
    for line in reference.lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        let file = v["file"].as_str().unwrap();
        let encoding = v["encoding"].as_str().unwrap_or("").to_ascii_lowercase();
        if file.starts_with("chardet-legacy-encodings/")
            && v["entries"].as_u64().unwrap_or(0) > 0
            && !encoding.starts_with("utf")
            && !seen.contains(&encoding)
            && sites.insert(file.split("__").nth(1).unwrap_or(file).to_string())
            && seen.insert(encoding.clone())
        {
            picked.push((file.to_string(), encoding));
        }
    }
    assert!(picked.len() >= 8, "{picked:?}");

    let mut routes = HashMap::new();
    let mut sources = String::new();
    let mut expected = HashMap::new();
    for (n, (file, _)) in picked.iter().enumerate() {
        let path: &'static str = Box::leak(format!("/legacy/{n}.xml").into_boxed_str());
        let bytes = std::fs::read(dir.join(file)).unwrap();
        routes.insert(path, (200, "application/rss+xml; charset=utf-8", bytes));
        let local = local_feed_items(&dir.join(file));
        expected.insert(format!("legacy-{n}"), local);
        sources.push_str(&format!(
            "[[source]]\nid = \"legacy-{n}\"\nname = \"{n}\"\nkind = \"feed\"\nurl = \"http://ADDR{path}\"\n\
             fetch_full_text = \"never\"\nallow_private = true\n\n"
        ));
    }
    let addr = serve(routes);
    let tmp = tempfile::tempdir().unwrap();
    let cfg = tmp.path().join("config");
    copy_config(&shipped_config(), &cfg);
    std::fs::write(
        cfg.join("rasd.toml"),
        "[fetch]\nper_host_delay = \"1s\"\nper_host_concurrency = 4\n",
    )
    .unwrap();
    std::fs::write(
        cfg.join("sources.toml"),
        sources.replace("ADDR", &addr.to_string()),
    )
    .unwrap();
    let data = tmp.path().join("data");
    let (cfg_s, data_s) = (cfg.to_str().unwrap(), data.to_str().unwrap());
    let out = rasd()
        .args(["--config", cfg_s, "--data-dir", data_s, "fetch"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stdout(&out));
    assert!(stdout(&out).contains(" 0 failed"), "{}", stdout(&out));

    let status = rasd()
        .args(["--config", cfg_s, "--data-dir", data_s, "status", "--json"])
        .output()
        .unwrap();
    let status: serde_json::Value = serde_json::from_slice(&status.stdout).unwrap();
    for (source, want) in &expected {
        let got = status["by_source"][source].as_u64().unwrap_or(0);
        assert_eq!(
            got, *want,
            "{source}: stored {got} items, the file holds {want}\n{status}"
        );
    }
}

/// How many items `rasd feed FILE --json` reads in a local file.
fn local_feed_items(file: &std::path::Path) -> u64 {
    let cfg = shipped_config();
    let out = rasd()
        .args(["--config", cfg.to_str().unwrap(), "feed", "--json"])
        .arg(file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    v["items"].as_u64().unwrap()
}

/// An article page whose story no generic extractor finds: every phrase links to a tag
/// page. Its `div.story` holds the text.
fn linked_story_page() -> Vec<u8> {
    "<!DOCTYPE html><html lang=\"ar\"><head><meta charset=\"utf-8\"><title>ضبط مطلوبين في ماركا</title></head>\
     <body><nav><a href=\"/\">الرئيسية</a></nav><h1>ضبط مطلوبين في ماركا</h1><div class=\"story\">\
     <a href=\"/tag/1\">ألقت الأجهزة الأمنية القبض على ثلاثة مطلوبين في منطقة ماركا بالعاصمة عمّان</a>، \
     <a href=\"/tag/2\">بعد مداهمة نفذتها قوة من البحث الجنائي فجر اليوم</a>.</div>\
     <footer>حقوق النشر</footer></body></html>"
        .as_bytes()
        .to_vec()
}

#[test]
fn extraction_failed_is_shown_in_the_sources_health_and_fixed_by_a_site_rule() {
    let feed = "<?xml version=\"1.0\" encoding=\"utf-8\"?><rss version=\"2.0\"><channel><title>t</title>\
        <link>http://x.example/</link><description>d</description>\
        <item><link>/news/1</link><title>ضبط مطلوبين في ماركا</title>\
        <description>ألقت الأجهزة الأمنية القبض على ثلاثة مطلوبين…</description>\
        <pubDate>Sat, 28 Nov 2026 08:00:00 +0300</pubDate></item></channel></rss>";
    // The entry's link is relative: the page is on the feed's server.
    let addr = serve(HashMap::from([
        (
            "/feed.xml",
            (200, "application/rss+xml", feed.as_bytes().to_vec()),
        ),
        (
            "/news/1",
            (200, "text/html; charset=utf-8", linked_story_page()),
        ),
    ]));
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("config");
    copy_config(&shipped_config(), &cfg);
    let entry = format!(
        "[[source]]\nid = \"linked\"\nname = \"روابط\"\nkind = \"feed\"\nurl = \"http://{addr}/feed.xml\"\n\
         allow_private = true\n"
    );
    std::fs::write(cfg.join("sources.toml"), &entry).unwrap();
    let data = dir.path().join("data");
    let (cfg_s, data_s) = (cfg.to_str().unwrap(), data.to_str().unwrap());
    let fetch = |cfg: &str| stdout(&rasd_ok(&["--config", cfg, "--data-dir", data_s, "fetch"]));

    let text = fetch(cfg_s);
    assert!(text.contains("extraction_failed 1"), "{text}");
    assert!(
        text.contains(&format!("http://{addr}/news/1")),
        "the page is named: {text}"
    );
    // The item keeps the feed's summary.
    let v = search_json(cfg_s, data_s, "مطلوبين");
    assert_eq!(v["total"], 1, "{v}");
    assert!(
        v["hits"][0]["snippet"]
            .as_str()
            .unwrap()
            .contains("القبض على ثلاثة مطلوبين"),
        "{v}"
    );

    let out = rasd_ok(&["--config", cfg_s, "--data-dir", data_s, "sources"]);
    let text = stdout(&out);
    let header = text.lines().next().unwrap();
    assert!(header.contains("xfail"), "{text}");
    let row = text.lines().find(|l| l.contains("linked")).unwrap();
    let cells: Vec<&str> = row.split_whitespace().collect();
    let col = |name: &str| {
        let at = header.split_whitespace().position(|h| h == name).unwrap();
        // The header's first column (the flag) is blank in both.
        cells[at]
    };
    assert_eq!((col("pages"), col("xfail")), ("1", "1"), "{text}");
    assert!(
        text.contains("Extraction failed at the last poll that fetched pages for linked (1)")
            && text.contains("article_selector"),
        "{text}"
    );
    let out = rasd_ok(&["--config", cfg_s, "--data-dir", data_s, "sources", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v[0]["last_poll"]["extraction_failed"], 1, "{v}");
    assert_eq!(v[0]["last_poll"]["rule_missed"], 0, "{v}");

    // The office tries a selector on the page, then sets it; a bad one is refused first.
    let saved = dir.path().join("page.html");
    std::fs::write(&saved, linked_story_page()).unwrap();
    let out = rasd_ok(&["extract", saved.to_str().unwrap()]);
    assert!(stderr(&out).contains("the article text was not found"));
    let out = rasd_ok(&[
        "extract",
        saved.to_str().unwrap(),
        "--selector",
        "div.story",
    ]);
    assert!(
        stdout(&out).contains("بعد مداهمة نفذتها قوة من البحث الجنائي"),
        "{}",
        stdout(&out)
    );
    assert!(stderr(&out).is_empty(), "{}", stderr(&out));

    std::fs::write(
        cfg.join("sources.toml"),
        format!("{entry}article_selector = \"div..story\"\n"),
    )
    .unwrap();
    let out = rasd().args(["check-config", cfg_s]).output().unwrap();
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(
        err.contains("sources.toml:7:")
            && err.contains("source \"linked\" article_selector: invalid article_selector")
            && err.contains("write a CSS selector"),
        "{err}"
    );
    std::fs::write(
        cfg.join("sources.toml"),
        format!("{entry}article_selector = \"div.story\"\n"),
    )
    .unwrap();
    rasd_ok(&["check-config", cfg_s]);
}
