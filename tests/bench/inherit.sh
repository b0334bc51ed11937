#!/usr/bin/env bash
# Inheriting a dependencies' target dir from the store into a fresh build
# dir, five ways: cowlink inherit; crane's use-symlink mode (rsync of all
# but deps/*.rlib|rmeta, then one ln per artifact); crane's default
# tar.zst extraction; crane's deep copy (doNotLinkInheritedArtifacts);
# and, as root, a reflink copy on a loop-mounted btrfs.
# Usage: inherit.sh BUILD_DIR TARGET_DIR   (prints a markdown table)
set -euo pipefail
source "$(dirname "$0")/settle.sh"
source "$(dirname "$0")/strategies.sh"
here=$(cd "$(dirname "$0")" && pwd)
cowlink=$(cd "$1" && pwd)/cowlink
source_target=$(cd "$2" && pwd)
rounds=${ROUNDS:-5}
cores=$(nproc)
work=$(mktemp -d)
mnt=$work/btrfs
cleanup() {
    mountpoint -q "$mnt" 2>/dev/null && umount "$mnt"
    chmod -R u+w "$work" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

make_store() { # dir
    mkdir -p "$1/deps"
    cp -a "$source_target" "$1/deps/target"
    tar_zst "$1/deps"
    seal "$1/deps"
}

via_cowlink() { "$cowlink" inherit "$1/target" "$2"; }

# Bytes of file content the strategy wrote (regular files only: links and
# directories are metadata).
data_bytes() { find "$1" -type f -printf '%s\n' | awk '{s+=$1} END {print s+0}'; }

# One run: prints "milliseconds bytes".  cold=1 drops the page cache first.
run() { # strategy store dest cold
    local t0 t1
    rm -rf "$3"
    settle
    [ "$4" = 1 ] && echo 3 > /proc/sys/vm/drop_caches
    t0=$(date +%s%N)
    "via_$1" "$2" "$3"
    sync -f "$(dirname "$3")"
    t1=$(date +%s%N)
    echo "$(((t1 - t0) / 1000)) $(data_bytes "$3")"
}

stats() { sort -n | awk '{v[NR]=$1} END {printf "%.1f | %.1f | %.1f", v[int((NR+1)/2)]/1000, v[1]/1000, v[NR]/1000}'; }
median() { sort -n | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }

measure() { # label store-root strategies...
    local label=$1 root=$2 s r cold
    shift 2
    for cold in 0 1; do
        [ "$cold" = 1 ] && [ ! -w /proc/sys/vm/drop_caches ] && continue
        for r in $(seq "$rounds"); do
            for s in $(rotate "$r" "$@"); do run "$s" "$root/deps" "$root/build" "$cold" >> "$work/$label.$s.$cold"; done
        done
    done
}

table() { # label strategies...
    local label=$1 s cold
    shift
    for s in "$@"; do
        for cold in 0 1; do
            [ -f "$work/$label.$s.$cold" ] || continue
            printf '| %s | %s | %s | %s | %s MB |\n' "$s" "$label" "$([ $cold = 1 ] && echo cold || echo warm)" \
                "$(cut -d' ' -f1 "$work/$label.$s.$cold" | stats)" \
                "$(cut -d' ' -f2 "$work/$label.$s.$cold" | median | awk '{printf "%.1f", $1/1048576}')"
        done
    done
}

ratio() { # fileA fileB -> median(B)/median(A)
    awk -v a="$(cut -d' ' -f1 "$work/$1" | median)" -v b="$(cut -d' ' -f1 "$work/$2" | median)" \
        'BEGIN {printf "%.1fx", b / (a > 0 ? a : 1)}'
}

fs=$(df -T "$work" | awk 'NR==2 {print $2}')
size=$(du -sh "$source_target" | cut -f1)
files=$(find "$source_target" -type f | wc -l)
make_store "$work/local"
strategies="cowlink crane_symlink zstd deep_copy"
measure "$fs" "$work/local" $strategies
if [ "$(id -u)" = 0 ] && command -v mkfs.btrfs >/dev/null; then
    truncate -s $(( $(du -sm "$source_target" | cut -f1) * 3 + 1024 ))M "$work/btrfs.img"
    mkfs.btrfs -q "$work/btrfs.img" >/dev/null 2>&1
    mkdir -p "$mnt"
    mount -o loop "$work/btrfs.img" "$mnt"
    make_store "$mnt"
    measure btrfs "$mnt" cowlink reflink
fi

echo "Inheriting a $size target dir ($files files) into a fresh build dir"
echo "($cores cores, $fs; median, min, max of $rounds runs, ms; cold = page cache dropped first)"
echo
echo "| strategy | filesystem | cache | median | min | max | data written |"
echo "|---|---|---|---:|---:|---:|---:|"
table "$fs" $strategies
[ -f "$work/btrfs.cowlink.0" ] && table btrfs cowlink reflink
echo
for s in crane_symlink zstd deep_copy; do
    echo "cowlink inherit vs $s (warm): $(ratio "$fs.cowlink.0" "$fs.$s.0") faster"
done
