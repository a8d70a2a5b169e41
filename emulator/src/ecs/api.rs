//! The ECS API: the operations the deployer and `aws ecs deploy` call, as the ECS JSON 1.1
//! API answers them. Each one reads its typed request, makes one call of
//! [`super::backend`] (RunTask and StopTask: of [`crate::runtime::tasks`], which starts or
//! stops the processes after the backend's checks) and writes the typed answer of
//! [`super::shapes`]; the rules and refusals are the backend's.

use std::sync::Arc;

use serde::de::IgnoredAny;
use serde::Deserialize;
use serde_json::{Map, Value};

use super::backend::{self, Described, ListTaskDefinitions, ListTasks, Paging};
use super::shapes::*;
use crate::runtime::stack::Stack;
use crate::runtime::tasks;
use crate::wire::error::{ApiError, Common};
use crate::wire::json::{answer, request, ApiResult};

/// RegisterTaskDefinitionRequest: the tags, and the task definition's members, which the
/// backend checks and keeps as given (so a member it does not read is answered back).
#[derive(Debug, Default)]
struct RegisterTaskDefinitionRequest {
    tags: Vec<Tag>,
    task_definition: Map<String, Value>,
}

impl RegisterTaskDefinitionRequest {
    /// The request body (a JSON object: [`crate::wire::json::parse_body`]) with its tags
    /// read apart. Not `#[serde(flatten)]`: that buffers the whole document through
    /// serde's private `Content` tree and builds the map again from it, a third of the
    /// request's reading in a debug build, for a map the body already is.
    fn read(input: Value) -> Result<Self, ApiError> {
        let Value::Object(mut task_definition) = input else {
            return Err(ApiError::new(
                Common::SerializationException,
                "the request body is not a JSON object",
            ));
        };
        let tags = match task_definition.remove("tags") {
            None | Some(Value::Null) => Vec::new(),
            Some(tags) => request(&tags).map_err(|e| {
                ApiError::new(
                    Common::SerializationException,
                    format!("tags: {}", e.message),
                )
            })?,
        };
        Ok(RegisterTaskDefinitionRequest {
            tags,
            task_definition,
        })
    }
}

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
    overrides: Option<super::placement::TaskOverride>,
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

/// One operation: the typed request, one call, the typed answer.
pub(crate) fn handle(stack: &Arc<Stack>, op: &str, input: Value) -> ApiResult {
    if op == "RegisterTaskDefinition" {
        // The one request the world keeps as it came: taken, not copied.
        let r = RegisterTaskDefinitionRequest::read(input)?;
        let mut w = stack.world();
        let td = w.register(Value::Object(r.task_definition))?;
        return answer(TaskDefinitionResponse {
            task_definition: td,
            tags: r.tags,
        });
    }
    let input = &input;
    match op {
        "DescribeTaskDefinition" => {
            let r: DescribeTaskDefinitionRequest = request(input)?;
            let w = stack.world();
            let td = w.describe_task_definition(r.task_definition.as_deref())?;
            answer(TaskDefinitionResponse {
                task_definition: td,
                tags: Vec::new(),
            })
        }
        "ListTaskDefinitions" => {
            let r: ListTaskDefinitionsRequest = request(input)?;
            let page = stack.world().list_task_definitions(&ListTaskDefinitions {
                family_prefix: r.family_prefix.as_deref(),
                status: r.status.as_deref(),
                sort: r.sort.as_deref(),
                paging: Paging {
                    next_token: r.next_token.as_deref(),
                    max_results: r.max_results,
                },
            })?;
            answer(ListTaskDefinitionsResponse {
                task_definition_arns: page.items,
                next_token: page.next_token,
            })
        }
        "DescribeServices" => {
            let r: DescribeServicesRequest = request(input)?;
            let w = stack.world();
            let mut services = Vec::new();
            let mut failures = Vec::new();
            for d in w.describe_services(r.cluster.as_deref(), &r.services)? {
                match d {
                    Described::Service => services.push(Service::of(&w)),
                    Described::Missing(arn) => failures.push(Failure::missing(arn)),
                }
            }
            answer(DescribeServicesResponse { services, failures })
        }
        "UpdateService" => {
            let r: UpdateServiceRequest = request(input)?;
            let req = backend::UpdateService {
                cluster: r.cluster,
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
            let r: ClusterRequest = request(input)?;
            answer(ListServicesResponse {
                service_arns: stack.world().list_services(r.cluster.as_deref())?,
            })
        }
        "ListTasks" => {
            let r: ListTasksRequest = request(input)?;
            let page = stack.world().list_tasks(&ListTasks {
                cluster: r.cluster.as_deref(),
                service_name: r.service_name.as_deref(),
                desired_status: r.desired_status.as_deref(),
                started_by: r.started_by.as_deref(),
                family: r.family.as_deref(),
                paging: Paging {
                    next_token: r.next_token.as_deref(),
                    max_results: r.max_results,
                },
            })?;
            answer(ListTasksResponse {
                task_arns: page.items,
                next_token: page.next_token,
            })
        }
        // RunTask: `count` one-off tasks of a task definition (`family`, `family:rev` or
        // ARN), with `overrides.containerOverrides` (command, environment) for `demo`.
        "RunTask" => {
            let r: RunTaskRequest = request(input)?;
            let ids = tasks::run_tasks(
                stack,
                &backend::RunTask {
                    cluster: r.cluster.as_deref(),
                    task_definition: r.task_definition.as_deref(),
                    count: r.count,
                    overrides: r.overrides.as_ref(),
                },
            )?;
            let w = stack.world();
            answer(TasksResponse {
                tasks: ids
                    .iter()
                    .filter_map(|id| w.tasks.get(id))
                    .map(|t| Task::of(&w, t))
                    .collect(),
                failures: Vec::new(),
            })
        }
        // StopTask: a service task is replaced by the scheduler; a one-off one just stops.
        "StopTask" => {
            let r: StopTaskRequest = request(input)?;
            let t = tasks::stop_requested(
                stack,
                &backend::StopTask {
                    cluster: r.cluster.as_deref(),
                    task: r.task.as_deref(),
                    reason: r.reason.as_deref(),
                },
            )?;
            answer(StopTaskResponse {
                task: Task::of(&stack.world(), &t),
            })
        }
        "DescribeTasks" => {
            let r: DescribeTasksRequest = request(input)?;
            let w = stack.world();
            let mut tasks = Vec::new();
            let mut failures = Vec::new();
            for found in w.describe_tasks(r.cluster.as_deref(), &r.tasks)? {
                match found {
                    Ok(t) => tasks.push(Task::of(&w, t)),
                    Err(missing) => failures.push(Failure::missing(missing.to_string())),
                }
            }
            answer(TasksResponse { tasks, failures })
        }
        "DescribeTaskSets" => {
            let r: DescribeTaskSetsRequest = request(input)?;
            let w = stack.world();
            let task_sets = w
                .describe_task_sets(r.cluster.as_deref(), &r.task_sets)?
                .into_iter()
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
    use crate::ecs::backend::paginate;
    use crate::ecs::fixture::populated as world;
    use serde_json::json;

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
                task_definition: &w.task_defs[0],
                tags,
            },
        );
        assert_eq!(v["taskDefinition"]["revision"], 1);
        assert_eq!(v["tags"][0]["value"], "web");
        fits(
            "DescribeTaskDefinition",
            TaskDefinitionResponse {
                task_definition: &w.task_defs[0],
                tags: Vec::new(),
            },
        );
    }

    /// The request is read by hand (tags apart, the rest kept as the task definition):
    /// a request with every member botocore allows reads, its tags apart, and the typed
    /// task definition reads each member the stack interprets in the type botocore gives it.
    #[test]
    fn a_registration_with_every_member_botocore_allows_reads_typed() {
        let example = crate::botocore_check::input_example("ecs", "RegisterTaskDefinition");
        let r = RegisterTaskDefinitionRequest::read(example.clone()).unwrap();
        assert_eq!(r.tags.len(), example["tags"].as_array().unwrap().len());
        assert!(!r.task_definition.is_empty() && !r.task_definition.contains_key("tags"));
        let td = crate::ecs::taskdef::Registered::from_value(Value::Object(r.task_definition))
            .unwrap_or_else(|e| panic!("botocore's example does not read typed: {e}"));
        let c = &td.container_definitions[0];
        assert!(c.health_check.is_some() && c.port_mappings.is_some() && td.cpu.is_some());
        // Members the stack does not interpret are kept, at every level.
        assert!(!td.extra.is_empty() && !c.extra.is_empty());
    }

    #[test]
    fn a_registration_reads_the_tags_apart_and_answers_every_member_given() {
        let mut input = crate::ecs::fixture::rendered();
        input["tags"] = json!([{"key": "team", "value": "web"}]);
        let r = RegisterTaskDefinitionRequest::read(input.clone()).unwrap();
        assert_eq!(r.tags.len(), 1);
        assert!(!r.task_definition.contains_key("tags"));
        let mut w = world();
        let td = w
            .register(Value::Object(r.task_definition.clone()))
            .unwrap();
        let v = fits(
            "RegisterTaskDefinition",
            TaskDefinitionResponse {
                task_definition: td,
                tags: r.tags,
            },
        );
        let answered = v["taskDefinition"].as_object().unwrap();
        for (k, given) in &r.task_definition {
            assert_eq!(answered.get(k), Some(given), "{k}");
        }
        // The same bytes as the document given with registration's members appended (how
        // a registered task definition was kept before it was typed).
        let mut before = r.task_definition.clone();
        for k in crate::ecs::backend::REGISTERED {
            before.insert(k.into(), answered[k].clone());
        }
        assert_eq!(
            v["taskDefinition"].to_string(),
            Value::Object(before).to_string()
        );
        assert_eq!(v["taskDefinition"]["revision"], 2, "demo:1 was registered");
        assert_eq!(v["taskDefinition"]["status"], "ACTIVE");
        assert_eq!(
            v["taskDefinition"]["compatibilities"],
            json!(["EC2", "FARGATE"])
        );
        assert_eq!(v["tags"][0]["key"], "team");
    }

    #[test]
    fn list_answers_fit_botocore_and_page() {
        let items = |n: usize| (0..n).map(|i| format!("arn-{i}")).collect::<Vec<_>>();
        let page = |token: Option<&str>| {
            paginate(
                items(3),
                Paging {
                    next_token: token,
                    max_results: Some(2),
                },
            )
            .unwrap()
        };
        let first = page(None);
        let v = fits(
            "ListTaskDefinitions",
            ListTaskDefinitionsResponse {
                task_definition_arns: first.items,
                next_token: first.next_token,
            },
        );
        assert_eq!(
            v,
            json!({"taskDefinitionArns": ["arn-0", "arn-1"], "nextToken": "2"})
        );
        let last = page(Some("2"));
        let v = fits(
            "ListTasks",
            ListTasksResponse {
                task_arns: last.items,
                next_token: last.next_token,
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
