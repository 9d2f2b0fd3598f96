output "task_definition_arn" {
  description = "ARN of the task definition revision."
  value       = try(aws_ecs_task_definition.this[0].arn, null)
}

output "task_role_arn" {
  description = "ARN of the task role (the application's permissions)."
  value       = try(aws_iam_role.task[0].arn, null)
}

output "task_execution_role_arn" {
  description = "ARN of the execution role (image pull and log delivery only)."
  value       = try(aws_iam_role.execution[0].arn, null)
}

output "events_role_arn" {
  description = "ARN of the role EventBridge uses to start the task."
  value       = try(aws_iam_role.events[0].arn, null)
}

output "event_rule_arn" {
  description = "ARN of the EventBridge rule (of the first size tier when `size_tiers` is set)."
  value       = try(aws_cloudwatch_event_rule.this[0].arn, null)
}

output "event_rule_arns" {
  description = "ARNs of the EventBridge rules, one per size tier."
  value       = aws_cloudwatch_event_rule.this[*].arn
}

output "cloudwatch_log_group_name" {
  description = "Log group of the task."
  value       = try(aws_cloudwatch_log_group.this[0].name, null)
}

output "security_group_id" {
  description = "Security group of the task."
  value       = try(aws_security_group.this[0].id, null)
}
