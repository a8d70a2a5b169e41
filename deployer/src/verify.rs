//! `deployer verify`: not built yet.

use clap::Args;

use crate::cli::GlobalArgs;
use crate::exit::Code;

#[derive(Debug, Args)]
pub struct VerifyArgs {}

pub async fn run(_args: VerifyArgs, _global: &GlobalArgs) -> anyhow::Result<Code> {
    anyhow::bail!("`deployer verify` is not implemented yet")
}
