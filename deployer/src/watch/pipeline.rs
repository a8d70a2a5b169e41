//! Following a pipeline execution: polls it (CodePipeline, CodeBuild, through
//! `aws::codepipeline`), feeds [`ExecutionWatch`], reports through the deployments'
//! [`Reporter`], and once the Deploy action created its deployment hands over to the
//! deployment watch ([`follow`](mod@super::follow)): the same lifecycle lines, summary and exit codes. A
//! failed build shows the failed phase and the build's last log lines.

use std::time::{Duration, Instant};

use anyhow::anyhow;
use serde::Serialize;
use serde_json::json;

use crate::aws::codepipeline as cp;
use crate::aws::Ctx;
use crate::exit::{bad_input, Code};
use crate::options::{InterruptAction, OutputFormat};
use crate::watch::execution::{code_of, ExecutionEvent, ExecutionWatch, Observation};
use crate::watch::follow::{follow_to_summary, WatchOptions};
use crate::watch::progress::Reporter;

/// How to follow an execution.
#[derive(Debug, Clone)]
pub(crate) struct ExecutionOptions {
    /// Give up after this long (the execution goes on).
    pub(crate) timeout: Duration,
    /// Poll period.
    pub(crate) interval: Duration,
    pub(crate) output: OutputFormat,
}

async fn observe(c: &Ctx, id: &str) -> anyhow::Result<Observation> {
    let e = cp::execution(c, id).await?;
    let acts = cp::actions(c, id).await?;
    let mut obs = Observation {
        status: e.status.map(|s| s.as_str().to_string()).unwrap_or_default(),
        summary: e.status_summary,
        ..Observation::default()
    };
    let mut build_id = None;
    for a in &acts {
        let result = a.output.as_ref().and_then(|o| o.execution_result.as_ref());
        let ext = result.and_then(|r| r.external_execution_id.clone());
        let stage = a.stage_name.clone().unwrap_or_default();
        if stage == "Build" {
            build_id = ext.clone();
        }
        obs.actions.push((
            stage,
            a.status
                .as_ref()
                .map(|s| s.as_str().to_string())
                .unwrap_or_default(),
            ext,
            result
                .and_then(|r| r.error_details.as_ref())
                .and_then(|d| d.message.clone()),
        ));
    }
    if let Some(b) = build_id {
        if let Some(build) = cp::build(c, &b).await? {
            obs.build_phases = build
                .phases
                .unwrap_or_default()
                .into_iter()
                .map(|p| {
                    (
                        p.phase_type
                            .map(|t| t.as_str().to_string())
                            .unwrap_or_default(),
                        p.phase_status.map(|s| s.as_str().to_string()),
                        p.duration_in_seconds,
                    )
                })
                .collect();
        }
    }
    Ok(obs)
}

/// How a build failed: the failing phase and command (once), and its last log lines
/// without the copies of the command CodeBuild writes around them ("Running command",
/// "Command did not exit successfully", the phase context): a multi-line command would
/// otherwise print three times around the compiler's error.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub(crate) struct BuildFailure {
    pub(crate) build_id: String,
    pub(crate) phase: String,
    pub(crate) status_code: String,
    /// The command that failed, whole (CodeBuild's "Error while executing command: CMD.
    /// Reason: ..."), when the phase's message names one.
    pub(crate) command: Option<String>,
    /// Why it failed ("exit status 101"), or the phase's whole message.
    pub(crate) reason: String,
    pub(crate) log_group: Option<String>,
    pub(crate) log_stream: Option<String>,
    pub(crate) last_lines: Vec<String>,
    /// Why the log could not be read, if it could not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) log_error: Option<String>,
}

impl BuildFailure {
    /// The phase's context message split into the command and the reason.
    pub(crate) fn from_context(build_id: &str, phase: &str, code: &str, message: &str) -> Self {
        let (command, reason) = match message
            .strip_prefix("Error while executing command: ")
            .and_then(|rest| rest.rsplit_once(". Reason: "))
        {
            Some((cmd, reason)) => (Some(cmd.to_owned()), reason.to_owned()),
            None => (None, message.to_owned()),
        };
        BuildFailure {
            build_id: build_id.to_owned(),
            phase: phase.to_owned(),
            status_code: code.to_owned(),
            command,
            reason,
            ..BuildFailure::default()
        }
    }

    /// Keeps the last `n` lines of the log's `events`, leaving out the events that quote
    /// the failing command (shown once, above them) and CodeBuild's own phase lines.
    pub(crate) fn set_tail(&mut self, events: &[String], n: usize) {
        let cmd = self.command.as_deref().filter(|c| !c.trim().is_empty());
        let lines: Vec<String> = events
            .iter()
            .filter(|m| !cmd.is_some_and(|c| m.contains(c)))
            .filter(|m| !m.contains("Phase context status code:"))
            .flat_map(|m| m.trim_end().lines().map(str::to_owned).collect::<Vec<_>>())
            .collect();
        self.last_lines = lines[lines.len().saturating_sub(n)..].to_vec();
    }

    /// The report for a person.
    pub(crate) fn human(&self) -> String {
        let mut text = format!(
            "build phase {} FAILED: {} ({})",
            self.phase, self.status_code, self.reason
        );
        if let Some(cmd) = &self.command {
            text.push_str("\n  the failing command:");
            for l in cmd.lines() {
                text.push_str(&format!("\n    {l}"));
            }
        }
        match (&self.log_group, &self.log_stream, &self.log_error) {
            (_, _, Some(e)) => text.push_str(&format!("\n  cannot read the build log: {e}")),
            (Some(g), Some(s), None) => {
                text.push_str(&format!("\n  last log lines of {g} {s}:"));
                for l in &self.last_lines {
                    text.push_str(&format!("\n    {l}"));
                }
            }
            _ => text.push_str("\n  the build has no CloudWatch Logs location"),
        }
        text
    }
}

/// How many log lines a failed build's report shows.
const BUILD_LAST_LINES: usize = 20;

/// The failed phase, command and last log lines of build `id`.
async fn build_failure(c: &Ctx, id: &str) -> BuildFailure {
    let b = match cp::build(c, id).await {
        Ok(Some(b)) => b,
        Ok(None) => {
            return BuildFailure {
                build_id: id.to_owned(),
                log_error: Some(format!("build {id} not found")),
                ..BuildFailure::default()
            }
        }
        Err(e) => {
            return BuildFailure {
                build_id: id.to_owned(),
                log_error: Some(format!("cannot read build {id}: {e:#}")),
                ..BuildFailure::default()
            }
        }
    };
    let failed = b
        .phases
        .clone()
        .unwrap_or_default()
        .into_iter()
        .find(|p| p.phase_status.as_ref().map(|s| s.as_str()) == Some("FAILED"));
    let mut report = match &failed {
        Some(p) => {
            let ctx = p.contexts.clone().unwrap_or_default().into_iter().next();
            BuildFailure::from_context(
                id,
                p.phase_type.as_ref().map(|t| t.as_str()).unwrap_or("?"),
                ctx.as_ref()
                    .and_then(|c| c.status_code.as_deref())
                    .unwrap_or_default(),
                ctx.as_ref()
                    .and_then(|c| c.message.as_deref())
                    .unwrap_or_default(),
            )
        }
        None => BuildFailure {
            build_id: id.to_owned(),
            phase: "?".into(),
            reason: b
                .build_status
                .as_ref()
                .map(|s| s.as_str().to_owned())
                .unwrap_or_default(),
            ..BuildFailure::default()
        },
    };
    report.log_group = b.logs.as_ref().and_then(|l| l.group_name.clone());
    report.log_stream = b.logs.as_ref().and_then(|l| l.stream_name.clone());
    if let (Some(group), Some(stream)) = (&report.log_group, &report.log_stream) {
        // More events than lines shown: the ones quoting the command are left out.
        match crate::aws::logs::last_lines(&c.aws.logs, group, stream, 3 * BUILD_LAST_LINES as i32)
            .await
        {
            Ok(tail) => {
                let messages: Vec<String> = tail.into_iter().map(|e| e.message).collect();
                report.set_tail(&messages, BUILD_LAST_LINES);
            }
            Err(e) => report.log_error = Some(format!("{e:#}")),
        }
    }
    report
}

/// The end of a pipeline watch: the one `summary` of `pipeline watch|release`.
#[derive(Debug, Clone, Serialize)]
struct ExecutionSummary {
    execution_id: String,
    pipeline: String,
    outcome: &'static str,
    /// The execution's last status seen.
    status: String,
    exit_code: u8,
    elapsed_secs: u64,
    /// The deployment the Deploy action created, as `deploy` summarizes it.
    #[serde(skip_serializing_if = "Option::is_none")]
    deployment: Option<crate::watch::progress::Summary>,
}

fn outcome_of(code: Code) -> &'static str {
    match code {
        Code::Success => "succeeded",
        Code::Failed => "failed",
        Code::RolledBack => "stopped",
        Code::Timeout => "timeout",
        Code::Interrupted => "interrupted",
        Code::Error | Code::BadInput => "error",
        // A pipeline watch never refuses for a deployment in flight; named for the match.
        Code::InFlight => "in_flight",
    }
}

/// Follows execution `id` of the stack's pipeline to its end, then the deployment its
/// Deploy action created ([`follow_to_summary`]); returns `deploy`'s exit codes. Ends
/// with one summary (stdout).
pub(crate) async fn follow_execution(
    c: &Ctx,
    id: &str,
    f: &ExecutionOptions,
) -> anyhow::Result<Code> {
    let output = f.output;
    if f.interval.is_zero() || f.timeout.is_zero() {
        return Err(bad_input("--interval and --timeout must be more than 0"));
    }
    let started = Instant::now();
    let reporter = Reporter::plain(output);
    let mut status = String::new();
    let mut deployment = None;
    let code = watch_execution(c, id, f, &reporter, started, &mut status, &mut deployment).await?;
    let summary = ExecutionSummary {
        execution_id: id.to_owned(),
        pipeline: c.outputs.pipeline_name.clone(),
        outcome: outcome_of(code),
        status,
        exit_code: code.as_u8(),
        elapsed_secs: started.elapsed().as_secs(),
        deployment,
    };
    match output {
        OutputFormat::Json => crate::output::emit("summary", &summary),
        OutputFormat::Human => {
            if let Some(d) = &summary.deployment {
                reporter.summary(d);
            }
            println!(
                "execution {} {} (status {}) after {}",
                summary.execution_id,
                summary.outcome,
                summary.status,
                crate::watch::progress::clock(Duration::from_secs(summary.elapsed_secs))
            );
        }
    }
    Ok(code)
}

async fn watch_execution(
    c: &Ctx,
    id: &str,
    f: &ExecutionOptions,
    reporter: &Reporter,
    started: Instant,
    status: &mut String,
    deployment: &mut Option<crate::watch::progress::Summary>,
) -> anyhow::Result<Code> {
    let deadline = started + f.timeout;
    let mut w = ExecutionWatch::default();
    let mut sigint = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt())
        .map_err(|e| anyhow!("listening for Ctrl-C: {e}"))?;
    let say = |kind: &str, value: serde_json::Value, human: &str| {
        reporter.execution_event(started.elapsed(), kind, &value, human)
    };
    let report = |events: Vec<ExecutionEvent>| {
        for e in events {
            reporter.execution_event(started.elapsed(), "execution", &e, &e.human());
        }
    };
    let pipeline = &c.outputs.pipeline_name;
    say(
        "watching",
        json!({"execution_id": id, "pipeline": pipeline}),
        &format!("watching execution {id} of pipeline {pipeline}"),
    );
    loop {
        let obs = observe(c, id).await?;
        report(w.observe(&obs));
        status.clone_from(&obs.status);
        let deploy = obs.actions.iter().find(|a| a.0 == "Deploy");
        if let Some((_, action_status, Some(deployment_id), _)) = deploy {
            if action_status == "InProgress" || obs.status != "InProgress" {
                say(
                    "following_deployment",
                    json!({"deployment_id": deployment_id}),
                    &format!("following deployment {deployment_id}"),
                );
                let opts = WatchOptions {
                    timeout: deadline
                        .saturating_duration_since(Instant::now())
                        .max(Duration::from_secs(1)),
                    interval: Some(f.interval),
                    wait_until: None,
                    on_interrupt: InterruptAction::Leave,
                    approve: false,
                    output: f.output,
                    follow_rollback: true,
                    auto_approve: false,
                };
                let (code, summary) = follow_to_summary(c, deployment_id, &opts).await?;
                *deployment = Some(summary);
                // The action ends with the deployment; show the execution's end too.
                for _ in 0..20 {
                    let obs = observe(c, id).await?;
                    report(w.observe(&obs));
                    status.clone_from(&obs.status);
                    if obs.status != "InProgress" {
                        break;
                    }
                    tokio::time::sleep(Duration::from_millis(500)).await;
                }
                return Ok(code);
            }
        }
        if obs.status != "InProgress" {
            if let Some((_, s, Some(build_id), _)) = obs.actions.iter().find(|a| a.0 == "Build") {
                if s == "Failed" {
                    let failure = build_failure(c, build_id).await;
                    reporter.execution_event(
                        started.elapsed(),
                        "build_failure",
                        &failure,
                        &failure.human(),
                    );
                }
            }
            return Ok(code_of(&obs.status));
        }
        if Instant::now() >= deadline {
            say(
                "timed_out",
                json!({"execution_id": id, "timeout_secs": f.timeout.as_secs()}),
                &format!(
                    "timed out after {}; execution {id} goes on",
                    humantime::format_duration(f.timeout)
                ),
            );
            return Ok(Code::Timeout);
        }
        tokio::select! {
            _ = sigint.recv() => {
                say(
                    "interrupted",
                    json!({"execution_id": id}),
                    &format!("interrupted; execution {id} goes on (deployer pipeline watch {id})"),
                );
                return Ok(Code::Interrupted);
            }
            // Never past the deadline: --timeout ends the watch on time, not up to an
            // interval late (where a build that ended meanwhile would be reported instead).
            _ = tokio::time::sleep(f.interval.min(deadline.saturating_duration_since(Instant::now()))) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws::mock::{ctx, mock};
    use aws_sdk_codebuild::operation::batch_get_builds::BatchGetBuildsOutput;
    use aws_sdk_codebuild::types::{Build, BuildPhase, BuildPhaseType, StatusType};
    use aws_sdk_codepipeline::operation::get_pipeline_execution::GetPipelineExecutionOutput;
    use aws_sdk_codepipeline::operation::list_action_executions::ListActionExecutionsOutput;
    use aws_sdk_codepipeline::types::{
        ActionExecutionDetail, ActionExecutionOutput, ActionExecutionResult, ActionExecutionStatus,
        PipelineExecution, PipelineExecutionStatus,
    };

    fn action(
        stage: &str,
        status: ActionExecutionStatus,
        external: &str,
        at: i64,
    ) -> ActionExecutionDetail {
        ActionExecutionDetail::builder()
            .stage_name(stage)
            .status(status)
            .start_time(aws_smithy_types::DateTime::from_secs(at))
            .output(
                ActionExecutionOutput::builder()
                    .execution_result(
                        ActionExecutionResult::builder()
                            .external_execution_id(external)
                            .build(),
                    )
                    .build(),
            )
            .build()
    }

    #[test]
    fn a_failed_build_shows_its_command_once_then_the_lines_that_are_not_it() {
        let cmd = "set -eu\ncargo build --release\necho built";
        let mut f = BuildFailure::from_context(
            "demo:3",
            "BUILD",
            "COMMAND_EXECUTION_ERROR",
            &format!("Error while executing command: {cmd}. Reason: exit status 101"),
        );
        assert_eq!(f.command.as_deref(), Some(cmd));
        assert_eq!(f.reason, "exit status 101");
        f.log_group = Some("/codebuild/demo".into());
        f.log_stream = Some("demo/3".into());
        let events: Vec<String> = vec![
            format!("[Container] 2026/12/04 15:00:00 Running command {cmd}"),
            "error: expected one of `)`, found `{`".into(),
            " --> app/src/main.rs:90:11".into(),
            format!("[Container] 2026/12/04 15:00:09 Command did not exit successfully {cmd} exit status 101"),
            "[Container] 2026/12/04 15:00:09 Phase complete: BUILD State: FAILED".into(),
            format!("[Container] 2026/12/04 15:00:09 Phase context status code: COMMAND_EXECUTION_ERROR Message: Error while executing command: {cmd}. Reason: exit status 101"),
        ];
        f.set_tail(&events, 20);
        assert_eq!(
            f.last_lines,
            [
                "error: expected one of `)`, found `{`",
                " --> app/src/main.rs:90:11",
                "[Container] 2026/12/04 15:00:09 Phase complete: BUILD State: FAILED",
            ]
        );
        let text = f.human();
        assert_eq!(text.matches("cargo build --release").count(), 1, "{text}");
        assert!(
            text.starts_with("build phase BUILD FAILED: COMMAND_EXECUTION_ERROR (exit status 101)"),
            "{text}"
        );
        assert!(
            text.contains("last log lines of /codebuild/demo demo/3:\n    error: expected"),
            "{text}"
        );
        // Only the last lines are kept.
        f.set_tail(&events, 1);
        assert_eq!(f.last_lines.len(), 1);
        // A message that names no command is the reason, whole.
        let other = BuildFailure::from_context(
            "demo:4",
            "UPLOAD_ARTIFACTS",
            "CLIENT_ERROR",
            "no matching artifact paths found",
        );
        assert_eq!(
            (other.command, other.reason.as_str()),
            (None, "no matching artifact paths found")
        );
    }

    #[tokio::test]
    async fn one_poll_reads_the_execution_its_actions_in_order_and_the_build_phases() {
        const ID: &str = "0a1b2c3d-0000-4000-8000-000000000000";
        let execution = mock!(aws_sdk_codepipeline::Client::get_pipeline_execution)
            .match_requests(|r| r.pipeline_execution_id() == Some(ID))
            .then_output(|| {
                GetPipelineExecutionOutput::builder()
                    .pipeline_execution(
                        PipelineExecution::builder()
                            .status(PipelineExecutionStatus::InProgress)
                            .build(),
                    )
                    .build()
            });
        let actions = mock!(aws_sdk_codepipeline::Client::list_action_executions)
            .match_requests(|r| r.filter().and_then(|f| f.pipeline_execution_id()) == Some(ID))
            .then_output(|| {
                // Newest first, as CodePipeline lists them: the poll puts them in order.
                ListActionExecutionsOutput::builder()
                    .action_execution_details(action(
                        "Build",
                        ActionExecutionStatus::InProgress,
                        "demo:7",
                        20,
                    ))
                    .action_execution_details(action(
                        "Source",
                        ActionExecutionStatus::Succeeded,
                        "abc123",
                        10,
                    ))
                    .build()
            });
        let build = mock!(aws_sdk_codebuild::Client::batch_get_builds)
            .match_requests(|r| r.ids() == ["demo:7"])
            .then_output(|| {
                BatchGetBuildsOutput::builder()
                    .builds(
                        Build::builder()
                            .phases(
                                BuildPhase::builder()
                                    .phase_type(BuildPhaseType::Submitted)
                                    .phase_status(StatusType::Succeeded)
                                    .duration_in_seconds(0)
                                    .build(),
                            )
                            .phases(
                                BuildPhase::builder()
                                    .phase_type(BuildPhaseType::Build)
                                    .build(),
                            )
                            .build(),
                    )
                    .build()
            });
        let ctx = ctx(&[&execution, &actions, &build]);
        let obs = observe(&ctx, ID).await.unwrap();
        assert_eq!(obs.status, "InProgress");
        assert_eq!(
            obs.actions,
            [
                (
                    "Source".into(),
                    "Succeeded".into(),
                    Some("abc123".into()),
                    None
                ),
                (
                    "Build".into(),
                    "InProgress".into(),
                    Some("demo:7".into()),
                    None
                ),
            ]
        );
        assert_eq!(
            obs.build_phases,
            [
                ("SUBMITTED".into(), Some("SUCCEEDED".into()), Some(0)),
                ("BUILD".into(), None, None),
            ]
        );
        let mut w = ExecutionWatch::default();
        assert_eq!(
            crate::watch::execution::human(&w.observe(&obs)),
            [
                "Source: Succeeded (abc123)",
                "Build: InProgress (demo:7)",
                "  build phase SUBMITTED SUCCEEDED (0s)"
            ]
        );
    }
}
