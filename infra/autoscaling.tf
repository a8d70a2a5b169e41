# ---------------------------------------------------------------- service auto scaling
# Application Auto Scaling owns the service's desired count once the service exists:
# desired_count is its floor (MinCapacity), max_count its ceiling, and aws_ecs_service.app
# ignores desired_count after creation (infra/ecs.tf) so a later apply does not undo what
# the scaler (or `deployer scale --tasks`) set.
#
# IAM: no role here on purpose. Without role_arn, Application Auto Scaling uses the
# service-linked role AWSServiceRoleForApplicationAutoScaling_ECSService (AWS-managed policy
# AWSApplicationAutoscalingECSServicePolicy: ecs:DescribeServices, ecs:UpdateService and the
# CloudWatch alarm calls of its own target tracking alarms, nothing else), which it creates
# on first use when the caller may iam:CreateServiceLinkedRole. A customer-managed role would
# need the same actions and could only be broader.
#
# Blue/green: CodeDeploy deployments do not suspend scaling. AWS turns scale-in off while
# an ECS deployment is in progress and lets scale-out go on; the replacement task set is
# created at the service's desired count at that moment.

locals {
  autoscaling_resource_id = "service/${aws_ecs_cluster.main.name}/${aws_ecs_service.app.name}"
}

resource "aws_appautoscaling_target" "service" {
  service_namespace  = "ecs"
  scalable_dimension = "ecs:service:DesiredCount"
  resource_id        = local.autoscaling_resource_id
  min_capacity       = var.desired_count
  max_capacity       = var.max_count
}

# Target tracking on average CPU: the demo's work per request is CPU (it holds no data),
# so CPU rises with load and falls as tasks are added.
#
# Memory, a documented choice: no memory policy. A demo task's resident memory is a small
# baseline that does not grow with request rate, so ECSServiceAverageMemoryUtilization
# neither signals load nor falls when tasks are added; a memory policy would only keep the
# service from scaling in (with several target tracking policies, scale-in needs every one
# of them to agree). A service whose memory does follow load adds a second
# aws_appautoscaling_policy with ECSServiceAverageMemoryUtilization.
resource "aws_appautoscaling_policy" "cpu" {
  name               = "${var.name}-cpu-target-tracking"
  policy_type        = "TargetTrackingScaling"
  service_namespace  = aws_appautoscaling_target.service.service_namespace
  scalable_dimension = aws_appautoscaling_target.service.scalable_dimension
  resource_id        = aws_appautoscaling_target.service.resource_id

  target_tracking_scaling_policy_configuration {
    target_value       = var.autoscaling_cpu_target
    scale_out_cooldown = var.autoscaling_scale_out_cooldown_seconds
    scale_in_cooldown  = var.autoscaling_scale_in_cooldown_seconds

    predefined_metric_specification {
      predefined_metric_type = "ECSServiceAverageCPUUtilization"
    }
  }
}
