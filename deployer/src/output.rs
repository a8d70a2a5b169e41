//! The one output contract of `--output json` (docs/CONTRACTS.md, "`--output json`"):
//! one JSON object per line on stdout, each with a `type` first, times in RFC 3339, and a
//! final `summary` object for the commands that run a process to an end. Every command
//! writes its JSON lines through [`emit`], so the shape cannot drift per command; the
//! suite's `json_contract` module checks every command's lines against the written table.
//!
//! A closed stdout (`deployer revisions | head -1`) is the reader saying it has enough:
//! [`emit`] and [`is_closed_pipe`] end the command quietly instead of reporting an error.

#![warn(unreachable_pub)]

use std::io::Write;

use serde::Serialize;
use serde_json::{Map, Value};

/// Writes `{"type": kind, ...value's fields}` as one line on stdout. `value` must
/// serialize to an object (or to `null`: then the line is `{"type": kind}`). A write to a
/// closed pipe ends the process quietly with exit 0.
pub(crate) fn emit<T: Serialize + ?Sized>(kind: &str, value: &T) {
    let line = tagged(kind, value);
    let mut out = std::io::stdout().lock();
    let written = writeln!(out, "{line}").and_then(|()| out.flush());
    if let Err(err) = written {
        if err.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
    }
}

/// The object [`emit`] writes: `type` first, then the value's own fields in order.
pub(crate) fn tagged<T: Serialize + ?Sized>(kind: &str, value: &T) -> Value {
    let mut obj = Map::new();
    obj.insert("type".into(), Value::String(kind.to_owned()));
    match serde_json::to_value(value) {
        Ok(Value::Object(fields)) => {
            for (k, v) in fields {
                if k != "type" {
                    obj.insert(k, v);
                }
            }
        }
        Ok(Value::Null) => {}
        Ok(other) => {
            obj.insert("value".into(), other);
        }
        Err(err) => {
            obj.insert("serialization_error".into(), Value::String(err.to_string()));
        }
    }
    Value::Object(obj)
}

/// Whether `err` is (or was caused by) a write to a closed pipe: the command then ends
/// quietly, as a reader that stopped reading asked.
pub(crate) fn is_closed_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|e| {
        e.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// One log event as a `log` line: the app's JSON line with its own fields (its
/// `timestamp` is RFC 3339 already), else `{"timestamp", "task", "message"}`; the task
/// and the time are added when the line has none.
pub(crate) fn log_event(ev: &deployer_models::logview::Event) -> Value {
    let mut obj = match serde_json::from_str::<Value>(ev.message.trim()) {
        Ok(Value::Object(fields)) => fields,
        _ => {
            let mut m = Map::new();
            m.insert("message".into(), ev.message.trim_end().into());
            m
        }
    };
    if !obj.get("timestamp").is_some_and(Value::is_string) {
        obj.insert(
            "timestamp".into(),
            rfc3339(ev.timestamp as f64 / 1000.0).into(),
        );
    }
    obj.entry("task")
        .or_insert_with(|| deployer_models::logview::task_id(&ev.stream).into());
    Value::Object(obj)
}

/// Epoch seconds as RFC 3339 (`2026-11-29T21:08:59.123Z`), the one time format of the
/// JSON lines.
pub(crate) fn rfc3339(secs: f64) -> String {
    let whole = secs.floor();
    let nanos = ((secs - whole) * 1e9).round().min(999_999_999.0) as u32;
    aws_smithy_types::DateTime::from_secs_and_nanos(whole as i64, nanos)
        .fmt(aws_smithy_types::date_time::Format::DateTime)
        .unwrap_or_else(|_| format!("{secs}"))
}

/// serde helpers for times kept as epoch seconds in memory and written as RFC 3339.
pub(crate) mod time {
    use serde::Serializer;

    /// `Option<f64>` epoch seconds as an RFC 3339 string, or `null`.
    pub(crate) fn opt<S: Serializer>(t: &Option<f64>, s: S) -> Result<S::Ok, S::Error> {
        match t {
            Some(secs) => s.serialize_str(&super::rfc3339(*secs)),
            None => s.serialize_none(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_type_comes_first_and_cannot_be_overridden() {
        let v = tagged(
            "revision",
            &serde_json::json!({"type": "other", "arn": "a", "revision": 3}),
        );
        assert_eq!(
            v.to_string(),
            r#"{"type":"revision","arn":"a","revision":3}"#
        );
        assert_eq!(tagged("x", &()).to_string(), r#"{"type":"x"}"#);
    }

    #[test]
    fn times_are_rfc3339() {
        assert_eq!(rfc3339(1_796_397_526.424), "2026-12-04T15:18:46.424Z");
        assert_eq!(rfc3339(0.0), "1970-01-01T00:00:00Z");
        #[derive(Serialize)]
        struct T {
            #[serde(serialize_with = "time::opt")]
            at: Option<f64>,
        }
        assert_eq!(
            serde_json::to_string(&T { at: Some(1.5) }).unwrap(),
            r#"{"at":"1970-01-01T00:00:01.5Z"}"#
        );
        assert_eq!(
            serde_json::to_string(&T { at: None }).unwrap(),
            r#"{"at":null}"#
        );
    }

    #[test]
    fn log_lines_keep_the_apps_fields_and_always_have_a_time() {
        use deployer_models::logview::Event;
        let ev = |msg: &str| Event {
            stream: "ecs/demo/0123abcd".into(),
            timestamp: 1_500,
            message: msg.into(),
            event_id: None,
        };
        let app = log_event(&ev(
            r#"{"timestamp":"2026-12-04T15:18:46.4359Z","level":"INFO","path":"/"}"#,
        ));
        assert_eq!(
            tagged("log", &app).to_string(),
            r#"{"type":"log","timestamp":"2026-12-04T15:18:46.4359Z","level":"INFO","path":"/","task":"0123abcd"}"#
        );
        let plain = log_event(&ev("listening on 3000\n"));
        assert_eq!(
            tagged("log", &plain).to_string(),
            r#"{"type":"log","message":"listening on 3000","timestamp":"1970-01-01T00:00:01.5Z","task":"0123abcd"}"#
        );
    }

    #[test]
    fn a_broken_pipe_anywhere_in_the_chain_is_a_closed_pipe() {
        let io = std::io::Error::from(std::io::ErrorKind::BrokenPipe);
        let err = anyhow::Error::from(io).context("writing the man page");
        assert!(is_closed_pipe(&err));
        assert!(!is_closed_pipe(&anyhow::anyhow!(
            "Broken pipe in a message"
        )));
    }
}
