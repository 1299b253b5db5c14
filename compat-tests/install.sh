#!/usr/bin/env bash
# Installs the client libraries the compat suites need. Idempotent and quiet; fails loudly.
#   - Python venv at compat-tests/.venv with the official Python client (wraps the C++ client)
#   - compat-tests/node_modules with pulsar-flex (pure JS client) and protobufjs (raw frames)
set -euo pipefail

PULSAR_CLIENT_VERSION=3.13.0   # newest on PyPI when pinned (pip index versions pulsar-client)
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here"

fail() { echo "compat-tests/install.sh: $*" >&2; exit 1; }

command -v python3 >/dev/null || fail "python3 not found"
command -v node >/dev/null || fail "node not found"
command -v npm >/dev/null || fail "npm not found"

# --- Python -----------------------------------------------------------------------------------
venv="$here/.venv"
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv" || fail "could not create $venv (is python3-venv installed?)"
fi
have=$("$venv/bin/python" -c 'import importlib.metadata as m; print(m.version("pulsar-client"))' 2>/dev/null || true)
if [ "$have" != "$PULSAR_CLIENT_VERSION" ]; then
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "pulsar-client==$PULSAR_CLIENT_VERSION" \
    || fail "pip install pulsar-client==$PULSAR_CLIENT_VERSION failed"
fi
"$venv/bin/python" -c 'import pulsar' || fail "python cannot import pulsar after install"

# --- Node -------------------------------------------------------------------------------------
# Reinstall only when package.json / package-lock.json changed since the last install.
stamp="node_modules/.compat-install-stamp"
manifest_hash() { local f; for f in package.json package-lock.json; do if [ -f "$f" ]; then cat "$f"; fi; done | sha256sum | cut -d" " -f1; }
want=$(manifest_hash)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  if [ -f package-lock.json ]; then
    npm ci --no-audit --no-fund --loglevel=error >/dev/null || fail "npm ci in compat-tests failed"
  else
    npm install --no-audit --no-fund --loglevel=error >/dev/null || fail "npm install in compat-tests failed"
  fi
  want=$(manifest_hash)
  echo "$want" > "$stamp"
fi
node -e 'require("pulsar-flex"); require("protobufjs")' || fail "node cannot load pulsar-flex/protobufjs"

echo "compat-tests: clients installed (pulsar-client $PULSAR_CLIENT_VERSION, pulsar-flex, protobufjs)"
