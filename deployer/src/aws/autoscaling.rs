//! Application Auto Scaling (aws-sdk-applicationautoscaling): the service's scalable target
//! (`ecs:service:DesiredCount`), read for `status` and changed by `deployer scale --min
//! --max`. Never prints.

#![warn(unreachable_pub)]

use aws_sdk_applicationautoscaling::types::{ScalableDimension, ServiceNamespace};
use aws_sdk_applicationautoscaling::Client;

use crate::aws::AwsResultExt;

/// The bounds of the service's scalable target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub(crate) struct Bounds {
    pub min: i32,
    pub max: i32,
}

/// `service/<cluster>/<service>`.
pub(crate) fn resource_id(cluster: &str, service: &str) -> String {
    format!("service/{cluster}/{service}")
}

/// The service's scalable target, if one is registered.
pub(crate) async fn bounds(client: &Client, resource_id: &str) -> anyhow::Result<Option<Bounds>> {
    let resp = client
        .describe_scalable_targets()
        .service_namespace(ServiceNamespace::Ecs)
        .scalable_dimension(ScalableDimension::EcsServiceDesiredCount)
        .resource_ids(resource_id)
        .send()
        .await
        .aws("application-autoscaling:DescribeScalableTargets")?;
    Ok(resp.scalable_targets().first().map(|t| Bounds {
        min: t.min_capacity(),
        max: t.max_capacity(),
    }))
}

/// Sets the bounds (RegisterScalableTarget on the existing target: only what is given
/// changes).
pub(crate) async fn set_bounds(
    client: &Client,
    resource_id: &str,
    min: Option<i32>,
    max: Option<i32>,
) -> anyhow::Result<()> {
    client
        .register_scalable_target()
        .service_namespace(ServiceNamespace::Ecs)
        .scalable_dimension(ScalableDimension::EcsServiceDesiredCount)
        .resource_id(resource_id)
        .set_min_capacity(min)
        .set_max_capacity(max)
        .send()
        .await
        .aws("application-autoscaling:RegisterScalableTarget")?;
    Ok(())
}
