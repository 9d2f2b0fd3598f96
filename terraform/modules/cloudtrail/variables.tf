variable "create" {
  description = "Whether to create the trail, its log group and the notification queues."
  type        = bool
  default     = true
}

variable "name" {
  description = "Trail name; also names the log group (`/aws/cloudtrail/<name>`) and the queues (`<name>-objects`, `<name>-objects-dlq`)."
  type        = string
}

variable "account_id" {
  description = "Account the trail belongs to (source condition of every service grant)."
  type        = string
}

variable "region" {
  description = "Home region of the trail, its queues and log group (Canadian regions only)."
  type        = string

  validation {
    condition     = contains(["ca-central-1", "ca-west-1"], var.region)
    error_message = "The trail's home region must be ca-central-1 or ca-west-1."
  }
}

variable "s3_bucket_name" {
  description = "Existing log bucket (see secure-bucket) whose policy lets this trail deliver. Its object notifications are owned by this module."
  type        = string
}

variable "bucket_ready" {
  description = "A value known once the bucket's policy admits the trail (the bucket module's `s3_bucket_policy_id`); the trail and the notification wait for it. Prefer this to a module-level depends_on, which would defer this module's policy documents to apply time."
  type        = string
  default     = null
}

variable "kms_key_arn" {
  description = "Customer managed key for the trail files, the log group and the queues. Its policy must admit CloudTrail, CloudWatch Logs and S3 notifications (see README)."
  type        = string
}

variable "log_retention_days" {
  description = "Retention of the trail's CloudWatch log group, at least 365 days."
  type        = number
  default     = 365

  validation {
    condition     = contains([365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a CloudWatch Logs retention value of at least 365 days."
  }
}

variable "data_event_bucket_arns" {
  description = "Buckets whose object-level (data) events the trail records, e.g. the PII buckets."
  type        = list(string)
  default     = []
}

variable "queue_visibility_timeout_seconds" {
  description = "How long a log-shipper instance holds a notification before another may take it."
  type        = number
  default     = 300
}

variable "queue_max_receive_count" {
  description = "Deliveries of a notification before it moves to the dead-letter queue."
  type        = number
  default     = 5
}

variable "dlq_retention_seconds" {
  description = "How long dead-lettered notifications are kept (max 14 days)."
  type        = number
  default     = 1209600
}

variable "tags" {
  description = "Tags for every resource of the module."
  type        = map(string)
  default     = {}
}
