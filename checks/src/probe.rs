//! Sending the requests.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::report::{percentiles, version_of, Report};

/// How to probe one URL.
#[derive(Debug, Clone)]
pub struct Probe {
    /// Number of requests.
    pub requests: u32,
    /// Requests in flight at once.
    pub concurrency: u32,
    /// Bound of each request (an answer later than this is an error).
    pub timeout: Duration,
    /// Every 2xx answer must report this version.
    pub expect_version: Option<String>,
}

impl Default for Probe {
    fn default() -> Self {
        Self {
            requests: 20,
            concurrency: 4,
            timeout: Duration::from_secs(5),
            expect_version: None,
        }
    }
}

enum One {
    Ok { ms: f64, version: Option<String> },
    Err(String),
}

/// Sends `probe.requests` GETs (`Accept: application/json`, a new connection each, so a
/// load balancer spreads them over its targets) to `url` and reports what answered.
pub async fn probe(url: &reqwest::Url, probe: &Probe) -> Report {
    probe_targets(std::slice::from_ref(url), probe).await
}

/// Like [`probe`], with the requests spread in turn over several URLs (each task of a
/// target group): one report, latency samples pooled. No URL at all is one error.
pub async fn probe_targets(urls: &[reqwest::Url], probe: &Probe) -> Report {
    let label = match urls {
        [one] => one.to_string(),
        many => format!(
            "{} targets: {}",
            many.len(),
            many.iter()
                .map(|u| u.as_str())
                .collect::<Vec<_>>()
                .join(" ")
        ),
    };
    if urls.is_empty() {
        let mut r = empty(&label, probe.requests);
        r.errors = probe.requests.max(1);
        r.error_samples
            .insert("no target to send requests to".to_owned(), r.errors);
        return r;
    }
    let client = match reqwest::Client::builder()
        .timeout(probe.timeout)
        .pool_max_idle_per_host(0)
        .build()
    {
        Ok(c) => c,
        Err(e) => {
            // Only a broken TLS setup gets here: every request is an error, said once.
            let mut r = empty(&label, probe.requests);
            r.errors = probe.requests;
            r.error_samples.insert(describe(&e), probe.requests);
            return r;
        }
    };
    let started = Instant::now();
    let next = Arc::new(AtomicUsize::new(0));
    let total = probe.requests as usize;
    let mut workers = Vec::new();
    for _ in 0..probe.concurrency.clamp(1, probe.requests.max(1)) {
        let client = client.clone();
        let next = Arc::clone(&next);
        let urls = urls.to_vec();
        workers.push(tokio::spawn(async move {
            let mut results = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= total {
                    break;
                }
                results.push(one(&client, &urls[i % urls.len()]).await);
            }
            results
        }));
    }
    let mut latencies = Vec::new();
    let mut report = empty(&label, probe.requests);
    for w in workers {
        let results = match w.await {
            Ok(r) => r,
            Err(e) => vec![One::Err(format!("a probe worker failed: {e}"))],
        };
        for one in results {
            match one {
                One::Ok { ms, version } => {
                    latencies.push(ms);
                    let v = version.unwrap_or_else(|| "(none)".into());
                    if probe.expect_version.as_ref().is_some_and(|e| *e != v) {
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
    report
}

fn empty(label: &str, requests: u32) -> Report {
    Report {
        url: label.to_owned(),
        requests,
        ok: 0,
        errors: 0,
        versions: BTreeMap::new(),
        unexpected_versions: 0,
        latency_ms: None,
        error_samples: BTreeMap::new(),
        elapsed_ms: 0,
    }
}

async fn one(client: &reqwest::Client, url: &reqwest::Url) -> One {
    let t0 = Instant::now();
    let res = client
        .get(url.clone())
        .header(reqwest::header::ACCEPT, "application/json")
        .send()
        .await;
    match res {
        Err(e) => One::Err(describe(&e)),
        Ok(resp) => {
            let status = resp.status();
            match resp.text().await {
                Err(e) => One::Err(describe(&e)),
                Ok(_) if !status.is_success() => One::Err(format!("HTTP {status}")),
                Ok(body) => One::Ok {
                    ms: t0.elapsed().as_secs_f64() * 1000.0,
                    version: version_of(&body),
                },
            }
        }
    }
}

/// The error and its causes on one line, with what kind of failure it was.
fn describe(e: &reqwest::Error) -> String {
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
