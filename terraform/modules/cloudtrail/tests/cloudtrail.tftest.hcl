# terraform test (Terraform >= 1.7): the AWS provider is mocked, nothing is created.

mock_provider "aws" {}

variables {
  name           = "fcm-guard-test"
  account_id     = "123456789012"
  region         = "ca-central-1"
  s3_bucket_name = "fcm-guard-test-cloudtrail-123456789012"
  kms_key_arn    = "arn:aws:kms:ca-central-1:123456789012:key/00000000-0000-4000-8000-000000000000"
}

run "trail_is_multi_region_validated_and_encrypted" {
  command = plan

  assert {
    condition     = aws_cloudtrail.this[0].is_multi_region_trail && aws_cloudtrail.this[0].enable_log_file_validation && aws_cloudtrail.this[0].include_global_service_events
    error_message = "The trail covers every region, global services, and signs its digests."
  }

  assert {
    condition     = aws_cloudtrail.this[0].kms_key_id == var.kms_key_arn && aws_cloudwatch_log_group.this[0].kms_key_id == var.kms_key_arn
    error_message = "Trail files and the log group are encrypted with the given key."
  }

  assert {
    condition     = aws_cloudwatch_log_group.this[0].retention_in_days >= 365
    error_message = "The log group keeps at least a year."
  }

  assert {
    condition     = aws_sqs_queue.this[0].kms_master_key_id == var.kms_key_arn && aws_sqs_queue.dlq[0].kms_master_key_id == var.kms_key_arn
    error_message = "Both queues are encrypted with the given key."
  }
}

run "home_region_in_canada" {
  command = plan

  variables {
    region = "us-east-1"
  }

  expect_failures = [var.region]
}

run "log_retention_at_least_a_year" {
  command = plan

  variables {
    log_retention_days = 90
  }

  expect_failures = [var.log_retention_days]
}
