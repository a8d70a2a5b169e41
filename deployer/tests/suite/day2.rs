//! Day-2 operations against `deployer local`: `deployer logs` (an access line,
//! `--follow` seeing a later line and ending on Ctrl-C with exit 0, `--filter`, JSON),
//! a failed deployment's report with the replacement's last log lines from CloudWatch
//! Logs, and the real AWS CLI (v1: `logs filter-log-events`, `get-log-events`,
//! `describe-log-streams`; `application-autoscaling describe-scalable-targets`) against
//! the local APIs.

use crate::support;

use std::process::{Output, Stdio};
use std::time::{Duration, Instant};

use support::LocalStack;

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

/// A path no other request uses, so its access line is this test's.
fn probe(tag: &str) -> String {
    format!("/day2-{tag}-{}", deployer_models::time::now_millis())
}

/// Runs `args` until its stdout contains `needle` (bounded): the tasks' output reaches
/// the log group within a poll.
fn eventually(stack: &LocalStack, args: &[&str], needle: &str, within: Duration) -> Output {
    let deadline = Instant::now() + within;
    loop {
        let out = run(stack, args);
        if out.status.success() && text(&out.stdout).contains(needle) {
            return out;
        }
        assert!(
            Instant::now() < deadline,
            "no {needle:?} in `deployer {}` within {within:?}: {}",
            args.join(" "),
            explain(&out)
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn logs_show_access_lines_follow_new_ones_and_filter() {
    let stack = LocalStack::start();
    let path = probe("logs");
    let (status, _) = support::http_get(&stack.nlb_url, &path).expect("GET through the NLB");
    assert_eq!(status, 404);

    // Human output: time, short task id, level, message, then the fields.
    let out = eventually(
        &stack,
        &["logs", "--since", "5m"],
        &path,
        Duration::from_secs(15),
    );
    let line = text(&out.stdout)
        .lines()
        .find(|l| l.contains(&path))
        .unwrap()
        .to_string();
    assert!(
        line.contains("  INFO   request  method=GET  path=") && line.contains("status=404"),
        "{line}"
    );

    // JSON: the app's own line.
    let out = run(&stack, &["logs", "--since", "5m", "--output", "json"]);
    assert!(out.status.success(), "{}", explain(&out));
    let hit: Vec<serde_json::Value> = text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("every line is JSON"))
        .filter(|v: &serde_json::Value| v["path"] == path.as_str())
        .collect();
    assert_eq!(hit.len(), 1, "{}", explain(&out));
    assert_eq!(hit[0]["status"], 404);

    // A CloudWatch filter pattern, passed through: only the 404s of this probe.
    let pattern = format!("{{ $.status = 404 && $.path = \"{}*\" }}", &path[..12]);
    let out = run(&stack, &["logs", "--since", "5m", "--filter", &pattern]);
    assert!(out.status.success(), "{}", explain(&out));
    let stdout = text(&out.stdout);
    let lines: Vec<&str> = stdout.lines().filter(|l| !l.trim().is_empty()).collect();
    assert!(
        !lines.is_empty() && lines.iter().all(|l| l.contains("status=404")),
        "{}",
        explain(&out)
    );
    // The tasks behind a target group: blue has them, green has none before a deployment.
    let out = run(&stack, &["logs", "--since", "5m", "--target-group", "blue"]);
    assert!(text(&out.stdout).contains(&path), "{}", explain(&out));
    let out = run(
        &stack,
        &["logs", "--since", "5m", "--target-group", "green"],
    );
    assert!(out.status.success(), "{}", explain(&out));
    assert!(text(&out.stdout).is_empty(), "{}", explain(&out));
    assert!(text(&out.stderr).contains("no tasks"), "{}", explain(&out));
    let out = run(&stack, &["logs", "--since", "yesterday"]);
    assert_eq!(out.status.code(), Some(2), "{}", explain(&out));
    let out = run(&stack, &["logs", "--filter", "[ip, user]"]);
    assert_ne!(out.status.code(), Some(0), "{}", explain(&out));
    assert!(
        text(&out.stderr).contains("InvalidParameterException"),
        "{}",
        explain(&out)
    );

    // --follow: a line written after it started shows up once; Ctrl-C exits 0.
    let child = stack
        .deployer()
        .args(["logs", "--follow", "--since", "1s", "--interval", "200ms"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start deployer logs --follow");
    let mut child = support::Reap(child);
    let rx = support::lines_of(child.0.stdout.take().unwrap());
    // Wait until --follow shows new lines at all (a warm-up request, repeated, bounded):
    // then `later` is surely requested after the follow began.
    let warm_up = probe("follow-warm-up");
    let deadline = Instant::now() + Duration::from_secs(15);
    let mut last_request = Instant::now() - Duration::from_secs(1);
    loop {
        assert!(
            Instant::now() < deadline,
            "--follow showed no new line within 15s"
        );
        if last_request.elapsed() >= Duration::from_millis(500) {
            support::http_get(&stack.nlb_url, &warm_up).expect("GET through the NLB");
            last_request = Instant::now();
        }
        if let Ok(l) = rx.recv_timeout(Duration::from_millis(100)) {
            if l.contains(&warm_up) {
                break;
            }
        }
    }
    let later = probe("follow");
    support::http_get(&stack.nlb_url, &later).expect("GET through the NLB");
    let deadline = Instant::now() + Duration::from_secs(15);
    let mut seen = Vec::new();
    while !seen.iter().any(|l: &String| l.contains(&later)) {
        assert!(
            Instant::now() < deadline,
            "--follow did not show {later} within 15s; saw:\n{}",
            seen.join("\n")
        );
        if let Ok(l) = rx.recv_timeout(Duration::from_millis(100)) {
            seen.push(l);
        }
    }
    // A few more polls: the line must not come again.
    let until = Instant::now() + Duration::from_secs(1);
    while Instant::now() < until {
        if let Ok(l) = rx.recv_timeout(Duration::from_millis(100)) {
            seen.push(l);
        }
    }
    assert_eq!(
        seen.iter().filter(|l| l.contains(&later)).count(),
        1,
        "shown once: {seen:?}"
    );
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(child.0.id() as i32),
        nix::sys::signal::Signal::SIGINT,
    )
    .expect("send SIGINT");
    let deadline = Instant::now() + Duration::from_secs(10);
    let code = loop {
        if let Some(status) = child.0.try_wait().unwrap() {
            break status.code();
        }
        assert!(
            Instant::now() < deadline,
            "logs --follow did not exit on Ctrl-C"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(code, Some(0), "Ctrl-C ends --follow with exit 0");
}

#[test]
fn failed_deployment_report_carries_the_replacements_last_log_lines() {
    let stack = LocalStack::start_with(&["--install-timeout", "5s"]);
    let out = run(
        &stack,
        &[
            "deploy",
            "--image",
            "demo:v2",
            "--env",
            "DEMO_FAIL_HEALTH=1",
            "--interval",
            "200ms",
            "--timeout",
            "90s",
        ],
    );
    assert_eq!(out.status.code(), Some(3), "{}", explain(&out));
    let err = text(&out.stderr);
    let at = err
        .find("last log lines (/ecs/demo ecs/demo/")
        .unwrap_or_else(|| panic!("no log lines in the report: {}", explain(&out)));
    // The lines that follow are the task's own (its JSON lines, shown readable).
    let after = &err[at..];
    assert!(
        after
            .lines()
            .skip(1)
            .take(10)
            .any(|l| l.contains("  INFO ") || l.contains("  WARN ")),
        "{}",
        explain(&out)
    );
    assert!(
        !err.contains("/tasks/"),
        "no local file path in the report: {err}"
    );
}

#[test]
fn aws_cli_reads_the_local_logs_and_scalable_targets() {
    let stack = LocalStack::start();
    let path = probe("cli");
    support::http_get(&stack.nlb_url, &path).expect("GET through the NLB");
    let deadline = Instant::now() + Duration::from_secs(15);
    let events = loop {
        let v = stack.aws_json(&[
            "logs",
            "filter-log-events",
            "--log-group-name",
            "/ecs/demo",
            "--filter-pattern",
            &format!("\"{path}\""),
        ]);
        let events = v["events"].as_array().cloned().unwrap_or_default();
        if !events.is_empty() {
            break events;
        }
        assert!(Instant::now() < deadline, "no event for {path} within 15s");
        std::thread::sleep(Duration::from_millis(200));
    };
    assert_eq!(events.len(), 1, "{events:?}");
    let stream = events[0]["logStreamName"].as_str().unwrap().to_string();
    assert!(stream.starts_with("ecs/demo/"), "{stream}");

    let v = stack.aws_json(&[
        "logs",
        "describe-log-streams",
        "--log-group-name",
        "/ecs/demo",
        "--order-by",
        "LastEventTime",
        "--descending",
    ]);
    let names: Vec<&str> = v["logStreams"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["logStreamName"].as_str().unwrap())
        .collect();
    assert!(names.contains(&stream.as_str()), "{names:?}");
    assert!(names.len() >= 2, "one stream per task: {names:?}");

    let v = stack.aws_json(&[
        "logs",
        "get-log-events",
        "--log-group-name",
        "/ecs/demo",
        "--log-stream-name",
        &stream,
        "--start-from-head",
    ]);
    let msgs: Vec<&str> = v["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["message"].as_str().unwrap())
        .collect();
    assert!(msgs.iter().any(|m| m.contains(&path)), "{msgs:?}");
    assert!(v["nextForwardToken"].as_str().unwrap().starts_with("f/"));

    let v = stack.aws_json(&[
        "application-autoscaling",
        "describe-scalable-targets",
        "--service-namespace",
        "ecs",
    ]);
    let t = &v["ScalableTargets"][0];
    assert_eq!(t["ResourceId"], "service/demo/demo", "{v}");
    assert_eq!(t["ScalableDimension"], "ecs:service:DesiredCount");
    assert_eq!(t["MinCapacity"], 2, "min = the service's task count");
    assert!(t["MaxCapacity"].as_i64().unwrap() >= 2, "{v}");
    let v = stack.aws_json(&[
        "application-autoscaling",
        "describe-scaling-policies",
        "--service-namespace",
        "ecs",
    ]);
    assert_eq!(
        v["ScalingPolicies"][0]["TargetTrackingScalingPolicyConfiguration"]
            ["PredefinedMetricSpecification"]["PredefinedMetricType"],
        "ECSServiceAverageCPUUtilization",
        "{v}"
    );
}

fn json_of(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", explain(out)))
}

/// `tasks --output json`: one `task` object per line, as an array.
fn task_rows(out: &Output) -> serde_json::Value {
    let rows: Vec<serde_json::Value> = text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    assert!(rows.iter().all(|r| r["type"] == "task"), "{rows:?}");
    serde_json::Value::Array(rows)
}

#[test]
fn tasks_spread_over_two_azs_and_scale_changes_the_count() {
    // A long scale-in cooldown: the idle service's CPU alarm must not undo `scale --tasks 3`.
    let stack = LocalStack::start_with(&["--scale-in-cooldown", "10m"]);

    let out = run(&stack, &["tasks"]);
    assert!(out.status.success(), "{}", explain(&out));
    let human = text(&out.stdout);
    assert!(human.starts_with("TASK "), "{human}");
    assert!(
        human.contains("us-east-1a") && human.contains("us-east-1b"),
        "{human}"
    );

    let out = run(&stack, &["tasks", "--output", "json"]);
    let rows = task_rows(&out);
    let rows = rows.as_array().unwrap();
    assert_eq!(rows.len(), 2, "{rows:?}");
    for r in rows {
        assert_eq!(r["target_group"], "blue", "{r}");
        assert_eq!(r["last_status"], "RUNNING", "{r}");
        assert!(
            r["address"].as_str().unwrap().starts_with("127.0.0.1:"),
            "{r}"
        );
        assert!(
            r["availability_zone"]
                .as_str()
                .unwrap()
                .starts_with("us-east-1"),
            "{r}"
        );
        assert_eq!(r["target_health"], "healthy", "{r}");
    }
    let zones: std::collections::BTreeSet<&str> = rows
        .iter()
        .map(|r| r["availability_zone"].as_str().unwrap())
        .collect();
    assert_eq!(zones.len(), 2, "two AZs: {zones:?}");

    // Outside the auto scaling bounds [2, 4]: refused, exit 2, nothing changed.
    let out = run(&stack, &["scale", "--tasks", "9"]);
    assert_eq!(out.status.code(), Some(2), "{}", explain(&out));
    assert!(
        text(&out.stderr).contains("outside the auto scaling bounds [2, 4]"),
        "{}",
        explain(&out)
    );

    let t0 = Instant::now();
    let out = run(
        &stack,
        &["scale", "--tasks", "3", "--wait", "--timeout", "60s"],
    );
    assert!(out.status.success(), "{}", explain(&out));
    eprintln!("scale --tasks 3 --wait took {:?}", t0.elapsed());
    assert!(
        text(&out.stdout).contains("desired count 2 -> 3"),
        "{}",
        explain(&out)
    );

    let out = run(&stack, &["status"]);
    assert!(out.status.success(), "{}", explain(&out));
    let s = text(&out.stdout);
    assert!(s.contains("3 of 3 tasks running"), "{s}");
    assert!(s.contains("scaling      desired 3, min 2, max 4"), "{s}");

    let out = run(&stack, &["tasks", "--output", "json"]);
    let rows = task_rows(&out);
    let zones: Vec<&str> = rows
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["availability_zone"].as_str().unwrap())
        .collect();
    assert_eq!(zones.len(), 3, "{zones:?}");
    assert!(
        zones.contains(&"us-east-1a") && zones.contains(&"us-east-1b"),
        "{zones:?}"
    );

    // The bounds move with --min/--max; status shows them.
    let out = run(&stack, &["scale", "--min", "1", "--max", "5"]);
    assert!(out.status.success(), "{}", explain(&out));
    let out = run(&stack, &["status", "--output", "json"]);
    let v = json_of(&out);
    assert_eq!(
        v["autoscaling"],
        serde_json::json!({"min": 1, "max": 5}),
        "{v}"
    );
}

/// The scaling figures of the local stack (`/_local/status`).
fn scaling(stack: &LocalStack) -> serde_json::Value {
    let (status, body) = support::http_get(&stack.api_url, "/_local/status").expect("local status");
    assert_eq!(status, 200);
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    v["scaling"].clone()
}

#[test]
fn load_scales_the_service_out_and_back_in() {
    // One task of 256 CPU units (a quarter core); the target is 20 % of it, so a few
    // request loops through the NLB are well above it.
    let stack = LocalStack::start_with(&[
        "--tasks",
        "1",
        "--max-tasks",
        "2",
        "--cpu-target",
        "20",
        "--scale-out-cooldown",
        "1s",
        "--scale-in-cooldown",
        "3s",
    ]);
    assert_eq!(scaling(&stack)["desired"], 1);
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let sent = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let mut load = Vec::new();
    for _ in 0..4 {
        let stop = stop.clone();
        let sent = sent.clone();
        let url = stack.nlb_url.clone();
        // Bounded: at most 90 s or 2,000,000 requests per thread.
        load.push(std::thread::spawn(move || {
            let until = Instant::now() + Duration::from_secs(90);
            for _ in 0..2_000_000 {
                if stop.load(std::sync::atomic::Ordering::Relaxed) || Instant::now() > until {
                    break;
                }
                if support::http_get(&url, "/").is_ok() {
                    sent.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                }
            }
        }));
    }
    let t0 = Instant::now();
    let mut peak_cpu = 0.0f64;
    let out_after = loop {
        let s = scaling(&stack);
        peak_cpu = peak_cpu.max(s["cpu_percent"].as_f64().unwrap_or(0.0));
        if s["desired"] == 2 {
            break t0.elapsed();
        }
        assert!(
            t0.elapsed() < Duration::from_secs(60),
            "no scale out within 60 s under load (peak CPU {peak_cpu:.1}% of the task's units, {} requests): {s}",
            sent.load(std::sync::atomic::Ordering::Relaxed)
        );
        std::thread::sleep(Duration::from_millis(250));
    };
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for t in load {
        t.join().unwrap();
    }
    let requests = sent.load(std::sync::atomic::Ordering::Relaxed);
    let t1 = Instant::now();
    let in_after = loop {
        let s = scaling(&stack);
        if s["desired"] == 1 {
            break t1.elapsed();
        }
        assert!(
            t1.elapsed() < Duration::from_secs(90),
            "no scale in within 90 s after the load ended: {s}"
        );
        std::thread::sleep(Duration::from_millis(250));
    };
    eprintln!(
        "autoscaling: scale out after {out_after:?} of load ({requests} requests, peak CPU {peak_cpu:.1}% of 256 units, target 20%); \
         scale in {in_after:?} after the load ended"
    );
    let out = stack
        .command("aws")
        .args([
            "application-autoscaling",
            "describe-scaling-activities",
            "--service-namespace",
            "ecs",
            "--output",
            "json",
        ])
        .output()
        .expect("aws");
    let v = json_of(&out);
    let descs: Vec<&str> = v["ScalingActivities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["Description"].as_str().unwrap())
        .collect();
    assert!(descs.contains(&"Setting desired count to 2."), "{descs:?}");
    assert!(descs.contains(&"Setting desired count to 1."), "{descs:?}");
}

#[test]
fn one_off_tasks_and_stopping_a_task() {
    let stack = LocalStack::start();

    // `run -- --version`: the container's output streams, exit 0.
    let out = run(&stack, &["run", "--interval", "200ms", "--", "--version"]);
    assert_eq!(out.status.code(), Some(0), "{}", explain(&out));
    let version = env!("CARGO_PKG_VERSION");
    assert!(
        text(&out.stdout).contains(&format!("demo {version}")),
        "{}",
        explain(&out)
    );
    assert!(
        text(&out.stderr).contains("exited with code 0"),
        "{}",
        explain(&out)
    );

    // A failing one-off: exit 3, the container's code reported (JSON: the code).
    let out = run(
        &stack,
        &[
            "run",
            "--interval",
            "200ms",
            "--output",
            "json",
            "--",
            "--no-such-flag",
        ],
    );
    assert_eq!(out.status.code(), Some(3), "{}", explain(&out));
    let last = text(&out.stdout)
        .lines()
        .last()
        .unwrap_or_default()
        .to_string();
    let v: serde_json::Value =
        serde_json::from_str(&last).unwrap_or_else(|e| panic!("{e}: {}", explain(&out)));
    assert_eq!(v["type"], "summary", "{}", explain(&out));
    assert_eq!(v["container_exit_code"], 2, "{}", explain(&out));
    assert_eq!(v["exit_code"], 3, "{}", explain(&out));

    // One-offs are not the service's tasks.
    let out = run(&stack, &["tasks", "--output", "json"]);
    assert_eq!(
        task_rows(&out).as_array().unwrap().len(),
        2,
        "{}",
        explain(&out)
    );

    // `tasks stop --wait`: the scheduler starts a healthy replacement.
    let rows = task_rows(&run(&stack, &["tasks", "--output", "json"]));
    let victim = rows[0]["id"].as_str().unwrap().to_string();
    let out = run(
        &stack,
        &[
            "tasks",
            "stop",
            &victim,
            "--reason",
            "test",
            "--wait",
            "--timeout",
            "60s",
        ],
    );
    assert!(out.status.success(), "{}", explain(&out));
    assert!(
        text(&out.stderr).contains("the service starts a replacement"),
        "{}",
        explain(&out)
    );
    let rows = task_rows(&run(&stack, &["tasks", "--output", "json", "--stopped"]));
    let rows = rows.as_array().unwrap();
    let running: Vec<&serde_json::Value> = rows
        .iter()
        .filter(|r| r["last_status"] == "RUNNING")
        .collect();
    assert_eq!(running.len(), 2, "{rows:?}");
    assert!(
        running
            .iter()
            .all(|r| r["id"] != victim.as_str() && r["health"] == "HEALTHY"),
        "{rows:?}"
    );
    let stopped = rows
        .iter()
        .find(|r| r["id"] == victim.as_str())
        .expect("the stopped task is listed");
    assert_eq!(stopped["stopped_reason"], "test");
}

#[test]
fn aws_cli_runs_and_lists_tasks() {
    let stack = LocalStack::start();
    let v = stack.aws_json(&[
        "ecs",
        "run-task",
        "--cluster",
        "demo",
        "--task-definition",
        "demo",
        "--overrides",
        r#"{"containerOverrides":[{"name":"demo","command":["--version"]}]}"#,
    ]);
    let arn = v["tasks"][0]["taskArn"]
        .as_str()
        .expect("a task ARN")
        .to_string();
    assert_eq!(v["tasks"][0]["group"], "family:demo", "{v}");
    // It exits on its own; ListTasks sees it stopped, with exit code 0.
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let v = stack.aws_json(&[
            "ecs",
            "list-tasks",
            "--cluster",
            "demo",
            "--desired-status",
            "STOPPED",
        ]);
        if v["taskArns"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a == arn.as_str())
        {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the one-off task did not stop: {v}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    let v = stack.aws_json(&[
        "ecs",
        "describe-tasks",
        "--cluster",
        "demo",
        "--tasks",
        &arn,
    ]);
    assert_eq!(v["tasks"][0]["containers"][0]["exitCode"], 0, "{v}");
    let v = stack.aws_json(&[
        "ecs",
        "list-tasks",
        "--cluster",
        "demo",
        "--service-name",
        "demo",
    ]);
    let service_tasks = v["taskArns"].as_array().unwrap();
    assert_eq!(service_tasks.len(), 2, "{v}");
    assert!(!service_tasks.iter().any(|a| a == arn.as_str()));
}

/// Task ids as `deployer logs` prints them (the first 8 characters) are accepted wherever
/// a task id is: `logs --task` shows that task's lines, `tasks stop` stops it; a prefix
/// that names no task is refused (exit 2) listing the candidates.
#[test]
fn short_task_ids_as_printed_are_accepted_and_unknown_ones_refused() {
    let stack = LocalStack::start();
    let out = run(&stack, &["tasks"]);
    assert!(out.status.success(), "{}", explain(&out));
    let ids: Vec<String> = text(&out.stdout)
        .lines()
        .skip(1)
        .filter_map(|l| l.split_whitespace().next())
        .map(str::to_owned)
        .collect();
    assert_eq!(ids.len(), 2, "{}", explain(&out));
    // `logs` prints a task by the first 8 characters of its id.
    let (mine, other) = (&ids[0][..8], &ids[1][..8]);
    assert_ne!(mine, other, "{ids:?}");

    // The task's own lines (each names its short id), none of the other task's.
    let out = eventually(
        &stack,
        &["logs", "--task", mine, "--since", "10m"],
        mine,
        Duration::from_secs(15),
    );
    let stdout = text(&out.stdout);
    let lines: Vec<&str> = stdout.lines().filter(|l| !l.trim().is_empty()).collect();
    assert!(
        lines.iter().all(|l| l.contains(mine) && !l.contains(other)),
        "{}",
        explain(&out)
    );

    // Unknown and too short: exit 2, nothing stopped; the unknown one lists the tasks.
    let out = run(&stack, &["logs", "--task", "deadbeef"]);
    assert_eq!(out.status.code(), Some(2), "{}", explain(&out));
    let err = text(&out.stderr);
    assert!(
        err.contains("no task") && err.contains(&ids[0]) && err.contains(&ids[1]),
        "{err}"
    );
    let out = run(&stack, &["tasks", "stop", &mine[..4]]);
    assert_eq!(out.status.code(), Some(2), "{}", explain(&out));
    assert!(
        text(&out.stderr).contains("at least 8"),
        "{}",
        explain(&out)
    );

    // `tasks stop SHORT` stops that task.
    let out = run(&stack, &["tasks", "stop", mine]);
    assert_eq!(out.status.code(), Some(0), "{}", explain(&out));
    let err = text(&out.stderr);
    let stopped = err
        .split("stopped task ")
        .nth(1)
        .and_then(|rest| rest.split([';', ' ']).next())
        .unwrap_or_default();
    assert!(stopped == ids[0], "the full id of {mine}: {err}");
}
