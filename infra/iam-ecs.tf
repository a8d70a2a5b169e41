# Two roles for the tasks: the execution role (ECS agent: pull the image, write logs) and the
# task role (the app's own AWS access: none needed). Both trust only ECS tasks, the task
# role only those of this account, and only these two may be passed by CodePipeline and
# CodeDeploy.

# The execution role: no condition on purpose. AWS's task execution role trust policy has
# none (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task_execution_IAM_role.html),
# and no AWS document says the ECS/Fargate agent sends aws:SourceArn or aws:SourceAccount
# when it assumes the role to pull the image; an absent key would deny, and no task could
# start. Only principals allowed to pass it (iam:PassRole: the pipeline and CodeDeploy
# roles, towards ecs-tasks only) can put it in a task definition.
data "aws_iam_policy_document" "ecs_execution_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["ecs-tasks.amazonaws.com"]
    }
  }
}

# The task role: the trust policy of ECS's task role page, with both keys
# (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-iam-roles.html).
data "aws_iam_policy_document" "ecs_tasks_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["ecs-tasks.amazonaws.com"]
    }
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
  assume_role_policy = data.aws_iam_policy_document.ecs_execution_assume.json
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
