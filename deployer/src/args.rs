//! The clap types every command shares: the global flags, the output format, the watch
//! flags, and the duration grammar every flag uses. Each subcommand's own flags live
//! beside its `run` in `commands/`; nothing outside `args.rs`, `cli.rs` and `commands/`
//! holds clap types: each turns into its plain counterpart of `options` (or
//! `watch::WatchSettings`) before any work starts.

#![warn(unreachable_pub)]

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, ValueEnum};

use crate::options::{Global, InterruptAction, OutputFormat, Timeouts};
use crate::watch::WatchSettings;

/// Flags that every subcommand accepts.
#[derive(Debug, Clone, Args)]
pub(crate) struct GlobalArgs {
    /// `terraform output -json` of the stack (a file, or `-` for stdin).
    #[arg(long, global = true, env = "DEPLOYER_OUTPUTS", value_name = "FILE")]
    pub outputs: Option<PathBuf>,

    /// Output format: human-readable text, or JSON (one event per line when watching).
    #[arg(long, global = true, value_enum, default_value_t = OutputArg::Human)]
    pub output: OutputArg,

    /// Longest an AWS call may take, retries included; past it the command ends with
    /// exit 1 naming the endpoint and the call. The connection and each attempt have
    /// their own bounds: DEPLOYER_AWS_CONNECT_TIMEOUT (default 5s) and
    /// DEPLOYER_AWS_ATTEMPT_TIMEOUT (default 10s; a timed-out attempt is retried).
    #[arg(long, global = true, env = "DEPLOYER_AWS_TIMEOUT", value_name = "DURATION",
          default_value = "30s", value_parser = parse_duration)]
    pub aws_timeout: Duration,

    /// Longest wait for a connection to an AWS endpoint (documented with --aws-timeout).
    #[arg(long, global = true, hide = true, env = "DEPLOYER_AWS_CONNECT_TIMEOUT",
          value_name = "DURATION", default_value = "5s", value_parser = parse_duration)]
    pub aws_connect_timeout: Duration,

    /// Longest wait for one attempt of an AWS call (documented with --aws-timeout).
    #[arg(long, global = true, hide = true, env = "DEPLOYER_AWS_ATTEMPT_TIMEOUT",
          value_name = "DURATION", default_value = "10s", value_parser = parse_duration)]
    pub aws_attempt_timeout: Duration,
}

impl GlobalArgs {
    /// The plain options every command starts from.
    pub(crate) fn resolve(&self) -> Global {
        Global {
            outputs: self.outputs.clone(),
            output: match self.output {
                OutputArg::Human => OutputFormat::Human,
                OutputArg::Json => OutputFormat::Json,
            },
            timeouts: Timeouts {
                connect: self.aws_connect_timeout,
                attempt: self.aws_attempt_timeout,
                operation: self.aws_timeout,
            },
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum OutputArg {
    Human,
    Json,
}

/// The templates `render`, `deploy`, `diff`, `rollback` and `local up` render from.
#[derive(Debug, Clone, Args)]
pub(crate) struct TemplateArgs {
    /// The task definition template [default: taskdef.json of the nearest directory,
    /// from the current one upwards, that holds taskdef.json and appspec.yaml].
    #[arg(long, env = "DEPLOYER_TASKDEF", value_name = "FILE")]
    pub taskdef: Option<PathBuf>,

    /// The appspec template [default: appspec.yaml found as for --taskdef].
    #[arg(long, env = "DEPLOYER_APPSPEC", value_name = "FILE")]
    pub appspec: Option<PathBuf>,
}

impl TemplateArgs {
    /// Reads the templates (exit 2 naming a missing or unreadable file).
    pub(crate) fn load(&self) -> anyhow::Result<deployer_models::render::Templates> {
        deployer_models::render::Templates::find(self.taskdef.as_deref(), self.appspec.as_deref())
    }
}

/// Where `--wait-until` may stop watching: a lifecycle event (once it succeeded), the
/// ready wait (green is up, waiting for `deployer continue`), or the termination wait
/// (traffic switched, blue kept for the wait).
pub(crate) const MILESTONES: [&str; 10] = [
    "BeforeInstall",
    "Install",
    "AfterInstall",
    "AllowTestTraffic",
    "AfterAllowTestTraffic",
    "BeforeAllowTraffic",
    "AllowTraffic",
    "AfterAllowTraffic",
    "ReadyWait",
    "TerminationWait",
];

/// The flags that control watching (shared by `deploy`, `wait` and `rollback`).
#[derive(Debug, Clone, Args)]
pub(crate) struct WatchArgs {
    /// Give up watching after this long (e.g. `90s`, `20m`, `1h`); the deployment keeps
    /// running. Default: what the deployment group implies (ready wait + termination
    /// wait + 15 minutes).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub timeout: Option<Duration>,

    /// Stop watching (exit 0) once the deployment reaches this point: a lifecycle event
    /// (after it succeeded), `ReadyWait` or `TerminationWait`.
    #[arg(long, value_name = "EVENT", value_parser = clap::builder::PossibleValuesParser::new(MILESTONES))]
    pub wait_until: Option<String>,

    /// Poll the deployment at this fixed period. Default: adaptive, every 250ms while
    /// the lifecycle moves, backing off to 5s while nothing changes, and waking at the
    /// predicted end of a ready or termination wait.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration,
          env = "DEPLOYER_POLL_INTERVAL")]
    pub interval: Option<Duration>,

    /// What Ctrl-C does when no terminal can be asked: leave the deployment running
    /// (exit 130), or stop it with rollback and follow the rollback (exit 4).
    #[arg(long, value_enum, value_name = "ACTION", default_value_t = InterruptArg::Leave)]
    pub on_interrupt: InterruptArg,
}

impl WatchArgs {
    /// The watch flags as plain settings.
    pub(crate) fn settings(&self) -> WatchSettings {
        WatchSettings {
            timeout: self.timeout,
            interval: self.interval,
            wait_until: self.wait_until.clone(),
            on_interrupt: match self.on_interrupt {
                InterruptArg::Leave => InterruptAction::Leave,
                InterruptArg::Rollback => InterruptAction::Rollback,
            },
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum InterruptArg {
    /// Stop watching; the deployment continues.
    Leave,
    /// StopDeployment with automatic rollback, then follow it to the end.
    Rollback,
}

/// The duration grammar of every flag (`deployer_models::time::parse_duration`: `90s`,
/// `20m`, `1h30m`, `500ms`, or a bare number of seconds).
pub(crate) use deployer_models::time::parse_duration;
