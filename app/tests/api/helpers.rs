//! Shared test helpers: an in-process server on port 0, the real binary as a child
//! process (killed by PID in `Drop`), and a fake ECS task metadata endpoint v4.

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use demo::configuration::Settings;
use demo::connections::Connections;
use demo::startup::{Application, StopReport};
use demo::state::AppState;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// A server running inside the test process.
pub struct TestApp {
    pub addr: SocketAddr,
    pub state: AppState,
    pub connections: Arc<Connections>,
    shutdown: Option<oneshot::Sender<()>>,
    handle: Option<JoinHandle<StopReport>>,
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Starts the drain (like SIGTERM) and waits for the server to stop.
    pub async fn stop(mut self) -> StopReport {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        tokio::time::timeout(Duration::from_secs(10), self.handle.take().unwrap())
            .await
            .expect("the server stops within 10 s")
            .expect("the server task does not panic")
    }

    /// Triggers the drain without waiting.
    pub fn begin_shutdown(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }

    /// Waits for the server task after `begin_shutdown`.
    pub async fn wait(mut self) -> StopReport {
        tokio::time::timeout(Duration::from_secs(10), self.handle.take().unwrap())
            .await
            .expect("the server stops within 10 s")
            .expect("the server task does not panic")
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(handle) = self.handle.take() {
            handle.abort();
        }
    }
}

/// Settings as the binary would read them from `vars` (plus `HOST=127.0.0.1`, `PORT=0`).
pub fn settings(vars: &[(&'static str, &str)]) -> Settings {
    let mut map: HashMap<&str, String> =
        HashMap::from([("HOST", "127.0.0.1".to_owned()), ("PORT", "0".to_owned())]);
    for (k, v) in vars {
        map.insert(k, (*v).to_owned());
    }
    Settings::from_lookup(|var| Ok(map.get(var).cloned())).expect("valid test settings")
}

/// Starts the server on 127.0.0.1, port 0, with `vars` as its environment.
pub async fn spawn_app(vars: &[(&'static str, &str)]) -> TestApp {
    let app = Application::build(settings(vars))
        .await
        .expect("the app builds");
    let addr = app.local_addr();
    let state = app.state();
    let connections = app.connections();
    let (tx, rx) = oneshot::channel::<()>();
    let handle = tokio::spawn(app.run_until(
        async move {
            let _ = rx.await;
            "test shutdown"
        },
        std::future::pending(),
    ));
    TestApp {
        addr,
        state,
        connections,
        shutdown: Some(tx),
        handle: Some(handle),
    }
}

/// An HTTP client that never uses a proxy and never waits long.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap()
}

/// The real `demo` binary, stdout and stderr collected line by line; killed (SIGKILL, by
/// PID) and reaped on drop unless it already exited.
pub struct DemoProcess {
    child: Child,
    stdout: Arc<Mutex<Vec<String>>>,
    stderr: Arc<Mutex<Vec<String>>>,
    status: Option<ExitStatus>,
}

impl DemoProcess {
    /// Starts `demo <args>` with a clean environment plus `vars`.
    pub fn start(args: &[&str], vars: &[(&str, &str)]) -> Self {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_demo"));
        cmd.args(args)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .envs(vars.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("spawn the demo binary");
        let stdout = collect_lines(child.stdout.take().unwrap());
        let stderr = collect_lines(child.stderr.take().unwrap());
        Self {
            child,
            stdout,
            stderr,
            status: None,
        }
    }

    /// Starts `demo serve` on 127.0.0.1 with a free port and JSON logs, waits for the
    /// `listening` line and returns the process with its address.
    pub fn serve(vars: &[(&str, &str)]) -> (Self, SocketAddr) {
        let mut all = vec![
            ("HOST", "127.0.0.1"),
            ("PORT", "0"),
            ("DEMO_LOG_FORMAT", "json"),
        ];
        all.extend_from_slice(vars);
        let mut process = Self::start(&["serve"], &all);
        let line = process.wait_for_stdout(Duration::from_secs(10), |l| {
            l.contains("\"message\":\"listening\"")
        });
        let line = line.unwrap_or_else(|| {
            let status = process.try_status();
            panic!(
                "no `listening` line within 10 s (status {status:?}); stdout: {:?}; stderr: {:?}",
                process.stdout_lines(),
                process.stderr_lines()
            )
        });
        let json: serde_json::Value = serde_json::from_str(&line).expect("JSON listening line");
        let addr = json["addr"].as_str().expect("addr field").parse().unwrap();
        (process, addr)
    }

    pub fn pid(&self) -> nix::unistd::Pid {
        nix::unistd::Pid::from_raw(self.child.id() as i32)
    }

    pub fn signal(&self, signal: nix::sys::signal::Signal) {
        nix::sys::signal::kill(self.pid(), signal).expect("send a signal to demo");
    }

    /// The exit status, waiting at most `limit`.
    pub fn wait_exit(&mut self, limit: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + limit;
        loop {
            if let Some(status) = self.try_status() {
                return Some(status);
            }
            if Instant::now() >= deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    pub fn try_status(&mut self) -> Option<ExitStatus> {
        if self.status.is_none() {
            self.status = self.child.try_wait().expect("try_wait");
        }
        self.status
    }

    /// The first stdout line matching `pred`, waiting at most `limit`.
    pub fn wait_for_stdout(
        &mut self,
        limit: Duration,
        pred: impl Fn(&str) -> bool,
    ) -> Option<String> {
        let deadline = Instant::now() + limit;
        loop {
            if let Some(line) = self.stdout.lock().unwrap().iter().find(|l| pred(l)) {
                return Some(line.clone());
            }
            if Instant::now() >= deadline || self.try_status().is_some() {
                // One last look: the reader thread may have caught up.
                std::thread::sleep(Duration::from_millis(50));
                return self
                    .stdout
                    .lock()
                    .unwrap()
                    .iter()
                    .find(|l| pred(l))
                    .cloned();
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    pub fn stdout_lines(&self) -> Vec<String> {
        self.stdout.lock().unwrap().clone()
    }

    pub fn stderr_lines(&self) -> Vec<String> {
        self.stderr.lock().unwrap().clone()
    }

    /// Waits for the exit (at most `limit`) and for the output readers to drain.
    pub fn finish(&mut self, limit: Duration) -> ExitStatus {
        let status = self.wait_exit(limit).unwrap_or_else(|| {
            panic!(
                "demo did not exit within {limit:?}; stdout: {:?}",
                self.stdout_lines()
            )
        });
        std::thread::sleep(Duration::from_millis(50));
        status
    }
}

impl Drop for DemoProcess {
    fn drop(&mut self) {
        if self.try_status().is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

fn collect_lines(pipe: impl std::io::Read + Send + 'static) -> Arc<Mutex<Vec<String>>> {
    let lines = Arc::new(Mutex::new(Vec::new()));
    let sink = lines.clone();
    std::thread::spawn(move || {
        for line in BufReader::new(pipe).lines() {
            match line {
                Ok(line) => sink.lock().unwrap().push(line),
                Err(_) => break,
            }
        }
    });
    lines
}

/// Runs `demo healthcheck` with `vars`; returns its exit code and stderr.
pub fn run_healthcheck(vars: &[(&str, &str)]) -> (i32, String) {
    let mut process = DemoProcess::start(&["healthcheck"], vars);
    let status = process.finish(Duration::from_secs(10));
    (
        status.code().expect("exit code, not a signal"),
        process.stderr_lines().join("\n"),
    )
}

/// A fake ECS task metadata endpoint v4 on 127.0.0.1 answering like ECS does at
/// `/v4/<id>` (this container) and `/v4/<id>/task` (the task). Stops on drop.
pub struct FakeMetadata {
    pub base_url: String,
    handle: JoinHandle<()>,
}

impl Drop for FakeMetadata {
    fn drop(&mut self) {
        self.handle.abort();
    }
}

pub const TASK_ARN: &str =
    "arn:aws:ecs:eu-west-1:111122223333:task/demo/8f03e41243824aea923aca126495f665";
pub const TASK_ID: &str = "8f03e41243824aea923aca126495f665";
pub const IMAGE: &str = "111122223333.dkr.ecr.eu-west-1.amazonaws.com/demo:abc1234";

/// The `/task` document, shaped like the ECS developer guide's Fargate example.
pub fn task_document() -> serde_json::Value {
    serde_json::json!({
        "Cluster": "arn:aws:ecs:eu-west-1:111122223333:cluster/demo",
        "TaskARN": TASK_ARN,
        "Family": "demo",
        "Revision": "7",
        "DesiredStatus": "RUNNING",
        "KnownStatus": "RUNNING",
        "Limits": {"CPU": 0.25, "Memory": 512},
        "PullStartedAt": "2026-11-27T07:00:00.000000000Z",
        "PullStoppedAt": "2026-11-27T07:00:03.000000000Z",
        "AvailabilityZone": "eu-west-1b",
        "LaunchType": "FARGATE",
        "Containers": [
            {
                "DockerId": "8f03e41243824aea923aca126495f665-1234567890",
                "Name": "demo",
                "DockerName": "demo",
                "Image": IMAGE,
                "ImageID": "sha256:d691691e9652791a60114e67b365688d20d19940dde7c4736ea30e660d8d3553",
                "Labels": {
                    "com.amazonaws.ecs.cluster": "arn:aws:ecs:eu-west-1:111122223333:cluster/demo",
                    "com.amazonaws.ecs.container-name": "demo",
                    "com.amazonaws.ecs.task-arn": TASK_ARN,
                    "com.amazonaws.ecs.task-definition-family": "demo",
                    "com.amazonaws.ecs.task-definition-version": "7"
                },
                "DesiredStatus": "RUNNING",
                "KnownStatus": "RUNNING",
                "Limits": {"CPU": 2},
                "Type": "NORMAL",
                "Networks": [{"NetworkMode": "awsvpc", "IPv4Addresses": ["10.0.2.106"]}]
            }
        ],
        "ClockDrift": {"ClockErrorBound": 0.5, "ReferenceTimestamp": "2026-11-27T07:00:00Z", "ClockSynchronizationStatus": "SYNCHRONIZED"},
        "EphemeralStorageMetrics": {"Utilized": 261, "Reserved": 20496}
    })
}

/// Serves `task` at `/v4/test-id/task` and `container` (if any) at `/v4/test-id`.
pub async fn fake_metadata(task: (u16, String), container: Option<(u16, String)>) -> FakeMetadata {
    use axum::routing::get;
    let task_route =
        get(move || async move { (axum::http::StatusCode::from_u16(task.0).unwrap(), task.1) });
    let mut router = axum::Router::new().route("/v4/test-id/task", task_route);
    if let Some(container) = container {
        router = router.route(
            "/v4/test-id",
            get(move || async move {
                (
                    axum::http::StatusCode::from_u16(container.0).unwrap(),
                    container.1,
                )
            }),
        );
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let handle = tokio::spawn(async move {
        axum::serve(listener, router).await.unwrap();
    });
    FakeMetadata {
        base_url: format!("http://{addr}/v4/test-id"),
        handle,
    }
}
