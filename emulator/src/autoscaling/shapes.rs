//! Application Auto Scaling's answers as serde types, named after botocore's output shapes
//! (PascalCase, as the `application-autoscaling` JSON 1.1 API writes them), and how each
//! is read off the backend's records. A policy's configuration is answered back as it was
//! put (the user's document).

use serde::Serialize;
use serde_json::Value;

use super::backend::{Activity, Policy, ScalableTarget as TargetRecord, DIMENSION, NAMESPACE};

/// RegisterScalableTargetResponse.
#[derive(Debug, Serialize)]
pub(crate) struct RegisterScalableTargetResponse {
    #[serde(rename = "ScalableTargetARN")]
    pub(crate) scalable_target_arn: String,
}

/// DescribeScalableTargetsResponse.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct DescribeScalableTargetsResponse {
    pub(crate) scalable_targets: Vec<ScalableTarget>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) next_token: Option<String>,
}

/// ScalableTarget.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct ScalableTarget {
    pub(crate) service_namespace: &'static str,
    pub(crate) resource_id: String,
    pub(crate) scalable_dimension: &'static str,
    pub(crate) min_capacity: u32,
    pub(crate) max_capacity: u32,
    #[serde(rename = "RoleARN")]
    pub(crate) role_arn: String,
    pub(crate) creation_time: f64,
    pub(crate) suspended_state: SuspendedState,
    #[serde(rename = "ScalableTargetARN")]
    pub(crate) scalable_target_arn: String,
}

/// SuspendedState.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct SuspendedState {
    pub(crate) dynamic_scaling_in_suspended: bool,
    pub(crate) dynamic_scaling_out_suspended: bool,
    pub(crate) scheduled_scaling_suspended: bool,
}

impl ScalableTarget {
    pub(crate) fn of(t: &TargetRecord) -> Self {
        ScalableTarget {
            service_namespace: NAMESPACE,
            resource_id: t.resource_id.clone(),
            scalable_dimension: DIMENSION,
            min_capacity: t.min,
            max_capacity: t.max,
            role_arn: t.role_arn.clone(),
            creation_time: t.created,
            suspended_state: SuspendedState {
                dynamic_scaling_in_suspended: t.suspended.dynamic_in,
                dynamic_scaling_out_suspended: t.suspended.dynamic_out,
                scheduled_scaling_suspended: t.suspended.scheduled,
            },
            scalable_target_arn: t.arn.clone(),
        }
    }
}

/// Alarm (one of a target tracking policy's CloudWatch alarms).
#[derive(Debug, Serialize)]
pub(crate) struct Alarm {
    #[serde(rename = "AlarmName")]
    pub(crate) alarm_name: String,
    #[serde(rename = "AlarmARN")]
    pub(crate) alarm_arn: String,
}

/// A policy's alarms, (name, ARN) as the backend keeps them.
fn alarms(p: &Policy) -> Vec<Alarm> {
    p.alarms
        .iter()
        .map(|(name, arn)| Alarm {
            alarm_name: name.clone(),
            alarm_arn: arn.clone(),
        })
        .collect()
}

/// PutScalingPolicyResponse.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct PutScalingPolicyResponse {
    #[serde(rename = "PolicyARN")]
    pub(crate) policy_arn: String,
    pub(crate) alarms: Vec<Alarm>,
}

impl PutScalingPolicyResponse {
    pub(crate) fn of(p: &Policy) -> Self {
        PutScalingPolicyResponse {
            policy_arn: p.arn.clone(),
            alarms: alarms(p),
        }
    }
}

/// DescribeScalingPoliciesResponse.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct DescribeScalingPoliciesResponse {
    pub(crate) scaling_policies: Vec<ScalingPolicy>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) next_token: Option<String>,
}

/// PolicyType: the local stack serves target tracking only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub(crate) enum PolicyType {
    TargetTrackingScaling,
}

/// ScalingPolicy.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct ScalingPolicy {
    #[serde(rename = "PolicyARN")]
    pub(crate) policy_arn: String,
    pub(crate) policy_name: String,
    pub(crate) service_namespace: &'static str,
    pub(crate) resource_id: String,
    pub(crate) scalable_dimension: &'static str,
    pub(crate) policy_type: PolicyType,
    /// As it was put.
    pub(crate) target_tracking_scaling_policy_configuration: Value,
    pub(crate) alarms: Vec<Alarm>,
    pub(crate) creation_time: f64,
}

impl ScalingPolicy {
    pub(crate) fn of(p: &Policy) -> Self {
        ScalingPolicy {
            policy_arn: p.arn.clone(),
            policy_name: p.name.clone(),
            service_namespace: NAMESPACE,
            resource_id: p.resource_id.clone(),
            scalable_dimension: DIMENSION,
            policy_type: PolicyType::TargetTrackingScaling,
            target_tracking_scaling_policy_configuration: p.raw_config.clone(),
            alarms: alarms(p),
            creation_time: p.created,
        }
    }
}

/// DescribeScalingActivitiesResponse.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct DescribeScalingActivitiesResponse {
    pub(crate) scaling_activities: Vec<ScalingActivity>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) next_token: Option<String>,
}

/// ScalingActivity.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct ScalingActivity {
    pub(crate) activity_id: String,
    pub(crate) service_namespace: &'static str,
    pub(crate) resource_id: String,
    pub(crate) scalable_dimension: &'static str,
    pub(crate) description: String,
    pub(crate) cause: String,
    pub(crate) start_time: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) end_time: Option<f64>,
    /// ScalingActivityStatusCode, as the backend records it.
    pub(crate) status_code: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) status_message: Option<String>,
}

impl ScalingActivity {
    pub(crate) fn of(a: &Activity) -> Self {
        ScalingActivity {
            activity_id: a.id.clone(),
            service_namespace: NAMESPACE,
            resource_id: a.resource_id.clone(),
            scalable_dimension: DIMENSION,
            description: a.description.clone(),
            cause: a.cause.clone(),
            start_time: a.start,
            end_time: a.end,
            status_code: a.status,
            status_message: a.message.clone(),
        }
    }
}
