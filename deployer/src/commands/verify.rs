//! `deployer verify`: every preflight check of `deploy`, plus the image exists in ECR and
//! the task's IAM roles exist. Read-only: changes nothing.

use clap::Args;
use serde_json::json;

use crate::aws::context::{GROUP, PREFLIGHT, RENDER, SERVICE};
use crate::aws::{ecs, error_kind, iam, Ctx, ErrorKind};
use crate::exit::Code;
use crate::options::{Global, OutputFormat};
use crate::preflight::{self, Check};
use deployer_models::image::ImageRef;

#[derive(Debug, Args)]
#[command(
    after_help = concat!("verify exits 0 when every check passed, 3 when one failed \
(2 when the Terraform outputs name something that does not exist).", "\n\n", crate::exit_codes!(verify))
)]
pub(crate) struct VerifyArgs {
    /// The image to check in ECR (default: the live container's image).
    #[arg(long, value_name = "URI")]
    pub image: Option<ImageRef>,
}

pub(crate) async fn run(args: VerifyArgs, global: &Global) -> anyhow::Result<Code> {
    let needs = [&GROUP[..], &SERVICE[..], &RENDER[..], &PREFLIGHT[..]].concat();
    let ctx = Ctx::load_for(global, "deployer verify", &needs).await?;
    let (mut checks, _) = preflight::run(&ctx).await?;

    let image = match args.image {
        Some(i) => Some(i),
        None => live_image(&ctx).await,
    };
    checks.push(match &image {
        Some(image) => preflight::check_image(&ctx, image).await?,
        None => Check {
            name: "image in ECR",
            ok: false,
            detail: "no --image given and no live image to check".into(),
            bad_input: false,
        },
    });
    for (name, arn, field) in [
        (
            "execution role",
            &ctx.outputs.execution_role_arn,
            "execution_role_arn",
        ),
        ("task role", &ctx.outputs.task_role_arn, "task_role_arn"),
    ] {
        checks.push(check_role(&ctx, name, arn, field).await?);
    }

    match global.output {
        OutputFormat::Human => {
            for c in &checks {
                println!("{}", c.human());
            }
        }
        OutputFormat::Json => crate::output::emit(
            "verify",
            &json!({"ok": checks.iter().all(|c| c.ok), "checks": checks}),
        ),
    }
    let failed = checks.iter().filter(|c| !c.ok).count();
    if failed == 0 {
        eprintln!("verify: all {} checks passed", checks.len());
        Ok(Code::Success)
    } else {
        eprintln!("verify: {failed} of {} checks failed", checks.len());
        Ok(if checks.iter().any(|c| !c.ok && c.bad_input) {
            Code::BadInput
        } else {
            Code::Failed
        })
    }
}

async fn live_image(ctx: &Ctx) -> Option<ImageRef> {
    let arn = ecs::live_task_definition(ctx).await.ok()?;
    let (_, model) = ecs::describe_task_definition(ctx, &arn).await.ok()?;
    let image = model.container(&ctx.outputs.container_name)?.image.clone();
    image.parse().ok()
}

async fn check_role(
    ctx: &Ctx,
    name: &'static str,
    arn: &str,
    field: &str,
) -> anyhow::Result<Check> {
    let role_name = arn.rsplit('/').next().unwrap_or(arn);
    match iam::role_arn(ctx, role_name, field).await {
        Ok(found) => {
            if found == arn {
                Ok(Check {
                    name,
                    ok: true,
                    detail: format!("{arn} exists"),
                    bad_input: false,
                })
            } else {
                Ok(Check {
                    name,
                    ok: false,
                    detail: format!("IAM role `{role_name}` is {found}, not {arn} ({field})"),
                    bad_input: true,
                })
            }
        }
        Err(err) if error_kind(&err) == Some(ErrorKind::NotFound) => Ok(Check {
            name,
            ok: false,
            detail: format!("{err:#}"),
            bad_input: true,
        }),
        Err(err) => Err(err),
    }
}
