//! CloudWatch Logs, locally: log groups of streams of events, in memory, generic over
//! names. The ECS tasks' output lands in group `/ecs/demo`, stream `ecs/demo/<task-id>`
//! (the awslogs driver's `prefix/container/task-id`), fed by [`backend::FileFollower`] from each
//! task's output file; other local services (CodeBuild's `/aws/codebuild/<project>`)
//! create their own groups and put events with the same calls.
//!
//! The backend: state and operations, no HTTP ([`api`] is the thin JSON 1.1 layer, its
//! answers the serde types of [`shapes`], botocore's output shapes). Every
//! operation takes the current time in epoch milliseconds, so tests drive the clock.
//!
//! Public API for other local services:
//! [`Logs::create_group`](backend::Logs::create_group) / [`Logs::ensure_stream`](backend::Logs::ensure_stream) / [`Logs::put_events`](backend::Logs::put_events) /
//! [`Logs::append`](backend::Logs::append) to write; [`Logs::filter`](backend::Logs::filter), [`Logs::get`](backend::Logs::get), [`Logs::describe_streams`](backend::Logs::describe_streams),
//! [`Logs::describe_groups`](backend::Logs::describe_groups) to read.
//!
//! Differences from AWS, on purpose: an event's `timestamp` is its ingestion time when it
//! comes from a task's output (as awslogs stamps a line when the container runtime reads
//! it; the JSON line's own `"timestamp"` stays in the message); each stream keeps its
//! newest [`backend::STREAM_BYTES_CAP`] bytes and all streams together their newest
//! [`backend::LOGS_BYTES_CAP`] (the oldest events are dropped, as retention would); a task's
//! output file keeps its last [`backend::KEEP_ON_DISK`] bytes on disk (what was read before
//! them is a hole, [`backend::FileFollower`]);
//! no KMS, no subscriptions, no Logs Insights. Metric filters
//! (PutMetricFilter) publish their datapoints to the local CloudWatch
//! ([`crate::cloudwatch`]) as events are ingested: one transformation, its value a number
//! or a `$.field` of a JSON pattern, static dimension values; a `defaultValue` is published
//! per event that does not match (AWS: per period without a match; the same Sum).

pub(crate) mod api;
pub(crate) mod backend;
pub(crate) mod filter;
pub(crate) mod shapes;
