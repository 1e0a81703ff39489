//! Who may do what: roles and their permissions, password hashes (argon2id), session and
//! API-key secrets (random, stored as their SHA-256), the client's address (behind a
//! trusted proxy only from its configured header), and the middleware that puts the
//! caller ([`Who`]) on every request of the analysts' face.
//!
//! Every page but `/login`, `/healthz`, `/static/…` and the public form needs a session
//! cookie or an `Authorization: Bearer` API key. Without one, a page answers 303 to
//! `/login?next=…` and an API route 401. A request that changes something (any method but
//! GET and HEAD) with a session cookie must come from a page of this server (its `Origin`,
//! when sent, is an allowed host; `Sec-Fetch-Site` is not `cross-site`) and carry the
//! session's CSRF token (checked by each form's handler, [`Who::check_csrf`]).

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use argon2::Argon2;
use argon2::password_hash::{PasswordHasher as _, PasswordVerifier as _, phc::PasswordHash};
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use base64::Engine as _;
use chrono::Utc;
use rasd_core::ServerSettings;
use rasd_store::UserRecord;
use sha2::{Digest as _, Sha256};

use crate::AppState;

/// The roles, from most to least powerful.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Everything, users and the audit log included.
    Admin,
    /// Searches, items and their tags, the submissions inbox with contacts, alerts.
    Analyst,
    /// The media office: search, items, the digest, alerts to read.
    Media,
    /// Leadership: the digest, alerts (to read and acknowledge), search.
    Leadership,
}

/// What a role may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Perm {
    /// Search, read items, the digest and its archive.
    Read,
    /// Fix an item's tags.
    FixTags,
    /// Read the submissions inbox and move submissions through it.
    Inbox,
    /// See a submitter's name and contact (each view is audited).
    Contacts,
    /// Read alerts.
    Alerts,
    /// Acknowledge alerts.
    AckAlerts,
    /// See sources and their health.
    Sources,
    /// Manage users and keys, read the audit log and the metrics.
    Admin,
}

/// The role names as written in the store and on the command line.
pub const ROLE_NAMES: &[&str] = &["admin", "analyst", "media", "leadership"];

impl Role {
    /// The role of a name in [`ROLE_NAMES`].
    pub fn parse(name: &str) -> Option<Role> {
        match name {
            "admin" => Some(Role::Admin),
            "analyst" => Some(Role::Analyst),
            "media" => Some(Role::Media),
            "leadership" => Some(Role::Leadership),
            _ => None,
        }
    }

    /// Its name.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Analyst => "analyst",
            Role::Media => "media",
            Role::Leadership => "leadership",
        }
    }

    /// Whether the role may do `perm`.
    pub fn can(self, perm: Perm) -> bool {
        use Perm::*;
        match self {
            Role::Admin => true,
            Role::Analyst => matches!(
                perm,
                Read | FixTags | Inbox | Contacts | Alerts | AckAlerts | Sources
            ),
            Role::Media => matches!(perm, Read | Alerts | Sources),
            Role::Leadership => matches!(perm, Read | Alerts | AckAlerts),
        }
    }
}

/// Shortest password accepted.
pub const MIN_PASSWORD_CHARS: usize = 12;

/// Refuses passwords too short to resist guessing, or made of one repeated character.
pub fn check_password(password: &str) -> Result<(), String> {
    let n = password.chars().count();
    if n < MIN_PASSWORD_CHARS {
        return Err(format!(
            "the password has {n} characters: use at least {MIN_PASSWORD_CHARS} (a phrase of \
             several words is easy to remember)"
        ));
    }
    let mut chars = password.chars();
    let first = chars.next();
    if chars.all(|c| Some(c) == first) {
        return Err("the password is one character repeated: choose another".into());
    }
    Ok(())
}

/// The argon2id hash of a password (a PHC string with its random salt; OWASP's parameters:
/// 19 MiB, 2 passes).
pub fn hash_password(password: &str) -> anyhow::Result<String> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| anyhow::anyhow!("cannot hash the password: {e}"))
}

/// Whether `password` matches a stored hash (false for an unreadable hash).
pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false)
}

/// A hash no password matches, checked when the user is unknown so that a log-in takes as
/// long whether or not the name exists.
pub(crate) static DUMMY_HASH: std::sync::LazyLock<String> =
    std::sync::LazyLock::new(|| hash_password(&new_secret()).unwrap_or_default());

/// A new random secret: 32 bytes from the system's generator, base64url without padding.
pub fn new_secret() -> String {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).expect("the system's random generator works");
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// The stored form of a secret: its SHA-256 in hex.
pub fn secret_hash(secret: &str) -> String {
    Sha256::digest(secret.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A new API key: `rasd_` and a secret; its id is the first 8 characters of the secret.
pub fn new_api_key() -> (String, String) {
    let secret = new_secret();
    let id = secret.chars().take(8).collect();
    (id, format!("rasd_{secret}"))
}

/// The name of the session cookie.
pub const SESSION_COOKIE: &str = "rasd_session";
/// The name of the cookie that carries the log-in and public forms' CSRF token before there
/// is a session (double submit: the form's hidden field must equal it).
pub const FORM_COOKIE: &str = "rasd_form";

/// The token of the log-in and public forms: the one the browser already holds (so a second
/// tab, or a page the browser fetched beside this one, does not make the first form stale),
/// or a new one.
pub fn form_token(headers: &HeaderMap) -> String {
    match cookie(headers, FORM_COOKIE) {
        Some(t)
            if t.len() == 43
                && t.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') =>
        {
            t.to_string()
        }
        _ => new_secret(),
    }
}

/// A cookie's value from the request headers.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// A `Set-Cookie` value: HttpOnly, SameSite=Strict, path `/`, `Secure` unless turned off;
/// `max_age` in seconds (0 deletes it).
pub fn set_cookie(server: &ServerSettings, name: &str, value: &str, max_age: i64) -> String {
    let secure = if server.cookie_secure { "; Secure" } else { "" };
    format!("{name}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age}{secure}")
}

/// The client's address: the connection's, or, on a connection from one of
/// `trusted_proxies`, the last address in `client_ip_header` (the one the proxy added).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddr(pub Option<IpAddr>);

impl ClientAddr {
    /// Works out the client address of a request (see [`ClientAddr`]).
    pub fn of(request: &Request, server: &ServerSettings) -> ClientAddr {
        let peer = request
            .extensions()
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip().to_canonical());
        let Some(peer) = peer else {
            return ClientAddr(None);
        };
        let Some(name) = &server.client_ip_header else {
            return ClientAddr(Some(peer));
        };
        if !server
            .trusted_proxies
            .iter()
            .any(|p| p.to_canonical() == peer)
        {
            return ClientAddr(Some(peer));
        }
        let forwarded = request
            .headers()
            .get_all(name.as_str())
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .filter_map(|a| a.trim().parse::<IpAddr>().ok())
            .next_back();
        ClientAddr(Some(forwarded.unwrap_or(peer).to_canonical()))
    }

    /// As text, for the store and the log (`unknown` when there is no connection).
    pub fn text(&self) -> String {
        self.0.map_or_else(|| "unknown".into(), |a| a.to_string())
    }
}

/// How the caller proved who they are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Via {
    /// A session cookie; forms must send back this CSRF token.
    Session { csrf: String, token_hash: String },
    /// An API key (no cookie is involved, so no CSRF token is needed).
    ApiKey,
}

/// The caller of a request on the analysts' face (an extension the middleware adds).
#[derive(Debug, Clone)]
pub struct Who {
    pub user: UserRecord,
    pub role: Role,
    pub via: Via,
    pub addr: ClientAddr,
}

impl Who {
    /// Refuses (403) a caller whose role may not do `perm`.
    pub fn require(&self, perm: Perm) -> Result<(), Refusal> {
        if self.role.can(perm) {
            Ok(())
        } else {
            Err(Refusal::Forbidden)
        }
    }

    /// The session's CSRF token (empty for API keys).
    pub fn csrf(&self) -> &str {
        match &self.via {
            Via::Session { csrf, .. } => csrf,
            Via::ApiKey => "",
        }
    }

    /// Refuses (403) a form whose CSRF token is not the session's.
    pub fn check_csrf(&self, sent: &str) -> Result<(), Refusal> {
        match &self.via {
            Via::ApiKey => Ok(()),
            Via::Session { csrf, .. } if constant_time_eq(csrf, sent) => Ok(()),
            Via::Session { .. } => Err(Refusal::BadCsrf),
        }
    }
}

/// Compares two secrets in time that does not depend on where they differ.
pub fn constant_time_eq(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// Why a request was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// No (valid) session or key.
    NoLogin { api: bool, next: String },
    /// The role may not.
    Forbidden,
    /// A form without the right CSRF token, or from another site.
    BadCsrf,
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        let json = |status: StatusCode, message: &str| {
            (status, axum::Json(serde_json::json!({ "error": message }))).into_response()
        };
        match self {
            Refusal::NoLogin { api: true, .. } => {
                let mut r = json(
                    StatusCode::UNAUTHORIZED,
                    "log in first: send an API key as Authorization: Bearer rasd_… (made with `rasd users key NAME`)",
                );
                r.headers_mut().insert(
                    header::WWW_AUTHENTICATE,
                    header::HeaderValue::from_static("Bearer realm=\"rasd\""),
                );
                r
            }
            Refusal::NoLogin { api: false, next } => Redirect::to(&format!(
                "/login?next={}",
                rasd_core::text::url_encode_query(&next)
            ))
            .into_response(),
            Refusal::Forbidden => json(
                StatusCode::FORBIDDEN,
                "your role may not do this; an administrator can change your role",
            ),
            Refusal::BadCsrf => json(
                StatusCode::FORBIDDEN,
                "this form has expired or did not come from Rasd's own page: reload the page and send it again",
            ),
        }
    }
}

/// So handlers answering `Result<Response, Response>` can use `?` on a refusal.
impl From<Refusal> for Response {
    fn from(r: Refusal) -> Response {
        r.into_response()
    }
}

/// Paths answered without a log-in (exactly, or as a prefix when ending in `/`).
const OPEN_PATHS: &[&str] = &[
    "/login",
    "/lang",
    "/favicon.ico",
    "/healthz",
    "/static/",
    "/report",
    "/api/v1/openapi.json",
];

fn is_open(method: &Method, path: &str) -> bool {
    OPEN_PATHS.iter().any(|p| {
        if p.ends_with('/') {
            path.starts_with(p)
        } else {
            path == *p
        }
    }) || (method == Method::POST && path == "/api/v1/submissions")
}

/// Middleware of both faces: the client address ([`ClientAddr`]) as an extension.
pub(crate) async fn client_addr(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    let addr = ClientAddr::of(&request, &state.config.settings.server);
    request.extensions_mut().insert(addr);
    next.run(request).await
}

/// Middleware of the analysts' face (inside [`client_addr`]): works out the caller, sends
/// callers without a log-in to `/login` (pages) or answers 401 (API), and refuses
/// cross-site requests that change something.
pub(crate) async fn require_login(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    let addr = request
        .extensions()
        .get::<ClientAddr>()
        .copied()
        .unwrap_or(ClientAddr(None));
    let path = request.uri().path().to_string();
    if is_open(request.method(), &path) {
        return next.run(request).await;
    }
    let api = path.starts_with("/api/") || path == "/metrics";
    let next_path = request
        .uri()
        .path_and_query()
        .map_or("/".to_string(), |p| p.as_str().to_string());
    let now = Utc::now();
    let store = state.store.clone();
    let bearer = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(|v| v.trim().to_string());
    let session = cookie(request.headers(), SESSION_COOKIE).map(str::to_string);
    let found =
        tokio::task::spawn_blocking(move || -> rasd_store::Result<Option<(UserRecord, Via)>> {
            if let Some(key) = bearer {
                return Ok(store
                    .api_key_user(&secret_hash(&key), now)?
                    .map(|u| (u, Via::ApiKey)));
            }
            let Some(token) = session else {
                return Ok(None);
            };
            let token_hash = secret_hash(&token);
            Ok(store.session(&token_hash, now)?.map(|s| {
                (
                    s.user,
                    Via::Session {
                        csrf: s.csrf,
                        token_hash,
                    },
                )
            }))
        })
        .await;
    let (user, via) = match found {
        Ok(Ok(Some(found))) => found,
        Ok(Ok(None)) => {
            return Refusal::NoLogin {
                api,
                next: next_path,
            }
            .into_response();
        }
        Ok(Err(e)) => return crate::Error::Internal(e.to_string()).into_response(),
        Err(e) => return crate::Error::Internal(e.to_string()).into_response(),
    };
    let Some(role) = Role::parse(&user.role) else {
        tracing::error!(user = %user.name, role = %user.role, "A user has an unknown role; refused.");
        return Refusal::Forbidden.into_response();
    };
    let changes = !matches!(*request.method(), Method::GET | Method::HEAD);
    if changes && matches!(via, Via::Session { .. }) && cross_site(request.headers()) {
        tracing::warn!(path = %path, user = %user.name, "Cross-site request refused.");
        return Refusal::BadCsrf.into_response();
    }
    request.extensions_mut().insert(Who {
        user,
        role,
        via,
        addr,
    });
    next.run(request).await
}

/// True when a browser says the request comes from another page than this server's own:
/// `Sec-Fetch-Site` other than `same-origin` or `none` (another port of the same host is
/// `same-site`, and refused too); without that header, an `Origin` whose host is not the
/// request's `Host` (which the `Host` check has already found allowed). `Origin: null`,
/// which browsers send on forms of pages with `Referrer-Policy: no-referrer`, tells
/// nothing; the CSRF token still decides.
fn cross_site(headers: &HeaderMap) -> bool {
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        return !(site.eq_ignore_ascii_case("same-origin") || site.eq_ignore_ascii_case("none"));
    }
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    if origin == "null" {
        return false;
    }
    let host = origin
        .split_once("://")
        .map_or(origin, |(_, rest)| rest)
        .trim_end_matches('/');
    let same_as_host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|h| h.eq_ignore_ascii_case(host));
    !same_as_host
}

/// Shared per-address counters over a sliding minute, for the public form's rate limit.
#[derive(Debug, Default)]
pub struct RateLimiter {
    hits: std::sync::Mutex<std::collections::HashMap<Option<IpAddr>, Vec<std::time::Instant>>>,
}

impl RateLimiter {
    /// Counts a hit from `addr` and says whether it is within `per_minute`; when not, how
    /// many seconds until it would be.
    pub fn check(&self, addr: ClientAddr, per_minute: u32) -> Result<(), u64> {
        let now = std::time::Instant::now();
        let window = std::time::Duration::from_secs(60);
        let mut hits = self.hits.lock().unwrap_or_else(|e| e.into_inner());
        if hits.len() > 100_000 {
            // Forget addresses quiet for a minute, so a spray of addresses cannot grow it
            // without end.
            hits.retain(|_, v| v.last().is_some_and(|t| now.duration_since(*t) < window));
        }
        let list = hits.entry(addr.0).or_default();
        list.retain(|t| now.duration_since(*t) < window);
        if list.len() >= per_minute.max(1) as usize {
            let wait = window.saturating_sub(now.duration_since(list[0]));
            return Err(wait.as_secs().max(1));
        }
        list.push(now);
        Ok(())
    }
}

/// The shared state pieces the web keeps in memory: the form's rate limiter.
#[derive(Debug, Default)]
pub struct Limits {
    /// Public form and `POST /api/v1/submissions`, per client address.
    pub form: RateLimiter,
}

/// Lock-out: this many failed log-ins for a user within [`LOCKOUT_WINDOW_MINUTES`] lock
/// the account until the window has passed since the last failure.
pub const USER_MAX_FAILURES: usize = 5;
/// Failed log-ins from one address (any user names) within the window that lock the
/// address out.
pub const ADDR_MAX_FAILURES: usize = 20;
/// The window of the lock-out counters, in minutes.
pub const LOCKOUT_WINDOW_MINUTES: i64 = 15;

/// An [`Arc`] alias kept short in signatures.
pub type SharedLimits = Arc<Limits>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_grant_what_their_work_needs() {
        assert!(Role::Admin.can(Perm::Admin));
        assert!(Role::Analyst.can(Perm::Contacts) && !Role::Analyst.can(Perm::Admin));
        assert!(!Role::Media.can(Perm::Contacts) && !Role::Media.can(Perm::Inbox));
        assert!(Role::Leadership.can(Perm::AckAlerts) && !Role::Leadership.can(Perm::FixTags));
        for name in ROLE_NAMES {
            assert_eq!(Role::parse(name).unwrap().as_str(), *name);
        }
        assert_eq!(Role::parse("root"), None);
    }

    #[test]
    fn passwords_hash_with_argon2id_and_verify() {
        let h = hash_password("كلمة سر طويلة جدا").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("كلمة سر طويلة جدا", &h));
        assert!(!verify_password("كلمة سر طويلة جداً", &h));
        assert!(!verify_password("x", "not a hash"));
        assert!(check_password("short").is_err());
        assert!(check_password("aaaaaaaaaaaaaaaa").is_err());
        assert!(check_password("horse battery staple").is_ok());
    }

    #[test]
    fn secrets_are_random_and_stored_hashed() {
        let (a, b) = (new_secret(), new_secret());
        assert_ne!(a, b);
        assert_eq!(a.len(), 43);
        assert_eq!(secret_hash(&a).len(), 64);
        let (id, key) = new_api_key();
        assert!(key.starts_with("rasd_") && key[5..].starts_with(&id));
        assert!(constant_time_eq("abc", "abc") && !constant_time_eq("abc", "abd"));
        assert!(!constant_time_eq("abc", "ab"));
    }

    #[test]
    fn the_rate_limit_counts_per_address() {
        let limits = RateLimiter::default();
        let a = ClientAddr(Some("10.0.0.1".parse().unwrap()));
        let b = ClientAddr(Some("10.0.0.2".parse().unwrap()));
        for _ in 0..3 {
            assert!(limits.check(a, 3).is_ok());
        }
        assert!(limits.check(a, 3).is_err());
        assert!(limits.check(b, 3).is_ok());
    }

    #[test]
    fn cookies_are_read_by_name_and_written_strict() {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            "a=1; rasd_session=xyz; b=2".parse().unwrap(),
        );
        assert_eq!(cookie(&h, SESSION_COOKIE), Some("xyz"));
        assert_eq!(cookie(&h, "c"), None);
        let s = set_cookie(&ServerSettings::default(), SESSION_COOKIE, "v", 60);
        assert!(s.contains("HttpOnly") && s.contains("SameSite=Strict") && s.contains("Secure"));
    }
}
