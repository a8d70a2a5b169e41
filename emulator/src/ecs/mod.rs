//! ECS: task definitions, the `demo` service (deployment controller CODE_DEPLOY) with its
//! task sets and tasks. [`backend`] holds the state and its operations (no HTTP, no
//! processes: [`crate::runtime::tasks`] runs the tasks); [`api`] answers the operations the deployer
//! and `aws ecs deploy` call, answering with the serde types of [`shapes`] (botocore's output
//! shapes) and AWS's error codes ([`Error`]).

pub(crate) mod api;
pub(crate) mod backend;
pub(crate) mod model;
pub(crate) mod placement;
pub(crate) mod shapes;
pub(crate) mod validate;

use crate::wire::error::ErrorCode;

/// ECS error codes this stack answers with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::IntoStaticStr)]
pub(crate) enum Error {
    ClientException,
    InvalidParameterException,
    ClusterNotFoundException,
    ServiceNotFoundException,
    /// A member of the wrong type (a task definition's `family`, for one).
    SerializationException,
}
impl ErrorCode for Error {}
