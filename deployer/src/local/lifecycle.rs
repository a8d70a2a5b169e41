//! The CodeDeploy ECS blue/green lifecycle, run for real against the local stack:
//!
//! BeforeInstall -> Install (start the replacement task set on the idle target group,
//! wait for container and target group health) -> AfterInstall -> AllowTestTraffic (test
//! listener to the replacement) -> AfterAllowTestTraffic -> [ready wait: status Ready
//! until ContinueDeployment(READY_WAIT), with STOP_DEPLOYMENT] -> BeforeAllowTraffic ->
//! AllowTraffic (production listener to the replacement) -> AfterAllowTraffic ->
//! termination wait (ContinueDeployment(TERMINATION_WAIT) ends it) -> delete the original
//! task set -> Succeeded.
//!
//! A failure (the replacement never becomes healthy) or StopDeployment ends the deployment
//! Failed/Stopped; with automatic rollback a new deployment (creator `codeDeployRollback`,
//! `rollbackInfo` on both) puts traffic back on the original task set and deletes the
//! replacement. Lifecycle hooks (Lambda functions in the AppSpec) are not invoked locally.

use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;

use super::ecs;
use super::model::{
    now, random_id, Deployment, DeploymentKind, DeploymentStatus, Health, TaskStatus, CONTAINER,
    CONTAINER_PORT, UPPER_ALNUM,
};
use super::stack::{task_set_healthy, Stack};
use super::tasks::launch_of;

const TICK: Duration = Duration::from_millis(50);

const BEFORE_INSTALL: usize = 0;
const INSTALL: usize = 1;
const AFTER_INSTALL: usize = 2;
const ALLOW_TEST_TRAFFIC: usize = 3;
const AFTER_ALLOW_TEST_TRAFFIC: usize = 4;
const BEFORE_ALLOW_TRAFFIC: usize = 5;
const ALLOW_TRAFFIC: usize = 6;
const AFTER_ALLOW_TRAFFIC: usize = 7;

pub fn spawn(stack: Arc<Stack>, id: String) {
    tokio::spawn(async move {
        let kind = match stack.world().deployment(&id) {
            Some(d) => d.kind.clone(),
            None => return,
        };
        with(&stack, &id, |d| {
            d.status = DeploymentStatus::InProgress;
            d.start_time = Some(now());
            d.target_status = "InProgress";
            d.target_updated = now();
        });
        match kind {
            DeploymentKind::Rollout => {
                let end = rollout(&stack, &id).await;
                if let Some(end) = end {
                    finish_unsuccessfully(&stack, &id, end);
                }
            }
            DeploymentKind::Rollback { of } => rollback(&stack, &id, &of).await,
        }
    });
}

/// How a rollout ended, when it did not succeed.
#[derive(Debug)]
enum End {
    Failed {
        code: &'static str,
        message: String,
    },
    Stopped {
        rollback: bool,
        code: &'static str,
        message: String,
    },
    /// The stack is shutting down.
    Shutdown,
}

fn with<R>(stack: &Stack, id: &str, f: impl FnOnce(&mut Deployment) -> R) -> Option<R> {
    let mut w = stack.world();
    w.deployment_mut(id).map(f)
}

fn begin(stack: &Stack, id: &str, idx: usize) {
    with(stack, id, |d| {
        d.events[idx].status = "InProgress";
        d.events[idx].start = Some(now());
        d.target_updated = now();
    });
    tracing::info!(target: "codedeploy", "{id}: {} started", super::model::LIFECYCLE[idx]);
}

fn succeed(stack: &Stack, id: &str, idx: usize) {
    with(stack, id, |d| {
        d.events[idx].status = "Succeeded";
        d.events[idx].end = Some(now());
        d.target_updated = now();
    });
}

fn step(stack: &Stack, id: &str, idx: usize) {
    begin(stack, id, idx);
    succeed(stack, id, idx);
}

/// One tick of waiting; `Some(end)` when the deployment must end now.
async fn tick(stack: &Stack, id: &str) -> Option<End> {
    tokio::select! {
        _ = stack.shutdown.cancelled() => return Some(End::Shutdown),
        _ = tokio::time::sleep(TICK) => {}
    }
    let stop = with(stack, id, |d| d.stop).flatten();
    stop.map(|rollback| End::Stopped {
        rollback,
        code: "MANUAL_STOP",
        message: "The deployment was stopped by a StopDeployment request.".into(),
    })
}

async fn rollout(stack: &Arc<Stack>, id: &str) -> Option<End> {
    let requested = stack.world().deployment(id)?.task_def.clone()?;

    begin(stack, id, BEFORE_INSTALL);
    // Resolve and check the revision before touching anything.
    let resolved = {
        let w = stack.world();
        match ecs::resolve_task_def(&w, &requested) {
            None => Err(format!(
                "The task definition {requested} in the AppSpec (Resources[0].Properties.TaskDefinition) is not registered."
            )),
            Some(td) => {
                let arn = td["taskDefinitionArn"].as_str().unwrap_or_default().to_string();
                launch_of(td).map(|_| arn).map_err(|e| format!("task definition {requested}: {e}"))
            }
        }
    };
    let td_arn = match resolved {
        Ok(arn) => arn,
        Err(message) => {
            return Some(End::Failed {
                code: "INVALID_REVISION",
                message,
            })
        }
    };
    if let Some(problem) = appspec_mismatch(stack, id) {
        return Some(End::Failed {
            code: "INVALID_REVISION",
            message: problem,
        });
    }
    succeed(stack, id, BEFORE_INSTALL);

    begin(stack, id, INSTALL);
    let (original, orig_tg) = {
        let w = stack.world();
        match w.primary() {
            Some(ts) => (ts.id.clone(), ts.tg),
            None => {
                return Some(End::Failed {
                    code: "INVALID_ECS_SERVICE",
                    message: "The ECS service demo has no primary task set.".into(),
                })
            }
        }
    };
    let idle_tg = 1 - orig_tg;
    with(stack, id, |d| d.original = Some(original.clone()));
    let replacement =
        match ecs::create_task_set(stack, &td_arn, idle_tg, Some(id.to_string()), false) {
            Ok(ts) => ts,
            Err(e) => {
                return Some(End::Failed {
                    code: "ECS_UPDATE_ERROR",
                    message: format!("The replacement task set could not be started: {e:#}"),
                })
            }
        };
    with(stack, id, |d| d.replacement = Some(replacement.clone()));
    let deadline = Instant::now() + stack.cfg.install_timeout;
    loop {
        if task_set_healthy(stack, &replacement) {
            break;
        }
        if let Some(problem) = replacement_problem(stack, &replacement) {
            return Some(End::Failed {
                code: "ECS_UPDATE_ERROR",
                message: problem,
            });
        }
        if Instant::now() >= deadline {
            return Some(End::Failed {
                code: "TIMEOUT",
                message: format!(
                    "The replacement task set {replacement} did not become healthy within {} (local --install-timeout).",
                    humantime::format_duration(stack.cfg.install_timeout)
                ),
            });
        }
        if let Some(end) = tick(stack, id).await {
            return Some(end);
        }
    }
    succeed(stack, id, INSTALL);
    step(stack, id, AFTER_INSTALL);

    begin(stack, id, ALLOW_TEST_TRAFFIC);
    stack.lb.switch("test", idle_tg);
    succeed(stack, id, ALLOW_TEST_TRAFFIC);
    step(stack, id, AFTER_ALLOW_TEST_TRAFFIC);

    // The ready wait (STOP_DEPLOYMENT): Ready until ContinueDeployment(READY_WAIT).
    let (ready_stop, ready_wait) = {
        let w = stack.world();
        (w.group.ready_stop, w.group.ready_wait)
    };
    if ready_stop {
        with(stack, id, |d| {
            d.status = DeploymentStatus::Ready;
            d.target_status = "Ready";
            d.target_updated = now();
        });
        tracing::info!(target: "codedeploy", "{id}: Ready, waiting for ContinueDeployment (READY_WAIT)");
        let deadline = Instant::now() + ready_wait;
        loop {
            if with(stack, id, |d| d.continue_ready).unwrap_or(false) {
                break;
            }
            if Instant::now() >= deadline {
                return Some(End::Stopped {
                    rollback: true,
                    code: "TIMEOUT",
                    message: format!(
                        "Traffic was not rerouted within the ready wait ({}): the deployment was stopped.",
                        humantime::format_duration(ready_wait)
                    ),
                });
            }
            if let Some(end) = tick(stack, id).await {
                return Some(end);
            }
        }
        with(stack, id, |d| {
            d.status = DeploymentStatus::InProgress;
            d.target_status = "InProgress";
            d.target_updated = now();
        });
    }

    step(stack, id, BEFORE_ALLOW_TRAFFIC);
    begin(stack, id, ALLOW_TRAFFIC);
    stack.lb.switch("prod", idle_tg);
    ecs::promote(stack, &replacement);
    with(stack, id, |d| d.switched = true);
    succeed(stack, id, ALLOW_TRAFFIC);
    step(stack, id, AFTER_ALLOW_TRAFFIC);

    // The termination wait: the original task set stays up (rollback window).
    with(stack, id, |d| d.termination_wait_started = true);
    let wait = stack.world().group.termination_wait;
    let deadline = Instant::now() + wait;
    while Instant::now() < deadline {
        if with(stack, id, |d| d.continue_termination).unwrap_or(false) {
            break;
        }
        if let Some(end) = tick(stack, id).await {
            return Some(end);
        }
    }
    ecs::delete_task_set(
        stack,
        &original,
        "the deployment succeeded: terminating the original task set",
    );
    {
        let mut w = stack.world();
        let revision = w.deployment(id).map(|d| d.revision.clone());
        if let Some(r) = revision {
            w.current_revision = r;
        }
        mark_succeeded(&mut w, id);
    }
    tracing::info!(target: "codedeploy", "{id}: Succeeded");
    None
}

/// The AppSpec's LoadBalancerInfo must name the service's container and port.
fn appspec_mismatch(stack: &Stack, id: &str) -> Option<String> {
    let w = stack.world();
    let d = w.deployment(id)?;
    let content = d.revision["appSpecContent"]["content"]
        .as_str()
        .or_else(|| d.revision["string"]["content"].as_str())?;
    let (_, name, port) = super::codedeploy::parse_appspec(content).ok()?;
    if let Some(name) = name.filter(|n| n != CONTAINER) {
        return Some(format!(
            "The AppSpec's LoadBalancerInfo.ContainerName is {name:?}; the service's load balancer uses container {CONTAINER:?}."
        ));
    }
    if let Some(port) = port.filter(|p| *p != u64::from(CONTAINER_PORT)) {
        return Some(format!(
            "The AppSpec's LoadBalancerInfo.ContainerPort is {port}; the service's load balancer uses port {CONTAINER_PORT}."
        ));
    }
    None
}

/// A replacement task that failed its container health check or exited fails the deployment.
fn replacement_problem(stack: &Stack, ts_id: &str) -> Option<String> {
    let w = stack.world();
    let ts = w.task_set(ts_id)?;
    for t in ts.tasks.iter().filter_map(|id| w.tasks.get(id)) {
        if t.health == Health::Unhealthy {
            return Some(format!(
                "The replacement task {} failed its container health checks (see {}).",
                t.id, t.log
            ));
        }
        if t.last_status == TaskStatus::Stopped || !t.desired_running {
            return Some(format!(
                "The replacement task {} stopped: {} (see {}).",
                t.id,
                t.stopped_reason.clone().unwrap_or_else(|| "exited".into()),
                t.log
            ));
        }
    }
    None
}

fn finish_unsuccessfully(stack: &Arc<Stack>, id: &str, end: End) {
    let (status, code, message, rollback) = match end {
        End::Shutdown => return,
        End::Failed { code, message } => (DeploymentStatus::Failed, code, message, None),
        End::Stopped {
            rollback,
            code,
            message,
        } => (DeploymentStatus::Stopped, code, message, Some(rollback)),
    };
    let mut rollback_id = None;
    let (original, replacement, switched) = {
        let mut w = stack.world();
        let group_rollback = w.group.auto_rollback;
        let previous = w.current_revision.clone();
        let Some(d) = w.deployment_mut(id) else {
            return;
        };
        let mut failed_marked = false;
        for e in d.events.iter_mut() {
            if e.status == "InProgress" {
                e.status = "Failed";
                e.end = Some(now());
                e.message = Some(message.clone());
                failed_marked = true;
            } else if e.status == "Pending" {
                e.status = "Skipped";
            }
        }
        if !failed_marked && status == DeploymentStatus::Failed {
            d.status_messages.push(message.clone());
        }
        d.status = status;
        d.error = Some((code, message.clone()));
        d.complete_time = Some(now());
        d.target_status = "Failed";
        d.target_updated = now();
        let do_rollback = match rollback {
            Some(r) => r,
            None => d.auto_rollback && group_rollback,
        };
        let out = (d.original.clone(), d.replacement.clone(), d.switched);
        if do_rollback {
            let rid = format!("d-{}", random_id(9, UPPER_ALNUM));
            let why = if status == DeploymentStatus::Failed {
                "failed"
            } else {
                "was stopped"
            };
            d.rollback_id = Some(rid.clone());
            d.rollback_message = Some(format!(
                "Automatic rollback triggered: deployment {id} {why}. Traffic goes back to the original task set ({rid})."
            ));
            let mut rb = Deployment::new(
                rid.clone(),
                DeploymentKind::Rollback { of: id.to_string() },
                previous.clone(),
                "codeDeployRollback",
            );
            rb.previous_revision = Some(d.revision.clone());
            rb.description = Some(format!("Rollback of {id}"));
            rb.rollback_message = Some(format!("Rollback of deployment {id} ({why})"));
            rb.original = out.1.clone();
            rb.replacement = out.0.clone();
            w.deployments.push(rb);
            w.last_attempted = Some(rid.clone());
            rollback_id = Some(rid);
        }
        out
    };
    tracing::warn!(target: "codedeploy", "{id}: {}: {message}", status.as_str());
    if let Some(rid) = rollback_id {
        spawn(Arc::clone(stack), rid);
        return;
    }
    // No rollback: leave one consistent service behind. Traffic already on the
    // replacement keeps it (the original goes); otherwise the replacement goes.
    if switched {
        if let Some(orig) = original {
            ecs::delete_task_set(
                stack,
                &orig,
                "the deployment was stopped after the traffic switch",
            );
        }
    } else {
        if let Some(orig_tg) = original
            .as_deref()
            .and_then(|o| stack.world().task_set(o).map(|ts| ts.tg))
        {
            stack.lb.switch("test", orig_tg);
        }
        if let Some(rep) = replacement {
            ecs::delete_task_set(stack, &rep, "the deployment did not complete");
        }
    }
}

async fn rollback(stack: &Arc<Stack>, id: &str, of: &str) {
    let (from, to) = {
        let w = stack.world();
        let Some(d) = w.deployment(of) else { return };
        (d.replacement.clone(), d.original.clone())
    };
    step(stack, id, BEFORE_INSTALL);
    step(stack, id, INSTALL);
    step(stack, id, AFTER_INSTALL);
    let to_tg = to
        .as_deref()
        .and_then(|t| stack.world().task_set(t).map(|ts| ts.tg));
    begin(stack, id, ALLOW_TEST_TRAFFIC);
    if let Some(tg) = to_tg {
        stack.lb.switch("test", tg);
    }
    succeed(stack, id, ALLOW_TEST_TRAFFIC);
    step(stack, id, AFTER_ALLOW_TEST_TRAFFIC);
    step(stack, id, BEFORE_ALLOW_TRAFFIC);
    begin(stack, id, ALLOW_TRAFFIC);
    if let Some(tg) = to_tg {
        stack.lb.switch("prod", tg);
    }
    if let Some(to) = &to {
        ecs::promote(stack, to);
    }
    with(stack, id, |d| d.switched = true);
    succeed(stack, id, ALLOW_TRAFFIC);
    step(stack, id, AFTER_ALLOW_TRAFFIC);
    if let Some(from) = from {
        ecs::delete_task_set(
            stack,
            &from,
            "rolled back: terminating the replacement task set",
        );
    }
    mark_succeeded(&mut stack.world(), id);
    tracing::info!(target: "codedeploy", "{id}: rollback of {of} Succeeded");
}

/// Deployment `id` ended well: it becomes the group's last successful deployment.
fn mark_succeeded(w: &mut super::model::World, id: &str) {
    w.last_successful = Some(id.to_string());
    if let Some(d) = w.deployment_mut(id) {
        d.status = DeploymentStatus::Succeeded;
        d.target_status = "Succeeded";
        d.complete_time = Some(now());
        d.target_updated = now();
    }
}
