# cowlink, packaged with nixpkgs' stdenv:
#   cowlink = pkgs.callPackage ./examples/nix/default.nix { };
# Its setup hook (cowlink-hook.sh) is what derivations that list it in
# nativeBuildInputs get.
{ lib, stdenv }:

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

  makeFlags = [ "PREFIX=$(out)" ];
  # The tests need root and Debian packages; `make check` runs them elsewhere.
  doCheck = false;

  # stdenv installs it as $out/nix-support/setup-hook, @out@ substituted.
  setupHook = ./cowlink-hook.sh;

  meta = {
    description = "LD_PRELOAD library that makes symlinks into the Nix store copy-on-write";
    license = lib.licenses.mit;
    platforms = lib.platforms.linux;
  };
}
