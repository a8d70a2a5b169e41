//! `x-request-id` on every request and response: kept from the request when it has one,
//! otherwise a new random (v4) UUID; the handlers and the access log see it in the request
//! headers, and the response carries it (unless the handler set its own).
//!
//! The same behaviour as tower-http's `SetRequestIdLayer` + `PropagateRequestIdLayer`,
//! without their copy of the id in the request's and the response's extensions: that
//! allocates an extensions map per request and frees it again, about 2,000 instructions of
//! a `/health` request that nothing here reads (callgrind, bench/README.md).

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use http::{HeaderName, HeaderValue, Request, Response};
use tower::{Layer, Service};

/// The request id header.
pub const REQUEST_ID_HEADER: HeaderName = HeaderName::from_static("x-request-id");

/// Adds [`RequestId`] around a service.
#[derive(Debug, Clone, Copy, Default)]
pub struct RequestIdLayer;

impl<S> Layer<S> for RequestIdLayer {
    type Service = RequestId<S>;

    fn layer(&self, inner: S) -> Self::Service {
        RequestId { inner }
    }
}

/// Sets the request id on the request and copies it to the response (see the module docs).
#[derive(Debug, Clone)]
pub struct RequestId<S> {
    inner: S,
}

/// A new random (v4) UUID, formatted on the stack.
pub fn new_request_id() -> HeaderValue {
    let mut text = [0u8; uuid::fmt::Hyphenated::LENGTH];
    let id = uuid::Uuid::new_v4().hyphenated().encode_lower(&mut text);
    // A hyphenated UUID is always a valid header value.
    HeaderValue::from_str(id).unwrap_or_else(|_| HeaderValue::from_static("-"))
}

impl<S, ReqBody, ResBody> Service<Request<ReqBody>> for RequestId<S>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>>,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = RequestIdFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut req: Request<ReqBody>) -> Self::Future {
        let id = match req.headers().get(REQUEST_ID_HEADER) {
            Some(id) => id.clone(),
            None => {
                let id = new_request_id();
                req.headers_mut().insert(REQUEST_ID_HEADER, id.clone());
                id
            }
        };
        RequestIdFuture {
            inner: self.inner.call(req),
            id: Some(id),
        }
    }
}

pin_project_lite::pin_project! {
    /// The future of [`RequestId`].
    pub struct RequestIdFuture<F> {
        #[pin]
        inner: F,
        id: Option<HeaderValue>,
    }
}

impl<F, ResBody, E> Future for RequestIdFuture<F>
where
    F: Future<Output = Result<Response<ResBody>, E>>,
{
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let mut result = std::task::ready!(this.inner.poll(cx));
        if let (Ok(response), Some(id)) = (&mut result, this.id.take()) {
            if !response.headers().contains_key(REQUEST_ID_HEADER) {
                response.headers_mut().insert(REQUEST_ID_HEADER, id);
            }
        }
        Poll::Ready(result)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::convert::Infallible;
    use tower::ServiceExt;

    async fn echo(req: Request<()>) -> Result<Response<String>, Infallible> {
        let seen = req.headers().get(REQUEST_ID_HEADER).cloned();
        let mut response = Response::new(String::new());
        if req.uri().path() == "/own" {
            response
                .headers_mut()
                .insert(REQUEST_ID_HEADER, HeaderValue::from_static("handler-id"));
        }
        *response.body_mut() = seen
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default();
        Ok(response)
    }

    async fn call(path: &str, id: Option<&'static str>) -> Response<String> {
        let mut req = Request::get(path).body(()).unwrap();
        if let Some(id) = id {
            req.headers_mut()
                .insert(REQUEST_ID_HEADER, HeaderValue::from_static(id));
        }
        let svc = RequestIdLayer.layer(tower::service_fn(echo));
        svc.oneshot(req).await.unwrap()
    }

    #[tokio::test]
    async fn kept_generated_and_never_overwritten() {
        let kept = call("/", Some("abc-123")).await;
        assert_eq!(kept.headers()[REQUEST_ID_HEADER], "abc-123");
        assert_eq!(kept.body(), "abc-123", "the handler sees the id");

        let made = call("/", None).await;
        let id = made.headers()[REQUEST_ID_HEADER]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(
            uuid::Uuid::parse_str(&id).is_ok_and(|u| u.get_version_num() == 4),
            "{id}"
        );
        assert_eq!(made.body(), &id, "the handler sees the generated id");
        let other = call("/", None).await;
        assert_ne!(other.headers()[REQUEST_ID_HEADER], id.as_str());

        let own = call("/own", Some("abc-123")).await;
        assert_eq!(own.headers()[REQUEST_ID_HEADER], "handler-id");
        assert_eq!(own.headers().get_all(REQUEST_ID_HEADER).iter().count(), 1);
    }
}
