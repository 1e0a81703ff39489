//! `/metrics` and the middleware that feeds it: every request is counted by its route
//! template and status code, and its latency observed, in [`rasd_core::metrics::registry`].

use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use rasd_core::metrics::{OTHER_ROUTE, registry};

/// The content type of the Prometheus text exposition format 0.0.4.
pub(crate) const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Middleware: counts the request under its route template (`/item/{id}`, never the path
/// asked for, so the label values are the router's routes; [`OTHER_ROUTE`] for a path no
/// route matches) and its response's status, and observes the time until the response's
/// head is ready (a body that streams afterwards is not timed).
pub(crate) async fn track(request: Request, next: Next) -> Response {
    let route = request.extensions().get::<MatchedPath>().cloned();
    let started = Instant::now();
    let response = next.run(request).await;
    registry().http_request(
        route.as_ref().map_or(OTHER_ROUTE, MatchedPath::as_str),
        response.status().as_u16(),
        started.elapsed(),
    );
    response
}

/// `GET /metrics`: the registry in the Prometheus text format, for administrators (a
/// scraper sends an admin's API key: `authorization` with `type: Bearer` in Prometheus).
#[utoipa::path(
    get,
    path = "/metrics",
    tag = "health",
    responses(
        (status = 200, description = "Counters and request latencies (Prometheus text format 0.0.4)",
            body = String, content_type = "text/plain"),
        (status = 401, response = crate::openapi::Unauthorized),
        (status = 403, response = crate::openapi::Forbidden),
    ),
    security(("api_key" = []), ("session" = []))
)]
pub(crate) async fn metrics_page(who: Option<axum::Extension<crate::auth::Who>>) -> Response {
    let allowed = who.is_some_and(|w| w.require(crate::auth::Perm::Admin).is_ok());
    if !allowed {
        return crate::auth::Refusal::Forbidden.into_response();
    }
    (
        [
            (header::CONTENT_TYPE, CONTENT_TYPE),
            (header::CACHE_CONTROL, "no-store"),
        ],
        registry().render(),
    )
        .into_response()
}
