#!/usr/bin/env bash
# End to end: bring the crane example's deps build from the store into a
# fresh build dir, then `cargo build --release` after a trigger, for each
# of crane's inheritance strategies and for `cowlink inherit`.
#   one:  LIBZ_SYS_STATIC changes: libz-sys is rebuilt, with its dependents
#   all:  RUSTFLAGS change: every dependency is rebuilt
# The two symlink strategies run cargo with the library (without it they
# fail); the copies run without it.  Rounds alternate the strategies.
#
#   e2e.sh [BUILD]    (ROUNDS, default 5, for "one"; ALL_ROUNDS, default 3)
# Prints a markdown table and leaves "trigger strategy total_ms" lines in
# $E2E_DATA when that is set.
set -euo pipefail
source "$(dirname "$0")/settle.sh"
BUILD=$(cd "${1:-build}" && pwd)
source "$(dirname "$0")/../../examples/crane/lib.sh"
[ "$(id -u)" = 0 ] || { echo "e2e: needs root (a root-owned store, bind mounts)" >&2; exit 1; }
rounds=${ROUNDS:-5}
all_rounds=${ALL_ROUNDS:-3}
strategies="cowlink crane_symlink zstd deep_copy"

deps=$(deps_target)
store_target=$(install_store "$deps" app-deps-0.1.0)
src_out=$STORE_SRC/${store_target#"$STORE"/}
src_out=${src_out%/target}
# crane archives the build's own target/ (writable files), not the store
# copy.  The archive is a store path of its own: next to target/, it would
# send crane's inherit (the crane_symlink strategy) down its zstd branch.
zst_out=$src_out-zst
mkdir -p "$zst_out"
tar -C "$(dirname "$deps")" --sort=name --mtime=@1 --exclude=.cargo-lock -c target |
    zstd -q -f -T0 -o "$zst_out/target.tar.zst"
seal "$zst_out"
mount_store ro

inherit_cowlink() { "$W/bin/cowlink" inherit "$1" "$2"; }
inherit_crane_symlink() { inherit_symlink "$1" "$2"; }
inherit_zstd() {
    mkdir -p "$2"
    zstd -d -q "${1%/target}-zst/target.tar.zst" --stdout | tar -x -C "$2" --strip-components=1
}
inherit_deep_copy() {
    cp -r "$1" --dereference --no-target-directory "$2" --preserve=timestamps --no-preserve=ownership
    chmod -R u+w "$2"
    find "$2" -name .cargo-lock -delete
}

# one STRATEGY TRIGGER: prints "inherit_ms build_ms"
one() {
    local dir t0 inherit_ms with=0
    dir=$(new_build_dir e2e)
    settle; t0=$(now_ms)
    "inherit_$1" "$store_target" "$dir/target"
    sync -f "$dir"; inherit_ms=$(($(now_ms) - t0))
    case $1 in cowlink|crane_symlink) with=1 ;; esac
    case $2 in
    one) PHASE_ENV=(LIBZ_SYS_STATIC=0) ;;
    all) PHASE_ENV=("RUSTFLAGS=-C force-frame-pointers=yes") ;;
    esac
    phase "$dir" root "$with" "cargo build --release" 2>/dev/null
    [ "$(phase_rc "$dir")" = 0 ] || { tail -3 "$dir/.phase/out" >&2; echo "e2e: $1/$2 failed" >&2; exit 1; }
    echo "$inherit_ms $(phase_ms "$dir") $(wc -l <"$dir/.phase/compiled")"
    rm -rf "$dir"
}

data=${E2E_DATA:-$W/e2e.data}
: >"$data"
for trigger in one all; do
    n=$rounds; [ $trigger = all ] && n=$all_rounds
    for r in $(seq "$n"); do
        # rotate the order: the first of a round pays for the previous cleanup
        set -- $strategies
        k=$(( (r - 1) % $# + 1 ))
        for s in "${@:$k}" "${@:1:$((k - 1))}"; do
            say "e2e: $trigger $s round $r/$n"
            # not "read < <(one ...)": that returns at one's echo, and its
            # rm -rf would run on into the next round's build dir and timing
            read -r i b c <<<"$(one "$s" "$trigger")"
            echo "$trigger $s $i $b $((i + b)) $c" >>"$data"
        done
    done
done

# stats COLUMN TRIGGER STRATEGY: "median | min | max" in seconds
stats() {
    awk -v t="$2" -v s="$3" -v c="$1" '$1 == t && $2 == s {print $c}' "$data" | sort -n |
        awk '{v[NR]=$1} END {printf "%.2f | %.2f | %.2f", v[int((NR+1)/2)]/1000, v[1]/1000, v[NR]/1000}'
}
med() { awk -v t="$1" -v s="$2" '$1 == t && $2 == s {print $5}' "$data" | sort -n | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }

echo "End to end: inherit the deps build ($(du -sh "$deps" | cut -f1), $(find "$deps" -type f | wc -l) files), then cargo build --release"
echo "($(nproc) cores, $(df -T "$W" | awk 'NR==2 {print $2}'); seconds, median | min | max of $rounds runs (one) and $all_rounds (all))"
echo
echo "| trigger | strategy | crates compiled | inherit | min | max | build | min | max | total | min | max |"
echo "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
for trigger in one all; do
    for s in $strategies; do
        printf '| %s | %s | %s | %s | %s | %s |\n' \
            "$([ $trigger = one ] && echo "one dep (LIBZ_SYS_STATIC)" || echo "all deps (RUSTFLAGS)")" "$s" \
            "$(awk -v t=$trigger -v s=$s '$1 == t && $2 == s {print $6; exit}' "$data")" \
            "$(stats 3 $trigger $s)" "$(stats 4 $trigger $s)" "$(stats 5 $trigger $s)"
    done
done
echo
for trigger in one all; do
    for s in crane_symlink zstd deep_copy; do
        awk -v a="$(med $trigger cowlink)" -v b="$(med $trigger $s)" -v t=$trigger -v s=$s \
            'BEGIN {printf "%s: cowlink inherit total %.2fx faster than %s\n", t, b / a, s}'
    done
done
