#!/usr/bin/env bash
# cowlink's setup hook with crane's real inheritance hook, run by nixpkgs'
# real setup.sh (genericBuild) without Nix, in seconds:
#   - cowlinkInherit links every inherited file, into a nested
#     CARGO_TARGET_DIR, and leaves every .cargo*lock out; the locks cargo
#     makes again are gone before the install
#   - with doNotLinkInheritedArtifacts crane's own deep copy runs instead
#   - LD_PRELOAD names the library in configure, build, check and install,
#     and not in unpack, patch or fixup; COWLINK_OUTPUTS names the outputs
#   - cowlinkElfChecks shrinks RPATHs and refuses RPATHs into $TMPDIR as
#     nixpkgs' patchelf and audit-tmpdir hooks do, in their place
#   - the log says it is active and how many files it linked, and warns
#     for each silent no-op: the hook without the flags, enableCowlink
#     without cowlinkInherit, a use-zstd parent, crane's function missing
#   usage: hook.sh BUILD CRANE_SRC NIXPKGS_STDENV
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
BUILD=$(cd "$1" && pwd)
crane=$2 stdenv_src=$3
# crane's use-zstd install is one of the parents (before the Nix test's own
# setup runs: a new machine has no zstd).
# qemu-user and an aarch64 C compiler and libc: a cross build's emulated
# test binary.
# llvm: llvm-readelf, the ELF checks' other readelf.
# gcc-12-multilib: a 32-bit x86 test binary, run natively (not gcc-multilib,
# which Debian makes conflict with the cross compilers).
bash "$here/../setup.sh" --only zstd patchelf gcc binutils qemu-user gcc-aarch64-linux-gnu libc6-dev-arm64-cross gcc-12-multilib llvm
T=$(mktemp -d /tmp/cowlink-hook-XXXXXX)
trap '[ -n "${HOOK_KEEP-}" ] || rm -rf "$T"' EXIT
passed=0 failed=0
check() { # description, then a command that must succeed
    local what=$1
    shift
    if "$@"; then passed=$((passed + 1)); echo "PASS hook: $what"; else
        failed=$((failed + 1)); echo "FAIL hook: $what"
    fi
}

# The packages, as stdenv sees them: cowlink's hook (its @...@ replaced,
# as makeSetupHook's substitutions do) and crane's inheritance hook.
# cowlink installed as default.nix installs it (make install), the hook
# naming the library by the loader's $PLATFORM as hook.nix does.
mkdir -p "$T/cowlink/nix-support" "$T/crane/nix-support" "$T/cowlink-fixup/nix-support" "$T/crane-install/nix-support"
make -s -C "$here/../.." BUILD="$BUILD" PREFIX="$T/cowlink" install >/dev/null
sed -e "s#@cowlinkLib@#$T/cowlink/lib/cowlink/\$PLATFORM/libcowlink.so#g" -e "s#@cowlinkBin@#$T/cowlink/bin/cowlink#g" \
    "$here/../../examples/nix/cowlink-hook.sh" >"$T/cowlink/nix-support/setup-hook"
# The fixup pass, a hook of its own (before it was, cowlink-hook.sh had it).
fixup_hook=$here/../../examples/nix/cowlink-fixup-hook.sh
if [ -f "$fixup_hook" ]; then cp "$fixup_hook" "$T/cowlink-fixup/nix-support/setup-hook"; else
    : >"$T/cowlink-fixup/nix-support/setup-hook"; fi
cp "$crane/lib/setupHooks/inheritCargoArtifactsHook.sh" "$T/crane/nix-support/setup-hook"
# crane's install of the target dir (the use-symlink test only).
cp "$crane/lib/setupHooks/installCargoArtifactsHook.sh" "$T/crane-install/nix-support/setup-hook"
{
    echo "export SHELL=/bin/bash"
    echo "initialPath=/usr"
    cat "$stdenv_src/setup-late2024/setup.sh"
} >"$T/setup"

# The inherited artifacts, as a store holds them.
deps=$T/store/deps/target/release
mkdir -p "$deps/deps" "$deps/.fingerprint/dep-1"
echo rlib >"$deps/deps/libdep-1.rlib"
echo fingerprint >"$deps/.fingerprint/dep-1/lib-dep"
echo dep-info >"$deps/nixapp.d"
: >"$deps/.cargo-lock"
: >"$deps/.cargo-build-lock"
# The same, as crane's use-zstd mode installs it.
mkdir -p "$T/store/zstd"
tar -C "$T/store/deps/target" -cf - . | zstd -q -o "$T/store/zstd/target.tar.zst"
# A use-zstd child of it: its own files, and .prev naming its parent's
# archive, as crane's incremental use-zstd install makes them.
mkdir -p "$T/zstd2/target/release" "$T/store/zstd2"
echo child >"$T/zstd2/target/release/child.d"
tar -C "$T/zstd2/target" -cf - . | zstd -q -o "$T/store/zstd2/target.tar.zst"
ln -s ../zstd/target.tar.zst "$T/store/zstd2/target.tar.zst.prev"
# Two links into the store that point at each other (a loop).
ln -s loop-b "$T/store/loop-a"
ln -s loop-a "$T/store/loop-b"
chmod -R a-w "$T/store"
# The store directory takes new outputs, as Nix's (1775) does.
chmod u+w "$T/store"

# One derivation: every phase records LD_PRELOAD; no sources.
build() { # name, then VAR=value... for the derivation
    local name=$1
    shift
    mkdir -p "$T/$name"
    (
        cd "$T/$name"
        export out=$T/$name/out dev=$T/$name/dev outputs="out dev" NIX_STORE=$T/store NIX_BUILD_CORES=1 TMPDIR=$T/$name \
            NIX_BUILD_TOP=$T/$name NIX_LOG_FD=
        export cargoArtifacts=$T/store/deps nativeBuildInputs="$T/cowlink $T/cowlink-fixup $T/crane"
        # LD_PRELOAD as each phase's own commands see it: in the body of
        # the phases the test defines, in a hook for setup.sh's own
        # (patch's pre-hook, fixup's post-hook).
        rec() { echo "echo \"$1 \${LD_PRELOAD-}\" >>$T/$name/phases; echo \"\${COWLINK_OUTPUTS-}\" >$T/$name/outputs"; }
        prePatch=$(rec patch) postFixup=$(rec fixup)
        export prePatch postFixup
        for p in unpack configure build check install; do
            export "${p}Phase=runHook pre${p^}; $(rec "$p"); runHook post${p^}"
        done
        # shellcheck disable=SC2163 # the arguments are VAR=value words
        export doCheck=1 "$@"
        # As Nix runs default-builder.sh: bash -e.
        [ -z "${ATTRS_SH-}" ] || { unset outputs; printf '%s\n' "$ATTRS_SH" >.attrs.sh; }
        if [ -z "${INTERACTIVE-}" ]; then
            bash -e ${HOOK_TRACE:+-x} -c "[ ! -f .attrs.sh ] || source .attrs.sh; source $T/setup && ${RUN:-genericBuild}"
        else # as in nix develop: an interactive shell, one command per line
            printf '%s\n' "source $T/setup" "${RUN:-genericBuild}" "$INTERACTIVE" | bash --norc --noprofile -i
        fi
    ) >"$T/$name.log" 2>&1
}
links() { find "$1" -type l | wc -l; }
not() { ! "$@"; }

must() { "$@" || { echo "FAIL hook: $2: genericBuild failed:"; cat "$T/$2.log"; exit 1; }; }
must build linked cowlinkInherit=1 CARGO_TARGET_DIR=target/foo
t=$T/linked/target/foo/release
check "cowlinkInherit: every file is a link, nested CARGO_TARGET_DIR" \
    test "$(links "$t")" = 3 -a -L "$t/.fingerprint/dep-1/lib-dep" -a -L "$t/nixapp.d"
check "cowlinkInherit: no .cargo*lock" test ! -e "$t/.cargo-lock" -a ! -e "$t/.cargo-build-lock"
check "cowlinkInherit: through cowlink inherit, the count in the log" \
    grep -q "cowlink: inherited 3 files by link (.*) from $T/store/deps/target into target/foo" "$T/linked.log"
check "the log says cowlink is active" grep -q '^cowlink: active from configure to install' "$T/linked.log"
check "COWLINK_OUTPUTS names \$out and \$dev" grep -qx "$T/linked/out:$T/linked/dev" "$T/linked/outputs"
check "no warning when both flags are set" not grep -q 'cowlink: WARNING' "$T/linked.log"

# cargo's lock files, made again by the build, are gone before the install:
# the empty ones where cargo puts them (the new layout's unit directories,
# build/<package>/<16 hex digits>), nothing else: not a held lock, not an
# empty .lock a build script left at the root of its OUT_DIR (the old
# layout's build/<package>-<hash>/out).
u=0123456789abcdef
locks='r=target/release; mkdir -p $r/build/p/'$u' $r/build/p/fedcba9876543210 $r/x/y $r/build/p-'$u'/out
    : >$r/.cargo-lock; : >$r/build/p/'$u'/.lock; echo held >$r/build/p/fedcba9876543210/.lock; : >$r/x/y/.lock
    : >$r/build/p/'$u'/.lockx; : >$r/build/p-'$u'/out/.lock'
must build locks cowlinkInherit=1 postBuild="$locks"
r=$T/locks/target/release
check "cowlinkInherit: cargo's empty locks gone before the install" \
    test ! -e "$r/.cargo-lock" -a ! -e "$r/build/p/$u/.lock" -a -f "$r/build/p/fedcba9876543210/.lock" -a -f "$r/x/y/.lock" -a -f "$r/build/p/$u/.lockx"
check "... but not an empty .lock at the root of a build script's OUT_DIR" test -f "$r/build/p-$u/out/.lock"
must build locksoff enableCowlink=1 postBuild="$locks"
check "... and only with cowlinkInherit" test -e "$T/locksoff/target/release/build/p/$u/.lock"

# The silent no-ops speak.
must build noflags
check "the hook without the flags warns" grep -q 'cowlink: WARNING: .*neither enableCowlink nor cowlinkInherit' "$T/noflags.log"
must build shell IN_NIX_SHELL=impure
check "... but not in a dev shell" not grep -q 'cowlink: WARNING' "$T/shell.log"
must build enableonly enableCowlink=1
check "enableCowlink without cowlinkInherit warns" grep -q 'cowlink: WARNING: enableCowlink without cowlinkInherit' "$T/enableonly.log"
must build zstd cowlinkInherit=1 cargoArtifacts="$T/store/zstd"
check "a use-zstd parent warns" grep -q 'cowlink: WARNING: .*target.tar.zst (installCargoArtifactsMode use-zstd)' "$T/zstd.log"
check "... and crane unpacks it" test -f "$T/zstd/target/release/deps/libdep-1.rlib"
must build nocrane cowlinkInherit=1 nativeBuildInputs="$T/cowlink"
check "crane's inheritCargoArtifacts missing: a loud warning" \
    grep -q "cowlink: WARNING: crane's inheritCargoArtifacts is not defined" "$T/nocrane.log"

must build copied cowlinkInherit=1 doNotLinkInheritedArtifacts=1
check "doNotLinkInheritedArtifacts: crane's deep copy, no link" \
    test "$(links "$T/copied/target")" = 0 -a -f "$T/copied/target/release/deps/libdep-1.rlib"
check "doNotLinkInheritedArtifacts: crane's message" grep -q 'will deep copy artifacts' "$T/copied.log"

mkdir -p "$T/blocked"
echo "a file where the target dir goes" >"$T/blocked/target"
check "a failing cowlink inherit fails the build" not build blocked cowlinkInherit=1
check "... with its message" grep -q 'cowlink inherit: target: a file is in the way' "$T/blocked.log"

# The link checks lib.enable asks of the hook in place of nixpkgs' walks
# (cowlinkCheckLinks, cowlinkRelativeLinks): a dangling link into the store
# fails the build, a link to the store's files passes, an absolute link
# into $out becomes relative.
links_in_out() { # name, what postInstall lays in $out
    local name=$1 what=$2
    # TMPDIR apart from $out, as /build is from the store in a sandbox.
    mkdir -p "$T/tmp-$name"
    build "$name" TMPDIR="$T/tmp-$name" cowlinkInherit=1 cowlinkCheckLinks=1 cowlinkRelativeLinks=1 \
        postInstall="mkdir -p \$out/l && $what"
}
must links_in_out goodlinks 'ln -s $NIX_STORE/deps/target/release/nixapp.d $out/l/good && echo x >$out/f && ln -s $out/f $out/l/own'
check "link checks: links to existing store files pass" grep -q 'Running phase: fixupPhase' "$T/goodlinks.log"
check "link checks: an absolute link into \$out is made relative" test "$(readlink "$T/goodlinks/out/l/own")" = ../f
check "link checks: a dangling link into the store fails the build" \
    not links_in_out badlink 'ln -s $NIX_STORE/deps/gone $out/l/bad'
check "... saying which" grep -q "l/bad -> $T/store/deps/gone" "$T/badlink.log"
check "link checks: a link into TMPDIR fails the build" not links_in_out tmplink 'ln -s $TMPDIR/x $out/l/tmp'

# cowlinkElfChecks against nixpkgs' own patchelf and audit-tmpdir hooks
# (a package of both, as stdenv sources them): the same output ELF files,
# built with cowlink's pass and with nixpkgs' walks, end the same way.
mkdir -p "$T/fixup/nix-support"
cat "$stdenv_src/setup-hooks/patchelf-setup-hook.sh" "$stdenv_src/setup-hooks/audit-tmpdir.sh" \
    >"$T/fixup/nix-support/setup-hook"
mkdir -p "$T/src"
echo 'int main(void) { return 0; }' >"$T/src/main.c"
echo 'int foo(void) { return 1; }' >"$T/src/foo.c"
# elf_out NAME WHAT [VAR=value...]: $out gets a shrinkable RPATH (a dir with
# none of its libraries), a kept one (its library's dir), an object file
# and a static program; WHAT adds to it.
elf_out() {
    local name=$1 what=$2
    shift 2
    mkdir -p "$T/tmp-$name"
    build "$name" TMPDIR="$T/tmp-$name" nativeBuildInputs="$T/fixup $T/cowlink $T/cowlink-fixup $T/crane" "$@" postInstall="
        mkdir -p \$out/bin \$out/lib \$out/none
        cc -shared -fPIC -o \$out/lib/libfoo.so $T/src/foo.c
        cc -o \$out/bin/shrinks $T/src/main.c -Wl,-rpath,\$out/none
        cc -o \$out/bin/keeps $T/src/main.c -Wl,--no-as-needed -L\$out/lib -lfoo -Wl,-rpath,\$out/lib
        cc -c -o \$out/lib/main.o $T/src/main.c
        cc -static -o \$out/bin/static $T/src/main.c 2>/dev/null || true
        $what"
}
rpath() { readelf -d -W "$1" | sed -n 's/.*(RUNPATH).*\[\(.*\)\]/\1/p; s/.*(RPATH).*\[\(.*\)\]/\1/p'; }
# The stand-in's linker (pkgs.nix's linker-wrappers) against nixpkgs' rule
# (bintools-wrapper/ld-wrapper.sh): which -rpath it adds, case by case.
S=$T/ldstore
mkdir -p "$S/a/lib" "$S/b/lib" "$S/c/lib" "$T/ldout/lib" "$S/d/lib"
for f in a/lib/libfoo.so b/lib/libbar.so c/lib/libfoo.so d/lib/libfoo.a; do : >"$S/$f"; done
: >"$T/ldout/lib/libfoo.so"
# A "real ld" that prints the directories it was given with -rpath.
printf '#!/bin/sh\nprev=; for a; do [ "$prev" = -rpath ] && printf "%%s " "$a"; prev=$a; done; echo\n' >"$T/echo-ld"
chmod +x "$T/echo-ld"
ldrule() { # WANT ARGS...: the -rpath directories the model adds
    local want=$1 got
    shift
    got=$(NIX_STORE=$S COWLINK_TEST_REAL_LD=$T/echo-ld "$here/ld-wrapper-model.sh" "$@" | tr -s ' ' | sed 's/ $//')
    [ "$got" = "$want" ] || { echo "  ld model: $* -> '$got', want '$want'"; return 1; }
}
check "ld model: -L store dir holding lib<l>.so for -l<l>: -rpath" ldrule "$S/a/lib" -L "$S/a/lib" -lfoo
check "ld model: -Ldir and '-l name' forms; every dir holding it, in order" \
    ldrule "$S/a/lib $S/c/lib" "-L$S/a/lib" -L "$S/c/lib" -l foo
check "ld model: a dir outside the store: none" ldrule "" -L "$T/ldout/lib" -lfoo
check "ld model: a store .so named on the command line: its dir" ldrule "$S/b/lib" "$S/b/lib/libbar.so"
check "ld model: no wanted library in the dir: none" ldrule "" -L "$S/b/lib" -lfoo
check "ld model: a static archive only: none" ldrule "" -L "$S/d/lib" -lfoo
check "ld model: the argument of -dynamic-linker: none" ldrule "" -dynamic-linker "$S/b/lib/libbar.so"
check "ld model: a dir made absolute without following links" ldrule "$S/a/lib" -L "$S/a/lib/../lib" -lfoo
check "ld model: NIX_DONT_SET_RPATH=1: none" env NIX_DONT_SET_RPATH=1 bash -c "$(declare -f ldrule); S=$S T=$T here=$here ldrule '' -L $S/a/lib -lfoo"
# Through the compiler driver as the stand-in calls it (-B: gcc's collect2
# runs the wrapper as its ld): a real link gets the RUNPATH.
mkdir -p "$T/ldbin"
sed "s#@ld@#$(command -v ld)#" "$here/ld-wrapper-model.sh" >"$T/ldbin/ld"
chmod +x "$T/ldbin/ld"
cc -shared -fPIC -o "$S/a/lib/libfoo.so" "$T/src/foo.c"
NIX_STORE=$S cc -B"$T/ldbin" -o "$T/ldlinked" "$T/src/main.c" -Wl,--no-as-needed -L"$S/a/lib" -lfoo
check "ld model through cc -B: the program's RUNPATH is the store dir" test "$(rpath "$T/ldlinked")" = "$S/a/lib"

must elf_out elfcow : cowlinkElfChecks=1
must elf_out elfnix :
check "ELF checks: an RPATH with no needed library shrinks, as nixpkgs'" \
    test -z "$(rpath "$T/elfcow/out/bin/shrinks")" -a -z "$(rpath "$T/elfnix/out/bin/shrinks")"
check "ELF checks: ... and one with it stays" \
    test "$(rpath "$T/elfcow/out/bin/keeps")" = "$T/elfcow/out/lib" -a "$(rpath "$T/elfnix/out/bin/keeps")" = "$T/elfnix/out/lib"
check "ELF checks: cowlink's pass ran, not nixpkgs' walks" \
    grep -q 'in .*/elfcow/out (cowlink: the 2 with one)' "$T/elfcow.log"
check "... which nixpkgs' log shows without it" grep -q '^shrinking RPATHs of ELF executables and libraries in .*/elfnix/out$' "$T/elfnix.log"
must elf_out elfoff : cowlinkElfChecks=1 dontPatchELF=1
check "ELF checks: dontPatchELF set by the derivation stays off" test "$(rpath "$T/elfoff/out/bin/shrinks")" = "$T/elfoff/out/none"
tmp_rpath='mkdir $TMPDIR/lib && cp $out/lib/libfoo.so $TMPDIR/lib/ &&
    cc -o $out/bin/tmp '"$T"'/src/main.c -Wl,--no-as-needed -L$TMPDIR/lib -lfoo -Wl,-rpath,$TMPDIR/lib'
check "ELF checks: an RPATH into TMPDIR fails the build" not elf_out elftmpcow "$tmp_rpath" cowlinkElfChecks=1
check "... with its message" grep -q "RPATH of binary .*/elftmpcow/out/bin/tmp contains a forbidden reference to $T/tmp-elftmpcow/" "$T/elftmpcow.log"
check "... as nixpkgs' audit-tmpdir fails it" not elf_out elftmpnix "$tmp_rpath"
check "... with the same message" grep -q "RPATH of binary .*/elftmpnix/out/bin/tmp contains a forbidden reference to $T/tmp-elftmpnix/" "$T/elftmpnix.log"
wrapped='printf "#!/bin/sh\\nexec $TMPDIR/x\\n" >$out/bin/w && touch $out/bin/.w-wrapped'
check "ELF checks: a wrapper script naming TMPDIR fails the build" not elf_out elfwrapcow "$wrapped" cowlinkElfChecks=1
check "... with its message" grep -q "wrapper script .*/elfwrapcow/out/bin/w contains a forbidden reference" "$T/elfwrapcow.log"
check "... as nixpkgs' audit-tmpdir fails it" not elf_out elfwrapnix "$wrapped"
# Many ELF files (a deps target/ has hundreds): readelf's answer is larger
# than one environment string may be (128 KiB), and must stay out of the
# environment of the programs the pass runs.
many='for i in $(seq 150); do cp $out/bin/keeps $out/bin/k$i; done'
elf_out elfmany "$many" cowlinkElfChecks=1 || true
check "ELF checks: 150 files, readelf's answer larger than an environment string: cowlink's pass, not the fallback" \
    grep -q 'in .*/elfmany/out (cowlink: the 152 with one)' "$T/elfmany.log"

# lib.enable's deps: the fixup hook alone, which names no library.
elf_out elfonly : nativeBuildInputs="$T/fixup $T/cowlink-fixup $T/crane" cowlinkElfChecks=1 cargoArtifacts=
check "the fixup hook alone (the deps): cowlink's ELF pass, no warning, the library never on" \
    test -z "$(grep 'cowlink: WARNING' "$T/elfonly.log")" -a -z "$(grep -v '^[a-z]* $' "$T/elfonly/phases")" -a \
    -n "$(grep 'in .*/elfonly/out (cowlink: the 2 with one)' "$T/elfonly.log")"
check "... and it names neither the library nor the command" \
    not grep -q "$T/cowlink/" "$T/cowlink-fixup/nix-support/setup-hook"

lib=$T/cowlink/lib/cowlink/\$PLATFORM/libcowlink.so

# Structured attributes (nixpkgs' __structuredAttrs, or
# config.structuredAttrsByDefault): `outputs` is an associative array, and
# the library must leave every output alone, $man included.  Outputs are
# entries of the store directory itself, as Nix makes them (the library
# knows a missing output by its directory and name).
sa=$T/store/sa
build structured cowlinkInherit=1 ATTRS_SH="declare -A outputs=([out]=$sa-out [man]=$sa-man)" \
    postInstall='mkdir -p $out $man/share/man/man1 && echo page >$man/share/man/man1/nixapp.1' || true
check "structured attributes: COWLINK_OUTPUTS names every output" grep -qx "$sa-out:$sa-man\|$sa-man:$sa-out" "$T/structured/outputs"
check "... and the install phase writes \$man" test -f "$sa-man/share/man/man1/nixapp.1"

# A phase list of the derivation's own, without cowlink's phases, and
# phases run by hand (nix develop): the library is on wherever cargo runs
# after the inheritance, and off in fixup.
build ownphases cowlinkInherit=1 phases="unpackPhase patchPhase buildPhase installPhase fixupPhase" || true
check "own phases: every file linked and the library on in build and install" \
    test "$(links "$T/ownphases/target")" = 3 -a -n "$(grep -x "build $lib" "$T/ownphases/phases")" -a \
    -n "$(grep -x "install $lib" "$T/ownphases/phases")"
check "... and off in fixup" grep -qx "fixup " "$T/ownphases/phases"
build byhand cowlinkInherit=1 RUN="runPhase unpackPhase; runPhase patchPhase; runPhase buildPhase" || true
check "runPhase by hand: the library on in build" grep -qx "build $lib" "$T/byhand/phases"
check "the standard phases: one 'active' line" test "$(grep -c '^cowlink: active' "$T/linked.log")" = 1
# nix develop: a build stopped half-way (Ctrl-C) leaves the shell without
# the library at its next prompt.
build stopped cowlinkInherit=1 INTERACTIVE='echo "shell ${LD_PRELOAD-}" >>phases' \
    buildPhase='runHook preBuild; echo "build $LD_PRELOAD" >>phases; kill -INT $$' || true
check "nix develop: a build stopped by Ctrl-C leaves no LD_PRELOAD in the shell" \
    test -n "$(grep -x "build $lib" "$T/stopped/phases")" -a -n "$(grep -x "shell " "$T/stopped/phases")"
# Preloads of the user's stay, even when cowlink was already first.
cc -shared -o "$T/other.so" -x c /dev/null
build otherpreload cowlinkInherit=1 LD_PRELOAD="$lib $T/other.so" || true
check "the library off in fixup: the other preloads stay" grep -qx "fixup $T/other.so" "$T/otherpreload/phases"
# Cross: qemu-user passes its environment on to the emulated program.
build qemu cowlinkInherit=1 QEMU_UNSET_ENV=FOO postBuild='echo "build $QEMU_UNSET_ENV" >>qemu' \
    postFixup='echo "fixup $QEMU_UNSET_ENV" >>qemu' || true
check "cross: QEMU_UNSET_ENV keeps LD_PRELOAD from emulated processes, the user's entries kept" \
    test "$(cat "$T/qemu/qemu")" = "build LD_PRELOAD,FOO"$'\n'"fixup FOO"

# ... and for real: an aarch64 program run by qemu-user in the check phase,
# as crane runs a cross build's tests, says nothing on stderr (its loader
# would say it cannot preload the x86_64 library).
aarch64-linux-gnu-gcc -o "$T/a64" "$T/src/main.c"
a64sys=$(dirname "$(dirname "$(aarch64-linux-gnu-gcc -print-file-name=libc.so.6)")")
build emulated cowlinkInherit=1 \
    checkPhase="runHook preCheck; echo \"check \$LD_PRELOAD\" >>$T/emulated/phases; qemu-aarch64 -L $a64sys $T/a64 2>$T/emulated/stderr; runHook postCheck" || true
check "cross: an emulated test binary's stderr is empty (no 'cannot be preloaded')" \
    test -f "$T/emulated/stderr" -a ! -s "$T/emulated/stderr"
check "... where the library is in LD_PRELOAD" grep -qx "check $lib" "$T/emulated/phases"

# ... and an i686 program run natively on x86_64 (a 32-bit test binary),
# by the check phase and by a child that drops the environment (env -i:
# the library passes the hook's entry on): its loader gets the empty
# library of its platform and says nothing; a 64-bit grandchild after env
# -i still has the library.
gcc -m32 -o "$T/i686" "$T/src/main.c"
cat >"$T/native32.sh" <<EOF
echo "check \$LD_PRELOAD" >>$T/native32/phases
$T/i686 2>$T/native32/stderr
env -i $T/i686 2>>$T/native32/stderr
env -i sh -c 'echo "child \$LD_PRELOAD"' >>$T/native32/phases
EOF
build native32 cowlinkInherit=1 checkPhase="runHook preCheck; source $T/native32.sh; runHook postCheck" || true
check "i686 on x86_64: a 32-bit test binary's stderr is empty (no 'wrong ELF class')" \
    test -f "$T/native32/stderr" -a ! -s "$T/native32/stderr"
check "... where the library is in LD_PRELOAD, and a child after env -i has it" \
    test -n "$(grep -x "check $lib" "$T/native32/phases")" -a -n "$(grep -x "child $lib" "$T/native32/phases")"

# crane's use-zstd chain (.prev): crane's function calls itself by name for
# each level; one warning, and both levels unpacked.
build zstdchain cowlinkInherit=1 cargoArtifacts="$T/store/zstd2" || true
check "a use-zstd chain: one warning, not one per level" test "$(grep -c 'cowlink: WARNING' "$T/zstdchain.log")" = 1
check "... and crane unpacks both levels" test -f "$T/zstdchain/target/release/child.d" -a -f "$T/zstdchain/target/release/deps/libdep-1.rlib"

# cowlinkCheckLinks against nixpkgs' no-broken-symlinks (its hook in a
# package, as stdenv sources it): the same verdict on each kind of link.
mkdir -p "$T/nixlinks/nix-support"
cp "$stdenv_src/setup-hooks/no-broken-symlinks.sh" "$T/nixlinks/nix-support/setup-hook"
verdict() { # SIDE NAME WHAT: pass or fail
    local side=$1 name=$2 what=$3 set=(cowlinkCheckLinks=1 dontCheckForBrokenSymlinks=1)
    [ "$side" = cow ] || set=(nativeBuildInputs="$T/nixlinks $T/cowlink $T/cowlink-fixup $T/crane")
    mkdir -p "$T/tmp-$side$name"
    if build "$side$name" TMPDIR="$T/tmp-$side$name" cowlinkInherit=1 "${set[@]}" \
        postInstall="mkdir -p \$out/l && $what"; then echo pass; else echo fail; fi
}
for c in 'reltmp|fail|echo x >$TMPDIR/f && ln -sr $TMPDIR/f $out/l/tmp' \
    'relout|pass|ln -s ../../nowhere/x $out/l/x' \
    'loop|fail|ln -s $NIX_STORE/loop-a $out/l/loop' \
    'gone|fail|ln -s ../../../store/deps/gone $out/l/gone' \
    'good|pass|ln -s ../../../store/deps/target $out/l/good'; do
    IFS='|' read -r name want what <<<"$c"
    nix=$(verdict nix "$name" "$what") cow=$(verdict cow "$name" "$what")
    check "link checks: $name: cowlink's pass says $cow, nixpkgs' no-broken-symlinks $nix (want $want)" \
        test "$cow" = "$want" -a "$nix" = "$want"
done
check "link checks: a loop fails with one cowlink: line saying why" \
    grep -q '^cowlink: 1 broken symlinks in .*(dangling, reflexive, looping' "$T/cowloop.log"

# llvm-readelf (pkgsLLVM, LLVM cross targets) stops at the first input it
# cannot read: cowlink's pass must notice and fall back to nixpkgs' hooks,
# which fail an RPATH into TMPDIR.  (Debian's llvm, installed above.)
check "llvm-readelf is on PATH" sh -c "command -v llvm-readelf >/dev/null"
if command -v llvm-readelf >/dev/null; then
    bad='printf "\177ELF not really" >$out/bin/0-not-elf && '
    check "ELF checks with llvm-readelf: an RPATH into TMPDIR fails the build" \
        not elf_out elfllvm "$bad$tmp_rpath" cowlinkElfChecks=1 READELF=llvm-readelf
    check "... through nixpkgs' hooks, saying why" \
        grep -q "cowlink: llvm-readelf failed or left files unread: nixpkgs' patchelf and audit-tmpdir hooks" "$T/elfllvm.log"
    check "ELF checks with llvm-readelf: a clean output passes, by cowlink's pass" \
        elf_out elfllvmok : cowlinkElfChecks=1 READELF=llvm-readelf
    check "... which read every file" grep -q 'in .*/elfllvmok/out (cowlink: the 2 with one)' "$T/elfllvmok.log"
fi

# crane's use-symlink install, as `cowlink dedup` does it while the hook is
# on: the build leaves files equal to the parent's (a copy cowlink made at
# a write that changed nothing), one that differs, a new one; the
# installed target must be what crane's own function makes of the same
# tree (a copy of it, kept before the install: run here, without cowlink).
# (A write by the phase's own shell is not covered: the build shell has no
# LD_PRELOAD of its own, so the changed file is written by a child.)
tree='find "$1" -printf "%P %y %l\n" | sort'
dedup_build='r=target/release; cp --remove-destination "$cargoArtifacts/target/release/nixapp.d" $r/nixapp.d
    cp --remove-destination "$cargoArtifacts/target/release/deps/libdep-1.rlib" $r/deps/libdep-1.rlib
    sh -c "echo changed >$r/.fingerprint/dep-1/lib-dep"; echo new >$r/deps/libnew.rlib; cp -a target $TMPDIR/before'
must build dedup cowlinkInherit=1 doInstallCargoArtifacts=1 installCargoArtifactsMode=use-symlink \
    nativeBuildInputs="$T/cowlink $T/cowlink-fixup $T/crane $T/crane-install" postBuild="$dedup_build"
mkdir -p "$T/dedup-crane"
bash -c "source '$crane/lib/setupHooks/installCargoArtifactsHook.sh'
    dedupAndInstallCargoArtifactsDir '$T/dedup-crane' '$T/dedup/before' '$T/store/deps/target'" >/dev/null
check "use-symlink install: cowlink dedup ran, in one process" \
    grep -q "^cowlink: symlinking duplicates in target to $T/store/deps/target (cowlink dedup" "$T/dedup.log"
check "... equal files linked (as crane's text), others kept" \
    test "$(readlink "$T/dedup/out/target/release/nixapp.d")" = "$T/store/deps/target/release/nixapp.d" \
    -a -f "$T/dedup/out/target/release/deps/libnew.rlib" -a ! -L "$T/dedup/out/target/release/.fingerprint/dep-1/lib-dep"
check "... the installed target is crane's own function's" \
    test "$(bash -c "$tree" _ "$T/dedup/out/target")" = "$(bash -c "$tree" _ "$T/dedup-crane/before")"
check "... and crane's per-file loop did not run" not grep -q "^symlinking duplicates in" "$T/dedup.log"

for p in configure build check install; do
    check "LD_PRELOAD has the library in $p" grep -qx "$p $lib" "$T/linked/phases"
done
for p in unpack patch fixup; do
    check "LD_PRELOAD is unset in $p" grep -qx "$p " "$T/linked/phases"
done
echo "hook: $passed passed, $failed failed"
[ "$failed" = 0 ] || { cat "$T/linked.log"; exit 1; }
