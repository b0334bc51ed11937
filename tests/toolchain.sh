#!/usr/bin/env bash
# Prints the bin directory of a copy of rustup's stable toolchain that every
# user (nobody, nixbld*) can run, making the copy once; prints nothing and
# exits 1 when this machine has no rustup stable toolchain.  rustup's home
# is usually under root's home (mode 0700), so its toolchain cannot be run
# by other users where it is.
#   usage: toolchain.sh            the directory of cargo, rustc, clippy...
#          toolchain.sh --remove   delete the copy (make clean)
set -euo pipefail
home=${RUSTUP_HOME:-$HOME/.rustup}
src=$home/toolchains/stable-$(uname -m)-unknown-linux-gnu
copy=/var/tmp/cowlink-rust-stable
if [ "${1:-}" = --remove ]; then
    rm -rf "$copy"
    exit 0
fi
[ -x "$src/bin/rustc" ] || exit 1
version=$("$src/bin/rustc" --version | awk '{print $2}')
if [ "$(cat "$copy/version" 2>/dev/null)" != "$version" ]; then
    rm -rf "$copy.tmp" "$copy"
    cp -a "$src" "$copy.tmp"
    chmod -R a+rX "$copy.tmp"
    echo "$version" >"$copy.tmp/version"
    mv "$copy.tmp" "$copy"
fi
echo "$copy/bin"
