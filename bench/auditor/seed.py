#!/usr/bin/env python3
"""Seed a fresh, isolated moto account for the auditor benchmark. Synthetic resources only.

    seed.py --endpoint URL --profile mixed      # ~200 resources across three regions
    seed.py --endpoint URL --profile buckets --buckets 5000

Prints shell `export` lines with the assumed account's credentials (moto serves each account's
own state), so both the auditor and the peer see only what was seeded here.
"""

import argparse
import json
import random
import sys
from concurrent.futures import ThreadPoolExecutor

import boto3
from botocore.config import Config

REGIONS = ["ca-central-1", "ca-west-1", "us-east-1"]


def session_for_fresh_account(endpoint):
    account = str(random.randint(100_000_000_000, 999_999_999_999))
    sts = boto3.client(
        "sts",
        endpoint_url=endpoint,
        region_name="ca-central-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    role = f"arn:aws:iam::{account}:role/bench"
    creds = sts.assume_role(RoleArn=role, RoleSessionName="bench")["Credentials"]
    return account, role, creds


def client(creds, endpoint, service, region):
    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name=region,
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
        config=Config(max_pool_connections=32, retries={"max_attempts": 5}),
    )


def create_bucket(s3, name, region, i, key_arn=None):
    kwargs = {"Bucket": name}
    if region != "us-east-1":
        kwargs["CreateBucketConfiguration"] = {"LocationConstraint": region}
    s3.create_bucket(**kwargs)
    klass = ["pii", "logs", "public"][i % 3]
    s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": [{"Key": "DataClass", "Value": klass}]})
    if i % 4 == 0 and key_arn:
        s3.put_bucket_encryption(
            Bucket=name,
            ServerSideEncryptionConfiguration={
                "Rules": [
                    {
                        "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key_arn},
                        "BucketKeyEnabled": True,
                    }
                ]
            },
        )
    elif i % 4 == 1:
        s3.put_bucket_encryption(
            Bucket=name,
            ServerSideEncryptionConfiguration={"Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]},
        )
    if i % 2 == 0:
        s3.put_public_access_block(
            Bucket=name,
            PublicAccessBlockConfiguration={
                "BlockPublicAcls": True,
                "IgnorePublicAcls": True,
                "BlockPublicPolicy": True,
                "RestrictPublicBuckets": True,
            },
        )
    if i % 3 == 0:
        s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    if i % 5 == 0:
        s3.put_bucket_lifecycle_configuration(
            Bucket=name,
            LifecycleConfiguration={
                "Rules": [{"ID": "expire", "Status": "Enabled", "Filter": {"Prefix": ""}, "Expiration": {"Days": 2555}}]
            },
        )
    if i % 6 == 0:
        policy = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Deny",
                    "Principal": {"AWS": "*"},
                    "Action": "s3:*",
                    "Resource": [f"arn:aws:s3:::{name}", f"arn:aws:s3:::{name}/*"],
                    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                }
            ],
        }
        s3.put_bucket_policy(Bucket=name, Policy=json.dumps(policy))


def seed_mixed(creds, endpoint, tag):
    """About 200 resources: per region 30 buckets, 10 keys, 10 log groups, 8 streams, 2 trails;
    plus 20 IAM roles."""
    counts = {}
    for region in REGIONS:
        kms = client(creds, endpoint, "kms", region)
        keys = []
        for i in range(10):
            meta = kms.create_key(Description=f"bench {i}")["KeyMetadata"]
            kms.create_alias(AliasName=f"alias/bench-{tag}-{region}-{i}", TargetKeyId=meta["KeyId"])
            if i % 2 == 0:
                kms.enable_key_rotation(KeyId=meta["KeyId"])
            keys.append(meta["Arn"])
        s3 = client(creds, endpoint, "s3", region)
        with ThreadPoolExecutor(8) as pool:
            list(
                pool.map(
                    lambda i: create_bucket(s3, f"bench-{tag}-{region}-{i}", region, i, keys[i % len(keys)]),
                    range(30),
                )
            )
        logs = client(creds, endpoint, "logs", region)
        for i in range(10):
            name = f"/bench/{tag}/{i}"
            kwargs = {"logGroupName": name, "tags": {"DataClass": "logs"}}
            if i % 2 == 0:
                kwargs["kmsKeyId"] = keys[i]
            logs.create_log_group(**kwargs)
            if i % 3 != 0:
                logs.put_retention_policy(logGroupName=name, retentionInDays=[7, 400, 3653][i % 3])
        kin = client(creds, endpoint, "kinesis", region)
        for i in range(8):
            name = f"bench-{tag}-{i}"
            kin.create_stream(StreamName=name, ShardCount=1)
            if i % 2 == 0:
                kin.start_stream_encryption(StreamName=name, EncryptionType="KMS", KeyId=keys[i])
        ct = client(creds, endpoint, "cloudtrail", region)
        for i in range(2):
            name = f"bench-{tag}-{region}-{i}"
            ct.create_trail(
                Name=name,
                S3BucketName=f"bench-{tag}-{region}-0",
                IsMultiRegionTrail=(i == 0 and region == "ca-central-1"),
                EnableLogFileValidation=(i == 0),
            )
            if i == 0:
                ct.start_logging(Name=name)
        counts[region] = 30 + 10 + 10 + 8 + 2
    iam = client(creds, endpoint, "iam", "ca-central-1")
    trust = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole"}],
        }
    )
    for i in range(20):
        name = f"bench-{tag}-role-{i}"
        iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust)
        if i % 5 == 0:
            iam.attach_role_policy(RoleName=name, PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess")
        action = ["s3:GetObject", "s3:*", "kinesis:PutRecords", "iam:PassRole"][i % 4]
        doc = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": action, "Resource": "*"}]}
        iam.put_role_policy(RoleName=name, PolicyName="inline", PolicyDocument=json.dumps(doc))
    counts["iam"] = 20
    return sum(counts.values())


def seed_buckets(creds, endpoint, tag, n):
    """n buckets spread over the three regions; a few settings on some of them (kept light so
    that seeding thousands of buckets stays quick)."""
    s3s = {r: client(creds, endpoint, "s3", r) for r in REGIONS}

    def one(i):
        region = REGIONS[i % 3]
        name = f"b{tag}-{i:05d}"
        s3 = s3s[region]
        kwargs = {"Bucket": name}
        if region != "us-east-1":
            kwargs["CreateBucketConfiguration"] = {"LocationConstraint": region}
        s3.create_bucket(**kwargs)
        if i % 4 == 0:
            s3.put_bucket_encryption(
                Bucket=name,
                ServerSideEncryptionConfiguration={"Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]},
            )
        if i % 5 == 0:
            s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": [{"Key": "DataClass", "Value": "pii"}]})

    with ThreadPoolExecutor(16) as pool:
        list(pool.map(one, range(n)))
    return n


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--endpoint", required=True)
    ap.add_argument("--profile", choices=["mixed", "buckets"], default="mixed")
    ap.add_argument("--buckets", type=int, default=5000)
    ap.add_argument("--seed", type=int, default=None)
    args = ap.parse_args()
    if args.seed is not None:
        random.seed(args.seed)
    account, role, creds = session_for_fresh_account(args.endpoint)
    tag = format(random.getrandbits(24), "06x")
    if args.profile == "mixed":
        n = seed_mixed(creds, args.endpoint, tag)
    else:
        n = seed_buckets(creds, args.endpoint, tag, args.buckets)
    print(f"seeded {n} resources in account {account}", file=sys.stderr)
    print(f"export BENCH_ACCOUNT={account}")
    print(f"export BENCH_ROLE={role}")
    print(f"export BENCH_RESOURCES={n}")
    print(f"export AWS_ACCESS_KEY_ID={creds['AccessKeyId']}")
    print(f"export AWS_SECRET_ACCESS_KEY={creds['SecretAccessKey']}")
    print(f"export AWS_SESSION_TOKEN={creds['SessionToken']}")


if __name__ == "__main__":
    main()
