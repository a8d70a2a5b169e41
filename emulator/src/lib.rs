//! `deployer local`'s stack: the whole blue/green stack on this machine, no AWS account
//! needed (the command side, `up`/`down`/`env`/`status`, is `commands/local.rs`).
//!
//! The stack serves, on 127.0.0.1 only: an AWS API endpoint (ECS, CodeDeploy, ELBv2, ECR,
//! IAM subsets: [`api`]), the "NLB" listeners ([`nlb`]) over two health-checked target
//! groups ([`elb`]), and the ECS service `demo` whose tasks are real `demo` processes
//! ([`tasks`]); CodeDeploy deployments run the ECS blue/green lifecycle
//! ([`codedeploy::lifecycle`]). Each emulated service is a backend (state and operations on
//! the [`model::World`], no HTTP) and a thin API module (shapes, typed error codes).
//! It uses the rest of the crate only through `artifacts/` and `exit`.

pub mod api;
pub mod autoscaling;
#[cfg(test)]
mod botocore_check;
pub mod build;
pub mod codedeploy;
pub mod config;
pub mod ecs;
pub mod elb;
pub mod elbv2;
pub mod error;
pub mod images;
pub mod logs;
pub mod model;
pub mod nlb;
pub mod pipeline;
pub mod placement;
pub mod registry;
pub mod scaling;
pub mod stack;
pub mod state;
pub mod tasks;
