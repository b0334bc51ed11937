# cowlink as a store path, built from the files next to this expression:
# lib/libcowlink.so, bin/cowlink and the users' setup hook.
{ system }:
derivation {
  name = "cowlink";
  inherit system;
  builder = "/bin/sh";
  args = [ "-c" ''
    set -e
    PATH=/usr/bin:/bin
    mkdir -p $out/lib $out/bin $out/nix-support
    cp $lib $out/lib/libcowlink.so
    cp $bin $out/bin/cowlink
    sed "s#@out@#$out#g" $hook > $out/nix-support/setup-hook
  '' ];
  lib = ./libcowlink.so;
  bin = ./cowlink;
  hook = ./cowlink-hook.sh;
}
