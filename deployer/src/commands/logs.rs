//! `deployer logs`: the service's CloudWatch Logs (group `log_group_name`, awslogs streams
//! `ecs/<container>/<task-id>`), all tasks or some (`--task`, `--target-group`,
//! `--deployment`), from `--since`, filtered with CloudWatch's own syntax (`--filter`),
//! and `--follow` like `aws logs tail --follow`: new lines as they arrive, none twice,
//! Ctrl-C ends with exit 0.

use std::io::Write;
use std::time::Duration;

use anyhow::Context;
use clap::{Args, ValueEnum};

use crate::aws::ecs::{self, Tasks};
use crate::aws::{codedeploy, logs, Ctx};
use crate::exit::{bad_input, Code};
use crate::options::{Global, OutputFormat};
use aws_sdk_ecs::types::DesiredStatus;
use deployer_models::logview::{self, Event, Follow};

/// taskdef.json's `awslogs-stream-prefix`.
const STREAM_PREFIX: &str = "ecs";

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Color {
    Blue,
    Green,
}

#[derive(Debug, Args)]
#[command(after_help = crate::exit_codes!())]
pub(crate) struct LogsArgs {
    /// Start this long ago (`10m`, `1h30m`) or at this time (`2026-11-29T20:00:00Z`).
    #[arg(long, default_value = "5m", value_name = "WHEN")]
    pub since: String,

    /// Keep printing new lines as they arrive (Ctrl-C stops, exit 0).
    #[arg(long, short = 'f')]
    pub follow: bool,

    /// Only this task's lines (id, its first 8+ characters as printed, or ARN;
    /// repeatable).
    #[arg(long = "task", value_name = "ID")]
    pub tasks: Vec<String>,

    /// Only the tasks of the task set behind this target group.
    #[arg(long, value_enum, conflicts_with_all = ["tasks", "deployment"])]
    pub target_group: Option<Color>,

    /// Only the tasks of this deployment's replacement task set.
    #[arg(long, value_name = "ID", conflicts_with = "tasks")]
    pub deployment: Option<String>,

    /// CloudWatch filter pattern, passed through (`ERROR`, `{ $.level = "ERROR" }`).
    #[arg(long, value_name = "PATTERN")]
    pub filter: Option<String>,

    /// At most this many lines (without --follow).
    #[arg(long, default_value_t = 1000, value_name = "N")]
    pub limit: usize,

    /// Time between polls with --follow.
    #[arg(long, default_value = "2s", value_parser = crate::args::parse_duration, value_name = "DURATION")]
    pub interval: Duration,
}

pub(crate) async fn run(args: LogsArgs, global: &Global) -> anyhow::Result<Code> {
    let now = deployer_models::time::now_millis();
    let start = logview::parse_since(&args.since, now).map_err(bad_input)?;
    if let Some(id) = &args.deployment {
        crate::aws::codedeploy::check_deployment_id(id)?;
    }
    let ctx = Ctx::load(global).await?;
    let streams = streams(&ctx, &args).await?;
    if streams.as_ref().is_some_and(Vec::is_empty) {
        eprintln!("logs: the selected task set has no tasks");
        return Ok(Code::Success);
    }
    let mut q = logs::Query {
        group: ctx.outputs.log_group_name.clone(),
        streams: streams.unwrap_or_default(),
        start_ms: start,
        end_ms: None,
        pattern: args.filter.clone(),
        max_events: args.limit,
    };
    let json = global.output == OutputFormat::Json;
    let print = |events: &[Event]| {
        let mut events = events.to_vec();
        merge_by_time(&mut events);
        if json {
            for e in &events {
                crate::output::emit("log", &crate::output::log_event(e));
            }
            return;
        }
        let mut out = std::io::stdout().lock();
        for e in &events {
            if writeln!(out, "{}", logview::human(e)).is_err() {
                // A closed stdout (`| head`): the reader has what it wanted.
                std::process::exit(0);
            }
        }
        let _ = out.flush();
    };
    if !args.follow {
        let events = logs::filter(&ctx.aws.logs, &q).await.with_context(|| {
            format!(
                "reading log group {} (Terraform output log_group_name)",
                q.group
            )
        })?;
        print(&events);
        return Ok(Code::Success);
    }
    // Follow: poll from the newest timestamp seen; Ctrl-C ends it (exit 0).
    q.max_events = usize::MAX;
    let mut follow = Follow::new(start);
    let ctrl_c = tokio::signal::ctrl_c();
    tokio::pin!(ctrl_c);
    loop {
        q.start_ms = follow.start_time();
        let poll = logs::filter(&ctx.aws.logs, &q);
        let events = tokio::select! {
            _ = &mut ctrl_c => return Ok(Code::Success),
            r = poll => r.with_context(|| format!("reading log group {}", q.group))?,
        };
        print(&follow.admit(events));
        tokio::select! {
            _ = &mut ctrl_c => return Ok(Code::Success),
            _ = tokio::time::sleep(args.interval) => {}
        }
    }
}

/// The streams to read: `None` = the whole group.
/// Orders events from several tasks by the time each line shows (the app's own
/// `timestamp`, else CloudWatch's), stable for equal times: CloudWatch's timestamp is when
/// a line was ingested, which for lines written in one batch can differ from, and order
/// differently than, the time the line itself shows.
fn merge_by_time(events: &mut [Event]) {
    let shown = |e: &Event| -> i128 {
        let own = serde_json::from_str::<serde_json::Value>(e.message.trim())
            .ok()
            .and_then(|v| v["timestamp"].as_str().map(str::to_owned))
            .and_then(|t| humantime::parse_rfc3339_weak(&t).ok())
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok());
        match own {
            Some(d) => d.as_nanos() as i128,
            None => i128::from(e.timestamp) * 1_000_000,
        }
    };
    events.sort_by_cached_key(shown);
}

async fn streams(ctx: &Ctx, args: &LogsArgs) -> anyhow::Result<Option<Vec<String>>> {
    let container = &ctx.outputs.container_name;
    let stream = |id: &str| logview::stream_name(STREAM_PREFIX, container, logview::task_id(id));
    if !args.tasks.is_empty() {
        let mut streams = Vec::new();
        for t in &args.tasks {
            streams.push(stream(&ecs::resolve_task_id(ctx, t, "--task").await?));
        }
        return Ok(Some(streams));
    }
    let task_set = if let Some(color) = args.target_group {
        let tg_arn = match color {
            Color::Blue => &ctx.outputs.target_group_blue_arn,
            Color::Green => &ctx.outputs.target_group_green_arn,
        };
        let service = ecs::service(ctx).await?;
        service
            .task_sets()
            .iter()
            .find(|ts| {
                ts.load_balancers()
                    .iter()
                    .any(|lb| lb.target_group_arn() == Some(tg_arn.as_str()))
            })
            .and_then(|ts| ts.id().map(String::from))
    } else if let Some(id) = &args.deployment {
        let target = codedeploy::ecs_target(ctx, id).await?;
        target.and_then(|t| {
            t.task_sets_info()
                .iter()
                .find(|ts| {
                    ts.task_set_label() == Some(&aws_sdk_codedeploy::types::TargetLabel::Green)
                })
                .and_then(|ts| ts.identifer().map(String::from))
        })
    } else {
        return Ok(None);
    };
    let Some(task_set) = task_set else {
        return Ok(Some(Vec::new()));
    };
    let mut ids = Vec::new();
    for status in [DesiredStatus::Running, DesiredStatus::Stopped] {
        let what = format!("the tasks of task set {task_set}");
        let arns = ecs::task_arns(ctx, Tasks::StartedBy(&task_set), Some(status), &what).await?;
        ids.extend(arns.iter().map(|a| stream(a)));
    }
    Ok(Some(ids))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_merged_by_the_time_they_show() {
        let ev = |stream: &str, ingested: i64, shown: &str| Event {
            stream: stream.into(),
            timestamp: ingested,
            message: format!(r#"{{"timestamp":"{shown}","message":"m"}}"#),
            event_id: None,
        };
        // Two tasks' lines, ingested in batches: task b's earlier line was ingested later.
        let mut events = vec![
            ev("ecs/demo/a", 1_000, "2026-12-04T15:00:00.300Z"),
            ev("ecs/demo/a", 1_000, "2026-12-04T15:00:00.500Z"),
            ev("ecs/demo/b", 1_200, "2026-12-04T15:00:00.100Z"),
            ev("ecs/demo/b", 1_200, "2026-12-04T15:00:00.400Z"),
        ];
        merge_by_time(&mut events);
        let shown: Vec<String> = events.iter().map(|e| logview::line(e).time).collect();
        let mut sorted = shown.clone();
        sorted.sort();
        assert_eq!(shown, sorted);
        assert_eq!(shown[0], "2026-12-04T15:00:00.100Z");
        // A line that is not JSON orders by CloudWatch's time (ms).
        let mut mixed = vec![
            ev("ecs/demo/a", 0, "1970-01-01T00:00:02Z"),
            Event {
                stream: "ecs/demo/b".into(),
                timestamp: 1_000,
                message: "plain".into(),
                event_id: None,
            },
        ];
        merge_by_time(&mut mixed);
        assert_eq!(mixed[0].message, "plain");
    }
}
