//! What every request and response passes through: the `Host` allow-list (against DNS
//! rebinding) and the security headers. With the log-in (the `auth` module), these, and listening on
//! loopback, are what keep a hostile web page in an analyst's browser away from the data.

use std::collections::BTreeSet;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, LazyLock};

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::http::header::{self, HeaderName, HeaderValue};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use rasd_core::ServerSettings;
use sha2::{Digest, Sha256};

/// The `Host` header values the server answers, lower-cased: `[server] allowed_hosts`, or
/// when that is empty the listen address's host, `localhost`, `127.0.0.1` and `[::1]`, each
/// with and without the listen port. An unspecified listen address (`0.0.0.0`, `[::]`) is
/// no name anyone browses to, so it is not added: list the real names in `allowed_hosts`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllowedHosts(BTreeSet<String>);

impl AllowedHosts {
    /// The allow-list of `server` for a server bound to `listen`.
    pub fn new(server: &ServerSettings, listen: SocketAddr) -> AllowedHosts {
        if !server.allowed_hosts.is_empty() {
            return AllowedHosts(
                server
                    .allowed_hosts
                    .iter()
                    .map(|h| h.to_ascii_lowercase())
                    .collect(),
            );
        }
        let mut hosts = vec![
            "localhost".to_string(),
            "127.0.0.1".to_string(),
            "[::1]".to_string(),
        ];
        match listen.ip().to_canonical() {
            ip if ip.is_unspecified() => {}
            IpAddr::V4(ip) => hosts.push(ip.to_string()),
            IpAddr::V6(ip) => hosts.push(format!("[{ip}]")),
        }
        let port = listen.port();
        let with_port: Vec<String> = hosts.iter().map(|h| format!("{h}:{port}")).collect();
        AllowedHosts(hosts.into_iter().chain(with_port).collect())
    }

    /// True when a request with this `Host` value is answered (letter case aside).
    pub fn allows(&self, host: &str) -> bool {
        self.0.contains(&host.to_ascii_lowercase())
    }

    /// The allowed values, sorted.
    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(String::as_str)
    }
}

/// Middleware: answers only requests whose `Host` (and, in the rare absolute-form request,
/// whose URI authority) is allowed. A missing, repeated or unreadable `Host` is 400; a
/// host not on the list is 421 Misdirected Request. Both are logged.
pub(crate) async fn check_host(
    State(allowed): State<Arc<AllowedHosts>>,
    request: Request,
    next: Next,
) -> Response {
    let path = request.uri().path().to_string();
    let mut hosts = request.headers().get_all(header::HOST).iter();
    let refusal = match (hosts.next(), hosts.next()) {
        (Some(_), Some(_)) => Some((StatusCode::BAD_REQUEST, None, MANY_HOSTS)),
        (Some(value), None) => match value.to_str() {
            Err(_) => Some((StatusCode::BAD_REQUEST, None, UNREADABLE_HOST)),
            Ok(host) => [Some(host), request.uri().authority().map(|a| a.as_str())]
                .into_iter()
                .flatten()
                .find(|h| !allowed.allows(h))
                .map(|h| {
                    (
                        StatusCode::MISDIRECTED_REQUEST,
                        Some(h.to_string()),
                        FOREIGN_HOST,
                    )
                }),
        },
        (None, _) => match request.uri().authority() {
            Some(a) if allowed.allows(a.as_str()) => None,
            Some(a) => Some((
                StatusCode::MISDIRECTED_REQUEST,
                Some(a.to_string()),
                FOREIGN_HOST,
            )),
            None => Some((StatusCode::BAD_REQUEST, None, NO_HOST)),
        },
    };
    match refusal {
        None => next.run(request).await,
        Some((status, host, message)) => {
            tracing::warn!(
                status = status.as_u16(),
                host = ?host,
                path = %path,
                "Request refused: its Host is missing or not in [server] allowed_hosts."
            );
            (status, message).into_response()
        }
    }
}

const FOREIGN_HOST: &str = "This Rasd server does not answer to that host name. If you reach it \
by this name, add the name to [server] allowed_hosts in rasd.toml.\n";
const NO_HOST: &str = "The request has no Host header; send one, such as Host: localhost:8080.\n";
const MANY_HOSTS: &str = "The request has more than one Host header; send one.\n";
const UNREADABLE_HOST: &str =
    "The Host header is not readable text; send a host name, such as Host: localhost:8080.\n";

/// The Content-Security-Policy of every response but the digest page. The pages have no
/// script and take their styles from `/static/rasd.css` (no `<style>` block, no `style=`
/// attribute), so scripts, inline styles, frames, plugins and connections are all refused.
pub(crate) const CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self' data:; \
form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/// The Content-Security-Policy of `/digest`. The digest page is also e-mailed, where only
/// inline styles survive, so it keeps its one `<style>` element; this policy allows exactly
/// that stylesheet by its SHA-256 (not `'unsafe-inline'`) and otherwise matches [`CSP`].
pub(crate) static DIGEST_CSP: LazyLock<HeaderValue> = LazyLock::new(|| {
    let hash = base64::engine::general_purpose::STANDARD
        .encode(Sha256::digest(rasd_deliver::DIGEST_STYLE.as_bytes()));
    let policy = format!(
        "default-src 'none'; style-src 'self' 'sha256-{hash}'; img-src 'self' data:; \
         form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
    );
    HeaderValue::from_str(&policy).expect("a CSP is visible ASCII")
});

/// Response mapper: the security headers on every response, errors and assets included.
/// A handler that set its own Content-Security-Policy (only `/digest` does) keeps it.
pub(crate) async fn security_headers(mut response: Response) -> Response {
    let headers = response.headers_mut();
    if !headers.contains_key(header::CONTENT_SECURITY_POLICY) {
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CSP),
        );
    }
    for (name, value) in [
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::REFERRER_POLICY, "no-referrer"),
        (
            HeaderName::from_static("cross-origin-opener-policy"),
            "same-origin",
        ),
        (
            HeaderName::from_static("cross-origin-resource-policy"),
            "same-origin",
        ),
    ] {
        headers.insert(name, HeaderValue::from_static(value));
    }
    response
}

/// Logs a warning when the web server is bound beyond loopback: log-in passwords and the
/// session cookie (marked `Secure`) should only travel over HTTPS, which Rasd leaves to a
/// reverse proxy. Returns whether it warned. The binary calls it once the listener is bound.
pub fn warn_if_exposed(addr: SocketAddr) -> bool {
    if addr.ip().to_canonical().is_loopback() {
        return false;
    }
    tracing::warn!(
        address = %addr,
        "The web UI listens beyond loopback over plain HTTP: passwords and session cookies \
         should travel over HTTPS. Prefer [server] listen = \"127.0.0.1:8080\" behind a \
         reverse proxy that terminates TLS, list the names it is reached by in [server] \
         allowed_hosts, and set [server] client_ip_header and trusted_proxies."
    );
    true
}
