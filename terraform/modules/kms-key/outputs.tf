output "key_arn" {
  description = "ARN of the key."
  value       = try(aws_kms_key.this[0].arn, null)
}

output "key_id" {
  description = "Globally unique identifier of the key."
  value       = try(aws_kms_key.this[0].key_id, null)
}

output "key_policy" {
  description = "Key policy document (JSON) attached to the key."
  value       = try(aws_kms_key.this[0].policy, null)
}

output "alias_name" {
  description = "Alias of the key (`alias/<name>`)."
  value       = try(aws_kms_alias.this[0].name, null)
}

output "alias_arn" {
  description = "ARN of the alias."
  value       = try(aws_kms_alias.this[0].arn, null)
}
