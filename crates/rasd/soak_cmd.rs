//! `rasd bench soak --minutes N [--sources 200]`: the daemon (`rasd run`, a child process)
//! on many loopback sources for a set time, with the web under light load, sampled every
//! few seconds; at the end, checks that it polled every healthy source on schedule, backed
//! off the failing ones as designed, and kept its memory, open files and threads flat.
//!
//! Each source is its own loopback server (so the per-host politeness of one does not slow
//! another), one of these behaviours, in fixed shares (of every 20 sources: 14 healthy, 2
//! slow, 2 failing, 2 hostile):
//!
//! - **healthy**: an RSS or Atom feed, Arabic or English, with a new item every 90–270 s;
//!   half answer `If-None-Match` with 304;
//! - **slow**: the answer starts after 3 s, or its bytes trickle in over about 3 s (both
//!   within the 5 s request timeout, so they must succeed);
//! - **failing**: 500, connection refused, connection reset, no answer (the timeout);
//! - **hostile**: a body past the size cap (announced, or streamed without a length),
//!   endless redirects, a gzip bomb (these must fail and back off); malformed XML (by
//!   design the entries that can be read are kept and the poll counts as done: it must
//!   keep its schedule and give one item, once); Arabic in windows-1256 with no charset or
//!   declared UTF-8 (these must be read right).
//!
//! The schedule is made exact so it can be checked: `[schedule] min_interval` =
//! `max_interval` = 1 minute, request timeout 5 s, `[fetch] max_backoff` 10 minutes, 16
//! fetches at once. A client in this process searches `/api/v1/search` (an analyst's API
//! key, Arabic and English, with filters) and posts to `/api/v1/submissions` (each from its
//! own address through a trusted proxy header), a few times a second.
//!
//! The work folder (`--data-dir`, else a temporary one removed at the end) holds `config/`,
//! `data/`, the daemon's log `daemon.log` and the samples `samples.csv`.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use chrono::{DateTime, Utc};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};

/// Seconds between polls of a healthy source (`[schedule] min_interval` = `max_interval`).
const INTERVAL_S: f64 = 60.0;
/// `[fetch] max_backoff` of the soak, in seconds.
const MAX_BACKOFF_S: f64 = 600.0;
/// `[fetch] timeout` of the soak, in seconds.
const TIMEOUT_S: u64 = 5;
/// The size cap of the soak (`[fetch] max_body_bytes`).
const MAX_BODY: u64 = 1024 * 1024;
/// The daemon hands due sources over every 15 s (`daemon::TICK`).
const TICK_S: f64 = 15.0;
/// Entries each feed lists.
const FEED_ENTRIES: u64 = 15;
/// The start-up round: every source is due at once at the start, and the first polls'
/// items (some 2,500) are tagged, stored and indexed together, so the next polls of that
/// round may come later than the schedule's steady state allows.
const STARTUP_S: f64 = 180.0;
/// Seconds between samples.
const SAMPLE_EVERY: Duration = Duration::from_secs(5);

/// What `rasd bench soak` was asked.
#[derive(Debug, Clone)]
pub struct SoakOptions {
    /// How long the daemon runs.
    pub minutes: f64,
    /// How many loopback sources.
    pub sources: usize,
    /// The config folder whose topics, places and alert rules the soak uses.
    pub config_dir: PathBuf,
    /// The work folder (else a temporary one).
    pub dir: Option<PathBuf>,
}

/// How a loopback source behaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Behaviour {
    Feed {
        arabic: bool,
        atom: bool,
        etag: bool,
    },
    SlowStart,
    Trickle,
    ServerError,
    Refused,
    Reset,
    Silent,
    HugeDeclared,
    HugeStreamed,
    Redirects,
    GzipBomb,
    Malformed,
    Windows1256Undeclared,
    Windows1256AsUtf8,
}

/// The four kinds of source, as the summary counts them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum Class {
    Healthy,
    Slow,
    Failing,
    Hostile,
}

impl Behaviour {
    /// The behaviour of source `k` (see the module docs for the shares).
    fn of(k: usize) -> Behaviour {
        let (round, slot) = (k / 20, k % 20);
        match slot {
            0..=13 => Behaviour::Feed {
                arabic: slot % 2 == 0,
                atom: slot % 3 == 1,
                etag: (slot / 2) % 2 == 0,
            },
            14 => Behaviour::SlowStart,
            15 => Behaviour::Trickle,
            16 | 17 => [
                Behaviour::ServerError,
                Behaviour::Refused,
                Behaviour::Reset,
                Behaviour::Silent,
            ][(round * 2 + slot - 16) % 4],
            _ => [
                Behaviour::HugeDeclared,
                Behaviour::HugeStreamed,
                Behaviour::Redirects,
                Behaviour::GzipBomb,
                Behaviour::Malformed,
                Behaviour::Windows1256Undeclared,
                Behaviour::Windows1256AsUtf8,
            ][(round * 2 + slot - 18) % 7],
        }
    }

    fn class(self) -> Class {
        match self {
            Behaviour::Feed { .. } => Class::Healthy,
            Behaviour::SlowStart | Behaviour::Trickle => Class::Slow,
            Behaviour::ServerError | Behaviour::Refused | Behaviour::Reset | Behaviour::Silent => {
                Class::Failing
            }
            _ => Class::Hostile,
        }
    }

    /// Whether every poll must succeed (else every poll must fail).
    fn succeeds(self) -> bool {
        matches!(
            self,
            Behaviour::Feed { .. }
                | Behaviour::SlowStart
                | Behaviour::Trickle
                | Behaviour::Windows1256Undeclared
                | Behaviour::Windows1256AsUtf8
                | Behaviour::Malformed
        )
    }

    fn name(self) -> &'static str {
        match self {
            Behaviour::Feed { .. } => "feed",
            Behaviour::SlowStart => "slow start",
            Behaviour::Trickle => "trickle",
            Behaviour::ServerError => "500",
            Behaviour::Refused => "refused",
            Behaviour::Reset => "reset",
            Behaviour::Silent => "no answer",
            Behaviour::HugeDeclared => "huge (length)",
            Behaviour::HugeStreamed => "huge (streamed)",
            Behaviour::Redirects => "endless redirects",
            Behaviour::GzipBomb => "gzip bomb",
            Behaviour::Malformed => "malformed XML",
            Behaviour::Windows1256Undeclared => "windows-1256, no charset",
            Behaviour::Windows1256AsUtf8 => "windows-1256 declared UTF-8",
        }
    }
}

/// One loopback source: what it does and when it was asked for its feed.
struct Served {
    k: usize,
    behaviour: Behaviour,
    /// Seconds between two new items.
    period: u64,
    /// When the soak started (the daemon's start).
    t0: Instant,
    /// The wall-clock time of `t0`, for the items' dates.
    wall0: DateTime<Utc>,
    /// Seconds since `t0` of every request for the feed's own path.
    log: Mutex<Vec<f64>>,
    /// Every request: seconds since `t0` and path.
    all: Mutex<Vec<(f64, String)>>,
}

const PLACES_AR: [&str; 5] = ["الزرقاء", "إربد", "عمان", "العقبة", "السلط"];
const PLACES_EN: [&str; 5] = ["Zarqa", "Irbid", "Amman", "Aqaba", "Salt"];

impl Served {
    /// Item `j`'s title and text.
    fn entry(&self, j: u64) -> (String, String) {
        let (k, arabic) = match self.behaviour {
            Behaviour::Feed { arabic, .. } => (self.k, arabic),
            // The charset traps are Arabic and always name Zarqa (the check looks for it).
            Behaviour::Windows1256Undeclared | Behaviour::Windows1256AsUtf8 => {
                return (
                    format!("حريق محل تجاري في الزرقاء دون إصابات ({} - {j})", self.k),
                    format!(
                        "تعاملت كوادر الدفاع المدني مع حريق في محل تجاري بمدينة الزرقاء، الخبر {}-{j}.",
                        self.k
                    ),
                );
            }
            _ => (self.k, self.k.is_multiple_of(2)),
        };
        let n = (k as u64 + j) as usize;
        if arabic {
            let place = PLACES_AR[n % PLACES_AR.len()];
            match n % 3 {
                0 => (
                    format!("ضبط مطلوب بقضايا سرقة في {place} (مصدر {k} خبر {j})"),
                    format!(
                        "ألقت الأجهزة الأمنية القبض على مطلوب بقضايا سرقة في محافظة {place}. الخبر {k}-{j}."
                    ),
                ),
                1 => (
                    format!("حريق منزل في {place} دون إصابات (مصدر {k} خبر {j})"),
                    format!(
                        "تعاملت كوادر الدفاع المدني مع حريق شب في منزل في {place}. الخبر {k}-{j}."
                    ),
                ),
                _ => (
                    format!("حادث سير على طريق {place} يوقع ثلاث إصابات (مصدر {k} خبر {j})"),
                    format!(
                        "أصيب ثلاثة أشخاص في حادث تصادم بين مركبتين قرب {place}. الخبر {k}-{j}."
                    ),
                ),
            }
        } else {
            let place = PLACES_EN[n % PLACES_EN.len()];
            match n % 3 {
                0 => (
                    format!("Police in {place} arrest theft suspect (desk {k}, report {j})"),
                    format!(
                        "Officers in {place} arrested a man wanted in several theft cases, the directorate said. Report {k}-{j}."
                    ),
                ),
                1 => (
                    format!("House fire in {place} causes no injuries (desk {k}, report {j})"),
                    format!(
                        "Civil defence crews put out a fire in a house in {place}. Report {k}-{j}."
                    ),
                ),
                _ => (
                    format!("Traffic accident near {place} injures three (desk {k}, report {j})"),
                    format!(
                        "Three people were injured when two vehicles collided near {place}. Report {k}-{j}."
                    ),
                ),
            }
        }
    }

    /// The newest item number at `now` (15 exist at the start).
    fn newest(&self) -> u64 {
        FEED_ENTRIES - 1 + self.t0.elapsed().as_secs() / self.period.max(1)
    }

    /// The feed as text, with its ETag.
    fn feed(&self) -> (String, String) {
        let newest = self.newest();
        let atom = matches!(self.behaviour, Behaviour::Feed { atom: true, .. });
        let date = |j: u64| {
            let secs = (j as i64 - (FEED_ENTRIES as i64 - 1)) * self.period as i64;
            self.wall0 + chrono::Duration::seconds(secs)
        };
        let k = self.k;
        let mut out = String::new();
        if atom {
            let _ = write!(
                out,
                "<?xml version=\"1.0\" encoding=\"utf-8\"?><feed xmlns=\"http://www.w3.org/2005/Atom\">\
                 <title>Soak {k}</title><id>urn:soak:{k}</id><updated>{}</updated>",
                date(newest).to_rfc3339()
            );
        } else {
            let prolog = match self.behaviour {
                Behaviour::Windows1256Undeclared => "<?xml version=\"1.0\"?>",
                _ => "<?xml version=\"1.0\" encoding=\"utf-8\"?>",
            };
            let _ = write!(
                out,
                "{prolog}<rss version=\"2.0\"><channel><title>مصدر {k}</title>\
                 <link>http://soak.example/{k}/</link><description>soak</description>"
            );
        }
        for j in (newest + 1 - FEED_ENTRIES..=newest).rev() {
            let (title, text) = self.entry(j);
            if atom {
                let _ = write!(
                    out,
                    "<entry><title>{title}</title><id>urn:soak:{k}:{j}</id>\
                     <link href=\"http://soak.example/{k}/{j}\"/><updated>{}</updated>\
                     <summary>{text}</summary></entry>",
                    date(j).to_rfc3339()
                );
            } else {
                let _ = write!(
                    out,
                    "<item><title>{title}</title><link>http://soak.example/{k}/{j}</link>\
                     <guid>soak-{k}-{j}</guid><pubDate>{}</pubDate><description>{text}</description></item>",
                    date(j).to_rfc2822()
                );
            }
        }
        out.push_str(if atom { "</feed>" } else { "</channel></rss>" });
        (out, format!("\"{k}-{newest}\""))
    }
}

/// The head of an HTTP request: its path and `If-None-Match`.
async fn read_head(s: &mut TcpStream) -> Option<(String, Option<String>)> {
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 2048];
    let read = async {
        while !buf.windows(4).any(|w| w == b"\r\n\r\n") && buf.len() < 16 * 1024 {
            let n = s.read(&mut chunk).await.ok()?;
            if n == 0 {
                return None;
            }
            buf.extend_from_slice(&chunk[..n]);
        }
        Some(())
    };
    tokio::time::timeout(Duration::from_secs(10), read)
        .await
        .ok()??;
    let head = String::from_utf8_lossy(&buf);
    let path = head.split_whitespace().nth(1)?.to_string();
    let inm = head.lines().find_map(|l| {
        let (k, v) = l.split_once(':')?;
        k.eq_ignore_ascii_case("if-none-match")
            .then(|| v.trim().to_string())
    });
    Some((path, inm))
}

async fn respond(s: &mut TcpStream, status: &str, headers: &[(&str, String)], body: &[u8]) {
    let mut head = format!("HTTP/1.1 {status}\r\nConnection: close\r\n");
    for (k, v) in headers {
        let _ = write!(head, "{k}: {v}\r\n");
    }
    let _ = write!(head, "Content-Length: {}\r\n\r\n", body.len());
    let _ = s.write_all(head.as_bytes()).await;
    let _ = s.write_all(body).await;
    let _ = s.shutdown().await;
}

/// Streams `total` bytes of feed-like filler after `head`, until the client hangs up.
async fn stream_filler(s: &mut TcpStream, head: &str, total: u64) {
    if s.write_all(head.as_bytes()).await.is_err() {
        return;
    }
    let _ = s
        .write_all(b"<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>x</title>")
        .await;
    let chunk = "<item><title>حشو</title><description>filler filler</description></item>"
        .repeat(800)
        .into_bytes();
    let mut sent = 0u64;
    while sent < total {
        if s.write_all(&chunk).await.is_err() {
            return;
        }
        sent += chunk.len() as u64;
    }
}

/// Answers one connection to source `served`.
async fn handle(mut s: TcpStream, served: Arc<Served>, bomb: Arc<Vec<u8>>) {
    let Some((path, inm)) = read_head(&mut s).await else {
        return;
    };
    let own = format!("/feed-{}.xml", served.k);
    served
        .all
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .push((served.t0.elapsed().as_secs_f64(), path.clone()));
    if path == own {
        served
            .log
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(served.t0.elapsed().as_secs_f64());
    }
    let rss = (
        "Content-Type",
        "application/rss+xml; charset=utf-8".to_string(),
    );
    match served.behaviour {
        Behaviour::Feed { etag, atom, .. } => {
            let (body, tag) = served.feed();
            if etag && inm.as_deref() == Some(tag.as_str()) {
                respond(&mut s, "304 Not Modified", &[("ETag", tag)], b"").await;
                return;
            }
            let ctype = if atom {
                "application/atom+xml; charset=utf-8"
            } else {
                "application/rss+xml; charset=utf-8"
            };
            let mut headers = vec![("Content-Type", ctype.to_string())];
            if etag {
                headers.push(("ETag", tag));
            }
            respond(&mut s, "200 OK", &headers, body.as_bytes()).await;
        }
        Behaviour::SlowStart => {
            tokio::time::sleep(Duration::from_secs(3)).await;
            let (body, _) = served.feed();
            respond(&mut s, "200 OK", &[rss], body.as_bytes()).await;
        }
        Behaviour::Trickle => {
            let (body, _) = served.feed();
            let head = format!(
                "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Type: application/rss+xml; charset=utf-8\r\nContent-Length: {}\r\n\r\n",
                body.len()
            );
            if s.write_all(head.as_bytes()).await.is_err() {
                return;
            }
            // About 3 s for the whole body, in 30 pieces.
            let piece = body.len().div_ceil(30).max(1);
            for part in body.as_bytes().chunks(piece) {
                if s.write_all(part).await.is_err() {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            let _ = s.shutdown().await;
        }
        Behaviour::ServerError => {
            respond(
                &mut s,
                "500 Internal Server Error",
                &[("Content-Type", "text/plain".into())],
                b"internal error",
            )
            .await;
        }
        Behaviour::Refused => {}
        Behaviour::Reset => {
            // SO_LINGER 0: closing sends a reset, at once (nothing is left to flush, so the
            // drop does not block).
            #[allow(deprecated)]
            let _ = s.set_linger(Some(Duration::ZERO));
            drop(s);
        }
        Behaviour::Silent => {
            // Read until the client gives up (its timeout), answering nothing.
            let mut sink = [0u8; 256];
            let _ = tokio::time::timeout(Duration::from_secs(120), async {
                while let Ok(n) = s.read(&mut sink).await {
                    if n == 0 {
                        break;
                    }
                }
            })
            .await;
        }
        Behaviour::HugeDeclared => {
            let head = "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Type: application/rss+xml\r\nContent-Length: 200000000\r\n\r\n";
            stream_filler(&mut s, head, 200_000_000).await;
        }
        Behaviour::HugeStreamed => {
            let head =
                "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Type: application/rss+xml\r\n\r\n";
            stream_filler(&mut s, head, 64 * MAX_BODY).await;
        }
        Behaviour::Redirects => {
            let next = path
                .rsplit('/')
                .next()
                .and_then(|p| p.strip_prefix("hop-"))
                .and_then(|n| n.parse::<u64>().ok())
                .map_or(1, |n| n + 1);
            respond(
                &mut s,
                "302 Found",
                &[("Location", format!("/hop-{next}"))],
                b"",
            )
            .await;
        }
        Behaviour::GzipBomb => {
            respond(
                &mut s,
                "200 OK",
                &[rss, ("Content-Encoding", "gzip".into())],
                &bomb,
            )
            .await;
        }
        Behaviour::Malformed => {
            let body = format!(
                "<?xml version=\"1.0\" encoding=\"utf-8\"?><rss version=\"2.0\"><channel><title>مكسور</title>\
                 <item><title>خبر {} بلا نهاية</titel><description>نص & <b غير مغلق</item></chanel>",
                served.k
            );
            respond(&mut s, "200 OK", &[rss], body.as_bytes()).await;
        }
        Behaviour::Windows1256Undeclared | Behaviour::Windows1256AsUtf8 => {
            let (body, _) = served.feed();
            let (bytes, _, _) = encoding_rs::WINDOWS_1256.encode(&body);
            let ctype = if served.behaviour == Behaviour::Windows1256Undeclared {
                "application/rss+xml"
            } else {
                "application/rss+xml; charset=utf-8"
            };
            respond(&mut s, "200 OK", &[("Content-Type", ctype.into())], &bytes).await;
        }
    }
}

/// 100 MiB of zeros, gzipped (about 100 KB).
fn gzip_bomb() -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    let zeros = vec![0u8; 1 << 20];
    for _ in 0..100 {
        let _ = enc.write_all(&zeros);
    }
    enc.finish().unwrap_or_default()
}

/// Starts the loopback sources; returns them with the address of each (a refused one gets
/// an address nothing listens on).
async fn start_sources(
    n: usize,
    t0: Instant,
    wall0: DateTime<Utc>,
) -> anyhow::Result<Vec<(Arc<Served>, std::net::SocketAddr)>> {
    let bomb = Arc::new(gzip_bomb());
    let mut out = Vec::with_capacity(n);
    for k in 0..n {
        let behaviour = Behaviour::of(k);
        let served = Arc::new(Served {
            k,
            behaviour,
            period: 90 + (k as u64 % 7) * 30,
            t0,
            wall0,
            log: Mutex::new(Vec::new()),
            all: Mutex::new(Vec::new()),
        });
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        if behaviour == Behaviour::Refused {
            // The port was free a moment ago; now nothing listens on it.
            drop(listener);
        } else {
            let (served, bomb) = (served.clone(), bomb.clone());
            tokio::spawn(async move {
                loop {
                    let Ok((s, _)) = listener.accept().await else {
                        continue;
                    };
                    tokio::spawn(handle(s, served.clone(), bomb.clone()));
                }
            });
        }
        out.push((served, addr));
    }
    Ok(out)
}

/// Writes the soak's config folder: the topics, places and alert rules of `from`, the
/// sources, and the settings of the module docs.
fn write_config(
    from: &Path,
    to: &Path,
    web: std::net::SocketAddr,
    sources: &[(Arc<Served>, std::net::SocketAddr)],
) -> anyhow::Result<()> {
    std::fs::create_dir_all(to).with_context(|| format!("cannot create {}", to.display()))?;
    for name in ["topics.toml", "places.toml", "alerts.toml"] {
        std::fs::copy(from.join(name), to.join(name))
            .with_context(|| format!("cannot copy {}", from.join(name).display()))?;
    }
    // The topic and sentiment models, as the config folder has them.
    let models = from.join("models");
    if models.is_dir() {
        let models = models.canonicalize()?;
        #[cfg(unix)]
        std::os::unix::fs::symlink(&models, to.join("models"))
            .with_context(|| format!("cannot link {}", models.display()))?;
    }
    std::fs::write(
        to.join("rasd.toml"),
        format!(
            "[server]\nlisten = \"{web}\"\nclient_ip_header = \"X-Forwarded-For\"\ntrusted_proxies = [\"127.0.0.1\"]\n\n\
             [schedule]\ndefault_interval = \"1m\"\nmin_interval = \"1m\"\nmax_interval = \"1m\"\n\n\
             [fetch]\ntimeout = \"{TIMEOUT_S}s\"\nconnect_timeout = \"2s\"\nmax_body_bytes = {MAX_BODY}\n\
             max_redirects = 5\nconcurrency = 16\nrespect_robots = false\nmax_backoff = \"{}m\"\n",
            MAX_BACKOFF_S as u64 / 60
        ),
    )?;
    let mut list = String::new();
    for (s, addr) in sources {
        let _ = write!(
            list,
            "[[source]]\nid = \"soak-{k:03}\"\nname = \"Soak {k} ({})\"\nkind = \"feed\"\n\
             url = \"http://{addr}/feed-{k}.xml\"\nfetch_full_text = \"never\"\nallow_private = true\n\n",
            s.behaviour.name(),
            k = s.k
        );
    }
    std::fs::write(to.join("sources.toml"), list)?;
    Ok(())
}

/// One sample of the daemon.
#[derive(Debug, Clone, Copy, Default)]
struct Sample {
    t: f64,
    rss_kb: u64,
    fds: u64,
    threads: u64,
    stored: u64,
    fetch_failures: u64,
    http_requests: u64,
}

/// Reads RSS and threads from /proc/PID/status and counts /proc/PID/fd.
fn proc_sample(pid: u32) -> Option<(u64, u64, u64)> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let field = |name: &str| {
        status.lines().find_map(|l| {
            l.strip_prefix(name)?
                .split_whitespace()
                .next()?
                .parse::<u64>()
                .ok()
        })
    };
    let fds = std::fs::read_dir(format!("/proc/{pid}/fd")).ok()?.count() as u64;
    Some((field("VmRSS:")?, fds, field("Threads:")?))
}

/// The sum of the values of every series named `name` (any labels) in a Prometheus text.
fn metric_sum(text: &str, name: &str) -> u64 {
    text.lines()
        .filter(|l| {
            l.strip_prefix(name)
                .is_some_and(|rest| rest.starts_with(' ') || rest.starts_with('{'))
        })
        .filter_map(|l| l.rsplit(' ').next()?.trim().parse::<f64>().ok())
        .sum::<f64>() as u64
}

/// What the web client got.
#[derive(Debug, Default)]
struct WebLoad {
    searches: usize,
    submissions: usize,
    /// Answers other than 200 (search) or 201 (submission), and requests that failed.
    bad: Vec<String>,
    latencies_ms: Vec<f64>,
}

/// Searches and form submissions at a few a second until `stop`.
async fn web_load(base: String, key: String, stop: Arc<AtomicBool>) -> WebLoad {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .expect("a plain HTTP client builds");
    let searches = [
        "q=سرقة&topic=theft",
        "q=حريق&lang=ar",
        "q=الزرقاء&sort=date",
        "q=حادث سير&place=irbid",
        "q=police arrest&lang=en",
        "q=fire&sort=date&size=50",
        "q=&topic=traffic_accident",
        "q=Zarqa&page=2",
    ];
    let mut load = WebLoad::default();
    let mut tick = tokio::time::interval(Duration::from_millis(250));
    let mut n = 0usize;
    while !stop.load(Ordering::Relaxed) {
        tick.tick().await;
        n += 1;
        let t = Instant::now();
        // Three searches a second, one submission every 2 s.
        let (what, answer) = if n.is_multiple_of(8) {
            load.submissions += 1;
            let k = load.submissions;
            let body = serde_json::json!({
                "category": "theft",
                "governorate": "zarqa",
                "text": format!("بلاغ رقم {k} أثناء الاختبار الطويل: سرقة هاتف من سيارة متوقفة في الحي."),
            });
            let r = client
                .post(format!("{base}/api/v1/submissions"))
                .header(
                    "x-forwarded-for",
                    format!("10.9.{}.{}", (k >> 8) & 255, k & 255),
                )
                .header("content-type", "application/json")
                .body(body.to_string())
                .send()
                .await;
            ("submission", r.map(|r| (r.status().as_u16(), 201)))
        } else if !n.is_multiple_of(4) {
            load.searches += 1;
            let q = searches[n % searches.len()];
            let r = client
                .get(format!("{base}/api/v1/search?{q}"))
                .bearer_auth(&key)
                .send()
                .await;
            let r = match r {
                Ok(r) => {
                    let status = r.status().as_u16();
                    r.bytes().await.map(|_| (status, 200))
                }
                Err(e) => Err(e),
            };
            ("search", r)
        } else {
            continue;
        };
        load.latencies_ms.push(t.elapsed().as_secs_f64() * 1000.0);
        match answer {
            Ok((got, want)) if got == want => {}
            Ok((got, _)) => load.bad.push(format!("{what}: HTTP {got}")),
            Err(e) => load.bad.push(format!("{what}: {e}")),
        }
    }
    load
}

/// `rasd ARGS` with the soak's folders, to completion.
fn rasd_cmd(cfg: &Path, data: &Path) -> std::process::Command {
    let exe = std::env::current_exe().unwrap_or_else(|_| PathBuf::from("rasd"));
    let mut c = std::process::Command::new(exe);
    c.arg("--config").arg(cfg).arg("--data-dir").arg(data);
    c.env("RUST_LOG", "warn");
    c
}

/// A user with `role` and their API key, through `rasd users`.
pub(crate) fn user_key(cfg: &Path, data: &Path, name: &str, role: &str) -> anyhow::Result<String> {
    let mut add = rasd_cmd(cfg, data)
        .args(["users", "add", name, "--role", role])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .context("cannot run rasd users add")?;
    add.stdin
        .take()
        .context("no stdin")?
        .write_all("كلمة مرور طويلة للاختبار\n".as_bytes())?;
    let out = add.wait_with_output()?;
    if !out.status.success() {
        bail!("rasd users add: {}", String::from_utf8_lossy(&out.stderr));
    }
    let out = rasd_cmd(cfg, data).args(["users", "key", name]).output()?;
    if !out.status.success() {
        bail!("rasd users key: {}", String::from_utf8_lossy(&out.stderr));
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// The designed wait after the `n`-th failure in a row (1 for the first), before jitter.
fn designed_backoff(n: u32) -> f64 {
    (INTERVAL_S * f64::from(1u32 << n.saturating_sub(1).min(20))).min(MAX_BACKOFF_S)
}

/// The fewest and the most failed attempts a failing source can have made in `secs`,
/// starting within the first `first` seconds (the waits within ±20 % jitter, plus the tick
/// and the attempt itself).
fn attempts_range(secs: f64, first: f64, attempt: f64) -> (u32, u32) {
    let count = |mut t: f64, wait: &dyn Fn(u32) -> f64| {
        let mut n = 0;
        while t <= secs {
            n += 1;
            t += wait(n);
        }
        n
    };
    let least = count(first, &|n| {
        1.2 * designed_backoff(n) + TICK_S + attempt + 2.0
    });
    let most = count(0.0, &|n| 0.8 * designed_backoff(n) - 1.0);
    (least.saturating_sub(1), most)
}

/// The middle value (the upper one of an even count); 0 for none.
pub(crate) fn median(v: &mut [f64]) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn stop_daemon(child: &mut Child) -> anyhow::Result<std::process::ExitStatus> {
    let _ = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        if let Some(s) = child.try_wait()? {
            return Ok(s);
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            bail!("the daemon did not stop within 90 s of SIGTERM (killed)");
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// Runs the soak (see the module docs); fails when an invariant breaks.
pub fn run(opts: &SoakOptions) -> anyhow::Result<()> {
    if opts.sources < 20 {
        bail!(
            "--sources {}: give at least 20 (each kind of source once)",
            opts.sources
        );
    }
    if opts.minutes.is_nan() || opts.minutes < 1.0 {
        bail!("--minutes {}: give at least 1", opts.minutes);
    }
    let (dir, _remove) = match &opts.dir {
        Some(d) => {
            if d.join("data").exists() {
                bail!(
                    "{} already holds a soak's data: give a fresh folder",
                    d.display()
                );
            }
            (d.clone(), None)
        }
        None => {
            let t = crate::tempfile_dir("rasd-soak")?;
            (t.clone(), Some(crate::RemoveOnDrop(t)))
        }
    };
    std::fs::create_dir_all(&dir)?;
    let (cfg, data) = (dir.join("config"), dir.join("data"));
    let rt = crate::runtime()?;
    let t0 = Instant::now();
    let wall0 = Utc::now();
    let sources = rt.block_on(start_sources(opts.sources, t0, wall0))?;
    let web = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?;
    write_config(&opts.config_dir, &cfg, web, &sources)?;
    // An analyst searches; the metrics are an administrator's (as a Prometheus scrape).
    let key = user_key(&cfg, &data, "analyst", "analyst")?;
    let admin = user_key(&cfg, &data, "admin", "admin")?;

    let log_path = dir.join("daemon.log");
    let exe = std::env::current_exe().context("cannot find this program")?;
    let mut child = std::process::Command::new(exe)
        .arg("--config")
        .arg(&cfg)
        .arg("--data-dir")
        .arg(&data)
        .arg("run")
        .env("RUST_LOG", "info")
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log_path)?)
        .spawn()
        .context("cannot start rasd run")?;
    let pid = child.id();
    // The soak's clock starts with the daemon: the sources' logs count from here.
    let started = Instant::now();
    let offset = started.duration_since(t0).as_secs_f64();
    let secs = opts.minutes * 60.0;
    eprintln!(
        "soak: rasd run (pid {pid}) on {} loopback sources for {:.0} min; web at http://{web}; folder {}",
        opts.sources,
        opts.minutes,
        dir.display()
    );

    let base = format!("http://{web}");
    // Wait for the web to answer.
    let ready = rt.block_on(async {
        let client = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            if client.get(format!("{base}/healthz")).send().await.is_ok() {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        false
    });
    if !ready {
        let _ = child.kill();
        bail!(
            "the daemon's web did not answer within 60 s; its log:\n{}",
            std::fs::read_to_string(&log_path).unwrap_or_default()
        );
    }
    let stop = Arc::new(AtomicBool::new(false));
    let load = rt.spawn(web_load(base.clone(), key.clone(), stop.clone()));

    // Sampling.
    let mut samples: Vec<Sample> = Vec::new();
    let mut csv =
        String::from("seconds,rss_kb,fds,threads,items_stored,fetch_failures,http_requests\n");
    let metrics_client = reqwest::Client::new();
    let mut next_report = 60.0;
    let early_exit = loop {
        let t = started.elapsed().as_secs_f64();
        if t >= secs {
            break None;
        }
        if let Some(status) = child.try_wait()? {
            break Some(status);
        }
        if let Some((rss_kb, fds, threads)) = proc_sample(pid) {
            let text = rt.block_on(async {
                match metrics_client
                    .get(format!("{base}/metrics"))
                    .bearer_auth(&admin)
                    .timeout(Duration::from_secs(10))
                    .send()
                    .await
                {
                    Ok(r) => r.text().await.unwrap_or_default(),
                    Err(_) => String::new(),
                }
            });
            let s = Sample {
                t,
                rss_kb,
                fds,
                threads,
                stored: metric_sum(&text, "rasd_items_stored_total"),
                fetch_failures: metric_sum(&text, "rasd_fetch_failures_total"),
                http_requests: metric_sum(&text, "rasd_http_requests_total"),
            };
            let _ = writeln!(
                csv,
                "{:.1},{},{},{},{},{},{}",
                s.t, s.rss_kb, s.fds, s.threads, s.stored, s.fetch_failures, s.http_requests
            );
            if t >= next_report {
                next_report += 60.0;
                eprintln!(
                    "soak: {:>4.1} min  RSS {:>6.1} MB  fds {:>4}  threads {:>3}  items stored {:>6}  fetch failures {:>5}  web requests {:>6}",
                    t / 60.0,
                    s.rss_kb as f64 / 1024.0,
                    s.fds,
                    s.threads,
                    s.stored,
                    s.fetch_failures,
                    s.http_requests
                );
            }
            samples.push(s);
        }
        std::thread::sleep(SAMPLE_EVERY);
    };
    stop.store(true, Ordering::Relaxed);
    let load = rt.block_on(load).context("the web client failed")?;
    std::fs::write(dir.join("samples.csv"), &csv)?;
    if let Some(status) = early_exit {
        bail!(
            "the daemon exited early ({status}); its log ends:\n{}",
            tail(&log_path, 30)
        );
    }
    let elapsed = started.elapsed().as_secs_f64();
    let exit = stop_daemon(&mut child)?;
    let log = std::fs::read_to_string(&log_path).unwrap_or_default();

    let mut requests = String::from("source,behaviour,seconds,path\n");
    for (s, _) in &sources {
        for (t, path) in s.all.lock().unwrap_or_else(|e| e.into_inner()).iter() {
            let _ = writeln!(
                requests,
                "soak-{:03},{},{:.2},{path}",
                s.k,
                s.behaviour.name(),
                t - offset
            );
        }
    }
    std::fs::write(dir.join("requests.csv"), requests)?;
    let report = check(&Checked {
        sources: &sources,
        data: &data,
        offset,
        elapsed,
        samples: &samples,
        load: &load,
        log: &log,
    })?;
    let verify = rasd_cmd(&cfg, &data).arg("verify").output()?;
    let verify_text = format!(
        "{}{}",
        String::from_utf8_lossy(&verify.stdout).trim(),
        String::from_utf8_lossy(&verify.stderr).trim()
    );

    print!("{}", report.text);
    println!(
        "daemon: stopped on SIGTERM with {exit}; log: {} warnings, {} errors, {} panics",
        log.lines().filter(|l| l.contains(" WARN ")).count(),
        log.lines().filter(|l| l.contains(" ERROR ")).count(),
        log.matches("panicked").count()
    );
    println!("rasd verify: {verify_text}");
    let mut broken = report.broken;
    if !exit.success() {
        broken.push(format!("the daemon exited with {exit} on SIGTERM"));
    }
    if log.contains("panicked") {
        broken.push("the daemon's log has a panic".into());
    }
    if !verify.status.success() {
        broken.push("rasd verify found the store and the index apart".into());
    }
    println!(
        "soak_minutes={:.1} sources={} rss_growth_pct={:.1} fds_growth={:+.0} threads_growth={:+.0} on_schedule={}/{} backed_off={}/{} web_errors={} broken={}",
        elapsed / 60.0,
        opts.sources,
        report.rss_growth_pct,
        report.fds_growth,
        report.threads_growth,
        report.on_schedule.0,
        report.on_schedule.1,
        report.backed_off.0,
        report.backed_off.1,
        load.bad.len(),
        broken.len()
    );
    if !broken.is_empty() {
        for b in broken.iter().take(40) {
            println!("BROKEN: {b}");
        }
        bail!("{} soak invariants broken (see above)", broken.len());
    }
    Ok(())
}

fn tail(path: &Path, lines: usize) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

/// What the checks read.
struct Checked<'a> {
    sources: &'a [(Arc<Served>, std::net::SocketAddr)],
    data: &'a Path,
    /// Seconds between the sources' clock and the daemon's start.
    offset: f64,
    /// Seconds the daemon ran before SIGTERM.
    elapsed: f64,
    samples: &'a [Sample],
    load: &'a WebLoad,
    log: &'a str,
}

/// What the checks found.
struct Report {
    text: String,
    broken: Vec<String>,
    rss_growth_pct: f64,
    fds_growth: f64,
    threads_growth: f64,
    on_schedule: (usize, usize),
    backed_off: (usize, usize),
}

/// The checks of the module docs, after the daemon stopped.
fn check(c: &Checked) -> anyhow::Result<Report> {
    let mut text = String::new();
    let mut broken = Vec::new();
    let store = rasd_store::Store::open(c.data)?;
    let health: BTreeMap<String, rasd_store::SourceHealth> = store
        .source_health()?
        .into_iter()
        .map(|h| (h.source.clone(), h))
        .collect();
    let conn = rusqlite::Connection::open_with_flags(
        c.data.join(rasd_store::DB_FILE),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )?;
    let end = c.elapsed;

    // The samples over time.
    let _ = writeln!(
        text,
        "samples (every {} s; {} taken):\n| minute | RSS MB | open fds | threads | items stored | fetch failures | web requests |\n| --- | --- | --- | --- | --- | --- | --- |",
        SAMPLE_EVERY.as_secs(),
        c.samples.len()
    );
    let marks: Vec<f64> = if end >= 25.0 * 60.0 {
        vec![0.0, 600.0, 1200.0, end]
    } else {
        vec![0.0, end / 3.0, 2.0 * end / 3.0, end]
    };
    for m in marks {
        if let Some(s) = c
            .samples
            .iter()
            .min_by(|a, b| (a.t - m).abs().total_cmp(&(b.t - m).abs()))
        {
            let _ = writeln!(
                text,
                "| {:.1} | {:.1} | {} | {} | {} | {} | {} |",
                s.t / 60.0,
                s.rss_kb as f64 / 1024.0,
                s.fds,
                s.threads,
                s.stored,
                s.fetch_failures,
                s.http_requests
            );
        }
    }
    // Flat: the median of the last third against the median of the second third.
    let third = |from: f64, to: f64, f: &dyn Fn(&Sample) -> f64| {
        let mut v: Vec<f64> = c
            .samples
            .iter()
            .filter(|s| s.t >= from * end && s.t < to * end + 1.0)
            .map(f)
            .collect();
        median(&mut v)
    };
    let rss = (
        third(1.0 / 3.0, 2.0 / 3.0, &|s| s.rss_kb as f64),
        third(2.0 / 3.0, 1.0, &|s| s.rss_kb as f64),
    );
    let fds = (
        third(1.0 / 3.0, 2.0 / 3.0, &|s| s.fds as f64),
        third(2.0 / 3.0, 1.0, &|s| s.fds as f64),
    );
    let threads = (
        third(1.0 / 3.0, 2.0 / 3.0, &|s| s.threads as f64),
        third(2.0 / 3.0, 1.0, &|s| s.threads as f64),
    );
    let rss_growth_pct = 100.0 * (rss.1 - rss.0) / rss.0.max(1.0);
    let _ = writeln!(
        text,
        "flat (median of the last third against the second third; the rule: RSS at most 10 % higher, open fds at most 10 % or 10 more, threads at most 10 % or 5 more): RSS {:.1} → {:.1} MB ({rss_growth_pct:+.1} %), fds {:.0} → {:.0}, threads {:.0} → {:.0}",
        rss.0 / 1024.0,
        rss.1 / 1024.0,
        fds.0,
        fds.1,
        threads.0,
        threads.1
    );
    if rss.1 > rss.0 * 1.10 {
        broken.push(format!("RSS grew {rss_growth_pct:.1} % (rule: under 10 %)"));
    }
    for (what, (a, b)) in [("open fds", fds), ("threads", threads)] {
        if b > (a * 1.10).max(a + 5.0) {
            broken.push(format!(
                "{what} grew from {a:.0} to {b:.0} (rule: 10 % or 5)"
            ));
        }
    }

    // Each source.
    let mut by_class: BTreeMap<Class, (usize, usize, usize)> = BTreeMap::new();
    let (mut on_schedule, mut schedule_total) = (0, 0);
    let (mut backed_off, mut backoff_total) = (0, 0);
    let mut polls_total = 0usize;
    let mut worst_gap = 0.0f64;
    for (served, _) in c.sources {
        let id = format!("soak-{:03}", served.k);
        let b = served.behaviour;
        let h = health
            .get(&id)
            .with_context(|| format!("{id} is not in the store's source records"))?;
        // The source's requests on the daemon's clock.
        let times: Vec<f64> = served
            .log
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .map(|t| t - c.offset)
            .collect();
        polls_total += times.len();
        let entry = by_class.entry(b.class()).or_default();
        entry.0 += 1;
        let mut problems = Vec::new();
        if b.succeeds() {
            schedule_total += 1;
            // Every gap one interval, give or take the tick (15 s), the fetch (up to the 5 s
            // timeout), whole seconds and the stages storing the poll; more in the start-up
            // round.
            let first = times.first().copied().unwrap_or(f64::INFINITY);
            if first > 60.0 {
                problems.push(format!("first poll at {first:.0} s (want within 60 s)"));
            }
            for w in times.windows(2) {
                let gap = w[1] - w[0];
                let most = if w[0] < STARTUP_S { 120.0 } else { 95.0 };
                worst_gap = worst_gap.max(if w[0] < STARTUP_S { 0.0 } else { gap });
                if !(INTERVAL_S - 5.0..=most).contains(&gap) {
                    problems.push(format!(
                        "a gap of {gap:.0} s between polls at {:.0} and {:.0} s (want 55–{most:.0} s)",
                        w[0], w[1]
                    ));
                }
            }
            if let Some(last) = times.last()
                && end - last > 95.0
            {
                problems.push(format!("last poll {:.0} s before the end", end - last));
            }
            if h.consecutive_failures > 0 || h.last_success.is_none() {
                problems.push(format!(
                    "recorded {} failures in a row (last: {})",
                    h.consecutive_failures,
                    h.last_error.as_deref().unwrap_or("-")
                ));
            }
            if matches!(
                b,
                Behaviour::Windows1256Undeclared | Behaviour::Windows1256AsUtf8
            ) {
                let right: i64 = conn.query_row(
                    "SELECT COUNT(*) FROM items WHERE source = ?1 AND title LIKE '%الزرقاء%'",
                    [&id],
                    |r| r.get(0),
                )?;
                if right < FEED_ENTRIES as i64 {
                    problems.push(format!(
                        "only {right} of its items have their Arabic title read right"
                    ));
                }
            }
            if b == Behaviour::Malformed {
                let n: i64 =
                    conn.query_row("SELECT COUNT(*) FROM items WHERE source = ?1", [&id], |r| {
                        r.get(0)
                    })?;
                if n != 1 {
                    problems.push(format!(
                        "{n} items stored from its one readable entry (want 1)"
                    ));
                }
            }
            if problems.is_empty() {
                on_schedule += 1;
                entry.1 += 1;
            }
        } else {
            backoff_total += 1;
            let f = h.consecutive_failures;
            if h.last_success.is_some() || f == 0 {
                problems.push(format!("recorded a success ({f} failures in a row)"));
            }
            let attempt = if b == Behaviour::Silent {
                TIMEOUT_S as f64
            } else {
                3.0
            };
            let (least, most) = attempts_range(end, 30.0, attempt);
            if f < least || f > most {
                problems.push(format!(
                    "{f} failed attempts in {:.0} min (the backoff allows {least}–{most})",
                    end / 60.0
                ));
            }
            if let (Some(at), Some(due)) = (h.last_error_at, h.next_due) {
                let wait = (due - at).num_seconds() as f64;
                let d = designed_backoff(f);
                if !(0.8 * d - 2.0..=1.2 * d + 2.0).contains(&wait) {
                    problems.push(format!(
                        "after failure {f} it waits {wait:.0} s (designed {d:.0} s ±20 %)"
                    ));
                }
            }
            if b != Behaviour::Refused {
                if (times.len() as i64 - i64::from(f)).abs() > 1 {
                    problems.push(format!(
                        "its server saw {} attempts, the store counts {f} failures",
                        times.len()
                    ));
                }
                for (n, w) in times.windows(2).enumerate() {
                    let gap = w[1] - w[0];
                    let d = designed_backoff(n as u32 + 1);
                    if !(0.8 * d - 2.0..=1.2 * d + TICK_S + attempt + 5.0).contains(&gap) {
                        problems.push(format!(
                            "attempt {} came {gap:.0} s after the one before (designed {d:.0} s ±20 %)",
                            n + 2
                        ));
                    }
                }
            }
            if problems.is_empty() {
                backed_off += 1;
                entry.2 += 1;
            }
        }
        for p in problems {
            broken.push(format!("{id} ({}): {p}", b.name()));
        }
    }
    let _ = writeln!(
        text,
        "sources: {} ({}); {polls_total} requests for their feeds",
        c.sources.len(),
        by_class
            .iter()
            .map(|(class, (n, _, _))| format!("{n} {class:?}").to_lowercase())
            .collect::<Vec<_>>()
            .join(", ")
    );
    let _ = writeln!(
        text,
        "polled on schedule (first poll within 60 s; every gap 55–95 s for an interval of 60 s, up to 120 s in the first {STARTUP_S:.0} s; the last within 95 s of the end; no failure recorded; charset traps read right, the malformed feed's one entry stored once): {on_schedule} of {schedule_total}; the longest gap after the start-up round {worst_gap:.0} s"
    );
    let _ = writeln!(
        text,
        "backed off as designed (failures only; the store's count within what the backoff allows; the recorded wait and every gap between attempts within ±20 % of 1, 2, 4, 8, 10 min plus the tick): {backed_off} of {backoff_total}"
    );
    let mut lat = c.load.latencies_ms.clone();
    lat.sort_by(f64::total_cmp);
    let p = |q: f64| {
        lat.get(((lat.len() as f64 - 1.0) * q).round() as usize)
            .copied()
            .unwrap_or(0.0)
    };
    let _ = writeln!(
        text,
        "web: {} searches and {} submissions, {} not answered as expected; latency p50 {:.1} ms, p99 {:.1} ms",
        c.load.searches,
        c.load.submissions,
        c.load.bad.len(),
        p(0.5),
        p(0.99)
    );
    for b in c.load.bad.iter().take(10) {
        broken.push(format!("web: {b}"));
    }
    if c.load.bad.len() > 10 {
        broken.push(format!("web: and {} more", c.load.bad.len() - 10));
    }
    let submissions: i64 = conn
        .query_row("SELECT COUNT(*) FROM submissions", [], |r| r.get(0))
        .unwrap_or(-1);
    let items: i64 = conn.query_row("SELECT COUNT(*) FROM items", [], |r| r.get(0))?;
    let _ = writeln!(
        text,
        "store: {items} items, {submissions} submissions; the daemon logged {} 'Source fetched.' lines",
        c.log.matches("Source fetched.").count()
    );
    if submissions >= 0
        && (submissions as usize) < c.load.submissions - c.load.bad.len().min(c.load.submissions)
    {
        broken.push(format!(
            "{submissions} submissions stored, {} accepted",
            c.load.submissions
        ));
    }
    Ok(Report {
        text,
        broken,
        rss_growth_pct,
        fds_growth: fds.1 - fds.0,
        threads_growth: threads.1 - threads.0,
        on_schedule: (on_schedule, schedule_total),
        backed_off: (backed_off, backoff_total),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_of_source_is_served_in_twenty() {
        let kinds: std::collections::HashSet<Class> =
            (0..20).map(|k| Behaviour::of(k).class()).collect();
        assert_eq!(kinds.len(), 4);
        let all: std::collections::HashSet<&str> =
            (0..200).map(|k| Behaviour::of(k).name()).collect();
        assert_eq!(all.len(), 14, "{all:?}");
        let failing = (0..200).filter(|&k| !Behaviour::of(k).succeeds()).count();
        assert!((30..=40).contains(&failing), "{failing}");
    }

    #[test]
    fn the_backoff_doubles_up_to_ten_minutes() {
        assert_eq!(designed_backoff(1), 60.0);
        assert_eq!(designed_backoff(2), 120.0);
        assert_eq!(designed_backoff(4), 480.0);
        assert_eq!(designed_backoff(5), 600.0);
        assert_eq!(designed_backoff(40), 600.0);
        // In 30 minutes: attempts at about 0, 1, 3, 7, 15, 25 min.
        let (least, most) = attempts_range(1800.0, 30.0, 5.0);
        assert!(least <= 6 && 6 <= most, "{least}–{most}");
        assert!(most <= 8, "{most}");
    }

    #[test]
    fn metric_sums_add_every_labelled_series() {
        let text = "# TYPE rasd_fetch_failures_total counter\nrasd_fetch_failures_total{source=\"a\"} 3\nrasd_fetch_failures_total{source=\"b\"} 4\nrasd_items_stored_total 12\n";
        assert_eq!(metric_sum(text, "rasd_fetch_failures_total"), 7);
        assert_eq!(metric_sum(text, "rasd_items_stored_total"), 12);
        assert_eq!(metric_sum(text, "rasd_items"), 0);
    }
}
