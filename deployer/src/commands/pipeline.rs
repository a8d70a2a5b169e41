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
    /// Without EXECUTION_ID and with no execution in progress, wait this long for the
    /// execution of the push (e.g. right after `git push`): the next one to start, or,
    /// when none starts within it, the newest execution of HEAD (a push's execution can
    /// end before the watch first looks).
    #[arg(long, default_value = "0s", value_parser = parse_duration)]
    wait_start: Duration,
    /// Follow the execution of this commit (a revision git resolves: a SHA, `HEAD`, a
    /// branch), at once when it has one, whether still running or already ended; else
    /// wait up to --wait-start for it. Without it, --wait-start falls back to HEAD of
    /// the git repository here once no new execution started.
    #[arg(long, value_name = "REV")]
    commit: Option<String>,
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
                None => pick_execution(&c, a.wait_start, a.commit.as_deref()).await?,
            };
            follow_execution(&c, &id, &a.follow.options(global.output)).await
        }
        PipelineCommand::Release(a) => {
            let id = cp::start_execution(&c).await?;
            eprintln!(
                "started execution {id} of pipeline {}",
                c.outputs.pipeline_name
            );
            if global.output == OutputFormat::Json {
                crate::output::emit(
                    "execution_started",
                    &json!({"execution_id": id, "pipeline": c.outputs.pipeline_name}),
                );
            }
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

/// The newest execution in progress, else the execution of the push ([`push_execution`])
/// within `wait_start`, else the newest one.
async fn pick_execution(
    c: &Ctx,
    wait_start: Duration,
    commit: Option<&str>,
) -> anyhow::Result<String> {
    let first = cp::executions(c, 20).await?;
    if commit.is_some() {
        return push_execution(c, wait_start, commit, &first).await;
    }
    if let Some(e) = first.iter().find(|s| status_of(s) == "InProgress") {
        return Ok(e.pipeline_execution_id.clone().unwrap_or_default());
    }
    let pipeline = &c.outputs.pipeline_name;
    if !wait_start.is_zero() {
        return push_execution(c, wait_start, commit, &first).await;
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

/// The execution a push started. A push right before the watch may have started (and
/// even ended: a build can fail in a quarter second) before the first listing, so being
/// listed already does not make an execution old: with `--commit`, the newest execution
/// of that commit is followed at once, whatever its status; without, the next execution
/// to start within `wait_start`, else the newest of the working directory's HEAD (the
/// commit just pushed).
async fn push_execution(
    c: &Ctx,
    wait_start: Duration,
    commit: Option<&str>,
    first: &[aws_sdk_codepipeline::types::PipelineExecutionSummary],
) -> anyhow::Result<String> {
    let pipeline = &c.outputs.pipeline_name;
    let wanted = match commit {
        Some(rev) => Some(resolve_commit(rev)?),
        None => None,
    };
    let known: Vec<String> = first
        .iter()
        .filter_map(|s| s.pipeline_execution_id.clone())
        .collect();
    let deadline = Instant::now() + wait_start;
    eprintln!(
        "waiting up to {} for {} of pipeline {pipeline}",
        humantime::format_duration(wait_start),
        match &wanted {
            Some(sha) => format!("the execution of commit {}", short(sha)),
            None => "the next execution".to_owned(),
        }
    );
    let mut listed = first.to_vec();
    loop {
        let ids: Vec<(String, Option<String>)> = listed
            .iter()
            .filter_map(|s| Some((s.pipeline_execution_id.clone()?, source_commit(s))))
            .collect();
        if let Some(id) = choose(&ids, &known, wanted.as_deref()) {
            return Ok(id);
        }
        if Instant::now() >= deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
        listed = cp::executions(c, 20).await?;
    }
    // No new execution: the push may have started (and ended) its execution before the
    // first listing; the newest execution of HEAD is that one.
    if wanted.is_none() {
        if let Ok(head) = resolve_commit("HEAD") {
            let ids: Vec<(String, Option<String>)> = listed
                .iter()
                .filter_map(|s| Some((s.pipeline_execution_id.clone()?, source_commit(s))))
                .collect();
            if let Some(id) = choose(&ids, &known, Some(&head)) {
                eprintln!(
                    "no new execution within {}; following the newest of HEAD ({})",
                    humantime::format_duration(wait_start),
                    short(&head)
                );
                return Ok(id);
            }
        }
    }
    Err(anyhow!(
        "no execution of pipeline {pipeline} {} within {}",
        match &wanted {
            Some(sha) => format!("for commit {sha}"),
            None => "started".to_owned(),
        },
        humantime::format_duration(wait_start)
    ))
}

/// Which execution of `listed` (newest first: id and source commit) is the push's: the
/// newest of `commit` when one is asked for (listed before or not), else the newest that
/// is not `known` from before the watch.
fn choose(
    listed: &[(String, Option<String>)],
    known: &[String],
    commit: Option<&str>,
) -> Option<String> {
    match commit {
        Some(sha) => listed
            .iter()
            .find(|(_, c)| c.as_deref() == Some(sha))
            .map(|(id, _)| id.clone()),
        None => listed
            .iter()
            .find(|(id, _)| !known.contains(id))
            .map(|(id, _)| id.clone()),
    }
}

/// The commit an execution built (its first source revision).
fn source_commit(s: &aws_sdk_codepipeline::types::PipelineExecutionSummary) -> Option<String> {
    s.source_revisions
        .as_ref()
        .and_then(|r| r.first())
        .and_then(|r| r.revision_id.clone())
}

/// `git rev-parse --verify REV^{commit}` in the working directory.
fn resolve_commit(rev: &str) -> anyhow::Result<String> {
    let out = std::process::Command::new("git")
        .args(["rev-parse", "--verify", "--quiet"])
        .arg(format!("{rev}^{{commit}}"))
        .output()
        .map_err(|e| anyhow!("--commit {rev}: cannot run git: {e}"))?;
    let sha = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    if !out.status.success() || sha.is_empty() {
        return Err(bad_input(format!(
            "--commit {rev}: not a commit of the git repository in {}",
            std::env::current_dir()
                .map(|d| d.display().to_string())
                .unwrap_or_else(|_| ".".into())
        )));
    }
    Ok(sha)
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

/// RFC 3339, or `null` when AWS gave no time.
fn clock(t: Option<&aws_smithy_types::DateTime>) -> Option<String> {
    t.and_then(|t| t.fmt(aws_smithy_types::date_time::Format::DateTime).ok())
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
        crate::output::emit(
            "pipeline_status",
            &json!({"pipeline": c.outputs.pipeline_name, "executions": rows, "live": live}),
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
            r["started"].as_str().unwrap_or("-")
        );
        for x in r["actions"].as_array().into_iter().flatten() {
            println!(
                "    {:<7} {:<11} {:<45} {} -> {}{}",
                x["stage"].as_str().unwrap_or(""),
                x["status"].as_str().unwrap_or(""),
                x["external_id"].as_str().unwrap_or("-"),
                x["started"].as_str().unwrap_or("-"),
                x["updated"].as_str().unwrap_or("-"),
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

    #[test]
    fn the_push_execution_is_the_commits_even_when_listed_before_the_watch() {
        let listed = vec![
            ("e3".to_owned(), Some("bbb".to_owned())),
            ("e2".to_owned(), Some("aaa".to_owned())),
            ("e1".to_owned(), Some("aaa".to_owned())),
        ];
        let known: Vec<String> = listed.iter().map(|l| l.0.clone()).collect();
        // The push of bbb started (and ended) before the watch listed it: still its.
        assert_eq!(choose(&listed, &known, Some("bbb")), Some("e3".into()));
        assert_eq!(choose(&listed, &known, Some("aaa")), Some("e2".into()));
        assert_eq!(choose(&listed, &known, Some("ccc")), None);
        // Without a commit: only an execution that was not listed before.
        assert_eq!(choose(&listed, &known, None), None);
        assert_eq!(choose(&listed, &known[1..], None), Some("e3".into()));
    }
}
