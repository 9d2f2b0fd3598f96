output "s3_bucket_id" {
  description = "Name of the bucket."
  value       = try(aws_s3_bucket.this[0].id, null)
}

output "s3_bucket_arn" {
  description = "ARN of the bucket."
  value       = try(aws_s3_bucket.this[0].arn, null)
}

output "s3_bucket_region" {
  description = "Region the bucket lives in."
  value       = try(aws_s3_bucket.this[0].region, null)
}

output "s3_bucket_policy" {
  description = "Bucket policy document (JSON)."
  value       = try(data.aws_iam_policy_document.this[0].json, null)
}

output "s3_bucket_policy_id" {
  description = "ID of the bucket policy resource: known once the policy is in place (wait on it before delivering to the bucket)."
  value       = try(aws_s3_bucket_policy.this[0].id, null)
}

output "versioning_status" {
  description = "Versioning status (`Enabled`); a replication source waits for it through `replication.destination_ready`."
  value       = try(one(aws_s3_bucket_versioning.this[0].versioning_configuration).status, null)
}

output "data_class" {
  description = "Data class tag of the bucket."
  value       = var.data_class
}

output "replication_role_arn" {
  description = "ARN of the replication role (null without replication)."
  value       = try(aws_iam_role.replication[0].arn, null)
}
