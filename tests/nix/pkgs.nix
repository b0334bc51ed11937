# A stand-in for the rest of nixpkgs, as small as crane and cowlink's
# package need.  Real: nixpkgs' lib, nixpkgs' setup.sh (setup-late2024)
# and default-builder.sh, which every mkDerivation here runs (genericBuild,
# its phases and hook order), and nixpkgs' default setup hooks in stdenv's
# order (multiple-outputs, patchelf, audit-tmpdir, patch-shebangs, strip,
# no-broken-symlinks...: the fixup every output goes through).  Stand-in
# (the whole list, also in README.md):
#   stdenv          mkDerivation turns its arguments into a `derivation`
#                   whose builder is setup.sh's genericBuild, over the
#                   host's tools (initialPath = one store path of links to
#                   Debian's coreutils, findutils, make, gcc, patchelf...,
#                   and sh as bash), as nixpkgs' "native" stdenv does;
#                   STRIP and RANLIB exported as the bintools wrapper's hook
#                   does; outputs other than `out` are not modelled
#   makeSetupHook, runCommand, writeText: the same shape as nixpkgs' (made
#                   with this mkDerivation and setup.sh's `substitute`)
#   callPackage, newScope: lib.callPackageWith over this set
#   makeScopeWithSplicing', splicePackages: no splicing
#   pkgsBuildBuild, pkgsBuildHost, buildPackages: this set natively; with
#                   crossSystem, this set for localSystem (what nixpkgs'
#                   pkgsCross gives: the build platform's packages)
#   mkShell         nixpkgs' merging of inputsFrom and packages
#   meta.platforms  checked as nixpkgs' check-meta does: a derivation not
#                   available on the host platform throws when evaluated
#   localSystem, crossSystem: derivations of another system (darwin, or a
#                   cross host) are evaluated only, never built
#   cargo, rustc (with rustdoc), clippy, rustfmt: links into
#                   `rust-toolchain`, a store copy of Debian's toolchain or
#                   of the one in rustBin
#   rsync, zstd, jq, pkg-config, python3: links to Debian's programs
#   libiconv, cargo-nextest, cargo-llvm-cov, darwin.signingUtils,
#   qemu-user: empty (evaluated, not built)
args@{
  nixpkgsLib, # a directory holding nixpkgs' lib/
  stdenvSrc, # a directory holding nixpkgs' setup.sh and default-builder.sh
  rustBin ? "", # bin/ of a toolchain to copy into the store; "" = Debian's
  round ? "", # changes every derivation's hash: a fresh build each run
  localSystem ? builtins.currentSystem, # the build platform
  crossSystem ? null, # the host platform, when it is not the build's
}:
let
  # nixpkgsLib and stdenvSrc are a directory's name (test.nix: a path
  # copied into the store where a build uses it) or a flake input (already
  # in the store; pure evaluation refuses to make a path of it).
  under = dir: rel: if builtins.hasContext dir then "${dir}/${rel}" else /. + "${dir}/${rel}";
  lib = import (under nixpkgsLib "lib");
  # Derivations run on the build platform, as nixpkgs' do.
  system = localSystem;
  buildPlatform = lib.systems.elaborate localSystem;
  hostPlatform = if crossSystem == null then buildPlatform else lib.systems.elaborate crossSystem;
  buildPackages = if crossSystem == null then pkgs else import ./pkgs.nix (args // { crossSystem = null; });
  bash = "/bin/bash";
  setupSh = under stdenvSrc "setup-late2024/setup.sh";
  defaultBuilder = under stdenvSrc "default-builder.sh";

  # A store path whose bin/ has a link per host program: the programs named
  # in `progs` (absolute paths) and every program of the Debian packages in
  # `debs`.  Links to what is missing on the host are left out.
  hostPrograms =
    name:
    { progs ? [ ], debs ? [ ] }:
    derivation {
      inherit name system progs debs;
      builder = bash;
      args = [ ./host-programs.sh ];
    };

  # The Rust toolchain, copied into the store as nixpkgs' is (crane finds
  # it with `rustc --print sysroot`): rustBin's toolchain without its docs,
  # or Debian's programs and /usr/lib/rustlib (its shared libraries stay
  # where the loader finds them).
  # The copy's derivation names the toolchain's version (the record
  # toolchain.sh and nightly.sh keep beside bin/), so that a new toolchain
  # at the same path is copied anew, not taken from the store's old copy.
  rustToolchain = derivation {
    name = "rust-toolchain";
    inherit system;
    version =
      if rustBin != "" && builtins.pathExists "${dirOf rustBin}/version" then
        builtins.readFile "${dirOf rustBin}/version"
      else
        "";
    builder = bash;
    args = [
      "-euc"
      (
        if rustBin == "" then
          ''
            /bin/mkdir -p $out/bin $out/lib
            for p in cargo rustc rustdoc cargo-clippy clippy-driver rustfmt cargo-fmt; do
              if [ -e /usr/bin/$p ]; then /bin/cp /usr/bin/$p $out/bin/; fi
            done
            /bin/cp -a /usr/lib/rustlib $out/lib/
          ''
        else
          ''
            /bin/mkdir -p $out
            for d in bin lib libexec; do /bin/cp -a "${dirOf rustBin}/$d" $out/; done
            # rustc 1.90+ links through its own lld (gcc-ld/ld.lld, found by
            # gcc's -B), past the linker wrapper: nixpkgs' rustup package
            # wraps it, and so does the stand-in, with its model.
            for g in $out/lib/rustlib/*/bin/gcc-ld; do
              if [ -e "$g/ld.lld" ]; then
                /bin/rm "$g/ld.lld"
                /bin/sed "s#@ld@#$g/../rust-lld -flavor gnu#" $model >"$g/ld.lld"
                /bin/chmod +x "$g/ld.lld"
              fi
            done
          ''
      )
    ];
    model = ./ld-wrapper-model.sh;
  };
  rustPrograms =
    name: progs:
    derivation {
      inherit name system progs;
      builder = bash;
      args = [
        "-euc"
        ''/bin/mkdir -p $out/bin; for p in $progs; do /bin/ln -s ${rustToolchain}/bin/$p $out/bin/; done''
      ];
    };

  hostTools = hostPrograms "host-tools" {
    debs = [
      "bash"
      "binutils"
      "binutils-x86-64-linux-gnu"
      "bzip2"
      "coreutils"
      "cpp-12"
      "diffutils"
      "findutils"
      "mawk"
      "gcc-12"
      "grep"
      "gzip"
      "make"
      "patch"
      "patchelf"
      "sed"
      "tar"
      "xz-utils"
    ];
    progs = [
      "/usr/bin/awk"
      "/usr/bin/cc"
      "/usr/bin/gcc"
      "/usr/bin/c++"
      "/usr/bin/cpp"
      "/usr/bin/ld"
      "/usr/bin/as"
      "/usr/bin/ar"
      "/usr/bin/ranlib"
      "/usr/bin/strip"
    ];
  };

  # nixpkgs' compiler and linker wrappers, for RUNPATHs (a model): nixpkgs
  # links against a libc in the store (its cc wrapper adds -L for it), and
  # its ld wrapper adds -rpath for each store directory that holds a
  # library the link asks for, so that nearly every program and shared
  # object cargo links (build scripts, proc macros, test binaries) has a
  # RUNPATH into the store.  Here: libc-links is a store directory of links
  # to the host's C libraries; cc, gcc, c++, g++ run the host's with -B
  # (the linker collect2 runs is ld-wrapper-model.sh: the rule, held to
  # nixpkgs' by tests/nix/hook.sh) and -L libc-links/lib, as nixpkgs'
  # NIX_LDFLAGS has it.  The host's ld and libraries do the rest.
  libcLinks = derivation {
    name = "libc-links";
    inherit system;
    builder = bash;
    args = [
      "-euc"
      ''
        PATH=/usr/bin:/bin
        mkdir -p $out/lib
        for n in libc.so libc.so.6 libm.so libm.so.6 libdl.so.2 librt.so.1 libpthread.so.0 libutil.so.1; do
          f=$(gcc -print-file-name=$n)
          if [ "$f" != "$n" ]; then ln -s "$f" $out/lib/$n; fi
        done
      ''
    ];
  };
  linkerWrappers = derivation {
    name = "linker-wrappers";
    inherit system;
    builder = bash;
    model = ./ld-wrapper-model.sh;
    args = [
      "-euc"
      ''
        PATH=/usr/bin:/bin
        mkdir -p $out/bin
        sed "s#@ld@#/usr/bin/ld#" $model >$out/bin/ld
        for c in cc gcc c++ g++; do
          printf '#!${bash}\nexec /usr/bin/%s -B%s "$@" -L%s\n' $c $out/bin ${libcLinks}/lib >$out/bin/$c
        done
        chmod +x $out/bin/*
      ''
    ];
  };

  # nixpkgs' default setup hooks, in the order of the x86_64-linux stdenv's
  # defaultNativeBuildInputs (setup-hooks/SOURCE.md; patchelf's is its
  # package's hook, the compiler wrapper's is left out): every output goes
  # through nixpkgs' fixup (patchelf, audit-tmpdir, patch-shebangs, strip,
  # broken and relative symlinks...).  update-autotools-gnu-config-scripts
  # keeps its @gnu_config@ unsubstituted: no source built here has a
  # config.sub or config.guess for it to replace.
  defaultHooks = map (f: under stdenvSrc "setup-hooks/${f}") [
    "patchelf-setup-hook.sh"
    "update-autotools-gnu-config-scripts.sh"
    "no-broken-symlinks.sh"
    "audit-tmpdir.sh"
    "compress-man-pages.sh"
    "make-symlinks-relative.sh"
    "move-docs.sh"
    "move-lib64.sh"
    "move-sbin.sh"
    "move-systemd-user-units.sh"
    "multiple-outputs.sh"
    "patch-shebangs.sh"
    "prune-libtool-files.sh"
    "reproducible-builds.sh"
    "set-source-date-epoch-to-latest.sh"
    "strip.sh"
  ];
  # nixpkgs' stdenv has bash as sh (make-symlinks-relative's `sh -c` needs
  # it); Debian's /bin/sh is dash.
  bashAsSh = derivation {
    name = "bash-as-sh";
    inherit system;
    builder = bash;
    args = [ "-euc" "/bin/mkdir -p $out/bin; /bin/ln -s ${bash} $out/bin/sh" ];
  };

  # $stdenv/setup is built as nixpkgs' stdenv builds it: the initial path,
  # the default hooks and the pre-hook, then setup.sh (setup-late2024: the
  # hooks need its nix*Log functions) unchanged.
  stdenvSetup = derivation ({
    name = "stdenv-linux";
    inherit system round;
    builder = bash;
    args = [
      "-euc"
      ''
        /bin/mkdir -p $out
        {
          echo "export SHELL=${bash}"
          echo "initialPath=\"$initialPath\""
          echo "defaultNativeBuildInputs=\"$defaultNativeBuildInputs\""
          echo "defaultBuildInputs="
          echo "$preHook"
          /bin/cat $setup
        } >$out/setup
      ''
    ];
    initialPath = [ bashAsSh linkerWrappers hostTools ];
    defaultNativeBuildInputs = defaultHooks;
    setup = setupSh;
    # What nixpkgs' bintools wrapper's setup hook exports (strip.sh does
    # nothing without them).
    preHook = ''
      export STRIP=strip RANLIB=ranlib
    '';
  } // lib.optionalAttrs (crossSystem != null) { hostPlatformConfig = hostPlatform.config; });

  # Attributes `derivation` cannot take (attribute sets without outPath,
  # functions) are dropped, as are nulls (__ignoreNulls).
  passable =
    n: v:
    v != null
    && !lib.isFunction v
    && (!builtins.isAttrs v || v ? outPath)
    && !builtins.elem n [
      "passthru"
      "meta"
      "env"
    ];

  # nixpkgs' make-derivation: `env` goes into the environment (under
  # structured attributes, as the `env` attribute, which setup.sh exports),
  # and an attribute may not be both in `env` and passed to `derivation`
  # (its checkedEnv assertion, with its message).
  mkDerivation =
    fnOrAttrs:
    let
      attrs = if lib.isFunction fnOrAttrs then lib.fix fnOrAttrs else fnOrAttrs;
      passthru = attrs.passthru or { };
      name = attrs.name or "${attrs.pname}-${attrs.version}";
      available = lib.meta.availableOn hostPlatform { meta = attrs.meta or { }; };
      structured = attrs.__structuredAttrs or false;
      env = attrs.env or { };
      derivationArg = lib.filterAttrs passable attrs // {
        inherit name system;
        builder = bash;
        # Under structured attributes the environment is .attrs.sh ($stdenv
        # included): source-attrs.sh reads it first, as nixpkgs' builder
        # does, then runs default-builder.sh.
        args = [
          "-e"
          ./source-attrs.sh
          defaultBuilder
        ];
        stdenv = stdenvSetup;
      };
      overlapping = builtins.attrNames (builtins.intersectAttrs env derivationArg);
      checkedEnv =
        lib.throwIfNot (overlapping == [ ])
          "The ‘env’ attribute set cannot contain any attributes passed to derivation. The following attributes are overlapping: ${lib.concatStringsSep ", " overlapping}"
          (
            lib.mapAttrs (
              n: v:
              lib.throwIfNot (builtins.isString v || builtins.isBool v || builtins.isInt v || lib.isDerivation v)
                "The ‘env’ attribute set can only contain derivation, string, boolean or integer attributes. The ‘${n}’ attribute is of type ${builtins.typeOf v}."
                v
            ) env
          );
      drv = lib.throwIfNot available "Package ‘${name}’ is not available on the requested hostPlatform ${hostPlatform.system} (meta.platforms)" derivation (
        derivationArg // (if structured then { env = checkedEnv; } else checkedEnv)
      );
    in
    drv
    // passthru
    // {
      inherit passthru;
      meta = attrs.meta or { };
      overrideAttrs = f: mkDerivation (attrs // (if lib.isFunction f then f attrs else f));
    };

  stdenv = {
    inherit mkDerivation hostPlatform buildPlatform system;
    targetPlatform = hostPlatform;
    shell = bash;
    inherit (hostPlatform) isLinux isDarwin;
    # A cross stdenv is another stdenv (nixpkgs': another compiler): the
    # cross packages are other derivations than the native ones.
    cc = hostTools // {
      targetPrefix = lib.optionalString (crossSystem != null) "${hostPlatform.config}-";
    };
    outPath = stdenvSetup.outPath;
  };

  runCommand =
    name: env: buildCommand:
    mkDerivation (
      env
      // {
        inherit name buildCommand;
        passAsFile = [ "buildCommand" ] ++ (env.passAsFile or [ ]);
      }
    );

  pkgs = {
    inherit
      lib
      stdenv
      runCommand
      hostTools
      rustToolchain
      linkerWrappers
      ;
    inherit (lib) makeScope;
    callPackage = lib.callPackageWith pkgs;
    newScope = extra: lib.callPackageWith (pkgs // extra);
    makeScopeWithSplicing' = { f, ... }: lib.makeScope pkgs.newScope f;
    splicePackages = splices: splices.pkgsHostTarget;
    inherit buildPackages;
    pkgsBuildBuild = buildPackages;
    pkgsBuildHost = buildPackages;
    pkgsBuildTarget = buildPackages;
    pkgsHostHost = pkgs;
    pkgsHostTarget = pkgs;
    pkgsTargetTarget = { };
    pkgs = pkgs;

    mkShell =
      {
        inputsFrom ? [ ],
        packages ? [ ],
        ...
      }@a:
      let
        merged = n: lib.subtractLists inputsFrom (lib.concatMap (d: d.${n} or [ ]) inputsFrom);
      in
      mkDerivation (
        builtins.removeAttrs a [
          "inputsFrom"
          "packages"
        ]
        // {
          name = a.name or "nix-shell";
          nativeBuildInputs = packages ++ (a.nativeBuildInputs or [ ]) ++ merged "nativeBuildInputs";
          buildInputs = (a.buildInputs or [ ]) ++ merged "buildInputs";
          phases = [ "buildPhase" ];
          buildPhase = "echo 'a shell, not a build' >&2; exit 1";
        }
      );
    # Evaluated only (darwin's buildInputs; the flake's nextest check):
    # Debian 12 has neither, the links are left out.
    libiconv = hostPrograms "libiconv" { };
    cargo-nextest = hostPrograms "cargo-nextest" { progs = [ "/usr/bin/cargo-nextest" ]; };
    cargo-llvm-cov = hostPrograms "cargo-llvm-cov" { progs = [ "/usr/bin/cargo-llvm-cov" ]; };
    # What crane names on darwin (removeReferencesToRustToolchainHook) and
    # under cross (the emulator for aarch64 test binaries): evaluated only.
    darwin.signingUtils = hostPrograms "signing-utils" { };
    qemu-user = hostPrograms "qemu-user" { };

    runCommandLocal = runCommand;
    writeText =
      name: text:
      runCommand name {
        inherit text;
        passAsFile = [ "text" ];
      } ''cp "$textPath" "$out"'';

    makeSetupHook =
      {
        name,
        substitutions ? { },
        ...
      }:
      script:
      runCommand name
        (
          substitutions
          // {
            inherit script;
            substVars = builtins.attrNames substitutions;
          }
        )
        ''
          mkdir -p $out/nix-support
          args=()
          for v in $substVars; do args+=(--subst-var "$v"); done
          substitute "$script" $out/nix-support/setup-hook "''${args[@]}"
        '';

    cargo = rustPrograms "cargo" [ "cargo" ];
    rustc = rustPrograms "rustc" [
      "rustc"
      "rustdoc"
    ];
    clippy = rustPrograms "clippy" [
      "cargo-clippy"
      "clippy-driver"
    ];
    rustfmt = rustPrograms "rustfmt" [
      "rustfmt"
      "cargo-fmt"
    ];
    rsync = hostPrograms "rsync" { progs = [ "/usr/bin/rsync" ]; };
    zstd = hostPrograms "zstd" { progs = [ "/usr/bin/zstd" ]; };
    jq = hostPrograms "jq" { progs = [ "/usr/bin/jq" ]; };
    pkg-config = hostPrograms "pkg-config" { progs = [ "/usr/bin/pkg-config" ]; };
    python3 = hostPrograms "python3" { progs = [ "/usr/bin/python3" ]; };
  };
in
pkgs
