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
        # What your crates' build scripts run (add buildInputs for the C
        # libraries your -sys crates link).
        nativeBuildInputs = [ pkgs.pkg-config ];
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
        nativeBuildInputs = common.nativeBuildInputs ++ [ cowlinkPkg ];
        enableCowlink = true;
        # Link every inherited file, not only deps/*.rlib and *.rmeta.
        cowlinkInherit = true;
        # Checks that install their target/ (clippy and nextest do by
        # default) install it as links too: a tar.zst child of a linked
        # parent would archive only the files it wrote, and lose the rest.
        installCargoArtifactsMode = "use-symlink";
      };
    in
    {
      packages.${system}.default = craneLib.buildPackage inheriting;

      checks.${system} = {
        clippy = craneLib.cargoClippy (inheriting // {
          cargoClippyExtraArgs = "--all-targets -- --deny warnings";
        });
        test = craneLib.cargoTest inheriting;
        nextest = craneLib.cargoNextest inheriting;
        doc = craneLib.cargoDoc inheriting;
      };
    };
}
