output "task_role_arn" {
  description = "ARN of the case service's ECS task role."
  value       = aws_iam_role.task.arn
}
