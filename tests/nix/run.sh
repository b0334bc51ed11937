#!/usr/bin/env bash
# cowlink on a real Nix store (Debian's nix-bin), with builders running as
# unprivileged nixbld users, as in real Nix:
#   A    builds a small cargo project (libz-sys, whose build script watches
#        LIBZ_SYS_STATIC) and installs its target/ as its output
#   B    inherits A's target/ by symlinks as crane does, with LIBZ_SYS_STATIC
#        changed: fails without the flag (rustc's error), builds with
#        enableCowlink, and with cowlinkInherit (cowlink inherit)
#   C    inherits B's output, deduplicated against A (files identical to
#        A's are links), with PKG_CONFIG_PATH changed: builds
# Then `nix-store --verify --check-contents`; then B and C again with
# builders as root (a writable store) and the store verified again.
#   usage: run.sh [BUILD]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
BUILD=$(cd "${1:-build}" && pwd)
skip() { echo "SKIP nix: $*"; exit 0; }

[ "$(id -u)" = 0 ] || skip "needs root (installs nix-bin, creates nixbld users)"
command -v apt-get >/dev/null || command -v nix-build >/dev/null || skip "no nix-build and no apt-get"
bash "$here/../setup.sh" nix-bin cargo rustc rsync pkg-config zlib1g-dev librust-libz-sys-dev
getent group nixbld >/dev/null || groupadd --system nixbld
for i in 1 2 3 4; do
    id "nixbld$i" >/dev/null 2>&1 ||
        useradd --system --gid nixbld --groups nixbld --home-dir /var/empty --no-create-home \
            --shell /usr/sbin/nologin "nixbld$i"
done

T=$(mktemp -d /tmp/cowlink-nix-XXXXXX)
trap 'rm -rf "$T"' EXIT
passed=0 failed=0
pass() { passed=$((passed + 1)); echo "PASS $*"; }
fail() { failed=$((failed + 1)); echo "FAIL $*"; }

# The inputs, as files next to the expressions: the project with its crates
# vendored, the library, the command and the users' setup hook.
cp -r "$here/project" "$T/project"
awk -F'"' '/^name = /{n=$2} /^version = /{v=$2} /^source = "registry/{print n "-" v}' \
    "$T/project/Cargo.lock" | while read -r crate; do
    mkdir -p "$T/project/vendor"
    cp -r "/usr/share/cargo/registry/$crate" "$T/project/vendor/"
done
cp "$BUILD/libcowlink.so" "$BUILD/cowlink" "$here/../../examples/nix/cowlink-hook.sh" \
    "$here/builder.sh" "$T/"
cp "$here/cowlink.nix" "$here/test.nix" "$T/"

nix_opts=(--option substituters '' --option sandbox false)
build() { # attr users-group round -> prints the output path; log in $T/attr.log
    nix-build "$T/test.nix" -A "$1" --argstr round "$3" --no-out-link \
        "${nix_opts[@]}" --option build-users-group "$2" >"$T/$1.$3.out" 2>"$T/$1.$3.log"
}
nix_log() { cat "$T/$1.$2.log"; }

round() { # users-group round
    local group=$1 r=$2 who=${1:-root}
    if build B-without "$group" "$r"; then
        fail "B without the flag ($who): built, so the test does not bite"
    elif nix_log B-without "$r" | grep -q 'is not writeable -- check its permissions'; then
        pass "B without the flag fails with rustc's error ($who)"
    else
        fail "B without the flag ($who) failed otherwise: $(nix_log B-without "$r" | tail -3)"
    fi
    local a
    build A "$group" "$r" || fail "A ($who): $(nix_log A "$r" | tail -5)"
    for a in B-enable B-inherit C; do
        if build "$a" "$group" "$r" && grep -qx 'zlib [0-9.]*' "$(cat "$T/$a.$r.out")/app.out"; then
            pass "$a builds and runs ($who): $(cat "$(cat "$T/$a.$r.out")/app.out")"
        else
            fail "$a ($who): $(nix_log "$a" "$r" | tail -5)"
        fi
    done
    local out user links
    out=$(cat "$T/B-enable.$r.out")
    user=$(cat "$out/builder-user")
    case $user in
    "${group:-root}"*) pass "the builders ran as $user" ;;
    *) fail "the builders ran as $user, not ${group:-root}" ;;
    esac
    links=$(find "$out/target" -type l -lname "$(cat "$T/A.$r.out" 2>/dev/null || echo /nix/store)/*" | wc -l)
    if [ "$links" -gt 0 ]; then pass "B's output (C's parent) has $links links to A's"; else fail "B's output has no links to A"; fi
    if grep -q 'cowlink: linking' "$T/B-inherit.$r.log"; then
        pass "B with cowlinkInherit inherited through cowlink inherit ($who)"
    else
        fail "B with cowlinkInherit did not use cowlink inherit ($who)"
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
echo 'derivation { name = "probe"; system = builtins.currentSystem; builder = "/bin/sh";
  args = [ "-c" "echo ok > $out" ]; }' >"$T/probe.nix"
nix-build "$T/probe.nix" --no-out-link "${nix_opts[@]}" --option build-users-group nixbld \
    >/dev/null 2>"$T/probe.log" || skip "nix-build cannot build a trivial derivation here: $(tail -1 "$T/probe.log")"

t0=$(date +%s)
round nixbld "$t0-nixbld"
verify "builders as nixbld"
round "" "$t0-root"
verify "builders as root, store writable"
echo "nix: $passed passed, $failed failed ($(($(date +%s) - t0)) s)"
[ "$failed" = 0 ]
