#!/usr/bin/env bash
# The library exports exactly its entry points, and needs nothing newer
# than glibc 2.17 (so it loads into processes of any current distribution,
# and into rustup's rustc and cargo, built for an old glibc baseline).
set -euo pipefail
lib=${1:-build}/libcowlink.so
here=$(cd "$(dirname "$0")" && pwd)
passed=0 failed=0
check() { if "$@"; then passed=$((passed + 1)); else failed=$((failed + 1)); fi; }

# Entry points, as listed in the table of entries.c.
expected=$(sed -nE 's/^(OPENS|OPENS_FORTIFIED|VIEWS|FSTATS|ACCESSES|NAMES|FDS|CHDIRS|FOPENS)\(([A-Za-z0-9_]+),.*/\2/p;
                   s/^(CREATS|REOPENS|IOCTLS|ADDOPENS|HANDLES)\(([A-Za-z0-9_]+)\).*/\2/p;
                   s/^EXECLS\(([A-Za-z0-9_]+),.*/\1/p;
                   s/^EXECS\([^,]+, ([A-Za-z0-9_]+),.*/\1/p;
                   s/^(WRITES|TEMPS)\([^,]+, *[^,]+, *([A-Za-z0-9_]+),.*/\2/p' \
           "$here/../preload/entries.c" | sort)
exported=$(nm -D --defined-only "$lib" | awk '$2 == "T" {print $3}' | sort)
exports_match() {
    [ "$expected" = "$exported" ] && return
    echo "FAIL exports: differences (< table, > library):"
    diff <(echo "$expected") <(echo "$exported") || true
    return 1
}
check exports_match && echo "PASS exports ($(echo "$exported" | wc -l) entry points)"

newest=$(objdump -T "$lib" | grep -o 'GLIBC_[0-9.]*' | sed 's/GLIBC_//' | sort -V | tail -1)
glibc_baseline() {
    [ "$(printf '%s\n2.17\n' "$newest" | sort -V | tail -1)" = 2.17 ] && return
    echo "FAIL glibc: needs GLIBC_$newest, more than 2.17"
    return 1
}
check glibc_baseline && echo "PASS glibc (newest symbol version needed: GLIBC_$newest)"

no_stdio() {
    ! nm -D --undefined-only "$lib" | grep -qwE 'fopen|fprintf|printf|snprintf|malloc|fwrite'
}
check no_stdio && echo "PASS no stdio or malloc imported" || echo "FAIL library imports stdio or malloc"

echo "symbols: $passed passed, $failed failed"
[ "$failed" = 0 ]
