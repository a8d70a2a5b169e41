//! `deployer tasks`: the service's tasks with where they run and how they are: id, target
//! group (blue/green, from the task set that started it), revision, image, AZ, private
//! IP and port, last status, container health, target health, started at; `--stopped`
//! adds the recently stopped ones with their stop reason and exit code. Read-only.

use std::collections::HashMap;

use aws_sdk_ecs::types::{DesiredStatus, Task};
use aws_smithy_types::date_time::Format;
use clap::{Args, Subcommand};
use serde::Serialize;

use crate::aws::{ecs, elbv2, sts, Ctx};
use crate::exit::Code;
use crate::options::{Global, OutputFormat};

#[derive(Debug, Args)]
#[command(after_help = crate::exit_codes!(), args_conflicts_with_subcommands = true)]
pub(crate) struct TasksArgs {
    #[command(subcommand)]
    pub action: Option<TasksAction>,

    /// Also the recently stopped tasks (stop reason, exit code).
    #[arg(long)]
    pub stopped: bool,
}

#[derive(Debug, Subcommand)]
pub(crate) enum TasksAction {
    /// Stop a task (StopTask); the service starts a replacement.
    Stop(StopArgs),
}

#[derive(Debug, Args)]
pub(crate) struct StopArgs {
    /// The task's id, its first 8+ characters (as `deployer tasks` prints it), or its ARN.
    pub id: String,

    /// Why (shown as the task's stopped reason).
    #[arg(long, default_value = "Stopped by deployer tasks stop")]
    pub reason: String,

    /// Wait until the service runs its desired count again, every task healthy.
    #[arg(long)]
    pub wait: bool,

    /// How long `--wait` waits (exit 5 after).
    #[arg(long, default_value = "3m", value_parser = crate::args::parse_duration, value_name = "DURATION")]
    pub timeout: std::time::Duration,
}

async fn stop(args: StopArgs, global: &Global) -> anyhow::Result<Code> {
    let ctx = Ctx::load(global).await?;
    let o = &ctx.outputs;
    let id = ecs::resolve_task_id(&ctx, &args.id, "task").await?;
    sts::ensure_account(&ctx).await?;
    let stopped = ecs::stop_task(&ctx, &id, &args.reason).await?;
    let group = stopped.as_ref().and_then(|t| t.group()).unwrap_or_default();
    let service_task = group == format!("service:{}", o.service_name);
    if service_task {
        eprintln!(
            "stopped task {id}; the service starts a replacement (its desired count is unchanged)"
        );
    } else {
        eprintln!("stopped task {id} (a one-off task: nothing replaces it)");
    }
    let mut code = Code::Success;
    if args.wait && service_task {
        let deadline = std::time::Instant::now() + args.timeout;
        loop {
            let s = ecs::service(&ctx).await?;
            let running: Vec<TaskRow> = rows(&ctx, false)
                .await?
                .into_iter()
                .filter(|r| r.last_status == "RUNNING")
                .collect();
            // Healthy: the container health check and the target group both say so.
            let healthy = running
                .iter()
                .filter(|r| r.health == "HEALTHY" && r.target_health == "healthy")
                .count();
            let replaced = !running.iter().any(|r| r.id == id);
            if replaced && running.len() as i32 == s.desired_count && healthy == running.len() {
                eprintln!(
                    "the service runs {healthy} healthy tasks again (container and target health)"
                );
                break;
            }
            if std::time::Instant::now() >= deadline {
                eprintln!(
                    "timed out after {}: {healthy} of {} tasks healthy",
                    humantime::format_duration(args.timeout),
                    s.desired_count
                );
                code = Code::Timeout;
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        }
    }
    match global.output {
        OutputFormat::Json if args.wait => crate::output::emit(
            "summary",
            &serde_json::json!({"task": id, "service_task": service_task,
                                "outcome": if code == Code::Success { "replaced" } else { "timeout" },
                                "exit_code": code.as_u8()}),
        ),
        OutputFormat::Json => crate::output::emit(
            "task_stopped",
            &serde_json::json!({"task": id, "service_task": service_task}),
        ),
        OutputFormat::Human => println!("stopped {id}"),
    }
    Ok(code)
}

/// One row of `tasks` (also its `--output json`).
#[derive(Debug, Clone, Default, Serialize)]
pub(crate) struct TaskRow {
    pub id: String,
    pub target_group: String,
    pub revision: String,
    pub image: String,
    pub availability_zone: String,
    pub address: String,
    pub last_status: String,
    pub health: String,
    pub target_health: String,
    pub started_at: Option<String>,
    pub stopped_reason: Option<String>,
    pub exit_code: Option<i32>,
}

pub(crate) async fn run(args: TasksArgs, global: &Global) -> anyhow::Result<Code> {
    if let Some(TasksAction::Stop(a)) = args.action {
        return stop(a, global).await;
    }
    let ctx = Ctx::load(global).await?;
    let rows = rows(&ctx, args.stopped).await?;
    match global.output {
        // One `task` object per line, as every list of the JSON output.
        OutputFormat::Json => rows.iter().for_each(|r| crate::output::emit("task", r)),
        OutputFormat::Human => print!("{}", render(&rows)),
    }
    Ok(Code::Success)
}

/// The service's tasks (and the recently stopped ones with `stopped`), as rows.
async fn rows(ctx: &Ctx, stopped: bool) -> anyhow::Result<Vec<TaskRow>> {
    let o = &ctx.outputs;
    let service = ecs::service(ctx).await?;
    // Task set id -> colour of its target group.
    let colour_of_tg = |arn: &str| {
        if arn == o.target_group_blue_arn {
            "blue"
        } else if arn == o.target_group_green_arn {
            "green"
        } else {
            "?"
        }
    };
    let set_colour: HashMap<String, &str> = service
        .task_sets()
        .iter()
        .filter_map(|ts| {
            let tg = ts.load_balancers().first()?.target_group_arn()?;
            Some((ts.id()?.to_string(), colour_of_tg(tg)))
        })
        .collect();
    // (ip, port) -> target health, over both target groups.
    let mut health: HashMap<(String, i32), String> = HashMap::new();
    for (arn, name) in [
        (&o.target_group_blue_arn, &o.target_group_blue_name),
        (&o.target_group_green_arn, &o.target_group_green_name),
    ] {
        for d in elbv2::target_health(ctx, arn, name).await? {
            if let Some(t) = d.target() {
                let state = d
                    .target_health()
                    .and_then(|h| h.state())
                    .map(|s| s.as_str().to_string())
                    .unwrap_or_default();
                health.insert(
                    (
                        t.id().unwrap_or_default().to_string(),
                        t.port().unwrap_or(0),
                    ),
                    state,
                );
            }
        }
    }
    let mut tasks = ecs::service_tasks(ctx, Some(DesiredStatus::Running)).await?;
    if stopped {
        tasks.extend(ecs::service_tasks(ctx, Some(DesiredStatus::Stopped)).await?);
    }
    Ok(tasks
        .iter()
        .map(|t| row(t, &o.container_name, &set_colour, &health))
        .collect())
}

fn row(
    t: &Task,
    container: &str,
    set_colour: &HashMap<String, &str>,
    health: &HashMap<(String, i32), String>,
) -> TaskRow {
    let c = t
        .containers()
        .iter()
        .find(|c| c.name() == Some(container))
        .or_else(|| t.containers().first());
    let ip = c
        .and_then(|c| c.network_interfaces().first())
        .and_then(|n| n.private_ipv4_address())
        .unwrap_or_default()
        .to_string();
    // awsvpc: the target is the task's IP on the container port; the local stack maps the
    // container port to a host port on 127.0.0.1 (its network binding).
    let port = c
        .and_then(|c| c.network_bindings().first())
        .and_then(|b| b.host_port())
        .unwrap_or(3000);
    let revision = t
        .task_definition_arn()
        .and_then(|a| a.rsplit('/').next())
        .unwrap_or_default()
        .to_string();
    TaskRow {
        id: t
            .task_arn()
            .map(deployer_models::logview::task_id)
            .unwrap_or_default()
            .to_string(),
        target_group: t
            .started_by()
            .and_then(|s| set_colour.get(s))
            .map(|c| c.to_string())
            .unwrap_or_else(|| "-".into()),
        revision,
        image: c.and_then(|c| c.image()).unwrap_or_default().to_string(),
        availability_zone: t.availability_zone().unwrap_or_default().to_string(),
        address: format!("{ip}:{port}"),
        last_status: t.last_status().unwrap_or_default().to_string(),
        health: t
            .health_status()
            .map(|h| h.as_str().to_string())
            .unwrap_or_default(),
        target_health: health
            .get(&(ip.clone(), port))
            .cloned()
            .unwrap_or_else(|| "-".into()),
        started_at: t.started_at().and_then(|d| d.fmt(Format::DateTime).ok()),
        stopped_reason: t.stopped_reason().map(String::from),
        exit_code: c.and_then(|c| c.exit_code()),
    }
}

fn render(rows: &[TaskRow]) -> String {
    let mut out = format!(
        "{:<32}  {:<5}  {:<7}  {:<12}  {:<11}  {:<15}  {:<8}  {:<9}  {:<9}  {}\n",
        "TASK", "TG", "REV", "IMAGE", "AZ", "ADDRESS", "STATUS", "HEALTH", "TARGET", "STARTED"
    );
    for r in rows {
        let image = r.image.rsplit('/').next().unwrap_or(&r.image);
        out.push_str(&format!(
            "{:<32}  {:<5}  {:<7}  {:<12}  {:<11}  {:<15}  {:<8}  {:<9}  {:<9}  {}\n",
            r.id,
            r.target_group,
            r.revision,
            image,
            r.availability_zone,
            r.address,
            r.last_status,
            r.health,
            r.target_health,
            r.started_at.as_deref().unwrap_or("-")
        ));
        if let Some(reason) = &r.stopped_reason {
            out.push_str(&format!(
                "    stopped: {reason} (exit code {})\n",
                r.exit_code
                    .map(|c| c.to_string())
                    .unwrap_or_else(|| "-".into())
            ));
        }
    }
    out
}
