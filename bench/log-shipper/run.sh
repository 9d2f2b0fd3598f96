#!/usr/bin/env bash
# log-shipper benchmark (not a test; run by hand, release build).
#
#   bench/log-shipper/run.sh            # 200,000 events; 20,000 of them through moto
#   EVENTS=50000 MOTO_EVENTS=5000 bench/log-shipper/run.sh
#
# 1. Throughput: CloudTrail .json.gz files -> parse + redact + KPL-aggregate -> file sink
#    (`log-shipper ship --format records`), in events per CPU-second (= per core), next to the
#    reference Python KPL aggregator (aws-kinesis-agg) doing parse + aggregate of the same files.
# 2. Kinesis efficiency against moto: PutRecords calls and Kinesis records per 1,000 events with
#    per-shard KPL aggregation, next to one event per record (what Vector and Fluent Bit do by
#    default), same files, same run.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
EVENTS="${EVENTS:-200000}"
MOTO_EVENTS="${MOTO_EVENTS:-20000}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
export NO_COLOR=1

cargo build --release -p log-shipper >&2
bin="${CARGO_TARGET_DIR:-$root/target}/release/log-shipper"
scripts/moto.sh install
py="$root/.venv/bin/python"

python3 bench/log-shipper/gen_cloudtrail.py "$EVENTS" "$work/trail" >&2
python3 bench/log-shipper/gen_cloudtrail.py "$MOTO_EVENTS" "$work/moto-trail" >&2
input_mb=$(du -sm "$work/trail" | cut -f1)

cpu_seconds() { # "real user sys" -> user+sys
  awk '{printf "%.3f", $2 + $3}' <<<"$1"
}
TIMEFORMAT='%R %U %S'

echo "== 1. parse + redact + aggregate -> file sink ($EVENTS events, ${input_mb} MB gzip)"
t_ours=$( { time "$bin" -q ship --format records --output "$work/ours.ndjson" "$work/trail" >/dev/null; } 2>&1 | tail -1)
t_peer=$( { time "$py" bench/log-shipper/peer_kpl.py "$work/peer.ndjson" "$work/trail" >/dev/null; } 2>&1 | tail -1)
ours_events=$("$bin" -q deaggregate "$work/ours.ndjson" | wc -l)
[ "$ours_events" -eq "$EVENTS" ] || { echo "log-shipper wrote $ours_events events, expected $EVENTS" >&2; exit 1; }
if grep -q "jane.doe" <("$bin" -q deaggregate "$work/ours.ndjson"); then echo "PII left in output" >&2; exit 1; fi
c_ours=$(cpu_seconds "$t_ours"); c_peer=$(cpu_seconds "$t_peer")
awk -v e="$EVENTS" -v co="$c_ours" -v cp="$c_peer" -v wo="${t_ours%% *}" -v wp="${t_peer%% *}" \
    -v ro="$(wc -l <"$work/ours.ndjson")" -v rp="$(wc -l <"$work/peer.ndjson")" 'BEGIN {
  printf "log-shipper     : %8.0f events/CPU-s  (%.2f CPU-s, %.2f s wall, %d records)\n", e/co, co, wo, ro
  printf "aws-kinesis-agg : %8.0f events/CPU-s  (%.2f CPU-s, %.2f s wall, %d records; no redaction)\n", e/cp, cp, wp, rp
  printf "ratio           : %.1fx  (goal: >= 100,000 events/s per core)\n", (e/co)/(e/cp)
}'

echo "== 2. Kinesis records and PutRecords calls per 1,000 events ($MOTO_EVENTS events, moto, 4 shards)"
eval "$(scripts/moto.sh start)"
sfx=$RANDOM$RANDOM
run_mode() { # $1 = aggregate true|false
  local stream="bench-$1-$sfx"
  "$py" - "$stream" <<'PY'
import sys, time, boto3
k = boto3.client("kinesis", region_name="ca-central-1")
k.create_stream(StreamName=sys.argv[1], ShardCount=4)
while k.describe_stream_summary(StreamName=sys.argv[1])["StreamDescriptionSummary"]["StreamStatus"] != "ACTIVE":
    time.sleep(0.1)
PY
  cat >"$work/cfg-$1.toml" <<TOML
[[sources]]
type = "files"
paths = ["$work/moto-trail"]
concurrency = 16
[sink]
type = "kinesis"
stream = "$stream"
aggregate = $1
TOML
  "$bin" --log-format json -v run --config "$work/cfg-$1.toml" 2>"$work/log-$1.json" >/dev/null
  local stored
  stored=$("$py" - "$stream" <<'PY'
import sys, boto3
k = boto3.client("kinesis", region_name="ca-central-1"); n = 0
for s in k.list_shards(StreamName=sys.argv[1])["Shards"]:
    it = k.get_shard_iterator(StreamName=sys.argv[1], ShardId=s["ShardId"], ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    while it:
        r = k.get_records(ShardIterator=it, Limit=10000)
        n += len(r["Records"]); it = r.get("NextShardIterator")
        if not r["Records"] and r.get("MillisBehindLatest", 0) == 0:
            break
k.delete_stream(StreamName=sys.argv[1], EnforceConsumerDeletion=True)
print(n)
PY
)
  grep '"stopped"' "$work/log-$1.json" | "$py" -c '
import json, sys
s = json.loads(sys.stdin.readline())
print(s["events_out"], s["records_out"], s["put_calls"], sys.argv[1])' "$stored"
}
read -r ev_a rec_a calls_a stored_a < <(run_mode true)
read -r ev_p rec_p calls_p stored_p < <(run_mode false)
awk -v ea="$ev_a" -v ra="$rec_a" -v ca="$calls_a" -v sa="$stored_a" -v ep="$ev_p" -v rp="$rec_p" -v cp="$calls_p" -v sp="$stored_p" 'BEGIN {
  printf "aggregated (log-shipper)  : %7.2f records, %6.2f PutRecords calls per 1,000 events (%d events, %d records read back)\n", 1000*ra/ea, 1000*ca/ea, ea, sa
  printf "one event per record      : %7.2f records, %6.2f PutRecords calls per 1,000 events (%d events, %d records read back)\n", 1000*rp/ep, 1000*cp/ep, ep, sp
  printf "ratio                     : %.1fx fewer records, %.1fx fewer calls  (goal: >= 20x fewer records)\n", (rp/ep)/(ra/ea), (cp/ep)/(ca/ea)
}'
