//! `deployer pipeline status|watch|release`: the pipeline a push started, on AWS or on
//! the local stack alike (CodePipeline, CodeBuild and CloudWatch Logs APIs, through
//! `aws::codepipeline`).
//!
//! `watch` follows an execution stage by stage (the build's phases as they end), then
//! hands over to the deployment watch of `deployer wait` once the Deploy action has
//! created its deployment (lifecycle and traffic lines, the same exit codes). A failed
//! build shows the failed phase and the build's last log lines.
//!
//! Exit codes are `deploy`'s: 0 the execution succeeded, 3 it failed (build or
//! deployment; a deployment's automatic rollback is reported), 4 it was stopped or
//! superseded by a newer execution, 5 timed out, 130 Ctrl-C (the execution goes on).

#![warn(unreachable_pub)]

use std::time::{Duration, Instant};

use anyhow::anyhow;
use clap::{Args, Subcommand};
use serde_json::json;

use crate::args::parse_duration;
use crate::aws::codepipeline as cp;
use crate::aws::Ctx;
use crate::exit::{bad_input, Code};
use crate::options::{Global, OutputFormat};
use crate::watch::{follow_execution, ExecutionOptions};

#[derive(Debug, Args)]
pub(crate) struct PipelineArgs {
    #[command(subcommand)]
    command: PipelineCommand,
}

#[derive(Debug, Subcommand)]
enum PipelineCommand {
    /// The last executions (commit, message, trigger, each stage's action), then the live revision.
    Status(StatusArgs),
    /// Follow an execution (default: the newest, or the next to start within --wait-start).
    #[command(after_help = crate::exit_codes!())]
    Watch(WatchArgs),
    /// Start an execution of the last commit (StartPipelineExecution), then watch it.
    #[command(after_help = crate::exit_codes!())]
    Release(ReleaseArgs),
}

#[derive(Debug, Args)]
struct StatusArgs {
    /// How many executions to show.
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u16).range(1..=100))]
    executions: u16,
}

#[derive(Debug, Clone, Args)]
struct FollowArgs {
    /// Give up watching after this long (the execution goes on).
    #[arg(long, default_value = "60m", value_parser = parse_duration)]
    timeout: Duration,
    /// Poll interval.
    #[arg(long, default_value = "2s", value_parser = parse_duration)]
    interval: Duration,
}

impl FollowArgs {
    fn options(&self, output: OutputFormat) -> ExecutionOptions {
        ExecutionOptions {
            timeout: self.timeout,
            interval: self.interval,
            output,
        }
    }
}

#[derive(Debug, Args)]
struct WatchArgs {
    /// The execution to follow (a UUID). Default: the newest in progress, else the newest.
    #[arg(value_name = "EXECUTION_ID")]
    execution_id: Option<String>,
    /// Without EXECUTION_ID and with no execution in progress, wait this long for the next
    /// one to start (e.g. right after `git push`).
    #[arg(long, default_value = "0s", value_parser = parse_duration)]
    wait_start: Duration,
    #[command(flatten)]
    follow: FollowArgs,
}

#[derive(Debug, Args)]
struct ReleaseArgs {
    #[command(flatten)]
    follow: FollowArgs,
}

pub(crate) async fn run(args: PipelineArgs, global: &Global) -> anyhow::Result<Code> {
    if let PipelineCommand::Watch(a) = &args.command {
        if let Some(id) = &a.execution_id {
            check_execution_id(id)?;
        }
    }
    let c = Ctx::load(global).await?;
    match args.command {
        PipelineCommand::Status(a) => status(&c, &a, global.output).await,
        PipelineCommand::Watch(a) => {
            let id = match a.execution_id {
                Some(id) => id,
                None => pick_execution(&c, a.wait_start).await?,
            };
            follow_execution(&c, &id, &a.follow.options(global.output)).await
        }
        PipelineCommand::Release(a) => {
            let id = cp::start_execution(&c).await?;
            eprintln!(
                "started execution {id} of pipeline {}",
                c.outputs.pipeline_name
            );
            follow_execution(&c, &id, &a.follow.options(global.output)).await
        }
    }
}

/// An execution id is a UUID.
fn check_execution_id(id: &str) -> anyhow::Result<()> {
    uuid::Uuid::parse_str(id).map(|_| ()).map_err(|_| {
        bad_input(format!(
            "execution id {id:?}: expected a UUID such as 0a1b2c3d-0000-4000-8000-000000000000 (deployer pipeline status lists them)"
        ))
    })
}

fn status_of(s: &aws_sdk_codepipeline::types::PipelineExecutionSummary) -> &str {
    s.status.as_ref().map(|s| s.as_str()).unwrap_or("?")
}

/// The newest execution in progress, else the next to start within `wait_start`, else
/// the newest one.
async fn pick_execution(c: &Ctx, wait_start: Duration) -> anyhow::Result<String> {
    let first = cp::executions(c, 20).await?;
    if let Some(e) = first.iter().find(|s| status_of(s) == "InProgress") {
        return Ok(e.pipeline_execution_id.clone().unwrap_or_default());
    }
    let pipeline = &c.outputs.pipeline_name;
    if !wait_start.is_zero() {
        let known: Vec<String> = first
            .iter()
            .filter_map(|s| s.pipeline_execution_id.clone())
            .collect();
        let deadline = Instant::now() + wait_start;
        eprintln!(
            "waiting up to {} for an execution of pipeline {pipeline} to start",
            humantime::format_duration(wait_start)
        );
        while Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(500)).await;
            let now = cp::executions(c, 20).await?;
            if let Some(id) = now
                .into_iter()
                .filter_map(|s| s.pipeline_execution_id)
                .find(|id| !known.contains(id))
            {
                return Ok(id);
            }
        }
        return Err(anyhow!(
            "no execution of pipeline {pipeline} started within {}",
            humantime::format_duration(wait_start)
        ));
    }
    first
        .first()
        .and_then(|e| e.pipeline_execution_id.clone())
        .ok_or_else(|| {
            bad_input(format!(
                "pipeline {pipeline} has no executions yet: push a commit, or `deployer pipeline release`"
            ))
        })
}

/// The commit message of a connection source's `revisionSummary` (JSON with
/// `CommitMessage`), else the summary as it is; first line only.
fn commit_message(summary: &str) -> String {
    serde_json::from_str::<serde_json::Value>(summary)
        .ok()
        .and_then(|v| v["CommitMessage"].as_str().map(String::from))
        .unwrap_or_else(|| summary.to_string())
        .lines()
        .next()
        .unwrap_or_default()
        .to_string()
}

fn short(commit: &str) -> &str {
    &commit[..commit.len().min(8)]
}

fn clock(t: Option<&aws_smithy_types::DateTime>) -> String {
    t.and_then(|t| t.fmt(aws_smithy_types::date_time::Format::DateTime).ok())
        .unwrap_or_else(|| "-".into())
}

async fn status(c: &Ctx, a: &StatusArgs, output: OutputFormat) -> anyhow::Result<Code> {
    let execs = cp::executions(c, i32::from(a.executions)).await?;
    let mut rows = Vec::new();
    for e in &execs {
        let id = e.pipeline_execution_id.clone().unwrap_or_default();
        let rev = e.source_revisions.as_ref().and_then(|r| r.first());
        let acts = cp::actions(c, &id).await?;
        let actions: Vec<serde_json::Value> = acts
            .iter()
            .map(|x| {
                let result = x.output.as_ref().and_then(|o| o.execution_result.as_ref());
                json!({
                    "stage": x.stage_name,
                    "status": x.status.as_ref().map(|s| s.as_str()).unwrap_or("?"),
                    "external_id": result.and_then(|r| r.external_execution_id.clone()),
                    "error": result.and_then(|r| r.error_details.as_ref()).and_then(|d| d.message.clone()),
                    "started": clock(x.start_time.as_ref()),
                    "updated": clock(x.last_update_time.as_ref()),
                })
            })
            .collect();
        rows.push(json!({
            "execution": id,
            "status": status_of(e),
            "commit": rev.and_then(|r| r.revision_id.clone()).unwrap_or_default(),
            "message": rev.and_then(|r| r.revision_summary.as_deref()).map(commit_message).unwrap_or_default(),
            "trigger": e.trigger.as_ref().and_then(|t| t.trigger_type.as_ref()).map(|t| t.as_str()).unwrap_or(""),
            "started": clock(e.start_time.as_ref()),
            "updated": clock(e.last_update_time.as_ref()),
            "summary": e.status_summary.clone(),
            "actions": actions,
        }));
    }
    let live = live_revision(c)
        .await
        .unwrap_or_else(|e| format!("unknown ({e:#})"));
    if output == OutputFormat::Json {
        println!(
            "{}",
            json!({"pipeline": c.outputs.pipeline_name, "executions": rows, "live": live})
        );
        return Ok(Code::Success);
    }
    println!("pipeline {}", c.outputs.pipeline_name);
    if rows.is_empty() {
        println!("  no executions yet: push a commit to the pipeline's source, or `deployer pipeline release`");
    }
    for r in &rows {
        println!(
            "{} {:<10} {:<22} {} {:?}  started {}",
            r["execution"].as_str().unwrap_or(""),
            r["status"].as_str().unwrap_or(""),
            r["trigger"].as_str().unwrap_or(""),
            short(r["commit"].as_str().unwrap_or("")),
            r["message"].as_str().unwrap_or(""),
            r["started"].as_str().unwrap_or("")
        );
        for x in r["actions"].as_array().into_iter().flatten() {
            println!(
                "    {:<7} {:<11} {:<45} {} -> {}{}",
                x["stage"].as_str().unwrap_or(""),
                x["status"].as_str().unwrap_or(""),
                x["external_id"].as_str().unwrap_or("-"),
                x["started"].as_str().unwrap_or(""),
                x["updated"].as_str().unwrap_or(""),
                x["error"]
                    .as_str()
                    .map(|e| format!("  ({e})"))
                    .unwrap_or_default()
            );
        }
        if let Some(s) = r["summary"].as_str() {
            println!("    {s}");
        }
    }
    println!("live: {live}");
    Ok(Code::Success)
}

/// The image of the service's primary task set (its tag is the commit a pipeline built).
async fn live_revision(c: &Ctx) -> anyhow::Result<String> {
    let td = crate::aws::ecs::live_task_definition(c).await?;
    let image = crate::aws::ecs::image_of(c, &td).await?;
    Ok(format!("{td} (image {image})"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commit_messages_from_revision_summaries() {
        assert_eq!(
            commit_message(r#"{"ProviderType":"GitHub","CommitMessage":"fix it\n\nbody"}"#),
            "fix it"
        );
        assert_eq!(commit_message("plain text"), "plain text");
        assert!(check_execution_id("0a1b2c3d-0000-4000-8000-000000000000").is_ok());
        assert!(check_execution_id("nope").is_err());
    }
}
