#!/usr/bin/env bash
# crane's use-symlink install, crane's own loop (a `cmp` and, for an equal
# file, an `ln` per regular file of target/) against `cowlink dedup` (the
# Nix hook's, one process), on the same tree, side by side in one run:
# ROUNDS rounds (default 5), order alternated, a settle before each timing.
# The tree has the shape of a bench-scale check's target before its
# install: DIRS directories and LINKS links into the parent's target (what
# `cowlink inherit` made), FILES regular files of KB each (what the build
# wrote), EQUAL of them equal to the parent's (a copy made by a write that
# changed nothing).  Defaults: bench-scale's clippy and test checks (1,246
# directories, 6,396 links, about 140 regular files).  The install's `mv`
# stays on one file system here (a rename), so the timing is the
# deduplication alone.
#   bash tests/bench/dedup.sh [BUILD]     CRANE_SRC (../shared/third-party/crane)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:-$here/../../build}" && pwd)
crane=${CRANE_SRC:-$here/../../../shared/third-party/crane}/lib/setupHooks/installCargoArtifactsHook.sh
[ -f "$crane" ] || { echo "dedup.sh: no crane (CRANE_SRC)" >&2; exit 2; }
rounds=${ROUNDS:-5} dirs=${DIRS:-1246} links=${LINKS:-6396} files=${FILES:-140} equal=${EQUAL:-30} kb=${KB:-64}
source "$here/settle.sh"
W=$(mktemp -d /var/tmp/cowlink-dedup-XXXXXX)
trap 'chmod -R u+w "$W"; rm -rf "$W"' EXIT

# The parent's target (read-only, as the store holds it), every file of it
# in the tree as a link (`cowlink inherit`), then FILES of them replaced by
# regular files, EQUAL of those the same bytes.  (Written by the shell's
# own printf: no process per file.)
mkdir -p "$W/prev"
blob=$(head -c $((kb * 1024 / 2)) /dev/zero | od -An -tx1 -v | tr -d ' \n')
for ((d = 0; d < dirs; d++)); do mkdir "$W/prev/d$d"; done
for ((i = 0; i < links + files; i++)); do printf '%s%d' "$blob" "$i" >"$W/prev/d$((i % dirs))/f$i"; done
"$build/cowlink" inherit "$W/prev" "$W/tree"
for ((i = links; i < links + files; i++)); do
    f=d$((i % dirs))/f$i
    rm "$W/tree/$f"
    if ((i < links + equal)); then printf '%s%d' "$blob" "$i" >"$W/tree/$f"; else printf '%s%d!' "$blob" "$i" >"$W/tree/$f"; fi
done
chmod -R a-w "$W/prev"

# one WHO: the install of a fresh copy of the tree, timed; prints seconds.
one() {
    rm -rf "$W/t" "$W/out"
    cp -a "$W/tree" "$W/t"
    settle
    local s=$EPOCHREALTIME
    if [ "$1" = crane ]; then
        bash -c 'source "$1"; dedupAndInstallCargoArtifactsDir "$2/out" "$2/t" "$2/prev"' _ "$crane" "$W" >/dev/null
    else
        "$build/cowlink" dedup "$W/prev" "$W/t" && mkdir -p "$W/out" && mv "$W/t" --target-directory="$W/out"
    fi
    awk -v s="$s" -v e="$EPOCHREALTIME" 'BEGIN {printf "%.3f\n", e - s}'
}
# The result, once: both make the same tree.
shape() { find "$W/out" -printf '%P %y %l\n' | sort | md5sum; }
one crane >/dev/null && a=$(shape)
one cowlink >/dev/null && b=$(shape)
[ "$a" = "$b" ] || { echo "dedup.sh: cowlink dedup's tree differs from crane's" >&2; exit 1; }

for ((r = 1; r <= rounds; r++)); do
    if ((r % 2)); then c=$(one crane) k=$(one cowlink); else k=$(one cowlink) c=$(one crane); fi
    echo "$c $k"
done | sort -n | awk -v n="$rounds" -v f="$files" -v l="$links" '
    {c[NR] = $1; k[NR] = $2} END {
        asort(c); asort(k); m = int((n + 1) / 2)
        printf "use-symlink install of %d regular files beside %d links, median of %d rounds:\n", f, l, n
        printf "  crane (cmp and ln per file)  %.3f s [%.3f-%.3f]\n", c[m], c[1], c[n]
        printf "  cowlink dedup (one process)  %.3f s [%.3f-%.3f]\n", k[m], k[1], k[n]
        printf "  crane / cowlink              %.1fx\n", c[m] / k[m]
    }'
