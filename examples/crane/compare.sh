# The model held to crane (sourced by matrix.sh): on the same target dir,
# model.sh's install and inheritance and crane's own functions must leave
# the same tree: the same paths, types, modes, link targets, file contents
# and file times.  Each prints the paths that differ and fails.

# tree_of DIR: one line per path: type, mode, time (files), link target,
# content checksum (files).
tree_of() {
    (cd "$1" && find . -mindepth 1 \( -type f -printf '%P %y %m %T@\n' -o ! -type f -printf '%P %y %m %l\n' \) |
        LC_ALL=C sort
     cd "$1" && find . -type f -printf '%P\0' | xargs -0 -r sha256sum | awk '{print $2, "sha256", $1}' | LC_ALL=C sort)
}

# same_tree WHAT A B: compare the trees; print what differs, path by path.
same_tree() {
    local d
    d=$(diff <(tree_of "$2") <(tree_of "$3") | sed -nE 's/^< (.*)/model: \1/p; s/^> (.*)/crane: \1/p' | LC_ALL=C sort -k2,2 -s)
    if [ -n "$d" ]; then
        echo "  $1: the model and crane differ on these paths:"
        echo "$d" | head -20 | sed 's/^/    /'
        return 1
    fi
    echo "  $1: model and crane agree on $(tree_of "$2" | grep -vc ' sha256 ') paths"
}

# compare_inherit STORETARGET: both inheritances of one store path.
compare_inherit() {
    local d=$W/compare
    rm -rf "$d"; mkdir -p "$d/model" "$d/crane"
    (cd "$d/model" && model_inherit "$(dirname "$1")" "$d/model/target") >>"$W/hooks.log" 2>&1
    (cd "$d/crane" && crane_inherit "$(dirname "$1")" "$d/crane/target") >>"$W/hooks.log" 2>&1
    same_tree "inherit $(basename "$(dirname "$1")")" "$d/model/target" "$d/crane/target"
    local rc=$?
    rm -rf "$d"
    return $rc
}

# compare_install TARGET PARENT: both installs of a copy of TARGET on top
# of the store path PARENT (the store mounted as the builds see it).
compare_install() {
    local d=$W/compare impl rc
    rm -rf "$d"
    for impl in model crane; do
        mkdir -p "$d/$impl/stage" "$d/$impl/out"
        cp -a "$1" "$d/$impl/stage/target"
        "${impl}_install" "$d/$impl/out" "$d/$impl/stage/target" "$2" >>"$W/hooks.log" 2>&1
    done
    same_tree "install on top of $(basename "$2")" "$d/model/out/target" "$d/crane/out/target"
    rc=$?
    rm -rf "$d"
    return $rc
}
