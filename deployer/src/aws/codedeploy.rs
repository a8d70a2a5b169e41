//! CodeDeploy: the deployment group, its deployments, and the calls that create,
//! approve and stop them.

#![warn(unreachable_pub)]

use anyhow::Context;
use aws_sdk_codedeploy::types::{
    AppSpecContent, DeploymentConfigInfo, DeploymentGroupInfo, DeploymentInfo, DeploymentStatus,
    DeploymentWaitType, EcsTarget, RevisionLocation, RevisionLocationType,
};

use crate::aws::{AwsResultExt, Ctx};
use deployer_models::render::Templates;

/// Statuses of a deployment in flight (the ones `ListDeployments` filters on).
pub(crate) const IN_FLIGHT: [DeploymentStatus; 5] = [
    DeploymentStatus::Created,
    DeploymentStatus::Queued,
    DeploymentStatus::InProgress,
    DeploymentStatus::Baking,
    DeploymentStatus::Ready,
];

/// The deployment group's settings (GetDeploymentGroup).
pub(crate) async fn deployment_group(ctx: &Ctx) -> anyhow::Result<DeploymentGroupInfo> {
    let o = &ctx.outputs;
    ctx.aws
        .codedeploy
        .get_deployment_group()
        .application_name(&o.codedeploy_app_name)
        .deployment_group_name(&o.codedeploy_group_name)
        .send()
        .await
        .aws("codedeploy:GetDeploymentGroup")
        .with_context(|| {
            format!(
                "reading deployment group `{}` of application `{}` (Terraform outputs \
                 codedeploy_app_name, codedeploy_group_name)",
                o.codedeploy_group_name, o.codedeploy_app_name
            )
        })?
        .deployment_group_info
        .context("GetDeploymentGroup: the answer has no deploymentGroupInfo")
}

/// The alarms the group stops a deployment on (its alarm configuration, when enabled).
pub(crate) fn watched_alarms(group: &DeploymentGroupInfo) -> Vec<String> {
    group
        .alarm_configuration
        .as_ref()
        .filter(|c| c.enabled)
        .map(|c| c.alarms().iter().filter_map(|a| a.name.clone()).collect())
        .unwrap_or_default()
}

/// A deployment configuration (GetDeploymentConfig).
pub(crate) async fn deployment_config(
    ctx: &Ctx,
    name: &str,
) -> anyhow::Result<Option<DeploymentConfigInfo>> {
    Ok(ctx
        .aws
        .codedeploy
        .get_deployment_config()
        .deployment_config_name(name)
        .send()
        .await
        .aws("codedeploy:GetDeploymentConfig")
        .with_context(|| format!("reading deployment config `{name}`"))?
        .deployment_config_info)
}

/// Deployment ids of the group, optionally only those in the given statuses (all
/// pages).
pub(crate) async fn list_deployments(
    ctx: &Ctx,
    statuses: &[DeploymentStatus],
) -> anyhow::Result<Vec<String>> {
    let o = &ctx.outputs;
    let mut req = ctx
        .aws
        .codedeploy
        .list_deployments()
        .application_name(&o.codedeploy_app_name)
        .deployment_group_name(&o.codedeploy_group_name);
    for s in statuses {
        req = req.include_only_statuses(s.clone());
    }
    let mut pages = req.into_paginator().send();
    let mut ids = Vec::new();
    while let Some(page) = pages.next().await {
        let page = page.aws("codedeploy:ListDeployments").with_context(|| {
            format!(
                "listing the deployments of group `{}` of application `{}`",
                o.codedeploy_group_name, o.codedeploy_app_name
            )
        })?;
        ids.extend(page.deployments.unwrap_or_default());
    }
    Ok(ids)
}

/// Details of deployments (BatchGetDeployments, 25 at a time), newest first.
pub(crate) async fn deployments(ctx: &Ctx, ids: &[String]) -> anyhow::Result<Vec<DeploymentInfo>> {
    let mut all = Vec::new();
    for chunk in ids.chunks(25) {
        let out = ctx
            .aws
            .codedeploy
            .batch_get_deployments()
            .set_deployment_ids(Some(chunk.to_vec()))
            .send()
            .await
            .aws("codedeploy:BatchGetDeployments")
            .context("reading deployments")?;
        all.extend(out.deployments_info.unwrap_or_default());
    }
    all.sort_by_key(|d| std::cmp::Reverse(d.create_time.map(|t| (t.secs(), t.subsec_nanos()))));
    Ok(all)
}

/// The deployments of the group that are still in flight, newest first.
pub(crate) async fn in_flight(ctx: &Ctx) -> anyhow::Result<Vec<DeploymentInfo>> {
    let ids = list_deployments(ctx, &IN_FLIGHT).await?;
    let infos = deployments(ctx, &ids).await?;
    // ListDeployments filters on status; BatchGetDeployments is re-checked in case
    // a deployment ended between the two calls.
    Ok(infos
        .into_iter()
        .filter(|d| d.status.as_ref().is_some_and(|s| IN_FLIGHT.contains(s)))
        .collect())
}

/// Where a deployment in flight stands and what ends it, for a refusal: "d-X is
/// InProgress, in its termination wait until 2026-12-04T16:05:00Z (...)". Reads the
/// deployment's target for when production traffic switched.
pub(crate) async fn in_flight_message(ctx: &Ctx, d: &DeploymentInfo) -> String {
    let id = d.deployment_id.as_deref().unwrap_or("?");
    let status = d.status.as_ref().map(|s| s.as_str()).unwrap_or("?");
    let head =
        format!("deployment {id} is {status}; CodeDeploy runs one deployment per group at a time");
    if d.instance_termination_wait_time_started {
        // Best effort: a target that cannot be read only leaves out "until when".
        let until = match termination_wait_until(ctx, d).await.ok().flatten() {
            Some(t) => format!(
                " until {}",
                t.fmt(aws_smithy_types::date_time::Format::DateTime)
                    .unwrap_or_default()
            ),
            None => String::new(),
        };
        return format!(
            "{head}: it is in its termination wait{until} (production traffic is on the \
             replacement; the original task set is kept until then): \
             `deployer continue --termination {id}` ends the wait now, or follow it with \
             `deployer wait {id}`"
        );
    }
    if status == "Ready" {
        return format!(
            "{head}: it waits for approval of the traffic switch: `deployer continue {id}` \
             switches traffic, `deployer rollback` stops it, `deployer wait {id}` follows it"
        );
    }
    format!(
        "{head}: follow it with `deployer wait {id}` (then deploy), approve it with \
         `deployer continue {id}` once it waits for approval, or stop it with \
         `deployer rollback`"
    )
}

/// When the termination wait of a deployment in it ends: the end of its AllowTraffic
/// (or AfterAllowTraffic) lifecycle event plus the group's wait; `None` when the
/// deployment or its target does not say.
async fn termination_wait_until(
    ctx: &Ctx,
    d: &DeploymentInfo,
) -> anyhow::Result<Option<aws_smithy_types::DateTime>> {
    let minutes = d
        .blue_green_deployment_configuration
        .as_ref()
        .and_then(|b| b.terminate_blue_instances_on_deployment_success.as_ref())
        .map(|t| i64::from(t.termination_wait_time_in_minutes));
    let (Some(minutes), Some(id)) = (minutes, d.deployment_id.as_deref()) else {
        return Ok(None);
    };
    let Some(target) = ecs_target(ctx, id).await? else {
        return Ok(None);
    };
    let switched = target
        .lifecycle_events
        .unwrap_or_default()
        .into_iter()
        .filter(|e| {
            matches!(
                e.lifecycle_event_name.as_deref(),
                Some("AllowTraffic" | "AfterAllowTraffic")
            )
        })
        .filter_map(|e| e.end_time)
        .map(|t| t.secs())
        .max();
    Ok(switched.map(|s| aws_smithy_types::DateTime::from_secs(s + minutes * 60)))
}

/// The newest deployment of the group, if any.
pub(crate) async fn latest_deployment(ctx: &Ctx) -> anyhow::Result<Option<String>> {
    let ids = list_deployments(ctx, &[]).await?;
    // ListDeployments has no documented order: read them all (25 per call) and take
    // the newest by creation time.
    let infos = deployments(ctx, &ids).await?;
    Ok(infos.into_iter().find_map(|d| d.deployment_id))
}

/// One deployment (GetDeployment).
pub(crate) async fn deployment(ctx: &Ctx, id: &str) -> anyhow::Result<DeploymentInfo> {
    ctx.aws
        .codedeploy
        .get_deployment()
        .deployment_id(id)
        .send()
        .await
        .aws("codedeploy:GetDeployment")
        .with_context(|| format!("reading deployment {id}"))?
        .deployment_info
        .with_context(|| format!("GetDeployment {id}: the answer has no deploymentInfo"))
}

/// The Lambda hooks (lifecycle event, function) of a deployment's AppSpec, read from its
/// revision's inline content (GetDeployment); none for a revision kept elsewhere (S3).
pub(crate) async fn hooks(ctx: &Ctx, id: &str) -> anyhow::Result<Vec<(String, String)>> {
    Ok(hooks_of(&deployment(ctx, id).await?))
}

/// The Lambda hooks (lifecycle event, function) of a deployment's AppSpec, from the
/// deployment as GetDeployment or BatchGetDeployments answered it (its revision's inline
/// content); none for a revision kept elsewhere (S3) or an AppSpec that does not parse.
pub(crate) fn hooks_of(info: &DeploymentInfo) -> Vec<(String, String)> {
    let content = info
        .revision()
        .and_then(|r| r.app_spec_content())
        .and_then(|c| c.content());
    match content {
        Some(text) => deployer_models::appspec::Target::parse(text)
            .map(|t| t.hooks)
            .unwrap_or_default(),
        None => Vec::new(),
    }
}

/// The ECS target of a deployment (ListDeploymentTargets, then GetDeploymentTarget of
/// the first), or `None` before CodeDeploy created it.
pub(crate) async fn ecs_target(ctx: &Ctx, id: &str) -> anyhow::Result<Option<EcsTarget>> {
    let targets = ctx
        .aws
        .codedeploy
        .list_deployment_targets()
        .deployment_id(id)
        .send()
        .await
        .aws("codedeploy:ListDeploymentTargets")
        .with_context(|| format!("listing the targets of deployment {id}"))?;
    let Some(target_id) = targets.target_ids.unwrap_or_default().into_iter().next() else {
        return Ok(None);
    };
    let target = ctx
        .aws
        .codedeploy
        .get_deployment_target()
        .deployment_id(id)
        .target_id(&target_id)
        .send()
        .await
        .aws("codedeploy:GetDeploymentTarget")
        .with_context(|| format!("reading target {target_id} of deployment {id}"))?;
    Ok(target.deployment_target.and_then(|t| t.ecs_target))
}

/// The id of a deployment's first target (ListDeploymentTargets), or `None` before
/// CodeDeploy created it.
pub(crate) async fn first_target_id(ctx: &Ctx, id: &str) -> anyhow::Result<Option<String>> {
    let targets = ctx
        .aws
        .codedeploy
        .list_deployment_targets()
        .deployment_id(id)
        .send()
        .await
        .aws("codedeploy:ListDeploymentTargets")
        .with_context(|| format!("listing the targets of deployment {id}"))?;
    Ok(targets.target_ids.unwrap_or_default().into_iter().next())
}

/// The ECS target `target_id` of a deployment (GetDeploymentTarget).
pub(crate) async fn ecs_target_of(
    ctx: &Ctx,
    id: &str,
    target_id: &str,
) -> anyhow::Result<Option<EcsTarget>> {
    let target = ctx
        .aws
        .codedeploy
        .get_deployment_target()
        .deployment_id(id)
        .target_id(target_id)
        .send()
        .await
        .aws("codedeploy:GetDeploymentTarget")
        .with_context(|| format!("reading target {target_id} of deployment {id}"))?;
    Ok(target.deployment_target.and_then(|t| t.ecs_target))
}

/// CreateDeployment with the rendered appspec inline; returns the deployment id.
pub(crate) async fn create_deployment(
    ctx: &Ctx,
    templates: &Templates,
    task_definition_arn: &str,
    description: Option<&str>,
) -> anyhow::Result<String> {
    let o = &ctx.outputs;
    let appspec = templates
        .render_appspec(o, Some(task_definition_arn))?
        .to_yaml();
    let revision = RevisionLocation::builder()
        .revision_type(RevisionLocationType::AppSpecContent)
        .app_spec_content(AppSpecContent::builder().content(appspec).build())
        .build();
    let description = description
        .map(str::to_owned)
        .unwrap_or_else(|| format!("deployer: {task_definition_arn}"));
    let out = ctx
        .aws
        .codedeploy
        .create_deployment()
        .application_name(&o.codedeploy_app_name)
        .deployment_group_name(&o.codedeploy_group_name)
        .revision(revision)
        .description(description)
        .send()
        .await
        .aws("codedeploy:CreateDeployment");
    let out = match out {
        Ok(out) => out,
        Err(err) => {
            let context = format!(
                "creating a deployment of {task_definition_arn} in group `{}` (the \
                 registered revision is kept; the next deploy reuses it)",
                o.codedeploy_group_name
            );
            // Another deployment started since the preflight looked: say which.
            if crate::aws::exit_code(&err) == crate::exit::Code::InFlight {
                if let Ok(Some(d)) = in_flight(ctx).await.map(|v| v.into_iter().next()) {
                    let msg = in_flight_message(ctx, &d).await;
                    return Err(err.context(msg).context(context));
                }
            }
            return Err(err.context(context));
        }
    };
    out.deployment_id
        .context("CreateDeployment: the answer has no deploymentId")
}

/// ContinueDeployment for the given wait.
pub(crate) async fn continue_deployment(
    ctx: &Ctx,
    id: &str,
    wait: DeploymentWaitType,
) -> anyhow::Result<()> {
    ctx.aws
        .codedeploy
        .continue_deployment()
        .deployment_id(id)
        .deployment_wait_type(wait.clone())
        .send()
        .await
        .aws("codedeploy:ContinueDeployment")
        .with_context(|| format!("continuing deployment {id} ({})", wait.as_str()))?;
    Ok(())
}

/// StopDeployment with automatic rollback.
pub(crate) async fn stop_with_rollback(ctx: &Ctx, id: &str) -> anyhow::Result<()> {
    ctx.aws
        .codedeploy
        .stop_deployment()
        .deployment_id(id)
        .auto_rollback_enabled(true)
        .send()
        .await
        .aws("codedeploy:StopDeployment")
        .with_context(|| format!("stopping deployment {id} with rollback"))?;
    Ok(())
}

/// Whether CodeDeploy is done with a deployment in this status (nothing changes after).
pub(crate) fn is_finished(status: &str) -> bool {
    matches!(status, "Succeeded" | "Failed" | "Stopped")
}

/// Checks the shape of a deployment id before asking AWS about it.
pub(crate) fn check_deployment_id(id: &str) -> anyhow::Result<()> {
    let ok = id.len() == 11
        && id.starts_with("d-")
        && id[2..]
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit());
    if ok {
        Ok(())
    } else {
        Err(crate::exit::bad_input(format!(
            "deployment id {id:?}: expected `d-` and 9 upper-case letters or digits \
             (e.g. d-ABCDE1234)"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exit::Code;

    #[tokio::test]
    async fn a_termination_wait_is_named_with_its_end_and_the_continue_that_ends_it() {
        use crate::aws::mock::{self, mock};
        use aws_sdk_codedeploy::operation::get_deployment_target::GetDeploymentTargetOutput;
        use aws_sdk_codedeploy::operation::list_deployment_targets::ListDeploymentTargetsOutput;
        use aws_sdk_codedeploy::types::{
            BlueGreenDeploymentConfiguration, BlueInstanceTerminationOption, DeploymentTarget,
            LifecycleEvent,
        };
        use aws_smithy_types::DateTime;

        let targets =
            mock!(aws_sdk_codedeploy::Client::list_deployment_targets).then_output(|| {
                ListDeploymentTargetsOutput::builder()
                    .target_ids("t")
                    .build()
            });
        let target = mock!(aws_sdk_codedeploy::Client::get_deployment_target).then_output(|| {
            let event = |name: &str, end: i64| {
                LifecycleEvent::builder()
                    .lifecycle_event_name(name)
                    .end_time(DateTime::from_secs(end))
                    .build()
            };
            GetDeploymentTargetOutput::builder()
                .deployment_target(
                    DeploymentTarget::builder()
                        .ecs_target(
                            EcsTarget::builder()
                                .lifecycle_events(event("AfterAllowTestTraffic", 400))
                                .lifecycle_events(event("AllowTraffic", 1_000))
                                .build(),
                        )
                        .build(),
                )
                .build()
        });
        let ctx = mock::ctx(&[&targets, &target]);
        let waiting = DeploymentInfo::builder()
            .deployment_id("d-ABCDE1234")
            .status(DeploymentStatus::InProgress)
            .instance_termination_wait_time_started(true)
            .blue_green_deployment_configuration(
                BlueGreenDeploymentConfiguration::builder()
                    .terminate_blue_instances_on_deployment_success(
                        BlueInstanceTerminationOption::builder()
                            .termination_wait_time_in_minutes(5)
                            .build(),
                    )
                    .build(),
            )
            .build();
        let text = in_flight_message(&ctx, &waiting).await;
        // AllowTraffic ended at 1000 s; the wait is 5 minutes: 1300 s.
        assert!(
            text.contains("termination wait until 1970-01-01T00:21:40Z"),
            "{text}"
        );
        assert!(
            text.contains("`deployer continue --termination d-ABCDE1234`"),
            "{text}"
        );
        let ready = DeploymentInfo::builder()
            .deployment_id("d-ABCDE1234")
            .status(DeploymentStatus::Ready)
            .build();
        let text = in_flight_message(&ctx, &ready).await;
        assert!(text.contains("waits for approval"), "{text}");
        assert!(text.contains("`deployer continue d-ABCDE1234`"), "{text}");
    }

    #[test]
    fn deployment_ids_are_checked() {
        assert!(check_deployment_id("d-ABCDE1234").is_ok());
        let err = check_deployment_id("abc").unwrap_err();
        assert_eq!(Code::from_error(&err), Code::BadInput);
        assert!(check_deployment_id("d-abcde1234").is_err());
    }
}
