# cowlink.lib.enable: a crane lib with cowlink on, through crane's public
# overrideScope.  Every crane function builds with mkCargoDerivation, so
# wrapping it reaches them all; it steps in only where it must:
#   - a derivation with cargoArtifacts (a directory parent: one installed
#     as links, or a path) gets cowlink's hook with enableCowlink and
#     cowlinkInherit: its inherited target/ is all links, and a cargo
#     rebuild of an inherited file makes a private copy;
#   - a derivation that installs its target/ (doInstallCargoArtifacts)
#     installs it as links (use-symlink), which children can link to, and
#     gets cowlink's fixup hook (which names no library: a cowlink update
#     does not rebuild the deps) with cowlinkElfChecks; if it also
#     inherits, nixpkgs' per-link hooks are off and cowlink's one pass
#     makes their checks (cowlinkCheckLinks, cowlinkRelativeLinks);
#   - anything else (the package you ship: buildPackage, cargoDoc...)
#     keeps nixpkgs' own fixup, link and ELF checks;
#   - a child of a use-zstd parent (crane's default mode: a team's cached
#     deps, a parent with cowlink off) follows its parent: crane alone,
#     since a target.tar.zst has no files to link to.
# Attributes are read by value (false and "" are off, as the shell hooks
# read them) at the top level or in `env`, and set where the derivation
# keeps them (nixpkgs refuses a name in both).  A derivation opts out with
# enableCowlink = false (crane alone), keeps crane's inheritance with
# cowlinkInherit = false, nixpkgs' own ELF walks with cowlinkElfChecks =
# false, and its own installCargoArtifactsMode.  Applied twice (a team's
# wrapper and the user's call), it is applied once.  Where the build
# platform is not Linux, or is musl (cowlink does not build there yet),
# the crane lib comes back as it was, silently unless `warn = true`.
#   hooksFor: pkgs -> { hook, fixupHook } for pkgs (hooks-for.nix: the
#   overlay's when pkgs has them).
{
  hooksFor,
  warn ? false,
}:
craneLib:
let
  pkgs = craneLib.callPackage ({ pkgs }: pkgs) { };
  inherit (pkgs) lib;
  buildPlatform = pkgs.stdenv.buildPlatform;
  # The hooks run where the build runs: the build platform's packages.
  inherit (hooksFor pkgs.pkgsBuildHost) hook fixupHook;
  # crane's inheritance, which the hook takes over, is its hook's shell
  # function; if crane no longer has that hook, cowlink cannot link.
  craneHasInheritHook = craneLib ? inheritCargoArtifactsHook;
  ours = d: builtins.elem (d.name or "") [
    "cowlink-hook"
    "cowlink-fixup-hook"
  ];

  withCowlink =
    args:
    let
      env = args.env or { };
      # A value as the builder's shell sees it: set and not empty.
      isOn = v: !(v == null || v == false || v == "" || v == [ ]);
      get = name: default: args.${name} or (env.${name} or default);
      given = name: args ? ${name} || env ? ${name};
      # Attributes go where the derivation keeps them: in env if it has
      # them there, else at the top level.
      put =
        attrs:
        let
          inEnv = builtins.filter (n: env ? ${n}) (builtins.attrNames attrs);
        in
        builtins.removeAttrs attrs inEnv
        // lib.optionalAttrs (inEnv != [ ]) { env = env // lib.getAttrs inEnv attrs; };

      parent = args.cargoArtifacts or null;
      inherits = parent != null;
      # crane installs target.tar.zst unless told otherwise.
      parentMode =
        if lib.isDerivation parent then
          parent.installCargoArtifactsMode or (parent.env.installCargoArtifactsMode or "use-zstd")
        else
          "use-symlink";
      installs = isOn (get "doInstallCargoArtifacts" true);
      mode = get "installCargoArtifactsMode" "use-symlink";
      linksInstalled = inherits && installs && mode == "use-symlink";
      nativeBuildInputs = args.nativeBuildInputs or [ ];
    in
    if
      !isOn (get "enableCowlink" true)
      || lib.any ours nativeBuildInputs
      || (inherits && parentMode == "use-zstd")
      || !(inherits || installs)
    then
      args
    else
      args
      // {
        nativeBuildInputs =
          nativeBuildInputs ++ lib.optional inherits hook ++ lib.optional installs fixupHook;
      }
      // put (
        lib.optionalAttrs (installs && !given "installCargoArtifactsMode") {
          installCargoArtifactsMode = "use-symlink";
        }
        # nixpkgs' patchelf and audit-tmpdir hooks fork four times per ELF
        # file, and an installed target/ holds many (build scripts, proc
        # macros, -sys crates' objects).
        // lib.optionalAttrs installs { cowlinkElfChecks = get "cowlinkElfChecks" true; }
        // lib.optionalAttrs inherits {
          enableCowlink = true;
          cowlinkInherit = get "cowlinkInherit" true;
        }
        # nixpkgs' no-broken-symlinks and make-symlinks-relative fork per
        # link, and an installed target/ of inherited files is one link per
        # file (32 s of fixup on 6,398 links): one pass each, for what the
        # derivation did not turn off itself.  (Both are read when the hooks
        # are sourced: attributes, not hook code.)
        // lib.optionalAttrs linksInstalled {
          dontCheckForBrokenSymlinks = true;
          dontRewriteSymlinks = true;
          cowlinkCheckLinks = !isOn (get "dontCheckForBrokenSymlinks" false);
          cowlinkRelativeLinks = !isOn (get "dontRewriteSymlinks" false);
        }
      );

  stepAside = why: if warn then lib.warn "cowlink: ${why}: crane runs without cowlink" craneLib else craneLib;
in
if craneLib ? cowlinkEnabled then
  craneLib
else if !buildPlatform.isLinux then
  stepAside "the build platform ${buildPlatform.system} is not Linux"
else if buildPlatform.isMusl then
  stepAside "the build platform ${buildPlatform.config} is musl, where cowlink does not build yet"
else
  lib.warnIf (!craneHasInheritHook)
    "cowlink: this crane has no inheritCargoArtifactsHook (renamed or moved?): cowlink cannot take over its inheritance, and links nothing"
    (
      craneLib.overrideScope (
        _final: prev: {
          cowlinkEnabled = true;
          mkCargoDerivation = args: prev.mkCargoDerivation (withCowlink args);
        }
      )
    )
