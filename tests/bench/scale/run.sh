#!/usr/bin/env bash
# make bench-scale: crane's whole flow at the scale users have (gen.sh's
# workspace: 11 members, ~380 crates in Cargo.lock, C-building -sys crates)
# under Nix on tests/nix's harness (crane's mkLib, nixpkgs' setup.sh and
# default setup hooks, the sandbox), per strategy (scale.nix: zstd,
# symlink, cowlink, copy) and scenario:
#   deps   each install mode's deps derivation built from nothing (what a
#          Cargo.lock change costs before the checks run again)
#   code   a one-line change in a member (deps cached): clippy, test, doc
#          and the package, one after another, as `nix flake check` before
#          a push builds them
#   env    the code flow with a variable libz-sys watches set in the
#          checks: libz-sys and its dependents rebuilt from inherited
#          artifacts (crane's use-symlink fails there: reported, not timed)
#   tight  the code flow on a memory-tight machine: each build in a memory
#          cgroup of TIGHT_MB (default: a quarter of the deps target plus
#          1.5 GiB for rustc), page cache included (memcg.sh)
#   layout the code flow on rustup's nightly (nightly.sh) with cargo's new
#          build-dir layout, the default from cargo 1.100, on its own deps
#          (built first, untimed); skipped without rustup's nightly
#   fs     the code flow with the builds' directories on an ext4 with a
#          journal (mkfs.ext4's defaults, a loop device with direct I/O):
#          the file system most users build on, where this VM's own disk
#          is an ext4 without one (on which each inode allocated after a
#          deletion costs up to 1 ms: inherit-fs.sh)
#   runner the code flow on a fresh CI runner: a store that starts empty
#          and substitutes the deps, the toolchain and the vendored crates
#          from a binary cache over HTTP (nginx on the loopback address),
#          then the checks pushed back to the cache (runner.sh, cache.sh)
#   remote what a remote builder is sent for one check: clippy's inputs
#          copied into an empty store (runner.sh)
# Per derivation: wall time; its phases (the log's "Running phase" lines,
# stamped as they arrive: patch is crane's inheritance); bytes the build
# wrote (write_bytes of every process, from /proc/PID/io of the one that
# waited for them); its output in the store (du, NAR, NAR through zstd -3:
# what a binary cache stores) and its closure.  ROUNDS rounds, strategies
# rotated each round, a settle before each build.  Each build runs in a
# memory cgroup of its own: its peak memory, page cache included.
#   usage: run.sh [BUILD]     (as root; an hour and more)
#   ROUNDS (3), DEPS_ROUNDS (ROUNDS)   PARTS (4, the own code)
#   SCENARIOS ("deps code env tight fs layout runner remote")
#   STRATEGIES ("zstd symlink cowlink copy")   TOOLCHAIN (stable|debian)   TIGHT_MB
#   KEEP (set: the run's directory under /var/tmp, its logs, kept)
#   BUILD_TMP (a directory: where the builds' own directories go, Nix's
#   TMPDIR; default the run's directory on /var/tmp: set it to measure
#   the build directory on another file system)
#   OUT (tests/bench/results): scale.md, scale.data, scale.machines (each
#   run's machine.sh line), scale.png; scale.partial.data when a run stops
#   half-way
set -euo pipefail
# One block, read whole before any of it runs: a run takes an hour and
# more, and bash reads a script as it goes, so an edit to the checkout
# meanwhile would otherwise change (and once did re-run) what follows.
{
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../.." && pwd)
source "$here/../settle.sh"
source "$repo/tests/nix/harness.sh"
source "$here/memcg.sh"
source "$here/cache.sh"
source "$here/runner.sh"
rounds=${ROUNDS:-3}
deps_rounds=${DEPS_ROUNDS:-$rounds}
scenarios=${SCENARIOS-deps code env tight fs layout runner remote}
strategies=${STRATEGIES:-zstd symlink cowlink copy}
checks="clippy test doc package"
deps_modes=$(for st in zstd symlink cowlink; do case " $strategies " in *" $st "*) echo "$st" ;; esac; done)
# The runner and remote scenarios' strategies: copy has symlink's deps.
runner_modes=$deps_modes
# The deps the flows need (warm): copy's are symlink's.
warm_modes=$(for st in zstd symlink cowlink; do case " $strategies " in *" $st "*) echo "$st" ;;
    *) [ "$st" != symlink ] || case " $strategies " in *" copy "*) echo symlink ;; esac ;; esac; done)
out_dir=${OUT:-$repo/tests/bench/results}
third=$repo/../shared/third-party
CRANE_SRC=${CRANE_SRC:-$third/crane}
NIXPKGS_LIB=${NIXPKGS_LIB:-$third/nixpkgs-lib}
NIXPKGS_STDENV=${NIXPKGS_STDENV:-$third/nixpkgs-stdenv}
[ "$(id -u)" = 0 ] || { echo "bench-scale: needs root (Nix's builders)" >&2; exit 1; }
[ -f "$CRANE_SRC/lib/default.nix" ] || { echo "bench-scale: no crane (CRANE_SRC)" >&2; exit 1; }
nix_setup "$here/workspace/Cargo.lock" "$here/workspace"
bash "$repo/tests/setup.sh" gnuplot-nox
case " $scenarios " in *" runner "*) bash "$repo/tests/setup.sh" nginx curl ;; esac

T=$(mktemp -d /var/tmp/cowlink-scale-XXXXXX)
# A run that stops half-way keeps what it measured, apart from the
# results: OUT/scale.partial.data (scale.data only takes whole runs).
partial() { [ ! -s "${data:-}" ] || [ -n "${finished:-}" ] || cp "$data" "$out_dir/scale.partial.data"; }
trap 'partial; cache_stop; fs_stop; [ -n "${KEEP:-}" ] || rm -rf "$T"' EXIT
chmod 755 "$T"
mkdir -p "$T/tmp" "$T/logs" "$out_dir"
checkout_copy "$repo" "$T/cowlink"
bash "$here/gen.sh" "$T/ws" "${PARTS:-4}"
data=$T/scale.data
rust="" paths=$sandbox_paths
if [ "${TOOLCHAIN:-stable}" = stable ]; then
    rust=$(bash "$repo/tests/toolchain.sh") || { echo "bench-scale: no stable toolchain" >&2; exit 1; }
    paths="$paths $(dirname "$rust")"
fi

# scale.nix's arguments (the layout scenario has its own args and paths).
base_args=(--argstr nixpkgsLib "$NIXPKGS_LIB" --argstr stdenvSrc "$NIXPKGS_STDENV" --argstr craneSrc "$CRANE_SRC"
    --argstr cowlinkSrc "$T/cowlink" --argstr src "$T/ws")
args=("${base_args[@]}" --argstr rustBin "$rust")

# nixbuild LOG ATTR [ARGS...]: nix-build scale.nix -A ATTR (in the store
# ARGS' --store names, if any); its stderr
# stamped line by line into LOG, the output path on stdout, and the bytes
# written by every process of the build in LOG.io.
nixbuild() {
    local log=$1 attr=$2
    shift 2
    # The shell that waits for nix-build reads its own /proc/PID/io: the
    # counts of reaped children (the builders and theirs) are added there.
    TMPDIR=${BUILD_TMP:-$T/tmp} LOG=$log bash -c 'nix-build "$@" 2> >(while IFS= read -r l; do
            printf "%s %s\n" "$EPOCHREALTIME" "$l"; done >"$LOG"); rc=$?
        cat /proc/$$/io >"$LOG.io"; exit $rc' nixbuild \
        "$here/scale.nix" -A "$attr" --no-out-link "${nix_opts[@]}" \
        --option extra-sandbox-paths "$paths" --option build-users-group nixbld "${args[@]}" "$@"
}

# phases LOG START END: "name seconds" per phase, from the stamped
# "Running phase" lines; "eval" from START to the log's first line
# (evaluation, before the build), and the last phase ends at END, when
# nix-build returns (so it holds Nix's registration of the output).
phases() {
    awk -v s0="$2" -v end="$3" 'NR == 1 {print "eval", $1 - s0}
         / Running phase: / {if (p != "") print p, $1 - s; p = $NF; s = $1}
         END {if (p != "") print p, end - s}' "$1"
}

# measure SCENARIO ROUND STRATEGY CHECK [ARGS...]: one timed build, one
# data line: scenario round strategy check seconds status written_bytes
# out_du out_nar out_nar_zstd closure_nar phase=seconds... peak=bytes
# at=the run's start
# (the limit: $limit, bytes or empty; a build in another store than this
# machine's: store_at, its --store, and store_root, its directory)
store_at=() store_root=""
measure() {
    local sc=$1 r=$2 st=$3 ck=$4 log s e rc=0 out="" sizes="- - - -" written cg
    shift 4
    log=$T/logs/$sc.$r.$st.$ck.log
    settle
    cg=$(memcg_new "$limit")
    s=$EPOCHREALTIME
    out=$(memcg_enter "$cg"; nixbuild "$log" "$st.$ck" "$@") || rc=$?
    e=$EPOCHREALTIME
    written=$(awk '/^write_bytes/ {print $2}' "$log.io")
    if [ $rc = 0 ]; then
        sizes="$(du -sb "$store_root$out" | cut -f1) $(nix-store "${store_at[@]}" -q --size "$out")"
        sizes="$sizes $(nix-store --dump "$store_root$out" | zstd -3 -T0 -c | wc -c)"
        sizes="$sizes $(nix-store "${store_at[@]}" -qR "$out" | xargs nix-store "${store_at[@]}" -q --size | awk '{s += $1} END {print s}')"
    fi
    echo "$sc $r $st $ck $(awk -v s="$s" -v e="$e" 'BEGIN {printf "%.1f", e - s}') $([ $rc = 0 ] && echo ok || echo failed)" \
        "$written $sizes $(phases "$log" "$s" "$e" | awk '{printf "%s=%.1f ", $1, $2}')peak=$(memcg_end "$cg") at=$stamp" >>"$data"
    [ $rc = 0 ] || echo "bench-scale: $sc $st.$ck failed: $(grep -m2 -i 'error' "$log" | cut -c1-200)" >&2
    tail -1 "$data"
}

# The fs scenario's file system: an ext4 image (sparse, 24 GiB: a check
# with crane's default extracts 1.9 GB) in the run's directory, on a loop
# device with direct I/O (its writes reach the disk, not /var/tmp's page
# cache), mounted at $T/ext4.
fs_dev=""
fs_start() {
    truncate -s 24G "$T/ext4.img"
    mkfs.ext4 -q -F "$T/ext4.img" </dev/null
    fs_dev=$(losetup --find --show --direct-io=on "$T/ext4.img")
    mkdir -p "$T/ext4"
    mount "$fs_dev" "$T/ext4"
    chmod 1777 "$T/ext4"
}
fs_stop() {
    [ -n "$fs_dev" ] || return 0
    umount "$T/ext4" 2>/dev/null || umount -l "$T/ext4"
    losetup -d "$fs_dev" 2>/dev/null || true
    fs_dev=""
}

# rotate N WORDS...: the words, starting at the Nth (rounds rotate order).
rotate() {
    local n=$1
    shift
    local w=("$@")
    for ((i = 0; i < ${#w[@]}; i++)); do echo "${w[$(((i + n) % ${#w[@]}))]}"; done
}

# A one-line change in a member's code, different each round.
change() { sed -i "s/^pub const REVISION: u64 = .*/pub const REVISION: u64 = $1;/" "$T/ws/net/src/part0.rs"; }

# The deps of each install mode, built from nothing each round: every
# deps output is deleted first (with what refers to it).  cowlink's are
# crane's use-symlink deps with the hook's ELF checks (lib.enable).  The
# modes are those of STRATEGIES (copy has symlink's deps).
deps_scenario() {
    local r st p
    for ((r = 1; r <= deps_rounds; r++)); do
        for st in $(rotate "$r" $deps_modes); do
            forget "$st.deps"
            measure deps "$r" "$st" deps
            # Rooted again, as warm roots it.
            p=$(outpath "$st.deps")
            [ ! -e "$p" ] || root "$st.deps" "$p"
        done
    done
}

# outpath ATTR: ATTR's output path, built or not.
outpath() { nix-store -q --outputs "$(nix-instantiate "$here/scale.nix" -A "$1" "${args[@]}" 2>/dev/null)"; }
# forget ATTR: delete ATTR's output and every path that refers to it, so
# the next build makes it anew.
forget() {
    local p
    p=$(outpath "$1")
    [ -e "$p" ] || return 0
    rm -f "$roots/$1"
    nix-store -q --referrers-closure "$p" | xargs nix-store --delete >/dev/null
}

# The checks on cached deps after a one-line change, each strategy in
# turn (rotated); with env, the watched variable set in the checks; with
# tight, each build under the memory limit.
flow_scenario() {
    local sc=$1 r st ck env=() limit=""
    [ "$sc" = env ] && env=(--arg env true)
    [ "$sc" = tight ] && limit=$tight
    for ((r = 1; r <= rounds; r++)); do
        change "$r$RANDOM"
        for st in $(rotate "$r" $strategies); do
            for ck in $checks; do
                measure "$sc" "$r" "$st" "$ck" ${env[@]+"${env[@]}"}
            done
        done
    done
}

# root NAME PATH: PATH kept from garbage collection, as NAME: another Nix
# user's (make nix-test runs one) must not take the deps between runs.
roots=/nix/var/nix/gcroots/cowlink-bench-scale
root() { mkdir -p "$roots" && ln -sfn "$2" "$roots/$1"; }
# warm [PREFIX]: the deps of the strategies run and cowlink's hook built,
# not timed (nothing to do when they are in the store), and rooted.
warm() {
    local a p log
    for a in $(printf '%s.deps\n' $warm_modes) cowlinkHook; do
        log=$T/logs/warm.$1$a.log
        p=$(nixbuild "$log" "$a") ||
            { echo "bench-scale: $1$a does not build; the end of its log:" >&2; tail -15 "$log" | cut -d' ' -f2- >&2; exit 1; }
        root "$1$a" "$p"
    done
}

# The code flow on the nightly with the new layout: scale.nix's arguments
# and the sandbox's paths for it, seen by every build this calls.
layout_scenario() {
    local nightly args paths
    nightly=$(bash "$here/nightly.sh") ||
        { echo "bench-scale: layout skipped: no rustup nightly on this machine" >&2; return 0; }
    args=("${base_args[@]}" --argstr rustBin "$nightly" --arg newLayout true)
    paths="$sandbox_paths $(dirname "$nightly")"
    echo "bench-scale: layout: $("$nightly/cargo" -V), its deps first"
    warm layout.
    flow_scenario layout
}

start=$(date +%s) stamp=$(date -u +%Y-%m-%dT%H:%MZ)
# The machine, before anything loads it (runs of one table may differ).
machine=$(bash "$here/machine.sh")
: >"$data"
echo "bench-scale: $(grep -c '^source = "registry' "$T/ws/Cargo.lock") crates in Cargo.lock, $(cat "$T"/ws/*/src/*.rs | wc -l) lines of own code; toolchain ${TOOLCHAIN:-stable}"
# The deps scenario, which deletes the deps, last.  The flows on the
# stable toolchain need its deps (layout has its own, deps builds them).
case " $scenarios " in *" code "* | *" env "* | *" tight "* | *" fs "* | *" runner "* | *" remote "*) warm "" ;; esac
# The deps target (links or files, the same bytes): symlink's deps, or
# cowlink's (the same but the hook) when symlink's were not warmed.
target_root() {
    local a
    for a in symlink.deps cowlink.deps layout.symlink.deps; do
        [ ! -e "$roots/$a" ] || { echo "$roots/$a"; return 0; }
    done
    return 1
}
# tight's limit in MiB: a quarter of the deps target plus 1.5 GiB.
tight_mb() { du -sbL "$(target_root)/target" | awk '{printf "%d", $1 / 4 / 1048576 + 1536}'; }
limit="" tight_mb=${TIGHT_MB:-}
case " $scenarios " in *" tight "*)
    [ -n "$memcg_parent" ] || { echo "bench-scale: tight needs a memory cgroup this shell can make children in" >&2; exit 1; }
    tight_mb=${tight_mb:-$(tight_mb)}
    echo "bench-scale: tight: each build limited to $tight_mb MiB" ;;
esac
tight=$((${tight_mb:-0} * 1048576))
for sc in $scenarios; do
    case $sc in
    deps) ;;
    code | env | tight) flow_scenario "$sc" ;;
    fs) fs_start; BUILD_TMP=$T/ext4 flow_scenario fs; fs_stop ;;
    layout) layout_scenario ;;
    runner) runner_scenario ;;
    remote) remote_scenario ;;
    *) echo "bench-scale: no scenario $sc" >&2; exit 2 ;;
    esac
done
case " $scenarios " in *" deps "*) deps_scenario ;; esac
# The scenarios and strategies not run this time keep their lines from
# the last runs (each line says when it was measured).
touch "$out_dir/scale.data"
awk -v sc=" $scenarios " -v st=" $strategies " 'index(sc, " " $1 " ") == 0 || index(st, " " $3 " ") == 0' \
    "$out_dir/scale.data" | cat - "$data" >"$T/all.data"
cp "$T/all.data" "$out_dir/scale.data"
finished=1 && rm -f "$out_dir/scale.partial.data"
# Each run's machine, kept while a line of that run is.
touch "$out_dir/scale.machines"
printf '%s\t%s\n' "$stamp" "$machine" | cat "$out_dir/scale.machines" - |
    awk -F'\t' -v data="$T/all.data" 'BEGIN {while ((getline l <data) > 0) if (match(l, / at=[^ ]*/)) run[substr(l, RSTART + 4, RLENGTH - 4)] = 1}
        $1 in run' >"$T/machines"
cp "$T/machines" "$out_dir/scale.machines"
# The deps target the report describes: the stable toolchain's, else
# (a run of layout alone) the nightly's.
deps=$(target_root) || deps=$roots/symlink.deps
[ -n "$tight_mb" ] || ! target_root >/dev/null || tight_mb=$(tight_mb)
TIGHT_MB=${tight_mb:-?} SCENARIOS_RUN="$scenarios" bash "$here/report.sh" "$out_dir/scale.data" "$T/ws" "$deps" "$(($(date +%s) - start))" >"$out_dir/scale.md"
command -v gnuplot >/dev/null && bash "$here/chart.sh" "$out_dir/scale.data" "$out_dir/scale.png"
cat "$out_dir/scale.md"
exit
}
