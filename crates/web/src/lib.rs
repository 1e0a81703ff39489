//! Rasd's web server (axum): the analysts' search page, the JSON API and health checks.
//!
//! [`app`] builds the [`axum::Router`] from an [`AppState`] (the [`rasd_store::Store`], the
//! [`rasd_search::SearchIndex`] and the [`rasd_core::Config`]); [`serve`] runs it until a
//! shutdown future resolves. Routes:
//!
//! | route | what |
//! | --- | --- |
//! | `GET /` or `/search` | search page: query, filters (language, topic, governorate, source, sentiment, police flag, kind, days), sort, pages, highlighted hits folded by story, facets, the date histogram, saved searches, export links |
//! | `GET /api/v1/search?q=&page=&size=&sort=&format=json\|csv\|jsonl&…filters` | the same as JSON (hits with snippets and highlights, facets, total, `took_ms`), or every hit as CSV or JSON lines |
//! | `GET /api/search?q=&…filters&limit=&offset=` | the first API: a page of hits, the total and the facets |
//! | `GET /item/{id}` | one item as stored: text, tags, sentiment, police flag, link to the original |
//! | `GET /digest?date=YYYY-MM-DD` | the daily digest as HTML (today when no date) |
//! | `GET /api/status` | counts of items by language, topic and kind |
//! | `GET /healthz` | JSON: items, the store's and the index's change numbers and the lag; 503 when the index is more than [`HEALTHY_LAG`] changes behind |
//! | `GET /metrics` | counters and request latencies in the Prometheus text format (see the `metrics` module) |
//! | `GET /api/v1/openapi.json` | the machine API's OpenAPI 3.1 document (the `openapi` module), without a log-in |
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

pub mod account;
pub mod auth;
mod desk;
pub mod forms_csv;
mod guard;
mod metrics;
pub mod openapi;
mod pages;
pub mod report;
mod search_page;
pub mod ui;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::Json;
use axum::Router;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::middleware;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use chrono::{NaiveDate, Utc};
use rasd_core::Config;
use rasd_search::{SearchIndex, SearchQuery, SearchResults};
use rasd_store::Store;
use serde::{Deserialize, Serialize};

pub use guard::{AllowedHosts, warn_if_exposed};

/// What every handler shares.
#[derive(Debug, Clone)]
pub struct AppState {
    /// Woken when the web stored something the index and the alert rules must follow (a
    /// submission, a tag fix); whoever holds the index writer listens.
    pub changed: Arc<tokio::sync::Notify>,
    /// The limits kept in memory (the public form's rate limit).
    pub limits: auth::SharedLimits,
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

impl AppState {
    /// The state of a server over this store, index, config and enricher.
    pub fn new(
        store: Arc<Store>,
        index: Arc<SearchIndex>,
        config: Arc<Config>,
        enricher: Arc<rasd_enrich::Enricher>,
    ) -> AppState {
        AppState {
            changed: Arc::new(tokio::sync::Notify::new()),
            limits: Arc::default(),
            store,
            index,
            config,
            enricher,
        }
    }
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

/// So handlers answering `Result<Response, Response>` can use `?` on an [`Error`].
impl From<Error> for Response {
    fn from(e: Error) -> Response {
        e.into_response()
    }
}

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
        rasd_search::Error::Query { .. } | rasd_search::Error::Filter(_) => {
            Error::BadRequest(e.to_string())
        }
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

/// The routes of the analysts' face behind the `Host` check and the log-in, every response
/// with the security headers (the outermost layer, so refusals, 404s and assets carry them
/// too).
fn router(state: AppState, allowed: AllowedHosts) -> Router {
    Router::new()
        .route("/", get(search_page))
        .route("/search", get(search_page))
        .route("/login", get(account::login_page).post(account::login))
        .route("/logout", post(account::logout))
        .route("/lang", get(account::switch_lang))
        .route("/account", get(account::account_page))
        .route("/account/keys", post(account::make_key))
        .route("/account/keys/revoke", post(account::revoke_key))
        .route("/users", get(account::users_page))
        .route("/users/update", post(account::update_user))
        .route("/audit", get(account::audit_page))
        .route("/submissions", get(desk::inbox))
        .route(
            "/submissions/{reference}",
            get(desk::submission).post(desk::act_on_submission),
        )
        .route("/alerts", get(desk::alerts_page))
        .route("/alerts/{id}/ack", post(desk::ack_alert))
        .route("/sources", get(desk::sources_page))
        .route("/searches", post(desk::save_search))
        .route("/api/search", get(api_search))
        .route("/api/v1/search", get(api_v1_search))
        .route("/api/status", get(api_status))
        .route("/api/v1/items/{id}", get(api_item))
        .route("/api/v1/alerts", get(api_alerts))
        .route("/api/v1/openapi.json", get(openapi::openapi_json))
        .route("/item/{id}", get(item_page))
        .route("/item/{id}/tags", post(desk::fix_tags))
        .route("/digest", get(digest_page))
        .route("/digests", get(digest_archive))
        .route("/metrics", get(metrics::metrics_page))
        .merge(public_routes())
        .fallback(not_found)
        .with_state(state.clone())
        .layer(middleware::from_fn_with_state(
            state.clone(),
            auth::require_login,
        ))
        .layer(middleware::from_fn_with_state(state, auth::client_addr))
        .layer(middleware::from_fn_with_state(
            Arc::new(allowed),
            guard::check_host,
        ))
        .layer(middleware::map_response(guard::security_headers))
        // Counts and times every request, refused ones included (see the `metrics` module).
        .layer(middleware::from_fn(metrics::track))
}

/// The routes both faces serve: the public form, its API, health and the stylesheet.
fn public_routes() -> Router<AppState> {
    Router::new()
        .route(
            "/report",
            get(report::report_page)
                .post(report::submit_form)
                .layer(axum::extract::DefaultBodyLimit::max(report::MAX_BODY)),
        )
        .route(
            "/api/v1/submissions",
            post(report::submit_api).layer(axum::extract::DefaultBodyLimit::max(report::MAX_BODY)),
        )
        .route("/healthz", get(healthz))
        .route("/static/rasd.css", get(stylesheet))
}

/// The public face (`[server] public_listen`): only [`public_routes`], behind its own
/// `Host` check, with the client address worked out as on the analysts' face.
pub fn public_router(state: AppState, allowed: AllowedHosts) -> Router {
    public_routes()
        .fallback(public_not_found)
        .with_state(state.clone())
        .layer(middleware::from_fn_with_state(state, auth::client_addr))
        .layer(middleware::from_fn_with_state(
            Arc::new(allowed),
            guard::check_host,
        ))
        .layer(middleware::map_response(guard::security_headers))
        .layer(middleware::from_fn(metrics::track))
}

async fn public_not_found() -> (StatusCode, &'static str) {
    (
        StatusCode::NOT_FOUND,
        "Not found. The form is at /report. / غير موجود. النموذج في /report.\n",
    )
}

/// Serves [`app`] on `listener` until `shutdown` resolves, finishing requests in flight.
/// The default `Host` allow-list is computed from the address the listener is bound to.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    serve_face(listener, state, shutdown, router, "Web UI").await
}

/// Serves the public face ([`public_router`]) on `listener` until `shutdown` resolves.
pub async fn serve_public(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    serve_face(listener, state, shutdown, public_router, "Public form").await
}

/// One face (`make`'s router) on `listener`, its `Host` allow-list from the listener's
/// address, until `shutdown` resolves.
async fn serve_face(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
    make: fn(AppState, AllowedHosts) -> Router,
    face: &str,
) -> std::io::Result<()> {
    let allowed = AllowedHosts::new(&state.config.settings.server, listener.local_addr()?);
    tracing::info!(hosts = ?allowed.iter().collect::<Vec<_>>(), "{face} answers these Host names.");
    axum::serve(
        listener,
        make(state, allowed).into_make_service_with_connect_info::<SocketAddr>(),
    )
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
#[derive(Debug, Default, Clone, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchParams {
    /// The query text.
    #[serde(default)]
    pub q: String,
    /// `ar`, `en` or `other`.
    #[serde(default)]
    pub lang: Option<String>,
    /// Topic ids, separated by commas (any of them).
    #[serde(default)]
    pub topic: Option<String>,
    /// Governorate ids, separated by commas (any of them).
    #[serde(default)]
    pub place: Option<String>,
    /// Source ids, separated by commas (any of them).
    #[serde(default)]
    pub source: Option<String>,
    /// `positive`, `negative` or `neutral`, or several separated by commas (any of them).
    #[serde(default)]
    pub sentiment: Option<String>,
    /// `yes` (only items about the police) or `no` (only the others).
    #[serde(default)]
    pub police: Option<String>,
    /// `article` or `comment`.
    #[serde(default)]
    pub kind: Option<String>,
    /// First day (`YYYY-MM-DD`, in the configured time zone), included.
    #[serde(default)]
    #[param(format = Date)]
    pub after: Option<String>,
    /// Last day (`YYYY-MM-DD`, in the configured time zone), included.
    #[serde(default)]
    #[param(format = Date)]
    pub before: Option<String>,
    /// `date` (newest first) or `relevance` (the default with words).
    #[serde(default)]
    #[param(pattern = "^(date|newest|relevance|score)?$")]
    pub sort: Option<String>,
    /// Page number, from 1.
    #[serde(default)]
    #[param(minimum = 1)]
    pub page: Option<usize>,
    /// Hits per page (1–100, default 20).
    #[serde(default)]
    #[param(minimum = 1, maximum = 100)]
    pub size: Option<usize>,
    /// The same as `size` (the first API's name).
    #[serde(default)]
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<usize>,
    /// Hits to skip (the first API's paging; `page` is simpler).
    #[serde(default)]
    pub offset: Option<usize>,
    /// `json` (default), `csv` or `jsonl` (every hit, up to `max`).
    #[serde(default)]
    #[param(pattern = "^(json|csv|jsonl)?$")]
    pub format: Option<String>,
    /// Most hits an export writes (default 10,000, at most [`rasd_search::MAX_EXPORT`]).
    #[serde(default)]
    #[param(minimum = 1, maximum = 100_000)]
    pub max: Option<usize>,
    /// The name of a saved search to run (its query and filters, with these added).
    #[serde(default)]
    pub saved: Option<String>,
}

fn non_empty(v: &Option<String>) -> Option<String> {
    v.as_ref()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
}

/// Largest page size of the page and API.
pub const MAX_PAGE_SIZE: usize = 100;

impl SearchParams {
    /// The filters, by name, as [`rasd_search::apply_filters`] reads them.
    pub fn filters(&self) -> std::collections::BTreeMap<String, Vec<String>> {
        let mut m = std::collections::BTreeMap::new();
        for (name, value) in [
            ("lang", &self.lang),
            ("topic", &self.topic),
            ("place", &self.place),
            ("source", &self.source),
            ("sentiment", &self.sentiment),
            ("police", &self.police),
            ("kind", &self.kind),
        ] {
            if let Some(v) = non_empty(value) {
                m.insert(name.to_string(), vec![v]);
            }
        }
        m
    }

    /// Hits per page.
    pub fn size(&self) -> Result<usize> {
        let size = self.size.or(self.limit).unwrap_or(20);
        if !(1..=MAX_PAGE_SIZE).contains(&size) {
            return Err(Error::BadRequest(format!(
                "size {size} is out of range: use 1 to {MAX_PAGE_SIZE}"
            )));
        }
        Ok(size)
    }

    /// Hits skipped before the page.
    pub fn offset(&self) -> Result<usize> {
        let size = self.size()?;
        match (self.page, self.offset) {
            (Some(0), _) => Err(Error::BadRequest(
                "page 0 does not exist: pages count from 1".into(),
            )),
            (Some(page), _) => Ok((page - 1).saturating_mul(size).min(rasd_search::MAX_EXPORT)),
            (None, offset) => Ok(offset.unwrap_or(0).min(rasd_search::MAX_EXPORT)),
        }
    }

    /// Turns the parameters into a query (with the saved search they name, from `store`),
    /// refusing values that cannot be right with what to send instead.
    pub fn to_query(&self, config: &Config, store: Option<&Store>) -> Result<SearchQuery> {
        let tz = config.settings.tz();
        let mut q = SearchQuery {
            limit: self.size()?,
            offset: self.offset()?,
            tz: Some(tz),
            ..SearchQuery::default()
        };
        let (topics, places) = (config.topic_ids(), config.governorate_ids());
        let known = rasd_search::KnownIds {
            topics: &topics,
            places: &places,
        };
        let mut text = Vec::new();
        if let (Some(name), Some(store)) = (non_empty(&self.saved), store) {
            let saved = store
                .saved_search(&name)
                .map_err(|e| Error::Internal(e.to_string()))?
                .ok_or_else(|| {
                    Error::BadRequest(format!(
                        "there is no saved search {name:?}; the list is on the search page"
                    ))
                })?;
            rasd_search::apply_filters(&mut q, &saved.filters, known).map_err(search_error)?;
            text.push(saved.query);
        }
        rasd_search::apply_filters(&mut q, &self.filters(), known).map_err(search_error)?;
        text.push(self.q.trim().to_string());
        q.text = text.join(" ").trim().to_string();
        q.by_date = match non_empty(&self.sort).as_deref() {
            None => None,
            Some("date" | "newest") => Some(true),
            Some("relevance" | "score") => Some(false),
            Some(other) => {
                return Err(Error::BadRequest(format!(
                    "unknown sort {other:?}: use date (newest first) or relevance"
                )));
            }
        };
        let day = |name: &str, v: &Option<String>| -> Result<Option<chrono::DateTime<Utc>>> {
            let Some(v) = non_empty(v) else {
                return Ok(None);
            };
            let d = NaiveDate::parse_from_str(&v, "%Y-%m-%d").map_err(|_| {
                Error::BadRequest(format!("{name} {v:?} is not a date: write YYYY-MM-DD"))
            })?;
            Ok(Some(rasd_core::day_start(d, tz)))
        };
        q.from = day("after", &self.after)?;
        q.to = day("before", &self.before)?.map(|t| t + chrono::Duration::days(1));
        if let (Some(from), Some(to)) = (q.from, q.to)
            && from >= to
        {
            return Err(Error::BadRequest(
                "the last day comes before the first: swap after and before".into(),
            ));
        }
        Ok(q)
    }
}

/// What a search page or API call found, and what it took.
pub(crate) struct Found {
    pub results: SearchResults,
    /// Milliseconds the search took (in the index, snippets included).
    pub took_ms: f64,
    /// Story number of each hit that has one, for folding copies of one story.
    pub stories: std::collections::HashMap<String, u64>,
}

async fn run_search(state: &AppState, query: SearchQuery) -> Result<Found> {
    let index = state.index.clone();
    let store = state.store.clone();
    tokio::task::spawn_blocking(move || {
        let start = std::time::Instant::now();
        let results = index.search(&query).map_err(search_error)?;
        let took_ms = start.elapsed().as_secs_f64() * 1000.0;
        let ids: Vec<&str> = results.hits.iter().map(|h| h.id.as_str()).collect();
        let stories = store.story_of(&ids).unwrap_or_default();
        Ok(Found {
            results,
            took_ms,
            stories,
        })
    })
    .await
    .map_err(|e| Error::Internal(e.to_string()))?
}

/// The query string, or a 400 that says what was wrong with it (a page number that is not
/// a number…).
fn params_of(
    query: std::result::Result<Query<SearchParams>, QueryRejection>,
) -> Result<SearchParams> {
    query.map(|Query(p)| p).map_err(|e| {
        Error::BadRequest(format!(
            "the address has a parameter that cannot be read ({}); page, size and max are              whole numbers, the rest text",
            e.body_text()
        ))
    })
}

/// `GET /api/search`: the first search API (a page as `limit` and `offset`), kept.
async fn api_search(
    State(state): State<AppState>,
    query: std::result::Result<Query<SearchParams>, QueryRejection>,
) -> Result<Json<SearchResults>> {
    let params = params_of(query)?;
    let query = params.to_query(&state.config, Some(&state.store))?;
    Ok(Json(run_search(&state, query).await?.results))
}

/// The answer of `GET /api/v1/search` in JSON.
#[derive(Debug, Serialize, utoipa::ToSchema)]
struct ApiSearch {
    /// The query as run: its text, page, size and order.
    query: ApiQuery,
    /// Matching items, all pages.
    total: usize,
    /// Pages of `size` hits.
    pages: usize,
    /// Milliseconds the search took in the index.
    took_ms: f64,
    hits: Vec<rasd_search::Hit>,
    facets: rasd_search::Facets,
}

/// The query as run.
#[derive(Debug, Serialize, utoipa::ToSchema)]
struct ApiQuery {
    q: String,
    page: usize,
    size: usize,
    sort: &'static str,
}

/// `GET /api/v1/search`: a page of hits with snippets and highlights, the facets (the date
/// histogram included), the total and `took_ms`; `format=csv` or `format=jsonl` exports
/// every hit instead (up to `max`).
#[utoipa::path(
    get,
    path = "/api/v1/search",
    tag = "search",
    params(SearchParams),
    responses(
        (status = 200, description = "A page of hits (`format=json`), or every hit as a download \
            (`format=csv` or `jsonl`, with the headers `X-Rasd-Total` and `X-Rasd-Exported`)",
            content(
                (ApiSearch = "application/json"),
                (String = "text/csv"),
                (String = "application/x-ndjson"),
            ),
            links(("item" = (operation_id = "api_item",
                parameters(("id" = "$response.body#/hits/0/id")),
                description = "The first hit as stored")))),
        (status = 400, response = openapi::BadRequest),
        (status = 401, response = openapi::Unauthorized),
        (status = 403, response = openapi::Forbidden),
        (status = 500, response = openapi::Internal),
    ),
    security(("api_key" = []), ("session" = []))
)]
async fn api_v1_search(
    State(state): State<AppState>,
    query: std::result::Result<Query<SearchParams>, QueryRejection>,
) -> Result<Response> {
    let params = params_of(query)?;
    let q = params.to_query(&state.config, Some(&state.store))?;
    let format = non_empty(&params.format).unwrap_or_else(|| "json".into());
    match format.as_str() {
        "json" => {
            let size = q.limit;
            let page = q.offset / size + 1;
            let sort = match (q.by_date, q.text.is_empty()) {
                (Some(true), _) | (None, true) => "date",
                _ => "relevance",
            };
            let text = q.text.clone();
            let found = run_search(&state, q).await?;
            Ok(Json(ApiSearch {
                query: ApiQuery {
                    q: text,
                    page,
                    size,
                    sort,
                },
                total: found.results.total,
                pages: found.results.total.div_ceil(size),
                took_ms: (found.took_ms * 100.0).round() / 100.0,
                hits: found.results.hits,
                facets: found.results.facets,
            })
            .into_response())
        }
        "csv" | "jsonl" => export(&state, q, &format, params.max).await,
        other => Err(Error::BadRequest(format!(
            "unknown format {other:?}: use json (a page), csv or jsonl (every hit)"
        ))),
    }
}

/// Every hit of `q` as CSV or JSON lines, as a download.
async fn export(
    state: &AppState,
    q: SearchQuery,
    format: &str,
    max: Option<usize>,
) -> Result<Response> {
    let max = max.unwrap_or(10_000);
    if !(1..=rasd_search::MAX_EXPORT).contains(&max) {
        return Err(Error::BadRequest(format!(
            "max {max} is out of range: use 1 to {}",
            rasd_search::MAX_EXPORT
        )));
    }
    let index = state.index.clone();
    let tz = state.config.settings.tz();
    let csv = format == "csv";
    let (body, written, total) = tokio::task::spawn_blocking(move || {
        let results = index.export(&q, max).map_err(search_error)?;
        let mut body = Vec::new();
        let written = if csv {
            rasd_search::write_csv(&mut body, &results.hits, tz)
        } else {
            rasd_search::write_jsonl(&mut body, &results.hits, tz)
        };
        written.map_err(|e| Error::Internal(e.to_string()))?;
        Ok::<_, Error>((body, results.hits.len(), results.total))
    })
    .await
    .map_err(|e| Error::Internal(e.to_string()))??;
    let (mime, name) = if csv {
        ("text/csv; charset=utf-8", "rasd-search.csv")
    } else {
        ("application/x-ndjson; charset=utf-8", "rasd-search.jsonl")
    };
    Ok((
        [
            (header::CONTENT_TYPE, mime.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
            (
                header::HeaderName::from_static("x-rasd-total"),
                total.to_string(),
            ),
            (
                header::HeaderName::from_static("x-rasd-exported"),
                written.to_string(),
            ),
        ],
        body,
    )
        .into_response())
}

/// The search page (`/` and `/search`); a bad parameter or query is a 400 whose page says
/// what to fix.
async fn search_page(
    State(state): State<AppState>,
    account::Page(ctx): account::Page,
    query: std::result::Result<Query<SearchParams>, QueryRejection>,
) -> (StatusCode, maud::Markup) {
    let (params, outcome) = match params_of(query) {
        Ok(params) => {
            let outcome = match params.to_query(&state.config, Some(&state.store)) {
                Ok(query) => run_search(&state, query).await,
                Err(e) => Err(e),
            };
            (params, outcome)
        }
        Err(e) => (SearchParams::default(), Err(e)),
    };
    let status = match &outcome {
        Ok(_) => StatusCode::OK,
        Err(Error::BadRequest(_)) => StatusCode::BAD_REQUEST,
        Err(Error::Internal(detail)) => {
            tracing::error!(error = %detail, "Search page failed.");
            StatusCode::INTERNAL_SERVER_ERROR
        }
    };
    let saved = state.store.saved_searches().unwrap_or_default();
    (
        status,
        search_page::search_page(&ctx, &state.config, &params, &outcome, &saved),
    )
}

async fn item_page(
    State(state): State<AppState>,
    account::Page(ctx): account::Page,
    Path(id): Path<String>,
) -> Result<Response> {
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
            let fix = match &ctx.who {
                Some(who) if who.role.can(auth::Perm::FixTags) => {
                    Some(desk::fix_tags_form(&ctx, who, &state.config, &item))
                }
                _ => None,
            };
            pages::item_page(&ctx, fix, &state.config, &item, &why).into_response()
        }
        None => (StatusCode::NOT_FOUND, pages::not_found_page(&ctx)).into_response(),
    })
}

#[derive(Debug, Deserialize)]
struct DigestParams {
    #[serde(default)]
    date: Option<String>,
}

async fn digest_page(
    State(state): State<AppState>,
    account::Page(ctx): account::Page,
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
    let index = state.index.clone();
    let config = state.config.clone();
    let digest = tokio::task::spawn_blocking(move || {
        rasd_detect::build_digest(&store, Some(&index), &config, date)
    })
    .await
    .map_err(|e| Error::Internal(e.to_string()))?
    .map_err(|e| Error::Internal(e.to_string()))?;
    // The digest keeps its inline stylesheet (it is also e-mailed); its own CSP allows it.
    let today = Utc::now().with_timezone(&tz).date_naive();
    let html = pages::with_day_links(&ctx, &rasd_deliver::digest_html(&digest), date, today);
    Ok((
        [(header::CONTENT_SECURITY_POLICY, guard::DIGEST_CSP.clone())],
        Html(html),
    )
        .into_response())
}

/// Days the digest can be read for: the last [`ARCHIVE_DAYS`] days with items, newest first.
async fn digest_archive(
    State(state): State<AppState>,
    account::Page(ctx): account::Page,
) -> Result<maud::Markup> {
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
    Ok(pages::digest_archive_page(&ctx, &days))
}

/// How far back the digest archive lists days.
const ARCHIVE_DAYS: i64 = 90;

/// An item as `GET /api/v1/items/{id}` gives it: the stored item, its story, and its
/// submission (without the contact) when it came from the form.
#[derive(Debug, Serialize, utoipa::ToSchema)]
struct ApiItem {
    item: rasd_core::Item,
    /// The story (copies of one event) it belongs to, when clustered.
    story: Option<u64>,
    /// Its submission, when it came from the public form.
    submission: Option<rasd_store::SubmissionRecord>,
}

fn check_item_id(id: &str) -> Result<()> {
    if id.len() > 64 || !id.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err(Error::BadRequest(format!(
            "invalid item id {id:?}: ids are hexadecimal, as in search results"
        )));
    }
    Ok(())
}

/// `GET /api/v1/items/{id}`.
#[utoipa::path(
    get,
    path = "/api/v1/items/{id}",
    tag = "items",
    params(("id" = String, Path, pattern = "^[0-9A-Za-z]{1,64}$",
        description = "The item id (hexadecimal, as in search hits)")),
    responses(
        (status = 200, description = "The item as stored, its story and its submission", body = ApiItem),
        (status = 400, response = openapi::BadRequest),
        (status = 401, response = openapi::Unauthorized),
        (status = 403, response = openapi::Forbidden),
        (status = 404, response = openapi::NotFound),
        (status = 500, response = openapi::Internal),
    ),
    security(("api_key" = []), ("session" = []))
)]
async fn api_item(State(state): State<AppState>, Path(id): Path<String>) -> Result<Response> {
    check_item_id(&id)?;
    let store = state.store.clone();
    let found = tokio::task::spawn_blocking(move || -> rasd_store::Result<Option<ApiItem>> {
        let Some(item) = store.get_item(&id)? else {
            return Ok(None);
        };
        let story = store.story_of(&[id.as_str()])?.get(&id).copied();
        let submission = store.submission_of_item(&id)?;
        Ok(Some(ApiItem {
            item,
            story,
            submission,
        }))
    })
    .await
    .map_err(|e| Error::Internal(e.to_string()))?
    .map_err(|e| Error::Internal(e.to_string()))?;
    Ok(match found {
        Some(found) => Json(found).into_response(),
        None => (
            StatusCode::NOT_FOUND,
            Json(serde_json::json!({ "error": "no item has this id" })),
        )
            .into_response(),
    })
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct AlertsParams {
    /// `open` or `acknowledged` (default: both).
    #[serde(default)]
    #[param(pattern = "^(open|acknowledged)?$")]
    state: Option<String>,
    /// Alerts opened in the last this many days (default 30, at most 3660).
    #[serde(default)]
    days: Option<u32>,
    /// Most alerts listed (default 100, at most 1000).
    #[serde(default)]
    limit: Option<usize>,
}

/// `GET /api/v1/alerts?state=open|acknowledged&days=N&limit=N`: alerts, newest first,
/// each with the items counted as its evidence.
#[utoipa::path(
    get,
    path = "/api/v1/alerts",
    tag = "alerts",
    params(AlertsParams),
    responses(
        (status = 200, description = "Alerts, newest first, each with its evidence", body = openapi::AlertList,
            links(("first_item" = (operation_id = "api_item",
                parameters(("id" = "$response.body#/alerts/0/first_item")),
                description = "The first alert's earliest item")))),
        (status = 400, response = openapi::BadRequest),
        (status = 401, response = openapi::Unauthorized),
        (status = 403, response = openapi::Forbidden),
        (status = 500, response = openapi::Internal),
    ),
    security(("api_key" = []), ("session" = []))
)]
async fn api_alerts(
    State(state): State<AppState>,
    who: Option<axum::Extension<auth::Who>>,
    query: std::result::Result<Query<AlertsParams>, QueryRejection>,
) -> std::result::Result<Response, Response> {
    let who = who.ok_or_else(|| auth::Refusal::Forbidden.into_response())?;
    who.require(auth::Perm::Alerts)?;
    let Query(q) = query.map_err(|e| {
        Error::BadRequest(format!(
            "the address has a parameter that cannot be read ({}): days and limit are whole numbers",
            e.body_text()
        ))
        .into_response()
    })?;
    let alert_state = non_empty(&q.state);
    if let Some(s) = &alert_state
        && !matches!(s.as_str(), "open" | "acknowledged")
    {
        return Err(
            Error::BadRequest(format!("unknown state {s:?}: use open or acknowledged"))
                .into_response(),
        );
    }
    let days = i64::from(q.days.unwrap_or(30).clamp(1, 3660));
    let limit = q.limit.unwrap_or(100).clamp(1, 1000);
    let store = state.store.clone();
    let alerts =
        tokio::task::spawn_blocking(move || -> rasd_store::Result<Vec<serde_json::Value>> {
            let list = store.alerts_list(&rasd_store::AlertFilter {
                since: Some(Utc::now() - chrono::Duration::days(days)),
                state: alert_state,
                limit,
            })?;
            let mut out = Vec::new();
            for a in list {
                let evidence = store.alert_items(a.id)?;
                let mut v = serde_json::to_value(&a)?;
                v["evidence"] = serde_json::to_value(&evidence)?;
                out.push(v);
            }
            Ok(out)
        })
        .await
        .map_err(|e| Error::Internal(e.to_string()).into_response())?
        .map_err(|e| Error::Internal(e.to_string()).into_response())?;
    Ok(Json(serde_json::json!({ "alerts": alerts })).into_response())
}

/// `GET /api/status`: counts of the stored items.
#[utoipa::path(
    get,
    path = "/api/status",
    tag = "health",
    responses(
        (status = 200, description = "Counts of the stored items by language, topic, kind and source", body = rasd_store::Status),
        (status = 401, response = openapi::Unauthorized),
        (status = 403, response = openapi::Forbidden),
        (status = 500, response = openapi::Internal),
    ),
    security(("api_key" = []), ("session" = []))
)]
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

/// `GET /healthz`: whether the search index keeps up with the store (no log-in).
#[utoipa::path(
    get,
    path = "/healthz",
    tag = "health",
    responses(
        (status = 200, description = "Healthy", body = openapi::Health),
        (status = 503, description = "The index is more than 1000 changes behind the store", body = openapi::Health),
        (status = 500, response = openapi::Internal),
    )
)]
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
