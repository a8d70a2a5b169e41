//! ELBv2 (query protocol, XML answers): DescribeLoadBalancers, DescribeListeners,
//! DescribeTargetGroups, DescribeTargetHealth for the local "NLB".

use std::sync::Arc;

use serde_json::{json, Value};

use crate::elbv2::backend::TargetState;
use crate::names::{CONTAINER_PORT, TG_NAMES};
use crate::runtime::stack::Stack;
use crate::wire::error::{ApiError, Common, ErrorCode};
use crate::wire::query::{Form, QueryResult};

/// ELBv2 error codes this stack answers with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::IntoStaticStr)]
pub(crate) enum Error {
    LoadBalancerNotFound,
    ListenerNotFound,
    TargetGroupNotFound,
    ValidationError,
}
impl ErrorCode for Error {}

pub(crate) fn handle(stack: &Arc<Stack>, action: &str, form: &Form) -> QueryResult {
    match action {
        "DescribeLoadBalancers" => {
            let arns = form.list("LoadBalancerArns");
            let names = form.list("Names");
            let lb_arn = stack.names().lb_arn();
            if arns.iter().any(|a| *a != lb_arn) || names.iter().any(|n| n != "demo") {
                return Err(ApiError::new(
                    Error::LoadBalancerNotFound,
                    "One or more load balancers not found",
                ));
            }
            Ok(json!({"LoadBalancers": [load_balancer(stack)]}))
        }
        "DescribeListeners" => {
            let arns = form.list("ListenerArns");
            let lb = form.get("LoadBalancerArn");
            if arns.is_empty() && lb.is_none() {
                return Err(ApiError::new(
                    Error::ValidationError,
                    "You must specify either listener ARNs or a load balancer ARN",
                ));
            }
            if let Some(lb) = lb {
                if lb != stack.names().lb_arn() {
                    return Err(ApiError::new(
                        Error::LoadBalancerNotFound,
                        format!("Load balancer '{lb}' not found"),
                    ));
                }
            }
            let mut out = Vec::new();
            for a in &arns {
                if !stack.lb.listeners.iter().any(|l| l.arn == *a) {
                    return Err(ApiError::new(
                        Error::ListenerNotFound,
                        format!("One or more listeners not found: {a}"),
                    ));
                }
            }
            for l in &stack.lb.listeners {
                if arns.is_empty() || arns.contains(&l.arn) {
                    let tg_arn = stack.lb.tgs[l.target_group()].arn.clone();
                    out.push(json!({
                        "ListenerArn": l.arn,
                        "LoadBalancerArn": stack.names().lb_arn(),
                        "Port": l.port,
                        "Protocol": "TCP",
                        "DefaultActions": [{
                            "Type": "forward",
                            "TargetGroupArn": tg_arn,
                            "Order": 1,
                            "ForwardConfig": {"TargetGroups": [{"TargetGroupArn": tg_arn, "Weight": 1}]}
                        }]
                    }));
                }
            }
            Ok(json!({"Listeners": out}))
        }
        "DescribeTargetGroups" => {
            let arns = form.list("TargetGroupArns");
            let names = form.list("Names");
            let mut out = Vec::new();
            for (i, tg) in stack.lb.tgs.iter().enumerate() {
                let by_arn = arns.is_empty() || arns.contains(&tg.arn);
                let by_name = names.is_empty() || names.iter().any(|n| n == tg.name);
                if by_arn && by_name {
                    out.push(target_group(stack, i));
                }
            }
            let unknown = arns
                .iter()
                .find(|a| !stack.lb.tgs.iter().any(|t| t.arn == **a))
                .or_else(|| names.iter().find(|n| !TG_NAMES.contains(&n.as_str())));
            if let Some(u) = unknown {
                return Err(ApiError::new(
                    Error::TargetGroupNotFound,
                    format!("One or more target groups not found: {u}"),
                ));
            }
            Ok(json!({"TargetGroups": out}))
        }
        "DescribeTargetHealth" => {
            let arn = form.get("TargetGroupArn").ok_or_else(|| {
                ApiError::new(Error::ValidationError, "TargetGroupArn is required")
            })?;
            let idx = stack
                .lb
                .tgs
                .iter()
                .position(|t| t.arn == arn)
                .ok_or_else(|| {
                    ApiError::new(
                        Error::TargetGroupNotFound,
                        format!("Target groups '{arn}' not found"),
                    )
                })?;
            let in_use = stack.lb.listeners.iter().any(|l| l.target_group() == idx);
            let out: Vec<Value> = stack
                .lb
                .targets(idx)
                .iter()
                .map(|t| {
                    let mut health = json!({"State": t.state.as_str()});
                    if let Some(r) = t.reason {
                        health["Reason"] = json!(r);
                    }
                    if let Some(d) = &t.description {
                        health["Description"] = json!(d);
                    }
                    if !in_use && t.state != TargetState::Unhealthy {
                        health = json!({"State": "unused", "Reason": "Target.NotInUse",
                            "Description": "Target group is not configured to receive traffic from the load balancer"});
                    }
                    json!({
                        "Target": {"Id": t.addr.ip().to_string(), "Port": t.addr.port()},
                        "HealthCheckPort": t.addr.port().to_string(),
                        "TargetHealth": health
                    })
                })
                .collect();
            Ok(json!({"TargetHealthDescriptions": out}))
        }
        _ => Err(ApiError::new(
            Common::InvalidAction,
            format!("ELBv2 action {action:?} is not served by the local stack"),
        )),
    }
}

fn load_balancer(stack: &Stack) -> Value {
    let port = stack.lb.listener("prod").map(|l| l.port).unwrap_or(0);
    json!({
        "LoadBalancerArn": stack.names().lb_arn(),
        "DNSName": format!("127.0.0.1:{port}"),
        "LoadBalancerName": "demo",
        "Scheme": "internet-facing",
        "VpcId": "vpc-local",
        "State": {"Code": "active"},
        "Type": "network",
        "IpAddressType": "ipv4",
        "SecurityGroups": ["sg-local-nlb"]
    })
}

fn target_group(stack: &Stack, i: usize) -> Value {
    let tg = &stack.lb.tgs[i];
    let h = &stack.lb.health;
    let in_use = stack.lb.listeners.iter().any(|l| l.target_group() == i);
    json!({
        "TargetGroupArn": tg.arn,
        "TargetGroupName": tg.name,
        "Protocol": "TCP",
        "Port": CONTAINER_PORT,
        "VpcId": "vpc-local",
        "HealthCheckProtocol": "HTTP",
        "HealthCheckPort": "traffic-port",
        "HealthCheckEnabled": true,
        "HealthCheckIntervalSeconds": h.interval.as_secs().max(1),
        "HealthCheckTimeoutSeconds": h.timeout.as_secs().max(1),
        "HealthyThresholdCount": h.healthy_threshold,
        "UnhealthyThresholdCount": h.unhealthy_threshold,
        "HealthCheckPath": "/health",
        "Matcher": {"HttpCode": "200-399"},
        "LoadBalancerArns": if in_use { json!([stack.names().lb_arn()]) } else { json!([]) },
        "TargetType": "ip",
        "IpAddressType": "ipv4"
    })
}
