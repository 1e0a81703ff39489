//! `rasd bench workers`: how fetch and process throughput grow with 1, 2 and 3 workers
//! (`rasd run --role fetch|process`, each its own process and data folder) sharing one
//! PostgreSQL store.
//!
//! - Sources: `--sources` loopback feed servers written here (each on its own loopback
//!   address, `--items` Arabic and English items each) that answer the feed after
//!   `--latency-ms`, standing for a remote site: fetching is bound by waiting, as in real
//!   life. Each worker fetches at most `--concurrency` sources at once (`[fetch]
//!   concurrency`), so one worker cannot take every source at once.
//! - Fetch phase, for each worker count N: a fresh schema, N fetch workers started; timed
//!   from the first feed request the servers see until every item is in the work queue.
//! - Process phase, for each N: a fresh schema whose queue holds `--queue` items (queued
//!   through the store, untimed), N process workers started; timed from the first claim
//!   until the queue is empty and every item is stored.
//!
//! Worker start-up (loading the models, opening the store) is outside the timed part. The
//! store's share is the CPU time of PostgreSQL (the postmaster and its backends, read from
//! /proc: only when the server runs on this machine) beside the workers' own, over each
//! phase (start-up included).

use std::io::{Read as _, Write as _};
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use rasd_core::Item;
use rasd_store::Store;
use rasd_store::db::{Connection, params};

use crate::soak_cmd::median;
use crate::store_bench::drop_schema;
use crate::{RemoveOnDrop, tempfile_dir};

/// Options of `rasd bench workers`.
#[derive(Debug, Clone)]
pub struct WorkersBenchOptions {
    /// Loopback feed servers.
    pub sources: usize,
    /// Items per feed.
    pub items: usize,
    /// Each feed answers after this long.
    pub latency_ms: u64,
    /// `[fetch] concurrency` of each fetch worker.
    pub concurrency: u32,
    /// Items queued for the process phase.
    pub queue: usize,
    /// Worker counts to measure.
    pub workers: Vec<usize>,
    /// Timed runs of each phase and worker count (the median is printed).
    pub runs: usize,
    /// A PostgreSQL server; else the test harness's throwaway one.
    pub url: Option<String>,
    /// The configuration folder (its topics, places and alert rules are the workers').
    pub config_dir: PathBuf,
}

/// Medians of one phase at one worker count.
#[derive(Debug, Clone, Default)]
struct Figures {
    /// Sources per second (fetch) or 0.
    sources_per_s: f64,
    /// Items queued (fetch) or stored (process) per second.
    items_per_s: f64,
    /// Timed seconds.
    seconds: f64,
    /// CPU seconds of PostgreSQL and of the workers over the phase.
    pg_cpu: Option<f64>,
    workers_cpu: f64,
}

/// The longest a phase may take before the bench gives up.
const PHASE_LIMIT: Duration = Duration::from_secs(600);
const POLL: Duration = Duration::from_millis(25);

fn feed(source: usize, per_feed: usize, host: SocketAddr) -> String {
    let mut items = String::new();
    for n in 0..per_feed {
        let (title, body) = if n % 2 == 0 {
            (
                format!("افتتاح مركز صحي جديد في المفرق رقم {n} من المصدر {source}"),
                format!(
                    "افتتحت وزارة الصحة مركزاً صحياً شاملاً في محافظة المفرق يخدم أكثر من عشرين \
                     ألف مواطن، وقال الوزير إن المركز يضم عيادات للأطفال والأسنان، الخبر {source}-{n}."
                ),
            )
        } else {
            (
                format!(
                    "Road works close part of the airport road, notice {n} from source {source}"
                ),
                format!(
                    "The Greater Amman Municipality said lanes of the airport road will close \
                     at night for resurfacing, and asked drivers to use the alternative routes, \
                     notice {source}-{n}."
                ),
            )
        };
        items.push_str(&format!(
            "<item><title>{title}</title><link>http://{host}/news/{n}</link>\
             <guid>http://{host}/news/{n}</guid>\
             <pubDate>Sun, 06 Dec 2026 0{h}:{m:02}:00 +0300</pubDate>\
             <description>{body}</description></item>",
            h = n % 10,
            m = n % 60
        ));
    }
    format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?><rss version=\"2.0\"><channel>\
         <title>مصدر {source}</title><link>http://{host}/</link><description>x</description>\
         {items}</channel></rss>"
    )
}

/// The feed servers: each on its own loopback address, answering `/feed.xml` after the
/// latency (other paths at once, 404). `first` holds the nanoseconds since `epoch` of the
/// first feed request since it was last reset to 0.
struct Feeds {
    addrs: Vec<SocketAddr>,
    epoch: Instant,
    first: Arc<AtomicU64>,
}

fn serve_feeds(sources: usize, per_feed: usize, latency: Duration) -> anyhow::Result<Feeds> {
    let epoch = Instant::now();
    let first = Arc::new(AtomicU64::new(0));
    let mut addrs = Vec::with_capacity(sources);
    for i in 0..sources {
        // 127.0.0.2 onwards: one host per source, so per-host limits do not bind.
        let listener = TcpListener::bind(format!("127.0.{}.{}:0", i / 250, i % 250 + 2))
            .or_else(|_| TcpListener::bind("127.0.0.1:0"))
            .context("cannot listen on loopback")?;
        let addr = listener.local_addr()?;
        addrs.push(addr);
        let body: Arc<[u8]> = feed(i, per_feed, addr).into_bytes().into();
        let first = first.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut s) = stream else { continue };
                let (body, first) = (body.clone(), first.clone());
                std::thread::spawn(move || {
                    let mut buf = [0u8; 8192];
                    let n = s.read(&mut buf).unwrap_or(0);
                    let request = String::from_utf8_lossy(&buf[..n]);
                    let path = request.split_whitespace().nth(1).unwrap_or("/");
                    if path != "/feed.xml" {
                        let _ = s.write_all(
                            b"HTTP/1.1 404 X\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                        );
                        return;
                    }
                    let now = u64::try_from(epoch.elapsed().as_nanos()).unwrap_or(u64::MAX);
                    let _ =
                        first.compare_exchange(0, now.max(1), Ordering::SeqCst, Ordering::SeqCst);
                    std::thread::sleep(latency);
                    let head = format!(
                        "HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml; charset=utf-8\r\n\
                         Content-Length: {}\r\nConnection: close\r\n\r\n",
                        body.len()
                    );
                    let _ = s.write_all(head.as_bytes());
                    let _ = s.write_all(&body);
                });
            }
        });
    }
    Ok(Feeds {
        addrs,
        epoch,
        first,
    })
}

/// Writes the workers' config folder: the given one's topics, places and alert rules, a
/// rasd.toml with the fetch concurrency, and the loopback sources.
fn write_config(opts: &WorkersBenchOptions, feeds: &Feeds, to: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(to)?;
    for name in ["topics.toml", "places.toml", "alerts.toml"] {
        let from = opts.config_dir.join(name);
        if from.exists() {
            std::fs::copy(&from, to.join(name))
                .with_context(|| format!("cannot copy {}", from.display()))?;
        }
    }
    std::fs::write(
        to.join("rasd.toml"),
        format!(
            "[workers]\nlease = \"5m\"\n\n[fetch]\nconcurrency = {}\ntimeout = \"60s\"\n",
            opts.concurrency
        ),
    )?;
    let mut sources = String::new();
    for (i, a) in feeds.addrs.iter().enumerate() {
        sources.push_str(&format!(
            "[[source]]\nid = \"src-{i}\"\nname = \"مصدر {i}\"\nkind = \"feed\"\n\
             url = \"http://{a}/feed.xml\"\ninterval = \"1h\"\nfetch_full_text = \"never\"\n\
             allow_private = true\n\n"
        ));
    }
    std::fs::write(to.join("sources.toml"), sources)?;
    Ok(())
}

/// CPU seconds (user + system) of a process, with those of its waited-for children when
/// `children`; `None` when it cannot be read.
fn cpu_seconds(pid: u32, children: bool) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command (which may hold spaces), from the third field on.
    let rest = &stat[stat.rfind(')')? + 2..];
    let f: Vec<&str> = rest.split(' ').collect();
    let tick = |i: usize| f.get(i).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
    // utime, stime, cutime, cstime are fields 14..17 (indexes 11..14 here).
    let mut t = tick(11) + tick(12);
    if children {
        t += tick(13) + tick(14);
    }
    // USER_HZ is 100 on Linux.
    Some(t as f64 / 100.0)
}

fn parent_of(pid: u32) -> Option<u32> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = &stat[stat.rfind(')')? + 2..];
    rest.split(' ').nth(1)?.parse().ok()
}

/// CPU seconds of the PostgreSQL server: the postmaster with its exited backends, and the
/// live ones. `postmaster` is found from a backend's parent.
fn pg_cpu(postmaster: Option<u32>) -> Option<f64> {
    let pm = postmaster?;
    let mut total = cpu_seconds(pm, true)?;
    for e in std::fs::read_dir("/proc").ok()?.flatten() {
        let Some(pid) = e.file_name().to_str().and_then(|s| s.parse::<u32>().ok()) else {
            continue;
        };
        if parent_of(pid) == Some(pm) {
            total += cpu_seconds(pid, false).unwrap_or(0.0);
        }
    }
    Some(total)
}

fn find_postmaster(url: &str) -> Option<u32> {
    let c = Connection::postgres(url).ok()?;
    let backend: i32 = c
        .query_row("SELECT pg_backend_pid()", params![], |r| r.get(0))
        .ok()?;
    let pm = parent_of(u32::try_from(backend).ok()?)?;
    // Only when that process is a PostgreSQL server on this machine.
    let comm = std::fs::read_to_string(format!("/proc/{pm}/comm")).ok()?;
    comm.trim().starts_with("postgres").then_some(pm)
}

fn count(c: &Connection, sql: &str) -> anyhow::Result<u64> {
    let n: i64 = c.query_row(sql, params![], |r| r.get(0))?;
    Ok(u64::try_from(n).unwrap_or(0))
}

/// The workers of one run; killed when dropped.
struct Workers {
    children: Vec<Child>,
    logs: Vec<PathBuf>,
}

impl Workers {
    fn start(
        n: usize,
        role: &str,
        config: &Path,
        dir: &Path,
        url: &str,
    ) -> anyhow::Result<Workers> {
        let exe = std::env::current_exe().context("cannot find rasd's own executable")?;
        let mut w = Workers {
            children: Vec::new(),
            logs: Vec::new(),
        };
        for k in 0..n {
            let data = dir.join(format!("{role}-{k}"));
            std::fs::create_dir_all(&data)?;
            let log = dir.join(format!("{role}-{k}.log"));
            let file = std::fs::File::create(&log)?;
            let child = Command::new(&exe)
                .arg("--config")
                .arg(config)
                .arg("--data-dir")
                .arg(&data)
                .args(["run", "--role", role])
                .env("RASD_STORE_URL", url)
                .env("RUST_LOG", "warn")
                .stdin(Stdio::null())
                .stdout(file.try_clone()?)
                .stderr(file)
                .spawn()
                .context("cannot start a worker")?;
            w.children.push(child);
            w.logs.push(log);
        }
        Ok(w)
    }

    fn cpu(&self) -> f64 {
        self.children
            .iter()
            .filter_map(|c| cpu_seconds(c.id(), true))
            .sum()
    }

    /// Fails (with the end of the workers' logs) when one has exited.
    fn check(&mut self) -> anyhow::Result<()> {
        for (c, log) in self.children.iter_mut().zip(&self.logs) {
            if let Some(status) = c.try_wait()? {
                let text = std::fs::read_to_string(log).unwrap_or_default();
                let tail: String = text
                    .lines()
                    .rev()
                    .take(20)
                    .collect::<Vec<_>>()
                    .into_iter()
                    .rev()
                    .collect::<Vec<_>>()
                    .join("\n");
                anyhow::bail!("a worker exited ({status}):\n{tail}");
            }
        }
        Ok(())
    }
}

impl Drop for Workers {
    fn drop(&mut self) {
        for c in &mut self.children {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// What one timed run measured.
struct Run {
    seconds: f64,
    done: usize,
    pg_cpu: Option<f64>,
    workers_cpu: f64,
}

fn fetch_run(
    opts: &WorkersBenchOptions,
    base: &str,
    feeds: &Feeds,
    config: &Path,
    dir: &Path,
    n: usize,
) -> anyhow::Result<Run> {
    let url = rasd_store::db::fresh_schema_url(base)?;
    let result = (|| {
        // The tables, before the workers start.
        drop(Store::open_url(&url)?);
        let c = Connection::postgres(&url)?;
        let postmaster = find_postmaster(&url);
        let want = (opts.sources * opts.items) as u64;
        feeds.first.store(0, Ordering::SeqCst);
        let pg0 = pg_cpu(postmaster);
        let mut workers = Workers::start(n, "fetch", config, dir, &url)?;
        let start = Instant::now();
        loop {
            if count(&c, "SELECT COUNT(*) FROM work_queue")? >= want {
                break;
            }
            workers.check()?;
            anyhow::ensure!(
                start.elapsed() < PHASE_LIMIT,
                "fetch with {n} workers: the items were not queued within {PHASE_LIMIT:?}"
            );
            std::thread::sleep(POLL);
        }
        let end = feeds.epoch.elapsed();
        let first = Duration::from_nanos(feeds.first.load(Ordering::SeqCst));
        let run = Run {
            seconds: (end.saturating_sub(first)).as_secs_f64().max(1e-6),
            done: opts.sources,
            pg_cpu: pg_cpu(postmaster).zip(pg0).map(|(a, b)| a - b),
            workers_cpu: workers.cpu(),
        };
        drop(workers);
        Ok(run)
    })();
    drop_schema(base, &url);
    result
}

fn queue_items(opts: &WorkersBenchOptions) -> Vec<Item> {
    let now = chrono::Utc::now();
    (0..opts.queue)
        .map(|k| {
            let source = format!("src-{}", k % opts.sources.max(1));
            let when = now - chrono::TimeDelta::minutes(i64::try_from(k % 1440).unwrap_or(0));
            if k % 2 == 0 {
                Item::new(
                    &source,
                    &format!("http://127.0.0.2/اخبار/{k}"),
                    &format!("الدفاع المدني يخمد حريقاً في مستودع بإربد، البلاغ رقم {k}"),
                    &format!(
                        "أخمدت فرق الدفاع المدني حريقاً شب في مستودع للأخشاب في مدينة إربد دون \
                         وقوع إصابات، وقالت المديرية إن التحقيق جار لمعرفة أسبابه، البلاغ {k}."
                    ),
                    when,
                )
            } else {
                Item::new(
                    &source,
                    &format!("http://127.0.0.2/news/{k}"),
                    &format!("New bus line links Zarqa and Amman, report {k}"),
                    &format!(
                        "The Land Transport Regulatory Commission opened a rapid bus line between \
                         Zarqa and Amman, cutting the trip to forty minutes, report {k}."
                    ),
                    when,
                )
            }
        })
        .collect()
}

fn process_run(
    base: &str,
    items: &[Item],
    config: &Path,
    dir: &Path,
    n: usize,
) -> anyhow::Result<Run> {
    let url = rasd_store::db::fresh_schema_url(base)?;
    let result = (|| {
        let store = Store::open_url(&url)?;
        for chunk in items.chunks(100) {
            store.enqueue_fetched(chunk, &[], &[], "bench")?;
        }
        drop(store);
        let c = Connection::postgres(&url)?;
        let postmaster = find_postmaster(&url);
        let want = items.len() as u64;
        let pg0 = pg_cpu(postmaster);
        let mut workers = Workers::start(n, "process", config, dir, &url)?;
        let start = Instant::now();
        let mut first: Option<(Instant, u64)> = None;
        loop {
            let stored = count(&c, "SELECT COUNT(*) FROM items")?;
            if first.is_none() {
                let claimed = count(&c, "SELECT COUNT(*) FROM work_queue WHERE owner <> ''")?;
                if claimed > 0 || stored > 0 {
                    first = Some((Instant::now(), stored));
                }
            }
            if stored >= want && count(&c, "SELECT COUNT(*) FROM work_queue")? == 0 {
                break;
            }
            workers.check()?;
            anyhow::ensure!(
                start.elapsed() < PHASE_LIMIT,
                "process with {n} workers: {stored} of {want} items stored within {PHASE_LIMIT:?}"
            );
            std::thread::sleep(POLL);
        }
        let stored = count(&c, "SELECT COUNT(*) FROM items")?;
        anyhow::ensure!(
            stored == want,
            "process with {n} workers: {stored} items stored, {want} queued"
        );
        let (t0, n0) = first.unwrap_or((start, 0));
        let run = Run {
            seconds: t0.elapsed().as_secs_f64().max(1e-6),
            done: usize::try_from(want - n0).unwrap_or(0),
            pg_cpu: pg_cpu(postmaster).zip(pg0).map(|(a, b)| a - b),
            workers_cpu: workers.cpu(),
        };
        drop(workers);
        Ok(run)
    })();
    drop_schema(base, &url);
    result
}

fn summarize(runs: &[Run], per_unit: f64) -> Figures {
    let mut rate: Vec<f64> = runs.iter().map(|r| r.done as f64 / r.seconds).collect();
    let mut secs: Vec<f64> = runs.iter().map(|r| r.seconds).collect();
    let mut wcpu: Vec<f64> = runs.iter().map(|r| r.workers_cpu).collect();
    let mut pcpu: Vec<f64> = runs.iter().filter_map(|r| r.pg_cpu).collect();
    let units = median(&mut rate);
    Figures {
        sources_per_s: if per_unit > 0.0 { units } else { 0.0 },
        items_per_s: if per_unit > 0.0 {
            units * per_unit
        } else {
            units
        },
        seconds: median(&mut secs),
        pg_cpu: (!pcpu.is_empty()).then(|| median(&mut pcpu)),
        workers_cpu: median(&mut wcpu),
    }
}

/// Runs the benchmark; prints a table and the figures line.
pub fn run(opts: &WorkersBenchOptions) -> anyhow::Result<()> {
    anyhow::ensure!(
        opts.sources > 0 && opts.items > 0 && opts.queue > 0 && opts.runs > 0,
        "--sources, --items, --queue and --runs must be at least 1"
    );
    anyhow::ensure!(
        !opts.workers.is_empty() && opts.workers.iter().all(|&n| n > 0),
        "--workers lists worker counts of at least 1"
    );
    let base = match &opts.url {
        Some(u) => u.clone(),
        None => rasd_store::testing::pg_url().context(
            "no PostgreSQL: pass --url, or install Debian's postgresql for a throwaway server",
        )?,
    };
    let dir = tempfile_dir("rasd-bench-workers")?;
    let _remove = RemoveOnDrop(dir.clone());
    let feeds = serve_feeds(
        opts.sources,
        opts.items,
        Duration::from_millis(opts.latency_ms),
    )?;
    let config = dir.join("config");
    write_config(opts, &feeds, &config)?;
    println!(
        "{} loopback sources x {} items, answering after {} ms; [fetch] concurrency = {} per \
         worker; {} queued items to process; {} runs each",
        opts.sources, opts.items, opts.latency_ms, opts.concurrency, opts.queue, opts.runs
    );

    let mut fetch = Vec::new();
    for &n in &opts.workers {
        let mut runs = Vec::new();
        for r in 0..opts.runs {
            let d = dir.join(format!("fetch-{n}-{r}"));
            let run = fetch_run(opts, &base, &feeds, &config, &d, n)?;
            eprintln!(
                "fetch, {n} workers, run {}: {:.2} s, {:.1} sources/s",
                r + 1,
                run.seconds,
                run.done as f64 / run.seconds
            );
            let _ = std::fs::remove_dir_all(&d);
            runs.push(run);
        }
        fetch.push((n, summarize(&runs, opts.items as f64)));
    }

    let items = queue_items(opts);
    let mut process = Vec::new();
    for &n in &opts.workers {
        let mut runs = Vec::new();
        for r in 0..opts.runs {
            let d = dir.join(format!("process-{n}-{r}"));
            let run = process_run(&base, &items, &config, &d, n)?;
            eprintln!(
                "process, {n} workers, run {}: {:.2} s, {:.0} items/s",
                r + 1,
                run.seconds,
                run.done as f64 / run.seconds
            );
            let _ = std::fs::remove_dir_all(&d);
            runs.push(run);
        }
        process.push((n, summarize(&runs, 0.0)));
    }

    let runs = opts.runs * opts.workers.len();
    println!(
        "every fetch run queued all {} items of the {} sources; every process run stored all {} \
         queued items and emptied the queue ({runs} runs of each)",
        opts.sources * opts.items,
        opts.sources,
        opts.queue
    );
    let cpu = |f: &Figures| match f.pg_cpu {
        Some(pg) => format!(
            "{:>7.1} {:>7.1} {:>7.0}%",
            pg,
            f.workers_cpu,
            100.0 * pg / (pg + f.workers_cpu).max(1e-9)
        ),
        None => format!("{:>7} {:>7.1} {:>8}", "n/a", f.workers_cpu, "n/a"),
    };
    println!(
        "{:<8} {:>7} {:>8} {:>10} {:>10} {:>7} {:>7} {:>7} {:>8}",
        "phase",
        "workers",
        "seconds",
        "sources/s",
        "items/s",
        "x one",
        "pg cpu",
        "wrk cpu",
        "pg share"
    );
    let one_fetch = fetch.first().map_or(1.0, |(_, f)| f.items_per_s);
    for (n, f) in &fetch {
        println!(
            "{:<8} {:>7} {:>8.2} {:>10.1} {:>10.0} {:>7.2} {}",
            "fetch",
            n,
            f.seconds,
            f.sources_per_s,
            f.items_per_s,
            f.items_per_s / one_fetch,
            cpu(f)
        );
    }
    let one_process = process.first().map_or(1.0, |(_, f)| f.items_per_s);
    for (n, f) in &process {
        println!(
            "{:<8} {:>7} {:>8.2} {:>10} {:>10.0} {:>7.2} {}",
            "process",
            n,
            f.seconds,
            "",
            f.items_per_s,
            f.items_per_s / one_process,
            cpu(f)
        );
    }
    println!("(medians; pg/wrk cpu: CPU seconds of PostgreSQL and of the workers over a phase)");
    let mut line = String::from("workers_bench");
    for (n, f) in &fetch {
        line.push_str(&format!(" fetch_{n}={:.1}", f.sources_per_s));
    }
    if let Some((n, f)) = fetch.last() {
        line.push_str(&format!(
            " fetch_ratio_{n}={:.2}",
            f.items_per_s / one_fetch
        ));
    }
    for (n, f) in &process {
        line.push_str(&format!(" process_{n}={:.0}", f.items_per_s));
    }
    if let Some((n, f)) = process.last() {
        line.push_str(&format!(
            " process_ratio_{n}={:.2}",
            f.items_per_s / one_process
        ));
    }
    println!("{line}");
    Ok(())
}
