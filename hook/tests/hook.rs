//! The hook end to end against a fake AWS and real servers on 127.0.0.1 as the tasks: what
//! it reports to CodeDeploy for a good green, a failing one, a slow one, and none at all.

use std::sync::Mutex;
use std::time::Duration;

use axum::http::StatusCode;
use axum::routing::get;
use release_hook::{run, Deployments, HookEvent, Settings, Sides};

struct Fake {
    sides: anyhow::Result<Sides>,
    reported: Mutex<Vec<bool>>,
}

impl Deployments for Fake {
    async fn sides(&self, _: &str, _: &str) -> anyhow::Result<Sides> {
        match &self.sides {
            Ok(s) => Ok(s.clone()),
            Err(e) => Err(anyhow::anyhow!("{e}")),
        }
    }
    async fn report(&self, _: &HookEvent, passed: bool) -> anyhow::Result<()> {
        self.reported.lock().unwrap().push(passed);
        Ok(())
    }
}

async fn task(router: axum::Router) -> (reqwest::Url, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap());
    let h = tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    (url.parse().unwrap(), h)
}

fn answering(version: &'static str) -> axum::Router {
    axum::Router::new().route(
        "/",
        get(move || async move { format!(r#"{{"version":"{version}"}}"#) }),
    )
}

fn settings() -> Settings {
    Settings::from_lookup(|name| match name {
        "HOOK_REQUESTS_PER_TASK" => Some("10".into()),
        _ => None,
    })
    .unwrap()
}

fn event() -> HookEvent {
    serde_json::from_str(r#"{"DeploymentId":"d-ABC","LifecycleEventHookExecutionId":"exec-1"}"#)
        .unwrap()
}

fn sides(green: Vec<reqwest::Url>, blue: Vec<reqwest::Url>) -> Sides {
    Sides {
        green_target_group: "demo-green".into(),
        green,
        blue_target_group: Some("demo-blue".into()),
        blue,
    }
}

#[tokio::test]
async fn a_good_green_is_reported_succeeded() {
    let (g1, a) = task(answering("v2")).await;
    let (g2, b) = task(answering("v2")).await;
    let (b1, c) = task(answering("v1")).await;
    let fake = Fake {
        sides: Ok(sides(vec![g1, g2], vec![b1])),
        reported: Mutex::new(vec![]),
    };
    let outcome = run(&fake, &settings(), &event()).await.unwrap();
    for h in [a, b, c] {
        h.abort();
    }
    assert!(outcome.passed, "{:?}", outcome.failures);
    assert_eq!(*fake.reported.lock().unwrap(), [true]);
    let v = outcome.verdict.unwrap();
    assert_eq!(v.green.requests, 20, "10 requests to each green task");
    assert!(v.blue.is_some());
}

#[tokio::test]
async fn a_green_failing_requests_is_reported_failed_with_the_reason() {
    let (g1, a) = task(axum::Router::new().route(
        "/",
        get(|| async { (StatusCode::INTERNAL_SERVER_ERROR, "x") }),
    ))
    .await;
    let (b1, b) = task(answering("v1")).await;
    let fake = Fake {
        sides: Ok(sides(vec![g1], vec![b1])),
        reported: Mutex::new(vec![]),
    };
    let outcome = run(&fake, &settings(), &event()).await.unwrap();
    a.abort();
    b.abort();
    assert!(!outcome.passed);
    assert_eq!(*fake.reported.lock().unwrap(), [false]);
    assert!(
        outcome.failures[0].contains("500"),
        "{:?}",
        outcome.failures
    );
}

#[tokio::test]
async fn a_slow_green_is_reported_failed_with_both_p99s() {
    let (g1, a) = task(axum::Router::new().route(
        "/",
        get(|| async {
            tokio::time::sleep(Duration::from_millis(150)).await;
            r#"{"version":"v2"}"#
        }),
    ))
    .await;
    let (b1, b) = task(answering("v1")).await;
    let fake = Fake {
        sides: Ok(sides(vec![g1], vec![b1])),
        reported: Mutex::new(vec![]),
    };
    let outcome = run(&fake, &settings(), &event()).await.unwrap();
    a.abort();
    b.abort();
    assert!(!outcome.passed);
    assert!(
        outcome.failures[0].contains("blue's"),
        "{:?}",
        outcome.failures
    );
}

#[tokio::test]
async fn a_hook_that_cannot_check_fails_closed() {
    let fake = Fake {
        sides: Err(anyhow::anyhow!(
            "AccessDenied: elasticloadbalancing:DescribeTargetHealth"
        )),
        reported: Mutex::new(vec![]),
    };
    let outcome = run(&fake, &settings(), &event()).await.unwrap();
    assert!(!outcome.passed);
    assert_eq!(*fake.reported.lock().unwrap(), [false]);
    assert!(
        outcome.failures[0].contains("DescribeTargetHealth"),
        "{:?}",
        outcome.failures
    );

    let fake = Fake {
        sides: Ok(sides(vec![], vec![])),
        reported: Mutex::new(vec![]),
    };
    let outcome = run(&fake, &settings(), &event()).await.unwrap();
    assert!(!outcome.passed, "no green task must not pass");
}

#[test]
fn settings_errors_name_the_variable() {
    let err =
        Settings::from_lookup(|n| (n == "HOOK_MAX_P99_RATIO").then(|| "0.5".into())).unwrap_err();
    assert!(err.to_string().contains("HOOK_MAX_P99_RATIO"), "{err}");
    let err = Settings::from_lookup(|n| (n == "HOOK_PATH").then(|| "health".into())).unwrap_err();
    assert!(err.to_string().contains("HOOK_PATH"), "{err}");
}
