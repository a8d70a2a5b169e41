//! The deployer: renders the task definition and appspec from the same templates the
//! pipeline uses, and drives CodeDeploy blue/green deployments of the `demo` service on
//! AWS or on the local environment (`deployer local`).
//!
//! The folders are the layers; imports only go down:
//! - [`cli`]: the parser and the dispatch, the only module that names every command;
//! - [`commands`]: one module per subcommand (its flags and its `run`);
//! - [`args`]: the clap types the commands share (global flags, watch flags);
//! - [`options`]: the plain options those flags resolve to, all the library below sees;
//! - [`watch`]: following a deployment (state machine, polling loop, progress);
//! - [`dashboard`]: the browser view's server, page and data (its source reads `aws`);
//! - [`preflight`]: the checks made before a deployment;
//! - [`aws`]: every AWS call, one module per service, and the error translation;
//! - [`artifacts`]: the typed outputs, image, task definition and appspec, and rendering;
//! - [`local`]: the emulated stack of `deployer local` (uses only `artifacts` and `exit`);
//! - [`exit`]: exit codes.

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
mod preflight;
mod watch;

/// Parses the command line, runs the subcommand, prints any error once with its cause
/// chain, and maps the outcome to a documented exit code (see [`exit::Code`]).
pub fn run() -> std::process::ExitCode {
    cli::run()
}
