//! `deployer local up` flags, resolved and checked into a [`Config`] before anything starts.

use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::{Args, ValueEnum};

use crate::exit::bad_input;

/// Timings default to seconds (AWS uses minutes) so a deployment takes a few seconds.
#[derive(Debug, Clone, Args)]
#[command(args_override_self = true)]
pub struct UpArgs {
    #[command(flatten)]
    pub state: super::StateDirArg,

    /// Run in the background (log in `<state-dir>/stack.log`); return once the stack is ready.
    #[arg(long, short = 'd')]
    pub detach: bool,

    /// Port of the AWS API endpoint (ECS, CodeDeploy, ELBv2, ECR, IAM). 0 picks a free one.
    #[arg(long, env = "DEPLOYER_LOCAL_API_PORT", default_value_t = 4599)]
    pub api_port: u16,

    /// Port of the "NLB" production listener (AWS: 80). 0 picks a free one.
    #[arg(long, env = "DEPLOYER_LOCAL_NLB_PORT", default_value_t = 8080)]
    pub nlb_port: u16,

    /// Port of the test listener (traffic to the replacement before the switch). 0 picks a free one.
    #[arg(long, env = "DEPLOYER_LOCAL_TEST_PORT", default_value_t = 8081)]
    pub test_port: u16,

    /// Run without a test listener (`test_listener_arn` is then empty).
    #[arg(long)]
    pub no_test_listener: bool,

    /// Tasks per task set (the service's desired count).
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u32).range(1..=16))]
    pub tasks: u32,

    /// Image of the initial (blue) task set; its tag is the version `GET /` reports.
    #[arg(long, default_value = "demo:v1")]
    pub image: String,

    /// The `demo` binary every task runs (default: next to this executable, then PATH).
    #[arg(long, env = "DEPLOYER_DEMO_BIN", value_name = "FILE")]
    pub demo_bin: Option<PathBuf>,

    /// Region reported in ARNs and outputs.
    #[arg(long, default_value = "us-east-1")]
    pub region: String,

    /// Target group health check interval (AWS: 10-300 s); also the container health check interval.
    #[arg(long, default_value = "1s", value_parser = humantime::parse_duration)]
    pub health_interval: Duration,

    /// Consecutive successful checks before a target is healthy.
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u32).range(1..=10))]
    pub healthy_threshold: u32,

    /// Consecutive failed checks before a target is unhealthy.
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u32).range(1..=10))]
    pub unhealthy_threshold: u32,

    /// How long the replacement task set may take to become healthy before the deployment fails.
    #[arg(long, default_value = "60s", value_parser = humantime::parse_duration)]
    pub install_timeout: Duration,

    /// What the deployment does once the replacement is healthy: reroute traffic at
    /// once, or wait for `ContinueDeployment` (READY_WAIT) for `--ready-wait`.
    #[arg(long, value_enum, default_value_t = ReadyAction::Continue)]
    pub ready_action: ReadyAction,

    /// With `--ready-action stop`: how long to wait for approval before stopping the deployment.
    #[arg(long, default_value = "5m", value_parser = humantime::parse_duration)]
    pub ready_wait: Duration,

    /// Time between the traffic switch and stopping the original tasks (rollback window).
    #[arg(long, default_value = "5s", value_parser = humantime::parse_duration)]
    pub termination_wait: Duration,

    /// Stop timeout: SIGKILL a task this long after SIGTERM (ECS: 30 s).
    #[arg(long, default_value = "30s", value_parser = humantime::parse_duration)]
    pub stop_timeout: Duration,

    /// Do not roll back automatically when a deployment fails.
    #[arg(long)]
    pub no_auto_rollback: bool,

    /// With --detach: how long to wait for the stack to become ready.
    #[arg(long, default_value = "60s", value_parser = humantime::parse_duration)]
    pub ready_timeout: Duration,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReadyAction {
    /// CONTINUE_DEPLOYMENT: reroute traffic as soon as the replacement is healthy.
    Continue,
    /// STOP_DEPLOYMENT: wait for ContinueDeployment; stop the deployment after --ready-wait.
    Stop,
}

/// Everything the stack needs, checked.
#[derive(Debug, Clone)]
pub struct Config {
    pub state_dir: PathBuf,
    pub api_port: u16,
    pub nlb_port: u16,
    pub test_port: Option<u16>,
    pub tasks: u32,
    pub image: String,
    pub demo_bin: PathBuf,
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
}

impl Config {
    pub fn from_args(args: &UpArgs) -> anyhow::Result<Config> {
        let state_dir = super::state::resolve_dir(args.state.state_dir.as_deref())?;
        let demo_bin = find_demo_bin(args.demo_bin.as_deref())?;
        if args.health_interval < Duration::from_millis(50) {
            return Err(bad_input(format!(
                "--health-interval {}: must be at least 50ms",
                humantime::format_duration(args.health_interval)
            )));
        }
        let image = crate::image::ImageRef::parse(&args.image).map_err(|e| {
            bad_input(format!(
                "--image {:?}: {} (e.g. demo:v1)",
                e.value, e.reason
            ))
        })?;
        if !image.is_pinned() {
            return Err(bad_input(format!(
                "--image {:?}: give a tag or a digest (e.g. demo:v1); the tag is the version the tasks report",
                args.image
            )));
        }
        if args.region.is_empty()
            || !args
                .region
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        {
            return Err(bad_input(format!(
                "--region {:?}: not a region name (e.g. us-east-1)",
                args.region
            )));
        }
        let ports = [
            ("--api-port", args.api_port),
            ("--nlb-port", args.nlb_port),
            (
                "--test-port",
                if args.no_test_listener {
                    0
                } else {
                    args.test_port
                },
            ),
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
        Ok(Config {
            state_dir,
            api_port: args.api_port,
            nlb_port: args.nlb_port,
            test_port: (!args.no_test_listener).then_some(args.test_port),
            tasks: args.tasks,
            image: args.image.clone(),
            demo_bin,
            region: args.region.clone(),
            health_interval: args.health_interval,
            healthy_threshold: args.healthy_threshold,
            unhealthy_threshold: args.unhealthy_threshold,
            install_timeout: args.install_timeout,
            ready_stop: args.ready_action == ReadyAction::Stop,
            ready_wait: args.ready_wait,
            termination_wait: args.termination_wait,
            stop_timeout: args.stop_timeout,
            auto_rollback: !args.no_auto_rollback,
        })
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
