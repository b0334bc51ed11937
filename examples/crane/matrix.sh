#!/usr/bin/env bash
# crane's failure catalogue on a real-crate workspace.  Each cell inherits
# a store path the way crane's use-symlink mode does, then runs crane's
# cargo command with a trigger: first without cowlink (it must fail, with
# rustc's error or a build script's, or modify the store), then with it
# (cargo must pass, the program must print what crane's build prints
# without cowlink when nothing triggers a rebuild, the store must be
# unchanged, no temporary file may remain, and cowlink's event log must
# name exactly the inherited links that cargo rewrote).
# A cell that cannot bite on this toolchain says so, and then must pass
# without cowlink too.
#
#   usage: matrix.sh [BUILD]     prints `crane-matrix: N passed, M failed`
#   ONLY='chained*' runs only the cells whose names match (and package).
#   TOOLCHAIN=stable|debian|nightly, CRANE_IMPL=crane|model: see lib.sh.
#   TOOLCHAIN=nightly runs the cells of cargo's new build-dir layout (the
#   default from cargo 1.100) instead, or one SKIP line where this machine
#   has no rustup nightly toolchain.
#   CRANE_KEEP=DIR keeps each phase's record in DIR/CELL.without and
#   DIR/CELL.with (cargo's output, the links rewritten, cowlink's events,
#   the store's changes, target/ afterwards); CRANE_STRACE=1 adds an
#   strace of every process's file calls there.
set -euo pipefail
BUILD=$(cd "${1:-build}" && pwd)
if [ "$(id -u)" != 0 ]; then
    echo "SKIP crane-matrix: needs root (a root-owned store, bind mounts, a nobody user)"
    exit 0
fi
if [ "${TOOLCHAIN:-}" = nightly ] && ! bash "$(dirname "$0")/../../tests/toolchain.sh" nightly >/dev/null 2>&1; then
    echo "SKIP crane-matrix new layout: no rustup nightly toolchain on this machine"
    exit 0
fi
bash "$(dirname "$0")/setup.sh"
source "$(dirname "$0")/lib.sh"
source "$CRANE/compare.sh"

echo "crane-matrix: cargo $TOOLCHAIN_VERSION ($TOOLCHAIN), install and inherit by $([ "$CRANE_IMPL" = crane ] && echo "crane's own hooks ($CRANE_SRC)" || echo "the model (model.sh)")"
passed=0 failed=0 table=()
pass() { passed=$((passed + 1)); echo "PASS $*"; }
fail() { failed=$((failed + 1)); echo "FAIL $*"; }

# Checks of a cell's result, by the kind of cargo command it ran.
right_build() { diff -u <(echo "$REFERENCE") <("$1/target/release/app" 2>&1) >&2; }
right_extra() { diff -u <(echo "$REFERENCE") <("$1/target/release/app" 2>&1 | grep -v '^unicode-segmentation (extra): [1-9]') >&2; }
right_test() { grep -q '^test result: ok. [1-9]' "$1/.phase/out"; }
right_doc() { [ -f "$1/target/doc/app/index.html" ]; }
right_clippy() { grep -q 'Finished' "$1/.phase/out"; }
right_lib() { grep -q 'Finished' "$1/.phase/out"; }


# not_cargo_own: the paths (relative to target/) on stdin that are not
# cargo's own files.  cargo writes those at builds that compile nothing,
# so they belong to no crate and do not show a trigger biting:
# - a unit's .lock (new layout, fine-grain locking) is opened for writing
#   at every build (chains inherited from crane's install carry them as
#   links; `cowlink inherit` skips them);
# - .rustc_info.json is rewritten when the flags change what rustc reports
#   (`cowlink inherit` links it);
# - an uplifted artifact's dep-info, PROFILE/NAME.d, is written again,
#   unchanged, by most builds of cargo 1.83 and later: cargo reads the old
#   file's paths into a hash map and compares them, in the map's random
#   order, with the new sorted list (14 no-op builds of 20 on 1.97, 17 on
#   1.95, none on 1.65).  `cowlink inherit` links it.
not_cargo_own() { grep -Ev '(^|/)\.lock$|^\.rustc_info\.json$|^[^/]+/[^/]+\.d$' || true; }

# crates_in FILE: the crates whose files FILE lists, one a line.
crates_in() { not_cargo_own <"$1" | crate_of | LC_ALL=C sort -u; }

# own_summary FILE: which of the (sorted) paths in FILE are cargo's own
# files, as " (of them cargo's own: ...)", or nothing.
own_summary() {
    local own locks; own=$(LC_ALL=C comm -23 "$1" <(not_cargo_own <"$1"))
    [ -n "$own" ] || return 0
    locks=$(grep -c '/\.lock$' <<<"$own" || true)
    echo " (of them cargo's own: $({ [ "$locks" = 0 ] || echo "$locks units' .lock files"; grep -v '/\.lock$' <<<"$own" || true; } | paste -sd, - | sed 's/,/, /g'))"
}

# without_error DIR: what stopped cargo without cowlink, in one line.
without_error() {
    local out=$1/.phase/out
    if grep -q 'is not writeable -- check its permissions' "$out"; then
        echo "rustc: $(grep -m1 -o 'output file .*/target/[^ ]* is not writeable' "$out" | sed 's#output file .*/target/#target/#')"
    elif grep -q 'failed to run custom build command' "$out"; then
        echo "$(grep -m1 -o 'failed to run custom build command for `[^`]*`' "$out"): $(grep -m1 -E 'Read-only file system|Permission denied' "$out" | sed 's/^ *//' | cut -c1-160)"
    else
        grep -m1 '^error' "$out" || echo "rc=$(phase_rc "$1")"
    fi
}

# cell NAME STORETARGET WHO STOREMODE KIND CMD [VAR=VALUE...]
#   EXPECT: crates cargo must rebuild (!crate: must not)
#   INHERIT=cowlink: `cowlink inherit` instead of crane's inheritance
#   BITES=no and WHY_NOT: the cell cannot bite on this toolchain, and why
cell() {
    local name=$1 from=$2 who=$3 smode=$4 kind=$5 cmd=$6 dir before changed wrote why= own= bites=${BITES:-yes}
    shift 6
    case $name in package|${ONLY:-*}) ;; *) return 0 ;; esac
    PHASE_ENV=("$@")
    echo "$name: ${*:+$* }$cmd"
    mount_store "$smode"
    before=$W/store.before; store_list >"$before"

    dir=$(new_build_dir)
    "inherit_${INHERIT:-symlink}" "$from" "$dir/target"
    phase "$dir" "$who" 0 "$cmd"
    wrote=$(store_changed_paths "$before")
    if [ -n "$wrote" ]; then
        store_changes "$before" >"$dir/.phase/store-changes"
        restore_store
        changed=$(store_changes "$before")
        [ -z "$changed" ] || { fail "$name: restoring the store left it changed"; echo "$changed"; return 0; }
        # Through links to cargo's own files, root writes the store with
        # nothing stale: that is not the cell's trigger biting.
        if [ -n "$(not_cargo_own <<<"$wrote")" ]; then
            why="modified the store ($(phase_ms "$dir") ms)"
        else
            own="only cargo's own files written in the store: $(paste -sd' ' <<<"$wrote")"
        fi
    fi
    if [ -z "$why" ] && [ "$(phase_rc "$dir")" != 0 ]; then
        why="$(without_error "$dir") ($(phase_ms "$dir") ms)"
    fi
    keep_phase "$dir" "$name.without"
    # The package cell, which cannot bite, gives the program's reference
    # output: what crane's build prints without cowlink.
    [ -z "${SAVE_REFERENCE:-}" ] || [ -n "$why" ] || REFERENCE=$("$dir/target/release/app" 2>&1)
    local problems=()
    if [ "$bites" = yes ]; then
        [ -n "$why" ] || problems+=("does not bite without cowlink")
        echo "  without cowlink: ${why:-passed, ${own:-store intact}}"
    else
        [ -z "$why" ] || problems+=("bites without cowlink where it should not: $why")
        echo "  without cowlink: ${why:-passes, ${own:-store intact}}: cannot bite on cargo $TOOLCHAIN_VERSION: $WHY_NOT"
        why="does not bite: $WHY_NOT"
    fi

    dir=$(new_build_dir)
    local t0 inherit_ms; t0=$(now_ms)
    "inherit_${INHERIT:-symlink}" "$from" "$dir/target"
    inherit_ms=$(($(now_ms) - t0))
    phase "$dir" "$who" 1 "$cmd"
    local r=$dir/.phase
    keep_phase "$dir" "$name.with"
    [ "$(phase_rc "$dir")" = 0 ] || problems+=("cargo failed with cowlink: $(grep -m1 '^error' "$r/out")")
    [ "$(phase_rc "$dir")" != 0 ] || "right_$kind" "$dir" || problems+=("wrong $kind result")
    changed=$(store_changes "$before")
    [ -z "$changed" ] || { problems+=("the store changed"); restore_store; }
    [ -z "$(find "$dir" "$STORE_SRC" -name '.cowlink-*')" ] || problems+=("temporary files left")
    diff -u "$r/rewritten" "$r/event-paths" >"$r/events.diff" ||
        problems+=("event log differs from the links cargo rewrote: $(grep -c '^[-+][^-+]' "$r/events.diff") lines")
    local stray; stray=$(crates_in "$r/rewritten" | LC_ALL=C comm -23 - "$r/compiled" | paste -sd' ' -)
    [ -z "$stray" ] || problems+=("links rewritten for crates cargo did not rebuild: $stray")
    local c
    for c in ${EXPECT:-}; do
        case $c in
        !*) ! grep -qx "${c#!}" "$r/compiled" || problems+=("${c#!} was rebuilt") ;;
        *) grep -qx "$c" "$r/compiled" || problems+=("$c was not rebuilt") ;;
        esac
    done
    local rebuilt ncompiled; rebuilt=$(crates_in "$r/rewritten" | paste -sd' ' -); ncompiled=$(wc -l <"$r/compiled")
    [ "$ncompiled" -gt 12 ] || ncompiled="$ncompiled ($(paste -sd' ' "$r/compiled"))"
    echo "  with cowlink: rc=$(phase_rc "$dir") in $(phase_ms "$dir") ms; cargo compiled $ncompiled crates; $(wc -l <"$r/rewritten") inherited links rewritten$(own_summary "$r/rewritten") (crates: ${rebuilt:-none})"
    if [ ${#problems[@]} = 0 ]; then pass "$name"; else fail "$name: ${problems[*]}"; head -20 "$r/events.diff"; echo "${changed:-}"; fi
    local n; n=$(echo "$rebuilt" | wc -w)
    [ "$n" -le 10 ] || rebuilt="$n crates: $(echo "$rebuilt" | cut -d' ' -f1-6)..."
    table+=("| $name | $who, store $smode | ${why:-passed} | $inherit_ms | $(phase_ms "$dir") | $ncompiled | $(wc -l <"$r/rewritten") | ${rebuilt:-none} |")
}

PRISTINE=$W/pristine
restore_store() { rsync -a --delete "$PRISTINE/" "$STORE_SRC/"; }

REFERENCE=
DEPS=$(deps_target)
say "deps target: $(du -sh "$DEPS" | cut -f1), $(find "$DEPS" -type f | wc -l) files, $(grep -c '^name = ' "$WORKSPACE/Cargo.lock") crates in Cargo.lock"
# The comparison needs crane's sources, whichever install and inherit the
# cells use.
HAVE_CRANE=
[ ! -f "$CRANE_SRC/lib/setupHooks/inheritCargoArtifactsHook.sh" ] || HAVE_CRANE=1
D1=$(install_store "$DEPS" app-deps-0.1.0)
D3=$(install_store "$(deps_target remap)" app-deps-remap-0.1.0)
cp -a "$STORE_SRC" "$PRISTINE"
mount_store ro

if [ -n "$HAVE_CRANE" ]; then
    if compare_inherit "$D1"; then pass model-vs-crane-inherit-deps; else fail model-vs-crane-inherit-deps; fi
else
    echo "SKIP model-vs-crane: crane's sources are not in $CRANE_SRC"
fi

B="cargo build --release --locked"
pc=PKG_CONFIG_PATH=/usr/local/lib/pkgconfig
cm=CMAKE_PREFIX_PATH=/opt/cmake-prefix
# crane's buildPackage: build (keeping the JSON log), then test.
SAVE_REFERENCE=1 BITES=no WHY_NOT="the members' dummy artifacts have other names (mkDummySrc's dummy build script), and no dependency is stale" \
    cell package "$D1" root ro build "cargo build --release --message-format json-render-diagnostics --locked >cargoBuildLog.json && cargo test --release --locked"

# Chained: buildPackage's target/, installed by crane's use-symlink install
# on top of its parent (every file identical to the parent's a link to
# it), so fingerprints, .d files and build-script output (tinyc-sys's
# OUT_DIR full of objects) arrive as links too.
rm -rf "$SRC/.phase" "$SRC/.cargo-home" "$SRC/cargoBuildLog.json"
if [ -n "$HAVE_CRANE" ]; then
    if compare_install "$SRC/target" "${D1%/target}"; then pass model-vs-crane-install-chained; else fail model-vs-crane-install-chained; fi
fi
D2=$(install_store "$SRC/target" app-0.1.0 "${D1%/target}")
cp -a "$STORE_SRC/." "$PRISTINE/"
say "chained store path: $(find "${D2/#$STORE/$STORE_SRC}" -type l | wc -l) links to its parent, $(find "${D2/#$STORE/$STORE_SRC}" -type f | wc -l) files of its own; tinyc-sys's OUT_DIR: $(find "${D2/#$STORE/$STORE_SRC}"/release/build -path '*/build/tinyc-sys*/out/*' -type l | wc -l) links"
if [ -n "$HAVE_CRANE" ]; then
    if compare_inherit "$D2"; then pass model-vs-crane-inherit-chained; else fail model-vs-crane-inherit-chained; fi
fi

# cargo's new build-dir layout (TOOLCHAIN=nightly): the few cells that say
# what changes, then the summary.
if [ -n "$NEW_LAYOUT" ]; then
    # crane's inheritance matches deps/*.rlib and deps/*.rmeta, which the
    # new layout does not have (build/PKG/HASH/out/).
    dir=$(new_build_dir)
    inherit_symlink "$D1" "$dir/target"
    nlinks=$(find "$dir/target" -type l | wc -l)
    nfiles=$(find "$dir/target" -type f | wc -l)
    nstore=$(find "$D1" -type f ! -name '.cargo*lock' | wc -l)
    echo "crane-links-nothing: crane's use-symlink inheritance of the deps build: $nlinks links, $nfiles files copied ($nstore in the store path, its .cargo*lock left out), $(du -sm "$dir/target" | cut -f1) MB written"
    if [ "$nlinks" = 0 ] && [ "$nfiles" = "$nstore" ]; then pass crane-links-nothing; else fail "crane-links-nothing: $nlinks links, $nfiles of $nstore files copied"; fi
    BITES=no WHY_NOT="crane's inheritance links nothing under the new layout: every file is a copy" \
        EXPECT="libz_sys openssl_sys tinyc_sys" cell env-pkg-config "$D1" root ro build "$B" "$pc"
    # Chains still carry links (crane's install links every file identical
    # to the parent's), and only the library makes them writable.
    EXPECT="libz_sys tinyc_sys" cell chained-env-pkg-config "$D2" root rw build "$B -p app" "$pc"
    # Every file a link: `cowlink inherit`, then the triggers.
    INHERIT=cowlink EXPECT="libz_sys openssl_sys tinyc_sys" \
        cell cowlink-inherit-env-pkg-config "$D1" root ro build "$B" "$pc"
    INHERIT=cowlink EXPECT="libz_sys" cell cowlink-inherit-remap-path-prefix "$D3" root ro lib "$B -p libz-sys" \
        "CARGO_BUILD_RUSTFLAGS=$REMAP_FLAGS -C force-frame-pointers=yes"
    INHERIT=cowlink BITES=no WHY_NOT="nothing is stale: cargo writes no link but, in most builds, its own app.d, unchanged" \
        EXPECT="!quirky !probe !libz_sys" cell cowlink-inherit-chained "$D2" root rw build "$B -p app"
    INHERIT=cowlink EXPECT="quirky" cell cowlink-inherit-chained-rerun-if-changed-missing "$D2" root rw lib "$B -p quirky"
    INHERIT=cowlink EXPECT="probe tinyc_sys !libz_sys" \
        cell cowlink-inherit-chained-env-cmake-like "$D2" root rw build "$B -p app" "$cm"
fi
[ -z "$NEW_LAYOUT" ] || ONLY=new-layout-done # the cells below are the old layout's

# Inherit the deps build (buildPackage, cargoTest, cargoDoc, cargoClippy).
EXPECT="libz_sys openssl_sys tinyc_sys" cell env-pkg-config "$D1" root ro build "$B" "$pc"
EXPECT="tinyc_sys probe !libz_sys" cell env-cmake-like "$D1" root ro build "$B" "$cm"
# Flags rebuild every dependency alike: libz-sys and what it needs show it.
if [ "$CARGO_MINOR" -ge 85 ]; then
    BITES=no WHY_NOT="cargo >= 1.85 hashes RUSTFLAGS into the file names: new files beside the links" \
        EXPECT="libz_sys" cell rustflags "$D1" root ro lib "$B -p libz-sys" "RUSTFLAGS=-C force-frame-pointers=yes"
else
    EXPECT="libz_sys pkg_config" cell rustflags "$D1" root ro lib "$B -p libz-sys" "RUSTFLAGS=-C force-frame-pointers=yes"
fi
# crane's doRemapPathPrefix (or dontStrip) in the deps build and the
# package, and one more flag in the package (a profiling build's, say):
# cargo keeps the file names when the flags remap paths.
EXPECT="libz_sys" cell remap-path-prefix "$D3" root ro lib "$B -p libz-sys" \
    "CARGO_BUILD_RUSTFLAGS=$REMAP_FLAGS -C force-frame-pointers=yes"
EXPECT="libz_sys tinyc_sys" cell test-env-pkg-config "$D1" root ro test "cargo test --release --locked" "$pc"
EXPECT="libz_sys tinyc_sys" cell doc-env-pkg-config "$D1" root ro doc "cargo doc --release --locked --no-deps" "$pc"
if PATH=$UPATH cargo clippy -V >/dev/null 2>&1; then
    # The #385 report: clippy in nativeBuildInputs changes CMAKE_PREFIX_PATH.
    EXPECT="tinyc_sys" cell clippy-env-cmake-like "$D1" root ro clippy "cargo clippy --release --locked --all-targets" "$cm"
else
    echo "SKIP clippy: cargo clippy is not installed for $TOOLCHAIN"
fi
# Alone, they reuse what the deps build's check, build and test left.
BITES=no WHY_NOT="cargo check --all-targets in the deps build left what it needs" \
    EXPECT="!libz_sys" cell clippy "$D1" root ro clippy "cargo clippy --release --locked --all-targets"
BITES=no WHY_NOT="with --no-deps it documents the members only, on the inherited metadata" \
    EXPECT="!libz_sys" cell doc "$D1" root ro doc "cargo doc --release --locked --no-deps"
EXPECT="libz_sys tinyc_sys" cell nobody-env-pkg-config "$D1" nobody rw build "$B" "$pc"
BITES=no WHY_NOT="a crate the deps build never built writes new files beside the links" \
    EXPECT="unicode_segmentation !libz_sys" cell new-dependency "$D1" root ro extra "$B --features app/extra"

# Chained cells: the store is writable (root): only cowlink keeps it intact.
BITES=no WHY_NOT="nothing is stale" EXPECT="!quirky !probe !libz_sys" cell chained "$D2" root rw build "$B -p app"
EXPECT="quirky" cell chained-rerun-if-changed-missing "$D2" root rw lib "$B -p quirky"
# onnxruntime's case (crane #385) does not bite here: Nix gives every file
# mtime 1, so the output is never newer than cargo's record of the run.
BITES=no WHY_NOT="in the store the generated file and cargo's record of the run both have mtime 1" \
    EXPECT="!selfgen" cell chained-rerun-if-changed-own-output "$D2" root rw lib "$B -p selfgen"
EXPECT="probe tinyc_sys !libz_sys" cell chained-env-cmake-like "$D2" root rw build "$B -p app" "$cm"
EXPECT="libz_sys tinyc_sys" cell chained-env-pkg-config "$D2" root rw build "$B -p app" "$pc"

echo
echo "cargo $TOOLCHAIN_VERSION ($TOOLCHAIN), $CRANE_IMPL's install and inherit"
echo
echo "| cell | who, store | without cowlink | inherit ms | with cowlink ms | crates compiled | links rewritten | crates whose links were rewritten |"
echo "|---|---|---|---|---|---|---|---|"
printf '%s\n' "${table[@]}"
echo
echo "crane-matrix: $passed passed, $failed failed"
[ "$failed" = 0 ]
