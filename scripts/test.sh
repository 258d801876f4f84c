#!/usr/bin/env bash
# Runs every test: unit tests, CLI and back-end tests against real lvm2 on loop
# devices, HTTP tests against a Cinder-like server on loopback, screen snapshots and the
# console end to end in tmux. Run as root on Debian: LVM tests fail (never skip)
# without root and lvm2.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/prerequisites.sh
cargo test --locked --no-fail-fast
