#!/usr/bin/env bash
# bench-peers.sh: snapport against python-cinderclient, python-openstackclient and plain
# curl on a real Cinder (the e2e harness): an inventory of 10,000 snapshots, a batch
# import of 30 snapshot LVs of one volume, a batch export of 30. Prints a table of
# medians and ratios and the commands timed. Run as root on Debian.
#
#   scripts/bench-peers.sh [--rows N] [--lvs N] [--batch N] [--runs N] [--batch-runs N]
#                          [--warmup N] [--parallel N] [--only inventory|import|export]
#
# Uses the harness named by SNAPPORT_E2E_DIR when it is set and answering; otherwise
# brings one up in a temporary dir (tests/e2e/cinder-up.sh) and takes it down at the end.
# Builds snapport in release mode unless SNAPPORT_BIN names a binary. Everything it
# seeds (database rows, LVs, records) is removed again, also on failure or Ctrl-C.
# Exit status: 0 when every target was met, 1 otherwise (the table is printed anyway).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
E2E=$ROOT/tests/e2e
say() { echo "[bench $(date +%T)] $*" >&2; }

[ "$(id -u)" = 0 ] || { say "must run as root (the harness and seeding need LVM and the database)"; exit 1; }

if [ -z "${SNAPPORT_BIN:-}" ]; then
    say "building snapport (release)"
    (cd "$ROOT" && cargo build --release --locked --bin snapport)
    SNAPPORT_BIN=${CARGO_TARGET_DIR:-$ROOT/target}/release/snapport
fi
[ -x "$SNAPPORT_BIN" ] || { say "no snapport binary at $SNAPPORT_BIN"; exit 1; }

# answering DIR: the harness in DIR is up (its deployment a lists its services).
answering() {
    [ -f "$1/env.sh" ] || return 1
    # shellcheck disable=SC1091
    (. "$1/env.sh" && curl -fsS -o /dev/null --max-time 10 -H "X-Auth-Token: $SNAPPORT_E2E_TOKEN" \
        "$SNAPPORT_E2E_API/os-services")
}

OWN_HARNESS=
if [ -n "${SNAPPORT_E2E_DIR:-}" ] && answering "$SNAPPORT_E2E_DIR"; then
    say "using the running harness in $SNAPPORT_E2E_DIR"
else
    [ -z "${SNAPPORT_E2E_DIR:-}" ] || say "no harness answers in $SNAPPORT_E2E_DIR: bringing up one of our own"
    SNAPPORT_E2E_DIR=$(mktemp -d "${TMPDIR:-/tmp}/snapport-bench.XXXXXX")
    export SNAPPORT_E2E_DIR
    OWN_HARNESS=$SNAPPORT_E2E_DIR
    trap 'SNAPPORT_E2E_DIR=$OWN_HARNESS "$E2E/cinder-down.sh" >&2 || say "cinder-down.sh failed: check $OWN_HARNESS"' EXIT
    say "bringing up a harness in $SNAPPORT_E2E_DIR"
    "$E2E/cinder-up.sh" >&2
fi

# shellcheck disable=SC1091
. "$SNAPPORT_E2E_DIR/env.sh"
set +e
"$SNAPPORT_E2E_VENV/bin/python3" "$E2E/bench_peers.py" --snapport "$SNAPPORT_BIN" "$@"
rc=$?
set -e
exit "$rc"
