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
//! The check lives in [`crate::routes::hot::HotPaths`], which already looks at every
//! request's path: `GET /health` is answered before it, and with no mode set nothing else
//! changes either (a wrapping tower layer, even one added only when a mode is on, cost every
//! `/health` request 133 instructions under callgrind: a larger future, one more poll). It
//! sits inside the access log, so the access line records the 500 or the delay, as it would
//! for a real fault.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::time::{Duration, Instant};

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

/// The answer to a request the fault modes apply to.
pub type FaultedAnswer = Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>;

impl Active {
    fn failing(&self) -> bool {
        self.faults.fail_requests
            && self
                .faults
                .fail_after
                .is_none_or(|after| self.started.elapsed() >= after)
    }

    /// `answer` as the fault modes change it: delayed by `DEMO_SLOW_MS`, replaced by a 500
    /// while `DEMO_FAIL_REQUESTS` is failing. (Not for `/health`: the caller answers it first.)
    pub fn intercept<F>(&self, answer: F) -> FaultedAnswer
    where
        F: Future<Output = Result<Response, Infallible>> + Send + 'static,
    {
        let slow = self.faults.slow;
        let fail = self.failing();
        Box::pin(async move {
            if let Some(delay) = slow {
                tokio::time::sleep(delay).await;
            }
            if fail {
                return Ok(injected_failure());
            }
            answer.await
        })
    }
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
