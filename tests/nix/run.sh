#!/usr/bin/env bash
# crane's quick-start flake with cowlink's one line
# (examples/nix/crane-quick-start), built for real.  First hook.sh
# (cowlink's hook in nixpkgs' setup.sh with crane's inheritance hook, no Nix
# needed).  Then the flake's outputs, with cowlink's flake
# (examples/nix/flake.nix) as its input, evaluated with crane's own mkLib
# over a stand-in for the rest of nixpkgs (pkgs.nix: nixpkgs' lib and
# setup.sh, the host's tools), built by Debian's Nix with nixbld builders.
#   eval       (once) on x86_64-linux, aarch64-linux, both darwins and
#              cross to aarch64-linux, without building: the hook where
#              cargoArtifacts is, from the build platform; darwin is crane
#              alone with one warning; the opt-outs; and two mutants of
#              lib.nix (hook from the host platform; cowlink on darwin)
#              that must make those checks fail
#   flake check  `nix flake check --no-build` on the quick-start flake and
#              on cowlink's, every input a local flake (flakes/), and on the
#              darwin mutant (must fail)
# Every build runs in Nix's sandbox (a probe checks NIX_BUILD_TOP=/build,
# and that it is not so without the sandbox), with nixpkgs' default setup
# hooks (the fixup) and crane's own vendoring.
# Per toolchain (Debian's, and the stable one tests/toolchain.sh finds):
#   cowlink    the package from default.nix (its installCheckPhase ran),
#              out of a checkout that holds a stale build/cowlink: the
#              stale one must not be installed; the hook-only package
#   flake      packages.default and checks clippy, test, doc (with cowlink)
#              and the same built by crane alone; nix log says cowlink was
#              active and how many files it linked; which of them install
#              a target/; packages.data, whose postInstall copies read-only
#              store files into $out (the library leaves the outputs the
#              hook names in COWLINK_OUTPUTS alone); nextest is not in Debian
#   triggers   env, missing, remap, chain: without cowlink the build must
#              fail with rustc's "is not writeable" (in the chain cargo's
#              own "failed to write" a linked fingerprint comes first, and
#              is accepted there); with the per-derivation attributes it
#              must pass and print what a clean build prints; env also with
#              enableCowlink alone (crane's own inheritance)
# Then `nix-store --verify --check-contents`, env again with builders as
# root (a writable store), and the store verified again.
#   usage: run.sh [BUILD]   (BUILD's library and command for hook.sh; the
#                            Nix builds make their own from default.nix)
# Reads crane and nixpkgs from ../shared/third-party or from CRANE_SRC,
# NIXPKGS_LIB, NIXPKGS_STDENV.  Times, what cargo compiled and sizes go to
# $NIX_TEST_REPORT (default build/nix-test-report.txt).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
BUILD=$(cd "${1:-build}" && pwd)
repo=$(cd "$here/../.." && pwd)
skip() { echo "SKIP nix: $*"; exit 0; }

third=$repo/../shared/third-party
CRANE_SRC=${CRANE_SRC:-$third/crane}
NIXPKGS_LIB=${NIXPKGS_LIB:-$third/nixpkgs-lib}
NIXPKGS_STDENV=${NIXPKGS_STDENV:-$third/nixpkgs-stdenv}
[ -f "$CRANE_SRC/lib/default.nix" ] || skip "no crane (set CRANE_SRC to a crane checkout)"
[ -f "$NIXPKGS_LIB/lib/default.nix" ] || skip "no nixpkgs lib (set NIXPKGS_LIB)"
[ -f "$NIXPKGS_STDENV/setup-late2024/setup.sh" ] || skip "no nixpkgs setup-late2024/setup.sh (set NIXPKGS_STDENV)"
# The hook alone, under nixpkgs' setup.sh with crane's hook (no Nix needed).
bash "$here/hook.sh" "$BUILD" "$CRANE_SRC" "$NIXPKGS_STDENV"
[ "$(id -u)" = 0 ] || skip "needs root (installs nix-bin, creates nixbld users)"
command -v apt-get >/dev/null || command -v nix-build >/dev/null || skip "no nix-build and no apt-get"
source "$here/harness.sh"
nix_setup "$here/app/Cargo.lock" "$here/crates"

# Not under /tmp: builds run in TMPDIR (seen as /build in the sandbox),
# and a build outside the sandbox (the probe's broken variant) would have
# cargo read every Cargo.toml above its working directory.
T=$(mktemp -d /var/tmp/cowlink-nix-XXXXXX)
trap 'rm -rf "$T"' EXIT
chmod 755 "$T" # nixbld builders work in $T/tmp
mkdir -p "$T/tmp" "$T/logs"
report=${NIX_TEST_REPORT:-$repo/build/nix-test-report.txt}
mkdir -p "$(dirname "$report")"
: >"$report"
passed=0 failed=0
pass() { passed=$((passed + 1)); echo "PASS $*"; }
fail() { failed=$((failed + 1)); echo "FAIL $*"; }

# The crate, with the flake copied next to its Cargo.toml as users do.
cp -r "$here/app" "$T/app"
cp "$repo/examples/nix/crane-quick-start/flake.nix" "$T/app/"
# cowlink as a developer's checkout: what git tracks (or everything), plus
# a stale build/cowlink that default.nix must not pick up.
checkout_copy "$repo" "$T/cowlink"
mkdir -p "$T/cowlink/build"
printf '#!/bin/sh\necho stale\n' >"$T/cowlink/build/cowlink"
chmod +x "$T/cowlink/build/cowlink"

# Every build in Nix's sandbox (harness.sh's nix_opts); the stable
# toolchain's copy only for the stable builds: Debian's need not depend on it.
stable=$(bash "$here/../toolchain.sh" 2>/dev/null) || stable=""
# build TOOLCHAIN ATTR [GROUP]: prints the output path; the log is
# logs/TOOLCHAIN.ATTR.log, the seconds logs/TOOLCHAIN.ATTR.time.  Every
# run builds afresh (round).
build() {
    local tc=$1 attr=$2 group=${3-nixbld} rust="" s rc tries=0 paths=$sandbox_paths
    [ "$tc" = debian ] || { rust=$stable; paths="$paths $(dirname "$stable")"; }
    s=$(date +%s.%N)
    # A builder killed by signal 9 (see the uids above: another Nix on this
    # kernel with the same build uids) is tried once more.
    while rc=0; tries=$((tries + 1))
        TMPDIR=$T/tmp nix-build "$here/test.nix" -A "$attr" --no-out-link "${nix_opts[@]}" \
            --option extra-sandbox-paths "$paths" --option build-users-group "$group" \
            --argstr nixpkgsLib "$NIXPKGS_LIB" --argstr stdenvSrc "$NIXPKGS_STDENV" \
            --argstr craneSrc "$CRANE_SRC" --argstr cowlinkSrc "$T/cowlink" --argstr appSrc "$T/app" \
            --argstr rustBin "$rust" --argstr round "$t0" \
            >"$T/logs/$tc.$attr.out" 2>"$T/logs/$tc.$attr.log" || rc=$?
        [ $rc != 0 ] && [ $tries = 1 ] && grep -q 'failed due to signal 9 (Killed)' "$T/logs/$tc.$attr.log"
    do
        echo "RETRY $tc.$attr: a builder was killed (signal 9): $(grep -m1 'signal 9' "$T/logs/$tc.$attr.log")"
    done
    awk -v s="$s" -v e="$(date +%s.%N)" 'BEGIN { print e - s }' >"$T/logs/$tc.$attr.time"
    cat "$T/logs/$tc.$attr.out"
    return $rc
}
log() { cat "$T/logs/$1.$2.log"; }
# evaluate ATTR [COWLINK_SRC]: test.nix's eval.ATTR as JSON (warnings and
# errors in logs/eval.ATTR.log); no build.
evaluate() {
    nix-instantiate --read-write-mode --eval --strict --json "$here/test.nix" -A "eval.$1" \
        --argstr nixpkgsLib "$NIXPKGS_LIB" --argstr stdenvSrc "$NIXPKGS_STDENV" \
        --argstr craneSrc "$CRANE_SRC" --argstr cowlinkSrc "${2:-$T/cowlink}" --argstr appSrc "$T/app" \
        --argstr round "$t0" 2>"$T/logs/eval.$1.log"
}
# evaluate_attr ATTR COWLINK_SRC: test.nix's ATTR (a string), raw.
evaluate_attr() {
    nix-instantiate --read-write-mode --eval --strict "$here/test.nix" -A "$1" \
        --argstr nixpkgsLib "$NIXPKGS_LIB" --argstr stdenvSrc "$NIXPKGS_STDENV" \
        --argstr craneSrc "$CRANE_SRC" --argstr cowlinkSrc "$2" --argstr appSrc "$T/app" \
        --argstr round "$t0" 2>>"$T/logs/eval.$1.log"
}
# mutant NAME SED: a copy of the checkout whose lib.nix went through SED.
mutant() {
    rm -rf "$T/$1"
    cp -r "$T/cowlink" "$T/$1"
    sed -i "$2" "$T/$1/examples/nix/lib.nix"
    cmp -s "$T/cowlink/examples/nix/lib.nix" "$T/$1/examples/nix/lib.nix" && echo "mutant $1: sed changed nothing" >&2
    echo "$T/$1"
}
# `nix flake check --no-build` (Nix 2.8's experimental flakes, pure
# evaluation) on the quick-start flake and on cowlink's, with every input
# a local flake: cowlink as git+file:...?dir=examples/nix (path: URLs take
# no dir= in Nix 2.8), nixpkgs, crane and flake-utils as flakes/*'s
# stand-ins over the same inputs as test.nix.  Not built by it: the
# nextest check needs cargo-nextest, which Debian 12 does not have (the
# other checks are built above, by nix-build).
# flakecheck_app COWLINK_GIT: the quick-start flake's check.
flakecheck_app() {
    nix --extra-experimental-features 'nix-command flakes' flake check --no-build --no-write-lock-file \
        "path:$T/app" \
        --override-input nixpkgs "git+file://$1?dir=tests/nix/flakes/nixpkgs" \
        --override-input nixpkgs/lib "path:$NIXPKGS_LIB" \
        --override-input nixpkgs/stdenv "path:$NIXPKGS_STDENV" \
        --override-input crane "git+file://$1?dir=tests/nix/flakes/crane" \
        --override-input crane/crane "path:$CRANE_SRC" \
        --override-input flake-utils "git+file://$1?dir=tests/nix/flakes/flake-utils" \
        --override-input cowlink "git+file://$1?dir=examples/nix"
}
# A git repository of a checkout copy, as git+file: needs.
gitcopy() {
    rm -rf "$2"
    cp -r "$1" "$2"
    git -C "$2" init -q
    git -C "$2" add -A
    git -C "$2" -c user.name=test -c user.email=test@localhost commit -qm snapshot
}
flakecheck() {
    gitcopy "$T/cowlink" "$T/cowlink-git"
    if flakecheck_app "$T/cowlink-git" >"$T/logs/flakecheck.app.log" 2>&1; then
        pass "nix flake check --no-build: the quick-start flake with cowlink (all four systems)"
    else
        fail "nix flake check on the quick-start flake: $(grep -m3 error "$T/logs/flakecheck.app.log")"
    fi
    if nix --extra-experimental-features 'nix-command flakes' flake check --no-build --no-write-lock-file \
        "git+file://$T/cowlink-git?dir=examples/nix" \
        --override-input nixpkgs "git+file://$T/cowlink-git?dir=tests/nix/flakes/nixpkgs" \
        --override-input nixpkgs/lib "path:$NIXPKGS_LIB" \
        --override-input nixpkgs/stdenv "path:$NIXPKGS_STDENV" >"$T/logs/flakecheck.cowlink.log" 2>&1; then
        pass "nix flake check --no-build: cowlink's flake (?dir=examples/nix)"
    else
        fail "nix flake check on cowlink's flake: $(grep -m3 error "$T/logs/flakecheck.cowlink.log")"
    fi
    # Test the test: cowlink applied on darwin fails the check as it fails
    # users' `nix flake check`.
    gitcopy "$T/darwin-included" "$T/darwin-included-git"
    if ! flakecheck_app "$T/darwin-included-git" >"$T/logs/flakecheck.mutant.log" 2>&1 &&
        grep -q 'not available on the requested hostPlatform' "$T/logs/flakecheck.mutant.log"; then
        pass "nix flake check fails with cowlink applied on darwin (mutant)"
    else
        fail "nix flake check does not notice cowlink applied on darwin: $(tail -2 "$T/logs/flakecheck.mutant.log")"
    fi
}
# The flake on every system, without building: what each eval.* attribute
# of test.nix says, and each must fail with the mutant that breaks it.
evaluation() {
    local a m
    for a in linux optOut darwin cross musl shipped values env zstdParent noFlake; do
        if [ "$(evaluate $a)" = true ]; then pass "eval: $a"; else
            fail "eval: $a: $(grep -v '^trace' "$T/logs/eval.$a.log" | tail -3)"
        fi
    done
    # darwin: crane's derivations, silently (abort-on-warn, every nix
    # develop); one warning when asked for (enableWith { warn = true; }).
    if [ "$(evaluate darwinOne)" = true ] && ! grep -q 'warning' "$T/logs/eval.darwinOne.log"; then
        pass "eval: aarch64-darwin: crane's derivations, no warning"
    else
        fail "eval: aarch64-darwin warnings: $(cat "$T/logs/eval.darwinOne.log")"
    fi
    if [ "$(evaluate darwinWarn)" = true ] &&
        [ "$(grep -c 'warning: cowlink: the build platform aarch64-darwin is not Linux' "$T/logs/eval.darwinWarn.log")" = 1 ] &&
        [ "$(grep -c 'warning' "$T/logs/eval.darwinWarn.log")" = 1 ]; then
        pass "eval: aarch64-darwin with enableWith { warn = true; }: one warning"
    else
        fail "eval: aarch64-darwin with the warning asked for: $(cat "$T/logs/eval.darwinWarn.log")"
    fi
    # A cowlink update (its library changes) leaves the deps' derivation
    # as it was: they have the fixup hook alone, which names no library.
    rm -rf "$T/newlib"
    cp -r "$T/cowlink" "$T/newlib"
    echo '/* a cowlink update */' >>"$T/newlib/preload/entries.c"
    if [ "$(evaluate_attr depsDrv "$T/cowlink")" = "$(evaluate_attr depsDrv "$T/newlib")" ] &&
        [ "$(evaluate_attr hookDrv "$T/cowlink")" != "$(evaluate_attr hookDrv "$T/newlib")" ]; then
        pass "eval: a change to cowlink's library changes its hook, not the deps' derivation"
    else
        fail "eval: the deps' derivation changes with cowlink's library"
    fi
    # Test the test: the hook taken from the host platform, and cowlink
    # applied on darwin, must each make its check fail.
    m=$(mutant wrong-platform 's/hooksFor pkgs.pkgsBuildHost/hooksFor pkgs/')
    if [ "$(evaluate cross "$m")" = false ]; then
        pass "eval: cross fails with the hook from the host platform (mutant)"
    else
        fail "eval: cross does not notice the hook from the host platform"
    fi
    # musl: the package says why it refuses; lib.enable without its musl
    # guard must fail the musl check.
    if ! nix-instantiate --read-write-mode "$here/test.nix" -A muslPackage \
        --argstr nixpkgsLib "$NIXPKGS_LIB" --argstr stdenvSrc "$NIXPKGS_STDENV" \
        --argstr craneSrc "$CRANE_SRC" --argstr cowlinkSrc "$T/cowlink" --argstr appSrc "$T/app" \
        >/dev/null 2>"$T/logs/eval.muslPackage.log" &&
        grep -q 'cowlink does not build for musl' "$T/logs/eval.muslPackage.log"; then
        pass "eval: musl: the package refuses, saying why"
    else
        fail "eval: musl: the package: $(tail -2 "$T/logs/eval.muslPackage.log")"
    fi
    m=$(mutant musl-included 's/else if buildPlatform.isMusl then/else if false then/')
    if [ "$(evaluate musl "$m")" != true ]; then
        pass "eval: musl fails with lib.enable's musl guard removed (mutant)"
    else
        fail "eval: musl does not notice lib.enable applied on a musl build platform"
    fi
    m=$(mutant darwin-included 's/if !buildPlatform.isLinux then/if false then/')
    if ! evaluate darwinOne "$m" >/dev/null && grep -q "not available on the requested hostPlatform aarch64-darwin" "$T/logs/eval.darwinOne.log"; then
        pass "eval: darwin fails with cowlink applied there (mutant): $(grep -o "Package ‘[^’]*’ is not available[^(]*" "$T/logs/eval.darwinOne.log")"
    else
        fail "eval: darwin with cowlink applied: $(tail -2 "$T/logs/eval.darwinOne.log")"
    fi
}
# note TOOLCHAIN ATTR OUT: one report line: time, what cargo compiled, bytes.
# The bytes are the output's own (du: links count as links) and its
# closure's (the sum of nix-store's NAR sizes of every path it references,
# transitively: what a cache or a copy to another machine carries).
note() {
    local compiled bytes=- closure=-
    compiled=$({ grep -o 'Compiling [A-Za-z0-9_-]* v' "$T/logs/$1.$2.log" || true; } |
        awk '{print $2}' | sort -u | tr '\n' ' ')
    if [ -n "${3:-}" ]; then
        bytes=$(du -sb "$3" | cut -f1)
        closure=$(nix-store -qR "$3" | xargs nix-store -q --size | awk '{s += $1} END {print s}')
    fi
    printf '%-8s %-26s %7.1f s %12s B %12s B closure  compiled: %s\n' "$1" "$2" \
        "$(cat "$T/logs/$1.$2.time")" "$bytes" "$closure" "${compiled:-nothing}" >>"$report"
}
runs() { "$1/bin/nixapp" 2>&1; }

toolchain() { # debian|stable
    local tc=$1 out a clean stale hook
    if out=$(build "$tc" cowlinkPkg) && hook=$(build "$tc" cowlinkHook); then
        note "$tc" cowlinkPkg "$out"
        if cmp -s "$out/bin/cowlink" "$T/cowlink/build/cowlink"; then
            fail "$tc: default.nix installed the stale build/cowlink of the checkout"
        else
            pass "$tc: default.nix built cowlink from a clean source"
        fi
        # The stored log: the package is the same derivation for both
        # toolchains, built by the first.
        if nix-store -l "$out" >"$T/pkglog" 2>&1 && grep -q 'Running phase: installCheckPhase' "$T/pkglog" &&
            grep -qx 'cowlink 0.1.0' "$T/pkglog"; then
            pass "$tc: the package's installCheckPhase ran the installed command and library"
        else
            fail "$tc: no installCheckPhase in the package's build"
        fi
        if [ "$(ls -A "$hook")" = nix-support ] && [ "$(ls -A "$hook/nix-support")" = setup-hook ] &&
            grep -qxF "cowlinkLib='$out/lib/cowlink/\$PLATFORM/libcowlink.so'" "$hook/nix-support/setup-hook" &&
            grep -qx "cowlinkBin=$out/bin/cowlink" "$hook/nix-support/setup-hook"; then
            pass "$tc: the hook is hook-only (no bin/, share/) and names $out's library and command"
        else
            fail "$tc: the hook $hook: $(ls -A "$hook"), or it does not name $out"
        fi
    else
        fail "$tc: the cowlink package or hook: $(log "$tc" cowlinkPkg | tail -5)"
        return
    fi
    for a in deps staleDeps remapDeps clean; do
        if out=$(build "$tc" "$a"); then note "$tc" "$a" "$out"; else
            fail "$tc: $a: $(log "$tc" "$a" | tail -5)"
            return
        fi
    done
    # The stand-in links as nixpkgs does (its linker wrapper's RUNPATH rule,
    # rustup's lld wrapped too): every build script of the deps has a
    # RUNPATH into the store, and cowlink's ELF pass saw them.
    local bs norp=0 n=0
    out=$(cat "$T/logs/$tc.deps.out")
    for bs in "$out"/target/release/build/*/build-script-build; do
        n=$((n + 1))
        [[ $(readelf -d -W "$bs") == *"(RUNPATH)"*"[$NIX_STORE_DIR/"* ]] || norp=$((norp + 1))
    done
    if [ "$n" -gt 0 ] && [ "$norp" = 0 ] && grep -q '(cowlink: the [1-9][0-9]* with one)' "$T/logs/$tc.deps.log"; then
        pass "$tc: stand-in: the deps' $n build scripts have a RUNPATH into the store, as under nixpkgs; $(grep -o 'cowlink: the [0-9]* with one' "$T/logs/$tc.deps.log")"
    else
        fail "$tc: stand-in: $norp of $n build scripts without a RUNPATH into the store"
    fi
    stale=$(runs "$(cat "$T/logs/$tc.clean.out")")
    clean=$(grep -v '^never-fresh:' <<<"$stale")
    for a in default clippy test doc; do
        for side in flake crane; do
            if out=$(build "$tc" "$side.$a"); then
                note "$tc" "$side.$a" "$out"
                pass "$tc: $side.$a builds ($( [ $side = flake ] && echo with cowlink || echo crane alone))"
            else
                fail "$tc: $side.$a: $(log "$tc" "$side.$a" | tail -5)"
            fi
        done
    done
    # What the log says, as `nix log` (nix-store -l) shows it.
    out=$(cat "$T/logs/$tc.flake.default.out")
    if nix-store -l "$out" >"$T/nixlog" 2>&1 &&
        grep -q '^cowlink: inherited [1-9][0-9]* files by link' "$T/nixlog" &&
        grep -q '^cowlink: active from configure to install' "$T/nixlog" &&
        ! grep -q 'cowlink: WARNING' "$T/nixlog"; then
        pass "$tc: the flake's package inherited through cowlink inherit: nix log says $(grep -m1 -o 'inherited [0-9]* files by link' "$T/nixlog"), and active"
    else
        fail "$tc: the flake's package: nix log does not say cowlink linked and was active: $(grep cowlink "$T/nixlog" | head -3)"
    fi
    # The data package: postInstall copies read-only store files into
    # $out, as packages install data files (cp -a, cp -p, tar -x,
    # install).  Crane alone must manage; with cowlink the library must
    # leave the build's own outputs alone (COWLINK_OUTPUTS): before it
    # did, cp -p's futimens on a file in $out was refused.
    local f side bad
    for side in crane flake; do
        bad=""
        if out=$(build "$tc" "$side.data"); then
            note "$tc" "$side.data" "$out"
            for f in cp-a/greeting.txt cp-p.txt tar/greeting.txt install.txt; do
                [ "$(cat "$out/share/nixapp/$f" 2>/dev/null)" = "hello from the store" ] || bad="$bad $f"
            done
            if [ -z "$bad" ]; then
                pass "$tc: $side.data copied read-only store files into \$out (cp -a, cp -p, tar -x, install)"
            else
                fail "$tc: $side.data lacks:$bad"
            fi
        else
            fail "$tc: $side.data: $(log "$tc" "$side.data" | tail -3)"
        fi
    done
    if [ "$(runs "$(cat "$T/logs/$tc.flake.default.out")")" = "$clean" ]; then
        pass "$tc: the flake's package prints what a clean build prints"
    else
        fail "$tc: the flake's package prints something else"
    fi
    # Which crane functions install their target/ (examples/nix/README.md).
    local installs=""
    for a in default clippy test doc; do
        [ ! -e "$(cat "$T/logs/$tc.flake.$a.out")/target" ] || installs="$installs $a"
    done
    if [ "$installs" = " clippy test" ]; then
        pass "$tc: of the flake's package and checks, clippy and test install their target/ (as the README says)"
    else
        fail "$tc: installing a target/:$installs (the README says: clippy test)"
    fi
    if [ -d "$(cat "$T/logs/$tc.flake.doc.out")/share/doc/nixapp" ]; then
        pass "$tc: the flake's doc check has the docs"
    else
        fail "$tc: no docs in the flake's doc check"
    fi
    echo "SKIP nix: checks.nextest: cargo-nextest is not in Debian 12 (no package to stand in)"
    # What use-symlink costs, against crane alone from end to end (deps as
    # target.tar.zst, cargoTest on them): the report's bytes and closures.
    if [ "$tc" = debian ]; then
        for a in zstdDeps zstdTest; do
            if out=$(build "$tc" "crane.$a"); then note "$tc" "crane.$a" "$out"; else
                fail "$tc: crane.$a: $(log "$tc" "crane.$a" | tail -3)"
            fi
        done
    fi

    # Structured attributes with a second output the install writes: the
    # library leaves $man alone (before, it refused the mkdir).
    if [ "$tc" = debian ]; then
        for side in crane with; do
            if out=$(build "$tc" "structured.$side") &&
                out=$(nix-store -q --outputs "$(nix-store -q --deriver "$out")" | grep -- '-man$') &&
                [ -f "$out/share/man/man1/nixapp.1.gz" ] &&
                grep -q 'structuredAttrs is enabled' "$T/logs/$tc.structured.$side.log"; then
                pass "$tc: structured attributes, \$man written by postInstall ($side)"
            else
                fail "$tc: structured attributes ($side): $(log "$tc" "structured.$side" | grep -m3 -i 'cowlink: refusing\|error')"
            fi
        done
    fi

    # A phase list of the derivation's own, on the env trigger: before, the
    # library was never on and cargo could not write its fingerprints.
    if [ "$tc" = debian ]; then
        if out=$(build "$tc" ownPhases) && [ "$(runs "$out")" = "$clean" ] &&
            grep -q '^cowlink: active' "$T/logs/$tc.ownPhases.log"; then
            pass "$tc: env trigger with the derivation's own phases: the library on, builds, prints what a clean build prints"
        else
            fail "$tc: own phases: $(log "$tc" ownPhases | grep -m3 -i 'error')"
        fi
    fi

    local trig want
    for trig in env missing remap chain; do
        if build "$tc" "triggers.$trig.without" >/dev/null; then
            fail "$tc: $trig without cowlink built, so the trigger does not bite"
        elif log "$tc" "triggers.$trig.without" | grep -q 'is not writeable -- check its permissions'; then
            pass "$tc: $trig without cowlink fails with rustc's error"
        elif [ "$trig" = chain ] && log "$tc" "triggers.$trig.without" |
            grep -A3 'error: failed to write `.*/target/release/' | grep -q 'Permission denied'; then
            # In a chain fingerprints are links too: cargo fails first.
            pass "$tc: $trig without cowlink fails: cargo cannot write $(log "$tc" "triggers.$trig.without" |
                grep -o -m1 'target/release/[^`]*')"
        else
            fail "$tc: $trig without cowlink failed otherwise: $(log "$tc" "triggers.$trig.without" | tail -3)"
        fi
        note "$tc" "triggers.$trig.without"
        want=$clean
        [ "$trig" != missing ] || want=$stale
        if out=$(build "$tc" "triggers.$trig.with"); then
            note "$tc" "triggers.$trig.with" "$out"
            if [ "$(runs "$out")" = "$want" ]; then
                pass "$tc: $trig with cowlink builds and prints what a clean build prints"
            else
                fail "$tc: $trig with cowlink prints: $(runs "$out" | head -3)"
            fi
        else
            fail "$tc: $trig with cowlink: $(log "$tc" "triggers.$trig.with" | grep -m3 -i 'error')"
        fi
    done
    if out=$(build "$tc" triggers.env.enableOnly) && [ "$(runs "$out")" = "$clean" ] &&
        grep -q 'copying cargo artifacts' "$T/logs/$tc.triggers.env.enableOnly.log"; then
        note "$tc" triggers.env.enableOnly "$out"
        pass "$tc: env with enableCowlink alone (crane's own inheritance) builds and prints the same"
    else
        fail "$tc: env with enableCowlink alone: $(log "$tc" triggers.env.enableOnly | grep -m3 -i error)"
    fi
    # examples/nix/README.md's way to find why cargo rebuilt: with
    # CARGO_LOG the log names the variable; without it (env.with), not.
    fingerprint() { grep -i 'PKG_CONFIG_PATH' "$T/logs/$tc.$1.log" | grep -i -m1 'changed'; }
    if build "$tc" triggers.env.withLog >/dev/null && fingerprint triggers.env.withLog >/dev/null &&
        ! fingerprint triggers.env.with >/dev/null; then
        pass "$tc: CARGO_LOG=cargo::core::compiler::fingerprint=info says why: $(fingerprint triggers.env.withLog | cut -c1-160)"
    else
        fail "$tc: the fingerprint log does not say PKG_CONFIG_PATH changed: $(log "$tc" triggers.env.withLog | grep -m3 -i 'fingerprint\|error')"
    fi
}

verify() {
    if nix-store --verify --check-contents >"$T/verify" 2>&1 && ! grep -qi 'modified\|corrupt' "$T/verify"; then
        pass "nix-store --verify --check-contents: clean ($1)"
    else
        fail "nix-store --verify --check-contents ($1): $(grep -i 'modified\|corrupt' "$T/verify" | head -3)"
    fi
}

# Can this machine build at all (a container may refuse what Nix needs)?
# Then: is it the sandbox?  The probe fails unless NIX_BUILD_TOP is
# /build, which it is only in the sandbox: built once without it (must
# fail: the probe can fail), once with every build's options (must pass).
cat >"$T/sandbox-probe.nix" <<'EOF'
# Passes only in Nix's sandbox, where the build directory is /build.
{ nonce }:
derivation {
  name = "sandbox-probe";
  system = builtins.currentSystem;
  builder = "/bin/sh";
  inherit nonce;
  args = [ "-c" ''[ "$NIX_BUILD_TOP" = /build ] || { echo "NIX_BUILD_TOP is $NIX_BUILD_TOP, not /build" >&2; exit 1; }; echo ok >$out'' ];
}
EOF
probe() { # NAME, then nix-build options; a fresh derivation each time
    nix-build "$T/sandbox-probe.nix" --no-out-link --option build-users-group nixbld \
        --argstr nonce "$1-$$-$(date +%s)" "${@:2}" >/dev/null 2>"$T/probe-$1.log"
}
echo 'derivation { name = "probe"; system = builtins.currentSystem; builder = "/bin/sh";
  args = [ "-c" "echo ok > $out" ]; }' >"$T/probe.nix"
nix-build "$T/probe.nix" --no-out-link --option substituters '' --option sandbox false \
    --option build-users-group nixbld >/dev/null 2>"$T/probe.log" ||
    skip "nix-build cannot build a trivial derivation here: $(tail -1 "$T/probe.log")"
if probe nosandbox --option substituters '' --option sandbox false; then
    fail "sandbox probe: passed without the sandbox, so it cannot tell"
elif probe sandbox "${nix_opts[@]}"; then
    pass "sandbox: builds run sandboxed (NIX_BUILD_TOP=/build; without the sandbox the probe fails: $(grep -m1 'NIX_BUILD_TOP is' "$T/probe-nosandbox.log"))"
else
    fail "sandbox: a trivial build fails in the sandbox: $(tail -2 "$T/probe-sandbox.log")"
fi

t0=$(date +%s)
NIX_STORE_DIR=$(nix-instantiate --eval --expr builtins.storeDir | tr -d '"')
# The last run's outputs go; the toolchains' store copies stay (rooted).
roots=/nix/var/nix/gcroots/cowlink-nix-test
mkdir -p "$roots"
for tc in debian stable; do
    [ "$tc" = debian ] || [ -n "$stable" ] || continue
    out=$(build "$tc" toolchain) && ln -sfn "$out" "$roots/$tc"
done
nix-store --gc >/dev/null 2>&1 || true
evaluation
flakecheck
toolchain debian
if [ -n "$stable" ] && [ -x "$stable/cargo" ]; then
    toolchain stable
else
    echo "SKIP nix: no stable toolchain (tests/toolchain.sh found none): Debian's only"
fi
verify "builders as nixbld"
# As root the store is writable: cowlink must still never write it.
if out=$(build debian triggers.env.root "") &&
    [ "$(runs "$out")" = "$(runs "$(cat "$T/logs/debian.clean.out")" | grep -v '^never-fresh:')" ]; then
    pass "debian: env with cowlink, builders as root"
else
    fail "debian: env with cowlink, builders as root: $(log debian triggers.env.root | grep -m3 -i error)"
fi
verify "builders as root, store writable"
echo "nix: $passed passed, $failed failed ($(($(date +%s) - t0)) s); times and sizes in $report"
cat "$report"
[ "$failed" = 0 ]
