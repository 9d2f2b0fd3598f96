#!/usr/bin/env bash
# policy-lint benchmark (not a test; release build):
#  1. 1,000 generated identity policies (10 statements each): policy-lint with all checks vs
#     Parliament's core checks, in the same run, on the same files; prints both times and the ratio.
#  2. A generated `terraform show -json` plan with 10,000 resources: policy-lint's time and peak RSS.
#
#   bench/policy-lint/run.sh            # N=1000 policies, 10000 plan resources
#   N=2000 PLAN_RESOURCES=20000 bench/policy-lint/run.sh
#   RUNS=5 bench/policy-lint/run.sh   # runs of each tool on the policies (default 3)
#
# Parliament (PyPI `parliament`, pinned) is installed into bench/policy-lint/.venv on first use.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
n="${N:-1000}"
plan_n="${PLAN_RESOURCES:-10000}"
runs="${RUNS:-3}"
out="$root/bench/out/policy-lint"
parliament_version="1.6.4"

mkdir -p "$out"
if [ ! -x "$here/.venv/bin/parliament" ]; then
  python3 -m venv "$here/.venv"
  "$here/.venv/bin/pip" install --quiet "parliament==$parliament_version"
fi

echo "== building policy-lint (release)"
(cd "$root" && cargo build --release -p policy-lint --quiet)
bin="${CARGO_TARGET_DIR:-$root/target}/release/policy-lint"

policies="$out/policies-$n"
if [ ! -d "$policies" ]; then
  python3 "$here/gen_policies.py" "$n" "$policies"
fi
plan="$out/plan-$plan_n.json"
if [ ! -f "$plan" ]; then
  python3 "$here/gen_plan.py" "$plan" "$plan_n"
fi

# Runs a command with stdout discarded; prints "<seconds> <peak RSS KiB> <exit code>".
measure() {
  python3 - "$@" <<'PY'
import resource, subprocess, sys, time
t = time.perf_counter()
p = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
dt = time.perf_counter() - t
rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(f"{dt:.3f} {rss} {p.returncode}")
PY
}

echo "== $n policies × 10 statements ($(du -sh "$policies" | cut -f1)), $runs runs of each tool"
# warm the page cache for both tools
cat "$policies"/*.json > /dev/null
findings=$( ("$bin" check --no-config --format json "$policies" 2>/dev/null || true) | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["findings"]))' || true)
# Each tool runs $runs times in a row (policy-lint first); the same statistics (best and median of
# its runs) are given for both, and the ratio of medians is the headline figure.
python3 - "$runs" "$findings" "$bin" "$here/.venv/bin/parliament" "$policies" <<'PY'
import os, statistics, subprocess, sys, time
runs, findings, pl, pa, policies = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]
cmds = {
    "policy-lint (all checks)": [pl, "check", "--no-config", "--format", "json", policies],
    "parliament (core checks)": [pa, "--directory", policies, "--include_policy_extension", "json"],
}
out = {}
for name, cmd in cmds.items():
    ts, rss, code = [], 0, None
    for _ in range(runs):
        t = time.perf_counter()
        p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _, status, usage = os.wait4(p.pid, 0)
        ts.append(time.perf_counter() - t)
        rss, code = max(rss, usage.ru_maxrss), os.waitstatus_to_exitcode(status)
    out[name] = ts
    extra = f"  findings {findings}" if name.startswith("policy-lint") else ""
    print(f"{name}:  median {statistics.median(ts):7.3f} s  best {min(ts):7.3f} s  "
          f"(runs: {', '.join(f'{t:.3f}' for t in ts)})  peak RSS {rss} KiB  exit {code}{extra}")
a, b = out["policy-lint (all checks)"], out["parliament (core checks)"]
print(f"ratio: policy-lint is {statistics.median(b) / statistics.median(a):.0f}x faster median-to-median, "
      f"{min(b) / min(a):.0f}x best-to-best (goal >= 100x)")
PY

echo "== plan with $plan_n resources ($(du -h "$plan" | cut -f1))"
read -r p_t p_rss p_rc < <(measure "$bin" check --no-config --format json "$plan")
policies_in_plan=$( ("$bin" check --no-config --format json "$plan" 2>/dev/null || true) | python3 -c 'import json,sys; print(json.load(sys.stdin)["metadata"]["policies"])')
printf 'policy-lint on the plan:    %7.3f s  peak RSS %6d KiB (%d MiB)  exit %s  policies %s\n' "$p_t" "$p_rss" "$((p_rss / 1024))" "$p_rc" "$policies_in_plan"
python3 -c "import sys; t, r = float(sys.argv[1]), int(sys.argv[2]) / 1024; print(f'goal < 2 s: {\"met\" if t < 2 else \"MISSED\"}; goal < 200 MB: {\"met\" if r < 200 else \"MISSED\"}')" "$p_t" "$p_rss"
