# cowlink's two hooks for a package set: the overlay's (cowlinkHook,
# cowlinkFixupHook) when pkgs has them, else built for pkgs from this
# directory.  lib.nix takes them from the build platform's set.
pkgs: {
  hook =
    pkgs.cowlinkHook or (pkgs.callPackage ./hook.nix {
      cowlink = pkgs.callPackage ./default.nix { };
    });
  fixupHook = pkgs.cowlinkFixupHook or (pkgs.callPackage ./fixup-hook.nix { });
}
