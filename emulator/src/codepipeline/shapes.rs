//! CodePipeline's answers as serde types, named after botocore's output shapes (camelCase,
//! as the CodePipeline JSON 1.1 API writes them). The statuses are the engine's typed ones
//! ([`super::engine`]), whose serde names are AWS's.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

use super::engine::{ActionStatus, ExecutionStatus, Stage, StageStatus};

/// ExecutionType: every local execution is a STANDARD one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub(crate) enum ExecutionType {
    Standard,
}

/// ExecutionMode: as `infra/codepipeline.tf` sets it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub(crate) enum ExecutionMode {
    Superseded,
}

/// GetPipelineStateOutput.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct GetPipelineStateOutput {
    pub(crate) pipeline_name: String,
    pub(crate) pipeline_version: u32,
    pub(crate) stage_states: Vec<StageState>,
    pub(crate) created: f64,
    pub(crate) updated: f64,
}

/// StageState.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct StageState {
    pub(crate) stage_name: &'static str,
    /// The first of [`Self::inbound_executions`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) inbound_execution: Option<StageExecution>,
    /// The executions waiting at the stage's inbound transition (none: left out).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(crate) inbound_executions: Vec<StageExecution>,
    pub(crate) inbound_transition_state: TransitionState,
    pub(crate) action_states: Vec<ActionState>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) latest_execution: Option<StageExecution>,
}

/// TransitionState.
#[derive(Debug, Serialize)]
pub(crate) struct TransitionState {
    pub(crate) enabled: bool,
}

/// StageExecution.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct StageExecution {
    pub(crate) pipeline_execution_id: String,
    pub(crate) status: StageStatus,
    #[serde(rename = "type")]
    pub(crate) kind: ExecutionType,
}

/// ActionState.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ActionState {
    pub(crate) action_name: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) current_revision: Option<ActionRevision>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) latest_execution: Option<ActionExecution>,
}

/// ActionRevision.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ActionRevision {
    pub(crate) revision_id: String,
    pub(crate) revision_change_id: String,
    pub(crate) created: f64,
}

/// ActionExecution.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ActionExecution {
    pub(crate) action_execution_id: String,
    pub(crate) status: ActionStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) summary: Option<String>,
    pub(crate) last_status_change: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) external_execution_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) external_execution_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) error_details: Option<ErrorDetails>,
}

/// ErrorDetails.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct ErrorDetails {
    pub(crate) code: String,
    pub(crate) message: String,
}

/// ListPipelineExecutionsOutput.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ListPipelineExecutionsOutput {
    pub(crate) pipeline_execution_summaries: Vec<PipelineExecutionSummary>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) next_token: Option<String>,
}

/// ExecutionTrigger.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ExecutionTrigger {
    /// TriggerType: `WebhookV2` (a push) or `StartPipelineExecution` (a release).
    pub(crate) trigger_type: &'static str,
    pub(crate) trigger_detail: String,
}

/// PipelineExecutionSummary.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct PipelineExecutionSummary {
    pub(crate) pipeline_execution_id: String,
    pub(crate) status: ExecutionStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) status_summary: Option<String>,
    pub(crate) start_time: f64,
    pub(crate) last_update_time: f64,
    pub(crate) source_revisions: Vec<SourceRevision>,
    pub(crate) trigger: ExecutionTrigger,
    pub(crate) execution_mode: ExecutionMode,
    pub(crate) execution_type: ExecutionType,
}

/// SourceRevision.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct SourceRevision {
    pub(crate) action_name: &'static str,
    pub(crate) revision_id: String,
    pub(crate) revision_summary: String,
}

/// GetPipelineExecutionOutput.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct GetPipelineExecutionOutput {
    pub(crate) pipeline_execution: PipelineExecution,
}

/// PipelineExecution.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct PipelineExecution {
    pub(crate) pipeline_name: String,
    pub(crate) pipeline_version: u32,
    pub(crate) pipeline_execution_id: String,
    pub(crate) status: ExecutionStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) status_summary: Option<String>,
    pub(crate) artifact_revisions: Vec<ArtifactRevision>,
    /// The pipeline declares no variables.
    pub(crate) variables: Vec<Value>,
    pub(crate) trigger: ExecutionTrigger,
    pub(crate) execution_mode: ExecutionMode,
    pub(crate) execution_type: ExecutionType,
}

/// ArtifactRevision.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ArtifactRevision {
    pub(crate) name: &'static str,
    pub(crate) revision_id: String,
    pub(crate) revision_change_identifier: String,
    pub(crate) revision_summary: String,
    pub(crate) created: f64,
}

/// ListActionExecutionsOutput.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ListActionExecutionsOutput {
    pub(crate) action_execution_details: Vec<ActionExecutionDetail>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) next_token: Option<String>,
}

/// ActionExecutionDetail.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ActionExecutionDetail {
    pub(crate) pipeline_execution_id: String,
    pub(crate) action_execution_id: String,
    pub(crate) pipeline_version: u32,
    pub(crate) stage_name: &'static str,
    pub(crate) action_name: &'static str,
    pub(crate) start_time: f64,
    pub(crate) last_update_time: f64,
    pub(crate) status: ActionStatus,
    pub(crate) input: ActionExecutionInput,
    pub(crate) output: ActionExecutionOutput,
}

/// ActionExecutionInput.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ActionExecutionInput {
    pub(crate) action_type_id: ActionTypeId,
    pub(crate) configuration: BTreeMap<&'static str, String>,
    pub(crate) resolved_configuration: BTreeMap<&'static str, String>,
    pub(crate) region: String,
    pub(crate) input_artifacts: Vec<ArtifactDetail>,
}

/// ActionTypeId.
#[derive(Debug, Serialize)]
pub(crate) struct ActionTypeId {
    /// ActionCategory: the stage's (`Source`, `Build`, `Deploy`).
    pub(crate) category: Stage,
    /// ActionOwner: `AWS`.
    pub(crate) owner: &'static str,
    pub(crate) provider: &'static str,
    pub(crate) version: &'static str,
}

impl ActionTypeId {
    /// The action of `infra/codepipeline.tf`'s stage.
    pub(crate) fn of(stage: Stage) -> Self {
        ActionTypeId {
            category: stage,
            owner: "AWS",
            provider: match stage {
                Stage::Source => "CodeStarSourceConnection",
                Stage::Build => "CodeBuild",
                Stage::Deploy => "CodeDeployToECS",
            },
            version: "1",
        }
    }
}

/// ArtifactDetail.
#[derive(Debug, Serialize)]
pub(crate) struct ArtifactDetail {
    pub(crate) name: &'static str,
    pub(crate) s3location: S3Location,
}

/// S3Location.
#[derive(Debug, Serialize)]
pub(crate) struct S3Location {
    pub(crate) bucket: String,
    pub(crate) key: String,
}

/// ActionExecutionOutput.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ActionExecutionOutput {
    pub(crate) output_artifacts: Vec<ArtifactDetail>,
    pub(crate) execution_result: ActionExecutionResult,
    /// The actions export no variables.
    pub(crate) output_variables: BTreeMap<String, String>,
}

/// ActionExecutionResult.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ActionExecutionResult {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) external_execution_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) external_execution_summary: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) external_execution_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) error_details: Option<ErrorDetails>,
}

/// StartPipelineExecutionOutput and StopPipelineExecutionOutput.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct PipelineExecutionIdOutput {
    pub(crate) pipeline_execution_id: String,
}
