# cowlink as a flake.  It lives here, not at the top of the repository, so
# the top level stays a plain C project (no flake.lock, no Nix files to
# keep in step); `?dir=examples/nix` still makes the whole repository the
# flake's source, which the package builds from (default.nix reads ../..):
#
#   inputs.cowlink.url = "github:OWNER/cowlink?dir=examples/nix";
#   craneLib = cowlink.lib.enable (crane.mkLib pkgs);
{
  description = "cowlink: symlinks into the Nix store, copy-on-write, for crane";

  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-unstable";

  outputs =
    { self, nixpkgs }:
    let
      inherit (nixpkgs) lib;
      # The library is Linux's (LD_PRELOAD, the dynamic loader's).
      systems = [
        "x86_64-linux"
        "aarch64-linux"
      ];
    in
    {
      overlays.default = final: _prev: {
        cowlink = final.callPackage ./default.nix { };
        cowlinkHook = final.callPackage ./hook.nix { };
        cowlinkFixupHook = final.callPackage ./fixup-hook.nix { };
      };

      packages = lib.genAttrs systems (
        system:
        let
          pkgs = nixpkgs.legacyPackages.${system};
        in
        rec {
          cowlink = pkgs.callPackage ./default.nix { };
          cowlinkHook = pkgs.callPackage ./hook.nix { inherit cowlink; };
          cowlinkFixupHook = pkgs.callPackage ./fixup-hook.nix { };
          default = cowlink;
        }
      );

      # crane lib -> crane lib with cowlink on; enableWith { warn = true; }
      # also says where it steps aside (darwin, musl).
      lib.enable = import ./lib.nix { hooksFor = import ./hooks-for.nix; };
      lib.enableWith = opts: import ./lib.nix ({ hooksFor = import ./hooks-for.nix; } // opts);
    };
}
