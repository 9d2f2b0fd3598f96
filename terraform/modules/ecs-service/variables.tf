variable "create" {
  description = "Whether to create the service and everything it needs."
  type        = bool
  default     = true
}

variable "name" {
  description = "Service name; also names the task family, roles, log group, security groups and load balancer."
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
    error_message = "The service must run in ca-central-1 or ca-west-1."
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
  description = "VPC of the service and its load balancer."
  type        = string
}

variable "subnet_ids" {
  description = "Private subnets of the tasks (no public IP is assigned)."
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
  description = "Container command (arguments to the image's entrypoint)."
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

variable "container_port" {
  description = "Port the container listens on for traffic and health checks (null when it takes no traffic)."
  type        = number
  default     = null
}

variable "container_health_check" {
  description = "Container health check command in ECS form (e.g. `[\"CMD\", \"/usr/local/bin/tool\", \"health\"]`); null relies on the load balancer."
  type        = list(string)
  default     = null
}

variable "stop_timeout_seconds" {
  description = "Time between SIGTERM and SIGKILL, for a graceful drain (max 120)."
  type        = number
  default     = 60
}

variable "desired_count" {
  description = "Initial number of tasks (autoscaling adjusts it afterwards)."
  type        = number
  default     = 2
}

variable "autoscaling" {
  description = "Task count bounds and targets: average CPU percent and, with a load balancer, requests per target per minute."
  type = object({
    min_capacity        = number
    max_capacity        = number
    cpu_target_percent  = optional(number, 60)
    requests_per_target = optional(number, 500)
  })
  default = {
    min_capacity = 2
    max_capacity = 6
  }
}

variable "log_retention_days" {
  description = "Retention of the service's log group, at least 365 days."
  type        = number
  default     = 365

  validation {
    condition     = contains([365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a CloudWatch Logs retention value of at least 365 days."
  }
}

variable "log_kms_key_arn" {
  description = "Customer managed key encrypting the service's (and WAF's) log groups."
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

variable "create_alb" {
  description = "Put the service behind an Application Load Balancer with an HTTPS listener and a WAF web ACL."
  type        = bool
  default     = false
}

variable "alb_subnet_ids" {
  description = "Subnets of the load balancer."
  type        = list(string)
  default     = []
}

variable "alb_internal" {
  description = "Whether the load balancer is internal (reachable from the VPC and peered networks only)."
  type        = bool
  default     = true
}

variable "alb_ingress_cidr_blocks" {
  description = "Networks allowed to reach the HTTPS listener."
  type        = list(string)
  default     = []
}

variable "certificate_arn" {
  description = "ACM certificate of the HTTPS listener."
  type        = string
  default     = null
}

variable "ssl_policy" {
  description = "TLS policy of the HTTPS listener (TLS 1.2 minimum, TLS 1.3 preferred)."
  type        = string
  default     = "ELBSecurityPolicy-TLS13-1-2-2021-06"

  validation {
    condition     = contains(["ELBSecurityPolicy-TLS13-1-2-2021-06", "ELBSecurityPolicy-TLS13-1-2-Res-2021-06", "ELBSecurityPolicy-TLS13-1-3-2021-06"], var.ssl_policy)
    error_message = "Use a TLS 1.2+ policy: ELBSecurityPolicy-TLS13-1-2-2021-06, ELBSecurityPolicy-TLS13-1-2-Res-2021-06 or ELBSecurityPolicy-TLS13-1-3-2021-06."
  }
}

variable "target_protocol" {
  description = "Protocol from the load balancer to the tasks. `HTTPS` when the container serves TLS itself."
  type        = string
  default     = "HTTPS"

  validation {
    condition     = contains(["HTTP", "HTTPS"], var.target_protocol)
    error_message = "target_protocol must be HTTP or HTTPS."
  }
}

variable "health_check_path" {
  description = "HTTP path of the load balancer health check."
  type        = string
  default     = "/healthz"
}

variable "waf_rate_limit" {
  description = "Requests per 5 minutes from one IP address before the WAF blocks it."
  type        = number
  default     = 2000
}

variable "deletion_protection" {
  description = "Protect the load balancer against deletion."
  type        = bool
  default     = true
}

variable "tags" {
  description = "Tags for every resource of the module."
  type        = map(string)
  default     = {}
}
