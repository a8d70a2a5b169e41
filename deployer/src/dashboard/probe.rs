//! The dashboard's own probe of the NLB: one `GET /` at a time, at a bounded rate, each
//! on a new connection (the NLB picks a target per connection, so a kept-alive
//! connection would hide the switch), counting the answers per second by the version
//! the service reports. Off by default on AWS (`--probe`), on for `deployer local`.

#![warn(unreachable_pub)]

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use super::snapshot::{ProbeBucket, ProbeSeries};

/// The label for a probe that got no version (connection refused, timeout, not JSON).
pub(crate) const ERROR: &str = "error";

/// Most probes per second the dashboard sends, whatever it is asked.
pub(crate) const MAX_RATE: u32 = 10;

/// The answers of the last `window` seconds, per second and version. Pure: the probe
/// loop feeds it, tests drive it with their own clock.
#[derive(Debug, Clone)]
pub(crate) struct Recorder {
    window: u64,
    buckets: VecDeque<(u64, Vec<(String, u32)>)>,
}

impl Recorder {
    pub(crate) fn new(window_seconds: u64) -> Self {
        Self {
            window: window_seconds.max(1),
            buckets: VecDeque::new(),
        }
    }

    /// Counts one answer of `version` in epoch second `second`.
    pub(crate) fn record(&mut self, second: u64, version: &str) {
        match self.buckets.back_mut() {
            Some((s, counts)) if *s == second => {
                match counts.iter_mut().find(|(v, _)| v == version) {
                    Some((_, n)) => *n += 1,
                    None => counts.push((version.to_owned(), 1)),
                }
            }
            // A clock that went back: count it in the newest bucket rather than reorder.
            Some((s, counts)) if *s > second => match counts.iter_mut().find(|(v, _)| v == version)
            {
                Some((_, n)) => *n += 1,
                None => counts.push((version.to_owned(), 1)),
            },
            _ => self
                .buckets
                .push_back((second, vec![(version.to_owned(), 1)])),
        }
        self.expire(second);
    }

    /// Drops the buckets older than the window ending at `now`.
    pub(crate) fn expire(&mut self, now: u64) {
        let oldest = now.saturating_sub(self.window - 1);
        while self.buckets.front().is_some_and(|(s, _)| *s < oldest) {
            self.buckets.pop_front();
        }
    }

    /// The series as the page draws it, for the window ending at `now`.
    pub(crate) fn series(&mut self, now: u64, target: &str, rate: u32) -> ProbeSeries {
        self.expire(now);
        let mut versions: Vec<String> = Vec::new();
        for (_, counts) in &self.buckets {
            for (v, _) in counts {
                if !versions.contains(v) {
                    versions.push(v.clone());
                }
            }
        }
        let buckets = self
            .buckets
            .iter()
            .map(|(second, counts)| ProbeBucket {
                second: *second,
                counts: versions
                    .iter()
                    .map(|v| counts.iter().find(|(cv, _)| cv == v).map_or(0, |(_, n)| *n))
                    .collect(),
            })
            .collect();
        ProbeSeries {
            target: target.to_owned(),
            rate_per_second: rate,
            window_seconds: self.window as u32,
            buckets,
            versions,
        }
    }
}

/// The `x-request-id` of the probe's requests (the service keeps a request's id and logs
/// it), so the log panel can tell them from the service's real traffic.
pub(crate) const PROBE_REQUEST_ID: &str = "deployer-dashboard-probe";

/// The version a `GET /` JSON answer names, or [`ERROR`].
pub(crate) fn version_of(body: &[u8]) -> String {
    serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .and_then(|v| v.get("version")?.as_str().map(str::to_owned))
        .filter(|v| !v.is_empty() && v.len() <= 64)
        .unwrap_or_else(|| ERROR.to_owned())
}

/// Probes `url` `rate` times a second (at most [`MAX_RATE`]) until `stop`, publishing
/// the series (serialized) once a second.
pub(crate) async fn run(
    url: String,
    rate: u32,
    window_seconds: u64,
    out: watch::Sender<Option<Arc<str>>>,
    stop: CancellationToken,
) {
    let rate = rate.clamp(1, MAX_RATE);
    let client = match reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .timeout(Duration::from_secs(2))
        .redirect(reqwest::redirect::Policy::none())
        .build()
    {
        Ok(c) => c,
        Err(err) => {
            tracing::warn!("dashboard probe: cannot build an HTTP client: {err}");
            return;
        }
    };
    let mut recorder = Recorder::new(window_seconds);
    let mut tick = tokio::time::interval(Duration::from_millis(1000 / u64::from(rate)));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut published = 0u64;
    loop {
        tokio::select! {
            () = stop.cancelled() => return,
            _ = tick.tick() => {}
        }
        let version = match client
            .get(&url)
            .header(http::header::ACCEPT, "application/json")
            // The service logs it as the access line's request_id: the log panel leaves
            // the probe's own requests out (`stack::LogTail`).
            .header("x-request-id", PROBE_REQUEST_ID)
            .send()
            .await
        {
            Ok(resp) if resp.status().is_success() => match resp.bytes().await {
                Ok(body) => version_of(&body),
                Err(_) => ERROR.to_owned(),
            },
            _ => ERROR.to_owned(),
        };
        let now = super::snapshot::now_ms() / 1000;
        recorder.record(now, &version);
        if now != published {
            published = now;
            let series = recorder.series(now, &url, rate);
            if let Ok(json) = serde_json::to_string(&series) {
                out.send_replace(Some(Arc::from(json)));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_per_second_and_version() {
        let mut r = Recorder::new(60);
        r.record(100, "v1");
        r.record(100, "v1");
        r.record(101, "v1");
        r.record(101, "v2");
        r.record(102, ERROR);
        let s = r.series(102, "http://x/", 4);
        assert_eq!(s.versions, vec!["v1", "v2", "error"]);
        let got: Vec<(u64, Vec<u32>)> = s
            .buckets
            .iter()
            .map(|b| (b.second, b.counts.clone()))
            .collect();
        assert_eq!(
            got,
            vec![
                (100, vec![2, 0, 0]),
                (101, vec![1, 1, 0]),
                (102, vec![0, 0, 1])
            ]
        );
        assert_eq!(s.rate_per_second, 4);
        assert_eq!(s.window_seconds, 60);
    }

    #[test]
    fn forgets_what_left_the_window() {
        let mut r = Recorder::new(10);
        r.record(100, "v1");
        r.record(105, "v2");
        let s = r.series(109, "u", 1);
        assert_eq!(s.buckets.len(), 2);
        let s = r.series(110, "u", 1);
        assert_eq!(
            s.versions,
            vec!["v2"],
            "second 100 left a 10 s window ending at 110"
        );
        let s = r.series(200, "u", 1);
        assert!(s.buckets.is_empty() && s.versions.is_empty());
    }

    #[test]
    fn a_clock_going_back_does_not_reorder() {
        let mut r = Recorder::new(10);
        r.record(100, "v1");
        r.record(99, "v1");
        let s = r.series(100, "u", 1);
        assert_eq!(s.buckets.len(), 1);
        assert_eq!(s.buckets[0].counts, vec![2]);
    }

    #[test]
    fn reads_the_version_from_the_json_answer() {
        assert_eq!(version_of(br#"{"service":"demo","version":"v2"}"#), "v2");
        assert_eq!(version_of(b"demo version v2"), ERROR);
        assert_eq!(version_of(br#"{"version":""}"#), ERROR);
        assert_eq!(version_of(br#"{"version":3}"#), ERROR);
    }
}
