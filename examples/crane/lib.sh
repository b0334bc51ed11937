# A model of crane's pipeline in shell, sourced by demo.sh and matrix.sh.
#
#   deps_target        crane's buildDepsOnly: the workspace with dummy
#                      sources, cargo check, build and test (release
#                      profile), cached under build/crane/ and reused
#   install_store      Nix's install: a store path holding target/, files
#                      0444 (0555 if executable), dirs 0555, mtime 1, root's
#   inherit_symlink    crane's installCargoArtifactsMode = "use-symlink":
#                      copy all but deps/*.rlib|rmeta (owner write added),
#                      then one absolute symlink per rlib/rmeta
#   dedup_against      crane's chained install: every file identical to the
#                      parent's becomes a link to the parent's store file
#   phase              run a cargo command in a build dir as root or nobody,
#                      with or without cowlink, and record what it did
#
# Needs: BUILD (where libcowlink.so and cowlink are), root for the store.

CRANE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$CRANE/../.." && pwd)
WORKSPACE=$CRANE/workspace
BUILD=${BUILD:-$REPO/build}
CACHE=$REPO/build/crane
# The nobody cells read the vendored crates from the cache: where nobody
# cannot reach the repository (a clone under /root), keep the cache in
# /var/tmp instead.
if [ "$(id -u)" = 0 ] && id nobody >/dev/null 2>&1 &&
    ! setpriv --reuid=nobody --regid="$(id -g nobody)" --clear-groups test -x "$REPO" 2>/dev/null; then
    CACHE=/var/tmp/cowlink-crane-cache
fi
# Debian's toolchain (cargo, rustc, clippy), whatever else is on PATH.
UPATH=/usr/sbin:/usr/bin:/sbin:/bin
# Every phase has a tidy environment: these would change fingerprints.
unset RUSTFLAGS CARGO_TARGET_DIR CARGO_BUILD_RUSTFLAGS PKG_CONFIG_PATH QUIRKY_PREFIX_PATH

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
}
trap crane_cleanup EXIT
trap 'say "crane: failed at ${BASH_SOURCE[0]##*/}:$LINENO: $BASH_COMMAND"' ERR

say() { printf '%s\n' "$*" >&2; }
now_ms() { date +%s%3N; }

# cargo_in DIR ARGS...: Debian's cargo in DIR, its own CARGO_HOME.
cargo_in() {
    local dir=$1; shift
    (cd "$dir" && env PATH="$UPATH" CARGO_HOME="$CACHE/cargo-home" cargo "$@")
}

# dummy_src SRC DEST: the workspace as crane's mkDummySrc sees it: the same
# manifests and lock file, every Rust source replaced by an empty one.
dummy_src() {
    rm -rf "$2"; mkdir -p "$2"
    (cd "$1" && tar --exclude=./target -cf - .) | tar -C "$2" -xf -
    use_vendor "$2"
    find "$2" -name '*.rs' | while read -r f; do
        case $f in
        */lib.rs) echo '#![allow(dead_code)]' >"$f" ;;
        *) echo 'fn main() {}' >"$f" ;;
        esac
    done
}

# The cache key: everything the deps build depends on.
deps_key() {
    (cd "$WORKSPACE" && echo vendored-mtime-1 && cat Cargo.lock .cargo/config.toml */Cargo.toml Cargo.toml
     PATH=$UPATH rustc -vV; PATH=$UPATH cargo -V) | sha256sum | cut -c1-16
}

# vendor_dir: the locked crates copied out of Debian's registry with every
# mtime set to 1, as crane vendors them into the Nix store (with the
# registry's own mtimes, every build script that says rerun-if-changed
# would look stale next to inherited outputs of mtime 1).
vendor_dir() {
    local dir
    dir=$CACHE/vendor-$(deps_key)
    if [ ! -f "$dir.done" ]; then
        chmod -R u+w "$CACHE"/vendor-* 2>/dev/null || true
        rm -rf "$CACHE"/vendor-*; mkdir -p "$dir"
        awk -F'"' '/^name = /{n=$2} /^version = /{v=$2; sub(/\+.*/, "", v)} /^source = "registry/{print n "-" v}' \
            "$WORKSPACE/Cargo.lock" | while read -r crate; do
            cp -a "/usr/share/cargo/registry/$crate" "$dir/"
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

# deps_target: print the path of the deps-only target dir, building it
# (dummy sources, check + build + test in release, as buildDepsOnly does)
# when the cache has none for this lock file and toolchain.
deps_target() {
    local key dir t0
    key=$(deps_key)
    dir=$CACHE/deps-$key
    if [ ! -f "$dir/done" ]; then
        rm -rf "$CACHE"/deps-*
        dummy_src "$WORKSPACE" "$dir/src"
        t0=$(now_ms)
        say "deps-only build of $(grep -c '^name = ' "$WORKSPACE/Cargo.lock") crates (dummy sources, release: check, build, test); a few minutes the first time"
        for cmd in "check --release --workspace --all-targets" "build --release --workspace" \
            "test --release --workspace"; do
            say "  cargo $cmd"
            # shellcheck disable=SC2086
            cargo_in "$dir/src" $cmd 2>&1 | progress errors || return 1
        done
        echo $(($(now_ms) - t0)) >"$dir/ms"
        touch "$dir/done"
    fi
    echo "$dir/src/target"
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

# install_store TARGET NAME: copy a target dir into a new store path (as
# Nix does: read-only modes, mtime 1, owned by root) and print the path of
# its target/ as the builds see it.
install_store() {
    local name out
    name=$(printf '%s' "$2" | sha256sum | cut -c1-32)-$2
    out=$STORE_SRC/$name
    mkdir -p "$out"
    (cd "$1/.." && tar --exclude=.cargo-lock -cf - "$(basename "$1")") | tar -C "$out" -xf -
    [ "$(basename "$1")" = target ] || mv "$out/$(basename "$1")" "$out/target"
    seal "$out"
    echo "$STORE/$name/target"
}

# dedup_against DIR PARENT: replace every regular file of DIR that is
# identical to the same path under PARENT by a link to PARENT's file.
dedup_against() {
    local dir=$1 parent=$2 rel
    (cd "$dir" && find . -type f -printf '%P\n') | while read -r rel; do
        [ -f "$parent/$rel" ] && cmp -s "$dir/$rel" "$parent/$rel" &&
            ln -sfn "$parent/$rel" "$dir/$rel"
    done
    return 0
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

# A checksum of the store: names, types, modes, times, owners, content.
store_sum() {
    (cd "$STORE_SRC" && find . -printf '%y %m %s %T@ %u %p %l\n' | LC_ALL=C sort &&
        find . -type f -exec sha256sum {} + | LC_ALL=C sort) | sha256sum | cut -c1-16
}

# inherit_symlink STORETARGET DEST: crane's use-symlink inheritance, the way
# crane's shell hook does it (rsync, then find, then one ln per file).
inherit_symlink() {
    mkdir -p "$2"
    rsync --recursive --links --times --chmod=u+w --executability \
        --exclude 'deps/*.rlib' --exclude 'deps/*.rmeta' --exclude '.cargo-lock' \
        "$1/" "$2/"
    (cd "$1" && find . \( -path '*/deps/*.rlib' -o -path '*/deps/*.rmeta' \) -printf '%P\n') |
        xargs -r -P "$(nproc)" -I{} ln -s "$1/{}" "$2/{}"
}

# inherit_cowlink STORETARGET DEST: every file a link, in one process.
inherit_cowlink() { "$W/bin/cowlink" inherit "$1" "$2"; }

# new_build_dir NAME [AGE]: the real workspace sources in a fresh build dir.
# They are newer than any inherited output, so cargo rebuilds the members,
# unless AGE is "store": then they have mtime 1, as sources unpacked from
# the store do, and only what a trigger invalidates is rebuilt.
new_build_dir() {
    local dir=$W/$1
    rm -rf "$dir"; mkdir -p "$dir"
    (cd "$WORKSPACE" && tar --exclude=./target -cf - .) | tar -C "$dir" -xf -
    use_vendor "$dir"
    [ "${2:-}" != store ] || find "$dir" -exec touch -h -d @1 {} +
    echo "$dir"
}

# crate_of PATH (relative to target/): the crate an artifact belongs to,
# with dashes as underscores.
crate_of() {
    sed -E 's#^(release|debug)/##
            s#^(\.fingerprint|build)/([^/]+)-[0-9a-f]{16}/.*#\2#
            s#^deps/lib([^/]+)-[0-9a-f]{16}\.(rlib|rmeta|so)$#\1#
            s#^deps/([^/]+)-[0-9a-f]{16}(\.[a-z]+)?$#\1#
            s#-#_#g'
}

# links_in DIR: the symlinks under DIR (relative paths), sorted.
links_in() { (cd "$1" && find . -type l -printf '%P\n' | LC_ALL=C sort); }

# phase DIR WHO COWLINK CMD: run CMD (a cargo command line) in DIR as WHO
# (root or nobody), with cowlink (1) or without (0), extra environment in
# the array PHASE_ENV.  Leaves in DIR/.phase/: out (cargo's output), rc, ms,
# compiled (crates cargo rebuilt), rewritten (links that are links no more),
# events (crates cowlink logged), linked (crates that had links).
phase() {
    local dir=$1 who=$2 with=$3 cmd=$4 rec=$1/.phase t0
    rm -rf "$rec"; mkdir -p "$rec"
    : >"$rec/events.log"
    links_in "$dir/target" >"$rec/links.before"
    local run=(env -i PATH="$UPATH" HOME="$dir/.home" CARGO_HOME="$dir/.cargo-home"
               CARGO_TERM_COLOR=never "${PHASE_ENV[@]}")
    [ "$with" = 1 ] && run+=(LD_PRELOAD="$W/bin/libcowlink.so" COWLINK_STORE="$STORE"
                             COWLINK_LOG="$rec/events.log")
    if [ "$who" = nobody ]; then
        chown -hR nobody: "$dir" # -h: never the store files the links point to
        run=(setpriv --reuid=nobody --regid="$(id -g nobody)" --clear-groups "${run[@]}")
    fi
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

phase_rc() { cat "$1/.phase/rc"; }
phase_ms() { cat "$1/.phase/ms"; }
