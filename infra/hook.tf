# The validation hook (crate hook/, binary `bootstrap`): the Lambda function CodeDeploy runs at
# AfterAllowTestTraffic, named in appspec.yaml. It sends requests to every green task and to
# the healthy blue ones on their private IPs (port 3000) and reports Succeeded or Failed with
# PutLifecycleEventHookExecutionStatus; CodeDeploy rolls back on Failed. CodeDeploy fails
# every deployment whose hook function does not exist, so the function's name is read from
# appspec.yaml (one source of truth) and the apply fails when the appspec names none.
#
# Packaging: a container image (Dockerfile stage `hook`, FROM scratch with the static
# `bootstrap` as ENTRYPOINT) in its own ECR repository, built by the same `docker buildx` the
# service image needs (infra/README.md, first deploy; buildspec.yml afterwards). See
# infra/README.md, "The validation hook", for why an image rather than a zip.

locals {
  appspec = yamldecode(file("${path.module}/../appspec.yaml"))
  # Hooks is a list of one-entry maps: [{AfterAllowTestTraffic = "demo-validate"}].
  hook_functions     = [for h in try(local.appspec.Hooks, []) : h["AfterAllowTestTraffic"] if can(h["AfterAllowTestTraffic"])]
  hook_function_name = try(local.hook_functions[0], "")
  hook_function_arn  = "${local.arn_prefix}:lambda:${local.region}:${local.account_id}:function:${local.hook_function_name}"
  hook_log_group     = "/aws/lambda/${local.hook_function_name}"
  hook_image_uri     = "${aws_ecr_repository.hook.repository_url}:${var.initial_image_tag}"
}

# ---------------------------------------------------------------- image repository

resource "aws_ecr_repository" "hook" {
  name                 = "${var.name}-validate"
  image_tag_mutability = "IMMUTABLE"
  force_delete         = var.force_destroy

  image_scanning_configuration {
    scan_on_push = true
  }

  #checkov:skip=CKV_AWS_136:Encrypted at rest with AES256, as the service's repository (ecr.tf): a customer managed key would need grants for Lambda's pulls too.
  encryption_configuration {
    encryption_type = "AES256"
  }
}

# Lambda pulls a same-account image with the Lambda service principal, which the repository
# policy must allow: ecr:BatchGetImage and ecr:GetDownloadUrlForLayer (AWS Knowledge Center,
# "Lambda does not have permission to access the ECR image":
# https://repost.aws/knowledge-center/lambda-ecr-image). Only this account's functions.
data "aws_iam_policy_document" "hook_repository" {
  statement {
    sid = "LambdaPullsTheHookImage"
    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
    actions = ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

resource "aws_ecr_repository_policy" "hook" {
  repository = aws_ecr_repository.hook.name
  policy     = data.aws_iam_policy_document.hook_repository.json
}

# The function's first image (`initial`) must stay: Terraform names it when it recreates the
# function. Same rules as the service's repository (ecr.tf).
resource "aws_ecr_lifecycle_policy" "hook" {
  repository = aws_ecr_repository.hook.name
  policy = jsonencode({
    rules = [
      {
        rulePriority = 1
        description  = "Keep the function's first image (${var.initial_image_tag})"
        selection = {
          tagStatus      = "tagged"
          tagPatternList = [var.initial_image_tag]
          countType      = "imageCountMoreThan"
          countNumber    = 1
        }
        action = { type = "expire" }
      },
      {
        rulePriority = 2
        description  = "Untagged layers of interrupted pushes and superseded manifests"
        selection = {
          tagStatus   = "untagged"
          countType   = "sinceImagePushed"
          countUnit   = "days"
          countNumber = 1
        }
        action = { type = "expire" }
      },
      {
        rulePriority = 3
        description  = "Keep the newest ${var.ecr_keep_images} images"
        selection = {
          tagStatus   = "any"
          countType   = "imageCountMoreThan"
          countNumber = var.ecr_keep_images
        }
        action = { type = "expire" }
      },
    ]
  })
}

# ---------------------------------------------------------------- network

# The function's own group: out to the tasks' port and to HTTPS (the CodeDeploy and ELBv2
# APIs, through the VPC endpoints below or the NAT gateway); the tasks' group admits it on
# the container port (below), so the hook reaches green before any listener sends it traffic.
resource "aws_security_group" "hook" {
  name        = "${var.name}-validate"
  description = "Validation hook function: to the tasks' port and HTTPS to AWS APIs"
  vpc_id      = aws_vpc.main.id
  tags        = { Name = "${var.name}-validate" }
}

resource "aws_vpc_security_group_egress_rule" "hook_to_tasks" {
  security_group_id            = aws_security_group.hook.id
  description                  = "Requests to every task on the container port"
  referenced_security_group_id = aws_security_group.tasks.id
  ip_protocol                  = "tcp"
  from_port                    = local.container_port
  to_port                      = local.container_port
}

# HTTPS to the CodeDeploy and ELBv2 API endpoints, whose addresses are not fixed (interface
# endpoints' or, through the NAT gateway, public ones). DNS goes to the VPC resolver.
resource "aws_vpc_security_group_egress_rule" "hook_https" {
  security_group_id = aws_security_group.hook.id
  description       = "HTTPS to AWS APIs (CodeDeploy, ELBv2)"
  cidr_ipv4         = "0.0.0.0/0"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
}

resource "aws_vpc_security_group_ingress_rule" "tasks_from_hook" {
  security_group_id            = aws_security_group.tasks.id
  description                  = "Container port from the validation hook function"
  referenced_security_group_id = aws_security_group.hook.id
  ip_protocol                  = "tcp"
  from_port                    = local.container_port
  to_port                      = local.container_port
}

# ---------------------------------------------------------------- logs

# Lambda writes to /aws/lambda/<function>; created here so it has a retention and the logs
# key (kms.tf names it), instead of the never-expiring group Lambda would create.
resource "aws_cloudwatch_log_group" "hook" {
  name              = local.hook_log_group
  retention_in_days = var.log_retention_days
  kms_key_id        = aws_kms_key.logs.arn
  #checkov:skip=CKV_AWS_338:Retention is var.log_retention_days (30 days by default for a demo; the variable accepts 365 and more for audit needs).
}

# ---------------------------------------------------------------- role

data "aws_iam_policy_document" "hook_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
    # No condition: Lambda's execution role page shows a trust policy without one
    # (https://docs.aws.amazon.com/lambda/latest/dg/lambda-intro-execution-role.html); the
    # role is bounded by iam:PassRole (only principals allowed to pass it can attach it).
  }
}

resource "aws_iam_role" "hook" {
  name               = "${var.name}-validate"
  description        = "Validation hook function ${local.hook_function_name}: read the deployment, probe the tasks, report the hook status"
  assume_role_policy = data.aws_iam_policy_document.hook_assume.json
}

data "aws_iam_policy_document" "hook" {
  #checkov:skip=CKV_AWS_111:The ENI actions a VPC function needs are granted on "*" on purpose (ManageFunctionNetworkInterfaces: Lambda creates the interfaces, their IDs are not known in advance); every other write names this stack's deployment group or log group.
  #checkov:skip=CKV_AWS_356:"*" only where AWS has no resource-level permission (ELBv2 Describe*, ec2:Describe*) or for the function's ENIs (see ManageFunctionNetworkInterfaces).
  statement {
    # The hook finds green and blue from the deployment itself (ListDeploymentTargets,
    # GetDeploymentTarget: the task sets and their target groups) and reports its verdict.
    # On purpose scoped to this deployment group, not "*" (which parliament's copy of the IAM
    # reference would accept: it lists no resource type for these three), as AWS CDK's LambdaDeploymentGroup does for the status
    # ("Grant a principal permission to codedeploy:PutLifecycleEventHookExecutionStatus on
    # this deployment group resource", aws-cdk-lib/aws-codedeploy/lib/lambda/deployment-group.ts)
    # and as CodeDeploy's permissions reference lists the deployment group ARN
    # (https://docs.aws.amazon.com/codedeploy/latest/userguide/auth-and-access-control-permissions-reference.html).
    sid = "ReadTheDeploymentReportTheHook"
    actions = [
      "codedeploy:GetDeploymentTarget",
      "codedeploy:ListDeploymentTargets",
      "codedeploy:PutLifecycleEventHookExecutionStatus",
    ]
    resources = [local.codedeploy_group]
  }

  statement {
    # On purpose "*": DescribeTargetGroups and DescribeTargetHealth have no resource-level permissions: the
    # Service Authorization Reference lists no resource type for them, so AWS requires "*"
    # (https://docs.aws.amazon.com/service-authorization/latest/reference/list_awselasticloadbalancingv2.html).
    sid = "FindEachSidesTasks"
    actions = [
      "elasticloadbalancing:DescribeTargetGroups",
      "elasticloadbalancing:DescribeTargetHealth",
    ]
    resources = ["*"]
  }

  statement {
    # On purpose its own log group only (hook.tf's, with retention and the logs key), and no
    # logs:CreateLogGroup: Lambda writes to /aws/lambda/<function> with these two actions
    # (https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs.html).
    sid     = "WriteOwnLogs"
    actions = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = [
      aws_cloudwatch_log_group.hook.arn,
      "${aws_cloudwatch_log_group.hook.arn}:log-stream:*",
    ]
  }

  statement {
    # On purpose "*": Describe calls of EC2 have no resource-level permissions; Lambda's VPC
    # page: DescribeNetworkInterfaces "only works if it's allowed on all resources"
    # (https://docs.aws.amazon.com/lambda/latest/dg/configuration-vpc.html).
    sid       = "DescribeFunctionNetwork"
    actions   = ["ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets"]
    resources = ["*"]
  }

  statement {
    # On purpose on "*": Lambda creates and deletes the function's (Hyperplane) network
    # interfaces with this role, and their IDs are not known in advance. Lambda's VPC page
    # (https://docs.aws.amazon.com/lambda/latest/dg/configuration-vpc.html): without a
    # resource ID for DeleteNetworkInterface "your function may not be able to access the
    # VPC"; AWS's AWSLambdaVPCAccessExecutionRole grants these on "*"
    # (https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AWSLambdaVPCAccessExecutionRole.html).
    # A denied ENI action leaves the function unable to start, which fails every deployment.
    sid = "ManageFunctionNetworkInterfaces"
    actions = [
      "ec2:AssignPrivateIpAddresses",
      "ec2:CreateNetworkInterface",
      "ec2:DeleteNetworkInterface",
      "ec2:UnassignPrivateIpAddresses",
    ]
    resources = ["*"]
  }
}

resource "aws_iam_role_policy" "hook" {
  name   = "validate-release"
  role   = aws_iam_role.hook.id
  policy = data.aws_iam_policy_document.hook.json
}

# ---------------------------------------------------------------- function

resource "aws_lambda_function" "hook" {
  #checkov:skip=CKV_AWS_115:No reserved concurrency: CodeDeploy runs one deployment per group at a time, and a reservation fails on accounts whose concurrency quota is at the minimum (10) Lambda keeps unreserved.
  #checkov:skip=CKV_AWS_116:No dead-letter queue: CodeDeploy waits for the status the function reports and fails the hook at its timeout when none comes; a queued event would be a deployment that already rolled back.
  #checkov:skip=CKV_AWS_173:The environment holds only the hook's thresholds (HOOK_*), nothing secret; Lambda encrypts it at rest with its own key.
  #checkov:skip=CKV_AWS_272:Code signing applies to .zip packages only; Lambda does not support it for container images, which ECR scans on push instead.
  #checkov:skip=CKV_AWS_50:No X-Ray: the function's report (both sides' figures) is in its log; tracing would need the X-Ray endpoint too.
  function_name = local.hook_function_name
  description   = "CodeDeploy AfterAllowTestTraffic hook of ${var.name}: checks green against blue before production traffic moves"
  role          = aws_iam_role.hook.arn
  package_type  = "Image"
  image_uri     = local.hook_image_uri
  architectures = ["x86_64"]
  memory_size   = 256
  # Requests to every task of both sides, each bounded by HOOK_REQUEST_TIMEOUT_MS.
  timeout = var.hook_timeout_seconds

  vpc_config {
    # Private subnets always: a function's interfaces never get a public IP, so public
    # subnets would give it no way out; from here it reaches the tasks (both kinds of
    # subnet, same VPC) and the APIs through the NAT gateway or the endpoints (vpc.tf).
    subnet_ids         = aws_subnet.private[*].id
    security_group_ids = [aws_security_group.hook.id]
  }

  environment {
    variables = {
      HOOK_REQUESTS_PER_TASK  = tostring(var.hook_requests_per_task)
      HOOK_REQUEST_TIMEOUT_MS = tostring(var.hook_request_timeout_ms)
      HOOK_PATH               = "/"
      HOOK_MAX_P99_RATIO      = tostring(var.hook_max_p99_ratio)
      HOOK_P99_FLOOR_MS       = tostring(var.hook_p99_floor_ms)
    }
  }

  logging_config {
    log_format = "Text"
    log_group  = aws_cloudwatch_log_group.hook.name
  }

  # The pipeline moves the function to each commit's image (buildspec.yml:
  # update-function-code); re-applying must not move it back to `initial`.
  lifecycle {
    ignore_changes = [image_uri]

    precondition {
      condition     = length(local.hook_functions) == 1 && can(regex("^[A-Za-z0-9_-]{1,64}$", local.hook_function_name))
      error_message = "appspec.yaml must name exactly one function (by name) for AfterAllowTestTraffic under Hooks; found ${jsonencode(local.hook_functions)}."
    }
  }

  depends_on = [aws_iam_role_policy.hook, aws_cloudwatch_log_group.hook, aws_ecr_repository_policy.hook]
}

# A warning at plan and apply time when the function's first image is not pushed yet
# (infra/README.md, first deploy).
check "hook_image_pushed" {
  data "aws_ecr_image" "hook_initial" {
    repository_name = aws_ecr_repository.hook.name
    image_tag       = var.initial_image_tag
  }

  assert {
    condition     = data.aws_ecr_image.hook_initial.image_digest != ""
    error_message = "Image ${local.hook_image_uri} is not in ECR yet: push it (infra/README.md, first deploy) or Lambda cannot create the function."
  }
}
