//! The CloudWatch API over the [`CloudWatch`] backend, in the three protocols its clients
//! speak: the query protocol (`Version=2010-08-01`, what botocore's `cloudwatch` model
//! said until it moved on, and what older AWS CLIs send), JSON 1.0 (`X-Amz-Target:
//! GraniteServiceVersion20100801.<Operation>`, what newer botocore sends) and Smithy RPC v2
//! CBOR (what the Rust SDK's `aws-sdk-cloudwatch` sends). Each request is read into the
//! same serde type (botocore's input shape, checked by the tests): a query form by
//! [`crate::wire::query::request`] (its refusals are `ValidationError`, as CloudWatch's
//! query API answers a parameter it does not know or a value that does not parse), a JSON
//! or CBOR body by [`crate::wire::json::request`] (`SerializationException`). The answer is
//! one JSON value with timestamps as epoch numbers ([`TIMESTAMPS`] names them), written as
//! XML (after [`for_query`]), JSON or CBOR by the router. Served: PutMetricAlarm,
//! DescribeAlarms, DeleteAlarms, SetAlarmState, DescribeAlarmHistory.

use std::str::FromStr;

use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::{json, Value};

use super::backend::{AlarmQuery, AlarmSpec, CloudWatch, CwCode, HistoryQuery, MetricKey};
use super::engine::{Comparison, Missing, Statistic};
use super::shapes::{
    AlarmHistoryItem, DescribeAlarmHistoryOutput, DescribeAlarmsOutput, MetricAlarm,
};
use crate::wire::error::{ApiError, Common};
use crate::wire::json::answer;
use crate::wire::query::{Form, RequestTimestamp};
use crate::wire::shape::Empty;
use crate::wire::validation::Constraints;

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

/// A request as it arrived: the body of a JSON 1.0 or RPC v2 CBOR request (as a JSON
/// value), or a query-protocol form.
#[derive(Clone, Copy)]
pub(crate) enum Input<'a> {
    Json(&'a Value),
    Query(&'a Form),
}

impl Input<'_> {
    /// The request as the operation's serde type, refused in the protocol's terms.
    fn read<T: DeserializeOwned>(self) -> Result<T, ApiError> {
        match self {
            Input::Json(v) => crate::wire::json::request(v),
            Input::Query(form) => crate::wire::query::request(form, CwCode::ValidationError),
        }
    }
}

fn invalid(message: impl Into<String>) -> ApiError {
    ApiError::new(CwCode::InvalidParameterValue, message)
}

fn missing(member: &str) -> ApiError {
    ApiError::new(
        CwCode::MissingParameter,
        format!("The parameter {member} is required."),
    )
}

/// `value` as the enum `E`, or AWS's model validation error naming `member` and `values`
/// (the enum as botocore's model lists it).
fn enum_of<E: FromStr>(value: &str, member: &str, values: &[&str]) -> Result<E, ApiError> {
    let mut c = Constraints::default();
    c.one_of(member, value, values);
    c.check(CwCode::ValidationError)?;
    E::from_str(value).map_err(|_| {
        invalid(format!(
            "The {member} {value} is not served by the local stack."
        ))
    })
}

const STATE_VALUES: &[&str] = &["OK", "ALARM", "INSUFFICIENT_DATA"];
const STATISTICS: &[&str] = &["SampleCount", "Average", "Sum", "Minimum", "Maximum"];
const COMPARISONS: &[&str] = &[
    "GreaterThanOrEqualToThreshold",
    "GreaterThanThreshold",
    "LessThanThreshold",
    "LessThanOrEqualToThreshold",
    "LessThanLowerOrGreaterThanUpperThreshold",
    "LessThanLowerThreshold",
    "GreaterThanUpperThreshold",
];
const HISTORY_ITEM_TYPES: &[&str] = &[
    "ConfigurationUpdate",
    "StateUpdate",
    "Action",
    "AlarmContributorStateUpdate",
    "AlarmContributorAction",
];
const SCAN_BY: &[&str] = &["TimestampDescending", "TimestampAscending"];
const ALARM_TYPES: &[&str] = &["CompositeAlarm", "MetricAlarm"];

/// Dimension.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Dimension {
    name: Option<String>,
    value: Option<String>,
}

/// MetricDataQuery (metric math alarms): read so that such an alarm is refused as not
/// served, by name, rather than as a parameter the local stack does not know.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
#[allow(dead_code)]
struct MetricDataQuery {
    id: Option<String>,
    metric_stat: Option<MetricStat>,
    expression: Option<String>,
    label: Option<String>,
    return_data: Option<bool>,
    period: Option<u32>,
    account_id: Option<String>,
}

/// MetricStat.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
#[allow(dead_code)]
struct MetricStat {
    metric: Option<Metric>,
    period: Option<u32>,
    stat: Option<String>,
    unit: Option<String>,
}

/// Metric.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
#[allow(dead_code)]
struct Metric {
    namespace: Option<String>,
    metric_name: Option<String>,
    #[serde(default)]
    dimensions: Vec<Dimension>,
}

/// Tag: read and not kept (no tagging operation is served, so nothing could show them).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
#[allow(dead_code)]
struct Tag {
    key: Option<String>,
    value: Option<String>,
}

/// EvaluationCriteria (PromQL alarms): read so that such an alarm is refused as not served.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
#[allow(dead_code)]
struct EvaluationCriteria {
    #[serde(rename = "PromQLCriteria")]
    promql_criteria: Option<PromQlCriteria>,
}

/// AlarmPromQLCriteria.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
#[allow(dead_code)]
struct PromQlCriteria {
    query: Option<String>,
    pending_period: Option<u32>,
    recovery_period: Option<u32>,
}

/// PutMetricAlarmInput.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct PutMetricAlarmInput {
    alarm_name: Option<String>,
    alarm_description: Option<String>,
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
    period: Option<u32>,
    unit: Option<String>,
    evaluation_periods: Option<u32>,
    datapoints_to_alarm: Option<u32>,
    threshold: Option<f64>,
    comparison_operator: Option<String>,
    treat_missing_data: Option<String>,
    /// Applies to percentile alarms only, which are refused: read, not used.
    #[allow(dead_code)]
    evaluate_low_sample_count_percentile: Option<String>,
    metrics: Option<Vec<MetricDataQuery>>,
    /// Read, not kept (see [`Tag`]).
    #[allow(dead_code)]
    tags: Option<Vec<Tag>>,
    threshold_metric_id: Option<String>,
    evaluation_criteria: Option<EvaluationCriteria>,
    evaluation_interval: Option<u32>,
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
    children_of_alarm_name: Option<String>,
    parents_of_alarm_name: Option<String>,
    state_value: Option<String>,
    action_prefix: Option<String>,
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
    alarm_contributor_id: Option<String>,
    #[serde(default)]
    alarm_types: Vec<String>,
    history_item_type: Option<String>,
    start_date: Option<RequestTimestamp>,
    end_date: Option<RequestTimestamp>,
    max_records: Option<u32>,
    next_token: Option<String>,
    scan_by: Option<String>,
}

/// The request's alarm, checked member by member.
fn spec_of(req: PutMetricAlarmInput) -> Result<AlarmSpec, ApiError> {
    if req.metrics.is_some() || req.threshold_metric_id.is_some() {
        return Err(invalid(
            "Metric math and anomaly detection alarms (Metrics, ThresholdMetricId) are not served by the local stack; give MetricName, Namespace and Statistic.",
        ));
    }
    if req.evaluation_criteria.is_some() || req.evaluation_interval.is_some() {
        return Err(invalid(
            "PromQL alarms (EvaluationCriteria, EvaluationInterval) are not served by the local stack; give MetricName, Namespace and Statistic.",
        ));
    }
    if req.extended_statistic.is_some() {
        return Err(invalid(
            "ExtendedStatistic (percentiles) is not served by the local stack; give Statistic.",
        ));
    }
    let name = req.alarm_name.ok_or_else(|| missing("AlarmName"))?;
    let statistic = req.statistic.ok_or_else(|| missing("Statistic"))?;
    let statistic: Statistic = enum_of(&statistic, "statistic", STATISTICS)?;
    let comparison = req
        .comparison_operator
        .ok_or_else(|| missing("ComparisonOperator"))?;
    let comparison: Comparison = enum_of(&comparison, "comparisonOperator", COMPARISONS)?;
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

/// One operation: the request in, the answer's JSON out (timestamps as epoch seconds,
/// named by [`TIMESTAMPS`]).
pub(crate) fn handle(
    cw: &CloudWatch,
    op: &str,
    input: Input<'_>,
    now_ms: i64,
) -> Result<Value, ApiError> {
    match op {
        "PutMetricAlarm" => {
            let spec = spec_of(input.read()?)?;
            cw.put_metric_alarm(spec, now_ms)?;
            answer(Empty {})
        }
        "DescribeAlarms" => {
            let req: DescribeAlarmsInput = input.read()?;
            let state = req
                .state_value
                .as_deref()
                .map(|s| enum_of(s, "stateValue", STATE_VALUES))
                .transpose()?;
            let mut c = Constraints::default();
            for (i, t) in req.alarm_types.iter().enumerate() {
                c.one_of(&format!("alarmTypes.{}.member", i + 1), t, ALARM_TYPES);
            }
            c.check(CwCode::ValidationError)?;
            let (alarms, next) = cw.describe_alarms(&AlarmQuery {
                names: req.alarm_names,
                prefix: req.alarm_name_prefix,
                state,
                action_prefix: req.action_prefix,
                children_of: req.children_of_alarm_name,
                parents_of: req.parents_of_alarm_name,
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
            let req: DeleteAlarmsInput = input.read()?;
            cw.delete_alarms(&req.alarm_names)?;
            answer(Empty {})
        }
        "SetAlarmState" => {
            let req: SetAlarmStateInput = input.read()?;
            let name = req.alarm_name.ok_or_else(|| missing("AlarmName"))?;
            let state = enum_of(
                &req.state_value.ok_or_else(|| missing("StateValue"))?,
                "stateValue",
                STATE_VALUES,
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
            let req: DescribeAlarmHistoryInput = input.read()?;
            let mut c = Constraints::default();
            if let Some(t) = &req.history_item_type {
                c.one_of("historyItemType", t, HISTORY_ITEM_TYPES);
            }
            if let Some(s) = &req.scan_by {
                c.one_of("scanBy", s, SCAN_BY);
            }
            for (i, t) in req.alarm_types.iter().enumerate() {
                c.one_of(&format!("alarmTypes.{}.member", i + 1), t, ALARM_TYPES);
            }
            c.check(CwCode::ValidationError)?;
            let (items, next) = cw.history(&HistoryQuery {
                name: req.alarm_name,
                contributor: req.alarm_contributor_id,
                metric_alarms: req.alarm_types.is_empty()
                    || req.alarm_types.iter().any(|t| t == "MetricAlarm"),
                kind: req.history_item_type,
                start: req.start_date.map(|t| t.0),
                end: req.end_date.map(|t| t.0),
                max_records: req.max_records,
                next_token: req.next_token,
                ascending: req.scan_by.as_deref() == Some("TimestampAscending"),
            })?;
            answer(DescribeAlarmHistoryOutput {
                alarm_history_items: items.iter().map(AlarmHistoryItem::of).collect(),
                next_token: next,
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
    use crate::botocore_check::{
        fits_botocore, query_fits_botocore, query_request_fits_botocore_or_newer,
        request_fits_botocore_or_newer,
    };

    const T0: i64 = 1_796_408_400_000;

    fn cw() -> CloudWatch {
        CloudWatch::new("us-east-1", "000000000000", Duration::from_secs(1))
    }

    /// The alarm infra/codedeploy.tf creates, as an older AWS CLI sends it (query protocol).
    const ALARM: &[(&str, &str)] = &[
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
    ];

    /// One query-protocol request, as the router hands it over (`Action` and `Version` in
    /// the form).
    fn query(
        cw: &CloudWatch,
        op: &str,
        pairs: &[(&str, &str)],
        now: i64,
    ) -> Result<Value, ApiError> {
        let mut all = vec![("Action", op), ("Version", VERSION)];
        all.extend_from_slice(pairs);
        handle(cw, op, Input::Query(&Form::from_pairs(&all)), now)
    }

    /// A query request's answer, checked as the XML the router sends against botocore's
    /// output shape (the answers of PutMetricAlarm, SetAlarmState and DeleteAlarms are
    /// empty: botocore's model gives them no output).
    fn answered(cw: &CloudWatch, op: &str, pairs: &[(&str, &str)], now: i64) -> Value {
        let v =
            query(cw, op, pairs, now).unwrap_or_else(|e| panic!("{op}: {}: {}", e.code, e.message));
        if v == json!({}) {
            return v;
        }
        query_fits_botocore("cloudwatch", op, &for_query(v.clone()));
        v
    }

    /// One JSON 1.0 or RPC v2 CBOR request (both arrive as a JSON value).
    fn json_call(cw: &CloudWatch, op: &str, input: Value, now: i64) -> Result<Value, ApiError> {
        handle(cw, op, Input::Json(&input), now)
    }

    #[test]
    fn a_query_request_creates_the_alarm_and_describe_fits_botocore() {
        let cw = cw();
        assert_eq!(answered(&cw, "PutMetricAlarm", ALARM, T0), json!({}));
        let v = answered(
            &cw,
            "DescribeAlarms",
            &[
                ("AlarmNames.member.1", "demo-http-5xx"),
                ("StateValue", "INSUFFICIENT_DATA"),
            ],
            T0,
        );
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
        let v = answered(&cw, "DescribeAlarms", &[("StateValue", "ALARM")], T0);
        assert_eq!(v["MetricAlarms"], json!([]));
        // Timestamps in the form are ISO 8601, as botocore writes them.
        let h = answered(
            &cw,
            "DescribeAlarmHistory",
            &[
                ("AlarmName", "demo-http-5xx"),
                ("StartDate", "2026-12-04T18:19:00Z"),
                ("EndDate", "2026-12-04T18:21:00.500000Z"),
            ],
            T0,
        );
        fits_botocore("cloudwatch", "DescribeAlarmHistory", &h);
        assert_eq!(
            h["AlarmHistoryItems"][0]["HistoryItemType"],
            json!("ConfigurationUpdate")
        );
        let h = answered(
            &cw,
            "DescribeAlarmHistory",
            &[("StartDate", "2026-12-04T18:20:01Z")],
            T0,
        );
        assert_eq!(
            h["AlarmHistoryItems"],
            json!([]),
            "nothing after the alarm's creation"
        );
        // Pages: the alarm updated, a page of one item has the next one's token.
        answered(&cw, "PutMetricAlarm", ALARM, T0 + 1000);
        let first = answered(&cw, "DescribeAlarmHistory", &[("MaxRecords", "1")], T0);
        assert_eq!(first["AlarmHistoryItems"].as_array().unwrap().len(), 1);
        let token = first["NextToken"]
            .as_str()
            .expect("a NextToken")
            .to_string();
        let second = answered(
            &cw,
            "DescribeAlarmHistory",
            &[("MaxRecords", "1"), ("NextToken", &token)],
            T0,
        );
        assert_ne!(second["AlarmHistoryItems"], first["AlarmHistoryItems"]);
        assert_eq!(second.get("NextToken"), None, "two items, two pages");
    }

    /// Both alarms (the one of infra/codedeploy.tf, and one with every optional member), one
    /// set to ALARM with reason data, all through the query protocol.
    fn two_alarms() -> CloudWatch {
        let cw = cw();
        answered(&cw, "PutMetricAlarm", ALARM, T0);
        let mut full: Vec<(&str, &str)> = ALARM
            .iter()
            .copied()
            .filter(|(k, _)| *k != "AlarmName")
            .collect();
        full.extend([
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
            ("Tags.member.1.Key", "team"),
            ("Tags.member.1.Value", "web"),
        ]);
        answered(&cw, "PutMetricAlarm", &full, T0);
        answered(
            &cw,
            "SetAlarmState",
            &[
                ("AlarmName", "full"),
                ("StateValue", "ALARM"),
                ("StateReason", "test"),
                ("StateReasonData", "{\"why\": 1}"),
            ],
            T0 + 1_000,
        );
        cw
    }

    #[test]
    fn every_answer_fits_botocore_in_both_protocols() {
        let cw = two_alarms();
        let t = T0 + 2_000;
        let v = json_call(&cw, "DescribeAlarms", json!({}), t).unwrap();
        fits_botocore("cloudwatch", "DescribeAlarms", &v);
        assert_eq!(
            v,
            answered(&cw, "DescribeAlarms", &[], t),
            "one answer, both protocols"
        );
        let full = &v["MetricAlarms"][1];
        assert_eq!(full["StateValue"], "ALARM");
        assert_eq!(full["StateReasonData"], "{\"why\": 1}");
        assert_eq!(full["Unit"], "Count");
        assert_eq!(full["AlarmDescription"], "every member");
        assert_eq!(full["ActionsEnabled"], false);
        assert_eq!(full["TreatMissingData"], "notBreaching");
        assert_eq!(
            full["AlarmActions"],
            json!(["arn:aws:sns:us-east-1:000000000000:alarm"])
        );
        let plain = &v["MetricAlarms"][0];
        for absent in ["AlarmDescription", "StateReasonData", "Unit"] {
            assert!(plain.get(absent).is_none(), "{absent}");
        }
        let v = answered(&cw, "DescribeAlarms", &[("MaxRecords", "1")], t);
        assert_eq!(v["NextToken"], "demo-http-5xx");
        let v = answered(
            &cw,
            "DescribeAlarms",
            &[("MaxRecords", "1"), ("NextToken", "demo-http-5xx")],
            t,
        );
        assert_eq!(v["MetricAlarms"][0]["AlarmName"], "full");
        let v = answered(
            &cw,
            "DescribeAlarms",
            &[("ActionPrefix", "arn:aws:sns:us-east-1:000000000000:al")],
            t,
        );
        assert_eq!(v["MetricAlarms"].as_array().map(Vec::len), Some(1));
        let v = answered(
            &cw,
            "DescribeAlarms",
            &[("AlarmTypes.member.1", "CompositeAlarm")],
            t,
        );
        assert_eq!(v, json!({"MetricAlarms": [], "CompositeAlarms": []}));
        let v = json_call(
            &cw,
            "DescribeAlarmHistory",
            json!({"StartDate": 1_796_408_400.5}),
            t,
        )
        .unwrap();
        fits_botocore("cloudwatch", "DescribeAlarmHistory", &v);
        assert_eq!(v["AlarmHistoryItems"][0]["AlarmType"], "MetricAlarm");
        assert_eq!(v["AlarmHistoryItems"][0]["HistoryItemType"], "StateUpdate");
        let oldest = answered(
            &cw,
            "DescribeAlarmHistory",
            &[("ScanBy", "TimestampAscending"), ("MaxRecords", "1")],
            t,
        );
        assert_eq!(oldest["AlarmHistoryItems"][0]["AlarmName"], "demo-http-5xx");
        // PutMetricAlarm, SetAlarmState and DeleteAlarms have no output in botocore's model.
        let set = [
            ("AlarmName", "full"),
            ("StateValue", "OK"),
            ("StateReason", "r"),
        ];
        assert_eq!(answered(&cw, "SetAlarmState", &set, t), json!({}));
        assert_eq!(
            answered(&cw, "DeleteAlarms", &[("AlarmNames.member.1", "full")], t),
            json!({})
        );
        let v = json_call(&cw, "DescribeAlarms", json!({}), t).unwrap();
        assert_eq!(v["MetricAlarms"].as_array().map(Vec::len), Some(1));
    }

    /// The shape check can fail: a state outside StateValue's enum.
    #[test]
    #[should_panic(expected = "not in enum")]
    fn a_state_outside_the_enum_does_not_fit() {
        let cw = two_alarms();
        let mut v = json_call(&cw, "DescribeAlarms", json!({}), T0).unwrap();
        v["MetricAlarms"][0]["StateValue"] = json!("Alarm");
        query_fits_botocore("cloudwatch", "DescribeAlarms", &for_query(v));
    }

    fn alarm_with(
        change: &[(&'static str, &'static str)],
        drop: &str,
    ) -> Vec<(&'static str, &'static str)> {
        let mut pairs: Vec<(&str, &str)> =
            ALARM.iter().copied().filter(|(k, _)| *k != drop).collect();
        pairs.extend_from_slice(change);
        pairs
    }

    #[test]
    fn query_refusals_answer_aws_codes_naming_the_parameter() {
        let cw = cw();
        let refused = |op: &str, pairs: &[(&str, &str)]| {
            let e = query(&cw, op, pairs, T0).unwrap_err();
            (e.code, e.message)
        };
        let (code, message) = refused("PutMetricAlarm", &alarm_with(&[], "Threshold"));
        assert_eq!(
            (code, message.as_str()),
            ("MissingParameter", "The parameter Threshold is required.")
        );
        // A parameter botocore's input shape does not have, at the top and inside a list.
        let (code, message) = refused("PutMetricAlarm", &alarm_with(&[("Colour", "red")], ""));
        assert_eq!(
            (code, message.as_str()),
            ("ValidationError", "The parameter Colour is not recognized")
        );
        let (code, message) = refused(
            "PutMetricAlarm",
            &alarm_with(&[("Dimensions.member.1.Colour", "red")], ""),
        );
        assert_eq!(
            (code, message.as_str()),
            (
                "ValidationError",
                "The parameter Dimensions.member.1.Colour is not recognized"
            )
        );
        let (code, message) = refused("DescribeAlarms", &[("AlarmName", "demo-http-5xx")]);
        assert_eq!(
            (code, message.as_str()),
            (
                "ValidationError",
                "The parameter AlarmName is not recognized"
            )
        );
        // Values of the wrong type.
        let (code, message) = refused(
            "PutMetricAlarm",
            &alarm_with(&[("Period", "sixty")], "Period"),
        );
        assert_eq!(
            (code, message.as_str()),
            (
                "ValidationError",
                "the value 'sixty' of the parameter Period is not a whole number"
            )
        );
        let (code, message) = refused(
            "PutMetricAlarm",
            &alarm_with(&[("ActionsEnabled", "yes")], ""),
        );
        assert_eq!(code, "ValidationError");
        assert!(message.contains("ActionsEnabled"), "{message}");
        let (code, message) = refused(
            "PutMetricAlarm",
            &alarm_with(&[("AlarmActions", "arn:x")], ""),
        );
        assert_eq!(code, "ValidationError");
        assert!(message.contains("AlarmActions.member.1"), "{message}");
        let (code, message) = refused("DescribeAlarmHistory", &[("StartDate", "yesterday")]);
        assert_eq!(code, "ValidationError");
        assert!(
            message.contains("StartDate") && message.contains("'yesterday'"),
            "{message}"
        );
        let (code, message) = refused("DescribeAlarms", &[("MaxRecords", "-1")]);
        assert_eq!(code, "ValidationError");
        assert!(message.contains("MaxRecords"), "{message}");
        // The model's constraints.
        let (code, message) = refused("DescribeAlarms", &[("MaxRecords", "101")]);
        assert_eq!(
            (code, message.as_str()),
            ("ValidationError", "1 validation error detected: Value '101' at 'maxRecords' failed to satisfy constraint: Member must have value less than or equal to 100")
        );
        let (code, message) = refused(
            "SetAlarmState",
            &[
                ("AlarmName", "x"),
                ("StateValue", "BAD"),
                ("StateReason", "r"),
            ],
        );
        assert_eq!(
            (code, message.as_str()),
            ("ValidationError", "1 validation error detected: Value 'BAD' at 'stateValue' failed to satisfy constraint: Member must satisfy enum value set: [OK, ALARM, INSUFFICIENT_DATA]")
        );
        let (code, _) = refused(
            "PutMetricAlarm",
            &alarm_with(&[("Statistic", "Median")], "Statistic"),
        );
        assert_eq!(code, "ValidationError");
        // In botocore's enum, not served here.
        let (code, _) = refused(
            "PutMetricAlarm",
            &alarm_with(
                &[("ComparisonOperator", "LessThanLowerThreshold")],
                "ComparisonOperator",
            ),
        );
        assert_eq!(code, "InvalidParameterValue");
        // Metric math is read (its members are known) and refused as not served.
        let (code, message) = refused(
            "PutMetricAlarm",
            &alarm_with(
                &[
                    ("Metrics.member.1.Id", "m1"),
                    (
                        "Metrics.member.1.MetricStat.Metric.Namespace",
                        "demo/service",
                    ),
                    ("Metrics.member.1.MetricStat.Metric.MetricName", "Http5xx"),
                    ("Metrics.member.1.MetricStat.Period", "60"),
                    ("Metrics.member.1.MetricStat.Stat", "Sum"),
                    ("Metrics.member.1.ReturnData", "true"),
                ],
                "",
            ),
        );
        assert_eq!(code, "InvalidParameterValue");
        assert!(message.contains("Metrics"), "{message}");
        let (code, message) = refused(
            "PutMetricAlarm",
            &alarm_with(&[("Metrics.member.1.MetricStat.Period", "often")], ""),
        );
        assert_eq!(code, "ValidationError");
        assert!(
            message.contains("Metrics.member.1.MetricStat.Period"),
            "{message}"
        );
        let (code, status) = {
            let e = query(&cw, "DeleteAlarms", &[("AlarmNames.member.1", "x")], T0).unwrap_err();
            (e.code, e.status.as_u16())
        };
        assert_eq!((code, status), ("ResourceNotFound", 404));
        let (code, _) = refused("DescribeAlarmHistory", &[("NextToken", "t")]);
        assert_eq!(code, "InvalidNextToken");
        // Nothing was created by a refused request.
        assert_eq!(
            answered(&cw, "DescribeAlarms", &[], T0)["MetricAlarms"],
            json!([])
        );
    }

    #[test]
    fn json_and_cbor_refusals_keep_their_codes() {
        let cw = cw();
        let e = json_call(
            &cw,
            "PutMetricAlarm",
            json!({"AlarmName": "a", "Period": "60"}),
            T0,
        )
        .unwrap_err();
        assert_eq!(e.code, "SerializationException");
        let e = json_call(
            &cw,
            "SetAlarmState",
            json!({"AlarmName": "x", "StateValue": "BAD", "StateReason": "r"}),
            T0,
        )
        .unwrap_err();
        assert_eq!(e.code, "ValidationError");
        let e = json_call(&cw, "DescribeAlarmHistory", json!({"StartDate": true}), T0).unwrap_err();
        assert_eq!(e.code, "SerializationException");
    }

    /// Members of newer botocore models (PromQL alarms, alarm contributors) that the
    /// `.venv`'s botocore 1.35, whose CloudWatch still speaks only the query protocol, lacks.
    const NEWER: &[&str] = &[
        "EvaluationCriteria",
        "EvaluationInterval",
        "AlarmContributorId",
    ];

    #[test]
    fn request_types_fit_botocore_in_both_protocols() {
        fn both<T: DeserializeOwned>(op: &str) {
            request_fits_botocore_or_newer::<T>("cloudwatch", op, NEWER);
            query_request_fits_botocore_or_newer::<T>("cloudwatch", op, NEWER);
        }
        both::<PutMetricAlarmInput>("PutMetricAlarm");
        both::<DescribeAlarmsInput>("DescribeAlarms");
        both::<DeleteAlarmsInput>("DeleteAlarms");
        both::<SetAlarmStateInput>("SetAlarmState");
        both::<DescribeAlarmHistoryInput>("DescribeAlarmHistory");
    }
}
