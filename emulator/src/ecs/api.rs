//! The ECS API: parses requests, shapes answers as the ECS JSON 1.1 API does (the
//! operations the deployer and `aws ecs deploy` call), and maps them onto [`super::backend`].

use std::sync::Arc;

use serde::de::IgnoredAny;
use serde::Deserialize;
use serde_json::{json, Map, Value};

use super::backend;
use super::model::{StopCode, Task, TaskSet, TaskSetStatus, TaskStatus};
use super::Error;
use crate::names::{CLUSTER, CONTAINER, CONTAINER_PORT, SERVICE, TG_NAMES};
use crate::runtime::stack::Stack;
use crate::wire::error::required;
use crate::wire::error::{ApiError, Common};
use crate::wire::json::{request, ApiResult};
use crate::world::World;

/// DescribeTaskDefinitionRequest.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct DescribeTaskDefinitionRequest {
    task_definition: Option<String>,
}

/// ListTaskDefinitionsRequest.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ListTaskDefinitionsRequest {
    family_prefix: Option<String>,
    status: Option<String>,
    sort: Option<String>,
    next_token: Option<String>,
    max_results: Option<i64>,
}

/// The cluster member every other request has (ListServicesRequest's, for one).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ClusterRequest {
    cluster: Option<String>,
}

/// ListClustersRequest (one cluster: a single page whatever the paging asks).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ListClustersRequest {
    #[allow(dead_code)]
    next_token: Option<String>,
    #[allow(dead_code)]
    max_results: Option<i64>,
}

/// DescribeServicesRequest.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct DescribeServicesRequest {
    cluster: Option<String>,
    #[serde(default)]
    services: Vec<String>,
}

/// UpdateServiceRequest: what a CODE_DEPLOY service lets change, and the members it
/// refuses (only whether they are given matters).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct UpdateServiceRequest {
    cluster: Option<String>,
    service: Option<String>,
    desired_count: Option<i64>,
    task_definition: Option<IgnoredAny>,
    network_configuration: Option<IgnoredAny>,
    load_balancers: Option<IgnoredAny>,
    platform_version: Option<IgnoredAny>,
}

/// RunTaskRequest.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RunTaskRequest {
    cluster: Option<String>,
    task_definition: Option<String>,
    count: Option<i64>,
    overrides: Option<crate::ecs::placement::TaskOverride>,
}

/// StopTaskRequest.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct StopTaskRequest {
    cluster: Option<String>,
    task: Option<String>,
    reason: Option<String>,
}

/// ListTasksRequest.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ListTasksRequest {
    cluster: Option<String>,
    service_name: Option<String>,
    desired_status: Option<String>,
    started_by: Option<String>,
    family: Option<String>,
    next_token: Option<String>,
    max_results: Option<i64>,
}

/// DescribeTasksRequest.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct DescribeTasksRequest {
    cluster: Option<String>,
    #[serde(default)]
    tasks: Vec<String>,
}

/// DescribeTaskSetsRequest.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct DescribeTaskSetsRequest {
    cluster: Option<String>,
    #[serde(default)]
    task_sets: Vec<String>,
}

pub(crate) fn handle(stack: &Arc<Stack>, op: &str, input: &Value) -> ApiResult {
    match op {
        "RegisterTaskDefinition" => {
            let mut td = input.clone();
            let tags = td
                .as_object_mut()
                .and_then(|o| o.remove("tags"))
                .unwrap_or(json!([]));
            let mut w = stack.world();
            let arn = w.register_task_definition(td)?;
            let td = w.task_def(&arn).cloned().unwrap_or(Value::Null);
            Ok(json!({"taskDefinition": td, "tags": tags}))
        }
        "DescribeTaskDefinition" => {
            let req: DescribeTaskDefinitionRequest = request(input)?;
            let r = required(
                req.task_definition.as_deref(),
                "taskDefinition",
                Error::ClientException,
            )?;
            let w = stack.world();
            let td = w.resolve_task_def(r).ok_or_else(|| {
                ApiError::new(
                    Error::ClientException,
                    "Unable to describe task definition.",
                )
            })?;
            Ok(json!({"taskDefinition": td, "tags": []}))
        }
        "ListTaskDefinitions" => list_task_definitions(stack, input),
        "DescribeServices" => describe_services(stack, input),
        "UpdateService" => update_service(stack, input),
        "DescribeClusters" => {
            let w = stack.world();
            let running = w
                .tasks
                .values()
                .filter(|t| t.last_status == TaskStatus::Running)
                .count();
            Ok(json!({"clusters": [{
                "clusterArn": w.names.cluster_arn(), "clusterName": CLUSTER, "status": "ACTIVE",
                "runningTasksCount": running, "pendingTasksCount": 0, "activeServicesCount": 1,
                "registeredContainerInstancesCount": 0
            }], "failures": []}))
        }
        // The one cluster (a user's first `aws ecs list-clusters` against the endpoint).
        "ListClusters" => {
            let _: ListClustersRequest = request(input)?;
            Ok(json!({"clusterArns": [stack.names().cluster_arn()]}))
        }
        "ListServices" => {
            check_cluster(stack, request::<ClusterRequest>(input)?.cluster)?;
            Ok(json!({"serviceArns": [stack.names().service_arn()]}))
        }
        "ListTasks" => list_tasks(stack, input),
        "RunTask" => run_task(stack, input),
        "StopTask" => stop_task(stack, input),
        "DescribeTasks" => describe_tasks(stack, input),
        "DescribeTaskSets" => {
            let req: DescribeTaskSetsRequest = request(input)?;
            check_cluster(stack, req.cluster)?;
            let w = stack.world();
            let wanted = req.task_sets;
            let sets: Vec<Value> = w
                .service
                .task_sets
                .iter()
                .filter(|ts| {
                    wanted.is_empty() || wanted.iter().any(|x| *x == ts.id || *x == ts.arn)
                })
                .map(|ts| task_set_json(&w, ts))
                .collect();
            Ok(json!({"taskSets": sets, "failures": []}))
        }
        _ => Err(ApiError::new(
            Common::UnknownOperationException,
            format!("ECS operation {op} is not served by the local stack"),
        )),
    }
}

fn list_task_definitions(stack: &Stack, input: &Value) -> ApiResult {
    let req: ListTaskDefinitionsRequest = request(input)?;
    let prefix = req.family_prefix.as_deref();
    let status = req.status.as_deref().unwrap_or("ACTIVE");
    if !matches!(status, "ACTIVE" | "INACTIVE" | "DELETE_IN_PROGRESS") {
        return Err(ApiError::new(
            Error::InvalidParameterException,
            format!("status {status:?} is not valid"),
        ));
    }
    let desc = match req.sort.as_deref() {
        None | Some("ASC") => false,
        Some("DESC") => true,
        Some(other) => {
            return Err(ApiError::new(
                Error::InvalidParameterException,
                format!("sort {other:?} is not ASC or DESC"),
            ))
        }
    };
    let w = stack.world();
    let mut arns: Vec<String> = w
        .task_defs
        .iter()
        .filter(|t| t["status"].as_str() == Some(status))
        .filter(|t| prefix.is_none_or(|p| t["family"].as_str().is_some_and(|f| f.starts_with(p))))
        .filter_map(|t| t["taskDefinitionArn"].as_str().map(String::from))
        .collect();
    if desc {
        arns.reverse();
    }
    paginate(
        arns,
        req.next_token.as_deref(),
        req.max_results,
        "taskDefinitionArns",
    )
}

/// `nextToken` is the index of the next item; `maxResults` defaults to 100.
fn paginate(
    items: Vec<String>,
    next_token: Option<&str>,
    max_results: Option<i64>,
    key: &str,
) -> ApiResult {
    let start = match next_token {
        Some(t) => t.parse::<usize>().map_err(|_| {
            ApiError::new(
                Error::InvalidParameterException,
                format!("nextToken {t:?} is not valid"),
            )
        })?,
        None => 0,
    };
    let max = max_results.unwrap_or(100).clamp(1, 100) as usize;
    let page: Vec<String> = items.iter().skip(start).take(max).cloned().collect();
    let mut out = Map::new();
    out.insert(key.into(), json!(page));
    if start + max < items.len() {
        out.insert("nextToken".into(), json!((start + max).to_string()));
    }
    Ok(Value::Object(out))
}

fn check_cluster(stack: &Stack, cluster: Option<String>) -> Result<(), ApiError> {
    Ok(backend::check_cluster(&stack.names(), cluster.as_deref())?)
}

fn describe_services(stack: &Stack, input: &Value) -> ApiResult {
    let req: DescribeServicesRequest = request(input)?;
    check_cluster(stack, req.cluster)?;
    let wanted = req.services;
    if wanted.is_empty() {
        return Err(ApiError::new(
            Error::InvalidParameterException,
            "Services cannot be empty.",
        ));
    }
    let w = stack.world();
    let arn = w.names.service_arn();
    let mut services = Vec::new();
    let mut failures = Vec::new();
    for s in wanted {
        if s == SERVICE || s == arn {
            services.push(service_json(&w));
        } else {
            let farn = if s.starts_with("arn:") {
                s.clone()
            } else {
                w.names.arn("ecs", &format!("service/{CLUSTER}/{s}"))
            };
            failures.push(json!({"arn": farn, "reason": "MISSING"}));
        }
    }
    Ok(json!({"services": services, "failures": failures}))
}

/// UpdateService (the rules are the backend's).
fn update_service(stack: &Stack, input: &Value) -> ApiResult {
    let r: UpdateServiceRequest = request(input)?;
    check_cluster(stack, r.cluster)?;
    let req = backend::UpdateService {
        service: r.service,
        desired_count: r.desired_count,
        code_deploy_owned: [
            ("taskDefinition", r.task_definition.is_some()),
            ("networkConfiguration", r.network_configuration.is_some()),
            ("loadBalancers", r.load_balancers.is_some()),
            ("platformVersion", r.platform_version.is_some()),
        ]
        .into_iter()
        .find_map(|(key, given)| given.then_some(key)),
    };
    let mut w = stack.world();
    w.update_service(&req)?;
    Ok(json!({"service": service_json(&w)}))
}

fn family_of(task_def_arn: &str) -> &str {
    task_def_arn
        .rsplit('/')
        .next()
        .and_then(|fr| fr.split(':').next())
        .unwrap_or("")
}

/// RunTask: `count` one-off tasks of a task definition (`family`, `family:rev` or ARN),
/// with `overrides.containerOverrides` (command, environment) for the `demo` container.
fn run_task(stack: &Arc<Stack>, input: &Value) -> ApiResult {
    let req: RunTaskRequest = request(input)?;
    check_cluster(stack, req.cluster)?;
    let r = required(
        req.task_definition.as_deref(),
        "taskDefinition",
        Error::InvalidParameterException,
    )?;
    let arn = {
        let w = stack.world();
        let td = w.resolve_task_def(r).ok_or_else(|| {
            ApiError::new(
                Error::InvalidParameterException,
                "TaskDefinition not found.",
            )
        })?;
        td["taskDefinitionArn"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    };
    let count = match req.count {
        None => 1,
        Some(v) if (1..=10).contains(&v) => v,
        Some(v) => {
            return Err(ApiError::new(
                Error::InvalidParameterException,
                format!("count {v}: must be from 1 to 10"),
            ))
        }
    };
    let o = crate::ecs::placement::overrides(req.overrides.as_ref(), CONTAINER)
        .map_err(|m| ApiError::new(Error::InvalidParameterException, m))?;
    let mut ids = Vec::new();
    for _ in 0..count {
        let id = crate::runtime::tasks::run_task(stack, &arn, o.command.clone(), &o.environment)
            .map_err(|e| ApiError::new(Error::ClientException, format!("{e:#}")))?;
        ids.push(id);
    }
    let w = stack.world();
    let tasks: Vec<Value> = ids
        .iter()
        .filter_map(|id| w.tasks.get(id))
        .map(|t| task_json(&w, t))
        .collect();
    Ok(json!({"tasks": tasks, "failures": []}))
}

/// StopTask: a service task is replaced by the scheduler; a one-off one just stops.
fn stop_task(stack: &Arc<Stack>, input: &Value) -> ApiResult {
    let req: StopTaskRequest = request(input)?;
    check_cluster(stack, req.cluster)?;
    let r = required(
        req.task.as_deref(),
        "task",
        Error::InvalidParameterException,
    )?;
    let id = r.rsplit('/').next().unwrap_or(r).to_string();
    let reason = req
        .reason
        .as_deref()
        .unwrap_or("Task stopped by the user")
        .to_string();
    if !stack.world().tasks.contains_key(&id) {
        return Err(ApiError::new(
            Error::InvalidParameterException,
            "The referenced task was not found.",
        ));
    }
    crate::runtime::tasks::stop_task(stack, &id, StopCode::UserInitiated, &reason);
    let w = stack.world();
    let t = w.tasks.get(&id).expect("checked above");
    Ok(json!({"task": task_json(&w, t)}))
}

fn counts(w: &World, ts: &TaskSet) -> (usize, usize) {
    let mut running = 0;
    let mut pending = 0;
    for t in ts.tasks.iter().filter_map(|id| w.tasks.get(id)) {
        match t.last_status {
            TaskStatus::Running => running += 1,
            TaskStatus::Pending => pending += 1,
            _ => {}
        }
    }
    (running, pending)
}

pub(crate) fn task_set_json(w: &World, ts: &TaskSet) -> Value {
    let (running, pending) = counts(w, ts);
    let steady = running >= ts.desired as usize && pending == 0;
    json!({
        "id": ts.id,
        "taskSetArn": ts.arn,
        "serviceArn": w.names.service_arn(),
        "clusterArn": w.names.cluster_arn(),
        "startedBy": "CodeDeploy",
        "externalId": ts.external_id,
        "status": ts.status.as_str(),
        "taskDefinition": ts.task_def_arn,
        "computedDesiredCount": ts.desired,
        "pendingCount": pending,
        "runningCount": running,
        "createdAt": ts.created_at,
        "updatedAt": ts.updated_at,
        "launchType": "FARGATE",
        "platformVersion": "1.4.0",
        "platformFamily": "Linux",
        "loadBalancers": [{
            "targetGroupArn": w.names.tg_arn(TG_NAMES[ts.tg]),
            "containerName": CONTAINER,
            "containerPort": CONTAINER_PORT
        }],
        "serviceRegistries": [],
        "scale": {"value": if ts.status == TaskSetStatus::Draining { 0.0 } else { 100.0 }, "unit": "PERCENT"},
        "stabilityStatus": if steady { "STEADY_STATE" } else { "STABILIZING" },
        "stabilityStatusAt": ts.updated_at,
        "tags": []
    })
}

fn service_json(w: &World) -> Value {
    let primary = w.primary();
    let (running, pending) = primary.map(|ts| counts(w, ts)).unwrap_or((0, 0));
    let running_all: usize = w
        .tasks
        .values()
        .filter(|t| t.last_status == TaskStatus::Running)
        .count();
    let td = primary.map(|ts| ts.task_def_arn.clone());
    json!({
        "serviceArn": w.names.service_arn(),
        "serviceName": SERVICE,
        "clusterArn": w.names.cluster_arn(),
        "loadBalancers": [{
            "targetGroupArn": w.names.tg_arn(TG_NAMES[0]),
            "containerName": CONTAINER,
            "containerPort": CONTAINER_PORT
        }],
        "serviceRegistries": [],
        "status": "ACTIVE",
        "desiredCount": w.service.desired,
        "runningCount": running_all.max(running),
        "pendingCount": pending,
        "launchType": "FARGATE",
        "platformVersion": "LATEST",
        "platformFamily": "Linux",
        "taskDefinition": td,
        "deploymentConfiguration": {"maximumPercent": 200, "minimumHealthyPercent": 100},
        "taskSets": w.service.task_sets.iter().map(|ts| task_set_json(w, ts)).collect::<Vec<_>>(),
        "deployments": [],
        "roleArn": w.names.role_arn("aws-service-role/ecs.amazonaws.com/AWSServiceRoleForECS"),
        "events": w.service.events.iter().take(20).map(|e| json!({"id": e.id, "createdAt": e.at, "message": e.message})).collect::<Vec<_>>(),
        "createdAt": w.service.created_at,
        "placementConstraints": [],
        "placementStrategy": [],
        "networkConfiguration": {"awsvpcConfiguration": {
            "subnets": ["subnet-local"], "securityGroups": ["sg-local"], "assignPublicIp": "DISABLED"
        }},
        "healthCheckGracePeriodSeconds": 0,
        "schedulingStrategy": "REPLICA",
        "deploymentController": {"type": "CODE_DEPLOY"},
        "createdBy": w.names.role_arn("demo-terraform"),
        "enableECSManagedTags": false,
        "propagateTags": "NONE",
        "enableExecuteCommand": false
    })
}

fn list_tasks(stack: &Stack, input: &Value) -> ApiResult {
    let req: ListTasksRequest = request(input)?;
    check_cluster(stack, req.cluster)?;
    if let Some(s) = req.service_name.as_deref() {
        if s != SERVICE && s != stack.names().service_arn() {
            return Err(ApiError::new(
                Error::ServiceNotFoundException,
                "Service not found.",
            ));
        }
    }
    let desired = req.desired_status.as_deref().unwrap_or("RUNNING");
    let want_running = match desired {
        "RUNNING" | "PENDING" => true,
        "STOPPED" => false,
        other => {
            return Err(ApiError::new(
                Error::InvalidParameterException,
                format!("desiredStatus {other:?} is not RUNNING, PENDING or STOPPED"),
            ))
        }
    };
    let service_only = req.service_name.is_some();
    let started_by = req.started_by.as_deref();
    let family = req.family.as_deref();
    let w = stack.world();
    let mut tasks: Vec<&Task> = w
        .tasks
        .values()
        .filter(|t| t.desired_running == want_running)
        // A one-off task (RunTask) belongs to no service.
        .filter(|t| !service_only || !t.task_set_id.is_empty())
        .filter(|t| started_by.is_none_or(|s| s == t.task_set_id))
        .filter(|t| {
            family.is_none_or(|f| t.task_def_arn.contains(&format!("task-definition/{f}:")))
        })
        .collect();
    tasks.sort_by(|a, b| a.created_at.total_cmp(&b.created_at));
    paginate(
        tasks.iter().map(|t| t.arn.clone()).collect(),
        req.next_token.as_deref(),
        req.max_results,
        "taskArns",
    )
}

fn describe_tasks(stack: &Stack, input: &Value) -> ApiResult {
    let req: DescribeTasksRequest = request(input)?;
    check_cluster(stack, req.cluster)?;
    let wanted = req.tasks;
    if wanted.is_empty() {
        return Err(ApiError::new(
            Error::InvalidParameterException,
            "Tasks cannot be empty.",
        ));
    }
    if wanted.len() > 100 {
        return Err(ApiError::new(
            Error::InvalidParameterException,
            "Tasks cannot have more than 100 elements.",
        ));
    }
    let w = stack.world();
    let mut out = Vec::new();
    let mut failures = Vec::new();
    for r in wanted {
        let id = r.rsplit('/').next().unwrap_or(&r);
        match w.tasks.get(id) {
            Some(t) => out.push(task_json(&w, t)),
            None => failures.push(json!({"arn": r, "reason": "MISSING"})),
        }
    }
    Ok(json!({"tasks": out, "failures": failures}))
}

fn task_json(w: &World, t: &Task) -> Value {
    let desired = desired_status(t);
    let az = &t.az;
    let container_status = match t.last_status {
        TaskStatus::Stopped => TaskStatus::Stopped,
        TaskStatus::Running | TaskStatus::Deprovisioning => TaskStatus::Running,
        _ => TaskStatus::Pending,
    }
    .as_str();
    let mut v = json!({
        "taskArn": t.arn,
        "clusterArn": w.names.cluster_arn(),
        "taskDefinitionArn": t.task_def_arn,
        "lastStatus": t.last_status.as_str(),
        "desiredStatus": desired,
        "healthStatus": if t.has_health_check { t.health.as_str() } else { "UNKNOWN" },
        "startedBy": t.task_set_id,
        "group": if t.task_set_id.is_empty() {
            format!("family:{}", family_of(&t.task_def_arn))
        } else {
            format!("service:{SERVICE}")
        },
        "launchType": "FARGATE",
        "platformVersion": "1.4.0",
        "platformFamily": "Linux",
        "availabilityZone": az,
        "connectivity": "CONNECTED",
        "connectivityAt": t.created_at,
        "cpu": "256",
        "memory": "512",
        "createdAt": t.created_at,
        "version": 1,
        "attachments": [{
            "id": t.id, "type": "ElasticNetworkInterface", "status": "ATTACHED",
            "details": [
                {"name": "privateIPv4Address", "value": "127.0.0.1"},
                {"name": "subnetId", "value": "subnet-local"}
            ]
        }],
        "attributes": [],
        "tags": [],
        "containers": [{
            "containerArn": format!("{}/{CONTAINER}", t.arn.replace(":task/", ":container/")),
            "taskArn": t.arn,
            "name": CONTAINER,
            "image": t.image,
            "lastStatus": container_status,
            "healthStatus": if t.has_health_check { t.health.as_str() } else { "UNKNOWN" },
            "exitCode": t.exit_code,
            "networkBindings": [{
                "bindIP": "127.0.0.1", "containerPort": CONTAINER_PORT, "hostPort": t.port, "protocol": "tcp"
            }],
            "networkInterfaces": [{"attachmentId": t.id, "privateIpv4Address": "127.0.0.1"}]
        }]
    });
    let o = v.as_object_mut().expect("object");
    if let Some(s) = t.started_at {
        o.insert("startedAt".into(), json!(s));
        o.insert("pullStartedAt".into(), json!(t.created_at));
        o.insert("pullStoppedAt".into(), json!(s));
    }
    if let Some(s) = t.stopping_at {
        o.insert("stoppingAt".into(), json!(s));
    }
    if let Some(s) = t.stopped_at {
        o.insert("stoppedAt".into(), json!(s));
        o.insert("executionStoppedAt".into(), json!(s));
    }
    if let Some(r) = &t.stopped_reason {
        o.insert("stoppedReason".into(), json!(r));
    }
    if let Some(c) = t.stop_code {
        o.insert("stopCode".into(), json!(<&str>::from(c)));
    }
    v
}

/// ECS task metadata v4 (`/task`) for a task of this stack.
pub(crate) fn task_metadata(stack: &Stack, id: &str) -> Option<Value> {
    let w = stack.world();
    let t = w.tasks.get(id)?;
    let td = w.task_def(&t.task_def_arn);
    Some(json!({
        "Cluster": w.names.cluster_arn(),
        "TaskARN": t.arn,
        "Family": td.and_then(|d| d["family"].as_str()),
        "Revision": td.and_then(|d| d["revision"].as_u64()).map(|r| r.to_string()),
        "DesiredStatus": desired_status(t),
        "KnownStatus": t.last_status.as_str(),
        "AvailabilityZone": t.az,
        "LaunchType": "FARGATE",
        "Containers": [{
            "DockerId": t.id,
            "Name": CONTAINER,
            "Image": t.image,
            "ImageID": stack.images.resolve(&t.image).map(|(rec, _)| rec.digest),
            "DesiredStatus": desired_status(t),
            "KnownStatus": t.last_status.as_str(),
            "Labels": {
                "com.amazonaws.ecs.cluster": w.names.cluster_arn(),
                "com.amazonaws.ecs.container-name": CONTAINER,
                "com.amazonaws.ecs.task-arn": t.arn,
            },
            "Type": "NORMAL",
            "Networks": [{"NetworkMode": "awsvpc", "IPv4Addresses": ["127.0.0.1"]}]
        }]
    }))
}

/// A task's `desiredStatus`.
fn desired_status(t: &Task) -> &'static str {
    if t.desired_running {
        TaskStatus::Running.as_str()
    } else {
        TaskStatus::Stopped.as_str()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::botocore_check::request_fits_botocore;

    #[test]
    fn requests_fit_botocore() {
        request_fits_botocore::<DescribeTaskDefinitionRequest>("ecs", "DescribeTaskDefinition");
        request_fits_botocore::<ListTaskDefinitionsRequest>("ecs", "ListTaskDefinitions");
        request_fits_botocore::<ListClustersRequest>("ecs", "ListClusters");
        request_fits_botocore::<ClusterRequest>("ecs", "ListServices");
        request_fits_botocore::<DescribeServicesRequest>("ecs", "DescribeServices");
        request_fits_botocore::<UpdateServiceRequest>("ecs", "UpdateService");
        request_fits_botocore::<RunTaskRequest>("ecs", "RunTask");
        request_fits_botocore::<StopTaskRequest>("ecs", "StopTask");
        request_fits_botocore::<ListTasksRequest>("ecs", "ListTasks");
        request_fits_botocore::<DescribeTasksRequest>("ecs", "DescribeTasks");
        request_fits_botocore::<DescribeTaskSetsRequest>("ecs", "DescribeTaskSets");
    }
}
