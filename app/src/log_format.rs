//! The JSON log line: one object per event, written straight into the line buffer.
//!
//! Same shape as tracing-subscriber's flattened JSON format
//! (`{"timestamp":..,"level":..,"message":..,<fields>..,"target":..}`), at a fraction of
//! the cost: tracing-subscriber's formatter goes through serde, formats the timestamp into
//! its own `String` and checks UTF-8 on every small write, which made the per-request log
//! line cost more than the rest of the request (measured with callgrind,
//! `bench/profile.sh demo-health --callgrind`). Here strings are escaped in place and the
//! timestamp is written from integer arithmetic.

use std::fmt::{self, Write as _};
use std::time::{SystemTime, UNIX_EPOCH};

use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::registry::LookupSpan;

/// The JSON event formatter (see the module docs).
#[derive(Debug, Clone, Copy, Default)]
pub struct JsonLines;

impl<S, N> FormatEvent<S, N> for JsonLines
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'w> FormatFields<'w> + 'static,
{
    fn format_event(
        &self,
        _ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let meta = event.metadata();
        writer.write_str("{\"timestamp\":\"")?;
        write_timestamp(&mut writer, SystemTime::now())?;
        writer.write_str("\",\"level\":\"")?;
        writer.write_str(meta.level().as_str())?;
        writer.write_char('"')?;
        let mut fields = JsonFields {
            out: &mut writer,
            result: Ok(()),
        };
        event.record(&mut fields);
        fields.result?;
        writer.write_str(",\"target\":")?;
        write_json_str(&mut writer, meta.target())?;
        writer.write_str("}\n")
    }
}

/// The fields of one access log line (see [`write_access_line`]).
#[derive(Debug, Clone, Copy)]
pub struct AccessLine<'a> {
    pub method: &'a str,
    pub path: &'a str,
    /// `None` when the service failed instead of answering (`"status":"error"`).
    pub status: Option<u16>,
    pub latency: std::time::Duration,
    pub request_id: &'a str,
    pub target: &'a str,
}

/// Appends the access log line to `out`: the same JSON, key for key and in the same
/// order, as [`JsonLines`] writes for the access log's `tracing` event (a unit test
/// compares the two), but without `tracing`'s dispatch and field visitors, which cost
/// about 5,800 instructions per line, a quarter of a `/health` request
/// (bench/README.md, "Where the time goes").
pub fn write_access_line(out: &mut String, now: SystemTime, line: &AccessLine<'_>) {
    // Writing into a String cannot fail.
    let _ = write_access_line_fallible(out, now, line);
}

fn write_access_line_fallible(
    out: &mut String,
    now: SystemTime,
    line: &AccessLine<'_>,
) -> fmt::Result {
    out.push_str("{\"timestamp\":\"");
    write_timestamp(out, now)?;
    out.push_str("\",\"level\":\"INFO\",\"message\":\"");
    out.push_str(if line.status.is_some() {
        "request"
    } else {
        "request failed"
    });
    out.push_str("\",\"method\":");
    // A method is an HTTP token (no quote, backslash or control byte), checked anyway.
    push_trusted_json_str(out, line.method)?;
    out.push_str(",\"path\":");
    write_json_str(out, line.path)?;
    out.push_str(",\"status\":");
    match line.status {
        Some(code) => push_decimal(out, u64::from(code)),
        None => out.push_str("\"error\""),
    }
    out.push_str(",\"latency_ms\":");
    push_millis(out, line.latency.as_micros() as u64);
    out.push_str(",\"request_id\":");
    write_json_str(out, line.request_id)?;
    out.push_str(",\"target\":");
    push_trusted_json_str(out, line.target)?;
    out.push_str("}\n");
    Ok(())
}

/// `"s"` for strings that never need escaping in practice (HTTP methods, log targets): one
/// quick check of the whole string instead of the per-byte escaping loop.
fn push_trusted_json_str(out: &mut String, s: &str) -> fmt::Result {
    if s.bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b':' || b == b'_' || b == b'-')
    {
        out.push('"');
        out.push_str(s);
        out.push('"');
        Ok(())
    } else {
        write_json_str(out, s)
    }
}

fn push_decimal(out: &mut String, n: u64) {
    out.push_str(itoa::Buffer::new().format(n));
}

/// `micros` as milliseconds, written like Rust prints the `f64` `micros / 1000.0`
/// (shortest form: `0.125`, `1.5`, `2`).
fn push_millis(out: &mut String, micros: u64) {
    push_decimal(out, micros / 1000);
    let mut frac = micros % 1000;
    if frac == 0 {
        return;
    }
    out.push('.');
    let mut div = 100;
    while frac > 0 {
        out.push(char::from(b'0' + (frac / div) as u8));
        frac %= div;
        div /= 10;
    }
}

/// Writes each field as `,"name":value`.
struct JsonFields<'a, W> {
    out: &'a mut W,
    result: fmt::Result,
}

impl<W: fmt::Write> JsonFields<'_, W> {
    fn key(&mut self, field: &Field) -> fmt::Result {
        self.out.write_char(',')?;
        write_json_str(self.out, field.name())?;
        self.out.write_char(':')
    }

    fn put(&mut self, field: &Field, value: impl FnOnce(&mut W) -> fmt::Result) {
        if self.result.is_ok() {
            self.result = self.key(field).and_then(|()| value(self.out));
        }
    }
}

impl<W: fmt::Write> Visit for JsonFields<'_, W> {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.put(field, |w| write_json_str(w, value));
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.put(field, |w| write!(w, "{value}"));
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.put(field, |w| write!(w, "{value}"));
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.put(field, |w| w.write_str(if value { "true" } else { "false" }));
    }

    fn record_f64(&mut self, field: &Field, value: f64) {
        self.put(field, |w| {
            if value.is_finite() {
                // Rust prints the shortest representation that reads back the same.
                write!(w, "{value}")
            } else {
                w.write_str("null")
            }
        });
    }

    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        self.put(field, |w| {
            w.write_char('"')?;
            write!(Escaper(w), "{value}")?;
            w.write_char('"')
        });
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        // `%value` fields arrive here too, with a Debug that prints their Display.
        self.put(field, |w| {
            w.write_char('"')?;
            write!(Escaper(w), "{value:?}")?;
            w.write_char('"')
        });
    }
}

/// Escapes everything written through it as the inside of a JSON string.
struct Escaper<'a, W>(&'a mut W);

impl<W: fmt::Write> fmt::Write for Escaper<'_, W> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        write_escaped(self.0, s)
    }
}

/// `"s"`, escaped.
pub fn write_json_str(w: &mut impl fmt::Write, s: &str) -> fmt::Result {
    w.write_char('"')?;
    write_escaped(w, s)?;
    w.write_char('"')
}

fn needs_escape(b: u8) -> bool {
    b < 0x20 || b == b'"' || b == b'\\' || b == 0x7f
}

fn write_escaped(w: &mut impl fmt::Write, s: &str) -> fmt::Result {
    let bytes = s.as_bytes();
    // Fast path: request ids, paths and messages rarely need escaping.
    let Some(first) = bytes.iter().position(|&b| needs_escape(b)) else {
        return w.write_str(s);
    };
    w.write_str(&s[..first])?;
    let mut start = first;
    for (i, &b) in bytes.iter().enumerate().skip(first) {
        let escape = match b {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0..=0x1f | 0x7f => "",
            _ => continue,
        };
        // Every byte matched above is ASCII, so `start..i` lies on char boundaries.
        w.write_str(&s[start..i])?;
        if escape.is_empty() {
            write!(w, "\\u{b:04x}")?;
        } else {
            w.write_str(escape)?;
        }
        start = i + 1;
    }
    w.write_str(&s[start..])
}

/// RFC 3339 in UTC with microseconds, e.g. `2026-11-27T07:59:30.936512Z`.
pub fn write_timestamp(w: &mut impl fmt::Write, now: SystemTime) -> fmt::Result {
    let since = now.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = since.as_secs();
    let (year, month, day) = civil_from_days((secs / 86_400) as i64);
    let rem = secs % 86_400;
    let (hour, minute, second) = (rem / 3600, rem % 3600 / 60, rem % 60);
    let micros = since.subsec_micros();
    let mut buf = *b"0000-00-00T00:00:00.000000Z";
    put_digits(&mut buf[0..4], year.clamp(0, 9999) as u64);
    put_digits(&mut buf[5..7], month as u64);
    put_digits(&mut buf[8..10], day as u64);
    put_digits(&mut buf[11..13], hour);
    put_digits(&mut buf[14..16], minute);
    put_digits(&mut buf[17..19], second);
    put_digits(&mut buf[20..26], micros as u64);
    // The buffer holds ASCII digits and separators only.
    w.write_str(std::str::from_utf8(&buf).map_err(|_| fmt::Error)?)
}

fn put_digits(out: &mut [u8], mut n: u64) {
    for slot in out.iter_mut().rev() {
        *slot = b'0' + (n % 10) as u8;
        n /= 10;
    }
}

/// Days since 1970-01-01 to (year, month, day) in the proleptic Gregorian calendar
/// (Howard Hinnant's `civil_from_days`).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};
    use std::time::Duration;

    #[derive(Clone, Default)]
    struct Capture(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Capture {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    fn capture(f: impl FnOnce()) -> String {
        let out = Capture::default();
        let sink = out.clone();
        let subscriber = tracing_subscriber::fmt()
            .event_format(JsonLines)
            .with_writer(move || sink.clone())
            .finish();
        tracing::subscriber::with_default(subscriber, f);
        let bytes = out.0.lock().unwrap().clone();
        String::from_utf8(bytes).unwrap()
    }

    #[test]
    fn events_become_one_json_object_per_line() {
        let err = std::io::Error::other("disk \"full\"");
        let out = capture(|| {
            tracing::info!(
                target: "demo::access",
                method = %http::Method::GET,
                path = "/a\"b\\c\nd\te\u{1}é✓",
                status = 200u16,
                latency_ms = 0.125,
                bad = f64::NAN,
                negative = -3i64,
                ok = true,
                error = &err as &(dyn std::error::Error + 'static),
                debug = ?Some("x"),
                "request"
            );
            tracing::warn!("second line");
        });

        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines.len(), 2, "{out}");
        let json: serde_json::Value = serde_json::from_str(lines[0]).expect(lines[0]);
        assert_eq!(json["level"], "INFO");
        assert_eq!(json["message"], "request");
        assert_eq!(json["method"], "GET");
        assert_eq!(json["path"], "/a\"b\\c\nd\te\u{1}é✓");
        assert_eq!(json["status"], 200);
        assert_eq!(json["latency_ms"], 0.125);
        assert_eq!(json["bad"], serde_json::Value::Null);
        assert_eq!(json["negative"], -3);
        assert_eq!(json["ok"], true);
        assert_eq!(json["error"], "disk \"full\"");
        assert_eq!(json["debug"], "Some(\"x\")");
        assert_eq!(json["target"], "demo::access");
        let keys: Vec<&String> = json.as_object().unwrap().keys().collect();
        assert_eq!(keys[..3], ["timestamp", "level", "message"]);
        let second: serde_json::Value = serde_json::from_str(lines[1]).unwrap();
        assert_eq!(
            (second["level"].as_str(), second["message"].as_str()),
            (Some("WARN"), Some("second line"))
        );
    }

    fn access_line(line: &AccessLine<'_>, now: SystemTime) -> String {
        let mut out = String::new();
        write_access_line(&mut out, now, line);
        out
    }

    #[test]
    fn access_lines_are_written_exactly() {
        let now = UNIX_EPOCH + Duration::from_micros(1_798_761_599_000_042);
        let line = AccessLine {
            method: "GET",
            path: "/health",
            status: Some(200),
            latency: Duration::from_micros(1_500),
            request_id: "req-42",
            target: "demo::access",
        };
        assert_eq!(
            access_line(&line, now),
            "{\"timestamp\":\"2026-12-31T23:59:59.000042Z\",\"level\":\"INFO\",\
             \"message\":\"request\",\"method\":\"GET\",\"path\":\"/health\",\"status\":200,\
             \"latency_ms\":1.5,\"request_id\":\"req-42\",\"target\":\"demo::access\"}\n"
        );
        let failed = AccessLine {
            status: None,
            ..line
        };
        let json: serde_json::Value = serde_json::from_str(&access_line(&failed, now)).unwrap();
        assert_eq!(json["message"], "request failed");
        assert_eq!(json["status"], "error");
    }

    /// The direct access line and the `tracing` event through [`JsonLines`] agree on every
    /// key, its order and its value, for awkward values too.
    #[test]
    fn access_lines_match_the_tracing_event() {
        let cases = [
            ("GET", "/health", Some(200u16), 125u64, "req-1"),
            ("POST", "/a\"b\\c\nd\te\u{1}é✓", Some(404), 0, "-"),
            ("DELETE", "/", Some(500), 2_000, "x\u{7f}y"),
            ("GET", "/x", None, 1_234_567_890, "0123"),
            ("PATCH", "/y", Some(413), 999, "ü"),
            ("M\"X", "/w", Some(405), 1, "q\\"),
            ("GET", "/z", Some(200), 10_010, "id"),
        ];
        for (method, path, status, micros, request_id) in cases {
            let latency_ms = micros as f64 / 1000.0;
            let traced = capture(|| match status {
                Some(status) => tracing::info!(
                    target: "demo::access",
                    method,
                    path,
                    status,
                    latency_ms,
                    request_id,
                    "request"
                ),
                None => tracing::info!(
                    target: "demo::access",
                    method,
                    path,
                    status = "error",
                    latency_ms,
                    request_id,
                    "request failed"
                ),
            });
            let direct = access_line(
                &AccessLine {
                    method,
                    path,
                    status,
                    latency: Duration::from_micros(micros),
                    request_id,
                    target: "demo::access",
                },
                SystemTime::now(),
            );
            // Same text after the timestamp (the clock moved between the two).
            let after_time = |s: &str| s[s.find("\",\"level\"").unwrap()..].to_owned();
            assert_eq!(after_time(&direct), after_time(&traced), "{direct}{traced}");
            let json: serde_json::Value = serde_json::from_str(&direct).expect(&direct);
            assert_eq!(json["path"], path);
            assert_eq!(json["request_id"], request_id);
            assert_eq!(json["latency_ms"].as_f64(), Some(latency_ms));
        }
    }

    #[test]
    fn timestamps_are_rfc3339_utc_with_microseconds() {
        let at = |secs: u64, micros: u64| {
            let mut s = String::new();
            let t = UNIX_EPOCH + Duration::from_secs(secs) + Duration::from_micros(micros);
            write_timestamp(&mut s, t).unwrap();
            s
        };
        assert_eq!(at(0, 0), "1970-01-01T00:00:00.000000Z");
        assert_eq!(at(951_782_400, 1), "2000-02-29T00:00:00.000001Z");
        assert_eq!(at(1_798_761_599, 999_999), "2026-12-31T23:59:59.999999Z");
        assert_eq!(at(4_107_542_400, 0), "2100-03-01T00:00:00.000000Z");
        assert_eq!(at(1_709_251_199, 500_000), "2024-02-29T23:59:59.500000Z");
    }
}
