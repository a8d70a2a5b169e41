//! `deployer continue`: approve the traffic switch (READY_WAIT) or end the termination
//! wait early (TERMINATION_WAIT) of the deployment in flight.

use aws_sdk_codedeploy::types::DeploymentWaitType;
use clap::Args;
use serde_json::json;

use crate::aws::codedeploy::check_deployment_id;
use crate::aws::{codedeploy, sts, Ctx};
use crate::exit::{bad_input, Code};
use crate::options::{Global, OutputFormat};
use crate::watch;

#[derive(Debug, Args)]
#[command(after_help = concat!("Examples:
  deployer continue                  # approve: switch production traffic to the replacement
  deployer continue --termination    # skip the rest of the termination wait", "\n\n", crate::exit_codes!(continue)))]
pub(crate) struct ContinueArgs {
    /// The deployment (default: the one in flight in the deployment group).
    #[arg(value_name = "DEPLOYMENT_ID")]
    pub deployment_id: Option<String>,

    /// End the termination wait (the original task set is removed now) instead of approving
    /// the traffic switch.
    #[arg(long)]
    pub termination: bool,
}

pub(crate) async fn run(args: ContinueArgs, global: &Global) -> anyhow::Result<Code> {
    // account_id: the credentials' account is checked before ContinueDeployment.
    let needs = [&crate::aws::context::GROUP[..], &["account_id"]].concat();
    let ctx = Ctx::load_for(global, "deployer continue", &needs).await?;
    let id = match args.deployment_id {
        Some(id) => {
            check_deployment_id(&id)?;
            id
        }
        None => in_flight_id(&ctx).await?,
    };
    let obs = watch::observe(&ctx, &id).await?;
    let (wait, what) = if args.termination {
        if !obs.termination_wait_started || crate::aws::codedeploy::is_finished(&obs.status) {
            return Err(bad_input(format!(
                "deployment {id} is {} and not in its termination wait{}",
                obs.status,
                if obs.status == "Ready" {
                    "; it waits for approval: run `deployer continue` without --termination"
                } else {
                    ""
                }
            )));
        }
        (
            DeploymentWaitType::TerminationWait,
            "ended the termination wait: the original task set is being removed",
        )
    } else {
        if obs.status != "Ready" {
            let hint = if obs.termination_wait_started
                && !crate::aws::codedeploy::is_finished(&obs.status)
            {
                "; traffic is already on the replacement task set: `deployer continue --termination` ends the \
                 termination wait"
            } else {
                ""
            };
            return Err(bad_input(format!(
                "deployment {id} is {}, not waiting for approval (Ready){hint}",
                obs.status
            )));
        }
        (
            DeploymentWaitType::ReadyWait,
            "approved: production traffic is switching to the replacement task set",
        )
    };
    sts::ensure_account(&ctx).await?;
    codedeploy::continue_deployment(&ctx, &id, wait.clone()).await?;
    match global.output {
        OutputFormat::Human => println!("{id}: {what} (follow with `deployer wait {id}`)"),
        OutputFormat::Json => crate::output::emit(
            "continued",
            &json!({"deployment_id": id, "continued": wait.as_str()}),
        ),
    }
    Ok(Code::Success)
}

/// The one deployment in flight in the group, or a clear error.
async fn in_flight_id(ctx: &Ctx) -> anyhow::Result<String> {
    let in_flight = codedeploy::in_flight(ctx).await?;
    if let Some(id) = in_flight.into_iter().find_map(|d| d.deployment_id) {
        return Ok(id);
    }
    let latest = match codedeploy::latest_deployment(ctx).await? {
        Some(id) => {
            let d = codedeploy::deployment(ctx, &id).await?;
            format!(
                " (the latest, {id}, is {})",
                d.status.as_ref().map(|s| s.as_str()).unwrap_or("?")
            )
        }
        None => " (it has no deployments yet)".to_owned(),
    };
    Err(bad_input(format!(
        "nothing to continue: no deployment in flight in group `{}` of `{}`{latest}",
        ctx.outputs.codedeploy_group_name, ctx.outputs.codedeploy_app_name
    )))
}
