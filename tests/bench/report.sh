#!/usr/bin/env bash
# Runs every benchmark on the crane example's deps build and writes
# tests/bench/results/README.md (the tables) and bench.png (the chart).
#   report.sh [BUILD]     (as root; ROUNDS etc. are passed on)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
BUILD=$(cd "${1:-build}" && pwd)
out=$here/results
mkdir -p "$out"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The deps target, built (or found in the cache) by the crane example.
deps=$(BUILD=$BUILD bash -c 'source "$1/../../examples/crane/lib.sh"; deps_target' _ "$here")
# Its toolchain (rustup's stable where the machine has it), for every cargo run here.
export UPATH VENDOR
UPATH=$(BUILD=$BUILD bash -c 'source "$1/../../examples/crane/lib.sh"; echo "$UPATH"' _ "$here")
VENDOR=$(BUILD=$BUILD bash -c 'source "$1/../../examples/crane/lib.sh"; vendor_dir' _ "$here")

machine() {
    echo "- $(nproc) cores: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(awk '/MemTotal/ {printf "%d GiB", $2 / 1048576}' /proc/meminfo) RAM"
    echo "- build filesystem: $(df -T "$work" | awk 'NR==2 {print $2}'); $(uname -sr); $(PATH=$UPATH cargo -V), $(PATH=$UPATH rustc -V)"
}

section() { # title command...: appended to the report as soon as it is done
    local title=$1; shift
    echo "bench: $title" >&2
    { echo "## $title"; echo; "$@"; echo; } >>"$work/md"
    cp "$work/md" "$out/README.md"
}

{
    echo "# Benchmarks"
    echo
    echo "Written by \`make bench\` (tests/bench/report.sh) on $(date -u +%Y-%m-%d):"
    echo
    machine
    echo
    echo "![inheritance and end-to-end times](bench.png)"
    echo
} >"$work/md"
section "Inheritance" bash "$here/inherit.sh" "$BUILD" "$deps"
section "End to end" env E2E_DATA="$work/e2e.data" bash "$here/e2e.sh" "$BUILD"
cargo_rounds=${CARGO_ROUNDS:-3} # a full release build of 161 crates is 2 minutes
section "Interposition: cargo ($cargo_rounds full builds, $((cargo_rounds * 4)) no-op builds each way)" \
    env ROUNDS="$cargo_rounds" bash "$here/cargo.sh" "$BUILD" "$here/../../examples/crane/workspace"
section "Interposition: calls" bash "$here/micro.sh" "$BUILD"
section "Materialization" bash "$here/materialize.sh" "$BUILD"
cp "$work/md" "$out/README.md"

bash "$here/chart.sh" "$out"
echo "bench: wrote $out/README.md and $out/bench.png" >&2
cat "$out/README.md"
