//! Request timeout: `408 Request Timeout` when the handler takes longer than the bound.
//!
//! Like `tower_http::timeout::TimeoutLayer`, with one difference that matters on the hot
//! path: the handler is polled first, and the timer is created only when it is not done at
//! once. tower-http polls its timer first, which registers a Tokio timer on every request,
//! even for handlers that answer immediately, as `/` and `/health` do; and because that
//! 10 s deadline is earlier than the 30 s header-read timers hyper keeps, Tokio wakes its
//! I/O driver for each one: an `eventfd` write, one extra syscall per request
//! (tokio-rs/tokio#5207; `bench/profile.sh demo-health --syscalls`, bench/README.md).

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use http::{Request, Response, StatusCode};
use tower::{Layer, Service};

/// Adds [`RequestTimeout`] around a service.
#[derive(Debug, Clone, Copy)]
pub struct RequestTimeoutLayer {
    timeout: Duration,
}

impl RequestTimeoutLayer {
    /// Requests slower than `timeout` get 408.
    pub fn new(timeout: Duration) -> Self {
        Self { timeout }
    }
}

impl<S> Layer<S> for RequestTimeoutLayer {
    type Service = RequestTimeout<S>;

    fn layer(&self, inner: S) -> Self::Service {
        RequestTimeout {
            inner,
            timeout: self.timeout,
        }
    }
}

/// Answers 408 when the inner service takes longer than the timeout (see the module docs).
#[derive(Debug, Clone)]
pub struct RequestTimeout<S> {
    inner: S,
    timeout: Duration,
}

impl<S, ReqBody, ResBody> Service<Request<ReqBody>> for RequestTimeout<S>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>>,
    ResBody: Default,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = RequestTimeoutFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request<ReqBody>) -> Self::Future {
        RequestTimeoutFuture {
            inner: self.inner.call(req),
            timeout: self.timeout,
            sleep: None,
        }
    }
}

pin_project_lite::pin_project! {
    /// The future of [`RequestTimeout`].
    pub struct RequestTimeoutFuture<F> {
        #[pin]
        inner: F,
        timeout: Duration,
        // Started the first time the handler is not ready (boxed: only slow requests pay).
        sleep: Option<Pin<Box<tokio::time::Sleep>>>,
    }
}

impl<F, ResBody, E> Future for RequestTimeoutFuture<F>
where
    F: Future<Output = Result<Response<ResBody>, E>>,
    ResBody: Default,
{
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        if let Poll::Ready(result) = this.inner.poll(cx) {
            return Poll::Ready(result);
        }
        let timeout = *this.timeout;
        let sleep = this
            .sleep
            .get_or_insert_with(|| Box::pin(tokio::time::sleep(timeout)));
        std::task::ready!(sleep.as_mut().poll(cx));
        let mut response = Response::new(ResBody::default());
        *response.status_mut() = StatusCode::REQUEST_TIMEOUT;
        Poll::Ready(Ok(response))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::convert::Infallible;
    use tower::ServiceExt;

    fn service(
        timeout: Duration,
        delay: Duration,
    ) -> impl Service<Request<()>, Response = Response<String>, Error = Infallible> {
        RequestTimeoutLayer::new(timeout).layer(tower::service_fn(
            move |_req: Request<()>| async move {
                if !delay.is_zero() {
                    tokio::time::sleep(delay).await;
                }
                Ok::<_, Infallible>(Response::new("done".to_owned()))
            },
        ))
    }

    #[tokio::test]
    async fn fast_handlers_answer() {
        let response = service(Duration::from_secs(5), Duration::ZERO)
            .oneshot(Request::new(()))
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.into_body(), "done");
    }

    #[tokio::test]
    async fn slow_handlers_that_finish_in_time_answer() {
        let response = service(Duration::from_secs(5), Duration::from_millis(20))
            .oneshot(Request::new(()))
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
    }

    #[tokio::test]
    async fn too_slow_handlers_get_408() {
        let started = std::time::Instant::now();
        let response = service(Duration::from_millis(50), Duration::from_secs(60))
            .oneshot(Request::new(()))
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::REQUEST_TIMEOUT);
        assert_eq!(response.into_body(), "");
        assert!(started.elapsed() < Duration::from_secs(30));
    }
}
