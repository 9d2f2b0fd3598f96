output "cloudtrail_arn" {
  description = "ARN of the trail."
  value       = try(aws_cloudtrail.this[0].arn, null)
}

output "cloudtrail_name" {
  description = "Name of the trail."
  value       = try(aws_cloudtrail.this[0].name, null)
}

output "cloudwatch_log_group_name" {
  description = "Log group receiving the trail's events."
  value       = try(aws_cloudwatch_log_group.this[0].name, null)
}

output "cloudwatch_log_group_arn" {
  description = "ARN of the log group receiving the trail's events."
  value       = try(aws_cloudwatch_log_group.this[0].arn, null)
}

output "queue_url" {
  description = "URL of the SQS queue announcing new trail files (the log-shipper's input)."
  value       = try(aws_sqs_queue.this[0].id, null)
}

output "queue_arn" {
  description = "ARN of the SQS queue announcing new trail files."
  value       = try(aws_sqs_queue.this[0].arn, null)
}

output "dlq_arn" {
  description = "ARN of the dead-letter queue for notifications that could not be processed."
  value       = try(aws_sqs_queue.dlq[0].arn, null)
}

output "dlq_url" {
  description = "URL of the dead-letter queue."
  value       = try(aws_sqs_queue.dlq[0].id, null)
}
