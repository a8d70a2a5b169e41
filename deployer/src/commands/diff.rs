//! `deployer diff`: unified diff of the task definition `deploy` would register against
//! the live one (the revision the service's primary task set runs).

use anyhow::Context;
use clap::Args;
use serde_json::json;

use crate::args::TemplateArgs;
use crate::aws::context::{RENDER, SERVICE};
use crate::aws::{ecs, ecs_taskdef, Ctx};
use crate::exit::Code;
use crate::options::{Global, OutputFormat};
use deployer_models::image::ImageRef;
use deployer_models::render;

#[derive(Debug, Args)]
#[command(
    after_help = "Both sides are shown with the defaults ECS fills in (essential, hostPort, \
protocol, health check timings) and environment variables sorted, so only real changes show.

Exit codes:
  0    no differences (as diff(1))
  1    the rendered task definition differs from the live one
  2    trouble: bad input (flags, templates, Terraform outputs), or an AWS or network error"
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

    #[command(flatten)]
    pub templates: TemplateArgs,
}

/// Like diff(1): exit 0 when equal, 1 when different, 2 on any trouble (bad input, and
/// AWS or network errors too, so that 1 always means "different").
pub(crate) async fn run(args: DiffArgs, global: &Global) -> anyhow::Result<Code> {
    match compare(args, global).await {
        Ok(code) => Ok(code),
        Err(err) if crate::aws::exit_code(&err) == Code::BadInput => Err(err),
        Err(err) => Err(err.context(crate::exit::BadInput(
            "diff could not compare (exit 2, as diff(1) on trouble)".into(),
        ))),
    }
}

async fn compare(args: DiffArgs, global: &Global) -> anyhow::Result<Code> {
    let needs = [&SERVICE[..], &RENDER[..]].concat();
    let ctx = Ctx::load_for(global, "deployer diff", &needs).await?;
    let o = &ctx.outputs;
    let templates = args.templates.load()?;
    let current = ecs::live_task_definition(&ctx).await?;
    let (_, live) = ecs::describe_task_definition(&ctx, &current).await?;
    let image = match args.image {
        // As `deploy` reads it (`demo:v2` is the stack's ECR repository); an image
        // `deploy` would refuse is still shown as given.
        Some(i) => crate::preflight::stack_image(o, &i, true).unwrap_or(i),
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
    let rendered = templates.render_task_definition(o, &image, &args.env)?;
    let old = ecs_taskdef::normalize(&live).to_canonical_json();
    let new = ecs_taskdef::normalize(&rendered).to_canonical_json();
    let text = similar::TextDiff::from_lines(&old, &new)
        .unified_diff()
        .context_radius(args.context)
        .header(
            &format!("live {current}"),
            &format!(
                "rendered {} (image {image})",
                templates.taskdef.path.display()
            ),
        )
        .to_string();
    match global.output {
        OutputFormat::Human => {
            if text.is_empty() {
                eprintln!(
                    "no differences: the task definition rendered from {} equals {current}",
                    templates.taskdef.path.display()
                );
            } else {
                print!("{text}");
            }
        }
        OutputFormat::Json => crate::output::emit(
            "diff",
            &json!({"live": current, "image": image.as_str(), "template": templates.taskdef.path,
                    "identical": text.is_empty(), "diff": text}),
        ),
    }
    // Like diff(1): 0 equal, 1 different (errors are 2, see `run`).
    Ok(if text.is_empty() {
        Code::Success
    } else {
        Code::Error
    })
}
