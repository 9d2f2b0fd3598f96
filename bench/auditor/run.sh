#!/usr/bin/env bash
# Benchmark: the auditor against Prowler on the same emulated account, in the same run.
#
#   bench/auditor/run.sh                 # everything (installs Prowler into bench/auditor/.venv-prowler)
#   BENCH_BUCKETS=1000 bench/auditor/run.sh   # smaller bucket-scale phase
#   BENCH_SKIP_PROWLER=1 bench/auditor/run.sh # auditor only
#   BENCH_AUDITOR=path bench/auditor/run.sh   # use a binary built beforehand
#   BENCH_SKIP_SCALE=1 bench/auditor/run.sh   # phases 1 and 2 only
#   BENCH_CAP=20 bench/auditor/run.sh         # the S3 cap of phase 2 (requests/s)
#   BENCH_SCALE_ENV=file bench/auditor/run.sh # phase 3 on an account seeded earlier
#                                             # (file = output of `seed.py --profile buckets`)
#
# Phases
#   1. A fresh moto account (STS AssumeRole into a random account id, so nothing else is seen) is
#      seeded with about 200 resources across ca-central-1, ca-west-1 and us-east-1 (seed.py).
#      `auditor run` (release build: collect + check + JSON report) and `prowler aws --services
#      s3 kms cloudtrail cloudwatch kinesis iam` both audit it, pointed at moto with
#      AWS_ENDPOINT_URL; wall time and peak RSS of each whole process, and the ratio.
#   2. Request-rate cap: the same account collected with `--max-rps s3=$BENCH_CAP` (20); the observed S3
#      request rate is printed next to the cap.
#   3. Scale: another fresh account with BENCH_BUCKETS (default 5,000) buckets; `auditor collect`
#      wall time, peak RSS and inventory size, to show memory follows the inventory (bounded
#      in-flight work), not the number of requests.
#
# Needs: Rust, Python 3 (moto and boto3 come from scripts/moto.sh install), /usr/bin/time.
# This is not a test: nothing here is asserted, the figures are printed for the record.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
here="$root/bench/auditor"
out="$(mktemp -d "${TMPDIR:-/tmp}/auditor-bench.XXXXXX")"
regions="ca-central-1,ca-west-1,us-east-1"
buckets="${BENCH_BUCKETS:-5000}"
cap="${BENCH_CAP:-20}"
prowler_version="5.46.0"

export NO_COLOR=1
say() { printf '%s\n' "$*" >&2; }

eval "$("$root/scripts/moto.sh" start)"
endpoint="$AWS_ENDPOINT_URL"
py="$FCM_GUARD_PYTHON"

if [ -n "${BENCH_AUDITOR:-}" ]; then
  auditor="$BENCH_AUDITOR"   # a binary built beforehand
else
  say "== building the auditor (release)"
  (cd "$root" && cargo build --release -p auditor --quiet)
  auditor="$root/target/release/auditor"
fi

if [ -z "${BENCH_SKIP_PROWLER:-}" ]; then
  if [ ! -x "$here/.venv-prowler/bin/prowler" ]; then
    say "== installing prowler==$prowler_version into bench/auditor/.venv-prowler"
    python3 -m venv "$here/.venv-prowler"
    "$here/.venv-prowler/bin/pip" install -q --disable-pip-version-check "prowler==$prowler_version"
  fi
fi

# time_it NAME CMD... : runs CMD with /usr/bin/time; prints "seconds kb" into $out/NAME.time
time_it() {
  local name="$1"; shift
  /usr/bin/time -f "%e %M" -o "$out/$name.time" "$@" >"$out/$name.stdout" 2>"$out/$name.stderr" || true
}
secs() { cut -d' ' -f1 "$out/$1.time" | tail -1; }
rss_mb() { awk '{printf "%.1f", $2/1024}' <(tail -1 "$out/$1.time"); }

# Observed request rate of one service from the auditor's "Collection requests." log lines.
rate_of() {
  "$py" - "$out/$1.stderr" "$2" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    try:
        rec = json.loads(line)
    except ValueError:
        continue
    f = rec.get("fields", rec)
    if f.get("message") == "Collection requests." and f.get("service") == sys.argv[2]:
        print(f"{f['requests']} requests, {f['active_rate_per_s']} req/s while active "
              f"({f['rate_per_s']} req/s over the whole {f['seconds']} s run), cap {f['cap_per_s']}")
PY
}

say "== phase 1: seeding ~200 resources in a fresh account"
(
  unset AWS_SESSION_TOKEN
  "$py" "$here/seed.py" --endpoint "$endpoint" --profile mixed >"$out/mixed.env"
)
# shellcheck disable=SC1091
. "$out/mixed.env"
mixed_resources="$BENCH_RESOURCES"
say "   account $BENCH_ACCOUNT, $mixed_resources resources"

say "== auditor run ($auditor)"
time_it auditor "$auditor" run --regions "$regions" --format json --no-config
a_secs="$(secs auditor)"
a_findings="$("$py" -c 'import json,sys; d=json.load(open(sys.argv[1])); print(len(d.get("findings", [])))' "$out/auditor.stdout" 2>/dev/null || echo "?")"

p_secs=""
if [ -z "${BENCH_SKIP_PROWLER:-}" ]; then
  say "== prowler $prowler_version (same account, same endpoint)"
  time_it prowler "$here/.venv-prowler/bin/prowler" aws --services s3 kms cloudtrail cloudwatch kinesis iam \
    -f ca-central-1 ca-west-1 us-east-1 --output-directory "$out/prowler-out" --output-formats json-ocsf --no-banner
  p_secs="$(secs prowler)"
  p_findings="$("$py" - "$out/prowler-out" <<'PY' 2>/dev/null || echo "?"
import glob, json, sys
n = f = 0
for path in glob.glob(sys.argv[1] + "/*.ocsf.json"):
    for item in json.load(open(path)):
        n += 1
        f += item.get("status_code") == "FAIL"
print(f"{n} results, {f} FAIL")
PY
)"
fi

say "== phase 2: request-rate cap (s3=$cap/s) on the same account"
time_it capped "$auditor" collect --regions "$regions" --max-rps "s3=$cap" --out "$out/capped.json" -v --log-format json --no-config

if [ -z "${BENCH_SKIP_SCALE:-}" ]; then
say "== phase 3: $buckets buckets in a fresh account"
if [ -n "${BENCH_SCALE_ENV:-}" ]; then
  # An account seeded earlier with `seed.py --profile buckets` (its export lines).
  cp "$BENCH_SCALE_ENV" "$out/buckets.env"
else
  (
    unset AWS_SESSION_TOKEN AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY
    export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing
    "$py" "$here/seed.py" --endpoint "$endpoint" --profile buckets --buckets "$buckets" >"$out/buckets.env"
  )
fi
# shellcheck disable=SC1091
. "$out/buckets.env"
buckets="$BENCH_RESOURCES"
time_it scale "$auditor" collect --regions "$regions" --out "$out/scale.json" -v --log-format json --no-config
collected="$("$py" -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["buckets"]))' "$out/scale.json" 2>/dev/null || echo "?")"
inv_mb="$(du -m "$out/scale.json" | cut -f1)"
fi

echo
echo "== results (moto $(grep -o 'moto\[server\]==[0-9.]*' "$root/scripts/requirements-test.txt"), $(nproc) CPUs)"
echo "auditor binary: $auditor"
echo "phase 1: $mixed_resources resources in 3 regions"
echo "  auditor run (collect+check+report): ${a_secs} s, peak RSS $(rss_mb auditor) MB, ${a_findings} findings"
if [ -n "$p_secs" ]; then
  echo "  prowler ${prowler_version}:                  ${p_secs} s, peak RSS $(rss_mb prowler) MB, ${p_findings}"
  echo "  ratio prowler/auditor: $(awk -v p="$p_secs" -v a="$a_secs" 'BEGIN{printf "%.1fx", p/a}')"
fi
echo "phase 2: with cap s3=$cap/s: $(rate_of capped s3)"
if [ -z "${BENCH_SKIP_SCALE:-}" ]; then
  echo "         uncapped (phase 3): $(rate_of scale s3)"
  echo "phase 3: $collected of $buckets buckets collected in $(secs scale) s, peak RSS $(rss_mb scale) MB, inventory ${inv_mb} MB"
  echo "         (phase 1 collect+check of $mixed_resources resources: peak RSS $(rss_mb auditor) MB)"
fi
echo "raw output: $out"
