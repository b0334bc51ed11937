# shellcheck shell=bash
# cowlink's Nix setup hook.  Sourced by stdenv when cowlink is in a
# derivation's nativeBuildInputs; does nothing unless the derivation asks:
#
#   enableCowlink = true;   the configure, build, check and install phases
#                           (where cargo writes into target/) run with
#                           libcowlink.so first in LD_PRELOAD, for the store
#                           in NIX_STORE; unpack, patch and fixup do not
#   cowlinkInherit = true;  crane's inheritCargoArtifacts is replaced by
#                           `cowlink inherit`: every file of the inherited
#                           target/ becomes a link (implies enableCowlink)
#
# doNotLinkInheritedArtifacts (crane's deep copy, e.g. for cargoTarpaulin)
# and artifacts installed as target.tar.zst still go through crane's own
# function.

cowlinkLib=@out@/lib/libcowlink.so
cowlinkBin=@out@/bin/cowlink

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
    export LD_PRELOAD="$cowlinkLib${LD_PRELOAD:+ $LD_PRELOAD}"
}

cowlinkOffPhase() {
    if [ -n "${cowlinkSavedPreload-}" ]; then
        export LD_PRELOAD="$cowlinkSavedPreload"
    else
        unset LD_PRELOAD
    fi
}

# Same arguments as crane's function: the artifacts (default
# $cargoArtifacts) and the target dir (default $CARGO_TARGET_DIR or target).
cowlinkInheritCargoArtifacts() {
    local from="${1:-${cargoArtifacts:?not defined}}"
    local to="${2:-${CARGO_TARGET_DIR:-target}}"
    if [ -n "${doNotLinkInheritedArtifacts-}" ]; then
        # Asked for a deep copy: crane's own way it is.
        cowlinkCraneInheritCargoArtifacts "$@"
    elif [ -d "$from/target" ]; then
        echo "cowlink: linking cargo artifacts from $from/target into $to"
        "$cowlinkBin" inherit "$from/target" "$to"
    elif [ -d "$from" ] && [ ! -f "$from/target.tar.zst" ]; then
        echo "cowlink: linking cargo artifacts from $from into $to"
        "$cowlinkBin" inherit "$from" "$to"
    else
        # A tar.zst has no files to link to: crane's own way it is.
        cowlinkCraneInheritCargoArtifacts "$@"
    fi
}

# crane registers `inheritCargoArtifacts` as a post-patch hook when its own
# hook is sourced, which may be after this one.  By the time the patch
# phase starts every hook is in place, so take its name then, keeping
# crane's function as cowlinkCraneInheritCargoArtifacts.
cowlinkTakeOverInherit() {
    if declare -F inheritCargoArtifacts >/dev/null &&
        ! declare -F cowlinkCraneInheritCargoArtifacts >/dev/null; then
        eval "$(declare -f inheritCargoArtifacts |
            sed '1s/^inheritCargoArtifacts/cowlinkCraneInheritCargoArtifacts/')"
    fi
    inheritCargoArtifacts() { cowlinkInheritCargoArtifacts "$@"; }
}

if [ -n "${enableCowlink-}" ] || [ -n "${cowlinkInherit-}" ]; then
    preConfigurePhases+=(cowlinkOnPhase)
    preFixupPhases+=(cowlinkOffPhase)
fi
if [ -n "${cowlinkInherit-}" ]; then
    prePatchHooks+=(cowlinkTakeOverInherit)
fi
