# The derivations of run.sh: builtins only, host tools, builder.sh.
{ round }:
let
  system = builtins.currentSystem;
  cowlink = import ./cowlink.nix { inherit system; };
  mk = name: attrs: derivation ({
    inherit name system round;
    builder = "/bin/bash";
    args = [ ./builder.sh ];
    src = ./project;
  } // attrs);
  # A: the dependencies, built once; its target/ is its output.
  A = mk "zver-deps" { };
  # B: inherits A by symlinks; libz-sys's build script sees LIBZ_SYS_STATIC.
  B = flags: mk "zver" ({
    cargoArtifacts = A;
    nativeBuildInputs = [ cowlink ];
    LIBZ_SYS_STATIC = "0";
  } // flags);
in
{
  inherit A;
  B-without = B { };
  B-enable = B { enableCowlink = "1"; };
  B-inherit = B { cowlinkInherit = "1"; };
  # C: chained on B's output (deduplicated against A); PKG_CONFIG_PATH changes.
  C = mk "zver" {
    cargoArtifacts = B { enableCowlink = "1"; };
    nativeBuildInputs = [ cowlink ];
    enableCowlink = "1";
    LIBZ_SYS_STATIC = "0";
    PKG_CONFIG_PATH = "/usr/local/lib/pkgconfig";
  };
}
