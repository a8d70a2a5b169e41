//! The release guards on `deployer local`, with a bounded request loop on the production
//! listener throughout: the validation hook (the hook crate's `bootstrap`, run by the local
//! Lambda at AfterAllowTestTraffic) stops a release whose answers fail or are slow before
//! production traffic reaches it, and a good release still deploys; the 5xx alarm (the
//! local CloudWatch over the tasks' access lines) stops and rolls back a release that
//! starts failing after the hook passed, during the termination wait.

use crate::support;

use std::process::{Output, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use support::LocalStack;

const FAST_WATCH: &[&str] = &["--interval", "200ms", "--timeout", "120s"];

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn explain(out: &Output) -> String {
    format!(
        "exit {:?}\n--- stdout\n{}\n--- stderr\n{}",
        out.status.code(),
        text(&out.stdout),
        text(&out.stderr)
    )
}

fn deploy(stack: &LocalStack, extra: &[&str]) -> (Output, Duration) {
    let t = Instant::now();
    let out = stack
        .deployer()
        .args(["deploy", "--image", "demo:v2"])
        .args(extra)
        .args(FAST_WATCH)
        .stdin(Stdio::null())
        .output()
        .expect("run the deployer binary");
    (out, t.elapsed())
}

/// What the production loop saw.
#[derive(Debug, Default)]
struct Tally {
    requests: u32,
    /// Answers with a 5xx status.
    server_errors: u32,
    /// Answers from the release under test (`version` v2).
    from_new: u32,
    /// Requests that got no answer (connection refused or reset).
    no_answer: u32,
    slowest: Duration,
    /// When the first and the last 5xx answers came.
    first_error: Option<Instant>,
    last_error: Option<Instant>,
    /// How long the loop ran.
    ran: Duration,
}

impl Tally {
    /// Requests per second the loop sent.
    fn rate(&self) -> f64 {
        f64::from(self.requests) / self.ran.as_secs_f64().max(0.001)
    }
}

/// A bounded curl-like loop on the production listener: at most `MAX_REQUESTS` requests
/// and `MAX_TIME`, until stopped.
struct ProductionLoop {
    stop: Arc<AtomicBool>,
    handle: Option<JoinHandle<Tally>>,
}

const MAX_REQUESTS: u32 = 20_000;
const MAX_TIME: Duration = Duration::from_secs(150);

impl ProductionLoop {
    fn start(url: &str) -> ProductionLoop {
        let stop = Arc::new(AtomicBool::new(false));
        let url = url.to_string();
        let flag = Arc::clone(&stop);
        let handle = std::thread::spawn(move || {
            let mut t = Tally::default();
            let start = Instant::now();
            while !flag.load(Ordering::SeqCst)
                && t.requests < MAX_REQUESTS
                && start.elapsed() < MAX_TIME
            {
                let sent = Instant::now();
                let answer = support::http_get_with(&url, "/", &[("Accept", "application/json")]);
                t.slowest = t.slowest.max(sent.elapsed());
                t.requests += 1;
                match answer {
                    Ok((status, body)) => {
                        if status >= 500 {
                            t.server_errors += 1;
                            t.first_error.get_or_insert(sent);
                            t.last_error = Some(sent);
                        }
                        if body.contains("\"version\":\"v2\"") {
                            t.from_new += 1;
                        }
                    }
                    Err(_) => t.no_answer += 1,
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            t.ran = start.elapsed();
            t
        });
        ProductionLoop {
            stop,
            handle: Some(handle),
        }
    }

    fn finish(mut self) -> Tally {
        self.stop.store(true, Ordering::SeqCst);
        self.handle
            .take()
            .expect("finished once")
            .join()
            .expect("the loop does not panic")
    }
}

impl Drop for ProductionLoop {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}

/// A release the hook stops: exit 3, v1 still live, the hook named with its failing
/// check, and production saw neither a 5xx nor an answer from the release.
fn stopped_by_the_hook(env: &str, check: &str) -> String {
    let stack = LocalStack::start();
    let before = support::version_at(&stack.nlb_url).expect("v1 serves");
    assert_eq!(before, "v1");
    let production = ProductionLoop::start(&stack.nlb_url);
    std::thread::sleep(Duration::from_millis(300));
    let (out, _) = deploy(&stack, &["--env", env]);
    std::thread::sleep(Duration::from_millis(500));
    let tally = production.finish();
    let all = format!("{}{}", text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(3), "{}", explain(&out));
    assert!(
        all.contains("hook demo-validate (AfterAllowTestTraffic): Failed"),
        "{}",
        explain(&out)
    );
    assert!(
        all.contains(check),
        "the failing check {check:?}: {}",
        explain(&out)
    );
    assert!(
        all.contains("stopped by the validation hook demo-validate"),
        "{}",
        explain(&out)
    );
    assert!(all.contains("HOOK_EXECUTION_FAILURE"), "{}", explain(&out));
    assert_eq!(
        support::version_at(&stack.nlb_url).expect("v1 still serves"),
        "v1",
        "the live revision is unchanged"
    );
    let status = stack
        .deployer()
        .arg("status")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(
        text(&status.stdout).contains("last hook: demo-validate (AfterAllowTestTraffic) Failed"),
        "{}",
        explain(&status)
    );
    eprintln!("production loop during the stopped release ({env}): {tally:?}");
    assert!(tally.requests > 20, "the loop ran: {tally:?}");
    assert_eq!(tally.server_errors, 0, "production saw a 5xx: {tally:?}");
    assert_eq!(
        tally.from_new, 0,
        "production reached the release: {tally:?}"
    );
    assert_eq!(tally.no_answer, 0, "production went unanswered: {tally:?}");
    all
}

#[test]
fn the_hook_stops_a_release_whose_answers_fail() {
    stopped_by_the_hook(
        "DEMO_FAIL_REQUESTS=1",
        "with an error (e.g. HTTP 500 Internal Server Error",
    );
}

#[test]
fn the_hook_stops_a_release_slower_than_blue_and_shows_both_p99s() {
    let all = stopped_by_the_hook("DEMO_SLOW_MS=300", "p99");
    let figures = all
        .lines()
        .find(|l| l.contains("green p99") && l.contains("blue p99"))
        .unwrap_or_else(|| panic!("both p99s in the report: {all}"));
    // Green waited 300 ms on every answer; blue answered at once.
    let p99 = |side: &str| -> f64 {
        let rest = figures.split(&format!("{side} p99 ")).nth(1).unwrap();
        rest.split(' ').next().unwrap().parse().unwrap()
    };
    assert!(p99("green") >= 300.0, "{figures}");
    assert!(p99("blue") < 300.0, "{figures}");
}

#[test]
fn a_good_release_still_deploys_and_the_hook_costs_about_its_run() {
    // With the hook (the repository's appspec names it).
    let stack = LocalStack::start();
    let production = ProductionLoop::start(&stack.nlb_url);
    let (out, with_hook) = deploy(&stack, &[]);
    let tally = production.finish();
    assert_eq!(out.status.code(), Some(0), "{}", explain(&out));
    let all = format!("{}{}", text(&out.stdout), text(&out.stderr));
    assert!(
        all.contains("hook demo-validate (AfterAllowTestTraffic): Succeeded"),
        "{}",
        explain(&out)
    );
    assert_eq!(support::version_at(&stack.nlb_url).unwrap(), "v2");
    assert_eq!(tally.server_errors, 0, "{tally:?}");
    let hook_ms: f64 = all
        .lines()
        .find_map(|l| l.split("REPORT RequestId: ").nth(1))
        .and_then(|r| r.split("Duration: ").nth(1))
        .and_then(|d| d.split(' ').next())
        .and_then(|d| d.parse().ok())
        .unwrap_or_else(|| panic!("the hook's REPORT line: {all}"));
    drop(stack);

    // Without it: the same appspec minus its Hooks.
    let dir = tempfile::tempdir().unwrap();
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let appspec = std::fs::read_to_string(root.join("appspec.yaml")).unwrap();
    let bare = appspec.split("Hooks:").next().unwrap().to_string();
    assert_ne!(bare, appspec, "the repository's appspec has Hooks");
    std::fs::write(dir.path().join("appspec.yaml"), bare).unwrap();
    std::fs::copy(root.join("taskdef.json"), dir.path().join("taskdef.json")).unwrap();
    let stack = LocalStack::start();
    let t = Instant::now();
    let out = stack
        .deployer()
        .current_dir(dir.path())
        .args(["deploy", "--image", "demo:v2"])
        .args(FAST_WATCH)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let without_hook = t.elapsed();
    assert_eq!(out.status.code(), Some(0), "{}", explain(&out));
    assert!(
        !text(&out.stdout).contains("hook demo-validate"),
        "{}",
        explain(&out)
    );
    eprintln!(
        "a good release: {:.2} s with the hook (its run: {:.0} ms), {:.2} s without",
        with_hook.as_secs_f64(),
        hook_ms,
        without_hook.as_secs_f64()
    );
}

/// The alarm's period locally: `local up --alarm-minute` (its default, 1 s) per minute of
/// the alarm's 60 s period; the alarm decides on 1 period (infra's defaults).
const ALARM_PERIOD: Duration = Duration::from_secs(1);
const ALARM_EVALUATION_PERIODS: u32 = 1;
/// When the release starts failing: after its tasks are healthy and the hook passed
/// (about 2 s here), well inside the termination wait.
const FAIL_AFTER_SECS: u64 = 8;

/// A release that passes the hook and starts failing in production is stopped by the 5xx
/// alarm during the termination wait and rolled back: exit 3, the alarm named with its
/// value, v1 live again, and the 5xx production saw bounded by the alarm's window.
#[test]
fn the_alarm_rolls_back_a_release_that_fails_after_the_hook() {
    let stack = LocalStack::start_with(&["--termination-wait", "60s", "--alarm-minute", "1s"]);
    let production = ProductionLoop::start(&stack.nlb_url);
    std::thread::sleep(Duration::from_millis(300));
    let (out, took) = deploy(
        &stack,
        &[
            "--env",
            "DEMO_FAIL_REQUESTS=1",
            "--env",
            &format!("DEMO_FAIL_AFTER_SECS={FAIL_AFTER_SECS}"),
        ],
    );
    let back_on_blue = Instant::now();
    std::thread::sleep(Duration::from_millis(500));
    let tally = production.finish();
    let all = format!("{}{}", text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(3), "{}", explain(&out));
    for expected in [
        "hook demo-validate (AfterAllowTestTraffic): started",
        "hook demo-validate (AfterAllowTestTraffic): Succeeded",
        "alarm demo-http-5xx: OK -> ALARM (value ",
        "was greater than or equal to the threshold (5.0)",
        "ALARM_ACTIVE",
        "Activated alarms: <demo-http-5xx>",
        "stopped by the alarm demo-http-5xx (Http5xx Sum >= 5, value ",
        "rolled back by",
    ] {
        assert!(all.contains(expected), "{expected:?} in: {}", explain(&out));
    }
    assert!(
        took < Duration::from_secs(55),
        "stopped before the 60 s termination wait ended: {took:?}"
    );
    assert_eq!(
        support::version_at(&stack.nlb_url).expect("v1 serves again"),
        "v1",
        "traffic is back on the original task set"
    );

    // The release reached production and failed there until the alarm stopped it: the 5xx
    // count is bounded by the alarm's window. The alarm sees a period once it is over (at
    // most one period after the first 5xx, plus a tenth), decides on its evaluation
    // periods, and CodeDeploy's and the alarm engine's polls and the rollback add well
    // under a second.
    let window =
        ALARM_PERIOD * (ALARM_EVALUATION_PERIODS + 1) + ALARM_PERIOD / 10 + Duration::from_secs(1);
    let bound = (tally.rate() * window.as_secs_f64()).ceil() as u32;
    let first = tally.first_error.expect("production saw the release fail");
    let last = tally.last_error.expect("a last 5xx");
    let to_rollback = back_on_blue.saturating_duration_since(first);
    eprintln!(
        "alarm rollback: {} 5xx of {} requests ({:.1} req/s); first 5xx to last {:.2} s, to the deployer's exit {:.2} s; bound {bound} ({:.1} s window)",
        tally.server_errors,
        tally.requests,
        tally.rate(),
        (last - first).as_secs_f64(),
        to_rollback.as_secs_f64(),
        window.as_secs_f64(),
    );
    assert!(
        tally.server_errors >= 5,
        "the alarm's threshold was crossed: {tally:?}"
    );
    assert!(
        tally.server_errors <= bound,
        "{} 5xx, more than the alarm window allows ({bound}): {tally:?}",
        tally.server_errors
    );
    assert!(
        last - first <= window,
        "5xx for {:?}, longer than the window {window:?}",
        last - first
    );
    assert_eq!(tally.no_answer, 0, "production went unanswered: {tally:?}");

    let status = stack
        .deployer()
        .arg("status")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let shown = text(&status.stdout);
    assert!(
        shown.contains("alarms (CodeDeploy stops a deployment on ALARM):")
            && shown.contains("  demo-http-5xx  "),
        "{}",
        explain(&status)
    );
}
