# terraform test (Terraform >= 1.7): the AWS provider is mocked, nothing is created.

mock_provider "aws" {}

variables {
  name               = "fcm-guard-test-logs"
  description        = "test key"
  account_id         = "123456789012"
  key_administrators = ["arn:aws:iam::123456789012:role/fcm-guard-terraform-admin"]
  key_users = [{
    sid          = "AppDecryptsThroughS3"
    arns         = ["arn:aws:iam::123456789012:role/app-task"]
    actions      = ["kms:Decrypt"]
    via_services = ["s3.ca-central-1.amazonaws.com"]
  }]
}

run "symmetric_key_rotates_yearly" {
  command = plan

  assert {
    condition     = aws_kms_key.this[0].enable_key_rotation && aws_kms_key.this[0].rotation_period_in_days == 365
    error_message = "Symmetric keys must rotate yearly."
  }

  assert {
    condition     = aws_kms_key.this[0].multi_region == false && aws_kms_key.this[0].deletion_window_in_days == 30
    error_message = "Keys stay in their region and wait 30 days before deletion."
  }

  assert {
    condition     = aws_kms_alias.this[0].name == "alias/fcm-guard-test-logs"
    error_message = "The alias is alias/<name>."
  }
}

run "hmac_key_does_not_claim_rotation" {
  command = plan

  variables {
    key_spec = "HMAC_256"
  }

  assert {
    condition     = aws_kms_key.this[0].key_usage == "GENERATE_VERIFY_MAC" && aws_kms_key.this[0].enable_key_rotation == false
    error_message = "HMAC keys are GENERATE_VERIFY_MAC and cannot rotate automatically."
  }
}

run "root_cannot_administer" {
  command = plan

  variables {
    key_administrators = ["arn:aws:iam::123456789012:root"]
  }

  expect_failures = [var.key_administrators]
}

run "users_get_no_wildcards" {
  command = plan

  variables {
    key_users = [{ sid = "Everything", arns = ["arn:aws:iam::123456789012:role/app-task"], actions = ["kms:*"], via_services = [] }]
  }

  expect_failures = [var.key_users]
}

run "service_principals_need_a_source_condition" {
  command = plan

  variables {
    service_principals = [{ sid = "Logs", service = "logs.ca-central-1.amazonaws.com", actions = ["kms:Encrypt"], conditions = [] }]
  }

  expect_failures = [var.service_principals]
}

run "rotation_at_least_yearly" {
  command = plan

  variables {
    rotation_period_in_days = 730
  }

  expect_failures = [var.rotation_period_in_days]
}
