//! `deployer deploy`: preflight, register the task definition (unless identical to the
//! latest revision), create the CodeDeploy deployment with the appspec inline, watch it.

use std::io::IsTerminal;

use anyhow::Context;
use clap::Args;
use serde_json::json;

use crate::args::{TemplateArgs, WatchArgs};
use crate::aws::context::{GROUP, PREFLIGHT, RENDER, SERVICE};
use crate::aws::ecs::{self, Plan};
use crate::aws::{codedeploy, Ctx};
use crate::exit::{bad_input, Code};
use crate::options::{Global, OutputFormat};
use crate::preflight;
use crate::watch::{self, WatchOptions};
use deployer_models::image::ImageRef;
use deployer_models::render::{self, Templates};
use deployer_models::taskdef::TaskDefinition;

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("what").required(true).args(["image", "task_definition"])))]
#[command(after_help = concat!("Examples:
  deployer deploy --image 123456789012.dkr.ecr.eu-west-1.amazonaws.com/demo:3f9c2ab
  deployer deploy --image demo:v2 --env DEMO_FAIL_HEALTH=1     # watch the automatic rollback
  deployer deploy --image demo:v2 --dry-run                    # show, change nothing
  deployer deploy --task-definition arn:aws:ecs:eu-west-1:123456789012:task-definition/demo:7 --no-wait", "\n\n", crate::exit_codes!(watch)))]
pub(crate) struct DeployArgs {
    /// Container image to ship: [registry/]repository:tag or ...@sha256:<digest>. The
    /// task definition is rendered from taskdef.json with it.
    #[arg(long, value_name = "URI")]
    pub image: Option<ImageRef>,

    /// Deploy an already registered task definition revision instead of rendering one.
    #[arg(long, value_name = "ARN", conflicts_with = "env")]
    pub task_definition: Option<String>,

    /// Set (or add) an environment variable of the `demo` container in the rendered
    /// task definition, e.g. DEMO_FAIL_HEALTH=1. Repeatable.
    #[arg(long = "env", value_name = "KEY=VALUE", value_parser = render::parse_env_override)]
    pub env: Vec<(String, String)>,

    /// Return the deployment id at once instead of watching.
    #[arg(long, conflicts_with_all = ["approve", "wait_until"])]
    pub no_wait: bool,

    /// Show what would be registered and deployed; change nothing.
    #[arg(long)]
    pub dry_run: bool,

    /// Ask before production traffic switches to green (needs a terminal and a
    /// deployment group that waits for approval: deploymentReadyOption STOP_DEPLOYMENT).
    #[arg(long)]
    pub approve: bool,

    /// Deploy a tag that looks mutable (`latest`, `main`, ...): the stack's ECR
    /// repository has immutable tags, so such a tag is usually not what the pipeline
    /// pushed.
    #[arg(long)]
    pub allow_mutable_tag: bool,

    /// Description recorded on the CodeDeploy deployment.
    #[arg(long, value_name = "TEXT")]
    pub description: Option<String>,

    #[command(flatten)]
    pub templates: TemplateArgs,

    #[command(flatten)]
    pub watch: WatchArgs,
}

pub(crate) async fn run(args: DeployArgs, global: &Global) -> anyhow::Result<Code> {
    if args.approve && !(std::io::stdin().is_terminal() && std::io::stderr().is_terminal()) {
        return Err(bad_input(
            "--approve asks on the terminal, and there is none; instead use \
             `--wait-until ReadyWait`, then `deployer continue`",
        ));
    }
    let needs = [&GROUP[..], &SERVICE[..], &RENDER[..], &PREFLIGHT[..]].concat();
    let ctx = Ctx::load_for(global, "deployer deploy", &needs).await?;
    let o = &ctx.outputs;
    let templates = args.templates.load()?;

    // What to deploy: a rendered task definition, or an existing revision.
    let image = match &args.image {
        Some(i) => Some(preflight::stack_image(o, i, args.allow_mutable_tag)?),
        None => None,
    };
    let rendered: Option<TaskDefinition> = match &image {
        Some(image) => Some(templates.render_task_definition(o, image, &args.env)?),
        None => None,
    };

    let (checks, group) = preflight::run(&ctx).await?;
    for c in &checks {
        eprintln!("preflight: {}", c.human());
    }
    preflight::ensure_passed(&checks)?;
    if let Some(g) = &group {
        if args.approve && !watch::waits_for_approval(g) {
            return Err(bad_input(format!(
                "--approve: deployment group `{}` switches traffic without waiting \
                 (deploymentReadyOption.actionOnTimeout is CONTINUE_DEPLOYMENT), so there \
                 is nothing to approve; set it to STOP_DEPLOYMENT with a wait time in infra/",
                o.codedeploy_group_name
            )));
        }
        watch::check_wait_until(g, args.watch.wait_until.as_deref())?;
    }
    // The image is in the stack's ECR repository (no registration before it is known).
    if let Some(image) = &image {
        let check = preflight::check_image(&ctx, image).await?;
        eprintln!("preflight: {}", check.human());
        if !check.ok {
            return Err(bad_input(format!(
                "preflight failed, nothing was changed:\n  {}: {}",
                check.name, check.detail
            )));
        }
    }

    // Register (or reuse) the revision.
    let (plan, existing) = match (&rendered, &args.task_definition) {
        (Some(td), _) => (ecs::plan_register(&ctx, td).await?, None),
        (None, Some(which)) => {
            let (arn, model) =
                ecs::resolve_task_definition(&ctx, which, "--task-definition").await?;
            let plan = Plan::Reuse {
                arn,
                reason: "given with --task-definition".into(),
            };
            (plan, Some(model))
        }
        (None, None) => unreachable!("clap requires --image or --task-definition"),
    };
    // The appspec, against the revision the plan deploys: refused here, before any write.
    let td = existing
        .as_ref()
        .or(rendered.as_ref())
        .context("a task definition to deploy")?;
    let reused = match &plan {
        Plan::Reuse { arn, .. } => Some(arn.as_str()),
        Plan::Register { .. } => None,
    };
    let appspec = preflight::appspec(o, &templates, reused, td)?;
    eprintln!(
        "preflight: {}",
        preflight::Check {
            detail: format!(
                "{} renders against {}",
                templates.appspec.path.display(),
                reused.unwrap_or("the new revision")
            ),
            ..preflight::Check::pass("appspec", "")
        }
        .human()
    );

    if args.dry_run {
        return dry_run(
            &ctx,
            &templates,
            rendered.as_ref(),
            &plan,
            &appspec,
            global.output,
        );
    }

    let arn = match plan {
        Plan::Reuse { arn, reason } => {
            eprintln!("task definition: reusing {arn} ({reason})");
            json_event(
                global,
                "task_definition",
                json!({"action": "reused", "task_definition_arn": arn, "reason": reason}),
            );
            arn
        }
        Plan::Register { previous } => {
            let td = rendered.as_ref().context("a rendered task definition")?;
            let arn = ecs::register_task_definition(&ctx, td).await?;
            match &previous {
                Some(p) => eprintln!("task definition: registered {arn} (differs from {p})"),
                None => eprintln!("task definition: registered {arn} (first revision)"),
            }
            json_event(
                global,
                "task_definition",
                json!({"action": "registered", "task_definition_arn": arn,
                       "previous": previous, "template": templates.taskdef.path}),
            );
            arn
        }
    };

    let id =
        codedeploy::create_deployment(&ctx, &templates, &arn, args.description.as_deref()).await?;
    eprintln!("deployment: created {id} ({arn})");
    json_event(
        global,
        "deployment_created",
        json!({"deployment_id": id, "task_definition_arn": arn}),
    );
    if args.no_wait {
        if global.output == OutputFormat::Human {
            println!("{id}");
        }
        return Ok(Code::Success);
    }
    let opts =
        WatchOptions::resolve(&ctx, &args.watch.settings(), args.approve, global.output).await?;
    watch::follow(&ctx, &id, &opts).await
}

/// With `--output json`, one event of the deploy stream on stdout (before the watch's).
fn json_event(global: &Global, kind: &str, event: serde_json::Value) {
    if global.output == OutputFormat::Json {
        crate::output::emit(kind, &event);
    }
}

fn dry_run(
    ctx: &Ctx,
    templates: &Templates,
    rendered: Option<&TaskDefinition>,
    plan: &Plan,
    appspec: &str,
    output: OutputFormat,
) -> anyhow::Result<Code> {
    let o = &ctx.outputs;
    let (register, note) = match plan {
        Plan::Reuse { arn, reason } => (false, format!("reuse {arn} ({reason})")),
        Plan::Register { previous } => (
            true,
            match previous {
                Some(p) => format!(
                    "register a new revision of `{}` (differs from {p})",
                    o.task_family
                ),
                None => format!("register the first revision of `{}`", o.task_family),
            },
        ),
    };
    match output {
        OutputFormat::Human => {
            eprintln!("dry run: nothing is changed");
            eprintln!("templates: {}", templates.describe());
            eprintln!("would {note}");
            eprintln!(
                "would create a deployment in group `{}` of `{}`",
                o.codedeploy_group_name, o.codedeploy_app_name
            );
            if let Some(td) = rendered {
                println!("# task definition");
                println!("{}", td.to_canonical_json());
            }
            println!("# appspec");
            print!("{appspec}");
        }
        OutputFormat::Json => {
            let td = rendered
                .map(serde_json::to_value)
                .transpose()
                .context("serializing the task definition")?;
            crate::output::emit(
                "dry_run",
                &json!({
                    "register": register,
                    "plan": note,
                    "task_definition": td,
                    "appspec": appspec,
                    "application": o.codedeploy_app_name,
                    "deployment_group": o.codedeploy_group_name,
                    "templates": {
                        "taskdef": templates.taskdef.path,
                        "appspec": templates.appspec.path,
                    },
                }),
            );
        }
    }
    Ok(Code::Success)
}
