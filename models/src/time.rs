//! The one clock helper of the workspace: wall-clock time since the Unix epoch, in the units
//! AWS's APIs carry it (seconds as a number in the JSON 1.1 protocols, milliseconds in
//! CloudWatch Logs). A clock before 1970 reads as 0 rather than failing: every caller uses
//! the value for display or for a relative wait, where 0 is harmless.

use std::time::{SystemTime, UNIX_EPOCH};

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
}
