#!/usr/bin/env bash
# The whole matrix: every cell with crane's own hooks on each toolchain
# this machine has (rustup's stable, Debian's), then with the model on the
# first of them.  Without crane's sources, the model on each toolchain.
#   usage: full.sh [BUILD]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
BUILD=${1:-build}
toolchains=debian
if bash "$here/../../tests/toolchain.sh" >/dev/null 2>&1; then
    toolchains="stable debian"
else
    echo "crane-matrix-full: no rustup stable toolchain here: Debian's only"
fi
runs=()
for tc in $toolchains; do runs+=("$tc default"); done
runs+=("${toolchains%% *} model")
failed=0 summary=()
for run in "${runs[@]}"; do
    read -r tc impl <<<"$run"
    t0=$(date +%s)
    log=$BUILD/crane-matrix-$tc-$impl.log
    if [ "$impl" = model ]; then set -- CRANE_IMPL=model; else set --; fi
    env TOOLCHAIN="$tc" "$@" bash "$here/matrix.sh" "$BUILD" | tee "$log" || failed=1
    summary+=("$(grep -m1 -o 'cargo .*' "$log"): $(grep '^crane-matrix: [0-9]' "$log" || echo "no result") in $(($(date +%s) - t0)) s")
done
printf '%s\n' "${summary[@]}"
exit $failed
