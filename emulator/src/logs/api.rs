//! The CloudWatch Logs JSON 1.1 API (`X-Amz-Target: Logs_20140328.<Operation>`) over the
//! [`Logs`] backend: parses inputs, shapes outputs and errors as botocore's `logs` model
//! says. Served: FilterLogEvents, GetLogEvents, DescribeLogStreams, DescribeLogGroups,
//! CreateLogGroup, CreateLogStream, PutLogEvents, PutMetricFilter, DescribeMetricFilters,
//! DeleteMetricFilter.

use serde::Deserialize;
use serde_json::Value;

use super::backend::{
    FilterQuery, GetQuery, InputEvent, Logs, LogsCode, StreamOrder, StreamsQuery, Transformation,
};
use super::shapes::{DescribeMetricFiltersResponse, MetricFilter};
use crate::wire::error::{ApiError, Common};
use crate::wire::json::{answer, request, ApiResult};
use crate::wire::shape::Empty;

/// The JSON 1.1 target prefix of CloudWatch Logs.
pub(crate) const TARGET_PREFIX: &str = "Logs_20140328";

fn invalid(message: impl Into<String>) -> ApiError {
    ApiError::new(LogsCode::InvalidParameterException, message)
}

/// FilterLogEventsRequest.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct FilterLogEventsRequest {
    log_group_name: Option<String>,
    log_group_identifier: Option<String>,
    #[serde(default)]
    log_stream_names: Vec<String>,
    log_stream_name_prefix: Option<String>,
    start_time: Option<u64>,
    end_time: Option<u64>,
    filter_pattern: Option<String>,
    limit: Option<u64>,
    next_token: Option<String>,
}

/// GetLogEventsRequest.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct GetLogEventsRequest {
    log_group_name: Option<String>,
    log_group_identifier: Option<String>,
    log_stream_name: Option<String>,
    start_time: Option<u64>,
    end_time: Option<u64>,
    limit: Option<u64>,
    start_from_head: Option<bool>,
    next_token: Option<String>,
}

/// DescribeLogStreamsRequest.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct DescribeLogStreamsRequest {
    log_group_name: Option<String>,
    log_group_identifier: Option<String>,
    log_stream_name_prefix: Option<String>,
    order_by: Option<String>,
    descending: Option<bool>,
    limit: Option<u64>,
    next_token: Option<String>,
}

/// DescribeLogGroupsRequest.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct DescribeLogGroupsRequest {
    log_group_name_prefix: Option<String>,
    limit: Option<u64>,
    next_token: Option<String>,
}

/// CreateLogGroupRequest and CreateLogStreamRequest.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct CreateRequest {
    log_group_name: Option<String>,
    log_stream_name: Option<String>,
}

/// PutLogEventsRequest.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct PutLogEventsRequest {
    log_group_name: Option<String>,
    log_stream_name: Option<String>,
    log_events: Option<Vec<InputLogEvent>>,
}

/// PutMetricFilterRequest.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct PutMetricFilterRequest {
    log_group_name: Option<String>,
    filter_name: Option<String>,
    filter_pattern: Option<String>,
    metric_transformations: Option<Vec<MetricTransformation>>,
}

/// MetricTransformation.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct MetricTransformation {
    metric_name: Option<String>,
    metric_namespace: Option<String>,
    metric_value: Option<String>,
    default_value: Option<f64>,
    dimensions: Option<std::collections::BTreeMap<String, String>>,
    unit: Option<String>,
}

/// DeleteMetricFilterRequest.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct DeleteMetricFilterRequest {
    log_group_name: Option<String>,
    filter_name: Option<String>,
}

/// DescribeMetricFiltersRequest.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct DescribeMetricFiltersRequest {
    log_group_name: Option<String>,
    filter_name_prefix: Option<String>,
    next_token: Option<String>,
    limit: Option<u64>,
    metric_name: Option<String>,
    metric_namespace: Option<String>,
}

/// InputLogEvent.
#[derive(Debug, Default, Deserialize)]
struct InputLogEvent {
    timestamp: Option<u64>,
    message: Option<String>,
}

/// `logGroupName` or `logGroupIdentifier` (a name or an ARN): exactly one.
fn group(logs: &Logs, name: Option<String>, id: Option<&str>) -> Result<String, ApiError> {
    match (name, id) {
        (Some(name), None) => Ok(name),
        (None, Some(id)) => Ok(logs.group_name_of(id).to_string()),
        (Some(_), Some(_)) => Err(invalid(
            "LogGroup name and LogGroup ARN are mutually exclusive parameters.",
        )),
        (None, None) => Err(invalid(
            "Either LogGroupName or LogGroupIdentifier must be specified.",
        )),
    }
}

fn required<'a>(value: Option<&'a str>, key: &str) -> Result<&'a str, ApiError> {
    value.ok_or_else(|| {
        invalid(format!(
            "1 validation error detected: Value null at '{key}' failed to satisfy constraint: \
             Member must not be null"
        ))
    })
}

fn required_list<T>(value: Option<Vec<T>>, key: &str) -> Result<Vec<T>, ApiError> {
    value.ok_or_else(|| {
        invalid(format!(
            "1 validation error detected: Value null at '{key}' failed to satisfy constraint: \
             Member must not be null"
        ))
    })
}

fn ms(v: Option<u64>) -> Option<i64> {
    v.map(|n| i64::try_from(n).unwrap_or(i64::MAX))
}

fn count(v: Option<u64>) -> Option<usize> {
    v.map(|n| usize::try_from(n).unwrap_or(usize::MAX))
}

/// Handles one operation; `now` is epoch milliseconds.
pub(crate) fn handle(logs: &Logs, op: &str, input: &Value, now: i64) -> ApiResult {
    match op {
        "FilterLogEvents" => {
            let r: FilterLogEventsRequest = request(input)?;
            let q = FilterQuery {
                group: group(logs, r.log_group_name, r.log_group_identifier.as_deref())?,
                stream_names: r.log_stream_names,
                stream_prefix: r.log_stream_name_prefix,
                start_time: ms(r.start_time),
                end_time: ms(r.end_time),
                pattern: r.filter_pattern.unwrap_or_default(),
                limit: count(r.limit),
                next_token: r.next_token,
            };
            answer(logs.filter(&q)?)
        }
        "GetLogEvents" => {
            let r: GetLogEventsRequest = request(input)?;
            let q = GetQuery {
                group: group(logs, r.log_group_name, r.log_group_identifier.as_deref())?,
                stream: required(r.log_stream_name.as_deref(), "logStreamName")?.to_string(),
                start_time: ms(r.start_time),
                end_time: ms(r.end_time),
                limit: count(r.limit),
                start_from_head: r.start_from_head.unwrap_or(false),
                next_token: r.next_token,
            };
            answer(logs.get(&q)?)
        }
        "DescribeLogStreams" => {
            let r: DescribeLogStreamsRequest = request(input)?;
            let order_by = match r.order_by.as_deref() {
                None | Some("LogStreamName") => StreamOrder::LogStreamName,
                Some("LastEventTime") => StreamOrder::LastEventTime,
                Some(other) => {
                    return Err(invalid(format!(
                        "1 validation error detected: Value '{other}' at 'orderBy' failed to satisfy \
                         constraint: Member must satisfy enum value set: [LogStreamName, LastEventTime]"
                    )))
                }
            };
            let q = StreamsQuery {
                group: group(logs, r.log_group_name, r.log_group_identifier.as_deref())?,
                prefix: r.log_stream_name_prefix,
                order_by,
                descending: r.descending.unwrap_or(false),
                limit: count(r.limit),
                next_token: r.next_token,
            };
            answer(logs.describe_streams(&q)?)
        }
        "DescribeLogGroups" => {
            let r: DescribeLogGroupsRequest = request(input)?;
            let page = logs.describe_groups(
                r.log_group_name_prefix.as_deref(),
                count(r.limit),
                r.next_token.as_deref(),
            )?;
            answer(page)
        }
        "CreateLogGroup" => {
            let r: CreateRequest = request(input)?;
            logs.create_group(required(r.log_group_name.as_deref(), "logGroupName")?, now)?;
            answer(Empty {})
        }
        "CreateLogStream" => {
            let r: CreateRequest = request(input)?;
            logs.create_stream(
                required(r.log_group_name.as_deref(), "logGroupName")?,
                required(r.log_stream_name.as_deref(), "logStreamName")?,
                now,
            )?;
            answer(Empty {})
        }
        "PutLogEvents" => {
            let r: PutLogEventsRequest = request(input)?;
            let group = required(r.log_group_name.as_deref(), "logGroupName")?;
            let stream = required(r.log_stream_name.as_deref(), "logStreamName")?;
            let events = r
                .log_events
                .ok_or_else(|| invalid("logEvents is required"))?
                .into_iter()
                .map(|e| {
                    Ok(InputEvent {
                        timestamp: ms(e.timestamp)
                            .ok_or_else(|| invalid("logEvents[].timestamp is required"))?,
                        message: e
                            .message
                            .ok_or_else(|| invalid("logEvents[].message is required"))?,
                    })
                })
                .collect::<Result<Vec<_>, ApiError>>()?;
            logs.put_events(group, stream, events, now)?;
            // Sequence tokens are ignored by AWS since 2023 (PutLogEventsResponse's
            // nextSequenceToken); nothing was rejected.
            answer(Empty {})
        }
        "PutMetricFilter" => {
            let r: PutMetricFilterRequest = request(input)?;
            let group = required(r.log_group_name.as_deref(), "logGroupName")?;
            let name = required(r.filter_name.as_deref(), "filterName")?;
            let pattern = required(r.filter_pattern.as_deref(), "filterPattern")?;
            let transformations = required_list(r.metric_transformations, "metricTransformations")?
                .into_iter()
                .map(|t| {
                    Ok(Transformation {
                        metric_name: t.metric_name.unwrap_or_default(),
                        metric_namespace: t.metric_namespace.unwrap_or_default(),
                        metric_value: t.metric_value.ok_or_else(|| {
                            invalid("metricTransformations[].metricValue is required")
                        })?,
                        default_value: t.default_value,
                        dimensions: t.dimensions.unwrap_or_default(),
                        unit: t.unit,
                    })
                })
                .collect::<Result<Vec<_>, ApiError>>()?;
            logs.put_metric_filter(group, name, pattern, transformations, now)?;
            answer(Empty {})
        }
        "DeleteMetricFilter" => {
            let r: DeleteMetricFilterRequest = request(input)?;
            logs.delete_metric_filter(
                required(r.log_group_name.as_deref(), "logGroupName")?,
                required(r.filter_name.as_deref(), "filterName")?,
            )?;
            answer(Empty {})
        }
        "DescribeMetricFilters" => {
            let r: DescribeMetricFiltersRequest = request(input)?;
            let metric = match (r.metric_namespace.as_deref(), r.metric_name.as_deref()) {
                (Some(ns), Some(n)) => Some((ns, n)),
                (None, None) => None,
                _ => {
                    return Err(invalid(
                        "metricName and metricNamespace must be given together.",
                    ))
                }
            };
            let all = logs.describe_metric_filters(
                r.log_group_name.as_deref(),
                r.filter_name_prefix.as_deref(),
                metric,
            )?;
            // The token is the index of the next filter.
            let from: usize = match r.next_token.as_deref() {
                None => 0,
                Some(t) => t
                    .parse()
                    .map_err(|_| invalid("The specified nextToken is invalid."))?,
            };
            let limit = match count(r.limit) {
                None => 50,
                Some(n @ 1..=50) => n,
                Some(n) => {
                    return Err(invalid(format!(
                        "1 validation error detected: Value '{n}' at 'limit' failed to satisfy \
                         constraint: Member must have value between 1 and 50"
                    )))
                }
            };
            let metric_filters = all
                .iter()
                .skip(from)
                .take(limit)
                .map(|f| {
                    let t = &f.transformation;
                    MetricFilter {
                        filter_name: f.filter_name.clone(),
                        filter_pattern: f.filter_pattern.clone(),
                        metric_transformations: vec![super::shapes::MetricTransformation {
                            metric_name: t.metric_name.clone(),
                            metric_namespace: t.metric_namespace.clone(),
                            metric_value: t.metric_value.clone(),
                            default_value: t.default_value,
                            dimensions: t.dimensions.clone(),
                            unit: t.unit.clone(),
                        }],
                        creation_time: f.creation_time,
                        log_group_name: f.log_group_name.clone(),
                        apply_on_transformed_logs: false,
                    }
                })
                .collect();
            answer(DescribeMetricFiltersResponse {
                metric_filters,
                next_token: (from + limit < all.len()).then(|| (from + limit).to_string()),
            })
        }
        _ => Err(ApiError::new(
            Common::UnknownOperationException,
            format!(
                "Logs_20140328.{op} is not served by the local stack (FilterLogEvents, GetLogEvents, \
                 DescribeLogStreams, DescribeLogGroups, CreateLogGroup, CreateLogStream, PutLogEvents, \
                 PutMetricFilter, DescribeMetricFilters, DeleteMetricFilter are)"
            ),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn requests_fit_botocore() {
        use crate::botocore_check::request_fits_botocore as fits;
        fits::<FilterLogEventsRequest>("logs", "FilterLogEvents");
        fits::<GetLogEventsRequest>("logs", "GetLogEvents");
        fits::<DescribeLogStreamsRequest>("logs", "DescribeLogStreams");
        fits::<DescribeLogGroupsRequest>("logs", "DescribeLogGroups");
        fits::<CreateRequest>("logs", "CreateLogStream");
        fits::<PutLogEventsRequest>("logs", "PutLogEvents");
        fits::<PutMetricFilterRequest>("logs", "PutMetricFilter");
        fits::<DeleteMetricFilterRequest>("logs", "DeleteMetricFilter");
        fits::<DescribeMetricFiltersRequest>("logs", "DescribeMetricFilters");
    }

    fn backend() -> Logs {
        let l = Logs::new("us-east-1", "000000000000");
        l.append(
            "/ecs/demo",
            "ecs/demo/t1",
            r#"{"level":"INFO","message":"request"}"#,
            1_000,
        )
        .unwrap();
        l.append(
            "/ecs/demo",
            "ecs/demo/t2",
            r#"{"level":"ERROR","message":"boom"}"#,
            2_000,
        )
        .unwrap();
        l
    }

    fn fits_botocore(op: &str, value: &Value) {
        crate::botocore_check::fits_botocore("logs", op, value);
    }

    #[test]
    fn answers_fit_botocore_output_shapes() {
        let l = backend();
        for (op, input) in [
            ("FilterLogEvents", json!({"logGroupName": "/ecs/demo"})),
            (
                "FilterLogEvents",
                json!({"logGroupIdentifier": "/ecs/demo", "limit": 1, "filterPattern": "{ $.level = \"INFO\" }"}),
            ),
            (
                "GetLogEvents",
                json!({"logGroupName": "/ecs/demo", "logStreamName": "ecs/demo/t1", "startFromHead": true}),
            ),
            (
                "DescribeLogStreams",
                json!({"logGroupName": "/ecs/demo", "orderBy": "LastEventTime", "descending": true}),
            ),
            ("DescribeLogGroups", json!({"logGroupNamePrefix": "/ecs"})),
        ] {
            let v = handle(&l, op, &input, 3_000).unwrap_or_else(|e| panic!("{op}: {e:?}"));
            fits_botocore(op, &v);
        }
        let v = handle(
            &l,
            "FilterLogEvents",
            &json!({"logGroupName": "/ecs/demo", "limit": 1}),
            3_000,
        )
        .unwrap();
        assert_eq!(v["events"].as_array().unwrap().len(), 1);
        assert!(v["nextToken"].is_string());
        assert_eq!(v["events"][0]["logStreamName"], "ecs/demo/t1");
        assert_eq!(v["events"][0]["timestamp"], 1_000);
    }

    /// The filter infra/codedeploy.tf creates counts the access log's 5xx lines into
    /// CloudWatch; DescribeMetricFilters answers it in botocore's shape.
    #[test]
    fn a_metric_filter_publishes_the_5xx_lines_to_cloudwatch() {
        use crate::cloudwatch::backend::{CloudWatch, MetricKey};
        let l = backend();
        let cw = std::sync::Arc::new(CloudWatch::new(
            "us-east-1",
            "000000000000",
            std::time::Duration::from_secs(1),
        ));
        l.publish_metrics_to(std::sync::Arc::clone(&cw));
        let put = json!({
            "logGroupName": "/ecs/demo",
            "filterName": "demo-http-5xx",
            "filterPattern": "{ $.message = \"request\" && $.status >= 500 }",
            "metricTransformations": [{"metricName": "Http5xx", "metricNamespace": "demo/service", "metricValue": "1", "unit": "Count"}]
        });
        handle(&l, "PutMetricFilter", &put, 3_000).unwrap();
        for (status, t) in [(500, 4_000), (200, 4_100), (503, 4_200)] {
            l.append(
                "/ecs/demo",
                "ecs/demo/t1",
                &format!(r#"{{"message":"request","status":{status}}}"#),
                t,
            )
            .unwrap();
        }
        l.append(
            "/ecs/demo",
            "ecs/demo/t1",
            r#"{"message":"started","status":500}"#,
            4_300,
        )
        .unwrap();
        let metric = MetricKey {
            namespace: "demo/service".into(),
            name: "Http5xx".into(),
            dimensions: vec![],
        };
        assert_eq!(cw.datapoints(&metric), vec![(4_000, 1.0), (4_200, 1.0)]);
        let v = handle(
            &l,
            "DescribeMetricFilters",
            &json!({"logGroupName": "/ecs/demo"}),
            5_000,
        )
        .unwrap();
        fits_botocore("DescribeMetricFilters", &v);
        assert_eq!(
            v,
            json!({"metricFilters": [{
                "filterName": "demo-http-5xx",
                "filterPattern": "{ $.message = \"request\" && $.status >= 500 }",
                "metricTransformations": [{"metricName": "Http5xx",
                    "metricNamespace": "demo/service", "metricValue": "1", "unit": "Count"}],
                "creationTime": 3_000,
                "logGroupName": "/ecs/demo",
                "applyOnTransformedLogs": false,
            }]})
        );
        let groups = handle(&l, "DescribeLogGroups", &json!({}), 5_000).unwrap();
        assert_eq!(groups["logGroups"][0]["metricFilterCount"], 1);
        // A $.field value reads the event's number.
        let mut by_field = put.clone();
        by_field["filterName"] = json!("latency");
        by_field["filterPattern"] = json!("{ $.message = \"request\" }");
        by_field["metricTransformations"][0]["metricName"] = json!("Latency");
        by_field["metricTransformations"][0]["metricValue"] = json!("$.latency_ms");
        handle(&l, "PutMetricFilter", &by_field, 5_000).unwrap();
        l.append(
            "/ecs/demo",
            "ecs/demo/t1",
            r#"{"message":"request","latency_ms":12.5}"#,
            6_000,
        )
        .unwrap();
        let latency = MetricKey {
            name: "Latency".into(),
            ..metric
        };
        assert_eq!(cw.datapoints(&latency), vec![(6_000, 12.5)]);
        handle(
            &l,
            "DeleteMetricFilter",
            &json!({"logGroupName": "/ecs/demo", "filterName": "latency"}),
            7_000,
        )
        .unwrap();
        let e = handle(
            &l,
            "DeleteMetricFilter",
            &json!({"logGroupName": "/ecs/demo", "filterName": "latency"}),
            7_000,
        )
        .unwrap_err();
        assert_eq!(e.code, "ResourceNotFoundException");
        let mut bad = put.clone();
        bad["filterPattern"] = json!("{ $.status >= }");
        assert_eq!(
            handle(&l, "PutMetricFilter", &bad, 1).unwrap_err().code,
            "InvalidParameterException"
        );
        let mut bad = put.clone();
        bad["metricTransformations"][0]["metricValue"] = json!("$.x");
        bad["filterPattern"] = json!("ERROR");
        assert_eq!(
            handle(&l, "PutMetricFilter", &bad, 1).unwrap_err().code,
            "InvalidParameterException"
        );
        let mut bad = put;
        bad["logGroupName"] = json!("/nope");
        assert_eq!(
            handle(&l, "PutMetricFilter", &bad, 1).unwrap_err().code,
            "ResourceNotFoundException"
        );
    }

    #[test]
    fn errors_carry_aws_codes() {
        let l = backend();
        let code = |op: &str, input: Value| handle(&l, op, &input, 1).unwrap_err().code;
        assert_eq!(
            code("FilterLogEvents", json!({"logGroupName": "/nope"})),
            "ResourceNotFoundException"
        );
        assert_eq!(
            code("FilterLogEvents", json!({})),
            "InvalidParameterException"
        );
        assert_eq!(
            code(
                "FilterLogEvents",
                json!({"logGroupName": "/ecs/demo", "logGroupIdentifier": "/ecs/demo"})
            ),
            "InvalidParameterException"
        );
        assert_eq!(
            code("GetLogEvents", json!({"logGroupName": "/ecs/demo"})),
            "InvalidParameterException"
        );
        assert_eq!(
            code(
                "FilterLogEvents",
                json!({"logGroupName": "/ecs/demo", "startTime": "x"})
            ),
            "SerializationException"
        );
        assert_eq!(
            code(
                "DescribeLogStreams",
                json!({"logGroupName": "/ecs/demo", "orderBy": "Size"})
            ),
            "InvalidParameterException"
        );
        assert_eq!(
            code("CreateLogGroup", json!({"logGroupName": "/ecs/demo"})),
            "ResourceAlreadyExistsException"
        );
        assert_eq!(code("TailLogs", json!({})), "UnknownOperationException");
    }

    /// The writes answer `{}`: PutLogEvents' output shape (nothing rejected, no sequence
    /// token) and the others' (they have no output in botocore's model).
    #[test]
    fn writes_answer_their_output_shapes() {
        let l = Logs::new("us-east-1", "000000000000");
        let group = json!({"logGroupName": "/g"});
        let stream = json!({"logGroupName": "/g", "logStreamName": "s"});
        let put = json!({"logGroupName": "/g", "logStreamName": "s",
            "logEvents": [{"timestamp": 1, "message": "m"}]});
        let filter = json!({"logGroupName": "/g", "filterName": "f", "filterPattern": "m",
            "metricTransformations": [{"metricName": "M", "metricNamespace": "N",
                "metricValue": "1", "defaultValue": 0.0}]});
        for (op, input) in [
            ("CreateLogGroup", &group),
            ("CreateLogStream", &stream),
            ("PutLogEvents", &put),
            ("PutMetricFilter", &filter),
        ] {
            let v = handle(&l, op, input, 2).unwrap_or_else(|e| panic!("{op}: {e:?}"));
            assert_eq!(v, json!({}), "{op}");
        }
        fits_botocore("PutLogEvents", &json!({}));
        let v = handle(&l, "DescribeMetricFilters", &group, 3).unwrap();
        fits_botocore("DescribeMetricFilters", &v);
        let t = &v["metricFilters"][0]["metricTransformations"][0];
        assert_eq!(t["defaultValue"], 0.0);
        assert!(t.get("dimensions").is_none(), "none given");
        assert!(t.get("unit").is_none());
        let v = handle(
            &l,
            "DeleteMetricFilter",
            &json!({"logGroupName": "/g", "filterName": "f"}),
            4,
        );
        assert_eq!(v.unwrap(), json!({}));
    }

    /// The shape checks can fail: a member of the wrong type.
    #[test]
    #[should_panic(expected = "does not fit botocore")]
    fn a_member_of_the_wrong_type_does_not_fit() {
        let mut v = handle(&backend(), "DescribeLogGroups", &json!({}), 3_000).unwrap();
        v["logGroups"][0]["creationTime"] = json!("yesterday");
        fits_botocore("DescribeLogGroups", &v);
    }

    #[test]
    fn put_then_read_through_the_api() {
        let l = Logs::new("us-east-1", "000000000000");
        handle(
            &l,
            "CreateLogGroup",
            &json!({"logGroupName": "/aws/codebuild/demo"}),
            1,
        )
        .unwrap();
        handle(
            &l,
            "CreateLogStream",
            &json!({"logGroupName": "/aws/codebuild/demo", "logStreamName": "b1"}),
            1,
        )
        .unwrap();
        handle(
            &l,
            "PutLogEvents",
            &json!({"logGroupName": "/aws/codebuild/demo", "logStreamName": "b1",
                    "logEvents": [{"timestamp": 5, "message": "hello"}, {"timestamp": 6, "message": "bye"}]}),
            7,
        )
        .unwrap();
        let v = handle(
            &l,
            "GetLogEvents",
            &json!({"logGroupIdentifier": "arn:aws:logs:us-east-1:000000000000:log-group:/aws/codebuild/demo:*",
                    "logStreamName": "b1", "startFromHead": true}),
            8,
        )
        .unwrap();
        assert_eq!(v["events"][0]["message"], "hello");
        assert_eq!(v["events"][1]["ingestionTime"], 7);
    }
}
