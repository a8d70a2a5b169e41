//! `probe` against servers on 127.0.0.1: answers, errors, versions, latency.

use std::time::Duration;

use axum::http::StatusCode;
use axum::routing::get;
use release_checks::{compare, probe, probe_targets, Probe, Rules};

async fn server(router: axum::Router) -> (reqwest::Url, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap());
    let handle = tokio::spawn(async move {
        axum::serve(listener, router).await.unwrap();
    });
    (url.parse().unwrap(), handle)
}

fn quick(expect: Option<&str>) -> Probe {
    Probe {
        requests: 10,
        concurrency: 2,
        timeout: Duration::from_secs(2),
        expect_version: expect.map(str::to_owned),
    }
}

#[tokio::test]
async fn good_answers_are_counted_with_their_version() {
    let (url, srv) =
        server(axum::Router::new().route("/", get(|| async { r#"{"version":"v2"}"# }))).await;
    let r = probe(&url, &quick(Some("v2"))).await;
    srv.abort();
    assert_eq!((r.ok, r.errors, r.unexpected_versions), (10, 0, 0), "{r:?}");
    assert_eq!(r.versions.get("v2"), Some(&10));
    assert!(r.passed());
}

#[tokio::test]
async fn errors_and_wrong_versions_fail() {
    let (url, srv) = server(axum::Router::new().route(
        "/",
        get(|| async { (StatusCode::INTERNAL_SERVER_ERROR, "no") }),
    ))
    .await;
    let r = probe(&url, &quick(None)).await;
    srv.abort();
    assert_eq!(r.errors, 10, "{r:?}");
    assert!(r.error_samples.keys().any(|e| e.contains("500")), "{r:?}");
    assert!(!r.passed());

    let (url, srv) =
        server(axum::Router::new().route("/", get(|| async { "demo version v1 (commit x)" })))
            .await;
    let r = probe(&url, &quick(Some("v2"))).await;
    srv.abort();
    assert_eq!(r.unexpected_versions, 10, "{r:?}");
    assert!(!r.passed());
}

#[tokio::test]
async fn nobody_listening_is_an_error_per_request() {
    // Bind then drop: the port is free and nothing listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url: reqwest::Url = format!("http://127.0.0.1:{port}/").parse().unwrap();
    let r = probe(&url, &quick(None)).await;
    assert_eq!(r.errors, 10, "{r:?}");
    assert!(r.latency_ms.is_none());
}

#[tokio::test]
async fn a_slow_green_loses_to_a_fast_blue() {
    let (blue, b) =
        server(axum::Router::new().route("/", get(|| async { r#"{"version":"v1"}"# }))).await;
    let (green, g) = server(axum::Router::new().route(
        "/",
        get(|| async {
            // Far above anything blue's p90 reaches on a loaded machine (73 ms was seen with
            // the CPUs queued 9 deep: the bound is then 146 ms).
            tokio::time::sleep(Duration::from_millis(300)).await;
            r#"{"version":"v2"}"#
        }),
    ))
    .await;
    let blue = probe(&blue, &quick(None)).await;
    let green = probe(&green, &quick(None)).await;
    b.abort();
    g.abort();
    let v = compare(green, Some(blue), Rules::default());
    assert!(!v.passed, "{v:?}");
    assert!(v.failures[0].contains("p99"), "{:?}", v.failures);
}

#[tokio::test]
async fn requests_are_spread_over_targets_and_none_is_an_error() {
    let (a, sa) =
        server(axum::Router::new().route("/", get(|| async { r#"{"version":"v2"}"# }))).await;
    let (b, sb) = server(axum::Router::new().route(
        "/",
        get(|| async { (StatusCode::INTERNAL_SERVER_ERROR, "no") }),
    ))
    .await;
    let r = probe_targets(&[a, b], &quick(None)).await;
    sa.abort();
    sb.abort();
    assert_eq!((r.ok, r.errors), (5, 5), "{r:?}");
    assert!(r.url.starts_with("2 targets: "), "{}", r.url);

    let r = probe_targets(&[], &quick(None)).await;
    assert!(r.errors > 0 && !r.passed(), "{r:?}");
}
