#!/usr/bin/env bash
# Draws scale.png from run.sh's data: per strategy and scenario, the flow's
# median time (left; the runner's from its fetch to its last check), and the store bytes the code flow adds: its checks'
# outputs as NAR and as NAR through zstd (right).
#   chart.sh DATA PNG
set -euo pipefail
data=$1 png=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
strategies="zstd symlink cowlink copy"
# median ROUND-SUMS of column COL for scenario SC and strategy ST (the
# runner: its "end" line alone, which holds the whole flow).
median_of() {
    awk -v sc="$1" -v st="$2" -v col="$3" '$1 == sc && $3 == st && $6 == "ok" && (sc != "runner" || $4 == "end") {s[$2] += $col}
        END {for (r in s) print s[r]}' "$data" | sort -n | awk '{a[NR] = $1}
        END {print NR ? (NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2) : 0}'
}
for st in $strategies; do
    echo "$st $(median_of code "$st" 5) $(median_of env "$st" 5) $(median_of tight "$st" 5) $(median_of layout "$st" 5) $(median_of runner "$st" 5) $(median_of fs "$st" 5)"
done >"$work/time.dat"
for st in $strategies; do
    echo "$st $(median_of code "$st" 9) $(median_of code "$st" 10)"
done >"$work/bytes.dat"
gnuplot <<GP
set terminal pngcairo size 1100,500 font ",10" noenhanced
set output "$png"
set multiplot layout 1,2
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set grid ytics
set key below horizontal
set yrange [0:*]
set title "The flow: clippy, test, doc, package (s; 0 = failed or not run; which run: scale.md)"
plot "$work/time.dat" using 2:xtic(1) title "one-line change", '' using 3 title "watched variable (libz-sys rebuilt)", '' using 4 title "one-line change, memory-tight", '' using 5 title "one-line change, new layout (nightly)", '' using 6 title "one-line change, fresh CI runner with a binary cache", '' using 7 title "one-line change, builds on an ext4 with a journal"
set title "Store bytes the code flow adds (MB)"
plot "$work/bytes.dat" using (\$2/1e6):xtic(1) title "NAR", '' using (\$3/1e6) title "NAR | zstd -3"
unset multiplot
GP
