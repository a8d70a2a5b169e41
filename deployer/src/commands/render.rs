//! `deployer render`: write the task definition and appspec rendered from the templates
//! and the stack's Terraform outputs.

use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::Args;

use crate::args::TemplateArgs;
use crate::exit::{bad_input, Code};
use crate::options::{Global, OutputFormat};
use deployer_models::image::ImageRef;
use deployer_models::outputs::Outputs;
use deployer_models::render::{APPSPEC_FILE, TASKDEF_FILE};

/// Render the task definition and appspec from the templates and Terraform outputs.
///
/// Writes DIR/taskdef.json (what CodeDeployToECS registers: the pipeline's taskdef.json
/// with `<IMAGE1_NAME>` replaced) and DIR/appspec.yaml. Nothing is written unless both
/// render and validate.
#[derive(Debug, Args)]
#[command(
    after_help = concat!("Example:\n  deployer render --outputs deployer/tests/fixtures/terraform-outputs.json \\\n    --image 123456789012.dkr.ecr.eu-west-1.amazonaws.com/demo:3f9c2ab --out-dir rendered\n\n", crate::exit_codes!(read))
)]
pub(crate) struct RenderArgs {
    /// Container image: [registry/]repository[:tag][@sha256:<64 hex>], with a tag or a
    /// digest (the `ImageURI` the pipeline writes to imageDetail.json).
    #[arg(long, value_name = "URI")]
    pub image: ImageRef,

    /// Directory for taskdef.json and appspec.yaml (created when missing).
    #[arg(long, value_name = "DIR", default_value = "rendered")]
    pub out_dir: PathBuf,

    /// Task definition ARN for appspec.yaml; default: keep `<TASK_DEFINITION>`, which
    /// CodeDeploy fills with the revision it registers.
    #[arg(long, value_name = "ARN")]
    pub task_definition_arn: Option<String>,

    #[command(flatten)]
    pub templates: TemplateArgs,
}

pub(crate) async fn run(args: RenderArgs, global: &Global) -> anyhow::Result<Code> {
    let outputs_path = global.outputs.as_deref().ok_or_else(|| {
        bad_input(
            "deployer render needs the stack's Terraform outputs: --outputs FILE \
             (or DEPLOYER_OUTPUTS=FILE; `-` reads stdin), e.g. \
             `terraform -chdir=infra output -json > outputs.json`",
        )
    })?;
    let outputs = Outputs::load(outputs_path)?;
    let templates = args.templates.load()?;
    let taskdef = templates
        .render_task_definition(&outputs, &args.image, &[])?
        .to_canonical_json();
    let appspec = templates
        .render_appspec(&outputs, args.task_definition_arn.as_deref())?
        .to_yaml();

    let dir = &args.out_dir;
    if dir.exists() && !dir.is_dir() {
        return Err(bad_input(format!(
            "--out-dir {}: exists and is not a directory",
            dir.display()
        )));
    }
    std::fs::create_dir_all(dir)
        .with_context(|| format!("cannot create --out-dir {}", dir.display()))?;
    let taskdef_path = dir.join(TASKDEF_FILE);
    let appspec_path = dir.join(APPSPEC_FILE);
    write_atomically(&taskdef_path, &taskdef)?;
    write_atomically(&appspec_path, &appspec)?;

    match global.output {
        OutputFormat::Human => {
            eprintln!("templates: {}", templates.describe());
            println!(
                "wrote {} (family {}, image {})",
                taskdef_path.display(),
                outputs.task_family,
                args.image
            );
            println!(
                "wrote {} (task definition {})",
                appspec_path.display(),
                args.task_definition_arn
                    .as_deref()
                    .unwrap_or("<TASK_DEFINITION>, filled by CodeDeploy")
            );
        }
        OutputFormat::Json => {
            let summary = serde_json::json!({
                "taskdef": taskdef_path,
                "appspec": appspec_path,
                "family": outputs.task_family,
                "image": args.image.as_str(),
                "taskDefinitionArn": args.task_definition_arn,
                "templates": {
                    "taskdef": templates.taskdef.path,
                    "appspec": templates.appspec.path,
                },
            });
            crate::output::emit("rendered", &summary);
        }
    }
    Ok(Code::Success)
}

/// Writes through a temporary file in the same directory and a rename, so a reader never
/// sees half a file and a failed run leaves the old file in place.
fn write_atomically(path: &Path, contents: &str) -> anyhow::Result<()> {
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("rendered");
    let tmp = path.with_file_name(format!(".{name}.{}.tmp", std::process::id()));
    let result = std::fs::write(&tmp, contents)
        .and_then(|()| std::fs::rename(&tmp, path))
        .with_context(|| format!("cannot write {}", path.display()));
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}
