#!/usr/bin/env bash
# curl-floor.sh: the least a client can do against Cinder's API for an inventory, a batch
# import or a batch export: plain curl, no client library, N requests in flight. The
# peer benchmark (scripts/bench-peers.sh) times these as the floor snapport is held to.
#
#   curl-floor.sh crawl                       every snapshot of every project, by a marker
#                                             walk over pages of 1000; prints the count
#   curl-floor.sh import VOLUME REF...        one manageable listing of the volume host,
#                                             then a POST manageable_snapshots per REF, N at
#                                             once, each polled until available; prints
#                                             "REF ID" per line
#   curl-floor.sh export ID...                a POST os-unmanage per ID, N at once, each
#                                             polled until the snapshot is gone
#
# Environment: SNAPPORT_E2E_API, SNAPPORT_E2E_TOKEN, SNAPPORT_E2E_VOLHOST (the harness's
# env.sh); FLOOR_PARALLEL (default 8) requests in flight; FLOOR_POLL (default 0.2)
# seconds between status polls. Exits non-zero when any item fails.
set -euo pipefail

: "${SNAPPORT_E2E_API:?source the harness env.sh}" "${SNAPPORT_E2E_TOKEN:?}"
PARALLEL=${FLOOR_PARALLEL:-8}
POLL=${FLOOR_POLL:-0.2}
MICROVERSION=${FLOOR_MICROVERSION:-3.8}
export SNAPPORT_E2E_API SNAPPORT_E2E_TOKEN POLL MICROVERSION

# req [CURL ARGS...] URL-SUFFIX: one authenticated request, the body on stdout.
req() {
    local path=${*: -1}
    curl -sS --fail-with-body -H "X-Auth-Token: $SNAPPORT_E2E_TOKEN" \
        -H "OpenStack-API-Version: volume $MICROVERSION" -H "Content-Type: application/json" \
        "${@:1:$#-1}" "$SNAPPORT_E2E_API$path"
}
# status_of PATH: the HTTP status of a GET of PATH.
status_of() {
    curl -sS -o /dev/null -w '%{http_code}' -H "X-Auth-Token: $SNAPPORT_E2E_TOKEN" \
        -H "OpenStack-API-Version: volume $MICROVERSION" "$SNAPPORT_E2E_API$1"
}
export -f req status_of

# import_one VOLUME REF: manage REF under VOLUME and wait until it is available.
import_one() {
    local volume=$1 ref=$2 body id state
    body=$(req -X POST -d "{\"snapshot\": {\"volume_id\": \"$volume\", \"ref\": {\"source-name\": \"$ref\"}, \"name\": \"floor-$ref\"}}" \
        /manageable_snapshots) || { echo "POST $ref: $body" >&2; return 1; }
    id=$(sed -n 's/.*"snapshot": {"id": "\([0-9a-f-]*\)".*/\1/p' <<<"$body")
    [ -n "$id" ] || { echo "no id for $ref in: $body" >&2; return 1; }
    while :; do
        state=$(req "/snapshots/$id" | sed -n 's/.*"status": "\([a-z_]*\)".*/\1/p')
        case "$state" in
        available) break ;;
        error*) echo "$ref: snapshot $id went to $state" >&2; return 1 ;;
        esac
        sleep "$POLL"
    done
    echo "$ref $id"
}
# export_one ID: unmanage snapshot ID and wait until it is gone.
export_one() {
    local id=$1 body
    body=$(req -X POST -d '{"os-unmanage": null}' "/snapshots/$id/action") ||
        { echo "unmanage $id: $body" >&2; return 1; }
    until [ "$(status_of "/snapshots/$id")" = 404 ]; do sleep "$POLL"; done
}
export -f import_one export_one

case "${1:-}" in
crawl)
    # Follow each page's "next" link (its marker is the last id of the page).
    url="/snapshots/detail?all_tenants=1&limit=1000"
    total=0
    while [ -n "$url" ]; do
        page=$(req "$url")
        rows=$( { grep -o '"volume_id": ' <<<"$page" || true; } | wc -l)
        total=$((total + rows))
        # Cinder's only link there is "next"
        next=$( { grep -o '"snapshots_links": \[[^]]*\]' <<<"$page" || true; } | { grep -o 'http[^"]*' || true; })
        url=${next#*"$SNAPPORT_E2E_PROJECT"}
        [ -n "$next" ] || url=
    done
    echo "$total"
    ;;
import)
    shift
    volume=${1:?usage: curl-floor.sh import VOLUME REF...}
    shift
    [ $# -gt 0 ] || { echo "usage: curl-floor.sh import VOLUME REF..." >&2; exit 2; }
    : "${SNAPPORT_E2E_VOLHOST:?}"
    # what a careful client checks first: the references are there and safe
    listing=$(req "/manageable_snapshots/detail?host=$SNAPPORT_E2E_VOLHOST")
    for ref in "$@"; do
        grep -qF "\"source-name\": \"$ref\"}, \"size\"" <<<"$listing" ||
            { echo "$ref is not in the manageable listing" >&2; exit 1; }
    done
    # shellcheck disable=SC2016 # expanded by the inner bash
    printf '%s\n' "$@" | xargs -P "$PARALLEL" -I{} bash -c 'import_one "$0" "$1"' "$volume" {}
    ;;
export)
    shift
    [ $# -gt 0 ] || { echo "usage: curl-floor.sh export ID..." >&2; exit 2; }
    # shellcheck disable=SC2016 # expanded by the inner bash
    printf '%s\n' "$@" | xargs -P "$PARALLEL" -I{} bash -c 'export_one "$0"' {}
    ;;
*)
    sed -n '2,18p' "$0" >&2
    exit 2
    ;;
esac
