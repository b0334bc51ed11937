#!/usr/bin/env bash
# Where the time goes for links: inheriting a cargo target dir from a store
# path into a fresh build dir, on several file systems, so that a user can
# predict their own cost.  On each file system, holding both the store
# path (sealed as Nix leaves it: read-only, mtime 1) and the build dir:
#   cowlink         cowlink inherit: every file a link, in one process
#   crane_symlink   crane's use-symlink inheritance: rsync of all but
#                   deps/*.rlib|rmeta, then one ln per artifact
#   zstd            crane's default: its target.tar.zst extracted
#   deep_copy       crane's doNotLinkInheritedArtifacts
# crane's three are its own inheritCargoArtifacts, from its store paths as
# its own use-symlink and use-zstd installs leave them (crane's setup hooks,
# read from CRANE_SRC, by default ../shared/third-party/crane, as
# examples/crane/hooks.sh sources them); without crane's sources,
# inherit.sh's models (strategies.sh), and the output says so.
# File systems: /var/tmp's own (ext4 here), tmpfs, and btrfs, xfs and ext4
# (with a journal) on loop devices (sparse images in /var/tmp, with direct
# I/O so that their writes reach the disk, not /var/tmp's page cache); one
# this machine cannot make is skipped, with a note, and so is the one
# /var/tmp's already is.
# Each cell: ROUNDS (default 3) timings with the page cache as the runs
# before left it (warm), then as many with it dropped first (cold); the
# strategies' order rotated each round, a settle before each timing, the
# build dir removed between them (untimed).  A timing ends once the build
# dir's file system is synced: what the strategy wrote is on the disk.
#
#   inherit-fs.sh BUILD TARGET_DIR       (as root; BUILD holds cowlink)
#   make bench-inherit-fs [TARGET=DIR]   TARGET defaults to the crane
#       example's deps target, built (or found in its cache) by
#       examples/crane/lib.sh's deps_target, as make bench (report.sh) gets
#       the target it gives inherit.sh
#
# Prints markdown tables; with INHERIT_FS_DATA set, also writes there a
# line per timing, "fs strategy cache ms files links", for a chart.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/bench/settle.sh
source "$here/settle.sh"
# shellcheck source=tests/bench/strategies.sh
source "$here/strategies.sh"
say() { printf 'inherit-fs: %s\n' "$*" >&2; }

if [ $# != 2 ] || [ ! -x "$1/cowlink" ] || [ ! -d "$2" ]; then
    echo "usage: inherit-fs.sh BUILD TARGET_DIR   (as root; BUILD holds cowlink: make all)" >&2
    exit 2
fi
[ "$(id -u)" = 0 ] || { say "needs root (mounts, loop devices, dropping the page cache)"; exit 1; }
cowlink=$(cd "$1" && pwd)/cowlink
source_target=$(cd "$2" && pwd)
rounds=${ROUNDS:-3}
strategies=(cowlink crane_symlink zstd deep_copy)
caches=(warm cold)
[ -w /proc/sys/vm/drop_caches ] || caches=(warm)
data=${INHERIT_FS_DATA:-}
[ -z "$data" ] || : >"$data"

# crane's own hooks where its sources are, else the models.
CRANE_SRC=${CRANE_SRC:-$here/../../../shared/third-party/crane}
if [ -f "$CRANE_SRC/lib/setupHooks/inheritCargoArtifactsHook.sh" ]; then
    impl="crane's own hooks ($(cd "$CRANE_SRC" && pwd))"
    # shellcheck source=examples/crane/hooks.sh
    source "$here/../../examples/crane/hooks.sh"
    inherit_crane_symlink() { crane_inherit "$1/symlink" "$2"; }
    inherit_zstd() { crane_inherit "$1/zstd" "$2"; }
    deep_copy_hook() { doNotLinkInheritedArtifacts=1 inheritCargoArtifacts "$@"; }
    inherit_deep_copy() { crane_hooks deep_copy_hook "$1/symlink" "$2"; }
    install_zstd() { crane_hooks prepareAndInstallCargoArtifactsDir "$1" "$2" use-zstd ""; }
    # With nothing inherited, use-symlink's install moves the dir as it is.
    install_symlink() { crane_install "$1" "$2"; }
else
    impl="MODELS of crane's hooks (tests/bench/strategies.sh): no crane sources in $CRANE_SRC"
    inherit_crane_symlink() { via_crane_symlink "$1/symlink" "$2"; }
    inherit_zstd() { via_zstd "$1/zstd" "$2"; }
    inherit_deep_copy() { via_deep_copy "$1/symlink" "$2"; }
    install_zstd() { tar_zst "${2%/target}" && mkdir -p "$1" && mv "${2%/target}/target.tar.zst" "$1/"; }
    install_symlink() { mkdir -p "$1" && mv "$2" "$1/"; }
fi
inherit_cowlink() { "$cowlink" inherit "$1/symlink/target" "$2"; }

work=$(mktemp -d /var/tmp/cowlink-inherit-fs.XXXXXX)
log=$work/log     # what the hooks say
runs=$work/runs   # "fs strategy cache us files links bytes", a line per timing
notes=$work/notes # what the tables need said
: >"$runs"; : >"$notes"
mounts=() loops=()

# unmount DIR: the file system on DIR gone, and its loop device with it.
unmount() {
    local dev
    mountpoint -q "$1" || return 0
    dev=$(findmnt -n -o SOURCE --target "$1")
    umount "$1" || umount -l "$1"
    case $dev in /dev/loop*) losetup -d "$dev" 2>/dev/null || true ;; esac
}
cleanup() {
    local m
    for m in ${mounts[@]+"${mounts[@]}"}; do unmount "$m"; done
    for m in ${loops[@]+"${loops[@]}"}; do losetup -d "$m" 2>/dev/null || true; done
    chmod -R u+w "$work" 2>/dev/null || true
    rm -rf --one-file-system "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
trap 'say "failed at line $LINENO: $BASH_COMMAND (the hooks said:)"; tail -5 "$log" >&2 2>/dev/null' ERR

target_mb=$(du -sm "$source_target" | cut -f1)
zst_mb=$target_mb # until the first store has its tar.zst
# Room for the store copy, its tar.zst and the build dir, and a quarter
# more and 512 MB: btrfs keeps its metadata twice and small files inline in
# it, and xfs wants 300 MB at least.  Sparse images: the room costs nothing.
fs_mb() { echo $(((2 * target_mb + zst_mb) * 5 / 4 + 512)); }

# new_fs TYPE DIR: a new, empty file system of TYPE mounted on DIR.
new_fs() {
    local img=$work/$1.img dev
    mkdir -p "$2"
    if [ "$1" = tmpfs ]; then
        mount -t tmpfs -o size="$(fs_mb)m" tmpfs "$2" || return 1
    else
        command -v "mkfs.$1" >/dev/null || { echo "$1: skipped, no mkfs.$1 on this machine" >>"$notes"; return 1; }
        truncate -s "$(fs_mb)M" "$img" && "mkfs.$1" -q "$img" >>"$log" 2>&1 </dev/null || return 1
        dev=$(losetup --find --show --direct-io=on "$img") || return 1
        loops+=("$dev")
        mount "$dev" "$2" || return 1
    fi
    mounts+=("$2")
}

# install_store ROOT: the source target as crane's installs leave it, in two
# store paths on ROOT's file system, sealed: ROOT/store/symlink/target
# (use-symlink) and ROOT/store/zstd/target.tar.zst (use-zstd: a store path
# holding both would be extracted, never linked).
install_store() {
    mkdir -p "$1/stage" "$1/store"
    cp -a "$source_target" "$1/stage/target"
    install_zstd "$1/store/zstd" "$1/stage/target" >>"$log" 2>&1
    install_symlink "$1/store/symlink" "$1/stage/target" >>"$log" 2>&1
    rmdir "$1/stage"
    seal "$1/store"
}

# tally DIR: "files links bytes": the regular files and symlinks in DIR, and
# the bytes of its own blocks (du follows no link: the store's are not
# counted), which is what the strategy wrote, metadata blocks included.
tally() {
    find "$1" \( -type f -o -type l \) -printf '%y\n' | awk '{n[$1]++} END {printf "%d %d ", n["f"], n["l"]}'
    du -s -B1 "$1" | cut -f1
}

# time_one FS ROOT STRATEGY CACHE: one timing of STRATEGY from ROOT/store
# into a new ROOT/build/target, the build dir crane's hook runs in.
time_one() {
    local fs=$1 root=$2 s=$3 cache=$4 t0 t1 us line
    rm -rf "$root/build"
    mkdir "$root/build"
    settle
    [ "$cache" = warm ] || echo 3 >/proc/sys/vm/drop_caches
    t0=$EPOCHREALTIME
    (cd "$root/build" && "inherit_$s" "$root/store" "$root/build/target") >>"$log" 2>&1
    sync -f "$root/build"
    t1=$EPOCHREALTIME
    us=$((${t1/[.,]/} - ${t0/[.,]/}))
    line="$fs $s $cache $us $(tally "$root/build/target")"
    echo "$line" >>"$runs"
    [ -z "$data" ] || echo "$line" | awk '{printf "%s %s %s %.3f %d %d\n", $1, $2, $3, $4 / 1000, $5, $6}' >>"$data"
}

# measure FS ROOT: every cell of the file system ROOT is on.
measure() {
    local cache r s
    say "$1: installing the store paths"
    install_store "$2"
    zst_mb=$(du -sm "$2/store/zstd" | cut -f1)
    for cache in "${caches[@]}"; do
        for r in $(seq "$rounds"); do
            say "$1: $cache round $r of $rounds"
            for s in $(rotate "$r" "${strategies[@]}"); do time_one "$1" "$2" "$s" "$cache"; done
        done
    done
}

# cell FS STRATEGY CACHE: "median min max files links bytes" of its timings
# (us), files, links and bytes those of the median one.
cell() {
    awk -v f="$1" -v s="$2" -v c="$3" '$1 == f && $2 == s && $3 == c' "$runs" | sort -k4,4n |
        awk '{r[NR] = $0} END {if (!NR) exit; split(r[int((NR + 1) / 2)], m); split(r[1], lo); split(r[NR], hi)
             print m[4], lo[4], hi[4], m[5], m[6], m[7]}'
}

ms() { awk -v us="$1" 'BEGIN {printf "%.1f", us / 1000}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.1f", b / (a > 0 ? a : 1)}'; }

table() {
    local fs s c m lo hi f l b
    echo "| file system | strategy | cache | median (ms) | min | max | files | links | written (MB) |"
    echo "|---|---|---|---:|---:|---:|---:|---:|---:|"
    for fs in "${measured[@]}"; do
        for s in "${strategies[@]}"; do
            for c in "${caches[@]}"; do
                read -r m lo hi f l b < <(cell "$fs" "$s" "$c") || continue
                printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "$fs" "$s" "$c" \
                    "$(ms "$m")" "$(ms "$lo")" "$(ms "$hi")" "$f" "$l" "$(awk -v b="$b" 'BEGIN {printf "%.1f", b / 1048576}')"
            done
        done
    done
}

# The issue's target: cowlink inherit at least 20 times faster than crane's
# use-symlink and use-zstd inheritance, on every file system.
ratios() {
    local fs c own crane zstd x y met all=met
    echo "| file system | cache | cowlink per link (us) | crane_symlink / cowlink | zstd / cowlink | both >= 20x |"
    echo "|---|---|---:|---:|---:|---|"
    for fs in "${measured[@]}"; do
        for c in "${caches[@]}"; do
            read -r own _ _ _ links _ < <(cell "$fs" cowlink "$c")
            crane=$(cell "$fs" crane_symlink "$c" | cut -d' ' -f1)
            zstd=$(cell "$fs" zstd "$c" | cut -d' ' -f1)
            x=$(ratio "$own" "$crane") y=$(ratio "$own" "$zstd")
            met=$(awk -v x="$x" -v y="$y" 'BEGIN {print (x >= 20 && y >= 20) ? "met" : "NOT met"}')
            [ "$met" = met ] || all="NOT met"
            printf '| %s | %s | %s | %sx | %sx | %s |\n' "$fs" "$c" \
                "$(awk -v us="$own" -v n="$links" 'BEGIN {if (n > 0) printf "%.1f", us / n; else print "no links"}')" "$x" "$y" "$met"
        done
    done
    echo
    echo "Target (cowlink inherit >= 20x faster than crane's use-symlink and use-zstd, every file system and cache): $all"
}

# The file systems, each made, measured and removed in turn (a tmpfs holds
# its copies in memory).  /var/tmp's own first: its tar.zst sizes the rest.
# An ext4 without a journal (this VM's) passes over every inode freed in
# the last minute (five while its inode table is unwritten) when it looks
# for a free one (recently_deleted() in the kernel's fs/ext4/ialloc.c): as
# each timing follows the removal of the last build dir, every file or link
# made pays for a scan of thousands of them.  A new ext4, with a journal as
# mkfs.ext4 makes it, shows what most ext4 users get.
own=$(findmnt -n -o FSTYPE --target /var/tmp)
if [ "$own" = ext4 ] && ! compgen -G "/proc/fs/jbd2/$(basename "$(findmnt -n -o SOURCE --target /var/tmp)")-*" >/dev/null; then
    own=ext4-nojournal
    echo "ext4-nojournal (/var/tmp's): no journal, so each new inode is searched for past the inodes freed in the last minute, here those of the build dir removed before the timing (see the script)" >>"$notes"
fi
measured=()
mkdir -p "$work/own"
measure "$own" "$work/own"
measured+=("$own")
chmod -R u+w "$work/own"
rm -rf "$work/own"
for fs in tmpfs btrfs xfs ext4; do
    [ "$fs" != "$own" ] || continue # /var/tmp's, measured already
    if new_fs "$fs" "$work/$fs"; then
        measure "$fs" "$work/$fs"
        measured+=("$fs")
    else
        grep -q "^$fs:" "$notes" || echo "$fs: skipped, could not make one (see above)" >>"$notes"
    fi
    unmount "$work/$fs"
    rm -f "$work/$fs.img"
done

echo "Inheriting a $target_mb MB target dir ($(find "$source_target" -type f | wc -l) files) from a store path into a fresh build dir"
echo "(crane's strategies: $impl)"
echo "($(nproc) cores; median, min and max of $rounds timings, each ending with the file system synced;"
echo "warm: the page cache as the runs before left it; cold: dropped first. written: the build dir's own blocks (du))"
echo
table
echo
ratios
echo
[ "${#caches[@]}" = 2 ] || echo "- no cold timings: /proc/sys/vm/drop_caches is not writable here"
echo "- tmpfs keeps its files in the page cache, which dropping it cannot evict: there, cold drops only the programs' and the kernel's caches"
sed 's/^/- /' "$notes"
