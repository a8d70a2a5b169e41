//! `deployer smoke`: requests through the load balancer; reports the versions that
//! answered, latency percentiles and errors; fails on any error or unexpected version.
//! The probe and its report are `release-checks`, which the validation hook shares.

use std::time::Duration;

use clap::Args;

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
    eprintln!(
        "smoke: {} requests to {url} ({} at a time)",
        args.requests, args.concurrency
    );
    // The same checks the validation hook runs before traffic moves (release-checks).
    let mut report = release_checks::probe(
        &parsed,
        &release_checks::Probe {
            requests: args.requests,
            concurrency: args.concurrency,
            timeout: args.request_timeout,
            expect_version: args.expect_version.clone(),
        },
    )
    .await;
    report.url = url;

    match global.output {
        OutputFormat::Json => crate::output::emit("smoke", &report),
        OutputFormat::Human => print!(
            "{}",
            release_checks::render_human(&report, args.expect_version.as_deref())
        ),
    }
    Ok(if report.passed() {
        Code::Success
    } else {
        Code::Failed
    })
}
