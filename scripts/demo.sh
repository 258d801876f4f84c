#!/usr/bin/env bash
# Builds snapport and opens the console on a throw-away, loop-backed LVM volume group.
# Run as root on Debian; everything the demo creates is removed when it exits.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/prerequisites.sh
cargo build --release --locked
exec target/release/snapport demo "$@"
