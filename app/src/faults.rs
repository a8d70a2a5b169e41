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
//! The layer is only in the stack when a mode is set ([`crate::startup::router`] adds it
//! with `option_layer`): with none, the request path is the same as without this module.
//! It sits inside the access log, so the access line records the 500 or the delay, as it
//! would for a real fault.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::response::{IntoResponse, Response};
use http::{header, HeaderValue, Request, StatusCode};
use tower::{Layer, Service};

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
    /// The layer for these modes, or `None` when no mode is on.
    pub fn layer(self) -> Option<FaultLayer> {
        (self.fail_requests || self.slow.is_some()).then(|| FaultLayer {
            faults: self,
            started: Instant::now(),
        })
    }
}

/// Adds [`FaultService`] around a service; the failure clock starts when it is made.
#[derive(Debug, Clone, Copy)]
pub struct FaultLayer {
    faults: Faults,
    started: Instant,
}

impl<S> Layer<S> for FaultLayer {
    type Service = FaultService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        FaultService {
            inner,
            layer: *self,
        }
    }
}

/// See the module docs.
#[derive(Debug, Clone)]
pub struct FaultService<S> {
    inner: S,
    layer: FaultLayer,
}

impl FaultLayer {
    fn failing(&self) -> bool {
        self.faults.fail_requests
            && self
                .faults
                .fail_after
                .is_none_or(|after| self.started.elapsed() >= after)
    }
}

impl<S, B> Service<Request<B>> for FaultService<S>
where
    S: Service<Request<B>, Response = Response, Error = Infallible>,
    S::Future: Send + 'static,
{
    type Response = Response;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request<B>) -> Self::Future {
        if req.uri().path() == "/health" {
            return Box::pin(self.inner.call(req));
        }
        let slow = self.layer.faults.slow;
        // The inner service is always called once it was polled ready (tower's contract);
        // a failing request drops its answer unpolled.
        let answer = self.inner.call(req);
        let fail = self.layer.failing();
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
