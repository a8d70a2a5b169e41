//! Fault injection for demos and tests, served only with `DEMO_DEBUG_ENDPOINTS=1`:
//! `GET /debug/delay/{ms}` reads the request body (if any), then answers after a delay
//! (to watch a drain, a 408, or a slow request body kept in flight at the cap) and
//! `GET /debug/panic` panics inside the handler (to see the 500 and the process live on).

use std::time::Duration;

use axum::extract::Path;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use http::{header, HeaderValue, StatusCode};

/// Longest delay accepted (the request timeout cuts it shorter anyway).
pub const MAX_DELAY_MS: u64 = 60_000;

/// `GET /debug/delay/{ms}`: the delay starts once the whole body has arrived.
pub async fn delay(Path(ms): Path<String>, _body: Bytes) -> Response {
    let Ok(ms) = ms.parse::<u64>() else {
        return bad_request("the delay must be a whole number of milliseconds");
    };
    if ms > MAX_DELAY_MS {
        return bad_request("the delay must be at most 60000 ms");
    }
    tokio::time::sleep(Duration::from_millis(ms)).await;
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        format!("{{\"delayed_ms\":{ms}}}\n"),
    )
        .into_response()
}

/// `GET /debug/panic`.
pub async fn panic() -> Response {
    panic!("panic requested by GET /debug/panic");
}

fn bad_request(message: &'static str) -> Response {
    (
        StatusCode::BAD_REQUEST,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        format!("{{\"error\":\"{message}\"}}\n"),
    )
        .into_response()
}
