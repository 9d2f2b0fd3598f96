output "translator_endpoint" {
  description = "Internal DNS name of the translator's HTTPS endpoint."
  value       = module.translator.alb_dns_name
}

output "trail_queue_url" {
  description = "Queue announcing new CloudTrail files (log-shipper input)."
  value       = module.trail.queue_url
}

output "security_stream_arn" {
  description = "Kinesis stream the log-shipper writes to."
  value       = module.security_stream.kinesis_stream_arn
}

output "repository_urls" {
  description = "Where the pipeline pushes each tool's image."
  value = {
    auditor     = module.ecr_auditor.repository_url
    log_shipper = module.ecr_log_shipper.repository_url
    translator  = module.ecr_translator.repository_url
  }
}

output "batch_input_bucket" {
  description = "Drop translator batch files under incoming/ here."
  value       = module.batch_input_bucket.s3_bucket_id
}
