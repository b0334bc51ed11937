#!/usr/bin/env bash
# Load: PROCS processes x THREADS threads for SECONDS over the same 100 store
# links, as nobody against a root-owned store (torture.py does the work and
# checks every file against the log of operations; readers and truncating
# writers of one path exclude each other, since Linux itself tears such reads).
# Without the library the same run is refused (EACCES) on every write through
# a link: the test bites.
#   torture.sh BUILD   (SECONDS, default 20; PROCS 16; THREADS 4)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
BUILD=$(cd "${1:-build}" && pwd)
seconds=${SECONDS_TORTURE:-${TORTURE_SECONDS:-20}}
procs=${PROCS:-16} threads=${THREADS:-4}
[ "$(id -u)" = 0 ] && id nobody >/dev/null 2>&1 || { echo "SKIP torture: needs root and a nobody user"; exit 0; }
T=$(mktemp -d /tmp/cowlink-torture-XXXXXX)
trap 'chmod -R u+w "$T"; rm -rf "$T"' EXIT
chmod 755 "$T"
mkdir -p "$T/store" "$T/bin"
cp "$BUILD/libcowlink.so" "$here/torture.py" "$T/bin/"
chmod -R a+rX "$T/bin"
for i in $(seq 0 99); do printf 'store f%03d\n' "$i" >"$T/store/f$(printf %03d "$i")"; done
chmod 0444 "$T"/store/*; chmod 0555 "$T/store"; touch -d @1 "$T"/store/*
sum() { (cd "$T/store" && find . -printf '%m %s %T@ %p\n' | sort && cat ./*) | sha256sum; }
before=$(sum)

# one WITH SECONDS: fresh links, a run as nobody; leaves logs in $T/run
one() {
    rm -rf "$T/run"; mkdir -p "$T/run/w"
    for i in $(seq -f %03g 0 99); do ln -s "$T/store/f$i" "$T/run/w/l$i"; done
    chown -hR nobody: "$T/run"
    local env=(env -i PATH=/usr/bin:/bin)
    [ "$1" = with ] && env+=(LD_PRELOAD="$T/bin/libcowlink.so" COWLINK_STORE="$T/store")
    setpriv --reuid=nobody --regid="$(id -g nobody)" --clear-groups "${env[@]}" \
        python3 "$T/bin/torture.py" run "$T/run/w" "$2" "$procs" "$threads"
}
failures=0
one without 2
if grep -qE '^[0-9]+ [AT] -13 ' "$T"/run/log-*; then
    echo "PASS torture without cowlink: writes through the links are refused ($(grep -cE '^[0-9]+ [AT] -13 ' "$T"/run/log-* | awk -F: '{s+=$2} END {print s}') EACCES)"
else
    echo "FAIL torture without cowlink: no write was refused, the test does not bite"; failures=1
fi
t0=$(date +%s)
one with "$seconds"
if python3 "$T/bin/torture.py" check "$T/run/w" "$T"/run/log-* && ! grep -qE '^[0-9]+ [AT] -13 ' "$T"/run/log-*; then
    echo "PASS torture: $procs processes x $threads threads for $(($(date +%s) - t0)) s: every file explained by the log"
else
    echo "FAIL torture: see above"; failures=1
fi
left=$(find "$T/run" -name '.cowlink-*' -o -name 'tmp-*' | head -3)
[ -z "$left" ] && echo "PASS torture: no temporary file left" || { echo "FAIL torture: left $left"; failures=1; }
[ "$(sum)" = "$before" ] && echo "PASS torture: store unchanged" || { echo "FAIL torture: the store changed"; failures=1; }
exit $failures
