//! Sending what the outbox holds ([`Sender`]): e-mail over SMTP (lettre, rustls; STARTTLS,
//! TLS or a plain local relay; optional log-in) and JSON webhooks signed with HMAC-SHA256.
//!
//! A message is sent once its `next_at` is due. Handed to the server: `sent`. A temporary
//! failure (connection refused, a 4xx SMTP reply, an HTTP 5xx, 408 or 429, a timeout): tried
//! again after 30 s, 1 min, 2 min … at most 30 min apart, until `[alerts] give_up_after`
//! has passed since it was queued; then `dead`, visible in `rasd alerts`, with the last
//! error. A permanent failure (a 5xx SMTP reply, an HTTP 4xx) is `dead` at once.
//!
//! Exactly once: the outbox row is the message; it is marked `sent` as soon as the server
//! accepted it. Only a crash in the instant between the server's acceptance and that mark
//! can repeat it; receivers can tell the copy by its idempotency key (the `Message-ID` of a
//! mail, the `X-Rasd-Delivery` header of a webhook).
//!
//! Every attempt is counted by channel in [`rasd_core::metrics`]: `rasd_outbox_sent_total`
//! and `rasd_outbox_failed_total` (retrying or dead).
//!
//! # Webhooks
//! `POST` of the message's JSON (`delivery`, `kind`, `alert`, `link`, `subject`, `text`…)
//! with `Content-Type: application/json` and:
//! - `X-Rasd-Delivery`: the idempotency key;
//! - `X-Rasd-Timestamp`: unix seconds when it was sent;
//! - `X-Rasd-Signature`: `sha256=` and the hex HMAC-SHA256, keyed with the secret in the
//!   environment variable `[alerts] webhook_secret_env`, of `TIMESTAMP.BODY`.
//!
//! A receiver recomputes the HMAC over the timestamp, a dot and the raw body, compares in
//! constant time, and refuses stale timestamps ([`verify_signature`] does it).

use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, Utc};
use hmac::{Hmac, Mac};
use lettre::message::header::ContentType;
use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use rasd_core::{Config, MailSecurity};
use rasd_store::{Delivery, Store};
use serde::Serialize;
use sha2::Sha256;

/// Messages taken from the outbox per round.
const ROUND: usize = 100;
/// The first retry's wait; each next one doubles, up to [`MAX_BACKOFF`].
const FIRST_BACKOFF: i64 = 30;
/// The longest wait between two attempts.
const MAX_BACKOFF: i64 = 30 * 60;

/// What one [`Sender::deliver_due`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct DeliverRun {
    pub sent: usize,
    /// Failed, to be tried again.
    pub retrying: usize,
    /// Failed for good.
    pub dead: usize,
}

/// Why a message was not sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendError {
    /// Trying again cannot help (a refused recipient, a 4xx webhook answer).
    pub permanent: bool,
    pub message: String,
}

impl SendError {
    fn temporary(message: impl Into<String>) -> SendError {
        SendError {
            permanent: false,
            message: message.into(),
        }
    }
}

/// Sends the outbox's messages.
#[derive(Clone)]
pub struct Sender {
    mail: Option<(AsyncSmtpTransport<Tokio1Executor>, Mailbox)>,
    /// The longest one SMTP exchange may take (`[mail] timeout`), enforced around the whole
    /// exchange: a server that stops answering mid-way must not hold the outbox.
    mail_timeout: StdDuration,
    /// Why mail cannot be sent, when it cannot.
    mail_off: String,
    http: reqwest::Client,
    secret: Option<Vec<u8>>,
    secret_env: String,
    give_up_after: Duration,
}

impl std::fmt::Debug for Sender {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sender")
            .field("mail", &self.mail.is_some())
            .field("signed", &self.secret.is_some())
            .finish()
    }
}

/// The transport for `[mail]` (`Ok(None)` when mail is off).
fn mail_transport(
    config: &Config,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Option<(AsyncSmtpTransport<Tokio1Executor>, Mailbox)>, String> {
    let m = &config.settings.mail;
    if !m.enabled {
        return Ok(None);
    }
    let from: Mailbox = m.from.parse().map_err(|e| {
        format!(
            "[mail] from = {:?} is not a mail address ({e}): write one such as \"Rasd <rasd@example.jo>\"",
            m.from
        )
    })?;
    let host = m.smtp_host.trim();
    let builder = match m.security {
        MailSecurity::None => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host),
        MailSecurity::Starttls => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(host)
            .map_err(|e| format!("[mail] smtp_host = {host:?}: {e}"))?,
        MailSecurity::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(host)
            .map_err(|e| format!("[mail] smtp_host = {host:?}: {e}"))?,
    };
    let mut builder = builder
        .port(m.smtp_port)
        .timeout(Some(m.timeout.as_duration()));
    if !m.username.trim().is_empty() {
        let password = env(&m.password_env).ok_or_else(|| {
            format!(
                "[mail] username is set but the environment variable {} holding the password is not: set it before starting rasd",
                m.password_env
            )
        })?;
        builder = builder.credentials(Credentials::new(m.username.clone(), password));
    }
    Ok(Some((builder.build(), from)))
}

impl Sender {
    /// A sender for `config`'s `[mail]` and `[alerts]`. Mail that cannot be set up (a bad
    /// address, a missing password) is reported by every e-mail delivery, which stays queued.
    /// Call it inside a Tokio runtime: the SMTP connection pool starts a task.
    pub fn new(config: &Config) -> Sender {
        Sender::with_env(config, &|name| std::env::var(name).ok())
    }

    /// [`Sender::new`] reading the SMTP password and the webhook secret through `env`
    /// instead of the process environment.
    pub fn with_env(config: &Config, env: &dyn Fn(&str) -> Option<String>) -> Sender {
        let (mail, mail_off) = match mail_transport(config, env) {
            Ok(Some(t)) => (Some(t), String::new()),
            Ok(None) => (
                None,
                "mail is off ([mail] enabled = false in rasd.toml)".to_string(),
            ),
            Err(e) => (None, e),
        };
        let secret_env = config.settings.alerts.webhook_secret_env.clone();
        let secret = env(&secret_env)
            .filter(|s| !s.is_empty())
            .map(String::into_bytes);
        let http = reqwest::Client::builder()
            .timeout(StdDuration::from_secs(30))
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(config.settings.fetch.user_agent.clone())
            .build()
            .unwrap_or_default();
        let give_up_after = Duration::from_std(config.settings.alerts.give_up_after.as_duration())
            .unwrap_or(Duration::hours(24));
        Sender {
            mail,
            mail_timeout: config.settings.mail.timeout.as_duration(),
            mail_off,
            http,
            secret,
            secret_env,
            give_up_after,
        }
    }

    /// Why mail cannot go out, when it cannot (for the start-up log).
    pub fn mail_problem(&self) -> Option<&str> {
        self.mail.is_none().then_some(self.mail_off.as_str())
    }

    /// Whether webhooks can be signed.
    pub fn signs_webhooks(&self) -> bool {
        self.secret.is_some()
    }

    /// Sends every queued message due at `now` and records each outcome.
    pub async fn deliver_due(
        &self,
        store: &Store,
        now: DateTime<Utc>,
    ) -> rasd_store::Result<DeliverRun> {
        let mut run = DeliverRun::default();
        loop {
            let due = store.due_deliveries(now, ROUND)?;
            let n = due.len();
            for d in due {
                let metrics = rasd_core::metrics::registry();
                match self.send(&d, Utc::now()).await {
                    Ok(()) => {
                        metrics.message_sent(channel_label(&d.channel));
                        store.delivery_sent(d.id, now)?;
                        run.sent += 1;
                        tracing::info!(key = %d.key, channel = %d.channel, "Alert message sent.");
                    }
                    Err(e) => {
                        let next = retry_at(&d, now, self.give_up_after).filter(|_| !e.permanent);
                        metrics.message_failed(channel_label(&d.channel), next.is_none());
                        store.delivery_failed(d.id, &e.message, next)?;
                        match next {
                            Some(at) => {
                                run.retrying += 1;
                                tracing::warn!(key = %d.key, error = %e.message, retry_at = %at, "Alert message not sent; will retry.");
                            }
                            None => {
                                run.dead += 1;
                                tracing::error!(key = %d.key, error = %e.message, "Alert message given up (dead); see rasd alerts.");
                            }
                        }
                    }
                }
            }
            if n < ROUND {
                break;
            }
        }
        Ok(run)
    }

    /// Sends one message; `at` is the wall-clock time for the webhook's timestamp.
    pub async fn send(&self, d: &Delivery, at: DateTime<Utc>) -> Result<(), SendError> {
        match d.channel.as_str() {
            "email" => self.send_mail(d).await,
            "webhook" => self.send_webhook(d, at).await,
            other => Err(SendError {
                permanent: true,
                message: format!("unknown channel {other:?}"),
            }),
        }
    }

    async fn send_mail(&self, d: &Delivery) -> Result<(), SendError> {
        let Some((transport, from)) = &self.mail else {
            return Err(SendError::temporary(self.mail_off.clone()));
        };
        let to: Mailbox = d.recipient.parse().map_err(|e| SendError {
            permanent: true,
            message: format!("{:?} is not a mail address: {e}", d.recipient),
        })?;
        let text = SinglePart::builder()
            .header(ContentType::TEXT_PLAIN)
            .body(d.body_text.clone());
        let body = match &d.body_html {
            Some(html) => {
                let html_part = SinglePart::builder()
                    .header(ContentType::TEXT_HTML)
                    .body(html.clone());
                let images = inline_images(d.images.as_deref());
                if images.is_empty() {
                    MultiPart::alternative()
                        .singlepart(text)
                        .singlepart(html_part)
                } else {
                    // The HTML and the images it shows by `cid:` travel together.
                    let png: ContentType = "image/png".parse().map_err(|e| SendError {
                        permanent: true,
                        message: format!("image/png: {e}"),
                    })?;
                    let mut related = MultiPart::related().singlepart(html_part);
                    for (cid, bytes) in images {
                        related = related
                            .singlepart(Attachment::new_inline(cid).body(bytes, png.clone()));
                    }
                    MultiPart::alternative().singlepart(text).multipart(related)
                }
            }
            None => MultiPart::mixed().singlepart(text),
        };
        let message = Message::builder()
            .from(from.clone())
            .to(to)
            .subject(d.subject.clone())
            .message_id(Some(message_id(&d.key)))
            .multipart(body)
            .map_err(|e| SendError {
                permanent: true,
                message: format!("cannot build the message: {e}"),
            })?;
        match tokio::time::timeout(self.mail_timeout, transport.send(message)).await {
            Ok(sent) => sent.map(|_| ()).map_err(|e| SendError {
                permanent: e.is_permanent(),
                message: format!("SMTP: {e}"),
            }),
            Err(_) => Err(SendError::temporary(format!(
                "SMTP: no answer within {:?} ([mail] timeout)",
                self.mail_timeout
            ))),
        }
    }

    async fn send_webhook(&self, d: &Delivery, at: DateTime<Utc>) -> Result<(), SendError> {
        let Some(secret) = &self.secret else {
            return Err(SendError::temporary(format!(
                "the webhook secret is not set: put it in the environment variable {} (named by [alerts] webhook_secret_env) and restart",
                self.secret_env
            )));
        };
        let body = d.payload.clone().unwrap_or_else(|| {
            serde_json::json!({"delivery": d.key, "kind": d.kind, "subject": d.subject, "text": d.body_text})
                .to_string()
        });
        let ts = at.timestamp().to_string();
        let resp = self
            .http
            .post(&d.recipient)
            .header("Content-Type", "application/json")
            .header("X-Rasd-Delivery", &d.key)
            .header("X-Rasd-Timestamp", &ts)
            .header("X-Rasd-Signature", sign(secret, &ts, body.as_bytes()))
            .body(body)
            .send()
            .await
            .map_err(|e| SendError::temporary(format!("webhook: {e}")))?;
        let status = resp.status();
        if status.is_success() {
            Ok(())
        } else {
            let code = status.as_u16();
            Err(SendError {
                permanent: status.is_client_error() && code != 408 && code != 429,
                message: format!("webhook answered {status}"),
            })
        }
    }
}

/// The channel as a metrics label: the stored text only when it is a channel Rasd knows,
/// so an odd row cannot add label values without bound.
fn channel_label(channel: &str) -> &'static str {
    match channel {
        "email" => "email",
        "webhook" => "webhook",
        _ => "other",
    }
}

/// The images stored with a message (`[{"cid", "png"}]`, the PNG in base64); unreadable
/// entries are left out (the HTML keeps its `alt` text).
fn inline_images(json: Option<&str>) -> Vec<(String, Vec<u8>)> {
    use base64::Engine as _;
    let Some(list) = json.and_then(|j| serde_json::from_str::<Vec<serde_json::Value>>(j).ok())
    else {
        return Vec::new();
    };
    list.iter()
        .filter_map(|v| {
            let cid = v["cid"].as_str()?.to_string();
            let png = base64::engine::general_purpose::STANDARD
                .decode(v["png"].as_str()?)
                .ok()?;
            Some((cid, png))
        })
        .collect()
}

/// The stored form of inline images (see [`rasd_store::Delivery::images`]).
pub fn images_json(images: &[crate::InlineImage]) -> Option<String> {
    use base64::Engine as _;
    if images.is_empty() {
        return None;
    }
    let list: Vec<serde_json::Value> = images
        .iter()
        .map(|i| {
            serde_json::json!({
                "cid": i.cid,
                "png": base64::engine::general_purpose::STANDARD.encode(&i.png),
            })
        })
        .collect();
    serde_json::to_string(&list).ok()
}

/// When a failed message is tried next; `None` once `give_up_after` has passed since it
/// was queued.
fn retry_at(d: &Delivery, now: DateTime<Utc>, give_up_after: Duration) -> Option<DateTime<Utc>> {
    if now - d.created_at >= give_up_after {
        return None;
    }
    let shift = d.attempts.min(10);
    let wait = (FIRST_BACKOFF << shift).min(MAX_BACKOFF);
    Some(now + Duration::seconds(wait))
}

/// The `Message-ID` of the message with idempotency key `key` (the same on every attempt).
pub fn message_id(key: &str) -> String {
    use sha2::Digest as _;
    let digest = Sha256::digest(key.as_bytes());
    format!("<{}@rasd.outbox>", hex(&digest[..16]))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The `X-Rasd-Signature` value for a body sent at `timestamp`.
pub fn sign(secret: &[u8], timestamp: &str, body: &[u8]) -> String {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret).expect("HMAC takes any key length");
    mac.update(timestamp.as_bytes());
    mac.update(b".");
    mac.update(body);
    format!("sha256={}", hex(&mac.finalize().into_bytes()))
}

/// Checks a webhook's signature as a receiver should: the HMAC of `TIMESTAMP.BODY` in
/// constant time, and a timestamp within `max_age` of `now`.
pub fn verify_signature(
    secret: &[u8],
    timestamp: &str,
    body: &[u8],
    signature: &str,
    now: DateTime<Utc>,
    max_age: Duration,
) -> bool {
    let Ok(ts) = timestamp.parse::<i64>() else {
        return false;
    };
    if (now.timestamp() - ts).abs() > max_age.num_seconds() {
        return false;
    }
    let Some(hex_sig) = signature.strip_prefix("sha256=") else {
        return false;
    };
    let Some(sig) = unhex(hex_sig) else {
        return false;
    };
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret).expect("HMAC takes any key length");
    mac.update(timestamp.as_bytes());
    mac.update(b".");
    mac.update(body);
    mac.verify_slice(&sig).is_ok()
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}
