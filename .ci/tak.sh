#!/usr/bin/env bash
# A real TAK server for the CoT gateway's live test (tests/cot/test_tak_server.py):
# FreeTAKServer from PyPI in a virtual environment of its own (default .tak-venv, or
# $TRACKLAYER_TAK_VENV), never in .venv: it pins Flask, SQLAlchemy, protobuf and
# cryptography versions that clash with the project's. Its telemetry library needs an
# OpenTelemetry SDK older than 1.22 (newer ones make BatchSpanProcessor.span_exporter
# read-only, and the server's CoT services die at start). FreeTAKServer keeps its files in
# /opt/fts (a path fixed in its code), hence root.
#
# Usage:  bash .ci/tak.sh        (idempotent: an environment that imports the server is kept)
set -euo pipefail
cd "$(dirname "$0")/.."

VENV="${TRACKLAYER_TAK_VENV:-.tak-venv}"
log() { echo "tak.sh: $*" >&2; }

if [ -x "$VENV/bin/python" ] && "$VENV/bin/python" -c "import FreeTAKServer" 2>/dev/null; then
  log "FreeTAKServer already installed in $VENV"
  exit 0
fi
PYTHON="${TRACKLAYER_TAK_PYTHON:-python3}"
rm -rf "$VENV"
"$PYTHON" -m venv "$VENV"
"$VENV/bin/pip" install -q --disable-pip-version-check \
  "FreeTAKServer==2.2.1" \
  "opentelemetry-api==1.21.0" "opentelemetry-sdk==1.21.0" \
  "opentelemetry-semantic-conventions==0.42b0" >&2
"$VENV/bin/python" -c "import FreeTAKServer" >&2
log "FreeTAKServer 2.2.1 installed in $VENV"
