//! The task definition and appspec rendered from the repository's templates and the
//! stack's Terraform outputs (`deployer render`, `deploy`, `diff`, and `deployer local`).
//!
//! The templates are read from the working tree ([`Templates::find`]: `--taskdef` /
//! `--appspec`, else the nearest directory from the current one upwards that holds both
//! `taskdef.json` and `appspec.yaml`, i.e. the repository root), never compiled in: a
//! manual deploy registers what the pipeline would register from the same commit, and
//! an edit to a template is deployed by the next `deployer deploy` without a rebuild.
//! The pipeline fills the same
//! templates by plain text substitution (`buildspec.yml`: `sed` for the account values,
//! then the CodeDeployToECS action for `<IMAGE1_NAME>` and CodeDeploy for
//! `<TASK_DEFINITION>`). Both templates are stored in the canonical form the typed models
//! serialize to, and every substituted value is checked to need no JSON/YAML escaping, so
//! both paths give byte-identical files (tests/render_pipeline.rs runs the buildspec).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use anyhow::Context;
use regex::Regex;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

use crate::appspec::AppSpec;
use crate::bad_input;
use crate::image::ImageRef;
use crate::outputs::Outputs;
use crate::taskdef::TaskDefinition;

/// File names of the templates (and of the rendered files).
pub const TASKDEF_FILE: &str = "taskdef.json";
pub const APPSPEC_FILE: &str = "appspec.yaml";

/// Filled by the CodeDeployToECS action from `imageDetail.json` (`ImageURI`).
pub(crate) const IMAGE_PLACEHOLDER: &str = "<IMAGE1_NAME>";
/// Filled by CodeDeploy with the task definition revision it registered.
pub(crate) const TASK_DEFINITION_PLACEHOLDER: &str = "<TASK_DEFINITION>";
/// Filled by the buildspec (CodeBuild environment) or by `deployer render` (outputs).
pub(crate) const EXECUTION_ROLE_PLACEHOLDER: &str = "<EXECUTION_ROLE_ARN>";
pub(crate) const TASK_ROLE_PLACEHOLDER: &str = "<TASK_ROLE_ARN>";
pub(crate) const LOG_GROUP_PLACEHOLDER: &str = "<LOG_GROUP>";
pub(crate) const REGION_PLACEHOLDER: &str = "<AWS_REGION>";

/// Every placeholder `taskdef.json` may contain.
pub const TASKDEF_PLACEHOLDERS: [&str; 5] = [
    IMAGE_PLACEHOLDER,
    EXECUTION_ROLE_PLACEHOLDER,
    TASK_ROLE_PLACEHOLDER,
    LOG_GROUP_PLACEHOLDER,
    REGION_PLACEHOLDER,
];
/// Every placeholder `appspec.yaml` may contain.
pub(crate) const APPSPEC_PLACEHOLDERS: [&str; 1] = [TASK_DEFINITION_PLACEHOLDER];

/// Where the templates are looked up when no flag names them: env vars of `--taskdef`
/// and `--appspec`.
pub const TASKDEF_ENV: &str = "DEPLOYER_TASKDEF";
pub const APPSPEC_ENV: &str = "DEPLOYER_APPSPEC";

/// One template file as read from the working tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    /// The file it was read from (absolute when found by the upward search).
    pub path: PathBuf,
    pub text: String,
}

/// `taskdef.json` and `appspec.yaml`, read from the working tree: what the pipeline
/// builds from, so a manual deploy registers the same thing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Templates {
    pub taskdef: Template,
    pub appspec: Template,
}

impl Templates {
    /// `taskdef` / `appspec` when given (`--taskdef`, `--appspec` or their env vars), else
    /// the files in the nearest directory from the current one upwards that holds both
    /// (the repository root). Missing or unreadable files exit 2 naming them.
    pub fn find(taskdef: Option<&Path>, appspec: Option<&Path>) -> anyhow::Result<Templates> {
        let cwd = std::env::current_dir().context("cannot read the current directory")?;
        Templates::find_from(&cwd, taskdef, appspec)
    }

    /// [`Templates::find`] with the upward search starting at `start`.
    pub fn find_from(
        start: &Path,
        taskdef: Option<&Path>,
        appspec: Option<&Path>,
    ) -> anyhow::Result<Templates> {
        let root = || {
            start
                .ancestors()
                .find(|d| d.join(TASKDEF_FILE).is_file() && d.join(APPSPEC_FILE).is_file())
                .map(Path::to_path_buf)
                .ok_or_else(|| {
                    bad_input(format!(
                        "no {TASKDEF_FILE} and {APPSPEC_FILE} in {} or any directory above it: \
                         run the deployer inside the repository (its root holds both \
                         templates), or name them with --taskdef FILE and --appspec FILE \
                         ({TASKDEF_ENV}, {APPSPEC_ENV})",
                        start.display()
                    ))
                })
        };
        let taskdef_path = match taskdef {
            Some(p) => p.to_path_buf(),
            None => root()?.join(TASKDEF_FILE),
        };
        let appspec_path = match appspec {
            Some(p) => p.to_path_buf(),
            None => root()?.join(APPSPEC_FILE),
        };
        Ok(Templates {
            taskdef: Template::read(&taskdef_path, "--taskdef")?,
            appspec: Template::read(&appspec_path, "--appspec")?,
        })
    }

    /// The task definition rendered from `taskdef.json` (see [`render_task_definition_from`]).
    pub fn render_task_definition(
        &self,
        outputs: &Outputs,
        image: &ImageRef,
        env: &[(String, String)],
    ) -> anyhow::Result<TaskDefinition> {
        render_task_definition_from(
            &self.taskdef.text,
            &self.taskdef.path.display().to_string(),
            outputs,
            image,
            env,
        )
    }

    /// The appspec rendered from `appspec.yaml` (see [`render_appspec_from`]).
    pub fn render_appspec(
        &self,
        outputs: &Outputs,
        task_definition_arn: Option<&str>,
    ) -> anyhow::Result<AppSpec> {
        render_appspec_from(
            &self.appspec.text,
            &self.appspec.path.display().to_string(),
            outputs,
            task_definition_arn,
        )
    }

    /// `taskdef.json FILE, appspec.yaml FILE`: which files were used, for messages.
    pub fn describe(&self) -> String {
        format!(
            "{}, {}",
            self.taskdef.path.display(),
            self.appspec.path.display()
        )
    }
}

impl Template {
    /// Reads a template file; `flag` names the flag that overrides it, for the message.
    pub fn read(path: &Path, flag: &str) -> anyhow::Result<Template> {
        let text = std::fs::read_to_string(path).map_err(|err| {
            bad_input(format!(
                "cannot read the template {}: {err} (give another with {flag} FILE)",
                path.display()
            ))
        })?;
        Ok(Template {
            path: path.to_path_buf(),
            text,
        })
    }
}

/// The account-specific placeholders of `taskdef.json` and their values from the
/// outputs (the buildspec takes the same values from the CodeBuild environment).
pub(crate) fn account_values(outputs: &Outputs) -> [(&'static str, &str); 4] {
    [
        (
            EXECUTION_ROLE_PLACEHOLDER,
            outputs.execution_role_arn.as_str(),
        ),
        (TASK_ROLE_PLACEHOLDER, outputs.task_role_arn.as_str()),
        (LOG_GROUP_PLACEHOLDER, outputs.log_group_name.as_str()),
        (REGION_PLACEHOLDER, outputs.region.as_str()),
    ]
}

/// `<NAME>` placeholders in `text`, with 1-based line and column.
pub fn find_placeholders(text: &str) -> Vec<(String, usize, usize)> {
    static RE: OnceLock<Regex> = OnceLock::new();
    let re = RE.get_or_init(|| Regex::new(r"<[A-Z][A-Z0-9_]*>").expect("valid regex"));
    re.find_iter(text)
        .map(|m| {
            let before = &text[..m.start()];
            let line = before.matches('\n').count() + 1;
            let column = before.rfind('\n').map_or(m.start(), |i| m.start() - i - 1) + 1;
            (m.as_str().to_owned(), line, column)
        })
        .collect()
}

/// Errors for placeholders in `text` that are not in `allowed`.
fn check_known_placeholders(text: &str, origin: &str, allowed: &[&str]) -> anyhow::Result<()> {
    let unknown: Vec<String> = find_placeholders(text)
        .into_iter()
        .filter(|(p, _, _)| !allowed.contains(&p.as_str()))
        .map(|(p, line, col)| format!("{p} at line {line}, column {col}"))
        .collect();
    if unknown.is_empty() {
        Ok(())
    } else {
        Err(bad_input(format!(
            "{origin}: unknown placeholder(s): {} (known: {})",
            unknown.join("; "),
            allowed.join(", ")
        )))
    }
}

/// Replaces placeholders in every string of the model (through its JSON form), the way a
/// text substitution of the serialized file would.
fn substitute<T: Serialize + DeserializeOwned>(
    model: &T,
    values: &[(&str, &str)],
) -> anyhow::Result<T> {
    fn walk(v: &mut Value, values: &[(&str, &str)]) {
        match v {
            Value::String(s) => {
                for (placeholder, value) in values {
                    if s.contains(placeholder) {
                        *s = s.replace(placeholder, value);
                    }
                }
            }
            Value::Array(items) => items.iter_mut().for_each(|i| walk(i, values)),
            Value::Object(map) => map.values_mut().for_each(|i| walk(i, values)),
            _ => {}
        }
    }
    let mut tree = serde_json::to_value(model).context("serializing a template model")?;
    walk(&mut tree, values);
    serde_json::from_value(tree).context("reading back a substituted template")
}

/// Fills a `taskdef.json` template (`template_name` names it in errors) for `image`, with
/// `env` replacing or adding environment variables of the service's container
/// (`deploy --env`).
pub fn render_task_definition_from(
    template: &str,
    template_name: &str,
    outputs: &Outputs,
    image: &ImageRef,
    env: &[(String, String)],
) -> anyhow::Result<TaskDefinition> {
    check_known_placeholders(template, template_name, &TASKDEF_PLACEHOLDERS)?;
    let model = TaskDefinition::from_json_str(template, template_name)?;
    if !image.is_pinned() {
        return Err(bad_input(format!(
            "--image {image}: give a tag or a digest (repository:TAG or repository@sha256:...); \
             without one ECS pulls the mutable `latest`"
        )));
    }
    let mut values: Vec<(&str, &str)> = account_values(outputs).to_vec();
    values.push((IMAGE_PLACEHOLDER, image.as_str()));
    let mut td = substitute(&model, &values)?;

    let leftover = find_placeholders(&serde_json::to_string(&td)?);
    if let Some((p, _, _)) = leftover.first() {
        return Err(bad_input(format!(
            "{template_name}: placeholder {p} is still unresolved after rendering"
        )));
    }

    let origin = &outputs.origin;
    if td.family != outputs.task_family {
        return Err(bad_input(format!(
            "{template_name}: family {:?} disagrees with output `task_family` = {:?} in {origin}",
            td.family, outputs.task_family
        )));
    }
    let names: Vec<String> = td
        .container_definitions
        .iter()
        .map(|c| c.name.clone())
        .collect();
    let Some(container) = td.container_mut(&outputs.container_name) else {
        return Err(bad_input(format!(
            "{template_name}: no container named {:?} (output `container_name` in {origin}); \
             the template's containers are {names:?}",
            outputs.container_name
        )));
    };
    if !container
        .port_mappings
        .iter()
        .any(|p| p.container_port == outputs.container_port)
    {
        let ports: Vec<u16> = container
            .port_mappings
            .iter()
            .map(|p| p.container_port)
            .collect();
        return Err(bad_input(format!(
            "{template_name}: container {:?} maps ports {ports:?}, but output `container_port` = {} in {origin}",
            container.name, outputs.container_port
        )));
    }
    for (name, value) in env {
        check_env_name(name).map_err(bad_input)?;
        match container.environment.iter_mut().find(|kv| &kv.name == name) {
            Some(kv) => kv.value.clone_from(value),
            None => container.environment.push(crate::taskdef::KeyValuePair {
                name: name.clone(),
                value: value.clone(),
            }),
        }
    }

    let problems = td.validate();
    if !problems.is_empty() {
        return Err(bad_input(format!(
            "{template_name}: the rendered task definition is not a valid RegisterTaskDefinition input:\n  - {}",
            problems.join("\n  - ")
        )));
    }
    Ok(td)
}

fn check_env_name(name: &str) -> Result<(), String> {
    let mut chars = name.chars();
    let ok = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
    if ok {
        Ok(())
    } else {
        Err(format!(
            "environment variable name {name:?}: must be letters, digits and '_', not starting with a digit"
        ))
    }
}

/// Parses `NAME=VALUE` (for `--env` flags; usable as a clap `value_parser`).
pub fn parse_env_override(text: &str) -> Result<(String, String), String> {
    let Some((name, value)) = text.split_once('=') else {
        return Err(format!("{text:?}: expected NAME=VALUE"));
    };
    check_env_name(name)?;
    Ok((name.to_owned(), value.to_owned()))
}

/// Fills an `appspec.yaml` template (`template_name` names it in errors):
/// `<TASK_DEFINITION>` becomes `task_definition_arn` when given, else stays for CodeDeploy
/// to fill.
pub fn render_appspec_from(
    template: &str,
    template_name: &str,
    outputs: &Outputs,
    task_definition_arn: Option<&str>,
) -> anyhow::Result<AppSpec> {
    check_known_placeholders(template, template_name, &APPSPEC_PLACEHOLDERS)?;
    let model = AppSpec::from_yaml_str(template, template_name)?;
    let spec = match task_definition_arn {
        Some(arn) => {
            check_task_definition_arn(arn, outputs)?;
            let spec = substitute(&model, &[(TASK_DEFINITION_PLACEHOLDER, arn)])?;
            let leftover = find_placeholders(&spec.to_yaml());
            if let Some((p, _, _)) = leftover.first() {
                return Err(bad_input(format!(
                    "{template_name}: placeholder {p} is still unresolved after rendering"
                )));
            }
            spec
        }
        None => model,
    };
    let origin = &outputs.origin;
    let Some((name, service)) = spec.service() else {
        return Err(bad_input(format!(
            "{template_name}: no target service under Resources"
        )));
    };
    let lb = &service.properties.load_balancer_info;
    let mut problems = String::new();
    if lb.container_name != outputs.container_name {
        let _ = write!(
            problems,
            "Resources.{name}.Properties.LoadBalancerInfo.ContainerName {:?} disagrees with output `container_name` = {:?} in {origin}",
            lb.container_name, outputs.container_name
        );
    }
    if lb.container_port != outputs.container_port {
        if !problems.is_empty() {
            problems.push_str("; ");
        }
        let _ = write!(
            problems,
            "Resources.{name}.Properties.LoadBalancerInfo.ContainerPort {} disagrees with output `container_port` = {} in {origin}",
            lb.container_port, outputs.container_port
        );
    }
    if !problems.is_empty() {
        return Err(bad_input(format!("{template_name}: {problems}")));
    }
    Ok(spec)
}

/// `arn:PARTITION:ecs:REGION:ACCOUNT:task-definition/FAMILY:REVISION`, of the stack's
/// family, region and account.
fn check_task_definition_arn(arn: &str, outputs: &Outputs) -> anyhow::Result<()> {
    let fail = |why: String| {
        bad_input(format!(
            "--task-definition-arn {arn:?}: {why} \
             (expected arn:aws:ecs:{}:{}:task-definition/{}:REVISION)",
            outputs.region, outputs.account_id, outputs.task_family
        ))
    };
    crate::outputs::check_arn(arn, "ecs", Some("task-definition/")).map_err(fail)?;
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let (region, account, resource) = (parts[3], parts[4], parts[5]);
    let family_rev = resource.trim_start_matches("task-definition/");
    let Some((family, revision)) = family_rev.rsplit_once(':') else {
        return Err(fail("has no :REVISION".into()));
    };
    if revision.is_empty() || !revision.bytes().all(|b| b.is_ascii_digit()) || revision == "0" {
        return Err(fail(format!(
            "revision {revision:?} is not a positive number"
        )));
    }
    if family != outputs.task_family {
        return Err(fail(format!(
            "family {family:?} is not the stack's `task_family` {:?} ({})",
            outputs.task_family, outputs.origin
        )));
    }
    if region != outputs.region {
        return Err(fail(format!(
            "region {region:?} is not the stack's `region` {:?} ({})",
            outputs.region, outputs.origin
        )));
    }
    if account != outputs.account_id {
        return Err(fail(format!(
            "account {account:?} is not the stack's `account_id` {:?} ({})",
            outputs.account_id, outputs.origin
        )));
    }
    Ok(())
}
