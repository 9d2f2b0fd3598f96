#!/usr/bin/env python3
"""Deterministic CloudTrail log files for the log-shipper benchmark (synthetic data only).

    gen_cloudtrail.py EVENTS OUT_DIR [--per-file N] [--seed S]

Writes gzip `{"Records":[...]}` files named like real CloudTrail deliveries under
OUT_DIR/AWSLogs/<account>/CloudTrail/ca-central-1/YYYY/MM/DD/. About 1.7 KB per event; 5 % of the
events carry PII (e-mail, card number, phone) that the shipper must redact.
"""
import argparse, gzip, json, os, random, uuid

SERVICES = [
    ("s3.amazonaws.com", ["GetObject", "PutObject", "ListObjects", "HeadObject"]),
    ("kms.amazonaws.com", ["Decrypt", "GenerateDataKey", "Encrypt"]),
    ("sts.amazonaws.com", ["AssumeRole", "GetCallerIdentity"]),
    ("kinesis.amazonaws.com", ["PutRecords", "DescribeStreamSummary"]),
    ("logs.amazonaws.com", ["PutLogEvents", "CreateLogStream"]),
    ("ecs.amazonaws.com", ["DescribeTasks", "RunTask"]),
]


def event(rng, account, i, t):
    src, names = SERVICES[rng.randrange(len(SERVICES))]
    name = names[rng.randrange(len(names))]
    ev = {
        "eventVersion": "1.10",
        "userIdentity": {
            "type": "AssumedRole",
            "principalId": "AROA%012d:task-%d" % (rng.randrange(10**12), rng.randrange(100)),
            "arn": "arn:aws:sts::%s:assumed-role/fcm-app-task/task-%d" % (account, rng.randrange(100)),
            "accountId": account,
            "accessKeyId": "ASIA%016d" % rng.randrange(10**16),
            "sessionContext": {
                "sessionIssuer": {"type": "Role", "principalId": "AROA%012d" % rng.randrange(10**12),
                                  "arn": "arn:aws:iam::%s:role/fcm-app-task" % account,
                                  "accountId": account, "userName": "fcm-app-task"},
                "attributes": {"creationDate": t, "mfaAuthenticated": "false"},
            },
        },
        "eventTime": t,
        "eventSource": src,
        "eventName": name,
        "awsRegion": "ca-central-1",
        "sourceIPAddress": "10.%d.%d.%d" % (rng.randrange(256), rng.randrange(256), rng.randrange(256)),
        "userAgent": "aws-sdk-rust/1.3.9 os/linux lang/rust/1.95.0",
        "requestParameters": {"bucketName": "fcm-cases-ca-central-1", "key": "cases/%08d/document-%d.pdf" % (i, rng.randrange(9)),
                              "Host": "fcm-cases-ca-central-1.s3.ca-central-1.amazonaws.com"},
        "responseElements": None,
        "additionalEventData": {"SignatureVersion": "SigV4", "CipherSuite": "TLS_AES_128_GCM_SHA256",
                                "bytesTransferredIn": 0, "AuthenticationMethod": "AuthHeader",
                                "x-amz-id-2": "%032x" % rng.getrandbits(128), "bytesTransferredOut": rng.randrange(10**6)},
        "requestID": "%016X" % rng.getrandbits(64),
        "eventID": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        "readOnly": name.startswith(("Get", "List", "Describe", "Head")),
        "resources": [{"type": "AWS::S3::Object", "ARN": "arn:aws:s3:::fcm-cases-ca-central-1/cases/%08d" % i},
                      {"accountId": account, "type": "AWS::S3::Bucket", "ARN": "arn:aws:s3:::fcm-cases-ca-central-1"}],
        "eventType": "AwsApiCall",
        "managementEvent": False,
        "recipientAccountId": account,
        "eventCategory": "Data",
        "tlsDetails": {"tlsVersion": "TLSv1.3", "cipherSuite": "TLS_AES_128_GCM_SHA256",
                       "clientProvidedHostHeader": "fcm-cases-ca-central-1.s3.ca-central-1.amazonaws.com"},
    }
    if rng.random() < 0.05:
        ev["requestParameters"]["x-amz-meta-note"] = "customer jane.doe%d@example.ca card 4111 1111 1111 1111 phone (514) 555-0199" % i
    return ev


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("events", type=int)
    ap.add_argument("out")
    ap.add_argument("--per-file", type=int, default=500)
    ap.add_argument("--seed", type=int, default=42)
    a = ap.parse_args()
    rng = random.Random(a.seed)
    account = "123456789012"
    base = os.path.join(a.out, "AWSLogs", account, "CloudTrail", "ca-central-1", "2026", "11", "23")
    os.makedirs(base, exist_ok=True)
    i = f = 0
    while i < a.events:
        n = min(a.per_file, a.events - i)
        minute = f % 1440
        t = "2026-11-23T%02d:%02d:00Z" % (minute // 60, minute % 60)
        recs = [event(rng, account, i + k, t) for k in range(n)]
        name = "%s_CloudTrail_ca-central-1_20261123T%02d%02dZ_%016x.json.gz" % (account, minute // 60, minute % 60, rng.getrandbits(64))
        with gzip.open(os.path.join(base, name), "wt", compresslevel=6) as fh:
            json.dump({"Records": recs}, fh, separators=(",", ":"))
        i += n
        f += 1
    print("%d events in %d files under %s" % (i, f, a.out))


if __name__ == "__main__":
    main()
