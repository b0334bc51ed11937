#!/usr/bin/env bash
# The first write to a big store link: truncating (must copy 0 bytes),
# appending (a full copy) and plain cp for comparison, on the build's own
# filesystem and, as root, on a loop-mounted btrfs where the copy is a
# reflink.  Runs alternate; prints median, min and max of ROUNDS.
set -euo pipefail
source "$(dirname "$0")/settle.sh"
here=$(cd "$(dirname "$0")" && pwd)
lib=$(cd "${1:-$here/../../build}" && pwd)/libcowlink.so
size_mb=${SIZE_MB:-100}
rounds=${ROUNDS:-5}
work=$(mktemp -d)
mnt=$work/btrfs
cleanup() {
    mountpoint -q "$mnt" 2>/dev/null && umount "$mnt"
    chmod -R u+w "$work" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT

# A store with one big read-only file under DIR.
make_store() {
    mkdir -p "$1/store" "$1/build"
    head -c "${size_mb}M" /dev/urandom > "$1/store/big.rlib"
    chmod 0444 "$1/store/big.rlib"
    chmod 0555 "$1/store"
}

now() { date +%s%N; }

# The first write, timed inside the process: only the open() that
# materializes the link counts, not the interpreter's start-up.
first_write() { # mode link store log
    LD_PRELOAD=$lib COWLINK_STORE=$3 COWLINK_LOG=$4 python3 -c '
import sys, time
t = time.perf_counter_ns()
open(sys.argv[2], sys.argv[1]).close()
print((time.perf_counter_ns() - t) // 1000)' "$1" "$2"
}

# cp as a command, timed from outside (its start-up is ~1 ms of the total).
timed_cp() { # flag src dest
    local t0 t1
    t0=$(date +%s%N)
    cp "$1" "$2" "$3"
    t1=$(date +%s%N)
    echo $(((t1 - t0) / 1000))
}

# One run of a variant in DIR; prints "microseconds MB method".
run() {
    local variant=$1 dir=$2 log=$2/events us
    rm -f "$dir/build/link" "$dir/build/copy" "$log"
    ln -s "$dir/store/big.rlib" "$dir/build/link"
    settle
    case $variant in
    truncate) us=$(first_write w "$dir/build/link" "$dir/store" "$log") ;;
    append)   us=$(first_write a "$dir/build/link" "$dir/store" "$log") ;;
    cp)       us=$(timed_cp --reflink=never "$dir/store/big.rlib" "$dir/build/copy") ;;
    esac
    if [ "$variant" = cp ]; then
        echo "$us $size_mb cp"
    else
        echo "$us $(($(sed -n 's/.* bytes=\([0-9]*\) .*/\1/p' "$log") / 1048576))" \
             "$(sed -n 's/.* method=\([a-z_]*\) .*/\1/p' "$log")"
    fi
}

stats() { sort -n | awk '{v[NR]=$1} END {printf "%.1f | %.1f | %.1f", v[int((NR+1)/2)]/1000, v[1]/1000, v[NR]/1000}'; }

measure() { # fs-label dir
    local r v
    for r in $(seq "$rounds"); do
        for v in truncate append cp; do run $v "$2" >> "$work/$1.$v"; done
    done
    for v in truncate append cp; do
        printf '| %s | %s | %s | %s MB | %s |\n' "$v" "$1" \
            "$(cut -d' ' -f1 "$work/$1.$v" | stats)" \
            "$(cut -d' ' -f2 "$work/$1.$v" | tail -1)" "$(cut -d' ' -f3 "$work/$1.$v" | tail -1)"
    done
}

ratio() { awk -v a="$(cut -d' ' -f1 "$work/$1" | sort -n | awk '{v[NR]=$1} END{print v[int((NR+1)/2)]}')" \
              -v b="$(cut -d' ' -f1 "$work/$2" | sort -n | awk '{v[NR]=$1} END{print v[int((NR+1)/2)]}')" \
              'BEGIN {printf "%.1fx", b / (a > 0 ? a : 1)}'; }

fs=$(df -T "$work" | awk 'NR==2 {print $2}')
make_store "$work/local"
echo "First write to a ${size_mb} MB store link: the open() that materializes it, against cp --reflink=never ($(nproc) cores, median of $rounds runs, ms)"
echo
echo "| first write | filesystem | median | min | max | bytes copied | method |"
echo "|---|---|---:|---:|---:|---:|---|"
measure "$fs" "$work/local"
if [ "$(id -u)" = 0 ] && command -v mkfs.btrfs >/dev/null; then
    truncate -s $((size_mb * 4 + 512))M "$work/btrfs.img"
    mkfs.btrfs -q "$work/btrfs.img" >/dev/null 2>&1
    mkdir -p "$mnt"
    mount -o loop "$work/btrfs.img" "$mnt"
    make_store "$mnt"
    measure btrfs "$mnt"
    echo
    echo "btrfs: materializing by reflink is $(ratio btrfs.append btrfs.cp) faster than copying the file"
else
    echo
    echo "(btrfs reflink run skipped: needs root and btrfs-progs)"
fi
echo "$fs: a truncating first write is $(ratio "$fs.truncate" "$fs.cp") faster than copying, and copies 0 bytes"
echo "$fs: an appending first write (a full copy) takes $(ratio "$fs.cp" "$fs.append") the time of cp"
