# What bench-scale builds: the workspace gen.sh writes (src), as crane's
# quick-start flake builds it (deps once; then clippy, test, doc and the
# package, each inheriting the deps), per strategy:
#   zstd     crane's default: deps installed as target.tar.zst
#   symlink  crane's use-symlink: deps installed as links, inherited by link
#   cowlink  cowlink.lib.enable (examples/nix): the one-line adoption
#   copy     use-symlink deps, doNotLinkInheritedArtifacts (a deep copy)
# On tests/nix's harness: crane's own mkLib (crane.nix), the stand-in
# nixpkgs over nixpkgs' setup.sh and default setup hooks (pkgs.nix),
# cowlink's flake from a clean copy of the checkout.
#   nix-build scale.nix -A STRATEGY.CHECK   (CHECK: deps clippy test doc package)
# env = true sets a variable libz-sys's build script watches and the deps
# were built without: the checks rebuild libz-sys and what depends on it.
# newLayout = true: every cargo command with cargo's new build-dir layout
# (the default from cargo 1.100) and fine-grain locking; rustBin must be a
# nightly's (nightly.sh).
{
  nixpkgsLib,
  stdenvSrc,
  craneSrc,
  cowlinkSrc,
  src,
  rustBin ? "",
  registry ? "/usr/share/cargo/registry",
  env ? false,
  newLayout ? false,
}:
let
  pkgs = import ../../nix/pkgs.nix { inherit nixpkgsLib stdenvSrc rustBin; };
  inherit (pkgs) lib;
  system = builtins.currentSystem;
  crane = import ../../nix/crane.nix {
    craneSrc = /. + craneSrc;
    inherit rustBin registry;
  };
  craneLib = crane.mkLib pkgs;
  cowlinkSource = builtins.path {
    path = /. + cowlinkSrc;
    name = "source";
  };
  cowlink = (import "${cowlinkSource}/examples/nix/flake.nix").outputs {
    self = cowlink;
    nixpkgs = {
      inherit lib;
      legacyPackages.${system} = pkgs;
    };
  };

  common = {
    pname = "scale";
    version = "0.1.0";
    src = craneLib.cleanCargoSource (/. + src);
    strictDeps = true;
    nativeBuildInputs = [ pkgs.pkg-config ];
  }
  // lib.optionalAttrs newLayout {
    CARGO_UNSTABLE_BUILD_DIR_NEW_LAYOUT = "true";
    CARGO_UNSTABLE_FINE_GRAIN_LOCKING = "true";
  };
  # In the checks only: the deps were built without it.
  watched = lib.optionalAttrs env { LIBZ_SYS_STATIC = "1"; };

  # The quick-start flake's checks and package on deps, with crane lib l.
  flow =
    l: deps: extra':
    let
      extra = watched // extra';
    in
    {
      inherit deps;
      clippy = l.cargoClippy (common // extra // {
        cargoArtifacts = deps;
        cargoClippyExtraArgs = "--all-targets";
      });
      test = l.cargoTest (common // extra // { cargoArtifacts = deps; });
      doc = l.cargoDoc (common // extra // { cargoArtifacts = deps; });
      package = l.buildPackage (common // extra // { cargoArtifacts = deps; });
    };
  depsOf = l: mode: l.buildDepsOnly (common // { installCargoArtifactsMode = mode; });
  symlinkDeps = depsOf craneLib "use-symlink";
  withCowlink = cowlink.lib.enable craneLib;
in
{
  # Built before the timings, as a user's cache would have it.
  cowlinkHook = cowlink.packages.${system}.cowlinkHook;
  zstd = flow craneLib (depsOf craneLib "use-zstd") { };
  # Every derivation installs its target/ as links (as lib.enable does),
  # not only the deps.
  symlink = flow craneLib symlinkDeps { installCargoArtifactsMode = "use-symlink"; };
  # lib.enable's deps are crane's use-symlink deps with cowlink's hook for
  # its ELF checks (cowlinkElfChecks) in place of nixpkgs' walks.
  cowlink = flow withCowlink (withCowlink.buildDepsOnly common) { };
  copy = flow craneLib symlinkDeps {
    installCargoArtifactsMode = "use-symlink";
    doNotLinkInheritedArtifacts = true;
  };
}
