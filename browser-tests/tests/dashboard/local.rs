//! `deployer dashboard` (the real command) against `deployer local`, in headless
//! Chromium: a deployment reaches 100 % and its end state on the page without a reload;
//! a failing release shows CodeDeploy's automatic rollback; with actions on, requests
//! without the token are refused.

use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;

use crate::browser::{save_screenshot, text, wait_for, Chromium};
use crate::support::LocalStack;
use crate::{get, http, post};

const WAIT: Duration = Duration::from_secs(120);

/// A running `deployer dashboard`, stopped (SIGTERM, then SIGKILL) by PID on drop.
struct Dashboard {
    child: Child,
    url: String,
    addr: std::net::SocketAddr,
}

impl Dashboard {
    fn start(stack: &LocalStack, extra: &[&str]) -> Dashboard {
        let mut child = stack
            .deployer()
            .args(["dashboard", "--interval", "1s"])
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start deployer dashboard");
        let stdout = child.stdout.take().expect("piped stdout");
        let mut first = String::new();
        let read = BufReader::new(stdout).read_line(&mut first);
        let mut d = Dashboard {
            child,
            url: String::new(),
            addr: "127.0.0.1:1".parse().unwrap(),
        };
        read.expect("reading the dashboard's first line");
        let url = first
            .trim()
            .strip_prefix("dashboard: ")
            .unwrap_or_else(|| panic!("first line is not `dashboard: URL`: {first:?}"))
            .to_owned();
        let authority = url
            .strip_prefix("http://")
            .and_then(|r| r.split('/').next())
            .unwrap_or_else(|| panic!("not an http URL: {url}"));
        d.addr = authority.parse().expect("127.0.0.1:port");
        assert!(d.addr.ip().is_loopback(), "{url}");
        d.url = url;
        d
    }

    /// SIGTERM and wait: the dashboard must exit 0 within 10 s.
    fn stop(mut self) {
        let pid = Pid::from_raw(self.child.id() as i32);
        kill(pid, Signal::SIGTERM).expect("SIGTERM the dashboard");
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                assert!(status.success(), "dashboard exited {status} on SIGTERM");
                return;
            }
            assert!(
                Instant::now() < deadline,
                "dashboard still runs 10 s after SIGTERM"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Dashboard {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let pid = Pid::from_raw(self.child.id() as i32);
            let _ = kill(pid, Signal::SIGTERM);
            let deadline = Instant::now() + Duration::from_secs(5);
            while Instant::now() < deadline {
                if let Ok(Some(_)) = self.child.try_wait() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(100));
            }
            let _ = kill(pid, Signal::SIGKILL);
            let _ = self.child.wait();
        }
    }
}

const GREEN_TRAFFIC: &str =
    "document.querySelector('#task-sets tr[data-color=green] .traffic')?.textContent ?? 'none'";
const PRODUCTION: &str =
    "document.querySelector('.listener[data-role=production] .forwards')?.textContent ?? ''";
const OUTCOME: &str = "document.querySelector('#outcome').textContent";
const OUTCOME_STATUS: &str = "document.querySelector('#outcome').dataset.status ?? ''";

/// Runs `deployer deploy ...` in a thread; joins to its exit code and output.
fn deploy(stack: &LocalStack, args: &[&str]) -> std::thread::JoinHandle<(i32, String)> {
    let mut cmd = stack.deployer();
    cmd.arg("deploy").args(args);
    std::thread::spawn(move || {
        let out = cmd.output().expect("run deployer deploy");
        (
            out.status.code().unwrap_or(-1),
            format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ),
        )
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn local_deployments_live_in_the_browser() {
    let stack = LocalStack::start();
    let dash = Dashboard::start(&stack, &["--allow-actions"]);
    let addr = dash.addr;

    // Actions are on: without the token, nothing is served and nothing is done.
    for path in ["/", "/events", "/snapshot.json"] {
        assert_eq!(http(addr, &get(addr, path)).0, 403, "GET {path}");
    }
    let body = r#"{"deployment_id":"d-AAAAAAAAA"}"#;
    assert_eq!(
        http(addr, &post(addr, "/actions/rollback", None, body)).0,
        403
    );

    let chrome = Chromium::start().await;
    let page = chrome.open(&dash.url).await;
    wait_for(&page, PRODUCTION, WAIT, |v| v == "demo-blue: 100 %").await;
    wait_for(
        &page,
        "document.querySelectorAll('#tasks tbody tr[data-color=blue]').length",
        WAIT,
        |v| v == "2",
    )
    .await;
    text(&page, "window.__sameDocument = 'yes'").await;

    // The Logs panel tails the service's log group: a request made through the NLB shows
    // as its access line (the app logs the request's x-request-id).
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let request_id = format!("dash-{}-{nanos}", std::process::id());
    let (status, _) = crate::support::http_get_with(
        &stack.nlb_url,
        "/",
        &[("x-request-id", request_id.as_str())],
    )
    .expect("GET / through the NLB");
    assert_eq!(status, 200);
    let line = wait_for(
        &page,
        &format!(
            "[...document.querySelectorAll('#logs .logline')].map((r) => r.textContent)\
             .find((t) => t.includes('{request_id}')) || ''"
        ),
        WAIT,
        |v| !v.is_empty(),
    )
    .await;
    assert!(line.contains("INFO") && line.contains("path=/"), "{line}");
    assert_eq!(
        text(
            &page,
            "document.querySelector('#logs').getAttribute('role')"
        )
        .await,
        "log"
    );

    // A good release: the replacement takes all the traffic, the deployment succeeds.
    let run = deploy(&stack, &["--image", "demo:v2"]);
    wait_for(&page, GREEN_TRAFFIC, WAIT, |v| v == "100 %").await;
    save_screenshot(&page, "local-shifted").await;
    let status = wait_for(&page, OUTCOME_STATUS, WAIT, |v| {
        v == "Succeeded" || v == "Failed"
    })
    .await;
    assert_eq!(status, "Succeeded", "{}", text(&page, OUTCOME).await);
    let (code, out) = run.join().unwrap();
    assert_eq!(code, 0, "deploy v2: {out}");
    wait_for(&page, PRODUCTION, WAIT, |v| v == "demo-green: 100 %").await;
    // The probe saw v2 answer.
    wait_for(
        &page,
        "document.querySelector('#legend li[data-version=v2]') !== null",
        WAIT,
        |v| v == "true",
    )
    .await;
    save_screenshot(&page, "local-succeeded").await;
    assert_eq!(
        text(&page, "window.__sameDocument").await,
        "yes",
        "the page was reloaded"
    );

    // A release that fails its health checks: CodeDeploy rolls back on its own.
    let run = deploy(
        &stack,
        &["--image", "demo:v3", "--env", "DEMO_FAIL_HEALTH=1"],
    );
    // The headline is the failed release, naming its rollback: a failure, not the
    // rollback's green Succeeded.
    let outcome = wait_for(&page, OUTCOME, WAIT, |v| {
        v.contains(": Failed") && v.contains("rolled back by d-")
    })
    .await;
    let failed = outcome
        .split(':')
        .next()
        .expect("names the failed deployment")
        .trim()
        .to_owned();
    assert_eq!(
        text(
            &page,
            &format!(
                "document.querySelector('#recent tr[data-deployment={failed}]').dataset.status"
            )
        )
        .await,
        "Failed"
    );
    let (code, out) = run.join().unwrap();
    assert_ne!(code, 0, "deploy of a failing release: {out}");
    // Traffic stayed on (or came back to) the good release.
    wait_for(&page, PRODUCTION, WAIT, |v| v == "demo-green: 100 %").await;
    assert_eq!(
        text(&page, "window.__sameDocument").await,
        "yes",
        "the page was reloaded"
    );
    let updates: u32 = text(&page, "window.dashboard.snapshots")
        .await
        .parse()
        .unwrap();
    // Blue only, green at 100 %, the rollback: three states at least, each a new snapshot
    // over the one stream (how many more depends on how fast the deployments ran).
    assert!(updates >= 3, "only {updates} snapshots reached the page");
    save_screenshot(&page, "local-rollback").await;
    drop(chrome);
    dash.stop();
}

const HOOK: &str = "document.querySelector('#hooks .hook[data-event=AfterAllowTestTraffic]')";
const ALARM_5XX: &str = "document.querySelector('#alarms tr[data-alarm=\"demo-http-5xx\"]')";

/// The release guards on the page: a release whose answers fail (`DEMO_FAIL_REQUESTS=1`)
/// is stopped by the validation hook before production traffic reaches it; the page shows
/// the hook Failed with its failing check and its last log lines, says which guard stopped
/// the release, and lists the 5xx alarm CodeDeploy watches with its state.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn local_release_stopped_by_the_hook_in_the_browser() {
    let stack = LocalStack::start();
    let dash = Dashboard::start(&stack, &["--no-probe"]);
    let chrome = Chromium::start().await;
    let page = chrome.open(&dash.url).await;
    wait_for(&page, PRODUCTION, WAIT, |v| v == "demo-blue: 100 %").await;
    // The group's alarms, before any deployment.
    let state = wait_for(
        &page,
        &format!("{ALARM_5XX}?.dataset.state ?? ''"),
        WAIT,
        |v| !v.is_empty(),
    )
    .await;
    assert!(
        ["OK", "ALARM", "INSUFFICIENT_DATA"].contains(&state.as_str()),
        "{state}"
    );
    let row = text(&page, &format!("{ALARM_5XX}.textContent")).await;
    assert!(row.contains("Http5xx Sum >= 5"), "the alarm's rule: {row}");
    text(&page, "window.__sameDocument = 'yes'").await;

    let run = deploy(
        &stack,
        &[
            "--image",
            "demo:v2",
            "--env",
            "DEMO_FAIL_REQUESTS=1",
            "--interval",
            "200ms",
            "--timeout",
            "120s",
        ],
    );
    let stopped = wait_for(
        &page,
        "document.querySelector('#stopped-by').textContent",
        WAIT,
        |v| v.contains("Stopped by the validation hook"),
    )
    .await;
    assert!(
        stopped.contains("demo-validate (AfterAllowTestTraffic)"),
        "{stopped}"
    );
    assert_eq!(
        text(&page, "document.querySelector('#stopped-by').dataset.guard").await,
        "hook"
    );
    assert_eq!(
        text(&page, &format!("{HOOK}?.dataset.status ?? ''")).await,
        "Failed"
    );
    let badge = text(
        &page,
        &format!("{HOOK}.querySelector('.badge').textContent"),
    )
    .await;
    assert_eq!(badge, "Failed");
    let check = wait_for(
        &page,
        &format!("{HOOK}.querySelector('.check')?.textContent ?? ''"),
        WAIT,
        |v| !v.is_empty(),
    )
    .await;
    assert!(
        check.starts_with("Failing check: ") && check.contains("500"),
        "{check}"
    );
    assert!(
        stopped.ends_with(check.trim_start_matches("Failing check: ")),
        "the summary names the same check: {stopped}"
    );
    // The hook's last log lines, as text.
    let log = text(
        &page,
        &format!("{HOOK}.querySelector('pre.hook-log')?.textContent ?? ''"),
    )
    .await;
    assert!(log.contains("RequestId"), "the hook's log lines: {log:?}");
    assert!(
        text(&page, &format!("{HOOK}.textContent"))
            .await
            .contains("/aws/lambda/demo-validate"),
        "names the log group"
    );
    // The release was rolled back: production stayed on blue.
    let outcome = text(&page, OUTCOME).await;
    assert!(outcome.contains(": Failed"), "{outcome}");
    assert_eq!(text(&page, PRODUCTION).await, "demo-blue: 100 %");
    // The alarm row is still there with a state.
    let state = text(&page, &format!("{ALARM_5XX}?.dataset.state ?? ''")).await;
    assert!(
        ["OK", "ALARM", "INSUFFICIENT_DATA"].contains(&state.as_str()),
        "{state}"
    );
    assert_eq!(
        text(&page, "window.__sameDocument").await,
        "yes",
        "the page was reloaded"
    );
    save_screenshot(&page, "local-stopped-by-hook").await;
    let (code, out) = run.join().unwrap();
    assert_eq!(code, 3, "deploy of a release the hook stops: {out}");
    assert!(
        out.contains("stopped by the validation hook demo-validate"),
        "{out}"
    );
    drop(chrome);
    dash.stop();
}
