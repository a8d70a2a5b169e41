//! The CodeDeploy ECS blue/green lifecycle, the engine that moves a deployment along:
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
//! replacement.
//!
//! Lifecycle hooks: at each event the AppSpec's `Hooks` name (BeforeInstall, AfterInstall,
//! AfterAllowTestTraffic, BeforeAllowTraffic, AfterAllowTraffic), each function is invoked
//! asynchronously with `{"DeploymentId", "LifecycleEventHookExecutionId"}` and the event
//! waits for PutLifecycleEventHookExecutionStatus; Failed, an invocation that cannot start
//! (no such function), or no status within the hook timeout (AWS: one hour; locally `local
//! up --hook-timeout`) fails the deployment with HOOK_EXECUTION_FAILURE, which rolls back.
//!
//! The engine keeps its books in the [`World`] (through [`super::backend`] and
//! [`crate::ecs::backend`]) and acts through a [`Platform`]: the running
//! [`crate::runtime::stack::Stack`] (processes, listeners, the wall clock), or in the tests
//! below a bare in-memory world with a fake clock.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::json;

use super::model::{DeploymentKind, DeploymentStatus, FailureCode, Hook, HookStatus};
use crate::ecs::model::launch_of;
use crate::names::{CONTAINER, CONTAINER_PORT};
use crate::world::World;

/// How long the engine waits between two looks at the world.
pub(crate) const TICK: Duration = Duration::from_millis(50);
/// How long a replacement that served production keeps its tasks after a rollback moved
/// production back (the local stand-in for the target group's deregistration delay).
pub(crate) const ROLLBACK_DRAIN: Duration = Duration::from_secs(1);

/// A listener of the load balancer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Route {
    Production,
    Test,
}

impl Route {
    /// The listener's kind in [`crate::elbv2::backend::Lb`].
    pub(crate) fn kind(self) -> &'static str {
        match self {
            Route::Production => "prod",
            Route::Test => "test",
        }
    }
}

/// What the lifecycle needs from the world around it.
pub(crate) trait Platform: Send + Sync + 'static {
    /// The model; never hold the guard across an `.await`.
    fn world(&self) -> impl std::ops::DerefMut<Target = World> + '_;
    /// The engine's clock.
    fn now(&self) -> Instant;
    /// Waits one [`TICK`]; `false` when the stack is shutting down.
    fn tick(&self) -> impl Future<Output = bool> + Send;
    /// How long a replacement task set has to become healthy.
    fn install_timeout(&self) -> Duration;
    /// Starts the tasks of a task set just created in the world.
    fn start_tasks(this: &Arc<Self>, task_set: &str) -> anyhow::Result<()>;
    /// Stops the tasks of a draining task set, then forgets the set.
    fn stop_tasks(this: &Arc<Self>, task_set: &str, tasks: Vec<String>, reason: &str);
    /// Points a listener at target group `tg` (index into `TG_NAMES`).
    fn route(&self, route: Route, tg: usize);
    /// Every task of the task set runs, passes its container health check, and is
    /// healthy in the set's target group.
    fn task_set_healthy(&self, task_set: &str) -> bool;
    /// How long a lifecycle hook waits for its function's status.
    fn hook_timeout(&self) -> Duration;
    /// Invokes hook function `function` asynchronously (Lambda's `Event` invocation) with
    /// `payload`; an error when it cannot be invoked (no such function).
    fn invoke_hook(
        this: &Arc<Self>,
        function: &str,
        payload: serde_json::Value,
    ) -> Result<(), String>;
    /// The alarms among `alarms` that are in ALARM now (CloudWatch DescribeAlarms).
    fn active_alarms(&self, alarms: &[String]) -> Vec<String>;
}

/// Runs deployment `id` (and the rollback it may trigger) in the background.
pub(crate) fn spawn<P: Platform>(p: Arc<P>, id: String) {
    tokio::spawn(async move { run(&p, id).await });
}

/// Runs deployment `id` to its end, then the rollback deployment it triggered, if any.
pub(crate) async fn run<P: Platform>(p: &Arc<P>, id: String) {
    let mut next = Some(id);
    while let Some(id) = next.take() {
        let Some(kind) = p.world().deployment(&id).map(|d| d.kind.clone()) else {
            return;
        };
        p.world().start_deployment(&id);
        match kind {
            DeploymentKind::Rollout => {
                if let Some(end) = rollout(p, &id).await {
                    next = finish_unsuccessfully(p, &id, end);
                }
            }
            DeploymentKind::Rollback { of } => rollback(p, &id, &of).await,
        }
    }
}

/// How a rollout ended, when it did not succeed.
#[derive(Debug)]
enum End {
    Failed {
        code: FailureCode,
        message: String,
    },
    Stopped {
        rollback: bool,
        code: FailureCode,
        message: String,
    },
    /// The stack is shutting down.
    Shutdown,
}

fn failed(code: FailureCode, message: impl Into<String>) -> Option<End> {
    Some(End::Failed {
        code,
        message: message.into(),
    })
}

fn begin<P: Platform>(p: &P, id: &str, hook: Hook) {
    p.world().begin_hook(id, hook);
    tracing::info!(target: "codedeploy", "{id}: {} started", hook.as_str());
}

fn succeed<P: Platform>(p: &P, id: &str, hook: Hook) {
    p.world().hook_succeeded(id, hook);
}

fn step<P: Platform>(p: &P, id: &str, hook: Hook) {
    begin(p, id, hook);
    succeed(p, id, hook);
}

/// A step a rollout's AppSpec may hook: begins it, runs its hook functions, succeeds.
async fn hooked_step<P: Platform>(p: &Arc<P>, id: &str, hook: Hook) -> Option<End> {
    begin(&**p, id, hook);
    if let Some(end) = run_hooks(p, id, hook).await {
        return Some(end);
    }
    succeed(&**p, id, hook);
    None
}

/// Runs the AppSpec's functions for `hook`, in order, each until it reported its status.
async fn run_hooks<P: Platform>(p: &Arc<P>, id: &str, hook: Hook) -> Option<End> {
    let functions: Vec<String> = p
        .world()
        .deployment(id)
        .and_then(|d| d.appspec.as_ref())
        .map(|a| {
            a.hooks
                .iter()
                .filter(|(event, _)| event.eq_ignore_ascii_case(hook.as_str()))
                .map(|(_, f)| f.clone())
                .collect()
        })
        .unwrap_or_default();
    for function in functions {
        let exec_id = uuid::Uuid::new_v4().to_string();
        p.world().hook_invoked(id, hook, &exec_id, &function);
        tracing::info!(target: "codedeploy", "{id}: {} hook: invoking {function}", hook.as_str());
        let payload = json!({"DeploymentId": id, "LifecycleEventHookExecutionId": exec_id});
        if let Err(e) = P::invoke_hook(p, &function, payload) {
            return failed(
                FailureCode::HookExecutionFailure,
                format!(
                    "The {} hook function {function} could not be invoked: {e}",
                    hook.as_str()
                ),
            );
        }
        let timeout = p.hook_timeout();
        let deadline = p.now() + timeout;
        loop {
            let status = p.world().hook_status(id, &exec_id);
            match status {
                Some(HookStatus::Succeeded) => break,
                Some(HookStatus::Failed) => {
                    return failed(
                        FailureCode::HookExecutionFailure,
                        format!(
                            "The {} hook function {function} reported Failed (lifecycle event hook execution {exec_id}).",
                            hook.as_str()
                        ),
                    )
                }
                None => {}
            }
            if p.now() >= deadline {
                return failed(
                    FailureCode::HookExecutionFailure,
                    format!(
                        "The {} hook function {function} reported no status within {} (local --hook-timeout).",
                        hook.as_str(),
                        humantime::format_duration(timeout)
                    ),
                );
            }
            if let Some(end) = tick(&**p, id).await {
                return Some(end);
            }
        }
        tracing::info!(target: "codedeploy", "{id}: {} hook: {function} Succeeded", hook.as_str());
    }
    None
}

/// One tick of waiting; `Some(end)` when the deployment must end now: a StopDeployment
/// request, or an alarm of the group's alarm configuration in ALARM (CodeDeploy polls
/// them throughout a deployment, termination wait included; the deployment stops with
/// ALARM_ACTIVE and rolls back when DEPLOYMENT_STOP_ON_ALARM is among its automatic
/// rollback events).
async fn tick<P: Platform>(p: &P, id: &str) -> Option<End> {
    if !p.tick().await {
        return Some(End::Shutdown);
    }
    let (stop, on_alarm, alarms) = {
        let w = p.world();
        let d = w.deployment(id);
        (
            d.and_then(|d| d.stop),
            d.is_some_and(|d| d.rollback_on_alarm),
            w.group.alarms.clone(),
        )
    };
    if let Some(rollback) = stop {
        return Some(End::Stopped {
            rollback,
            code: FailureCode::ManualStop,
            message: "The deployment was stopped by a StopDeployment request.".into(),
        });
    }
    if alarms.is_empty() {
        return None;
    }
    let active = p.active_alarms(&alarms);
    (!active.is_empty()).then(|| End::Stopped {
        rollback: on_alarm,
        code: FailureCode::AlarmActive,
        message: alarm_message(&active),
    })
}

/// ErrorInformation's message for ALARM_ACTIVE, naming the alarms. The code is AWS's (the
/// API reference's ErrorCode); the text of its message is not published: neither the API
/// reference's ErrorInformation nor the user guide's "Error codes for AWS CodeDeploy" page
/// gives one, and no public issue quotes it. This wording is the local stack's own, after
/// the user guide's description of alarm monitoring; `deploy` and the dashboard read the
/// alarms' names from its `Activated alarms: <a, b>` and, without it, name the alarms in
/// ALARM.
fn alarm_message(active: &[String]) -> String {
    format!(
        "One or more alarms have been activated according to the Amazon CloudWatch metrics you selected, and the affected deployments have been stopped. Activated alarms: <{}>",
        active.join(", ")
    )
}

/// Deletes a task set: it drains in the world, its tasks stop.
fn delete_task_set<P: Platform>(p: &Arc<P>, ts: &str, reason: &str) {
    let tasks = p.world().drain_task_set(ts, reason);
    if let Some(tasks) = tasks {
        P::stop_tasks(p, ts, tasks, reason);
    }
}

/// The task definition of the revision, resolved and checked, and the AppSpec's load
/// balancer container checked against the service's.
fn check_revision(w: &World, id: &str) -> Result<String, String> {
    let Some(appspec) = w.deployment(id).and_then(|d| d.appspec.as_ref()) else {
        return Err(format!("The deployment {id} has no AppSpec."));
    };
    let requested = &appspec.task_definition;
    let arn = match w.resolve_task_def(requested) {
        None => return Err(format!(
            "The task definition {requested} in the AppSpec (Resources[0].Properties.TaskDefinition) is not registered."
        )),
        Some(td) => {
            launch_of(td).map_err(|e| format!("task definition {requested}: {e}"))?;
            td.task_definition_arn.clone()
        }
    };
    if let Some(name) = appspec
        .container_name
        .as_deref()
        .filter(|n| *n != CONTAINER)
    {
        return Err(format!(
            "The AppSpec's LoadBalancerInfo.ContainerName is {name:?}; the service's load balancer uses container {CONTAINER:?}."
        ));
    }
    if let Some(port) = appspec
        .container_port
        .filter(|p| *p != u64::from(CONTAINER_PORT))
    {
        return Err(format!(
            "The AppSpec's LoadBalancerInfo.ContainerPort is {port}; the service's load balancer uses port {CONTAINER_PORT}."
        ));
    }
    Ok(arn)
}

async fn rollout<P: Platform>(p: &Arc<P>, id: &str) -> Option<End> {
    begin(&**p, id, Hook::BeforeInstall);
    // Resolve and check the revision before touching anything.
    let checked = check_revision(&p.world(), id);
    let td_arn = match checked {
        Ok(arn) => arn,
        Err(message) => return failed(FailureCode::InvalidRevision, message),
    };
    if let Some(end) = run_hooks(p, id, Hook::BeforeInstall).await {
        return Some(end);
    }
    succeed(&**p, id, Hook::BeforeInstall);

    begin(&**p, id, Hook::Install);
    let primary = p.world().primary().map(|ts| (ts.id.clone(), ts.tg));
    let Some((original, orig_tg)) = primary else {
        return failed(
            FailureCode::InvalidEcsService,
            "The ECS service demo has no primary task set.",
        );
    };
    let idle_tg = 1 - orig_tg;
    let replacement = {
        let mut w = p.world();
        let rep = w.create_task_set(&td_arn, idle_tg, Some(id.to_string()), false);
        if let Some(d) = w.deployment_mut(id) {
            d.original = Some(original.clone());
            d.replacement = Some(rep.clone());
        }
        rep
    };
    if let Err(e) = P::start_tasks(p, &replacement) {
        return failed(
            FailureCode::EcsUpdateError,
            format!("The replacement task set could not be started: {e:#}"),
        );
    }
    let timeout = p.install_timeout();
    let deadline = p.now() + timeout;
    loop {
        if p.task_set_healthy(&replacement) {
            break;
        }
        let problem = p.world().task_set_problem(&replacement);
        if let Some(problem) = problem {
            return failed(FailureCode::EcsUpdateError, problem);
        }
        if p.now() >= deadline {
            return failed(
                FailureCode::Timeout,
                format!(
                    "The replacement task set {replacement} did not become healthy within {} (local --install-timeout).",
                    humantime::format_duration(timeout)
                ),
            );
        }
        if let Some(end) = tick(&**p, id).await {
            return Some(end);
        }
    }
    succeed(&**p, id, Hook::Install);
    if let Some(end) = hooked_step(p, id, Hook::AfterInstall).await {
        return Some(end);
    }

    begin(&**p, id, Hook::AllowTestTraffic);
    p.route(Route::Test, idle_tg);
    succeed(&**p, id, Hook::AllowTestTraffic);
    if let Some(end) = hooked_step(p, id, Hook::AfterAllowTestTraffic).await {
        return Some(end);
    }

    // The ready wait (STOP_DEPLOYMENT): Ready until ContinueDeployment(READY_WAIT).
    let (ready_stop, ready_wait) = {
        let w = p.world();
        (w.group.ready_stop, w.group.ready_wait)
    };
    if ready_stop {
        p.world().set_ready(id, true);
        tracing::info!(target: "codedeploy", "{id}: Ready, waiting for ContinueDeployment (READY_WAIT)");
        let deadline = p.now() + ready_wait;
        loop {
            if p.world().deployment(id).is_some_and(|d| d.continue_ready) {
                break;
            }
            if p.now() >= deadline {
                return Some(End::Stopped {
                    rollback: true,
                    code: FailureCode::Timeout,
                    message: format!(
                        "Traffic was not rerouted within the ready wait ({}): the deployment was stopped.",
                        humantime::format_duration(ready_wait)
                    ),
                });
            }
            if let Some(end) = tick(&**p, id).await {
                return Some(end);
            }
        }
        p.world().set_ready(id, false);
    }

    if let Some(end) = hooked_step(p, id, Hook::BeforeAllowTraffic).await {
        return Some(end);
    }
    begin(&**p, id, Hook::AllowTraffic);
    p.route(Route::Production, idle_tg);
    {
        let mut w = p.world();
        w.promote(&replacement);
        if let Some(d) = w.deployment_mut(id) {
            d.switched = true;
        }
    }
    succeed(&**p, id, Hook::AllowTraffic);
    if let Some(end) = hooked_step(p, id, Hook::AfterAllowTraffic).await {
        return Some(end);
    }

    // The termination wait: the original task set stays up (rollback window).
    let wait = {
        let mut w = p.world();
        if let Some(d) = w.deployment_mut(id) {
            d.termination_wait_started = true;
        }
        w.group.termination_wait
    };
    let deadline = p.now() + wait;
    while p.now() < deadline {
        if p.world()
            .deployment(id)
            .is_some_and(|d| d.continue_termination)
        {
            break;
        }
        if let Some(end) = tick(&**p, id).await {
            return Some(end);
        }
    }
    delete_task_set(
        p,
        &original,
        "the deployment succeeded: terminating the original task set",
    );
    {
        let mut w = p.world();
        if let Some(r) = w.deployment(id).map(|d| d.revision.clone()) {
            w.current_revision = r;
        }
        w.mark_succeeded(id);
    }
    tracing::info!(target: "codedeploy", "{id}: Succeeded");
    None
}

/// Ends a rollout that did not succeed; returns the rollback deployment to run next.
fn finish_unsuccessfully<P: Platform>(p: &Arc<P>, id: &str, end: End) -> Option<String> {
    let (status, code, message, rollback) = match end {
        End::Shutdown => return None,
        End::Failed { code, message } => (DeploymentStatus::Failed, code, message, None),
        End::Stopped {
            rollback,
            code,
            message,
        } => (DeploymentStatus::Stopped, code, message, Some(rollback)),
    };
    let ended = p
        .world()
        .end_deployment(id, status, code, &message, rollback)?;
    tracing::warn!(target: "codedeploy", "{id}: {}: {message}", status.as_str());
    if ended.rollback.is_some() {
        return ended.rollback;
    }
    // No rollback: leave one consistent service behind. Traffic already on the
    // replacement keeps it (the original goes); otherwise the replacement goes.
    if ended.switched {
        if let Some(orig) = ended.original {
            delete_task_set(
                p,
                &orig,
                "the deployment was stopped after the traffic switch",
            );
        }
    } else {
        let orig_tg = ended
            .original
            .as_deref()
            .and_then(|o| p.world().task_set(o).map(|ts| ts.tg));
        if let Some(orig_tg) = orig_tg {
            p.route(Route::Test, orig_tg);
        }
        if let Some(rep) = ended.replacement {
            delete_task_set(p, &rep, "the deployment did not complete");
        }
    }
    None
}

async fn rollback<P: Platform>(p: &Arc<P>, id: &str, of: &str) {
    let Some((from, to, served_production)) = p
        .world()
        .deployment(of)
        .map(|d| (d.replacement.clone(), d.original.clone(), d.switched))
    else {
        return;
    };
    step(&**p, id, Hook::BeforeInstall);
    step(&**p, id, Hook::Install);
    step(&**p, id, Hook::AfterInstall);
    let to_tg = to
        .as_deref()
        .and_then(|t| p.world().task_set(t).map(|ts| ts.tg));
    begin(&**p, id, Hook::AllowTestTraffic);
    if let Some(tg) = to_tg {
        p.route(Route::Test, tg);
    }
    succeed(&**p, id, Hook::AllowTestTraffic);
    step(&**p, id, Hook::AfterAllowTestTraffic);
    step(&**p, id, Hook::BeforeAllowTraffic);
    begin(&**p, id, Hook::AllowTraffic);
    if let Some(tg) = to_tg {
        p.route(Route::Production, tg);
    }
    {
        let mut w = p.world();
        if let Some(to) = &to {
            w.promote(to);
        }
        if let Some(d) = w.deployment_mut(id) {
            d.switched = true;
        }
    }
    succeed(&**p, id, Hook::AllowTraffic);
    step(&**p, id, Hook::AfterAllowTraffic);
    if served_production {
        // The replacement served production until the switch just now (a rollback by an
        // alarm, or by a person after the switch): connections the listener gave it an
        // instant before are answered before its tasks stop, as the target group's
        // deregistration delay lets them be on AWS. Stopping at once left one production
        // request of a curl loop unanswered now and then.
        let until = p.now() + ROLLBACK_DRAIN;
        while p.now() < until {
            if !p.tick().await {
                return;
            }
        }
    }
    if let Some(from) = from {
        delete_task_set(
            p,
            &from,
            "rolled back: terminating the replacement task set",
        );
    }
    p.world().mark_succeeded(id);
    tracing::info!(target: "codedeploy", "{id}: rollback of {of} Succeeded");
}

/// The lifecycle on a bare in-memory world: no sockets, no processes, a fake clock (each
/// tick advances it by [`TICK`] at once), tasks healthy or not as the test says.
#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Mutex;

    use serde_json::json;

    use super::*;
    use crate::codedeploy::model::{
        AppSpec, EventStatus, GroupSettings, NewDeployment, TargetStatus, WaitType,
    };
    use crate::ecs::model::{Health, NewTask, StopCode, TaskStatus};
    use crate::names::{random_id, HEX};

    struct Fake {
        world: Mutex<World>,
        base: Instant,
        elapsed: Mutex<Duration>,
        /// Whether tasks started from now on pass their health checks.
        healthy: AtomicBool,
        /// The target group of each listener: [production, test].
        routes: Mutex<[usize; 2]>,
        /// What the fake hook functions report (`None`: nothing, they time out), and the
        /// invocations so far (function, payload).
        hook_answer: Mutex<Option<HookStatus>>,
        /// (function, payload, the listeners' target groups when it was invoked).
        invocations: Mutex<Vec<(String, serde_json::Value, [usize; 2])>>,
        /// The alarms in ALARM.
        alarming: Mutex<Vec<String>>,
    }

    impl Platform for Fake {
        fn world(&self) -> impl std::ops::DerefMut<Target = World> + '_ {
            self.world.lock().unwrap()
        }
        fn now(&self) -> Instant {
            self.base + *self.elapsed.lock().unwrap()
        }
        async fn tick(&self) -> bool {
            *self.elapsed.lock().unwrap() += TICK;
            tokio::task::yield_now().await;
            true
        }
        fn install_timeout(&self) -> Duration {
            Duration::from_secs(60)
        }
        fn start_tasks(this: &Arc<Self>, task_set: &str) -> anyhow::Result<()> {
            let healthy = this.healthy.load(Ordering::SeqCst);
            let mut w = this.world();
            let ts = w.task_set(task_set).expect("task set exists");
            let (desired, td) = (ts.desired, ts.task_def_arn.clone());
            for _ in 0..desired {
                let id = random_id(32, HEX);
                w.record_task(
                    task_set,
                    &td,
                    NewTask {
                        id: id.clone(),
                        image: "demo:test".into(),
                        version: "test".into(),
                        port: 0,
                        pid: None,
                        has_health_check: true,
                        log: "(no log: a fake task)".into(),
                    },
                );
                if healthy {
                    w.tasks.get_mut(&id).expect("recorded").health = Health::Healthy;
                }
            }
            Ok(())
        }
        fn stop_tasks(this: &Arc<Self>, task_set: &str, tasks: Vec<String>, reason: &str) {
            let mut w = this.world();
            for t in &tasks {
                w.stopping(t, StopCode::ServiceSchedulerInitiated, reason);
                w.exited(t, Some(0));
            }
            w.remove_task_set(task_set);
        }
        fn route(&self, route: Route, tg: usize) {
            self.routes.lock().unwrap()[route as usize] = tg;
        }
        fn task_set_healthy(&self, task_set: &str) -> bool {
            self.world().task_set_running(task_set).is_some()
        }
        fn hook_timeout(&self) -> Duration {
            Duration::from_secs(30)
        }
        fn invoke_hook(
            this: &Arc<Self>,
            function: &str,
            payload: serde_json::Value,
        ) -> Result<(), String> {
            if function == "missing" {
                return Err("Function not found: missing".into());
            }
            let routes = *this.routes.lock().unwrap();
            this.invocations
                .lock()
                .unwrap()
                .push((function.to_string(), payload.clone(), routes));
            // The function reports at once, as the real one does through the API.
            if let Some(status) = *this.hook_answer.lock().unwrap() {
                let id = payload["DeploymentId"].as_str().unwrap();
                let exec = payload["LifecycleEventHookExecutionId"].as_str().unwrap();
                this.world()
                    .put_hook_status(Some(id), Some(exec), Some(<&str>::from(status)))
                    .expect("a valid hook status");
            }
            Ok(())
        }
        fn active_alarms(&self, alarms: &[String]) -> Vec<String> {
            let on = self.alarming.lock().unwrap();
            alarms.iter().filter(|a| on.contains(a)).cloned().collect()
        }
    }

    const MINUTE: Duration = Duration::from_secs(60);

    fn settings(ready_stop: bool, termination_wait: Duration) -> GroupSettings {
        GroupSettings {
            ready_stop,
            ready_wait: 60 * MINUTE,
            termination_wait,
            auto_rollback: true,
            alarms: vec!["demo-http-5xx".into()],
        }
    }

    /// A stack with `demo:1` running healthy in demo-blue and a deployment of `demo:2`
    /// created; returns the platform, the deployment id and the original task set.
    fn stack(group: GroupSettings, replacement_healthy: bool) -> (Arc<Fake>, String, String) {
        let p = Arc::new(Fake {
            world: Mutex::new(World::with("us-east-1", 2, group)),
            base: Instant::now(),
            elapsed: Mutex::new(Duration::ZERO),
            healthy: AtomicBool::new(true),
            routes: Mutex::new([0, 0]),
            hook_answer: Mutex::new(Some(HookStatus::Succeeded)),
            invocations: Mutex::new(Vec::new()),
            alarming: Mutex::new(Vec::new()),
        });
        let original = {
            let mut w = p.world();
            for image in ["demo:v1", "demo:v2"] {
                w.register_task_definition(json!({
                    "family": "demo",
                    "containerDefinitions": [{"name": "demo", "image": image}]
                }))
                .expect("valid task definition");
            }
            let td = w
                .resolve_task_def("demo:1")
                .expect("registered")
                .task_definition_arn
                .clone();
            w.create_task_set(&td, 0, None, true)
        };
        Fake::start_tasks(&p, &original).expect("fake tasks start");
        p.healthy.store(replacement_healthy, Ordering::SeqCst);
        let id = p
            .world()
            .create_deployment(NewDeployment {
                revision: json!({"revisionType": "AppSpecContent", "appSpecContent": {"content": "v2"}}),
                appspec: AppSpec {
                    task_definition: "demo:2".into(),
                    container_name: Some("demo".into()),
                    container_port: Some(3000),
                    hooks: vec![(
                        "AfterAllowTestTraffic".into(),
                        "demo-validate".into(),
                    )],
                },
                description: None,
                auto_rollback: true,
            })
            .expect("no deployment active");
        (p, id, original)
    }

    fn elapsed(p: &Fake) -> Duration {
        *p.elapsed.lock().unwrap()
    }

    fn status(p: &Fake, id: &str) -> DeploymentStatus {
        p.world().deployment(id).expect("deployment").status
    }

    /// Lets the engine (spawned on this current-thread runtime) run until `done`.
    async fn until(p: &Fake, what: &str, done: impl Fn(&World) -> bool) {
        for _ in 0..20_000 {
            if done(&p.world()) {
                return;
            }
            tokio::task::yield_now().await;
        }
        panic!("never reached: {what} (fake time {:?})", elapsed(p));
    }

    /// The deployment's rollback: Succeeded, and the service back as it was.
    fn assert_rolled_back(p: &Fake, id: &str, original: &str) {
        let w = p.world();
        let d = w.deployment(id).expect("deployment");
        let rid = d.rollback_id.clone().expect("a rollback was triggered");
        let rb = w.deployment(&rid).expect("rollback deployment");
        assert_eq!(rb.creator, "codeDeployRollback");
        assert_eq!(rb.kind, DeploymentKind::Rollback { of: id.into() });
        assert_eq!(rb.status, DeploymentStatus::Succeeded);
        assert!(rb.events.iter().all(|e| e.status == EventStatus::Succeeded));
        assert_eq!(w.last_successful.as_deref(), Some(rid.as_str()));
        assert_eq!(
            *p.routes.lock().unwrap(),
            [0, 0],
            "traffic back on demo-blue"
        );
        assert_eq!(w.primary().map(|ts| ts.id.as_str()), Some(original));
        assert_eq!(w.service.task_sets.len(), 1, "the replacement is gone");
        let replacement = d.replacement.as_deref().expect("replacement");
        assert!(w
            .tasks
            .values()
            .filter(|t| t.task_set_id == replacement)
            .all(|t| t.last_status == TaskStatus::Stopped));
    }

    #[tokio::test]
    async fn a_good_deployment_switches_both_listeners_and_waits_to_terminate() {
        let (p, id, original) = stack(settings(false, 5 * MINUTE), true);
        run(&p, id.clone()).await;

        let w = p.world();
        let d = w.deployment(&id).expect("deployment");
        assert_eq!(d.status, DeploymentStatus::Succeeded);
        assert_eq!(d.target_status, TargetStatus::Succeeded);
        assert!(d.error.is_none() && d.rollback_id.is_none());
        let events: Vec<_> = d.events.iter().map(|e| (e.hook, e.status)).collect();
        let all_ok: Vec<_> = Hook::ALL
            .iter()
            .map(|h| (*h, EventStatus::Succeeded))
            .collect();
        assert_eq!(events, all_ok);
        assert_eq!(
            *p.routes.lock().unwrap(),
            [1, 1],
            "both listeners on demo-green"
        );
        let primary = w.primary().expect("a primary task set");
        assert_eq!(Some(&primary.id), d.replacement.as_ref());
        assert!(primary.task_def_arn.ends_with("task-definition/demo:2"));
        assert!(
            w.task_set(&original).is_none(),
            "the original task set is gone"
        );
        assert_eq!(w.last_successful.as_deref(), Some(id.as_str()));
        assert_eq!(w.current_revision, d.revision);
        assert!(d.termination_wait_started);
        let t = elapsed(&p);
        assert!(
            t >= 5 * MINUTE && t < 6 * MINUTE,
            "the termination wait lasted {t:?}"
        );
    }

    #[tokio::test]
    async fn the_hook_runs_after_test_traffic_and_its_success_lets_the_deployment_go_on() {
        let (p, id, _) = stack(settings(false, Duration::ZERO), true);
        run(&p, id.clone()).await;
        assert_eq!(status(&p, &id), DeploymentStatus::Succeeded);
        let calls = p.invocations.lock().unwrap().clone();
        assert_eq!(calls.len(), 1, "{calls:?}");
        assert_eq!(calls[0].0, "demo-validate");
        assert_eq!(calls[0].1["DeploymentId"], id.as_str());
        assert_eq!(
            calls[0].2,
            [0, 1],
            "invoked with test traffic on the replacement"
        );
        let w = p.world();
        let d = w.deployment(&id).unwrap();
        assert_eq!(d.hook_executions.len(), 1);
        assert_eq!(d.hook_executions[0].hook, Hook::AfterAllowTestTraffic);
        assert_eq!(
            calls[0].1["LifecycleEventHookExecutionId"],
            d.hook_executions[0].id.as_str()
        );
    }

    /// A failed or silent hook: the deployment fails with HOOK_EXECUTION_FAILURE at
    /// AfterAllowTestTraffic, production never moved, and it rolls back.
    async fn a_hook_that_does_not_succeed(answer: Option<HookStatus>, function: &str) -> String {
        let (p, id, original) = stack(settings(false, 5 * MINUTE), true);
        *p.hook_answer.lock().unwrap() = answer;
        p.world()
            .deployment_mut(&id)
            .unwrap()
            .appspec
            .as_mut()
            .unwrap()
            .hooks[0]
            .1 = function.into();
        run(&p, id.clone()).await;
        if function != "missing" {
            let calls = p.invocations.lock().unwrap().clone();
            assert_eq!(calls.len(), 1);
            assert_eq!(calls[0].2, [0, 1], "test traffic only, on the replacement");
        }
        let message = {
            let w = p.world();
            let d = w.deployment(&id).unwrap();
            assert_eq!(d.status, DeploymentStatus::Failed);
            let (code, message) = d.error.clone().unwrap();
            assert_eq!(code, FailureCode::HookExecutionFailure);
            let event = &d.events[Hook::AfterAllowTestTraffic as usize];
            assert_eq!(event.status, EventStatus::Failed);
            assert!(!d.switched, "production never moved");
            assert!(d.events[Hook::BeforeAllowTraffic as usize..]
                .iter()
                .all(|e| e.status == EventStatus::Skipped));
            message
        };
        assert_rolled_back(&p, &id, &original);
        message
    }

    #[tokio::test]
    async fn a_hook_that_reports_failed_rolls_back_before_production_moves() {
        let m = a_hook_that_does_not_succeed(Some(HookStatus::Failed), "demo-validate").await;
        assert!(
            m.contains("AfterAllowTestTraffic hook function demo-validate reported Failed"),
            "{m}"
        );
    }

    #[tokio::test]
    async fn a_hook_without_a_status_fails_at_the_hook_timeout() {
        let m = a_hook_that_does_not_succeed(None, "demo-validate").await;
        assert!(m.contains("reported no status within 30s"), "{m}");
    }

    #[tokio::test]
    async fn a_hook_naming_no_function_fails() {
        let m = a_hook_that_does_not_succeed(Some(HookStatus::Succeeded), "missing").await;
        assert!(
            m.contains("could not be invoked: Function not found"),
            "{m}"
        );
    }

    #[tokio::test]
    async fn a_hook_status_is_taken_once_and_only_for_its_execution() {
        let (p, id, _) = stack(settings(false, Duration::ZERO), true);
        let mut w = p.world();
        w.hook_invoked(&id, Hook::AfterAllowTestTraffic, "e-1", "demo-validate");
        let code = |r: Result<String, crate::wire::error::AwsError<crate::codedeploy::Error>>| {
            r.unwrap_err().code_str()
        };
        assert_eq!(
            code(w.put_hook_status(Some(&id), Some("e-2"), Some("Succeeded"))),
            "InvalidLifecycleEventHookExecutionIdException"
        );
        assert_eq!(
            code(w.put_hook_status(Some(&id), Some("e-1"), Some("Pending"))),
            "InvalidLifecycleEventHookExecutionStatusException"
        );
        assert_eq!(
            code(w.put_hook_status(Some("d-AAAAAAAAA"), Some("e-1"), Some("Failed"))),
            "DeploymentDoesNotExistException"
        );
        assert_eq!(
            w.put_hook_status(Some(&id), Some("e-1"), Some("Failed")),
            Ok("e-1".into())
        );
        assert_eq!(w.hook_status(&id, "e-1"), Some(HookStatus::Failed));
        assert_eq!(
            code(w.put_hook_status(Some(&id), Some("e-1"), Some("Succeeded"))),
            "LifecycleEventAlreadyCompletedException"
        );
    }

    #[tokio::test]
    async fn a_replacement_that_never_gets_healthy_fails_and_rolls_back() {
        let (p, id, original) = stack(settings(false, 5 * MINUTE), false);
        run(&p, id.clone()).await;

        {
            let w = p.world();
            let d = w.deployment(&id).expect("deployment");
            assert_eq!(d.status, DeploymentStatus::Failed);
            assert_eq!(d.target_status, TargetStatus::Failed);
            let (code, message) = d.error.clone().expect("error information");
            assert_eq!(code, FailureCode::Timeout);
            assert!(
                message.contains("did not become healthy within 1m"),
                "{message}"
            );
            let install = &d.events[Hook::Install as usize];
            assert_eq!(install.status, EventStatus::Failed);
            assert_eq!(install.message.as_deref(), Some(message.as_str()));
            assert!(d.events[Hook::AfterInstall as usize..]
                .iter()
                .all(|e| e.status == EventStatus::Skipped));
            assert!(!d.switched);
        }
        let t = elapsed(&p);
        assert!(
            t >= MINUTE && t < 2 * MINUTE,
            "install timeout of 1m, took {t:?}"
        );
        assert_rolled_back(&p, &id, &original);
    }

    /// The 5xx alarm going to ALARM during the termination wait (traffic already on the
    /// replacement) stops the deployment with ALARM_ACTIVE naming the alarm, and the
    /// rollback puts traffic back on the original task set.
    #[tokio::test]
    async fn an_alarm_during_the_termination_wait_stops_and_rolls_back() {
        let (p, id, original) = stack(settings(false, 5 * MINUTE), true);
        let h = tokio::spawn({
            let p = Arc::clone(&p);
            let id = id.clone();
            async move { run(&p, id).await }
        });
        until(&p, "the termination wait", |w| {
            w.deployment(&id)
                .is_some_and(|d| d.termination_wait_started)
        })
        .await;
        assert_eq!(*p.routes.lock().unwrap(), [1, 1], "traffic on demo-green");
        let started = elapsed(&p);
        // An alarm the group does not watch changes nothing.
        p.alarming.lock().unwrap().push("unrelated".into());
        for _ in 0..50 {
            tokio::task::yield_now().await;
        }
        assert_eq!(status(&p, &id), DeploymentStatus::InProgress);
        p.alarming.lock().unwrap().push("demo-http-5xx".into());
        h.await.expect("the engine does not panic");
        let d = p.world().deployment(&id).unwrap().clone();
        assert_eq!(d.status, DeploymentStatus::Stopped);
        let (code, message) = d.error.clone().unwrap();
        assert_eq!(<&str>::from(code), "ALARM_ACTIVE");
        assert!(
            message.ends_with("Activated alarms: <demo-http-5xx>"),
            "{message}"
        );
        assert!(
            elapsed(&p) - started < MINUTE,
            "stopped within ticks, not at the end of the 5 minute wait"
        );
        assert_rolled_back(&p, &id, &original);
    }

    /// Without DEPLOYMENT_STOP_ON_ALARM among the deployment's rollback events, an alarm
    /// still stops it, and the traffic stays where it is.
    #[tokio::test]
    async fn an_alarm_without_stop_on_alarm_rollback_stops_without_rollback() {
        let (p, id, _original) = stack(settings(false, 5 * MINUTE), true);
        p.world().deployment_mut(&id).unwrap().rollback_on_alarm = false;
        p.alarming.lock().unwrap().push("demo-http-5xx".into());
        run(&p, id.clone()).await;
        let d = p.world().deployment(&id).unwrap().clone();
        assert_eq!(d.status, DeploymentStatus::Stopped);
        assert_eq!(d.error.map(|(c, _)| c), Some(FailureCode::AlarmActive));
        assert!(d.rollback_id.is_none());
        // The fake's tasks and hook answer at once: the first wait is the termination wait.
        assert!(d.switched, "stopped after the traffic moved");
        assert_eq!(
            *p.routes.lock().unwrap(),
            [1, 1],
            "traffic stays on demo-green"
        );
        assert_eq!(p.world().service.task_sets.len(), 1, "the original is gone");
    }

    #[tokio::test]
    async fn a_task_that_fails_its_health_check_fails_the_deployment_at_once() {
        let (p, id, original) = stack(settings(false, 5 * MINUTE), false);
        let h = tokio::spawn({
            let p = Arc::clone(&p);
            let id = id.clone();
            async move { run(&p, id).await }
        });
        until(&p, "the replacement's tasks started", |w| {
            w.deployment(&id)
                .and_then(|d| d.replacement.clone())
                .is_some()
        })
        .await;
        {
            let mut w = p.world();
            let rep = w
                .deployment(&id)
                .and_then(|d| d.replacement.clone())
                .unwrap();
            let task = w.task_set(&rep).unwrap().tasks[0].clone();
            w.tasks.get_mut(&task).unwrap().health = Health::Unhealthy;
        }
        h.await.expect("the engine does not panic");
        let (code, message) = p.world().deployment(&id).unwrap().error.clone().unwrap();
        assert_eq!(code, FailureCode::EcsUpdateError);
        assert!(
            message.contains("failed its container health checks"),
            "{message}"
        );
        assert!(elapsed(&p) < MINUTE, "no wait for the install timeout");
        assert_rolled_back(&p, &id, &original);
    }

    #[tokio::test]
    async fn stop_with_rollback_during_the_ready_wait() {
        let (p, id, original) = stack(settings(true, 5 * MINUTE), true);
        let h = tokio::spawn({
            let p = Arc::clone(&p);
            let id = id.clone();
            async move { run(&p, id).await }
        });
        until(&p, "Ready", |w| {
            w.deployment(&id).unwrap().status == DeploymentStatus::Ready
        })
        .await;
        assert_eq!(*p.routes.lock().unwrap(), [0, 1], "test traffic only");
        p.world().stop_deployment(&id, true).expect("stoppable");
        h.await.expect("the engine does not panic");

        {
            let w = p.world();
            let d = w.deployment(&id).unwrap();
            assert_eq!(d.status, DeploymentStatus::Stopped);
            assert_eq!(d.error.as_ref().map(|e| e.0), Some(FailureCode::ManualStop));
            assert!(d.events[Hook::BeforeAllowTraffic as usize..]
                .iter()
                .all(|e| e.status == EventStatus::Skipped));
        }
        assert_rolled_back(&p, &id, &original);
        assert!(
            p.world().stop_deployment(&id, true).is_err(),
            "a completed deployment cannot be stopped"
        );
    }

    #[tokio::test]
    async fn the_ready_wait_holds_production_until_continue() {
        let (p, id, _) = stack(settings(true, Duration::ZERO), true);
        let h = tokio::spawn({
            let p = Arc::clone(&p);
            let id = id.clone();
            async move { run(&p, id).await }
        });
        until(&p, "Ready", |w| {
            w.deployment(&id).unwrap().status == DeploymentStatus::Ready
        })
        .await;
        assert_eq!(
            p.world().deployment(&id).unwrap().target_status,
            TargetStatus::Ready
        );
        // Still Ready a while later: only ContinueDeployment moves it on.
        let before = elapsed(&p);
        for _ in 0..1_000 {
            tokio::task::yield_now().await;
        }
        assert!(elapsed(&p) >= before + 10 * TICK, "the engine kept waiting");
        assert_eq!(status(&p, &id), DeploymentStatus::Ready);
        assert_eq!(*p.routes.lock().unwrap(), [0, 1]);
        assert!(p
            .world()
            .continue_deployment(&id, WaitType::TerminationWait)
            .is_err());
        p.world()
            .continue_deployment(&id, WaitType::ReadyWait)
            .expect("Ready");
        h.await.expect("the engine does not panic");
        assert_eq!(status(&p, &id), DeploymentStatus::Succeeded);
        assert_eq!(*p.routes.lock().unwrap(), [1, 1]);
    }

    #[tokio::test]
    async fn continue_skips_the_termination_wait() {
        let (p, id, original) = stack(settings(false, 60 * MINUTE), true);
        let h = tokio::spawn({
            let p = Arc::clone(&p);
            let id = id.clone();
            async move { run(&p, id).await }
        });
        until(&p, "the termination wait", |w| {
            w.deployment(&id).unwrap().termination_wait_started
        })
        .await;
        assert!(
            p.world().task_set(&original).is_some(),
            "kept during the wait"
        );
        p.world()
            .continue_deployment(&id, WaitType::TerminationWait)
            .expect("waiting");
        h.await.expect("the engine does not panic");
        assert_eq!(status(&p, &id), DeploymentStatus::Succeeded);
        assert!(p.world().task_set(&original).is_none());
        let t = elapsed(&p);
        assert!(t < MINUTE, "the hour-long wait was skipped, took {t:?}");
    }
}
