//! CodeBuild's JSON 1.1 API (`CodeBuild_20161006`): BatchGetBuilds over the builds the
//! local CodeBuild ran (the pipeline's Build action starts them; StartBuild is not served)
//! and StopBuild (the build's running command's process group is killed, the build ends
//! STOPPED and its pipeline action fails, as on CodeBuild).
//! Timestamps are epoch seconds, as the JSON protocols carry them.

use serde::Deserialize;
use serde_json::{json, Value};

use super::model::Build;
use super::Error;
use crate::wire::error::{ApiError, Common};
use crate::wire::json::{request, ApiResult};

/// BatchGetBuildsInput.
#[derive(Debug, Default, Deserialize)]
struct BatchGetBuildsInput {
    #[serde(default)]
    ids: Vec<String>,
}

/// `CodeBuild_20161006.<op>` over `builds`.
pub(crate) fn handle(builds: &[Build], region: &str, op: &str, input: &Value) -> ApiResult {
    match op {
        "BatchGetBuilds" => batch_get_builds(builds, region, input),
        _ => Err(ApiError::new(
            Common::UnknownOperationException,
            format!("CodeBuild operation {op} is not served by the local stack"),
        )),
    }
}

/// StopBuildInput.
#[derive(Debug, Default, Deserialize)]
struct StopBuildInput {
    id: Option<String>,
}

/// StopBuild: `stop` stops the build of an id (the local CodeBuild's); the answer is the
/// build as it is now.
pub(crate) fn stop_build(
    stop: impl FnOnce(&str) -> Result<Build, ApiError>,
    region: &str,
    input: &Value,
) -> ApiResult {
    let id = request::<StopBuildInput>(input)?.id.unwrap_or_default();
    if id.is_empty() {
        return Err(ApiError::new(
            Error::InvalidInputException,
            "id is required",
        ));
    }
    Ok(json!({ "build": stop(&id)?.to_json(region) }))
}

/// BatchGetBuilds over the builds the local CodeBuild ran.
fn batch_get_builds(builds: &[Build], region: &str, input: &Value) -> ApiResult {
    let ids = request::<BatchGetBuildsInput>(input)?.ids;
    if ids.is_empty() || ids.len() > 100 {
        return Err(ApiError::new(
            Error::InvalidInputException,
            format!("ids: expected 1 to 100 build ids, got {}", ids.len()),
        ));
    }
    let mut found = Vec::new();
    let mut missing = Vec::new();
    for id in ids {
        match builds.iter().find(|b| b.id == id || b.arn == id) {
            Some(b) => found.push(b.to_json(region)),
            None => missing.push(id),
        }
    }
    let mut v = json!({ "builds": found });
    // botocore: buildsNotFound has at least one member when present.
    if !missing.is_empty() {
        v["buildsNotFound"] = json!(missing);
    }
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_fit_botocore() {
        crate::botocore_check::request_fits_botocore::<BatchGetBuildsInput>(
            "codebuild",
            "BatchGetBuilds",
        );
        crate::botocore_check::request_fits_botocore::<StopBuildInput>("codebuild", "StopBuild");
    }

    #[test]
    fn batch_get_builds_splits_found_and_missing() {
        let b = Build::new(
            "demo",
            "arn:aws:codebuild:us-east-1:000000000000",
            1,
            "c1",
            "codepipeline/demo",
            1.0,
        );
        let v = batch_get_builds(
            std::slice::from_ref(&b),
            "us-east-1",
            &json!({"ids": [b.id, "demo:nope"]}),
        )
        .unwrap();
        assert_eq!(v["builds"][0]["id"], b.id.as_str());
        assert_eq!(v["buildsNotFound"], json!(["demo:nope"]));
        let e = batch_get_builds(&[], "us-east-1", &json!({"ids": []})).unwrap_err();
        assert_eq!(e.code, "InvalidInputException");
    }
}
