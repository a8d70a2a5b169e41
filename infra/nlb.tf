locals {
  # TLS terminated at the NLB when a certificate is given: the production listener is then
  # TLS on tls_listener_port instead of TCP on listener_port (one production listener:
  # CodeDeploy's TrafficRoute takes "an array of strings with a maximum size of one",
  # https://docs.aws.amazon.com/codedeploy/latest/APIReference/API_TrafficRoute.html).
  tls             = var.tls_certificate_arn != null
  production_port = local.tls ? var.tls_listener_port : var.listener_port
}

# ---------------------------------------------------------------- security groups
# An NLB accepts security groups only when it is created (adding the first one later
# replaces the load balancer), so it gets one from the start, and the tasks accept the
# container port from that group only.

resource "aws_security_group" "nlb" {
  name        = "${var.name}-nlb"
  description = "NLB: listener ports from the allowed clients; to the tasks' container port only"
  vpc_id      = aws_vpc.main.id
  tags        = { Name = "${var.name}-nlb" }
}

resource "aws_vpc_security_group_ingress_rule" "nlb_listener" {
  for_each = toset(var.ingress_cidrs)

  #checkov:skip=CKV_AWS_260:The production listener is the service's public HTTP endpoint by design; ingress_cidrs narrows it. Tasks stay closed to everything but the NLB.
  security_group_id = aws_security_group.nlb.id
  description       = "Production listener"
  cidr_ipv4         = each.value
  ip_protocol       = "tcp"
  from_port         = local.production_port
  to_port           = local.production_port
}

resource "aws_vpc_security_group_ingress_rule" "nlb_test_listener" {
  for_each = var.enable_test_listener ? toset(var.test_listener_cidrs) : toset([])

  security_group_id = aws_security_group.nlb.id
  description       = "Test listener (green tasks during a deployment)"
  cidr_ipv4         = each.value
  ip_protocol       = "tcp"
  from_port         = var.test_listener_port
  to_port           = var.test_listener_port
}

# Both forwarded traffic and the HTTP health checks leave the NLB from this group.
resource "aws_vpc_security_group_egress_rule" "nlb_to_tasks" {
  security_group_id            = aws_security_group.nlb.id
  description                  = "Forward traffic and health checks to the tasks"
  referenced_security_group_id = aws_security_group.tasks.id
  ip_protocol                  = "tcp"
  from_port                    = local.container_port
  to_port                      = local.container_port
}

resource "aws_security_group" "tasks" {
  name        = "${var.name}-tasks"
  description = "ECS tasks: container port from the NLB only; HTTPS out for ECR and CloudWatch Logs"
  vpc_id      = aws_vpc.main.id
  tags        = { Name = "${var.name}-tasks" }
}

resource "aws_vpc_security_group_ingress_rule" "tasks_from_nlb" {
  security_group_id            = aws_security_group.tasks.id
  description                  = "Container port from the NLB (traffic and health checks)"
  referenced_security_group_id = aws_security_group.nlb.id
  ip_protocol                  = "tcp"
  from_port                    = local.container_port
  to_port                      = local.container_port
}

# Image pulls (ECR API, registry, S3 layers) and log delivery are HTTPS to AWS endpoints
# whose addresses are not fixed (through the NAT gateway, the internet gateway or the
# VPC endpoints), so 443 is open to any address and nothing else is. DNS goes to the VPC
# resolver, which security groups do not filter.
resource "aws_vpc_security_group_egress_rule" "tasks_https" {
  security_group_id = aws_security_group.tasks.id
  description       = "HTTPS to AWS APIs (ECR, S3, CloudWatch Logs)"
  cidr_ipv4         = "0.0.0.0/0"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
}

# ---------------------------------------------------------------- load balancer

resource "aws_lb" "main" {
  #checkov:skip=CKV_AWS_150:Deletion protection is var.deletion_protection, off by default so the demo tears down with `terraform destroy`.
  #checkov:skip=CKV_AWS_91:NLB access logs cover TLS listeners only; the listeners are TCP unless tls_certificate_arn is set, and a log bucket for that case is left to the user (rejected flows are in the VPC flow logs).
  #checkov:skip=CKV2_AWS_20:Applies to ALBs; an NLB TCP listener cannot redirect to HTTPS.
  name               = var.name
  load_balancer_type = "network"
  internal           = false
  subnets            = aws_subnet.public[*].id
  security_groups    = [aws_security_group.nlb.id]

  enable_cross_zone_load_balancing = true
  enable_deletion_protection       = var.deletion_protection

  tags = { Name = var.name }

  depends_on = [aws_internet_gateway.main]
}

resource "aws_lb_target_group" "app" {
  for_each = toset(["blue", "green"])

  name                 = "${var.name}-${each.key}"
  port                 = local.container_port
  protocol             = "TCP"
  target_type          = "ip"
  vpc_id               = aws_vpc.main.id
  deregistration_delay = var.deregistration_delay_seconds
  # The default for TCP ip targets, stated: the NLB connects from its own addresses (the
  # app logs those). The tasks' rule names the NLB's security group, which AWS honours
  # either way.
  preserve_client_ip = false
  # Close the remaining connections when the drain ends, so the old tasks can stop.
  connection_termination = true

  health_check {
    enabled             = true
    protocol            = "HTTP"
    path                = local.health_path
    port                = "traffic-port"
    matcher             = "200"
    interval            = 10
    timeout             = 5
    healthy_threshold   = 2
    unhealthy_threshold = 2
  }

  tags = { Name = "${var.name}-${each.key}", Color = each.key }
}

resource "aws_lb_listener" "production" {
  load_balancer_arn = aws_lb.main.arn
  port              = local.production_port
  protocol          = local.tls ? "TLS" : "TCP"
  # TLS ends here; the NLB opens plain TCP to the targets (the target groups are TCP), so
  # the tasks and their health checks are the same either way. The recommended policy for
  # NLBs: TLS 1.3 and 1.2 only
  # (https://docs.aws.amazon.com/elasticloadbalancing/latest/network/describe-ssl-policies.html).
  certificate_arn = var.tls_certificate_arn
  ssl_policy      = local.tls ? var.tls_ssl_policy : null

  default_action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.app["blue"].arn
  }

  # CodeDeploy moves the listener between blue and green; Terraform must not move it back.
  lifecycle {
    ignore_changes = [default_action]
  }
}

# On by default: CodeDeploy points it at green before it moves production, so the
# NLB health-checks green's targets before any client reaches them (a target group that no
# listener uses gets no health checks). The NLB's security group opens its port only to
# test_listener_cidrs (none by default); health checks are not affected by that.
resource "aws_lb_listener" "test" {
  count = var.enable_test_listener ? 1 : 0

  load_balancer_arn = aws_lb.main.arn
  port              = var.test_listener_port
  protocol          = "TCP"

  default_action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.app["blue"].arn
  }

  lifecycle {
    ignore_changes = [default_action]
  }
}
