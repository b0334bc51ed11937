# flake-utils' eachDefaultSystem: { a.<system> = (f system).a; } for its
# four default systems (test.nix, and flakes/flake-utils for `nix flake
# check`).  Only builtins: flake-utils has no nixpkgs.
let
  systems = [
    "x86_64-linux"
    "aarch64-linux"
    "x86_64-darwin"
    "aarch64-darwin"
  ];
in
{
  eachDefaultSystem =
    f:
    builtins.foldl' (
      acc: s: acc // builtins.mapAttrs (n: v: (acc.${n} or { }) // { ${s} = v; }) (f s)
    ) { } systems;
}
