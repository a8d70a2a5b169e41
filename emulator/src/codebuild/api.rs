//! CodeBuild's JSON 1.1 API (`CodeBuild_20161006`): BatchGetBuilds over the builds the
//! local CodeBuild ran (the pipeline's Build action starts them; StartBuild is not served)
//! and StopBuild (the build's running command's process group is killed, the build ends
//! STOPPED and its pipeline action fails, as on CodeBuild).
//! Timestamps are epoch seconds, as the JSON protocols carry them.

use serde::Deserialize;
use serde_json::Value;

use super::model::Build;
use super::shapes::{BatchGetBuildsOutput, Build as BuildShape, StopBuildOutput};
use super::Error;
use crate::wire::error::{ApiError, Common};
use crate::wire::json::{answer, request, ApiResult};

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
    answer(StopBuildOutput {
        build: BuildShape::of(&stop(&id)?, region),
    })
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
            Some(b) => found.push(BuildShape::of(b, region)),
            None => missing.push(id),
        }
    }
    answer(BatchGetBuildsOutput {
        builds: found,
        builds_not_found: missing,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn requests_fit_botocore() {
        crate::botocore_check::request_fits_botocore::<BatchGetBuildsInput>(
            "codebuild",
            "BatchGetBuilds",
        );
        crate::botocore_check::request_fits_botocore::<StopBuildInput>("codebuild", "StopBuild");
    }

    /// A build in progress (two environment variables), one failed in its BUILD phase, one
    /// interrupted by a restart.
    fn builds() -> Vec<Build> {
        use super::super::model::{BuildStatus, PhaseType};
        let new = |n| {
            Build::new(
                "demo",
                "arn:aws:codebuild:us-east-1:000000000000",
                n,
                "c1",
                "codepipeline/demo",
                10.0,
            )
        };
        let mut running = new(1);
        running.environment_variables = vec![("A".into(), "1".into()), ("B".into(), "2".into())];
        running.advance(BuildStatus::Succeeded, None, PhaseType::Build, 11.0);
        let mut failed = new(2);
        failed.advance(BuildStatus::Succeeded, None, PhaseType::Build, 11.0);
        failed.advance(
            BuildStatus::Failed,
            Some(("COMMAND_EXECUTION_ERROR".into(), "Error".into())),
            PhaseType::Finalizing,
            14.0,
        );
        failed.complete(BuildStatus::Failed, 15.0);
        let mut interrupted = new(3);
        interrupted.advance(BuildStatus::Succeeded, None, PhaseType::Build, 11.0);
        interrupted.interrupt("the local stack stopped", 20.0);
        vec![running, failed, interrupted]
    }

    fn fits(op: &str, v: &Value) {
        crate::botocore_check::fits_botocore("codebuild", op, v);
    }

    #[test]
    fn answers_fit_botocore() {
        let b = builds();
        let ids: Vec<&str> = b.iter().map(|b| b.id.as_str()).collect();
        let v = batch_get_builds(&b, "us-east-1", &json!({"ids": ids})).unwrap();
        fits("BatchGetBuilds", &v);
        assert!(v.get("buildsNotFound").is_none(), "all found");
        let running = &v["builds"][0];
        assert_eq!(running["buildStatus"], "IN_PROGRESS");
        assert_eq!(running["buildComplete"], false);
        assert!(running.get("endTime").is_none());
        assert_eq!(
            running["environment"]["environmentVariables"][1],
            json!({"name": "B", "value": "2", "type": "PLAINTEXT"})
        );
        let phase = &running["phases"][1];
        assert_eq!(phase["phaseType"], "BUILD");
        assert!(phase.get("phaseStatus").is_none(), "still running");
        assert!(phase.get("contexts").is_none());
        assert_eq!(v["builds"][2]["buildStatus"], "FAULT");
        let v = stop_build(|_| Ok(b[1].clone()), "us-east-1", &json!({"id": "x"})).unwrap();
        fits("StopBuild", &v);
        assert_eq!(v["build"]["phases"][2]["phaseType"], "FINALIZING");
    }

    /// The check can fail: a phase type outside its enum.
    #[test]
    #[should_panic(expected = "not in enum")]
    fn a_phase_type_outside_the_enum_does_not_fit() {
        let b = builds();
        let mut v = stop_build(|_| Ok(b[0].clone()), "us-east-1", &json!({"id": "x"})).unwrap();
        v["build"]["phases"][1]["phaseType"] = json!("Build");
        fits("StopBuild", &v);
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
