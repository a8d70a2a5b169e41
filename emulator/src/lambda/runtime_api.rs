//! The Lambda Runtime API one invocation's process talks to (`AWS_LAMBDA_RUNTIME_API`):
//! `GET /2018-06-01/runtime/invocation/next` hands out the event with the
//! `Lambda-Runtime-Aws-Request-Id`, `-Deadline-Ms`, `-Invoked-Function-Arn` and
//! `-Trace-Id` headers; `POST .../invocation/{id}/response` and `.../{id}/error` take the
//! answer; `POST /2018-06-01/runtime/init/error` a failed start. One server per
//! invocation, on an OS-picked loopback port, behind loopback-http's guard (exact Host,
//! no Origin) like the stack's other servers; a second `next` waits (the runner stops the
//! process once it answered), as a runtime waits for an event Lambda never sends.

use std::net::Ipv4Addr;
use std::sync::{Arc, Mutex};

use anyhow::Context;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use serde_json::json;
use tokio::sync::oneshot;
use tokio_util::sync::CancellationToken;

use deployer_models::sync::lock;

/// The event the server hands out.
#[derive(Debug, Clone)]
pub(crate) struct Event {
    pub(crate) request_id: String,
    pub(crate) payload: Bytes,
    /// Epoch milliseconds.
    pub(crate) deadline_ms: u64,
    pub(crate) function_arn: String,
}

/// What the process said.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Answer {
    Response(Bytes),
    /// `/invocation/{id}/error`: the error document and `Lambda-Runtime-Function-Error-Type`.
    Error {
        body: Bytes,
        kind: Option<String>,
    },
    /// `/runtime/init/error`.
    InitError {
        body: Bytes,
        kind: Option<String>,
    },
}

struct Shared {
    event: Event,
    handed_out: Mutex<bool>,
    answer: Mutex<Option<oneshot::Sender<Answer>>>,
    stop: CancellationToken,
}

/// A running Runtime API for one event.
pub(crate) struct RuntimeApi {
    /// `127.0.0.1:<port>`, the value of `AWS_LAMBDA_RUNTIME_API`.
    pub(crate) address: String,
    pub(crate) answer: oneshot::Receiver<Answer>,
    stop: CancellationToken,
}

impl RuntimeApi {
    /// Binds and serves until [`RuntimeApi`] is dropped.
    pub(crate) async fn start(event: Event) -> anyhow::Result<RuntimeApi> {
        let listener = tokio::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .await
            .context("cannot bind the Lambda Runtime API on 127.0.0.1")?;
        let port = listener.local_addr()?.port();
        let (tx, rx) = oneshot::channel();
        let stop = CancellationToken::new();
        let shared = Arc::new(Shared {
            event,
            handed_out: Mutex::new(false),
            answer: Mutex::new(Some(tx)),
            stop: stop.clone(),
        });
        let guard = Arc::new(loopback_http::Guard::new(
            port,
            loopback_http::OriginRule::None,
        ));
        let router = Router::new()
            .route("/2018-06-01/runtime/invocation/next", get(next))
            .route(
                "/2018-06-01/runtime/invocation/{id}/response",
                post(response),
            )
            .route("/2018-06-01/runtime/invocation/{id}/error", post(error))
            .route("/2018-06-01/runtime/init/error", post(init_error))
            .with_state(shared)
            .layer(axum::middleware::from_fn_with_state(guard, only_loopback));
        let token = stop.clone();
        tokio::spawn(loopback_http::serve(
            listener,
            router,
            loopback_http::Limits::default(),
            async move { token.cancelled().await },
        ));
        Ok(RuntimeApi {
            address: format!("127.0.0.1:{port}"),
            answer: rx,
            stop,
        })
    }
}

impl Drop for RuntimeApi {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

async fn only_loopback(
    State(guard): State<Arc<loopback_http::Guard>>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    match guard.check(req.headers()) {
        Ok(()) => next.run(req).await,
        Err(refusal) => (StatusCode::FORBIDDEN, refusal.to_string()).into_response(),
    }
}

async fn next(State(s): State<Arc<Shared>>) -> Response {
    let first = !std::mem::replace(&mut *lock(&s.handed_out), true);
    if !first {
        // No second event: wait until the invocation is over (the process is stopped).
        s.stop.cancelled().await;
        return StatusCode::GONE.into_response();
    }
    let e = &s.event;
    let trace = format!(
        "Root=1-{:08x}-{};Sampled=0",
        e.deadline_ms / 1000,
        &e.request_id.replace('-', "")[..24]
    );
    (
        [
            ("lambda-runtime-aws-request-id", e.request_id.clone()),
            ("lambda-runtime-deadline-ms", e.deadline_ms.to_string()),
            (
                "lambda-runtime-invoked-function-arn",
                e.function_arn.clone(),
            ),
            ("lambda-runtime-trace-id", trace),
            ("content-type", "application/json".to_string()),
        ],
        e.payload.clone(),
    )
        .into_response()
}

fn answer(s: &Shared, id: Option<&str>, a: Answer) -> Response {
    if id.is_some_and(|id| id != s.event.request_id) {
        return (
            StatusCode::BAD_REQUEST,
            json!({"errorMessage": format!("Invalid request ID: {}", id.unwrap_or_default()), "errorType": "InvalidRequestID"}).to_string(),
        )
            .into_response();
    }
    match lock(&s.answer).take() {
        Some(tx) => {
            let _ = tx.send(a);
            (StatusCode::ACCEPTED, json!({"status": "OK"}).to_string()).into_response()
        }
        None => (
            StatusCode::BAD_REQUEST,
            json!({"errorMessage": "the invocation was already answered", "errorType": "InvalidStateTransition"}).to_string(),
        )
            .into_response(),
    }
}

fn error_type(headers: &HeaderMap) -> Option<String> {
    headers
        .get("lambda-runtime-function-error-type")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

async fn response(State(s): State<Arc<Shared>>, Path(id): Path<String>, body: Bytes) -> Response {
    answer(&s, Some(&id), Answer::Response(body))
}

async fn error(
    State(s): State<Arc<Shared>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let kind = error_type(&headers);
    answer(&s, Some(&id), Answer::Error { body, kind })
}

async fn init_error(State(s): State<Arc<Shared>>, headers: HeaderMap, body: Bytes) -> Response {
    let kind = error_type(&headers);
    answer(&s, None, Answer::InitError { body, kind })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event() -> Event {
        Event {
            request_id: "8f507cfc-7f4c-4a63-8cd4-fc1b1c1b0a01".into(),
            payload: Bytes::from_static(br#"{"DeploymentId":"d-1"}"#),
            deadline_ms: 1_700_000_000_000,
            function_arn: "arn:aws:lambda:us-east-1:000000000000:function:f".into(),
        }
    }

    #[tokio::test]
    async fn hands_out_the_event_once_and_takes_its_answer() {
        let mut api = RuntimeApi::start(event()).await.unwrap();
        let base = format!("http://{}/2018-06-01/runtime", api.address);
        let http = reqwest::Client::new();
        let r = http
            .get(format!("{base}/invocation/next"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let h = r.headers();
        assert_eq!(
            h["lambda-runtime-aws-request-id"],
            "8f507cfc-7f4c-4a63-8cd4-fc1b1c1b0a01"
        );
        assert_eq!(h["lambda-runtime-deadline-ms"], "1700000000000");
        assert!(h["lambda-runtime-invoked-function-arn"]
            .to_str()
            .unwrap()
            .ends_with(":function:f"));
        assert_eq!(r.text().await.unwrap(), r#"{"DeploymentId":"d-1"}"#);
        // A wrong id is refused and does not count as the answer.
        let r = http
            .post(format!("{base}/invocation/other/response"))
            .body("{}")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400);
        assert!(api.answer.try_recv().is_err());
        let r = http
            .post(format!(
                "{base}/invocation/8f507cfc-7f4c-4a63-8cd4-fc1b1c1b0a01/error"
            ))
            .header("Lambda-Runtime-Function-Error-Type", "Runtime.Boom")
            .body(r#"{"errorMessage":"boom"}"#)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 202);
        assert_eq!(
            (&mut api.answer).await.unwrap(),
            Answer::Error {
                body: Bytes::from_static(br#"{"errorMessage":"boom"}"#),
                kind: Some("Runtime.Boom".into())
            }
        );
    }

    #[tokio::test]
    async fn a_stranger_host_is_refused() {
        let api = RuntimeApi::start(event()).await.unwrap();
        let r = reqwest::Client::new()
            .get(format!(
                "http://{}/2018-06-01/runtime/invocation/next",
                api.address
            ))
            .header("Host", "evil.example")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403);
    }
}
