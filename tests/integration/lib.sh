# Fixtures for the integration tests: a store that is really read-only, a
# work directory owned by the user under test, and ways to run a command as
# that user with and without cowlink.  Sourced by run.sh.
#
# Modes:
#   nobody   store owned by root (files 0444, dirs 0555), commands run as
#            nobody through setpriv: the store cannot be written
#   root-ro  commands run as root, the store is a read-only bind mount
#   root-rw  commands run as root on a writable store: without cowlink the
#            store gets modified, which the tests detect

T=$(mktemp -d /tmp/cowlink-it-XXXXXX)
chmod 755 "$T"
STORE_SRC=$T/store-src # where fixtures are written (as root)
STORE=                 # what the programs see (set by enter_mode)
W=$T/work              # the build directory, owned by the user under test
LOG=$W/events.log
BIN=$T/bin             # a copy of the build that nobody can read
MODE=
mkdir -p "$STORE_SRC" "$T/store" "$BIN"
cp "$BUILD/libcowlink.so" "$BUILD/cowlink" "$BIN/"
chmod -R a+rX "$BIN"

cleanup() {
    mountpoint -q "$T/store" 2>/dev/null && umount "$T/store"
    chmod -R u+w "$T" 2>/dev/null
    rm -rf "$T"
}
trap cleanup EXIT

# Enter a mode; returns 1 (and says why) when this machine cannot run it.
enter_mode() {
    mountpoint -q "$T/store" && umount "$T/store"
    MODE=$1
    # The store as the programs see it.  Fixtures are written to $STORE_SRC,
    # the same directory unless a read-only mount sits on top of it.
    STORE=$STORE_SRC
    case $MODE in
    nobody)
        [ "$(id -u)" = 0 ] && id nobody >/dev/null 2>&1 || {
            echo "SKIP mode nobody: needs root and a nobody user"; return 1; } ;;
    root-ro)
        [ "$(id -u)" = 0 ] || { echo "SKIP mode root-ro: needs root"; return 1; }
        mount --bind "$STORE_SRC" "$T/store" && mount -o remount,bind,ro "$T/store" || {
            mountpoint -q "$T/store" && umount "$T/store"
            echo "SKIP mode root-ro: this machine cannot make a read-only bind mount"
            return 1; }
        STORE=$T/store ;;
    root-rw)
        [ "$(id -u)" = 0 ] || { echo "SKIP mode root-rw: needs root"; return 1; } ;;
    esac
    return 0
}

# Empty the store and the work dir; the case then adds its files.
fresh() {
    SUM_SKIP=
    chmod -R u+w "$STORE_SRC" "$W" 2>/dev/null
    rm -rf "${STORE_SRC:?}"/* "$W"
    mkdir -p "$W"
}

# store_file NAME CONTENT: a file in the store
store_file() { mkdir -p "$(dirname "$STORE_SRC/$1")"; printf '%s' "$2" >"$STORE_SRC/$1"; }

# link NAME [TARGET]: a symlink in the work dir to a store file
link() { mkdir -p "$(dirname "$W/$1")"; ln -sfn "$STORE/${2:-$1}" "$W/$1"; }

# Make the store look like Nix's: read-only modes, mtime 1, owned by root,
# and the store directory itself 1775 as Nix leaves it (owner writable).
seal() {
    find "$STORE_SRC" -mindepth 1 -type d -exec chmod 0555 {} + 2>/dev/null
    find "$STORE_SRC" -mindepth 1 -type f -exec chmod a-w {} + 2>/dev/null
    find "$STORE_SRC" -mindepth 1 -exec touch -h -d @1 {} + 2>/dev/null
    chmod 1775 "$STORE_SRC"
    if [ "$MODE" = nobody ]; then chown -R nobody: "$W"; fi
}

# A checksum of everything in the store: names, types, modes, sizes,
# modification and change times, link counts, owners, content, extended
# attributes, file flags and inode versions (where the file system has
# them).
# SUM_SKIP names a store entry left out (a build's own output, which the
# build may change or create), and with it the store directory's own times
# (creating the output changes them); fresh resets it.
store_sum() {
    local skip=()
    [ -z "${SUM_SKIP:-}" ] || skip=(-mindepth 1 -path "./$SUM_SKIP" -prune -o)
    (cd "$STORE_SRC" && find . "${skip[@]}" -printf '%y %m %s %T@ %C@ %n %u:%g %p %l\n' | LC_ALL=C sort &&
        find . "${skip[@]}" -type f -exec sha256sum {} + 2>/dev/null | LC_ALL=C sort
        # names deeper than PATH_MAX: from their own directory
        find . "${skip[@]}" -type f -execdir sha256sum {} + 2>/dev/null | LC_ALL=C sort
        find . "${skip[@]}" -print0 | xargs -0 getfattr -d -m - --absolute-names 2>/dev/null | LC_ALL=C sort
        find . "${skip[@]}" -print0 | xargs -0 lsattr -d -a -v 2>/dev/null | LC_ALL=C sort) | sha256sum | cut -c1-16
}

# as_user CMD: run a shell command in the work dir as the mode's user,
# without cowlink.  with_cowlink CMD: the same through the cowlink command.
as_user() {
    local env=(env -u LD_PRELOAD HOME="$W" CARGO_HOME="$W/.cargo" PATH="$UPATH")
    if [ "$MODE" = nobody ]; then
        (cd "$W" && setpriv --reuid=nobody --regid="$(id -g nobody)" --clear-groups \
            "${env[@]}" bash -c "$1")
    else
        (cd "$W" && "${env[@]}" bash -c "$1")
    fi
}
with_cowlink() { as_user "\"$BIN/cowlink\" --store \"$STORE\" --log \"$LOG\" -- bash -c $(printf %q "$1")"; }

# Programs the user runs: Debian's, so that nobody can run them too.
UPATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

# Checks used by the cases
is_private() { [ -f "$W/$1" ] && [ ! -L "$W/$1" ] && [ -w "$W/$1" ] || { echo "  $1 is not a private file"; return 1; }; }
is_link() { [ -L "$W/$1" ] || { echo "  $1 is no longer a link"; return 1; }; }
content() {
    local got
    got=$(cat "$W/$1") || return 1
    [ "$got" = "$2" ] || { echo "  $1 holds '$got', expected '$2'"; return 1; }
}
event() { # event KIND NAME: the log has that event for that path
    grep -q "event=$1 .*path=$W/$2\( \|$\)" "$LOG" 2>/dev/null ||
        { echo "  no event=$1 for $2 in the log"; return 1; }
}
no_temp() {
    local left
    left=$(find "$W" "$STORE_SRC" -name '.cowlink-*' 2>/dev/null)
    [ -z "$left" ] || { echo "  temporary files left: $left"; return 1; }
}
