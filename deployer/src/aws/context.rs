//! The resolved configuration every AWS command starts from: the stack's Terraform
//! outputs and the AWS clients.

#![warn(unreachable_pub)]

use crate::args::GlobalArgs;
use crate::artifacts::outputs::Outputs;
use crate::aws::Aws;
use crate::exit::bad_input;

pub struct Ctx {
    pub outputs: Outputs,
    pub aws: Aws,
}

impl Ctx {
    /// Reads `--outputs`/`DEPLOYER_OUTPUTS` and loads the AWS configuration.
    pub async fn load(global: &GlobalArgs) -> anyhow::Result<Ctx> {
        let outputs = load_outputs(global)?;
        let aws = Aws::load(&outputs).await?;
        Ok(Ctx { outputs, aws })
    }
}

/// Reads the Terraform outputs named by `--outputs` / `DEPLOYER_OUTPUTS`.
pub(crate) fn load_outputs(global: &GlobalArgs) -> anyhow::Result<Outputs> {
    let path = global.outputs.as_ref().ok_or_else(|| {
        bad_input(
            "no Terraform outputs: give --outputs FILE or set DEPLOYER_OUTPUTS \
             (write the file with `terraform -chdir=infra output -json > FILE`, or \
             `deployer local env` for the local stack)",
        )
    })?;
    Outputs::load(path)
}
