//! Test support: a [`Ctx`] whose clients answer from aws-smithy-mocks rules (one per
//! operation, `mock!(Client::operation)`) instead of the network, with the stack of
//! `tests/fixtures/terraform-outputs.json`.

use aws_smithy_mocks::{create_mock_http_client, MockResponseInterceptor, Rule, RuleMode};

use crate::aws::{Aws, Ctx};
use deployer_models::outputs::Outputs;

pub(crate) use aws_smithy_mocks::mock;

/// A context whose every client answers from `rules` (the first that matches a request,
/// in order; a request no rule matches fails the call).
pub(crate) fn ctx(rules: &[&Rule]) -> Ctx {
    let outputs = Outputs::from_json_str(
        include_str!("../../tests/fixtures/terraform-outputs.json"),
        "terraform-outputs.json",
    )
    .expect("the fixture's outputs");
    let interceptor = || {
        rules.iter().fold(
            MockResponseInterceptor::new().rule_mode(RuleMode::MatchAny),
            |i, r| i.with_rule(r),
        )
    };
    macro_rules! client {
        ($sdk:ident) => {
            $sdk::Client::from_conf(
                $sdk::Config::builder()
                    .behavior_version($sdk::config::BehaviorVersion::latest())
                    .region($sdk::config::Region::new("eu-west-1"))
                    .credentials_provider($sdk::config::Credentials::new(
                        "test", "test", None, None, "test",
                    ))
                    .http_client(create_mock_http_client())
                    .interceptor(interceptor())
                    .build(),
            )
        };
    }
    let aws = Aws {
        ecs: client!(aws_sdk_ecs),
        codedeploy: client!(aws_sdk_codedeploy),
        elb: client!(aws_sdk_elasticloadbalancingv2),
        ecr: client!(aws_sdk_ecr),
        iam: client!(aws_sdk_iam),
        codepipeline: client!(aws_sdk_codepipeline),
        codebuild: client!(aws_sdk_codebuild),
        logs: client!(aws_sdk_cloudwatchlogs),
        cloudwatch: client!(aws_sdk_cloudwatch),
        autoscaling: client!(aws_sdk_applicationautoscaling),
        sts: client!(aws_sdk_sts),
        region: "eu-west-1".into(),
    };
    Ctx { outputs, aws }
}
