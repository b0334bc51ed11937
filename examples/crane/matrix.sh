#!/usr/bin/env bash
# crane's failure catalogue on a real-crate workspace.  Each cell inherits
# a deps build from a store the way crane does, then runs cargo with a
# trigger: first without cowlink (it must fail with rustc's error, or
# modify the store), then with it (cargo must pass, the program must print
# what a clean build prints, the store must be unchanged, no temporary
# file may remain, and cowlink's event log must name exactly the inherited
# links that cargo rewrote).
#
#   usage: matrix.sh [BUILD]     prints `crane-matrix: N passed, M failed`
#   ONLY='chained*' runs only the cells whose names match (and package).
set -euo pipefail
BUILD=$(cd "${1:-build}" && pwd)
source "$(dirname "$0")/lib.sh"

if [ "$(id -u)" != 0 ]; then
    echo "SKIP crane-matrix: needs root (a root-owned store, bind mounts, a nobody user)"
    exit 0
fi
bash "$CRANE/setup.sh"

passed=0 failed=0 table=()
pass() { passed=$((passed + 1)); echo "PASS $*"; }
fail() { failed=$((failed + 1)); echo "FAIL $*"; }

# reference: what a clean build (no inheritance) of the real workspace prints.
reference() {
    local dir=$CACHE/reference-$(deps_key)-$(cd "$WORKSPACE" && find . -name '*.rs' -exec cat {} + | sha256sum | cut -c1-8)
    if [ ! -f "$dir.out" ]; then
        rm -rf "$CACHE"/reference-*
        say "clean build of the real workspace, for the reference output"
        rm -rf "$dir"; mkdir -p "$dir"
        (cd "$WORKSPACE" && tar --exclude=./target -cf - .) | tar -C "$dir" -xf -
        use_vendor "$dir"
        cargo_in "$dir" build --release 2>&1 | progress errors
        "$dir/target/release/app" >"$dir.out"
        rm -rf "$dir"
    fi
    cat "$dir.out"
}

# Checks of a cell's result, by the kind of cargo command it ran.
right_build() { diff -u <(echo "$REFERENCE") <("$1/target/release/app" 2>&1) >&2; }
right_test() { grep -q '^test result: ok. [1-9]' "$1/.phase/out"; }
right_doc() { [ -f "$1/target/doc/app/index.html" ]; }
right_clippy() { grep -q 'Finished' "$1/.phase/out"; }

crates_of() { crate_of <"$1" | LC_ALL=C sort -u | paste -sd' ' -; }

# cell NAME STORETARGET WHO STOREMODE KIND CMD [VAR=VALUE...]
cell() {
    local name=$1 from=$2 who=$3 smode=$4 kind=$5 cmd=$6 dir before why=
    shift 6
    case $name in package|${ONLY:-*}) ;; *) return 0 ;; esac
    PHASE_ENV=("$@")
    mount_store "$smode"
    before=$(store_sum)

    dir=$(new_build_dir "$name-without" "${AGE:-}")
    inherit_symlink "$from" "$dir/target"
    phase "$dir" "$who" 0 "$cmd"
    if [ "$(store_sum)" != "$before" ]; then
        why="modified the store"; restore_store
    elif [ "$(phase_rc "$dir")" != 0 ] && grep -q 'is not writeable -- check its permissions' "$dir/.phase/out"; then
        why="rustc: $(grep -m1 -o 'output file .*/target/[^ ]*' "$dir/.phase/out" | sed 's#.*/target/#target/#') is not writeable"
    fi
    local without_ms; without_ms=$(phase_ms "$dir")
    [ -n "$why" ] && echo "  without cowlink: $why" || echo "  without cowlink: rc=$(phase_rc "$dir"), no rustc error, store intact"
    rm -rf "$dir"
    # crane links the workspace members' own (dummy) rlib/rmeta too, so
    # every build above fails on a member first.  For a trigger on the
    # dependencies, show that it bites by itself: members' files copied.
    if [ -n "${DEPS_TRIGGER:-}" ]; then
        dir=$(new_build_dir "$name-without-members-copied" "${AGE:-}")
        inherit_symlink "$from" "$dir/target"
        copy_members "$dir/target"
        phase "$dir" "$who" 0 "$cmd"
        local culprit
        culprit=$(grep -o 'output file .*/target/[^ ]* is not writeable' "$dir/.phase/out" |
            sed -E 's#^output file .*/target/##; s# is not writeable##' | crate_of | sort -u | paste -sd' ' -)
        if [ "$(phase_rc "$dir")" != 0 ] && [ -n "$culprit" ] && ! members_only "$culprit"; then
            echo "  without cowlink, members copied: rustc refuses the inherited output of $culprit"
            why="$why; members copied: $culprit"
        else
            echo "  without cowlink, members copied: the trigger alone does not bite (rc=$(phase_rc "$dir"), refused: ${culprit:-none})"
            why=
        fi
        rm -rf "$dir"
    fi

    dir=$(new_build_dir "$name-with" "${AGE:-}")
    local t0 inherit_ms; t0=$(now_ms)
    inherit_symlink "$from" "$dir/target"
    inherit_ms=$(($(now_ms) - t0))
    phase "$dir" "$who" 1 "$cmd"
    local r=$dir/.phase problems=()
    [ -n "$why" ] || problems+=("does not bite without cowlink")
    [ "$(phase_rc "$dir")" = 0 ] || problems+=("cargo failed with cowlink: $(grep -m1 '^error' "$r/out")")
    [ "$(phase_rc "$dir")" != 0 ] || "right_$kind" "$dir" || problems+=("wrong $kind result")
    [ "$(store_sum)" = "$before" ] || { problems+=("the store changed"); restore_store; }
    [ -z "$(find "$dir" "$STORE_SRC" -name '.cowlink-*')" ] || problems+=("temporary files left")
    diff -u "$r/rewritten" "$r/event-paths" >"$r/events.diff" ||
        problems+=("event log differs from the links cargo rewrote: $(grep -c '^[-+][^-+]' "$r/events.diff") lines")
    local stray; stray=$(crate_of <"$r/rewritten" | LC_ALL=C sort -u | LC_ALL=C comm -23 - "$r/compiled" | paste -sd' ' -)
    [ -z "$stray" ] || problems+=("links rewritten for crates cargo did not rebuild: $stray")
    local c
    for c in ${EXPECT:-}; do # crates the trigger must (or, with !, must not) rebuild
        case $c in
        !*) ! grep -qx "${c#!}" "$r/compiled" || problems+=("${c#!} was rebuilt") ;;
        *) grep -qx "$c" "$r/compiled" || problems+=("$c was not rebuilt") ;;
        esac
    done
    local rebuilt; rebuilt=$(crates_of "$r/rewritten")
    echo "  with cowlink: rc=$(phase_rc "$dir") in $(phase_ms "$dir") ms; $(wc -l <"$r/rewritten") inherited links rewritten (crates: ${rebuilt:-none})"
    if [ ${#problems[@]} = 0 ]; then pass "$name"; else fail "$name: ${problems[*]}"; cat "$r/events.diff" | head -20; fi
    local n; n=$(echo "$rebuilt" | wc -w)
    [ "$n" -le 12 ] || rebuilt="$n crates: $(echo "$rebuilt" | cut -d' ' -f1-8)..."
    table+=("| $name | $who, store ${smode} | ${why:-passed} | $without_ms | $inherit_ms | $(phase_ms "$dir") | $(wc -l <"$r/rewritten") | ${rebuilt:-none} |")
    LAST=$dir
}

MEMBERS="app probe quirky"
# copy_members TARGET: the members' linked rlib/rmeta made private copies.
copy_members() {
    local m l
    for m in $MEMBERS; do
        for l in "$1"/release/deps/lib"$m"-*.r*; do
            [ -L "$l" ] && cp --remove-destination "$(readlink "$l")" "$l" && chmod u+w "$l"
        done
    done
    return 0
}
# members_only CRATES: true when every crate named is a workspace member.
members_only() {
    local c
    for c in $1; do case " $MEMBERS " in *" $c "*) ;; *) return 1 ;; esac; done
}

PRISTINE=$W/pristine
restore_store() { rsync -a --delete "$PRISTINE/" "$STORE_SRC/"; }

REFERENCE=$(reference)
DEPS=$(deps_target)
du_deps=$(du -sh "$DEPS" | cut -f1); files=$(find "$DEPS" -type f | wc -l)
say "deps target: $du_deps, $files files, $(grep -c '^name = ' "$WORKSPACE/Cargo.lock") crates in Cargo.lock"
D1=$(install_store "$DEPS" app-deps-0.1.0)
cp -a "$STORE_SRC" "$PRISTINE"
mount_store ro

build="cargo build --release"
pc=PKG_CONFIG_PATH=/usr/local/lib/pkgconfig
# Inherit the deps build (crane's buildPackage, cargoTest, cargoDoc, cargoClippy)
cell package "$D1" root ro build "$build"
PACKAGE=$LAST
DEPS_TRIGGER=1 EXPECT="libz_sys openssl_sys" cell env-pkg-config "$D1" root ro build "$build" "$pc"
DEPS_TRIGGER=1 EXPECT="serde libc" cell rustflags "$D1" root ro build "$build" "RUSTFLAGS=-C force-frame-pointers=yes"
cell test "$D1" root ro test "cargo test --release"
cell doc "$D1" root ro doc "cargo doc --release --no-deps"
if PATH=$UPATH cargo clippy -V >/dev/null 2>&1; then
    # clippy's own member artifacts get other names: it bites when the
    # clippy derivation's inputs differ (here PKG_CONFIG_PATH), as they do.
    DEPS_TRIGGER=1 cell clippy-env-pkg-config "$D1" root ro clippy "cargo clippy --release --all-targets" "$pc"
else
    echo "SKIP clippy: cargo clippy is not installed"
fi
DEPS_TRIGGER=1 cell nobody-env-pkg-config "$D1" nobody rw build "$build" "$pc"

# Chained: the package build's output, installed as crane installs it on
# top of its parent (every file identical to the parent's a link to it), so
# fingerprints, .d files and build-script output arrive as links too.  The
# store is writable here (root): only cowlink keeps it intact.
rm -rf "$PACKAGE/.phase" "$PACKAGE/.cargo-home" "$PACKAGE/.home"
D2=$(install_store "$PACKAGE/target" app-0.1.0)
dedup_against "${D2/#$STORE/$STORE_SRC}" "$D1"
seal "${D2/#$STORE/$STORE_SRC}"
rm -rf "$PRISTINE" "$PACKAGE"; cp -a "$STORE_SRC" "$PRISTINE"
say "chained store path: $(find "${D2/#$STORE/$STORE_SRC}" -type l | wc -l) links to its parent, $(find "${D2/#$STORE/$STORE_SRC}" -type f | wc -l) files of its own"
# The sources have mtime 1 here, as in Nix: only the triggers rebuild.
AGE=store EXPECT="quirky !probe !libz_sys" cell chained-rerun-if-changed-missing "$D2" root rw build "$build"
AGE=store EXPECT="quirky probe !libz_sys" cell chained-env-cmake-like "$D2" root rw build "$build" PROBE_PREFIX_PATH=/opt/probe
AGE=store EXPECT="libz_sys" cell chained-env-pkg-config "$D2" root rw build "$build" "$pc"

echo
echo "| cell | who, store | without cowlink | without ms | inherit ms | with cowlink ms | links rewritten | crates rebuilt from inherited links |"
echo "|---|---|---|---|---|---|---|---|"
printf '%s\n' "${table[@]}"
echo
echo "crane-matrix: $passed passed, $failed failed"
[ "$failed" = 0 ]
