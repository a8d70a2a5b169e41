//! The deployer's command line without AWS: `--help` snapshots (with the exit codes),
//! input errors (exit 2 before anything is sent), and `smoke` against a small HTTP
//! server on 127.0.0.1.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

fn deployer() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_deployer"));
    // Deterministic help wrapping and no AWS settings from the caller's environment.
    cmd.env("COLUMNS", "100")
        .env_remove("DEPLOYER_OUTPUTS")
        .env_remove("AWS_PROFILE")
        .env("AWS_ENDPOINT_URL", "http://127.0.0.1:9") // discard port: nothing answers
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_REGION", "eu-west-1")
        .env("AWS_MAX_ATTEMPTS", "1")
        .env("AWS_EC2_METADATA_DISABLED", "true");
    cmd
}

fn run(args: &[&str]) -> Output {
    deployer()
        .args(args)
        .output()
        .expect("run the deployer binary")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn fixture() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/terraform-outputs.json")
}

#[test]
fn help_of_every_aws_command() {
    for sub in [
        "deploy",
        "wait",
        "status",
        "continue",
        "rollback",
        "diff",
        "verify",
        "smoke",
        "revisions",
        "dashboard",
        "logs",
        "scale",
        "tasks",
        "run",
    ] {
        let out = run(&[sub, "--help"]);
        assert!(out.status.success(), "{sub} --help: {}", text(&out.stderr));
        let help = text(&out.stdout);
        assert!(
            help.contains("Exit codes:"),
            "{sub} --help lacks the exit codes"
        );
        insta::assert_snapshot!(format!("help_{sub}"), help);
    }
    let out = run(&["--help"]);
    assert!(out.status.success());
    let help = text(&out.stdout);
    for code in ["0 ", "1 ", "2 ", "3 ", "4 ", "5 ", "6 ", "130 "] {
        assert!(
            help.contains(&format!("  {code}")),
            "top-level help lacks exit code {code}"
        );
    }
    insta::assert_snapshot!("help_top", help);
}

#[test]
fn missing_outputs_is_bad_input() {
    let out = run(&["status"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    let err = text(&out.stderr);
    assert!(
        err.contains("--outputs") && err.contains("DEPLOYER_OUTPUTS"),
        "{err}"
    );
}

#[test]
fn unreadable_outputs_file_names_the_file() {
    let out = run(&["status", "--outputs", "/nonexistent/outputs.json"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("/nonexistent/outputs.json"));
}

#[test]
fn malformed_deployment_id_is_bad_input() {
    let f = fixture();
    let out = run(&["wait", "not-an-id", "--outputs", f.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("\"not-an-id\""),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn deploy_needs_an_image_or_a_task_definition() {
    let out = run(&["deploy"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("--image"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn deploy_rejects_a_bad_env_override_and_unpinned_image_before_any_call() {
    let f = fixture();
    let f = f.to_str().unwrap();
    let out = run(&[
        "deploy",
        "--outputs",
        f,
        "--image",
        "demo:v1",
        "--env",
        "NOEQUALS",
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("NOEQUALS"),
        "{}",
        text(&out.stderr)
    );

    // No tag or digest: refused while rendering, before AWS is asked anything (the
    // endpoint is a closed port, so a call would fail with exit 1 instead).
    let out = run(&["deploy", "--outputs", f, "--image", "registry.example/demo"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("registry.example/demo"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn bad_durations_and_milestones_are_refused() {
    let out = run(&["wait", "--timeout", "5x"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("unknown unit"),
        "{}",
        text(&out.stderr)
    );
    let out = run(&["wait", "--wait-until", "Nope"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("AfterAllowTestTraffic"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn approve_without_a_terminal_is_refused() {
    let f = fixture();
    let out = deployer()
        .args([
            "deploy",
            "--outputs",
            f.to_str().unwrap(),
            "--image",
            "demo:v1",
            "--approve",
        ])
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("deployer continue"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn unreachable_endpoint_is_an_error_naming_the_operation() {
    let f = fixture();
    let out = run(&["status", "--outputs", f.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let err = text(&out.stderr);
    assert!(err.contains("ecs:DescribeServices"), "{err}");
    assert!(err.contains("127.0.0.1:9"), "{err}");
    assert_eq!(
        err.lines().filter(|l| l.starts_with("error:")).count(),
        1,
        "printed once: {err}"
    );
}

// ---- smoke against a loopback server ----------------------------------------------------

/// A tiny HTTP server on 127.0.0.1: answers like `demo` (version from the list, in turn),
/// or 503 for every `fail_every`-th request. Stops when dropped.
struct Server {
    addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Server {
    fn start(versions: &'static [&'static str], fail_every: usize) -> Server {
        let (addr_tx, addr_rx) = std::sync::mpsc::channel();
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                let n = Arc::new(AtomicUsize::new(0));
                let app = axum::Router::new().route(
                    "/",
                    axum::routing::get(move || {
                        let i = n.fetch_add(1, Ordering::Relaxed);
                        async move {
                            if fail_every > 0 && (i + 1).is_multiple_of(fail_every) {
                                return (
                                    http::StatusCode::SERVICE_UNAVAILABLE,
                                    "{\"status\":\"draining\"}".to_owned(),
                                );
                            }
                            let v = versions[i % versions.len()];
                            (
                                http::StatusCode::OK,
                                format!("{{\"service\":\"demo\",\"version\":\"{v}\"}}"),
                            )
                        }
                    }),
                );
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
                addr_tx.send(listener.local_addr().unwrap()).unwrap();
                axum::serve(listener, app)
                    .with_graceful_shutdown(async {
                        let _ = stop_rx.await;
                    })
                    .await
                    .unwrap();
            });
        });
        let addr = addr_rx.recv().expect("server address");
        Server {
            addr,
            stop: Some(stop_tx),
            thread: Some(thread),
        }
    }

    fn url(&self) -> String {
        format!("http://{}/", self.addr)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

#[test]
fn smoke_reports_versions_and_latency() {
    let server = Server::start(&["v1", "v2"], 0);
    let out = run(&[
        "smoke",
        "--url",
        &server.url(),
        "--requests",
        "10",
        "--output",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON report");
    assert_eq!(report["requests"], 10);
    assert_eq!(report["ok"], 10);
    assert_eq!(report["errors"], 0);
    assert_eq!(report["versions"]["v1"], 5);
    assert_eq!(report["versions"]["v2"], 5);
    let p50 = report["latency_ms"]["p50"].as_f64().unwrap();
    let max = report["latency_ms"]["max"].as_f64().unwrap();
    assert!(p50 > 0.0 && p50 <= max, "{report}");
}

#[test]
fn smoke_fails_on_an_unexpected_version() {
    let server = Server::start(&["v1", "v2"], 0);
    let out = run(&[
        "smoke",
        "--url",
        &server.url(),
        "--requests",
        "6",
        "--expect-version",
        "v2",
    ]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    let report = text(&out.stdout);
    assert!(report.contains("3 not version v2"), "{report}");
    assert!(
        report.contains("v1 x3") && report.contains("v2 x3"),
        "{report}"
    );
}

#[test]
fn smoke_fails_on_errors_and_shows_them() {
    let server = Server::start(&["v1"], 2);
    let out = run(&[
        "smoke",
        "--url",
        &server.url(),
        "--requests",
        "4",
        "--concurrency",
        "1",
    ]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    let report = text(&out.stdout);
    assert!(report.contains("2 ok, 2 errors"), "{report}");
    assert!(report.contains("HTTP 503"), "{report}");
}

#[test]
fn smoke_refuses_a_bad_url_and_reports_a_closed_port() {
    let out = run(&["smoke", "--url", "ftp://127.0.0.1/"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    let out = run(&["smoke", "--url", "not a url"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    // Port 9 (discard) on loopback is closed: every request is a connect error.
    let out = run(&["smoke", "--url", "http://127.0.0.1:9/", "--requests", "2"]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("connect"),
        "{}",
        text(&out.stdout)
    );
}

/// `deployer … | head -1`: the reader has closed the pipe; the command ends quietly with 0
/// (no "Broken pipe" panic, no exit 101). The pipe's read end is closed before the command
/// starts, so its first write meets EPIPE whatever the size of its output.
#[test]
fn a_closed_pipe_ends_the_command_quietly() {
    let out_dir = tempfile::tempdir().unwrap();
    for args in [
        &["completions", "bash"][..],
        &["man"][..],
        &["--help"][..],
        &[
            "render",
            "--outputs",
            fixture().to_str().unwrap(),
            "--image",
            "123456789012.dkr.ecr.eu-west-1.amazonaws.com/demo:v1",
            "--out-dir",
            out_dir.path().to_str().unwrap(),
        ][..],
    ] {
        let (reader, writer) = std::io::pipe().expect("a pipe");
        drop(reader);
        let out = deployer()
            .args(args)
            .stdout(writer)
            .stderr(std::process::Stdio::piped())
            .output()
            .expect("run the deployer binary");
        let stderr = text(&out.stderr);
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        assert_eq!(out.status.code(), Some(0), "{args:?}: {stderr}");
    }
}
