#!/usr/bin/env bash
# Builds the Debian package, installs it with dpkg as root, checks what an operator
# gets (the installed snapport's --version and --help, its man page, the bash
# completion) and removes it again, also on failure.
set -euo pipefail
cd "$(dirname "$0")/.."

package=$(scripts/deb.sh)
if dpkg-query -W -f='${Status}' snapport 2>/dev/null | grep -q installed; then
    echo "a snapport package is installed already: not replacing it" >&2
    exit 1
fi
trap 'dpkg --purge snapport >/dev/null' EXIT
dpkg --install "$package"

fail() { echo "deb-test: $*" >&2; exit 1; }
version=$(/usr/bin/snapport --version)
[[ $version =~ ^snapport\ [0-9.]+\ \(([0-9a-f]+(-dirty)?|unknown)\)$ ]] || fail "--version: $version"
/usr/bin/snapport --help | grep -q -- '--read-only' || fail "--help lacks --read-only"
page=$(man -w snapport) || fail "man -w snapport finds no page"
[[ $page == /usr/share/man/man1/snapport.1.gz ]] || fail "man page at $page"
man -w snapport-volume-list >/dev/null || fail "no page for snapport volume list"
bash -c 'source /usr/share/bash-completion/completions/snapport && complete -p snapport' >/dev/null ||
    fail "the bash completion does not load"
echo "deb-test: $package installs; $version"
