# A real Keystone for the harness: Keystone 30.0.0 under uWSGI on 127.0.0.1, its own
# sqlite file, fernet tokens that expire after $KS_TOKEN_EXPIRATION seconds, seeded by
# keystone_seed.py (catalog in two regions, one dead; a member in another domain;
# application credentials). Deployment "k" of cinder-up.sh authenticates against it
# (auth_strategy = keystone). Sourced by cinder-up.sh after lib.sh; cinder-down.sh stops
# uWSGI like any other recorded process. Never executed on its own.
# shellcheck shell=bash disable=SC2034 # KS_* are used by the scripts that source this

KS_DIR=$E2E_DIR/keystone
KS_LOG=$LOG/keystone
KS_PORT=${SNAPPORT_E2E_KEYSTONE_PORT:-18500}
# the dead region's block-storage endpoint: nothing listens there
KS_DEAD_PORT=$((KS_PORT + 1))
KS_URL=http://127.0.0.1:$KS_PORT
# the same Keystone over https, with a certificate of a throw-away CA ($KS_DIR/tls/ca.pem)
KS_TLS_PORT=$((KS_PORT + 2))
KS_TLS_URL=https://127.0.0.1:$KS_TLS_PORT
# keystoneauth treats a token that expires within 120 s as expired already: 180 s is the
# shortest expiry that renewal tests can wait out without every client logging in anew
# before each request
KS_TOKEN_EXPIRATION=${SNAPPORT_E2E_TOKEN_EXPIRATION:-180}
# fixed test credentials: the harness's tests grep their logs for each of them
KS_ADMIN_PASSWORD=e2e-admin-secret
# keystonemiddleware's service user in deployment k
KS_CINDER_PASSWORD=e2e-cinder-service-secret
KS_VERSION=30.0.0

# What pip needs to compile uWSGI (with https: OpenSSL's headers), and openssl for the CA.
keystone_packages() {
    command -v gcc >/dev/null || echo gcc
    command -v openssl >/dev/null || echo openssl
    [ -f /usr/include/openssl/ssl.h ] || echo libssl-dev
    local inc
    inc=$("$PYTHON" -c 'import sysconfig; print(sysconfig.get_paths()["include"])' 2>/dev/null) || inc=/nonexistent
    [ -f "$inc/Python.h" ] || echo python3-dev
    return 0
}

# The Keystone venv, beside the Cinder one in the cache and keyed the same way (both
# constraint files and the interpreter); installs it when missing. Prints its path.
keystone_venv_path() {
    local key
    key=$( (cat "$HERE/constraints.txt" "$HERE/keystone-constraints.txt"; echo "$PYVER keystone") | sha256sum | cut -c1-12)
    echo "$CACHE/keystone-venv-$key"
}
keystone_install() {
    local venv t0
    venv=$(keystone_venv_path)
    # a uWSGI built before OpenSSL's headers were there has no https socket
    [ -f "$venv/.complete" ] && "$venv/bin/uwsgi" --help | grep -q -- --https-socket && return 0
    say "pip: installing keystone==$KS_VERSION and uWSGI into $venv"
    t0=$(date +%s)
    rm -rf "$venv"
    mkdir -p "$CACHE"
    "$PYTHON" -m venv "$venv"
    "$venv/bin/pip" install -q --disable-pip-version-check -c "$HERE/constraints.txt" \
        -c "$HERE/keystone-constraints.txt" "keystone==$KS_VERSION" uWSGI \
        >"$LOG/keystone-pip.log" 2>&1 || die "pip install keystone failed; see $LOG/keystone-pip.log"
    : >"$venv/.complete"
    say "keystone pip took $(($(date +%s) - t0))s"
}

keystone_write_conf() {
    local venv=$1
    mkdir -p "$KS_DIR/etc" "$KS_DIR/state" "$KS_LOG"
    cat >"$KS_DIR/etc/keystone.conf" <<EOF
# snapport e2e harness: a real Keystone on 127.0.0.1:$KS_PORT, sqlite, fernet tokens
[DEFAULT]
debug = False
log_file = $KS_LOG/keystone.log
[database]
connection = sqlite:///$KS_DIR/state/keystone.db
[token]
provider = fernet
expiration = $KS_TOKEN_EXPIRATION
[fernet_tokens]
key_repository = $KS_DIR/state/fernet-keys
max_active_keys = 3
[fernet_receipts]
key_repository = $KS_DIR/state/fernet-keys
[credential]
key_repository = $KS_DIR/state/credential-keys
[cache]
# in-process caches would diverge between the uWSGI workers
enabled = false
[identity]
# bcrypt's cheapest cost: a login takes milliseconds, not 0.3 s
password_hash_rounds = 4
EOF
    cat >"$KS_DIR/etc/uwsgi.ini" <<EOF
[uwsgi]
; Keystone 30 ships no keystone-wsgi-public script
module = keystone.wsgi.api:application
virtualenv = $venv
env = OS_KEYSTONE_CONFIG_FILES=$KS_DIR/etc/keystone.conf
http-socket = 127.0.0.1:$KS_PORT
https-socket = 127.0.0.1:$KS_TLS_PORT,$KS_DIR/tls/server.crt,$KS_DIR/tls/server.key
master = true
processes = 2
enable-threads = true
; each worker opens its own sqlite connection after the fork
lazy-apps = true
buffer-size = 65535
add-header = Connection: close
die-on-term = true
hook-master-start = unix_signal:15 gracefully_kill_them_all
EOF
}

# A throw-away CA and a certificate for 127.0.0.1 it signed, once per state dir.
keystone_tls() {
    local tls=$KS_DIR/tls
    [ -f "$tls/server.crt" ] && return 0
    mkdir -p "$tls"
    openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=snapport e2e CA" \
        -keyout "$tls/ca.key" -out "$tls/ca.pem" >>"$KS_LOG/tls.log" 2>&1 || die "openssl: CA; see $KS_LOG/tls.log"
    openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" -keyout "$tls/server.key" \
        -out "$tls/server.csr" >>"$KS_LOG/tls.log" 2>&1 || die "openssl: request; see $KS_LOG/tls.log"
    printf 'subjectAltName = IP:127.0.0.1\nbasicConstraints = CA:FALSE\n' >"$tls/server.ext"
    openssl x509 -req -in "$tls/server.csr" -CA "$tls/ca.pem" -CAkey "$tls/ca.key" \
        -CAcreateserial -days 30 -extfile "$tls/server.ext" -out "$tls/server.crt" \
        >>"$KS_LOG/tls.log" 2>&1 || die "openssl: certificate; see $KS_LOG/tls.log"
}

keystone_manage() {
    OS_KEYSTONE_CONFIG_FILES=$KS_DIR/etc/keystone.conf "$1/bin/keystone-manage" \
        --config-file "$KS_DIR/etc/keystone.conf" "${@:2}" >>"$KS_LOG/keystone-manage.log" 2>&1 ||
        die "keystone-manage ${2} failed; see $KS_LOG/keystone-manage.log"
}

# keystone_up VENV K_API_PORT: initialises (once per state dir), starts uWSGI, waits for
# the API and seeds it. Runs in the background while the Cinder deployments start.
keystone_up() {
    local venv=$1 k_port=$2 t0 state=$KS_DIR/state
    t0=$(date +%s.%N)
    keystone_write_conf "$venv"
    keystone_tls
    if [ ! -f "$state/init.done" ]; then
        keystone_manage "$venv" db_sync
        keystone_manage "$venv" fernet_setup --keystone-user root --keystone-group root
        keystone_manage "$venv" credential_setup --keystone-user root --keystone-group root
        keystone_manage "$venv" bootstrap --bootstrap-password "$KS_ADMIN_PASSWORD" \
            --bootstrap-username admin --bootstrap-project-name admin --bootstrap-role-name admin \
            --bootstrap-service-name keystone --bootstrap-region-id RegionOne \
            --bootstrap-admin-url "$KS_URL/v3" --bootstrap-public-url "$KS_URL/v3" \
            --bootstrap-internal-url "$KS_URL/v3"
        : >"$state/init.done"
        say "keystone initialised (db_sync, fernet and credential keys, bootstrap)"
    fi
    if ! alive keystone; then
        if port_open "$KS_PORT" || port_open "$KS_TLS_PORT"; then
            die "port 127.0.0.1:$KS_PORT or $KS_TLS_PORT is taken by another program; set SNAPPORT_E2E_KEYSTONE_PORT"
        fi
        say "starting Keystone (uWSGI) on $KS_URL"
        setsid "$venv/bin/uwsgi" --ini "$KS_DIR/etc/uwsgi.ini" >"$KS_LOG/uwsgi.log" 2>&1 &
        record keystone $!
    fi
    local i
    for ((i = 0; i < 240; i++)); do
        [ "$(curl -s -o /dev/null -w '%{http_code}' "$KS_URL/v3" 2>/dev/null)" = 200 ] && break
        alive keystone || die "Keystone's uWSGI exited; see $KS_LOG/uwsgi.log and $KS_LOG/keystone.log"
        sleep 0.25
    done
    [ "$i" -lt 240 ] || die "Keystone does not answer on $KS_URL/v3 after 60s; see $KS_LOG"
    KS_URL=$KS_URL KS_TLS_URL=$KS_TLS_URL KS_DIR=$KS_DIR KS_ADMIN_PASSWORD=$KS_ADMIN_PASSWORD \
        KS_CINDER_PASSWORD=$KS_CINDER_PASSWORD K_API_PORT=$k_port \
        KS_DEAD_PORT=$KS_DEAD_PORT "$venv/bin/python3" "$HERE/keystone_seed.py" ||
        die "keystone_seed.py failed"
    say "keystone ready on $KS_URL in $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')s (tokens expire after ${KS_TOKEN_EXPIRATION}s)"
}

# The [keystone_authtoken] section of a Cinder behind this Keystone.
keystone_authtoken_conf() {
    cat <<EOF
[keystone_authtoken]
www_authenticate_uri = $KS_URL
auth_url = $KS_URL
auth_type = password
username = cinder
password = $KS_CINDER_PASSWORD
user_domain_name = Default
project_name = service
project_domain_name = Default
region_name = RegionOne
interface = public
# access rules of application credentials are matched on it
service_type = block-storage
EOF
}

# A value keystone_seed.py wrote to seed.env (NAME without the SNAPPORT_E2E_KS_ prefix).
keystone_seed_var() {
    sed -n "s/^export SNAPPORT_E2E_KS_$1=//p" "$KS_DIR/seed.env"
}

# A project-scoped admin token, for the harness's own readiness checks.
keystone_admin_token() {
    curl -fsS -D - -o /dev/null -H 'Content-Type: application/json' -d "{\"auth\": {\"identity\": {
        \"methods\": [\"password\"], \"password\": {\"user\": {\"name\": \"admin\",
        \"domain\": {\"name\": \"Default\"}, \"password\": \"$KS_ADMIN_PASSWORD\"}}},
        \"scope\": {\"project\": {\"name\": \"admin\", \"domain\": {\"name\": \"Default\"}}}}}" \
        "$KS_URL/v3/auth/tokens" | tr -d '\r' | sed -n 's/^[Xx]-[Ss]ubject-[Tt]oken: //p'
}
