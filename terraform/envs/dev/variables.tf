variable "environment" {
  description = "Environment name, part of every resource name."
  type        = string
}

variable "account_id" {
  description = "AWS account the environment is deployed to (the provider refuses any other)."
  type        = string

  validation {
    condition     = can(regex("^[0-9]{12}$", var.account_id))
    error_message = "account_id must be a 12-digit AWS account id."
  }
}

variable "region" {
  description = "Primary region."
  type        = string
  default     = "ca-central-1"

  validation {
    condition     = contains(["ca-central-1", "ca-west-1"], var.region)
    error_message = "Data residency: the primary region must be ca-central-1 or ca-west-1."
  }
}

variable "deployer_role_name" {
  description = "IAM role that runs Terraform; it administers the KMS keys (and cannot use them). Name it as an administrator (`*admin*`), as policy-lint expects of key administrators."
  type        = string

  validation {
    condition     = can(regex("admin", var.deployer_role_name))
    error_message = "The deployer administers the KMS keys: its name must contain \"admin\"."
  }
}

variable "vpc_id" {
  description = "Existing VPC with private subnets and interface endpoints for the AWS services the tools call."
  type        = string
}

variable "vpc_cidr" {
  description = "CIDR of the VPC; tasks may open HTTPS connections inside it only (to the VPC endpoints)."
  type        = string
}

variable "private_subnet_ids" {
  description = "Private subnets of the tasks and the internal load balancer."
  type        = list(string)
}

variable "translator_ingress_cidrs" {
  description = "Networks allowed to reach the translator's HTTPS endpoint (case UI, consortium link)."
  type        = list(string)
}

variable "translator_certificate_arn" {
  description = "ACM certificate of the translator's HTTPS listener."
  type        = string
}

variable "image_tags" {
  description = "Image tag (immutable) to deploy for each tool."
  type = object({
    auditor     = string
    log_shipper = string
    translator  = string
  })
}

variable "translator_token_keys_path" {
  description = "Path in the translator image of its tokenisation key file (KMS-encrypted HMAC keys from `translator keygen --kms-key-id`; ciphertext only)."
  type        = string
  default     = "/etc/fcm-guard/translator-token-keys.json"
}

variable "translator" {
  description = "Sizing of the online translator service."
  type = object({
    cpu          = number
    memory       = number
    min_capacity = number
    max_capacity = number
  })
}

variable "translator_batch" {
  description = "Sizing of translator batch runs to the batch file: the task definition's cpu/memory, and size tiers (from `min_bytes` up to the next tier) each starting `shards` tasks of its own cpu/memory."
  type = object({
    cpu    = number
    memory = number
    size_tiers = list(object({
      min_bytes = number
      cpu       = number
      memory    = number
      shards    = number
    }))
  })
}

variable "log_shipper" {
  description = "Sizing of the log-shipper service."
  type = object({
    cpu          = number
    memory       = number
    min_capacity = number
    max_capacity = number
  })
}

variable "auditor_schedule" {
  description = "When the nightly audit runs (EventBridge schedule, UTC)."
  type        = string
}

variable "log_retention_days" {
  description = "Retention of CloudWatch log groups (at least 365 days)."
  type        = number
}

variable "trail_log_expiration_days" {
  description = "Expiry of CloudTrail files in S3 (at least 365 days)."
  type        = number
}

variable "trail_object_lock_days" {
  description = "Compliance-mode Object Lock of CloudTrail files (WORM)."
  type        = number
}

variable "pii_batch_expiration_days" {
  description = "Expiry of translator batch input and output files (PII)."
  type        = number
}

variable "stream_retention_hours" {
  description = "Retention of the security team's Kinesis stream."
  type        = number
}

variable "stream_consumer_role_arns" {
  description = "Roles of the security team that read the Kinesis stream (may decrypt through Kinesis only)."
  type        = list(string)
  default     = []
}
