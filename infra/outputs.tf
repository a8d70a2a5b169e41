# The deployer reads these with `terraform output -json` (names and types are a contract:
# docs/CONTRACTS.md, fixture deployer/tests/fixtures/terraform-outputs.json).

output "region" {
  description = "AWS Region of the stack."
  value       = local.region
}

output "account_id" {
  description = "AWS account that holds the stack."
  value       = local.account_id
}

output "cluster_name" {
  description = "ECS cluster."
  value       = aws_ecs_cluster.main.name
}

output "cluster_arn" {
  description = "ECS cluster ARN."
  value       = aws_ecs_cluster.main.arn
}

output "service_name" {
  description = "ECS service (deployment controller CODE_DEPLOY)."
  value       = aws_ecs_service.app.name
}

output "task_family" {
  description = "Task definition family (from taskdef.json)."
  value       = local.task_family
}

output "container_name" {
  description = "Container behind the NLB (from taskdef.json)."
  value       = local.container_name
}

output "container_port" {
  description = "Container port behind the NLB (from taskdef.json)."
  value       = local.container_port
}

output "codedeploy_app_name" {
  description = "CodeDeploy application (compute platform ECS)."
  value       = aws_codedeploy_app.app.name
}

output "codedeploy_group_name" {
  description = "CodeDeploy deployment group (blue/green with traffic control)."
  value       = aws_codedeploy_deployment_group.app.deployment_group_name
}

output "codedeploy_deployment_config" {
  description = "Deployment configuration (the only one CodeDeploy allows for ECS behind an NLB)."
  value       = aws_codedeploy_deployment_group.app.deployment_config_name
}

output "target_group_blue_name" {
  description = "Target group live at the start."
  value       = aws_lb_target_group.app["blue"].name
}

output "target_group_blue_arn" {
  description = "ARN of the blue target group."
  value       = aws_lb_target_group.app["blue"].arn
}

output "target_group_green_name" {
  description = "Target group of the first replacement."
  value       = aws_lb_target_group.app["green"].name
}

output "target_group_green_arn" {
  description = "ARN of the green target group."
  value       = aws_lb_target_group.app["green"].arn
}

output "listener_arn" {
  description = "Production listener (TCP, or TLS with tls_certificate_arn) that CodeDeploy switches."
  value       = aws_lb_listener.production.arn
}

output "test_listener_arn" {
  description = "Test listener, or an empty string when enable_test_listener is false."
  value       = var.enable_test_listener ? aws_lb_listener.test[0].arn : ""
}

output "listener_port" {
  description = "Port of the production listener."
  value       = aws_lb_listener.production.port
}

output "nlb_dns_name" {
  description = "DNS name of the NLB."
  value       = aws_lb.main.dns_name
}

output "nlb_url" {
  description = "URL of the service through the NLB."
  # With TLS the certificate names your domain (a DNS alias of nlb_dns_name), not this name.
  value = local.tls ? (
    var.tls_listener_port == 443 ? "https://${aws_lb.main.dns_name}/" : "https://${aws_lb.main.dns_name}:${var.tls_listener_port}/"
    ) : (
    var.listener_port == 80 ? "http://${aws_lb.main.dns_name}/" : "http://${aws_lb.main.dns_name}:${var.listener_port}/"
  )
}

output "ecr_repository_name" {
  description = "ECR repository of the service image."
  value       = aws_ecr_repository.app.name
}

output "ecr_repository_url" {
  description = "ECR repository URL (push images here; tags are immutable)."
  value       = aws_ecr_repository.app.repository_url
}

output "execution_role_arn" {
  description = "Task execution role (taskdef.json's <EXECUTION_ROLE_ARN>)."
  value       = aws_iam_role.execution.arn
}

output "task_role_arn" {
  description = "Task role (taskdef.json's <TASK_ROLE_ARN>)."
  value       = aws_iam_role.task.arn
}

output "log_group_name" {
  description = "CloudWatch log group of the tasks (taskdef.json's <LOG_GROUP>)."
  value       = aws_cloudwatch_log_group.app.name
}

output "autoscaling_resource_id" {
  description = "Application Auto Scaling ResourceId of the service (service/<cluster>/<service>; dimension ecs:service:DesiredCount)."
  value       = aws_appautoscaling_target.service.resource_id
}

output "autoscaling_min_capacity" {
  description = "Fewest tasks auto scaling keeps (desired_count at apply time; `deployer scale --min` changes the live value)."
  value       = aws_appautoscaling_target.service.min_capacity
}

output "autoscaling_max_capacity" {
  description = "Most tasks auto scaling runs (max_count at apply time; `deployer scale --max` changes the live value)."
  value       = aws_appautoscaling_target.service.max_capacity
}

output "autoscaling_cpu_policy_name" {
  description = "Target tracking policy on the service's average CPU."
  value       = aws_appautoscaling_policy.cpu.name
}

output "pipeline_name" {
  description = "CodePipeline (V2) that builds and deploys pushes to the branch."
  value       = aws_codepipeline.app.name
}

output "codebuild_project_name" {
  description = "CodeBuild project of the pipeline's Build stage."
  value       = aws_codebuild_project.app.name
}

output "artifact_bucket" {
  description = "S3 bucket of the pipeline artifacts (KMS-encrypted)."
  value       = aws_s3_bucket.artifacts.bucket
}

output "connection_arn" {
  description = "GitHub connection of the Source stage. Created PENDING: complete the one-time handshake in the console (Developer Tools > Settings > Connections) before the first run."
  value       = aws_codeconnections_connection.github.arn
}

output "connection_status" {
  description = "PENDING until the console handshake is done, then AVAILABLE."
  value       = aws_codeconnections_connection.github.connection_status
}

output "tasks_in_private_subnets" {
  description = "Whether the tasks run in private subnets without public IPs (NAT gateway or VPC endpoints on)."
  value       = local.private_tasks
}

output "hook_function_name" {
  description = "The CodeDeploy validation hook (AfterAllowTestTraffic), as appspec.yaml names it."
  value       = aws_lambda_function.hook.function_name
}

output "hook_repository_url" {
  description = "ECR repository URL of the validation hook's image (tags are immutable)."
  value       = aws_ecr_repository.hook.repository_url
}

output "http_5xx_alarm_name" {
  description = "The alarm on the service's 5xx answers that CodeDeploy watches (rollback on ALARM)."
  value       = aws_cloudwatch_metric_alarm.http_5xx.alarm_name
}
