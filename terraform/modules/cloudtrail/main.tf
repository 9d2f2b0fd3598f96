data "aws_partition" "current" {}

locals {
  partition      = data.aws_partition.current.partition
  trail_arn      = "arn:${local.partition}:cloudtrail:${var.region}:${var.account_id}:trail/${var.name}"
  bucket_arn     = "arn:${local.partition}:s3:::${var.s3_bucket_name}"
  log_group_name = "/aws/cloudtrail/${var.name}"
  log_group_arn  = "arn:${local.partition}:logs:${var.region}:${var.account_id}:log-group:${local.log_group_name}"
  queue_name     = "${var.name}-objects"
  queue_arn      = "arn:${local.partition}:sqs:${var.region}:${var.account_id}:${local.queue_name}"
  dlq_name       = "${var.name}-objects-dlq"
  dlq_arn        = "arn:${local.partition}:sqs:${var.region}:${var.account_id}:${local.dlq_name}"
}

################################################################################
# CloudWatch Logs delivery
# https://docs.aws.amazon.com/awscloudtrail/latest/userguide/send-cloudtrail-events-to-cloudwatch-logs.html
################################################################################

resource "aws_cloudwatch_log_group" "this" {
  count = var.create ? 1 : 0

  name              = local.log_group_name
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn

  tags = merge(var.tags, { DataClass = "logs" })
}

data "aws_iam_policy_document" "cloudwatch_assume" {
  count = var.create ? 1 : 0

  statement {
    sid     = "CloudTrailAssumesDeliveryRole"
    effect  = "Allow"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["cloudtrail.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceArn"
      values   = [local.trail_arn]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [var.account_id]
    }
  }
}

resource "aws_iam_role" "cloudwatch" {
  count = var.create ? 1 : 0

  name                 = "${var.name}-cloudwatch-logs"
  description          = "CloudTrail delivery of ${var.name} to CloudWatch Logs"
  assume_role_policy   = data.aws_iam_policy_document.cloudwatch_assume[0].json
  max_session_duration = 3600

  tags = var.tags
}

data "aws_iam_policy_document" "cloudwatch" {
  count = var.create ? 1 : 0

  statement {
    sid       = "WriteTrailLogStreams"
    effect    = "Allow"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${local.log_group_arn}:log-stream:*"]
  }
}

resource "aws_iam_role_policy" "cloudwatch" {
  count = var.create ? 1 : 0

  name   = "cloudwatch-logs-delivery"
  role   = aws_iam_role.cloudwatch[0].id
  policy = data.aws_iam_policy_document.cloudwatch[0].json
}

# Orders the trail and the notification after the bucket policy (see var.bucket_ready).
resource "terraform_data" "bucket_ready" {
  count = var.create ? 1 : 0

  input = var.bucket_ready
}

################################################################################
# Trail: multi-region, log file validation, KMS
# https://docs.aws.amazon.com/awscloudtrail/latest/userguide/best-practices-security.html
################################################################################

resource "aws_cloudtrail" "this" {
  count = var.create ? 1 : 0

  name                          = var.name
  s3_bucket_name                = var.s3_bucket_name
  is_multi_region_trail         = true
  include_global_service_events = true
  enable_log_file_validation    = true
  enable_logging                = true
  kms_key_id                    = var.kms_key_arn
  cloud_watch_logs_group_arn    = "${aws_cloudwatch_log_group.this[0].arn}:*"
  cloud_watch_logs_role_arn     = aws_iam_role.cloudwatch[0].arn

  advanced_event_selector {
    name = "Management events"

    field_selector {
      field  = "eventCategory"
      equals = ["Management"]
    }
  }

  dynamic "advanced_event_selector" {
    for_each = length(var.data_event_bucket_arns) > 0 ? [true] : []
    content {
      name = "S3 object events on sensitive buckets"

      field_selector {
        field  = "eventCategory"
        equals = ["Data"]
      }

      field_selector {
        field  = "resources.type"
        equals = ["AWS::S3::Object"]
      }

      field_selector {
        field       = "resources.ARN"
        starts_with = [for b in var.data_event_bucket_arns : "${b}/"]
      }
    }
  }

  tags = var.tags

  depends_on = [aws_iam_role_policy.cloudwatch, terraform_data.bucket_ready]
}

################################################################################
# New trail files -> SQS (with dead-letter queue) for the log-shipper
# https://docs.aws.amazon.com/AmazonS3/latest/userguide/ways-to-add-notification-config-to-bucket.html
################################################################################

resource "aws_sqs_queue" "dlq" {
  count = var.create ? 1 : 0

  name                              = local.dlq_name
  message_retention_seconds         = var.dlq_retention_seconds
  kms_master_key_id                 = var.kms_key_arn
  kms_data_key_reuse_period_seconds = 300

  tags = var.tags
}

resource "aws_sqs_queue" "this" {
  count = var.create ? 1 : 0

  name                              = local.queue_name
  visibility_timeout_seconds        = var.queue_visibility_timeout_seconds
  message_retention_seconds         = 345600
  receive_wait_time_seconds         = 20
  kms_master_key_id                 = var.kms_key_arn
  kms_data_key_reuse_period_seconds = 300

  redrive_policy = jsonencode({
    deadLetterTargetArn = aws_sqs_queue.dlq[0].arn
    maxReceiveCount     = var.queue_max_receive_count
  })

  tags = var.tags
}

data "aws_iam_policy_document" "queue" {
  count = var.create ? 1 : 0

  statement {
    sid       = "AllowTrailBucketNotifications"
    effect    = "Allow"
    actions   = ["sqs:SendMessage"]
    resources = [local.queue_arn]

    principals {
      type        = "Service"
      identifiers = ["s3.amazonaws.com"]
    }

    condition {
      test     = "ArnEquals"
      variable = "aws:SourceArn"
      values   = [local.bucket_arn]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [var.account_id]
    }
  }

  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["sqs:*"]
    resources = [local.queue_arn]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

resource "aws_sqs_queue_policy" "this" {
  count = var.create ? 1 : 0

  queue_url = aws_sqs_queue.this[0].id
  policy    = data.aws_iam_policy_document.queue[0].json
}

data "aws_iam_policy_document" "dlq" {
  count = var.create ? 1 : 0

  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["sqs:*"]
    resources = [local.dlq_arn]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

resource "aws_sqs_queue_policy" "dlq" {
  count = var.create ? 1 : 0

  queue_url = aws_sqs_queue.dlq[0].id
  policy    = data.aws_iam_policy_document.dlq[0].json
}

resource "aws_s3_bucket_notification" "this" {
  count = var.create ? 1 : 0

  bucket = var.s3_bucket_name

  queue {
    id            = "cloudtrail-objects"
    queue_arn     = aws_sqs_queue.this[0].arn
    events        = ["s3:ObjectCreated:*"]
    filter_prefix = "AWSLogs/${var.account_id}/CloudTrail/" # log files only, not the digest files
    filter_suffix = ".json.gz"
  }

  depends_on = [aws_sqs_queue_policy.this, terraform_data.bucket_ready]
}
