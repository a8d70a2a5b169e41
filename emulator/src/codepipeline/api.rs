//! The CodePipeline (JSON 1.1, `CodePipeline_20150709`) and CodeBuild
//! (`CodeBuild_20161006`) operations `deployer pipeline` and the AWS CLI use, with the
//! shapes of botocore's models: GetPipelineState, ListPipelineExecutions,
//! GetPipelineExecution, ListActionExecutions, StartPipelineExecution; BatchGetBuilds.
//! Timestamps are epoch seconds, as the JSON protocols carry them.

use std::collections::BTreeMap;

use serde::de::IgnoredAny;
use serde::Deserialize;
use serde_json::Value;

use super::driver::LocalPipeline;
use super::engine::{revision_summary, PipelineNames};
use super::engine::{ActionRun, Execution, Pipeline, Stage, StageRun, StageStatus};
use super::shapes::*;
use super::Error;
use crate::wire::error::{required, ApiError, Common};
use crate::wire::json::{answer, request, ApiResult};

/// GetPipelineStateInput and StartPipelineExecutionInput (whose `sourceRevisions` the
/// local pipeline refuses: it releases the last commit pushed).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct NameInput {
    name: Option<String>,
    source_revisions: Option<IgnoredAny>,
}

/// ListPipelineExecutionsInput (its `filter` is not served: every execution is listed).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ListPipelineExecutionsInput {
    pipeline_name: Option<String>,
    max_results: Option<i64>,
    next_token: Option<String>,
}

/// GetPipelineExecutionInput.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct GetPipelineExecutionInput {
    pipeline_name: Option<String>,
    pipeline_execution_id: Option<String>,
}

/// StopPipelineExecutionInput.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct StopPipelineExecutionInput {
    pipeline_name: Option<String>,
    pipeline_execution_id: Option<String>,
    #[serde(default)]
    abandon: bool,
    reason: Option<String>,
}

/// ListActionExecutionsInput.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ListActionExecutionsInput {
    pipeline_name: Option<String>,
    filter: Option<ActionExecutionFilter>,
    max_results: Option<i64>,
    next_token: Option<String>,
}

/// ActionExecutionFilter.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ActionExecutionFilter {
    pipeline_execution_id: Option<String>,
}

fn name_of<'a>(v: &'a Option<String>, key: &str) -> Result<&'a str, ApiError> {
    Ok(required(v.as_deref(), key, Error::ValidationException)?)
}

/// `CodePipeline_20150709.<op>`.
pub(crate) fn handle(pipeline: &LocalPipeline, op: &str, input: &Value) -> ApiResult {
    if op == "StartPipelineExecution" {
        let p = pipeline.state().clone();
        return start_pipeline_execution(&p, pipeline.names(), input, || pipeline.release());
    }
    if op == "StopPipelineExecution" {
        let r: StopPipelineExecutionInput = request(input)?;
        let name = name_of(&r.pipeline_name, "pipelineName")?;
        let id = name_of(&r.pipeline_execution_id, "pipelineExecutionId")?;
        check_name(&pipeline.state(), pipeline.names(), name)?;
        pipeline.stop_execution(id, r.abandon, r.reason.as_deref().unwrap_or(""))?;
        return answer(PipelineExecutionIdOutput {
            pipeline_execution_id: id.to_string(),
        });
    }
    let p = pipeline.state();
    let n = pipeline.names();
    match op {
        "GetPipelineState" => get_pipeline_state(&p, n, input),
        "ListPipelineExecutions" => list_pipeline_executions(&p, n, input),
        "GetPipelineExecution" => get_pipeline_execution(&p, n, input),
        "ListActionExecutions" => list_action_executions(&p, n, input),
        _ => Err(ApiError::new(
            Common::UnknownOperationException,
            format!("CodePipeline operation {op} is not served by the local stack"),
        )),
    }
}

/// The action's configuration, as `infra/codepipeline.tf` writes it.
fn configuration(stage: Stage, n: &PipelineNames) -> BTreeMap<&'static str, String> {
    let pairs: Vec<(&'static str, String)> = match stage {
        Stage::Source => vec![
            ("ConnectionArn", n.connection_arn.clone()),
            ("FullRepositoryId", n.repository_id.clone()),
            ("BranchName", super::source::BRANCH.to_string()),
            ("OutputArtifactFormat", "CODE_ZIP".to_string()),
        ],
        Stage::Build => vec![("ProjectName", n.project_name.clone())],
        Stage::Deploy => vec![
            ("ApplicationName", n.application_name.clone()),
            ("DeploymentGroupName", n.deployment_group_name.clone()),
            ("TaskDefinitionTemplateArtifact", "BuildOutput".to_string()),
            ("TaskDefinitionTemplatePath", "taskdef.json".to_string()),
            ("AppSpecTemplateArtifact", "BuildOutput".to_string()),
            ("AppSpecTemplatePath", "appspec.yaml".to_string()),
            ("Image1ArtifactName", "BuildOutput".to_string()),
            ("Image1ContainerName", "IMAGE1_NAME".to_string()),
        ],
    };
    pairs.into_iter().collect()
}

fn artifacts(stage: Stage) -> (Vec<&'static str>, Vec<&'static str>) {
    match stage {
        Stage::Source => (vec![], vec!["SourceOutput"]),
        Stage::Build => (vec!["SourceOutput"], vec!["BuildOutput"]),
        Stage::Deploy => (vec!["BuildOutput"], vec![]),
    }
}

fn external_url(stage: Stage, run: &ActionRun, n: &PipelineNames) -> Option<String> {
    let id = run.external_id.as_deref()?;
    Some(match stage {
        Stage::Source => format!("local:{}@{id}", n.repository_id),
        Stage::Build => format!(
            "https://console.aws.amazon.com/codebuild/home?region={}#/builds/{id}/view/new",
            n.region
        ),
        Stage::Deploy => format!(
            "https://console.aws.amazon.com/codedeploy/home?region={}#/deployments/{id}",
            n.region
        ),
    })
}

fn error_details(run: &ActionRun) -> Option<ErrorDetails> {
    run.error.as_ref().map(|(code, message)| ErrorDetails {
        code: code.clone(),
        message: message.clone(),
    })
}

fn action_execution(stage: Stage, run: &ActionRun, n: &PipelineNames) -> ActionExecution {
    ActionExecution {
        action_execution_id: run.id.clone(),
        status: run.status,
        summary: run.summary.clone(),
        last_status_change: run.last_update,
        external_execution_id: run.external_id.clone(),
        external_execution_url: external_url(stage, run, n),
        error_details: error_details(run),
    }
}

fn check_name(p: &Pipeline, n: &PipelineNames, name: &str) -> Result<(), ApiError> {
    if name != p.name {
        return Err(ApiError::new(
            Error::PipelineNotFoundException,
            format!(
                "Account '{}' does not have a pipeline with name '{name}'",
                n.account_id
            ),
        ));
    }
    Ok(())
}

fn execution_of<'a>(p: &'a Pipeline, id: &str) -> Result<&'a Execution, ApiError> {
    p.execution(id).ok_or_else(|| {
        ApiError::new(
            Error::PipelineExecutionNotFoundException,
            format!(
                "Pipeline execution with id '{id}' does not exist in pipeline with name '{}'",
                p.name
            ),
        )
    })
}

pub(crate) fn get_pipeline_state(p: &Pipeline, n: &PipelineNames, input: &Value) -> ApiResult {
    let r: NameInput = request(input)?;
    let name = name_of(&r.name, "name")?;
    check_name(p, n, name)?;
    let stage_states = Stage::ALL
        .iter()
        .map(|&stage| {
            let inbound_executions: Vec<StageExecution> = p
                .waiting_for(stage)
                .iter()
                .map(|e| StageExecution {
                    pipeline_execution_id: e.id.clone(),
                    status: StageStatus::InProgress,
                    kind: ExecutionType::Standard,
                })
                .collect();
            let latest = p.latest_in(stage);
            StageState {
                stage_name: stage.name(),
                inbound_execution: inbound_executions.first().cloned(),
                inbound_executions,
                inbound_transition_state: TransitionState { enabled: true },
                action_states: vec![ActionState {
                    action_name: stage.name(),
                    current_revision: latest.filter(|_| stage == Stage::Source).map(|(e, run)| {
                        ActionRevision {
                            revision_id: e.revision.commit.clone(),
                            revision_change_id: e.revision.commit.clone(),
                            created: run.action.start,
                        }
                    }),
                    latest_execution: latest
                        .map(|(_, run)| action_execution(stage, &run.action, n)),
                }],
                latest_execution: latest.map(|(e, run)| StageExecution {
                    pipeline_execution_id: e.id.clone(),
                    status: run.status,
                    kind: ExecutionType::Standard,
                }),
            }
        })
        .collect();
    let updated = p
        .executions
        .iter()
        .map(|e| e.last_update)
        .fold(p.created, f64::max);
    answer(GetPipelineStateOutput {
        pipeline_name: p.name.clone(),
        pipeline_version: 1,
        stage_states,
        created: p.created,
        updated,
    })
}

fn page(
    max_results: Option<i64>,
    next_token: Option<&str>,
    len: usize,
    default_max: u64,
) -> Result<(usize, usize), ApiError> {
    let max = match max_results {
        None => default_max,
        Some(v) => match u64::try_from(v) {
            Ok(m @ 1..=100) => m,
            _ => {
                return Err(ApiError::new(
                    Error::ValidationException,
                    format!("1 validation error detected: Value '{v}' at 'maxResults' failed to satisfy constraint: Member must have value between 1 and 100"),
                ))
            }
        },
    } as usize;
    let start = match next_token {
        None => 0,
        Some(t) => t
            .parse::<usize>()
            .ok()
            .filter(|&i| i <= len)
            .ok_or_else(|| {
                ApiError::new(
                    Error::InvalidNextTokenException,
                    format!("The next token {t:?} is not valid"),
                )
            })?,
    };
    Ok((start, (start + max).min(len)))
}

/// The token of the page after `to` (none after the last).
fn next_token(to: usize, len: usize) -> Option<String> {
    (to < len).then(|| to.to_string())
}

fn trigger(e: &Execution) -> ExecutionTrigger {
    ExecutionTrigger {
        trigger_type: e.trigger.kind,
        trigger_detail: e.trigger.detail.clone(),
    }
}

fn summary(e: &Execution) -> PipelineExecutionSummary {
    PipelineExecutionSummary {
        pipeline_execution_id: e.id.clone(),
        status: e.status,
        status_summary: e.status_summary.clone(),
        start_time: e.start,
        last_update_time: e.last_update,
        source_revisions: vec![SourceRevision {
            action_name: Stage::Source.name(),
            revision_id: e.revision.commit.clone(),
            revision_summary: revision_summary(&e.revision.message),
        }],
        trigger: trigger(e),
        execution_mode: ExecutionMode::Superseded,
        execution_type: ExecutionType::Standard,
    }
}

pub(crate) fn list_pipeline_executions(
    p: &Pipeline,
    n: &PipelineNames,
    input: &Value,
) -> ApiResult {
    let r: ListPipelineExecutionsInput = request(input)?;
    let name = name_of(&r.pipeline_name, "pipelineName")?;
    check_name(p, n, name)?;
    let newest_first: Vec<&Execution> = p.executions.iter().rev().collect();
    let (from, to) = page(
        r.max_results,
        r.next_token.as_deref(),
        newest_first.len(),
        100,
    )?;
    answer(ListPipelineExecutionsOutput {
        pipeline_execution_summaries: newest_first[from..to].iter().map(|e| summary(e)).collect(),
        next_token: next_token(to, newest_first.len()),
    })
}

pub(crate) fn get_pipeline_execution(p: &Pipeline, n: &PipelineNames, input: &Value) -> ApiResult {
    let r: GetPipelineExecutionInput = request(input)?;
    let name = name_of(&r.pipeline_name, "pipelineName")?;
    check_name(p, n, name)?;
    let id = name_of(&r.pipeline_execution_id, "pipelineExecutionId")?;
    let e = execution_of(p, id)?;
    answer(GetPipelineExecutionOutput {
        pipeline_execution: PipelineExecution {
            pipeline_name: p.name.clone(),
            pipeline_version: 1,
            pipeline_execution_id: e.id.clone(),
            status: e.status,
            status_summary: e.status_summary.clone(),
            artifact_revisions: vec![ArtifactRevision {
                name: "SourceOutput",
                revision_id: e.revision.commit.clone(),
                revision_change_identifier: e.revision.commit.clone(),
                revision_summary: revision_summary(&e.revision.message),
                created: e.start,
            }],
            variables: Vec::new(),
            trigger: trigger(e),
            execution_mode: ExecutionMode::Superseded,
            execution_type: ExecutionType::Standard,
        },
    })
}

fn action_detail(e: &Execution, run: &StageRun, n: &PipelineNames) -> ActionExecutionDetail {
    let stage = run.stage;
    let (inputs, outputs) = artifacts(stage);
    let s3 = |name: &'static str| ArtifactDetail {
        name,
        s3location: S3Location {
            bucket: n.artifact_bucket.clone(),
            key: format!("{}/{name}/{}", n.project_name, e.id),
        },
    };
    ActionExecutionDetail {
        pipeline_execution_id: e.id.clone(),
        action_execution_id: run.action.id.clone(),
        pipeline_version: 1,
        stage_name: stage.name(),
        action_name: stage.name(),
        start_time: run.action.start,
        last_update_time: run.action.last_update,
        status: run.action.status,
        input: ActionExecutionInput {
            action_type_id: ActionTypeId::of(stage),
            configuration: configuration(stage, n),
            resolved_configuration: configuration(stage, n),
            region: n.region.clone(),
            input_artifacts: inputs.into_iter().map(s3).collect(),
        },
        output: ActionExecutionOutput {
            output_artifacts: outputs.into_iter().map(s3).collect(),
            execution_result: ActionExecutionResult {
                external_execution_id: run.action.external_id.clone(),
                external_execution_summary: run.action.summary.clone(),
                external_execution_url: external_url(stage, &run.action, n),
                error_details: error_details(&run.action),
            },
            output_variables: BTreeMap::new(),
        },
    }
}

pub(crate) fn list_action_executions(p: &Pipeline, n: &PipelineNames, input: &Value) -> ApiResult {
    let r: ListActionExecutionsInput = request(input)?;
    let name = name_of(&r.pipeline_name, "pipelineName")?;
    check_name(p, n, name)?;
    let filter_id = r
        .filter
        .as_ref()
        .and_then(|f| f.pipeline_execution_id.as_deref());
    if let Some(id) = filter_id {
        execution_of(p, id)?;
    }
    let mut runs: Vec<(&Execution, &StageRun)> = p
        .executions
        .iter()
        .filter(|e| filter_id.is_none_or(|id| e.id == id))
        .flat_map(|e| e.stages.iter().map(move |r| (e, r)))
        .collect();
    runs.sort_by(|a, b| {
        b.1.action
            .start
            .total_cmp(&a.1.action.start)
            .then(b.1.stage.cmp(&a.1.stage))
    });
    let (from, to) = page(r.max_results, r.next_token.as_deref(), runs.len(), 100)?;
    answer(ListActionExecutionsOutput {
        action_execution_details: runs[from..to]
            .iter()
            .map(|(e, r)| action_detail(e, r, n))
            .collect(),
        next_token: next_token(to, runs.len()),
    })
}

/// StartPipelineExecution: `start` re-runs the last pushed commit and returns the new
/// execution's id (or the error to answer).
pub(crate) fn start_pipeline_execution(
    p: &Pipeline,
    n: &PipelineNames,
    input: &Value,
    start: impl FnOnce() -> Result<String, ApiError>,
) -> ApiResult {
    let r: NameInput = request(input)?;
    let name = name_of(&r.name, "name")?;
    check_name(p, n, name)?;
    if r.source_revisions.is_some() {
        return Err(ApiError::new(
            Error::ValidationException,
            "sourceRevisions: the local pipeline releases the last commit pushed to main; push the revision instead",
        ));
    }
    answer(PipelineExecutionIdOutput {
        pipeline_execution_id: start()?,
    })
}

#[cfg(test)]
mod tests {
    use super::super::engine::{Outcome, Revision, Trigger};
    use super::*;
    use serde_json::json;

    fn fits(op: &str, v: &Value) {
        crate::botocore_check::fits_botocore("codepipeline", op, v);
    }

    /// Every operation's answer fits botocore's output shape: with a failed execution and
    /// one waiting, then with that one in Deploy.
    #[test]
    fn answers_fit_botocore() {
        let mut p = pipeline_with_a_failed_build();
        let n = names();
        let demo = json!({"pipelineName": "demo"});
        let check_all = |p: &Pipeline| {
            fits(
                "GetPipelineState",
                &get_pipeline_state(p, &n, &json!({"name": "demo"})).unwrap(),
            );
            fits(
                "ListPipelineExecutions",
                &list_pipeline_executions(p, &n, &demo).unwrap(),
            );
            for id in ["e1", "e2"] {
                let input = json!({"pipelineName": "demo", "pipelineExecutionId": id});
                fits(
                    "GetPipelineExecution",
                    &get_pipeline_execution(p, &n, &input).unwrap(),
                );
            }
            let v = list_action_executions(p, &n, &demo).unwrap();
            fits("ListActionExecutions", &v);
            v
        };
        check_all(&p);
        let mut k = 100;
        let mut ids = move || {
            k += 1;
            format!("id-{k}")
        };
        p.schedule(120.0, &mut ids);
        p.set_external_id("e2", Stage::Source, "c1", 120.0);
        let ok = |s: &str| Outcome::Succeeded { summary: s.into() };
        p.finish_action("e2", Stage::Source, ok("s"), 121.0);
        p.schedule(121.0, &mut ids);
        p.set_external_id("e2", Stage::Build, "demo:b2", 121.0);
        p.finish_action("e2", Stage::Build, ok("b"), 122.0);
        p.schedule(122.0, &mut ids);
        p.set_external_id("e2", Stage::Deploy, "d-1", 122.0);
        let v = check_all(&p);
        let deploy = &v["actionExecutionDetails"][0];
        assert_eq!(deploy["input"]["actionTypeId"]["category"], "Deploy");
        assert_eq!(
            deploy["input"]["configuration"]["AppSpecTemplatePath"],
            "appspec.yaml"
        );
        assert_eq!(deploy["output"]["outputArtifacts"], json!([]));
        assert_eq!(deploy["output"]["outputVariables"], json!({}));
        assert!(deploy["output"]["executionResult"]
            .get("errorDetails")
            .is_none());
        let v =
            start_pipeline_execution(&p, &n, &json!({"name": "demo"}), || Ok("e3".into())).unwrap();
        fits("StartPipelineExecution", &v);
        fits("StopPipelineExecution", &v);
    }

    /// The check can fail: a member of the wrong type.
    #[test]
    #[should_panic(expected = "does not fit botocore")]
    fn a_member_of_the_wrong_type_does_not_fit() {
        let p = pipeline_with_a_failed_build();
        let mut v = get_pipeline_execution(
            &p,
            &names(),
            &json!({"pipelineName": "demo", "pipelineExecutionId": "e1"}),
        )
        .unwrap();
        v["pipelineExecution"]["pipelineVersion"] = json!("1");
        fits("GetPipelineExecution", &v);
    }

    #[test]
    fn requests_fit_botocore() {
        use crate::botocore_check::request_fits_botocore as fits;
        fits::<NameInput>("codepipeline", "StartPipelineExecution");
        fits::<ListPipelineExecutionsInput>("codepipeline", "ListPipelineExecutions");
        fits::<GetPipelineExecutionInput>("codepipeline", "GetPipelineExecution");
        fits::<ListActionExecutionsInput>("codepipeline", "ListActionExecutions");
        fits::<StopPipelineExecutionInput>("codepipeline", "StopPipelineExecution");
    }

    fn names() -> PipelineNames {
        PipelineNames {
            region: "us-east-1".into(),
            account_id: "000000000000".into(),
            connection_arn: "arn:aws:codeconnections:us-east-1:000000000000:connection/x".into(),
            repository_id: "local/demo".into(),
            project_name: "demo".into(),
            application_name: "demo".into(),
            deployment_group_name: "demo".into(),
            artifact_bucket: "demo-artifacts".into(),
        }
    }

    fn pipeline_with_a_failed_build() -> Pipeline {
        let mut p = Pipeline::new("demo", 100.0);
        let mut n = 0;
        let mut ids = move || {
            n += 1;
            format!("00000000-0000-4000-8000-00000000000{n}")
        };
        p.start(
            "e1".into(),
            Trigger {
                kind: "WebhookV2",
                detail: "arn".into(),
            },
            Revision {
                commit: "c1".into(),
                message: "first \"quoted\"".into(),
            },
            101.0,
        );
        p.schedule(101.0, &mut ids);
        p.set_external_id("e1", Stage::Source, "c1", 101.0);
        p.finish_action(
            "e1",
            Stage::Source,
            Outcome::Succeeded {
                summary: "first".into(),
            },
            102.0,
        );
        p.schedule(102.0, &mut ids);
        p.set_external_id("e1", Stage::Build, "demo:b1", 102.0);
        p.finish_action(
            "e1",
            Stage::Build,
            Outcome::Failed {
                code: "JobFailed".into(),
                message: "Build terminated with state: FAILED".into(),
            },
            110.0,
        );
        p.start(
            "e2".into(),
            Trigger {
                kind: "StartPipelineExecution",
                detail: "arn:aws:iam::000000000000:user/local".into(),
            },
            Revision {
                commit: "c1".into(),
                message: "first".into(),
            },
            111.0,
        );
        p
    }

    /// Every answer must fit botocore's output shape; the e2e tests run the AWS CLI
    /// against the stack for that. Here: the members the CLI and deployer read.
    #[test]
    fn state_lists_every_stage_with_its_latest_action() {
        let p = pipeline_with_a_failed_build();
        let v = get_pipeline_state(&p, &names(), &json!({"name": "demo"})).unwrap();
        assert_eq!(v["pipelineName"], "demo");
        let stages = v["stageStates"].as_array().unwrap();
        assert_eq!(stages.len(), 3);
        assert_eq!(stages[0]["stageName"], "Source");
        assert_eq!(
            stages[0]["actionStates"][0]["currentRevision"]["revisionId"],
            "c1"
        );
        assert_eq!(
            stages[0]["inboundExecutions"][0]["pipelineExecutionId"],
            "e2"
        );
        assert_eq!(stages[1]["latestExecution"]["status"], "Failed");
        let build = &stages[1]["actionStates"][0]["latestExecution"];
        assert_eq!(build["externalExecutionId"], "demo:b1");
        assert_eq!(build["errorDetails"]["code"], "JobFailed");
        assert!(stages[2].get("latestExecution").is_none());
        assert_eq!(v["updated"], 111.0);
    }

    #[test]
    fn executions_newest_first_paged() {
        let p = pipeline_with_a_failed_build();
        let n = names();
        let v = list_pipeline_executions(&p, &n, &json!({"pipelineName": "demo", "maxResults": 1}))
            .unwrap();
        let s = &v["pipelineExecutionSummaries"];
        assert_eq!(s.as_array().unwrap().len(), 1);
        assert_eq!(s[0]["pipelineExecutionId"], "e2");
        assert_eq!(s[0]["trigger"]["triggerType"], "StartPipelineExecution");
        assert_eq!(v["nextToken"], "1");
        let v2 =
            list_pipeline_executions(&p, &n, &json!({"pipelineName": "demo", "nextToken": "1"}))
                .unwrap();
        let s2 = &v2["pipelineExecutionSummaries"][0];
        assert_eq!(s2["pipelineExecutionId"], "e1");
        assert_eq!(s2["status"], "Failed");
        let summary: Value = serde_json::from_str(
            s2["sourceRevisions"][0]["revisionSummary"]
                .as_str()
                .unwrap(),
        )
        .unwrap();
        assert_eq!(summary["CommitMessage"], "first \"quoted\"");
        assert!(v2.get("nextToken").is_none());
        let e =
            list_pipeline_executions(&p, &n, &json!({"pipelineName": "demo", "nextToken": "x"}))
                .unwrap_err();
        assert_eq!(e.code, "InvalidNextTokenException");
        let e = list_pipeline_executions(&p, &n, &json!({"pipelineName": "demo", "maxResults": 0}))
            .unwrap_err();
        assert_eq!(e.code, "ValidationException");
    }

    #[test]
    fn errors_have_codepipelines_codes() {
        let p = pipeline_with_a_failed_build();
        let n = names();
        let e = get_pipeline_state(&p, &n, &json!({"name": "other"})).unwrap_err();
        assert_eq!(e.code, "PipelineNotFoundException");
        assert_eq!(
            e.message,
            "Account '000000000000' does not have a pipeline with name 'other'"
        );
        let e = get_pipeline_state(&p, &n, &json!({})).unwrap_err();
        assert_eq!(e.code, "ValidationException");
        let e = get_pipeline_execution(
            &p,
            &n,
            &json!({"pipelineName": "demo", "pipelineExecutionId": "nope"}),
        )
        .unwrap_err();
        assert_eq!(e.code, "PipelineExecutionNotFoundException");
        let e = list_action_executions(
            &p,
            &n,
            &json!({"pipelineName": "demo", "filter": {"pipelineExecutionId": "nope"}}),
        )
        .unwrap_err();
        assert_eq!(e.code, "PipelineExecutionNotFoundException");
        let e = start_pipeline_execution(
            &p,
            &n,
            &json!({"name": "demo", "sourceRevisions": []}),
            || Ok("x".into()),
        )
        .unwrap_err();
        assert_eq!(e.code, "ValidationException");
        let v =
            start_pipeline_execution(&p, &n, &json!({"name": "demo"}), || Ok("e3".into())).unwrap();
        assert_eq!(v, json!({"pipelineExecutionId": "e3"}));
    }

    #[test]
    fn action_executions_of_one_execution() {
        let p = pipeline_with_a_failed_build();
        let v = list_action_executions(
            &p,
            &names(),
            &json!({"pipelineName": "demo", "filter": {"pipelineExecutionId": "e1"}}),
        )
        .unwrap();
        let d = v["actionExecutionDetails"].as_array().unwrap();
        assert_eq!(d.len(), 2);
        assert_eq!(d[0]["stageName"], "Build", "newest first");
        assert_eq!(d[0]["input"]["actionTypeId"]["provider"], "CodeBuild");
        assert_eq!(d[0]["input"]["configuration"]["ProjectName"], "demo");
        assert_eq!(
            d[0]["output"]["executionResult"]["externalExecutionId"],
            "demo:b1"
        );
        assert_eq!(
            d[0]["output"]["executionResult"]["errorDetails"]["message"],
            "Build terminated with state: FAILED"
        );
        assert_eq!(d[1]["output"]["outputArtifacts"][0]["name"], "SourceOutput");
    }
}
