//! CodeDeploy's state as data: deployments with their lifecycle events and target
//! status, the group's blue/green settings, with AWS's statuses. [`super::backend`] holds
//! the operations on them. Deployments are serde types: the stack keeps them on disk
//! ([`crate::runtime::records`]).

use deployer_models::time::now_secs as now;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use strum::{EnumString, IntoStaticStr};

#[derive(Debug, Clone, Copy, PartialEq, Eq, IntoStaticStr, EnumString, Serialize, Deserialize)]
pub(crate) enum DeploymentStatus {
    Created,
    Queued,
    InProgress,
    /// Valid in the API, never reached by ECS deployments.
    Baking,
    Ready,
    Succeeded,
    Failed,
    Stopped,
}

impl DeploymentStatus {
    pub(crate) fn as_str(self) -> &'static str {
        self.into()
    }
    pub(crate) fn is_done(self) -> bool {
        matches!(
            self,
            DeploymentStatus::Succeeded | DeploymentStatus::Failed | DeploymentStatus::Stopped
        )
    }
}

/// The status of one lifecycle event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, IntoStaticStr, Serialize, Deserialize)]
pub(crate) enum EventStatus {
    Pending,
    InProgress,
    Succeeded,
    Failed,
    Skipped,
}

/// The status of the deployment's one target (the ECS service).
#[derive(Debug, Clone, Copy, PartialEq, Eq, IntoStaticStr, Serialize, Deserialize)]
pub(crate) enum TargetStatus {
    Pending,
    InProgress,
    Succeeded,
    Failed,
    Ready,
}

/// `errorInformation.code` of a deployment that did not succeed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, IntoStaticStr, Serialize, Deserialize)]
#[strum(serialize_all = "SCREAMING_SNAKE_CASE")]
pub(crate) enum FailureCode {
    InvalidRevision,
    InvalidEcsService,
    EcsUpdateError,
    Timeout,
    ManualStop,
    /// A lifecycle hook function reported Failed, or no status within the hook timeout.
    HookExecutionFailure,
    /// "There was an internal error" (the API reference's `ErrorInformation`): the local
    /// stack stopped while the deployment ran (its tasks went with it).
    InternalError,
    /// An alarm of the deployment group's alarm configuration went to ALARM.
    AlarmActive,
}

/// The lifecycle events of an ECS blue/green deployment, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, IntoStaticStr, Serialize, Deserialize)]
pub(crate) enum Hook {
    BeforeInstall,
    Install,
    AfterInstall,
    AllowTestTraffic,
    AfterAllowTestTraffic,
    BeforeAllowTraffic,
    AllowTraffic,
    AfterAllowTraffic,
}

impl Hook {
    pub(crate) const ALL: [Hook; 8] = [
        Hook::BeforeInstall,
        Hook::Install,
        Hook::AfterInstall,
        Hook::AllowTestTraffic,
        Hook::AfterAllowTestTraffic,
        Hook::BeforeAllowTraffic,
        Hook::AllowTraffic,
        Hook::AfterAllowTraffic,
    ];
    pub(crate) fn as_str(self) -> &'static str {
        self.into()
    }
}

/// What a hook function reported with PutLifecycleEventHookExecutionStatus.
#[derive(Debug, Clone, Copy, PartialEq, Eq, IntoStaticStr, EnumString, Serialize, Deserialize)]
pub(crate) enum HookStatus {
    Succeeded,
    Failed,
}

/// One invocation of a lifecycle hook function: CodeDeploy waits for its status.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct HookExecution {
    /// `LifecycleEventHookExecutionId`, the id the function reports its status with.
    pub(crate) id: String,
    pub(crate) hook: Hook,
    pub(crate) function: String,
    pub(crate) status: Option<HookStatus>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct LifecycleEvent {
    pub(crate) hook: Hook,
    pub(crate) status: EventStatus,
    pub(crate) start: Option<f64>,
    pub(crate) end: Option<f64>,
    pub(crate) message: Option<String>,
}

/// What the deployment does: roll a new revision out, or put traffic back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum DeploymentKind {
    /// Roll out the task definition of the AppSpec.
    Rollout,
    /// Roll back the deployment with this id.
    Rollback { of: String },
}

/// What an ECS AppSpec says: the task definition, and the load balancer's container. The
/// workspace's one lenient reader (YAML or JSON, keys in any case, as `aws ecs deploy`
/// treats them), which the deployer's history uses too.
pub(crate) use deployer_models::appspec::Target as AppSpec;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Deployment {
    pub(crate) id: String,
    pub(crate) kind: DeploymentKind,
    /// The revision (`RevisionLocation` JSON) as given.
    pub(crate) revision: Value,
    pub(crate) previous_revision: Option<Value>,
    /// Parsed from the revision (rollouts).
    pub(crate) appspec: Option<AppSpec>,
    pub(crate) description: Option<String>,
    #[serde(deserialize_with = "creator")]
    pub(crate) creator: Creator,
    pub(crate) status: DeploymentStatus,
    pub(crate) error: Option<(FailureCode, String)>,
    pub(crate) create_time: f64,
    pub(crate) start_time: Option<f64>,
    pub(crate) complete_time: Option<f64>,
    pub(crate) auto_rollback: bool,
    /// Roll back when an alarm stops it (DEPLOYMENT_STOP_ON_ALARM).
    pub(crate) rollback_on_alarm: bool,
    pub(crate) rollback_id: Option<String>,
    pub(crate) rollback_message: Option<String>,
    pub(crate) events: Vec<LifecycleEvent>,
    pub(crate) target_status: TargetStatus,
    pub(crate) target_updated: f64,
    pub(crate) termination_wait_started: bool,
    pub(crate) status_messages: Vec<String>,
    /// Task set ids: (original, replacement), known once Install starts.
    pub(crate) original: Option<String>,
    pub(crate) replacement: Option<String>,
    /// Traffic is on the replacement.
    pub(crate) switched: bool,
    // Requests from the API, consumed by the lifecycle engine.
    pub(crate) continue_ready: bool,
    pub(crate) continue_termination: bool,
    pub(crate) stop: Option<bool>,
    /// The hook functions invoked so far, in order.
    pub(crate) hook_executions: Vec<HookExecution>,
}

/// `creator`, one of [`CREATORS`] (an alias: serde's derive would borrow a `&'static str`
/// field from its input, which it cannot for `'static`).
pub(crate) type Creator = &'static str;

/// Who created a deployment (`creator`): the values the stack writes.
pub(crate) const CREATORS: [&str; 2] = ["user", "codeDeployRollback"];

/// Reads a recorded `creator` back as one of [`CREATORS`].
fn creator<'de, D: serde::Deserializer<'de>>(d: D) -> Result<&'static str, D::Error> {
    let s = String::deserialize(d)?;
    CREATORS
        .into_iter()
        .find(|c| *c == s)
        .ok_or_else(|| serde::de::Error::custom(format!("unknown deployment creator {s:?}")))
}

impl Deployment {
    pub(crate) fn new(
        id: String,
        kind: DeploymentKind,
        revision: Value,
        creator: &'static str,
    ) -> Self {
        let t = now();
        Deployment {
            id,
            kind,
            revision,
            previous_revision: None,
            appspec: None,
            description: None,
            creator,
            status: DeploymentStatus::Created,
            error: None,
            create_time: t,
            start_time: None,
            complete_time: None,
            auto_rollback: true,
            rollback_on_alarm: true,
            rollback_id: None,
            rollback_message: None,
            events: Hook::ALL
                .iter()
                .map(|&hook| LifecycleEvent {
                    hook,
                    status: EventStatus::Pending,
                    start: None,
                    end: None,
                    message: None,
                })
                .collect(),
            target_status: TargetStatus::Pending,
            target_updated: t,
            termination_wait_started: false,
            status_messages: Vec::new(),
            original: None,
            replacement: None,
            switched: false,
            continue_ready: false,
            continue_termination: false,
            stop: None,
            hook_executions: Vec::new(),
        }
    }

    /// Sets the deployment status and the target status with it.
    pub(crate) fn set_status(&mut self, status: DeploymentStatus, target: TargetStatus) {
        self.status = status;
        self.target_status = target;
        self.target_updated = now();
    }
}

/// The CodeDeploy deployment group's blue/green settings (from `local up` flags).
#[derive(Debug, Clone, Default)]
pub(crate) struct GroupSettings {
    pub(crate) ready_stop: bool,
    pub(crate) ready_wait: std::time::Duration,
    pub(crate) termination_wait: std::time::Duration,
    pub(crate) auto_rollback: bool,
    /// The alarm configuration's alarms (empty: disabled): one in ALARM stops a deployment.
    pub(crate) alarms: Vec<String>,
}

/// A deployment a CreateDeployment request asks for.
#[derive(Debug, Clone)]
pub(crate) struct NewDeployment {
    pub(crate) revision: Value,
    pub(crate) appspec: AppSpec,
    pub(crate) description: Option<String>,
    pub(crate) auto_rollback: bool,
}

/// Which wait ContinueDeployment ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, EnumString)]
#[strum(serialize_all = "SCREAMING_SNAKE_CASE")]
pub(crate) enum WaitType {
    ReadyWait,
    TerminationWait,
}
