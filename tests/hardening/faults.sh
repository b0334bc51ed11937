#!/usr/bin/env bash
# Faults: each case runs as nobody, without and then with the library.  A
# failure must leave the link intact, return the error the call gets
# without cowlink, and say why in at most one stderr line; no temporary
# file may remain.  Cases: a store file larger than the free space (a tiny
# tmpfs), no descriptor left (EMFILE), signals firing during the copy.
# An unwritable directory and a dangling link are in tests/integration.
#   faults.sh BUILD
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
BUILD=$(cd "${1:-build}" && pwd)
[ "$(id -u)" = 0 ] && id nobody >/dev/null 2>&1 || { echo "SKIP faults: needs root and a nobody user"; exit 0; }
T=$(mktemp -d /tmp/cowlink-faults-XXXXXX)
cleanup() { mountpoint -q "$T/tiny" && umount "$T/tiny"; chmod -R u+w "$T"; rm -rf "$T"; }
trap cleanup EXIT
chmod 755 "$T"
mkdir -p "$T/store" "$T/bin" "$T/tiny" "$T/disk"
cp "$BUILD/libcowlink.so" "$here/faults.py" "$T/bin/"
chmod -R a+rX "$T/bin"
head -c 4M /dev/urandom >"$T/store/big4"
head -c 96M /dev/zero | tr '\0' x >"$T/store/big96"
echo small >"$T/store/small"
chmod 0444 "$T"/store/*; chmod 0555 "$T/store"
mount -t tmpfs -o size=1m,mode=0755 tmpfs "$T/tiny" || { echo "SKIP faults: cannot mount a tmpfs"; exit 0; }
chown nobody: "$T/tiny" "$T/disk"

failures=0
check() { if "$@"; then :; else failures=$((failures + 1)); fi; }

# run WITH CASE DIR: as nobody; prints the result, stderr in $T/err
run() {
    local env=(env -i PATH=/usr/bin:/bin)
    [ "$1" = with ] && env+=(LD_PRELOAD="$T/bin/libcowlink.so" COWLINK_STORE="$T/store")
    setpriv --reuid=nobody --regid="$(id -g nobody)" --clear-groups "${env[@]}" \
        python3 "$T/bin/faults.py" "$2" "$3" 2>"$T/err"
}
links() { # DIR NAME TARGET
    rm -f "$1/$2"; ln -s "$T/store/$3" "$1/$2"; chown -h nobody: "$1/$2"
}
intact() { [ -L "$1" ] && [ "$(readlink "$1")" = "$T/store/$2" ]; }

case_same_error() { # NAME DIR LINK TARGET
    local name=$1 dir=$2 without with lines
    links "$dir" "$3" "$4"
    without=$(run without "$name" "$dir")
    links "$dir" "$3" "$4"
    with=$(run with "$name" "$dir")
    lines=$(grep -c '^cowlink:' "$T/err" || true)
    if [ "${without#* }" != ok ] && [ "$without" = "$with" ] && intact "$dir/$3" "$4" &&
        [ "$lines" -le 1 ] && [ -z "$(find "$dir" -name '.cowlink-*')" ]; then
        echo "PASS $name: ${with#* } with and without cowlink, link intact, $lines line: $(grep '^cowlink:' "$T/err" | cut -c1-110)"
    else
        echo "FAIL $name: without '$without', with '$with', link $(readlink "$dir/$3" || echo gone), $lines lines"
        cat "$T/err"; return 1
    fi
}

check case_same_error nospace "$T/tiny" big big4
[ "$(df --output=used "$T/tiny" | tail -1)" -lt 64 ] && echo "PASS nospace: nothing left on the full filesystem" ||
    { echo "FAIL nospace: the tmpfs still holds $(df --output=used "$T/tiny" | tail -1) KiB"; failures=$((failures + 1)); }
check case_same_error nofiles "$T/disk" small small

links "$T/disk" big big96
without=$(run without signals "$T/disk")
links "$T/disk" big big96
with=$(run with signals "$T/disk")
want=$(cat "$T/store/big96"; echo appended)
if [ "$without" = "signals EACCES" ] && [ "$with" = "signals ok" ] && [ ! -L "$T/disk/big" ] &&
    [ "$(sha256sum <"$T/disk/big")" = "$(printf '%s\n' "$want" | sha256sum)" ]; then
    echo "PASS signals: a 96 MB copy under SIGALRM every 100 us completes, content exact ($(tail -1 "$T/err"))"
else
    echo "FAIL signals: without '$without', with '$with'"; cat "$T/err"; failures=$((failures + 1))
fi
exit $failures
