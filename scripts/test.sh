#!/usr/bin/env bash
# Runs the whole suite against real services. Called by `make test` (and so by .ci/run).
#
# Real services: the sandbox control plane is built (cold: ~15 min, cached in
# ~/.cache/kubechat/sandbox) and started here, before pytest, so no test's timeout covers the
# build; PostgreSQL is an embedded server the tests' fixture starts (or $KUBECHAT_TEST_PG_DSN).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin

started_sandbox=0
if [[ "${KUBECHAT_SKIP_SANDBOX:-0}" != "1" ]]; then
    if ! "$BIN/kubechat" sandbox status >/dev/null 2>&1; then
        "$BIN/kubechat" sandbox up
        started_sandbox=1
    fi
fi
cleanup() {
    if [[ "$started_sandbox" == "1" && "${KUBECHAT_KEEP_SANDBOX:-0}" != "1" ]]; then
        "$BIN/kubechat" sandbox down || true
    fi
}
trap cleanup EXIT

"$BIN/pytest" "$@"
