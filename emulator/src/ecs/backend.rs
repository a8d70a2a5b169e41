//! ECS's operations on the [`World`]: task definitions, task sets and the records of
//! their tasks. Starting and stopping the processes is [`crate::runtime::tasks`]'s job;
//! this module only keeps the books.

use super::model::*;
use super::Error;
use crate::names::{random_id, Names, ACCOUNT_ID, CLUSTER, DIGITS, SERVICE, TG_NAMES};
use crate::wire::error::AwsError;
use crate::world::World;
use deployer_models::time::now_secs as now;
use serde_json::{json, Value};

/// The cluster a request names (`default` when none): `demo`, by name or ARN.
pub(crate) fn check_cluster(names: &Names, cluster: Option<&str>) -> Result<(), AwsError<Error>> {
    let cluster = cluster.unwrap_or("default");
    if cluster == CLUSTER || cluster == names.cluster_arn() {
        Ok(())
    } else {
        Err(AwsError::new(
            Error::ClusterNotFoundException,
            "Cluster not found.",
        ))
    }
}

/// UpdateService's request, as the API read it: the service, the desired count, and which
/// of the members a CODE_DEPLOY service refuses were given.
#[derive(Debug, Clone, Default)]
pub(crate) struct UpdateService {
    pub(crate) service: Option<String>,
    pub(crate) desired_count: Option<i64>,
    /// `taskDefinition`, `networkConfiguration`, `loadBalancers`, `platformVersion`: the
    /// first one given.
    pub(crate) code_deploy_owned: Option<&'static str>,
}

impl World {
    /// UpdateService on a CODE_DEPLOY service: the desired count (the scheduler starts or
    /// stops tasks of the primary task set); the task definition, network configuration and
    /// load balancers belong to CodeDeploy, as ECS answers.
    pub(crate) fn update_service(&mut self, req: &UpdateService) -> Result<(), AwsError<Error>> {
        let s = match req.service.as_deref() {
            None => Err(AwsError::new(
                Error::InvalidParameterException,
                "service is required",
            )),
            Some("") => Err(AwsError::new(
                Error::InvalidParameterException,
                "service must not be empty",
            )),
            Some(s) => Ok(s),
        }?;
        if s != SERVICE && s != self.names.service_arn() {
            return Err(AwsError::new(
                Error::ServiceNotFoundException,
                "Service not found.",
            ));
        }
        if let Some(key) = req.code_deploy_owned {
            return Err(AwsError::new(
                Error::InvalidParameterException,
                format!(
                    "Unable to update {key} on services with a CODE_DEPLOY deployment controller. \
                     Use AWS CodeDeploy to trigger a new deployment."
                ),
            ));
        }
        let desired = match req.desired_count {
            None => None,
            Some(v) => Some(
                u32::try_from(v)
                    .ok()
                    .filter(|n| *n <= 1000)
                    .ok_or_else(|| {
                        AwsError::new(
                            Error::InvalidParameterException,
                            format!("desiredCount {v}: must be a whole number from 0 to 1000"),
                        )
                    })?,
            ),
        };
        if let Some(n) = desired {
            self.set_desired(n);
        }
        Ok(())
    }

    /// Registers a task definition (the next revision of its family); returns its ARN.
    pub(crate) fn register_task_definition(
        &mut self,
        mut td: Value,
    ) -> Result<String, AwsError<Error>> {
        let family = match td.get("family") {
            Some(Value::String(f)) if !f.is_empty() => f.clone(),
            Some(Value::Null) | None => {
                return Err(AwsError::new(Error::ClientException, "family is required"))
            }
            Some(Value::String(_)) => {
                return Err(AwsError::new(
                    Error::ClientException,
                    "family must not be empty",
                ))
            }
            Some(other) => {
                return Err(AwsError::new(
                    Error::SerializationException,
                    format!("family: expected a string, got {other}"),
                ))
            }
        };
        if !valid_family(&family) {
            return Err(AwsError::new(
                Error::ClientException,
                format!("Family {family:?} contains invalid characters: up to 255 letters, numbers, hyphens and underscores are allowed."),
            ));
        }
        let containers = td["containerDefinitions"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        if containers.is_empty() {
            return Err(AwsError::new(
                Error::ClientException,
                "TaskDefinition must contain at least one container definition.",
            ));
        }
        for (i, c) in containers.iter().enumerate() {
            if c["name"].as_str().is_none_or(str::is_empty) {
                return Err(AwsError::new(
                    Error::ClientException,
                    format!(
                        "Container.name should not be null or empty (containerDefinitions[{i}])."
                    ),
                ));
            }
            if c["image"].as_str().is_none_or(str::is_empty) {
                return Err(AwsError::new(
                    Error::ClientException,
                    format!(
                        "Container.image should not be null or empty (container {:?}).",
                        c["name"]
                    ),
                ));
            }
        }
        // ECS's own checks (image, roles, Fargate size and network mode, ports, health
        // check, awslogs, template placeholders): before anything is stored.
        super::validate::task_definition(&td)?;
        let revision = self
            .task_defs
            .iter()
            .filter(|t| t["family"].as_str() == Some(&family))
            .count() as u32
            + 1;
        let arn = self.names.task_def_arn(&family, revision);
        let compat = td["requiresCompatibilities"].clone();
        if let Some(o) = td.as_object_mut() {
            o.insert("taskDefinitionArn".into(), json!(arn));
            o.insert("revision".into(), json!(revision));
            o.insert("status".into(), json!("ACTIVE"));
            o.insert("compatibilities".into(), json!(["EC2", "FARGATE"]));
            o.insert("requiresAttributes".into(), json!([]));
            o.insert("registeredAt".into(), json!(now()));
            o.insert(
                "registeredBy".into(),
                json!(format!("arn:aws:iam::{ACCOUNT_ID}:root")),
            );
            if compat.is_null() {
                o.remove("requiresCompatibilities");
            }
        }
        self.task_defs.push(td);
        tracing::info!(target: "ecs", "registered task definition {arn}");
        Ok(arn)
    }

    pub(crate) fn task_def(&self, arn: &str) -> Option<&Value> {
        self.task_defs
            .iter()
            .find(|td| td["taskDefinitionArn"].as_str() == Some(arn))
    }

    /// `family`, `family:revision` or a full ARN.
    pub(crate) fn resolve_task_def(&self, r: &str) -> Option<&Value> {
        if r.starts_with("arn:") {
            return self.task_def(r);
        }
        let (family, revision) = match r.split_once(':') {
            Some((f, rev)) => (f, Some(rev.parse::<u64>().ok()?)),
            None => (r, None),
        };
        self.task_defs
            .iter()
            .filter(|t| t["family"].as_str() == Some(family))
            .rfind(|t| revision.is_none_or(|rev| t["revision"].as_u64() == Some(rev)))
    }

    /// A service event (newest first, the last 100 kept), logged too.
    pub(crate) fn event(&mut self, message: impl Into<String>) {
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

    pub(crate) fn primary(&self) -> Option<&TaskSet> {
        self.service
            .task_sets
            .iter()
            .find(|ts| ts.status == TaskSetStatus::Primary)
    }

    pub(crate) fn task_set(&self, id: &str) -> Option<&TaskSet> {
        self.service.task_sets.iter().find(|ts| ts.id == id)
    }

    pub(crate) fn task_set_mut(&mut self, id: &str) -> Option<&mut TaskSet> {
        self.service.task_sets.iter_mut().find(|ts| ts.id == id)
    }

    /// Records a new task set for `td_arn` behind target group `tg` (no tasks yet: the
    /// caller starts `desired` of them); returns its id.
    pub(crate) fn create_task_set(
        &mut self,
        td_arn: &str,
        tg: usize,
        external_id: Option<String>,
        primary: bool,
    ) -> String {
        let id = format!("ecs-svc/{}", random_id(19, DIGITS));
        let t = now();
        let ts = TaskSet {
            id: id.clone(),
            arn: self.names.task_set_arn(&id),
            task_def_arn: td_arn.to_string(),
            tg,
            status: if primary {
                TaskSetStatus::Primary
            } else {
                TaskSetStatus::Active
            },
            external_id,
            created_at: t,
            updated_at: t,
            desired: self.service.desired,
            tasks: Vec::new(),
        };
        self.service.task_sets.push(ts);
        self.event(format!(
            "(service demo) created task set {id} ({td_arn}) behind {}.",
            TG_NAMES[tg]
        ));
        id
    }

    /// Starts deleting a task set: it drains; returns the tasks to stop (`None`: no such set).
    pub(crate) fn drain_task_set(&mut self, ts_id: &str, reason: &str) -> Option<Vec<String>> {
        let ts = self.task_set_mut(ts_id)?;
        ts.status = TaskSetStatus::Draining;
        ts.updated_at = now();
        let ids = ts.tasks.clone();
        self.event(format!(
            "(service demo) deleting task set {ts_id}: {reason}"
        ));
        Some(ids)
    }

    /// Forgets a drained task set (its tasks stopped).
    pub(crate) fn remove_task_set(&mut self, ts_id: &str) {
        self.service.task_sets.retain(|ts| ts.id != ts_id);
    }

    /// Makes a task set the primary one (after the traffic switch).
    pub(crate) fn promote(&mut self, ts_id: &str) {
        for ts in self.service.task_sets.iter_mut() {
            if ts.id == ts_id {
                ts.status = TaskSetStatus::Primary;
                ts.updated_at = now();
            } else if ts.status == TaskSetStatus::Primary {
                ts.status = TaskSetStatus::Active;
            }
        }
    }

    /// Records a task of task set `task_set_id` that has just started; returns its ARN.
    pub(crate) fn record_task(
        &mut self,
        task_set_id: &str,
        task_def_arn: &str,
        new: NewTask,
    ) -> String {
        let arn = self.names.task_arn(&new.id);
        let t = now();
        let zones = crate::ecs::placement::zones(&self.names.region, AZ_COUNT);
        let az = {
            let running: Vec<&str> = self
                .task_set(task_set_id)
                .map(|ts| {
                    ts.tasks
                        .iter()
                        .filter_map(|id| self.tasks.get(id))
                        .filter(|t| t.desired_running)
                        .map(|t| t.az.as_str())
                        .collect()
                })
                .unwrap_or_default();
            crate::ecs::placement::pick_zone(&zones, &running).to_string()
        };
        let id = new.id.clone();
        let event = format!(
            "(service demo, taskSet {task_set_id}) has started 1 tasks: (task {id}) version {} on 127.0.0.1:{} pid {}.",
            new.version,
            new.port,
            new.pid.unwrap_or(0)
        );
        self.tasks.insert(
            id.clone(),
            Task {
                id: id.clone(),
                arn: arn.clone(),
                task_set_id: task_set_id.to_string(),
                task_def_arn: task_def_arn.to_string(),
                image: new.image,
                version: new.version,
                port: new.port,
                pid: new.pid,
                last_status: TaskStatus::Running,
                desired_running: true,
                health: Health::Unknown,
                has_health_check: new.has_health_check,
                created_at: t,
                started_at: Some(t),
                stopping_at: None,
                stopped_at: None,
                stopped_reason: None,
                stop_code: None,
                exit_code: None,
                log: new.log,
                az,
            },
        );
        if let Some(ts) = self.task_set_mut(task_set_id) {
            ts.tasks.push(id);
            ts.updated_at = t;
        }
        self.event(event);
        arn
    }

    /// Marks a task as stopping (desired STOPPED); `false` if it was not running.
    pub(crate) fn stopping(&mut self, task_id: &str, code: StopCode, reason: &str) -> bool {
        let Some(t) = self.tasks.get_mut(task_id) else {
            return false;
        };
        if !t.desired_running {
            return false;
        }
        t.desired_running = false;
        t.stopping_at = Some(now());
        t.stop_code = Some(code);
        t.stopped_reason = Some(reason.to_string());
        if t.last_status == TaskStatus::Running {
            t.last_status = TaskStatus::Deprovisioning;
        }
        true
    }

    /// Records that a task's process exited (with `code`, `None` if killed by a signal).
    pub(crate) fn exited(&mut self, task_id: &str, code: Option<i32>) {
        let Some(t) = self.tasks.get_mut(task_id) else {
            return;
        };
        t.last_status = TaskStatus::Stopped;
        t.stopped_at = Some(now());
        t.exit_code = code;
        t.pid = None;
        if t.desired_running {
            t.desired_running = false;
            t.stop_code = Some(StopCode::EssentialContainerExited);
            t.stopped_reason = Some(format!(
                "Essential container in task exited (exit code {})",
                code.map(|c| c.to_string())
                    .unwrap_or_else(|| "none: killed by a signal".into())
            ));
        }
        let reason = t.stopped_reason.clone().unwrap_or_default();
        self.event(format!(
            "(service demo) has stopped 1 running tasks: (task {task_id}). {reason}"
        ));
        self.prune_stopped();
    }

    /// The tasks of a task set that should run, when there are `desired` of them, all
    /// running and passing their container health check (if any); `None` otherwise. The
    /// target group's view is the load balancer's to add.
    pub(crate) fn task_set_running(&self, ts_id: &str) -> Option<(usize, Vec<&str>)> {
        let ts = self.task_set(ts_id)?;
        let live: Vec<&Task> = ts
            .tasks
            .iter()
            .filter_map(|id| self.tasks.get(id))
            .filter(|t| t.desired_running)
            .collect();
        let ok = live.len() as u32 >= ts.desired
            && live.iter().all(|t| {
                t.last_status == TaskStatus::Running
                    && (!t.has_health_check || t.health == Health::Healthy)
            });
        ok.then(|| (ts.tg, live.iter().map(|t| t.id.as_str()).collect()))
    }

    /// Why a task set cannot become healthy: one of its tasks failed its container
    /// health check or stopped.
    pub(crate) fn task_set_problem(&self, ts_id: &str) -> Option<String> {
        let ts = self.task_set(ts_id)?;
        for t in ts.tasks.iter().filter_map(|id| self.tasks.get(id)) {
            if t.health == Health::Unhealthy {
                return Some(format!(
                    "The replacement task {} failed its container health checks (its log: stream {} of {}).",
                    t.id,
                    crate::logs::backend::ecs_stream(&t.id),
                    crate::logs::backend::ECS_GROUP
                ));
            }
            if t.last_status == TaskStatus::Stopped || !t.desired_running {
                return Some(format!(
                    "The replacement task {} stopped: {} (its log: stream {} of {}).",
                    t.id,
                    t.stopped_reason.clone().unwrap_or_else(|| "exited".into()),
                    crate::logs::backend::ecs_stream(&t.id),
                    crate::logs::backend::ECS_GROUP
                ));
            }
        }
        None
    }

    /// How many tasks of each primary task set the scheduler must start to reach `desired`.
    pub(crate) fn missing_tasks(&self) -> Vec<(String, u32)> {
        self.service
            .task_sets
            .iter()
            .filter(|ts| ts.status == TaskSetStatus::Primary)
            .map(|ts| {
                let live = ts
                    .tasks
                    .iter()
                    .filter_map(|id| self.tasks.get(id))
                    .filter(|t| t.desired_running)
                    .count() as u32;
                (ts.id.clone(), ts.desired.saturating_sub(live))
            })
            .filter(|(_, n)| *n > 0)
            .collect()
    }

    /// UpdateService's desiredCount: the service's count and its primary task set's
    /// (the scheduler then starts or stops tasks).
    pub(crate) fn set_desired(&mut self, n: u32) {
        self.service.desired = n;
        let mut changed = None;
        for ts in &mut self.service.task_sets {
            if ts.status == TaskSetStatus::Primary && ts.desired != n {
                ts.desired = n;
                ts.updated_at = now();
                changed = Some(ts.id.clone());
            }
        }
        if let Some(id) = changed {
            self.event(format!(
                "(service demo, taskSet {id}) has a desired count of {n}."
            ));
        }
    }

    /// Tasks of the primary task sets beyond their desired count, newest first (the
    /// scheduler stops these on a scale in).
    pub(crate) fn excess_tasks(&self) -> Vec<String> {
        let mut out = Vec::new();
        for ts in self
            .service
            .task_sets
            .iter()
            .filter(|ts| ts.status == TaskSetStatus::Primary)
        {
            let mut live: Vec<&Task> = ts
                .tasks
                .iter()
                .filter_map(|id| self.tasks.get(id))
                .filter(|t| t.desired_running)
                .collect();
            live.sort_by(|a, b| b.created_at.total_cmp(&a.created_at));
            let extra = live.len().saturating_sub(ts.desired as usize);
            out.extend(live.into_iter().take(extra).map(|t| t.id.clone()));
        }
        out
    }

    /// A CodeDeploy deployment is in progress (task sets other than the primary exist).
    pub(crate) fn deployment_in_progress(&self) -> bool {
        self.service
            .task_sets
            .iter()
            .any(|ts| ts.status != TaskSetStatus::Primary)
    }

    /// Keeps at most 200 stopped tasks (the oldest go first).
    pub(crate) fn prune_stopped(&mut self) {
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

fn valid_family(f: &str) -> bool {
    !f.is_empty()
        && f.len() <= 255
        && f.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn update(f: impl FnOnce(&mut UpdateService)) -> UpdateService {
        let mut r = UpdateService {
            service: Some(SERVICE.into()),
            ..UpdateService::default()
        };
        f(&mut r);
        r
    }

    #[test]
    fn update_service_refuses_what_codedeploy_owns_and_sets_the_desired_count() {
        let mut w = World::with(
            "us-east-1",
            2,
            crate::codedeploy::model::GroupSettings {
                ready_stop: false,
                ready_wait: std::time::Duration::ZERO,
                termination_wait: std::time::Duration::ZERO,
                auto_rollback: false,
                alarms: vec![],
            },
        );
        let code = |w: &mut World, r: UpdateService| w.update_service(&r).unwrap_err().code;
        assert_eq!(
            code(&mut w, update(|r| r.service = Some("other".into()))),
            Error::ServiceNotFoundException
        );
        assert_eq!(
            code(
                &mut w,
                update(|r| r.code_deploy_owned = Some("taskDefinition"))
            ),
            Error::InvalidParameterException
        );
        assert_eq!(
            code(&mut w, update(|r| r.desired_count = Some(1001))),
            Error::InvalidParameterException
        );
        assert_eq!(w.service.desired, 2, "unchanged by refused requests");
        w.update_service(&update(|r| r.desired_count = Some(3)))
            .unwrap();
        assert_eq!(w.service.desired, 3);
    }

    #[test]
    fn the_cluster_is_demo_by_name_or_arn() {
        let names = Names {
            region: "us-east-1".into(),
        };
        assert!(check_cluster(&names, Some("demo")).is_ok());
        assert!(check_cluster(&names, Some(&names.cluster_arn())).is_ok());
        assert_eq!(
            check_cluster(&names, None).unwrap_err().code,
            Error::ClusterNotFoundException
        );
    }
}
