//! Rasd's web server (axum): the analysts' search page, the JSON API and health checks.
//!
//! [`app`] builds the [`axum::Router`] from an [`AppState`] (the [`rasd_store::Store`], the
//! [`rasd_search::SearchIndex`] and the [`rasd_core::Config`]); [`serve`] runs it until a
//! shutdown future resolves. Routes:
//!
//! | route | what |
//! | --- | --- |
//! | `GET /` | search page: query, filters by language, topic, governorate, sentiment and police flag, results, facets |
//! | `GET /api/search?q=&lang=&topic=&place=&source=&sentiment=&police=&limit=&offset=` | the same as JSON |
//! | `GET /item/{id}` | one item as stored: text, tags, sentiment, police flag, link to the original |
//! | `GET /digest?date=YYYY-MM-DD` | the daily digest as HTML (today when no date) |
//! | `GET /api/status` | counts of items by language, topic and kind |
//! | `GET /healthz` | JSON: items, the store's and the index's change numbers and the lag; 503 when the index is more than [`HEALTHY_LAG`] changes behind |
//! | `GET /static/rasd.css` | the pages' stylesheet |
//!
//! Errors become responses that say what to fix (a bad query, a bad date) and hide internals.
//!
//! Every request passes the `Host` allow-list ([`AllowedHosts`], from `[server]
//! allowed_hosts`) and every response carries strict security headers (a
//! Content-Security-Policy with no script and no inline style, `nosniff`, no framing, no
//! referrer); see the `guard` module. Text from feeds is shown, in pages and in the API's
//! titles and snippets, without its bidi controls ([`rasd_core::text::neutralize_bidi`]),
//! and pages isolate it (`dir="auto"`, `<bdi>`). [`warn_if_exposed`] is for the binary to
//! call once the listener is bound.

mod guard;
mod pages;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::Json;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::middleware;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use chrono::{NaiveDate, Utc};
use rasd_core::{Config, Lang, Polarity};
use rasd_search::{SearchIndex, SearchQuery, SearchResults};
use rasd_store::Store;
use serde::{Deserialize, Serialize};

pub use guard::{AllowedHosts, warn_if_exposed};

/// What every handler shares.
#[derive(Debug, Clone)]
pub struct AppState {
    /// The store (source of truth).
    pub store: Arc<Store>,
    /// The search index (read side).
    pub index: Arc<SearchIndex>,
    /// The loaded configuration.
    pub config: Arc<Config>,
    /// The rules and models of `config`, built once: the item page re-runs their
    /// explanation on the stored text ("why these tags").
    pub enricher: Arc<rasd_enrich::Enricher>,
}

/// Errors a handler can return; each maps to a status and a message for the client.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The client sent something unusable; the message says what to send instead.
    #[error("{0}")]
    BadRequest(String),
    /// Something failed inside Rasd; details go to the log, not to the client.
    #[error("internal error: {0}")]
    Internal(String),
}

/// The web crate's result alias.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        match self {
            Error::BadRequest(message) => (
                StatusCode::BAD_REQUEST,
                Json(serde_json::json!({ "error": message })),
            )
                .into_response(),
            Error::Internal(detail) => {
                tracing::error!(error = %detail, "Request failed.");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    Json(serde_json::json!({ "error": "internal error; the server log has the details" })),
                )
                    .into_response()
            }
        }
    }
}

fn search_error(e: rasd_search::Error) -> Error {
    match e {
        rasd_search::Error::Query { .. } => Error::BadRequest(e.to_string()),
        other => Error::Internal(other.to_string()),
    }
}

/// The routes of the server, answering the hosts allowed for `[server] listen` as
/// configured ([`serve`] uses the address it is actually bound to).
pub fn app(state: AppState) -> Router {
    let listen = state
        .config
        .settings
        .server
        .listen
        .parse()
        .unwrap_or(SocketAddr::from(([127, 0, 0, 1], 8080)));
    let allowed = AllowedHosts::new(&state.config.settings.server, listen);
    router(state, allowed)
}

/// The routes behind the `Host` check, every response with the security headers (the
/// outermost layer, so refusals, 404s and assets carry them too).
fn router(state: AppState, allowed: AllowedHosts) -> Router {
    Router::new()
        .route("/", get(search_page))
        .route("/api/search", get(api_search))
        .route("/api/status", get(api_status))
        .route("/item/{id}", get(item_page))
        .route("/digest", get(digest_page))
        .route("/digests", get(digest_archive))
        .route("/healthz", get(healthz))
        .route("/static/rasd.css", get(stylesheet))
        .fallback(not_found)
        .with_state(state)
        .layer(middleware::from_fn_with_state(
            Arc::new(allowed),
            guard::check_host,
        ))
        .layer(middleware::map_response(guard::security_headers))
}

/// Serves [`app`] on `listener` until `shutdown` resolves, finishing requests in flight.
/// The default `Host` allow-list is computed from the address the listener is bound to.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let allowed = AllowedHosts::new(&state.config.settings.server, listener.local_addr()?);
    tracing::info!(hosts = ?allowed.iter().collect::<Vec<_>>(), "Web UI answers these Host names.");
    axum::serve(listener, router(state, allowed))
        .with_graceful_shutdown(shutdown)
        .await
}

/// The pages' stylesheet (the pages have no inline style, see [`guard`]).
const STYLESHEET: &str = include_str!("../static/rasd.css");

async fn stylesheet() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        STYLESHEET,
    )
}

async fn not_found() -> (StatusCode, &'static str) {
    (
        StatusCode::NOT_FOUND,
        "Not found: Rasd has no page at this address. The search page is at /.\n",
    )
}

/// Query-string parameters of the search page and API.
#[derive(Debug, Default, Deserialize)]
pub struct SearchParams {
    /// The query text.
    #[serde(default)]
    pub q: String,
    /// `ar`, `en` or `other`.
    #[serde(default)]
    pub lang: Option<String>,
    /// A topic id.
    #[serde(default)]
    pub topic: Option<String>,
    /// A governorate id.
    #[serde(default)]
    pub place: Option<String>,
    /// A source id.
    #[serde(default)]
    pub source: Option<String>,
    /// `positive`, `negative` or `neutral`, or several separated by commas (any of them).
    #[serde(default)]
    pub sentiment: Option<String>,
    /// `yes` (only items about the police) or `no` (only the others).
    #[serde(default)]
    pub police: Option<String>,
    /// Page size (1–100, default 20).
    #[serde(default)]
    pub limit: Option<usize>,
    /// Hits to skip.
    #[serde(default)]
    pub offset: Option<usize>,
}

fn non_empty(v: &Option<String>) -> Option<String> {
    v.as_ref()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
}

impl SearchParams {
    /// Turns the parameters into a query, refusing values that cannot be right.
    pub fn to_query(&self) -> Result<SearchQuery> {
        let lang = match non_empty(&self.lang).as_deref() {
            None => None,
            Some(code @ ("ar" | "en" | "other")) => Some(Lang::from_code(code)),
            Some(other) => {
                return Err(Error::BadRequest(format!(
                    "unknown lang {other:?}: use ar, en or other"
                )));
            }
        };
        let sentiment = match non_empty(&self.sentiment) {
            None => Vec::new(),
            Some(list) => parse_sentiments(&list)?,
        };
        let about_police = match non_empty(&self.police) {
            None => None,
            Some(flag) => Some(parse_police(&flag)?),
        };
        let limit = self.limit.unwrap_or(20);
        if !(1..=100).contains(&limit) {
            return Err(Error::BadRequest(format!(
                "limit {limit} is out of range: use 1 to 100"
            )));
        }
        Ok(SearchQuery {
            text: self.q.trim().to_string(),
            limit,
            offset: self.offset.unwrap_or(0).min(10_000),
            lang,
            topics: non_empty(&self.topic).into_iter().collect(),
            places: non_empty(&self.place).into_iter().collect(),
            sources: non_empty(&self.source).into_iter().collect(),
            sentiment,
            about_police,
            ..SearchQuery::default()
        })
    }
}

/// Reads `sentiment=negative` or `sentiment=negative,neutral`.
fn parse_sentiments(list: &str) -> Result<Vec<Polarity>> {
    let mut out = Vec::new();
    for part in list.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let Some(p) = Polarity::parse(part) else {
            return Err(Error::BadRequest(format!(
                "unknown sentiment {part:?}: use positive, negative or neutral (or إيجابي، سلبي، محايد), or several \
                 separated by commas (sentiment=negative,neutral)"
            )));
        };
        if !out.contains(&p) {
            out.push(p);
        }
    }
    Ok(out)
}

/// Reads `police=yes` or `police=no`.
fn parse_police(flag: &str) -> Result<bool> {
    match flag.to_ascii_lowercase().as_str() {
        "yes" | "true" => Ok(true),
        "no" | "false" => Ok(false),
        _ => Err(Error::BadRequest(format!(
            "unknown police flag {flag:?}: use police=yes for items about the Public Security \
             Directorate or police=no for the others"
        ))),
    }
}

async fn run_search(state: &AppState, mut query: SearchQuery) -> Result<SearchResults> {
    query.tz = Some(state.config.settings.tz());
    let index = state.index.clone();
    tokio::task::spawn_blocking(move || index.search(&query))
        .await
        .map_err(|e| Error::Internal(e.to_string()))?
        .map_err(search_error)
}

async fn api_search(
    State(state): State<AppState>,
    Query(params): Query<SearchParams>,
) -> Result<Json<SearchResults>> {
    let query = params.to_query()?;
    // Titles and snippets come without bidi controls from the index.
    Ok(Json(run_search(&state, query).await?))
}

/// The search page; a bad parameter or query is a 400 whose page says what to fix.
async fn search_page(
    State(state): State<AppState>,
    Query(params): Query<SearchParams>,
) -> (StatusCode, Html<String>) {
    let outcome = match params.to_query() {
        Ok(query) => run_search(&state, query).await,
        Err(e) => Err(e),
    };
    let status = match &outcome {
        Ok(_) => StatusCode::OK,
        Err(Error::BadRequest(_)) => StatusCode::BAD_REQUEST,
        Err(Error::Internal(detail)) => {
            tracing::error!(error = %detail, "Search page failed.");
            StatusCode::INTERNAL_SERVER_ERROR
        }
    };
    (
        status,
        Html(pages::search_page(&state.config, &params, &outcome)),
    )
}

async fn item_page(State(state): State<AppState>, Path(id): Path<String>) -> Result<Response> {
    if id.len() > 64 || !id.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err(Error::BadRequest(format!(
            "invalid item id {id:?}: ids are hexadecimal, as in search results"
        )));
    }
    let store = state.store.clone();
    let item = tokio::task::spawn_blocking(move || store.get_item(&id))
        .await
        .map_err(|e| Error::Internal(e.to_string()))?
        .map_err(|e| Error::Internal(e.to_string()))?;
    Ok(match item {
        Some(item) => {
            let why = state.enricher.explain_item(&item.title, &item.body);
            Html(pages::item_page(&state.config, &item, &why)).into_response()
        }
        None => (StatusCode::NOT_FOUND, Html(pages::not_found_page())).into_response(),
    })
}

#[derive(Debug, Deserialize)]
struct DigestParams {
    #[serde(default)]
    date: Option<String>,
}

async fn digest_page(
    State(state): State<AppState>,
    Query(params): Query<DigestParams>,
) -> Result<Response> {
    let tz = state.config.settings.tz();
    let date = match non_empty(&params.date) {
        None => Utc::now().with_timezone(&tz).date_naive(),
        Some(s) => NaiveDate::parse_from_str(&s, "%Y-%m-%d").map_err(|_| {
            Error::BadRequest(format!(
                "invalid date {s:?}: write it as YYYY-MM-DD, such as 2026-11-28"
            ))
        })?,
    };
    let store = state.store.clone();
    let config = state.config.clone();
    let digest =
        tokio::task::spawn_blocking(move || rasd_detect::build_digest(&store, &config, date))
            .await
            .map_err(|e| Error::Internal(e.to_string()))?
            .map_err(|e| Error::Internal(e.to_string()))?;
    // The digest keeps its inline stylesheet (it is also e-mailed); its own CSP allows it.
    let today = Utc::now().with_timezone(&tz).date_naive();
    let html = pages::with_day_links(&rasd_deliver::digest_html(&digest), date, today);
    Ok((
        [(header::CONTENT_SECURITY_POLICY, guard::DIGEST_CSP.clone())],
        Html(html),
    )
        .into_response())
}

/// Days the digest can be read for: the last [`ARCHIVE_DAYS`] days with items, newest first.
async fn digest_archive(State(state): State<AppState>) -> Result<Html<String>> {
    let tz = state.config.settings.tz();
    let store = state.store.clone();
    let now = Utc::now();
    let hours = tokio::task::spawn_blocking(move || {
        store.items_per_hour(
            now - chrono::Duration::days(ARCHIVE_DAYS),
            now + chrono::Duration::hours(1),
        )
    })
    .await
    .map_err(|e| Error::Internal(e.to_string()))?
    .map_err(|e| Error::Internal(e.to_string()))?;
    let mut days: std::collections::BTreeMap<NaiveDate, usize> = std::collections::BTreeMap::new();
    for (hour, n) in hours {
        *days
            .entry(hour.with_timezone(&tz).date_naive())
            .or_default() += n;
    }
    Ok(Html(pages::digest_archive_page(&days)))
}

/// How far back the digest archive lists days.
const ARCHIVE_DAYS: i64 = 90;

async fn api_status(State(state): State<AppState>) -> Result<Json<rasd_store::Status>> {
    let store = state.store.clone();
    let status = tokio::task::spawn_blocking(move || store.status())
        .await
        .map_err(|e| Error::Internal(e.to_string()))?
        .map_err(|e| Error::Internal(e.to_string()))?;
    Ok(Json(status))
}

/// How far the index lags behind the store, for `/healthz` and `rasd status`.
#[derive(Debug, Clone, Serialize)]
pub struct IndexLag {
    /// The store's latest change number.
    pub store_seq: u64,
    /// The last change the index applied (`None`: it records none, or another store's).
    pub index_seq: Option<u64>,
    /// Changes not yet searchable.
    pub lag: u64,
}

/// Compares the index's record of what it applied with the store's latest change.
pub fn index_lag(store: &Store, index: &SearchIndex) -> anyhow::Result<IndexLag> {
    let store_seq = store.head_seq()?;
    let store_id = store.store_id()?;
    let index_seq = index
        .applied()?
        .filter(|m| m.store_id == store_id)
        .map(|m| m.seq);
    Ok(IndexLag {
        store_seq,
        index_seq,
        lag: store_seq.saturating_sub(index_seq.unwrap_or(0)),
    })
}

/// Changes the index may be behind the store and still be healthy: the writer applies them
/// after every stored batch, a page of this many at a time.
pub const HEALTHY_LAG: u64 = 1000;

async fn healthz(State(state): State<AppState>) -> Result<Response> {
    let (store, index) = (state.store.clone(), state.index.clone());
    let (items, lag) = tokio::task::spawn_blocking(move || {
        let items = store.status()?.items;
        anyhow::Ok((items, index_lag(&store, &index)?))
    })
    .await
    .map_err(|e| Error::Internal(e.to_string()))?
    .map_err(|e| Error::Internal(e.to_string()))?;
    let healthy = lag.lag <= HEALTHY_LAG;
    let body = serde_json::json!({
        "status": if healthy { "ok" } else { "index_behind" },
        "items": items,
        "store_seq": lag.store_seq,
        "index_seq": lag.index_seq,
        "index_lag": lag.lag,
    });
    let code = if healthy {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    Ok((code, Json(body)).into_response())
}

#[cfg(test)]
mod tests;
