//! The ECS API: parses requests, shapes answers as the ECS JSON 1.1 API does (the
//! operations the deployer and `aws ecs deploy` call), and maps them onto [`super::backend`].

use std::sync::Arc;

use serde::de::IgnoredAny;
use serde::Deserialize;
use serde_json::Value;

use super::backend;
use super::model::{StopCode, Task as TaskRecord};
use super::shapes::*;
use super::Error;
use crate::names::{CLUSTER, CONTAINER, SERVICE};
use crate::runtime::stack::Stack;
use crate::wire::error::required;
use crate::wire::error::{ApiError, Common};
use crate::wire::json::{answer, request, ApiResult};

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
            let tags = td.as_object_mut().and_then(|o| o.remove("tags"));
            let tags: Vec<Tag> = match tags {
                Some(t) => request(&t)?,
                None => Vec::new(),
            };
            let mut w = stack.world();
            let arn = w.register_task_definition(td)?;
            let td = w.task_def(&arn).cloned().unwrap_or(Value::Null);
            answer(TaskDefinitionResponse {
                task_definition: td,
                tags,
            })
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
            answer(TaskDefinitionResponse {
                task_definition: td.clone(),
                tags: Vec::new(),
            })
        }
        "ListTaskDefinitions" => list_task_definitions(stack, input),
        "DescribeServices" => describe_services(stack, input),
        "UpdateService" => update_service(stack, input),
        "DescribeClusters" => answer(DescribeClustersResponse {
            clusters: vec![Cluster::of(&stack.world())],
            failures: Vec::new(),
        }),
        // The one cluster (a user's first `aws ecs list-clusters` against the endpoint).
        "ListClusters" => {
            let _: ListClustersRequest = request(input)?;
            answer(ListClustersResponse {
                cluster_arns: vec![stack.names().cluster_arn()],
            })
        }
        "ListServices" => {
            check_cluster(stack, request::<ClusterRequest>(input)?.cluster)?;
            answer(ListServicesResponse {
                service_arns: vec![stack.names().service_arn()],
            })
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
            let task_sets = w
                .service
                .task_sets
                .iter()
                .filter(|ts| {
                    wanted.is_empty() || wanted.iter().any(|x| *x == ts.id || *x == ts.arn)
                })
                .map(|ts| TaskSet::of(&w, ts))
                .collect();
            answer(DescribeTaskSetsResponse {
                task_sets,
                failures: Vec::new(),
            })
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
    let (task_definition_arns, next_token) =
        paginate(arns, req.next_token.as_deref(), req.max_results)?;
    answer(ListTaskDefinitionsResponse {
        task_definition_arns,
        next_token,
    })
}

/// A page of `items` and the next page's token: `nextToken` is the index of the next
/// item; `maxResults` defaults to 100.
fn paginate(
    items: Vec<String>,
    next_token: Option<&str>,
    max_results: Option<i64>,
) -> Result<(Vec<String>, Option<String>), ApiError> {
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
    let next = (start + max < items.len()).then(|| (start + max).to_string());
    let page = items.into_iter().skip(start).take(max).collect();
    Ok((page, next))
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
            services.push(Service::of(&w));
        } else {
            let farn = if s.starts_with("arn:") {
                s.clone()
            } else {
                w.names.arn("ecs", &format!("service/{CLUSTER}/{s}"))
            };
            failures.push(Failure::missing(farn));
        }
    }
    answer(DescribeServicesResponse { services, failures })
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
    answer(UpdateServiceResponse {
        service: Service::of(&w),
    })
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
    let tasks = ids
        .iter()
        .filter_map(|id| w.tasks.get(id))
        .map(|t| Task::of(&w, t))
        .collect();
    answer(TasksResponse {
        tasks,
        failures: Vec::new(),
    })
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
    answer(StopTaskResponse {
        task: Task::of(&w, t),
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
    let mut tasks: Vec<&TaskRecord> = w
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
    let (task_arns, next_token) = paginate(
        tasks.iter().map(|t| t.arn.clone()).collect(),
        req.next_token.as_deref(),
        req.max_results,
    )?;
    answer(ListTasksResponse {
        task_arns,
        next_token,
    })
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
    let mut tasks = Vec::new();
    let mut failures = Vec::new();
    for r in wanted {
        let id = r.rsplit('/').next().unwrap_or(&r);
        match w.tasks.get(id) {
            Some(t) => tasks.push(Task::of(&w, t)),
            None => failures.push(Failure::missing(r)),
        }
    }
    answer(TasksResponse { tasks, failures })
}

/// ECS task metadata v4 (`/task`) for a task of this stack.
pub(crate) fn task_metadata(stack: &Stack, id: &str) -> Option<Value> {
    let w = stack.world();
    let t = w.tasks.get(id)?;
    let image_id = stack.images.resolve(&t.image).map(|(rec, _)| rec.digest);
    serde_json::to_value(TaskMetadata::of(&w, t, image_id)).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::botocore_check::request_fits_botocore;
    use crate::world::World;
    use serde_json::json;

    /// A world with a registered task definition, a primary task set with a running task,
    /// a second task set whose task stopped, and a one-off task.
    fn world() -> World {
        let mut w = World::with(
            "us-east-1",
            1,
            crate::codedeploy::model::GroupSettings {
                ready_stop: false,
                ready_wait: std::time::Duration::ZERO,
                termination_wait: std::time::Duration::ZERO,
                auto_rollback: false,
                alarms: vec![],
            },
        );
        let td = w
            .register_task_definition(json!({"family": "demo", "containerDefinitions": [
                {"name": "demo", "image": "demo:v1", "essential": true}]}))
            .unwrap();
        let new = |id: &str| crate::ecs::model::NewTask {
            id: id.into(),
            image: "demo:v1".into(),
            version: "v1".into(),
            port: 20001,
            pid: Some(7),
            has_health_check: true,
            log: String::new(),
        };
        let blue = w.create_task_set(&td, 0, None, true);
        w.record_task(&blue, &td, new("a1"));
        let green = w.create_task_set(&td, 1, Some("d-TEST".into()), false);
        w.record_task(&green, &td, new("b1"));
        w.stopping("b1", StopCode::TaskFailedToStart, "failed its health check");
        w.exited("b1", Some(1));
        w.record_task("", &td, new("c1"));
        w
    }

    /// The typed answer as JSON, checked against the operation's output shape.
    fn fits(op: &str, answer: impl serde::Serialize) -> Value {
        let v = serde_json::to_value(answer).unwrap();
        crate::botocore_check::fits_botocore("ecs", op, &v);
        v
    }

    #[test]
    fn task_definition_answers_fit_botocore() {
        let w = world();
        let tags: Vec<Tag> = request(&json!([{"key": "team", "value": "web"}])).unwrap();
        let v = fits(
            "RegisterTaskDefinition",
            TaskDefinitionResponse {
                task_definition: w.task_defs[0].clone(),
                tags,
            },
        );
        assert_eq!(v["taskDefinition"]["revision"], 1);
        assert_eq!(v["tags"][0]["value"], "web");
        fits(
            "DescribeTaskDefinition",
            TaskDefinitionResponse {
                task_definition: w.task_defs[0].clone(),
                tags: Vec::new(),
            },
        );
    }

    #[test]
    fn list_answers_fit_botocore_and_page() {
        let items = |n: usize| (0..n).map(|i| format!("arn-{i}")).collect::<Vec<_>>();
        let (task_definition_arns, next_token) = paginate(items(3), None, Some(2)).unwrap();
        let v = fits(
            "ListTaskDefinitions",
            ListTaskDefinitionsResponse {
                task_definition_arns,
                next_token,
            },
        );
        assert_eq!(
            v,
            json!({"taskDefinitionArns": ["arn-0", "arn-1"], "nextToken": "2"})
        );
        let (task_arns, next_token) = paginate(items(3), Some("2"), Some(2)).unwrap();
        let v = fits(
            "ListTasks",
            ListTasksResponse {
                task_arns,
                next_token,
            },
        );
        assert_eq!(
            v,
            json!({"taskArns": ["arn-2"]}),
            "no nextToken on the last page"
        );
        let w = world();
        fits(
            "ListClusters",
            ListClustersResponse {
                cluster_arns: vec![w.names.cluster_arn()],
            },
        );
        fits(
            "ListServices",
            ListServicesResponse {
                service_arns: vec![w.names.service_arn()],
            },
        );
    }

    #[test]
    fn service_answers_fit_botocore() {
        let w = world();
        let v = fits(
            "DescribeServices",
            DescribeServicesResponse {
                services: vec![Service::of(&w)],
                failures: vec![Failure::missing(w.names.arn("ecs", "service/demo/other"))],
            },
        );
        let s = &v["services"][0];
        assert_eq!(
            s["runningCount"], 2,
            "the primary's task and the one-off one"
        );
        assert_eq!(s["taskSets"][0]["status"], "PRIMARY");
        assert_eq!(s["taskSets"][0]["stabilityStatus"], "STEADY_STATE");
        assert!(s["taskSets"][0].get("externalId").is_none());
        assert_eq!(s["taskSets"][1]["externalId"], "d-TEST");
        assert_eq!(s["deploymentController"]["type"], "CODE_DEPLOY");
        assert_eq!(v["failures"][0]["reason"], "MISSING");
        fits(
            "UpdateService",
            UpdateServiceResponse {
                service: Service::of(&w),
            },
        );
        let v = fits(
            "DescribeClusters",
            DescribeClustersResponse {
                clusters: vec![Cluster::of(&w)],
                failures: Vec::new(),
            },
        );
        assert_eq!(v["clusters"][0]["runningTasksCount"], 2);
    }

    #[test]
    fn task_set_answers_fit_botocore() {
        let w = world();
        let v = fits(
            "DescribeTaskSets",
            DescribeTaskSetsResponse {
                task_sets: w
                    .service
                    .task_sets
                    .iter()
                    .map(|ts| TaskSet::of(&w, ts))
                    .collect(),
                failures: Vec::new(),
            },
        );
        let green = &v["taskSets"][1];
        assert_eq!(green["status"], "ACTIVE");
        assert_eq!(
            green["stabilityStatus"], "STABILIZING",
            "its one task stopped"
        );
        assert_eq!(green["runningCount"], 0);
        assert_eq!(green["scale"], json!({"value": 100.0, "unit": "PERCENT"}));
    }

    #[test]
    fn task_answers_fit_botocore() {
        let w = world();
        let tasks = || w.tasks.values().map(|t| Task::of(&w, t));
        let v = fits(
            "DescribeTasks",
            TasksResponse {
                tasks: tasks().collect(),
                failures: vec![Failure::missing("x".into())],
            },
        );
        let [a, b, c] = [&v["tasks"][0], &v["tasks"][1], &v["tasks"][2]];
        assert_eq!(a["lastStatus"], "RUNNING");
        assert_eq!(a["healthStatus"], "UNKNOWN");
        assert!(a["containers"][0].get("exitCode").is_none());
        assert!(a.get("stopCode").is_none());
        assert_eq!(a["group"], "service:demo");
        assert_eq!(b["lastStatus"], "STOPPED");
        assert_eq!(b["desiredStatus"], "STOPPED");
        assert_eq!(b["stopCode"], "TaskFailedToStart");
        assert_eq!(b["containers"][0]["exitCode"], 1);
        assert_eq!(b["stoppedAt"], b["executionStoppedAt"]);
        assert_eq!(c["group"], "family:demo", "a one-off task");
        fits(
            "RunTask",
            TasksResponse {
                tasks: tasks().take(1).collect(),
                failures: Vec::new(),
            },
        );
        fits(
            "StopTask",
            StopTaskResponse {
                task: tasks().nth(1).unwrap(),
            },
        );
    }

    #[test]
    fn task_metadata_names_the_task_and_its_container() {
        let w = world();
        let v = serde_json::to_value(TaskMetadata::of(&w, &w.tasks["a1"], None)).unwrap();
        assert_eq!(v["Family"], "demo");
        assert_eq!(v["Revision"], "1");
        assert_eq!(v["KnownStatus"], "RUNNING");
        assert_eq!(v["Containers"][0]["ImageID"], Value::Null);
        assert_eq!(
            v["Containers"][0]["Labels"]["com.amazonaws.ecs.task-arn"],
            v["TaskARN"]
        );
        assert_eq!(
            v["Containers"][0]["Networks"][0]["IPv4Addresses"][0],
            "127.0.0.1"
        );
    }

    /// The check above can fail: a member the output shape does not have.
    #[test]
    #[should_panic(expected = "does not fit botocore")]
    fn an_unknown_member_does_not_fit() {
        let w = world();
        let mut v = serde_json::to_value(Service::of(&w)).unwrap();
        v["desiredTasks"] = json!(1);
        fits("UpdateService", json!({"service": v}));
    }

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
