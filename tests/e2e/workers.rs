//! `rasd run --role fetch|process`: three workers share one PostgreSQL store, each with its
//! own data folder. A fetch worker is killed (SIGKILL) while it holds a source's lease; once
//! the lease has run out another fetch worker takes the source, and every item of every
//! feed is stored exactly once.

use std::collections::{HashMap, HashSet};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::util::{Daemon, copy_config, shipped_config};

const SOURCES: usize = 7;
const PER_FEED: usize = 5;
/// `[workers] lease`, short so the test does not wait long for the killed worker's.
const LEASE_SECS: u64 = 4;

fn feed(source: usize, host: SocketAddr) -> String {
    let mut items = String::new();
    for n in 0..PER_FEED {
        items.push_str(&format!(
            "<item><title>خبر رقم {n} من المصدر {source} عن الطقس في العقبة</title>\
             <link>http://{host}/news/{n}</link><guid>http://{host}/news/{n}</guid>\
             <pubDate>Sat, 28 Nov 2026 08:0{n}:00 +0300</pubDate>\
             <description>توقعت دائرة الأرصاد الجوية طقساً معتدلاً في العقبة، النشرة {source}-{n}.</description></item>"
        ));
    }
    format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?><rss version=\"2.0\"><channel><title>مصدر {source}</title>\
         <link>http://{host}/</link><description>x</description>{items}</channel></rss>"
    )
}

/// A feed on its own loopback address (so no two sources share a host's request limits).
/// The first `hang_first` requests are answered only after `hang`; every request's time is
/// recorded.
struct FeedServer {
    addr: SocketAddr,
    requests: Arc<Mutex<Vec<Instant>>>,
}

fn feed_server(source: usize, hang_first: usize, hang: Duration) -> FeedServer {
    let listener = TcpListener::bind(format!("127.0.0.{}:0", source + 2))
        .or_else(|_| TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let addr = listener.local_addr().unwrap();
    let body = feed(source, addr);
    let requests: Arc<Mutex<Vec<Instant>>> = Arc::default();
    let seen = requests.clone();
    let count = Arc::new(AtomicUsize::new(0));
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut s) = stream else { continue };
            let (body, seen, count) = (body.clone(), seen.clone(), count.clone());
            std::thread::spawn(move || {
                let mut buf = [0u8; 8192];
                let n = s.read(&mut buf).unwrap_or(0);
                let request = String::from_utf8_lossy(&buf[..n]).into_owned();
                let path = request.split_whitespace().nth(1).unwrap_or("/").to_string();
                if path != "/feed.xml" {
                    let _ = s.write_all(
                        b"HTTP/1.1 404 X\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                    );
                    return;
                }
                seen.lock().unwrap().push(Instant::now());
                if count.fetch_add(1, Ordering::SeqCst) < hang_first {
                    std::thread::sleep(hang);
                }
                let head = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml; charset=utf-8\r\n\
                     Content-Length: {}\r\nConnection: close\r\n\r\n",
                    body.len()
                );
                let _ = s.write_all(head.as_bytes());
                let _ = s.write_all(body.as_bytes());
            });
        }
    });
    FeedServer { addr, requests }
}

fn wait_for(what: &str, within: Duration, logs: &[&Daemon], mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + within;
    while !done() {
        if Instant::now() > deadline {
            let mut text = String::new();
            for d in logs {
                text.push_str(&format!(
                    "--- {}:\n{}\n",
                    d.log.display(),
                    std::fs::read_to_string(&d.log).unwrap_or_default()
                ));
            }
            panic!("{what}: not within {within:?}\n{text}");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[cfg(unix)]
#[test]
fn workers_share_the_sources_and_a_killed_workers_source_is_fetched_by_another() {
    let Some(pg) = rasd_store::testing::require_pg("workers e2e") else {
        return;
    };
    let store_url = rasd_store::db::fresh_schema_url(&pg).unwrap();
    // Source 0 hangs on its first request: the worker fetching it is killed meanwhile.
    let servers: Vec<FeedServer> = (0..SOURCES)
        .map(|i| {
            if i == 0 {
                feed_server(i, 1, Duration::from_secs(120))
            } else {
                feed_server(i, 0, Duration::ZERO)
            }
        })
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("config");
    copy_config(&shipped_config(), &cfg);
    std::fs::write(
        cfg.join("rasd.toml"),
        format!("[workers]\nlease = \"{LEASE_SECS}s\"\n\n[fetch]\ntimeout = \"5m\"\n"),
    )
    .unwrap();
    let mut sources = String::new();
    for (i, s) in servers.iter().enumerate() {
        sources.push_str(&format!(
            "[[source]]\nid = \"src-{i}\"\nname = \"مصدر {i}\"\nkind = \"feed\"\n\
             url = \"http://{}/feed.xml\"\ninterval = \"1h\"\nfetch_full_text = \"never\"\n\
             allow_private = true\n\n",
            s.addr
        ));
    }
    std::fs::write(cfg.join("sources.toml"), sources).unwrap();
    let cfg_s = cfg.to_str().unwrap().to_string();
    let env = [("RASD_STORE_URL", store_url.as_str()), ("RUST_LOG", "info")];
    let worker = |name: &str, role: &str| {
        let data = dir.path().join(format!("data-{name}"));
        Daemon::spawn(
            &[
                "--config",
                &cfg_s,
                "--data-dir",
                data.to_str().unwrap(),
                "run",
                "--role",
                role,
            ],
            &env,
            &dir.path().join(format!("{name}.log")),
        )
    };

    // Worker a fetches alone first: it takes the sources, source 0 among them, and hangs
    // on it.
    let mut a = worker("a", "fetch");
    let store = {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            // The worker creates the schema's tables; the test opens the store after.
            if let Ok(s) = rasd_store::Store::open_url(&store_url)
                && !s.sources().unwrap_or_default().is_empty()
            {
                break s;
            }
            assert!(
                Instant::now() < deadline,
                "worker a did not start:\n{}",
                std::fs::read_to_string(&a.log).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    };
    wait_for(
        "worker a fetches source 0",
        Duration::from_secs(60),
        &[&a],
        || !servers[0].requests.lock().unwrap().is_empty(),
    );
    let holder = store
        .lease_holder("src-0", chrono::Utc::now())
        .unwrap()
        .expect("source 0 is leased while it is fetched");
    assert!(holder.ends_with(&format!("-{}", a.child.id())), "{holder}");
    a.kill();
    let killed_at = Instant::now();

    // Two more workers: one fetches, one tags and stores.
    let mut b = worker("b", "fetch");
    let mut c = worker("c", "process");
    let all = SOURCES * PER_FEED;
    wait_for(
        "every item stored and the queue empty",
        Duration::from_secs(120),
        &[&b, &c],
        || {
            store.status().map(|s| s.items as usize).unwrap_or(0) >= all
                && store.queued_work().unwrap_or(1) == 0
        },
    );

    // Every feed item exactly once: as many stored items as feed items, each feed's URLs
    // all there.
    let ids = store.item_ids().unwrap();
    assert_eq!(ids.len(), all);
    assert_eq!(ids.iter().collect::<HashSet<_>>().len(), all);
    let stored = store.get_items(&ids).unwrap();
    let urls: HashSet<String> = stored.iter().map(|i| i.url.clone()).collect();
    for s in &servers {
        for n in 0..PER_FEED {
            let url = format!("http://{}/news/{n}", s.addr);
            assert!(urls.contains(&url), "{url} not stored");
        }
    }
    let per_source: HashMap<&str, usize> = stored.iter().fold(HashMap::new(), |mut m, i| {
        *m.entry(i.source.as_str()).or_default() += 1;
        m
    });
    assert!(
        per_source.values().all(|&n| n == PER_FEED),
        "{per_source:?}"
    );
    // Tagged by the process worker (Arabic detected).
    assert!(stored.iter().all(|i| i.tags.lang == rasd_core::Lang::Ar));

    // Source 0 was fetched again, by worker b, only after a's lease had run out.
    let requests = servers[0].requests.lock().unwrap().clone();
    assert_eq!(requests.len(), 2, "source 0 fetched twice: {requests:?}");
    assert!(requests[1] > killed_at);
    assert!(
        requests[1] - requests[0] >= Duration::from_secs(LEASE_SECS - 2),
        "fetched again {:?} after the first fetch, before the lease ran out",
        requests[1] - requests[0]
    );
    let b_log = std::fs::read_to_string(&b.log).unwrap();
    assert!(
        b_log
            .lines()
            .any(|l| l.contains("Source batch queued") && l.contains("src-0")),
        "worker b did not queue source 0:\n{b_log}"
    );
    assert!(
        store
            .fetch_state("src-0")
            .unwrap()
            .unwrap()
            .last_success
            .is_some()
    );
    // Every other source was fetched once (twice if a was killed while fetching it).
    for s in &servers[1..] {
        assert!((1..=2).contains(&s.requests.lock().unwrap().len()));
    }

    b.stop();
    c.stop();
}
