//! ELBv2's query API (version 2015-12-01, XML answers) over the local NLB: the read calls
//! the deployer, the release hook and a user's first `aws elbv2 ...` make
//! (DescribeLoadBalancers, DescribeListeners, DescribeTargetGroups, DescribeTargetHealth,
//! DescribeTags, DescribeLoadBalancerAttributes, DescribeTargetGroupAttributes,
//! DescribeListenerAttributes, DescribeRules). Each operation reads its serde request type
//! (botocore's input shape, checked by the tests), makes one call to
//! [`super::backend::Lb`], which owns the rules and the error codes, and answers its
//! response type (botocore's output shape, checked by the tests).
//!
//! Where it falls short: no writes (listeners are moved by the local CodeDeploy, targets
//! registered by the local ECS); `Include` of DescribeTargetHealth (anomaly detection, an
//! ALB feature) is read and adds nothing; no availability zones or creation times.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::backend::{
    Error, HealthSettings, Lb, ListenerInfo, Page, Paging, RuleInfo, TargetGroupInfo,
    TargetHealthInfo, TargetQuery,
};
use crate::names::CONTAINER_PORT;
use crate::runtime::stack::Stack;
use crate::wire::error::{ApiError, Common};
use crate::wire::query::{answer, request, Form, QueryResult};

/// The query API version ELBv2 requests carry.
pub(crate) const VERSION: &str = "2015-12-01";
/// The namespace of ELBv2's XML answers.
pub(crate) const NAMESPACE: &str = "http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/";

// ------------------------------------------------------------------------ requests

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct DescribeLoadBalancersInput {
    #[serde(default)]
    load_balancer_arns: Vec<String>,
    #[serde(default)]
    names: Vec<String>,
    marker: Option<String>,
    page_size: Option<i64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct DescribeListenersInput {
    load_balancer_arn: Option<String>,
    #[serde(default)]
    listener_arns: Vec<String>,
    marker: Option<String>,
    page_size: Option<i64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct DescribeTargetGroupsInput {
    load_balancer_arn: Option<String>,
    #[serde(default)]
    target_group_arns: Vec<String>,
    #[serde(default)]
    names: Vec<String>,
    marker: Option<String>,
    page_size: Option<i64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct DescribeTargetHealthInput {
    target_group_arn: Option<String>,
    #[serde(default)]
    targets: Vec<TargetDescription>,
    /// Anomaly detection (ALB only): read, adds nothing.
    #[serde(default)]
    #[allow(dead_code)]
    include: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct TargetDescription {
    id: Option<String>,
    port: Option<i64>,
    /// For targets outside the VPC (none here): read, not used.
    #[allow(dead_code)]
    availability_zone: Option<String>,
    /// QUIC listeners (none here): read, not used.
    #[allow(dead_code)]
    quic_server_id: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct DescribeTagsInput {
    resource_arns: Option<Vec<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct DescribeLoadBalancerAttributesInput {
    load_balancer_arn: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct DescribeTargetGroupAttributesInput {
    target_group_arn: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct DescribeListenerAttributesInput {
    listener_arn: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct DescribeRulesInput {
    listener_arn: Option<String>,
    #[serde(default)]
    rule_arns: Vec<String>,
    marker: Option<String>,
    page_size: Option<i64>,
}

fn paging(marker: &Option<String>, page_size: Option<i64>) -> Paging<'_> {
    Paging {
        marker: marker.as_deref(),
        page_size,
    }
}

// ----------------------------------------------------------------------- responses

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct LoadBalancersOutput {
    load_balancers: Vec<LoadBalancer>,
    next_marker: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct LoadBalancer {
    load_balancer_arn: String,
    #[serde(rename = "DNSName")]
    dns_name: String,
    load_balancer_name: &'static str,
    scheme: &'static str,
    vpc_id: &'static str,
    state: LoadBalancerState,
    #[serde(rename = "Type")]
    kind: &'static str,
    ip_address_type: &'static str,
    security_groups: Vec<&'static str>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct LoadBalancerState {
    code: &'static str,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct ListenersOutput {
    listeners: Vec<Listener>,
    next_marker: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct Listener {
    listener_arn: String,
    load_balancer_arn: String,
    port: u16,
    protocol: &'static str,
    default_actions: Vec<Action>,
}

/// A forward action to one target group (what CodeDeploy's listener switch leaves).
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct Action {
    #[serde(rename = "Type")]
    kind: &'static str,
    target_group_arn: String,
    order: u32,
    forward_config: ForwardConfig,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct ForwardConfig {
    target_groups: Vec<TargetGroupTuple>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct TargetGroupTuple {
    target_group_arn: String,
    weight: u32,
}

fn forward(target_group_arn: &str) -> Action {
    Action {
        kind: "forward",
        target_group_arn: target_group_arn.to_string(),
        order: 1,
        forward_config: ForwardConfig {
            target_groups: vec![TargetGroupTuple {
                target_group_arn: target_group_arn.to_string(),
                weight: 1,
            }],
        },
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct TargetGroupsOutput {
    target_groups: Vec<TargetGroup>,
    next_marker: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct TargetGroup {
    target_group_arn: String,
    target_group_name: &'static str,
    protocol: &'static str,
    port: u16,
    vpc_id: &'static str,
    health_check_protocol: &'static str,
    health_check_port: &'static str,
    health_check_enabled: bool,
    health_check_interval_seconds: u64,
    health_check_timeout_seconds: u64,
    healthy_threshold_count: u32,
    unhealthy_threshold_count: u32,
    health_check_path: &'static str,
    matcher: Matcher,
    load_balancer_arns: Vec<String>,
    target_type: &'static str,
    ip_address_type: &'static str,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct Matcher {
    http_code: &'static str,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct TargetHealthOutput {
    target_health_descriptions: Vec<TargetHealthDescription>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct TargetHealthDescription {
    target: Target,
    health_check_port: String,
    target_health: TargetHealth,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct Target {
    id: String,
    port: u16,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct TargetHealth {
    state: &'static str,
    reason: Option<&'static str>,
    description: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct TagsOutput {
    tag_descriptions: Vec<TagDescription>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct TagDescription {
    resource_arn: String,
    tags: Vec<KeyValue>,
}

/// A tag or an attribute (both are `Key` and `Value`).
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct KeyValue {
    key: &'static str,
    value: String,
}

fn key_values(pairs: Vec<(&'static str, String)>) -> Vec<KeyValue> {
    pairs
        .into_iter()
        .map(|(key, value)| KeyValue { key, value })
        .collect()
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct AttributesOutput {
    attributes: Vec<KeyValue>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct RulesOutput {
    rules: Vec<Rule>,
    next_marker: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct Rule {
    rule_arn: String,
    priority: &'static str,
    /// A default rule has no conditions (an empty list in the answer).
    conditions: Vec<()>,
    actions: Vec<Action>,
    is_default: bool,
}

fn load_balancers(page: Page<super::backend::LoadBalancerInfo>) -> LoadBalancersOutput {
    LoadBalancersOutput {
        load_balancers: page
            .items
            .into_iter()
            .map(|lb| LoadBalancer {
                load_balancer_arn: lb.arn,
                dns_name: lb.dns_name,
                load_balancer_name: lb.name,
                scheme: "internet-facing",
                vpc_id: "vpc-local",
                state: LoadBalancerState { code: "active" },
                kind: "network",
                ip_address_type: "ipv4",
                security_groups: vec!["sg-local-nlb"],
            })
            .collect(),
        next_marker: page.next_marker,
    }
}

fn listener(l: ListenerInfo) -> Listener {
    Listener {
        default_actions: vec![forward(&l.target_group_arn)],
        listener_arn: l.arn,
        load_balancer_arn: l.load_balancer_arn,
        port: l.port,
        protocol: "TCP",
    }
}

fn target_group(tg: TargetGroupInfo) -> TargetGroup {
    let HealthSettings {
        interval,
        timeout,
        healthy_threshold,
        unhealthy_threshold,
    } = tg.health;
    TargetGroup {
        target_group_arn: tg.arn,
        target_group_name: tg.name,
        protocol: "TCP",
        port: CONTAINER_PORT,
        vpc_id: "vpc-local",
        health_check_protocol: "HTTP",
        health_check_port: "traffic-port",
        health_check_enabled: true,
        health_check_interval_seconds: interval.as_secs().max(1),
        health_check_timeout_seconds: timeout.as_secs().max(1),
        healthy_threshold_count: healthy_threshold,
        unhealthy_threshold_count: unhealthy_threshold,
        health_check_path: "/health",
        matcher: Matcher {
            http_code: "200-399",
        },
        load_balancer_arns: tg.load_balancer_arns,
        target_type: "ip",
        ip_address_type: "ipv4",
    }
}

fn target_health(t: TargetHealthInfo) -> TargetHealthDescription {
    TargetHealthDescription {
        health_check_port: t.port.to_string(),
        target: Target {
            id: t.id,
            port: t.port,
        },
        target_health: TargetHealth {
            state: t.state,
            reason: t.reason,
            description: t.description,
        },
    }
}

fn rule(r: RuleInfo) -> Rule {
    Rule {
        actions: vec![forward(&r.target_group_arn)],
        rule_arn: r.arn,
        priority: "default",
        conditions: Vec::new(),
        is_default: true,
    }
}

// ---------------------------------------------------------------------- operations

pub(crate) fn handle(stack: &Arc<Stack>, action: &str, form: &Form) -> QueryResult {
    operation(&stack.lb, action, form)
}

/// One operation on the load balancer: decode, one backend call, encode.
fn operation(lb: &Lb, action: &str, form: &Form) -> QueryResult {
    let code = Error::ValidationError;
    match action {
        "DescribeLoadBalancers" => {
            let r: DescribeLoadBalancersInput = request(form, code)?;
            let page = lb.describe_load_balancers(
                &r.load_balancer_arns,
                &r.names,
                paging(&r.marker, r.page_size),
            )?;
            Ok(answer(&load_balancers(page)))
        }
        "DescribeListeners" => {
            let r: DescribeListenersInput = request(form, code)?;
            let page = lb.describe_listeners(
                r.load_balancer_arn.as_deref(),
                &r.listener_arns,
                paging(&r.marker, r.page_size),
            )?;
            Ok(answer(&ListenersOutput {
                listeners: page.items.into_iter().map(listener).collect(),
                next_marker: page.next_marker,
            }))
        }
        "DescribeTargetGroups" => {
            let r: DescribeTargetGroupsInput = request(form, code)?;
            let page = lb.describe_target_groups(
                r.load_balancer_arn.as_deref(),
                &r.target_group_arns,
                &r.names,
                paging(&r.marker, r.page_size),
            )?;
            Ok(answer(&TargetGroupsOutput {
                target_groups: page.items.into_iter().map(target_group).collect(),
                next_marker: page.next_marker,
            }))
        }
        "DescribeTargetHealth" => {
            let r: DescribeTargetHealthInput = request(form, code)?;
            let targets: Vec<TargetQuery> = r
                .targets
                .into_iter()
                .map(|t| TargetQuery {
                    id: t.id,
                    port: t.port,
                })
                .collect();
            let health = lb.describe_target_health(r.target_group_arn.as_deref(), &targets)?;
            Ok(answer(&TargetHealthOutput {
                target_health_descriptions: health.into_iter().map(target_health).collect(),
            }))
        }
        "DescribeTags" => {
            let r: DescribeTagsInput = request(form, code)?;
            let tags = lb.describe_tags(r.resource_arns.as_deref())?;
            Ok(answer(&TagsOutput {
                tag_descriptions: tags
                    .into_iter()
                    .map(|(resource_arn, tags)| TagDescription {
                        resource_arn,
                        tags: key_values(tags),
                    })
                    .collect(),
            }))
        }
        "DescribeLoadBalancerAttributes" => {
            let r: DescribeLoadBalancerAttributesInput = request(form, code)?;
            let attributes = lb.load_balancer_attributes(r.load_balancer_arn.as_deref())?;
            Ok(answer(&AttributesOutput {
                attributes: key_values(attributes),
            }))
        }
        "DescribeTargetGroupAttributes" => {
            let r: DescribeTargetGroupAttributesInput = request(form, code)?;
            let attributes = lb.target_group_attributes(r.target_group_arn.as_deref())?;
            Ok(answer(&AttributesOutput {
                attributes: key_values(attributes),
            }))
        }
        "DescribeListenerAttributes" => {
            let r: DescribeListenerAttributesInput = request(form, code)?;
            let attributes = lb.listener_attributes(r.listener_arn.as_deref())?;
            Ok(answer(&AttributesOutput {
                attributes: key_values(attributes),
            }))
        }
        "DescribeRules" => {
            let r: DescribeRulesInput = request(form, code)?;
            let page = lb.describe_rules(
                r.listener_arn.as_deref(),
                &r.rule_arns,
                paging(&r.marker, r.page_size),
            )?;
            Ok(answer(&RulesOutput {
                rules: page.items.into_iter().map(rule).collect(),
                next_marker: page.next_marker,
            }))
        }
        _ => Err(ApiError::new(
            Common::InvalidAction,
            format!("ELBv2 action {action:?} is not served by the local stack"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use std::net::{Ipv4Addr, SocketAddr};
    use std::time::Duration;

    use serde_json::Value;

    use super::*;
    use crate::botocore_check::{query_fits_botocore, query_request_fits_botocore};
    use crate::elbv2::backend::TargetState;
    use crate::names::Names;

    const LB: &str =
        "arn:aws:elasticloadbalancing:us-east-1:000000000000:loadbalancer/net/demo/0123456789abcdef";
    const BLUE: &str =
        "arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/demo-blue/1111111111111111";
    const PROD: &str = "arn:aws:elasticloadbalancing:us-east-1:000000000000:listener/net/demo/0123456789abcdef/aaaaaaaaaaaaaaaa";

    fn lb() -> Lb {
        let lb = Lb::new(
            &Names {
                region: "us-east-1".into(),
            },
            &[("prod", 8080), ("test", 8081)],
            HealthSettings {
                interval: Duration::from_secs(5),
                timeout: Duration::from_secs(2),
                healthy_threshold: 2,
                unhealthy_threshold: 2,
            },
        )
        .unwrap();
        let at = |port| SocketAddr::from((Ipv4Addr::LOCALHOST, port));
        lb.add_target(0, "a", at(4001), TargetState::Healthy);
        lb.add_target(0, "b", at(4002), TargetState::Initial);
        lb.add_target(1, "c", at(4003), TargetState::Unhealthy);
        lb
    }

    fn call(lb: &Lb, action: &str, pairs: &[(&str, &str)]) -> QueryResult {
        let mut all = vec![
            ("Action".to_string(), action.to_string()),
            ("Version".to_string(), VERSION.to_string()),
        ];
        all.extend(pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        operation(lb, action, &Form(all))
    }

    /// The answer, after checking it against botocore's output shape as the XML it is sent.
    fn answered(lb: &Lb, action: &str, pairs: &[(&str, &str)]) -> Value {
        let v = call(lb, action, pairs).unwrap_or_else(|e| panic!("{action}: {}", e.message));
        query_fits_botocore("elbv2", action, &v);
        v
    }

    #[test]
    fn requests_fit_botocore() {
        query_request_fits_botocore::<DescribeLoadBalancersInput>("elbv2", "DescribeLoadBalancers");
        query_request_fits_botocore::<DescribeListenersInput>("elbv2", "DescribeListeners");
        query_request_fits_botocore::<DescribeTargetGroupsInput>("elbv2", "DescribeTargetGroups");
        query_request_fits_botocore::<DescribeTargetHealthInput>("elbv2", "DescribeTargetHealth");
        query_request_fits_botocore::<DescribeTagsInput>("elbv2", "DescribeTags");
        query_request_fits_botocore::<DescribeLoadBalancerAttributesInput>(
            "elbv2",
            "DescribeLoadBalancerAttributes",
        );
        query_request_fits_botocore::<DescribeTargetGroupAttributesInput>(
            "elbv2",
            "DescribeTargetGroupAttributes",
        );
        query_request_fits_botocore::<DescribeListenerAttributesInput>(
            "elbv2",
            "DescribeListenerAttributes",
        );
        query_request_fits_botocore::<DescribeRulesInput>("elbv2", "DescribeRules");
    }

    #[test]
    fn every_served_operation_answers_in_botocores_shape() {
        let lb = lb();
        let v = answered(&lb, "DescribeLoadBalancers", &[("Names.member.1", "demo")]);
        assert_eq!(v["LoadBalancers"][0]["LoadBalancerArn"], LB);
        assert_eq!(v["LoadBalancers"][0]["DNSName"], "127.0.0.1:8080");
        let v = answered(
            &lb,
            "DescribeListeners",
            &[("LoadBalancerArn", LB), ("PageSize", "1")],
        );
        assert_eq!(
            v["Listeners"][0]["DefaultActions"][0]["TargetGroupArn"],
            BLUE
        );
        assert_eq!(v["NextMarker"], "1");
        let v = answered(
            &lb,
            "DescribeTargetGroups",
            &[("Names.member.1", "demo-blue")],
        );
        assert_eq!(v["TargetGroups"][0]["TargetGroupArn"], BLUE);
        assert_eq!(v["TargetGroups"][0]["HealthCheckIntervalSeconds"], 5);
        let v = answered(
            &lb,
            "DescribeTargetHealth",
            &[
                ("TargetGroupArn", BLUE),
                ("Targets.member.1.Id", "127.0.0.1"),
                ("Targets.member.1.Port", "4001"),
                ("Targets.member.2.Id", "127.0.0.1"),
                ("Targets.member.2.Port", "4999"),
            ],
        );
        let states: Vec<&Value> = v["TargetHealthDescriptions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| &d["TargetHealth"]["State"])
            .collect();
        assert_eq!(states, ["healthy", "unused"]);
        let v = answered(&lb, "DescribeTargetHealth", &[("TargetGroupArn", BLUE)]);
        assert_eq!(v["TargetHealthDescriptions"].as_array().unwrap().len(), 2);
        let v = answered(
            &lb,
            "DescribeTags",
            &[
                ("ResourceArns.member.1", LB),
                ("ResourceArns.member.2", BLUE),
            ],
        );
        assert_eq!(v["TagDescriptions"][1]["Tags"][1]["Value"], "blue");
        answered(
            &lb,
            "DescribeLoadBalancerAttributes",
            &[("LoadBalancerArn", LB)],
        );
        answered(
            &lb,
            "DescribeTargetGroupAttributes",
            &[("TargetGroupArn", BLUE)],
        );
        answered(&lb, "DescribeListenerAttributes", &[("ListenerArn", PROD)]);
        let v = answered(&lb, "DescribeRules", &[("ListenerArn", PROD)]);
        assert_eq!(v["Rules"][0]["IsDefault"], true);
    }

    #[test]
    fn refusals_are_aws_errors_before_anything_is_read() {
        let lb = lb();
        let e = call(
            &lb,
            "DescribeTargetGroups",
            &[("TargetGroupName", "demo-blue")],
        )
        .unwrap_err();
        assert_eq!(
            (e.code, e.message.as_str()),
            (
                "ValidationError",
                "The parameter TargetGroupName is not recognized"
            )
        );
        let e = call(&lb, "DescribeLoadBalancers", &[("PageSize", "many")]).unwrap_err();
        assert_eq!(e.code, "ValidationError");
        let e = call(
            &lb,
            "DescribeLoadBalancers",
            &[("LoadBalancerArns.member.1", "x")],
        )
        .unwrap_err();
        assert_eq!(
            (e.code, e.message.as_str()),
            ("ValidationError", "'x' is not a valid load balancer ARN")
        );
        assert_eq!(e.status, axum::http::StatusCode::BAD_REQUEST);
        let e = call(&lb, "ModifyListener", &[]).unwrap_err();
        assert_eq!(e.code, "InvalidAction");
    }
}
