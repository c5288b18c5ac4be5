#!/usr/bin/env bash
# Runs the whole suite against real services. Called by `make test` (and so by .ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
exec "$BIN/pytest" "$@"
