#!/usr/bin/env bash
# The headline case, told as a story: crane inherits a deps build by
# symlinks into a read-only store, a -sys crate's build script sees
# PKG_CONFIG_PATH change, and cargo rebuilds it: without cowlink rustc
# refuses to write the inherited output; with cowlink the build passes,
# only the rebuilt crates become private files, and the store is untouched.
#
#   usage: demo.sh [BUILD]     (TOOLCHAIN, CRANE_IMPL: see lib.sh)
set -euo pipefail
BUILD=$(cd "${1:-build}" && pwd)
if [ "$(id -u)" != 0 ]; then
    echo "demo: run it as root: it installs Debian packages and makes a root-owned, read-only store" >&2
    exit 1
fi
bash "$(dirname "$0")/setup.sh"
source "$(dirname "$0")/lib.sh"
step() { printf '\n== %s\n' "$*"; }
trigger=(PKG_CONFIG_PATH=/usr/local/lib/pkgconfig)

cat <<EOF
crane, the Nix library for Rust builds, builds a project in two steps.
buildDepsOnly compiles only the dependencies, from "dummy sources" (the
manifests and lock file, every .rs file replaced by an empty one), and
Nix keeps that cargo target/ read-only in /nix/store.  buildPackage then
starts from it; with installCargoArtifactsMode = "use-symlink", crane
copies the small files and makes each deps/*.rlib and *.rmeta a symlink
into the store, to save gigabytes of copies.  If cargo decides to rebuild
one of those dependencies, rustc must overwrite a store file, and the
build dies.  A common reason: -sys crates ask pkg-config for their C
library, and the pkg-config crate tells cargo to rerun their build
script when PKG_CONFIG_PATH changes.  Nix sets PKG_CONFIG_PATH from a
derivation's inputs, so one more input in the package (or its clippy or
test derivation) than in the deps build changes it.  cowlink, preloaded
into cargo, turns such a link into a private copy at the first write.

toolchain: cargo $TOOLCHAIN_VERSION ($([ "$TOOLCHAIN" = stable ] && echo "rustup's stable" || echo "Debian's"))
crane: $([ "$CRANE_IMPL" = crane ] && echo "its own install and inherit hooks, from $CRANE_SRC" || echo "a model of its install and inherit hooks (examples/crane/model.sh)")
EOF

step "1/4 buildDepsOnly: $(grep -c '^name = ' "$WORKSPACE/Cargo.lock") crates from dummy sources (cached after the first run)"
deps=$(deps_target)
echo "deps target: $(du -sh "$deps" | cut -f1), $(find "$deps" -type f | wc -l) files"

step "2/4 install it into a store (0444 files, mtime 1, owned by root, mounted read-only)"
store_target=$(install_store "$deps" app-deps-0.1.0)
mount_store ro
before=$(store_sum)
echo "$store_target   (checksum $before)"

build="cargo build --release --locked"
step "3/4 buildPackage inherits it by symlink, then: ${trigger[*]} $build   WITHOUT cowlink"
dir=$(new_build_dir)
inherit_symlink "$store_target" "$dir/target"
echo "$(links_in "$dir/target" | wc -l) rlib/rmeta files are links into the store"
PHASE_ENV=("${trigger[@]}")
phase "$dir" root 0 "$build"
if [ "$(phase_rc "$dir")" = 0 ]; then
    echo "cargo passed without cowlink: this machine does not show the failure"; exit 1
fi
grep -m1 'is not writeable' "$dir/.phase/out" | sed 's/^/    /'
echo "cargo failed after $(phase_ms "$dir") ms, as crane users see it"

step "4/4 the same WITH cowlink (LD_PRELOAD=libcowlink.so)"
dir=$(new_build_dir)
inherit_symlink "$store_target" "$dir/target"
phase "$dir" root 1 "$build"
[ "$(phase_rc "$dir")" = 0 ] || { tail -5 "$dir/.phase/out"; echo "cargo failed with cowlink"; exit 1; }
echo "cargo passed in $(phase_ms "$dir") ms.  The program says:"
"$dir/target/release/app" | sed 's/^/    /'
echo "cargo rebuilt: $(paste -sd' ' "$dir/.phase/compiled")"
echo "of which inherited from the store, now private files: $(crate_of <"$dir/.phase/rewritten" | sort -u | paste -sd' ' -)"
echo "still links into the store: $(links_in "$dir/target" | wc -l) of $(wc -l <"$dir/.phase/links.before")"
echo "cowlink logged $(wc -l <"$dir/.phase/events.log") events; one of each kind:"
for kind in copy empty create replace remove; do
    grep -m1 " event=$kind " "$dir/.phase/events.log" | sed 's/^/    /' || true
done
after=$(store_sum)
if [ "$after" = "$before" ]; then echo "store checksum $after: untouched"; else echo "store CHANGED"; exit 1; fi
