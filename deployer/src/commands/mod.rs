//! One module per subcommand: its clap `...Args` and its `run`, calling `aws/`,
//! `artifacts/` and `watch/`. Only `cli.rs` imports these.

pub mod continue_cmd;
pub mod deploy;
pub mod diff;
pub mod local;
pub mod render;
pub mod rollback;
pub mod smoke;
pub mod status;
pub mod verify;
pub mod wait;
