#!/usr/bin/env bash
# Prints the bin directory of a copy of one of rustup's toolchains (stable
# by default, or nightly) that every user (nobody, nixbld*) can run, making
# the copy once; prints nothing and exits 1 when this machine has no such
# rustup toolchain.  rustup's home is usually under root's home (mode
# 0700), so its toolchains cannot be run by other users where they are.
#   usage: toolchain.sh [stable|nightly]   the directory of cargo, rustc, clippy...
#          toolchain.sh --remove           delete the copies (make clean)
set -euo pipefail
home=${RUSTUP_HOME:-$HOME/.rustup}
if [ "${1:-}" = --remove ]; then
    rm -rf /var/tmp/cowlink-rust-stable /var/tmp/cowlink-rust-nightly /var/tmp/cowlink-rust-nightly-as-stable
    exit 0
fi
channel=${1:-stable}
case $channel in stable|nightly) ;; *) echo "toolchain.sh: stable or nightly, not $channel" >&2; exit 2 ;; esac
src=$home/toolchains/$channel-$(uname -m)-unknown-linux-gnu
copy=/var/tmp/cowlink-rust-$channel
[ -x "$src/bin/rustc" ] || exit 1
# The stable copy's record is the version number alone, as it has always
# been (other clones on the machine share the copy); a nightly's carries
# its date, which is what tells one nightly from the next.
if [ "$channel" = stable ]; then
    version=$("$src/bin/rustc" --version | awk '{print $2}')
else
    version=$("$src/bin/rustc" --version)
fi
if [ "$(cat "$copy/version" 2>/dev/null)" != "$version" ]; then
    rm -rf "$copy.tmp" "$copy"
    cp -a "$src" "$copy.tmp"
    chmod -R a+rX "$copy.tmp"
    echo "$version" >"$copy.tmp/version"
    mv "$copy.tmp" "$copy"
fi
echo "$copy/bin"
