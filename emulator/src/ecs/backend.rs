//! ECS's operations on the [`World`]: the API's operations (every rule and refusal, with
//! AWS's error codes: [`Error`]), task definitions, task sets and the records of their
//! tasks. Starting and stopping the processes is [`crate::runtime::tasks`]'s job; this
//! module only keeps the books and decides.

use super::model::*;
use super::placement::{Overrides, TaskOverride};
use super::taskdef::{Registered, TaskDefinitionStatus};
use super::Error;
use crate::names::{random_id, Names, ACCOUNT_ID, CLUSTER, CONTAINER, DIGITS, SERVICE, TG_NAMES};
use crate::wire::error::{required, AwsError};
use crate::world::World;
use deployer_models::time::now_secs as now;
use serde_json::Value;

/// What an ECS operation answers, or the error ECS answers instead.
pub(crate) type EcsResult<T> = Result<T, AwsError<Error>>;

fn invalid(message: impl Into<String>) -> AwsError<Error> {
    AwsError::new(Error::InvalidParameterException, message)
}

/// The cluster a request names (`default` when none): `demo`, by name or ARN.
pub(crate) fn check_cluster(names: &Names, cluster: Option<&str>) -> EcsResult<()> {
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

/// `nextToken` and `maxResults` of a List call.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Paging<'a> {
    pub(crate) next_token: Option<&'a str>,
    pub(crate) max_results: Option<i64>,
}

/// One page of a List answer and the next page's token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Page {
    pub(crate) items: Vec<String>,
    pub(crate) next_token: Option<String>,
}

/// A page of `items`: `nextToken` is the index of the next item; `maxResults` defaults
/// to 100 (at most 100, at least 1).
pub(crate) fn paginate(items: Vec<String>, paging: Paging<'_>) -> EcsResult<Page> {
    let start = match paging.next_token {
        Some(t) => t
            .parse::<usize>()
            .map_err(|_| invalid(format!("nextToken {t:?} is not valid")))?,
        None => 0,
    };
    let max = paging.max_results.unwrap_or(100).clamp(1, 100) as usize;
    let next_token = (start + max < items.len()).then(|| (start + max).to_string());
    let items = items.into_iter().skip(start).take(max).collect();
    Ok(Page { items, next_token })
}

/// ListTaskDefinitions' request.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct ListTaskDefinitions<'a> {
    pub(crate) family_prefix: Option<&'a str>,
    /// `ACTIVE` (the default), `INACTIVE` or `DELETE_IN_PROGRESS`.
    pub(crate) status: Option<&'a str>,
    /// `ASC` (the default: registration order) or `DESC`.
    pub(crate) sort: Option<&'a str>,
    pub(crate) paging: Paging<'a>,
}

/// DescribeServices' answer for one name: the service, or the ARN of one that is not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Described {
    Service,
    Missing(String),
}

/// UpdateService's request, as the API read it: the cluster, the service, the desired
/// count, and which of the members a CODE_DEPLOY service refuses were given.
#[derive(Debug, Clone, Default)]
pub(crate) struct UpdateService {
    pub(crate) cluster: Option<String>,
    pub(crate) service: Option<String>,
    pub(crate) desired_count: Option<i64>,
    /// `taskDefinition`, `networkConfiguration`, `loadBalancers`, `platformVersion`: the
    /// first one given.
    pub(crate) code_deploy_owned: Option<&'static str>,
}

/// ListTasks' request.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct ListTasks<'a> {
    pub(crate) cluster: Option<&'a str>,
    pub(crate) service_name: Option<&'a str>,
    /// `RUNNING` (the default, also `PENDING`) or `STOPPED`.
    pub(crate) desired_status: Option<&'a str>,
    pub(crate) started_by: Option<&'a str>,
    pub(crate) family: Option<&'a str>,
    pub(crate) paging: Paging<'a>,
}

/// RunTask's request.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct RunTask<'a> {
    pub(crate) cluster: Option<&'a str>,
    pub(crate) task_definition: Option<&'a str>,
    pub(crate) count: Option<i64>,
    pub(crate) overrides: Option<&'a TaskOverride>,
}

/// What a RunTask starts, once its request passed: `count` tasks of the task definition,
/// with the overrides of the `demo` container.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct OneOffTasks {
    pub(crate) task_def_arn: String,
    pub(crate) count: u32,
    pub(crate) overrides: Overrides,
}

/// StopTask's request.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct StopTask<'a> {
    pub(crate) cluster: Option<&'a str>,
    /// The task's id or ARN.
    pub(crate) task: Option<&'a str>,
    pub(crate) reason: Option<&'a str>,
}

/// The reason of a StopTask that gives none.
pub(crate) const STOPPED_BY_USER: &str = "Task stopped by the user";

/// The members RegisterTaskDefinition sets, in the order it writes them after the caller's:
/// not the caller's to give.
pub(crate) const REGISTERED: [&str; 7] = [
    "taskDefinitionArn",
    "revision",
    "status",
    "compatibilities",
    "requiresAttributes",
    "registeredAt",
    "registeredBy",
];

/// `v` without the object members that are `null`, at every depth.
fn without_nulls(v: &mut Value) {
    match v {
        Value::Object(m) => {
            m.retain(|_, x| !x.is_null());
            m.values_mut().for_each(without_nulls);
        }
        Value::Array(a) => a.iter_mut().for_each(without_nulls),
        _ => {}
    }
}

/// The id of a task reference (its id, or its ARN `.../<cluster>/<id>`).
fn task_id(r: &str) -> &str {
    r.rsplit('/').next().unwrap_or(r)
}

impl World {
    /// DescribeTaskDefinition: `family`, `family:revision` or an ARN.
    pub(crate) fn describe_task_definition(
        &self,
        task_definition: Option<&str>,
    ) -> EcsResult<&Registered> {
        let r = required(task_definition, "taskDefinition", Error::ClientException)?;
        self.resolve_task_def(r).ok_or_else(|| {
            AwsError::new(
                Error::ClientException,
                "Unable to describe task definition.",
            )
        })
    }

    /// ListTaskDefinitions: the ARNs of one status, in registration order (or reversed).
    pub(crate) fn list_task_definitions(&self, req: &ListTaskDefinitions<'_>) -> EcsResult<Page> {
        let given = req.status.unwrap_or("ACTIVE");
        let status: TaskDefinitionStatus = given
            .parse()
            .map_err(|_| invalid(format!("status {given:?} is not valid")))?;
        let desc = match req.sort {
            None | Some("ASC") => false,
            Some("DESC") => true,
            Some(other) => return Err(invalid(format!("sort {other:?} is not ASC or DESC"))),
        };
        let mut arns: Vec<String> = self
            .task_defs
            .iter()
            .filter(|t| t.status == status)
            .filter(|t| req.family_prefix.is_none_or(|p| t.family.starts_with(p)))
            .map(|t| t.task_definition_arn.clone())
            .collect();
        if desc {
            arns.reverse();
        }
        paginate(arns, req.paging)
    }

    /// ListServices: the one service.
    pub(crate) fn list_services(&self, cluster: Option<&str>) -> EcsResult<Vec<String>> {
        check_cluster(&self.names, cluster)?;
        Ok(vec![self.names.service_arn()])
    }

    /// DescribeServices: each name (or ARN) is the service or a failure (`MISSING`) with
    /// the ARN it would have.
    pub(crate) fn describe_services(
        &self,
        cluster: Option<&str>,
        services: &[String],
    ) -> EcsResult<Vec<Described>> {
        check_cluster(&self.names, cluster)?;
        if services.is_empty() {
            return Err(invalid("Services cannot be empty."));
        }
        let arn = self.names.service_arn();
        Ok(services
            .iter()
            .map(|s| {
                if *s == SERVICE || *s == arn {
                    Described::Service
                } else if s.starts_with("arn:") {
                    Described::Missing(s.clone())
                } else {
                    Described::Missing(self.names.arn("ecs", &format!("service/{CLUSTER}/{s}")))
                }
            })
            .collect())
    }

    /// DescribeTaskSets: the service's task sets, all or those named (by id or ARN).
    pub(crate) fn describe_task_sets(
        &self,
        cluster: Option<&str>,
        task_sets: &[String],
    ) -> EcsResult<Vec<&TaskSet>> {
        check_cluster(&self.names, cluster)?;
        Ok(self
            .service
            .task_sets
            .iter()
            .filter(|ts| {
                task_sets.is_empty() || task_sets.iter().any(|x| *x == ts.id || *x == ts.arn)
            })
            .collect())
    }

    /// ListTasks: the tasks of one desired status (a service's, by `startedBy` (a task
    /// set) or by family), oldest first.
    pub(crate) fn list_tasks(&self, req: &ListTasks<'_>) -> EcsResult<Page> {
        check_cluster(&self.names, req.cluster)?;
        if let Some(s) = req.service_name {
            if s != SERVICE && s != self.names.service_arn() {
                return Err(AwsError::new(
                    Error::ServiceNotFoundException,
                    "Service not found.",
                ));
            }
        }
        let want_running = match req.desired_status.unwrap_or("RUNNING") {
            "RUNNING" | "PENDING" => true,
            "STOPPED" => false,
            other => {
                return Err(invalid(format!(
                    "desiredStatus {other:?} is not RUNNING, PENDING or STOPPED"
                )))
            }
        };
        let service_only = req.service_name.is_some();
        let mut tasks: Vec<&Task> = self
            .tasks
            .values()
            .filter(|t| t.desired_running == want_running)
            // A one-off task (RunTask) belongs to no service.
            .filter(|t| !service_only || !t.task_set_id.is_empty())
            .filter(|t| req.started_by.is_none_or(|s| s == t.task_set_id))
            .filter(|t| {
                req.family
                    .is_none_or(|f| t.task_def_arn.contains(&format!("task-definition/{f}:")))
            })
            .collect();
        tasks.sort_by(|a, b| a.created_at.total_cmp(&b.created_at));
        paginate(tasks.iter().map(|t| t.arn.clone()).collect(), req.paging)
    }

    /// DescribeTasks: each reference (id or ARN) is a task, or the reference as a failure
    /// (`MISSING`); 1 to 100 of them.
    pub(crate) fn describe_tasks<'a>(
        &self,
        cluster: Option<&str>,
        tasks: &'a [String],
    ) -> EcsResult<Vec<Result<&Task, &'a str>>> {
        check_cluster(&self.names, cluster)?;
        if tasks.is_empty() {
            return Err(invalid("Tasks cannot be empty."));
        }
        if tasks.len() > 100 {
            return Err(invalid("Tasks cannot have more than 100 elements."));
        }
        Ok(tasks
            .iter()
            .map(|r| self.tasks.get(task_id(r)).ok_or(r.as_str()))
            .collect())
    }

    /// RunTask's checks: the task definition is registered, `count` is 1 to 10, the
    /// overrides name the `demo` container; what to start.
    pub(crate) fn run_task(&self, req: &RunTask<'_>) -> EcsResult<OneOffTasks> {
        check_cluster(&self.names, req.cluster)?;
        let r = required(
            req.task_definition,
            "taskDefinition",
            Error::InvalidParameterException,
        )?;
        let td = self
            .resolve_task_def(r)
            .ok_or_else(|| invalid("TaskDefinition not found."))?;
        let count = match req.count {
            None => 1,
            Some(v) if (1..=10).contains(&v) => v as u32,
            Some(v) => return Err(invalid(format!("count {v}: must be from 1 to 10"))),
        };
        let overrides = super::placement::overrides(req.overrides, CONTAINER).map_err(invalid)?;
        Ok(OneOffTasks {
            task_def_arn: td.task_definition_arn.clone(),
            count,
            overrides,
        })
    }

    /// StopTask's checks: the task exists; its id and the reason to record.
    pub(crate) fn stop_task(&self, req: &StopTask<'_>) -> EcsResult<(String, String)> {
        check_cluster(&self.names, req.cluster)?;
        let r = required(req.task, "task", Error::InvalidParameterException)?;
        let id = task_id(r);
        if !self.tasks.contains_key(id) {
            return Err(invalid("The referenced task was not found."));
        }
        Ok((
            id.to_string(),
            req.reason.unwrap_or(STOPPED_BY_USER).to_string(),
        ))
    }

    /// UpdateService on a CODE_DEPLOY service: the desired count (the scheduler starts or
    /// stops tasks of the primary task set); the task definition, network configuration and
    /// load balancers belong to CodeDeploy, as ECS answers.
    pub(crate) fn update_service(&mut self, req: &UpdateService) -> EcsResult<()> {
        check_cluster(&self.names, req.cluster.as_deref())?;
        let s = required(
            req.service.as_deref(),
            "service",
            Error::InvalidParameterException,
        )?;
        if s != SERVICE && s != self.names.service_arn() {
            return Err(AwsError::new(
                Error::ServiceNotFoundException,
                "Service not found.",
            ));
        }
        if let Some(key) = req.code_deploy_owned {
            return Err(invalid(format!(
                "Unable to update {key} on services with a CODE_DEPLOY deployment controller. \
                 Use AWS CodeDeploy to trigger a new deployment."
            )));
        }
        let desired = match req.desired_count {
            None => None,
            Some(v) => Some(
                u32::try_from(v)
                    .ok()
                    .filter(|n| *n <= 1000)
                    .ok_or_else(|| {
                        invalid(format!(
                            "desiredCount {v}: must be a whole number from 0 to 1000"
                        ))
                    })?,
            ),
        };
        if let Some(n) = desired {
            self.set_desired(n);
        }
        Ok(())
    }

    /// Registers a task definition (the next revision of its family), given as the
    /// RegisterTaskDefinition request's members (tags apart); returns its ARN.
    pub(crate) fn register_task_definition(&mut self, td: Value) -> EcsResult<String> {
        self.register(td).map(|t| t.task_definition_arn.clone())
    }

    /// RegisterTaskDefinition: [`World::register_task_definition`], answering the
    /// registered task definition.
    pub(crate) fn register(&mut self, mut td: Value) -> EcsResult<&Registered> {
        // A member given as `null` is a member not given, as ECS reads its JSON (and it is
        // not answered back).
        without_nulls(&mut td);
        let family = match td.get("family") {
            Some(Value::String(f)) if !f.is_empty() => f.clone(),
            None => return Err(AwsError::new(Error::ClientException, "family is required")),
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
            .map(Vec::as_slice)
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
        let Value::Object(mut members) = td else {
            return Err(AwsError::new(
                Error::SerializationException,
                "the task definition is not a JSON object",
            ));
        };
        for key in REGISTERED {
            members.remove(key);
        }
        let revision = self.task_defs.iter().filter(|t| t.family == family).count() as u32 + 1;
        let arn = self.names.task_def_arn(&family, revision);
        // What registration adds, after the caller's members and in REGISTERED's order:
        // the task definition is kept as it is written, and read typed from that.
        let status: &'static str = TaskDefinitionStatus::Active.into();
        let added: [(&str, Value); REGISTERED.len()] = [
            ("taskDefinitionArn", arn.clone().into()),
            ("revision", revision.into()),
            ("status", status.into()),
            ("compatibilities", serde_json::json!(["EC2", "FARGATE"])),
            ("requiresAttributes", Value::Array(Vec::new())),
            ("registeredAt", now().into()),
            (
                "registeredBy",
                format!("arn:aws:iam::{ACCOUNT_ID}:root").into(),
            ),
        ];
        debug_assert!(added.iter().map(|(k, _)| *k).eq(REGISTERED));
        members.extend(added.into_iter().map(|(k, v)| (k.to_owned(), v)));
        let def = Registered::from_written(Value::Object(members))
            .map_err(|e| AwsError::new(Error::SerializationException, e.to_string()))?;
        tracing::info!(target: "ecs", "registered task definition {arn}");
        self.task_defs.push(def);
        Ok(self.task_defs.last().expect("just pushed"))
    }

    pub(crate) fn task_def(&self, arn: &str) -> Option<&Registered> {
        self.task_defs
            .iter()
            .find(|td| td.task_definition_arn == arn)
    }

    /// `family`, `family:revision` or a full ARN.
    pub(crate) fn resolve_task_def(&self, r: &str) -> Option<&Registered> {
        if r.starts_with("arn:") {
            return self.task_def(r);
        }
        let (family, revision) = match r.split_once(':') {
            Some((f, rev)) => (f, Some(rev.parse::<u64>().ok()?)),
            None => (r, None),
        };
        self.task_defs
            .iter()
            .filter(|t| t.family == family)
            .rfind(|t| revision.is_none_or(|rev| u64::from(t.revision) == rev))
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
    use crate::ecs::fixture::{bare, populated};
    use serde_json::json;

    fn code<T: std::fmt::Debug>(r: EcsResult<T>) -> (Error, String) {
        let e = r.unwrap_err();
        (e.code, e.message)
    }

    fn update(f: impl FnOnce(&mut UpdateService)) -> UpdateService {
        let mut r = UpdateService {
            cluster: Some(CLUSTER.into()),
            service: Some(SERVICE.into()),
            ..UpdateService::default()
        };
        f(&mut r);
        r
    }

    #[test]
    fn update_service_refuses_what_codedeploy_owns_and_sets_the_desired_count() {
        let mut w = bare(2);
        let code = |w: &mut World, r: UpdateService| w.update_service(&r).unwrap_err().code;
        assert_eq!(
            code(&mut w, update(|r| r.service = Some("other".into()))),
            Error::ServiceNotFoundException
        );
        assert_eq!(
            code(&mut w, update(|r| r.service = None)),
            Error::InvalidParameterException
        );
        assert_eq!(
            code(&mut w, update(|r| r.cluster = Some("prod".into()))),
            Error::ClusterNotFoundException
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
        assert_eq!(
            code(&mut w, update(|r| r.desired_count = Some(-1))),
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
        let w = bare(1);
        assert_eq!(
            code(w.list_services(Some("default"))).0,
            Error::ClusterNotFoundException
        );
        assert_eq!(
            w.list_services(Some("demo")).unwrap(),
            [w.names.service_arn()]
        );
    }

    #[test]
    fn pages_are_cut_at_max_results_and_a_foreign_token_is_refused() {
        let items: Vec<String> = (0..250).map(|i| i.to_string()).collect();
        let page = |token, max| {
            paginate(
                items.clone(),
                Paging {
                    next_token: token,
                    max_results: max,
                },
            )
        };
        let first = page(None, None).unwrap();
        assert_eq!(
            (first.items.len(), first.next_token.as_deref()),
            (100, Some("100")),
            "100 by default"
        );
        let last = page(Some("200"), Some(1000)).unwrap();
        assert_eq!((last.items.len(), last.next_token), (50, None));
        assert_eq!(page(None, Some(0)).unwrap().items, ["0"], "at least one");
        let (c, m) = code(page(Some("abc"), None));
        assert_eq!(c, Error::InvalidParameterException);
        assert_eq!(m, "nextToken \"abc\" is not valid");
    }

    #[test]
    fn register_types_the_members_and_sets_what_registration_adds() {
        let mut w = bare(1);
        let first = w
            .register_task_definition(json!({"family": "demo", "containerDefinitions": [
                {"name": "demo", "image": "demo:v1", "stopTimeout": 5}]}))
            .unwrap();
        // What registration sets is not the caller's: given, it is replaced.
        let td = w
            .register(
                json!({"family": "demo", "revision": 9, "status": "INACTIVE",
                "taskDefinitionArn": "arn:x", "containerDefinitions": [
                {"name": "demo", "image": "demo:v2", "environment": []}]}),
            )
            .unwrap()
            .clone();
        assert_eq!(td.revision, 2);
        assert_eq!(td.status, TaskDefinitionStatus::Active);
        assert_eq!(td.task_definition_arn, w.names.task_def_arn("demo", 2));
        assert_eq!(
            td.container_definitions[0].environment,
            Some(vec![]),
            "an empty list given stays"
        );
        assert_eq!(first, w.names.task_def_arn("demo", 1));
        assert_eq!(
            w.task_def(&first).unwrap().container_definitions[0].stop_timeout,
            Some(5)
        );
        // A member given as null is not given, read or not by the stack, at any depth;
        // an item null in a list the stack does not read stays.
        let td = w
            .register(json!({"family": "demo", "cpu": null, "pidMode": null,
                "containerDefinitions": [{"name": "demo", "image": "demo:v2",
                "healthCheck": null, "dockerLabels": {"a": null, "b": "1"},
                "links": ["x", null]}]}))
            .unwrap();
        assert_eq!(td.cpu, None);
        let written = serde_json::to_value(td).unwrap();
        assert!(written.get("cpu").is_none() && written.get("pidMode").is_none());
        let c = &written["containerDefinitions"][0];
        assert!(c.get("healthCheck").is_none());
        assert_eq!(c["dockerLabels"], json!({"b": "1"}));
        assert_eq!(c["links"], json!(["x", null]));
        // A member of the wrong type is AWS's SerializationException; nothing is stored.
        let (c, m) = code(
            w.register(json!({"family": "demo", "containerDefinitions": [
            {"name": "demo", "image": "demo:v3", "command": "serve"}]})),
        );
        assert_eq!(c, Error::SerializationException, "{m}");
        let (c, _) = code(w.register(json!({"family": 7})));
        assert_eq!(c, Error::SerializationException);
        let (c, m) = code(w.register(json!({"family": "demo"})));
        assert_eq!(
            (c, m.as_str()),
            (
                Error::ClientException,
                "TaskDefinition must contain at least one container definition."
            )
        );
        assert_eq!(w.task_defs.len(), 3);
    }

    #[test]
    fn describe_task_definition_resolves_family_revision_and_arn() {
        let mut w = bare(1);
        for image in ["demo:v1", "demo:v2"] {
            w.register_task_definition(json!({"family": "demo", "containerDefinitions": [
                {"name": "demo", "image": image}]}))
                .unwrap();
        }
        let image = |r: &str| {
            w.describe_task_definition(Some(r))
                .unwrap()
                .container_definitions[0]
                .image
                .clone()
        };
        assert_eq!(image("demo"), "demo:v2", "the latest revision");
        assert_eq!(image("demo:1"), "demo:v1");
        assert_eq!(image(&w.names.task_def_arn("demo", 1)), "demo:v1");
        for missing in ["demo:3", "web", "demo:x"] {
            assert_eq!(
                code(w.describe_task_definition(Some(missing))),
                (
                    Error::ClientException,
                    "Unable to describe task definition.".into()
                ),
                "{missing}"
            );
        }
        assert_eq!(
            code(w.describe_task_definition(None)),
            (Error::ClientException, "taskDefinition is required".into())
        );
    }

    #[test]
    fn list_task_definitions_filters_sorts_and_refuses_unknown_values() {
        let mut w = bare(1);
        for family in ["demo", "web", "demo"] {
            w.register_task_definition(json!({"family": family, "containerDefinitions": [
                {"name": "demo", "image": "demo:v1"}]}))
                .unwrap();
        }
        let list = |req: ListTaskDefinitions| w.list_task_definitions(&req);
        let arn = |f: &str, r: u32| w.names.task_def_arn(f, r);
        assert_eq!(
            list(ListTaskDefinitions::default()).unwrap().items,
            [arn("demo", 1), arn("web", 1), arn("demo", 2)]
        );
        assert_eq!(
            list(ListTaskDefinitions {
                family_prefix: Some("de"),
                sort: Some("DESC"),
                ..Default::default()
            })
            .unwrap()
            .items,
            [arn("demo", 2), arn("demo", 1)]
        );
        assert!(list(ListTaskDefinitions {
            status: Some("INACTIVE"),
            ..Default::default()
        })
        .unwrap()
        .items
        .is_empty());
        assert_eq!(
            code(list(ListTaskDefinitions {
                status: Some("active"),
                ..Default::default()
            })),
            (
                Error::InvalidParameterException,
                "status \"active\" is not valid".into()
            )
        );
        assert_eq!(
            code(list(ListTaskDefinitions {
                sort: Some("UP"),
                ..Default::default()
            })),
            (
                Error::InvalidParameterException,
                "sort \"UP\" is not ASC or DESC".into()
            )
        );
    }

    #[test]
    fn describe_services_answers_the_service_or_the_missing_arn() {
        let w = bare(1);
        let arn = w.names.service_arn();
        let other = w.names.arn("ecs", "service/demo/web");
        assert_eq!(
            w.describe_services(None, &["demo".into()])
                .unwrap_err()
                .code,
            Error::ClusterNotFoundException
        );
        assert_eq!(
            code(w.describe_services(Some("demo"), &[])),
            (
                Error::InvalidParameterException,
                "Services cannot be empty.".into()
            )
        );
        assert_eq!(
            w.describe_services(
                Some("demo"),
                &["demo".into(), arn, "web".into(), "arn:aws:ecs:x".into()]
            )
            .unwrap(),
            [
                Described::Service,
                Described::Service,
                Described::Missing(other),
                Described::Missing("arn:aws:ecs:x".into())
            ]
        );
    }

    #[test]
    fn describe_task_sets_answers_all_or_those_named() {
        let w = populated();
        let green = &w.service.task_sets[1];
        assert_eq!(w.describe_task_sets(Some("demo"), &[]).unwrap().len(), 2);
        let named = w
            .describe_task_sets(Some("demo"), std::slice::from_ref(&green.arn))
            .unwrap();
        assert_eq!(named.len(), 1);
        assert_eq!(named[0].id, green.id);
        assert_eq!(
            w.describe_task_sets(Some("other"), &[]).unwrap_err().code,
            Error::ClusterNotFoundException
        );
    }

    #[test]
    fn list_tasks_filters_by_status_service_task_set_and_family() {
        let w = populated();
        let ids = |req: ListTasks| -> Vec<String> {
            w.list_tasks(&ListTasks {
                cluster: Some("demo"),
                ..req
            })
            .unwrap()
            .items
            .iter()
            .map(|arn| task_id(arn).to_string())
            .collect()
        };
        assert_eq!(ids(ListTasks::default()), ["a1", "c1"]);
        assert_eq!(
            ids(ListTasks {
                service_name: Some("demo"),
                ..Default::default()
            }),
            ["a1"],
            "a one-off task is no service's"
        );
        assert_eq!(
            ids(ListTasks {
                desired_status: Some("STOPPED"),
                ..Default::default()
            }),
            ["b1"]
        );
        let blue = w.service.task_sets[0].id.clone();
        assert_eq!(
            ids(ListTasks {
                started_by: Some(&blue),
                ..Default::default()
            }),
            ["a1"]
        );
        assert!(ids(ListTasks {
            family: Some("web"),
            ..Default::default()
        })
        .is_empty());
        assert_eq!(
            code(w.list_tasks(&ListTasks {
                cluster: Some("demo"),
                service_name: Some("web"),
                ..Default::default()
            })),
            (Error::ServiceNotFoundException, "Service not found.".into())
        );
        assert_eq!(
            code(w.list_tasks(&ListTasks {
                cluster: Some("demo"),
                desired_status: Some("DONE"),
                ..Default::default()
            }))
            .0,
            Error::InvalidParameterException
        );
    }

    #[test]
    fn describe_tasks_takes_ids_or_arns_and_answers_the_missing_as_failures() {
        let w = populated();
        let a1 = w.tasks["a1"].arn.clone();
        let wanted = vec![a1, "c1".to_string(), "zz".to_string()];
        let found = w.describe_tasks(Some("demo"), &wanted).unwrap();
        let ids: Vec<Result<&str, &str>> = found.iter().map(|r| r.map(|t| t.id.as_str())).collect();
        assert_eq!(ids, [Ok("a1"), Ok("c1"), Err("zz")]);
        assert_eq!(
            code(w.describe_tasks(Some("demo"), &[])),
            (
                Error::InvalidParameterException,
                "Tasks cannot be empty.".into()
            )
        );
        let many: Vec<String> = (0..101).map(|i| i.to_string()).collect();
        assert_eq!(
            code(w.describe_tasks(Some("demo"), &many)).1,
            "Tasks cannot have more than 100 elements."
        );
    }

    #[test]
    fn run_task_checks_the_task_definition_count_and_overrides() {
        let w = populated();
        let base = RunTask {
            cluster: Some("demo"),
            task_definition: Some("demo"),
            ..Default::default()
        };
        let run = |r: RunTask| w.run_task(&r);
        let plan = run(base).unwrap();
        assert_eq!(
            (plan.task_def_arn.as_str(), plan.count),
            (w.names.task_def_arn("demo", 1).as_str(), 1)
        );
        let count = |n| RunTask {
            count: Some(n),
            ..base
        };
        assert_eq!(run(count(10)).unwrap().count, 10);
        for bad in [0, 11] {
            assert_eq!(
                code(run(count(bad))),
                (
                    Error::InvalidParameterException,
                    format!("count {bad}: must be from 1 to 10")
                )
            );
        }
        assert_eq!(
            code(run(RunTask {
                task_definition: Some("demo:2"),
                ..base
            })),
            (
                Error::InvalidParameterException,
                "TaskDefinition not found.".into()
            )
        );
        assert_eq!(
            code(run(RunTask {
                task_definition: None,
                ..base
            })),
            (
                Error::InvalidParameterException,
                "taskDefinition is required".into()
            )
        );
        let web: TaskOverride =
            serde_json::from_value(json!({"containerOverrides": [{"name": "web"}]})).unwrap();
        let (c, m) = code(run(RunTask {
            overrides: Some(&web),
            ..base
        }));
        assert_eq!(c, Error::InvalidParameterException);
        assert!(m.contains("web"), "{m}");
        let env: TaskOverride = serde_json::from_value(json!({"containerOverrides": [
            {"name": "demo", "command": ["migrate"], "environment": [{"name": "A", "value": "1"}]}]}))
        .unwrap();
        let plan = run(RunTask {
            overrides: Some(&env),
            ..base
        })
        .unwrap();
        assert_eq!(plan.overrides.command, Some(vec!["migrate".to_string()]));
        assert_eq!(
            run(RunTask {
                cluster: None,
                ..base
            })
            .unwrap_err()
            .code,
            Error::ClusterNotFoundException
        );
    }

    #[test]
    fn stop_task_finds_the_task_by_id_or_arn() {
        let w = populated();
        let arn = w.tasks["a1"].arn.clone();
        let stop = |task: Option<&str>, reason: Option<&str>| {
            w.stop_task(&StopTask {
                cluster: Some("demo"),
                task,
                reason,
            })
        };
        assert_eq!(
            stop(Some(&arn), None).unwrap(),
            ("a1".to_string(), STOPPED_BY_USER.to_string())
        );
        assert_eq!(
            stop(Some("c1"), Some("done")).unwrap(),
            ("c1".to_string(), "done".to_string())
        );
        assert_eq!(
            code(stop(Some("zz"), None)),
            (
                Error::InvalidParameterException,
                "The referenced task was not found.".into()
            )
        );
        assert_eq!(
            code(stop(None, None)),
            (Error::InvalidParameterException, "task is required".into())
        );
    }
}
