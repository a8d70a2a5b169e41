//! `deployer diff`: unified diff of the task definition `deploy` would register against
//! the live one (the revision the service's primary task set runs).

use anyhow::Context;
use clap::Args;
use serde_json::json;

use crate::args::{GlobalArgs, OutputFormat};
use crate::artifacts::image::ImageRef;
use crate::artifacts::render;
use crate::aws::{ecs, ecs_taskdef, Ctx};
use crate::exit::Code;

#[derive(Debug, Args)]
#[command(
    after_help = concat!("Both sides are shown with the defaults ECS fills in (essential, hostPort, \
protocol, health check timings) and environment variables sorted, so only real changes show.", "\n\n", crate::exit_codes!())
)]
pub(crate) struct DiffArgs {
    /// Image for the rendered side (default: the live container's image, so the diff
    /// shows template and configuration drift only).
    #[arg(long, value_name = "URI")]
    pub image: Option<ImageRef>,

    /// Environment override for the rendered side, as with `deploy --env`. Repeatable.
    #[arg(long = "env", value_name = "KEY=VALUE", value_parser = render::parse_env_override)]
    pub env: Vec<(String, String)>,

    /// Lines of context around each change.
    #[arg(long, value_name = "N", default_value_t = 3)]
    pub context: usize,
}

pub(crate) async fn run(args: DiffArgs, global: &GlobalArgs) -> anyhow::Result<Code> {
    let ctx = Ctx::load(global).await?;
    let o = &ctx.outputs;
    let current = ecs::live_task_definition(&ctx).await?;
    let (_, live) = ecs::describe_task_definition(&ctx, &current).await?;
    let image = match args.image {
        Some(i) => i,
        None => {
            let text = live
                .container(&o.container_name)
                .map(|c| c.image.clone())
                .with_context(|| {
                    format!(
                        "live task definition {current} has no container `{}`",
                        o.container_name
                    )
                })?;
            text.parse::<ImageRef>()
                .map_err(|e| anyhow::anyhow!("live image of {current}: {e}"))?
        }
    };
    let rendered = render::render_task_definition(o, &image, &args.env)?;
    let old = ecs_taskdef::normalize(&live).to_canonical_json();
    let new = ecs_taskdef::normalize(&rendered).to_canonical_json();
    let text = similar::TextDiff::from_lines(&old, &new)
        .unified_diff()
        .context_radius(args.context)
        .header(
            &format!("live {current}"),
            &format!("rendered (image {image})"),
        )
        .to_string();
    match global.output {
        OutputFormat::Human => {
            if text.is_empty() {
                eprintln!("no differences: the rendered task definition equals {current}");
            } else {
                print!("{text}");
            }
        }
        OutputFormat::Json => println!(
            "{}",
            json!({"live": current, "image": image.as_str(), "identical": text.is_empty(), "diff": text})
        ),
    }
    Ok(Code::Success)
}
