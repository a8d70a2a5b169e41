//! Full flows of the deployer's AWS commands against `deployer local` (real `demo`
//! processes, a real NLB on loopback, the CodeDeploy ECS lifecycle): deploy and watch,
//! approve (continue) and skip the termination wait, roll back in flight and after
//! success, a failed deployment with automatic rollback, Ctrl-C by a real SIGINT, and
//! the exit codes of each.

use crate::support;

use std::process::{Child, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use support::LocalStack;

/// Watch flags for tests: fast polls, bounded time.
const FAST_WATCH: &[&str] = &["--interval", "200ms", "--timeout", "90s"];

/// Ready wait (approval) and a long termination wait: deployments park where tests
/// want them.
const PARKING: &[&str] = &[
    "--ready-action",
    "stop",
    "--ready-wait",
    "5m",
    "--termination-wait",
    "5m",
];

fn run(stack: &LocalStack, args: &[&str]) -> Output {
    stack
        .deployer()
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("run the deployer binary")
}

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

fn watch_args<'a>(args: &[&'a str]) -> Vec<&'a str> {
    let mut v = args.to_vec();
    v.extend_from_slice(FAST_WATCH);
    v
}

/// `smoke` through the NLB, expecting every answer from `version`.
fn assert_serves(stack: &LocalStack, version: &str) {
    let out = run(
        stack,
        &[
            "smoke",
            "--url",
            &stack.nlb_url,
            "--requests",
            "20",
            "--expect-version",
            version,
            "--output",
            "json",
        ],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "smoke {version}: {}",
        explain(&out)
    );
}

/// The JSON lines of a watch: events, then the summary last.
fn json_lines(out: &Output) -> Vec<serde_json::Value> {
    text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON: {l:?}: {e}")))
        .collect()
}

fn status_of(stack: &LocalStack, id: &str) -> String {
    let out = run(
        stack,
        &["status", "--output", "json", "--deployments", "20"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", explain(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    v["deployments"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["id"] == id)
        .map(|d| d["status"].as_str().unwrap().to_owned())
        .unwrap_or_else(|| panic!("deployment {id} not in status: {v}"))
}

#[test]
fn deploy_status_diff_and_rollback_after_success() {
    let stack = LocalStack::start();
    assert_serves(&stack, "v1");

    // deploy, watched to the end, JSON events on stdout.
    let out = run(
        &stack,
        &watch_args(&["deploy", "--image", "demo:v2", "--output", "json"]),
    );
    assert_eq!(out.status.code(), Some(0), "{}", explain(&out));
    let lines = json_lines(&out);
    let summary = lines.last().unwrap();
    assert_eq!(summary["type"], "summary", "{summary}");
    assert_eq!(summary["outcome"], "succeeded", "{summary}");
    assert_eq!(summary["exit_code"], 0);
    let id = summary["deployment_id"].as_str().unwrap().to_owned();
    // The stream names the registered revision and the deployment before the watch.
    let registered = lines
        .iter()
        .find(|l| l["type"] == "task_definition")
        .expect("a task_definition event");
    assert_eq!(registered["action"], "registered", "{registered}");
    assert!(registered["task_definition_arn"]
        .as_str()
        .unwrap()
        .contains(":task-definition/demo:"));
    assert!(lines
        .iter()
        .any(|l| l["type"] == "deployment_created" && l["deployment_id"] == id.as_str()));
    let lifecycle: Vec<&str> = lines
        .iter()
        .filter(|l| l["type"] == "lifecycle" && l["status"] == "Succeeded")
        .map(|l| l["name"].as_str().unwrap())
        .collect();
    for hook in ["Install", "AllowTestTraffic", "AllowTraffic"] {
        assert!(
            lifecycle.contains(&hook),
            "{hook} not reported: {lifecycle:?}"
        );
    }
    assert!(
        lines.iter().any(|l| l["type"] == "task_sets"
            && l["task_sets"]
                .as_array()
                .unwrap()
                .iter()
                .any(|t| t["role"] == "replacement" && t["color"] == "green")),
        "the replacement task set (on demo-green) is reported by its target group"
    );
    assert!(
        text(&out.stderr).contains("registered"),
        "{}",
        explain(&out)
    );
    assert_serves(&stack, "v2");

    // status: human output, snapshot with the run-specific parts filtered.
    let out = run(&stack, &["status"]);
    assert_eq!(out.status.code(), Some(0), "{}", explain(&out));
    let human = text(&out.stdout);
    assert!(human.contains("live         green"), "{human}");
    insta::with_settings!({filters => vec![
        (r"arn:aws:[a-z0-9-]+:[a-z0-9-]*:[0-9]*:[^\s)]+", "[ARN]"),
        (r"\bd-[A-Z0-9]{9}\b", "[DEPLOYMENT]"),
        (r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z", "[TIME]"),
        (r"127\.0\.0\.1:\d+", "127.0.0.1:[PORT]"),
        (r"port \d+", "port [PORT]"),
        (r"\bts-[A-Za-z0-9-]+", "[TASKSET]"),
        (r"demo:\d+\b", "demo:[REV]"),
    ]}, {
        insta::assert_snapshot!("status_after_deploy", human);
    });

    // diff: the same render as live shows no difference; a new env var shows up.
    let out = run(&stack, &["diff", "--image", "demo:v2"]);
    assert_eq!(out.status.code(), Some(0), "{}", explain(&out));
    assert!(
        text(&out.stderr).contains("no differences"),
        "{}",
        explain(&out)
    );
    let out = run(&stack, &["diff", "--env", "DEMO_FAIL_HEALTH=1"]);
    // Different: exit 1, as diff(1).
    assert_eq!(out.status.code(), Some(1), "{}", explain(&out));
    assert!(
        text(&out.stdout).contains("+          \"name\": \"DEMO_FAIL_HEALTH\""),
        "{}",
        explain(&out)
    );

    // deploy --dry-run of the live image: reuses the revision, changes nothing.
    let out = run(&stack, &["deploy", "--image", "demo:v2", "--dry-run"]);
    assert_eq!(out.status.code(), Some(0), "{}", explain(&out));
    assert!(
        text(&out.stderr).contains("would reuse"),
        "{}",
        explain(&out)
    );

    // verify: every check passes on the idle stack.
    let out = run(&stack, &["verify"]);
    assert_eq!(out.status.code(), Some(0), "{}", explain(&out));

    // rollback with nothing in flight: deploys the previous revision (v1).
    let out = run(&stack, &watch_args(&["rollback"]));
    assert_eq!(out.status.code(), Some(0), "{}", explain(&out));
    assert!(
        text(&out.stderr).contains("no deployment in flight"),
        "{}",
        explain(&out)
    );
    assert_serves(&stack, "v1");
    assert_eq!(status_of(&stack, &id), "Succeeded");
}

#[test]
fn approve_then_skip_the_termination_wait() {
    let stack = LocalStack::start_with(PARKING);

    let out = run(
        &stack,
        &watch_args(&["deploy", "--image", "demo:v2", "--wait-until", "ReadyWait"]),
    );
    assert_eq!(out.status.code(), Some(0), "{}", explain(&out));
    assert!(
        text(&out.stderr).contains("waits for approval"),
        "{}",
        explain(&out)
    );
    // Green is up, production still on blue.
    assert_serves(&stack, "v1");

    // Wrong wait: a clear refusal (exit 2) that says what to run.
    let out = run(&stack, &["continue", "--termination"]);
    assert_eq!(out.status.code(), Some(2), "{}", explain(&out));
    assert!(
        text(&out.stderr).contains("without --termination"),
        "{}",
        explain(&out)
    );

    let out = run(&stack, &["continue"]);
    assert_eq!(out.status.code(), Some(0), "{}", explain(&out));
    assert!(text(&out.stdout).contains("approved"), "{}", explain(&out));

    let out = run(
        &stack,
        &watch_args(&["wait", "--wait-until", "TerminationWait"]),
    );
    assert_eq!(out.status.code(), Some(0), "{}", explain(&out));
    assert_serves(&stack, "v2");

    let out = run(&stack, &["continue", "--termination"]);
    assert_eq!(out.status.code(), Some(0), "{}", explain(&out));
    let out = run(&stack, &watch_args(&["wait"]));
    assert_eq!(out.status.code(), Some(0), "{}", explain(&out));
    assert!(text(&out.stdout).contains("succeeded"), "{}", explain(&out));

    // Nothing in flight any more: continue says so.
    let out = run(&stack, &["continue"]);
    assert_eq!(out.status.code(), Some(2), "{}", explain(&out));
    assert!(
        text(&out.stderr).contains("no deployment in flight"),
        "{}",
        explain(&out)
    );

    // rollback after success on a group that waits for approval: the redeploy of the
    // previous revision is approved by the rollback itself (no second command needed).
    let out = run(&stack, &watch_args(&["rollback"]));
    assert_eq!(out.status.code(), Some(0), "{}", explain(&out));
    assert!(
        text(&out.stderr).contains("approved the traffic switch"),
        "{}",
        explain(&out)
    );
    assert_serves(&stack, "v1");
}

#[test]
fn rollback_in_flight_stops_and_restores_blue() {
    let stack = LocalStack::start_with(PARKING);
    let out = run(&stack, &["deploy", "--image", "demo:v2", "--no-wait"]);
    assert_eq!(out.status.code(), Some(0), "{}", explain(&out));
    let id = text(&out.stdout).trim().to_owned();
    let out = run(
        &stack,
        &watch_args(&["wait", &id, "--wait-until", "ReadyWait"]),
    );
    assert_eq!(out.status.code(), Some(0), "{}", explain(&out));

    // A second deploy is refused while one is in flight, naming it (exit 6).
    let out = run(&stack, &["deploy", "--image", "demo:v3", "--no-wait"]);
    assert_eq!(out.status.code(), Some(6), "{}", explain(&out));
    assert!(
        text(&out.stderr).contains(&format!("`deployer continue {id}` switches traffic")),
        "{}",
        explain(&out)
    );
    // So is a rollback to a given revision (a plain `rollback` stops it instead).
    let out = run(&stack, &["rollback", "--to", "1", "--no-wait"]);
    assert_eq!(out.status.code(), Some(6), "{}", explain(&out));
    assert!(
        text(&out.stderr).contains(&format!("deployment {id} is Ready")),
        "{}",
        explain(&out)
    );
    assert!(
        text(&out.stderr).contains(&format!("deployment {id} is Ready")),
        "{}",
        explain(&out)
    );

    let out = run(&stack, &watch_args(&["rollback"]));
    assert_eq!(out.status.code(), Some(0), "{}", explain(&out));
    assert!(
        text(&out.stderr).contains(&format!("stopping {id}")),
        "{}",
        explain(&out)
    );
    assert_eq!(status_of(&stack, &id), "Stopped");
    assert_serves(&stack, "v1");

    // Watching a stopped deployment reports it: exit 4.
    let out = run(&stack, &watch_args(&["wait", &id]));
    assert_eq!(out.status.code(), Some(4), "{}", explain(&out));
}

#[test]
fn failed_deployment_rolls_back_automatically_with_diagnostics() {
    let stack = LocalStack::start_with(&["--install-timeout", "5s"]);
    let out = run(
        &stack,
        &watch_args(&[
            "deploy",
            "--image",
            "demo:v2",
            "--env",
            "DEMO_FAIL_HEALTH=1",
        ]),
    );
    assert_eq!(out.status.code(), Some(3), "{}", explain(&out));
    let err = text(&out.stderr);
    assert!(err.contains("Failed"), "lifecycle failure shown: {err}");
    assert!(
        err.lines()
            .any(|l| l.contains("failed:") && !l.ends_with("failed:")),
        "diagnostics shown, not just Failed: {err}"
    );
    assert!(text(&out.stdout).contains("failed"), "{}", explain(&out));
    assert_serves(&stack, "v1");
}

fn sigint(child: &Child) {
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(child.id() as i32),
        nix::sys::signal::Signal::SIGINT,
    )
    .expect("send SIGINT");
}

fn wait_exit(child: &mut Child, within: Duration) -> Option<i32> {
    let deadline = Instant::now() + within;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status.code();
        }
        assert!(
            Instant::now() < deadline,
            "the deployer did not exit within {within:?}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn ctrl_c_leaves_the_deployment_or_stops_it_and_timeouts_exit_5() {
    let stack = LocalStack::start_with(PARKING);
    let out = run(&stack, &["deploy", "--image", "demo:v2", "--no-wait"]);
    assert_eq!(out.status.code(), Some(0), "{}", explain(&out));
    let id = text(&out.stdout).trim().to_owned();

    // Without a terminal and without a flag: Ctrl-C leaves it running (exit 130).
    let mut child = support::Reap(
        stack
            .deployer()
            .args(["wait", &id, "--interval", "200ms", "--timeout", "60s"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let rx = support::lines_of(child.0.stderr.take().unwrap());
    // The first status line (`[  0:00] d-... InProgress`): the watch loop runs.
    support::wait_for_line(&rx, &format!("] {id} "), Duration::from_secs(30));
    sigint(&child.0);
    assert_eq!(wait_exit(&mut child.0, Duration::from_secs(10)), Some(130));
    let seen = support::wait_for_line(&rx, "keeps running", Duration::from_secs(5));
    assert!(
        seen.iter()
            .any(|l| l.contains(&format!("deployer wait {id}"))),
        "{seen:?}"
    );
    assert!(
        matches!(status_of(&stack, &id).as_str(), "InProgress" | "Ready"),
        "still in flight"
    );

    // Watching past the timeout: exit 5, the deployment untouched.
    let out = run(
        &stack,
        &["wait", &id, "--interval", "200ms", "--timeout", "1s"],
    );
    assert_eq!(out.status.code(), Some(5), "{}", explain(&out));
    assert!(
        text(&out.stderr).contains("timed out after 0:01"),
        "{}",
        explain(&out)
    );

    // With --on-interrupt rollback: Ctrl-C stops it with rollback, followed (exit 4).
    let mut child = support::Reap(
        stack
            .deployer()
            .args(["wait", &id, "--interval", "200ms", "--timeout", "60s"])
            .args(["--on-interrupt", "rollback"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let rx = support::lines_of(child.0.stderr.take().unwrap());
    support::wait_for_line(&rx, &format!("] {id} "), Duration::from_secs(30));
    sigint(&child.0);
    assert_eq!(wait_exit(&mut child.0, Duration::from_secs(60)), Some(4));
    assert_eq!(status_of(&stack, &id), "Stopped");
    assert_serves(&stack, "v1");
}

/// Runs the deployer under a pseudo-terminal (util-linux `script`) with `TERM=term`;
/// returns the child and a channel of what the terminal shows.
fn on_terminal(
    stack: &LocalStack,
    term: &str,
    args: &str,
) -> (support::Reap, mpsc::Receiver<String>) {
    use std::io::Read;
    // `exec`: the deployer must be the terminal's only foreground process. `script` runs
    // `$SHELL -c`, and dash (Debian's /bin/sh) does not exec the last command: the shell
    // would get the Ctrl-C's SIGINT too, die of it, and `script` would report 130.
    let command = format!("exec {} {args}", support::deployer_bin().display());
    let spawned = stack
        .command("script")
        .args(["-qec", &command, "/dev/null"])
        .env("TERM", term)
        .env("SHELL", "/bin/sh")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let mut child =
        support::Reap(spawned.expect(
            "run `script` (util-linux, part of every Debian install) for a pseudo-terminal",
        ));
    let mut stdout = child.0.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel::<String>();
    std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while let Ok(n) = stdout.read(&mut buf) {
            if n == 0
                || tx
                    .send(String::from_utf8_lossy(&buf[..n]).into_owned())
                    .is_err()
            {
                break;
            }
        }
    });
    (child, rx)
}

/// Collects terminal output until it contains `needle` (bounded).
fn until_shown(rx: &mpsc::Receiver<String>, seen: &mut String, needle: &str) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !seen.contains(needle) {
        assert!(
            Instant::now() < deadline,
            "{needle:?} not shown; terminal showed:\n{seen}"
        );
        if let Ok(chunk) = rx.recv_timeout(Duration::from_millis(100)) {
            seen.push_str(&chunk);
        }
    }
}

/// Ctrl-C typed on a terminal: the deployer asks, and `s` stops with rollback (exit 4).
#[test]
fn ctrl_c_on_a_terminal_asks_and_can_stop_with_rollback() {
    use std::io::Write;

    let stack = LocalStack::start_with(PARKING);
    let out = run(&stack, &["deploy", "--image", "demo:v2", "--no-wait"]);
    assert_eq!(out.status.code(), Some(0), "{}", explain(&out));
    let id = text(&out.stdout).trim().to_owned();
    let (mut child, rx) = on_terminal(
        &stack,
        "xterm-256color",
        &format!("wait {id} --interval 200ms --timeout 60s"),
    );
    let mut seen = String::new();
    until_shown(&rx, &mut seen, &format!("] {id} "));
    let mut stdin = child.0.stdin.take().unwrap();
    stdin.write_all(b"\x03").unwrap(); // Ctrl-C: the terminal sends SIGINT
    stdin.flush().unwrap();
    until_shown(&rx, &mut seen, "or [s]top it and roll back?");
    stdin.write_all(b"s\n").unwrap();
    stdin.flush().unwrap();
    let code = wait_exit(&mut child.0, Duration::from_secs(60));
    while let Ok(chunk) = rx.recv_timeout(Duration::from_millis(200)) {
        seen.push_str(&chunk);
    }
    assert_eq!(code, Some(4), "terminal showed:\n{seen}");
    assert_eq!(status_of(&stack, &id), "Stopped");
    assert_serves(&stack, "v1");
}

/// `deploy --approve` on a terminal (a pseudo-terminal from util-linux `script`): it asks
/// before the switch, and the answer `y` switches production traffic.
#[test]
fn approve_asks_on_a_terminal_before_the_switch() {
    use std::io::Write;

    let stack = LocalStack::start_with(PARKING);
    // TERM=dumb (Emacs' shell): no live status line, but every progress line still shows.
    let (mut child, rx) = on_terminal(
        &stack,
        "dumb",
        "deploy --image demo:v2 --approve --interval 200ms --timeout 90s \
         --wait-until TerminationWait",
    );
    let mut seen = String::new();
    until_shown(&rx, &mut seen, "Switch production traffic to it?");
    // Asked before the switch: production still on blue.
    assert_serves(&stack, "v1");
    let mut stdin = child.0.stdin.take().unwrap();
    stdin.write_all(b"y\n").unwrap();
    stdin.flush().unwrap();
    let code = wait_exit(&mut child.0, Duration::from_secs(60));
    while let Ok(chunk) = rx.recv_timeout(Duration::from_millis(200)) {
        seen.push_str(&chunk);
    }
    assert_eq!(code, Some(0), "terminal showed:\n{seen}");
    assert!(
        seen.contains("approved: switching traffic to the replacement task set"),
        "{seen}"
    );
    for line in ["] BeforeInstall ", "] AllowTestTraffic ", "] task sets: "] {
        assert!(seen.contains(line), "{line:?} not shown:\n{seen}");
    }
    assert_serves(&stack, "v2");
}
