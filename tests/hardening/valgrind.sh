#!/usr/bin/env bash
# Real programs writing through store links under valgrind (memcheck) with
# the library preloaded: every run must be free of memcheck errors, do its
# job, and leave the store as it was.
#   valgrind.sh BUILD
set -euo pipefail
BUILD=$(cd "${1:-build}" && pwd)
command -v valgrind >/dev/null || { echo "SKIP valgrind: not installed"; exit 0; }
T=$(mktemp -d /tmp/cowlink-vg-XXXXXX)
trap 'chmod -R u+w "$T"; rm -rf "$T"' EXIT
mkdir -p "$T/store" "$T/w"
echo data >"$T/store/f"; chmod 0444 "$T/store/f"; chmod 0555 "$T/store"
for p in sh cp touch python truncate stat; do ln -s "$T/store/f" "$T/w/$p"; done
failures=0
# run NAME CHECK CMD...: CMD under valgrind with the library; CHECK a test on the result
run() {
    local name=$1 check=$2; shift 2
    if LD_PRELOAD="$BUILD/libcowlink.so" COWLINK_STORE="$T/store" \
        valgrind -q --error-exitcode=99 "$@" >"$T/out" 2>"$T/err" && eval "$check"; then
        echo "PASS valgrind $name"
    else
        echo "FAIL valgrind $name"; cat "$T/err"; failures=$((failures + 1))
    fi
}
run sh '[ "$(cat "$T/w/sh")" = "$(printf "data\nx")" ]' sh -c "echo x >>'$T/w/sh'"
run cp 'cmp -s /etc/hostname "$T/w/cp"' cp /etc/hostname "$T/w/cp"
run touch '[ ! -L "$T/w/touch" ]' touch "$T/w/touch"
run python '[ "$(cat "$T/w/python")" = "yata" ]' python3 -c "open('$T/w/python', 'r+').write('y')"
run truncate '[ "$(cat "$T/w/truncate")" = da ]' truncate -s 2 "$T/w/truncate"
run stat '[ -L "$T/w/stat" ] && grep -q 644 "$T/out"' stat -L -c %a "$T/w/stat"
[ "$(cat "$T/store/f")" = data ] && [ "$(stat -c %a "$T/store/f")" = 444 ] && echo "PASS valgrind: store unchanged" ||
    { echo "FAIL valgrind: the store changed"; failures=$((failures + 1)); }
exit $failures
