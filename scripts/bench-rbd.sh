#!/bin/sh
# The local RBD back end on a pool of 1,000 images with one snapshot each, in one run:
# `snapshot manageable` against one raw `rbd ls -l --format json` (target <= 1.2x) and
# `volume manageable`, which asks `rbd status` of every unmanaged image (target <= 10 s).
#
# Needs a Ceph cluster: SNAPPORT_E2E_DIR names a running e2e harness
# (tests/e2e/cinder-up.sh), or CEPH_CONF names a ceph.conf. It creates its own pool and
# removes it at the end.
#
#   scripts/bench-rbd.sh [IMAGES]
set -eu

images=${1:-1000}
if [ -n "${SNAPPORT_E2E_DIR:-}" ]; then
    . "$SNAPPORT_E2E_DIR/env.sh"
    CEPH_CONF=$SNAPPORT_E2E_CEPH_CONF
fi
: "${CEPH_CONF:?set SNAPPORT_E2E_DIR (a running harness) or CEPH_CONF}"
export CEPH_CONF

root=$(cd "$(dirname "$0")/.." && pwd)
cargo build --release --quiet --bin snapport --manifest-path "$root/Cargo.toml"
snapport=$root/target/release/snapport

pool=spt-bench-$$
work=$(mktemp -d)
cleanup() {
    ceph osd pool rm "$pool" "$pool" --yes-i-really-really-mean-it >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT INT TERM

ceph osd pool create "$pool" 8 8 replicated >/dev/null 2>&1
ceph osd pool application enable "$pool" rbd >/dev/null 2>&1

started=$(date +%s.%N)
seq -w 1 "$images" | xargs -P 16 -I{} rbd create --size 1G "$pool/legacy-{}"
seq -w 1 "$images" | xargs -P 16 -I{} rbd snap create --no-progress "$pool/legacy-{}@daily"
seeded=$(date +%s.%N)
echo "seeded $images images + $images snapshots in $(echo "$seeded - $started" | bc) s"

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

local="$snapport --local --pool $pool --catalog $work/catalog.sqlite --backend-host bench@ceph"
raw=$(median 5 rbd ls -l --format json "$pool")
snapshots=$(median 5 $local snapshot manageable --host bench@ceph -f json)
volumes=$(median 3 $local volume manageable --host bench@ceph -f json)

count=$($local snapshot manageable --host bench@ceph -f json | grep -o '"safe_to_manage"' | wc -l)
[ "$count" -eq "$images" ] || { echo "expected $images snapshots, listed $count" >&2; exit 1; }

printf '%-52s %8s\n' "raw rbd ls -l --format json" "$raw s"
printf '%-52s %8s  %sx the raw call (target <= 1.2x)\n' "snapport snapshot manageable -f json" \
    "$snapshots s" "$(echo "scale=2; $snapshots / $raw" | bc)"
printf '%-52s %8s  (target <= 10 s)\n' "snapport volume manageable -f json" "$volumes s"
echo "load: $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) cores"
