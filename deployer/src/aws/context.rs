//! The resolved configuration every AWS command starts from: the stack's Terraform
//! outputs and the AWS clients.

#![warn(unreachable_pub)]

use crate::aws::Aws;
use crate::exit::bad_input;
use crate::options::Global;
use deployer_models::outputs::Outputs;

pub struct Ctx {
    pub outputs: Outputs,
    pub aws: Aws,
}

impl Ctx {
    /// Reads `--outputs`/`DEPLOYER_OUTPUTS` and loads the AWS configuration.
    pub(crate) async fn load(global: &Global) -> anyhow::Result<Ctx> {
        let outputs = load_outputs(global)?;
        let aws = Aws::load(&outputs, &global.timeouts).await?;
        Ok(Ctx { outputs, aws })
    }
}

impl Ctx {
    /// [`Ctx::load`] needing only the outputs in `needs` (`command` names the command in
    /// the error when one is missing; `region` is always needed).
    pub(crate) async fn load_for(
        global: &Global,
        command: &str,
        needs: &[&str],
    ) -> anyhow::Result<Ctx> {
        let path = outputs_path(global)?;
        let mut all = vec!["region"];
        all.extend_from_slice(needs);
        let outputs = Outputs::load_for(path, command, &all)?;
        let aws = Aws::load(&outputs, &global.timeouts).await?;
        Ok(Ctx { outputs, aws })
    }
}

fn outputs_path(global: &Global) -> anyhow::Result<&std::path::Path> {
    global.outputs.as_deref().ok_or_else(|| {
        bad_input(
            "no Terraform outputs: give --outputs FILE or set DEPLOYER_OUTPUTS \
             (write the file with `terraform -chdir=infra output -json > FILE`, or \
             `deployer local env` for the local stack)",
        )
    })
}

/// The outputs every command that reads the deployment group and its deployments needs.
pub(crate) const GROUP: [&str; 2] = ["codedeploy_app_name", "codedeploy_group_name"];
/// ... and the service.
pub(crate) const SERVICE: [&str; 2] = ["cluster_name", "service_name"];

/// What rendering the task definition reads (`artifacts::render`), with the ECR
/// repository the image must come from.
pub(crate) const RENDER: [&str; 10] = [
    "account_id",
    "task_family",
    "container_name",
    "container_port",
    "execution_role_arn",
    "task_role_arn",
    "log_group_name",
    "ecr_repository_name",
    "ecr_repository_url",
    "region",
];
/// What the preflight checks read besides the group and the service.
pub(crate) const PREFLIGHT: [&str; 2] = ["target_group_blue_name", "target_group_green_name"];

/// Reads the Terraform outputs named by `--outputs` / `DEPLOYER_OUTPUTS`.
pub(crate) fn load_outputs(global: &Global) -> anyhow::Result<Outputs> {
    let path = global.outputs.as_ref().ok_or_else(|| {
        bad_input(
            "no Terraform outputs: give --outputs FILE or set DEPLOYER_OUTPUTS \
             (write the file with `terraform -chdir=infra output -json > FILE`, or \
             `deployer local env` for the local stack)",
        )
    })?;
    Outputs::load(path)
}
