//! `deployer status`: not built yet.

use clap::Args;

use crate::cli::GlobalArgs;
use crate::exit::Code;

#[derive(Debug, Args)]
pub struct StatusArgs {}

pub async fn run(_args: StatusArgs, _global: &GlobalArgs) -> anyhow::Result<Code> {
    anyhow::bail!("`deployer status` is not implemented yet")
}
