//! `rasd bench form`: the public form's API under concurrent load on loopback. A real
//! `rasd` web server (the analysts' face with its stages, as `rasd serve` runs it) over a
//! fresh data folder, a reverse proxy's `X-Forwarded-For` trusted from 127.0.0.1; clients
//! post `POST /api/v1/submissions` from many addresses (each within the per-address limit),
//! one address floods beside them, and another is tried while it does. Prints accepted
//! submissions per second with p50/p99 latency, what the flood got, and checks that every
//! accepted submission is in the store.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context as _;

use crate::daemon::Shutdown;
use crate::pipeline::Pipeline;

/// What the load test measured.
#[derive(Debug, Clone, serde::Serialize)]
pub struct FormBench {
    pub requests: usize,
    pub concurrency: usize,
    pub accepted: usize,
    pub other_status: usize,
    pub seconds: f64,
    pub accepted_per_s: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub flood_sent: usize,
    pub flood_429: usize,
    pub bystander_status: u16,
    pub stored: usize,
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

/// A client address for request `k`: each used once, so no address passes the limit.
fn address(k: usize) -> String {
    format!("10.{}.{}.{}", (k >> 16) & 255, (k >> 8) & 255, k & 255)
}

fn body(k: usize) -> String {
    let places = ["amman", "zarqa", "irbid", "aqaba", "balqa"];
    serde_json::json!({
        "category": if k.is_multiple_of(3) { "other" } else { "theft" },
        "governorate": places[k % places.len()],
        "text": format!("بلاغ تجريبي رقم {k}: سرقة دراجة من أمام محل في الحي، ورآها الجيران مساءً."),
        "contact": format!("07{:08}", k % 100_000_000),
    })
    .to_string()
}

/// Posts a submission as the proxy would for a client at `from`.
async fn post(
    client: &reqwest::Client,
    url: &str,
    from: String,
    body: String,
) -> reqwest::Result<reqwest::Response> {
    client
        .post(url)
        .header("content-type", "application/json")
        .header("x-forwarded-for", from)
        .body(body)
        .send()
        .await
}

/// Runs the load test (see the module docs) with the config of `config_dir` in `dir`.
pub async fn run(
    config_dir: &Path,
    dir: &Path,
    requests: usize,
    concurrency: usize,
) -> anyhow::Result<FormBench> {
    let mut config = rasd_core::Config::load(config_dir).map_err(|e| anyhow::anyhow!("{e}"))?;
    config.settings.server.client_ip_header = Some("X-Forwarded-For".into());
    config.settings.server.trusted_proxies = vec!["127.0.0.1".parse()?];
    let per_minute = config.settings.server.form_per_minute;
    let pipeline = Pipeline::open(Arc::new(config), dir)?;
    let (stop_tx, shutdown) = Shutdown::new();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let web = crate::web_cmd::start_on(&pipeline, listener, None, &shutdown).await?;
    let (tx, stages) = pipeline.start_stages()?;
    let follower = {
        let (p, shutdown) = (pipeline.clone(), shutdown.clone());
        tokio::spawn(async move { crate::web_cmd::follow_web(&p, tx, shutdown).await })
    };
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(concurrency)
        .timeout(Duration::from_secs(30))
        .build()?;
    let url = format!("http://{addr}/api/v1/submissions");
    // Warm up the connections and the code paths (not counted; own addresses).
    for k in 0..concurrency.min(32) {
        let _ = post(&client, &url, format!("172.16.0.{k}"), body(k)).await;
    }

    let next = Arc::new(AtomicUsize::new(0));
    let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
    // The flood: one address as fast as it can, beside the load.
    let flood = {
        let (client, url, done) = (client.clone(), url.clone(), done.clone());
        tokio::spawn(async move {
            let (mut sent, mut refused) = (0usize, 0usize);
            while !done.load(Ordering::Relaxed) {
                let r = post(&client, &url, "192.0.2.1".into(), body(sent)).await;
                sent += 1;
                if r.is_ok_and(|r| r.status() == reqwest::StatusCode::TOO_MANY_REQUESTS) {
                    refused += 1;
                }
            }
            (sent, refused)
        })
    };
    let start = Instant::now();
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..concurrency {
        let (client, url, next) = (client.clone(), url.clone(), next.clone());
        workers.spawn(async move {
            let mut out: Vec<(f64, u16, Option<String>)> = Vec::new();
            loop {
                let k = next.fetch_add(1, Ordering::Relaxed);
                if k >= requests {
                    break;
                }
                let t = Instant::now();
                let r = post(&client, &url, address(k), body(k)).await;
                let (status, reference) = match r {
                    Ok(r) => {
                        let status = r.status().as_u16();
                        let bytes = r.bytes().await.unwrap_or_default();
                        let v: serde_json::Value =
                            serde_json::from_slice(&bytes).unwrap_or_default();
                        (status, v["reference"].as_str().map(str::to_string))
                    }
                    Err(_) => (0, None),
                };
                out.push((t.elapsed().as_secs_f64() * 1000.0, status, reference));
            }
            out
        });
    }
    // While the flood runs, another address still gets through.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let bystander = post(&client, &url, "192.0.2.2".into(), body(1))
        .await
        .map_or(0, |r| r.status().as_u16());
    let mut results = Vec::with_capacity(requests);
    while let Some(r) = workers.join_next().await {
        results.extend(r.context("a client task failed")?);
    }
    let seconds = start.elapsed().as_secs_f64();
    done.store(true, Ordering::Relaxed);
    let (flood_sent, flood_429) = flood.await?;

    let mut latencies: Vec<f64> = results.iter().map(|r| r.0).collect();
    latencies.sort_by(f64::total_cmp);
    let references: Vec<String> = results
        .iter()
        .filter(|r| r.1 == 201)
        .filter_map(|r| r.2.clone())
        .collect();
    let accepted = results.iter().filter(|r| r.1 == 201).count();
    let store = pipeline.store.clone();
    let refs = references.clone();
    let stored = tokio::task::spawn_blocking(move || -> anyhow::Result<usize> {
        let mut n = 0;
        for r in &refs {
            if store.submission(r)?.is_some() {
                n += 1;
            }
        }
        Ok(n)
    })
    .await??;
    let _ = stop_tx.send(true);
    let _ = follower.await;
    let _ = stages.await;
    web.finish().await?;
    let report = FormBench {
        requests,
        concurrency,
        accepted,
        other_status: results.len() - accepted,
        seconds,
        accepted_per_s: accepted as f64 / seconds,
        p50_ms: percentile(&latencies, 0.50),
        p99_ms: percentile(&latencies, 0.99),
        flood_sent,
        flood_429,
        bystander_status: bystander,
        stored,
    };
    println!(
        "form: {} requests, {} clients, {} addresses (each under the limit of {per_minute}/min)",
        requests, concurrency, requests
    );
    println!(
        "  accepted {} ({} other answers) in {:.2} s: {:.0} accepted/s; latency p50 {:.2} ms, p99 {:.2} ms",
        report.accepted,
        report.other_status,
        seconds,
        report.accepted_per_s,
        report.p50_ms,
        report.p99_ms
    );
    println!(
        "  flood from one address: {} sent, {} answered 429; another address meanwhile: {}",
        flood_sent, flood_429, bystander
    );
    println!(
        "  in the store afterwards: {} of {} accepted references",
        stored,
        references.len()
    );
    println!(
        "form_accepted_per_s={:.0} p50_ms={:.2} p99_ms={:.2} flood_429={} bystander={} stored={}/{}",
        report.accepted_per_s, report.p50_ms, report.p99_ms, flood_429, bystander, stored, accepted
    );
    if stored != accepted || references.len() != accepted {
        anyhow::bail!(
            "{} accepted submissions are not in the store",
            accepted - stored
        );
    }
    if bystander != 201 {
        anyhow::bail!("another address was refused ({bystander}) while one flooded");
    }
    if flood_sent > per_minute as usize && flood_429 == 0 {
        anyhow::bail!("the flooding address was never answered 429");
    }
    Ok(report)
}
