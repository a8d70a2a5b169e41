//! `deployer status`: which target group is live, the task sets (counts, images), target
//! health, the current task definition and the last deployments. Read-only.

use std::collections::HashMap;

use aws_smithy_types::date_time::Format;
use clap::Args;
use serde::Serialize;

use crate::aws::{codedeploy, ecs, elbv2, Ctx};
use crate::exit::Code;
use crate::options::{Global, OutputFormat};

#[derive(Debug, Args)]
#[command(after_help = crate::exit_codes!(read))]
pub(crate) struct StatusArgs {
    /// How many recent deployments to show.
    #[arg(long, value_name = "N", default_value_t = 5)]
    pub deployments: usize,
}

/// The Terraform outputs `status` reads (`test_listener_arn` when present).
pub(crate) const STATUS_OUTPUTS: [&str; 9] = [
    "cluster_name",
    "service_name",
    "codedeploy_app_name",
    "codedeploy_group_name",
    "listener_arn",
    "target_group_blue_name",
    "target_group_blue_arn",
    "target_group_green_name",
    "target_group_green_arn",
];

/// Everything `status` shows (also its `--output json`).
#[derive(Debug, Clone, Default, Serialize)]
pub(crate) struct Status {
    pub cluster: String,
    pub service: String,
    pub service_status: String,
    pub desired_count: i32,
    pub running_count: i32,
    /// Application Auto Scaling's bounds of the desired count (None: no scalable target).
    pub autoscaling: Option<crate::aws::autoscaling::Bounds>,
    pub task_definition: Option<String>,
    /// `blue`, `green`, `none` or `both` (during a shift).
    pub live: String,
    pub listener: ListenerStatus,
    pub test_listener: Option<ListenerStatus>,
    pub task_sets: Vec<TaskSetStatus>,
    pub target_groups: Vec<TargetGroupStatus>,
    pub deployments: Vec<DeploymentStatusLine>,
    /// The last validation hook that ran (of the deployments shown).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_hook: Option<HookStatusLine>,
    /// The alarms CodeDeploy watches (the group's alarm configuration) and their states.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub alarms: Vec<crate::aws::cloudwatch::AlarmState>,
}

/// A lifecycle hook's result in one deployment.
#[derive(Debug, Clone, Default, Serialize)]
pub(crate) struct HookStatusLine {
    pub deployment_id: String,
    pub event: String,
    pub function: String,
    pub status: String,
}

#[derive(Debug, Clone, Default, Serialize)]
pub(crate) struct ListenerStatus {
    pub arn: String,
    pub port: Option<i32>,
    /// Target group name and weight of each forward target.
    pub forwards_to: Vec<(String, i32)>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub(crate) struct TaskSetStatus {
    pub id: String,
    /// PRIMARY (serving production) or ACTIVE.
    pub status: String,
    pub target_group: Option<String>,
    pub task_definition: Option<String>,
    pub images: Vec<String>,
    pub desired: i32,
    pub pending: i32,
    pub running: i32,
    pub scale_percent: Option<f64>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub(crate) struct TargetGroupStatus {
    pub name: String,
    pub color: String,
    pub targets: Vec<TargetStatus>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub(crate) struct TargetStatus {
    pub id: String,
    pub port: Option<i32>,
    pub state: String,
    pub reason: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub(crate) struct DeploymentStatusLine {
    pub id: String,
    pub status: String,
    pub created: Option<String>,
    pub creator: Option<String>,
    pub description: Option<String>,
    pub error: Option<String>,
}

pub(crate) async fn run(args: StatusArgs, global: &Global) -> anyhow::Result<Code> {
    let ctx = Ctx::load_for(global, "deployer status", &STATUS_OUTPUTS).await?;
    let status = gather(&ctx, args.deployments).await?;
    match global.output {
        OutputFormat::Human => print!("{}", render_human(&status)),
        OutputFormat::Json => crate::output::emit("status", &status),
    }
    Ok(Code::Success)
}

/// Reads the status from AWS.
pub(crate) async fn gather(ctx: &Ctx, deployments: usize) -> anyhow::Result<Status> {
    let o = &ctx.outputs;
    let names: HashMap<String, (String, String)> = [
        (
            o.target_group_blue_arn.clone(),
            (o.target_group_blue_name.clone(), "blue".to_owned()),
        ),
        (
            o.target_group_green_arn.clone(),
            (o.target_group_green_name.clone(), "green".to_owned()),
        ),
    ]
    .into_iter()
    .collect();
    let tg_name = |arn: &str| -> String {
        names
            .get(arn)
            .map(|(n, _)| n.clone())
            .unwrap_or_else(|| arn.rsplit('/').nth(1).unwrap_or(arn).to_owned())
    };

    let service = ecs::service(ctx).await?;
    let listener = listener_status(ctx, &o.listener_arn, &tg_name).await?;
    let test_listener = match o.test_listener_arn.as_deref().filter(|a| !a.is_empty()) {
        Some(arn) => Some(listener_status(ctx, arn, &tg_name).await?),
        None => None,
    };
    let live_colors: Vec<&str> = listener
        .forwards_to
        .iter()
        .filter(|(_, w)| *w > 0)
        .filter_map(|(n, _)| {
            if *n == o.target_group_blue_name {
                Some("blue")
            } else if *n == o.target_group_green_name {
                Some("green")
            } else {
                None
            }
        })
        .collect();
    let live = match live_colors.as_slice() {
        [] => "none".to_owned(),
        [one] => (*one).to_owned(),
        _ => "both".to_owned(),
    };

    let mut images: HashMap<String, Vec<String>> = HashMap::new();
    let mut task_sets = Vec::new();
    for ts in service.task_sets.as_deref().unwrap_or_default() {
        let td = ts.task_definition.clone();
        if let Some(arn) = &td {
            if !images.contains_key(arn) {
                let imgs = match ecs::describe_task_definition(ctx, arn).await {
                    Ok((_, model)) => model
                        .container_definitions
                        .iter()
                        .map(|c| format!("{}={}", c.name, c.image))
                        .collect(),
                    Err(err) => vec![format!("(unreadable: {err:#})")],
                };
                images.insert(arn.clone(), imgs);
            }
        }
        task_sets.push(TaskSetStatus {
            id: ts.id.clone().unwrap_or_default(),
            status: ts.status.clone().unwrap_or_default(),
            target_group: ts
                .load_balancers
                .as_deref()
                .unwrap_or_default()
                .first()
                .and_then(|lb| lb.target_group_arn.as_deref())
                .map(&tg_name),
            images: td
                .as_ref()
                .and_then(|a| images.get(a).cloned())
                .unwrap_or_default(),
            task_definition: td,
            desired: ts.computed_desired_count,
            pending: ts.pending_count,
            running: ts.running_count,
            scale_percent: ts.scale.as_ref().map(|s| s.value),
        });
    }
    // PRIMARY first.
    task_sets.sort_by_key(|t| t.status != "PRIMARY");

    let mut target_groups = Vec::new();
    for (arn, name, color) in [
        (&o.target_group_blue_arn, &o.target_group_blue_name, "blue"),
        (
            &o.target_group_green_arn,
            &o.target_group_green_name,
            "green",
        ),
    ] {
        let mut targets: Vec<TargetStatus> = elbv2::target_health(ctx, arn, name)
            .await?
            .into_iter()
            .map(|d| TargetStatus {
                id: d
                    .target
                    .as_ref()
                    .and_then(|t| t.id.clone())
                    .unwrap_or_default(),
                port: d.target.as_ref().and_then(|t| t.port),
                state: d
                    .target_health
                    .as_ref()
                    .and_then(|h| h.state.as_ref())
                    .map(|s| s.as_str().to_owned())
                    .unwrap_or_else(|| "unknown".into()),
                reason: d.target_health.as_ref().and_then(|h| {
                    h.description
                        .clone()
                        .or(h.reason.as_ref().map(|r| r.as_str().to_owned()))
                }),
            })
            .collect();
        targets.sort_by(|a, b| (&a.id, a.port).cmp(&(&b.id, b.port)));
        target_groups.push(TargetGroupStatus {
            name: name.clone(),
            color: color.into(),
            targets,
        });
    }

    let ids = codedeploy::list_deployments(ctx, &[]).await?;
    let infos = codedeploy::deployments(ctx, &ids).await?;
    let deployments = infos
        .into_iter()
        .take(deployments)
        .map(|d| DeploymentStatusLine {
            id: d.deployment_id.unwrap_or_default(),
            status: d.status.map(|s| s.as_str().to_owned()).unwrap_or_default(),
            created: d.create_time.and_then(|t| t.fmt(Format::DateTime).ok()),
            creator: d.creator.map(|c| c.as_str().to_owned()),
            description: d.description,
            error: d.error_information.and_then(|e| e.message),
        })
        .collect::<Vec<_>>();
    let last_hook = last_hook(ctx, &deployments).await;
    let alarms = watched_alarms(ctx).await;

    Ok(Status {
        cluster: o.cluster_name.clone(),
        service: o.service_name.clone(),
        service_status: service.status.clone().unwrap_or_default(),
        desired_count: service.desired_count,
        running_count: service.running_count,
        autoscaling: crate::aws::autoscaling::bounds(
            &ctx.aws.autoscaling,
            &crate::aws::autoscaling::resource_id(&o.cluster_name, &o.service_name),
        )
        .await
        .unwrap_or_else(|e| {
            tracing::warn!("cannot read the auto scaling target: {e:#}");
            None
        }),
        task_definition: service.task_definition.clone().or_else(|| {
            task_sets
                .iter()
                .find(|t| t.status == "PRIMARY")
                .and_then(|t| t.task_definition.clone())
        }),
        live,
        listener,
        test_listener,
        task_sets,
        target_groups,
        deployments,
        last_hook,
        alarms,
    })
}

/// The states of the alarms the deployment group stops deployments on; a failure to read
/// them (no cloudwatch:DescribeAlarms right) is logged, and `status` goes on without them.
async fn watched_alarms(ctx: &Ctx) -> Vec<crate::aws::cloudwatch::AlarmState> {
    let names = match codedeploy::deployment_group(ctx).await {
        Ok(g) => codedeploy::watched_alarms(&g),
        Err(e) => {
            tracing::warn!("cannot read the deployment group's alarms: {e:#}");
            return Vec::new();
        }
    };
    crate::aws::cloudwatch::alarms(ctx, &names)
        .await
        .unwrap_or_else(|e| {
            tracing::warn!("cannot read the alarms {}: {e:#}", names.join(", "));
            Vec::new()
        })
}

/// The newest hook that ran among `deployments` (newest first): its deployment's AppSpec
/// names it, and its lifecycle event ran. Unreadable ones are skipped with a warning.
async fn last_hook(ctx: &Ctx, deployments: &[DeploymentStatusLine]) -> Option<HookStatusLine> {
    for d in deployments {
        let hooks = match codedeploy::hooks(ctx, &d.id).await {
            Ok(h) if !h.is_empty() => h,
            Ok(_) => continue,
            Err(e) => {
                tracing::warn!("cannot read the hooks of {}: {e:#}", d.id);
                continue;
            }
        };
        let target = match codedeploy::ecs_target(ctx, &d.id).await {
            Ok(Some(t)) => t,
            Ok(None) => continue,
            Err(e) => {
                tracing::warn!("cannot read the target of {}: {e:#}", d.id);
                continue;
            }
        };
        let ran = hooks.iter().rev().find_map(|(event, function)| {
            let status = target
                .lifecycle_events()
                .iter()
                .find(|e| e.lifecycle_event_name() == Some(event.as_str()))?
                .status()?
                .as_str()
                .to_owned();
            matches!(status.as_str(), "Succeeded" | "Failed" | "InProgress").then(|| {
                HookStatusLine {
                    deployment_id: d.id.clone(),
                    event: event.clone(),
                    function: function.clone(),
                    status,
                }
            })
        });
        if ran.is_some() {
            return ran;
        }
    }
    None
}

async fn listener_status(
    ctx: &Ctx,
    arn: &str,
    tg_name: &dyn Fn(&str) -> String,
) -> anyhow::Result<ListenerStatus> {
    let listener = elbv2::listener(ctx, arn).await?;
    let mut forwards_to = Vec::new();
    for action in listener.default_actions.unwrap_or_default() {
        let tuples = action
            .forward_config
            .and_then(|f| f.target_groups)
            .unwrap_or_default();
        if !tuples.is_empty() {
            for t in tuples {
                if let Some(a) = t.target_group_arn {
                    forwards_to.push((tg_name(&a), t.weight.unwrap_or(1)));
                }
            }
        } else if let Some(a) = action.target_group_arn {
            forwards_to.push((tg_name(&a), 1));
        }
    }
    Ok(ListenerStatus {
        arn: arn.to_owned(),
        port: listener.port,
        forwards_to,
    })
}

/// The human form of [`Status`] (stdout).
pub(crate) fn render_human(s: &Status) -> String {
    let mut out = String::new();
    let mut line = |text: String| {
        out.push_str(&text);
        out.push('\n');
    };
    let live_tg = s
        .target_groups
        .iter()
        .find(|t| t.color == s.live)
        .map(|t| format!(" ({})", t.name))
        .unwrap_or_default();
    line(format!(
        "service      {}/{} {}, {} of {} tasks running",
        s.cluster, s.service, s.service_status, s.running_count, s.desired_count
    ));
    line(match s.autoscaling {
        Some(b) => format!(
            "scaling      desired {}, min {}, max {} (Application Auto Scaling)",
            s.desired_count, b.min, b.max
        ),
        None => format!(
            "scaling      desired {}, no auto scaling target",
            s.desired_count
        ),
    });
    line(format!("live         {}{live_tg}", s.live));
    line(format!(
        "listener     port {} -> {}",
        s.listener
            .port
            .map(|p| p.to_string())
            .unwrap_or_else(|| "?".into()),
        fmt_forwards(&s.listener.forwards_to)
    ));
    if let Some(t) = &s.test_listener {
        line(format!(
            "test         port {} -> {}",
            t.port.map(|p| p.to_string()).unwrap_or_else(|| "?".into()),
            fmt_forwards(&t.forwards_to)
        ));
    }
    line(format!(
        "task def     {}",
        s.task_definition.as_deref().unwrap_or("-")
    ));
    line(String::new());
    line("task sets".into());
    if s.task_sets.is_empty() {
        line("  (none)".into());
    }
    for t in &s.task_sets {
        line(format!(
            "  {:<8} {:<14} {} running, {} pending, {} desired  {}",
            t.status,
            t.target_group.as_deref().unwrap_or("-"),
            t.running,
            t.pending,
            t.desired,
            t.task_definition
                .as_deref()
                .map(|a| a.rsplit('/').next().unwrap_or(a))
                .unwrap_or("-")
        ));
        for img in &t.images {
            line(format!("           image {img}"));
        }
    }
    line(String::new());
    line("targets".into());
    for g in &s.target_groups {
        if g.targets.is_empty() {
            line(format!("  {:<5} {:<14} (no targets)", g.color, g.name));
        }
        for t in &g.targets {
            let mut text = format!(
                "  {:<5} {:<14} {}:{} {}",
                g.color,
                g.name,
                t.id,
                t.port.map(|p| p.to_string()).unwrap_or_else(|| "-".into()),
                t.state
            );
            if let Some(r) = &t.reason {
                text.push_str(&format!(" ({r})"));
            }
            line(text);
        }
    }
    line(String::new());
    line("deployments".into());
    if s.deployments.is_empty() {
        line("  (none)".into());
    }
    for d in &s.deployments {
        let mut text = format!(
            "  {} {:<10} {}",
            d.id,
            d.status,
            d.created.as_deref().unwrap_or("-")
        );
        if let Some(c) = &d.creator {
            text.push_str(&format!(" by {c}"));
        }
        if let Some(desc) = &d.description {
            text.push_str(&format!("  {desc}"));
        }
        if let Some(e) = &d.error {
            text.push_str(&format!("  error: {e}"));
        }
        line(text);
    }
    if let Some(h) = &s.last_hook {
        line(String::new());
        line(format!(
            "last hook: {} ({}) {} in {}",
            h.function, h.event, h.status, h.deployment_id
        ));
    }
    if !s.alarms.is_empty() {
        line(String::new());
        line("alarms (CodeDeploy stops a deployment on ALARM):".into());
        for a in &s.alarms {
            let value = a
                .value
                .map(|v| format!(", last value {v:?}"))
                .unwrap_or_default();
            line(format!("  {}  {}  ({}{value})", a.name, a.state, a.rule));
        }
    }
    out
}

fn fmt_forwards(f: &[(String, i32)]) -> String {
    if f.is_empty() {
        return "(nothing)".into();
    }
    if f.len() == 1 {
        return f[0].0.clone();
    }
    f.iter()
        .map(|(n, w)| format!("{n} (weight {w})"))
        .collect::<Vec<_>>()
        .join(", ")
}
