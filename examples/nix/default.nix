# cowlink, packaged with nixpkgs' stdenv:
#   cowlink = pkgs.callPackage ./examples/nix/default.nix { };
# Its setup hook (cowlink-hook.sh) is what derivations that list it in
# nativeBuildInputs get.
{ lib, stdenv }:

stdenv.mkDerivation {
  pname = "cowlink";
  version = "0.1.0";
  src = lib.cleanSource ../..;

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
