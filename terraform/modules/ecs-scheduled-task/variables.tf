variable "create" {
  description = "Whether to create the scheduled task and everything it needs."
  type        = bool
  default     = true
}

variable "name" {
  description = "Task name; also names the task family, roles, log group, security group and EventBridge rule."
  type        = string
}

variable "account_id" {
  description = "Account the service runs in."
  type        = string
}

variable "region" {
  description = "Region the service runs in (Canadian regions only)."
  type        = string

  validation {
    condition     = contains(["ca-central-1", "ca-west-1"], var.region)
    error_message = "The task must run in ca-central-1 or ca-west-1."
  }
}

variable "cluster_arn" {
  description = "ARN of the ECS cluster."
  type        = string
}

variable "cluster_name" {
  description = "Name of the ECS cluster (used by Application Auto Scaling)."
  type        = string
}

variable "vpc_id" {
  description = "VPC of the task."
  type        = string
}

variable "subnet_ids" {
  description = "Private subnets of the task (no public IP is assigned)."
  type        = list(string)
}

variable "image" {
  description = "Container image, ideally pinned by digest (`<repo>@sha256:...`)."
  type        = string
}

variable "ecr_repository_arn" {
  description = "Repository the execution role may pull the image from."
  type        = string
}

variable "command" {
  description = "Container command (arguments to the image's entrypoint) for scheduled runs."
  type        = list(string)
  default     = []
}

variable "environment" {
  description = "Plain environment variables of the container (never secrets or PII)."
  type        = map(string)
  default     = {}
}

variable "cpu" {
  description = "Task CPU units (256, 512, 1024, 2048, 4096...)."
  type        = number
  default     = 512
}

variable "memory" {
  description = "Task memory in MiB, valid for the chosen CPU."
  type        = number
  default     = 1024
}

variable "cpu_architecture" {
  description = "`X86_64` or `ARM64`; must match the image."
  type        = string
  default     = "X86_64"
}

variable "log_retention_days" {
  description = "Retention of the task's log group, at least 365 days."
  type        = number
  default     = 365

  validation {
    condition     = contains([365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a CloudWatch Logs retention value of at least 365 days."
  }
}

variable "log_kms_key_arn" {
  description = "Customer managed key encrypting the task's log group."
  type        = string
}

variable "egress_cidr_blocks" {
  description = "Where tasks may open HTTPS connections (AWS endpoints via VPC endpoints or NAT)."
  type        = list(string)
}

variable "task_iam_statements" {
  description = "What the application may do: statements of the task role (separate from the execution role). Name resources precisely; no `*` for data actions."
  type = list(object({
    sid       = string
    actions   = list(string)
    resources = list(string)
    conditions = optional(list(object({
      test     = string
      variable = string
      values   = list(string)
    })), [])
  }))
}

variable "schedule_expression" {
  description = "EventBridge schedule (`cron(...)` or `rate(...)`, UTC) for periodic runs such as the nightly audit; null when `s3_trigger` starts the task."
  type        = string
  default     = null
}

variable "s3_trigger" {
  description = <<-EOT
    Start runs for each new object: the bucket (with EventBridge notifications on) and key prefix to watch, and the
    container command of a run, in which `<bucket>` and `<key>` are replaced by the object's bucket and key
    (EventBridge input transformer) and `{shard}` and `{shards}` by the run's shard index and shard count.
    `size_tiers` sizes the runs to the object: each tier applies from `min_bytes` up to the next tier's
    `min_bytes` (the first tier starts at 0) and starts `shards` tasks (one EventBridge target each, at most 5)
    with the tier's `cpu` and `memory`. Without tiers every object gets `task_count` tasks of `cpu`/`memory`,
    as shard 0 of 1. Null when `schedule_expression` is used.
  EOT
  type = object({
    bucket  = string
    prefix  = string
    command = list(string)
    size_tiers = optional(list(object({
      min_bytes = number
      cpu       = number
      memory    = number
      shards    = number
    })), [])
  })
  default = null

  validation {
    condition = var.s3_trigger == null ? true : (
      length(var.s3_trigger.size_tiers) <= 5 &&
      alltrue([for t in var.s3_trigger.size_tiers : t.shards >= 1 && t.shards <= 5]) &&
      alltrue([for i, t in var.s3_trigger.size_tiers : i == 0 ? t.min_bytes == 0 : t.min_bytes > var.s3_trigger.size_tiers[i - 1].min_bytes])
    )
    error_message = "size_tiers: at most 5 tiers in ascending min_bytes, the first at 0, each with 1 to 5 shards."
  }
}

variable "task_count" {
  description = "Tasks started per event when `s3_trigger` has no `size_tiers` (each gets the same command)."
  type        = number
  default     = 1

  validation {
    condition     = var.task_count >= 1 && var.task_count <= 10
    error_message = "task_count must be between 1 and 10."
  }
}

variable "retry_attempts" {
  description = "How often EventBridge retries a failed RunTask call."
  type        = number
  default     = 3
}

variable "tags" {
  description = "Tags for every resource of the module."
  type        = map(string)
  default     = {}
}
