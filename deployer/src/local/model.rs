//! The in-memory model of the local stack: task definitions, the ECS service with its
//! task sets and tasks, and CodeDeploy deployments. One `World` behind one mutex (never
//! held across an `.await`); the load balancer's hot path lives apart in [`super::elb`].

use std::collections::BTreeMap;
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::Value;

use super::config::Config;

pub const ACCOUNT_ID: &str = "000000000000";
pub const CLUSTER: &str = "demo";
pub const SERVICE: &str = "demo";
pub const FAMILY: &str = "demo";
pub const CONTAINER: &str = "demo";
pub const CONTAINER_PORT: u16 = 3000;
pub const APP_NAME: &str = "demo";
pub const GROUP_NAME: &str = "demo";
pub const DEPLOYMENT_CONFIG: &str = "CodeDeployDefault.ECSAllAtOnce";
pub const TG_NAMES: [&str; 2] = ["demo-blue", "demo-green"];
pub const ECR_REPOSITORY: &str = "demo";
pub const EXECUTION_ROLE: &str = "demo-ecs-task-execution";
pub const TASK_ROLE: &str = "demo-ecs-task";
pub const LOG_GROUP: &str = "/ecs/demo";

/// Seconds since the epoch: the JSON 1.1 protocols carry timestamps as numbers.
pub fn now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| (d.as_millis() as f64) / 1000.0)
        .unwrap_or(0.0)
}

/// `n` random characters from `alphabet`.
pub fn random_id(n: usize, alphabet: &[u8]) -> String {
    (0..n)
        .map(|_| alphabet[fastrand_index(alphabet.len())] as char)
        .collect()
}

fn fastrand_index(len: usize) -> usize {
    let bytes = uuid::Uuid::new_v4();
    (u128::from_le_bytes(*bytes.as_bytes()) % len as u128) as usize
}

pub const UPPER_ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
pub const HEX: &[u8] = b"0123456789abcdef";
pub const DIGITS: &[u8] = b"0123456789";

/// ARNs and names of everything the stack serves, from its region.
#[derive(Debug, Clone)]
pub struct Names {
    pub region: String,
}

impl Names {
    pub fn arn(&self, service: &str, resource: &str) -> String {
        format!("arn:aws:{service}:{}:{ACCOUNT_ID}:{resource}", self.region)
    }
    pub fn cluster_arn(&self) -> String {
        self.arn("ecs", &format!("cluster/{CLUSTER}"))
    }
    pub fn service_arn(&self) -> String {
        self.arn("ecs", &format!("service/{CLUSTER}/{SERVICE}"))
    }
    pub fn task_def_arn(&self, family: &str, revision: u32) -> String {
        self.arn("ecs", &format!("task-definition/{family}:{revision}"))
    }
    pub fn task_arn(&self, id: &str) -> String {
        self.arn("ecs", &format!("task/{CLUSTER}/{id}"))
    }
    pub fn task_set_arn(&self, id: &str) -> String {
        self.arn("ecs", &format!("task-set/{CLUSTER}/{SERVICE}/{id}"))
    }
    pub fn lb_arn(&self) -> String {
        self.arn(
            "elasticloadbalancing",
            "loadbalancer/net/demo/0123456789abcdef",
        )
    }
    pub fn tg_arn(&self, name: &str) -> String {
        let suffix = if name.ends_with("blue") {
            "1111111111111111"
        } else {
            "2222222222222222"
        };
        self.arn(
            "elasticloadbalancing",
            &format!("targetgroup/{name}/{suffix}"),
        )
    }
    pub fn listener_arn(&self, port_kind: &str) -> String {
        let suffix = if port_kind == "prod" {
            "aaaaaaaaaaaaaaaa"
        } else {
            "bbbbbbbbbbbbbbbb"
        };
        self.arn(
            "elasticloadbalancing",
            &format!("listener/net/demo/0123456789abcdef/{suffix}"),
        )
    }
    pub fn role_arn(&self, name: &str) -> String {
        format!("arn:aws:iam::{ACCOUNT_ID}:role/{name}")
    }
    pub fn ecr_repository_url(&self) -> String {
        format!(
            "{ACCOUNT_ID}.dkr.ecr.{}.amazonaws.com/{ECR_REPOSITORY}",
            self.region
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskStatus {
    Provisioning,
    Pending,
    Running,
    Deprovisioning,
    Stopped,
}

impl TaskStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            TaskStatus::Provisioning => "PROVISIONING",
            TaskStatus::Pending => "PENDING",
            TaskStatus::Running => "RUNNING",
            TaskStatus::Deprovisioning => "DEPROVISIONING",
            TaskStatus::Stopped => "STOPPED",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Health {
    Unknown,
    Healthy,
    Unhealthy,
}

impl Health {
    pub fn as_str(self) -> &'static str {
        match self {
            Health::Unknown => "UNKNOWN",
            Health::Healthy => "HEALTHY",
            Health::Unhealthy => "UNHEALTHY",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Task {
    pub id: String,
    pub arn: String,
    pub task_set_id: String,
    pub task_def_arn: String,
    pub image: String,
    pub version: String,
    pub port: u16,
    pub pid: Option<u32>,
    pub last_status: TaskStatus,
    pub desired_running: bool,
    pub health: Health,
    /// Whether the task definition has a container health check.
    pub has_health_check: bool,
    pub created_at: f64,
    pub started_at: Option<f64>,
    pub stopping_at: Option<f64>,
    pub stopped_at: Option<f64>,
    pub stopped_reason: Option<String>,
    pub stop_code: Option<&'static str>,
    pub exit_code: Option<i32>,
    pub log: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskSetStatus {
    Primary,
    Active,
    Draining,
}

impl TaskSetStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            TaskSetStatus::Primary => "PRIMARY",
            TaskSetStatus::Active => "ACTIVE",
            TaskSetStatus::Draining => "DRAINING",
        }
    }
}

#[derive(Debug, Clone)]
pub struct TaskSet {
    pub id: String,
    pub arn: String,
    pub task_def_arn: String,
    /// Index into [`TG_NAMES`].
    pub tg: usize,
    pub status: TaskSetStatus,
    /// The CodeDeploy deployment that created it.
    pub external_id: Option<String>,
    pub created_at: f64,
    pub updated_at: f64,
    pub desired: u32,
    pub tasks: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct ServiceEvent {
    pub id: String,
    pub at: f64,
    pub message: String,
}

#[derive(Debug, Clone)]
pub struct Service {
    pub created_at: f64,
    pub desired: u32,
    pub task_sets: Vec<TaskSet>,
    pub events: Vec<ServiceEvent>,
}

/// CodeDeploy lifecycle events of an ECS blue/green deployment, in order.
pub const LIFECYCLE: [&str; 8] = [
    "BeforeInstall",
    "Install",
    "AfterInstall",
    "AllowTestTraffic",
    "AfterAllowTestTraffic",
    "BeforeAllowTraffic",
    "AllowTraffic",
    "AfterAllowTraffic",
];

#[derive(Debug, Clone)]
pub struct LifecycleEvent {
    pub name: &'static str,
    pub status: &'static str,
    pub start: Option<f64>,
    pub end: Option<f64>,
    pub message: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeploymentStatus {
    Created,
    Queued,
    InProgress,
    Ready,
    Succeeded,
    Failed,
    Stopped,
}

impl DeploymentStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            DeploymentStatus::Created => "Created",
            DeploymentStatus::Queued => "Queued",
            DeploymentStatus::InProgress => "InProgress",
            DeploymentStatus::Ready => "Ready",
            DeploymentStatus::Succeeded => "Succeeded",
            DeploymentStatus::Failed => "Failed",
            DeploymentStatus::Stopped => "Stopped",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "Created" => DeploymentStatus::Created,
            "Queued" => DeploymentStatus::Queued,
            "InProgress" => DeploymentStatus::InProgress,
            "Ready" => DeploymentStatus::Ready,
            "Succeeded" => DeploymentStatus::Succeeded,
            "Failed" => DeploymentStatus::Failed,
            "Stopped" => DeploymentStatus::Stopped,
            // Valid in the API, never reached by ECS deployments.
            "Baking" => return None,
            _ => return None,
        })
    }
    pub fn is_done(self) -> bool {
        matches!(
            self,
            DeploymentStatus::Succeeded | DeploymentStatus::Failed | DeploymentStatus::Stopped
        )
    }
}

/// What the deployment does: roll a new revision out, or put traffic back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeploymentKind {
    /// Roll out `task_def_arn` (from the appspec).
    Rollout,
    /// Roll back the deployment with this id.
    Rollback { of: String },
}

#[derive(Debug, Clone)]
pub struct Deployment {
    pub id: String,
    pub kind: DeploymentKind,
    /// The revision (`RevisionLocation` JSON) as given.
    pub revision: Value,
    pub previous_revision: Option<Value>,
    /// Parsed from the appspec (rollouts).
    pub task_def: Option<String>,
    pub description: Option<String>,
    pub creator: &'static str,
    pub status: DeploymentStatus,
    pub error: Option<(&'static str, String)>,
    pub create_time: f64,
    pub start_time: Option<f64>,
    pub complete_time: Option<f64>,
    pub auto_rollback: bool,
    pub rollback_id: Option<String>,
    pub rollback_message: Option<String>,
    pub events: Vec<LifecycleEvent>,
    pub target_status: &'static str,
    pub target_updated: f64,
    pub termination_wait_started: bool,
    pub status_messages: Vec<String>,
    /// Task set ids: (original, replacement), known once Install starts.
    pub original: Option<String>,
    pub replacement: Option<String>,
    /// Traffic is on the replacement.
    pub switched: bool,
    // Requests from the API, consumed by the lifecycle engine.
    pub continue_ready: bool,
    pub continue_termination: bool,
    pub stop: Option<bool>,
}

impl Deployment {
    pub fn new(id: String, kind: DeploymentKind, revision: Value, creator: &'static str) -> Self {
        let t = now();
        Deployment {
            id,
            kind,
            revision,
            previous_revision: None,
            task_def: None,
            description: None,
            creator,
            status: DeploymentStatus::Created,
            error: None,
            create_time: t,
            start_time: None,
            complete_time: None,
            auto_rollback: true,
            rollback_id: None,
            rollback_message: None,
            events: LIFECYCLE
                .iter()
                .map(|&name| LifecycleEvent {
                    name,
                    status: "Pending",
                    start: None,
                    end: None,
                    message: None,
                })
                .collect(),
            target_status: "Pending",
            target_updated: t,
            termination_wait_started: false,
            status_messages: Vec::new(),
            original: None,
            replacement: None,
            switched: false,
            continue_ready: false,
            continue_termination: false,
            stop: None,
        }
    }
}

/// The CodeDeploy deployment group's blue/green settings (from `local up` flags).
#[derive(Debug, Clone)]
pub struct GroupSettings {
    pub ready_stop: bool,
    pub ready_wait: std::time::Duration,
    pub termination_wait: std::time::Duration,
    pub auto_rollback: bool,
}

#[derive(Debug)]
pub struct World {
    pub names: Names,
    /// Registered task definitions, in registration order (full JSON as DescribeTaskDefinition returns it).
    pub task_defs: Vec<Value>,
    pub service: Service,
    /// Every task, by id (stopped ones are kept for DescribeTasks, the oldest pruned).
    pub tasks: BTreeMap<String, Task>,
    pub deployments: Vec<Deployment>,
    pub group: GroupSettings,
    pub created_at: f64,
    /// The revision the service runs (the appspec of the last successful rollout).
    pub current_revision: Value,
    pub last_successful: Option<String>,
    pub last_attempted: Option<String>,
}

impl World {
    pub fn new(cfg: &Config) -> Self {
        let t = now();
        World {
            names: Names {
                region: cfg.region.clone(),
            },
            task_defs: Vec::new(),
            service: Service {
                created_at: t,
                desired: cfg.tasks,
                task_sets: Vec::new(),
                events: Vec::new(),
            },
            tasks: BTreeMap::new(),
            deployments: Vec::new(),
            group: GroupSettings {
                ready_stop: cfg.ready_stop,
                ready_wait: cfg.ready_wait,
                termination_wait: cfg.termination_wait,
                auto_rollback: cfg.auto_rollback,
            },
            created_at: t,
            current_revision: Value::Null,
            last_successful: None,
            last_attempted: None,
        }
    }

    pub fn event(&mut self, message: impl Into<String>) {
        let message = message.into();
        tracing::info!(target: "ecs", "{message}");
        self.service.events.insert(
            0,
            ServiceEvent {
                id: uuid::Uuid::new_v4().to_string(),
                at: now(),
                message,
            },
        );
        self.service.events.truncate(100);
    }

    pub fn deployment(&self, id: &str) -> Option<&Deployment> {
        self.deployments.iter().find(|d| d.id == id)
    }

    pub fn deployment_mut(&mut self, id: &str) -> Option<&mut Deployment> {
        self.deployments.iter_mut().find(|d| d.id == id)
    }

    pub fn active_deployment(&self) -> Option<&Deployment> {
        self.deployments.iter().find(|d| !d.status.is_done())
    }

    pub fn task_def(&self, arn: &str) -> Option<&Value> {
        self.task_defs
            .iter()
            .find(|td| td["taskDefinitionArn"].as_str() == Some(arn))
    }

    pub fn primary(&self) -> Option<&TaskSet> {
        self.service
            .task_sets
            .iter()
            .find(|ts| ts.status == TaskSetStatus::Primary)
    }

    pub fn task_set(&self, id: &str) -> Option<&TaskSet> {
        self.service.task_sets.iter().find(|ts| ts.id == id)
    }

    pub fn task_set_mut(&mut self, id: &str) -> Option<&mut TaskSet> {
        self.service.task_sets.iter_mut().find(|ts| ts.id == id)
    }

    /// Keeps at most 200 stopped tasks (the oldest go first).
    pub fn prune_stopped(&mut self) {
        let mut stopped: Vec<(f64, String)> = self
            .tasks
            .values()
            .filter(|t| t.last_status == TaskStatus::Stopped)
            .map(|t| (t.stopped_at.unwrap_or(0.0), t.id.clone()))
            .collect();
        if stopped.len() > 200 {
            stopped.sort_by(|a, b| a.0.total_cmp(&b.0));
            for (_, id) in stopped.iter().take(stopped.len() - 200) {
                self.tasks.remove(id);
            }
        }
    }
}

/// The version a task reports: the image tag (`repo:tag` -> `tag`; a digest reference
/// `repo@sha256:...` -> the digest; no tag -> `latest`).
pub fn version_of_image(image: &str) -> String {
    if let Some((_, digest)) = image.split_once('@') {
        return digest.to_string();
    }
    let last = image.rsplit('/').next().unwrap_or(image);
    match last.split_once(':') {
        Some((_, tag)) if !tag.is_empty() => tag.to_string(),
        _ => "latest".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_is_the_image_tag() {
        assert_eq!(version_of_image("demo:v2"), "v2");
        assert_eq!(
            version_of_image("000000000000.dkr.ecr.us-east-1.amazonaws.com/demo:1.2.3"),
            "1.2.3"
        );
        assert_eq!(version_of_image("localhost:5000/demo"), "latest");
        assert_eq!(version_of_image("demo@sha256:abcd"), "sha256:abcd");
    }

    #[test]
    fn random_ids_use_the_alphabet() {
        let id = random_id(9, UPPER_ALNUM);
        assert_eq!(id.len(), 9);
        assert!(id.bytes().all(|b| UPPER_ALNUM.contains(&b)), "{id}");
        assert_ne!(random_id(16, HEX), random_id(16, HEX));
    }
}
