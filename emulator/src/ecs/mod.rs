//! ECS: task definitions, the `demo` service (deployment controller CODE_DEPLOY) with its
//! task sets and tasks. [`backend`] holds the state and its operations (no HTTP, no
//! processes: [`super::tasks`] runs the tasks); [`api`] answers the operations the deployer
//! and `aws ecs deploy` call, with AWS's shapes and error codes ([`Error`]).

pub mod api;
pub mod backend;

use super::error::ErrorCode;

/// ECS error codes this stack answers with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::IntoStaticStr)]
pub enum Error {
    ClientException,
    InvalidParameterException,
    ClusterNotFoundException,
    ServiceNotFoundException,
}
impl ErrorCode for Error {}
