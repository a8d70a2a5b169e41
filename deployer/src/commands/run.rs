//! `deployer run -- ARGS...`: a one-off task (a database migration, `--version`) from the
//! live task definition (or `--revision`), its container command replaced by ARGS, with
//! `--env K=V`, in the service's subnets and security groups with its launch type and
//! platform version (RunTask). Streams the task's log lines while it runs, then prints the
//! container's exit code: exit 0 when it is 0, else 3. Ctrl-C asks whether to stop the task
//! (no terminal: `--on-interrupt stop|leave`; exit 130).

use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

use aws_sdk_ecs::types::{ContainerOverride, KeyValuePair, TaskOverride};
use clap::{Args, ValueEnum};
use serde_json::json;

use crate::aws::{ecs, logs, sts, Ctx};
use crate::exit::{bad_input, Code};
use crate::options::{Global, OutputFormat};
use deployer_models::logview::{self, Event, Follow};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum OnInterrupt {
    /// StopTask, then report how it ended.
    Stop,
    /// Leave the task running.
    Leave,
}

#[derive(Debug, Args)]
#[command(after_help = crate::exit_codes!())]
pub(crate) struct RunArgs {
    /// Task definition revision to run (`7`, `demo:7` or an ARN) instead of the live one.
    #[arg(long, value_name = "REVISION")]
    pub revision: Option<String>,

    /// Extra environment variable for the container (repeatable).
    #[arg(long = "env", value_name = "K=V")]
    pub env: Vec<String>,

    /// What Ctrl-C does when no terminal can be asked.
    #[arg(long, value_enum, default_value_t = OnInterrupt::Leave)]
    pub on_interrupt: OnInterrupt,

    /// Give up waiting after this long (the task keeps running; exit 5).
    #[arg(long, default_value = "30m", value_parser = crate::args::parse_duration, value_name = "DURATION")]
    pub timeout: Duration,

    /// Time between polls of the task and its log.
    #[arg(long, default_value = "1s", value_parser = crate::args::parse_duration, value_name = "DURATION")]
    pub interval: Duration,

    /// The container's command (after `--`).
    #[arg(last = true, required = true, value_name = "ARGS")]
    pub command: Vec<String>,
}

fn parse_env(items: &[String]) -> anyhow::Result<Vec<KeyValuePair>> {
    items
        .iter()
        .map(|kv| match kv.split_once('=') {
            Some((k, v)) if !k.is_empty() => Ok(KeyValuePair::builder().name(k).value(v).build()),
            _ => Err(bad_input(format!("--env {kv:?}: expected NAME=VALUE"))),
        })
        .collect()
}

pub(crate) async fn run(args: RunArgs, global: &Global) -> anyhow::Result<Code> {
    let env = parse_env(&args.env)?;
    let ctx = Ctx::load(global).await?;
    let o = &ctx.outputs;
    let service = ecs::service(&ctx).await?;
    let task_def = match &args.revision {
        Some(r) if r.chars().all(|c| c.is_ascii_digit()) => format!("{}:{r}", o.task_family),
        Some(r) => r.clone(),
        None => ecs::live_task_definition(&ctx).await?,
    };
    let overrides = TaskOverride::builder()
        .container_overrides(
            ContainerOverride::builder()
                .name(&o.container_name)
                .set_command(Some(args.command.clone()))
                .set_environment((!env.is_empty()).then_some(env))
                .build(),
        )
        .build();
    sts::ensure_account(&ctx).await?;
    let task = ecs::run_task(&ctx, &service, &task_def, overrides, "deployer-run").await?;
    let arn = task.task_arn().unwrap_or_default().to_string();
    let id = logview::task_id(&arn).to_string();
    eprintln!("run: task {id} of {task_def}: {}", args.command.join(" "));
    let json = global.output == OutputFormat::Json;
    let stream = logview::stream_name("ecs", &o.container_name, &id);
    let q = |start: i64| logs::Query {
        group: o.log_group_name.clone(),
        streams: vec![stream.clone()],
        start_ms: start,
        end_ms: None,
        pattern: None,
        max_events: usize::MAX,
    };
    // The task's output is the result: its lines go to stdout as they arrive.
    let print = |events: &[Event]| {
        if json {
            for e in events {
                crate::output::emit("log", &crate::output::log_event(e));
            }
            return;
        }
        let mut out = std::io::stdout().lock();
        for e in events {
            if writeln!(out, "{}", logview::human(e)).is_err() {
                // A closed stdout (`| head`): the reader has what it wanted.
                std::process::exit(0);
            }
        }
        let _ = out.flush();
    };
    let mut follow = Follow::new(0);
    let deadline = Instant::now() + args.timeout;
    let ctrl_c = tokio::signal::ctrl_c();
    tokio::pin!(ctrl_c);
    let stopped = loop {
        let t = ecs::task(&ctx, &arn).await?;
        let events = logs::filter(&ctx.aws.logs, &q(follow.start_time()))
            .await
            .unwrap_or_default();
        print(&follow.admit(events));
        if t.last_status() == Some("STOPPED") {
            break t;
        }
        if Instant::now() >= deadline {
            eprintln!(
                "run: task {id} still runs after {} (left running)",
                humantime::format_duration(args.timeout)
            );
            if json {
                crate::output::emit(
                    "summary",
                    &json!({"task": id, "task_definition": task_def, "outcome": "timeout",
                            "exit_code": Code::Timeout.as_u8()}),
                );
            }
            return Ok(Code::Timeout);
        }
        tokio::select! {
            _ = &mut ctrl_c => {
                let stop = if std::io::stdin().is_terminal() && std::io::stderr().is_terminal() {
                    ask(&format!("stop task {id}? [y/N] "))
                } else {
                    args.on_interrupt == OnInterrupt::Stop
                };
                if stop {
                    ecs::stop_task(&ctx, &arn, "Stopped by deployer run (Ctrl-C)").await?;
                    eprintln!("run: stopped task {id}");
                } else {
                    eprintln!("run: left task {id} running");
                }
                if json {
                    crate::output::emit(
                        "summary",
                        &json!({"task": id, "task_definition": task_def,
                                "outcome": "interrupted", "task_stopped": stop,
                                "exit_code": Code::Interrupted.as_u8()}),
                    );
                }
                return Ok(Code::Interrupted);
            }
            _ = tokio::time::sleep(args.interval) => {}
        }
    };
    // Its last lines may reach the log a moment after it stopped.
    let settle = Instant::now() + Duration::from_secs(3);
    while Instant::now() < settle {
        tokio::time::sleep(Duration::from_millis(300)).await;
        let events = logs::filter(&ctx.aws.logs, &q(follow.start_time()))
            .await
            .unwrap_or_default();
        print(&follow.admit(events));
    }
    let container = stopped
        .containers()
        .iter()
        .find(|c| c.name() == Some(o.container_name.as_str()));
    let code = container.and_then(|c| c.exit_code());
    let reason = stopped.stopped_reason().unwrap_or_default().to_string();
    let outcome = if code == Some(0) {
        Code::Success
    } else {
        Code::Failed
    };
    if json {
        crate::output::emit(
            "summary",
            &json!({"task": id, "task_definition": task_def,
                    "outcome": if outcome == Code::Success { "succeeded" } else { "failed" },
                    "container_exit_code": code, "stopped_reason": reason,
                    "exit_code": outcome.as_u8()}),
        );
    } else {
        eprintln!(
            "run: task {id} exited with code {}",
            code.map(|c| c.to_string())
                .unwrap_or_else(|| format!("none ({reason})"))
        );
    }
    Ok(outcome)
}

fn ask(question: &str) -> bool {
    eprint!("{question}");
    let _ = std::io::stderr().flush();
    let mut line = String::new();
    std::io::stdin().read_line(&mut line).is_ok() && line.trim().eq_ignore_ascii_case("y")
}
