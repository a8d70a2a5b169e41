//! Following a deployment, for every command that watches one (`deploy`, `wait`,
//! `rollback`).
//!
//! - [`machine`]: the pure state machine, observations in, events and an outcome out.
//! - [`observe`]: one poll of AWS, turned into an observation.
//! - [`follow`]: the loop: polls, feeds the machine, reports, handles Ctrl-C and
//!   approvals, enforces the timeout, and ends with one summary.
//! - [`progress`]: how progress and the summary are shown (terminal, plain lines, JSON).

pub mod follow;
pub mod machine;
pub mod observe;
pub mod progress;

pub use follow::{follow, WatchOptions};
pub use machine::is_terminal_status;
pub use observe::observe;
