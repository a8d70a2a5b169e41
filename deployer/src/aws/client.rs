//! The AWS clients, built from one shared `aws_config` load.
//!
//! The default credential chain applies, so `AWS_PROFILE`, `AWS_REGION`,
//! `AWS_ENDPOINT_URL` (one endpoint for every service, e.g. `deployer local`),
//! `AWS_MAX_ATTEMPTS` and `AWS_RETRY_MODE` work as with the AWS CLI. Retries (throttling,
//! transient errors) are left to the SDK's standard retry strategy.
//!
//! Every call is bounded ([`Timeouts`], `--aws-timeout` and its environment variables):
//! the SDK sets only a connect timeout by itself, so an endpoint that accepts the
//! connection and never answers held `deployer status` for minutes with no output. The
//! defaults: connect 5s (a regional endpoint or `deployer local` answers the handshake in
//! milliseconds; 5s leaves a slow VPN room and is above the SDK's own 3.1s), one attempt
//! 10s (the deployer's largest answers, a page of BatchGetDeployments or FilterLogEvents,
//! take well under a second; a timed-out attempt is retried), the whole call 30s (room for
//! the standard strategy's three attempts with their backoff, or two stalled ones, and
//! short enough that a stalled endpoint is reported before a person gives up on the
//! command). None of the calls waits on purpose (no long polls): the watch loops poll.

#![warn(unreachable_pub)]

use std::sync::OnceLock;

use aws_config::meta::region::RegionProviderChain;
use aws_config::timeout::TimeoutConfig;
use aws_config::BehaviorVersion;

use crate::exit::bad_input;
use crate::options::Timeouts;
use deployer_models::outputs::Outputs;

/// Where the calls go and their bounds, for the messages of [`super::errors`]: set by the
/// process's one configuration load.
static CALLS: OnceLock<Calls> = OnceLock::new();

#[derive(Debug)]
struct Calls {
    /// The endpoint override (`AWS_ENDPOINT_URL`, the profile's `endpoint_url`), if any.
    endpoint_url: Option<String>,
    region: String,
    timeouts: Timeouts,
}

/// The endpoint an operation such as `ecs:DescribeServices` goes to, for messages: the
/// override when one is set (`deployer local`), else AWS's regional endpoint.
pub(crate) fn endpoint_of(operation: &str) -> String {
    let service = operation.split(':').next().unwrap_or(operation);
    match CALLS.get() {
        Some(Calls {
            endpoint_url: Some(url),
            ..
        }) => url.clone(),
        Some(c) => format!("the {service} endpoint of {}", c.region),
        None => format!("the {service} endpoint"),
    }
}

/// The bounds in force and where to change them, for a timeout's message.
pub(crate) fn timeouts_hint() -> String {
    let change = "change with --aws-timeout, DEPLOYER_AWS_CONNECT_TIMEOUT, \
                  DEPLOYER_AWS_ATTEMPT_TIMEOUT";
    match CALLS.get() {
        Some(c) => format!(
            "bounds: connect {}, attempt {}, call {} ({change})",
            secs(c.timeouts.connect),
            secs(c.timeouts.attempt),
            secs(c.timeouts.operation)
        ),
        None => change.to_owned(),
    }
}

fn secs(d: std::time::Duration) -> String {
    format!("{}s", d.as_secs_f64())
}

impl Timeouts {
    fn config(&self) -> TimeoutConfig {
        TimeoutConfig::builder()
            .connect_timeout(self.connect)
            .operation_attempt_timeout(self.attempt)
            .operation_timeout(self.operation)
            .build()
    }
}

/// Every client the deployer uses, built from one configuration load.
#[derive(Clone, Debug)]
pub struct Aws {
    pub ecs: aws_sdk_ecs::Client,
    pub codedeploy: aws_sdk_codedeploy::Client,
    pub elb: aws_sdk_elasticloadbalancingv2::Client,
    pub ecr: aws_sdk_ecr::Client,
    pub iam: aws_sdk_iam::Client,
    pub codepipeline: aws_sdk_codepipeline::Client,
    pub codebuild: aws_sdk_codebuild::Client,
    pub logs: aws_sdk_cloudwatchlogs::Client,
    pub cloudwatch: aws_sdk_cloudwatch::Client,
    pub autoscaling: aws_sdk_applicationautoscaling::Client,
    pub sts: aws_sdk_sts::Client,
    /// The region in use (from the environment/profile, else the Terraform outputs).
    pub region: String,
}

impl Aws {
    /// Loads the shared configuration. The region comes from the usual chain
    /// (`AWS_REGION`, the profile); when none is set, the stack's region from the
    /// Terraform outputs is used, so a bare `deployer status` talks to the right region.
    pub(crate) async fn load(outputs: &Outputs, timeouts: &Timeouts) -> anyhow::Result<Aws> {
        let fallback = aws_config::Region::new(outputs.region.clone());
        let region = RegionProviderChain::default_provider().or_else(fallback);
        let config = aws_config::defaults(BehaviorVersion::latest())
            .region(region)
            .timeout_config(timeouts.config())
            .load()
            .await;
        let region = config
            .region()
            .map(|r| r.to_string())
            .ok_or_else(|| bad_input("no AWS region: set AWS_REGION or give --outputs"))?;
        if region != outputs.region {
            tracing::warn!(
                "AWS region {region} (environment/profile) differs from the stack's region {} \
                 (Terraform outputs field `region`)",
                outputs.region
            );
        }
        let _ = CALLS.set(Calls {
            endpoint_url: config.endpoint_url().map(str::to_owned),
            region: region.clone(),
            timeouts: *timeouts,
        });
        Ok(Aws {
            ecs: aws_sdk_ecs::Client::new(&config),
            codedeploy: aws_sdk_codedeploy::Client::new(&config),
            elb: aws_sdk_elasticloadbalancingv2::Client::new(&config),
            ecr: aws_sdk_ecr::Client::new(&config),
            iam: aws_sdk_iam::Client::new(&config),
            codepipeline: aws_sdk_codepipeline::Client::new(&config),
            codebuild: aws_sdk_codebuild::Client::new(&config),
            logs: aws_sdk_cloudwatchlogs::Client::new(&config),
            cloudwatch: aws_sdk_cloudwatch::Client::new(&config),
            autoscaling: aws_sdk_applicationautoscaling::Client::new(&config),
            sts: aws_sdk_sts::Client::new(&config),
            region,
        })
    }
}
