//! ECR DescribeImages and IAM GetRole, for the deployer's preflight checks.
//!
//! Locally every image of the repository `demo` is the `demo` binary (its tag is the
//! version it reports), so any tag exists and its digest is the binary's sha256.

use std::sync::Arc;

use serde_json::{json, Value};

use super::api::{opt_str, req_str, ApiResult, Form};
use super::error::{ApiError, Common, ErrorCode};
use super::model::{ACCOUNT_ID, ECR_REPOSITORY, EXECUTION_ROLE, TASK_ROLE};
use super::stack::Stack;

/// ECR error codes this stack answers with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::IntoStaticStr)]
pub enum EcrError {
    InvalidParameterException,
    RepositoryNotFoundException,
    ImageNotFoundException,
}
impl ErrorCode for EcrError {}

/// IAM error codes this stack answers with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::IntoStaticStr)]
pub enum IamError {
    ValidationError,
    NoSuchEntity,
}
impl ErrorCode for IamError {}

pub fn ecr(stack: &Arc<Stack>, op: &str, input: &Value) -> ApiResult {
    match op {
        "DescribeImages" => {
            let repo = req_str(input, "repositoryName", EcrError::InvalidParameterException)?;
            if let Some(reg) = opt_str(input, "registryId")? {
                if reg != ACCOUNT_ID {
                    return Err(ApiError::new(
                        EcrError::RepositoryNotFoundException,
                        format!("The repository with name '{repo}' does not exist in the registry with id '{reg}'"),
                    ));
                }
            }
            if repo != ECR_REPOSITORY {
                return Err(ApiError::new(
                    EcrError::RepositoryNotFoundException,
                    format!("The repository with name '{repo}' does not exist in the registry with id '{ACCOUNT_ID}'"),
                ));
            }
            let size = std::fs::metadata(&stack.cfg.demo_bin)
                .map(|m| m.len())
                .unwrap_or(0);
            let detail = |tags: Vec<String>| {
                json!({
                    "registryId": ACCOUNT_ID,
                    "repositoryName": ECR_REPOSITORY,
                    "imageDigest": stack.demo_digest,
                    "imageTags": tags,
                    "imageSizeInBytes": size,
                    "imagePushedAt": stack.started_at,
                    "imageManifestMediaType": "application/vnd.oci.image.manifest.v1+json",
                    "artifactMediaType": "application/vnd.oci.image.config.v1+json"
                })
            };
            let ids = input["imageIds"].as_array().cloned().unwrap_or_default();
            if ids.is_empty() {
                // Every tag the stack knows of: those in registered task definitions.
                let mut tags: Vec<String> = stack
                    .world()
                    .task_defs
                    .iter()
                    .flat_map(|td| {
                        td["containerDefinitions"]
                            .as_array()
                            .cloned()
                            .unwrap_or_default()
                    })
                    .filter_map(|c| c["image"].as_str().map(super::model::version_of_image))
                    .collect();
                tags.sort();
                tags.dedup();
                return Ok(json!({"imageDetails": [detail(tags)]}));
            }
            let mut out = Vec::new();
            for id in ids {
                match (id["imageTag"].as_str(), id["imageDigest"].as_str()) {
                    // An image a local build pushed: its own digest, size and push time.
                    (Some(tag), _) => match stack.pipeline.get().and_then(|p| p.image(repo, tag)) {
                        Some(rec) => out.push(json!({
                            "registryId": ACCOUNT_ID,
                            "repositoryName": ECR_REPOSITORY,
                            "imageDigest": rec.digest,
                            "imageTags": [tag],
                            "imageSizeInBytes": rec.size_bytes,
                            "imagePushedAt": rec.pushed_at(),
                            "imageManifestMediaType": "application/vnd.oci.image.manifest.v1+json",
                            "artifactMediaType": "application/vnd.oci.image.config.v1+json"
                        })),
                        None => out.push(detail(vec![tag.to_string()])),
                    },
                    (None, Some(d)) if d == stack.demo_digest => out.push(detail(vec![])),
                    (None, Some(d)) => {
                        return Err(ApiError::new(
                            EcrError::ImageNotFoundException,
                            format!("The image with imageId {{imageDigest:'{d}'}} does not exist within the repository with name '{repo}' in the registry with id '{ACCOUNT_ID}'"),
                        ))
                    }
                    (None, None) => {
                        return Err(ApiError::new(EcrError::InvalidParameterException, "imageIds: each needs imageTag or imageDigest"))
                    }
                }
            }
            Ok(json!({"imageDetails": out}))
        }
        _ => Err(ApiError::new(
            Common::UnknownOperationException,
            format!("ECR operation {op} is not served by the local stack"),
        )),
    }
}

pub fn iam(stack: &Arc<Stack>, action: &str, form: &Form) -> ApiResult {
    match action {
        "GetRole" => {
            let name = form
                .get("RoleName")
                .ok_or_else(|| ApiError::new(IamError::ValidationError, "RoleName is required"))?;
            if name != EXECUTION_ROLE && name != TASK_ROLE {
                return Err(ApiError::not_found(
                    IamError::NoSuchEntity,
                    format!("The role with name {name} cannot be found."),
                ));
            }
            let policy = json!({"Version": "2012-10-17", "Statement": [{
                "Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole"
            }]})
            .to_string();
            let created = iso_timestamp(stack.started_at);
            Ok(json!({"Role": {
                "Path": "/",
                "RoleName": name,
                "RoleId": format!("AROA{}", name.to_uppercase().replace('-', "")),
                "Arn": stack.names().role_arn(name),
                "CreateDate": created,
                "AssumeRolePolicyDocument": form_urlencoded(&policy),
                "MaxSessionDuration": 3600
            }}))
        }
        _ => Err(ApiError::new(
            Common::InvalidAction,
            format!("IAM action {action:?} is not served by the local stack"),
        )),
    }
}

/// IAM (query protocol) returns the trust policy URL-encoded.
fn form_urlencoded(s: &str) -> String {
    serde_urlencoded::to_string([("", s)])
        .map(|e| e.trim_start_matches('=').replace('+', "%20"))
        .unwrap_or_default()
}

/// ISO 8601 (query protocols carry timestamps as text).
fn iso_timestamp(epoch: f64) -> String {
    rfc3339(epoch as u64)
}

fn rfc3339(secs: u64) -> String {
    use aws_smithy_types::date_time::{DateTime, Format};
    DateTime::from_secs(i64::try_from(secs).unwrap_or(i64::MAX))
        .fmt(Format::DateTime)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_dates() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_700_000_000), "2023-11-14T22:13:20Z");
    }

    #[test]
    fn trust_policy_is_url_encoded() {
        assert_eq!(form_urlencoded("{\"a\": 1}"), "%7B%22a%22%3A%201%7D");
    }
}
