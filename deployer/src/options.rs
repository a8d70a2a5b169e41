//! The resolved options the library takes: plain data, no clap. `cli` and the commands
//! turn the parsed flags (`args`, each command's `XxxArgs`) into these before any work
//! starts (ripgrep's low → high args), so `aws`, `watch`, `dashboard` and `preflight`
//! never see a flag.

#![warn(unreachable_pub)]

use std::path::PathBuf;
use std::time::Duration;

/// How results and progress are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OutputFormat {
    /// Readable lines (a live status line on a terminal).
    Human,
    /// One JSON object per line on stdout.
    Json,
}

/// What an interrupted watch does when no terminal can be asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum InterruptAction {
    /// Stop watching; the deployment continues.
    Leave,
    /// StopDeployment with automatic rollback, then follow it to the end.
    Rollback,
}

/// What every command starts from.
#[derive(Debug, Clone)]
pub(crate) struct Global {
    /// The `terraform output -json` file (`-`: stdin); `None` when none was given.
    pub(crate) outputs: Option<PathBuf>,
    pub(crate) output: OutputFormat,
    pub(crate) timeouts: Timeouts,
}

/// The bounds on every AWS call (`aws::client` explains the defaults).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Timeouts {
    /// Connecting to the endpoint (TCP and TLS).
    pub(crate) connect: Duration,
    /// One attempt: the request sent and the whole answer read. A timed-out attempt is
    /// retried by the SDK's retry strategy.
    pub(crate) attempt: Duration,
    /// The whole call, retries included.
    pub(crate) operation: Duration,
}
