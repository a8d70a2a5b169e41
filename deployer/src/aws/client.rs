//! The AWS clients, built from one shared `aws_config` load.
//!
//! The default credential chain applies, so `AWS_PROFILE`, `AWS_REGION`,
//! `AWS_ENDPOINT_URL` (one endpoint for every service, e.g. `deployer local`),
//! `AWS_MAX_ATTEMPTS` and `AWS_RETRY_MODE` work as with the AWS CLI. Retries (throttling,
//! transient errors) are left to the SDK's standard retry strategy.

#![warn(unreachable_pub)]

use aws_config::meta::region::RegionProviderChain;
use aws_config::BehaviorVersion;

use crate::exit::bad_input;
use deployer_models::outputs::Outputs;

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
    pub autoscaling: aws_sdk_applicationautoscaling::Client,
    /// The region in use (from the environment/profile, else the Terraform outputs).
    pub region: String,
}

impl Aws {
    /// Loads the shared configuration. The region comes from the usual chain
    /// (`AWS_REGION`, the profile); when none is set, the stack's region from the
    /// Terraform outputs is used, so a bare `deployer status` talks to the right region.
    pub(crate) async fn load(outputs: &Outputs) -> anyhow::Result<Aws> {
        let fallback = aws_config::Region::new(outputs.region.clone());
        let region = RegionProviderChain::default_provider().or_else(fallback);
        let config = aws_config::defaults(BehaviorVersion::latest())
            .region(region)
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
        Ok(Aws {
            ecs: aws_sdk_ecs::Client::new(&config),
            codedeploy: aws_sdk_codedeploy::Client::new(&config),
            elb: aws_sdk_elasticloadbalancingv2::Client::new(&config),
            ecr: aws_sdk_ecr::Client::new(&config),
            iam: aws_sdk_iam::Client::new(&config),
            codepipeline: aws_sdk_codepipeline::Client::new(&config),
            codebuild: aws_sdk_codebuild::Client::new(&config),
            logs: aws_sdk_cloudwatchlogs::Client::new(&config),
            autoscaling: aws_sdk_applicationautoscaling::Client::new(&config),
            region,
        })
    }
}
