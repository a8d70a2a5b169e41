//! The wall clock as the AWS protocols carry it: JSON 1.1 timestamps are epoch seconds
//! (fractional), CloudWatch Logs' are epoch milliseconds. Engines that move state over
//! time take the time as an argument (or through a `Platform`), so tests drive it.

use std::time::{SystemTime, UNIX_EPOCH};

/// Seconds since the epoch, to the millisecond.
pub(crate) fn now() -> f64 {
    now_ms() as f64 / 1000.0
}

/// Milliseconds since the epoch.
pub(crate) fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}
