//! `deployer dashboard`: a page on 127.0.0.1 that shows a blue/green deployment live (the
//! listeners' target groups and weights, task sets, tasks and their health, the
//! deployment in flight with its lifecycle events, the last deployments, and a chart of
//! what the NLB answered), for the stack the Terraform outputs name, on AWS or on
//! `deployer local`.
//!
//! - [`snapshot`]: the data the page shows (serde);
//! - [`source`]: where snapshots come from (a trait: the stack, or a test's fake);
//! - [`server`]: the HTTP server, its poller and its security checks;
//! - [`probe`]: the dashboard's own bounded probe of the NLB;
//! - [`stack`]: a snapshot from what AWS answered (pure);
//! - `assets`: the page (HTML, JS, CSS compiled in).

mod assets;
pub(crate) mod live;
pub(crate) mod probe;
pub(crate) mod server;
pub mod snapshot;
pub(crate) mod source;
pub(crate) mod stack;

pub use server::{start, Options, ProbeOptions, Running};
pub use snapshot::{ActionKind, Snapshot};
pub use source::{ActionRequest, BoxFuture, Source};
