variable "name" {
  description = "Name prefix of the case service's resources."
  type        = string
  default     = "fcm-case-service"
}

variable "account_id" {
  description = "AWS account that runs the service."
  type        = string
}

variable "region" {
  description = "Region of the service (Canadian data residency: ca-central-1 or ca-west-1)."
  type        = string
  default     = "ca-central-1"
}

variable "case_bucket_arn" {
  description = "ARN of the S3 bucket holding case documents."
  type        = string
}

variable "case_key_arn" {
  description = "ARN of the customer managed KMS key that encrypts case documents."
  type        = string
}
