//! The router alone, called with `oneshot` (no sockets).

use axum::body::Body;
use http::{Request, StatusCode};
use http_body_util::BodyExt;
use tower::ServiceExt;

use demo::startup::{router, Limits};
use demo::state::{AppState, Identity};

fn state(fail_health: bool) -> AppState {
    let settings = crate::helpers::settings(&[("DEMO_VERSION", "v9")]);
    AppState::new(Identity::new(&settings, "host-1".into(), None), fail_health)
}

fn limits() -> Limits {
    Limits::from(&crate::helpers::settings(&[]))
}

async fn get(state: AppState, path: &str) -> (StatusCode, String) {
    let response = router(state, limits())
        .oneshot(Request::get(path).body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8(body.to_vec()).unwrap())
}

#[tokio::test]
async fn health_is_ok_while_serving() {
    assert_eq!(
        get(state(false), "/health").await,
        (StatusCode::OK, "{\"status\":\"ok\"}\n".into())
    );
}

#[tokio::test]
async fn health_is_503_once_draining() {
    let state = state(false);
    state.start_draining();

    assert_eq!(
        get(state, "/health").await,
        (
            StatusCode::SERVICE_UNAVAILABLE,
            "{\"status\":\"draining\"}\n".into()
        )
    );
}

#[tokio::test]
async fn health_fails_on_purpose_with_demo_fail_health() {
    assert_eq!(
        get(state(true), "/health").await,
        (
            StatusCode::SERVICE_UNAVAILABLE,
            "{\"status\":\"failing\"}\n".into()
        )
    );
}

#[tokio::test]
async fn root_line_names_the_version_and_host() {
    let (status, body) = get(state(false), "/").await;

    assert_eq!(status, StatusCode::OK);
    assert!(
        body.contains("version v9") && body.contains("host host-1"),
        "{body}"
    );
}
