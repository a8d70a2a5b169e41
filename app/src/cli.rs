//! The command line: `demo [serve]` and `demo healthcheck`. Settings come from the
//! environment (see `docs/CONTRACTS.md`); exit codes: 0 ok, 1 failure/unhealthy,
//! 2 bad configuration.

use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};

use crate::configuration::{HealthcheckSettings, Settings};
use crate::startup::{Application, Signals};
use crate::{fd_limit, healthcheck, telemetry};

/// Exit code for a bad environment variable.
pub const EXIT_BAD_CONFIG: u8 = 2;

/// The demo web service shipped by the blue/green pipeline.
#[derive(Debug, Parser)]
#[command(
    name = "demo",
    version,
    after_help = "Configuration comes from environment variables: HOST, PORT, DEMO_VERSION, \
DEMO_COMMIT, DEMO_FAIL_HEALTH, DEMO_FAIL_REQUESTS, DEMO_FAIL_AFTER_SECS, DEMO_SLOW_MS, \
DEMO_SHUTDOWN_TIMEOUT_SECS, DEMO_REQUEST_TIMEOUT_SECS, \
DEMO_HEADER_READ_TIMEOUT_SECS, DEMO_MAX_BODY_BYTES, DEMO_MAX_CONNECTIONS, DEMO_DEBUG_ENDPOINTS, \
DEMO_LOG_FORMAT, DEMO_HEALTHCHECK_TIMEOUT_SECS, ECS_CONTAINER_METADATA_URI_V4, RUST_LOG \
(see README.md)."
)]
pub struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve HTTP on $HOST:$PORT (the default command).
    Serve,
    /// GET http://127.0.0.1:$PORT/health; exit 0 when it answers 200, 1 otherwise.
    Healthcheck,
}

/// Parses the command line and runs the command.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(),
        Command::Healthcheck => healthcheck(),
    }
}

fn serve() -> ExitCode {
    let settings = match Settings::from_env() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("demo: {e}");
            return ExitCode::from(EXIT_BAD_CONFIG);
        }
    };
    // Every connection is a file: raise the soft limit to the hard one, then check (or
    // derive) the connection cap against it.
    let nofile = fd_limit::raise_to_hard();
    if let Ok((_, after)) = &nofile {
        if let Err(e) = settings.connection_cap(after.soft) {
            eprintln!("demo: {e}");
            return ExitCode::from(EXIT_BAD_CONFIG);
        }
    }
    let logs = match telemetry::init(settings.log_format, &settings.log_filter) {
        Ok(logs) => logs,
        Err(e) => {
            eprintln!("demo: cannot start the log writer thread: {e}");
            return ExitCode::FAILURE;
        }
    };
    // The limit reached is in the `listening` line (`open_file_limit`).
    if let Err(e) = nofile {
        tracing::warn!(error = %e, "cannot raise the open-file limit (RLIMIT_NOFILE)");
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            tracing::error!(error = %e, "cannot start the async runtime");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        let signals = Signals::install()
            .map_err(|e| anyhow::anyhow!("cannot install signal handlers: {e}"))?;
        let app = Application::build(settings).await?;
        anyhow::Ok(app.run_until_signal(signals).await)
    });
    // Connections cut by the drain bound are dropped here, not waited for.
    runtime.shutdown_timeout(Duration::from_millis(100));
    let code = match result {
        Ok(_) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = format!("{e:#}"), "cannot serve");
            ExitCode::FAILURE
        }
    };
    let dropped = logs.dropped_lines();
    if dropped > 0 {
        tracing::warn!(
            dropped,
            "log lines dropped because stdout could not keep up"
        );
    }
    // Writes out the queued lines before the process exits.
    drop(logs);
    code
}

fn healthcheck() -> ExitCode {
    let settings = match HealthcheckSettings::from_env() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("demo healthcheck: {e}");
            return ExitCode::from(EXIT_BAD_CONFIG);
        }
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("demo healthcheck: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(healthcheck::probe(&settings)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(reason) => {
            eprintln!("demo healthcheck: unhealthy: {reason}");
            ExitCode::FAILURE
        }
    }
}
