# cowlink.lib.enable without flakes (niv, npins, a plain fetchTarball):
#
#   craneLib = import "${cowlink}/examples/nix/enable.nix" {
#     craneLib = import crane { inherit pkgs; };  # or (crane.mkLib pkgs)
#   };
#
# The crane lib carries its pkgs (cowlink's package and hooks are built
# from them, for the build platform); `warn = true;` prints one evaluation
# warning where cowlink steps aside (darwin, musl).  The same function as
# the flake's lib.enable.
{
  craneLib,
  warn ? false,
}:
import ./lib.nix {
  hooksFor = import ./hooks-for.nix;
  inherit warn;
} craneLib
