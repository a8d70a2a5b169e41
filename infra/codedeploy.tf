locals {
  listener_arns = concat([aws_lb_listener.production.arn], aws_lb_listener.test[*].arn)
  # Custom metrics of the stack (the 5xx count of the access log).
  metrics_namespace = "${var.name}/service"
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

# Rollback trigger after traffic moved: the service's own 5xx answers, counted from its JSON
# access lines ({"message":"request",...,"status":500,...}, docs/service.md) by a metric
# filter on the log group the tasks already write. A metric filter rather than the Embedded
# Metric Format: the access line exists today, so the app stays free of CloudWatch-specific
# output and no log byte is added per request; EMF would need the app to write its own
# `_aws` metadata block per line (CloudWatch user guide, "Embedded metric format
# specification": https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html).
# Numeric comparisons on JSON fields are part of the filter syntax ("Using metric filters to
# match terms in JSON log events":
# https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/FilterAndPatternSyntax.html).
# A filter counts events ingested after it exists; it reads both colours' tasks (one group).
# The load balancer's health checks are left out: a task whose /health fails is the target
# group's to judge (it never takes traffic, or is replaced), and counting those lines made
# a release with a failing health check trip this alarm too, which then stopped the next
# deployment at its start.
resource "aws_cloudwatch_log_metric_filter" "http_5xx" {
  name           = "${var.name}-http-5xx"
  log_group_name = aws_cloudwatch_log_group.app.name
  pattern        = "{ $.message = \"request\" && $.status >= 500 && $.path != \"/health\" }"

  metric_transformation {
    name      = "Http5xx"
    namespace = local.metrics_namespace
    value     = "1"
    unit      = "Count"
  }
}

resource "aws_cloudwatch_metric_alarm" "http_5xx" {
  alarm_name        = "${var.name}-http-5xx"
  alarm_description = "The ${var.name} service answers 5xx (from its access log); CodeDeploy stops and rolls back a deployment on it, termination wait included."
  namespace         = local.metrics_namespace
  metric_name       = aws_cloudwatch_log_metric_filter.http_5xx.metric_transformation[0].name
  statistic         = "Sum"
  period            = var.errors_alarm_period_seconds
  # One breaching period is enough by default: the termination wait is a few minutes, and a
  # release that fails every request must be rolled back within it.
  evaluation_periods  = var.errors_alarm_evaluation_periods
  datapoints_to_alarm = var.errors_alarm_evaluation_periods
  threshold           = var.errors_alarm_threshold
  comparison_operator = "GreaterThanOrEqualToThreshold"
  # The filter publishes only when a 5xx line arrives: no data is a healthy service.
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
    alarms  = concat([for a in aws_cloudwatch_metric_alarm.unhealthy : a.alarm_name], [aws_cloudwatch_metric_alarm.http_5xx.alarm_name])
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
