//! Everything that talks to AWS: the clients ([`client`]), the translation of SDK errors
//! ([`errors`]), the context every command starts from ([`context`]), and one module per
//! service whose functions are named by the AWS concept they read or change
//! (`codedeploy::in_flight`, `codedeploy::create_deployment`,
//! `ecs::live_task_definition`, ...). Nothing here prints: callers report.

pub mod client;
pub mod codedeploy;
pub mod context;
pub mod ecr;
pub mod ecs;
pub mod ecs_taskdef;
pub mod elbv2;
pub mod errors;
pub mod iam;

pub use client::Aws;
pub use context::Ctx;
pub use errors::{error_kind, AwsError, AwsResultExt, ErrorKind};
