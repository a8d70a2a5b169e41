//! Push to deploy on the local stack: a push to its git remote runs the pipeline `demo`
//! (Source, Build with the repository's own buildspec.yml, Deploy blue/green), and
//! `GET /` through the local NLB then reports the pushed commit. A commit that does not
//! compile fails Build, one whose tasks fail their health checks fails Deploy through the
//! automatic rollback, one whose buildspec drops an artifact fails with CodeBuild's
//! message; the live version keeps serving throughout. The AWS CLI reads it all.
//!
//! Builds share `<target>/local-codebuild` with tests/local_build.rs (one cold release
//! build of demo's dependencies per machine, then the `demo` crate only).

use crate::local_build::{sh, shared_target_dir, working_copy};
use crate::support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use support::LocalStack;

/// A throwaway repository with the workspace's tracked files as they are on disk, its
/// remote `local` the stack's repository.
/// A `deployer pipeline watch` running in the background, its stderr read as it comes (so
/// a test can wait for a line instead of sleeping); killed by its PID if the test fails
/// first.
struct Watcher {
    child: support::Reap,
    lines: std::sync::mpsc::Receiver<String>,
    seen: Vec<String>,
}

impl Watcher {
    fn spawn(cmd: &mut Command) -> Watcher {
        let child = cmd
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("start deployer pipeline watch");
        let mut child = support::Reap(child);
        let lines = support::lines_of(child.0.stderr.take().expect("piped stderr"));
        Watcher {
            child,
            lines,
            seen: Vec::new(),
        }
    }

    /// Waits (at most 60 s) for a stderr line containing `needle`.
    fn wait_for(&mut self, needle: &str) {
        let seen = support::wait_for_line(&self.lines, needle, Duration::from_secs(60));
        self.seen.extend(seen);
    }

    /// Its exit code and whole stderr.
    fn finish(mut self) -> (Option<i32>, String) {
        let status = self
            .child
            .0
            .wait()
            .expect("wait for deployer pipeline watch");
        // The reader ends with the pipe: every line is on the channel by now or soon.
        self.seen.extend(self.lines.iter());
        (status.code(), self.seen.join("\n"))
    }
}

fn clone_workspace(root: &Path, remote: &str) -> PathBuf {
    let (work, _) = working_copy(root);
    sh(&work, &format!("git remote add local '{remote}'"));
    work
}

async fn call(stack: &LocalStack, target: &str, body: Value) -> Value {
    let resp = reqwest::Client::new()
        .post(&stack.api_url)
        .header("x-amz-target", target)
        .header("content-type", "application/x-amz-json-1.1")
        .body(body.to_string())
        .send()
        .await
        .expect("the local API answers");
    let status = resp.status();
    let v: Value = resp.json().await.expect("JSON");
    assert!(status.is_success(), "{target}: {status} {v}");
    v
}

/// Waits for the execution of `commit` to end; returns its summary.
async fn wait_execution(stack: &LocalStack, commit: &str, timeout: Duration) -> Value {
    let deadline = Instant::now() + timeout;
    loop {
        let v = call(
            stack,
            "CodePipeline_20150709.ListPipelineExecutions",
            json!({"pipelineName": "demo"}),
        )
        .await;
        let found = v["pipelineExecutionSummaries"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["sourceRevisions"][0]["revisionId"] == commit)
            .cloned();
        if let Some(e) = found {
            if e["status"] != "InProgress" {
                return e;
            }
        }
        assert!(
            Instant::now() < deadline,
            "the execution of {commit} did not end within {timeout:?}: {v}\nstack log:\n{}",
            std::fs::read_to_string(stack.state_dir().join("stack.log")).unwrap_or_default()
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

async fn actions(stack: &LocalStack, execution: &str) -> Vec<Value> {
    let v = call(
        stack,
        "CodePipeline_20150709.ListActionExecutions",
        json!({"pipelineName": "demo", "filter": {"pipelineExecutionId": execution}}),
    )
    .await;
    v["actionExecutionDetails"].as_array().unwrap().clone()
}

fn action<'a>(actions: &'a [Value], stage: &str) -> &'a Value {
    actions
        .iter()
        .find(|a| a["stageName"] == stage)
        .unwrap_or_else(|| panic!("no {stage} action in {actions:?}"))
}

fn commit_served(stack: &LocalStack) -> String {
    let (status, body) =
        support::http_get_with(&stack.nlb_url, "/", &[("Accept", "application/json")]).unwrap();
    assert_eq!(status, 200, "{body}");
    let v: Value = serde_json::from_str(&body).unwrap();
    v["commit"].as_str().unwrap_or_default().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn push_to_deploy_and_the_three_ways_a_release_fails() {
    // The stack daemon inherits it (one shared build cache); this file has one test.
    std::env::set_var("DEPLOYER_LOCAL_BUILD_TARGET_DIR", shared_target_dir());
    let stack = LocalStack::start();
    let remote = stack
        .env
        .iter()
        .find(|(k, _)| k == "DEPLOYER_LOCAL_GIT_REMOTE")
        .map(|(_, v)| v.clone())
        .expect("deployer local env prints DEPLOYER_LOCAL_GIT_REMOTE");
    let root = tempfile::tempdir().unwrap();
    let work = clone_workspace(root.path(), &remote);

    // 1. A push deploys its commit.
    let pushed = Command::new("git")
        .args(["push", "local", "main"])
        .current_dir(&work)
        .output()
        .unwrap();
    assert!(pushed.status.success());
    assert!(
        String::from_utf8_lossy(&pushed.stderr)
            .contains("remote: deployer local: pipeline triggered"),
        "{}",
        String::from_utf8_lossy(&pushed.stderr)
    );
    let good = sh(&work, "git rev-parse HEAD");
    let e = wait_execution(&stack, &good, Duration::from_secs(900)).await;
    let id = e["pipelineExecutionId"].as_str().unwrap().to_string();
    let acts = actions(&stack, &id).await;
    assert_eq!(e["status"], "Succeeded", "{e}\n{acts:#?}");
    assert_eq!(e["trigger"]["triggerType"], "WebhookV2");
    assert_eq!(
        commit_served(&stack),
        good,
        "GET / through the NLB reports the pushed commit"
    );
    let build_id = action(&acts, "Build")["output"]["executionResult"]["externalExecutionId"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(build_id.starts_with("demo:"), "{build_id}");
    assert!(
        action(&acts, "Deploy")["output"]["executionResult"]["externalExecutionId"]
            .as_str()
            .unwrap()
            .starts_with("d-")
    );

    // The local ECR knows the image the build pushed (its own digest, not the stack's demo).
    let images = call(
        &stack,
        "AmazonEC2ContainerRegistry_V20150921.DescribeImages",
        json!({"repositoryName": "demo", "imageIds": [{"imageTag": good}]}),
    )
    .await;
    let digest = images["imageDetails"][0]["imageDigest"]
        .as_str()
        .unwrap()
        .to_string();
    let other = call(
        &stack,
        "AmazonEC2ContainerRegistry_V20150921.DescribeImages",
        json!({"repositoryName": "demo", "imageIds": [{"imageTag": "v1"}]}),
    )
    .await;
    assert_ne!(
        digest,
        other["imageDetails"][0]["imageDigest"].as_str().unwrap()
    );

    // The AWS CLI reads the pipeline and the build.
    let out = stack
        .command("aws")
        .args(["codepipeline", "get-pipeline-state", "--name", "demo"])
        .output()
        .expect("the AWS CLI runs (scripts/setup installs it)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let state: Value = serde_json::from_slice(&out.stdout).unwrap();
    let stages: Vec<&str> = state["stageStates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["stageName"].as_str().unwrap())
        .collect();
    assert_eq!(stages, ["Source", "Build", "Deploy"]);
    assert_eq!(
        state["stageStates"][2]["latestExecution"]["status"],
        "Succeeded"
    );
    let out = stack
        .command("aws")
        .args(["codebuild", "batch-get-builds", "--ids", &build_id])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let builds: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(builds["builds"][0]["buildStatus"], "SUCCEEDED");
    assert_eq!(builds["builds"][0]["resolvedSourceVersion"], good.as_str());
    let out = stack
        .command("aws")
        .args(["codepipeline", "get-pipeline-state", "--name", "nope"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("PipelineNotFoundException"));

    // `deployer pipeline`: status shows the execution and the live revision; watch of a
    // finished execution exits with its outcome; release re-runs the last commit.
    let out = stack
        .deployer()
        .args(["pipeline", "status"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.contains(&id) && text.contains("Succeeded") && text.contains(&good[..8]),
        "{text}"
    );
    assert!(
        text.contains("live: ") && text.contains(&format!("demo:{good})")),
        "{text}"
    );
    let out = stack
        .deployer()
        .args(["pipeline", "watch", &id])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = stack
        .deployer()
        .args(["pipeline", "watch", "not-a-uuid"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let out = stack
        .deployer()
        .args(["pipeline", "release"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(
        err.contains("Build: Succeeded") && err.contains("following deployment d-"),
        "{err}"
    );

    // 2. A commit that does not compile fails Build; the live version keeps serving;
    // `pipeline watch --wait-start` picks up the push and shows the build's last lines.
    let mut watcher =
        Watcher::spawn(
            stack
                .deployer()
                .args(["pipeline", "watch", "--wait-start", "120s"]),
        );
    let mut short_watch = Watcher::spawn(stack.deployer().args([
        "pipeline",
        "watch",
        "--wait-start",
        "120s",
        // Well inside the broken commit's build (its pre_build phase alone takes
        // about two seconds).
        "--timeout",
        "1s",
    ]));
    // Both have listed the executions before the push (else the push's could count as old).
    watcher.wait_for("waiting up to");
    short_watch.wait_for("waiting up to");
    sh(
        &work,
        "printf '\\nfn broken( {{\\n' >> app/src/main.rs && git commit -qam 'does not compile' && git push -q local main",
    );
    let broken = sh(&work, "git rev-parse HEAD");
    let (code, timed_out) = short_watch.finish();
    assert_eq!(
        code,
        Some(5),
        "watching past --timeout exits 5: {timed_out}"
    );
    let (code, err) = watcher.finish();
    assert_eq!(code, Some(3), "a failed build exits 3: {err}");
    assert!(
        err.contains("build phase BUILD FAILED: COMMAND_EXECUTION_ERROR"),
        "{err}"
    );
    assert!(err.contains("last log lines of /codebuild/demo"), "{err}");
    assert!(
        err.contains("error"),
        "the compiler's error is among the last lines: {err}"
    );
    let e = wait_execution(&stack, &broken, Duration::from_secs(600)).await;
    assert_eq!(e["status"], "Failed", "{e}");
    let acts = actions(&stack, e["pipelineExecutionId"].as_str().unwrap()).await;
    let build = action(&acts, "Build");
    assert_eq!(build["status"], "Failed");
    assert_eq!(
        build["output"]["executionResult"]["errorDetails"]["message"],
        "Build terminated with state: FAILED"
    );
    assert!(acts.iter().all(|a| a["stageName"] != "Deploy"));
    assert_eq!(commit_served(&stack), good);
    sh(&work, "git revert --no-edit HEAD >/dev/null");

    // 3. A buildspec that drops an artifact fails with CodeBuild's message.
    sh(
        &work,
        "sed -i '/^    - appspec.yaml$/d; s/^    - taskdef.json$/    - taskdef.json\\n    - missing.json/' buildspec.yml \
         && grep -q missing.json buildspec.yml && git commit -qam 'artifact that is never written' && git push -q local main",
    );
    let dropped = sh(&work, "git rev-parse HEAD");
    let e = wait_execution(&stack, &dropped, Duration::from_secs(600)).await;
    assert_eq!(e["status"], "Failed", "{e}");
    let acts = actions(&stack, e["pipelineExecutionId"].as_str().unwrap()).await;
    let id = action(&acts, "Build")["output"]["executionResult"]["externalExecutionId"]
        .as_str()
        .unwrap()
        .to_string();
    let b = call(
        &stack,
        "CodeBuild_20161006.BatchGetBuilds",
        json!({"ids": [id]}),
    )
    .await;
    let upload = b["builds"][0]["phases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["phaseType"] == "UPLOAD_ARTIFACTS")
        .cloned()
        .expect("UPLOAD_ARTIFACTS ran");
    assert_eq!(upload["phaseStatus"], "FAILED");
    assert_eq!(upload["contexts"][0]["statusCode"], "CLIENT_ERROR");
    assert_eq!(
        upload["contexts"][0]["message"],
        "no matching artifact paths found"
    );
    assert_eq!(commit_served(&stack), good);
    sh(&work, "git revert --no-edit HEAD >/dev/null");

    // 4. A release whose tasks fail their health checks fails Deploy through the rollback.
    sh(
        &work,
        r#"python3 - <<'EOF'
import json
td = json.load(open("taskdef.json"))
td["containerDefinitions"][0]["environment"].append({"name": "DEMO_FAIL_HEALTH", "value": "1"})
json.dump(td, open("taskdef.json", "w"), indent=2)
EOF
git commit -qam 'tasks that fail their health checks' && git push -q local main"#,
    );
    let unhealthy = sh(&work, "git rev-parse HEAD");
    let e = wait_execution(&stack, &unhealthy, Duration::from_secs(600)).await;
    assert_eq!(e["status"], "Failed", "{e}");
    let acts = actions(&stack, e["pipelineExecutionId"].as_str().unwrap()).await;
    let deploy = action(&acts, "Deploy");
    assert_eq!(deploy["status"], "Failed");
    let msg = deploy["output"]["executionResult"]["errorDetails"]["message"]
        .as_str()
        .unwrap();
    assert!(msg.contains("was rolled back"), "{msg}");
    let out = stack
        .deployer()
        .args([
            "pipeline",
            "watch",
            e["pipelineExecutionId"].as_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        commit_served(&stack),
        good,
        "the rollback left the live version serving"
    );
}
