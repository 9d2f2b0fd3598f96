#!/usr/bin/env python3
"""Peer for the throughput benchmark: the reference KPL aggregator (PyPI aws-kinesis-agg) doing
parse + envelope + aggregate of the same CloudTrail files into a file (no redaction, no shard
grouping: strictly less work than log-shipper does).

    peer_kpl.py OUT_FILE DIR...
"""
import base64, gzip, json, os, sys

from aws_kinesis_agg.aggregator import RecordAggregator

out = open(sys.argv[1], "w")
agg = RecordAggregator(max_size=51200)
events = 0


def emit(rec):
    pk, ehk, data = rec.get_contents()
    out.write(json.dumps({"PartitionKey": pk, "Data": base64.b64encode(data).decode()}) + "\n")


for d in sys.argv[2:]:
    for root, _, files in os.walk(d):
        for f in sorted(files):
            with gzip.open(os.path.join(root, f), "rb") as fh:
                doc = json.load(fh)
            for r in doc["Records"]:
                env = {"source": "cloudtrail", "account": r.get("recipientAccountId"), "region": r.get("awsRegion"),
                       "event_time": r.get("eventTime"), "event_id": r["eventID"], "payload": r}
                full = agg.add_user_record(r["eventID"], json.dumps(env, separators=(",", ":")))
                if full is not None:
                    emit(full)
                events += 1
last = agg.clear_and_get()
if last is not None and last.get_num_user_records():
    emit(last)
out.close()
print(events)
