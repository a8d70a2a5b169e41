//! The deployer: renders the task definition and appspec from the same templates the
//! pipeline uses, and drives CodeDeploy blue/green deployments of the `demo` service on
//! AWS or on the local environment (`deployer local`).
//!
//! The folders are the layers, and imports only go down: `cli` (parser, dispatch) ->
//! `commands` (one per subcommand) -> a library that never sees a flag (`watch`,
//! `dashboard`, `preflight`, `aws`), over the models crate (`deployer-models`) and the
//! emulator (`deployer-emulator`). The map, and where to add a command or an AWS call:
//! docs/architecture.md.

// Only what the integration tests (tests/*.rs) use is `pub`; the rest is private so
// that rustc's dead_code lint (an error under `clippy -D warnings`) reports any item
// nothing uses, and `unreachable_pub` (on in each private layer) keeps `pub` meaning
// "used from outside the crate".
mod args;
pub mod aws;
mod cli;
mod commands;
pub mod dashboard;
pub mod exit;
mod options;
mod output;
mod preflight;
mod watch;

/// Parses the command line, runs the subcommand, prints any error once with its cause
/// chain, and maps the outcome to a documented exit code (see [`exit::Code`]).
pub fn run() -> std::process::ExitCode {
    cli::run()
}
