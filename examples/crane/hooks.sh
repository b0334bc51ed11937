# crane's own use-symlink install and inheritance: its setup hooks
# (lib/setupHooks/installCargoArtifactsHook.sh and
# inheritCargoArtifactsHook.sh) sourced from CRANE_SRC in a subshell, and
# their functions called as crane's derivations call them (sourced by
# lib.sh; same arguments as model.sh's functions).

crane_hooks() {
    (
        set +u # crane's hooks run in Nix's stdenv, which tolerates unset variables here
        export NIX_BUILD_CORES; NIX_BUILD_CORES=$(nproc)
        doNotLinkInheritedArtifacts=
        cargoArtifacts=
        installCargoArtifactsMode=use-symlink
        # shellcheck disable=SC1091
        source "$CRANE_SRC/lib/setupHooks/installCargoArtifactsHook.sh"
        # shellcheck disable=SC1091
        source "$CRANE_SRC/lib/setupHooks/inheritCargoArtifactsHook.sh"
        "$@"
    )
}

# crane_install OUT TARGET [PARENT]: buildDepsOnly's installPhase.
crane_install() { crane_hooks prepareAndInstallCargoArtifactsDir "$1" "$2" use-symlink "${3:-}"; }

# crane_inherit ARTIFACTS DEST: the postPatch hook of a derivation whose
# cargoArtifacts is ARTIFACTS (it runs in the source dir, where crane
# leaves its list of link candidates).
crane_inherit() { crane_hooks inheritCargoArtifacts "$1" "$2"; }
