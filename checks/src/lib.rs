//! How a release is judged by real requests, the same way by hand and by CodeDeploy:
//!
//! - [`probe()`] sends a number of GETs to one URL, some at a time, and [`Report`]s what
//!   answered: errors, versions, latency percentiles (`deployer smoke` through the load
//!   balancer);
//! - [`compare()`] judges green against blue on the same requests, the way Argo Rollouts'
//!   pre-promotion analysis and Kayenta's baseline comparison do: green must answer every
//!   request (error rate 0), report one version (the expected one, when known), and its p99
//!   latency must stay within a factor of blue's, its p90 too before a slow p99 counts (one
//!   slow answer among a few dozen is noise); the validation hook, before production
//!   traffic reaches green, probes both sides at once.
//!
//! No AWS here: callers find the URLs (the NLB's, or each task's address from the target
//! groups of the deployment) and act on the verdict.

mod compare;
mod probe;
mod report;

pub use compare::{compare, Rules, Verdict};
pub use probe::{probe, probe_targets, Probe};
pub use report::{percentiles, render_human, version_of, Percentiles, Report};
