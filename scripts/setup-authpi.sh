#!/usr/bin/env bash
# Creates target/authpi-venv with the reference Python SDK (authpi-idp 1.1.2), used by
# tests/scope_differential.rs and scripts/bench-vs-reference.sh. Idempotent: a quick
# no-op when the venv already has the right version.
set -euo pipefail

VERSION="1.1.2"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/target/authpi-venv"
PY="$VENV/bin/python"

if [ -x "$PY" ] && "$PY" -c "import importlib.metadata as m, sys; sys.exit(m.version('authpi-idp') != '$VERSION')" 2>/dev/null; then
    echo "authpi-idp $VERSION already installed in $VENV"
    exit 0
fi

PYTHON="${PYTHON:-python3}"
mkdir -p "$ROOT/target"
if [ ! -x "$PY" ]; then
    "$PYTHON" -m venv "$VENV"
fi
"$PY" -m pip install --quiet --disable-pip-version-check "authpi-idp==$VERSION"
"$PY" -c "import authpi_idp; print('authpi-idp', authpi_idp.__version__, 'installed in $VENV')"
