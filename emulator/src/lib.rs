//! `deployer local`'s stack: the whole blue/green stack on this machine, no AWS account
//! needed (the command side, `up`/`down`/`env`/`status`, is the deployer's
//! `commands/local.rs`).
//!
//! The stack serves, on 127.0.0.1 only: an AWS API endpoint ([`router`]) for ECS,
//! CodeDeploy, ELBv2, ECR, IAM, CloudWatch Logs, CloudWatch, Application Auto Scaling, CodePipeline
//! and CodeBuild, the "NLB" listeners over two health-checked target groups, and the ECS
//! service `demo` whose tasks are real `demo` processes; CodeDeploy deployments run the
//! ECS blue/green lifecycle; a git push to the stack's remote runs the commit's own
//! buildspec and deploys it.
//!
//! Shaped like moto, in layers (imports only go down):
//! - [`serve`]: starts the stack, ties the layers together, stops it;
//! - [`router`]: one router, which tells the services apart;
//! - one folder per service: its `backend` (state and operations, typed statuses; no
//!   HTTP; errors are `wire::error::AwsError` of the service's enum of AWS's codes; ECS
//!   and CodeDeploy keep their data types in a `model` of their own, under the shared
//!   `World`) and its `api` (serde request types checked against botocore's input shapes,
//!   responses with AWS's shapes, one backend call per operation); CodePipeline and
//!   CodeBuild add their engines (`engine`, `driver`, `runner`...);
//! - [`runtime`] beside them: the stack's shared state, task processes, the NLB's data
//!   plane, the state dir;
//! - under them [`wire`] (the JSON 1.1 and query protocols, the error shape), the names
//!   every service shares, the [`world::World`] that ECS and CodeDeploy share (the clock
//!   and the lock helper are the workspace's, `deployer_models::time` and `::sync`).
//!
//! The public surface is what `deployer local` and its tests use: [`config`], [`run`],
//! [`runtime::state`], the build stand-ins ([`codebuild`]), the pipeline's names
//! ([`codepipeline`]); everything else is the crate's own.
#![warn(unreachable_pub)]
// Error code enums are spelled as AWS spells its codes (`...Exception`).
#![allow(clippy::enum_variant_names)]

mod autoscaling;
#[cfg(test)]
mod botocore_check;
mod cloudwatch;
pub mod codebuild;
mod codedeploy;
pub mod codepipeline;
pub mod config;
pub mod ecr;
mod ecs;
mod elbv2;
mod iam;
mod lambda;
mod logs;
mod names;
mod router;
pub mod runtime;
mod serve;
mod sts;
mod wire;
mod world;

pub use serve::{run, Endpoints};
