data "aws_partition" "current" {}

locals {
  name      = "fcm-guard-${var.environment}"
  partition = data.aws_partition.current.partition
  account   = var.account_id
  regions   = [var.region]

  tags = {
    Project     = "fcm-guard"
    Environment = var.environment
    ManagedBy   = "terraform"
  }

  # Names are fixed here so that every policy can name its resources before they exist (the plan then shows
  # complete policy documents for policy-lint and the auditor to check).
  role_arn = "arn:${local.partition}:iam::${local.account}:role"
  deployer = "${local.role_arn}/${var.deployer_role_name}"

  buckets = {
    access_logs  = "${local.name}-${var.region}-access-logs-${local.account}"
    trail        = "${local.name}-${var.region}-cloudtrail-${local.account}"
    batch_input  = "${local.name}-${var.region}-batch-input-${local.account}"
    batch_output = "${local.name}-${var.region}-batch-output-${local.account}"
  }
  bucket_arn = { for k, b in local.buckets : k => "arn:${local.partition}:s3:::${b}" }

  trail_name  = local.name
  trail_arn   = "arn:${local.partition}:cloudtrail:${var.region}:${local.account}:trail/${local.trail_name}"
  queue_arn   = "arn:${local.partition}:sqs:${var.region}:${local.account}:${local.trail_name}-objects"
  stream_name = "${local.name}-security-logs"
  stream_arn  = "arn:${local.partition}:kinesis:${var.region}:${local.account}:stream/${local.stream_name}"

  components = {
    auditor          = "${local.name}-auditor"
    log_shipper      = "${local.name}-log-shipper"
    translator       = "${local.name}-translator"
    translator_batch = "${local.name}-translator-batch"
  }
  task_role = { for k, n in local.components : k => "${local.role_arn}/${n}-task" }
  repo_arn = {
    auditor     = "arn:${local.partition}:ecr:${var.region}:${local.account}:repository/fcm-guard/auditor"
    log_shipper = "arn:${local.partition}:ecr:${var.region}:${local.account}:repository/fcm-guard/log-shipper"
    translator  = "arn:${local.partition}:ecr:${var.region}:${local.account}:repository/fcm-guard/translator"
  }

  # Image references and the queue URL are spelled out (not module outputs) so they are known at plan time.
  registry  = "${local.account}.dkr.ecr.${var.region}.amazonaws.com"
  queue_url = "https://sqs.${var.region}.amazonaws.com/${local.account}/${local.trail_name}-objects"

  in_canada = [{ test = "StringEquals", variable = "aws:RequestedRegion", values = local.regions }]
  via       = { for s in ["s3", "sqs", "kinesis", "logs", "ecr"] : s => "${s}.${var.region}.amazonaws.com" }
}

################################################################################
# Account-wide guard rails
# https://docs.aws.amazon.com/AmazonS3/latest/userguide/configuring-block-public-access-account.html
################################################################################

resource "aws_s3_account_public_access_block" "this" {
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_ecs_cluster" "this" {
  name = local.name

  setting {
    name  = "containerInsights"
    value = "enabled"
  }
}

################################################################################
# KMS keys: one per purpose, used only by the components that need them
################################################################################

module "kms_logs" {
  source = "../../modules/kms-key"

  name               = "${local.name}-logs"
  description        = "CloudTrail files, log groups, access logs and trail notifications of ${local.name}"
  account_id         = local.account
  key_administrators = [local.deployer]
  key_auditors       = [local.task_role.auditor]
  # KMS refuses policies naming roles that do not exist yet.
  principal_dependencies = [module.log_shipper.task_role_arn, module.auditor.task_role_arn]

  key_users = [
    {
      sid          = "LogShipperReadsTrailFilesAndNotifications"
      arns         = [local.task_role.log_shipper]
      actions      = ["kms:Decrypt"]
      via_services = [local.via.s3, local.via.sqs]
    },
  ]

  service_principals = [
    {
      sid     = "CloudTrailEncryptsTrailFiles"
      service = "cloudtrail.amazonaws.com"
      actions = ["kms:GenerateDataKey"]
      conditions = [
        { test = "StringEquals", variable = "aws:SourceArn", values = [local.trail_arn] },
        { test = "StringLike", variable = "kms:EncryptionContext:aws:cloudtrail:arn", values = ["arn:${local.partition}:cloudtrail:*:${local.account}:trail/*"] },
      ]
    },
    {
      # DescribeKey carries no encryption context, hence its own statement.
      sid        = "CloudTrailDescribesKey"
      service    = "cloudtrail.amazonaws.com"
      actions    = ["kms:DescribeKey"]
      conditions = [{ test = "StringEquals", variable = "aws:SourceArn", values = [local.trail_arn] }]
    },
    {
      sid     = "CloudWatchLogsEncryptsLogGroups"
      service = "logs.${var.region}.amazonaws.com"
      actions = ["kms:Encrypt", "kms:Decrypt", "kms:ReEncryptFrom", "kms:ReEncryptTo", "kms:GenerateDataKey"]
      conditions = [
        { test = "ArnLike", variable = "kms:EncryptionContext:aws:logs:arn", values = ["arn:${local.partition}:logs:${var.region}:${local.account}:log-group:*"] },
      ]
    },
    {
      sid     = "S3SendsEncryptedNotifications"
      service = "s3.amazonaws.com"
      actions = ["kms:GenerateDataKey", "kms:Decrypt"]
      conditions = [
        { test = "StringEquals", variable = "aws:SourceAccount", values = [local.account] },
        { test = "ArnLike", variable = "aws:SourceArn", values = [local.bucket_arn.trail] },
      ]
    },
    {
      sid     = "S3DeliversAccessLogs"
      service = "logging.s3.amazonaws.com"
      actions = ["kms:GenerateDataKey"]
      conditions = [
        { test = "StringEquals", variable = "aws:SourceAccount", values = [local.account] },
      ]
    },
  ]
}

module "kms_pii" {
  source = "../../modules/kms-key"

  name                   = "${local.name}-pii"
  description            = "PII of ${local.name}: translator field encryption, tokenisation keys and batch files"
  account_id             = local.account
  key_administrators     = [local.deployer]
  key_auditors           = [local.task_role.auditor]
  principal_dependencies = [module.translator.task_role_arn, module.translator_batch.task_role_arn, module.auditor.task_role_arn]

  key_users = [
    {
      # Direct calls by the translator: data keys for field encryption, and decryption of its
      # KMS-encrypted tokenisation (HMAC) keys, each bound to its encryption context.
      sid          = "TranslatorEnvelopeEncryption"
      arns         = [local.task_role.translator, local.task_role.translator_batch]
      actions      = ["kms:GenerateDataKey", "kms:Decrypt"]
      via_services = []
      encryption_context = [
        { test = "StringEquals", variable = "kms:EncryptionContext:purpose", values = ["translator-field-encryption", "translator-token-key"] },
      ]
    },
    {
      # `translator keygen --kms-key-id` run by the deployer: mints wrapped tokenisation keys
      # (GenerateDataKeyWithoutPlaintext), so nobody outside the translator ever sees them in clear.
      sid          = "DeployerIssuesTokenKeys"
      arns         = [local.deployer]
      actions      = ["kms:GenerateDataKeyWithoutPlaintext"]
      via_services = []
      encryption_context = [
        { test = "StringEquals", variable = "kms:EncryptionContext:purpose", values = ["translator-token-key"] },
      ]
    },
    {
      sid          = "TranslatorBatchFilesThroughS3"
      arns         = [local.task_role.translator_batch]
      actions      = ["kms:GenerateDataKey", "kms:Decrypt"]
      via_services = [local.via.s3]
    },
  ]
}

module "kms_stream" {
  source = "../../modules/kms-key"

  name                   = "${local.name}-stream"
  description            = "Security team's Kinesis stream of ${local.name}"
  account_id             = local.account
  key_administrators     = [local.deployer]
  key_auditors           = [local.task_role.auditor]
  principal_dependencies = [module.log_shipper.task_role_arn, module.auditor.task_role_arn]

  key_users = concat(
    [{
      sid          = "LogShipperWritesStream"
      arns         = [local.task_role.log_shipper]
      actions      = ["kms:GenerateDataKey"]
      via_services = [local.via.kinesis]
    }],
    length(var.stream_consumer_role_arns) == 0 ? [] : [{
      sid          = "SecurityTeamReadsStream"
      arns         = var.stream_consumer_role_arns
      actions      = ["kms:Decrypt"]
      via_services = [local.via.kinesis]
    }],
  )
}

module "kms_ecr" {
  source = "../../modules/kms-key"

  name                   = "${local.name}-images"
  description            = "Container images of ${local.name}"
  account_id             = local.account
  key_administrators     = [local.deployer]
  key_auditors           = [local.task_role.auditor]
  principal_dependencies = [module.auditor.task_role_arn]

  key_users = [
    {
      sid          = "EcrEncryptsImagesThroughGrants"
      arns         = [local.deployer]
      actions      = ["kms:CreateGrant", "kms:RetireGrant", "kms:DescribeKey"]
      via_services = [local.via.ecr]
    },
  ]
}

################################################################################
# Buckets
################################################################################

module "access_logs_bucket" {
  source = "../../modules/secure-bucket"

  bucket          = local.buckets.access_logs
  account_id      = local.account
  data_class      = "access-logs"
  expiration_days = 730
  kms_key_arn     = module.kms_logs.key_arn
  log_delivery    = true
}

module "trail_bucket" {
  source = "../../modules/secure-bucket"

  bucket          = local.buckets.trail
  account_id      = local.account
  data_class      = "logs"
  expiration_days = var.trail_log_expiration_days
  kms_key_arn     = module.kms_logs.key_arn
  object_lock     = { mode = "GOVERNANCE", days = var.trail_object_lock_days }
  access_logging  = { target_bucket = local.buckets.access_logs, target_prefix = "${local.buckets.trail}/", target_ready = module.access_logs_bucket.s3_bucket_policy_id }

  policy_statements = [
    {
      sid        = "CloudTrailChecksBucketAcl"
      actions    = ["s3:GetBucketAcl"]
      principals = [{ type = "Service", identifiers = ["cloudtrail.amazonaws.com"] }]
      resources  = [local.bucket_arn.trail]
      conditions = [{ test = "StringEquals", variable = "aws:SourceArn", values = [local.trail_arn] }]
    },
    {
      sid        = "CloudTrailDeliversFiles"
      actions    = ["s3:PutObject"]
      principals = [{ type = "Service", identifiers = ["cloudtrail.amazonaws.com"] }]
      resources  = ["${local.bucket_arn.trail}/AWSLogs/${local.account}/*"]
      conditions = [
        { test = "StringEquals", variable = "aws:SourceArn", values = [local.trail_arn] },
        { test = "StringEquals", variable = "s3:x-amz-acl", values = ["bucket-owner-full-control"] },
      ]
    },
  ]
}

module "batch_input_bucket" {
  source = "../../modules/secure-bucket"

  bucket                             = local.buckets.batch_input
  account_id                         = local.account
  data_class                         = "pii"
  expiration_days                    = var.pii_batch_expiration_days
  noncurrent_version_expiration_days = 1
  kms_key_arn                        = module.kms_pii.key_arn
  eventbridge_notifications          = true
  access_logging                     = { target_bucket = local.buckets.access_logs, target_prefix = "${local.buckets.batch_input}/", target_ready = module.access_logs_bucket.s3_bucket_policy_id }
}

module "batch_output_bucket" {
  source = "../../modules/secure-bucket"

  bucket                             = local.buckets.batch_output
  account_id                         = local.account
  data_class                         = "pii"
  expiration_days                    = var.pii_batch_expiration_days
  noncurrent_version_expiration_days = 1
  kms_key_arn                        = module.kms_pii.key_arn
  access_logging                     = { target_bucket = local.buckets.access_logs, target_prefix = "${local.buckets.batch_output}/", target_ready = module.access_logs_bucket.s3_bucket_policy_id }
  force_destroy                      = true
}

################################################################################
# CloudTrail with the notification queue the log-shipper reads, and the security team's stream
################################################################################

module "trail" {
  source = "../../modules/cloudtrail"

  name                   = local.trail_name
  account_id             = local.account
  region                 = var.region
  s3_bucket_name         = local.buckets.trail
  kms_key_arn            = module.kms_logs.key_arn
  log_retention_days     = var.log_retention_days
  data_event_bucket_arns = [local.bucket_arn.batch_input, local.bucket_arn.batch_output]
  bucket_ready           = module.trail_bucket.s3_bucket_policy_id
}

module "security_stream" {
  source = "../../modules/kinesis-stream"

  name                   = local.stream_name
  kms_key_arn            = module.kms_stream.key_arn
  retention_period_hours = var.stream_retention_hours
}

################################################################################
# Image repositories
################################################################################

module "ecr_auditor" {
  source = "../../modules/ecr-repository"

  name        = "fcm-guard/auditor"
  kms_key_arn = module.kms_ecr.key_arn
}

module "ecr_log_shipper" {
  source = "../../modules/ecr-repository"

  name        = "fcm-guard/log-shipper"
  kms_key_arn = module.kms_ecr.key_arn
}

module "ecr_translator" {
  source = "../../modules/ecr-repository"

  name        = "fcm-guard/translator"
  kms_key_arn = module.kms_ecr.key_arn
}

################################################################################
# translator (online): HTTPS behind an internal ALB with WAF
################################################################################

module "translator" {
  source = "../../modules/ecs-service"

  name               = local.components.translator
  account_id         = local.account
  region             = var.region
  cluster_arn        = aws_ecs_cluster.this.arn
  cluster_name       = aws_ecs_cluster.this.name
  vpc_id             = var.vpc_id
  subnet_ids         = var.private_subnet_ids
  image              = "${local.registry}/${module.ecr_translator.repository_name}:${var.image_tags.translator}"
  ecr_repository_arn = local.repo_arn.translator
  command            = ["serve"]
  environment = {
    TRANSLATOR_LISTEN     = "0.0.0.0:8080"
    TRANSLATOR_LOG_FORMAT = "json"
    TRANSLATOR_KMS_KEY_ID = module.kms_pii.alias_name
    TRANSLATOR_TOKEN_KEYS = var.translator_token_keys_path
  }
  cpu                = var.translator.cpu
  memory             = var.translator.memory
  container_port     = 8080
  desired_count      = var.translator.min_capacity
  log_kms_key_arn    = module.kms_logs.key_arn
  log_retention_days = var.log_retention_days
  egress_cidr_blocks = [var.vpc_cidr]

  autoscaling = {
    min_capacity        = var.translator.min_capacity
    max_capacity        = var.translator.max_capacity
    cpu_target_percent  = 60
    requests_per_target = 600
  }

  # KMS use (field encryption, tokenisation keys) is granted by the key policy of kms_pii.
  task_iam_statements = []

  create_alb              = true
  alb_internal            = true
  alb_subnet_ids          = var.private_subnet_ids
  alb_ingress_cidr_blocks = var.translator_ingress_cidrs
  certificate_arn         = var.translator_certificate_arn
  # The ALB terminates TLS 1.2+; inside the private subnets only the ALB's security group reaches the tasks.
  target_protocol   = "HTTP"
  health_check_path = "/healthz"
}

################################################################################
# log-shipper: CloudTrail files (SQS -> S3) to the security team's Kinesis stream; no load balancer
################################################################################

module "log_shipper" {
  source = "../../modules/ecs-service"

  name               = local.components.log_shipper
  account_id         = local.account
  region             = var.region
  cluster_arn        = aws_ecs_cluster.this.arn
  cluster_name       = aws_ecs_cluster.this.name
  vpc_id             = var.vpc_id
  subnet_ids         = var.private_subnet_ids
  image              = "${local.registry}/${module.ecr_log_shipper.repository_name}:${var.image_tags.log_shipper}"
  ecr_repository_arn = local.repo_arn.log_shipper
  command            = ["run"]
  environment = {
    LOG_SHIPPER_LOG_FORMAT     = "json"
    LOG_SHIPPER_QUEUE_URL      = local.queue_url
    LOG_SHIPPER_STREAM         = local.stream_name
    LOG_SHIPPER_METRICS_LISTEN = "0.0.0.0:9108"
  }
  cpu                  = var.log_shipper.cpu
  memory               = var.log_shipper.memory
  desired_count        = var.log_shipper.min_capacity
  stop_timeout_seconds = 120
  log_kms_key_arn      = module.kms_logs.key_arn
  log_retention_days   = var.log_retention_days
  egress_cidr_blocks   = [var.vpc_cidr]

  autoscaling = {
    min_capacity       = var.log_shipper.min_capacity
    max_capacity       = var.log_shipper.max_capacity
    cpu_target_percent = 50
  }

  task_iam_statements = [
    {
      sid       = "ConsumeTrailNotifications"
      actions   = ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility"]
      resources = [local.queue_arn]
    },
    {
      sid        = "ReadTrailFiles"
      actions    = ["s3:GetObject"]
      resources  = ["${local.bucket_arn.trail}/AWSLogs/${local.account}/CloudTrail/*"]
      conditions = local.in_canada
    },
    {
      sid       = "PutToSecurityStream"
      actions   = ["kinesis:PutRecords", "kinesis:ListShards"]
      resources = [local.stream_arn]
    },
  ]
}

################################################################################
# translator batch: one run per new file under incoming/ in the batch input bucket
################################################################################

module "translator_batch" {
  source = "../../modules/ecs-scheduled-task"

  name               = local.components.translator_batch
  account_id         = local.account
  region             = var.region
  cluster_arn        = aws_ecs_cluster.this.arn
  cluster_name       = aws_ecs_cluster.this.name
  vpc_id             = var.vpc_id
  subnet_ids         = var.private_subnet_ids
  image              = "${local.registry}/${module.ecr_translator.repository_name}:${var.image_tags.translator}"
  ecr_repository_arn = local.repo_arn.translator
  environment = {
    TRANSLATOR_LOG_FORMAT = "json"
    TRANSLATOR_KMS_KEY_ID = module.kms_pii.alias_name
    TRANSLATOR_TOKEN_KEYS = var.translator_token_keys_path
  }
  cpu                = var.translator_batch.cpu
  memory             = var.translator_batch.memory
  log_kms_key_arn    = module.kms_logs.key_arn
  log_retention_days = var.log_retention_days
  egress_cidr_blocks = [var.vpc_cidr]

  s3_trigger = {
    bucket = local.buckets.batch_input
    prefix = "incoming/"
    # Runs sized to the batch file: each size tier starts its shards, each shard one task translating
    # every N-th record into its own output object. <bucket> and <key> come from the S3 event,
    # {shard} and {shards} from the module.
    command    = ["batch", "--input", "s3://<bucket>/<key>", "--output", "s3://${local.buckets.batch_output}/out/<key>.part-{shard}-of-{shards}.ndjson", "--shard", "{shard}/{shards}", "--batch-id", "<key>", "--no-progress"]
    size_tiers = var.translator_batch.size_tiers
  }

  task_iam_statements = [
    {
      sid        = "ReadBatchInput"
      actions    = ["s3:GetObject"]
      resources  = ["${local.bucket_arn.batch_input}/incoming/*"]
      conditions = local.in_canada
    },
    {
      sid        = "WriteBatchOutput"
      actions    = ["s3:PutObject", "s3:AbortMultipartUpload"]
      resources  = ["${local.bucket_arn.batch_output}/out/*"]
      conditions = local.in_canada
    },
  ]
}

################################################################################
# auditor: nightly compliance audit of the account
################################################################################

module "auditor" {
  source = "../../modules/ecs-scheduled-task"

  name                = local.components.auditor
  account_id          = local.account
  region              = var.region
  cluster_arn         = aws_ecs_cluster.this.arn
  cluster_name        = aws_ecs_cluster.this.name
  vpc_id              = var.vpc_id
  subnet_ids          = var.private_subnet_ids
  image               = "${local.registry}/${module.ecr_auditor.repository_name}:${var.image_tags.auditor}"
  ecr_repository_arn  = local.repo_arn.auditor
  schedule_expression = var.auditor_schedule
  # The JSON report goes to stdout, i.e. to the task's KMS-encrypted log group (kept log_retention_days).
  command            = ["run", "--regions", join(",", local.regions), "--format", "json", "--log-format", "json"]
  cpu                = 1024
  memory             = 2048
  log_kms_key_arn    = module.kms_logs.key_arn
  log_retention_days = var.log_retention_days
  egress_cidr_blocks = [var.vpc_cidr]

  task_iam_statements = [
    {
      sid = "ListAccountInventory"
      actions = [
        "cloudtrail:DescribeTrails",
        "cloudtrail:ListTrails",
        "ecs:ListClusters",
        "ecs:ListServices",
        "kinesis:ListStreams",
        "logs:DescribeLogGroups",
        "kms:ListAliases",
        "kms:ListKeys",
        "s3:GetAccountPublicAccessBlock",
        "s3:ListAllMyBuckets",
      ]
      resources  = ["*"]
      conditions = local.in_canada
    },
    {
      sid = "ReadBucketConfiguration"
      actions = [
        "s3:GetBucketLocation",
        "s3:GetBucketLogging",
        "s3:GetBucketObjectLockConfiguration",
        "s3:GetBucketOwnershipControls",
        "s3:GetBucketPolicy",
        "s3:GetBucketPolicyStatus",
        "s3:GetBucketPublicAccessBlock",
        "s3:GetBucketTagging",
        "s3:GetBucketVersioning",
        "s3:GetEncryptionConfiguration",
        "s3:GetLifecycleConfiguration",
        "s3:GetReplicationConfiguration",
      ]
      resources = ["arn:${local.partition}:s3:::*"]
      conditions = concat(local.in_canada, [
        { test = "StringEquals", variable = "s3:ResourceAccount", values = [local.account] },
      ])
    },
    {
      sid        = "ReadKeyMetadata"
      actions    = ["kms:DescribeKey", "kms:GetKeyPolicy", "kms:GetKeyRotationStatus", "kms:ListResourceTags"]
      resources  = [for r in local.regions : "arn:${local.partition}:kms:${r}:${local.account}:key/*"]
      conditions = local.in_canada
    },
    {
      sid        = "ReadTrailStatus"
      actions    = ["cloudtrail:GetEventSelectors", "cloudtrail:GetTrailStatus", "cloudtrail:ListTags"]
      resources  = [for r in local.regions : "arn:${local.partition}:cloudtrail:${r}:${local.account}:trail/*"]
      conditions = local.in_canada
    },
    {
      sid        = "ReadLogGroups"
      actions    = ["logs:ListTagsForResource", "logs:ListTagsLogGroup"]
      resources  = [for r in local.regions : "arn:${local.partition}:logs:${r}:${local.account}:log-group:*"]
      conditions = local.in_canada
    },
    {
      sid        = "ReadStreams"
      actions    = ["kinesis:DescribeStreamSummary", "kinesis:ListTagsForStream"]
      resources  = [for r in local.regions : "arn:${local.partition}:kinesis:${r}:${local.account}:stream/*"]
      conditions = local.in_canada
    },
    {
      sid        = "ReadRepositories"
      actions    = ["ecr:DescribeRepositories", "ecr:GetLifecyclePolicy", "ecr:GetRepositoryPolicy"]
      resources  = [for r in local.regions : "arn:${local.partition}:ecr:${r}:${local.account}:repository/*"]
      conditions = local.in_canada
    },
    {
      sid        = "ReadEcsServices"
      actions    = ["ecs:DescribeClusters", "ecs:DescribeServices"]
      resources  = [for r in local.regions : "arn:${local.partition}:ecs:${r}:${local.account}:*"]
      conditions = local.in_canada
    },
    {
      sid = "ReadRolesAndPolicies"
      actions = [
        "iam:GetPolicy",
        "iam:GetPolicyVersion",
        "iam:GetRole",
        "iam:GetRolePolicy",
        "iam:ListAttachedRolePolicies",
        "iam:ListRolePolicies",
      ]
      resources = [
        "arn:${local.partition}:iam::${local.account}:role/*",
        "arn:${local.partition}:iam::${local.account}:policy/*",
        "arn:${local.partition}:iam::aws:policy/*",
      ]
    },
    {
      # IAM is a global service (requests go to us-east-1), so no region condition here.
      sid       = "ListRoles"
      actions   = ["iam:ListRoles"]
      resources = ["*"]
    },
  ]
}
