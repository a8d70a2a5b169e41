//! CloudWatch's answers as serde types, named after botocore's output shapes (PascalCase,
//! the members as the query protocol names them), and how each is read off the backend's
//! records. The router writes them as XML or CBOR; timestamps are epoch seconds here
//! ([`super::api::TIMESTAMPS`] names them for the query protocol's ISO 8601).

use serde::Serialize;

use super::backend::{Alarm, HistoryItem};
use super::engine::{Comparison, Missing, StateValue, Statistic};
use crate::wire::shape::AwsName;

/// DescribeAlarmsOutput.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct DescribeAlarmsOutput {
    pub(crate) metric_alarms: Vec<MetricAlarm>,
    /// Composite alarms are not served: always empty.
    pub(crate) composite_alarms: Vec<serde_json::Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) next_token: Option<String>,
}

/// MetricAlarm.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct MetricAlarm {
    pub(crate) alarm_name: String,
    pub(crate) alarm_arn: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) alarm_description: Option<String>,
    pub(crate) alarm_configuration_updated_timestamp: f64,
    pub(crate) actions_enabled: bool,
    #[serde(rename = "OKActions")]
    pub(crate) ok_actions: Vec<String>,
    pub(crate) alarm_actions: Vec<String>,
    pub(crate) insufficient_data_actions: Vec<String>,
    pub(crate) state_value: AwsName<StateValue>,
    pub(crate) state_reason: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) state_reason_data: Option<String>,
    pub(crate) state_updated_timestamp: f64,
    pub(crate) metric_name: String,
    pub(crate) namespace: String,
    pub(crate) statistic: AwsName<Statistic>,
    pub(crate) dimensions: Vec<Dimension>,
    pub(crate) period: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) unit: Option<String>,
    pub(crate) evaluation_periods: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) datapoints_to_alarm: Option<u32>,
    pub(crate) threshold: f64,
    pub(crate) comparison_operator: AwsName<Comparison>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) treat_missing_data: Option<AwsName<Missing>>,
    pub(crate) state_transitioned_timestamp: f64,
}

/// Dimension.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct Dimension {
    pub(crate) name: String,
    pub(crate) value: String,
}

impl MetricAlarm {
    pub(crate) fn of(a: &Alarm) -> Self {
        let s = &a.spec;
        MetricAlarm {
            alarm_name: s.name.clone(),
            alarm_arn: a.arn.clone(),
            alarm_description: s.description.clone(),
            alarm_configuration_updated_timestamp: a.configuration_updated,
            actions_enabled: s.actions_enabled,
            ok_actions: s.ok_actions.clone(),
            alarm_actions: s.alarm_actions.clone(),
            insufficient_data_actions: s.insufficient_data_actions.clone(),
            state_value: AwsName(a.state),
            state_reason: a.reason.clone(),
            state_reason_data: a.reason_data.clone(),
            state_updated_timestamp: a.state_updated,
            metric_name: s.metric.name.clone(),
            namespace: s.metric.namespace.clone(),
            statistic: AwsName(s.statistic),
            dimensions: s
                .metric
                .dimensions
                .iter()
                .map(|(name, value)| Dimension {
                    name: name.clone(),
                    value: value.clone(),
                })
                .collect(),
            period: s.period,
            unit: s.unit.clone(),
            evaluation_periods: s.evaluation_periods,
            datapoints_to_alarm: s.datapoints_to_alarm,
            threshold: s.threshold,
            comparison_operator: AwsName(s.comparison),
            treat_missing_data: s.treat_missing_data.map(AwsName),
            state_transitioned_timestamp: a.state_transitioned,
        }
    }
}

/// DescribeAlarmHistoryOutput.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct DescribeAlarmHistoryOutput {
    pub(crate) alarm_history_items: Vec<AlarmHistoryItem>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) next_token: Option<String>,
}

/// AlarmType: only metric alarms are served.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub(crate) enum AlarmType {
    MetricAlarm,
}

/// AlarmHistoryItem.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct AlarmHistoryItem {
    pub(crate) alarm_name: String,
    pub(crate) alarm_type: AlarmType,
    pub(crate) timestamp: f64,
    /// HistoryItemType, as the backend records it.
    pub(crate) history_item_type: &'static str,
    pub(crate) history_summary: String,
    pub(crate) history_data: String,
}

impl AlarmHistoryItem {
    pub(crate) fn of(h: &HistoryItem) -> Self {
        AlarmHistoryItem {
            alarm_name: h.alarm_name.clone(),
            alarm_type: AlarmType::MetricAlarm,
            timestamp: h.timestamp,
            history_item_type: h.kind,
            history_summary: h.summary.clone(),
            history_data: h.data.clone(),
        }
    }
}
