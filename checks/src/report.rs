//! What a probe saw, as numbers and as text.

use std::collections::BTreeMap;

use serde::Serialize;

/// The answers to one probe of one URL.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Report {
    pub url: String,
    pub requests: u32,
    /// 2xx answers with the expected version (any version when none is expected).
    pub ok: u32,
    /// Failed requests: no answer, a status other than 2xx, an unreadable body.
    pub errors: u32,
    /// Version -> number of 2xx answers that reported it (`(none)`: no version found).
    pub versions: BTreeMap<String, u32>,
    /// 2xx answers that reported another version than the expected one.
    pub unexpected_versions: u32,
    /// `None` when no request succeeded: there is no latency to report.
    pub latency_ms: Option<Percentiles>,
    /// The first few distinct error messages with their counts.
    pub error_samples: BTreeMap<String, u32>,
    pub elapsed_ms: u64,
}

impl Report {
    /// Every request answered 2xx with the expected version.
    pub fn passed(&self) -> bool {
        self.errors == 0 && self.unexpected_versions == 0
    }
}

/// Latency percentiles in milliseconds (nearest rank).
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct Percentiles {
    pub p50: f64,
    pub p90: f64,
    pub p99: f64,
    pub max: f64,
}

/// Nearest-rank percentiles of `samples` (milliseconds); all zero for none.
pub fn percentiles(samples: &mut [f64]) -> Percentiles {
    if samples.is_empty() {
        return Percentiles::default();
    }
    samples.sort_by(|a, b| a.total_cmp(b));
    let at = |p: f64| {
        let rank = ((p / 100.0) * samples.len() as f64).ceil() as usize;
        samples[rank.clamp(1, samples.len()) - 1]
    };
    Percentiles {
        p50: at(50.0),
        p90: at(90.0),
        p99: at(99.0),
        max: samples[samples.len() - 1],
    }
}

/// The version an answer reports: `version` of the JSON body, else the word after
/// `version` in the text line.
pub fn version_of(body: &str) -> Option<String> {
    if let Ok(v) = serde_json::from_str::<serde_json::Value>(body) {
        if let Some(s) = v.get("version").and_then(|v| v.as_str()) {
            return Some(s.to_owned());
        }
    }
    let mut words = body.split_whitespace();
    while let Some(w) = words.next() {
        if w.trim_end_matches(':') == "version" {
            return words.next().map(|v| {
                v.trim_matches(|c: char| c == ',' || c == ';' || c == ')')
                    .to_owned()
            });
        }
    }
    None
}

/// The report as a few lines for a terminal.
pub fn render_human(r: &Report, expect: Option<&str>) -> String {
    let mut s = String::new();
    s.push_str(&format!(
        "{} requests to {} in {} ms: {} ok, {} errors",
        r.requests, r.url, r.elapsed_ms, r.ok, r.errors
    ));
    if let Some(e) = expect {
        s.push_str(&format!(", {} not version {e}", r.unexpected_versions));
    }
    s.push('\n');
    s.push_str("versions:");
    if r.versions.is_empty() {
        s.push_str(" (none)");
    }
    for (v, n) in &r.versions {
        s.push_str(&format!(" {v} x{n}"));
    }
    s.push('\n');
    match &r.latency_ms {
        Some(l) => s.push_str(&format!(
            "latency ms: p50 {:.1}  p90 {:.1}  p99 {:.1}  max {:.1}\n",
            l.p50, l.p90, l.p99, l.max
        )),
        None => s.push_str("latency: none (no request succeeded)\n"),
    }
    for (e, n) in &r.error_samples {
        s.push_str(&format!("error x{n}: {e}\n"));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_use_nearest_rank() {
        let mut v: Vec<f64> = (1..=100).map(f64::from).collect();
        let p = percentiles(&mut v);
        assert_eq!((p.p50, p.p90, p.p99, p.max), (50.0, 90.0, 99.0, 100.0));
        let mut one = vec![7.0];
        assert_eq!(percentiles(&mut one).p99, 7.0);
        assert_eq!(percentiles(&mut []).max, 0.0);
    }

    #[test]
    fn versions_from_json_and_text() {
        assert_eq!(
            version_of(r#"{"service":"demo","version":"v2"}"#).as_deref(),
            Some("v2")
        );
        assert_eq!(
            version_of("demo version 1.2.3 (commit abc) served by host").as_deref(),
            Some("1.2.3")
        );
        assert_eq!(version_of("hello"), None);
    }
}
