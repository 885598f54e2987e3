#!/usr/bin/env bash
# The project's test command (README, second command; CI runs exactly this through .ci/run).
# It does its own set-up on a fresh clone: installs the test servers from npm and the reference
# Python SDK from PyPI, runs every check in every feature combination, and stops what it started.
# The Rust tests start and stop their servers themselves, on loopback.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR=never

started=$(date +%s)
log=$(mktemp)
trap 'rm -f "$log"' EXIT
step() { printf '\n==> [%ss] %s\n' "$(( $(date +%s) - started ))" "$*"; }

step "install the test servers (npm ci)"
for dir in tests/op tests/pdp; do
  if [ -f "$dir/package-lock.json" ]; then
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
  fi
done
if ! command -v redis-server >/dev/null 2>&1; then
  step "install Redis for the shared-store tests (Debian redis-server)"
  sudo=""
  if [ "$(id -u)" != 0 ]; then sudo="sudo"; fi
  $sudo apt-get update
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y redis-server
fi
if [ -x scripts/setup-python.sh ]; then
  step "install the Python reference SDKs and interop packages (target/py-venv)"
  scripts/setup-python.sh
fi

step "cargo fmt --check"
cargo fmt --all -- --check

combos=("" "blocking" "async" "blocking,async,axum,redis")
for features in "${combos[@]}"; do
  step "cargo clippy --all-targets [features: ${features:-none}]"
  cargo clippy --all-targets --no-default-features --features "$features" -- -D warnings
done

for features in "redis" "blocking,redis" "async,redis"; do
  step "cargo check --lib (the redis feature with one client or none) [features: ${features}]"
  cargo check --lib --no-default-features --features "$features"
done

step "cargo doc (warnings are errors)"
RUSTDOCFLAGS="-D warnings" cargo doc --no-deps --all-features

step "mixed-mode program: one library with blocking, another with async, both clients in one process"
cp Cargo.lock tests/mixed-mode/Cargo.lock
CARGO_TARGET_DIR="$PWD/target" cargo run --quiet --manifest-path tests/mixed-mode/Cargo.toml

if [ -f tests/pdp/check.mjs ]; then
  step "policy decision point: the project's policies against real Cerbos"
  node tests/pdp/check.mjs
fi
if [ -f tests/op/selftest.mjs ]; then
  step "OpenID provider: self-test of the project's test provider"
  node tests/op/selftest.mjs
fi

for features in "${combos[@]}"; do
  step "cargo test [features: ${features:-none}]"
  cargo test --no-default-features --features "$features" 2>&1 | tee -a "$log"
done

if [ "${IDPKIT_FUZZ:-0}" = 1 ]; then
  step "fuzz every parser of outside input for 15 s each (scripts/fuzz.sh)"
  scripts/fuzz.sh 15
else
  step "fuzzing skipped (the CI budget is tight): IDPKIT_FUZZ=1 scripts/test.sh, or scripts/fuzz.sh [seconds]"
fi

passed=$(grep -Eo '^test result: .* ([0-9]+) passed' "$log" | grep -Eo '[0-9]+ passed' | awk '{s+=$1} END {print s+0}')
failed=$(grep -Eo '^test result: .* ([0-9]+) failed' "$log" | grep -Eo '[0-9]+ failed' | awk '{s+=$1} END {print s+0}')
step "done in $(( $(date +%s) - started ))s"
echo "${passed} passed, ${failed} failed"
