//! The Application Auto Scaling JSON 1.1 API (`X-Amz-Target:
//! AnyScaleFrontendService.<Operation>`) over the [`AutoScaling`] backend, shaped as
//! botocore's `application-autoscaling` model says. Served: RegisterScalableTarget,
//! DeregisterScalableTarget, DescribeScalableTargets, PutScalingPolicy,
//! DeleteScalingPolicy, DescribeScalingPolicies, DescribeScalingActivities.

use serde::de::IgnoredAny;
use serde::Deserialize;
use serde_json::{json, Value};

use super::backend::{
    check_scope, member, page_bounds, target_json, target_tracking, AutoScaling, PolicyRequest,
    Registration, Scope, Suspended, DIMENSION, NAMESPACE,
};
use crate::wire::error::{ApiError, Common};
use crate::wire::json::{request, ApiResult};

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

/// One page of `items` under `key`, with the NextToken of the next.
fn page(
    items: Vec<Value>,
    max_results: Option<u32>,
    next_token: Option<&str>,
    key: &str,
) -> ApiResult {
    let (offset, max) = page_bounds(max_results, next_token)?;
    let total = items.len();
    let page: Vec<Value> = items.into_iter().skip(offset).take(max).collect();
    let len = page.len();
    let mut out = json!({ key: page });
    if offset + len < total {
        out["NextToken"] = json!((offset + len).to_string());
    }
    Ok(out)
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
            Ok(json!({"ScalableTargetARN": arn}))
        }
        "DeregisterScalableTarget" => {
            let r: TargetRequest = request(input)?;
            check_scope(r.scope(), true)?;
            backend.deregister(member(r.resource_id.as_deref(), "ResourceId")?)?;
            Ok(json!({}))
        }
        "DescribeScalableTargets" => {
            let r: DescribeScalableTargetsRequest = request(input)?;
            check_scope(scope(&r.service_namespace, &r.scalable_dimension), false)?;
            let items = backend
                .targets(&r.resource_ids)
                .iter()
                .map(target_json)
                .collect();
            page(
                items,
                r.max_results,
                r.next_token.as_deref(),
                "ScalableTargets",
            )
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
            Ok(json!({
                "PolicyARN": p.arn,
                "Alarms": p.alarms.iter().map(|(n, a)| json!({"AlarmName": n, "AlarmARN": a})).collect::<Vec<_>>(),
            }))
        }
        "DeleteScalingPolicy" => {
            let r: DeleteScalingPolicyRequest = request(input)?;
            check_scope(scope(&r.service_namespace, &r.scalable_dimension), true)?;
            backend.delete_policy(
                member(r.resource_id.as_deref(), "ResourceId")?,
                member(r.policy_name.as_deref(), "PolicyName")?,
            )?;
            Ok(json!({}))
        }
        "DescribeScalingPolicies" => {
            let r: DescribeRequest = request(input)?;
            check_scope(scope(&r.service_namespace, &r.scalable_dimension), false)?;
            let items = backend
                .policies(r.resource_id.as_deref(), &r.policy_names)
                .iter()
                .map(|p| {
                    json!({
                        "PolicyARN": p.arn,
                        "PolicyName": p.name,
                        "ServiceNamespace": NAMESPACE,
                        "ResourceId": p.resource_id,
                        "ScalableDimension": DIMENSION,
                        "PolicyType": "TargetTrackingScaling",
                        "TargetTrackingScalingPolicyConfiguration": p.raw_config,
                        "Alarms": p.alarms.iter().map(|(n, a)| json!({"AlarmName": n, "AlarmARN": a})).collect::<Vec<_>>(),
                        "CreationTime": p.created,
                    })
                })
                .collect();
            page(
                items,
                r.max_results,
                r.next_token.as_deref(),
                "ScalingPolicies",
            )
        }
        "DescribeScalingActivities" => {
            let r: DescribeRequest = request(input)?;
            check_scope(scope(&r.service_namespace, &r.scalable_dimension), false)?;
            let items = backend
                .activities(r.resource_id.as_deref())
                .iter()
                .map(|a| {
                    let mut v = json!({
                        "ActivityId": a.id,
                        "ServiceNamespace": NAMESPACE,
                        "ResourceId": a.resource_id,
                        "ScalableDimension": DIMENSION,
                        "Description": a.description,
                        "Cause": a.cause,
                        "StartTime": a.start,
                        "StatusCode": a.status,
                    });
                    if let Some(end) = a.end {
                        v["EndTime"] = json!(end);
                    }
                    if let Some(m) = &a.message {
                        v["StatusMessage"] = json!(m);
                    }
                    v
                })
                .collect();
            page(
                items,
                r.max_results,
                r.next_token.as_deref(),
                "ScalingActivities",
            )
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
