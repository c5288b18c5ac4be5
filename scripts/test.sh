#!/usr/bin/env bash
# Runs the whole suite against real services. Called by `make test` (and so by .ci/run).
#
# Real services: the sandbox control plane is built (cold: ~15 min, cached in
# ~/.cache/kubechat/sandbox) and started here, before pytest, so no test's timeout covers the
# build; PostgreSQL is an embedded server the tests' fixture starts (or $KUBECHAT_TEST_PG_DSN).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin

# Browser tests (tests/plugins/browser.py) drive Debian's Chromium through Playwright; the
# Playwright browser download is never used. Install the Debian package when it is missing.
if [[ ! -x "${KUBECHAT_CHROMIUM:-/usr/bin/chromium}" ]]; then
    if [[ "$(id -u)" == "0" ]] && command -v apt-get >/dev/null; then
        echo "test.sh: installing Debian's chromium for the browser tests (apt-get)" >&2
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -q >/dev/null
        apt-get install -y -q chromium >/dev/null
    else
        echo "test.sh: /usr/bin/chromium is missing and this is not root with apt-get;" \
             "install it (sudo apt-get install -y chromium) or set KUBECHAT_CHROMIUM;" \
             "browser tests skip without it, and fail under CI=true" >&2
        if [[ "${CI:-}" == "true" ]]; then exit 1; fi
    fi
fi

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

# The side panel's own unit tests (vitest), unless pytest was given paths to run (a subset).
run_js=1
for arg in "$@"; do
    if [[ -e "${arg%%::*}" ]]; then run_js=0; fi
done
if [[ "$run_js" == "1" ]]; then
    (cd js && PATH="$PWD/../$BIN:$PATH" jlpm install --immutable >/dev/null && PATH="$PWD/../$BIN:$PATH" jlpm test)
fi

"$BIN/pytest" "$@"
