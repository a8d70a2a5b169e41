//! ECS's answers as serde types, named after botocore's output shapes (camelCase, as the
//! ECS JSON 1.1 API writes them), and how each is read off the [`World`]. Members AWS
//! leaves out when they have no value are left out here too; the statuses are the
//! backend's typed ones ([`super::model`]), written by their AWS names.

use serde::Serialize;
use serde_json::Value;

use super::model::{Health, StopCode, Task as TaskRecord, TaskSet as TaskSetRecord};
use super::model::{TaskSetStatus, TaskStatus};
use super::taskdef::Registered;
use crate::names::{CLUSTER, CONTAINER, CONTAINER_PORT, SERVICE, TG_NAMES};
use crate::wire::shape::AwsName;
use crate::world::World;

/// RegisterTaskDefinitionResponse and DescribeTaskDefinitionResponse.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct TaskDefinitionResponse<'a> {
    /// The registered task definition: the caller's members with those registration adds
    /// (ARN, revision, status, ...).
    pub(crate) task_definition: &'a Registered,
    pub(crate) tags: Vec<Tag>,
}

/// Tag (a resource tag, as given).
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Tag {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) key: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) value: Option<String>,
}

/// ListTaskDefinitionsResponse.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ListTaskDefinitionsResponse {
    pub(crate) task_definition_arns: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) next_token: Option<String>,
}

/// ListTasksResponse.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ListTasksResponse {
    pub(crate) task_arns: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) next_token: Option<String>,
}

/// ListClustersResponse.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ListClustersResponse {
    pub(crate) cluster_arns: Vec<String>,
}

/// ListServicesResponse.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ListServicesResponse {
    pub(crate) service_arns: Vec<String>,
}

/// DescribeClustersResponse.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct DescribeClustersResponse {
    pub(crate) clusters: Vec<Cluster>,
    pub(crate) failures: Vec<Failure>,
}

/// Cluster.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Cluster {
    pub(crate) cluster_arn: String,
    pub(crate) cluster_name: &'static str,
    pub(crate) status: &'static str,
    pub(crate) running_tasks_count: usize,
    pub(crate) pending_tasks_count: usize,
    pub(crate) active_services_count: usize,
    pub(crate) registered_container_instances_count: usize,
}

impl Cluster {
    /// The one cluster.
    pub(crate) fn of(w: &World) -> Self {
        Cluster {
            cluster_arn: w.names.cluster_arn(),
            cluster_name: CLUSTER,
            status: "ACTIVE",
            running_tasks_count: w
                .tasks
                .values()
                .filter(|t| t.last_status == TaskStatus::Running)
                .count(),
            pending_tasks_count: 0,
            active_services_count: 1,
            registered_container_instances_count: 0,
        }
    }
}

/// Failure (a resource a Describe* request named that does not exist).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Failure {
    pub(crate) arn: String,
    pub(crate) reason: &'static str,
}

impl Failure {
    pub(crate) fn missing(arn: String) -> Self {
        Failure {
            arn,
            reason: "MISSING",
        }
    }
}

/// DescribeServicesResponse.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct DescribeServicesResponse {
    pub(crate) services: Vec<Service>,
    pub(crate) failures: Vec<Failure>,
}

/// UpdateServiceResponse.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct UpdateServiceResponse {
    pub(crate) service: Service,
}

/// DescribeTasksResponse and RunTaskResponse.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct TasksResponse {
    pub(crate) tasks: Vec<Task>,
    pub(crate) failures: Vec<Failure>,
}

/// StopTaskResponse.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct StopTaskResponse {
    pub(crate) task: Task,
}

/// DescribeTaskSetsResponse.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct DescribeTaskSetsResponse {
    pub(crate) task_sets: Vec<TaskSet>,
    pub(crate) failures: Vec<Failure>,
}

/// LaunchType (every local task runs as a Fargate one would).
#[derive(Debug, Clone, Copy, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub(crate) enum LaunchType {
    Fargate,
}

/// StabilityStatus.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub(crate) enum StabilityStatus {
    SteadyState,
    Stabilizing,
}

/// LoadBalancer (a service's or task set's target group and container).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct LoadBalancer {
    pub(crate) target_group_arn: String,
    pub(crate) container_name: &'static str,
    pub(crate) container_port: u16,
}

impl LoadBalancer {
    fn of(w: &World, tg: usize) -> Self {
        LoadBalancer {
            target_group_arn: w.names.tg_arn(TG_NAMES[tg]),
            container_name: CONTAINER,
            container_port: CONTAINER_PORT,
        }
    }
}

/// Scale (a task set's share of the service: 100% unless it drains).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Scale {
    pub(crate) value: f64,
    /// ScaleUnit: always `PERCENT`.
    pub(crate) unit: &'static str,
}

/// TaskSet.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct TaskSet {
    pub(crate) id: String,
    pub(crate) task_set_arn: String,
    pub(crate) service_arn: String,
    pub(crate) cluster_arn: String,
    pub(crate) started_by: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) external_id: Option<String>,
    pub(crate) status: AwsName<TaskSetStatus>,
    pub(crate) task_definition: String,
    pub(crate) computed_desired_count: u32,
    pub(crate) pending_count: usize,
    pub(crate) running_count: usize,
    pub(crate) created_at: f64,
    pub(crate) updated_at: f64,
    pub(crate) launch_type: LaunchType,
    pub(crate) platform_version: &'static str,
    pub(crate) platform_family: &'static str,
    pub(crate) load_balancers: Vec<LoadBalancer>,
    pub(crate) service_registries: Vec<Value>,
    pub(crate) scale: Scale,
    pub(crate) stability_status: StabilityStatus,
    pub(crate) stability_status_at: f64,
    pub(crate) tags: Vec<Tag>,
}

/// A task set's running and pending tasks.
fn counts(w: &World, ts: &TaskSetRecord) -> (usize, usize) {
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

impl TaskSet {
    pub(crate) fn of(w: &World, ts: &TaskSetRecord) -> Self {
        let (running, pending) = counts(w, ts);
        let steady = running >= ts.desired as usize && pending == 0;
        TaskSet {
            id: ts.id.clone(),
            task_set_arn: ts.arn.clone(),
            service_arn: w.names.service_arn(),
            cluster_arn: w.names.cluster_arn(),
            started_by: "CodeDeploy",
            external_id: ts.external_id.clone(),
            status: AwsName(ts.status),
            task_definition: ts.task_def_arn.clone(),
            computed_desired_count: ts.desired,
            pending_count: pending,
            running_count: running,
            created_at: ts.created_at,
            updated_at: ts.updated_at,
            launch_type: LaunchType::Fargate,
            platform_version: "1.4.0",
            platform_family: "Linux",
            load_balancers: vec![LoadBalancer::of(w, ts.tg)],
            service_registries: Vec::new(),
            scale: Scale {
                value: if ts.status == TaskSetStatus::Draining {
                    0.0
                } else {
                    100.0
                },
                unit: "PERCENT",
            },
            stability_status: if steady {
                StabilityStatus::SteadyState
            } else {
                StabilityStatus::Stabilizing
            },
            stability_status_at: ts.updated_at,
            tags: Vec::new(),
        }
    }
}

/// Service.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Service {
    pub(crate) service_arn: String,
    pub(crate) service_name: &'static str,
    pub(crate) cluster_arn: String,
    pub(crate) load_balancers: Vec<LoadBalancer>,
    pub(crate) service_registries: Vec<Value>,
    pub(crate) status: &'static str,
    pub(crate) desired_count: u32,
    pub(crate) running_count: usize,
    pub(crate) pending_count: usize,
    pub(crate) launch_type: LaunchType,
    pub(crate) platform_version: &'static str,
    pub(crate) platform_family: &'static str,
    /// The primary task set's (none before the first deployment).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) task_definition: Option<String>,
    pub(crate) deployment_configuration: DeploymentConfiguration,
    pub(crate) task_sets: Vec<TaskSet>,
    /// A CODE_DEPLOY service has task sets, no ECS deployments.
    pub(crate) deployments: Vec<Value>,
    pub(crate) role_arn: String,
    pub(crate) events: Vec<ServiceEvent>,
    pub(crate) created_at: f64,
    pub(crate) placement_constraints: Vec<Value>,
    pub(crate) placement_strategy: Vec<Value>,
    pub(crate) network_configuration: NetworkConfiguration,
    pub(crate) health_check_grace_period_seconds: u32,
    /// SchedulingStrategy: `REPLICA`.
    pub(crate) scheduling_strategy: &'static str,
    pub(crate) deployment_controller: DeploymentController,
    pub(crate) created_by: String,
    #[serde(rename = "enableECSManagedTags")]
    pub(crate) enable_ecs_managed_tags: bool,
    /// PropagateTags: `NONE`.
    pub(crate) propagate_tags: &'static str,
    pub(crate) enable_execute_command: bool,
}

/// DeploymentConfiguration.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct DeploymentConfiguration {
    pub(crate) maximum_percent: u32,
    pub(crate) minimum_healthy_percent: u32,
}

/// NetworkConfiguration.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct NetworkConfiguration {
    pub(crate) awsvpc_configuration: AwsVpcConfiguration,
}

/// AwsVpcConfiguration.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct AwsVpcConfiguration {
    pub(crate) subnets: Vec<&'static str>,
    pub(crate) security_groups: Vec<&'static str>,
    /// AssignPublicIp: `DISABLED`.
    pub(crate) assign_public_ip: &'static str,
}

/// DeploymentController.
#[derive(Debug, Serialize)]
pub(crate) struct DeploymentController {
    /// DeploymentControllerType: `CODE_DEPLOY` (the service's deployments are CodeDeploy's).
    #[serde(rename = "type")]
    pub(crate) kind: &'static str,
}

/// ServiceEvent.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ServiceEvent {
    pub(crate) id: String,
    pub(crate) created_at: f64,
    pub(crate) message: String,
}

impl Service {
    /// The one service, with its task sets and its last 20 events.
    pub(crate) fn of(w: &World) -> Self {
        let primary = w.primary();
        let (running, pending) = primary.map(|ts| counts(w, ts)).unwrap_or((0, 0));
        let running_all = w
            .tasks
            .values()
            .filter(|t| t.last_status == TaskStatus::Running)
            .count();
        Service {
            service_arn: w.names.service_arn(),
            service_name: SERVICE,
            cluster_arn: w.names.cluster_arn(),
            load_balancers: vec![LoadBalancer::of(w, 0)],
            service_registries: Vec::new(),
            status: "ACTIVE",
            desired_count: w.service.desired,
            running_count: running_all.max(running),
            pending_count: pending,
            launch_type: LaunchType::Fargate,
            platform_version: "LATEST",
            platform_family: "Linux",
            task_definition: primary.map(|ts| ts.task_def_arn.clone()),
            deployment_configuration: DeploymentConfiguration {
                maximum_percent: 200,
                minimum_healthy_percent: 100,
            },
            task_sets: w
                .service
                .task_sets
                .iter()
                .map(|ts| TaskSet::of(w, ts))
                .collect(),
            deployments: Vec::new(),
            role_arn: w
                .names
                .role_arn("aws-service-role/ecs.amazonaws.com/AWSServiceRoleForECS"),
            events: w
                .service
                .events
                .iter()
                .take(20)
                .map(|e| ServiceEvent {
                    id: e.id.clone(),
                    created_at: e.at,
                    message: e.message.clone(),
                })
                .collect(),
            created_at: w.service.created_at,
            placement_constraints: Vec::new(),
            placement_strategy: Vec::new(),
            network_configuration: NetworkConfiguration {
                awsvpc_configuration: AwsVpcConfiguration {
                    subnets: vec!["subnet-local"],
                    security_groups: vec!["sg-local"],
                    assign_public_ip: "DISABLED",
                },
            },
            health_check_grace_period_seconds: 0,
            scheduling_strategy: "REPLICA",
            deployment_controller: DeploymentController {
                kind: "CODE_DEPLOY",
            },
            created_by: w.names.role_arn("demo-terraform"),
            enable_ecs_managed_tags: false,
            propagate_tags: "NONE",
            enable_execute_command: false,
        }
    }
}

/// Task.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Task {
    pub(crate) task_arn: String,
    pub(crate) cluster_arn: String,
    pub(crate) task_definition_arn: String,
    pub(crate) last_status: AwsName<TaskStatus>,
    pub(crate) desired_status: AwsName<TaskStatus>,
    pub(crate) health_status: AwsName<Health>,
    pub(crate) started_by: String,
    pub(crate) group: String,
    pub(crate) launch_type: LaunchType,
    pub(crate) platform_version: &'static str,
    pub(crate) platform_family: &'static str,
    pub(crate) availability_zone: String,
    /// Connectivity: `CONNECTED`.
    pub(crate) connectivity: &'static str,
    pub(crate) connectivity_at: f64,
    pub(crate) cpu: &'static str,
    pub(crate) memory: &'static str,
    pub(crate) created_at: f64,
    pub(crate) version: u32,
    pub(crate) attachments: Vec<Attachment>,
    pub(crate) attributes: Vec<Value>,
    pub(crate) tags: Vec<Tag>,
    pub(crate) containers: Vec<Container>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) started_at: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) pull_started_at: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) pull_stopped_at: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) stopping_at: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) stopped_at: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) execution_stopped_at: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) stopped_reason: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) stop_code: Option<AwsName<StopCode>>,
}

/// Attachment (the task's network interface).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Attachment {
    pub(crate) id: String,
    #[serde(rename = "type")]
    pub(crate) kind: &'static str,
    pub(crate) status: &'static str,
    pub(crate) details: Vec<KeyValuePair>,
}

/// KeyValuePair.
#[derive(Debug, Serialize)]
pub(crate) struct KeyValuePair {
    pub(crate) name: &'static str,
    pub(crate) value: &'static str,
}

/// Container.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Container {
    pub(crate) container_arn: String,
    pub(crate) task_arn: String,
    pub(crate) name: &'static str,
    pub(crate) image: String,
    pub(crate) last_status: AwsName<TaskStatus>,
    pub(crate) health_status: AwsName<Health>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) exit_code: Option<i32>,
    pub(crate) network_bindings: Vec<NetworkBinding>,
    pub(crate) network_interfaces: Vec<NetworkInterface>,
}

/// NetworkBinding.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct NetworkBinding {
    #[serde(rename = "bindIP")]
    pub(crate) bind_ip: &'static str,
    pub(crate) container_port: u16,
    pub(crate) host_port: u16,
    /// TransportProtocol: `tcp`.
    pub(crate) protocol: &'static str,
}

/// NetworkInterface.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct NetworkInterface {
    pub(crate) attachment_id: String,
    pub(crate) private_ipv4_address: &'static str,
}

/// A task's `desiredStatus`.
pub(crate) fn desired_status(t: &TaskRecord) -> TaskStatus {
    if t.desired_running {
        TaskStatus::Running
    } else {
        TaskStatus::Stopped
    }
}

/// The family of a task definition ARN (`.../demo:3` is `demo`).
fn family_of(task_def_arn: &str) -> &str {
    task_def_arn
        .rsplit('/')
        .next()
        .and_then(|fr| fr.split(':').next())
        .unwrap_or("")
}

impl Task {
    pub(crate) fn of(w: &World, t: &TaskRecord) -> Self {
        let health = if t.has_health_check {
            t.health
        } else {
            Health::Unknown
        };
        let container_status = match t.last_status {
            TaskStatus::Stopped => TaskStatus::Stopped,
            TaskStatus::Running | TaskStatus::Deprovisioning => TaskStatus::Running,
            _ => TaskStatus::Pending,
        };
        Task {
            task_arn: t.arn.clone(),
            cluster_arn: w.names.cluster_arn(),
            task_definition_arn: t.task_def_arn.clone(),
            last_status: AwsName(t.last_status),
            desired_status: AwsName(desired_status(t)),
            health_status: AwsName(health),
            started_by: t.task_set_id.clone(),
            group: if t.task_set_id.is_empty() {
                format!("family:{}", family_of(&t.task_def_arn))
            } else {
                format!("service:{SERVICE}")
            },
            launch_type: LaunchType::Fargate,
            platform_version: "1.4.0",
            platform_family: "Linux",
            availability_zone: t.az.clone(),
            connectivity: "CONNECTED",
            connectivity_at: t.created_at,
            cpu: "256",
            memory: "512",
            created_at: t.created_at,
            version: 1,
            attachments: vec![Attachment {
                id: t.id.clone(),
                kind: "ElasticNetworkInterface",
                status: "ATTACHED",
                details: vec![
                    KeyValuePair {
                        name: "privateIPv4Address",
                        value: "127.0.0.1",
                    },
                    KeyValuePair {
                        name: "subnetId",
                        value: "subnet-local",
                    },
                ],
            }],
            attributes: Vec::new(),
            tags: Vec::new(),
            containers: vec![Container {
                container_arn: format!("{}/{CONTAINER}", t.arn.replace(":task/", ":container/")),
                task_arn: t.arn.clone(),
                name: CONTAINER,
                image: t.image.clone(),
                last_status: AwsName(container_status),
                health_status: AwsName(health),
                exit_code: t.exit_code,
                network_bindings: vec![NetworkBinding {
                    bind_ip: "127.0.0.1",
                    container_port: CONTAINER_PORT,
                    host_port: t.port,
                    protocol: "tcp",
                }],
                network_interfaces: vec![NetworkInterface {
                    attachment_id: t.id.clone(),
                    private_ipv4_address: "127.0.0.1",
                }],
            }],
            started_at: t.started_at,
            pull_started_at: t.started_at.map(|_| t.created_at),
            pull_stopped_at: t.started_at,
            stopping_at: t.stopping_at,
            stopped_at: t.stopped_at,
            execution_stopped_at: t.stopped_at,
            stopped_reason: t.stopped_reason.clone(),
            stop_code: t.stop_code.map(AwsName),
        }
    }
}

/// The task metadata endpoint's `/task` document (v4, PascalCase, as the ECS agent writes
/// it; not an API operation, so no botocore shape). Members with no value are `null`, as
/// the demo's reader has always seen them.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct TaskMetadata {
    pub(crate) cluster: String,
    #[serde(rename = "TaskARN")]
    pub(crate) task_arn: String,
    pub(crate) family: Option<String>,
    pub(crate) revision: Option<String>,
    pub(crate) desired_status: AwsName<TaskStatus>,
    pub(crate) known_status: AwsName<TaskStatus>,
    pub(crate) availability_zone: String,
    pub(crate) launch_type: LaunchType,
    pub(crate) containers: Vec<ContainerMetadata>,
}

/// A container of [`TaskMetadata`].
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct ContainerMetadata {
    pub(crate) docker_id: String,
    pub(crate) name: &'static str,
    pub(crate) image: String,
    #[serde(rename = "ImageID")]
    pub(crate) image_id: Option<String>,
    pub(crate) desired_status: AwsName<TaskStatus>,
    pub(crate) known_status: AwsName<TaskStatus>,
    pub(crate) labels: std::collections::BTreeMap<&'static str, String>,
    #[serde(rename = "Type")]
    pub(crate) kind: &'static str,
    pub(crate) networks: Vec<MetadataNetwork>,
}

/// A network of [`ContainerMetadata`].
#[derive(Debug, Serialize)]
pub(crate) struct MetadataNetwork {
    #[serde(rename = "NetworkMode")]
    pub(crate) network_mode: &'static str,
    #[serde(rename = "IPv4Addresses")]
    pub(crate) ipv4_addresses: Vec<&'static str>,
}

impl TaskMetadata {
    /// Task `t`'s metadata; `image_id` is its image's digest when the local ECR has it.
    pub(crate) fn of(w: &World, t: &TaskRecord, image_id: Option<String>) -> Self {
        let td = w.task_def(&t.task_def_arn);
        TaskMetadata {
            cluster: w.names.cluster_arn(),
            task_arn: t.arn.clone(),
            family: td.map(|d| d.family.clone()),
            revision: td.map(|d| d.revision.to_string()),
            desired_status: AwsName(desired_status(t)),
            known_status: AwsName(t.last_status),
            availability_zone: t.az.clone(),
            launch_type: LaunchType::Fargate,
            containers: vec![ContainerMetadata {
                docker_id: t.id.clone(),
                name: CONTAINER,
                image: t.image.clone(),
                image_id,
                desired_status: AwsName(desired_status(t)),
                known_status: AwsName(t.last_status),
                labels: [
                    ("com.amazonaws.ecs.cluster", w.names.cluster_arn()),
                    ("com.amazonaws.ecs.container-name", CONTAINER.to_string()),
                    ("com.amazonaws.ecs.task-arn", t.arn.clone()),
                ]
                .into(),
                kind: "NORMAL",
                networks: vec![MetadataNetwork {
                    network_mode: "awsvpc",
                    ipv4_addresses: vec!["127.0.0.1"],
                }],
            }],
        }
    }
}
