# A model of crane's use-symlink install and inheritance, for machines
# without crane's sources (sourced by lib.sh).  compare.sh holds it to
# crane's own functions: on the same target dir both must make the same
# links, copies, modes and times.
#
#   model_install OUT TARGET [PARENT]   TARGET (a dir named target) moved
#       into OUT, each file identical to PARENT/target's same path first
#       replaced by a link to it; .cargo-lock files are kept
#   model_inherit ARTIFACTS DEST        ARTIFACTS/target (a store path)
#       into DEST: everything copied with owner write added, except
#       deps/*.rlib and deps/*.rmeta, which become absolute links; every
#       .cargo*lock removed, and in each directory that held one, the *.d
#       files that are links become writable copies (cargo rewrites them)

model_install() {
    local out=$1 target=$2 parent=${3:+$3/target} rel
    mkdir -p "$out"
    if [ -n "$parent" ] && [ -d "$parent" ]; then
        (cd "$target" && find . -type f -printf '%P\n') | while read -r rel; do
            if cmp -s "$parent/$rel" "$target/$rel"; then ln -sfn "$parent/$rel" "$target/$rel"; fi
        done
    fi
    mv "$target" "$out/"
}

model_inherit() {
    local from=$1/target dest=$2 dir f
    mkdir -p "$dest"
    rsync --recursive --links --times --chmod=u+w --executability \
        --exclude 'deps/*.rlib' --exclude 'deps/*.rmeta' "$from/" "$dest/"
    find "$dest" -name '.cargo*lock' -printf '%h\n' | LC_ALL=C sort -u | while read -r dir; do
        rm -f "$dir"/.cargo*lock
        for f in "$dir"/*.d; do
            [ -L "$f" ] || continue
            cp --preserve=timestamps --no-preserve=ownership --remove-destination "$(readlink "$f")" "$f"
            chmod u+w "$f"
        done
    done
    (cd "$from" && find . \( -path '*/deps/*.rlib' -o -path '*/deps/*.rmeta' \) -printf '%P\n') |
        while read -r f; do
            mkdir -p "$dest/$(dirname "$f")"
            printf '%s\n' "$f"
        done | xargs -r -P "$(nproc)" -I{} ln -s "$from/{}" "$dest/{}"
}
