#!/usr/bin/env bash
# Runs every test of the workspace, on a fresh machine that has only the Rust toolchain and
# Python 3 with pip: installs the pinned moto server into .venv, starts it on a free loopback
# port, builds and runs all Rust tests (unit, CLI, golden, emulator, crash), then stops moto.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
export NO_COLOR=1
export CARGO_TERM_COLOR=never
# Emulator-backed tests fail (instead of skipping) when the emulator is missing.
export FCM_GUARD_REQUIRE_EMULATOR=1

# Install the Python side while cargo compiles.
scripts/moto.sh install &
install_pid=$!
cargo build --workspace --all-targets --locked
wait "$install_pid"

eval "$(scripts/moto.sh start)"
trap 'scripts/moto.sh stop' EXIT

cargo test --workspace --locked --no-fail-fast "$@"
