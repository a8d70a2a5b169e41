//! The Application Auto Scaling JSON 1.1 API (`X-Amz-Target:
//! AnyScaleFrontendService.<Operation>`) over the [`AutoScaling`] backend, shaped as
//! botocore's `application-autoscaling` model says. Served: RegisterScalableTarget,
//! DeregisterScalableTarget, DescribeScalableTargets, PutScalingPolicy,
//! DeleteScalingPolicy, DescribeScalingPolicies, DescribeScalingActivities.

use serde_json::{json, Value};

use super::backend::{
    target_json, AutoScaling, Registration, ScalingCode, Suspended, DIMENSION, NAMESPACE,
};
use super::engine::{Metric, TargetTracking};
use crate::wire::error::{ApiError, Common};
use crate::wire::json::{opt_str, str_list, ApiResult};

/// The JSON 1.1 target prefix of Application Auto Scaling.
pub(crate) const TARGET_PREFIX: &str = "AnyScaleFrontendService";

fn validation(message: impl Into<String>) -> ApiError {
    ApiError::new(ScalingCode::ValidationException, message)
}

fn required<'a>(input: &'a Value, key: &str) -> Result<&'a str, ApiError> {
    opt_str(input, key)?.ok_or_else(|| {
        validation(format!(
            "1 validation error detected: Value null at '{}' failed to satisfy constraint: Member must not be null",
            lower_first(key)
        ))
    })
}

fn lower_first(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_lowercase().chain(c).collect())
        .unwrap_or_default()
}

/// ServiceNamespace must be `ecs` and ScalableDimension (when required or given)
/// `ecs:service:DesiredCount`: the only ones served locally.
fn check_scope(input: &Value, dimension_required: bool) -> Result<(), ApiError> {
    let ns = required(input, "ServiceNamespace")?;
    if ns != NAMESPACE {
        return Err(validation(format!(
            "the local stack serves only the {NAMESPACE:?} service namespace, not {ns:?}"
        )));
    }
    let dim = if dimension_required {
        Some(required(input, "ScalableDimension")?)
    } else {
        opt_str(input, "ScalableDimension")?
    };
    match dim {
        Some(d) if d != DIMENSION => Err(validation(format!(
            "Unsupported scalable dimension {d:?} for service namespace {ns}: the local stack serves {DIMENSION}"
        ))),
        _ => Ok(()),
    }
}

fn opt_u32(input: &Value, key: &str) -> Result<Option<u32>, ApiError> {
    match input.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v
            .as_u64()
            .and_then(|n| u32::try_from(n).ok())
            .map(Some)
            .ok_or_else(|| {
                ApiError::new(
                    Common::SerializationException,
                    format!("{key}: expected a non-negative integer, got {v}"),
                )
            }),
    }
}

fn opt_bool(input: &Value, key: &str) -> Result<Option<bool>, ApiError> {
    match input.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(v) => Err(ApiError::new(
            Common::SerializationException,
            format!("{key}: expected a boolean, got {v}"),
        )),
    }
}

/// MaxResults (1..=50, default 50) and NextToken (an offset) over `items`.
fn page(input: &Value, items: Vec<Value>, key: &str) -> ApiResult {
    let max = opt_u32(input, "MaxResults")?.unwrap_or(50);
    if !(1..=50).contains(&max) {
        return Err(validation(format!(
            "1 validation error detected: Value '{max}' at 'maxResults' failed to satisfy constraint: \
             Member must have value between 1 and 50"
        )));
    }
    let offset: usize = match opt_str(input, "NextToken")? {
        None => 0,
        Some(t) => t
            .parse()
            .map_err(|_| ApiError::new(ScalingCode::InvalidNextTokenException, "Invalid token"))?,
    };
    let total = items.len();
    let page: Vec<Value> = items.into_iter().skip(offset).take(max as usize).collect();
    let mut out = json!({ key: page });
    if offset + page_len(&out, key) < total {
        out["NextToken"] = json!((offset + page_len(&out, key)).to_string());
    }
    Ok(out)
}

fn page_len(v: &Value, key: &str) -> usize {
    v[key].as_array().map(Vec::len).unwrap_or(0)
}

fn target_tracking(config: &Value) -> Result<TargetTracking, ApiError> {
    let target_value = config
        .get("TargetValue")
        .and_then(Value::as_f64)
        .ok_or_else(|| {
            validation("TargetTrackingScalingPolicyConfiguration.TargetValue is required")
        })?;
    if config.get("CustomizedMetricSpecification").is_some() {
        return Err(validation(
            "the local stack supports only PredefinedMetricSpecification \
             (ECSServiceAverageCPUUtilization, ECSServiceAverageMemoryUtilization)",
        ));
    }
    let kind = config["PredefinedMetricSpecification"]["PredefinedMetricType"]
        .as_str()
        .ok_or_else(|| {
            validation("PredefinedMetricSpecification.PredefinedMetricType is required")
        })?;
    let metric = Metric::parse(kind).ok_or_else(|| {
        validation(format!(
            "Unsupported metric type {kind} for service namespace ecs locally \
             (ECSServiceAverageCPUUtilization, ECSServiceAverageMemoryUtilization are)"
        ))
    })?;
    let cooldown = |key: &str| -> Result<f64, ApiError> {
        Ok(opt_u32(config, key)?.map(f64::from).unwrap_or(300.0))
    };
    Ok(TargetTracking {
        metric,
        target_value,
        scale_out_cooldown: cooldown("ScaleOutCooldown")?,
        scale_in_cooldown: cooldown("ScaleInCooldown")?,
        disable_scale_in: opt_bool(config, "DisableScaleIn")?.unwrap_or(false),
    })
}

/// Handles one operation; `now` is epoch seconds.
pub(crate) fn handle(backend: &AutoScaling, op: &str, input: &Value, now: f64) -> ApiResult {
    match op {
        "RegisterScalableTarget" => {
            check_scope(input, true)?;
            let suspended = match input.get("SuspendedState") {
                None | Some(Value::Null) => None,
                Some(s) => Some(Suspended {
                    dynamic_in: opt_bool(s, "DynamicScalingInSuspended")?.unwrap_or(false),
                    dynamic_out: opt_bool(s, "DynamicScalingOutSuspended")?.unwrap_or(false),
                    scheduled: opt_bool(s, "ScheduledScalingSuspended")?.unwrap_or(false),
                }),
            };
            let arn = backend.register(
                &Registration {
                    resource_id: required(input, "ResourceId")?.to_string(),
                    min: opt_u32(input, "MinCapacity")?,
                    max: opt_u32(input, "MaxCapacity")?,
                    role_arn: opt_str(input, "RoleARN")?.map(String::from),
                    suspended,
                },
                now,
            )?;
            Ok(json!({"ScalableTargetARN": arn}))
        }
        "DeregisterScalableTarget" => {
            check_scope(input, true)?;
            backend.deregister(required(input, "ResourceId")?)?;
            Ok(json!({}))
        }
        "DescribeScalableTargets" => {
            check_scope(input, false)?;
            let ids = str_list(input, "ResourceIds")?;
            let items = backend.targets(&ids).iter().map(target_json).collect();
            page(input, items, "ScalableTargets")
        }
        "PutScalingPolicy" => {
            check_scope(input, true)?;
            let name = required(input, "PolicyName")?;
            let resource = required(input, "ResourceId")?;
            match opt_str(input, "PolicyType")? {
                Some("TargetTrackingScaling") => {}
                other => {
                    return Err(validation(format!(
                        "the local stack supports only TargetTrackingScaling policies, not {}",
                        other.unwrap_or("StepScaling (the default)")
                    )))
                }
            }
            let raw = input
                .get("TargetTrackingScalingPolicyConfiguration")
                .cloned()
                .filter(Value::is_object)
                .ok_or_else(|| {
                    validation("TargetTrackingScalingPolicyConfiguration is required for TargetTrackingScaling")
                })?;
            let config = target_tracking(&raw)?;
            let p = backend.put_policy(resource, name, config, raw, now)?;
            Ok(json!({
                "PolicyARN": p.arn,
                "Alarms": p.alarms.iter().map(|(n, a)| json!({"AlarmName": n, "AlarmARN": a})).collect::<Vec<_>>(),
            }))
        }
        "DeleteScalingPolicy" => {
            check_scope(input, true)?;
            backend.delete_policy(required(input, "ResourceId")?, required(input, "PolicyName")?)?;
            Ok(json!({}))
        }
        "DescribeScalingPolicies" => {
            check_scope(input, false)?;
            let names = str_list(input, "PolicyNames")?;
            let items = backend
                .policies(opt_str(input, "ResourceId")?, &names)
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
            page(input, items, "ScalingPolicies")
        }
        "DescribeScalingActivities" => {
            check_scope(input, false)?;
            let items = backend
                .activities(opt_str(input, "ResourceId")?)
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
            page(input, items, "ScalingActivities")
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
