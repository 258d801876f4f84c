#!/usr/bin/env bash
# cinder-up.sh: bring up a real OpenStack Cinder for snapport's end-to-end tests.
#
# cinder-api, cinder-scheduler and cinder-volume (LVM driver) as separate processes,
# talking over a private RabbitMQ, with a private MariaDB (unix socket only) and noauth,
# all on 127.0.0.1 only. (sqlite is not enough: Cinder's own heartbeats write to the DB
# concurrently with requests, and sqlite then fails requests with "database is locked".)
# The LVM volume group lives on a private loop device in activation-disabled mode
# (metadata only: no device-mapper is needed, LVs are never activated), configured
# through a private LVM_SYSTEM_DIR so nothing else on the machine is touched.
#
# Three deployments share the VG, MariaDB and RabbitMQ: "a" (the main one), "b" (its
# own database, RabbitMQ vhost, volume host and API port), so that migrations between
# two clouds that share storage can be tested against real Cinder on both sides, and
# "c" (likewise its own), whose RPC timeout is so short that its manageable listings
# time out (HTTP 500, MessagingTimeout) as soon as the VG holds a handful of snapshot
# LVs: Cinder's LVM driver pays a few lvdisplay calls per snapshot LV, the way a real
# back end with hundreds of snapshots does at the default timeout.
#
# Idempotent: installs what is missing (apt, then a pip venv kept in a cache dir),
# reuses existing state and starts only what is not running. Run as root.
# When it returns, cinder-volume is up, its pool is listed, and the state dir holds
# env.sh (source it) and clouds.yaml (clouds "e2e", "e2e-token", "e2e-b", "e2e-slow").
#
# Environment (all optional):
#   SNAPPORT_E2E_DIR       state dir (default: $TMPDIR/snapport-e2e)
#   SNAPPORT_E2E_CACHE     where the venv is kept between runs (default: ~/.cache/snapport-e2e)
#   SNAPPORT_E2E_PYTHON    interpreter for the venv (default: python3)
#   SNAPPORT_E2E_API_PORT  cinder-api port of deployment a (default 18776; b gets +1, c +2)
#   SNAPPORT_E2E_C_RPC_TIMEOUT  rpc_response_timeout of deployment c in seconds (default 1:
#                          its manageable listings fail once the VG holds ~5 snapshot LVs)
#   SNAPPORT_E2E_K_API_PORT  cinder-api port of deployment k, the one behind Keystone
#                          (default: the API port + 3, 18779)
#   SNAPPORT_E2E_KEYSTONE_PORT  Keystone's port (default 18500; its dead region's
#                          block-storage endpoint is this + 1, where nothing listens;
#                          its https socket, with a throw-away CA, is this + 2)
#   SNAPPORT_E2E_TOKEN_EXPIRATION  Keystone token lifetime in seconds (default 180)
#   SNAPPORT_E2E_AMQP_PORT RabbitMQ AMQP port (default 18672; Erlang dist +1, epmd +2)
#   SNAPPORT_E2E_VG        VG name (default: snapport-e2e-<random>, fixed per state dir)
#   SNAPPORT_E2E_DEBUG     "True" for debug logs from the cinder services
# Settings are read on the first start of a state dir; to change them run
# cinder-down.sh first.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$HERE/lib.sh"
# shellcheck source-path=SCRIPTDIR source=ceph.sh
. "$HERE/ceph.sh"
# shellcheck source-path=SCRIPTDIR source=keystone.sh
. "$HERE/keystone.sh"
trap 'die "cinder-up.sh failed at line $LINENO (exit $?); logs: $LOG"' ERR

T_START=$(date +%s.%N)
[ "$(id -u)" = 0 ] || die "must run as root (LVM, loop devices, rootwrap)"

CACHE=${SNAPPORT_E2E_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/snapport-e2e}
PYTHON=${SNAPPORT_E2E_PYTHON:-python3}
API_PORT=${SNAPPORT_E2E_API_PORT:-18776}
AMQP_PORT=${SNAPPORT_E2E_AMQP_PORT:-18672}
DIST_PORT=$((AMQP_PORT + 1))
EPMD_PORT=$((AMQP_PORT + 2))
DEBUG=${SNAPPORT_E2E_DEBUG:-False}
# noauth tokens are "user:project"; project ids in URLs must match [0-9a-f-]+.
PROJECT=0123456789abcdef0123456789abcdef
B_API_PORT=$((API_PORT + 1))
C_API_PORT=$((API_PORT + 2))
K_API_PORT=${SNAPPORT_E2E_K_API_PORT:-$((API_PORT + 3))}
C_RPC_TIMEOUT=${SNAPPORT_E2E_C_RPC_TIMEOUT:-1}
PV_GIB=1024  # sparse image: only LVM metadata is ever written
META_MIB=64  # LVM metadata area: room for a few thousand LVs
PIP_PKGS=(cinder python-cinderclient python-openstackclient PyMySQL)

mkdir -p "$E2E_DIR"
if [ ! -f "$E2E_MARKER" ]; then
    [ -z "$(ls -A "$E2E_DIR")" ] || die "$E2E_DIR is not empty and not a harness state dir; pick another SNAPPORT_E2E_DIR"
    : >"$E2E_MARKER"
fi
mkdir -p "$ETC" "$RUN" "$LOG" "$DATA/lock" "$LVMDIR/lock" "$E2E_DIR/bin" "$E2E_DIR/py" "$E2E_DIR/rabbitmq"
MYSQL_SOCK=$RUN/mysqld.sock
# Everything we start carries this marker, so cinder-down.sh can find stragglers.
export SNAPPORT_E2E_OWNER=$E2E_DIR

# The VG name is chosen once per state dir and unique, so parallel LVM tests and other
# Cinder instances on the machine never meet it.
if [ ! -f "$E2E_DIR/vg.name" ]; then
    echo "${SNAPPORT_E2E_VG:-snapport-e2e-$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')}" >"$E2E_DIR/vg.name"
fi
VG=$(cat "$E2E_DIR/vg.name")

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# ------------------------------------------------------------------ 1. packages
APT_PKGS=()
command -v rabbitmq-server >/dev/null || [ -x /usr/lib/rabbitmq/bin/rabbitmq-server ] || APT_PKGS+=(rabbitmq-server)
command -v lvs >/dev/null || APT_PKGS+=(lvm2)
command -v mariadbd >/dev/null || [ -x /usr/sbin/mariadbd ] || APT_PKGS+=(mariadb-server)
command -v curl >/dev/null || APT_PKGS+=(curl)
command -v losetup >/dev/null || APT_PKGS+=(mount)
command -v "$PYTHON" >/dev/null || APT_PKGS+=(python3)
# shellcheck disable=SC2207 # package names are single words
APT_PKGS+=($(ceph_packages))
# shellcheck disable=SC2207
KS_APT_PKGS=($(keystone_packages))
APT_PKGS+=("${KS_APT_PKGS[@]}")
if command -v "$PYTHON" >/dev/null && ! "$PYTHON" -c 'import venv, ensurepip' 2>/dev/null; then
    APT_PKGS+=(python3-venv)
fi
apt_install() {
    say "apt: installing ${APT_PKGS[*]}"
    local t0
    t0=$(date +%s)
    # Debian's policy-rc.d may refuse to start services on install; we start RabbitMQ
    # and MariaDB ourselves anyway (a system-wide instance, if a package started one,
    # is not ours and is left alone). The lock timeout waits out a concurrent apt run.
    apt-get -o DPkg::Lock::Timeout=600 update -q >"$LOG/apt.log" 2>&1 || die "apt-get update failed; see $LOG/apt.log"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
        -o DPkg::Lock::Timeout=600 "${APT_PKGS[@]}" >>"$LOG/apt.log" 2>&1 ||
        die "apt-get install ${APT_PKGS[*]} failed; see $LOG/apt.log"
    say "apt took $(($(date +%s) - t0))s"
}
APT_PID=
if [ ${#APT_PKGS[@]} -gt 0 ]; then
    if command -v "$PYTHON" >/dev/null && "$PYTHON" -c 'import venv, ensurepip' 2>/dev/null; then
        # pip needs none of these: download both at once
        apt_install &
        APT_PID=$!
    else
        apt_install
    fi
fi

# The venv is keyed by the constraints and the interpreter, so a pin change or another
# Python gets a fresh one and a warm start skips pip entirely.
PYVER=$("$PYTHON" -c 'import sys; print("%d.%d.%d" % sys.version_info[:3])')
# Keystone's venv is installed beside Cinder's (uWSGI is compiled: it waits for gcc and
# the Python headers when apt has to bring them).
KS_VENV=$(keystone_venv_path)
KS_PIP_PID=
if [ ${#KS_APT_PKGS[@]} -eq 0 ]; then
    keystone_install &
    KS_PIP_PID=$!
fi
KEY=$( (cat "$HERE/constraints.txt"; echo "$PYVER ${PIP_PKGS[*]}") | sha256sum | cut -c1-12)
VENV=$CACHE/venv-$KEY
if [ ! -f "$VENV/.complete" ]; then
    say "pip: installing ${PIP_PKGS[*]} (pinned by constraints.txt) into $VENV"
    t0=$(date +%s)
    rm -rf "$VENV"
    mkdir -p "$CACHE"
    "$PYTHON" -m venv "$VENV"
    "$VENV/bin/pip" install -q --disable-pip-version-check -c "$HERE/constraints.txt" "${PIP_PKGS[@]}" \
        >"$LOG/pip.log" 2>&1 || die "pip install failed; see $LOG/pip.log"
    : >"$VENV/.complete"
    say "pip took $(($(date +%s) - t0))s"
fi
echo "$VENV" >"$E2E_DIR/venv.path"
if [ -n "$APT_PID" ]; then
    wait "$APT_PID" || die "apt-get failed; see $LOG/apt.log"
fi
if [ -n "$KS_PIP_PID" ]; then
    wait "$KS_PIP_PID" || die "pip install keystone failed; see $LOG/keystone-pip.log"
else
    keystone_install
fi
RABBITMQ_SERVER=/usr/lib/rabbitmq/bin/rabbitmq-server
[ -x "$RABBITMQ_SERVER" ] || RABBITMQ_SERVER=$(command -v rabbitmq-server)

# ------------------------------------------------------------------ 2. Ceph
# The cluster boots (~13 s) while the VG, MariaDB and RabbitMQ are set up.
ceph_link_bindings "$VENV"
ceph_up >"$LOG/ceph-up.log" 2>&1 &
CEPH_PID=$!
# Keystone initialises, starts and is seeded meanwhile too.
mkdir -p "$KS_LOG"
keystone_up "$KS_VENV" "$K_API_PORT" >"$KS_LOG/keystone-up.log" 2>&1 &
KS_UP_PID=$!

# ------------------------------------------------------------ 2b. loop device + VG
# Private LVM config: activation off (metadata only), only our loop device visible,
# private lock dir (host-wide locks would let any other lvm command stall ours), no
# metadata backups or archives (they would pile up, and write outside this dir),
# no hints file in /run/lvm.
LOOP=$( { losetup -j "$IMG" 2>/dev/null || true; } | head -n1 | cut -d: -f1)
if [ -z "$LOOP" ]; then
    [ -f "$IMG" ] || truncate -s "${PV_GIB}G" "$IMG"
    LOOP=$(losetup -f --show "$IMG") || die "cannot attach a loop device to $IMG"
    say "attached $IMG to $LOOP"
fi
echo "$LOOP" >"$RUN/loop.dev"
cat >"$LVMDIR/lvm.conf" <<EOF
# snapport e2e harness: private LVM configuration for VG $VG on $LOOP only
global { activation = 0 locking_dir = "$LVMDIR/lock" }
devices { filter = [ "a|^$LOOP\$|", "r|.*|" ] use_devicesfile = 0 obtain_device_list_from_udev = 0 hints = "none" }
backup { backup = 0 archive = 0 }
EOF
export LVM_SYSTEM_DIR=$LVMDIR LVM_SUPPRESS_FD_WARNINGS=1
if ! vgs "$VG" >/dev/null 2>&1; then
    say "creating PV and VG $VG on $LOOP"
    pvcreate -q -y --metadatasize "${META_MIB}m" "$LOOP" >/dev/null 2>"$LOG/lvm-create.err" ||
        die "pvcreate $LOOP failed: $(cat "$LOG/lvm-create.err")"
    vgcreate -q "$VG" "$LOOP" >/dev/null 2>"$LOG/lvm-create.err" ||
        die "vgcreate $VG failed: $(cat "$LOG/lvm-create.err")"
fi

# ------------------------------------------------------------------- 3. configs
# Cinder hard-codes its root helper as "sudo cinder-rootwrap <conf>". We are root
# already: this shim, first on the services' PATH, runs the command as is. Rootwrap
# still applies its filters, and the environment (LVM_SYSTEM_DIR) passes through.
cat >"$E2E_DIR/bin/sudo" <<'EOF'
#!/bin/sh
# snapport e2e harness: already root, so run the command unchanged (env kept)
exec "$@"
EOF
chmod +x "$E2E_DIR/bin/sudo"

# Cinder's noauth middleware answers every token-less request with "204 + fake token"
# instead of serving it, which breaks keystoneauth's token-less version discovery of
# GET /v3 (openstackclient: "Unable to find a version discovery document"). This
# filter gives a throwaway token to exactly those token-less GETs of /v3 and /v3/.
cat >"$E2E_DIR/py/snapport_e2e_discovery.py" <<'EOF'
"""snapport e2e harness: let token-less version discovery (GET /v3, /v3/) past noauth."""


def filter_factory(global_conf, **local_conf):
    def wrap(app):
        def middleware(environ, start_response):
            if ('HTTP_X_AUTH_TOKEN' not in environ
                    and environ.get('REQUEST_METHOD') == 'GET'
                    and environ.get('PATH_INFO', '') in ('', '/')):
                environ['HTTP_X_AUTH_TOKEN'] = 'discovery:discovery'
            return app(environ, start_response)
        return middleware
    return wrap
EOF
cp "$VENV/etc/cinder/api-paste.ini" "$VENV/etc/cinder/resource_filters.json" "$ETC/"
sed -i -e 's/^noauth = \(.*\) noauth apiv3$/noauth = \1 e2ediscovery noauth apiv3/' "$ETC/api-paste.ini"
grep -q '^noauth = .* e2ediscovery noauth apiv3$' "$ETC/api-paste.ini" ||
    die "api-paste.ini has no noauth pipeline in the expected form; cannot add the discovery filter"
printf '\n[filter:e2ediscovery]\npaste.filter_factory = snapport_e2e_discovery:filter_factory\n' >>"$ETC/api-paste.ini"

cat >"$ETC/rootwrap.conf" <<EOF
[DEFAULT]
filters_path = $VENV/etc/cinder/rootwrap.d
exec_dirs = /sbin,/usr/sbin,/bin,/usr/bin,$VENV/bin
use_syslog = False
EOF

# Deployment NAME ("a", "b" or "c"): its config dir, logs, state, database, RabbitMQ
# vhost, API port, API workers and RPC timeout. "a" keeps the top-level dirs, the
# others get sub-dirs named after them.
deployment() {
    local name=$1
    if [ "$name" = a ]; then
        etc=$ETC log=$LOG data=$DATA db=cinder vhost='' port=$API_PORT workers=2 rpc_timeout=120
        return
    fi
    etc=$ETC/$name log=$LOG/$name data=$DATA/$name db=cinder_$name vhost=$name workers=1
    case "$name" in
    b) port=$B_API_PORT rpc_timeout=120 ;;
    c) port=$C_API_PORT rpc_timeout=$C_RPC_TIMEOUT ;;
    k) port=$K_API_PORT rpc_timeout=120 ;;
    *) die "no deployment $name" ;;
    esac
}
# The "host" of deployment NAME's services; its pool is <host>@lvm#lvm.
cinder_host() { if [ "$1" = a ]; then echo snapport-e2e; else echo "snapport-e2e-$1"; fi; }
# The suffix of deployment NAME's recorded process names (cinder-api, cinder-api-b).
suffix() { if [ "$1" = a ]; then echo ""; else echo "-$1"; fi; }

# Deployments a and b also keep volumes on the one Ceph pool: two clouds that share a
# Ceph cluster, each with an RBD back end next to its LVM one.
has_rbd() { [ "$1" = a ] || [ "$1" = b ]; }
# Deployment k authenticates every request with the harness Keystone; the others are noauth.
auth_strategy() { if [ "$1" = k ]; then echo keystone; else echo noauth; fi; }

write_cinder_conf() {
    local name=$1 etc log data db vhost port workers rpc_timeout backends=lvm
    deployment "$name"
    has_rbd "$name" && backends=lvm,ceph
    mkdir -p "$etc" "$log" "$data/lock"
    cat >"$etc/cinder.conf" <<EOF
# snapport e2e harness: deployment $name, a real Cinder on 127.0.0.1, noauth, LVM driver on VG $VG
[DEFAULT]
debug = $DEBUG
log_dir = $log
state_path = $data
host = $(cinder_host "$name")
my_ip = 127.0.0.1
auth_strategy = $(auth_strategy "$name")
transport_url = rabbit://guest:guest@127.0.0.1:$AMQP_PORT/$vhost
# how long cinder-api waits for the volume service's answer (manageable listings)
rpc_response_timeout = $rpc_timeout
osapi_volume_listen = 127.0.0.1
osapi_volume_listen_port = $port
osapi_volume_workers = $workers
api_paste_config = $ETC/api-paste.ini
resource_query_filters_file = $ETC/resource_filters.json
rootwrap_config = $ETC/rootwrap.conf
enabled_backends = $backends
default_volume_type = __DEFAULT__
# pool statistics (capacity, total_volumes) refresh this often; the default is 60 s
backend_stats_polling_interval = 10
# a stop (cinder-down.sh) need not wait a minute for idle connections
graceful_shutdown_timeout = 5
[database]
connection = mysql+pymysql://cinder:cinder@localhost/$db?unix_socket=$MYSQL_SOCK&charset=utf8
[oslo_concurrency]
lock_path = $data/lock
[coordination]
backend_url = file://$data/lock
[cinder_sys_admin]
helper_command = $VENV/bin/privsep-helper --config-file $etc/cinder.conf
[privsep_osbrick]
helper_command = $VENV/bin/privsep-helper --config-file $etc/cinder.conf
[lvm]
volume_backend_name = lvm
volume_driver = cinder.volume.drivers.lvm.LVMVolumeDriver
volume_group = $VG
lvm_type = default
# Cinder prefixes its lvm calls with LVM_SYSTEM_DIR=<this file's dir>
lvm_conf_file = $LVMDIR/lvm.conf
lvm_suppress_fd_warnings = True
# no iSCSI target and no device nodes: manage/unmanage only touch metadata
target_helper = fake
target_protocol = iscsi
volume_clear = none
EOF
    [ "$name" != k ] || keystone_authtoken_conf >>"$etc/cinder.conf"
    has_rbd "$name" || return 0
    cat >>"$etc/cinder.conf" <<EOF
[ceph]
volume_backend_name = ceph
volume_driver = cinder.volume.drivers.rbd.RBDDriver
rbd_ceph_conf = $CEPH_CONF_FILE
rbd_pool = $CEPH_POOL
# any client id works with auth none
rbd_user = cinder
rados_connect_timeout = 20
EOF
}
DEPLOYMENTS=(a b c k)
for d in "${DEPLOYMENTS[@]}"; do write_cinder_conf "$d"; done

# Environment of every process started below: the sudo shim and venv first on PATH,
# the private LVM config also for the lvm calls Cinder makes without its prefix
# (privsep lvrename, lvremove).
export PATH="$E2E_DIR/bin:$VENV/bin:$PATH"

# Refuse to start a service whose port someone else holds: the tests would talk to
# the wrong server.
claim_port() {
    local port=$1 owner=$2
    if ! alive "$owner" && port_open "$port"; then
        die "port 127.0.0.1:$port is taken by another program; set SNAPPORT_E2E_API_PORT/SNAPPORT_E2E_AMQP_PORT"
    fi
}

# -------------------------------------------------------------------- 4. MariaDB
# A private server: datadir in the state dir, no TCP at all (unix socket in run/),
# durability traded for speed (a test DB).
if [ ! -d "$DATA/mysql/mysql" ]; then
    say "initialising a MariaDB datadir"
    mariadb-install-db --no-defaults --user=root --datadir="$DATA/mysql" >"$LOG/mariadb-install.log" 2>&1 ||
        die "mariadb-install-db failed; see $LOG/mariadb-install.log"
fi
if ! alive mariadb; then
    say "starting MariaDB (socket $MYSQL_SOCK)"
    setsid "$(command -v mariadbd || echo /usr/sbin/mariadbd)" --no-defaults --user=root \
        --datadir="$DATA/mysql" --skip-networking --socket="$MYSQL_SOCK" \
        --pid-file="$RUN/mariadbd.pidfile" --log-error="$LOG/mariadb.err" --skip-name-resolve \
        --max-connections=500 --innodb-flush-log-at-trx-commit=0 --innodb-doublewrite=0 \
        --innodb-buffer-pool-size=128M --skip-log-bin >"$LOG/mariadb.out" 2>&1 &
    record mariadb $!
fi

# ------------------------------------------------------- 5. RabbitMQ, DB schema
# Started by hand (no init system is assumed), node name and ports of its own, AMQP,
# Erlang distribution and epmd bound to 127.0.0.1, all state in the state dir.
export HOME=$E2E_DIR/rabbitmq \
    RABBITMQ_NODENAME=snapport-e2e@localhost \
    RABBITMQ_NODE_IP_ADDRESS=127.0.0.1 RABBITMQ_NODE_PORT=$AMQP_PORT \
    RABBITMQ_DIST_PORT=$DIST_PORT ERL_EPMD_ADDRESS=127.0.0.1 ERL_EPMD_PORT=$EPMD_PORT \
    RABBITMQ_MNESIA_BASE=$E2E_DIR/rabbitmq/mnesia RABBITMQ_LOG_BASE=$LOG/rabbitmq \
    RABBITMQ_CONFIG_FILE=$E2E_DIR/rabbitmq/rabbitmq \
    RABBITMQ_ENABLED_PLUGINS_FILE=$E2E_DIR/rabbitmq/enabled_plugins \
    RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}" \
    RABBITMQ_CTL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}"
printf 'listeners.tcp.default = 127.0.0.1:%s\nloopback_users.guest = true\n' "$AMQP_PORT" \
    >"$E2E_DIR/rabbitmq/rabbitmq.conf"
echo '[].' >"$E2E_DIR/rabbitmq/enabled_plugins"
claim_port "$EPMD_PORT" epmd
if ! alive epmd; then
    # own session, so cinder-down.sh can stop it by process group
    setsid epmd -address 127.0.0.1 -port "$EPMD_PORT" >"$LOG/epmd.out" 2>&1 &
    record epmd $!
    for _ in $(seq 1 50); do port_open "$EPMD_PORT" && break; sleep 0.1; done
fi
claim_port "$AMQP_PORT" rabbitmq
if ! alive rabbitmq; then
    say "starting RabbitMQ on 127.0.0.1:$AMQP_PORT"
    setsid "$RABBITMQ_SERVER" >"$LOG/rabbitmq.out" 2>&1 &
    record rabbitmq $!
fi
# MariaDB and RabbitMQ boot in parallel; the DB schema needs no message bus, so it is
# created while RabbitMQ is still starting.
mariadb_sql() { mariadb --no-defaults -S "$MYSQL_SOCK" -uroot -e "$1"; }
for _ in $(seq 1 120); do
    mariadb_sql 'select 1' >/dev/null 2>&1 && break
    alive mariadb || die "MariaDB exited; see $LOG/mariadb.err"
    sleep 0.25
done
# One database per deployment, schemas synced in parallel.
SYNC_PIDS=()
for d in "${DEPLOYMENTS[@]}"; do
    deployment "$d"
    mariadb_sql "CREATE DATABASE IF NOT EXISTS $db;
        CREATE USER IF NOT EXISTS 'cinder'@'localhost' IDENTIFIED BY 'cinder';
        GRANT ALL ON $db.* TO 'cinder'@'localhost';" 2>"$LOG/mariadb-grant.err" ||
        die "MariaDB does not answer on $MYSQL_SOCK: $(cat "$LOG/mariadb-grant.err"); see $LOG/mariadb.err"
    "$VENV/bin/cinder-manage" --config-file "$etc/cinder.conf" db sync >"$log/db-sync.log" 2>&1 &
    SYNC_PIDS+=($!)
done
t0=$(date +%s)
for i in "${!DEPLOYMENTS[@]}"; do
    deployment "${DEPLOYMENTS[$i]}"
    wait "${SYNC_PIDS[$i]}" || die "db sync of deployment ${DEPLOYMENTS[$i]} failed; see $log/db-sync.log"
done
say "db sync ok ($(($(date +%s) - t0))s)"

for _ in $(seq 1 120); do
    port_open "$AMQP_PORT" && break
    alive rabbitmq || die "RabbitMQ exited; see $LOG/rabbitmq.out and $LOG/rabbitmq/"
    sleep 0.5
done
port_open "$AMQP_PORT" || die "RabbitMQ does not listen on $AMQP_PORT after 60s; see $LOG/rabbitmq.out"
# Every deployment but "a" talks on a vhost of its own: sharing one, a scheduler would
# take the other deployment's requests off the common topic queues.
RABBITMQCTL=/usr/lib/rabbitmq/bin/rabbitmqctl
[ -x "$RABBITMQCTL" ] || RABBITMQCTL=$(command -v rabbitmqctl)
for d in "${DEPLOYMENTS[@]}"; do
    deployment "$d"
    [ -n "$vhost" ] || continue
    if ! "$RABBITMQCTL" -q list_vhosts 2>"$LOG/rabbitmqctl.err" | grep -qxF "$vhost"; then
        "$RABBITMQCTL" -q add_vhost "$vhost" >>"$LOG/rabbitmqctl.err" 2>&1 ||
            die "rabbitmqctl add_vhost $vhost failed: $(cat "$LOG/rabbitmqctl.err")"
    fi
    "$RABBITMQCTL" -q set_permissions -p "$vhost" guest '.*' '.*' '.*' >>"$LOG/rabbitmqctl.err" 2>&1 ||
        die "rabbitmqctl set_permissions on $vhost failed: $(cat "$LOG/rabbitmqctl.err")"
done

# ------------------------------------------------------------ 6. cinder services
wait "$CEPH_PID" || die "Ceph did not come up: $(tail -n 5 "$LOG/ceph-up.log")"
cat "$LOG/ceph-up.log"
SERVICES=(rabbitmq mariadb ceph-mon ceph-osd ceph-mgr)
for d in "${DEPLOYMENTS[@]}"; do
    deployment "$d"
    claim_port "$port" "cinder-api$(suffix "$d")"
    for svc in cinder-scheduler cinder-volume cinder-api; do
        name=$svc$(suffix "$d")
        SERVICES+=("$name")
        if ! alive "$name"; then
            say "starting $name"
            # PYTHONPATH: the discovery filter above (only cinder-api loads it)
            PYTHONPATH=$E2E_DIR/py setsid "$VENV/bin/$svc" --config-file "$etc/cinder.conf" >"$LOG/$name.out" 2>&1 &
            record "$name" $!
        fi
    done
done

# ----------------------------------------------------------- 7. wait until ready
# Deployment k's cinder-api started without Keystone (it asks only when a request
# comes); its readiness checks need a token.
wait "$KS_UP_PID" || die "Keystone did not come up: $(tail -n 5 "$KS_LOG/keystone-up.log")"
cat "$KS_LOG/keystone-up.log"
SERVICES+=(keystone)
TOKEN=admin:$PROJECT
KS_ADMIN_TOKEN=$(keystone_admin_token)
[ -n "$KS_ADMIN_TOKEN" ] || die "Keystone issued no admin token; see $KS_LOG"
KS_ADMIN_PROJECT=$(keystone_seed_var ADMIN_PROJECT_ID)
# the token and project of deployment NAME's admin
token_for() { if [ "$1" = k ]; then echo "$KS_ADMIN_TOKEN"; else echo "$TOKEN"; fi; }
project_for() { if [ "$1" = k ]; then echo "$KS_ADMIN_PROJECT"; else echo "$PROJECT"; fi; }
api_root() {
    local etc log data db vhost port workers rpc_timeout
    deployment "$1"
    echo "http://127.0.0.1:$port"
}
api() { echo "$(api_root "$1")/v3/$(project_for "$1")"; }
volhost() { echo "$(cinder_host "$1")@lvm"; }
pool() { echo "$(volhost "$1")#lvm"; }
# get DEPLOYMENT PATH: the body of an authenticated GET, or nothing
get() {
    curl -fsS --max-time 30 -H "X-Auth-Token: $(token_for "$1")" -H "OpenStack-API-Version: volume 3.8" "$(api "$1")$2" 2>/dev/null
}
# json_has EXPR: evaluates a Python expression over the parsed body `d` on stdin
json_has() { "$VENV/bin/python3" -c "import json,sys; d=json.load(sys.stdin); sys.exit(0 if ($1) else 1)" 2>/dev/null; }
wait_for() {  # wait_for SECONDS WHAT COMMAND...
    local secs=$1 what=$2 i svc
    shift 2
    for ((i = 0; i < secs * 2; i++)); do
        "$@" && return 0
        for svc in "${SERVICES[@]}"; do
            alive "$svc" || die "$svc exited while waiting for $what; see $LOG/$svc.out and the cinder logs in $LOG"
        done
        sleep 0.5
    done
    die "timed out after ${secs}s waiting for $what; see $LOG"
}
rbd_volhost() { echo "$(cinder_host "$1")@ceph"; }
rbd_pool() { echo "$(rbd_volhost "$1")#ceph"; }
# volume_up DEPLOYMENT VOLHOST
volume_up() {
    get "$1" "/os-services?binary=cinder-volume" |
        json_has "any(s['host'] == '$2' and s['state'] == 'up' for s in d['services'])"
}
# The volume service reports its pool a little after it is up; the scheduler needs it.
# pool_listed DEPLOYMENT POOL
pool_listed() { get "$1" "/scheduler-stats/get_pools" | json_has "any(p['name'] == '$2' for p in d['pools'])"; }
api_answers() { get "$1" "/os-services" >/dev/null; }
for d in "${DEPLOYMENTS[@]}"; do
    wait_for 120 "the API of deployment $d on $(api_root "$d")" api_answers "$d"
    wait_for 120 "cinder-volume $(volhost "$d") to be up" volume_up "$d" "$(volhost "$d")"
    wait_for 120 "pool $(pool "$d") to be listed" pool_listed "$d" "$(pool "$d")"
    if has_rbd "$d"; then
        wait_for 120 "cinder-volume $(rbd_volhost "$d") to be up" volume_up "$d" "$(rbd_volhost "$d")"
        wait_for 120 "pool $(rbd_pool "$d") to be listed" pool_listed "$d" "$(rbd_pool "$d")"
    fi
    # Default quotas live in the DB's "default" quota class (10 volumes, 10 snapshots,
    # config flags do not override them) and would stop longer tests with 413.
    curl -fsS -o /dev/null -X PUT -H "X-Auth-Token: $(token_for "$d")" -H "Content-Type: application/json" \
        -d '{"quota_class_set": {"volumes": -1, "snapshots": -1, "gigabytes": -1}}' \
        "$(api "$d")/os-quota-class-sets/default" || die "could not lift the default quotas of deployment $d"
done
API_ROOT=$(api_root a)
API=$(api a)
VOLHOST=$(volhost a)
POOL=$(pool a)

# ------------------------------------------------------------- 8. client files
cat >"$E2E_DIR/env.sh" <<EOF
# snapport e2e harness: source this file to talk to the running Cinder.
export SNAPPORT_E2E_DIR=$E2E_DIR
export SNAPPORT_E2E_API=$API
export SNAPPORT_E2E_API_ROOT=$API_ROOT
export SNAPPORT_E2E_TOKEN=$TOKEN
export SNAPPORT_E2E_PROJECT=$PROJECT
export SNAPPORT_E2E_VOLHOST=$VOLHOST
export SNAPPORT_E2E_POOL='$POOL'
export SNAPPORT_E2E_VG=$VG
export SNAPPORT_E2E_LOOP=$LOOP
export SNAPPORT_E2E_VENV=$VENV
export SNAPPORT_E2E_API_LOG=$LOG/cinder-api.log
export SNAPPORT_E2E_VOLUME_LOG=$LOG/cinder-volume.log
export SNAPPORT_E2E_B_API=$(api b)
export SNAPPORT_E2E_B_API_ROOT=$(api_root b)
export SNAPPORT_E2E_B_VOLHOST=$(volhost b)
export SNAPPORT_E2E_B_POOL='$(pool b)'
export SNAPPORT_E2E_B_API_LOG=$LOG/b/cinder-api.log
export SNAPPORT_E2E_C_API=$(api c)
export SNAPPORT_E2E_C_API_ROOT=$(api_root c)
export SNAPPORT_E2E_C_VOLHOST=$(volhost c)
export SNAPPORT_E2E_C_POOL='$(pool c)'
export SNAPPORT_E2E_C_API_LOG=$LOG/c/cinder-api.log
export SNAPPORT_E2E_C_VOLUME_LOG=$LOG/c/cinder-volume.log
export SNAPPORT_E2E_C_RPC_TIMEOUT=$C_RPC_TIMEOUT
export SNAPPORT_E2E_RBD_VOLHOST=$(rbd_volhost a)
export SNAPPORT_E2E_RBD_POOL='$(rbd_pool a)'
export SNAPPORT_E2E_B_RBD_VOLHOST=$(rbd_volhost b)
export SNAPPORT_E2E_B_RBD_POOL='$(rbd_pool b)'
export SNAPPORT_E2E_CEPH_CONF=$CEPH_CONF_FILE
export SNAPPORT_E2E_K_API=$(api k)
export SNAPPORT_E2E_K_API_ROOT=$(api_root k)
export SNAPPORT_E2E_K_VOLHOST=$(volhost k)
export SNAPPORT_E2E_K_POOL='$(pool k)'
export SNAPPORT_E2E_K_API_LOG=$LOG/k/cinder-api.log
export SNAPPORT_E2E_K_VOLUME_LOG=$LOG/k/cinder-volume.log
export SNAPPORT_E2E_KEYSTONE_URL=$KS_URL/v3
export SNAPPORT_E2E_KEYSTONE_LOG=$KS_LOG/keystone.log
export SNAPPORT_E2E_KEYSTONE_DEAD_PORT=$KS_DEAD_PORT
export SNAPPORT_E2E_KEYSTONE_TLS_URL=$KS_TLS_URL/v3
export SNAPPORT_E2E_TOKEN_EXPIRATION=$KS_TOKEN_EXPIRATION
$(cat "$KS_DIR/seed.env")
export SNAPPORT_E2E_CEPH_POOL=$CEPH_POOL
export OS_CLIENT_CONFIG_FILE=$E2E_DIR/clouds.yaml
export LVM_SYSTEM_DIR=$LVMDIR
export LVM_SUPPRESS_FD_WARNINGS=1
EOF
# "e2e": Cinder noauth as such (the token is "<user>:<project>", always admin);
# "e2e-token": the same through keystoneauth's admin_token plugin (openstackclient);
# "e2e-b": deployment b, another cloud on the same storage;
# "e2e-slow": deployment c, whose manageable listings time out.
cat >"$E2E_DIR/clouds.yaml" <<EOF
clouds:
  e2e:
    auth_type: noauth
    auth:
      user_id: admin
      project_id: $PROJECT
    block_storage_endpoint_override: $API
  e2e-token:
    auth_type: admin_token
    auth:
      token: $TOKEN
      endpoint: $API
  e2e-b:
    auth_type: noauth
    auth:
      user_id: admin
      project_id: $PROJECT
    block_storage_endpoint_override: $(api b)
  e2e-slow:
    auth_type: noauth
    auth:
      user_id: admin
      project_id: $PROJECT
    block_storage_endpoint_override: $(api c)
EOF
# The clouds of deployment k, through the harness Keystone (keystone_seed.py).
cat "$KS_DIR/clouds.yaml" >>"$E2E_DIR/clouds.yaml"
# The token is a secret: only its owner reads the file, as snapport expects.
chmod 600 "$E2E_DIR/clouds.yaml"
# env.sh names the Keystone test credentials
chmod 600 "$E2E_DIR/env.sh"

T_END=$(date +%s.%N)
ELAPSED=$(awk -v a="$T_START" -v b="$T_END" 'BEGIN { printf "%.1f", b - a }')
echo "$ELAPSED" >"$RUN/up.seconds"
say "ready in ${ELAPSED}s: Keystone $KS_URL/v3 in front of $(api k) (clouds ks-*, volume host $(volhost k)); $API, $(api b) and $(api c) (X-Auth-Token: $TOKEN), volume hosts $VOLHOST, $(volhost b) and $(volhost c) (RPC timeout ${C_RPC_TIMEOUT}s), VG $VG on $LOOP; RBD hosts $(rbd_volhost a) and $(rbd_volhost b) on Ceph pool $CEPH_POOL ($CEPH_CONF_FILE)"
say "to use it: . $E2E_DIR/env.sh"
