//! ECS's state as data: task definitions' launch settings, task sets, tasks, the service,
//! with AWS's statuses. [`super::backend`] holds the operations on them. The service's
//! records are serde types: the stack keeps them on disk ([`crate::runtime::records`]).

use super::taskdef::TaskDefinition;
use crate::names::CONTAINER;
use serde::{Deserialize, Serialize};
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::IntoStaticStr, Serialize, Deserialize)]
#[strum(serialize_all = "SCREAMING_SNAKE_CASE")]
pub(crate) enum TaskStatus {
    Pending,
    Running,
    Deprovisioning,
    Stopped,
}

impl TaskStatus {
    pub(crate) fn as_str(self) -> &'static str {
        self.into()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::IntoStaticStr, Serialize, Deserialize)]
#[strum(serialize_all = "SCREAMING_SNAKE_CASE")]
pub(crate) enum Health {
    Unknown,
    Healthy,
    Unhealthy,
}

impl Health {
    pub(crate) fn as_str(self) -> &'static str {
        self.into()
    }
}

/// Why a task stopped (ECS `stopCode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::IntoStaticStr, Serialize, Deserialize)]
pub(crate) enum StopCode {
    /// `deployer local down` or Ctrl-C.
    UserInitiated,
    /// Its task set was deleted.
    ServiceSchedulerInitiated,
    /// It failed its container health check.
    TaskFailedToStart,
    /// The process exited on its own.
    EssentialContainerExited,
}

/// How many Availability Zones the local service spreads its tasks over.
pub(crate) const AZ_COUNT: usize = 2;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Task {
    pub(crate) id: String,
    pub(crate) arn: String,
    pub(crate) task_set_id: String,
    pub(crate) task_def_arn: String,
    pub(crate) image: String,
    pub(crate) version: String,
    pub(crate) port: u16,
    pub(crate) pid: Option<u32>,
    pub(crate) last_status: TaskStatus,
    pub(crate) desired_running: bool,
    pub(crate) health: Health,
    /// Whether the task definition has a container health check.
    pub(crate) has_health_check: bool,
    pub(crate) created_at: f64,
    pub(crate) started_at: Option<f64>,
    pub(crate) stopping_at: Option<f64>,
    pub(crate) stopped_at: Option<f64>,
    pub(crate) stopped_reason: Option<String>,
    pub(crate) stop_code: Option<StopCode>,
    pub(crate) exit_code: Option<i32>,
    pub(crate) log: String,
    /// The Availability Zone it was placed in (spread as the ECS scheduler spreads).
    pub(crate) az: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::IntoStaticStr, Serialize, Deserialize)]
#[strum(serialize_all = "SCREAMING_SNAKE_CASE")]
pub(crate) enum TaskSetStatus {
    Primary,
    Active,
    Draining,
}

impl TaskSetStatus {
    pub(crate) fn as_str(self) -> &'static str {
        self.into()
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct TaskSet {
    pub(crate) id: String,
    pub(crate) arn: String,
    pub(crate) task_def_arn: String,
    /// Index into [`crate::names::TG_NAMES`].
    pub(crate) tg: usize,
    pub(crate) status: TaskSetStatus,
    /// The CodeDeploy deployment that created it.
    pub(crate) external_id: Option<String>,
    pub(crate) created_at: f64,
    pub(crate) updated_at: f64,
    pub(crate) desired: u32,
    pub(crate) tasks: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct ServiceEvent {
    pub(crate) id: String,
    pub(crate) at: f64,
    pub(crate) message: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Service {
    pub(crate) created_at: f64,
    pub(crate) desired: u32,
    pub(crate) task_sets: Vec<TaskSet>,
    pub(crate) events: Vec<ServiceEvent>,
}

/// A task being started: what [`crate::world::World::record_task`] needs to know of it.
#[derive(Debug, Clone)]
pub(crate) struct NewTask {
    pub(crate) id: String,
    pub(crate) image: String,
    pub(crate) version: String,
    pub(crate) port: u16,
    pub(crate) pid: Option<u32>,
    pub(crate) has_health_check: bool,
    pub(crate) log: String,
}

/// What a task runs, read from its task definition.
#[derive(Debug, Clone)]
pub(crate) struct Launch {
    pub(crate) image: String,
    pub(crate) env: Vec<(String, String)>,
    pub(crate) args: Vec<String>,
    pub(crate) health: Option<HealthCheck>,
    pub(crate) stop_timeout: Option<Duration>,
}

#[derive(Debug, Clone)]
pub(crate) struct HealthCheck {
    /// Program and arguments (`/demo` mapped to the local demo binary).
    pub(crate) argv: Vec<String>,
    pub(crate) shell: bool,
    pub(crate) timeout: Duration,
    pub(crate) retries: u32,
    pub(crate) start_period: Duration,
}

/// Reads the container named `demo` (else the first essential one) of a task definition.
pub(crate) fn launch_of(task_def: &TaskDefinition) -> anyhow::Result<Launch> {
    use anyhow::anyhow;
    let c = task_def
        .container(CONTAINER)
        .ok_or_else(|| anyhow!("task definition has no container named {CONTAINER:?}"))?;
    if c.image.is_empty() {
        return Err(anyhow!("container {:?} has no image", c.name));
    }
    let env = c
        .environment
        .iter()
        .flatten()
        .filter_map(|v| Some((v.name.clone()?, v.value.clone().unwrap_or_default())))
        .collect();
    let secs = |v: Option<i64>, default: u64| {
        Duration::from_secs(v.and_then(|v| u64::try_from(v).ok()).unwrap_or(default))
    };
    let health = match &c.health_check {
        Some(hc) if !hc.command.is_empty() => {
            let words = &hc.command;
            let (shell, argv) = match words[0].as_str() {
                "CMD" => (false, words[1..].to_vec()),
                "CMD-SHELL" => (true, words[1..].to_vec()),
                _ => (false, words.clone()),
            };
            if argv.is_empty() {
                return Err(anyhow!("healthCheck.command {words:?} has no program"));
            }
            Some(HealthCheck {
                argv,
                shell,
                timeout: secs(hc.timeout, 5),
                retries: hc
                    .retries
                    .and_then(|r| u32::try_from(r).ok())
                    .unwrap_or(3)
                    .max(1),
                start_period: secs(hc.start_period, 0),
            })
        }
        _ => None,
    };
    let stop_timeout = c
        .stop_timeout
        .and_then(|t| u64::try_from(t).ok())
        .map(Duration::from_secs);
    Ok(Launch {
        image: c.image.clone(),
        env,
        args: c.command.clone().unwrap_or_default(),
        health,
        stop_timeout,
    })
}
