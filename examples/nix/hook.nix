# cowlink's setup hook as a hook-only package: its output is
# nix-support/setup-hook alone, naming the library and the command of
# `cowlink` by store path, so a derivation that lists it in
# nativeBuildInputs gets no bin/ or share/ in PATH or XDG_DATA_DIRS (crane
# warns that such differences make build scripts rerun).  Take it from the
# build platform (pkgsBuildHost): the hook runs on the machine that builds.
{
  lib,
  makeSetupHook,
  cowlink,
}:

makeSetupHook {
  name = "cowlink-hook";
  substitutions = {
    # $PLATFORM is the loader's, expanded per program: a 32-bit program of
    # an x86_64 build gets the empty library of its platform (stub.c).
    cowlinkLib = "${cowlink}/lib/cowlink/$PLATFORM/libcowlink.so";
    cowlinkBin = lib.getExe cowlink;
  };
} ./cowlink-hook.sh
