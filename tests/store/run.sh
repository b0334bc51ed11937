#!/usr/bin/env bash
# The store is never written, whatever the call: every way around the
# ordinary path (links inside the store, links to store directories, calls
# on store descriptors, links cowlink cannot follow, calls that fail
# anyway...), each one call of calls.c, run in three modes (see
# tests/integration/lib.sh) without and then with the library.
#
# A case is setup_NAME, CALL_NAME (a command run in the work dir; $CALLS is
# calls.c) and WANT_NAME, what the call must print with the library, per
# mode ("nobody:EACCES root-ro:EROFS root-rw:EROFS", or "*:ok").  Without
# WANT the call must print what it printed without the library.  With the
# library the store's checksum must not change and check_NAME, if defined,
# must hold (teardown_NAME, if defined, runs after each run).  A case must bite (without the library the store changes or
# the call prints something else) in at least one mode, unless BITES_NAME=no
# says it holds cowlink to the plain call's result.  MODES_NAME limits modes.
#
# A few cases also run as root on a writable overlay store whose layers are
# two other file systems (mode root-overlay, answers as root-rw's): its
# files show a layer's device, not the store's.
# Then every case runs once more where openat2 answers ENOSYS (a seccomp
# filter, no-openat2.c), as on older kernels and in some sandboxes: the
# answers must be the same.
#
#   bash tests/store/run.sh BUILD_DIR [CASE...]
set -uo pipefail
BUILD=$(cd "${1:-build}" && pwd)
shift || true
ONLY=" $* "
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../integration/lib.sh"
cc -O1 -g -Wall -Wextra -Werror -D_GNU_SOURCE -o "$BIN/calls" "$HERE/calls.c" -lpthread || exit 1
cc -O1 -g -Wall -Wextra -Werror -o "$BIN/no-openat2" "$HERE/no-openat2.c" || exit 1
cc -O1 -g -Wall -Wextra -Werror -D_GNU_SOURCE -o "$BIN/pause" "$HERE/pause.c" || exit 1
CALLS=$BIN/calls
VARIANT= # no-openat2: every call runs under the filter
ALIAS=$T/alias # the store again, under another path (a bind mount)
mkdir -p "$ALIAS"
. "$HERE/cases.sh"
# The no_proc cases hide /proc in a mount namespace of their own: machines
# that refuse one (some chroots and containers) skip them, and so does a
# sanitized build, whose ASan runtime reads /proc at start-up.
skip_no_proc() {
    local name kept=
    for name in $CASES; do [[ $name == no_proc* ]] || kept+=" $name"; done
    CASES=$kept
    echo "SKIP no_proc*: $1"
}
if nm -D "$BUILD/libcowlink.so" 2>/dev/null | grep -q __asan_init; then
    skip_no_proc "a sanitized library needs /proc"
elif ! unshare --mount --propagation private sh -c 'umount -l /proc && ! test -e /proc/self' 2>/dev/null; then
    skip_no_proc "this machine cannot hide /proc in a mount namespace"
fi

passed=0 failed=0
declare -A bit
pass() { passed=$((passed + 1)); echo "PASS $MODE${VARIANT:+ $VARIANT} $1"; }
fail() { failed=$((failed + 1)); echo "FAIL $MODE${VARIANT:+ $VARIANT} $1${2:+: $2}"; }
wanted() { [ "$ONLY" = "  " ] || [[ $ONLY == *" $1 "* ]]; }

want_in_mode() { # WANT: the word for this mode, or for *
    local w mode=${MODE/root-overlay/root-rw}
    for w in $1; do
        case $w in "$mode":* | "*":*) echo "${w#*:}"; return ;; esac
    done
}

# The overlay store: every case again, with the fixture written into a
# tmpfs that becomes the lower layer once sealed, another tmpfs the upper
# layer, the overlay mounted where the programs see the store; its merged
# view is what must not change.  Its files show the lower layer's device,
# not the store's, and the build directory is on another file system.
# Not there: cases that bind-mount a store path before the store is
# mounted, and handles (overlayfs has none without nfs_export).
NOT_ON_OVERLAY=" bind_one_path bind_one_path_fd by_handle "
OV=$T/overlay
overlay_up() {
    mkdir -p "$OV/upper" && mount -t tmpfs none "$OV/upper" &&
        mkdir "$OV/upper/data" "$OV/upper/work" && mount -t overlay overlay \
        -o "lowerdir=$STORE_SRC,upperdir=$OV/upper/data,workdir=$OV/upper/work" "$T/store"
}
overlay_down() {
    local m
    for m in "$T/store" "$OV/upper"; do ! mountpoint -q "$m" || umount "$m"; done
}
eval "files_$(declare -f seal)"
seal() { files_seal && { [ "$MODE" != root-overlay ] || overlay_up; }; }
eval "files_$(declare -f store_sum)"
store_sum() {
    if [ "$MODE" = root-overlay ]; then STORE_SRC=$T/store files_store_sum; else files_store_sum; fi
}

# teardown_NAME, if defined, undoes what setup_NAME did outside the files
# (a mount), after each run of the case, whatever the case's result.
teardown() {
    ! declare -F "teardown_$1" >/dev/null || "teardown_$1"
    [ "$MODE" != root-overlay ] || overlay_down
}

run_case() {
    local name=$1 call modes want before without with changed
    eval "call=\$CALL_$name modes=\${MODES_$name:-all} want=\${WANT_$name:-}"
    [ "$modes" = all ] || [[ " $modes " == *" $MODE "* ]] || return 0
    [ -z "$VARIANT" ] || call="\"\$BIN/$VARIANT\" bash -c $(printf %q "$call")"

    fresh && "setup_$name" && seal
    before=$(store_sum)
    without=$(as_user "$call" 2>/dev/null | tail -n 1)
    changed=$([ "$(store_sum)" != "$before" ] && echo "the store changed" || echo "")
    teardown "$name"
    want=$(want_in_mode "$want")
    [ -n "$want" ] || want=$without
    [ -n "$changed" ] || [ "$without" != "$want" ] && bit[$name]=1

    fresh && "setup_$name" && seal
    before=$(store_sum)
    with=$(with_cowlink "$call" 2>"$T/stderr" | tail -n 1)
    verdict "$name"
    teardown "$name"
}

# What the run with cowlink shows: the store, the result, the checks.
verdict() {
    local name=$1 st
    if [ "$(store_sum)" != "$before" ]; then
        fail "$name" "the store changed with cowlink"
    elif grep -q '^pause: no call' "$T/stderr" && eval "[ -z \"\${NO_CALL_$name-}\" ]"; then
        fail "$name" "pause.c never held the call with cowlink: the case tested no race"
    elif [ "$with" != "$want" ]; then
        fail "$name" "with cowlink: $with, expected $want (without: $without${changed:+, $changed})"
    elif declare -F "check_$name" >/dev/null && ! st=$("check_$name" 2>&1); then
        fail "$name" "$(tr '\n' ' ' <<<"$st")"
    elif ! st=$(no_temp 2>&1); then
        fail "$name" "$st"
    else
        pass "$name (without: $without${changed:+, $changed}; with: $with)"
    fi
}

modes_run=0
for VARIANT in "" no-openat2; do
    for mode in root-rw root-ro nobody root-overlay; do
        cases=$CASES
        if [ $mode = root-overlay ]; then
            [ -z "$VARIANT" ] && enter_mode root-rw || continue
            MODE=$mode STORE=$T/store cases=
            for name in $CASES; do [[ $NOT_ON_OVERLAY == *" $name "* ]] || cases+=" $name"; done
            mkdir -p "$OV/lower" && mount -t tmpfs none "$OV/lower" && STORE_SRC=$OV/lower || continue
        else
            enter_mode "$mode" || continue
            [ -n "$VARIANT" ] || modes_run=$((modes_run + 1))
            [ "$mode" = nobody ] || mount --bind "$STORE" "$ALIAS" 2>/dev/null
        fi
        export STORE CALLS ALIAS BIN
        for name in $cases; do
            wanted "$name" && run_case "$name"
        done
        mountpoint -q "$ALIAS" && umount "$ALIAS"
        if [ $mode = root-overlay ]; then
            umount "$OV/lower" && STORE_SRC=$T/store-src
        fi
    done
done
# With every mode run, a case that never bit tests nothing.
if [ $modes_run = 3 ]; then
    for name in $CASES; do
        eval "bites=\${BITES_$name:-yes}"
        wanted "$name" && [ "$bites" = yes ] && [ -z "${bit[$name]:-}" ] &&
            fail "$name" "does not bite: without the library it behaves as with it in every mode"
    done
fi

echo "store: $passed passed, $failed failed"
[ $failed = 0 ] && [ $passed -gt 0 ]
