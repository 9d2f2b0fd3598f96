################################################################################
# Case service: ECS task role (clean) and a reporting policy (deliberately bad)
# https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-iam-roles.html
################################################################################

data "aws_iam_policy_document" "assume" {
  statement {
    sid     = "EcsTasksAssumeRole"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["ecs-tasks.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [var.account_id]
    }

    condition {
      test     = "ArnLike"
      variable = "aws:SourceArn"
      values   = ["arn:aws:ecs:${var.region}:${var.account_id}:*"]
    }
  }
}

resource "aws_iam_role" "task" {
  name                 = "${var.name}-task"
  assume_role_policy   = data.aws_iam_policy_document.assume.json
  max_session_duration = 3600
}

data "aws_iam_policy_document" "task" {
  statement {
    sid       = "ReadCaseDocuments"
    actions   = ["s3:GetObject"]
    resources = ["${var.case_bucket_arn}/cases/*"]
  }

  statement {
    sid       = "DecryptCaseDocuments"
    actions   = ["kms:Decrypt"]
    resources = [var.case_key_arn]

    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = ["s3.${var.region}.amazonaws.com"]
    }
  }
}

resource "aws_iam_role_policy" "task" {
  name   = "case-documents"
  role   = aws_iam_role.task.id
  policy = data.aws_iam_policy_document.task.json
}

# Deliberately bad: a "temporary" reporting policy that grants every S3 action on every bucket
# and lets the holder pass any role. policy-lint reports it.
resource "aws_iam_policy" "reporting" {
  name = "${var.name}-reporting"
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid      = "ReportingExports"
        Effect   = "Allow"
        Action   = ["s3:*", "iam:PassRole", "lambda:CreateFunction", "lambda:InvokeFunction"]
        Resource = "*"
      },
    ]
  })
}
