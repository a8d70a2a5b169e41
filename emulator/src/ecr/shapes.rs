//! ECR's answers as serde types, named after botocore's output shapes (camelCase, as the
//! ECR JSON 1.1 API writes them). [`ImageIdentifier`] is both a request member and an
//! answer's.

use serde::{Deserialize, Serialize};

use super::backend::{ImageRecord, MANIFEST_MEDIA_TYPE};

/// ImageIdentifier.
#[derive(Debug, Default, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ImageIdentifier {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) image_digest: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) image_tag: Option<String>,
}

impl ImageIdentifier {
    /// An image's digest and one of its tags.
    pub(crate) fn of(digest: &str, tag: &str) -> Self {
        ImageIdentifier {
            image_digest: Some(digest.to_string()),
            image_tag: Some(tag.to_string()),
        }
    }
}

/// DescribeImagesResponse.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct DescribeImagesResponse {
    pub(crate) image_details: Vec<ImageDetail>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) next_token: Option<String>,
}

/// ImageDetail: an image with all its tags, its size and its first push.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ImageDetail {
    pub(crate) registry_id: String,
    pub(crate) repository_name: String,
    pub(crate) image_digest: String,
    pub(crate) image_tags: Vec<String>,
    pub(crate) image_size_in_bytes: u64,
    pub(crate) image_pushed_at: f64,
    pub(crate) image_manifest_media_type: &'static str,
    pub(crate) artifact_media_type: &'static str,
}

impl ImageDetail {
    /// One image of registry `registry_id`: the records of its tags (at least one).
    pub(crate) fn of(group: &[ImageRecord], registry_id: &str) -> Self {
        let first = &group[0];
        ImageDetail {
            registry_id: registry_id.to_string(),
            repository_name: first.repository.clone(),
            image_digest: first.digest.clone(),
            image_tags: group.iter().map(|r| r.tag.clone()).collect(),
            image_size_in_bytes: first.size_bytes,
            image_pushed_at: first.pushed_at(),
            image_manifest_media_type: MANIFEST_MEDIA_TYPE,
            artifact_media_type: "application/vnd.oci.image.config.v1+json",
        }
    }
}

/// ListImagesResponse.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ListImagesResponse {
    pub(crate) image_ids: Vec<ImageIdentifier>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) next_token: Option<String>,
}

/// Image (a manifest and the identifier it was asked or pushed by).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Image {
    pub(crate) registry_id: String,
    pub(crate) repository_name: String,
    pub(crate) image_id: ImageIdentifier,
    pub(crate) image_manifest: String,
    pub(crate) image_manifest_media_type: String,
}

/// ImageFailureCode (the ones the local ECR gives).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub(crate) enum ImageFailureCode {
    ImageNotFound,
    ImageTagDoesNotMatchDigest,
    MissingDigestAndTag,
}

/// ImageFailure.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ImageFailure {
    pub(crate) image_id: ImageIdentifier,
    pub(crate) failure_code: ImageFailureCode,
    pub(crate) failure_reason: &'static str,
}

/// BatchGetImageResponse.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct BatchGetImageResponse {
    pub(crate) images: Vec<Image>,
    pub(crate) failures: Vec<ImageFailure>,
}

/// BatchDeleteImageResponse.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct BatchDeleteImageResponse {
    pub(crate) image_ids: Vec<ImageIdentifier>,
    pub(crate) failures: Vec<ImageFailure>,
}

/// PutImageResponse.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct PutImageResponse {
    pub(crate) image: Image,
}

/// DescribeRepositoriesResponse.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct DescribeRepositoriesResponse {
    pub(crate) repositories: Vec<Repository>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) next_token: Option<String>,
}

/// Repository, as infra/ecr.tf makes it: IMMUTABLE tags, scan on push, AES256.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Repository {
    pub(crate) repository_arn: String,
    pub(crate) registry_id: String,
    pub(crate) repository_name: String,
    pub(crate) repository_uri: String,
    pub(crate) created_at: f64,
    /// ImageTagMutability: `IMMUTABLE`.
    pub(crate) image_tag_mutability: &'static str,
    pub(crate) image_scanning_configuration: ImageScanningConfiguration,
    pub(crate) encryption_configuration: EncryptionConfiguration,
}

/// ImageScanningConfiguration.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ImageScanningConfiguration {
    pub(crate) scan_on_push: bool,
}

/// EncryptionConfiguration.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct EncryptionConfiguration {
    /// EncryptionType: `AES256`.
    pub(crate) encryption_type: &'static str,
}
