//! `deployer verify`: every preflight check of `deploy`, plus the image exists in ECR and
//! the task's IAM roles exist. Read-only: changes nothing.

use anyhow::Context;
use aws_sdk_ecr::types::ImageIdentifier;
use clap::Args;
use serde_json::json;

use crate::aws::{error_kind, AwsResultExt, ErrorKind};
use crate::cli::{GlobalArgs, OutputFormat};
use crate::context::Ctx;
use crate::exit::Code;
use crate::image::ImageRef;
use crate::preflight::{self, Check};

#[derive(Debug, Args)]
#[command(
    after_help = concat!("verify exits 0 when every check passed, 3 when one failed \
(2 when the Terraform outputs name something that does not exist).", "\n\n", crate::exit_codes!())
)]
pub struct VerifyArgs {
    /// The image to check in ECR (default: the live container's image).
    #[arg(long, value_name = "URI")]
    pub image: Option<ImageRef>,
}

pub async fn run(args: VerifyArgs, global: &GlobalArgs) -> anyhow::Result<Code> {
    let ctx = Ctx::load(global).await?;
    let (mut checks, _) = preflight::run(&ctx).await?;

    let image = match args.image {
        Some(i) => Some(i),
        None => live_image(&ctx).await,
    };
    checks.push(match &image {
        Some(image) => check_image(&ctx, image).await?,
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
        OutputFormat::Json => println!(
            "{}",
            json!({"ok": checks.iter().all(|c| c.ok), "checks": checks})
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
    let arn = crate::rollback::live_task_definition(ctx).await.ok()?;
    let (_, model) = crate::deploy::describe(ctx, &arn).await.ok()?;
    let image = model.container(&ctx.outputs.container_name)?.image.clone();
    image.parse().ok()
}

async fn check_image(ctx: &Ctx, image: &ImageRef) -> anyhow::Result<Check> {
    const NAME: &str = "image in ECR";
    let o = &ctx.outputs;
    let ecr_registry = o.ecr_repository_url.split('/').next().unwrap_or_default();
    let is_ecr = image.registry().is_some_and(|r| {
        r == ecr_registry || (r.contains(".dkr.ecr.") && r.contains(".amazonaws.com"))
    });
    if !is_ecr {
        return Ok(Check {
            name: NAME,
            ok: true,
            detail: format!("{image}: not an ECR image, not checked"),
            bad_input: false,
        });
    }
    let mut id = ImageIdentifier::builder();
    if let Some(d) = image.digest() {
        id = id.image_digest(d);
    } else if let Some(t) = image.tag() {
        id = id.image_tag(t);
    }
    let res = ctx
        .aws
        .ecr
        .describe_images()
        .repository_name(image.repository())
        .image_ids(id.build())
        .send()
        .await
        .aws("ecr:DescribeImages")
        .with_context(|| {
            format!(
                "looking up {image} in ECR repository `{}`",
                image.repository()
            )
        });
    match res {
        Ok(out) => {
            let found = out.image_details.unwrap_or_default();
            match found.first() {
                Some(d) => Ok(Check {
                    name: NAME,
                    ok: true,
                    detail: format!(
                        "{image} ({}, pushed {})",
                        d.image_digest.as_deref().unwrap_or("?"),
                        d.image_pushed_at
                            .and_then(|t| t.fmt(aws_smithy_types::date_time::Format::DateTime).ok())
                            .unwrap_or_else(|| "?".into())
                    ),
                    bad_input: false,
                }),
                None => Ok(missing_image(image)),
            }
        }
        Err(err) if error_kind(&err) == Some(ErrorKind::NotFound) => Ok(Check {
            name: NAME,
            ok: false,
            detail: format!("{err:#}"),
            bad_input: false,
        }),
        Err(err) => Err(err),
    }
}

fn missing_image(image: &ImageRef) -> Check {
    Check {
        name: "image in ECR",
        ok: false,
        detail: format!("{image} is not in ECR: push it first (the pipeline's build does)"),
        bad_input: false,
    }
}

async fn check_role(
    ctx: &Ctx,
    name: &'static str,
    arn: &str,
    field: &str,
) -> anyhow::Result<Check> {
    let role_name = arn.rsplit('/').next().unwrap_or(arn);
    let res = ctx
        .aws
        .iam
        .get_role()
        .role_name(role_name)
        .send()
        .await
        .aws("iam:GetRole")
        .with_context(|| format!("reading IAM role `{role_name}` (Terraform outputs {field})"));
    match res {
        Ok(out) => {
            let found = out.role.map(|r| r.arn).unwrap_or_default();
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
