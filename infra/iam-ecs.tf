# Two roles for the tasks: the execution role (ECS agent: pull the image, write logs) and the
# task role (the app's own AWS access: none needed). Both trust only ECS tasks of this
# account, and only these two may be passed by CodePipeline and CodeDeploy.

data "aws_iam_policy_document" "ecs_tasks_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["ecs-tasks.amazonaws.com"]
    }
    # Confused-deputy guard recommended by the ECS documentation.
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
    condition {
      test     = "ArnLike"
      variable = "aws:SourceArn"
      values   = ["${local.arn_prefix}:ecs:${local.region}:${local.account_id}:*"]
    }
  }
}

resource "aws_iam_role" "execution" {
  name               = "${var.name}-ecs-execution"
  description        = "ECS agent for ${var.name} tasks: pull the image from ECR, write container logs"
  assume_role_policy = data.aws_iam_policy_document.ecs_tasks_assume.json
}

data "aws_iam_policy_document" "execution" {
  statement {
    sid = "PullTheServiceImage"
    actions = [
      "ecr:BatchCheckLayerAvailability",
      "ecr:BatchGetImage",
      "ecr:GetDownloadUrlForLayer",
    ]
    resources = [aws_ecr_repository.app.arn]
  }

  statement {
    # GetAuthorizationToken has no resource-level permissions: AWS requires "*".
    sid       = "LogInToECR"
    actions   = ["ecr:GetAuthorizationToken"]
    resources = ["*"]
  }

  statement {
    sid       = "WriteContainerLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.app.arn}:log-stream:*"]
  }
}

resource "aws_iam_role_policy" "execution" {
  name   = "pull-image-write-logs"
  role   = aws_iam_role.execution.id
  policy = data.aws_iam_policy_document.execution.json
}

# The application calls no AWS API (the task metadata endpoint needs no credentials), so the
# task role has no policy at all; it exists so that adding one later needs no new revision
# of taskdef.json's placeholders.
resource "aws_iam_role" "task" {
  name               = "${var.name}-ecs-task"
  description        = "Runtime identity of ${var.name} tasks (no AWS permissions needed)"
  assume_role_policy = data.aws_iam_policy_document.ecs_tasks_assume.json
}
