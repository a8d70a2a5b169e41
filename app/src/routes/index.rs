//! `GET /`: who answered, as one line for curl or JSON on `Accept: application/json`.

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use http::{header, HeaderMap, HeaderValue};

use crate::state::AppState;

const TEXT: HeaderValue = HeaderValue::from_static("text/plain; charset=utf-8");
const JSON: HeaderValue = HeaderValue::from_static("application/json");
const NO_STORE: HeaderValue = HeaderValue::from_static("no-store");
const VARY_ACCEPT: HeaderValue = HeaderValue::from_static("accept");

/// The handler.
pub async fn index(State(state): State<AppState>, headers: HeaderMap) -> Response {
    respond(&state, &headers)
}

/// The response (also served by [`crate::routes::hot::HotPaths`] without the router).
pub fn respond(state: &AppState, headers: &HeaderMap) -> Response {
    let (content_type, body) = if wants_json(headers) {
        (JSON, state.index_json())
    } else {
        (TEXT, state.index_text())
    };
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, NO_STORE),
            (header::VARY, VARY_ACCEPT),
        ],
        body,
    )
        .into_response()
}

/// True when an `Accept` header lists `application/json` (or any `+json` type) without
/// `q=0`. Wildcards (curl's `*/*`) keep the readable line.
pub fn wants_json(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|range| {
            let mut parts = range.split(';');
            let media = parts.next().unwrap_or("").trim();
            let is_json = media.eq_ignore_ascii_case("application/json")
                || (media.len() > 5 && media[media.len() - 5..].eq_ignore_ascii_case("+json"));
            let refused = parts.any(|p| {
                let p = p.trim();
                p.len() >= 2
                    && p[..2].eq_ignore_ascii_case("q=")
                    && p[2..].parse::<f32>().is_ok_and(|q| q <= 0.0)
            });
            is_json && !refused
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accept(v: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::ACCEPT, HeaderValue::from_str(v).unwrap());
        h
    }

    #[test]
    fn negotiation() {
        assert!(!wants_json(&HeaderMap::new()));
        assert!(!wants_json(&accept("*/*")));
        assert!(!wants_json(&accept("text/plain")));
        assert!(wants_json(&accept("application/json")));
        assert!(wants_json(&accept("Application/JSON; charset=utf-8")));
        assert!(wants_json(&accept("text/html, application/json;q=0.9")));
        assert!(wants_json(&accept("application/problem+json")));
        assert!(!wants_json(&accept("application/json;q=0")));
    }
}
