data "aws_partition" "current" {}

locals {
  partition  = data.aws_partition.current.partition
  bucket_arn = "arn:${local.partition}:s3:::${var.bucket}"
  tags       = merge(var.tags, { DataClass = var.data_class })

  create_replication = var.create && var.replication != null
  destination_arn    = var.replication == null ? null : "arn:${local.partition}:s3:::${var.replication.destination_bucket}"
  replication_role   = try(coalesce(var.replication.role_name), "${substr(var.bucket, 0, 52)}-replication")
}

################################################################################
# Bucket
# https://docs.aws.amazon.com/AmazonS3/latest/userguide/security-best-practices.html
################################################################################

resource "aws_s3_bucket" "this" {
  count = var.create ? 1 : 0

  bucket              = var.bucket
  force_destroy       = var.force_destroy
  object_lock_enabled = var.object_lock != null

  tags = local.tags
}

resource "aws_s3_bucket_ownership_controls" "this" {
  count = var.create ? 1 : 0

  bucket = aws_s3_bucket.this[0].id

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_public_access_block" "this" {
  count = var.create ? 1 : 0

  bucket                  = aws_s3_bucket.this[0].id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

################################################################################
# Encryption (SSE-KMS with a customer managed key and S3 Bucket Key)
# https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucket-key.html
################################################################################

resource "aws_s3_bucket_server_side_encryption_configuration" "this" {
  count = var.create ? 1 : 0

  bucket = aws_s3_bucket.this[0].id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = var.kms_key_arn
    }
    bucket_key_enabled = true
  }
}

################################################################################
# Versioning, lifecycle by data class, Object Lock
# https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-lifecycle-mgmt.html
################################################################################

resource "aws_s3_bucket_versioning" "this" {
  count = var.create ? 1 : 0

  bucket = aws_s3_bucket.this[0].id

  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "this" {
  count = var.create ? 1 : 0

  bucket = aws_s3_bucket.this[0].id

  rule {
    id     = "${var.data_class}-retention"
    status = "Enabled"

    filter {}

    expiration {
      days = var.expiration_days
    }

    noncurrent_version_expiration {
      noncurrent_days = var.noncurrent_version_expiration_days
    }

    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }
  }

  depends_on = [aws_s3_bucket_versioning.this]
}

resource "aws_s3_bucket_object_lock_configuration" "this" {
  count = var.create && var.object_lock != null ? 1 : 0

  bucket = aws_s3_bucket.this[0].id

  rule {
    default_retention {
      mode = var.object_lock.mode
      days = var.object_lock.days
    }
  }

  depends_on = [aws_s3_bucket_versioning.this]
}

################################################################################
# Access logging and event notifications
# https://docs.aws.amazon.com/AmazonS3/latest/userguide/ServerLogs.html
################################################################################

# Orders logging after the target bucket's policy (see var.access_logging.target_ready).
resource "terraform_data" "logging_target" {
  count = var.create && var.access_logging != null ? 1 : 0

  input = var.access_logging.target_ready
}

resource "aws_s3_bucket_logging" "this" {
  count = var.create && var.access_logging != null ? 1 : 0

  bucket        = aws_s3_bucket.this[0].id
  target_bucket = var.access_logging.target_bucket
  target_prefix = var.access_logging.target_prefix

  depends_on = [terraform_data.logging_target]
}

resource "aws_s3_bucket_notification" "this" {
  count = var.create && var.eventbridge_notifications ? 1 : 0

  bucket      = aws_s3_bucket.this[0].id
  eventbridge = true
}

################################################################################
# Bucket policy: TLS only (1.2 or later), SSE-KMS uploads only, plus the caller's statements
# https://docs.aws.amazon.com/AmazonS3/latest/userguide/security-best-practices.html#transit
################################################################################

data "aws_iam_policy_document" "this" {
  count = var.create ? 1 : 0

  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["s3:*"]
    resources = [local.bucket_arn, "${local.bucket_arn}/*"]

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

  statement {
    sid       = "DenyOutdatedTls"
    effect    = "Deny"
    actions   = ["s3:*"]
    resources = [local.bucket_arn, "${local.bucket_arn}/*"]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "NumericLessThan"
      variable = "s3:TlsVersion"
      values   = ["1.2"]
    }
  }

  statement {
    sid       = "DenyNonKmsUploads"
    effect    = "Deny"
    actions   = ["s3:PutObject"]
    resources = ["${local.bucket_arn}/*"]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "StringNotEqualsIfExists"
      variable = "s3:x-amz-server-side-encryption"
      values   = ["aws:kms"]
    }
  }

  dynamic "statement" {
    for_each = var.log_delivery ? [true] : []
    content {
      sid       = "AllowServerAccessLogDelivery"
      effect    = "Allow"
      actions   = ["s3:PutObject"]
      resources = ["${local.bucket_arn}/*"]

      principals {
        type        = "Service"
        identifiers = ["logging.s3.amazonaws.com"]
      }

      condition {
        test     = "StringEquals"
        variable = "aws:SourceAccount"
        values   = [var.account_id]
      }
    }
  }

  dynamic "statement" {
    for_each = var.policy_statements
    content {
      sid       = statement.value.sid
      effect    = statement.value.effect
      actions   = statement.value.actions
      resources = statement.value.resources

      dynamic "principals" {
        for_each = statement.value.principals
        content {
          type        = principals.value.type
          identifiers = principals.value.identifiers
        }
      }

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

resource "aws_s3_bucket_policy" "this" {
  count = var.create ? 1 : 0

  bucket = aws_s3_bucket.this[0].id
  policy = data.aws_iam_policy_document.this[0].json

  depends_on = [aws_s3_bucket_public_access_block.this]
}

################################################################################
# Cross-region replication to the disaster-recovery region
# https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication-config-for-kms-objects.html
# KMS permissions of the replication role live in the two key policies (source: decrypt via S3 in the
# source region; destination: encrypt via S3 in the destination region), not in this IAM policy.
################################################################################

data "aws_iam_policy_document" "replication_assume" {
  count = local.create_replication ? 1 : 0

  statement {
    sid     = "S3AssumesReplicationRole"
    effect  = "Allow"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["s3.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [var.account_id]
    }

    condition {
      test     = "ArnLike"
      variable = "aws:SourceArn"
      values   = [local.bucket_arn]
    }
  }
}

resource "aws_iam_role" "replication" {
  count = local.create_replication ? 1 : 0

  name                 = local.replication_role
  description          = "S3 replication of ${var.bucket} to ${var.replication.destination_bucket}"
  assume_role_policy   = data.aws_iam_policy_document.replication_assume[0].json
  max_session_duration = 3600

  tags = var.tags
}

data "aws_iam_policy_document" "replication" {
  count = local.create_replication ? 1 : 0

  statement {
    sid       = "ReadReplicationConfiguration"
    effect    = "Allow"
    actions   = ["s3:GetReplicationConfiguration", "s3:ListBucket"]
    resources = [local.bucket_arn]
  }

  statement {
    sid    = "ReadSourceVersions"
    effect = "Allow"
    actions = [
      "s3:GetObjectVersionForReplication",
      "s3:GetObjectVersionAcl",
      "s3:GetObjectVersionTagging",
    ]
    resources = ["${local.bucket_arn}/*"]

    condition {
      test     = "StringEquals"
      variable = "aws:RequestedRegion"
      values   = var.allowed_regions
    }
  }

  statement {
    sid       = "WriteReplicas"
    effect    = "Allow"
    actions   = ["s3:ReplicateObject", "s3:ReplicateDelete", "s3:ReplicateTags"]
    resources = ["${local.destination_arn}/*"]

    condition {
      test     = "StringEquals"
      variable = "aws:RequestedRegion"
      values   = var.allowed_regions
    }
  }
}

resource "aws_iam_role_policy" "replication" {
  count = local.create_replication ? 1 : 0

  name   = "replication"
  role   = aws_iam_role.replication[0].id
  policy = data.aws_iam_policy_document.replication[0].json
}

# Orders replication after the destination bucket's versioning (see var.replication.destination_ready).
resource "terraform_data" "replication_destination" {
  count = local.create_replication ? 1 : 0

  input = var.replication.destination_ready
}

resource "aws_s3_bucket_replication_configuration" "this" {
  count = local.create_replication ? 1 : 0

  bucket = aws_s3_bucket.this[0].id
  role   = aws_iam_role.replication[0].arn

  rule {
    id     = "disaster-recovery"
    status = "Enabled"

    filter {}

    delete_marker_replication {
      status = "Enabled"
    }

    source_selection_criteria {
      sse_kms_encrypted_objects {
        status = "Enabled"
      }
    }

    destination {
      bucket        = local.destination_arn
      storage_class = "STANDARD"

      encryption_configuration {
        replica_kms_key_id = var.replication.destination_kms_key_arn
      }
    }
  }

  depends_on = [aws_s3_bucket_versioning.this, terraform_data.replication_destination]
}
