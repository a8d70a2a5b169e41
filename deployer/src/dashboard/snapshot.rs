//! What the page shows: one [`Snapshot`] per poll of the stack, and the probe's
//! [`ProbeSeries`]. Plain data (serde), built by a [`super::Source`], serialized once per
//! change and sent to every connected page.

#![warn(unreachable_pub)]

use serde::{Deserialize, Serialize};

/// One poll of the stack: listeners, task sets, tasks, the deployment in flight and the
/// last deployments. Times are epoch milliseconds (the page formats them).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    /// `AWS` or `local`.
    pub environment: String,
    pub cluster: String,
    pub service: String,
    /// When the poll that built this snapshot finished.
    pub taken_at_ms: u64,
    /// Production first, then the test listener (if any).
    pub listeners: Vec<Listener>,
    pub task_sets: Vec<TaskSet>,
    pub tasks: Vec<Task>,
    /// The deployment in flight, or the last one when none is.
    pub deployment: Option<Deployment>,
    /// The last deployments, newest first.
    pub recent: Vec<DeploymentLine>,
    /// Where [`Snapshot::logs`] come from (a log group), or `None` when the source does
    /// not read logs.
    pub logs_source: Option<String>,
    /// The tail of the service's logs, oldest first.
    pub logs: Vec<LogLine>,
    /// Why the last read of the logs failed (the rest of the snapshot is still good).
    pub logs_error: Option<String>,
    /// The alarms CodeDeploy watches (the deployment group's alarm configuration), in name
    /// order: CodeDeploy stops a deployment when one is in ALARM.
    pub alarms: Vec<Alarm>,
    /// Why the last read of the alarms failed (the rest of the snapshot is still good).
    pub alarms_error: Option<String>,
    /// The error of the last poll, when it failed (the rest is then the last good poll's).
    pub error: Option<String>,
}

/// One alarm of the deployment group, as DescribeAlarms answered it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Alarm {
    pub name: String,
    /// `OK`, `ALARM` or `INSUFFICIENT_DATA`.
    pub state: String,
    /// CloudWatch's reason for the state, with the datapoint that crossed the threshold.
    pub reason: String,
    /// The metric's newest value in the evaluation, when the reason data has it.
    pub value: Option<f64>,
    /// `Http5xx Sum >= 5`.
    pub rule: String,
    /// When the alarm last changed state.
    pub changed_ms: Option<u64>,
}

/// A Lambda hook of the deployment's AppSpec and how its lifecycle event went.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Hook {
    /// The lifecycle event that runs it (`AfterAllowTestTraffic`).
    pub event: String,
    /// The function's name (the last part of an ARN).
    pub function: String,
    /// The lifecycle event's status: `Pending` (not started), `InProgress` (the function
    /// runs; CodeDeploy waits for its status), `Succeeded`, `Failed`, `Skipped`.
    pub status: String,
    pub start_ms: Option<u64>,
    pub end_ms: Option<u64>,
    /// The failing check of a failed hook, from its report in its log.
    pub check: Option<String>,
    /// Both sides' figures from that report: `green p99 1.2 ms (0/40 errors), blue ...`.
    pub figures: Option<String>,
    /// Where its log lines come from: `/aws/lambda/<function>`.
    pub log_group: String,
    /// The last lines of its log, read when the hook failed (empty otherwise).
    pub log_lines: Vec<String>,
    /// Why those lines could not be read.
    pub log_error: Option<String>,
}

/// Which release guard stopped a deployment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Guard {
    /// A validation hook reported Failed (or did not answer in time).
    Hook,
    /// An alarm of the deployment group went to ALARM.
    Alarm,
    /// The replacement's tasks did not become healthy.
    HealthCheck,
    /// Someone stopped it (StopDeployment: `deployer rollback`, the console, the page).
    User,
    /// A wait of the deployment ran out.
    Timeout,
    /// Anything else CodeDeploy reported.
    Error,
}

/// The guard that stopped a deployment, and a sentence that names it with its evidence
/// (`the validation hook demo-validate (AfterAllowTestTraffic): <the failing check>`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoppedBy {
    pub guard: Guard,
    pub text: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Listener {
    /// `production` or `test`.
    pub role: String,
    pub port: Option<i32>,
    /// Where it forwards, with weights.
    pub forwards: Vec<Forward>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Forward {
    pub target_group: String,
    /// `blue`, `green` or empty when unknown.
    pub color: String,
    pub weight: i32,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TaskSet {
    pub id: String,
    /// `PRIMARY` or `ACTIVE` (ECS), `DRAINING`.
    pub status: String,
    pub target_group: Option<String>,
    pub color: String,
    /// `family:revision`.
    pub revision: Option<String>,
    pub image: Option<String>,
    pub desired: i32,
    pub pending: i32,
    pub running: i32,
    /// ECS's scale of the task set (capacity), percent.
    pub scale_percent: Option<f64>,
    /// Share of production traffic that reaches this task set's target group, percent.
    pub traffic_percent: f64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Task {
    pub id: String,
    pub task_set: Option<String>,
    pub color: String,
    pub availability_zone: Option<String>,
    /// ECS `lastStatus`: `PROVISIONING`, `RUNNING`, `STOPPED`...
    pub last_status: String,
    /// ECS container health: `HEALTHY`, `UNHEALTHY`, `UNKNOWN`.
    pub health: String,
    /// ELB target health: `healthy`, `initial`, `unhealthy`, `draining`, or empty when the
    /// task is not registered.
    pub target_health: String,
    /// `ip:port` of the target.
    pub target: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Deployment {
    pub id: String,
    /// CodeDeploy status: `Created`, `Queued`, `InProgress`, `Ready`, `Succeeded`,
    /// `Failed`, `Stopped`.
    pub status: String,
    /// True while the deployment has not reached an end state.
    pub in_flight: bool,
    pub created_ms: Option<u64>,
    pub completed_ms: Option<u64>,
    pub description: Option<String>,
    pub error: Option<String>,
    /// CodeDeploy's `creator`: `user`, `codeDeployRollback` (a rollback CodeDeploy
    /// started), `autoscaling`...
    pub creator: Option<String>,
    /// The deployment this one rolls back, when it is an automatic or manual rollback.
    pub rollback_of: Option<String>,
    /// The rollback deployment CodeDeploy started for this one.
    pub rolled_back_by: Option<String>,
    pub lifecycle: Vec<LifecycleEvent>,
    /// The Lambda hooks of its AppSpec (the validation hook), in the AppSpec's order.
    pub hooks: Vec<Hook>,
    /// Which guard stopped it, when it failed or was stopped.
    pub stopped_by: Option<StoppedBy>,
    /// What the page may offer now (only when actions are on).
    pub actions: Vec<ActionKind>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LifecycleEvent {
    pub name: String,
    /// `Pending`, `InProgress`, `Succeeded`, `Failed`, `Skipped`.
    pub status: String,
    pub start_ms: Option<u64>,
    pub end_ms: Option<u64>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DeploymentLine {
    pub id: String,
    pub status: String,
    pub created_ms: Option<u64>,
    pub completed_ms: Option<u64>,
    pub description: Option<String>,
    pub error: Option<String>,
    pub rollback_of: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LogLine {
    pub at_ms: u64,
    /// The log stream (task) it came from.
    pub stream: String,
    /// The task's id, shortened (8 characters, as the ECS console shows them).
    pub task: String,
    /// The line's level (`INFO`, `WARN`...), `-` when it has none.
    pub level: String,
    /// The message, then the line's other fields as `key=value` (as `deployer logs` shows).
    pub message: String,
}

/// What the dashboard can do to a deployment (with `--allow-actions`): the same calls as
/// `deployer continue` and `deployer rollback`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ActionKind {
    /// ContinueDeployment(READY_WAIT): let production traffic switch.
    Approve,
    /// ContinueDeployment(TERMINATION_WAIT): stop the original tasks now.
    EndWait,
    /// StopDeployment with auto-rollback.
    Rollback,
}

impl ActionKind {
    pub const ALL: [ActionKind; 3] = [Self::Approve, Self::EndWait, Self::Rollback];

    /// The name in URLs and JSON (`approve`, `end-wait`, `rollback`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Approve => "approve",
            Self::EndWait => "end-wait",
            Self::Rollback => "rollback",
        }
    }

    pub(crate) fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == name)
    }
}

/// Answers the NLB gave the probe, per second, by version, over the last minutes.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ProbeSeries {
    /// What is probed (the production listener's URL).
    pub target: String,
    /// Probes per second.
    pub rate_per_second: u32,
    /// Width of the window, seconds.
    pub window_seconds: u32,
    /// One bucket per second that had answers, oldest first.
    pub buckets: Vec<ProbeBucket>,
    /// Every version seen in the window, in order of first appearance; `error` for
    /// failed probes.
    pub versions: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ProbeBucket {
    /// Start of the second, epoch seconds.
    pub second: u64,
    /// Answers per version (same order as [`ProbeSeries::versions`]; zeros included).
    pub counts: Vec<u32>,
}

/// Now, in epoch milliseconds, as snapshots stamp it (`deployer_models::time`'s clock).
pub fn now_ms() -> u64 {
    deployer_models::time::now_millis() as u64
}

/// Share of the listener's traffic that goes to `target_group`, percent (0 when the
/// listener forwards nowhere).
pub fn traffic_percent(listener: &Listener, target_group: &str) -> f64 {
    let total: i64 = listener
        .forwards
        .iter()
        .map(|f| i64::from(f.weight.max(0)))
        .sum();
    if total == 0 {
        return 0.0;
    }
    let mine: i64 = listener
        .forwards
        .iter()
        .filter(|f| f.target_group == target_group)
        .map(|f| i64::from(f.weight.max(0)))
        .sum();
    mine as f64 * 100.0 / total as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fwd(tg: &str, weight: i32) -> Forward {
        Forward {
            target_group: tg.into(),
            color: String::new(),
            weight,
        }
    }

    #[test]
    fn traffic_percent_follows_weights() {
        let l = Listener {
            role: "production".into(),
            port: Some(80),
            forwards: vec![fwd("demo-blue", 1), fwd("demo-green", 3)],
        };
        assert_eq!(traffic_percent(&l, "demo-blue"), 25.0);
        assert_eq!(traffic_percent(&l, "demo-green"), 75.0);
        assert_eq!(traffic_percent(&l, "other"), 0.0);
        let none = Listener::default();
        assert_eq!(traffic_percent(&none, "demo-blue"), 0.0);
    }

    #[test]
    fn action_names_round_trip() {
        for k in ActionKind::ALL {
            assert_eq!(ActionKind::parse(k.as_str()), Some(k));
            assert_eq!(
                serde_json::to_value(k).unwrap(),
                serde_json::json!(k.as_str())
            );
        }
        assert_eq!(ActionKind::parse("Approve"), None);
    }
}
