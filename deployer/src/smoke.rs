//! `deployer smoke`: not built yet.

use clap::Args;

use crate::cli::GlobalArgs;
use crate::exit::Code;

#[derive(Debug, Args)]
pub struct SmokeArgs {}

pub async fn run(_args: SmokeArgs, _global: &GlobalArgs) -> anyhow::Result<Code> {
    anyhow::bail!("`deployer smoke` is not implemented yet")
}
