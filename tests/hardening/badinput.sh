#!/usr/bin/env bash
# Bad input: badinput.c's calls give the same results with and without the
# library, also under hostile COWLINK_* values (empty, huge, relative, many
# entries, a log that cannot be opened): no crash, no hang, same semantics.
#   badinput.sh BUILD
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
BUILD=$(cd "${1:-build}" && pwd)
T=$(mktemp -d /tmp/cowlink-bad-XXXXXX)
trap 'chmod -R u+w "$T"; rm -rf "$T"' EXIT
cc -O1 -g -Wall -Wextra -Werror -o "$T/badinput" "$here/badinput.c"

fixture() { # DIR
    rm -rf "$1"; mkdir -p "$1/store" "$1/work"
    echo data >"$1/store/f"; chmod 0444 "$1/store/f"
    ln -s "$1/store/f" "$1/work/link"
    ln -s loop2 "$1/work/loop1"; ln -s loop1 "$1/work/loop2"
    ln -s "$1/store/missing" "$1/work/bad-$(printf '\377')-link"
}
run() { # NAME [ENV...]: the program in a fresh fixture; output in $T/NAME
    local name=$1; shift
    fixture "$T/fx"
    (cd "$T" && timeout 20 env "$@" ./badinput "$T/fx") >"$T/$name" 2>"$T/$name.err" ||
        echo "exit $?" >>"$T/$name"
    # the store must be as it was
    [ "$(cat "$T/fx/store/f")" = data ] || echo "store modified" >>"$T/$name"
}
failures=0
run without
echo "badinput: $(wc -l <"$T/without") calls"
lib=$BUILD/libcowlink.so
many=$(for i in $(seq 1000); do printf '/nix/store%d:' "$i"; done)
huge=/$(head -c 100000 /dev/zero | tr '\0' a)
while IFS='|' read -r name env; do
    # shellcheck disable=SC2086
    run "$name" LD_PRELOAD="$lib" COWLINK_STORE="$T/fx/store" $env
    if diff -u "$T/without" "$T/$name" >"$T/diff"; then
        echo "PASS badinput $name: identical results$(grep -q . "$T/$name.err" && echo ", stderr: $(head -1 "$T/$name.err" | cut -c1-80)")"
    else
        echo "FAIL badinput $name:"; cat "$T/diff"; failures=$((failures + 1))
    fi
done <<EOF2
default|
store-empty|COWLINK_STORE=
store-relative|COWLINK_STORE=relative/store
store-many|COWLINK_STORE=$T/fx/store:$many
store-huge|COWLINK_STORE=$huge:$T/fx/store
log-unopenable|COWLINK_LOG=/nonexistent/dir/log
log-empty|COWLINK_LOG=
verbose-garbage|COWLINK_VERBOSE=yes-please
switch-garbage|COWLINK=maybe
EOF2
exit $failures
