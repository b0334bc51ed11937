#!/usr/bin/env bash
# The machine bench-scale measures on, in one line: cores, CPU, memory,
# kernel, the store's file system, Nix, and what a fork and exec costs.
# nixpkgs' no-broken-symlinks hook pays two of those per link, so that
# last figure decides most of what crane's use-symlink and the deep copy
# pay in fixup on a given machine (VMs differ by 10x here).
set -euo pipefail
n=200 s=$EPOCHREALTIME
for ((i = 0; i < n; i++)); do /bin/true; done
e=$EPOCHREALTIME
printf '%s cores (%s), %s RAM, Linux %s, store on %s; %s; a fork and exec: %s ms\n' \
    "$(nproc)" "$(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)" \
    "$(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo)" "$(uname -r)" \
    "$(df -T /nix/store | awk 'NR == 2 {print $2}')" "$(nix-build --version | head -1)" \
    "$(awk -v s="$s" -v e="$e" -v n=$n 'BEGIN {printf "%.1f", (e - s) * 1000 / n}')"
