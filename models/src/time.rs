//! The one clock helper of the workspace: wall-clock time since the Unix epoch, in the units
//! AWS's APIs carry it (seconds as a number in the JSON 1.1 protocols, milliseconds in
//! CloudWatch Logs). A clock before 1970 reads as 0 rather than failing: every caller uses
//! the value for display or for a relative wait, where 0 is harmless.
//!
//! Also the one duration grammar of every flag that takes a duration ([`parse_duration`]).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Seconds since the epoch, to the millisecond (what an AWS JSON timestamp carries).
pub fn now_secs() -> f64 {
    secs_of(SystemTime::now())
}

/// Milliseconds since the epoch (CloudWatch Logs' timestamps).
pub fn now_millis() -> i64 {
    millis_of(SystemTime::now())
}

/// `at` as seconds since the epoch, to the millisecond.
pub fn secs_of(at: SystemTime) -> f64 {
    millis_of(at) as f64 / 1000.0
}

/// `at` as milliseconds since the epoch (0 before it; saturates far after it).
pub fn millis_of(at: SystemTime) -> i64 {
    at.duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// Parses a duration as every flag takes it: a bare number of seconds (`42`), or
/// humantime's grammar (`90s`, `20m`, `1h30m`, `500ms`, `2min`, `1h 30m`).
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    if t.is_empty() {
        return Err("empty duration (e.g. 90s, 20m, 1h)".into());
    }
    if let Ok(secs) = t.parse::<u64>() {
        return Ok(Duration::from_secs(secs));
    }
    humantime::parse_duration(t).map_err(|e| match e {
        humantime::DurationError::UnknownUnit { unit, .. } => {
            format!("{text:?}: unknown unit {unit:?} (use ms, s, m or h)")
        }
        humantime::DurationError::NumberOverflow => format!("{text:?}: number too large"),
        _ => format!("{text:?}: expected a number then a unit (ms, s, m, h)"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn units_agree_and_the_past_reads_as_zero() {
        let at = UNIX_EPOCH + Duration::from_millis(1_798_761_599_042);
        assert_eq!(millis_of(at), 1_798_761_599_042);
        assert_eq!(secs_of(at), 1_798_761_599.042);
        assert_eq!(millis_of(UNIX_EPOCH - Duration::from_secs(1)), 0);
        let (s, ms) = (now_secs(), now_millis());
        assert!((ms as f64 / 1000.0 - s).abs() < 5.0);
    }

    #[test]
    fn durations_parse_and_reject() {
        assert_eq!(parse_duration("90s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("20m"), Ok(Duration::from_secs(1200)));
        assert_eq!(parse_duration("1h30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("42"), Ok(Duration::from_secs(42)));
        assert_eq!(parse_duration(" 5 "), Ok(Duration::from_secs(5)));
        assert_eq!(parse_duration("2min"), Ok(Duration::from_secs(120)));
        assert!(parse_duration("5x").unwrap_err().contains("unknown unit"));
        assert!(parse_duration("m").is_err());
        assert!(parse_duration("").is_err());
    }
}
