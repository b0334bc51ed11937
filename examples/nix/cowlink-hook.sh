# cowlink's Nix setup hook.  Sourced by stdenv when cowlink is in a
# derivation's nativeBuildInputs; does nothing unless the derivation asks:
#
#   enableCowlink = true;   the builder and every process it starts run with
#                           libcowlink.so first in LD_PRELOAD (what was there
#                           is kept after it), for the store in NIX_STORE
#   cowlinkInherit = true;  crane's inheritCargoArtifacts is replaced by
#                           `cowlink inherit`: every file of the inherited
#                           target/ becomes a link (implies enableCowlink)

cowlinkLib=@out@/lib/libcowlink.so
cowlinkBin=@out@/bin/cowlink

cowlinkEnable() {
    export COWLINK_STORE="${NIX_STORE:-/nix/store}"
    case " ${LD_PRELOAD-} " in
    *" $cowlinkLib "*) ;;
    *) export LD_PRELOAD="$cowlinkLib${LD_PRELOAD:+ $LD_PRELOAD}" ;;
    esac
}

# Same arguments as crane's function: the artifacts (default
# $cargoArtifacts) and the target dir (default $CARGO_TARGET_DIR or target).
cowlinkInheritCargoArtifacts() {
    local from="${1:-${cargoArtifacts:?not defined}}"
    local to="${2:-${CARGO_TARGET_DIR:-target}}"
    if [ -d "$from/target" ]; then
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
# crane's function as cowlinkCraneInheritCargoArtifacts for tar.zst.
cowlinkTakeOverInherit() {
    if declare -F inheritCargoArtifacts >/dev/null &&
        ! declare -F cowlinkCraneInheritCargoArtifacts >/dev/null; then
        eval "$(declare -f inheritCargoArtifacts |
            sed '1s/^inheritCargoArtifacts/cowlinkCraneInheritCargoArtifacts/')"
    fi
    inheritCargoArtifacts() { cowlinkInheritCargoArtifacts "$@"; }
}

if [ -n "${enableCowlink-}" ] || [ -n "${cowlinkInherit-}" ]; then
    cowlinkEnable
fi
if [ -n "${cowlinkInherit-}" ]; then
    prePatchHooks+=(cowlinkTakeOverInherit)
fi
