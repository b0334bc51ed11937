#!/usr/bin/env bash
# Installs Debian packages (as root), or says which are missing.  Quick and
# silent when everything is there.
#   setup.sh [PKG...]          the tests' packages (make check), and PKG...
#   setup.sh --only PKG...     PKG... alone (make demo: not the tests' packages)
set -euo pipefail

# librust-libc-dev: tests/nix builds libz-sys, which needs the libc crate,
# and librust-libz-sys-dev only recommends it (installs here skip recommends).
tests=(build-essential libcmocka-dev python3 binutils util-linux coreutils
       rustc cargo clang-14 libclang-rt-14-dev valgrind librust-libc-dev)
if [ "${1:-}" = --only ]; then
    shift
    tests=()
fi

missing=()
for p in $(printf '%s\n' "${tests[@]}" "$@" | awk 'NF && !seen[$0]++'); do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
        missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
    echo "cowlink: missing Debian packages: ${missing[*]}" >&2
    echo "cowlink: install them as root (apt-get install ${missing[*]}) and run again" >&2
    exit 1
fi
echo "cowlink: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
wait_lock=(-o DPkg::Lock::Timeout=600) # another install may be running
apt-get update -qq "${wait_lock[@]}"
apt-get install -y -qq --no-install-recommends "${wait_lock[@]}" "${missing[@]}" >/dev/null
