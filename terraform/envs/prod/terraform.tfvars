# Production settings. The modules under ../../modules hold no environment values.
environment        = "prod"
account_id         = "123456789012" # placeholder: the production account
region             = "ca-central-1"
dr_region          = "ca-west-1"
deployer_role_name = "fcm-guard-terraform-admin"

# Existing network (placeholders): private subnets with interface endpoints for S3, SQS, Kinesis, KMS,
# CloudWatch Logs, ECR (api + dkr), STS and the audited services.
vpc_id                     = "vpc-0a1b2c3d4e5f60718"
vpc_cidr                   = "10.40.0.0/16"
private_subnet_ids         = ["subnet-0a1b2c3d4e5f60001", "subnet-0a1b2c3d4e5f60002", "subnet-0a1b2c3d4e5f60003"]
translator_ingress_cidrs   = ["10.40.0.0/16", "10.50.0.0/16"]
translator_certificate_arn = "arn:aws:acm:ca-central-1:123456789012:certificate/00000000-0000-4000-8000-000000000000"

image_tags = {
  auditor     = "0.1.0"
  log_shipper = "0.1.0"
  translator  = "0.1.0"
}

translator = {
  cpu          = 1024
  memory       = 2048
  min_capacity = 2
  max_capacity = 10
}

translator_batch = {
  cpu    = 1024
  memory = 2048
  size_tiers = [
    { min_bytes = 0, cpu = 1024, memory = 2048, shards = 1 },          # below 256 MiB
    { min_bytes = 268435456, cpu = 4096, memory = 8192, shards = 1 },  # 256 MiB to 2 GiB
    { min_bytes = 2147483648, cpu = 4096, memory = 8192, shards = 4 }, # 2 GiB and more
  ]
}

log_shipper = {
  cpu          = 512
  memory       = 1024
  min_capacity = 2
  max_capacity = 8
}

auditor_schedule = "cron(0 6 * * ? *)" # 02:00 Eastern (EDT)

log_retention_days        = 400
trail_log_expiration_days = 2557
trail_object_lock_days    = 365
pii_batch_expiration_days = 7
stream_retention_hours    = 168

stream_consumer_role_arns = []
