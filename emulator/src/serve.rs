//! Starting, running and stopping the whole local stack in this process: binds the
//! listeners, builds the [`Stack`], serves the [`router`], attaches the pipeline, starts
//! the service's initial tasks and the scheduler, and stops it all on SIGINT/SIGTERM.

use std::net::Ipv4Addr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{anyhow, Context};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::autoscaling::backend::{resource_id, AutoScaling};
use crate::cloudwatch::backend::CloudWatch;
use crate::codedeploy::lifecycle::Platform;
use crate::codepipeline::driver::{self, PipelineRecords};
use crate::config::Config;
use crate::ecr::backend::{hex, split_image, ImageStore};
use crate::ecs::model::{StopCode, TaskStatus};
use crate::elbv2::backend::{HealthSettings, Lb};
use crate::lambda::backend::{Lambda, NewFunction};
use crate::logs::backend::Logs;
use crate::names::{self, Names};
use crate::router;
use crate::runtime::stack::Stack;
use crate::runtime::{alarms, nlb, records, scaling, state, tasks};
use crate::world::World;
use deployer_models::time::now_secs as now;

/// Where the running stack listens, for its caller's "ready" message.
#[derive(Debug, Clone)]
pub struct Endpoints {
    /// The AWS API endpoint (`AWS_ENDPOINT_URL`).
    pub api_url: String,
    /// The NLB's production listener.
    pub nlb_url: String,
    /// The NLB's test listener; empty when off.
    pub test_url: String,
}

/// A listener on 127.0.0.1:`port` with an accept queue of [`BACKLOG`] (std's and tokio's
/// `bind` ask for 128: past the NLB's connection cap, a client then waited for a SYN retry
/// instead of in the queue).
async fn bind(port: u16, flag: &str) -> anyhow::Result<TcpListener> {
    let listen = || -> std::io::Result<TcpListener> {
        let socket = tokio::net::TcpSocket::new_v4()?;
        // As std's `bind` on Unix: a port in TIME_WAIT from the last stack is free.
        socket.set_reuseaddr(true)?;
        socket.bind((Ipv4Addr::LOCALHOST, port).into())?;
        socket.listen(BACKLOG)
    };
    listen().with_context(|| {
        format!("cannot listen on 127.0.0.1:{port} ({flag} {port}): pick another port with {flag}")
    })
}

/// The accept queue of the stack's listeners (the kernel caps it at `net.core.somaxconn`).
const BACKLOG: u32 = 1024;

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
pub(crate) fn appspec_revision(task_def_arn: &str) -> Value {
    let content = json!({
        "version": 0.0,
        "Resources": [{"TargetService": {"Type": "AWS::ECS::Service", "Properties": {
            "TaskDefinition": task_def_arn,
            "LoadBalancerInfo": {"ContainerName": names::CONTAINER, "ContainerPort": names::CONTAINER_PORT}
        }}}]
    })
    .to_string();
    let sha = hex(&Sha256::digest(content.as_bytes()));
    json!({"revisionType": "AppSpecContent", "appSpecContent": {"content": content, "sha256": sha}})
}

/// The local ECR (`<state dir>/ecr`) with its repository, and the initial image in it:
/// `up` pushes the demo binary as `--image` (`docker push` of the first image, which
/// Terraform's first-deploy does on AWS). An image that exists already (a state dir used
/// before) stays as it is: tags are immutable, and a restarted stack runs what it ran.
fn open_images(cfg: &Config) -> anyhow::Result<ImageStore> {
    let images = ImageStore::new(cfg.state_dir.join(driver::ECR_DIR), names::ACCOUNT_ID);
    images
        .create_repository(names::ECR_REPOSITORY)
        .map_err(|e| anyhow!("{e}"))?;
    let (_, repo, tag) = split_image(&cfg.image);
    if repo != names::ECR_REPOSITORY {
        return Err(anyhow!(
            "--image {:?}: the local ECR has one repository, {}: give {}:<tag>",
            cfg.image,
            names::ECR_REPOSITORY,
            names::ECR_REPOSITORY
        ));
    }
    if images.resolve(&cfg.image).is_none() {
        if tag.starts_with("sha256:") {
            return Err(anyhow!(
                "--image {:?}: no image with that digest in the local ECR (push it with `deployer local push TAG`, or give a tag)",
                cfg.image
            ));
        }
        let rec = images
            .put(repo.as_str(), &tag, &cfg.demo_bin, "unknown", &tag)
            .map_err(|e| anyhow!("cannot push the initial image {}: {e}", cfg.image))?;
        tracing::info!("pushed {} ({}) to the local ECR", cfg.image, rec.digest);
    }
    Ok(images)
}

/// The hook functions the working tree's appspec names (`Hooks`), created as
/// infra/hook.tf creates them: the hook crate's `bootstrap` as their code, its defaults
/// (timeout, memory, the `HOOK_*` thresholds) as their configuration.
fn register_hook_functions(stack: &Stack) -> anyhow::Result<()> {
    let template = &stack.cfg.templates.appspec;
    let spec = deployer_models::appspec::AppSpec::from_yaml_str(
        &template.text,
        &template.path.display().to_string(),
    )?;
    let names: std::collections::BTreeSet<&str> = spec
        .hooks
        .iter()
        .flat_map(|h| h.values())
        .map(|f| f.rsplit(':').next().unwrap_or(f))
        .collect();
    for name in names {
        let f = stack
            .lambda
            .create(NewFunction {
                name: name.to_string(),
                code: stack.cfg.hook_bin.clone(),
                timeout: HOOK_FUNCTION_TIMEOUT,
                memory_mb: 256,
                environment: [
                    ("HOOK_REQUESTS_PER_TASK", "20"),
                    ("HOOK_REQUEST_TIMEOUT_MS", "2000"),
                    ("HOOK_PATH", "/"),
                    ("HOOK_MAX_P99_RATIO", "2"),
                    ("HOOK_P99_FLOOR_MS", "50"),
                ]
                .into_iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
                role: stack.names().role_arn(name),
                description: format!("Validation hook function {name}"),
            })
            .map_err(|e| anyhow!("{} Hooks: {}", template.path.display(), e.message))?;
        tracing::info!(target: "lambda", "function {} ({})", f.arn, f.def.code.display());
    }
    Ok(())
}

/// The hook function's timeout (infra/variables.tf `hook_timeout_seconds`).
const HOOK_FUNCTION_TIMEOUT: Duration = Duration::from_secs(120);

/// Runs the stack in this process until SIGINT/SIGTERM. `on_ready` runs once the
/// initial tasks are healthy behind the NLB.
pub async fn run(cfg: Config, on_ready: impl FnOnce(&Endpoints)) -> anyhow::Result<()> {
    // Handlers first: a signal that arrives while starting stops the stack cleanly too.
    let signals = Signals::new()?;
    std::fs::create_dir_all(&cfg.state_dir)
        .with_context(|| format!("cannot create the state dir {}", cfg.state_dir.display()))?;
    // The records a stack left in this state dir (crashed or stopped): refused when they
    // cannot be restored, before anything is bound or started.
    let restored = records::read(&cfg.state_dir)?;
    if let Some(r) = &restored {
        records::check_region(&cfg.state_dir, r, &cfg.region)?;
    }
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
    let seq = restored.as_ref().map_or(0, |r| r.seq);
    let (world, restart) = restore(&cfg, restored);
    let stack = Arc::new(Stack {
        api_url: format!("http://127.0.0.1:{api_port}"),
        nlb_url: format!("http://127.0.0.1:{prod_port}"),
        test_url: test_port
            .map(|p| format!("http://127.0.0.1:{p}"))
            .unwrap_or_default(),
        lb,
        shutdown: CancellationToken::new(),
        images: open_images(&cfg)?,
        started_at: now(),
        ready: AtomicBool::new(false),
        logs: Arc::new(Logs::new(&cfg.region, names::ACCOUNT_ID)),
        cloudwatch: Arc::new(CloudWatch::new(
            &cfg.region,
            names::ACCOUNT_ID,
            cfg.alarm_minute,
        )),
        autoscaling: Arc::new(AutoScaling::new(
            &cfg.region,
            names::ACCOUNT_ID,
            vec![resource_id(names::CLUSTER, names::SERVICE)],
        )),
        scaling_figures: Default::default(),
        exe: std::env::current_exe().context("cannot find this executable")?,
        world: Mutex::new(world),
        records: records::Writer::new(&cfg.state_dir, seq),
        save_lock: Mutex::new(false),
        pipeline: std::sync::OnceLock::new(),
        lambda: Arc::new(Lambda::new(&cfg.region, names::ACCOUNT_ID)),
        cfg,
    });
    register_hook_functions(&stack)?;
    stack.logs.publish_metrics_to(Arc::clone(&stack.cloudwatch));
    stack.save_state();

    let result = tokio::select! {
        r = run_inner(&stack, api, prod, test, restart, on_ready) => r,
        _ = signals.wait() => Ok(()),
    };
    shutdown(&stack).await;
    result
}

/// What a stack that starts on the records of one that stopped takes over.
#[derive(Default)]
struct Restart {
    /// The task set that serves production, its tasks to start.
    recovery: Option<records::Recovery>,
    pipeline: Option<PipelineRecords>,
}

/// The world to start with: the records read back, with what could not outlive the stack
/// that wrote them ended ([`records::recover_world`]), or a new one.
fn restore(cfg: &Config, restored: Option<records::Restored>) -> (World, Restart) {
    let fresh = World::new(cfg);
    let Some(r) = restored else {
        return (fresh, Restart::default());
    };
    for note in &r.notes {
        tracing::warn!(target: "records", "{note}");
    }
    let mut w = r.world;
    w.names = fresh.names;
    w.group = fresh.group;
    let recovery = records::recover_world(&mut w, r.routes.get("prod").copied());
    tracing::info!(
        "restored the records of the stack that ran in {} (written {}): {} task definitions, {} deployments, {} pipeline executions, {} builds",
        cfg.state_dir.display(),
        humantime::format_rfc3339_seconds(
            std::time::UNIX_EPOCH + Duration::from_secs_f64(r.written_at.max(0.0))
        ),
        w.task_defs.len(),
        w.deployments.len(),
        r.pipeline.pipeline.as_ref().map_or(0, |p| p.executions.len()),
        r.pipeline.builds.len()
    );
    if let Some(rc) = &recovery {
        for id in &rc.deployments {
            tracing::warn!(target: "codedeploy", "deployment {id} was in progress when the stack stopped: ended Failed (INTERNAL_ERROR)");
        }
    }
    (
        w,
        Restart {
            recovery,
            pipeline: Some(r.pipeline),
        },
    )
}

async fn run_inner(
    stack: &Arc<Stack>,
    api: TcpListener,
    prod: TcpListener,
    test: Option<TcpListener>,
    restart: Restart,
    on_ready: impl FnOnce(&Endpoints),
) -> anyhow::Result<()> {
    let outputs_path = stack.cfg.state_dir.join(state::OUTPUTS_FILE);
    std::fs::write(
        &outputs_path,
        serde_json::to_string_pretty(&stack.outputs())?,
    )
    .with_context(|| format!("cannot write {}", outputs_path.display()))?;

    // The API endpoint.
    let port = api
        .local_addr()
        .context("reading the API's bound address")?
        .port();
    let guard = Arc::new(loopback_http::Guard::new(
        port,
        loopback_http::OriginRule::None,
    ));
    let router = router::router(Arc::clone(stack))
        .layer(axum::middleware::from_fn_with_state(guard, router::guard));
    let token = stack.shutdown.clone();
    // loopback-http's accept loop: silent or half-sent connections are closed after the
    // header-read bound instead of piling up.
    tokio::spawn(loopback_http::serve(
        api,
        router,
        loopback_http::Limits::default(),
        async move { token.cancelled().await },
    ));
    // The local pipeline (git remote, CodeBuild, CodePipeline); without it (no git on this
    // machine) the rest of the stack still runs and its API says the pipeline is not running.
    if let Err(e) = attach_pipeline(stack, restart.pipeline) {
        tracing::error!("the local pipeline is off: {e:#}");
    }
    // The NLB listeners, with a cap on the connections they carry at once.
    let (slots, nofile) = nlb::slots();
    tracing::info!(target: "nlb", "at most {slots} connections at once through the listeners (open-file limit {nofile})");
    let slots = Arc::new(tokio::sync::Semaphore::new(slots));
    tokio::spawn(nlb::serve(
        prod,
        Arc::clone(&stack.lb),
        0,
        Arc::clone(&slots),
        stack.shutdown.clone(),
    ));
    if let Some(test) = test {
        tokio::spawn(nlb::serve(
            test,
            Arc::clone(&stack.lb),
            1,
            slots,
            stack.shutdown.clone(),
        ));
    }

    // The 5xx metric filter and alarm (before the first task writes a line).
    alarms::start(stack)?;
    let ts = match restart.recovery {
        // The task set that served production when the last stack stopped, behind both
        // listeners again.
        Some(r) => {
            stack.lb.switch("prod", r.tg);
            stack.lb.switch("test", r.tg);
            r.task_set
        }
        // The service with its initial (blue) task set, as Terraform creates it.
        None => {
            let td = initial_task_definition(stack)?;
            let mut w = stack.world();
            let td_arn = w
                .register_task_definition(td)
                .map_err(|e| anyhow!("initial task definition: {}", e.message))?;
            w.current_revision = appspec_revision(&td_arn);
            w.create_task_set(&td_arn, 0, None, true)
        }
    };
    <Stack as Platform>::start_tasks(stack, &ts)?;
    // On disk as it starts (what the restart ended included: a snapshot), then after
    // every change.
    crate::runtime::stack::compact_now(stack).await;
    tokio::spawn(crate::runtime::stack::follow_records(Arc::clone(stack)));
    tokio::spawn(reconcile(Arc::clone(stack)));

    // Ready when every initial task is healthy in demo-blue.
    let deadline = tokio::time::Instant::now() + stack.cfg.install_timeout;
    loop {
        if stack.task_set_healthy(&ts) {
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
    scaling::start(stack)?;
    on_ready(&Endpoints {
        api_url: stack.api_url.clone(),
        nlb_url: stack.nlb_url.clone(),
        test_url: stack.test_url.clone(),
    });
    stack.shutdown.cancelled().await;
    Ok(())
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
    // The records as the stack leaves them: the next `up` in this state dir restores them.
    crate::runtime::stack::compact_now(stack).await;
    stack.remove_state();
    tracing::info!("local stack stopped");
}

/// Creates the pipeline of `stack` (repository, ECR repository, stand-ins) from its
/// outputs, as Terraform creates the AWS one, and follows pushes until shutdown.
fn attach_pipeline(stack: &Arc<Stack>, restored: Option<PipelineRecords>) -> anyhow::Result<()> {
    let outputs = stack.outputs();
    let out = |k: &str| outputs[k]["value"].as_str().unwrap_or_default().to_string();
    let settings = driver::Settings {
        state_dir: stack.cfg.state_dir.clone(),
        region: stack.cfg.region.clone(),
        account_id: out("account_id"),
        api_url: stack.api_url.clone(),
        exe: std::env::current_exe().context("cannot find this executable")?,
        // PROJECT_ENV's names, from the outputs that infra/codebuild.tf's values are.
        project_env: driver::PROJECT_ENV
            .iter()
            .zip([
                "ecr_repository_url",
                "execution_role_arn",
                "task_role_arn",
                "log_group_name",
            ])
            .map(|(name, output)| (name.to_string(), out(output)))
            .collect(),
        connection_arn: out("connection_arn"),
        application_name: out("codedeploy_app_name"),
        deployment_group_name: out("codedeploy_group_name"),
        artifact_bucket: out("artifact_bucket"),
        ecr_repository: out("ecr_repository_name"),
        cloudwatch: Some(Arc::clone(&stack.logs)),
        persist: Some(driver::Persist(Arc::new({
            let stack = Arc::downgrade(stack);
            move || match stack.upgrade() {
                Some(st) => st.persist_records().map(|_| ()),
                None => Ok(()),
            }
        }))),
    };
    let p = driver::LocalPipeline::new(settings, stack.shutdown.clone())?;
    if let Some(records) = restored {
        let r = p.restore(
            records,
            "The local stack stopped while this ran (its processes went with it, or were stopped by `deployer local up`)",
        );
        for id in r.builds {
            tracing::warn!("build {id} was in progress when the stack stopped: ended");
        }
        for id in r.executions {
            tracing::warn!(
                "pipeline execution {id} was in a stage when the stack stopped: ended Failed"
            );
        }
    }
    let _ = stack.pipeline.set(Arc::clone(&p));
    tokio::spawn(p.run());
    Ok(())
}
