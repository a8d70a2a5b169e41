//! Elastic Load Balancing v2: listeners, target groups and target health.

#![warn(unreachable_pub)]

use anyhow::Context;
use aws_sdk_elasticloadbalancingv2::types::{Listener, TargetGroup, TargetHealthDescription};

use crate::aws::{AwsResultExt, Ctx};

/// One listener (DescribeListeners).
pub(crate) async fn listener(ctx: &Ctx, arn: &str) -> anyhow::Result<Listener> {
    let out = ctx
        .aws
        .elb
        .describe_listeners()
        .listener_arns(arn)
        .send()
        .await
        .aws("elbv2:DescribeListeners")
        .with_context(|| format!("reading listener {arn} (Terraform outputs listener_arn)"))?;
    out.listeners
        .unwrap_or_default()
        .into_iter()
        .next()
        .with_context(|| format!("DescribeListeners: listener {arn} not in the answer"))
}

/// Target groups by name (DescribeTargetGroups).
pub(crate) async fn target_groups(ctx: &Ctx, names: &[String]) -> anyhow::Result<Vec<TargetGroup>> {
    let out = ctx
        .aws
        .elb
        .describe_target_groups()
        .set_names(Some(names.to_vec()))
        .send()
        .await
        .aws("elbv2:DescribeTargetGroups")
        .with_context(|| format!("reading target groups {}", names.join(", ")))?;
    Ok(out.target_groups.unwrap_or_default())
}

/// The health of a target group's targets (DescribeTargetHealth); `name` is for the
/// error message.
pub(crate) async fn target_health(
    ctx: &Ctx,
    arn: &str,
    name: &str,
) -> anyhow::Result<Vec<TargetHealthDescription>> {
    let out = ctx
        .aws
        .elb
        .describe_target_health()
        .target_group_arn(arn)
        .send()
        .await
        .aws("elbv2:DescribeTargetHealth")
        .with_context(|| format!("reading the health of target group `{name}`"))?;
    Ok(out.target_health_descriptions.unwrap_or_default())
}
