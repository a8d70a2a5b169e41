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
use crate::options::{Global, InterruptAction, OutputFormat};
use crate::watch::{follow, WatchOptions};

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
            watch(&c, &id, &a.follow, global.output).await
        }
        PipelineCommand::Release(a) => {
            let id = cp::start_execution(&c).await?;
            eprintln!(
                "started execution {id} of pipeline {}",
                c.outputs.pipeline_name
            );
            watch(&c, &id, &a.follow, global.output).await
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

/// What one poll of an execution shows.
#[derive(Debug, Clone, PartialEq, Default)]
struct Observation {
    status: String,
    summary: Option<String>,
    /// (stage, status, external id, error message), in stage order.
    actions: Vec<(String, String, Option<String>, Option<String>)>,
    /// The running or last build's phases: (phase, status, seconds).
    build_phases: Vec<(String, Option<String>, Option<i64>)>,
}

/// Turns successive observations into lines to print (a pure state machine).
#[derive(Debug, Default)]
struct ExecutionWatch {
    last: Observation,
}

impl ExecutionWatch {
    fn observe(&mut self, obs: &Observation) -> Vec<String> {
        let mut lines = Vec::new();
        for a in &obs.actions {
            if !self.last.actions.contains(a) {
                let (stage, status, ext, err) = a;
                lines.push(format!(
                    "{stage}: {status}{}{}",
                    ext.as_deref()
                        .map(|e| format!(" ({e})"))
                        .unwrap_or_default(),
                    err.as_deref().map(|e| format!(": {e}")).unwrap_or_default()
                ));
            }
        }
        for p in &obs.build_phases {
            if p.1.is_some() && !self.last.build_phases.contains(p) {
                lines.push(format!(
                    "  build phase {} {}{}",
                    p.0,
                    p.1.as_deref().unwrap_or(""),
                    p.2.map(|s| format!(" ({s}s)")).unwrap_or_default()
                ));
            }
        }
        if obs.status != self.last.status && obs.status != "InProgress" {
            lines.push(format!(
                "execution {}{}",
                obs.status,
                obs.summary
                    .as_deref()
                    .map(|s| format!(": {s}"))
                    .unwrap_or_default()
            ));
        }
        self.last = obs.clone();
        lines
    }
}

/// The exit code of an execution that ended without a deployment to follow.
fn code_of(status: &str) -> Code {
    match status {
        "Succeeded" => Code::Success,
        "Stopped" | "Stopping" | "Superseded" | "Cancelled" => Code::RolledBack,
        _ => Code::Failed,
    }
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

async fn watch(c: &Ctx, id: &str, f: &FollowArgs, output: OutputFormat) -> anyhow::Result<Code> {
    if f.interval.is_zero() || f.timeout.is_zero() {
        return Err(bad_input("--interval and --timeout must be more than 0"));
    }
    let started = Instant::now();
    let deadline = started + f.timeout;
    let mut w = ExecutionWatch::default();
    let mut sigint = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt())
        .map_err(|e| anyhow!("listening for Ctrl-C: {e}"))?;
    let say = |line: &str| {
        let t = started.elapsed().as_secs();
        if output == OutputFormat::Json {
            println!(
                "{}",
                json!({"elapsed_secs": t, "execution": id, "event": line})
            );
        } else {
            eprintln!("[{:>2}:{:02}] {line}", t / 60, t % 60);
        }
    };
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

    fn obs(status: &str, actions: &[(&str, &str, Option<&str>)]) -> Observation {
        Observation {
            status: status.into(),
            summary: None,
            actions: actions
                .iter()
                .map(|(s, st, e)| (s.to_string(), st.to_string(), e.map(String::from), None))
                .collect(),
            build_phases: vec![],
        }
    }

    #[test]
    fn lines_for_changes_only() {
        let mut w = ExecutionWatch::default();
        let a = w.observe(&obs("InProgress", &[("Source", "InProgress", None)]));
        assert_eq!(a, ["Source: InProgress"]);
        assert!(w
            .observe(&obs("InProgress", &[("Source", "InProgress", None)]))
            .is_empty());
        let mut o = obs(
            "InProgress",
            &[
                ("Source", "Succeeded", Some("abc")),
                ("Build", "InProgress", Some("demo:1")),
            ],
        );
        o.build_phases = vec![
            ("SUBMITTED".into(), Some("SUCCEEDED".into()), Some(0)),
            ("BUILD".into(), None, None),
        ];
        assert_eq!(
            w.observe(&o),
            [
                "Source: Succeeded (abc)",
                "Build: InProgress (demo:1)",
                "  build phase SUBMITTED SUCCEEDED (0s)"
            ]
        );
        let mut end = o.clone();
        end.status = "Failed".into();
        end.summary = Some("Stage Build failed".into());
        end.actions[1] = (
            "Build".into(),
            "Failed".into(),
            Some("demo:1".into()),
            Some("Build terminated with state: FAILED".into()),
        );
        assert_eq!(
            w.observe(&end),
            [
                "Build: Failed (demo:1): Build terminated with state: FAILED",
                "execution Failed: Stage Build failed"
            ]
        );
    }

    #[test]
    fn exit_codes_follow_deploys() {
        assert_eq!(code_of("Succeeded"), Code::Success);
        assert_eq!(code_of("Failed"), Code::Failed);
        assert_eq!(code_of("Superseded"), Code::RolledBack);
        assert_eq!(code_of("Stopped"), Code::RolledBack);
    }

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
