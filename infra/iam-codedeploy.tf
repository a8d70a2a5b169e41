# What CodeDeploy does for an ECS blue/green deployment: create the green task set, move the
# NLB listeners, watch the alarms, delete the blue task set. The AWS managed policy
# AWSCodeDeployRoleForECS grants the same actions on every resource; this one is scoped.
# No S3 or KMS: for ECS the revision is the AppSpec itself, passed inline (AppSpecContent)
# by the CodeDeployToECS action and by the deployer, not read from the artifact bucket.

data "aws_iam_policy_document" "codedeploy_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["codedeploy.amazonaws.com"]
    }
    # Both keys from CodeDeploy's confused-deputy page: aws:SourceArn is the deployment
    # group's ARN for ECS deployments through a deployment group (not CloudFormation's hook)
    # (https://docs.aws.amazon.com/codedeploy/latest/userguide/security_confused_deputy.html).
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
    condition {
      test     = "ArnLike"
      variable = "aws:SourceArn"
      values   = [local.codedeploy_group]
    }
  }
}

resource "aws_iam_role" "codedeploy" {
  name               = "${var.name}-codedeploy"
  description        = "CodeDeploy blue/green of ECS service ${var.name}"
  assume_role_policy = data.aws_iam_policy_document.codedeploy_assume.json
}

data "aws_iam_policy_document" "codedeploy" {
  #checkov:skip=CKV_AWS_356:cloudwatch:DescribeAlarms must be granted on "*" (CloudWatch API reference; AWSCodeDeployRoleForECSLimited does the same): see the WatchRollbackAlarms statement. Every other statement names this stack's ARNs or has a condition.
  statement {
    sid       = "ReadAndSwitchTheService"
    actions   = ["ecs:DescribeServices", "ecs:UpdateServicePrimaryTaskSet"]
    resources = [local.service_arn]
  }

  statement {
    sid       = "DeleteOldTaskSets"
    actions   = ["ecs:DeleteTaskSet"]
    resources = [local.task_set_arns]
  }

  statement {
    # With ECS resource tagging authorization, a create call that carries tags also needs
    # TagResource; allowed only inside CreateTaskSet, only on this service's task sets.
    sid       = "TagGreenTaskSets"
    actions   = ["ecs:TagResource"]
    resources = [local.task_set_arns]
    condition {
      test     = "StringEquals"
      variable = "ecs:CreateAction"
      values   = ["CreateTaskSet"]
    }
  }

  statement {
    # CreateTaskSet has no resource type in IAM (the task set does not exist yet): "*" is
    # required, so the cluster condition key keeps it to this stack's cluster.
    sid       = "CreateGreenTaskSets"
    actions   = ["ecs:CreateTaskSet"]
    resources = ["*"]
    condition {
      test     = "ArnEquals"
      variable = "ecs:cluster"
      values   = [local.cluster_arn]
    }
  }

  statement {
    # Describe* calls of Elastic Load Balancing have no resource-level permissions. No
    # DescribeRules: NLB listeners have no rules (AWSCodeDeployRoleForECS grants it for ALBs).
    sid = "ReadLoadBalancerState"
    actions = [
      "elasticloadbalancing:DescribeListeners",
      "elasticloadbalancing:DescribeTargetGroups",
    ]
    resources = ["*"]
  }

  statement {
    # NLB listeners have no rules, so ModifyRule is not needed; only the listeners move.
    sid       = "MoveTheListeners"
    actions   = ["elasticloadbalancing:ModifyListener"]
    resources = local.listener_arns
  }

  statement {
    # "*" on purpose. The CloudWatch API reference for DescribeAlarms: "To use
    # this operation and return information about composite alarms, you must be signed on
    # with the cloudwatch:DescribeAlarms permission that is scoped to *"
    # (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_DescribeAlarms.html),
    # and AWS's own AWSCodeDeployRoleForECSLimited grants it on "*"
    # (https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AWSCodeDeployRoleForECSLimited.html).
    # CodeDeploy does not ignore alarm polling failures here, so a denied call would stop
    # every deployment. The action only reads alarm definitions and states.
    sid       = "WatchRollbackAlarms"
    actions   = ["cloudwatch:DescribeAlarms"]
    resources = ["*"]
  }

  statement {
    # The AfterAllowTestTraffic hook named in appspec.yaml (hook.tf): CodeDeploy invokes it
    # with this role. On purpose exactly that function; AWS's AWSCodeDeployRoleForECS grants the same
    # action on function:CodeDeployHook_* instead
    # (https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AWSCodeDeployRoleForECS.html).
    sid       = "InvokeTheValidationHook"
    actions   = ["lambda:InvokeFunction"]
    resources = [local.hook_function_arn]
  }

  statement {
    # The green task set runs the new revision with the stack's two ECS roles.
    sid       = "PassTheTaskRoles"
    actions   = ["iam:PassRole"]
    resources = [aws_iam_role.execution.arn, aws_iam_role.task.arn]
    condition {
      test     = "StringEquals"
      variable = "iam:PassedToService"
      values   = ["ecs-tasks.amazonaws.com"]
    }
  }
}

resource "aws_iam_role_policy" "codedeploy" {
  name   = "ecs-blue-green"
  role   = aws_iam_role.codedeploy.id
  policy = data.aws_iam_policy_document.codedeploy.json
}
