//! The drain, in process: the server stops accepting, marks itself draining (so
//! `/health` answers 503) and waits for the requests in flight.

use std::time::Duration;

use crate::helpers::{client, spawn_app};

#[tokio::test]
async fn shutdown_waits_for_requests_in_flight() {
    // Arrange
    let mut app = spawn_app(&[("DEMO_DEBUG_ENDPOINTS", "1")]).await;
    let in_flight = tokio::spawn(client().get(app.url("/debug/delay/500")).send());
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(!app.state.is_draining());

    // Act
    app.begin_shutdown();
    tokio::time::sleep(Duration::from_millis(50)).await;

    // Assert
    assert!(app.state.is_draining());
    let response = in_flight.await.unwrap().unwrap();
    assert_eq!(response.status(), 200);
    let report = app.wait().await;
    assert!(report.drained);
    assert_eq!(report.cut_connections, 0);
}

#[tokio::test]
async fn idle_keep_alive_connections_do_not_hold_up_the_drain() {
    let app = spawn_app(&[]).await;
    let http = client();
    // A pooled keep-alive connection stays open after this request.
    assert_eq!(
        http.get(app.url("/health")).send().await.unwrap().status(),
        200
    );

    let started = std::time::Instant::now();
    let report = app.stop().await;

    assert!(report.drained);
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn the_drain_gives_up_after_its_bound() {
    let app = spawn_app(&[
        ("DEMO_DEBUG_ENDPOINTS", "1"),
        ("DEMO_SHUTDOWN_TIMEOUT_SECS", "0.2"),
    ])
    .await;
    let _in_flight = tokio::spawn(client().get(app.url("/debug/delay/30000")).send());
    tokio::time::sleep(Duration::from_millis(200)).await;

    let report = app.stop().await;

    assert!(!report.drained);
    assert_eq!(report.cut_connections, 1);
}
