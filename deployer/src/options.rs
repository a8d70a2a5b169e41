//! The resolved options the library takes: plain data, no clap. `cli` and the commands
//! turn the parsed flags (`args`, each command's `XxxArgs`) into these before any work
//! starts (ripgrep's low → high args), so `aws`, `watch`, `dashboard` and `preflight`
//! never see a flag.

#![warn(unreachable_pub)]

use std::path::PathBuf;

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
}
