# ---------------------------------------------------------------- the task definition
# One source of truth: the first revision is the repository's own taskdef.json, the same
# template the pipeline (buildspec.yml + CodeDeployToECS) and `deployer render` fill in, with
# this stack's values for its placeholders. Container name, port and family are read from it.

locals {
  taskdef_path = "${path.module}/../taskdef.json"
  taskdef_text = file(local.taskdef_path)
  taskdef_raw  = jsondecode(local.taskdef_text)

  image_uri = "${aws_ecr_repository.app.repository_url}:${var.initial_image_tag}"

  taskdef_filled = replace(replace(replace(replace(replace(local.taskdef_text,
    "<IMAGE1_NAME>", local.image_uri),
    "<EXECUTION_ROLE_ARN>", aws_iam_role.execution.arn),
    "<TASK_ROLE_ARN>", aws_iam_role.task.arn),
    "<LOG_GROUP>", aws_cloudwatch_log_group.app.name),
  "<AWS_REGION>", local.region)
  taskdef = jsondecode(local.taskdef_filled)

  # The container that the load balancer and CodeDeploy address: the one with a port mapping.
  lb_containers  = [for c in local.taskdef_raw.containerDefinitions : c if length(try(c.portMappings, [])) > 0]
  container_name = local.lb_containers[0].name
  container_port = local.lb_containers[0].portMappings[0].containerPort
  task_family    = local.taskdef_raw.family

  health_path = "/health"
}

resource "aws_cloudwatch_log_group" "app" {
  name              = "/ecs/${var.name}"
  retention_in_days = var.log_retention_days
  kms_key_id        = aws_kms_key.logs.arn
  #checkov:skip=CKV_AWS_338:Retention is var.log_retention_days (30 days by default for a demo; the variable accepts 365 and more for audit needs).
}

resource "aws_ecs_cluster" "main" {
  name = var.name

  setting {
    name  = "containerInsights"
    value = "enabled"
  }
}

resource "aws_ecs_cluster_capacity_providers" "main" {
  cluster_name       = aws_ecs_cluster.main.name
  capacity_providers = ["FARGATE"]
}

resource "aws_ecs_task_definition" "initial" {
  #checkov:skip=CKV_AWS_249:False positive: both ARNs come from taskdef.json's placeholders (aws_iam_role.execution vs aws_iam_role.task), which checkov cannot evaluate; infra/tests/consistency.py asserts they differ in the plan.
  # Fields without placeholders come from the raw template, so the plan shows them.
  family                   = local.taskdef_raw.family
  network_mode             = local.taskdef_raw.networkMode
  requires_compatibilities = local.taskdef_raw.requiresCompatibilities
  cpu                      = local.taskdef_raw.cpu
  memory                   = local.taskdef_raw.memory
  execution_role_arn       = local.taskdef.executionRoleArn
  task_role_arn            = local.taskdef.taskRoleArn
  container_definitions    = jsonencode(local.taskdef.containerDefinitions)

  dynamic "runtime_platform" {
    for_each = can(local.taskdef_raw.runtimePlatform) ? [local.taskdef_raw.runtimePlatform] : []
    content {
      cpu_architecture        = try(runtime_platform.value.cpuArchitecture, null)
      operating_system_family = try(runtime_platform.value.operatingSystemFamily, null)
    }
  }

  # Later revisions are registered by the pipeline and the deployer; the service may run
  # any of them, so Terraform never deregisters the one it made.
  skip_destroy = true

  lifecycle {
    precondition {
      condition     = length(local.lb_containers) == 1
      error_message = "taskdef.json must have exactly one container with portMappings (the one behind the NLB); found ${length(local.lb_containers)}."
    }
    precondition {
      condition     = !can(regex("<[A-Z0-9_]+>", local.taskdef_filled))
      error_message = "taskdef.json has a placeholder that infra/ecs.tf does not fill in; known ones: <IMAGE1_NAME>, <EXECUTION_ROLE_ARN>, <TASK_ROLE_ARN>, <LOG_GROUP>, <AWS_REGION>."
    }
  }
}

# The target group that production traffic reaches now. CodeDeploy moves the listener
# between blue and green (Terraform ignores that), so when Terraform has to recreate the
# service (network switch, below) it must register the new tasks where the listener points,
# not in blue: read back from AWS, and blue only before the listener exists.
data "aws_lb_listener" "production_now" {
  arn = aws_lb_listener.production.arn
}

locals {
  production_forward = try(data.aws_lb_listener.production_now.default_action[0], null)
  production_target_group_arn = try(coalesce(
    try(local.production_forward.target_group_arn, ""),
    try([for tg in local.production_forward.forward[0].target_group : tg.arn if tg.weight > 0][0], ""),
  ), "")
}

# Every input of the service's network configuration, in one place: ECS rejects any change
# of it for a CODE_DEPLOY service (UpdateService: "Unable to update network parameters on
# services with a CODE_DEPLOY deployment controller"; hashicorp/terraform-provider-aws#37410,
# and #8005 for a changed security group),
# so a change of any of them (public/private switch, az_count, a replaced security group)
# must replace the service instead of updating it in place.
locals {
  task_network = {
    subnets          = local.private_tasks ? aws_subnet.private[*].id : aws_subnet.public[*].id
    security_groups  = [aws_security_group.tasks.id]
    assign_public_ip = !local.private_tasks
  }
}

resource "terraform_data" "task_network" {
  input = local.task_network
}

# A warning (not an error) at plan and apply time when the first image is not pushed yet:
# the service would start tasks that cannot pull it. See infra/README.md, first deploy.
check "initial_image_pushed" {
  data "aws_ecr_image" "initial" {
    repository_name = aws_ecr_repository.app.name
    image_tag       = var.initial_image_tag
  }

  assert {
    condition     = data.aws_ecr_image.initial.image_digest != ""
    error_message = "Image ${local.image_uri} is not in ECR yet: push it (infra/README.md, first deploy) or the service's tasks cannot start."
  }
}

resource "aws_ecs_service" "app" {
  name            = var.name
  cluster         = aws_ecs_cluster.main.id
  task_definition = aws_ecs_task_definition.initial.arn
  desired_count   = var.desired_count
  launch_type     = "FARGATE"

  deployment_controller {
    type = "CODE_DEPLOY"
  }

  health_check_grace_period_seconds = var.health_check_grace_period_seconds
  enable_ecs_managed_tags           = true
  propagate_tags                    = "SERVICE"
  # Tasks have no shell (distroless image), so ECS Exec would not help; keep it off.
  enable_execute_command = false

  load_balancer {
    # Where production traffic goes now (blue until CodeDeploy's first switch); only read
    # when the service is created or recreated (ignore_changes below).
    target_group_arn = local.production_target_group_arn
    container_name   = local.container_name
    container_port   = local.container_port
  }

  # Only from local.task_network, which replace_triggered_by watches (below).
  network_configuration {
    subnets          = local.task_network.subnets
    security_groups  = local.task_network.security_groups
    assign_public_ip = local.task_network.assign_public_ip
  }

  # CodeDeploy owns the running task definition and the target group (blue or green) after
  # the first deployment; changing them here would fight it (ECS rejects such updates for
  # CODE_DEPLOY services anyway). ECS also refuses to change the network configuration of
  # a CODE_DEPLOY service, so any change of it (public/private subnets, az_count, the tasks'
  # security group replaced) replaces the service; see infra/README.md.
  # desired_count is Application Auto Scaling's after creation (infra/autoscaling.tf).
  lifecycle {
    ignore_changes       = [task_definition, load_balancer, desired_count]
    replace_triggered_by = [terraform_data.task_network]

    precondition {
      condition     = contains([for tg in aws_lb_target_group.app : tg.arn], local.production_target_group_arn)
      error_message = "The production listener ${aws_lb_listener.production.arn} does not forward to one of the target groups ${join(", ", [for tg in aws_lb_target_group.app : tg.name])} (found '${local.production_target_group_arn}'): a CodeDeploy deployment is probably in progress or was left half-way. Let it finish or roll back (deployer status / deployer rollback), then apply again; a service recreated now would register its tasks where no traffic goes."
    }
  }

  # The listener must exist before the service registers tasks in the target group.
  depends_on = [aws_lb_listener.production, aws_iam_role_policy.execution]
}
