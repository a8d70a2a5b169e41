//! Fault modes for demos and for the release guards' tests: a release that is healthy by
//! its health check and still wrong.
//!
//! - `DEMO_FAIL_REQUESTS=1`: every request but `/health` answers 500, while `/health` stays
//!   200, so the load balancer keeps the task in service: only a check that sends real
//!   requests (the validation hook on the test listener) or an alarm on the service's own
//!   5xx rate (read from its access log) can catch it.
//! - `DEMO_FAIL_AFTER_SECS=N`: that failure starts N seconds after the process started (a
//!   release that passes the hook and breaks once it has production traffic).
//! - `DEMO_SLOW_MS=N`: every request but `/health` waits N ms before it is answered (what
//!   a latency comparison with blue has to catch).
//!
//! With a mode on, the router gets [`middleware`] and `GET /` leaves the hot path for the
//! router ([`crate::routes::hot::HotPaths`]); `GET /health` stays on the hot path, before
//! any of it. With none, the request path is exactly the one without this module: a tower
//! layer around the whole service, even one added only when a mode is on, cost every
//! `/health` request about 100 instructions under callgrind (a larger future to move, one
//! more poll). It sits inside the access log, so the access line records the 500 or the
//! delay, as it would for a real fault.

use std::time::{Duration, Instant};

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http::{header, HeaderValue, StatusCode};

/// The fault modes set in the environment (all off by default).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Faults {
    /// `DEMO_FAIL_REQUESTS`: answer 500 to everything but `/health`.
    pub fail_requests: bool,
    /// `DEMO_FAIL_AFTER_SECS`: start failing this long after the process started.
    pub fail_after: Option<Duration>,
    /// `DEMO_SLOW_MS`: delay everything but `/health` by this much.
    pub slow: Option<Duration>,
}

impl Faults {
    /// The modes in force from now on, or `None` when no mode is on.
    pub fn start(self) -> Option<Active> {
        (self.fail_requests || self.slow.is_some()).then(|| Active {
            faults: self,
            started: Instant::now(),
        })
    }
}

/// The fault modes of a running server; the failure clock started when it was made.
#[derive(Debug, Clone, Copy)]
pub struct Active {
    faults: Faults,
    started: Instant,
}

impl Active {
    fn failing(&self) -> bool {
        self.faults.fail_requests
            && self
                .faults
                .fail_after
                .is_none_or(|after| self.started.elapsed() >= after)
    }
}

/// The router's middleware while a mode is on: every request but `/health` is delayed by
/// `DEMO_SLOW_MS` and answered 500 while `DEMO_FAIL_REQUESTS` is failing.
pub async fn middleware(State(active): State<Active>, req: Request, next: Next) -> Response {
    if req.uri().path() == "/health" {
        return next.run(req).await;
    }
    if let Some(delay) = active.faults.slow {
        tokio::time::sleep(delay).await;
    }
    if active.failing() {
        return injected_failure();
    }
    next.run(req).await
}

fn injected_failure() -> Response {
    let mut response = (
        StatusCode::INTERNAL_SERVER_ERROR,
        "{\"error\":\"injected failure (DEMO_FAIL_REQUESTS)\"}\n",
    )
        .into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}
