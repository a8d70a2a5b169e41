variable "region" {
  description = "AWS Region of the whole stack."
  type        = string
  default     = "eu-west-1"

  validation {
    condition     = can(regex("^[a-z]{2}(-gov)?-[a-z]+-[0-9]$", var.region))
    error_message = "region must look like an AWS Region code, e.g. eu-west-1."
  }
}

variable "name" {
  description = "Name of the service; used for the ECS cluster and service, the ECR repository, the CodeDeploy application and group, the pipeline and the prefix of every other resource. The deployer reads the real names from `terraform output`."
  type        = string
  default     = "demo"

  validation {
    # Target group names are "<name>-green" and may hold at most 32 characters.
    condition     = can(regex("^[a-z][a-z0-9-]{0,19}[a-z0-9]$", var.name))
    error_message = "name must be 2-21 characters of lower-case letters, digits and hyphens, starting with a letter and not ending with a hyphen."
  }
}

variable "tags" {
  description = "Extra tags for every resource (merged into the provider's default tags)."
  type        = map(string)
  default     = {}
}

# ---------------------------------------------------------------- network

variable "vpc_cidr" {
  description = "CIDR block of the VPC; subnets are carved from it (/20 each for a /16)."
  type        = string
  default     = "10.0.0.0/16"

  validation {
    condition     = can(cidrhost(var.vpc_cidr, 0)) && tonumber(split("/", var.vpc_cidr)[1]) <= 20
    error_message = "vpc_cidr must be an IPv4 CIDR block of size /20 or larger, e.g. 10.0.0.0/16."
  }
}

variable "az_count" {
  description = "Number of Availability Zones for the subnets and the NLB (CodeDeploy and the NLB want at least two)."
  type        = number
  default     = 2

  validation {
    condition     = var.az_count >= 2 && var.az_count <= 4 && floor(var.az_count) == var.az_count
    error_message = "az_count must be a whole number from 2 to 4."
  }
}

variable "enable_nat_gateway" {
  description = "Create one NAT gateway (about 33 USD/month plus data) so tasks run in private subnets without public IPs. Off by default for cost."
  type        = bool
  default     = false
}

variable "enable_vpc_endpoints" {
  description = "Create VPC endpoints for ECR, CloudWatch Logs (interface, about 7.5 USD/month each per AZ) and S3 (gateway, free) so tasks run in private subnets without a NAT gateway."
  type        = bool
  default     = false
}

variable "enable_flow_logs" {
  description = "Send VPC flow logs to CloudWatch Logs (flow_logs_traffic_type: rejected traffic only by default)."
  type        = bool
  default     = true
}

variable "flow_logs_traffic_type" {
  description = "Which flows the VPC flow log records: REJECT (default: what the security groups turned away, a small share of an internet-facing NLB's traffic), ACCEPT or ALL (every flow; CloudWatch Logs bills each GB ingested, see infra/README.md cost notes)."
  type        = string
  default     = "REJECT"

  validation {
    condition     = contains(["REJECT", "ACCEPT", "ALL"], var.flow_logs_traffic_type)
    error_message = "flow_logs_traffic_type must be REJECT, ACCEPT or ALL."
  }
}

variable "ingress_cidrs" {
  description = "IPv4 CIDR blocks allowed to reach the NLB's production listener."
  type        = list(string)
  default     = ["0.0.0.0/0"]

  validation {
    condition     = length(var.ingress_cidrs) > 0 && alltrue([for c in var.ingress_cidrs : can(cidrhost(c, 0))])
    error_message = "ingress_cidrs must be a non-empty list of IPv4 CIDR blocks, e.g. [\"203.0.113.0/24\"]."
  }
}

# ---------------------------------------------------------------- load balancer

variable "listener_port" {
  description = "TCP port of the NLB's production listener."
  type        = number
  default     = 80

  validation {
    condition     = var.listener_port >= 1 && var.listener_port <= 65535
    error_message = "listener_port must be a TCP port (1-65535)."
  }
}

variable "tls_certificate_arn" {
  description = "ACM certificate ARN (this Region) for TLS on the production listener, terminated at the NLB (targets stay TCP on the container port). Null (default): plain TCP on listener_port. When set, the production listener is TLS on tls_listener_port and the plain one is not kept: CodeDeploy moves exactly one production listener, so a second one would stay on the old tasks."
  type        = string
  default     = null

  validation {
    condition     = var.tls_certificate_arn == null || can(regex("^arn:aws[a-z-]*:acm:[a-z0-9-]+:[0-9]{12}:certificate/[0-9a-f-]+$", var.tls_certificate_arn))
    error_message = "tls_certificate_arn must be null or an ACM certificate ARN (arn:aws:acm:<region>:<account>:certificate/<id>)."
  }
}

variable "tls_listener_port" {
  description = "Port of the production listener when tls_certificate_arn is set."
  type        = number
  default     = 443

  validation {
    condition     = var.tls_listener_port >= 1 && var.tls_listener_port <= 65535 && var.tls_listener_port != var.test_listener_port
    error_message = "tls_listener_port must be a TCP port (1-65535) different from test_listener_port."
  }
}

variable "tls_ssl_policy" {
  description = "Security policy of the TLS listener (TLS 1.3 and 1.2 only by default)."
  type        = string
  default     = "ELBSecurityPolicy-TLS13-1-2-2021-06"

  validation {
    condition     = can(regex("^ELBSecurityPolicy-", var.tls_ssl_policy))
    error_message = "tls_ssl_policy must be an ELBSecurityPolicy-* name (aws elbv2 describe-ssl-policies)."
  }
}

variable "enable_test_listener" {
  description = "A test listener that CodeDeploy points at the replacement (green) tasks before it shifts production traffic. On by default: it attaches the green target group to the NLB before the switch, so the NLB health-checks green and production moves to targets already healthy (infra/README.md, no dropped connections). Reachable only from test_listener_cidrs (none by default)."
  type        = bool
  default     = true
}

variable "test_listener_port" {
  description = "TCP port of the test listener (enable_test_listener)."
  type        = number
  default     = 8080

  validation {
    condition     = var.test_listener_port >= 1 && var.test_listener_port <= 65535 && var.test_listener_port != var.listener_port
    error_message = "test_listener_port must be a TCP port (1-65535) different from listener_port."
  }
}

variable "test_listener_cidrs" {
  description = "IPv4 CIDR blocks allowed to reach the test listener. Empty by default: nobody can connect to it, but the NLB still health-checks the green tasks through it. Add your own address (e.g. [\"203.0.113.7/32\"]) to smoke-test green before the switch (deployer smoke, or curl on test_listener_port)."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for c in var.test_listener_cidrs : can(cidrhost(c, 0))])
    error_message = "test_listener_cidrs must be a list of IPv4 CIDR blocks, e.g. [\"203.0.113.0/24\"]."
  }
}

variable "deregistration_delay_seconds" {
  description = "How long the NLB keeps draining a deregistered target. Short for quick switches; keep it above the app's request timeout (10 s)."
  type        = number
  default     = 15

  validation {
    condition     = var.deregistration_delay_seconds >= 0 && var.deregistration_delay_seconds <= 3600
    error_message = "deregistration_delay_seconds must be from 0 to 3600."
  }
}

variable "deletion_protection" {
  description = "Turn on deletion protection for the NLB (set it for anything that is not a throwaway demo)."
  type        = bool
  default     = false
}

# ---------------------------------------------------------------- ECS

variable "desired_count" {
  description = "Number of tasks of the service (at least 2 spreads them over two AZs)."
  type        = number
  default     = 2

  validation {
    condition     = var.desired_count >= 1 && var.desired_count <= 20 && floor(var.desired_count) == var.desired_count
    error_message = "desired_count must be a whole number from 1 to 20."
  }
}

# Service auto scaling (infra/autoscaling.tf): desired_count is the floor, max_count the ceiling.
variable "max_count" {
  description = "Most tasks Application Auto Scaling may run (its target's MaxCapacity); desired_count is the minimum. Equal to desired_count turns scaling off in effect."
  type        = number
  default     = 4

  validation {
    condition     = floor(var.max_count) == var.max_count && var.max_count >= var.desired_count && var.max_count <= 20
    error_message = "max_count must be a whole number from desired_count to 20."
  }
}

variable "autoscaling_cpu_target" {
  description = "Target of the service's average CPU utilization (percent of the task's CPU units) that target tracking keeps."
  type        = number
  default     = 60

  validation {
    condition     = var.autoscaling_cpu_target >= 10 && var.autoscaling_cpu_target <= 90
    error_message = "autoscaling_cpu_target must be a percentage from 10 to 90."
  }
}

variable "autoscaling_scale_out_cooldown_seconds" {
  description = "Seconds after a scale out before target tracking scales out again."
  type        = number
  default     = 60

  validation {
    condition     = var.autoscaling_scale_out_cooldown_seconds >= 0 && var.autoscaling_scale_out_cooldown_seconds <= 3600 && floor(var.autoscaling_scale_out_cooldown_seconds) == var.autoscaling_scale_out_cooldown_seconds
    error_message = "autoscaling_scale_out_cooldown_seconds must be whole seconds from 0 to 3600."
  }
}

variable "autoscaling_scale_in_cooldown_seconds" {
  description = "Seconds after a scaling activity before target tracking scales in (removes tasks)."
  type        = number
  default     = 300

  validation {
    condition     = var.autoscaling_scale_in_cooldown_seconds >= 0 && var.autoscaling_scale_in_cooldown_seconds <= 3600 && floor(var.autoscaling_scale_in_cooldown_seconds) == var.autoscaling_scale_in_cooldown_seconds
    error_message = "autoscaling_scale_in_cooldown_seconds must be whole seconds from 0 to 3600."
  }
}

variable "initial_image_tag" {
  description = "Tag of the image in the stack's ECR repository that the first task definition runs. Push it before the service is created (see infra/README.md, first deploy); later revisions come from the pipeline or the deployer."
  type        = string
  default     = "initial"

  validation {
    condition     = can(regex("^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$", var.initial_image_tag))
    error_message = "initial_image_tag must be a valid image tag: letters, digits, '_', '.', '-', at most 128 characters."
  }
}

variable "health_check_grace_period_seconds" {
  description = "Seconds ECS ignores failing NLB health checks of a new task (covers start-up)."
  type        = number
  default     = 30

  validation {
    condition     = var.health_check_grace_period_seconds >= 0 && var.health_check_grace_period_seconds <= 2147483647
    error_message = "health_check_grace_period_seconds must not be negative."
  }
}

variable "log_retention_days" {
  description = "Retention of the CloudWatch log groups (tasks, builds, flow logs), in days."
  type        = number
  default     = 30

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a value CloudWatch Logs accepts: 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288 or 3653."
  }
}

variable "ecr_keep_images" {
  description = "Number of tagged images the ECR lifecycle policy keeps (rollback targets); untagged ones expire after a day."
  type        = number
  default     = 30

  validation {
    condition     = var.ecr_keep_images >= 1 && var.ecr_keep_images <= 1000
    error_message = "ecr_keep_images must be from 1 to 1000."
  }
}

variable "force_destroy" {
  description = "Let `terraform destroy` delete the ECR repository and the artifact bucket with their content (images, artifacts). For throwaway demos only."
  type        = bool
  default     = false
}

# ---------------------------------------------------------------- CodeDeploy

variable "termination_wait_minutes" {
  description = "Minutes CodeDeploy keeps the old (blue) tasks after traffic moved, so a rollback is instant."
  type        = number
  default     = 5

  validation {
    condition     = var.termination_wait_minutes >= 0 && var.termination_wait_minutes <= 2880 && floor(var.termination_wait_minutes) == var.termination_wait_minutes
    error_message = "termination_wait_minutes must be a whole number from 0 to 2880 (two days, CodeDeploy's limit)."
  }
}

variable "ready_wait_minutes" {
  description = "0: shift traffic as soon as the green tasks are healthy. More: wait that long for a manual `deployer continue` (ContinueDeployment) and stop the deployment if nobody approves."
  type        = number
  default     = 0

  validation {
    condition     = var.ready_wait_minutes >= 0 && var.ready_wait_minutes <= 2880 && floor(var.ready_wait_minutes) == var.ready_wait_minutes
    error_message = "ready_wait_minutes must be a whole number from 0 to 2880."
  }
}

# ---------------------------------------------------------------- pipeline

variable "github_repository" {
  description = "GitHub repository the pipeline builds, as \"owner/name\"."
  type        = string
  default     = "example-org/bluegreen-demo"

  validation {
    condition     = can(regex("^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$", var.github_repository))
    error_message = "github_repository must be \"owner/name\", e.g. \"my-org/bluegreen-demo\"."
  }
}

variable "branch" {
  description = "Branch whose pushes start the pipeline."
  type        = string
  default     = "main"

  validation {
    condition     = length(var.branch) > 0 && !can(regex("[[:space:]~^:?*\\[\\\\]", var.branch))
    error_message = "branch must be a valid Git branch name (no spaces or ~ ^ : ? * [ \\)."
  }
}

variable "codebuild_compute_type" {
  description = "CodeBuild compute type. A Rust release build wants at least MEDIUM (4 vCPU, 7 GB)."
  type        = string
  default     = "BUILD_GENERAL1_MEDIUM"

  validation {
    condition     = contains(["BUILD_GENERAL1_SMALL", "BUILD_GENERAL1_MEDIUM", "BUILD_GENERAL1_LARGE", "BUILD_GENERAL1_XLARGE", "BUILD_GENERAL1_2XLARGE"], var.codebuild_compute_type)
    error_message = "codebuild_compute_type must be one of BUILD_GENERAL1_SMALL, _MEDIUM, _LARGE, _XLARGE, _2XLARGE."
  }
}

variable "codebuild_image" {
  description = "CodeBuild build image (a current AWS-managed standard image)."
  type        = string
  default     = "aws/codebuild/amazonlinux-x86_64-standard:5.0"
}

variable "build_timeout_minutes" {
  description = "CodeBuild build timeout, in minutes."
  type        = number
  default     = 30

  validation {
    condition     = var.build_timeout_minutes >= 5 && var.build_timeout_minutes <= 2160
    error_message = "build_timeout_minutes must be from 5 to 2160."
  }
}

variable "artifact_retention_days" {
  description = "Days before pipeline artifacts (and old versions of them) expire from the artifact bucket."
  type        = number
  default     = 30

  validation {
    condition     = var.artifact_retention_days >= 1 && floor(var.artifact_retention_days) == var.artifact_retention_days
    error_message = "artifact_retention_days must be a whole number of at least 1."
  }
}

# ---------------------------------------------------------------- 5xx rollback alarm

variable "errors_alarm_threshold" {
  description = "5xx answers of the service (counted from its access log) within one period that put the alarm in ALARM; CodeDeploy then rolls the deployment back (DEPLOYMENT_STOP_ON_ALARM), termination wait included. 5 by default: a demo serves little traffic, and a release that fails every request crosses it within seconds of a curl loop."
  type        = number
  default     = 5

  validation {
    condition     = var.errors_alarm_threshold >= 1 && floor(var.errors_alarm_threshold) == var.errors_alarm_threshold
    error_message = "errors_alarm_threshold must be a whole number of at least 1."
  }
}

variable "errors_alarm_period_seconds" {
  description = "Period of the 5xx alarm in seconds: 60 or a multiple of 60 (metrics from log filters are standard resolution)."
  type        = number
  default     = 60

  validation {
    condition     = var.errors_alarm_period_seconds >= 60 && var.errors_alarm_period_seconds % 60 == 0 && var.errors_alarm_period_seconds <= 3600
    error_message = "errors_alarm_period_seconds must be a multiple of 60 from 60 to 3600."
  }
}

variable "errors_alarm_evaluation_periods" {
  description = "Consecutive breaching periods before the 5xx alarm fires. 1 by default, so a failing release is rolled back within about two minutes, well inside the termination wait."
  type        = number
  default     = 1

  validation {
    condition     = var.errors_alarm_evaluation_periods >= 1 && var.errors_alarm_evaluation_periods <= 10 && floor(var.errors_alarm_evaluation_periods) == var.errors_alarm_evaluation_periods
    error_message = "errors_alarm_evaluation_periods must be a whole number from 1 to 10."
  }
}

# ---------------------------------------------------------------- validation hook (hook.tf)

variable "hook_timeout_seconds" {
  description = "Timeout of the validation hook function (AfterAllowTestTraffic). It sends hook_requests_per_task requests to every task of both sides, each bounded by hook_request_timeout_ms; a function that times out reports nothing and CodeDeploy fails the hook (rollback) when its own hook timeout ends."
  type        = number
  default     = 120

  validation {
    condition     = var.hook_timeout_seconds >= 10 && var.hook_timeout_seconds <= 900 && floor(var.hook_timeout_seconds) == var.hook_timeout_seconds
    error_message = "hook_timeout_seconds must be a whole number from 10 to 900 (Lambda's limit)."
  }
}

variable "hook_requests_per_task" {
  description = "HOOK_REQUESTS_PER_TASK: requests the hook sends to each green task and each healthy blue task."
  type        = number
  default     = 20

  validation {
    condition     = var.hook_requests_per_task >= 1 && var.hook_requests_per_task <= 1000 && floor(var.hook_requests_per_task) == var.hook_requests_per_task
    error_message = "hook_requests_per_task must be a whole number from 1 to 1000 (what the hook accepts)."
  }
}

variable "hook_request_timeout_ms" {
  description = "HOOK_REQUEST_TIMEOUT_MS: bound of each request the hook sends."
  type        = number
  default     = 2000

  validation {
    condition     = var.hook_request_timeout_ms >= 1 && var.hook_request_timeout_ms <= 60000 && floor(var.hook_request_timeout_ms) == var.hook_request_timeout_ms
    error_message = "hook_request_timeout_ms must be a whole number of milliseconds from 1 to 60000 (what the hook accepts)."
  }
}

variable "hook_max_p99_ratio" {
  description = "HOOK_MAX_P99_RATIO: green's latency p99 may be at most this many times blue's (or hook_p99_floor_ms, whichever is larger)."
  type        = number
  default     = 2

  validation {
    condition     = var.hook_max_p99_ratio >= 1
    error_message = "hook_max_p99_ratio must be at least 1."
  }
}

variable "hook_p99_floor_ms" {
  description = "HOOK_P99_FLOOR_MS: a p99 under this many milliseconds always passes (blue's p99 of a few ms would otherwise make the ratio fail on noise)."
  type        = number
  default     = 50

  validation {
    condition     = var.hook_p99_floor_ms >= 0
    error_message = "hook_p99_floor_ms must be 0 or more."
  }
}
