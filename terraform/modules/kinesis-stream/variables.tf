variable "create" {
  description = "Whether to create the stream."
  type        = bool
  default     = true
}

variable "name" {
  description = "Stream name."
  type        = string
}

variable "kms_key_arn" {
  description = "ARN of the customer managed KMS key the stream is encrypted with (server-side encryption)."
  type        = string
}

variable "stream_mode" {
  description = "`ON_DEMAND` (capacity follows traffic) or `PROVISIONED` (fixed `shard_count`)."
  type        = string
  default     = "ON_DEMAND"

  validation {
    condition     = contains(["ON_DEMAND", "PROVISIONED"], var.stream_mode)
    error_message = "stream_mode must be ON_DEMAND or PROVISIONED."
  }
}

variable "shard_count" {
  description = "Number of shards in PROVISIONED mode (ignored on demand)."
  type        = number
  default     = 2
}

variable "retention_period_hours" {
  description = "How long records stay readable in the stream (24-8760 hours)."
  type        = number
  default     = 168

  validation {
    condition     = var.retention_period_hours >= 24 && var.retention_period_hours <= 8760
    error_message = "retention_period_hours must be between 24 and 8760."
  }
}

variable "shard_level_metrics" {
  description = "Enhanced shard-level CloudWatch metrics to enable."
  type        = list(string)
  default     = ["IncomingBytes", "IncomingRecords", "WriteProvisionedThroughputExceeded", "IteratorAgeMilliseconds"]
}

variable "tags" {
  description = "Tags for the stream."
  type        = map(string)
  default     = {}
}
