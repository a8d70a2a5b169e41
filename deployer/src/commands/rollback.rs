//! `deployer rollback`: with a deployment in flight, stop it with rollback and follow the
//! rollback to the end; otherwise deploy the revision that served production traffic
//! before the live one, taken from the deployment history (failed and stopped
//! deployments never served, so they are skipped), or `--to` another one. The redeploy
//! is a normal blue/green deployment, so the switch back is just as safe.

use anyhow::Context;
use clap::Args;
use serde_json::json;

use crate::args::{TemplateArgs, WatchArgs};
use crate::aws::context::{GROUP, SERVICE};
use crate::aws::history::{self, RollbackTarget};
use crate::aws::{codedeploy, ecs, sts, Ctx};
use crate::exit::{bad_input, Code};
use crate::options::{Global, OutputFormat};
use crate::preflight;
use crate::watch::{self, WatchOptions};

#[derive(Debug, Args)]
#[command(
    after_help = concat!("Rollback exits 0 when the rollback completed (the in-flight deployment \
was stopped and traffic is back on the original task set, or the revision live before was \
deployed).

Examples:
  deployer rollback --dry-run        # name the revision it would go back to, and when it was live
  deployer rollback                  # stop the deployment in flight, or go back
  deployer rollback --to 7           # deploy revision 7 of the family instead", "\n\n", crate::exit_codes!(rollback))
)]
pub(crate) struct RollbackArgs {
    /// Only show what would be done.
    #[arg(long)]
    pub dry_run: bool,

    /// Return after starting the rollback instead of following it.
    #[arg(long)]
    pub no_wait: bool,

    /// Go back to this revision instead (a revision number of the stack's family,
    /// family:revision, or a task definition ARN). Not with a deployment in flight.
    #[arg(long, value_name = "REVISION|ARN")]
    pub to: Option<String>,

    #[command(flatten)]
    pub templates: TemplateArgs,

    #[command(flatten)]
    pub watch: WatchArgs,
}

pub(crate) async fn run(args: RollbackArgs, global: &Global) -> anyhow::Result<Code> {
    let needs = [
        &GROUP[..],
        &SERVICE[..],
        &[
            "task_family",
            "container_name",
            "container_port",
            "account_id",
            "target_group_blue_name",
            "target_group_green_name",
        ],
    ]
    .concat();
    let ctx = Ctx::load_for(global, "deployer rollback", &needs).await?;
    let in_flight = codedeploy::in_flight(&ctx).await?;
    if let Some(d) = in_flight.first() {
        let id = d
            .deployment_id
            .clone()
            .context("a deployment without an id")?;
        let status = d.status.as_ref().map(|s| s.as_str()).unwrap_or("?");
        if let Some(to) = &args.to {
            let which = codedeploy::in_flight_message(&ctx, d).await;
            return Err(crate::exit::in_flight(format!(
                "--to {to}: {which}; `deployer rollback` without --to stops it with rollback"
            )));
        }
        if args.dry_run {
            eprintln!("dry run: would stop {id} ({status}) with rollback");
            if global.output == OutputFormat::Json {
                crate::output::emit(
                    "dry_run",
                    &json!({"stop_deployment_id": id, "status": status}),
                );
            }
            return Ok(Code::Success);
        }
        sts::ensure_account(&ctx).await?;
        eprintln!("rollback: stopping {id} ({status}) with rollback");
        codedeploy::stop_with_rollback(&ctx, &id).await?;
        if global.output == OutputFormat::Json {
            crate::output::emit("deployment_stopped", &json!({"deployment_id": id}));
        }
        if args.no_wait {
            if global.output == OutputFormat::Human {
                println!("{id}");
            }
            return Ok(Code::Success);
        }
        let opts =
            WatchOptions::resolve(&ctx, &args.watch.settings(), false, global.output).await?;
        let (code, mut summary) = watch::follow_to_summary(&ctx, &id, &opts).await?;
        // Stopped with rollback is what was asked for; the summary says the exit code.
        let code = if code == Code::RolledBack {
            Code::Success
        } else {
            code
        };
        summary.exit_code = code.as_u8();
        crate::watch::progress::Reporter::plain(global.output).summary(&summary);
        return Ok(code);
    }

    let templates = args.templates.load()?;
    let current = ecs::live_task_definition(&ctx).await?;
    let (target, why) = match &args.to {
        Some(to) => {
            let (arn, _) = ecs::resolve_task_definition(&ctx, to, "--to").await?;
            if arn == current {
                return Err(bad_input(format!(
                    "--to {to}: {arn} is the live revision already"
                )));
            }
            let records = history::records(&ctx).await?;
            let when = match history::live_periods(&records, &arn).first() {
                Some(p) => history::describe_period(p),
                None => "never live according to the deployment history".to_owned(),
            };
            (arn, format!("given with --to; {when}"))
        }
        None => {
            let records = history::records(&ctx).await?;
            match history::rollback_target(&records, &current) {
                Some(RollbackTarget { arn, period }) => (
                    arn,
                    format!(
                        "the revision live before it: {}",
                        history::describe_period(&period)
                    ),
                ),
                None if records.iter().all(|r| r.status != "Succeeded") => {
                    // No deployment ever succeeded: the live revision is the one the
                    // service was created with, or there is nothing before it.
                    let (_, previous) = ecs::previous_revision(&ctx).await?;
                    (
                        previous,
                        "no deployment in the history succeeded; the revision before the \
                         live one in its family"
                            .to_owned(),
                    )
                }
                None => {
                    return Err(bad_input(format!(
                        "nothing to roll back to: no deployment is in flight, and the \
                         deployment history of group `{}` shows no revision live before \
                         {current}; pick one with --to (`deployer revisions` lists them)",
                        ctx.outputs.codedeploy_group_name
                    )))
                }
            }
        }
    };
    if args.dry_run {
        match global.output {
            OutputFormat::Human => eprintln!(
                "dry run: would deploy {target} ({why}; live now: {current}); templates: {}",
                templates.describe()
            ),
            OutputFormat::Json => crate::output::emit(
                "dry_run",
                &json!({"rollback_to": target, "why": why, "live": current,
                        "templates": {"appspec": templates.appspec.path}}),
            ),
        }
        return Ok(Code::Success);
    }
    let (checks, group) = preflight::run(&ctx).await?;
    preflight::ensure_passed(&checks)?;
    if let Some(g) = &group {
        watch::check_wait_until(g, args.watch.wait_until.as_deref())?;
    }
    eprintln!("rollback: no deployment in flight; deploying {target} ({why}; live now: {current})");
    let id = codedeploy::create_deployment(
        &ctx,
        &templates,
        &target,
        Some(&format!("deployer rollback: {current} -> {target}")),
    )
    .await?;
    eprintln!("deployment: created {id}");
    match global.output {
        OutputFormat::Json => crate::output::emit(
            "deployment_created",
            &json!({"deployment_id": id, "task_definition_arn": target}),
        ),
        OutputFormat::Human if args.no_wait => println!("{id}"),
        OutputFormat::Human => {}
    }
    if args.no_wait {
        return Ok(Code::Success);
    }
    let mut opts =
        WatchOptions::resolve(&ctx, &args.watch.settings(), false, global.output).await?;
    opts.auto_approve = true;
    // Traffic is back on the previous revision once the termination wait starts; the
    // wait only keeps the bad task set around, so the rollback is done there.
    if opts.wait_until.is_none() {
        opts.wait_until = Some("TerminationWait".into());
    }
    watch::follow(&ctx, &id, &opts).await
}
