//! `deployer continue`: not built yet.

use clap::Args;

use crate::cli::GlobalArgs;
use crate::exit::Code;

#[derive(Debug, Args)]
pub struct ContinueArgs {}

pub async fn run(_args: ContinueArgs, _global: &GlobalArgs) -> anyhow::Result<Code> {
    anyhow::bail!("`deployer continue` is not implemented yet")
}
