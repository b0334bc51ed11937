# What run.sh builds and evaluates.  examples/nix/crane-quick-start's
# flake `outputs`, called with stand-in inputs (nixpkgs = pkgs.nix over
# nixpkgs' lib and setup.sh, per system; crane = crane's own mkLib;
# flake-utils = its eachDefaultSystem; cowlink = examples/nix/flake.nix's
# outputs, from a clean copy of this checkout), for the crate in appSrc
# (app/ with the flake copied next to its Cargo.toml); `eval`, what must
# hold on every system and across; then the triggers, each without
# cowlink and with the per-derivation attributes.
{
  nixpkgsLib,
  stdenvSrc,
  craneSrc,
  cowlinkSrc,
  appSrc,
  rustBin ? "",
  round ? "",
  registry ? "/usr/share/cargo/registry",
}:
let
  pkgsArgs = { inherit nixpkgsLib stdenvSrc rustBin round; };
  pkgs = import ./pkgs.nix pkgsArgs;
  system = builtins.currentSystem; # the one built
  # flake-utils' default systems, each a stand-in nixpkgs of its own
  # (derivations of other systems are evaluated, never built).
  systems = [
    "x86_64-linux"
    "aarch64-linux"
    "x86_64-darwin"
    "aarch64-darwin"
  ];
  nixpkgs = {
    inherit lib;
    legacyPackages = lib.genAttrs systems (
      s: if s == system then pkgs else import ./pkgs.nix (pkgsArgs // { localSystem = s; })
    );
  };
  flake-utils.lib = import ./flake-utils.nix;
  crane = import ./crane.nix {
    craneSrc = /. + craneSrc;
    inherit rustBin registry;
  };
  inherit (pkgs) lib;

  # cowlink's flake as `?dir=examples/nix` gives it: the whole checkout.
  cowlinkSource = builtins.path {
    path = /. + cowlinkSrc;
    name = "source";
  };
  cowlink = (import "${cowlinkSource}/examples/nix/flake.nix").outputs {
    self = cowlink;
    inherit nixpkgs;
  };
  appFlake =
    cowlinkInput:
    let
      self = (import (/. + appSrc + "/flake.nix")).outputs {
        inherit self nixpkgs crane flake-utils;
        cowlink = cowlinkInput;
      };
    in
    self;
  flake = appFlake cowlink;
  # The same flake with crane alone: cowlink's lib.enable does nothing.
  flakeCraneAlone = appFlake { lib.enable = craneLib: craneLib; };
  outputs = {
    inherit (flake.packages.${system}) default data;
    clippy = flake.checks.${system}.my-crate-clippy;
    test = flake.checks.${system}.my-crate-test;
    doc = flake.checks.${system}.my-crate-doc;
  };

  # The same pieces the flake uses, for the triggers.
  craneLib = crane.mkLib pkgs;
  cowlinkPkg = cowlink.packages.${system}.cowlink;
  cowlinkHook = cowlink.packages.${system}.cowlinkHook;
  cowlinkFixupHook = cowlink.packages.${system}.cowlinkFixupHook;
  enabled = cowlink.lib.enable craneLib;
  # The same lib through the entry point without flakes.
  enabledNoFlake = import "${cowlinkSource}/examples/nix/enable.nix" { inherit craneLib; };
  # What nixpkgs' stdenv sets from a derivation's attributes: every
  # attribute, with env's (make-derivation's checkedEnv).
  attrOf = d: n: d.${n} or (d.env.${n} or null);
  deps = outputs.default.cargoArtifacts;

  # What a system's flake outputs are, as derivation paths.
  drvPaths =
    f: s:
    lib.mapAttrs (_: d: d.drvPath) (
      f.checks.${s} // f.packages.${s} // { devShell = f.devShells.${s}.default; }
    );
  hooksOf = d: builtins.filter (i: (i.name or "") == "cowlink-hook") (d.nativeBuildInputs or [ ]);
  fixupHooksOf = d: builtins.filter (i: (i.name or "") == "cowlink-fixup-hook") (d.nativeBuildInputs or [ ]);
  # Has the hook, and every copy of it is `hook` (a dev shell gets one per
  # check).
  hasHook = hook: d: hooksOf d != [ ] && lib.all (h: h.outPath == hook.outPath) (hooksOf d);
  # Cross: aarch64-linux packages built on this machine (pkgsCross).
  crossPkgs = import ./pkgs.nix (pkgsArgs // { crossSystem = "aarch64-linux"; });
  crossCrane = cowlink.lib.enable (crane.mkLib crossPkgs);
  # musl as the build platform (nixpkgs' pkgsMusl).
  muslPkgs = import ./pkgs.nix (pkgsArgs // { localSystem = "x86_64-unknown-linux-musl"; });
  muslArgs = common // { cargoArtifacts = (crane.mkLib muslPkgs).buildDepsOnly common; };
  crossPackage = crossCrane.buildPackage (common // {
    cargoArtifacts = crossCrane.buildDepsOnly common;
  });
  common = {
    src = craneLib.cleanCargoSource (/. + appSrc);
    strictDeps = true;
    nativeBuildInputs = [ pkgs.pkg-config ];
  };
  # The flake's settings for derivations that inherit artifacts.
  withCowlink =
    a:
    a
    // {
      nativeBuildInputs = (a.nativeBuildInputs or [ ]) ++ [ cowlinkHook ];
      enableCowlink = true;
      cowlinkInherit = true;
      installCargoArtifactsMode = "use-symlink";
    };
  # A trigger: its build without cowlink (crane alone) and with it.
  trigger = f: {
    without = f (a: a);
    "with" = f withCowlink;
  };

  # never-fresh (feature `stale`) is in these deps, not in the flake's.
  staleArgs = common // {
    cargoExtraArgs = "--locked --features stale";
  };
  staleDeps = craneLib.buildDepsOnly (staleArgs // { installCargoArtifactsMode = "use-symlink"; });
  remapArgs = common // {
    nativeBuildInputs = common.nativeBuildInputs ++ [ craneLib.remapPathPrefixHook ];
    doRemapPathPrefix = true;
  };
  remapDeps = craneLib.buildDepsOnly (remapArgs // { installCargoArtifactsMode = "use-symlink"; });
  watched = {
    PKG_CONFIG_PATH = "/usr/local/lib/pkgconfig";
  };
in
{
  inherit cowlinkPkg cowlinkHook deps staleDeps remapDeps;
  # The package under musl: must refuse with its reason (run.sh).
  muslPackage = muslPkgs.callPackage "${cowlinkSource}/examples/nix/default.nix" { };
  # Evaluation only: each must be true (run.sh), and false with the
  # mutants of lib.nix run.sh makes.
  eval = {
    # On darwin cowlink steps aside: every output (checks, package, dev
    # shell) is the very derivation crane alone gives.
    darwin = lib.all (s: drvPaths flake s == drvPaths flakeCraneAlone s) [
      "aarch64-darwin"
      "x86_64-darwin"
    ];
    # One darwin system alone, for run.sh to count the warnings.
    darwinOne = drvPaths flake "aarch64-darwin" == drvPaths flakeCraneAlone "aarch64-darwin";
    # The same with the warning asked for (run.sh counts one).
    darwinWarn =
      drvPaths (appFlake (cowlink // { lib.enable = cowlink.lib.enableWith { warn = true; }; })) "aarch64-darwin"
      == drvPaths flakeCraneAlone "aarch64-darwin";
    # On Linux every inheriting derivation has the hook, the deps are
    # installed as links with the hook for its ELF checks alone, the dev
    # shell has the hook (from inputsFrom), and aarch64-linux evaluates
    # too.
    linux =
      lib.all (d: builtins.length (hooksOf d) == 1 && hasHook cowlinkHook d) (builtins.attrValues outputs)
      && outputs.default.enableCowlink && outputs.default.cowlinkInherit
      && deps.installCargoArtifactsMode == "use-symlink"
      && hooksOf deps == [ ] && builtins.length (fixupHooksOf deps) == 1 && deps.cowlinkElfChecks
      && !(deps ? enableCowlink)
      && hasHook cowlinkHook flake.devShells.${system}.default
      && builtins.length (hooksOf flake.packages.aarch64-linux.default) == 1;
    # The package one ships keeps nixpkgs' fixup: no link or ELF check of
    # cowlink's, nixpkgs' link hooks on; a check that installs an
    # inherited target/ has cowlink's one pass in their place.
    shipped =
      let
        pkg = outputs.default;
        test = outputs.test;
      in
      !(pkg ? dontCheckForBrokenSymlinks) && !(pkg ? dontRewriteSymlinks) && !(pkg ? cowlinkElfChecks)
      && fixupHooksOf pkg == [ ]
      && test.dontCheckForBrokenSymlinks && test.cowlinkCheckLinks && test.cowlinkRelativeLinks
      && test.cowlinkElfChecks && builtins.length (fixupHooksOf test) == 1;
    # Values, not presence: `dontCheckForBrokenSymlinks = false;` asks for
    # the check; lib.enable applied twice is applied once.
    values =
      let
        a = common // {
          cargoArtifacts = deps;
          dontCheckForBrokenSymlinks = false;
          dontRewriteSymlinks = true;
        };
        twice = cowlink.lib.enable enabled;
        t = enabled.cargoTest a;
      in
      t.cowlinkCheckLinks && !t.cowlinkRelativeLinks
      && (twice.cargoTest a).drvPath == t.drvPath
      && (twice.buildPackage (common // { cargoArtifacts = deps; })).drvPath
        == (enabled.buildPackage (common // { cargoArtifacts = deps; })).drvPath
      && builtins.length (hooksOf (twice.cargoTest a)) == 1;
    # Attributes kept in env (natural under structured attributes): read
    # there, set there, never twice (nixpkgs' make-derivation refuses a
    # name in both; the stand-in asserts as it does).
    env =
      let
        a = common // {
          cargoArtifacts = deps;
          __structuredAttrs = true;
          env = {
            installCargoArtifactsMode = "use-symlink";
            dontCheckForBrokenSymlinks = "1";
            cowlinkInherit = true;
          };
        };
        t = enabled.cargoTest a;
        r = builtins.tryEval t.drvPath;
      in
      r.success
      && attrOf t "dontCheckForBrokenSymlinks" == true && attrOf t "cowlinkCheckLinks" == false
      && attrOf t "installCargoArtifactsMode" == "use-symlink" && !(t ? installCargoArtifactsMode)
      && (builtins.tryEval (craneLib.cargoTest a).drvPath).success
      # (the stand-in refuses a name in both, as nixpkgs does)
      && !(builtins.tryEval (craneLib.cargoTest (a // { installCargoArtifactsMode = "use-symlink"; })).drvPath).success;
    # A child of a use-zstd parent (crane's default: cached deps, a parent
    # with cowlink off) follows its parent: crane's very derivation.
    zstdParent =
      let
        a = common // {
          cargoArtifacts = craneLib.buildDepsOnly common;
        };
      in
      (enabled.cargoTest a).drvPath == (craneLib.cargoTest a).drvPath
      && (enabled.buildPackage a).drvPath == (craneLib.buildPackage a).drvPath;
    # Without flakes: enable.nix gives the flake's derivations.
    noFlake =
      lib.all (f: (f enabledNoFlake).drvPath == (f enabled).drvPath) [
        (l: l.buildPackage (common // { cargoArtifacts = deps; }))
        (l: l.cargoTest (common // { cargoArtifacts = deps; }))
        (l: l.buildDepsOnly common)
      ];
    # The opt-outs: enableCowlink = false is crane alone; a mode of one's
    # own is kept.
    optOut =
      let
        enabled = cowlink.lib.enable craneLib;
        off = common // {
          cargoArtifacts = deps;
          enableCowlink = false;
        };
      in
      (enabled.buildPackage off).drvPath == (craneLib.buildPackage off).drvPath
      && (enabled.buildDepsOnly (common // { installCargoArtifactsMode = "use-zstd"; }))
        .installCargoArtifactsMode == "use-zstd"
      && (enabled.buildPackage (common // {
        cargoArtifacts = deps;
        cowlinkInherit = false;
      })).cowlinkInherit == false;
    # musl: the package refuses with its reason, and lib.enable steps aside
    # (crane's very derivation).
    # (The deps too: lib.enable would give them the fixup hook alone, which
    # builds anywhere; the package inherits from crane's own deps.)
    musl =
      let
        muslCrane = crane.mkLib muslPkgs;
        muslEnabled = cowlink.lib.enable muslCrane;
      in
      !(builtins.tryEval (muslPkgs.callPackage "${cowlinkSource}/examples/nix/default.nix" { }).drvPath).success
      && (muslEnabled.buildDepsOnly common).drvPath == (muslCrane.buildDepsOnly common).drvPath
      && (muslEnabled.buildPackage muslArgs).drvPath == (muslCrane.buildPackage muslArgs).drvPath;
    # Cross: the hook in the aarch64-linux package is the build
    # platform's (x86_64-linux), not the host's.
    cross =
      hasHook cowlinkHook crossPackage
      && cowlinkHook.drvPath != (crossPkgs.callPackage "${cowlinkSource}/examples/nix/hook.nix" {
        cowlink = crossPkgs.callPackage "${cowlinkSource}/examples/nix/default.nix" { };
      }).drvPath;
  };
  # The deps' derivation, which must not change when cowlink's library does
  # (run.sh evaluates it on a checkout whose preload/ differs).
  depsDrv = deps.drvPath;
  hookDrv = cowlinkHook.drvPath;
  toolchain = pkgs.rustToolchain;
  flake = outputs;
  # The flake's derivations as crane alone builds them (no cowlink).
  crane = {
    default = craneLib.buildPackage (common // { cargoArtifacts = deps; });
    # crane alone from end to end: its deps as crane installs them by
    # default (target.tar.zst), and cargoTest on them.
    zstdTest = flakeCraneAlone.checks.${system}.my-crate-test;
    zstdDeps = flakeCraneAlone.checks.${system}.my-crate-test.cargoArtifacts;
    # The flake's data package, crane alone (on the same deps as with cowlink).
    data = flakeCraneAlone.packages.${system}.data.overrideAttrs (_: { cargoArtifacts = deps; });
    clippy = craneLib.cargoClippy (common // {
      cargoArtifacts = deps;
      cargoClippyExtraArgs = "--all-targets -- --deny warnings";
    });
    test = craneLib.cargoTest (common // { cargoArtifacts = deps; });
    doc = craneLib.cargoDoc (common // { cargoArtifacts = deps; });
  };
  # Structured attributes (nixpkgs' config.structuredAttrsByDefault) and a
  # second output the install phase writes, as installManPage does: with
  # cowlink the library must leave $man alone, as it leaves $out.
  structured =
    let
      a = common // {
        cargoArtifacts = deps;
        __structuredAttrs = true;
        outputs = [
          "out"
          "man"
        ];
        postInstall = ''
          mkdir -p $man/share/man/man1
          echo '.TH NIXAPP 1' >$man/share/man/man1/nixapp.1
        '';
      };
    in
    {
      "with" = enabled.buildPackage a;
      crane = craneLib.buildPackage a;
    };
  # The env trigger with a phase list of the derivation's own (no
  # cowlinkOnPhase in it): the library must still be on where cargo runs.
  ownPhases = enabled.buildPackage (common // watched // {
    cargoArtifacts = deps;
    phases = [ "unpackPhase" "patchPhase" "configurePhase" "buildPhase" "checkPhase" "installPhase" "fixupPhase" ];
  });
  # What the triggered builds must print: a build that inherits nothing
  # (with never-fresh, whose line the others do not print).
  clean = craneLib.buildPackage (staleArgs // { cargoArtifacts = null; });
  triggers = {
    # libz-sys's build script (pkg-config) watches PKG_CONFIG_PATH, unset
    # in the deps.
    env = trigger (w: craneLib.buildPackage (w (common // watched // { cargoArtifacts = deps; })))
      // {
        # The same build with builders as root (run.sh): a distinct
        # derivation on the same deps.
        root = craneLib.buildPackage (withCowlink (common // watched // {
          cargoArtifacts = deps;
          buildersAreRoot = true;
        }));
        # With the README's way to see why cargo rebuilt (fingerprint log).
        withLog = craneLib.buildPackage (withCowlink (common // watched // {
          cargoArtifacts = deps;
          CARGO_LOG = "cargo::core::compiler::fingerprint=info";
        }));
        # enableCowlink alone: crane's own inheritance, with the library.
        enableOnly = craneLib.buildPackage (common // watched // {
          cargoArtifacts = deps;
          nativeBuildInputs = common.nativeBuildInputs ++ [ cowlinkHook ];
          enableCowlink = true;
        });
      };
    # never-fresh's build script watches a file that never exists.
    missing = trigger (w: craneLib.buildPackage (w (staleArgs // { cargoArtifacts = staleDeps; })));
    # crane's remapPathPrefixHook adds --remap-path-prefix to RUSTFLAGS, in
    # the deps and in the package, which adds a flag of its own.  Cargo
    # 1.85+ leaves such flags out of file names: every dependency is rebuilt
    # in place (older cargo never put flags in names).
    remap = trigger (w: craneLib.buildPackage (w (remapArgs // {
      cargoArtifacts = remapDeps;
      CARGO_BUILD_RUSTFLAGS = "-C force-frame-pointers=yes";
    })));
    # cargoBuild installs its target/ as links to the deps' files; the
    # package inherits it, with PKG_CONFIG_PATH changed.
    chain = trigger (w: craneLib.buildPackage (w (common // watched // {
      cargoArtifacts = craneLib.cargoBuild (w (common // {
        cargoArtifacts = deps;
        installCargoArtifactsMode = "use-symlink";
      }));
    })));
  };
}
