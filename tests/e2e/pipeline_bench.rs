//! `rasd bench pipeline` on a small collection written here: three feeds (RSS with Arabic
//! items, Atom, JSON Feed), one file that is not a feed, and two article pages. Every item
//! goes through the child's pipeline, the peer is called with the sources' file, and the
//! last line gives both rates and their ratio.

use super::util::{rasd_ok, shipped_config, stdout};

fn rss(n: usize) -> String {
    let mut items = String::new();
    for k in 0..n {
        items.push_str(&format!(
            "<item><title>ضبط مركبة مسروقة في الزرقاء رقم {k}</title><link>https://example.jo/news/{k}-zarqa-car</link>\
             <guid>rss-{k}</guid><pubDate>Sat, 05 Dec 2026 10:{k:02}:00 +0300</pubDate>\
             <description>أعلنت مديرية الأمن العام ضبط مركبة مسروقة في محافظة الزرقاء والقبض على سائقها، الخبر رقم {k}.</description></item>"
        ));
    }
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><rss version=\"2.0\"><channel><title>أخبار</title><link>https://example.jo/</link>{items}</channel></rss>"
    )
}

fn atom(n: usize) -> String {
    let mut entries = String::new();
    for k in 0..n {
        entries.push_str(&format!(
            "<entry><title>Traffic accident on the desert road, report {k}</title><id>urn:atom:{k}</id>\
             <link href=\"https://example.com/2026/12/05/desert-road-accident-{k}\"/><updated>2026-12-05T08:{k:02}:00Z</updated>\
             <summary>Two people were injured when a lorry overturned south of Amman, report {k}.</summary></entry>"
        ));
    }
    format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?><feed xmlns=\"http://www.w3.org/2005/Atom\"><title>Wire</title><id>urn:wire</id><updated>2026-12-05T09:00:00Z</updated>{entries}</feed>"
    )
}

fn json_feed(n: usize) -> String {
    let items: Vec<serde_json::Value> = (0..n)
        .map(|k| {
            serde_json::json!({
                "id": format!("json-{k}"),
                "url": format!("https://example.org/posts/{k}-irbid-fire"),
                "title": format!("حريق في مستودع بإربد {k}"),
                "content_text": format!("أخمدت فرق الدفاع المدني حريقاً في مستودع بمدينة إربد دون إصابات، البلاغ {k}."),
                "date_published": "2026-12-05T07:00:00+02:00"
            })
        })
        .collect();
    serde_json::json!({"version": "https://jsonfeed.org/version/1.1", "title": "J", "items": items})
        .to_string()
}

fn page(title: &str, para: &str) -> String {
    let body: String = (0..6).map(|k| format!("<p>{para} ({k})</p>")).collect();
    format!(
        "<!doctype html><html lang=\"ar\" dir=\"rtl\"><head><meta charset=\"utf-8\"><title>{title}</title></head>\
         <body><nav><a href=\"/\">الرئيسية</a></nav><article><h1>{title}</h1>{body}</article>\
         <footer>جميع الحقوق محفوظة</footer></body></html>"
    )
}

#[test]
fn the_pipeline_bench_takes_every_item_through_and_compares_with_a_peer() {
    let tmp = tempfile::tempdir().unwrap();
    let feeds = tmp.path().join("feeds");
    let pages = tmp.path().join("pages");
    std::fs::create_dir_all(&feeds).unwrap();
    std::fs::create_dir_all(&pages).unwrap();
    std::fs::write(feeds.join("news.rss"), rss(12)).unwrap();
    std::fs::write(feeds.join("wire.atom"), atom(5)).unwrap();
    std::fs::write(feeds.join("posts.json"), json_feed(4)).unwrap();
    std::fs::write(feeds.join("notes.txt"), "ليس هذا ملف أخبار").unwrap();
    let para = "قالت مديرية الأمن العام إن دوريات النجدة استجابت لبلاغ عن سرقة محل تجاري في وسط عمان، \
                وإن التحقيقات جارية لمعرفة الفاعلين وإحالتهم إلى القضاء";
    std::fs::write(pages.join("a1.html"), page("سرقة محل تجاري في عمان", para)).unwrap();
    let gz = {
        use std::io::Write as _;
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(page("إغلاق طريق بسبب الضباب", para).as_bytes())
            .unwrap();
        e.finish().unwrap()
    };
    std::fs::write(pages.join("a2.html.gz"), gz).unwrap();
    // The peer: counts the sources it was given, says it took that many items through.
    let peer = tmp.path().join("peer.sh");
    std::fs::write(
        &peer,
        "#!/bin/sh\nn=$(grep -o '\"url\"' \"$1\" | wc -l)\ntest -d \"$2\" || exit 3\n\
         echo \"{\\\"items\\\": $n, \\\"stored\\\": $n, \\\"peak_rss_kb\\\": 2048}\"\n",
    )
    .unwrap();
    let cfg = shipped_config();
    let out = rasd_ok(&[
        "--config",
        cfg.to_str().unwrap(),
        "bench",
        "pipeline",
        "--runs",
        "1",
        "--feeds",
        feeds.to_str().unwrap(),
        "--pages",
        pages.to_str().unwrap(),
        "--truth",
        tmp.path().join("no-truth.json").to_str().unwrap(),
        "--peer",
        &format!("sh {}", peer.display()),
    ]);
    let text = stdout(&out);
    // Four feed files (one is not a feed) and the two pages on one site: five sources.
    assert!(
        text.contains("serving 4 feeds and 1 sites of pages on loopback (5 listeners)"),
        "{text}"
    );
    // 12 + 5 + 4 feed items and 2 pages, all new.
    assert!(
        text.contains("Rasd took 23 items through (23 stored as new, 1 sources failed)"),
        "{text}"
    );
    assert!(
        text.contains("peer took 5 items through (5 stored as new)"),
        "{text}"
    );
    let last = text.lines().last().unwrap();
    let fields: Vec<&str> = last
        .split(' ')
        .map(|f| f.split('=').next().unwrap())
        .collect();
    assert_eq!(
        fields,
        [
            "rasd_items_per_s",
            "python_items_per_s",
            "ratio",
            "rasd_peak_rss_mb",
            "python_peak_rss_mb"
        ],
        "{last}"
    );
    assert!(last.ends_with("python_peak_rss_mb=2.0"), "{last}");
    let rss: f64 = last
        .split(' ')
        .find_map(|f| f.strip_prefix("rasd_peak_rss_mb="))
        .unwrap()
        .parse()
        .unwrap();
    assert!(rss > 1.0, "{last}");
}
