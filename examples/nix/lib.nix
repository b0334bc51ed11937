# cowlink.lib.enable: a crane lib with cowlink on, through crane's public
# overrideScope.  Every crane function builds with mkCargoDerivation, so
# wrapping it reaches them all:
#   - every derivation installs its target/ as links (use-symlink), which
#     children can link to (a target.tar.zst has no files to link to), and
#     gets the hook (from the build platform, as crane splices its own
#     hooks) with cowlinkElfChecks: nixpkgs' RPATH shrinking and audit
#     without a fork per ELF file of that target/;
#   - a derivation with cargoArtifacts also gets enableCowlink and
#     cowlinkInherit.
# A derivation opts out with enableCowlink = false (crane alone), keeps
# crane's inheritance with cowlinkInherit = false, nixpkgs' own ELF walks
# with cowlinkElfChecks = false, and keeps its own
# installCargoArtifactsMode if it sets one.  Where the build platform is not
# Linux, or is musl (cowlink does not build there yet), the crane lib comes
# back as it was, with one warning.
#   hookFor: pkgs -> the hook package to use for pkgs (flake.nix passes one
#   that prefers the overlay's cowlinkHook).
hookFor: craneLib:
let
  pkgs = craneLib.callPackage ({ pkgs }: pkgs) { };
  inherit (pkgs) lib;
  buildPlatform = pkgs.stdenv.buildPlatform;
  # The hook runs where the build runs: the build platform's package.
  hook = hookFor pkgs.pkgsBuildHost;
  # crane's inheritance, which the hook takes over, is its hook's shell
  # function; if crane no longer has that hook, cowlink cannot link.
  craneHasInheritHook = craneLib ? inheritCargoArtifactsHook;

  withCowlink =
    args:
    if (args.enableCowlink or true) == false then
      args
    else
      args
      // {
        installCargoArtifactsMode = args.installCargoArtifactsMode or "use-symlink";
        nativeBuildInputs = (args.nativeBuildInputs or [ ]) ++ [ hook ];
        # nixpkgs' patchelf and audit-tmpdir hooks fork four times per ELF
        # file, and a deps target/ holds many (build scripts, proc macros,
        # -sys crates' objects): the hook makes their checks with one
        # readelf per output.
        cowlinkElfChecks = args.cowlinkElfChecks or true;
      }
      // lib.optionalAttrs ((args.cargoArtifacts or null) != null) {
        enableCowlink = true;
        cowlinkInherit = args.cowlinkInherit or true;
        # nixpkgs' no-broken-symlinks and make-symlinks-relative fork per
        # link, and an installed target/ is one link per inherited file
        # (32 s of fixup on 6,398 links): the hook makes the same checks
        # in one pass each, unless the derivation turned them off itself.
        # (Both are read when the hooks are sourced: attributes, not hook
        # code.)
        dontCheckForBrokenSymlinks = true;
        dontRewriteSymlinks = true;
        cowlinkCheckLinks = !(args ? dontCheckForBrokenSymlinks);
        cowlinkRelativeLinks = !(args ? dontRewriteSymlinks);
      };
in
if !buildPlatform.isLinux then
  lib.warn "cowlink: the build platform ${buildPlatform.system} is not Linux: crane runs without cowlink" craneLib
else if buildPlatform.isMusl then
  lib.warn "cowlink: the build platform ${buildPlatform.config} is musl, where cowlink does not build yet: crane runs without cowlink" craneLib
else
  lib.warnIf (!craneHasInheritHook)
    "cowlink: this crane has no inheritCargoArtifactsHook (renamed or moved?): cowlink cannot take over its inheritance, and links nothing"
    (
      craneLib.overrideScope (
        _final: prev: {
          mkCargoDerivation = args: prev.mkCargoDerivation (withCowlink args);
        }
      )
    )
