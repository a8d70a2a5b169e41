//! `deployer wait`, and the watcher every command that follows a deployment uses.
//!
//! The watch is split in two: [`Watch`] is a pure state machine that turns successive
//! [`Observation`]s (what one poll of GetDeployment + GetDeploymentTarget saw) into
//! [`Event`]s and, eventually, an [`Outcome`]; [`follow`] is the loop that polls AWS,
//! feeds the machine, reports progress, handles Ctrl-C and approvals, and enforces the
//! timeout. The machine is unit-tested on plain data; the loop runs against `deployer
//! local` in the end-to-end tests.

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use anyhow::Context;
use aws_sdk_codedeploy::types::{DeploymentStatus, DeploymentWaitType};
use clap::{Args, ValueEnum};
use serde::Serialize;

use crate::aws::AwsResultExt;
use crate::cli::{GlobalArgs, OutputFormat};
use crate::context::Ctx;
use crate::exit::{bad_input, Code};
use crate::progress::Reporter;

/// The ECS lifecycle events of a CodeDeploy blue/green deployment, in order.
pub const LIFECYCLE_EVENTS: [&str; 8] = [
    "BeforeInstall",
    "Install",
    "AfterInstall",
    "AllowTestTraffic",
    "AfterAllowTestTraffic",
    "BeforeAllowTraffic",
    "AllowTraffic",
    "AfterAllowTraffic",
];

/// Where `--wait-until` may stop watching: a lifecycle event (once it succeeded), the
/// ready wait (green is up, waiting for `deployer continue`), or the termination wait
/// (traffic switched, blue kept for the wait).
pub const MILESTONES: [&str; 10] = [
    "BeforeInstall",
    "Install",
    "AfterInstall",
    "AllowTestTraffic",
    "AfterAllowTestTraffic",
    "BeforeAllowTraffic",
    "AllowTraffic",
    "AfterAllowTraffic",
    "ReadyWait",
    "TerminationWait",
];

/// The flags that control watching (shared by `deploy`, `wait` and `rollback`).
#[derive(Debug, Clone, Args)]
pub struct WatchArgs {
    /// Give up watching after this long (e.g. `90s`, `20m`, `1h`); the deployment keeps
    /// running. Default: what the deployment group implies (ready wait + termination
    /// wait + 15 minutes).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub timeout: Option<Duration>,

    /// Stop watching (exit 0) once the deployment reaches this point: a lifecycle event
    /// (after it succeeded), `ReadyWait` or `TerminationWait`.
    #[arg(long, value_name = "EVENT", value_parser = clap::builder::PossibleValuesParser::new(MILESTONES))]
    pub wait_until: Option<String>,

    /// Time between two polls of the deployment.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration, default_value = "5s",
          env = "DEPLOYER_POLL_INTERVAL")]
    pub interval: Duration,

    /// What Ctrl-C does when no terminal can be asked: leave the deployment running
    /// (exit 130), or stop it with rollback and follow the rollback (exit 4).
    #[arg(long, value_enum, value_name = "ACTION", default_value_t = InterruptAction::Leave)]
    pub on_interrupt: InterruptAction,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum InterruptAction {
    /// Stop watching; the deployment continues.
    Leave,
    /// StopDeployment with automatic rollback, then follow it to the end.
    Rollback,
}

/// `deployer wait`: follow a deployment to its end.
#[derive(Debug, Args)]
#[command(after_help = concat!("Examples:
  deployer wait                               # the latest deployment of the group
  deployer wait d-ABCDE1234 --output json     # one JSON event per line, then a summary
  deployer wait --wait-until ReadyWait        # return once green waits for approval", "\n\n", crate::exit_codes!()))]
pub struct WaitArgs {
    /// The deployment to watch (`d-XXXXXXXXX`). Default: the latest of the deployment
    /// group.
    #[arg(value_name = "DEPLOYMENT_ID")]
    pub deployment_id: Option<String>,

    #[command(flatten)]
    pub watch: WatchArgs,
}

pub async fn run(args: WaitArgs, global: &GlobalArgs) -> anyhow::Result<Code> {
    let ctx = Ctx::load(global).await?;
    let id = match args.deployment_id {
        Some(id) => {
            check_deployment_id(&id)?;
            id
        }
        None => ctx.latest_deployment().await?.ok_or_else(|| {
            bad_input(format!(
                "deployment group `{}` of application `{}` has no deployments yet",
                ctx.outputs.codedeploy_group_name, ctx.outputs.codedeploy_app_name
            ))
        })?,
    };
    let opts = WatchOptions::resolve(&ctx, &args.watch, false, global.output).await?;
    follow(&ctx, &id, &opts).await
}

/// Checks the shape of a deployment id before asking AWS about it.
pub fn check_deployment_id(id: &str) -> anyhow::Result<()> {
    let ok = id.len() == 11
        && id.starts_with("d-")
        && id[2..]
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit());
    if ok {
        Ok(())
    } else {
        Err(bad_input(format!(
            "deployment id {id:?}: expected `d-` and 9 upper-case letters or digits \
             (e.g. d-ABCDE1234)"
        )))
    }
}

/// Parses `90s`, `20m`, `1h`, `500ms`, `1h30m`, or a bare number of seconds.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    if t.is_empty() {
        return Err("empty duration (e.g. 90s, 20m, 1h)".into());
    }
    if let Ok(secs) = t.parse::<u64>() {
        return Ok(Duration::from_secs(secs));
    }
    let mut total = Duration::ZERO;
    let mut rest = t;
    while !rest.is_empty() {
        let digits = rest.chars().take_while(|c| c.is_ascii_digit()).count();
        if digits == 0 {
            return Err(format!(
                "{text:?}: expected a number then a unit (ms, s, m, h)"
            ));
        }
        let n: u64 = rest[..digits]
            .parse()
            .map_err(|_| format!("{text:?}: number too large"))?;
        rest = &rest[digits..];
        let unit_len = rest.chars().take_while(|c| c.is_ascii_alphabetic()).count();
        let unit = &rest[..unit_len];
        rest = &rest[unit_len..];
        total += match unit {
            "ms" => Duration::from_millis(n),
            "s" => Duration::from_secs(n),
            "m" => Duration::from_secs(n * 60),
            "h" => Duration::from_secs(n * 3600),
            other => {
                return Err(format!(
                    "{text:?}: unknown unit {other:?} (use ms, s, m or h)"
                ))
            }
        };
    }
    Ok(total)
}

/// Formats a duration as `m:ss` (or `h:mm:ss`).
pub fn clock(d: Duration) -> String {
    let s = d.as_secs();
    if s >= 3600 {
        format!("{}:{:02}:{:02}", s / 3600, (s / 60) % 60, s % 60)
    } else {
        format!("{}:{:02}", s / 60, s % 60)
    }
}

// ---------------------------------------------------------------------------------------
// The state machine
// ---------------------------------------------------------------------------------------

/// What one poll saw of a deployment.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Observation {
    pub deployment_id: String,
    /// CodeDeploy's status: Created, Queued, InProgress, Baking, Ready, Succeeded,
    /// Failed, Stopped.
    pub status: String,
    pub error_code: Option<String>,
    pub error_message: Option<String>,
    pub rollback_deployment_id: Option<String>,
    pub rollback_message: Option<String>,
    /// Traffic switched; the original (blue) task set is kept for the termination wait.
    pub termination_wait_started: bool,
    /// When the deployment was created (epoch seconds).
    #[serde(skip)]
    pub created_at: Option<i64>,
    pub lifecycle_events: Vec<LifecycleObservation>,
    pub task_sets: Vec<TaskSetObservation>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct LifecycleObservation {
    pub name: String,
    /// Pending, InProgress, Succeeded, Failed, Skipped, Unknown.
    pub status: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub diagnostics: Option<Diagnostics>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Diagnostics {
    pub error_code: Option<String>,
    pub message: Option<String>,
    pub log_tail: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct TaskSetObservation {
    /// `Blue` (the original) or `Green` (the replacement).
    pub label: String,
    pub identifier: String,
    pub desired: i64,
    pub pending: i64,
    pub running: i64,
    /// Percent of production traffic.
    pub traffic_weight: f64,
    pub target_group: Option<String>,
    pub status: Option<String>,
}

impl TaskSetObservation {
    fn summary(&self) -> String {
        let mut s = format!(
            "{} {}/{} running",
            self.label.to_lowercase(),
            self.running,
            self.desired
        );
        if self.pending > 0 {
            s.push_str(&format!(" ({} pending)", self.pending));
        }
        s.push_str(&format!(", {}% traffic", fmt_weight(self.traffic_weight)));
        s
    }
}

fn fmt_weight(w: f64) -> String {
    if (w - w.round()).abs() < 0.005 {
        format!("{}", w.round() as i64)
    } else {
        format!("{w:.1}")
    }
}

/// One thing worth telling the person (or the JSON consumer) about.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    /// The deployment's status changed.
    Status {
        deployment_id: String,
        status: String,
    },
    /// A lifecycle event changed status.
    Lifecycle {
        name: String,
        status: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        diagnostics: Option<Diagnostics>,
    },
    /// Task set counts or traffic weights changed.
    TaskSets { task_sets: Vec<TaskSetObservation> },
    /// Green is ready; production traffic waits for `deployer continue`.
    ReadyWait { deployment_id: String },
    /// Traffic is on green; blue is kept until the termination wait ends (`deployer
    /// continue --termination` ends it now).
    TerminationWait { deployment_id: String },
    /// CodeDeploy started a rollback deployment.
    Rollback {
        deployment_id: String,
        rollback_deployment_id: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        message: Option<String>,
    },
}

impl Event {
    /// The human line for this event.
    pub fn human(&self) -> String {
        match self {
            Event::Status {
                deployment_id,
                status,
            } => format!("{deployment_id} {status}"),
            Event::Lifecycle {
                name,
                status,
                diagnostics,
            } => {
                let mut s = format!("{name:<22} {status}");
                if let Some(d) = diagnostics {
                    if let Some(m) = d.message.as_deref().filter(|m| !m.is_empty()) {
                        s.push_str(&format!(": {m}"));
                    }
                }
                s
            }
            Event::TaskSets { task_sets } => {
                let parts: Vec<String> = task_sets.iter().map(|t| t.summary()).collect();
                format!("task sets: {}", parts.join(" · "))
            }
            Event::ReadyWait { deployment_id } => format!(
                "green is ready; production traffic waits for approval \
                 (`deployer continue {deployment_id}`)"
            ),
            Event::TerminationWait { deployment_id } => format!(
                "traffic is on green; blue is kept for the termination wait \
                 (`deployer continue --termination {deployment_id}` ends it now)"
            ),
            Event::Rollback {
                deployment_id,
                rollback_deployment_id,
                message,
            } => {
                let mut s =
                    format!("{deployment_id} is being rolled back by {rollback_deployment_id}");
                if let Some(m) = message {
                    s.push_str(&format!(": {m}"));
                }
                s
            }
        }
    }
}

/// How a watch ended (besides timeouts and interrupts, which the loop decides).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Succeeded,
    /// `--wait-until` was reached.
    Reached(String),
    Failed,
    Stopped,
}

impl Outcome {
    pub fn code(&self) -> Code {
        match self {
            Outcome::Succeeded | Outcome::Reached(_) => Code::Success,
            Outcome::Failed => Code::Failed,
            Outcome::Stopped => Code::RolledBack,
        }
    }

    pub fn name(&self) -> &'static str {
        match self {
            Outcome::Succeeded => "succeeded",
            Outcome::Reached(_) => "reached",
            Outcome::Failed => "failed",
            Outcome::Stopped => "stopped",
        }
    }
}

/// The pure watch: remembers the previous observation and reports what changed.
#[derive(Debug, Default)]
pub struct Watch {
    prev: Option<Observation>,
    wait_until: Option<String>,
}

impl Watch {
    pub fn new(wait_until: Option<String>) -> Watch {
        Watch {
            prev: None,
            wait_until,
        }
    }

    /// Feeds one observation; returns the events since the previous one, and the outcome
    /// once the watch is over.
    pub fn observe(&mut self, obs: &Observation) -> (Vec<Event>, Option<Outcome>) {
        let mut events = Vec::new();
        let prev = self.prev.take().unwrap_or_default();

        if obs.status != prev.status {
            events.push(Event::Status {
                deployment_id: obs.deployment_id.clone(),
                status: obs.status.clone(),
            });
        }
        for ev in &obs.lifecycle_events {
            let before = prev
                .lifecycle_events
                .iter()
                .find(|p| p.name == ev.name)
                .map(|p| p.status.as_str());
            // Pending is the starting state: not worth a line.
            let changed = match before {
                Some(b) => b != ev.status,
                None => ev.status != "Pending",
            };
            if changed {
                events.push(Event::Lifecycle {
                    name: ev.name.clone(),
                    status: ev.status.clone(),
                    diagnostics: ev.diagnostics.clone().filter(|_| ev.status == "Failed"),
                });
            }
        }
        if !obs.task_sets.is_empty() && obs.task_sets != prev.task_sets {
            events.push(Event::TaskSets {
                task_sets: obs.task_sets.clone(),
            });
        }
        if obs.status == "Ready" && prev.status != "Ready" {
            events.push(Event::ReadyWait {
                deployment_id: obs.deployment_id.clone(),
            });
        }
        if obs.termination_wait_started
            && !prev.termination_wait_started
            && !is_terminal_status(&obs.status)
        {
            events.push(Event::TerminationWait {
                deployment_id: obs.deployment_id.clone(),
            });
        }
        if let Some(rb) = &obs.rollback_deployment_id {
            if prev.rollback_deployment_id.as_ref() != Some(rb) {
                events.push(Event::Rollback {
                    deployment_id: obs.deployment_id.clone(),
                    rollback_deployment_id: rb.clone(),
                    message: obs.rollback_message.clone(),
                });
            }
        }

        let outcome = match obs.status.as_str() {
            "Succeeded" => Some(Outcome::Succeeded),
            "Failed" => Some(Outcome::Failed),
            "Stopped" => Some(Outcome::Stopped),
            _ => self
                .wait_until
                .as_deref()
                .filter(|m| reached(obs, m))
                .map(|m| Outcome::Reached(m.to_owned())),
        };
        self.prev = Some(obs.clone());
        (events, outcome)
    }

    /// The last observation fed in.
    pub fn last(&self) -> Option<&Observation> {
        self.prev.as_ref()
    }
}

fn reached(obs: &Observation, milestone: &str) -> bool {
    match milestone {
        "ReadyWait" => obs.status == "Ready",
        "TerminationWait" => obs.termination_wait_started,
        name => obs
            .lifecycle_events
            .iter()
            .any(|e| e.name == name && (e.status == "Succeeded" || e.status == "Skipped")),
    }
}

/// Whether CodeDeploy is done with a deployment in this status.
pub fn is_terminal_status(status: &str) -> bool {
    matches!(status, "Succeeded" | "Failed" | "Stopped")
}

/// Statuses of a deployment in flight (the ones `ListDeployments` filters on).
pub const IN_FLIGHT: [DeploymentStatus; 5] = [
    DeploymentStatus::Created,
    DeploymentStatus::Queued,
    DeploymentStatus::InProgress,
    DeploymentStatus::Baking,
    DeploymentStatus::Ready,
];

// ---------------------------------------------------------------------------------------
// Polling AWS
// ---------------------------------------------------------------------------------------

/// Reads the deployment and its ECS target into an [`Observation`].
pub async fn observe(ctx: &Ctx, id: &str) -> anyhow::Result<Observation> {
    let info = ctx
        .aws
        .codedeploy
        .get_deployment()
        .deployment_id(id)
        .send()
        .await
        .aws("codedeploy:GetDeployment")
        .with_context(|| format!("reading deployment {id}"))?
        .deployment_info
        .with_context(|| format!("GetDeployment {id}: the answer has no deploymentInfo"))?;
    let mut obs = Observation {
        deployment_id: id.to_owned(),
        status: info
            .status
            .as_ref()
            .map(|s| s.as_str().to_owned())
            .unwrap_or_else(|| "Unknown".into()),
        error_code: info
            .error_information
            .as_ref()
            .and_then(|e| e.code.as_ref().map(|c| c.as_str().to_owned())),
        error_message: info
            .error_information
            .as_ref()
            .and_then(|e| e.message.clone()),
        rollback_deployment_id: info
            .rollback_info
            .as_ref()
            .and_then(|r| r.rollback_deployment_id.clone())
            .filter(|r| r != id),
        rollback_message: info
            .rollback_info
            .as_ref()
            .and_then(|r| r.rollback_message.clone()),
        termination_wait_started: info.instance_termination_wait_time_started,
        created_at: info.create_time.map(|t| t.secs()),
        ..Observation::default()
    };
    if obs.status == "Created" || obs.status == "Queued" {
        return Ok(obs);
    }
    let targets = ctx
        .aws
        .codedeploy
        .list_deployment_targets()
        .deployment_id(id)
        .send()
        .await
        .aws("codedeploy:ListDeploymentTargets")
        .with_context(|| format!("listing the targets of deployment {id}"))?;
    let Some(target_id) = targets.target_ids.unwrap_or_default().into_iter().next() else {
        return Ok(obs);
    };
    let target = ctx
        .aws
        .codedeploy
        .get_deployment_target()
        .deployment_id(id)
        .target_id(&target_id)
        .send()
        .await
        .aws("codedeploy:GetDeploymentTarget")
        .with_context(|| format!("reading target {target_id} of deployment {id}"))?;
    if let Some(ecs) = target.deployment_target.and_then(|t| t.ecs_target) {
        obs.lifecycle_events = ecs
            .lifecycle_events
            .unwrap_or_default()
            .into_iter()
            .map(|e| LifecycleObservation {
                name: e.lifecycle_event_name.unwrap_or_default(),
                status: e
                    .status
                    .map(|s| s.as_str().to_owned())
                    .unwrap_or_else(|| "Unknown".into()),
                diagnostics: e.diagnostics.map(|d| Diagnostics {
                    error_code: d.error_code.map(|c| c.as_str().to_owned()),
                    message: d.message,
                    log_tail: d.log_tail.filter(|t| !t.is_empty()),
                }),
            })
            .collect();
        let mut sets: Vec<TaskSetObservation> = ecs
            .task_sets_info
            .unwrap_or_default()
            .into_iter()
            .map(|t| TaskSetObservation {
                label: t
                    .task_set_label
                    .map(|l| l.as_str().to_owned())
                    .unwrap_or_else(|| "?".into()),
                identifier: t.identifer.unwrap_or_default(),
                desired: t.desired_count,
                pending: t.pending_count,
                running: t.running_count,
                traffic_weight: t.traffic_weight,
                target_group: t.target_group.and_then(|g| g.name),
                status: t.status,
            })
            .collect();
        // Blue first, then green: a stable order for display and comparison.
        sets.sort_by(|a, b| a.label.cmp(&b.label));
        obs.task_sets = sets;
    }
    Ok(obs)
}

// ---------------------------------------------------------------------------------------
// The loop
// ---------------------------------------------------------------------------------------

/// Resolved watch settings.
#[derive(Debug, Clone)]
pub struct WatchOptions {
    pub timeout: Duration,
    pub interval: Duration,
    pub wait_until: Option<String>,
    pub on_interrupt: InterruptAction,
    /// Ask before the traffic switch (`deploy --approve`); needs a terminal.
    pub approve: bool,
    pub output: OutputFormat,
    /// After a failure, follow the rollback deployment CodeDeploy started.
    pub follow_rollback: bool,
    /// Approve the traffic switch without asking (`rollback` redeploying the previous
    /// revision: the person asked for exactly that switch).
    pub auto_approve: bool,
}

impl WatchOptions {
    /// Fills the default timeout from the deployment group's settings.
    pub async fn resolve(
        ctx: &Ctx,
        args: &WatchArgs,
        approve: bool,
        output: OutputFormat,
    ) -> anyhow::Result<WatchOptions> {
        if args.interval.is_zero() {
            return Err(bad_input("--interval must be more than 0"));
        }
        let timeout = match args.timeout {
            Some(t) if t.is_zero() => return Err(bad_input("--timeout must be more than 0")),
            Some(t) => t,
            None => {
                let group = ctx.deployment_group().await?;
                default_timeout(&group)
            }
        };
        Ok(WatchOptions {
            timeout,
            interval: args.interval,
            wait_until: args.wait_until.clone(),
            on_interrupt: args.on_interrupt,
            approve,
            output,
            follow_rollback: true,
            auto_approve: false,
        })
    }
}

/// Ready wait (when the group waits for approval) + termination wait + 15 minutes for
/// tasks to start and pass health checks.
pub fn default_timeout(group: &aws_sdk_codedeploy::types::DeploymentGroupInfo) -> Duration {
    use aws_sdk_codedeploy::types::{DeploymentReadyAction, InstanceAction};
    let mut minutes: u64 = 15;
    if let Some(bg) = &group.blue_green_deployment_configuration {
        if let Some(ready) = &bg.deployment_ready_option {
            if ready.action_on_timeout == Some(DeploymentReadyAction::StopDeployment) {
                minutes += ready.wait_time_in_minutes.max(0) as u64;
            }
        }
        if let Some(term) = &bg.terminate_blue_instances_on_deployment_success {
            if term.action == Some(InstanceAction::Terminate) {
                minutes += term.termination_wait_time_in_minutes.max(0) as u64;
            }
        }
    }
    Duration::from_secs(minutes * 60)
}

/// The end of a watch, as a summary line (human) or object (JSON).
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    pub event: &'static str,
    pub deployment_id: String,
    pub outcome: String,
    pub status: String,
    /// The `--wait-until` point, when the watch stopped there.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub milestone: Option<String>,
    pub exit_code: u8,
    pub elapsed_secs: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rollback_deployment_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rollback_status: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub stopped_tasks: Vec<StoppedTask>,
}

#[derive(Debug, Clone, Serialize)]
pub struct StoppedTask {
    pub task: String,
    pub task_definition: Option<String>,
    pub stopped_reason: Option<String>,
    pub containers: Vec<String>,
}

enum Interrupt {
    Leave,
    Rollback,
}

/// Polls deployment `id` until it ends, the milestone is reached, the timeout passes or
/// the person interrupts; reports progress and a summary; returns the exit code.
pub async fn follow(ctx: &Ctx, id: &str, opts: &WatchOptions) -> anyhow::Result<Code> {
    let reporter = Reporter::new(opts.output);
    let started = Instant::now();
    let deadline = started + opts.timeout;
    let interactive = std::io::stdin().is_terminal() && std::io::stderr().is_terminal();
    let mut watch = Watch::new(opts.wait_until.clone());
    let mut stopping = false;
    let mut asked_approval = false;
    // Registered before the first line is printed, so a Ctrl-C from then on is ours.
    let mut sigint = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt())
        .context("listening for Ctrl-C")?;

    reporter.start(&format!("watching deployment {id}"));
    let outcome = loop {
        let obs = observe(ctx, id).await?;
        let (events, outcome) = watch.observe(&obs);
        for ev in &events {
            reporter.event(started.elapsed(), ev);
        }
        reporter.status(started.elapsed(), &obs);
        if let Some(outcome) = outcome {
            break outcome;
        }
        if opts.auto_approve && obs.status == "Ready" && !asked_approval && !stopping {
            asked_approval = true;
            continue_deployment(ctx, id, DeploymentWaitType::ReadyWait).await?;
            reporter.line(
                started.elapsed(),
                "approved the traffic switch (the rollback asked for it)",
            );
        }
        if opts.approve && obs.status == "Ready" && !asked_approval && !stopping {
            asked_approval = true;
            match reporter
                .ask(
                    "green is ready. Switch production traffic to it? \
                     [y]es / [n]o, stop and roll back / [l]eave it waiting: ",
                )
                .await
            {
                Some('y') => {
                    continue_deployment(ctx, id, DeploymentWaitType::ReadyWait).await?;
                    reporter.line(started.elapsed(), "approved: switching traffic to green");
                }
                Some('n') => {
                    stop_with_rollback(ctx, id).await?;
                    reporter.line(started.elapsed(), "stopping with rollback");
                    stopping = true;
                }
                _ => {
                    reporter.line(
                        started.elapsed(),
                        &format!("left waiting: approve with `deployer continue {id}`"),
                    );
                }
            }
        }
        let now = Instant::now();
        if now >= deadline {
            return timed_out(&reporter, id, &obs, opts.timeout, started);
        }
        let sleep = opts.interval.min(deadline - now);
        tokio::select! {
            _ = tokio::time::sleep(sleep) => {}
            _ = sigint.recv() => {
                if stopping {
                    reporter.line(started.elapsed(), &format!(
                        "interrupted again: leaving {id} to finish its rollback \
                         (`deployer wait {id}`)"));
                    reporter.finish();
                    return Ok(Code::Interrupted);
                }
                let choice = if interactive {
                    match reporter.ask(&format!(
                        "interrupted. [l]eave {id} running, or [s]top it and roll back? "
                    )).await {
                        Some('s') | Some('r') => Interrupt::Rollback,
                        _ => Interrupt::Leave,
                    }
                } else {
                    match opts.on_interrupt {
                        InterruptAction::Leave => Interrupt::Leave,
                        InterruptAction::Rollback => Interrupt::Rollback,
                    }
                };
                match choice {
                    Interrupt::Leave => {
                        reporter.line(started.elapsed(), &format!(
                            "interrupted: {id} keeps running; resume with `deployer wait {id}`"));
                        reporter.summary(&Summary {
                            event: "summary",
                            deployment_id: id.to_owned(),
                            outcome: "interrupted".into(),
                            status: obs.status.clone(),
                            milestone: None,
                            exit_code: Code::Interrupted.as_u8(),
                            elapsed_secs: started.elapsed().as_secs(),
                            error: None,
                            rollback_deployment_id: None,
                            rollback_status: None,
                            stopped_tasks: Vec::new(),
                        });
                        return Ok(Code::Interrupted);
                    }
                    Interrupt::Rollback => {
                        reporter.line(started.elapsed(), &format!(
                            "interrupted: stopping {id} with rollback"));
                        match stop_with_rollback(ctx, id).await {
                            Ok(()) => stopping = true,
                            Err(err) if crate::aws::error_kind(&err)
                                == Some(crate::aws::ErrorKind::Conflict) => {
                                // It finished meanwhile; the next poll tells how.
                                reporter.line(started.elapsed(), &format!("{err:#}"));
                            }
                            Err(err) => return Err(err),
                        }
                    }
                }
            }
        }
    };

    finish(ctx, &reporter, id, &watch, outcome, opts, started, deadline).await
}

#[allow(clippy::too_many_arguments)]
async fn finish(
    ctx: &Ctx,
    reporter: &Reporter,
    id: &str,
    watch: &Watch,
    outcome: Outcome,
    opts: &WatchOptions,
    started: Instant,
    deadline: Instant,
) -> anyhow::Result<Code> {
    let obs = watch.last().cloned().unwrap_or_default();
    let mut summary = Summary {
        event: "summary",
        deployment_id: id.to_owned(),
        outcome: outcome.name().into(),
        status: obs.status.clone(),
        milestone: match &outcome {
            Outcome::Reached(m) => Some(m.clone()),
            _ => None,
        },
        exit_code: outcome.code().as_u8(),
        elapsed_secs: started.elapsed().as_secs(),
        error: obs.error_message.as_ref().map(|m| match &obs.error_code {
            Some(c) => format!("{c}: {m}"),
            None => m.clone(),
        }),
        rollback_deployment_id: obs.rollback_deployment_id.clone(),
        rollback_status: None,
        stopped_tasks: Vec::new(),
    };
    if matches!(outcome, Outcome::Failed | Outcome::Stopped) {
        for ev in obs.lifecycle_events.iter().filter(|e| e.status == "Failed") {
            if let Some(d) = &ev.diagnostics {
                let mut text = format!(
                    "{} failed: {}",
                    ev.name,
                    d.message.as_deref().unwrap_or("(no message)")
                );
                if let Some(code) = &d.error_code {
                    text.push_str(&format!(" [{code}]"));
                }
                if let Some(tail) = &d.log_tail {
                    text.push_str(&format!(
                        "\n  log tail:\n    {}",
                        tail.replace('\n', "\n    ")
                    ));
                }
                reporter.line(started.elapsed(), &text);
            }
        }
        if outcome == Outcome::Failed {
            match stopped_tasks(ctx, &obs).await {
                Ok(tasks) => {
                    for t in &tasks {
                        let mut text = format!(
                            "stopped task {}: {}",
                            t.task,
                            t.stopped_reason.as_deref().unwrap_or("(no reason given)")
                        );
                        for c in &t.containers {
                            text.push_str(&format!("\n  {c}"));
                        }
                        reporter.line(started.elapsed(), &text);
                    }
                    summary.stopped_tasks = tasks;
                }
                Err(err) => reporter.line(
                    started.elapsed(),
                    &format!("(could not read the stopped tasks: {err:#})"),
                ),
            }
        }
        if let (Some(rb), true) = (&obs.rollback_deployment_id, opts.follow_rollback) {
            reporter.line(
                started.elapsed(),
                &format!("following rollback deployment {rb}"),
            );
            let mut rb_watch = Watch::new(None);
            let status = loop {
                let o = observe(ctx, rb).await?;
                let (events, end) = rb_watch.observe(&o);
                for ev in &events {
                    reporter.event(started.elapsed(), ev);
                }
                reporter.status(started.elapsed(), &o);
                if end.is_some() {
                    break o.status;
                }
                if Instant::now() >= deadline {
                    reporter.line(
                        started.elapsed(),
                        &format!("timed out following rollback {rb}; `deployer wait {rb}`"),
                    );
                    break o.status;
                }
                tokio::time::sleep(opts.interval).await;
            };
            summary.rollback_status = Some(status);
        }
    }
    reporter.summary(&summary);
    Ok(outcome.code())
}

fn timed_out(
    reporter: &Reporter,
    id: &str,
    obs: &Observation,
    timeout: Duration,
    started: Instant,
) -> anyhow::Result<Code> {
    reporter.line(
        started.elapsed(),
        &format!(
            "timed out after {} watching {id} (status {}); it may still be running: \
             `deployer wait {id}`",
            clock(timeout),
            obs.status
        ),
    );
    reporter.summary(&Summary {
        event: "summary",
        deployment_id: id.to_owned(),
        outcome: "timeout".into(),
        status: obs.status.clone(),
        milestone: None,
        exit_code: Code::Timeout.as_u8(),
        elapsed_secs: started.elapsed().as_secs(),
        error: Some(format!("timed out after {}", clock(timeout))),
        rollback_deployment_id: obs.rollback_deployment_id.clone(),
        rollback_status: None,
        stopped_tasks: Vec::new(),
    });
    Ok(Code::Timeout)
}

/// ContinueDeployment for the given wait.
pub async fn continue_deployment(
    ctx: &Ctx,
    id: &str,
    wait: DeploymentWaitType,
) -> anyhow::Result<()> {
    ctx.aws
        .codedeploy
        .continue_deployment()
        .deployment_id(id)
        .deployment_wait_type(wait.clone())
        .send()
        .await
        .aws("codedeploy:ContinueDeployment")
        .with_context(|| format!("continuing deployment {id} ({})", wait.as_str()))?;
    Ok(())
}

/// StopDeployment with automatic rollback.
pub async fn stop_with_rollback(ctx: &Ctx, id: &str) -> anyhow::Result<()> {
    ctx.aws
        .codedeploy
        .stop_deployment()
        .deployment_id(id)
        .auto_rollback_enabled(true)
        .send()
        .await
        .aws("codedeploy:StopDeployment")
        .with_context(|| format!("stopping deployment {id} with rollback"))?;
    Ok(())
}

/// The service's tasks that stopped since the deployment was created, and why (for
/// failure reports).
async fn stopped_tasks(ctx: &Ctx, obs: &Observation) -> anyhow::Result<Vec<StoppedTask>> {
    let o = &ctx.outputs;
    let arns = ctx
        .aws
        .ecs
        .list_tasks()
        .cluster(&o.cluster_name)
        .service_name(&o.service_name)
        .desired_status(aws_sdk_ecs::types::DesiredStatus::Stopped)
        .send()
        .await
        .aws("ecs:ListTasks")
        .context("listing the service's stopped tasks")?
        .task_arns
        .unwrap_or_default();
    if arns.is_empty() {
        return Ok(Vec::new());
    }
    let tasks = ctx
        .aws
        .ecs
        .describe_tasks()
        .cluster(&o.cluster_name)
        .set_tasks(Some(arns.into_iter().take(100).collect()))
        .send()
        .await
        .aws("ecs:DescribeTasks")
        .context("describing the service's stopped tasks")?
        .tasks
        .unwrap_or_default();
    let since = obs.created_at.unwrap_or(i64::MIN);
    let mut tasks: Vec<_> = tasks
        .into_iter()
        .filter(|t| t.stopped_at.is_none_or(|s| s.secs() >= since))
        .collect();
    tasks.sort_by_key(|t| std::cmp::Reverse(t.stopped_at.map(|d| d.secs())));
    Ok(tasks
        .into_iter()
        .take(5)
        .map(|t| StoppedTask {
            task: t
                .task_arn
                .as_deref()
                .map(|a| a.rsplit('/').next().unwrap_or(a).to_owned())
                .unwrap_or_default(),
            task_definition: t.task_definition_arn,
            stopped_reason: t.stopped_reason,
            containers: t
                .containers
                .unwrap_or_default()
                .into_iter()
                .map(|c| {
                    format!(
                        "container {}: exit code {}{}",
                        c.name.unwrap_or_default(),
                        c.exit_code
                            .map(|e| e.to_string())
                            .unwrap_or_else(|| "-".into()),
                        c.reason.map(|r| format!(", {r}")).unwrap_or_default()
                    )
                })
                .collect(),
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obs(status: &str) -> Observation {
        Observation {
            deployment_id: "d-ABCDE1234".into(),
            status: status.into(),
            ..Observation::default()
        }
    }

    fn with_events(mut o: Observation, events: &[(&str, &str)]) -> Observation {
        o.lifecycle_events = events
            .iter()
            .map(|(n, s)| LifecycleObservation {
                name: (*n).into(),
                status: (*s).into(),
                diagnostics: None,
            })
            .collect();
        o
    }

    #[test]
    fn a_successful_deployment_reports_each_change_once() {
        let mut w = Watch::new(None);
        let (ev, end) = w.observe(&obs("Created"));
        assert_eq!(ev.len(), 1);
        assert_eq!(end, None);
        let o = with_events(
            obs("InProgress"),
            &[("Install", "InProgress"), ("AllowTraffic", "Pending")],
        );
        let (ev, end) = w.observe(&o);
        assert_eq!(
            ev,
            vec![
                Event::Status {
                    deployment_id: "d-ABCDE1234".into(),
                    status: "InProgress".into()
                },
                Event::Lifecycle {
                    name: "Install".into(),
                    status: "InProgress".into(),
                    diagnostics: None
                },
            ]
        );
        assert_eq!(end, None);
        // Same observation again: nothing new.
        let (ev, _) = w.observe(&o);
        assert!(ev.is_empty(), "{ev:?}");
        let done = with_events(
            obs("Succeeded"),
            &[("Install", "Succeeded"), ("AllowTraffic", "Succeeded")],
        );
        let (ev, end) = w.observe(&done);
        assert_eq!(ev.len(), 3, "{ev:?}");
        assert_eq!(end, Some(Outcome::Succeeded));
        assert_eq!(end.unwrap().code(), Code::Success);
    }

    #[test]
    fn failure_carries_diagnostics_and_rollback() {
        let mut w = Watch::new(None);
        w.observe(&obs("InProgress"));
        let mut o = with_events(obs("Failed"), &[("AllowTestTraffic", "Failed")]);
        o.lifecycle_events[0].diagnostics = Some(Diagnostics {
            error_code: Some("ScriptFailed".into()),
            message: Some("target unhealthy".into()),
            log_tail: None,
        });
        o.rollback_deployment_id = Some("d-ROLLBACK1".into());
        let (ev, end) = w.observe(&o);
        assert_eq!(end, Some(Outcome::Failed));
        assert_eq!(end.unwrap().code(), Code::Failed);
        let lifecycle = ev
            .iter()
            .find(|e| matches!(e, Event::Lifecycle { .. }))
            .expect("a lifecycle event");
        assert!(
            lifecycle.human().contains("target unhealthy"),
            "{}",
            lifecycle.human()
        );
        assert!(ev.iter().any(|e| matches!(e, Event::Rollback { rollback_deployment_id, .. } if rollback_deployment_id == "d-ROLLBACK1")));
    }

    #[test]
    fn stopped_is_rolled_back() {
        let mut w = Watch::new(None);
        let (_, end) = w.observe(&obs("Stopped"));
        assert_eq!(end.unwrap().code(), Code::RolledBack);
    }

    #[test]
    fn waits_announce_themselves_and_can_end_the_watch() {
        let mut w = Watch::new(Some("TerminationWait".into()));
        let (ev, end) = w.observe(&obs("Ready"));
        assert!(ev.iter().any(|e| matches!(e, Event::ReadyWait { .. })));
        assert_eq!(end, None);
        let mut o = obs("InProgress");
        o.termination_wait_started = true;
        let (ev, end) = w.observe(&o);
        assert!(ev
            .iter()
            .any(|e| matches!(e, Event::TerminationWait { .. })));
        assert_eq!(end, Some(Outcome::Reached("TerminationWait".into())));
    }

    #[test]
    fn wait_until_a_lifecycle_event_needs_it_succeeded() {
        let mut w = Watch::new(Some("AfterAllowTestTraffic".into()));
        let (_, end) = w.observe(&with_events(
            obs("InProgress"),
            &[("AfterAllowTestTraffic", "InProgress")],
        ));
        assert_eq!(end, None);
        let (_, end) = w.observe(&with_events(
            obs("InProgress"),
            &[("AfterAllowTestTraffic", "Succeeded")],
        ));
        assert_eq!(end, Some(Outcome::Reached("AfterAllowTestTraffic".into())));
    }

    #[test]
    fn task_set_changes_are_reported() {
        let mut w = Watch::new(None);
        let mut o = obs("InProgress");
        o.task_sets = vec![TaskSetObservation {
            label: "Blue".into(),
            desired: 1,
            running: 1,
            traffic_weight: 100.0,
            ..TaskSetObservation::default()
        }];
        let (ev, _) = w.observe(&o);
        let line = ev
            .iter()
            .find(|e| matches!(e, Event::TaskSets { .. }))
            .unwrap()
            .human();
        assert_eq!(line, "task sets: blue 1/1 running, 100% traffic");
        let (ev, _) = w.observe(&o);
        assert!(ev.is_empty());
    }

    #[test]
    fn json_events_are_tagged() {
        let e = Event::Lifecycle {
            name: "Install".into(),
            status: "Succeeded".into(),
            diagnostics: None,
        };
        let v = serde_json::to_value(&e).unwrap();
        assert_eq!(v["event"], "lifecycle");
        assert_eq!(v["name"], "Install");
    }

    #[test]
    fn durations_parse_and_reject() {
        assert_eq!(parse_duration("90s").unwrap(), Duration::from_secs(90));
        assert_eq!(parse_duration("20m").unwrap(), Duration::from_secs(1200));
        assert_eq!(parse_duration("1h30m").unwrap(), Duration::from_secs(5400));
        assert_eq!(parse_duration("500ms").unwrap(), Duration::from_millis(500));
        assert_eq!(parse_duration("42").unwrap(), Duration::from_secs(42));
        assert!(parse_duration("5x").unwrap_err().contains("unknown unit"));
        assert!(parse_duration("m").is_err());
        assert!(parse_duration("").is_err());
    }

    #[test]
    fn deployment_ids_are_checked() {
        assert!(check_deployment_id("d-ABCDE1234").is_ok());
        let err = check_deployment_id("abc").unwrap_err();
        assert_eq!(Code::from_error(&err), Code::BadInput);
        assert!(check_deployment_id("d-abcde1234").is_err());
    }

    #[test]
    fn clock_formats() {
        assert_eq!(clock(Duration::from_secs(65)), "1:05");
        assert_eq!(clock(Duration::from_secs(3725)), "1:02:05");
    }
}
