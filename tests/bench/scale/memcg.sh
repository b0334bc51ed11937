# shellcheck shell=bash
# Memory cgroups for bench-scale's builds (sourced): each timed build runs
# in a cgroup of its own, made for it and removed after, so that its peak
# memory is read (its processes and the page cache they fill, which the
# kernel charges to the cgroup that first touched it) and a limit can be set
# (the tight scenario: extraction is free only while the page cache holds
# it).  cgroup v2 (memory.max, memory.peak) or v1's memory controller
# (memory.limit_in_bytes, memory.max_usage_in_bytes), under the cgroup this
# shell is in.  No memory controller: memcg_parent is empty, builds run
# where they are, their peak is "-", and a limit cannot be had.

# The directory new cgroups are made in, and the names of its files.
memcg_parent="" memcg_limit_file="" memcg_peak_file=""
memcg_find() {
    local v1 v2
    v1=$(awk -F: '$2 == "memory" {print $3; exit}' /proc/self/cgroup)
    v2=$(awk -F: '$1 == "0" {print $3; exit}' /proc/self/cgroup)
    if [ -n "$v1" ] && [ -w "/sys/fs/cgroup/memory$v1" ]; then
        memcg_parent=/sys/fs/cgroup/memory${v1%/}
        memcg_limit_file=memory.limit_in_bytes memcg_peak_file=memory.max_usage_in_bytes
    elif [ -n "$v2" ] && [ -f "/sys/fs/cgroup${v2%/}/cgroup.subtree_control" ] &&
        grep -qw memory "/sys/fs/cgroup${v2%/}/cgroup.subtree_control"; then
        # v2 lets a cgroup with processes have no children with
        # controllers, so only a parent that already delegates memory.
        memcg_parent=/sys/fs/cgroup${v2%/}
        memcg_limit_file=memory.max memcg_peak_file=memory.peak
    fi
}
memcg_find

# memcg_new LIMIT: a new cgroup limited to LIMIT bytes ("" for none; on
# v1 swap too where the kernel accounts it, and none on v2, so that a limit
# is not escaped to swap); prints its directory (nothing without a memory
# controller).
memcg_new() {
    local cg
    [ -n "$memcg_parent" ] || return 0
    cg=$(mktemp -u "$memcg_parent/cowlink-bench-XXXXXX")
    mkdir "$cg"
    if [ -n "$1" ]; then
        echo "$1" >"$cg/$memcg_limit_file"
        [ ! -f "$cg/memory.memsw.limit_in_bytes" ] || echo "$1" >"$cg/memory.memsw.limit_in_bytes"
        [ ! -f "$cg/memory.swap.max" ] || echo 0 >"$cg/memory.swap.max"
    fi
    echo "$cg"
}

# memcg_enter CG: the calling (sub)shell, and all it starts, into CG.
memcg_enter() { [ -z "$1" ] || echo "$BASHPID" >"$1/cgroup.procs"; }

# memcg_end CG: prints CG's peak bytes ("-" without a cgroup) and removes
# it (its page cache stays, charged to the parent).
memcg_end() {
    [ -n "$1" ] || { echo -; return 0; }
    cat "$1/$memcg_peak_file"
    rmdir "$1" 2>/dev/null || { sleep 1; rmdir "$1"; }
}
