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
# shellcheck source-path=SCRIPTDIR source=lib.sh
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

# Process-group ids of the recorded processes among NAMES that are still ours: the
# leader is the one we started, or it is gone and left members behind (a privsep
# daemon keeps cinder-volume's group). Stale PID files are removed.
our_groups() {
    local name pid
    for name in "$@"; do
        [ -f "$RUN/$name.pid" ] || continue
        read -r pid _ <"$RUN/$name.pid"
        if [ -n "$(group_members "$pid")" ] && { alive "$name" || ! [ -e "/proc/$pid" ]; }; then
            echo "$pid"
        else
            rm -f "$RUN/$name.pid"
        fi
    done
}

# stop NAME...: TERM their process groups together, wait up to 15s, KILL the rest.
stop() {
    local groups g left name
    groups=$(our_groups "$@")
    if [ -n "$groups" ]; then
        say "stopping $* (process groups $(echo "$groups" | tr '\n' ' '))"
        for g in $groups; do signal_group TERM "$g"; done
        for _ in $(seq 1 60); do
            left=
            for g in $groups; do [ -n "$(group_members "$g")" ] && left="$left $g"; done
            [ -z "$left" ] && break
            sleep 0.25
        done
        if [ -n "$left" ]; then
            say "still running after 15s, SIGKILL to process groups$left"
            for g in $left; do signal_group KILL "$g"; done
        fi
    fi
    for name in "$@"; do rm -f "$RUN/$name.pid"; done
}

# API and workers first (they use RabbitMQ and the DB until the end), then those.
# One set per deployment (a has no suffix, b, c and k have -b, -c and -k), all stopped at
# once, and the Keystone of k with them.
CINDER=()
for suffix in "" -b -c -k; do
    CINDER+=("cinder-api$suffix" "cinder-volume$suffix" "cinder-scheduler$suffix")
done
stop "${CINDER[@]}" keystone
stop rabbitmq epmd mariadb ceph-mgr
# the OSD before the monitor, so that it can report its own stop
stop ceph-osd
stop ceph-mon

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
