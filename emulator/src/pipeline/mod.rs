//! The local CodePipeline: the pipeline `demo` of `infra/codepipeline.tf` (Source from a
//! git push, Build on the local CodeBuild, Deploy with CodeDeployToECS semantics), on
//! this machine.
//!
//! - [`source`]: the bare repository in the state dir and push detection (post-receive hook).
//! - [`engine`]: executions, stages and actions as a state machine (SUPERSEDED mode).
//! - [`deploy`]: the Deploy action (CodeDeployToECS) from the build's artifacts.
//! - [`driver`]: runs it all inside the stack, serves the API operations.
//! - [`api`]: the CodePipeline and CodeBuild operations over them, with AWS's shapes.

pub mod api;
pub mod deploy;
pub mod driver;
pub mod engine;
pub mod source;
