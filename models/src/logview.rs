//! Reading the service's CloudWatch Logs, the pure part (no AWS calls, no printing): which
//! streams belong to which task, how one event reads for a person or as JSON, where a
//! `--since` starts, and how `--follow` polls FilterLogEvents without showing an event
//! twice.
//!
//! Streams are the awslogs driver's `<prefix>/<container>/<task-id>` (`ecs/demo/<id>` for
//! this stack: taskdef.json's `awslogs-stream-prefix` is `ecs`).

use std::collections::HashSet;

use serde_json::{Map, Value};

/// One log event as FilterLogEvents / GetLogEvents return it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    pub stream: String,
    /// Epoch milliseconds (CloudWatch's `timestamp`).
    pub timestamp: i64,
    pub message: String,
    /// FilterLogEvents' `eventId` (None from GetLogEvents).
    pub event_id: Option<String>,
}

/// The awslogs stream of a task's container.
pub fn stream_name(prefix: &str, container: &str, task_id: &str) -> String {
    format!("{prefix}/{container}/{task_id}")
}

/// The task id at the end of an awslogs stream name (or the whole name).
pub(crate) fn task_of_stream(stream: &str) -> &str {
    stream.rsplit('/').next().unwrap_or(stream)
}

/// A task id or ARN reduced to its id.
pub fn task_id(id_or_arn: &str) -> &str {
    id_or_arn.rsplit('/').next().unwrap_or(id_or_arn)
}

/// The first 8 characters of a task id, as the ECS console shortens them.
pub(crate) fn short_id(task_id: &str) -> &str {
    let end = task_id
        .char_indices()
        .nth(8)
        .map(|(i, _)| i)
        .unwrap_or(task_id.len());
    &task_id[..end]
}

/// `--since`: a duration back from `now_ms` (`10m`, `1h30m`) or an RFC 3339 time.
pub fn parse_since(text: &str, now_ms: i64) -> Result<i64, String> {
    let t = text.trim();
    if let Ok(d) = crate::time::parse_duration(t) {
        return Ok(now_ms - d.as_millis().min(i64::MAX as u128) as i64);
    }
    match humantime::parse_rfc3339_weak(t) {
        Ok(at) => Ok(crate::time::millis_of(at)),
        Err(_) => Err(format!(
            "--since {text:?} is neither a duration (10m, 1h30m) nor a time (2026-11-29T20:00:00Z)"
        )),
    }
}

fn iso_ms(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let nanos = (ms.rem_euclid(1000) * 1_000_000) as u32;
    aws_smithy_types::DateTime::from_secs_and_nanos(secs, nanos)
        .fmt(aws_smithy_types::date_time::Format::DateTime)
        .unwrap_or_else(|_| ms.to_string())
}

/// How a value reads after `key=`: bare when it is one word, quoted otherwise.
fn field_value(v: &Value) -> String {
    match v {
        Value::String(s) if !s.is_empty() && !s.contains([' ', '"', '=']) => s.clone(),
        Value::String(s) => format!("{s:?}"),
        other => other.to_string(),
    }
}

/// One event in columns: what `deployer logs` prints ([`human`]) and the dashboard shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    /// The line's own `timestamp` (the app's JSON), else the event's time (RFC 3339).
    pub time: String,
    /// The task's short id.
    pub task: String,
    /// The line's `level`, or `-`.
    pub level: String,
    /// The message, then the line's other fields as `  key=value`, in order.
    pub text: String,
}

/// Splits an event into [`Line`]'s columns. A JSON line (the app's format) gives its own
/// timestamp, level and message, then its other fields in order; any other line shows as
/// it is, with the event's time.
pub fn line(ev: &Event) -> Line {
    let task = short_id(task_of_stream(&ev.stream)).to_owned();
    let parsed: Option<Map<String, Value>> = serde_json::from_str(ev.message.trim()).ok();
    let Some(mut obj) = parsed else {
        return Line {
            time: iso_ms(ev.timestamp),
            task,
            level: "-".into(),
            text: ev.message.trim_end().to_owned(),
        };
    };
    let text_of = |v: Value| match v {
        Value::String(s) => s,
        other => other.to_string(),
    };
    let time = match obj.shift_remove("timestamp") {
        Some(Value::String(s)) => s,
        _ => iso_ms(ev.timestamp),
    };
    let level = obj
        .shift_remove("level")
        .map(text_of)
        .unwrap_or_else(|| "-".into());
    let mut text = obj
        .shift_remove("message")
        .or_else(|| obj.shift_remove("msg"))
        .map(text_of)
        .unwrap_or_default();
    for (k, v) in &obj {
        text.push_str(&format!("  {k}={}", field_value(v)));
    }
    Line {
        time,
        task,
        level,
        text,
    }
}

/// One event for a person: `time  task  LEVEL  message  key=value ...` ([`line()`]).
pub fn human(ev: &Event) -> String {
    let Line {
        time,
        task,
        level,
        text,
    } = line(ev);
    format!("{time}  {task:<8}  {level:<5}  {text}")
}

/// One event for `--output json`: the app's JSON line as it was written; any other line
/// wrapped as `{"timestamp": <ms>, "task": <id>, "message": <text>}` so every output line
/// is JSON.
pub fn json(ev: &Event) -> String {
    let text = ev.message.trim();
    if serde_json::from_str::<Map<String, Value>>(text).is_ok() {
        return text.to_string();
    }
    serde_json::json!({
        "timestamp": ev.timestamp,
        "task": task_of_stream(&ev.stream),
        "message": ev.message.trim_end(),
    })
    .to_string()
}

/// `--follow` over FilterLogEvents: each poll asks from the newest timestamp seen (events
/// can share a millisecond, and late ones can land in it), and drops the events already
/// shown, by `eventId`, so nothing shows twice and nothing at the boundary is lost.
#[derive(Debug, Clone)]
pub struct Follow {
    since: i64,
    seen: HashSet<String>,
}

impl Follow {
    pub fn new(start_ms: i64) -> Self {
        Follow {
            since: start_ms,
            seen: HashSet::new(),
        }
    }

    /// The `startTime` of the next poll.
    pub fn start_time(&self) -> i64 {
        self.since
    }

    /// Keeps the events not shown yet, in order; remembers them.
    pub fn admit(&mut self, events: Vec<Event>) -> Vec<Event> {
        let mut out = Vec::new();
        for ev in events {
            let key = ev
                .event_id
                .clone()
                .unwrap_or_else(|| format!("{}\n{}\n{}", ev.stream, ev.timestamp, ev.message));
            if ev.timestamp < self.since || self.seen.contains(&key) {
                continue;
            }
            if ev.timestamp > self.since {
                // Only the ids at the new boundary can come back.
                self.since = ev.timestamp;
                self.seen.clear();
            }
            self.seen.insert(key);
            out.push(ev);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(stream: &str, ts: i64, msg: &str, id: &str) -> Event {
        Event {
            stream: stream.into(),
            timestamp: ts,
            message: msg.into(),
            event_id: Some(id.into()),
        }
    }

    #[test]
    fn streams_and_ids() {
        assert_eq!(stream_name("ecs", "demo", "abc"), "ecs/demo/abc");
        assert_eq!(
            task_of_stream("ecs/demo/0123456789abcdef"),
            "0123456789abcdef"
        );
        assert_eq!(
            task_id("arn:aws:ecs:us-east-1:000000000000:task/demo/0123456789abcdef"),
            "0123456789abcdef"
        );
        assert_eq!(short_id("0123456789abcdef"), "01234567");
        assert_eq!(short_id("abc"), "abc");
    }

    #[test]
    fn since_takes_durations_and_times() {
        let now = 1_800_000_000_000;
        assert_eq!(parse_since("10m", now), Ok(now - 600_000));
        assert_eq!(parse_since("1h30m", now), Ok(now - 5_400_000));
        assert_eq!(
            parse_since("2026-11-29T20:00:00Z", now),
            Ok(1_795_982_400_000)
        );
        let e = parse_since("yesterday", now).unwrap_err();
        assert!(e.contains("\"yesterday\""), "{e}");
    }

    #[test]
    fn human_lines_show_time_task_level_message_then_fields() {
        let access = r#"{"timestamp":"2026-11-29T20:00:00.000001Z","level":"INFO","message":"request","method":"GET","path":"/health","status":200,"latency_ms":1.5,"request_id":"req-1","target":"demo::access"}"#;
        assert_eq!(
            human(&ev("ecs/demo/0123456789abcdef", 5, access, "1")),
            "2026-11-29T20:00:00.000001Z  01234567  INFO   request  method=GET  path=/health  \
             status=200  latency_ms=1.5  request_id=req-1  target=demo::access"
        );
        let spaced = r#"{"level":"WARN","message":"slow","detail":"two words"}"#;
        assert_eq!(
            human(&ev("ecs/demo/abcdefabcdef", 1_795_982_400_123, spaced, "2")),
            "2026-11-29T20:00:00.123Z  abcdefab  WARN   slow  detail=\"two words\""
        );
        assert_eq!(
            human(&ev(
                "ecs/demo/abcdefabcdef",
                1_795_982_400_000,
                "plain text\n",
                "3"
            )),
            "2026-11-29T20:00:00Z  abcdefab  -      plain text"
        );
    }

    #[test]
    fn json_output_keeps_app_lines_and_wraps_others() {
        let line = r#"{"level":"INFO","message":"hi"}"#;
        assert_eq!(json(&ev("ecs/demo/t", 1, line, "1")), line);
        let v: Value = serde_json::from_str(&json(&ev("ecs/demo/t", 7, "plain", "2"))).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"timestamp": 7, "task": "t", "message": "plain"})
        );
    }

    #[test]
    fn follow_shows_each_event_once_across_polls() {
        let mut f = Follow::new(100);
        let first = f.admit(vec![
            ev("s", 99, "too old", "0"),
            ev("s", 100, "a", "1"),
            ev("s", 105, "b", "2"),
        ]);
        assert_eq!(
            first.iter().map(|e| e.message.as_str()).collect::<Vec<_>>(),
            ["a", "b"]
        );
        assert_eq!(f.start_time(), 105);
        // The next poll from 105 returns b again, plus a late event in the same ms.
        let second = f.admit(vec![
            ev("s", 105, "b", "2"),
            ev("s", 105, "c", "3"),
            ev("s", 110, "d", "4"),
        ]);
        assert_eq!(
            second
                .iter()
                .map(|e| e.message.as_str())
                .collect::<Vec<_>>(),
            ["c", "d"]
        );
        let third = f.admit(vec![ev("s", 110, "d", "4")]);
        assert!(third.is_empty());
        assert_eq!(f.start_time(), 110);
    }
}
