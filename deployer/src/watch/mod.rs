//! Following a deployment, for every command that watches one (`deploy`, `wait`,
//! `rollback`), and a pipeline execution (`pipeline watch|release`), which ends by
//! following the deployment it created.
//!
//! - [`machine`]: the pure state machine, observations in, events and an outcome out.
//! - [`observe`](mod@observe): one poll of AWS, turned into an observation.
//! - [`follow`](mod@follow): the loop: polls, feeds the machine, reports, handles Ctrl-C and
//!   approvals, enforces the timeout, and ends with one summary.
//! - [`progress`]: how progress and the summary are shown (terminal, plain lines, JSON).
//! - [`execution`]: a pipeline execution's pure state machine; [`pipeline`]: its loop.

#![warn(unreachable_pub)]

pub(crate) mod execution;
pub(crate) mod follow;
pub(crate) mod guards;
pub(crate) mod machine;
pub(crate) mod observe;
pub(crate) mod pipeline;
pub(crate) mod progress;

pub(crate) use follow::{
    check_wait_until, follow, follow_to_summary, waits_for_approval, WatchOptions, WatchSettings,
};
pub(crate) use observe::observe;
pub(crate) use pipeline::{follow_execution, ExecutionOptions};
