//! The CodeDeploy API: parses requests, shapes answers as the CodeDeploy JSON 1.1 API does
//! (with AWS's error codes: [`super::Error`]) and maps them onto [`super::backend`].

use std::sync::Arc;

use serde_json::{json, Map, Value};

use super::backend::not_found;
use super::model::{
    AppSpec, Deployment, DeploymentKind, DeploymentStatus, EventStatus, NewDeployment, WaitType,
};
use super::{lifecycle, Error};
use crate::config::minutes_ceil;
use crate::ecs;
use crate::names::{
    APP_NAME, CLUSTER, DEPLOYMENT_CONFIG, GROUP_NAME, SERVICE, TG_NAMES, UPPER_ALNUM,
};
use crate::runtime::stack::Stack;
use crate::wire::error::{ApiError, Common};
use crate::wire::json::{opt_str, req_str, str_list, ApiResult};
use crate::world::World;

/// The names `aws ecs deploy` uses when it is not given `--codedeploy-application` /
/// `--codedeploy-deployment-group` (`AppECS-<cluster>-<service>`, `DgpECS-<cluster>-<service>`):
/// accepted as aliases of `demo`/`demo`, so the bare `aws ecs deploy --service demo --cluster demo
/// --task-definition FILE --codedeploy-appspec FILE` works locally.
const CLI_DEFAULT_APP: &str = "AppECS-demo-demo";
const CLI_DEFAULT_GROUP: &str = "DgpECS-demo-demo";

const APP_ID: &str = "00000000-0000-0000-0000-00000000a001";
const GROUP_ID: &str = "00000000-0000-0000-0000-00000000d001";

/// The built-in ECS deployment configurations; an NLB allows only the first.
const ECS_CONFIGS: [&str; 5] = [
    "CodeDeployDefault.ECSAllAtOnce",
    "CodeDeployDefault.ECSLinear10PercentEvery1Minutes",
    "CodeDeployDefault.ECSLinear10PercentEvery3Minutes",
    "CodeDeployDefault.ECSCanary10Percent5Minutes",
    "CodeDeployDefault.ECSCanary10Percent15Minutes",
];

pub(crate) fn handle(stack: &Arc<Stack>, op: &str, input: &Value) -> ApiResult {
    match op {
        "GetApplication" => {
            check_app(input)?;
            Ok(json!({"application": application_json(stack)}))
        }
        "ListApplications" => Ok(json!({"applications": [APP_NAME]})),
        "BatchGetApplications" => {
            let names = str_list(input, "applicationNames")?;
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
            check_app(input)?;
            check_group(input, "deploymentGroupName")?;
            let w = stack.world();
            Ok(json!({"deploymentGroupInfo": group_json(stack, &w)}))
        }
        "ListDeploymentGroups" => {
            check_app(input)?;
            Ok(json!({"applicationName": APP_NAME, "deploymentGroups": [GROUP_NAME]}))
        }
        "GetDeploymentConfig" => {
            let name = req_str(
                input,
                "deploymentConfigName",
                Error::DeploymentConfigNameRequiredException,
            )?;
            if !ECS_CONFIGS.contains(&name) {
                return Err(ApiError::new(
                    Error::DeploymentConfigDoesNotExistException,
                    format!(
                        "The deployment config {name} does not exist for the ECS compute platform"
                    ),
                ));
            }
            Ok(json!({"deploymentConfigInfo": config_json(stack, name)}))
        }
        "CreateDeployment" => create_deployment(stack, input),
        "GetDeployment" => {
            let id = deployment_id(input)?;
            let w = stack.world();
            let d = w.deployment(id).ok_or_else(|| not_found(id))?;
            Ok(json!({"deploymentInfo": deployment_json(&w, d)}))
        }
        "BatchGetDeployments" => {
            let ids = str_list(input, "deploymentIds")?;
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
            let id = deployment_id(input)?;
            let w = stack.world();
            let d = w.deployment(id).ok_or_else(|| not_found(id))?;
            check_started(d)?;
            Ok(json!({"targetIds": [target_id()]}))
        }
        "GetDeploymentTarget" => {
            let id = deployment_id(input)?;
            let target = req_str(
                input,
                "targetId",
                Error::DeploymentTargetIdRequiredException,
            )?;
            let w = stack.world();
            let d = w.deployment(id).ok_or_else(|| not_found(id))?;
            check_started(d)?;
            check_target(target)?;
            Ok(json!({"deploymentTarget": target_json(&w, d)}))
        }
        "BatchGetDeploymentTargets" => {
            let id = deployment_id(input)?;
            let targets = str_list(input, "targetIds")?;
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
        _ => Err(ApiError::new(
            Common::UnknownOperationException,
            format!("CodeDeploy operation {op} is not served by the local stack"),
        )),
    }
}

fn check_app(input: &Value) -> Result<(), ApiError> {
    let app = req_str(
        input,
        "applicationName",
        Error::ApplicationNameRequiredException,
    )?;
    if app != APP_NAME && app != CLI_DEFAULT_APP {
        return Err(ApiError::new(
            Error::ApplicationDoesNotExistException,
            format!("No application found for name: {app}"),
        ));
    }
    Ok(())
}

fn check_group(input: &Value, key: &str) -> Result<(), ApiError> {
    let group = req_str(input, key, Error::DeploymentGroupNameRequiredException)?;
    if group != GROUP_NAME && group != CLI_DEFAULT_GROUP {
        return Err(ApiError::new(
            Error::DeploymentGroupDoesNotExistException,
            format!("No Deployment Group found for name: {group}"),
        ));
    }
    Ok(())
}

fn check_id_format(id: &str) -> Result<(), ApiError> {
    let ok =
        id.len() == 11 && id.starts_with("d-") && id[2..].bytes().all(|b| UPPER_ALNUM.contains(&b));
    if ok {
        Ok(())
    } else {
        Err(ApiError::new(
            Error::InvalidDeploymentIdException,
            format!("Specified DeploymentId is not in the valid format: {id}"),
        ))
    }
}

fn deployment_id(input: &Value) -> Result<&str, ApiError> {
    let id = req_str(input, "deploymentId", Error::DeploymentIdRequiredException)?;
    check_id_format(id)?;
    Ok(id)
}

fn check_started(d: &Deployment) -> Result<(), ApiError> {
    if matches!(
        d.status,
        DeploymentStatus::Created | DeploymentStatus::Queued
    ) {
        return Err(ApiError::new(
            Error::DeploymentNotStartedException,
            format!("The deployment {} has not started yet.", d.id),
        ));
    }
    Ok(())
}

fn target_id() -> String {
    format!("{CLUSTER}:{SERVICE}")
}

fn check_target(t: &str) -> Result<(), ApiError> {
    if t == target_id() {
        Ok(())
    } else {
        Err(ApiError::new(
            Error::DeploymentTargetDoesNotExistException,
            format!(
                "The provided target ID {t} does not belong to the deployment (its target is {}).",
                target_id()
            ),
        ))
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
        "alarmConfiguration": {"enabled": false, "ignorePollAlarmFailure": false, "alarms": []},
        "autoRollbackConfiguration": {
            "enabled": w.group.auto_rollback,
            "events": if w.group.auto_rollback { json!(["DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_REQUEST"]) } else { json!([]) }
        },
        "deploymentStyle": {"deploymentType": "BLUE_GREEN", "deploymentOption": "WITH_TRAFFIC_CONTROL"},
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

pub(crate) fn deployment_json(w: &World, d: &Deployment) -> Value {
    let mut overview = json!({"Pending": 0, "InProgress": 0, "Succeeded": 0, "Failed": 0, "Skipped": 0, "Ready": 0});
    let key: &str = d.target_status.into();
    overview[key] = json!(1);
    let mut v = json!({
        "applicationName": APP_NAME,
        "deploymentGroupName": GROUP_NAME,
        "deploymentConfigName": DEPLOYMENT_CONFIG,
        "deploymentId": d.id,
        "revision": d.revision,
        "status": d.status.as_str(),
        "createTime": d.create_time,
        "deploymentOverview": overview,
        "creator": d.creator,
        "ignoreApplicationStopFailures": false,
        "autoRollbackConfiguration": {
            "enabled": d.auto_rollback,
            "events": if d.auto_rollback { json!(["DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_REQUEST"]) } else { json!([]) }
        },
        "updateOutdatedInstancesOnly": false,
        "deploymentStyle": {"deploymentType": "BLUE_GREEN", "deploymentOption": "WITH_TRAFFIC_CONTROL"},
        "instanceTerminationWaitTimeStarted": d.termination_wait_started,
        "blueGreenDeploymentConfiguration": blue_green_json(w),
        "loadBalancerInfo": {"targetGroupPairInfoList": [{
            "targetGroups": [{"name": TG_NAMES[0]}, {"name": TG_NAMES[1]}],
            "prodTrafficRoute": {"listenerArns": [w.names.listener_arn("prod")]},
        }]},
        "fileExistsBehavior": "DISALLOW",
        "deploymentStatusMessages": d.status_messages,
        "computePlatform": "ECS"
    });
    let o = v.as_object_mut().expect("object");
    if let Some(p) = &d.previous_revision {
        o.insert("previousRevision".into(), p.clone());
    }
    if let Some(t) = d.start_time {
        o.insert("startTime".into(), json!(t));
    }
    if let Some(t) = d.complete_time {
        o.insert("completeTime".into(), json!(t));
    }
    if let Some(desc) = &d.description {
        o.insert("description".into(), json!(desc));
    }
    if let Some((code, message)) = &d.error {
        o.insert(
            "errorInformation".into(),
            json!({"code": <&str>::from(*code), "message": message}),
        );
    }
    let mut rb = Map::new();
    if let Some(id) = &d.rollback_id {
        rb.insert("rollbackDeploymentId".into(), json!(id));
    }
    if let DeploymentKind::Rollback { of } = &d.kind {
        rb.insert("rollbackTriggeringDeploymentId".into(), json!(of));
    }
    if let Some(m) = &d.rollback_message {
        rb.insert("rollbackMessage".into(), json!(m));
    }
    if !rb.is_empty() {
        o.insert("rollbackInfo".into(), Value::Object(rb));
    }
    v
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
                let code = if e.status == EventStatus::Failed {
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
                let v = ecs::api::task_set_json(w, ts);
                (
                    ts.desired as i64,
                    v["pendingCount"].as_i64().unwrap_or(0),
                    v["runningCount"].as_i64().unwrap_or(0),
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
    check_app(input)?;
    check_group(input, "deploymentGroupName")?;
    if let Some(cfg) = opt_str(input, "deploymentConfigName")? {
        if !ECS_CONFIGS.contains(&cfg) {
            return Err(ApiError::new(
                Error::DeploymentConfigDoesNotExistException,
                format!("The deployment config {cfg} does not exist for the ECS compute platform"),
            ));
        }
        if cfg != DEPLOYMENT_CONFIG {
            return Err(ApiError::new(
                Error::InvalidDeploymentConfigNameException,
                format!("{cfg}: a deployment behind a Network Load Balancer supports only {DEPLOYMENT_CONFIG}"),
            ));
        }
    }
    let description = opt_str(input, "description")?;
    if description.is_some_and(|d| d.chars().count() > 512) {
        return Err(ApiError::new(
            Error::DescriptionTooLongException,
            "The description is too long (512 characters at most).",
        ));
    }
    let revision = match input.get("revision") {
        Some(r @ Value::Object(_)) => r.clone(),
        _ => {
            return Err(ApiError::new(
                Error::RevisionRequiredException,
                "The revision ID was not specified.",
            ))
        }
    };
    let content = match revision["revisionType"].as_str() {
        Some("AppSpecContent") => revision["appSpecContent"]["content"].as_str(),
        Some("String") => revision["string"]["content"].as_str(),
        Some(other) => {
            return Err(ApiError::new(
                Error::InvalidRevisionException,
                format!("revisionType {other}: the local stack takes the AppSpec inline (AppSpecContent or String), not from S3 or GitHub"),
            ))
        }
        None => None,
    };
    let content = content.filter(|c| !c.trim().is_empty()).ok_or_else(|| {
        ApiError::new(
            Error::InvalidRevisionException,
            "The revision has no AppSpec content.",
        )
    })?;
    let appspec =
        AppSpec::parse(content).map_err(|m| ApiError::new(Error::InvalidRevisionException, m))?;
    let auto_rollback = match input.get("autoRollbackConfiguration") {
        Some(c @ Value::Object(_)) => {
            c["enabled"].as_bool().unwrap_or(false)
                && c["events"]
                    .as_array()
                    .is_none_or(|e| e.iter().any(|x| x == "DEPLOYMENT_FAILURE"))
        }
        _ => stack.world().group.auto_rollback,
    };
    let id = stack.world().create_deployment(NewDeployment {
        revision,
        appspec,
        description: description.map(String::from),
        auto_rollback,
    })?;
    lifecycle::spawn(Arc::clone(stack), id.clone());
    Ok(json!({"deploymentId": id}))
}

fn list_deployments(stack: &Stack, input: &Value) -> ApiResult {
    let app = opt_str(input, "applicationName")?;
    let group = opt_str(input, "deploymentGroupName")?;
    match (app, group) {
        (Some(_), _) => check_app(input)?,
        (None, Some(_)) => {
            return Err(ApiError::new(
                Error::ApplicationNameRequiredException,
                "The minimum number of required application names was not specified (deploymentGroupName needs applicationName).",
            ))
        }
        (None, None) => {}
    }
    if app.is_some() {
        if group.is_none() {
            return Err(ApiError::new(
                Error::DeploymentGroupNameRequiredException,
                "The deployment group name was not specified (applicationName needs deploymentGroupName).",
            ));
        }
        check_group(input, "deploymentGroupName")?;
    }
    let statuses = str_list(input, "includeOnlyStatuses")?;
    let mut wanted = Vec::new();
    for s in &statuses {
        match s.parse::<DeploymentStatus>() {
            Ok(st) => wanted.push(st),
            Err(_) => {
                return Err(ApiError::new(
                    Error::InvalidDeploymentStatusException,
                    format!("The specified deployment status {s:?} is not valid."),
                ))
            }
        }
    }
    let range = &input["createTimeRange"];
    let start = range["start"].as_f64();
    let end = range["end"].as_f64();
    if let (Some(s), Some(e)) = (start, end) {
        if s > e {
            return Err(ApiError::new(
                Error::InvalidTimeRangeException,
                "The specified time range is not valid: start is after end.",
            ));
        }
    }
    let w = stack.world();
    let ids: Vec<String> = w
        .deployments
        .iter()
        .rev()
        .filter(|d| statuses.is_empty() || wanted.contains(&d.status))
        .filter(|d| start.is_none_or(|s| d.create_time >= s))
        .filter(|d| end.is_none_or(|e| d.create_time <= e))
        .map(|d| d.id.clone())
        .collect();
    let from = match opt_str(input, "nextToken")? {
        Some(t) => t.parse::<usize>().map_err(|_| {
            ApiError::new(
                Error::InvalidNextTokenException,
                format!("The next token {t:?} is not valid."),
            )
        })?,
        None => 0,
    };
    let page: Vec<&String> = ids.iter().skip(from).take(100).collect();
    let mut out = json!({"deployments": page});
    if from + 100 < ids.len() {
        out["nextToken"] = json!((from + 100).to_string());
    }
    Ok(out)
}

fn continue_deployment(stack: &Stack, input: &Value) -> ApiResult {
    let id = deployment_id(input)?;
    let wait = opt_str(input, "deploymentWaitType")?.unwrap_or("READY_WAIT");
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
    let id = deployment_id(input)?;
    let rollback = match input.get("autoRollbackEnabled") {
        Some(Value::Bool(b)) => *b,
        None | Some(Value::Null) => false,
        Some(other) => {
            return Err(ApiError::new(
                Common::SerializationException,
                format!("autoRollbackEnabled: expected a boolean, got {other}"),
            ))
        }
    };
    stack.world().stop_deployment(id, rollback)?;
    Ok(
        json!({"status": "Pending", "statusMessage": format!("Stopping deployment {id}{}", if rollback { " and rolling back" } else { "" })}),
    )
}
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deployment_id_format() {
        assert!(check_id_format("d-ABCDEF123").is_ok());
        assert_eq!(
            check_id_format("d-abc").unwrap_err().code,
            "InvalidDeploymentIdException"
        );
        assert_eq!(
            check_id_format("x-ABCDEF123").unwrap_err().code,
            "InvalidDeploymentIdException"
        );
    }
}
