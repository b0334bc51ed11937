#!/usr/bin/env python3
"""Many processes and threads hammer the same store links: appends,
truncating writes, renames over the links, unlinks, stats and reads.  Every
operation's outcome is logged with CLOCK_MONOTONIC (system-wide) times, and
the final state is checked against the log:

  - a path that is still a link was never written, renamed over or removed,
    and leads to the untouched store file;
  - a file starts with one whole "base" line (the store's content, or the
    line of a truncating write or a rename), followed only by whole lines
    of successful appends to that path; every append that started after
    the base was written is there (no lost append, no torn copy);
  - a missing path is explained by a successful unlink with nothing after;
  - a reader never sees a torn line.

Readers and truncating writers of the same path take a shared and an
exclusive flock on a lock file beside the work directory: on Linux a read
racing an O_TRUNC open plus a write is not atomic even on plain files (tmpfs
tears about 1 read in 100,000), and this test is about cowlink, not Linux.
Readers still race appends, renames, unlinks and every materialization.

usage: torture.py run DIR SECONDS PROCS THREADS   (workers; prints a log)
       torture.py check DIR LOGS...               (exit 1 on a violation)
"""
import fcntl
import os
import random
import sys
import threading
import time

LINKS = 100


def name(i):
    return "l%03d" % i


def worker(d, until, tag, out, lock):
    rnd = random.Random(tag)
    seq = 0
    while time.monotonic() < until:
        i = rnd.randrange(LINKS)
        path = os.path.join(d, name(i))
        op = rnd.choice("AAAAAATRUSSD")
        seq += 1
        line = "%s %s-%d\n" % (op, tag, seq)
        start = time.monotonic_ns()
        ok = 1
        guard = None
        try:
            if op in "TD":
                guard = os.open(os.path.join(d, "..", "locks", name(i)), os.O_RDONLY)
                fcntl.flock(guard, fcntl.LOCK_EX if op == "T" else fcntl.LOCK_SH)
            if op == "A":  # never creates: only appends to what is there
                fd = os.open(path, os.O_WRONLY | os.O_APPEND)
                try:
                    os.write(fd, line.encode())
                finally:
                    os.close(fd)
            elif op == "T":  # O_APPEND: whole lines even when racing appends
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_APPEND, 0o644)
                try:
                    os.write(fd, line.encode())
                finally:
                    os.close(fd)
            elif op == "R":
                tmp = os.path.join(d, "tmp-%s-%d" % (tag, seq))
                with open(tmp, "w") as f:
                    f.write(line)
                os.rename(tmp, path)
            elif op == "U":
                os.unlink(path)
            elif op == "S":
                os.stat(path)
                ok = 2 if os.access(path, os.W_OK) else 3
            else:
                with open(path) as f:
                    for got in f.read().splitlines(True):
                        if not got.endswith("\n") or len(got.split()) != 2:
                            ok = 4  # a torn line seen by a reader
        except OSError as e:
            ok = -e.errno
        finally:
            if guard is not None:
                os.close(guard)
        end = time.monotonic_ns()
        with lock:
            out.append("%d %s %d %d %d %s" % (i, op, ok, start, end, line.split()[1]))


def run(d, seconds, procs, threads):
    os.mkdir(os.path.join(d, "..", "locks"))
    for i in range(LINKS):
        os.close(os.open(os.path.join(d, "..", "locks", name(i)), os.O_WRONLY | os.O_CREAT, 0o644))
    until = time.monotonic() + seconds
    pids = []
    for p in range(procs):
        pid = os.fork()
        if pid == 0:
            out, lock = [], threading.Lock()
            ts = [threading.Thread(target=worker, args=(d, until, "p%dt%d" % (p, t), out, lock))
                  for t in range(threads)]
            for t in ts:
                t.start()
            for t in ts:
                t.join()
            with open(os.path.join(d, "..", "log-p%d" % p), "w") as f:
                f.write("\n".join(out) + "\n")
            os._exit(0)
        pids.append(pid)
    bad = 0
    for pid in pids:
        bad |= os.waitpid(pid, 0)[1]
    sys.exit(1 if bad else 0)


def check(d, logs):
    ops = {}
    for log in logs:
        for row in open(log):
            if row.strip():
                i, op, ok, start, end, tag = row.split()
                ops.setdefault(int(i), []).append((op, int(ok), int(start), int(end), tag))
    problems, counts = [], {}
    for i in range(LINKS):
        path = os.path.join(d, name(i))
        mine = ops.get(i, [])
        done = [o for o in mine if o[1] == 1]
        for o in mine:
            good = 0 < o[1] < 4
            counts[(o[0], good)] = counts.get((o[0], good), 0) + 1
            if o[1] == 4:
                problems.append("%s: a reader saw a torn line" % name(i))
        if os.path.islink(path):
            if any(o[0] in "ATRU" for o in done):
                problems.append("%s is still a link after a successful write" % name(i))
            continue
        if not os.path.exists(path):
            last_u = max((o[3] for o in done if o[0] == "U"), default=None)
            if last_u is None:
                problems.append("%s vanished without a successful unlink" % name(i))
            continue
        lines = open(path).read().splitlines(True)
        if not lines or any(not l.endswith("\n") for l in lines):
            problems.append("%s: empty or torn content" % name(i))
            continue
        words = [l.split() for l in lines]
        if any(len(w) != 2 for w in words):
            problems.append("%s: a torn line" % name(i))
            continue
        # The base: the last truncating write or rename (a rename's line comes
        # first; a truncating write may follow appends that raced with it),
        # else the store's content, first.
        bases = [k for k, w in enumerate(words) if w[0] in "TR"]
        k = bases[-1] if bases else 0
        if bases:
            base = [o for o in done if o[0] == words[k][0] and o[4] == words[k][1]]
            if not base or (words[k][0] == "R" and k != 0):
                problems.append("%s: base line %r was written by no successful op" % (name(i), lines[k]))
                continue
            base_end = base[0][3]
        elif words[0] == ["store", "f%03d" % i]:
            base_end = 0
        else:
            problems.append("%s starts with %r, neither the store's content nor a base" % (name(i), lines[0]))
            continue
        rest = [w[1] for j, w in enumerate(words) if j != k]
        appended = {o[4] for o in done if o[0] == "A"}
        stray = [t for t in rest if t not in appended]
        if stray:
            problems.append("%s has lines of no successful append: %s" % (name(i), stray[:3]))
        lost = [o[4] for o in done if o[0] == "A" and o[2] > base_end and o[4] not in rest]
        if lost:
            problems.append("%s lost %d appends, e.g. %s" % (name(i), len(lost), lost[:3]))
    names = {"A": "append", "T": "truncating write", "R": "rename over", "U": "unlink",
             "S": "stat+access", "D": "read"}
    summary = ", ".join("%s%s %d" % (names[op], "" if ok else " failed", n)
                        for (op, ok), n in sorted(counts.items()))
    print("torture: operations: " + summary)
    for p in problems[:20]:
        print("torture: " + p)
    return 1 if problems else 0


if __name__ == "__main__":
    if sys.argv[1] == "run":
        run(sys.argv[2], float(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]))
    else:
        sys.exit(check(sys.argv[2], sys.argv[3:]))
