//! The fault modes (`DEMO_FAIL_REQUESTS`, `DEMO_FAIL_AFTER_SECS`, `DEMO_SLOW_MS`): a
//! release whose `/health` stays 200 while its real answers are wrong or slow.

use std::time::{Duration, Instant};

use axum::body::Body;
use demo::configuration::Settings;
use demo::startup::{router, Limits};
use demo::state::{AppState, Identity};
use http::{Request, StatusCode};
use http_body_util::BodyExt;
use std::convert::Infallible;

use tower::util::BoxCloneService;
use tower::ServiceExt;

/// A router made for some settings (the fault clock starts when it is made).
struct App(BoxCloneService<Request<Body>, http::Response<Body>, Infallible>);

fn app(vars: &[(&'static str, &str)]) -> App {
    let settings: Settings = crate::helpers::settings(vars);
    let state = AppState::with_faults(
        Identity::new(&settings, "host-1".into(), None),
        false,
        settings.faults.start(),
    );
    let svc = router(state, Limits::from(&settings)).map_response(|r| r.map(Body::new));
    App(BoxCloneService::new(svc))
}

impl App {
    async fn get(&self, path: &str) -> (StatusCode, String) {
        let response = self
            .0
            .clone()
            .oneshot(Request::get(path).body(Body::empty()).unwrap())
            .await
            .unwrap();
        let status = response.status();
        let body = response.into_body().collect().await.unwrap().to_bytes();
        (status, String::from_utf8(body.to_vec()).unwrap())
    }
}

#[tokio::test]
async fn fail_requests_answers_500_everywhere_but_health() {
    let app = app(&[("DEMO_FAIL_REQUESTS", "1")]);

    let (status, body) = app.get("/").await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR, "{body}");
    assert!(body.contains("DEMO_FAIL_REQUESTS"), "{body}");
    assert_eq!(app.get("/nope").await.0, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(app.get("/health").await.0, StatusCode::OK);
}

#[tokio::test]
async fn without_a_fault_mode_requests_succeed() {
    let app = app(&[]);

    assert_eq!(app.get("/").await.0, StatusCode::OK);
    assert_eq!(app.get("/health").await.0, StatusCode::OK);
}

#[tokio::test]
async fn fail_after_starts_failing_later() {
    let app = app(&[("DEMO_FAIL_REQUESTS", "1"), ("DEMO_FAIL_AFTER_SECS", "0.5")]);
    let started = Instant::now();

    assert_eq!(app.get("/").await.0, StatusCode::OK, "before the delay");
    let deadline = started + Duration::from_secs(5);
    loop {
        let (status, _) = app.get("/").await;
        if status == StatusCode::INTERNAL_SERVER_ERROR {
            break;
        }
        assert!(Instant::now() < deadline, "still {status} 5 s after start");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        started.elapsed() >= Duration::from_millis(450),
        "failed too early"
    );
    assert_eq!(app.get("/health").await.0, StatusCode::OK);
}

#[tokio::test]
async fn slow_delays_everything_but_health() {
    let app = app(&[("DEMO_SLOW_MS", "300")]);

    let t = Instant::now();
    assert_eq!(app.get("/").await.0, StatusCode::OK);
    assert!(
        t.elapsed() >= Duration::from_millis(300),
        "{:?}",
        t.elapsed()
    );

    let t = Instant::now();
    assert_eq!(app.get("/health").await.0, StatusCode::OK);
    assert!(
        t.elapsed() < Duration::from_millis(300),
        "{:?}",
        t.elapsed()
    );
}

#[test]
fn fail_after_without_fail_requests_is_refused_by_name() {
    let err =
        Settings::from_lookup(|var| Ok((var == "DEMO_FAIL_AFTER_SECS").then(|| "30".to_owned())))
            .unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.contains("DEMO_FAIL_AFTER_SECS") && msg.contains("DEMO_FAIL_REQUESTS"),
        "{msg}"
    );
}

#[test]
fn slow_ms_out_of_range_is_refused_by_name() {
    let err = Settings::from_lookup(|var| Ok((var == "DEMO_SLOW_MS").then(|| "0".to_owned())))
        .unwrap_err();
    assert!(err.to_string().contains("DEMO_SLOW_MS"), "{err}");
}

#[tokio::test]
async fn a_served_app_applies_the_fault_modes_from_its_settings() {
    let app = crate::helpers::spawn_app(&[("DEMO_FAIL_REQUESTS", "1")]).await;
    let client = crate::helpers::client();

    let index = client.get(app.url("/")).send().await.unwrap();
    let health = client.get(app.url("/health")).send().await.unwrap();

    assert_eq!(index.status().as_u16(), 500);
    assert_eq!(health.status().as_u16(), 200);
    app.stop().await;
}
