# For `nix flake check`: tests/nix's stand-in nixpkgs (pkgs.nix) as a
# flake.  Its inputs are nixpkgs' lib and stdenv directories, given with
# --override-input (run.sh): a flake input cannot name a path of its own.
{
  inputs.lib = {
    url = "path:/nonexistent";
    flake = false;
  };
  inputs.stdenv = {
    url = "path:/nonexistent";
    flake = false;
  };
  outputs =
    { lib, stdenv, ... }:
    let
      nixpkgsLib = import "${lib}/lib";
    in
    {
      lib = nixpkgsLib;
      legacyPackages = nixpkgsLib.genAttrs [ "x86_64-linux" "aarch64-linux" "x86_64-darwin" "aarch64-darwin" ] (
        s:
        import ../../pkgs.nix {
          nixpkgsLib = "${lib}";
          stdenvSrc = "${stdenv}";
          localSystem = s;
        }
      );
    };
}
