//! The in-memory model of the local stack: the names every service shares, and the
//! `World` that holds each service's state (task definitions, the ECS service with its
//! task sets and tasks: [`super::ecs::backend`]; CodeDeploy deployments:
//! [`super::codedeploy::backend`], which also hold the operations on it). One `World`
//! behind one mutex (never held across an `.await`); the load balancer's hot path lives
//! apart in [`super::elb`].

use std::collections::BTreeMap;
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::Value;

use super::codedeploy::backend::{Deployment, GroupSettings};
use super::config::Config;
use super::ecs::backend::{Service, Task};

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
        World::with(
            &cfg.region,
            cfg.tasks,
            GroupSettings {
                ready_stop: cfg.ready_stop,
                ready_wait: cfg.ready_wait,
                termination_wait: cfg.termination_wait,
                auto_rollback: cfg.auto_rollback,
            },
        )
    }

    /// An empty world: no task definition, no task set, no deployment.
    pub fn with(region: &str, tasks: u32, group: GroupSettings) -> Self {
        let t = now();
        World {
            names: Names {
                region: region.to_string(),
            },
            task_defs: Vec::new(),
            service: Service {
                created_at: t,
                desired: tasks,
                task_sets: Vec::new(),
                events: Vec::new(),
            },
            tasks: BTreeMap::new(),
            deployments: Vec::new(),
            group,
            created_at: t,
            current_revision: Value::Null,
            last_successful: None,
            last_attempted: None,
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
