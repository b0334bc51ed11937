#!/usr/bin/env python3
"""One injected fault per case, run in this process (the caller chooses
whether libcowlink.so is preloaded and which user runs it).  Prints one
line per case: "CASE RESULT" where RESULT is ok or an errno name.

usage: faults.py CASE DIR
  nospace   append through DIR/big, a link to a store file larger than the
            free space of DIR's filesystem
  nofiles   append through DIR/small with every descriptor in use (EMFILE)
  signals   append through DIR/big while SIGALRM fires every 100 us
"""
import errno
import os
import resource
import signal
import sys


def append(path):
    fd = os.open(path, os.O_WRONLY | os.O_APPEND)
    try:
        os.write(fd, b"appended\n")
    finally:
        os.close(fd)


def nofiles(d):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (64, hard))
    held = []
    try:
        while True:
            held.append(os.open("/dev/null", os.O_RDONLY))
    except OSError as e:
        if e.errno != errno.EMFILE:
            raise
    try:
        append(os.path.join(d, "small"))
    finally:
        for fd in held:
            os.close(fd)


def signals(d):
    count = [0]

    def tick(signum, frame):
        count[0] += 1

    signal.signal(signal.SIGALRM, tick)
    signal.setitimer(signal.ITIMER_REAL, 0.0001, 0.0001)
    try:
        append(os.path.join(d, "big"))
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0, 0)
    sys.stderr.write("signals delivered during the call: %d\n" % count[0])


def main():
    case, d = sys.argv[1], sys.argv[2]
    try:
        {"nospace": lambda: append(os.path.join(d, "big")),
         "nofiles": lambda: nofiles(d),
         "signals": lambda: signals(d)}[case]()
        print(case, "ok")
    except OSError as e:
        print(case, errno.errorcode.get(e.errno, str(e.errno)))


main()
