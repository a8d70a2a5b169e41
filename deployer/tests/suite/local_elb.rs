//! The local ELBv2 and IAM as the real AWS CLI sees them: the read calls a user types first
//! are served with AWS's shapes, paging follows `NextMarker`, and what AWS refuses is
//! refused with AWS's codes and messages (an invalid ARN, names and ARNs together, a page
//! size over 400, a target that cannot be in the group, a role that does not exist or a
//! role name IAM would not accept).

use std::process::Output;

use crate::support::LocalStack;

fn aws(stack: &LocalStack, args: &[&str]) -> Output {
    stack
        .command("aws")
        .args(args)
        .args(["--output", "json"])
        .output()
        .expect("run the AWS CLI (`aws`, from the machine image or `pip install awscli`)")
}

/// A call that must be refused by the endpoint with `code`; its message.
fn refused(stack: &LocalStack, args: &[&str], code: &str) -> String {
    let out = aws(stack, args);
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(!out.status.success(), "aws {args:?} succeeded: {err}");
    let marker = format!("An error occurred ({code})");
    assert!(err.contains(&marker), "aws {args:?}: not {code}: {err}");
    err
}

#[test]
fn aws_cli_elbv2_and_iam_reads_are_served_and_refusals_are_aws_errors() {
    let stack = LocalStack::start();

    // --- the load balancer, its listeners and target groups
    let lbs = stack.aws_json(&["elbv2", "describe-load-balancers"]);
    assert_eq!(lbs["LoadBalancers"][0]["LoadBalancerName"], "demo", "{lbs}");
    let lb = lbs["LoadBalancers"][0]["LoadBalancerArn"]
        .as_str()
        .unwrap()
        .to_string();
    let by_name = stack.aws_json(&["elbv2", "describe-load-balancers", "--names", "demo"]);
    assert_eq!(by_name["LoadBalancers"][0]["LoadBalancerArn"], lb);
    let listeners = stack.aws_json(&["elbv2", "describe-listeners", "--load-balancer-arn", &lb]);
    let listener = listeners["Listeners"][0]["ListenerArn"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(listeners["Listeners"].as_array().unwrap().len(), 2);
    let groups = stack.aws_json(&[
        "elbv2",
        "describe-target-groups",
        "--names",
        "demo-blue",
        "demo-green",
    ]);
    let blue = groups["TargetGroups"][0]["TargetGroupArn"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(blue.contains(":targetgroup/demo-blue/"), "{groups}");
    // The groups of the load balancer: the one its listeners forward to.
    let of_lb = stack.aws_json(&[
        "elbv2",
        "describe-target-groups",
        "--load-balancer-arn",
        &lb,
    ]);
    assert_eq!(of_lb["TargetGroups"].as_array().unwrap().len(), 1);
    assert_eq!(of_lb["TargetGroups"][0]["TargetGroupArn"], blue.as_str());
    // One group a page: a NextMarker, and the next page from it (with `--page-size`
    // the AWS CLI v1 prints one page and its NextMarker rather than following it).
    let first = stack.aws_json(&["elbv2", "describe-target-groups", "--page-size", "1"]);
    assert_eq!(
        first["TargetGroups"].as_array().unwrap().len(),
        1,
        "{first}"
    );
    let marker = first["NextMarker"]
        .as_str()
        .expect("a NextMarker")
        .to_string();
    let second = stack.aws_json(&[
        "elbv2",
        "describe-target-groups",
        "--page-size",
        "1",
        "--marker",
        &marker,
    ]);
    assert_eq!(
        second["TargetGroups"].as_array().unwrap().len(),
        1,
        "{second}"
    );
    assert_ne!(
        second["TargetGroups"][0]["TargetGroupArn"],
        first["TargetGroups"][0]["TargetGroupArn"]
    );
    assert!(
        second.get("NextMarker").is_none(),
        "the last page: {second}"
    );

    // --- target health: the registered targets, and one that is not registered
    let health = stack.aws_json(&[
        "elbv2",
        "describe-target-health",
        "--target-group-arn",
        &blue,
    ]);
    let descriptions = health["TargetHealthDescriptions"].as_array().unwrap();
    assert!(!descriptions.is_empty(), "the initial tasks: {health}");
    assert_eq!(descriptions[0]["Target"]["Id"], "127.0.0.1");
    let not_registered = stack.aws_json(&[
        "elbv2",
        "describe-target-health",
        "--target-group-arn",
        &blue,
        "--targets",
        "Id=127.0.0.1,Port=1",
    ]);
    assert_eq!(
        not_registered["TargetHealthDescriptions"][0]["TargetHealth"]["Reason"],
        "Target.NotRegistered",
        "{not_registered}"
    );

    // --- tags, attributes, rules
    let tags = stack.aws_json(&["elbv2", "describe-tags", "--resource-arns", &lb, &blue]);
    assert_eq!(
        tags["TagDescriptions"][1]["Tags"][1]["Value"], "blue",
        "{tags}"
    );
    let attrs = stack.aws_json(&[
        "elbv2",
        "describe-target-group-attributes",
        "--target-group-arn",
        &blue,
    ]);
    assert!(attrs["Attributes"]
        .as_array()
        .unwrap()
        .iter()
        .any(|a| a["Key"] == "deregistration_delay.timeout_seconds"));
    stack.aws_json(&[
        "elbv2",
        "describe-load-balancer-attributes",
        "--load-balancer-arn",
        &lb,
    ]);
    let idle = stack.aws_json(&[
        "elbv2",
        "describe-listener-attributes",
        "--listener-arn",
        &listener,
    ]);
    assert_eq!(idle["Attributes"][0]["Key"], "tcp.idle_timeout.seconds");
    let rules = stack.aws_json(&["elbv2", "describe-rules", "--listener-arn", &listener]);
    assert_eq!(rules["Rules"][0]["IsDefault"], true);

    // --- refusals, with AWS's codes and messages
    let err = refused(
        &stack,
        &[
            "elbv2",
            "describe-load-balancers",
            "--load-balancer-arns",
            "demo",
        ],
        "ValidationError",
    );
    assert!(
        err.contains("'demo' is not a valid load balancer ARN"),
        "{err}"
    );
    let other_region = lb.replace(&format!(":{}:", stack.region), ":ap-south-2:");
    let err = refused(
        &stack,
        &[
            "elbv2",
            "describe-listeners",
            "--load-balancer-arn",
            &other_region,
        ],
        "ValidationError",
    );
    assert!(err.contains("is not a valid load balancer ARN"), "{err}");
    let err = refused(
        &stack,
        &[
            "elbv2",
            "describe-load-balancers",
            "--load-balancer-arns",
            &lb,
            "--names",
            "demo",
        ],
        "ValidationError",
    );
    assert!(
        err.contains("cannot be specified at the same time"),
        "{err}"
    );
    let err = refused(
        &stack,
        &["elbv2", "describe-load-balancers", "--page-size", "401"],
        "ValidationError",
    );
    assert!(
        err.contains("Value '401' at 'pageSize' failed to satisfy constraint"),
        "{err}"
    );
    let err = refused(
        &stack,
        &["elbv2", "describe-target-groups", "--names", "demo-red"],
        "TargetGroupNotFound",
    );
    assert!(err.contains("One or more target groups not found"), "{err}");
    refused(
        &stack,
        &[
            "elbv2",
            "describe-target-health",
            "--target-group-arn",
            &blue,
            "--targets",
            "Id=10.0.0.1",
        ],
        "InvalidTarget",
    );
    refused(
        &stack,
        &[
            "elbv2",
            "describe-target-health",
            "--target-group-arn",
            &blue.replace("demo-blue", "demo-red"),
        ],
        "TargetGroupNotFound",
    );

    // --- IAM
    let role = stack.aws_json(&["iam", "get-role", "--role-name", "demo-ecs-task-execution"]);
    assert!(role["Role"]["Arn"]
        .as_str()
        .is_some_and(|a| a.ends_with(":role/demo-ecs-task-execution")));
    assert_eq!(
        role["Role"]["AssumeRolePolicyDocument"]["Statement"][0]["Principal"]["Service"],
        "ecs-tasks.amazonaws.com",
        "the CLI decodes the URL-encoded policy: {role}"
    );
    let roles = stack.aws_json(&["iam", "list-roles"]);
    assert_eq!(roles["Roles"].as_array().unwrap().len(), 2, "{roles}");
    let err = refused(
        &stack,
        &["iam", "get-role", "--role-name", "demo-nope"],
        "NoSuchEntity",
    );
    assert!(
        err.contains("The role with name demo-nope cannot be found."),
        "{err}"
    );
    let err = refused(
        &stack,
        &["iam", "get-role", "--role-name", "demo/role"],
        "ValidationError",
    );
    assert!(
        err.contains(
            "1 validation error detected: Value 'demo/role' at 'roleName' failed to satisfy \
             constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]+"
        ),
        "{err}"
    );
}
