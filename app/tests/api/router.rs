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

/// `GET /health` and `GET /` are answered in front of axum's router
/// (`routes::hot::HotPaths`): the answers must be the router's own, byte for byte, in every
/// state; everything else must still reach the router.
#[tokio::test]
async fn hot_paths_answer_exactly_like_the_router() {
    use axum::body::HttpBody;
    use demo::routes::hot::HotPaths;
    use demo::startup::axum_routes;

    let draining = state(false);
    draining.start_draining();
    let states = [
        ("serving", state(false)),
        ("failing", state(true)),
        ("draining", draining),
    ];
    let requests: [(&str, &str, Option<&str>); 7] = [
        ("GET", "/health", None),
        ("GET", "/", None),
        ("GET", "/", Some("application/json")),
        (
            "GET",
            "/",
            Some("text/html, application/problem+json;q=0.5"),
        ),
        ("HEAD", "/health", None),
        ("POST", "/health", None),
        ("GET", "/health/", None),
    ];
    for (label, st) in states {
        for (method, path, accept) in requests {
            let request = || {
                let mut r = Request::builder().method(method).uri(path);
                if let Some(a) = accept {
                    r = r.header("accept", a);
                }
                r.body(Body::empty()).unwrap()
            };
            let plain = axum_routes(st.clone(), &limits())
                .oneshot(request())
                .await
                .unwrap();
            let hot = HotPaths::new(st.clone(), axum_routes(st.clone(), &limits()))
                .oneshot(request())
                .await
                .unwrap();
            let what = format!("{label}: {method} {path} accept {accept:?}");
            assert_eq!(hot.status(), plain.status(), "{what}");
            // axum writes content-length into the headers; hyper writes the same value
            // from the body's exact size when the header is absent.
            let mut plain_headers = plain.headers().clone();
            let length = plain_headers.remove("content-length");
            let mut hot_headers = hot.headers().clone();
            let hot_length = hot_headers.remove("content-length");
            assert_eq!(hot_headers, plain_headers, "{what}");
            let hint = hot.body().size_hint().exact();
            let hot_body = hot.into_body().collect().await.unwrap().to_bytes();
            let plain_body = plain.into_body().collect().await.unwrap().to_bytes();
            assert_eq!(hot_body, plain_body, "{what}");
            let declared = hot_length
                .or(length)
                .map(|v| v.to_str().unwrap().to_owned());
            if method == "GET" {
                assert_eq!(hint, Some(hot_body.len() as u64), "{what}");
                assert_eq!(declared, Some(hot_body.len().to_string()), "{what}");
            }
        }
    }
}
