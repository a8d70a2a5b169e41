//! The local stack's settings, checked before anything starts (built from the `deployer
//! local up` flags in `commands/local.rs`; the error messages name those flags).

use std::path::{Path, PathBuf};
use std::time::Duration;

use deployer_models::bad_input;

/// Everything the stack needs, checked.
#[derive(Debug, Clone)]
pub struct Config {
    pub state_dir: PathBuf,
    pub api_port: u16,
    pub nlb_port: u16,
    pub test_port: Option<u16>,
    pub tasks: u32,
    /// Auto scaling: MaxCapacity, the CPU target (percent), the evaluation period, cooldowns.
    pub max_tasks: u32,
    pub cpu_target: f64,
    pub scale_period: Duration,
    pub scale_out_cooldown: Duration,
    pub scale_in_cooldown: Duration,
    /// What one minute of a CloudWatch alarm's `Period` lasts locally (AWS: a minute).
    pub alarm_minute: Duration,
    pub image: String,
    pub demo_bin: PathBuf,
    /// The Lambda code of the AppSpec's hook functions (the hook crate's `bootstrap`).
    pub hook_bin: PathBuf,
    /// How long CodeDeploy waits for a hook function's PutLifecycleEventHookExecutionStatus
    /// before it fails the hook (AWS: one hour).
    pub hook_timeout: Duration,
    pub region: String,
    pub health_interval: Duration,
    pub healthy_threshold: u32,
    pub unhealthy_threshold: u32,
    pub install_timeout: Duration,
    pub ready_stop: bool,
    pub ready_wait: Duration,
    pub termination_wait: Duration,
    pub stop_timeout: Duration,
    pub auto_rollback: bool,
    /// The templates the first task definition is rendered from (found by
    /// `commands/local.rs` as for `deployer deploy`).
    pub templates: deployer_models::render::Templates,
}

impl Config {
    /// Checks the values that are not checked by their type (exit 2 naming the flag).
    pub fn check(&self) -> anyhow::Result<()> {
        if self.health_interval < Duration::from_millis(50) {
            return Err(bad_input(format!(
                "--health-interval {}: must be at least 50ms",
                humantime::format_duration(self.health_interval)
            )));
        }
        if self.hook_timeout < Duration::from_secs(1) {
            return Err(bad_input(format!(
                "--hook-timeout {}: must be at least 1s",
                humantime::format_duration(self.hook_timeout)
            )));
        }
        if self.max_tasks < self.tasks {
            return Err(bad_input(format!(
                "--max-tasks {}: must be at least --tasks ({})",
                self.max_tasks, self.tasks
            )));
        }
        if !(self.cpu_target > 0.0 && self.cpu_target <= 100.0) {
            return Err(bad_input(format!(
                "--cpu-target {}: a percentage above 0, at most 100",
                self.cpu_target
            )));
        }
        if self.scale_period < Duration::from_millis(100) {
            return Err(bad_input(format!(
                "--scale-period {}: must be at least 100ms",
                humantime::format_duration(self.scale_period)
            )));
        }
        if self.alarm_minute < Duration::from_millis(100) {
            return Err(bad_input(format!(
                "--alarm-minute {}: must be at least 100ms",
                humantime::format_duration(self.alarm_minute)
            )));
        }
        let image = deployer_models::image::ImageRef::parse(&self.image).map_err(|e| {
            bad_input(format!(
                "--image {:?}: {} (e.g. demo:v1)",
                e.value, e.reason
            ))
        })?;
        if !image.is_pinned() {
            return Err(bad_input(format!(
                "--image {:?}: give a tag or a digest (e.g. demo:v1); the tag is the version the tasks report",
                self.image
            )));
        }
        if self.region.is_empty()
            || !self
                .region
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        {
            return Err(bad_input(format!(
                "--region {:?}: not a region name (e.g. us-east-1)",
                self.region
            )));
        }
        let ports = [
            ("--api-port", self.api_port),
            ("--nlb-port", self.nlb_port),
            ("--test-port", self.test_port.unwrap_or(0)),
        ];
        for (i, (flag, port)) in ports.iter().enumerate() {
            if *port == 0 {
                continue;
            }
            if let Some((other, _)) = ports[..i].iter().find(|(_, p)| p == port) {
                return Err(bad_input(format!(
                    "{flag} {port}: the same port as {other}"
                )));
            }
        }
        Ok(())
    }
}

/// `--demo-bin`, else `demo` next to the running executable, else `demo` on PATH.
pub fn find_demo_bin(flag: Option<&Path>) -> anyhow::Result<PathBuf> {
    if let Some(path) = flag {
        if !is_executable(path) {
            return Err(bad_input(format!(
                "--demo-bin {}: no executable file there (build it with `cargo build -p demo`)",
                path.display()
            )));
        }
        return Ok(std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf()));
    }
    let beside = std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(|dir| dir.join("demo")));
    if let Some(path) = beside.filter(|p| is_executable(p)) {
        return Ok(path);
    }
    if let Some(path) = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join("demo"))
            .find(|p| is_executable(p))
    }) {
        return Ok(path);
    }
    Err(bad_input(
        "cannot find the `demo` binary: not next to this executable nor on PATH; \
         build it (`cargo build -p demo`) or pass --demo-bin FILE (env DEPLOYER_DEMO_BIN)",
    ))
}

/// `--hook-bin`, else `bootstrap` next to the running executable (where `cargo build`
/// puts the hook crate's binary), else on PATH.
pub fn find_hook_bin(flag: Option<&Path>) -> anyhow::Result<PathBuf> {
    if let Some(path) = flag {
        if !is_executable(path) {
            return Err(bad_input(format!(
                "--hook-bin {}: no executable file there (build it with `cargo build -p release-hook`)",
                path.display()
            )));
        }
        return Ok(std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf()));
    }
    let beside = std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(|dir| dir.join("bootstrap")));
    if let Some(path) = beside.filter(|p| is_executable(p)) {
        return Ok(path);
    }
    if let Some(path) = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join("bootstrap"))
            .find(|p| is_executable(p))
    }) {
        return Ok(path);
    }
    Err(bad_input(
        "cannot find the validation hook's `bootstrap` binary (the Lambda code of the appspec's Hooks): \
         not next to this executable nor on PATH; build it (`cargo build -p release-hook`) or pass \
         --hook-bin FILE (env DEPLOYER_HOOK_BIN)",
    ))
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path)
        .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        .unwrap_or(false)
}

/// Whole minutes for the API (`waitTimeInMinutes`), rounded up: local waits are seconds.
pub fn minutes_ceil(d: Duration) -> i64 {
    d.as_secs().div_ceil(60) as i64
}
