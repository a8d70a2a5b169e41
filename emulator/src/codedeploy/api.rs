//! The CodeDeploy API: parses requests, shapes answers as the CodeDeploy JSON 1.1 API does
//! (with AWS's error codes: [`super::Error`]) and maps them onto [`super::backend`].

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::backend::{
    check_application, check_config, check_deployment_id, check_group, check_id_format,
    check_started, check_target, not_found, target_id, CreateDeployment, ListDeployments,
    CLI_DEFAULT_APP, ECS_CONFIGS,
};
use super::model::{Deployment, DeploymentKind, EventStatus, TargetStatus, WaitType};
use super::{lifecycle, Error};
use crate::config::minutes_ceil;
use crate::ecs;
use crate::names::{APP_NAME, CLUSTER, DEPLOYMENT_CONFIG, GROUP_NAME, SERVICE, TG_NAMES};
use crate::runtime::stack::Stack;
use crate::wire::error::{ApiError, Common};
use crate::wire::json::{request, ApiResult};
use crate::world::World;

const APP_ID: &str = "00000000-0000-0000-0000-00000000a001";
const GROUP_ID: &str = "00000000-0000-0000-0000-00000000d001";

/// GetApplicationInput (and ListDeploymentGroupsInput's name).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct GetApplicationInput {
    application_name: Option<String>,
}

/// GetDeploymentGroupInput.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct GetDeploymentGroupInput {
    application_name: Option<String>,
    deployment_group_name: Option<String>,
}

/// GetDeploymentConfigInput.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct GetDeploymentConfigInput {
    deployment_config_name: Option<String>,
}

/// GetDeploymentInput (and ListDeploymentTargetsInput's id).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct GetDeploymentInput {
    deployment_id: Option<String>,
}

/// GetDeploymentTargetInput.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct GetDeploymentTargetInput {
    deployment_id: Option<String>,
    target_id: Option<String>,
}

/// BatchGetDeploymentTargetsInput.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct BatchGetDeploymentTargetsInput {
    deployment_id: Option<String>,
    #[serde(default)]
    target_ids: Vec<String>,
}

/// BatchGetApplicationsInput.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct BatchGetApplicationsInput {
    #[serde(default)]
    application_names: Vec<String>,
}

/// BatchGetDeploymentsInput.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct BatchGetDeploymentsInput {
    #[serde(default)]
    deployment_ids: Vec<String>,
}

/// CreateDeploymentInput.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct CreateDeploymentInput {
    application_name: Option<String>,
    deployment_group_name: Option<String>,
    deployment_config_name: Option<String>,
    description: Option<String>,
    revision: Option<Value>,
    auto_rollback_configuration: Option<AutoRollbackConfiguration>,
}

/// AutoRollbackConfiguration.
#[derive(Debug, Default, Deserialize)]
struct AutoRollbackConfiguration {
    enabled: Option<bool>,
    events: Option<Vec<String>>,
}

/// ListDeploymentsInput.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ListDeploymentsInput {
    application_name: Option<String>,
    deployment_group_name: Option<String>,
    #[serde(default)]
    include_only_statuses: Vec<String>,
    create_time_range: Option<TimeRange>,
    next_token: Option<String>,
}

/// TimeRange (epoch seconds).
#[derive(Debug, Default, Deserialize)]
struct TimeRange {
    start: Option<f64>,
    end: Option<f64>,
}

/// ContinueDeploymentInput.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ContinueDeploymentInput {
    deployment_id: Option<String>,
    deployment_wait_type: Option<String>,
}

/// PutLifecycleEventHookExecutionStatusInput.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct PutLifecycleEventHookExecutionStatusInput {
    deployment_id: Option<String>,
    lifecycle_event_hook_execution_id: Option<String>,
    status: Option<String>,
}

/// StopDeploymentInput.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct StopDeploymentInput {
    deployment_id: Option<String>,
    auto_rollback_enabled: Option<bool>,
}

pub(crate) fn handle(stack: &Arc<Stack>, op: &str, input: &Value) -> ApiResult {
    match op {
        "GetApplication" => {
            check_application(
                request::<GetApplicationInput>(input)?
                    .application_name
                    .as_deref(),
            )?;
            Ok(json!({"application": application_json(stack)}))
        }
        "ListApplications" => Ok(json!({"applications": [APP_NAME]})),
        "BatchGetApplications" => {
            let names = request::<BatchGetApplicationsInput>(input)?.application_names;
            for n in &names {
                if n != APP_NAME && n != CLI_DEFAULT_APP {
                    return Err(ApiError::new(
                        Error::ApplicationDoesNotExistException,
                        format!("No application found for name: {n}"),
                    ));
                }
            }
            let infos: Vec<Value> = names.iter().map(|_| application_json(stack)).collect();
            Ok(json!({"applicationsInfo": infos}))
        }
        "GetDeploymentGroup" => {
            let n: GetDeploymentGroupInput = request(input)?;
            check_application(n.application_name.as_deref())?;
            check_group(n.deployment_group_name.as_deref())?;
            let w = stack.world();
            Ok(json!({"deploymentGroupInfo": group_json(stack, &w)}))
        }
        "ListDeploymentGroups" => {
            check_application(
                request::<GetApplicationInput>(input)?
                    .application_name
                    .as_deref(),
            )?;
            Ok(json!({"applicationName": APP_NAME, "deploymentGroups": [GROUP_NAME]}))
        }
        "GetDeploymentConfig" => {
            let n: GetDeploymentConfigInput = request(input)?;
            let name = check_config(n.deployment_config_name.as_deref())?;
            Ok(json!({"deploymentConfigInfo": config_json(stack, name)}))
        }
        "CreateDeployment" => create_deployment(stack, input),
        "GetDeployment" => {
            let n: GetDeploymentInput = request(input)?;
            let id = check_deployment_id(n.deployment_id.as_deref())?;
            let w = stack.world();
            let d = w.deployment(id).ok_or_else(|| not_found(id))?;
            Ok(json!({"deploymentInfo": deployment_json(&w, d)}))
        }
        "BatchGetDeployments" => {
            let ids = request::<BatchGetDeploymentsInput>(input)?.deployment_ids;
            if ids.len() > 25 {
                return Err(ApiError::new(
                    Error::BatchLimitExceededException,
                    "The maximum number of names or IDs allowed for this request (25) was exceeded.",
                ));
            }
            let w = stack.world();
            let mut infos = Vec::new();
            for id in &ids {
                check_id_format(id)?;
                if let Some(d) = w.deployment(id) {
                    infos.push(deployment_json(&w, d));
                }
            }
            Ok(json!({"deploymentsInfo": infos}))
        }
        "ListDeployments" => list_deployments(stack, input),
        "ListDeploymentTargets" => {
            let n: GetDeploymentInput = request(input)?;
            let id = check_deployment_id(n.deployment_id.as_deref())?;
            let w = stack.world();
            let d = w.deployment(id).ok_or_else(|| not_found(id))?;
            check_started(d)?;
            Ok(json!({"targetIds": [target_id()]}))
        }
        "GetDeploymentTarget" => {
            let n: GetDeploymentTargetInput = request(input)?;
            let id = check_deployment_id(n.deployment_id.as_deref())?;
            let target = match n.target_id.as_deref() {
                None => Err(ApiError::new(
                    Error::DeploymentTargetIdRequiredException,
                    "targetId is required",
                )),
                Some("") => Err(ApiError::new(
                    Error::DeploymentTargetIdRequiredException,
                    "targetId must not be empty",
                )),
                Some(t) => Ok(t),
            }?;
            let w = stack.world();
            let d = w.deployment(id).ok_or_else(|| not_found(id))?;
            check_started(d)?;
            check_target(target)?;
            Ok(json!({"deploymentTarget": target_json(&w, d)}))
        }
        "BatchGetDeploymentTargets" => {
            let n: BatchGetDeploymentTargetsInput = request(input)?;
            let id = check_deployment_id(n.deployment_id.as_deref())?;
            let targets = n.target_ids;
            if targets.is_empty() {
                return Err(ApiError::new(
                    Error::DeploymentTargetIdRequiredException,
                    "targetIds is required",
                ));
            }
            if targets.len() > 25 {
                return Err(ApiError::new(
                    Error::DeploymentTargetListSizeExceededException,
                    "The maximum number of targets that can be associated with an Amazon ECS deployment (25) was exceeded.",
                ));
            }
            let w = stack.world();
            let d = w.deployment(id).ok_or_else(|| not_found(id))?;
            check_started(d)?;
            let mut out = Vec::new();
            for t in &targets {
                check_target(t)?;
                out.push(target_json(&w, d));
            }
            Ok(json!({"deploymentTargets": out}))
        }
        "ContinueDeployment" => continue_deployment(stack, input),
        "StopDeployment" => stop_deployment(stack, input),
        "PutLifecycleEventHookExecutionStatus" => {
            let req: PutLifecycleEventHookExecutionStatusInput = request(input)?;
            let exec_id = stack.world().put_hook_status(
                req.deployment_id.as_deref(),
                req.lifecycle_event_hook_execution_id.as_deref(),
                req.status.as_deref(),
            )?;
            Ok(json!({"lifecycleEventHookExecutionId": exec_id}))
        }
        _ => Err(ApiError::new(
            Common::UnknownOperationException,
            format!("CodeDeploy operation {op} is not served by the local stack"),
        )),
    }
}

fn application_json(stack: &Stack) -> Value {
    json!({
        "applicationId": APP_ID,
        "applicationName": APP_NAME,
        "createTime": stack.started_at,
        "linkedToGitHub": false,
        "computePlatform": "ECS"
    })
}

fn config_json(stack: &Stack, name: &str) -> Value {
    let routing = match name {
        "CodeDeployDefault.ECSAllAtOnce" => json!({"type": "AllAtOnce"}),
        n if n.contains("Linear") => {
            let interval = if n.ends_with("1Minutes") { 1 } else { 3 };
            json!({"type": "TimeBasedLinear", "timeBasedLinear": {"linearPercentage": 10, "linearInterval": interval}})
        }
        n => {
            let interval = if n.ends_with("15Minutes") { 15 } else { 5 };
            json!({"type": "TimeBasedCanary", "timeBasedCanary": {"canaryPercentage": 10, "canaryInterval": interval}})
        }
    };
    json!({
        "deploymentConfigId": format!("00000000-0000-0000-0000-{:012}", ECS_CONFIGS.iter().position(|c| *c == name).unwrap_or(0)),
        "deploymentConfigName": name,
        "createTime": stack.started_at,
        "computePlatform": "ECS",
        "trafficRoutingConfig": routing
    })
}

fn last_json(w: &World, id: &Option<String>) -> Value {
    match id.as_deref().and_then(|id| w.deployment(id)) {
        Some(d) => {
            let mut v = json!({"deploymentId": d.id, "status": d.status.as_str(), "createTime": d.create_time});
            if let Some(t) = d.complete_time {
                v["endTime"] = json!(t);
            }
            v
        }
        None => Value::Null,
    }
}

fn group_json(stack: &Stack, w: &World) -> Value {
    let n = &w.names;
    let mut test_route = json!({"listenerArns": []});
    if let Some(l) = stack.lb.listener("test") {
        test_route = json!({"listenerArns": [l.arn]});
    }
    let mut v = json!({
        "applicationName": APP_NAME,
        "deploymentGroupId": GROUP_ID,
        "deploymentGroupName": GROUP_NAME,
        "deploymentConfigName": DEPLOYMENT_CONFIG,
        "ec2TagFilters": [],
        "onPremisesInstanceTagFilters": [],
        "autoScalingGroups": [],
        "serviceRoleArn": n.role_arn("demo-codedeploy"),
        "triggerConfigurations": [],
        "alarmConfiguration": {
            "enabled": !w.group.alarms.is_empty(),
            "ignorePollAlarmFailure": false,
            "alarms": w.group.alarms.iter().map(|name| json!({"name": name})).collect::<Vec<_>>()
        },
        "autoRollbackConfiguration": AutoRollbackInfo::new(w.group.auto_rollback),
        "deploymentStyle": BLUE_GREEN,
        "outdatedInstancesStrategy": "UPDATE",
        "blueGreenDeploymentConfiguration": blue_green_json(w),
        "loadBalancerInfo": {"targetGroupPairInfoList": [{
            "targetGroups": [{"name": TG_NAMES[0]}, {"name": TG_NAMES[1]}],
            "prodTrafficRoute": {"listenerArns": [n.listener_arn("prod")]},
            "testTrafficRoute": test_route
        }]},
        "computePlatform": "ECS",
        "ecsServices": [{"serviceName": SERVICE, "clusterName": CLUSTER}],
        "terminationHookEnabled": false
    });
    let o = v.as_object_mut().expect("object");
    let ls = last_json(w, &w.last_successful);
    if !ls.is_null() {
        o.insert("lastSuccessfulDeployment".into(), ls);
    }
    let la = last_json(w, &w.last_attempted);
    if !la.is_null() {
        o.insert("lastAttemptedDeployment".into(), la);
    }
    if !w.current_revision.is_null() {
        o.insert("targetRevision".into(), w.current_revision.clone());
    }
    v
}

/// The group's blue/green settings, as GetDeploymentGroup and GetDeployment both show them.
fn blue_green_json(w: &World) -> Value {
    json!({
        "terminateBlueInstancesOnDeploymentSuccess": {
            "action": "TERMINATE",
            "terminationWaitTimeInMinutes": minutes_ceil(w.group.termination_wait)
        },
        "deploymentReadyOption": {
            "actionOnTimeout": if w.group.ready_stop { "STOP_DEPLOYMENT" } else { "CONTINUE_DEPLOYMENT" },
            "waitTimeInMinutes": if w.group.ready_stop { minutes_ceil(w.group.ready_wait) } else { 0 }
        }
    })
}

/// DeploymentInfo, as GetDeployment and BatchGetDeployments answer it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct DeploymentInfo<'a> {
    application_name: &'static str,
    deployment_group_name: &'static str,
    deployment_config_name: &'static str,
    deployment_id: &'a str,
    revision: &'a Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    previous_revision: Option<&'a Value>,
    status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    error_information: Option<ErrorInformation<'a>>,
    create_time: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    start_time: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    complete_time: Option<f64>,
    deployment_overview: DeploymentOverview,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<&'a str>,
    creator: &'static str,
    ignore_application_stop_failures: bool,
    auto_rollback_configuration: AutoRollbackInfo,
    update_outdated_instances_only: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    rollback_info: Option<RollbackInfo<'a>>,
    deployment_style: DeploymentStyle,
    instance_termination_wait_time_started: bool,
    blue_green_deployment_configuration: Value,
    load_balancer_info: Value,
    file_exists_behavior: &'static str,
    deployment_status_messages: &'a [String],
    compute_platform: &'static str,
}

/// ErrorInformation.
#[derive(Debug, Serialize)]
struct ErrorInformation<'a> {
    code: &'static str,
    message: &'a str,
}

/// DeploymentOverview: how many targets are in each status (the one ECS service).
#[derive(Debug, Default, Serialize)]
#[serde(rename_all = "PascalCase")]
struct DeploymentOverview {
    pending: u32,
    in_progress: u32,
    succeeded: u32,
    failed: u32,
    skipped: u32,
    ready: u32,
}

/// AutoRollbackConfiguration, as the answers show it.
#[derive(Debug, Serialize)]
struct AutoRollbackInfo {
    enabled: bool,
    events: &'static [&'static str],
}

impl AutoRollbackInfo {
    fn new(enabled: bool) -> Self {
        AutoRollbackInfo {
            enabled,
            events: if enabled {
                &[
                    "DEPLOYMENT_FAILURE",
                    "DEPLOYMENT_STOP_ON_ALARM",
                    "DEPLOYMENT_STOP_ON_REQUEST",
                ]
            } else {
                &[]
            },
        }
    }
}

/// RollbackInfo.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct RollbackInfo<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    rollback_deployment_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    rollback_triggering_deployment_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    rollback_message: Option<&'a str>,
}

/// DeploymentStyle: blue/green with traffic control, always.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct DeploymentStyle {
    deployment_type: &'static str,
    deployment_option: &'static str,
}

const BLUE_GREEN: DeploymentStyle = DeploymentStyle {
    deployment_type: "BLUE_GREEN",
    deployment_option: "WITH_TRAFFIC_CONTROL",
};

pub(crate) fn deployment_json(w: &World, d: &Deployment) -> Value {
    let mut overview = DeploymentOverview::default();
    *match d.target_status {
        TargetStatus::Pending => &mut overview.pending,
        TargetStatus::InProgress => &mut overview.in_progress,
        TargetStatus::Succeeded => &mut overview.succeeded,
        TargetStatus::Failed => &mut overview.failed,
        TargetStatus::Ready => &mut overview.ready,
    } = 1;
    let rollback = RollbackInfo {
        rollback_deployment_id: d.rollback_id.as_deref(),
        rollback_triggering_deployment_id: match &d.kind {
            DeploymentKind::Rollback { of } => Some(of.as_str()),
            DeploymentKind::Rollout => None,
        },
        rollback_message: d.rollback_message.as_deref(),
    };
    let has_rollback = rollback.rollback_deployment_id.is_some()
        || rollback.rollback_triggering_deployment_id.is_some()
        || rollback.rollback_message.is_some();
    let info = DeploymentInfo {
        application_name: APP_NAME,
        deployment_group_name: GROUP_NAME,
        deployment_config_name: DEPLOYMENT_CONFIG,
        deployment_id: &d.id,
        revision: &d.revision,
        previous_revision: d.previous_revision.as_ref(),
        status: d.status.as_str(),
        error_information: d.error.as_ref().map(|(code, message)| ErrorInformation {
            code: (*code).into(),
            message,
        }),
        create_time: d.create_time,
        start_time: d.start_time,
        complete_time: d.complete_time,
        deployment_overview: overview,
        description: d.description.as_deref(),
        creator: d.creator,
        ignore_application_stop_failures: false,
        auto_rollback_configuration: AutoRollbackInfo::new(d.auto_rollback),
        update_outdated_instances_only: false,
        rollback_info: has_rollback.then_some(rollback),
        deployment_style: BLUE_GREEN,
        instance_termination_wait_time_started: d.termination_wait_started,
        blue_green_deployment_configuration: blue_green_json(w),
        load_balancer_info: json!({"targetGroupPairInfoList": [{
            "targetGroups": [{"name": TG_NAMES[0]}, {"name": TG_NAMES[1]}],
            "prodTrafficRoute": {"listenerArns": [w.names.listener_arn("prod")]},
        }]}),
        file_exists_behavior: "DISALLOW",
        deployment_status_messages: &d.status_messages,
        compute_platform: "ECS",
    };
    serde_json::to_value(info).expect("a DeploymentInfo serializes")
}

fn target_json(w: &World, d: &Deployment) -> Value {
    let events: Vec<Value> = d
        .events
        .iter()
        .map(|e| {
            let mut v =
                json!({"lifecycleEventName": e.hook.as_str(), "status": <&str>::from(e.status)});
            if let Some(t) = e.start {
                v["startTime"] = json!(t);
            }
            if let Some(t) = e.end {
                v["endTime"] = json!(t);
            }
            if let Some(m) = &e.message {
                let hooked = d.hook_executions.iter().any(|x| x.hook == e.hook);
                let code = if e.status == EventStatus::Failed && hooked {
                    "ScriptFailed"
                } else if e.status == EventStatus::Failed {
                    "UnknownError"
                } else {
                    "Success"
                };
                v["diagnostics"] =
                    json!({"errorCode": code, "scriptName": "", "message": m, "logTail": ""});
            }
            v
        })
        .collect();
    let mut sets = Vec::new();
    // A task set removed at the end (the original after success, the replacement after
    // a rollback) was on the other target group than the one that remains.
    let tg_of = |id: &Option<String>| id.as_deref().and_then(|i| w.task_set(i)).map(|ts| ts.tg);
    let (orig_tg, repl_tg) = (tg_of(&d.original), tg_of(&d.replacement));
    for (label, id) in [("Blue", &d.original), ("Green", &d.replacement)] {
        let Some(id) = id else { continue };
        let other = if label == "Blue" { repl_tg } else { orig_tg };
        let gone_tg = other.map_or(if label == "Blue" { 0 } else { 1 }, |t| 1 - t);
        let (desired, pending, running, status, tg) = match w.task_set(id) {
            Some(ts) => {
                let v = ecs::shapes::TaskSet::of(w, ts);
                (
                    ts.desired as i64,
                    v.pending_count as i64,
                    v.running_count as i64,
                    ts.status.as_str(),
                    ts.tg,
                )
            }
            None => (0, 0, 0, "INACTIVE", gone_tg),
        };
        // Which one takes production traffic.
        let live = (label == "Green") == d.switched;
        sets.push(json!({
            "identifer": id,
            "desiredCount": desired,
            "pendingCount": pending,
            "runningCount": running,
            "status": status,
            "trafficWeight": if live { 100.0 } else { 0.0 },
            "targetGroup": {"name": TG_NAMES[tg]},
            "taskSetLabel": label
        }));
    }
    json!({
        "deploymentTargetType": "ECSTarget",
        "ecsTarget": {
            "deploymentId": d.id,
            "targetId": target_id(),
            "targetArn": w.names.service_arn(),
            "lastUpdatedAt": d.target_updated,
            "lifecycleEvents": events,
            "status": <&str>::from(d.target_status),
            "taskSetsInfo": sets
        }
    })
}

fn create_deployment(stack: &Arc<Stack>, input: &Value) -> ApiResult {
    let req: CreateDeploymentInput = request(input)?;
    let id = stack.world().create_deployment_from(CreateDeployment {
        application_name: req.application_name,
        deployment_group_name: req.deployment_group_name,
        deployment_config_name: req.deployment_config_name,
        description: req.description,
        revision: req.revision,
        auto_rollback: req
            .auto_rollback_configuration
            .map(|c| (c.enabled.unwrap_or(false), c.events)),
    })?;
    lifecycle::spawn(Arc::clone(stack), id.clone());
    Ok(json!({"deploymentId": id}))
}

fn list_deployments(stack: &Stack, input: &Value) -> ApiResult {
    let req: ListDeploymentsInput = request(input)?;
    let range = req.create_time_range.unwrap_or_default();
    let page = stack.world().list_deployments(&ListDeployments {
        application_name: req.application_name,
        deployment_group_name: req.deployment_group_name,
        include_only_statuses: req.include_only_statuses,
        start: range.start,
        end: range.end,
        next_token: req.next_token,
    })?;
    let mut out = json!({"deployments": page.ids});
    if let Some(t) = page.next_token {
        out["nextToken"] = json!(t);
    }
    Ok(out)
}

fn continue_deployment(stack: &Stack, input: &Value) -> ApiResult {
    let req: ContinueDeploymentInput = request(input)?;
    let id = check_deployment_id(req.deployment_id.as_deref())?;
    let wait = req.deployment_wait_type.as_deref().unwrap_or("READY_WAIT");
    let wait: WaitType = wait.parse().map_err(|_| {
        ApiError::new(
            Error::InvalidDeploymentWaitTypeException,
            format!("The wait type {wait:?} is invalid: READY_WAIT or TERMINATION_WAIT."),
        )
    })?;
    stack.world().continue_deployment(id, wait)?;
    Ok(json!({}))
}

fn stop_deployment(stack: &Stack, input: &Value) -> ApiResult {
    let req: StopDeploymentInput = request(input)?;
    let id = check_deployment_id(req.deployment_id.as_deref())?;
    let rollback = req.auto_rollback_enabled.unwrap_or(false);
    stack.world().stop_deployment(id, rollback)?;
    Ok(
        json!({"status": "Pending", "statusMessage": format!("Stopping deployment {id}{}", if rollback { " and rolling back" } else { "" })}),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::botocore_check::request_fits_botocore;

    #[test]
    fn a_deployment_fits_botocore() {
        let mut w = World::with(
            "us-east-1",
            1,
            crate::codedeploy::model::GroupSettings {
                ready_stop: false,
                ready_wait: std::time::Duration::ZERO,
                termination_wait: std::time::Duration::ZERO,
                auto_rollback: true,
                alarms: vec!["demo-http-5xx".into()],
            },
        );
        let revision = json!({"revisionType": "AppSpecContent", "appSpecContent": {"content":
            "version: 0.0\nResources:\n  - TargetService:\n      Type: AWS::ECS::Service\n      Properties:\n        TaskDefinition: demo:1\n"}});
        let id = w
            .create_deployment_from(CreateDeployment {
                application_name: Some("demo".into()),
                deployment_group_name: Some("demo".into()),
                description: Some("a test".into()),
                revision: Some(revision),
                ..CreateDeployment::default()
            })
            .unwrap();
        let v = json!({"deploymentInfo": deployment_json(&w, w.deployment(&id).unwrap())});
        assert_eq!(v["deploymentInfo"]["deploymentOverview"]["Pending"], 1);
        assert_eq!(v["deploymentInfo"]["deploymentOverview"]["Succeeded"], 0);
        assert_eq!(
            v["deploymentInfo"]["autoRollbackConfiguration"]["events"][0],
            "DEPLOYMENT_FAILURE"
        );
        assert!(v["deploymentInfo"].get("rollbackInfo").is_none());
        crate::botocore_check::fits_botocore("codedeploy", "GetDeployment", &v);
    }

    #[test]
    fn requests_fit_botocore() {
        request_fits_botocore::<CreateDeploymentInput>("codedeploy", "CreateDeployment");
        request_fits_botocore::<ListDeploymentsInput>("codedeploy", "ListDeployments");
        request_fits_botocore::<ContinueDeploymentInput>("codedeploy", "ContinueDeployment");
        request_fits_botocore::<StopDeploymentInput>("codedeploy", "StopDeployment");
        request_fits_botocore::<PutLifecycleEventHookExecutionStatusInput>(
            "codedeploy",
            "PutLifecycleEventHookExecutionStatus",
        );
        request_fits_botocore::<GetApplicationInput>("codedeploy", "GetApplication");
        request_fits_botocore::<BatchGetApplicationsInput>("codedeploy", "BatchGetApplications");
        request_fits_botocore::<BatchGetDeploymentsInput>("codedeploy", "BatchGetDeployments");
        request_fits_botocore::<GetApplicationInput>("codedeploy", "ListDeploymentGroups");
        request_fits_botocore::<GetDeploymentGroupInput>("codedeploy", "GetDeploymentGroup");
        request_fits_botocore::<GetDeploymentConfigInput>("codedeploy", "GetDeploymentConfig");
        request_fits_botocore::<GetDeploymentInput>("codedeploy", "GetDeployment");
        request_fits_botocore::<GetDeploymentInput>("codedeploy", "ListDeploymentTargets");
        request_fits_botocore::<GetDeploymentTargetInput>("codedeploy", "GetDeploymentTarget");
        request_fits_botocore::<BatchGetDeploymentTargetsInput>(
            "codedeploy",
            "BatchGetDeploymentTargets",
        );
    }
}
