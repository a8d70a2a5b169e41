//! The local CodePipeline: the pipeline `demo` of `infra/codepipeline.tf` (Source from a
//! git push, Build on the local CodeBuild, Deploy with CodeDeployToECS semantics), on
//! this machine.
//!
//! - [`source`]: the bare repository in the state dir and push detection (post-receive hook).
//! - [`engine`]: executions, stages and actions as a state machine (SUPERSEDED mode).
//! - [`deploy`]: the Deploy action (CodeDeployToECS) from the build's artifacts.
//! - [`driver`]: the backend: runs it all inside the stack (the repository, builds on the
//!   local CodeBuild, the Deploy action).
//! - [`api`]: the CodePipeline operations over it, answering with the serde types of
//!   [`shapes`] (botocore's output shapes).

pub(crate) mod api;
pub(crate) mod deploy;
pub mod driver;
pub mod engine;
pub(crate) mod shapes;
pub mod source;

use crate::wire::error::{ApiError, ErrorCode};

/// CodePipeline's error codes (botocore's `codepipeline` model).
#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::IntoStaticStr)]
pub(crate) enum Error {
    ValidationException,
    PipelineNotFoundException,
    PipelineExecutionNotFoundException,
    InvalidNextTokenException,
    PipelineExecutionNotStoppableException,
}
impl ErrorCode for Error {}

/// PipelineExecutionNotFoundException with CodePipeline's message (the API and the driver
/// both answer it).
pub(crate) fn execution_not_found(pipeline: &str, id: &str) -> ApiError {
    ApiError::new(
        Error::PipelineExecutionNotFoundException,
        format!(
            "Pipeline execution with id '{id}' does not exist in pipeline with name '{pipeline}'"
        ),
    )
}
