//! Runs the local pipeline inside the stack: reads pushes from the source's spool, starts
//! executions, runs each action the [`engine`](super::engine) hands out (Source, Build on
//! the local CodeBuild, Deploy as CodeDeployToECS), and serves the CodePipeline and
//! CodeBuild API operations.
//!
//! Files, under the stack's state dir: `source.git` (the remote), `pushes/` (the hook's
//! spool), `ecr/` (the local ECR's images), `codebuild/` (stand-in scripts, builds'
//! checkouts and artifacts, the BuildKit cache directory the buildspec rotates). The cargo
//! target directory that every local build shares is `DEPLOYER_LOCAL_BUILD_TARGET_DIR`,
//! else `$XDG_CACHE_HOME/deployer/local-codebuild` (`~/.cache/...`): it outlives stacks,
//! as CodeBuild's cache outlives builds.

use deployer_models::time::now_secs as now;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use anyhow::Context;
use tokio_util::sync::CancellationToken;

use super::deploy;
use super::engine::{revision_summary, PipelineNames};
use super::engine::{Outcome, Pipeline, Revision, Stage, Trigger};
use super::source;
use super::Error;
use crate::codebuild::logs::{LogSink, MemoryLogs};
use crate::codebuild::model::{Build, BuildStatus};
use crate::codebuild::runner::{self, RunSpec};
use crate::codebuild::standin::{self, StandInConfig};
use crate::ecr::backend::ImageStore;
use crate::wire::error::ApiError;

pub const PIPELINE_NAME: &str = "demo";
pub const PROJECT_NAME: &str = "demo";
pub const REPO_DIR: &str = "source.git";
pub(crate) const ECR_DIR: &str = "ecr";
pub(crate) const CODEBUILD_DIR: &str = "codebuild";
/// The build log group: `infra/codebuild.tf`'s `logs_config` names `/codebuild/<name>`
/// (CodeBuild's default, `/aws/codebuild/<project>`, applies only without it). The stream
/// is the build id's UUID, as CodeBuild names it.
pub const BUILD_LOG_GROUP: &str = "/codebuild/demo";
/// The variables the CodeBuild project sets (`environment_variable` in infra/codebuild.tf).
pub const PROJECT_ENV: [&str; 4] = [
    "ECR_REPOSITORY_URL",
    "EXECUTION_ROLE_ARN",
    "TASK_ROLE_ARN",
    "LOG_GROUP",
];
/// CodeBuild's build timeout (`var.build_timeout_minutes`' default in infra/).
pub const BUILD_TIMEOUT_MINUTES: u32 = 30;

/// What the pipeline needs from the stack that hosts it.
#[derive(Debug, Clone)]
pub(crate) struct Settings {
    pub(crate) state_dir: PathBuf,
    pub(crate) region: String,
    pub(crate) account_id: String,
    pub(crate) api_url: String,
    /// The deployer executable (the stand-ins run it).
    pub(crate) exe: PathBuf,
    /// The project's environment variables (names as `infra/codebuild.tf` sets them).
    pub(crate) project_env: Vec<(String, String)>,
    pub(crate) connection_arn: String,
    pub(crate) application_name: String,
    pub(crate) deployment_group_name: String,
    pub(crate) artifact_bucket: String,
    pub(crate) ecr_repository: String,
    /// The stack's CloudWatch Logs, where build logs go too.
    pub(crate) cloudwatch: Option<Arc<crate::logs::backend::Logs>>,
    /// Writes the stack's records to disk (a spooled push leaves the spool only once the
    /// execution it started is written).
    pub(crate) persist: Option<Persist>,
}

/// The stack's "write the records now" (`runtime::records`), as the pipeline calls it.
#[derive(Clone)]
pub(crate) struct Persist(pub(crate) Arc<dyn Fn() -> anyhow::Result<()> + Send + Sync>);

impl std::fmt::Debug for Persist {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Persist")
    }
}

/// What the pipeline keeps on disk: its executions, the builds, and each execution's
/// BuildOutput directory (an execution that waited for Deploy at a restart deploys it).
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub(crate) struct PipelineRecords {
    pub(crate) pipeline: Option<Pipeline>,
    pub(crate) builds: Vec<Build>,
    pub(crate) outputs: std::collections::BTreeMap<String, PathBuf>,
}

/// What [`LocalPipeline::restore`] ended.
#[derive(Debug, Default)]
pub(crate) struct Recovered {
    pub(crate) executions: Vec<String>,
    pub(crate) builds: Vec<String>,
}

/// The cargo target directory shared by local builds.
pub(crate) fn build_target_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("DEPLOYER_LOCAL_BUILD_TARGET_DIR") {
        return d.into();
    }
    let cache = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .unwrap_or_else(std::env::temp_dir);
    cache.join("deployer").join("local-codebuild")
}

pub(crate) struct LocalPipeline {
    settings: Settings,
    names: PipelineNames,
    pipeline: Mutex<Pipeline>,
    builds: Mutex<Vec<Arc<Mutex<Build>>>>,
    logs: Arc<MemoryLogs>,
    /// BuildOutput of each execution that built.
    outputs: Mutex<HashMap<String, PathBuf>>,
    wake: tokio::sync::Notify,
    cancel_builds: Arc<AtomicBool>,
    /// Each running build's stop flag (StopBuild sets one; shutdown sets them all).
    build_stops: Mutex<HashMap<String, Arc<AtomicBool>>>,
    shutdown: CancellationToken,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    deployer_models::sync::lock(m)
}

impl LocalPipeline {
    /// Creates the repository, the local ECR repository and the stand-ins.
    pub(crate) fn new(
        settings: Settings,
        shutdown: CancellationToken,
    ) -> anyhow::Result<Arc<Self>> {
        let dir = &settings.state_dir;
        source::init(&dir.join(REPO_DIR), &dir.join(source::SPOOL_DIR))?;
        ImageStore::new(dir.join(ECR_DIR), &settings.account_id)
            .create_repository(&settings.ecr_repository)
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        let cb = dir.join(CODEBUILD_DIR);
        let standin_cfg = StandInConfig {
            ecr_dir: dir.join(ECR_DIR),
            docker_dir: cb.join("docker"),
            target_dir: build_target_dir(),
            registry_id: settings.account_id.clone(),
            region: settings.region.clone(),
        };
        standin::write_scripts(&cb.join("bin"), &settings.exe, &standin_cfg)
            .with_context(|| format!("cannot write the build stand-ins into {}", cb.display()))?;
        let names = PipelineNames {
            region: settings.region.clone(),
            account_id: settings.account_id.clone(),
            connection_arn: settings.connection_arn.clone(),
            repository_id: format!("local/{PIPELINE_NAME}"),
            project_name: PROJECT_NAME.into(),
            application_name: settings.application_name.clone(),
            deployment_group_name: settings.deployment_group_name.clone(),
            artifact_bucket: settings.artifact_bucket.clone(),
        };
        Ok(Arc::new(LocalPipeline {
            names,
            pipeline: Mutex::new(Pipeline::new(PIPELINE_NAME, now())),
            builds: Mutex::default(),
            logs: Arc::new(MemoryLogs::default()),
            outputs: Mutex::default(),
            wake: tokio::sync::Notify::new(),
            cancel_builds: Arc::new(AtomicBool::new(false)),
            build_stops: Mutex::default(),
            shutdown,
            settings,
        }))
    }

    pub(crate) fn repo(&self) -> PathBuf {
        self.settings.state_dir.join(REPO_DIR)
    }

    /// Follows pushes and runs executions until the stack shuts down.
    pub(crate) async fn run(self: Arc<Self>) {
        let spool = self.settings.state_dir.join(source::SPOOL_DIR);
        loop {
            let pushes = {
                let spool = spool.clone();
                tokio::task::spawn_blocking(move || source::pending_pushes(&spool))
                    .await
                    .unwrap_or_default()
            };
            if !pushes.is_empty() {
                let me = Arc::clone(&self);
                let _ = tokio::task::spawn_blocking(move || me.take_pushes(pushes)).await;
            }
            self.schedule();
            tokio::select! {
                _ = self.shutdown.cancelled() => break,
                _ = self.wake.notified() => {}
                _ = tokio::time::sleep(Duration::from_millis(250)) => {}
            }
        }
        self.cancel_builds
            .store(true, std::sync::atomic::Ordering::Release);
        for stop in lock(&self.build_stops).values() {
            stop.store(true, std::sync::atomic::Ordering::Release);
        }
        lock(&self.pipeline).stop_all(now());
    }

    /// Starts an execution for each spooled push not started yet, writes the records,
    /// then removes the pushes from the spool (blocking: file I/O).
    fn take_pushes(&self, pushes: Vec<source::Push>) {
        for push in &pushes {
            if lock(&self.pipeline).has_push(&push.id) {
                continue; // started before a crash; only its spool file was left
            }
            let trigger = Trigger {
                kind: "WebhookV2",
                detail: self.settings.connection_arn.clone(),
            };
            match self.start_execution(trigger, &push.new) {
                Ok(id) => lock(&self.pipeline).set_push(&id, &push.id),
                Err(e) => tracing::error!(
                    "pipeline: cannot start an execution for {}: {e:#}",
                    push.new
                ),
            }
        }
        if let Some(Persist(persist)) = &self.settings.persist {
            if let Err(e) = persist() {
                // The pushes stay spooled; the next look starts nothing twice.
                tracing::error!("pipeline: {e:#}");
                return;
            }
        }
        pushes.iter().for_each(source::remove_push);
    }

    /// What the pipeline keeps on disk, as it is now.
    pub(crate) fn records(&self) -> PipelineRecords {
        PipelineRecords {
            pipeline: Some(lock(&self.pipeline).clone()),
            builds: self.builds(),
            outputs: lock(&self.outputs)
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        }
    }

    /// Something runs (an execution or a build in progress): its records change without
    /// an API call.
    pub(crate) fn busy(&self) -> bool {
        lock(&self.pipeline)
            .executions
            .iter()
            .any(|e| e.status == super::engine::ExecutionStatus::InProgress)
            || lock(&self.builds).iter().any(|b| !lock(b).is_complete())
    }

    /// Takes the records a stack that stopped left (before [`LocalPipeline::run`]): what
    /// ran then cannot go on (its processes are gone), so a build in progress ends (FAULT,
    /// or TIMED_OUT past its recorded deadline) and so does the execution inside a stage
    /// (Failed); an execution that waited at a transition goes on.
    pub(crate) fn restore(&self, records: PipelineRecords, message: &str) -> Recovered {
        let at = now();
        let mut recovered = Recovered::default();
        let builds: Vec<Arc<Mutex<Build>>> = records
            .builds
            .into_iter()
            .map(|mut b| {
                if b.interrupt(message, at) {
                    recovered.builds.push(b.id.clone());
                }
                Arc::new(Mutex::new(b))
            })
            .collect();
        *lock(&self.builds) = builds;
        if let Some(mut pipeline) = records.pipeline {
            recovered.executions = pipeline.recover(message, at);
            *lock(&self.pipeline) = pipeline;
        }
        *lock(&self.outputs) = records.outputs.into_iter().collect();
        recovered
    }

    fn start_execution(&self, trigger: Trigger, commit: &str) -> anyhow::Result<String> {
        let message = source::subject(&self.repo(), commit)?;
        let id = uuid::Uuid::new_v4().to_string();
        tracing::info!(
            "pipeline {PIPELINE_NAME}: execution {id} for {commit} ({message}), trigger {}",
            trigger.kind
        );
        lock(&self.pipeline).start(
            id.clone(),
            trigger,
            Revision {
                commit: commit.to_string(),
                message,
            },
            now(),
        );
        self.wake.notify_one();
        Ok(id)
    }

    /// StartPipelineExecution: the last commit pushed to main, again.
    pub(crate) fn release(&self) -> Result<String, ApiError> {
        let head = source::head(&self.repo()).ok_or_else(|| {
            ApiError::new(
                Error::ValidationException,
                format!(
                    "nothing was pushed to {} yet: push a commit to the local remote {} first",
                    source::BRANCH,
                    self.repo().display()
                ),
            )
        })?;
        self.start_execution(
            Trigger {
                kind: "StartPipelineExecution",
                detail: format!("arn:aws:iam::{}:root", self.settings.account_id),
            },
            &head,
        )
        .map_err(|e| ApiError::new(Error::ValidationException, format!("{e:#}")))
    }

    fn schedule(self: &Arc<Self>) {
        let started = lock(&self.pipeline).schedule(now(), || uuid::Uuid::new_v4().to_string());
        for (id, stage) in started {
            let me = Arc::clone(self);
            tokio::spawn(async move {
                let outcome = match stage {
                    Stage::Source => me.source_action(&id),
                    Stage::Build => me.build_action(&id).await,
                    Stage::Deploy => me.deploy_action(&id).await,
                };
                let ok = matches!(outcome, Outcome::Succeeded { .. });
                tracing::info!(
                    "pipeline {PIPELINE_NAME}: execution {id} stage {} {}",
                    stage.name(),
                    if ok { "succeeded" } else { "failed" }
                );
                lock(&me.pipeline).finish_action(&id, stage, outcome, now());
                me.wake.notify_one();
            });
        }
    }

    fn revision(&self, id: &str) -> Option<Revision> {
        lock(&self.pipeline)
            .execution(id)
            .map(|e| e.revision.clone())
    }

    fn source_action(&self, id: &str) -> Outcome {
        let Some(rev) = self.revision(id) else {
            return failed("JobFailed", "the execution is gone");
        };
        lock(&self.pipeline).set_external_id(id, Stage::Source, &rev.commit, now());
        Outcome::Succeeded {
            summary: revision_summary(&rev.message),
        }
    }

    async fn build_action(&self, id: &str) -> Outcome {
        let Some(rev) = self.revision(id) else {
            return failed("JobFailed", "the execution is gone");
        };
        let record = {
            let mut builds = lock(&self.builds);
            let b = Build::new(
                PROJECT_NAME,
                &format!(
                    "arn:aws:codebuild:{}:{}",
                    self.settings.region, self.settings.account_id
                ),
                builds.len() as u64 + 1,
                &rev.commit,
                &format!("codepipeline/{PIPELINE_NAME}"),
                now(),
            );
            let b = Arc::new(Mutex::new(Build {
                timeout_minutes: BUILD_TIMEOUT_MINUTES,
                log_group: BUILD_LOG_GROUP.to_string(),
                ..b
            }));
            builds.push(Arc::clone(&b));
            b
        };
        let (build_id, stream) = {
            let b = lock(&record);
            (b.id.clone(), b.log_stream.clone())
        };
        lock(&self.pipeline).set_external_id(id, Stage::Build, &build_id, now());
        let cb = self.settings.state_dir.join(CODEBUILD_DIR);
        let dir = cb.join("builds").join(&stream);
        let mut project_env = self.settings.project_env.clone();
        // Project variables override the buildspec's (CodeBuild's precedence): the
        // buildspec's BuildKit cache dir under /root becomes one in the state dir.
        project_env.push((
            "BUILDX_CACHE_DIR".into(),
            cb.join("cache/demo-buildx").display().to_string(),
        ));
        let spec = RunSpec {
            source_dir: dir.join("src"),
            artifacts_dir: dir.join("artifacts"),
            work_dir: dir.join("work"),
            region: self.settings.region.clone(),
            project_env,
            path_prefix: vec![cb.join("bin")],
            timeout: Duration::from_secs(u64::from(BUILD_TIMEOUT_MINUTES) * 60),
            state_dir: Some(self.settings.state_dir.clone()),
            // Every phase on disk as it starts (the first before any command runs).
            on_change: self.settings.persist.clone().map(|Persist(persist)| {
                Arc::new(move || {
                    if let Err(e) = persist() {
                        tracing::error!("build: {e:#}");
                    }
                }) as Arc<dyn Fn() + Send + Sync>
            }),
        };
        let repo = self.repo();
        let commit = rev.commit.clone();
        let mut sinks: Vec<Arc<dyn LogSink>> = vec![self.logs.clone()];
        if let Some(cw) = &self.settings.cloudwatch {
            sinks.push(cw.clone());
        }
        let logs: Arc<dyn LogSink> = Arc::new(crate::codebuild::logs::Tee(sinks));
        let cancel = Arc::new(AtomicBool::new(
            self.cancel_builds
                .load(std::sync::atomic::Ordering::Acquire),
        ));
        lock(&self.build_stops).insert(build_id.clone(), Arc::clone(&cancel));
        let rec = Arc::clone(&record);
        let artifacts_dir = spec.artifacts_dir.clone();
        let status = tokio::task::spawn_blocking(move || {
            runner::run(&rec, &spec, logs.as_ref(), &cancel, &move |dest: &Path| {
                source::export(&repo, &commit, dest).map_err(|e| format!("{e:#}"))
            })
        })
        .await
        .unwrap_or(BuildStatus::Fault);
        lock(&self.build_stops).remove(&build_id);
        if status == BuildStatus::Succeeded {
            lock(&self.outputs).insert(id.to_string(), artifacts_dir);
            Outcome::Succeeded {
                summary: format!("Build {build_id} succeeded"),
            }
        } else {
            failed(
                "JobFailed",
                &format!("Build terminated with state: {}", status.as_str()),
            )
        }
    }

    async fn deploy_action(&self, id: &str) -> Outcome {
        let Some(artifacts) = lock(&self.outputs).get(id).cloned() else {
            return failed("JobFailed", "the execution has no BuildOutput artifact");
        };
        let prepared = match deploy::prepare(&artifacts) {
            Ok(p) => p,
            Err((code, msg)) => return failed(&code, &msg),
        };
        let client = deploy::Client::new(&self.settings.api_url);
        let rev = self.revision(id).unwrap_or(Revision {
            commit: String::new(),
            message: String::new(),
        });
        let started = client
            .start(
                &prepared,
                &self.settings.application_name,
                &self.settings.deployment_group_name,
                &format!(
                    "CodePipeline {PIPELINE_NAME}, execution {id}: {} {}",
                    rev.commit, rev.message
                ),
            )
            .await;
        let deployment = match started {
            Ok((_, d)) => d,
            Err((code, msg)) => return failed(&code, &msg),
        };
        lock(&self.pipeline).set_external_id(id, Stage::Deploy, &deployment, now());
        loop {
            if let Some(end) = client.poll(&deployment).await {
                return match end {
                    Ok(summary) => Outcome::Succeeded { summary },
                    Err((code, msg)) => failed(&code, &msg),
                };
            }
            tokio::select! {
                _ = self.shutdown.cancelled() => return failed("JobFailed", "the local stack stopped"),
                _ = tokio::time::sleep(Duration::from_millis(500)) => {}
            }
        }
    }

    /// The pipeline's state (never held across an `.await`).
    /// StopPipelineExecution: the execution ends Stopped at once; with `abandon`, the build
    /// it runs is stopped too (StopBuild), without it the build runs to its end and its
    /// outcome is ignored. A deployment it started goes on (CodePipeline does not stop
    /// CodeDeploy either).
    pub(crate) fn stop_execution(
        &self,
        id: &str,
        abandon: bool,
        reason: &str,
    ) -> Result<(), ApiError> {
        let outcome = lock(&self.pipeline).stop(id, reason, now());
        match outcome {
            None => Err(super::execution_not_found(PIPELINE_NAME, id)),
            Some(Err(status)) => Err(ApiError::new(
                Error::PipelineExecutionNotStoppableException,
                format!(
                    "Unable to stop pipeline execution '{id}': its status is {}",
                    status.as_str()
                ),
            )),
            Some(Ok(running)) => {
                if let (true, Some((Stage::Build, build))) = (abandon, running) {
                    let _ = self.stop_build(&build);
                }
                self.wake.notify_one();
                Ok(())
            }
        }
    }

    /// StopBuild: sets the build's stop flag (the runner kills the running command's
    /// process group and ends the build STOPPED); answers the build as it is now, as
    /// CodeBuild does (still IN_PROGRESS until the runner has stopped it).
    pub(crate) fn stop_build(&self, id: &str) -> Result<Build, ApiError> {
        let record = lock(&self.builds)
            .iter()
            .find(|b| {
                let b = lock(b);
                b.id == id || b.arn == id
            })
            .cloned();
        let Some(record) = record else {
            return Err(ApiError::new(
                crate::codebuild::Error::ResourceNotFoundException,
                format!("Build {id} does not exist"),
            ));
        };
        let build = lock(&record).clone();
        let stop = lock(&self.build_stops).get(&build.id).cloned();
        match stop {
            Some(flag) if !build.is_complete() => {
                flag.store(true, std::sync::atomic::Ordering::Release);
                Ok(build)
            }
            _ => Err(ApiError::new(
                crate::codebuild::Error::InvalidInputException,
                format!(
                    "Build {} is not in progress (status {})",
                    build.id,
                    build.status.as_str()
                ),
            )),
        }
    }

    pub(crate) fn state(&self) -> MutexGuard<'_, Pipeline> {
        lock(&self.pipeline)
    }

    /// What the actions are configured with.
    pub(crate) fn names(&self) -> &PipelineNames {
        &self.names
    }

    /// The builds the local CodeBuild ran, as they are now.
    pub(crate) fn builds(&self) -> Vec<Build> {
        lock(&self.builds).iter().map(|b| lock(b).clone()).collect()
    }
}

fn failed(code: &str, message: &str) -> Outcome {
    Outcome::Failed {
        code: code.to_string(),
        message: message.to_string(),
    }
}
