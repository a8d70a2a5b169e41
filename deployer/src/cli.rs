//! The command line: global flags here, each subcommand's flags in its own module.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::exit::Code;

/// Ship the `demo` service with CodeDeploy blue/green: render, deploy, watch, approve,
/// roll back, inspect, smoke-test; on AWS or on a local stand-in (`deployer local`).
#[derive(Debug, Parser)]
#[command(name = "deployer", version, propagate_version = true)]
#[command(after_help = EXIT_CODES)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,

    #[command(subcommand)]
    pub command: Command,
}

pub const EXIT_CODES: &str = crate::exit_codes!();

/// The exit code table as a literal, for `concat!` into each subcommand's help.
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
  130  interrupted (Ctrl-C) and the deployment was left running"
    };
}

/// Flags that every subcommand accepts.
#[derive(Debug, Clone, Args)]
pub struct GlobalArgs {
    /// `terraform output -json` of the stack (a file, or `-` for stdin).
    #[arg(long, global = true, env = "DEPLOYER_OUTPUTS", value_name = "FILE")]
    pub outputs: Option<PathBuf>,

    /// Output format: human-readable text, or JSON (one event per line when watching).
    #[arg(long, global = true, value_enum, default_value_t = OutputFormat::Human)]
    pub output: OutputFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    Human,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Render the task definition and appspec from the templates and Terraform outputs.
    Render(crate::render::RenderArgs),
    /// Register the task definition and run a blue/green deployment, watching it.
    Deploy(crate::deploy::DeployArgs),
    /// Watch a deployment (default: the latest of the deployment group).
    Wait(crate::watch::WaitArgs),
    /// Show the live target group, task sets, target health and recent deployments.
    Status(crate::status::StatusArgs),
    /// Approve the traffic switch (READY_WAIT), or end the termination wait.
    Continue(crate::continue_cmd::ContinueArgs),
    /// Roll back: stop the deployment in flight, or redeploy the previous revision.
    Rollback(crate::rollback::RollbackArgs),
    /// Unified diff of the rendered task definition against the live one.
    Diff(crate::diff::DiffArgs),
    /// Run every preflight check without changing anything.
    Verify(crate::verify::VerifyArgs),
    /// Send requests through the load balancer and report versions, latency, errors.
    Smoke(crate::smoke::SmokeArgs),
    /// Run the whole blue/green stack on this machine (no AWS account needed).
    Local(crate::local::LocalArgs),
    /// Serve a live page of the stack on 127.0.0.1: traffic, task sets, tasks, deployments.
    Dashboard(crate::dashboard::cmd::DashboardArgs),
}

pub async fn dispatch(cli: Cli) -> anyhow::Result<Code> {
    let g = cli.global;
    match cli.command {
        Command::Render(args) => crate::render::run(args, &g).await,
        Command::Deploy(args) => crate::deploy::run(args, &g).await,
        Command::Wait(args) => crate::watch::run(args, &g).await,
        Command::Status(args) => crate::status::run(args, &g).await,
        Command::Continue(args) => crate::continue_cmd::run(args, &g).await,
        Command::Rollback(args) => crate::rollback::run(args, &g).await,
        Command::Diff(args) => crate::diff::run(args, &g).await,
        Command::Verify(args) => crate::verify::run(args, &g).await,
        Command::Smoke(args) => crate::smoke::run(args, &g).await,
        Command::Local(args) => crate::local::run(args, &g).await,
        Command::Dashboard(args) => crate::dashboard::cmd::run(args, &g).await,
    }
}
