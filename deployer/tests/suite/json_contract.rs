//! The `--output json` contract, as docs/CONTRACTS.md writes it down: every command that
//! can run against a local stack is run with `--output json`, and every line it prints is
//! checked against the written table (parses, is an object, has a known `type` first, has
//! that type's fields, time keys hold RFC 3339, a summary is last where the contract says
//! so). And a closed stdout ends every command quietly (no panic, no exit 101).

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader};
use std::process::{Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::support::LocalStack;

/// The contract as written: each type's required fields, and the time keys.
struct Contract {
    fields: BTreeMap<String, Vec<String>>,
    time_keys: Vec<String>,
}

fn contract() -> Contract {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/CONTRACTS.md");
    let doc = std::fs::read_to_string(path).expect("docs/CONTRACTS.md");
    let section = doc
        .split("\n## `--output json`")
        .nth(1)
        .expect("docs/CONTRACTS.md has a `--output json` section");
    let section = section.split("\n## ").next().unwrap();
    let backticked = |text: &str| -> Vec<String> {
        text.split('`')
            .skip(1)
            .step_by(2)
            .map(str::to_owned)
            .collect()
    };
    let times = section
        .split("Time keys:")
        .nth(1)
        .expect("the section names its time keys")
        .split("; each holds")
        .next()
        .unwrap();
    let mut fields = BTreeMap::new();
    for row in section.lines().filter(|l| l.starts_with("| `")) {
        let cells: Vec<&str> = row.split(" | ").collect();
        assert_eq!(cells.len(), 3, "a row of three cells: {row}");
        let kind = backticked(cells[0]).remove(0);
        // The required fields: the backticked names of the third cell before any
        // "then per command", without `?`.
        let own = cells[2].split(", then per command").next().unwrap();
        let required: Vec<String> = backticked(own)
            .into_iter()
            .filter(|f| !f.ends_with('?') && f.chars().all(|c| c.is_ascii_lowercase() || c == '_'))
            .collect();
        fields.insert(kind, required);
    }
    assert!(fields.len() > 30, "the table lists the types: {fields:?}");
    Contract {
        fields,
        time_keys: backticked(times),
    }
}

impl Contract {
    fn is_time_key(&self, key: &str) -> bool {
        key.ends_with("_at") || self.time_keys.iter().any(|k| k == key)
    }

    /// Every time key anywhere in `v` holds RFC 3339 or null.
    fn check_times(&self, v: &Value, at: &str, line: &str) {
        match v {
            Value::Object(map) => {
                for (k, x) in map {
                    if self.is_time_key(k) {
                        match x {
                            Value::Null => {}
                            Value::String(s) => assert!(
                                humantime::parse_rfc3339(s).is_ok(),
                                "{at}.{k} = {s:?} is not RFC 3339: {line}"
                            ),
                            other => panic!("{at}.{k} = {other} is not an RFC 3339 string: {line}"),
                        }
                    }
                    self.check_times(x, &format!("{at}.{k}"), line);
                }
            }
            Value::Array(items) => {
                for (i, x) in items.iter().enumerate() {
                    self.check_times(x, &format!("{at}[{i}]"), line);
                }
            }
            _ => {}
        }
    }

    /// Checks one command's stdout; returns the types seen.
    fn check(&self, what: &str, out: &Output, summary_last: bool) -> Vec<String> {
        let stdout = String::from_utf8_lossy(&out.stdout);
        let ctx = || {
            format!(
                "{what}: exit {:?}\n--- stdout\n{stdout}\n--- stderr\n{}",
                out.status.code(),
                String::from_utf8_lossy(&out.stderr)
            )
        };
        let mut kinds = Vec::new();
        for line in stdout.lines() {
            let v: Value = serde_json::from_str(line)
                .unwrap_or_else(|e| panic!("not JSON ({e}): {line:?}\n{}", ctx()));
            let obj = v
                .as_object()
                .unwrap_or_else(|| panic!("not an object: {line}\n{}", ctx()));
            assert_eq!(
                obj.keys().next().map(String::as_str),
                Some("type"),
                "`type` first: {line}\n{}",
                ctx()
            );
            let kind = obj["type"].as_str().expect("type is a string").to_owned();
            let required = self
                .fields
                .get(&kind)
                .unwrap_or_else(|| panic!("type {kind:?} is not in docs/CONTRACTS.md: {line}"));
            for f in required {
                assert!(
                    obj.contains_key(f),
                    "{kind} without `{f}`: {line}\n{}",
                    ctx()
                );
            }
            self.check_times(&v, &kind, line);
            kinds.push(kind);
        }
        assert!(!kinds.is_empty(), "no JSON line at all\n{}", ctx());
        let last = kinds.last().unwrap();
        if summary_last {
            assert!(
                last == "summary" || last == "error",
                "a summary (or an error) last, not {last}\n{}",
                ctx()
            );
        }
        if last == "summary" || last == "error" {
            let v: Value = serde_json::from_str(stdout.lines().last().unwrap()).unwrap();
            assert_eq!(
                v["exit_code"].as_i64(),
                out.status.code().map(i64::from),
                "the last line's exit_code is the command's\n{}",
                ctx()
            );
        }
        assert!(
            kinds.iter().filter(|k| *k == "summary").count() <= 1,
            "one summary at most\n{}",
            ctx()
        );
        kinds
    }
}

fn json_run(stack: &LocalStack, args: &[&str]) -> Output {
    stack
        .deployer()
        .arg("--output")
        .arg("json")
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("run the deployer")
}

#[test]
fn the_written_contract_reads_back() {
    let c = contract();
    assert_eq!(c.fields["error"], ["error", "exit_code"]);
    assert_eq!(c.fields["summary"], ["outcome", "exit_code"]);
    assert!(c.fields["revision"].contains(&"live_now".to_owned()));
    assert!(
        !c.fields["revision"].contains(&"registered_at".to_owned()),
        "optional"
    );
    assert!(
        c.is_time_key("until") && c.is_time_key("started_at") && !c.is_time_key("elapsed_secs")
    );
    // A line the old output printed fails the check: epoch times, no `type`.
    let check = |line: &str| {
        std::panic::catch_unwind(|| {
            let out = Output {
                status: std::process::ExitStatus::default(),
                stdout: line.as_bytes().to_vec(),
                stderr: Vec::new(),
            };
            c.check("old output", &out, false);
        })
        .is_ok()
    };
    assert!(check(
        r#"{"type":"diff","live":"a","image":"b","identical":true,"diff":""}"#
    ));
    assert!(!check(
        r#"{"arn":"a","revision":1,"registered_at":1796397526.424}"#
    ));
    assert!(!check(
        r#"{"type":"revision","arn":"a","revision":1,"images":[],"registered_at":1796397526.424,"live_now":true,"live":[],"failed_by":[]}"#
    ));
    assert!(!check(
        r#"{"elapsed_secs":1,"execution":"e","event":"  build phase BUILD SUCCEEDED (31s)"}"#
    ));
}

#[test]
fn every_command_keeps_the_contract() {
    let c = contract();
    let stack = LocalStack::start();
    let mut seen: BTreeSet<String> = BTreeSet::new();
    let out_dir = tempfile::tempdir().unwrap();
    let out_dir = out_dir.path().to_str().unwrap().to_owned();
    let state = stack.state_dir().to_str().unwrap().to_owned();

    // (args, the command runs a process to an end, the exit code it must give)
    let runs: Vec<(Vec<&str>, bool, i32)> = vec![
        (
            vec!["render", "--image", "demo:v2", "--out-dir", &out_dir],
            false,
            0,
        ),
        (vec!["verify"], false, 0),
        (vec!["status"], false, 0),
        (vec!["tasks"], false, 0),
        (vec!["revisions"], false, 0),
        (vec!["diff", "--image", "demo:v2"], false, 1),
        (vec!["smoke", "--requests", "3"], false, 0),
        (vec!["logs", "--since", "5m", "--limit", "5"], false, 0),
        (vec!["pipeline", "status"], false, 0),
        (vec!["pipeline", "watch"], true, 2),
        (vec!["continue"], false, 2),
        (vec!["deploy", "--image", "demo:v2", "--dry-run"], false, 0),
        (
            vec!["deploy", "--image", "demo:v2", "--timeout", "120s"],
            true,
            0,
        ),
        (vec!["wait", "--timeout", "60s"], true, 0),
        (vec!["rollback", "--dry-run"], false, 0),
        (vec!["rollback", "--timeout", "120s"], true, 0),
        // The rollback returns at its termination wait: wait for its end.
        (vec!["wait", "--timeout", "60s"], true, 0),
        (
            vec![
                "deploy",
                "--image",
                "demo:v2",
                "--env",
                "DEMO_FAIL_HEALTH=1",
                "--timeout",
                "120s",
            ],
            true,
            3,
        ),
        (
            vec!["scale", "--tasks", "2", "--wait", "--timeout", "60s"],
            true,
            0,
        ),
        (vec!["run", "--timeout", "60s", "--", "--version"], true, 0),
        (vec!["local", "status", "--state-dir", &state], false, 0),
        (vec!["local", "env", "--state-dir", &state], false, 0),
        (vec!["completions", "bash"], false, 2),
        (vec!["man"], false, 2),
        (vec!["deploy", "--no-such-flag"], false, 2),
    ];
    for (args, summary_last, code) in &runs {
        let what = args.join(" ");
        let out = json_run(&stack, args);
        let kinds = c.check(&what, &out, *summary_last);
        assert_eq!(
            out.status.code(),
            Some(*code),
            "{what}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        seen.extend(kinds);
    }

    // tasks stop --wait: stop one of the service's tasks, follow its replacement.
    let tasks = json_run(&stack, &["tasks"]);
    let first: Value = serde_json::from_str(
        String::from_utf8_lossy(&tasks.stdout)
            .lines()
            .next()
            .unwrap(),
    )
    .unwrap();
    let id = first["id"].as_str().unwrap();
    let out = json_run(&stack, &["tasks", "stop", id, "--wait", "--timeout", "60s"]);
    seen.extend(c.check("tasks stop --wait", &out, true));
    assert_eq!(out.status.code(), Some(0));
    let id = c.check("tasks", &json_run(&stack, &["tasks"]), false);
    assert!(id.iter().all(|k| k == "task"));
    let tasks = json_run(&stack, &["tasks"]);
    let first: Value = serde_json::from_str(
        String::from_utf8_lossy(&tasks.stdout)
            .lines()
            .next()
            .unwrap(),
    )
    .unwrap();
    let out = json_run(&stack, &["tasks", "stop", first["id"].as_str().unwrap()]);
    seen.extend(c.check("tasks stop", &out, false));
    assert_eq!(out.status.code(), Some(0));

    // dashboard: its first line, then it is stopped (by PID).
    let mut child = stack
        .deployer()
        .args(["--output", "json", "dashboard", "--port", "0"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut first = String::new();
    let read = BufReader::new(child.stdout.take().unwrap()).read_line(&mut first);
    let _ = child.kill();
    let _ = child.wait();
    read.unwrap();
    let v: Value = serde_json::from_str(&first).unwrap_or_else(|e| panic!("{e}: {first:?}"));
    assert_eq!(v["type"], "dashboard", "{v}");

    // The watch's own events were among the lines.
    for kind in [
        "error",
        "summary",
        "task_definition",
        "deployment_created",
        "deployment_status",
        "lifecycle",
        "task_sets",
        "rollback",
        "dry_run",
        "task",
        "revision",
        "log",
        "status",
        "verify",
        "smoke",
        "diff",
        "rendered",
        "scale",
        "pipeline_status",
        "local_status",
        "env",
        "task_stopped",
    ] {
        assert!(seen.contains(kind), "no {kind} line seen: {seen:?}");
    }
}

#[test]
fn a_closed_stdout_ends_every_command_quietly() {
    let stack = LocalStack::start();
    let out_dir = tempfile::tempdir().unwrap();
    let out_dir = out_dir.path().to_str().unwrap().to_owned();
    // Read-only commands (and writers of local files): stdout is closed before the
    // command writes its first byte, so its first write fails with EPIPE.
    let commands: Vec<Vec<&str>> = vec![
        vec!["revisions"],
        vec!["completions", "bash"],
        vec!["man"],
        vec!["render", "--image", "demo:v2", "--out-dir", &out_dir],
        vec!["deploy", "--image", "demo:v2", "--dry-run"],
        vec!["status"],
        vec!["tasks"],
        vec!["verify"],
        vec!["logs", "--since", "5m"],
        vec!["diff", "--image", "demo:v2"],
        vec!["smoke", "--requests", "2"],
        vec!["pipeline", "status"],
        vec!["local", "status"],
        vec!["local", "env"],
        vec!["--help"],
    ];
    let deadline = Instant::now() + Duration::from_secs(300);
    for args in &commands {
        for json in [false, true] {
            let mut cmd = stack.deployer();
            if json {
                cmd.args(["--output", "json"]);
            }
            let mut child = cmd
                .args(args)
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap();
            drop(child.stdout.take()); // the reader is gone before anything is written
            let out = child.wait_with_output().unwrap();
            let err = String::from_utf8_lossy(&out.stderr);
            let what = format!(
                "{}{}",
                if json { "--output json " } else { "" },
                args.join(" ")
            );
            assert_ne!(out.status.code(), Some(101), "{what} panicked: {err}");
            assert!(
                !err.contains("panicked")
                    && !err.contains("Broken pipe")
                    && !err.contains("os error 32"),
                "{what} ended noisily: {err}"
            );
            assert!(Instant::now() < deadline, "bounded in time");
        }
    }
}
