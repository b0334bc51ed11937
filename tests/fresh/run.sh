#!/usr/bin/env bash
# First contact on a fresh Debian 12, as the README tells it: debootstrap a
# bookworm chroot from the archive this machine's apt uses, mount proc, sys,
# dev and a tmpfs /tmp, install only the prerequisites the README names,
# clone this repository's committed HEAD with a read-only copy of ../shared
# beside it (as CI lays it), and run, timing each:
#   readme  the README's two commands as written, in the README's order
#   ci      `bash .ci/run` alone first (CI=true, no standard input, as CI
#           runs on a new machine), then the README's first command
# Not part of make check: each order takes up to an hour.
#   usage: run.sh [readme|ci]...   (as root; make fresh runs both)
#   FRESH_DIR   the chroot (default /var/tmp/cowlink-fresh; made anew each run)
#   FRESH_KEEP  1: keep the chroot afterwards (its mounts are always undone)
#   FRESH_REVERSE  1: the same as `run.sh ci`
# Logs: FRESH_DIR.logs/ORDER/; the .debs are cached in /var/tmp/cowlink-fresh-cache.
set -euo pipefail
# All in a function: bash reads it whole before running it, so editing this
# file during a run (an hour) cannot change the run.
main() {
    local orders=("$@") order failed=0
    [ ${#orders[@]} -gt 0 ] || { [ "${FRESH_REVERSE:-}" = 1 ] && orders=(ci); } || orders=(readme ci)
    for order in "${orders[@]}"; do
        case $order in readme | ci) ;; *) echo "fresh: no order '$order' (readme or ci)"; exit 2 ;; esac
        ( one "$order" ) || failed=1
    done
    exit $failed
}

# one ORDER: a new chroot, the commands in that order.
one() {
    order=$1
    here=$(cd "$(dirname "$0")" && pwd)
    repo=$(git -C "$here" rev-parse --show-toplevel)
    root=${FRESH_DIR:-/var/tmp/cowlink-fresh}
    logs=$root.logs/$order
    cache=/var/tmp/cowlink-fresh-cache
    say() { echo "fresh: $*"; }

    [ "$(id -u)" = 0 ] || { say "needs root (debootstrap, chroot, mounts)"; exit 1; }
    command -v debootstrap >/dev/null || {
        say "installing debootstrap"
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -o DPkg::Lock::Timeout=600 debootstrap >/dev/null
    }
    # The archive this machine's apt is configured with (read here, never stored).
    mirror=$(apt-get indextargets --format '$(SITE) $(RELEASE)' 2>/dev/null |
        awk '$2 == "bookworm" {print $1; exit}')
    [ -n "$mirror" ] || { say "no bookworm archive in this machine's apt sources"; exit 1; }

    # The README's words: the install line and the two commands.
    section=$(sed -n '/^## The two commands/,/^## /p' "$repo/README.md")
    prereq=$(grep -m1 -E '^    apt-get ' <<<"$section" | sed 's/^ *//')
    mapfile -t commands < <(grep -E '^    make [a-z]' <<<"$section" | sed 's/^ *//; s/ *#.*//')
    [ -n "$prereq" ] && [ ${#commands[@]} = 2 ] ||
        { say "README.md's 'The two commands' has no apt-get line or not two make lines"; exit 1; }
    # CI: .ci/run alone (it must install everything), then the README's first.
    [ "$order" = ci ] && commands=("CI=true bash .ci/run" "${commands[0]}")
    head=$(git -C "$repo" rev-parse HEAD)
    [ -z "$(git -C "$repo" status --porcelain --untracked-files=no)" ] ||
        say "note: uncommitted changes are not tested, only HEAD $head"

    # Every mount under the chroot, ours and the tests', innermost first,
    # and the chroot's own bind mount last.
    undo_mounts() {
        { findmnt -rn -o TARGET | grep -E "^$root(/|\$)" || true; } | sort -r | while read -r m; do
            umount "$m" 2>/dev/null || umount -l "$m"
        done
    }
    remove_root() {
        undo_mounts
        if findmnt -rn -o TARGET | grep -q "^$root/"; then
            say "something is still mounted under $root: not removing it"; return 1
        fi
        rm -rf --one-file-system "$root"
    }
    finish() {
        undo_mounts
        [ "${FRESH_KEEP:-}" = 1 ] || remove_root
    }
    remove_root
    trap finish EXIT
    mkdir -p "$logs" "$cache"
    rm -f "$logs"/*

    t0=$(date +%s)
    say "debootstrap bookworm into $root (log: $logs/debootstrap.log)"
    debootstrap --cache-dir="$cache" bookworm "$root" "$mirror" >"$logs/debootstrap.log" 2>&1 ||
        { tail -20 "$logs/debootstrap.log"; say "debootstrap failed"; exit 1; }
    say "debootstrap: $(($(date +%s) - t0)) s"
    # The chroot's / a mount point, as a machine's root is: in_root
    # pivots into it (pivot_root needs a mount point).
    mount --bind "$root" "$root"
    mount -t proc proc "$root/proc"
    mount -t sysfs sys "$root/sys"
    mount --rbind /dev "$root/dev" && mount --make-rslave "$root/dev"
    mount -t tmpfs -o mode=1777 tmpfs "$root/tmp"
    cp /etc/resolv.conf "$root/etc/resolv.conf"
    # No service starts inside the chroot (it would outlive the run).
    printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d" && chmod 755 "$root/usr/sbin/policy-rc.d"
    git clone -q --no-checkout "$repo" "$root/root/cowlink"
    git -C "$root/root/cowlink" checkout -q -B fresh "$head"
    # ../shared beside the clone, without write bits, as CI has it.
    if [ -d "$repo/../shared" ]; then
        cp -a "$repo/../shared" "$root/root/shared"
        chmod -R a-w "$root/root/shared"
    else
        say "note: no ../shared beside $repo: the tests that read it will skip"
    fi

    # in_root CMD: a root login's environment, in the clone, in a mount
    # namespace of its own whose root is the chroot (pivot_root, the host's
    # tree detached), as a machine's root is.  A plain chroot is not enough:
    # Nix's sandbox makes / private (a directory that is no mount point
    # gives EINVAL), and Nix 2.8 unshares a mount namespace at start and
    # setns()es back to the saved one before it runs git, which resets a
    # process's root to the namespace's: under chroot, git then looked for
    # the flake's tree on the host ("cannot change to ...").
    in_root() {
        unshare --mount --propagation private sh -c 'cd "$1" && pivot_root . mnt && umount -l /mnt &&
            exec chroot / env -i HOME=/root TERM=dumb LANG=C.UTF-8 \
                PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
                bash -c "umask 022; cd /root/cowlink && $2"' in_root "$root" "$1"
    }
    results=() failed=0
    timed() { # name command
        local t rc=0 log=$logs/$(tr -c 'a-z0-9\n' - <<<"$1").log
        say "running: $2 (log: $log)"
        t=$(date +%s)
        in_root "$2" >"$log" 2>&1 </dev/null || rc=$?
        t=$(($(date +%s) - t))
        if [ $rc = 0 ]; then
            results+=("PASS $2: $((t / 60)) min $((t % 60)) s")
            say "${results[-1]}"
        else
            results+=("FAIL $2: exit $rc after $((t / 60)) min $((t % 60)) s; the end of $log:")
            say "${results[-1]}"
            results+=("$(tail -25 "$log" | sed 's/^/    /')")
            failed=1
        fi
    }
    say "a $(in_root 'cat /etc/debian_version') chroot, $(in_root 'dpkg -l | grep -c ^ii') packages," \
        "/tmp on $(in_root 'stat -f -c %T /tmp'), commit $(git -C "$repo" log --oneline -1 "$head")"
    timed prerequisites "$prereq"
    for c in "${commands[@]}"; do
        timed "$c" "$c"
    done
    echo
    say "summary, order $order (a clean clone with ../shared beside it, /tmp on tmpfs):"
    printf '%s\n' "${results[@]}"
    return $failed
}
main "$@"
