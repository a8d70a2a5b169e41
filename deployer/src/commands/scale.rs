//! `deployer scale`: the service's desired count (`--tasks N`, UpdateService) and its
//! Application Auto Scaling bounds (`--min N --max N`, RegisterScalableTarget). Checked
//! first against the live service and target ([`deployer_models::scaling`] says what is
//! refused and why); `--wait` until the service runs the new count.

use std::time::{Duration, Instant};

use anyhow::Context;
use clap::Args;
use serde_json::json;

use crate::aws::{autoscaling, codedeploy, ecs, sts, Ctx};
use crate::exit::{bad_input, Code};
use crate::options::{Global, OutputFormat};
use deployer_models::scaling::{self, Current, Request};

#[derive(Debug, Args)]
#[command(after_help = crate::exit_codes!())]
pub(crate) struct ScaleArgs {
    /// The service's desired count (UpdateService).
    #[arg(long, value_name = "N")]
    pub tasks: Option<u32>,

    /// Auto scaling's minimum (the scalable target's MinCapacity).
    #[arg(long, value_name = "N")]
    pub min: Option<u32>,

    /// Auto scaling's maximum (the scalable target's MaxCapacity).
    #[arg(long, value_name = "N")]
    pub max: Option<u32>,

    /// Wait until the service runs `--tasks` tasks.
    #[arg(long, requires = "tasks")]
    pub wait: bool,

    /// How long `--wait` waits (exit 5 after).
    #[arg(long, default_value = "5m", value_parser = crate::args::parse_duration, value_name = "DURATION")]
    pub timeout: Duration,
}

pub(crate) async fn run(args: ScaleArgs, global: &Global) -> anyhow::Result<Code> {
    let req = Request {
        tasks: args.tasks,
        min: args.min,
        max: args.max,
    };
    let ctx = Ctx::load(global).await?;
    let o = &ctx.outputs;
    let resource = autoscaling::resource_id(&o.cluster_name, &o.service_name);
    let service = ecs::service(&ctx).await?;
    let bounds = autoscaling::bounds(&ctx.aws.autoscaling, &resource).await?;
    let in_flight = codedeploy::in_flight(&ctx).await?;
    let cur = Current {
        desired: service.desired_count.max(0) as u32,
        bounds: bounds.map(|b| (b.min.max(0) as u32, b.max.max(0) as u32)),
        deployment_in_flight: !in_flight.is_empty(),
    };
    let plan = match scaling::plan(req, cur) {
        Ok(plan) => plan,
        // Refused only because a deployment is in flight: exit 6, saying what ends it.
        Err(refusal)
            if cur.deployment_in_flight
                && scaling::plan(
                    req,
                    Current {
                        deployment_in_flight: false,
                        ..cur
                    },
                )
                .is_ok() =>
        {
            let which = codedeploy::in_flight_message(&ctx, &in_flight[0]).await;
            return Err(crate::exit::in_flight(format!("{}\n  {which}", refusal.0)));
        }
        Err(refusal) => return Err(bad_input(refusal.0)),
    };
    sts::ensure_account(&ctx).await?;
    if let Some((min, max)) = plan.bounds {
        autoscaling::set_bounds(
            &ctx.aws.autoscaling,
            &resource,
            min.map(|n| n as i32),
            max.map(|n| n as i32),
        )
        .await
        .with_context(|| format!("changing the auto scaling bounds of {resource}"))?;
    }
    if let Some(n) = plan.tasks {
        ecs::set_desired_count(&ctx, n as i32).await?;
    }
    let after = autoscaling::bounds(&ctx.aws.autoscaling, &resource).await?;
    let desired = plan.tasks.unwrap_or(cur.desired);
    let summary = format!(
        "desired count {} -> {desired}{}",
        cur.desired,
        after
            .map(|b| format!(" (auto scaling min {}, max {})", b.min, b.max))
            .unwrap_or_default()
    );
    let mut running = service.running_count;
    let mut code = Code::Success;
    let change = json!({
        "desired_count_before": cur.desired,
        "desired_count": desired,
        "min": after.map(|b| b.min),
        "max": after.map(|b| b.max),
    });
    if global.output == OutputFormat::Json {
        crate::output::emit("scale", &change);
    }
    if args.wait {
        eprintln!("{summary}; waiting for {desired} running tasks");
        let deadline = Instant::now() + args.timeout;
        loop {
            let s = ecs::service(&ctx).await?;
            running = s.running_count;
            if running == desired as i32 && s.pending_count == 0 {
                break;
            }
            if Instant::now() >= deadline {
                eprintln!(
                    "timed out after {} with {running} of {desired} tasks running",
                    humantime::format_duration(args.timeout)
                );
                code = Code::Timeout;
                break;
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }
    match global.output {
        // `scale --wait` runs to an end: its summary. Without --wait, `scale` said it all.
        OutputFormat::Json if args.wait => crate::output::emit(
            "summary",
            &json!({
                "outcome": if code == Code::Success { "reached" } else { "timeout" },
                "desired_count": desired,
                "running_count": running,
                "exit_code": code.as_u8(),
            }),
        ),
        OutputFormat::Json => {}
        OutputFormat::Human => println!("{summary}, {running} running"),
    }
    Ok(code)
}
