# crane with cowlink: copy this flake next to your Cargo.toml and point the
# `cowlink` input at wherever you get cowlink's sources from.
{
  inputs = {
    nixpkgs.url = "github:NixOS/nixpkgs/nixos-unstable";
    crane.url = "github:ipetkov/crane";
    cowlink = {
      url = "github:OWNER/cowlink"; # your copy of this repository
      flake = false;
    };
  };

  outputs = { nixpkgs, crane, cowlink, ... }:
    let
      system = "x86_64-linux";
      pkgs = nixpkgs.legacyPackages.${system};
      craneLib = crane.mkLib pkgs;
      cowlinkPkg = pkgs.callPackage "${cowlink}/examples/nix/default.nix" { };

      common = {
        src = craneLib.cleanCargoSource ./.;
        strictDeps = true;
      };

      # Dependencies once, kept as a plain target/ in the store (no tar.zst),
      # so that later builds can link to its files instead of copying them.
      cargoArtifacts = craneLib.buildDepsOnly (common // {
        installCargoArtifactsMode = "use-symlink";
      });

      # Everything that inherits those artifacts runs with cowlink: when cargo
      # rebuilds an inherited crate, the link becomes a private file instead
      # of "output file ... is not writeable".
      inheriting = common // {
        inherit cargoArtifacts;
        nativeBuildInputs = [ cowlinkPkg ];
        enableCowlink = true;
        # Link every inherited file, not only deps/*.rlib and *.rmeta.
        cowlinkInherit = true;
      };
    in
    {
      packages.${system}.default = craneLib.buildPackage inheriting;

      checks.${system} = {
        clippy = craneLib.cargoClippy (inheriting // {
          cargoClippyExtraArgs = "--all-targets -- --deny warnings";
        });
        nextest = craneLib.cargoNextest inheriting;
        doc = craneLib.cargoDoc inheriting;
      };
    };
}
