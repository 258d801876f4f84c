#!/usr/bin/env bash
# Runs every test: unit tests, CLI and back-end tests against real lvm2 on loop
# devices, HTTP tests against a Cinder-like server on loopback, screen snapshots, the
# console end to end in tmux, and the end-to-end suite against a real OpenStack Cinder
# that tests/e2e/run.sh brings up on 127.0.0.1 (and always tears down). Run as root on
# Debian: these tests fail, never skip, without root, lvm2 or tmux.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/prerequisites.sh
exec tests/e2e/run.sh --locked --no-fail-fast
