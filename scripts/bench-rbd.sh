#!/bin/sh
# The local RBD back end on a pool of 1,000 images with one snapshot each, in one run:
# `snapshot manageable` against one raw `rbd ls -l --format json` (target <= 1.2x) and
# `volume manageable`, which asks `rbd status` of every unmanaged image (target <= 10 s).
#
# Needs a Ceph cluster: SNAPPORT_E2E_DIR names a running e2e harness
# (tests/e2e/cinder-up.sh), or CEPH_CONF names a ceph.conf. It creates its own pool and
# removes it at the end.
#
# With --cinder (needs the harness) the images go into the pool Cinder's RBD driver
# lists instead (the harness's `volumes`), named spt-bench-<pid>-NNNN, and exactly those
# are removed at the end. The run then also times Cinder's own listings of that pool,
# once each (they take tens of seconds): GET manageable_volumes/detail and
# manageable_snapshots/detail on the RBD volume host at microversion 3.8 (target:
# snapport's volume listing at least 4x faster).
#
#   scripts/bench-rbd.sh [--cinder] [IMAGES]
# shellcheck disable=SC1091,SC2016,SC2086 # env.sh is the harness's; $local and the results split on purpose
set -eu

cinder=
if [ "${1:-}" = --cinder ]; then
    cinder=1
    shift
fi
images=${1:-1000}
if [ -n "${SNAPPORT_E2E_DIR:-}" ]; then
    . "$SNAPPORT_E2E_DIR/env.sh"
    CEPH_CONF=$SNAPPORT_E2E_CEPH_CONF
fi
: "${CEPH_CONF:?set SNAPPORT_E2E_DIR (a running harness) or CEPH_CONF}"
[ -z "$cinder" ] || : "${SNAPPORT_E2E_API:?--cinder needs SNAPPORT_E2E_DIR (a running harness)}"
export CEPH_CONF

root=$(cd "$(dirname "$0")/.." && pwd)
cargo build --release --quiet --bin snapport --manifest-path "$root/Cargo.toml"
snapport=$root/target/release/snapport

if [ -n "$cinder" ]; then
    pool=$SNAPPORT_E2E_CEPH_POOL
    prefix=spt-bench-$$-
else
    pool=spt-bench-$$
    prefix=legacy-
fi
work=$(mktemp -d)
cleanup() {
    if [ -n "$cinder" ]; then
        # this run's images only (the pool is Cinder's), each with its snapshot
        rbd ls "$pool" | grep "^$prefix" |
            xargs -r -P 16 -I{} sh -c 'rbd snap purge --no-progress "$1" && rbd rm --no-progress "$1"' sh "$pool/{}" ||
            echo "could not remove every $pool/$prefix* image" >&2
    else
        ceph osd pool rm "$pool" "$pool" --yes-i-really-really-mean-it >/dev/null 2>&1 || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ -z "$cinder" ]; then
    ceph osd pool create "$pool" 8 8 replicated >/dev/null 2>&1
    ceph osd pool application enable "$pool" rbd >/dev/null 2>&1
fi

started=$(date +%s.%N)
seq -w 1 "$images" | xargs -P 16 -I{} rbd create --size 1G "$pool/$prefix{}"
seq -w 1 "$images" | xargs -P 16 -I{} rbd snap create --no-progress "$pool/$prefix{}@daily"
seeded=$(date +%s.%N)
echo "seeded $images images + $images snapshots in $pool in $(echo "$seeded - $started" | bc) s"

# median wall time of N runs of a command, in seconds
median() {
    runs=$1
    shift
    for _ in $(seq "$runs"); do
        a=$(date +%s.%N)
        "$@" >/dev/null
        b=$(date +%s.%N)
        echo "$b - $a" | bc
    done | sort -n | awk '{ t[NR] = $1 } END { print t[int((NR + 1) / 2)] }'
}

# ours KEY < JSON: the rows (a list, or the list under the one top-level key, as Cinder
# answers) whose KEY names an image of this run
ours() {
    python3 -c 'import json, sys
body = json.load(sys.stdin)
rows = body if isinstance(body, list) else next(iter(body.values()))
print(sum(1 for row in rows if ((row.get(sys.argv[1]) or {}).get("source-name") or "").startswith(sys.argv[2])))' "$1" "$prefix"
}

local="$snapport --read-only --local --pool $pool --catalog $work/catalog.sqlite --backend-host bench@ceph"
raw=$(median 5 rbd ls -l --format json "$pool")
snapshots=$(median 5 $local snapshot manageable --host bench@ceph -f json)
volumes=$(median 3 $local volume manageable --host bench@ceph -f json)

count=$($local snapshot manageable --host bench@ceph -f json | ours source_reference)
[ "$count" -eq "$images" ] || { echo "expected $images snapshots, listed $count" >&2; exit 1; }
count=$($local volume manageable --host bench@ceph -f json | ours reference)
[ "$count" -eq "$images" ] || { echo "expected $images volumes, listed $count" >&2; exit 1; }

printf '%-52s %8s\n' "raw rbd ls -l --format json" "$raw s"
printf '%-52s %8s  %sx the raw call (target <= 1.2x)\n' "snapport snapshot manageable -f json" \
    "$snapshots s" "$(echo "scale=2; $snapshots / $raw" | bc)"
printf '%-52s %8s  (target <= 10 s)\n' "snapport volume manageable -f json" "$volumes s"

if [ -n "$cinder" ]; then
    # cinder_get RESOURCE KEY: one timed GET of Cinder's listing of the RBD host; prints
    # the seconds, then how many of this run's images it named, or the HTTP error (then
    # the listing took at least that long: the API gave up waiting for cinder-volume)
    cinder_get() {
        status=$(curl -sS -o "$work/cinder.json" -w '%{http_code} %{time_total}' --max-time 600 \
            -H "X-Auth-Token: $SNAPPORT_E2E_TOKEN" -H 'OpenStack-API-Version: volume 3.8' \
            "$SNAPPORT_E2E_API/$1/detail?host=$SNAPPORT_E2E_RBD_VOLHOST") || true
        if [ "${status% *}" = 200 ]; then
            echo "${status#* } listed $(ours "$2" <"$work/cinder.json") of $images; snapport"
        else
            echo "${status#* } HTTP ${status% *}, gave up; snapport at least"
        fi
    }
    # compare LABEL RESOURCE KEY SNAPPORT-SECONDS [TARGET]
    compare() {
        result=$(cinder_get "$2" "$3")
        seconds=${result%% *}
        printf '%-52s %8s  %s %sx faster%s\n' "$1" "$seconds s" "${result#* }" \
            "$(echo "scale=1; $seconds / $4" | bc)" "${5:-}"
    }
    compare "Cinder GET manageable_volumes/detail" manageable_volumes reference "$volumes" " (target >= 4x)"
    compare "Cinder GET manageable_snapshots/detail" manageable_snapshots source_reference "$snapshots"
    echo "Cinder volume host $SNAPPORT_E2E_RBD_VOLHOST, pool $pool ($(rbd ls "$pool" | wc -l) images in all)"
fi
echo "load: $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) cores"
