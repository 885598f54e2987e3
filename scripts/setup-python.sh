#!/usr/bin/env bash
# Creates target/py-venv with the Python packages of scripts/requirements-test.txt (reference
# SDKs for the differential tests, independent implementations for the interop tests, test
# servers). Idempotent: a quick no-op when the venv was made from the same requirements file.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
REQ="$ROOT/scripts/requirements-test.txt"
VENV="$ROOT/target/py-venv"
PY="$VENV/bin/python"
STAMP="$VENV/.requirements"

if [ -x "$PY" ] && [ -f "$STAMP" ] && cmp -s "$REQ" "$STAMP"; then
    echo "python test packages already installed in target/py-venv"
    exit 0
fi

PYTHON="${PYTHON:-python3}"
mkdir -p "$ROOT/target"
if [ ! -x "$PY" ]; then
    "$PYTHON" -m venv "$VENV"
fi
"$PY" -m pip install --quiet --disable-pip-version-check -r "$REQ"
cp "$REQ" "$STAMP"
"$PY" -m pip list --disable-pip-version-check --format=freeze 2>/dev/null | grep -iF -f <(grep -v '^#' "$REQ" | cut -d= -f1) || true
echo "python test packages installed in target/py-venv"
