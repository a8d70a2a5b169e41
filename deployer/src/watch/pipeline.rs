//! Following a pipeline execution: polls it (CodePipeline, CodeBuild, through
//! `aws::codepipeline`), feeds [`ExecutionWatch`], reports through the deployments'
//! [`Reporter`], and once the Deploy action created its deployment hands over to the
//! deployment watch ([`follow`]): the same lifecycle lines, summary and exit codes. A
//! failed build shows the failed phase and the build's last log lines.

use std::time::{Duration, Instant};

use anyhow::anyhow;

use crate::aws::codepipeline as cp;
use crate::aws::Ctx;
use crate::exit::{bad_input, Code};
use crate::options::{InterruptAction, OutputFormat};
use crate::watch::execution::{code_of, ExecutionWatch, Observation};
use crate::watch::follow::{follow, WatchOptions};
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

/// The failed phases and the last log lines of a build.
async fn build_failure(c: &Ctx, id: &str, n: i32) -> Vec<String> {
    let mut lines = Vec::new();
    let b = match cp::build(c, id).await {
        Ok(Some(b)) => b,
        Ok(None) => return vec![format!("build {id} not found")],
        Err(e) => return vec![format!("cannot read build {id}: {e:#}")],
    };
    for p in b.phases.clone().unwrap_or_default() {
        if p.phase_status.as_ref().map(|s| s.as_str()) == Some("FAILED") {
            for ctx in p.contexts.unwrap_or_default() {
                // A multi-line command is quoted whole in the message: its first line is enough.
                let message = ctx.message.unwrap_or_default();
                let mut first = message.lines().next().unwrap_or_default().to_string();
                if message.lines().nth(1).is_some() {
                    first.push_str(" ...");
                }
                lines.push(format!(
                    "build phase {} FAILED: {} {first}",
                    p.phase_type.as_ref().map(|t| t.as_str()).unwrap_or("?"),
                    ctx.status_code.unwrap_or_default(),
                ));
            }
        }
    }
    let (Some(group), Some(stream)) = (
        b.logs.as_ref().and_then(|l| l.group_name.clone()),
        b.logs.as_ref().and_then(|l| l.stream_name.clone()),
    ) else {
        lines.push("the build has no CloudWatch Logs location".into());
        return lines;
    };
    match crate::aws::logs::last_lines(&c.aws.logs, &group, &stream, n).await {
        Ok(tail) => {
            lines.push(format!("last log lines of {group} {stream}:"));
            lines.extend(tail.into_iter().map(|e| format!("  {}", e.message)));
        }
        Err(e) => lines.push(format!("cannot read the build log: {e:#}")),
    }
    lines
}

/// Follows execution `id` of the stack's pipeline to its end, then the deployment its
/// Deploy action created ([`follow`]); returns `deploy`'s exit codes.
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
    let deadline = started + f.timeout;
    let mut w = ExecutionWatch::default();
    let mut sigint = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt())
        .map_err(|e| anyhow!("listening for Ctrl-C: {e}"))?;
    let reporter = Reporter::plain(output);
    let say = |line: &str| reporter.execution_line(started.elapsed(), id, line);
    say(&format!(
        "watching execution {id} of pipeline {}",
        c.outputs.pipeline_name
    ));
    loop {
        let obs = observe(c, id).await?;
        for line in w.observe(&obs) {
            say(&line);
        }
        let deploy = obs.actions.iter().find(|a| a.0 == "Deploy");
        if let Some((_, status, Some(deployment), _)) = deploy {
            if status == "InProgress" || obs.status != "InProgress" {
                say(&format!("following deployment {deployment}"));
                let opts = WatchOptions {
                    timeout: deadline
                        .saturating_duration_since(Instant::now())
                        .max(Duration::from_secs(1)),
                    interval: Some(f.interval),
                    wait_until: None,
                    on_interrupt: InterruptAction::Leave,
                    approve: false,
                    output,
                    follow_rollback: true,
                    auto_approve: false,
                };
                let code = follow(c, deployment, &opts).await?;
                // The action ends with the deployment; show the execution's end too.
                for _ in 0..20 {
                    let obs = observe(c, id).await?;
                    for line in w.observe(&obs) {
                        say(&line);
                    }
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
                    for line in build_failure(c, build_id, 20).await {
                        say(&line);
                    }
                }
            }
            return Ok(code_of(&obs.status));
        }
        if Instant::now() >= deadline {
            say(&format!(
                "timed out after {}; execution {id} goes on",
                humantime::format_duration(f.timeout)
            ));
            return Ok(Code::Timeout);
        }
        tokio::select! {
            _ = sigint.recv() => {
                say(&format!("interrupted; execution {id} goes on (deployer pipeline watch {id})"));
                return Ok(Code::Interrupted);
            }
            _ = tokio::time::sleep(f.interval) => {}
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
            w.observe(&obs),
            [
                "Source: Succeeded (abc123)",
                "Build: InProgress (demo:7)",
                "  build phase SUBMITTED SUCCEEDED (0s)"
            ]
        );
    }
}
