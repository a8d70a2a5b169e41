//! `deployer verify`: every preflight check of `deploy` (the appspec rendered against
//! the task definition of the image included), plus the image exists in ECR and the
//! task's IAM roles exist. Read-only: changes nothing.

use clap::Args;
use serde_json::json;

use crate::args::TemplateArgs;
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

    #[command(flatten)]
    pub templates: TemplateArgs,
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
            in_flight: false,
        },
    });
    checks.push(check_appspec(&ctx, &args.templates, image.as_ref()));
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

/// The appspec `deploy --image IMAGE` would send, rendered as its preflight renders it
/// ([`preflight::appspec`]) against the task definition rendered with `image`. Not
/// checked when no template was named and none is found from here upwards.
fn check_appspec(ctx: &Ctx, templates: &TemplateArgs, image: Option<&ImageRef>) -> Check {
    const NAME: &str = "appspec";
    let named = templates.taskdef.is_some() || templates.appspec.is_some();
    let loaded = match templates.load() {
        Ok(t) => t,
        Err(_) if !named => {
            return Check::pass(NAME, "no taskdef.json and appspec.yaml here: not checked")
        }
        Err(err) => return failed(NAME, err),
    };
    let Some(image) = image else {
        return Check::pass(
            NAME,
            "no image to render the task definition with: not checked",
        );
    };
    let o = &ctx.outputs;
    let rendered = preflight::stack_image(o, image, true)
        .and_then(|image| loaded.render_task_definition(o, &image, &[]))
        .and_then(|td| preflight::appspec(o, &loaded, None, &td));
    match rendered {
        Ok(_) => Check::pass(
            NAME,
            format!(
                "{} renders against the task definition of {image}",
                loaded.appspec.path.display()
            ),
        ),
        Err(err) => failed(NAME, err),
    }
}

/// A failed check from an error; exit 2 when the error is bad input (a template).
fn failed(name: &'static str, err: anyhow::Error) -> Check {
    Check {
        bad_input: crate::aws::exit_code(&err) == Code::BadInput,
        ..Check::fail(name, format!("{err:#}"))
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
                    in_flight: false,
                })
            } else {
                Ok(Check {
                    name,
                    ok: false,
                    detail: format!("IAM role `{role_name}` is {found}, not {arn} ({field})"),
                    bad_input: true,
                    in_flight: false,
                })
            }
        }
        Err(err) if error_kind(&err) == Some(ErrorKind::NotFound) => Ok(Check {
            name,
            ok: false,
            detail: format!("{err:#}"),
            bad_input: true,
            in_flight: false,
        }),
        Err(err) => Err(err),
    }
}
