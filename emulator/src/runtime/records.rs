//! The stack's records on disk: what a restarted stack gives back.
//!
//! `<state dir>/records.json` holds every emulated record that is not a file already:
//! the [`World`] (task definitions and their revisions, the ECS service with its task
//! sets, tasks and events, CodeDeploy's deployments with their lifecycle events and hook
//! executions, the group's last successful and attempted deployments), which target group
//! each listener forwards to, and the local pipeline's executions, builds and BuildOutput
//! directories. Images (`ecr/`), the git remote (`source.git/`), spooled pushes
//! (`pushes/`) and build directories are files of their own and outlive a stack as they
//! are. CloudWatch Logs events, Application Auto Scaling's targets and policies and
//! Lambda's functions are not kept: `up` creates the last two as Terraform would, and the
//! tasks' output files stay under `tasks/`.
//!
//! **When.** The file is rewritten whole, atomically (a temp file, then `rename` over the
//! old one, no `fsync`: [`write_atomic`] says why), by [`Writer::persist`]:
//! - after every API request that is not a read (`Describe*`, `List*`, `Get*`,
//!   `BatchGet*`, `Filter*`), before its answer leaves (the router waits for it);
//! - after the engines' own changes: every change of the world (its guard marks it,
//!   [`crate::runtime::stack::WorldGuard`]) wakes the stack's follower ([`crate::runtime::stack::follow_records`]), which writes within a few
//!   milliseconds (lifecycle steps, task starts and exits, the traffic switch); while a
//!   pipeline execution or a build is in progress it also looks every
//!   [`PERIOD`] (build phases, stage transitions);
//! - before a spooled push leaves the spool (the execution it started is written first;
//!   the execution names its push, so a push is never started twice);
//! - once more when the stack stops.
//!
//! Nothing is written when nothing changed: the world is serialized only when marked,
//! the pipeline's part is compared with what was written last.
//!
//! **Why a whole JSON file and not an embedded store (redb, SQLite).** At local scale the
//! records are small (200 task definition revisions and a deployment: 270 kB), and a
//! write costs little: the task definitions (append-only, the bulk) are serialized once
//! each, the rest of the world only when its guard marked a change. A store would need the
//! models mapped to tables or keys and a migration story, for no gain in what survives a
//! crash: the rename makes every write all-or-nothing, so a reader sees the previous file
//! or the new one, never half of one. The models stay the serde types they are. Reads (the bulk of
//! the API's traffic: `bench/watch.py`) write nothing and cost what they did.
//!
//! **At `up`.** [`read`] gives the records back (a file of another format, or one that
//! does not parse, refuses `up` naming the file and the way out, never a silent reset);
//! [`recover_world`] ends what could not survive: every task (its process went with the
//! stack, or was stopped by `up`'s cleanup), and a deployment in flight, which ends Failed
//! with `INTERNAL_ERROR` ("there was an internal error", the closest of CodeDeploy's error
//! codes to a platform that went away) with production on the task set that served it;
//! that task set becomes the primary one and its tasks are started, so the production
//! listener serves the revision that was live. The pipeline's side is
//! [`crate::codepipeline::driver::LocalPipeline::restore`]: a build in progress ends FAULT,
//! or TIMED_OUT when its recorded deadline (start + timeout) has passed; the execution
//! that ran it ends Failed; executions that only waited at a transition go on.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use anyhow::Context;
use serde::{Deserialize, Serialize};

use crate::codedeploy::model::{DeploymentStatus, FailureCode};
use crate::codepipeline::driver::PipelineRecords;
use crate::ecs::model::{StopCode, TaskSetStatus, TaskStatus};
use crate::world::World;
use deployer_models::bad_input;
use deployer_models::sync::lock;
use deployer_models::time::now_secs as now;

/// The file, in the state dir.
pub const RECORDS_FILE: &str = "records.json";
/// The records' format; a file of another format is refused, not guessed at.
pub const FORMAT: u32 = 1;
/// How often the follower looks while a pipeline execution or build runs.
pub(crate) const PERIOD: Duration = Duration::from_millis(200);
/// At most one write per this interval from the follower (the API's writes do not wait).
pub(crate) const MIN_GAP: Duration = Duration::from_millis(10);

/// The file's header, before the two large parts.
#[derive(Serialize)]
struct Header<'a> {
    format: u32,
    /// The deployer that wrote it (for the message when a later one cannot read it).
    written_by: &'static str,
    region: &'a str,
    written_at: f64,
    /// Listener kind (`prod`, `test`) -> the target group it forwards to.
    routes: &'a BTreeMap<String, usize>,
}

/// Just the format, read first.
#[derive(Deserialize)]
struct Probe {
    format: Option<u32>,
    written_by: Option<String>,
}

/// The file, read back.
#[derive(Deserialize)]
struct File {
    region: String,
    written_at: f64,
    routes: BTreeMap<String, usize>,
    pipeline: PipelineRecords,
    /// The world's task definitions, apart (see [`Writer::persist`]).
    task_defs: Vec<crate::ecs::taskdef::Registered>,
    world: World,
}

/// Records a stack left, as `up` reads them.
pub(crate) struct Restored {
    pub(crate) region: String,
    pub(crate) written_at: f64,
    pub(crate) routes: BTreeMap<String, usize>,
    pub(crate) pipeline: PipelineRecords,
    /// Without its names and group settings (they are the new stack's).
    pub(crate) world: World,
}

fn path(dir: &Path) -> PathBuf {
    dir.join(RECORDS_FILE)
}

fn refuse(file: &Path, what: &str) -> anyhow::Error {
    bad_input(format!(
        "{}: {what}. The local stack's records (task definitions, deployments, pipeline \
         history) cannot be restored from it, and `up` does not start afresh on its own: \
         `deployer local down --purge --state-dir {}` deletes the state dir's records, \
         images and git remote so that the next `up` starts afresh (or move the file away \
         to keep it, or pass another --state-dir)",
        file.display(),
        file.parent().unwrap_or(Path::new(".")).display()
    ))
}

/// Reads the records a stack left in `dir`; `None` when there are none. A file of another
/// format, or one that does not parse, is refused (exit 2) with the way out.
pub(crate) fn read(dir: &Path) -> anyhow::Result<Option<Restored>> {
    let file = path(dir);
    let bytes = match std::fs::read(&file) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", file.display())),
    };
    let probe: Probe = serde_json::from_slice(&bytes).map_err(|e| {
        refuse(
            &file,
            &format!("not a records file of the local stack ({e})"),
        )
    })?;
    match probe.format {
        Some(FORMAT) => {}
        Some(other) => {
            return Err(refuse(
                &file,
                &format!(
                    "written by deployer {} in records format {other}; this deployer ({}) reads format {FORMAT}",
                    probe.written_by.as_deref().unwrap_or("(unknown)"),
                    env!("CARGO_PKG_VERSION")
                ),
            ))
        }
        None => return Err(refuse(&file, "no \"format\" field: not a records file of the local stack")),
    }
    let mut f: File = serde_json::from_slice(&bytes).map_err(|e| {
        refuse(
            &file,
            &format!("records format {FORMAT} but unreadable ({e})"),
        )
    })?;
    f.world.task_defs = f.task_defs;
    Ok(Some(Restored {
        region: f.region,
        written_at: f.written_at,
        routes: f.routes,
        pipeline: f.pipeline,
        world: f.world,
    }))
}

/// What `deployer local up` checks before it starts a stack in `dir`: the records there
/// (if any) can be restored, and are the records of `region`.
pub fn check(dir: &Path, region: &str) -> anyhow::Result<()> {
    if let Some(r) = read(dir)? {
        check_region(dir, &r, region)?;
    }
    Ok(())
}

pub(crate) fn check_region(dir: &Path, r: &Restored, region: &str) -> anyhow::Result<()> {
    if r.region != region {
        return Err(bad_input(format!(
            "--region {region}: the local stack in {} keeps the records of region {} (their \
             ARNs name it): pass --region {}, or another --state-dir",
            dir.display(),
            r.region,
            r.region
        )));
    }
    Ok(())
}

/// Writes `bytes` as `file` atomically: a temp file beside it, renamed over it. A reader,
/// and a stack that crashed or was killed (`kill -9`) at any point, sees the previous file
/// or the new one: once `rename` has returned, the bytes are the kernel's and outlive the
/// process. What this guards against is the stack's own death, not a power cut, so nothing
/// is synced: an `fsync` per write costs little on an idle disk but milliseconds under load
/// (with builds running, a write's answer p50 was 9.5 ms with it and 5.4 ms without; see
/// bench/README.md), and builds run while the stack is used. After a power cut the previous
/// records come back, or a file `up` refuses as unreadable, naming `down --purge` (ext4, the
/// usual Linux file system, writes a renamed-over file's data before the rename itself).
pub(crate) fn write_atomic(file: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = file.parent().unwrap_or(Path::new("."));
    let name = file.file_name().unwrap_or_default().to_string_lossy();
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let mut f = std::fs::File::create(&tmp)?;
    f.write_all(bytes)?;
    drop(f);
    std::fs::rename(&tmp, file)
}

/// Keeps the records file in step with the stack (one per stack).
pub(crate) struct Writer {
    file: PathBuf,
    /// Set by every change of the world ([`crate::runtime::stack::WorldGuard`]).
    world_dirty: AtomicBool,
    wake: tokio::sync::Notify,
    last: Mutex<Last>,
    /// Writes so far and their total time (µs), for the log and the measurement.
    writes: AtomicU64,
    write_micros: AtomicU64,
}

#[derive(Default)]
struct Last {
    /// The world without its task definitions.
    world: Vec<u8>,
    /// The task definitions, each serialized once (they never change once registered):
    /// the array's elements, comma-separated, and how many.
    task_defs: Vec<u8>,
    task_def_count: usize,
    rest: Vec<u8>,
}

impl Writer {
    pub(crate) fn new(dir: &Path) -> Self {
        Writer {
            file: path(dir),
            world_dirty: AtomicBool::new(true),
            wake: tokio::sync::Notify::new(),
            last: Mutex::default(),
            writes: AtomicU64::new(0),
            write_micros: AtomicU64::new(0),
        }
    }

    /// Resolves at the next change of the world.
    pub(crate) async fn changed(&self) {
        self.wake.notified().await
    }

    /// Whether the world changed since the last write.
    pub(crate) fn world_dirty(&self) -> bool {
        self.world_dirty.load(Ordering::Acquire)
    }

    /// The world changed (its guard calls this before it unlocks).
    pub(crate) fn world_changed(&self) {
        self.world_dirty.store(true, Ordering::Release);
        self.wake.notify_one();
    }

    /// Writes the records if anything changed since the last write; `true` when it wrote.
    /// Blocking (file I/O): call it off the async workers.
    /// `routes` and `pipeline` are read by the caller when called (the stack:
    /// [`crate::runtime::stack::Stack::persist_records`]).
    pub(crate) fn persist(
        &self,
        world: &Mutex<World>,
        region: &str,
        routes: impl FnOnce() -> BTreeMap<String, usize>,
        pipeline: impl FnOnce() -> PipelineRecords,
    ) -> anyhow::Result<bool> {
        // One writer at a time: a snapshot is never older than the one written before it.
        let mut last = lock(&self.last);
        let started = Instant::now();
        let dirty = self.world_dirty.swap(false, Ordering::AcqRel);
        let routes = routes();
        let pipeline = pipeline();
        let encoded = last.encode(world, dirty, region, &routes, &pipeline);
        let encoded = match encoded {
            Ok(Some(e)) => e,
            Ok(None) => return Ok(false),
            Err(e) => {
                self.world_dirty.store(true, Ordering::Release);
                return Err(e);
            }
        };
        if let Err(e) = write_atomic(&self.file, &encoded.bytes) {
            // Written next time (the world's part is marked again).
            self.world_dirty.store(true, Ordering::Release);
            return Err(e).with_context(|| format!("cannot write {}", self.file.display()));
        }
        let size = encoded.bytes.len();
        last.commit(encoded);
        let micros = started.elapsed().as_micros() as u64;
        let n = self.writes.fetch_add(1, Ordering::Relaxed) + 1;
        let total = self.write_micros.fetch_add(micros, Ordering::Relaxed) + micros;
        tracing::debug!(
            target: "records",
            "wrote {} ({size} bytes) in {micros} µs; {n} writes, {} µs on average",
            self.file.display(),
            total / n
        );
        Ok(true)
    }
}

/// A file's worth of records, not written yet.
struct Encoded {
    bytes: Vec<u8>,
    /// The world's part, when it changed.
    world: Option<Vec<u8>>,
    rest: Vec<u8>,
}

impl Last {
    /// The records file's bytes, when anything changed since the last [`Last::commit`]
    /// (`world_dirty`: the world may have; else its part is not even serialized).
    fn encode(
        &mut self,
        world: &Mutex<World>,
        world_dirty: bool,
        region: &str,
        routes: &BTreeMap<String, usize>,
        pipeline: &PipelineRecords,
    ) -> anyhow::Result<Option<Encoded>> {
        let world = if world_dirty || self.world.is_empty() {
            let mut w = lock(world);
            // The task definitions apart: only those registered since are serialized.
            let known = self.task_def_count;
            for td in w.task_defs.iter().skip(known) {
                if !self.task_defs.is_empty() {
                    self.task_defs.push(b',');
                }
                serde_json::to_writer(&mut self.task_defs, td)?;
            }
            self.task_def_count = w.task_defs.len().max(known);
            let task_defs = std::mem::take(&mut w.task_defs);
            let bytes = serde_json::to_vec(&*w);
            w.task_defs = task_defs;
            drop(w);
            let bytes = bytes.context("serializing the world")?;
            (bytes != self.world || self.task_def_count > known).then_some(bytes)
        } else {
            None
        };
        let pipeline = serde_json::to_vec(pipeline).context("serializing the pipeline")?;
        let mut rest = serde_json::to_vec(routes)?;
        rest.extend_from_slice(&pipeline);
        if world.is_none() && rest == self.rest {
            return Ok(None);
        }
        let mut bytes = serde_json::to_vec(&Header {
            format: FORMAT,
            written_by: env!("CARGO_PKG_VERSION"),
            region,
            written_at: now(),
            routes,
        })?;
        bytes.pop(); // the header's closing brace: the large parts follow
        bytes.extend_from_slice(b",\"pipeline\":");
        bytes.extend_from_slice(&pipeline);
        bytes.extend_from_slice(b",\"task_defs\":[");
        bytes.extend_from_slice(&self.task_defs);
        bytes.extend_from_slice(b"],\"world\":");
        bytes.extend_from_slice(world.as_deref().unwrap_or(&self.world));
        bytes.push(b'}');
        Ok(Some(Encoded { bytes, world, rest }))
    }

    /// The encoded records are on disk.
    fn commit(&mut self, e: Encoded) {
        if let Some(w) = e.world {
            self.world = w;
        }
        self.rest = e.rest;
    }
}

/// The operations that only read: no write of the records after them.
pub(crate) fn reads_only(operation: &str) -> bool {
    ["Describe", "List", "Get", "BatchGet", "Filter"]
        .iter()
        .any(|p| operation.starts_with(p))
}

/// What [`recover_world`] did.
#[derive(Debug, PartialEq)]
pub(crate) struct Recovery {
    /// The task set that serves production (now the primary one, without tasks yet).
    pub(crate) task_set: String,
    /// Its target group: both listeners forward to it.
    pub(crate) tg: usize,
    /// The deployments that were in flight, now Failed.
    pub(crate) deployments: Vec<String>,
    /// The tasks that were running, now stopped.
    pub(crate) tasks: usize,
}

/// The message of a deployment that was in flight when the stack stopped.
pub(crate) fn deployment_message(task_set: &str, task_def: &str) -> String {
    format!(
        "The local stack stopped while this deployment was in progress (its process ended \
         without finishing it, with every task it ran): `deployer local up` ended it. \
         Production is on task set {task_set} ({task_def})."
    )
}

/// Ends, in records read back at `up`, what could not outlive the stack that wrote them
/// (see the module doc): every task stops; the deployment in flight ends Failed
/// (`INTERNAL_ERROR`, no rollback: its tasks are gone); the task set behind the production
/// listener (`prod_tg`, else the primary one) stays as the primary one with no tasks, the
/// others go. `None` when the records hold no task set (the stack stopped before it made
/// one): `up` then starts as in a new state dir.
pub(crate) fn recover_world(w: &mut World, prod_tg: Option<usize>) -> Option<Recovery> {
    let at = now();
    let serving = prod_tg
        .and_then(|tg| w.service.task_sets.iter().find(|ts| ts.tg == tg))
        .or_else(|| w.primary())
        .or_else(|| w.service.task_sets.first())
        .map(|ts| (ts.id.clone(), ts.tg, ts.task_def_arn.clone()))?;
    let (ts_id, tg, td_arn) = serving;
    let mut tasks = 0;
    for t in w.tasks.values_mut() {
        if t.last_status == TaskStatus::Stopped {
            continue;
        }
        tasks += 1;
        t.last_status = TaskStatus::Stopped;
        t.desired_running = false;
        t.stopping_at.get_or_insert(at);
        t.stopped_at = Some(at);
        t.pid = None;
        if t.stop_code.is_none() {
            t.stop_code = Some(StopCode::EssentialContainerExited);
            t.stopped_reason =
                Some("The local stack stopped: the task's process was stopped with it".into());
        }
    }
    let message = deployment_message(&ts_id, &td_arn);
    let in_flight: Vec<String> = w
        .deployments
        .iter()
        .filter(|d| !d.status.is_done())
        .map(|d| d.id.clone())
        .collect();
    for id in &in_flight {
        w.end_deployment(
            id,
            DeploymentStatus::Failed,
            FailureCode::InternalError,
            &message,
            Some(false),
        );
    }
    // The revision the service runs is the serving set's: a deployment that had moved
    // production before it stopped leaves its revision live.
    if let Some(d) = w
        .deployments
        .iter()
        .rev()
        .find(|d| d.replacement.as_deref() == Some(ts_id.as_str()))
    {
        if in_flight.contains(&d.id) {
            w.current_revision = d.revision.clone();
        }
    }
    let desired = w.service.desired;
    w.service.task_sets.retain(|ts| ts.id == ts_id);
    if let Some(ts) = w.task_set_mut(&ts_id) {
        ts.status = TaskSetStatus::Primary;
        ts.desired = desired;
        ts.tasks.clear();
        ts.updated_at = at;
    }
    w.event(format!(
        "(service demo) the local stack restarted: {tasks} tasks stopped with the stack that \
         ran them; task set {ts_id} ({td_arn}) serves production and starts {desired} tasks."
    ));
    Some(Recovery {
        task_set: ts_id,
        tg,
        deployments: in_flight,
        tasks,
    })
}

/// What the stack keeps in a state dir (`down --purge` deletes these, nothing else).
pub fn purge(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    use crate::codepipeline::{driver, source};
    use crate::runtime::state;
    let names = [
        RECORDS_FILE,
        state::OUTPUTS_FILE,
        state::TASK_LOG_DIR,
        state::PGROUP_DIR,
        driver::REPO_DIR,
        source::SPOOL_DIR,
        driver::ECR_DIR,
        driver::CODEBUILD_DIR,
        crate::lambda::runner::OUT_DIR,
    ];
    let mut removed = Vec::new();
    for name in names {
        let p = dir.join(name);
        let result = match std::fs::symlink_metadata(&p) {
            Ok(m) if m.is_dir() => std::fs::remove_dir_all(&p),
            Ok(_) => std::fs::remove_file(&p),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => Err(e),
        };
        result.with_context(|| format!("cannot delete {}", p.display()))?;
        removed.push(p);
    }
    Ok(removed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codedeploy::model::{GroupSettings, NewDeployment};
    use crate::ecs::model::NewTask;

    fn world() -> World {
        World::with("us-east-1", 2, GroupSettings::default())
    }

    fn task_def(w: &mut World, tag: &str) -> String {
        let td = serde_json::json!({"family": "demo", "containerDefinitions": [
            {"name": "demo", "image": format!("000000000000.dkr.ecr.us-east-1.amazonaws.com/demo:{tag}"),
             "essential": true, "portMappings": [{"containerPort": 8080}]}
        ]});
        w.register_task_definition(td).unwrap()
    }

    fn start(w: &mut World, ts: &str, td: &str, n: u32) {
        for i in 0..n {
            w.record_task(
                ts,
                td,
                NewTask {
                    id: format!("{ts}-{i}").replace('/', "-"),
                    image: "demo:x".into(),
                    version: "x".into(),
                    port: 9000 + i as u16,
                    pid: Some(4_000_000 + i),
                    has_health_check: false,
                    log: String::new(),
                },
            );
        }
    }

    /// A world mid-deployment: blue serves, green runs; the deployment is in flight.
    fn mid_deployment(switched: bool) -> (World, String, String, String) {
        let mut w = world();
        let v1 = task_def(&mut w, "v1");
        let blue = w.create_task_set(&v1, 0, None, true);
        start(&mut w, &blue, &v1, 2);
        let v2 = task_def(&mut w, "v2");
        let revision = crate::serve::appspec_revision(&v2);
        let content = revision["appSpecContent"]["content"]
            .as_str()
            .unwrap()
            .to_string();
        let id = w
            .create_deployment(NewDeployment {
                revision,
                appspec: deployer_models::appspec::Target::parse(&content).unwrap(),
                description: None,
                auto_rollback: true,
            })
            .unwrap();
        w.start_deployment(&id);
        let green = w.create_task_set(&v2, 1, Some(id.clone()), false);
        start(&mut w, &green, &v2, 2);
        let d = w.deployment_mut(&id).unwrap();
        d.original = Some(blue.clone());
        d.replacement = Some(green.clone());
        d.switched = switched;
        (w, id, blue, green)
    }

    fn through_disk(w: &World) -> World {
        let mut back: World = serde_json::from_slice(&serde_json::to_vec(w).unwrap()).unwrap();
        back.names = w.names.clone();
        back.group = w.group.clone();
        back
    }

    #[test]
    fn the_world_comes_back_from_disk_as_it_was() {
        let (w, id, blue, green) = mid_deployment(false);
        let back = through_disk(&w);
        assert_eq!(back.task_defs, w.task_defs);
        assert_eq!(back.deployments.len(), 1);
        let (a, b) = (&back.deployments[0], &w.deployments[0]);
        assert_eq!((&a.id, a.status, a.creator), (&b.id, b.status, b.creator));
        assert_eq!(a.appspec, b.appspec);
        assert_eq!(back.tasks.len(), 4);
        assert_eq!(back.task_set(&blue).unwrap().tasks.len(), 2);
        assert_eq!(
            back.task_set(&green).unwrap().external_id.as_ref(),
            Some(&id)
        );
        assert_eq!(back.last_attempted, Some(id));
        assert_eq!(back.service.events.len(), w.service.events.len());
    }

    #[test]
    fn the_file_holds_the_world_and_is_rewritten_only_on_change() {
        let dir = tempfile::tempdir().unwrap();
        let (w, id, _, green) = mid_deployment(false);
        let world = Mutex::new(w);
        let routes: BTreeMap<String, usize> = [("prod".to_string(), 0)].into();
        let pipeline = PipelineRecords::default();
        let mut last = Last::default();
        let first = last
            .encode(&world, true, "us-east-1", &routes, &pipeline)
            .unwrap()
            .expect("a first write");
        write_atomic(&path(dir.path()), &first.bytes).unwrap();
        last.commit(first);
        let r = read(dir.path()).unwrap().unwrap();
        assert_eq!(
            (r.region.as_str(), r.routes.clone()),
            ("us-east-1", routes.clone())
        );
        assert_eq!(r.world.task_defs, lock(&world).task_defs);
        assert_eq!(r.world.deployments[0].id, id);
        assert_eq!(r.world.task_set(&green).unwrap().tasks.len(), 2);
        assert!(
            last.encode(&world, false, "us-east-1", &routes, &pipeline)
                .unwrap()
                .is_none(),
            "nothing changed: nothing to write"
        );
        assert!(
            last.encode(&world, true, "us-east-1", &routes, &pipeline)
                .unwrap()
                .is_none(),
            "marked, but the same: nothing to write"
        );
        // A third revision: only it is serialized, the file has all three.
        task_def(&mut lock(&world), "v3");
        let again = last
            .encode(&world, true, "us-east-1", &routes, &pipeline)
            .unwrap()
            .expect("a new revision");
        write_atomic(&path(dir.path()), &again.bytes).unwrap();
        last.commit(again);
        let r = read(dir.path()).unwrap().unwrap();
        assert_eq!(r.world.task_defs.len(), 3);
        assert_eq!(r.world.task_defs, lock(&world).task_defs);
        assert!(lock(&world).task_defs.len() == 3, "the world keeps its own");
        let moved: BTreeMap<String, usize> = [("prod".to_string(), 1)].into();
        let routed = last
            .encode(&world, false, "us-east-1", &moved, &pipeline)
            .unwrap()
            .expect("a listener moved");
        write_atomic(&path(dir.path()), &routed.bytes).unwrap();
        assert_eq!(read(dir.path()).unwrap().unwrap().routes, moved);
    }

    #[test]
    fn a_deployment_in_flight_fails_and_production_stays_where_it_was() {
        let (w, id, blue, green) = mid_deployment(false);
        let mut back = through_disk(&w);
        let r = recover_world(&mut back, Some(0)).unwrap();
        assert_eq!(
            r,
            Recovery {
                task_set: blue.clone(),
                tg: 0,
                deployments: vec![id.clone()],
                tasks: 4
            }
        );
        let d = back.deployment(&id).unwrap();
        assert_eq!(d.status, DeploymentStatus::Failed);
        let (code, message) = d.error.clone().unwrap();
        assert_eq!(code, FailureCode::InternalError);
        assert!(message.contains("The local stack stopped"), "{message}");
        assert!(message.contains(&blue), "{message}");
        assert!(d.rollback_id.is_none(), "no rollback: its tasks are gone");
        assert_eq!(back.service.task_sets.len(), 1, "green is gone");
        assert!(back.task_set(&green).is_none());
        let ts = back.primary().unwrap();
        assert_eq!(
            (ts.id.as_str(), ts.tasks.len(), ts.desired),
            (blue.as_str(), 0, 2)
        );
        assert!(back
            .tasks
            .values()
            .all(|t| t.last_status == TaskStatus::Stopped && t.pid.is_none()));
        assert_eq!(
            back.missing_tasks(),
            [(blue, 2)],
            "the scheduler starts two"
        );
        assert!(
            back.active_deployment().is_none(),
            "a new deployment may start"
        );
    }

    #[test]
    fn after_the_traffic_switch_the_replacement_serves_and_its_revision_is_live() {
        let (w, id, _blue, green) = mid_deployment(true);
        let mut back = through_disk(&w);
        let r = recover_world(&mut back, Some(1)).unwrap();
        assert_eq!((r.task_set.as_str(), r.tg), (green.as_str(), 1));
        let live = back.current_revision.clone();
        assert_eq!(live, back.deployment(&id).unwrap().revision);
        assert_eq!(back.primary().unwrap().id, green);
    }

    #[test]
    fn without_a_task_set_there_is_nothing_to_recover() {
        let mut w = world();
        task_def(&mut w, "v1");
        assert_eq!(recover_world(&mut w, Some(0)), None);
    }

    #[test]
    fn only_writes_persist() {
        for op in [
            "DescribeServices",
            "ListTasks",
            "GetDeployment",
            "BatchGetBuilds",
            "FilterLogEvents",
        ] {
            assert!(reads_only(op), "{op}");
        }
        for op in [
            "RegisterTaskDefinition",
            "CreateDeployment",
            "StopBuild",
            "UpdateService",
            "PutImage",
        ] {
            assert!(!reads_only(op), "{op}");
        }
    }

    #[test]
    fn a_file_of_another_format_or_corrupt_is_refused_with_the_way_out() {
        let dir = tempfile::tempdir().unwrap();
        assert!(
            read(dir.path()).unwrap().is_none(),
            "no records: a new stack"
        );
        let file = dir.path().join(RECORDS_FILE);
        std::fs::write(&file, r#"{"format": 99, "written_by": "9.9.9"}"#).unwrap();
        let err = read(dir.path()).err().unwrap();
        assert!(err.downcast_ref::<deployer_models::BadInput>().is_some());
        let msg = format!("{err:#}");
        assert!(msg.contains(&file.display().to_string()), "{msg}");
        assert!(msg.contains("format 99") && msg.contains("9.9.9"), "{msg}");
        assert!(msg.contains("deployer local down --purge"), "{msg}");
        write_atomic(&file, b"{\"format\": 1, \"wor").unwrap();
        let msg = format!("{:#}", read(dir.path()).err().unwrap());
        assert!(msg.contains("not a records file"), "{msg}");
        std::fs::write(&file, r#"{"format": 1, "region": "us-east-1"}"#).unwrap();
        let msg = format!("{:#}", read(dir.path()).err().unwrap());
        assert!(msg.contains("unreadable"), "{msg}");
        let leftovers: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .filter_map(|e| e.ok())
            .map(|e| e.file_name())
            .collect();
        assert_eq!(
            leftovers,
            [std::ffi::OsString::from(RECORDS_FILE)],
            "no temp file left"
        );
    }
}
