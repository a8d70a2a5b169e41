//! One invocation, run the way Lambda runs a custom runtime: the function's executable as
//! a process (its own process group, stdin closed) with the environment Lambda gives it
//! (`AWS_LAMBDA_RUNTIME_API`, `AWS_LAMBDA_FUNCTION_NAME`, `_MEMORY_SIZE`, `_VERSION`,
//! `AWS_LAMBDA_LOG_GROUP_NAME`, `_LOG_STREAM_NAME`, `AWS_REGION`, `_HANDLER`,
//! `LAMBDA_TASK_ROOT`, `TZ`, the credentials), its own environment, and `AWS_ENDPOINT_URL`
//! pointing at the local API, so its SDK calls reach this stack. Its stdout and stderr go
//! line by line to `/aws/lambda/<name>`, stream `YYYY/MM/DD/[$LATEST]<hex>`, between
//! Lambda's `START`, `END` and `REPORT` lines. The process is stopped by its PID once it
//! answered, exited, or ran past the function's timeout (then the answer is Lambda's
//! "Task timed out after N seconds" error).

use std::path::PathBuf;
use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use axum::body::Bytes;
use nix::sys::signal::Signal;
use serde_json::json;
use tokio_util::sync::CancellationToken;

use super::backend::{Function, LATEST};
use super::runtime_api::{Answer, Event, RuntimeApi};
use crate::logs::backend::{FileFollower, Logs};
use crate::names::{random_id, HEX};
use crate::runtime::state;
use deployer_models::time::now_millis;

/// How often the function's output file is read into its log stream.
const LOG_POLL: Duration = Duration::from_millis(100);
/// How long a process may take to exit after SIGTERM before SIGKILL.
const STOP_GRACE: Duration = Duration::from_millis(500);
/// The most of its log an invocation's `X-Amz-Log-Result` carries (Lambda: the last 4 KB).
const LOG_TAIL_BYTES: usize = 4096;

/// The invocations' output files, under the state dir.
pub(crate) const OUT_DIR: &str = "lambda";

/// Where invocations run: the Logs service, the local API and its Region, a directory for
/// the processes' output files, the stack's shutdown.
#[derive(Clone)]
pub(crate) struct Sandbox {
    pub(crate) logs: Arc<Logs>,
    pub(crate) api_url: String,
    pub(crate) region: String,
    pub(crate) dir: PathBuf,
    pub(crate) shutdown: CancellationToken,
}

/// What an invocation answered.
#[derive(Debug, Clone)]
pub(crate) struct Outcome {
    pub(crate) request_id: String,
    pub(crate) payload: Bytes,
    /// `Unhandled` when the function failed (X-Amz-Function-Error).
    pub(crate) function_error: Option<&'static str>,
    /// The invocation's log, at most its last 4 KB.
    pub(crate) log_tail: String,
}

fn error_doc(kind: &str, message: &str) -> Bytes {
    Bytes::from(json!({"errorType": kind, "errorMessage": message}).to_string())
}

/// Runs `f` on `payload` to its answer.
pub(crate) async fn invoke(sb: &Sandbox, f: &Function, payload: Bytes) -> anyhow::Result<Outcome> {
    let request_id = uuid::Uuid::new_v4().to_string();
    let group = f.log_group();
    let day = humantime::format_rfc3339(std::time::SystemTime::now()).to_string();
    let stream = format!(
        "{}/[{LATEST}]{}",
        day.get(..10).unwrap_or("1970-01-01").replace('-', "/"),
        random_id(32, HEX)
    );
    let mut lines = vec![format!("START RequestId: {request_id} Version: {LATEST}")];
    sb.logs
        .append(&group, &stream, &lines[0], now_millis())
        .map_err(|e| anyhow::anyhow!("log group {group}: {}", e.message))?;

    let started = Instant::now();
    let timeout = f.def.timeout;
    let mut api = RuntimeApi::start(Event {
        request_id: request_id.clone(),
        payload,
        deadline_ms: (now_millis().max(0) as u64) + timeout.as_millis() as u64,
        function_arn: f.arn.clone(),
    })
    .await?;

    let out_dir = sb.dir.join(OUT_DIR);
    std::fs::create_dir_all(&out_dir)
        .with_context(|| format!("cannot create {}", out_dir.display()))?;
    let out_path = out_dir.join(format!("{}-{request_id}.log", f.name()));
    let out = std::fs::File::create(&out_path)
        .with_context(|| format!("cannot create {}", out_path.display()))?;
    let mut cmd = tokio::process::Command::new(&f.def.code);
    cmd.env_clear()
        .env("PATH", "/usr/local/bin:/usr/bin:/bin")
        .envs(&f.def.environment)
        // Lambda's reserved variables win over the function's own.
        .env("AWS_LAMBDA_RUNTIME_API", &api.address)
        .env("AWS_LAMBDA_FUNCTION_NAME", f.name())
        .env("AWS_LAMBDA_FUNCTION_VERSION", LATEST)
        .env(
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
            f.def.memory_mb.to_string(),
        )
        .env("AWS_LAMBDA_LOG_GROUP_NAME", &group)
        .env("AWS_LAMBDA_LOG_STREAM_NAME", &stream)
        .env("AWS_LAMBDA_INITIALIZATION_TYPE", "on-demand")
        .env("AWS_REGION", &sb.region)
        .env("AWS_DEFAULT_REGION", &sb.region)
        .env("AWS_ACCESS_KEY_ID", "local")
        .env("AWS_SECRET_ACCESS_KEY", "local")
        .env("AWS_ENDPOINT_URL", &sb.api_url)
        .env("_HANDLER", "bootstrap")
        .env(
            "LAMBDA_TASK_ROOT",
            f.def.code.parent().unwrap_or(&f.def.code),
        )
        .env("TZ", ":UTC")
        .env("LANG", "en_US.UTF-8")
        .stdin(Stdio::null())
        .stdout(out.try_clone()?)
        .stderr(out)
        .process_group(0)
        .kill_on_drop(true);
    let mut child = cmd
        .spawn()
        .with_context(|| format!("cannot start {}", f.def.code.display()))?;
    let pid = child.id().unwrap_or(0);
    tracing::info!(target: "lambda", "{}: invocation {request_id} started (pid {pid})", f.name());
    let output_done = CancellationToken::new();
    let follower = tokio::spawn(
        FileFollower::new(Arc::clone(&sb.logs), out_path.clone(), &group, &stream)
            .run(LOG_POLL, output_done.clone()),
    );

    enum Ended {
        Answered(Answer),
        Exited(String),
        TimedOut,
        Shutdown,
    }
    let ended = tokio::select! {
        a = &mut api.answer => match a {
            Ok(a) => Ended::Answered(a),
            Err(_) => Ended::Exited("the Runtime API stopped".into()),
        },
        status = child.wait() => {
            // An answer sent just before the exit still counts.
            match api.answer.try_recv() {
                Ok(a) => Ended::Answered(a),
                Err(_) => Ended::Exited(match status {
                    Ok(s) => s.to_string(),
                    Err(e) => e.to_string(),
                }),
            }
        }
        _ = tokio::time::sleep(timeout) => Ended::TimedOut,
        _ = sb.shutdown.cancelled() => Ended::Shutdown,
    };
    let duration = started.elapsed();
    let max_rss_mb = peak_memory_mb(pid);
    stop(&mut child, pid).await;
    drop(api);
    output_done.cancel();
    let _ = follower.await;

    let (payload, function_error) = match ended {
        Ended::Answered(Answer::Response(body)) => (body, None),
        Ended::Answered(Answer::Error { body, .. } | Answer::InitError { body, .. }) => {
            (body, Some("Unhandled"))
        }
        Ended::Exited(status) => (
            error_doc(
                "Runtime.ExitError",
                &format!("RequestId: {request_id} Error: Runtime exited without providing a reason ({status})"),
            ),
            Some("Unhandled"),
        ),
        Ended::TimedOut => {
            let msg = format!(
                "{} {request_id} Task timed out after {:.2} seconds",
                humantime::format_rfc3339_millis(std::time::SystemTime::now()),
                timeout.as_secs_f64()
            );
            lines.push(msg.clone());
            (error_doc("Sandbox.Timedout", &msg), Some("Unhandled"))
        }
        Ended::Shutdown => anyhow::bail!("the local stack is shutting down"),
    };
    let ms = duration.as_secs_f64() * 1000.0;
    let mut report = format!(
        "REPORT RequestId: {request_id}\tDuration: {ms:.2} ms\tBilled Duration: {} ms\tMemory Size: {} MB",
        ms.ceil() as u64,
        f.def.memory_mb
    );
    if let Some(mb) = max_rss_mb {
        report.push_str(&format!("\tMax Memory Used: {mb} MB"));
    }
    let tail_lines = [format!("END RequestId: {request_id}"), report];
    for l in lines.iter().skip(1).chain(&tail_lines) {
        let _ = sb.logs.append(&group, &stream, l, now_millis());
    }
    let output = std::fs::read_to_string(&out_path).unwrap_or_default();
    let _ = std::fs::remove_file(&out_path);
    let mut log = format!("{}\n{output}", lines[0]);
    for l in lines.iter().skip(1).chain(&tail_lines) {
        log.push_str(l);
        log.push('\n');
    }
    let mut cut = log.len().saturating_sub(LOG_TAIL_BYTES);
    while !log.is_char_boundary(cut) {
        cut += 1;
    }
    tracing::info!(target: "lambda", "{}: invocation {request_id} ended{} after {ms:.0} ms", f.name(), if function_error.is_some() { " with an error" } else { "" });
    Ok(Outcome {
        request_id,
        payload,
        function_error,
        log_tail: log[cut..].to_string(),
    })
}

/// The process's peak resident memory (`VmHWM`), in MB, while it still runs.
fn peak_memory_mb(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let kb: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some(kb.div_ceil(1024))
}

/// SIGTERM by PID, SIGKILL after [`STOP_GRACE`]; reaps the process.
async fn stop(child: &mut tokio::process::Child, pid: u32) {
    if matches!(child.try_wait(), Ok(Some(_))) {
        return;
    }
    state::signal(pid, Signal::SIGTERM);
    if tokio::time::timeout(STOP_GRACE, child.wait())
        .await
        .is_err()
    {
        let _ = child.kill().await;
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::os::unix::fs::PermissionsExt;

    use super::*;
    use crate::lambda::backend::{Lambda, NewFunction};

    /// A function whose code is a shell script speaking the Runtime API with curl (the
    /// `bootstrap` of the hook crate is tested against the stack by the deployer's suite).
    fn function(dir: &std::path::Path, script: &str, timeout: Duration) -> Function {
        let code = dir.join("bootstrap");
        std::fs::write(&code, format!("#!/bin/sh\n{script}\n")).unwrap();
        std::fs::set_permissions(&code, std::fs::Permissions::from_mode(0o755)).unwrap();
        Lambda::new("us-east-1", "000000000000")
            .create(NewFunction {
                name: "f".into(),
                code,
                timeout,
                memory_mb: 128,
                environment: BTreeMap::from([("GREETING".into(), "hi".into())]),
                role: String::new(),
                description: String::new(),
            })
            .unwrap()
    }

    fn sandbox(dir: &std::path::Path) -> Sandbox {
        Sandbox {
            logs: Arc::new(Logs::new("us-east-1", "000000000000")),
            api_url: "http://127.0.0.1:9".into(),
            region: "us-east-1".into(),
            dir: dir.to_path_buf(),
            shutdown: CancellationToken::new(),
        }
    }

    const ECHO: &str = r#"
api="http://$AWS_LAMBDA_RUNTIME_API/2018-06-01/runtime"
curl -sS -D /tmp/h.$$ -o /tmp/e.$$ "$api/invocation/next"
id=$(grep -i '^lambda-runtime-aws-request-id:' /tmp/h.$$ | cut -d' ' -f2 | tr -d '\r')
echo "greeting $GREETING from $AWS_LAMBDA_FUNCTION_NAME in $AWS_REGION via $AWS_ENDPOINT_URL"
curl -sS -X POST --data-binary @/tmp/e.$$ "$api/invocation/$id/response" >/dev/null
rm -f /tmp/h.$$ /tmp/e.$$
sleep 30
"#;

    fn has_curl() -> bool {
        std::process::Command::new("curl")
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
    }

    #[tokio::test]
    async fn a_runtime_gets_the_event_and_its_answer_is_the_result() {
        assert!(has_curl(), "this test needs curl");
        let dir = tempfile::tempdir().unwrap();
        let f = function(dir.path(), ECHO, Duration::from_secs(10));
        let sb = sandbox(dir.path());
        let t = Instant::now();
        let out = invoke(&sb, &f, Bytes::from_static(br#"{"a":1}"#))
            .await
            .unwrap();
        assert_eq!(&out.payload[..], br#"{"a":1}"#);
        assert_eq!(out.function_error, None);
        // Stopped once it answered, not after its `sleep 30`.
        assert!(t.elapsed() < Duration::from_secs(5), "{:?}", t.elapsed());
        let tail = out.log_tail;
        assert!(tail.starts_with("START RequestId: "), "{tail}");
        assert!(
            tail.contains("greeting hi from f in us-east-1 via http://127.0.0.1:9"),
            "{tail}"
        );
        assert!(tail.contains(&format!("END RequestId: {}", out.request_id)));
        assert!(tail.contains("REPORT RequestId: ") && tail.contains("Billed Duration: "));
        // The same lines in the function's log group, in order.
        let q = crate::logs::backend::FilterQuery {
            group: "/aws/lambda/f".into(),
            ..Default::default()
        };
        let page = sb.logs.filter(&q).unwrap();
        let msgs: Vec<_> = page.events.iter().map(|e| e.message.as_str()).collect();
        assert!(msgs[0].starts_with("START"), "{msgs:?}");
        assert!(msgs[1].starts_with("greeting hi"), "{msgs:?}");
        assert!(msgs[3].starts_with("REPORT"), "{msgs:?}");
    }

    #[tokio::test]
    async fn a_runtime_past_its_timeout_is_stopped() {
        let dir = tempfile::tempdir().unwrap();
        let f = function(dir.path(), "sleep 30", Duration::from_millis(300));
        let t = Instant::now();
        let out = invoke(&sandbox(dir.path()), &f, Bytes::from_static(b"{}"))
            .await
            .unwrap();
        assert!(t.elapsed() < Duration::from_secs(3), "{:?}", t.elapsed());
        assert_eq!(out.function_error, Some("Unhandled"));
        let doc: serde_json::Value = serde_json::from_slice(&out.payload).unwrap();
        assert_eq!(doc["errorType"], "Sandbox.Timedout");
        assert!(doc["errorMessage"]
            .as_str()
            .unwrap()
            .contains("Task timed out after 0.30 seconds"));
    }

    #[tokio::test]
    async fn a_runtime_that_exits_without_answering_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let f = function(
            dir.path(),
            "echo dying >&2; exit 3",
            Duration::from_secs(10),
        );
        let out = invoke(&sandbox(dir.path()), &f, Bytes::from_static(b"{}"))
            .await
            .unwrap();
        assert_eq!(out.function_error, Some("Unhandled"));
        let doc: serde_json::Value = serde_json::from_slice(&out.payload).unwrap();
        assert_eq!(doc["errorType"], "Runtime.ExitError");
        assert!(out.log_tail.contains("dying"), "{}", out.log_tail);
    }
}
