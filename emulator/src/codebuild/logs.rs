//! Where build log lines go: one narrow trait, so the runner does not care whether the
//! lines land in this module's small in-memory store or in the local CloudWatch Logs
//! backend ([`crate::logs`]); the pipeline writes to both ([`Tee`]). Names follow CodeBuild: group
//! `/aws/codebuild/<project>` unless the project's `logs_config` names one (infra/ does:
//! `/codebuild/<name>`, see `pipeline::driver::BUILD_LOG_GROUP`), stream = the part of
//! the build id after `<project>:`.

use std::collections::BTreeMap;
use std::sync::Mutex;

/// One log event, as CloudWatch Logs keeps it (milliseconds since the epoch).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogEvent {
    pub timestamp: i64,
    pub message: String,
}

/// A place that accepts a build's log events.
pub trait LogSink: Send + Sync {
    fn put(&self, group: &str, stream: &str, events: Vec<LogEvent>);
}

/// CodeBuild's default log group of a project.
pub(crate) fn default_group(project: &str) -> String {
    format!("/aws/codebuild/{project}")
}

/// Every sink of a list gets every event (the pipeline's own store, for its tail, and the
/// stack's CloudWatch Logs, which `logs:GetLogEvents` reads).
pub(crate) struct Tee(pub Vec<std::sync::Arc<dyn LogSink>>);

impl LogSink for Tee {
    fn put(&self, group: &str, stream: &str, events: Vec<LogEvent>) {
        for sink in &self.0 {
            sink.put(group, stream, events.clone());
        }
    }
}

/// The stack's CloudWatch Logs backend as a build log sink (group and stream created on
/// first use, as CodeBuild does).
impl LogSink for crate::logs::backend::Logs {
    fn put(&self, group: &str, stream: &str, events: Vec<LogEvent>) {
        for e in events {
            if let Err(err) = self.append(group, stream, &e.message, e.timestamp) {
                tracing::warn!("build log {group} {stream}: {err:?}");
            }
        }
    }
}

/// The pipeline's own store (its build log tail): events kept per
/// (group, stream) in arrival order.
#[derive(Debug, Default)]
pub struct MemoryLogs {
    streams: Mutex<BTreeMap<(String, String), Vec<LogEvent>>>,
}

impl MemoryLogs {
    /// The last `n` events of a stream (all of them when it has fewer).
    pub fn tail(&self, group: &str, stream: &str, n: usize) -> Vec<LogEvent> {
        let streams = deployer_models::sync::lock(&self.streams);
        streams
            .get(&(group.to_string(), stream.to_string()))
            .map(|events| events[events.len().saturating_sub(n)..].to_vec())
            .unwrap_or_default()
    }
}

impl LogSink for MemoryLogs {
    fn put(&self, group: &str, stream: &str, events: Vec<LogEvent>) {
        let mut streams = deployer_models::sync::lock(&self.streams);
        streams
            .entry((group.to_string(), stream.to_string()))
            .or_default()
            .extend(events);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codebuild_names() {
        assert_eq!(default_group("demo"), "/aws/codebuild/demo");
    }

    #[test]
    fn tail_keeps_order_and_streams_apart() {
        let logs = MemoryLogs::default();
        let ev = |t, m: &str| LogEvent {
            timestamp: t,
            message: m.into(),
        };
        logs.put("g", "a", vec![ev(1, "one"), ev(2, "two")]);
        logs.put("g", "b", vec![ev(3, "other")]);
        logs.put("g", "a", vec![ev(4, "three")]);
        let tail: Vec<_> = logs
            .tail("g", "a", 2)
            .into_iter()
            .map(|e| e.message)
            .collect();
        assert_eq!(tail, ["two", "three"]);
        assert_eq!(logs.tail("g", "a", 10).len(), 3);
        assert!(logs.tail("g", "missing", 5).is_empty());
    }
}
