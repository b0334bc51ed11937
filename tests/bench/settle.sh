# settle: called before each timing, so that a run does not pay for the
# previous one.  Flushes what earlier runs wrote, waits (at most 10 s) until
# less than 1 MB is dirty or under writeback, then lets the file system's
# deferred work (journal commits, freeing deleted extents) go on for a second.
settle() {
    sync
    local i
    for i in $(seq 100); do
        awk '/^(Dirty|Writeback):/ {kb += $2} END {exit !(kb < 1024)}' /proc/meminfo && break
        sleep 0.1
    done
    sleep 1
}
