//! ECR's JSON 1.1 API: DescribeImages, for the deployer's preflight checks.
//!
//! Locally every image of the repository `demo` is the `demo` binary (its tag is the
//! version it reports), so any tag exists and its digest is the binary's sha256.

use std::sync::Arc;

use serde::Deserialize;
use serde_json::{json, Value};

use crate::names::{ACCOUNT_ID, ECR_REPOSITORY};
use crate::runtime::stack::Stack;
use crate::wire::error::{required, ApiError, Common, ErrorCode};
use crate::wire::json::{request, ApiResult};

/// ECR error codes this stack answers with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::IntoStaticStr)]
pub(crate) enum EcrError {
    InvalidParameterException,
    RepositoryNotFoundException,
    ImageNotFoundException,
}
impl ErrorCode for EcrError {}

/// DescribeImagesRequest.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct DescribeImagesRequest {
    registry_id: Option<String>,
    repository_name: Option<String>,
    #[serde(default)]
    image_ids: Vec<ImageIdentifier>,
}

/// ImageIdentifier.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ImageIdentifier {
    image_digest: Option<String>,
    image_tag: Option<String>,
}

pub(crate) fn handle(stack: &Arc<Stack>, op: &str, input: &Value) -> ApiResult {
    match op {
        "DescribeImages" => {
            let r: DescribeImagesRequest = request(input)?;
            let repo = required(
                r.repository_name.as_deref(),
                "repositoryName",
                EcrError::InvalidParameterException,
            )?;
            if let Some(reg) = r.registry_id.as_deref() {
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
            let ids = r.image_ids;
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
                    .filter_map(|c| c["image"].as_str().map(crate::names::version_of_image))
                    .collect();
                tags.sort();
                tags.dedup();
                return Ok(json!({"imageDetails": [detail(tags)]}));
            }
            let mut out = Vec::new();
            for id in ids {
                match (id.image_tag.as_deref(), id.image_digest.as_deref()) {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_fit_botocore() {
        crate::botocore_check::request_fits_botocore::<DescribeImagesRequest>(
            "ecr",
            "DescribeImages",
        );
    }
}
