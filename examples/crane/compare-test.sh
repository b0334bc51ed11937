#!/usr/bin/env bash
# The model-vs-crane comparison can fail: on a small target dir shaped like
# cargo's (a parent store path and a child installed on top of it), the
# model and crane's own hooks must agree, and two faults put into the model
# (the model's old install, which dropped .cargo-lock, and an inheritance
# that leaves .d links alone) must each be caught, naming their paths.
# matrix.sh runs the same comparison on the real targets.
#   usage: compare-test.sh
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
CRANE_SRC=${CRANE_SRC:-$here/../../../shared/third-party/crane}
if [ ! -f "$CRANE_SRC/lib/setupHooks/inheritCargoArtifactsHook.sh" ]; then
    echo "SKIP compare-test: crane's sources are not in $CRANE_SRC (set CRANE_SRC)"
    exit 0
fi
command -v rsync >/dev/null || { echo "SKIP compare-test: rsync is not installed"; exit 0; }
source "$here/model.sh"
source "$here/hooks.sh"
source "$here/compare.sh"
W=$(mktemp -d /tmp/cowlink-compare-XXXXXX)
trap 'chmod -R u+w "$W"; rm -rf "$W"' EXIT

# fake_target DIR WHAT: a cargo-like target dir; WHAT changes some files.
fake_target() {
    local t=$1/target h
    mkdir -p "$t/release/deps" "$t/release/.fingerprint/foo-1111111111111111" \
        "$t/release/build/foo-sys-2222222222222222/out"
    for h in 1111111111111111 3333333333333333; do
        echo "rlib $h" >"$t/release/deps/libfoo-$h.rlib"
        echo "rmeta $h" >"$t/release/deps/libfoo-$h.rmeta"
        echo "deps $h" >"$t/release/deps/foo-$h.d"
    done
    : >"$t/release/.cargo-lock"
    echo "app: src/main.rs" >"$t/release/app.d"
    echo "$2" >"$t/release/app"; chmod 755 "$t/release/app"
    echo fp >"$t/release/.fingerprint/foo-1111111111111111/lib-foo"
    echo obj >"$t/release/build/foo-sys-2222222222222222/out/a.o"
    echo "$2" >"$t/release/build/foo-sys-2222222222222222/out/b.o"
    find "$t" -exec touch -h -d @1 {} +
}
seal() { find "$1" -type f -exec chmod a-w {} +; find "$1" -type d -exec chmod 0555 {} +; find "$1" -exec touch -h -d @1 {} +; }

failures=0
check() { # NAME EXPECTED(agree|differ) COMMAND...
    local name=$1 want=$2 got out
    shift 2
    if out=$("$@"); then got=agree; else got=differ; fi
    echo "$out"
    if [ "$got" = "$want" ]; then echo "PASS compare-test $name"; else echo "FAIL compare-test $name: $got"; failures=$((failures + 1)); fi
}

mkdir -p "$W/store" "$W/build"
fake_target "$W/build/p" parent
crane_install "$W/store/parent" "$W/build/p/target" "" >/dev/null
seal "$W/store/parent"
fake_target "$W/build/c" child
check install agree compare_install "$W/build/c/target" "$W/store/parent"
crane_install "$W/store/child" "$W/build/c/target" "$W/store/parent" >/dev/null
seal "$W/store/child"
check inherit agree compare_inherit "$W/store/child/target"

# The faults: each must be found.
model_install() { # the old model: .cargo-lock never reached the store
    find "$2" -name .cargo-lock -delete
    mkdir -p "$1"; mv "$2" "$1/"
    local rel
    (cd "$1/target" && find . -type f -printf '%P\n') | while read -r rel; do
        if cmp -s "$3/target/$rel" "$1/target/$rel"; then ln -sfn "$3/target/$rel" "$1/target/$rel"; fi
    done
}
fake_target "$W/build/c2" child
check old-install differ compare_install "$W/build/c2/target" "$W/store/parent"
source "$here/model.sh"
model_inherit() { # no .d copies
    rsync --recursive --links --times --chmod=u+w --executability \
        --exclude 'deps/*.rlib' --exclude 'deps/*.rmeta' --exclude '.cargo-lock' "$1/target/" "$2/"
    (cd "$1/target" && find . \( -path '*/deps/*.rlib' -o -path '*/deps/*.rmeta' \) -printf '%P\n') |
        while read -r f; do ln -s "$1/target/$f" "$2/$f"; done
}
check no-d-copies differ compare_inherit "$W/store/child/target"
[ "$failures" = 0 ]
