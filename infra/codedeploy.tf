locals {
  listener_arns = concat([aws_lb_listener.production.arn], aws_lb_listener.test[*].arn)
}

resource "aws_codedeploy_app" "app" {
  name             = var.name
  compute_platform = "ECS"
}

# Rollback trigger: any unhealthy target in either target group (green while it is being
# tested, then the live one) stops the deployment and CodeDeploy rolls back.
resource "aws_cloudwatch_metric_alarm" "unhealthy" {
  for_each = aws_lb_target_group.app

  alarm_name        = "${var.name}-${each.key}-unhealthy-hosts"
  alarm_description = "Targets of ${each.value.name} fail the /health check; CodeDeploy rolls back on it."
  namespace         = "AWS/NetworkELB"
  metric_name       = "UnHealthyHostCount"
  dimensions = {
    LoadBalancer = aws_lb.main.arn_suffix
    TargetGroup  = each.value.arn_suffix
  }
  statistic           = "Maximum"
  period              = 60
  evaluation_periods  = 2
  datapoints_to_alarm = 2
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  # No data (no targets registered, e.g. the idle colour) is not a failure.
  treat_missing_data = "notBreaching"
}

resource "aws_codedeploy_deployment_group" "app" {
  app_name               = aws_codedeploy_app.app.name
  deployment_group_name  = var.name
  service_role_arn       = aws_iam_role.codedeploy.arn
  deployment_config_name = local.deployment_config

  deployment_style {
    deployment_type   = "BLUE_GREEN"
    deployment_option = "WITH_TRAFFIC_CONTROL"
  }

  blue_green_deployment_config {
    deployment_ready_option {
      # 0 minutes: shift as soon as the green tasks are healthy. Otherwise wait for
      # ContinueDeployment (`deployer continue`) and stop the deployment when time is up.
      action_on_timeout    = var.ready_wait_minutes == 0 ? "CONTINUE_DEPLOYMENT" : "STOP_DEPLOYMENT"
      wait_time_in_minutes = var.ready_wait_minutes == 0 ? null : var.ready_wait_minutes
    }

    terminate_blue_instances_on_deployment_success {
      action                           = "TERMINATE"
      termination_wait_time_in_minutes = var.termination_wait_minutes
    }
  }

  auto_rollback_configuration {
    enabled = true
    events  = ["DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_ALARM"]
  }

  alarm_configuration {
    enabled = true
    alarms  = [for a in aws_cloudwatch_metric_alarm.unhealthy : a.alarm_name]
  }

  ecs_service {
    cluster_name = aws_ecs_cluster.main.name
    service_name = aws_ecs_service.app.name
  }

  load_balancer_info {
    target_group_pair_info {
      prod_traffic_route {
        listener_arns = [aws_lb_listener.production.arn]
      }

      dynamic "test_traffic_route" {
        for_each = aws_lb_listener.test
        content {
          listener_arns = [test_traffic_route.value.arn]
        }
      }

      target_group {
        name = aws_lb_target_group.app["blue"].name
      }
      target_group {
        name = aws_lb_target_group.app["green"].name
      }
    }
  }

  depends_on = [aws_iam_role_policy.codedeploy]
}
