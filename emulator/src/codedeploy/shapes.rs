//! CodeDeploy's answers as serde types, named after botocore's output shapes (camelCase, as
//! the CodeDeploy JSON 1.1 API writes them), and how each is read off the [`World`]. A
//! deployment's revision is the `RevisionLocation` document as the user gave it; the
//! statuses are the backend's typed ones ([`super::model`]), written by their AWS names.

use serde::Serialize;
use serde_json::Value;

use super::backend::{target_id, ECS_CONFIGS};
use super::model::{
    Deployment, DeploymentKind, DeploymentStatus, EventStatus, FailureCode, TargetStatus,
};
use crate::config::minutes_ceil;
use crate::ecs;
use crate::names::{APP_NAME, CLUSTER, DEPLOYMENT_CONFIG, GROUP_NAME, SERVICE, TG_NAMES};
use crate::wire::shape::AwsName;
use crate::world::World;

const APP_ID: &str = "00000000-0000-0000-0000-00000000a001";
const GROUP_ID: &str = "00000000-0000-0000-0000-00000000d001";

/// ComputePlatform: every local application, group and config is an ECS one.
#[derive(Debug, Clone, Copy, Serialize)]
pub(crate) enum ComputePlatform {
    #[serde(rename = "ECS")]
    Ecs,
}

/// GetApplicationOutput.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct GetApplicationOutput {
    pub(crate) application: ApplicationInfo,
}

/// BatchGetApplicationsOutput.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct BatchGetApplicationsOutput {
    pub(crate) applications_info: Vec<ApplicationInfo>,
}

/// ListApplicationsOutput.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ListApplicationsOutput {
    pub(crate) applications: Vec<&'static str>,
}

/// ApplicationInfo: the one application, created when the stack started.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ApplicationInfo {
    pub(crate) application_id: &'static str,
    pub(crate) application_name: &'static str,
    pub(crate) create_time: f64,
    #[serde(rename = "linkedToGitHub")]
    pub(crate) linked_to_github: bool,
    pub(crate) compute_platform: ComputePlatform,
}

impl ApplicationInfo {
    pub(crate) fn new(created: f64) -> Self {
        ApplicationInfo {
            application_id: APP_ID,
            application_name: APP_NAME,
            create_time: created,
            linked_to_github: false,
            compute_platform: ComputePlatform::Ecs,
        }
    }
}

/// ListDeploymentGroupsOutput.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ListDeploymentGroupsOutput {
    pub(crate) application_name: &'static str,
    pub(crate) deployment_groups: Vec<&'static str>,
}

/// GetDeploymentConfigOutput.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct GetDeploymentConfigOutput {
    pub(crate) deployment_config_info: DeploymentConfigInfo,
}

/// DeploymentConfigInfo: one of the predefined ECS configs.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct DeploymentConfigInfo {
    pub(crate) deployment_config_id: String,
    pub(crate) deployment_config_name: String,
    pub(crate) create_time: f64,
    pub(crate) compute_platform: ComputePlatform,
    pub(crate) traffic_routing_config: TrafficRoutingConfig,
}

/// TrafficRoutingType.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub(crate) enum TrafficRoutingType {
    AllAtOnce,
    TimeBasedLinear,
    TimeBasedCanary,
}

/// TrafficRoutingConfig.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct TrafficRoutingConfig {
    #[serde(rename = "type")]
    pub(crate) kind: TrafficRoutingType,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) time_based_linear: Option<TimeBasedLinear>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) time_based_canary: Option<TimeBasedCanary>,
}

/// TimeBasedLinear.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct TimeBasedLinear {
    pub(crate) linear_percentage: u32,
    pub(crate) linear_interval: u32,
}

/// TimeBasedCanary.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct TimeBasedCanary {
    pub(crate) canary_percentage: u32,
    pub(crate) canary_interval: u32,
}

impl DeploymentConfigInfo {
    /// Predefined config `name` (one of [`ECS_CONFIGS`]), as its name describes it.
    pub(crate) fn of(name: &str, created: f64) -> Self {
        let routing = match name {
            "CodeDeployDefault.ECSAllAtOnce" => TrafficRoutingConfig {
                kind: TrafficRoutingType::AllAtOnce,
                time_based_linear: None,
                time_based_canary: None,
            },
            n if n.contains("Linear") => TrafficRoutingConfig {
                kind: TrafficRoutingType::TimeBasedLinear,
                time_based_linear: Some(TimeBasedLinear {
                    linear_percentage: 10,
                    linear_interval: if n.ends_with("1Minutes") { 1 } else { 3 },
                }),
                time_based_canary: None,
            },
            n => TrafficRoutingConfig {
                kind: TrafficRoutingType::TimeBasedCanary,
                time_based_linear: None,
                time_based_canary: Some(TimeBasedCanary {
                    canary_percentage: 10,
                    canary_interval: if n.ends_with("15Minutes") { 15 } else { 5 },
                }),
            },
        };
        DeploymentConfigInfo {
            deployment_config_id: format!(
                "00000000-0000-0000-0000-{:012}",
                ECS_CONFIGS.iter().position(|c| *c == name).unwrap_or(0)
            ),
            deployment_config_name: name.to_string(),
            create_time: created,
            compute_platform: ComputePlatform::Ecs,
            traffic_routing_config: routing,
        }
    }
}

/// GetDeploymentGroupOutput.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct GetDeploymentGroupOutput {
    pub(crate) deployment_group_info: DeploymentGroupInfo,
}

/// DeploymentGroupInfo: the one group.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct DeploymentGroupInfo {
    pub(crate) application_name: &'static str,
    pub(crate) deployment_group_id: &'static str,
    pub(crate) deployment_group_name: &'static str,
    pub(crate) deployment_config_name: &'static str,
    pub(crate) ec2_tag_filters: Vec<Value>,
    pub(crate) on_premises_instance_tag_filters: Vec<Value>,
    pub(crate) auto_scaling_groups: Vec<Value>,
    pub(crate) service_role_arn: String,
    /// The revision the service runs (the last successful rollout's, as given).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) target_revision: Option<Value>,
    pub(crate) trigger_configurations: Vec<Value>,
    pub(crate) alarm_configuration: AlarmConfiguration,
    pub(crate) auto_rollback_configuration: AutoRollbackConfiguration,
    pub(crate) deployment_style: DeploymentStyle,
    /// OutdatedInstancesStrategy: `UPDATE`.
    pub(crate) outdated_instances_strategy: &'static str,
    pub(crate) blue_green_deployment_configuration: BlueGreenDeploymentConfiguration,
    pub(crate) load_balancer_info: LoadBalancerInfo,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) last_successful_deployment: Option<LastDeploymentInfo>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) last_attempted_deployment: Option<LastDeploymentInfo>,
    pub(crate) compute_platform: ComputePlatform,
    pub(crate) ecs_services: Vec<EcsService>,
    pub(crate) termination_hook_enabled: bool,
}

/// AlarmConfiguration.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct AlarmConfiguration {
    pub(crate) enabled: bool,
    pub(crate) ignore_poll_alarm_failure: bool,
    pub(crate) alarms: Vec<Alarm>,
}

/// Alarm.
#[derive(Debug, Serialize)]
pub(crate) struct Alarm {
    pub(crate) name: String,
}

/// ECSService.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct EcsService {
    pub(crate) service_name: &'static str,
    pub(crate) cluster_name: &'static str,
}

/// LastDeploymentInfo.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct LastDeploymentInfo {
    pub(crate) deployment_id: String,
    pub(crate) status: AwsName<DeploymentStatus>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) end_time: Option<f64>,
    pub(crate) create_time: f64,
}

impl LastDeploymentInfo {
    fn of(w: &World, id: Option<&str>) -> Option<Self> {
        let d = w.deployment(id?)?;
        Some(LastDeploymentInfo {
            deployment_id: d.id.clone(),
            status: AwsName(d.status),
            end_time: d.complete_time,
            create_time: d.create_time,
        })
    }
}

impl DeploymentGroupInfo {
    /// The group; `test_listener` is the test listener's ARN when the stack has one.
    pub(crate) fn of(w: &World, test_listener: Option<String>) -> Self {
        DeploymentGroupInfo {
            application_name: APP_NAME,
            deployment_group_id: GROUP_ID,
            deployment_group_name: GROUP_NAME,
            deployment_config_name: DEPLOYMENT_CONFIG,
            ec2_tag_filters: Vec::new(),
            on_premises_instance_tag_filters: Vec::new(),
            auto_scaling_groups: Vec::new(),
            service_role_arn: w.names.role_arn("demo-codedeploy"),
            target_revision: (!w.current_revision.is_null()).then(|| w.current_revision.clone()),
            trigger_configurations: Vec::new(),
            alarm_configuration: AlarmConfiguration {
                enabled: !w.group.alarms.is_empty(),
                ignore_poll_alarm_failure: false,
                alarms: w
                    .group
                    .alarms
                    .iter()
                    .map(|name| Alarm { name: name.clone() })
                    .collect(),
            },
            auto_rollback_configuration: AutoRollbackConfiguration::new(w.group.auto_rollback),
            deployment_style: BLUE_GREEN,
            outdated_instances_strategy: "UPDATE",
            blue_green_deployment_configuration: BlueGreenDeploymentConfiguration::of(w),
            load_balancer_info: LoadBalancerInfo::of(
                w,
                Some(TrafficRoute {
                    listener_arns: test_listener.into_iter().collect(),
                }),
            ),
            last_successful_deployment: LastDeploymentInfo::of(w, w.last_successful.as_deref()),
            last_attempted_deployment: LastDeploymentInfo::of(w, w.last_attempted.as_deref()),
            compute_platform: ComputePlatform::Ecs,
            ecs_services: vec![EcsService {
                service_name: SERVICE,
                cluster_name: CLUSTER,
            }],
            termination_hook_enabled: false,
        }
    }
}

/// LoadBalancerInfo: the target group pair behind the production (and test) listener.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct LoadBalancerInfo {
    pub(crate) target_group_pair_info_list: Vec<TargetGroupPairInfo>,
}

/// TargetGroupPairInfo.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct TargetGroupPairInfo {
    pub(crate) target_groups: Vec<TargetGroupInfo>,
    pub(crate) prod_traffic_route: TrafficRoute,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) test_traffic_route: Option<TrafficRoute>,
}

/// TargetGroupInfo.
#[derive(Debug, Serialize)]
pub(crate) struct TargetGroupInfo {
    pub(crate) name: &'static str,
}

/// TrafficRoute.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct TrafficRoute {
    pub(crate) listener_arns: Vec<String>,
}

impl LoadBalancerInfo {
    fn of(w: &World, test_route: Option<TrafficRoute>) -> Self {
        LoadBalancerInfo {
            target_group_pair_info_list: vec![TargetGroupPairInfo {
                target_groups: TG_NAMES.map(|name| TargetGroupInfo { name }).into(),
                prod_traffic_route: TrafficRoute {
                    listener_arns: vec![w.names.listener_arn("prod")],
                },
                test_traffic_route: test_route,
            }],
        }
    }
}

/// DeploymentReadyAction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub(crate) enum DeploymentReadyAction {
    ContinueDeployment,
    StopDeployment,
}

/// BlueGreenDeploymentConfiguration: the group's settings, as GetDeploymentGroup and
/// GetDeployment both show them.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct BlueGreenDeploymentConfiguration {
    pub(crate) terminate_blue_instances_on_deployment_success: BlueInstanceTerminationOption,
    pub(crate) deployment_ready_option: DeploymentReadyOption,
}

/// BlueInstanceTerminationOption.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct BlueInstanceTerminationOption {
    /// InstanceAction: `TERMINATE`.
    pub(crate) action: &'static str,
    pub(crate) termination_wait_time_in_minutes: i64,
}

/// DeploymentReadyOption.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct DeploymentReadyOption {
    pub(crate) action_on_timeout: DeploymentReadyAction,
    pub(crate) wait_time_in_minutes: i64,
}

impl BlueGreenDeploymentConfiguration {
    fn of(w: &World) -> Self {
        let g = &w.group;
        BlueGreenDeploymentConfiguration {
            terminate_blue_instances_on_deployment_success: BlueInstanceTerminationOption {
                action: "TERMINATE",
                termination_wait_time_in_minutes: minutes_ceil(g.termination_wait),
            },
            deployment_ready_option: DeploymentReadyOption {
                action_on_timeout: if g.ready_stop {
                    DeploymentReadyAction::StopDeployment
                } else {
                    DeploymentReadyAction::ContinueDeployment
                },
                wait_time_in_minutes: if g.ready_stop {
                    minutes_ceil(g.ready_wait)
                } else {
                    0
                },
            },
        }
    }
}

/// CreateDeploymentOutput.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct CreateDeploymentOutput {
    pub(crate) deployment_id: String,
}

/// ListDeploymentsOutput.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ListDeploymentsOutput {
    pub(crate) deployments: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) next_token: Option<String>,
}

/// StopStatus.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub(crate) enum StopStatus {
    Pending,
}

/// StopDeploymentOutput.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct StopDeploymentOutput {
    pub(crate) status: StopStatus,
    pub(crate) status_message: String,
}

/// PutLifecycleEventHookExecutionStatusOutput.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct PutLifecycleEventHookExecutionStatusOutput {
    pub(crate) lifecycle_event_hook_execution_id: String,
}

/// GetDeploymentOutput.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct GetDeploymentOutput {
    pub(crate) deployment_info: DeploymentInfo,
}

/// BatchGetDeploymentsOutput.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct BatchGetDeploymentsOutput {
    pub(crate) deployments_info: Vec<DeploymentInfo>,
}

/// DeploymentInfo, as GetDeployment and BatchGetDeployments answer it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct DeploymentInfo {
    pub(crate) application_name: &'static str,
    pub(crate) deployment_group_name: &'static str,
    pub(crate) deployment_config_name: &'static str,
    pub(crate) deployment_id: String,
    pub(crate) revision: Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) previous_revision: Option<Value>,
    pub(crate) status: AwsName<DeploymentStatus>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) error_information: Option<ErrorInformation>,
    pub(crate) create_time: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) start_time: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) complete_time: Option<f64>,
    pub(crate) deployment_overview: DeploymentOverview,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) description: Option<String>,
    pub(crate) creator: &'static str,
    pub(crate) ignore_application_stop_failures: bool,
    pub(crate) auto_rollback_configuration: AutoRollbackConfiguration,
    pub(crate) update_outdated_instances_only: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) rollback_info: Option<RollbackInfo>,
    pub(crate) deployment_style: DeploymentStyle,
    pub(crate) instance_termination_wait_time_started: bool,
    pub(crate) blue_green_deployment_configuration: BlueGreenDeploymentConfiguration,
    pub(crate) load_balancer_info: LoadBalancerInfo,
    /// FileExistsBehavior: `DISALLOW`.
    pub(crate) file_exists_behavior: &'static str,
    pub(crate) deployment_status_messages: Vec<String>,
    pub(crate) compute_platform: ComputePlatform,
}

/// ErrorInformation.
#[derive(Debug, Serialize)]
pub(crate) struct ErrorInformation {
    pub(crate) code: AwsName<FailureCode>,
    pub(crate) message: String,
}

/// DeploymentOverview: how many targets are in each status (the one ECS service).
#[derive(Debug, Default, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct DeploymentOverview {
    pub(crate) pending: u32,
    pub(crate) in_progress: u32,
    pub(crate) succeeded: u32,
    pub(crate) failed: u32,
    pub(crate) skipped: u32,
    pub(crate) ready: u32,
}

/// AutoRollbackEvent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub(crate) enum AutoRollbackEvent {
    DeploymentFailure,
    DeploymentStopOnAlarm,
    DeploymentStopOnRequest,
}

/// AutoRollbackConfiguration, as the answers show it.
#[derive(Debug, Serialize)]
pub(crate) struct AutoRollbackConfiguration {
    pub(crate) enabled: bool,
    pub(crate) events: &'static [AutoRollbackEvent],
}

impl AutoRollbackConfiguration {
    pub(crate) fn new(enabled: bool) -> Self {
        AutoRollbackConfiguration {
            enabled,
            events: if enabled {
                &[
                    AutoRollbackEvent::DeploymentFailure,
                    AutoRollbackEvent::DeploymentStopOnAlarm,
                    AutoRollbackEvent::DeploymentStopOnRequest,
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
pub(crate) struct RollbackInfo {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) rollback_deployment_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) rollback_triggering_deployment_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) rollback_message: Option<String>,
}

/// DeploymentStyle: blue/green with traffic control, always.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct DeploymentStyle {
    /// DeploymentType: `BLUE_GREEN`.
    pub(crate) deployment_type: &'static str,
    /// DeploymentOption: `WITH_TRAFFIC_CONTROL`.
    pub(crate) deployment_option: &'static str,
}

const BLUE_GREEN: DeploymentStyle = DeploymentStyle {
    deployment_type: "BLUE_GREEN",
    deployment_option: "WITH_TRAFFIC_CONTROL",
};

impl DeploymentInfo {
    pub(crate) fn of(w: &World, d: &Deployment) -> Self {
        let mut overview = DeploymentOverview::default();
        *match d.target_status {
            TargetStatus::Pending => &mut overview.pending,
            TargetStatus::InProgress => &mut overview.in_progress,
            TargetStatus::Succeeded => &mut overview.succeeded,
            TargetStatus::Failed => &mut overview.failed,
            TargetStatus::Ready => &mut overview.ready,
        } = 1;
        let rollback = RollbackInfo {
            rollback_deployment_id: d.rollback_id.clone(),
            rollback_triggering_deployment_id: match &d.kind {
                DeploymentKind::Rollback { of } => Some(of.clone()),
                DeploymentKind::Rollout => None,
            },
            rollback_message: d.rollback_message.clone(),
        };
        let has_rollback = rollback.rollback_deployment_id.is_some()
            || rollback.rollback_triggering_deployment_id.is_some()
            || rollback.rollback_message.is_some();
        DeploymentInfo {
            application_name: APP_NAME,
            deployment_group_name: GROUP_NAME,
            deployment_config_name: DEPLOYMENT_CONFIG,
            deployment_id: d.id.clone(),
            revision: d.revision.clone(),
            previous_revision: d.previous_revision.clone(),
            status: AwsName(d.status),
            error_information: d.error.as_ref().map(|(code, message)| ErrorInformation {
                code: AwsName(*code),
                message: message.clone(),
            }),
            create_time: d.create_time,
            start_time: d.start_time,
            complete_time: d.complete_time,
            deployment_overview: overview,
            description: d.description.clone(),
            creator: d.creator,
            ignore_application_stop_failures: false,
            auto_rollback_configuration: AutoRollbackConfiguration::new(d.auto_rollback),
            update_outdated_instances_only: false,
            rollback_info: has_rollback.then_some(rollback),
            deployment_style: BLUE_GREEN,
            instance_termination_wait_time_started: d.termination_wait_started,
            blue_green_deployment_configuration: BlueGreenDeploymentConfiguration::of(w),
            load_balancer_info: LoadBalancerInfo::of(w, None),
            file_exists_behavior: "DISALLOW",
            deployment_status_messages: d.status_messages.clone(),
            compute_platform: ComputePlatform::Ecs,
        }
    }
}

/// ListDeploymentTargetsOutput.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ListDeploymentTargetsOutput {
    pub(crate) target_ids: Vec<String>,
}

/// GetDeploymentTargetOutput.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct GetDeploymentTargetOutput {
    pub(crate) deployment_target: DeploymentTarget,
}

/// BatchGetDeploymentTargetsOutput.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct BatchGetDeploymentTargetsOutput {
    pub(crate) deployment_targets: Vec<DeploymentTarget>,
}

/// DeploymentTarget: the deployment's one target, the ECS service.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct DeploymentTarget {
    /// DeploymentTargetType: `ECSTarget`.
    pub(crate) deployment_target_type: &'static str,
    pub(crate) ecs_target: EcsTarget,
}

/// ECSTarget.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct EcsTarget {
    pub(crate) deployment_id: String,
    pub(crate) target_id: String,
    pub(crate) target_arn: String,
    pub(crate) last_updated_at: f64,
    pub(crate) lifecycle_events: Vec<LifecycleEvent>,
    pub(crate) status: AwsName<TargetStatus>,
    pub(crate) task_sets_info: Vec<EcsTaskSet>,
}

/// LifecycleEvent.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct LifecycleEvent {
    pub(crate) lifecycle_event_name: &'static str,
    pub(crate) status: AwsName<EventStatus>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) start_time: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) end_time: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) diagnostics: Option<Diagnostics>,
}

/// LifecycleErrorCode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub(crate) enum LifecycleErrorCode {
    Success,
    ScriptFailed,
    UnknownError,
}

/// Diagnostics (an event that has a message: a failure, or why it was skipped).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Diagnostics {
    pub(crate) error_code: LifecycleErrorCode,
    pub(crate) script_name: &'static str,
    pub(crate) message: String,
    pub(crate) log_tail: &'static str,
}

/// TargetLabel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub(crate) enum TargetLabel {
    Blue,
    Green,
}

/// ECSTaskSet.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct EcsTaskSet {
    /// AWS's spelling of the member (sic).
    pub(crate) identifer: String,
    pub(crate) desired_count: i64,
    pub(crate) pending_count: i64,
    pub(crate) running_count: i64,
    /// The ECS task set's status, `INACTIVE` once it is gone.
    pub(crate) status: &'static str,
    pub(crate) traffic_weight: f64,
    pub(crate) target_group: TargetGroupInfo,
    pub(crate) task_set_label: TargetLabel,
}

impl DeploymentTarget {
    pub(crate) fn of(w: &World, d: &Deployment) -> Self {
        let lifecycle_events = d
            .events
            .iter()
            .map(|e| LifecycleEvent {
                lifecycle_event_name: e.hook.as_str(),
                status: AwsName(e.status),
                start_time: e.start,
                end_time: e.end,
                diagnostics: e.message.as_ref().map(|m| {
                    let hooked = d.hook_executions.iter().any(|x| x.hook == e.hook);
                    Diagnostics {
                        error_code: match e.status {
                            EventStatus::Failed if hooked => LifecycleErrorCode::ScriptFailed,
                            EventStatus::Failed => LifecycleErrorCode::UnknownError,
                            _ => LifecycleErrorCode::Success,
                        },
                        script_name: "",
                        message: m.clone(),
                        log_tail: "",
                    }
                }),
            })
            .collect();
        let mut sets = Vec::new();
        // A task set removed at the end (the original after success, the replacement after
        // a rollback) was on the other target group than the one that remains.
        let tg_of = |id: &Option<String>| id.as_deref().and_then(|i| w.task_set(i)).map(|ts| ts.tg);
        let (orig_tg, repl_tg) = (tg_of(&d.original), tg_of(&d.replacement));
        for (label, id) in [
            (TargetLabel::Blue, &d.original),
            (TargetLabel::Green, &d.replacement),
        ] {
            let Some(id) = id else { continue };
            let blue = label == TargetLabel::Blue;
            let other = if blue { repl_tg } else { orig_tg };
            let gone_tg = other.map_or(if blue { 0 } else { 1 }, |t| 1 - t);
            let (desired, pending, running, status, tg) = match w.task_set(id) {
                Some(ts) => {
                    let v = ecs::shapes::TaskSet::of(w, ts);
                    (
                        i64::from(ts.desired),
                        v.pending_count as i64,
                        v.running_count as i64,
                        ts.status.as_str(),
                        ts.tg,
                    )
                }
                None => (0, 0, 0, "INACTIVE", gone_tg),
            };
            // Which one takes production traffic.
            let live = blue != d.switched;
            sets.push(EcsTaskSet {
                identifer: id.clone(),
                desired_count: desired,
                pending_count: pending,
                running_count: running,
                status,
                traffic_weight: if live { 100.0 } else { 0.0 },
                target_group: TargetGroupInfo { name: TG_NAMES[tg] },
                task_set_label: label,
            });
        }
        DeploymentTarget {
            deployment_target_type: "ECSTarget",
            ecs_target: EcsTarget {
                deployment_id: d.id.clone(),
                target_id: target_id(),
                target_arn: w.names.service_arn(),
                last_updated_at: d.target_updated,
                lifecycle_events,
                status: AwsName(d.target_status),
                task_sets_info: sets,
            },
        }
    }
}
