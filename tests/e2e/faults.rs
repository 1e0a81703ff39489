//! Faults from outside Rasd, each with real processes and files: the data folder's disk
//! fills up while `rasd fetch` writes; another process holds the store's read or write lock;
//! files of the search index go missing or are cut short; the mail server is away for an
//! hour. After each, nothing acknowledged is lost, the store passes SQLite's
//! `PRAGMA integrity_check`, and once the fault is gone Rasd stores the rest, with an index
//! lag of 0 and `rasd verify` ok. Every exchange stays on 127.0.0.1. See the "Faults"
//! section of docs/reliability.md.

use std::collections::HashMap;
use std::io::{BufRead as _, BufReader, Write as _};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::util::{
    Route, copy_config, rasd, rasd_ok, rasd_refused, search_json, serve, shipped_config, stdout,
};

// The SMTP sink the replay test loads.
use super::replay::smtp_sink::{Smtp, free_port, python_with_aiosmtpd, received};

const ITEMS_PER_FEED: usize = 200;

/// A paragraph of Arabic news text; each item's body repeats it, so the store and the index
/// grow by a few kilobytes an item.
const PARAGRAPH: &str = "أصيب عدد من الأشخاص في حادث تصادم بين مركبتين على الطريق الصحراوي، \
     وتعاملت كوادر الدفاع المدني مع الحادث ونقلت المصابين إلى المستشفى، وباشرت الأجهزة \
     الأمنية التحقيق في ملابسات الحادث وأسبابه. ";

/// Feed `n`: `ITEMS_PER_FEED` Arabic items, each body `repeat` paragraphs long.
fn feed(n: usize, repeat: usize) -> Vec<u8> {
    let mut out = String::from(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?><rss version=\"2.0\"><channel><title>feed</title>\
         <link>http://faults.example/</link><description>d</description>",
    );
    for i in 0..ITEMS_PER_FEED {
        out.push_str(&format!(
            "<item><title>حادث سير رقم {i} على طريق رقم {n} في الزرقاء</title>\
             <link>http://faults.example/{n}/{i}</link><guid>faults-{n}-{i}</guid>\
             <pubDate>Sat, 28 Nov 2026 {:02}:{:02}:00 +0300</pubDate>\
             <description>{} الخبر {n}-{i}.</description></item>",
            i / 60,
            i % 60,
            PARAGRAPH.repeat(repeat)
        ));
    }
    out.push_str("</channel></rss>");
    out.into_bytes()
}

/// Loopback servers for feeds `feeds`: with `one_host`, one server for all (the per-host
/// politeness delay then spreads the fetch over about a second a feed); else one each.
fn servers(feeds: std::ops::Range<usize>, repeat: usize, one_host: bool) -> Vec<String> {
    let route = |n: usize| {
        let path: &'static str = Box::leak(format!("/feed-{n}.xml").into_boxed_str());
        let route: Route = (200, "application/rss+xml; charset=utf-8", feed(n, repeat));
        (path, route)
    };
    if one_host {
        let addr = serve(feeds.clone().map(route).collect());
        feeds
            .map(|n| format!("http://{addr}/feed-{n}.xml"))
            .collect()
    } else {
        feeds
            .map(|n| {
                let addr: SocketAddr = serve(HashMap::from([route(n)]));
                format!("http://{addr}/feed-{n}.xml")
            })
            .collect()
    }
}

/// A config folder `dir/name` polling `urls`.
fn config(dir: &Path, name: &str, urls: &[String]) -> String {
    let cfg = dir.join(name);
    copy_config(&shipped_config(), &cfg);
    std::fs::write(
        cfg.join("rasd.toml"),
        "[fetch]\nconcurrency = 8\nrespect_robots = false\n",
    )
    .unwrap();
    let mut sources = String::new();
    for url in urls {
        let n = url.rsplit("feed-").next().unwrap().trim_end_matches(".xml");
        sources.push_str(&format!(
            "[[source]]\nid = \"feed-{n}\"\nname = \"Feed {n}\"\nkind = \"feed\"\n\
             url = \"{url}\"\nfetch_full_text = \"never\"\nallow_private = true\n\n"
        ));
    }
    std::fs::write(cfg.join("sources.toml"), sources).unwrap();
    cfg.to_str().unwrap().to_string()
}

fn status_json(cfg: &str, data: &str) -> serde_json::Value {
    let out = rasd_ok(&["--config", cfg, "--data-dir", data, "status", "--json"]);
    serde_json::from_str(&stdout(&out)).unwrap()
}

/// `rasd verify` succeeds and counts `items` stored items.
fn assert_verified(cfg: &str, data: &str, items: u64) {
    let out = rasd_ok(&["--config", cfg, "--data-dir", data, "verify"]);
    assert!(
        stdout(&out).contains(&format!("store: {items} items")),
        "{}",
        stdout(&out)
    );
}

/// The store holds `items`, the index follows it (lag 0), `rasd verify` agrees, and an
/// Arabic search finds every item.
fn assert_whole(cfg: &str, data: &str, items: u64) {
    let status = status_json(cfg, data);
    assert_eq!(status["items"], items, "{status}");
    assert_eq!(status["index"]["lag"], 0, "{status}");
    assert_verified(cfg, data, items);
    let found = search_json(cfg, data, "الزرقاء");
    assert_eq!(found["total"], items, "an Arabic search finds them all");
}

/// A Python with its sqlite3 module: the outside process that holds the store's locks and
/// runs `PRAGMA integrity_check`.
fn python() -> &'static str {
    for py in ["/usr/bin/python3", "python3"] {
        let ok = Command::new(py)
            .args(["-c", "import sqlite3"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if ok {
            return py;
        }
    }
    panic!("these tests need python3 with its sqlite3 module (the outside SQLite process)");
}

/// SQLite's own check of the store file, from another process.
fn integrity_check(data: &Path) -> String {
    let out = Command::new(python())
        .args([
            "-c",
            "import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute('PRAGMA integrity_check').fetchone()[0])",
        ])
        .arg(data.join("rasd.sqlite"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout(&out).trim().to_string()
}

/// `rasd fetch` run to its end with its log at info level: (stdout, every stderr line).
/// `on_line` sees each stderr line as it comes.
fn fetch_watching(cfg: &str, data: &str, mut on_line: impl FnMut(&str)) -> (String, Vec<String>) {
    let mut child = rasd()
        .env("RUST_LOG", "info")
        .args(["--config", cfg, "--data-dir", data, "fetch"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = Vec::new();
    for line in BufReader::new(child.stderr.take().unwrap()).lines() {
        let line = line.unwrap();
        on_line(&line);
        lines.push(line);
    }
    let out = child.wait_with_output().unwrap();
    (stdout(&out), lines)
}

/// Items the fetch acknowledged: the `inserted` counts of its "Source batch stored" lines.
fn acknowledged(lines: &[String]) -> u64 {
    lines
        .iter()
        .filter(|l| l.contains("Source batch stored."))
        .filter_map(|l| {
            l.split_whitespace()
                .find_map(|w| w.strip_prefix("inserted="))
                .and_then(|n| n.parse::<u64>().ok())
        })
        .sum()
}

fn assert_no_panic(lines: &[String]) {
    let panics: Vec<&String> = lines.iter().filter(|l| l.contains("panicked at")).collect();
    assert!(panics.is_empty(), "{panics:#?}");
}

/// A tmpfs mounted on a folder for the life of the value (unmounted when dropped, a failed
/// test included).
struct Tmpfs(PathBuf);

impl Tmpfs {
    /// Mounts a tmpfs of `size` (`8m`) on `dir`, or says why it cannot.
    fn mount(dir: &Path, size: &str) -> Result<Tmpfs, String> {
        std::fs::create_dir_all(dir).unwrap();
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir)
            .output()
            .map_err(|e| format!("cannot run mount: {e}"))?;
        if out.status.success() {
            Ok(Tmpfs(dir.to_path_buf()))
        } else {
            Err(String::from_utf8_lossy(&out.stderr).trim().to_string())
        }
    }

    /// Gives the file system `size` in place, files kept.
    fn resize(&self, size: &str) {
        let out = Command::new("mount")
            .args(["-o", &format!("remount,size={size}")])
            .arg(&self.0)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

#[cfg(target_os = "linux")]
#[test]
fn a_full_disk_fails_writes_cleanly_and_rasd_stores_the_rest_when_space_returns() {
    const FEEDS: usize = 30;
    let total = (FEEDS * ITEMS_PER_FEED) as u64;
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let disk = match Tmpfs::mount(&data, "8m") {
        Ok(disk) => disk,
        Err(why) => {
            eprintln!(
                "SKIPPED: the full-disk test mounts an 8 MB tmpfs as the data folder and cannot \
                 here ({why}); it needs root or CAP_SYS_ADMIN, as in the project's container"
            );
            return;
        }
    };
    let data_s = data.to_str().unwrap();
    // One host: a feed about every second, so space can come back while the fetch runs.
    let cfg = config(tmp.path(), "config", &servers(0..FEEDS, 8, true));

    // The disk fills a few feeds in (each item is about 3 KB of Arabic text). Once a whole
    // batch has been refused, the file system is given more room, and the fetch goes on.
    let mut refused = None;
    let (out, lines) = fetch_watching(&cfg, data_s, |line| {
        if refused.is_none() && line.contains("Cannot store batch") {
            refused = Some(line.to_string());
            disk.resize("256m");
        }
    });
    let refused = refused.expect("the 8 MB disk filled up during the fetch");
    let errors: Vec<&String> = lines
        .iter()
        .filter(|l| l.contains(" ERROR ") || l.contains(" WARN "))
        .filter(|l| !l.contains("Model file not found"))
        .collect();
    eprintln!("{out}{errors:#?}");
    assert!(refused.contains("database or disk is full"), "{refused}");
    assert_no_panic(&lines);
    assert!(
        out.contains("storage errors:"),
        "the summary says so: {out}"
    );
    let stored = acknowledged(&lines);
    // Whether batches were refused, or only an index commit failed, depends on where the
    // disk filled; some write failed either way (the summary said so).
    assert!(
        stored > 0 && stored <= total,
        "{stored} acknowledged of {total}"
    );
    // Exactly what was acknowledged is there: no batch half-written.
    assert_eq!(integrity_check(&data), "ok");
    let status = status_json(&cfg, data_s);
    assert_eq!(status["items"], stored, "{status}");
    // The index writer that the full disk stopped was restarted within the same run, so
    // the batches stored after space returned were indexed and the lag closed without a
    // restart.
    assert_eq!(status["index"]["lag"], 0, "{status}");
    assert_verified(&cfg, data_s, stored);

    // The batches refused for want of space were not marked fetched: the next fetch takes
    // them.
    let (out, lines) = fetch_watching(&cfg, data_s, |_| {});
    assert_no_panic(&lines);
    assert!(!out.contains("storage errors:"), "{out}");
    assert_eq!(integrity_check(&data), "ok");
    assert_whole(&cfg, data_s, total);
}

/// Another process on the store: `python3` with its sqlite3 module holding a transaction
/// opened with `begin` (`BEGIN` then a read, `BEGIN IMMEDIATE`, `BEGIN EXCLUSIVE`) until
/// [`Holder::release`].
struct Holder {
    child: Child,
    /// The item count the holder read when it took the lock.
    count: u64,
}

impl Holder {
    fn take(data: &Path, begin: &str) -> Holder {
        let script = "import sqlite3, sys\n\
            c = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=30)\n\
            c.execute(sys.argv[2])\n\
            print('held', c.execute('SELECT count(*) FROM items').fetchone()[0], flush=True)\n\
            sys.stdin.readline()\n\
            print('released', c.execute('SELECT count(*) FROM items').fetchone()[0], flush=True)\n\
            c.execute('ROLLBACK')\n";
        let mut child = Command::new(python())
            .args(["-c", script])
            .arg(data.join("rasd.sqlite"))
            .arg(begin)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.as_mut().unwrap())
            .read_line(&mut line)
            .unwrap();
        let count = line
            .strip_prefix("held ")
            .and_then(|n| n.trim().parse().ok())
            .unwrap_or_else(|| panic!("the holder did not take the lock: {line:?}"));
        Holder { child, count }
    }

    /// Ends the transaction; returns the item count the holder read just before.
    fn release(mut self) -> u64 {
        self.child.stdin.take().unwrap().write_all(b"\n").unwrap();
        let out = self.child.wait_with_output().unwrap();
        assert!(out.status.success());
        stdout(&out)
            .trim()
            .strip_prefix("released ")
            .and_then(|n| n.parse().ok())
            .unwrap()
    }
}

fn wal_size(data: &Path) -> u64 {
    std::fs::metadata(data.join("rasd.sqlite-wal")).map_or(0, |m| m.len())
}

#[cfg(unix)]
#[test]
fn an_outside_reader_or_writer_on_the_store_delays_rasd_and_loses_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let data_s = data.to_str().unwrap();
    let urls = servers(0..40, 4, false);
    let first = config(tmp.path(), "first", &urls[..10]);
    let second = config(tmp.path(), "second", &urls[..20]);
    let third = config(tmp.path(), "third", &urls[..30]);
    rasd_ok(&["--config", &first, "--data-dir", data_s, "fetch"]);
    assert_whole(&first, data_s, 2000);

    // 1. A read transaction held through a whole fetch: WAL mode lets Rasd write beside it,
    // but no checkpoint can pass the reader's snapshot, so the WAL grows with every commit.
    let wal_before = wal_size(&data);
    let reader = Holder::take(&data, "BEGIN");
    assert_eq!(reader.count, 2000);
    let out = rasd_ok(&["--config", &second, "--data-dir", data_s, "fetch"]);
    assert!(!stdout(&out).contains("storage errors"), "{}", stdout(&out));
    let wal_held = wal_size(&data);
    assert_eq!(reader.release(), 2000, "the reader kept its snapshot");
    assert_whole(&second, data_s, 4000);
    // Once the reader is gone, the next commits checkpoint the whole WAL and SQLite writes
    // it again from its start: as many items again do not make it grow.
    rasd_ok(&["--config", &third, "--data-dir", data_s, "fetch"]);
    let wal_after = wal_size(&data);
    eprintln!(
        "WAL: {wal_before} bytes before, {wal_held} after 2,000 items beside a reader, \
         {wal_after} after 2,000 more without it"
    );
    assert!(wal_held > wal_before, "{wal_held} > {wal_before}");
    assert!(wal_after <= wal_held, "{wal_after} <= {wal_held}");
    assert_whole(&third, data_s, 6000);
    assert_eq!(integrity_check(&data), "ok");

    // 2. The write lock held (BEGIN EXCLUSIVE; in WAL mode the same as IMMEDIATE) when a
    // fetch starts: Rasd waits its busy timeout (5 s), then stops with a clear error,
    // having written nothing.
    let fourth = config(tmp.path(), "fourth", &urls[..35]);
    let writer = Holder::take(&data, "BEGIN EXCLUSIVE");
    let err = rasd_refused(&["--config", &fourth, "--data-dir", data_s, "fetch"]);
    assert!(err.contains("database is locked"), "{err}");
    assert!(!err.contains("panicked at"), "{err}");
    assert_eq!(writer.release(), 6000);
    assert_whole(&third, data_s, 6000);

    // 3. The write lock taken while a fetch runs (a feed about every second from one host)
    // and held 12 s: batches wait up to 5 s each, those that time out are refused whole and
    // not marked fetched; every batch acknowledged is kept, and the next fetch takes the
    // rest.
    let fifth = config(tmp.path(), "fifth", &servers(40..60, 4, true));
    let (mut holder, mut taken) = (None, false);
    let (out, lines) = fetch_watching(&fifth, data_s, |line| {
        if !taken && line.contains("Source batch stored.") {
            holder = Some((Holder::take(&data, "BEGIN IMMEDIATE"), Instant::now()));
            taken = true;
        }
        if let Some((_, since)) = &holder
            && since.elapsed() > Duration::from_secs(12)
        {
            let (h, _) = holder.take().unwrap();
            h.release();
        }
    });
    if let Some((h, _)) = holder {
        h.release();
    }
    assert_no_panic(&lines);
    let stored = acknowledged(&lines);
    eprintln!("{out}");
    assert!(
        lines.iter().any(|l| l.contains("database is locked")),
        "some batch met the lock: {out}"
    );
    assert!(out.contains("storage errors:"), "{out}");
    assert_eq!(integrity_check(&data), "ok");
    let status = status_json(&fifth, data_s);
    assert_eq!(status["items"], 6000 + stored, "{status}");
    assert_eq!(status["index"]["lag"], 0, "{status}");
    rasd_ok(&["--config", &fifth, "--data-dir", data_s, "fetch"]);
    let status = status_json(&fifth, data_s);
    assert_eq!(status["items"], 10_000, "{status}");
    assert_eq!(status["index"]["lag"], 0, "{status}");
    assert_verified(&fifth, data_s, 10_000);
}

/// The files of the last commit's segments in the index folder, by extension.
fn segment_files(search: &Path, ext: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(search)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == ext))
        .collect();
    files.sort();
    files
}

#[cfg(unix)]
#[test]
fn a_damaged_index_is_noticed_at_start_and_rebuilt_from_the_store() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let data_s = data.to_str().unwrap();
    let cfg = config(tmp.path(), "config", &servers(0..15, 2, false));
    rasd_ok(&["--config", &cfg, "--data-dir", data_s, "fetch"]);
    assert_whole(&cfg, data_s, 3000);
    let search = data.join("search");

    type Harm = fn(&Path);
    let damage: [(&str, Harm); 2] = [
        ("a segment file removed", |f| {
            std::fs::remove_file(f).unwrap()
        }),
        ("a segment file cut in half", |f| {
            let len = std::fs::metadata(f).unwrap().len();
            std::fs::OpenOptions::new()
                .write(true)
                .open(f)
                .unwrap()
                .set_len(len / 2)
                .unwrap();
        }),
    ];
    for (what, harm) in damage {
        let victim = segment_files(&search, "idx")
            .into_iter()
            .next()
            .expect("the index has a segment");
        harm(&victim);
        // A reader says what is wrong and what will mend it.
        let err = rasd_refused(&["--config", &cfg, "--data-dir", data_s, "status"]);
        assert!(err.contains("is damaged"), "{what}: {err}");
        assert!(err.contains("rasd reindex"), "{what}: {err}");
        // The next writer notices at start and rebuilds the index from the store.
        let (out, lines) = fetch_watching(&cfg, data_s, |_| {});
        assert_no_panic(&lines);
        assert!(
            lines
                .iter()
                .any(|l| l.contains("Search index damaged; rebuilding it from the store.")),
            "{what}: {lines:#?}"
        );
        assert!(!out.contains("storage errors"), "{what}: {out}");
        assert_whole(&cfg, data_s, 3000);
    }

    // Bytes changed in place leave the footers whole: `rasd verify` reads every file against
    // its checksums, names the file and says how to mend it; `rasd reindex` does.
    let victim = segment_files(&search, "pos").into_iter().next().unwrap();
    let mut bytes = std::fs::read(&victim).unwrap();
    let middle = bytes.len() / 2;
    for b in &mut bytes[middle..middle + 8] {
        *b ^= 0xff;
    }
    std::fs::write(&victim, bytes).unwrap();
    let err = rasd_refused(&["--config", &cfg, "--data-dir", data_s, "verify"]);
    assert!(err.contains("checksum mismatch"), "{err}");
    assert!(
        err.contains(victim.file_name().unwrap().to_str().unwrap()),
        "{err}"
    );
    rasd_ok(&["--config", &cfg, "--data-dir", data_s, "reindex"]);
    assert_whole(&cfg, data_s, 3000);
}

/// Four outlets of four owners report one bus crash within 36 minutes (a breaking story for
/// the shipped rule), `start` being the first report; one unrelated item follows
/// `minutes_after` minutes later, so the replay runs that long.
fn crash_lines(start: chrono::DateTime<chrono::Utc>, minutes_after: i64) -> String {
    let body = "توفي شخصان وأصيب تسعة آخرون إثر تدهور حافلة ركاب على طريق البحر الميت قرب \
                منطقة سويمة في محافظة البلقاء صباح اليوم، ونقل المصابون إلى مستشفى الشونة \
                الجنوبية الحكومي.";
    let mut text = String::new();
    for (k, (source, title)) in [
        ("petra", "وفاة 2 وإصابة 9 بتدهور حافلة قرب سويمة"),
        (
            "roya",
            "وفاتان و9 إصابات بتدهور حافلة ركاب على طريق البحر الميت",
        ),
        ("ammonnews", "تدهور حافلة قرب سويمة: وفاتان و9 إصابات"),
        (
            "khaberni",
            "الدفاع المدني: وفاتان و9 إصابات بتدهور حافلة قرب سويمة",
        ),
    ]
    .iter()
    .enumerate()
    {
        let at = start + chrono::Duration::minutes(12 * k as i64);
        text.push_str(&format!(
            "{}\n",
            serde_json::json!({
                "id": k, "source": source, "owner": source, "lang": "ar",
                "published": at.to_rfc3339(), "title": title, "body": body,
            })
        ));
    }
    let later = start + chrono::Duration::minutes(minutes_after);
    text.push_str(&format!(
        "{}\n",
        serde_json::json!({
            "id": 99, "source": "alrai", "lang": "ar", "published": later.to_rfc3339(),
            "title": "افتتاح معرض للكتاب في عمان",
            "body": "افتتحت وزارة الثقافة معرضا للكتاب يضم دور نشر أردنية وعربية.",
        })
    ));
    text
}

fn alerts_json(cfg: &str, data: &str) -> Vec<serde_json::Value> {
    let out = rasd_ok(&[
        "--config",
        cfg,
        "--data-dir",
        data,
        "alerts",
        "--since",
        "7d",
        "--json",
    ]);
    stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn alerts_wait_out_an_hour_without_the_mail_server_and_go_once_when_it_returns() {
    let Some(py) = python_with_aiosmtpd() else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let port = free_port(); // nothing listens there until the server comes back
    let cfg = tmp.path().join("config");
    copy_config(&shipped_config(), &cfg);
    let model = |name: &str| format!("{:?}", shipped_config().join("models").join(name));
    std::fs::write(
        cfg.join("rasd.toml"),
        format!(
            "[mail]\nenabled = true\nsmtp_host = \"127.0.0.1\"\nsmtp_port = {port}\n\
             security = \"none\"\nfrom = \"Rasd <rasd@example.jo>\"\ntimeout = \"5s\"\n\n\
             [alerts]\nrecipients = [\"leader@example.jo\", \"duty-officer@example.jo\"]\n\n\
             [enrich]\ntopic_model = {}\nsentiment_model = {}\nsentiment_model_en = {}\n",
            model("topics.bin"),
            model("sentiment.bin"),
            model("sentiment-en.bin"),
        ),
    )
    .unwrap();
    let cfg_s = cfg.to_str().unwrap();
    let data = tmp.path().join("data");
    let data_s = data.to_str().unwrap();
    // Four hours ago in real time, so that what is still queued at the end of the replay
    // is due when the server is back, and well inside give_up_after (24 h).
    let now = chrono::Utc::now();
    let start = chrono::DateTime::from_timestamp(now.timestamp() / 60 * 60, 0).unwrap()
        - chrono::Duration::hours(4);
    let file = tmp.path().join("days.jsonl");
    std::fs::write(&file, crash_lines(start, 120)).unwrap();
    // The replay's simulated clock runs two hours with the server away: the alert is raised
    // when the third owner reports, and the outbox is tried at each due time.
    // RASD_OUTAGE_SPEED=1 plays the two hours in real time (the long form).
    let speed = std::env::var("RASD_OUTAGE_SPEED").ok();
    let mut args = vec![
        "--config",
        cfg_s,
        "--data-dir",
        data_s,
        "replay",
        file.to_str().unwrap(),
    ];
    match &speed {
        Some(n) => args.extend(["--speed", n.as_str()]),
        None => args.push("--instant"),
    }
    let out = rasd_ok(&args);
    eprintln!("{}", stdout(&out));
    let alerts = alerts_json(cfg_s, data_s);
    assert_eq!(alerts.len(), 1, "{alerts:#?}");
    let opened = chrono::DateTime::parse_from_rfc3339(alerts[0]["opened_at"].as_str().unwrap())
        .unwrap()
        .with_timezone(&chrono::Utc);
    let end = start + chrono::Duration::minutes(120);
    let deliveries = alerts[0]["deliveries"].as_array().unwrap();
    assert_eq!(deliveries.len(), 2, "{deliveries:#?}");
    for d in deliveries {
        // Still queued (not dead: give_up_after is a day), the last error kept.
        assert_eq!(d["state"], "queued", "{d}");
        assert!(!d["last_error"].as_str().unwrap_or("").is_empty(), "{d}");
        // Tries at 0, 30 s, then 1, 2, 4, 8, 16, 30, 30 … minutes apart: about eight in
        // the 90 minutes between the alert and the end of the replay, not one a minute.
        let attempts = d["attempts"].as_u64().unwrap();
        let minutes = (end - opened).num_minutes();
        assert!(
            (6..=10).contains(&attempts),
            "{attempts} tries in {minutes} min: {d}"
        );
        // The next try is at most 30 minutes after the last one, which was before the end.
        let next = chrono::DateTime::parse_from_rfc3339(d["next_at"].as_str().unwrap())
            .unwrap()
            .with_timezone(&chrono::Utc);
        assert!(next > end - chrono::Duration::minutes(1), "{d}");
        assert!(next <= end + chrono::Duration::minutes(31), "{d}");
    }

    // The server is back: each message goes once, however often the outbox is run.
    let mail = tmp.path().join("mail");
    let smtp = Smtp::start(py, port, &mail, None);
    for _ in 0..2 {
        rasd_ok(&["--config", cfg_s, "--data-dir", data_s, "alerts", "send"]);
    }
    let got = received(&mail);
    let mut to: Vec<String> = got
        .iter()
        .map(|(env, _)| env["rcpt_tos"][0].as_str().unwrap().to_string())
        .collect();
    to.sort();
    assert_eq!(to, ["duty-officer@example.jo", "leader@example.jo"]);
    let alerts = alerts_json(cfg_s, data_s);
    for d in alerts[0]["deliveries"].as_array().unwrap() {
        assert_eq!(d["state"], "sent", "{d}");
    }
    drop(smtp);
}
