//! `rasd bench pipeline`: the whole pipeline on real material served from loopback.
//!
//! The parent process serves every feed of a feed collection (the shared 545 by default),
//! each on its own loopback listener, and the pages of an extraction set (the shared 181),
//! grouped by the site they came from into one loopback site each, listed by a news sitemap.
//! Each run is a fresh data folder and a child process (`rasd bench pipeline --child`) that
//! does what `rasd fetch` does with those sources: fetch, parse, extract, language, topics,
//! sentiment, places, stories, alert rules, store and index, then exit. The parent times the
//! child from its start to its exit (so loading the models and opening the store count) and
//! reads the child's peak resident memory (VmHWM), which the child prints as its last line.
//!
//! `RASD_BENCH_WRAP="perf record -g -o perf.data"` runs Rasd's side under a profiler (or
//! any other wrapper command).
//!
//! With `--peer CMD`, a peer pipeline runs against the same listeners, runs alternating with
//! Rasd's so the machine's noise falls on both (`scripts/bench-pipeline.sh` runs the Python
//! stack this way). The peer gets the path of a JSON file listing the sources
//! (`[{"id", "kind": "feed"|"site", "url"}]`) and a folder to write into as its two last
//! arguments, and prints one JSON line `{"items": N, "stored": N, "peak_rss_kb": N}` last:
//! `items` is every entry and page it took through its pipeline, the figure items/s is
//! computed from (for Rasd too), `stored` the new rows.
//!
//! Every host is loopback, so the per-host politeness delay (`[fetch] per_host_delay`, at
//! least 1 s in a config) is set to zero in the child, and robots.txt is not asked for: what
//! is timed is Rasd's work, not its waiting. Feed entries keep the feed's text
//! (`fetch_full_text = "never"`): their links point at the real sites, which a benchmark on
//! loopback must not reach.

use std::collections::BTreeMap;
use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use rasd_core::{FullText, SourceConfig, SourceKind};

use crate::pipeline::Pipeline;
use crate::soak_cmd::median;
use crate::{RemoveOnDrop, tempfile_dir};

/// What to run.
#[derive(Debug, Clone)]
pub struct BenchPipeline {
    /// The feed collection (`reference.jsonl` lists the files when it is there).
    pub feeds: PathBuf,
    /// Folder of pages (`ID.html` or `ID.html.gz`).
    pub pages: PathBuf,
    /// `{ID: {"url": …}}`: the site each page came from (optional: without it, pages are
    /// grouped ten to a site).
    pub truth: Option<PathBuf>,
    /// Timed runs of each pipeline.
    pub runs: usize,
    /// Sources fetched at once (`[fetch] concurrency`).
    pub concurrency: u32,
    /// A peer pipeline's command line, run alternately with Rasd's.
    pub peer: Option<String>,
    /// Keep the last run's data folders here instead of a temporary folder.
    pub keep: Option<PathBuf>,
}

/// One source as both pipelines see it.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct BenchSource {
    pub id: String,
    /// `feed` or `site`.
    pub kind: String,
    pub url: String,
}

/// What one child run printed.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct ChildReport {
    /// Items taken through the pipeline: every entry and page the sources gave.
    pub items: usize,
    /// Items stored as new (the rest were duplicates, within a source or across sources).
    #[serde(default)]
    pub stored: usize,
    /// Sources that failed as a whole.
    #[serde(default)]
    pub failed: usize,
    /// Problems by reason.
    #[serde(default)]
    pub problems: BTreeMap<String, usize>,
    /// Peak resident memory of the child, in KiB.
    pub peak_rss_kb: u64,
    /// Seconds per stage, as the child measured them (Rasd only).
    #[serde(default)]
    pub stages: BTreeMap<String, f64>,
}

/// The routes of one loopback listener: path → (content type, body).
type Routes = BTreeMap<String, (&'static str, axum::body::Bytes)>;

fn content_type(path: &Path) -> &'static str {
    match path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        Some("json") => "application/feed+json",
        Some("rss" | "atom" | "rdf" | "xml") => "application/xml",
        _ => "application/octet-stream",
    }
}

fn read_maybe_gz(path: &Path) -> anyhow::Result<Vec<u8>> {
    let raw = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    if path.extension().is_some_and(|e| e == "gz") {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(&raw[..])
            .read_to_end(&mut out)
            .with_context(|| format!("cannot gunzip {}", path.display()))?;
        Ok(out)
    } else {
        Ok(raw)
    }
}

/// The listeners' content: one per feed file, one per site of pages. Each entry is the
/// source's kind, the path of its first URL, and its routes.
fn material(opts: &BenchPipeline) -> anyhow::Result<Vec<(&'static str, String, Routes)>> {
    let mut out = Vec::new();
    let files = rasd_sources::bench_files(&opts.feeds);
    if files.is_empty() {
        anyhow::bail!(
            "no feed files in {} (give --feeds DIR, such as ../shared/data/feeds)",
            opts.feeds.display()
        );
    }
    for file in files {
        let Ok(bytes) = std::fs::read(&file) else {
            continue;
        };
        let name = file
            .file_name()
            .map(|n| {
                n.to_string_lossy()
                    .replace(|c: char| !c.is_ascii_alphanumeric() && c != '.', "-")
            })
            .unwrap_or_default();
        let path = format!("/{name}");
        let routes = Routes::from([(path.clone(), (content_type(&file), bytes.into()))]);
        out.push(("feed", path, routes));
    }
    // Pages, grouped by the site they came from.
    let sites_of: BTreeMap<String, String> = match &opts.truth {
        Some(t) => {
            let text = std::fs::read_to_string(t)
                .with_context(|| format!("cannot read {}", t.display()))?;
            let v: serde_json::Value = serde_json::from_str(&text)
                .with_context(|| format!("{} is not JSON", t.display()))?;
            v.as_object()
                .map(|o| {
                    o.iter()
                        .map(|(id, e)| {
                            let host = e["url"]
                                .as_str()
                                .and_then(|u| u.split_once("://"))
                                .map(|(_, rest)| rest.split(['/', '?', '#']).next().unwrap_or(""))
                                .unwrap_or_default()
                                .to_ascii_lowercase();
                            (id.clone(), host)
                        })
                        .collect()
                })
                .unwrap_or_default()
        }
        None => BTreeMap::new(),
    };
    let mut pages: Vec<(String, PathBuf)> = std::fs::read_dir(&opts.pages)
        .with_context(|| {
            format!(
                "cannot read the pages folder {} (give --pages DIR, such as ../shared/data/extraction/pages)",
                opts.pages.display()
            )
        })?
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().to_string();
            let id = name
                .strip_suffix(".html.gz")
                .or_else(|| name.strip_suffix(".html"))?
                .to_string();
            Some((id, e.path()))
        })
        .collect();
    pages.sort();
    let mut sites: BTreeMap<String, Vec<(String, PathBuf)>> = BTreeMap::new();
    for (n, (id, path)) in pages.into_iter().enumerate() {
        let site = sites_of
            .get(&id)
            .filter(|h| !h.is_empty())
            .cloned()
            .unwrap_or_else(|| format!("site-{}", n / 10));
        sites.entry(site).or_default().push((id, path));
    }
    let day = chrono::Utc::now() - chrono::Duration::hours(2);
    let mut article = 100_000;
    for (site, pages) in sites {
        let mut routes = Routes::new();
        let mut entries = String::new();
        for (k, (_, path)) in pages.iter().enumerate() {
            // A numeric id in the path, as news sites have: the link looks like an article.
            article += 1;
            let page = format!("/news/{}/{article}.html", day.format("%Y/%m/%d"));
            routes.insert(page.clone(), ("text/html", read_maybe_gz(path)?.into()));
            let when = day - chrono::Duration::minutes(k as i64);
            entries.push_str(&format!(
                "<url><loc>http://HOST{page}</loc><news:news><news:publication>\
                 <news:name>{site}</news:name><news:language>en</news:language></news:publication>\
                 <news:publication_date>{}</news:publication_date></news:news></url>\n",
                when.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
            ));
        }
        let sitemap = format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset \
             xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\" \
             xmlns:news=\"http://www.google.com/schemas/sitemap-news/0.9\">\n{entries}</urlset>\n"
        );
        routes.insert(
            "/sitemap.xml".to_string(),
            ("application/xml", sitemap.into_bytes().into()),
        );
        out.push(("site", "/sitemap.xml".to_string(), routes));
    }
    Ok(out)
}

/// Starts one loopback listener per entry of `material` and returns the sources pointing at
/// them. The sitemap's `HOST` placeholder becomes the listener's address.
async fn serve(material: Vec<(&'static str, String, Routes)>) -> anyhow::Result<Vec<BenchSource>> {
    let mut sources = Vec::new();
    for (n, (kind, first, mut routes)) in material.into_iter().enumerate() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .context("cannot listen on 127.0.0.1")?;
        let addr = listener.local_addr()?;
        if let Some((ctype, body)) = routes.get("/sitemap.xml").map(|(c, b)| (*c, b.clone())) {
            let text =
                String::from_utf8_lossy(&body).replace("http://HOST", &format!("http://{addr}"));
            routes.insert("/sitemap.xml".into(), (ctype, text.into_bytes().into()));
        }
        let routes = Arc::new(routes);
        let app = axum::Router::new().fallback(move |uri: axum::http::Uri| {
            let routes = routes.clone();
            async move {
                use axum::response::IntoResponse as _;
                match routes.get(uri.path()) {
                    Some((ctype, body)) => {
                        ([(axum::http::header::CONTENT_TYPE, *ctype)], body.clone()).into_response()
                    }
                    None => axum::http::StatusCode::NOT_FOUND.into_response(),
                }
            }
        });
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        sources.push(BenchSource {
            id: format!("{}{n}", if kind == "feed" { "f" } else { "s" }),
            kind: kind.to_string(),
            url: format!("http://{addr}{first}"),
        });
    }
    Ok(sources)
}

/// One timed run of a child command: its wall time and its report (its last stdout line).
fn timed_child(mut cmd: std::process::Command, log: &Path) -> anyhow::Result<(f64, ChildReport)> {
    let log_file = std::fs::File::create(log)?;
    let started = Instant::now();
    let out = cmd
        .stdout(Stdio::piped())
        .stderr(log_file)
        .output()
        .with_context(|| format!("cannot start {cmd:?}"))?;
    let secs = started.elapsed().as_secs_f64();
    let stdout = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        anyhow::bail!(
            "{cmd:?} failed ({}); its log is {}:\n{}",
            out.status,
            log.display(),
            stdout.lines().rev().take(5).collect::<Vec<_>>().join("\n")
        );
    }
    let last = stdout
        .lines()
        .rev()
        .find(|l| l.trim_start().starts_with('{'))
        .unwrap_or("");
    let report: ChildReport = serde_json::from_str(last).with_context(|| {
        format!(
            "{cmd:?} did not end with its JSON report (log: {}): {last:?}",
            log.display()
        )
    })?;
    Ok((secs, report))
}

/// The parent: serves the material, runs the children, prints the figures.
pub fn bench_pipeline(config_dir: &Path, opts: &BenchPipeline) -> anyhow::Result<()> {
    let material = material(opts)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()?;
    let sources = runtime.block_on(serve(material))?;
    let feeds = sources.iter().filter(|s| s.kind == "feed").count();
    println!(
        "serving {feeds} feeds and {} sites of pages on loopback ({} listeners)",
        sources.len() - feeds,
        sources.len()
    );
    let (work, _cleanup) = match &opts.keep {
        Some(k) => {
            std::fs::create_dir_all(k)?;
            (k.clone(), None)
        }
        None => {
            let t = tempfile_dir("rasd-bench-pipeline")?;
            (t.clone(), Some(RemoveOnDrop(t)))
        }
    };
    let spec = work.join("sources.json");
    std::fs::write(&spec, serde_json::to_vec_pretty(&sources)?)?;
    let exe = std::env::current_exe().context("cannot find the rasd binary")?;
    let mut rasd_runs = Vec::new();
    let mut peer_runs = Vec::new();
    for run in 1..=opts.runs.max(1) {
        let data = work.join(format!("rasd-{run}"));
        let _ = std::fs::remove_dir_all(&data);
        // `RASD_BENCH_WRAP="perf record -g -o perf.data"` runs Rasd's side under a profiler.
        let wrap = std::env::var("RASD_BENCH_WRAP").unwrap_or_default();
        let mut wrap = wrap.split_whitespace();
        let mut cmd = match wrap.next() {
            Some(program) => {
                let mut c = std::process::Command::new(program);
                c.args(wrap).arg(&exe);
                c
            }
            None => std::process::Command::new(&exe),
        };
        cmd.arg("--config")
            .arg(config_dir)
            .arg("--data-dir")
            .arg(&data)
            .args(["bench", "pipeline", "--concurrency"])
            .arg(opts.concurrency.to_string())
            .arg("--child")
            .arg(&spec);
        // As `rasd fetch` logs.
        if std::env::var_os("RUST_LOG").is_none() {
            cmd.env("RUST_LOG", "info");
        }
        let (secs, r) = timed_child(cmd, &work.join(format!("rasd-{run}.log")))?;
        println!(
            "run {run}: Rasd took {} items through ({} stored as new, {} sources failed) in {secs:.2} s: {:.0} items/s, peak RSS {:.1} MB; stages {}",
            r.items,
            r.stored,
            r.failed,
            r.items as f64 / secs,
            r.peak_rss_kb as f64 / 1024.0,
            r.stages
                .iter()
                .map(|(k, v)| format!("{k} {v:.2} s"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        rasd_runs.push((secs, r));
        if let Some(peer) = &opts.peer {
            let out = work.join(format!("peer-{run}"));
            let _ = std::fs::remove_dir_all(&out);
            std::fs::create_dir_all(&out)?;
            let mut words = peer.split_whitespace();
            let program = words.next().context("--peer is empty")?;
            let mut cmd = std::process::Command::new(program);
            cmd.args(words).arg(&spec).arg(&out);
            let (secs, r) = timed_child(cmd, &work.join(format!("peer-{run}.log")))?;
            println!(
                "run {run}: peer took {} items through ({} stored as new) in {secs:.2} s: {:.0} items/s, peak RSS {:.1} MB",
                r.items,
                r.stored,
                r.items as f64 / secs,
                r.peak_rss_kb as f64 / 1024.0
            );
            peer_runs.push((secs, r));
        }
    }
    let rate = |runs: &[(f64, ChildReport)]| {
        median(
            &mut runs
                .iter()
                .map(|(s, r)| r.items as f64 / s)
                .collect::<Vec<_>>(),
        )
    };
    let rss = |runs: &[(f64, ChildReport)]| {
        let mut mb: Vec<f64> = runs
            .iter()
            .map(|(_, r)| r.peak_rss_kb as f64 / 1024.0)
            .collect();
        median(&mut mb)
    };
    let (rasd_rate, rasd_rss) = (rate(&rasd_runs), rss(&rasd_runs));
    let problems = rasd_runs
        .last()
        .map(|(_, r)| {
            r.problems
                .iter()
                .map(|(k, v)| format!("{k} {v}"))
                .collect::<Vec<_>>()
                .join(", ")
        })
        .unwrap_or_default();
    println!("Rasd's problems in the last run (by reason): {problems}");
    if peer_runs.is_empty() {
        println!("rasd_items_per_s={rasd_rate:.0} rasd_peak_rss_mb={rasd_rss:.1}");
    } else {
        let (peer_rate, peer_rss) = (rate(&peer_runs), rss(&peer_runs));
        println!(
            "rasd_items_per_s={rasd_rate:.0} python_items_per_s={peer_rate:.0} ratio={:.1} rasd_peak_rss_mb={rasd_rss:.1} python_peak_rss_mb={peer_rss:.1}",
            rasd_rate / peer_rate.max(f64::MIN_POSITIVE)
        );
    }
    Ok(())
}

/// The child: what `rasd fetch` does, on the sources of `spec`, then its report as JSON.
pub fn child(config_dir: &Path, data: &Path, spec: &Path, concurrency: u32) -> anyhow::Result<()> {
    let mut config = rasd_core::Config::load(config_dir).map_err(|e| anyhow::anyhow!("{e}"))?;
    let listed: Vec<BenchSource> = serde_json::from_slice(
        &std::fs::read(spec).with_context(|| format!("cannot read {}", spec.display()))?,
    )?;
    config.sources = listed
        .iter()
        .map(|s| {
            let kind = if s.kind == "site" {
                SourceKind::Site
            } else {
                SourceKind::Feed
            };
            let mut c = SourceConfig::new(&s.id, &s.id, kind, &s.url);
            c.allow_private = true;
            c.fetch_full_text = FullText::Never;
            c
        })
        .collect();
    let fetch = &mut config.settings.fetch;
    fetch.concurrency = concurrency.clamp(1, 64);
    fetch.per_host_delay = rasd_core::Interval(Duration::ZERO);
    fetch.respect_robots = false;
    config.settings.mail.enabled = false;
    let config = Arc::new(config);
    let runtime = crate::runtime()?;
    let report = runtime.block_on(async {
        let p = Pipeline::open(config.clone(), data)?;
        let report = p.run_once(&config.sources).await?;
        crate::alerts_cmd::send_once(&p).await;
        anyhow::Ok(report)
    })?;
    drop(runtime);
    let out = ChildReport {
        items: report.received,
        stored: report.stored.inserted,
        failed: report.failed,
        problems: report
            .problems
            .iter()
            .map(|(k, v)| (k.to_string(), *v))
            .collect(),
        peak_rss_kb: crate::search_bench::mem_now().hwm_kb,
        stages: report
            .stages
            .iter()
            .map(|(k, d)| (k.to_string(), d.as_secs_f64()))
            .collect(),
    };
    println!("{}", serde_json::to_string(&out)?);
    Ok(())
}
