locals {
  # Administration only: no Encrypt/Decrypt/GenerateDataKey/CreateGrant for admins.
  kms_admin_actions = [
    "kms:CancelKeyDeletion",
    "kms:CreateAlias",
    "kms:DeleteAlias",
    "kms:DescribeKey",
    "kms:DisableKey",
    "kms:DisableKeyRotation",
    "kms:EnableKey",
    "kms:EnableKeyRotation",
    "kms:GetKeyPolicy",
    "kms:GetKeyRotationStatus",
    "kms:ListGrants",
    "kms:ListKeyPolicies",
    "kms:ListKeyRotations",
    "kms:ListResourceTags",
    "kms:PutKeyPolicy",
    "kms:RevokeGrant",
    "kms:RotateKeyOnDemand",
    "kms:ScheduleKeyDeletion",
    "kms:TagResource",
    "kms:UntagResource",
    "kms:UpdateAlias",
    "kms:UpdateKeyDescription",
  ]
}

# The customer managed key of the pipeline's artifacts (S3 bucket, CodeBuild output).
# Only the pipeline roles may use it for data; the account (that is, IAM principals the
# account's own policies allow) may administer it but not decrypt with it.

resource "aws_kms_key" "artifacts" {
  description             = "${var.name}: CodePipeline artifacts and CodeBuild output"
  enable_key_rotation     = true
  rotation_period_in_days = 365
  deletion_window_in_days = 7
  policy                  = data.aws_iam_policy_document.artifacts_key.json
}

resource "aws_kms_alias" "artifacts" {
  name          = "alias/${var.name}-artifacts"
  target_key_id = aws_kms_key.artifacts.key_id
}

data "aws_iam_policy_document" "artifacts_key" {
  #checkov:skip=CKV_AWS_111:Key policy: "Resource": "*" means this key only, and the write actions go to the account root (delegation to IAM) or to named principals.
  #checkov:skip=CKV_AWS_356:Key policy: "*" is the only resource a key policy can name (the key itself).
  #checkov:skip=CKV_AWS_109:Key policy: PutKeyPolicy etc. for the account root is what keeps the key manageable (AWS refuses policies that lock the account out).
  # In a key policy "Resource": "*" means this key and nothing else.
  statement {
    sid = "AccountAdministersTheKey"
    principals {
      type        = "AWS"
      identifiers = ["${local.arn_prefix}:iam::${local.account_id}:root"]
    }
    actions   = local.kms_admin_actions
    resources = ["*"]
  }

  statement {
    sid = "PipelineRolesUseTheKey"
    principals {
      type        = "AWS"
      identifiers = [aws_iam_role.codepipeline.arn, aws_iam_role.codebuild.arn]
    }
    # What S3 (SSE-KMS on their behalf) and CodeBuild need to write and read artifacts;
    # no ReEncrypt* (nothing re-encrypts under another key) and no
    # GenerateDataKeyWithoutPlaintext (nothing stores a data key for later).
    actions = [
      "kms:Decrypt",
      "kms:DescribeKey",
      "kms:Encrypt",
      "kms:GenerateDataKey",
    ]
    resources = ["*"]
  }
}

# ---------------------------------------------------------------- logs key
# CloudWatch Logs encrypts the stack's log groups with this key. Only the Logs service may
# use it, and only for these log groups (the encryption context names the group); the
# service does the cryptography, so the tasks and CodeBuild need no KMS permission.

locals {
  log_group_names = compact([
    "/ecs/${var.name}",
    "/codebuild/${var.name}",
    var.enable_flow_logs ? "/vpc/${var.name}/flow-logs" : "",
    local.hook_log_group,
  ])
}

resource "aws_kms_key" "logs" {
  description             = "${var.name}: CloudWatch log groups of the stack"
  enable_key_rotation     = true
  rotation_period_in_days = 365
  deletion_window_in_days = 7
  policy                  = data.aws_iam_policy_document.logs_key.json
}

resource "aws_kms_alias" "logs" {
  name          = "alias/${var.name}-logs"
  target_key_id = aws_kms_key.logs.key_id
}

data "aws_iam_policy_document" "logs_key" {
  #checkov:skip=CKV_AWS_111:Key policy: "Resource": "*" means this key only, and the write actions go to the account root (delegation to IAM) or to named principals.
  #checkov:skip=CKV_AWS_356:Key policy: "*" is the only resource a key policy can name (the key itself).
  #checkov:skip=CKV_AWS_109:Key policy: PutKeyPolicy etc. for the account root is what keeps the key manageable (AWS refuses policies that lock the account out).
  statement {
    sid = "AccountAdministersTheKey"
    principals {
      type        = "AWS"
      identifiers = ["${local.arn_prefix}:iam::${local.account_id}:root"]
    }
    actions   = local.kms_admin_actions
    resources = ["*"]
  }

  statement {
    sid = "CloudWatchLogsUsesTheKeyForTheseGroups"
    principals {
      type        = "Service"
      identifiers = ["logs.${local.region}.amazonaws.com"]
    }
    actions = [
      "kms:Decrypt",
      "kms:Encrypt",
      "kms:GenerateDataKey",
      "kms:GenerateDataKeyWithoutPlaintext",
      "kms:ReEncryptFrom",
      "kms:ReEncryptTo",
    ]
    resources = ["*"]
    # The encryption context is the log group's ARN; an exact match names each group.
    condition {
      test     = "StringEquals"
      variable = "kms:EncryptionContext:aws:logs:arn"
      values   = [for n in local.log_group_names : "${local.arn_prefix}:logs:${local.region}:${local.account_id}:log-group:${n}"]
    }
  }

  statement {
    # DescribeKey carries no encryption context, so it cannot share the condition above.
    sid = "CloudWatchLogsDescribesTheKey"
    principals {
      type        = "Service"
      identifiers = ["logs.${local.region}.amazonaws.com"]
    }
    actions   = ["kms:DescribeKey"]
    resources = ["*"]
  }
}
