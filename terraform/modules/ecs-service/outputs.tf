output "service_name" {
  description = "Name of the ECS service."
  value       = try(aws_ecs_service.this[0].name, null)
}

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

output "security_group_id" {
  description = "Security group of the tasks."
  value       = try(aws_security_group.service[0].id, null)
}

output "cloudwatch_log_group_name" {
  description = "Log group of the containers."
  value       = try(aws_cloudwatch_log_group.this[0].name, null)
}

output "alb_dns_name" {
  description = "DNS name of the load balancer (null without one)."
  value       = try(aws_lb.this[0].dns_name, null)
}

output "alb_arn" {
  description = "ARN of the load balancer (null without one)."
  value       = try(aws_lb.this[0].arn, null)
}

output "web_acl_arn" {
  description = "ARN of the WAF web ACL in front of the load balancer (null without one)."
  value       = try(aws_wafv2_web_acl.this[0].arn, null)
}
