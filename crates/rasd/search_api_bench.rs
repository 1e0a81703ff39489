//! `rasd bench search-api --corpus DIR --items N`: the analysts' search API
//! (`GET /api/v1/search`) under concurrent load on loopback, over a data folder of N items.
//!
//! The items are those of `rasd bench search` (see `search_bench`: real texts of the corpus
//! folder, tagged by Rasd's enrichment, dates over two years), stored and indexed through
//! the daemon's own path (a store batch, then the index catching up with the store's
//! changes, as `rasd import items` does) and given their stories. A real `rasd serve` (a
//! child process, so its memory is measured alone) then serves the folder on 127.0.0.1;
//! an analyst's API key comes from `rasd users key`. Keep-alive clients (`--concurrency`,
//! each its own connection) send the shared queries (Arabic and English) as analysts do:
//! half the words alone, half with a date range and a topic, place or source (a quarter of
//! all sorted by date); every answer carries the facets and the date histogram. After an
//! untimed warm-up, `--requests` requests are timed (stopping early after `--seconds`).
//! Any answer other than a 200 with a readable JSON page is an error, and the command fails.
//!
//! The last line is `items=… concurrency=… requests=… rps=… p50_ms=… p95_ms=… p99_ms=…
//! errors=… server_rss_mb=…`.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use chrono::DateTime;
use rasd_core::Config;

use crate::search_bench::{self, Planned, percentile};

/// What `rasd bench search-api` was asked.
#[derive(Debug, Clone)]
pub struct SearchApiOptions {
    /// The corpus folder.
    pub corpus: PathBuf,
    /// Items in the data folder.
    pub items: usize,
    /// Clients at once.
    pub concurrency: usize,
    /// Timed requests.
    pub requests: usize,
    /// Stop the timed requests after this long.
    pub seconds: u64,
    /// The config folder (rules, models; `rasd serve` runs with it).
    pub config_dir: PathBuf,
    /// The data folder to fill (or reuse, when it holds exactly `items` items); else a
    /// temporary one.
    pub data_dir: Option<PathBuf>,
}

/// One timed answer.
struct Answer {
    ms: f64,
    /// The server's own `took_ms` (the index's time, snippets included).
    took_ms: f64,
    ok: bool,
    error: Option<String>,
}

/// Items per store batch while filling.
const BATCH: usize = 10_000;

/// Fills `dir` with the first `items` items of `corpus` through the daemon's path; returns
/// the seconds spent storing and indexing, and giving stories.
fn fill(
    config: &Arc<Config>,
    dir: &Path,
    corpus: &search_bench::Corpus,
    items: usize,
) -> anyhow::Result<(f64, f64)> {
    let p = crate::pipeline::Pipeline::open(config.clone(), dir)?;
    let mut writer = p
        .index
        .writer_with_threads(crate::reindex_cmd::bulk_threads())
        .context("cannot open the index writer")?;
    let t = Instant::now();
    let mut from = 0;
    while from < items {
        let to = (from + BATCH).min(items);
        let batch = corpus.batch(from, to);
        p.store
            .commit_batch_detailed(&batch, &[])
            .context("cannot store a batch")?;
        crate::pipeline::catch_up(&p.store, &mut writer)?;
        from = to;
        if from % 100_000 == 0 || from == items {
            eprintln!(
                "stored and indexed {from} items ({:.0} items/s)",
                from as f64 / t.elapsed().as_secs_f64().max(1e-9)
            );
        }
    }
    drop(writer);
    let store_secs = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let mut keeper = None;
    crate::pipeline::assign_stories(&p.store, config, &mut keeper)?;
    Ok((store_secs, t.elapsed().as_secs_f64()))
}

/// The query string of search `k` (see the module docs).
fn params(p: &Planned, k: usize, tz: chrono_tz::Tz) -> Vec<(&'static str, String)> {
    let mut out = vec![("q", p.terms.join(" "))];
    if k % 2 == 1 {
        let day = |t: i64| {
            DateTime::from_timestamp(t, 0)
                .map(|d| d.with_timezone(&tz).format("%Y-%m-%d").to_string())
                .unwrap_or_default()
        };
        out.push(("after", day(p.filter.from)));
        out.push(("before", day(p.filter.to)));
        if let Some(t) = &p.filter.topic {
            out.push(("topic", t.clone()));
        }
        if let Some(pl) = &p.filter.place {
            out.push(("place", pl.clone()));
        }
        if let Some(s) = &p.filter.source {
            out.push(("source", s.clone()));
        }
        if k % 4 == 3 {
            out.push(("sort", "date".into()));
        }
    }
    out
}

/// Resident memory, peak resident memory (kB) and CPU time (s) of a process.
fn proc_figures(pid: u32) -> (u64, u64, f64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let kb = |name: &str| {
        status
            .lines()
            .find_map(|l| {
                l.strip_prefix(name)?
                    .split_whitespace()
                    .next()?
                    .parse()
                    .ok()
            })
            .unwrap_or(0)
    };
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // After the command name's closing parenthesis: state is field 3; utime 14, stime 15.
    let cpu = stat
        .rsplit_once(')')
        .map(|(_, rest)| {
            let f: Vec<&str> = rest.split_whitespace().collect();
            let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
            (ticks(11) + ticks(12)) / 100.0
        })
        .unwrap_or(0.0);
    (kb("VmRSS:"), kb("VmHWM:"), cpu)
}

/// Sends requests `from..to` of `plan` (those of `next`) from `concurrency` clients until
/// `deadline`; returns the answers.
async fn load(
    key: &str,
    plan: Arc<Vec<reqwest::Url>>,
    concurrency: usize,
    count: usize,
    deadline: Instant,
) -> anyhow::Result<Vec<Answer>> {
    let next = Arc::new(AtomicUsize::new(0));
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..concurrency {
        // One client each: its own keep-alive connection.
        let client = reqwest::Client::builder()
            .pool_max_idle_per_host(1)
            .tcp_nodelay(true)
            .timeout(Duration::from_secs(60))
            .build()?;
        let (plan, next, key) = (plan.clone(), next.clone(), key.to_string());
        tasks.spawn(async move {
            let mut out = Vec::new();
            loop {
                let k = next.fetch_add(1, Ordering::Relaxed);
                if k >= count || Instant::now() > deadline {
                    break;
                }
                let t = Instant::now();
                let sent = client
                    .get(plan[k % plan.len()].clone())
                    .bearer_auth(&key)
                    .send()
                    .await;
                let answer = match sent {
                    Ok(r) => {
                        let status = r.status().as_u16();
                        match r.bytes().await {
                            Ok(body) => {
                                let ms = t.elapsed().as_secs_f64() * 1000.0;
                                let v: serde_json::Value =
                                    serde_json::from_slice(&body).unwrap_or_default();
                                let readable = v["total"].is_u64() && v["facets"].is_object();
                                let ok = status == 200 && readable;
                                Answer {
                                    ms,
                                    took_ms: v["took_ms"].as_f64().unwrap_or(0.0),
                                    ok,
                                    error: (!ok).then(|| {
                                        format!(
                                            "HTTP {status}: {}",
                                            String::from_utf8_lossy(&body[..body.len().min(200)])
                                        )
                                    }),
                                }
                            }
                            Err(e) => Answer {
                                ms: t.elapsed().as_secs_f64() * 1000.0,
                                took_ms: 0.0,
                                ok: false,
                                error: Some(format!("HTTP {status}, body unread: {e}")),
                            },
                        }
                    }
                    Err(e) => Answer {
                        ms: t.elapsed().as_secs_f64() * 1000.0,
                        took_ms: 0.0,
                        ok: false,
                        error: Some(e.to_string()),
                    },
                };
                out.push(answer);
            }
            out
        });
    }
    let mut all = Vec::with_capacity(count);
    while let Some(r) = tasks.join_next().await {
        all.extend(r.context("a client task failed")?);
    }
    Ok(all)
}

/// Runs the benchmark (see the module docs).
pub fn run(opts: &SearchApiOptions) -> anyhow::Result<()> {
    if opts.items == 0 || opts.concurrency == 0 || opts.requests == 0 {
        bail!("--items, --concurrency and --requests must be at least 1");
    }
    let config = Arc::new(Config::load(&opts.config_dir).map_err(|e| anyhow::anyhow!("{e}"))?);
    let enricher = rasd_enrich::Enricher::from_config_with_models(&config)
        .context("cannot compile the topic, place and police rules")?;
    let read = search_bench::read_corpus(&enricher, &opts.corpus, opts.items)?;
    drop(enricher);
    let (dir, _remove) = match &opts.data_dir {
        Some(d) => (d.clone(), None),
        None => {
            let t = crate::tempfile_dir("rasd-bench-search-api")?;
            (t.clone(), Some(crate::RemoveOnDrop(t)))
        }
    };
    let have = if dir.join(rasd_store::DB_FILE).exists() {
        rasd_store::Store::open(&dir)?.status()?.items as usize
    } else {
        0
    };
    let filled = if have == opts.items {
        format!("reused (it already held {have} items)")
    } else if have == 0 {
        let (store_secs, story_secs) = fill(&config, &dir, &read.corpus, opts.items)?;
        format!(
            "filled: stored and indexed in {store_secs:.0} s ({:.0} items/s; batches of {BATCH}, the index catching up after each), stories in {story_secs:.0} s",
            opts.items as f64 / store_secs.max(1e-9)
        )
    } else {
        bail!(
            "{} holds {have} items, not {}: give an empty folder, or the one filled with --items {have}",
            dir.display(),
            opts.items
        );
    };
    println!(
        "search-api: {} items in {} ({}; from {} articles of {}, {} tagged in {:.0} s)",
        opts.items,
        dir.display(),
        filled,
        read.read_counts.join(" + "),
        opts.corpus.display(),
        read.tagged_total,
        read.tag_secs
    );

    // The searches, as analysts send them.
    let [topics, places, sources] = search_bench::frequent_filters(&read.corpus, opts.items);
    drop(read.corpus);
    let count = opts.requests.max(read.queries.len());
    let planned = search_bench::plan_searches(&read.queries, count, &topics, &places, &sources);
    let tz = config.settings.tz();

    // The server: `rasd serve` on a free loopback port, and an analyst's key.
    let key = crate::soak_cmd::user_key(
        &opts.config_dir,
        &dir,
        &format!("load{}", std::process::id()),
        "analyst",
    )?;
    let addr = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?;
    let exe = std::env::current_exe().context("cannot find this program")?;
    let log = dir.join("serve.log");
    let mut child = std::process::Command::new(exe)
        .arg("--config")
        .arg(&opts.config_dir)
        .arg("--data-dir")
        .arg(&dir)
        .args(["serve", "--addr", &addr.to_string()])
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log)?)
        .spawn()
        .context("cannot start rasd serve")?;
    let pid = child.id();
    let base = format!("http://{addr}");
    let plan: Arc<Vec<reqwest::Url>> = Arc::new(
        planned
            .iter()
            .enumerate()
            .map(|(k, p)| {
                reqwest::Url::parse_with_params(&format!("{base}/api/v1/search"), params(p, k, tz))
            })
            .collect::<Result<_, _>>()?,
    );
    let outcome = (|| -> anyhow::Result<()> {
        let rt = crate::runtime()?;
        rt.block_on(async {
            let client = reqwest::Client::new();
            let deadline = Instant::now() + Duration::from_secs(300);
            loop {
                if let Ok(r) = client.get(format!("{base}/healthz")).send().await
                    && r.status().is_success()
                {
                    return Ok(());
                }
                if Instant::now() > deadline {
                    bail!(
                        "rasd serve did not answer /healthz within 300 s (see {})",
                        log.display()
                    );
                }
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        })?;
        // The warm-up, not counted: every distinct search once (at most 2,000).
        let warm = plan.len().min(2_000);
        let warm_plan = Arc::new(plan[plan.len() - warm..].to_vec());
        let warmed = rt.block_on(load(
            &key,
            warm_plan,
            opts.concurrency,
            warm,
            Instant::now() + Duration::from_secs(opts.seconds),
        ))?;
        let (rss_warm, _, cpu0) = proc_figures(pid);
        let t = Instant::now();
        let answers = rt.block_on(load(
            &key,
            plan.clone(),
            opts.concurrency,
            opts.requests,
            t + Duration::from_secs(opts.seconds),
        ))?;
        let secs = t.elapsed().as_secs_f64();
        let (rss, hwm, cpu1) = proc_figures(pid);
        let errors: Vec<&Answer> = answers.iter().filter(|a| !a.ok).collect();
        let warm_errors = warmed.iter().filter(|a| !a.ok).count();
        let mut ms: Vec<f64> = answers.iter().map(|a| a.ms).collect();
        ms.sort_by(f64::total_cmp);
        let mut took: Vec<f64> = answers.iter().filter(|a| a.ok).map(|a| a.took_ms).collect();
        took.sort_by(f64::total_cmp);
        let n = answers.len();
        let rps = n as f64 / secs.max(1e-9);
        println!(
            "server: rasd serve (pid {pid}) on {addr}; RSS after the warm-up ({} requests, {warm_errors} errors) {:.0} MB",
            warmed.len(),
            rss_warm as f64 / 1024.0
        );
        println!(
            "load: {n} requests{} from {} keep-alive clients in {secs:.1} s: {rps:.0} requests/s; half the words alone, half with a date range and a topic, place or source (a quarter by date), every answer with its facets",
            if n < opts.requests {
                format!(
                    " (of {}: stopped at --seconds {})",
                    opts.requests, opts.seconds
                )
            } else {
                String::new()
            },
            opts.concurrency
        );
        println!(
            "latency (the client's, to the whole answer): p50 {:.2} ms, p95 {:.2} ms, p99 {:.2} ms, max {:.2} ms; the server's took_ms (in the index, snippets included): p50 {:.2} ms, p99 {:.2} ms",
            percentile(&ms, 50.0),
            percentile(&ms, 95.0),
            percentile(&ms, 99.0),
            ms.last().copied().unwrap_or(0.0),
            percentile(&took, 50.0),
            percentile(&took, 99.0)
        );
        println!(
            "server: RSS {:.0} MB after the load, peak {:.0} MB (VmHWM); CPU {:.2} ms per request ({:.1} s over the load)",
            rss as f64 / 1024.0,
            hwm as f64 / 1024.0,
            1000.0 * (cpu1 - cpu0) / n.max(1) as f64,
            cpu1 - cpu0
        );
        println!("errors: {}", errors.len());
        for e in errors.iter().take(5) {
            println!("  {}", e.error.as_deref().unwrap_or("?"));
        }
        println!(
            "items={} concurrency={} requests={n} rps={rps:.0} p50_ms={:.2} p95_ms={:.2} p99_ms={:.2} errors={} server_rss_mb={:.0}",
            opts.items,
            opts.concurrency,
            percentile(&ms, 50.0),
            percentile(&ms, 95.0),
            percentile(&ms, 99.0),
            errors.len() + warm_errors,
            rss as f64 / 1024.0
        );
        if n == 0 {
            bail!("no request was answered");
        }
        if !errors.is_empty() || warm_errors > 0 {
            bail!(
                "{} answers were errors (see above and {})",
                errors.len() + warm_errors,
                log.display()
            );
        }
        Ok(())
    })();
    let _ = std::process::Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status();
    let deadline = Instant::now() + Duration::from_secs(60);
    while child.try_wait()?.is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    outcome
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fts5::Filter;

    #[test]
    fn half_the_searches_carry_filters_as_days_in_the_configured_zone() {
        let p = Planned {
            terms: vec!["حريق".into(), "الزرقاء".into()],
            filter: Filter {
                // 2024-03-01T22:30Z is already 2 March in Amman.
                from: 1_709_332_200,
                to: 1_709_332_200 + 10 * 86_400,
                topic: Some("fire_rescue".into()),
                place: None,
                source: None,
            },
        };
        let tz: chrono_tz::Tz = "Asia/Amman".parse().unwrap();
        assert_eq!(params(&p, 0, tz), vec![("q", "حريق الزرقاء".to_string())]);
        let filtered = params(&p, 3, tz);
        assert!(
            filtered.contains(&("after", "2024-03-02".into())),
            "{filtered:?}"
        );
        assert!(filtered.contains(&("topic", "fire_rescue".into())));
        assert!(filtered.contains(&("sort", "date".into())));
        assert!(!params(&p, 1, tz).contains(&("sort", "date".into())));
    }
}
