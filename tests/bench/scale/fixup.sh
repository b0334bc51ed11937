#!/usr/bin/env bash
# The fixup of a deps output with nixpkgs' patchelf and audit-tmpdir hooks,
# against cowlink's hook doing their checks (cowlinkElfChecks, lib.enable),
# side by side: nixpkgs' setup.sh runs the fixup phase alone on a fresh
# writable copy of the output, ROUNDS rounds (3), a settle before each.
#   usage: fixup.sh DEPS_OUT    (e.g. bench-scale's symlink.deps root)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../.." && pwd)
source "$here/../settle.sh"
stdenv_src=${NIXPKGS_STDENV:-$repo/../shared/third-party/nixpkgs-stdenv}
src=$(cd "$1" && pwd -P)
T=$(mktemp -d /var/tmp/cowlink-fixup-XXXXXX)
trap 'rm -rf "$T"' EXIT
# The hooks as packages, as stdenv sources them (cowlink's fixup pass is a
# hook of its own, which names no library).
mkdir -p "$T/cowlink/nix-support" "$T/fixup/nix-support" "$T/tmp"
cp "$repo/examples/nix/cowlink-fixup-hook.sh" "$T/cowlink/nix-support/setup-hook"
cat "$stdenv_src/setup-hooks/patchelf-setup-hook.sh" "$stdenv_src/setup-hooks/audit-tmpdir.sh" \
    >"$T/fixup/nix-support/setup-hook"
{ echo "export SHELL=/bin/bash"; echo "initialPath=/usr"; cat "$stdenv_src/setup-late2024/setup.sh"; } >"$T/setup"
echo "fixup of $src: $(find "$src" -type f | wc -l) files"
for ((r = 1; r <= ${ROUNDS:-3}; r++)); do
    for mode in nixpkgs cowlink; do
        rm -rf "$T/out"
        cp -a "$src" "$T/out"
        chmod -R u+w "$T/out"
        settle
        s=$EPOCHREALTIME
        (cd "$T" && export out=$T/out outputs=out NIX_STORE=/nix/store NIX_BUILD_CORES=2 TMPDIR=$T/tmp \
            NIX_BUILD_TOP=$T NIX_LOG_FD= cowlinkElfChecks=$([ $mode = cowlink ] && echo 1) \
            nativeBuildInputs="$T/fixup $T/cowlink" &&
            bash -e -c "source $T/setup && phases=fixupPhase genericBuild") >"$T/$mode.log" 2>&1
        e=$EPOCHREALTIME
        printf 'round %d %-8s %6.2f s  patchelf runs: %d\n' "$r" "$mode" "$(awk -v s="$s" -v e="$e" 'BEGIN {print e - s}')" \
            "$(grep -c '^shrinking /' "$T/$mode.log")"
    done
done
echo "ELF files: $(grep -c '^shrinking /' "$T/nixpkgs.log"); with an RPATH: $(sed -n 's/.*(cowlink: the \([0-9]*\) with one).*/\1/p' "$T/cowlink.log")"
