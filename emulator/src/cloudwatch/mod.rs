//! CloudWatch, locally: metrics and metric alarms. The metrics are the datapoints the
//! CloudWatch Logs metric filters publish (see [`crate::logs`]; PutMetricData is not
//! served); the alarms are evaluated by [`engine`] every period, periods scaled down by
//! `local up --alarm-minute` (what one minute of an alarm's `Period` lasts; 1 s by
//! default), as the local auto scaling scales its own. CodeDeploy's deployment group
//! watches the alarms of its `alarmConfiguration` ([`crate::codedeploy::lifecycle`]).
//!
//! The stack creates, at `up`, the alarm infra/codedeploy.tf creates
//! (`aws_cloudwatch_metric_alarm.http_5xx`: `demo-http-5xx`, Sum of `demo/service`
//! `Http5xx` over 60 s, 1 of 1 period at or above 5, missing data not breaching).
//!
//! Served in the three protocols its clients use (query, JSON 1.0, RPC v2 CBOR: [`api`],
//! every request read into one serde type per operation, answering with the serde types of
//! [`shapes`], botocore's output shapes): PutMetricAlarm, DescribeAlarms, DeleteAlarms,
//! SetAlarmState, DescribeAlarmHistory.
//!
//! Differences from AWS, on purpose: only metric alarms on one metric with a plain
//! statistic (no metric math, percentiles, anomaly detection, PromQL or composite alarms:
//! their members are read and refused as not served; DescribeAlarms' ChildrenOfAlarmName
//! and ParentsOfAlarmName find nothing, as no composite alarm exists); an alarm's Tags are
//! read and not kept (no tagging operation is served); the alarm history keeps its
//! newest 1,000 items (AWS keeps it by age, deleted alarms' too); alarm
//! actions are kept and shown but never run (no SNS, no EC2 actions); a period is
//! evaluated once it has ended and a tenth of a period more has passed (AWS waits for its
//! own ingestion delay); with `TreatMissingData` `missing` only the alarm's own periods
//! are looked at (AWS may look further back); datapoints live in memory, the newest
//! 100,000 per metric.

pub(crate) mod api;
pub(crate) mod backend;
pub(crate) mod engine;
pub(crate) mod shapes;
