# Generates a `terraform show -json` plan with N resources (default 10,000) for the policy-lint
# plan benchmark: IAM roles with trust and inline policies, role policies, managed policies,
# bucket, key, queue and topic policies, plus resources without policies, spread over child
# modules, with `planned_values` and `resource_changes` (as Terraform writes them) and a few
# policies unknown until apply. Deterministic (seed 42). Synthetic data only.
#
# Usage: python3 gen_plan.py OUT.json [N]
import json, random, sys

random.seed(42)
out = sys.argv[1]
n = int(sys.argv[2]) if len(sys.argv) > 2 else 10_000
acct = "111122223333"


def identity(i):
    st = []
    for s in range(random.randint(2, 6)):
        svc = random.choice(["s3", "sqs", "kms", "logs", "dynamodb", "kinesis"])
        arn = {
            "s3": f"arn:aws:s3:::fcm-bucket-{i}/*",
            "sqs": f"arn:aws:sqs:ca-central-1:{acct}:queue-{i}",
            "kms": f"arn:aws:kms:ca-central-1:{acct}:key/00000000-0000-4000-8000-{i:012d}",
            "logs": f"arn:aws:logs:ca-central-1:{acct}:log-group:/fcm/{i}:*",
            "dynamodb": f"arn:aws:dynamodb:ca-central-1:{acct}:table/cases-{i}",
            "kinesis": f"arn:aws:kinesis:ca-central-1:{acct}:stream/events-{i}",
        }[svc]
        acts = {
            "s3": ["s3:GetObject", "s3:PutObject"],
            "sqs": ["sqs:SendMessage", "sqs:ReceiveMessage", "sqs:DeleteMessage"],
            "kms": ["kms:Decrypt", "kms:GenerateDataKey"],
            "logs": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "dynamodb": ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query"],
            "kinesis": ["kinesis:PutRecords", "kinesis:DescribeStreamSummary"],
        }[svc]
        stmt = {"Sid": f"S{s}", "Effect": "Allow", "Action": random.sample(acts, random.randint(1, len(acts))), "Resource": arn}
        if random.random() < 0.1:
            stmt["Action"] = [f"{svc}:*"]
            stmt["Resource"] = "*"
        st.append(stmt)
    return json.dumps({"Version": "2012-10-17", "Statement": st})


def trust(i):
    return json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole",
        "Condition": {"StringEquals": {"aws:SourceAccount": acct}}}]})


def bucket(i):
    b = f"arn:aws:s3:::fcm-bucket-{i}"
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": [b, b + "/*"],
         "Condition": {"Bool": {"aws:SecureTransport": "false"}}},
        {"Sid": "Reader", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{acct}:role/reader-{i}"},
         "Action": "s3:GetObject", "Resource": b + "/*"}]})


def key(i):
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Sid": "Admin", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{acct}:role/key-admin"},
         "Action": ["kms:DescribeKey", "kms:PutKeyPolicy", "kms:EnableKeyRotation"], "Resource": "*"},
        {"Sid": "Use", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{acct}:role/app-{i}"},
         "Action": ["kms:Decrypt", "kms:GenerateDataKey"], "Resource": "*",
         "Condition": {"StringEquals": {"kms:ViaService": "s3.ca-central-1.amazonaws.com"}}}]})


def queue(i):
    return json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Service": "s3.amazonaws.com"}, "Action": "sqs:SendMessage",
        "Resource": f"arn:aws:sqs:ca-central-1:{acct}:queue-{i}",
        "Condition": {"ArnLike": {"aws:SourceArn": f"arn:aws:s3:::fcm-bucket-{i}"}, "StringEquals": {"aws:SourceAccount": acct}}}]})


kinds = [
    ("aws_iam_role", lambda i: {"name": f"role-{i}", "assume_role_policy": trust(i), "max_session_duration": 3600,
                                "inline_policy": [{"name": "inline", "policy": identity(i)}]}),
    ("aws_iam_role_policy", lambda i: {"name": f"p-{i}", "role": f"role-{i}", "policy": identity(i)}),
    ("aws_iam_policy", lambda i: {"name": f"mp-{i}", "path": "/", "policy": identity(i)}),
    ("aws_s3_bucket_policy", lambda i: {"bucket": f"fcm-bucket-{i}", "policy": bucket(i)}),
    ("aws_kms_key", lambda i: {"description": f"key {i}", "enable_key_rotation": True, "policy": key(i)}),
    ("aws_sqs_queue_policy", lambda i: {"queue_url": f"https://sqs/{i}", "policy": queue(i)}),
    ("aws_s3_bucket", lambda i: {"bucket": f"fcm-bucket-{i}", "force_destroy": False, "tags": {"DataClass": "pii"}}),
    ("aws_cloudwatch_log_group", lambda i: {"name": f"/fcm/{i}", "retention_in_days": 400}),
    ("aws_sqs_queue", lambda i: {"name": f"queue-{i}", "kms_master_key_id": "alias/fcm", "message_retention_seconds": 345600}),
    ("aws_kinesis_stream", lambda i: {"name": f"events-{i}", "encryption_type": "KMS", "shard_count": 2}),
]

modules = {}
changes = []
for i in range(n):
    t, mk = kinds[i % len(kinds)]
    mod = f"module.svc{i % 50}"
    values = mk(i)
    name = f"r{i}"
    addr = f"{mod}.{t}.{name}"
    unknown = {}
    if "policy" in values and random.random() < 0.02:
        unknown["policy"] = True
        values = dict(values)
        del values["policy"]
    modules.setdefault(mod, []).append({"address": addr, "mode": "managed", "type": t, "name": name,
                                        "provider_name": "registry.terraform.io/hashicorp/aws", "schema_version": 0,
                                        "values": values, "sensitive_values": {}})
    changes.append({"address": addr, "module_address": mod, "mode": "managed", "type": t, "name": name,
                    "provider_name": "registry.terraform.io/hashicorp/aws",
                    "change": {"actions": ["create"], "before": None, "after": values, "after_unknown": unknown,
                               "before_sensitive": False, "after_sensitive": {}}})

plan = {
    "format_version": "1.2",
    "terraform_version": "1.9.5",
    "planned_values": {"root_module": {"child_modules": [{"address": m, "resources": rs} for m, rs in modules.items()]}},
    "resource_changes": changes,
    "configuration": {"provider_config": {"aws": {"name": "aws", "full_name": "registry.terraform.io/hashicorp/aws",
                                                  "expressions": {"region": {"constant_value": "ca-central-1"}}}}},
}
with open(out, "w") as f:
    json.dump(plan, f, indent=2)
