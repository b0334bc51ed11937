#!/bin/bash
# The stand-in's linker (pkgs.nix, `linker-wrappers`): the real ld, with the
# RUNPATH rule of nixpkgs' linker wrapper (NixOS/nixpkgs,
# pkgs/build-support/bintools-wrapper/ld-wrapper.sh, read at 02f3ac6c),
# so that what the stand-in links has the RUNPATHs real nixpkgs gives
# nearly every build script, proc macro and test binary.  The rule, as
# modelled (tests/nix/ld-wrapper.sh holds the model to it, case by case):
#   - the library directories are the -L arguments (`-L dir`, `-L/dir`) and
#     the directory of every store `.so` (or `.so.N`) named on the command
#     line; the wanted libraries are lib<name>.so for each -l<name> or
#     `-l name`, and those store .so files by name; the argument after
#     -dynamic-linker or -plugin is neither;
#   - each directory, in order, is made absolute without following links;
#     one outside the store is skipped; one that holds a wanted library
#     gets `-rpath DIR` after the arguments, once;
#   - nothing is added with NIX_DONT_SET_RPATH=1.
# The stand-in puts it before the host's ld (cc -B) and, in rustup's
# toolchain (whose rustc links with its own lld through gcc-ld/ld.lld since
# 1.90), in place of gcc-ld/ld.lld, as nixpkgs' rustup package wraps it.
# Not modelled: response files (@file) are passed on unread, the wrapper's
# purity filter and hardening flags, build ids.
set -eu
# The real linker: a program and its fixed arguments (rust-lld -flavor gnu).
read -r -a real <<<"${COWLINK_TEST_REAL_LD:-@ld@}"
store=${NIX_STORE:-/nix/store}
dirs=()
declare -A wanted=()
after=""
for arg in "$@"; do
    case $after in
    -L) dirs+=("$arg") ;;
    -l) wanted["lib$arg.so"]=1 ;;
    esac
    if [ -z "$after" ]; then
        case $arg in
        -L/*) dirs+=("${arg#-L}") ;;
        -l?*) wanted["lib${arg#-l}.so"]=1 ;;
        "$store"/*.so | "$store"/*.so.*) dirs+=("${arg%/*}") wanted["${arg##*/}"]=1 ;;
        esac
    fi
    case $arg in
    -L | -l | -dynamic-linker | -plugin) after=$arg ;;
    *) after="" ;;
    esac
done
extra=()
if [ "${NIX_DONT_SET_RPATH-}" != 1 ]; then
    declare -A added=()
    for d in ${dirs[@]+"${dirs[@]}"}; do
        d=$(realpath -s -- "$d") || continue
        [[ $d == "$store"/* ]] && [ -z "${added[$d]-}" ] || continue
        for f in "$d"/*; do
            if [ -n "${wanted[${f##*/}]-}" ]; then
                added[$d]=1
                extra+=(-rpath "$d")
                break
            fi
        done
    done
fi
exec "${real[@]}" "$@" ${extra[@]+"${extra[@]}"}
