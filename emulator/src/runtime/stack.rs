//! The running stack's shared state: the services' backends (the [`World`] of ECS and
//! CodeDeploy, the load balancer, CloudWatch Logs, Application Auto Scaling, the local
//! pipeline), the listeners' URLs, the shutdown token; its outputs (the local `terraform
//! output -json`), its `state.json` and the status `deployer local status` shows.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

use serde_json::{json, Value};
use tokio_util::sync::CancellationToken;

use crate::autoscaling::backend::{resource_id, AutoScaling, LastEvaluation};
use crate::codepipeline::driver::LocalPipeline;
use crate::config::Config;
use crate::ecr::backend::ImageStore;
use crate::ecs::model::TaskStatus;
use crate::elbv2::backend::{Lb, TargetState};
use crate::logs::backend::Logs;
use crate::names::{self, Names};
use crate::runtime::records::{self, Scope, Writer};
use crate::runtime::state::{self, StackState, TaskProcess};
use crate::world::World;
use deployer_models::sync::lock;

pub(crate) struct Stack {
    pub(crate) cfg: Config,
    pub(crate) api_url: String,
    pub(crate) nlb_url: String,
    pub(crate) test_url: String,
    pub(crate) lb: Arc<Lb>,
    pub(crate) shutdown: CancellationToken,
    /// The local ECR's images (on disk under the state dir).
    pub(crate) images: ImageStore,
    pub(crate) started_at: f64,
    pub(crate) ready: AtomicBool,
    /// CloudWatch Logs: the tasks' output (and any other local service's groups).
    pub(crate) logs: Arc<Logs>,
    /// CloudWatch: the metric filters' datapoints and the alarms.
    pub(crate) cloudwatch: Arc<crate::cloudwatch::backend::CloudWatch>,
    /// Application Auto Scaling of the service's desired count.
    pub(crate) autoscaling: Arc<AutoScaling>,
    /// The last auto scaling evaluation (CPU, memory, desired count).
    pub(crate) scaling_figures: Arc<Mutex<LastEvaluation>>,
    pub(crate) exe: PathBuf,
    pub(crate) world: Mutex<World>,
    /// Serializes writes of `state.json`; `true` once shutdown removed it for good (a task
    /// supervisor that records an exit afterwards must not write it back).
    pub(crate) save_lock: Mutex<bool>,
    /// The local CodePipeline/CodeBuild (set once the API serves).
    pub(crate) pipeline: OnceLock<Arc<LocalPipeline>>,
    /// Lambda: the appspec's hook functions.
    pub(crate) lambda: Arc<crate::lambda::backend::Lambda>,
    /// The records on disk (`records.json` and its journal `records.log`).
    pub(crate) records: Writer,
}

/// The world, locked; a change through it (`DerefMut`) marks the records to be written
/// (the writer wakes once the guard goes).
pub(crate) struct WorldGuard<'a> {
    guard: MutexGuard<'a, World>,
    records: &'a Writer,
    changed: bool,
}

impl std::ops::Deref for WorldGuard<'_> {
    type Target = World;
    fn deref(&self) -> &World {
        &self.guard
    }
}

impl std::ops::DerefMut for WorldGuard<'_> {
    fn deref_mut(&mut self) -> &mut World {
        self.changed = true;
        &mut self.guard
    }
}

impl Drop for WorldGuard<'_> {
    fn drop(&mut self) {
        if self.changed {
            self.records.world_changed();
        }
    }
}

impl Stack {
    /// The model; never hold the guard across an `.await`.
    pub(crate) fn world(&self) -> WorldGuard<'_> {
        WorldGuard {
            guard: lock(&self.world),
            records: &self.records,
            changed: false,
        }
    }

    /// Writes the records if anything changed since the last write ([`Writer::persist`]
    /// with the listeners' routes and the pipeline's records): a journal entry, never a
    /// compaction's snapshot (the pipeline's writes). Blocking (file I/O).
    pub(crate) fn persist_records(&self) -> anyhow::Result<bool> {
        self.write_records(Scope::Changes)
    }

    /// [`Stack::persist_records`] within `scope`.
    fn write_records(&self, scope: Scope) -> anyhow::Result<bool> {
        self.records.persist(
            &self.world,
            &self.cfg.region,
            || {
                self.lb
                    .listeners
                    .iter()
                    .map(|l| (l.kind.to_string(), l.target_group()))
                    .collect()
            },
            || self.pipeline.get().map(|p| p.records()).unwrap_or_default(),
            scope,
        )
    }

    pub(crate) fn names(&self) -> Names {
        Names {
            region: self.cfg.region.clone(),
        }
    }

    /// Rewrites `state.json` with the current task PIDs.
    pub(crate) fn save_state(&self) {
        let removed = lock(&self.save_lock);
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
                    exe: self.images.resolve(&t.image).map(|(_, bin)| bin),
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
    pub(crate) fn remove_state(&self) {
        let mut removed = lock(&self.save_lock);
        *removed = true;
        state::remove(&self.cfg.state_dir);
    }

    /// The local equivalent of `terraform output -json` (names in docs/CONTRACTS.md).
    pub(crate) fn outputs(&self) -> Value {
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
            "account_id": s(names::ACCOUNT_ID.into()),
            "cluster_name": s(names::CLUSTER.into()),
            "cluster_arn": s(n.cluster_arn()),
            "service_name": s(names::SERVICE.into()),
            "task_family": s(names::FAMILY.into()),
            "container_name": s(names::CONTAINER.into()),
            "container_port": {"sensitive": false, "type": "number", "value": names::CONTAINER_PORT},
            "codedeploy_app_name": s(names::APP_NAME.into()),
            "codedeploy_group_name": s(names::GROUP_NAME.into()),
            "codedeploy_deployment_config": s(names::DEPLOYMENT_CONFIG.into()),
            "target_group_blue_name": s(names::TG_NAMES[0].into()),
            "target_group_blue_arn": s(n.tg_arn(names::TG_NAMES[0])),
            "target_group_green_name": s(names::TG_NAMES[1].into()),
            "target_group_green_arn": s(n.tg_arn(names::TG_NAMES[1])),
            "listener_arn": s(n.listener_arn("prod")),
            "test_listener_arn": s(test_listener),
            "nlb_dns_name": s(format!("127.0.0.1:{nlb_port}")),
            "nlb_url": s(self.nlb_url.clone()),
            "ecr_repository_name": s(names::ECR_REPOSITORY.into()),
            "ecr_repository_url": s(n.ecr_repository_url()),
            "execution_role_arn": s(n.role_arn(names::EXECUTION_ROLE)),
            "task_role_arn": s(n.role_arn(names::TASK_ROLE)),
            "log_group_name": s(names::LOG_GROUP.into()),
            "http_5xx_alarm_name": s(names::HTTP_5XX_ALARM.into()),
            "pipeline_name": s("demo".into()),
            "codebuild_project_name": s("demo".into()),
            "artifact_bucket": s(format!("demo-artifacts-{}", names::ACCOUNT_ID)),
            "connection_arn": s(n.arn("codeconnections", "connection/00000000-0000-0000-0000-000000000000")),
        })
    }

    /// Every task of the task set runs, its container health check (if any) passed, and its
    /// target is healthy in the task set's target group.
    pub(crate) fn task_set_healthy(&self, ts_id: &str) -> bool {
        let w = self.world();
        let Some((tg, tasks)) = w.task_set_running(ts_id) else {
            return false;
        };
        tasks
            .iter()
            .all(|t| self.lb.target_state(tg, t) == Some(TargetState::Healthy))
    }

    /// What `deployer local status` shows.
    pub(crate) fn status_json(&self) -> Value {
        let stack = self;
        let w = stack.world();
        let listeners: Vec<Value> = stack
            .lb
            .listeners
            .iter()
            .map(|l| json!({"kind": l.kind, "url": format!("http://127.0.0.1:{}", l.port), "target_group": names::TG_NAMES[l.target_group()]}))
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
                json!({"id": ts.id, "status": ts.status.as_str(), "target_group": names::TG_NAMES[ts.tg],
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
                let hooks: Vec<Value> = d
                    .hook_executions
                    .iter()
                    .map(|h| json!({"event": h.hook.as_str(), "function": h.function, "status": h.status.map(<&str>::from)}))
                    .collect();
                json!({"id": d.id, "status": d.status.as_str(), "creator": d.creator, "summary": summary, "hooks": hooks})
            })
            .collect();
        let desired = w.service.desired;
        drop(w);
        let target = stack
            .autoscaling
            .target(&resource_id(names::CLUSTER, names::SERVICE));
        let figures = lock(&stack.scaling_figures).clone();
        let scaling = json!({
            "desired": desired,
            "min": target.as_ref().map(|t| t.min),
            "max": target.as_ref().map(|t| t.max),
            "cpu_percent": figures.cpu,
            "memory_percent": figures.memory,
        });
        let (writes, failing) = stack.records.health();
        let records = json!({"writes": writes, "failing": failing});
        json!({"listeners": listeners, "task_sets": sets, "deployments": deployments, "scaling": scaling, "records": records})
    }
}

impl Stack {
    /// Where Lambda invocations run: this stack's Logs, API and state dir.
    pub(crate) fn lambda_sandbox(&self) -> crate::lambda::runner::Sandbox {
        crate::lambda::runner::Sandbox {
            logs: Arc::clone(&self.logs),
            api_url: self.api_url.clone(),
            region: self.cfg.region.clone(),
            dir: self.cfg.state_dir.clone(),
            shutdown: self.shutdown.clone(),
        }
    }

    /// The program a task with `image` runs and the image's digest: the binary pushed to
    /// the local ECR under that reference. An image never pushed cannot run, as on Fargate,
    /// where the task stops with CannotPullContainerError (the message is Fargate's).
    pub(crate) fn program_for(&self, image: &str) -> anyhow::Result<(PathBuf, String)> {
        match self.images.resolve(image) {
            Some((rec, bin)) => Ok((bin, rec.digest)),
            None => Err(anyhow::anyhow!(
                "CannotPullContainerError: pull image manifest has been retried 1 time(s): failed to resolve ref {image}: {image}: not found (push it first: `deployer local push TAG`)"
            )),
        }
    }
}

/// [`Stack::persist_records`] after the API request `operation` (within its
/// [`records::scope_of`]). An error is logged and returned: the change stays in memory and
/// is written with the next write that succeeds; the router answers the request with a
/// server error rather than a success that a crash would undo.
pub(crate) async fn persist_after(stack: &Arc<Stack>, operation: &str) -> anyhow::Result<()> {
    write_now(stack, records::scope_of(operation)).await
}

/// Before an API request that may change the world: while the records' writes fail, one
/// more try (everything that changed meanwhile, as a snapshot); an error when it fails
/// too, and the router refuses the request before it changes anything. No change is
/// answered as made while the disk cannot hold it.
pub(crate) async fn ready_for_writes(stack: &Arc<Stack>) -> anyhow::Result<()> {
    if !stack.records.is_failing() {
        return Ok(());
    }
    // Tried less than a second ago: the same answer, without another snapshot.
    stack.records.retry_due().map_err(anyhow::Error::msg)?;
    write_now(stack, Scope::ChangesOrSnapshot).await
}

/// [`persist_after`] for the follower and the stop: everything that changed, or a snapshot
/// when the journal is due for one; errors logged (`deployer local status` shows them).
pub(crate) async fn compact_now(stack: &Arc<Stack>) {
    let _ = write_now(stack, Scope::ChangesOrSnapshot).await;
}

/// On a blocking thread; a registration's write on this one. Its entry is the task
/// definition's JSON, already made, and one `write(2)` of a few kB to the page cache: a
/// few dozen µs, less than the hop to a blocking thread and back (0.1 ms of a 0.7 ms
/// answer in a debug build; bench/README.md). It may wait for the writer's lock as a
/// request waits for the world's. Errors are logged here.
async fn write_now(stack: &Arc<Stack>, scope: Scope) -> anyhow::Result<()> {
    let result = if scope == Scope::TaskDefinitions {
        stack.write_records(scope)
    } else {
        let st = Arc::clone(stack);
        match tokio::task::spawn_blocking(move || st.write_records(scope)).await {
            Ok(r) => r,
            Err(e) => Err(anyhow::anyhow!("writing the records: {e}")),
        }
    };
    match result {
        Ok(_) => Ok(()),
        Err(e) => {
            tracing::error!(target: "records", "{e:#}");
            Err(e)
        }
    }
}

/// Writes the engines' changes until the stack stops: woken by every change of the world,
/// and every [`records::PERIOD`] while the pipeline runs something; writes the snapshot
/// when the journal is due for one. It writes [`records::MIN_GAP`] after it woke: a change
/// an API request made is the request's to write (the router writes it before the answer
/// leaves), and the follower does not take the writer's lock from under it; a burst of
/// engine changes is one write.
pub(crate) async fn follow_records(stack: Arc<Stack>) {
    loop {
        tokio::select! {
            _ = stack.shutdown.cancelled() => return,
            _ = stack.records.changed() => {}
            _ = tokio::time::sleep(records::PERIOD) => {}
        }
        tokio::select! {
            _ = stack.shutdown.cancelled() => return,
            _ = tokio::time::sleep(records::MIN_GAP) => {}
        }
        // While the writes fail, every world change (and the failure itself) marks the
        // world: the follower tries again once a [`records::RETRY`].
        if stack.records.retry_due().is_err() {
            continue;
        }
        let busy = stack.pipeline.get().is_some_and(|p| p.busy());
        if busy || stack.records.world_dirty() || stack.records.compaction_due() {
            compact_now(&stack).await;
        }
    }
}
