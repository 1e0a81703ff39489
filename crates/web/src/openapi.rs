//! The machine API's OpenAPI 3.1 document, served at `GET /api/v1/openapi.json` without a
//! log-in. It is generated (utoipa) from the `#[utoipa::path]` annotations on the handlers
//! and the `ToSchema` derives on the types they answer with, so it follows the code; the
//! router tests check that its paths are routes, and CI (`scripts/api-check.sh`) runs
//! schemathesis against a live server to check the answers against it.
//!
//! The shapes the handlers write with `serde_json::json!` (errors, `/healthz`, the alerts
//! list) are described by the types below, which only serve the document. What only the
//! configuration knows, the ids a submission's `category` and `governorate` may take, is
//! added to the served document from the server's config ([`document`]).

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{RefOr, Schema};
use utoipa::{Modify, OpenApi, ToResponse, ToSchema};

use crate::AppState;

/// The security scheme of an API key (`Authorization: Bearer rasd_…`); the handlers'
/// annotations name it as a literal.
pub const BEARER: &str = "api_key";
/// The security scheme of a browser's session cookie ([`crate::auth::SESSION_COOKIE`]).
pub const SESSION: &str = "session";

/// The document: the machine API's routes and the types they answer with.
#[derive(Debug, OpenApi)]
#[openapi(
    info(
        title = "Rasd API",
        description = "Rasd's machine API: search, items, alerts, the public form's JSON twin, \
            health and metrics. Routes marked with a security requirement need an API key \
            (`Authorization: Bearer rasd_…`, made with `rasd users key NAME`) or a session \
            cookie (`rasd_session`, from logging in on the web). Every error below is JSON \
            `{\"error\": \"…\"}` saying what to send instead; a request for a host name \
            the server does not answer gets a plain-text 421 before any route."
    ),
    paths(
        crate::api_v1_search,
        crate::api_item,
        crate::api_alerts,
        crate::report::submit_api,
        crate::api_status,
        crate::healthz,
        crate::metrics::metrics_page,
        openapi_json,
    ),
    components(
        schemas(ApiError, Rejected, AlertList, AlertWithEvidence, Health),
        responses(
            BadRequest,
            Unauthorized,
            Forbidden,
            NotFound,
            PayloadTooLarge,
            UnsupportedMediaType,
            Unprocessable,
            TooManyRequests,
            Internal
        )
    ),
    modifiers(&SecuritySchemes),
    tags(
        (name = "search", description = "Full-text search over the stored items"),
        (name = "items", description = "Items as stored"),
        (name = "alerts", description = "Alerts raised by the alert rules"),
        (name = "submissions", description = "The public form's JSON twin (no log-in)"),
        (name = "health", description = "Health, counts and metrics"),
    )
)]
pub struct ApiDoc;

/// Adds the two ways to log in as security schemes.
struct SecuritySchemes;

impl Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            BEARER,
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("rasd_…")
                    .description(Some(
                        "An API key, made with `rasd users key NAME` or on the account page; \
                         it acts with its user's role.",
                    ))
                    .build(),
            ),
        );
        components.add_security_scheme(
            SESSION,
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                crate::auth::SESSION_COOKIE,
                "The session cookie set by logging in at /login.",
            ))),
        );
    }
}

/// The document as a server with `config` serves it: [`ApiDoc`], with the config's topic ids
/// (and `other`) as the values a submission's `category` may take, and its governorate ids
/// (and the empty string, not known) as those of `governorate`.
pub fn document(config: &rasd_core::Config) -> utoipa::openapi::OpenApi {
    let mut doc = ApiDoc::openapi();
    let input = doc
        .components
        .as_mut()
        .and_then(|c| c.schemas.get_mut("SubmissionInput"));
    if let Some(RefOr::T(Schema::Object(input))) = input {
        let categories = std::iter::once("other".to_string()).chain(config.topic_ids());
        let governorates = std::iter::once(String::new()).chain(config.governorate_ids());
        for (field, values) in [
            ("category", categories.collect::<Vec<_>>()),
            ("governorate", governorates.collect()),
        ] {
            if let Some(RefOr::T(Schema::Object(property))) = input.properties.get_mut(field) {
                property.enum_values = Some(values.into_iter().map(Into::into).collect());
            }
        }
    }
    doc
}

/// `GET /api/v1/openapi.json`.
#[utoipa::path(
    get,
    path = "/api/v1/openapi.json",
    tag = "health",
    responses(
        (status = 200, description = "This document (OpenAPI 3.1)", body = Object, content_type = "application/json"),
    )
)]
pub(crate) async fn openapi_json(State(state): State<AppState>) -> Response {
    match document(&state.config).to_pretty_json() {
        Ok(json) => (
            [
                (header::CONTENT_TYPE, "application/json"),
                (header::CACHE_CONTROL, "no-cache"),
            ],
            json,
        )
            .into_response(),
        Err(e) => crate::Error::Internal(e.to_string()).into_response(),
    }
}

/// An error: what went wrong, and what to send instead.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ApiError {
    /// The message, in English.
    error: String,
}

/// A body that is not JSON, or a submission that does not pass validation: the message and,
/// for a submission, every problem found.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Rejected {
    /// The message, in English.
    error: String,
    /// Each field's problem, in the language of the submission's `lang`; absent when the
    /// body could not be read as JSON.
    #[serde(skip_serializing_if = "Option::is_none")]
    problems: Option<Vec<crate::report::Problem>>,
}

/// The answer of `GET /api/v1/alerts`.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct AlertList {
    /// Newest first.
    alerts: Vec<AlertWithEvidence>,
}

/// An alert with the items counted as its evidence.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct AlertWithEvidence {
    #[serde(flatten)]
    alert: rasd_store::AlertRecord,
    /// The items the rule counted, where and when.
    evidence: Vec<rasd_store::CountedItem>,
}

/// The answer of `GET /healthz`.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Health {
    status: HealthStatus,
    /// Stored items.
    items: u64,
    /// The store's latest change number.
    store_seq: u64,
    /// The last change the index applied (`null`: none, or another store's).
    index_seq: Option<u64>,
    /// Changes not yet searchable.
    index_lag: u64,
}

/// `ok`, or `index_behind` when the search index is more than 1000 changes
/// ([`crate::HEALTHY_LAG`]) behind the store.
#[derive(Debug, Serialize, ToSchema)]
#[expect(
    dead_code,
    reason = "only described: `healthz` writes these as strings"
)]
#[serde(rename_all = "snake_case")]
pub(crate) enum HealthStatus {
    Ok,
    IndexBehind,
}

/// The request cannot be used as sent: the message says what to send instead.
#[derive(Debug, Serialize, ToResponse)]
#[serde(transparent)]
pub(crate) struct BadRequest(ApiError);

/// No API key or session, or one that is unknown, expired or revoked.
#[derive(Debug, Serialize, ToResponse)]
#[serde(transparent)]
#[response(headers(("WWW-Authenticate" = String, description = "`Bearer realm=\"rasd\"`")))]
pub(crate) struct Unauthorized(ApiError);

/// The caller's role may not do this.
#[derive(Debug, Serialize, ToResponse)]
#[serde(transparent)]
pub(crate) struct Forbidden(ApiError);

/// Nothing has this id.
#[derive(Debug, Serialize, ToResponse)]
#[serde(transparent)]
pub(crate) struct NotFound(ApiError);

/// The body is larger than the server takes.
#[derive(Debug, Serialize, ToResponse)]
#[serde(transparent)]
pub(crate) struct PayloadTooLarge(ApiError);

/// The body is not JSON (`Content-Type: application/json` is missing).
#[derive(Debug, Serialize, ToResponse)]
#[serde(transparent)]
pub(crate) struct UnsupportedMediaType(ApiError);

/// The body is JSON, but a field has the wrong type.
#[derive(Debug, Serialize, ToResponse)]
#[serde(transparent)]
pub(crate) struct Unprocessable(ApiError);

/// Too many requests from this address: wait as long as `Retry-After` says.
#[derive(Debug, Serialize, ToResponse)]
#[serde(transparent)]
#[response(headers(("Retry-After" = u64, description = "Seconds to wait")))]
pub(crate) struct TooManyRequests(ApiError);

/// Something failed inside Rasd; the server's log has the details.
#[derive(Debug, Serialize, ToResponse)]
#[serde(transparent)]
pub(crate) struct Internal(ApiError);
