#!/usr/bin/env bash
# Runs the scope benchmarks (benches/scope.rs) and times the reference Python SDK's
# has_access on the same inputs, then prints both per check with the speed-ups.
#
#   scripts/bench-vs-reference.sh            # cargo bench --bench scope, then the table
#   SKIP_CARGO_BENCH=1 scripts/bench-vs-reference.sh   # reuse the last criterion results
#
# CARGO_TARGET_DIR is honoured (criterion writes to $CARGO_TARGET_DIR/criterion).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
bash scripts/setup-python.sh >/dev/null
TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"

if [ -z "${SKIP_CARGO_BENCH:-}" ]; then
    cargo bench --no-default-features --bench scope
fi
echo
"$ROOT/target/py-venv/bin/python" scripts/bench_vs_reference.py \
    --criterion "$TARGET_DIR/criterion" --sizes "${SIZES:-10,1000}"
