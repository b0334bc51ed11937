#!/usr/bin/env bash
# The cowlink command behaves as users of env, eatmydata and coreutils
# expect: help and version on stdout with exit 0, usage errors on stderr
# with exit 2, 126/127 for a command that cannot run / is not found, the
# command's own status otherwise; every variable the library reads is in
# --help and in the man page; make install/uninstall put and remove the
# command, the library and the man page.
#   usage: cli.sh [BUILD]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
BUILD=$(cd "${1:-build}" && pwd)
cow=$BUILD/cowlink
T=$(mktemp -d /tmp/cowlink-cli-XXXXXX)
mkdir -p "$T/store"
trap 'rm -rf "$T"' EXIT
passed=0 failed=0
pass() { passed=$((passed + 1)); echo "PASS cli: $*"; }
fail() { failed=$((failed + 1)); echo "FAIL cli: $*"; }

# expect CODE OUT ERR -- ARGS: exit code, and whether stdout / stderr are
# empty ("-") or not ("+")
expect() {
    local code=$1 out=$2 err=$3 got
    shift 4
    got=0
    "$@" >"$T/out" 2>"$T/err" </dev/null || got=$?
    local o=+ e=+
    [ -s "$T/out" ] || o=-
    [ -s "$T/err" ] || e=-
    if [ "$got" = "$code" ] && [ "$o" = "$out" ] && [ "$e" = "$err" ]; then
        pass "${*#"$BUILD/"}: exit $got"
    else
        fail "${*#"$BUILD/"}: exit $got (want $code), stdout $o (want $out), stderr $e (want $err)"
        sed 's/^/    /' "$T/err" | head -3
    fi
}
export NIX_STORE=$T # no warning about the default store in these cases
expect 0 + - -- "$cow" --help
expect 0 + - -- "$cow" -h
expect 0 + - -- "$cow" --version
expect 2 - + -- "$cow"
expect 2 - + -- "$cow" --no-such-option true
expect 2 - + -- "$cow" -x true
expect 2 - + -- "$cow" --store
expect 2 - + -- "$cow" --log
expect 2 - + -- "$cow" --verbose
expect 2 - + -- "$cow" inherit "$T"
expect 2 - + -- "$cow" dedup "$T"
expect 0 - - -- "$cow" true
expect 0 - - -- "$cow" --store "$T/store" --log "$T/log" --verbose -- true
expect 3 - - -- "$cow" sh -c 'exit 3'
expect 0 + - -- "$cow" echo -h --version # COMMAND's options are COMMAND's
expect 127 - + -- "$cow" /nonexistent/command
expect 126 - + -- "$cow" "$T"

# cowlink's own failure: the command without its library beside it
cp "$cow" "$T/alone"
expect 125 - + -- "$T/alone" true

# The library comes first in LD_PRELOAD and earlier entries are kept; a
# sanitized build (make SANITIZE=1) puts the ASan runtime before it.
if ldd "$BUILD/libcowlink.so" | grep -q libasan; then
    got=$("$cow" --store "$T" sh -c 'echo "$LD_PRELOAD"' 2>/dev/null)
    [[ $got == */libasan.so*:* ]] && pass "sanitized: the ASan runtime comes first" ||
        fail "sanitized: LD_PRELOAD is '$got'"
fi
no_asan() { sed -E 's#^[^:]*/libasan\.so[^:]*:##'; }
got=$(LD_PRELOAD=$T/earlier.so "$cow" --store "$T" sh -c 'echo "$LD_PRELOAD $COWLINK_STORE"' 2>/dev/null | no_asan)
want="$BUILD/libcowlink.so:$T/earlier.so $T"
[ "$got" = "$want" ] && pass "LD_PRELOAD and COWLINK_STORE set, older entries kept" ||
    fail "environment: got '$got', want '$want'"

# A child started with an environment of its own keeps the library first
# and the settings this process runs with, unless its environment turns
# cowlink off (COWLINK=0); a setting it gives itself is its own.
child_env() {
    local got want=$1
    shift
    got=$("$cow" --store "$T/store" --log "$T/log" "$@" 2>/dev/null | no_asan)
    [ "$got" = "$want" ] && pass "child environment: $*" || fail "child environment: $*: got '$got', want '$want'"
}
child_env "$BUILD/libcowlink.so $T/store $T/log" env -i sh -c 'echo "$LD_PRELOAD $COWLINK_STORE $COWLINK_LOG"'
child_env "$BUILD/libcowlink.so:$T/x.so" env -i LD_PRELOAD="$T/x.so" sh -c 'echo "$LD_PRELOAD"'
child_env "[]" env -i COWLINK=0 sh -c 'echo "[$LD_PRELOAD$COWLINK_STORE]"'
child_env "/other" env -i COWLINK_STORE=/other sh -c 'echo "$COWLINK_STORE"'

# Every variable the library or the command reads is documented.
vars=$(grep -ho 'getenv("[A-Z_]*")' "$repo"/preload/*.c | sed 's/getenv("\(.*\)")/\1/' | sort -u)
"$cow" --help >"$T/help"
for v in $vars; do
    if grep -qw "$v" "$T/help" && grep -qw "$v" "$repo/preload/cowlink.1"; then
        pass "$v is in --help and cowlink.1"
    else
        fail "$v is read by the code but missing from --help or cowlink.1"
    fi
done

# One version everywhere: the command and the man page.
version=$("$cow" --version | awk '{print $2}')
grep -q "^\.TH COWLINK 1 .*\"cowlink $version\"" "$repo/preload/cowlink.1" &&
    pass "cowlink.1 is for version $version" || fail "cowlink.1 is not for version $version"

# When no store is given and the default one is missing, say so in one line.
if [ -e /nix/store ] && ! unshare -m true 2>/dev/null; then
    echo "SKIP cli: default store warning: /nix/store exists and no mount namespace to hide it"
else
    hide='[ -e /nix ] && mount -t tmpfs none /nix; '
    [ -e /nix ] || hide=
    lines=$(env -u NIX_STORE -u COWLINK_STORE ${hide:+unshare -m} sh -c "$hide\"\$0\" true 2>&1 >/dev/null" "$cow")
    if [ "$(wc -l <<<"$lines")" = 1 ] && [[ $lines == *"/nix/store does not exist"* ]]; then
        pass "no store given and no /nix/store: one line says so"
    else
        fail "no store given and no /nix/store: stderr was '$lines'"
    fi
    lines=$(env -u NIX_STORE COWLINK_STORE="$T" "$cow" true 2>&1)
    [ -z "$lines" ] && pass "COWLINK_STORE given: no warning" || fail "COWLINK_STORE given: '$lines'"
fi

# make install / uninstall into a staging directory.
make -s -C "$repo" BUILD="$BUILD" DESTDIR="$T/root" PREFIX=/usr/local install >/dev/null
installed=$(cd "$T/root" && find . -type f | sort | paste -sd' ')
want="./usr/local/bin/cowlink ./usr/local/lib/libcowlink.so ./usr/local/share/man/man1/cowlink.1"
# (x86_64: the empty library for 32-bit programs, preload/stub.c)
[ ! -f "$BUILD/libcowlink-i686.so" ] ||
    want="./usr/local/bin/cowlink ./usr/local/lib/cowlink/i686/libcowlink.so ./usr/local/lib/libcowlink.so ./usr/local/share/man/man1/cowlink.1"
[ "$installed" = "$want" ] && pass "make install: $installed" || fail "make install put: $installed"
# The hook's name for the library: the loader expands $PLATFORM to this
# machine's, and the library it loads is the one installed.
got=$(LD_PRELOAD="$T/root/usr/local/lib/cowlink/\$PLATFORM/libcowlink.so" COWLINK_STORE=$T env -i sh -c 'echo "$LD_PRELOAD"' 2>&1 | no_asan)
[ "$got" = "$T/root/usr/local/lib/cowlink/\$PLATFORM/libcowlink.so" ] &&
    pass "lib/cowlink/\$PLATFORM/libcowlink.so is the library (it passes itself on after env -i)" ||
    fail "lib/cowlink/\$PLATFORM/libcowlink.so: a child after env -i got '$got'"
got=$(NIX_STORE=$T "$T/root/usr/local/bin/cowlink" sh -c 'echo "$LD_PRELOAD"' | no_asan)
[ "$got" = "$T/root/usr/local/lib/libcowlink.so" ] && pass "the installed command finds ../lib/libcowlink.so" ||
    fail "the installed command preloads '$got'"
make -s -C "$repo" BUILD="$BUILD" DESTDIR="$T/root" PREFIX=/usr/local uninstall >/dev/null
left=$(cd "$T/root" && find . -type f | paste -sd' ')
[ -z "$left" ] && pass "make uninstall removes all it put" || fail "make uninstall left: $left"

echo "cli: $passed passed, $failed failed"
[ "$failed" = 0 ]
