//! The `demo` service: says which version, commit and task answered, reports its health,
//! drains on SIGTERM. `main.rs` only calls [`cli::main`].

pub mod access_log;
pub mod cli;
pub mod client;
pub mod configuration;
pub mod connections;
pub mod faults;
pub mod fd_limit;
pub mod healthcheck;
pub mod log_format;
pub mod log_writer;
pub mod metadata;
pub mod request_id;
pub mod routes;
pub mod startup;
pub mod state;
pub mod telemetry;
pub mod timeout;
