# terraform test (Terraform >= 1.7): the AWS provider is mocked, nothing is created.

mock_provider "aws" {}

variables {
  bucket          = "fcm-guard-test-pii-123456789012"
  account_id      = "123456789012"
  data_class      = "pii"
  expiration_days = 7
  kms_key_arn     = "arn:aws:kms:ca-central-1:123456789012:key/00000000-0000-4000-8000-000000000000"
}

run "pii_bucket_is_encrypted_private_versioned_and_expires" {
  command = plan

  assert {
    condition     = aws_s3_bucket.this[0].tags["DataClass"] == "pii"
    error_message = "The data class is tagged."
  }

  assert {
    condition = alltrue([
      aws_s3_bucket_public_access_block.this[0].block_public_acls,
      aws_s3_bucket_public_access_block.this[0].block_public_policy,
      aws_s3_bucket_public_access_block.this[0].ignore_public_acls,
      aws_s3_bucket_public_access_block.this[0].restrict_public_buckets,
    ])
    error_message = "All four Block Public Access settings are on."
  }

  assert {
    condition     = one(one(aws_s3_bucket_server_side_encryption_configuration.this[0].rule).apply_server_side_encryption_by_default).sse_algorithm == "aws:kms"
    error_message = "Default encryption is SSE-KMS."
  }

  assert {
    condition     = one(aws_s3_bucket_server_side_encryption_configuration.this[0].rule).bucket_key_enabled
    error_message = "S3 Bucket Key is on."
  }

  assert {
    condition     = one(aws_s3_bucket_versioning.this[0].versioning_configuration).status == "Enabled"
    error_message = "Versioning is on."
  }

  assert {
    condition     = one(one(aws_s3_bucket_lifecycle_configuration.this[0].rule).expiration).days == 7
    error_message = "PII expires as configured."
  }

  assert {
    condition     = length(aws_s3_bucket_object_lock_configuration.this) == 0 && length(aws_s3_bucket_replication_configuration.this) == 0
    error_message = "Object Lock and replication are opt-in."
  }
}

run "pii_longer_than_seven_years_is_rejected" {
  command = plan

  variables {
    expiration_days = 3000
  }

  expect_failures = [var.expiration_days]
}

run "logs_shorter_than_a_year_are_rejected" {
  command = plan

  variables {
    data_class      = "logs"
    expiration_days = 90
  }

  expect_failures = [var.expiration_days]
}

run "access_log_buckets_cannot_have_default_retention" {
  command = plan

  variables {
    data_class      = "access-logs"
    expiration_days = 730
    object_lock     = { mode = "COMPLIANCE", days = 365 }
  }

  expect_failures = [var.object_lock]
}

run "replication_stays_in_canada" {
  command = plan

  variables {
    replication = {
      destination_bucket      = "fcm-guard-test-replica"
      destination_kms_key_arn = "arn:aws:kms:us-east-1:123456789012:key/00000000-0000-4000-8000-000000000000"
      destination_region      = "us-east-1"
    }
  }

  expect_failures = [var.replication]
}

run "log_bucket_with_object_lock" {
  command = plan

  variables {
    data_class      = "logs"
    expiration_days = 2557
    object_lock     = { mode = "COMPLIANCE", days = 365 }
  }

  assert {
    condition     = aws_s3_bucket.this[0].object_lock_enabled && one(one(aws_s3_bucket_object_lock_configuration.this[0].rule).default_retention).mode == "COMPLIANCE"
    error_message = "Object Lock is enabled with the requested default retention."
  }
}
