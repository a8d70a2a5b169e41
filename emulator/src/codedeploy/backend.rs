//! CodeDeploy's operations on the [`World`]: create, continue, stop deployments and the
//! steps the lifecycle records. The engine that moves a deployment along is
//! [`super::lifecycle`].

use super::model::*;
use super::Error;
use deployer_models::time::now_secs as now;
use serde_json::Value;

use crate::names::{
    random_id, APP_NAME, CLUSTER, DEPLOYMENT_CONFIG, GROUP_NAME, SERVICE, UPPER_ALNUM,
};
use crate::wire::error::{required, AwsError};
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

pub(crate) fn not_found(id: &str) -> AwsError<Error> {
    AwsError::new(
        Error::DeploymentDoesNotExistException,
        format!("The deployment {id} could not be found."),
    )
}

fn already_completed(d: &Deployment) -> AwsError<Error> {
    AwsError::new(
        Error::DeploymentAlreadyCompletedException,
        format!(
            "The deployment {} is already completed ({}).",
            d.id,
            d.status.as_str()
        ),
    )
}

/// The names `aws ecs deploy` uses when it is not given `--codedeploy-application` /
/// `--codedeploy-deployment-group` (`AppECS-<cluster>-<service>`, `DgpECS-<cluster>-<service>`):
/// accepted as aliases of `demo`/`demo`, so the bare `aws ecs deploy --service demo --cluster demo
/// --task-definition FILE --codedeploy-appspec FILE` works locally.
pub(crate) const CLI_DEFAULT_APP: &str = "AppECS-demo-demo";
const CLI_DEFAULT_GROUP: &str = "DgpECS-demo-demo";

/// The built-in ECS deployment configurations; an NLB allows only the first.
pub(crate) const ECS_CONFIGS: [&str; 5] = [
    "CodeDeployDefault.ECSAllAtOnce",
    "CodeDeployDefault.ECSLinear10PercentEvery1Minutes",
    "CodeDeployDefault.ECSLinear10PercentEvery3Minutes",
    "CodeDeployDefault.ECSCanary10Percent5Minutes",
    "CodeDeployDefault.ECSCanary10Percent15Minutes",
];

/// The application `demo` (or `aws ecs deploy`'s default name for it).
pub(crate) fn check_application(name: Option<&str>) -> Result<(), AwsError<Error>> {
    let app = required(
        name,
        "applicationName",
        Error::ApplicationNameRequiredException,
    )?;
    if app != APP_NAME && app != CLI_DEFAULT_APP {
        return Err(AwsError::new(
            Error::ApplicationDoesNotExistException,
            format!("No application found for name: {app}"),
        ));
    }
    Ok(())
}

/// The deployment group `demo` (or `aws ecs deploy`'s default name for it).
pub(crate) fn check_group(name: Option<&str>) -> Result<(), AwsError<Error>> {
    let group = required(
        name,
        "deploymentGroupName",
        Error::DeploymentGroupNameRequiredException,
    )?;
    if group != GROUP_NAME && group != CLI_DEFAULT_GROUP {
        return Err(AwsError::new(
            Error::DeploymentGroupDoesNotExistException,
            format!("No Deployment Group found for name: {group}"),
        ));
    }
    Ok(())
}

/// A built-in ECS deployment configuration.
pub(crate) fn check_config(name: Option<&str>) -> Result<&str, AwsError<Error>> {
    let name = required(
        name,
        "deploymentConfigName",
        Error::DeploymentConfigNameRequiredException,
    )?;
    if !ECS_CONFIGS.contains(&name) {
        return Err(AwsError::new(
            Error::DeploymentConfigDoesNotExistException,
            format!("The deployment config {name} does not exist for the ECS compute platform"),
        ));
    }
    Ok(name)
}

/// `d-` and 9 upper-case letters or digits.
pub(crate) fn check_id_format(id: &str) -> Result<(), AwsError<Error>> {
    let ok =
        id.len() == 11 && id.starts_with("d-") && id[2..].bytes().all(|b| UPPER_ALNUM.contains(&b));
    if ok {
        Ok(())
    } else {
        Err(AwsError::new(
            Error::InvalidDeploymentIdException,
            format!("Specified DeploymentId is not in the valid format: {id}"),
        ))
    }
}

/// A deployment id given and well-formed.
pub(crate) fn check_deployment_id(id: Option<&str>) -> Result<&str, AwsError<Error>> {
    let id = required(id, "deploymentId", Error::DeploymentIdRequiredException)?;
    check_id_format(id)?;
    Ok(id)
}

/// Targets exist once a deployment started.
pub(crate) fn check_started(d: &Deployment) -> Result<(), AwsError<Error>> {
    if matches!(
        d.status,
        DeploymentStatus::Created | DeploymentStatus::Queued
    ) {
        return Err(AwsError::new(
            Error::DeploymentNotStartedException,
            format!("The deployment {} has not started yet.", d.id),
        ));
    }
    Ok(())
}

/// The one target of every deployment: the ECS service.
pub(crate) fn target_id() -> String {
    format!("{CLUSTER}:{SERVICE}")
}

pub(crate) fn check_target(t: &str) -> Result<(), AwsError<Error>> {
    if t == target_id() {
        Ok(())
    } else {
        Err(AwsError::new(
            Error::DeploymentTargetDoesNotExistException,
            format!(
                "The provided target ID {t} does not belong to the deployment (its target is {}).",
                target_id()
            ),
        ))
    }
}

/// CreateDeployment's request, as the API read it.
#[derive(Debug, Clone, Default)]
pub(crate) struct CreateDeployment {
    pub(crate) application_name: Option<String>,
    pub(crate) deployment_group_name: Option<String>,
    pub(crate) deployment_config_name: Option<String>,
    pub(crate) description: Option<String>,
    /// The `RevisionLocation`, as given.
    pub(crate) revision: Option<Value>,
    /// `autoRollbackConfiguration`: `(enabled, events)` when given.
    pub(crate) auto_rollback: Option<(bool, Option<Vec<String>>)>,
}

/// ListDeployments' filters, as the API read them.
#[derive(Debug, Clone, Default)]
pub(crate) struct ListDeployments {
    pub(crate) application_name: Option<String>,
    pub(crate) deployment_group_name: Option<String>,
    pub(crate) include_only_statuses: Vec<String>,
    pub(crate) start: Option<f64>,
    pub(crate) end: Option<f64>,
    pub(crate) next_token: Option<String>,
}

/// A page of deployment ids, newest first, and the token of the next page.
pub(crate) struct DeploymentPage {
    pub(crate) ids: Vec<String>,
    pub(crate) next_token: Option<String>,
}

const PAGE: usize = 100;

impl World {
    /// CreateDeployment: CodeDeploy's checks in its order (application, group, config,
    /// description, revision and its AppSpec), the rollback setting (the request's, else the
    /// group's), then the rollout recorded. The caller starts the lifecycle.
    pub(crate) fn create_deployment_from(
        &mut self,
        req: CreateDeployment,
    ) -> Result<String, AwsError<Error>> {
        check_application(req.application_name.as_deref())?;
        check_group(req.deployment_group_name.as_deref())?;
        if let Some(cfg) = req.deployment_config_name.as_deref() {
            if !ECS_CONFIGS.contains(&cfg) {
                return Err(AwsError::new(
                    Error::DeploymentConfigDoesNotExistException,
                    format!(
                        "The deployment config {cfg} does not exist for the ECS compute platform"
                    ),
                ));
            }
            if cfg != DEPLOYMENT_CONFIG {
                return Err(AwsError::new(
                    Error::InvalidDeploymentConfigNameException,
                    format!("{cfg}: a deployment behind a Network Load Balancer supports only {DEPLOYMENT_CONFIG}"),
                ));
            }
        }
        if req
            .description
            .as_ref()
            .is_some_and(|d| d.chars().count() > 512)
        {
            return Err(AwsError::new(
                Error::DescriptionTooLongException,
                "The description is too long (512 characters at most).",
            ));
        }
        let revision = match req.revision {
            Some(r @ Value::Object(_)) => r,
            _ => {
                return Err(AwsError::new(
                    Error::RevisionRequiredException,
                    "The revision ID was not specified.",
                ))
            }
        };
        let content = match revision["revisionType"].as_str() {
            Some("AppSpecContent") => revision["appSpecContent"]["content"].as_str(),
            Some("String") => revision["string"]["content"].as_str(),
            Some(other) => {
                return Err(AwsError::new(
                    Error::InvalidRevisionException,
                    format!("revisionType {other}: the local stack takes the AppSpec inline (AppSpecContent or String), not from S3 or GitHub"),
                ))
            }
            None => None,
        };
        let content = content.filter(|c| !c.trim().is_empty()).ok_or_else(|| {
            AwsError::new(
                Error::InvalidRevisionException,
                "The revision has no AppSpec content.",
            )
        })?;
        let appspec = AppSpec::parse(content)
            .map_err(|m| AwsError::new(Error::InvalidRevisionException, m))?;
        check_appspec(self, content, &appspec)
            .map_err(|m| AwsError::new(Error::InvalidRevisionException, m))?;
        let has = |event: &str| match &req.auto_rollback {
            Some((enabled, events)) => {
                *enabled && events.as_ref().is_none_or(|e| e.iter().any(|x| x == event))
            }
            None => self.group.auto_rollback,
        };
        let (auto_rollback, rollback_on_alarm) =
            (has("DEPLOYMENT_FAILURE"), has("DEPLOYMENT_STOP_ON_ALARM"));
        let id = self.create_deployment(NewDeployment {
            revision,
            appspec,
            description: req.description,
            auto_rollback,
        })?;
        if let Some(d) = self.deployment_mut(&id) {
            d.rollback_on_alarm = rollback_on_alarm;
        }
        Ok(id)
    }

    /// ListDeployments: the filters checked as CodeDeploy checks them, then a page of ids,
    /// newest first.
    pub(crate) fn list_deployments(
        &self,
        req: &ListDeployments,
    ) -> Result<DeploymentPage, AwsError<Error>> {
        let app = req.application_name.as_deref();
        let group = req.deployment_group_name.as_deref();
        match (app, group) {
            (Some(_), _) => check_application(app)?,
            (None, Some(_)) => {
                return Err(AwsError::new(
                    Error::ApplicationNameRequiredException,
                    "The minimum number of required application names was not specified (deploymentGroupName needs applicationName).",
                ))
            }
            (None, None) => {}
        }
        if app.is_some() {
            if group.is_none() {
                return Err(AwsError::new(
                    Error::DeploymentGroupNameRequiredException,
                    "The deployment group name was not specified (applicationName needs deploymentGroupName).",
                ));
            }
            check_group(group)?;
        }
        let mut wanted = Vec::new();
        for s in &req.include_only_statuses {
            match s.parse::<DeploymentStatus>() {
                Ok(st) => wanted.push(st),
                Err(_) => {
                    return Err(AwsError::new(
                        Error::InvalidDeploymentStatusException,
                        format!("The specified deployment status {s:?} is not valid."),
                    ))
                }
            }
        }
        let (start, end) = (req.start, req.end);
        if let (Some(s), Some(e)) = (start, end) {
            if s > e {
                return Err(AwsError::new(
                    Error::InvalidTimeRangeException,
                    "The specified time range is not valid: start is after end.",
                ));
            }
        }
        let ids: Vec<String> = self
            .deployments
            .iter()
            .rev()
            .filter(|d| wanted.is_empty() || wanted.contains(&d.status))
            .filter(|d| start.is_none_or(|s| d.create_time >= s))
            .filter(|d| end.is_none_or(|e| d.create_time <= e))
            .map(|d| d.id.clone())
            .collect();
        let from = match req.next_token.as_deref() {
            Some(t) => t.parse::<usize>().map_err(|_| {
                AwsError::new(
                    Error::InvalidNextTokenException,
                    format!("The next token {t:?} is not valid."),
                )
            })?,
            None => 0,
        };
        Ok(DeploymentPage {
            ids: ids.iter().skip(from).take(PAGE).cloned().collect(),
            next_token: (from + PAGE < ids.len()).then(|| (from + PAGE).to_string()),
        })
    }

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
    pub(crate) fn create_deployment(
        &mut self,
        new: NewDeployment,
    ) -> Result<String, AwsError<Error>> {
        if let Some(active) = self.active_deployment() {
            return Err(AwsError::new(
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
    pub(crate) fn continue_deployment(
        &mut self,
        id: &str,
        wait: WaitType,
    ) -> Result<(), AwsError<Error>> {
        let d = self.deployment_mut(id).ok_or_else(|| not_found(id))?;
        if d.status.is_done() {
            return Err(already_completed(d));
        }
        match wait {
            WaitType::ReadyWait => {
                if d.status != DeploymentStatus::Ready {
                    return Err(AwsError::new(
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
                    return Err(AwsError::new(
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
    pub(crate) fn stop_deployment(
        &mut self,
        id: &str,
        rollback: bool,
    ) -> Result<(), AwsError<Error>> {
        let d = self.deployment_mut(id).ok_or_else(|| not_found(id))?;
        if d.status.is_done() {
            return Err(already_completed(d));
        }
        if matches!(d.kind, DeploymentKind::Rollback { .. }) {
            return Err(AwsError::new(
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

    /// Hook function `function` was invoked for `hook` with execution id `exec_id`.
    pub(crate) fn hook_invoked(&mut self, id: &str, hook: Hook, exec_id: &str, function: &str) {
        if let Some(d) = self.deployment_mut(id) {
            d.hook_executions.push(HookExecution {
                id: exec_id.to_string(),
                hook,
                function: function.to_string(),
                status: None,
            });
            d.target_updated = now();
        }
    }

    /// What hook execution `exec_id` of deployment `id` reported, if anything yet.
    pub(crate) fn hook_status(&self, id: &str, exec_id: &str) -> Option<HookStatus> {
        self.deployment(id)?
            .hook_executions
            .iter()
            .find(|e| e.id == exec_id)?
            .status
    }

    /// PutLifecycleEventHookExecutionStatus: a hook function reports `status` for its
    /// execution. Only Succeeded or Failed, once, while the deployment runs (the
    /// CodeDeploy API reference's errors for each case). Returns the execution id.
    pub(crate) fn put_hook_status(
        &mut self,
        id: Option<&str>,
        exec_id: Option<&str>,
        status: Option<&str>,
    ) -> Result<String, AwsError<Error>> {
        let id = check_deployment_id(id)?;
        check_id_format(id)?;
        let d = self.deployment_mut(id).ok_or_else(|| not_found(id))?;
        let exec_id = exec_id.unwrap_or_default();
        let status = status.unwrap_or_default();
        let status: HookStatus = status.parse().map_err(|_| {
            AwsError::new(
                Error::InvalidLifecycleEventHookExecutionStatusException,
                format!("The status {status:?} is not valid: a hook reports Succeeded or Failed."),
            )
        })?;
        let done = d.status.is_done();
        let e = d
            .hook_executions
            .iter_mut()
            .find(|e| e.id == exec_id)
            .ok_or_else(|| {
                AwsError::new(
                    Error::InvalidLifecycleEventHookExecutionIdException,
                    format!("The lifecycle event hook execution id {exec_id:?} is not one of deployment {id}."),
                )
            })?;
        if e.status.is_some() || done {
            return Err(AwsError::new(
                Error::LifecycleEventAlreadyCompletedException,
                format!(
                    "The {} hook of deployment {id} is already complete.",
                    e.hook.as_str()
                ),
            ));
        }
        e.status = Some(status);
        Ok(e.id.clone())
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

/// The AppSpec's structure and its load balancer container against the task definition,
/// before the deployment exists (the lenient reader, `AppSpec::parse`, has read the target):
/// - "version ... The only allowed value is 0.0" and one `TargetService` resource (the
///   AppSpec reference, "AppSpec 'resources' section for Amazon ECS deployments");
/// - a `<TASK_DEFINITION>` left in `TaskDefinition` (the placeholder `aws ecs deploy` fills
///   in) is not a task definition;
/// - `LoadBalancerInfo.ContainerName` is a container of the registered task definition and
///   `ContainerPort` one of that container's `portMappings[].containerPort` (the same
///   reference: "the name of the container in your Amazon ECS task definition" and "the
///   port on the container"); a task definition not registered is the lifecycle's
///   InvalidRevision failure, as before.
fn check_appspec(w: &World, content: &str, appspec: &AppSpec) -> Result<(), String> {
    let doc: Value = serde_yaml_ng::from_str(content)
        .map_err(|e| format!("the AppSpec is not YAML or JSON: {e}"))?;
    let get = |v: &Value, key: &str| -> Option<Value> {
        v.as_object()?
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v.clone())
    };
    match get(&doc, "version") {
        Some(v) if v.as_f64() == Some(0.0) || v.as_str() == Some("0.0") => {}
        Some(v) => {
            return Err(format!(
                "the AppSpec's version is {v}: the only allowed value is 0.0"
            ))
        }
        None => return Err("the AppSpec has no version (version: 0.0)".into()),
    }
    let resources = get(&doc, "Resources").and_then(|r| r.as_array().map(Vec::len));
    if resources != Some(1) {
        return Err(format!(
            "the AppSpec's Resources has {} entries: an ECS deployment takes exactly one TargetService",
            resources.unwrap_or(0)
        ));
    }
    let td_ref = &appspec.task_definition;
    if td_ref.contains('<') {
        return Err(format!(
            "Resources[0].Properties.TaskDefinition is {td_ref:?}, a template placeholder: give the task definition's ARN"
        ));
    }
    let Some(td) = w.resolve_task_def(td_ref) else {
        return Ok(());
    };
    let containers = &td.container_definitions;
    if let Some(name) = &appspec.container_name {
        let Some(c) = containers.iter().find(|c| c.name == *name) else {
            let names: Vec<&str> = containers.iter().map(|c| c.name.as_str()).collect();
            return Err(format!(
                "Resources[0].Properties.LoadBalancerInfo.ContainerName is {name:?}: the task definition {td_ref} has no such container (it has {names:?})"
            ));
        };
        if let Some(port) = appspec.container_port {
            let ports = c.container_ports();
            if !ports.contains(&port) {
                return Err(format!(
                    "Resources[0].Properties.LoadBalancerInfo.ContainerPort is {port}: container {name:?} of {td_ref} maps no such port (its containerPorts: {ports:?})"
                ));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn world(auto_rollback: bool) -> World {
        World::with(
            "us-east-1",
            1,
            GroupSettings {
                ready_stop: false,
                ready_wait: std::time::Duration::ZERO,
                termination_wait: std::time::Duration::ZERO,
                auto_rollback,
                alarms: vec![],
            },
        )
    }

    fn request(revision: Value) -> CreateDeployment {
        CreateDeployment {
            application_name: Some("demo".into()),
            deployment_group_name: Some("demo".into()),
            revision: Some(revision),
            ..CreateDeployment::default()
        }
    }

    fn appspec_revision() -> Value {
        serde_json::json!({"revisionType": "AppSpecContent", "appSpecContent": {"content":
            "version: 0.0\nResources:\n  - TargetService:\n      Type: AWS::ECS::Service\n      Properties:\n        TaskDefinition: arn:aws:ecs:us-east-1:000000000000:task-definition/demo:1\n"}})
    }

    #[test]
    fn create_deployment_checks_the_appspec_against_the_task_definition() {
        let mut w = world(true);
        w.register_task_definition(serde_json::json!({
            "family": "demo",
            "containerDefinitions": [{"name": "demo", "image": "demo:v1", "portMappings": [{"containerPort": 3000}]}]
        }))
        .unwrap();
        let refused = |w: &mut World, content: &str| {
            let r = request(
                serde_json::json!({"revisionType": "AppSpecContent", "appSpecContent": {"content": content}}),
            );
            let e = w.create_deployment_from(r).unwrap_err();
            assert_eq!(e.code, Error::InvalidRevisionException, "{}", e.message);
            e.message
        };
        let spec = |version: &str, td: &str, name: &str, port: u32| {
            format!("{version}Resources:\n  - TargetService:\n      Type: AWS::ECS::Service\n      Properties:\n        TaskDefinition: {td}\n        LoadBalancerInfo:\n          ContainerName: {name}\n          ContainerPort: {port}\n")
        };
        let v = "version: 0.0\n";
        assert!(refused(&mut w, &spec("", "demo:1", "demo", 3000)).contains("no version"));
        assert!(
            refused(&mut w, &spec("version: 1.0\n", "demo:1", "demo", 3000))
                .contains("only allowed value is 0.0")
        );
        assert!(
            refused(&mut w, &spec(v, "\"<TASK_DEFINITION>\"", "demo", 3000))
                .contains("placeholder")
        );
        let m = refused(&mut w, &spec(v, "demo:1", "web", 3000));
        assert!(
            m.contains("ContainerName is \"web\"") && m.contains("[\"demo\"]"),
            "{m}"
        );
        let m = refused(&mut w, &spec(v, "demo:1", "demo", 8080));
        assert!(
            m.contains("ContainerPort is 8080") && m.contains("[3000]"),
            "{m}"
        );
        let two = format!(
            "{}  - Other:\n      Type: AWS::ECS::Service\n",
            spec(v, "demo:1", "demo", 3000)
        );
        assert!(refused(&mut w, &two).contains("exactly one"));
        assert!(w.deployments.is_empty(), "nothing was created");
        let r = request(
            serde_json::json!({"revisionType": "AppSpecContent", "appSpecContent": {"content": spec(v, "demo:1", "demo", 3000)}}),
        );
        w.create_deployment_from(r)
            .expect("a matching AppSpec is taken");
    }

    #[test]
    fn create_deployment_checks_in_codedeploys_order() {
        let mut w = world(true);
        let code =
            |w: &mut World, r: CreateDeployment| w.create_deployment_from(r).unwrap_err().code;
        let mut r = request(appspec_revision());
        r.application_name = None;
        assert_eq!(code(&mut w, r), Error::ApplicationNameRequiredException);
        let mut r = request(appspec_revision());
        r.deployment_group_name = Some("other".into());
        assert_eq!(code(&mut w, r), Error::DeploymentGroupDoesNotExistException);
        let mut r = request(appspec_revision());
        r.deployment_config_name = Some("CodeDeployDefault.ECSCanary10Percent5Minutes".into());
        assert_eq!(code(&mut w, r), Error::InvalidDeploymentConfigNameException);
        let mut r = request(appspec_revision());
        r.deployment_config_name = Some("Mine".into());
        assert_eq!(
            code(&mut w, r),
            Error::DeploymentConfigDoesNotExistException
        );
        let mut r = request(appspec_revision());
        r.description = Some("x".repeat(513));
        assert_eq!(code(&mut w, r), Error::DescriptionTooLongException);
        let mut r = request(Value::Null);
        r.revision = None;
        assert_eq!(code(&mut w, r), Error::RevisionRequiredException);
        let s3 = serde_json::json!({"revisionType": "S3", "s3Location": {}});
        assert_eq!(code(&mut w, request(s3)), Error::InvalidRevisionException);
        assert!(w.deployments.is_empty(), "nothing recorded on an error");
    }

    #[test]
    fn the_requests_rollback_setting_wins_over_the_groups() {
        let mut w = world(true);
        let mut r = request(appspec_revision());
        r.auto_rollback = Some((true, Some(vec!["DEPLOYMENT_STOP_ON_ALARM".into()])));
        let id = w.create_deployment_from(r).unwrap();
        assert!(
            !w.deployment(&id).unwrap().auto_rollback,
            "no DEPLOYMENT_FAILURE event"
        );
        w.deployments.clear();
        let id = w
            .create_deployment_from(request(appspec_revision()))
            .unwrap();
        assert!(w.deployment(&id).unwrap().auto_rollback, "the group's");
    }

    #[test]
    fn list_deployments_checks_its_filters() {
        let w = world(true);
        let code = |r: ListDeployments| w.list_deployments(&r).err().map(|e| e.code);
        let group_only = ListDeployments {
            deployment_group_name: Some("demo".into()),
            ..Default::default()
        };
        assert_eq!(
            code(group_only),
            Some(Error::ApplicationNameRequiredException)
        );
        let bad_status = ListDeployments {
            include_only_statuses: vec!["Done".into()],
            ..Default::default()
        };
        assert_eq!(
            code(bad_status),
            Some(Error::InvalidDeploymentStatusException)
        );
        let backwards = ListDeployments {
            start: Some(2.0),
            end: Some(1.0),
            ..Default::default()
        };
        assert_eq!(code(backwards), Some(Error::InvalidTimeRangeException));
        let token = ListDeployments {
            next_token: Some("x".into()),
            ..Default::default()
        };
        assert_eq!(code(token), Some(Error::InvalidNextTokenException));
        assert_eq!(code(ListDeployments::default()), None);
    }

    #[test]
    fn deployment_id_format() {
        assert!(check_id_format("d-ABCDEF123").is_ok());
        assert_eq!(
            check_id_format("d-abc").unwrap_err().code,
            Error::InvalidDeploymentIdException
        );
        assert_eq!(
            check_id_format("x-ABCDEF123").unwrap_err().code,
            Error::InvalidDeploymentIdException
        );
    }

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
                container_port: Some(3000),
                hooks: vec![],
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
