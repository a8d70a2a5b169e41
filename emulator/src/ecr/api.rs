//! ECR's JSON 1.1 API over the local ECR ([`super::backend::ImageStore`]): DescribeImages
//! (the deployer's preflight), ListImages, BatchGetImage, PutImage, BatchDeleteImage and
//! DescribeRepositories, with ECR's shapes, codes and messages.
//!
//! Only pushed images exist: a tag never pushed answers ImageNotFoundException (or an
//! `ImageNotFound` failure in the batch calls), as ECR does. PutImage takes the manifest
//! BatchGetImage hands out (ECR's documented way to retag an image); layers cannot be
//! uploaded here (no docker engine talks to this endpoint), so a manifest whose layer is
//! not already in the registry answers LayersNotFoundException.
//!
//! Where it falls short: one repository (`demo`, as Terraform makes it), no lifecycle
//! policies, scans or replication; `imageScanStatus` is not reported.

use std::sync::Arc;

use serde::Deserialize;
use serde_json::Value;

use super::backend::{ImageError, ImageRecord, ImageStore, MANIFEST_MEDIA_TYPE};
use super::shapes::*;
use crate::names::Names;
use crate::runtime::stack::Stack;
use crate::wire::error::{required, ApiError, Common, ErrorCode};
use crate::wire::json::{answer, request, ApiResult};

/// ECR error codes this stack answers with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::IntoStaticStr)]
pub(crate) enum EcrError {
    InvalidParameterException,
    RepositoryNotFoundException,
    ImageNotFoundException,
    ImageAlreadyExistsException,
    ImageTagAlreadyExistsException,
    ImageDigestDoesNotMatchException,
    LayersNotFoundException,
}
impl ErrorCode for EcrError {}

/// The input members the calls share (botocore: each operation's `registryId`,
/// `repositoryName`, `imageIds`, paging); every request type reads only its own.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct DescribeImagesRequest {
    registry_id: Option<String>,
    repository_name: Option<String>,
    #[serde(default)]
    image_ids: Vec<ImageIdentifier>,
    next_token: Option<String>,
    max_results: Option<usize>,
    filter: Option<TagStatusFilter>,
}

/// ListImagesRequest.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ListImagesRequest {
    registry_id: Option<String>,
    repository_name: Option<String>,
    next_token: Option<String>,
    max_results: Option<usize>,
    filter: Option<TagStatusFilter>,
}

/// BatchGetImageRequest and BatchDeleteImageRequest (the same members but one).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct BatchImagesRequest {
    registry_id: Option<String>,
    repository_name: Option<String>,
    image_ids: Option<Vec<ImageIdentifier>>,
    /// BatchGetImage only.
    #[serde(default)]
    accepted_media_types: Vec<String>,
}

/// PutImageRequest.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct PutImageRequest {
    registry_id: Option<String>,
    repository_name: Option<String>,
    image_manifest: Option<String>,
    image_manifest_media_type: Option<String>,
    image_tag: Option<String>,
    image_digest: Option<String>,
}

/// DescribeRepositoriesRequest.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct DescribeRepositoriesRequest {
    registry_id: Option<String>,
    #[serde(default)]
    repository_names: Vec<String>,
    next_token: Option<String>,
    max_results: Option<usize>,
}

/// DescribeImagesFilter / ListImagesFilter.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct TagStatusFilter {
    tag_status: Option<String>,
}

pub(crate) fn handle(stack: &Arc<Stack>, op: &str, input: &Value) -> ApiResult {
    handle_store(&stack.images, &stack.names(), op, input)
}

/// The operations on a bare store (what the unit tests call).
fn handle_store(store: &ImageStore, names: &Names, op: &str, input: &Value) -> ApiResult {
    match op {
        "DescribeImages" => {
            let r: DescribeImagesRequest = request(input)?;
            let repo = repository(
                store,
                r.registry_id.as_deref(),
                r.repository_name.as_deref(),
            )?;
            let details: Vec<ImageDetail> = if r.image_ids.is_empty() {
                if tag_status(r.filter.as_ref())? == "UNTAGGED" {
                    Vec::new() // a tag's removal drops the image here (no untagged images)
                } else {
                    by_digest(store.list(repo))
                        .iter()
                        .map(|g| ImageDetail::of(g, store.registry_id()))
                        .collect()
                }
            } else {
                let mut out = Vec::new();
                for id in &r.image_ids {
                    let found = find(store, repo, id)?.ok_or_else(|| not_found(store, repo, id))?;
                    let group = store.by_digest(repo, &found.digest);
                    out.push(ImageDetail::of(&group, store.registry_id()));
                }
                out
            };
            let (image_details, next_token) =
                paginate(details, r.next_token.as_deref(), r.max_results)?;
            answer(DescribeImagesResponse {
                image_details,
                next_token,
            })
        }
        "ListImages" => {
            let r: ListImagesRequest = request(input)?;
            let repo = repository(
                store,
                r.registry_id.as_deref(),
                r.repository_name.as_deref(),
            )?;
            let ids: Vec<ImageIdentifier> = if tag_status(r.filter.as_ref())? == "UNTAGGED" {
                Vec::new()
            } else {
                store
                    .list(repo)
                    .iter()
                    .map(|rec| ImageIdentifier::of(&rec.digest, &rec.tag))
                    .collect()
            };
            let (image_ids, next_token) = paginate(ids, r.next_token.as_deref(), r.max_results)?;
            answer(ListImagesResponse {
                image_ids,
                next_token,
            })
        }
        "BatchGetImage" => {
            let r: BatchImagesRequest = request(input)?;
            let repo = repository(
                store,
                r.registry_id.as_deref(),
                r.repository_name.as_deref(),
            )?;
            let ids = image_ids(r.image_ids)?;
            // acceptedMediaTypes is read and not applied: the one manifest type here (OCI)
            // is what every current client accepts.
            let _ = &r.accepted_media_types;
            let (mut images, mut failures) = (Vec::new(), Vec::new());
            for id in ids {
                match lookup(store, repo, &id) {
                    Ok(rec) => images.push(Image {
                        registry_id: store.registry_id().to_string(),
                        repository_name: repo.to_string(),
                        image_id: ImageIdentifier::of(
                            &rec.digest,
                            id.image_tag.as_deref().unwrap_or(&rec.tag),
                        ),
                        image_manifest: rec.manifest(),
                        image_manifest_media_type: MANIFEST_MEDIA_TYPE.to_string(),
                    }),
                    Err((code, reason)) => failures.push(failure(&id, code, reason)),
                }
            }
            answer(BatchGetImageResponse { images, failures })
        }
        "BatchDeleteImage" => {
            let r: BatchImagesRequest = request(input)?;
            let repo = repository(
                store,
                r.registry_id.as_deref(),
                r.repository_name.as_deref(),
            )?;
            let ids = image_ids(r.image_ids)?;
            let (mut deleted, mut failures) = (Vec::new(), Vec::new());
            for id in ids {
                match lookup(store, repo, &id) {
                    // By tag: that tag goes. By digest alone: the image goes, every tag of it.
                    Ok(rec) => {
                        let tags: Vec<String> = match &id.image_tag {
                            Some(t) => vec![t.clone()],
                            None => store
                                .by_digest(repo, &rec.digest)
                                .into_iter()
                                .map(|r| r.tag)
                                .collect(),
                        };
                        for tag in tags {
                            if let Some(gone) = store.delete(repo, &tag) {
                                deleted.push(ImageIdentifier::of(&gone.digest, &gone.tag));
                            }
                        }
                    }
                    Err((code, reason)) => failures.push(failure(&id, code, reason)),
                }
            }
            answer(BatchDeleteImageResponse {
                image_ids: deleted,
                failures,
            })
        }
        "PutImage" => {
            let r: PutImageRequest = request(input)?;
            let repo = repository(
                store,
                r.registry_id.as_deref(),
                r.repository_name.as_deref(),
            )?;
            let manifest = required(
                r.image_manifest.as_deref(),
                "imageManifest",
                EcrError::InvalidParameterException,
            )?;
            let rec = put_image(store, repo, manifest, &r)?;
            answer(PutImageResponse {
                image: Image {
                    registry_id: store.registry_id().to_string(),
                    repository_name: repo.to_string(),
                    image_id: ImageIdentifier::of(&rec.digest, &rec.tag),
                    image_manifest: manifest.to_string(),
                    image_manifest_media_type: r
                        .image_manifest_media_type
                        .clone()
                        .unwrap_or_else(|| MANIFEST_MEDIA_TYPE.to_string()),
                },
            })
        }
        "DescribeRepositories" => {
            let r: DescribeRepositoriesRequest = request(input)?;
            registry(
                store,
                r.registry_id.as_deref(),
                r.repository_names.first().map_or("", String::as_str),
            )?;
            let all = store.repositories();
            for name in &r.repository_names {
                if !all.contains(name) {
                    return Err(repo_not_found(store, name));
                }
            }
            let repos: Vec<Repository> = all
                .iter()
                .filter(|n| r.repository_names.is_empty() || r.repository_names.contains(n))
                .map(|n| Repository {
                    repository_arn: names.arn("ecr", &format!("repository/{n}")),
                    registry_id: store.registry_id().to_string(),
                    repository_name: n.clone(),
                    repository_uri: format!(
                        "{}.dkr.ecr.{}.amazonaws.com/{n}",
                        store.registry_id(),
                        names.region
                    ),
                    created_at: store.list(n).first().map_or(0.0, ImageRecord::pushed_at),
                    image_tag_mutability: "IMMUTABLE",
                    image_scanning_configuration: ImageScanningConfiguration { scan_on_push: true },
                    encryption_configuration: EncryptionConfiguration {
                        encryption_type: "AES256",
                    },
                })
                .collect();
            let (repositories, next_token) =
                paginate(repos, r.next_token.as_deref(), r.max_results)?;
            answer(DescribeRepositoriesResponse {
                repositories,
                next_token,
            })
        }
        _ => Err(ApiError::new(
            Common::UnknownOperationException,
            format!("ECR operation {op} is not served by the local stack"),
        )),
    }
}

/// PutImage: the manifest must be one this registry handed out (its layer is the binary
/// of an image of the repository); `imageDigest`, when given, must be that image's.
fn put_image(
    store: &ImageStore,
    repo: &str,
    manifest: &str,
    r: &PutImageRequest,
) -> Result<ImageRecord, ApiError> {
    let invalid = |m: String| ApiError::new(EcrError::InvalidParameterException, m);
    let parsed: Value = serde_json::from_str(manifest).map_err(|e| {
        invalid(format!(
            "Invalid parameter at 'imageManifest': not a JSON manifest ({e})"
        ))
    })?;
    let layer = parsed["layers"][0]["digest"].as_str().ok_or_else(|| {
        invalid("Invalid parameter at 'imageManifest': the manifest has no layers".into())
    })?;
    let Some(source) = store.by_digest(repo, layer).into_iter().next() else {
        return Err(ApiError::new(
            EcrError::LayersNotFoundException,
            format!("The following layers are not found in the repository with name '{repo}' in the registry with id '{}': [{layer}]. (The local ECR takes manifests of images it holds: layers cannot be uploaded to it; `deployer local push TAG` pushes a build.)", store.registry_id()),
        ));
    };
    if let Some(d) = r.image_digest.as_deref() {
        if d != source.digest {
            return Err(ApiError::new(
                EcrError::ImageDigestDoesNotMatchException,
                format!("Invalid parameter at 'imageDigest': the digest '{d}' does not match the digest of the manifest '{}'", source.digest),
            ));
        }
    }
    let Some(tag) = r.image_tag.as_deref() else {
        // An untagged push of an image that exists changes nothing; ECR says so.
        return Err(ApiError::new(
            EcrError::ImageAlreadyExistsException,
            format!("Image with digest '{}' already exists in the repository with name '{repo}' in registry with id '{}'", source.digest, store.registry_id()),
        ));
    };
    if store
        .get(repo, tag)
        .is_some_and(|old| old.digest == source.digest)
    {
        return Err(ApiError::new(
            EcrError::ImageAlreadyExistsException,
            format!("Image with digest '{}' and tag '{tag}' already exists in the repository with name '{repo}' in registry with id '{}'", source.digest, store.registry_id()),
        ));
    }
    store.tag(repo, tag, &source.digest).map_err(image_error)
}

fn image_error(e: ImageError) -> ApiError {
    let code = match e {
        ImageError::RepositoryNotFound(..) => EcrError::RepositoryNotFoundException,
        ImageError::TagAlreadyExists { .. } => EcrError::ImageTagAlreadyExistsException,
        ImageError::DigestNotFound { .. } => EcrError::ImageNotFoundException,
        ImageError::InvalidTag(_) | ImageError::Io(_) => EcrError::InvalidParameterException,
    };
    ApiError::new(code, e.to_string())
}

/// The request's repository, when it is in this registry.
fn repository<'a>(
    store: &ImageStore,
    registry_id: Option<&str>,
    name: Option<&'a str>,
) -> Result<&'a str, ApiError> {
    let repo = required(name, "repositoryName", EcrError::InvalidParameterException)?;
    registry(store, registry_id, repo)?;
    if !store.repository_exists(repo) {
        return Err(repo_not_found(store, repo));
    }
    Ok(repo)
}

fn registry(store: &ImageStore, registry_id: Option<&str>, repo: &str) -> Result<(), ApiError> {
    match registry_id {
        Some(reg) if reg != store.registry_id() => Err(ApiError::new(
            EcrError::RepositoryNotFoundException,
            format!(
                "The repository with name '{repo}' does not exist in the registry with id '{reg}'"
            ),
        )),
        _ => Ok(()),
    }
}

fn repo_not_found(store: &ImageStore, repo: &str) -> ApiError {
    image_error(ImageError::RepositoryNotFound(
        repo.to_string(),
        store.registry_id().to_string(),
    ))
}

fn tag_status(filter: Option<&TagStatusFilter>) -> Result<&str, ApiError> {
    match filter.and_then(|f| f.tag_status.as_deref()).unwrap_or("ANY") {
        s @ ("ANY" | "TAGGED" | "UNTAGGED") => Ok(s),
        other => Err(ApiError::new(
            EcrError::InvalidParameterException,
            format!("Invalid parameter at 'filter.tagStatus' failed to satisfy constraint: 'Member must satisfy enum value set: [TAGGED, UNTAGGED, ANY]': {other}"),
        )),
    }
}

fn image_ids(ids: Option<Vec<ImageIdentifier>>) -> Result<Vec<ImageIdentifier>, ApiError> {
    match ids {
        // botocore's ImageIdentifierList: 1 to 100 members.
        Some(ids) if (1..=100).contains(&ids.len()) => Ok(ids),
        Some(ids) => Err(ApiError::new(
            EcrError::InvalidParameterException,
            format!("Invalid parameter at 'imageIds' failed to satisfy constraint: 'Member must have length between 1 and 100' (got {})", ids.len()),
        )),
        None => Err(ApiError::new(EcrError::InvalidParameterException, "imageIds is required")),
    }
}

/// The image an identifier names: by tag (and, when both are given, the tag must point at
/// the digest), else by digest. Invalid identifiers are an error of the whole call.
fn find(
    store: &ImageStore,
    repo: &str,
    id: &ImageIdentifier,
) -> Result<Option<ImageRecord>, ApiError> {
    match lookup(store, repo, id) {
        Ok(rec) => Ok(Some(rec)),
        Err((ImageFailureCode::MissingDigestAndTag, reason)) => {
            Err(ApiError::new(EcrError::InvalidParameterException, reason))
        }
        Err(_) => Ok(None),
    }
}

/// An identifier's image, or the batch calls' failure code and reason.
fn lookup(
    store: &ImageStore,
    repo: &str,
    id: &ImageIdentifier,
) -> Result<ImageRecord, (ImageFailureCode, &'static str)> {
    const NOT_FOUND: (ImageFailureCode, &str) =
        (ImageFailureCode::ImageNotFound, "Requested image not found");
    match (id.image_tag.as_deref(), id.image_digest.as_deref()) {
        (Some(tag), digest) => {
            let rec = store.get(repo, tag).ok_or(NOT_FOUND)?;
            match digest {
                Some(d) if d != rec.digest => Err((
                    ImageFailureCode::ImageTagDoesNotMatchDigest,
                    "Invalid image digest for the given tag",
                )),
                _ => Ok(rec),
            }
        }
        (None, Some(d)) => store.by_digest(repo, d).into_iter().next().ok_or(NOT_FOUND),
        (None, None) => Err((
            ImageFailureCode::MissingDigestAndTag,
            "Invalid request: imageIds must have either an imageTag or an imageDigest",
        )),
    }
}

fn failure(id: &ImageIdentifier, code: ImageFailureCode, reason: &'static str) -> ImageFailure {
    ImageFailure {
        image_id: id.clone(),
        failure_code: code,
        failure_reason: reason,
    }
}

/// ECR's message for an image that is not there (the `null` is ECR's own spelling of a
/// member the request left out).
fn not_found(store: &ImageStore, repo: &str, id: &ImageIdentifier) -> ApiError {
    let show = |v: &Option<String>| {
        v.as_deref()
            .map_or("null".to_string(), |s| format!("'{s}'"))
    };
    let d = show(&id.image_digest);
    let what = match &id.image_tag {
        Some(_) => format!("{{imageDigest:{d}, imageTag:{}}}", show(&id.image_tag)),
        None => format!("{{imageDigest:{d}}}"),
    };
    ApiError::new(
        EcrError::ImageNotFoundException,
        format!(
            "The image with imageId {what} does not exist within the repository with name '{repo}' in the registry with id '{}'",
            store.registry_id()
        ),
    )
}

/// Records of one repository grouped by digest (an ImageDetail is an image with all its tags).
fn by_digest(records: Vec<ImageRecord>) -> Vec<Vec<ImageRecord>> {
    let mut groups: Vec<Vec<ImageRecord>> = Vec::new();
    for rec in records {
        match groups.iter_mut().find(|g| g[0].digest == rec.digest) {
            Some(g) => g.push(rec),
            None => groups.push(vec![rec]),
        }
    }
    groups
}

/// A page of `items` from `token` (an offset, as the local stack hands them out), at most
/// `max` (botocore's MaxResults: 1 to 1000; ECR's default page is 100).
fn paginate<T>(
    items: Vec<T>,
    token: Option<&str>,
    max: Option<usize>,
) -> Result<(Vec<T>, Option<String>), ApiError> {
    let max = max.unwrap_or(100);
    if !(1..=1000).contains(&max) {
        return Err(ApiError::new(
            EcrError::InvalidParameterException,
            format!("Invalid parameter at 'maxResults' failed to satisfy constraint: 'Member must have value between 1 and 1000': {max}"),
        ));
    }
    let start = match token {
        None => 0,
        Some(t) => t.parse::<usize>().map_err(|_| {
            ApiError::new(
                EcrError::InvalidParameterException,
                format!(
                    "Invalid parameter at 'nextToken': {t:?} is not a token this endpoint gave"
                ),
            )
        })?,
    };
    let end = (start + max).min(items.len());
    let next = (end < items.len()).then(|| end.to_string());
    Ok((items.into_iter().skip(start).take(max).collect(), next))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::botocore_check::{fits_botocore, request_fits_botocore};
    use crate::names::ACCOUNT_ID;
    use serde_json::json;

    fn store() -> (tempfile::TempDir, ImageStore, ImageRecord, ImageRecord) {
        let dir = tempfile::tempdir().unwrap();
        let store = ImageStore::new(dir.path().join("ecr"), ACCOUNT_ID);
        store.create_repository("demo").unwrap();
        let bin = dir.path().join("bin");
        std::fs::write(&bin, b"one").unwrap();
        let one = store.put("demo", "v1", &bin, "c1", "v1").unwrap();
        std::fs::write(&bin, b"two").unwrap();
        let two = store.put("demo", "v2", &bin, "c2", "v2").unwrap();
        (dir, store, one, two)
    }

    fn call(store: &ImageStore, op: &str, input: Value) -> Result<Value, (&'static str, String)> {
        let names = Names {
            region: "us-east-1".into(),
        };
        match handle_store(store, &names, op, &input) {
            Ok(v) => {
                fits_botocore("ecr", op, &v);
                Ok(v)
            }
            Err(e) => Err((e.code, e.message)),
        }
    }

    /// The check `call` makes can fail: a failure code outside ImageFailureCode's enum.
    #[test]
    #[should_panic(expected = "not in enum")]
    fn a_failure_code_outside_the_enum_does_not_fit() {
        let mut v = serde_json::to_value(BatchGetImageResponse {
            images: Vec::new(),
            failures: vec![failure(
                &ImageIdentifier::default(),
                ImageFailureCode::ImageNotFound,
                "gone",
            )],
        })
        .unwrap();
        assert_eq!(v["failures"][0]["imageId"], json!({}));
        v["failures"][0]["failureCode"] = json!("NotFound");
        fits_botocore("ecr", "BatchGetImage", &v);
    }

    #[test]
    fn requests_fit_botocore() {
        request_fits_botocore::<DescribeImagesRequest>("ecr", "DescribeImages");
        request_fits_botocore::<ListImagesRequest>("ecr", "ListImages");
        request_fits_botocore::<BatchImagesRequest>("ecr", "BatchGetImage");
        request_fits_botocore::<PutImageRequest>("ecr", "PutImage");
        request_fits_botocore::<DescribeRepositoriesRequest>("ecr", "DescribeRepositories");
    }

    #[test]
    fn describe_images_knows_pushed_tags_only() {
        let (_d, s, one, two) = store();
        let v = call(
            &s,
            "DescribeImages",
            json!({"repositoryName": "demo", "imageIds": [{"imageTag": "v2"}]}),
        )
        .unwrap();
        assert_eq!(v["imageDetails"][0]["imageDigest"], two.digest.as_str());
        assert_ne!(one.digest, two.digest);
        let (code, msg) = call(
            &s,
            "DescribeImages",
            json!({"repositoryName": "demo", "imageIds": [{"imageTag": "3e6c8b2"}]}),
        )
        .unwrap_err();
        assert_eq!(code, "ImageNotFoundException");
        assert_eq!(msg, "The image with imageId {imageDigest:null, imageTag:'3e6c8b2'} does not exist within the repository with name 'demo' in the registry with id '000000000000'");
        let (code, _) = call(&s, "DescribeImages", json!({"repositoryName": "nope"})).unwrap_err();
        assert_eq!(code, "RepositoryNotFoundException");
        let all = call(&s, "DescribeImages", json!({"repositoryName": "demo"})).unwrap();
        assert_eq!(all["imageDetails"].as_array().unwrap().len(), 2);
        let page = call(
            &s,
            "DescribeImages",
            json!({"repositoryName": "demo", "maxResults": 1}),
        )
        .unwrap();
        assert_eq!(page["imageDetails"].as_array().unwrap().len(), 1);
        let rest = call(
            &s,
            "DescribeImages",
            json!({"repositoryName": "demo", "nextToken": page["nextToken"]}),
        )
        .unwrap();
        assert_eq!(rest["imageDetails"][0]["imageTags"], json!(["v2"]));
        let ids = call(&s, "ListImages", json!({"repositoryName": "demo"})).unwrap();
        assert_eq!(
            ids["imageIds"][0],
            json!({"imageDigest": one.digest, "imageTag": "v1"})
        );
    }

    #[test]
    fn retag_through_batch_get_and_put_image_then_delete() {
        let (_d, s, one, _) = store();
        let got = call(&s, "BatchGetImage", json!({"repositoryName": "demo", "imageIds": [{"imageTag": "v1"}, {"imageTag": "gone"}]})).unwrap();
        assert_eq!(got["failures"][0]["failureCode"], "ImageNotFound");
        let manifest = got["images"][0]["imageManifest"]
            .as_str()
            .unwrap()
            .to_string();
        let put = call(
            &s,
            "PutImage",
            json!({"repositoryName": "demo", "imageManifest": manifest, "imageTag": "release-1"}),
        )
        .unwrap();
        assert_eq!(put["image"]["imageId"]["imageDigest"], one.digest.as_str());
        let (code, msg) = call(
            &s,
            "PutImage",
            json!({"repositoryName": "demo", "imageManifest": manifest, "imageTag": "v2"}),
        )
        .unwrap_err();
        assert_eq!(code, "ImageTagAlreadyExistsException", "{msg}");
        let (code, _) = call(
            &s,
            "PutImage",
            json!({"repositoryName": "demo", "imageManifest": manifest, "imageTag": "v1"}),
        )
        .unwrap_err();
        assert_eq!(code, "ImageAlreadyExistsException");
        let foreign = manifest.replace(&one.digest, &format!("sha256:{}", "a".repeat(64)));
        let (code, _) = call(
            &s,
            "PutImage",
            json!({"repositoryName": "demo", "imageManifest": foreign, "imageTag": "v3"}),
        )
        .unwrap_err();
        assert_eq!(code, "LayersNotFoundException");
        let del = call(&s, "BatchDeleteImage", json!({"repositoryName": "demo", "imageIds": [{"imageTag": "release-1"}, {"imageTag": "gone"}]})).unwrap();
        assert_eq!(del["imageIds"][0]["imageTag"], "release-1");
        assert_eq!(del["failures"][0]["failureCode"], "ImageNotFound");
        assert!(s.get("demo", "release-1").is_none());
        let (code, _) = call(
            &s,
            "BatchDeleteImage",
            json!({"repositoryName": "demo", "imageIds": []}),
        )
        .unwrap_err();
        assert_eq!(code, "InvalidParameterException");
    }

    #[test]
    fn describe_repositories_answers_the_terraform_repository() {
        let (_d, s, _, _) = store();
        let v = call(&s, "DescribeRepositories", json!({})).unwrap();
        assert_eq!(v["repositories"][0]["repositoryName"], "demo");
        assert_eq!(v["repositories"][0]["imageTagMutability"], "IMMUTABLE");
        let (code, _) = call(
            &s,
            "DescribeRepositories",
            json!({"repositoryNames": ["other"]}),
        )
        .unwrap_err();
        assert_eq!(code, "RepositoryNotFoundException");
    }
}
