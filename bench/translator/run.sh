#!/usr/bin/env bash
# Benchmark of the translator against jq on the same input, in the same run (not a test).
#
#   bench/translator/run.sh [COUNT]        # default 200000 applications
#   BENCH_TRANSLATOR=path/to/translator bench/translator/run.sh   # time a prebuilt release binary
#   REPEAT=5 bench/translator/run.sh        # translator runs per direction (median reported; default 3)
#
# 1. batch: `translator batch` (validation, normalisation, encryption with the local key
#    provider; case direction, the same mapping as the peer) and the inquiry direction
#    (tokenisation) vs `jq -c -f ../shared/bench/peer_to_caseui.jq`. Prints records per
#    CPU-second (user+sys) for each, the ratio, and peak RSS (/usr/bin/time -v).
# 2. online: `wrk` against `translator serve` on loopback, POST /v1/inquiries; req/s and p99.
# Needs: python3, jq, wrk, /usr/bin/time (Debian: apt-get install jq wrk time).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
SHARED="${FCM_GUARD_SHARED:-$ROOT/../shared}"
COUNT="${1:-200000}"
WORK="${BENCH_DIR:-$(mktemp -d)}"
DURATION="${WRK_DURATION:-15s}"
CONNS="${WRK_CONNECTIONS:-32}"
mkdir -p "$WORK"
for tool in jq wrk /usr/bin/time python3; do
  command -v "$tool" >/dev/null || { echo "missing $tool (apt-get install jq wrk time)" >&2; exit 2; }
done

if [ -n "${BENCH_TRANSLATOR:-}" ]; then
  T="$BENCH_TRANSLATOR"            # a prebuilt release binary (e.g. while the target dir is locked)
  echo "== using $T"
else
  echo "== building (release)"
  cargo build --release -p translator --manifest-path "$ROOT/Cargo.toml" >&2
  T="${CARGO_TARGET_DIR:-$ROOT/target}/release/translator"
fi

if [ ! -s "$WORK/apps-$COUNT.ndjson" ]; then
  echo "== generating $COUNT applications"
  python3 "$SHARED/bench/gen_applications.py" --count "$COUNT" --seed 42 --out "$WORK/apps-$COUNT.ndjson"
fi
APPS="$WORK/apps-$COUNT.ndjson"
rm -f "$WORK/keys.json"
"$T" keygen --out "$WORK/keys.json" 2>/dev/null

# run NAME CMD... : runs under /usr/bin/time -v, prints "cpu_seconds max_rss_kb"
measure() {
  local name="$1"; shift
  /usr/bin/time -v -o "$WORK/$name.time" "$@" > "$WORK/$name.stdout" 2> "$WORK/$name.stderr" || {
    local rc=$?; [ "$rc" -le 1 ] || { echo "$name failed ($rc)" >&2; cat "$WORK/$name.stderr" >&2; exit 2; }
  }
  awk -F': ' '/User time/ {u=$2} /System time/ {s=$2} /Maximum resident/ {m=$2} /Elapsed \(wall/ {w=$2}
              END {printf "%.3f %d %s\n", u+s, m, w}' "$WORK/$name.time"
}

# median NAME CMD... : `measure` REPEAT times (default 3), the run with the median CPU time
# (CPU time on a shared VM varies by a third between identical runs)
median() {
  local i; for i in $(seq "${REPEAT:-3}"); do measure "$@"; done | sort -n | awk '{a[NR]=$0} END {print a[int((NR+1)/2)]}'
}

echo "== batch: $COUNT records (translator: median of ${REPEAT:-3} runs by CPU time; jq: one run)"
read -r TR_CPU TR_RSS TR_WALL < <(median translator-case "$T" batch --keys "$WORK/keys.json" --to case --no-progress \
  -i "$APPS" -o "$WORK/cases.ndjson")
read -r TI_CPU TI_RSS TI_WALL < <(median translator-inquiry "$T" batch --keys "$WORK/keys.json" --to inquiry --no-progress \
  -i "$APPS" -o "$WORK/inquiries.ndjson")
read -r JQ_CPU JQ_RSS JQ_WALL < <(measure jq jq -c -f "$SHARED/bench/peer_to_caseui.jq" "$APPS")
cp "$WORK/jq.stdout" "$WORK/jq-cases.ndjson"
OUT_LINES=$(wc -l < "$WORK/cases.ndjson"); JQ_LINES=$(wc -l < "$WORK/jq-cases.ndjson")
python3 - "$COUNT" "$TR_CPU" "$TR_RSS" "$TR_WALL" "$TI_CPU" "$TI_RSS" "$TI_WALL" "$JQ_CPU" "$JQ_RSS" "$JQ_WALL" "$OUT_LINES" "$JQ_LINES" <<'PY'
import sys
n=int(sys.argv[1]); tc,tr,tw,ic,ir,iw,jc,jr,jw=sys.argv[2:11]; ol,jl=int(sys.argv[11]),int(sys.argv[12])
tc,ic,jc=float(tc),float(ic),float(jc)
rate=lambda c: n/c if c>0 else float('inf')
print(f"{'tool':<34}{'records':>9}{'cpu s':>9}{'rec/cpu-s':>12}{'peak RSS MB':>13}{'wall':>10}")
print(f"{'translator batch --to case':<34}{ol:>9}{tc:>9.2f}{rate(tc):>12.0f}{int(tr)/1024:>13.1f}{tw:>10}")
print(f"{'translator batch --to inquiry':<34}{n:>9}{ic:>9.2f}{rate(ic):>12.0f}{int(ir)/1024:>13.1f}{iw:>10}")
print(f"{'jq 1.6 peer_to_caseui.jq':<34}{jl:>9}{jc:>9.2f}{rate(jc):>12.0f}{int(jr)/1024:>13.1f}{jw:>10}")
print(f"ratio (case, records per CPU-second): {rate(tc)/rate(jc):.1f}x jq   (goal >= 100x)")
print(f"ratio (inquiry):                      {rate(ic)/rate(jc):.1f}x jq")
print(f"peak RSS translator: {max(int(tr),int(ir))/1024:.1f} MB (goal < 200 MB)")
PY

echo "== online: wrk $DURATION, $CONNS connections, POST /v1/inquiries"
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$T" serve --keys "$WORK/keys.json" --listen "127.0.0.1:$PORT" -q > "$WORK/serve.log" 2>&1 &
SERVE_PID=$!
trap 'kill "$SERVE_PID" 2>/dev/null || true' EXIT
for _ in $(seq 50); do curl -fs "http://127.0.0.1:$PORT/readyz" >/dev/null 2>&1 && break; sleep 0.1; done
# one application per request; distinct message ids so idempotency replays do not flatter the figure
head -n 1000 "$APPS" > "$WORK/wrk-bodies.ndjson"
cat > "$WORK/post.lua" <<LUA
local bodies = {}
for line in io.lines("$WORK/wrk-bodies.ndjson") do bodies[#bodies + 1] = line end
local i = 0
local n = 0
request = function()
  i = i % #bodies + 1
  n = n + 1
  local body = bodies[i]:gsub('"message_id":"[^"]*"', string.format('"message_id":"00000000-0000-4000-8000-%012x"', n))
  return wrk.format("POST", "/v1/inquiries", {["Content-Type"] = "application/json"}, body)
end
LUA
wrk -t 1 -c "$CONNS" -d "$DURATION" --latency -s "$WORK/post.lua" "http://127.0.0.1:$PORT" | tee "$WORK/wrk.txt"
curl -fs "http://127.0.0.1:$PORT/metrics" | grep 'route="inquiries"' || true
RPS=$(awk '/Requests\/sec/ {print $2}' "$WORK/wrk.txt")
P99=$(awk '$1=="99%" {print $2}' "$WORK/wrk.txt")
echo "online: ${RPS} req/s, p99 ${P99} (goals: >= 10000 req/s, p99 < 10 ms; wrk shares the 2 cores)"
echo "work dir: $WORK"
