#!/usr/bin/env bash
# run.sh: the real-Cinder e2e stage. Brings up the harness (cinder-up.sh) while the
# tests compile, runs them with SNAPPORT_E2E_DIR set, and always tears the harness
# down again (cinder-down.sh), whatever happened. Exits with the tests' exit code.
#
#   tests/e2e/run.sh [CARGO TEST ARGS...]     default: --locked --test e2e_cinder
#
# Run as root on Debian. SNAPPORT_E2E_LOGS=DIR keeps a copy of the harness logs there
# (they are printed in part on failure anyway). Other SNAPPORT_E2E_* knobs: see
# cinder-up.sh.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
say() { echo "[e2e run $(date +%T)] $*"; }

if [ $# -eq 0 ]; then
    set -- --locked --test e2e_cinder
fi
# A fresh state dir per run unless one was given.
if [ -z "${SNAPPORT_E2E_DIR:-}" ]; then
    SNAPPORT_E2E_DIR=$(mktemp -d "${TMPDIR:-/tmp}/snapport-e2e.XXXXXX")
fi
export SNAPPORT_E2E_DIR
UP_LOG=$(mktemp "${TMPDIR:-/tmp}/snapport-e2e-up.XXXXXX.log")
UP_PID=
TESTS_RC=1

seconds_since() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }

finish() {
    local rc=$?
    trap - EXIT
    if [ -n "$UP_PID" ] && kill -0 "$UP_PID" 2>/dev/null; then
        say "waiting for cinder-up.sh to finish before tearing down"
        wait "$UP_PID" || true
    fi
    if [ "$TESTS_RC" != 0 ] && [ -d "$SNAPPORT_E2E_DIR/log" ]; then
        say "failure: last errors in the harness logs ($SNAPPORT_E2E_DIR/log)"
        grep -h -E ' (ERROR|CRITICAL) ' "$SNAPPORT_E2E_DIR"/log/cinder-*.log "$SNAPPORT_E2E_DIR"/log/[bc]/cinder-*.log 2>/dev/null | tail -n 30 || true
        if [ -n "${SNAPPORT_E2E_LOGS:-}" ]; then
            mkdir -p "$SNAPPORT_E2E_LOGS"
            cp -r "$SNAPPORT_E2E_DIR/log/." "$SNAPPORT_E2E_LOGS/"
            say "harness logs copied to $SNAPPORT_E2E_LOGS"
        fi
    fi
    local t0
    t0=$(date +%s.%N)
    "$HERE/cinder-down.sh" || say "cinder-down.sh failed: check for leftovers of $SNAPPORT_E2E_DIR"
    rm -f "$UP_LOG"
    say "down took $(seconds_since "$t0")s"
    [ "$rc" != 0 ] && [ "$TESTS_RC" = 0 ] && TESTS_RC=$rc
    exit "$TESTS_RC"
}
trap finish EXIT

cd "$ROOT"
T0=$(date +%s.%N)
say "bringing up the harness in $SNAPPORT_E2E_DIR (log: $UP_LOG) while the tests compile"
"$HERE/cinder-up.sh" >"$UP_LOG" 2>&1 &
UP_PID=$!

cargo test --no-run "$@"
T_BUILD=$(seconds_since "$T0")

if ! wait "$UP_PID"; then
    UP_PID=
    cat "$UP_LOG"
    say "cinder-up.sh failed"
    exit 1
fi
UP_PID=
cat "$UP_LOG"
say "build ${T_BUILD}s; harness ready after $(seconds_since "$T0")s (cinder-up.sh alone: $(cat "$SNAPPORT_E2E_DIR/run/up.seconds")s)"

T1=$(date +%s.%N)
set +e
cargo test "$@"
TESTS_RC=$?
set -e
say "tests took $(seconds_since "$T1")s (exit $TESTS_RC)"
