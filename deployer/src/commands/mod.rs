//! One module per subcommand: its clap `...Args` and its `run`, calling `aws/`,
//! `artifacts/` and `watch/`. Only `cli.rs` imports these.

#![warn(unreachable_pub)]

pub(crate) mod completions;
pub(crate) mod continue_cmd;
pub(crate) mod dashboard;
pub(crate) mod deploy;
pub(crate) mod diff;
pub(crate) mod local;
pub(crate) mod logs;
pub(crate) mod pipeline;
pub(crate) mod render;
pub(crate) mod revisions;
pub(crate) mod rollback;
pub(crate) mod run;
pub(crate) mod scale;
pub(crate) mod smoke;
pub(crate) mod status;
pub(crate) mod tasks;
pub(crate) mod verify;
pub(crate) mod wait;
