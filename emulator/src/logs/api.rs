//! The CloudWatch Logs JSON 1.1 API (`X-Amz-Target: Logs_20140328.<Operation>`) over the
//! [`Logs`] backend: parses inputs, shapes outputs and errors as botocore's `logs` model
//! says. Served: FilterLogEvents, GetLogEvents, DescribeLogStreams, DescribeLogGroups,
//! CreateLogGroup, CreateLogStream, PutLogEvents.

use serde_json::{json, Value};

use super::backend::{
    FilterQuery, GetQuery, InputEvent, Logs, LogsCode, StreamOrder, StreamsQuery,
};
use crate::wire::error::{ApiError, Common};
use crate::wire::json::{opt_str, str_list, ApiResult};

/// The JSON 1.1 target prefix of CloudWatch Logs.
pub(crate) const TARGET_PREFIX: &str = "Logs_20140328";

fn invalid(message: impl Into<String>) -> ApiError {
    ApiError::new(LogsCode::InvalidParameterException, message)
}

fn opt_i64(input: &Value, key: &str) -> Result<Option<i64>, ApiError> {
    match input.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => match v.as_i64() {
            Some(n) if n >= 0 => Ok(Some(n)),
            _ => Err(ApiError::new(
                Common::SerializationException,
                format!("{key}: expected a non-negative integer, got {v}"),
            )),
        },
    }
}

fn opt_usize(input: &Value, key: &str) -> Result<Option<usize>, ApiError> {
    Ok(opt_i64(input, key)?.map(|n| n as usize))
}

fn opt_bool(input: &Value, key: &str) -> Result<bool, ApiError> {
    match input.get(key) {
        None | Some(Value::Null) => Ok(false),
        Some(Value::Bool(b)) => Ok(*b),
        Some(v) => Err(ApiError::new(
            Common::SerializationException,
            format!("{key}: expected a boolean, got {v}"),
        )),
    }
}

/// `logGroupName` or `logGroupIdentifier` (a name or an ARN): exactly one.
fn group(logs: &Logs, input: &Value) -> Result<String, ApiError> {
    match (
        opt_str(input, "logGroupName")?,
        opt_str(input, "logGroupIdentifier")?,
    ) {
        (Some(name), None) => Ok(name.to_string()),
        (None, Some(id)) => Ok(logs.group_name_of(id).to_string()),
        (Some(_), Some(_)) => Err(invalid(
            "LogGroup name and LogGroup ARN are mutually exclusive parameters.",
        )),
        (None, None) => Err(invalid(
            "Either LogGroupName or LogGroupIdentifier must be specified.",
        )),
    }
}

fn required<'a>(input: &'a Value, key: &str) -> Result<&'a str, ApiError> {
    opt_str(input, key)?.ok_or_else(|| {
        invalid(format!(
            "1 validation error detected: Value null at '{key}' failed to satisfy constraint: \
             Member must not be null"
        ))
    })
}

/// Handles one operation; `now` is epoch milliseconds.
pub(crate) fn handle(logs: &Logs, op: &str, input: &Value, now: i64) -> ApiResult {
    match op {
        "FilterLogEvents" => {
            let q = FilterQuery {
                group: group(logs, input)?,
                stream_names: str_list(input, "logStreamNames")?,
                stream_prefix: opt_str(input, "logStreamNamePrefix")?.map(String::from),
                start_time: opt_i64(input, "startTime")?,
                end_time: opt_i64(input, "endTime")?,
                pattern: opt_str(input, "filterPattern")?.unwrap_or("").to_string(),
                limit: opt_usize(input, "limit")?,
                next_token: opt_str(input, "nextToken")?.map(String::from),
            };
            Ok(serde_json::to_value(logs.filter(&q)?).unwrap_or_default())
        }
        "GetLogEvents" => {
            let q = GetQuery {
                group: group(logs, input)?,
                stream: required(input, "logStreamName")?.to_string(),
                start_time: opt_i64(input, "startTime")?,
                end_time: opt_i64(input, "endTime")?,
                limit: opt_usize(input, "limit")?,
                start_from_head: opt_bool(input, "startFromHead")?,
                next_token: opt_str(input, "nextToken")?.map(String::from),
            };
            Ok(serde_json::to_value(logs.get(&q)?).unwrap_or_default())
        }
        "DescribeLogStreams" => {
            let order_by = match opt_str(input, "orderBy")? {
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
                group: group(logs, input)?,
                prefix: opt_str(input, "logStreamNamePrefix")?.map(String::from),
                order_by,
                descending: opt_bool(input, "descending")?,
                limit: opt_usize(input, "limit")?,
                next_token: opt_str(input, "nextToken")?.map(String::from),
            };
            Ok(serde_json::to_value(logs.describe_streams(&q)?).unwrap_or_default())
        }
        "DescribeLogGroups" => {
            let page = logs.describe_groups(
                opt_str(input, "logGroupNamePrefix")?,
                opt_usize(input, "limit")?,
                opt_str(input, "nextToken")?,
            )?;
            Ok(serde_json::to_value(page).unwrap_or_default())
        }
        "CreateLogGroup" => {
            logs.create_group(required(input, "logGroupName")?, now)?;
            Ok(json!({}))
        }
        "CreateLogStream" => {
            logs.create_stream(
                required(input, "logGroupName")?,
                required(input, "logStreamName")?,
                now,
            )?;
            Ok(json!({}))
        }
        "PutLogEvents" => {
            let group = required(input, "logGroupName")?;
            let stream = required(input, "logStreamName")?;
            let events = input
                .get("logEvents")
                .and_then(Value::as_array)
                .ok_or_else(|| invalid("logEvents is required"))?
                .iter()
                .map(|e| {
                    Ok(InputEvent {
                        timestamp: opt_i64(e, "timestamp")?
                            .ok_or_else(|| invalid("logEvents[].timestamp is required"))?,
                        message: opt_str(e, "message")?
                            .ok_or_else(|| invalid("logEvents[].message is required"))?
                            .to_string(),
                    })
                })
                .collect::<Result<Vec<_>, ApiError>>()?;
            logs.put_events(group, stream, &events, now)?;
            // Sequence tokens are ignored by AWS since 2023; the field stays in the shape.
            Ok(json!({}))
        }
        _ => Err(ApiError::new(
            Common::UnknownOperationException,
            format!(
                "Logs_20140328.{op} is not served by the local stack (FilterLogEvents, GetLogEvents, \
                 DescribeLogStreams, DescribeLogGroups, CreateLogGroup, CreateLogStream, PutLogEvents are)"
            ),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
