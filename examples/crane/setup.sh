#!/usr/bin/env bash
# Installs what the crane example needs, and nothing the tests need: a C
# compiler (cowlink itself and the -sys crates' C code), Debian's Rust
# toolchain, the crate sources its Cargo.lock pins (librust-*-dev),
# the C libraries the -sys crates link, and rsync (crane's inheritance uses
# it).  As root only; elsewhere it says what is missing.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
pkgs=(gcc libc6-dev cargo rustc rust-clippy rsync pkg-config libssl-dev libsqlite3-dev
      zlib1g-dev libbz2-dev libzstd-dev)
exec bash "$here/../../tests/setup.sh" --only "${pkgs[@]}" \
    --lock "$here/workspace/Cargo.lock" "$here/crates"
