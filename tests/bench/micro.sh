#!/usr/bin/env bash
# Micro-benchmark of the intercepted calls: ns per call with and without
# the library, runs alternated, median of ROUNDS (default 7).  Nanoseconds
# on a shared machine wander by tens of ns, so it also counts the user-space
# instructions each call costs under callgrind (exact and repeatable): the
# difference is what the library adds to a call that passes through.
# valgrind 3.19 does not know openat2, so under callgrind the calls that
# write through a path (open for write, fopen w, chmod, rename) take the
# fallback that kernels without openat2 take: their counts are that path's.
# BEFORE=LIB: another build of the library (an earlier commit's) run in the
# same rounds, alternated, in a column of its own.
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
    [ -z "${BEFORE:-}" ] ||
        LD_PRELOAD=$BEFORE COWLINK_STORE="$work/store" "$work/micro" "$work" > "$work/before.$r"
done

# User-space instructions per call: callgrind's total for 11000 calls minus
# that for 1000 calls (start-up cancels out), divided by 10000.
instructions() { # call [preload]
    local n
    for n in 1000 11000; do
        env ${2:+LD_PRELOAD=$2 COWLINK_STORE=$work/store} valgrind --tool=callgrind \
            --callgrind-out-file=/dev/null "$work/micro" "$work" "$n" "$1" 2>&1 >/dev/null |
            sed -n 's/.*Collected : \([0-9]*\).*/\1/p'
    done | paste -sd' ' | awk '{printf "%.0f", ($2 - $1) / 10000}'
}
counts=
command -v valgrind >/dev/null && counts=1

median() { sort -g | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }
minmax() { sort -g | awk 'NR==1{mn=$1} {mx=$1} END {printf "%s-%s", mn, mx}'; }
if [ -n "${BEFORE:-}" ]; then
    echo "| call | without (ns) | before (ns) | with (ns) | overhead before | overhead with |"
    echo "|---|---:|---:|---:|---:|---:|"
    cut -f1 "$work/without.1" | while IFS= read -r call; do
        col() { for f in "$work"/$1.*; do grep -F "$call"$'\t' "$f" | cut -f2; done; }
        awk -v c="$call" -v a="$(col without | median)" -v o="$(col before | median)" \
            -v b="$(col with | median)" \
            'BEGIN {printf "| %s | %.1f | %.1f | %.1f | %+.1f | %+.1f |\n", c, a, o, b, o - a, b - a}'
    done
    exit 0
fi
echo "| call | without (ns) | with (ns) | overhead (ns) | ratio | with: min-max | instructions without | with | added |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
cut -f1 "$work/without.1" | while IFS= read -r call; do
    col() { for f in "$work"/$1.*; do grep -F "$call"$'\t' "$f" | cut -f2; done; }
    a=$(col without | median)
    b=$(col with | median)
    spread=$(col with | minmax)
    ia=- ib=-
    [ -n "$counts" ] && ia=$(instructions "$call") && ib=$(instructions "$call" "$lib")
    awk -v c="$call" -v a="$a" -v b="$b" -v s="$spread" -v ia="$ia" -v ib="$ib" \
        'BEGIN {printf "| %s | %.1f | %.1f | %+.1f | %.3f | %s | %s | %s | %+d |\n", c, a, b, b - a, b / a, s, ia, ib, ib - ia}'
done
