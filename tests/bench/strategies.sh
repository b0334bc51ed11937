# shellcheck shell=bash
# What inherit.sh and inherit-fs.sh share (sourced): the store copy of a
# target dir as Nix leaves it, the order of the rounds, and inherit.sh's
# models of crane's inheritance strategies (inherit-fs.sh uses crane's own
# hooks, and these only where crane's sources are absent).
#   via_STRATEGY STOREPATH DEST: STOREPATH/target (or its target.tar.zst)
#   into DEST, a build dir's target/.

# The store copy, as Nix leaves it: read-only, mtime 1.
seal() {
    find "$1" -exec touch -h -d @1 {} +
    chmod -R a-w "$1"
}

# tar_zst STOREPATH: STOREPATH/target.tar.zst of STOREPATH/target, as
# reproducible as crane's use-zstd install makes it (crane archives the
# dir's contents, this the dir: via_zstd strips the first component).
tar_zst() {
    tar -C "$1" --sort=name --mtime=@1 --owner=0 --group=0 --numeric-owner -c target |
        zstd -q -T0 -o "$1/target.tar.zst"
}

# crane's use-symlink mode, modelled on its documented behaviour.
via_crane_symlink() {
    rsync --recursive --links --times --chmod=u+w --executability \
        --exclude 'deps/*.rlib' --exclude 'deps/*.rmeta' --exclude '.cargo-lock' \
        "$1/target/" "$2/"
    (cd "$1/target" && find . \( -path '*/deps/*.rlib' -o -path '*/deps/*.rmeta' \) -printf '%P\n') > "$2.list"
    xargs --no-run-if-empty -n1 dirname < "$2.list" | sort -u | (cd "$2" && xargs --no-run-if-empty mkdir -p)
    xargs -P "$(nproc)" -I '{}' ln -s "$1/target/{}" "$2/{}" < "$2.list"
    rm "$2.list"
}

via_zstd() {
    mkdir -p "$2"
    zstd -d -q "$1/target.tar.zst" --stdout | tar -x -C "$2" --strip-components=1
}

via_deep_copy() {
    cp -r "$1/target" --dereference --no-target-directory "$2" \
        --preserve=timestamps --no-preserve=ownership
    chmod -R u+w "$2"
    find "$2" -name .cargo-lock -delete
}

via_reflink() {
    cp -r --reflink=always "$1/target" --no-target-directory "$2" \
        --preserve=timestamps --no-preserve=ownership
    chmod -R u+w "$2"
    find "$2" -name .cargo-lock -delete
}

# rotate N WORDS...: the words, starting at the Nth (cyclically), so that
# each round starts with another strategy: the first one of a round also
# pays for the file system settling after the last.
rotate() {
    local n=$1; shift
    local k=$(( (n - 1) % $# + 1 ))
    echo "${@:$k}" "${@:1:$((k - 1))}"
}
