//! The in-memory model of the local stack: the names every service shares, and the
//! `World` that holds each service's state (task definitions, the ECS service with its
//! task sets and tasks: [`crate::ecs::backend`]; CodeDeploy deployments:
//! [`crate::codedeploy::backend`], which also hold the operations on it). One `World`
//! behind one mutex (never held across an `.await`); the load balancer's hot path lives
//! apart in [`crate::elbv2`]. The world is a serde type: the running stack writes it to
//! its state dir after every change and `up` reads it back ([`crate::runtime::records`]);
//! the names and the group's settings are not kept (they come from `up`'s flags).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::codedeploy::model::{Deployment, GroupSettings};
use crate::config::Config;
use crate::ecs::model::{Service, Task};
use crate::ecs::taskdef::Registered;
use crate::names::Names;
use deployer_models::time::now_secs as now;

#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct World {
    #[serde(skip)]
    pub(crate) names: Names,
    /// Registered task definitions, in registration order (as DescribeTaskDefinition answers them).
    pub(crate) task_defs: Vec<Registered>,
    pub(crate) service: Service,
    /// Every task, by id (stopped ones are kept for DescribeTasks, the oldest pruned).
    pub(crate) tasks: BTreeMap<String, Task>,
    pub(crate) deployments: Vec<Deployment>,
    #[serde(skip)]
    pub(crate) group: GroupSettings,
    /// The revision the service runs (the appspec of the last successful rollout).
    pub(crate) current_revision: Value,
    pub(crate) last_successful: Option<String>,
    pub(crate) last_attempted: Option<String>,
}

impl World {
    pub(crate) fn new(cfg: &Config) -> Self {
        World::with(
            &cfg.region,
            cfg.tasks,
            GroupSettings {
                ready_stop: cfg.ready_stop,
                ready_wait: cfg.ready_wait,
                termination_wait: cfg.termination_wait,
                auto_rollback: cfg.auto_rollback,
                // The group watches the 5xx alarm, as infra/codedeploy.tf's
                // alarm_configuration does (the unhealthy-hosts alarms are not emulated).
                alarms: vec![crate::names::HTTP_5XX_ALARM.to_string()],
            },
        )
    }

    /// An empty world: no task definition, no task set, no deployment.
    pub(crate) fn with(region: &str, tasks: u32, group: GroupSettings) -> Self {
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
            current_revision: Value::Null,
            last_successful: None,
            last_attempted: None,
        }
    }
}
