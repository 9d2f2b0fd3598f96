#!/usr/bin/env bash
# Fuzz policy-lint for a bounded time per target (not part of CI).
#
#   policy-lint/fuzz/run.sh [SECONDS_PER_TARGET]    # default 300
#
# Targets: policy_parse (arbitrary JSON → kind detection, policy parser, all checks, positions)
# and terraform_extract (arbitrary .tf text → HCL parsing, policy extraction, all checks).
# Works on a stable toolchain through RUSTC_BOOTSTRAP=1 (cargo-fuzz needs -Z flags).
# Crashes are saved under policy-lint/fuzz/artifacts/<target>/; the script exits non-zero if any.
set -euo pipefail
cd "$(dirname "$0")"
secs="${1:-300}"
root="$(cd ../.. && pwd)"

if ! command -v cargo-fuzz >/dev/null 2>&1; then
  cargo install cargo-fuzz --locked
fi

# Seed corpora from the repository's own policies and Terraform.
mkdir -p corpus/policy_parse corpus/terraform_extract
i=0
while IFS= read -r -d '' f; do
  cp "$f" "corpus/policy_parse/seed-$i.json"; i=$((i + 1))
done < <(find "$root/examples" "$root/policy-lint/tests/fixtures" -name '*.json' -size -64k -print0 2>/dev/null)
i=0
while IFS= read -r -d '' f; do
  cp "$f" "corpus/terraform_extract/seed-$i.tf"; i=$((i + 1))
done < <(find "$root/examples" "$root/terraform" "$root/policy-lint/tests/fixtures" -name '*.tf' -size -64k -not -path '*/.terraform/*' -print0 2>/dev/null)

status=0
for t in policy_parse terraform_extract; do
  echo "== fuzzing $t for ${secs}s"
  if ! RUSTC_BOOTSTRAP=1 cargo fuzz run "$t" "corpus/$t" -- \
      -max_total_time="$secs" -max_len=65536 -rss_limit_mb=2048 -timeout=10 -print_final_stats=1; then
    echo "!! $t found a crash: see policy-lint/fuzz/artifacts/$t/"
    status=1
  fi
done
exit "$status"
