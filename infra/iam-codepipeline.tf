data "aws_iam_policy_document" "codepipeline_assume" {
  statement {
    # No condition on purpose. AWS's CodePipeline service-role trust policy has none
    # (https://docs.aws.amazon.com/codepipeline/latest/userguide/pipelines-create-service-role-cli.html),
    # and no AWS document says CodePipeline sends aws:SourceArn or aws:SourceAccount when it
    # assumes the role: a condition on a key that is absent denies, and CreatePipeline would
    # fail with "not authorized to perform AssumeRole". The confused-deputy risk is bounded
    # by iam:PassRole instead: only a principal of this account allowed to pass this role
    # can name it in a pipeline (IAM does not let a role be passed across accounts).
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["codepipeline.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "codepipeline" {
  name               = "${var.name}-codepipeline"
  description        = "CodePipeline ${var.name}: GitHub source, CodeBuild, CodeDeploy blue/green"
  assume_role_policy = data.aws_iam_policy_document.codepipeline_assume.json
}

data "aws_iam_policy_document" "codepipeline" {
  statement {
    # Connections created since 2024 use the codeconnections prefix, older ones
    # codestar-connections; IAM checks the prefix of the connection's ARN, so allow both.
    sid = "UseTheGitHubConnection"
    actions = [
      "codeconnections:UseConnection",
      "codestar-connections:UseConnection",
    ]
    resources = [aws_codeconnections_connection.github.arn]
  }

  statement {
    # No s3:PutObjectAcl: the bucket's ACLs are disabled (BucketOwnerEnforced, s3.tf).
    sid       = "ReadAndWriteArtifacts"
    actions   = ["s3:GetObject", "s3:GetObjectVersion", "s3:PutObject"]
    resources = ["${aws_s3_bucket.artifacts.arn}/*"]
  }

  statement {
    sid       = "LocateArtifactBucket"
    actions   = ["s3:GetBucketLocation", "s3:GetBucketVersioning", "s3:ListBucket"]
    resources = [aws_s3_bucket.artifacts.arn]
  }

  statement {
    # No kms:ReEncrypt* or GenerateDataKeyWithoutPlaintext: the pipeline only encrypts new
    # artifacts (GenerateDataKey) and reads them (Decrypt).
    sid = "UseArtifactKey"
    actions = [
      "kms:Decrypt",
      "kms:DescribeKey",
      "kms:Encrypt",
      "kms:GenerateDataKey",
    ]
    resources = [aws_kms_key.artifacts.arn]
  }

  statement {
    sid       = "RunTheBuild"
    actions   = ["codebuild:BatchGetBuilds", "codebuild:StartBuild"]
    resources = [aws_codebuild_project.app.arn]
  }

  statement {
    sid = "StartBlueGreenDeployments"
    actions = [
      "codedeploy:CreateDeployment",
      "codedeploy:GetDeployment",
    ]
    resources = [aws_codedeploy_deployment_group.app.arn]
  }

  statement {
    sid = "RegisterAppSpecRevisions"
    actions = [
      "codedeploy:GetApplication",
      "codedeploy:GetApplicationRevision",
      "codedeploy:RegisterApplicationRevision",
    ]
    resources = [aws_codedeploy_app.app.arn]
  }

  statement {
    sid       = "ReadDeploymentConfig"
    actions   = ["codedeploy:GetDeploymentConfig"]
    resources = [local.codedeploy_config]
  }

  statement {
    # CodeDeployToECS registers taskdef.json (with the image from imageDetail.json) as a new
    # revision of this family before it starts the deployment.
    # "*" on purpose: the revision does not exist when the call is authorized, and
    # which ARN IAM evaluates for it is not settled by AWS's documents. The Service
    # Authorization Reference lists task-definition/<family>:<revision> as its resource;
    # AWS CDK's CodeDeployEcsDeployAction, which drives this same CodeDeployToECS action,
    # grants it on "*" (aws/aws-cdk, packages/aws-cdk-lib/aws-codepipeline-actions/lib/
    # codedeploy/ecs-deploy-action.ts, "Allow action to register the task definition
    # template file with ECS"); the open ECS roadmap item aws/containers-roadmap#929 asks for
    # resource-level permissions on task definition actions; users report denials
    # evaluated "on resource: *" and managed policies scoped as task-definition/<family>*
    # (not checked offline). A denial fails every Deploy stage, and the former
    # task-definition/demo:* matches neither "*" nor task-definition/demo. What a registered
    # revision can do is bounded by PassTheTaskRoles below (only this stack's two ECS roles,
    # only to ecs-tasks), and it runs only where CodeDeploy (scoped to this service) puts it.
    # The first run's CloudTrail RegisterTaskDefinition event shows the evaluated resource
    # (infra/README.md, what to look at on the first real deploy).
    # No ecs:DescribeTaskDefinition beside it: the action registers the template and never
    # reads a revision back (CDK's action above grants RegisterTaskDefinition and PassRole
    # only, and the deployer's own reads use the caller's credentials, not this role).
    sid       = "RegisterTaskDefinitionRevisions"
    actions   = ["ecs:RegisterTaskDefinition"]
    resources = ["*"]
  }

  statement {
    # Only for tags set in the same RegisterTaskDefinition call (tags in taskdef.json).
    sid       = "TagNewRevisions"
    actions   = ["ecs:TagResource"]
    resources = [local.task_family_arns]
    condition {
      test     = "StringEquals"
      variable = "ecs:CreateAction"
      values   = ["RegisterTaskDefinition"]
    }
  }

  statement {
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

resource "aws_iam_role_policy" "codepipeline" {
  name   = "source-build-deploy"
  role   = aws_iam_role.codepipeline.id
  policy = data.aws_iam_policy_document.codepipeline.json
}
