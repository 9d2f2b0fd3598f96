terraform {
  # Exact pins for a deployable root; .terraform.lock.hcl is committed after the first `terraform init`.
  required_version = "= 1.13.3"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "= 6.14.0"
    }
  }
}
