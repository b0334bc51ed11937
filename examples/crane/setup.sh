#!/usr/bin/env bash
# Installs what the crane example needs, and nothing the tests need: a C
# compiler (cowlink itself and the -sys crates' C code), Debian's Rust
# toolchain, the crate sources the workspace is built from (librust-*-dev),
# the C libraries the -sys crates link, and rsync (crane's inheritance uses
# it).  As root only; elsewhere it says what is missing.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
crates=(anyhow base64 bzip2 chrono clap flate2 hyper libz-sys openssl rand rayon regex
        rusqlite serde serde-derive serde-json sha2 tempfile tokio tokio-macros toml
        tracing tracing-subscriber url uuid walkdir zstd)
pkgs=(gcc libc6-dev cargo rustc rust-clippy rsync pkg-config libssl-dev libsqlite3-dev
      zlib1g-dev libbz2-dev libzstd-dev)
for c in "${crates[@]}"; do pkgs+=("librust-$c-dev"); done
exec bash "$here/../../tests/setup.sh" --only "${pkgs[@]}"
