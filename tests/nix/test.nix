# What run.sh builds.  examples/nix/flake.nix's `outputs`, called with
# stand-in inputs (nixpkgs = pkgs.nix over nixpkgs' lib and setup.sh,
# crane = crane's own mkLib, cowlink = a clean copy of this checkout), for
# the crate in appSrc (app/ with the flake copied next to its Cargo.toml);
# then the triggers, each without cowlink and with the flake's settings.
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
  pkgs = import ./pkgs.nix { inherit nixpkgsLib stdenvSrc rustBin round; };
  system = "x86_64-linux"; # what the flake template is written for
  vendorDir = import ./vendor.nix {
    inherit pkgs registry;
    lockFile = /. + appSrc + "/Cargo.lock";
  };

  # crane's mkLib, from its own flake, with the two scope attributes that
  # need the network replaced: vendorCargoDeps (downloads from crates.io)
  # gives the Debian crates instead, and craneUtils (built from crates newer
  # than Debian's) is crane-json2toml.py.
  craneUtils = pkgs.runCommand "crane-utils" { script = ./crane-json2toml.py; } ''
    mkdir -p $out/bin
    cp "$script" $out/bin/crane-json2toml
    chmod +x $out/bin/crane-json2toml
  '';
  # And mkDummySrc, crane's own, twice adapted.  Debian's Nix 2.8 hands
  # string paths such as ".../Cargo.toml/../src" to the kernel where newer
  # Nix normalizes them, so its code is evaluated with a readDir and a
  # pathExists that normalize first.  With Debian's rustc 1.63 its dummy
  # source is dummy-old-rustc.rs (crane's own `dummyrs` argument).
  normalize =
    p:
    let
      step = acc: x: if x == "" || x == "." then acc else if x == ".." then lib.init acc else acc ++ [ x ];
      parts = lib.splitString "/" (builtins.unsafeDiscardStringContext (toString p));
    in
    "/" + lib.concatStringsSep "/" (builtins.foldl' step [ ] parts);
  nix28 = builtins // {
    readDir = p: builtins.readDir (normalize p);
    pathExists = p: builtins.pathExists (normalize p);
  };
  inherit (pkgs) lib;
  crane.mkLib =
    p:
    (((import (/. + craneSrc + "/flake.nix")).outputs { }).mkLib p).overrideScope (
      final: _prev: {
        inherit craneUtils;
        vendorCargoDeps = _: vendorDir;
        mkDummySrc =
          args:
          final.callPackage (scopedImport { builtins = nix28; } (/. + craneSrc + "/lib/mkDummySrc.nix")) { } (
            lib.optionalAttrs (rustBin == "") { dummyrs = ./dummy-old-rustc.rs; } // args
          );
      }
    );

  cowlink = builtins.path {
    path = /. + cowlinkSrc;
    name = "source";
  };
  flake = (import (/. + appSrc + "/flake.nix")).outputs {
    self = flake;
    nixpkgs.legacyPackages.${system} = pkgs;
    inherit crane cowlink;
  };
  outputs = flake.packages.${system} // flake.checks.${system};

  # The same pieces the flake uses, for the triggers.
  craneLib = crane.mkLib pkgs;
  cowlinkPkg = pkgs.callPackage "${cowlink}/examples/nix/default.nix" { };
  deps = outputs.default.cargoArtifacts;
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
      nativeBuildInputs = (a.nativeBuildInputs or [ ]) ++ [ cowlinkPkg ];
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
  inherit cowlinkPkg deps staleDeps remapDeps;
  toolchain = pkgs.rustToolchain;
  flake = outputs;
  # The flake's derivations as crane alone builds them (no cowlink).
  crane = {
    default = craneLib.buildPackage (common // { cargoArtifacts = deps; });
    clippy = craneLib.cargoClippy (common // {
      cargoArtifacts = deps;
      cargoClippyExtraArgs = "--all-targets -- --deny warnings";
    });
    test = craneLib.cargoTest (common // { cargoArtifacts = deps; });
    doc = craneLib.cargoDoc (common // { cargoArtifacts = deps; });
  };
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
        # enableCowlink alone: crane's own inheritance, with the library.
        enableOnly = craneLib.buildPackage (common // watched // {
          cargoArtifacts = deps;
          nativeBuildInputs = common.nativeBuildInputs ++ [ cowlinkPkg ];
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
