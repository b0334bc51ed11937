#!/usr/bin/env bash
# The bench's workspace with its own code: copies workspace/ to DEST and
# writes each member's src/ from parts/MEMBER.rs, PARTS times (part0 ...),
# @K@ replaced by the part's number, so the members hold a few thousand
# lines that call into their dependencies as a service's code does.
#   usage: gen.sh DEST [PARTS]   (PARTS default 4)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
dest=$1 parts=${2:-4}
mkdir -p "$dest"
cp -r "$here/workspace/." "$dest/"
for tpl in "$here"/parts/*.rs; do
    member=$(basename "$tpl" .rs)
    mkdir -p "$dest/$member/src"
    lib=$dest/$member/src/lib.rs
    echo "//! $member: $parts parts generated from the bench's parts/$member.rs." >"$lib"
    for ((k = 0; k < parts; k++)); do
        echo "pub mod part$k;" >>"$lib"
        sed "s/@K@/$k/g" "$tpl" >"$dest/$member/src/part$k.rs"
    done
done
