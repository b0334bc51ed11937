#!/usr/bin/env bash
# Installs the Debian packages the tests need (as root), or says which are
# missing.  Quick and silent when everything is there.
set -euo pipefail

packages=(build-essential libcmocka-dev python3 binutils util-linux coreutils
          rustc cargo clang-14 libclang-rt-14-dev valgrind "$@")

missing=()
for p in "${packages[@]}"; do
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
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
