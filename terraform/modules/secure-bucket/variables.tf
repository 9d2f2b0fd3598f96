variable "create" {
  description = "Whether to create the bucket and everything attached to it."
  type        = bool
  default     = true
}

variable "bucket" {
  description = "Bucket name (globally unique)."
  type        = string
}

variable "account_id" {
  description = "Account that owns the bucket; service principals writing to it are limited to this account."
  type        = string
}

variable "data_class" {
  description = "Data class of the objects, written to the `DataClass` tag and driving the lifecycle: `pii` (expiry of at most 2555 days), `logs` (kept at least 365 days), `access-logs` (S3 server access logs: kept at least 365 days, no Object Lock default retention, which S3 log delivery does not support) or `internal`."
  type        = string

  validation {
    condition     = contains(["pii", "logs", "access-logs", "internal"], var.data_class)
    error_message = "data_class must be one of: pii, logs, access-logs, internal."
  }
}

variable "expiration_days" {
  description = "Days after which current object versions expire. PII: 1-2555 days (7 years). Logs and access logs: at least 365 days."
  type        = number

  validation {
    condition = var.expiration_days >= 1 && (
      var.data_class != "pii" || var.expiration_days <= 2555) && (
    !contains(["logs", "access-logs"], var.data_class) || var.expiration_days >= 365)
    error_message = "PII must expire within 2555 days; logs must be kept at least 365 days."
  }
}

variable "noncurrent_version_expiration_days" {
  description = "Days after which noncurrent (overwritten or deleted) versions are removed for good."
  type        = number
  default     = 30

  validation {
    condition     = var.noncurrent_version_expiration_days >= 1
    error_message = "noncurrent_version_expiration_days must be at least 1."
  }
}

variable "kms_key_arn" {
  description = "ARN of the customer managed KMS key for default SSE-KMS encryption (S3 Bucket Key enabled)."
  type        = string
}

variable "object_lock" {
  description = "Default Object Lock retention (WORM) for evidence and log buckets; null disables Object Lock. Can only be enabled when the bucket is created."
  type = object({
    mode = string
    days = number
  })
  default = null

  validation {
    condition     = var.object_lock == null || try(contains(["GOVERNANCE", "COMPLIANCE"], var.object_lock.mode) && var.object_lock.days >= 1 && var.data_class != "access-logs", false)
    error_message = "object_lock.mode must be GOVERNANCE or COMPLIANCE and object_lock.days at least 1; access-logs buckets cannot have a default retention (S3 server access log delivery fails on such buckets)."
  }
}

variable "access_logging" {
  description = "Server access logging target (a bucket created with `log_delivery = true`); null turns access logging off. Pass the target's `s3_bucket_policy_id` output as `target_ready` so logging starts once the target accepts log delivery."
  type = object({
    target_bucket = string
    target_prefix = string
    target_ready  = optional(string)
  })
  default = null
}

variable "log_delivery" {
  description = "Whether this bucket receives S3 server access logs from other buckets of the account (adds the `logging.s3.amazonaws.com` grant)."
  type        = bool
  default     = false
}

variable "eventbridge_notifications" {
  description = "Send object events to Amazon EventBridge (used to start batch tasks when files arrive)."
  type        = bool
  default     = false
}

variable "policy_statements" {
  description = "Additional bucket policy statements (e.g. CloudTrail delivery). Resources are full ARNs. Every Allow to a service principal should carry source conditions."
  type = list(object({
    sid     = string
    effect  = optional(string, "Allow")
    actions = list(string)
    principals = list(object({
      type        = string
      identifiers = list(string)
    }))
    resources = list(string)
    conditions = optional(list(object({
      test     = string
      variable = string
      values   = list(string)
    })), [])
  }))
  default = []
}

variable "replication" {
  description = "Cross-region replication of every object to a bucket in the disaster-recovery region (encrypted there with the destination key); null disables replication. Requires versioning on both buckets: pass the destination's `versioning_status` output as `destination_ready` so replication waits for it. `role_name` names the replication role (default: the bucket name, cut to fit IAM's 64 characters, plus `-replication`)."
  type = object({
    destination_bucket      = string
    destination_kms_key_arn = string
    destination_region      = string
    destination_ready       = optional(string)
    role_name               = optional(string)
  })
  default = null

  validation {
    condition     = var.replication == null || try(contains(["ca-central-1", "ca-west-1"], var.replication.destination_region) && length(coalesce(var.replication.role_name, "r")) <= 64, false)
    error_message = "Replication stays in Canada: destination_region must be ca-central-1 or ca-west-1 (and role_name has at most 64 characters)."
  }
}

variable "allowed_regions" {
  description = "Regions the replication role may call S3 in (`aws:RequestedRegion`)."
  type        = list(string)
  default     = ["ca-central-1", "ca-west-1"]
}

variable "force_destroy" {
  description = "Allow `terraform destroy` to delete a bucket that still holds objects. Keep false for anything but scratch environments."
  type        = bool
  default     = false
}

variable "tags" {
  description = "Tags for the bucket and the replication role; `DataClass` is added from `data_class`."
  type        = map(string)
  default     = {}
}
