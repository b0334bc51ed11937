#!/usr/bin/env bash
# Integration tests: real programs writing through links into a store that
# they cannot write (or, as root, must not write).  Every case runs twice on
# a fresh fixture: without cowlink it must fail or modify the store (the
# test bites), with cowlink it must succeed, give the expected files and
# events, leave no temporary file and leave the store's checksum unchanged.
#
#   bash tests/integration/run.sh BUILD_DIR [CASE...]
set -uo pipefail
BUILD=$(cd "${1:-build}" && pwd)
shift || true
ONLY=" $* "
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
. "$HERE/cases.sh"

passed=0 failed=0
pass() { passed=$((passed + 1)); echo "PASS $MODE $1"; }
fail() { failed=$((failed + 1)); echo "FAIL $MODE $1${2:+: $2}"; }
wanted() { [ "$ONLY" = "  " ] || [[ $ONLY == *" $1 "* ]]; }

# One case in the current mode.  A case NAME defines setup_NAME (the
# fixture), ACT_NAME (the command the user runs) and check_NAME (what must
# hold afterwards); BITES_NAME=no marks cases that show cowlink is
# invisible rather than a fix, MODES_NAME limits the modes, and FAILS_NAME
# is the message the failure without cowlink must show (when it fails).
run_case() {
    local name=$1 act modes bites fails before st out
    eval "act=\$ACT_$name modes=\${MODES_$name:-all} bites=\${BITES_$name:-yes} fails=\${FAILS_$name:-}"
    [ "$modes" = all ] || [[ " $modes " == *" $MODE "* ]] || return 0

    if [ "$bites" = yes ]; then
        fresh && "setup_$name" && seal
        before=$(store_sum)
        out=$(as_user "$act" 2>&1)
        st=$?
        if [ $st = 0 ] && [ "$(store_sum)" = "$before" ]; then
            fail "$name" "without cowlink it succeeds and the store is intact: the test does not bite"
            return
        fi
        if [ $st != 0 ] && [ -n "$fails" ] && [[ $out != *"$fails"* ]]; then
            fail "$name" "without cowlink it fails, but not with '$fails': $(tail -n 2 <<<"$out" | tr '\n' ' ')"
            return
        fi
    fi

    fresh && "setup_$name" && seal
    before=$(store_sum)
    out=$(with_cowlink "$act" 2>&1)
    st=$?
    if [ $st != 0 ]; then
        fail "$name" "with cowlink it fails ($st): $(tail -n 3 <<<"$out" | tr '\n' ' ')"
    elif [ "$(store_sum)" != "$before" ]; then
        fail "$name" "the store changed"
    elif ! out=$("check_$name" 2>&1 && no_temp 2>&1); then
        fail "$name" "$(tr '\n' ' ' <<<"$out")"
    else
        pass "$name"
    fi
}

for mode in nobody root-ro root-rw; do
    enter_mode "$mode" || continue
    for name in $CASES; do
        wanted "$name" && run_case "$name"
    done
    for name in $SPECIAL; do
        wanted "$name" && "$name"
    done
done

echo "integration: $passed passed, $failed failed"
[ $failed = 0 ] && [ $passed -gt 0 ]
