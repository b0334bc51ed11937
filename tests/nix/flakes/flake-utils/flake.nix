# For `nix flake check`: flake-utils' eachDefaultSystem, tests/nix's
# stand-in (../../flake-utils.nix).
{
  outputs = _: { lib = import ../../flake-utils.nix; };
}
