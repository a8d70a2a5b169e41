//! Test support: a local blue/green stack (`deployer local up --detach`) in a temp state
//! dir, on free loopback ports, with fast timings. Stopped on drop: `deployer local down`,
//! then SIGKILL (by PID) of anything it listed that still runs.
//!
//! ```ignore
//! mod support;
//! let stack = support::LocalStack::start();
//! let out = stack.deployer().args(["deploy", "--image", "demo:v2"]).output().unwrap();
//! let body = support::http_get(&stack.nlb_url, "/").unwrap();
//! ```
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// Flags every test stack gets (ports picked by the OS, sub-second health checks).
pub const FAST: &[&str] = &[
    "--api-port",
    "0",
    "--nlb-port",
    "0",
    "--test-port",
    "0",
    "--tasks",
    "2",
    "--health-interval",
    "200ms",
    "--termination-wait",
    "1s",
    "--install-timeout",
    "30s",
    "--stop-timeout",
    "5s",
    // The 5xx alarm's periods a day long: no test stack evaluates it unless the test asks
    // (`--alarm-minute 1s`; flags given later win). A release whose /health fails answers
    // the health checks 503, access lines the alarm counts too: with sub-second health
    // checks it would race the health failure the test is about.
    "--alarm-minute",
    "24h",
];

/// The `deployer` binary under test. Cargo names it to the deployer's own tests; the browser
/// tests (another crate of the workspace, which includes this file) find the one that
/// `cargo test --workspace` builds beside their own binary (`<target>/<profile>/deployer`).
pub fn deployer_bin() -> PathBuf {
    if let Some(exe) = option_env!("CARGO_BIN_EXE_deployer") {
        return PathBuf::from(exe);
    }
    let test_exe = std::env::current_exe().expect("test binary path");
    let bin = test_exe
        .ancestors()
        .nth(2)
        .expect("test binary is under <target>/<profile>/deps")
        .join("deployer");
    assert!(
        bin.is_file(),
        "no deployer binary at {}: build it first (`cargo build -p deployer`; \
         `cargo test --workspace` does)",
        bin.display()
    );
    bin
}

/// The project's virtualenv's python (botocore, moto, awscli's models), which
/// `scripts/setup` installs; a test that needs it fails saying so when it is missing.
pub fn venv_python() -> PathBuf {
    let python = Path::new(env!("CARGO_MANIFEST_DIR")).join("../.venv/bin/python");
    assert!(
        python.exists(),
        "{} is missing: run `bash scripts/setup` (it installs botocore with moto)",
        python.display()
    );
    python
}

/// The `demo` binary the stack runs: `DEPLOYER_TEST_DEMO_BIN` (`scripts/test` sets it to
/// demo built as the local CodeBuild builds it, scripts/lib/local-demo.sh), else built with
/// `cargo build -p demo` (once per test process: under nextest, once per test) next to the
/// deployer binary.
pub fn demo_bin() -> PathBuf {
    static DEMO: OnceLock<PathBuf> = OnceLock::new();
    DEMO.get_or_init(|| workspace_bin("DEPLOYER_TEST_DEMO_BIN", "demo", "demo"))
        .clone()
}

/// The validation hook's Lambda code (`bootstrap` of the hook crate) the stack registers
/// for the appspec's Hooks: `DEPLOYER_TEST_HOOK_BIN` (set by `scripts/test`), else built
/// with `cargo build -p release-hook` (once per test process) next to the deployer binary.
pub fn hook_bin() -> PathBuf {
    static HOOK: OnceLock<PathBuf> = OnceLock::new();
    HOOK.get_or_init(|| workspace_bin("DEPLOYER_TEST_HOOK_BIN", "release-hook", "bootstrap"))
        .clone()
}

/// `$env_var` when set, else binary `bin` of workspace package `package`, built with cargo
/// into the deployer binary's directory. (`cargo build -p PACKAGE` resolves features for
/// that package alone, so after a workspace build it compiles the package's dependencies
/// once more under their own hashes, and replaces the workspace build's binary.)
fn workspace_bin(env_var: &str, package: &str, bin: &str) -> PathBuf {
    if let Some(p) = std::env::var_os(env_var) {
        return PathBuf::from(p);
    }
    let target_dir = deployer_bin()
        .parent()
        .expect("deployer binary has a parent dir")
        .to_path_buf();
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(cargo)
        .args(["build", "--quiet", "-p", package, "--bin", bin])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap_or_else(|e| panic!("cannot run cargo to build the {bin} binary: {e}"));
    assert!(
        out.status.success(),
        "`cargo build -p {package}` failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let path = target_dir.join(bin);
    assert!(path.is_file(), "no {bin} binary at {}", path.display());
    path
}

/// A running local stack. Dropping it stops it and everything it started.
pub struct LocalStack {
    pub dir: tempfile::TempDir,
    pub api_url: String,
    pub nlb_url: String,
    /// Empty when started with `--no-test-listener`.
    pub test_url: String,
    pub outputs: PathBuf,
    pub region: String,
    /// What `deployer local env` exports (AWS_ENDPOINT_URL, credentials, DEPLOYER_OUTPUTS, ...).
    pub env: Vec<(String, String)>,
    /// PID of the stack's daemon.
    pub pid: u32,
    stopped: bool,
}

impl LocalStack {
    /// A stack with [`FAST`] settings.
    pub fn start() -> LocalStack {
        Self::start_with(&[])
    }

    /// A stack with [`FAST`] settings plus `extra` flags for `deployer local up` (later
    /// flags win, e.g. `["--termination-wait", "60s"]`).
    pub fn start_with(extra: &[&str]) -> LocalStack {
        Self::start_in(temp_state_dir(), extra)
    }

    /// A stack whose log records every API call (`RUST_LOG=api=debug`): see
    /// [`LocalStack::api_calls`].
    pub fn start_logging_calls(extra: &[&str]) -> LocalStack {
        Self::start_full(temp_state_dir(), extra, &[("RUST_LOG", "info,api=debug")])
    }

    /// A stack in a given state dir (e.g. one a crashed stack left behind).
    pub fn start_in(dir: tempfile::TempDir, extra: &[&str]) -> LocalStack {
        Self::start_full(dir, extra, &[])
    }

    fn start_full(dir: tempfile::TempDir, extra: &[&str], env: &[(&str, &str)]) -> LocalStack {
        let out = Command::new(deployer_bin())
            .args(["local", "up", "--detach", "--state-dir"])
            .arg(dir.path())
            .args(FAST)
            .args(extra)
            .env("DEPLOYER_DEMO_BIN", demo_bin())
            .env("DEPLOYER_HOOK_BIN", hook_bin())
            .env_remove("DEPLOYER_LOCAL_STATE_DIR")
            .envs(env.iter().copied())
            .output()
            .expect("run deployer local up");
        if !out.status.success() {
            // Whatever started must not outlive the failure.
            let _ = Command::new(deployer_bin())
                .args(["local", "down", "--state-dir"])
                .arg(dir.path())
                .output();
            panic!(
                "deployer local up failed ({}):\nstdout: {}\nstderr: {}\nlog: {}",
                out.status,
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr),
                std::fs::read_to_string(dir.path().join("stack.log")).unwrap_or_default()
            );
        }
        push_test_tags(dir.path());
        let state = read_state(dir.path()).expect("state.json after up");
        let mut stack = LocalStack {
            api_url: state["api_url"].as_str().unwrap().to_string(),
            nlb_url: state["nlb_url"].as_str().unwrap().to_string(),
            test_url: state["test_url"].as_str().unwrap_or("").to_string(),
            outputs: PathBuf::from(state["outputs"].as_str().unwrap()),
            region: state["region"].as_str().unwrap().to_string(),
            pid: state["pid"].as_u64().unwrap() as u32,
            env: Vec::new(),
            dir,
            stopped: false,
        };
        let out = Command::new(deployer_bin())
            .args(["--output", "json", "local", "env", "--state-dir"])
            .arg(stack.dir.path())
            .output()
            .expect("run deployer local env");
        assert!(
            out.status.success(),
            "deployer local env: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let line: serde_json::Value =
            serde_json::from_slice(&out.stdout).expect("local env --output json is a JSON object");
        assert_eq!(line["type"], "env", "{line}");
        let vars = line["variables"]
            .as_object()
            .cloned()
            .expect("local env --output json: its `variables`");
        stack.env = vars
            .into_iter()
            .map(|(k, v)| (k, v.as_str().unwrap_or_default().to_string()))
            .collect();
        stack
    }

    /// The API operations the stack answered so far (`Service.Operation`), oldest first;
    /// only for a stack started with [`LocalStack::start_logging_calls`].
    pub fn api_calls(&self) -> Vec<String> {
        let log = std::fs::read_to_string(self.dir.path().join("stack.log")).unwrap_or_default();
        log.lines()
            .filter_map(|l| l.split_once(" api: ").map(|(_, rest)| rest))
            .filter_map(|rest| rest.split([' ', ':']).next())
            .map(str::to_owned)
            .collect()
    }

    pub fn state_dir(&self) -> &Path {
        self.dir.path()
    }

    /// The `deployer` binary with this stack's environment (AWS_ENDPOINT_URL, ...).
    pub fn deployer(&self) -> Command {
        let mut c = Command::new(deployer_bin());
        self.apply_env(&mut c);
        c
    }

    /// Any program (e.g. `aws`) with this stack's environment.
    pub fn command(&self, program: &str) -> Command {
        let mut c = Command::new(program);
        self.apply_env(&mut c);
        c
    }

    /// `aws ARGS --output json` against this stack (the real AWS CLI), asserted to succeed,
    /// its answer parsed; a missing `aws` fails the test and says what to install.
    pub fn aws_json(&self, args: &[&str]) -> serde_json::Value {
        let out = self
            .command("aws")
            .args(args)
            .args(["--output", "json"])
            .stdin(std::process::Stdio::null())
            .output()
            .expect(
                "the AWS CLI (`aws`) is required: it comes with the machine image \
                 (or `pip install awscli`)",
            );
        assert!(
            out.status.success(),
            "aws {}: exit {:?}\n{}",
            args.join(" "),
            out.status.code(),
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("aws {} did not answer JSON: {e}", args.join(" ")))
    }

    fn apply_env(&self, c: &mut Command) {
        c.env_remove("AWS_PROFILE")
            .env_remove("AWS_SESSION_TOKEN")
            .env("DEPLOYER_LOCAL_STATE_DIR", self.dir.path())
            .envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    }

    /// An AWS SDK config for this stack (endpoint, region, dummy credentials).
    pub async fn sdk_config(&self) -> aws_config::SdkConfig {
        aws_config::defaults(aws_config::BehaviorVersion::latest())
            .endpoint_url(&self.api_url)
            .region(aws_config::Region::new(self.region.clone()))
            .credentials_provider(aws_sdk_ecs::config::Credentials::new(
                "local", "local", None, None, "test",
            ))
            .load()
            .await
    }

    /// The PIDs the stack runs now: its daemon and every task process.
    pub fn pids(&self) -> Vec<u32> {
        let mut pids = vec![self.pid];
        if let Some(st) = read_state(self.dir.path()) {
            pids.extend(
                st["tasks"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|t| t["pid"].as_u64().map(|p| p as u32)),
            );
        }
        pids
    }

    /// `deployer local down`; returns its output. The drop guard then has nothing left to do.
    pub fn down(&mut self) -> Output {
        let out = Command::new(deployer_bin())
            .args(["local", "down", "--state-dir"])
            .arg(self.dir.path())
            .output()
            .expect("run deployer local down");
        self.stopped = true;
        out
    }
}

impl Drop for LocalStack {
    fn drop(&mut self) {
        let pids = self.pids();
        if !self.stopped {
            let _ = self.down();
        }
        // Whatever survived (a failed down, a wedged process) is killed by PID.
        for pid in pids {
            if alive(pid) {
                let _ = Command::new("kill")
                    .args(["-KILL", &pid.to_string()])
                    .status();
            }
        }
    }
}

/// The tags the tests deploy besides the initial one: each names the stack's initial
/// image (the demo binary `up` pushed), tagged as ECR's PutImage retags, so no test pays a
/// build or a copy for it (the tasks tell the tags apart by the version they report).
pub const TEST_TAGS: &[&str] = &[
    "v2",
    "v3",
    "v4",
    "v5",
    "v6",
    "v7",
    "v7-broken",
    "v8",
    "v9",
    "v10",
    "1",
    "2",
    "4",
    "42",
    "77",
    "99",
    "cli",
    "latest",
];

/// Tags [`TEST_TAGS`] in the local ECR of a stack's state dir (those not there yet).
pub fn push_test_tags(state_dir: &Path) {
    use deployer_emulator::ecr::backend::ImageStore;
    let store = ImageStore::new(state_dir.join("ecr"), "000000000000");
    let initial = store
        .list("demo")
        .into_iter()
        .next()
        .expect("`local up` pushed the initial image");
    for tag in TEST_TAGS {
        if store.get("demo", tag).is_none() {
            store
                .tag("demo", tag, &initial.digest)
                .unwrap_or_else(|e| panic!("tag demo:{tag}: {e}"));
        }
    }
}

/// An image reference no test pushes (a short commit that was never built).
pub const NEVER_PUSHED: &str = "demo:3e6c8b2";

pub fn temp_state_dir() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("deployer-local-")
        .tempdir()
        .expect("temp dir")
}

pub fn read_state(dir: &Path) -> Option<serde_json::Value> {
    let text = std::fs::read_to_string(dir.join("state.json")).ok()?;
    serde_json::from_str(&text).ok()
}

/// True while the process exists and is not a zombie (the deployer's own check).
pub use deployer_emulator::runtime::state::alive;

/// Processes (other than this one) that hold a file open below `dir`: a stack's tasks log
/// into `<state dir>/tasks/`, so after `down` this finds any task that escaped it, even one
/// the state file never listed. Waits up to `timeout` for them to go.
pub fn processes_using(dir: &Path, timeout: Duration) -> Vec<(u32, String)> {
    let deadline = Instant::now() + timeout;
    let dir = dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf());
    loop {
        let mut found = Vec::new();
        for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
            let Some(pid) = entry
                .file_name()
                .to_str()
                .and_then(|n| n.parse::<u32>().ok())
            else {
                continue;
            };
            if pid == std::process::id() {
                continue;
            }
            let fds = entry.path().join("fd");
            for fd in std::fs::read_dir(&fds).into_iter().flatten().flatten() {
                if let Ok(target) = std::fs::read_link(fd.path()) {
                    if target.starts_with(&dir) {
                        let cmd = std::fs::read_to_string(entry.path().join("cmdline"))
                            .unwrap_or_default()
                            .replace('\0', " ");
                        found.push((pid, cmd));
                        break;
                    }
                }
            }
        }
        if found.is_empty() || Instant::now() >= deadline {
            return found;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Waits (up to `timeout`) until none of `pids` runs; returns the ones still running.
pub fn wait_all_gone(pids: &[u32], timeout: Duration) -> Vec<u32> {
    let deadline = Instant::now() + timeout;
    loop {
        let left: Vec<u32> = pids.iter().copied().filter(|&p| alive(p)).collect();
        if left.is_empty() || Instant::now() >= deadline {
            return left;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// One HTTP/1.1 GET on a fresh connection (`Connection: close`): (status, body).
pub fn http_get(base_url: &str, path: &str) -> std::io::Result<(u16, String)> {
    http_get_with(base_url, path, &[])
}

pub fn http_get_with(
    base_url: &str,
    path: &str,
    headers: &[(&str, &str)],
) -> std::io::Result<(u16, String)> {
    http_request(base_url, "GET", path, None, headers, "")
}

/// One HTTP/1.1 POST of `body` to `/` on a fresh connection: (status, body). `host`: the
/// Host header when not the address itself (what a rebinding page sends).
pub fn http_post(
    base_url: &str,
    host: Option<&str>,
    headers: &[(&str, &str)],
    body: &str,
) -> std::io::Result<(u16, String)> {
    http_request(base_url, "POST", "/", host, headers, body)
}

fn http_request(
    base_url: &str,
    method: &str,
    path: &str,
    host: Option<&str>,
    headers: &[(&str, &str)],
    body: &str,
) -> std::io::Result<(u16, String)> {
    let hostport = base_url
        .strip_prefix("http://")
        .unwrap_or(base_url)
        .trim_end_matches('/');
    let addr: std::net::SocketAddr = hostport
        .parse()
        .map_err(|e| std::io::Error::other(format!("{hostport}: {e}")))?;
    assert!(addr.ip().is_loopback(), "tests talk to loopback only");
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_secs(2))?;
    s.set_read_timeout(Some(Duration::from_secs(10)))?;
    s.set_write_timeout(Some(Duration::from_secs(5)))?;
    let host = host.unwrap_or(hostport);
    let mut req = format!("{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n");
    if method != "GET" {
        req.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    req.push_str(body);
    s.write_all(req.as_bytes())?;
    let mut buf = Vec::new();
    s.read_to_end(&mut buf)?;
    let text = String::from_utf8_lossy(&buf).to_string();
    let (head, body) = text
        .split_once("\r\n\r\n")
        .ok_or_else(|| std::io::Error::other(format!("incomplete HTTP response: {text:?}")))?;
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| std::io::Error::other(format!("bad status line: {head:?}")))?;
    Ok((status, body.to_string()))
}

/// The version in the demo's JSON answer to `GET /` through `base_url`.
pub fn version_at(base_url: &str) -> std::io::Result<String> {
    let (status, body) = http_get_with(base_url, "/", &[("Accept", "application/json")])?;
    if status != 200 {
        return Err(std::io::Error::other(format!(
            "GET / answered {status}: {body}"
        )));
    }
    let v: serde_json::Value = serde_json::from_str(&body)
        .map_err(|e| std::io::Error::other(format!("GET / body is not JSON ({e}): {body}")))?;
    v["version"]
        .as_str()
        .map(String::from)
        .ok_or_else(|| std::io::Error::other(format!("no version in {body}")))
}

/// Kills and reaps a child on drop (the test's own processes never outlive it, even when
/// the test fails first).
pub struct Reap(pub std::process::Child);

impl Drop for Reap {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Reads a child's output (`child.stdout.take()`, `child.stderr.take()`) on a thread; its
/// lines arrive on the channel.
pub fn lines_of(output: impl std::io::Read + Send + 'static) -> std::sync::mpsc::Receiver<String> {
    use std::io::BufRead;
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(output)
            .lines()
            .map_while(Result::ok)
        {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

/// Waits (bounded) for a line containing `needle`; returns the lines seen up to it.
pub fn wait_for_line(
    rx: &std::sync::mpsc::Receiver<String>,
    needle: &str,
    within: Duration,
) -> Vec<String> {
    let deadline = Instant::now() + within;
    let mut seen = Vec::new();
    while Instant::now() < deadline {
        if let Ok(line) = rx.recv_timeout(Duration::from_millis(100)) {
            let hit = line.contains(needle);
            seen.push(line);
            if hit {
                return seen;
            }
        }
    }
    panic!(
        "no line with {needle:?} within {within:?}; saw:\n{}",
        seen.join("\n")
    );
}
