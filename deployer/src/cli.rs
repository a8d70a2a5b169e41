//! The command line: the top-level parser and the dispatch to `commands/`. The only
//! module that names every command; nothing imports it but `lib.rs`.

#![warn(unreachable_pub)]

use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand};

use crate::args::GlobalArgs;
use crate::commands;
use crate::exit::Code;

/// Ship the `demo` service with CodeDeploy blue/green: render, deploy, watch, approve,
/// roll back, inspect, smoke-test; on AWS or on a local stand-in (`deployer local`).
#[derive(Debug, Parser)]
#[command(name = "deployer", version = env!("DEPLOYER_VERSION"), propagate_version = true)]
#[command(after_help = crate::exit_codes!())]
pub(crate) struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Render the task definition and appspec from the templates and Terraform outputs.
    Render(commands::render::RenderArgs),
    /// Register the task definition and run a blue/green deployment, watching it.
    Deploy(commands::deploy::DeployArgs),
    /// Watch a deployment (default: the latest of the deployment group).
    Wait(commands::wait::WaitArgs),
    /// Show the live target group, task sets, target health and recent deployments.
    Status(commands::status::StatusArgs),
    /// Approve the traffic switch (READY_WAIT), or end the termination wait.
    Continue(commands::continue_cmd::ContinueArgs),
    /// Roll back: stop the deployment in flight, or redeploy the previous revision.
    Rollback(commands::rollback::RollbackArgs),
    /// Unified diff of the rendered task definition against the live one.
    Diff(commands::diff::DiffArgs),
    /// Run every preflight check without changing anything.
    Verify(commands::verify::VerifyArgs),
    /// Send requests through the load balancer and report versions, latency, errors.
    Smoke(commands::smoke::SmokeArgs),
    /// The pipeline a push starts: status, watch an execution, release the last commit.
    Pipeline(commands::pipeline::PipelineArgs),
    /// The service's CloudWatch Logs: all tasks or some, filtered, or followed.
    Logs(commands::logs::LogsArgs),
    /// Run a one-off task (`deployer run -- ARGS`), stream its log, exit with its outcome.
    Run(commands::run::RunArgs),
    /// Change the service's desired count, or its auto scaling bounds.
    Scale(commands::scale::ScaleArgs),
    /// List the service's tasks: target group, revision, AZ, address, health.
    Tasks(commands::tasks::TasksArgs),
    /// Run the whole blue/green stack on this machine (no AWS account needed).
    Local(commands::local::LocalArgs),
    // The rollout history and shell integration.
    /// List the task definition revisions: image, registered, when each was live.
    Revisions(commands::revisions::RevisionsArgs),
    /// Print shell completions (bash, zsh, fish, ...).
    Completions(commands::completions::CompletionsArgs),
    /// Print the man page, or write one per command with --out-dir.
    Man(commands::completions::ManArgs),
    /// Serve a live page of the stack on 127.0.0.1: traffic, task sets, tasks, deployments.
    Dashboard(commands::dashboard::DashboardArgs),
}

pub(crate) async fn dispatch(cli: Cli) -> anyhow::Result<Code> {
    let g = cli.global.resolve();
    if g.output == crate::options::OutputFormat::Json {
        if let Command::Completions(_) | Command::Man(_) = cli.command {
            // Their output is a file's content (a script, a man page), not JSON lines.
            return Err(crate::exit::bad_input(
                "--output json: `completions` and `man` print a shell script or a man page, \
                 never JSON lines; run them without --output json",
            ));
        }
    }
    match cli.command {
        Command::Render(args) => commands::render::run(args, &g).await,
        Command::Deploy(args) => commands::deploy::run(args, &g).await,
        Command::Wait(args) => commands::wait::run(args, &g).await,
        Command::Status(args) => commands::status::run(args, &g).await,
        Command::Continue(args) => commands::continue_cmd::run(args, &g).await,
        Command::Rollback(args) => commands::rollback::run(args, &g).await,
        Command::Diff(args) => commands::diff::run(args, &g).await,
        Command::Verify(args) => commands::verify::run(args, &g).await,
        Command::Smoke(args) => commands::smoke::run(args, &g).await,
        Command::Pipeline(args) => commands::pipeline::run(args, &g).await,
        Command::Logs(args) => commands::logs::run(args, &g).await,
        Command::Run(args) => commands::run::run(args, &g).await,
        Command::Scale(args) => commands::scale::run(args, &g).await,
        Command::Tasks(args) => commands::tasks::run(args, &g).await,
        Command::Local(args) => commands::local::run(args, &g).await,
        Command::Revisions(args) => commands::revisions::run(args, &g).await,
        Command::Completions(args) => commands::completions::completions(args, Cli::command()),
        Command::Man(args) => commands::completions::man(args, Cli::command()),
        Command::Dashboard(args) => commands::dashboard::run(args, &g).await,
    }
}

/// Parses the command line, runs the subcommand, prints any error once with its cause
/// chain, and maps the outcome to a documented exit code.
pub(crate) fn run() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => {
            // With `--output json`, a usage error is a JSON line too (on stdout).
            let json = std::env::args()
                .collect::<Vec<_>>()
                .windows(2)
                .any(|w| w[0] == "--output" && w[1] == "json")
                || std::env::args().any(|a| a == "--output=json");
            if json && err.use_stderr() {
                let text = err.render().to_string();
                let first = text.lines().next().unwrap_or_default();
                let first = first.strip_prefix("error: ").unwrap_or(first);
                crate::output::emit(
                    "error",
                    &serde_json::json!({"error": first, "exit_code": 2}),
                );
            }
            err.exit();
        }
    };
    let json = cli.global.output == crate::args::OutputArg::Json;
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(err) => {
            eprintln!("error: cannot start the async runtime: {err}");
            return Code::Error.into();
        }
    };
    match runtime.block_on(dispatch(cli)) {
        Ok(code) => code.into(),
        // A reader that closed the pipe (`| head -1`) asked for no more: end quietly.
        Err(err) if crate::output::is_closed_pipe(&err) => Code::Success.into(),
        Err(err) => {
            eprintln!("error: {err:#}");
            let code = crate::aws::exit_code(&err);
            if json {
                // Also one JSON line on stdout, so a consumer of the stream sees the end.
                crate::output::emit(
                    "error",
                    &serde_json::json!({"error": format!("{err:#}"), "exit_code": code.as_u8()}),
                );
            }
            code.into()
        }
    }
}
