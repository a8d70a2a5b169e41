//! `deployer diff`: not built yet.

use clap::Args;

use crate::cli::GlobalArgs;
use crate::exit::Code;

#[derive(Debug, Args)]
pub struct DiffArgs {}

pub async fn run(_args: DiffArgs, _global: &GlobalArgs) -> anyhow::Result<Code> {
    anyhow::bail!("`deployer diff` is not implemented yet")
}
