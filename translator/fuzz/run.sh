#!/usr/bin/env bash
# Fuzz the translator's record parser and core for a bounded time (default 300 s).
#   translator/fuzz/run.sh [SECONDS]
# Needs cargo-fuzz (`cargo install cargo-fuzz`). On a stable toolchain RUSTC_BOOTSTRAP=1 enables
# the sanitizer flags cargo-fuzz passes. Seeds: the golden inputs. Crashes land in artifacts/.
set -euo pipefail
cd "$(dirname "$0")"
SECS="${1:-300}"
export RUSTC_BOOTSTRAP=1
mkdir -p corpus/record_parser
for f in ../tests/golden/*/input.json; do
  # one seed per golden input, compacted to one line like batch input
  python3 -c 'import json,sys; print(json.dumps(json.load(open(sys.argv[1])), ensure_ascii=False, separators=(",",":")))' "$f" \
    > "corpus/record_parser/seed-$(basename "$(dirname "$f")").json"
done
cargo fuzz run record_parser corpus/record_parser -- \
  -max_total_time="$SECS" -max_len=65536 -rss_limit_mb=2048 -print_final_stats=1
