#!/usr/bin/env bash
# What having the library loaded costs cargo when no store link is
# involved: a full build of a real workspace from scratch (compile-heavy),
# and a no-op build where everything is fresh (stat-heavy: cargo stats
# every source and output to decide that).  Runs alternate with and
# without LD_PRELOAD; prints median, min and max of ROUNDS, wall and CPU.
#
#   cargo.sh BUILD_DIR WORKSPACE_DIR    (ROUNDS, NOOP_ROUNDS, PROFILE)
set -euo pipefail
source "$(dirname "$0")/settle.sh"
lib=$(cd "$1" && pwd)/libcowlink.so
workspace=$(cd "$2" && pwd)
rounds=${ROUNDS:-5}
noop_rounds=${NOOP_ROUNDS:-$((rounds * 4))}
profile=${PROFILE:---release}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export PATH=${UPATH:-/usr/sbin:/usr/bin:/sbin:/bin} # the crane example's toolchain (report.sh), else Debian's
cp -a "$workspace" "$work/src"
rm -rf "$work/src/target"
# the crates the example vendors (Debian's and its own -sys crates)
[ -z "${VENDOR:-}" ] || sed -i "s#^directory = .*#directory = \"$VENDOR\"#" "$work/src/.cargo/config.toml"

# One timed cargo run: prints "wall_ms cpu_ms".
timed() { # with|without cargo-args...
    local pre=$1
    shift
    settle
    [ "$pre" = with ] && export LD_PRELOAD=$lib COWLINK_STORE=$work/store
    local TIMEFORMAT='%3R %3U %3S'
    { time cargo "$@" -q >/dev/null 2>"$work/err"; } 2>"$work/time" || { cat "$work/err" >&2; exit 1; }
    unset LD_PRELOAD COWLINK_STORE
    awk '{printf "%d %d\n", $1 * 1000, ($2 + $3) * 1000}' "$work/time"
}

stats() { sort -n | awk '{v[NR]=$1} END {printf "%d | %d | %d", v[int((NR+1)/2)], v[1], v[NR]}'; }
median() { sort -n | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }

cd "$work/src"
for r in $(seq "$rounds"); do
    for v in without with; do
        rm -rf target
        timed $v build $profile >>"$work/full.$v"
    done
done
for r in $(seq "$noop_rounds"); do
    for v in without with; do timed $v build $profile >>"$work/noop.$v"; done
done

crates=$(grep -c '^name = ' Cargo.lock)
echo "cargo with and without libcowlink loaded ($crates crates, $(nproc) cores, $(df -T . | awk 'NR==2 {print $2}'))"
echo
echo "| build | library | wall median (ms) | min | max | CPU median (ms) | min | max |"
echo "|---|---|---:|---:|---:|---:|---:|---:|"
for b in full noop; do
    for v in without with; do
        printf '| %s | %s | %s | %s |\n' "$([ $b = full ] && echo "full $profile build" || echo "no-op build")" "$v" \
            "$(cut -d' ' -f1 "$work/$b.$v" | stats)" "$(cut -d' ' -f2 "$work/$b.$v" | stats)"
    done
done
echo
for b in full noop; do
    awk -v b="$b" -v w0="$(cut -d' ' -f1 "$work/$b.without" | median)" -v w1="$(cut -d' ' -f1 "$work/$b.with" | median)" \
        -v c0="$(cut -d' ' -f2 "$work/$b.without" | median)" -v c1="$(cut -d' ' -f2 "$work/$b.with" | median)" \
        'BEGIN {printf "%s build overhead: wall %+.1f%%, CPU %+.1f%%\n", b, (w1 / w0 - 1) * 100, (c1 / (c0 ? c0 : 1) - 1) * 100}'
done
