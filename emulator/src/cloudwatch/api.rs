//! The CloudWatch API over the [`CloudWatch`] backend, in both protocols its clients
//! speak: the query protocol (`Version=2010-08-01`, what botocore's `cloudwatch` model
//! says and the AWS CLI sends) and Smithy RPC v2 CBOR (what the Rust SDK's
//! `aws-sdk-cloudwatch` sends). Both arrive here as one JSON value (the form through
//! [`crate::wire::query::Form::to_json`], CBOR through [`crate::wire::cbor`]) read into the
//! serde types below, checked against botocore's input shapes; the answer is one JSON value
//! with timestamps as epoch numbers ([`TIMESTAMPS`] names them), written as XML or CBOR by
//! the router. Served: PutMetricAlarm, DescribeAlarms, DeleteAlarms, SetAlarmState,
//! DescribeAlarmHistory.

use std::str::FromStr;

use serde::Deserialize;
use serde_json::{json, Value};

use super::backend::{AlarmQuery, AlarmSpec, CloudWatch, CwCode, MetricKey};
use super::engine::{Comparison, Missing, StateValue, Statistic};
use super::shapes::{
    AlarmHistoryItem, DescribeAlarmHistoryOutput, DescribeAlarmsOutput, MetricAlarm,
};
use crate::wire::error::{ApiError, Common};
use crate::wire::json::{answer, request};
use crate::wire::query::lenient;
use crate::wire::shape::Empty;

/// The query protocol's API version of CloudWatch.
pub(crate) const VERSION: &str = "2010-08-01";
/// Its XML namespace.
pub(crate) const NAMESPACE: &str = "http://monitoring.amazonaws.com/doc/2010-08-01/";
/// The Smithy service shape the RPC v2 CBOR path names.
pub(crate) const CBOR_SERVICE: &str = "GraniteServiceVersion20100801";
/// The members of the answers that are timestamps.
pub(crate) const TIMESTAMPS: &[&str] = &[
    "AlarmConfigurationUpdatedTimestamp",
    "StateUpdatedTimestamp",
    "StateTransitionedTimestamp",
    "Timestamp",
];

fn invalid(message: impl Into<String>) -> ApiError {
    ApiError::new(CwCode::InvalidParameterValue, message)
}

fn missing(member: &str) -> ApiError {
    ApiError::new(
        CwCode::MissingParameter,
        format!("The parameter {member} is required."),
    )
}

/// Dimension.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Dimension {
    name: Option<String>,
    value: Option<String>,
}

/// PutMetricAlarmInput.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct PutMetricAlarmInput {
    alarm_name: Option<String>,
    alarm_description: Option<String>,
    #[serde(default, deserialize_with = "lenient::bool")]
    actions_enabled: Option<bool>,
    #[serde(default, rename = "OKActions")]
    ok_actions: Vec<String>,
    #[serde(default)]
    alarm_actions: Vec<String>,
    #[serde(default)]
    insufficient_data_actions: Vec<String>,
    metric_name: Option<String>,
    namespace: Option<String>,
    statistic: Option<String>,
    extended_statistic: Option<String>,
    #[serde(default)]
    dimensions: Vec<Dimension>,
    #[serde(default, deserialize_with = "lenient::u32")]
    period: Option<u32>,
    unit: Option<String>,
    #[serde(default, deserialize_with = "lenient::u32")]
    evaluation_periods: Option<u32>,
    #[serde(default, deserialize_with = "lenient::u32")]
    datapoints_to_alarm: Option<u32>,
    #[serde(default, deserialize_with = "lenient::f64")]
    threshold: Option<f64>,
    comparison_operator: Option<String>,
    treat_missing_data: Option<String>,
    metrics: Option<Value>,
    threshold_metric_id: Option<String>,
}

/// DescribeAlarmsInput.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct DescribeAlarmsInput {
    #[serde(default)]
    alarm_names: Vec<String>,
    alarm_name_prefix: Option<String>,
    #[serde(default)]
    alarm_types: Vec<String>,
    state_value: Option<String>,
    #[serde(default, deserialize_with = "lenient::u32")]
    max_records: Option<u32>,
    next_token: Option<String>,
}

/// DeleteAlarmsInput.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct DeleteAlarmsInput {
    #[serde(default)]
    alarm_names: Vec<String>,
}

/// SetAlarmStateInput.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct SetAlarmStateInput {
    alarm_name: Option<String>,
    state_value: Option<String>,
    state_reason: Option<String>,
    state_reason_data: Option<String>,
}

/// DescribeAlarmHistoryInput.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct DescribeAlarmHistoryInput {
    alarm_name: Option<String>,
    history_item_type: Option<String>,
    #[serde(default, deserialize_with = "lenient::timestamp")]
    start_date: Option<f64>,
    #[serde(default, deserialize_with = "lenient::timestamp")]
    end_date: Option<f64>,
    #[serde(default, deserialize_with = "lenient::u32")]
    max_records: Option<u32>,
}

fn state_of(value: &str, member: &str) -> Result<StateValue, ApiError> {
    StateValue::from_str(value).map_err(|_| {
        invalid(format!(
            "1 validation error detected: Value '{value}' at '{member}' failed to satisfy constraint: Member must satisfy enum value set: [OK, ALARM, INSUFFICIENT_DATA]"
        ))
    })
}

/// The request's alarm, checked member by member.
fn spec_of(req: PutMetricAlarmInput) -> Result<AlarmSpec, ApiError> {
    if req.metrics.is_some() || req.threshold_metric_id.is_some() {
        return Err(invalid(
            "Metric math and anomaly detection alarms (Metrics, ThresholdMetricId) are not served by the local stack; give MetricName, Namespace and Statistic.",
        ));
    }
    if req.extended_statistic.is_some() {
        return Err(invalid(
            "ExtendedStatistic (percentiles) is not served by the local stack; give Statistic.",
        ));
    }
    let name = req.alarm_name.ok_or_else(|| missing("AlarmName"))?;
    let statistic = req.statistic.ok_or_else(|| missing("Statistic"))?;
    let statistic = Statistic::from_str(&statistic).map_err(|_| {
        invalid(format!(
            "1 validation error detected: Value '{statistic}' at 'statistic' failed to satisfy constraint: Member must satisfy enum value set: [Maximum, SampleCount, Sum, Minimum, Average]"
        ))
    })?;
    let comparison = req
        .comparison_operator
        .ok_or_else(|| missing("ComparisonOperator"))?;
    let comparison = Comparison::from_str(&comparison).map_err(|_| {
        invalid(format!(
            "The ComparisonOperator {comparison} is not served by the local stack (GreaterThanOrEqualToThreshold, GreaterThanThreshold, LessThanThreshold, LessThanOrEqualToThreshold are)."
        ))
    })?;
    let treat_missing_data = req
        .treat_missing_data
        .map(|t| {
            Missing::from_str(&t).map_err(|_| {
                invalid(format!(
                    "The TreatMissingData {t} is not valid: breaching, notBreaching, ignore or missing."
                ))
            })
        })
        .transpose()?;
    let mut dimensions = Vec::new();
    for d in req.dimensions {
        let (Some(n), Some(v)) = (d.name, d.value) else {
            return Err(missing("Dimensions.member.N.Name and .Value"));
        };
        dimensions.push((n, v));
    }
    dimensions.sort();
    Ok(AlarmSpec {
        name,
        description: req.alarm_description,
        actions_enabled: req.actions_enabled.unwrap_or(true),
        ok_actions: req.ok_actions,
        alarm_actions: req.alarm_actions,
        insufficient_data_actions: req.insufficient_data_actions,
        metric: MetricKey {
            namespace: req.namespace.unwrap_or_default(),
            name: req.metric_name.unwrap_or_default(),
            dimensions,
        },
        statistic,
        period: req.period.ok_or_else(|| missing("Period"))?,
        unit: req.unit,
        evaluation_periods: req
            .evaluation_periods
            .ok_or_else(|| missing("EvaluationPeriods"))?,
        datapoints_to_alarm: req.datapoints_to_alarm,
        threshold: req.threshold.ok_or_else(|| missing("Threshold"))?,
        comparison,
        treat_missing_data,
    })
}

/// One operation: the request's JSON in, the answer's JSON out (timestamps as epoch
/// seconds, named by [`TIMESTAMPS`]).
pub(crate) fn handle(
    cw: &CloudWatch,
    op: &str,
    input: &Value,
    now_ms: i64,
) -> Result<Value, ApiError> {
    match op {
        "PutMetricAlarm" => {
            let spec = spec_of(request(input)?)?;
            cw.put_metric_alarm(spec, now_ms)?;
            answer(Empty {})
        }
        "DescribeAlarms" => {
            let req: DescribeAlarmsInput = request(input)?;
            let state = req
                .state_value
                .as_deref()
                .map(|s| state_of(s, "stateValue"))
                .transpose()?;
            let (alarms, next) = cw.describe_alarms(&AlarmQuery {
                names: req.alarm_names,
                prefix: req.alarm_name_prefix,
                state,
                max_records: req.max_records,
                next_token: req.next_token,
            })?;
            // Composite alarms are not served: an AlarmTypes of only CompositeAlarm lists none.
            let metric = req.alarm_types.is_empty()
                || req.alarm_types.iter().any(|t| t == "MetricAlarm");
            answer(DescribeAlarmsOutput {
                metric_alarms: if metric {
                    alarms.iter().map(MetricAlarm::of).collect()
                } else {
                    Vec::new()
                },
                composite_alarms: Vec::new(),
                next_token: next,
            })
        }
        "DeleteAlarms" => {
            let req: DeleteAlarmsInput = request(input)?;
            cw.delete_alarms(&req.alarm_names)?;
            answer(Empty {})
        }
        "SetAlarmState" => {
            let req: SetAlarmStateInput = request(input)?;
            let name = req.alarm_name.ok_or_else(|| missing("AlarmName"))?;
            let state = state_of(
                &req.state_value.ok_or_else(|| missing("StateValue"))?,
                "stateValue",
            )?;
            let reason = req.state_reason.ok_or_else(|| missing("StateReason"))?;
            if let Some(t) = cw.set_alarm_state(
                &name,
                state,
                &reason,
                req.state_reason_data.as_deref(),
                now_ms,
            )? {
                tracing::info!(target: "cloudwatch", "alarm {}: {} -> {} (SetAlarmState): {}", t.alarm, t.from.as_str(), t.to.as_str(), t.reason);
            }
            answer(Empty {})
        }
        "DescribeAlarmHistory" => {
            let req: DescribeAlarmHistoryInput = request(input)?;
            let max = match req.max_records {
                None => 100,
                Some(n @ 1..=100) => n as usize,
                Some(n) => return Err(invalid(format!(
                    "1 validation error detected: Value '{n}' at 'maxRecords' failed to satisfy constraint: Member must have value between 1 and 100"
                ))),
            };
            let items = cw
                .history(
                    req.alarm_name.as_deref(),
                    req.history_item_type.as_deref(),
                    req.start_date,
                    req.end_date,
                    max,
                )
                .iter()
                .map(AlarmHistoryItem::of)
                .collect();
            answer(DescribeAlarmHistoryOutput {
                alarm_history_items: items,
            })
        }
        _ => Err(ApiError::new(
            Common::InvalidAction,
            format!("CloudWatch {op} is not served by the local stack (PutMetricAlarm, DescribeAlarms, DeleteAlarms, SetAlarmState, DescribeAlarmHistory are)"),
        )),
    }
}

/// The answer for the query protocol: timestamps as ISO 8601.
pub(crate) fn for_query(v: Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.into_iter()
                .map(|(k, x)| {
                    let x = match (&x, TIMESTAMPS.contains(&k.as_str())) {
                        (Value::Number(n), true) => {
                            json!(crate::wire::query::iso8601(n.as_f64().unwrap_or(0.0)))
                        }
                        _ => for_query(x),
                    };
                    (k, x)
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(for_query).collect()),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::botocore_check::{fits_botocore, request_fits_botocore};
    use crate::wire::query::Form;

    const T0: i64 = 1_796_408_400_000;

    fn cw() -> CloudWatch {
        CloudWatch::new("us-east-1", "000000000000", Duration::from_secs(1))
    }

    /// The alarm infra/codedeploy.tf creates, as the AWS CLI sends it (query protocol).
    fn form() -> Form {
        Form(
            [
                ("Action", "PutMetricAlarm"),
                ("Version", VERSION),
                ("AlarmName", "demo-http-5xx"),
                ("Namespace", "demo/service"),
                ("MetricName", "Http5xx"),
                ("Statistic", "Sum"),
                ("Period", "60"),
                ("EvaluationPeriods", "1"),
                ("DatapointsToAlarm", "1"),
                ("Threshold", "5.0"),
                ("ComparisonOperator", "GreaterThanOrEqualToThreshold"),
                ("TreatMissingData", "notBreaching"),
                ("Dimensions.member.1.Name", "Service"),
                ("Dimensions.member.1.Value", "demo"),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        )
    }

    #[test]
    fn a_query_request_creates_the_alarm_and_describe_fits_botocore() {
        let cw = cw();
        handle(&cw, "PutMetricAlarm", &form().to_json(), T0).unwrap();
        let v = handle(
            &cw,
            "DescribeAlarms",
            &json!({"AlarmNames": ["demo-http-5xx"]}),
            T0,
        )
        .unwrap();
        fits_botocore("cloudwatch", "DescribeAlarms", &v);
        let a = &v["MetricAlarms"][0];
        assert_eq!(a["Threshold"], json!(5.0));
        assert_eq!(a["Period"], json!(60));
        assert_eq!(
            a["Dimensions"],
            json!([{"Name": "Service", "Value": "demo"}])
        );
        assert_eq!(a["StateValue"], json!("INSUFFICIENT_DATA"));
        let q = for_query(v.clone());
        assert!(q["MetricAlarms"][0]["StateUpdatedTimestamp"]
            .as_str()
            .is_some_and(|t| t.starts_with("2026-12-04T18:20:00")));
        let h = handle(
            &cw,
            "DescribeAlarmHistory",
            &json!({"AlarmName": "demo-http-5xx"}),
            T0,
        )
        .unwrap();
        fits_botocore("cloudwatch", "DescribeAlarmHistory", &h);
        assert_eq!(
            h["AlarmHistoryItems"][0]["HistoryItemType"],
            json!("ConfigurationUpdate")
        );
    }

    /// Both alarms (the one of infra/codedeploy.tf, and one with every optional member), one
    /// set to ALARM with reason data.
    fn two_alarms() -> CloudWatch {
        let cw = cw();
        handle(&cw, "PutMetricAlarm", &form().to_json(), T0).unwrap();
        let mut f = form();
        f.0.retain(|(k, _)| k != "AlarmName");
        for (k, v) in [
            ("AlarmName", "full"),
            ("AlarmDescription", "every member"),
            ("ActionsEnabled", "false"),
            (
                "OKActions.member.1",
                "arn:aws:sns:us-east-1:000000000000:ok",
            ),
            (
                "AlarmActions.member.1",
                "arn:aws:sns:us-east-1:000000000000:alarm",
            ),
            ("Unit", "Count"),
        ] {
            f.0.push((k.to_string(), v.to_string()));
        }
        handle(&cw, "PutMetricAlarm", &f.to_json(), T0).unwrap();
        let set = json!({"AlarmName": "full", "StateValue": "ALARM", "StateReason": "test",
            "StateReasonData": "{\"why\": 1}"});
        handle(&cw, "SetAlarmState", &set, T0 + 1_000).unwrap();
        cw
    }

    #[test]
    fn every_answer_fits_botocore() {
        let cw = two_alarms();
        let t = T0 + 2_000;
        let v = handle(&cw, "DescribeAlarms", &json!({}), t).unwrap();
        fits_botocore("cloudwatch", "DescribeAlarms", &v);
        let full = &v["MetricAlarms"][1];
        assert_eq!(full["StateValue"], "ALARM");
        assert_eq!(full["StateReasonData"], "{\"why\": 1}");
        assert_eq!(full["Unit"], "Count");
        assert_eq!(full["AlarmDescription"], "every member");
        assert_eq!(full["ActionsEnabled"], false);
        assert_eq!(full["TreatMissingData"], "notBreaching");
        let plain = &v["MetricAlarms"][0];
        for absent in ["AlarmDescription", "StateReasonData", "Unit"] {
            assert!(plain.get(absent).is_none(), "{absent}");
        }
        let v = handle(&cw, "DescribeAlarms", &json!({"MaxRecords": 1}), t).unwrap();
        fits_botocore("cloudwatch", "DescribeAlarms", &v);
        assert!(v["NextToken"].is_string());
        let v = handle(
            &cw,
            "DescribeAlarms",
            &json!({"AlarmTypes": ["CompositeAlarm"]}),
            t,
        )
        .unwrap();
        assert_eq!(v, json!({"MetricAlarms": [], "CompositeAlarms": []}));
        let v = handle(&cw, "DescribeAlarmHistory", &json!({}), t).unwrap();
        fits_botocore("cloudwatch", "DescribeAlarmHistory", &v);
        assert_eq!(v["AlarmHistoryItems"][0]["AlarmType"], "MetricAlarm");
        // PutMetricAlarm, SetAlarmState and DeleteAlarms have no output in botocore's model.
        let set = json!({"AlarmName": "full", "StateValue": "OK", "StateReason": "r"});
        assert_eq!(handle(&cw, "SetAlarmState", &set, t).unwrap(), json!({}));
        let delete = json!({"AlarmNames": ["full"]});
        assert_eq!(handle(&cw, "DeleteAlarms", &delete, t).unwrap(), json!({}));
    }

    /// The shape check can fail: a state outside StateValue's enum.
    #[test]
    #[should_panic(expected = "not in enum")]
    fn a_state_outside_the_enum_does_not_fit() {
        let cw = two_alarms();
        let mut v = handle(&cw, "DescribeAlarms", &json!({}), T0).unwrap();
        v["MetricAlarms"][0]["StateValue"] = json!("Alarm");
        fits_botocore("cloudwatch", "DescribeAlarms", &v);
    }

    #[test]
    fn bad_members_answer_aws_codes() {
        let cw = cw();
        let mut f = form();
        f.0.retain(|(k, _)| k != "Threshold");
        let e = handle(&cw, "PutMetricAlarm", &f.to_json(), T0).unwrap_err();
        assert_eq!(
            (e.code, e.message.as_str()),
            ("MissingParameter", "The parameter Threshold is required.")
        );
        let mut f = form();
        f.0.push(("Period".into(), "sixty".into()));
        f.0.retain(|(k, v)| k != "Period" || v == "sixty");
        let e = handle(&cw, "PutMetricAlarm", &f.to_json(), T0).unwrap_err();
        assert_eq!(e.code, "SerializationException");
        let e = handle(
            &cw,
            "SetAlarmState",
            &json!({"AlarmName": "x", "StateValue": "BAD", "StateReason": "r"}),
            T0,
        )
        .unwrap_err();
        assert_eq!(e.code, "InvalidParameterValue");
        let e = handle(&cw, "DeleteAlarms", &json!({"AlarmNames": ["x"]}), T0).unwrap_err();
        assert_eq!((e.code, e.status.as_u16()), ("ResourceNotFound", 404));
    }

    #[test]
    fn request_types_fit_botocore() {
        request_fits_botocore::<PutMetricAlarmInput>("cloudwatch", "PutMetricAlarm");
        request_fits_botocore::<DescribeAlarmsInput>("cloudwatch", "DescribeAlarms");
        request_fits_botocore::<DeleteAlarmsInput>("cloudwatch", "DeleteAlarms");
        request_fits_botocore::<SetAlarmStateInput>("cloudwatch", "SetAlarmState");
        request_fits_botocore::<DescribeAlarmHistoryInput>("cloudwatch", "DescribeAlarmHistory");
    }
}
