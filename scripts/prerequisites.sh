#!/usr/bin/env bash
# Installs what snapport's demo and tests need on a Debian machine, as root: lvm2 (the
# local back end drives it), tmux (the console's end-to-end test runs in it), man-db
# (the man pages are rendered).
set -euo pipefail

missing=()
command -v lvs >/dev/null 2>&1 || missing+=(lvm2)
command -v tmux >/dev/null 2>&1 || missing+=(tmux)
command -v man >/dev/null 2>&1 || missing+=(man-db)
if ((${#missing[@]})); then
    if [[ $(id -u) -ne 0 ]]; then
        echo "snapport needs ${missing[*]}: run as root, or install them first" >&2
        exit 1
    fi
    echo "installing ${missing[*]}" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -o DPkg::Lock::Timeout=600 "${missing[@]}" >/dev/null
fi
