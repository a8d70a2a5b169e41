//! The stack's `terraform output -json` (infra/outputs.tf), read into typed fields.
//!
//! Every output named in docs/CONTRACTS.md is required; extra outputs are ignored. Each
//! problem names the file, the output and the value; all problems are reported at once.
//! Errors caused by the file's content are marked [`crate::bad_input()`] (exit 2).

use std::io::Read;
use std::path::Path;

use anyhow::Context;
use serde_json::{Map, Value};

use crate::bad_input;

/// The contract's Terraform outputs (docs/CONTRACTS.md), typed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outputs {
    /// Where these came from (a path, or `<stdin>`): error messages name it.
    pub origin: String,
    pub region: String,
    pub account_id: String,
    pub cluster_name: String,
    pub cluster_arn: String,
    pub service_name: String,
    pub task_family: String,
    pub container_name: String,
    pub container_port: u16,
    pub codedeploy_app_name: String,
    pub codedeploy_group_name: String,
    pub codedeploy_deployment_config: String,
    pub target_group_blue_name: String,
    pub target_group_blue_arn: String,
    pub target_group_green_name: String,
    pub target_group_green_arn: String,
    pub listener_arn: String,
    /// `None` when the test listener is disabled (the output is an empty string).
    pub test_listener_arn: Option<String>,
    pub nlb_dns_name: String,
    pub nlb_url: String,
    pub ecr_repository_name: String,
    pub ecr_repository_url: String,
    pub execution_role_arn: String,
    pub task_role_arn: String,
    pub log_group_name: String,
    pub pipeline_name: String,
    pub codebuild_project_name: String,
    pub artifact_bucket: String,
    pub connection_arn: String,
}

/// The outputs of the contract, in the order `terraform output -json` lists them
/// (alphabetical), with the JSON type each must have.
pub const OUTPUT_NAMES: &[&str] = &[
    "account_id",
    "artifact_bucket",
    "cluster_arn",
    "cluster_name",
    "codebuild_project_name",
    "codedeploy_app_name",
    "codedeploy_deployment_config",
    "codedeploy_group_name",
    "connection_arn",
    "container_name",
    "container_port",
    "ecr_repository_name",
    "ecr_repository_url",
    "execution_role_arn",
    "listener_arn",
    "log_group_name",
    "nlb_dns_name",
    "nlb_url",
    "pipeline_name",
    "region",
    "service_name",
    "target_group_blue_arn",
    "target_group_blue_name",
    "target_group_green_arn",
    "target_group_green_name",
    "task_family",
    "task_role_arn",
    "test_listener_arn",
];

impl Outputs {
    /// Reads `terraform output -json` from a file, or from stdin when `path` is `-`.
    pub fn load(path: &Path) -> anyhow::Result<Outputs> {
        let (text, origin) = Outputs::read(path)?;
        Outputs::from_json_str(&text, &origin)
    }

    /// Parses the text of `terraform output -json`; `origin` names it in errors.
    /// Every output of the contract is required.
    pub fn from_json_str(text: &str, origin: &str) -> anyhow::Result<Outputs> {
        Outputs::parse(text, origin, None)
    }

    /// Like [`Outputs::load`], but only the outputs in `needs` are required: `command`
    /// (e.g. `deployer status`) is named when one of them is missing. Outputs that are
    /// there are still checked; the missing ones that are not needed stay empty.
    pub fn load_for(path: &Path, command: &str, needs: &[&str]) -> anyhow::Result<Outputs> {
        let (text, origin) = Outputs::read(path)?;
        Outputs::parse(&text, &origin, Some((command, needs)))
    }

    fn read(path: &Path) -> anyhow::Result<(String, String)> {
        if path == Path::new("-") {
            let mut text = String::new();
            std::io::stdin()
                .read_to_string(&mut text)
                .context("cannot read the Terraform outputs from stdin")?;
            return Ok((text, "<stdin>".to_owned()));
        }
        let text = std::fs::read_to_string(path).map_err(|err| {
            let msg = format!(
                "cannot read the Terraform outputs file {}: {err} \
                 (write it with `terraform -chdir=infra output -json > FILE`)",
                path.display()
            );
            match err.kind() {
                std::io::ErrorKind::NotFound
                | std::io::ErrorKind::PermissionDenied
                | std::io::ErrorKind::IsADirectory
                | std::io::ErrorKind::InvalidData => bad_input(msg),
                _ => anyhow::anyhow!(msg),
            }
        })?;
        Ok((text, path.display().to_string()))
    }

    fn parse(text: &str, origin: &str, needs: Option<(&str, &[&str])>) -> anyhow::Result<Outputs> {
        let root: Value = serde_json::from_str(text).map_err(|err| {
            let full = err.to_string();
            let suffix = format!(" at line {} column {}", err.line(), err.column());
            let what = full.strip_suffix(&suffix).unwrap_or(&full);
            bad_input(format!(
                "{origin}: malformed JSON at line {}, column {}: {what} \
                 (expected the output of `terraform output -json`)",
                err.line(),
                err.column()
            ))
        })?;
        let Value::Object(map) = root else {
            return Err(bad_input(format!(
                "{origin}: expected the JSON object printed by `terraform output -json` \
                 ({{\"region\": {{\"value\": ...}}, ...}}), found {}",
                describe(&root)
            )));
        };
        if map.is_empty() {
            return Err(bad_input(format!(
                "{origin}: no Terraform outputs at all (`terraform output -json` prints {{}} \
                 before the first `terraform apply` of infra/, or in the wrong directory)"
            )));
        }
        let mut r = Reader {
            map: &map,
            problems: Vec::new(),
            missing: Vec::new(),
        };
        let outputs = Outputs {
            origin: origin.to_owned(),
            region: r.string("region", check_region),
            account_id: r.string("account_id", check_account_id),
            cluster_name: r.string("cluster_name", check_name),
            cluster_arn: r.string("cluster_arn", |v| check_arn(v, "ecs", Some("cluster/"))),
            service_name: r.string("service_name", check_name),
            task_family: r.string("task_family", check_family),
            container_name: r.string("container_name", check_family),
            container_port: r.port("container_port"),
            codedeploy_app_name: r.string("codedeploy_app_name", check_name),
            codedeploy_group_name: r.string("codedeploy_group_name", check_name),
            codedeploy_deployment_config: r.string("codedeploy_deployment_config", check_name),
            target_group_blue_name: r.string("target_group_blue_name", check_name),
            target_group_blue_arn: r.string("target_group_blue_arn", |v| {
                check_arn(v, "elasticloadbalancing", Some("targetgroup/"))
            }),
            target_group_green_name: r.string("target_group_green_name", check_name),
            target_group_green_arn: r.string("target_group_green_arn", |v| {
                check_arn(v, "elasticloadbalancing", Some("targetgroup/"))
            }),
            listener_arn: r.string("listener_arn", |v| {
                check_arn(v, "elasticloadbalancing", Some("listener/"))
            }),
            test_listener_arn: {
                let v = r.string("test_listener_arn", |v| {
                    if v.is_empty() {
                        Ok(())
                    } else {
                        check_arn(v, "elasticloadbalancing", Some("listener/"))
                    }
                });
                (!v.is_empty()).then_some(v)
            },
            nlb_dns_name: r.string("nlb_dns_name", check_name),
            nlb_url: r.string("nlb_url", check_url),
            ecr_repository_name: r.string("ecr_repository_name", check_name),
            ecr_repository_url: r.string("ecr_repository_url", check_repository_url),
            execution_role_arn: r
                .string("execution_role_arn", |v| check_arn(v, "iam", Some("role/"))),
            task_role_arn: r.string("task_role_arn", |v| check_arn(v, "iam", Some("role/"))),
            log_group_name: r.string("log_group_name", check_log_group),
            pipeline_name: r.string("pipeline_name", check_name),
            codebuild_project_name: r.string("codebuild_project_name", check_name),
            artifact_bucket: r.string("artifact_bucket", check_name),
            connection_arn: r.string("connection_arn", |v| {
                check_arn(v, "codeconnections", None)
                    .or_else(|_| check_arn(v, "codestar-connections", None))
            }),
        };
        let (missing, who): (Vec<&str>, String) = match needs {
            None => (r.missing.clone(), String::new()),
            Some((command, needs)) => {
                let missing: Vec<&str> = r
                    .missing
                    .iter()
                    .copied()
                    .filter(|m| needs.contains(m))
                    .collect();
                let it = if missing.len() == 1 { "it" } else { "them" };
                (missing, format!("; `{command}` needs {it}"))
            }
        };
        if !missing.is_empty() {
            let n = missing.len();
            let list = missing.join("`, `");
            r.problems.insert(
                0,
                format!(
                    "{n} output{} missing: `{list}`{who} (is infra/ applied and up to date? \
                     `terraform -chdir=infra output -json` lists every output of infra/outputs.tf)",
                    if n == 1 { " is" } else { "s are" }
                ),
            );
        }
        if r.problems.is_empty() {
            Ok(outputs)
        } else {
            let n = r.problems.len();
            Err(bad_input(format!(
                "{origin}: {} in the Terraform outputs:\n  - {}",
                if n == 1 {
                    "1 problem".to_owned()
                } else {
                    format!("{n} problems")
                },
                r.problems.join("\n  - ")
            )))
        }
    }

    /// The same outputs in `terraform output -json` form (what `deployer local env`
    /// writes, and what [`Outputs::from_json_str`] reads back).
    pub fn to_terraform_json(&self) -> Value {
        let s = |v: &str| serde_json::json!({"sensitive": false, "type": "string", "value": v});
        let mut m = Map::new();
        m.insert("account_id".into(), s(&self.account_id));
        m.insert("artifact_bucket".into(), s(&self.artifact_bucket));
        m.insert("cluster_arn".into(), s(&self.cluster_arn));
        m.insert("cluster_name".into(), s(&self.cluster_name));
        m.insert(
            "codebuild_project_name".into(),
            s(&self.codebuild_project_name),
        );
        m.insert("codedeploy_app_name".into(), s(&self.codedeploy_app_name));
        m.insert(
            "codedeploy_deployment_config".into(),
            s(&self.codedeploy_deployment_config),
        );
        m.insert(
            "codedeploy_group_name".into(),
            s(&self.codedeploy_group_name),
        );
        m.insert("connection_arn".into(), s(&self.connection_arn));
        m.insert("container_name".into(), s(&self.container_name));
        m.insert(
            "container_port".into(),
            serde_json::json!({"sensitive": false, "type": "number", "value": self.container_port}),
        );
        m.insert("ecr_repository_name".into(), s(&self.ecr_repository_name));
        m.insert("ecr_repository_url".into(), s(&self.ecr_repository_url));
        m.insert("execution_role_arn".into(), s(&self.execution_role_arn));
        m.insert("listener_arn".into(), s(&self.listener_arn));
        m.insert("log_group_name".into(), s(&self.log_group_name));
        m.insert("nlb_dns_name".into(), s(&self.nlb_dns_name));
        m.insert("nlb_url".into(), s(&self.nlb_url));
        m.insert("pipeline_name".into(), s(&self.pipeline_name));
        m.insert("region".into(), s(&self.region));
        m.insert("service_name".into(), s(&self.service_name));
        m.insert(
            "target_group_blue_arn".into(),
            s(&self.target_group_blue_arn),
        );
        m.insert(
            "target_group_blue_name".into(),
            s(&self.target_group_blue_name),
        );
        m.insert(
            "target_group_green_arn".into(),
            s(&self.target_group_green_arn),
        );
        m.insert(
            "target_group_green_name".into(),
            s(&self.target_group_green_name),
        );
        m.insert("task_family".into(), s(&self.task_family));
        m.insert("task_role_arn".into(), s(&self.task_role_arn));
        m.insert(
            "test_listener_arn".into(),
            s(self.test_listener_arn.as_deref().unwrap_or("")),
        );
        Value::Object(m)
    }
}

struct Reader<'a> {
    map: &'a Map<String, Value>,
    problems: Vec<String>,
    missing: Vec<&'static str>,
}

impl Reader<'_> {
    /// The `value` of output `name`, or a recorded problem.
    fn value(&mut self, name: &'static str) -> Option<&Value> {
        let Some(entry) = self.map.get(name) else {
            self.missing.push(name);
            return None;
        };
        match entry.as_object().and_then(|o| o.get("value")) {
            Some(v) => Some(v),
            None => {
                self.problems.push(format!(
                    "output `{name}`: expected an object with a \"value\" field \
                     (as `terraform output -json` prints), found {}",
                    describe(entry)
                ));
                None
            }
        }
    }

    fn string(&mut self, name: &'static str, check: impl Fn(&str) -> Result<(), String>) -> String {
        let Some(value) = self.value(name) else {
            return String::new();
        };
        let Some(text) = value.as_str() else {
            let found = describe(value);
            self.problems
                .push(format!("output `{name}`: expected a string, found {found}"));
            return String::new();
        };
        let text = text.to_owned();
        if let Err(why) = check_plain(&text).and_then(|()| check(&text)) {
            self.problems
                .push(format!("output `{name}` = {text:?}: {why}"));
        }
        text
    }

    fn port(&mut self, name: &'static str) -> u16 {
        let Some(value) = self.value(name) else {
            return 0;
        };
        match value.as_u64().map(u16::try_from) {
            Some(Ok(port)) if port > 0 => port,
            _ => {
                let found = describe(value);
                self.problems.push(format!(
                    "output `{name}`: expected a port number (1-65535), found {found}"
                ));
                0
            }
        }
    }
}

/// A short description of a JSON value for messages: its type and (shortened) text.
fn describe(v: &Value) -> String {
    let kind = match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    };
    let mut text = v.to_string();
    if text.len() > 80 {
        let mut cut = 77;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        text.truncate(cut);
        text.push_str("...");
    }
    format!("{kind} {text}")
}

/// Values end up in JSON and YAML files and in `sed` substitutions: no quotes,
/// backslashes, control characters or surrounding whitespace.
fn check_plain(v: &str) -> Result<(), String> {
    if let Some(c) = v
        .chars()
        .find(|c| matches!(c, '"' | '\\' | '\'' | '`' | '|' | '&') || c.is_control())
    {
        return Err(format!(
            "contains the character {c:?}, which no AWS name uses"
        ));
    }
    if v.trim() != v {
        return Err("has leading or trailing whitespace".into());
    }
    Ok(())
}

fn check_name(v: &str) -> Result<(), String> {
    if v.is_empty() {
        Err("must not be empty".into())
    } else if v.contains(char::is_whitespace) {
        Err("must not contain whitespace".into())
    } else {
        Ok(())
    }
}

/// ECS family and container names: up to 255 letters, digits, `-` and `_`.
fn check_family(v: &str) -> Result<(), String> {
    if v.is_empty()
        || v.len() > 255
        || !v
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        Err("must be 1-255 letters, digits, '-' or '_'".into())
    } else {
        Ok(())
    }
}

fn check_region(v: &str) -> Result<(), String> {
    let re = regex::Regex::new(r"^[a-z]{2}(-[a-z]+)+-[0-9]{1,2}$").expect("valid regex");
    if re.is_match(v) {
        Ok(())
    } else {
        Err("is not an AWS region name (like eu-west-1)".into())
    }
}

fn check_account_id(v: &str) -> Result<(), String> {
    if v.len() == 12 && v.bytes().all(|b| b.is_ascii_digit()) {
        Ok(())
    } else {
        Err("is not a 12-digit AWS account id".into())
    }
}

/// `arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE`, with the expected service and
/// resource prefix.
pub(crate) fn check_arn(
    v: &str,
    service: &str,
    resource_prefix: Option<&str>,
) -> Result<(), String> {
    let parts: Vec<&str> = v.splitn(6, ':').collect();
    if parts.len() != 6 || parts[0] != "arn" || !parts[1].starts_with("aws") {
        return Err(format!(
            "is not an ARN (arn:aws:{service}:REGION:ACCOUNT:{})",
            resource_prefix.unwrap_or("...")
        ));
    }
    if parts[2] != service {
        return Err(format!(
            "is an ARN of service `{}`, expected `{service}`",
            parts[2]
        ));
    }
    if let Some(prefix) = resource_prefix {
        if !parts[5].starts_with(prefix) || parts[5].len() == prefix.len() {
            return Err(format!(
                "is not an ARN of a `{}` resource (arn:aws:{service}:...:{prefix}NAME)",
                prefix.trim_end_matches('/')
            ));
        }
    }
    if v.contains(char::is_whitespace) {
        return Err("must not contain whitespace".into());
    }
    Ok(())
}

/// CloudWatch Logs group names: 1-512 of `[.-_/#A-Za-z0-9]`.
fn check_log_group(v: &str) -> Result<(), String> {
    if !v.is_empty()
        && v.len() <= 512
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._-/#".contains(&b))
    {
        Ok(())
    } else {
        Err("is not a CloudWatch Logs group name (1-512 of A-Z a-z 0-9 . _ - / #)".into())
    }
}

fn check_url(v: &str) -> Result<(), String> {
    if (v.starts_with("http://") || v.starts_with("https://")) && !v.contains(char::is_whitespace) {
        Ok(())
    } else {
        Err("is not an http:// or https:// URL".into())
    }
}

/// `REGISTRY/REPOSITORY` without tag or digest (what `docker push REPO:TAG` extends).
fn check_repository_url(v: &str) -> Result<(), String> {
    match crate::image::ImageRef::parse(v) {
        Ok(r) if r.registry().is_some() && !r.is_pinned() => Ok(()),
        Ok(_) => Err("must be REGISTRY/REPOSITORY, without tag or digest".into()),
        Err(err) => Err(err.reason),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arn_checks() {
        assert!(check_arn(
            "arn:aws:iam::123456789012:role/demo-exec",
            "iam",
            Some("role/")
        )
        .is_ok());
        assert!(check_arn("arn:aws:iam::123456789012:role/", "iam", Some("role/")).is_err());
        assert!(check_arn("arn:aws:iam::123456789012:user/x", "iam", Some("role/")).is_err());
        assert!(check_arn("arn:aws:s3:::b", "iam", None).is_err());
        assert!(check_arn("role/demo", "iam", None).is_err());
    }

    #[test]
    fn region_and_account() {
        assert!(check_region("eu-west-1").is_ok());
        assert!(check_region("us-gov-west-1").is_ok());
        assert!(check_region("EU-west-1").is_err());
        assert!(check_region("eu-west").is_err());
        assert!(check_account_id("123456789012").is_ok());
        assert!(check_account_id("12345678901").is_err());
    }
}
