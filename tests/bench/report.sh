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

machine() {
    echo "- $(nproc) cores: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(awk '/MemTotal/ {printf "%d GiB", $2 / 1048576}' /proc/meminfo) RAM"
    echo "- build filesystem: $(df -T "$work" | awk 'NR==2 {print $2}'); $(uname -sr); $(PATH=/usr/bin:/bin cargo -V), $(PATH=/usr/bin:/bin rustc -V)"
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
cp "$work/md" "$work/md.inherit"
section "End to end" env E2E_DATA="$work/e2e.data" bash "$here/e2e.sh" "$BUILD"
cargo_rounds=${CARGO_ROUNDS:-3} # a full release build of 161 crates is 2 minutes
section "Interposition: cargo ($cargo_rounds full builds, $((cargo_rounds * 4)) no-op builds each way)" \
    env ROUNDS="$cargo_rounds" bash "$here/cargo.sh" "$BUILD" "$here/../../examples/crane/workspace"
section "Interposition: calls" bash "$here/micro.sh" "$BUILD"
section "Materialization" bash "$here/materialize.sh" "$BUILD"
cp "$work/md" "$out/README.md"

# The chart: warm inheritance (median ms, log scale) and end-to-end totals.
awk -F'|' '$4 ~ /warm/ && $3 !~ /btrfs/ {gsub(/ /, "", $2); gsub(/ /, "", $5); print $2, $5}' \
    "$work/md.inherit" >"$work/inherit.dat"
for s in cowlink crane_symlink zstd deep_copy; do
    printf '%s' "$s"
    for t in one all; do
        awk -v t=$t -v s=$s '$1 == t && $2 == s {print $5}' "$work/e2e.data" | sort -n |
            awk '{v[NR]=$1} END {printf " %.1f", v[int((NR+1)/2)] / 1000}'
    done
    echo
done >"$work/e2e.dat"
gnuplot <<EOF
set terminal pngcairo size 1100,420 font ",10"
set output "$out/bench.png"
set multiplot layout 1,2
set style data histograms
set style fill solid 0.8 border -1
set boxwidth 0.8
set grid ytics
set title "Inheriting the deps target (warm cache)"
set ylabel "ms (log scale)"
set logscale y
plot "$work/inherit.dat" using 2:xtic(1) notitle lc rgb "#4477aa"
unset logscale y
set title "Inherit + cargo build --release"
set ylabel "seconds"
set style histogram clustered gap 1
plot "$work/e2e.dat" using 2:xtic(1) title "one dep rebuilt" lc rgb "#66aa55", \
     "" using 3 title "all deps rebuilt (RUSTFLAGS)" lc rgb "#cc6677"
unset multiplot
EOF
echo "bench: wrote $out/README.md and $out/bench.png" >&2
cat "$out/README.md"
