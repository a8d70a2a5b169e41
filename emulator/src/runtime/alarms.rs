//! The 5xx alarm of the local service, set up as `infra/codedeploy.tf` sets it up on AWS:
//! the metric filter `demo-http-5xx` on `/ecs/demo` (`{ $.message = "request" &&
//! $.status >= 500 && $.path != "/health" }`, value 1 into `demo/service` `Http5xx`) and the alarm
//! `demo-http-5xx` (Sum over 60 s, 1 of 1 period at or above 5, missing data not
//! breaching: the defaults of `errors_alarm_*` in infra/variables.tf), which the
//! deployment group's `alarmConfiguration` names. The alarms are evaluated here every
//! tick; a period lasts `--alarm-minute` per minute of the alarm's `Period`.

use std::sync::Arc;
use std::time::Duration;

use crate::cloudwatch::backend::{AlarmSpec, MetricKey};
use crate::cloudwatch::engine::{Comparison, Missing, Statistic};
use crate::logs::backend::Transformation;
use crate::names::{
    HTTP_5XX_ALARM, HTTP_5XX_FILTER, HTTP_5XX_METRIC, LOG_GROUP, METRICS_NAMESPACE,
};
use crate::runtime::stack::Stack;
use deployer_models::time::now_millis;

/// infra/variables.tf's defaults: `errors_alarm_threshold`, `_period_seconds`,
/// `_evaluation_periods`.
const THRESHOLD: f64 = 5.0;
const PERIOD: u32 = 60;
const EVALUATION_PERIODS: u32 = 1;

/// How often the alarms are looked at (a period is evaluated once it is complete).
const TICK: Duration = Duration::from_millis(50);

/// The filter, the alarm, and the evaluation loop.
pub(crate) fn start(stack: &Arc<Stack>) -> anyhow::Result<()> {
    let now = now_millis();
    // The group exists before the first task writes to it (Terraform creates it too);
    // it may exist already.
    let _ = stack.logs.create_group(LOG_GROUP, now);
    stack
        .logs
        .put_metric_filter(
            LOG_GROUP,
            HTTP_5XX_FILTER,
            r#"{ $.message = "request" && $.status >= 500 && $.path != "/health" }"#,
            vec![Transformation {
                metric_name: HTTP_5XX_METRIC.into(),
                metric_namespace: METRICS_NAMESPACE.into(),
                metric_value: "1".into(),
                default_value: None,
                dimensions: Default::default(),
                unit: Some("Count".into()),
            }],
            now,
        )
        .map_err(|e| anyhow::anyhow!("metric filter {HTTP_5XX_FILTER}: {e}"))?;
    stack
        .cloudwatch
        .put_metric_alarm(
            AlarmSpec {
                name: HTTP_5XX_ALARM.into(),
                description: Some("The demo service answers 5xx (from its access log); CodeDeploy stops and rolls back a deployment on it, termination wait included.".into()),
                actions_enabled: true,
                ok_actions: vec![],
                alarm_actions: vec![],
                insufficient_data_actions: vec![],
                metric: MetricKey {
                    namespace: METRICS_NAMESPACE.into(),
                    name: HTTP_5XX_METRIC.into(),
                    dimensions: vec![],
                },
                statistic: Statistic::Sum,
                period: PERIOD,
                unit: None,
                evaluation_periods: EVALUATION_PERIODS,
                datapoints_to_alarm: Some(EVALUATION_PERIODS),
                threshold: THRESHOLD,
                comparison: Comparison::GreaterThanOrEqualToThreshold,
                treat_missing_data: Some(Missing::NotBreaching),
            },
            now,
        )
        .map_err(|e| anyhow::anyhow!("alarm {HTTP_5XX_ALARM}: {e}"))?;
    let stack = Arc::clone(stack);
    tokio::spawn(async move {
        loop {
            tokio::select! {
                _ = stack.shutdown.cancelled() => return,
                _ = tokio::time::sleep(TICK) => {}
            }
            for t in stack.cloudwatch.evaluate(now_millis()) {
                tracing::info!(target: "cloudwatch", "alarm {}: {} -> {}: {}", t.alarm, t.from.as_str(), t.to.as_str(), t.reason);
            }
        }
    });
    Ok(())
}
