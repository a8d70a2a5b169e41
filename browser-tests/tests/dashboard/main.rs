//! `deployer dashboard`: the server with a scripted source, driven by a real headless
//! Chromium (the page must follow a deployment live, without a reload), and its security
//! checks over raw HTTP. Screenshots go to `<target>/dashboard-artifacts/` (or
//! `$DASHBOARD_ARTIFACTS`).

mod browser;
mod fake;
mod local;
#[path = "../../../deployer/tests/suite/support/mod.rs"]
mod support;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use deployer::dashboard::snapshot::{Alarm, Deployment, Guard, Hook, LogLine, StoppedBy};
use deployer::dashboard::{self, ActionKind, ActionRequest, Options, Snapshot};

use browser::{click, confirm_dialog_is, save_screenshot, text, wait_for, Chromium};
use fake::*;

const INTERVAL: Duration = Duration::from_millis(300);
const WAIT: Duration = Duration::from_secs(30);

fn opts(allow_actions: bool) -> Options {
    Options {
        port: 0,
        allow_actions,
        interval: INTERVAL,
        probe: None,
    }
}

fn deployment(id: &str, status: &str, lifecycle: &[(&str, &str)]) -> Deployment {
    Deployment {
        id: id.into(),
        status: status.into(),
        in_flight: !matches!(status, "Succeeded" | "Failed" | "Stopped"),
        created_ms: Some(t0()),
        completed_ms: None,
        creator: Some("user".into()),
        lifecycle: events(lifecycle),
        ..Deployment::default()
    }
}

fn done(names: &[&str], status: &str) -> Vec<(String, String)> {
    names
        .iter()
        .map(|n| ((*n).to_owned(), status.to_owned()))
        .collect()
}

fn lc(v: &[(String, String)]) -> Vec<(&str, &str)> {
    v.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect()
}

/// Blue (v1) serves; the last deployment d-1 succeeded.
fn idle() -> Snapshot {
    finish(Snapshot {
        listeners: vec![
            listener("production", 80, 1, 0),
            listener("test", 8081, 1, 0),
        ],
        task_sets: vec![task_set("blue", "PRIMARY", "v1", 1, 2)],
        tasks: tasks("blue", 2, "HEALTHY", "healthy"),
        deployment: Some(Deployment {
            completed_ms: Some(t0() + 30_000),
            ..deployment("d-1", "Succeeded", &lc(&done(&EVENTS, "Succeeded")))
        }),
        recent: vec![line("d-1", "Succeeded", None, None)],
        ..Snapshot::default()
    })
}

/// d-2 ships v2 to green and succeeds: idle, green up with no traffic, test traffic on
/// green, production on green, done.
fn success_script() -> Vec<Snapshot> {
    let mut s1 = idle();
    s1.task_sets.push(task_set("green", "ACTIVE", "v2", 2, 0));
    let mut ev = done(&EVENTS, "Pending");
    ev[0].1 = "Succeeded".into();
    ev[1].1 = "InProgress".into();
    s1.deployment = Some(deployment("d-2", "InProgress", &lc(&ev)));
    s1.recent.insert(0, line("d-2", "InProgress", None, None));
    let s1 = finish(s1);

    let mut s2 = s1.clone();
    s2.task_sets[1].running = 2;
    s2.task_sets[1].pending = 0;
    s2.tasks.extend(tasks("green", 2, "HEALTHY", "healthy"));
    s2.listeners[1] = listener("test", 8081, 0, 1);
    for e in ev.iter_mut().take(5) {
        e.1 = "Succeeded".into();
    }
    s2.deployment = Some(deployment("d-2", "InProgress", &lc(&ev)));
    let s2 = finish(s2);

    let mut s3 = s2.clone();
    s3.listeners[0] = listener("production", 80, 0, 1);
    ev[5].1 = "Succeeded".into();
    s3.deployment = Some(deployment("d-2", "InProgress", &lc(&ev)));
    let s3 = finish(s3);

    let mut s4 = s3.clone();
    s4.task_sets = vec![task_set("green", "PRIMARY", "v2", 2, 2)];
    s4.tasks = tasks("green", 2, "HEALTHY", "healthy");
    s4.deployment = Some(Deployment {
        completed_ms: Some(t0() + 40_000),
        ..deployment("d-2", "Succeeded", &lc(&ev))
    });
    s4.recent[0] = line("d-2", "Succeeded", None, None);
    let s4 = finish(s4);
    vec![idle(), s1, s2, s3, s4]
}

/// d-3 ships a v3 that never gets healthy: it fails and CodeDeploy rolls back (d-4).
/// Idle, d-3 with unhealthy tasks, d-4 rolling back, d-4 done.
fn rollback_script() -> Vec<Snapshot> {
    let mut r1 = idle();
    r1.task_sets.push(task_set("green", "ACTIVE", "v3", 3, 2));
    r1.tasks.extend(tasks("green", 2, "UNHEALTHY", "unhealthy"));
    let mut ev = done(&EVENTS, "Pending");
    ev[0].1 = "Succeeded".into();
    ev[1].1 = "InProgress".into();
    r1.deployment = Some(deployment("d-3", "InProgress", &lc(&ev)));
    r1.recent.insert(0, line("d-3", "InProgress", None, None));
    let r1 = finish(r1);

    let error = "the replacement tasks did not pass their health checks";
    let mut r2 = r1.clone();
    r2.deployment = Some(Deployment {
        rollback_of: Some("d-3".into()),
        creator: Some("codeDeployRollback".into()),
        ..deployment("d-4", "InProgress", &lc(&done(&EVENTS[..2], "InProgress")))
    });
    r2.recent = vec![
        line("d-4", "InProgress", Some("d-3"), None),
        line("d-3", "Failed", None, Some(error)),
        line("d-1", "Succeeded", None, None),
    ];
    let r2 = finish(r2);

    let mut r3 = idle();
    r3.deployment = Some(Deployment {
        rollback_of: Some("d-3".into()),
        creator: Some("codeDeployRollback".into()),
        completed_ms: Some(t0() + 50_000),
        ..deployment("d-4", "Succeeded", &lc(&done(&EVENTS[..2], "Succeeded")))
    });
    r3.recent = vec![
        line("d-4", "Succeeded", Some("d-3"), None),
        line("d-3", "Failed", None, Some(error)),
        line("d-1", "Succeeded", None, None),
    ];
    let mut r3 = finish(r3);
    // The log read failed this time (the logs already read stay); a line's text is text.
    r3.logs_source = Some("/ecs/demo".into());
    r3.logs = vec![LogLine {
        at_ms: t0() + 49_000,
        stream: "ecs/demo/0123456789abcdef".into(),
        task: "01234567".into(),
        level: "WARN".into(),
        message: "<img src=x onerror=\"window.__injected=1\"> path=/".into(),
    }];
    r3.logs_error = Some("logs:FilterLogEvents: AccessDeniedException: not allowed".into());
    vec![idle(), r1, r2, r3]
}

const GREEN_TRAFFIC: &str =
    "document.querySelector('#task-sets tr[data-color=green] .traffic')?.textContent ?? 'none'";
const OUTCOME_STATUS: &str = "document.querySelector('#outcome').dataset.status";
const OUTCOME: &str = "document.querySelector('#outcome').textContent";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn page_follows_a_deployment_to_100_percent_without_reload() {
    // Each step held until the page showed it (the test moves the script on).
    let source = Fake::held(success_script());
    let dash = dashboard::start(opts(false), source.clone()).await.unwrap();
    let chrome = Chromium::start().await;
    let page = chrome.open(&dash.url).await;

    wait_for(&page, OUTCOME, WAIT, |v| v.starts_with("d-1")).await;
    // The replacement appears with no traffic...
    source.next();
    wait_for(&page, GREEN_TRAFFIC, WAIT, |v| v == "0 %").await;
    // Marks this document: a reload would lose it.
    text(&page, "window.__sameDocument = 'yes'").await;
    assert_eq!(text(&page, OUTCOME_STATUS).await, "InProgress");
    // ...takes the test traffic...
    source.next();
    wait_for(
        &page,
        "document.querySelector('.listener[data-role=test] .forwards').textContent",
        WAIT,
        |v| v == "demo-green: 100 %",
    )
    .await;
    assert_eq!(text(&page, GREEN_TRAFFIC).await, "0 %");
    // ...then all of production's, and the deployment ends.
    source.next();
    wait_for(&page, GREEN_TRAFFIC, WAIT, |v| v == "100 %").await;
    let shot = save_screenshot(&page, "deployment-shifted").await;
    source.next();
    wait_for(&page, OUTCOME_STATUS, WAIT, |v| v == "Succeeded").await;
    let listener = text(
        &page,
        "document.querySelector('.listener[data-role=production] .forwards').textContent",
    )
    .await;
    assert_eq!(listener, "demo-green: 100 %");
    assert_eq!(
        text(
            &page,
            "document.querySelectorAll('#lifecycle li[data-status=Succeeded]').length"
        )
        .await,
        "6"
    );
    assert_eq!(
        text(&page, "window.__sameDocument").await,
        "yes",
        "the page was reloaded"
    );
    let updates: u32 = text(&page, "window.dashboard.snapshots")
        .await
        .parse()
        .unwrap();
    assert!(updates >= 4, "only {updates} snapshots reached the page");
    assert!(shot.is_file());
    save_screenshot(&page, "deployment-succeeded").await;

    // Read-only: no action button anywhere, and no action endpoint.
    assert_eq!(
        text(&page, "document.querySelectorAll('#actions button').length").await,
        "0"
    );
    drop(chrome);
    let (status, _) = http(
        dash.addr,
        &post(
            dash.addr,
            "/actions/approve",
            None,
            r#"{"deployment_id":"d-2"}"#,
        ),
    );
    assert_eq!(status, 404);
    dash.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn page_shows_the_automatic_rollback_of_a_failing_release() {
    let source = Fake::held(rollback_script());
    let dash = dashboard::start(opts(false), source.clone()).await.unwrap();
    let chrome = Chromium::start().await;
    let page = chrome.open(&dash.url).await;

    wait_for(&page, OUTCOME, WAIT, |v| v.starts_with("d-1")).await;
    source.next();
    wait_for(&page, OUTCOME, WAIT, |v| v.starts_with("d-3: InProgress")).await;
    wait_for(
        &page,
        "document.querySelector('#tasks tr[data-color=green] td:last-child').textContent",
        WAIT,
        |v| v == "unhealthy",
    )
    .await;
    text(&page, "window.__sameDocument = 'yes'").await;
    source.next();
    wait_for(&page, OUTCOME, WAIT, |v| v.starts_with("d-4: InProgress")).await;
    source.next();
    let outcome = wait_for(&page, OUTCOME_STATUS, WAIT, |v| v == "Succeeded").await;
    assert_eq!(outcome, "Succeeded");
    let outcome = text(&page, OUTCOME).await;
    assert!(outcome.contains("automatic rollback of d-3"), "{outcome}");
    assert_eq!(
        text(
            &page,
            "document.querySelector('#recent tr[data-deployment=d-3]').dataset.status"
        )
        .await,
        "Failed"
    );
    let note = text(
        &page,
        "document.querySelector('#recent tr[data-deployment=d-3] td:last-child').textContent",
    )
    .await;
    assert!(note.contains("health checks"), "{note}");
    assert_eq!(
        text(
            &page,
            "document.querySelector('.listener[data-role=production] .forwards').textContent"
        )
        .await,
        "demo-blue: 100 %"
    );
    assert_eq!(
        text(&page, GREEN_TRAFFIC).await,
        "none",
        "the failed task set is gone"
    );
    assert_eq!(
        text(&page, "window.__sameDocument").await,
        "yes",
        "the page was reloaded"
    );
    // A failed log read shows in the Logs panel, not as the dashboard's failure; the
    // line's markup shows as text.
    let status = wait_for(
        &page,
        "document.querySelector('#logs-status').textContent",
        WAIT,
        |v| v.contains("AccessDeniedException"),
    )
    .await;
    assert!(status.contains("/ecs/demo"), "{status}");
    let row = text(
        &page,
        "document.querySelector('#logs .logline').textContent",
    )
    .await;
    assert!(row.contains("01234567 WARN <img src=x"), "{row}");
    assert_eq!(
        text(&page, "document.querySelectorAll('#logs img').length").await,
        "0"
    );
    assert_eq!(text(&page, "String(window.__injected)").await, "undefined");
    save_screenshot(&page, "rollback").await;
    drop(chrome);
    dash.shutdown().await.unwrap();
}

/// d-7, stopped by its validation hook while the 5xx alarm is in ALARM: the hook Failed with
/// its check, figures and log lines, the alarm's row, and "Stopped by": every text that
/// comes from AWS (a log line, a check, an alarm's reason) shows as text, never as markup.
fn stopped_by_the_hook() -> Snapshot {
    let mut s = idle();
    let mut ev = done(&EVENTS, "Succeeded");
    ev[4].1 = "Failed".into();
    ev[5].1 = "Pending".into();
    s.deployment = Some(Deployment {
        completed_ms: Some(t0() + 20_000),
        rolled_back_by: Some("d-8".into()),
        hooks: vec![Hook {
            event: "AfterAllowTestTraffic".into(),
            function: "demo-validate".into(),
            status: "Failed".into(),
            start_ms: Some(t0() + 10_000),
            end_ms: Some(t0() + 12_000),
            check: Some("GET / answered 500 <b>Internal</b>".into()),
            figures: Some("green p99 1.5 ms (40/40 errors), blue p99 1.1 ms (0/40 errors)".into()),
            log_group: "/aws/lambda/demo-validate".into(),
            log_lines: vec![
                "START RequestId: 1 Version: $LATEST".into(),
                "<img src=x onerror=\"window.__injected=1\"> report=...".into(),
            ],
            log_error: None,
        }],
        stopped_by: Some(StoppedBy {
            guard: Guard::Hook,
            text: "the validation hook demo-validate (AfterAllowTestTraffic): GET / answered 500 <b>Internal</b>".into(),
        }),
        ..deployment("d-7", "Failed", &lc(&ev))
    });
    s.recent
        .insert(0, line("d-7", "Failed", None, Some("hook failed")));
    s.alarms = vec![Alarm {
        name: "demo-http-5xx".into(),
        state: "ALARM".into(),
        reason: "Threshold Crossed: 1 datapoint [7.0] <script>window.__injected=2</script>".into(),
        value: Some(7.0),
        rule: "Http5xx Sum >= 5".into(),
        changed_ms: Some(t0() + 15_000),
    }];
    finish(s)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn page_shows_the_release_guards_and_their_text_stays_text() {
    // Held on the first snapshot until the page has shown it: a browser that starts late
    // (a loaded machine) would else first render the second one.
    let source = Fake::held(vec![idle(), stopped_by_the_hook()]);
    let dash = dashboard::start(opts(false), source.clone()).await.unwrap();
    let chrome = Chromium::start().await;
    let page = chrome.open(&dash.url).await;

    // Before: a release that succeeded says nothing of a guard (read in one evaluation).
    wait_for(
        &page,
        "`${document.querySelector('#outcome').dataset.status} ${document.querySelector('#stopped-by').hidden}`",
        WAIT,
        |v| v == "Succeeded true",
    )
    .await;
    source.next();
    let stopped = wait_for(
        &page,
        "document.querySelector('#stopped-by').textContent",
        WAIT,
        |v| !v.is_empty(),
    )
    .await;
    assert_eq!(
        stopped,
        "Stopped by the validation hook demo-validate (AfterAllowTestTraffic): GET / answered 500 <b>Internal</b>"
    );
    let hook = "document.querySelector('#hooks .hook[data-event=AfterAllowTestTraffic]')";
    assert_eq!(
        text(&page, &format!("{hook}.dataset.status")).await,
        "Failed"
    );
    assert_eq!(
        text(
            &page,
            &format!("{hook}.querySelector('.check').textContent")
        )
        .await,
        "Failing check: GET / answered 500 <b>Internal</b>"
    );
    let log = text(
        &page,
        &format!("{hook}.querySelector('pre.hook-log').textContent"),
    )
    .await;
    assert_eq!(
        log,
        "START RequestId: 1 Version: $LATEST\n<img src=x onerror=\"window.__injected=1\"> report=..."
    );
    let row = "document.querySelector('#alarms tr[data-alarm=\"demo-http-5xx\"]')";
    assert_eq!(text(&page, &format!("{row}.dataset.state")).await, "ALARM");
    assert_eq!(
        text(&page, &format!("{row}.querySelector('.value').textContent")).await,
        "7"
    );
    assert!(text(&page, &format!("{row}.textContent"))
        .await
        .contains("<script>window.__injected=2</script>"));
    // Nothing from AWS became markup.
    for tag in ["img", "script:not([src])", "b"] {
        assert_eq!(
            text(
                &page,
                &format!("document.querySelectorAll('main {tag}').length")
            )
            .await,
            "0",
            "a {tag} element from AWS text"
        );
    }
    assert_eq!(text(&page, "String(window.__injected)").await, "undefined");
    save_screenshot(&page, "stopped-by-the-hook").await;
    drop(chrome);
    dash.shutdown().await.unwrap();
}

/// A deployment waiting for approval (READY_WAIT).
fn ready() -> Snapshot {
    let mut s = idle();
    s.task_sets.push(task_set("green", "ACTIVE", "v5", 5, 2));
    s.tasks.extend(tasks("green", 2, "HEALTHY", "healthy"));
    s.listeners[1] = listener("test", 8081, 0, 1);
    let mut ev = done(&EVENTS, "Succeeded");
    ev[5].1 = "Pending".into();
    s.deployment = Some(Deployment {
        actions: vec![ActionKind::Approve, ActionKind::Rollback],
        ..deployment("d-5", "Ready", &lc(&ev))
    });
    finish(s)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn actions_need_the_token_and_a_confirmation() {
    let source = Fake::new(vec![ready()]);
    let dash = dashboard::start(opts(true), source.clone()).await.unwrap();
    let token = dash.token.clone().expect("a token when actions are on");
    assert!(dash.url.ends_with(&format!("/{token}/")), "{}", dash.url);
    let addr = dash.addr;
    let base = format!("/{token}/");
    let body = r#"{"deployment_id":"d-5"}"#;

    // Without the token, or with a wrong one: refused, whatever the path.
    for path in [
        "/",
        "/events",
        "/snapshot.json",
        "/app.js",
        "/actions/approve",
    ] {
        assert_eq!(http(addr, &get(addr, path)).0, 403, "GET {path}");
    }
    assert_eq!(
        http(addr, &post(addr, "/actions/approve", None, body)).0,
        403
    );
    let wrong = format!("/{}/actions/approve", "0".repeat(64));
    assert_eq!(http(addr, &post(addr, &wrong, None, body)).0, 403);
    // Another Host (DNS rebinding) or another Origin: refused even with the token.
    let other_host = format!(
        "GET {base} HTTP/1.1\r\nHost: evil.example:{}\r\nConnection: close\r\n\r\n",
        addr.port()
    );
    assert_eq!(http(addr, &other_host).0, 403);
    let from_elsewhere = post(
        addr,
        &format!("{base}actions/approve"),
        Some("http://evil.example"),
        body,
    );
    assert_eq!(http(addr, &from_elsewhere).0, 403);
    // A form post (not JSON) is refused too.
    let form = format!(
        "POST {base}actions/approve HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 14\r\nConnection: close\r\n\r\ndeployment=d-5",
        addr.port()
    );
    assert_eq!(http(addr, &form).0, 415);
    assert!(
        source.actions().is_empty(),
        "a refused request reached the source"
    );
    // With the token: the page and its files.
    let (status, page_html) = http(addr, &get(addr, &base));
    assert_eq!(status, 200);
    assert!(page_html.contains(r#"data-actions="on""#));

    // In the browser: the buttons the deployment allows, each behind a confirmation.
    let chrome = Chromium::start().await;
    let page = chrome.open(&dash.url).await;
    wait_for(
        &page,
        "document.querySelectorAll('#actions button').length",
        WAIT,
        |v| v == "2",
    )
    .await;
    // Cancelling does nothing.
    click(&page, "#actions button[data-action=rollback]").await;
    confirm_dialog_is(&page, true).await;
    assert_eq!(
        text(&page, "document.activeElement.id").await,
        "confirm-cancel",
        "focus starts on Cancel"
    );
    assert!(
        text(&page, "document.querySelector('#confirm-text').textContent")
            .await
            .contains("d-5")
    );
    click(&page, "#confirm-cancel").await;
    confirm_dialog_is(&page, false).await;
    // From the keyboard: Enter on the focused button opens the dialog, Escape closes it.
    let rollback = page
        .find_element("#actions button[data-action=rollback]")
        .await
        .unwrap();
    rollback.focus().await.unwrap();
    assert_eq!(
        text(&page, "document.activeElement.dataset.action").await,
        "rollback"
    );
    rollback.press_key("Enter").await.unwrap();
    confirm_dialog_is(&page, true).await;
    page.find_element("#confirm-cancel")
        .await
        .unwrap()
        .press_key("Escape")
        .await
        .unwrap();
    confirm_dialog_is(&page, false).await;
    assert!(source.actions().is_empty(), "a cancelled action was sent");
    // Confirming sends it.
    click(&page, "#actions button[data-action=approve]").await;
    confirm_dialog_is(&page, true).await;
    save_screenshot(&page, "confirm-approve").await;
    click(&page, "#confirm-ok").await;
    wait_for(
        &page,
        "document.querySelector('#action-result').textContent",
        WAIT,
        |v| v == "approve sent for d-5",
    )
    .await;
    assert_eq!(
        source.actions(),
        vec![ActionRequest {
            kind: ActionKind::Approve,
            deployment_id: "d-5".into()
        }]
    );
    drop(chrome);
    // The same request from a script, with the token and our own origin, is accepted.
    let own = post(
        addr,
        &format!("{base}actions/rollback"),
        Some(&format!("http://127.0.0.1:{}", addr.port())),
        body,
    );
    let (status, answer) = http(addr, &own);
    assert_eq!(status, 200, "{answer}");
    assert!(answer.contains("rollback sent for d-5"), "{answer}");
    assert_eq!(source.actions().len(), 2);
    dash.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_bounded_poll_serves_every_page() {
    let source = Fake::new(vec![idle()]);
    let interval = Duration::from_millis(400);
    let dash = dashboard::start(
        Options {
            interval,
            ..opts(false)
        },
        source.clone(),
    )
    .await
    .unwrap();
    // Nobody watching: no poll.
    tokio::time::sleep(Duration::from_millis(1200)).await;
    assert!(source.polls().is_empty(), "polled with no page open");

    // Four pages follow the stream; each gets the snapshot at once.
    let mut streams = Vec::new();
    for _ in 0..4 {
        let mut s = TcpStream::connect(dash.addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        s.write_all(get(dash.addr, "/events").as_bytes()).unwrap();
        let mut buf = [0u8; 4096];
        let mut got = String::new();
        while !got.contains("event: snapshot") {
            let n = s.read(&mut buf).expect("the first snapshot arrives");
            assert!(n > 0, "stream closed: {got}");
            got.push_str(&String::from_utf8_lossy(&buf[..n]));
        }
        assert!(got.starts_with("HTTP/1.1 200"), "{got}");
        assert!(got.contains("text/event-stream"), "{got}");
        streams.push(s);
    }
    let start = std::time::Instant::now();
    tokio::time::sleep(Duration::from_millis(2400)).await;
    let polls = source.polls();
    let during: Vec<_> = polls.iter().filter(|p| **p >= start).collect();
    assert!(
        during.len() <= 7,
        "{} polls in 2.4 s with a 400 ms interval: pages poll on their own",
        during.len()
    );
    assert!(
        during.len() >= 3,
        "only {} polls in 2.4 s: the poller stalled",
        during.len()
    );
    for w in polls.windows(2) {
        assert!(w[1] - w[0] >= interval, "two polls {:?} apart", w[1] - w[0]);
    }
    drop(streams);
    // The stream's end is seen at its next write; then polling stops.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let after = source.polls().len();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(
        source.polls().len(),
        after,
        "still polling with every page closed"
    );
    dash.shutdown().await.unwrap();
}

// ---- raw HTTP (full control of Host and Origin) ------------------------------------------

fn get(addr: SocketAddr, path: &str) -> String {
    format!(
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nConnection: close\r\n\r\n",
        addr.port()
    )
}

fn post(addr: SocketAddr, path: &str, origin: Option<&str>, body: &str) -> String {
    let origin = origin
        .map(|o| format!("Origin: {o}\r\n"))
        .unwrap_or_default();
    format!(
        "POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\n{origin}Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        addr.port(),
        body.len()
    )
}

/// Sends one request, returns the status and the whole answer.
fn http(addr: SocketAddr, request: &str) -> (u16, String) {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s.write_all(request.as_bytes()).unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    let status = out
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or_else(|| panic!("not an HTTP answer: {out:?}"));
    (status, out)
}
