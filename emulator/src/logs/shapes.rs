//! CloudWatch Logs' answers as serde types, named after botocore's output shapes
//! (camelCase, as the Logs JSON 1.1 API writes them). The backend's reads return the
//! pages and records defined here; [`super::api`] adds the metric filters' shapes.

use std::collections::BTreeMap;

use serde::Serialize;

/// FilterLogEvents' answer (`searchedLogStreams` is deprecated and answered empty).
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub(crate) struct FilterLogEventsResponse {
    pub(crate) events: Vec<FilteredLogEvent>,
    pub(crate) searched_log_streams: Vec<serde_json::Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) next_token: Option<String>,
}

/// FilteredLogEvent.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub(crate) struct FilteredLogEvent {
    pub(crate) log_stream_name: String,
    pub(crate) timestamp: i64,
    pub(crate) message: String,
    pub(crate) ingestion_time: i64,
    pub(crate) event_id: String,
}

/// GetLogEvents' answer.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub(crate) struct GetLogEventsResponse {
    pub(crate) events: Vec<OutputLogEvent>,
    pub(crate) next_forward_token: String,
    pub(crate) next_backward_token: String,
}

/// OutputLogEvent.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub(crate) struct OutputLogEvent {
    pub(crate) timestamp: i64,
    pub(crate) message: String,
    pub(crate) ingestion_time: i64,
}

/// LogStream.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub(crate) struct LogStream {
    pub(crate) log_stream_name: String,
    pub(crate) creation_time: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) first_event_timestamp: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) last_event_timestamp: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) last_ingestion_time: Option<i64>,
    pub(crate) arn: String,
    pub(crate) stored_bytes: i64,
}

/// DescribeLogStreamsResponse.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub(crate) struct DescribeLogStreamsResponse {
    pub(crate) log_streams: Vec<LogStream>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) next_token: Option<String>,
}

/// LogGroup.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub(crate) struct LogGroup {
    pub(crate) log_group_name: String,
    pub(crate) creation_time: i64,
    pub(crate) metric_filter_count: i32,
    pub(crate) arn: String,
    pub(crate) stored_bytes: i64,
    pub(crate) log_group_class: LogGroupClass,
    pub(crate) log_group_arn: String,
}

/// DescribeLogGroupsResponse.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub(crate) struct DescribeLogGroupsResponse {
    pub(crate) log_groups: Vec<LogGroup>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) next_token: Option<String>,
}

/// LogGroupClass: every local group is a STANDARD one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub(crate) enum LogGroupClass {
    Standard,
}

/// DescribeMetricFiltersResponse.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub(crate) struct DescribeMetricFiltersResponse {
    pub(crate) metric_filters: Vec<MetricFilter>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) next_token: Option<String>,
}

/// MetricFilter.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub(crate) struct MetricFilter {
    pub(crate) filter_name: String,
    pub(crate) filter_pattern: String,
    pub(crate) metric_transformations: Vec<MetricTransformation>,
    pub(crate) creation_time: i64,
    pub(crate) log_group_name: String,
    pub(crate) apply_on_transformed_logs: bool,
}

/// MetricTransformation (as the filter was put).
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub(crate) struct MetricTransformation {
    pub(crate) metric_name: String,
    pub(crate) metric_namespace: String,
    pub(crate) metric_value: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) default_value: Option<f64>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub(crate) dimensions: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) unit: Option<String>,
}
