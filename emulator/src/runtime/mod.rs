//! The runtime beside the services: what makes the emulated resources real on this
//! machine.
//!
//! - [`stack`]: the running stack's shared state (the services' backends, the listeners'
//!   URLs, the shutdown token), its outputs and status;
//! - [`tasks`]: each ECS task as a process of the image it names, its container health
//!   check, its output into CloudWatch Logs;
//! - [`nlb`]: the NLB's data plane (TCP listeners forwarding to the live target group);
//! - [`alarms`]: the 5xx metric filter and alarm, evaluated over the tasks' access lines;
//! - [`scaling`]: auto scaling of the service on its tasks' measured CPU and memory;
//! - [`state`]: the state dir (`state.json`), for `deployer local` and crash recovery;
//! - [`records`]: the emulated records on disk (a snapshot `records.json` and its journal
//!   `records.log`), written before a write is answered and read back by `up`.

pub(crate) mod alarms;
pub(crate) mod nlb;
pub(crate) mod platform;
pub mod records;
pub(crate) mod scaling;
pub(crate) mod stack;
pub mod state;
pub(crate) mod tasks;
