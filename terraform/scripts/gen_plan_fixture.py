#!/usr/bin/env python3
"""Write terraform/envs/prod/plan.json: the `terraform show -json` document of a first `terraform plan`
of envs/prod with its terraform.tfvars.

The terraform binary cannot run on the build machines, so this script plays Terraform's part by hand: each
module below is a Python function that mirrors the module's .tf source (same resources, same addresses, same
attribute values, policies rendered the way `aws_iam_policy_document` renders them), and the root function
mirrors envs/prod/main.tf. `common/tests/terraform_tree.rs` keeps the two in step: every address in the
fixture must be a block of the module source, every block of the prod tree must be in the fixture, and the
fixture's variables must equal terraform.tfvars.

Values Terraform only learns at apply time (ARNs of new keys, ids) are marked unknown (`after_unknown`), as
in a real plan. Names are fixed up front in envs/prod, so every policy document is complete at plan time.

With real Terraform and an AWS account, regenerate instead with:
    cd terraform/envs/prod && terraform init && terraform plan -out tfplan && terraform show -json tfplan > plan.json

Usage: python3 terraform/scripts/gen_plan_fixture.py [--check]
"""
import copy
import hashlib
import json
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
OUT = ROOT / "envs" / "prod" / "plan.json"
PROVIDER = "registry.terraform.io/hashicorp/aws"

# envs/prod/terraform.tfvars (the consistency test compares these with the file).
VARS = {
    "environment": "prod",
    "account_id": "123456789012",
    "region": "ca-central-1",
    "dr_region": "ca-west-1",
    "deployer_role_name": "fcm-guard-terraform-admin",
    "vpc_id": "vpc-0a1b2c3d4e5f60718",
    "vpc_cidr": "10.40.0.0/16",
    "private_subnet_ids": ["subnet-0a1b2c3d4e5f60001", "subnet-0a1b2c3d4e5f60002", "subnet-0a1b2c3d4e5f60003"],
    "translator_ingress_cidrs": ["10.40.0.0/16", "10.50.0.0/16"],
    "translator_certificate_arn": "arn:aws:acm:ca-central-1:123456789012:certificate/00000000-0000-4000-8000-000000000000",
    "image_tags": {"auditor": "0.1.0", "log_shipper": "0.1.0", "translator": "0.1.0"},
    "translator": {"cpu": 1024, "memory": 2048, "min_capacity": 2, "max_capacity": 10},
    "translator_batch": {"cpu": 1024, "memory": 2048, "size_tiers": [
        {"min_bytes": 0, "cpu": 1024, "memory": 2048, "shards": 1},
        {"min_bytes": 268435456, "cpu": 4096, "memory": 8192, "shards": 1},
        {"min_bytes": 2147483648, "cpu": 4096, "memory": 8192, "shards": 4},
    ]},
    "log_shipper": {"cpu": 512, "memory": 1024, "min_capacity": 2, "max_capacity": 8},
    "auditor_schedule": "cron(0 6 * * ? *)",
    "log_retention_days": 400,
    "trail_log_expiration_days": 2557,
    "trail_object_lock_days": 365,
    "pii_batch_expiration_days": 7,
    "stream_retention_hours": 168,
    "stream_consumer_role_arns": [],
    # Defaults of variables not set in terraform.tfvars.
    "translator_token_keys_path": "/etc/fcm-guard/translator-token-keys.json",
}


class Unknown:
    """A value known only after apply."""

    def __repr__(self):
        return "(known after apply)"


U = Unknown()


def ref(*exprs):
    """A configuration expression referring to other objects, with the prefixes Terraform lists too."""
    out = []
    for e in exprs:
        parts = e.split(".")
        if parts[0] in ("var", "local", "module"):
            cands = [".".join(parts[:i]) for i in range(len(parts), 1, -1)]
        elif parts[0] == "data":
            cands = [e, ".".join(parts[:3])]
            if parts[2].endswith("]"):
                cands.append(".".join(parts[:2] + [parts[2].split("[")[0]]))
        else:
            head = ".".join(parts[:2])
            cands = [e, head] + ([head.split("[")[0]] if head.endswith("]") else [])
        for c in cands:
            if c not in out:
                out.append(c)
    return {"references": out}


def nested(path, leaf):
    """Configuration expressions of nested blocks: nested("rule.0.x.0.key", ref(...))."""
    keys = path.split(".")
    def build(i):
        if i == len(keys) - 1:
            return {keys[i]: leaf}
        if keys[i + 1].isdigit():
            return {keys[i]: [build(i + 2)]}
        return {keys[i]: build(i + 1)}
    return build(0)


def split(v):
    """(known part, after_unknown mirror) of a value tree holding Unknown leaves."""
    if isinstance(v, Unknown):
        return None, True
    if isinstance(v, dict):
        known, unk = {}, {}
        for k, x in v.items():
            kv, ku = split(x)
            if ku is True:
                unk[k] = True
                continue
            known[k] = kv
            if isinstance(ku, (dict, list)):
                unk[k] = ku
        return known, unk
    if isinstance(v, list):
        pairs = [split(x) for x in v]
        return [p[0] for p in pairs], [p[1] if p[1] is True or isinstance(p[1], (dict, list)) else False for p in pairs]
    return v, False


# ---------------------------------------------------------------------------------------------------------
# aws_iam_policy_document, rendered like the provider does (single values collapse to strings, sets sorted)
# ---------------------------------------------------------------------------------------------------------


def one_or_many(values):
    values = sorted(set(values))
    return values[0] if len(values) == 1 else values


def statement(sid, actions, resources, effect="Allow", principals=None, conditions=()):
    s = {"Sid": sid, "Effect": effect, "Action": one_or_many(actions), "Resource": one_or_many(resources)}
    if principals:
        if principals == [("*", ["*"])]:
            s["Principal"] = "*"
        else:
            s["Principal"] = {t: one_or_many(ids) for t, ids in principals}
    if conditions:
        cond = {}
        for test, variable, values in conditions:
            cond.setdefault(test, {})[variable] = values[0] if len(values) == 1 else list(values)
        s["Condition"] = cond
    return s


def policy(statements):
    return json.dumps({"Version": "2012-10-17", "Statement": statements}, indent=2)


# ---------------------------------------------------------------------------------------------------------
# Plan builder
# ---------------------------------------------------------------------------------------------------------


class Plan:
    def __init__(self):
        self.managed = []  # (module path, resource dict, after_unknown)
        self.data = []  # (module path, resource dict)
        self.config = {}  # module path -> {config address -> configuration resource}

    def configure(self, path, mode, rtype, name, refs, counted):
        addr = f"{'data.' if mode == 'data' else ''}{rtype}.{name}"
        entry = self.config.setdefault(path, {}).setdefault(addr, {
            "address": addr, "mode": mode, "type": rtype, "name": name,
            "provider_config_key": (f"{path.split('.')[1]}:" if path else "") + ("terraform" if rtype == "terraform_data" else "aws"),
            "expressions": {}, "schema_version": 0,
        })
        if counted:
            entry["count_expression"] = {"references": ["var.create"]}
        entry["expressions"].update(refs or {})

    def resource(self, path, rtype, name, values, index=0, refs=None, provider=PROVIDER):
        address = f"{path + '.' if path else ''}{rtype}.{name}" + ("" if index is None else f"[{index}]")
        known, unk = split(values)
        r = {
            "address": address,
            "mode": "managed",
            "type": rtype,
            "name": name,
            "provider_name": provider,
            "schema_version": 0,
            "values": known,
            "sensitive_values": {},
        }
        if index is not None:
            r = {**r, "index": index}
            r = {k: r[k] for k in ["address", "mode", "type", "name", "index", "provider_name", "schema_version", "values", "sensitive_values"]}
        self.managed.append((path, r, unk))
        self.configure(path, "managed", rtype, name, refs, index is not None)
        return values

    def data_source(self, path, rtype, name, values, index=0):
        address = f"{path + '.' if path else ''}data.{rtype}.{name}" + ("" if index is None else f"[{index}]")
        r = {"address": address, "mode": "data", "type": rtype, "name": name}
        if index is not None:
            r["index"] = index
        r.update({"provider_name": PROVIDER, "schema_version": 0, "values": values, "sensitive_values": {}})
        self.data.append((path, r))
        self.configure(path, "data", rtype, name, None, index is not None)
        return values

    def policy_document(self, path, name, statements, index=0):
        doc = policy(statements)
        self.data_source(path, "aws_iam_policy_document", name, {
            "id": str(int(hashlib.sha256(doc.encode()).hexdigest()[:8], 16)),
            "json": doc,
            "minified_json": json.dumps(json.loads(doc), separators=(",", ":")),
            "override_policy_documents": None,
            "policy_id": None,
            "source_policy_documents": None,
            "statement": [],
            "version": "2012-10-17",
        }, index)
        return doc

    def modules_tree(self, entries):
        """Nest flat (path, resource) entries into root_module/child_modules."""
        root = {"resources": [], "child_modules": []}
        index = {"": root}
        for path, r in entries:
            node = root
            parts = path.split(".") if path else []
            for i in range(0, len(parts), 2):
                sub = ".".join(parts[: i + 2])
                if sub not in index:
                    child = {"resources": [], "address": sub, "child_modules": []}
                    node["child_modules"].append(child)
                    index[sub] = child
                node = index[sub]
            node["resources"].append(r)

        def tidy(n):
            if not n["child_modules"]:
                del n["child_modules"]
            else:
                for c in n["child_modules"]:
                    tidy(c)
            if not n["resources"]:
                del n["resources"]
            return n

        return tidy(root)


P = Plan()
A = VARS["account_id"]
REGION = VARS["region"]
DR = VARS["dr_region"]
PART = "aws"
DEFAULT_TAGS = {"Environment": VARS["environment"], "ManagedBy": "terraform", "Project": "fcm-guard"}


def tags(t):
    return {"tags": dict(t) if t else None, "tags_all": {**DEFAULT_TAGS, **(t or {})}}


def partition(path):
    P.data_source(path, "aws_partition", "current", {"dns_suffix": "amazonaws.com", "id": "aws", "partition": "aws", "reverse_dns_prefix": "com.amazonaws"}, None)


# ---------------------------------------------------------------------------------------------------------
# modules/kms-key
# ---------------------------------------------------------------------------------------------------------

KMS_ADMIN_ACTIONS = [
    "kms:CancelKeyDeletion", "kms:CreateAlias", "kms:DeleteAlias", "kms:DescribeKey", "kms:DisableKey",
    "kms:DisableKeyRotation", "kms:EnableKey", "kms:EnableKeyRotation", "kms:GetKeyPolicy",
    "kms:GetKeyRotationStatus", "kms:ListAliases", "kms:ListGrants", "kms:ListKeyPolicies",
    "kms:ListResourceTags", "kms:PutKeyPolicy", "kms:RevokeGrant", "kms:RotateKeyOnDemand",
    "kms:ScheduleKeyDeletion", "kms:TagResource", "kms:UntagResource", "kms:UpdateAlias",
    "kms:UpdateKeyDescription",
]
KMS_USER_DEFAULT = ["kms:Decrypt", "kms:GenerateDataKey", "kms:DescribeKey"]


BUILTIN = "terraform.io/builtin/terraform"


def ordering(path, name, refs):
    """A terraform_data resource whose input is only known after apply (ARNs of new roles, a status)."""
    P.resource(path, "terraform_data", name, {"id": U, "input": U, "output": U, "triggers_replace": None},
               refs={"input": refs}, provider=BUILTIN)


def kms_key(path, region, name, description, admins, auditors=(), users=(), services=(), key_spec="SYMMETRIC_DEFAULT", rotation=365, deletion=30, tags_=None):
    caller = ("StringEquals", "kms:CallerAccount", [A])
    st = [statement("KeyAdministration", KMS_ADMIN_ACTIONS, ["*"], principals=[("AWS", admins)], conditions=[caller])]
    if auditors:
        st.append(statement("KeyAudit", ["kms:DescribeKey", "kms:GetKeyPolicy", "kms:GetKeyRotationStatus", "kms:ListResourceTags"], ["*"], principals=[("AWS", list(auditors))], conditions=[caller]))
    for u in users:
        actions = u.get("actions", KMS_USER_DEFAULT)
        conds = [caller]
        if u["via"]:
            conds.append(("StringEquals", "kms:ViaService", u["via"]))
        if "kms:CreateGrant" in actions:
            conds.append(("Bool", "kms:GrantIsForAWSResource", ["true"]))
        conds += u.get("context", [])
        st.append(statement(u["sid"], actions, ["*"], principals=[("AWS", u["arns"])], conditions=conds))
    for s in services:
        st.append(statement(s["sid"], s["actions"], ["*"], principals=[("Service", [s["service"]])], conditions=s["conditions"]))
    doc = P.policy_document(path, "this", st)
    ordering(path, "principals", ref("var.principal_dependencies"))
    symmetric = key_spec == "SYMMETRIC_DEFAULT"
    P.resource(path, "aws_kms_key", "this", {
        "arn": U, "bypass_policy_lockout_safety_check": False, "custom_key_store_id": None,
        "customer_master_key_spec": key_spec, "deletion_window_in_days": deletion, "description": description,
        "enable_key_rotation": symmetric, "id": U, "is_enabled": True, "key_id": U,
        "key_usage": "ENCRYPT_DECRYPT" if symmetric else "GENERATE_VERIFY_MAC", "multi_region": False,
        "policy": doc, "region": region, "rotation_period_in_days": rotation if symmetric else U,
        "xks_key_id": None, **tags(tags_),
    }, refs={"policy": ref("data.aws_iam_policy_document.this[0].json")})
    P.resource(path, "aws_kms_alias", "this", {
        "arn": U, "id": U, "name": f"alias/{name}", "name_prefix": U, "region": region, "target_key_arn": U, "target_key_id": U,
    }, refs={"target_key_id": ref("aws_kms_key.this[0].key_id")})
    return {"key_arn": U, "alias_name": f"alias/{name}", "policy": doc}


# ---------------------------------------------------------------------------------------------------------
# modules/secure-bucket
# ---------------------------------------------------------------------------------------------------------


def secure_bucket(path, region, bucket, data_class, expiration_days, kms_key_arn, noncurrent_days=30, object_lock=None,
                  access_logging=None, log_delivery=False, eventbridge=False, policy_statements=(), replication=None,
                  force_destroy=False, tags_=None, allowed_regions=("ca-central-1", "ca-west-1")):
    partition(path)
    arn = f"arn:{PART}:s3:::{bucket}"
    btags = {**(tags_ or {}), "DataClass": data_class}
    P.resource(path, "aws_s3_bucket", "this", {
        "acceleration_status": U, "acl": U, "arn": U, "bucket": bucket, "bucket_domain_name": U, "bucket_prefix": U,
        "bucket_region": U, "bucket_regional_domain_name": U, "force_destroy": force_destroy, "hosted_zone_id": U, "id": U,
        "object_lock_enabled": object_lock is not None, "policy": U, "region": region, "request_payer": U, **tags(btags),
    })
    P.resource(path, "aws_s3_bucket_ownership_controls", "this", {
        "bucket": U, "id": U, "region": region, "rule": [{"object_ownership": "BucketOwnerEnforced"}],
    }, refs={"bucket": ref("aws_s3_bucket.this[0].id")})
    P.resource(path, "aws_s3_bucket_public_access_block", "this", {
        "block_public_acls": True, "block_public_policy": True, "bucket": U, "id": U, "ignore_public_acls": True,
        "region": region, "restrict_public_buckets": True, "skip_destroy": None,
    }, refs={"bucket": ref("aws_s3_bucket.this[0].id")})
    P.resource(path, "aws_s3_bucket_server_side_encryption_configuration", "this", {
        "bucket": U, "expected_bucket_owner": None, "id": U, "region": region,
        "rule": [{"apply_server_side_encryption_by_default": [{"kms_master_key_id": kms_key_arn, "sse_algorithm": "aws:kms"}], "bucket_key_enabled": True}],
    }, refs={**{"bucket": ref("aws_s3_bucket.this[0].id")}, **nested("rule.0.apply_server_side_encryption_by_default.0.kms_master_key_id", ref("var.kms_key_arn"))})
    P.resource(path, "aws_s3_bucket_versioning", "this", {
        "bucket": U, "expected_bucket_owner": None, "id": U, "mfa": None, "region": region,
        "versioning_configuration": [{"mfa_delete": U, "status": "Enabled"}],
    }, refs={"bucket": ref("aws_s3_bucket.this[0].id")})
    P.resource(path, "aws_s3_bucket_lifecycle_configuration", "this", {
        "bucket": U, "expected_bucket_owner": None, "id": U, "region": region,
        "rule": [{
            "abort_incomplete_multipart_upload": [{"days_after_initiation": 7}],
            "expiration": [{"date": None, "days": expiration_days, "expired_object_delete_marker": U}],
            "filter": [{"and": [], "object_size_greater_than": None, "object_size_less_than": None, "prefix": None, "tag": []}],
            "id": f"{data_class}-retention",
            "noncurrent_version_expiration": [{"newer_noncurrent_versions": None, "noncurrent_days": noncurrent_days}],
            "noncurrent_version_transition": [], "prefix": None, "status": "Enabled", "transition": [],
        }],
        "transition_default_minimum_object_size": "all_storage_classes_128K",
    }, refs={"bucket": ref("aws_s3_bucket.this[0].id")})
    if object_lock:
        P.resource(path, "aws_s3_bucket_object_lock_configuration", "this", {
            "bucket": U, "expected_bucket_owner": None, "id": U, "object_lock_enabled": "Enabled", "region": region,
            "rule": [{"default_retention": [{"days": object_lock["days"], "mode": object_lock["mode"], "years": None}]}],
            "token": None,
        }, refs={"bucket": ref("aws_s3_bucket.this[0].id")})
    if access_logging:
        ordering(path, "logging_target", ref("var.access_logging.target_ready", "var.access_logging"))
        P.resource(path, "aws_s3_bucket_logging", "this", {
            "bucket": U, "expected_bucket_owner": None, "id": U, "region": region,
            "target_bucket": access_logging["target_bucket"], "target_grant": [], "target_object_key_format": [],
            "target_prefix": access_logging["target_prefix"],
        }, refs={"bucket": ref("aws_s3_bucket.this[0].id")})
    if eventbridge:
        P.resource(path, "aws_s3_bucket_notification", "this", {
            "bucket": U, "eventbridge": True, "id": U, "lambda_function": [], "queue": [], "region": region, "topic": [],
        }, refs={"bucket": ref("aws_s3_bucket.this[0].id")})
    everyone = [("*", ["*"])]
    st = [
        statement("DenyInsecureTransport", ["s3:*"], [arn, f"{arn}/*"], "Deny", everyone, [("Bool", "aws:SecureTransport", ["false"])]),
        statement("DenyOutdatedTls", ["s3:*"], [arn, f"{arn}/*"], "Deny", everyone, [("NumericLessThan", "s3:TlsVersion", ["1.2"])]),
        statement("DenyNonKmsUploads", ["s3:PutObject"], [f"{arn}/*"], "Deny", everyone, [("StringNotEqualsIfExists", "s3:x-amz-server-side-encryption", ["aws:kms"])]),
    ]
    if log_delivery:
        st.append(statement("AllowServerAccessLogDelivery", ["s3:PutObject"], [f"{arn}/*"], "Allow", [("Service", ["logging.s3.amazonaws.com"])], [("StringEquals", "aws:SourceAccount", [A])]))
    for s in policy_statements:
        st.append(statement(s["sid"], s["actions"], s["resources"], s.get("effect", "Allow"), s["principals"], s.get("conditions", [])))
    doc = P.policy_document(path, "this", st)
    P.resource(path, "aws_s3_bucket_policy", "this", {"bucket": U, "id": U, "policy": doc, "region": region}, refs={**{"bucket": ref("aws_s3_bucket.this[0].id")}, "policy": ref("data.aws_iam_policy_document.this[0].json")})
    if replication:
        dest = f"arn:{PART}:s3:::{replication['destination_bucket']}"
        role = replication.get("role_name") or f"{bucket[:52]}-replication"
        assume = P.policy_document(path, "replication_assume", [statement(
            "S3AssumesReplicationRole", ["sts:AssumeRole"], ["*"], principals=[("Service", ["s3.amazonaws.com"])],
            conditions=[("StringEquals", "aws:SourceAccount", [A]), ("ArnLike", "aws:SourceArn", [arn])])])
        # aws_iam_policy_document leaves Resource out when no resources are given.
        fix_no_resource(path, "replication_assume")
        assume = P.data[-1][1]["values"]["json"]
        in_ca = [("StringEquals", "aws:RequestedRegion", list(allowed_regions))]
        rdoc = P.policy_document(path, "replication", [
            statement("ReadReplicationConfiguration", ["s3:GetReplicationConfiguration", "s3:ListBucket"], [arn]),
            statement("ReadSourceVersions", ["s3:GetObjectVersionForReplication", "s3:GetObjectVersionAcl", "s3:GetObjectVersionTagging"], [f"{arn}/*"], conditions=in_ca),
            statement("WriteReplicas", ["s3:ReplicateObject", "s3:ReplicateDelete", "s3:ReplicateTags"], [f"{dest}/*"], conditions=in_ca),
        ])
        iam_role(path, "replication", role, f"S3 replication of {bucket} to {replication['destination_bucket']}", assume, tags_, refs=ref("data.aws_iam_policy_document.replication_assume[0].json"))
        ordering(path, "replication_destination", ref("var.replication.destination_ready", "var.replication"))
        P.resource(path, "aws_iam_role_policy", "replication", {"id": U, "name": "replication", "name_prefix": U, "policy": rdoc, "role": U}, refs={"role": ref("aws_iam_role.replication[0].id"), "policy": ref("data.aws_iam_policy_document.replication[0].json")})
        P.resource(path, "aws_s3_bucket_replication_configuration", "this", {
            "bucket": U, "id": U, "region": region, "role": U, "token": None,
            "rule": [{
                "delete_marker_replication": [{"status": "Enabled"}],
                "destination": [{
                    "access_control_translation": [], "account": None, "bucket": dest,
                    "encryption_configuration": [{"replica_kms_key_id": replication["destination_kms_key_arn"]}],
                    "metrics": [], "replication_time": [], "storage_class": "STANDARD",
                }],
                "existing_object_replication": [], "filter": [{"and": [], "prefix": None, "tag": []}],
                "id": "disaster-recovery", "prefix": None, "priority": None,
                "source_selection_criteria": [{"replica_modifications": [], "sse_kms_encrypted_objects": [{"status": "Enabled"}]}],
                "status": "Enabled",
            }],
        }, refs={**{"bucket": ref("aws_s3_bucket.this[0].id")}, "role": ref("aws_iam_role.replication[0].arn"), **nested("rule.0.destination.0.encryption_configuration.0.replica_kms_key_id", ref("var.replication.destination_kms_key_arn", "var.replication"))})
    return {"s3_bucket_id": U, "s3_bucket_arn": U}


def fix_no_resource(path, name):
    """Trust policies have no Resource element."""
    r = P.data[-1][1]
    assert r["name"] == name
    doc = json.loads(r["values"]["json"])
    for s in doc["Statement"]:
        s.pop("Resource", None)
    text = json.dumps(doc, indent=2)
    r["values"]["json"] = text
    r["values"]["minified_json"] = json.dumps(doc, separators=(",", ":"))


def trust(path, name, service, conditions, sid):
    P.policy_document(path, name, [statement(sid, ["sts:AssumeRole"], ["*"], principals=[("Service", [service])], conditions=conditions)])
    fix_no_resource(path, name)
    return P.data[-1][1]["values"]["json"]


def iam_role(path, name, role_name, description, assume, tags_=None, refs=None):
    P.resource(path, "aws_iam_role", name, {
        "arn": U, "assume_role_policy": assume, "create_date": U, "description": description,
        "force_detach_policies": False, "id": U, "inline_policy": U, "managed_policy_arns": U,
        "max_session_duration": 3600, "name": role_name, "name_prefix": U, "path": "/",
        "permissions_boundary": None, "unique_id": U, **tags(tags_),
    }, refs={"assume_role_policy": refs} if refs else None)


# ---------------------------------------------------------------------------------------------------------
# modules/kinesis-stream, modules/ecr-repository
# ---------------------------------------------------------------------------------------------------------


def kinesis_stream(path, region, name, kms_key_arn, retention_hours=168, mode="ON_DEMAND"):
    P.resource(path, "aws_kinesis_stream", "this", {
        "arn": U, "encryption_type": "KMS", "enforce_consumer_deletion": False, "id": U, "kms_key_id": kms_key_arn,
        "name": name, "region": region, "retention_period": retention_hours, "shard_count": None,
        "shard_level_metrics": sorted(["IncomingBytes", "IncomingRecords", "WriteProvisionedThroughputExceeded", "IteratorAgeMilliseconds"]),
        "stream_mode_details": [{"stream_mode": mode}], **tags(None),
    }, refs={"kms_key_id": ref("var.kms_key_arn")})


def ecr_repository(path, region, name, kms_key_arn):
    P.resource(path, "aws_ecr_repository", "this", {
        "arn": U, "encryption_configuration": [{"encryption_type": "KMS", "kms_key": kms_key_arn}],
        "force_delete": False, "id": U, "image_scanning_configuration": [{"scan_on_push": True}],
        "image_tag_mutability": "IMMUTABLE", "image_tag_mutability_exclusion_filter": [], "name": name,
        "region": region, "registry_id": U, "repository_url": U, **tags(None),
    }, refs=nested("encryption_configuration.0.kms_key", ref("var.kms_key_arn")))
    P.resource(path, "aws_ecr_lifecycle_policy", "this", {
        "id": U, "policy": json.dumps({"rules": [
            {"action": {"type": "expire"}, "description": "Remove untagged images", "rulePriority": 1,
             "selection": {"countNumber": 7, "countType": "sinceImagePushed", "countUnit": "days", "tagStatus": "untagged"}},
            {"action": {"type": "expire"}, "description": "Keep the most recent tagged images", "rulePriority": 2,
             "selection": {"countNumber": 50, "countType": "imageCountMoreThan", "tagStatus": "any"}},
        ]}, separators=(",", ":")),
        "region": region, "registry_id": U, "repository": name,
    }, refs={"repository": ref("aws_ecr_repository.this[0].name")})
    return {"repository_url": f"{A}.dkr.ecr.{region}.amazonaws.com/{name}"}


# ---------------------------------------------------------------------------------------------------------
# modules/cloudtrail
# ---------------------------------------------------------------------------------------------------------


def cloudtrail(path, region, name, s3_bucket_name, kms_key_arn, log_retention_days, data_event_bucket_arns):
    partition(path)
    trail_arn = f"arn:{PART}:cloudtrail:{region}:{A}:trail/{name}"
    bucket_arn = f"arn:{PART}:s3:::{s3_bucket_name}"
    lg_name = f"/aws/cloudtrail/{name}"
    lg_arn = f"arn:{PART}:logs:{region}:{A}:log-group:{lg_name}"
    queue, dlq = f"{name}-objects", f"{name}-objects-dlq"
    queue_arn, dlq_arn = f"arn:{PART}:sqs:{region}:{A}:{queue}", f"arn:{PART}:sqs:{region}:{A}:{dlq}"
    log_group(path, "this", region, lg_name, log_retention_days, kms_key_arn, {"DataClass": "logs"}, refs={"kms_key_id": ref("var.kms_key_arn")})
    assume = trust(path, "cloudwatch_assume", "cloudtrail.amazonaws.com",
                   [("StringEquals", "aws:SourceArn", [trail_arn]), ("StringEquals", "aws:SourceAccount", [A])], "CloudTrailAssumesDeliveryRole")
    iam_role(path, "cloudwatch", f"{name}-cloudwatch-logs", f"CloudTrail delivery of {name} to CloudWatch Logs", assume, refs=ref("data.aws_iam_policy_document.cloudwatch_assume[0].json"))
    doc = P.policy_document(path, "cloudwatch", [statement("WriteTrailLogStreams", ["logs:CreateLogStream", "logs:PutLogEvents"], [f"{lg_arn}:log-stream:*"])])
    P.resource(path, "aws_iam_role_policy", "cloudwatch", {"id": U, "name": "cloudwatch-logs-delivery", "name_prefix": U, "policy": doc, "role": U}, refs={"role": ref("aws_iam_role.cloudwatch[0].id"), "policy": ref("data.aws_iam_policy_document.cloudwatch[0].json")})
    ordering(path, "bucket_ready", ref("var.bucket_ready"))
    selectors = [{"field_selector": [{"ends_with": None, "equals": ["Management"], "field": "eventCategory", "not_ends_with": None, "not_equals": None, "not_starts_with": None, "starts_with": None}], "name": "Management events"}]
    if data_event_bucket_arns:
        selectors.append({"field_selector": [
            {"ends_with": None, "equals": ["Data"], "field": "eventCategory", "not_ends_with": None, "not_equals": None, "not_starts_with": None, "starts_with": None},
            {"ends_with": None, "equals": ["AWS::S3::Object"], "field": "resources.type", "not_ends_with": None, "not_equals": None, "not_starts_with": None, "starts_with": None},
            {"ends_with": None, "equals": None, "field": "resources.ARN", "not_ends_with": None, "not_equals": None, "not_starts_with": None, "starts_with": [f"{b}/" for b in data_event_bucket_arns]},
        ], "name": "S3 object events on sensitive buckets"})
    P.resource(path, "aws_cloudtrail", "this", {
        "advanced_event_selector": selectors, "arn": U, "cloud_watch_logs_group_arn": U, "cloud_watch_logs_role_arn": U,
        "enable_log_file_validation": True, "enable_logging": True, "event_selector": [], "home_region": U, "id": U,
        "include_global_service_events": True, "insight_selector": [], "is_multi_region_trail": True,
        "is_organization_trail": False, "kms_key_id": kms_key_arn, "name": name, "region": region,
        "s3_bucket_name": s3_bucket_name, "s3_key_prefix": None, "sns_topic_arn": U, "sns_topic_name": None, **tags(None),
    }, refs={"kms_key_id": ref("var.kms_key_arn"), "s3_bucket_name": ref("var.s3_bucket_name"), "cloud_watch_logs_group_arn": ref("aws_cloudwatch_log_group.this[0].arn"), "cloud_watch_logs_role_arn": ref("aws_iam_role.cloudwatch[0].arn")})
    P.resource(path, "aws_sqs_queue", "dlq", {
        "arn": U, "content_based_deduplication": False, "deduplication_scope": U, "delay_seconds": 0, "fifo_queue": False,
        "fifo_throughput_limit": U, "id": U, "kms_data_key_reuse_period_seconds": 300, "kms_master_key_id": kms_key_arn,
        "max_message_size": U, "message_retention_seconds": 1209600, "name": dlq, "name_prefix": U, "policy": U,
        "receive_wait_time_seconds": 0, "redrive_allow_policy": U, "redrive_policy": U, "region": region,
        "sqs_managed_sse_enabled": U, "url": U, "visibility_timeout_seconds": 30, **tags(None),
    }, refs={"kms_master_key_id": ref("var.kms_key_arn")})
    P.resource(path, "aws_sqs_queue", "this", {
        "arn": U, "content_based_deduplication": False, "deduplication_scope": U, "delay_seconds": 0, "fifo_queue": False,
        "fifo_throughput_limit": U, "id": U, "kms_data_key_reuse_period_seconds": 300, "kms_master_key_id": kms_key_arn,
        "max_message_size": U, "message_retention_seconds": 345600, "name": queue, "name_prefix": U, "policy": U,
        "receive_wait_time_seconds": 20, "redrive_allow_policy": U, "redrive_policy": U, "region": region,
        "sqs_managed_sse_enabled": U, "url": U, "visibility_timeout_seconds": 300, **tags(None),
    }, refs={"kms_master_key_id": ref("var.kms_key_arn"), "redrive_policy": ref("aws_sqs_queue.dlq[0].arn", "var.queue_max_receive_count")})
    everyone = [("*", ["*"])]
    qdoc = P.policy_document(path, "queue", [
        statement("AllowTrailBucketNotifications", ["sqs:SendMessage"], [queue_arn], principals=[("Service", ["s3.amazonaws.com"])],
                  conditions=[("ArnEquals", "aws:SourceArn", [bucket_arn]), ("StringEquals", "aws:SourceAccount", [A])]),
        statement("DenyInsecureTransport", ["sqs:*"], [queue_arn], "Deny", everyone, [("Bool", "aws:SecureTransport", ["false"])]),
    ])
    P.resource(path, "aws_sqs_queue_policy", "this", {"id": U, "policy": qdoc, "queue_url": U, "region": region}, refs={"queue_url": ref("aws_sqs_queue.this[0].id"), "policy": ref("data.aws_iam_policy_document.queue[0].json")})
    ddoc = P.policy_document(path, "dlq", [
        statement("DenyInsecureTransport", ["sqs:*"], [dlq_arn], "Deny", everyone, [("Bool", "aws:SecureTransport", ["false"])]),
    ])
    P.resource(path, "aws_sqs_queue_policy", "dlq", {"id": U, "policy": ddoc, "queue_url": U, "region": region}, refs={"queue_url": ref("aws_sqs_queue.dlq[0].id"), "policy": ref("data.aws_iam_policy_document.dlq[0].json")})
    P.resource(path, "aws_s3_bucket_notification", "this", {
        "bucket": s3_bucket_name, "eventbridge": False, "id": U, "lambda_function": [], "region": region, "topic": [],
        "queue": [{"events": ["s3:ObjectCreated:*"], "filter_prefix": f"AWSLogs/{A}/CloudTrail/", "filter_suffix": ".json.gz", "id": "cloudtrail-objects", "queue_arn": U}],
    }, refs={"bucket": ref("var.s3_bucket_name"), **nested("queue.0.queue_arn", ref("aws_sqs_queue.this[0].arn"))})
    return {"queue_url": f"https://sqs.{region}.amazonaws.com/{A}/{queue}"}


def log_group(path, name, region, lg_name, retention, kms_key_arn, tags_, refs=None):
    P.resource(path, "aws_cloudwatch_log_group", name, {
        "arn": U, "deletion_protection_enabled": U, "id": U, "kms_key_id": kms_key_arn, "log_group_class": U,
        "name": lg_name, "name_prefix": U, "region": region, "retention_in_days": retention, "skip_destroy": False, **tags(tags_),
    }, refs=refs)


# ---------------------------------------------------------------------------------------------------------
# modules/ecs-service and modules/ecs-scheduled-task (shared parts)
# ---------------------------------------------------------------------------------------------------------


def task_roles(path, region, name, repo_arn, task_statements):
    lg_name = f"/ecs/{name}"
    lg_arn = f"arn:{PART}:logs:{region}:{A}:log-group:{lg_name}"
    assume = trust(path, "assume", "ecs-tasks.amazonaws.com",
                   [("StringEquals", "aws:SourceAccount", [A]), ("ArnLike", "aws:SourceArn", [f"arn:{PART}:ecs:{region}:{A}:*"])], "EcsTasksAssumeRole")
    iam_role(path, "execution", f"{name}-exec", f"ECS task execution role of {name}: image pull and log delivery", assume, refs=ref("data.aws_iam_policy_document.assume[0].json"))
    edoc = P.policy_document(path, "execution", [
        statement("EcrAuthorizationToken", ["ecr:GetAuthorizationToken"], ["*"], conditions=[("StringEquals", "aws:RequestedRegion", [region])]),
        statement("PullImage", ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"], [repo_arn]),
        statement("WriteContainerLogs", ["logs:CreateLogStream", "logs:PutLogEvents"], [f"{lg_arn}:log-stream:*"]),
    ])
    P.resource(path, "aws_iam_role_policy", "execution", {"id": U, "name": "task-execution", "name_prefix": U, "policy": edoc, "role": U}, refs={"role": ref("aws_iam_role.execution[0].id"), "policy": ref("data.aws_iam_policy_document.execution[0].json")})
    iam_role(path, "task", f"{name}-task", f"ECS task role of {name}", assume, refs=ref("data.aws_iam_policy_document.assume[0].json"))
    if task_statements:
        tdoc = P.policy_document(path, "task", [statement(s["sid"], s["actions"], s["resources"], conditions=s.get("conditions", [])) for s in task_statements])
        P.resource(path, "aws_iam_role_policy", "task", {"id": U, "name": "application", "name_prefix": U, "policy": tdoc, "role": U}, refs={"role": ref("aws_iam_role.task[0].id"), "policy": ref("data.aws_iam_policy_document.task[0].json")})
    return lg_name


def container_json(name, region, image, command, environment, port=None, stop_timeout=None, health=None):
    c = {
        "command": command,
        "environment": [{"name": k, "value": v} for k, v in sorted(environment.items())],
        "essential": True,
        "image": image,
        "linuxParameters": {"capabilities": {"drop": ["ALL"]}, "initProcessEnabled": True},
        "logConfiguration": {"logDriver": "awslogs", "options": {"awslogs-group": f"/ecs/{name}", "awslogs-region": region, "awslogs-stream-prefix": name}},
        "name": name,
        "portMappings": [] if port is None else [{"containerPort": port, "protocol": "tcp"}],
        "readonlyRootFilesystem": True,
        "user": "65532:65532",
    }
    if stop_timeout is not None:
        c["stopTimeout"] = stop_timeout
    if health:
        c["healthCheck"] = health
    return json.dumps([dict(sorted(c.items()))], separators=(",", ":"))


def task_definition(path, region, name, cpu, memory, containers):
    P.resource(path, "aws_ecs_task_definition", "this", {
        "arn": U, "arn_without_revision": U, "container_definitions": containers, "cpu": str(cpu),
        "enable_fault_injection": U, "ephemeral_storage": [], "execution_role_arn": U, "family": name, "id": U,
        "inference_accelerator": [], "ipc_mode": None, "memory": str(memory), "network_mode": "awsvpc", "pid_mode": None,
        "placement_constraints": [], "proxy_configuration": [], "region": region, "requires_compatibilities": ["FARGATE"],
        "revision": U, "runtime_platform": [{"cpu_architecture": "X86_64", "operating_system_family": "LINUX"}],
        "skip_destroy": False, "task_role_arn": U, "track_latest": False, "volume": [], **tags(None),
    }, refs={"execution_role_arn": ref("aws_iam_role.execution[0].arn"), "task_role_arn": ref("aws_iam_role.task[0].arn")})


def security_group(path, name, region, name_prefix, description, vpc_id):
    P.resource(path, "aws_security_group", name, {
        "arn": U, "description": description, "egress": U, "id": U, "ingress": U, "name": U, "name_prefix": name_prefix,
        "owner_id": U, "region": region, "revoke_rules_on_delete": False, "vpc_id": vpc_id, **tags(None),
    })


def sg_rule(path, kind, name, region, index, description, port, cidr=None, ref=False):
    P.resource(path, f"aws_vpc_security_group_{kind}_rule", name, {
        "arn": U, "cidr_ipv4": cidr, "cidr_ipv6": None, "description": description, "from_port": port, "id": U,
        "ip_protocol": "tcp", "prefix_list_id": None, "referenced_security_group_id": U if ref else None, "region": region,
        "security_group_id": U, "security_group_rule_id": U, "tags": None, "tags_all": {}, "to_port": port,
    }, index)


def ecs_service(path, region, name, cluster_name, vpc_id, subnets, image, repo_arn, command, environment, cpu, memory,
                desired, autoscaling, retention, kms_key_arn, egress, task_statements, port=None, stop_timeout=60,
                alb=None):
    partition(path)
    lg_name = task_roles(path, region, name, repo_arn, task_statements)
    log_group(path, "this", region, lg_name, retention, kms_key_arn, {"DataClass": "logs"}, refs={"kms_key_id": ref("var.log_kms_key_arn")})
    task_definition(path, region, name, cpu, memory, container_json(name, region, image, command, environment, port, stop_timeout))
    security_group(path, "service", region, f"{name}-tasks-", f"Tasks of {name}", vpc_id)
    for i, cidr in enumerate(egress):
        sg_rule(path, "egress", "service_https", region, i, "HTTPS to AWS endpoints", 443, cidr)
    P.resource(path, "aws_ecs_service", "this", {
        "alarms": [], "availability_zone_rebalancing": U, "capacity_provider_strategy": [], "cluster": U,
        "deployment_circuit_breaker": [{"enable": True, "rollback": True}], "deployment_controller": [],
        "deployment_maximum_percent": 200, "deployment_minimum_healthy_percent": 100, "desired_count": desired,
        "enable_ecs_managed_tags": False, "enable_execute_command": False, "force_delete": None, "force_new_deployment": None,
        "health_check_grace_period_seconds": 60 if alb else None, "iam_role": U, "id": U, "launch_type": "FARGATE",
        "load_balancer": [{"container_name": name, "container_port": port, "elb_name": None, "target_group_arn": U, "advanced_configuration": []}] if alb else [],
        "name": name, "network_configuration": [{"assign_public_ip": False, "security_groups": U, "subnets": sorted(subnets)}],
        "ordered_placement_strategy": [], "placement_constraints": [], "platform_version": "1.4.0", "propagate_tags": "SERVICE",
        "region": region, "scheduling_strategy": "REPLICA", "service_connect_configuration": [], "service_registries": [],
        "task_definition": U, "timeouts": None, "triggers": U, "volume_configuration": [], "vpc_lattice_configurations": [],
        "wait_for_steady_state": False, **tags(None),
    })
    P.resource(path, "aws_appautoscaling_target", "this", {
        "arn": U, "id": U, "max_capacity": autoscaling["max"], "min_capacity": autoscaling["min"], "region": region,
        "resource_id": f"service/{cluster_name}/{name}", "role_arn": U, "scalable_dimension": "ecs:service:DesiredCount",
        "service_namespace": "ecs", "suspended_state": U, **tags(None),
    })

    def scaling(rname, target, metric, label=None):
        P.resource(path, "aws_appautoscaling_policy", rname, {
            "alarm_arns": U, "arn": U, "id": U, "name": f"{name}-{rname}", "policy_type": "TargetTrackingScaling",
            "predictive_scaling_policy_configuration": [], "region": region, "resource_id": f"service/{cluster_name}/{name}",
            "scalable_dimension": "ecs:service:DesiredCount", "service_namespace": "ecs", "step_scaling_policy_configuration": [],
            "target_tracking_scaling_policy_configuration": [{
                "customized_metric_specification": [], "disable_scale_in": False,
                "predefined_metric_specification": [{"predefined_metric_type": metric, "resource_label": label}],
                "scale_in_cooldown": 300, "scale_out_cooldown": 60, "target_value": target,
            }],
        })

    scaling("cpu", autoscaling["cpu"], "ECSServiceAverageCPUUtilization")
    if alb:
        scaling("requests", autoscaling["requests"], "ALBRequestCountPerTarget", U)
        security_group(path, "alb", region, f"{name}-alb-", f"Load balancer of {name}", vpc_id)
        for i, cidr in enumerate(alb["ingress"]):
            sg_rule(path, "ingress", "alb_https", region, i, "HTTPS from clients", 443, cidr)
        sg_rule(path, "egress", "alb_to_service", region, 0, "To the tasks", port, ref=True)
        sg_rule(path, "ingress", "service_from_alb", region, 0, "From the load balancer", port, ref=True)
        P.resource(path, "aws_lb", "this", {
            "access_logs": [], "arn": U, "arn_suffix": U, "client_keep_alive": 3600, "connection_logs": [],
            "customer_owned_ipv4_pool": None, "desync_mitigation_mode": "strictest", "dns_name": U, "dns_record_client_routing_policy": None,
            "drop_invalid_header_fields": True, "enable_cross_zone_load_balancing": None, "enable_deletion_protection": True,
            "enable_http2": True, "enable_tls_version_and_cipher_suite_headers": False, "enable_waf_fail_open": False,
            "enable_xff_client_port": False, "enable_zonal_shift": False, "id": U, "idle_timeout": 60, "internal": True,
            "ip_address_type": U, "load_balancer_type": "application", "name": name, "name_prefix": U, "preserve_host_header": False,
            "region": region, "security_groups": U, "subnet_mapping": U, "subnets": sorted(alb["subnets"]), "vpc_id": U,
            "xff_header_processing_mode": "append", "zone_id": U, **tags(None),
        })
        P.resource(path, "aws_lb_target_group", "this", {
            "arn": U, "arn_suffix": U, "connection_termination": U, "deregistration_delay": str(stop_timeout),
            "health_check": [{"enabled": True, "healthy_threshold": 2, "interval": 15, "matcher": "200", "path": alb["health"],
                              "port": "traffic-port", "protocol": alb["protocol"], "timeout": 5, "unhealthy_threshold": 3}],
            "id": U, "ip_address_type": U, "lambda_multi_value_headers_enabled": False, "load_balancer_arns": U,
            "load_balancing_algorithm_type": U, "name": U, "name_prefix": "tgt-", "port": port, "protocol": alb["protocol"],
            "protocol_version": U, "proxy_protocol_v2": False, "region": region, "slow_start": 0, "target_type": "ip",
            "vpc_id": vpc_id, **tags(None),
        })
        P.resource(path, "aws_lb_listener", "https", {
            "alpn_policy": None, "arn": U, "certificate_arn": alb["certificate"],
            "default_action": [{"authenticate_cognito": [], "authenticate_oidc": [], "fixed_response": [], "forward": [],
                                "order": U, "redirect": [], "target_group_arn": U, "type": "forward"}],
            "id": U, "load_balancer_arn": U, "mutual_authentication": U, "port": 443, "protocol": "HTTPS", "region": region,
            "ssl_policy": "ELBSecurityPolicy-TLS13-1-2-2021-06", "timeouts": None, **tags(None),
        })
        managed = [("AWSManagedRulesCommonRuleSet", 10), ("AWSManagedRulesKnownBadInputsRuleSet", 20), ("AWSManagedRulesAmazonIpReputationList", 30)]
        rules = [{
            "action": [], "captcha_config": [], "challenge_config": [], "name": n, "override_action": [{"count": [], "none": [{}]}],
            "priority": p, "rule_label": [],
            "statement": [{"managed_rule_group_statement": [{"managed_rule_group_configs": [], "name": n, "rule_action_override": [], "scope_down_statement": [], "vendor_name": "AWS", "version": None}]}],
            "visibility_config": [{"cloudwatch_metrics_enabled": True, "metric_name": f"{name}-{n}", "sampled_requests_enabled": False}],
        } for n, p in managed]
        rules.append({
            "action": [{"allow": [], "block": [{"custom_response": []}], "captcha": [], "challenge": [], "count": []}],
            "captcha_config": [], "challenge_config": [], "name": "rate-limit-per-ip", "override_action": [], "priority": 40, "rule_label": [],
            "statement": [{"rate_based_statement": [{"aggregate_key_type": "IP", "custom_key": [], "evaluation_window_sec": 300, "forwarded_ip_config": [], "limit": 2000, "scope_down_statement": []}]}],
            "visibility_config": [{"cloudwatch_metrics_enabled": True, "metric_name": f"{name}-rate-limit", "sampled_requests_enabled": False}],
        })
        P.resource(path, "aws_wafv2_web_acl", "this", {
            "application_integration_url": U, "arn": U, "association_config": [], "capacity": U, "captcha_config": [],
            "challenge_config": [], "custom_response_body": [], "default_action": [{"allow": [{"custom_request_handling": []}], "block": []}],
            "description": f"Front door of {name}", "id": U, "lock_token": U, "name": name, "name_prefix": U, "region": region,
            "rule": rules, "rule_json": None, "scope": "REGIONAL", "token_domains": None,
            "visibility_config": [{"cloudwatch_metrics_enabled": True, "metric_name": name, "sampled_requests_enabled": False}], **tags(None),
        })
        P.resource(path, "aws_wafv2_web_acl_association", "this", {"id": U, "region": region, "resource_arn": U, "timeouts": None, "web_acl_arn": U})
        log_group(path, "waf", region, f"aws-waf-logs-{name}", retention, kms_key_arn, {"DataClass": "logs"}, refs={"kms_key_id": ref("var.log_kms_key_arn")})
        P.resource(path, "aws_wafv2_web_acl_logging_configuration", "this", {
            "id": U, "log_destination_configs": U, "logging_filter": [], "region": region, "resource_arn": U,
            "redacted_fields": [
                {"method": [], "query_string": [], "single_header": [{"name": "authorization"}], "uri_path": []},
                {"method": [], "query_string": [], "single_header": [{"name": "cookie"}], "uri_path": []},
            ],
        })


def scheduled_task(path, region, name, cluster_name, vpc_id, subnets, image, repo_arn, environment, cpu, memory, retention,
                   kms_key_arn, egress, task_statements, command=(), schedule=None, s3_trigger=None, task_count=1):
    partition(path)
    cluster_arn = f"arn:{PART}:ecs:{region}:{A}:cluster/{cluster_name}"
    # One rule per size tier (one when scheduled or untiered), one target per shard of a tier.
    size_tiers = (s3_trigger or {}).get("size_tiers", [])
    tiers = [{
        "rule_name": f"{name}-size{i}" if len(size_tiers) > 1 else name,
        "min_bytes": size_tiers[i]["min_bytes"] if size_tiers else None,
        "max_bytes": size_tiers[i + 1]["min_bytes"] if i + 1 < len(size_tiers) else None,
        "cpu": size_tiers[i]["cpu"] if size_tiers else None,
        "memory": size_tiers[i]["memory"] if size_tiers else None,
        "shards": size_tiers[i]["shards"] if size_tiers else 1,
    } for i in range(max(len(size_tiers), 1))]
    rule_arns = [f"arn:{PART}:events:{region}:{A}:rule/{t['rule_name']}" for t in tiers]
    lg_name = task_roles(path, region, name, repo_arn, task_statements)
    log_group(path, "this", region, lg_name, retention, kms_key_arn, {"DataClass": "logs"}, refs={"kms_key_id": ref("var.log_kms_key_arn")})
    task_definition(path, region, name, cpu, memory, container_json(name, region, image, list(command), environment))
    security_group(path, "this", region, f"{name}-task-", f"Task {name}", vpc_id)
    for i, cidr in enumerate(egress):
        sg_rule(path, "egress", "https", region, i, "HTTPS to AWS endpoints", 443, cidr)
    assume = trust(path, "events_assume", "events.amazonaws.com",
                   [("StringEquals", "aws:SourceAccount", [A]), ("ArnEquals", "aws:SourceArn", rule_arns)], "EventBridgeAssumesRole")
    iam_role(path, "events", f"{name}-events", f"EventBridge starts {name}", assume, refs=ref("data.aws_iam_policy_document.events_assume[0].json"))
    doc = P.policy_document(path, "events", [
        statement("RunTaskOnCluster", ["ecs:RunTask"], [f"arn:{PART}:ecs:{region}:{A}:task-definition/{name}:*"], conditions=[("ArnEquals", "ecs:cluster", [cluster_arn])]),
        statement("TagStartedTasks", ["ecs:TagResource"], [f"arn:{PART}:ecs:{region}:{A}:task/{cluster_name}/*"], conditions=[("StringEquals", "ecs:CreateAction", ["RunTask"])]),
        statement("PassTaskRoles", ["iam:PassRole"], [f"arn:{PART}:iam::{A}:role/{name}-exec", f"arn:{PART}:iam::{A}:role/{name}-task"], conditions=[("StringEquals", "iam:PassedToService", ["ecs-tasks.amazonaws.com"])]),
    ])
    P.resource(path, "aws_iam_role_policy", "events", {"id": U, "name": "run-task", "name_prefix": U, "policy": doc, "role": U}, refs={"role": ref("aws_iam_role.events[0].id"), "policy": ref("data.aws_iam_policy_document.events[0].json")})
    for i, t in enumerate(tiers):
        pattern = description = None
        if s3_trigger:
            obj = {"key": [{"prefix": s3_trigger["prefix"]}]}
            where = f"s3://{s3_trigger['bucket']}/{s3_trigger['prefix']}"
            description = f"Run {name} for each new object under {where}"
            if t["min_bytes"] is not None:
                bound = [">=", t["min_bytes"]] if t["max_bytes"] is None else [">=", t["min_bytes"], "<", t["max_bytes"]]
                obj["size"] = [{"numeric": bound}]
                upto = " or more" if t["max_bytes"] is None else f" up to {t['max_bytes']}"
                description = f"Run {name} in {t['shards']} shard(s) for each new object of {t['min_bytes']} bytes{upto} under {where}"
            # jsonencode: sorted keys, no spaces, '<' and '>' escaped as Go's encoder does.
            pattern = json.dumps({"detail": {"bucket": {"name": [s3_trigger["bucket"]]}, "object": obj},
                                  "detail-type": ["Object Created"], "source": ["aws.s3"]}, separators=(",", ":"), sort_keys=True)
            pattern = pattern.replace("<", "\\u003c").replace(">", "\\u003e")
        P.resource(path, "aws_cloudwatch_event_rule", "this", {
            "arn": U, "description": description or f"Scheduled run of {name}",
            "event_bus_name": "default", "event_pattern": pattern, "force_destroy": False, "id": U, "name": t["rule_name"], "name_prefix": U,
            "region": region, "role_arn": None, "schedule_expression": None if s3_trigger else schedule, "state": "ENABLED", **tags(None),
        }, index=i)
    targets = [dict(t, tier=i, shard=sh, target_id=f"{t['rule_name']}-shard{sh}" if t["shards"] > 1 else t["rule_name"])
               for i, t in enumerate(tiers) for sh in range(t["shards"])]
    for j, t in enumerate(targets):
        transformer = []
        if s3_trigger:
            fill = lambda a: a.replace("{shard}", str(t["shard"])).replace("{shards}", str(t["shards"]))
            overrides = {"containerOverrides": [{"command": [fill(a) for a in s3_trigger["command"]], "name": name}]}
            if t["cpu"] is not None:
                overrides.update(cpu=str(t["cpu"]), memory=str(t["memory"]))
            template = json.dumps(overrides, separators=(",", ":"), sort_keys=True)
            transformer = [{"input_paths": {"bucket": "$.detail.bucket.name", "key": "$.detail.object.key"}, "input_template": template}]
        P.resource(path, "aws_cloudwatch_event_target", "this", {
            "appsync_target": [], "arn": U, "batch_target": [], "dead_letter_config": [],
            "ecs_target": [{
                "capacity_provider_strategy": [], "enable_ecs_managed_tags": True, "enable_execute_command": False, "group": None,
                "launch_type": "FARGATE", "network_configuration": [{"assign_public_ip": False, "security_groups": U, "subnets": sorted(subnets)}],
                "ordered_placement_strategy": [], "placement_constraint": [], "platform_version": "1.4.0", "propagate_tags": "TASK_DEFINITION",
                "tags": None, "task_count": task_count if t["cpu"] is None else 1, "task_definition_arn": U,
            }],
            "event_bus_name": "default", "force_destroy": False, "http_target": [], "id": U, "input": None, "input_path": None,
            "input_transformer": transformer, "kinesis_target": [], "redshift_target": [], "region": region,
            "retry_policy": [{"maximum_event_age_in_seconds": 3600, "maximum_retry_attempts": 3}], "role_arn": U,
            "rule": t["rule_name"], "run_command_targets": [], "sagemaker_pipeline_target": [], "sqs_target": [], "target_id": t["target_id"],
        }, index=j)


# ---------------------------------------------------------------------------------------------------------
# envs/prod/main.tf
# ---------------------------------------------------------------------------------------------------------


def prod():
    v = VARS
    name = f"fcm-guard-{v['environment']}"
    regions = [REGION] if REGION == DR else [REGION, DR]
    role = f"arn:{PART}:iam::{A}:role"
    deployer = f"{role}/{v['deployer_role_name']}"
    buckets = {
        "access_logs": f"{name}-{REGION}-access-logs-{A}",
        "trail": f"{name}-{REGION}-cloudtrail-{A}",
        "batch_input": f"{name}-{REGION}-batch-input-{A}",
        "batch_output": f"{name}-{REGION}-batch-output-{A}",
        "batch_dr": f"{name}-{DR}-batch-output-{A}",
    }
    barn = {k: f"arn:{PART}:s3:::{b}" for k, b in buckets.items()}
    trail_name = name
    trail_arn = f"arn:{PART}:cloudtrail:{REGION}:{A}:trail/{trail_name}"
    queue_arn = f"arn:{PART}:sqs:{REGION}:{A}:{trail_name}-objects"
    stream_name = f"{name}-security-logs"
    stream_arn = f"arn:{PART}:kinesis:{REGION}:{A}:stream/{stream_name}"
    comp = {k: f"{name}-{k.replace('_', '-')}" for k in ["auditor", "log_shipper", "translator", "translator_batch"]}
    task_role = {k: f"{role}/{n}-task" for k, n in comp.items()}
    repo_arn = {k: f"arn:{PART}:ecr:{REGION}:{A}:repository/fcm-guard/{k.replace('_', '-')}" for k in ["auditor", "log_shipper", "translator"]}
    replication_role = f"{role}/{name}-batch-output-replication"
    in_canada = [("StringEquals", "aws:RequestedRegion", regions)]
    via = {s: f"{s}.{REGION}.amazonaws.com" for s in ["s3", "sqs", "kinesis", "logs", "ecr"]}

    partition("")
    P.resource("", "aws_s3_account_public_access_block", "this", {
        "account_id": U, "block_public_acls": True, "block_public_policy": True, "id": U, "ignore_public_acls": True,
        "region": REGION, "restrict_public_buckets": True,
    }, None)
    P.resource("", "aws_ecs_cluster", "this", {
        "arn": U, "configuration": [], "id": U, "name": name, "region": REGION, "service_connect_defaults": [],
        "setting": [{"name": "containerInsights", "value": "enabled"}], **tags(None),
    }, None)

    kms = {}
    kms["logs"] = kms_key("module.kms_logs", REGION, f"{name}-logs", f"CloudTrail files, log groups, access logs and trail notifications of {name}", [deployer], [task_role["auditor"]],
        users=[{"sid": "LogShipperReadsTrailFilesAndNotifications", "arns": [task_role["log_shipper"]], "actions": ["kms:Decrypt"], "via": [via["s3"], via["sqs"]]}],
        services=[
            {"sid": "CloudTrailEncryptsTrailFiles", "service": "cloudtrail.amazonaws.com", "actions": ["kms:GenerateDataKey"],
             "conditions": [("StringEquals", "aws:SourceArn", [trail_arn]), ("StringLike", "kms:EncryptionContext:aws:cloudtrail:arn", [f"arn:{PART}:cloudtrail:*:{A}:trail/*"])]},
            {"sid": "CloudTrailDescribesKey", "service": "cloudtrail.amazonaws.com", "actions": ["kms:DescribeKey"],
             "conditions": [("StringEquals", "aws:SourceArn", [trail_arn])]},
            {"sid": "CloudWatchLogsEncryptsLogGroups", "service": f"logs.{REGION}.amazonaws.com",
             "actions": ["kms:Encrypt", "kms:Decrypt", "kms:ReEncryptFrom", "kms:ReEncryptTo", "kms:GenerateDataKey"],
             "conditions": [("ArnLike", "kms:EncryptionContext:aws:logs:arn", [f"arn:{PART}:logs:{REGION}:{A}:log-group:*"])]},
            {"sid": "S3SendsEncryptedNotifications", "service": "s3.amazonaws.com", "actions": ["kms:GenerateDataKey", "kms:Decrypt"],
             "conditions": [("StringEquals", "aws:SourceAccount", [A]), ("ArnLike", "aws:SourceArn", [barn["trail"]])]},
            {"sid": "S3DeliversAccessLogs", "service": "logging.s3.amazonaws.com", "actions": ["kms:GenerateDataKey"],
             "conditions": [("StringEquals", "aws:SourceAccount", [A])]},
        ])
    kms["pii"] = kms_key("module.kms_pii", REGION, f"{name}-pii", f"PII of {name}: translator field encryption, tokenisation keys and batch files", [deployer], [task_role["auditor"]],
        users=[
            {"sid": "TranslatorEnvelopeEncryption", "arns": [task_role["translator"], task_role["translator_batch"]], "actions": ["kms:GenerateDataKey", "kms:Decrypt"], "via": [],
             "context": [("StringEquals", "kms:EncryptionContext:purpose", ["translator-field-encryption", "translator-token-key"])]},
            {"sid": "DeployerIssuesTokenKeys", "arns": [deployer], "actions": ["kms:GenerateDataKeyWithoutPlaintext"], "via": [],
             "context": [("StringEquals", "kms:EncryptionContext:purpose", ["translator-token-key"])]},
            {"sid": "TranslatorBatchFilesThroughS3", "arns": [task_role["translator_batch"]], "actions": ["kms:GenerateDataKey", "kms:Decrypt"], "via": [via["s3"]]},
            {"sid": "ReplicationReadsSourceObjects", "arns": [replication_role], "actions": ["kms:Decrypt"], "via": [via["s3"]]},
        ])
    kms["pii_dr"] = kms_key("module.kms_pii_dr", DR, f"{name}-pii-dr", f"PII replicas of {name} in the disaster-recovery region", [deployer], [task_role["auditor"]],
        users=[{"sid": "ReplicationWritesReplicas", "arns": [replication_role], "actions": ["kms:Encrypt", "kms:GenerateDataKey"], "via": [f"s3.{DR}.amazonaws.com"]}])
    stream_users = [{"sid": "LogShipperWritesStream", "arns": [task_role["log_shipper"]], "actions": ["kms:GenerateDataKey"], "via": [via["kinesis"]]}]
    if v["stream_consumer_role_arns"]:
        stream_users.append({"sid": "SecurityTeamReadsStream", "arns": v["stream_consumer_role_arns"], "actions": ["kms:Decrypt"], "via": [via["kinesis"]]})
    kms["stream"] = kms_key("module.kms_stream", REGION, f"{name}-stream", f"Security team's Kinesis stream of {name}", [deployer], [task_role["auditor"]], users=stream_users)
    kms["ecr"] = kms_key("module.kms_ecr", REGION, f"{name}-images", f"Container images of {name}", [deployer], [task_role["auditor"]],
        users=[{"sid": "EcrEncryptsImagesThroughGrants", "arns": [deployer], "actions": ["kms:CreateGrant", "kms:RetireGrant", "kms:DescribeKey"], "via": [via["ecr"]]}])

    logs_target = lambda b: {"target_bucket": buckets["access_logs"], "target_prefix": f"{buckets[b]}/"}
    secure_bucket("module.access_logs_bucket", REGION, buckets["access_logs"], "access-logs", 730, U, log_delivery=True)
    secure_bucket("module.trail_bucket", REGION, buckets["trail"], "logs", v["trail_log_expiration_days"], U,
        object_lock={"mode": "COMPLIANCE", "days": v["trail_object_lock_days"]}, access_logging=logs_target("trail"),
        policy_statements=[
            {"sid": "CloudTrailChecksBucketAcl", "actions": ["s3:GetBucketAcl"], "principals": [("Service", ["cloudtrail.amazonaws.com"])],
             "resources": [barn["trail"]], "conditions": [("StringEquals", "aws:SourceArn", [trail_arn])]},
            {"sid": "CloudTrailDeliversFiles", "actions": ["s3:PutObject"], "principals": [("Service", ["cloudtrail.amazonaws.com"])],
             "resources": [f"{barn['trail']}/AWSLogs/{A}/*"],
             "conditions": [("StringEquals", "aws:SourceArn", [trail_arn]), ("StringEquals", "s3:x-amz-acl", ["bucket-owner-full-control"])]},
        ])
    secure_bucket("module.batch_input_bucket", REGION, buckets["batch_input"], "pii", v["pii_batch_expiration_days"], U, noncurrent_days=1,
        eventbridge=True, access_logging=logs_target("batch_input"))
    secure_bucket("module.batch_output_bucket", REGION, buckets["batch_output"], "pii", v["pii_batch_expiration_days"], U, noncurrent_days=1,
        access_logging=logs_target("batch_output"),
        replication={"destination_bucket": buckets["batch_dr"], "destination_kms_key_arn": U, "destination_region": DR,
                     "role_name": f"{name}-batch-output-replication"})
    secure_bucket("module.batch_output_dr_bucket", DR, buckets["batch_dr"], "pii", v["pii_batch_expiration_days"], U, noncurrent_days=1)

    trail = cloudtrail("module.trail", REGION, trail_name, buckets["trail"], U, v["log_retention_days"], [barn["batch_input"], barn["batch_output"]])
    kinesis_stream("module.security_stream", REGION, stream_name, U, v["stream_retention_hours"])
    repo = {k: ecr_repository(f"module.ecr_{k}", REGION, f"fcm-guard/{k.replace('_', '-')}", U) for k in ["auditor", "log_shipper", "translator"]}

    common = {"cluster_name": name, "vpc_id": v["vpc_id"], "subnets": v["private_subnet_ids"], "retention": v["log_retention_days"],
              "kms_key_arn": U, "egress": [v["vpc_cidr"]]}
    token_keys = v["translator_token_keys_path"]
    translator_env = {"TRANSLATOR_LOG_FORMAT": "json", "TRANSLATOR_KMS_KEY_ID": kms["pii"]["alias_name"], "TRANSLATOR_TOKEN_KEYS": token_keys}
    t = v["translator"]
    ecs_service("module.translator", REGION, comp["translator"], image=f"{repo['translator']['repository_url']}:{v['image_tags']['translator']}",
        repo_arn=repo_arn["translator"], command=["serve"], environment={**translator_env, "TRANSLATOR_LISTEN": "0.0.0.0:8080"},
        cpu=t["cpu"], memory=t["memory"], desired=t["min_capacity"],
        autoscaling={"min": t["min_capacity"], "max": t["max_capacity"], "cpu": 60, "requests": 600},
        task_statements=[], port=8080,
        alb={"ingress": v["translator_ingress_cidrs"], "subnets": v["private_subnet_ids"], "certificate": v["translator_certificate_arn"], "protocol": "HTTP", "health": "/healthz"},
        **common)
    s = v["log_shipper"]
    ecs_service("module.log_shipper", REGION, comp["log_shipper"], image=f"{repo['log_shipper']['repository_url']}:{v['image_tags']['log_shipper']}",
        repo_arn=repo_arn["log_shipper"], command=["run"],
        environment={"LOG_SHIPPER_LOG_FORMAT": "json", "LOG_SHIPPER_QUEUE_URL": trail["queue_url"], "LOG_SHIPPER_STREAM": stream_name,
                     "LOG_SHIPPER_METRICS_LISTEN": "0.0.0.0:9108"},
        cpu=s["cpu"], memory=s["memory"], desired=s["min_capacity"], stop_timeout=120,
        autoscaling={"min": s["min_capacity"], "max": s["max_capacity"], "cpu": 50},
        task_statements=[
            {"sid": "ConsumeTrailNotifications", "actions": ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility"], "resources": [queue_arn]},
            {"sid": "ReadTrailFiles", "actions": ["s3:GetObject"], "resources": [f"{barn['trail']}/AWSLogs/{A}/CloudTrail/*"], "conditions": in_canada},
            {"sid": "PutToSecurityStream", "actions": ["kinesis:PutRecords", "kinesis:ListShards"], "resources": [stream_arn]},
        ], **common)
    b = v["translator_batch"]
    scheduled_task("module.translator_batch", REGION, comp["translator_batch"], image=f"{repo['translator']['repository_url']}:{v['image_tags']['translator']}",
        repo_arn=repo_arn["translator"], environment=translator_env, cpu=b["cpu"], memory=b["memory"],
        s3_trigger={"bucket": buckets["batch_input"], "prefix": "incoming/", "size_tiers": b["size_tiers"],
                    "command": ["batch", "--input", "s3://<bucket>/<key>", "--output", f"s3://{buckets['batch_output']}/out/<key>.part-{{shard}}-of-{{shards}}.ndjson",
                                "--shard", "{shard}/{shards}", "--batch-id", "<key>", "--no-progress"]},
        task_statements=[
            {"sid": "ReadBatchInput", "actions": ["s3:GetObject"], "resources": [f"{barn['batch_input']}/incoming/*"], "conditions": in_canada},
            {"sid": "WriteBatchOutput", "actions": ["s3:PutObject", "s3:AbortMultipartUpload"], "resources": [f"{barn['batch_output']}/out/*"], "conditions": in_canada},
        ], **common)
    per_region = lambda fmt: [fmt.format(r=r) for r in regions]
    scheduled_task("module.auditor", REGION, comp["auditor"], image=f"{repo['auditor']['repository_url']}:{v['image_tags']['auditor']}",
        repo_arn=repo_arn["auditor"], environment={}, cpu=1024, memory=2048, schedule=v["auditor_schedule"],
        command=["run", "--regions", ",".join(regions), "--format", "json", "--log-format", "json"],
        task_statements=[
            {"sid": "ListAccountInventory", "actions": ["cloudtrail:DescribeTrails", "cloudtrail:ListTrails", "ecs:ListClusters", "ecs:ListServices", "kinesis:ListStreams", "logs:DescribeLogGroups",
                                                        "kms:ListAliases", "kms:ListKeys", "s3:GetAccountPublicAccessBlock", "s3:ListAllMyBuckets"],
             "resources": ["*"], "conditions": in_canada},
            {"sid": "ReadBucketConfiguration", "actions": ["s3:GetBucketLocation", "s3:GetBucketLogging", "s3:GetBucketObjectLockConfiguration", "s3:GetBucketOwnershipControls",
                                                           "s3:GetBucketPolicy", "s3:GetBucketPolicyStatus", "s3:GetBucketPublicAccessBlock", "s3:GetBucketTagging",
                                                           "s3:GetBucketVersioning", "s3:GetEncryptionConfiguration", "s3:GetLifecycleConfiguration", "s3:GetReplicationConfiguration"],
             "resources": [f"arn:{PART}:s3:::*"], "conditions": in_canada + [("StringEquals", "s3:ResourceAccount", [A])]},
            {"sid": "ReadKeyMetadata", "actions": ["kms:DescribeKey", "kms:GetKeyPolicy", "kms:GetKeyRotationStatus", "kms:ListResourceTags"],
             "resources": per_region(f"arn:{PART}:kms:{{r}}:{A}:key/*"), "conditions": in_canada},
            {"sid": "ReadTrailStatus", "actions": ["cloudtrail:GetEventSelectors", "cloudtrail:GetTrailStatus", "cloudtrail:ListTags"],
             "resources": per_region(f"arn:{PART}:cloudtrail:{{r}}:{A}:trail/*"), "conditions": in_canada},
            {"sid": "ReadLogGroups", "actions": ["logs:ListTagsForResource", "logs:ListTagsLogGroup"], "resources": per_region(f"arn:{PART}:logs:{{r}}:{A}:log-group:*"), "conditions": in_canada},
            {"sid": "ReadStreams", "actions": ["kinesis:DescribeStreamSummary", "kinesis:ListTagsForStream"], "resources": per_region(f"arn:{PART}:kinesis:{{r}}:{A}:stream/*"), "conditions": in_canada},
            {"sid": "ReadRepositories", "actions": ["ecr:DescribeRepositories", "ecr:GetLifecyclePolicy", "ecr:GetRepositoryPolicy"], "resources": per_region(f"arn:{PART}:ecr:{{r}}:{A}:repository/*"), "conditions": in_canada},
            {"sid": "ReadEcsServices", "actions": ["ecs:DescribeClusters", "ecs:DescribeServices"], "resources": per_region(f"arn:{PART}:ecs:{{r}}:{A}:*"), "conditions": in_canada},
            {"sid": "ReadRolesAndPolicies", "actions": ["iam:GetPolicy", "iam:GetPolicyVersion", "iam:GetRole", "iam:GetRolePolicy", "iam:ListAttachedRolePolicies", "iam:ListRolePolicies"],
             "resources": [f"arn:{PART}:iam::{A}:role/*", f"arn:{PART}:iam::{A}:policy/*", f"arn:{PART}:iam::aws:policy/*"]},
            {"sid": "ListRoles", "actions": ["iam:ListRoles"], "resources": ["*"]},
        ], **common)


# ---------------------------------------------------------------------------------------------------------
# Assemble the document
# ---------------------------------------------------------------------------------------------------------


def document():
    prod()
    managed = [(p, r) for p, r, _ in P.managed]
    changes = []
    for _, r, unk in P.managed:
        changes.append({
            "address": r["address"], "module_address": r["address"].rsplit(".", 2)[0] if r["address"].startswith("module.") else None,
            "mode": "managed", "type": r["type"], "name": r["name"], **({"index": r["index"]} if "index" in r else {}),
            "provider_name": r["provider_name"],
            "change": {"actions": ["create"], "before": None, "after": copy.deepcopy(r["values"]), "after_unknown": unk,
                       "before_sensitive": False, "after_sensitive": {}},
        })
    for c in changes:
        if c["module_address"] is None:
            del c["module_address"]
        else:
            # module.a.aws_x.y[0] -> module.a
            parts = c["address"].split(".")
            mod = []
            i = 0
            while i < len(parts) and parts[i] == "module":
                mod += parts[i:i + 2]
                i += 2
            c["module_address"] = ".".join(mod)
    return {
        "format_version": "1.2",
        "terraform_version": "1.13.3",
        "variables": {k: {"value": val} for k, val in VARS.items()},
        "planned_values": {"root_module": P.modules_tree(managed)},
        "resource_changes": changes,
        "prior_state": {
            "format_version": "1.0",
            "terraform_version": "1.13.3",
            "values": {"root_module": P.modules_tree([(p, r) for p, r in P.data])},
        },
        "configuration": {
            "provider_config": {
                "aws": {"name": "aws", "full_name": PROVIDER, "version_constraint": "6.14.0",
                        "expressions": {"region": {"constant_value": REGION}, "allowed_account_ids": {"references": ["var.account_id"]}}},
                "aws.dr": {"name": "aws", "full_name": PROVIDER, "alias": "dr", "version_constraint": "6.14.0",
                           "expressions": {"region": {"constant_value": DR}, "allowed_account_ids": {"references": ["var.account_id"]}}},
            },
            "root_module": root_configuration(),
        },
        "relevant_attributes": [],
        "timestamp": "2026-11-23T00:00:00Z",
        "applyable": True,
        "complete": True,
        "errored": False,
    }


SOURCES = {
    "kms_logs": "kms-key", "kms_pii": "kms-key", "kms_pii_dr": "kms-key", "kms_stream": "kms-key",
"kms_ecr": "kms-key", "access_logs_bucket": "secure-bucket", "trail_bucket": "secure-bucket",
"batch_input_bucket": "secure-bucket", "batch_output_bucket": "secure-bucket",
    "batch_output_dr_bucket": "secure-bucket", "trail": "cloudtrail", "security_stream": "kinesis-stream",
    "ecr_auditor": "ecr-repository", "ecr_log_shipper": "ecr-repository", "ecr_translator": "ecr-repository",
    "translator": "ecs-service", "log_shipper": "ecs-service", "translator_batch": "ecs-scheduled-task", "auditor": "ecs-scheduled-task",
}

# Outputs of each module source that envs/prod uses, with what they refer to.
OUTPUTS = {
    "kms-key": {"key_arn": "aws_kms_key.this[0].arn", "alias_name": "aws_kms_alias.this[0].name"},
    "secure-bucket": {"s3_bucket_id": "aws_s3_bucket.this[0].id", "s3_bucket_arn": "aws_s3_bucket.this[0].arn",
                      "versioning_status": "aws_s3_bucket_versioning.this[0].versioning_configuration",
                      "s3_bucket_policy_id": "aws_s3_bucket_policy.this[0].id",
                      "replication_role_arn": "aws_iam_role.replication[0].arn"},
    "cloudtrail": {"queue_url": "aws_sqs_queue.this[0].id", "cloudtrail_arn": "aws_cloudtrail.this[0].arn"},
    "kinesis-stream": {"kinesis_stream_arn": "aws_kinesis_stream.this[0].arn"},
    "ecr-repository": {"repository_name": "aws_ecr_repository.this[0].name", "repository_url": "aws_ecr_repository.this[0].repository_url"},
    "ecs-service": {"alb_dns_name": "aws_lb.this[0].dns_name", "task_role_arn": "aws_iam_role.task[0].arn"},
    "ecs-scheduled-task": {"task_definition_arn": "aws_ecs_task_definition.this[0].arn", "task_role_arn": "aws_iam_role.task[0].arn"},
}

# Inputs of the module calls in envs/prod that refer to other modules (what the plan cannot know yet).
CALL_REFS = {
    "access_logs_bucket": {"kms_key_arn": ["module.kms_logs.key_arn"]},
    "trail_bucket": {"kms_key_arn": ["module.kms_logs.key_arn"],
                     "access_logging": ["local.buckets.access_logs", "local.buckets.trail", "module.access_logs_bucket.s3_bucket_policy_id"]},
    "batch_input_bucket": {"kms_key_arn": ["module.kms_pii.key_arn"],
                           "access_logging": ["local.buckets.access_logs", "local.buckets.batch_input", "module.access_logs_bucket.s3_bucket_policy_id"]},
    "batch_output_bucket": {"kms_key_arn": ["module.kms_pii.key_arn"],
                            "access_logging": ["local.buckets.access_logs", "local.buckets.batch_output", "module.access_logs_bucket.s3_bucket_policy_id"],
                            "replication": ["local.buckets.batch_dr", "module.kms_pii_dr.key_arn", "var.dr_region",
                                            "module.batch_output_dr_bucket.versioning_status"]},
    "kms_logs": {"principal_dependencies": ["module.log_shipper.task_role_arn", "module.auditor.task_role_arn"]},
    "kms_pii": {"principal_dependencies": ["module.translator.task_role_arn", "module.translator_batch.task_role_arn",
                                           "module.auditor.task_role_arn", "module.batch_output_bucket.replication_role_arn"]},
    "kms_pii_dr": {"principal_dependencies": ["module.batch_output_bucket.replication_role_arn", "module.auditor.task_role_arn"]},
    "kms_stream": {"principal_dependencies": ["module.log_shipper.task_role_arn", "module.auditor.task_role_arn"]},
    "kms_ecr": {"principal_dependencies": ["module.auditor.task_role_arn"]},
    "batch_output_dr_bucket": {"kms_key_arn": ["module.kms_pii_dr.key_arn"]},
    "trail": {"kms_key_arn": ["module.kms_logs.key_arn"], "s3_bucket_name": ["local.buckets.trail"],
              "bucket_ready": ["module.trail_bucket.s3_bucket_policy_id"]},
    "security_stream": {"kms_key_arn": ["module.kms_stream.key_arn"]},
    "ecr_auditor": {"kms_key_arn": ["module.kms_ecr.key_arn"]},
    "ecr_log_shipper": {"kms_key_arn": ["module.kms_ecr.key_arn"]},
    "ecr_translator": {"kms_key_arn": ["module.kms_ecr.key_arn"]},
    "translator": {"log_kms_key_arn": ["module.kms_logs.key_arn"], "cluster_arn": ["aws_ecs_cluster.this.arn"],
                   "image": ["local.registry", "module.ecr_translator.repository_name", "var.image_tags.translator"]},
    "log_shipper": {"log_kms_key_arn": ["module.kms_logs.key_arn"], "cluster_arn": ["aws_ecs_cluster.this.arn"],
                    "image": ["local.registry", "module.ecr_log_shipper.repository_name", "var.image_tags.log_shipper"]},
    "translator_batch": {"log_kms_key_arn": ["module.kms_logs.key_arn"], "cluster_arn": ["aws_ecs_cluster.this.arn"],
                         "image": ["local.registry", "module.ecr_translator.repository_name", "var.image_tags.translator"]},
    "auditor": {"log_kms_key_arn": ["module.kms_logs.key_arn"], "cluster_arn": ["aws_ecs_cluster.this.arn"],
                "image": ["local.registry", "module.ecr_auditor.repository_name", "var.image_tags.auditor"]},
}


def root_configuration():
    """`configuration.root_module`: resources with the references of their unknown attributes, and module
    calls with their sources, providers, input references and the outputs used. (Constant expressions
    are left out; a real plan lists them too.)"""
    root = {"resources": list(P.config.get("", {}).values()), "module_calls": {}}
    for path, resources in P.config.items():
        if not path:
            continue
        name = path.split(".")[1]
        src = SOURCES[name]
        call = {"source": f"../../modules/{src}",
                "expressions": {k: ref(*v) for k, v in CALL_REFS.get(name, {}).items()},
                "module": {
                    "outputs": {o: {"expression": ref(target)} for o, target in OUTPUTS[src].items()},
                    "resources": list(resources.values()),
                }}
        if name in ("kms_pii_dr", "batch_output_dr_bucket"):
            call["providers"] = {"aws": "aws.dr"}
        root["module_calls"][name] = call
    return root


def main():
    text = json.dumps(document(), indent=2) + "\n"
    if "--check" in sys.argv:
        if not OUT.exists() or OUT.read_text() != text:
            sys.exit(f"{OUT} is out of date: run terraform/scripts/gen_plan_fixture.py")
        return
    OUT.write_text(text)


if __name__ == "__main__":
    main()
