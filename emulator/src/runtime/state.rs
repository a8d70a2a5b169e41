//! The on-disk state of a running local stack: where `env`, `status` and `down` find it.
//!
//! `<state-dir>/state.json` holds the daemon's PID, its ports and URLs, and the PID of
//! every task process, rewritten atomically whenever a task starts or stops. A stack whose
//! daemon is gone (crash, `kill -9`) leaves a stale file: the next `up` or `down` stops
//! the task processes it lists (after checking each PID still runs the recorded binary)
//! and removes it.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::Context;
use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;
use serde::{Deserialize, Serialize};

/// File names inside the state dir.
pub const STATE_FILE: &str = "state.json";
pub const OUTPUTS_FILE: &str = "outputs.json";
pub const LOG_FILE: &str = "stack.log";
pub const TASK_LOG_DIR: &str = "tasks";

/// What a running stack publishes about itself.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StackState {
    /// PID of the `deployer local up` process that runs the stack.
    pub pid: u32,
    /// Its executable, to recognise it (PIDs are reused).
    pub exe: PathBuf,
    /// The `demo` binary every task runs.
    pub demo_bin: PathBuf,
    pub region: String,
    pub api_url: String,
    pub nlb_url: String,
    /// Empty when the test listener is disabled.
    pub test_url: String,
    pub outputs: PathBuf,
    pub log: PathBuf,
    /// True once the initial (blue) tasks are healthy behind the NLB.
    pub ready: bool,
    /// Epoch seconds.
    pub started_at: f64,
    pub tasks: Vec<TaskProcess>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct TaskProcess {
    pub task_id: String,
    pub pid: u32,
    pub port: u16,
    /// The binary it runs (its image's, in the local ECR); absent in state files written
    /// before images were real: then the stack's `demo_bin`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exe: Option<PathBuf>,
}

/// The default state dir: `$XDG_STATE_HOME/deployer/local`, else
/// `~/.local/state/deployer/local`, else `.tmp/deployer-local` under the current dir.
pub fn default_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("XDG_STATE_HOME").filter(|d| !d.is_empty()) {
        return PathBuf::from(dir).join("deployer/local");
    }
    if let Some(home) = std::env::var_os("HOME").filter(|d| !d.is_empty()) {
        return PathBuf::from(home).join(".local/state/deployer/local");
    }
    PathBuf::from(".tmp/deployer-local")
}

/// Resolves the `--state-dir` flag to an absolute path (the daemon changes nothing about
/// its cwd, but the path is printed and passed on).
pub fn resolve_dir(flag: Option<&Path>) -> anyhow::Result<PathBuf> {
    let dir = flag.map(Path::to_path_buf).unwrap_or_else(default_dir);
    if dir.is_absolute() {
        Ok(dir)
    } else {
        Ok(std::env::current_dir()
            .context("cannot read the current directory")?
            .join(dir))
    }
}

pub fn read(dir: &Path) -> anyhow::Result<Option<StackState>> {
    let path = dir.join(STATE_FILE);
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
    };
    let state = serde_json::from_str(&text).with_context(|| {
        format!(
            "{} is not a local stack state file (delete it if no stack is running)",
            path.display()
        )
    })?;
    Ok(Some(state))
}

/// Writes the state file atomically (temp file + rename), so readers never see half of it.
pub fn write(dir: &Path, state: &StackState) -> anyhow::Result<()> {
    let path = dir.join(STATE_FILE);
    let tmp = dir.join(format!(".{STATE_FILE}.{}", std::process::id()));
    let text = serde_json::to_string_pretty(state)?;
    std::fs::write(&tmp, text).with_context(|| format!("cannot write {}", tmp.display()))?;
    std::fs::rename(&tmp, &path).with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}

pub fn remove(dir: &Path) {
    let _ = std::fs::remove_file(dir.join(STATE_FILE));
}

/// True when `pid` is alive and runs `exe` (compared through `/proc/<pid>/exe`, so a
/// reused PID of some other program is never signalled). A binary rebuilt since it was
/// started shows as `<path> (deleted)`: that still counts as the same program.
pub fn runs(pid: u32, exe: &Path) -> bool {
    if pid == 0 || pid > i32::MAX as u32 {
        return false;
    }
    let Ok(link) = std::fs::read_link(format!("/proc/{pid}/exe")) else {
        return false;
    };
    let link = link.to_string_lossy();
    let link = link.strip_suffix(" (deleted)").unwrap_or(&link);
    let want = std::fs::canonicalize(exe).unwrap_or_else(|_| exe.to_path_buf());
    Path::new(link) == want || Path::new(link) == exe
}

/// True while the process exists and is not a zombie.
pub fn alive(pid: u32) -> bool {
    if pid == 0 || pid > i32::MAX as u32 {
        return false;
    }
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        // The state is the field after the parenthesised command name.
        Ok(stat) => stat
            .rsplit_once(") ")
            .map(|(_, rest)| !rest.starts_with('Z'))
            .unwrap_or(false),
        Err(_) => false,
    }
}

pub fn signal(pid: u32, sig: Signal) -> bool {
    i32::try_from(pid)
        .ok()
        .map(|p| kill(Pid::from_raw(p), sig).is_ok())
        .unwrap_or(false)
}

/// Waits until `pid` is gone, up to `timeout`. Returns whether it is gone.
pub fn wait_gone(pid: u32, timeout: Duration) -> bool {
    let deadline = Instant::now() + timeout;
    while alive(pid) {
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    true
}

/// Stops the task processes a state file lists, when they still run the recorded `demo`
/// binary: SIGTERM, then SIGKILL after `grace`. Returns how many were found running.
pub fn stop_task_processes(state: &StackState, grace: Duration) -> usize {
    let live: Vec<u32> = state
        .tasks
        .iter()
        .filter(|t| runs(t.pid, t.exe.as_deref().unwrap_or(&state.demo_bin)))
        .map(|t| t.pid)
        .collect();
    for &pid in &live {
        signal(pid, Signal::SIGTERM);
    }
    let deadline = Instant::now() + grace;
    for &pid in &live {
        let left = deadline.saturating_duration_since(Instant::now());
        if !wait_gone(pid, left) {
            signal(pid, Signal::SIGKILL);
            wait_gone(pid, Duration::from_secs(2));
        }
    }
    live.len()
}

/// The outcome of looking at a state dir before starting a stack there.
pub enum Existing {
    None,
    /// A stack runs: its daemon is alive.
    Running(Box<StackState>),
    /// A crashed stack's leftovers were cleaned up: how many task processes were stopped.
    CleanedStale(usize),
}

/// Looks for a running or stale stack in `dir`; cleans a stale one up.
pub fn check_existing(dir: &Path) -> anyhow::Result<Existing> {
    let Some(state) = read(dir)? else {
        // A stack that died after removing its state file may still have left builds.
        stop_recorded_groups(dir);
        return Ok(Existing::None);
    };
    if runs(state.pid, &state.exe) && alive(state.pid) {
        return Ok(Existing::Running(Box::new(state)));
    }
    let stopped = stop_task_processes(&state, Duration::from_secs(5)) + stop_recorded_groups(dir);
    remove(dir);
    Ok(Existing::CleanedStale(stopped))
}

/// The process groups the stack started besides its tasks (a build's commands), one file
/// each under `<state dir>/pgroups/`, written (and synced) before the group does any work
/// and removed once the group is gone: after a crash of the stack, `up` and `down` find
/// them here and stop them (a task's PID is in `state.json`; a build's shell and its
/// children are one group, which its leader's PID alone would not reach).
pub const PGROUP_DIR: &str = "pgroups";

/// One recorded process group.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ProcessGroup {
    pub pgid: u32,
    /// The leader's start time (clock ticks since boot, `/proc/<pid>/stat` field 22): a PID
    /// reused by another program since is never signalled.
    pub start_ticks: u64,
    /// What it is (`build <id>`), for the message.
    pub what: String,
    /// Epoch seconds after which the stack would have killed it (a build's timeout).
    pub deadline: f64,
}

/// The start time of `pid` (field 22 of `/proc/<pid>/stat`).
pub fn start_ticks(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let (_, rest) = stat.rsplit_once(") ")?;
    // rest starts at field 3 (state); field 22 is the 20th of rest.
    rest.split_whitespace().nth(19)?.parse().ok()
}

/// Records a process group (synced to disk before returning).
pub fn record_group(dir: &Path, group: &ProcessGroup) -> std::io::Result<()> {
    use std::io::Write;
    let groups = dir.join(PGROUP_DIR);
    std::fs::create_dir_all(&groups)?;
    let path = groups.join(group.pgid.to_string());
    let tmp = groups.join(format!(".{}.tmp", group.pgid));
    let mut f = std::fs::File::create(&tmp)?;
    f.write_all(&serde_json::to_vec(group).map_err(std::io::Error::other)?)?;
    f.sync_all()?;
    std::fs::rename(&tmp, &path)?;
    if let Ok(d) = std::fs::File::open(&groups) {
        let _ = d.sync_all();
    }
    Ok(())
}

/// Forgets a process group (it is gone).
pub fn forget_group(dir: &Path, pgid: u32) {
    let _ = std::fs::remove_file(dir.join(PGROUP_DIR).join(pgid.to_string()));
}

/// The recorded process groups.
pub fn recorded_groups(dir: &Path) -> Vec<ProcessGroup> {
    let Ok(entries) = std::fs::read_dir(dir.join(PGROUP_DIR)) else {
        return Vec::new();
    };
    entries
        .filter_map(Result::ok)
        .filter(|e| !e.file_name().to_string_lossy().starts_with('.'))
        .filter_map(|e| serde_json::from_slice(&std::fs::read(e.path()).ok()?).ok())
        .collect()
}

/// Stops every recorded process group (SIGKILL to the group) and forgets it; returns how
/// many were still there. A group is signalled when its leader still runs with the
/// recorded start time, or when its leader is gone: Linux does not hand out a PID that is
/// still some group's id, so a group id whose leader died names the same group's remaining
/// members (or nothing).
pub fn stop_recorded_groups(dir: &Path) -> usize {
    let mut stopped = 0;
    for g in recorded_groups(dir) {
        let same = match start_ticks(g.pgid) {
            Some(t) => t == g.start_ticks,
            None => true,
        };
        if same {
            if let Ok(p) = i32::try_from(g.pgid) {
                if nix::sys::signal::killpg(Pid::from_raw(p), Signal::SIGKILL).is_ok() {
                    stopped += 1;
                    tracing::warn!(
                        "stopped {} (process group {}) left by a stack that is gone",
                        g.what,
                        g.pgid
                    );
                }
            }
        }
        forget_group(dir, g.pgid);
    }
    stopped
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_recorded_group_and_its_children_are_stopped() {
        use std::os::unix::process::CommandExt;
        let dir = tempfile::tempdir().unwrap();
        // A shell that starts a child and waits: the group has two processes.
        let mut child = std::process::Command::new("sh")
            .args(["-c", "sleep 30 & wait"])
            .process_group(0)
            .spawn()
            .unwrap();
        let pgid = child.id();
        let group = ProcessGroup {
            pgid,
            start_ticks: start_ticks(pgid).unwrap(),
            what: "build demo:1".into(),
            deadline: 0.0,
        };
        record_group(dir.path(), &group).unwrap();
        assert_eq!(recorded_groups(dir.path()), vec![group.clone()]);
        // Wait for the grandchild to exist, then find it by its group.
        let members = |pgid: u32| -> Vec<u32> {
            std::fs::read_dir("/proc")
                .unwrap()
                .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
                .filter(|pid| {
                    std::fs::read_to_string(format!("/proc/{pid}/stat"))
                        .ok()
                        .and_then(|s| {
                            s.rsplit_once(") ")
                                .and_then(|(_, r)| r.split_whitespace().nth(2)?.parse::<u32>().ok())
                        })
                        == Some(pgid)
                        && alive(*pid)
                })
                .collect()
        };
        let deadline = Instant::now() + Duration::from_secs(5);
        while members(pgid).len() < 2 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        let before = members(pgid);
        assert_eq!(before.len(), 2, "{before:?}");
        // A stale record whose PID now runs something else is not signalled.
        record_group(
            dir.path(),
            &ProcessGroup {
                pgid: std::process::id(),
                start_ticks: 1,
                what: "reused pid".into(),
                deadline: 0.0,
            },
        )
        .unwrap();
        assert_eq!(stop_recorded_groups(dir.path()), 1);
        let _ = child.wait();
        let deadline = Instant::now() + Duration::from_secs(5);
        while !members(pgid).is_empty() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        assert!(members(pgid).is_empty(), "the whole group is gone");
        assert!(recorded_groups(dir.path()).is_empty(), "forgotten");
    }
}
