//! The pipeline a push starts: CodePipeline executions and actions, the CodeBuild build
//! of the Build action, and that build's CloudWatch Logs (for `deployer pipeline`).

#![warn(unreachable_pub)]

use anyhow::Context;
use aws_sdk_codebuild::types::Build;
use aws_sdk_codepipeline::types::{
    ActionExecutionDetail, ActionExecutionFilter, PipelineExecution, PipelineExecutionSummary,
};

use super::{AwsResultExt, Ctx};

fn pipeline(ctx: &Ctx) -> &str {
    &ctx.outputs.pipeline_name
}

/// StartPipelineExecution; returns the new execution's id.
pub(crate) async fn start_execution(ctx: &Ctx) -> anyhow::Result<String> {
    ctx.aws
        .codepipeline
        .start_pipeline_execution()
        .name(pipeline(ctx))
        .send()
        .await
        .aws("codepipeline:StartPipelineExecution")
        .with_context(|| {
            format!(
                "starting pipeline `{}` (Terraform output pipeline_name)",
                pipeline(ctx)
            )
        })?
        .pipeline_execution_id
        .context("StartPipelineExecution returned no pipelineExecutionId")
}

/// The newest executions, newest first.
pub(crate) async fn executions(
    ctx: &Ctx,
    max: i32,
) -> anyhow::Result<Vec<PipelineExecutionSummary>> {
    Ok(ctx
        .aws
        .codepipeline
        .list_pipeline_executions()
        .pipeline_name(pipeline(ctx))
        .max_results(max)
        .send()
        .await
        .aws("codepipeline:ListPipelineExecutions")
        .with_context(|| {
            format!(
                "listing the executions of pipeline `{}` (Terraform output pipeline_name)",
                pipeline(ctx)
            )
        })?
        .pipeline_execution_summaries
        .unwrap_or_default())
}

pub(crate) async fn execution(ctx: &Ctx, id: &str) -> anyhow::Result<PipelineExecution> {
    ctx.aws
        .codepipeline
        .get_pipeline_execution()
        .pipeline_name(pipeline(ctx))
        .pipeline_execution_id(id)
        .send()
        .await
        .aws("codepipeline:GetPipelineExecution")
        .with_context(|| format!("reading execution {id} of pipeline `{}`", pipeline(ctx)))?
        .pipeline_execution
        .context("GetPipelineExecution returned no pipelineExecution")
}

/// The actions of one execution, oldest first.
pub(crate) async fn actions(ctx: &Ctx, id: &str) -> anyhow::Result<Vec<ActionExecutionDetail>> {
    let mut v = ctx
        .aws
        .codepipeline
        .list_action_executions()
        .pipeline_name(pipeline(ctx))
        .filter(
            ActionExecutionFilter::builder()
                .pipeline_execution_id(id)
                .build(),
        )
        .send()
        .await
        .aws("codepipeline:ListActionExecutions")
        .with_context(|| format!("listing the actions of execution {id}"))?
        .action_execution_details
        .unwrap_or_default();
    v.sort_by_key(|a| a.start_time.map(|t| (t.secs(), t.subsec_nanos())));
    Ok(v)
}

pub(crate) async fn build(ctx: &Ctx, id: &str) -> anyhow::Result<Option<Build>> {
    Ok(ctx
        .aws
        .codebuild
        .batch_get_builds()
        .ids(id)
        .send()
        .await
        .aws("codebuild:BatchGetBuilds")
        .with_context(|| format!("reading build {id}"))?
        .builds
        .unwrap_or_default()
        .into_iter()
        .next())
}
