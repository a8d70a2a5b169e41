//! The deployer's integration tests, one binary (one link of the AWS SDK instead of one per
//! file): each module is one area, `support` starts a local stack for those that need one.
//! The dashboard's browser tests live in their own crate (`browser-tests/`), so Chromium's
//! driver is built only for them.

mod buildspec_cache;
mod cli;
mod cloudwatch_query;
mod consistency;
mod day2;
mod docs;
mod e2e;
mod emulated_operations;
mod faults;
mod guards;
mod json_contract;
mod local;
mod local_build;
mod local_elb;
mod moto;
mod pipeline;
mod pipeline_names;
mod reference;
mod render;
mod render_pipeline;
mod rollouts;
mod strangers;
mod support;
