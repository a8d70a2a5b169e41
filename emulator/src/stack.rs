//! Starting, running and stopping the whole local stack in this process.

use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use anyhow::{anyhow, Context};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use super::codedeploy::lifecycle::{self, Platform, Route};
use super::config::Config;
use super::ecs::backend::{StopCode, TaskStatus};
use super::elb::{HealthSettings, Lb, TargetState};
use super::model::{self, now, Names, World};
use super::state::{self, StackState, TaskProcess};
use super::{nlb, tasks};

pub struct Stack {
    pub cfg: Config,
    pub api_url: String,
    pub nlb_url: String,
    pub test_url: String,
    pub lb: Arc<Lb>,
    pub shutdown: CancellationToken,
    /// `sha256:<hex>` of the demo binary: the local "image digest".
    pub demo_digest: String,
    pub started_at: f64,
    pub ready: AtomicBool,
    /// CloudWatch Logs: the tasks' output (and any other local service's groups).
    pub logs: Arc<super::logs::Logs>,
    /// Application Auto Scaling of the service's desired count.
    pub autoscaling: Arc<super::autoscaling::AutoScaling>,
    /// The last auto scaling evaluation (CPU, memory, desired count).
    pub scaling_figures: super::scaling::Figures,
    exe: PathBuf,
    world: Mutex<World>,
    /// Serializes writes of `state.json`; `true` once shutdown removed it for good (a task
    /// supervisor that records an exit afterwards must not write it back).
    save_lock: Mutex<bool>,
    /// The local CodePipeline/CodeBuild (set once the API serves).
    pub pipeline: std::sync::OnceLock<Arc<super::pipeline::driver::LocalPipeline>>,
}

impl Stack {
    /// The model; never hold the guard across an `.await`.
    pub fn world(&self) -> MutexGuard<'_, World> {
        self.world.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn names(&self) -> Names {
        Names {
            region: self.cfg.region.clone(),
        }
    }

    /// Rewrites `state.json` with the current task PIDs.
    pub fn save_state(&self) {
        let removed = self.save_lock.lock().unwrap_or_else(|e| e.into_inner());
        if *removed {
            return;
        }
        let tasks = self
            .world()
            .tasks
            .values()
            .filter_map(|t| {
                Some(TaskProcess {
                    task_id: t.id.clone(),
                    pid: t.pid?,
                    port: t.port,
                })
            })
            .collect();
        let st = StackState {
            pid: std::process::id(),
            exe: self.exe.clone(),
            demo_bin: self.cfg.demo_bin.clone(),
            region: self.cfg.region.clone(),
            api_url: self.api_url.clone(),
            nlb_url: self.nlb_url.clone(),
            test_url: self.test_url.clone(),
            outputs: self.cfg.state_dir.join(state::OUTPUTS_FILE),
            log: self.cfg.state_dir.join(state::LOG_FILE),
            ready: self.ready.load(Ordering::Acquire),
            started_at: self.started_at,
            tasks,
        };
        if let Err(e) = state::write(&self.cfg.state_dir, &st) {
            tracing::error!("{e:#}");
        }
    }

    /// Removes `state.json` for good: later [`Stack::save_state`] calls do nothing.
    fn remove_state(&self) {
        let mut removed = self.save_lock.lock().unwrap_or_else(|e| e.into_inner());
        *removed = true;
        state::remove(&self.cfg.state_dir);
    }

    /// The local equivalent of `terraform output -json` (names in docs/CONTRACTS.md).
    pub fn outputs(&self) -> Value {
        let n = self.names();
        let s = |v: String| json!({"sensitive": false, "type": "string", "value": v});
        let test_listener = self
            .lb
            .listener("test")
            .map(|l| l.arn.clone())
            .unwrap_or_default();
        let nlb_port = self.lb.listener("prod").map(|l| l.port).unwrap_or(0);
        json!({
            "region": s(n.region.clone()),
            "account_id": s(model::ACCOUNT_ID.into()),
            "cluster_name": s(model::CLUSTER.into()),
            "cluster_arn": s(n.cluster_arn()),
            "service_name": s(model::SERVICE.into()),
            "task_family": s(model::FAMILY.into()),
            "container_name": s(model::CONTAINER.into()),
            "container_port": {"sensitive": false, "type": "number", "value": model::CONTAINER_PORT},
            "codedeploy_app_name": s(model::APP_NAME.into()),
            "codedeploy_group_name": s(model::GROUP_NAME.into()),
            "codedeploy_deployment_config": s(model::DEPLOYMENT_CONFIG.into()),
            "target_group_blue_name": s(model::TG_NAMES[0].into()),
            "target_group_blue_arn": s(n.tg_arn(model::TG_NAMES[0])),
            "target_group_green_name": s(model::TG_NAMES[1].into()),
            "target_group_green_arn": s(n.tg_arn(model::TG_NAMES[1])),
            "listener_arn": s(n.listener_arn("prod")),
            "test_listener_arn": s(test_listener),
            "nlb_dns_name": s(format!("127.0.0.1:{nlb_port}")),
            "nlb_url": s(self.nlb_url.clone()),
            "ecr_repository_name": s(model::ECR_REPOSITORY.into()),
            "ecr_repository_url": s(n.ecr_repository_url()),
            "execution_role_arn": s(n.role_arn(model::EXECUTION_ROLE)),
            "task_role_arn": s(n.role_arn(model::TASK_ROLE)),
            "log_group_name": s(model::LOG_GROUP.into()),
            "pipeline_name": s("demo".into()),
            "codebuild_project_name": s("demo".into()),
            "artifact_bucket": s(format!("demo-artifacts-{}", model::ACCOUNT_ID)),
            "connection_arn": s(n.arn("codeconnections", "connection/00000000-0000-0000-0000-000000000000")),
        })
    }
}

async fn bind(port: u16, flag: &str) -> anyhow::Result<TcpListener> {
    TcpListener::bind((Ipv4Addr::LOCALHOST, port))
        .await
        .with_context(|| {
            format!(
                "cannot listen on 127.0.0.1:{port} ({flag} {port}): pick another port with {flag}"
            )
        })
}

/// The initial (blue) task definition: the working tree's `taskdef.json` (as
/// `deployer deploy` finds it) rendered for `image` from the local outputs, as the
/// pipeline would register it.
fn initial_task_definition(stack: &Stack) -> anyhow::Result<Value> {
    let outputs = deployer_models::outputs::Outputs::from_json_str(
        &stack.outputs().to_string(),
        "local outputs",
    )?;
    let image = deployer_models::image::ImageRef::parse(&stack.cfg.image)
        .map_err(|e| anyhow!("--image {:?}: {}", e.value, e.reason))?;
    let td = stack
        .cfg
        .templates
        .render_task_definition(&outputs, &image, &[])?;
    Ok(serde_json::from_str(&td.to_canonical_json())?)
}

/// The appspec of a revision (the content the deployer and `aws ecs deploy` send).
pub fn appspec_revision(task_def_arn: &str) -> Value {
    let content = json!({
        "version": 0.0,
        "Resources": [{"TargetService": {"Type": "AWS::ECS::Service", "Properties": {
            "TaskDefinition": task_def_arn,
            "LoadBalancerInfo": {"ContainerName": model::CONTAINER, "ContainerPort": model::CONTAINER_PORT}
        }}}]
    })
    .to_string();
    let sha = hex(&Sha256::digest(content.as_bytes()));
    json!({"revisionType": "AppSpecContent", "appSpecContent": {"content": content, "sha256": sha}})
}

fn digest_of(path: &PathBuf) -> anyhow::Result<String> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    Ok(format!("sha256:{}", hex(&Sha256::digest(&bytes))))
}

/// Runs the stack in this process until SIGINT/SIGTERM. `on_ready` runs once the
/// initial tasks are healthy behind the NLB.
pub async fn run(cfg: Config, on_ready: impl FnOnce(&Stack)) -> anyhow::Result<()> {
    // Handlers first: a signal that arrives while starting stops the stack cleanly too.
    let signals = Signals::new()?;
    std::fs::create_dir_all(&cfg.state_dir)
        .with_context(|| format!("cannot create the state dir {}", cfg.state_dir.display()))?;
    let api = bind(cfg.api_port, "--api-port").await?;
    let prod = bind(cfg.nlb_port, "--nlb-port").await?;
    let test = match cfg.test_port {
        Some(p) => Some(bind(p, "--test-port").await?),
        None => None,
    };
    let api_port = api.local_addr()?.port();
    let prod_port = prod.local_addr()?.port();
    let test_port = test
        .as_ref()
        .map(|t| t.local_addr())
        .transpose()?
        .map(|a| a.port());
    let names = Names {
        region: cfg.region.clone(),
    };
    let mut listeners = vec![("prod", prod_port)];
    if let Some(p) = test_port {
        listeners.push(("test", p));
    }
    let lb = Arc::new(Lb::new(
        &names,
        &listeners,
        HealthSettings {
            interval: cfg.health_interval,
            timeout: cfg
                .health_interval
                .clamp(Duration::from_secs(1), Duration::from_secs(5)),
            healthy_threshold: cfg.healthy_threshold,
            unhealthy_threshold: cfg.unhealthy_threshold,
        },
    )?);
    let stack = Arc::new(Stack {
        api_url: format!("http://127.0.0.1:{api_port}"),
        nlb_url: format!("http://127.0.0.1:{prod_port}"),
        test_url: test_port
            .map(|p| format!("http://127.0.0.1:{p}"))
            .unwrap_or_default(),
        lb,
        shutdown: CancellationToken::new(),
        demo_digest: digest_of(&cfg.demo_bin)?,
        started_at: now(),
        ready: AtomicBool::new(false),
        logs: Arc::new(super::logs::Logs::new(&cfg.region, model::ACCOUNT_ID)),
        autoscaling: Arc::new(super::autoscaling::AutoScaling::new(
            &cfg.region,
            model::ACCOUNT_ID,
            vec![super::autoscaling::resource_id(
                model::CLUSTER,
                model::SERVICE,
            )],
        )),
        scaling_figures: Default::default(),
        exe: std::env::current_exe().context("cannot find this executable")?,
        world: Mutex::new(World::new(&cfg)),
        save_lock: Mutex::new(false),
        pipeline: std::sync::OnceLock::new(),
        cfg,
    });
    stack.save_state();

    let result = tokio::select! {
        r = run_inner(&stack, api, prod, test, on_ready) => r,
        _ = signals.wait() => Ok(()),
    };
    shutdown(&stack).await;
    result
}

async fn run_inner(
    stack: &Arc<Stack>,
    api: TcpListener,
    prod: TcpListener,
    test: Option<TcpListener>,
    on_ready: impl FnOnce(&Stack),
) -> anyhow::Result<()> {
    let outputs_path = stack.cfg.state_dir.join(state::OUTPUTS_FILE);
    std::fs::write(
        &outputs_path,
        serde_json::to_string_pretty(&stack.outputs())?,
    )
    .with_context(|| format!("cannot write {}", outputs_path.display()))?;

    // The API endpoint.
    let router = super::api::router(Arc::clone(stack));
    let token = stack.shutdown.clone();
    tokio::spawn(async move {
        let serve = axum::serve(api, router).with_graceful_shutdown(async move {
            token.cancelled().await;
        });
        if let Err(e) = serve.await {
            tracing::error!("API endpoint: {e}");
        }
    });
    // The local pipeline (git remote, CodeBuild, CodePipeline); without it (no git on this
    // machine) the rest of the stack still runs and its API says the pipeline is not running.
    if let Err(e) = super::pipeline::driver::attach(stack) {
        tracing::error!("the local pipeline is off: {e:#}");
    }
    // The NLB listeners.
    tokio::spawn(nlb::serve(
        prod,
        Arc::clone(&stack.lb),
        0,
        stack.shutdown.clone(),
    ));
    if let Some(test) = test {
        tokio::spawn(nlb::serve(
            test,
            Arc::clone(&stack.lb),
            1,
            stack.shutdown.clone(),
        ));
    }

    // The service with its initial (blue) task set, as Terraform creates it.
    let td = initial_task_definition(stack)?;
    let ts = {
        let mut w = stack.world();
        let td_arn = w
            .register_task_definition(td)
            .map_err(|e| anyhow!("initial task definition: {}", e.message))?;
        w.current_revision = appspec_revision(&td_arn);
        w.create_task_set(&td_arn, 0, None, true)
    };
    Stack::start_tasks(stack, &ts)?;
    tokio::spawn(reconcile(Arc::clone(stack)));

    // Ready when every initial task is healthy in demo-blue.
    let deadline = tokio::time::Instant::now() + stack.cfg.install_timeout;
    loop {
        if task_set_healthy(stack, &ts) {
            break;
        }
        if tokio::time::Instant::now() >= deadline {
            let logs: Vec<String> = stack
                .world()
                .tasks
                .values()
                .map(|t| t.log.clone())
                .collect();
            return Err(anyhow!(
                "the initial tasks did not become healthy within {} (task logs: {})",
                humantime::format_duration(stack.cfg.install_timeout),
                logs.join(", ")
            ));
        }
        tokio::select! {
            _ = stack.shutdown.cancelled() => return Ok(()),
            _ = tokio::time::sleep(Duration::from_millis(50)) => {}
        }
    }
    stack.ready.store(true, Ordering::Release);
    stack.save_state();
    // Auto scaling, as infra/autoscaling.tf sets it up: the target and a CPU policy.
    super::scaling::start(stack)?;
    on_ready(stack);
    stack.shutdown.cancelled().await;
    Ok(())
}

/// Every task of the task set runs, its container health check (if any) passed, and its
/// target is healthy in the task set's target group.
pub fn task_set_healthy(stack: &Stack, ts_id: &str) -> bool {
    let w = stack.world();
    let Some((tg, tasks)) = w.task_set_running(ts_id) else {
        return false;
    };
    tasks
        .iter()
        .all(|t| stack.lb.target_state(tg, t) == Some(TargetState::Healthy))
}

/// The running stack as the lifecycle engine sees it: tasks are processes, routes are
/// the NLB's listeners, the clock is the wall clock.
impl Platform for Stack {
    fn world(&self) -> MutexGuard<'_, World> {
        Stack::world(self)
    }

    fn now(&self) -> std::time::Instant {
        std::time::Instant::now()
    }

    async fn tick(&self) -> bool {
        tokio::select! {
            _ = self.shutdown.cancelled() => false,
            _ = tokio::time::sleep(lifecycle::TICK) => true,
        }
    }

    fn install_timeout(&self) -> Duration {
        self.cfg.install_timeout
    }

    fn start_tasks(this: &Arc<Self>, task_set: &str) -> anyhow::Result<()> {
        let desired = this.world().task_set(task_set).map_or(0, |ts| ts.desired);
        for _ in 0..desired {
            tasks::start_task(this, task_set)?;
        }
        Ok(())
    }

    /// Deregisters and stops the tasks (SIGTERM; they drain); the set goes once they stopped.
    fn stop_tasks(this: &Arc<Self>, task_set: &str, ids: Vec<String>, reason: &str) {
        for id in &ids {
            tasks::stop_task(this, id, StopCode::ServiceSchedulerInitiated, reason);
        }
        let st = Arc::clone(this);
        let ts_id = task_set.to_string();
        tokio::spawn(async move {
            tasks::wait_stopped(&st, &ids, st.cfg.stop_timeout + Duration::from_secs(5)).await;
            st.world().remove_task_set(&ts_id);
        });
    }

    fn route(&self, route: Route, tg: usize) {
        self.lb.switch(route.kind(), tg);
    }

    fn task_set_healthy(&self, task_set: &str) -> bool {
        task_set_healthy(self, task_set)
    }
}

/// The service scheduler, for the primary task set: replaces tasks that stopped.
async fn reconcile(stack: Arc<Stack>) {
    loop {
        tokio::select! {
            _ = stack.shutdown.cancelled() => return,
            _ = tokio::time::sleep(stack.cfg.health_interval.max(Duration::from_millis(500))) => {}
        }
        // A scale in: stop the newest tasks beyond the desired count.
        let excess = stack.world().excess_tasks();
        for id in excess {
            tasks::stop_task(
                &stack,
                &id,
                StopCode::ServiceSchedulerInitiated,
                "Scaling activity initiated by (deployment of service demo)",
            );
        }
        let missing = stack.world().missing_tasks();
        for (ts, n) in missing {
            for _ in 0..n {
                if stack.shutdown.is_cancelled() {
                    return; // shutdown stops tasks; it must not see them replaced
                }
                if let Err(e) = tasks::start_task(&stack, &ts) {
                    tracing::error!("cannot replace a task of {ts}: {e:#}");
                }
            }
        }
    }
}

struct Signals {
    term: tokio::signal::unix::Signal,
    int: tokio::signal::unix::Signal,
}

impl Signals {
    fn new() -> anyhow::Result<Signals> {
        use tokio::signal::unix::{signal, SignalKind};
        Ok(Signals {
            term: signal(SignalKind::terminate()).context("cannot handle SIGTERM")?,
            int: signal(SignalKind::interrupt()).context("cannot handle SIGINT")?,
        })
    }

    async fn wait(mut self) {
        tokio::select! {
            _ = self.term.recv() => tracing::info!("SIGTERM: stopping the stack"),
            _ = self.int.recv() => tracing::info!("SIGINT: stopping the stack"),
        }
    }
}

/// Stops everything: listeners, then every task (SIGTERM, SIGKILL after the stop
/// timeout), then removes the state file.
async fn shutdown(stack: &Arc<Stack>) {
    stack.shutdown.cancel();
    let ids: Vec<String> = stack
        .world()
        .tasks
        .values()
        .filter(|t| t.last_status != TaskStatus::Stopped)
        .map(|t| t.id.clone())
        .collect();
    for id in &ids {
        tasks::stop_task(
            stack,
            id,
            StopCode::UserInitiated,
            "The local stack is shutting down",
        );
    }
    if !tasks::wait_stopped(stack, &ids, stack.cfg.stop_timeout + Duration::from_secs(2)).await {
        // SIGKILL went out after the stop timeout; the supervisor may not have seen the exit yet.
        for t in stack.world().tasks.values() {
            if let Some(pid) = t.pid {
                state::signal(pid, nix::sys::signal::Signal::SIGKILL);
            }
        }
    }
    stack.remove_state();
    tracing::info!("local stack stopped");
}

/// What `deployer local status` shows.
pub fn status_json(stack: &Stack) -> Value {
    let w = stack.world();
    let listeners: Vec<Value> = stack
        .lb
        .listeners
        .iter()
        .map(|l| json!({"kind": l.kind, "url": format!("http://127.0.0.1:{}", l.port), "target_group": model::TG_NAMES[l.target_group()]}))
        .collect();
    let sets: Vec<Value> = w
        .service
        .task_sets
        .iter()
        .map(|ts| {
            let tasks: Vec<Value> = ts
                .tasks
                .iter()
                .filter_map(|id| w.tasks.get(id))
                .filter(|t| t.last_status != TaskStatus::Stopped)
                .map(|t| {
                    json!({
                        "id": t.id, "status": t.last_status.as_str(), "version": t.version, "az": t.az,
                        "port": t.port, "pid": t.pid, "health": t.health.as_str(),
                        "target": stack.lb.target_state(ts.tg, &t.id).map(|s| s.as_str()),
                        "log": t.log
                    })
                })
                .collect();
            json!({"id": ts.id, "status": ts.status.as_str(), "target_group": model::TG_NAMES[ts.tg],
                   "task_definition": ts.task_def_arn, "tasks": tasks})
        })
        .collect();
    let deployments: Vec<Value> = w
        .deployments
        .iter()
        .rev()
        .take(5)
        .map(|d| {
            let summary = d
                .error
                .as_ref()
                .map(|(c, m)| format!("{}: {m}", <&str>::from(*c)))
                .or_else(|| d.rollback_message.clone())
                .or_else(|| d.appspec.as_ref().map(|a| a.task_definition.clone()))
                .unwrap_or_default();
            json!({"id": d.id, "status": d.status.as_str(), "creator": d.creator, "summary": summary})
        })
        .collect();
    let desired = w.service.desired;
    drop(w);
    let target = stack.autoscaling.target(&super::autoscaling::resource_id(
        model::CLUSTER,
        model::SERVICE,
    ));
    let figures = super::scaling::figures(stack);
    let scaling = json!({
        "desired": desired,
        "min": target.as_ref().map(|t| t.min),
        "max": target.as_ref().map(|t| t.max),
        "cpu_percent": figures.cpu,
        "memory_percent": figures.memory,
    });
    json!({"listeners": listeners, "task_sets": sets, "deployments": deployments, "scaling": scaling})
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The address of a local port (for messages).
pub fn loopback(port: u16) -> SocketAddr {
    SocketAddr::from((Ipv4Addr::LOCALHOST, port))
}
