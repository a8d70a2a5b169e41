//! `deployer rollback`: not built yet.

use clap::Args;

use crate::cli::GlobalArgs;
use crate::exit::Code;

#[derive(Debug, Args)]
pub struct RollbackArgs {}

pub async fn run(_args: RollbackArgs, _global: &GlobalArgs) -> anyhow::Result<Code> {
    anyhow::bail!("`deployer rollback` is not implemented yet")
}
