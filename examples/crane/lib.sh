# crane's pipeline in shell, sourced by demo.sh, matrix.sh and compare.sh.
#
#   deps_target        crane's buildDepsOnly: dummy sources (mkDummySrc),
#                      cargo check --all-targets, build, test --no-run, in
#                      crane's environment; cached per toolchain and reused
#   install_store      crane's use-symlink install, then Nix's sealing: a
#                      store path holding target/, files identical to the
#                      parent's replaced by links to it, files 0444 (0555 if
#                      executable), dirs 0555, mtime 1, owned by root
#   inherit_symlink    crane's installCargoArtifactsMode = "use-symlink"
#   new_build_dir      the real sources at the one build path, mtime 1
#   phase              run a cargo command there as root or nobody, with or
#                      without cowlink, in crane's environment, and record
#                      what it did
#
# install and inherit are crane's own functions (hooks.sh, read from
# CRANE_SRC, by default ../shared/third-party/crane from the project root)
# when crane's sources are there, else the model of them (model.sh).
# CRANE_IMPL=model|crane chooses.  TOOLCHAIN=stable (rustup's stable, as
# tests/toolchain.sh copies it), debian (/usr/bin), or nightly (rustup's
# nightly, copied the same way, with cargo's new build-dir layout and
# fine-grain locking: what cargo 1.100 does by default); by default stable
# where this machine has it.
#
# Needs: BUILD (where libcowlink.so and cowlink are), root for the store.

CRANE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$CRANE/../.." && pwd)
WORKSPACE=$CRANE/workspace
BUILD=${BUILD:-$REPO/build}
CACHE=$REPO/build/crane
# The nobody cells build in the cache: where nobody cannot reach the
# repository (a clone under /root), keep the cache in /var/tmp instead.
if [ "$(id -u)" = 0 ] && id nobody >/dev/null 2>&1 &&
    ! setpriv --reuid=nobody --regid="$(id -g nobody)" --clear-groups test -x "$REPO" 2>/dev/null; then
    CACHE=/var/tmp/cowlink-crane-cache
fi
mkdir -p "$CACHE"
chmod 755 "$CACHE"

say() { printf '%s\n' "$*" >&2; }
now_ms() { date +%s%3N; }

# The toolchain.  Debian's is always there (setup.sh installs it).
if [ -z "${TOOLCHAIN:-}" ]; then
    if bash "$REPO/tests/toolchain.sh" >/dev/null 2>&1; then TOOLCHAIN=stable; else TOOLCHAIN=debian; fi
fi
# LAYOUT_ENV: what every cargo command gets to choose its target layout.
LAYOUT_ENV=() NEW_LAYOUT=
case $TOOLCHAIN in
stable|nightly)
    bin=$(bash "$REPO/tests/toolchain.sh" "$TOOLCHAIN") || { say "crane: TOOLCHAIN=$TOOLCHAIN but this machine has no rustup $TOOLCHAIN toolchain"; exit 1; }
    UPATH=$bin:/usr/sbin:/usr/bin:/sbin:/bin ;;
debian) UPATH=/usr/sbin:/usr/bin:/sbin:/bin ;;
*) say "crane: TOOLCHAIN must be stable, debian or nightly, not $TOOLCHAIN"; exit 1 ;;
esac
if [ "$TOOLCHAIN" = nightly ]; then
    # -Zbuild-dir-new-layout -Zfine-grain-locking, for every command.
    # rustc presented as the stable release it stands in for: the build
    # scripts of Debian's old crates (proc-macro2, ahash) turn on nightly
    # language features that today's nightly no longer has.
    # Of mtime 1, as in the store, whenever it is written: cargo reruns
    # rustc -vV, and rewrites target/.rustc_info.json, when the compiler's
    # mtime changes.
    mkdir -p "$CACHE/nightly-as-stable"
    cat >"$CACHE/nightly-as-stable/rustc.new" <<EOF
#!/bin/sh
for a; do case "\$a" in -vV|-V|--version) "$bin/rustc" "\$@" | sed s/-nightly//; exit ;; esac; done
exec "$bin/rustc" "\$@"
EOF
    if cmp -s "$CACHE/nightly-as-stable/rustc.new" "$CACHE/nightly-as-stable/rustc"; then
        rm "$CACHE/nightly-as-stable/rustc.new"
    else
        mv "$CACHE/nightly-as-stable/rustc.new" "$CACHE/nightly-as-stable/rustc"
        touch -d @1 "$CACHE/nightly-as-stable/rustc"
    fi
    chmod -R a+rx "$CACHE/nightly-as-stable"
    LAYOUT_ENV=(CARGO_UNSTABLE_BUILD_DIR_NEW_LAYOUT=true CARGO_UNSTABLE_FINE_GRAIN_LOCKING=true
                RUSTC="$CACHE/nightly-as-stable/rustc")
    NEW_LAYOUT=1
fi
TOOLCHAIN_VERSION=$(PATH=$UPATH cargo -V | awk '{print $2}')
CARGO_MINOR=$(echo "$TOOLCHAIN_VERSION" | cut -d. -f2)

# crane's own hooks, or the model.
CRANE_SRC=${CRANE_SRC:-$REPO/../shared/third-party/crane}
if [ -z "${CRANE_IMPL:-}" ]; then
    if [ -f "$CRANE_SRC/lib/setupHooks/inheritCargoArtifactsHook.sh" ]; then CRANE_IMPL=crane; else CRANE_IMPL=model; fi
fi
source "$CRANE/model.sh"
source "$CRANE/hooks.sh"
case $CRANE_IMPL in
crane) [ -f "$CRANE_SRC/lib/setupHooks/inheritCargoArtifactsHook.sh" ] ||
    { say "crane: CRANE_IMPL=crane but crane's sources are not in $CRANE_SRC"; exit 1; } ;;
model) ;;
*) say "crane: CRANE_IMPL must be crane or model"; exit 1 ;;
esac

# Every phase has a tidy environment: these would change fingerprints.
unset RUSTFLAGS CARGO_TARGET_DIR CARGO_BUILD_RUSTFLAGS PKG_CONFIG_PATH CMAKE_PREFIX_PATH

# One build path for every derivation, as crane's sandboxed builds all run
# in /build/source: a path dependency's hashes, and remapped paths, depend
# on it.  So one run at a time.
SRC=$CACHE/build/source
exec {CRANE_LOCK}>"$CACHE/.lock"
flock -n "$CRANE_LOCK" || { say "crane: waiting for another run of the crane example"; flock "$CRANE_LOCK"; }

PHASE_ENV=()
W=$(mktemp -d /tmp/cowlink-crane-XXXXXX)
chmod 755 "$W"
STORE=$W/store # the store as the builds see it (read-only mount as root)
STORE_SRC=$W/store-src
mkdir -p "$STORE" "$STORE_SRC" "$W/bin"
cp "$BUILD/libcowlink.so" "$BUILD/cowlink" "$W/bin/"
chmod -R a+rX "$W/bin"

# Where bind mounts are refused (some containers), the store is a plain
# directory: root-owned and read-only by its modes only.
if mount --bind "$STORE_SRC" "$STORE" 2>/dev/null; then
    umount "$STORE"; CAN_MOUNT=1
else
    CAN_MOUNT=; rmdir "$STORE_SRC"; STORE_SRC=$STORE
    say "note: this machine refuses bind mounts: the store is protected by its modes only"
fi

crane_cleanup() {
    mountpoint -q "$STORE" 2>/dev/null && umount "$STORE"
    chmod -R u+w "$W" 2>/dev/null
    rm -rf "$W"
    [ ! -d "$SRC" ] || { chmod -R u+w "$SRC"; rm -rf "$SRC"; }
}
trap crane_cleanup EXIT
trap 'say "crane: failed at ${BASH_SOURCE[0]##*/}:$LINENO: $BASH_COMMAND"' ERR

# crane_env [VAR=VALUE...]: sets CRANE_ENV to the command that runs a
# program in the environment crane's hooks give cargo
# (configureCargoCommonVars): CARGO_HOME inside the source, as many jobs as
# cores, no incremental builds; HOME is Nix's.
crane_env() {
    local cores; cores=$(nproc)
    CRANE_ENV=(env -i PATH="$UPATH" HOME=/homeless-shelter CARGO_HOME="$SRC/.cargo-home"
        CARGO_BUILD_JOBS="$cores" RUST_TEST_THREADS="$cores" NIX_BUILD_CORES="$cores"
        CARGO_BUILD_INCREMENTAL=false CARGO_TERM_COLOR=never "${LAYOUT_ENV[@]}" "$@")
}

# The name of the dummy build script in the "store", as mkDummySrc writes
# it (the name, not the text, is what changes the members' hashes).
DUMMY_RS='#![allow(dead_code)]
pub fn main() {}'
dummy_build_rs() {
    local f
    f=$CACHE/dummy/$(printf '%s' "$DUMMY_RS" | sha256sum | cut -c1-32)-dummyBuild.rs
    [ -f "$f" ] || { mkdir -p "${f%/*}"; printf '%s\n' "$DUMMY_RS" >"$f"; chmod 0444 "$f"; }
    echo "$f"
}

# dummy_src SRC DEST: the workspace as crane's mkDummySrc makes it: the
# lock file and cargo configuration, every manifest with its `build`
# pointing at the dummy build script in the store, and every target's
# source replaced by a dummy.  Nothing else: no real build.rs, no C.
dummy_src() {
    local m d build
    build=$(dummy_build_rs)
    rm -rf "$2"; mkdir -p "$2/.cargo"
    cp "$1/Cargo.lock" "$2/"
    cp "$1/.cargo/config.toml" "$2/.cargo/"
    use_vendor "$2"
    (cd "$1" && find . -name Cargo.toml -not -path './target/*' -printf '%P\n') | while read -r m; do
        d=$(dirname "$m")
        mkdir -p "$2/$d"
        if grep -q '^\[package\]' "$1/$m"; then
            sed -e '/^build = /d' -e "s#^\[package\]#[package]\nbuild = \"$build\"#" "$1/$m" >"$2/$m"
            for f in src/main.rs src/lib.rs; do
                [ ! -f "$1/$d/$f" ] || { mkdir -p "$2/$d/src"; printf '%s\n' "$DUMMY_RS" >"$2/$d/$f"; }
            done
        else
            cp "$1/$m" "$2/$m"
        fi
    done
}

# The vendored crates depend on the lock file and the example's own
# crates; the deps build also on the toolchain and on lib.sh's dummy.
vendor_key() {
    (cd "$WORKSPACE" && echo vendored-mtime-1 && cat Cargo.lock && find "$CRANE/crates" -type f | LC_ALL=C sort | xargs cat) |
        sha256sum | cut -c1-16
}
deps_key() {
    (cd "$WORKSPACE" && vendor_key && cat .cargo/config.toml */Cargo.toml Cargo.toml && echo "$DUMMY_RS" "$CACHE"
     PATH=$UPATH rustc -vV; PATH=$UPATH cargo -V
     [ ${#LAYOUT_ENV[@]} = 0 ] || echo "${LAYOUT_ENV[*]}") | sha256sum | cut -c1-16
}

# crate_sum DIR: the checksum a vendored crate of ours carries, and that
# Cargo.lock records for it (cargo compares the two).
crate_sum() {
    (cd "$1" && find . -type f ! -name .cargo-checksum.json -print0 | LC_ALL=C sort -z | xargs -0 sha256sum) |
        sha256sum | cut -d' ' -f1
}

# vendor_dir: the locked crates copied out of Debian's registry, and the
# example's own crates (crates/), with every mtime set to 1, as crane
# vendors them into the Nix store (with the registry's own mtimes, every
# build script that says rerun-if-changed would look stale next to
# inherited outputs of mtime 1).
vendor_dir() {
    local dir c
    dir=$CACHE/vendor-$(vendor_key)
    if [ ! -f "$dir.done" ]; then
        chmod -R u+w "$CACHE"/vendor-* 2>/dev/null || true
        rm -rf "$CACHE"/vendor-*; mkdir -p "$dir"
        awk -F'"' '/^name = /{n=$2} /^version = /{v=$2; sub(/\+.*/, "", v)} /^source = "registry/{print n "-" v}' \
            "$WORKSPACE/Cargo.lock" | while read -r crate; do
            if [ -d "$CRANE/crates/${crate%-*}" ]; then
                c=$CRANE/crates/${crate%-*}
                cp -a "$c" "$dir/$crate"
                printf '{"files":{},"package":"%s"}\n' "$(crate_sum "$c")" >"$dir/$crate/.cargo-checksum.json"
            else
                cp -a "/usr/share/cargo/registry/$crate" "$dir/"
            fi
        done
        find "$dir" -exec touch -h -d @1 {} +
        chmod -R a+rX,a-w "$dir"
        touch "$dir.done"
    fi
    echo "$dir"
}

# use_vendor DIR: point DIR's cargo configuration at the vendored crates.
use_vendor() {
    sed -i "s#^directory = .*#directory = \"$(vendor_dir)\"#" "$1/.cargo/config.toml"
}

# as_store_sources DIR: mtime 1 everywhere, as sources unpacked from the
# Nix store have.
as_store_sources() { find "$1" -exec touch -h -d @1 {} +; }

# The flags crane's remapPathPrefixHook sets (doRemapPathPrefix, or
# dontStrip): the build path remapped to the source's store path with its
# hash neutered, so that the deps build and the package agree.
REMAP_FLAGS=" -C link-arg=-Wl,--compress-debug-sections=none --remap-path-prefix=$SRC=/nix/store/####CRANE-NEUTERED-REMAP-SRC####-source"

# deps_target [remap]: print the path of the deps-only target dir, building
# it as buildDepsOnly does when the cache has none for this lock file and
# toolchain.  "remap": buildDepsOnly with doRemapPathPrefix, for libz-sys
# only (cargoExtraArgs = "--locked -p libz-sys").
deps_target() {
    local variant=${1:-} key dir t0 cmd old extra=() env=(CRANE_BUILD_DEPS_ONLY=1)
    key=$(deps_key)
    dir=$CACHE/deps-$TOOLCHAIN-$key${variant:+-$variant}
    [ "$variant" != remap ] || { extra=(-p libz-sys); env+=("CARGO_BUILD_RUSTFLAGS=$REMAP_FLAGS"); }
    if [ ! -f "$dir/done" ]; then
        for old in "$CACHE/deps-$TOOLCHAIN"-*; do [[ $old == *-$key* ]] || rm -rf "$old"; done
        rm -rf "$dir" "$SRC"
        mkdir -p "$dir"
        dummy_src "$WORKSPACE" "$SRC"
        as_store_sources "$SRC"
        t0=$(now_ms)
        say "buildDepsOnly${variant:+ ($variant)} of $(grep -c '^name = ' "$WORKSPACE/Cargo.lock") crates with $TOOLCHAIN's cargo $TOOLCHAIN_VERSION (dummy sources: check, build, test --no-run); a few minutes the first time"
        for cmd in "check --release --locked --all-targets" "build --release --locked" \
            "test --release --locked --no-run"; do
            say "  cargo $cmd ${extra[*]}"
            crane_env "${env[@]}"
            # shellcheck disable=SC2086
            (cd "$SRC" && "${CRANE_ENV[@]}" cargo $cmd "${extra[@]}") 2>&1 | progress errors || return 1
        done
        echo $(($(now_ms) - t0)) >"$dir/ms"
        mv "$SRC/target" "$dir/target"
        rm -rf "$SRC"
        touch "$dir/done"
    fi
    echo "$dir/target"
}

# progress [errors]: cargo's output reduced to one updating line on a
# terminal, and to a dot per 20 crates otherwise; with "errors", cargo's
# error lines are shown too.
progress() {
    local n=0 line
    while IFS= read -r line; do
        case $line in
        *Compiling*|*Checking*|*Documenting*)
            n=$((n + 1))
            if [ -t 2 ]; then printf '\r    %4d units  %-60.60s' "$n" "${line#"${line%%[! ]*}"}" >&2
            elif [ $((n % 20)) = 0 ]; then printf '.' >&2; fi ;;
        error*|*' error: '*|*'error['*) [ "${1:-}" != errors ] || printf '\n%s\n' "$line" >&2 ;;
        esac
    done
    [ "$n" = 0 ] || printf '\n' >&2
    return 0
}

# install_store TARGET NAME [PARENT]: install a copy of the target dir TARGET
# into a new store path as crane's use-symlink install does (files
# identical to those of the store path PARENT become links to them), seal
# it as Nix does, and print the path of its target/ as the builds see it.
install_store() {
    local name out stage
    name=$(printf '%s' "$2" | sha256sum | cut -c1-32)-$2
    out=$STORE_SRC/$name
    stage=$W/stage
    rm -rf "$stage"; mkdir -p "$stage"
    cp -a "$1" "$stage/target"
    "${CRANE_IMPL}_install" "$out" "$stage/target" "${3:-}" >>"$W/hooks.log" 2>&1
    rm -rf "$stage"
    seal "$out"
    echo "$STORE/$name/target"
}

seal() {
    find "$1" -type f -perm /111 -exec chmod 0555 {} +
    find "$1" -type f ! -perm /111 -exec chmod 0444 {} +
    find "$1" -type d -exec chmod 0555 {} +
    find "$1" -exec touch -h -d @1 {} +
    chown -hR 0:0 "$1"
}

# mount_store ro|rw: the store as the builds see it, a bind mount of
# STORE_SRC, read-only (as Nix mounts it) or writable (then only cowlink
# keeps root from writing it).
mount_store() {
    [ -n "$CAN_MOUNT" ] || return 0
    mountpoint -q "$STORE" && umount "$STORE"
    mount --bind "$STORE_SRC" "$STORE"
    [ "$1" = rw ] || mount -o remount,bind,ro "$STORE"
}

# The store, a line per name and per file's content: types, modes, times,
# owners, link texts, sha256.  store_sum is its checksum.  A directory's
# size is left out: ext4 never shrinks a directory, so it stays grown after
# restore_store removes what a run without cowlink created (its mtime, which
# any entry made or removed changes, is kept).
store_list() {
    (cd "$STORE_SRC" && find . \( -type d -printf '%y %m - %T@ %u %p\n' \) -o -printf '%y %m %s %T@ %u %p %l\n' | LC_ALL=C sort &&
        find . -type f -exec sha256sum {} + | LC_ALL=C sort)
}
store_sum() { store_list | sha256sum | cut -c1-16; }

# store_changes BEFORE: nothing if the store still matches the listing in
# file BEFORE, else the first lines that differ (what a failure shows).
store_changes() { { store_list | diff "$1" - | grep "^[<>]" | head -"${2:-10}"; } || true; }

# store_changed_paths BEFORE: the paths that changed since the listing in
# file BEFORE, one a line, relative to their store path's target/ (what is
# not under a target/ keeps its ./NAME/ prefix).
store_changed_paths() {
    { store_list | diff "$1" - || true; } | awk '/^[<>] /{for (i = 2; i <= NF; i++) if ($i ~ /^\.(\/|$)/) { print $i; break }}' |
        sed -E 's#^\./[^/]+/target/##' | LC_ALL=C sort -u
}

# inherit_symlink STORETARGET DEST: crane's use-symlink inheritance of the
# store path holding STORETARGET, into DEST (a build dir's target/).
inherit_symlink() {
    (cd "$(dirname "$2")" && "${CRANE_IMPL}_inherit" "$(dirname "$1")" "$2") >>"$W/hooks.log" 2>&1
}

# inherit_cowlink STORETARGET DEST: every file a link, in one process.
inherit_cowlink() { "$W/bin/cowlink" inherit "$1" "$2"; }

# new_build_dir [NAME]: the real workspace sources at the one build path,
# with mtime 1 as sources unpacked from the store have (NAME is ignored).
new_build_dir() {
    [ ! -d "$SRC" ] || { chmod -R u+w "$SRC"; rm -rf "$SRC"; }
    mkdir -p "$SRC"
    (cd "$WORKSPACE" && tar --exclude=./target -cf - .) | tar -C "$SRC" -xf -
    use_vendor "$SRC"
    as_store_sources "$SRC"
    echo "$SRC"
}

# crate_of PATH (relative to target/): the crate an artifact belongs to,
# with dashes as underscores.  The new layout keeps a unit's files in
# build/PKG/HASH/; final artifacts (libNAME.rlib, NAME.d...) are uplifted
# into the profile's directory in both.
crate_of() {
    sed -E 's#^(release|debug)/##
            s#^build/([^/]+)/[0-9a-f]{16}/.*#\1#
            s#^(\.fingerprint|build)/([^/]+)-[0-9a-f]{16}/.*#\2#
            s#^deps/lib([^/]+)-[0-9a-f]{16}\.(rlib|rmeta|so)$#\1#
            s#^deps/([^/]+)-[0-9a-f]{16}(\.[a-z]+)?$#\1#
            s#^lib([^/.]+)\.(rlib|rmeta|so|a|d)$#\1#
            s#^([^/.]+)\.d$#\1#
            s#-#_#g'
}

# links_in DIR: the symlinks under DIR (relative paths), sorted.
links_in() { (cd "$1" && find . -type l -printf '%P\n' | LC_ALL=C sort); }

# phase DIR WHO COWLINK CMD: run CMD (a shell command line) in DIR as WHO
# (root or nobody), with cowlink (1) or without (0), in crane's environment
# plus the array PHASE_ENV.  Leaves in DIR/.phase/: out (the output), rc,
# ms, compiled (crates cargo rebuilt), rewritten (links that are links no
# more), event-paths (what cowlink logged), linked (crates that had links).
phase() {
    local dir=$1 who=$2 with=$3 cmd=$4 rec=$1/.phase t0
    rm -rf "$rec"; mkdir -p "$rec"
    : >"$rec/events.log"
    links_in "$dir/target" >"$rec/links.before"
    crane_env "${PHASE_ENV[@]}"
    local run=("${CRANE_ENV[@]}")
    [ "$with" = 1 ] && run+=(LD_PRELOAD="$W/bin/libcowlink.so" COWLINK_STORE="$STORE"
                             COWLINK_LOG="$rec/events.log")
    if [ "$who" = nobody ]; then
        chown -hR nobody: "$dir" # -h: never the store files the links point to
        run=(setpriv --reuid=nobody --regid="$(id -g nobody)" --clear-groups "${run[@]}")
    fi
    # CRANE_STRACE=1: what each process did to which file (rec/strace.PID).
    [ -z "${CRANE_STRACE:-}" ] || run=(strace -ff -qq -s 4096 -e trace=file,desc -y -o "$rec/strace" "${run[@]}")
    t0=$(now_ms)
    { (cd "$dir" && "${run[@]}" bash -c "$cmd") 2>&1 && echo 0 >"$rec/rc" || echo $? >"$rec/rc"; } |
        tee "$rec/out" | progress
    echo $(($(now_ms) - t0)) >"$rec/ms"
    links_in "$dir/target" >"$rec/links.after"
    LC_ALL=C comm -23 "$rec/links.before" "$rec/links.after" >"$rec/rewritten"
    sed -nE 's/^ *(Compiling|Checking|Documenting) ([^ ]+) v.*/\2/p' "$rec/out" |
        tr - _ | LC_ALL=C sort -u >"$rec/compiled"
    sed -nE 's#^.* path='"$dir"'/target/([^ ]+)( .*)?$#\1#p' "$rec/events.log" |
        LC_ALL=C sort -u >"$rec/event-paths"
    crate_of <"$rec/links.before" | LC_ALL=C sort -u >"$rec/linked"
    return 0
}

# keep_phase DIR NAME: with CRANE_KEEP set, a copy of DIR's record, and of
# its target's links and their texts, in $CRANE_KEEP/NAME (new_build_dir
# removes them with the next phase).
keep_phase() {
    [ -n "${CRANE_KEEP:-}" ] || return 0
    rm -rf "${CRANE_KEEP:?}/$2"; mkdir -p "$CRANE_KEEP"
    cp -a "$1/.phase" "$CRANE_KEEP/$2"
    (cd "$1/target" && find . -printf '%y %n %i %T@ %P %l\n' | LC_ALL=C sort -k5) >"$CRANE_KEEP/$2/target.after"
}

phase_rc() { cat "$1/.phase/rc"; }
phase_ms() { cat "$1/.phase/ms"; }
