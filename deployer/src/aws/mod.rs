//! Everything that talks to AWS: the clients ([`client`]), the translation of SDK errors
//! ([`errors`]), the context every command starts from ([`context`]), and one module per
//! service whose functions are named by the AWS concept they read or change
//! (`codedeploy::in_flight`, `codedeploy::create_deployment`,
//! `ecs::live_task_definition`, ...). Nothing here prints: callers report.

pub(crate) mod autoscaling;
mod client;
pub(crate) mod cloudwatch;
pub(crate) mod codedeploy;
pub(crate) mod codepipeline;
pub(crate) mod context;
pub(crate) mod ecr;
pub mod ecs;
pub mod ecs_taskdef;
pub(crate) mod elbv2;
mod errors;
pub(crate) mod history;
pub(crate) mod iam;
pub(crate) mod logs;
#[cfg(test)]
pub(crate) mod mock;
pub(crate) mod sts;

pub use client::Aws;
pub use context::Ctx;
pub(crate) use errors::{error_kind, exit_code, AwsError, AwsResultExt, ErrorKind};
