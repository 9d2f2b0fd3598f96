data "aws_partition" "current" {}

locals {
  partition      = data.aws_partition.current.partition
  create_alb     = var.create && var.create_alb
  log_group_name = "/ecs/${var.name}"
  log_group_arn  = "arn:${local.partition}:logs:${var.region}:${var.account_id}:log-group:${local.log_group_name}"

  container = {
    name                   = var.name
    image                  = var.image
    essential              = true
    command                = var.command
    user                   = "65532:65532"
    readonlyRootFilesystem = true
    stopTimeout            = var.stop_timeout_seconds
    environment            = [for k, v in var.environment : { name = k, value = v }]
    portMappings           = var.container_port == null ? [] : [{ containerPort = var.container_port, protocol = "tcp" }]
    # null leaves the health check to the load balancer (the provider drops null fields).
    healthCheck = var.container_health_check == null ? null : {
      command     = var.container_health_check
      interval    = 30
      timeout     = 5
      retries     = 3
      startPeriod = 15
    }
    linuxParameters = {
      initProcessEnabled = true
      capabilities       = { drop = ["ALL"] }
    }
    logConfiguration = {
      logDriver = "awslogs"
      options = {
        awslogs-group         = local.log_group_name
        awslogs-region        = var.region
        awslogs-stream-prefix = var.name
      }
    }
  }
}

################################################################################
# Logs
# https://docs.aws.amazon.com/AmazonECS/latest/developerguide/using_awslogs.html
################################################################################

resource "aws_cloudwatch_log_group" "this" {
  count = var.create ? 1 : 0

  name              = local.log_group_name
  retention_in_days = var.log_retention_days
  kms_key_id        = var.log_kms_key_arn

  tags = merge(var.tags, { DataClass = "logs" })
}

################################################################################
# Task Execution - IAM Role (image pull and log delivery only)
# https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task_execution_IAM_role.html
################################################################################

data "aws_iam_policy_document" "assume" {
  count = var.create ? 1 : 0

  statement {
    sid     = "EcsTasksAssumeRole"
    effect  = "Allow"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["ecs-tasks.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [var.account_id]
    }

    condition {
      test     = "ArnLike"
      variable = "aws:SourceArn"
      values   = ["arn:${local.partition}:ecs:${var.region}:${var.account_id}:*"]
    }
  }
}

resource "aws_iam_role" "execution" {
  count = var.create ? 1 : 0

  name                 = "${var.name}-exec"
  description          = "ECS task execution role of ${var.name}: image pull and log delivery"
  assume_role_policy   = data.aws_iam_policy_document.assume[0].json
  max_session_duration = 3600

  tags = var.tags
}

data "aws_iam_policy_document" "execution" {
  count = var.create ? 1 : 0

  # ECR issues registry tokens only account-wide: the action has no resource-level form. The token
  # is as strong as the PullImage statement below (one repository, read-only).
  statement {
    sid       = "EcrAuthorizationToken"
    effect    = "Allow"
    actions   = ["ecr:GetAuthorizationToken"]
    resources = ["*"]

    condition {
      test     = "StringEquals"
      variable = "aws:RequestedRegion"
      values   = [var.region]
    }
  }

  statement {
    sid       = "PullImage"
    effect    = "Allow"
    actions   = ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]
    resources = [var.ecr_repository_arn]
  }

  statement {
    sid       = "WriteContainerLogs"
    effect    = "Allow"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${local.log_group_arn}:log-stream:*"]
  }
}

resource "aws_iam_role_policy" "execution" {
  count = var.create ? 1 : 0

  name   = "task-execution"
  role   = aws_iam_role.execution[0].id
  policy = data.aws_iam_policy_document.execution[0].json
}

################################################################################
# Task - IAM Role (the application's own permissions)
# https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-iam-roles.html
################################################################################

resource "aws_iam_role" "task" {
  count = var.create ? 1 : 0

  name                 = "${var.name}-task"
  description          = "ECS task role of ${var.name}"
  assume_role_policy   = data.aws_iam_policy_document.assume[0].json
  max_session_duration = 3600

  tags = var.tags
}

data "aws_iam_policy_document" "task" {
  count = var.create && length(var.task_iam_statements) > 0 ? 1 : 0

  dynamic "statement" {
    for_each = var.task_iam_statements
    content {
      sid       = statement.value.sid
      effect    = "Allow"
      actions   = statement.value.actions
      resources = statement.value.resources

      dynamic "condition" {
        for_each = statement.value.conditions
        content {
          test     = condition.value.test
          variable = condition.value.variable
          values   = condition.value.values
        }
      }
    }
  }
}

resource "aws_iam_role_policy" "task" {
  # A role whose only permissions come from key policies (e.g. direct KMS use) gets no identity policy.
  count = var.create && length(var.task_iam_statements) > 0 ? 1 : 0

  name   = "application"
  role   = aws_iam_role.task[0].id
  policy = data.aws_iam_policy_document.task[0].json
}

################################################################################
# Task definition and service (Fargate)
# https://docs.aws.amazon.com/AmazonECS/latest/developerguide/security-fargate.html
################################################################################

resource "aws_ecs_task_definition" "this" {
  count = var.create ? 1 : 0

  family                   = var.name
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = var.cpu
  memory                   = var.memory
  execution_role_arn       = aws_iam_role.execution[0].arn
  task_role_arn            = aws_iam_role.task[0].arn
  container_definitions    = jsonencode([local.container])

  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = var.cpu_architecture
  }

  tags = var.tags
}

resource "aws_security_group" "service" {
  count = var.create ? 1 : 0

  name_prefix = "${var.name}-tasks-"
  description = "Tasks of ${var.name}"
  vpc_id      = var.vpc_id

  tags = var.tags

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_vpc_security_group_egress_rule" "service_https" {
  count = var.create ? length(var.egress_cidr_blocks) : 0

  security_group_id = aws_security_group.service[0].id
  description       = "HTTPS to AWS endpoints"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = var.egress_cidr_blocks[count.index]
}

resource "aws_ecs_service" "this" {
  count = var.create ? 1 : 0

  name                   = var.name
  cluster                = var.cluster_arn
  task_definition        = aws_ecs_task_definition.this[0].arn
  desired_count          = var.desired_count
  launch_type            = "FARGATE"
  platform_version       = "1.4.0"
  enable_execute_command = false
  propagate_tags         = "SERVICE"
  wait_for_steady_state  = false

  health_check_grace_period_seconds = local.create_alb ? 60 : null

  network_configuration {
    subnets          = var.subnet_ids
    security_groups  = [aws_security_group.service[0].id]
    assign_public_ip = false
  }

  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }

  dynamic "load_balancer" {
    for_each = local.create_alb ? [true] : []
    content {
      target_group_arn = aws_lb_target_group.this[0].arn
      container_name   = var.name
      container_port   = var.container_port
    }
  }

  tags = var.tags

  lifecycle {
    ignore_changes = [desired_count]
  }

  depends_on = [aws_iam_role_policy.task, aws_lb_listener.https]
}

################################################################################
# Autoscaling: CPU and, behind a load balancer, requests per target
# https://docs.aws.amazon.com/AmazonECS/latest/developerguide/service-autoscaling-targettracking.html
################################################################################

resource "aws_appautoscaling_target" "this" {
  count = var.create ? 1 : 0

  service_namespace  = "ecs"
  resource_id        = "service/${var.cluster_name}/${aws_ecs_service.this[0].name}"
  scalable_dimension = "ecs:service:DesiredCount"
  min_capacity       = var.autoscaling.min_capacity
  max_capacity       = var.autoscaling.max_capacity
}

resource "aws_appautoscaling_policy" "cpu" {
  count = var.create ? 1 : 0

  name               = "${var.name}-cpu"
  policy_type        = "TargetTrackingScaling"
  service_namespace  = aws_appautoscaling_target.this[0].service_namespace
  resource_id        = aws_appautoscaling_target.this[0].resource_id
  scalable_dimension = aws_appautoscaling_target.this[0].scalable_dimension

  target_tracking_scaling_policy_configuration {
    target_value       = var.autoscaling.cpu_target_percent
    scale_in_cooldown  = 300
    scale_out_cooldown = 60

    predefined_metric_specification {
      predefined_metric_type = "ECSServiceAverageCPUUtilization"
    }
  }
}

resource "aws_appautoscaling_policy" "requests" {
  count = local.create_alb ? 1 : 0

  name               = "${var.name}-requests"
  policy_type        = "TargetTrackingScaling"
  service_namespace  = aws_appautoscaling_target.this[0].service_namespace
  resource_id        = aws_appautoscaling_target.this[0].resource_id
  scalable_dimension = aws_appautoscaling_target.this[0].scalable_dimension

  target_tracking_scaling_policy_configuration {
    target_value       = var.autoscaling.requests_per_target
    scale_in_cooldown  = 300
    scale_out_cooldown = 60

    predefined_metric_specification {
      predefined_metric_type = "ALBRequestCountPerTarget"
      resource_label         = "${aws_lb.this[0].arn_suffix}/${aws_lb_target_group.this[0].arn_suffix}"
    }
  }
}

################################################################################
# Load balancer: HTTPS only, TLS 1.2+, health checks
# https://docs.aws.amazon.com/elasticloadbalancing/latest/application/describe-ssl-policies.html
################################################################################

resource "aws_security_group" "alb" {
  count = local.create_alb ? 1 : 0

  name_prefix = "${var.name}-alb-"
  description = "Load balancer of ${var.name}"
  vpc_id      = var.vpc_id

  tags = var.tags

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_vpc_security_group_ingress_rule" "alb_https" {
  count = local.create_alb ? length(var.alb_ingress_cidr_blocks) : 0

  security_group_id = aws_security_group.alb[0].id
  description       = "HTTPS from clients"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = var.alb_ingress_cidr_blocks[count.index]
}

resource "aws_vpc_security_group_egress_rule" "alb_to_service" {
  count = local.create_alb ? 1 : 0

  security_group_id            = aws_security_group.alb[0].id
  description                  = "To the tasks"
  ip_protocol                  = "tcp"
  from_port                    = var.container_port
  to_port                      = var.container_port
  referenced_security_group_id = aws_security_group.service[0].id
}

resource "aws_vpc_security_group_ingress_rule" "service_from_alb" {
  count = local.create_alb ? 1 : 0

  security_group_id            = aws_security_group.service[0].id
  description                  = "From the load balancer"
  ip_protocol                  = "tcp"
  from_port                    = var.container_port
  to_port                      = var.container_port
  referenced_security_group_id = aws_security_group.alb[0].id
}

resource "aws_lb" "this" {
  count = local.create_alb ? 1 : 0

  name                       = var.name
  load_balancer_type         = "application"
  internal                   = var.alb_internal
  subnets                    = var.alb_subnet_ids
  security_groups            = [aws_security_group.alb[0].id]
  drop_invalid_header_fields = true
  desync_mitigation_mode     = "strictest"
  enable_deletion_protection = var.deletion_protection

  tags = var.tags
}

resource "aws_lb_target_group" "this" {
  count = local.create_alb ? 1 : 0

  name_prefix          = "tgt-"
  port                 = var.container_port
  protocol             = var.target_protocol
  target_type          = "ip"
  vpc_id               = var.vpc_id
  deregistration_delay = var.stop_timeout_seconds

  health_check {
    enabled             = true
    path                = var.health_check_path
    protocol            = var.target_protocol
    matcher             = "200"
    interval            = 15
    timeout             = 5
    healthy_threshold   = 2
    unhealthy_threshold = 3
  }

  tags = var.tags

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_lb_listener" "https" {
  count = local.create_alb ? 1 : 0

  load_balancer_arn = aws_lb.this[0].arn
  port              = 443
  protocol          = "HTTPS"
  ssl_policy        = var.ssl_policy
  certificate_arn   = var.certificate_arn

  default_action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.this[0].arn
  }

  tags = var.tags
}

################################################################################
# WAF web ACL with AWS managed rule groups, and its logs
# https://docs.aws.amazon.com/waf/latest/developerguide/aws-managed-rule-groups-list.html
################################################################################

resource "aws_wafv2_web_acl" "this" {
  count = local.create_alb ? 1 : 0

  name        = var.name
  description = "Front door of ${var.name}"
  scope       = "REGIONAL"

  default_action {
    allow {}
  }

  dynamic "rule" {
    for_each = {
      AWSManagedRulesCommonRuleSet          = 10
      AWSManagedRulesKnownBadInputsRuleSet  = 20
      AWSManagedRulesAmazonIpReputationList = 30
    }
    content {
      name     = rule.key
      priority = rule.value

      override_action {
        none {}
      }

      statement {
        managed_rule_group_statement {
          vendor_name = "AWS"
          name        = rule.key
        }
      }

      visibility_config {
        cloudwatch_metrics_enabled = true
        metric_name                = "${var.name}-${rule.key}"
        sampled_requests_enabled   = false
      }
    }
  }

  rule {
    name     = "rate-limit-per-ip"
    priority = 40

    action {
      block {}
    }

    statement {
      rate_based_statement {
        limit              = var.waf_rate_limit
        aggregate_key_type = "IP"
      }
    }

    visibility_config {
      cloudwatch_metrics_enabled = true
      metric_name                = "${var.name}-rate-limit"
      sampled_requests_enabled   = false
    }
  }

  visibility_config {
    cloudwatch_metrics_enabled = true
    metric_name                = var.name
    sampled_requests_enabled   = false
  }

  tags = var.tags
}

resource "aws_wafv2_web_acl_association" "this" {
  count = local.create_alb ? 1 : 0

  resource_arn = aws_lb.this[0].arn
  web_acl_arn  = aws_wafv2_web_acl.this[0].arn
}

resource "aws_cloudwatch_log_group" "waf" {
  count = local.create_alb ? 1 : 0

  # WAF requires the aws-waf-logs- prefix.
  name              = "aws-waf-logs-${var.name}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.log_kms_key_arn

  tags = merge(var.tags, { DataClass = "logs" })
}

resource "aws_wafv2_web_acl_logging_configuration" "this" {
  count = local.create_alb ? 1 : 0

  resource_arn            = aws_wafv2_web_acl.this[0].arn
  log_destination_configs = [aws_cloudwatch_log_group.waf[0].arn]

  redacted_fields {
    single_header {
      name = "authorization"
    }
  }

  redacted_fields {
    single_header {
      name = "cookie"
    }
  }
}
