//! Any other path: 404 with a small JSON body.

use axum::response::{IntoResponse, Response};
use http::{header, HeaderValue, StatusCode};

/// The fallback handler.
pub async fn not_found() -> Response {
    (
        StatusCode::NOT_FOUND,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        "{\"error\":\"not found\"}\n",
    )
        .into_response()
}
