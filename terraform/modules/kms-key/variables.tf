variable "create" {
  description = "Whether to create the key (and its alias)."
  type        = bool
  default     = true
}

variable "name" {
  description = "Short name of the key; the alias becomes `alias/<name>`."
  type        = string

  validation {
    condition     = can(regex("^[a-zA-Z0-9/_-]+$", var.name)) && !startswith(var.name, "aws/")
    error_message = "The name may hold letters, digits, '/', '_' and '-', and must not start with 'aws/'."
  }
}

variable "description" {
  description = "Human-readable description stored on the key."
  type        = string
}

variable "key_spec" {
  description = "Key spec: `SYMMETRIC_DEFAULT` for encryption keys, `HMAC_256` for keyed-hash (tokenisation) keys."
  type        = string
  default     = "SYMMETRIC_DEFAULT"

  validation {
    condition     = contains(["SYMMETRIC_DEFAULT", "HMAC_256", "HMAC_384", "HMAC_512"], var.key_spec)
    error_message = "Supported key specs: SYMMETRIC_DEFAULT, HMAC_256, HMAC_384, HMAC_512."
  }
}

variable "rotation_period_in_days" {
  description = "Automatic rotation period of symmetric encryption keys, 90-365 days (at least yearly). HMAC keys cannot rotate automatically."
  type        = number
  default     = 365

  validation {
    condition     = var.rotation_period_in_days >= 90 && var.rotation_period_in_days <= 365
    error_message = "Rotate at least yearly: rotation_period_in_days must be between 90 and 365."
  }
}

variable "deletion_window_in_days" {
  description = "Waiting period before a scheduled deletion completes (7-30 days)."
  type        = number
  default     = 30

  validation {
    condition     = var.deletion_window_in_days >= 7 && var.deletion_window_in_days <= 30
    error_message = "deletion_window_in_days must be between 7 and 30."
  }
}

variable "account_id" {
  description = "Account that owns the key; every grant is limited to callers from this account (`kms:CallerAccount`)."
  type        = string
}

variable "key_administrators" {
  description = "IAM role ARNs that administer the key (policy, rotation, tags, deletion). They cannot use it for cryptographic operations."
  type        = list(string)

  validation {
    condition     = length(var.key_administrators) > 0 && alltrue([for a in var.key_administrators : !endswith(a, ":root") && a != "*"])
    error_message = "Name at least one administrator role; the account root and `*` are not accepted."
  }
}

variable "key_auditors" {
  description = "IAM role ARNs that may read the key's metadata (description, policy, rotation status, tags) for compliance audits; no use, no administration."
  type        = list(string)
  default     = []
}

variable "key_users" {
  description = <<-EOT
    Principals allowed to use the key, each limited to the AWS services that call KMS on their behalf.
    `arns`: IAM role ARNs. `actions`: KMS data actions (default: decrypt and generate data keys).
    `via_services`: service endpoints for `kms:ViaService` (e.g. `s3.ca-central-1.amazonaws.com`); an empty list
    means direct calls to KMS (e.g. an application doing envelope encryption or `GenerateMac` itself).
  EOT
  type = list(object({
    sid          = string
    arns         = list(string)
    actions      = optional(list(string), ["kms:Decrypt", "kms:GenerateDataKey", "kms:DescribeKey"])
    via_services = list(string)
    encryption_context = optional(list(object({
      test     = string
      variable = string
      values   = list(string)
    })), [])
  }))
  default = []

  validation {
    condition = alltrue(flatten([
      for u in var.key_users : [for a in u.actions : startswith(a, "kms:") && !strcontains(a, "*") && !contains(["kms:PutKeyPolicy", "kms:ScheduleKeyDeletion", "kms:DisableKey", "kms:UpdateKeyDescription"], a)]
    ]))
    error_message = "Key users get named cryptographic KMS actions only (no wildcards, no administration); kms:CreateGrant is limited to grants for AWS resources."
  }
}

variable "service_principals" {
  description = <<-EOT
    AWS service principals that use the key directly (CloudTrail, CloudWatch Logs, S3 notifications, S3 log delivery).
    Every entry must carry at least one condition naming the source (`aws:SourceArn`, `aws:SourceAccount` or an
    encryption context) so that another account's use of the service cannot reach the key (confused deputy).
  EOT
  type = list(object({
    sid     = string
    service = string
    actions = list(string)
    conditions = list(object({
      test     = string
      variable = string
      values   = list(string)
    }))
  }))
  default = []

  validation {
    condition     = alltrue([for s in var.service_principals : length(s.conditions) > 0 && endswith(s.service, ".amazonaws.com")])
    error_message = "Every service principal needs at least one source condition."
  }
}

variable "principal_dependencies" {
  description = "Values the key waits for, such as the ARNs output by the modules that create the roles named in `key_users` and `key_auditors`: KMS refuses a key policy naming principals that do not exist yet. They do not enter the policy (which stays known at plan time)."
  type        = list(string)
  default     = []
}

variable "tags" {
  description = "Tags for the key."
  type        = map(string)
  default     = {}
}
