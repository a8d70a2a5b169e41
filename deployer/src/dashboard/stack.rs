//! From what AWS answered to a [`Snapshot`]: pure, so it is tested on plain SDK values.
//! The reads themselves (the same AWS layer the other commands use) live in the source.

#![warn(unreachable_pub)]

use std::collections::HashMap;

use aws_sdk_codedeploy::types::{DeploymentInfo, EcsTarget};
use aws_sdk_ecs::types::{Service, Task as EcsTask};
use aws_sdk_elasticloadbalancingv2::types::{Listener as ElbListener, TargetHealthDescription};

use deployer_models::logview::{self, Event};

use super::snapshot::{
    traffic_percent, ActionKind, Alarm, Deployment, DeploymentLine, Forward, Guard, Hook,
    LifecycleEvent, Listener, LogLine, Snapshot, StoppedBy, Task, TaskSet,
};
use crate::aws::cloudwatch::AlarmState;
use crate::aws::codedeploy::hooks_of;
use crate::watch::guards::{self, HookResult};

/// The target groups' names and colors, from the Terraform outputs.
#[derive(Debug, Clone, Default)]
pub(crate) struct TargetGroups {
    /// `(arn, name, color)`.
    pub groups: Vec<(String, String, String)>,
}

impl TargetGroups {
    fn by_arn(&self, arn: &str) -> (String, String) {
        self.groups
            .iter()
            .find(|(a, _, _)| a == arn)
            .map(|(_, n, c)| (n.clone(), c.clone()))
            .unwrap_or_else(|| {
                // targetgroup/<name>/<id>
                let name = arn.rsplit('/').nth(1).unwrap_or(arn).to_owned();
                (name, String::new())
            })
    }
}

/// Everything one poll read.
#[derive(Debug, Clone, Default)]
pub(crate) struct Reading {
    /// `AWS` or `local`.
    pub environment: String,
    pub cluster: String,
    pub service_name: String,
    pub service: Option<Service>,
    /// Task definition ARN -> its first container's image (cached by the source: task
    /// definitions do not change).
    pub images: HashMap<String, String>,
    /// The service's tasks (running and recently stopped).
    pub tasks: Vec<EcsTask>,
    /// `(role, listener)`: production first.
    pub listeners: Vec<(String, ElbListener)>,
    /// Target group ARN -> its targets' health.
    pub target_health: Vec<(String, Vec<TargetHealthDescription>)>,
    /// The last deployments of the group, newest first.
    pub deployments: Vec<DeploymentInfo>,
    /// The shown deployment's ECS target (lifecycle events), when it has one.
    pub target: Option<EcsTarget>,
    /// The log group read, when logs are read.
    pub logs_source: Option<String>,
    pub logs: Vec<LogLine>,
    pub logs_error: Option<String>,
    /// The alarms CodeDeploy watches (DescribeAlarms), and why they could not be read.
    pub alarms: Vec<AlarmState>,
    pub alarms_error: Option<String>,
    /// The shown deployment's failed hooks' last log lines by lifecycle event (or why they
    /// could not be read); read by the source once a hook failed, not on every poll.
    pub hook_logs: HashMap<String, Result<Vec<String>, String>>,
}

/// One log event as the page shows it: the task's short id, the level, then the message
/// and fields, as `deployer logs` formats them ([`logview::line`]).
/// The message is cut at [`MAX_LINE_BYTES`].
pub(crate) fn log_line(ev: &Event) -> LogLine {
    let line = logview::line(ev);
    LogLine {
        at_ms: u64::try_from(ev.timestamp).unwrap_or(0),
        stream: ev.stream.clone(),
        task: line.task,
        level: line.level,
        message: cut(line.text, MAX_LINE_BYTES),
    }
}

/// The most bytes of one log line the panel keeps: a line of 262 KB (a dumped body)
/// would otherwise travel in every snapshot to every page.
pub(crate) const MAX_LINE_BYTES: usize = 2 * 1024;

/// The most bytes of log lines one snapshot carries: the oldest lines go first. 50 lines
/// of a busy service fit; 60 lines of 262 KB made each snapshot 7.3 MB.
pub(crate) const MAX_TAIL_BYTES: usize = 64 * 1024;

/// `text` cut to at most `max` bytes (at a character boundary), saying how much was cut.
fn cut(mut text: String, max: usize) -> String {
    if text.len() <= max {
        return text;
    }
    let total = text.len();
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text.truncate(end);
    text.push_str(&format!(" … ({} of {total} bytes not shown)", total - end));
    text
}

/// Whether `ev` is the access line of one of the dashboard's own probe requests.
fn is_probe(ev: &Event) -> bool {
    ev.message
        .contains(crate::dashboard::probe::PROBE_REQUEST_ID)
        && serde_json::from_str::<serde_json::Value>(ev.message.trim())
            .ok()
            .and_then(|v| v["request_id"].as_str().map(str::to_owned))
            .is_some_and(|id| id == crate::dashboard::probe::PROBE_REQUEST_ID)
}

/// The tail the page shows: the newest [`LogTail::cap`] lines, at most
/// [`MAX_TAIL_BYTES`] of messages, read incrementally (each read asks from the newest
/// timestamp seen; [`logview::Follow`] drops what was shown). The dashboard's own probe
/// requests are left out: at 4 a second they would be all the panel shows.
#[derive(Debug, Clone)]
pub(crate) struct LogTail {
    follow: logview::Follow,
    lines: std::collections::VecDeque<LogLine>,
    cap: usize,
    bytes: usize,
}

impl LogTail {
    pub(crate) fn new(start_ms: i64, cap: usize) -> LogTail {
        LogTail {
            follow: logview::Follow::new(start_ms),
            lines: std::collections::VecDeque::with_capacity(cap),
            cap,
            bytes: 0,
        }
    }

    /// The `startTime` of the next read.
    pub(crate) fn start_time(&self) -> i64 {
        self.follow.start_time()
    }

    /// Adds the events not seen yet (oldest first); keeps the newest `cap`.
    pub(crate) fn admit(&mut self, events: Vec<Event>) {
        for ev in self.follow.admit(events) {
            if is_probe(&ev) {
                continue;
            }
            let line = log_line(&ev);
            self.bytes += line.message.len();
            self.lines.push_back(line);
            while self.lines.len() > self.cap || self.bytes > MAX_TAIL_BYTES {
                match self.lines.pop_front() {
                    Some(old) => self.bytes -= old.message.len(),
                    None => break,
                }
            }
        }
    }

    /// The lines, oldest first.
    pub(crate) fn lines(&self) -> Vec<LogLine> {
        self.lines.iter().cloned().collect()
    }
}

fn ms(t: &aws_smithy_types::DateTime) -> Option<u64> {
    t.to_millis().ok().and_then(|m| u64::try_from(m).ok())
}

/// Which deployment the page shows: the one in flight, else the newest; but when the
/// newest is a finished rollback, the release it rolled back: a release that failed and
/// was rolled back is a failure ("d-3: Failed — rolled back by d-4"), not the rollback's
/// green "Succeeded".
pub(crate) fn shown(deployments: &[DeploymentInfo]) -> Option<&DeploymentInfo> {
    let in_flight = deployments.iter().find(|d| {
        d.status
            .as_ref()
            .is_some_and(|s| !crate::aws::codedeploy::is_finished(s.as_str()))
    });
    if in_flight.is_some() {
        return in_flight;
    }
    let newest = deployments.first()?;
    let rolled_back = rollback_of(newest).and_then(|id| {
        deployments
            .iter()
            .find(|d| d.deployment_id.as_deref() == Some(id.as_str()))
    });
    rolled_back.or(Some(newest))
}

fn rollback_of(d: &DeploymentInfo) -> Option<String> {
    d.rollback_info
        .as_ref()
        .and_then(|r| r.rollback_triggering_deployment_id.clone())
}

/// What the page may offer for `d` (the same checks as `deployer continue` and
/// `deployer rollback`).
pub(crate) fn actions(d: &DeploymentInfo) -> Vec<ActionKind> {
    let status = d.status.as_ref().map(|s| s.as_str()).unwrap_or("");
    if crate::aws::codedeploy::is_finished(status) {
        return Vec::new();
    }
    let mut out = Vec::new();
    if status == "Ready" {
        out.push(ActionKind::Approve);
    }
    if d.instance_termination_wait_time_started {
        out.push(ActionKind::EndWait);
    }
    // A rollback is not rolled back. In the termination wait the original tasks still
    // run, so StopDeployment puts traffic back on them.
    if rollback_of(d).is_none() {
        out.push(ActionKind::Rollback);
    }
    out
}

fn line(d: &DeploymentInfo) -> DeploymentLine {
    DeploymentLine {
        id: d.deployment_id.clone().unwrap_or_default(),
        status: d
            .status
            .as_ref()
            .map(|s| s.as_str().to_owned())
            .unwrap_or_default(),
        created_ms: d.create_time.as_ref().and_then(ms),
        completed_ms: d.complete_time.as_ref().and_then(ms),
        description: d.description.clone().filter(|s| !s.is_empty()),
        error: d.error_information.as_ref().and_then(|e| e.message.clone()),
        rollback_of: rollback_of(d),
    }
}

fn listener(role: &str, l: &ElbListener, tgs: &TargetGroups) -> Listener {
    let mut forwards = Vec::new();
    for action in l.default_actions.as_deref().unwrap_or_default() {
        let tuples = action
            .forward_config
            .as_ref()
            .and_then(|f| f.target_groups.as_deref())
            .unwrap_or_default();
        if !tuples.is_empty() {
            for t in tuples {
                if let Some(arn) = &t.target_group_arn {
                    let (name, color) = tgs.by_arn(arn);
                    forwards.push(Forward {
                        target_group: name,
                        color,
                        weight: t.weight.unwrap_or(1),
                    });
                }
            }
        } else if let Some(arn) = &action.target_group_arn {
            let (name, color) = tgs.by_arn(arn);
            forwards.push(Forward {
                target_group: name,
                color,
                weight: 1,
            });
        }
    }
    Listener {
        role: role.to_owned(),
        port: l.port,
        forwards,
    }
}

/// `family:revision` of a task definition ARN.
fn revision(arn: &str) -> String {
    arn.rsplit('/').next().unwrap_or(arn).to_owned()
}

fn task_ip_and_ports(t: &EcsTask) -> (Option<String>, Vec<i32>) {
    let ip = t
        .attachments
        .as_deref()
        .unwrap_or_default()
        .iter()
        .flat_map(|a| a.details.as_deref().unwrap_or_default())
        .find(|kv| kv.name.as_deref() == Some("privateIPv4Address"))
        .and_then(|kv| kv.value.clone());
    let ports = t
        .containers
        .as_deref()
        .unwrap_or_default()
        .iter()
        .flat_map(|c| c.network_bindings.as_deref().unwrap_or_default())
        .filter_map(|b| b.host_port)
        .collect();
    (ip, ports)
}

/// The Lambda hooks of `d`'s AppSpec with their lifecycle event in `target` (`Pending`
/// until CodeDeploy starts it); a failed one with its failing check, figures and last log
/// lines from `logs` (by lifecycle event).
pub(crate) fn hooks(
    d: &DeploymentInfo,
    target: Option<&EcsTarget>,
    logs: &HashMap<String, Result<Vec<String>, String>>,
) -> Vec<Hook> {
    hooks_of(d)
        .into_iter()
        .map(|(event, function)| {
            let ev = target.and_then(|t| {
                t.lifecycle_events()
                    .iter()
                    .find(|e| e.lifecycle_event_name() == Some(event.as_str()))
            });
            let status = ev
                .and_then(|e| e.status())
                .map(|s| s.as_str().to_owned())
                .unwrap_or_else(|| "Pending".into());
            let name = function.rsplit(':').next().unwrap_or(&function).to_owned();
            let failed = status == "Failed";
            let (lines, log_error) = match logs.get(&event).filter(|_| failed) {
                Some(Ok(lines)) => (lines.clone(), None),
                Some(Err(e)) => (Vec::new(), Some(e.clone())),
                None => (Vec::new(), None),
            };
            let result = failed.then(|| HookResult::from_log(&event, &name, true, &lines));
            Hook {
                start_ms: ev.and_then(|e| e.start_time()).and_then(ms),
                end_ms: ev.and_then(|e| e.end_time()).and_then(ms),
                check: result.as_ref().and_then(|r| r.check.clone()),
                figures: result.and_then(|r| r.figures),
                log_group: format!("/aws/lambda/{name}"),
                log_lines: lines
                    .iter()
                    .map(|l| cut(guards::shown_line(l), MAX_LINE_BYTES))
                    .collect(),
                log_error,
                event,
                function: name,
                status,
            }
        })
        .collect()
}

/// Which guard stopped `d` (Failed or Stopped), with its evidence: a failed hook of
/// `hooks` and its check, else CodeDeploy's error code (ALARM_ACTIVE: the alarms of
/// `alarms` it names, with the metric's value; MANUAL_STOP: a person; the replacement's
/// health, also a timeout while its `lifecycle`'s Install waited for it; another
/// timeout). `None` for a deployment that did not fail.
pub(crate) fn stopped_by(
    d: &DeploymentInfo,
    lifecycle: &[LifecycleEvent],
    hooks: &[Hook],
    alarms: &[AlarmState],
) -> Option<StoppedBy> {
    let status = d.status.as_ref().map(|s| s.as_str()).unwrap_or_default();
    if !matches!(status, "Failed" | "Stopped") {
        return None;
    }
    let error = d.error_information.as_ref();
    let code = error
        .and_then(|e| e.code.as_ref())
        .map(|c| c.as_str())
        .unwrap_or_default();
    let message = error.and_then(|e| e.message.as_deref());
    let said = |head: &str| match message {
        Some(m) if !m.is_empty() => format!("{head}: {m}"),
        _ => head.to_owned(),
    };
    let by = |guard, text| Some(StoppedBy { guard, text });
    // An alarm can also stop a deployment whose hook ran; the code says which came first.
    if code != "ALARM_ACTIVE" && code != "MANUAL_STOP" {
        if let Some(h) = hooks.iter().find(|h| h.status == "Failed") {
            let result = HookResult {
                event: h.event.clone(),
                function: h.function.clone(),
                failed: true,
                check: h.check.clone(),
                figures: None,
            };
            return by(Guard::Hook, result.guard());
        }
    }
    // The replacement's tasks must be healthy for Install to end: a timeout there is theirs.
    let install_failed = lifecycle
        .iter()
        .any(|e| e.name == "Install" && e.status == "Failed");
    match code {
        "ALARM_ACTIVE" => by(
            Guard::Alarm,
            guards::alarm_guard(message, alarms)
                .unwrap_or_else(|| "an alarm of the deployment group".into()),
        ),
        "HOOK_EXECUTION_FAILURE" => by(Guard::Hook, said("a validation hook")),
        "MANUAL_STOP" => by(Guard::User, "a person (a StopDeployment request)".into()),
        "ECS_UPDATE_ERROR" | "HEALTH_CONSTRAINTS" | "HEALTH_CONSTRAINTS_INVALID" => by(
            Guard::HealthCheck,
            said("the health checks of the replacement tasks"),
        ),
        "TIMEOUT" if install_failed => by(
            Guard::HealthCheck,
            said("the health checks of the replacement tasks"),
        ),
        "TIMEOUT" => by(Guard::Timeout, said("a timeout")),
        "" => by(Guard::Error, said("an error")),
        other => by(Guard::Error, said(other)),
    }
}

fn alarm(a: &AlarmState) -> Alarm {
    Alarm {
        name: a.name.clone(),
        state: a.state.clone(),
        reason: a.reason.clone(),
        value: a.value,
        rule: a.rule.clone(),
        changed_ms: a.updated_ms.and_then(|m| u64::try_from(m).ok()),
    }
}

/// Builds the snapshot from one poll's reading.
pub(crate) fn assemble(r: &Reading, tgs: &TargetGroups) -> Snapshot {
    let listeners: Vec<Listener> = r
        .listeners
        .iter()
        .map(|(role, l)| listener(role, l, tgs))
        .collect();
    let production = listeners.first().cloned().unwrap_or_default();

    let mut task_sets: Vec<TaskSet> = Vec::new();
    let mut set_color: HashMap<String, String> = HashMap::new();
    if let Some(svc) = &r.service {
        for ts in svc.task_sets.as_deref().unwrap_or_default() {
            let tg_arn = ts
                .load_balancers
                .as_deref()
                .unwrap_or_default()
                .iter()
                .find_map(|lb| lb.target_group_arn.clone());
            let (tg_name, color) = match &tg_arn {
                Some(a) => {
                    let (n, c) = tgs.by_arn(a);
                    (Some(n), c)
                }
                None => (None, String::new()),
            };
            let id = ts.id.clone().unwrap_or_default();
            set_color.insert(id.clone(), color.clone());
            task_sets.push(TaskSet {
                traffic_percent: tg_name
                    .as_deref()
                    .map_or(0.0, |n| traffic_percent(&production, n)),
                id,
                status: ts.status.clone().unwrap_or_default(),
                target_group: tg_name,
                color,
                revision: ts.task_definition.as_deref().map(revision),
                image: ts
                    .task_definition
                    .as_ref()
                    .and_then(|a| r.images.get(a).cloned()),
                desired: ts.computed_desired_count,
                pending: ts.pending_count,
                running: ts.running_count,
                scale_percent: ts.scale.as_ref().map(|s| s.value),
            });
        }
    }
    task_sets.sort_by_key(|t| (t.status != "PRIMARY", t.color.clone()));

    // Targets by (ip, port) -> (health, target group color).
    let mut targets: Vec<(String, i32, String, String)> = Vec::new();
    for (tg_arn, descs) in &r.target_health {
        let (_, color) = tgs.by_arn(tg_arn);
        for d in descs {
            let Some(t) = &d.target else { continue };
            let state = d
                .target_health
                .as_ref()
                .and_then(|h| h.state.as_ref())
                .map(|s| s.as_str().to_owned())
                .unwrap_or_default();
            targets.push((
                t.id.clone().unwrap_or_default(),
                t.port.unwrap_or(0),
                state,
                color.clone(),
            ));
        }
    }
    let mut tasks: Vec<Task> = r
        .tasks
        .iter()
        .map(|t| {
            let (ip, ports) = task_ip_and_ports(t);
            let target = targets.iter().find(|(id, port, _, _)| {
                ip.as_deref() == Some(id.as_str()) && (ports.is_empty() || ports.contains(port))
            });
            let set = t.started_by.clone().filter(|s| set_color.contains_key(s));
            let color = set
                .as_ref()
                .and_then(|s| set_color.get(s).cloned())
                .or_else(|| target.map(|t| t.3.clone()))
                .unwrap_or_default();
            Task {
                id: t
                    .task_arn
                    .as_deref()
                    .map(|a| a.rsplit('/').next().unwrap_or(a).to_owned())
                    .unwrap_or_default(),
                task_set: set,
                color,
                availability_zone: t.availability_zone.clone(),
                last_status: t.last_status.clone().unwrap_or_default(),
                health: t
                    .health_status
                    .as_ref()
                    .map(|h| h.as_str().to_owned())
                    .unwrap_or_else(|| "UNKNOWN".into()),
                target_health: target.map(|t| t.2.clone()).unwrap_or_default(),
                target: target.map(|(id, port, _, _)| format!("{id}:{port}")),
            }
        })
        .collect();
    tasks.sort_by(|a, b| (&a.color, &a.id).cmp(&(&b.color, &b.id)));

    let deployment = shown(&r.deployments).map(|d| {
        let l = line(d);
        let lifecycle: Vec<LifecycleEvent> = r
            .target
            .as_ref()
            .filter(|t| t.deployment_id.as_deref() == d.deployment_id.as_deref())
            .map(|t| {
                t.lifecycle_events
                    .as_deref()
                    .unwrap_or_default()
                    .iter()
                    .map(|e| LifecycleEvent {
                        name: e.lifecycle_event_name.clone().unwrap_or_default(),
                        status: e
                            .status
                            .as_ref()
                            .map(|s| s.as_str().to_owned())
                            .unwrap_or_default(),
                        start_ms: e.start_time.as_ref().and_then(ms),
                        end_ms: e.end_time.as_ref().and_then(ms),
                    })
                    .collect()
            })
            .unwrap_or_default();
        let target = r
            .target
            .as_ref()
            .filter(|t| t.deployment_id.as_deref() == d.deployment_id.as_deref());
        let hooks = hooks(d, target, &r.hook_logs);
        Deployment {
            stopped_by: stopped_by(d, &lifecycle, &hooks, &r.alarms),
            hooks,
            in_flight: !crate::aws::codedeploy::is_finished(&l.status),
            id: l.id,
            status: l.status,
            created_ms: l.created_ms,
            completed_ms: l.completed_ms,
            description: l.description,
            error: l.error,
            creator: d.creator.as_ref().map(|c| c.as_str().to_owned()),
            rollback_of: l.rollback_of,
            rolled_back_by: d
                .rollback_info
                .as_ref()
                .and_then(|r| r.rollback_deployment_id.clone())
                .filter(|id| Some(id) != d.deployment_id.as_ref()),
            lifecycle,
            actions: actions(d),
        }
    });

    Snapshot {
        environment: r.environment.clone(),
        cluster: r.cluster.clone(),
        service: r.service_name.clone(),
        taken_at_ms: super::snapshot::now_ms(),
        listeners,
        task_sets,
        tasks,
        deployment,
        recent: r.deployments.iter().map(line).collect(),
        logs_source: r.logs_source.clone(),
        logs: r.logs.clone(),
        logs_error: r.logs_error.clone(),
        alarms: r.alarms.iter().map(alarm).collect(),
        alarms_error: r.alarms_error.clone(),
        error: None,
    }
}

#[cfg(test)]
mod tests {
    use aws_sdk_codedeploy::types::{
        DeploymentCreator, DeploymentStatus, EcsTarget, ErrorInformation, LifecycleEvent as Ev,
        LifecycleEventStatus, RollbackInfo,
    };
    use aws_sdk_ecs::types::{
        Attachment, Container, HealthStatus, KeyValuePair, LoadBalancer, NetworkBinding, Scale,
        TaskSet as EcsTaskSet,
    };
    use aws_sdk_elasticloadbalancingv2::types::{
        Action, ActionTypeEnum, ForwardActionConfig, TargetDescription, TargetGroupTuple,
        TargetHealth, TargetHealthStateEnum,
    };
    use aws_smithy_types::DateTime;

    use super::*;

    const BLUE: &str = "arn:aws:elasticloadbalancing:eu-west-1:1:targetgroup/demo-blue/aa";
    const GREEN: &str = "arn:aws:elasticloadbalancing:eu-west-1:1:targetgroup/demo-green/bb";

    fn tgs() -> TargetGroups {
        TargetGroups {
            groups: vec![
                (BLUE.into(), "demo-blue".into(), "blue".into()),
                (GREEN.into(), "demo-green".into(), "green".into()),
            ],
        }
    }

    fn forward(weights: &[(&str, i32)]) -> ElbListener {
        ElbListener::builder()
            .port(80)
            .default_actions(
                Action::builder()
                    .r#type(ActionTypeEnum::Forward)
                    .forward_config(
                        ForwardActionConfig::builder()
                            .set_target_groups(Some(
                                weights
                                    .iter()
                                    .map(|(a, w)| {
                                        TargetGroupTuple::builder()
                                            .target_group_arn(*a)
                                            .weight(*w)
                                            .build()
                                    })
                                    .collect(),
                            ))
                            .build(),
                    )
                    .build(),
            )
            .build()
    }

    fn task_set(id: &str, status: &str, tg: &str, td: &str) -> EcsTaskSet {
        EcsTaskSet::builder()
            .id(id)
            .status(status)
            .task_definition(td)
            .computed_desired_count(2)
            .running_count(2)
            .scale(Scale::builder().value(100.0).build())
            .load_balancers(LoadBalancer::builder().target_group_arn(tg).build())
            .build()
    }

    fn task(id: &str, set: &str, port: i32, health: HealthStatus) -> EcsTask {
        EcsTask::builder()
            .task_arn(format!("arn:aws:ecs:eu-west-1:1:task/demo/{id}"))
            .started_by(set)
            .availability_zone("eu-west-1a")
            .last_status("RUNNING")
            .health_status(health)
            .attachments(
                Attachment::builder()
                    .details(
                        KeyValuePair::builder()
                            .name("privateIPv4Address")
                            .value("127.0.0.1")
                            .build(),
                    )
                    .build(),
            )
            .containers(
                Container::builder()
                    .network_bindings(NetworkBinding::builder().host_port(port).build())
                    .build(),
            )
            .build()
    }

    fn health(port: i32, state: TargetHealthStateEnum) -> TargetHealthDescription {
        TargetHealthDescription::builder()
            .target(
                TargetDescription::builder()
                    .id("127.0.0.1")
                    .port(port)
                    .build(),
            )
            .target_health(TargetHealth::builder().state(state).build())
            .build()
    }

    fn dep(id: &str, status: DeploymentStatus) -> DeploymentInfo {
        DeploymentInfo::builder()
            .deployment_id(id)
            .status(status)
            .creator(DeploymentCreator::User)
            .create_time(DateTime::from_secs(1_700_000_000))
            .build()
    }

    fn reading() -> Reading {
        let td1 = "arn:aws:ecs:eu-west-1:1:task-definition/demo:1";
        let td2 = "arn:aws:ecs:eu-west-1:1:task-definition/demo:2";
        Reading {
            environment: "local".into(),
            cluster: "demo".into(),
            service_name: "demo".into(),
            service: Some(
                Service::builder()
                    .task_sets(task_set("ts-green", "ACTIVE", GREEN, td2))
                    .task_sets(task_set("ts-blue", "PRIMARY", BLUE, td1))
                    .build(),
            ),
            images: [(td1.to_owned(), "demo:v1".to_owned())]
                .into_iter()
                .collect(),
            tasks: vec![
                task("t-b1", "ts-blue", 4001, HealthStatus::Healthy),
                task("t-g1", "ts-green", 4002, HealthStatus::from("UNKNOWN")),
            ],
            listeners: vec![
                ("production".into(), forward(&[(BLUE, 0), (GREEN, 100)])),
                ("test".into(), forward(&[(GREEN, 1)])),
            ],
            target_health: vec![
                (
                    BLUE.into(),
                    vec![health(4001, TargetHealthStateEnum::Healthy)],
                ),
                (
                    GREEN.into(),
                    vec![health(4002, TargetHealthStateEnum::Initial)],
                ),
            ],
            deployments: vec![
                dep("d-2", DeploymentStatus::InProgress),
                dep("d-1", DeploymentStatus::Succeeded),
            ],
            target: Some(
                EcsTarget::builder()
                    .deployment_id("d-2")
                    .lifecycle_events(
                        Ev::builder()
                            .lifecycle_event_name("Install")
                            .status(LifecycleEventStatus::Succeeded)
                            .start_time(DateTime::from_secs(1_700_000_001))
                            .end_time(DateTime::from_secs(1_700_000_004))
                            .build(),
                    )
                    .build(),
            ),
            logs_source: None,
            logs: Vec::new(),
            logs_error: None,
            alarms: Vec::new(),
            alarms_error: None,
            hook_logs: HashMap::new(),
        }
    }

    #[test]
    fn task_sets_get_color_revision_image_and_traffic() {
        let s = assemble(&reading(), &tgs());
        let sets: Vec<_> = s
            .task_sets
            .iter()
            .map(|t| {
                (
                    t.color.as_str(),
                    t.status.as_str(),
                    t.revision.as_deref(),
                    t.image.as_deref(),
                    t.traffic_percent,
                )
            })
            .collect();
        assert_eq!(
            sets,
            vec![
                ("blue", "PRIMARY", Some("demo:1"), Some("demo:v1"), 0.0),
                ("green", "ACTIVE", Some("demo:2"), None, 100.0),
            ]
        );
        assert_eq!(s.listeners[0].role, "production");
        assert_eq!(s.listeners[0].forwards[1].target_group, "demo-green");
        assert_eq!(s.listeners[0].forwards[1].color, "green");
        assert_eq!(s.listeners[1].forwards.len(), 1);
    }

    #[test]
    fn tasks_are_matched_to_their_targets() {
        let s = assemble(&reading(), &tgs());
        let tasks: Vec<_> = s
            .tasks
            .iter()
            .map(|t| {
                (
                    t.id.as_str(),
                    t.color.as_str(),
                    t.health.as_str(),
                    t.target_health.as_str(),
                    t.target.as_deref(),
                )
            })
            .collect();
        assert_eq!(
            tasks,
            vec![
                ("t-b1", "blue", "HEALTHY", "healthy", Some("127.0.0.1:4001")),
                (
                    "t-g1",
                    "green",
                    "UNKNOWN",
                    "initial",
                    Some("127.0.0.1:4002")
                ),
            ]
        );
        assert_eq!(s.tasks[0].availability_zone.as_deref(), Some("eu-west-1a"));
    }

    #[test]
    fn the_deployment_in_flight_is_shown_with_its_events_and_actions() {
        let s = assemble(&reading(), &tgs());
        let d = s.deployment.unwrap();
        assert_eq!(
            (d.id.as_str(), d.status.as_str(), d.in_flight),
            ("d-2", "InProgress", true)
        );
        assert_eq!(d.lifecycle.len(), 1);
        assert_eq!(d.lifecycle[0].name, "Install");
        assert_eq!(d.lifecycle[0].start_ms, Some(1_700_000_001_000));
        assert_eq!(d.actions, vec![ActionKind::Rollback]);
        assert_eq!(s.recent.len(), 2);
        assert_eq!(s.recent[1].status, "Succeeded");
    }

    #[test]
    fn actions_follow_the_deployment_state() {
        let ready = dep("d", DeploymentStatus::Ready);
        assert_eq!(
            actions(&ready),
            vec![ActionKind::Approve, ActionKind::Rollback]
        );
        let mut waiting = dep("d", DeploymentStatus::InProgress);
        waiting.instance_termination_wait_time_started = true;
        assert_eq!(
            actions(&waiting),
            vec![ActionKind::EndWait, ActionKind::Rollback]
        );
        assert!(actions(&dep("d", DeploymentStatus::Succeeded)).is_empty());
        let mut rb = dep("d-4", DeploymentStatus::InProgress);
        rb.rollback_info = Some(
            RollbackInfo::builder()
                .rollback_triggering_deployment_id("d-3")
                .build(),
        );
        assert!(actions(&rb).is_empty(), "a rollback is not rolled back");
    }

    #[test]
    fn a_release_that_failed_and_was_rolled_back_is_shown_as_the_failure() {
        let mut failed = dep("d-3", DeploymentStatus::Failed);
        failed.rollback_info = Some(
            RollbackInfo::builder()
                .rollback_deployment_id("d-4")
                .build(),
        );
        let mut rb = dep("d-4", DeploymentStatus::Succeeded);
        rb.creator = Some(DeploymentCreator::CodeDeployRollback);
        rb.rollback_info = Some(
            RollbackInfo::builder()
                .rollback_triggering_deployment_id("d-3")
                .build(),
        );
        let list = vec![rb.clone(), failed.clone()];
        let d = shown(&list).unwrap();
        assert_eq!(d.deployment_id.as_deref(), Some("d-3"));
        assert_eq!(d.status, Some(DeploymentStatus::Failed));
        // While the rollback runs, it is the one shown.
        let mut running = rb;
        running.status = Some(DeploymentStatus::InProgress);
        let list = vec![running, failed];
        assert_eq!(shown(&list).unwrap().deployment_id.as_deref(), Some("d-4"));
        // A rollback whose release is no longer listed is shown as it is.
        let list = vec![list[0].clone()];
        assert_eq!(shown(&list).unwrap().deployment_id.as_deref(), Some("d-4"));
    }

    #[test]
    fn a_finished_rollback_shows_the_release_it_rolled_back() {
        let mut r = reading();
        let mut failed = dep("d-3", DeploymentStatus::Failed);
        failed.error_information = Some(
            ErrorInformation::builder()
                .message("health checks failed")
                .build(),
        );
        failed.rollback_info = Some(
            RollbackInfo::builder()
                .rollback_deployment_id("d-4")
                .build(),
        );
        let mut rb = dep("d-4", DeploymentStatus::Succeeded);
        rb.creator = Some(DeploymentCreator::CodeDeployRollback);
        rb.rollback_info = Some(
            RollbackInfo::builder()
                .rollback_triggering_deployment_id("d-3")
                .build(),
        );
        r.deployments = vec![rb, failed];
        r.target = None;
        let s = assemble(&r, &tgs());
        // The headline is the failed release, naming its rollback (not the rollback's
        // green Succeeded).
        let d = s.deployment.unwrap();
        assert_eq!(d.id, "d-3");
        assert_eq!(d.status, "Failed");
        assert_eq!(d.rolled_back_by.as_deref(), Some("d-4"));
        assert_eq!(d.error.as_deref(), Some("health checks failed"));
        assert!(!d.in_flight);
        assert_eq!(s.recent[0].rollback_of.as_deref(), Some("d-3"));
        assert_eq!(s.recent[1].error.as_deref(), Some("health checks failed"));
        assert!(
            d.lifecycle.is_empty(),
            "events of another deployment are not shown"
        );
    }

    fn event(ts: i64, id: &str, msg: &str) -> Event {
        Event {
            stream: "ecs/demo/0123456789abcdef".into(),
            timestamp: ts,
            message: msg.into(),
            event_id: Some(id.into()),
        }
    }

    #[test]
    fn log_lines_show_task_level_message_and_fields() {
        let access = r#"{"timestamp":"2026-11-29T20:00:00Z","level":"INFO","message":"request","method":"GET","path":"/","request_id":"a b"}"#;
        let l = log_line(&event(1_795_982_400_000, "1", access));
        assert_eq!(l.at_ms, 1_795_982_400_000);
        assert_eq!(l.task, "01234567");
        assert_eq!(l.level, "INFO");
        assert_eq!(l.message, "request  method=GET  path=/  request_id=\"a b\"");
        let plain = log_line(&event(5, "2", "<b>plain</b>\n"));
        assert_eq!(
            (plain.level.as_str(), plain.message.as_str()),
            ("-", "<b>plain</b>")
        );
    }

    #[test]
    fn the_log_tail_is_bounded_in_bytes_per_line_and_in_all() {
        let big = "x".repeat(262 * 1024);
        let mut tail = LogTail::new(0, 50);
        tail.admit((0..60).map(|i| event(i, &i.to_string(), &big)).collect());
        let lines = tail.lines();
        assert!(
            lines.iter().all(|l| l.message.len() < MAX_LINE_BYTES + 100),
            "each line cut"
        );
        assert!(lines[0].message.ends_with(&format!(
            "({} of {} bytes not shown)",
            big.len() - MAX_LINE_BYTES,
            big.len()
        )));
        let total: usize = lines.iter().map(|l| l.message.len()).sum();
        assert!(total <= MAX_TAIL_BYTES, "{total} bytes in one snapshot");
        assert!(!lines.is_empty());
        // The whole snapshot stays small: 60 lines of 262 KB made it 7.3 MB before.
        let json = serde_json::to_string(&lines).unwrap();
        assert!(json.len() < 2 * MAX_TAIL_BYTES, "{} bytes", json.len());
        // A multi-byte character is never split.
        let wide = "é".repeat(MAX_LINE_BYTES);
        assert!(cut(wide, MAX_LINE_BYTES).starts_with('é'));
    }

    #[test]
    fn the_probes_own_requests_are_left_out_of_the_log_panel() {
        let access = |id: &str| {
            format!(
                r#"{{"timestamp":"2026-11-29T20:00:00Z","level":"INFO","message":"request","method":"GET","path":"/","status":200,"request_id":"{id}"}}"#
            )
        };
        let mut tail = LogTail::new(0, 50);
        tail.admit(vec![
            event(1, "1", &access(crate::dashboard::probe::PROBE_REQUEST_ID)),
            event(2, "2", &access("9e20f0fb-0b78-4025-9a39-9c6ba4c7968e")),
            event(3, "3", &access(crate::dashboard::probe::PROBE_REQUEST_ID)),
        ]);
        let lines = tail.lines();
        assert_eq!(lines.len(), 1, "{lines:?}");
        assert!(lines[0].message.contains("9e20f0fb"), "{lines:?}");
    }

    #[test]
    fn the_log_tail_is_incremental_bounded_and_never_repeats() {
        let mut tail = LogTail::new(100, 3);
        tail.admit(vec![
            event(90, "old", "before the start"),
            event(100, "a", "a"),
            event(200, "b", "b"),
        ]);
        assert_eq!(tail.start_time(), 200);
        // The next read starts at the newest timestamp: "b" comes back and is dropped.
        tail.admit(vec![
            event(200, "b", "b"),
            event(200, "c", "c"),
            event(300, "d", "d"),
        ]);
        let msgs: Vec<String> = tail.lines().into_iter().map(|l| l.message).collect();
        assert_eq!(msgs, ["b", "c", "d"], "newest 3, oldest first, none twice");
        assert_eq!(tail.start_time(), 300);
        tail.admit(vec![event(300, "d", "d")]);
        assert_eq!(tail.lines().len(), 3);
    }

    #[test]
    fn the_snapshot_carries_the_logs_and_their_error() {
        let mut r = reading();
        r.logs_source = Some("/ecs/demo".into());
        r.logs = vec![log_line(&event(1, "1", "hi"))];
        r.logs_error = Some("logs:FilterLogEvents: AccessDeniedException".into());
        let s = assemble(&r, &tgs());
        assert_eq!(s.logs_source.as_deref(), Some("/ecs/demo"));
        assert_eq!(s.logs.len(), 1);
        assert_eq!(s.error, None, "a log read failure is not the dashboard's");
        assert!(s.logs_error.unwrap().contains("AccessDenied"));
    }

    // ---- the release guards ------------------------------------------------------------

    const APPSPEC: &str = "version: 0.0\nResources:\n- TargetService:\n    Type: AWS::ECS::Service\n    Properties:\n      TaskDefinition: arn:aws:ecs:eu-west-1:1:task-definition/demo:2\n      LoadBalancerInfo:\n        ContainerName: demo\n        ContainerPort: 3000\nHooks:\n- AfterAllowTestTraffic: arn:aws:lambda:eu-west-1:1:function:demo-validate\n";

    /// The hook's verdict line, as the hook logs it (its report after `report=`).
    const VERDICT: &str = r#" INFO green failed the checks deployment_id=d-3 passed=false report={"deployment_id":"d-3","passed":false,"failures":["GET / answered 500 Internal Server Error"],"verdict":{"passed":false,"failures":["x"],"green":{"requests":40,"errors":40,"latency_ms":{"p99":1.5}},"blue":{"requests":40,"errors":0,"latency_ms":{"p99":1.1}}}}"#;

    fn with_hook(id: &str, status: DeploymentStatus) -> DeploymentInfo {
        use aws_sdk_codedeploy::types::{AppSpecContent, RevisionLocation, RevisionLocationType};
        let mut d = dep(id, status);
        d.revision = Some(
            RevisionLocation::builder()
                .revision_type(RevisionLocationType::AppSpecContent)
                .app_spec_content(AppSpecContent::builder().content(APPSPEC).build())
                .build(),
        );
        d
    }

    fn target_with(id: &str, events: &[(&str, LifecycleEventStatus)]) -> EcsTarget {
        events
            .iter()
            .fold(
                EcsTarget::builder().deployment_id(id),
                |t, (name, status)| {
                    t.lifecycle_events(
                        Ev::builder()
                            .lifecycle_event_name(*name)
                            .status(status.clone())
                            .start_time(DateTime::from_secs(1_700_000_010))
                            .build(),
                    )
                },
            )
            .build()
    }

    fn error(code: aws_sdk_codedeploy::types::ErrorCode, message: &str) -> ErrorInformation {
        ErrorInformation::builder()
            .code(code)
            .message(message)
            .build()
    }

    fn alarm_state(name: &str, state: &str, value: Option<f64>) -> AlarmState {
        AlarmState {
            name: name.into(),
            state: state.into(),
            reason: format!("Threshold Crossed: 1 datapoint [{}] was greater than or equal to the threshold (5.0).", value.unwrap_or(0.0)),
            value,
            threshold: Some(5.0),
            rule: "Http5xx Sum >= 5".into(),
            updated_ms: Some(1_700_000_020_000),
            window_secs: 120,
        }
    }

    #[test]
    fn the_hook_is_pending_then_running_then_succeeded() {
        let d = with_hook("d-2", DeploymentStatus::InProgress);
        let none = HashMap::new();
        let pending = hooks(&d, None, &none);
        assert_eq!(pending.len(), 1);
        let h = &pending[0];
        assert_eq!(
            (h.event.as_str(), h.function.as_str(), h.status.as_str()),
            ("AfterAllowTestTraffic", "demo-validate", "Pending")
        );
        assert_eq!(h.log_group, "/aws/lambda/demo-validate");
        let t = target_with(
            "d-2",
            &[
                ("Install", LifecycleEventStatus::Succeeded),
                ("AfterAllowTestTraffic", LifecycleEventStatus::InProgress),
            ],
        );
        let running = hooks(&d, Some(&t), &none);
        assert_eq!(running[0].status, "InProgress");
        assert_eq!(running[0].start_ms, Some(1_700_000_010_000));
        let t = target_with(
            "d-2",
            &[("AfterAllowTestTraffic", LifecycleEventStatus::Succeeded)],
        );
        let done = hooks(&d, Some(&t), &none);
        assert_eq!(done[0].status, "Succeeded");
        assert_eq!((done[0].check.as_ref(), done[0].log_lines.len()), (None, 0));
        // A deployment whose AppSpec has no hook shows none.
        assert!(hooks(&dep("d-1", DeploymentStatus::Succeeded), Some(&t), &none).is_empty());
    }

    #[test]
    fn a_failed_hook_shows_its_check_figures_and_last_log_lines() {
        let d = with_hook("d-3", DeploymentStatus::Failed);
        let t = target_with(
            "d-3",
            &[("AfterAllowTestTraffic", LifecycleEventStatus::Failed)],
        );
        let lines = vec![
            "START RequestId: 1 Version: $LATEST".to_string(),
            VERDICT.to_string(),
            "<script>alert(1)</script>".to_string(),
        ];
        let logs: HashMap<_, _> = [("AfterAllowTestTraffic".to_string(), Ok(lines))].into();
        let h = &hooks(&d, Some(&t), &logs)[0];
        assert_eq!(h.status, "Failed");
        assert_eq!(
            h.check.as_deref(),
            Some("GET / answered 500 Internal Server Error")
        );
        assert_eq!(
            h.figures.as_deref(),
            Some("green p99 1.5 ms (40/40 errors), blue p99 1.1 ms (0/40 errors)")
        );
        assert_eq!(h.log_lines.len(), 3);
        assert!(
            h.log_lines[1].ends_with("passed=false report=..."),
            "the verdict's JSON is cut: {}",
            h.log_lines[1]
        );
        // Text as it came (the page escapes it).
        assert_eq!(h.log_lines[2], "<script>alert(1)</script>");
        // A log that could not be read says why.
        let denied: HashMap<_, _> = [(
            "AfterAllowTestTraffic".to_string(),
            Err("logs:FilterLogEvents: AccessDeniedException".to_string()),
        )]
        .into();
        let h = &hooks(&d, Some(&t), &denied)[0];
        assert_eq!((h.check.as_ref(), h.log_lines.len()), (None, 0));
        assert!(h.log_error.as_deref().unwrap().contains("AccessDenied"));
    }

    #[test]
    fn a_release_stopped_by_its_hook_names_the_hook_and_its_check() {
        use aws_sdk_codedeploy::types::ErrorCode;
        let mut d = with_hook("d-3", DeploymentStatus::Failed);
        d.error_information = Some(error(
            ErrorCode::HookExecutionFailure,
            "The deployment failed because a lifecycle hook failed.",
        ));
        let t = target_with(
            "d-3",
            &[("AfterAllowTestTraffic", LifecycleEventStatus::Failed)],
        );
        let logs: HashMap<_, _> = [(
            "AfterAllowTestTraffic".to_string(),
            Ok(vec![VERDICT.to_string()]),
        )]
        .into();
        let hs = hooks(&d, Some(&t), &logs);
        let by = stopped_by(&d, &[], &hs, &[]).unwrap();
        assert_eq!(by.guard, Guard::Hook);
        assert_eq!(
            by.text,
            "the validation hook demo-validate (AfterAllowTestTraffic): GET / answered 500 Internal Server Error"
        );
        // Before its log is read, the hook is still named.
        let hs = hooks(&d, Some(&t), &HashMap::new());
        assert_eq!(
            stopped_by(&d, &[], &hs, &[]).unwrap().text,
            "the validation hook demo-validate (AfterAllowTestTraffic)"
        );
        // A hook failure CodeDeploy reports without the event (another AppSpec): the code.
        assert_eq!(stopped_by(&d, &[], &[], &[]).unwrap().guard, Guard::Hook);
    }

    #[test]
    fn a_release_stopped_by_an_alarm_names_the_alarm_and_its_value() {
        use aws_sdk_codedeploy::types::ErrorCode;
        let mut d = with_hook("d-5", DeploymentStatus::Stopped);
        d.error_information = Some(error(
            ErrorCode::AlarmActive,
            "One or more alarms have been activated according to the Amazon CloudWatch metrics you selected, and the affected deployments have been stopped. Activated alarms: <demo-http-5xx>",
        ));
        let t = target_with(
            "d-5",
            &[("AfterAllowTestTraffic", LifecycleEventStatus::Succeeded)],
        );
        let hs = hooks(&d, Some(&t), &HashMap::new());
        let alarms = [
            alarm_state("demo-http-5xx", "ALARM", Some(7.0)),
            alarm_state("demo-unhealthy-hosts", "OK", None),
        ];
        let by = stopped_by(&d, &[], &hs, &alarms).unwrap();
        assert_eq!(by.guard, Guard::Alarm);
        assert_eq!(
            by.text,
            "the alarm demo-http-5xx (Http5xx Sum >= 5, value 7.0)"
        );
        // The alarm back to OK by now, or unreadable: still named, from CodeDeploy's message.
        assert_eq!(
            stopped_by(&d, &[], &hs, &[]).unwrap().text,
            "the alarm demo-http-5xx"
        );
    }

    #[test]
    fn a_stop_by_a_person_a_health_check_or_a_timeout_says_so() {
        use aws_sdk_codedeploy::types::ErrorCode;
        let stopped = |status, code, msg: &str| {
            let mut d = dep("d-6", status);
            d.error_information = Some(error(code, msg));
            d
        };
        let manual = stopped(DeploymentStatus::Stopped, ErrorCode::ManualStop, "stopped");
        let by = stopped_by(&manual, &[], &[], &[]).unwrap();
        assert_eq!(by.guard, Guard::User);
        let unhealthy = stopped(
            DeploymentStatus::Failed,
            ErrorCode::EcsUpdateError,
            "the replacement tasks did not pass their health checks",
        );
        let by = stopped_by(&unhealthy, &[], &[], &[]).unwrap();
        assert_eq!(by.guard, Guard::HealthCheck);
        assert!(
            by.text.ends_with("did not pass their health checks"),
            "{}",
            by.text
        );
        let timeout = stopped(
            DeploymentStatus::Failed,
            ErrorCode::Timeout,
            "not healthy in time",
        );
        let install = LifecycleEvent {
            name: "Install".into(),
            status: "Failed".into(),
            ..LifecycleEvent::default()
        };
        assert_eq!(
            stopped_by(&timeout, &[install], &[], &[]).unwrap().guard,
            Guard::HealthCheck
        );
        assert_eq!(
            stopped_by(&timeout, &[], &[], &[]).unwrap().guard,
            Guard::Timeout
        );
        // Nothing stopped a release in flight or one that succeeded.
        assert_eq!(
            stopped_by(&dep("d", DeploymentStatus::InProgress), &[], &[], &[]),
            None
        );
        assert_eq!(
            stopped_by(&dep("d", DeploymentStatus::Succeeded), &[], &[], &[]),
            None
        );
    }

    #[test]
    fn the_snapshot_carries_the_hook_the_alarms_and_the_guard_that_stopped_it() {
        use aws_sdk_codedeploy::types::ErrorCode;
        let mut r = reading();
        let mut failed = with_hook("d-3", DeploymentStatus::Failed);
        failed.error_information = Some(error(ErrorCode::HookExecutionFailure, "hook failed"));
        r.deployments = vec![failed];
        r.target = Some(target_with(
            "d-3",
            &[("AfterAllowTestTraffic", LifecycleEventStatus::Failed)],
        ));
        r.hook_logs = [(
            "AfterAllowTestTraffic".to_string(),
            Ok(vec![VERDICT.to_string()]),
        )]
        .into();
        r.alarms = vec![alarm_state("demo-http-5xx", "OK", Some(0.0))];
        let s = assemble(&r, &tgs());
        let d = s.deployment.unwrap();
        assert_eq!(d.hooks.len(), 1);
        assert_eq!(d.hooks[0].status, "Failed");
        let by = d.stopped_by.unwrap();
        assert_eq!(by.guard, Guard::Hook);
        assert!(
            by.text.starts_with("the validation hook demo-validate"),
            "{}",
            by.text
        );
        assert_eq!(s.alarms.len(), 1);
        let a = &s.alarms[0];
        assert_eq!(
            (a.name.as_str(), a.state.as_str(), a.value, a.changed_ms),
            ("demo-http-5xx", "OK", Some(0.0), Some(1_700_000_020_000))
        );
        assert!(a.reason.contains("threshold (5.0)"), "{}", a.reason);
        assert_eq!(s.alarms_error, None);
        // The JSON the page reads: the guard in kebab-case.
        let json = serde_json::to_value(&d.hooks).unwrap();
        assert_eq!(json[0]["log_group"], "/aws/lambda/demo-validate");
        assert_eq!(
            serde_json::to_value(Guard::HealthCheck).unwrap(),
            serde_json::json!("health-check")
        );
    }
}
