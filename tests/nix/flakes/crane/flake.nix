# For `nix flake check`: crane's mkLib with tests/nix's stand-ins
# (../../crane.nix).  Its input is crane's checkout, given with
# --override-input (run.sh).
{
  inputs.crane = {
    url = "path:/nonexistent";
    flake = false;
  };
  outputs =
    { crane, ... }:
    {
      inherit (import ../../crane.nix { craneSrc = crane; }) mkLib;
    };
}
