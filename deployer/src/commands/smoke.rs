//! `deployer smoke`: requests through the load balancer; reports the versions that
//! answered, latency percentiles and errors; fails on any error or unexpected version.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::Args;
use serde::Serialize;

use crate::args::parse_duration;
use crate::exit::{bad_input, Code};
use crate::options::{Global, OutputFormat};

#[derive(Debug, Args)]
#[command(after_help = concat!("Examples:
  deployer smoke                                   # the NLB from the Terraform outputs
  deployer smoke --url http://127.0.0.1:8080/ --requests 200 --expect-version v2

smoke exits 0 when every request answered 2xx (with the expected version), 3 otherwise.", "\n\n", crate::exit_codes!(smoke)))]
pub(crate) struct SmokeArgs {
    /// URL to request (default: `nlb_url` from the Terraform outputs).
    #[arg(long, value_name = "URL")]
    pub url: Option<String>,

    /// Number of requests.
    #[arg(long, value_name = "N", default_value_t = 20,
          value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub requests: u32,

    /// Requests in flight at once.
    #[arg(long, value_name = "N", default_value_t = 4,
          value_parser = clap::value_parser!(u32).range(1..=256))]
    pub concurrency: u32,

    /// Fail unless every answer reports this version.
    #[arg(long, value_name = "V")]
    pub expect_version: Option<String>,

    /// Per-request timeout.
    #[arg(long, value_name = "DURATION", default_value = "5s", value_parser = parse_duration)]
    pub request_timeout: Duration,
}

#[derive(Debug, Clone, Serialize)]
pub(crate) struct Report {
    pub url: String,
    pub requests: u32,
    pub ok: u32,
    pub errors: u32,
    /// Version -> number of answers.
    pub versions: BTreeMap<String, u32>,
    pub unexpected_versions: u32,
    /// `None` when no request succeeded: there is no latency to report.
    pub latency_ms: Option<Percentiles>,
    /// First few distinct error messages with their counts.
    pub error_samples: BTreeMap<String, u32>,
    pub elapsed_ms: u64,
}

#[derive(Debug, Clone, Default, Serialize)]
pub(crate) struct Percentiles {
    pub p50: f64,
    pub p90: f64,
    pub p99: f64,
    pub max: f64,
}

/// Nearest-rank percentiles of `samples` (milliseconds).
pub(crate) fn percentiles(samples: &mut [f64]) -> Percentiles {
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
pub(crate) fn version_of(body: &str) -> Option<String> {
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

enum One {
    Ok { ms: f64, version: Option<String> },
    Err(String),
}

pub(crate) async fn run(args: SmokeArgs, global: &Global) -> anyhow::Result<Code> {
    let url = match &args.url {
        Some(u) => u.clone(),
        None => {
            let path = global.outputs.as_deref().ok_or_else(|| {
                bad_input(
                    "smoke needs --url, or the Terraform outputs (--outputs FILE, \
                     DEPLOYER_OUTPUTS) for nlb_url",
                )
            })?;
            deployer_models::outputs::Outputs::load_for(path, "deployer smoke", &["nlb_url"])?
                .nlb_url
        }
    };
    let parsed = reqwest::Url::parse(&url)
        .map_err(|e| bad_input(format!("--url {url:?}: {e} (e.g. http://127.0.0.1:8080/)")))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(bad_input(format!(
            "--url {url:?}: only http and https are supported"
        )));
    }
    let client = reqwest::Client::builder()
        .timeout(args.request_timeout)
        .pool_max_idle_per_host(0) // new connection each time: spread over NLB targets
        .build()
        .context("building the HTTP client")?;

    eprintln!(
        "smoke: {} requests to {url} ({} at a time)",
        args.requests, args.concurrency
    );
    let started = Instant::now();
    let next = Arc::new(AtomicUsize::new(0));
    let total = args.requests as usize;
    let mut workers = Vec::new();
    for _ in 0..args.concurrency.min(args.requests) {
        let client = client.clone();
        let next = next.clone();
        let url = parsed.clone();
        workers.push(tokio::spawn(async move {
            let mut results = Vec::new();
            while next.fetch_add(1, Ordering::Relaxed) < total {
                let t0 = Instant::now();
                let res = client
                    .get(url.clone())
                    .header(reqwest::header::ACCEPT, "application/json")
                    .send()
                    .await;
                let one = match res {
                    Err(e) => One::Err(describe_reqwest(&e)),
                    Ok(resp) => {
                        let status = resp.status();
                        match resp.text().await {
                            Err(e) => One::Err(describe_reqwest(&e)),
                            Ok(_) if !status.is_success() => One::Err(format!("HTTP {status}")),
                            Ok(body) => One::Ok {
                                ms: t0.elapsed().as_secs_f64() * 1000.0,
                                version: version_of(&body),
                            },
                        }
                    }
                };
                results.push(one);
            }
            results
        }));
    }
    let mut latencies = Vec::new();
    let mut report = Report {
        url: url.clone(),
        requests: args.requests,
        ok: 0,
        errors: 0,
        versions: BTreeMap::new(),
        unexpected_versions: 0,
        latency_ms: None,
        error_samples: BTreeMap::new(),
        elapsed_ms: 0,
    };
    for w in workers {
        for one in w.await.context("a smoke worker panicked")? {
            match one {
                One::Ok { ms, version } => {
                    latencies.push(ms);
                    let v = version.unwrap_or_else(|| "(none)".into());
                    if args.expect_version.as_ref().is_some_and(|e| *e != v) {
                        report.unexpected_versions += 1;
                    } else {
                        report.ok += 1;
                    }
                    *report.versions.entry(v).or_default() += 1;
                }
                One::Err(e) => {
                    report.errors += 1;
                    if report.error_samples.len() < 5 || report.error_samples.contains_key(&e) {
                        *report.error_samples.entry(e).or_default() += 1;
                    }
                }
            }
        }
    }
    report.latency_ms = (!latencies.is_empty()).then(|| percentiles(&mut latencies));
    report.elapsed_ms = started.elapsed().as_millis() as u64;

    match global.output {
        OutputFormat::Json => println!(
            "{}",
            serde_json::to_string(&report).context("serializing the report")?
        ),
        OutputFormat::Human => print!("{}", render_human(&report, args.expect_version.as_deref())),
    }
    Ok(if report.errors == 0 && report.unexpected_versions == 0 {
        Code::Success
    } else {
        Code::Failed
    })
}

fn describe_reqwest(e: &reqwest::Error) -> String {
    let kind = if e.is_timeout() {
        "timeout"
    } else if e.is_connect() {
        "connect"
    } else {
        "request"
    };
    let mut text = format!("{kind}: {e}");
    let mut src = std::error::Error::source(e);
    while let Some(s) = src {
        text.push_str(&format!(": {s}"));
        src = s.source();
    }
    text
}

pub(crate) fn render_human(r: &Report, expect: Option<&str>) -> String {
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
