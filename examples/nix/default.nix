# cowlink, packaged with nixpkgs' stdenv:
#   cowlink = pkgs.callPackage ./examples/nix/default.nix { };
# Its setup hook is a package of its own (hook.nix), so that the library and
# the command do not land in the PATH of the derivations that use it.
{ lib, stdenv }:

# musl: the Makefile links no libdl there (LIBDL=, below), but preload/
# does not compile against musl 1.2.3's headers: they make open64 and open
# (stat64 and stat...) one name, which preload/ defines twice, and have no
# struct statx (musl 1.2.5+).  Refuse with the reason rather than fail in
# the compiler.
lib.throwIf stdenv.hostPlatform.isMusl
  "cowlink does not build for musl (${stdenv.hostPlatform.config}) yet: preload/ defines both open and open64, which musl's headers make one name, and uses struct statx; cowlink.lib.enable steps aside on a musl build platform"
stdenv.mkDerivation {
  pname = "cowlink";
  version = "0.1.0";
  # Only what the build reads: the Makefile and preload/.  Not build/: a
  # stale build/cowlink made on the host would look up to date to make
  # (every file in the store has mtime 1) and be installed as is.
  src = lib.cleanSourceWith {
    name = "cowlink-source";
    src = ../..;
    filter =
      path: _type:
      let
        rel = lib.removePrefix (toString ../.. + "/") (toString path);
      in
      rel == "Makefile" || rel == "preload" || lib.hasPrefix "preload/" rel;
  };

  strictDeps = true;
  makeFlags =
    [
      "PREFIX=$(out)"
      # The developers' -Werror stays in the developers' builds: the next
      # compiler's new warnings must not break a distribution build.
      "WARN=-Wall"
    ]
    # musl has dlsym in libc (its libdl is an empty stub), not libdl.so.2.
    ++ lib.optional stdenv.hostPlatform.isMusl "LIBDL=";
  # The tests need root and Debian packages; `make check` runs them elsewhere.
  doCheck = false;

  # The installed command and library, as a build uses them: `cowlink
  # --version`, then a write through a link into a read-only "store" with
  # the library preloaded as the hook names it (lib/cowlink/$PLATFORM/, so
  # that a loader whose platform is not installed fails here) must give a
  # private copy and leave the store as it was.
  doInstallCheck = true;
  installCheckPhase = ''
    runHook preInstallCheck
    $out/bin/cowlink --version
    mkdir -p cowlink-check/store
    echo store >cowlink-check/store/f
    chmod -R a-w cowlink-check/store
    ln -s "$PWD/cowlink-check/store/f" cowlink-check/link
    COWLINK_STORE=$PWD/cowlink-check/store LD_PRELOAD="$out/lib/cowlink/\$PLATFORM/libcowlink.so" \
      bash -c 'echo private >>cowlink-check/link'
    test ! -L cowlink-check/link
    printf 'store\nprivate\n' | cmp - cowlink-check/link
    test "$(cat cowlink-check/store/f)" = store
    chmod -R u+w cowlink-check
    runHook postInstallCheck
  '';

  meta = {
    description = "LD_PRELOAD library that makes symlinks into the Nix store copy-on-write";
    license = lib.licenses.mit;
    platforms = lib.platforms.linux;
    mainProgram = "cowlink";
  };
}
