//! `GET /health`: 200 while serving, 503 once shutdown has begun or when
//! `DEMO_FAIL_HEALTH` is on.

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use http::{header, HeaderValue, StatusCode};

use crate::state::AppState;

const JSON: HeaderValue = HeaderValue::from_static("application/json");
const NO_STORE: HeaderValue = HeaderValue::from_static("no-store");

/// The handler.
pub async fn health(State(state): State<AppState>) -> Response {
    respond(&state)
}

/// The response (also served by [`crate::routes::hot::HotPaths`] without the router).
pub fn respond(state: &AppState) -> Response {
    let (status, body): (StatusCode, &'static str) = if state.fail_health() {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            "{\"status\":\"failing\"}\n",
        )
    } else if state.is_draining() {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            "{\"status\":\"draining\"}\n",
        )
    } else {
        (StatusCode::OK, "{\"status\":\"ok\"}\n")
    };
    (
        status,
        [
            (header::CONTENT_TYPE, JSON),
            (header::CACHE_CONTROL, NO_STORE),
        ],
        body,
    )
        .into_response()
}
