//! The outbox against real servers on 127.0.0.1: a real SMTP server (aiosmtpd, started by
//! `scripts/smtp-sink.py`; Debian's `python3-aiosmtpd`, which `.ci/run` installs) and a
//! webhook receiver that checks the signature. Mail arrives once, in Arabic intact; an hour
//! without the server delays and loses nothing; a refused recipient or a bad signature is
//! dead at once; a crash between queueing and sending sends each message once.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration, Utc};
use rasd_core::Config;
use rasd_deliver::outbox::{Sender, message_id, verify_signature};
use rasd_store::{NewDelivery, Store};

mod smtp_sink;
use smtp_sink::{Smtp, free_port, python_with_aiosmtpd};

fn config(port: u16, extra_mail: &str) -> Config {
    let rasd = format!(
        "[mail]\nenabled = true\nsmtp_host = \"127.0.0.1\"\nsmtp_port = {port}\nsecurity = \"none\"\n\
         from = \"Rasd <rasd@example.jo>\"\ntimeout = \"5s\"\n{extra_mail}\n\
         [alerts]\nrecipients = [\"leader@example.jo\"]\ngive_up_after = \"3h\"\n"
    );
    Config::from_texts(Path::new("cfg"), [&rasd, "", "", "", ""]).unwrap_or_else(|e| panic!("{e}"))
}

fn t0() -> DateTime<Utc> {
    DateTime::from_timestamp(1_795_000_000, 0).unwrap()
}

/// Queues a message in one transaction, as the alert engine does.
fn queue(store: &Store, key: &str, channel: &str, to: &str, subject: &str, now: DateTime<Utc>) {
    store
        .alert_tx(|tx| {
            tx.enqueue(
                &NewDelivery {
                    key: key.to_string(),
                    alert: None,
                    kind: "alert".into(),
                    channel: channel.into(),
                    recipient: to.into(),
                    subject: subject.into(),
                    body_text: format!("{subject}\nالمحافظات / Governorates: الكرك (Karak)\n"),
                    body_html: Some(format!("<div dir=\"rtl\"><p>{subject}</p></div>")),
                    payload: Some(
                        serde_json::json!({"delivery": key, "subject": subject}).to_string(),
                    ),
                    state: "queued".into(),
                    next_at: now,
                    note: None,
                    images: None,
                },
                now,
            )
        })
        .unwrap();
}

const SUBJECT: &str = "[رصد Rasd · حرج critical] حادث خطير — تدهور حافلة قرب القطرانة";

fn decoded_subject(raw: &str) -> String {
    // lettre writes a non-ASCII subject as RFC 2047 base64 words.
    let line: String = raw
        .split("\r\n")
        .skip_while(|l| !l.starts_with("Subject:"))
        .enumerate()
        .take_while(|(k, l)| *k == 0 || l.starts_with(' ') || l.starts_with('\t'))
        .map(|(_, l)| l.trim_start_matches("Subject:").trim().to_string())
        .collect::<Vec<_>>()
        .join(" ");
    line.split_whitespace()
        .map(|w| {
            let inner = w
                .strip_prefix("=?utf-8?b?")
                .or_else(|| w.strip_prefix("=?UTF-8?B?"))
                .and_then(|w| w.strip_suffix("?="));
            match inner {
                Some(b64) => String::from_utf8(base64_decode(b64)).unwrap(),
                None => w.to_string(),
            }
        })
        .collect::<String>()
}

fn base64_decode(s: &str) -> Vec<u8> {
    const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = Vec::new();
    let (mut buf, mut bits) = (0u32, 0);
    for c in s.bytes().filter(|&c| c != b'=') {
        let v = A.iter().position(|&a| a == c).unwrap() as u32;
        buf = (buf << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((buf >> bits) as u8);
        }
    }
    out
}

#[tokio::test]
async fn alerts_reach_a_real_smtp_server_once_with_arabic_intact() {
    let Some(py) = python_with_aiosmtpd() else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let port = free_port();
    let smtp = Smtp::start(py, port, &tmp.path().join("mail"), None);
    let store = Store::open(&tmp.path().join("data")).unwrap();
    let now = t0();
    queue(
        &store,
        "alert:1:email:leader@example.jo",
        "email",
        "leader@example.jo",
        SUBJECT,
        now,
    );
    queue(
        &store,
        "alert:1:email:deputy@example.jo",
        "email",
        "deputy@example.jo",
        SUBJECT,
        now,
    );
    let sender = Sender::with_env(&config(port, ""), &|_| None);
    let run = sender.deliver_due(&store, now).await.unwrap();
    assert_eq!((run.sent, run.retrying, run.dead), (2, 0, 0));
    let again = sender
        .deliver_due(&store, now + Duration::hours(1))
        .await
        .unwrap();
    assert_eq!(again.sent, 0, "sent once");
    let got = smtp.received();
    assert_eq!(got.len(), 2);
    let mut to: Vec<String> = got
        .iter()
        .map(|(e, _)| e["rcpt_tos"][0].as_str().unwrap().to_string())
        .collect();
    to.sort();
    assert_eq!(to, ["deputy@example.jo", "leader@example.jo"]);
    for (env, raw) in &got {
        assert_eq!(env["mail_from"], "rasd@example.jo");
        let squeeze = |s: &str| s.split_whitespace().collect::<String>();
        assert_eq!(
            squeeze(&decoded_subject(raw)),
            squeeze(SUBJECT),
            "spaces aside"
        );
        let key = format!("alert:1:email:{}", env["rcpt_tos"][0].as_str().unwrap());
        assert!(
            raw.contains(&message_id(&key)),
            "Message-ID from the idempotency key"
        );
        assert!(raw.contains("multipart/alternative"), "text and HTML");
    }
    let rows = store.deliveries(&[]).unwrap();
    assert!(
        rows.iter()
            .all(|d| d.state == "sent" && d.sent_at == Some(now) && d.attempts == 1)
    );
}

#[tokio::test]
async fn the_server_asks_for_a_log_in_and_gets_it() {
    let Some(py) = python_with_aiosmtpd() else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let port = free_port();
    let smtp = Smtp::start(py, port, &tmp.path().join("mail"), Some("rasd:s3cret-كلمة"));
    let store = Store::open(&tmp.path().join("data")).unwrap();
    let now = t0();
    queue(&store, "k1", "email", "leader@example.jo", SUBJECT, now);
    let mut cfg = config(
        port,
        "username = \"rasd\"\npassword_env = \"TEST_SMTP_PASSWORD\"\n",
    );
    // The server leaves a refused log-in hanging: the sender's own timeout ends it.
    cfg.settings.mail.timeout = rasd_core::Interval::from_secs(2);
    // Without the password: a clear problem, and the message waits.
    let without = Sender::with_env(&cfg, &|_| None);
    assert!(
        without
            .mail_problem()
            .unwrap()
            .contains("TEST_SMTP_PASSWORD")
    );
    let run = without.deliver_due(&store, now).await.unwrap();
    assert_eq!(run.retrying, 1);
    assert!(
        store.deliveries(&[]).unwrap()[0]
            .last_error
            .as_deref()
            .unwrap()
            .contains("TEST_SMTP_PASSWORD")
    );
    // A wrong password: refused by the server, tried again later.
    let wrong = Sender::with_env(&cfg, &|_| Some("wrong".into()));
    let run = wrong
        .deliver_due(&store, now + Duration::minutes(5))
        .await
        .unwrap();
    assert_eq!(run.sent, 0);
    assert!(smtp.received().is_empty());
    let right = Sender::with_env(&cfg, &|k| {
        (k == "TEST_SMTP_PASSWORD").then(|| "s3cret-كلمة".into())
    });
    let run = right
        .deliver_due(&store, now + Duration::hours(1))
        .await
        .unwrap();
    assert_eq!(run.sent, 1, "{:?}", store.deliveries(&[]).unwrap());
    let got = smtp.received();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].0["auth"], true);
}

#[tokio::test]
async fn an_hour_without_the_mail_server_delays_alerts_and_loses_none() {
    let Some(py) = python_with_aiosmtpd() else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let port = free_port();
    let store = Store::open(&tmp.path().join("data")).unwrap();
    let start = t0();
    for n in 0..3 {
        queue(
            &store,
            &format!("alert:{n}:email:leader@example.jo"),
            "email",
            "leader@example.jo",
            SUBJECT,
            start,
        );
    }
    let sender = Sender::with_env(&config(port, ""), &|_| None);
    // The server is away for an hour of simulated time; the outbox is tried every minute.
    let mut now = start;
    let mut tries = 0;
    while now < start + Duration::hours(1) {
        let run = sender.deliver_due(&store, now).await.unwrap();
        assert_eq!((run.sent, run.dead), (0, 0));
        tries += run.retrying;
        now += Duration::minutes(1);
    }
    // Backoff: 30 s, 1, 2, 4, 8, 16, 30 min… a handful of tries each, not sixty.
    assert!(
        (3 * 4..=3 * 9).contains(&tries),
        "{tries} tries in the hour"
    );
    let rows = store.deliveries(&[]).unwrap();
    assert!(
        rows.iter()
            .all(|d| d.state == "queued" && d.last_error.as_deref().unwrap_or("").contains("SMTP"))
    );
    let smtp = Smtp::start(py, port, &tmp.path().join("mail"), None);
    let mut sent = 0;
    while now < start + Duration::hours(2) && sent < 3 {
        sent += sender.deliver_due(&store, now).await.unwrap().sent;
        now += Duration::minutes(1);
    }
    assert_eq!(
        sent, 3,
        "all delivered within the longest backoff after the server is back"
    );
    let got = smtp.received();
    assert_eq!(got.len(), 3, "none lost, none twice");
    let ids: std::collections::BTreeSet<String> = got
        .iter()
        .filter_map(|(_, raw)| {
            raw.lines()
                .find(|l| l.starts_with("Message-ID:"))
                .map(str::to_string)
        })
        .collect();
    assert_eq!(ids.len(), 3);
}

#[tokio::test]
async fn a_refused_recipient_is_dead_at_once_with_the_reason() {
    let Some(py) = python_with_aiosmtpd() else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let port = free_port();
    let smtp = Smtp::start(py, port, &tmp.path().join("mail"), None);
    let store = Store::open(&tmp.path().join("data")).unwrap();
    let now = t0();
    queue(&store, "bad", "email", "reject-me@example.jo", SUBJECT, now);
    queue(&store, "good", "email", "leader@example.jo", SUBJECT, now);
    let run = Sender::with_env(&config(port, ""), &|_| None)
        .deliver_due(&store, now)
        .await
        .unwrap();
    assert_eq!((run.sent, run.dead), (1, 1));
    let rows: BTreeMap<String, _> = store
        .deliveries(&[])
        .unwrap()
        .into_iter()
        .map(|d| (d.key.clone(), d))
        .collect();
    assert_eq!(rows["bad"].state, "dead");
    assert!(
        rows["bad"].last_error.as_deref().unwrap().contains("550"),
        "{:?}",
        rows["bad"].last_error
    );
    assert_eq!(smtp.received().len(), 1);
    // Fixed by hand (say, the address corrected): `rasd alerts retry` queues it again.
    assert_eq!(store.retry_dead(now).unwrap(), 1);
}

#[tokio::test]
async fn a_crash_between_queueing_and_sending_sends_each_message_once() {
    let Some(py) = python_with_aiosmtpd() else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let port = free_port();
    let smtp = Smtp::start(py, port, &tmp.path().join("mail"), None);
    let data = tmp.path().join("data");
    let now = t0();
    {
        // Queued and committed, then the process is gone before any send.
        let store = Store::open(&data).unwrap();
        for n in 0..4 {
            queue(
                &store,
                &format!("alert:{n}:email:leader@example.jo"),
                "email",
                "leader@example.jo",
                SUBJECT,
                now,
            );
        }
    }
    for round in 0..3 {
        // Each start opens the store afresh and sends what is due.
        let store = Store::open(&data).unwrap();
        let sender = Sender::with_env(&config(port, ""), &|_| None);
        let run = sender
            .deliver_due(&store, now + Duration::minutes(round))
            .await
            .unwrap();
        assert_eq!(run.sent, if round == 0 { 4 } else { 0 });
    }
    assert_eq!(smtp.received().len(), 4);
}

/// A webhook receiver on 127.0.0.1 that checks the signature as a receiver should.
async fn webhook_receiver(secret: &'static [u8]) -> (String, Arc<Mutex<Vec<serde_json::Value>>>) {
    use axum::http::{HeaderMap, StatusCode};
    let got: Arc<Mutex<Vec<serde_json::Value>>> = Arc::default();
    let seen = got.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: HeaderMap, body: axum::body::Bytes| {
            let seen = seen.clone();
            async move {
                let h = |k: &str| {
                    headers
                        .get(k)
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("")
                        .to_string()
                };
                if !verify_signature(
                    secret,
                    &h("x-rasd-timestamp"),
                    &body,
                    &h("x-rasd-signature"),
                    Utc::now(),
                    Duration::minutes(5),
                ) {
                    return StatusCode::UNAUTHORIZED;
                }
                let mut v: serde_json::Value = serde_json::from_slice(&body).unwrap();
                v["_delivery_header"] = h("x-rasd-delivery").into();
                seen.lock().unwrap().push(v);
                StatusCode::NO_CONTENT
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, got)
}

#[tokio::test]
async fn webhooks_are_signed_and_a_bad_signature_is_refused() {
    let (url, got) = webhook_receiver(b"shared-secret").await;
    let tmp = tempfile::tempdir().unwrap();
    let store = Store::open(&tmp.path().join("data")).unwrap();
    let now = t0();
    queue(
        &store,
        "alert:7:webhook:hook",
        "webhook",
        &url,
        SUBJECT,
        now,
    );
    let cfg = config(free_port(), "");
    let metrics_before = webhook_metrics();
    // No secret: the message waits, and says what to set.
    let run = Sender::with_env(&cfg, &|_| None)
        .deliver_due(&store, now)
        .await
        .unwrap();
    assert_eq!(run.retrying, 1);
    assert!(
        store.deliveries(&[]).unwrap()[0]
            .last_error
            .as_deref()
            .unwrap()
            .contains("RASD_WEBHOOK_SECRET")
    );
    // The right secret: accepted once, signature checked by the receiver.
    let good = Sender::with_env(&cfg, &|k| {
        (k == "RASD_WEBHOOK_SECRET").then(|| "shared-secret".into())
    });
    let run = good
        .deliver_due(&store, now + Duration::hours(1))
        .await
        .unwrap();
    assert_eq!(run.sent, 1);
    {
        let got = got.lock().unwrap();
        assert_eq!(got.len(), 1);
        assert_eq!(got[0]["subject"], SUBJECT);
        assert_eq!(got[0]["_delivery_header"], "alert:7:webhook:hook");
    }
    // A sender with another secret: 401, permanent, dead at once.
    queue(
        &store,
        "alert:8:webhook:hook",
        "webhook",
        &url,
        SUBJECT,
        now,
    );
    let bad = Sender::with_env(&cfg, &|_| Some("not-the-secret".into()));
    let run = bad
        .deliver_due(&store, now + Duration::hours(1))
        .await
        .unwrap();
    assert_eq!(run.dead, 1);
    assert_eq!(got.lock().unwrap().len(), 1);
    // Each outcome counted by channel (the registry is the process's: increases only).
    let metrics_after = webhook_metrics();
    for (series, (before, after)) in WEBHOOK_SERIES
        .iter()
        .zip(metrics_before.into_iter().zip(metrics_after))
    {
        assert!(after > before, "{series}: {before} → {after}");
    }
}

/// The outbox metrics of the webhook channel: sent, failed to retry, failed for good.
const WEBHOOK_SERIES: [&str; 3] = [
    r#"rasd_outbox_sent_total{channel="webhook"}"#,
    r#"rasd_outbox_failed_total{channel="webhook",outcome="retrying"}"#,
    r#"rasd_outbox_failed_total{channel="webhook",outcome="dead"}"#,
];

/// The values of [`WEBHOOK_SERIES`] in the process's registry (0 before a first event).
fn webhook_metrics() -> Vec<u64> {
    let text = rasd_core::metrics::registry().render();
    WEBHOOK_SERIES
        .iter()
        .map(|series| {
            text.lines()
                .find_map(|l| l.strip_prefix(series)?.strip_prefix(' '))
                .map_or(0, |v| v.parse().unwrap())
        })
        .collect()
}
