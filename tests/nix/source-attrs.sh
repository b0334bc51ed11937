# shellcheck shell=bash
# The stand-in's first builder file (pkgs.nix): under structured attributes
# Nix passes the derivation's attributes as .attrs.sh (NIX_ATTRS_SH_FILE
# in newer Nix, the build directory in 2.8), not as environment variables:
# read it, then run the builder script given ($1, default-builder.sh).
if [ -e "${NIX_ATTRS_SH_FILE-}" ]; then
    source "$NIX_ATTRS_SH_FILE"
elif [ -f .attrs.sh ]; then
    source .attrs.sh
fi
source "$1"
