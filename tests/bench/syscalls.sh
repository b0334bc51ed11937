#!/usr/bin/env bash
# System calls per intercepted call, counted with strace on a path with no
# symlink (syscalls.c): without the library, with BEFORE= another build of
# it (an earlier commit's libcowlink.so) if given, and with this build.
# Two layouts: the store on another mount than the files (as in Nix's
# sandbox: a tmpfs mounted in a mount namespace of its own, which needs
# root), and the store a directory on the files' own mount (no sandbox).
# Names with a directory part, then names with none ("./": relative to
# the working directory).
#
#   [BEFORE=LIB] bash tests/bench/syscalls.sh [BUILD_DIR]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:-$here/../../build}" && pwd)
lib=$build/libcowlink.so
command -v strace >/dev/null || { echo "syscalls.sh: needs strace" >&2; exit 2; }

if [ -z "${SYSCALLS_INSIDE:-}" ]; then
    work=$(mktemp -d /tmp/cowlink-syscalls-XXXXXX)
    trap 'rm -rf "$work"' EXIT
    cc -O2 -o "$work/syscalls" "$here/syscalls.c"
    layouts="same"
    if [ "$(id -u)" = 0 ] && unshare -m true 2>/dev/null; then
        layouts="other same"
    else
        echo "(not root, or no mount namespace: the store on the files' own mount only)"
    fi
    for layout in $layouts; do
        if [ "$layout" = other ]; then
            SYSCALLS_INSIDE=$work SYSCALLS_LAYOUT=other unshare -m --propagation private \
                bash "$0" "$build"
        else
            SYSCALLS_INSIDE=$work SYSCALLS_LAYOUT=same bash "$0" "$build"
        fi
    done
    exit 0
fi

work=$SYSCALLS_INSIDE
mkdir -p "$work/files" "$work/store"
[ "$SYSCALLS_LAYOUT" = same ] || mount -t tmpfs none "$work/store"
count() { # preload call: the lines between the two markers
    env ${1:+LD_PRELOAD=$1} COWLINK_STORE="$work/store" \
        strace -qq -f -o "$work/trace" "$work/syscalls" "$work/files" "$2"
    awk '/write\(-1, "mark"/ {m++; next} m == 1' "$work/trace" | wc -l
}
if [ "$SYSCALLS_LAYOUT" = other ]; then
    echo "store on another mount than the files (a sandbox):"
else
    echo "store on the files' own mount (no sandbox):"
fi
echo
echo "| call | without | ${BEFORE:+before | }with |"
echo "|---|---:|${BEFORE:+---:|}---:|"
"$work/syscalls" -l | while IFS= read -r call; do
    for name in "$call" "./$call"; do
        row="| ${name/#.\//no directory part: } | $(count "" "$name")"
        [ -z "${BEFORE:-}" ] || row+=" | $(count "$BEFORE" "$name")"
        echo "$row | $(count "$lib" "$name") |"
    done
done
echo
[ "$SYSCALLS_LAYOUT" = same ] || umount "$work/store"
rm -rf "$work/files" "$work/store"
