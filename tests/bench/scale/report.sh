#!/usr/bin/env bash
# bench-scale's tables (markdown) from run.sh's data lines:
#   scenario round strategy check seconds ok|failed written du nar nar_zstd
#   closure phase=seconds... peak=bytes
#   usage: report.sh DATA WORKSPACE DEPS_OUT SECONDS
#   TIGHT_MB: tight's limit; SCENARIOS_RUN: the scenarios of the last run
set -euo pipefail
data=$1 ws=$2 deps=$3 total=$4

cat <<EOF
# bench-scale: crane's flow at scale, under Nix

Written by \`make bench-scale\` ($(date -u +%Y-%m-%d); its last run, of the
scenarios ${SCENARIOS_RUN:-?}, took $((total / 60)) min).
Workload: $(grep -c '^source = "registry' "$ws/Cargo.lock") crates in Cargo.lock,
$(ls -d "$ws"/*/Cargo.toml | wc -l) members, $(cat "$ws"/*/src/*.rs | wc -l) lines of own code.
The deps target: $(du -sb "$deps/target" | awk '{printf "%.2f GB", $1 / 1e9}'),
$(find "$deps/target" -type f | wc -l) files.

Every number is the median of a run's rounds, [min-max] beside it;
strategies rotated each round, a settle before each build.  A run measures
the scenarios and strategies it is given and keeps the others' lines, so
a table may hold several runs: the line under it says which run measured
what, and only strategies of one run compare exactly.
A flow is clippy, test, doc and the package built one after another; its
compile time is the sum of their build and check phases (rustc, rustdoc,
the tests' own run), and flow / compile (the median of each round's
ratio) is what everything else adds: evaluation, the sandbox, the
inheritance, the install, the fixup and the registration.
A phase is timed from its "Running phase" line to the next; the last one
(fixup) ends when nix-build returns, so it holds Nix's registration of the
output (hashing it).  Peak memory is the build's memory cgroup's: its
processes and the page cache they filled.

Each run's machine:
EOF
# One item per run that has lines in the data, its machine from
# scale.machines beside it.
touch "${data%.data}.machines"
awk -F'\t' -v data="$data" 'BEGIN {while ((getline l <data) > 0)
        if (match(l, / at=[^ ]*/)) { r = substr(l, RSTART + 4, RLENGTH - 4); if (!(r in run)) { run[r] = 1; order[++n] = r } }
        else bare = 1 }
    { m[$1] = $2 }
    END { for (i = 1; i <= n; i++) printf "- the run at %s: %s\n", order[i], order[i] in m ? m[order[i]] : "not recorded"
          if (bare) print "- lines without a run stamp: an earlier run, machine not recorded" }' "${data%.data}.machines"

# One awk over the data: medians per key.
awk -v tight="${TIGHT_MB:-?}" '
function median(list,   n, a, i, j, t) {
    n = split(list, a, " ")
    for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] + 0 > t + 0; j--) a[j + 1] = a[j]; a[j + 1] = t }
    return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
function minmax(list,   n, a, i, lo, hi) {
    n = split(list, a, " "); lo = hi = a[1]
    for (i = 2; i <= n; i++) { if (a[i] + 0 < lo + 0) lo = a[i]; if (a[i] + 0 > hi + 0) hi = a[i] }
    return sprintf("[%.0f-%.0f]", lo, hi)
}
BEGIN {
    about["code"] = "A one-line change in a member, deps cached."
    about["env"] = "The code flow with a variable that libz-sys watches set in the checks: libz-sys and its dependents rebuilt."
    about["fs"] = "The code flow with the builds'"'"' directories (Nix'"'"'s TMPDIR) on an ext4 with a journal (mkfs.ext4'"'"'s defaults, a loop device with direct I/O), the file system most users build on; the other scenarios build on this VM'"'"'s ext4 without a journal, and the store stays there in all."
    about["tight"] = "The code flow, each build in a memory cgroup of " tight " MiB (page cache included)."
    about["layout"] = "The code flow on the rustup nightly with the new build-dir layout of cargo (its default from 1.100)."
    about["runner"] = "The code flow on a fresh CI runner: a store that starts empty (a chroot store), Nix'"'"'s substituter a binary cache over HTTP (nginx on the loopback address; a `nix copy` file cache, NARs through zstd, signed) that holds what the checks need but the checks (the deps, the toolchain, the vendored crates, the hooks), filled by the runs before the change.  fetch: the checks evaluated in the runner'"'"'s store, then what they need substituted; build: clippy, test, doc and the package built there one after another; downloaded: every byte nginx sent (headers included) from the fetch to the last check; the runner'"'"'s store (du) at the end.  Then the checks pushed back to the cache (`nix copy --to` the file cache: what `cachix push` of the checks uploads, the closure bytes not yet in the cache)."
    about["remote"] = "What a remote builder is sent for one check (clippy): the closure of its inputs (sources and the outputs of its input derivations) copied with `nix copy` into a second, empty store, as the build hook copies it over ssh-ng:// (NARs, uncompressed); the time is this machine'"'"'s, no network."
}
function max(a, b) { return a == "" || b + 0 > a + 0 ? b : a }
# The tables of the runner scenario (its per-check table is the generic one).
function runner_section(   t, st, r, fl, su, ev, bu, dl, nn, wr, so, pk, pu, ad, fi, base, based, m, md, cflow, zflow, cdl, zdl) {
    printf "\n## Scenario runner: a fresh CI runner with a binary cache\n\n%s Measured%s.\n\n", about["runner"], measured("runner")
    printf "| strategy | flow (s) | substitute: eval + fetch (s) | of it eval (s) | build (s) | speed vs zstd | downloaded (MB) | bytes vs zstd | NARs | written (MB) | runner store at the end (MB) | peak mem (MB) |\n"
    printf "|---|---|---|---|---|---|---|---|---|---|---|---|\n"
    for (t = 1; t <= nst; t++) {
        st = sts[t]; fl = ""
        for (r = 1; r <= 99; r++) if (("runner", st, r) in rdone) fl = fl " " rflow[st, r]
        if (fl != "" && st == "zstd") { base = median(fl); dl = ""; for (r = 1; r <= 99; r++) if (("runner", st, r) in rdone) dl = dl " " rdl[st, r]; based = median(dl) }
    }
    for (t = 1; t <= nst; t++) {
        st = sts[t]; fl = su = ev = bu = dl = nn = wr = so = pk = ""
        if (!(("runner", st) in present)) continue
        for (r = 1; r <= 99; r++) if (("runner", st, r) in rdone) {
            fl = fl " " rflow[st, r]; su = su " " rfetch[st, r]; ev = ev " " reval[st, r]; bu = bu " " rbuild[st, r]
            dl = dl " " rdl[st, r]; nn = nn " " rnars[st, r]; wr = wr " " rwr[st, r]; so = so " " rstore[st, r]; pk = pk " " rpeak[st, r]
        }
        if (fl == "") { printf "| %s | failed (%s) | | | | | | | | | | |\n", st, ("runner", st) in failed ? failed["runner", st] : "?"; continue }
        m = median(fl); md = median(dl)
        if (st == "cowlink") { cflow = m; cdl = md }
        if (st == "zstd") { zflow = m; zdl = md }
        printf "| %s | %.0f %s | %.1f | %.1f | %.1f | %s | %s | %s | %.0f | %s | %s | %s |\n", st, m, minmax(fl), median(su), median(ev), median(bu),
            base == "" ? "-" : sprintf("%.2fx", base / m), mb(md), based == "" ? "-" : sprintf("%.2fx", md / based),
            median(nn), mb(median(wr)), mb(median(so)), mb(median(pk))
    }
    if (cflow != "" && zflow != "")
        printf "\nTargets: cowlink'"'"'s flow no slower than crane'"'"'s default: %s (%.0f s against %.0f s); bytes downloaded within 1.25x of crane'"'"'s default: %s (%.2fx).\n",
            cflow + 0 <= zflow + 0 ? "met" : "not met", cflow, zflow, cdl / zdl <= 1.25 ? "met" : "not met", cdl / zdl
    printf "\n| runner: push, strategy | push (s) | bytes added to the cache (MB) | files added |\n|---|---|---|---|\n"
    for (t = 1; t <= nst; t++) {
        st = sts[t]; pu = ad = fi = ""
        for (r = 1; r <= 99; r++) if ((st, r) in rpush) { pu = pu " " rpush[st, r]; ad = ad " " radded[st, r]; fi = fi " " rfiles[st, r] }
        if (pu != "") printf "| push, %s | %.1f %s | %s | %s |\n", st, median(pu), minmax(pu), mb(median(ad)), median(fi)
    }
}
function remote_section(   t, st, r, w, n, pa, wr, so, pk) {
    printf "\n## Scenario remote: what a remote builder is sent for one check\n\n%s Measured%s.\n\n", about["remote"], measured("remote")
    printf "| strategy | copy (s) | NARs sent (MB) | paths | written (MB) | remote store after (MB) | peak mem (MB) |\n|---|---|---|---|---|---|---|\n"
    for (t = 1; t <= nst; t++) {
        st = sts[t]; w = n = pa = wr = so = pk = ""
        if (!(("remote", st) in present)) continue
        for (r = 1; r <= 99; r++) if ((st, r) in qsecs) { w = w " " qsecs[st, r]; n = n " " qnar[st, r]; pa = pa " " qpaths[st, r]; wr = wr " " qwr[st, r]; so = so " " qstore[st, r]; pk = pk " " qpeak[st, r] }
        if (w == "") { printf "| %s | failed | | | | | |\n", st; continue }
        printf "| %s | %.1f %s | %s | %s | %s | %s | %s |\n", st, median(w), minmax(w), mb(median(n)), median(pa), mb(median(wr)), mb(median(so)), mb(median(pk))
    }
}
# When each strategy of scenario sc was measured (runs may differ).
function measured(sc,   t, w, out, seen, order, n, i) {
    for (t = 1; t <= nst; t++) {
        if (!((sc, sts[t]) in present)) continue
        w = (sc, sts[t]) in when ? when[sc, sts[t]] : "in an earlier run"
        if (!(w in seen)) { seen[w] = sts[t]; order[++n] = w } else seen[w] = seen[w] ", " sts[t]
    }
    for (i = 1; i <= n; i++) out = out (i > 1 ? ";" : "") " " order[i] " (" seen[order[i]] ")"
    return out
}
function mb(b) { return b == "-" || b == "" ? "-" : sprintf("%.0f", b / 1e6) }
# The lines of the runner and remote scenarios (runner.sh): fetch, end and
# push, and every remote line; the checks of a runner go on to the generic tables.
$1 == "runner" || $1 == "remote" {
    split("", kv)
    for (i = 12; i <= NF; i++) { split($i, p, "="); kv[p[1]] = p[2] }
    st = $3; r = $2
    if ($6 == "ok" && $1 == "remote") {
        qsecs[st, r] = $5; qnar[st, r] = $11; qpaths[st, r] = kv["paths"]; qwr[st, r] = $7; qstore[st, r] = kv["store"]; qpeak[st, r] = kv["peak"]
    }
    if ($6 == "ok" && $1 == "runner") {
        if ($4 == "fetch") { rfetch[st, r] = $5; reval[st, r] = kv["eval"]; rnars[st, r] = kv["nars"] }
        if ($4 == "end") { rflow[st, r] = $5; rdl[st, r] = kv["dl"]; rstore[st, r] = kv["store"]; rdone["runner", st, r] = 1 }
        if ($4 == "push") { rpush[st, r] = $5; radded[st, r] = kv["added"]; rfiles[st, r] = kv["files"] }
        if ($4 != "end" && $4 != "push") { rwr[st, r] += $7; rpeak[st, r] = max(rpeak[st, r], kv["peak"]) }
        if ($4 != "end" && $4 != "push" && $4 != "fetch") rbuild[st, r] += $5
    }
    if ($1 == "remote" || $4 == "fetch" || $4 == "end" || $4 == "push") {
        if (!($1 in seen_sc)) { seen_sc[$1] = 1; scs[++nsc] = $1 }
        if (!(st in seen_st)) { seen_st[st] = 1; sts[++nst] = st }
        present[$1, st] = 1
        if (match($0, / at=[^ ]*/)) when[$1, st] = substr($0, RSTART + 4, RLENGTH - 4)
        if ($6 != "ok") failed[$1, st] = $4
        next
    }
}
{
    sc = $1; r = $2; st = $3; ck = $4
    key = sc SUBSEP st
    if (!(sc in seen_sc)) { seen_sc[sc] = 1; scs[++nsc] = sc }
    if (!(st in seen_st)) { seen_st[st] = 1; sts[++nst] = st }
    present[key] = 1
    if (match($0, / at=[^ ]*/)) when[sc, st] = substr($0, RSTART + 4, RLENGTH - 4)
    if ($6 != "ok") { failed[key] = ck; next }
    flow[key, r] += $5
    rounds[key, r] = 1
    c = sc SUBSEP st SUBSEP ck
    wall[c] = wall[c] " " $5
    written[c] = written[c] " " $7; du[c] = $8; nar[c] = $9; zst[c] = $10; clos[c] = $11
    cache[key, r] += $10
    for (i = 12; i <= NF; i++) { split($i, p, "="); ph[c, p[1]] = ph[c, p[1]] " " p[2]
        if (p[1] == "buildPhase" || p[1] == "checkPhase") comp[key, r] += p[2] }
    if (!(ck in seen_ck)) { seen_ck[ck] = 1; cks[++nck] = ck }
}
END {
    for (s = 1; s <= nsc; s++) {
        sc = scs[s]
        if (sc == "deps") continue
        if (sc == "remote") { remote_section(); continue }
        if (sc == "runner") runner_section(); else {
        printf "\n## Scenario %s: the flow\n\n%s Measured%s.\n\n", sc, about[sc], measured(sc)
        printf "| strategy | flow (s) | vs zstd | compile: build + check phases (s) | flow / compile | cache bytes added (MB, NAR.zst) |\n|---|---|---|---|---|---|\n"
        base = ""
        for (t = 1; t <= nst; t++) {
            key = sc SUBSEP sts[t]; list = ""
            for (r = 1; r <= 99; r++) if ((key, r) in rounds) list = list " " flow[key, r]
            if (list == "") { if (key in present) printf "| %s | failed (%s) | | | | |\n", sts[t], failed[key]; continue }
            med[t] = median(list)
            if (sts[t] == "zstd") base = med[t]
        }
        for (t = 1; t <= nst; t++) {
            key = sc SUBSEP sts[t]; list = ""; cl = ""; co = ""; ra = ""
            for (r = 1; r <= 99; r++) if ((key, r) in rounds) {
                list = list " " flow[key, r]; cl = cl " " cache[key, r]; co = co " " comp[key, r]
                ra = ra " " (comp[key, r] > 0 ? flow[key, r] / comp[key, r] : 0)
            }
            if (list == "") continue
            printf "| %s | %.0f %s | %s | %.0f | %.2fx | %s |\n", sts[t], med[t], minmax(list),
                base == "" ? "-" : sprintf("%.2fx", base / med[t]), median(co), median(ra), mb(median(cl))
        }
        }
        printf "\n| %s: check, strategy | wall (s) | inherit (patch) | build | check | install | fixup + register | written (MB) | peak mem (MB) | out du / NAR / NAR.zst (MB) | closure (MB) |\n", sc
        printf "|---|---|---|---|---|---|---|---|---|---|---|\n"
        for (k = 1; k <= nck; k++) for (t = 1; t <= nst; t++) {
            c = sc SUBSEP sts[t] SUBSEP cks[k]
            if (!(c in wall)) continue
            printf "| %s, %s | %.1f %s | %.1f | %.1f | %.1f | %.1f | %.1f | %s | %s | %s / %s / %s | %s |\n",
                cks[k], sts[t], median(wall[c]), minmax(wall[c]), median(ph[c, "patchPhase"]),
                median(ph[c, "buildPhase"]), median(ph[c, "checkPhase"]), median(ph[c, "installPhase"]),
                median(ph[c, "fixupPhase"]), mb(median(written[c])), (c, "peak") in ph ? mb(median(ph[c, "peak"])) : "-",
                mb(du[c]), mb(nar[c]), mb(zst[c]), mb(clos[c])
        }
    }
    if ("deps" in seen_sc) {
        printf "\n## The deps derivation, per install mode (built from nothing)\n\n"
        printf "What a Cargo.lock change costs before the checks run again. Measured%s.\n\n", measured("deps")
        printf "| install mode | wall (s) | build | check | install | fixup + register | written (MB) | peak mem (MB) | out du / NAR / NAR.zst (MB) |\n|---|---|---|---|---|---|---|---|---|\n"
        for (t = 1; t <= nst; t++) {
            c = "deps" SUBSEP sts[t] SUBSEP "deps"
            if (!(c in wall)) continue
            printf "| %s | %.0f %s | %.0f | %.0f | %.1f | %.1f | %s | %s | %s / %s / %s |\n", sts[t] == "zstd" ? "use-zstd" : sts[t] == "symlink" ? "use-symlink" : "use-symlink, lib.enable (cowlinkElfChecks)",
                median(wall[c]), minmax(wall[c]), median(ph[c, "buildPhase"]), median(ph[c, "checkPhase"]),
                median(ph[c, "installPhase"]), median(ph[c, "fixupPhase"]), mb(median(written[c])),
                (c, "peak") in ph ? mb(median(ph[c, "peak"])) : "-", mb(du[c]), mb(nar[c]), mb(zst[c])
        }
    }
}' "$data"
