//! One log line per request: method, path, status, latency, request id.
//!
//! Written when the response head is ready: no span per request, no boxed future
//! (tower-http's `TraceLayer` would open a span per request, which costs more). `RUST_LOG`
//! decides whether the line is written (target [`TARGET`], level INFO). With JSON logs the
//! line is formatted here, into a per-thread buffer, and handed to the log writer
//! directly ([`crate::log_format::write_access_line`]: the same JSON as the `tracing`
//! event, at a fraction of the cost); otherwise (readable text on a terminal) it is a
//! `tracing` event.

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Instant, SystemTime};

use http::{Method, Request, Response, Uri};
use tower::{Layer, Service};

/// The `tracing` target of the access log lines (`RUST_LOG=demo::access=off` silences them).
pub const TARGET: &str = "demo::access";

/// Adds [`AccessLog`] around a service.
#[derive(Debug, Clone, Copy, Default)]
pub struct AccessLogLayer;

impl<S> Layer<S> for AccessLogLayer {
    type Service = AccessLog<S>;

    fn layer(&self, inner: S) -> Self::Service {
        AccessLog { inner }
    }
}

/// Logs each request once its response head is ready (see the module docs).
#[derive(Debug, Clone)]
pub struct AccessLog<S> {
    inner: S,
}

impl<S, ReqBody, ResBody> Service<Request<ReqBody>> for AccessLog<S>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>>,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = AccessLogFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request<ReqBody>) -> Self::Future {
        let start = Instant::now();
        // Only keep what the line needs when the line will be written.
        let info = tracing::enabled!(target: TARGET, tracing::Level::INFO).then(|| RequestInfo {
            method: req.method().clone(),
            uri: req.uri().clone(),
            request_id: req
                .headers()
                .get(crate::request_id::REQUEST_ID_HEADER)
                .cloned(),
        });
        AccessLogFuture {
            inner: self.inner.call(req),
            start,
            info,
        }
    }
}

struct RequestInfo {
    method: Method,
    uri: Uri,
    request_id: Option<http::HeaderValue>,
}

pin_project_lite::pin_project! {
    /// The future of [`AccessLog`].
    pub struct AccessLogFuture<F> {
        #[pin]
        inner: F,
        start: Instant,
        info: Option<RequestInfo>,
    }
}

impl<F, ResBody, E> Future for AccessLogFuture<F>
where
    F: Future<Output = Result<Response<ResBody>, E>>,
{
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let result = std::task::ready!(this.inner.poll(cx));
        if let Some(info) = this.info.take() {
            let latency = this.start.elapsed();
            let request_id = info
                .request_id
                .as_ref()
                .and_then(|v| v.to_str().ok())
                .unwrap_or("-");
            if let Some(writer) = crate::telemetry::json_writer() {
                let line = crate::log_format::AccessLine {
                    method: info.method.as_str(),
                    path: info.uri.path(),
                    status: result.as_ref().ok().map(|r| r.status().as_u16()),
                    latency,
                    request_id,
                    target: TARGET,
                };
                write_direct(writer, &line);
                return Poll::Ready(result);
            }
            let latency_ms = latency.as_micros() as f64 / 1000.0;
            match &result {
                Ok(response) => tracing::info!(
                    target: TARGET,
                    method = info.method.as_str(),
                    path = info.uri.path(),
                    status = response.status().as_u16(),
                    latency_ms,
                    request_id,
                    "request"
                ),
                Err(_) => tracing::info!(
                    target: TARGET,
                    method = info.method.as_str(),
                    path = info.uri.path(),
                    status = "error",
                    latency_ms,
                    request_id,
                    "request failed"
                ),
            }
        }
        Poll::Ready(result)
    }
}

thread_local! {
    /// The line being formatted (reused: no allocation per line once it has grown).
    static LINE: RefCell<String> = const { RefCell::new(String::new()) };
}

fn write_direct(
    writer: &'static crate::log_writer::LogWriter,
    line: &crate::log_format::AccessLine<'_>,
) {
    LINE.with_borrow_mut(|buf| {
        buf.clear();
        crate::log_format::write_access_line(buf, SystemTime::now(), line);
        // Never blocks: a full buffer drops the line and counts it (reported at shutdown).
        writer.write_line(buf.as_bytes());
    });
}
