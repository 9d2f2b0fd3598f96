# Development settings (single region, no disaster recovery, scratch data). The modules under ../../modules hold no environment values.
environment        = "dev"
account_id         = "210987654321" # placeholder: the development account
region             = "ca-central-1"
deployer_role_name = "fcm-guard-terraform-admin"

# Existing network (placeholders): private subnets with interface endpoints for S3, SQS, Kinesis, KMS,
# CloudWatch Logs, ECR (api + dkr), STS and the audited services.
vpc_id                     = "vpc-0a1b2c3d4e5f60718"
vpc_cidr                   = "10.60.0.0/16"
private_subnet_ids         = ["subnet-0a1b2c3d4e5f60001", "subnet-0a1b2c3d4e5f60002", "subnet-0a1b2c3d4e5f60003"]
translator_ingress_cidrs   = ["10.60.0.0/16", "10.61.0.0/16"]
translator_certificate_arn = "arn:aws:acm:ca-central-1:210987654321:certificate/00000000-0000-4000-8000-000000000000"

image_tags = {
  auditor     = "0.1.0"
  log_shipper = "0.1.0"
  translator  = "0.1.0"
}

translator = {
  cpu          = 512
  memory       = 1024
  min_capacity = 1
  max_capacity = 2
}

translator_batch = {
  cpu    = 1024
  memory = 2048
  size_tiers = [
    { min_bytes = 0, cpu = 1024, memory = 2048, shards = 1 },         # below 256 MiB
    { min_bytes = 268435456, cpu = 2048, memory = 4096, shards = 2 }, # 256 MiB and more
  ]
}

log_shipper = {
  cpu          = 256
  memory       = 512
  min_capacity = 1
  max_capacity = 2
}

auditor_schedule = "cron(0 6 * * ? *)" # 02:00 Eastern (EDT)

log_retention_days        = 365
trail_log_expiration_days = 400
trail_object_lock_days    = 30
pii_batch_expiration_days = 2
stream_retention_hours    = 24

stream_consumer_role_arns = []
