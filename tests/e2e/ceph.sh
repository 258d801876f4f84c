# A throw-away single-node Ceph for the harness: one mon, one OSD on memstore, one mgr,
# auth none, everything on 127.0.0.1 with private ports and all state under
# $E2E_DIR/ceph. Sourced by cinder-up.sh after lib.sh; cinder-down.sh stops the
# daemons like any other recorded process. Never executed on its own.
# shellcheck shell=bash disable=SC2034 # CEPH_* are used by the scripts that source this

CEPH_DIR=$E2E_DIR/ceph
CEPH_CONF_FILE=$CEPH_DIR/ceph.conf
CEPH_POOL=volumes
# mon msgr2 and msgr1, then the range the OSD and the mgr bind in (Ceph's defaults,
# 3300, 6789 and 6800-7300, are left to any real cluster on the machine)
CEPH_MON_PORT=${SNAPPORT_E2E_CEPH_PORT:-18300}
CEPH_MON_PORT_V1=$((CEPH_MON_PORT + 1))
CEPH_BIND_MIN=$((CEPH_MON_PORT + 500))
CEPH_BIND_MAX=$((CEPH_BIND_MIN + 99))

# Debian's packages of the daemons, the rbd CLI and the Python bindings Cinder's driver
# imports.
ceph_packages() {
    local pkg missing=()
    for pkg in ceph-mon ceph-osd ceph-mgr rbd; do
        command -v "$pkg" >/dev/null || missing+=("$pkg")
    done
    if [ ${#missing[@]} -gt 0 ] || ! ls /usr/lib/python3/dist-packages/rbd.cpython-*.so >/dev/null 2>&1; then
        echo ceph-mon ceph-osd ceph-mgr ceph-common python3-rbd python3-rados
    fi
}

# Every ceph CLI call is bounded: a client waits forever for a mon that does not answer.
ceph_cli() { timeout 30 ceph --conf "$CEPH_CONF_FILE" --connect-timeout 20 "$@"; }

ceph_write_conf() {
    [ -f "$CEPH_CONF_FILE" ] && return 0
    mkdir -p "$CEPH_DIR/mon" "$CEPH_DIR/osd" "$CEPH_DIR/mgr" "$CEPH_DIR/run" "$CEPH_DIR/crash"
    cat >"$CEPH_CONF_FILE" <<EOF
# snapport e2e harness: a single-node Ceph on 127.0.0.1, no authentication
[global]
fsid = $(cat /proc/sys/kernel/random/uuid)
mon host = [v2:127.0.0.1:$CEPH_MON_PORT,v1:127.0.0.1:$CEPH_MON_PORT_V1]
# without these the OSD and the mgr bind every interface
public addr = 127.0.0.1
cluster addr = 127.0.0.1
ms bind port min = $CEPH_BIND_MIN
ms bind port max = $CEPH_BIND_MAX
auth cluster required = none
auth service required = none
auth client required = none
keyring = /dev/null
# one host, one OSD, one copy of everything
osd crush chooseleaf type = 0
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
mon allow pool size one = true
mon allow pool delete = true
mon warn on pool no redundancy = false
mon warn on insecure global id reclaim allowed = false
mon data avail warn = 1
mon data avail crit = 0
run dir = $CEPH_DIR/run
admin socket = $CEPH_DIR/run/\$cluster-\$name.asok
crash dir = $CEPH_DIR/crash
log to stderr = false
err to stderr = true
[client]
# no admin socket per rbd call, no client logs; a call fails when the mon is gone
admin socket =
log file = /dev/null
client mount timeout = 30
[mon.a]
mon data = $CEPH_DIR/mon
# every snapshot id comes from an OSD map change the monitor commits at most once per
# interval (default 1 s): 0.05 s lets tests make snapshots at ~15 per second, not one
paxos propose interval = 0.05
log file = $LOG/ceph-mon.log
mon cluster log file = $LOG/ceph-cluster.log
[osd]
osd data = $CEPH_DIR/osd
log file = $LOG/ceph-osd.log
# cls_rbd and the other object classes RBD needs
osd class load list = *
osd class default list = *
osd crush update on start = false
osd objectstore = memstore
memstore device bytes = 10737418240
# memstore writes its objects out only on a clean unmount, which fast shutdown skips
osd fast shutdown = false
[mgr]
mgr data = $CEPH_DIR/mgr
log file = $LOG/ceph-mgr.log
EOF
}

# Runs a daemon in its own session with the harness's marker, recorded as NAME.
ceph_start() {
    local name=$1
    shift
    alive "$name" && return 0
    say "starting $name"
    setsid "$@" -f --conf "$CEPH_CONF_FILE" >"$LOG/$name.out" 2>&1 &
    record "$name" $!
}

# ceph_json PYTHON-EXPR ARGS...: evaluates the expression over the JSON output `d` of
# `ceph ARGS -f json`; true when it holds.
ceph_json() {
    local expr=$1
    shift
    ceph_cli "$@" -f json 2>/dev/null | python3 -c "import json,sys; d=json.load(sys.stdin); sys.exit(0 if ($expr) else 1)" 2>/dev/null
}

ceph_wait() { # ceph_wait SECONDS WHAT COMMAND...
    local secs=$1 what=$2 i
    shift 2
    for ((i = 0; i < secs * 2; i++)); do
        "$@" && return 0
        for d in ceph-mon ceph-osd ceph-mgr; do
            [ -f "$RUN/$d.pid" ] && ! alive "$d" && die "$d exited while waiting for $what; see $LOG/$d.out and $LOG/$d.log"
        done
        sleep 0.5
    done
    die "timed out after ${secs}s waiting for $what; see $LOG/ceph-*.log"
}

# Brings the cluster up (or finds it up) with the pool Cinder's RBD driver uses, all
# its placement groups active.
ceph_up() {
    local t0 osd_uuid osd_id
    t0=$(date +%s)
    ceph_write_conf
    if [ ! -d "$CEPH_DIR/mon/store.db" ]; then
        monmaptool --create --clobber --fsid "$(awk '$1 == "fsid" { print $3 }' "$CEPH_CONF_FILE")" \
            --addv a "[v2:127.0.0.1:$CEPH_MON_PORT,v1:127.0.0.1:$CEPH_MON_PORT_V1]" "$CEPH_DIR/monmap" >/dev/null
        ceph-mon --conf "$CEPH_CONF_FILE" --id a --mkfs --monmap "$CEPH_DIR/monmap" --keyring /dev/null \
            >"$LOG/ceph-mkfs.log" 2>&1 || die "ceph-mon --mkfs failed; see $LOG/ceph-mkfs.log"
    fi
    ceph_start ceph-mon ceph-mon --id a
    ceph_wait 60 "the Ceph monitor on 127.0.0.1:$CEPH_MON_PORT" ceph_json True -s
    if [ ! -f "$CEPH_DIR/osd.created" ]; then
        [ -f "$CEPH_DIR/osd.uuid" ] || cat /proc/sys/kernel/random/uuid >"$CEPH_DIR/osd.uuid"
        osd_uuid=$(cat "$CEPH_DIR/osd.uuid")
        osd_id=$(ceph_cli osd create "$osd_uuid") # the same id again for the same uuid
        ceph_cli osd crush add "osd.$osd_id" 1 root=default >/dev/null 2>&1
        ceph-osd --conf "$CEPH_CONF_FILE" -i "$osd_id" --mkfs --osd-uuid "$osd_uuid" >>"$LOG/ceph-mkfs.log" 2>&1 ||
            die "ceph-osd --mkfs failed; see $LOG/ceph-mkfs.log"
        : >"$CEPH_DIR/osd.created"
    fi
    osd_id=$(cat "$CEPH_DIR/osd/whoami")
    ceph_start ceph-osd ceph-osd -i "$osd_id"
    ceph_start ceph-mgr ceph-mgr --id x
    ceph_wait 60 "osd.$osd_id to be up" ceph_json "any(o['osd'] == $osd_id and o['up'] == 1 for o in d['osds'])" osd dump
    if ! ceph_cli osd pool ls | grep -qxF "$CEPH_POOL"; then
        ceph_cli osd pool create "$CEPH_POOL" 8 8 replicated >/dev/null 2>&1 || die "cannot create pool $CEPH_POOL"
        timeout 60 rbd --conf "$CEPH_CONF_FILE" pool init "$CEPH_POOL" || die "rbd pool init $CEPH_POOL failed"
    fi
    # client I/O to a placement group that is not active blocks
    ceph_wait 60 "every placement group to be active" ceph_json \
        "d['pg_summary']['num_pgs'] > 0 and sum(s['num'] for s in d['pg_summary']['num_pg_by_state'] if s['name'].startswith('active')) == d['pg_summary']['num_pgs']" \
        pg stat
    say "Ceph up in $(($(date +%s) - t0))s (mon 127.0.0.1:$CEPH_MON_PORT, pool $CEPH_POOL)"
}

# Cinder's RBD driver imports the rados and rbd modules; Debian ships them for its own
# Python only. The extension modules load in any interpreter of the same ABI, so they
# are linked into the venv rather than dragging all of dist-packages in.
ceph_link_bindings() {
    local venv=$1 site so
    site=$("$venv/bin/python3" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
    for so in /usr/lib/python3/dist-packages/rados.cpython-*.so /usr/lib/python3/dist-packages/rbd.cpython-*.so; do
        ln -sf "$so" "$site/"
    done
    "$venv/bin/python3" -c 'import rados, rbd' 2>"$LOG/ceph-bindings.err" ||
        die "Cinder's venv cannot import rados and rbd: $(cat "$LOG/ceph-bindings.err")"
}
