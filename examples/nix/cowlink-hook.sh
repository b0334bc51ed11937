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
#   cowlinkElfChecks = true; fixup makes nixpkgs' patchelf and audit-tmpdir
#                           checks with one readelf per output (below); on
#                           its own (lib.enable's deps), the library is off
#
# doNotLinkInheritedArtifacts (crane's deep copy, e.g. for cargoTarpaulin)
# and artifacts installed as target.tar.zst still go through crane's own
# function.  Every decision is one line starting "cowlink:" in the build
# log (`nix log`).

cowlinkLib=@cowlinkLib@
cowlinkBin=@cowlinkBin@

cowlinkSay() { echo "cowlink: $*" >&2; }
cowlinkWarn() { echo "cowlink: WARNING: $*" >&2; }

# The build's own outputs, absolute and colon-separated, for the library
# (it leaves writes there alone and refuses other writes into the store).
# With __structuredAttrs, `outputs` is an associative array, name -> path.
cowlinkOutputs() {
    local o list=""
    if [[ "$(declare -p outputs 2>/dev/null)" == "declare -A"* ]]; then
        for o in "${outputs[@]}"; do
            list="${list:+$list:}$o"
        done
    else
        for o in ${outputs:-out}; do
            [ -n "${!o-}" ] && list="${list:+$list:}${!o}"
        done
    fi
    echo "$list"
}

# On in a phase of its own before configure, off in one before fixup: the
# configure, build, check and install phases, with their pre/post hooks and
# every process they start (cargo, rustc, build scripts, and the test
# binaries `cargo test` runs), have the library; unpack, patch (crane's
# inheritance) and fixup do not need it.  A derivation that sets `phases`
# itself must list cowlinkOnPhase and cowlinkOffPhase.
cowlinkOnPhase() {
    case " ${LD_PRELOAD-} " in
    *" $cowlinkLib "*) return ;;
    esac
    cowlinkSavedPreload="${LD_PRELOAD-}"
    export COWLINK_STORE="${NIX_STORE:-/nix/store}"
    COWLINK_OUTPUTS=$(cowlinkOutputs)
    export COWLINK_OUTPUTS
    export LD_PRELOAD="$cowlinkLib${LD_PRELOAD:+ $LD_PRELOAD}"
    cowlinkSay "active from configure to install: $cowlinkLib in LD_PRELOAD, store $COWLINK_STORE, outputs $COWLINK_OUTPUTS"
}

cowlinkOffPhase() {
    if [ -n "${cowlinkSavedPreload-}" ]; then
        export LD_PRELOAD="$cowlinkSavedPreload"
    else
        unset LD_PRELOAD
    fi
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
cowlinkInheritCargoArtifacts() {
    local from="${1:-${cargoArtifacts:?not defined}}"
    local to="${2:-${CARGO_TARGET_DIR:-target}}"
    if [ -n "${doNotLinkInheritedArtifacts-}" ]; then
        cowlinkSay "doNotLinkInheritedArtifacts is set: crane's deep copy"
        cowlinkCraneInheritCargoArtifacts "$@"
    elif [ -f "$from/target.tar.zst" ] || [ -f "$from" ]; then
        cowlinkWarn "$from is a target.tar.zst (installCargoArtifactsMode use-zstd): nothing to link to, crane unpacks a copy; install the parent with installCargoArtifactsMode = \"use-symlink\""
        cowlinkCraneInheritCargoArtifacts "$@"
    elif [ -d "$from/target" ]; then
        cowlinkLink "$from/target" "$to"
    elif [ -d "$from" ]; then
        cowlinkLink "$from" "$to"
    else
        cowlinkCraneInheritCargoArtifacts "$@"
    fi
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
    if ! declare -F cowlinkCraneInheritCargoArtifacts >/dev/null; then
        eval "$(declare -f inheritCargoArtifacts |
            sed '1s/^inheritCargoArtifacts/cowlinkCraneInheritCargoArtifacts/')"
    fi
    inheritCargoArtifacts() { cowlinkInheritCargoArtifacts "$@"; }
}

# cargo's lock files are not artifacts (cowlink inherit leaves them out),
# but cargo makes them again at every build: with the new build-dir layout
# and fine-grain locking one empty `.lock` per unit it touches.  Left in
# the target dir, crane's use-symlink install compares each with its
# parent's and links it, a `cmp` and an `ln` per file (560 files, 7.6 s,
# in bench-scale's clippy check).  Before the install, in one find: only
# empty files, where cargo puts them.
cowlinkDropCargoLocks() {
    local t="${CARGO_TARGET_DIR:-target}"
    [ -d "$t" ] || return 0
    find "$t" -type f -empty \( -name '.cargo*lock' -o -regex '.*/build/[^/]*/[^/]*/\.lock' \) -delete
}

# nixpkgs' no-broken-symlinks, in one find per output: a link into
# $TMPDIR, or one into the store (or relative) that resolves to nothing or
# to itself, fails the build; links outside the store are not judged.
cowlinkCheckLinksInAllOutputs() {
    local o bad
    for o in $(getAllOutputNames); do
        [ -e "${!o}" ] || continue
        bad=$(find "${!o}" -type l \( -lname "$TMPDIR/*" -o \
            \( \( ! -lname '/*' -o -lname "$NIX_STORE/*" \) -xtype l \) \) -printf '%p -> %l\n')
        [ -z "$bad" ] || { echo "$bad" >&2; cowlinkSay "broken symlinks in ${!o} (as nixpkgs' no-broken-symlinks would say)"; exit 1; }
    done
}

# nixpkgs' make-symlinks-relative, for the links it would change only: an
# absolute link into its own output becomes relative.
cowlinkRelativeLinksInAllOutputs() {
    local o
    for o in $(getAllOutputNames); do
        [ -e "${!o}" ] || continue
        find "${!o}" -type l -lname "${!o}/*" -printf '%l\0%p\0' | xargs -0 -n2 -r ln -snrf
    done
}
[ -z "${cowlinkCheckLinks-}" ] || postFixupHooks+=(cowlinkCheckLinksInAllOutputs)
[ -z "${cowlinkRelativeLinks-}" ] || postFixupHooks+=(cowlinkRelativeLinksInAllOutputs)

# nixpkgs' patchelf hook (shrink every ELF file's RPATH) and audit-tmpdir
# (no RPATH into $TMPDIR) each walk the output and fork per ELF file, four
# processes in all: an installed target/ holds many (149 in bench-scale's
# deps: build scripts, proc macros, the objects of -sys crates).  Only a file with an RPATH or
# RUNPATH can shrink or name $TMPDIR, and readelf (any ELF, any machine)
# lists them in one process per output: patchelf runs on those alone, the
# same checks in the same order.
# Decided when fixup starts (the hooks read their variables then), only
# for what the derivation did not turn off itself.
cowlinkElfPlan() {
    command -v "${READELF:-readelf}" >/dev/null && command -v patchelf >/dev/null || {
        cowlinkSay "no readelf or patchelf: nixpkgs' own ELF walks run"
        return 0
    }
    [ -n "${dontPatchELF-}" ] || cowlinkShrink=1
    [ -n "${noAuditTmpdir-}" ] || cowlinkAudit=1
    dontPatchELF=1 noAuditTmpdir=1
    fixupOutputHooks+=('cowlinkElfInOutput "$prefix"')
}

# cowlinkRpaths FILE...: "file<TAB>rpath" for each file with one.
# (/dev/null first: readelf names each file only when given several.)
cowlinkRpaths() {
    printf '%s\0' "$@" | xargs -0 -r "${READELF:-readelf}" -d -W /dev/null 2>/dev/null |
        awk '/^File: / {f = substr($0, 7)}
             $2 == "(RPATH)" || $2 == "(RUNPATH)" {r = substr($0, index($0, "[") + 1); print f "\t" substr(r, 1, length(r) - 1)}'
}

cowlinkElfInOutput() {
    local dir=$1 f elf=() scripts=() withRpath=() rpath
    [ -e "$dir" ] || return 0
    while IFS= read -r -d $'\0' f; do
        if isELF "$f"; then
            elf+=("$f")
        elif [ -e "${f%/*}/.${f##*/}-wrapped" ] && isScript "$f"; then
            scripts+=("$f")
        fi
    done < <(find "$dir" -type f -not -path '*/.build-id/*' -print0)
    case "${elf[*]}" in *$'\n'* | *$'\t'*)
        # readelf's lines cannot name such a file: nixpkgs' own walks.
        [ -z "${cowlinkShrink-}" ] || patchELF "$dir"
        [ -z "${cowlinkAudit-}" ] || auditTmpdir "$dir"
        return ;;
    esac
    while IFS=$'\t' read -r f rpath; do
        withRpath+=("$f")
    done < <(cowlinkRpaths ${elf[@]+"${elf[@]}"})
    if [ -n "${cowlinkShrink-}" ]; then
        echo "shrinking RPATHs of ELF executables and libraries in $dir (cowlink: the ${#withRpath[@]} with one)"
        for f in ${withRpath[@]+"${withRpath[@]}"}; do
            [[ "$f" =~ .build-id ]] && continue
            echo "shrinking $f"
            patchelf --shrink-rpath "$f" || true
        done
    fi
    [ -n "${cowlinkAudit-}" ] || return 0
    echo "checking for references to $TMPDIR/ in $dir (cowlink: the RPATHs left)"
    while IFS=$'\t' read -r f rpath; do
        case ":$rpath" in *":$TMPDIR/"*)
            echo "RPATH of binary $f contains a forbidden reference to $TMPDIR/"
            echo "Some binaries contain forbidden references to $TMPDIR/. Check the error above!"
            exit 1 ;;
        esac
    done < <(cowlinkRpaths ${withRpath[@]+"${withRpath[@]}"})
    for f in ${scripts[@]+"${scripts[@]}"}; do
        if grep -q -F "$TMPDIR/" "$f"; then
            echo "wrapper script $f contains a forbidden reference to $TMPDIR/"
            echo "Some scripts contain forbidden references to $TMPDIR/. Check the error above!"
            exit 1
        fi
    done
}
[ -z "${cowlinkElfChecks-}" ] || preFixupHooks+=(cowlinkElfPlan)

if [ -n "${enableCowlink-}" ] || [ -n "${cowlinkInherit-}" ]; then
    preConfigurePhases+=(cowlinkOnPhase)
    preFixupPhases+=(cowlinkOffPhase)
    if [ -z "${cowlinkInherit-}" ]; then
        cowlinkWarn "enableCowlink without cowlinkInherit: crane's own inheritance (copies, with deps/*.rlib and *.rmeta linked)"
    fi
elif [ -z "${IN_NIX_SHELL-}" ] && [ -z "${cowlinkElfChecks-}" ]; then
    # (cowlinkElfChecks alone: lib.enable's deps, which inherit nothing.)
    # A dev shell gets the hook through inputsFrom without the flags: quiet.
    cowlinkWarn "the hook is in nativeBuildInputs but neither enableCowlink nor cowlinkInherit is set: inactive"
fi
if [ -n "${cowlinkInherit-}" ]; then
    prePatchHooks+=(cowlinkTakeOverInherit)
    preInstallHooks+=(cowlinkDropCargoLocks)
fi
