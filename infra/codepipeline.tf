# The GitHub connection is created PENDING: someone must complete the handshake once in the
# console (Developer Tools > Settings > Connections > Update pending connection) before the
# pipeline's Source stage can run. See infra/README.md.
resource "aws_codeconnections_connection" "github" {
  name          = "${var.name}-github"
  provider_type = "GitHub"
}

resource "aws_codepipeline" "app" {
  name          = var.name
  role_arn      = aws_iam_role.codepipeline.arn
  pipeline_type = "V2"
  # A newer commit replaces one still waiting for a stage: only the latest reaches the
  # Deploy stage, and CodeDeploy runs one deployment per group at a time anyway.
  execution_mode = "SUPERSEDED"

  artifact_store {
    type     = "S3"
    location = aws_s3_bucket.artifacts.bucket

    encryption_key {
      type = "KMS"
      id   = aws_kms_key.artifacts.arn
    }
  }

  # V2 trigger: pushes to the branch start the pipeline (this replaces the source action's
  # own change detection).
  trigger {
    provider_type = "CodeStarSourceConnection"
    git_configuration {
      source_action_name = "Source"
      push {
        branches {
          includes = [var.branch]
        }
      }
    }
  }

  stage {
    name = "Source"
    action {
      name             = "Source"
      category         = "Source"
      owner            = "AWS"
      provider         = "CodeStarSourceConnection"
      version          = "1"
      output_artifacts = ["SourceOutput"]
      configuration = {
        ConnectionArn        = aws_codeconnections_connection.github.arn
        FullRepositoryId     = var.github_repository
        BranchName           = var.branch
        OutputArtifactFormat = "CODE_ZIP"
      }
    }
  }

  stage {
    name = "Build"
    action {
      name             = "Build"
      category         = "Build"
      owner            = "AWS"
      provider         = "CodeBuild"
      version          = "1"
      input_artifacts  = ["SourceOutput"]
      output_artifacts = ["BuildOutput"]
      configuration = {
        ProjectName = aws_codebuild_project.app.name
        # Only this pipeline's builds update the AWS validation hook (buildspec.yml); the
        # local stack runs the same buildspec without them and its hook from its own binary.
        # Action variables, not the project's: the project's set is shared with the local
        # stack (docs/CONTRACTS.md, CodeBuild environment).
        EnvironmentVariables = jsonencode([
          { name = "HOOK_FUNCTION_NAME", value = aws_lambda_function.hook.function_name, type = "PLAINTEXT" },
          { name = "HOOK_REPOSITORY_URL", value = aws_ecr_repository.hook.repository_url, type = "PLAINTEXT" },
        ])
      }
    }
  }

  stage {
    name = "Deploy"
    action {
      name            = "Deploy"
      category        = "Deploy"
      owner           = "AWS"
      provider        = "CodeDeployToECS"
      version         = "1"
      input_artifacts = ["BuildOutput"]
      configuration = {
        ApplicationName                = aws_codedeploy_app.app.name
        DeploymentGroupName            = aws_codedeploy_deployment_group.app.deployment_group_name
        TaskDefinitionTemplateArtifact = "BuildOutput"
        TaskDefinitionTemplatePath     = "taskdef.json"
        AppSpecTemplateArtifact        = "BuildOutput"
        AppSpecTemplatePath            = "appspec.yaml"
        Image1ArtifactName             = "BuildOutput"
        # The placeholder in taskdef.json is <IMAGE1_NAME>; the image URI comes from
        # imageDetail.json in the same artifact.
        Image1ContainerName = "IMAGE1_NAME"
      }
    }
  }

  depends_on = [aws_iam_role_policy.codepipeline]
}
