################################################################################
# Stream, encrypted at rest with a customer managed key
# https://docs.aws.amazon.com/streams/latest/dev/server-side-encryption.html
################################################################################

resource "aws_kinesis_stream" "this" {
  count = var.create ? 1 : 0

  name             = var.name
  shard_count      = var.stream_mode == "PROVISIONED" ? var.shard_count : null
  retention_period = var.retention_period_hours

  encryption_type = "KMS"
  kms_key_id      = var.kms_key_arn

  shard_level_metrics = var.shard_level_metrics

  stream_mode_details {
    stream_mode = var.stream_mode
  }

  tags = var.tags
}
