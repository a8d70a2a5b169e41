//! Exit codes, one per outcome, documented in `--help` and the README.

#![warn(unreachable_pub)]

use std::process::ExitCode;

/// The exit code table as a literal, for the top-level help (`exit_codes!()`), and the
/// codes that apply to one command (`exit_codes!(watch)`, `exit_codes!(rollback)`, ...)
/// for `concat!` into its help.
#[macro_export]
macro_rules! exit_codes {
    () => {
        "Exit codes:
  0    success (the deployment succeeded)
  1    error (AWS, network, I/O)
  2    bad input (flags, files, Terraform outputs, image reference, missing resources)
  3    the deployment failed (CodeDeploy's automatic rollback, if any, is reported);
       verify: a check failed; smoke: an error or an unexpected version
  4    the deployment was stopped (with rollback)
  5    timed out while watching (the deployment may still be running)
  6    a deployment is already in flight in the group (the message says which, in what
       wait, and the `deployer wait` or `deployer continue` that ends it)
  130  interrupted (Ctrl-C) and the deployment was left running
  (each command's --help lists the codes it uses; diff exits 0/1/2 as diff(1))"
    };
    (watch) => {
        "Exit codes:
  0    the deployment succeeded, or reached --wait-until (--no-wait, --dry-run: done)
  1    error (AWS, network, I/O)
  2    bad input, or a refusal before anything changed (flags, templates, Terraform
       outputs, image not in ECR, unknown revision, --wait-until the group never reaches,
       credentials of another account than the outputs' account_id)
  3    the deployment failed (CodeDeploy's automatic rollback, if any, is reported)
  4    the deployment was stopped (with rollback)
  5    timed out while watching (the deployment may still be running)
  6    another deployment is in flight in the group: nothing was changed
  130  interrupted (Ctrl-C) and the deployment was left running"
    };
    (rollback) => {
        "Exit codes:
  0    rolled back: the deployment in flight was stopped and traffic is back, or the
       revision live before serves again (--dry-run, --no-wait: done)
  1    error (AWS, network, I/O)
  2    bad input (flags, templates, Terraform outputs, --to unknown, nothing to go back to)
  3    the redeploy failed (CodeDeploy's automatic rollback, if any, is reported)
  4    the redeploy was stopped
  5    timed out while watching (the rollback may still be running)
  6    --to while a deployment is in flight: nothing was changed
  130  interrupted (Ctrl-C) and the rollback was left running"
    };
    (continue) => {
        "Exit codes:
  0    the deployment was continued
  1    error (AWS, network, I/O)
  2    bad input: a bad id, no deployment in flight, or not in the wait asked for"
    };
    (read) => {
        "Exit codes:
  0    done
  1    error (AWS, network, I/O)
  2    bad input (flags, files, Terraform outputs, missing resources)"
    };
    (verify) => {
        "Exit codes:
  0    every check passed
  1    error (AWS, network, I/O)
  2    bad input: the Terraform outputs name something that does not exist
  3    a check failed"
    };
    (smoke) => {
        "Exit codes:
  0    every request answered 2xx (with the expected version)
  1    error (I/O)
  2    bad input (flags, Terraform outputs)
  3    a request failed, or answered another version"
    };
}

/// What the process tells its caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Code {
    /// 0: the command did what was asked (deployment succeeded).
    Success,
    /// 1: an error that is not the user's input (AWS error, I/O, ...).
    Error,
    /// 2: bad input: flags, files, outputs, image reference (clap also exits 2).
    BadInput,
    /// 3: the deployment failed.
    Failed,
    /// 4: the deployment was stopped or rolled back.
    RolledBack,
    /// 5: watching timed out; the deployment may still be running.
    Timeout,
    /// 6: refused because another deployment is in flight in the group.
    InFlight,
    /// 130: interrupted (Ctrl-C) and the deployment was left running (shell convention
    /// 128 + SIGINT).
    Interrupted,
}

impl Code {
    pub fn as_u8(self) -> u8 {
        match self {
            Code::Success => 0,
            Code::Error => 1,
            Code::BadInput => 2,
            Code::Failed => 3,
            Code::RolledBack => 4,
            Code::Timeout => 5,
            Code::InFlight => 6,
            Code::Interrupted => 130,
        }
    }

    /// Errors that carry a [`BadInput`] anywhere in their chain exit 2, those that carry
    /// an [`InFlight`] 6; others exit 1. (`aws::exit_code` also sends AWS errors saying a
    /// resource does not exist to 2, and CodeDeploy's DeploymentLimitExceededException
    /// to 6: use it for errors that may come from AWS.)
    pub fn from_error(err: &anyhow::Error) -> Code {
        if err.chain().any(|e| e.downcast_ref::<BadInput>().is_some()) {
            Code::BadInput
        } else if err.chain().any(|e| e.downcast_ref::<InFlight>().is_some()) {
            Code::InFlight
        } else {
            Code::Error
        }
    }
}

/// The marker of a refusal because another deployment is in flight (exit 6): CodeDeploy
/// runs one deployment per group at a time, and waiting or `deployer continue` ends it,
/// which a caller (`rollback && deploy`) tells apart from an AWS or network error.
#[derive(Debug)]
pub struct InFlight(pub String);

impl std::fmt::Display for InFlight {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for InFlight {}

/// An error that exits 6 ([`InFlight`]).
pub fn in_flight(message: impl Into<String>) -> anyhow::Error {
    anyhow::Error::new(InFlight(message.into()))
}

impl From<Code> for ExitCode {
    fn from(code: Code) -> ExitCode {
        ExitCode::from(code.as_u8())
    }
}

pub use deployer_models::{bad_input, BadInput};
