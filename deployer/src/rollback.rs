//! `deployer rollback`: with a deployment in flight, stop it with rollback and follow the
//! rollback to the end; otherwise deploy the task definition revision before the live
//! one (a normal blue/green deployment, so the switch back is just as safe).

use anyhow::Context;
use aws_sdk_ecs::types::{SortOrder, TaskDefinitionStatus};
use clap::Args;

use crate::aws::AwsResultExt;
use crate::cli::{GlobalArgs, OutputFormat};
use crate::context::Ctx;
use crate::exit::{bad_input, Code};
use crate::preflight;
use crate::watch::{self, WatchArgs, WatchOptions};

#[derive(Debug, Args)]
#[command(
    after_help = concat!("Rollback exits 0 when the rollback completed (the in-flight deployment \
was stopped and traffic is back on blue, or the previous revision was deployed).", "\n\n", crate::exit_codes!())
)]
pub struct RollbackArgs {
    /// Only show what would be done.
    #[arg(long)]
    pub dry_run: bool,

    /// Return after starting the rollback instead of following it.
    #[arg(long)]
    pub no_wait: bool,

    #[command(flatten)]
    pub watch: WatchArgs,
}

pub async fn run(args: RollbackArgs, global: &GlobalArgs) -> anyhow::Result<Code> {
    let ctx = Ctx::load(global).await?;
    let in_flight = ctx.in_flight().await?;
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
        watch::stop_with_rollback(&ctx, &id).await?;
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

    let (current, previous) = previous_revision(&ctx).await?;
    if args.dry_run {
        eprintln!("dry run: would deploy {previous} (the revision before the live {current})");
        return Ok(Code::Success);
    }
    let (checks, _) = preflight::run(&ctx).await?;
    preflight::ensure_passed(&checks)?;
    eprintln!("rollback: no deployment in flight; deploying {previous} (live: {current})");
    let id = crate::deploy::create_deployment(
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

/// The live task definition: the service's PRIMARY task set's (the service's own when
/// it has no task sets).
pub async fn live_task_definition(ctx: &Ctx) -> anyhow::Result<String> {
    let service = ctx.service().await?;
    service
        .task_sets
        .as_deref()
        .unwrap_or_default()
        .iter()
        .find(|t| t.status.as_deref() == Some("PRIMARY"))
        .and_then(|t| t.task_definition.clone())
        .or(service.task_definition.clone())
        .with_context(|| {
            format!(
                "ECS service `{}` has no task definition",
                ctx.outputs.service_name
            )
        })
}

/// The live task definition (the service's PRIMARY task set) and the ACTIVE revision of
/// its family just before it.
pub async fn previous_revision(ctx: &Ctx) -> anyhow::Result<(String, String)> {
    let current = live_task_definition(ctx).await?;
    let (family, revision) = family_revision(&current)
        .with_context(|| format!("cannot read family:revision from {current}"))?;
    let mut pages = ctx
        .aws
        .ecs
        .list_task_definitions()
        .family_prefix(family)
        .status(TaskDefinitionStatus::Active)
        .sort(SortOrder::Desc)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page
            .aws("ecs:ListTaskDefinitions")
            .with_context(|| format!("listing revisions of task definition family `{family}`"))?;
        for arn in page.task_definition_arns.unwrap_or_default() {
            if let Some((f, r)) = family_revision(&arn) {
                // family_prefix also matches longer family names.
                if f == family && r < revision {
                    return Ok((current, arn));
                }
            }
        }
    }
    Err(bad_input(format!(
        "nothing to roll back to: no deployment is in flight, and {current} has no earlier \
         ACTIVE revision in family `{family}`"
    )))
}

/// `("demo", 7)` from `arn:aws:ecs:...:task-definition/demo:7` or `demo:7`.
pub fn family_revision(arn: &str) -> Option<(&str, u32)> {
    let tail = arn.rsplit('/').next()?;
    let (family, rev) = tail.rsplit_once(':')?;
    Some((family, rev.parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn family_revision_parses_arns() {
        assert_eq!(
            family_revision("arn:aws:ecs:eu-west-1:123456789012:task-definition/demo:7"),
            Some(("demo", 7))
        );
        assert_eq!(family_revision("demo:12"), Some(("demo", 12)));
        assert_eq!(family_revision("demo"), None);
    }
}
