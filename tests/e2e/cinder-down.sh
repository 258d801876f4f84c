#!/usr/bin/env bash
# cinder-down.sh: stop what cinder-up.sh started, detach its loop device, delete its state.
#
# Only processes this harness instance started are touched: the ones recorded in
# run/*.pid (each was started with setsid, so its PID is its process-group id, and the
# PID file also holds its start time, so a recycled PID is never signalled), plus any
# process that carries this instance's SNAPPORT_E2E_OWNER marker in its environment
# (privsep daemons and Erlang helpers can outlive or leave their group).
# Only the loop device backed by this instance's image is detached. The pip venv in
# the cache dir is kept for the next cinder-up.sh.
#
#   cinder-down.sh [--keep-state]   (--keep-state: stop, but keep DB, VG image and logs)
#   SNAPPORT_E2E_DIR selects the instance, as for cinder-up.sh.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tests/e2e/lib.sh
. "$HERE/lib.sh"
trap 'die "cinder-down.sh failed at line $LINENO (exit $?)"' ERR

KEEP_STATE=0
case "${1:-}" in
"") ;;
--keep-state) KEEP_STATE=1 ;;
*) die "usage: cinder-down.sh [--keep-state]" ;;
esac
[ "$(id -u)" = 0 ] || die "must run as root"
T_START=$(date +%s.%N)

if [ ! -f "$E2E_MARKER" ]; then
    [ -e "$E2E_DIR" ] && die "$E2E_DIR is not a harness state dir (no marker); not touching it"
    say "nothing to do: $E2E_DIR does not exist"
    exit 0
fi

# Send SIG to every member of process group PGID.
signal_group() { kill "-$1" -- "-$2" 2>/dev/null || true; }

# stop NAME: TERM the recorded process group, wait, then KILL what is left of it.
stop() {
    local name=$1 f=$RUN/$1.pid pid start members
    [ -f "$f" ] || return 0
    read -r pid start <"$f"
    members=$(group_members "$pid")
    if [ -n "$members" ] && { alive "$name" || ! [ -e "/proc/$pid" ]; }; then
        # the leader is ours (or gone, leaving its group behind, e.g. a privsep daemon)
        say "stopping $name (process group $pid)"
        signal_group TERM "$pid"
        for _ in $(seq 1 40); do
            [ -z "$(group_members "$pid")" ] && break
            sleep 0.25
        done
        if [ -n "$(group_members "$pid")" ]; then
            say "$name did not stop within 10s: SIGKILL"
            signal_group KILL "$pid"
        fi
    fi
    rm -f "$f"
}

# API first (no new requests), then the workers, then the message bus.
for svc in cinder-api cinder-volume cinder-scheduler rabbitmq epmd; do
    stop "$svc"
done

# Whatever still carries our marker left its group: stop it too.
left=$(marked_processes)
if [ -n "$left" ]; then
    say "stopping leftover processes of this instance: $(echo "$left" | tr '\n' ' ')"
    # shellcheck disable=SC2086 # one PID per word
    kill -TERM $left 2>/dev/null || true
    sleep 1
    left=$(marked_processes)
    # shellcheck disable=SC2086
    [ -z "$left" ] || kill -KILL $left 2>/dev/null || true
fi

# Detach only the loop device backed by our own image.
for loop in $( { losetup -j "$IMG" 2>/dev/null || true; } | cut -d: -f1); do
    say "detaching $loop"
    losetup -d "$loop" || die "cannot detach $loop (still in use?)"
done
rm -f "$RUN/loop.dev"

if [ "$KEEP_STATE" = 1 ]; then
    say "state kept in $E2E_DIR"
else
    say "removing $E2E_DIR"
    rm -rf "$E2E_DIR"
fi
say "down in $(awk -v a="$T_START" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')s"
