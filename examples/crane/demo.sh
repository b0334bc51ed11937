#!/usr/bin/env bash
# The headline case, told as a story: crane inherits a deps build by
# symlinks into a read-only store, a -sys crate's build script sees
# PKG_CONFIG_PATH change, and cargo rebuilds it: without cowlink rustc
# refuses to write the inherited output; with cowlink the build passes,
# only the rebuilt crates become private files, and the store is untouched.
#
#   usage: demo.sh [BUILD]
set -euo pipefail
BUILD=$(cd "${1:-build}" && pwd)
source "$(dirname "$0")/lib.sh"

if [ "$(id -u)" != 0 ]; then
    say "demo: run it as root: it installs Debian packages and makes a root-owned, read-only store"
    exit 1
fi
bash "$CRANE/setup.sh"
step() { printf '\n== %s\n' "$*"; }
trigger=(PKG_CONFIG_PATH=/usr/local/lib/pkgconfig)

step "1/4 crane's buildDepsOnly: $(grep -c '^name = ' "$WORKSPACE/Cargo.lock") crates with dummy sources (cached after the first run)"
deps=$(deps_target)
echo "deps target: $(du -sh "$deps" | cut -f1), $(find "$deps" -type f | wc -l) files"

step "2/4 install it into a store (0444 files, mtime 1, owned by root, mounted read-only)"
store_target=$(install_store "$deps" app-deps-0.1.0)
mount_store ro
before=$(store_sum)
echo "$store_target   (checksum $before)"

step "3/4 crane inherits it by symlink, then: ${trigger[*]} cargo build --release   WITHOUT cowlink"
dir=$(new_build_dir without)
inherit_symlink "$store_target" "$dir/target"
echo "$(links_in "$dir/target" | wc -l) rlib/rmeta files are links into the store"
PHASE_ENV=("${trigger[@]}")
phase "$dir" root 0 "cargo build --release"
if [ "$(phase_rc "$dir")" = 0 ]; then
    echo "cargo passed without cowlink: this machine does not show the failure"; exit 1
fi
grep -m1 'is not writeable' "$dir/.phase/out" | sed 's/^/    /'
echo "cargo failed after $(phase_ms "$dir") ms, as crane users see it"

step "4/4 the same WITH cowlink (LD_PRELOAD=libcowlink.so)"
dir=$(new_build_dir with)
inherit_symlink "$store_target" "$dir/target"
phase "$dir" root 1 "cargo build --release"
[ "$(phase_rc "$dir")" = 0 ] || { tail -5 "$dir/.phase/out"; echo "cargo failed with cowlink"; exit 1; }
echo "cargo passed in $(phase_ms "$dir") ms.  The program says:"
"$dir/target/release/app" | sed 's/^/    /'
echo "cargo rebuilt: $(paste -sd' ' "$dir/.phase/compiled")"
echo "of which inherited from the store, now private files: $(crate_of <"$dir/.phase/rewritten" | sort -u | paste -sd' ' -)"
echo "still links into the store: $(links_in "$dir/target" | wc -l) of $(wc -l <"$dir/.phase/links.before")"
echo "cowlink logged $(wc -l <"$dir/.phase/events.log") events, e.g.:"
head -2 "$dir/.phase/events.log" | cut -c1-160 | sed 's/^/    /'
after=$(store_sum)
if [ "$after" = "$before" ]; then echo "store checksum $after: untouched"; else echo "store CHANGED"; exit 1; fi
