locals {
  symmetric = var.key_spec == "SYMMETRIC_DEFAULT"

  # Administration apart from use: these actions manage the key but cannot encrypt, decrypt or sign with it.
  admin_actions = [
    "kms:CancelKeyDeletion",
    "kms:CreateAlias",
    "kms:DeleteAlias",
    "kms:DescribeKey",
    "kms:DisableKey",
    "kms:DisableKeyRotation",
    "kms:EnableKey",
    "kms:EnableKeyRotation",
    "kms:GetKeyPolicy",
    "kms:GetKeyRotationStatus",
    "kms:ListAliases",
    "kms:ListGrants",
    "kms:ListKeyPolicies",
    "kms:ListResourceTags",
    "kms:PutKeyPolicy",
    "kms:RevokeGrant",
    "kms:RotateKeyOnDemand",
    "kms:ScheduleKeyDeletion",
    "kms:TagResource",
    "kms:UntagResource",
    "kms:UpdateAlias",
    "kms:UpdateKeyDescription",
  ]
}

################################################################################
# Key policy
# https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html
# No statement delegates to the account root: IAM policies cannot widen access to this key, so the
# principals named here are the only ones that can use it.
################################################################################

data "aws_iam_policy_document" "this" {
  count = var.create ? 1 : 0

  statement {
    sid       = "KeyAdministration"
    effect    = "Allow"
    actions   = local.admin_actions
    resources = ["*"]

    principals {
      type        = "AWS"
      identifiers = var.key_administrators
    }

    condition {
      test     = "StringEquals"
      variable = "kms:CallerAccount"
      values   = [var.account_id]
    }
  }

  dynamic "statement" {
    for_each = length(var.key_auditors) > 0 ? [var.key_auditors] : []
    content {
      sid       = "KeyAudit"
      effect    = "Allow"
      actions   = ["kms:DescribeKey", "kms:GetKeyPolicy", "kms:GetKeyRotationStatus", "kms:ListResourceTags"]
      resources = ["*"]

      principals {
        type        = "AWS"
        identifiers = statement.value
      }

      condition {
        test     = "StringEquals"
        variable = "kms:CallerAccount"
        values   = [var.account_id]
      }
    }
  }

  dynamic "statement" {
    for_each = var.key_users
    content {
      sid       = statement.value.sid
      effect    = "Allow"
      actions   = statement.value.actions
      resources = ["*"]

      principals {
        type        = "AWS"
        identifiers = statement.value.arns
      }

      condition {
        test     = "StringEquals"
        variable = "kms:CallerAccount"
        values   = [var.account_id]
      }

      dynamic "condition" {
        for_each = length(statement.value.via_services) > 0 ? [statement.value.via_services] : []
        content {
          test     = "StringEquals"
          variable = "kms:ViaService"
          values   = condition.value
        }
      }

      dynamic "condition" {
        for_each = contains(statement.value.actions, "kms:CreateGrant") ? [true] : []
        content {
          test     = "Bool"
          variable = "kms:GrantIsForAWSResource"
          values   = ["true"]
        }
      }

      dynamic "condition" {
        for_each = statement.value.encryption_context
        content {
          test     = condition.value.test
          variable = condition.value.variable
          values   = condition.value.values
        }
      }
    }
  }

  dynamic "statement" {
    for_each = var.service_principals
    content {
      sid       = statement.value.sid
      effect    = "Allow"
      actions   = statement.value.actions
      resources = ["*"]

      principals {
        type        = "Service"
        identifiers = [statement.value.service]
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

################################################################################
# Key
# https://docs.aws.amazon.com/kms/latest/developerguide/rotate-keys.html
################################################################################

# Orders the key after the principals its policy names (see var.principal_dependencies).
resource "terraform_data" "principals" {
  count = var.create ? 1 : 0

  input = var.principal_dependencies
}

resource "aws_kms_key" "this" {
  count = var.create ? 1 : 0

  description              = var.description
  key_usage                = local.symmetric ? "ENCRYPT_DECRYPT" : "GENERATE_VERIFY_MAC"
  customer_master_key_spec = var.key_spec
  multi_region             = false
  deletion_window_in_days  = var.deletion_window_in_days

  # Automatic rotation exists for symmetric encryption keys only.
  enable_key_rotation     = local.symmetric
  rotation_period_in_days = local.symmetric ? var.rotation_period_in_days : null

  bypass_policy_lockout_safety_check = false
  policy                             = data.aws_iam_policy_document.this[0].json

  tags = var.tags

  depends_on = [terraform_data.principals]
}

resource "aws_kms_alias" "this" {
  count = var.create ? 1 : 0

  name          = "alias/${var.name}"
  target_key_id = aws_kms_key.this[0].key_id
}
