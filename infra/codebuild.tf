resource "aws_cloudwatch_log_group" "codebuild" {
  name              = "/codebuild/${var.name}"
  retention_in_days = var.log_retention_days
  kms_key_id        = aws_kms_key.logs.arn
  #checkov:skip=CKV_AWS_338:Retention is var.log_retention_days (30 days by default for a demo; the variable accepts 365 and more for audit needs).
}

resource "aws_codebuild_project" "app" {
  name           = var.name
  description    = "Build and push the ${var.name} image; emit imageDetail.json, taskdef.json, appspec.yaml"
  service_role   = aws_iam_role.codebuild.arn
  build_timeout  = var.build_timeout_minutes
  queued_timeout = 60
  encryption_key = aws_kms_key.artifacts.arn

  source {
    type      = "CODEPIPELINE"
    buildspec = "buildspec.yml"
  }

  artifacts {
    type = "CODEPIPELINE"
  }

  environment {
    type         = "LINUX_CONTAINER"
    compute_type = var.codebuild_compute_type
    image        = var.codebuild_image
    # Docker-in-Docker needs a privileged build container (image builds only; the build
    # runs no untrusted code beyond the repository's own).
    #checkov:skip=CKV_AWS_316:AWS requires privileged mode for docker build in CodeBuild's managed images; the build runs only this repository's own code.
    privileged_mode             = true
    image_pull_credentials_type = "CODEBUILD"

    # The buildspec's inputs (docs/CONTRACTS.md); AWS_REGION and
    # CODEBUILD_RESOLVED_SOURCE_VERSION come from CodeBuild itself.
    environment_variable {
      name  = "ECR_REPOSITORY_URL"
      value = aws_ecr_repository.app.repository_url
    }
    environment_variable {
      name  = "EXECUTION_ROLE_ARN"
      value = aws_iam_role.execution.arn
    }
    environment_variable {
      name  = "TASK_ROLE_ARN"
      value = aws_iam_role.task.arn
    }
    environment_variable {
      name  = "LOG_GROUP"
      value = aws_cloudwatch_log_group.app.name
    }
  }

  # buildspec.yml exports the BuildKit cache to a directory listed in its cache.paths;
  # CodeBuild keeps it in the artifact bucket (same key, same expiry) between builds, so a
  # build on a fresh host still reuses the compiled dependencies.
  cache {
    type     = "S3"
    location = "${aws_s3_bucket.artifacts.bucket}/codebuild-cache"
  }

  logs_config {
    cloudwatch_logs {
      group_name = aws_cloudwatch_log_group.codebuild.name
      status     = "ENABLED"
    }
    s3_logs {
      status = "DISABLED"
    }
  }

  depends_on = [aws_iam_role_policy.codebuild]
}
