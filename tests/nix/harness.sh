# What tests/nix/run.sh and tests/bench/scale/run.sh share (sourced): the
# packages, Nix's build users, a clean copy of the checkout, and the options
# every build runs with.

# nix_setup LOCKFILE OWNDIR: Debian's Nix, the tools the stand-in stdenv
# links to, the C libraries the crates' build scripts find with pkg-config,
# and the crates LOCKFILE pins (tests/setup.sh --lock); the nixbld group
# and its four builders.
nix_setup() {
    bash "$(dirname "${BASH_SOURCE[0]}")/../setup.sh" nix-bin cargo rustc rust-clippy rsync zstd jq \
        pkg-config python3-toml patchelf git zlib1g-dev libbz2-dev --lock "$1" "$2"
    getent group nixbld >/dev/null || groupadd --system nixbld
    # NixOS's uids (30000 + i) where free: Nix kills every process of a
    # build uid before and after a build, so a Nix in a chroot on the same
    # kernel (make fresh) whose builders had the host's uids would kill the
    # host's.
    local i uid
    for i in 1 2 3 4; do
        id "nixbld$i" >/dev/null 2>&1 && continue
        uid=()
        getent passwd $((30000 + i)) >/dev/null || uid=(--uid $((30000 + i)))
        useradd --system "${uid[@]}" --gid nixbld --groups nixbld --home-dir /var/empty \
            --no-create-home --shell /usr/sbin/nologin "nixbld$i"
    done
}

# checkout_copy REPO DEST: cowlink as a developer's checkout holds it, what
# git tracks (or everything but build output): what `?dir=examples/nix`
# gives a flake.
checkout_copy() {
    mkdir -p "$2"
    if git -C "$1" rev-parse --git-dir >/dev/null 2>&1; then
        git -C "$1" ls-files -z --cached --others --exclude-standard |
            tar -C "$1" --null -T - -cf - | tar -C "$2" -xf -
    else
        tar -C "$1" --exclude=./build --exclude='./build-*' -cf - . | tar -C "$2" -xf -
    fi
}

# Every build in Nix's sandbox, as every Linux Nix install does by default.
# The stand-in's host tools are links to Debian's programs, so the sandbox
# shows Debian's /usr (with /bin, /lib, /lib64, which link into it),
# /etc/alternatives (where /usr/bin/cc and others point) and dpkg's
# database (host-programs.sh lists a package's programs with dpkg -L).
# A toolchain outside these (the stable one, which rust-toolchain copies)
# is added per build with another extra-sandbox-paths.
sandbox_paths="/usr /bin /lib /lib64 /etc/alternatives /var/lib/dpkg"
nix_opts=(--option substituters '' --option sandbox true --option sandbox-fallback false
    --option extra-sandbox-paths "$sandbox_paths")
