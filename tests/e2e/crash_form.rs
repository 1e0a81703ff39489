//! Crash trial of the public form: `rasd serve` with its public face on a loopback port,
//! four clients sending Arabic reports to `POST /api/v1/submissions` as fast as it answers,
//! SIGKILL at a random moment, then `rasd serve` again. Every reference answered 201 before
//! the kill must be in the store exactly once (a submission row and its item), the index
//! must hold the same ids as the store (lag 0, `rasd verify` ok), and the story assigner and
//! the alert rules must have read every stored change. Requests whose answer was cut by the
//! kill may or may not be stored: they are counted, not judged.
//!
//! The short form runs 3 trials; `RASD_CRASH_TRIALS=20` runs the long form, and
//! `RASD_CRASH_SEED=N` replays a run (the seed is printed).

use std::collections::HashSet;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::replay::smtp_sink::free_port;
use super::util::{
    Daemon, Rng, Unanswered, assert_verified, copy_config, crash_trials, followers, http_exchange,
    shipped_config, status_json, store_read_only, try_followers,
};

const CLIENTS: usize = 4;
/// The kill comes within this long after the web first answers.
const KILL_WITHIN_MS: u64 = 3000;

/// What the clients saw.
#[derive(Default)]
struct Seen {
    /// References answered 201.
    answered: Vec<String>,
    /// Requests written whose answer never came (cut by the kill).
    cut: usize,
    /// Answers other than 201 (none expected).
    other: Vec<(u16, String)>,
}

/// A report of client `c`, number `n`, in Arabic.
fn report(c: usize, n: usize) -> String {
    let places = ["irbid", "zarqa", "amman", "aqaba"];
    let text = format!(
        "سُرقت دراجة نارية من أمام محل في الحي الشرقي صباح اليوم، وشاهد الجيران شخصين \
         يغادران بسيارة بيضاء. البلاغ {c}-{n} من المرسل رقم {c}."
    );
    serde_json::json!({
        "category": "theft",
        "governorate": places[(c + n) % places.len()],
        "text": text,
        "lang": "ar",
    })
    .to_string()
}

/// Sends reports to `public` until `stop`, or until the server stops answering.
fn client(c: usize, public: SocketAddr, stop: Arc<AtomicBool>, seen: Arc<Mutex<Seen>>) {
    for n in 0.. {
        if stop.load(Ordering::SeqCst) {
            return;
        }
        let body = report(c, n);
        let answer = http_exchange(
            public,
            "POST",
            "/api/v1/submissions",
            &[("Content-Type", "application/json")],
            body.as_bytes(),
        );
        let mut seen = seen.lock().unwrap();
        match answer {
            Ok((201, body)) => {
                let v: serde_json::Value = serde_json::from_str(&body).unwrap();
                seen.answered
                    .push(v["reference"].as_str().unwrap().to_string());
            }
            Ok(other) => seen.other.push(other),
            Err(Unanswered::Cut) => {
                seen.cut += 1;
                return;
            }
            Err(Unanswered::NotSent) => return,
        }
    }
}

fn config(dir: &Path) -> String {
    let cfg = dir.join("config");
    copy_config(&shipped_config(), &cfg);
    // One client address sends them all: the rate limit is set out of the way.
    std::fs::write(
        cfg.join("rasd.toml"),
        "[server]\nform_per_minute = 1000000\n[fetch]\nrespect_robots = false\n",
    )
    .unwrap();
    cfg.to_str().unwrap().to_string()
}

fn addr() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], free_port()))
}

/// `rasd serve` on two free ports, answering: the daemon, the analysts' and the public face.
fn serve(cfg: &str, data: &str, log: &Path) -> (Daemon, SocketAddr, SocketAddr) {
    let (web, public) = (addr(), addr());
    let (web_s, public_s) = (web.to_string(), public.to_string());
    let mut d = Daemon::spawn(
        &[
            "--config",
            cfg,
            "--data-dir",
            data,
            "serve",
            "--addr",
            &web_s,
            "--public-addr",
            &public_s,
        ],
        &[],
        log,
    );
    d.wait_healthy(web);
    (d, web, public)
}

#[cfg(unix)]
#[test]
fn killed_form_server_keeps_every_answered_report_once() {
    let (trials, seed) = crash_trials("killed form server");
    let mut rng = Rng(seed);
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path());
    let (mut answered_total, mut cut_total, mut unanswered_stored_total) = (0, 0, 0);
    let mut left_behind = 0;
    for trial in 0..trials {
        let context = format!("trial {trial} (RASD_CRASH_SEED={seed})");
        let data = dir.path().join(format!("trial-{trial}"));
        let data_s = data.to_str().unwrap();
        let (mut daemon, _, public) = serve(&cfg, data_s, &dir.path().join("serve.log"));
        let stop = Arc::new(AtomicBool::new(false));
        let seen = Arc::new(Mutex::new(Seen::default()));
        let clients: Vec<_> = (0..CLIENTS)
            .map(|c| {
                let (stop, seen) = (stop.clone(), seen.clone());
                std::thread::spawn(move || client(c, public, stop, seen))
            })
            .collect();
        let delay = Duration::from_millis(rng.below(KILL_WITHIN_MS));
        std::thread::sleep(delay);
        daemon.kill(); // SIGKILL
        stop.store(true, Ordering::SeqCst);
        for c in clients {
            c.join().unwrap();
        }
        let seen = std::mem::take(&mut *seen.lock().unwrap());
        assert!(seen.other.is_empty(), "{context}: {:?}", seen.other);

        let behind = try_followers(&data).is_some_and(|(seq, st, al)| st < seq || al < seq);
        if behind {
            left_behind += 1;
        }

        // Again, then every change followed by the index, the stories and the rules.
        let (mut daemon, _, _) = serve(&cfg, data_s, &dir.path().join("serve-again.log"));
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let (seq, stories, alerts) = followers(&data);
            if stories == seq && alerts == seq {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "{context}: after the restart the store is at change {seq}, the stories at \
                 {stories}, the alert rules at {alerts}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        daemon.stop();

        let db = store_read_only(&data);
        let count = |sql: &str, reference: &str| -> i64 {
            db.query_row(sql, [reference], |r| r.get(0)).unwrap()
        };
        let mut unique = HashSet::new();
        for r in &seen.answered {
            assert!(unique.insert(r), "{context}: reference {r} answered twice");
            let rows = count("SELECT COUNT(*) FROM submissions WHERE reference = ?1", r);
            let items = count(
                "SELECT COUNT(*) FROM items WHERE source = 'form' AND url = 'rasd-form:' || ?1",
                r,
            );
            assert_eq!((rows, items), (1, 1), "{context}: reference {r}");
        }
        let stored: i64 = db
            .query_row("SELECT COUNT(*) FROM submissions", [], |r| r.get(0))
            .unwrap();
        let items: i64 = db
            .query_row("SELECT COUNT(*) FROM items", [], |r| r.get(0))
            .unwrap();
        assert_eq!(stored, items, "{context}: a submission without its item");
        drop(db);
        let unanswered_stored = stored as usize - seen.answered.len();
        assert!(
            unanswered_stored <= seen.cut,
            "{context}: {unanswered_stored} stored without an answer, only {} cut",
            seen.cut
        );
        let status = status_json(&cfg, data_s);
        assert_eq!(status["index"]["lag"], 0, "{context}: {status}");
        assert_verified(&cfg, data_s, stored as u64, &context);
        eprintln!(
            "trial {trial}: killed {delay:?} after the web answered; {} answered 201, all \
             stored once; {} cut by the kill, {unanswered_stored} of them stored{}",
            seen.answered.len(),
            seen.cut,
            if behind {
                "; stories and rules were behind at the kill"
            } else {
                ""
            }
        );
        answered_total += seen.answered.len();
        cut_total += seen.cut;
        unanswered_stored_total += unanswered_stored;
    }
    eprintln!(
        "{trials} trials: {answered_total} answered 201, every one stored once; {cut_total} \
         cut by the kill, {unanswered_stored_total} of those stored; {left_behind} kills left \
         stored submissions without stories and rules, all caught up at the restart"
    );
}
