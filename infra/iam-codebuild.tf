data "aws_iam_policy_document" "codebuild_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["codebuild.amazonaws.com"]
    }
    # Both keys from CodeBuild's confused-deputy page, aws:SourceArn = the project's ARN
    # (https://docs.aws.amazon.com/codebuild/latest/userguide/cross-service-confused-deputy-prevention.html).
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
    condition {
      test     = "ArnLike"
      variable = "aws:SourceArn"
      values   = [local.codebuild_arn]
    }
  }
}

resource "aws_iam_role" "codebuild" {
  name               = "${var.name}-codebuild"
  description        = "CodeBuild project ${var.name}: build and push the image, write the deploy artifacts"
  assume_role_policy = data.aws_iam_policy_document.codebuild_assume.json
}

data "aws_iam_policy_document" "codebuild" {
  statement {
    sid     = "WriteBuildLogs"
    actions = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = [
      aws_cloudwatch_log_group.codebuild.arn,
      "${aws_cloudwatch_log_group.codebuild.arn}:log-stream:*",
    ]
  }

  statement {
    # GetAuthorizationToken has no resource-level permissions: AWS requires "*".
    sid       = "LogInToECR"
    actions   = ["ecr:GetAuthorizationToken"]
    resources = ["*"]
  }

  statement {
    sid = "PushAndPullTheImages"
    actions = [
      "ecr:BatchCheckLayerAvailability",
      "ecr:BatchGetImage",
      "ecr:CompleteLayerUpload",
      "ecr:DescribeImages",
      "ecr:GetDownloadUrlForLayer",
      "ecr:InitiateLayerUpload",
      "ecr:PutImage",
      "ecr:UploadLayerPart",
    ]
    resources = [aws_ecr_repository.app.arn, aws_ecr_repository.hook.arn]
  }

  statement {
    # buildspec.yml moves the validation hook to the commit's image before the Deploy stage
    # runs it: UpdateFunctionCode, then `aws lambda wait function-updated` (which polls
    # GetFunctionConfiguration until LastUpdateStatus is Successful:
    # https://docs.aws.amazon.com/cli/latest/reference/lambda/wait/function-updated.html).
    # On purpose only that function. No iam:PassRole: the update does not change the role.
    sid       = "UpdateTheValidationHook"
    actions   = ["lambda:GetFunctionConfiguration", "lambda:UpdateFunctionCode"]
    resources = [local.hook_function_arn]
  }

  statement {
    sid       = "ReadSourceWriteBuildOutput"
    actions   = ["s3:GetObject", "s3:GetObjectVersion", "s3:PutObject"]
    resources = ["${aws_s3_bucket.artifacts.arn}/*"]
  }

  statement {
    sid       = "LocateArtifactBucket"
    actions   = ["s3:GetBucketAcl", "s3:GetBucketLocation"]
    resources = [aws_s3_bucket.artifacts.arn]
  }

  statement {
    # On purpose: the S3 cache (codebuild.tf) lives under codebuild-cache/ in this bucket. Without
    # s3:ListBucket, S3 answers a GetObject of a missing key with 403 instead of 404 (S3 API
    # reference, GetObject, "Permissions": "If you don't have the s3:ListBucket permission,
    # Amazon S3 returns an HTTP status code 403"), so the first build, and every build after
    # the cache expired, logs an access-denied cache download: the build still runs,
    # uncached, but a missing cache and a real permission error look the same in the log.
    # Granted on the bucket without an s3:prefix condition: AWS documents that key for
    # ListObjects requests, not for the ListBucket check S3 makes inside a GetObject, so a
    # prefix condition could bring the 403 back (not testable offline). The role already
    # reads every object of this bucket (ReadSourceWriteBuildOutput), so listing the keys
    # reveals nothing more.
    sid       = "ListBuildCache"
    actions   = ["s3:ListBucket"]
    resources = [aws_s3_bucket.artifacts.arn]
  }

  statement {
    sid = "UseArtifactKey"
    actions = [
      "kms:Decrypt",
      "kms:DescribeKey",
      "kms:Encrypt",
      "kms:GenerateDataKey",
    ]
    resources = [aws_kms_key.artifacts.arn]
  }
}

resource "aws_iam_role_policy" "codebuild" {
  name   = "build-and-push"
  role   = aws_iam_role.codebuild.id
  policy = data.aws_iam_policy_document.codebuild.json
}
