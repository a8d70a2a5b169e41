//! The deployer: renders the task definition and appspec from the same templates the
//! pipeline uses, and drives CodeDeploy blue/green deployments of the `demo` service on
//! AWS or on the local environment (`deployer local`).
//!
//! One module per subcommand; each owns its clap `...Args` struct and a `run` function.

pub mod cli;
pub mod exit;

// Shared models and inputs (issue: artifacts and `deployer render`).
pub mod appspec;
pub mod image;
pub mod logview;
pub mod outputs;
pub mod render;
pub mod scaling;
pub mod taskdef;

// Talking to AWS (issue: the deployer's commands).
pub mod aws;
pub mod context;
pub mod continue_cmd;
pub mod deploy;
pub mod diff;
pub mod ecs_taskdef;
pub mod preflight;
pub mod progress;
pub mod rollback;
pub mod smoke;
pub mod status;
pub mod verify;
pub mod watch;

// The local environment (issue: `deployer local`).
pub mod local;

use std::process::ExitCode;

use clap::Parser;

/// Parses the command line, runs the subcommand, prints any error once with its cause
/// chain, and maps the outcome to a documented exit code (see [`exit::Code`]).
pub fn run() -> ExitCode {
    let cli = cli::Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(err) => {
            eprintln!("error: cannot start the async runtime: {err}");
            return exit::Code::Error.into();
        }
    };
    match runtime.block_on(cli::dispatch(cli)) {
        Ok(code) => code.into(),
        Err(err) => {
            eprintln!("error: {err:#}");
            exit::Code::from_error(&err).into()
        }
    }
}
