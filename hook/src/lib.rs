//! The validation hook that CodeDeploy runs at `AfterAllowTestTraffic`, before production
//! traffic moves: behind a Network Load Balancer CodeDeploy can only shift all traffic at
//! once, so this is the last point where a release whose `/health` answers 200 while its
//! real answers are wrong can be stopped without a user seeing it.
//!
//! For one hook invocation ([`HookEvent`]) it finds the two sides from the deployment itself
//! (CodeDeploy's deployment target: the task sets labelled Green and Blue and their target
//! groups; ELBv2: each group's registered tasks), sends the same requests to every green
//! task and to the healthy blue ones, judges green against blue with
//! [`release_checks::compare`] (the same checks `deployer smoke` runs by hand), logs the
//! verdict with both sides' figures, and reports `Succeeded` or `Failed` to CodeDeploy,
//! which rolls the deployment back on `Failed`. It fails closed: a hook that cannot check
//! (no green task found, an AWS error) reports `Failed`.
//!
//! It talks to the tasks' private addresses, so it runs in the service's VPC, and to the
//! CodeDeploy and ELBv2 APIs (through VPC endpoints where there is no NAT gateway); it
//! needs neither the test listener nor any opening to the internet.

pub mod aws;

use std::time::Duration;

use anyhow::{anyhow, bail, Context};
use release_checks::{compare, probe_targets, Probe, Rules, Verdict};
use serde::Deserialize;

/// What CodeDeploy sends to a lifecycle hook function.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct HookEvent {
    pub deployment_id: String,
    pub lifecycle_event_hook_execution_id: String,
}

/// The hook's settings, from the function's environment.
#[derive(Debug, Clone)]
pub struct Settings {
    /// `HOOK_REQUESTS_PER_TASK` (default 20): requests to each task of each side.
    pub requests_per_task: u32,
    /// `HOOK_REQUEST_TIMEOUT_MS` (default 2000): bound of each request.
    pub request_timeout: Duration,
    /// `HOOK_PATH` (default `/`): the path requested.
    pub path: String,
    /// `HOOK_MAX_P99_RATIO` (default 2) and `HOOK_P99_FLOOR_MS` (default 50): green's p99
    /// may be at most this times blue's, or the floor, whichever is larger.
    pub rules: Rules,
}

impl Settings {
    /// Reads the settings through `var` (the process environment in the function).
    pub fn from_lookup(var: impl Fn(&str) -> Option<String>) -> anyhow::Result<Self> {
        fn parse<T: std::str::FromStr>(
            var: &impl Fn(&str) -> Option<String>,
            name: &str,
            default: T,
            ok: impl Fn(&T) -> bool,
            want: &str,
        ) -> anyhow::Result<T> {
            match var(name).filter(|v| !v.is_empty()) {
                None => Ok(default),
                Some(v) => match v.parse::<T>() {
                    Ok(x) if ok(&x) => Ok(x),
                    _ => bail!("{name}={v:?}: expected {want}"),
                },
            }
        }
        let defaults = Rules::default();
        let path = var("HOOK_PATH").unwrap_or_else(|| "/".to_owned());
        if !path.starts_with('/') {
            bail!("HOOK_PATH={path:?}: expected a path starting with /");
        }
        Ok(Self {
            requests_per_task: parse(
                &var,
                "HOOK_REQUESTS_PER_TASK",
                20,
                |n| (1..=1000).contains(n),
                "a whole number from 1 to 1000",
            )?,
            request_timeout: Duration::from_millis(parse(
                &var,
                "HOOK_REQUEST_TIMEOUT_MS",
                2000u64,
                |n| (1..=60_000).contains(n),
                "milliseconds from 1 to 60000",
            )?),
            path,
            rules: Rules {
                max_p99_ratio: parse(
                    &var,
                    "HOOK_MAX_P99_RATIO",
                    defaults.max_p99_ratio,
                    |r: &f64| r.is_finite() && *r >= 1.0,
                    "a number of at least 1",
                )?,
                p99_floor_ms: parse(
                    &var,
                    "HOOK_P99_FLOOR_MS",
                    defaults.p99_floor_ms,
                    |r: &f64| r.is_finite() && *r >= 0.0,
                    "milliseconds, 0 or more",
                )?,
                expect_version: None,
            },
        })
    }
}

/// Where each side's tasks answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sides {
    pub green_target_group: String,
    pub green: Vec<reqwest::Url>,
    /// `None` when there is no blue side (the deployment has no original task set).
    pub blue_target_group: Option<String>,
    pub blue: Vec<reqwest::Url>,
}

/// What the hook needs from AWS (CodeDeploy, ELBv2): the real one is [`aws::Aws`]; tests
/// use a fake.
pub trait Deployments {
    /// The two sides of `deployment_id`, each task as `http://<ip>:<port><path>`.
    fn sides(
        &self,
        deployment_id: &str,
        path: &str,
    ) -> impl std::future::Future<Output = anyhow::Result<Sides>> + Send;
    /// Reports the hook's result to CodeDeploy.
    fn report(
        &self,
        event: &HookEvent,
        passed: bool,
    ) -> impl std::future::Future<Output = anyhow::Result<()>> + Send;
}

/// The outcome of one invocation: the verdict, or why there was none.
#[derive(Debug, serde::Serialize)]
pub struct Outcome {
    pub deployment_id: String,
    pub passed: bool,
    /// The reasons of a failure (the first is the one a person reads first).
    pub failures: Vec<String>,
    pub green_target_group: Option<String>,
    pub blue_target_group: Option<String>,
    pub verdict: Option<Verdict>,
}

/// Runs the checks for `event` and reports the result to CodeDeploy. Returns the outcome
/// (what the function logs and answers); an error only when the result could not be
/// reported (CodeDeploy then fails the hook at its timeout).
pub async fn run<D: Deployments>(
    aws: &D,
    settings: &Settings,
    event: &HookEvent,
) -> anyhow::Result<Outcome> {
    let outcome = match check(aws, settings, &event.deployment_id).await {
        Ok(outcome) => outcome,
        Err(e) => Outcome {
            deployment_id: event.deployment_id.clone(),
            passed: false,
            failures: vec![format!("the hook could not check the release: {e:#}")],
            green_target_group: None,
            blue_target_group: None,
            verdict: None,
        },
    };
    aws.report(event, outcome.passed).await.with_context(|| {
        format!(
            "reporting {} for deployment {}",
            if outcome.passed {
                "Succeeded"
            } else {
                "Failed"
            },
            event.deployment_id
        )
    })?;
    Ok(outcome)
}

async fn check<D: Deployments>(
    aws: &D,
    settings: &Settings,
    deployment_id: &str,
) -> anyhow::Result<Outcome> {
    let sides = aws.sides(deployment_id, &settings.path).await?;
    if sides.green.is_empty() {
        return Err(anyhow!(
            "target group {} has no registered task to check",
            sides.green_target_group
        ));
    }
    let probe_side = |urls: &[reqwest::Url]| Probe {
        requests: settings.requests_per_task * urls.len() as u32,
        concurrency: (urls.len() as u32 * 2).clamp(1, 16),
        timeout: settings.request_timeout,
        expect_version: None,
    };
    // Both sides at once: whatever slows the host or the network meanwhile slows both, so
    // the comparison is of the releases, not of two moments.
    let (green_probe, blue_probe) = (probe_side(&sides.green), probe_side(&sides.blue));
    let (green, blue) = tokio::join!(probe_targets(&sides.green, &green_probe), async {
        if sides.blue.is_empty() {
            None
        } else {
            Some(probe_targets(&sides.blue, &blue_probe).await)
        }
    });
    let verdict = compare(green, blue, settings.rules.clone());
    Ok(Outcome {
        deployment_id: deployment_id.to_owned(),
        passed: verdict.passed,
        failures: verdict.failures.clone(),
        green_target_group: Some(sides.green_target_group),
        blue_target_group: sides.blue_target_group,
        verdict: Some(verdict),
    })
}
