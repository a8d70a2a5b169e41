//! `deployer deploy`: not built yet.

use clap::Args;

use crate::cli::GlobalArgs;
use crate::exit::Code;

#[derive(Debug, Args)]
pub struct DeployArgs {}

pub async fn run(_args: DeployArgs, _global: &GlobalArgs) -> anyhow::Result<Code> {
    anyhow::bail!("`deployer deploy` is not implemented yet")
}
