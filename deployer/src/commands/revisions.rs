//! `deployer revisions`: the task definition family's revisions, newest first, with
//! their image, when they were registered, and whether and when they served production
//! traffic (from the deployment history): the deployment that put each live, or the
//! ones that failed it. Read-only.

use clap::Args;
use serde::Serialize;

use crate::aws::context::{GROUP, SERVICE};
use crate::aws::history::{self, LivePeriod};
use crate::aws::{ecs, Ctx};
use crate::exit::Code;
use crate::options::{Global, OutputFormat};

#[derive(Debug, Args)]
#[command(after_help = concat!("Examples:
  deployer revisions                    # the 10 newest revisions and where they stand
  deployer revisions --limit 50 --output json", "\n\n", crate::exit_codes!(read)))]
pub(crate) struct RevisionsArgs {
    /// How many revisions to show (newest first).
    #[arg(long, value_name = "N", default_value_t = 10,
          value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub limit: u32,
}

/// One revision as shown (also one JSON line).
#[derive(Debug, Clone, Serialize)]
struct Revision {
    arn: String,
    revision: u32,
    images: Vec<String>,
    /// Epoch seconds; RFC 3339 in JSON.
    #[serde(serialize_with = "crate::output::time::opt")]
    registered_at: Option<f64>,
    live_now: bool,
    /// Every time it served production traffic, newest first.
    live: Vec<LivePeriod>,
    /// Deployments of it that failed or were stopped.
    failed_by: Vec<String>,
}

pub(crate) async fn run(args: RevisionsArgs, global: &Global) -> anyhow::Result<Code> {
    let needs = [&GROUP[..], &SERVICE[..], &["task_family"]].concat();
    let ctx = Ctx::load_for(global, "deployer revisions", &needs).await?;
    let o = &ctx.outputs;
    let live = ecs::live_task_definition(&ctx).await.ok();
    let records = history::records(&ctx).await?;
    let arns = ecs::list_revisions(&ctx, &o.task_family, args.limit as usize).await?;
    let mut revisions = Vec::new();
    for arn in arns {
        let (td, model) = ecs::describe_task_definition(&ctx, &arn).await?;
        revisions.push(Revision {
            revision: ecs::family_revision(&arn).map_or(0, |(_, r)| r),
            images: model
                .container_definitions
                .iter()
                .map(|c| c.image.clone())
                .collect(),
            registered_at: td
                .registered_at
                .map(|t| t.secs() as f64 + f64::from(t.subsec_nanos()) / 1e9),
            live_now: live.as_deref() == Some(arn.as_str()),
            live: history::live_periods(&records, &arn),
            failed_by: history::failed_deployments(&records, &arn)
                .iter()
                .map(|r| format!("{} {}", r.id, r.status))
                .collect(),
            arn,
        });
    }
    match global.output {
        OutputFormat::Json => {
            for r in &revisions {
                crate::output::emit("revision", r);
            }
        }
        OutputFormat::Human => {
            if revisions.is_empty() {
                println!("no ACTIVE revisions in family `{}`", o.task_family);
            }
            for r in &revisions {
                println!(
                    "{}:{}  registered {}  {}",
                    o.task_family,
                    r.revision,
                    r.registered_at
                        .map(history::fmt_time)
                        .unwrap_or_else(|| "-".into()),
                    r.arn
                );
                for i in &r.images {
                    println!("    image   {i}");
                }
                if r.live_now {
                    println!("    LIVE    serving production traffic now");
                }
                for p in &r.live {
                    println!("    {}", history::describe_period(p));
                }
                if r.live.is_empty() && !r.live_now {
                    println!("    never live according to the deployment history");
                }
                for f in &r.failed_by {
                    println!("    failed  {f}");
                }
            }
        }
    }
    Ok(Code::Success)
}
