//! The Application Auto Scaling JSON 1.1 API (`X-Amz-Target:
//! AnyScaleFrontendService.<Operation>`) over the [`AutoScaling`] backend, shaped as
//! botocore's `application-autoscaling` model says. Served: RegisterScalableTarget,
//! DeregisterScalableTarget, DescribeScalableTargets, PutScalingPolicy,
//! DeleteScalingPolicy, DescribeScalingPolicies, DescribeScalingActivities.

use serde::de::IgnoredAny;
use serde::Deserialize;
use serde_json::Value;

use super::backend::{
    check_scope, member, page_bounds, target_tracking, AutoScaling, PolicyRequest, Registration,
    Scope, Suspended,
};
use super::shapes::*;
use crate::wire::error::{ApiError, Common};
use crate::wire::json::{answer, request, ApiResult};
use crate::wire::shape::Empty;

/// The JSON 1.1 target prefix of Application Auto Scaling.
pub(crate) const TARGET_PREFIX: &str = "AnyScaleFrontendService";

/// The members every request names its target by.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct TargetRequest {
    service_namespace: Option<String>,
    resource_id: Option<String>,
    scalable_dimension: Option<String>,
}

impl TargetRequest {
    fn scope(&self) -> Scope<'_> {
        Scope {
            namespace: self.service_namespace.as_deref(),
            dimension: self.scalable_dimension.as_deref(),
        }
    }
}

/// RegisterScalableTargetRequest.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RegisterScalableTargetRequest {
    service_namespace: Option<String>,
    resource_id: Option<String>,
    scalable_dimension: Option<String>,
    min_capacity: Option<u32>,
    max_capacity: Option<u32>,
    #[serde(rename = "RoleARN")]
    role_arn: Option<String>,
    suspended_state: Option<SuspendedState>,
}

/// SuspendedState.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct SuspendedState {
    dynamic_scaling_in_suspended: Option<bool>,
    dynamic_scaling_out_suspended: Option<bool>,
    scheduled_scaling_suspended: Option<bool>,
}

/// DescribeScalableTargetsRequest.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct DescribeScalableTargetsRequest {
    service_namespace: Option<String>,
    #[serde(default)]
    resource_ids: Vec<String>,
    scalable_dimension: Option<String>,
    max_results: Option<u32>,
    next_token: Option<String>,
}

/// PutScalingPolicyRequest (the configuration is kept as given: DescribeScalingPolicies
/// answers it back).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct PutScalingPolicyRequest {
    policy_name: Option<String>,
    service_namespace: Option<String>,
    resource_id: Option<String>,
    scalable_dimension: Option<String>,
    policy_type: Option<String>,
    target_tracking_scaling_policy_configuration: Option<Value>,
}

/// TargetTrackingScalingPolicyConfiguration, the members the local stack reads.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct TargetTrackingConfiguration {
    target_value: Option<f64>,
    predefined_metric_specification: Option<PredefinedMetricSpecification>,
    customized_metric_specification: Option<IgnoredAny>,
    scale_out_cooldown: Option<u32>,
    scale_in_cooldown: Option<u32>,
    disable_scale_in: Option<bool>,
}

/// PredefinedMetricSpecification.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct PredefinedMetricSpecification {
    predefined_metric_type: Option<String>,
}

/// DeleteScalingPolicyRequest.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct DeleteScalingPolicyRequest {
    policy_name: Option<String>,
    service_namespace: Option<String>,
    resource_id: Option<String>,
    scalable_dimension: Option<String>,
}

/// DescribeScalingPoliciesRequest and DescribeScalingActivitiesRequest.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct DescribeRequest {
    #[serde(default)]
    policy_names: Vec<String>,
    service_namespace: Option<String>,
    resource_id: Option<String>,
    scalable_dimension: Option<String>,
    max_results: Option<u32>,
    next_token: Option<String>,
}

fn scope<'a>(namespace: &'a Option<String>, dimension: &'a Option<String>) -> Scope<'a> {
    Scope {
        namespace: namespace.as_deref(),
        dimension: dimension.as_deref(),
    }
}

/// One page of `items`, with the NextToken of the next.
fn page<T>(
    items: Vec<T>,
    max_results: Option<u32>,
    next_token: Option<&str>,
) -> Result<(Vec<T>, Option<String>), ApiError> {
    let (offset, max) = page_bounds(max_results, next_token)?;
    let total = items.len();
    let page: Vec<T> = items.into_iter().skip(offset).take(max).collect();
    let end = offset + page.len();
    Ok((page, (end < total).then(|| end.to_string())))
}

/// Handles one operation; `now` is epoch seconds.
pub(crate) fn handle(backend: &AutoScaling, op: &str, input: &Value, now: f64) -> ApiResult {
    match op {
        "RegisterScalableTarget" => {
            let r: RegisterScalableTargetRequest = request(input)?;
            check_scope(scope(&r.service_namespace, &r.scalable_dimension), true)?;
            let suspended = r.suspended_state.map(|s| Suspended {
                dynamic_in: s.dynamic_scaling_in_suspended.unwrap_or(false),
                dynamic_out: s.dynamic_scaling_out_suspended.unwrap_or(false),
                scheduled: s.scheduled_scaling_suspended.unwrap_or(false),
            });
            let arn = backend.register(
                &Registration {
                    resource_id: member(r.resource_id.as_deref(), "ResourceId")?.to_string(),
                    min: r.min_capacity,
                    max: r.max_capacity,
                    role_arn: r.role_arn,
                    suspended,
                },
                now,
            )?;
            answer(RegisterScalableTargetResponse {
                scalable_target_arn: arn,
            })
        }
        "DeregisterScalableTarget" => {
            let r: TargetRequest = request(input)?;
            check_scope(r.scope(), true)?;
            backend.deregister(member(r.resource_id.as_deref(), "ResourceId")?)?;
            answer(Empty {})
        }
        "DescribeScalableTargets" => {
            let r: DescribeScalableTargetsRequest = request(input)?;
            check_scope(scope(&r.service_namespace, &r.scalable_dimension), false)?;
            let items = backend
                .targets(&r.resource_ids)
                .iter()
                .map(ScalableTarget::of)
                .collect();
            let (scalable_targets, next_token) =
                page(items, r.max_results, r.next_token.as_deref())?;
            answer(DescribeScalableTargetsResponse {
                scalable_targets,
                next_token,
            })
        }
        "PutScalingPolicy" => {
            let r: PutScalingPolicyRequest = request(input)?;
            check_scope(scope(&r.service_namespace, &r.scalable_dimension), true)?;
            let name = member(r.policy_name.as_deref(), "PolicyName")?;
            let resource = member(r.resource_id.as_deref(), "ResourceId")?;
            let raw = r
                .target_tracking_scaling_policy_configuration
                .filter(Value::is_object);
            let c: TargetTrackingConfiguration = match &raw {
                Some(v) => request(v)?,
                None => TargetTrackingConfiguration::default(),
            };
            let config = target_tracking(&PolicyRequest {
                policy_type: r.policy_type,
                configured: raw.is_some(),
                target_value: c.target_value,
                customized_metric: c.customized_metric_specification.is_some(),
                metric_type: c
                    .predefined_metric_specification
                    .and_then(|p| p.predefined_metric_type),
                scale_out_cooldown: c.scale_out_cooldown,
                scale_in_cooldown: c.scale_in_cooldown,
                disable_scale_in: c.disable_scale_in,
            })?;
            let p = backend.put_policy(resource, name, config, raw.unwrap_or_default(), now)?;
            answer(PutScalingPolicyResponse::of(&p))
        }
        "DeleteScalingPolicy" => {
            let r: DeleteScalingPolicyRequest = request(input)?;
            check_scope(scope(&r.service_namespace, &r.scalable_dimension), true)?;
            backend.delete_policy(
                member(r.resource_id.as_deref(), "ResourceId")?,
                member(r.policy_name.as_deref(), "PolicyName")?,
            )?;
            answer(Empty {})
        }
        "DescribeScalingPolicies" => {
            let r: DescribeRequest = request(input)?;
            check_scope(scope(&r.service_namespace, &r.scalable_dimension), false)?;
            let items = backend
                .policies(r.resource_id.as_deref(), &r.policy_names)
                .iter()
                .map(ScalingPolicy::of)
                .collect();
            let (scaling_policies, next_token) =
                page(items, r.max_results, r.next_token.as_deref())?;
            answer(DescribeScalingPoliciesResponse {
                scaling_policies,
                next_token,
            })
        }
        "DescribeScalingActivities" => {
            let r: DescribeRequest = request(input)?;
            check_scope(scope(&r.service_namespace, &r.scalable_dimension), false)?;
            let items = backend
                .activities(r.resource_id.as_deref())
                .iter()
                .map(ScalingActivity::of)
                .collect();
            let (scaling_activities, next_token) =
                page(items, r.max_results, r.next_token.as_deref())?;
            answer(DescribeScalingActivitiesResponse {
                scaling_activities,
                next_token,
            })
        }
        _ => Err(ApiError::new(
            Common::UnknownOperationException,
            format!(
                "{TARGET_PREFIX}.{op} is not served by the local stack (RegisterScalableTarget, \
                 DeregisterScalableTarget, DescribeScalableTargets, PutScalingPolicy, DeleteScalingPolicy, \
                 DescribeScalingPolicies, DescribeScalingActivities are)"
            ),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::super::engine::{Observation, Params};
    use super::*;
    use serde_json::json;

    #[test]
    fn requests_fit_botocore() {
        use crate::botocore_check::request_fits_botocore as fits;
        const S: &str = "application-autoscaling";
        fits::<TargetRequest>(S, "DeregisterScalableTarget");
        fits::<RegisterScalableTargetRequest>(S, "RegisterScalableTarget");
        fits::<DescribeScalableTargetsRequest>(S, "DescribeScalableTargets");
        fits::<PutScalingPolicyRequest>(S, "PutScalingPolicy");
        fits::<DeleteScalingPolicyRequest>(S, "DeleteScalingPolicy");
        fits::<DescribeRequest>(S, "DescribeScalingPolicies");
    }

    fn backend() -> AutoScaling {
        AutoScaling::new(
            "us-east-1",
            "000000000000",
            vec!["service/demo/demo".into()],
        )
    }

    fn scope() -> Value {
        json!({"ServiceNamespace": "ecs", "ScalableDimension": "ecs:service:DesiredCount",
               "ResourceId": "service/demo/demo"})
    }

    fn with(mut base: Value, extra: Value) -> Value {
        for (k, v) in extra.as_object().unwrap() {
            base[k] = v.clone();
        }
        base
    }

    fn fits_botocore(op: &str, value: &Value) {
        crate::botocore_check::fits_botocore("application-autoscaling", op, value);
    }

    #[test]
    fn a_session_fits_botocore_shapes() {
        let b = backend();
        let v = handle(
            &b,
            "RegisterScalableTarget",
            &with(scope(), json!({"MinCapacity": 2, "MaxCapacity": 4})),
            100.0,
        )
        .unwrap();
        fits_botocore("RegisterScalableTarget", &v);
        let v = handle(
            &b,
            "PutScalingPolicy",
            &with(
                scope(),
                json!({"PolicyName": "cpu", "PolicyType": "TargetTrackingScaling",
                       "TargetTrackingScalingPolicyConfiguration": {
                           "TargetValue": 60.0,
                           "PredefinedMetricSpecification": {"PredefinedMetricType": "ECSServiceAverageCPUUtilization"},
                           "ScaleOutCooldown": 5, "ScaleInCooldown": 10}}),
            ),
            100.0,
        )
        .unwrap();
        fits_botocore("PutScalingPolicy", &v);
        let d = b.evaluate(
            "service/demo/demo",
            Observation {
                now: 1.0,
                desired: 1,
                metric: None,
                deployment_in_progress: false,
            },
            None,
            None,
            Params::default(),
        );
        assert_eq!(d.map(|d| d.to), Some(2), "brought into the bounds");
        for op in [
            "DescribeScalableTargets",
            "DescribeScalingPolicies",
            "DescribeScalingActivities",
        ] {
            let v = handle(&b, op, &json!({"ServiceNamespace": "ecs"}), 101.0).unwrap();
            fits_botocore(op, &v);
        }
        let v = handle(
            &b,
            "DescribeScalableTargets",
            &json!({"ServiceNamespace": "ecs", "ResourceIds": ["service/demo/demo"]}),
            101.0,
        )
        .unwrap();
        assert_eq!(v["ScalableTargets"][0]["MinCapacity"], 2);
        assert_eq!(v["ScalableTargets"][0]["MaxCapacity"], 4);
        assert_eq!(v["ScalableTargets"][0]["CreationTime"], 100.0);
        let v = handle(
            &b,
            "DescribeScalingPolicies",
            &json!({"ServiceNamespace": "ecs"}),
            101.0,
        )
        .unwrap();
        assert_eq!(
            v["ScalingPolicies"][0]["TargetTrackingScalingPolicyConfiguration"]["TargetValue"],
            60.0
        );
        assert_eq!(
            v["ScalingPolicies"][0]["PolicyType"],
            "TargetTrackingScaling"
        );
        let v = handle(
            &b,
            "DescribeScalingActivities",
            &json!({"ServiceNamespace": "ecs"}),
            101.0,
        )
        .unwrap();
        let a = &v["ScalingActivities"][0];
        assert_eq!(a["StatusCode"], "Successful");
        assert_eq!(a["EndTime"], 1.0);
        assert!(v.get("NextToken").is_none());
        for (op, input) in [
            (
                "DeleteScalingPolicy",
                with(scope(), json!({"PolicyName": "cpu"})),
            ),
            ("DeregisterScalableTarget", scope()),
        ] {
            let v = handle(&b, op, &input, 102.0).unwrap();
            assert_eq!(v, json!({}), "{op}");
            fits_botocore(op, &v);
        }
    }

    /// The shape check can fail: a member the output shape does not have.
    #[test]
    #[should_panic(expected = "does not fit botocore")]
    fn an_unknown_member_does_not_fit() {
        let b = backend();
        let input = with(scope(), json!({"MinCapacity": 2, "MaxCapacity": 4}));
        let mut v = handle(&b, "RegisterScalableTarget", &input, 100.0).unwrap();
        v["ScalableTargetArn"] = v["ScalableTargetARN"].clone();
        fits_botocore("RegisterScalableTarget", &v);
    }

    #[test]
    fn errors_carry_aws_codes() {
        let b = backend();
        let code = |op: &str, input: Value| handle(&b, op, &input, 1.0).unwrap_err().code;
        assert_eq!(
            code(
                "DescribeScalableTargets",
                json!({"ServiceNamespace": "dynamodb"})
            ),
            "ValidationException"
        );
        assert_eq!(
            code("DescribeScalableTargets", json!({})),
            "ValidationException"
        );
        assert_eq!(
            code(
                "RegisterScalableTarget",
                with(
                    scope(),
                    json!({"ResourceId": "service/demo/x", "MinCapacity": 1, "MaxCapacity": 2})
                )
            ),
            "ValidationException"
        );
        assert_eq!(
            code(
                "PutScalingPolicy",
                with(
                    scope(),
                    json!({"PolicyName": "p", "PolicyType": "TargetTrackingScaling",
                    "TargetTrackingScalingPolicyConfiguration": {"TargetValue": 50.0,
                        "PredefinedMetricSpecification": {"PredefinedMetricType": "ECSServiceAverageCPUUtilization"}}})
                )
            ),
            "ObjectNotFoundException"
        );
        assert_eq!(
            code(
                "PutScalingPolicy",
                with(
                    scope(),
                    json!({"PolicyName": "p", "PolicyType": "StepScaling"})
                )
            ),
            "ValidationException"
        );
        assert_eq!(
            code(
                "DescribeScalableTargets",
                json!({"ServiceNamespace": "ecs", "NextToken": "x"})
            ),
            "InvalidNextTokenException"
        );
        assert_eq!(
            code(
                "DescribeScalableTargets",
                json!({"ServiceNamespace": "ecs", "MaxResults": 0})
            ),
            "ValidationException"
        );
        assert_eq!(code("TagResource", json!({})), "UnknownOperationException");
    }
}
