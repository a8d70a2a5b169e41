//! `deployer wait`: follow a deployment to its end.

use clap::Args;

use crate::args::WatchArgs;
use crate::aws::codedeploy::check_deployment_id;
use crate::aws::context::{GROUP, SERVICE};
use crate::aws::{codedeploy, Ctx};
use crate::exit::{bad_input, Code};
use crate::options::Global;
use crate::watch::{follow, WatchOptions};

/// `deployer wait`: follow a deployment to its end.
#[derive(Debug, Args)]
#[command(after_help = concat!("Examples:
  deployer wait                               # the latest deployment of the group
  deployer wait d-ABCDE1234 --output json     # one JSON event per line, then a summary
  deployer wait --wait-until ReadyWait        # return once green waits for approval", "\n\n", crate::exit_codes!(watch)))]
pub(crate) struct WaitArgs {
    /// The deployment to watch (`d-XXXXXXXXX`). Default: the latest of the deployment
    /// group.
    #[arg(value_name = "DEPLOYMENT_ID")]
    pub deployment_id: Option<String>,

    #[command(flatten)]
    pub watch: WatchArgs,
}

pub(crate) async fn run(args: WaitArgs, global: &Global) -> anyhow::Result<Code> {
    let needs = [GROUP, SERVICE].concat();
    let ctx = Ctx::load_for(global, "deployer wait", &needs).await?;
    let id = match args.deployment_id {
        Some(id) => {
            check_deployment_id(&id)?;
            id
        }
        None => codedeploy::latest_deployment(&ctx).await?.ok_or_else(|| {
            bad_input(format!(
                "deployment group `{}` of application `{}` has no deployments yet",
                ctx.outputs.codedeploy_group_name, ctx.outputs.codedeploy_app_name
            ))
        })?,
    };
    let group = codedeploy::deployment_group(&ctx).await?;
    crate::watch::check_wait_until(&group, args.watch.wait_until.as_deref())?;
    let opts = WatchOptions::resolve(&ctx, &args.watch.settings(), false, global.output).await?;
    follow(&ctx, &id, &opts).await
}
