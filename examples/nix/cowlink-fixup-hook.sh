# shellcheck shell=bash
# cowlink's fixup pass, a setup hook of its own (fixup-hook.nix): it names
# neither the library nor the command, so a new cowlink does not change
# the derivations that use only this pass (lib.enable's deps builds).
# Does nothing unless the derivation asks:
#
#   cowlinkElfChecks = true;    nixpkgs' patchelf (shrink RPATHs) and
#                               audit-tmpdir checks with one readelf per
#                               output instead of four processes per ELF
#                               file; on any doubt about readelf's answer,
#                               nixpkgs' own hooks run
#   cowlinkCheckLinks = true;   nixpkgs' no-broken-symlinks, with one
#                               realpath per output instead of one per link
#   cowlinkRelativeLinks = true; nixpkgs' make-symlinks-relative, for the
#                               links it would change only
#
# lib.enable sets the last two only where nixpkgs' own hooks are off
# (dontCheckForBrokenSymlinks, dontRewriteSymlinks), on derivations that
# install an inherited target/ (one link per inherited file).

# Sourced once, however often the hook is propagated.
if [ -z "${cowlinkFixupHookSourced-}" ]; then
cowlinkFixupHookSourced=1

cowlinkFixupSay() { echo "cowlink: $*" >&2; }

# nixpkgs' no-broken-symlinks rule, link by link: a relative target is made
# absolute without following links (as `realpath -s -m`), an absolute one
# is taken as written; a target in $TMPDIR is broken; one outside the store
# is not judged; in the store, a link to itself or to nothing (dangling,
# or a loop) is broken.  All relative targets of an output go through ONE
# realpath; the existence test is bash's own.
cowlinkBrokenLinks() { # OUTPUT: prints "link -> target: why" for each broken link
    local dir=$1 link target i rel=() rels=() links=() targets=() resolved=()
    while IFS= read -r -d '' link && IFS= read -r -d '' target; do
        links+=("$link")
        if [[ $target == /* ]]; then
            targets+=("$target")
        else
            targets+=("")
            rel+=("${#links[@]}")
            rels+=("${link%/*}/$target")
        fi
    done < <(find "$dir" -type l -printf '%p\0%l\0')
    if [ "${#rels[@]}" -gt 0 ]; then
        while IFS= read -r -d '' target; do resolved+=("$target"); done < \
            <(printf '%s\0' "${rels[@]}" | xargs -0 realpath -z -s -m --)
        # Fail closed: realpath must have answered for every link.
        if [ "${#resolved[@]}" != "${#rels[@]}" ]; then
            echo "$dir: realpath resolved ${#resolved[@]} of ${#rels[@]} relative links: broken"
            return
        fi
        for i in "${!rel[@]}"; do targets[${rel[$i]} - 1]=${resolved[$i]}; done
    fi
    for i in "${!links[@]}"; do
        link=${links[$i]} target=${targets[$i]}
        if [[ $target == "$TMPDIR"/* ]]; then
            echo "$link -> $target: into \$TMPDIR"
        elif [[ $target != "$NIX_STORE"/* ]]; then
            continue
        elif [[ $link == "$target" ]]; then
            echo "$link -> $target: to itself"
        elif [[ ! -e $target ]]; then
            echo "$link -> $target: to nothing (missing, or a loop of links)"
        fi
    done
}

cowlinkCheckLinksInAllOutputs() {
    local o bad
    for o in $(getAllOutputNames); do
        [ -e "${!o}" ] || continue
        bad=$(cowlinkBrokenLinks "${!o}")
        [ -z "$bad" ] || {
            echo "$bad" >&2
            cowlinkFixupSay "$(wc -l <<<"$bad") broken symlinks in ${!o} (dangling, reflexive, looping or into \$TMPDIR: nixpkgs' no-broken-symlinks rule, its hook being off)"
            exit 1
        }
    done
}

# nixpkgs' make-symlinks-relative, for the links it would change only: an
# absolute link into its own output becomes relative.
cowlinkRelativeLinksInAllOutputs() {
    local o
    for o in $(getAllOutputNames); do
        [ -e "${!o}" ] || continue
        find "${!o}" -type l -lname "${!o}/*" -printf '%l\0%p\0' | xargs -0 -n2 -r ln -snrf
    done
}

# nixpkgs' patchelf hook (shrink every ELF file's RPATH) and audit-tmpdir
# (no RPATH into $TMPDIR) each walk the output and fork per ELF file, four
# processes in all: an installed target/ holds many (build scripts, proc
# macros, the objects of -sys crates).  Only a file with an RPATH or
# RUNPATH can shrink or name $TMPDIR, and readelf lists them in one process
# per output: patchelf runs on those alone, the same checks in the same
# order.  Decided when fixup starts (the hooks read their variables then),
# only for what the derivation did not turn off itself.
cowlinkElfPlan() {
    command -v "${READELF:-readelf}" >/dev/null && command -v patchelf >/dev/null || {
        cowlinkFixupSay "no readelf or patchelf: nixpkgs' own ELF walks run"
        return 0
    }
    [ -n "${dontPatchELF-}" ] || cowlinkShrink=1
    [ -n "${noAuditTmpdir-}" ] || cowlinkAudit=1
    dontPatchELF=1 noAuditTmpdir=1
    fixupOutputHooks+=('cowlinkElfInOutput "$prefix"')
}

# cowlinkRpaths FILE...: "file<TAB>rpath" for each file with one; fails
# unless readelf succeeded and named every file it was given (llvm-readelf
# stops at the first input it cannot read, GNU readelf goes on: either way
# the answer is incomplete).  readelf names each file only when given
# several: a lone file is given twice.  In batches, within ARG_MAX.
# (Not `out`: stdenv exports that name, and a local copy of it would carry
# readelf's whole answer into every child's environment.)
cowlinkRpaths() {
    local batch n listing
    while [ "$#" -gt 0 ]; do
        n=$(($# < 500 ? $# : 500))
        batch=("${@:1:n}")
        shift "$n"
        [ "${#batch[@]}" -gt 1 ] || batch+=("${batch[0]}")
        listing=$("${READELF:-readelf}" -d -W "${batch[@]}" 2>&1) || return 1
        [ "$(grep -c '^File: ' <<<"$listing")" = "${#batch[@]}" ] || return 1
        awk '/^File: / {f = substr($0, 7)}
             /\((RPATH|RUNPATH)\)/ {r = substr($0, index($0, "[") + 1); print f "\t" substr(r, 1, length(r) - 1)}' <<<"$listing"
    done | sort -u
    [ "${PIPESTATUS[0]}" = 0 ]
}

# nixpkgs' own walks, for an output cowlink cannot judge (for a reason).
cowlinkElfFallback() { # DIR WHY
    cowlinkFixupSay "$2: nixpkgs' patchelf and audit-tmpdir hooks check $1"
    [ -z "${cowlinkShrink-}" ] || patchELF "$1"
    [ -z "${cowlinkAudit-}" ] || auditTmpdir "$1"
}

cowlinkElfInOutput() {
    local dir=$1 f elf=() scripts=() withRpath=() rpath rpaths
    [ -e "$dir" ] || return 0
    while IFS= read -r -d $'\0' f; do
        if isELF "$f"; then
            elf+=("$f")
        elif [ -e "${f%/*}/.${f##*/}-wrapped" ] && isScript "$f"; then
            scripts+=("$f")
        fi
    done < <(find "$dir" -type f -not -path '*/.build-id/*' -print0)
    case "${elf[*]}" in *$'\n'* | *$'\t'*)
        cowlinkElfFallback "$dir" "a file name with a newline or a tab"
        return ;;
    esac
    if ! rpaths=$(cowlinkRpaths ${elf[@]+"${elf[@]}"}); then
        cowlinkElfFallback "$dir" "${READELF:-readelf} failed or left files unread"
        return
    fi
    while IFS=$'\t' read -r f rpath; do
        [ -n "$f" ] && withRpath+=("$f")
    done <<<"$rpaths"
    if [ -n "${cowlinkShrink-}" ]; then
        echo "shrinking RPATHs of ELF executables and libraries in $dir (cowlink: the ${#withRpath[@]} with one)"
        for f in ${withRpath[@]+"${withRpath[@]}"}; do
            [[ "$f" =~ .build-id ]] && continue
            echo "shrinking $f"
            patchelf --shrink-rpath "$f" || true
        done
    fi
    [ -n "${cowlinkAudit-}" ] || return 0
    echo "checking for references to $TMPDIR/ in $dir (cowlink: the RPATHs left)"
    if [ "${#withRpath[@]}" -gt 0 ] && ! rpaths=$(cowlinkRpaths "${withRpath[@]}"); then
        cowlinkFixupSay "${READELF:-readelf} failed or left files unread after shrinking: nixpkgs' audit-tmpdir checks $dir"
        auditTmpdir "$dir"
        return
    fi
    while IFS=$'\t' read -r f rpath; do
        case ":$rpath" in *":$TMPDIR/"*)
            echo "RPATH of binary $f contains a forbidden reference to $TMPDIR/"
            echo "Some binaries contain forbidden references to $TMPDIR/. Check the error above!"
            exit 1 ;;
        esac
    done <<<"$rpaths"
    for f in ${scripts[@]+"${scripts[@]}"}; do
        if grep -q -F "$TMPDIR/" "$f"; then
            echo "wrapper script $f contains a forbidden reference to $TMPDIR/"
            echo "Some scripts contain forbidden references to $TMPDIR/. Check the error above!"
            exit 1
        fi
    done
}

# Values, not presence: an attribute false (an empty string) is off.
[ -z "${cowlinkElfChecks-}" ] || preFixupHooks+=(cowlinkElfPlan)
[ -z "${cowlinkCheckLinks-}" ] || postFixupHooks+=(cowlinkCheckLinksInAllOutputs)
[ -z "${cowlinkRelativeLinks-}" ] || postFixupHooks+=(cowlinkRelativeLinksInAllOutputs)
fi
