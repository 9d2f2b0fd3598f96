# terraform test (Terraform >= 1.7): the AWS provider is mocked, nothing is created.

mock_provider "aws" {}

variables {
  name                = "fcm-guard-test-translator"
  account_id          = "123456789012"
  region              = "ca-central-1"
  cluster_arn         = "arn:aws:ecs:ca-central-1:123456789012:cluster/fcm-guard-test"
  cluster_name        = "fcm-guard-test"
  vpc_id              = "vpc-0a1b2c3d4e5f60718"
  subnet_ids          = ["subnet-0a1b2c3d4e5f60001"]
  image               = "123456789012.dkr.ecr.ca-central-1.amazonaws.com/fcm-guard/translator:0.1.0"
  ecr_repository_arn  = "arn:aws:ecr:ca-central-1:123456789012:repository/fcm-guard/translator"
  log_kms_key_arn     = "arn:aws:kms:ca-central-1:123456789012:key/00000000-0000-4000-8000-000000000000"
  egress_cidr_blocks  = ["10.40.0.0/16"]
  container_port      = 8080
  task_iam_statements = []
}

run "without_load_balancer" {
  command = plan

  assert {
    condition     = length(aws_lb.this) == 0 && length(aws_wafv2_web_acl.this) == 0 && length(aws_appautoscaling_policy.requests) == 0
    error_message = "No load balancer, WAF or request-count scaling unless asked for."
  }

  assert {
    condition     = aws_iam_role.execution[0].name != aws_iam_role.task[0].name && length(aws_iam_role_policy.task) == 0
    error_message = "Execution and task roles are separate; no statements, no task policy."
  }

  assert {
    condition     = aws_ecs_service.this[0].enable_execute_command == false && one(aws_ecs_service.this[0].network_configuration).assign_public_ip == false
    error_message = "No ECS Exec, no public IP."
  }

  assert {
    condition     = jsondecode(aws_ecs_task_definition.this[0].container_definitions)[0].readonlyRootFilesystem && jsondecode(aws_ecs_task_definition.this[0].container_definitions)[0].user == "65532:65532"
    error_message = "The container runs as non-root with a read-only root filesystem."
  }
}

run "behind_an_https_load_balancer_with_waf" {
  command = plan

  variables {
    create_alb              = true
    alb_subnet_ids          = ["subnet-0a1b2c3d4e5f60001", "subnet-0a1b2c3d4e5f60002"]
    alb_ingress_cidr_blocks = ["10.40.0.0/16"]
    certificate_arn         = "arn:aws:acm:ca-central-1:123456789012:certificate/00000000-0000-4000-8000-000000000000"
  }

  assert {
    condition     = aws_lb_listener.https[0].protocol == "HTTPS" && aws_lb_listener.https[0].ssl_policy == "ELBSecurityPolicy-TLS13-1-2-2021-06"
    error_message = "HTTPS only, TLS 1.2 or later."
  }

  assert {
    condition     = aws_lb.this[0].drop_invalid_header_fields && aws_lb.this[0].internal
    error_message = "Internal ALB that drops invalid headers."
  }

  assert {
    condition     = length(aws_wafv2_web_acl.this[0].rule) == 4 && length(aws_appautoscaling_policy.requests) == 1
    error_message = "Three AWS managed rule groups plus a rate limit, and request-count scaling."
  }
}

run "tls_policy_below_1_2_is_rejected" {
  command = plan

  variables {
    ssl_policy = "ELBSecurityPolicy-2016-08"
  }

  expect_failures = [var.ssl_policy]
}

run "runs_in_canada_only" {
  command = plan

  variables {
    region = "us-west-2"
  }

  expect_failures = [var.region]
}
