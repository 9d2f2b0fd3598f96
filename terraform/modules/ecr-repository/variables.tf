variable "create" {
  description = "Whether to create the repository."
  type        = bool
  default     = true
}

variable "name" {
  description = "Repository name (one per tool image)."
  type        = string
}

variable "kms_key_arn" {
  description = "ARN of the customer managed KMS key that encrypts the images."
  type        = string
}

variable "keep_tagged_images" {
  description = "How many tagged images to keep; older ones are expired by the lifecycle policy."
  type        = number
  default     = 50
}

variable "untagged_image_expiry_days" {
  description = "Days after which untagged images are removed."
  type        = number
  default     = 7
}

variable "tags" {
  description = "Tags for the repository."
  type        = map(string)
  default     = {}
}
