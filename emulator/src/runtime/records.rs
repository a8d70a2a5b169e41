//! The stack's records on disk: what a restarted stack gives back.
//!
//! **What.** Every emulated record that is not a file already: the [`World`] (task
//! definitions and their revisions, the ECS service with its task sets, tasks and events,
//! CodeDeploy's deployments with their lifecycle events and hook executions, the group's
//! last successful and attempted deployments), which target group each listener forwards
//! to, and the local pipeline's executions, builds and BuildOutput directories. Images
//! (`ecr/`), the git remote (`source.git/`), spooled pushes (`pushes/`) and build
//! directories are files of their own and outlive a stack as they are. CloudWatch Logs
//! events, Application Auto Scaling's targets and policies and Lambda's functions are not
//! kept: `up` creates the last two as Terraform would, and the tasks' output files stay
//! under `tasks/`.
//!
//! **Where: a snapshot and a journal.** `<state dir>/records.json` is a snapshot of all of
//! it, written whole and atomically ([`write_atomic`]: a temp file renamed over the old
//! one); `records.log` beside it is a journal of what changed since: one JSON line per
//! write, appended (`O_APPEND`, the whole line in one `write`), holding only the parts that
//! changed since the entry before it: the task definitions registered since (each one
//! serialized once: they never change once registered), the rest of the world when its
//! guard marked a change and it differs from what was written (compared in CBOR, see
//! [`Last::changes`]), the pipeline's part when it
//! differs, the routes when a listener moved. Every snapshot and every entry carries a
//! sequence number, one more than the write before it; the snapshot's is that of the last
//! entry it holds. The records are the snapshot, then the entries after its number in
//! order ([`read`]).
//!
//! **When.** [`Writer::persist`] writes an entry (nothing when nothing changed):
//! - after every API request that is not a read (`Describe*`, `List*`, `Get*`,
//!   `BatchGet*`, `Filter*`), before its answer leaves (the router waits for it: a write
//!   that fails answers the request `500 InternalFailure`, and until a write succeeds the
//!   router refuses the next write requests `503 ServiceUnavailable` before they change
//!   anything, trying the write again at most once a [`RETRY`], so no change is answered
//!   as made while it is in memory only); after
//!   RegisterTaskDefinition, whose only change is the task definition, the entry holds it
//!   alone ([`scope_of`]) and the rest of the world stays marked for the follower;
//! - after the engines' own changes: every change of the world (its guard marks it,
//!   [`crate::runtime::stack::WorldGuard`]) wakes the stack's follower
//!   ([`crate::runtime::stack::follow_records`]), which writes [`MIN_GAP`] later
//!   (lifecycle steps, task starts and exits, the traffic switch); while a pipeline
//!   execution or a build is in progress it also looks every [`PERIOD`] (build phases,
//!   stage transitions);
//! - before a spooled push leaves the spool (the execution it started is written first;
//!   the execution names its push, so a push is never started twice);
//! - once more when the stack stops.
//!
//! A snapshot is written instead of an entry by the first write of a stack (its records
//! start from what `up` restored, with what could not survive ended), and by the follower
//! and the stop ([`Scope::ChangesOrSnapshot`]) once the journal has grown past
//! [`JOURNAL_FACTOR`] times the snapshot (at least [`JOURNAL_MIN`] bytes): so replay at `up`
//! reads at most a few times the records' size, and the API's own writes never pay for a
//! snapshot. Compaction is two steps, each safe to die after: (1) the new snapshot, its
//! number one more than the journal's last entry, renamed over the old one; (2) the
//! journal deleted, the next entry starting a new one (created, never appended to an older
//! file). Killed between the two, the old journal's entries all have numbers at or below
//! the new snapshot's: [`read`] recognises them as held by the snapshot and applies none
//! twice. An entry's task definitions also say at which index they start, and replay
//! checks it against the records it has.
//!
//! **A stack killed at any point** (`kill -9`) leaves the previous snapshot or the new
//! one, and a journal whose complete lines are all whole entries: the last complete entry
//! wins. A write that died half-way leaves a last line with no newline (a short `write`
//! under SIGKILL, or a full disk): [`read`] ignores it and says so in the stack's log
//! (its answer had not left). After a failed append the writer's next write is a snapshot,
//! so a torn line is never followed by another. Anything else that does not read back (a
//! complete line that is not an entry, an entry out of sequence, a journal without its
//! snapshot, a snapshot of another format) refuses `up` naming the file and the way out
//! (`deployer local down --purge`), never a silent reset.
//!
//! **Why a journal, and what a write costs.** The first version rewrote the whole
//! `records.json` on every write (up to 270 kB with 200 task definition revisions: a new
//! file, renamed over the old one); with it an API write (RegisterTaskDefinition) answered
//! in 1.6 ms at the median on a quiet machine against 0.86 ms before the records existed.
//! Measured on `bench/watch.py`'s 200 registrations (debug build, `perf` and
//! `RUST_LOG=records=debug`; bench/README.md): the file's write and rename were the
//! largest part of the writer's CPU time (18% of the stack's samples, against 9% for
//! serializing what changed). An entry is a few kB whatever the records' size, and a
//! snapshot's cost falls on the follower, once per several times its size in entries.
//! With the journal alone a write still took 0.8-0.9 ms in the writer once the world held
//! six deployments: nearly all of it serializing the rest of the world (36 kB) to JSON to
//! find that it had not changed (serde_json escapes strings byte by byte, slow in a debug
//! build). Hence the CBOR comparison, and RegisterTaskDefinition's entry holding its task
//! definition alone, as the registration made its JSON once for the answer and the entry
//! ([`crate::ecs::taskdef::Ordered::from_written`]), and written on the request's own
//! thread (the hop to a blocking thread and back cost 0.1 ms; `block_in_place` hops too).
//! A registration now answers as fast as before the records existed (bench/README.md).
//!
//! **Why files and not an embedded store (redb, SQLite).** At local scale the records are
//! small; a store would need the models mapped to tables or keys and a migration story, for
//! no gain in what survives a crash. The models stay the serde types they are. Reads (the
//! bulk of the API's traffic: `bench/watch.py`) write nothing and cost what they did.
//!
//! **Why no `fsync`.** What this guards against is the stack's own death, not a power cut:
//! once `write` or `rename` has returned, the bytes are the kernel's and outlive the
//! process. An `fsync` per write costs little on an idle disk but milliseconds under load
//! (with builds running, a write's answer p50 was 9.5 ms with it and 5.4 ms without; see
//! bench/README.md), and builds run while the stack is used. After a power cut the journal
//! may lose its last entries or end in a torn line (the records of a moment before), or
//! `up` refuses a file that does not read back, naming `down --purge`.
//!
//! **Where it falls short.** The world apart from its task definitions is written whole
//! when it changed (a few kB; more with many deployments kept): per-deployment entries
//! would cut it further, at the cost of mapping the model to keys. Task definitions are
//! assumed never to change once registered (no DeregisterTaskDefinition is served).
//!
//! **At `up`.** [`read`] gives the records back; [`recover_world`] ends what could not
//! survive: every task (its process went with the stack, or was stopped by `up`'s
//! cleanup), and a deployment in flight, which ends Failed with `INTERNAL_ERROR` ("there
//! was an internal error", the closest of CodeDeploy's error codes to a platform that went
//! away) with production on the task set that served it; that task set becomes the primary
//! one and its tasks are started, so the production listener serves the revision that was
//! live. The pipeline's side is [`crate::codepipeline::driver::LocalPipeline::restore`]: a
//! build in progress ends FAULT, or TIMED_OUT when its recorded deadline (start + timeout)
//! has passed; the execution that ran it ends Failed; executions that only waited at a
//! transition go on.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::Write;
use std::os::unix::fs::MetadataExt;
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

/// The snapshot, in the state dir.
pub const RECORDS_FILE: &str = "records.json";
/// The journal of the writes since the snapshot, beside it.
pub const JOURNAL_FILE: &str = "records.log";
/// The records' format; a snapshot of another format is refused, not guessed at. Format
/// 1 was the snapshot alone (no journal, no sequence number): it is read as a snapshot
/// numbered 0. A deployer that reads only format 1 refuses format 2, rather than read the
/// snapshot without its journal.
pub const FORMAT: u32 = 2;
/// How often the follower looks while a pipeline execution or build runs.
pub(crate) const PERIOD: Duration = Duration::from_millis(200);
/// The follower writes this long after a change woke it (the API's writes do not wait).
pub(crate) const MIN_GAP: Duration = Duration::from_millis(10);
/// A new snapshot is due once the journal holds this many times the snapshot's bytes...
pub(crate) const JOURNAL_FACTOR: u64 = 4;
/// ...and at least this many bytes (a new stack's snapshot is a few kB).
pub(crate) const JOURNAL_MIN: u64 = 256 * 1024;

/// A task definition as the world keeps it.
type TaskDef = crate::ecs::taskdef::Registered;

/// The snapshot's header, before the parts (the routes: listener kind (`prod`, `test`) ->
/// the target group it forwards to; the pipeline's; the task definitions; the world).
#[derive(Serialize)]
struct Header<'a> {
    format: u32,
    /// The deployer that wrote it (for the message when a later one cannot read it).
    written_by: &'static str,
    region: &'a str,
    written_at: f64,
    /// The sequence number of the last write it holds.
    seq: u64,
}

/// Just the format, read first.
#[derive(Deserialize)]
struct Probe {
    format: Option<u32>,
    written_by: Option<String>,
}

/// The snapshot, read back.
#[derive(Deserialize)]
struct Snapshot {
    region: String,
    written_at: f64,
    /// Absent in format 1.
    #[serde(default)]
    seq: u64,
    routes: BTreeMap<String, usize>,
    pipeline: PipelineRecords,
    /// The world's task definitions, apart (each serialized once: [`Writer::persist`]).
    task_defs: Vec<TaskDef>,
    world: World,
}

/// A journal entry, read back: the parts that changed since the entry before it.
#[derive(Deserialize)]
struct Entry {
    seq: u64,
    at: f64,
    routes: Option<BTreeMap<String, usize>>,
    pipeline: Option<PipelineRecords>,
    /// The index in the world's task definitions of the first of `task_defs`.
    #[serde(default)]
    task_defs_from: usize,
    #[serde(default)]
    task_defs: Vec<TaskDef>,
    /// The world without its task definitions.
    world: Option<World>,
}

/// Records a stack left, as `up` reads them.
pub(crate) struct Restored {
    pub(crate) region: String,
    pub(crate) written_at: f64,
    pub(crate) routes: BTreeMap<String, usize>,
    pub(crate) pipeline: PipelineRecords,
    /// Without its names and group settings (they are the new stack's).
    pub(crate) world: World,
    /// The sequence number of the last write read back (the next stack's [`Writer::new`]
    /// numbers its writes after it).
    pub(crate) seq: u64,
    /// What replay found worth saying in the stack's log (a torn last line, entries the
    /// snapshot already held).
    pub(crate) notes: Vec<String>,
}

fn path(dir: &Path) -> PathBuf {
    dir.join(RECORDS_FILE)
}

fn journal_path(dir: &Path) -> PathBuf {
    dir.join(JOURNAL_FILE)
}

fn refuse(file: &Path, what: &str) -> anyhow::Error {
    let dir = file.parent().unwrap_or(Path::new("."));
    bad_input(format!(
        "{}: {what}. The local stack's records (task definitions, deployments, pipeline \
         history) cannot be restored from it, and `up` does not start afresh on its own: \
         `deployer local down --purge --state-dir {}` deletes the state dir's records, \
         images and git remote so that the next `up` starts afresh (or move {RECORDS_FILE} \
         and {JOURNAL_FILE} away to keep them, or pass another --state-dir)",
        file.display(),
        dir.display()
    ))
}

/// Reads the records a stack left in `dir`: the snapshot, then the journal's entries after
/// it; `None` when there are none. A snapshot of another format, or anything that does not
/// read back but a torn last line, is refused (exit 2) with the way out.
pub(crate) fn read(dir: &Path) -> anyhow::Result<Option<Restored>> {
    let file = path(dir);
    let journal_file = journal_path(dir);
    let journal = match std::fs::read(&journal_file) {
        Ok(b) => Some(b),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", journal_file.display())),
    };
    let bytes = match std::fs::read(&file) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return match journal {
                None => Ok(None),
                Some(_) => Err(refuse(
                    &journal_file,
                    &format!("a journal without its snapshot ({RECORDS_FILE} is missing)"),
                )),
            };
        }
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", file.display())),
    };
    let probe: Probe = serde_json::from_slice(&bytes).map_err(|e| {
        refuse(
            &file,
            &format!("not a records file of the local stack ({e})"),
        )
    })?;
    match probe.format {
        Some(1 | FORMAT) => {}
        Some(other) => {
            return Err(refuse(
                &file,
                &format!(
                    "written by deployer {} in records format {other}; this deployer ({}) reads formats 1 and {FORMAT}",
                    probe.written_by.as_deref().unwrap_or("(unknown)"),
                    env!("CARGO_PKG_VERSION")
                ),
            ))
        }
        None => return Err(refuse(&file, "no \"format\" field: not a records file of the local stack")),
    }
    let s: Snapshot = serde_json::from_slice(&bytes).map_err(|e| {
        refuse(
            &file,
            &format!("records format {FORMAT} but unreadable ({e})"),
        )
    })?;
    let mut world = s.world;
    world.task_defs = s.task_defs;
    let mut r = Restored {
        region: s.region,
        written_at: s.written_at,
        routes: s.routes,
        pipeline: s.pipeline,
        world,
        seq: s.seq,
        notes: Vec::new(),
    };
    if let Some(journal) = journal {
        replay(&journal_file, &journal, &mut r)?;
    }
    Ok(Some(r))
}

/// Applies the journal's entries after the snapshot's number to `r`, in order.
fn replay(file: &Path, journal: &[u8], r: &mut Restored) -> anyhow::Result<()> {
    let snapshot_seq = r.seq;
    let mut held = 0;
    let mut applied = 0;
    let mut rest = journal;
    let mut line_no = 0;
    while !rest.is_empty() {
        line_no += 1;
        let Some(end) = rest.iter().position(|&b| b == b'\n') else {
            // A write that died half-way: its answer had not left.
            r.notes.push(format!(
                "{}: line {line_no} is torn ({} bytes without a newline: a write the stack \
                 did not finish): ignored, the records are those of the entry before it",
                file.display(),
                rest.len()
            ));
            break;
        };
        let line = &rest[..end];
        rest = &rest[end + 1..];
        let e: Entry = serde_json::from_slice(line).map_err(|e| {
            refuse(
                file,
                &format!("line {line_no} is not a journal entry of the local stack ({e})"),
            )
        })?;
        if e.seq <= snapshot_seq && applied == 0 {
            // Written before the snapshot that holds it (a compaction that did not get to
            // delete the journal).
            held += 1;
            continue;
        }
        let expected = r.seq + 1;
        if e.seq != expected {
            return Err(refuse(
                file,
                &format!(
                    "line {line_no} is entry {} where entry {expected} was expected (the \
                     snapshot holds up to entry {snapshot_seq})",
                    e.seq
                ),
            ));
        }
        if !e.task_defs.is_empty() {
            let have = r.world.task_defs.len();
            if e.task_defs_from != have {
                return Err(refuse(
                    file,
                    &format!(
                        "line {line_no} (entry {}) adds task definitions from index {} but \
                         the records before it hold {have}",
                        e.seq, e.task_defs_from
                    ),
                ));
            }
        }
        let mut task_defs = std::mem::take(&mut r.world.task_defs);
        task_defs.extend(e.task_defs);
        if let Some(w) = e.world {
            r.world = w;
        }
        r.world.task_defs = task_defs;
        if let Some(p) = e.pipeline {
            r.pipeline = p;
        }
        if let Some(routes) = e.routes {
            r.routes = routes;
        }
        r.written_at = e.at;
        r.seq = e.seq;
        applied += 1;
    }
    if held > 0 {
        r.notes.push(format!(
            "{}: {held} entries already held by the snapshot (a compaction stopped before \
             it deleted the journal): skipped",
            file.display()
        ));
    }
    tracing::debug!(target: "records", "replayed {applied} journal entries after snapshot {snapshot_seq}");
    Ok(())
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
/// or the new one. Nothing is synced (the module doc says why); ext4, the usual Linux file
/// system, writes a renamed-over file's data before the rename itself.
pub(crate) fn write_atomic(file: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = file.parent().unwrap_or(Path::new("."));
    let name = file.file_name().unwrap_or_default().to_string_lossy();
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let mut f = File::create(&tmp)?;
    f.write_all(bytes)?;
    drop(f);
    std::fs::rename(&tmp, file)
}

/// What a write looks at, and whether it may write a snapshot.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Scope {
    /// The task definitions registered since the last write, nothing else: after an API
    /// request whose only change is a task definition ([`scope_of`]). The rest of the
    /// world stays marked for the follower, which writes it if the engines changed it.
    TaskDefinitions,
    /// Everything that changed, as an entry (the API's other writes, the pipeline's).
    Changes,
    /// Everything that changed, or a snapshot when the journal is due for one (the
    /// follower, the stop).
    ChangesOrSnapshot,
}

/// The scope of the write after an API request that is not a read ([`reads_only`]).
/// RegisterTaskDefinition changes the task definitions alone (a test holds the backend to
/// it): its write skips the rest of the world, whose serialization (to find that it did
/// not change) was most of a write's cost once the journal replaced the whole-file rewrite.
pub(crate) fn scope_of(operation: &str) -> Scope {
    match operation {
        "RegisterTaskDefinition" => Scope::TaskDefinitions,
        _ => Scope::Changes,
    }
}

/// Keeps the records on disk in step with the stack (one per stack).
pub(crate) struct Writer {
    dir: PathBuf,
    /// Set by every change of the world ([`crate::runtime::stack::WorldGuard`]).
    world_dirty: AtomicBool,
    /// The journal passed its bound: the follower writes a snapshot.
    compaction_due: AtomicBool,
    wake: tokio::sync::Notify,
    last: Mutex<Last>,
    /// Writes so far and their total time (µs), for the log and the measurement.
    writes: AtomicU64,
    write_micros: AtomicU64,
    /// Since when (epoch seconds) and why the writes fail, until one succeeds: what
    /// changed since is in memory only (`deployer local status` says so).
    failing: Mutex<Option<Failing>>,
}

/// Writes that fail: since the first of them, the last one's error.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct Failing {
    pub(crate) since: f64,
    pub(crate) error: String,
    /// When the last one failed ([`Writer::retry_due`]).
    #[serde(skip)]
    pub(crate) last: Instant,
}

/// While the writes fail, the next try at most this often (the follower's, and the one an
/// API write request makes first): each is a snapshot and an error in the stack's log.
pub(crate) const RETRY: Duration = Duration::from_secs(1);

/// What is on disk, as the writer wrote it.
struct Last {
    /// The world without its task definitions.
    world: Vec<u8>,
    /// The same in CBOR: what a write compares to find whether the world changed.
    world_cbor: Vec<u8>,
    /// The task definitions, each serialized once (they never change once registered):
    /// the array's elements, comma-separated, and how many.
    task_defs: Vec<u8>,
    task_def_count: usize,
    routes: Vec<u8>,
    pipeline: Vec<u8>,
    /// The sequence number of the last write.
    seq: u64,
    /// The next write is a snapshot (a new stack's first, or after a failed write).
    snapshot_due: bool,
    snapshot_len: u64,
    /// The journal this writer started after its last snapshot (appended to).
    journal: Option<File>,
    journal_len: u64,
    /// [`JOURNAL_MIN`] (lower in tests).
    journal_min: u64,
}

impl Last {
    fn new(seq: u64) -> Self {
        Last {
            world: Vec::new(),
            world_cbor: Vec::new(),
            task_defs: Vec::new(),
            task_def_count: 0,
            routes: Vec::new(),
            pipeline: Vec::new(),
            seq,
            snapshot_due: true,
            snapshot_len: 0,
            journal: None,
            journal_len: 0,
            journal_min: JOURNAL_MIN,
        }
    }

    fn journal_bound(&self) -> u64 {
        (JOURNAL_FACTOR * self.snapshot_len).max(self.journal_min)
    }
}

/// What changed since the last write, serialized.
#[derive(Default)]
struct Changes {
    /// The world without its task definitions, when it differs (JSON, CBOR).
    world: Option<(Vec<u8>, Vec<u8>)>,
    /// The task definitions registered since, comma-separated, and how many.
    task_defs: Vec<u8>,
    task_def_count: usize,
    routes: Option<Vec<u8>>,
    pipeline: Option<Vec<u8>>,
}

impl Changes {
    fn is_empty(&self) -> bool {
        self.world.is_none()
            && self.task_def_count == 0
            && self.routes.is_none()
            && self.pipeline.is_none()
    }
}

impl Writer {
    /// `seq`: the sequence number of the last write of the records this stack starts on
    /// ([`Restored::seq`]; 0 for none).
    pub(crate) fn new(dir: &Path, seq: u64) -> Self {
        Writer {
            dir: dir.to_path_buf(),
            world_dirty: AtomicBool::new(true),
            compaction_due: AtomicBool::new(false),
            wake: tokio::sync::Notify::new(),
            last: Mutex::new(Last::new(seq)),
            writes: AtomicU64::new(0),
            write_micros: AtomicU64::new(0),
            failing: Mutex::new(None),
        }
    }

    /// Writes so far, and whether they are failing now.
    pub(crate) fn health(&self) -> (u64, Option<Failing>) {
        (
            self.writes.load(Ordering::Relaxed),
            lock(&self.failing).clone(),
        )
    }

    /// Whether the last write failed (no write succeeded since).
    pub(crate) fn is_failing(&self) -> bool {
        lock(&self.failing).is_some()
    }

    /// While the writes fail: `Err` with the last error until [`RETRY`] after it, when
    /// another try is due. `Ok` when they do not fail.
    pub(crate) fn retry_due(&self) -> Result<(), String> {
        match &*lock(&self.failing) {
            Some(f) if f.last.elapsed() < RETRY => Err(f.error.clone()),
            _ => Ok(()),
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

    /// Whether the journal passed its bound (a [`Scope::ChangesOrSnapshot`] write makes a
    /// snapshot).
    pub(crate) fn compaction_due(&self) -> bool {
        self.compaction_due.load(Ordering::Acquire)
    }

    /// The world changed (its guard calls this before it unlocks).
    pub(crate) fn world_changed(&self) {
        self.world_dirty.store(true, Ordering::Release);
        self.wake.notify_one();
    }

    /// Writes what changed since the last write, within `scope`: a journal entry, or a
    /// snapshot (the first write, or `scope` allows it and the journal is due); `true` when
    /// it wrote. Blocking (file I/O): call it off the async workers.
    /// `routes` and `pipeline` are read when needed (the stack:
    /// [`crate::runtime::stack::Stack::persist_records`]).
    pub(crate) fn persist(
        &self,
        world: &Mutex<World>,
        region: &str,
        routes: impl FnOnce() -> BTreeMap<String, usize>,
        pipeline: impl FnOnce() -> PipelineRecords,
        scope: Scope,
    ) -> anyhow::Result<bool> {
        // One writer at a time: entries go out in the order of their numbers, and a
        // snapshot is never older than what was written before it.
        let mut last = lock(&self.last);
        let started = Instant::now();
        // A snapshot holds everything.
        let scope = match scope {
            Scope::TaskDefinitions if last.snapshot_due => Scope::Changes,
            s => s,
        };
        let (dirty, rest) = match scope {
            Scope::TaskDefinitions => (false, None),
            _ => (
                self.world_dirty.swap(false, Ordering::AcqRel),
                Some((routes(), pipeline())),
            ),
        };
        let written = self.write(&mut last, world, scope, dirty, region, rest.as_ref());
        let (kind, size) = match written {
            Ok(Some(w)) => w,
            Ok(None) => return Ok(false),
            Err(e) => {
                // Written next time, whole: the next write is a snapshot, so that a torn
                // line is never followed by another.
                self.world_dirty.store(true, Ordering::Release);
                last.snapshot_due = true;
                let mut failing = lock(&self.failing);
                let since = failing.as_ref().map_or_else(now, |f| f.since);
                *failing = Some(Failing {
                    since,
                    error: format!("{e:#}"),
                    last: Instant::now(),
                });
                return Err(e);
            }
        };
        lock(&self.failing).take();
        let micros = started.elapsed().as_micros() as u64;
        let n = self.writes.fetch_add(1, Ordering::Relaxed) + 1;
        let total = self.write_micros.fetch_add(micros, Ordering::Relaxed) + micros;
        tracing::debug!(
            target: "records",
            "wrote {kind} {} ({size} bytes) in {micros} µs; {n} writes, {} µs on average",
            last.seq,
            total / n
        );
        Ok(true)
    }

    /// One write: what it was and its size, `None` when nothing changed. `rest`: the
    /// routes and the pipeline's part (`None` for [`Scope::TaskDefinitions`]).
    fn write(
        &self,
        last: &mut Last,
        world: &Mutex<World>,
        scope: Scope,
        dirty: bool,
        region: &str,
        rest: Option<&(BTreeMap<String, usize>, PipelineRecords)>,
    ) -> anyhow::Result<Option<(&'static str, usize)>> {
        let changes = last.changes(world, scope, dirty, rest)?;
        let snapshot = scope != Scope::TaskDefinitions
            && (last.snapshot_due
                || (scope == Scope::ChangesOrSnapshot && last.journal_len > last.journal_bound()));
        if changes.is_empty() && !snapshot {
            return Ok(None);
        }
        let seq = last.seq + 1;
        if snapshot {
            let bytes = last.snapshot(&changes, region, seq)?;
            let file = path(&self.dir);
            write_atomic(&file, &bytes)
                .with_context(|| format!("cannot write {}", file.display()))?;
            // The old journal's entries are all held by the snapshot now (numbered at or
            // below it): a crash before this deletion leaves them to be skipped.
            last.journal = None;
            let journal = journal_path(&self.dir);
            match std::fs::remove_file(&journal) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => {
                    // The snapshot stands; entries never go to a journal this writer did
                    // not start, so the next write is a snapshot again.
                    last.commit(changes, seq);
                    return Err(e).with_context(|| format!("cannot delete {}", journal.display()));
                }
            }
            last.snapshot_due = false;
            last.snapshot_len = bytes.len() as u64;
            last.journal_len = 0;
            self.compaction_due.store(false, Ordering::Release);
            last.commit(changes, seq);
            return Ok(Some(("snapshot", bytes.len())));
        }
        let line = last.entry(&changes, seq);
        let journal = journal_path(&self.dir);
        if last.journal.is_none() {
            // A new journal, after this writer's snapshot (create_new: never one it did not
            // start).
            let f = std::fs::OpenOptions::new()
                .append(true)
                .create_new(true)
                .open(&journal)
                .with_context(|| format!("cannot create {}", journal.display()))?;
            last.journal = Some(f);
        }
        let f = last.journal.as_mut().expect("opened above");
        // A journal deleted from under the stack (its state dir removed, `down --purge` from
        // another shell) would take appends that no `up` reads: one `fstat` per entry
        // (about a µs) finds it, and the write fails as one to a full disk does.
        let links = f
            .metadata()
            .with_context(|| format!("cannot stat {}", journal.display()))?
            .nlink();
        if links == 0 {
            anyhow::bail!(
                "{} was deleted while the stack ran (its state dir removed?)",
                journal.display()
            );
        }
        // One `write` of the whole line in the common case (`write_all` loops only after a
        // short write, which a signal or a full disk causes).
        f.write_all(&line)
            .with_context(|| format!("cannot append to {}", journal.display()))?;
        last.journal_len += line.len() as u64;
        if last.journal_len > last.journal_bound() {
            self.compaction_due.store(true, Ordering::Release);
            self.wake.notify_one();
        }
        last.commit(changes, seq);
        Ok(Some(("entry", line.len())))
    }
}

impl Last {
    /// What changed since the last write, within `scope` (`world_dirty`: the world may
    /// have; else its part is not even serialized).
    fn changes(
        &self,
        world: &Mutex<World>,
        scope: Scope,
        world_dirty: bool,
        rest: Option<&(BTreeMap<String, usize>, PipelineRecords)>,
    ) -> anyhow::Result<Changes> {
        let mut c = Changes::default();
        let whole = scope != Scope::TaskDefinitions && (world_dirty || self.world.is_empty());
        if whole || scope == Scope::TaskDefinitions {
            let mut w = lock(world);
            // The task definitions apart: only those registered since are serialized.
            for td in w.task_defs.iter().skip(self.task_def_count) {
                if c.task_def_count > 0 {
                    c.task_defs.push(b',');
                }
                serde_json::to_writer(&mut c.task_defs, td)
                    .context("serializing a task definition")?;
                c.task_def_count += 1;
            }
            if !whole {
                return Ok(c);
            }
            // Whether the rest changed, from its CBOR: ciborium (already here for
            // CloudWatch's protocol) writes a string whole where JSON escapes it byte by
            // byte, ten times faster in a debug build (a 36 kB world: 165 µs against
            // 1.6 ms). JSON only for what goes to disk.
            let task_defs = std::mem::take(&mut w.task_defs);
            let mut cbor = Vec::with_capacity(self.world_cbor.len() + 1024);
            let encoded = ciborium::into_writer(&*w, &mut cbor)
                .map_err(|e| anyhow::anyhow!("serializing the world: {e}"))
                .and_then(|()| {
                    if cbor == self.world_cbor && !self.world.is_empty() {
                        return Ok(None);
                    }
                    Ok(Some(
                        serde_json::to_vec(&*w).context("serializing the world")?,
                    ))
                });
            w.task_defs = task_defs;
            drop(w);
            if let Some(json) = encoded? {
                c.world = Some((json, cbor));
            }
        }
        if let Some((routes, pipeline)) = rest {
            let r = serde_json::to_vec(routes)?;
            if r != self.routes {
                c.routes = Some(r);
            }
            let p = serde_json::to_vec(pipeline).context("serializing the pipeline")?;
            if p != self.pipeline {
                c.pipeline = Some(p);
            }
        }
        Ok(c)
    }

    /// The snapshot's bytes: what was written with `c` over it.
    fn snapshot(&self, c: &Changes, region: &str, seq: u64) -> anyhow::Result<Vec<u8>> {
        let mut bytes = serde_json::to_vec(&Header {
            format: FORMAT,
            written_by: env!("CARGO_PKG_VERSION"),
            region,
            written_at: now(),
            seq,
        })?;
        bytes.pop(); // the header's closing brace: the parts follow
        bytes.extend_from_slice(b",\"routes\":");
        bytes.extend_from_slice(c.routes.as_deref().unwrap_or(&self.routes));
        bytes.extend_from_slice(b",\"pipeline\":");
        bytes.extend_from_slice(c.pipeline.as_deref().unwrap_or(&self.pipeline));
        bytes.extend_from_slice(b",\"task_defs\":[");
        bytes.extend_from_slice(&self.task_defs);
        if self.task_def_count > 0 && c.task_def_count > 0 {
            bytes.push(b',');
        }
        bytes.extend_from_slice(&c.task_defs);
        bytes.extend_from_slice(b"],\"world\":");
        bytes.extend_from_slice(c.world.as_ref().map_or(&self.world, |(json, _)| json));
        bytes.push(b'}');
        Ok(bytes)
    }

    /// The journal entry's line: the parts in `c` (compact JSON has no raw newline).
    fn entry(&self, c: &Changes, seq: u64) -> Vec<u8> {
        let mut line = format!("{{\"seq\":{seq},\"at\":{}", serde_json::json!(now())).into_bytes();
        if let Some(r) = &c.routes {
            line.extend_from_slice(b",\"routes\":");
            line.extend_from_slice(r);
        }
        if let Some(p) = &c.pipeline {
            line.extend_from_slice(b",\"pipeline\":");
            line.extend_from_slice(p);
        }
        if c.task_def_count > 0 {
            line.extend_from_slice(
                format!(
                    ",\"task_defs_from\":{},\"task_defs\":[",
                    self.task_def_count
                )
                .as_bytes(),
            );
            line.extend_from_slice(&c.task_defs);
            line.push(b']');
        }
        if let Some((w, _)) = &c.world {
            line.extend_from_slice(b",\"world\":");
            line.extend_from_slice(w);
        }
        line.extend_from_slice(b"}\n");
        line
    }

    /// `c` is on disk as write `seq`.
    fn commit(&mut self, c: Changes, seq: u64) {
        if c.task_def_count > 0 {
            if self.task_def_count > 0 {
                self.task_defs.push(b',');
            }
            self.task_defs.extend_from_slice(&c.task_defs);
            self.task_def_count += c.task_def_count;
        }
        if let Some((json, cbor)) = c.world {
            self.world = json;
            self.world_cbor = cbor;
        }
        if let Some(r) = c.routes {
            self.routes = r;
        }
        if let Some(p) = c.pipeline {
            self.pipeline = p;
        }
        self.seq = seq;
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
        // The snapshot before its journal: a purge cut short leaves a journal that `up`
        // refuses (naming `down --purge` again), never an older snapshot read as current.
        RECORDS_FILE,
        JOURNAL_FILE,
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

    const REGION: &str = "us-east-1";

    /// A stack's records as the tests change them: the world, the routes, the pipeline's
    /// part, and the writer of a state dir.
    struct Records {
        dir: tempfile::TempDir,
        world: Mutex<World>,
        routes: BTreeMap<String, usize>,
        pipeline: PipelineRecords,
        writer: Writer,
    }

    impl Records {
        fn new(w: World) -> Self {
            let dir = tempfile::tempdir().unwrap();
            let writer = Writer::new(dir.path(), 0);
            Records {
                dir,
                world: Mutex::new(w),
                routes: [("prod".to_string(), 0), ("test".to_string(), 0)].into(),
                pipeline: PipelineRecords::default(),
                writer,
            }
        }

        /// A change through the world's guard: marked for the writer.
        fn change(&self, f: impl FnOnce(&mut World)) {
            f(&mut lock(&self.world));
            self.writer.world_changed();
        }

        fn persist(&self, scope: Scope) -> bool {
            self.writer
                .persist(
                    &self.world,
                    REGION,
                    || self.routes.clone(),
                    || self.pipeline.clone(),
                    scope,
                )
                .unwrap()
        }

        fn journal(&self) -> PathBuf {
            self.dir.path().join(JOURNAL_FILE)
        }

        fn try_persist(&self, scope: Scope) -> anyhow::Result<bool> {
            self.writer.persist(
                &self.world,
                REGION,
                || self.routes.clone(),
                || self.pipeline.clone(),
                scope,
            )
        }

        fn lines(&self) -> Vec<serde_json::Value> {
            std::fs::read_to_string(self.journal())
                .unwrap_or_default()
                .lines()
                .map(|l| serde_json::from_str(l).unwrap())
                .collect()
        }

        fn snapshot_seq(&self) -> u64 {
            let s: serde_json::Value =
                serde_json::from_slice(&std::fs::read(path(self.dir.path())).unwrap()).unwrap();
            s["seq"].as_u64().unwrap()
        }

        /// What `up` reads back equals what was written, and is `seq`.
        fn reads_back(&self, seq: u64) -> Restored {
            let r = read(self.dir.path()).unwrap().expect("records");
            assert_eq!(r.region, REGION);
            assert_eq!(r.routes, self.routes);
            assert_eq!(
                serde_json::to_value(&r.pipeline).unwrap(),
                serde_json::to_value(&self.pipeline).unwrap()
            );
            assert_eq!(
                serde_json::to_value(&r.world).unwrap(),
                serde_json::to_value(&*lock(&self.world)).unwrap(),
                "the world read back is the world written"
            );
            assert_eq!(r.seq, seq);
            r
        }
    }

    /// Snapshot, then entries: a new revision, a deployment's step, a listener moved, the
    /// pipeline's part; `(records, the number of the last write)`.
    fn written() -> (Records, u64) {
        let (w, id, _, _) = mid_deployment(false);
        let rec = Records::new(w);
        assert!(rec.persist(Scope::Changes), "a stack's first write");
        assert_eq!(rec.snapshot_seq(), 1, "the first write is a snapshot");
        assert!(!rec.journal().exists());
        rec.change(|w| {
            task_def(w, "v3");
        });
        assert!(rec.persist(Scope::Changes));
        rec.change(|w| {
            w.deployment_mut(&id).unwrap().switched = true;
            w.event("traffic switched");
        });
        assert!(rec.persist(Scope::Changes));
        (rec, 3)
    }

    #[test]
    fn replay_of_the_snapshot_and_the_journal_gives_back_the_world_written() {
        let (mut rec, seq) = written();
        rec.reads_back(seq);
        rec.routes.insert("prod".into(), 1);
        assert!(rec.persist(Scope::Changes), "a listener moved");
        rec.pipeline
            .outputs
            .insert("exec-1".into(), "/tmp/out".into());
        assert!(rec.persist(Scope::Changes), "the pipeline's part changed");
        rec.change(|w| {
            task_def(w, "v4");
            task_def(w, "v5");
        });
        assert!(rec.persist(Scope::Changes));
        let r = rec.reads_back(seq + 3);
        assert_eq!(r.world.task_defs.len(), 5);
        assert!(r.notes.is_empty(), "{:?}", r.notes);
        assert_eq!(
            rec.snapshot_seq(),
            1,
            "entries only: no snapshot since the first"
        );
        // Each entry holds only what changed since the one before it.
        let keys: Vec<Vec<String>> = rec
            .lines()
            .iter()
            .map(|l| {
                let mut k: Vec<String> = l.as_object().unwrap().keys().cloned().collect();
                k.retain(|k| k != "seq" && k != "at");
                k
            })
            .collect();
        assert_eq!(
            keys,
            [
                vec!["task_defs_from", "task_defs"],
                vec!["world"],
                vec!["routes"],
                vec!["pipeline"],
                vec!["task_defs_from", "task_defs"],
            ]
        );
        let seqs: Vec<u64> = rec
            .lines()
            .iter()
            .map(|l| l["seq"].as_u64().unwrap())
            .collect();
        assert_eq!(seqs, [2, 3, 4, 5, 6]);
        assert_eq!(rec.lines()[4]["task_defs_from"], 3);
        // Marked, but the same: nothing to write.
        rec.change(|_| {});
        assert!(!rec.persist(Scope::Changes));
        assert!(
            !rec.persist(Scope::ChangesOrSnapshot),
            "not due: nothing to write"
        );
        assert_eq!(rec.lines().len(), 5);
    }

    #[test]
    fn failing_writes_are_said_from_the_first_until_one_succeeds() {
        let (w, _, _, _) = mid_deployment(false);
        let rec = Records::new(w);
        assert_eq!(rec.writer.health(), (0, None));
        // The state dir is gone (removed by hand): the first write, a snapshot, fails.
        std::fs::remove_dir_all(rec.dir.path()).unwrap();
        let e = rec.try_persist(Scope::Changes).unwrap_err();
        let (n, failing) = rec.writer.health();
        let first = failing.expect("failing");
        assert_eq!(n, 0);
        assert_eq!(first.error, format!("{e:#}"));
        assert!(first.error.contains(&rec.dir.path().display().to_string()));
        // Still failing: since the first failure.
        rec.change(|w| {
            task_def(w, "v3");
        });
        assert!(rec.try_persist(Scope::Changes).is_err());
        assert_eq!(rec.writer.health().1.unwrap().since, first.since);
        // Back: the next write succeeds, with everything changed meanwhile.
        std::fs::create_dir(rec.dir.path()).unwrap();
        assert!(rec.persist(Scope::TaskDefinitions));
        assert_eq!(rec.writer.health(), (1, None));
        let r = read(rec.dir.path()).unwrap().unwrap();
        assert_eq!(
            serde_json::to_value(&r.world).unwrap(),
            serde_json::to_value(&*lock(&rec.world)).unwrap()
        );
    }

    #[test]
    fn a_journal_deleted_under_the_writer_fails_the_write_and_the_next_is_a_snapshot() {
        let (rec, seq) = written();
        assert!(rec.journal().exists());
        std::fs::remove_file(rec.journal()).unwrap();
        rec.change(|w| {
            task_def(w, "v4");
        });
        // Appended to the unlinked file, the entry would be lost with no word.
        let e = rec.try_persist(Scope::TaskDefinitions).unwrap_err();
        assert!(format!("{e:#}").contains("was deleted"), "{e:#}");
        assert!(rec.writer.health().1.is_some());
        // The next write is a snapshot of everything, the journal new.
        assert!(rec.persist(Scope::TaskDefinitions));
        assert_eq!(rec.writer.health().1, None);
        assert_eq!(rec.snapshot_seq(), seq + 1);
        rec.reads_back(seq + 1);
        // Entries go to the new journal.
        rec.change(|w| {
            task_def(w, "v5");
        });
        assert!(rec.persist(Scope::TaskDefinitions));
        assert_eq!(rec.lines().len(), 1);
        rec.reads_back(seq + 2);
    }

    #[test]
    fn a_torn_last_line_is_ignored_and_said() {
        let (rec, seq) = written();
        let before = std::fs::read(rec.journal()).unwrap();
        let world_before = serde_json::to_value(&*lock(&rec.world)).unwrap();
        rec.change(|w| {
            task_def(w, "v4");
        });
        assert!(rec.persist(Scope::Changes));
        // The stack died in the middle of its last write: half of the line is there.
        let all = std::fs::read(rec.journal()).unwrap();
        let torn = before.len() + (all.len() - before.len()) / 2;
        std::fs::write(rec.journal(), &all[..torn]).unwrap();
        let r = read(rec.dir.path()).unwrap().unwrap();
        assert_eq!(r.seq, seq, "the last complete entry wins");
        assert_eq!(serde_json::to_value(&r.world).unwrap(), world_before);
        assert_eq!(r.notes.len(), 1, "{:?}", r.notes);
        assert!(
            r.notes[0].contains(JOURNAL_FILE) && r.notes[0].contains("line 3 is torn"),
            "{}",
            r.notes[0]
        );
    }

    #[test]
    fn a_corrupt_or_misplaced_entry_before_the_last_refuses_with_the_way_out() {
        let (rec, _) = written();
        let good = std::fs::read_to_string(rec.journal()).unwrap();
        let lines: Vec<&str> = good.lines().collect();
        assert_eq!(lines.len(), 2);
        let refused = |journal: String| {
            std::fs::write(rec.journal(), journal).unwrap();
            let err = read(rec.dir.path()).err().expect("refused");
            assert!(err.downcast_ref::<deployer_models::BadInput>().is_some());
            let msg = format!("{err:#}");
            assert!(msg.contains(&rec.journal().display().to_string()), "{msg}");
            assert!(msg.contains("deployer local down --purge"), "{msg}");
            msg
        };
        // A complete line that is not an entry, before the last.
        let garbled = format!("{}\n{{\"seq\": 3, \"wor\n{}\n", lines[0], lines[1]);
        assert!(refused(garbled).contains("line 2 is not a journal entry"));
        // A complete last line is whole or refused: only a line without its newline is torn.
        let last_garbled = format!("{}\nnot json\n", lines[0]);
        assert!(refused(last_garbled).contains("line 2"));
        // An entry written twice.
        let twice = format!("{}\n{}\n{}\n", lines[0], lines[0], lines[1]);
        assert!(refused(twice).contains("line 2 is entry 2 where entry 3 was expected"));
        // An entry missing.
        let gap = format!("{}\n", lines[1]);
        assert!(refused(gap).contains("line 1 is entry 3 where entry 2 was expected"));
        // Task definitions that do not follow the records'.
        let mut e: serde_json::Value = serde_json::from_str(lines[0]).unwrap();
        e["task_defs_from"] = serde_json::json!(1);
        let shifted = format!("{e}\n{}\n", lines[1]);
        assert!(refused(shifted).contains("from index 1 but the records before it hold 2"));
        // A journal without its snapshot.
        std::fs::write(rec.journal(), &good).unwrap();
        std::fs::remove_file(path(rec.dir.path())).unwrap();
        assert!(refused(good).contains("a journal without its snapshot"));
    }

    #[test]
    fn a_crash_between_compaction_steps_applies_no_entry_twice() {
        let (rec, seq) = written();
        lock(&rec.writer.last).journal_min = 1;
        // The API's writes append entries, past the bound (four times the snapshot).
        let mut n = 0;
        while !rec.writer.compaction_due() {
            n += 1;
            assert!(n < 1000, "the journal never came due");
            rec.change(|w| {
                task_def(w, &format!("r{n}"));
            });
            assert!(rec.persist(Scope::Changes), "the API's write: an entry");
        }
        assert_eq!(
            rec.snapshot_seq(),
            1,
            "the API's writes never write a snapshot"
        );
        let entries = rec.lines().len();
        assert_eq!(entries as u64, seq - 1 + n);
        let last = seq + n;
        let old_journal = std::fs::read(rec.journal()).unwrap();
        assert!(
            rec.persist(Scope::ChangesOrSnapshot),
            "due: a snapshot, nothing else changed"
        );
        assert!(!rec.writer.compaction_due());
        assert_eq!(
            rec.snapshot_seq(),
            last + 1,
            "numbered after the journal's entries"
        );
        assert!(!rec.journal().exists(), "a new journal starts");
        rec.reads_back(last + 1);
        // Killed after the snapshot's rename, before the journal's deletion: the old
        // entries are all held by the snapshot.
        std::fs::write(rec.journal(), &old_journal).unwrap();
        let r = rec.reads_back(last + 1);
        assert_eq!(r.world.task_defs.len() as u64, 3 + n, "no revision twice");
        assert!(
            r.notes
                .iter()
                .any(|m| m.contains(&format!("{entries} entries already held"))),
            "{:?}",
            r.notes
        );
        // Killed before the rename: the old snapshot and the old journal.
        let (rec, seq) = written();
        let snapshot = std::fs::read(path(rec.dir.path())).unwrap();
        let journal = std::fs::read(rec.journal()).unwrap();
        let tmp = rec.dir.path().join(format!(".{RECORDS_FILE}.1.tmp"));
        std::fs::write(&tmp, &snapshot[..snapshot.len() / 2]).unwrap();
        assert_eq!(std::fs::read(rec.journal()).unwrap(), journal);
        rec.reads_back(seq);
    }

    #[test]
    fn a_new_stack_starts_with_a_snapshot_numbered_after_the_records_it_restored() {
        let (rec, seq) = written();
        let r = read(rec.dir.path()).unwrap().unwrap();
        let next = Records {
            world: Mutex::new(r.world),
            routes: r.routes,
            pipeline: r.pipeline,
            writer: Writer::new(rec.dir.path(), r.seq),
            dir: rec.dir,
        };
        assert!(
            next.persist(Scope::TaskDefinitions),
            "a new stack's first write is a snapshot of everything, whatever asked for it"
        );
        assert_eq!(next.snapshot_seq(), seq + 1);
        next.reads_back(seq + 1);
        assert!(
            !next.journal().exists(),
            "the old journal is in the snapshot"
        );
        next.change(|w| {
            task_def(w, "v4");
        });
        assert!(next.persist(Scope::Changes));
        assert_eq!(next.lines()[0]["seq"], seq + 2);
        next.reads_back(seq + 2);
    }

    /// The world without its task definitions, as JSON.
    fn rest_of(w: &mut World) -> serde_json::Value {
        let task_defs = std::mem::take(&mut w.task_defs);
        let v = serde_json::to_value(&*w).unwrap();
        w.task_defs = task_defs;
        v
    }

    #[test]
    fn a_registration_changes_the_task_definitions_alone() {
        // What lets its write skip the rest of the world (scope_of).
        assert_eq!(scope_of("RegisterTaskDefinition"), Scope::TaskDefinitions);
        assert_eq!(scope_of("CreateDeployment"), Scope::Changes);
        let (mut w, ..) = mid_deployment(false);
        let before = rest_of(&mut w);
        let n = w.task_defs.len();
        task_def(&mut w, "v9");
        assert_eq!(w.task_defs.len(), n + 1);
        assert_eq!(rest_of(&mut w), before);
    }

    #[test]
    fn a_registration_writes_its_task_definition_and_the_follower_the_rest() {
        let (rec, seq) = written();
        // An engine changed the world as a registration came.
        rec.change(|w| {
            w.event("an engine's change");
            task_def(w, "v4");
        });
        assert!(rec.persist(Scope::TaskDefinitions));
        let keys = |l: &serde_json::Value| {
            let mut k: Vec<String> = l.as_object().unwrap().keys().cloned().collect();
            k.retain(|k| k != "seq" && k != "at");
            k
        };
        assert_eq!(
            keys(rec.lines().last().unwrap()),
            ["task_defs_from", "task_defs"]
        );
        assert!(
            rec.writer.world_dirty(),
            "the rest stays marked for the follower"
        );
        let r = read(rec.dir.path()).unwrap().unwrap();
        assert_eq!(r.world.task_defs.len(), 4, "the registration is on disk");
        assert!(rec.persist(Scope::ChangesOrSnapshot));
        assert_eq!(keys(rec.lines().last().unwrap()), ["world"]);
        rec.reads_back(seq + 2);
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
