output "kinesis_stream_name" {
  description = "Name of the stream."
  value       = try(aws_kinesis_stream.this[0].name, null)
}

output "kinesis_stream_arn" {
  description = "ARN of the stream."
  value       = try(aws_kinesis_stream.this[0].arn, null)
}
