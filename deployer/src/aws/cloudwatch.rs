//! CloudWatch: the alarms CodeDeploy watches (the deployment group's alarm configuration),
//! their state and the metric value that put them there.

#![warn(unreachable_pub)]

use anyhow::Context;
use serde::Serialize;

use crate::aws::{AwsResultExt, Ctx};

/// One alarm's state, as DescribeAlarms answers it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct AlarmState {
    pub(crate) name: String,
    /// OK, ALARM, INSUFFICIENT_DATA.
    pub(crate) state: String,
    /// StateReason, in CloudWatch's words.
    pub(crate) reason: String,
    /// The newest datapoint of the evaluation (StateReasonData's `recentDatapoints`).
    pub(crate) value: Option<f64>,
    pub(crate) threshold: Option<f64>,
    /// `Http5xx Sum >= 5`: the metric, the statistic and the comparison.
    pub(crate) rule: String,
    /// When the alarm last changed state (StateUpdatedTimestamp), epoch milliseconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) updated_ms: Option<i64>,
    /// The evaluation window in seconds (Period x EvaluationPeriods) plus one period: how
    /// long the alarm takes at most to see a change.
    #[serde(skip)]
    pub(crate) window_secs: u64,
}

/// The newest of StateReasonData's `recentDatapoints`, when the reason data has them.
fn recent_value(reason_data: Option<&str>) -> Option<f64> {
    let v: serde_json::Value = serde_json::from_str(reason_data?).ok()?;
    v["recentDatapoints"].as_array()?.last()?.as_f64()
}

fn operator(op: Option<&aws_sdk_cloudwatch::types::ComparisonOperator>) -> &'static str {
    use aws_sdk_cloudwatch::types::ComparisonOperator as C;
    match op {
        Some(C::GreaterThanOrEqualToThreshold) => ">=",
        Some(C::GreaterThanThreshold) => ">",
        Some(C::LessThanThreshold) => "<",
        Some(C::LessThanOrEqualToThreshold) => "<=",
        _ => "?",
    }
}

/// The states of the metric alarms named `names` (DescribeAlarms), in name order; an
/// alarm that does not exist is left out.
pub(crate) async fn alarms(ctx: &Ctx, names: &[String]) -> anyhow::Result<Vec<AlarmState>> {
    if names.is_empty() {
        return Ok(Vec::new());
    }
    let mut out = Vec::new();
    // DescribeAlarms takes at most 100 names.
    for chunk in names.chunks(100) {
        let mut pages = ctx
            .aws
            .cloudwatch
            .describe_alarms()
            .set_alarm_names(Some(chunk.to_vec()))
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page
                .aws("cloudwatch:DescribeAlarms")
                .with_context(|| format!("reading the alarms {}", names.join(", ")))?;
            for a in page.metric_alarms.unwrap_or_default() {
                out.push(AlarmState {
                    name: a.alarm_name.clone().unwrap_or_default(),
                    state: a
                        .state_value
                        .as_ref()
                        .map(|s| s.as_str().to_string())
                        .unwrap_or_default(),
                    reason: a.state_reason.clone().unwrap_or_default(),
                    value: recent_value(a.state_reason_data.as_deref()),
                    threshold: a.threshold,
                    updated_ms: a.state_updated_timestamp.and_then(|t| t.to_millis().ok()),
                    window_secs: {
                        let period = u64::try_from(a.period.unwrap_or(60)).unwrap_or(60);
                        let periods = u64::try_from(a.evaluation_periods.unwrap_or(1)).unwrap_or(1);
                        period * (periods + 1)
                    },
                    rule: format!(
                        "{} {} {} {}",
                        a.metric_name.as_deref().unwrap_or("?"),
                        a.statistic.as_ref().map_or("?", |s| s.as_str()),
                        operator(a.comparison_operator.as_ref()),
                        a.threshold.map_or("?".to_string(), |t| format!("{t}"))
                    ),
                });
            }
        }
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use crate::aws::mock::mock;
    use aws_sdk_cloudwatch::operation::describe_alarms::DescribeAlarmsOutput;
    use aws_sdk_cloudwatch::types::{ComparisonOperator, MetricAlarm, StateValue, Statistic};

    use super::*;

    #[tokio::test]
    async fn an_alarm_in_alarm_carries_its_value_and_rule() {
        let rule = mock!(aws_sdk_cloudwatch::Client::describe_alarms).then_output(|| {
            DescribeAlarmsOutput::builder()
                .metric_alarms(
                    MetricAlarm::builder()
                        .alarm_name("demo-http-5xx")
                        .state_value(StateValue::Alarm)
                        .state_reason("Threshold Crossed: 1 datapoint [7.0 (04/12/26 18:20:00)] was greater than or equal to the threshold (5.0).")
                        .state_reason_data(r#"{"version":"1.0","recentDatapoints":[7.0],"threshold":5.0}"#)
                        .metric_name("Http5xx")
                        .statistic(Statistic::Sum)
                        .comparison_operator(ComparisonOperator::GreaterThanOrEqualToThreshold)
                        .threshold(5.0)
                        .state_updated_timestamp(aws_smithy_types::DateTime::from_millis(1_795_982_400_500))
                        .build(),
                )
                .build()
        });
        let ctx = crate::aws::mock::ctx(&[&rule]);
        let a = alarms(&ctx, &["demo-http-5xx".into()]).await.unwrap();
        assert_eq!(a.len(), 1);
        assert_eq!(a[0].state, "ALARM");
        assert_eq!(a[0].value, Some(7.0));
        assert_eq!(a[0].rule, "Http5xx Sum >= 5");
        assert_eq!(a[0].updated_ms, Some(1_795_982_400_500));
        assert!(alarms(&ctx, &[]).await.unwrap().is_empty());
    }
}
