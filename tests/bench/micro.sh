#!/usr/bin/env bash
# Micro-benchmark of the intercepted calls: ns per call with and without
# the library, runs alternated, median of ROUNDS (default 7).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../../build}
rounds=${ROUNDS:-7}
lib=$(cd "$build" && pwd)/libcowlink.so
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cc -O2 -o "$work/micro" "$here/micro.c"
for r in $(seq "$rounds"); do
    "$work/micro" "$work" > "$work/without.$r"
    LD_PRELOAD=$lib COWLINK_STORE="$work/store" "$work/micro" "$work" > "$work/with.$r"
done

median() { sort -g | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }
minmax() { sort -g | awk 'NR==1{mn=$1} {mx=$1} END {printf "%s-%s", mn, mx}'; }
echo "| call | without (ns) | with (ns) | overhead (ns) | ratio | with: min-max |"
echo "|---|---:|---:|---:|---:|---:|"
cut -f1 "$work/without.1" | while IFS= read -r call; do
    col() { for f in "$work"/$1.*; do grep -F "$call"$'\t' "$f" | cut -f2; done; }
    a=$(col without | median)
    b=$(col with | median)
    spread=$(col with | minmax)
    awk -v c="$call" -v a="$a" -v b="$b" -v s="$spread" \
        'BEGIN {printf "| %s | %.1f | %.1f | %+.1f | %.3f | %s |\n", c, a, b, b - a, b / a, s}'
done
