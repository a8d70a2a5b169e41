//! `GET /health` and `GET /` answered before the router.
//!
//! The two requests that matter for cost (the load balancer's health checks and the
//! traffic) skip axum's per-request routing work: matching, a clone of the boxed route, a
//! boxed future, and an extensions map allocated for path parameters these routes do not
//! have (about 3,000 instructions and 5 allocations of a `/health` request under callgrind,
//! bench/README.md). They get the very same responses: the handlers' own functions. Every
//! other request (other methods, other paths, HEAD) goes to the router, which has these
//! routes too, so 404, 405 and HEAD behave as before (tests in `app/tests/api/router.rs`).

use std::convert::Infallible;
use std::future::{ready, Ready};
use std::pin::Pin;
use std::task::{Context, Poll};

use axum::response::Response;
use axum::Router;
use http::{Method, Request};
use tower::Service;

use crate::routes::{health, index};
use crate::state::AppState;

/// The router, with `GET /health` and `GET /` answered in front of it (`/` only while no
/// fault mode is on: the router applies those, `crate::faults`).
#[derive(Clone)]
pub struct HotPaths {
    state: AppState,
    router: Router,
}

impl HotPaths {
    /// Wraps `router`, which must serve the same `/health` and `/` handlers; the fault modes
    /// are the state's ([`AppState::faults`]).
    pub fn new(state: AppState, router: Router) -> Self {
        Self { state, router }
    }
}

pin_project_lite::pin_project! {
    /// The future of [`HotPaths`]: a ready response, or the router's.
    #[project = HotFutureProj]
    pub enum HotFuture<F> {
        Ready { #[pin] response: Ready<Result<Response, Infallible>> },
        Routed { #[pin] future: F },
    }
}

impl<F> std::future::Future for HotFuture<F>
where
    F: std::future::Future<Output = Result<Response, Infallible>>,
{
    type Output = Result<Response, Infallible>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.project() {
            HotFutureProj::Ready { response } => response.poll(cx),
            HotFutureProj::Routed { future } => future.poll(cx),
        }
    }
}

impl<B> Service<Request<B>> for HotPaths
where
    Router: Service<Request<B>, Response = Response, Error = Infallible>,
{
    type Response = Response;
    type Error = Infallible;
    type Future = HotFuture<<Router as Service<Request<B>>>::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Service::<Request<B>>::poll_ready(&mut self.router, cx)
    }

    fn call(&mut self, req: Request<B>) -> Self::Future {
        if req.method() == Method::GET {
            let response = match req.uri().path() {
                "/health" => Some(health::respond(&self.state)),
                // With a fault mode on, `/` goes through the router, where the modes apply.
                "/" if self.state.faults().is_none() => {
                    Some(index::respond(&self.state, req.headers()))
                }
                _ => None,
            };
            if let Some(response) = response {
                return HotFuture::Ready {
                    response: ready(Ok(response)),
                };
            }
        }
        HotFuture::Routed {
            future: self.router.call(req),
        }
    }
}
