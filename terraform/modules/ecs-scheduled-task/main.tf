data "aws_partition" "current" {}

locals {
  partition      = data.aws_partition.current.partition
  log_group_name = "/ecs/${var.name}"
  log_group_arn  = "arn:${local.partition}:logs:${var.region}:${var.account_id}:log-group:${local.log_group_name}"
  cluster_arn    = "arn:${local.partition}:ecs:${var.region}:${var.account_id}:cluster/${var.cluster_name}"
  family_arn     = "arn:${local.partition}:ecs:${var.region}:${var.account_id}:task-definition/${var.name}:*"
  execution_role = "arn:${local.partition}:iam::${var.account_id}:role/${var.name}-exec"
  task_role      = "arn:${local.partition}:iam::${var.account_id}:role/${var.name}-task"

  container = {
    name                   = var.name
    image                  = var.image
    essential              = true
    command                = var.command
    user                   = "65532:65532"
    readonlyRootFilesystem = true
    environment            = [for k, v in var.environment : { name = k, value = v }]
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

  # Runs per event: one EventBridge rule per size tier (a single rule when scheduled or untiered),
  # one target per shard of a tier. A tier applies from its min_bytes up to the next tier's.
  size_tiers = var.s3_trigger == null ? [] : var.s3_trigger.size_tiers
  tiers = [for i in range(max(length(local.size_tiers), 1)) : {
    rule_name = length(local.size_tiers) > 1 ? "${var.name}-size${i}" : var.name
    min_bytes = try(local.size_tiers[i].min_bytes, null)
    max_bytes = try(local.size_tiers[i + 1].min_bytes, null)
    cpu       = try(local.size_tiers[i].cpu, null)
    memory    = try(local.size_tiers[i].memory, null)
    shards    = try(local.size_tiers[i].shards, 1)
  }]
  rule_arns = [for t in local.tiers : "arn:${local.partition}:events:${var.region}:${var.account_id}:rule/${t.rule_name}"]

  s3_key_match = var.s3_trigger == null ? null : [{ prefix = var.s3_trigger.prefix }]
  event_patterns = var.s3_trigger == null ? [null] : [for t in local.tiers :
    t.min_bytes == null ? jsonencode({
      source      = ["aws.s3"]
      detail-type = ["Object Created"]
      detail      = { bucket = { name = [var.s3_trigger.bucket] }, object = { key = local.s3_key_match } }
      }) : t.max_bytes == null ? jsonencode({
      source      = ["aws.s3"]
      detail-type = ["Object Created"]
      detail      = { bucket = { name = [var.s3_trigger.bucket] }, object = { key = local.s3_key_match, size = [{ numeric = [">=", t.min_bytes] }] } }
      }) : jsonencode({
      source      = ["aws.s3"]
      detail-type = ["Object Created"]
      detail      = { bucket = { name = [var.s3_trigger.bucket] }, object = { key = local.s3_key_match, size = [{ numeric = [">=", t.min_bytes, "<", t.max_bytes] }] } }
    })
  ]

  targets = flatten([for i, t in local.tiers : [for s in range(t.shards) : {
    tier      = i
    target_id = t.shards > 1 ? "${t.rule_name}-shard${s}" : t.rule_name
    shard     = s
    shards    = t.shards
    cpu       = t.cpu
    memory    = t.memory
  }]])

  # EventBridge placeholders (<bucket>, <key>) must stay literal; jsonencode escapes '<' and '>'.
  # {shard} and {shards} are filled in here, per target; a tier's cpu/memory override the task's.
  s3_input_templates = [for t in local.targets : var.s3_trigger == null ? null : replace(replace(jsonencode(merge(
    t.cpu == null ? {} : { cpu = tostring(t.cpu), memory = tostring(t.memory) },
    {
      containerOverrides = [{
        name    = var.name
        command = [for a in var.s3_trigger.command : replace(replace(a, "{shard}", tostring(t.shard)), "{shards}", tostring(t.shards))]
      }]
    },
  )), "\\u003c", "<"), "\\u003e", ">")]
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
# Task definition (Fargate) and network
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

resource "aws_security_group" "this" {
  count = var.create ? 1 : 0

  name_prefix = "${var.name}-task-"
  description = "Task ${var.name}"
  vpc_id      = var.vpc_id

  tags = var.tags

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_vpc_security_group_egress_rule" "https" {
  count = var.create ? length(var.egress_cidr_blocks) : 0

  security_group_id = aws_security_group.this[0].id
  description       = "HTTPS to AWS endpoints"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = var.egress_cidr_blocks[count.index]
}

################################################################################
# EventBridge: schedule or new-object trigger, and the role that starts the task
# https://docs.aws.amazon.com/AmazonECS/latest/developerguide/CWE_IAM_role.html
################################################################################

data "aws_iam_policy_document" "events_assume" {
  count = var.create ? 1 : 0

  statement {
    sid     = "EventBridgeAssumesRole"
    effect  = "Allow"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["events.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [var.account_id]
    }

    condition {
      test     = "ArnEquals"
      variable = "aws:SourceArn"
      values   = local.rule_arns
    }
  }
}

resource "aws_iam_role" "events" {
  count = var.create ? 1 : 0

  name                 = "${var.name}-events"
  description          = "EventBridge starts ${var.name}"
  assume_role_policy   = data.aws_iam_policy_document.events_assume[0].json
  max_session_duration = 3600

  tags = var.tags
}

data "aws_iam_policy_document" "events" {
  count = var.create ? 1 : 0

  statement {
    sid       = "RunTaskOnCluster"
    effect    = "Allow"
    actions   = ["ecs:RunTask"]
    resources = [local.family_arn]

    condition {
      test     = "ArnEquals"
      variable = "ecs:cluster"
      values   = [local.cluster_arn]
    }
  }

  statement {
    sid       = "TagStartedTasks"
    effect    = "Allow"
    actions   = ["ecs:TagResource"]
    resources = ["arn:${local.partition}:ecs:${var.region}:${var.account_id}:task/${var.cluster_name}/*"]

    condition {
      test     = "StringEquals"
      variable = "ecs:CreateAction"
      values   = ["RunTask"]
    }
  }

  statement {
    sid       = "PassTaskRoles"
    effect    = "Allow"
    actions   = ["iam:PassRole"]
    resources = [local.execution_role, local.task_role]

    condition {
      test     = "StringEquals"
      variable = "iam:PassedToService"
      values   = ["ecs-tasks.amazonaws.com"]
    }
  }
}

resource "aws_iam_role_policy" "events" {
  count = var.create ? 1 : 0

  name   = "run-task"
  role   = aws_iam_role.events[0].id
  policy = data.aws_iam_policy_document.events[0].json
}

resource "aws_cloudwatch_event_rule" "this" {
  count = var.create ? length(local.tiers) : 0

  name = local.tiers[count.index].rule_name
  description = var.s3_trigger == null ? "Scheduled run of ${var.name}" : (
    local.tiers[count.index].min_bytes == null
    ? "Run ${var.name} for each new object under s3://${var.s3_trigger.bucket}/${var.s3_trigger.prefix}"
    : "Run ${var.name} in ${local.tiers[count.index].shards} shard(s) for each new object of ${local.tiers[count.index].min_bytes} bytes${local.tiers[count.index].max_bytes == null ? " or more" : " up to ${local.tiers[count.index].max_bytes}"} under s3://${var.s3_trigger.bucket}/${var.s3_trigger.prefix}"
  )
  schedule_expression = var.s3_trigger == null ? var.schedule_expression : null
  event_pattern       = local.event_patterns[count.index]
  state               = "ENABLED"

  tags = var.tags

  lifecycle {
    precondition {
      condition     = (var.schedule_expression == null) != (var.s3_trigger == null)
      error_message = "Set exactly one of schedule_expression and s3_trigger."
    }
  }
}

resource "aws_cloudwatch_event_target" "this" {
  count = var.create ? length(local.targets) : 0

  rule      = aws_cloudwatch_event_rule.this[local.targets[count.index].tier].name
  target_id = local.targets[count.index].target_id
  arn       = var.cluster_arn
  role_arn  = aws_iam_role.events[0].arn

  ecs_target {
    task_definition_arn     = aws_ecs_task_definition.this[0].arn
    task_count              = local.targets[count.index].cpu == null ? var.task_count : 1
    launch_type             = "FARGATE"
    platform_version        = "1.4.0"
    propagate_tags          = "TASK_DEFINITION"
    enable_execute_command  = false
    enable_ecs_managed_tags = true

    network_configuration {
      subnets          = var.subnet_ids
      security_groups  = [aws_security_group.this[0].id]
      assign_public_ip = false
    }
  }

  retry_policy {
    maximum_retry_attempts       = var.retry_attempts
    maximum_event_age_in_seconds = 3600
  }

  dynamic "input_transformer" {
    for_each = var.s3_trigger == null ? [] : [true]
    content {
      input_paths = {
        bucket = "$.detail.bucket.name"
        key    = "$.detail.object.key"
      }
      input_template = local.s3_input_templates[count.index]
    }
  }

  depends_on = [aws_iam_role_policy.events]
}
