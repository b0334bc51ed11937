# shellcheck shell=bash
# bench-scale's runner and remote scenarios (sourced by run.sh, whose
# measure, nixbuild, settle, rotate, change and memcg_* they use):
#   runner  a fresh CI runner with a binary cache: a store that starts
#           empty (a chroot store under $T), Nix's substituters the cache
#           of cache.sh (nginx on the loopback address) holding what the
#           checks need but the checks: the deps, the toolchain, the
#           vendored crates, the hooks.  After a one-line change: the
#           checks' derivations evaluated in the runner's store and what
#           they need substituted (fetch), then clippy, test, doc and the
#           package built there one after another (measure), then the
#           checks pushed back to the cache (push: the bytes added, what
#           `cachix push` of the checks uploads).
#   remote  what a remote builder is sent for one check (clippy): the
#           closure of its inputs copied into a second, empty store, as
#           the build hook copies it over ssh-ng:// (NARs, uncompressed).
# The strategies are the install modes (zstd, symlink, cowlink; copy has
# symlink's deps and the same bytes).

# input_paths DRV: what a build of DRV needs in its store, one a line: its
# input sources and its input derivations' outputs (what the build hook
# sends a remote builder; their closures go with them).
input_paths() {
    local p
    for p in $(nix-store -q --references "$1"); do
        case $p in *.drv) nix-store -q --outputs "$p" ;; *) echo "$p" ;; esac
    done
}
# input_outputs DRV: its input derivations' outputs alone (what a runner
# substitutes: it evaluates, so it has the sources).
input_outputs() {
    local p
    for p in $(nix-store -q --references "$1"); do
        case $p in *.drv) nix-store -q --outputs "$p" ;; esac
    done
}
# check_drvs ST [NIX-INSTANTIATE ARGS...]: the checks' derivations, in
# the order of $checks.
check_drvs() {
    local st=$1 ck a=()
    shift
    for ck in $checks; do a+=(-A "$st.$ck"); done
    nix-instantiate "$here/scale.nix" "${a[@]}" "${args[@]}" "$@"
}

# cache_fill: what the checks of every strategy need, built here (not
# timed; no-ops once the deps are warm) and copied into the cache (nix
# copy skips what it holds), as the CI runs before this change left it.
cache_fill() {
    local st d list outs=() drvs=()
    for st in $runner_modes; do
        list=$(check_drvs "$st") || { echo "bench-scale: runner: $st's checks do not evaluate" >&2; exit 1; }
        for d in $list; do
            mapfile -t -O ${#drvs[@]} drvs < <(nix-store -q --references "$d" | grep '\.drv$')
        done
    done
    nix-store -r "${nix_opts[@]}" --option extra-sandbox-paths "$paths" --option build-users-group nixbld \
        "${drvs[@]}" >/dev/null
    mapfile -t outs < <(for d in "${drvs[@]}"; do nix-store -q --outputs "$d"; done | sort -u)
    nix --extra-experimental-features nix-command copy --no-check-sigs --to "$cache_to" "${outs[@]}" 2>>"$T/logs/cache-fill.log" ||
        { echo "bench-scale: runner: the cache could not be filled: $(tail -3 "$T/logs/cache-fill.log")" >&2; exit 1; }
    echo "bench-scale: runner: the cache holds $(find "$cache_dir" -name '*.narinfo' | wc -l) paths, $(du -sb "$cache_dir" | awk '{printf "%.0f MB", $1 / 1e6}')"
}

# io_run IOFILE CMD...: CMD, and the bytes it and its children wrote
# (/proc's io of the subshell that waited for them) in IOFILE.
io_run() {
    local io=$1
    shift
    (
        set +e
        "$@"
        rc=$?
        cat "/proc/$BASHPID/io" >"$io"
        exit $rc
    )
}
written_of() { awk '/^write_bytes/ {print $2}' "$1"; }
seconds() { awk -v s="$1" -v e="$2" 'BEGIN {printf "%.1f", e - s}'; }

# runner_flow ROUND STRATEGY: one runner, from an empty store to the
# checks pushed; data lines runner ROUND STRATEGY fetch|CHECK|end|push.
runner_flow() {
    local r=$1 st=$2 R=$T/runner.$2 log cg s e m0 t rc=0 drvs want outs sent nars nar_bytes nars_sent written
    local flow=0 ok=ok ck p line
    local -x XDG_CACHE_HOME=$T/xdg.$r.$st # Nix's narinfo cache: a fresh runner's
    local ropts=(--store "$R" --option substituters "$cache_url" --option trusted-public-keys "$cache_pub")
    rm -rf "$R" "$XDG_CACHE_HOME"
    mkdir -p "$R"
    # What the runner's evaluation must give (the same derivations as
    # here), and what it substitutes.
    want=$(check_drvs "$st" 2>/dev/null) || { echo "bench-scale: runner: $st's checks do not evaluate" >&2; exit 1; }
    outs=$(for p in $want; do input_outputs "$p"; done | sort -u)
    # The runner's store starts empty.
    p=$(nix --extra-experimental-features nix-command path-info --store "$R" --all | wc -l)
    [ "$p" = 0 ] || { echo "bench-scale: runner: the store at $R starts with $p paths" >&2; exit 1; }

    # fetch: the checks evaluated in the runner's store, then what they
    # need substituted from the cache.
    log=$T/logs/runner.$r.$st.fetch
    settle
    cg=$(memcg_new "")
    m0=$(cache_log_at)
    s=$EPOCHREALTIME
    drvs=$(memcg_enter "$cg"; io_run "$log.io.eval" check_drvs "$st" "${ropts[@]}" 2>"$log.eval") || rc=$?
    t=$EPOCHREALTIME
    if [ $rc = 0 ]; then
        # shellcheck disable=SC2086
        (memcg_enter "$cg"; io_run "$log.io" nix-store -r "${ropts[@]}" $outs >/dev/null 2>"$log") || rc=$?
    fi
    e=$EPOCHREALTIME
    [ "$drvs" = "$want" ] ||
        { echo "bench-scale: runner: the runner evaluated other derivations: $drvs $(tail -3 "$log.eval")" >&2; exit 1; }
    line=$(cache_sent "$m0") || { echo "bench-scale: runner: a NAR sent short" >&2; exit 1; }
    read -r sent nars nar_bytes <<<"$line"
    written=$(($(written_of "$log.io.eval") + $([ -f "$log.io" ] && written_of "$log.io" || echo 0)))
    [ $rc = 0 ] || ok=failed
    # Every NAR sent was a path the runner now has; something was sent.
    if [ $rc = 0 ]; then
        if [ "$sent" = 0 ] || [ "$nars" = 0 ]; then
            echo "bench-scale: runner: nothing downloaded ($sent bytes, $nars NARs)" >&2
            exit 1
        fi
        nars_sent=$(cache_nars_since "$m0")
        [ "$(echo "$nars_sent" | wc -l)" = "$nars" ] || { echo "bench-scale: runner: $nars NARs sent, not all in the cache's narinfos" >&2; exit 1; }
        # shellcheck disable=SC2086
        nix-store --store "$R" --check-validity $nars_sent $outs ||
            { echo "bench-scale: runner: a NAR sent is not in the runner's store" >&2; exit 1; }
    fi
    echo "runner $r $st fetch $(seconds "$s" "$e") $ok $written - - - - eval=$(seconds "$s" "$t") fetch=$(seconds "$t" "$e")" \
        "dl=$sent nars=$nars narbytes=$nar_bytes peak=$(memcg_end "$cg") at=$stamp" >>"$data"
    tail -1 "$data"
    [ $rc = 0 ] || { echo "bench-scale: runner $st: the fetch failed: $(tail -3 "$log")" >&2; return 0; }
    flow=$(seconds "$s" "$e")

    # The checks, built in the runner's store (measure, as the code scenario).
    local store_at=(--store "$R") store_root=$R
    for ck in $checks; do
        measure runner "$r" "$st" "$ck" "${ropts[@]}"
        [ "$(tail -1 "$data" | cut -d' ' -f6)" = ok ] || ok=failed
        flow=$(awk -v a="$flow" -v b="$(tail -1 "$data" | cut -d' ' -f5)" 'BEGIN {printf "%.1f", a + b}')
    done
    # The flow: downloaded (every byte nginx sent since the fetch began),
    # the runner's store at the end.
    line=$(cache_sent "$m0") || { echo "bench-scale: runner: a NAR sent short" >&2; exit 1; }
    read -r sent _ <<<"$line"
    echo "runner $r $st end $flow $ok - - - - - dl=$sent store=$(du -sb "$R" | cut -f1) at=$stamp" >>"$data"
    tail -1 "$data"

    # push: the checks with their closures, what the cache lacks.
    if [ $ok = ok ]; then
        outs=$(for p in $want; do nix-store --store "$R" -q --outputs "$p"; done)
        log=$T/logs/runner.$r.$st.push
        cache_files >"$T/cache.mark"
        settle
        cg=$(memcg_new "")
        s=$EPOCHREALTIME
        rc=0
        # shellcheck disable=SC2086
        (memcg_enter "$cg"; io_run "$log.io" nix --extra-experimental-features nix-command copy --no-check-sigs \
            --from "$R" --to "$cache_to" $outs 2>"$log") || rc=$?
        e=$EPOCHREALTIME
        echo "runner $r $st push $(seconds "$s" "$e") $([ $rc = 0 ] && echo ok || echo failed) $(written_of "$log.io") - - - -" \
            "$(cache_added "$T/cache.mark" | awk '{printf "added=%s files=%s", $1, $2}') peak=$(memcg_end "$cg") at=$stamp" >>"$data"
        tail -1 "$data"
        # The cache as it was, for the next runner.
        cache_restore "$T/cache.mark"
    fi
    rm -rf "$R"
}

# The runner scenario: the cache made and filled, then per round a change
# and one runner per strategy (rotated).
runner_scenario() {
    local r st
    cache_start "$T"
    for ((r = 1; r <= rounds; r++)); do
        change "$r$RANDOM"
        cache_fill
        for st in $(rotate "$r" $runner_modes); do runner_flow "$r" "$st"; done
    done
    cache_stop
}

# remote_copy ROUND STRATEGY: clippy's inputs and their closure copied into
# an empty store: one data line remote ROUND STRATEGY clippy.
remote_copy() {
    local r=$1 st=$2 D=$T/remote.$2 drv inputs closure log cg s e rc=0 n nar
    drv=$(nix-instantiate "$here/scale.nix" -A "$st.clippy" "${args[@]}" 2>/dev/null)
    [ -n "$drv" ] || { echo "bench-scale: remote: $st.clippy does not evaluate" >&2; exit 1; }
    inputs=$(input_paths "$drv")
    # shellcheck disable=SC2086
    nix-store -r "${nix_opts[@]}" --option extra-sandbox-paths "$paths" --option build-users-group nixbld \
        $(nix-store -q --references "$drv" | grep '\.drv$') >/dev/null
    # shellcheck disable=SC2086
    closure=$(nix-store -qR $inputs)
    n=$(echo "$closure" | wc -l)
    # shellcheck disable=SC2086
    nar=$(nix-store -q --size $closure | awk '{s += $1} END {print s}')
    rm -rf "$D"
    mkdir -p "$D"
    [ "$(nix --extra-experimental-features nix-command path-info --store "$D" --all | wc -l)" = 0 ] ||
        { echo "bench-scale: remote: $D is not empty" >&2; exit 1; }
    log=$T/logs/remote.$r.$st
    settle
    cg=$(memcg_new "")
    s=$EPOCHREALTIME
    # shellcheck disable=SC2086
    (memcg_enter "$cg"; io_run "$log.io" nix --extra-experimental-features nix-command copy --no-check-sigs \
        --to "$D" $inputs 2>"$log") || rc=$?
    e=$EPOCHREALTIME
    # shellcheck disable=SC2086
    [ $rc != 0 ] || nix-store --store "$D" --check-validity $closure ||
        { echo "bench-scale: remote: the copy left paths out" >&2; exit 1; }
    echo "remote $r $st clippy $(seconds "$s" "$e") $([ $rc = 0 ] && echo ok || echo failed) $(written_of "$log.io") - - - $nar" \
        "paths=$n store=$(du -sb "$D" | cut -f1) peak=$(memcg_end "$cg") at=$stamp" >>"$data"
    tail -1 "$data"
    rm -rf "$D"
}

remote_scenario() {
    local r st
    for ((r = 1; r <= rounds; r++)); do
        change "$r$RANDOM"
        for st in $(rotate "$r" $runner_modes); do remote_copy "$r" "$st"; done
    done
}
