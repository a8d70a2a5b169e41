//! The CodeDeploy model and its operations on the [`World`]: deployments with their
//! lifecycle events and target status, the group's blue/green settings, the AppSpec.
//! The engine that moves a deployment along is [`super::lifecycle`].

use serde_json::Value;

use super::Error;
use crate::error::ApiError;
use crate::model::{now, random_id, World, GROUP_NAME, UPPER_ALNUM};

#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::IntoStaticStr, strum::EnumString)]
pub enum DeploymentStatus {
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
    pub fn as_str(self) -> &'static str {
        self.into()
    }
    pub fn is_done(self) -> bool {
        matches!(
            self,
            DeploymentStatus::Succeeded | DeploymentStatus::Failed | DeploymentStatus::Stopped
        )
    }
}

/// The status of one lifecycle event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::IntoStaticStr)]
pub enum EventStatus {
    Pending,
    InProgress,
    Succeeded,
    Failed,
    Skipped,
}

/// The status of the deployment's one target (the ECS service).
#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::IntoStaticStr)]
pub enum TargetStatus {
    Pending,
    InProgress,
    Succeeded,
    Failed,
    Skipped,
    Ready,
}

/// `errorInformation.code` of a deployment that did not succeed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::IntoStaticStr)]
#[strum(serialize_all = "SCREAMING_SNAKE_CASE")]
pub enum FailureCode {
    InvalidRevision,
    InvalidEcsService,
    EcsUpdateError,
    Timeout,
    ManualStop,
}

/// The lifecycle events of an ECS blue/green deployment, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::IntoStaticStr)]
pub enum Hook {
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
    pub const ALL: [Hook; 8] = [
        Hook::BeforeInstall,
        Hook::Install,
        Hook::AfterInstall,
        Hook::AllowTestTraffic,
        Hook::AfterAllowTestTraffic,
        Hook::BeforeAllowTraffic,
        Hook::AllowTraffic,
        Hook::AfterAllowTraffic,
    ];
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

#[derive(Debug, Clone)]
pub struct LifecycleEvent {
    pub hook: Hook,
    pub status: EventStatus,
    pub start: Option<f64>,
    pub end: Option<f64>,
    pub message: Option<String>,
}

/// What the deployment does: roll a new revision out, or put traffic back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeploymentKind {
    /// Roll out the task definition of the AppSpec.
    Rollout,
    /// Roll back the deployment with this id.
    Rollback { of: String },
}

/// What an ECS AppSpec says: the task definition, and the load balancer's container.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppSpec {
    pub task_definition: String,
    pub container_name: Option<String>,
    pub container_port: Option<u64>,
}

impl AppSpec {
    /// Parses an ECS AppSpec (YAML or JSON; keys are case-insensitive, as `aws ecs deploy`
    /// treats them).
    pub fn parse(content: &str) -> Result<AppSpec, String> {
        let doc: Value = serde_yaml_ng::from_str(content)
            .map_err(|e| format!("the AppSpec is not YAML or JSON: {e}"))?;
        fn get<'a>(v: &'a Value, key: &str) -> Option<&'a Value> {
            v.as_object()?
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(key))
                .map(|(_, v)| v)
        }
        let resources = get(&doc, "Resources")
            .and_then(Value::as_array)
            .ok_or("the AppSpec has no Resources list")?;
        let first = resources
            .first()
            .and_then(Value::as_object)
            .and_then(|o| o.values().next())
            .ok_or("the AppSpec's Resources list is empty")?;
        let ty = get(first, "Type").and_then(Value::as_str).unwrap_or("");
        if ty != "AWS::ECS::Service" {
            return Err(format!(
                "the AppSpec resource Type is {ty:?}, not \"AWS::ECS::Service\""
            ));
        }
        let props = get(first, "Properties").ok_or("the AppSpec resource has no Properties")?;
        let td = get(props, "TaskDefinition")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .ok_or("the AppSpec resource has no Properties.TaskDefinition")?;
        let lb = get(props, "LoadBalancerInfo");
        let container_name = lb
            .and_then(|l| get(l, "ContainerName"))
            .and_then(Value::as_str)
            .map(String::from);
        let container_port = lb.and_then(|l| get(l, "ContainerPort")).and_then(|p| {
            p.as_u64()
                .or_else(|| p.as_str().and_then(|s| s.parse().ok()))
        });
        Ok(AppSpec {
            task_definition: td.to_string(),
            container_name,
            container_port,
        })
    }
}

#[derive(Debug, Clone)]
pub struct Deployment {
    pub id: String,
    pub kind: DeploymentKind,
    /// The revision (`RevisionLocation` JSON) as given.
    pub revision: Value,
    pub previous_revision: Option<Value>,
    /// Parsed from the revision (rollouts).
    pub appspec: Option<AppSpec>,
    pub description: Option<String>,
    pub creator: &'static str,
    pub status: DeploymentStatus,
    pub error: Option<(FailureCode, String)>,
    pub create_time: f64,
    pub start_time: Option<f64>,
    pub complete_time: Option<f64>,
    pub auto_rollback: bool,
    pub rollback_id: Option<String>,
    pub rollback_message: Option<String>,
    pub events: Vec<LifecycleEvent>,
    pub target_status: TargetStatus,
    pub target_updated: f64,
    pub termination_wait_started: bool,
    pub status_messages: Vec<String>,
    /// Task set ids: (original, replacement), known once Install starts.
    pub original: Option<String>,
    pub replacement: Option<String>,
    /// Traffic is on the replacement.
    pub switched: bool,
    // Requests from the API, consumed by the lifecycle engine.
    pub continue_ready: bool,
    pub continue_termination: bool,
    pub stop: Option<bool>,
}

impl Deployment {
    pub fn new(id: String, kind: DeploymentKind, revision: Value, creator: &'static str) -> Self {
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
        }
    }

    /// Sets the deployment status and the target status with it.
    fn set_status(&mut self, status: DeploymentStatus, target: TargetStatus) {
        self.status = status;
        self.target_status = target;
        self.target_updated = now();
    }
}

/// The CodeDeploy deployment group's blue/green settings (from `local up` flags).
#[derive(Debug, Clone)]
pub struct GroupSettings {
    pub ready_stop: bool,
    pub ready_wait: std::time::Duration,
    pub termination_wait: std::time::Duration,
    pub auto_rollback: bool,
}

/// A deployment a CreateDeployment request asks for.
#[derive(Debug, Clone)]
pub struct NewDeployment {
    pub revision: Value,
    pub appspec: AppSpec,
    pub description: Option<String>,
    pub auto_rollback: bool,
}

/// Which wait ContinueDeployment ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::EnumString)]
#[strum(serialize_all = "SCREAMING_SNAKE_CASE")]
pub enum WaitType {
    ReadyWait,
    TerminationWait,
}

/// How a deployment ended that did not succeed, and what is left to undo.
#[derive(Debug, Clone)]
pub struct Ended {
    /// The rollback deployment created, if any.
    pub rollback: Option<String>,
    pub original: Option<String>,
    pub replacement: Option<String>,
    pub switched: bool,
}

fn new_deployment_id() -> String {
    format!("d-{}", random_id(9, UPPER_ALNUM))
}

pub fn not_found(id: &str) -> ApiError {
    ApiError::new(
        Error::DeploymentDoesNotExistException,
        format!("The deployment {id} could not be found."),
    )
}

fn already_completed(d: &Deployment) -> ApiError {
    ApiError::new(
        Error::DeploymentAlreadyCompletedException,
        format!(
            "The deployment {} is already completed ({}).",
            d.id,
            d.status.as_str()
        ),
    )
}

impl World {
    pub fn deployment(&self, id: &str) -> Option<&Deployment> {
        self.deployments.iter().find(|d| d.id == id)
    }

    pub fn deployment_mut(&mut self, id: &str) -> Option<&mut Deployment> {
        self.deployments.iter_mut().find(|d| d.id == id)
    }

    pub fn active_deployment(&self) -> Option<&Deployment> {
        self.deployments.iter().find(|d| !d.status.is_done())
    }

    /// Records a new rollout (one at a time per group); returns its id. The caller starts
    /// the lifecycle.
    pub fn create_deployment(&mut self, new: NewDeployment) -> Result<String, ApiError> {
        if let Some(active) = self.active_deployment() {
            return Err(ApiError::new(
                Error::DeploymentLimitExceededException,
                format!(
                    "The Deployment Group '{GROUP_NAME}' already has an active Deployment '{}'",
                    active.id
                ),
            ));
        }
        let id = new_deployment_id();
        let mut d = Deployment::new(id.clone(), DeploymentKind::Rollout, new.revision, "user");
        d.appspec = Some(new.appspec);
        d.description = new.description;
        d.auto_rollback = new.auto_rollback;
        d.previous_revision = Some(self.current_revision.clone()).filter(|r| !r.is_null());
        self.deployments.push(d);
        self.last_attempted = Some(id.clone());
        tracing::info!(target: "codedeploy", "deployment {id} created");
        Ok(id)
    }

    /// ContinueDeployment: ends the ready wait or the termination wait.
    pub fn continue_deployment(&mut self, id: &str, wait: WaitType) -> Result<(), ApiError> {
        let d = self.deployment_mut(id).ok_or_else(|| not_found(id))?;
        if d.status.is_done() {
            return Err(already_completed(d));
        }
        match wait {
            WaitType::ReadyWait => {
                if d.status != DeploymentStatus::Ready {
                    return Err(ApiError::new(
                        Error::DeploymentIsNotInReadyStateException,
                        format!(
                            "The deployment {id} is not in the Ready state (it is {}).",
                            d.status.as_str()
                        ),
                    ));
                }
                d.continue_ready = true;
            }
            WaitType::TerminationWait => {
                if !d.termination_wait_started {
                    return Err(ApiError::new(
                        Error::DeploymentIsNotInReadyStateException,
                        format!(
                            "The deployment {id} is not waiting to terminate the original task set."
                        ),
                    ));
                }
                d.continue_termination = true;
            }
        }
        Ok(())
    }

    /// StopDeployment: asks the lifecycle to stop (and roll back if `rollback`).
    pub fn stop_deployment(&mut self, id: &str, rollback: bool) -> Result<(), ApiError> {
        let d = self.deployment_mut(id).ok_or_else(|| not_found(id))?;
        if d.status.is_done() {
            return Err(already_completed(d));
        }
        if matches!(d.kind, DeploymentKind::Rollback { .. }) {
            return Err(ApiError::new(
                Error::UnsupportedActionForDeploymentTypeException,
                format!("The deployment {id} is a rollback: it cannot be stopped."),
            ));
        }
        d.stop = Some(rollback);
        Ok(())
    }

    /// The lifecycle engine picked the deployment up.
    pub fn start_deployment(&mut self, id: &str) {
        if let Some(d) = self.deployment_mut(id) {
            d.set_status(DeploymentStatus::InProgress, TargetStatus::InProgress);
            d.start_time = Some(now());
        }
    }

    pub fn begin_hook(&mut self, id: &str, hook: Hook) {
        if let Some(d) = self.deployment_mut(id) {
            let e = &mut d.events[hook as usize];
            e.status = EventStatus::InProgress;
            e.start = Some(now());
            d.target_updated = now();
        }
    }

    pub fn hook_succeeded(&mut self, id: &str, hook: Hook) {
        if let Some(d) = self.deployment_mut(id) {
            let e = &mut d.events[hook as usize];
            e.status = EventStatus::Succeeded;
            e.end = Some(now());
            d.target_updated = now();
        }
    }

    /// The ready wait began (`true`) or ended (`false`).
    pub fn set_ready(&mut self, id: &str, ready: bool) {
        if let Some(d) = self.deployment_mut(id) {
            if ready {
                d.set_status(DeploymentStatus::Ready, TargetStatus::Ready);
            } else {
                d.set_status(DeploymentStatus::InProgress, TargetStatus::InProgress);
            }
        }
    }

    /// Deployment `id` ended well: it becomes the group's last successful deployment.
    pub fn mark_succeeded(&mut self, id: &str) {
        self.last_successful = Some(id.to_string());
        if let Some(d) = self.deployment_mut(id) {
            d.set_status(DeploymentStatus::Succeeded, TargetStatus::Succeeded);
            d.complete_time = Some(now());
        }
    }

    /// Ends deployment `id` Failed or Stopped: the event in progress fails, the pending
    /// ones are skipped; with rollback (`rollback`, or the deployment's and the group's
    /// automatic rollback when it is `None`) a rollback deployment is created.
    pub fn end_deployment(
        &mut self,
        id: &str,
        status: DeploymentStatus,
        code: FailureCode,
        message: &str,
        rollback: Option<bool>,
    ) -> Option<Ended> {
        let group_rollback = self.group.auto_rollback;
        let previous = self.current_revision.clone();
        let d = self.deployment_mut(id)?;
        let mut failed_marked = false;
        for e in d.events.iter_mut() {
            if e.status == EventStatus::InProgress {
                e.status = EventStatus::Failed;
                e.end = Some(now());
                e.message = Some(message.to_string());
                failed_marked = true;
            } else if e.status == EventStatus::Pending {
                e.status = EventStatus::Skipped;
            }
        }
        if !failed_marked && status == DeploymentStatus::Failed {
            d.status_messages.push(message.to_string());
        }
        d.set_status(status, TargetStatus::Failed);
        d.error = Some((code, message.to_string()));
        d.complete_time = Some(now());
        let do_rollback = rollback.unwrap_or(d.auto_rollback && group_rollback);
        let mut ended = Ended {
            rollback: None,
            original: d.original.clone(),
            replacement: d.replacement.clone(),
            switched: d.switched,
        };
        if do_rollback {
            let rid = new_deployment_id();
            let why = if status == DeploymentStatus::Failed {
                "failed"
            } else {
                "was stopped"
            };
            d.rollback_id = Some(rid.clone());
            d.rollback_message = Some(format!(
                "Automatic rollback triggered: deployment {id} {why}. Traffic goes back to the original task set ({rid})."
            ));
            let mut rb = Deployment::new(
                rid.clone(),
                DeploymentKind::Rollback { of: id.to_string() },
                previous,
                "codeDeployRollback",
            );
            rb.previous_revision = Some(d.revision.clone());
            rb.description = Some(format!("Rollback of {id}"));
            rb.rollback_message = Some(format!("Rollback of deployment {id} ({why})"));
            rb.original = ended.replacement.clone();
            rb.replacement = ended.original.clone();
            self.deployments.push(rb);
            self.last_attempted = Some(rid.clone());
            ended.rollback = Some(rid);
        }
        Some(ended)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn appspec_yaml_and_json_case_insensitive() {
        let yaml = "version: 0.0\nResources:\n  - TargetService:\n      Type: AWS::ECS::Service\n      Properties:\n        TaskDefinition: arn:aws:ecs:us-east-1:0:task-definition/demo:3\n        LoadBalancerInfo:\n          ContainerName: demo\n          ContainerPort: 3000\n";
        let a = AppSpec::parse(yaml).unwrap();
        assert_eq!(
            a.task_definition,
            "arn:aws:ecs:us-east-1:0:task-definition/demo:3"
        );
        assert_eq!(a.container_name.as_deref(), Some("demo"));
        assert_eq!(a.container_port, Some(3000));
        let json = r#"{"version": 0.0, "resources": [{"svc": {"type": "AWS::ECS::Service", "properties": {"taskDefinition": "demo:1", "loadBalancerInfo": {"containerName": "demo", "containerPort": "3000"}}}}]}"#;
        assert_eq!(
            AppSpec::parse(json).unwrap(),
            AppSpec {
                task_definition: "demo:1".into(),
                container_name: Some("demo".into()),
                container_port: Some(3000)
            }
        );
    }

    #[test]
    fn appspec_errors_name_the_field() {
        assert!(AppSpec::parse("version: 0.0")
            .unwrap_err()
            .contains("Resources"));
        let wrong = "Resources:\n  - x:\n      Type: AWS::Lambda::Function\n";
        assert!(AppSpec::parse(wrong)
            .unwrap_err()
            .contains("AWS::Lambda::Function"));
        let none = "Resources:\n  - x:\n      Type: AWS::ECS::Service\n      Properties: {}\n";
        assert!(AppSpec::parse(none).unwrap_err().contains("TaskDefinition"));
    }

    #[test]
    fn statuses_are_spelled_as_aws_spells_them() {
        assert_eq!(DeploymentStatus::InProgress.as_str(), "InProgress");
        assert_eq!(
            "Stopped".parse::<DeploymentStatus>().ok(),
            Some(DeploymentStatus::Stopped)
        );
        assert!("STOPPED".parse::<DeploymentStatus>().is_err());
        assert_eq!(
            <&str>::from(FailureCode::EcsUpdateError),
            "ECS_UPDATE_ERROR"
        );
        assert_eq!(<&str>::from(TargetStatus::Ready), "Ready");
        assert_eq!(
            "TERMINATION_WAIT".parse::<WaitType>().ok(),
            Some(WaitType::TerminationWait)
        );
    }
}
