//! The local CodeBuild: runs a commit's own `buildspec.yml` on this machine.
//!
//! - [`buildspec`]: the buildspec (version 0.2) as data, with errors naming the field.
//! - [`runner`]: the phases with bash in a clean checkout, CodeBuild's environment and
//!   phase transitions, UPLOAD_ARTIFACTS ([`artifacts`]), log lines as CodeBuild writes
//!   them ([`logs`]).
//! - [`standin`]: `docker` and `aws` on the build's PATH, backed by the local ECR ([`crate::ecr`]).
//! - [`model`]: a build's record with CodeBuild's enums.
//! - [`api`]: BatchGetBuilds and StopBuild, answering with the serde types of [`shapes`]
//!   (botocore's output shapes) and AWS's error codes ([`Error`]).
//!
//! Differences from CodeBuild are on purpose and listed in each module: no container
//! (the build runs with this machine's tools, as the user running the stack), `docker`
//! and `aws` are local stand-ins, the cache is a directory that stays on this machine.

pub(crate) mod api;
pub(crate) mod artifacts;
pub(crate) mod buildspec;
pub mod logs;
pub mod model;
pub mod runner;
pub(crate) mod shapes;
pub mod standin;

use crate::wire::error::ErrorCode;

/// CodeBuild's error codes (botocore's `codebuild` model).
#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::IntoStaticStr)]
pub(crate) enum Error {
    InvalidInputException,
    ResourceNotFoundException,
}
impl ErrorCode for Error {}
