# shellcheck shell=bash disable=SC2154 # $out is set by Nix
# Builder of pkgs.nix's host programs: $out/bin gets a link per program in
# $progs (absolute paths) and per program of the Debian packages in $debs.
set -euo pipefail
PATH=/usr/bin:/bin
mkdir -p "$out/bin"
for deb in ${debs:-}; do
    dpkg -L "$deb" | grep -E '^(/usr)?/bin/[^/]+$' || true
done >"$TMPDIR/listed"
for p in ${progs:-} $(cat "$TMPDIR/listed"); do
    if [ -e "$p" ]; then ln -sfn "$p" "$out/bin/${p##*/}"; fi
done
