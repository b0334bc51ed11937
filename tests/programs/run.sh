#!/usr/bin/env bash
# Real programs through store links (cases.sh), as root on a writable store
# (root-rw) and as nobody (the store unwritable), each run three times on a
# fresh fixture (tests/integration/lib.sh: its store, modes and checksum):
#   reference  the same command on plain private files: every link to a
#              store file replaced by a private copy (the store file's
#              content, mode plus owner write, and times), no library;
#   without    through the links, without the library: what a user meets
#              today (the store changing, the program failing, or a
#              result that differs from the reference);
#   with       through the links with the library: the exit status, the
#              files the program wrote (type, mode, owner, size, content,
#              mtime: exact, or "now" when within a day) and SHOW's output
#              must be the reference's, the store's checksum unchanged, no
#              temporary file left.
# A case must bite (without differs from the reference, or the store
# changed) in at least one mode, unless BITES_NAME says why it cannot.
# A REFUSE case cannot be made safe: with the library it must fail, with
# one line on stderr (none where the kernel refuses first), the store
# unchanged, and as nobody with the error it has without the library.  Known failures of today's
# library are in XFAIL (cases.sh), each with the issue 17 item that covers
# it: reported XFAIL and not counted as passed; one that passes is XPASS
# and fails the run, so the table shrinks as fixes land.
#
#   bash tests/programs/run.sh BUILD_DIR [CASE...]
set -uo pipefail
BUILD=$(cd "${1:-build}" && pwd)
shift || true
ONLY=" $* "
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/integration/lib.sh
. "$HERE/../integration/lib.sh"
# The cargo fixture (cargo_template, setup_cargo_rebuild) is the
# integration tests'; their case list is not used here.
# shellcheck source=tests/integration/cases.sh
. "$HERE/../integration/cases.sh" >/dev/null
# crane's hooks: from ../shared/third-party beside the clone, or CRANE_SRC.
# Copied into the test's dir: the unprivileged runs cannot always reach
# ../shared (a clone under /root).
CRANE_SRC=${CRANE_SRC:-$HERE/../../../shared/third-party/crane}
CRANE_HOOKS=$T/crane-hooks
[ ! -d "$CRANE_SRC/lib/setupHooks" ] || cp -r "$CRANE_SRC/lib/setupHooks" "$CRANE_HOOKS"
# The build's own output ($out) lies in a store too: a second store
# directory, so that the first one's checksum stays exact, and on a file
# system of its own, as the Nix sandbox's /build and /nix/store are (a mv
# into $out copies).
OSTORE=$T/ostore
TPL=$T/tpl # programs built once (objects, archives, rlib, databases)
mkdir -p "$OSTORE" "$TPL"
trap 'mountpoint -q "$OSTORE" && umount "$OSTORE"; cleanup' EXIT
mount -t tmpfs -o size=512m tmpfs "$OSTORE" 2>/dev/null ||
    echo "NOTE: no tmpfs for the build's output: it shares the store's file system"
chmod 755 "$OSTORE"
# shellcheck source=tests/programs/cases.sh
. "$HERE/cases.sh"

passed=0 failed=0 skipped=0 xfailed=0
declare -A bit ran
pass() { passed=$((passed + 1)); echo "PASS $MODE $1"; }
fail() { failed=$((failed + 1)); echo "FAIL $MODE $1${2:+: $2}"; }
declare -A result without_short # NAME.MODE: with the library, and without
wanted() { [ "$ONLY" = "  " ] || [[ $ONLY == *" $1 "* ]]; }
# As in a Nix build, the setup hook names the build's own outputs.
with_cowlink_out() {
    as_user "COWLINK_OUTPUTS=\"$OUT\" \"$BIN/cowlink\" --store \"$STORE\" --store \"$OSTORE\" --log \"$LOG\" -- bash -c $(printf %q "$1")"
}

# xfail_item NAME: the issue 17 item of a known failure in this mode.
xfail_item() {
    local e
    for e in $XFAIL; do
        IFS=: read -r n m item <<<"$e"
        [ "$n" = "$1" ] && { [ "$m" = '*' ] || [ "$m" = "$MODE" ]; } && { echo "$item"; return; }
    done
}

# Every link in the work dir to a store file becomes a private copy.
privatize() {
    local l t
    while IFS= read -r -d '' l; do
        t=$(readlink "$l")
        if [[ $t != "$STORE"/* ]] || [ ! -f "$t" ]; then continue; fi
        rm "$l" && cp --preserve=mode,timestamps "$t" "$l" && chmod u+w "$l"
    done < <(find "$W" -type l -print0)
}

# prepare NAME REF: a fresh fixture; $OUT is the build's output directory,
# in the second store or, for the reference, a plain one.
prepare() {
    fresh
    chmod -R u+w "$OSTORE" && rm -rf "${OSTORE:?}"/*
    "setup_$1" || return 1
    seal
    if [ "$2" = ref ]; then
        privatize
        [ "$MODE" = nobody ] && chown -R nobody: "$W"
    fi
    if [ "$2" = ref ]; then OUT=$W/out; else OUT=$OSTORE/out; fi
    mkdir -p "$OUT"
    [ "$MODE" = nobody ] && chown -R nobody: "$OUT"
    export OUT
}

# What the program left: each of the case's files (names relative to the
# work dir), directories recursively; mtimes within a day are "now".
# shellcheck disable=SC2030,SC2031 # the loop's variables stay in its subshell
describe() {
    local spec p now
    now=$(date +%s)
    for spec in $1; do
        p=$(eval "echo $spec")
        [[ $p == /* ]] || p=$W/$p
        ({ [ -e "$p" ] || [ -L "$p" ]; } && find "$p" -printf '%P|%y|%m|%u:%g|%s|%T@|%l\n' | LC_ALL=C sort) |
            while IFS='|' read -r rel type mode own size mt lnk; do
                mt=${mt%.*}
                [ $((now - mt)) -lt 86400 ] && mt=now
                sum=-
                [ "$type" = d ] && size=- # file systems count directories differently
                [ "$type" = f ] && sum=$(sha256sum <"$p${rel:+/$rel}" | cut -c1-12)
                [ "$type" = l ] && { lnk=${lnk/#$STORE/STORE}; lnk=${lnk/#$OSTORE/OSTORE}; }
                echo "$spec${rel:+/$rel}: $type $mode $own $size $mt $sum${lnk:+ -> $lnk}"
            done
        [ -e "$p" ] || [ -L "$p" ] || echo "$spec: missing"
    done
}
# The run's outcome: status, files, SHOW's output (as the user).
outcome() { # STATUS NAME
    echo "status $1"
    local show specs
    eval "specs=\${OUT_$2:-} show=\${SHOW_$2:-}"
    describe "$specs"
    [ -z "$show" ] || as_user "$show" 2>&1 | sed "s#$OSTORE#OSTORE#g; s#$W#W#g"
}
# The line of a log that says what went wrong, else its last line.
first_error() { grep -m 1 -iE 'error|denied|not permitted|read-only|not writeable' "$1" || tail -n 1 "$1"; }
# Why two outcomes differ, in one line.
differ() { diff <(echo "$1") <(echo "$2") | grep '^[<>]' | head -n 4 | tr '\n' ' '; }

# PROGRAMS_LOGS=DIR keeps each run's output there.
keep_log() { [ -z "${PROGRAMS_LOGS:-}" ] || cp "$T/$1.log" "$PROGRAMS_LOGS/$name.$MODE.$1.log"; }

# tempnames NAME: a name made from the case's mkstemp template (TEMP_NAME,
# its prefix) shown as the template: glibc fills in six random characters
# before its open fails, cowlink refuses the template before that.
tempnames() {
    local prefix
    eval "prefix=\${TEMP_$1:-}"
    if [ -n "$prefix" ]; then sed -E "s/$prefix[A-Za-z0-9]{6}/${prefix}XXXXXX/g"; else cat; fi
}

# through_links RUNNER LOG: the case's act on a fresh fixture through the
# store links, run by RUNNER (without or with the library), its output in
# LOG.log; sets st, result_now and changed (the store's checksum moved).
through_links() {
    local before
    prepare "$name" link || return 1
    before=$(store_sum)
    "$1" "$act" >"$T/$2.log" 2>&1
    st=$?
    keep_log "$2"
    result_now=$(outcome $st "$name")
    changed=
    [ "$(store_sum)" = "$before" ] || changed="the store changed"
}

run_case() {
    local name=$1 act modes refuse ref without with st before changed why kind item msg lines result_now without_changed
    eval "act=\$ACT_$name modes=\${MODES_$name:-all} refuse=\${REFUSE_$name:-}"
    [ "$modes" = all ] || [[ " $modes " == *" $MODE "* ]] || return 0
    item=$(xfail_item "$name")

    if [ -z "$refuse" ]; then
        prepare "$name" ref || { fail "$name" "setup failed"; return; }
        eval "as_user \"\${REF_$name:-\$act}\"" >"$T/ref.log" 2>&1
        st=$?
        keep_log ref
        ref=$(outcome $st "$name")
    fi

    through_links as_user without || { fail "$name" "setup failed"; return; }
    without=$result_now without_changed=$changed
    kind=same
    if [ -n "$refuse" ]; then
        why=${changed:-status $st}
        [ $st = 0 ] || kind=fails
        [ -n "$changed" ] || [ $st != 0 ] && bit[$name]=1
    elif [ -n "$changed" ]; then
        why=$changed bit[$name]=1
    elif [ "$(head -n 1 <<<"$without")" != "$(head -n 1 <<<"$ref")" ]; then
        why="fails ($(head -n 1 <<<"$without"), the reference $(head -n 1 <<<"$ref" | cut -d' ' -f2)): $(first_error "$T/without.log")" bit[$name]=1
        kind="fails"
    elif [ "$without" != "$ref" ]; then
        why="a different result: $(differ "$ref" "$without")" bit[$name]=1
        kind="differs"
    else
        why="as the reference"
    fi

    through_links with_cowlink_out with || { fail "$name" "setup failed"; return; }
    with=$result_now
    lines=$(grep -c '^cowlink: ' "$T/with.log")
    msg=
    if [ -n "$changed" ]; then
        msg="the store changed with cowlink"
    elif [ -n "$refuse" ]; then
        # As nobody the kernel refuses it before cowlink has to.
        [ $st != 0 ] && { [ "$lines" = 1 ] || { [ "$MODE" = nobody ] && [ "$lines" = 0 ]; }; } ||
            msg="refused: expected a failure and one cowlink line, got status $st and $lines: $(tail -n 2 "$T/with.log" | tr '\n' ' ')"
        # The caller meets the error it met without cowlink (as nobody).
        [ -n "$msg" ] || [ "$MODE" != nobody ] ||
            [ "$(grep -v '^cowlink: ' "$T/with.log" | tempnames "$name")" = "$(tempnames "$name" <"$T/without.log")" ] ||
            msg="refused with another error than without cowlink: $(grep -v '^cowlink: ' "$T/with.log" | tr '\n' ' ')"
    elif [ "$with" != "$ref" ]; then
        msg="with cowlink: $(differ "$ref" "$with")$(first_error "$T/with.log" | tr '\n' ' ')"
    fi
    [ -z "$msg" ] && ! st=$(no_temp 2>&1) && msg=$st
    if [ -n "$msg" ] && [ -n "$item" ]; then
        xfailed=$((xfailed + 1)) result[$name.$MODE]="XFAIL($item)"
        echo "XFAIL $MODE $name (item $item): $msg"
    elif [ -n "$msg" ]; then
        fail "$name" "$msg (without: $why)"
        result[$name.$MODE]=FAIL
    elif [ -n "$item" ]; then
        fail "$name" "XPASS: passes, but XFAIL lists it (item $item): remove it from the table"
        result[$name.$MODE]=XPASS
    else
        pass "$name (without: $why)"
        result[$name.$MODE]=PASS
    fi
    without_short[$name.$MODE]=${without_changed:+store changed}
    [ -n "$without_changed" ] || without_short[$name.$MODE]=$kind
}

modes_run=0
for mode in root-rw nobody; do
    enter_mode "$mode" || { skipped=$((skipped + 1)); continue; }
    modes_run=$((modes_run + 1))
    export STORE OSTORE CRANE_HOOKS
    for name in $PROGRAMS; do
        if ! wanted "$name"; then continue; fi
        eval "need=\${NEEDS_$name:-}"
        if [ -n "$need" ] && ! eval "$need" >/dev/null 2>&1; then
            skipped=$((skipped + 1)); echo "SKIP $MODE $name: needs $need"; continue
        fi
        ran[$name]=1
        run_case "$name"
    done
done
# With both modes run, a case that never bit tests nothing.
if [ $modes_run = 2 ]; then
    for name in $PROGRAMS; do
        eval "reason=\${BITES_$name:-}"
        [ -n "${ran[$name]:-}" ] && [ -z "$reason" ] && [ -z "${bit[$name]:-}" ] && MODE=all &&
            fail "$name" "does not bite: without the library it behaves as the reference in every mode"
    done
fi

# The table: each case in each mode, with the library and without.
echo
printf '%-18s %-28s %-28s\n' program "root-rw: with / without" "nobody: with / without"
for name in $PROGRAMS; do
    [ -n "${ran[$name]:-}" ] || continue
    printf '%-18s %-28s %-28s\n' "$name" \
        "${result[$name.root-rw]:--} / ${without_short[$name.root-rw]:--}" \
        "${result[$name.nobody]:--} / ${without_short[$name.nobody]:--}"
done
echo "programs: $xfailed known failures (XFAIL, not counted as passed)"
echo "programs: $passed passed, $failed failed, $skipped skipped"
[ $failed = 0 ] && [ $passed -gt 0 ]
