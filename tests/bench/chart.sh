#!/usr/bin/env bash
# Draws tests/bench/results/bench.png from the tables in README.md there:
# inheritance (warm and cold, log scale) and end to end (one dep rebuilt,
# all deps rebuilt).
#   chart.sh RESULTS_DIR
set -euo pipefail
dir=$(cd "$1" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
md=$dir/README.md
# "| strategy | fs | cache | median |..." rows of the build filesystem
for s in cowlink crane_symlink zstd deep_copy; do
    awk -F'|' -v s=$s '$2 ~ "^ "s" $" && $3 !~ /btrfs/ && $4 ~ /warm/ {w=$5} $2 ~ "^ "s" $" && $3 !~ /btrfs/ && $4 ~ /cold/ {c=$5}
        END {printf "%s %s %s\n", s, w + 0, c + 0}' "$md"
done >"$work/inherit.dat"
# "| trigger | strategy | crates | inherit | min | max | build | min | max | total |..." rows
for s in cowlink crane_symlink zstd deep_copy; do
    awk -F'|' -v s=$s '$3 ~ "^ "s" $" && $2 ~ /one dep/ {o=$11} $3 ~ "^ "s" $" && $2 ~ /all deps/ {a=$11}
        END {printf "%s %s %s\n", s, o + 0, a + 0}' "$md"
done >"$work/e2e.dat"
gnuplot <<GP
set terminal pngcairo size 1100,440 font ",10" noenhanced
set output "$dir/bench.png"
set multiplot layout 1,2
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set grid ytics
set key top left
set title "Inheriting the deps target (1.2 GB, 2538 files)"
set ylabel "ms, log scale"
set logscale y
set yrange [10:*]
plot "$work/inherit.dat" using 2:xtic(1) title "warm cache" lc rgb "#4477aa", \
     "" using 3 title "cold cache" lc rgb "#88aadd"
unset logscale y
set yrange [0:*]
set title "Inherit, then cargo build --release"
set ylabel "seconds"
plot "$work/e2e.dat" using 2:xtic(1) title "one dependency rebuilt" lc rgb "#66aa55", \
     "" using 3 title "all dependencies rebuilt (RUSTFLAGS)" lc rgb "#cc6677"
unset multiplot
GP
echo "chart: wrote $dir/bench.png"
