//! The CodeDeploy API: parses requests, shapes answers as the CodeDeploy JSON 1.1 API does
//! (with AWS's error codes: [`super::Error`]) and maps them onto [`super::backend`].

use std::sync::Arc;

use serde::Deserialize;
use serde_json::Value;

use super::backend::{
    check_application, check_config, check_deployment_id, check_group, check_id_format,
    check_started, check_target, not_found, target_id, CreateDeployment, ListDeployments,
    CLI_DEFAULT_APP,
};
use super::model::WaitType;
use super::shapes::*;
use super::{lifecycle, Error};
use crate::names::{APP_NAME, GROUP_NAME};
use crate::runtime::stack::Stack;
use crate::wire::error::{ApiError, Common};
use crate::wire::json::{answer, request, ApiResult};
use crate::wire::shape::Empty;

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
            answer(GetApplicationOutput {
                application: ApplicationInfo::new(stack.started_at),
            })
        }
        "ListApplications" => answer(ListApplicationsOutput {
            applications: vec![APP_NAME],
        }),
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
            answer(BatchGetApplicationsOutput {
                applications_info: names
                    .iter()
                    .map(|_| ApplicationInfo::new(stack.started_at))
                    .collect(),
            })
        }
        "GetDeploymentGroup" => {
            let n: GetDeploymentGroupInput = request(input)?;
            check_application(n.application_name.as_deref())?;
            check_group(n.deployment_group_name.as_deref())?;
            let w = stack.world();
            let test_listener = stack.lb.listener("test").map(|l| l.arn.clone());
            answer(GetDeploymentGroupOutput {
                deployment_group_info: DeploymentGroupInfo::of(&w, test_listener),
            })
        }
        "ListDeploymentGroups" => {
            check_application(
                request::<GetApplicationInput>(input)?
                    .application_name
                    .as_deref(),
            )?;
            answer(ListDeploymentGroupsOutput {
                application_name: APP_NAME,
                deployment_groups: vec![GROUP_NAME],
            })
        }
        "GetDeploymentConfig" => {
            let n: GetDeploymentConfigInput = request(input)?;
            let name = check_config(n.deployment_config_name.as_deref())?;
            answer(GetDeploymentConfigOutput {
                deployment_config_info: DeploymentConfigInfo::of(name, stack.started_at),
            })
        }
        "CreateDeployment" => create_deployment(stack, input),
        "GetDeployment" => {
            let n: GetDeploymentInput = request(input)?;
            let id = check_deployment_id(n.deployment_id.as_deref())?;
            let w = stack.world();
            let d = w.deployment(id).ok_or_else(|| not_found(id))?;
            answer(GetDeploymentOutput {
                deployment_info: DeploymentInfo::of(&w, d),
            })
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
                    infos.push(DeploymentInfo::of(&w, d));
                }
            }
            answer(BatchGetDeploymentsOutput {
                deployments_info: infos,
            })
        }
        "ListDeployments" => list_deployments(stack, input),
        "ListDeploymentTargets" => {
            let n: GetDeploymentInput = request(input)?;
            let id = check_deployment_id(n.deployment_id.as_deref())?;
            let w = stack.world();
            let d = w.deployment(id).ok_or_else(|| not_found(id))?;
            check_started(d)?;
            answer(ListDeploymentTargetsOutput {
                target_ids: vec![target_id()],
            })
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
            answer(GetDeploymentTargetOutput {
                deployment_target: DeploymentTarget::of(&w, d),
            })
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
                out.push(DeploymentTarget::of(&w, d));
            }
            answer(BatchGetDeploymentTargetsOutput {
                deployment_targets: out,
            })
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
            answer(PutLifecycleEventHookExecutionStatusOutput {
                lifecycle_event_hook_execution_id: exec_id,
            })
        }
        _ => Err(ApiError::new(
            Common::UnknownOperationException,
            format!("CodeDeploy operation {op} is not served by the local stack"),
        )),
    }
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
    answer(CreateDeploymentOutput { deployment_id: id })
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
    answer(ListDeploymentsOutput {
        deployments: page.ids,
        next_token: page.next_token,
    })
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
    answer(Empty {})
}

fn stop_deployment(stack: &Stack, input: &Value) -> ApiResult {
    let req: StopDeploymentInput = request(input)?;
    let id = check_deployment_id(req.deployment_id.as_deref())?;
    let rollback = req.auto_rollback_enabled.unwrap_or(false);
    stack.world().stop_deployment(id, rollback)?;
    answer(StopDeploymentOutput {
        status: StopStatus::Pending,
        status_message: format!(
            "Stopping deployment {id}{}",
            if rollback { " and rolling back" } else { "" }
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::botocore_check::request_fits_botocore;
    use crate::codedeploy::model::{DeploymentKind, EventStatus, TargetStatus};
    use crate::world::World;
    use serde_json::json;

    /// A world whose first deployment failed at its hook after Install and was rolled back
    /// by a second one (which succeeded), the group's last deployments and live revision set.
    fn world() -> (World, String, String) {
        use crate::codedeploy::model::{
            DeploymentStatus, FailureCode, Hook, HookExecution, HookStatus,
        };
        let mut w = World::with(
            "us-east-1",
            1,
            crate::codedeploy::model::GroupSettings {
                ready_stop: true,
                ready_wait: std::time::Duration::from_secs(90),
                termination_wait: std::time::Duration::from_secs(300),
                auto_rollback: true,
                alarms: vec!["demo-http-5xx".into()],
            },
        );
        for image in ["demo:v1", "demo:v2"] {
            w.register_task_definition(json!({"family": "demo",
                "containerDefinitions": [{"name": "demo", "image": image}]}))
                .unwrap();
        }
        let td1 = w.names.task_def_arn("demo", 1);
        let td2 = w.names.task_def_arn("demo", 2);
        let blue = w.create_task_set(&td1, 0, None, true);
        let revision = json!({"revisionType": "AppSpecContent", "appSpecContent": {"content":
            "version: 0.0\nResources:\n  - TargetService:\n      Type: AWS::ECS::Service\n      Properties:\n        TaskDefinition: demo:2\n"}});
        let id = w
            .create_deployment_from(CreateDeployment {
                application_name: Some("demo".into()),
                deployment_group_name: Some("demo".into()),
                description: Some("v2".into()),
                revision: Some(revision.clone()),
                ..CreateDeployment::default()
            })
            .unwrap();
        let green = w.create_task_set(&td2, 1, Some(id.clone()), false);
        let rollback_id = "d-ROLLBACK1".to_string();
        {
            let d = w.deployments.iter_mut().find(|d| d.id == id).unwrap();
            d.original = Some(blue.clone());
            d.replacement = Some(green);
            d.set_status(DeploymentStatus::Failed, TargetStatus::Failed);
            d.start_time = Some(d.create_time + 1.0);
            d.complete_time = Some(d.create_time + 60.0);
            d.error = Some((FailureCode::HookExecutionFailure, "the hook failed".into()));
            d.rollback_id = Some(rollback_id.clone());
            d.rollback_message = Some("rolled back".into());
            d.status_messages.push("a status message".into());
            for e in &mut d.events[..4] {
                e.status = EventStatus::Succeeded;
                e.start = Some(1.0);
                e.end = Some(2.0);
            }
            let e = &mut d.events[Hook::AfterAllowTestTraffic as usize];
            e.status = EventStatus::Failed;
            e.start = Some(3.0);
            e.message = Some("the hook failed".into());
            d.hook_executions.push(HookExecution {
                id: "exec-1".into(),
                hook: Hook::AfterAllowTestTraffic,
                function: "demo-validate".into(),
                status: Some(HookStatus::Failed),
            });
            d.events[Hook::BeforeAllowTraffic as usize].status = EventStatus::InProgress;
            d.events[Hook::AllowTraffic as usize].status = EventStatus::Skipped;
        }
        let mut rb = crate::codedeploy::model::Deployment::new(
            rollback_id.clone(),
            DeploymentKind::Rollback { of: id.clone() },
            revision.clone(),
            "codeDeployRollback",
        );
        rb.previous_revision = Some(revision.clone());
        rb.original = w.deployments[0].replacement.clone();
        rb.replacement = Some(blue);
        rb.switched = true;
        rb.set_status(DeploymentStatus::Succeeded, TargetStatus::Succeeded);
        rb.complete_time = Some(rb.create_time + 5.0);
        w.deployments.push(rb);
        w.last_successful = Some(rollback_id.clone());
        w.last_attempted = Some(rollback_id.clone());
        w.current_revision = revision;
        (w, id, rollback_id)
    }

    /// The typed answer as JSON, checked against the operation's output shape.
    fn fits(op: &str, answer: impl serde::Serialize) -> Value {
        let v = serde_json::to_value(answer).unwrap();
        crate::botocore_check::fits_botocore("codedeploy", op, &v);
        v
    }

    #[test]
    fn application_and_config_answers_fit_botocore() {
        let v = fits(
            "GetApplication",
            GetApplicationOutput {
                application: ApplicationInfo::new(5.0),
            },
        );
        assert_eq!(v["application"]["computePlatform"], "ECS");
        assert_eq!(v["application"]["linkedToGitHub"], false);
        fits(
            "BatchGetApplications",
            BatchGetApplicationsOutput {
                applications_info: vec![ApplicationInfo::new(5.0)],
            },
        );
        fits(
            "ListApplications",
            ListApplicationsOutput {
                applications: vec![APP_NAME],
            },
        );
        fits(
            "ListDeploymentGroups",
            ListDeploymentGroupsOutput {
                application_name: APP_NAME,
                deployment_groups: vec![GROUP_NAME],
            },
        );
        let routing = |name| {
            fits(
                "GetDeploymentConfig",
                GetDeploymentConfigOutput {
                    deployment_config_info: DeploymentConfigInfo::of(name, 5.0),
                },
            )["deploymentConfigInfo"]["trafficRoutingConfig"]
                .clone()
        };
        assert_eq!(
            routing("CodeDeployDefault.ECSAllAtOnce"),
            json!({"type": "AllAtOnce"})
        );
        assert_eq!(
            routing("CodeDeployDefault.ECSLinear10PercentEvery3Minutes"),
            json!({"type": "TimeBasedLinear",
                "timeBasedLinear": {"linearPercentage": 10, "linearInterval": 3}})
        );
        assert_eq!(
            routing("CodeDeployDefault.ECSCanary10Percent15Minutes"),
            json!({"type": "TimeBasedCanary",
                "timeBasedCanary": {"canaryPercentage": 10, "canaryInterval": 15}})
        );
    }

    #[test]
    fn group_answer_fits_botocore() {
        let (w, _, rb) = world();
        let v = fits(
            "GetDeploymentGroup",
            GetDeploymentGroupOutput {
                deployment_group_info: DeploymentGroupInfo::of(&w, Some("arn:test".into())),
            },
        );
        let g = &v["deploymentGroupInfo"];
        assert_eq!(g["lastSuccessfulDeployment"]["deploymentId"], rb.as_str());
        assert_eq!(g["lastSuccessfulDeployment"]["status"], "Succeeded");
        assert_eq!(
            g["blueGreenDeploymentConfiguration"]["deploymentReadyOption"],
            json!({"actionOnTimeout": "STOP_DEPLOYMENT", "waitTimeInMinutes": 2})
        );
        assert_eq!(
            g["loadBalancerInfo"]["targetGroupPairInfoList"][0]["testTrafficRoute"],
            json!({"listenerArns": ["arn:test"]})
        );
        assert_eq!(
            g["alarmConfiguration"]["alarms"],
            json!([{"name": "demo-http-5xx"}])
        );
        assert_eq!(g["targetRevision"]["revisionType"], "AppSpecContent");
        // A fresh group: no deployment yet, no test listener.
        let fresh = World::with("us-east-1", 1, Default::default());
        let v = fits(
            "GetDeploymentGroup",
            GetDeploymentGroupOutput {
                deployment_group_info: DeploymentGroupInfo::of(&fresh, None),
            },
        );
        let g = &v["deploymentGroupInfo"];
        assert!(g.get("lastAttemptedDeployment").is_none());
        assert!(g.get("targetRevision").is_none());
        assert_eq!(
            g["autoRollbackConfiguration"],
            json!({"enabled": false, "events": []})
        );
        assert_eq!(
            g["loadBalancerInfo"]["targetGroupPairInfoList"][0]["testTrafficRoute"],
            json!({"listenerArns": []})
        );
    }

    #[test]
    fn deployment_answers_fit_botocore() {
        let (w, id, rb) = world();
        let v = fits(
            "GetDeployment",
            GetDeploymentOutput {
                deployment_info: DeploymentInfo::of(&w, w.deployment(&id).unwrap()),
            },
        );
        let d = &v["deploymentInfo"];
        assert_eq!(d["status"], "Failed");
        assert_eq!(d["deploymentOverview"]["Failed"], 1);
        assert_eq!(d["deploymentOverview"]["Pending"], 0);
        assert_eq!(d["errorInformation"]["code"], "HOOK_EXECUTION_FAILURE");
        assert_eq!(d["rollbackInfo"]["rollbackDeploymentId"], rb.as_str());
        assert_eq!(
            d["autoRollbackConfiguration"]["events"][0],
            "DEPLOYMENT_FAILURE"
        );
        assert!(d.get("previousRevision").is_none());
        assert!(d["loadBalancerInfo"]["targetGroupPairInfoList"][0]
            .get("testTrafficRoute")
            .is_none());
        let v = fits(
            "BatchGetDeployments",
            BatchGetDeploymentsOutput {
                deployments_info: [&id, &rb]
                    .map(|i| DeploymentInfo::of(&w, w.deployment(i).unwrap()))
                    .into(),
            },
        );
        let r = &v["deploymentsInfo"][1];
        assert_eq!(r["creator"], "codeDeployRollback");
        assert_eq!(
            r["rollbackInfo"],
            json!({"rollbackTriggeringDeploymentId": id})
        );
        assert!(r.get("errorInformation").is_none());
        fits(
            "ListDeployments",
            ListDeploymentsOutput {
                deployments: vec![id.clone(), rb],
                next_token: Some("2".into()),
            },
        );
        fits(
            "CreateDeployment",
            CreateDeploymentOutput { deployment_id: id },
        );
        let v = fits(
            "StopDeployment",
            StopDeploymentOutput {
                status: StopStatus::Pending,
                status_message: "Stopping".into(),
            },
        );
        assert_eq!(v["status"], "Pending");
        fits(
            "PutLifecycleEventHookExecutionStatus",
            PutLifecycleEventHookExecutionStatusOutput {
                lifecycle_event_hook_execution_id: "exec-1".into(),
            },
        );
        // ContinueDeployment has no output in botocore's model: `{}`.
        assert_eq!(serde_json::to_value(Empty {}).unwrap(), json!({}));
    }

    #[test]
    fn target_answers_fit_botocore() {
        let (w, id, rb) = world();
        let v = fits(
            "GetDeploymentTarget",
            GetDeploymentTargetOutput {
                deployment_target: DeploymentTarget::of(&w, w.deployment(&id).unwrap()),
            },
        );
        let t = &v["deploymentTarget"]["ecsTarget"];
        assert_eq!(t["status"], "Failed");
        let events = t["lifecycleEvents"].as_array().unwrap();
        assert_eq!(events[0]["lifecycleEventName"], "BeforeInstall");
        assert!(events[0].get("diagnostics").is_none());
        assert_eq!(events[4]["status"], "Failed");
        assert_eq!(
            events[4]["diagnostics"]["errorCode"], "ScriptFailed",
            "a hook ran"
        );
        assert_eq!(events[6]["status"], "Skipped");
        let sets = t["taskSetsInfo"].as_array().unwrap();
        assert_eq!(sets[0]["taskSetLabel"], "Blue");
        assert_eq!(sets[0]["status"], "PRIMARY");
        assert_eq!(sets[0]["trafficWeight"], 100.0);
        assert_eq!(sets[1]["taskSetLabel"], "Green");
        assert_eq!(sets[1]["targetGroup"]["name"], "demo-green");
        assert_eq!(sets[1]["trafficWeight"], 0.0);
        fits(
            "BatchGetDeploymentTargets",
            BatchGetDeploymentTargetsOutput {
                deployment_targets: vec![DeploymentTarget::of(&w, w.deployment(&rb).unwrap())],
            },
        );
        fits(
            "ListDeploymentTargets",
            ListDeploymentTargetsOutput {
                target_ids: vec![target_id()],
            },
        );
    }

    /// The checks above can fail: a value outside the member's enum.
    #[test]
    #[should_panic(expected = "not in enum")]
    fn a_value_outside_the_enum_does_not_fit() {
        let (w, id, _) = world();
        let mut v =
            serde_json::to_value(DeploymentInfo::of(&w, w.deployment(&id).unwrap())).unwrap();
        v["status"] = json!("FAILED");
        fits("GetDeployment", json!({"deploymentInfo": v}));
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
