//! The inspection and measuring commands: `rasd feed`, `rasd extract`, `rasd eval`,
//! `rasd bench` and `rasd sources`.

use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};
use rasd_core::Config;
use rasd_store::Store;

/// Reads a file, or GETs a URL (through the fetcher, with robots.txt and the size cap).
async fn read_target(target: &str, config: &Config) -> anyhow::Result<Vec<u8>> {
    if target.starts_with("http://") || target.starts_with("https://") {
        let fetcher = rasd_sources::Fetcher::new(&config.settings.fetch)?;
        let fetched = fetcher.get(target, false, None).await?;
        Ok(fetched.body.to_vec())
    } else {
        std::fs::read(target).with_context(|| format!("cannot read {target}"))
    }
}

/// `rasd feed FILE_OR_URL [--json]`.
pub async fn feed(target: &str, json: bool, config: &Config) -> anyhow::Result<()> {
    let bytes = read_target(target, config).await?;
    let report = rasd_sources::feed_report(&bytes, target)?;
    if json {
        println!("{}", serde_json::to_string_pretty(&report)?);
        return Ok(());
    }
    println!(
        "{}: {} feed, {}",
        target,
        if report.format.is_empty() {
            "unrecognised"
        } else {
            &report.format
        },
        report.encoding
    );
    if let Some(t) = &report.title {
        println!("title: {t}");
    }
    println!("{} entries, {} items", report.entries.len(), report.items);
    for e in &report.entries {
        let when = e
            .published
            .map(|d| d.to_rfc3339())
            .unwrap_or_else(|| "(no date)".into());
        println!(
            "- {}\n  {} · {}",
            if e.title.is_empty() {
                "(untitled)"
            } else {
                e.title.as_str()
            },
            e.link.as_deref().unwrap_or("(no link)"),
            when
        );
    }
    for p in &report.problems {
        println!("problem [{}]: {}", p.reason, p.message);
    }
    Ok(())
}

/// `rasd extract FILE.html [--url URL] [--selector CSS] [--json]`. With a selector, the
/// text is what it matches (as a source's `article_selector` would give it); a note on
/// standard error says when it matched nothing, or when the article text was not found.
pub fn extract(
    file: &Path,
    url: Option<&str>,
    selector: Option<&str>,
    json: bool,
) -> anyhow::Result<()> {
    let bytes = std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
    let rule = match selector {
        Some(s) => Some(rasd_sources::parse_rule(s).map_err(|why| {
            anyhow::anyhow!("--selector {s:?} is not a CSS selector Rasd can use ({why})")
        })?),
        None => None,
    };
    let html = rasd_sources::decode_text(&bytes, None, url);
    let url = url.unwrap_or("http://localhost/");
    let (e, outcome) = rasd_sources::extract_article_with(&html, url, rule.as_ref());
    let found = rasd_sources::article_found(&e.text, outcome);
    let rule = match outcome {
        rasd_sources::RuleOutcome::NoRule => None,
        rasd_sources::RuleOutcome::Used => Some("used"),
        rasd_sources::RuleOutcome::Missed { .. } => Some("missed"),
    };
    if json {
        let v = serde_json::json!({
            "title": e.title, "text": e.text, "published": e.published, "author": e.author,
            "lead_image": e.lead_image, "lang": e.lang, "canonical": e.canonical,
            "header": e.header, "rule": rule, "text_found": found,
        });
        println!("{}", serde_json::to_string_pretty(&v)?);
    } else {
        for part in [&e.title, &e.header].into_iter().flatten() {
            println!("{part}\n");
        }
        println!("{}", e.text);
    }
    if let (rasd_sources::RuleOutcome::Missed { elements, chars }, Some(s)) = (outcome, selector) {
        eprintln!(
            "note: --selector {s:?} matched {elements} element(s) with {chars} characters of \
             text (under {}), so the text above is the generic extractor's",
            rasd_sources::RULE_MIN_CHARS
        );
    }
    if !found {
        eprintln!(
            "note: the article text was not found ({} characters, under {}): a source with \
             such pages reports extraction_failed; try --selector with the element that holds \
             the text, then set it as the source's article_selector in sources.toml",
            e.text.chars().count(),
            rasd_sources::MIN_ARTICLE_CHARS
        );
    }
    Ok(())
}

/// `rasd eval extraction --pages DIR --truth FILE.json [--with-title] [--worst N]`.
pub fn eval_extraction(
    pages: &Path,
    truth: &Path,
    with_title: bool,
    worst: usize,
) -> anyhow::Result<()> {
    use rasd_sources::eval::{PageScore, Scored};
    let scored = if with_title {
        Scored::TitleAndText
    } else {
        Scored::Text
    };
    let (s, mut per_page) = rasd_sources::eval::eval_pages(pages, truth, scored)?;
    let sum = |p: &PageScore| p.precision.unwrap_or(0.0) + p.recall.unwrap_or(0.0);
    per_page.sort_by(|a, b| sum(a).total_cmp(&sum(b)));
    let show = |v: Option<f64>| v.map_or("-".to_string(), |v| format!("{v:.3}"));
    for p in per_page.iter().take(worst) {
        println!(
            "worst: {} precision={} recall={}",
            p.id,
            show(p.precision),
            show(p.recall)
        );
    }
    println!("pages={} seconds={:.3}", s.pages, s.seconds);
    println!(
        "precision={:.4} recall={:.4} f1={:.4} pages_per_s={:.1}",
        s.precision, s.recall, s.f1, s.pages_per_s
    );
    Ok(())
}

/// The shared data folder's `rel`, or a clear error naming the flag to pass.
fn shared_or(rel: &str, flag: &str) -> anyhow::Result<PathBuf> {
    rasd_core::shared_data::shared_data(rel).with_context(|| {
        format!("no {rel} in the shared data folder: pass {flag} (or set RASD_SHARED_DATA)")
    })
}

/// `rasd bench feeds [--dir DIR]`.
pub fn bench_feeds(dir: Option<&Path>) -> anyhow::Result<()> {
    let dir = match dir {
        Some(d) => d.to_path_buf(),
        None => shared_or("feeds", "--dir")?,
    };
    let r = rasd_sources::bench_feeds(&dir);
    println!(
        "files={} parsed={} entries={} seconds={:.3} feeds_per_s={:.0}",
        r.files, r.parsed, r.entries, r.seconds, r.feeds_per_s
    );
    Ok(())
}

/// `rasd bench extraction [--pages DIR --truth FILE]`.
pub fn bench_extraction(pages: Option<&Path>, truth: Option<&Path>) -> anyhow::Result<()> {
    let (pages, truth) = match (pages, truth) {
        (Some(p), Some(t)) => (p.to_path_buf(), t.to_path_buf()),
        (None, None) => {
            let dir = shared_or("extraction", "--pages and --truth")?;
            (dir.join("pages"), dir.join("ground-truth.json"))
        }
        _ => bail!("pass both --pages and --truth, or neither (to use the shared benchmark)"),
    };
    eval_extraction(&pages, &truth, false, 0)
}

/// `rasd sources [--json]`: each configured source's health.
pub fn sources_list(store: &Store, json: bool) -> anyhow::Result<()> {
    let health = store.source_health()?;
    if json {
        println!("{}", serde_json::to_string_pretty(&health)?);
        return Ok(());
    }
    let fmt = |d: Option<chrono::DateTime<chrono::Utc>>| {
        d.map(|d| d.format("%m-%d %H:%M").to_string())
            .unwrap_or_else(|| "-".into())
    };
    println!(
        "{:<2} {:<20} {:<11} {:<3} {:<11} {:>4} {:>7} {:<11} {:>7} {:>5} {:>5} {:>5} {:>5} {:<6} last error",
        "",
        "source",
        "kind",
        "on",
        "last ok",
        "fail",
        "items/d",
        "next due",
        "entries",
        "new",
        "taken",
        "pages",
        "xfail",
        "cut"
    );
    for h in &health {
        let err: String = h
            .last_error
            .as_deref()
            .unwrap_or("")
            .chars()
            .take(60)
            .collect();
        let p = &h.last_poll;
        let cut = match (p.capped, p.out_of_time) {
            (true, true) => "cap+t",
            (true, false) => "cap",
            (false, true) => "time",
            (false, false) => "-",
        };
        println!(
            "{:<2} {:<20} {:<11} {:<3} {:<11} {:>4} {:>7.1} {:<11} {:>7} {:>5} {:>5} {:>5} {:>5} {:<6} {}",
            if h.flagged { "!" } else { "" },
            h.source,
            h.kind,
            if h.enabled { "yes" } else { "no" },
            fmt(h.last_success),
            h.consecutive_failures,
            h.items_per_day,
            fmt(h.next_due),
            p.entries,
            p.new,
            p.taken,
            p.pages,
            p.extraction_failed,
            cut,
            err
        );
    }
    println!(
        "\nentries: listed by the source at its last poll; new: not taken before (of the newest \
         [fetch] max_entries_per_poll); taken: items; pages: article pages fetched; xfail: \
         pages whose article text was not found, at the last poll that fetched pages; cut: the entry cap (cap) or the time \
         budget (time) left entries out."
    );
    let failing: Vec<String> = health
        .iter()
        .filter(|h| h.last_poll.extraction_failed > 0)
        .map(|h| format!("{} ({})", h.source, h.last_poll.extraction_failed))
        .collect();
    if !failing.is_empty() {
        println!(
            "Extraction failed at the last poll that fetched pages for {}: the article text of that many pages was \
             not found (feed items keep the feed's summary; site items keep their title and the \
             little text found). Find the element holding the text on one of the pages (try it \
             with `rasd extract PAGE.html --selector CSS`) and set it as the source's \
             article_selector in sources.toml; the log and `rasd fetch` name the pages.",
            failing.join(", ")
        );
    }
    let stale: Vec<String> = health
        .iter()
        .filter(|h| h.last_poll.rule_missed > 0)
        .map(|h| format!("{} ({})", h.source, h.last_poll.rule_missed))
        .collect();
    if !stale.is_empty() {
        println!(
            "Site rule missed at the last poll that fetched pages for {}: the source's article_selector matched no \
             text on that many pages (the site's layout may have changed); update it in \
             sources.toml.",
            stale.join(", ")
        );
    }
    if health.iter().any(|h| h.last_poll.out_of_time) {
        println!(
            "Sources cut by time: their remaining entries are fetched at the next poll; raise \
             [fetch] source_time_budget if it keeps happening."
        );
    }
    let flagged = health.iter().filter(|h| h.flagged).count();
    if flagged > 0 {
        println!(
            "\n{flagged} source(s) flagged (!): failing for a while; check the URL or the site."
        );
    }
    Ok(())
}

/// `rasd sources import FILE.opml`: appends the new sources to `sources.toml` of the config
/// folder, keeping what is there (comments included), and checks the result loads.
pub fn sources_import(file: &Path, config: &Config) -> anyhow::Result<()> {
    let text =
        std::fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))?;
    let imported = rasd_sources::parse_opml(&text)?;
    let total = imported.len();
    let new = rasd_sources::merge_sources(&config.sources, imported);
    if new.is_empty() {
        println!(
            "{total} feeds in {}: all already in sources.toml",
            file.display()
        );
        return Ok(());
    }
    let path = config.dir.join("sources.toml");
    let before = std::fs::read_to_string(&path)
        .with_context(|| format!("cannot read {}", path.display()))?;
    let mut after = before.clone();
    if !after.ends_with('\n') {
        after.push('\n');
    }
    after.push_str(&format!("\n# Imported from {}\n", file.display()));
    after.push_str(&rasd_sources::sources_toml_entries(&new));
    std::fs::write(&path, &after).with_context(|| format!("cannot write {}", path.display()))?;
    if let Err(e) = Config::load(&config.dir) {
        std::fs::write(&path, &before)
            .with_context(|| format!("cannot restore {}", path.display()))?;
        bail!("the imported sources would not load, so sources.toml was left as it was:\n{e}");
    }
    println!(
        "{} of {total} feeds added to {} ({} already there)",
        new.len(),
        path.display(),
        total - new.len()
    );
    Ok(())
}

/// `rasd sources export`: the configured sources as OPML on stdout.
pub fn sources_export(config: &Config) {
    print!("{}", rasd_sources::to_opml(&config.sources));
}
