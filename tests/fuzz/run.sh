#!/usr/bin/env bash
# Runs the classify fuzzer for SECONDS on a scratch copy of the corpus and
# prints a summary; libFuzzer's progress goes to BUILD/fuzz/log, whose tail
# is shown only when the fuzzer fails.
#   usage: run.sh BUILD SECONDS
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=$(cd "$1" && pwd)/fuzz
seconds=$2
rm -rf "$out/corpus-run" && cp -r "$here/corpus" "$out/corpus-run"
trap 'rm -rf "$out/corpus-run"' EXIT
seeds=$(find "$here/corpus" -type f | wc -l)
if "$out/classify" -max_total_time="$seconds" -timeout=5 -print_final_stats=1 \
    -artifact_prefix="$out/" "$out/corpus-run" "$here/corpus" >"$out/log" 2>&1; then
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$out/log")
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$out/log")
    last=$(grep -E '^#[0-9]+' "$out/log" | tail -1)
    cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
    corp=$(sed -n 's/.* corp: \([0-9]*\).*/\1/p' <<<"$last")
    echo "PASS fuzz: $runs inputs in $seconds s ($rate/s), $cov edges covered," \
        "corpus $seeds seeds -> $corp inputs, no crash, leak or invariant failure (log: $out/log)"
else
    echo "FAIL fuzz: the fuzzer stopped; the end of $out/log:"
    tail -40 "$out/log" | sed 's/^/    /'
    exit 1
fi
