//! Crash trial of the alert outbox: `rasd import items` raises 40 alerts (one story each,
//! a rule with two mail recipients and a webhook: 120 messages queued, none sent), then the
//! daemon (`rasd serve`, whose outbox loop sends what is due at its start) sends them to a
//! real SMTP server (`scripts/smtp-sink.py`, aiosmtpd) and a loopback webhook receiver, and
//! is killed with SIGKILL at a random moment of that, then started again until the outbox is
//! empty. Every queued message must then have arrived, and every copy received twice must
//! carry the same `Message-ID` (mail) or `X-Rasd-Delivery` (webhook) as the first, so a
//! receiver can drop it: distinct keys received equal the messages queued.
//!
//! The short form runs 3 trials; `RASD_CRASH_TRIALS=20` runs the long form, and
//! `RASD_CRASH_SEED=N` replays a run (the seed is printed).

use std::collections::{HashMap, HashSet};
use std::io::{Read as _, Write as _};
use std::net::{SocketAddr, TcpListener};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::util::{
    Daemon, Rng, copy_config, crash_trials, rasd, shipped_config, stderr, store_read_only,
};

use super::replay::smtp_sink::{Smtp, free_port, python_with_aiosmtpd};

const ALERTS: usize = 40;
const SECRET: &str = "سر الخطاف للتجربة";

/// Webhook requests received: (X-Rasd-Delivery, body), in order.
type Hooks = Arc<Mutex<Vec<(String, String)>>>;

/// A loopback webhook receiver that records each request in full before answering 204.
fn webhook_receiver() -> (SocketAddr, Hooks) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let hooks: Hooks = Arc::default();
    let got = hooks.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut s) = stream else { continue };
            let mut raw = Vec::new();
            let mut buf = [0u8; 16384];
            // The head, then the body by Content-Length; a sender killed mid-way sends less.
            let complete = loop {
                let Ok(n) = s.read(&mut buf) else { break None };
                if n == 0 {
                    break None;
                }
                raw.extend_from_slice(&buf[..n]);
                let text = String::from_utf8_lossy(&raw);
                let Some((head, body)) = text.split_once("\r\n\r\n") else {
                    continue;
                };
                let header = |name: &str| {
                    head.lines().find_map(|l| {
                        let (k, v) = l.split_once(':')?;
                        k.eq_ignore_ascii_case(name).then(|| v.trim().to_string())
                    })
                };
                let length: usize = header("content-length")
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(0);
                if body.len() >= length {
                    break Some((
                        header("x-rasd-delivery").unwrap_or_default(),
                        body.to_string(),
                    ));
                }
            };
            if let Some(hook) = complete {
                got.lock().unwrap().push(hook);
                let _ = s.write_all(
                    b"HTTP/1.1 204 No Content\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                );
            }
        }
    });
    (addr, hooks)
}

/// `n` made-up Arabic words of three to six letters, chosen by `rng`: no two items share
/// enough words to be one story.
fn words(rng: &mut Rng, n: usize) -> String {
    const LETTERS: &[char] = &[
        'ا', 'ب', 'ت', 'ث', 'ج', 'ح', 'خ', 'د', 'ذ', 'ر', 'ز', 'س', 'ش', 'ص', 'ض', 'ط', 'ظ', 'ع',
        'غ', 'ف', 'ق', 'ك', 'ل', 'م', 'ن', 'ه', 'و', 'ي',
    ];
    (0..n)
        .map(|_| {
            (0..3 + rng.below(4))
                .map(|_| LETTERS[rng.below(LETTERS.len() as u64) as usize])
                .collect::<String>()
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The import file: `ALERTS` items of the last hour, each a story of its own.
fn items_file(path: &Path) {
    let mut rng = Rng(0x005e_ed0f_a1e7);
    let now = chrono::Utc::now();
    let mut text = String::new();
    for n in 0..ALERTS {
        let at = now - chrono::Duration::minutes(50 - n as i64);
        text.push_str(
            &serde_json::json!({
                "id": n,
                "source": format!("outlet-{}", n % 5),
                "title": format!("حادث {} رقم {n}", words(&mut rng, 6)),
                "body": format!("{} حادث {}", words(&mut rng, 25), words(&mut rng, 25)),
                "published": at.to_rfc3339(),
                "lang": "ar",
            })
            .to_string(),
        );
        text.push('\n');
    }
    std::fs::write(path, text).unwrap();
}

/// A config folder: mail to the SMTP server on `smtp`, one rule sending each story to two
/// recipients and the webhook on `hook`; no quiet hours, no cap in reach, no escalation.
fn config(dir: &Path, smtp: u16, hook: SocketAddr) -> String {
    let cfg = dir.join("config");
    copy_config(&shipped_config(), &cfg);
    std::fs::write(
        cfg.join("rasd.toml"),
        format!(
            "[mail]\nenabled = true\nsmtp_host = \"127.0.0.1\"\nsmtp_port = {smtp}\n\
             security = \"none\"\nfrom = \"Rasd <rasd@example.jo>\"\ntimeout = \"10s\"\n\n\
             [alerts]\nrecipients = [\"leader@example.jo\"]\ndaily_cap = 1000\nescalate_to = []\n"
        ),
    )
    .unwrap();
    std::fs::write(
        cfg.join("alerts.toml"),
        format!(
            "[[rule]]\nid = \"crash\"\nname = \"حادث / Incident\"\nquery = \"حادث\"\n\
             min_items = 1\nmin_outlets = 1\nwindow = \"24h\"\nseverity = \"high\"\n\
             channels = [\"email\", \"webhook\"]\n\
             recipients = [\"leader@example.jo\", \"deputy@example.jo\"]\n\
             webhook_url = \"http://{hook}/hook\"\n"
        ),
    )
    .unwrap();
    cfg.to_str().unwrap().to_string()
}

/// A data folder with the alerts raised and their messages queued.
fn queued(cfg: &str, data: &Path, file: &Path) {
    let out = rasd()
        .args(["--config", cfg, "--data-dir", data.to_str().unwrap()])
        .args(["import", "items", file.to_str().unwrap()])
        .env("RASD_WEBHOOK_SECRET", SECRET)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
}

/// The outbox's rows by state.
fn outbox(data: &Path) -> HashMap<String, usize> {
    let db = store_read_only(data);
    let mut q = db
        .prepare("SELECT state, COUNT(*) FROM outbox GROUP BY state")
        .unwrap();
    q.query_map([], |r| {
        Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)? as usize))
    })
    .unwrap()
    .map(Result::unwrap)
    .collect()
}

/// The outbox's keys by channel.
fn keys(data: &Path, channel: &str) -> HashSet<String> {
    let db = store_read_only(data);
    let mut q = db
        .prepare("SELECT key FROM outbox WHERE channel = ?1")
        .unwrap();
    q.query_map([channel], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

/// `rasd serve` sending the outbox (from its start); the analysts' face on a free port.
fn daemon(cfg: &str, data: &Path, log: &Path) -> (Daemon, SocketAddr) {
    let web = SocketAddr::from(([127, 0, 0, 1], free_port()));
    let web_s = web.to_string();
    let d = Daemon::spawn(
        &[
            "--config",
            cfg,
            "--data-dir",
            data.to_str().unwrap(),
            "serve",
            "--addr",
            &web_s,
        ],
        &[("RASD_WEBHOOK_SECRET", SECRET)],
        log,
    );
    (d, web)
}

/// What the receivers got: raw mails and hooks, distinct Message-IDs and deliveries, and the
/// distinct (recipient, subject) and alert payloads (to catch a copy under another key).
struct Got {
    mails: usize,
    hooks: usize,
    message_ids: HashSet<String>,
    deliveries: HashSet<String>,
    mail_contents: HashSet<(String, String)>,
    hook_contents: HashSet<String>,
}

/// The raw messages the SMTP server has written (each `.eml` appears whole, by rename;
/// its envelope file may follow a moment later, so it is not read).
fn mails(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.ends_with(".eml") && !n.starts_with('.'))
        .map(|n| std::fs::read_to_string(dir.join(n)).unwrap())
        .collect()
}

fn got(mail: &Path, hooks: &Hooks) -> Got {
    let mails = mails(mail);
    // A header of the message's head, its folded lines joined.
    let header = |raw: &str, name: &str| {
        let mut lines = raw.lines();
        let mut value = String::new();
        while let Some(l) = lines.next() {
            if l.is_empty() {
                break;
            }
            if l.get(..name.len())
                .is_some_and(|h| h.eq_ignore_ascii_case(name))
            {
                value.push_str(l[name.len()..].trim());
                for more in lines.by_ref() {
                    if !more.starts_with([' ', '\t']) {
                        break;
                    }
                    value.push_str(more.trim());
                }
                break;
            }
        }
        value
    };
    let hooks = hooks.lock().unwrap();
    Got {
        mails: mails.len(),
        hooks: hooks.len(),
        message_ids: mails.iter().map(|raw| header(raw, "Message-ID:")).collect(),
        deliveries: hooks.iter().map(|(k, _)| k.clone()).collect(),
        mail_contents: mails
            .iter()
            .map(|raw| (header(raw, "To:"), header(raw, "Subject:")))
            .collect(),
        hook_contents: hooks
            .iter()
            .map(|(_, body)| {
                let v: serde_json::Value = serde_json::from_str(body).unwrap();
                v["alert"]["id"].to_string()
            })
            .collect(),
    }
}

/// Waits (at most 120 s) until the outbox has nothing queued and the receivers have at least
/// `total` messages.
fn wait_sent(data: &Path, mail: &Path, hooks: &Hooks, total: usize, context: &str) {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let states = outbox(data);
        let g = got(mail, hooks);
        if !states.contains_key("queued") && g.message_ids.len() + g.deliveries.len() >= total {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{context}: not all sent within 120 s: outbox {states:?}, received {} mails and {} hooks",
            g.mails,
            g.hooks
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[cfg(unix)]
#[test]
fn killed_outbox_sender_delivers_every_alert_and_copies_keep_their_key() {
    let Some(py) = python_with_aiosmtpd() else {
        return;
    };
    let (trials, seed) = crash_trials("killed outbox sender");
    let mut rng = Rng(seed);
    let dir = tempfile::tempdir().unwrap();
    let smtp_port = free_port();
    let (hook, hooks) = webhook_receiver();
    let cfg = config(dir.path(), smtp_port, hook);
    let file = dir.path().join("items.jsonl");
    items_file(&file);

    // One uninterrupted run gives the number of messages and the window the kills fall in:
    // from the daemon's start to the last message received.
    let clean = dir.path().join("clean");
    queued(&cfg, &clean, &file);
    let email = keys(&clean, "email").len();
    let webhook = keys(&clean, "webhook").len();
    let total = email + webhook;
    assert_eq!(
        (email, webhook),
        (2 * ALERTS, ALERTS),
        "one story, one alert"
    );
    assert_eq!(
        outbox(&clean).get("queued"),
        Some(&total),
        "the import sends nothing"
    );
    let mail = dir.path().join("mail-clean");
    let smtp = Smtp::start(py, smtp_port, &mail, None);
    let started = Instant::now();
    let (mut d, web) = daemon(&cfg, &clean, &dir.path().join("clean.log"));
    wait_sent(&clean, &mail, &hooks, total, "clean run");
    let window = started.elapsed();
    d.wait_healthy(web);
    d.stop();
    drop(smtp);
    hooks.lock().unwrap().clear();
    eprintln!("{total} messages: start to the last one received, uninterrupted, took {window:?}");

    let (mut mid_way, mut trials_with_copies) = (0, 0);
    let (mut mail_total, mut hook_total) = (0, 0);
    for trial in 0..trials {
        let context = format!("trial {trial} (RASD_CRASH_SEED={seed})");
        let data = dir.path().join(format!("trial-{trial}"));
        queued(&cfg, &data, &file);
        let mail = dir.path().join(format!("mail-{trial}"));
        let smtp = Smtp::start(py, smtp_port, &mail, None);
        let delay = rng.moment(window);
        let (mut d, _) = daemon(&cfg, &data, &dir.path().join(format!("trial-{trial}.log")));
        std::thread::sleep(delay);
        d.kill(); // SIGKILL
        // A message whose end the server had when the sender died is still being accepted:
        // give the receivers a moment before counting.
        std::thread::sleep(Duration::from_millis(300));
        let at_kill = outbox(&data);
        let received_at_kill = {
            let g = got(&mail, &hooks);
            g.mails + g.hooks
        };
        let sent_at_kill = at_kill.get("sent").copied().unwrap_or(0);
        if sent_at_kill < total && received_at_kill > 0 {
            mid_way += 1;
        }

        let (mut d, web) = daemon(
            &cfg,
            &data,
            &dir.path().join(format!("trial-{trial}-again.log")),
        );
        wait_sent(&data, &mail, &hooks, total, &context);
        // Stopped once it answers (its signal handler is in place by then).
        d.wait_healthy(web);
        d.stop();
        let states = outbox(&data);
        assert_eq!(
            states,
            HashMap::from([("sent".to_string(), total)]),
            "{context}"
        );
        let g = got(&mail, &hooks);
        // Every message arrived; a copy carries its first's key, never a new one.
        assert_eq!(
            g.message_ids.len(),
            email,
            "{context}: distinct Message-IDs"
        );
        assert_eq!(
            g.deliveries.len(),
            webhook,
            "{context}: distinct X-Rasd-Delivery"
        );
        assert_eq!(
            g.mail_contents.len(),
            email,
            "{context}: a mail under two keys"
        );
        assert_eq!(
            g.hook_contents.len(),
            webhook,
            "{context}: a hook under two keys"
        );
        let (mail_copies, hook_copies) = (g.mails - email, g.hooks - webhook);
        let copies = mail_copies + hook_copies;
        mail_total += mail_copies;
        hook_total += hook_copies;
        if copies > 0 {
            trials_with_copies += 1;
        }
        eprintln!(
            "trial {trial}: killed {delay:?} after the start, {sent_at_kill} marked sent and \
             {received_at_kill} received at the kill; after the restart {total} of {total} \
             received, {copies} received twice ({mail_copies} mail, {hook_copies} webhook; same key)"
        );
        drop(smtp);
        hooks.lock().unwrap().clear();
    }
    eprintln!(
        "{trials} trials: {mid_way} killed while sending; every message received; \
         copies in {trials_with_copies} trials ({mail_total} mail, {hook_total} webhook), each \
         under its first's key"
    );
}
