#!/usr/bin/env bash
# Prints the bin directory of rustup's nightly as bench-scale's new-layout
# scenario gives it to Nix (scale.nix copies its bin, lib and libexec into
# the store): a copy whose rustc presents itself as the stable release it
# stands in for, since the build scripts of Debian's older crates
# (proc-macro2, ahash) turn on nightly language features that today's
# nightly no longer has when they see "-nightly" in `rustc -vV`, and
# every compile with -Zallow-features= (no #![feature] allowed, as on
# stable), since others (io-lifetimes) probe for a feature by compiling
# with it and then use attributes today's nightly has removed.  clippy's
# driver is wrapped alike: cargo hashes the `-vV` of the workspace wrapper
# (clippy-driver) into every unit's metadata, so a driver that still says
# "-nightly" gives clippy other hashes than `cargo check` and clippy
# rebuilds every dependency (231 s a flow in bench-scale before this).
# cargo stays the nightly's, so it takes -Z flags (CARGO_UNSTABLE_*).  Made once
# per nightly; prints nothing and exits 1 without rustup's nightly.
#   usage: nightly.sh        /var/tmp/cowlink-rust-nightly-as-stable/bin
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bin=$(bash "$here/../../toolchain.sh" nightly) || exit 1
src=$(dirname "$bin")
copy=/var/tmp/cowlink-rust-nightly-as-stable
# The record pkgs.nix names the store copy by: the nightly and the
# wrapper's revision (a new one is copied anew).
record="$(cat "$src/version"), as stable (wrapper 5)"
if [ "$(cat "$copy/version" 2>/dev/null)" != "$record" ]; then
    rm -rf "$copy.tmp" "$copy"
    mkdir "$copy.tmp"
    cp -a "$src/bin" "$src/lib" "$src/libexec" "$copy.tmp/"
    echo "$record" >"$copy.tmp/version"
    # No dirname or sed (a Nix build's PATH may have none), and the real
    # program found beside the wrapper's target: the stand-in's rustc is a
    # link into the toolchain's store copy (Debian's readlink: the
    # sandbox shows /usr).
    for p in rustc clippy-driver; do
        mv "$copy.tmp/bin/$p" "$copy.tmp/bin/$p-nightly"
        cat >"$copy.tmp/bin/$p" <<'EOF'
#!/bin/bash
# rustup's nightly as the stable release it stands in for (nightly.sh).
self=$(/usr/bin/readlink -f "$0" 2>/dev/null) || self=$0
real=$self-nightly
for a; do case $a in -vV|-V|--version) out=$("$real" "$@") || exit; echo "${out//-nightly/}"; exit ;; esac; done
exec "$real" "$@" -Zallow-features=
EOF
        chmod 755 "$copy.tmp/bin/$p"
    done
    chmod -R a+rX "$copy.tmp"
    mv "$copy.tmp" "$copy"
fi
echo "$copy/bin"
