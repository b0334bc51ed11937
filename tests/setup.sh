#!/usr/bin/env bash
# Installs Debian packages (as root), or says which are missing.  Quick and
# silent when everything is there.
#   setup.sh [PKG...]          the tests' packages (make check), and PKG...
#   setup.sh --only PKG...     PKG... alone (make demo: not the tests' packages)
#   PKG may be --lock LOCKFILE OWNDIR: Debian's librust-*-dev package of every
#   registry crate LOCKFILE pins, but those in OWNDIR (vendored by the test).
#   The lock file is the list: a package's Depends leave out the crates its
#   optional features pull in (regex only suggests aho-corasick), and
#   installs here skip recommends and suggests.
set -euo pipefail

tests=(build-essential libcmocka-dev python3 binutils util-linux coreutils
       rustc cargo clang-14 libclang-rt-14-dev valgrind)
if [ "${1:-}" = --only ]; then
    shift
    tests=()
fi

# lock_packages LOCKFILE OWNDIR: one package name a line.
lock_packages() {
    awk -F'"' '/^name = /{n=$2} /^source = "registry/{print n}' "$1" | while read -r c; do
        [ -e "$2/$c" ] || ls -d "$2/$c"-[0-9]* >/dev/null 2>&1 || echo "librust-${c//_/-}-dev"
    done
}
extra=()
while [ $# -gt 0 ]; do
    if [ "$1" = --lock ]; then
        mapfile -t -O ${#extra[@]} extra < <(lock_packages "$2" "$3")
        shift 3
    else
        extra+=("$1")
        shift
    fi
done
set -- ${extra[@]+"${extra[@]}"}

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
