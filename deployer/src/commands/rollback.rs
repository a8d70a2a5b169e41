//! `deployer rollback`: with a deployment in flight, stop it with rollback and follow the
//! rollback to the end; otherwise deploy the task definition revision before the live
//! one (a normal blue/green deployment, so the switch back is just as safe).

use anyhow::Context;
use clap::Args;

use crate::args::{GlobalArgs, OutputFormat, WatchArgs};
use crate::aws::{codedeploy, ecs, Ctx};
use crate::exit::Code;
use crate::preflight;
use crate::watch::{self, WatchOptions};

#[derive(Debug, Args)]
#[command(
    after_help = concat!("Rollback exits 0 when the rollback completed (the in-flight deployment \
was stopped and traffic is back on blue, or the previous revision was deployed).", "\n\n", crate::exit_codes!())
)]
pub(crate) struct RollbackArgs {
    /// Only show what would be done.
    #[arg(long)]
    pub dry_run: bool,

    /// Return after starting the rollback instead of following it.
    #[arg(long)]
    pub no_wait: bool,

    #[command(flatten)]
    pub watch: WatchArgs,
}

pub(crate) async fn run(args: RollbackArgs, global: &GlobalArgs) -> anyhow::Result<Code> {
    let ctx = Ctx::load(global).await?;
    let in_flight = codedeploy::in_flight(&ctx).await?;
    if let Some(d) = in_flight.first() {
        let id = d
            .deployment_id
            .clone()
            .context("a deployment without an id")?;
        let status = d.status.as_ref().map(|s| s.as_str()).unwrap_or("?");
        if args.dry_run {
            eprintln!("dry run: would stop {id} ({status}) with rollback");
            return Ok(Code::Success);
        }
        eprintln!("rollback: stopping {id} ({status}) with rollback");
        codedeploy::stop_with_rollback(&ctx, &id).await?;
        if args.no_wait {
            print_id(global.output, &id);
            return Ok(Code::Success);
        }
        let opts = WatchOptions::resolve(&ctx, &args.watch, false, global.output).await?;
        let code = watch::follow(&ctx, &id, &opts).await?;
        // Stopped with rollback is what was asked for.
        return Ok(if code == Code::RolledBack {
            Code::Success
        } else {
            code
        });
    }

    let (current, previous) = ecs::previous_revision(&ctx).await?;
    if args.dry_run {
        eprintln!("dry run: would deploy {previous} (the revision before the live {current})");
        return Ok(Code::Success);
    }
    let (checks, _) = preflight::run(&ctx).await?;
    preflight::ensure_passed(&checks)?;
    eprintln!("rollback: no deployment in flight; deploying {previous} (live: {current})");
    let id = codedeploy::create_deployment(
        &ctx,
        &previous,
        Some(&format!("deployer rollback: {current} -> {previous}")),
    )
    .await?;
    eprintln!("deployment: created {id}");
    if args.no_wait {
        print_id(global.output, &id);
        return Ok(Code::Success);
    }
    let mut opts = WatchOptions::resolve(&ctx, &args.watch, false, global.output).await?;
    opts.auto_approve = true;
    // Traffic is back on the previous revision once the termination wait starts; the
    // wait only keeps the bad task set around, so the rollback is done there.
    if opts.wait_until.is_none() {
        opts.wait_until = Some("TerminationWait".into());
    }
    watch::follow(&ctx, &id, &opts).await
}

fn print_id(output: OutputFormat, id: &str) {
    match output {
        OutputFormat::Human => println!("{id}"),
        OutputFormat::Json => println!("{}", serde_json::json!({ "deployment_id": id })),
    }
}
