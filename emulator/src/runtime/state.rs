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
        .map(|t| t.pid)
        .filter(|&pid| runs(pid, &state.demo_bin))
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
        return Ok(Existing::None);
    };
    if runs(state.pid, &state.exe) && alive(state.pid) {
        return Ok(Existing::Running(Box::new(state)));
    }
    let stopped = stop_task_processes(&state, Duration::from_secs(5));
    remove(dir);
    Ok(Existing::CleanedStale(stopped))
}
