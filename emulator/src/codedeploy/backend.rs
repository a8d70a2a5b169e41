//! CodeDeploy's operations on the [`World`]: create, continue, stop deployments and the
//! steps the lifecycle records. The engine that moves a deployment along is
//! [`super::lifecycle`].

use super::model::*;
use super::Error;
use crate::clock::now;
use crate::names::{random_id, GROUP_NAME, UPPER_ALNUM};
use crate::wire::error::ApiError;
use crate::world::World;

/// How a deployment ended that did not succeed, and what is left to undo.
#[derive(Debug, Clone)]
pub(crate) struct Ended {
    /// The rollback deployment created, if any.
    pub(crate) rollback: Option<String>,
    pub(crate) original: Option<String>,
    pub(crate) replacement: Option<String>,
    pub(crate) switched: bool,
}

fn new_deployment_id() -> String {
    format!("d-{}", random_id(9, UPPER_ALNUM))
}

pub(crate) fn not_found(id: &str) -> ApiError {
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
    pub(crate) fn deployment(&self, id: &str) -> Option<&Deployment> {
        self.deployments.iter().find(|d| d.id == id)
    }

    pub(crate) fn deployment_mut(&mut self, id: &str) -> Option<&mut Deployment> {
        self.deployments.iter_mut().find(|d| d.id == id)
    }

    pub(crate) fn active_deployment(&self) -> Option<&Deployment> {
        self.deployments.iter().find(|d| !d.status.is_done())
    }

    /// Records a new rollout (one at a time per group); returns its id. The caller starts
    /// the lifecycle.
    pub(crate) fn create_deployment(&mut self, new: NewDeployment) -> Result<String, ApiError> {
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
    pub(crate) fn continue_deployment(&mut self, id: &str, wait: WaitType) -> Result<(), ApiError> {
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
    pub(crate) fn stop_deployment(&mut self, id: &str, rollback: bool) -> Result<(), ApiError> {
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
    pub(crate) fn start_deployment(&mut self, id: &str) {
        if let Some(d) = self.deployment_mut(id) {
            d.set_status(DeploymentStatus::InProgress, TargetStatus::InProgress);
            d.start_time = Some(now());
        }
    }

    pub(crate) fn begin_hook(&mut self, id: &str, hook: Hook) {
        if let Some(d) = self.deployment_mut(id) {
            let e = &mut d.events[hook as usize];
            e.status = EventStatus::InProgress;
            e.start = Some(now());
            d.target_updated = now();
        }
    }

    pub(crate) fn hook_succeeded(&mut self, id: &str, hook: Hook) {
        if let Some(d) = self.deployment_mut(id) {
            let e = &mut d.events[hook as usize];
            e.status = EventStatus::Succeeded;
            e.end = Some(now());
            d.target_updated = now();
        }
    }

    /// The ready wait began (`true`) or ended (`false`).
    pub(crate) fn set_ready(&mut self, id: &str, ready: bool) {
        if let Some(d) = self.deployment_mut(id) {
            if ready {
                d.set_status(DeploymentStatus::Ready, TargetStatus::Ready);
            } else {
                d.set_status(DeploymentStatus::InProgress, TargetStatus::InProgress);
            }
        }
    }

    /// Deployment `id` ended well: it becomes the group's last successful deployment.
    pub(crate) fn mark_succeeded(&mut self, id: &str) {
        self.last_successful = Some(id.to_string());
        if let Some(d) = self.deployment_mut(id) {
            d.set_status(DeploymentStatus::Succeeded, TargetStatus::Succeeded);
            d.complete_time = Some(now());
        }
    }

    /// Ends deployment `id` Failed or Stopped: the event in progress fails, the pending
    /// ones are skipped; with rollback (`rollback`, or the deployment's and the group's
    /// automatic rollback when it is `None`) a rollback deployment is created.
    pub(crate) fn end_deployment(
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
