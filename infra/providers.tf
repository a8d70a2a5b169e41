provider "aws" {
  region = var.region

  default_tags {
    tags = merge(
      {
        Project   = var.name
        ManagedBy = "terraform"
        Source    = "infra/"
      },
      var.tags,
    )
  }
}

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_region" "current" {}

data "aws_availability_zones" "available" {
  #checkov:skip=CKV_AWS_394:Only the first az_count zones are used (locals.azs); a zone AWS adds later sorts after them and changes nothing.
  state = "available"
  # Local Zones and Wavelength Zones have no NLB/Fargate parity; keep to the Region's own AZs.
  filter {
    name   = "opt-in-status"
    values = ["opt-in-not-required"]
  }
}

locals {
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition
  region     = data.aws_region.current.name
  azs        = slice(data.aws_availability_zones.available.names, 0, var.az_count)

  # Tasks go to private subnets only when they can still reach ECR and CloudWatch Logs
  # (through the NAT gateway or the VPC endpoints); otherwise public subnets with a public
  # IP, still reachable only from the NLB's security group.
  private_tasks = var.enable_nat_gateway || var.enable_vpc_endpoints

  # ARNs built from names, so policies can name resources that reference the roles
  # (ECS service, CodeBuild project, pipeline) without a dependency cycle.
  arn_prefix        = "arn:${local.partition}"
  cluster_arn       = "${local.arn_prefix}:ecs:${local.region}:${local.account_id}:cluster/${var.name}"
  service_arn       = "${local.arn_prefix}:ecs:${local.region}:${local.account_id}:service/${var.name}/${var.name}"
  task_set_arns     = "${local.arn_prefix}:ecs:${local.region}:${local.account_id}:task-set/${var.name}/${var.name}/*"
  codebuild_arn     = "${local.arn_prefix}:codebuild:${local.region}:${local.account_id}:project/${var.name}"
  pipeline_arn      = "${local.arn_prefix}:codepipeline:${local.region}:${local.account_id}:${var.name}"
  task_family_arns  = "${local.arn_prefix}:ecs:${local.region}:${local.account_id}:task-definition/${local.taskdef.family}:*"
  codedeploy_app    = "${local.arn_prefix}:codedeploy:${local.region}:${local.account_id}:application:${var.name}"
  codedeploy_group  = "${local.arn_prefix}:codedeploy:${local.region}:${local.account_id}:deploymentgroup:${var.name}/${var.name}"
  codedeploy_config = "${local.arn_prefix}:codedeploy:${local.region}:${local.account_id}:deploymentconfig:${local.deployment_config}"

  # The only deployment configuration CodeDeploy accepts for ECS blue/green behind an NLB.
  deployment_config = "CodeDeployDefault.ECSAllAtOnce"
}
