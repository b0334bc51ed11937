# shellcheck shell=bash
# cowlink's Nix setup hook (hook.nix makes it a hook-only package: no bin/
# or share/ of its own reaches the children's PATH or XDG_DATA_DIRS; the
# library and the command are named by store path below).  Sourced by
# stdenv for a derivation with the hook in nativeBuildInputs; does nothing
# but say so unless the derivation asks:
#
#   enableCowlink = true;   the configure, build, check and install phases
#                           (where cargo writes into target/) run with
#                           libcowlink.so first in LD_PRELOAD, for the store
#                           in NIX_STORE; unpack, patch and fixup do not
#   cowlinkInherit = true;  crane's inheritCargoArtifacts is replaced by
#                           `cowlink inherit`: every file of the inherited
#                           target/ becomes a link (implies enableCowlink)
#
# While the hook is on, crane's use-symlink install (a `cmp` and an `ln`
# per regular file of target/) is `cowlink dedup`: one process, the same
# links.
#
# doNotLinkInheritedArtifacts (crane's deep copy, e.g. for cargoTarpaulin)
# and artifacts installed as target.tar.zst still go through crane's own
# function.  Every decision is one line starting "cowlink:" in the build
# log (`nix log`).  The fixup pass (cowlinkElfChecks, cowlinkCheckLinks,
# cowlinkRelativeLinks) is another hook, cowlink-fixup-hook.sh.

# (quoted: the library's name holds the loader's $PLATFORM)
cowlinkLib='@cowlinkLib@'
cowlinkBin=@cowlinkBin@

cowlinkSay() { echo "cowlink: $*" >&2; }
cowlinkWarn() { echo "cowlink: WARNING: $*" >&2; }

# The build's own outputs, absolute and colon-separated, for the library
# (it leaves writes there alone and refuses other writes into the store).
# getAllOutputNames is setup.sh's: `outputs` is a string, or with
# structured attributes an associative array.
cowlinkOutputs() {
    local o list=""
    for o in $(getAllOutputNames); do
        [ -n "${!o-}" ] && list="${list:+$list:}${!o}"
    done
    echo "$list"
}

# The library is on from the end of the patch phase (after crane's
# inheritance) to the start of fixup: the configure, build, check and
# install phases, with their pre/post hooks and every process they start
# (cargo, rustc, build scripts, the test binaries `cargo test` runs).  Two
# ways in, so that it holds whatever the phase list is: phases of its own
# before configure and before fixup (they cover the phases' implicit
# pre-hooks), and entries in the hook arrays those phases run (a
# derivation's own `phases`, or `runPhase buildPhase` by hand in
# `nix develop`).  Turning on twice is a no-op.
cowlinkOnPhase() {
    case " ${LD_PRELOAD-} " in
    *" $cowlinkLib "*) return 0 ;;
    esac
    export COWLINK_STORE="${NIX_STORE:-/nix/store}"
    COWLINK_OUTPUTS=$(cowlinkOutputs)
    export COWLINK_OUTPUTS
    export LD_PRELOAD="$cowlinkLib${LD_PRELOAD:+ $LD_PRELOAD}"
    # qemu-user passes its environment on to the emulated program, whose
    # loader cannot preload a library of another machine and says so on
    # stderr: the emulated processes of a cross build's tests get no
    # LD_PRELOAD (their links into the store fail as without cowlink).
    case ",${QEMU_UNSET_ENV-}," in
    *,LD_PRELOAD,*) ;;
    *) export QEMU_UNSET_ENV="LD_PRELOAD${QEMU_UNSET_ENV:+,$QEMU_UNSET_ENV}" cowlinkSetQemu=1 ;;
    esac
    # In an interactive shell (nix develop), a phase that stops half-way
    # (a failure, Ctrl-C) must not leave the library in the shell: the
    # next prompt takes it out.
    case $- in *i*)
        case "${PROMPT_COMMAND-}" in *cowlinkOffPhase*) ;;
        *) PROMPT_COMMAND="cowlinkOffPhase${PROMPT_COMMAND:+; $PROMPT_COMMAND}" ;;
        esac
    esac
    cowlinkSay "active from configure to install: $cowlinkLib in LD_PRELOAD, store $COWLINK_STORE, outputs $COWLINK_OUTPUTS"
}

# Takes out the library alone: whatever else is in LD_PRELOAD stays, in
# its order, whether or not cowlinkOnPhase put it there.
cowlinkOffPhase() {
    local e words kept=()
    case " ${LD_PRELOAD-} " in
    *" $cowlinkLib "*) ;;
    *) return 0 ;;
    esac
    read -r -a words <<<"$LD_PRELOAD" # (split, never globbed)
    for e in "${words[@]}"; do
        [ "$e" = "$cowlinkLib" ] || kept+=("$e")
    done
    if [ "${#kept[@]}" -gt 0 ]; then
        export LD_PRELOAD="${kept[*]}"
    else
        unset LD_PRELOAD
    fi
    if [ -n "${cowlinkSetQemu-}" ]; then
        QEMU_UNSET_ENV=${QEMU_UNSET_ENV#LD_PRELOAD}
        QEMU_UNSET_ENV=${QEMU_UNSET_ENV#,}
        [ -n "$QEMU_UNSET_ENV" ] || unset QEMU_UNSET_ENV
        unset cowlinkSetQemu
    fi
}

# After crane's inheritance: crane adds its post-patch hook when its own
# hook is sourced, maybe after this one, so this one's goes in when the
# patch phase starts.
cowlinkOnAfterPatch() {
    case " ${postPatchHooks[*]-} " in
    *" cowlinkOnPhase "*) ;;
    *) postPatchHooks+=(cowlinkOnPhase) ;;
    esac
}

# cowlink inherit FROM TO, with its count of links as one log line.
cowlinkLink() {
    local counts
    counts=$(COWLINK_VERBOSE=1 "$cowlinkBin" inherit "$1" "$2" 2>&1 >/dev/null) || {
        echo "$counts" >&2
        return 1
    }
    counts=$(echo "$counts" | sed -n 's/^cowlink inherit: \([0-9]*\) directories, \([0-9]*\) links$/\2 files by link (\1 directories)/p')
    cowlinkSay "inherited ${counts:-?} from $1 into $2"
}

# Same arguments as crane's function: the artifacts (default
# $cargoArtifacts) and the target dir (default $CARGO_TARGET_DIR or target).
# crane's function calls itself by name for a target.tar.zst's `.prev`
# chain: those calls, which reach this one, go back to crane's.
cowlinkInheritCargoArtifacts() {
    local from="${1:-${cargoArtifacts:?not defined}}"
    local to="${2:-${CARGO_TARGET_DIR:-target}}"
    if [ -n "${cowlinkInCrane-}" ]; then
        cowlinkCraneInheritCargoArtifacts "$@"
    elif [ -n "${doNotLinkInheritedArtifacts-}" ]; then
        cowlinkSay "doNotLinkInheritedArtifacts is set: crane's deep copy"
        cowlinkCrane "$@"
    elif [ -f "$from/target.tar.zst" ] || [ -f "$from" ]; then
        cowlinkWarn "$from is a target.tar.zst (installCargoArtifactsMode use-zstd): nothing to link to, crane unpacks a copy; install the parent with installCargoArtifactsMode = \"use-symlink\""
        cowlinkCrane "$@"
    elif [ -d "$from/target" ]; then
        cowlinkLink "$from/target" "$to"
    elif [ -d "$from" ]; then
        cowlinkLink "$from" "$to"
    else
        cowlinkCrane "$@"
    fi
}

cowlinkCrane() {
    local cowlinkInCrane=1
    cowlinkCraneInheritCargoArtifacts "$@"
}

# crane registers `inheritCargoArtifacts` as a post-patch hook when its own
# hook is sourced, which may be after this one.  By the time the patch
# phase starts every hook is in place, so take its name then, keeping
# crane's function as cowlinkCraneInheritCargoArtifacts.  This relies on
# crane's function name and on its hook list: if either is gone (crane
# renamed or moved its inheritance), nothing would link, so say it loudly.
cowlinkTakeOverInherit() {
    if ! declare -F inheritCargoArtifacts >/dev/null; then
        cowlinkWarn "crane's inheritCargoArtifacts is not defined (renamed or moved in this crane?): cowlinkInherit links nothing; crane's own inheritance, if any, runs"
        return 0
    fi
    case " ${postPatchHooks[*]-} " in
    *" inheritCargoArtifacts "*) ;;
    *) [ -z "${cargoArtifacts-}" ] ||
        cowlinkWarn "cargoArtifacts is set but crane's inheritCargoArtifacts is not in postPatchHooks (crane moved its inheritance?): cowlink inherit may not run" ;;
    esac
    cowlinkTakeOver inheritCargoArtifacts cowlinkCraneInheritCargoArtifacts cowlinkInheritCargoArtifacts
}

# cowlinkTakeOver NAME KEPT OURS: crane's function NAME kept as KEPT (once:
# a second take-over must not keep ours), and NAME then calls OURS.
cowlinkTakeOver() {
    declare -F "$2" >/dev/null || eval "$(declare -f "$1" | sed "1s/^$1/$2/")"
    eval "$1() { $3 \"\$@\"; }"
}

# cargo's lock files are not artifacts (cowlink inherit leaves them out),
# but cargo makes them again at every build: with the new build-dir layout
# and fine-grain locking one empty `.lock` per unit it touches, in
# <profile>/build/<package>/<16 hex digits of unit hash>/.  Left in the
# target dir, crane's use-symlink install compares each with its parent's
# and links it, a `cmp` and an `ln` per file (560 files, 7.6 s, in
# bench-scale's clippy check).  Before the install, in one find: only
# empty files, only where cargo puts them (not at the root of a build
# script's OUT_DIR, build/<package>-<hash>/out/ in the old layout).
cowlinkDropCargoLocks() {
    local t="${CARGO_TARGET_DIR:-target}"
    [ -d "$t" ] || return 0
    find "$t" -regextype posix-extended -type f -empty \( -name '.cargo*lock' -o \
        -regex '.*/build/[^/]+/[0-9a-f]{16}/\.lock' \) -delete
}

# crane's use-symlink install compares every regular file of the target
# dir with its parent's by `cmp` and makes an equal one a link by `ln`: two
# processes per file, 1 to 2 s per check in bench-scale (and more where a
# build made many files).  `cowlink dedup` does the same walk, comparison
# and link text in one process; crane's function then installs the
# target, told there is nothing left to link.  Taken over when the install
# starts, as the inheritance is; if crane renamed its function, crane's
# install runs as it is.
cowlinkTakeOverDedup() {
    declare -F dedupAndInstallCargoArtifactsDir >/dev/null || return 0
    cowlinkTakeOver dedupAndInstallCargoArtifactsDir cowlinkCraneDedupAndInstall cowlinkDedupAndInstall
}

# crane's arguments: the destination, the target dir, the parent's target
# dir (/dev/null when there is none).
cowlinkDedupAndInstall() {
    local prev="${3:?prevCargoTargetDir not defined}"
    if [ -d "$prev" ]; then
        cowlinkSay "symlinking duplicates in $2 to $prev (cowlink dedup, one process)"
        "$cowlinkBin" dedup "$prev" "$2" || return 1
    fi
    cowlinkCraneDedupAndInstall "$1" "$2" /dev/null
}

if [ -n "${enableCowlink-}" ] || [ -n "${cowlinkInherit-}" ]; then
    preConfigurePhases+=(cowlinkOnPhase)
    preFixupPhases+=(cowlinkOffPhase)
    prePatchHooks+=(cowlinkOnAfterPatch)
    preConfigureHooks+=(cowlinkOnPhase)
    preBuildHooks+=(cowlinkOnPhase)
    preCheckHooks+=(cowlinkOnPhase)
    preInstallHooks+=(cowlinkOnPhase cowlinkTakeOverDedup)
    preFixupHooks+=(cowlinkOffPhase)
    if [ -z "${cowlinkInherit-}" ]; then
        cowlinkWarn "enableCowlink without cowlinkInherit: crane's own inheritance (copies, with deps/*.rlib and *.rmeta linked)"
    fi
elif [ -z "${IN_NIX_SHELL-}" ]; then
    # A dev shell gets the hook through inputsFrom without the flags: quiet.
    cowlinkWarn "the hook is in nativeBuildInputs but neither enableCowlink nor cowlinkInherit is set: inactive"
fi
if [ -n "${cowlinkInherit-}" ]; then
    prePatchHooks+=(cowlinkTakeOverInherit)
    preInstallHooks+=(cowlinkDropCargoLocks)
fi
